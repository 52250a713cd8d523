/* unplanned.c — a run before it has a plan: its `accepted` event, and how it ends when cancelled before or while being planned. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "runtime/run_int.h"
#include "server/internal.h"
#include "core/banned.h"

/* Why a run cancelled before its plan was made says it ended. */
#define CANCELLED_UNPLANNED BATON__CANCELLED_UNPLANNED

/* An event of sr that carries nothing but its type ("accepted", "done"). */
static void post_bare_event(baton_server *srv, const srun *sr, const char *type) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"run_id\":");
  baton__sb_add_json_str(&sb, sr->run_id);
  baton__sb_adds(&sb, ",\"type\":");
  baton__sb_add_json_str(&sb, type);
  baton__sb_addf(&sb, ",\"ts\":%.3f}}", baton__wall_s());
  baton__srv_post_sb(srv, sr->client, OUT_NOTIFY, &sb);
}

void baton__srv_post_accepted(baton_server *srv, const srun *sr) {
  if (!sr->quiet)
    post_bare_event(srv, sr, "accepted");
}

/* The result of `baton run --json` for a run that ended before it had a plan:
 * no tasks, no answer, no LLM call finished. NULL when out of memory. */
static char *unplanned_result(const srun *sr, const job *j, const char *why) {
  cJSON *res = cJSON_CreateObject();
  cJSON *usage = cJSON_CreateObject();
  if (!res || !usage) {
    cJSON_Delete(res);
    cJSON_Delete(usage);
    return NULL;
  }
  cJSON_AddStringToObject(res, "run_id", sr->run_id);
  cJSON_AddStringToObject(res, "status", "cancelled");
  cJSON_AddStringToObject(res, "cancel_reason", why);
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(j->params, "request");
  if (cJSON_IsString(text))
    cJSON_AddStringToObject(res, "request", text->valuestring);
  cJSON_AddItemToObject(res, "plan", cJSON_CreateArray());
  cJSON_AddItemToObject(res, "tasks", cJSON_CreateArray());
  cJSON_AddStringToObject(res, "summary", "");
  cJSON_AddNumberToObject(usage, "llm_calls", 0);
  cJSON_AddNumberToObject(usage, "prompt_tokens", 0);
  cJSON_AddNumberToObject(usage, "completion_tokens", 0);
  cJSON_AddItemToObject(res, "usage", usage);
  char *out = cJSON_PrintUnformatted(res);
  cJSON_Delete(res);
  return out;
}

void baton__srv_record_unplanned(const srun *sr, const job *j, const char *why) {
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(j->params, "request");
  baton__run_store_unplanned(sr->sc->ctx, sr->run_id, (long long)sr->uid,
                             cJSON_IsString(text) ? text->valuestring : NULL, BATON_CANCELLED,
                             why ? why : CANCELLED_UNPLANNED, NULL, NULL);
}

void baton__srv_post_unplanned(baton_server *srv, const srun *sr, const job *j, const char *why,
                               bool recorded) {
  if (!recorded)
    baton__srv_record_unplanned(sr, j, why);
  if (!why)
    why = CANCELLED_UNPLANNED;
  baton__srv_log(srv, BATON_LOG_INFO, "run %s ended before it had a plan: %s", sr->run_id, why);
  if (!sr->quiet)
    post_bare_event(srv, sr, "done");
  if (!j->id_json)
    return;
  char *res = unplanned_result(sr, j, why);
  if (res)
    baton__srv_post_result(srv, j->client, j->id_json, res);
  else
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_CANCELLED, why);
  cJSON_free(res);
}
