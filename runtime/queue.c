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
#define TAKEN_LOOK_MS 200 /* a task running this long: ask Redis which worker has it */
#define MAX_LISTED 1024   /* worker names looked up at once */

/* A task waiting for its result. Until the attempt is numbered, key is the
 * prefix "baton:result:RUN:TASK:" and any attempt's notice matches. */
typedef struct waiter {
  char key[192];
  bool exact;
  bool arrived;
  char got[192];       /* the key of the notice that arrived */
  char *data;          /* the result the notice carried (malloc'd), or NULL */
  pthread_cond_t cond; /* signalled when its notice arrives */
  struct waiter *next;
} waiter;

#define MAX_ENSURED 256 /* streams whose consumer group this process made sure of */

struct baton__queue {
  const baton__config *cfg;
  char url[512];
  char *password;               /* set when started */
  char reply[192];              /* this coordinator's reply stream */
  pthread_mutex_t start_lock;   /* guards started: Redis is reached on first use */
  bool started;
  pthread_mutex_t lock;         /* guards everything below */
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

static int queue_start(baton__queue *q, char *err, size_t errlen);

/* A connection of the idle set, or a new one (connected on first command). */
static baton__qconn *conn_take(baton__queue *q, char *err, size_t errlen) {
  if (queue_start(q, err, errlen) != 0)
    return NULL;
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

/* Whether a notice for key is the one w waits for. */
static bool matches(const waiter *w, const char *key) {
  if (w->exact)
    return strcmp(w->key, key) == 0;
  size_t n = strlen(w->key);
  return strncmp(w->key, key, n) == 0 && key[n] && strspn(key + n, "0123456789") == strlen(key + n);
}

static void arrived(baton__queue *q, const char *key, const redisReply *data) {
  pthread_mutex_lock(&q->lock);
  for (waiter *w = q->waiters; w; w = w->next)
    if (!w->arrived && matches(w, key)) {
      w->arrived = true;
      baton__fmt(w->got, sizeof w->got, "%s", key);
      if (data && data->len <= q->cfg->queue_blob_max_bytes + BATON__QUEUE_JOB_SLACK)
        w->data = baton__strndup(data->str, data->len);
      pthread_cond_signal(&w->cond);
    }
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
    if (r->type == REDIS_REPLY_ERROR) /* LOADING, NOPERM, ...: wait as the read would have */
      baton__qpause(500, &q->stop);
    take_replies(q, r, last, sizeof last);
    freeReplyObject(r);
  }
  return NULL;
}

/* ---- open, start and close ------------------------------------------------------ */

int baton__queue_open(const baton__config *cfg, baton__queue **out, char *err, size_t errlen) {
  *out = NULL;
  baton__queue *q = calloc(1, sizeof *q);
  if (!q) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  q->cfg = cfg;
  pthread_mutex_init(&q->start_lock, NULL);
  pthread_mutex_init(&q->lock, NULL);
  baton__fmt(q->url, sizeof q->url, "%s", cfg->queue_url);
  char host[128], rnd[17];
  baton__qhostname(host, sizeof host);
  baton__qrandom_hex(rnd, 16);
  baton__fmt(q->reply, sizeof q->reply, "baton:reply:%s:%ld:%s", host, (long)getpid(), rnd);
  baton__qconn probe; /* the URL is checked now; Redis is reached on first use */
  if (baton__qconn_init(&probe, q->url, NULL, err, errlen) != 0) {
    baton__queue_close(q);
    return -1;
  }
  baton__qconn_close(&probe);
  *out = q;
  return 0;
}

/* Reads the password, connects the reply reader and starts it. */
static int start_reader(baton__queue *q, char *err, size_t errlen) {
  const char *var = q->cfg->queue_password_env;
  const char *pw = var ? getenv(var) : NULL;
  if (var && (!pw || !*pw)) {
    baton__fmt(err, errlen, "queue %s: the password variable %s is not set", q->url, var);
    return -1;
  }
  free(q->password);
  q->password = pw ? baton__strdup(pw) : NULL;
  if (baton__qconn_init(&q->rd, q->url, q->password, err, errlen) != 0 ||
      baton__qconn_connect(&q->rd, err, errlen) != 0) {
    baton__qconn_close(&q->rd);
    return -1;
  }
  if (baton__thread_start(&q->reader, reader_main, q) != 0) {
    baton__fmt(err, errlen, "cannot start the queue's reply reader");
    baton__qconn_close(&q->rd);
    return -1;
  }
  q->reader_started = true;
  return 0;
}

/* Reaches Redis on first use, so that commands that send no task never need
 * it. 0, or -1 with a one-line err naming the URL (tried again next time). */
static int queue_start(baton__queue *q, char *err, size_t errlen) {
  pthread_mutex_lock(&q->start_lock);
  int rc = q->started ? 0 : start_reader(q, err, errlen);
  q->started = rc == 0;
  pthread_mutex_unlock(&q->start_lock);
  return rc;
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
  pthread_mutex_destroy(&q->start_lock);
  free(q);
}

bool baton__queue_takes(const baton__queue *q, const char *endpoint) {
  return q && endpoint && strncmp(endpoint, "local:", 6) == 0;
}

/* ---- live workers ----------------------------------------------------------------- */

/* Forgets names whose heartbeat expired (best effort). */
static void forget_workers(baton__queue *q, baton__qconn *c, const redisReply *names,
                           const redisReply *beats, int64_t deadline) {
  const char *argv[2 + MAX_LISTED] = {"SREM", "baton:workers"};
  int argc = 2;
  for (size_t i = 0; i < beats->elements && i < MAX_LISTED; i++)
    if (beats->element[i]->type == REDIS_REPLY_NIL)
      argv[argc++] = names->element[i]->str;
  char err[256];
  if (argc > 2)
    baton__qreply_free(baton__qconn_cmd(c, argc, argv, NULL, &q->stop, deadline, err, sizeof err));
}

/* The heartbeats of the named workers (one MGET), as a JSON array. */
static cJSON *read_beats(baton__queue *q, baton__qconn *c, const redisReply *names,
                         int64_t deadline, char *err, size_t errlen) {
  size_t n = names->type == REDIS_REPLY_ARRAY ? names->elements : 0;
  if (n > MAX_LISTED)
    n = MAX_LISTED;
  cJSON *arr = cJSON_CreateArray();
  if (!n || !arr)
    return arr;
  char (*keys)[256] = calloc(n, sizeof *keys);
  const char **argv = calloc(n + 1, sizeof *argv);
  redisReply *beats = NULL;
  if (keys && argv) {
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
      baton__fmt(keys[i], sizeof keys[i], "baton:worker:%s", names->element[i]->str);
      argv[i + 1] = keys[i];
    }
    beats = baton__qconn_cmd(c, (int)n + 1, argv, NULL, &q->stop, deadline, err, errlen);
  }
  if (beats && beats->type == REDIS_REPLY_ARRAY && beats->elements == n) {
    for (size_t i = 0; i < n; i++) {
      const redisReply *b = beats->element[i];
      cJSON *w = b->type == REDIS_REPLY_STRING ? cJSON_Parse(b->str) : NULL;
      if (w)
        cJSON_AddItemToArray(arr, w);
    }
    forget_workers(q, c, names, beats, deadline);
  } else {
    if (beats && beats->type == REDIS_REPLY_ERROR)
      baton__fmt(err, errlen, "queue: listing workers: %s", beats->str);
    cJSON_Delete(arr);
    arr = NULL;
  }
  baton__qreply_free(beats);
  free(keys);
  free(argv);
  return arr;
}

cJSON *baton__queue_workers(baton__queue *q, char *err, size_t errlen) {
  baton__qconn *c = conn_take(q, err, errlen);
  if (!c)
    return NULL;
  int64_t deadline = baton__now_ms() + 5000;
  redisReply *names = baton__qconn_cmdl(c, &q->stop, deadline, err, errlen, "SMEMBERS",
                                        "baton:workers", (char *)NULL);
  cJSON *arr = names ? read_beats(q, c, names, deadline, err, errlen) : NULL;
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

/* The stored result under key, parsed, or NULL when there is none yet
 * (err says why when Redis could not be asked; may be NULL). */
static cJSON *get_result(baton__qconn *c, const char *key, const atomic_int *stop, char *err,
                         size_t errlen) {
  char why[256] = "";
  redisReply *r = baton__qconn_cmdl(c, stop, 0, why, sizeof why, "GET", key, (char *)NULL);
  if (err)
    baton__fmt(err, errlen, "%s", r ? "" : why);
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
    cJSON *res = get_result(c, key, stop, NULL, 0);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok")))
      return res;
    cJSON_Delete(res);
  }
  return NULL;
}

/* Whether values hold a file (inline or a blob). */
static bool has_file(const cJSON *values) {
  const cJSON *o;
  cJSON_ArrayForEach(o, values) if (baton__qjstr(o, "file")) return true;
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
    env->bad_input = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "bad_input"));
  } else if (has_file(outs) && baton__mkdirs(env->workspace, 0700) != 0) {
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

/* Registers w for the results of the job, before anything can answer it. */
static void waiter_add(baton__queue *q, waiter *w, const baton__queue_job *job) {
  memset(w, 0, sizeof *w);
  baton__qkey_result_prefix(w->key, sizeof w->key, job->run, job->task_id);
  pthread_cond_init(&w->cond, NULL);
  pthread_mutex_lock(&q->lock);
  w->next = q->waiters;
  q->waiters = w;
  pthread_mutex_unlock(&q->lock);
}

/* Narrows w to one attempt; a notice of another attempt that came first is dropped. */
static void waiter_number(baton__queue *q, waiter *w, const char *key) {
  pthread_mutex_lock(&q->lock);
  baton__fmt(w->key, sizeof w->key, "%s", key);
  w->exact = true;
  if (w->arrived && strcmp(w->got, key) != 0) {
    w->arrived = false;
    free(w->data);
    w->data = NULL;
  }
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
  pthread_cond_destroy(&w->cond);
  free(w->data);
  w->data = NULL;
}

/* The job as JSON text (caller frees); its attempt and result key travel
 * beside it in the stream entry. inputs is taken. */
static char *job_text(baton__queue *q, const baton__queue_job *job, const baton__exec_env *env,
                      cJSON *inputs) {
  cJSON *j = cJSON_CreateObject();
  if (!j) {
    cJSON_Delete(inputs);
    return NULL;
  }
  cJSON_AddStringToObject(j, "run", job->run);
  cJSON_AddNumberToObject(j, "task_id", job->task_id);
  cJSON_AddStringToObject(j, "executor", job->executor);
  cJSON_AddStringToObject(j, "task", job->task);
  if (env->model)
    cJSON_AddStringToObject(j, "model", env->model);
  if (env->endpoint)
    cJSON_AddStringToObject(j, "endpoint", env->endpoint);
  cJSON_AddStringToObject(j, "prefix", env->file_prefix ? env->file_prefix : "task");
  if (env->file_format)
    cJSON_AddStringToObject(j, "format", env->file_format);
  if (env->untargeted)
    cJSON_AddStringToObject(j, "untargeted", env->untargeted);
  cJSON_AddNumberToObject(j, "timeout_ms", (double)env->timeout_ms);
  cJSON_AddStringToObject(j, "reply", q->reply);
  cJSON_AddItemToObject(j, "inputs", inputs);
  char *js = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return js;
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

/* Numbers the attempt (counted in Redis, so that a resumed run in another
 * process continues the count) and, for a first attempt when `send` is "1",
 * sends the job in the same round trip. Returns {n} or {n, entry id}. */
static const char number_script[] =
    "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], ARGV[1]) "
    "if n > 1 or ARGV[2] ~= '1' then return {n} end "
    "return {n, redis.call('XADD', KEYS[2], '*', 'job', ARGV[3], 'attempt', tostring(n), "
    "'result', ARGV[4] .. n)}";

/* The attempt number (entry filled when the job went with it), or -1 with env->err. */
static long number_and_send(baton__queue *q, baton__qconn *c, const baton__queue_job *job,
                            const char *stream, const char *js, bool send, baton__exec_env *env,
                            waiter *w, char *entry, size_t entrycap) {
  char akey[192];
  baton__fmt(akey, sizeof akey, "baton:attempts:%s:%d", job->run, job->task_id);
  const char *argv[] = {"EVAL", number_script, "2", akey, stream, BATON__QUEUE_KEEP_S_STR,
                        send ? "1" : "0", js, w->key};
  redisReply *r = baton__qconn_cmd(c, 9, argv, NULL, env->cancel, 0, env->err, sizeof env->err);
  long n = -1;
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
      r->element[0]->type == REDIS_REPLY_INTEGER) {
    n = (long)r->element[0]->integer;
    if (r->elements >= 2 && r->element[1]->type == REDIS_REPLY_STRING)
      baton__fmt(entry, entrycap, "%s", r->element[1]->str);
  } else if (r) {
    baton__fmt(env->err, sizeof env->err, "queue: sending the task: %s",
               r->type == REDIS_REPLY_ERROR ? r->str : "an unexpected reply");
  }
  baton__qreply_free(r);
  if (n > 0) {
    char key[192];
    baton__qkey_result(key, sizeof key, job->run, job->task_id, n);
    waiter_number(q, w, key);
  }
  return n;
}

/* Sends attempt n of the job (a later attempt). 0 with the entry id, or -1 with env->err. */
static int send_attempt(baton__qconn *c, const char *stream, const char *js, long n,
                        const waiter *w, baton__exec_env *env, char *entry, size_t entrycap) {
  char num[24];
  baton__fmt(num, sizeof num, "%ld", n);
  const char *argv[] = {"XADD", stream, "*", "job", js, "attempt", num, "result", w->key};
  redisReply *r = baton__qconn_cmd(c, 9, argv, NULL, env->cancel, 0, env->err, sizeof env->err);
  int rc = r && r->type == REDIS_REPLY_STRING ? 0 : -1;
  if (rc == 0)
    baton__fmt(entry, entrycap, "%s", r->str);
  else if (r)
    baton__fmt(env->err, sizeof env->err, "queue: sending the task: %s", r->str);
  baton__qreply_free(r);
  return rc;
}

/* Asks Redis which worker holds the entry (XPENDING) and, when it changed,
 * names it in job->worker and tells job->taken. */
static void look_taken(baton__qconn *c, const baton__queue_job *job, const char *stream,
                       const char *entry, const atomic_int *stop) {
  if (!job->worker || !job->taken)
    return;
  char err[256];
  redisReply *r = baton__qconn_cmdl(c, stop, baton__now_ms() + 2000, err, sizeof err, "XPENDING",
                                    stream, BATON__QUEUE_GROUP, entry, entry, "1", (char *)NULL);
  const redisReply *e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0] : NULL;
  if (e && e->type == REDIS_REPLY_ARRAY && e->elements >= 2 &&
      e->element[1]->type == REDIS_REPLY_STRING) {
    char name[192]; /* the consumer is "HOST:NAME/SLOT" */
    baton__fmt(name, sizeof name, "%s", e->element[1]->str);
    char *slash = strrchr(name, '/');
    if (slash)
      *slash = '\0';
    if (strcmp(name, job->worker) != 0) {
      baton__fmt(job->worker, job->worker_cap, "%s", name);
      job->taken(job->ud);
    }
  }
  baton__qreply_free(r);
}

/* Waits up to ms for w's notice. Whether it arrived. */
static bool wait_notice(baton__queue *q, waiter *w, long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  pthread_mutex_lock(&q->lock);
  if (!w->arrived)
    pthread_cond_timedwait(&w->cond, &q->lock, &ts);
  bool got = w->arrived;
  pthread_mutex_unlock(&q->lock);
  return got;
}

/* How long a task may wait for its result: a worker may die or hang, and
 * another claims the task after claim_after_ms, so about two task timeouts
 * plus that. */
static int64_t patience_ms(const baton__queue *q, const baton__exec_env *env) {
  return 2 * env->timeout_ms + q->cfg->queue_claim_after_ms + 5000;
}

/* Waits for the result w names: told by the reader, or found by polling.
 * Returns it, or NULL with env->err (cancelled, or past the deadline). */
static cJSON *await_result(baton__queue *q, baton__qconn *c, waiter *w,
                           const baton__queue_job *job, const char *stream, const char *entry,
                           baton__exec_env *env) {
  int64_t patience = patience_ms(q, env);
  int64_t t0 = baton__now_ms(), deadline = env->timeout_ms > 0 ? t0 + patience : 0;
  if (c->deadline && (!deadline || c->deadline < deadline))
    deadline = c->deadline;
  char why[256] = ""; /* why Redis could not be asked last */
  int64_t next_poll = t0 + RESULT_POLL_MS, next_look = t0 + TAKEN_LOOK_MS;
  for (;;) {
    bool got = wait_notice(q, w, 100);
    if (got) { /* the notice carries the result */
      pthread_mutex_lock(&q->lock);
      cJSON *res = w->data ? cJSON_Parse(w->data) : NULL;
      pthread_mutex_unlock(&q->lock);
      if (res)
        return res;
    }
    int64_t now = baton__now_ms();
    if (got || now >= next_poll) {
      next_poll = now + RESULT_POLL_MS;
      cJSON *res = get_result(c, w->key, env->cancel, why, sizeof why);
      if (res)
        return res;
    }
    if (now >= next_look) {
      next_look = now + RESULT_POLL_MS;
      look_taken(c, job, stream, entry, env->cancel);
    }
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      return NULL;
    }
    if (deadline && now >= deadline) {
      baton__fmt(env->err, sizeof env->err, "no result from the queue within %lld ms%s%s",
                 (long long)patience, why[0] ? ": " : "", why);
      return NULL;
    }
  }
}

/* Numbers the attempt, sends the job (unless an earlier attempt finished
 * it: a resumed run) and waits for its result. */
static cJSON *dispatch(baton__queue *q, baton__qconn *c, const baton__queue_job *job,
                       const char *stream, const char *js, baton__exec_env *env, waiter *w) {
  /* Usually a worker is there: number and send in one round trip. */
  bool ready = served(q, stream);
  char entry[64] = "";
  long n = number_and_send(q, c, job, stream, js, ready, env, w, entry, sizeof entry);
  if (n < 1)
    return NULL;
  if (!entry[0]) {
    /* A later attempt (a resumed run, a retry) takes a result an earlier
     * one finished meanwhile instead of running the task again. */
    cJSON *res = n > 1 ? earlier_result(c, job, n, env->cancel) : NULL;
    if (res)
      return res;
    if (wait_for_worker(q, job, stream, env) != 0 ||
        send_attempt(c, stream, js, n, w, env, entry, sizeof entry) != 0)
      return NULL;
  }
  cJSON *res = await_result(q, c, w, job, stream, entry, env);
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
  /* A Redis that went away after it was reached is waited for (reconnecting
   * with back-off), but no longer than the result would be. */
  c->deadline = env->timeout_ms > 0 ? baton__now_ms() + patience_ms(q, env) : 0;
  char stream[256];
  baton__qkey_stream(stream, sizeof stream, job->executor, job->task);
  /* Inputs first: one over the limit fails at once, with nothing sent. */
  cJSON *inputs = baton__qvalues_put(c, in, q->cfg->queue_blob_max_bytes, env->cancel, env->err,
                                     sizeof env->err);
  cJSON *sent = inputs && has_file(inputs) ? cJSON_Duplicate(inputs, 1) : NULL;
  char *js = inputs ? job_text(q, job, env, inputs) : NULL;
  cJSON *res = NULL;
  if (inputs && !js)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  if (js && ensure_group(q, c, stream, env) == 0) {
    waiter w;
    waiter_add(q, &w, job);
    res = dispatch(q, c, job, stream, js, env, &w);
    waiter_remove(q, &w);
  }
  int rc = -1;
  if (res)
    rc = use_result(q, c, res, job, env, out);
  else if (!env->err[0])
    baton__fmt(env->err, sizeof env->err, "the queue gave no result");
  baton__qvalues_drop(c, sent, NULL);
  cJSON_Delete(sent);
  cJSON_Delete(res);
  free(js);
  c->deadline = 0;
  conn_give(q, c);
  return rc;
}
