/* context.c — the baton context: open/close, errors, logging, executors and registry queries. */
#include "runtime/context.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
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

baton_rc baton__fail(baton *ctx, baton_rc rc, const char *fmt, ...) {
  if (!ctx)
    return rc;
  char buf[sizeof ctx->errmsg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&ctx->lock);
  memcpy(ctx->errmsg, buf, sizeof buf);
  pthread_mutex_unlock(&ctx->lock);
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

const char *baton_errmsg(const baton *ctx) { return ctx ? ctx->errmsg : ""; }

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

static baton__exec_slot *slot_for(baton *ctx, const char *name) {
  for (size_t i = 0; i < ctx->n_slots; i++)
    if (strcmp(ctx->slots[i].ex->name, name) == 0)
      return &ctx->slots[i];
  return NULL;
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
  return NULL;
}

bool baton__endpoint_ok(void *vctx, const char *endpoint, char *why, size_t whylen) {
  baton *ctx = vctx;
  const char *name = executor_for(endpoint);
  if (!name) {
    baton__fmt(why, whylen, "unknown endpoint '%s'", endpoint);
    return false;
  }
  baton__exec_slot *s = slot_for(ctx, name);
  if (!s) {
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
    if (s->initialised && s->ex->release)
      s->ex->release(s->state);
    if (s->isolated)
      baton__worker_pool_release(&s->pool);
    pthread_mutex_destroy(&s->lock);
  }
  free(ctx->slots);
  ctx->slots = NULL;
  ctx->n_slots = 0;
  free(ctx->worker_program);
  ctx->worker_program = NULL;
}

static int open_slots(baton *ctx) {
  size_t n = 0;
  while (baton__executors[n])
    n++;
  ctx->slots = calloc(n ? n : 1, sizeof *ctx->slots);
  if (!ctx->slots)
    return -1;
  if (ctx->cfg.isolation != BATON__ISOLATE_NEVER)
    ctx->worker_program = baton__worker_program();
  for (size_t i = 0; i < n; i++) {
    const baton__executor *ex = baton__executors[i];
    if (ex->debug_only && !ctx->cfg.debug_executors)
      continue;
    baton__exec_slot *s = &ctx->slots[ctx->n_slots++];
    s->ex = ex;
    pthread_mutex_init(&s->lock, NULL);
    s->available = ex->available ? ex->available(&ctx->cfg, s->why, sizeof s->why) : true;
    s->isolated = ctx->worker_program &&
                  (ctx->cfg.isolation == BATON__ISOLATE_ALWAYS || !ex->in_process);
    if (s->isolated)
      baton__worker_pool_init(&s->pool, ex, &ctx->cfg, ctx->worker_program,
                              (size_t)ctx->cfg.workers);
  }
  return 0;
}

baton_rc baton_open(const char *config_path, baton **out) {
  *out = NULL;
  baton *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return BATON_NOMEM;
  pthread_mutex_init(&ctx->lock, NULL);
  ctx->log_level = BATON_LOG_INFO;
  *out = ctx;
  char err[768];
  if (baton__config_load(&ctx->cfg, config_path, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_CONFIG, "%s", err);
  if (baton__mkdirs(ctx->cfg.home, 0700) != 0)
    return baton__fail(ctx, BATON_IO, "cannot create the data folder %s: %s", ctx->cfg.home,
                       strerror(errno));
  char *db = baton__path_join(ctx->cfg.home, "registry.db");
  if (!db)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  int rc = baton__registry_open(db, (const char *)baton__catalogue_yaml,
                                baton__catalogue_yaml_len, &ctx->reg, err, sizeof err);
  free(db);
  if (rc != 0)
    return baton__fail(ctx, BATON_DB, "registry: %s", err);
  char *runs = baton__path_join(ctx->cfg.home, "runs.db");
  if (!runs)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  rc = baton__runstore_open(runs, &ctx->runs, err, sizeof err);
  free(runs);
  if (rc != 0)
    return baton__fail(ctx, BATON_DB, "%s", err);
  if (open_slots(ctx) != 0)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  if (ctx->cfg.llm_base_url) {
    baton__llm_settings ls;
    baton__llm_settings_init(&ls);
    ls.base_url = ctx->cfg.llm_base_url;
    ls.api_key = ctx->cfg.llm_api_key;
    ls.model = ctx->cfg.llm_model;
    ls.timeout_ms = ctx->cfg.llm_timeout_ms;
    if (!(ctx->llm = baton__llm_new(&ls, err, sizeof err)))
      return baton__fail(ctx, BATON_CONFIG, "LLM: %s", err);
  }
  return BATON_OK;
}

void baton_close(baton *ctx) {
  if (!ctx)
    return;
  close_slots(ctx);
  baton__llm_free(ctx->llm);
  baton__runstore_close(ctx->runs);
  baton__registry_close(ctx->reg);
  baton__config_release(&ctx->cfg);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx);
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
  cJSON *arr = baton__registry_search(ctx->reg, text, task, limit, err, sizeof err);
  if (!arr)
    return baton__fail(ctx, BATON_DB, "%s", err[0] ? err : "search failed");
  if (!(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

baton_rc baton_executors_json(baton *ctx, char **json_out_p) {
  *json_out_p = NULL;
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
    cJSON_AddStringToObject(o, "name", s->ex->name);
    cJSON_AddStringToObject(o, "model", s->ex->model_id);
    for (const char *const *t = s->ex->tasks; *t; t++)
      cJSON_AddItemToArray(tasks, cJSON_CreateString(*t));
    cJSON_AddItemToObject(o, "tasks", tasks);
    cJSON_AddBoolToObject(o, "available", s->available);
    cJSON_AddStringToObject(o, "isolation", s->isolated ? "worker process" : "in-process");
    if (s->available)
      cJSON_AddNullToObject(o, "reason");
    else
      cJSON_AddStringToObject(o, "reason", s->why);
  }
  if (!arr || !(*json_out_p = json_out(arr)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

baton_rc baton_runs_list(baton *ctx, int limit, char **json_out_p) {
  *json_out_p = NULL;
  char err[512] = "";
  cJSON *arr = baton__runstore_list(ctx->runs, limit, err, sizeof err);
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
  char err[512] = "";
  cJSON *o = baton__runstore_get(ctx->runs, run_id, err, sizeof err);
  if (!o)
    return baton__fail(ctx, strncmp(err, "no run", 6) == 0 ? BATON_NOTFOUND : BATON_DB, "%s", err);
  if (!(*json_out_p = json_out(o)))
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}
