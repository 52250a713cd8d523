/* runnable.c — which task kinds some model can run here now, for the planners. */
#include "runtime/runnable.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/apertium_pairs.h"
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

#define TRANSLATORS_LISTED 8

void baton__translations_here(baton *ctx, char *out, size_t cap) {
  baton__model m[TRANSLATORS_LISTED];
  size_t found = 0, n = 0;
  char err[256];
  out[0] = '\0';
  if (baton__registry_match(ctx->reg, "translation", NULL, baton__endpoint_ok, ctx, m,
                            TRANSLATORS_LISTED, &found, err, sizeof err) != 0)
    found = 0;
  for (size_t i = 0; i < found; i++, n = strlen(out)) {
    if (strcmp(m[i].endpoint, "local:apertium") == 0) {
      baton__lang_pair pairs[BATON__MAX_LANG_PAIRS];
      char list[1024];
      baton__lang_pairs_list(pairs, baton__apertium_pairs(pairs, BATON__MAX_LANG_PAIRS), list,
                             sizeof list);
      baton__fmt(out + n, cap - n,
                 "%sapertium %s, and any two of them joined through a shared language",
                 n ? "; " : "", list);
    } else {
      baton__fmt(out + n, cap - n, "%s%s", n ? "; " : "", m[i].id);
    }
    baton__model_release(&m[i]);
  }
}
