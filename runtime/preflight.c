/* preflight.c — refuses, before any task runs, a step a local executor is known not to serve (a language pair apertium has no route for). */
#include "runtime/preflight.h"

#include <string.h>

#include "core/util.h"
#include "executors/apertium_pairs.h"
#include "core/banned.h"

/* A literal (not <GENERATED>) argument of the task, or NULL. */
static const char *literal_arg(const baton__task *t, const char *name) {
  for (size_t i = 0; i < t->n_args; i++)
    if (t->args[i].ref < 0 && !strcmp(t->args[i].name, name) && t->args[i].value &&
        t->args[i].value[0])
      return t->args[i].value;
  return NULL;
}

/* A translation that only apertium can serve, between languages it has no
 * route for. 0, or -1 with err naming the installed pairs. */
static int check_translation(baton *ctx, const baton__task *t, char *err, size_t errlen) {
  const char *src = literal_arg(t, "src_lang"), *tgt = literal_arg(t, "tgt_lang");
  char ep[256];
  if (strcmp(t->task, "translation") != 0 || !t->model || t->n_candidates || !src || !tgt ||
      baton__registry_endpoint(ctx->reg, t->model, ep, sizeof ep) != 0 ||
      strcmp(ep, "local:apertium") != 0)
    return 0;
  baton__exec_slot *s = baton__slot(ctx, ep);
  if (!s || !s->available)
    return 0; /* it fails when it runs, with the executor's own reason */
  baton__lang_pair pairs[BATON__MAX_LANG_PAIRS];
  size_t n = baton__apertium_pairs(pairs, BATON__MAX_LANG_PAIRS);
  char via[16];
  if (baton__lang_route(pairs, n, src, tgt, via, sizeof via) > 0)
    return 0;
  char list[1024];
  baton__lang_pairs_list(pairs, n, list, sizeof list);
  baton__fmt(err, errlen,
             "task %d: apertium cannot translate %s -> %s here, directly or through another "
             "language; installed pairs: %s",
             t->id, src, tgt, list);
  return -1;
}

baton_rc baton__preflight(baton *ctx, const baton__graph *g) {
  char err[1400];
  for (size_t i = 0; i < g->n; i++)
    if (check_translation(ctx, &g->tasks[i], err, sizeof err) != 0)
      return baton__fail(ctx, BATON_INVALID, "%s", err);
  return BATON_OK;
}
