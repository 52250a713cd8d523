/* server.c — the daemon server's life: create, reload, stop, free; its contexts and settings. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

void baton__srv_log(baton_server *srv, baton_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void baton__srv_log(baton_server *srv, baton_log_level level, const char *fmt, ...) {
  if (!srv->log_fn || level > srv->log_level)
    return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  srv->log_fn(srv->log_ud, level, buf);
}

baton_rc baton__srv_fail(baton_server *srv, baton_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
baton_rc baton__srv_fail(baton_server *srv, baton_rc rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(srv->errmsg, sizeof srv->errmsg, fmt, ap);
  va_end(ap);
  return rc;
}

/* A log line at most once a second; the ones held back are counted in the
 * next. Loop thread. */
void baton__srv_log_limited(baton_server *srv, ratelog *rl, baton_log_level level,
                            const char *fmt, ...) {
  int64_t now = baton__now_ms();
  if (rl->last_ms && now - rl->last_ms < 1000) {
    rl->suppressed++;
    return;
  }
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (rl->suppressed)
    baton__srv_log(srv, level, "%s (and %lu more like it)", buf, rl->suppressed);
  else
    baton__srv_log(srv, level, "%s", buf);
  rl->last_ms = now;
  rl->suppressed = 0;
}

/* The clients the descriptor limit leaves room for, with FD_MARGIN kept for
 * the library (databases, worker pipes, the loop's own). */
static int clients_within_fd_limit(int want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return want;
  long room = (long)rl.rlim_cur - FD_MARGIN;
  if (room < 8)
    room = rl.rlim_cur > 16 ? (long)rl.rlim_cur / 2 : 1;
  return want > room ? (int)room : want;
}

/* Takes the daemon's settings from a configuration (new, or reloaded). */
void baton__srv_apply_settings(baton_server *srv, const baton__config *cfg) {
  settings *s = &srv->set;
  baton__srv_parse_allow(s, cfg->daemon_allow_uids);
  s->grace_ms = cfg->daemon_grace_ms;
  int want = cfg->daemon_max_clients > 0 ? cfg->daemon_max_clients : 1024;
  s->max_clients = clients_within_fd_limit(want);
  if (s->max_clients < want)
    baton__srv_log(srv, BATON_LOG_WARN,
                   "daemon.max_clients lowered from %d to %d: the open-file limit (ulimit -n) "
                   "leaves room for no more",
                   want, s->max_clients);
  s->max_msg = cfg->daemon_max_message_bytes ? cfg->daemon_max_message_bytes : 1u << 20;
  s->max_out = cfg->daemon_max_output_bytes ? cfg->daemon_max_output_bytes : 8u << 20;
  s->max_backlog =
      cfg->daemon_max_client_backlog_bytes ? cfg->daemon_max_client_backlog_bytes : 1u << 20;
  s->max_runs = cfg->daemon_max_runs > 0 ? cfg->daemon_max_runs : 64;
  pthread_mutex_lock(&srv->lock);
  srv->max_runs = s->max_runs;
  pthread_mutex_unlock(&srv->lock);
}

srv_ctx *baton__srv_ctx_get(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  srv_ctx *sc = srv->cur;
  if (sc)
    sc->refs++;
  pthread_mutex_unlock(&srv->lock);
  return sc;
}

void baton__srv_ctx_put(baton_server *srv, srv_ctx *sc) {
  if (!sc)
    return;
  pthread_mutex_lock(&srv->lock);
  bool last = --sc->refs == 0;
  pthread_mutex_unlock(&srv->lock);
  if (last) {
    baton_close(sc->ctx);
    free(sc);
  }
}

baton_rc baton_socket_path(const char *config_path, char **path_out) {
  if (!path_out)
    return BATON_INVALID;
  *path_out = NULL;
  baton__config cfg;
  char err[512];
  if (baton__config_load(&cfg, config_path, err, sizeof err) != 0) {
    baton__config_release(&cfg);
    return baton__fail(NULL, BATON_CONFIG, "%s", err);
  }
  *path_out = baton__strdup(cfg.socket_path);
  baton__config_release(&cfg);
  return *path_out ? BATON_OK : baton__fail(NULL, BATON_NOMEM, "out of memory");
}

static baton_rc open_ctx(baton_server *srv, srv_ctx **out) {
  *out = NULL;
  baton *ctx = NULL;
  baton_rc rc = baton_open(srv->config_path, &ctx);
  if (rc != BATON_OK) {
    baton__srv_fail(srv, rc, "%s", ctx ? baton_errmsg(ctx) : baton_strerror(rc));
    baton_close(ctx);
    return rc;
  }
  if (srv->log_fn)
    baton_set_log(ctx, srv->log_level, srv->log_fn, srv->log_ud);
  srv_ctx *sc = calloc(1, sizeof *sc);
  if (!sc) {
    baton_close(ctx);
    return baton__srv_fail(srv, BATON_NOMEM, "out of memory");
  }
  sc->ctx = ctx;
  sc->refs = 1;
  *out = sc;
  return BATON_OK;
}

baton_rc baton_server_new(const baton_server_options *opts, baton_server **out) {
  if (!out)
    return BATON_INVALID;
  *out = NULL;
  baton_server_options copy = {BATON_SERVER_OPTIONS_INIT};
  if (opts && baton__sized_copy(&copy, sizeof copy, opts, "baton_server_options") != BATON_OK)
    return BATON_INVALID;
  opts = &copy;
  baton_server *srv = calloc(1, sizeof *srv);
  if (!srv)
    return BATON_NOMEM;
  *out = srv;
  srv->started_ms = baton__now_ms();
  srv->listen_fd = srv->lock_fd = srv->epfd = srv->wake[0] = srv->wake[1] = srv->reserve_fd = -1;
  pthread_mutex_init(&srv->lock, NULL);
  pthread_mutex_init(&srv->qlock, NULL);
  atomic_init(&srv->wake_pending, 0);
  atomic_init(&srv->stop_grace, INT_MIN);
  srv->log_fn = opts->log_fn;
  srv->log_ud = opts->log_userdata;
  srv->log_level = opts->log_level;
  if (opts->config_path && !(srv->config_path = baton__strdup(opts->config_path)))
    return baton__srv_fail(srv, BATON_NOMEM, "out of memory");
  if (pipe2(srv->wake, O_NONBLOCK | O_CLOEXEC) != 0)
    return baton__srv_fail(srv, BATON_IO, "pipe: %s", strerror(errno));
  baton_rc rc = open_ctx(srv, &srv->cur);
  if (rc != BATON_OK)
    return rc;
  baton__srv_apply_settings(srv, &srv->cur->ctx->cfg);
  srv->socket_path =
      baton__strdup(opts->socket_path ? opts->socket_path : srv->cur->ctx->cfg.socket_path);
  if (!srv->socket_path)
    return baton__srv_fail(srv, BATON_NOMEM, "out of memory");
  if (opts->listen_fd > 0) {
    srv->listen_fd = opts->listen_fd;
    int fl = fcntl(srv->listen_fd, F_GETFL);
    if (fl < 0 || fcntl(srv->listen_fd, F_SETFL, fl | O_NONBLOCK) != 0)
      return baton__srv_fail(srv, BATON_IO, "the listening socket given is unusable: %s",
                             strerror(errno));
  } else if ((rc = baton__srv_bind_socket(srv)) != BATON_OK) {
    return rc;
  }
  srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* see accept.c */
  srv->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (srv->epfd < 0)
    return baton__srv_fail(srv, BATON_IO, "epoll: %s", strerror(errno));
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = srv->listen_fd};
  struct epoll_event wev = {.events = EPOLLIN, .data.fd = srv->wake[0]};
  if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) != 0 ||
      epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wake[0], &wev) != 0)
    return baton__srv_fail(srv, BATON_IO, "epoll: %s", strerror(errno));
  if (!baton__srv_pools_start(srv))
    return baton__srv_fail(srv, BATON_ERROR, "cannot start the server's threads");
  baton__srv_log(srv, BATON_LOG_INFO, "serving %s", srv->socket_path);
  return BATON_OK;
}

void baton_server_stop(baton_server *srv, int grace_ms) {
  if (!srv)
    return;
  atomic_store(&srv->stop_grace, grace_ms < 0 ? -1 : grace_ms);
  baton__srv_wake(srv, 'S');
}

void baton_server_reload(baton_server *srv) {
  if (srv)
    baton__srv_wake(srv, 'R');
}

const char *baton_server_socket(const baton_server *srv) {
  return srv && srv->socket_path ? srv->socket_path : "";
}

const char *baton_server_errmsg(const baton_server *srv) { return srv ? srv->errmsg : ""; }

void baton__srv_reload(baton_server *srv) {
  srv_ctx *fresh = NULL;
  if (open_ctx(srv, &fresh) != BATON_OK) {
    baton__srv_log(srv, BATON_LOG_ERROR, "reload failed, keeping the old settings: %s",
                   srv->errmsg);
    return;
  }
  baton__srv_apply_settings(srv, &fresh->ctx->cfg);
  if (srv->own_socket && baton__srv_socket_modes(srv) != 0)
    baton__srv_log(srv, BATON_LOG_WARN, "cannot set the modes of %s for daemon.allow_uids",
                   srv->socket_path);
  pthread_mutex_lock(&srv->lock);
  srv_ctx *old = srv->cur;
  srv->cur = fresh;
  pthread_mutex_unlock(&srv->lock);
  baton__srv_ctx_put(srv, old);
  baton__srv_log(srv, BATON_LOG_INFO, "reloaded the configuration");
}

void baton_server_free(baton_server *srv) {
  if (!srv)
    return;
  if (srv->pools[POOL_CALLS].srv) {
    /* Runs still going (no baton_server_run, or it failed) are cancelled. */
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_mutex_unlock(&srv->lock);
    baton__srv_drop_waiting(srv);
    baton__srv_cancel_all(srv);
    while (!baton__srv_idle(srv)) {
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    baton__srv_pools_stop(srv);
  }
  for (size_t fd = 0; fd < srv->clients_cap; fd++)
    if (srv->clients[fd])
      baton__srv_client_close(srv, srv->clients[fd]);
  free(srv->clients);
  free(srv->ready);
  if (srv->reserve_fd >= 0)
    close(srv->reserve_fd);
  for (out_msg *m = srv->q_head, *next; m; m = next) {
    next = m->next;
    free(m);
  }
  if (srv->listen_fd >= 0)
    close(srv->listen_fd);
  baton__srv_unlink_socket(srv);
  if (srv->lock_fd >= 0) {
    if (srv->lock_path)
      unlink(srv->lock_path);
    close(srv->lock_fd);
  }
  if (srv->epfd >= 0)
    close(srv->epfd);
  if (srv->wake[0] >= 0)
    close(srv->wake[0]);
  if (srv->wake[1] >= 0)
    close(srv->wake[1]);
  if (srv->cur)
    baton__srv_ctx_put(srv, srv->cur);
  pthread_mutex_destroy(&srv->lock);
  pthread_mutex_destroy(&srv->qlock);
  free(srv->config_path);
  free(srv->socket_path);
  free(srv->lock_path);
  free(srv);
}
