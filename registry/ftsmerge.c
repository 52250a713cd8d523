/* ftsmerge.c — merges the full-text index's segments after an import, a short transaction at a time. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

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
/* A transaction of merge steps holds the write lock about this long, and
 * the next one starts this much later: a writer that found the lock taken
 * retries (SQLite's busy handler) at most 25 ms apart in its first 100 ms
 * of waiting, so it gets the lock in the pause instead of waiting for the
 * whole merge. */
#define MERGE_CHUNK_MS 25
#define MERGE_PAUSE_MS 30

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

/* One transaction of merge steps, about MERGE_CHUNK_MS long. 1 when there is
 * more to merge, 0 when done, -1 with err. */
static int merge_chunk(sqlite3 *db, sqlite3_stmt *st, bool *first, char *err, size_t errlen) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot merge the full-text index: %s", sqlite3_errmsg(db));
    return -1;
  }
  int64_t t0 = baton__now_ms();
  int more;
  do {
    more = merge_step(db, st, *first ? -MERGE_PAGES : MERGE_PAGES);
    *first = false;
  } while (more == 1 && baton__now_ms() - t0 < MERGE_CHUNK_MS);
  if (more < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot merge the full-text index: %s", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return more;
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
  bool first = true;
  int more;
  while ((more = merge_chunk(db, st, &first, err, errlen)) == 1)
    sqlite3_sleep(MERGE_PAUSE_MS);
  sqlite3_finalize(st);
  return more < 0 ? -1 : 0;
}

void baton__fts_merge_into_report(sqlite3 *db, cJSON *report) {
  char err[256] = "";
  if (baton__fts_merge(db, err, sizeof err) && report)
    cJSON_AddStringToObject(report, "index_merge", err[0] ? err : "failed");
}
