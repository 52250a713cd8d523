/* runstore.c — durable run history in SQLite (runs.db): opening it (schema, runs left running), closing it. */
#include "registry/runstore.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/dbfile.h"
#include "registry/internal.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

/* Schema steps: migrations[v] takes a database from version v to v+1. */
static const char *const migrations[] = {
    "CREATE TABLE runs("
    "  id TEXT PRIMARY KEY,"
    "  created REAL NOT NULL,"
    "  updated REAL NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  request TEXT,"
    "  plan TEXT NOT NULL,"
    "  workspace TEXT NOT NULL,"
    "  summary TEXT,"
    "  result TEXT);"
    "CREATE INDEX runs_created ON runs(created);"
    "CREATE TABLE run_tasks("
    "  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  task_id INTEGER NOT NULL,"
    "  task TEXT NOT NULL,"
    "  model TEXT,"
    "  status TEXT NOT NULL,"
    "  outputs TEXT,"
    "  error TEXT,"
    "  ms INTEGER NOT NULL DEFAULT 0,"
    "  updated REAL NOT NULL,"
    "  PRIMARY KEY(run_id, task_id));",
    /* v2: the instance (runlock.h) that owns a running run; the uid that asked for it. */
    "ALTER TABLE runs ADD COLUMN owner TEXT;"
    "ALTER TABLE runs ADD COLUMN uid INTEGER;",
    /* v3: the queue worker ("HOST:NAME") that has or ran a task. */
    "ALTER TABLE run_tasks ADD COLUMN worker TEXT;",
    /* v4: the configured model server (endpoint) that answered a task. */
    "ALTER TABLE run_tasks ADD COLUMN endpoint TEXT;",
    /* v5: a run's plan in a row of its own (runs.plan stays '' for new
     * runs): updating a run (its end, a resume) then never rewrites it. */
    "CREATE TABLE run_plans("
    "  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  plan TEXT NOT NULL);",
    /* v6: when a run's folder was removed to keep only the newest runs' files (0: it had none
     * to remove); NULL while its files are kept. */
    "ALTER TABLE runs ADD COLUMN pruned REAL;"
    "CREATE INDEX runs_unpruned ON runs(updated) WHERE pruned IS NULL;",
    /* v7: pruned < 0 (minus when) marks a run claimed for removal whose folder is not yet known
     * to be gone (a crash in between, a removal that failed): the next prune removes it. */
    "CREATE INDEX runs_removing ON runs(id) WHERE pruned < 0;",
    /* v8: the conversation a run's chat tasks are sent (baton__conversation_chat's JSON, a few
     * kilobytes; NULL when it has none), so that a resumed run sends it again. */
    "ALTER TABLE runs ADD COLUMN chat_history TEXT;",
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(N_MIGRATIONS == BATON__RUNSTORE_SCHEMA, "runstore.h names the schema the migrations reach");

int baton__runstore_db_fail(baton__runstore *rs, char *err, size_t errlen, const char *what) {
  baton__fmt(err, errlen, "run history %s: %s: %s", rs->path, what,
             rs->db ? sqlite3_errmsg(rs->db) : "no database");
  return -1;
}

/* Damage (as opposed to a failing write: full disk, read-only file). */
static bool is_damage(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

static int read_version(baton__runstore *rs, int *v, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rs->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return baton__runstore_db_fail(rs, err, errlen, "reading the schema version");
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *v = sqlite3_column_int(st, 0);
  else
    baton__runstore_db_fail(rs, err, errlen, "reading the schema version");
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW && *v > (int)N_MIGRATIONS) {
    baton__fmt(err, errlen,
               "run history %s has schema version %d, newer than this baton knows (%d); "
               "upgrade baton",
               rs->path, *v, (int)N_MIGRATIONS);
    return -1;
  }
  return rc == SQLITE_ROW ? 0 : -1;
}

/* Brings the schema up to date in one transaction (two processes opening a
 * new file at once migrate it once). */
static int migrate(baton__runstore *rs, char *err, size_t errlen) {
  int v = 0;
  if (read_version(rs, &v, err, errlen) != 0)
    return -1;
  if (v == (int)N_MIGRATIONS)
    return 0;
  if (sqlite3_exec(rs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return baton__runstore_db_fail(rs, err, errlen, "starting the migration");
  int rc = read_version(rs, &v, err, errlen);
  for (; rc == 0 && v < (int)N_MIGRATIONS; v++) {
    char pragma[64];
    baton__fmt(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
    if (sqlite3_exec(rs->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(rs->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
      rc = baton__runstore_db_fail(rs, err, errlen, "migrating the schema");
  }
  if (rc == 0 && sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = baton__runstore_db_fail(rs, err, errlen, "committing the migration");
  if (rc != 0 && !sqlite3_get_autocommit(rs->db))
    sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* The ids of runs stored as running whose owner no longer holds its lock.
 * NULL-terminated array (empty when none), or NULL with err. */
static char **dead_runs(baton__runstore *rs, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rs->db, "SELECT id, owner FROM runs WHERE status='running'", -1, &st,
                         NULL) != SQLITE_OK) {
    baton__runstore_db_fail(rs, err, errlen, "finding unfinished runs");
    return NULL;
  }
  char **dead = calloc(1, sizeof *dead);
  size_t n = 0;
  int s = dead ? SQLITE_DONE : SQLITE_NOMEM;
  while (dead && (s = sqlite3_step(st)) == SQLITE_ROW) {
    if (baton__runlock_alive(&rs->owner, (const char *)sqlite3_column_text(st, 1)))
      continue;
    char **nd = realloc(dead, (n + 2) * sizeof *nd);
    char *id = baton__strdup((const char *)sqlite3_column_text(st, 0));
    if (!nd || !id) {
      free(id);
      dead = nd ? nd : dead;
      s = SQLITE_NOMEM;
      break;
    }
    dead = nd;
    dead[n++] = id;
    dead[n] = NULL;
  }
  if (!dead || s != SQLITE_DONE) {
    if (s == SQLITE_NOMEM)
      baton__fmt(err, errlen, "out of memory");
    else
      baton__runstore_db_fail(rs, err, errlen, "finding unfinished runs");
    for (size_t i = 0; dead && i < n; i++)
      free(dead[i]);
    free(dead);
    dead = NULL;
  }
  sqlite3_finalize(st);
  return dead;
}

/* Marks runs whose owner is gone as interrupted (and their unfinished tasks
 * too), so a crash never leaves a run that looks alive. A failing read is
 * an error; a failing write only makes this process read-only. */
static int mark_interrupted(baton__runstore *rs, char *err, size_t errlen) {
  char **dead = dead_runs(rs, err, errlen);
  if (!dead)
    return -1;
  static const char *const sql[] = {
      "UPDATE runs SET status='interrupted', updated=?2 WHERE id=?1 AND status='running'",
      "UPDATE run_tasks SET status='interrupted', updated=?2 "
      "WHERE run_id=?1 AND status IN ('pending','running')"};
  char why[384] = "";
  for (size_t i = 0; dead[i] && !why[0]; i++) {
    for (int k = 0; k < 2 && !why[0]; k++) {
      sqlite3_stmt *s = NULL;
      if (sqlite3_prepare_v2(rs->db, sql[k], -1, &s, NULL) != SQLITE_OK) {
        baton__runstore_db_fail(rs, why, sizeof why, "marking interrupted runs");
        break;
      }
      sqlite3_bind_text(s, 1, dead[i], -1, SQLITE_STATIC);
      sqlite3_bind_double(s, 2, baton__wall_s());
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE)
        baton__runstore_db_fail(rs, why, sizeof why, "marking interrupted runs");
      sqlite3_finalize(s);
      if (rc != SQLITE_DONE && is_damage(rc)) {
        baton__fmt(err, errlen, "%s", why);
        why[0] = '\0';
        for (size_t j = 0; dead[j]; j++)
          free(dead[j]);
        free(dead);
        return -1;
      }
    }
  }
  for (size_t i = 0; dead[i]; i++)
    free(dead[i]);
  free(dead);
  if (why[0] && !rs->write_why[0])
    baton__fmt(rs->write_why, sizeof rs->write_why, "%s", why);
  return 0;
}

static const char sql_task[] =
    "INSERT INTO run_tasks(run_id, task_id, task, model, status, outputs, "
    "error, ms, updated, worker, endpoint) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) "
    "ON CONFLICT(run_id, task_id) DO UPDATE SET model=excluded.model, "
    "status=excluded.status, outputs=excluded.outputs, error=excluded.error, "
    "ms=excluded.ms, updated=excluded.updated, worker=excluded.worker, "
    "endpoint=excluded.endpoint";
/* A run done can no longer be resumed: the conversation kept for that goes. */
static const char sql_finish[] =
    "UPDATE runs SET status=?2, summary=?3, result=?4, updated=?5, "
    "chat_history=CASE WHEN ?2='done' THEN NULL ELSE chat_history END WHERE id=?1";
/* A run's start takes the row its acceptance wrote (sql_accept: running, this instance's, no
 * plan yet); any other row of its id is not overwritten (no change: an error). */
static const char sql_begin[] =
    "INSERT INTO runs(id, created, updated, pid, status, request, plan, workspace, owner, uid, "
    "chat_history) VALUES(?1, ?2, ?2, ?3, 'running', ?4, '', ?5, ?6, ?7, ?8) "
    "ON CONFLICT(id) DO UPDATE SET updated=excluded.updated, pid=excluded.pid, "
    "request=excluded.request, workspace=excluded.workspace, uid=excluded.uid, "
    "chat_history=excluded.chat_history WHERE runs.status='running' AND "
    "runs.owner=excluded.owner AND NOT EXISTS(SELECT 1 FROM run_plans p WHERE p.run_id=?1)";
/* A run accepted and not yet planned: running, with no plan. */
static const char sql_accept[] =
    "INSERT INTO runs(id, created, updated, pid, status, request, plan, workspace, owner, uid) "
    "VALUES(?1, ?2, ?2, ?3, 'running', ?4, '', ?5, ?6, ?7)";
/* A run accepted that never started (its submit refused): as if never accepted. */
static const char sql_forget[] =
    "DELETE FROM runs WHERE id=?1 AND status='running' AND owner=?2 AND "
    "NOT EXISTS(SELECT 1 FROM run_plans p WHERE p.run_id=?1)";
static const char sql_plan[] = "INSERT INTO run_plans(run_id, plan) VALUES(?1, ?2)";
/* A run whose folder was removed is not reopened (its files are gone); one that had none to
 * remove may be, and its new files are kept like any run's. */
static const char sql_reopen[] =
    "UPDATE runs SET status='running', pid=?2, updated=?3, owner=?4, summary=NULL, "
    "result=NULL, pruned=NULL WHERE id=?1 AND (pruned IS NULL OR pruned=0)";

static int prepare_writes(baton__runstore *rs, char *err, size_t errlen) {
  const unsigned f = SQLITE_PREPARE_PERSISTENT;
  if (sqlite3_prepare_v3(rs->db, sql_task, -1, f, &rs->st_task, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_finish, -1, f, &rs->st_finish, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_begin, -1, f, &rs->st_begin, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_reopen, -1, f, &rs->st_reopen, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_plan, -1, f, &rs->st_plan, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_accept, -1, f, &rs->st_accept, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db, sql_forget, -1, f, &rs->st_forget, NULL) != SQLITE_OK)
    return baton__runstore_db_fail(rs, err, errlen, "preparing statements");
  return 0;
}

/* Opens the SQLite connection: read-write, or read-only (with the reason
 * kept in write_why) when the file cannot be written. */
static int open_db(baton__runstore *rs, char *err, size_t errlen) {
  const int rw = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(rs->path, &rs->db, rw, NULL) != SQLITE_OK) {
    baton__fmt(rs->write_why, sizeof rs->write_why, "cannot open %s for writing: %s", rs->path,
               rs->db ? sqlite3_errmsg(rs->db) : "out of memory");
    sqlite3_close(rs->db);
    rs->db = NULL;
    if (sqlite3_open_v2(rs->path, &rs->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
      baton__fmt(err, errlen, "cannot open the run history %s: %s", rs->path,
                 rs->db ? sqlite3_errmsg(rs->db) : "out of memory");
      return -1;
    }
  }
  sqlite3_extended_result_codes(rs->db, 1);
  baton__busy_wait(rs->db, 5000);
  char *msg = NULL;
  int rc = sqlite3_exec(rs->db,
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA foreign_keys=ON;",
                        NULL, NULL, &msg);
  if (rc != SQLITE_OK && (is_damage(rc) || !rs->write_why[0])) {
    baton__fmt(err, errlen, "run history %s: %s", rs->path, msg ? msg : sqlite3_errmsg(rs->db));
    sqlite3_free(msg);
    if (!is_damage(rc) && (rc & 0xff) != SQLITE_NOMEM) {
      /* Cannot switch to WAL (full disk): readable, not writable. */
      baton__fmt(rs->write_why, sizeof rs->write_why, "%s", err);
      return 0;
    }
    return -1;
  }
  sqlite3_free(msg);
  return 0;
}

static void close_db(baton__runstore *rs) {
  sqlite3_finalize(rs->st_task);
  sqlite3_finalize(rs->st_finish);
  sqlite3_finalize(rs->st_begin);
  sqlite3_finalize(rs->st_reopen);
  sqlite3_finalize(rs->st_plan);
  sqlite3_finalize(rs->st_accept);
  sqlite3_finalize(rs->st_forget);
  sqlite3_close(rs->db);
  baton__runlock_drop(&rs->owner);
  free(rs->path);
}

/* How long the writer lets a burst of writes gather: 2 ms, or BATON_TEST_RUNS_GATHER_MS (0 to
 * 60000; for tests that need the window of a batch open long enough to hit it). */
static long gather_ms(void) {
  const char *v = getenv("BATON_TEST_RUNS_GATHER_MS");
  char *end = NULL;
  long ms = v && *v ? strtol(v, &end, 10) : -1;
  return end && !*end && ms >= 0 && ms <= 60000 ? ms : 2;
}

int baton__runstore_open(const char *path, baton__runstore **out, char *err, size_t errlen) {
  *out = NULL;
  baton__runstore *rs = calloc(1, sizeof *rs);
  if (!rs || !(rs->path = baton__strdup(path))) {
    free(rs);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  rs->owner.fd = -1;
  rs->gather_ms = gather_ms();
  if (baton__dbfile_check(path, "the run history", err, errlen) != 0 ||
      open_db(rs, err, errlen) != 0 || migrate(rs, err, errlen) != 0)
    goto fail;
  char why[384];
  if (!rs->write_why[0] && baton__runlock_take(&rs->owner, path, why, sizeof why) != 0)
    baton__fmt(rs->write_why, sizeof rs->write_why, "%s", why);
  if (mark_interrupted(rs, err, errlen) != 0 || prepare_writes(rs, err, errlen) != 0)
    goto fail;
  pthread_mutex_init(&rs->lock, NULL);
  pthread_mutex_init(&rs->txn, NULL);
  pthread_cond_init(&rs->wake, NULL);
  pthread_cond_init(&rs->drained, NULL);
  if (baton__thread_start(&rs->writer, baton__runstore_writer, rs) != 0) {
    baton__fmt(err, errlen, "run history: cannot start its writer thread");
    pthread_mutex_destroy(&rs->lock);
    pthread_mutex_destroy(&rs->txn);
    pthread_cond_destroy(&rs->wake);
    pthread_cond_destroy(&rs->drained);
    goto fail;
  }
  rs->started = true;
  *out = rs;
  return 0;
fail:
  close_db(rs);
  free(rs);
  return -1;
}

const char *baton__runstore_write_error(const baton__runstore *rs) {
  return rs && rs->write_why[0] ? rs->write_why : NULL;
}

void baton__runstore_close(baton__runstore *rs) {
  if (!rs)
    return;
  if (rs->started) {
    pthread_mutex_lock(&rs->lock);
    rs->stop = true;
    pthread_cond_signal(&rs->wake);
    pthread_mutex_unlock(&rs->lock);
    pthread_join(rs->writer, NULL); /* it drains the queue first */
    pthread_mutex_destroy(&rs->lock);
    pthread_mutex_destroy(&rs->txn);
    pthread_cond_destroy(&rs->wake);
    pthread_cond_destroy(&rs->drained);
  }
  baton__runstore_fails_free(rs);
  baton__rs_ended_free(rs);
  baton__rs_pending_free(&rs->pending);
  close_db(rs);
  free(rs);
}
