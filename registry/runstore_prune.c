/* runstore_prune.c — which runs' files may go to keep only the newest runs' files, and the record that they went. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

/* The unfinished runs and the newest `keep` runs whose files are kept are never among these. */
static const char sql_prunable[] =
    "SELECT id FROM runs WHERE pruned IS NULL AND status <> 'running' AND id NOT IN "
    "(SELECT id FROM runs WHERE pruned IS NULL ORDER BY updated DESC, id DESC LIMIT ?1) "
    "ORDER BY updated, id LIMIT ?2";

static void free_ids(char **ids, size_t n) {
  for (size_t i = 0; ids && i < n; i++)
    free(ids[i]);
  free(ids);
}

char **baton__runstore_prunable(baton__runstore *rs, int keep, int max, char *err,
                                size_t errlen) {
  char ferr[256];
  baton__runstore_flush(rs, ferr, sizeof ferr); /* this process's finished runs count */
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rs->db, sql_prunable, -1, &st, NULL) != SQLITE_OK) {
    baton__runstore_db_fail(rs, err, errlen, "finding runs whose files may go");
    return NULL;
  }
  sqlite3_bind_int(st, 1, keep > 0 ? keep : 0);
  sqlite3_bind_int(st, 2, max > 0 ? max : 1);
  size_t n = 0;
  char **ids = calloc((size_t)(max > 0 ? max : 1) + 1, sizeof *ids);
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
      baton__runstore_db_fail(rs, err, errlen, "finding runs whose files may go");
    free_ids(ids, n);
    ids = NULL;
  }
  sqlite3_finalize(st);
  return ids;
}

int baton__runstore_claim_files(baton__runstore *rs, const char *id, bool had_files, char *err,
                                size_t errlen) {
  if (rs->write_why[0]) {
    baton__fmt(err, errlen, "cannot record that run %s's files were removed: %s", id,
               rs->write_why);
    return -1;
  }
  sqlite3_stmt *st = NULL;
  /* RETURNING: whether this statement changed the row, whatever other threads run meanwhile */
  if (sqlite3_prepare_v2(rs->db,
                         "UPDATE runs SET pruned=?2 WHERE id=?1 AND pruned IS NULL AND "
                         "status <> 'running' RETURNING id",
                         -1, &st, NULL) != SQLITE_OK)
    return baton__runstore_db_fail(rs, err, errlen, "recording removed run files");
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 2, had_files ? baton__wall_s() : 0.0);
  int s = sqlite3_step(st);
  int rc = s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : -1;
  if (rc < 0)
    baton__runstore_db_fail(rs, err, errlen, "recording removed run files");
  sqlite3_finalize(st);
  return rc;
}
