/* run_prune.c — the folders of runs past the newest limits.runs_kept removed, oldest first, their records kept and marked. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Folders removed at most after one run: a history that has just been given a bound (or a
 * lower one) shrinks over the following runs, and no run waits long for it. */
#define PRUNE_BATCH 32

/* Is id a run id as baton makes them ("20261206-061800-dde571398b30")? Nothing else names a
 * folder to remove: never a path out of home/runs. */
static bool run_id_ok(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n >= 64)
    return false;
  for (const char *c = id; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '-'))
      return false;
  return true;
}

/* Removes run id's folder once the history records it removed (a run resumed meanwhile, or
 * one another process removes, is left alone). */
static void prune_one(baton *ctx, const char *id) {
  char rel[80], err[512];
  baton__fmt(rel, sizeof rel, "runs/%s", id);
  char *dir = run_id_ok(id) ? baton__path_join(ctx->cfg.home, rel) : NULL;
  if (!dir)
    return;
  struct stat st;
  bool had = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode); /* a symlink is never followed */
  int claimed = baton__runstore_claim_files(ctx->runs, id, had, err, sizeof err);
  if (claimed < 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s: its files are kept: %s", id, err);
  else if (claimed && had && baton__rm_tree(dir, false) != 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s: cannot remove all of %s", id, dir);
  else if (claimed && had)
    baton__log(ctx, BATON_LOG_DEBUG, "run %s: removed %s (limits.runs_kept: %d)", id, dir,
               ctx->cfg.runs_kept);
  free(dir);
}

void baton__runs_prune(baton *ctx) {
  int keep = ctx->cfg.runs_kept;
  if (keep <= 0 || !ctx->runs || baton__runstore_write_error(ctx->runs))
    return;
  char err[512];
  char **ids = baton__runstore_prunable(ctx->runs, keep, PRUNE_BATCH, err, sizeof err);
  if (!ids) {
    baton__log(ctx, BATON_LOG_WARN, "old runs' files are kept: %s", err);
    return;
  }
  for (size_t i = 0; ids[i]; i++) {
    prune_one(ctx, ids[i]);
    free(ids[i]);
  }
  free(ids);
}
