/* runnable.c — which task kinds some model can run here now, for the planners. */
#include "runtime/runnable.h"

#include <stdlib.h>

#include "runtime/context.h"
#include "core/banned.h"

unsigned char *baton__runnable_kinds(baton *ctx, const baton__taskspec *tasks, size_t n) {
  unsigned char *ok = calloc(n ? n : 1, 1);
  if (!ok)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    baton__model m;
    size_t found = 0;
    char err[256];
    if (baton__registry_match(ctx->reg, tasks[i].name, NULL, baton__endpoint_ok, ctx, &m, 1,
                              &found, err, sizeof err) != 0) {
      free(ok);
      return NULL;
    }
    if (found) {
      ok[i] = 1;
      baton__model_release(&m);
    }
  }
  return ok;
}
