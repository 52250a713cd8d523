/* handle.c — the registry handle: opening a database (schema, seeding, tasks, statements), writer connections, closing. */
#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/dbfile.h"
#include "registry/internal.h"
#include "core/banned.h"

static const char sql_term_task[] = "SELECT rowid FROM models_mfts WHERE models_mfts MATCH ?1";
static const char sql_tasks_all[] = "SELECT name FROM tasks ORDER BY name";
static const char sql_task_bases[] =
    "SELECT rowid, base, endpoint FROM models INDEXED BY models_task_endpoint"
    " WHERE task = ?1 AND enabled >= ?2";
static const char sql_task_count[] =
    "SELECT CASE WHEN ?2 THEN enabled ELSE models END FROM task_counts WHERE task = ?1";
/* A task's enabled models best base first, from the index alone (all, or
 * those of endpoint ?2): how far a match must read is bounded by where
 * the base falls, not by the task's size. */
static const char sql_base_order[] =
    "SELECT rowid, base FROM models INDEXED BY models_task_enabled_base"
    " WHERE task = ?1 AND enabled = 1 ORDER BY base DESC, id";
static const char sql_base_order_ep[] =
    "SELECT rowid, base FROM models INDEXED BY models_task_endpoint"
    " WHERE task = ?1 AND enabled = 1 AND endpoint = ?2 ORDER BY base DESC, id";
static const char sql_row_base[] = "SELECT base, endpoint, task, enabled FROM models WHERE rowid = ?1";
/* One step of a skip scan: the next endpoint after ?2 among a task's
 * enabled models, read from the index in O(log n). */
static const char sql_endpoint_next[] =
    "SELECT endpoint FROM models INDEXED BY models_task_endpoint"
    " WHERE task = ?1 AND enabled = 1 AND endpoint > ?2 ORDER BY endpoint LIMIT 1";
static const char sql_count_all[] = "SELECT coalesce(max(rowid), 0) FROM models";
static const char sql_row[] =
    "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, NULL, m.base, "
    BATON__HEALTH_SQL " AS hp, m.enabled"
    " FROM models m LEFT JOIN health h ON h.model_id = m.id WHERE m.rowid = ?1";
static const char sql_json[] =
    "SELECT id, task, description, endpoint, downloads, likes, tags, license, enabled"
    " FROM models WHERE id = ?1";

static const char sql_match_base[] =
    "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, NULL, m.base, "
    BATON__HEALTH_SQL " AS hp"
    " FROM models m LEFT JOIN health h ON h.model_id = m.id"
    " WHERE m.task = ?1 AND m.enabled = 1 ORDER BY m.base DESC, m.id";
static const char sql_match_base_ep[] =
    "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, NULL, m.base, "
    BATON__HEALTH_SQL " AS hp"
    " FROM models m INDEXED BY models_task_endpoint LEFT JOIN health h ON h.model_id = m.id"
    " WHERE m.task = ?1 AND m.enabled = 1 AND m.endpoint = ?2 ORDER BY m.base DESC, m.id";

static const char sql_list[] =
    "SELECT id, task, description, endpoint, downloads, likes, tags, license, enabled"
    " FROM models WHERE (?1 IS NULL OR task = ?1) AND (?3 IS NULL OR endpoint <> ?3)"
    " ORDER BY task, downloads DESC, id LIMIT ?2";

static const char sql_endpoint[] = "SELECT endpoint FROM models WHERE id = ?1 AND enabled = 1";

static const char sql_health_put[] =
    "INSERT INTO health(model_id, successes, failures, last_latency_ms, last_error, updated_at,"
    "  fail_rate, latency_ewma_ms, total_latency_ms, last_error_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0.5 * ?3, ?4, ?4, CASE WHEN ?3 > 0 THEN ?6 END)"
    " ON CONFLICT(model_id) DO UPDATE SET"
    "  successes = successes + excluded.successes,"
    "  failures = failures + excluded.failures,"
    "  last_latency_ms = excluded.last_latency_ms,"
    "  fail_rate = fail_rate * 0.5 + 0.5 * excluded.failures,"
    "  latency_ewma_ms = CASE WHEN latency_ewma_ms IS NULL THEN excluded.last_latency_ms"
    "    ELSE latency_ewma_ms * 0.7 + 0.3 * excluded.last_latency_ms END,"
    "  total_latency_ms = total_latency_ms + excluded.last_latency_ms,"
    "  last_error = CASE WHEN excluded.failures > 0 THEN excluded.last_error ELSE last_error END,"
    "  last_error_at = CASE WHEN excluded.failures > 0 THEN excluded.updated_at"
    "    ELSE last_error_at END,"
    "  updated_at = excluded.updated_at";

/* The statements a handle keeps prepared, and where. */
static const struct {
  const char *sql;
  size_t at;
} statements[] = {
    {sql_term_task, offsetof(baton__registry, st_term_task)},
    {sql_tasks_all, offsetof(baton__registry, st_tasks_all)},
    {"BEGIN", offsetof(baton__registry, st_begin)},
    {"COMMIT", offsetof(baton__registry, st_commit)},
    {sql_task_bases, offsetof(baton__registry, st_task_bases)},
    {sql_task_count, offsetof(baton__registry, st_task_count)},
    {sql_row_base, offsetof(baton__registry, st_row_base)},
    {sql_base_order, offsetof(baton__registry, st_base_order)},
    {sql_base_order_ep, offsetof(baton__registry, st_base_order_ep)},
    {sql_endpoint_next, offsetof(baton__registry, st_endpoint_next)},
    {sql_count_all, offsetof(baton__registry, st_count_all)},
    {sql_row, offsetof(baton__registry, st_row)},
    {sql_json, offsetof(baton__registry, st_json)},
    {sql_match_base, offsetof(baton__registry, st_match_base)},
    {sql_match_base_ep, offsetof(baton__registry, st_match_base_ep)},
    {sql_health_put, offsetof(baton__registry, st_health_put)},
    {sql_list, offsetof(baton__registry, st_list)},
    {sql_endpoint, offsetof(baton__registry, st_endpoint)},
};

static sqlite3_stmt **stmt_at(baton__registry *reg, size_t i) {
  return (sqlite3_stmt **)(void *)((char *)reg + statements[i].at);
}


static void free_tasks(baton__taskspec *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(t[i].name);
    free(t[i].description);
    free(t[i].keywords);
    free(t[i].params);
  }
  free(t);
}

static int load_tasks(baton__registry *reg, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(reg->db,
                         "SELECT name, description, inputs, outputs, keywords, params FROM tasks"
                         " ORDER BY rowid",
                         -1, &st, NULL) != SQLITE_OK)
    return baton__db_err(reg->db, err, errlen, "cannot read tasks");
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (reg->n_tasks == cap) {
      size_t ncap = cap ? cap * 2 : 32;
      baton__taskspec *nt = realloc(reg->tasks, ncap * sizeof *nt);
      if (!nt) {
        baton__fmt(err, errlen, "out of memory");
        sqlite3_finalize(st);
        return -1;
      }
      reg->tasks = nt;
      cap = ncap;
    }
    baton__taskspec *t = &reg->tasks[reg->n_tasks];
    memset(t, 0, sizeof *t);
    reg->n_tasks++;
    t->name = baton__col_dup(st, 0);
    t->description = baton__col_dup(st, 1);
    t->keywords = baton__col_dup(st, 4);
    t->params = baton__col_dup(st, 5);
    if (!t->name || !t->description || !t->keywords || !t->params) {
      baton__fmt(err, errlen, "out of memory");
      sqlite3_finalize(st);
      return -1;
    }
    const char *in = (const char *)sqlite3_column_text(st, 2);
    const char *out = (const char *)sqlite3_column_text(st, 3);
    t->inputs = in ? baton__types_parse(in) : 0;
    t->outputs = out ? baton__types_parse(out) : 0;
    if (!t->inputs || !t->outputs) {
      baton__fmt(err, errlen, "task '%s' has unknown types (inputs '%s', outputs '%s')",
                 t->name, in ? in : "", out ? out : "");
      sqlite3_finalize(st);
      return -1;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return baton__db_err(reg->db, err, errlen, "cannot read tasks");
  return 0;
}

static int prepare(baton__registry *reg, const char *sql, sqlite3_stmt **st, char *err,
                   size_t errlen) {
  if (sqlite3_prepare_v3(reg->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    return baton__db_err(reg->db, err, errlen, "cannot prepare a query");
  return 0;
}

/* Creates the folder that will hold the database file, if any. */
static void make_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return;
  char *dir = baton__strndup(path, (size_t)(slash - path));
  if (dir) {
    (void)baton__mkdirs(dir, 0700); /* sqlite reports the real problem if this fails */
    free(dir);
  }
}

/* Opens reg->db on path (WAL, baton's SQL functions and pragmas). */
static int open_connection(baton__registry *reg, const char *path, char *err, size_t errlen) {
  /* Every use of reg->db holds reg->lock, so SQLite's own mutexes would
   * only cost (they are a tenth of a bulk import's time). */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &reg->db, flags, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot open %s: %s", path,
               reg->db ? sqlite3_errmsg(reg->db) : "out of memory");
    return -1;
  }
  sqlite3_extended_result_codes(reg->db, 1);
  if (baton__sql_functions(reg->db) != SQLITE_OK) {
    baton__db_err(reg->db, err, errlen, "cannot register SQL functions");
    return -1;
  }
  baton__busy_wait(reg->db, BATON__BUSY_MS);
  char what[1024];
  baton__fmt(what, sizeof what, "cannot use %s as the registry database", path);
  if (baton__exec_sql(reg->db,
               "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
               " PRAGMA recursive_triggers = ON; PRAGMA synchronous = NORMAL;"
               " PRAGMA cache_size = -32768; PRAGMA mmap_size = 0;",
               err, errlen, what))
    return -1;
  return 0;
}

int baton__registry_open(const char *path, const char *catalogue, size_t len,
                         baton__registry **out, char *err, size_t errlen) {
  if (!path || !*path || !out) {
    baton__fmt(err, errlen, "no database path given");
    return -1;
  }
  if (!sqlite3_threadsafe()) {
    baton__fmt(err, errlen, "this SQLite library was built without thread support");
    return -1;
  }
  baton__registry *reg = calloc(1, sizeof *reg);
  if (!reg) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  if (pthread_mutex_init(&reg->lock, NULL) != 0) {
    free(reg);
    baton__fmt(err, errlen, "cannot create a lock");
    return -1;
  }
  if (!(reg->path = baton__strdup(path))) {
    pthread_mutex_destroy(&reg->lock);
    free(reg);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  make_parent(path);
  if (baton__dbfile_check(path, "the registry database", err, errlen) != 0)
    goto fail;
  if (open_connection(reg, path, err, errlen))
    goto fail;
  if (baton__schema_migrate(reg->db, path, err, errlen) ||
      baton__schema_seed(reg->db, catalogue, len, err, errlen) || load_tasks(reg, err, errlen))
    goto fail;
  for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++)
    if (prepare(reg, statements[i].sql, stmt_at(reg, i), err, errlen))
      goto fail;
  *out = reg;
  return 0;
fail:
  baton__registry_close(reg);
  return -1;
}

void baton__registry_close(baton__registry *reg) {
  if (!reg)
    return;
  baton__health_flush(reg);
  for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++)
    sqlite3_finalize(*stmt_at(reg, i));
  sqlite3_finalize(reg->st_health_get);
  sqlite3_close_v2(reg->db);
  free_tasks(reg->tasks, reg->n_tasks);
  free(reg->path);
  pthread_mutex_destroy(&reg->lock);
  free(reg);
}

const baton__taskspec *baton__registry_tasks(const baton__registry *reg, size_t *n) {
  if (!reg) {
    if (n)
      *n = 0;
    return NULL;
  }
  if (n)
    *n = reg->n_tasks;
  return reg->tasks;
}

const baton__taskspec *baton__registry_task(const baton__registry *reg, const char *name) {
  if (!reg || !name)
    return NULL;
  for (size_t i = 0; i < reg->n_tasks; i++)
    if (!strcmp(reg->tasks[i].name, name))
      return &reg->tasks[i];
  return NULL;
}


int baton__registry_writer(baton__registry *reg, sqlite3 **out, char *err, size_t errlen) {
  *out = NULL;
  sqlite3 *db = NULL;
  /* Used by one thread at a time: SQLite's own mutexes would only cost. */
  if (sqlite3_open_v2(reg->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    baton__fmt(err, errlen, "cannot open %s: %s", reg->path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close_v2(db);
    return -1;
  }
  sqlite3_extended_result_codes(db, 1);
  baton__busy_wait(db, 10000);
  if (baton__sql_functions(db) != SQLITE_OK ||
      baton__exec_sql(db,
               "PRAGMA foreign_keys = ON; PRAGMA recursive_triggers = ON;"
               " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
               err, errlen, "cannot set up a registry connection")) {
    if (!err[0])
      baton__db_err(db, err, errlen, "cannot register SQL functions");
    sqlite3_close_v2(db);
    return -1;
  }
  *out = db;
  return 0;
}
