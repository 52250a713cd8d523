/* pace.c — a long registry write as short transactions with pauses between them, so other writers get the lock. */
#include <sqlite3.h>
#include <stdbool.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * SQLite's busy handler (sqlite3_busy_timeout) makes a writer that found
 * the lock taken sleep and try again: 1, 2, 5, 10, 15, 20, 25, 25, 25 ms,
 * then 50, 50 and 100 ms apart. A transaction that starts again as soon as
 * the last one committed leaves the lock free for microseconds, which such
 * a writer almost never meets: it waits for the whole job, or gives up.
 * A pause longer than the writer's tries are apart in its first 100 ms of
 * waiting makes it meet one: with transactions of at most 50 ms it gets
 * the lock within about 80 ms. BATON__PACE_PAUSE_MS (internal.h) is 30 ms.
 */

int baton__pace_begin(baton__pace *p, sqlite3 *db, const char *what, char *err, size_t errlen) {
  p->db = db;
  p->what = what;
  p->commits = 0;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot start %s: %s", what, sqlite3_errmsg(db));
    return -1;
  }
  p->t0 = baton__now_ms();
  return 0;
}

bool baton__pace_due(const baton__pace *p) {
  return baton__now_ms() - p->t0 >= p->chunk_ms;
}

int baton__pace_commit(baton__pace *p, char *err, size_t errlen) {
  if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot commit %s: %s", p->what, sqlite3_errmsg(p->db));
    return -1;
  }
  p->commits++;
  return 0;
}

int baton__pace_next(baton__pace *p, char *err, size_t errlen) {
  if (baton__pace_commit(p, err, errlen))
    return -1;
  if (p->paused)
    p->paused(p->ud, p);
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
}
