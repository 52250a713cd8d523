/* ftsmerge.c — merges the full-text index's segments after an import, a short transaction at a time. */
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * Every commit that adds models flushes a new FTS5 segment (b-tree) into
 * models_mfts, and FTS5's automerge keeps only the count per level down, so
 * an import written in many chunks leaves several segments; a word is then
 * looked up in each, which a fresh process pays in page reads. FTS5's
 * 'optimize' merges them into one but in one transaction (13 s at
 * 1,000,000 models). The 'merge' command does the same work in steps of
 * about |N| leaf pages: the first step with a negative N puts every segment
 * on one level and starts merging them, the next ones (positive N) carry
 * that merge on even if models were added meanwhile, and a step that
 * changes fewer than two rows (sqlite3_total_changes()) found nothing left
 * to do (https://sqlite.org/fts5.html, "The 'merge' Command").
 */

/* Leaf pages merged per 'merge' statement (about 4 KB each). */
#define MERGE_PAGES 16
/* Merging starts when the index has more segments than this. */
#define MERGE_ABOVE_SEGMENTS 4
/* A transaction of merge steps holds the write lock about this long, with
 * a pause after it for other writers (registry/pace.c). */
#define MERGE_CHUNK_MS 25

int baton__fts_segments(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(DISTINCT segid) FROM models_mfts_idx", -1, &st,
                         NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* One 'merge' step of pages (negative: every segment). 1 when it did
 * work, 0 when nothing was left to merge, -1 on error. */
static int merge_step(sqlite3 *db, sqlite3_stmt *st, int pages) {
  sqlite3_bind_int(st, 1, pages);
  int before = sqlite3_total_changes(db);
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  if (s != SQLITE_DONE)
    return -1;
  return sqlite3_total_changes(db) - before >= 2 ? 1 : 0;
}

/* Merge steps in paced transactions until one finds nothing left to do.
 * 0, or -1 with err. */
static int merge_paced(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen) {
  baton__pace pace = {.chunk_ms = MERGE_CHUNK_MS};
  if (baton__pace_begin(&pace, db, "the full-text index merge", err, errlen))
    return -1;
  int more = merge_step(db, st, -MERGE_PAGES);
  while (more == 1) {
    if (baton__pace_due(&pace) && baton__pace_next(&pace, err, errlen)) {
      baton__pace_rollback(&pace);
      return -1;
    }
    more = merge_step(db, st, MERGE_PAGES);
  }
  if (more < 0)
    baton__fmt(err, errlen, "cannot merge the full-text index: %s", sqlite3_errmsg(db));
  if (more < 0 || baton__pace_commit(&pace, err, errlen)) {
    baton__pace_rollback(&pace);
    return -1;
  }
  return 0;
}

int baton__fts_merge(sqlite3 *db, char *err, size_t errlen) {
  int segments = baton__fts_segments(db);
  if (segments < 0) {
    baton__fmt(err, errlen, "cannot read the full-text index: %s", sqlite3_errmsg(db));
    return -1;
  }
  if (segments <= MERGE_ABOVE_SEGMENTS)
    return 0;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO models_mfts(models_mfts, rank) VALUES('merge', ?1)", -1,
                         &st, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot merge the full-text index: %s", sqlite3_errmsg(db));
    return -1;
  }
  int rc = merge_paced(db, st, err, errlen);
  sqlite3_finalize(st);
  return rc;
}

void baton__fts_merge_into_report(sqlite3 *db, cJSON *report) {
  char err[256] = "";
  if (baton__fts_merge(db, err, sizeof err) && report)
    cJSON_AddStringToObject(report, "index_merge", err[0] ? err : "failed");
}
