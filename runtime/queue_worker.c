/* queue_worker.c — the worker's side of the task queue: baton-worker --queue takes tasks from Redis Streams. */
#include "runtime/queue_worker.h"

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "runtime/queue_proto.h"
#include "runtime/worker.h"
#include "core/banned.h"

#define MAX_STREAMS 128
#define MAX_EXECUTORS 32
#define MAX_THREADS 64

typedef struct inflight {
  char stream[256];
  char id[64];
  char consumer[192];
  bool used;
} inflight;

typedef struct qworker {
  const baton__qworker_opts *o;
  baton__config cfg;
  char url[512];
  char *password;
  char name[192];              /* HOST:NAME */
  char *streams[MAX_STREAMS];
  size_t n_streams;
  baton__worker_pool pools[MAX_EXECUTORS];
  size_t n_pools;
  pthread_mutex_t lock;        /* guards flight and the counters */
  inflight flight[MAX_THREADS];
  long done, failed;
  double started;
} qworker;

static void say(const qworker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const qworker *w, const char *fmt, ...) {
  if (!w->o->say)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  w->o->say(w->o->say_ud, line);
}

/* ---- what this worker serves ------------------------------------------------ */

/* Whether --tasks (none: every task) lets this worker take task. */
static bool task_allowed(const char *list, const char *task) {
  return !list || !*list || baton__csv_has(list, task);
}

/* Adds an executor's streams (and a pool) when it can run here. */
static void serve(qworker *w, const baton__executor *ex) {
  if (ex->debug_only && !w->cfg.debug_executors)
    return;
  bool wanted = false;
  for (const char *const *t = ex->tasks; *t; t++)
    wanted |= task_allowed(w->o->tasks, *t);
  char why[256] = "";
  if (!wanted)
    return;
  if (ex->available && !ex->available(&w->cfg, why, sizeof why)) {
    say(w, "not serving %s: %s", ex->name, why);
    return;
  }
  bool any = false;
  for (const char *const *t = ex->tasks; *t && w->n_streams < MAX_STREAMS; t++) {
    if (!task_allowed(w->o->tasks, *t))
      continue;
    char s[256];
    baton__qkey_stream(s, sizeof s, ex->name, *t);
    if ((w->streams[w->n_streams] = baton__strdup(s)))
      w->n_streams++;
    any = true;
  }
  if (any && w->n_pools < MAX_EXECUTORS)
    baton__worker_pool_init(&w->pools[w->n_pools++], ex->name, &w->cfg, w->o->program,
                            (size_t)w->o->concurrency);
}

static void find_served(qworker *w) {
  for (size_t i = 0; w->o->local && w->o->local[i]; i++)
    serve(w, w->o->local[i]);
  /* Of the library's executors only the debug ones are local; the others
   * call remote services and stay with the coordinator. */
  for (size_t i = 0; baton__executors[i]; i++)
    if (baton__executors[i]->debug_only)
      serve(w, baton__executors[i]);
}

static baton__worker_pool *pool_for(qworker *w, const char *executor) {
  for (size_t i = 0; i < w->n_pools; i++)
    if (strcmp(w->pools[i].name, executor) == 0)
      return &w->pools[i];
  return NULL;
}

/* ---- the heartbeat ----------------------------------------------------------------- */

/* Whether the string s is in the array arr. */
static bool listed(const cJSON *arr, const char *s) {
  const cJSON *e;
  cJSON_ArrayForEach(e, arr)
    if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
      return true;
  return false;
}

static char *heartbeat_json(qworker *w) {
  cJSON *o = cJSON_CreateObject();
  char host[128];
  baton__qhostname(host, sizeof host);
  cJSON_AddStringToObject(o, "name", w->name);
  cJSON_AddStringToObject(o, "host", host);
  cJSON_AddNumberToObject(o, "pid", (double)getpid());
  cJSON_AddNumberToObject(o, "concurrency", w->o->concurrency);
  cJSON *tasks = cJSON_AddArrayToObject(o, "tasks");
  cJSON *streams = cJSON_AddArrayToObject(o, "streams");
  for (size_t i = 0; i < w->n_streams; i++) {
    cJSON_AddItemToArray(streams, cJSON_CreateString(w->streams[i]));
    const char *t = strrchr(w->streams[i], ':');
    t = t ? t + 1 : w->streams[i];
    if (!listed(tasks, t)) /* two executors may serve one task kind */
      cJSON_AddItemToArray(tasks, cJSON_CreateString(t));
  }
  cJSON *ex = cJSON_AddArrayToObject(o, "executors");
  for (size_t i = 0; i < w->n_pools; i++)
    cJSON_AddItemToArray(ex, cJSON_CreateString(w->pools[i].name));
  pthread_mutex_lock(&w->lock);
  int busy = 0;
  for (size_t i = 0; i < MAX_THREADS; i++)
    busy += w->flight[i].used;
  cJSON_AddNumberToObject(o, "in_flight", busy);
  cJSON_AddNumberToObject(o, "done", (double)w->done);
  cJSON_AddNumberToObject(o, "failed", (double)w->failed);
  pthread_mutex_unlock(&w->lock);
  cJSON_AddNumberToObject(o, "started", w->started);
  cJSON_AddNumberToObject(o, "last_seen", baton__wall_s());
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

/* Says the worker is alive, and keeps the entries it is running from being
 * claimed by others (their idle time restarts). */
static void beat(qworker *w, baton__qconn *c) {
  char key[256], ttl[32], err[256];
  baton__fmt(key, sizeof key, "baton:worker:%s", w->name);
  baton__fmt(ttl, sizeof ttl, "%d", BATON__QUEUE_HEARTBEAT_TTL_MS);
  char *hb = heartbeat_json(w);
  int64_t dl = baton__now_ms() + BATON__QUEUE_HEARTBEAT_MS;
  if (hb)
    baton__qreply_free(baton__qconn_cmdl(c, w->o->stop, dl, err, sizeof err, "SET", key, hb,
                                         "PX", ttl, (char *)NULL));
  free(hb);
  baton__qreply_free(baton__qconn_cmdl(c, w->o->stop, dl, err, sizeof err, "SADD",
                                       "baton:workers", w->name, (char *)NULL));
  inflight f[MAX_THREADS];
  pthread_mutex_lock(&w->lock);
  memcpy(f, w->flight, sizeof f);
  pthread_mutex_unlock(&w->lock);
  for (size_t i = 0; i < MAX_THREADS; i++)
    if (f[i].used)
      baton__qreply_free(baton__qconn_cmdl(c, w->o->stop, dl, err, sizeof err, "XCLAIM",
                                           f[i].stream, BATON__QUEUE_GROUP, f[i].consumer, "0",
                                           f[i].id, "JUSTID", (char *)NULL));
}

typedef struct keeper_arg {
  qworker *w;
  baton__qconn *c;
} keeper_arg;

static void *keeper_main(void *arg) {
  keeper_arg *k = arg;
  long every = k->w->cfg.queue_claim_after_ms / 3;
  if (every > BATON__QUEUE_HEARTBEAT_MS)
    every = BATON__QUEUE_HEARTBEAT_MS;
  while (!atomic_load(k->w->o->stop)) {
    beat(k->w, k->c);
    for (int64_t until = baton__now_ms() + every;
         baton__now_ms() < until && !atomic_load(k->w->o->stop);)
      usleep(100 * 1000);
  }
  return NULL;
}

/* ---- one task ---------------------------------------------------------------------- */

/* Removes what a task left in the taker's folder. */
static void empty_dir(const char *dir) {
  if (dir[0])
    (void)baton__rm_tree(dir, true); /* the folder stays, for the next task */
}

/* Runs a job in the taker's private folder (empty); returns the result JSON
 * (caller deletes). The caller empties the folder once the result is out. */
static cJSON *run_job(qworker *w, baton__qconn *c, const cJSON *job, const char *dir) {
  cJSON *res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "worker", w->name);
  const char *ex = baton__qjstr(job, "executor"), *task = baton__qjstr(job, "task");
  const char *prefix = baton__qjstr(job, "prefix");
  const cJSON *to = cJSON_GetObjectItemCaseSensitive(job, "timeout_ms");
  baton__worker_pool *pool = ex ? pool_for(w, ex) : NULL;
  baton__exec_env env = {.cfg = &w->cfg, .file_prefix = prefix ? prefix : "task",
                         .file_format = baton__qjstr(job, "format"),
                         .untargeted = baton__qjstr(job, "untargeted"),
                         .model = baton__qjstr(job, "model"),
                         .endpoint = baton__qjstr(job, "endpoint"), .isolated = true,
                         .timeout_ms = cJSON_IsNumber(to) && to->valuedouble > 0 &&
                                               to->valuedouble < 86400000
                                           ? (long)to->valuedouble
                                           : 0};
  baton__values in = {0}, out = {0};
  int rc = -1;
  if (!pool || !task) {
    baton__fmt(env.err, sizeof env.err, "this worker does not serve the executor '%s'",
               ex ? ex : "?");
  } else if (!dir[0]) {
    baton__fmt(env.err, sizeof env.err, "the worker cannot create a temporary folder");
  } else {
    env.workspace = dir;
    if (baton__qvalues_get(c, cJSON_GetObjectItemCaseSensitive(job, "inputs"), dir,
                           w->cfg.queue_blob_max_bytes, w->o->stop, &in, env.err,
                           sizeof env.err) == 0)
      rc = baton__worker_run(pool, task, &in, &env, &out);
  }
  if (rc == 0) {
    cJSON *outs = baton__qvalues_put(c, &out, w->cfg.queue_blob_max_bytes, w->o->stop, env.err,
                                     sizeof env.err);
    if (outs)
      cJSON_AddItemToObject(res, "outputs", outs);
    else
      rc = -1;
  }
  cJSON_AddBoolToObject(res, "ok", rc == 0);
  if (rc != 0) {
    cJSON_AddStringToObject(res, "error", env.err[0] ? env.err : "the executor failed");
    cJSON_AddBoolToObject(res, "transient", env.transient);
    cJSON_AddBoolToObject(res, "bad_input", env.bad_input);
  }
  baton__values_release(&in);
  baton__values_release(&out);
  return res;
}

/* Stores the result unless one is stored already (first one wins), tells
 * the coordinator (the result travels with the notice), then acks: one round
 * trip. Returns 1 when this result was stored. */
static const char publish_script[] =
    "local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) "
    "if ok then redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'result', KEYS[1], "
    "'data', ARGV[1]) redis.call('EXPIRE', KEYS[2], ARGV[2]) end "
    "redis.call('XACK', KEYS[3], ARGV[3], ARGV[4]) "
    "if ok then return 1 else return 0 end";

static void publish(qworker *w, baton__qconn *c, const char *stream, const char *id,
                    const cJSON *job, cJSON *res) {
  const char *key = baton__qjstr(job, "result"), *reply = baton__qjstr(job, "reply");
  char err[512];
  char *rs = res ? cJSON_PrintUnformatted(res) : NULL;
  redisReply *r = NULL;
  if (key && rs && reply && strncmp(key, "baton:result:", 13) == 0 &&
      strncmp(reply, "baton:reply:", 12) == 0)
    r = baton__qconn_cmdl(c, w->o->stop, 0, err, sizeof err, "EVAL", publish_script, "3", key,
                          reply, stream, rs, BATON__QUEUE_KEEP_S_STR, BATON__QUEUE_GROUP, id,
                          (char *)NULL);
  else /* nothing to answer: just take it off the pending list */
    r = baton__qconn_cmdl(c, w->o->stop, 0, err, sizeof err, "XACK", stream, BATON__QUEUE_GROUP,
                          id, (char *)NULL);
  if (r && r->type == REDIS_REPLY_ERROR)
    say(w, "storing the result of %s: %s", id, r->str);
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0) /* another run of it was first */
    baton__qvalues_drop(c, cJSON_GetObjectItemCaseSensitive(res, "outputs"), w->o->stop);
  /* r == NULL: stopping; the task stays pending for another worker. */
  baton__qreply_free(r);
  free(rs);
}

/* Whether a result for the job is stored already (a claimed duplicate). */
static bool already_done(qworker *w, baton__qconn *c, const cJSON *job) {
  const char *key = baton__qjstr(job, "result");
  char err[256];
  redisReply *r = key ? baton__qconn_cmdl(c, w->o->stop, 0, err, sizeof err, "EXISTS", key,
                                          (char *)NULL)
                      : NULL;
  bool yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
  baton__qreply_free(r);
  return yes;
}

/* One taking thread: its connection, consumer name and private folder. */
typedef struct taker {
  qworker *w;
  size_t slot;
  baton__qconn c;
  char consumer[192];
  char dir[1024];             /* where its tasks' files go, or "" when it could not be made */
  char refused[256];          /* the error Redis last answered its read with, or "" */
  pthread_t th;
} taker;

/* The job of an entry's fields ("job", and its "result" key), or NULL. */
static cJSON *parse_entry(const qworker *w, const redisReply *f) {
  cJSON *job = NULL;
  const char *result = NULL;
  for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements; k += 2) {
    const redisReply *name = f->element[k], *v = f->element[k + 1];
    if (name->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
      continue;
    if (strcmp(name->str, "job") == 0 && !job &&
        v->len <= w->cfg.queue_blob_max_bytes + BATON__QUEUE_JOB_SLACK)
      job = cJSON_Parse(v->str);
    else if (strcmp(name->str, "result") == 0)
      result = v->str;
  }
  if (job && result && !cJSON_GetObjectItemCaseSensitive(job, "result"))
    cJSON_AddStringToObject(job, "result", result);
  return job;
}

/* Runs one entry. A claimed one (its first worker stopped answering) may
 * have a stored result already; a new one cannot. */
static void handle(taker *t, const char *stream, const redisReply *entry, bool claimed) {
  qworker *w = t->w;
  baton__qconn *c = &t->c;
  const char *id = entry->element[0]->str;
  cJSON *job = parse_entry(w, entry->element[1]);
  pthread_mutex_lock(&w->lock);
  inflight *fl = &w->flight[t->slot];
  baton__fmt(fl->stream, sizeof fl->stream, "%s", stream);
  baton__fmt(fl->id, sizeof fl->id, "%s", id);
  baton__fmt(fl->consumer, sizeof fl->consumer, "%s", t->consumer);
  fl->used = true;
  pthread_mutex_unlock(&w->lock);
  if (!job) {
    say(w, "dropping a malformed entry %s on %s", id, stream);
    publish(w, c, stream, id, NULL, NULL);
  } else if (claimed && already_done(w, c, job)) {
    publish(w, c, stream, id, NULL, NULL);
  } else {
    cJSON *res = run_job(w, c, job, t->dir);
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok"));
    publish(w, c, stream, id, job, res); /* the answer first, the tidying after */
    cJSON_Delete(res);
    empty_dir(t->dir);
    pthread_mutex_lock(&w->lock);
    *(ok ? &w->done : &w->failed) += 1;
    pthread_mutex_unlock(&w->lock);
  }
  cJSON_Delete(job);
  pthread_mutex_lock(&w->lock);
  fl->used = false;
  pthread_mutex_unlock(&w->lock);
}

/* ---- taking tasks ------------------------------------------------------------------------ */


/* Claims one entry idle past claim_after_ms from any stream. true when one was handled. */
static bool claim_one(taker *t) {
  qworker *w = t->w;
  char idle[32], err[512];
  baton__fmt(idle, sizeof idle, "%ld", w->cfg.queue_claim_after_ms);
  for (size_t i = 0; i < w->n_streams; i++) {
    redisReply *r = baton__qconn_cmdl(&t->c, w->o->stop, 0, err, sizeof err, "XAUTOCLAIM",
                                      w->streams[i], BATON__QUEUE_GROUP, t->consumer, idle, "0-0",
                                      "COUNT", "1", (char *)NULL);
    bool got = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
               r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0 &&
               r->element[1]->element[0]->type == REDIS_REPLY_ARRAY &&
               r->element[1]->element[0]->elements >= 2;
    if (got) {
      say(w, "claimed %s from %s (its worker stopped answering)",
          r->element[1]->element[0]->element[0]->str, w->streams[i]);
      handle(t, w->streams[i], r->element[1]->element[0], true);
    }
    baton__qreply_free(r);
    if (got)
      return true;
  }
  return false;
}

/* Waits up to a second for a new entry on any stream and handles it. */
static void read_one(taker *t) {
  qworker *w = t->w;
  const char *argv[8 + 2 * MAX_STREAMS];
  int argc = 0;
  argv[argc++] = "XREADGROUP";
  argv[argc++] = "GROUP";
  argv[argc++] = BATON__QUEUE_GROUP;
  argv[argc++] = t->consumer;
  argv[argc++] = "COUNT";
  argv[argc++] = "1";
  argv[argc++] = "BLOCK";
  argv[argc++] = "1000";
  argv[argc++] = "STREAMS";
  for (size_t i = 0; i < w->n_streams; i++)
    argv[argc++] = w->streams[i];
  for (size_t i = 0; i < w->n_streams; i++)
    argv[argc++] = ">";
  char err[512];
  redisReply *r = baton__qconn_cmd(&t->c, argc, argv, NULL, w->o->stop, 0, err, sizeof err);
  if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
    /* Redis lost the groups (restarted without persistence): make them again. */
    for (size_t i = 0; i < w->n_streams; i++)
      baton__qgroup_ensure(&t->c, w->streams[i], w->o->stop, err, sizeof err);
  } else if (r && r->type == REDIS_REPLY_ERROR) {
    /* Redis refuses the read (MISCONF on a full disk, LOADING, NOPERM, ...):
     * say so when the reason changes and wait as long as the read would
     * have blocked, instead of asking again at once. */
    if (strcmp(t->refused, r->str) != 0) {
      say(w, "queue %s refuses to hand out tasks: %s", w->url, r->str);
      baton__fmt(t->refused, sizeof t->refused, "%s", r->str);
    }
    baton__qpause(1000, w->o->stop);
  } else if (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
    const redisReply *s = r->element[0];
    if (s->elements >= 2 && s->element[1]->elements > 0)
      handle(t, s->element[0]->str, s->element[1]->element[0], false);
  }
  if (r && r->type != REDIS_REPLY_ERROR && t->refused[0]) {
    say(w, "queue %s hands out tasks again", w->url);
    t->refused[0] = '\0';
  }
  baton__qreply_free(r);
}

static void *taker_main(void *arg) {
  taker *t = arg;
  if (baton__mktempdir(t->dir, sizeof t->dir, "baton-worker") != 0) {
    say(t->w, "cannot make a temporary folder in $TMPDIR or /tmp: %s", strerror(errno));
    t->dir[0] = '\0';
  }
  long every = t->w->cfg.queue_claim_after_ms / 4;
  if (every < 100)
    every = 100;
  int64_t next_claim = 0;
  while (!atomic_load(t->w->o->stop)) {
    if (baton__now_ms() >= next_claim) {
      next_claim = baton__now_ms() + every;
      if (claim_one(t))
        continue;
    }
    read_one(t);
  }
  empty_dir(t->dir);
  if (t->dir[0])
    rmdir(t->dir);
  return NULL;
}

/* ---- the worker ------------------------------------------------------------------------------ */

/* Loads the config and learns the URL, password and name. 0, or 2 after saying why. */
static int setup(qworker *w, const baton__qworker_opts *o) {
  char err[768];
  if (baton__config_load(&w->cfg, o->config_path, err, sizeof err) != 0) {
    say(w, "%s", err);
    return 2;
  }
  const char *url = o->url ? o->url : w->cfg.queue_url;
  if (!url) {
    say(w, "no queue given (--queue URL, or queue.url in the config; see baton-worker --help)");
    return 2;
  }
  baton__fmt(w->url, sizeof w->url, "%s", url);
  const char *var = o->password_env ? o->password_env : w->cfg.queue_password_env;
  const char *pw = var ? getenv(var) : NULL;
  if (var && (!pw || !*pw)) {
    say(w, "queue %s: the password variable %s is not set", url, var);
    return 2;
  }
  w->password = pw ? baton__strdup(pw) : NULL;
  char host[128], self[32];
  baton__qhostname(host, sizeof host);
  baton__fmt(self, sizeof self, "%ld", (long)getpid());
  baton__fmt(w->name, sizeof w->name, "%s:%s", host, o->name && *o->name ? o->name : self);
  w->started = baton__wall_s();
  find_served(w);
  if (!w->n_streams) {
    say(w, "this worker serves no task (no executor available here%s)",
        o->tasks ? " among --tasks" : "");
    return 2;
  }
  return 0;
}

/* Connects one more connection; 0, or -1 after saying why. */
static int connect_one(qworker *w, baton__qconn *c) {
  char err[768];
  if (baton__qconn_init(c, w->url, w->password, err, sizeof err) != 0 ||
      baton__qconn_connect(c, err, sizeof err) != 0) {
    say(w, "%s", err);
    return -1;
  }
  return 0;
}

static int serve_all(qworker *w) {
  baton__qconn kc;
  if (connect_one(w, &kc) != 0) {
    baton__qconn_close(&kc);
    return 1;
  }
  char err[512];
  for (size_t i = 0; i < w->n_streams; i++)
    if (baton__qgroup_ensure(&kc, w->streams[i], w->o->stop, err, sizeof err) != 0) {
      say(w, "%s", err);
      baton__qconn_close(&kc);
      return 1;
    }
  /* Each executor's process starts now, not on the first task. */
  for (size_t i = 0; i < w->n_pools; i++)
    baton__worker_pool_prewarm(&w->pools[i]);
  beat(w, &kc);
  keeper_arg ka = {w, &kc};
  pthread_t keeper;
  bool keeping = baton__thread_start(&keeper, keeper_main, &ka) == 0;
  size_t n = (size_t)w->o->concurrency;
  taker *t = calloc(n, sizeof *t);
  size_t started = 0;
  for (size_t i = 0; t && i < n; i++) {
    t[i].w = w;
    t[i].slot = i;
    baton__fmt(t[i].consumer, sizeof t[i].consumer, "%s/%zu", w->name, i);
    if (baton__qconn_init(&t[i].c, w->url, w->password, err, sizeof err) != 0 ||
        baton__thread_start(&t[i].th, taker_main, &t[i]) != 0)
      break;
    started++;
  }
  say(w, "worker %s serving %zu task stream%s at %s with %zu process%s", w->name, w->n_streams,
      w->n_streams == 1 ? "" : "s", w->url, started, started == 1 ? "" : "es");
  for (size_t i = 0; i < started; i++)
    pthread_join(t[i].th, NULL);
  for (size_t i = 0; t && i < n; i++)
    baton__qconn_close(&t[i].c);
  free(t);
  if (keeping)
    pthread_join(keeper, NULL);
  char key[256];
  baton__fmt(key, sizeof key, "baton:worker:%s", w->name);
  int64_t dl = baton__now_ms() + 1000;
  baton__qreply_free(baton__qconn_cmdl(&kc, NULL, dl, err, sizeof err, "DEL", key, (char *)NULL));
  baton__qreply_free(baton__qconn_cmdl(&kc, NULL, dl, err, sizeof err, "SREM", "baton:workers",
                                       w->name, (char *)NULL));
  baton__qconn_close(&kc);
  return started ? 0 : 1;
}

int baton__queue_worker_main(const baton__qworker_opts *o) {
  qworker *w = calloc(1, sizeof *w);
  if (!w)
    return 1;
  w->o = o;
  pthread_mutex_init(&w->lock, NULL);
  int rc = o->concurrency < 1 || o->concurrency > MAX_THREADS ? 2 : 0;
  if (rc)
    say(w, "--concurrency must be 1..%d", MAX_THREADS);
  if (!rc)
    rc = setup(w, o);
  if (!rc)
    rc = serve_all(w);
  for (size_t i = 0; i < w->n_pools; i++)
    baton__worker_pool_release(&w->pools[i]);
  for (size_t i = 0; i < w->n_streams; i++)
    free(w->streams[i]);
  free(w->password);
  baton__config_release(&w->cfg);
  pthread_mutex_destroy(&w->lock);
  free(w);
  return rc;
}
