/* conn.c — client connections: their bounded output buffers, pausing, and the out queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

conn *baton__srv_client_by_id(baton_server *srv, uint64_t id) {
  size_t fd = (size_t)(id & 0xffffffu);
  if (fd >= srv->clients_cap || !srv->clients[fd] || srv->clients[fd]->id != id)
    return NULL;
  return srv->clients[fd];
}

/* A client that is gone drops its runs still waiting for a slot (its
 * started runs go on); one that only shut its writing side is not gone
 * until everything it asked is answered or it closes too. */
void baton__srv_client_close(baton_server *srv, conn *c) {
  baton__srv_drop_client_waiting(srv, c->id);
  epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  srv->clients[c->fd] = NULL;
  srv->n_clients--;
  free(c->in);
  free(c->groups);
  baton__sb_release(&c->out);
  free(c);
  if (srv->listen_paused)
    baton__srv_listen_resume(srv); /* a descriptor is free again */
}

/* Watches what the client's state needs: its requests unless it is paused
 * (back-pressure: a client that does not read its replies, or has too many
 * requests in flight, cannot pile up more work) or still has request lines
 * read but not handled; writability while output waits. */
void baton__srv_arm(baton_server *srv, conn *c) {
  bool was = c->paused;
  c->paused = baton__srv_over_limits(srv, c);
  if (was && !c->paused && c->lines)
    baton__srv_ready_push(srv, c);
  uint32_t want =
      (c->paused || c->lines || c->eof ? 0 : EPOLLIN | EPOLLRDHUP) | (c->want_out ? EPOLLOUT : 0);
  if (want == c->events)
    return;
  struct epoll_event ev = {.events = want, .data.fd = c->fd};
  epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

/* Writes what the client can take. false when the client is gone (closed),
 * also when it shut its writing side and everything it asked is answered
 * and written. */
bool baton__srv_client_flush(baton_server *srv, conn *c) {
  while (c->out_off < c->out.len) {
    ssize_t w = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (w > 0) {
      c->out_off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->want_out = true;
      baton__srv_arm(srv, c);
      return true;
    }
    baton__srv_client_close(srv, c);
    return false;
  }
  baton__sb_reset(&c->out);
  c->out_off = 0;
  c->dropping = false;
  c->want_out = false;
  if (c->eof && !c->lines && !c->inflight) {
    baton__srv_client_close(srv, c);
    return false;
  }
  baton__srv_arm(srv, c);
  return true;
}

/* Adds a line to a client's buffer, applying the output bounds. */
static void client_queue(baton_server *srv, conn *c, const out_msg *m) {
  size_t unsent = c->out.len - c->out_off;
  if (m->kind == OUT_NOTIFY && unsent + m->len > srv->set.max_out) {
    if (!c->dropping) {
      static const char notice[] =
          "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":{\"type\":\"events.dropped\","
          "\"text\":\"this client reads too slowly: further events are dropped until it "
          "catches up; results still follow\"}}\n";
      baton__sb_add(&c->out, notice, sizeof notice - 1);
      c->dropping = true;
    }
    return;
  }
  /* Replies are always kept: the client cannot ask for more while its output
   * is past its backlog bound or its requests in flight are at theirs (see
   * baton__srv_arm()), so they stay few. */
  if (c->out_off > 0 && c->out_off >= c->out.len / 2) {
    memmove(c->out.buf, c->out.buf + c->out_off, c->out.len - c->out_off);
    c->out.len -= c->out_off;
    c->out.buf[c->out.len] = '\0';
    c->out_off = 0;
  }
  baton__sb_add(&c->out, m->line, m->len);
  if (c->want_out)
    baton__srv_arm(srv, c); /* the flush that updates it waits for EPOLLOUT */
}

/* Notes a client to flush once the queue is drained (by id: a client may be
 * disconnected on the way); flushes the ones noted when the list is full. */
static void touch(baton_server *srv, uint64_t *touched, size_t *n, size_t cap, uint64_t id) {
  for (size_t i = 0; i < *n; i++)
    if (touched[i] == id)
      return;
  if (*n == cap) {
    for (size_t i = 0; i < *n; i++) {
      conn *c = baton__srv_client_by_id(srv, touched[i]);
      if (c && !c->want_out)
        baton__srv_client_flush(srv, c);
    }
    *n = 0;
  }
  touched[(*n)++] = id;
}

/* Moves queued lines to their clients and writes. */
void baton__srv_drain_queue(baton_server *srv) {
  atomic_store(&srv->wake_pending, 0);
  pthread_mutex_lock(&srv->qlock);
  out_msg *m = srv->q_head;
  srv->q_head = srv->q_tail = NULL;
  pthread_mutex_unlock(&srv->qlock);
  /* Flush each touched client once, after its lines are in. */
  uint64_t touched[256];
  size_t n_touched = 0, cap = sizeof touched / sizeof touched[0];
  while (m) {
    out_msg *next = m->next;
    conn *c = baton__srv_client_by_id(srv, m->client);
    if (c && (m->kind == OUT_DONE || m->kind == OUT_SETTLE)) {
      if (m->kind == OUT_DONE && c->inflight)
        c->inflight--;
      baton__srv_arm(srv, c);
      if (c->eof) /* the flush closes it when all is answered */
        touch(srv, touched, &n_touched, cap, m->client);
    } else if (c) {
      client_queue(srv, c, m);
      touch(srv, touched, &n_touched, cap, m->client);
    }
    free(m);
    m = next;
  }
  for (size_t i = 0; i < n_touched; i++) {
    conn *c = baton__srv_client_by_id(srv, touched[i]);
    if (c && !c->want_out)
      baton__srv_client_flush(srv, c);
  }
}
