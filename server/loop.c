/* loop.c — the daemon's event loop: accepting clients, waking, stopping with grace. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

/* Accepts every waiting connection. */
void baton__srv_accept(baton_server *srv) {
  for (;;) {
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        baton__srv_log(srv, BATON_LOG_WARN, "accept: %s", strerror(errno));
      return;
    }
    struct ucred cred;
    if (!baton__srv_peer_admit(srv, fd, &cred))
      continue;
    if ((int)srv->n_clients >= srv->set.max_clients || fd > 0xffffff) {
      baton__srv_refuse(fd, BATON_BUSY, "too many clients");
      continue;
    }
    if ((size_t)fd >= srv->clients_cap) {
      size_t cap = srv->clients_cap ? srv->clients_cap : 64;
      while (cap <= (size_t)fd)
        cap *= 2;
      conn **nc = realloc(srv->clients, cap * sizeof *nc);
      if (!nc) {
        close(fd);
        continue;
      }
      memset(nc + srv->clients_cap, 0, (cap - srv->clients_cap) * sizeof *nc);
      srv->clients = nc;
      srv->clients_cap = cap;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->id = (++srv->next_client << 24) | (uint64_t)fd;
    c->uid = cred.uid;
    c->pid = cred.pid;
    baton__sb_init(&c->out);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    c->events = ev.events;
    if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      free(c);
      continue;
    }
    srv->clients[fd] = c;
    srv->n_clients++;
  }
}

/* Writes what is left for clients, for at most ms. */
void baton__srv_final_flush(baton_server *srv, int ms) {
  int64_t end = baton__now_ms() + ms;
  baton__srv_drain_queue(srv);
  for (;;) {
    bool pending = false;
    for (size_t fd = 0; fd < srv->clients_cap; fd++) {
      conn *c = srv->clients[fd];
      if (c && c->out_off < c->out.len && baton__srv_client_flush(srv, c) && srv->clients[fd] &&
          c->out_off < c->out.len)
        pending = true;
    }
    if (!pending || baton__now_ms() >= end)
      return;
    struct epoll_event evs[64];
    epoll_wait(srv->epfd, evs, 64, 20);
  }
}

baton_rc baton_server_run(baton_server *srv) {
  if (!srv || srv->epfd < 0)
    return BATON_INVALID;
  bool stopping = false, cancelled = false;
  int64_t deadline = 0;
  struct epoll_event evs[128];
  for (;;) {
    int n = epoll_wait(srv->epfd, evs, 128, stopping ? 50 : -1);
    if (n < 0 && errno != EINTR) {
      baton__srv_fail(srv, BATON_ERROR, "epoll_wait: %s", strerror(errno));
      return BATON_ERROR;
    }
    bool reload = false;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == srv->wake[0]) {
        char buf[256];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
          for (ssize_t k = 0; k < r; k++)
            reload |= buf[k] == 'R';
      } else if (fd == srv->listen_fd) {
        if (!stopping)
          baton__srv_accept(srv);
      } else if ((size_t)fd < srv->clients_cap && srv->clients[fd]) {
        conn *c = srv->clients[fd];
        if (evs[i].events & EPOLLOUT) {
          if (!baton__srv_client_flush(srv, c))
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
          baton__srv_client_read(srv, c);
      }
    }
    if (reload)
      baton__srv_reload(srv);
    baton__srv_drain_queue(srv);
    int grace = atomic_load(&srv->stop_grace);
    if (!stopping && grace != INT_MIN) {
      stopping = true;
      pthread_mutex_lock(&srv->lock);
      srv->stopping = true;
      pthread_mutex_unlock(&srv->lock);
      epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
      close(srv->listen_fd);
      srv->listen_fd = -1;
      baton__srv_unlink_socket(srv);
      long g = grace < 0 ? srv->set.grace_ms : grace;
      deadline = baton__now_ms() + g;
      baton__srv_log(srv, BATON_LOG_INFO, "stopping: %zu run(s) in flight, %ld ms grace",
                     srv->n_active, g);
    }
    if (stopping) {
      if (baton__srv_idle(srv))
        break;
      if (!cancelled && baton__now_ms() >= deadline) {
        baton__srv_log(srv, BATON_LOG_INFO, "grace period over: cancelling the runs left");
        baton__srv_cancel_all(srv);
        cancelled = true;
      }
    }
  }
  baton__srv_final_flush(srv, 1000);
  return BATON_OK;
}
