/* accept.c — accepting clients within the descriptor limit: refusals, a reserve descriptor, pausing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

#define LISTEN_PAUSE_MS 1000 /* how long the listener rests when no descriptor is left */

/* Grows the client table (and the ready list, two entries per slot) to hold fd. */
static bool make_room(baton_server *srv, int fd) {
  if ((size_t)fd < srv->clients_cap)
    return true;
  size_t cap = srv->clients_cap ? srv->clients_cap : 64;
  while (cap <= (size_t)fd)
    cap *= 2;
  uint64_t *nr = realloc(srv->ready, 2 * cap * sizeof *nr);
  if (!nr)
    return false;
  srv->ready = nr;
  srv->cap_ready = 2 * cap;
  conn **nc = realloc(srv->clients, cap * sizeof *nc);
  if (!nc)
    return false;
  memset(nc + srv->clients_cap, 0, (cap - srv->clients_cap) * sizeof *nc);
  srv->clients = nc;
  srv->clients_cap = cap;
  return true;
}

/* Serves a new connection. */
static void add_client(baton_server *srv, int fd, const struct ucred *cred) {
  conn *c = make_room(srv, fd) ? calloc(1, sizeof *c) : NULL;
  if (!c) {
    close(fd);
    return;
  }
  c->fd = fd;
  c->id = (++srv->next_client << 24) | (uint64_t)fd;
  c->uid = cred->uid;
  c->gid = cred->gid;
  c->pid = cred->pid;
  long groups = baton__srv_peer_groups(fd, &c->groups);
  if (groups < 0) { /* acting without them could let it read more */
    baton__srv_refuse(fd, BATON_DENIED, "access denied: the daemon could not read your groups");
    free(c);
    return;
  }
  c->n_groups = (size_t)groups;
  baton__sb_init(&c->out);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  c->events = ev.events;
  if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    free(c->groups);
    free(c);
    return;
  }
  srv->clients[fd] = c;
  srv->n_clients++;
}

/* Stops accepting for a while: not even the reserve descriptor is left. */
static void listen_pause(baton_server *srv) {
  struct epoll_event ev = {.events = 0, .data.fd = srv->listen_fd};
  epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->listen_fd, &ev);
  srv->listen_paused = true;
  srv->listen_paused_ms = baton__now_ms();
}

/* Accepts again (a client left, or the pause is over). */
void baton__srv_listen_resume(baton_server *srv) {
  if (!srv->listen_paused || srv->listen_fd < 0)
    return;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = srv->listen_fd};
  epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->listen_fd, &ev);
  srv->listen_paused = false;
}

/* Out of descriptors (EMFILE, ENFILE): spends the reserve descriptor to
 * accept the first waiting connection and refuse it with an error line, so
 * the listener does not stay readable forever; pauses the listener when even
 * that fails. */
static void out_of_descriptors(baton_server *srv, int err) {
  baton__srv_log_limited(srv, &srv->fd_log, BATON_LOG_WARN,
                         "accept: %s: refusing new clients until some leave", strerror(err));
  if (srv->reserve_fd >= 0) {
    close(srv->reserve_fd);
    srv->reserve_fd = -1;
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
      baton__srv_refuse(fd, BATON_BUSY, "the daemon is out of file descriptors: try again later");
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && srv->reserve_fd >= 0)
      return;
  }
  listen_pause(srv);
}

/* Accepts every waiting connection. */
void baton__srv_accept(baton_server *srv) {
  if (srv->listen_paused) {
    if (baton__now_ms() - srv->listen_paused_ms < LISTEN_PAUSE_MS)
      return;
    baton__srv_listen_resume(srv);
    if (srv->reserve_fd < 0)
      srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  for (;;) {
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        out_of_descriptors(srv, errno);
        if (srv->listen_paused)
          return;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        baton__srv_log_limited(srv, &srv->fd_log, BATON_LOG_WARN, "accept: %s", strerror(errno));
      return;
    }
    struct ucred cred;
    if (!baton__srv_peer_admit(srv, fd, &cred))
      continue;
    if ((int)srv->n_clients >= srv->set.max_clients || fd > 0xffffff) {
      baton__srv_refuse(fd, BATON_BUSY, "too many clients");
      baton__srv_log_limited(srv, &srv->full_log, BATON_LOG_WARN,
                             "refused a client: %zu clients are connected (daemon.max_clients)",
                             srv->n_clients);
      continue;
    }
    add_client(srv, fd, &cred);
  }
}
