/* input.c — clients' request lines: bounded reads, a fair share of requests per loop turn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "server/internal.h"
#include "core/banned.h"

static void too_long(baton_server *srv, uint64_t client, size_t max) {
  char txt[128];
  baton__fmt(txt, sizeof txt, "invalid request: a message is larger than %zu bytes", max);
  baton__srv_post_error(srv, client, NULL, -32600, txt, 0);
}

/* Lists a client to be served on the next loop turn (the list holds two
 * entries per client slot: a closed client's stale id and its successor's). */
void baton__srv_ready_push(baton_server *srv, conn *c) {
  if (c->ready || srv->n_ready == srv->cap_ready)
    return;
  c->ready = true;
  srv->ready[srv->n_ready++] = c->id;
}

/* Notes whether a complete request line is buffered (scanning each byte once)
 * and drops a line longer than the bound as it arrives. */
static void find_line(baton_server *srv, conn *c) {
  char *nl = memchr(c->in + c->scan, '\n', c->in_len - c->scan);
  c->lines = nl != NULL;
  c->scan = nl ? (size_t)(nl - c->in) : c->in_len;
  if (!c->lines && c->in_len > srv->set.max_msg) {
    if (!c->skipping)
      too_long(srv, c->id, srv->set.max_msg);
    c->skipping = true;
    c->in_len = c->scan = 0;
  }
}

/* Handles up to LINES_PER_TURN buffered request lines while the client is
 * within its bounds; the rest wait for the next turn (or for the client to
 * drain). */
static void serve(baton_server *srv, conn *c) {
  size_t start = 0;
  for (int n = 0; n < LINES_PER_TURN && c->lines && !baton__srv_over_limits(srv, c); n++) {
    size_t i = c->scan;
    if (c->skipping)
      c->skipping = false;
    else if (i - start > srv->set.max_msg)
      too_long(srv, c->id, srv->set.max_msg);
    else
      baton__srv_handle_line(srv, c, c->in + start, i - start);
    start = c->scan = i + 1;
    char *nl = memchr(c->in + start, '\n', c->in_len - start);
    c->lines = nl != NULL;
    c->scan = nl ? (size_t)(nl - c->in) : c->in_len;
  }
  memmove(c->in, c->in + start, c->in_len - start);
  c->in_len -= start;
  c->scan -= start;
  find_line(srv, c);
  if (c->in_cap > 4 * READ_CHUNK && c->in_len < READ_CHUNK) {
    char *n = realloc(c->in, READ_CHUNK + 1);
    if (n) {
      c->in = n;
      c->in_cap = READ_CHUNK + 1;
    }
  }
  if (c->lines && !baton__srv_over_limits(srv, c))
    baton__srv_ready_push(srv, c);
  baton__srv_arm(srv, c);
  if (c->eof && !c->lines) /* after the replies just queued: see OUT_SETTLE */
    baton__srv_post(srv, c->id, OUT_SETTLE, "", 0);
}

/* The client shut its writing side (shutdown(SHUT_WR), `nc -N`): it sends
 * no more requests but still reads. A last line without its newline is a
 * request too. What it asked is answered, then the connection closes. */
static void end_of_requests(baton_server *srv, conn *c) {
  c->eof = true;
  if (c->skipping) {
    c->skipping = false;
    c->in_len = c->scan = 0;
  } else if (c->in_len > 0) {
    c->in[c->in_len++] = '\n'; /* room: a read leaves READ_CHUNK bytes free */
    find_line(srv, c);
  }
  serve(srv, c);
}

/* Reads once what a client sent and handles its complete lines. A client
 * with lines left, or paused, is not read: the socket holds the rest. A
 * hang-up (EPOLLHUP: the peer closed both ways) closes the connection; end
 * of input alone only ends its requests. */
void baton__srv_client_read(baton_server *srv, conn *c, uint32_t events) {
  if (c->paused || c->lines || c->eof) {
    if (events & (EPOLLHUP | EPOLLERR))
      baton__srv_client_close(srv, c); /* gone: its replies cannot be delivered */
    return;
  }
  if (c->in_cap - c->in_len < READ_CHUNK) {
    size_t cap = c->in_len + READ_CHUNK + 1;
    char *n = realloc(c->in, cap);
    if (!n) {
      baton__srv_client_close(srv, c);
      return;
    }
    c->in = n;
    c->in_cap = cap;
  }
  ssize_t r;
  do
    r = recv(c->fd, c->in + c->in_len, READ_CHUNK, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  if (r == 0 && !(events & (EPOLLHUP | EPOLLERR))) {
    end_of_requests(srv, c);
    return;
  }
  if (r <= 0) {
    baton__srv_client_close(srv, c);
    return;
  }
  c->in_len += (size_t)r;
  find_line(srv, c);
  serve(srv, c);
}

/* Serves the clients listed by earlier turns. */
void baton__srv_serve_ready(baton_server *srv) {
  size_t n = srv->n_ready;
  for (size_t i = 0; i < n; i++) {
    conn *c = baton__srv_client_by_id(srv, srv->ready[i]);
    if (!c)
      continue;
    c->ready = false;
    if (c->lines && !baton__srv_over_limits(srv, c))
      serve(srv, c);
  }
  memmove(srv->ready, srv->ready + n, (srv->n_ready - n) * sizeof *srv->ready);
  srv->n_ready -= n;
}
