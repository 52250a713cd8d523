/* runstore_prune.c — which runs' files may go to keep only the newest runs' files, and the record that they went, each step committed on its own. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

/* runs.pruned: NULL while the files are kept; -when: claimed, the folder being removed (or left
 * by a crash, or a removal that failed); +when: the folder is gone; 0: there was none. */

/* The unfinished runs and the newest `keep` runs whose files are kept are never among these. */
static const char sql_prunable[] =
    "SELECT id FROM runs WHERE pruned IS NULL AND status <> 'running' AND id NOT IN "
    "(SELECT id FROM runs WHERE pruned IS NULL ORDER BY updated DESC, id DESC LIMIT ?2) "
    "ORDER BY updated, id LIMIT ?1";
static const char sql_claimed[] = "SELECT id FROM runs WHERE pruned < 0 ORDER BY id LIMIT ?1";
/* RETURNING: whether this statement changed the row, whatever other threads run meanwhile */
static const char sql_claim[] =
    "UPDATE runs SET pruned=?2 WHERE id=?1 AND pruned IS NULL AND status <> 'running' "
    "RETURNING id";
static const char sql_gone[] = "UPDATE runs SET pruned=-pruned WHERE id=?1 AND pruned < 0 "
                               "RETURNING id";

static void free_ids(char **ids, size_t n) {
  for (size_t i = 0; ids && i < n; i++)
    free(ids[i]);
  free(ids);
}

/* Up to max ids the query sql (?1: max, ?2: keep) lists; NULL-terminated, or NULL with err. */
static char **list_ids(baton__runstore *rs, const char *sql, int keep, int max, char *err,
                       size_t errlen) {
  const char *what = "finding runs whose files may go";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rs->db, sql, -1, &st, NULL) != SQLITE_OK) {
    baton__runstore_db_fail(rs, err, errlen, what);
    return NULL;
  }
  if (max <= 0)
    max = 1;
  sqlite3_bind_int(st, 1, max);
  if (sqlite3_bind_parameter_count(st) >= 2)
    sqlite3_bind_int(st, 2, keep > 0 ? keep : 0);
  size_t n = 0;
  char **ids = calloc((size_t)max + 1, sizeof *ids);
  int s = ids ? SQLITE_DONE : SQLITE_NOMEM;
  while (ids && (s = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *id = sqlite3_column_text(st, 0);
    if (!id || !(ids[n] = baton__strdup((const char *)id))) {
      s = SQLITE_NOMEM;
      break;
    }
    n++;
  }
  if (s != SQLITE_DONE) {
    if (s == SQLITE_NOMEM)
      baton__fmt(err, errlen, "out of memory");
    else
      baton__runstore_db_fail(rs, err, errlen, what);
    free_ids(ids, n);
    ids = NULL;
  }
  sqlite3_finalize(st);
  return ids;
}

char **baton__runstore_prunable(baton__runstore *rs, int keep, int max, char *err,
                                size_t errlen) {
  char ferr[256];
  baton__runstore_flush(rs, ferr, sizeof ferr); /* this process's finished runs count */
  return list_ids(rs, sql_prunable, keep, max, err, errlen);
}

char **baton__runstore_claimed(baton__runstore *rs, int max, char *err, size_t errlen) {
  return list_ids(rs, sql_claimed, 0, max, err, errlen);
}

/* Runs sql (RETURNING the row it changes) on run id, with ?2 = v when it has one, in a
 * transaction of its own, never inside one of the writer's (rs->txn): what it changed is
 * committed when it returns. 1 when it changed the row, 0 when not, -1 with err. */
static int commit_one(baton__runstore *rs, const char *sql, const char *id, double v,
                      const char *what, char *err, size_t errlen) {
  if (rs->write_why[0]) {
    baton__fmt(err, errlen, "cannot record that run %s's files %s: %s", id, what,
               rs->write_why);
    return -1;
  }
  pthread_mutex_lock(&rs->txn);
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (sqlite3_exec(rs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(rs->db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 2)
      sqlite3_bind_double(st, 2, v);
    int s = sqlite3_step(st);
    rc = s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : -1;
  }
  sqlite3_finalize(st);
  if (rc >= 0 && sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = -1;
  if (rc < 0) {
    char why[64];
    baton__fmt(why, sizeof why, "recording that run files %s", what);
    baton__runstore_db_fail(rs, err, errlen, why);
    if (!sqlite3_get_autocommit(rs->db))
      sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&rs->txn);
  return rc;
}

int baton__runstore_claim_files(baton__runstore *rs, const char *id, bool had_files, char *err,
                                size_t errlen) {
  /* A folder to remove is claimed (-when) until baton__runstore_files_gone(); none, done. */
  return commit_one(rs, sql_claim, id, had_files ? -baton__wall_s() : 0.0, "are being removed",
                    err, errlen);
}

int baton__runstore_files_gone(baton__runstore *rs, const char *id, char *err, size_t errlen) {
  return commit_one(rs, sql_gone, id, 0.0, "were removed", err, errlen);
}
