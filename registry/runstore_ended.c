/* runstore_ended.c — runs whose end a full disk (or any failed write) kept out of the history: read back as interrupted, recorded so once writes work again. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

/* Runs kept at most; past that the oldest is forgotten (it reads running
 * until this process ends, as it did before). */
#define MAX_ENDED 256

void baton__rs_ended_add(baton__runstore *rs, const char *run_id) {
  baton__rs_ended *e = calloc(1, sizeof *e);
  if (!e || !(e->run_id = baton__strdup(run_id))) {
    free(e);
    return;
  }
  pthread_mutex_lock(&rs->lock);
  e->next = rs->ended;
  rs->ended = e;
  if (++rs->n_ended > MAX_ENDED) {
    baton__rs_ended **p = &rs->ended;
    while ((*p)->next)
      p = &(*p)->next;
    free((*p)->run_id);
    free(*p);
    *p = NULL;
    rs->n_ended--;
  }
  pthread_mutex_unlock(&rs->lock);
}

bool baton__rs_ended_has(baton__runstore *rs, const char *run_id) {
  bool has = false;
  pthread_mutex_lock(&rs->lock);
  for (const baton__rs_ended *e = rs->ended; e && !has; e = e->next)
    has = strcmp(e->run_id, run_id) == 0;
  pthread_mutex_unlock(&rs->lock);
  return has;
}

void baton__rs_ended_drop(baton__runstore *rs, const char *run_id) {
  pthread_mutex_lock(&rs->lock);
  for (baton__rs_ended **p = &rs->ended; *p; p = &(*p)->next) {
    if (strcmp((*p)->run_id, run_id) != 0)
      continue;
    baton__rs_ended *e = *p;
    *p = e->next;
    free(e->run_id);
    free(e);
    rs->n_ended--;
    break;
  }
  pthread_mutex_unlock(&rs->lock);
}

/* Records run id (still stored as this process's running run) and its unfinished tasks as
 * interrupted, inside the caller's transaction. false when a write failed. */
static bool mark_one(baton__runstore *rs, const char *id) {
  static const char *const sql[] = {
      "UPDATE runs SET status='interrupted', updated=?2 WHERE id=?1 AND status='running' "
      "AND owner=?3",
      "UPDATE run_tasks SET status='interrupted', updated=?2 "
      "WHERE run_id=?1 AND status IN ('pending','running') "
      "AND (SELECT status FROM runs WHERE id=?1)='interrupted'"};
  for (int k = 0; k < 2; k++) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(rs->db, sql[k], -1, &s, NULL) != SQLITE_OK)
      return false;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, baton__wall_s());
    sqlite3_bind_text(s, 3, rs->owner.instance, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
      return false;
  }
  return true;
}

/* The listed run ids (malloc'd, NULL-terminated), or NULL when none or out of memory. */
static char **ended_ids(baton__runstore *rs) {
  pthread_mutex_lock(&rs->lock);
  size_t n = 0;
  char **ids = rs->n_ended ? calloc(rs->n_ended + 1, sizeof *ids) : NULL;
  for (const baton__rs_ended *e = rs->ended; ids && e; e = e->next)
    if ((ids[n] = baton__strdup(e->run_id)))
      n++;
  pthread_mutex_unlock(&rs->lock);
  return ids;
}

void baton__rs_ended_store(baton__runstore *rs) {
  char **ids = ended_ids(rs);
  if (!ids)
    return;
  pthread_mutex_lock(&rs->txn);
  bool ok = sqlite3_exec(rs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
  for (size_t i = 0; ok && ids[i]; i++)
    ok = mark_one(rs, ids[i]);
  if (ok)
    ok = sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok && !sqlite3_get_autocommit(rs->db))
    sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
  pthread_mutex_unlock(&rs->txn);
  for (size_t i = 0; ids[i]; i++) {
    if (ok)
      baton__rs_ended_drop(rs, ids[i]);
    free(ids[i]);
  }
  free(ids);
}

void baton__rs_ended_free(baton__runstore *rs) {
  while (rs->ended) {
    baton__rs_ended *e = rs->ended;
    rs->ended = e->next;
    free(e->run_id);
    free(e);
  }
  rs->n_ended = 0;
}
