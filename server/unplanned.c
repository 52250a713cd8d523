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

/* The result of `baton run --json` for a run that ended before it had a plan: its record in
 * the history, as `baton runs show` gives it (its usage counts an LLM call cancelled after it
 * was sent). NULL when it is not recorded (the history unusable) or out of memory. */
static char *stored_result(const srun *sr) {
  char *out = NULL;
  if (baton_run_get(sr->sc->ctx, sr->run_id, &out) != BATON_OK)
    return NULL;
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
  char *res = stored_result(sr);
  if (res)
    baton__srv_post_result(srv, j->client, j->id_json, res);
  else
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_CANCELLED, why);
  baton_free(res);
}
