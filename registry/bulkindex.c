/* bulkindex.c — the full-text index of the models a long import inserts, one statement per transaction. */
#include <sqlite3.h>
#include <stdint.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * FTS5 writes its pending postings to disk at every statement's savepoint,
 * so an import that inserted models one statement at a time through the
 * models_mfts_ai trigger wrote a small segment per model and merged them
 * again and again: perf put a quarter of an import of 100,000 models in
 * sqlite3VtabSavepoint. Since schema version 9 that trigger leaves a new
 * row alone while meta holds the key 'bulk_import'. A bulk writer sets it
 * inside its transaction and, before it commits, indexes in one statement
 * every row it inserted (a new row gets the largest rowid + 1, so those
 * above the largest when the transaction began) and deletes the key:
 * no other connection ever sees it.
 */

/* Runs sql with ?1 bound to v (unless v < 0); the first column of its
 * first row into *out when out is given. 0, or -1 with err. */
static int run(sqlite3 *db, const char *sql, sqlite3_int64 v, sqlite3_int64 *out, char *err,
               size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && v >= 0)
    sqlite3_bind_int64(st, 1, v);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  if (out && rc == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return 0;
  baton__fmt(err, errlen, "cannot index the imported models: %s", sqlite3_errmsg(db));
  return -1;
}

int baton__bulk_begin(sqlite3 *db, baton__bulk *b, long inserted, char *err, size_t errlen) {
  b->inserted = inserted; /* (ms_per_row: the caller's guess, then the last measure) */
  b->lo = 0;
  return run(db, "SELECT coalesce(max(rowid), 0) FROM models", -1, &b->lo, err, errlen) ||
         run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('bulk_import', '1')", -1,
             NULL, err, errlen);
}

int baton__bulk_end(sqlite3 *db, baton__bulk *b, long inserted, char *err, size_t errlen) {
  sqlite3_int64 added = -1;
  int64_t t0 = baton__now_ms();
  if (run(db, "SELECT count(*) FROM models WHERE rowid > ?1", b->lo, &added, err, errlen))
    return -1;
  if (added != inserted - b->inserted) {
    baton__fmt(err, errlen, "cannot index the imported models: %lld new rows, %ld inserted",
               (long long)added, inserted - b->inserted);
    return -1;
  }
  if (run(db, "INSERT INTO models_mfts(rowid, words) SELECT rowid,"
              " baton_match_text(task, id, description, tags) FROM models WHERE rowid > ?1",
          b->lo, NULL, err, errlen))
    return -1;
  if (added > 0)
    b->ms_per_row = (double)(baton__now_ms() - t0) / (double)added;
  return run(db, "DELETE FROM meta WHERE key = 'bulk_import'", -1, NULL, err, errlen);
}
