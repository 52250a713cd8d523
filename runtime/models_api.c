/* models_api.c — the public registry calls: import, export, add, remove, show, sync (over the Hub fetcher), explain. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "executors/hub_http.h"
#include "runtime/context.h"
#include "core/util.h"
#include "core/banned.h"


static baton_rc json_result(baton *ctx, cJSON *j, char **out) {
  *out = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if (!*out)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  return BATON_OK;
}

/* A registry message that names a file line or a bad value is the
 * caller's fault; anything else is the database's. */
static baton_rc classify(const char *err) {
  if (strstr(err, "out of memory"))
    return BATON_NOMEM;
  if (strstr(err, "cannot open ") || strstr(err, "cannot read ") || strstr(err, "No such file"))
    return strstr(err, "registry") ? BATON_DB : BATON_IO;
  if (strstr(err, "database") || strstr(err, "SQL") || strstr(err, "cannot commit") ||
      strstr(err, "cannot start") || strstr(err, "locked") || strstr(err, "busy"))
    return BATON_DB;
  return BATON_INVALID;
}

baton_rc baton_models_import(baton *ctx, const char *path, const char *format, char **json_out) {
  *json_out = NULL;
  if (!path || !*path)
    return baton__fail(ctx, BATON_INVALID, "no file to import");
  if (!baton__file_exists(path))
    return baton__fail(ctx, BATON_IO, "cannot read %s: no such file", path);
  char err[1024] = "";
  cJSON *report = NULL;
  if (baton__registry_import(ctx->reg, path, format, &report, err, sizeof err))
    return baton__fail(ctx, classify(err), "%s", err);
  return json_result(ctx, report, json_out);
}

baton_rc baton_models_export(baton *ctx, const char *format, const char *task, char **text_out) {
  *text_out = NULL;
  if (task && !baton__registry_task(ctx->reg, task))
    return baton__fail(ctx, BATON_NOTFOUND, "unknown task '%s' (see `baton models list`)", task);
  char err[512] = "";
  char *text = baton__registry_export(ctx->reg, format, task, err, sizeof err);
  if (!text)
    return baton__fail(ctx, strstr(err, "format") ? BATON_INVALID : BATON_DB, "%s", err);
  *text_out = text;
  return BATON_OK;
}

baton_rc baton_models_add(baton *ctx, const char *model_json) {
  if (!model_json)
    return baton__fail(ctx, BATON_INVALID, "no model given");
  cJSON *m = cJSON_Parse(model_json);
  if (!cJSON_IsObject(m)) {
    cJSON_Delete(m);
    return baton__fail(ctx, BATON_INVALID, "the model must be a JSON object");
  }
  char err[512] = "";
  bool created = false;
  int rc = baton__registry_add(ctx->reg, m, &created, err, sizeof err);
  cJSON_Delete(m);
  if (rc)
    return baton__fail(ctx, strstr(err, "cannot ") ? BATON_DB : BATON_INVALID, "%s", err);
  return BATON_OK;
}

baton_rc baton_models_remove(baton *ctx, const char *id) {
  if (!id || !*id)
    return baton__fail(ctx, BATON_INVALID, "no model id given");
  char err[512] = "";
  int rc = baton__registry_remove(ctx->reg, id, err, sizeof err);
  if (rc == BATON__REG_NOTFOUND)
    return baton__fail(ctx, BATON_NOTFOUND, "%s", err);
  if (rc)
    return baton__fail(ctx, BATON_DB, "%s", err);
  return BATON_OK;
}

baton_rc baton_models_show(baton *ctx, const char *id, char **json_out) {
  *json_out = NULL;
  if (!id || !*id)
    return baton__fail(ctx, BATON_INVALID, "no model id given");
  char err[512] = "";
  bool notfound = false;
  cJSON *o = baton__registry_show(ctx->reg, id, &notfound, err, sizeof err);
  if (!o)
    return baton__fail(ctx, notfound ? BATON_NOTFOUND : BATON_DB, "%s",
                       err[0] ? err : "out of memory");
  return json_result(ctx, o, json_out);
}

baton_rc baton_models_sync(baton *ctx, const char *task, int limit, char **json_out) {
  *json_out = NULL;
  if (!task || !*task)
    return baton__fail(ctx, BATON_INVALID, "sync needs a task (--task T), e.g. object-detection");
  if (!baton__registry_task(ctx->reg, task))
    return baton__fail(ctx, BATON_NOTFOUND, "unknown task '%s' (see `baton models list`)", task);
  baton__sync_opts o = {.base_url = ctx->cfg.hub_base_url,
                        .token = ctx->cfg.hf_token,
                        .task = task,
                        .limit = limit > 0 ? limit : 100,
                        .fetch = baton__hub_http_get};
  char err[1024] = "";
  cJSON *report = NULL;
  if (baton__registry_sync(ctx->reg, &o, &report, err, sizeof err)) {
    baton_rc rc = BATON_IO;
    if (strstr(err, "limit must") || strstr(err, "bad arguments"))
      rc = BATON_INVALID;
    else if (strstr(err, "cannot store") || strstr(err, "cannot commit") ||
             strstr(err, "cannot start writing"))
      rc = BATON_DB;
    return baton__fail(ctx, rc, "sync: %s", err);
  }
  return json_result(ctx, report, json_out);
}

baton_rc baton_models_explain(baton *ctx, const char *text, const char *task, int limit,
                              char **json_out) {
  *json_out = NULL;
  if (!task || !*task)
    return baton__fail(ctx, BATON_INVALID, "explain needs a task (--task T)");
  if (!baton__registry_task(ctx->reg, task))
    return baton__fail(ctx, BATON_NOTFOUND, "unknown task '%s' (see `baton models list`)", task);
  char err[512] = "";
  cJSON *o = baton__registry_explain(ctx->reg, task, text, baton__endpoint_ok, ctx, limit, err,
                                     sizeof err);
  if (!o)
    return baton__fail(ctx, BATON_DB, "%s", err[0] ? err : "out of memory");
  return json_result(ctx, o, json_out);
}

/* The names of the type bits set in `types`, as a JSON array. */
static cJSON *type_names(unsigned types) {
  cJSON *a = cJSON_CreateArray();
  for (unsigned bit = 1; a && bit <= BATON__T_JSON; bit <<= 1)
    if (types & bit)
      cJSON_AddItemToArray(a, cJSON_CreateString(baton__type_name(bit)));
  return a;
}

/* One task kind with the model the registry would choose for it now. */
static cJSON *task_entry(baton *ctx, const baton__taskspec *t) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "name", t->name);
  cJSON_AddStringToObject(o, "description", t->description ? t->description : "");
  cJSON_AddItemToObject(o, "inputs", type_names(t->inputs));
  cJSON_AddItemToObject(o, "outputs", type_names(t->outputs));
  cJSON *params = cJSON_AddArrayToObject(o, "params");
  for (const char *p = t->params ? t->params : ""; *p;) {
    size_t len = strcspn(p, ",");
    char name[64];
    baton__fmt(name, sizeof name, "%.*s", (int)len, p);
    cJSON_AddItemToArray(params, cJSON_CreateString(name));
    p += len + (p[len] == ',');
  }
  baton__model m;
  size_t found = 0;
  char err[256] = "";
  if (baton__registry_match(ctx->reg, t->name, NULL, baton__endpoint_ok, ctx, &m, 1, &found, err,
                            sizeof err) == 0 && found) {
    cJSON_AddStringToObject(o, "model", m.id);
    baton__model_release(&m);
  } else {
    cJSON_AddNullToObject(o, "model");
  }
  cJSON_AddBoolToObject(o, "available", found > 0);
  return o;
}

baton_rc baton_tasks_json(baton *ctx, char **json_out) {
  *json_out = NULL;
  size_t n = 0;
  const baton__taskspec *ts = baton__registry_tasks(ctx->reg, &n);
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *o = task_entry(ctx, &ts[i]);
    if (!o) {
      cJSON_Delete(arr);
      arr = NULL;
    } else {
      cJSON_AddItemToArray(arr, o);
    }
  }
  return json_result(ctx, arr, json_out);
}
