/* run_owner.h — who may resume or replay a stored run. */
#ifndef BATON_RUNTIME_RUN_OWNER_H
#define BATON_RUNTIME_RUN_OWNER_H

#include "runtime/context.h"

typedef struct cJSON cJSON;

/* Whether this process may resume or replay the stored run `stored` (as
 * baton__runstore_get() returns it): when the run is its own (the stored
 * "uid" is its effective uid), when it is root, or when it is the user the
 * run history (runs.db) belongs to — the daemon's own user, who sees every
 * run. BATON_OK, or BATON_DENIED with the reason in the context's error. */
baton_rc baton__run_owner_check(baton *ctx, const cJSON *stored, const char *id);

#endif
