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

/* The folder of run id (a run id as baton makes them), or NULL. Caller frees. */
static char *run_dir(baton *ctx, const char *id) {
  char rel[80];
  baton__fmt(rel, sizeof rel, "runs/%s", id);
  return baton__run_id_ok(id) ? baton__path_join(ctx->cfg.home, rel) : NULL;
}

/* Removes the folder of run id, claimed in the history (committed), then records it gone. A
 * removal that fails, or a process that dies before, leaves the claim: the next prune does it. */
static void remove_claimed(baton *ctx, const char *id, const char *dir) {
  char err[512];
  struct stat st;
  if (lstat(dir, &st) == 0 && baton__rm_tree(dir, false) != 0) {
    baton__log(ctx, BATON_LOG_WARN, "run %s: cannot remove all of %s (tried again later)", id,
               dir);
    return;
  }
  if (baton__runstore_files_gone(ctx->runs, id, err, sizeof err) < 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s: its files are removed, but %s", id, err);
  else
    baton__log(ctx, BATON_LOG_DEBUG, "run %s: removed %s (limits.runs_kept: %d)", id, dir,
               ctx->cfg.runs_kept);
}

/* Claims run id's folder in the history, then removes it (a run resumed meanwhile, or one
 * another process claims, is left alone). */
static void prune_one(baton *ctx, const char *id) {
  char err[512];
  char *dir = run_dir(ctx, id);
  if (!dir)
    return;
  struct stat st;
  bool had = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode); /* a symlink is never followed */
  int claimed = baton__runstore_claim_files(ctx->runs, id, had, err, sizeof err);
  if (claimed < 0)
    baton__log(ctx, BATON_LOG_WARN, "run %s: its files are kept: %s", id, err);
  else if (claimed && had)
    remove_claimed(ctx, id, dir);
  free(dir);
}

/* Runs of ids: each removed with prune_one, or (claimed) with remove_claimed. Frees ids. */
static void prune_each(baton *ctx, char **ids, bool claimed) {
  for (size_t i = 0; ids[i]; i++) {
    char *dir = claimed ? run_dir(ctx, ids[i]) : NULL;
    if (dir)
      remove_claimed(ctx, ids[i], dir);
    else if (!claimed)
      prune_one(ctx, ids[i]);
    free(dir);
    free(ids[i]);
  }
  free(ids);
}

void baton__runs_prune(baton *ctx) {
  int keep = ctx->cfg.runs_kept;
  if (keep <= 0 || !ctx->runs || baton__runstore_write_error(ctx->runs))
    return;
  char err[512];
  /* First the folders claimed before and not recorded gone: a process died between. */
  char **ids = baton__runstore_claimed(ctx->runs, PRUNE_BATCH, err, sizeof err);
  if (ids)
    prune_each(ctx, ids, true);
  ids = ids ? baton__runstore_prunable(ctx->runs, keep, PRUNE_BATCH, err, sizeof err) : NULL;
  if (!ids) {
    baton__log(ctx, BATON_LOG_WARN, "old runs' files are kept: %s", err);
    return;
  }
  prune_each(ctx, ids, false);
}
