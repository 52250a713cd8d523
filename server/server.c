/* server.c — the daemon's JSON-RPC 2.0 server on a Unix socket: event loop, peer checks, methods, run streaming. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/context.h"
#include "core/banned.h"

#define N_HELPERS 4
#define MAX_ALLOW_UIDS 64
#define MAX_SUBMIT_INPUTS 256
#define READ_CHUNK 65536
#define ERR_BASE (-32000) /* project codes: ERR_BASE - baton_rc */

/* ---- types ---------------------------------------------------------------- */

/* A context and the number of users (the server itself, calls, runs). */
typedef struct srv_ctx {
  baton *ctx;
  int refs;
} srv_ctx;

/* One run submitted by a client. refs: the run's own life (1) plus loop-side
 * users such as run.cancel. */
typedef struct srun {
  struct baton_server *srv;
  srv_ctx *sc;
  uint64_t client;
  char *id_json;      /* the request id as JSON text, or NULL: no reply */
  baton_run *run;     /* set once baton_submit() returned */
  char run_id[40];
  bool submitted, done, cancel_asked;
  int refs;
  struct srun *prev, *next;
} srun;

enum { OUT_NOTIFY, OUT_REPLY };

/* A line for a client, queued by any thread, written by the loop. */
typedef struct out_msg {
  struct out_msg *next;
  uint64_t client;
  int kind;
  size_t len;
  char line[];
} out_msg;

enum { JOB_CALL, JOB_FREE_RUN };

typedef struct job {
  struct job *next;
  int kind;
  uint64_t client;
  uid_t uid;
  char *method;
  char *id_json;
  cJSON *params;
  srun *sr;
} job;

typedef struct conn {
  int fd;
  uint64_t id;
  uid_t uid;
  pid_t pid;
  char *in;
  size_t in_len, in_cap;
  bool skipping;      /* discarding the rest of an oversized line */
  baton__sb out;
  size_t out_off;
  bool dropping;      /* notifications dropped: the client reads too slowly */
  bool want_out;      /* output waits for the socket (EPOLLOUT wanted) */
  bool paused;        /* not reading its requests until it reads its output */
  uint32_t events;    /* what epoll watches now */
} conn;

typedef struct settings {
  uid_t allow[MAX_ALLOW_UIDS];
  size_t n_allow;
  long grace_ms;
  int max_clients;
  size_t max_msg;
  size_t max_out;
} settings;

struct baton_server {
  char *config_path;
  char *socket_path;
  char *lock_path;
  int lock_fd;
  int listen_fd;
  bool own_socket;
  dev_t sock_dev;
  ino_t sock_ino;
  int epfd;
  int wake[2];              /* self-pipe: 'q' queue, 'S' stop, 'R' reload */
  atomic_int wake_pending;
  atomic_int stop_grace;    /* grace asked by baton_server_stop(); INT_MIN: none */
  baton_log_fn log_fn;
  void *log_ud;
  baton_log_level log_level;
  char errmsg[512];

  pthread_mutex_t lock;     /* contexts, runs, jobs, counters */
  pthread_cond_t job_cond;
  srv_ctx *cur;
  srun *active;
  size_t n_active;
  job *job_head, *job_tail;
  int busy_helpers;
  bool helpers_quit;
  bool stopping;
  pthread_t helpers[N_HELPERS];
  int n_helpers;
  uint64_t runs_total;

  pthread_mutex_t qlock;    /* the out queue */
  out_msg *q_head, *q_tail;

  settings set;             /* loop thread only (copied for helpers under lock) */
  conn **clients;         /* by fd */
  size_t clients_cap;
  size_t n_clients;
  uint64_t next_client;
  int64_t started_ms;
};

/* ---- small helpers ---------------------------------------------------------- */

static void slog(baton_server *srv, baton_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slog(baton_server *srv, baton_log_level level, const char *fmt, ...) {
  if (!srv->log_fn || level > srv->log_level)
    return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  srv->log_fn(srv->log_ud, level, buf);
}

static baton_rc sfail(baton_server *srv, baton_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static baton_rc sfail(baton_server *srv, baton_rc rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(srv->errmsg, sizeof srv->errmsg, fmt, ap);
  va_end(ap);
  return rc;
}

/* Appends s as a JSON string literal. */
static void json_str(baton__sb *sb, const char *s) {
  baton__sb_addc(sb, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': baton__sb_adds(sb, "\\\""); break;
    case '\\': baton__sb_adds(sb, "\\\\"); break;
    case '\n': baton__sb_adds(sb, "\\n"); break;
    case '\r': baton__sb_adds(sb, "\\r"); break;
    case '\t': baton__sb_adds(sb, "\\t"); break;
    default:
      if (*p < 0x20)
        baton__sb_addf(sb, "\\u%04x", *p);
      else
        baton__sb_addc(sb, (char)*p);
    }
  }
  baton__sb_addc(sb, '"');
}

static void wake_loop(baton_server *srv, char c) {
  ssize_t w = write(srv->wake[1], &c, 1);
  (void)w; /* a full pipe already wakes the loop */
}

/* Queues a line (without the newline) for a client. Any thread. */
static void post(baton_server *srv, uint64_t client, int kind, const char *line, size_t len) {
  out_msg *m = malloc(sizeof *m + len + 2);
  if (!m)
    return;
  m->next = NULL;
  m->client = client;
  m->kind = kind;
  memcpy(m->line, line, len);
  m->line[len] = '\n';
  m->line[len + 1] = '\0';
  m->len = len + 1;
  pthread_mutex_lock(&srv->qlock);
  if (srv->q_tail)
    srv->q_tail->next = m;
  else
    srv->q_head = m;
  srv->q_tail = m;
  pthread_mutex_unlock(&srv->qlock);
  if (atomic_exchange(&srv->wake_pending, 1) == 0)
    wake_loop(srv, 'q');
}

static void post_sb(baton_server *srv, uint64_t client, int kind, baton__sb *sb) {
  if (baton__sb_ok(sb))
    post(srv, client, kind, sb->buf, sb->len);
  baton__sb_release(sb);
}

/* Sends a JSON-RPC error; id_json NULL means id null. */
static void post_error(baton_server *srv, uint64_t client, const char *id_json, int code,
                       const char *msg, int rc) {
  /* A notification (no id) gets no reply, errors included, except when it
   * could not be read as a request at all. */
  if (!id_json && code != -32700 && code != -32600)
    return;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,\"message\":",
                 id_json ? id_json : "null", code);
  json_str(&sb, msg && *msg ? msg : "error");
  if (rc > 0) {
    baton__sb_addf(&sb, ",\"data\":{\"rc\":%d,\"reason\":", rc);
    json_str(&sb, baton_strerror(rc));
    baton__sb_addc(&sb, '}');
  }
  baton__sb_adds(&sb, "}}");
  post_sb(srv, client, OUT_REPLY, &sb);
}

static void post_rc(baton_server *srv, uint64_t client, const char *id_json, baton_rc rc,
                    const char *msg) {
  post_error(srv, client, id_json, ERR_BASE - (int)rc, msg && *msg ? msg : baton_strerror(rc),
             (int)rc);
}

/* Sends {"result": raw JSON}. */
static void post_result(baton_server *srv, uint64_t client, const char *id_json, const char *raw) {
  if (!id_json)
    return;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", id_json, raw);
  post_sb(srv, client, OUT_REPLY, &sb);
}

static void parse_allow(settings *s, const char *list) {
  s->n_allow = 0;
  if (!list)
    return;
  const char *p = list;
  while (*p && s->n_allow < MAX_ALLOW_UIDS) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (!*p)
      break;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p)
      break;
    s->allow[s->n_allow++] = (uid_t)v;
    p = end;
  }
}

static void settings_from(settings *s, const baton__config *cfg) {
  parse_allow(s, cfg->daemon_allow_uids);
  s->grace_ms = cfg->daemon_grace_ms;
  s->max_clients = cfg->daemon_max_clients > 0 ? cfg->daemon_max_clients : 1024;
  s->max_msg = cfg->daemon_max_message_bytes ? cfg->daemon_max_message_bytes : 1u << 20;
  s->max_out = cfg->daemon_max_output_bytes ? cfg->daemon_max_output_bytes : 8u << 20;
}

/* ---- contexts and runs (srv->lock held where noted) ---------------------------- */

static srv_ctx *ctx_get(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  srv_ctx *sc = srv->cur;
  if (sc)
    sc->refs++;
  pthread_mutex_unlock(&srv->lock);
  return sc;
}

static void ctx_put(baton_server *srv, srv_ctx *sc) {
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

/* Drops a reference to a run; the last one frees it. Not from the run's own
 * event callback. */
static void srun_unref(baton_server *srv, srun *sr) {
  pthread_mutex_lock(&srv->lock);
  bool last = --sr->refs == 0;
  if (last) {
    if (sr->prev)
      sr->prev->next = sr->next;
    else if (srv->active == sr)
      srv->active = sr->next;
    if (sr->next)
      sr->next->prev = sr->prev;
    srv->n_active--;
  }
  pthread_mutex_unlock(&srv->lock);
  if (!last)
    return;
  baton_run_free(sr->run);
  free(sr->id_json);
  ctx_put(srv, sr->sc);
  free(sr);
  wake_loop(srv, 'q'); /* a stopping loop waits for the active list to empty */
}

static void push_job(baton_server *srv, job *j) {
  pthread_mutex_lock(&srv->lock);
  if (srv->job_tail)
    srv->job_tail->next = j;
  else
    srv->job_head = j;
  srv->job_tail = j;
  pthread_cond_signal(&srv->job_cond);
  pthread_mutex_unlock(&srv->lock);
}

static void job_free(job *j) {
  if (!j)
    return;
  free(j->method);
  free(j->id_json);
  cJSON_Delete(j->params);
  free(j);
}

/* The event callback: runs on library worker threads. It only formats and
 * queues; the loop writes. */
static void on_run_event(void *ud, const baton_event *ev) {
  srun *sr = ud;
  baton_server *srv = sr->srv;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"run_id\":");
  json_str(&sb, ev->run_id ? ev->run_id : "");
  baton__sb_adds(&sb, ",\"type\":");
  json_str(&sb, baton_event_name(ev->type));
  if (ev->task_id >= 0)
    baton__sb_addf(&sb, ",\"task_id\":%d", ev->task_id);
  if (ev->task) {
    baton__sb_adds(&sb, ",\"task\":");
    json_str(&sb, ev->task);
  }
  if (ev->model) {
    baton__sb_adds(&sb, ",\"model\":");
    json_str(&sb, ev->model);
  }
  if (ev->text) {
    baton__sb_adds(&sb, ",\"text\":");
    json_str(&sb, ev->text);
  }
  if (ev->json && ev->type != BATON_EVENT_DONE) {
    baton__sb_adds(&sb, ",\"data\":");
    baton__sb_adds(&sb, ev->json);
  }
  baton__sb_addf(&sb, ",\"ts\":%.3f}}", ev->ts);
  /* Known to run.cancel before the client can read the id. */
  if (ev->type == BATON_EVENT_PLAN && ev->run_id) {
    pthread_mutex_lock(&srv->lock);
    baton__fmt(sr->run_id, sizeof sr->run_id, "%s", ev->run_id);
    pthread_mutex_unlock(&srv->lock);
  }
  post_sb(srv, sr->client, OUT_NOTIFY, &sb);
  if (ev->type != BATON_EVENT_DONE)
    return;
  /* Done before the client can see the result (run.cancel then says "not
   * running"). sr stays valid: freeing it waits for this callback to return
   * (baton_run_free() joins the run's threads). */
  pthread_mutex_lock(&srv->lock);
  sr->done = true;
  bool submitted = sr->submitted;
  pthread_mutex_unlock(&srv->lock);
  if (sr->id_json) {
    if (ev->json)
      post_result(srv, sr->client, sr->id_json, ev->json);
    else
      post_rc(srv, sr->client, sr->id_json, BATON_NOMEM, "the run finished but its result was lost");
  }
  if (submitted) {
    job *j = calloc(1, sizeof *j);
    if (j) {
      j->kind = JOB_FREE_RUN;
      j->sr = sr;
      push_job(srv, j);
    }
  }
}

/* ---- methods run on helper threads ----------------------------------------------- */

static const cJSON *param(const cJSON *params, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(params, name);
}

/* Reads an optional string parameter; false (and an error sent) when the
 * member exists with another type. */
static bool opt_str(baton_server *srv, const job *j, const char *name, const char **out) {
  const cJSON *v = param(j->params, name);
  *out = NULL;
  if (!v || cJSON_IsNull(v))
    return true;
  if (!cJSON_IsString(v)) {
    char msg[128];
    baton__fmt(msg, sizeof msg, "'%s' must be a string", name);
    post_error(srv, j->client, j->id_json, -32602, msg, 0);
    return false;
  }
  *out = v->valuestring;
  return true;
}

static bool opt_int(baton_server *srv, const job *j, const char *name, int lo, int hi, int *out) {
  const cJSON *v = param(j->params, name);
  if (!v || cJSON_IsNull(v))
    return true;
  if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
      v->valuedouble != (double)(int)v->valuedouble) {
    char msg[128];
    baton__fmt(msg, sizeof msg, "'%s' must be a whole number from %d to %d", name, lo, hi);
    post_error(srv, j->client, j->id_json, -32602, msg, 0);
    return false;
  }
  *out = (int)v->valuedouble;
  return true;
}

static void bad_params(baton_server *srv, const job *j, const char *msg) {
  post_error(srv, j->client, j->id_json, -32602, msg, 0);
}

/* Replies with a library call's JSON, or its error. */
static void reply_json(baton_server *srv, const job *j, srv_ctx *sc, baton_rc rc, char *json) {
  if (rc == BATON_OK && json) {
    post_result(srv, j->client, j->id_json, json);
  } else {
    char msg[1024];
    baton__fmt(msg, sizeof msg, "%s", baton_errmsg(sc->ctx));
    post_rc(srv, j->client, j->id_json, rc == BATON_OK ? BATON_ERROR : rc, msg);
  }
  baton_free(json);
}

/* Common request parameters of submit and plan. Fills req; *plan_buf and
 * *msgs_buf receive text to free with cJSON_free(). false when a reply was
 * sent already. */
static bool request_params(baton_server *srv, const job *j, baton_request *req,
                           const char **inputs, char **plan_buf, char **msgs_buf) {
  const cJSON *p = j->params;
  const char *text = NULL, *cwd = NULL;
  if (!opt_str(srv, j, "request", &text) || !opt_str(srv, j, "cwd", &cwd))
    return false;
  req->text = text;
  const cJSON *plan = param(p, "plan");
  if (plan && !cJSON_IsNull(plan)) {
    if (cJSON_IsString(plan)) {
      req->plan_json = plan->valuestring;
    } else if (cJSON_IsArray(plan) || cJSON_IsObject(plan)) {
      *plan_buf = cJSON_PrintUnformatted(plan);
      req->plan_json = *plan_buf;
    } else {
      bad_params(srv, j, "'plan' must be a task graph: a JSON array, or JSON text");
      return false;
    }
  }
  if (!req->text && !req->plan_json) {
    bad_params(srv, j, "give 'request' (text) or 'plan' (a task graph)");
    return false;
  }
  if (req->text && req->plan_json) {
    bad_params(srv, j, "give either 'request' or 'plan', not both");
    return false;
  }
  const cJSON *msgs = param(p, "messages");
  if (msgs && !cJSON_IsNull(msgs)) {
    if (!cJSON_IsArray(msgs)) {
      bad_params(srv, j, "'messages' must be an array of {role, content} objects");
      return false;
    }
    *msgs_buf = cJSON_PrintUnformatted(msgs);
    req->messages = *msgs_buf;
  }
  const cJSON *off = param(p, "offline");
  if (off && !cJSON_IsNull(off)) {
    if (!cJSON_IsBool(off)) {
      bad_params(srv, j, "'offline' must be true or false");
      return false;
    }
    req->offline = cJSON_IsTrue(off);
  }
  const cJSON *ins = param(p, "inputs");
  if (ins && !cJSON_IsNull(ins)) {
    if (!cJSON_IsArray(ins) || cJSON_GetArraySize(ins) > MAX_SUBMIT_INPUTS) {
      bad_params(srv, j, "'inputs' must be an array of at most 256 file paths");
      return false;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, ins) {
      if (!cJSON_IsString(it) || !it->valuestring[0]) {
        bad_params(srv, j, "'inputs' items must be file paths");
        return false;
      }
      inputs[req->n_inputs++] = it->valuestring;
    }
    req->inputs = inputs;
  }
  if (cwd) {
    struct stat st;
    if (cwd[0] != '/' || stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
      bad_params(srv, j, "'cwd' must be the absolute path of an existing folder");
      return false;
    }
    /* Another user may only name a folder of its own. */
    if (j->uid != geteuid() && st.st_uid != j->uid) {
      post_rc(srv, j->client, j->id_json, BATON_DENIED, "'cwd' is not a folder of the caller");
      return false;
    }
    req->input_root = cwd;
  } else if (j->uid != geteuid() && req->n_inputs) {
    post_rc(srv, j->client, j->id_json, BATON_DENIED, "inputs from another user need 'cwd'");
    return false;
  }
  return true;
}

static void m_submit(baton_server *srv, const job *j, srv_ctx *sc) {
  baton_request req = {0};
  const char *inputs[MAX_SUBMIT_INPUTS];
  char *plan_buf = NULL, *msgs_buf = NULL;
  if (!request_params(srv, j, &req, inputs, &plan_buf, &msgs_buf))
    goto out;
  srun *sr = calloc(1, sizeof *sr);
  if (!sr || (j->id_json && !(sr->id_json = baton__strdup(j->id_json)))) {
    free(sr);
    post_rc(srv, j->client, j->id_json, BATON_NOMEM, NULL);
    goto out;
  }
  sr->srv = srv;
  sr->client = j->client;
  sr->refs = 1;
  pthread_mutex_lock(&srv->lock);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->lock);
    free(sr->id_json);
    free(sr);
    post_rc(srv, j->client, j->id_json, BATON_BUSY, "the daemon is shutting down");
    goto out;
  }
  sc->refs++;
  sr->sc = sc;
  sr->next = srv->active;
  if (srv->active)
    srv->active->prev = sr;
  srv->active = sr;
  srv->n_active++;
  srv->runs_total++;
  pthread_mutex_unlock(&srv->lock);

  baton_run *run = NULL;
  baton_rc rc = baton_submit(sc->ctx, &req, on_run_event, sr, &run);
  if (rc != BATON_OK) {
    char msg[1024];
    baton__fmt(msg, sizeof msg, "%s", baton_errmsg(sc->ctx));
    post_rc(srv, j->client, j->id_json, rc, msg);
    srun_unref(srv, sr);
    goto out;
  }
  pthread_mutex_lock(&srv->lock);
  sr->run = run;
  sr->submitted = true;
  baton__fmt(sr->run_id, sizeof sr->run_id, "%s", baton_run_id(run));
  bool done = sr->done, cancel = sr->cancel_asked;
  pthread_mutex_unlock(&srv->lock);
  if (cancel)
    baton_run_cancel(run);
  if (done)
    srun_unref(srv, sr);
out:
  cJSON_free(plan_buf);
  cJSON_free(msgs_buf);
}

static void m_plan(baton_server *srv, const job *j, srv_ctx *sc) {
  baton_request req = {0};
  const char *inputs[MAX_SUBMIT_INPUTS];
  char *plan_buf = NULL, *msgs_buf = NULL;
  if (request_params(srv, j, &req, inputs, &plan_buf, &msgs_buf)) {
    char *json = NULL;
    baton_rc rc = baton_plan(sc->ctx, &req, &json);
    reply_json(srv, j, sc, rc, json);
  }
  cJSON_free(plan_buf);
  cJSON_free(msgs_buf);
}

static void m_run_get(baton_server *srv, const job *j, srv_ctx *sc) {
  const char *id = NULL;
  if (!opt_str(srv, j, "run_id", &id))
    return;
  if (!id || !*id) {
    bad_params(srv, j, "'run_id' is required");
    return;
  }
  char *json = NULL;
  baton_rc rc = baton_run_get(sc->ctx, id, &json);
  reply_json(srv, j, sc, rc, json);
}

static void m_runs_list(baton_server *srv, const job *j, srv_ctx *sc) {
  int limit = 0;
  if (!opt_int(srv, j, "limit", 0, 100000, &limit))
    return;
  char *json = NULL;
  baton_rc rc = baton_runs_list(sc->ctx, limit, &json);
  reply_json(srv, j, sc, rc, json);
}

static void m_models(baton_server *srv, const job *j, srv_ctx *sc, bool search) {
  const char *text = NULL, *task = NULL;
  int limit = 0;
  if (!opt_str(srv, j, "text", &text) || !opt_str(srv, j, "task", &task) ||
      !opt_int(srv, j, "limit", 0, 1000000, &limit))
    return;
  if (search && (!text || !*text)) {
    bad_params(srv, j, "'text' is required");
    return;
  }
  char *json = NULL;
  baton_rc rc = search ? baton_models_search(sc->ctx, text, task, limit > 0 ? limit : 10, &json)
                       : baton_models_list(sc->ctx, task, limit, &json);
  reply_json(srv, j, sc, rc, json);
}

static void m_executors(baton_server *srv, const job *j, srv_ctx *sc) {
  char *json = NULL;
  baton_rc rc = baton_executors_json(sc->ctx, &json);
  reply_json(srv, j, sc, rc, json);
}

static void run_call(baton_server *srv, job *j) {
  srv_ctx *sc = ctx_get(srv);
  if (!sc) {
    post_rc(srv, j->client, j->id_json, BATON_BUSY, "the daemon is shutting down");
    return;
  }
  const char *m = j->method;
  if (!strcmp(m, "submit"))
    m_submit(srv, j, sc);
  else if (!strcmp(m, "plan"))
    m_plan(srv, j, sc);
  else if (!strcmp(m, "run.get"))
    m_run_get(srv, j, sc);
  else if (!strcmp(m, "runs.list"))
    m_runs_list(srv, j, sc);
  else if (!strcmp(m, "models.search"))
    m_models(srv, j, sc, true);
  else if (!strcmp(m, "models.list"))
    m_models(srv, j, sc, false);
  else if (!strcmp(m, "executors.list"))
    m_executors(srv, j, sc);
  ctx_put(srv, sc);
}

static void *helper_main(void *arg) {
  baton_server *srv = arg;
  for (;;) {
    pthread_mutex_lock(&srv->lock);
    while (!srv->job_head && !srv->helpers_quit)
      pthread_cond_wait(&srv->job_cond, &srv->lock);
    job *j = srv->job_head;
    if (!j) {
      pthread_mutex_unlock(&srv->lock);
      return NULL;
    }
    srv->job_head = j->next;
    if (!srv->job_head)
      srv->job_tail = NULL;
    srv->busy_helpers++;
    pthread_mutex_unlock(&srv->lock);
    if (j->kind == JOB_FREE_RUN)
      srun_unref(srv, j->sr);
    else
      run_call(srv, j);
    job_free(j);
    pthread_mutex_lock(&srv->lock);
    srv->busy_helpers--;
    pthread_mutex_unlock(&srv->lock);
    wake_loop(srv, 'q');
  }
}

/* ---- methods answered on the loop thread ------------------------------------------- */

static void m_health(baton_server *srv, uint64_t client, const char *id_json) {
  pthread_mutex_lock(&srv->lock);
  size_t active = srv->n_active;
  uint64_t total = srv->runs_total;
  size_t queued = 0;
  for (job *j = srv->job_head; j; j = j->next)
    queued++;
  pthread_mutex_unlock(&srv->lock);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb,
                 "{\"status\":\"ok\",\"version\":\"%s\",\"pid\":%ld,\"uptime_ms\":%lld,"
                 "\"clients\":%zu,\"runs_active\":%zu,\"runs_total\":%llu,\"queued\":%zu,"
                 "\"socket\":",
                 baton_version(), (long)getpid(), (long long)(baton__now_ms() - srv->started_ms),
                 srv->n_clients, active, (unsigned long long)total, queued);
  json_str(&sb, srv->socket_path);
  baton__sb_addc(&sb, '}');
  if (baton__sb_ok(&sb))
    post_result(srv, client, id_json, sb.buf);
  baton__sb_release(&sb);
}

static void m_cancel(baton_server *srv, uint64_t client, const char *id_json, const cJSON *params) {
  const cJSON *rid = cJSON_GetObjectItemCaseSensitive(params, "run_id");
  if (!cJSON_IsString(rid) || !rid->valuestring[0]) {
    post_error(srv, client, id_json, -32602, "'run_id' is required", 0);
    return;
  }
  pthread_mutex_lock(&srv->lock);
  srun *sr = srv->active;
  while (sr && strcmp(sr->run_id, rid->valuestring) != 0)
    sr = sr->next;
  baton_run *run = NULL;
  if (sr && sr->done)
    sr = NULL; /* finished; only waiting to be freed */
  if (sr) {
    sr->cancel_asked = true;
    if (sr->submitted) {
      run = sr->run;
      sr->refs++;
    }
  }
  pthread_mutex_unlock(&srv->lock);
  if (!sr) {
    /* Finished or unknown: say which. */
    srv_ctx *sc = ctx_get(srv);
    char *json = NULL;
    baton_rc rc = sc ? baton_run_get(sc->ctx, rid->valuestring, &json) : BATON_NOTFOUND;
    baton_free(json);
    ctx_put(srv, sc);
    char msg[160];
    if (rc == BATON_OK)
      baton__fmt(msg, sizeof msg, "run %s is not running", rid->valuestring);
    else
      baton__fmt(msg, sizeof msg, "no run %s", rid->valuestring);
    post_rc(srv, client, id_json, rc == BATON_OK ? BATON_INVALID : BATON_NOTFOUND, msg);
    return;
  }
  if (run) {
    baton_run_cancel(run);
    srun_unref(srv, sr);
  }
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"run_id\":");
  json_str(&sb, rid->valuestring);
  baton__sb_adds(&sb, ",\"cancelling\":true}");
  if (baton__sb_ok(&sb))
    post_result(srv, client, id_json, sb.buf);
  baton__sb_release(&sb);
}

/* ---- clients ------------------------------------------------------------------------- */

static conn *client_by_id(baton_server *srv, uint64_t id) {
  size_t fd = (size_t)(id & 0xffffffu);
  if (fd >= srv->clients_cap || !srv->clients[fd] || srv->clients[fd]->id != id)
    return NULL;
  return srv->clients[fd];
}

static void client_close(baton_server *srv, conn *c) {
  epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  srv->clients[c->fd] = NULL;
  srv->n_clients--;
  free(c->in);
  baton__sb_release(&c->out);
  free(c);
}

/* Watches what the client's state needs: its requests unless its unsent
 * output is past the bound (backpressure: a client that does not read cannot
 * pile up more work), and writability while output waits. */
static void arm(baton_server *srv, conn *c) {
  c->paused = c->out.len - c->out_off > srv->set.max_out;
  uint32_t want = (c->paused ? 0 : EPOLLIN | EPOLLRDHUP) | (c->want_out ? EPOLLOUT : 0);
  if (want == c->events)
    return;
  struct epoll_event ev = {.events = want, .data.fd = c->fd};
  epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

/* Writes what the client can take. false when the client is gone (closed). */
static bool client_flush(baton_server *srv, conn *c) {
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
      arm(srv, c);
      return true;
    }
    client_close(srv, c);
    return false;
  }
  baton__sb_reset(&c->out);
  c->out_off = 0;
  c->dropping = false;
  c->want_out = false;
  arm(srv, c);
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
   * is past the bound (see arm()), so they stay few. */
  if (c->out_off > 0 && c->out_off >= c->out.len / 2) {
    memmove(c->out.buf, c->out.buf + c->out_off, c->out.len - c->out_off);
    c->out.len -= c->out_off;
    c->out.buf[c->out.len] = '\0';
    c->out_off = 0;
  }
  baton__sb_add(&c->out, m->line, m->len);
  if (c->want_out)
    arm(srv, c); /* the flush that updates it waits for EPOLLOUT */
}

/* Moves queued lines to their clients and writes. */
static void drain_queue(baton_server *srv) {
  atomic_store(&srv->wake_pending, 0);
  pthread_mutex_lock(&srv->qlock);
  out_msg *m = srv->q_head;
  srv->q_head = srv->q_tail = NULL;
  pthread_mutex_unlock(&srv->qlock);
  /* Flush each touched client once, after its lines are in (by id: a
   * client may be disconnected on the way). */
  uint64_t touched[256];
  size_t n_touched = 0;
  while (m) {
    out_msg *next = m->next;
    conn *c = client_by_id(srv, m->client);
    if (c) {
      client_queue(srv, c, m);
      bool seen = false;
      for (size_t i = 0; i < n_touched; i++)
        seen |= touched[i] == m->client;
      if (!seen) {
        if (n_touched == sizeof touched / sizeof touched[0]) {
          for (size_t i = 0; i < n_touched; i++)
            if ((c = client_by_id(srv, touched[i])) && !c->want_out)
              client_flush(srv, c);
          n_touched = 0;
        }
        touched[n_touched++] = m->client;
      }
    }
    free(m);
    m = next;
  }
  for (size_t i = 0; i < n_touched; i++) {
    conn *c = client_by_id(srv, touched[i]);
    if (c && !c->want_out)
      client_flush(srv, c);
  }
}

static bool peer_allowed(const baton_server *srv, uid_t uid) {
  if (uid == geteuid())
    return true;
  for (size_t i = 0; i < srv->set.n_allow; i++)
    if (srv->set.allow[i] == uid)
      return true;
  return false;
}

/* Refuses a connection with one error line (best effort). */
static void refuse(int fd, baton_rc rc, const char *why) {
  char line[512];
  baton__fmt(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\"}}\n",
             ERR_BASE - (int)rc, why);
  ssize_t w = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)w;
  close(fd);
}

static void accept_clients(baton_server *srv) {
  for (;;) {
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        slog(srv, BATON_LOG_WARN, "accept: %s", strerror(errno));
      return;
    }
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      close(fd);
      continue;
    }
    if (!peer_allowed(srv, cred.uid)) {
      slog(srv, BATON_LOG_WARN, "refused a connection from uid %u (pid %ld)", (unsigned)cred.uid,
           (long)cred.pid);
      refuse(fd, BATON_DENIED, "access denied: this daemon serves its own user (see daemon.allow_uids)");
      continue;
    }
    if ((int)srv->n_clients >= srv->set.max_clients || fd > 0xffffff) {
      refuse(fd, BATON_BUSY, "too many clients");
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

static const char *const loop_methods[] = {"health", "run.cancel"};
static const char *const job_methods[] = {"submit",        "plan",        "run.get",
                                          "runs.list",     "models.search", "models.list",
                                          "executors.list"};

/* Handles one request line. */
static void handle_line(baton_server *srv, conn *c, const char *line, size_t len) {
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  if (len == 0)
    return;
  cJSON *msg = cJSON_ParseWithLength(line, len);
  if (!msg) {
    post_error(srv, c->id, NULL, -32700, "parse error: not valid JSON", 0);
    return;
  }
  char *id_json = NULL;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  if (cJSON_IsObject(msg) && id && (cJSON_IsString(id) || cJSON_IsNumber(id) || cJSON_IsNull(id)))
    id_json = cJSON_PrintUnformatted(id);
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  if (!cJSON_IsObject(msg)) {
    post_error(srv, c->id, NULL, -32600,
               cJSON_IsArray(msg) ? "invalid request: batches are not supported"
                                  : "invalid request: expected a JSON object",
               0);
    goto out;
  }
  if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0 || !cJSON_IsString(method) ||
      (id && !id_json)) {
    post_error(srv, c->id, id_json, -32600,
               "invalid request: needs \"jsonrpc\":\"2.0\", a string \"method\" and an id that "
               "is a string, number or null",
               0);
    goto out;
  }
  if (params && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
    post_error(srv, c->id, id_json, -32602, "invalid params: 'params' must be an object", 0);
    goto out;
  }
  const char *m = method->valuestring;
  bool known = false;
  for (size_t i = 0; i < sizeof job_methods / sizeof job_methods[0]; i++)
    known |= strcmp(m, job_methods[i]) == 0;
  if (!strcmp(m, loop_methods[0])) {
    m_health(srv, c->id, id_json);
    goto out;
  }
  if (!strcmp(m, loop_methods[1])) {
    m_cancel(srv, c->id, id_json, params);
    goto out;
  }
  if (!known) {
    char txt[160];
    baton__fmt(txt, sizeof txt, "method not found: '%.100s'", m);
    post_error(srv, c->id, id_json, -32601, txt, 0);
    goto out;
  }
  job *j = calloc(1, sizeof *j);
  if (!j || !(j->method = baton__strdup(m))) {
    free(j);
    post_rc(srv, c->id, id_json, BATON_NOMEM, NULL);
    goto out;
  }
  j->kind = JOB_CALL;
  j->client = c->id;
  j->uid = c->uid;
  j->id_json = id_json;
  id_json = NULL;
  if (params && cJSON_IsObject(params)) {
    cJSON_DetachItemViaPointer(msg, params);
    j->params = params;
  } else {
    j->params = cJSON_CreateObject();
  }
  push_job(srv, j);
out:
  cJSON_free(id_json);
  cJSON_Delete(msg);
}

static void too_long(baton_server *srv, uint64_t client, size_t max) {
  char txt[128];
  baton__fmt(txt, sizeof txt, "invalid request: a message is larger than %zu bytes", max);
  post_error(srv, client, NULL, -32600, txt, 0);
}

/* Reads what a client sent and handles complete lines. */
static void client_read(baton_server *srv, conn *c) {
  uint64_t cid = c->id;
  for (;;) {
    if (c->in_cap - c->in_len < READ_CHUNK) {
      size_t cap = c->in_len + READ_CHUNK + 1;
      char *n = realloc(c->in, cap);
      if (!n) {
        client_close(srv, c);
        return;
      }
      c->in = n;
      c->in_cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, READ_CHUNK, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (r <= 0) {
      client_close(srv, c);
      return;
    }
    size_t start = 0, scan = c->in_len;
    c->in_len += (size_t)r;
    for (size_t i = scan; i < c->in_len; i++) {
      if (c->in[i] != '\n')
        continue;
      if (c->skipping)
        c->skipping = false;
      else if (i - start > srv->set.max_msg)
        too_long(srv, cid, srv->set.max_msg);
      else
        handle_line(srv, c, c->in + start, i - start);
      start = i + 1;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->in_len > srv->set.max_msg) {
      if (!c->skipping)
        too_long(srv, cid, srv->set.max_msg);
      c->skipping = true;
      c->in_len = 0;
    }
    if (c->in_cap > 4 * READ_CHUNK && c->in_len < READ_CHUNK) {
      char *n = realloc(c->in, READ_CHUNK + 1);
      if (n) {
        c->in = n;
        c->in_cap = READ_CHUNK + 1;
      }
    }
  }
}

/* ---- the socket ------------------------------------------------------------------------ */

static baton_rc bind_socket(baton_server *srv) {
  const char *path = srv->socket_path;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return sfail(srv, BATON_CONFIG, "the socket path %s is longer than %zu bytes", path,
                 sizeof sa.sun_path - 1);
  memcpy(sa.sun_path, path, strlen(path) + 1);
  char *dir = baton__strdup(path);
  if (!dir)
    return sfail(srv, BATON_NOMEM, "out of memory");
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
  } else {
    free(dir);
    dir = baton__strdup(slash ? "/" : ".");
    if (!dir)
      return sfail(srv, BATON_NOMEM, "out of memory");
  }
  struct stat st;
  if (stat(dir, &st) != 0 && baton__mkdirs(dir, 0700) != 0) {
    baton_rc rc = sfail(srv, BATON_IO, "cannot create the socket folder %s: %s", dir, strerror(errno));
    free(dir);
    return rc;
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    baton_rc rc = sfail(srv, BATON_IO, "the socket folder %s is not a folder", dir);
    free(dir);
    return rc;
  }
  if (st.st_uid != geteuid() || (st.st_mode & 0077)) {
    baton_rc rc = sfail(srv, BATON_DENIED,
                        "the socket folder %s must belong to this user with mode 0700 "
                        "(it is %04o, owner uid %u)",
                        dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    free(dir);
    return rc;
  }
  free(dir);

  /* One daemon per socket: a lock held for the daemon's life. */
  baton__sb lp;
  baton__sb_init(&lp);
  baton__sb_addf(&lp, "%s.lock", path);
  srv->lock_path = baton__sb_detach(&lp);
  if (!srv->lock_path)
    return sfail(srv, BATON_NOMEM, "out of memory");
  srv->lock_fd = open(srv->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (srv->lock_fd < 0)
    return sfail(srv, BATON_IO, "cannot open %s: %s", srv->lock_path, strerror(errno));
  if (flock(srv->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return sfail(srv, BATON_BUSY, "another batond is already serving %s", path);

  struct stat ls;
  if (lstat(path, &ls) == 0) {
    if (!S_ISSOCK(ls.st_mode))
      return sfail(srv, BATON_IO, "%s exists and is not a socket", path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
      close(probe);
      return sfail(srv, BATON_BUSY, "another daemon is answering on %s", path);
    }
    if (probe >= 0)
      close(probe);
    slog(srv, BATON_LOG_INFO, "replacing the stale socket %s", path);
    if (unlink(path) != 0 && errno != ENOENT)
      return sfail(srv, BATON_IO, "cannot remove the stale socket %s: %s", path, strerror(errno));
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sfail(srv, BATON_IO, "socket: %s", strerror(errno));
  srv->listen_fd = fd;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    return sfail(srv, BATON_IO, "cannot bind %s: %s", path, strerror(errno));
  srv->own_socket = true;
  if (chmod(path, 0600) != 0 || listen(fd, SOMAXCONN) != 0)
    return sfail(srv, BATON_IO, "cannot listen on %s: %s", path, strerror(errno));
  if (stat(path, &ls) == 0) {
    srv->sock_dev = ls.st_dev;
    srv->sock_ino = ls.st_ino;
  }
  return BATON_OK;
}

static void unlink_socket(baton_server *srv) {
  if (!srv->own_socket)
    return;
  struct stat st;
  if (stat(srv->socket_path, &st) == 0 && st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
    unlink(srv->socket_path);
  srv->own_socket = false;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

baton_rc baton_socket_path(const char *config_path, char **path_out) {
  if (!path_out)
    return BATON_INVALID;
  *path_out = NULL;
  baton__config cfg;
  char err[512];
  if (baton__config_load(&cfg, config_path, err, sizeof err) != 0) {
    baton__config_release(&cfg);
    *path_out = baton__strdup(err);
    return BATON_CONFIG;
  }
  *path_out = baton__strdup(cfg.socket_path);
  baton__config_release(&cfg);
  return *path_out ? BATON_OK : BATON_NOMEM;
}

static baton_rc open_ctx(baton_server *srv, srv_ctx **out) {
  *out = NULL;
  baton *ctx = NULL;
  baton_rc rc = baton_open(srv->config_path, &ctx);
  if (rc != BATON_OK) {
    sfail(srv, rc, "%s", ctx ? baton_errmsg(ctx) : baton_strerror(rc));
    baton_close(ctx);
    return rc;
  }
  if (srv->log_fn)
    baton_set_log(ctx, srv->log_level, srv->log_fn, srv->log_ud);
  srv_ctx *sc = calloc(1, sizeof *sc);
  if (!sc) {
    baton_close(ctx);
    return sfail(srv, BATON_NOMEM, "out of memory");
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
  baton_server_options none = {0};
  if (!opts)
    opts = &none;
  baton_server *srv = calloc(1, sizeof *srv);
  if (!srv)
    return BATON_NOMEM;
  *out = srv;
  srv->started_ms = baton__now_ms();
  srv->listen_fd = srv->lock_fd = srv->epfd = srv->wake[0] = srv->wake[1] = -1;
  pthread_mutex_init(&srv->lock, NULL);
  pthread_mutex_init(&srv->qlock, NULL);
  pthread_cond_init(&srv->job_cond, NULL);
  atomic_init(&srv->wake_pending, 0);
  atomic_init(&srv->stop_grace, INT_MIN);
  srv->log_fn = opts->log_fn;
  srv->log_ud = opts->log_userdata;
  srv->log_level = opts->log_level;
  if (opts->config_path && !(srv->config_path = baton__strdup(opts->config_path)))
    return sfail(srv, BATON_NOMEM, "out of memory");
  if (pipe2(srv->wake, O_NONBLOCK | O_CLOEXEC) != 0)
    return sfail(srv, BATON_IO, "pipe: %s", strerror(errno));
  baton_rc rc = open_ctx(srv, &srv->cur);
  if (rc != BATON_OK)
    return rc;
  settings_from(&srv->set, &srv->cur->ctx->cfg);
  srv->socket_path = baton__strdup(opts->socket_path ? opts->socket_path
                                                     : srv->cur->ctx->cfg.socket_path);
  if (!srv->socket_path)
    return sfail(srv, BATON_NOMEM, "out of memory");
  if (opts->listen_fd > 0) {
    srv->listen_fd = opts->listen_fd;
    int fl = fcntl(srv->listen_fd, F_GETFL);
    if (fl < 0 || fcntl(srv->listen_fd, F_SETFL, fl | O_NONBLOCK) != 0)
      return sfail(srv, BATON_IO, "the listening socket given is unusable: %s", strerror(errno));
  } else if ((rc = bind_socket(srv)) != BATON_OK) {
    return rc;
  }
  srv->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (srv->epfd < 0)
    return sfail(srv, BATON_IO, "epoll: %s", strerror(errno));
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = srv->listen_fd};
  struct epoll_event wev = {.events = EPOLLIN, .data.fd = srv->wake[0]};
  if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) != 0 ||
      epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wake[0], &wev) != 0)
    return sfail(srv, BATON_IO, "epoll: %s", strerror(errno));
  for (int i = 0; i < N_HELPERS; i++) {
    if (baton__thread_start(&srv->helpers[i], helper_main, srv) != 0)
      break;
    srv->n_helpers++;
  }
  if (srv->n_helpers == 0)
    return sfail(srv, BATON_ERROR, "cannot start the server's threads");
  slog(srv, BATON_LOG_INFO, "serving %s", srv->socket_path);
  return BATON_OK;
}

void baton_server_stop(baton_server *srv, int grace_ms) {
  if (!srv)
    return;
  atomic_store(&srv->stop_grace, grace_ms < 0 ? -1 : grace_ms);
  wake_loop(srv, 'S');
}

void baton_server_reload(baton_server *srv) {
  if (srv)
    wake_loop(srv, 'R');
}

const char *baton_server_socket(const baton_server *srv) {
  return srv && srv->socket_path ? srv->socket_path : "";
}

const char *baton_server_errmsg(const baton_server *srv) { return srv ? srv->errmsg : ""; }

static void do_reload(baton_server *srv) {
  srv_ctx *fresh = NULL;
  if (open_ctx(srv, &fresh) != BATON_OK) {
    slog(srv, BATON_LOG_ERROR, "reload failed, keeping the old settings: %s", srv->errmsg);
    return;
  }
  settings_from(&srv->set, &fresh->ctx->cfg);
  pthread_mutex_lock(&srv->lock);
  srv_ctx *old = srv->cur;
  srv->cur = fresh;
  pthread_mutex_unlock(&srv->lock);
  ctx_put(srv, old);
  slog(srv, BATON_LOG_INFO, "reloaded the configuration");
}

/* Cancels every active run (the end of the grace period). */
static void cancel_all(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  size_t n = 0;
  for (srun *sr = srv->active; sr; sr = sr->next)
    n++;
  srun **list = calloc(n ? n : 1, sizeof *list);
  size_t k = 0;
  for (srun *sr = srv->active; sr; sr = sr->next) {
    sr->cancel_asked = true;
    if (list && sr->submitted) {
      sr->refs++;
      list[k++] = sr;
    }
  }
  pthread_mutex_unlock(&srv->lock);
  for (size_t i = 0; i < k; i++)
    baton_run_cancel(list[i]->run);
  for (size_t i = 0; i < k; i++)
    srun_unref(srv, list[i]);
  free(list);
}

static bool stop_done(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  bool idle = srv->n_active == 0 && !srv->job_head && srv->busy_helpers == 0;
  pthread_mutex_unlock(&srv->lock);
  return idle;
}

/* Writes what is left for clients, for at most ms. */
static void final_flush(baton_server *srv, int ms) {
  int64_t end = baton__now_ms() + ms;
  drain_queue(srv);
  for (;;) {
    bool pending = false;
    for (size_t fd = 0; fd < srv->clients_cap; fd++) {
      conn *c = srv->clients[fd];
      if (c && c->out_off < c->out.len && client_flush(srv, c) && srv->clients[fd] &&
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
      sfail(srv, BATON_ERROR, "epoll_wait: %s", strerror(errno));
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
          accept_clients(srv);
      } else if ((size_t)fd < srv->clients_cap && srv->clients[fd]) {
        conn *c = srv->clients[fd];
        if (evs[i].events & EPOLLOUT) {
          if (!client_flush(srv, c))
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
          client_read(srv, c);
      }
    }
    if (reload)
      do_reload(srv);
    drain_queue(srv);
    int grace = atomic_load(&srv->stop_grace);
    if (!stopping && grace != INT_MIN) {
      stopping = true;
      pthread_mutex_lock(&srv->lock);
      srv->stopping = true;
      pthread_mutex_unlock(&srv->lock);
      epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
      close(srv->listen_fd);
      srv->listen_fd = -1;
      unlink_socket(srv);
      long g = grace < 0 ? srv->set.grace_ms : grace;
      deadline = baton__now_ms() + g;
      slog(srv, BATON_LOG_INFO, "stopping: %zu run(s) in flight, %ld ms grace", srv->n_active, g);
    }
    if (stopping) {
      if (stop_done(srv))
        break;
      if (!cancelled && baton__now_ms() >= deadline) {
        slog(srv, BATON_LOG_INFO, "grace period over: cancelling the runs left");
        cancel_all(srv);
        cancelled = true;
      }
    }
  }
  final_flush(srv, 1000);
  return BATON_OK;
}

void baton_server_free(baton_server *srv) {
  if (!srv)
    return;
  if (srv->n_helpers) {
    /* Runs still going (no baton_server_run, or it failed) are cancelled. */
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_mutex_unlock(&srv->lock);
    cancel_all(srv);
    while (!stop_done(srv)) {
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&srv->lock);
    srv->helpers_quit = true;
    pthread_cond_broadcast(&srv->job_cond);
    pthread_mutex_unlock(&srv->lock);
    for (int i = 0; i < srv->n_helpers; i++)
      pthread_join(srv->helpers[i], NULL);
  }
  for (size_t fd = 0; fd < srv->clients_cap; fd++)
    if (srv->clients[fd])
      client_close(srv, srv->clients[fd]);
  free(srv->clients);
  for (out_msg *m = srv->q_head, *next; m; m = next) {
    next = m->next;
    free(m);
  }
  for (job *j = srv->job_head, *next; j; j = next) {
    next = j->next;
    job_free(j);
  }
  if (srv->listen_fd >= 0)
    close(srv->listen_fd);
  unlink_socket(srv);
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
    ctx_put(srv, srv->cur);
  pthread_mutex_destroy(&srv->lock);
  pthread_mutex_destroy(&srv->qlock);
  pthread_cond_destroy(&srv->job_cond);
  free(srv->config_path);
  free(srv->socket_path);
  free(srv->lock_path);
  free(srv);
}
