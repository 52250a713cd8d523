/* queue_conn.c — one Redis connection for the task queue: URL, AUTH, commands, reconnecting with back-off. */
#include "runtime/queue_conn.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

#define CONNECT_TIMEOUT_MS 3000
#define COMMAND_TIMEOUT_MS 10000 /* longer than any BLOCK the queue uses */
#define MAX_CMD_ARGS 64

static int parse_tcp(baton__qconn *c, const char *rest, char *err, size_t errlen) {
  if (strchr(rest, '@')) {
    baton__fmt(err, errlen, "queue URL %s: put the password in the variable named by "
                            "queue.password_env, not in the URL", c->url);
    return -1;
  }
  const char *slash = strchr(rest, '/');
  size_t hp = slash ? (size_t)(slash - rest) : strlen(rest);
  const char *colon = memchr(rest, ':', hp);
  size_t hl = colon ? (size_t)(colon - rest) : hp;
  if (hl == 0 || hl >= sizeof c->host) {
    baton__fmt(err, errlen, "queue URL %s: no host", c->url);
    return -1;
  }
  memcpy(c->host, rest, hl);
  c->host[hl] = '\0';
  c->port = 6379;
  if (colon) {
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (end != rest + hp || p < 1 || p > 65535) {
      baton__fmt(err, errlen, "queue URL %s: the port must be 1..65535", c->url);
      return -1;
    }
    c->port = (int)p;
  }
  if (slash && slash[1]) {
    char *end = NULL;
    long db = strtol(slash + 1, &end, 10);
    if (*end || db < 0 || db > 1000) {
      baton__fmt(err, errlen, "queue URL %s: the database must be a number 0..1000", c->url);
      return -1;
    }
    c->db = (int)db;
  }
  return 0;
}

int baton__qconn_init(baton__qconn *c, const char *url, const char *password, char *err,
                      size_t errlen) {
  memset(c, 0, sizeof *c);
  if (!url || strlen(url) >= sizeof c->url) {
    baton__fmt(err, errlen, "the queue URL is missing or too long");
    return -1;
  }
  baton__fmt(c->url, sizeof c->url, "%s", url);
  if (strncmp(url, "unix://", 7) == 0) {
    const char *p = url + 7;
    if (p[0] != '/' || strlen(p) >= sizeof c->path) {
      baton__fmt(err, errlen, "queue URL %s: unix:// needs an absolute socket path", url);
      return -1;
    }
    baton__fmt(c->path, sizeof c->path, "%s", p);
  } else if (strncmp(url, "redis://", 8) == 0) {
    if (parse_tcp(c, url + 8, err, errlen) != 0)
      return -1;
  } else {
    baton__fmt(err, errlen, "queue URL %s: must be redis://HOST:PORT[/DB] or unix:///PATH", url);
    return -1;
  }
  if (password && *password && !(c->password = baton__strdup(password))) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static void drop(baton__qconn *c) {
  if (c->rc)
    redisFree(c->rc);
  c->rc = NULL;
}

/* Sends one setup command on a fresh connection; 0 when it succeeded. */
static int setup_cmd(baton__qconn *c, const char *what, int argc, const char **argv, char *err,
                     size_t errlen) {
  redisReply *r = redisCommandArgv(c->rc, argc, argv, NULL);
  if (!r || r->type == REDIS_REPLY_ERROR) {
    baton__fmt(err, errlen, "queue %s: %s failed: %s", c->url, what,
               r ? r->str : c->rc->errstr);
    if (r)
      freeReplyObject(r);
    return -1;
  }
  freeReplyObject(r);
  return 0;
}

int baton__qconn_connect(baton__qconn *c, char *err, size_t errlen) {
  drop(c);
  struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
  c->rc = c->path[0] ? redisConnectUnixWithTimeout(c->path, tv)
                     : redisConnectWithTimeout(c->host, c->port, tv);
  if (!c->rc || c->rc->err) {
    baton__fmt(err, errlen, "cannot reach the queue at %s: %s", c->url,
               c->rc ? c->rc->errstr : "out of memory");
    drop(c);
    return -1;
  }
  struct timeval ct = {COMMAND_TIMEOUT_MS / 1000, 0};
  redisSetTimeout(c->rc, ct);
  char db[16];
  baton__fmt(db, sizeof db, "%d", c->db);
  const char *auth[] = {"AUTH", c->password};
  const char *sel[] = {"SELECT", db};
  const char *ping[] = {"PING"};
  if ((c->password && setup_cmd(c, "AUTH", 2, auth, err, errlen) != 0) ||
      (c->db && setup_cmd(c, "SELECT", 2, sel, err, errlen) != 0) ||
      setup_cmd(c, "PING", 1, ping, err, errlen) != 0) {
    drop(c);
    return -1;
  }
  return 0;
}

void baton__qconn_close(baton__qconn *c) {
  drop(c);
  free(c->password);
  c->password = NULL;
}

void baton__qreply_free(struct redisReply *r) {
  if (r)
    freeReplyObject(r);
}

static bool give_up(const atomic_int *stop, int64_t deadline) {
  return (stop && atomic_load(stop)) || (deadline && baton__now_ms() >= deadline);
}

/* Sleeps up to ms in short slices, returning early when told to give up. */
static void backoff_sleep(int64_t ms, const atomic_int *stop, int64_t deadline) {
  for (int64_t until = baton__now_ms() + ms; baton__now_ms() < until;) {
    if (give_up(stop, deadline))
      return;
    usleep(20 * 1000);
  }
}

void baton__qpause(int64_t ms, const atomic_int *stop) {
  backoff_sleep(ms, stop, 0);
}

struct redisReply *baton__qconn_cmd(baton__qconn *c, int argc, const char **argv,
                                    const size_t *lens, const atomic_int *stop, int64_t deadline,
                                    char *err, size_t errlen) {
  int64_t wait = 100;
  if (c->deadline && (!deadline || c->deadline < deadline))
    deadline = c->deadline;
  for (;;) {
    if (c->rc) {
      redisReply *r = redisCommandArgv(c->rc, argc, argv, lens);
      if (r)
        return r;
      baton__fmt(err, errlen, "queue %s: %s", c->url, c->rc->errstr);
      drop(c);
    } else if (baton__qconn_connect(c, err, errlen) == 0) {
      continue;
    }
    if (give_up(stop, deadline))
      return NULL;
    backoff_sleep(wait, stop, deadline);
    wait = wait * 2 > 2000 ? 2000 : wait * 2;
  }
}

struct redisReply *baton__qconn_cmdl(baton__qconn *c, const atomic_int *stop, int64_t deadline,
                                     char *err, size_t errlen, ...) {
  const char *argv[MAX_CMD_ARGS];
  int argc = 0;
  va_list ap;
  va_start(ap, errlen);
  for (const char *a; (a = va_arg(ap, const char *)) && argc < MAX_CMD_ARGS;)
    argv[argc++] = a;
  va_end(ap);
  return baton__qconn_cmd(c, argc, argv, NULL, stop, deadline, err, errlen);
}

void baton__qhostname(char *out, size_t cap) {
  if (gethostname(out, cap) != 0 || !out[0])
    baton__fmt(out, cap, "localhost");
  out[cap - 1] = '\0';
}
