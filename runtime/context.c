/* context.c — the baton context: open/close, errors, logging, executors and registry queries. */
#include "runtime/context.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/describe_cache.h"
#include "core/banned.h"

extern const unsigned char baton__catalogue_yaml[];
extern const size_t baton__catalogue_yaml_len;

static const char *const rc_text[] = {
#define BATON__RC_TEXT(name, num, text) [num] = text,
    BATON_RC_LIST(BATON__RC_TEXT)
#undef BATON__RC_TEXT
};

const char *baton_strerror(int rc) {
  if (rc < 0 || (size_t)rc >= sizeof rc_text / sizeof rc_text[0] || !rc_text[rc])
    return "unknown error";
  return rc_text[rc];
}

const char *baton_version(void) { return BATON_VERSION_STRING; }

void baton_free(void *ptr) { free(ptr); }

/* The last failure's text, per thread: a thread reads only what its own
 * calls wrote, so baton_errmsg() needs no lock and races with nothing. */
static _Thread_local char last_error[1024];

baton_rc baton__fail(baton *ctx, baton_rc rc, const char *fmt, ...) {
  (void)ctx;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return rc;
}

void baton__log(baton *ctx, baton_log_level level, const char *fmt, ...) {
  if (!ctx)
    return;
  pthread_mutex_lock(&ctx->lock);
  baton_log_fn fn = ctx->log_fn;
  void *ud = ctx->log_ud;
  baton_log_level max = ctx->log_level;
  pthread_mutex_unlock(&ctx->lock);
  if (!fn || level > max)
    return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fn(ud, level, buf);
}

baton_rc baton__sized_copy(void *out, size_t out_size, const void *in, const char *what) {
  size_t given;
  memcpy(&given, in, sizeof given);
  if (given < sizeof given || given > out_size) {
    char init[64]; /* baton_request -> BATON_REQUEST_INIT */
    size_t n = 0;
    for (; what[n] && n + sizeof "_INIT" < sizeof init; n++)
      init[n] = (char)toupper((unsigned char)what[n]);
    memcpy(init + n, "_INIT", sizeof "_INIT");
    return baton__fail(NULL, BATON_INVALID,
                       "%s.size is %zu, not %zu: start it from %s (baton.h), and build against "
                       "the header of this library",
                       what, given, out_size, init);
  }
  memset(out, 0, out_size);
  memcpy(out, in, given);
  memcpy(out, &out_size, sizeof out_size);
  return BATON_OK;
}

const char *baton_errmsg(const baton *ctx) {
  (void)ctx;
  return last_error;
}

/* The run the calling thread's last baton_submit() stored although it failed, or "". */
static _Thread_local char failed_run[64];

void baton__note_failed_run(const char *run_id) {
  baton__fmt(failed_run, sizeof failed_run, "%s", run_id ? run_id : "");
}

const char *baton_failed_run_id(const baton *ctx) {
  (void)ctx;
  return failed_run;
}

void baton_set_log(baton *ctx, baton_log_level level, baton_log_fn fn, void *userdata) {
  if (!ctx)
    return;
  pthread_mutex_lock(&ctx->lock);
  ctx->log_fn = fn;
  ctx->log_ud = userdata;
  ctx->log_level = level;
  pthread_mutex_unlock(&ctx->lock);
}

const char *baton_home(const baton *ctx) { return ctx ? ctx->cfg.home : NULL; }

/* How many local executors one context can take from baton-worker. */
#define MAX_LOCAL_SLOTS 64

static baton__exec_slot *find_slot(baton *ctx, const char *name) {
  for (size_t i = 0; i < ctx->n_slots; i++)
    if (strcmp(ctx->slots[i].name, name) == 0)
      return &ctx->slots[i];
  return NULL;
}

/* Learns the local executors from `baton-worker --describe` (or what it
 * said last time, kept in the user's cache folder), once per context and
 * only when first needed, so commands that never run a local executor never
 * pay for loading their libraries. refresh: ask the worker even when the cache holds. */
static void describe_local(baton *ctx, bool refresh) {
  pthread_mutex_lock(&ctx->lock);
  if (ctx->described) {
    pthread_mutex_unlock(&ctx->lock);
    return;
  }
  char err[512] = "";
  cJSON *arr = ctx->worker_program
                   ? baton__describe_cached(ctx->cfg.home, ctx->worker_program, ctx->cfg.source,
                                            refresh, err, sizeof err)
                   : NULL;
  if (!ctx->worker_program)
    baton__fmt(err, sizeof err,
               "the baton-worker program was not found (install baton, or set BATON_WORKER)");
  baton__fmt(ctx->local_why, sizeof ctx->local_why, "%s", err);
  const cJSON *d;
  cJSON_ArrayForEach(d, arr) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(d, "model");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(d, "tasks");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(d, "reason");
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(d, "details");
    if (!cJSON_IsString(name) || !cJSON_IsString(model) || !cJSON_IsArray(tasks) ||
        ctx->n_slots >= ctx->cap_slots || find_slot(ctx, name->valuestring))
      continue;
    baton__exec_slot *s = &ctx->slots[ctx->n_slots];
    memset(s, 0, sizeof *s);
    baton__fmt(s->name, sizeof s->name, "%s", name->valuestring);
    baton__fmt(s->model_id, sizeof s->model_id, "%s", model->valuestring);
    s->tasks_json = cJSON_PrintUnformatted(tasks);
    s->reentrant = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "reentrant"));
    s->available = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "available"));
    baton__fmt(s->why, sizeof s->why, "%s", cJSON_IsString(reason) ? reason->valuestring : "");
    baton__fmt(s->details, sizeof s->details, "%s",
               cJSON_IsString(details) ? details->valuestring : "");
    s->isolated = true;
    pthread_mutex_init(&s->lock, NULL);
    baton__worker_pool_init(&s->pool, s->name, &ctx->cfg, ctx->worker_program,
                            (size_t)ctx->cfg.workers);
    ctx->n_slots++;
  }
  cJSON_Delete(arr);
  ctx->described = true;
  pthread_mutex_unlock(&ctx->lock);
}

static baton__exec_slot *slot_for(baton *ctx, const char *name) {
  baton__exec_slot *s = find_slot(ctx, name);
  if (s || ctx->described)
    return s;
  describe_local(ctx, false);
  return find_slot(ctx, name);
}

/* The executor name that serves an endpoint. */
static const char *executor_for(const char *endpoint) {
  if (strncmp(endpoint, "local:", 6) == 0)
    return endpoint + 6;
  if (strcmp(endpoint, "hf-inference") == 0 || strncmp(endpoint, "http://", 7) == 0 ||
      strncmp(endpoint, "https://", 8) == 0)
    return "hf-inference";
  if (strcmp(endpoint, "llm") == 0)
    return "llm";
  if (strncmp(endpoint, "openai:", 7) == 0)
    return "openai";
  return NULL;
}

bool baton__endpoint_ok(void *vctx, const char *endpoint, char *why, size_t whylen) {
  baton *ctx = vctx;
  const char *name = executor_for(endpoint);
  if (!name) {
    baton__fmt(why, whylen, "unknown endpoint '%s'", endpoint);
    return false;
  }
  /* Queue workers elsewhere serve local executors this machine may lack. */
  if (baton__queue_takes(ctx->queue, endpoint) && (strcmp(name, "debug") || ctx->cfg.debug_executors))
    return true;
  baton__exec_slot *s = slot_for(ctx, name);
  if (!s) {
    if (!strcmp(name, "debug"))
      baton__fmt(why, whylen, "the debug executors are off (set BATON_DEBUG_EXECUTORS=1)");
    else if (ctx->local_why[0])
      baton__fmt(why, whylen, "the executor '%s' is unavailable: %s", name, ctx->local_why);
    else
      baton__fmt(why, whylen, "the executor '%s' is not built into this baton", name);
    return false;
  }
  if (!s->available) {
    baton__fmt(why, whylen, "%s", s->why);
    return false;
  }
  return true;
}

static void close_slots(baton *ctx) {
  for (size_t i = 0; i < ctx->n_slots; i++) {
    baton__exec_slot *s = &ctx->slots[i];
    if (s->initialised && s->ex && s->ex->release)
      s->ex->release(s->state);
    if (s->isolated)
      baton__worker_pool_release(&s->pool);
    free(s->tasks_json);
    pthread_mutex_destroy(&s->lock);
  }
  free(ctx->slots);
  ctx->slots = NULL;
  ctx->n_slots = 0;
  free(ctx->worker_program);
  ctx->worker_program = NULL;
}

/* The library's own executors get their slots now; the local ones when
 * first needed (describe_local). */
static int open_slots(baton *ctx) {
  size_t n = 0;
  while (baton__executors[n])
    n++;
  ctx->cap_slots = n + MAX_LOCAL_SLOTS;
  ctx->slots = calloc(ctx->cap_slots, sizeof *ctx->slots);
  if (!ctx->slots)
    return -1;
  ctx->worker_program = baton__worker_program();
  for (size_t i = 0; i < n; i++) {
    const baton__executor *ex = baton__executors[i];
    if (ex->debug_only && !ctx->cfg.debug_executors)
      continue;
    baton__exec_slot *s = &ctx->slots[ctx->n_slots++];
    s->ex = ex;
    baton__fmt(s->name, sizeof s->name, "%s", ex->name);
    baton__fmt(s->model_id, sizeof s->model_id, "%s", ex->model_id);
    cJSON *tasks = cJSON_CreateArray();
    for (const char *const *t = ex->tasks; tasks && *t; t++)
      cJSON_AddItemToArray(tasks, cJSON_CreateString(*t));
    s->tasks_json = tasks ? cJSON_PrintUnformatted(tasks) : NULL;
    cJSON_Delete(tasks);
    s->reentrant = ex->reentrant;
    pthread_mutex_init(&s->lock, NULL);
    s->available = ex->available ? ex->available(&ctx->cfg, s->why, sizeof s->why) : true;
    s->isolated = ctx->worker_program && ctx->cfg.isolation == BATON__ISOLATE_ALWAYS;
    if (s->isolated)
      baton__worker_pool_init(&s->pool, ex->name, &ctx->cfg, ctx->worker_program,
                              (size_t)ctx->cfg.workers);
  }
  return 0;
}

/* Whether the LLM's calls go through the replica pool: llm.endpoint names an
 * endpoint that declares llm.model (replicas: every endpoint declaring it). */
static bool llm_on_replicas(const baton__config *cfg) {
  const baton__endpoint_cfg *ep =
      cfg->llm_endpoint && cfg->llm_model ? baton__config_endpoint(cfg, cfg->llm_endpoint) : NULL;
  for (size_t m = 0; ep && m < ep->n_models; m++)
    if (strcmp(ep->models[m].id, cfg->llm_model) == 0)
      return true;
  return false;
}


baton_rc baton_open(const char *config_path, baton **out) {
  *out = NULL;
  baton *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return BATON_NOMEM;
  pthread_mutex_init(&ctx->lock, NULL);
  pthread_mutex_init(&ctx->runs_lock, NULL);
  pthread_mutex_init(&ctx->live_lock, NULL);
  pthread_cond_init(&ctx->live_cond, NULL);
  ctx->log_level = BATON_LOG_INFO;
  *out = ctx;
  char err[768];
  if (baton__config_load(&ctx->cfg, config_path, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_CONFIG, "%s", err);
  if (baton__taskpool_init(&ctx->tasks, (size_t)ctx->cfg.workers) != 0) {
    baton__taskpool_release(&ctx->tasks);
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  ctx->tasks_ready = true;
  if (baton__mkdirs(ctx->cfg.home, 0700) != 0) {
    int e = errno; /* the setting's fault, unless the disk's */
    return baton__fail(ctx, e == ENOSPC || e == EDQUOT || e == EIO ? BATON_IO : BATON_CONFIG,
                       "the data folder (BATON_HOME or 'home') cannot be created: %s: %s",
                       ctx->cfg.home, strerror(e));
  }
  char *db = baton__path_join(ctx->cfg.home, "registry.db");
  if (!db)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  int rc = baton__registry_open(db, (const char *)baton__catalogue_yaml,
                                baton__catalogue_yaml_len, &ctx->reg, err, sizeof err);
  free(db);
  if (rc != 0)
    return baton__fail(ctx, BATON_DB, "registry: %s", err);
  if (!ctx->cfg.debug_executors) /* their models are listed only while they are on */
    baton__registry_hide_endpoint(ctx->reg, "local:debug");
  if (open_slots(ctx) != 0)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  if (!(ctx->pool = baton__pool_new(&ctx->cfg, err, sizeof err)))
    return baton__fail(ctx, BATON_NOMEM, "%s", err);
  if (baton__endpoints_open(ctx, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_DB, "%s", err);
  if (ctx->cfg.queue_url && baton__queue_open(&ctx->cfg, &ctx->queue, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_IO, "%s", err);
  if (ctx->cfg.llm_base_url) {
    baton__llm_settings ls;
    baton__llm_settings_init(&ls);
    ls.base_url = ctx->cfg.llm_base_url;
    ls.api_key = ctx->cfg.llm_api_key;
    ls.model = ctx->cfg.llm_model;
    ls.timeout_ms = ctx->cfg.llm_timeout_ms;
    ls.pool = llm_on_replicas(&ctx->cfg) ? ctx->pool : NULL;
    if (!(ctx->llm = baton__llm_new(&ls, err, sizeof err)))
      return baton__fail(ctx, BATON_CONFIG, "LLM: %s", err);
  }
  return BATON_OK;
}

void baton_close(baton *ctx) {
  if (!ctx)
    return;
  baton_shutdown(ctx);
  baton__live_wait(ctx); /* the runs cancelled write their ends before the rest goes */
  if (ctx->tasks_ready)
    baton__taskpool_release(&ctx->tasks);
  baton__queue_close(ctx->queue);
  close_slots(ctx);
  baton__llm_free(ctx->llm);
  baton__pool_free(ctx->pool);
  baton__runstore_close(ctx->runs);
  baton__registry_close(ctx->reg);
  baton__config_release(&ctx->cfg);
  pthread_mutex_destroy(&ctx->runs_lock);
  pthread_cond_destroy(&ctx->live_cond);
  pthread_mutex_destroy(&ctx->live_lock);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx);
}

void baton__prewarm(baton *ctx, const char *ep) {
  if (baton__queue_takes(ctx->queue, ep))
    return;
  const char *name = executor_for(ep);
  baton__exec_slot *s = name ? slot_for(ctx, name) : NULL;
  if (s && s->isolated && s->available)
    baton__worker_pool_prewarm(&s->pool);
}

baton__exec_slot *baton__slot(baton *ctx, const char *endpoint) {
  const char *name = executor_for(endpoint);
  return name ? slot_for(ctx, name) : NULL;
}

int baton__slot_run(baton__exec_slot *s, const char *task, const baton__values *in,
                    baton__exec_env *env, baton__values *out) {
  if (!s->available) {
    baton__fmt(env->err, sizeof env->err, "%s", s->why);
    return -1;
  }
  if (s->isolated)
    return baton__worker_run(&s->pool, task, in, env, out);
  if (!s->ex) {
    baton__fmt(env->err, sizeof env->err, "the executor '%s' runs only in a worker process",
               s->name);
    return -1;
  }
  pthread_mutex_lock(&s->lock);
  if (!s->initialised) {
    char err[512] = "";
    if (s->ex->init && s->ex->init(env->cfg, &s->state, err, sizeof err) != 0) {
      pthread_mutex_unlock(&s->lock);
      baton__fmt(env->err, sizeof env->err, "%s: %s", s->ex->name, err[0] ? err : "init failed");
      return -1;
    }
    s->initialised = true;
  }
  if (s->ex->reentrant)
    pthread_mutex_unlock(&s->lock);
  int rc = s->ex->run(s->state, task, in, env, out);
  if (!s->ex->reentrant)
    pthread_mutex_unlock(&s->lock);
  return rc;
}

static char *json_out(cJSON *j) {
  char *s = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  return s;
}

baton_rc baton_models_list(baton *ctx, const char *task, int limit, char **json_out_p) {
  *json_out_p = NULL;
  if (task && !baton__registry_task(ctx->reg, task))
    return baton__fail(ctx, BATON_NOTFOUND, "unknown task '%s' (`baton executors` lists them)",
                       task);
  char err[512] = "";
  cJSON *arr = baton__registry_list(ctx->reg, task, limit, err, sizeof err);
  if (!arr)
    return baton__fail(ctx, BATON_DB, "%s", err[0] ? err : "cannot list models");
  if (!(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

baton_rc baton_models_search(baton *ctx, const char *text, const char *task, int limit,
                             char **json_out_p) {
  *json_out_p = NULL;
  if (!text || !*text)
    return baton__fail(ctx, BATON_INVALID, "the search text is empty");
  if (task && !baton__registry_task(ctx->reg, task))
    return baton__fail(ctx, BATON_NOTFOUND, "unknown task '%s' (see `baton models list`)", task);
  char err[512] = "";
  if (!baton__registry_searchable(text, task, err, sizeof err))
    return baton__fail(ctx, BATON_INVALID, "%s", err); /* the caller's text, not the database */
  cJSON *arr = baton__registry_search_here(ctx->reg, text, task, limit, baton__endpoint_ok, ctx,
                                           err, sizeof err);
  if (!arr)
    return baton__fail(ctx, BATON_DB, "%s", err[0] ? err : "search failed");
  if (!(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

baton_rc baton_executors_refresh(baton *ctx) {
  pthread_mutex_lock(&ctx->lock);
  bool described = ctx->described;
  pthread_mutex_unlock(&ctx->lock);
  if (!described) {
    describe_local(ctx, true);
    return ctx->local_why[0] ? baton__fail(ctx, BATON_IO, "%s", ctx->local_why) : BATON_OK;
  }
  if (!ctx->worker_program)
    return baton__fail(ctx, BATON_IO, "the baton-worker program was not found");
  char err[512] = "";
  cJSON *arr = baton__describe_cached(ctx->cfg.home, ctx->worker_program, ctx->cfg.source, true,
                                      err, sizeof err);
  cJSON_Delete(arr);
  return arr ? BATON_OK : baton__fail(ctx, BATON_IO, "%s", err);
}

baton_rc baton_executors_json(baton *ctx, char **json_out_p) {
  *json_out_p = NULL;
  describe_local(ctx, false);
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < ctx->n_slots; i++) {
    const baton__exec_slot *s = &ctx->slots[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *tasks = cJSON_CreateArray();
    if (!o || !tasks) {
      cJSON_Delete(o);
      cJSON_Delete(tasks);
      cJSON_Delete(arr);
      return baton__fail(ctx, BATON_NOMEM, "out of memory");
    }
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "model", s->model_id);
    cJSON_Delete(tasks);
    tasks = s->tasks_json ? cJSON_Parse(s->tasks_json) : cJSON_CreateArray();
    cJSON_AddItemToObject(o, "tasks", tasks ? tasks : cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "available", s->available);
    cJSON_AddStringToObject(o, "isolation", s->isolated ? "worker process" : "in-process");
    if (s->details[0])
      cJSON_AddStringToObject(o, "details", s->details);
    if (s->available)
      cJSON_AddNullToObject(o, "reason");
    else
      cJSON_AddStringToObject(o, "reason", s->why);
  }
  if (!arr || !(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

/* Opens runs.db once, when first needed: it starts a writer thread and
 * takes a lock file, which commands that only plan or search need not pay.
 * A damaged run history fails history commands and new runs, not the
 * registry's. */
static void open_runs(baton *ctx) {
  pthread_mutex_lock(&ctx->runs_lock);
  if (!ctx->runs_tried) {
    ctx->runs_tried = true;
    char err[768];
    char *path = baton__path_join(ctx->cfg.home, "runs.db");
    if (!path)
      baton__fmt(ctx->runs_why, sizeof ctx->runs_why, "out of memory");
    else if (baton__runstore_open(path, &ctx->runs, err, sizeof err) != 0)
      baton__fmt(ctx->runs_why, sizeof ctx->runs_why, "%s", err);
    free(path);
  }
  pthread_mutex_unlock(&ctx->runs_lock);
}

baton_rc baton__runs_usable(baton *ctx) {
  open_runs(ctx);
  if (ctx->runs)
    return BATON_OK;
  return baton__fail(ctx, BATON_DB, "%s", ctx->runs_why);
}

const char *baton_history_readonly(baton *ctx) {
  if (!ctx)
    return NULL;
  open_runs(ctx);
  return ctx->runs ? baton__runstore_write_error(ctx->runs) : ctx->runs_why;
}

baton_rc baton_runs_list(baton *ctx, int limit, char **json_out_p) {
  return baton_runs_list_of(ctx, -1, limit, json_out_p);
}

baton_rc baton_runs_list_of(baton *ctx, long uid, int limit, char **json_out_p) {
  *json_out_p = NULL;
  if (baton__runs_usable(ctx) != BATON_OK)
    return BATON_DB;
  char err[512] = "";
  cJSON *arr = baton__runstore_list_of(ctx->runs, uid, limit, err, sizeof err);
  if (!arr)
    return baton__fail(ctx, BATON_DB, "%s", err);
  if (!(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

baton_rc baton_run_get(baton *ctx, const char *run_id, char **json_out_p) {
  *json_out_p = NULL;
  if (!run_id || !*run_id)
    return baton__fail(ctx, BATON_INVALID, "no run id given");
  if (baton__runs_usable(ctx) != BATON_OK)
    return BATON_DB;
  char err[512] = "";
  cJSON *o = baton__runstore_get(ctx->runs, run_id, err, sizeof err);
  if (!o)
    return baton__fail(ctx, strncmp(err, "no run", 6) == 0 ? BATON_NOTFOUND : BATON_DB, "%s", err);
  if (!(*json_out_p = json_out(o)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}
