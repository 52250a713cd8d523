/* run_owner.c — who may resume or replay a stored run: its owner, root, or the user the run history belongs to. */
#include "runtime/run_owner.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

/* Whether uid owns the run history file of ctx. */
static bool keeps_history(const baton *ctx, uid_t uid) {
  char *db = baton__path_join(ctx->cfg.home, "runs.db");
  struct stat st;
  bool keeper = db && stat(db, &st) == 0 && st.st_uid == uid;
  free(db);
  return keeper;
}

baton_rc baton__run_owner_check(baton *ctx, const cJSON *stored, const char *id) {
  uid_t me = geteuid();
  const cJSON *uid = cJSON_GetObjectItemCaseSensitive(stored, "uid");
  bool mine = cJSON_IsNumber(uid) && uid->valuedouble == (double)me;
  if (me == 0 || mine || keeps_history(ctx, me))
    return BATON_OK;
  char owner[32] = "an unknown user";
  if (cJSON_IsNumber(uid))
    baton__fmt(owner, sizeof owner, "uid %.0f", uid->valuedouble);
  return baton__fail(ctx, BATON_DENIED,
                     "run %s belongs to %s, not to uid %u: only its owner, root or the owner of "
                     "the run history may resume or replay it",
                     id, owner, (unsigned)me);
}
