/* run_accepted.c — a daemon's run between its `accepted` event and its start: recorded before its id is told, forgotten when it never starts. */
#include <stdlib.h>

#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

int baton__run_record_accepted(baton *ctx, const char *run_id, long long uid,
                               const char *request, char *err, size_t errlen) {
  if (baton__runs_usable(ctx) != BATON_OK) {
    baton__fmt(err, errlen, "%s", baton_errmsg(ctx));
    return -1;
  }
  char rel[64];
  baton__fmt(rel, sizeof rel, "runs/%s", run_id);
  char *workspace = baton__path_join(ctx->cfg.home, rel);
  if (!workspace) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  int rc = baton__runstore_accept(ctx->runs, run_id, uid, request, workspace, err, errlen);
  free(workspace);
  return rc;
}

void baton__run_forget_accepted(baton *ctx, const char *run_id) {
  char err[512];
  if (ctx->runs && baton__runstore_forget(ctx->runs, run_id, err, sizeof err) != 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s never started but stays in the history: %s", run_id,
               err);
}
