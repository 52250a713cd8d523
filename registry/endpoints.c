/* endpoints.c — models served by configured model servers (one row per model and task) and each server's health, kept in the registry (schema 5). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"
#include "core/banned.h"

/* Serialised use of the handle's connection: one prepared statement per
 * call (these calls are rare: once per open, per match, per listing). */
static sqlite3_stmt *prep(baton__registry *reg, const char *sql, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(reg->db, sql, -1, &st, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "registry: %s", sqlite3_errmsg(reg->db));
    return NULL;
  }
  return st;
}

static const char *col(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? (const char *)s : "";
}

/* One row of models' rows (model id, task, endpoints) is stored as given. */
static bool row_stored(sqlite3_stmt *st, const char *id, const char *task, const char *eps) {
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, task, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, eps, -1, SQLITE_STATIC);
  bool found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return found;
}

/* Whether the table already holds exactly models' rows (as it does at every
 * open with an unchanged config, or none configured): then nothing is
 * written, so opening a context makes no write transaction. Under reg->lock. */
static bool models_stored(baton__registry *reg, const cJSON *models) {
  char err[128];
  sqlite3_stmt *count = prep(reg, "SELECT count(*) FROM endpoint_models", err, sizeof err);
  sqlite3_stmt *one = prep(reg, "SELECT 1 FROM endpoint_models WHERE id = ? AND task = ? AND "
                                "endpoints = ?", err, sizeof err);
  bool same = count && one && sqlite3_step(count) == SQLITE_ROW;
  sqlite3_int64 rows = same ? sqlite3_column_int64(count, 0) : 0, given = 0;
  const cJSON *m, *t;
  cJSON_ArrayForEach(m, models) {
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
    const char *eps = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "endpoints"));
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(m, "tasks")) {
      given++;
      same = same && id && eps && cJSON_IsString(t) && row_stored(one, id, t->valuestring, eps);
    }
  }
  sqlite3_finalize(count);
  sqlite3_finalize(one);
  return same && rows == given;
}

int baton__registry_set_endpoint_models(baton__registry *reg, const cJSON *models, char *err,
                                        size_t errlen) {
  pthread_mutex_lock(&reg->lock);
  if (models_stored(reg, models)) {
    pthread_mutex_unlock(&reg->lock);
    return 0;
  }
  int rc = sqlite3_exec(reg->db, "BEGIN IMMEDIATE; DELETE FROM endpoint_models;", NULL, NULL,
                        NULL) == SQLITE_OK
               ? 0
               : -1;
  sqlite3_stmt *st =
      rc ? NULL
         : prep(reg, "INSERT OR REPLACE INTO endpoint_models(id, task, endpoints) VALUES (?,?,?)",
                err, errlen);
  const cJSON *m, *t;
  cJSON_ArrayForEach(m, models) {
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
    const char *eps = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "endpoints"));
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(m, "tasks")) {
      if (!st || !id || !eps || !cJSON_IsString(t))
        continue;
      sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, t->valuestring, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, eps, -1, SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE)
        rc = -1;
      sqlite3_reset(st);
    }
  }
  if (!st)
    rc = -1;
  sqlite3_finalize(st);
  if (rc == 0 && sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = -1;
  if (rc != 0) {
    if (!err[0])
      baton__fmt(err, errlen, "registry: cannot store the endpoint models: %s",
                 sqlite3_errmsg(reg->db));
    sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* "openai:a,b" for endpoints "a,b". Caller frees. */
static char *endpoint_of(const char *eps) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "openai:%s", eps);
  return baton__sb_detach(&sb);
}

int baton__registry_endpoint_model(baton__registry *reg, const char *id, char *out, size_t cap) {
  char err[128] = "";
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st =
      prep(reg, "SELECT endpoints FROM endpoint_models WHERE id = ? LIMIT 1", err, sizeof err);
  int rc = -1;
  if (st) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      baton__fmt(out, cap, "openai:%s", col(st, 0));
      rc = 0;
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

size_t baton__registry_endpoint_candidates(baton__registry *reg, const char *task,
                                           baton__endpoint_ok_fn ok, void *ud, baton__model *out,
                                           size_t max) {
  char err[128] = "";
  cJSON *rows = cJSON_CreateArray();
  pthread_mutex_lock(&reg->lock);
  /* A model that failed lately (one that cannot take this kind of input) goes after those that
   * did not, as the catalogue's do (BATON__HEALTH_SQL). */
  sqlite3_stmt *st = prep(reg,
                          "SELECT e.id, e.endpoints, " BATON__HEALTH_SQL " AS hp"
                          " FROM endpoint_models e LEFT JOIN health h ON h.model_id = e.id"
                          " WHERE e.task = ?1 ORDER BY hp DESC, e.id",
                          err, sizeof err);
  if (st) {
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, baton__wall_s());
    while (sqlite3_step(st) == SQLITE_ROW) {
      cJSON *r = cJSON_CreateArray();
      cJSON_AddItemToArray(r, cJSON_CreateString(col(st, 0)));
      cJSON_AddItemToArray(r, cJSON_CreateString(col(st, 1)));
      cJSON_AddItemToArray(r, cJSON_CreateNumber(sqlite3_column_double(st, 2)));
      cJSON_AddItemToArray(rows, r);
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  size_t n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, rows) {
    if (n >= max)
      break;
    char *ep = endpoint_of(cJSON_GetArrayItem(r, 1)->valuestring);
    char why[256];
    if (!ep || (ok && !ok(ud, ep, why, sizeof why))) {
      free(ep);
      continue;
    }
    baton__model *m = &out[n++];
    memset(m, 0, sizeof *m);
    m->id = baton__strdup(cJSON_GetArrayItem(r, 0)->valuestring);
    m->task = baton__strdup(task);
    m->description = baton__strdup("a model declared on a configured model server");
    m->endpoint = ep;
    m->local_bonus = BATON__ENDPOINT_BONUS;
    m->health = cJSON_GetNumberValue(cJSON_GetArrayItem(r, 2));
    m->score = BATON__ENDPOINT_BONUS + m->health;
  }
  cJSON_Delete(rows);
  return n;
}

/* One listing item per model and task. */
static cJSON *item(const char *id, const char *task, const char *eps) {
  cJSON *o = cJSON_CreateObject();
  char *ep = endpoint_of(eps);
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "task", task);
  char desc[300];
  baton__fmt(desc, sizeof desc, "served by the model server%s %s", strchr(eps, ',') ? "s" : "",
             eps);
  cJSON_AddStringToObject(o, "description", desc);
  cJSON_AddStringToObject(o, "endpoint", ep ? ep : "");
  cJSON_AddNumberToObject(o, "downloads", 0);
  cJSON_AddNumberToObject(o, "likes", 0);
  cJSON_AddStringToObject(o, "source", "endpoint");
  cJSON_AddNumberToObject(o, "score", BATON__ENDPOINT_BONUS);
  free(ep);
  return o;
}

int baton__registry_endpoint_list(baton__registry *reg, const char *task, const char *text,
                                  cJSON *into) {
  char err[128] = "";
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = prep(reg,
                          "SELECT id, task, endpoints FROM endpoint_models"
                          " WHERE (?1 IS NULL OR task = ?1)"
                          "   AND (?2 IS NULL OR instr(lower(id || ' ' || task), lower(?2)) > 0)"
                          " ORDER BY id, task",
                          err, sizeof err);
  int n = 0;
  if (st) {
    if (task)
      sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
    if (text)
      sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      cJSON_InsertItemInArray(into, n++, item(col(st, 0), col(st, 1), col(st, 2)));
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return st ? n : -1;
}

cJSON *baton__registry_endpoint_show(baton__registry *reg, const char *id) {
  char err[128] = "";
  cJSON *o = NULL;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = prep(reg, "SELECT task, endpoints FROM endpoint_models WHERE id = ? ORDER BY task",
                          err, sizeof err);
  if (st) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cJSON *tasks = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!o) {
        o = item(id, col(st, 0), col(st, 1));
        cJSON_AddBoolToObject(o, "enabled", true);
        cJSON *eps = cJSON_AddArrayToObject(o, "endpoints");
        char *copy = baton__strdup(col(st, 1));
        for (char *cur = copy, *e; (e = baton__token(&cur, ","));)
          cJSON_AddItemToArray(eps, cJSON_CreateString(e));
        free(copy);
        tasks = cJSON_AddArrayToObject(o, "tasks");
      }
      cJSON_AddItemToArray(tasks, cJSON_CreateString(col(st, 0)));
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return o;
}

/* ---- health -------------------------------------------------------------------- */

/* A hold-off only grows (another process may have been told to wait longer) and only a good
 * answer (?11) ends it. */
static const char health_put_sql[] =
    "INSERT INTO endpoint_health(name, up, consecutive_failures, requests, failures,"
    "  last_error, last_error_at, last_ok_at, retry_at, updated_at, held_until, held_reason,"
    "  held_count)"
    " VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, ''), nullif(?7, 0), nullif(?8, 0), nullif(?9, 0), ?10,"
    "  nullif(?12, 0), nullif(?13, ''), ?14)"
    " ON CONFLICT(name) DO UPDATE SET up = ?2, consecutive_failures = ?3,"
    "  requests = max(requests, ?4), failures = max(failures, ?5),"
    "  last_error = coalesce(nullif(?6, ''), last_error),"
    "  last_error_at = coalesce(nullif(?7, 0), last_error_at),"
    "  last_ok_at = coalesce(nullif(?8, 0), last_ok_at), retry_at = nullif(?9, 0),"
    "  updated_at = ?10,"
    "  held_reason = CASE WHEN ?11 THEN NULL WHEN ?12 > coalesce(held_until, 0) THEN"
    "    nullif(?13, '') ELSE held_reason END,"
    "  held_count = CASE WHEN ?11 THEN 0 ELSE max(held_count, ?14) END,"
    "  held_until = CASE WHEN ?11 THEN NULL WHEN ?12 > coalesce(held_until, 0) THEN ?12"
    "    ELSE held_until END";

int baton__registry_endpoint_health_put(baton__registry *reg, const baton__endpoint_state *h) {
  char err[128] = "";
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = prep(reg, health_put_sql, err, sizeof err);
  int rc = -1;
  if (st) {
    sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, h->up ? 1 : 0);
    sqlite3_bind_int(st, 3, h->consecutive_failures);
    sqlite3_bind_int64(st, 4, h->requests);
    sqlite3_bind_int64(st, 5, h->failures);
    sqlite3_bind_text(st, 6, h->last_error ? h->last_error : "", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, h->last_error_at);
    sqlite3_bind_double(st, 8, h->last_ok_at);
    sqlite3_bind_double(st, 9, h->retry_at);
    sqlite3_bind_double(st, 10, baton__wall_s());
    sqlite3_bind_int(st, 11, h->answered ? 1 : 0);
    sqlite3_bind_double(st, 12, h->held_until);
    sqlite3_bind_text(st, 13, h->held_reason ? h->held_reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 14, h->held_count);
    /* Called from a run: never wait for an import's write lock (the next
     * change of this server records it again). */
    baton__busy_wait(reg->db, 0);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    baton__busy_wait(reg->db, BATON__BUSY_MS);
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* Reads one stored state of endpoint name by sql (selecting a time, a count and a text, the time
 * NULL for none): *at, *count and text[cap] (0, 0, "" when there is none). 0, or -1. */
static int read_timed(baton__registry *reg, const char *sql, const char *name, double *at,
                      int *count, char *text, size_t cap) {
  char err[128] = "";
  *at = 0;
  *count = 0;
  if (text && cap)
    text[0] = '\0';
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = prep(reg, sql, err, sizeof err);
  int rc = st ? 0 : -1;
  if (st) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      *at = sqlite3_column_double(st, 0);
      *count = sqlite3_column_int(st, 1);
      if (text && cap)
        baton__fmt(text, cap, "%s", col(st, 2));
    } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
      rc = -1;
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

int baton__registry_endpoint_hold(baton__registry *reg, const char *name, double *until,
                                  int *count, char *reason, size_t cap) {
  return read_timed(reg,
                    "SELECT held_until, held_count, held_reason FROM endpoint_health"
                    " WHERE name = ?",
                    name, until, count, reason, cap);
}

int baton__registry_endpoint_down(baton__registry *reg, const char *name, double *retry_at,
                                  int *fails, char *last_error, size_t cap) {
  return read_timed(reg,
                    "SELECT retry_at, consecutive_failures, last_error FROM endpoint_health"
                    " WHERE name = ? AND up = 0",
                    name, retry_at, fails, last_error, cap);
}

cJSON *baton__registry_endpoint_health(baton__registry *reg, const char *name) {
  char err[128] = "";
  cJSON *o = NULL;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = prep(reg,
                          "SELECT up, consecutive_failures, requests, failures, last_error,"
                          " last_error_at, last_ok_at, retry_at, updated_at, held_until,"
                          " held_reason FROM endpoint_health WHERE name = ?",
                          err, sizeof err);
  if (st) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      o = cJSON_CreateObject();
      cJSON_AddBoolToObject(o, "up", sqlite3_column_int(st, 0) != 0);
      cJSON_AddNumberToObject(o, "consecutive_failures", sqlite3_column_int(st, 1));
      cJSON_AddNumberToObject(o, "requests", (double)sqlite3_column_int64(st, 2));
      cJSON_AddNumberToObject(o, "failures", (double)sqlite3_column_int64(st, 3));
      if (sqlite3_column_type(st, 4) != SQLITE_NULL)
        cJSON_AddStringToObject(o, "last_error", col(st, 4));
      static const char *const times[] = {"last_error_at", "last_ok_at", "retry_at",
                                          "updated_at", "held_until"};
      for (int i = 0; i < 5; i++)
        if (sqlite3_column_type(st, 5 + i) != SQLITE_NULL)
          cJSON_AddNumberToObject(o, times[i], sqlite3_column_double(st, 5 + i));
      if (sqlite3_column_type(st, 9) != SQLITE_NULL && sqlite3_column_type(st, 10) != SQLITE_NULL)
        cJSON_AddStringToObject(o, "held_reason", col(st, 10));
    }
    sqlite3_finalize(st);
  }
  pthread_mutex_unlock(&reg->lock);
  return o;
}
