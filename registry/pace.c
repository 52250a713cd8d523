/* pace.c — a long registry write as short transactions with pauses between them, so other writers get the lock. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * SQLite's own busy handler (sqlite3_busy_timeout) makes a writer that
 * found the lock taken sleep and try again: 1, 2, 5, 10, 15, 20, 25, 25,
 * 25 ms, then 50, 50 and 100 ms apart. A transaction that starts again as
 * soon as the last one committed leaves the lock free for microseconds,
 * which such a writer almost never meets: it waits for the whole job, or
 * gives up. The registry's connections wait with baton__busy_wait(), which
 * tries every BATON__BUSY_POLL_MS, so a pause a few times that long lets a
 * waiting writer in: with transactions of at most 50 ms it gets the lock
 * within about 60 ms, and the pauses cost a long write a fifth of its time
 * rather than the 60% a pause that SQLite's handler would meet costs.
 */

/* SQLite's busy handler for baton__busy_wait: n tries so far, arg the
 * milliseconds to wait in all. */
static int poll_lock(void *arg, int n) {
  if ((long)n * BATON__BUSY_POLL_MS >= (long)(intptr_t)arg)
    return 0;
  sqlite3_sleep(BATON__BUSY_POLL_MS);
  return 1;
}

void baton__busy_wait(sqlite3 *db, int ms) {
  sqlite3_busy_handler(db, ms > 0 ? poll_lock : NULL, (void *)(intptr_t)ms);
}

int baton__pace_begin(baton__pace *p, sqlite3 *db, const char *what, char *err, size_t errlen) {
  p->db = db;
  p->what = what;
  p->commits = 0;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot start %s: %s", what, sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_wal_autocheckpoint(db, 0); /* baton__pace_next() checkpoints */
  p->t0 = baton__now_ms();
  return 0;
}

bool baton__pace_due(const baton__pace *p) {
  return (double)(baton__now_ms() - p->t0) + p->owed_ms >= p->chunk_ms;
}

/* Commits, timing the COMMIT into commit_ms. 0, or -1 with err. */
static int commit(baton__pace *p, char *err, size_t errlen) {
  int64_t t0 = baton__now_ms();
  if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot commit %s: %s", p->what, sqlite3_errmsg(p->db));
    return -1;
  }
  p->commit_ms = (double)(baton__now_ms() - t0);
  p->commits++;
  return 0;
}

int baton__pace_commit(baton__pace *p, char *err, size_t errlen) {
  int rc = commit(p, err, errlen);
  sqlite3_wal_autocheckpoint(p->db, BATON__WAL_AUTOCHECKPOINT);
  return rc;
}

int baton__pace_next(baton__pace *p, char *err, size_t errlen) {
  if (commit(p, err, errlen))
    return -1;
  if (p->paused)
    p->paused(p->ud, p);
  /* COMMIT would checkpoint itself (once it has let the lock go), and commit_ms would count it:
   * the caller sizes its transactions by commit_ms */
  sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  sqlite3_sleep(BATON__PACE_PAUSE_MS);
  if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot go on with %s: %s", p->what, sqlite3_errmsg(p->db));
    return -1;
  }
  p->t0 = baton__now_ms();
  return 0;
}

void baton__pace_rollback(baton__pace *p) {
  if (!sqlite3_get_autocommit(p->db))
    sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_wal_autocheckpoint(p->db, BATON__WAL_AUTOCHECKPOINT);
}
