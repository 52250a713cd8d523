/* loop.c — the daemon's event loop: events, waking, serving in turns, stopping with grace. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

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

/* Handles what epoll reported; true when a reload was asked for. */
static bool handle_events(baton_server *srv, const struct epoll_event *evs, int n, bool stopping) {
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
      if ((evs[i].events & EPOLLOUT) && !baton__srv_client_flush(srv, c))
        continue;
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
        baton__srv_client_read(srv, c, evs[i].events);
    }
  }
  return reload;
}

/* Stops accepting, drops the runs waiting for a slot; returns the deadline
 * of the grace period. */
static int64_t begin_stop(baton_server *srv, int grace) {
  pthread_mutex_lock(&srv->lock);
  srv->stopping = true;
  pthread_mutex_unlock(&srv->lock);
  baton__srv_drop_waiting(srv);
  epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
  close(srv->listen_fd);
  srv->listen_fd = -1;
  srv->listen_paused = false;
  baton__srv_unlink_socket(srv);
  long g = grace < 0 ? srv->set.grace_ms : grace;
  baton__srv_log(srv, BATON_LOG_INFO, "stopping: %zu run(s) in flight, %ld ms grace",
                 srv->n_active, g);
  return baton__now_ms() + g;
}

/* How long the loop may sleep: not at all with clients waiting for their
 * turn; until the listener's pause ends; a little while stopping. */
static int loop_timeout(const baton_server *srv, bool stopping) {
  if (srv->n_ready)
    return 0;
  if (stopping)
    return 50;
  return srv->listen_paused ? 100 : -1;
}

baton_rc baton_server_run(baton_server *srv) {
  if (!srv || srv->epfd < 0)
    return BATON_INVALID;
  bool stopping = false, cancelled = false;
  int64_t deadline = 0;
  struct epoll_event evs[128];
  for (;;) {
    int n = epoll_wait(srv->epfd, evs, 128, loop_timeout(srv, stopping));
    if (n < 0 && errno != EINTR) {
      baton__srv_fail(srv, BATON_ERROR, "epoll_wait: %s", strerror(errno));
      return BATON_ERROR;
    }
    if (handle_events(srv, evs, n < 0 ? 0 : n, stopping))
      baton__srv_reload(srv);
    if (srv->listen_paused && !stopping)
      baton__srv_accept(srv); /* resumes once the pause is over */
    baton__srv_drain_queue(srv);
    baton__srv_serve_ready(srv);
    int grace = atomic_load(&srv->stop_grace);
    if (!stopping && grace != INT_MIN) {
      stopping = true;
      deadline = begin_stop(srv, grace);
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
