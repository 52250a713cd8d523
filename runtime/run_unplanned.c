/* run_unplanned.c — a run that ended before it had a plan (cancelled while planned, its LLM planner failed) recorded in the run history. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The result of such a run, as a finished run's (run_finish.c) without plan
 * and tasks (the history puts them back, both empty), and with no workspace:
 * "" (it never started, so no folder was made for it). NULL when out of
 * memory. */
static cJSON *unplanned_result(const char *run_id, const char *request, bool cancelled,
                               const char *why, const baton__run_llm *llm) {
  cJSON *res = cJSON_CreateObject();
  if (!res)
    return NULL;
  cJSON_AddStringToObject(res, "run_id", run_id);
  cJSON_AddStringToObject(res, "status", cancelled ? "cancelled" : "failed");
  cJSON_AddStringToObject(res, cancelled ? "cancel_reason" : "error", why);
  if (request)
    cJSON_AddStringToObject(res, "request", request);
  cJSON_AddStringToObject(res, "summary", "");
  cJSON_AddStringToObject(res, "workspace", "");
  baton__run_add_usage(llm, res);
  return res;
}

/* Writes the run's start and end; 0, or -1 with err. */
static int record(baton *ctx, const char *run_id, long long uid, const char *request,
                  const char *status, const char *stored, char *err, size_t errlen) {
  if (baton__runs_usable(ctx) != BATON_OK) {
    baton__fmt(err, errlen, "%s", baton_errmsg(ctx));
    return -1;
  }
  if (baton__runstore_begin_as(ctx->runs, run_id, uid, request, "[]", "", NULL, err,
                               errlen) != 0)
    return -1;
  return baton__runstore_finish(ctx->runs, run_id, status, "", stored, err, errlen);
}

int baton__run_store_unplanned(baton *ctx, const char *run_id, long long uid, const char *request,
                               baton_rc rc, const char *why, const baton__run_llm *llm,
                               char **result_out) {
  if (result_out)
    *result_out = NULL;
  char saved[1024], err[512] = "out of memory";
  baton__fmt(saved, sizeof saved, "%s", baton_errmsg(ctx)); /* what the caller reports */
  bool cancelled = rc == BATON_CANCELLED;
  if (!why || !*why)
    why = baton_strerror(rc);
  char *stored = NULL;
  cJSON *res = unplanned_result(run_id, request, cancelled, why, llm);
  int out = -1;
  if (res && (stored = cJSON_PrintUnformatted(res)) &&
      record(ctx, run_id, uid, request, cancelled ? "cancelled" : "failed", stored, err,
             sizeof err) == 0)
    out = 0;
  if (out == 0 && result_out) {
    baton__runstore_result_put(res, cJSON_CreateArray(), cJSON_CreateArray());
    *result_out = cJSON_PrintUnformatted(res);
  }
  if (out != 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s ended before it had a plan and is not recorded: %s",
               run_id, err);
  cJSON_free(stored);
  cJSON_Delete(res);
  baton__fail(ctx, BATON_OK, "%s", saved);
  return out;
}
