/* queue.c — the coordinator's side of the task queue: sending local tasks to baton-workers and taking their results. */
#include "runtime/queue.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/queue_proto.h"
#include "core/banned.h"

#define MAX_IDLE_CONNS 16
#define WORKERS_CACHE_MS 250
#define RESULT_POLL_MS 1000

typedef struct waiter {
  char key[192];
  bool arrived;
  char *data;          /* the result the notice carried (malloc'd), or NULL */
  struct waiter *next;
} waiter;

#define MAX_ENSURED 256 /* streams whose consumer group this process made sure of */

struct baton__queue {
  const baton__config *cfg;
  char url[512];
  char *password;
  char reply[192];              /* this coordinator's reply stream */
  pthread_mutex_t lock;         /* guards everything below */
  pthread_cond_t cond;
  baton__qconn *idle[MAX_IDLE_CONNS];
  size_t n_idle;
  waiter *waiters;
  cJSON *workers;               /* cached live workers */
  int64_t workers_at;
  char *ensured[MAX_ENSURED];
  size_t n_ensured;
  baton__qconn rd;              /* the reader's own connection */
  pthread_t reader;
  bool reader_started;
  atomic_int stop;
};

/* ---- connections --------------------------------------------------------- */

static baton__qconn *conn_take(baton__queue *q, char *err, size_t errlen) {
  pthread_mutex_lock(&q->lock);
  baton__qconn *c = q->n_idle ? q->idle[--q->n_idle] : NULL;
  pthread_mutex_unlock(&q->lock);
  if (c)
    return c;
  c = malloc(sizeof *c);
  if (!c || baton__qconn_init(c, q->url, q->password, err, errlen) != 0) {
    if (!c)
      baton__fmt(err, errlen, "out of memory");
    free(c);
    return NULL;
  }
  return c; /* connects on first command */
}

static void conn_give(baton__queue *q, baton__qconn *c) {
  pthread_mutex_lock(&q->lock);
  if (q->n_idle < MAX_IDLE_CONNS) {
    q->idle[q->n_idle++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&q->lock);
  if (c) {
    baton__qconn_close(c);
    free(c);
  }
}

/* ---- the reply reader ------------------------------------------------------- */

static void arrived(baton__queue *q, const char *key, const redisReply *data) {
  pthread_mutex_lock(&q->lock);
  for (waiter *w = q->waiters; w; w = w->next)
    if (strcmp(w->key, key) == 0 && !w->arrived) {
      w->arrived = true;
      if (data && data->len <= q->cfg->queue_blob_max_bytes + BATON__QUEUE_JOB_SLACK)
        w->data = baton__strndup(data->str, data->len);
    }
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->lock);
}

/* Handles one XREAD reply: [[stream, [[id, [field, value...]]...]]]. */
static void take_replies(baton__queue *q, const redisReply *r, char *last, size_t cap) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->elements < 2)
    return;
  const redisReply *entries = r->element[0]->element[1];
  for (size_t i = 0; i < entries->elements; i++) {
    const redisReply *e = entries->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
      continue;
    baton__fmt(last, cap, "%s", e->element[0]->str);
    const redisReply *f = e->element[1], *key = NULL, *data = NULL;
    for (size_t k = 0; k + 1 < f->elements; k += 2) {
      if (strcmp(f->element[k]->str, "result") == 0)
        key = f->element[k + 1];
      else if (strcmp(f->element[k]->str, "data") == 0)
        data = f->element[k + 1];
    }
    if (key)
      arrived(q, key->str, data);
  }
}

static void *reader_main(void *arg) {
  baton__queue *q = arg;
  char last[64] = "0-0", err[512];
  while (!atomic_load(&q->stop)) {
    redisReply *r = baton__qconn_cmdl(&q->rd, &q->stop, 0, err, sizeof err, "XREAD", "COUNT",
                                      "256", "BLOCK", "500", "STREAMS", q->reply, last,
                                      (char *)NULL);
    if (!r)
      continue;
    take_replies(q, r, last, sizeof last);
    freeReplyObject(r);
  }
  return NULL;
}

/* ---- open and close ------------------------------------------------------------ */

int baton__queue_open(const baton__config *cfg, baton__queue **out, char *err, size_t errlen) {
  *out = NULL;
  baton__queue *q = calloc(1, sizeof *q);
  if (!q) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  q->cfg = cfg;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->cond, NULL);
  baton__fmt(q->url, sizeof q->url, "%s", cfg->queue_url);
  const char *pw = cfg->queue_password_env ? getenv(cfg->queue_password_env) : NULL;
  if (cfg->queue_password_env && (!pw || !*pw)) {
    baton__fmt(err, errlen, "queue %s: the password variable %s is not set", q->url,
               cfg->queue_password_env);
    baton__queue_close(q);
    return -1;
  }
  q->password = pw ? baton__strdup(pw) : NULL;
  char host[128], rnd[17];
  baton__qhostname(host, sizeof host);
  baton__qrandom_hex(rnd, 16);
  baton__fmt(q->reply, sizeof q->reply, "baton:reply:%s:%ld:%s", host, (long)getpid(), rnd);
  if (baton__qconn_init(&q->rd, q->url, q->password, err, errlen) != 0 ||
      baton__qconn_connect(&q->rd, err, errlen) != 0) {
    baton__queue_close(q);
    return -1;
  }
  if (baton__thread_start(&q->reader, reader_main, q) != 0) {
    baton__fmt(err, errlen, "cannot start the queue's reply reader");
    baton__queue_close(q);
    return -1;
  }
  q->reader_started = true;
  *out = q;
  return 0;
}

void baton__queue_close(baton__queue *q) {
  if (!q)
    return;
  atomic_store(&q->stop, 1);
  if (q->reader_started)
    pthread_join(q->reader, NULL);
  char err[256];
  if (q->rd.rc) /* the reply stream is this process's alone */
    baton__qreply_free(baton__qconn_cmdl(&q->rd, NULL, baton__now_ms() + 1000, err, sizeof err,
                                         "DEL", q->reply, (char *)NULL));
  baton__qconn_close(&q->rd);
  for (size_t i = 0; i < q->n_idle; i++) {
    baton__qconn_close(q->idle[i]);
    free(q->idle[i]);
  }
  cJSON_Delete(q->workers);
  for (size_t i = 0; i < q->n_ensured; i++)
    free(q->ensured[i]);
  free(q->password);
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->cond);
  free(q);
}

bool baton__queue_takes(const baton__queue *q, const char *endpoint) {
  return q && endpoint && strncmp(endpoint, "local:", 6) == 0;
}

/* ---- live workers ----------------------------------------------------------------- */

cJSON *baton__queue_workers(baton__queue *q, char *err, size_t errlen) {
  baton__qconn *c = conn_take(q, err, errlen);
  if (!c)
    return NULL;
  int64_t deadline = baton__now_ms() + 5000;
  redisReply *names = baton__qconn_cmdl(c, &q->stop, deadline, err, errlen, "SMEMBERS",
                                        "baton:workers", (char *)NULL);
  cJSON *arr = names ? cJSON_CreateArray() : NULL;
  for (size_t i = 0; arr && names->type == REDIS_REPLY_ARRAY && i < names->elements; i++) {
    const char *name = names->element[i]->str;
    char key[256];
    baton__fmt(key, sizeof key, "baton:worker:%s", name);
    redisReply *hb = baton__qconn_cmdl(c, &q->stop, deadline, err, errlen, "GET", key,
                                       (char *)NULL);
    if (!hb) {
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
    cJSON *w = hb->type == REDIS_REPLY_STRING ? cJSON_Parse(hb->str) : NULL;
    if (w)
      cJSON_AddItemToArray(arr, w);
    else if (hb->type == REDIS_REPLY_NIL) /* its heartbeat expired: gone */
      baton__qreply_free(baton__qconn_cmdl(c, &q->stop, deadline, err, errlen, "SREM",
                                           "baton:workers", name, (char *)NULL));
    freeReplyObject(hb);
  }
  baton__qreply_free(names);
  conn_give(q, c);
  return arr;
}

/* Whether a live worker serves that stream; the list is cached briefly. */
static bool served(baton__queue *q, const char *stream) {
  pthread_mutex_lock(&q->lock);
  bool fresh = q->workers && baton__now_ms() - q->workers_at < WORKERS_CACHE_MS;
  pthread_mutex_unlock(&q->lock);
  if (!fresh) {
    char err[256];
    cJSON *w = baton__queue_workers(q, err, sizeof err);
    pthread_mutex_lock(&q->lock);
    if (w) {
      cJSON_Delete(q->workers);
      q->workers = w;
      q->workers_at = baton__now_ms();
    }
    pthread_mutex_unlock(&q->lock);
  }
  bool yes = false;
  pthread_mutex_lock(&q->lock);
  const cJSON *w;
  cJSON_ArrayForEach(w, q->workers) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(w, "streams"))
      yes |= cJSON_IsString(s) && strcmp(s->valuestring, stream) == 0;
  }
  pthread_mutex_unlock(&q->lock);
  return yes;
}

/* Waits until a live worker serves the stream. 0, or -1 with env->err. */
static int wait_for_worker(baton__queue *q, const baton__queue_job *job, const char *stream,
                           baton__exec_env *env) {
  int64_t t0 = baton__now_ms();
  bool told = false;
  while (!served(q, stream)) {
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      return -1;
    }
    int64_t waited = baton__now_ms() - t0;
    if (env->timeout_ms > 0 && waited >= env->timeout_ms) {
      baton__fmt(env->err, sizeof env->err,
                 "no live worker serves %s (executor %s); waited %lld ms for one", job->task,
                 job->executor, (long long)waited);
      return -1;
    }
    if (!told && job->waiting) {
      char text[256];
      baton__fmt(text, sizeof text, "waiting for a worker that serves %s", job->task);
      job->waiting(job->ud, text);
    }
    told = true;
    usleep(100 * 1000);
  }
  return 0;
}

/* ---- results ------------------------------------------------------------------------- */

/* The stored result under key, parsed, or NULL when there is none yet. */
static cJSON *get_result(baton__qconn *c, const char *key, const atomic_int *stop) {
  char err[256];
  redisReply *r = baton__qconn_cmdl(c, stop, 0, err, sizeof err, "GET", key, (char *)NULL);
  cJSON *res = r && r->type == REDIS_REPLY_STRING ? cJSON_Parse(r->str) : NULL;
  baton__qreply_free(r);
  return res;
}

/* A successful result an attempt before `attempt` left (a resumed run), or NULL. */
static cJSON *earlier_result(baton__qconn *c, const baton__queue_job *job, long attempt,
                             const atomic_int *stop) {
  char key[192];
  for (long a = attempt - 1; a >= 1 && a >= attempt - 16; a--) {
    baton__qkey_result(key, sizeof key, job->run, job->task_id, a);
    cJSON *res = get_result(c, key, stop);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok")))
      return res;
    cJSON_Delete(res);
  }
  return NULL;
}

static bool has_blob(const cJSON *values) {
  const cJSON *o;
  cJSON_ArrayForEach(o, values) if (baton__qjstr(o, "blob")) return true;
  return false;
}

/* Turns a result into outputs (files into the workspace) or an error. */
static int use_result(baton__queue *q, baton__qconn *c, const cJSON *res,
                      const baton__queue_job *job, baton__exec_env *env, baton__values *out) {
  const char *worker = baton__qjstr(res, "worker");
  if (worker && job->worker)
    baton__fmt(job->worker, job->worker_cap, "%s", worker);
  const cJSON *outs = cJSON_GetObjectItemCaseSensitive(res, "outputs");
  int rc = -1;
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok"))) {
    const char *e = baton__qjstr(res, "error");
    baton__fmt(env->err, sizeof env->err, "%s", e ? e : "the executor failed");
    env->transient = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "transient"));
  } else if (has_blob(outs) && baton__mkdirs(env->workspace, 0700) != 0) {
    baton__fmt(env->err, sizeof env->err, "cannot create the run folder %s: %s", env->workspace,
               strerror(errno));
  } else if (baton__qvalues_get(c, outs, env->workspace, q->cfg->queue_blob_max_bytes, env->cancel,
                                out, env->err, sizeof env->err) == 0) {
    rc = 0;
  }
  baton__qvalues_drop(c, outs, NULL);
  return rc;
}

/* ---- sending a job and waiting --------------------------------------------------------- */

static void waiter_add(baton__queue *q, waiter *w, const char *key) {
  w->arrived = false;
  w->data = NULL;
  baton__fmt(w->key, sizeof w->key, "%s", key);
  pthread_mutex_lock(&q->lock);
  w->next = q->waiters;
  q->waiters = w;
  pthread_mutex_unlock(&q->lock);
}

static void waiter_remove(baton__queue *q, waiter *w) {
  pthread_mutex_lock(&q->lock);
  for (waiter **p = &q->waiters; *p; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
  pthread_mutex_unlock(&q->lock);
  free(w->data);
  w->data = NULL;
}

static cJSON *job_json(baton__queue *q, const baton__queue_job *job, long attempt,
                       const char *result_key, const baton__exec_env *env, cJSON *inputs) {
  char prefix[64];
  baton__fmt(prefix, sizeof prefix, "%s", env->file_prefix);
  cJSON *j = cJSON_CreateObject();
  if (!j) {
    cJSON_Delete(inputs);
    return NULL;
  }
  cJSON_AddStringToObject(j, "run", job->run);
  cJSON_AddNumberToObject(j, "task_id", job->task_id);
  cJSON_AddNumberToObject(j, "attempt", (double)attempt);
  cJSON_AddStringToObject(j, "executor", job->executor);
  cJSON_AddStringToObject(j, "task", job->task);
  if (env->model)
    cJSON_AddStringToObject(j, "model", env->model);
  if (env->endpoint)
    cJSON_AddStringToObject(j, "endpoint", env->endpoint);
  cJSON_AddStringToObject(j, "prefix", prefix);
  cJSON_AddNumberToObject(j, "timeout_ms", (double)env->timeout_ms);
  cJSON_AddStringToObject(j, "reply", q->reply);
  cJSON_AddStringToObject(j, "result", result_key);
  cJSON_AddItemToObject(j, "inputs", inputs);
  return j;
}

/* The next attempt number of a task, counted in Redis so that a resumed
 * run (another process) continues the count. -1 with env->err. */
static long next_attempt(baton__qconn *c, const baton__queue_job *job, baton__exec_env *env) {
  static const char script[] = "local n = redis.call('INCR', KEYS[1]) "
                               "redis.call('EXPIRE', KEYS[1], ARGV[1]) return n";
  char akey[192];
  baton__fmt(akey, sizeof akey, "baton:attempts:%s:%d", job->run, job->task_id);
  redisReply *r = baton__qconn_cmdl(c, env->cancel, 0, env->err, sizeof env->err, "EVAL", script,
                                    "1", akey, BATON__QUEUE_KEEP_S_STR, (char *)NULL);
  long attempt = r && r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
  if (r && r->type == REDIS_REPLY_ERROR)
    baton__fmt(env->err, sizeof env->err, "queue: numbering the attempt: %s", r->str);
  else if (attempt < 0 && !env->err[0])
    baton__fmt(env->err, sizeof env->err, "queue: cannot number the attempt");
  baton__qreply_free(r);
  return attempt;
}

/* Makes sure the stream has its consumer group, once per process. */
static int ensure_group(baton__queue *q, baton__qconn *c, const char *stream,
                        baton__exec_env *env) {
  pthread_mutex_lock(&q->lock);
  bool known = false;
  for (size_t i = 0; i < q->n_ensured && !known; i++)
    known = strcmp(q->ensured[i], stream) == 0;
  pthread_mutex_unlock(&q->lock);
  if (known)
    return 0;
  if (baton__qgroup_ensure(c, stream, env->cancel, env->err, sizeof env->err) != 0)
    return -1;
  pthread_mutex_lock(&q->lock);
  if (q->n_ensured < MAX_ENSURED && (q->ensured[q->n_ensured] = baton__strdup(stream)))
    q->n_ensured++;
  pthread_mutex_unlock(&q->lock);
  return 0;
}

/* Sends attempt `attempt` of the job, registering w for its result first.
 * 0 with the entry id, or -1 with env->err. inputs is taken. */
static int send_job(baton__queue *q, baton__qconn *c, const baton__queue_job *job, long attempt,
                    const char *stream, cJSON *inputs, baton__exec_env *env, waiter *w,
                    char *entry, size_t entrycap) {
  if (ensure_group(q, c, stream, env) != 0) {
    cJSON_Delete(inputs);
    return -1;
  }
  char key[192];
  baton__qkey_result(key, sizeof key, job->run, job->task_id, attempt);
  cJSON *j = job_json(q, job, attempt, key, env, inputs);
  char *js = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if (!js) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  waiter_add(q, w, key); /* before the job can be answered */
  redisReply *r = baton__qconn_cmdl(c, env->cancel, 0, env->err, sizeof env->err, "XADD", stream,
                                    "*", "job", js, (char *)NULL);
  free(js);
  int rc = r && r->type == REDIS_REPLY_STRING ? 0 : -1;
  if (rc == 0)
    baton__fmt(entry, entrycap, "%s", r->str);
  else if (r)
    baton__fmt(env->err, sizeof env->err, "queue: sending the task: %s", r->str);
  if (rc != 0)
    waiter_remove(q, w);
  baton__qreply_free(r);
  return rc;
}

/* Waits for the result w names: told by the reader, or found by polling.
 * Returns it, or NULL with env->err (cancelled, or past the deadline). */
static cJSON *await_result(baton__queue *q, baton__qconn *c, waiter *wp, baton__exec_env *env) {
  const char *key = wp->key;
  /* A worker may die or hang; another claims the task after claim_after_ms,
   * so the result may take up to about two task timeouts plus that. */
  int64_t patience = 2 * env->timeout_ms + q->cfg->queue_claim_after_ms + 5000;
  int64_t deadline = env->timeout_ms > 0 ? baton__now_ms() + patience : 0;
  cJSON *res = NULL;
  int64_t next_poll = baton__now_ms() + RESULT_POLL_MS;
  for (;;) {
    pthread_mutex_lock(&q->lock);
    bool got = wp->arrived;
    if (!got && !baton__exec_cancelled(env)) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&q->cond, &q->lock, &ts);
      got = wp->arrived;
    }
    pthread_mutex_unlock(&q->lock);
    if (got) { /* the notice carries the result */
      pthread_mutex_lock(&q->lock);
      res = wp->data ? cJSON_Parse(wp->data) : NULL;
      pthread_mutex_unlock(&q->lock);
      if (res)
        break;
    }
    if (got || baton__now_ms() >= next_poll) {
      next_poll = baton__now_ms() + RESULT_POLL_MS;
      if ((res = get_result(c, key, env->cancel)))
        break;
    }
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      break;
    }
    if (deadline && baton__now_ms() >= deadline) {
      baton__fmt(env->err, sizeof env->err, "no result from the queue within %lld ms",
                 (long long)patience);
      break;
    }
  }
  waiter_remove(q, wp);
  return res;
}

/* Sends the job and waits for its result. */
static cJSON *dispatch(baton__queue *q, baton__qconn *c, const baton__queue_job *job,
                       long attempt, const baton__values *in, baton__exec_env *env,
                       cJSON **inputs_sent) {
  char stream[256];
  baton__qkey_stream(stream, sizeof stream, job->executor, job->task);
  /* Inputs first: one over the limit fails at once, with nothing sent. */
  cJSON *inputs = baton__qvalues_put(c, in, q->cfg->queue_blob_max_bytes, env->cancel, env->err,
                                     sizeof env->err);
  if (!inputs)
    return NULL;
  *inputs_sent = cJSON_Duplicate(inputs, 1);
  if (wait_for_worker(q, job, stream, env) != 0) {
    cJSON_Delete(inputs);
    return NULL;
  }
  waiter w;
  char entry[64];
  if (send_job(q, c, job, attempt, stream, inputs, env, &w, entry, sizeof entry) != 0)
    return NULL;
  cJSON *res = await_result(q, c, &w, env);
  if (!res && baton__exec_cancelled(env)) /* not taken yet: nobody needs to run it */
    baton__qreply_free(baton__qconn_cmdl(c, NULL, baton__now_ms() + 1000, env->err,
                                         sizeof env->err, "XDEL", stream, entry, (char *)NULL));
  return res;
}

int baton__queue_run(baton__queue *q, const baton__queue_job *job, const baton__values *in,
                     baton__exec_env *env, baton__values *out) {
  baton__qconn *c = conn_take(q, env->err, sizeof env->err);
  if (!c)
    return -1;
  cJSON *inputs = NULL, *res = NULL;
  long attempt = next_attempt(c, job, env);
  /* A later attempt (a resumed run, a retry) takes a result an earlier one
   * finished meanwhile instead of running the task again. */
  if (attempt > 1)
    res = earlier_result(c, job, attempt, env->cancel);
  if (!res && attempt > 0)
    res = dispatch(q, c, job, attempt, in, env, &inputs);
  int rc = -1;
  if (res)
    rc = use_result(q, c, res, job, env, out);
  else if (!env->err[0])
    baton__fmt(env->err, sizeof env->err, "the queue gave no result");
  baton__qvalues_drop(c, inputs, NULL);
  cJSON_Delete(inputs);
  cJSON_Delete(res);
  conn_give(q, c);
  return rc;
}
