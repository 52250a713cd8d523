/* queue_api.c — the public view of the task queue: baton_workers_json(). */
#include <cjson/cJSON.h>

#include "runtime/context.h"
#include "core/banned.h"

baton_rc baton_workers_json(baton *ctx, char **json_out) {
  *json_out = NULL;
  if (!ctx)
    return BATON_INVALID;
  if (!ctx->queue)
    return baton__fail(ctx, BATON_CONFIG, "no task queue is configured (queue.url in the config)");
  char err[512] = "";
  cJSON *arr = baton__queue_workers(ctx->queue, err, sizeof err);
  if (!arr)
    return baton__fail(ctx, BATON_IO, "%s", err[0] ? err : "cannot list the queue's workers");
  *json_out = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  return *json_out ? BATON_OK : baton__fail(ctx, BATON_NOMEM, "out of memory");
}
