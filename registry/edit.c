/* edit.c — registry editing and reading one model: add, remove, show (with health), export to YAML or JSONL. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "core/banned.h"

#define MAX_ID 256
#define MAX_FIELD 4096
#define MAX_TAGS 16384

static int fail_db(sqlite3 *db, char *err, size_t errlen, const char *what) {
  baton__fmt(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
  return -1;
}

static char *dup_col(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? baton__strdup((const char *)s) : NULL;
}

/* ---------------------------------------------------------------------- */
/* add / edit                                                               */

typedef struct mrow {
  char *task, *description, *tags, *license, *endpoint;
  long long downloads, likes;
  int enabled;
} mrow;

static void mrow_release(mrow *r) {
  free(r->task);
  free(r->description);
  free(r->tags);
  free(r->license);
  free(r->endpoint);
  memset(r, 0, sizeof *r);
}

/* Replaces *dst with a copy of the string member k of o when present.
 * Returns -1 (why set) when it is there but not a string or too long. */
static int take_str(const cJSON *o, const char *k, size_t max, char **dst, char *why,
                    size_t whylen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v)
    return 0;
  if (cJSON_IsNull(v) && !strcmp(k, "license")) {
    free(*dst);
    *dst = NULL;
    return 0;
  }
  if (!cJSON_IsString(v)) {
    baton__fmt(why, whylen, "\"%s\" must be a string", k);
    return -1;
  }
  if (strlen(v->valuestring) > max) {
    baton__fmt(why, whylen, "\"%s\" is longer than %zu bytes", k, max);
    return -1;
  }
  char *c = baton__strdup(v->valuestring);
  if (!c) {
    baton__fmt(why, whylen, "out of memory");
    return -1;
  }
  free(*dst);
  *dst = c;
  return 0;
}

static int take_count(const cJSON *o, const char *k, long long *dst, char *why, size_t whylen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v)
    return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15) {
    baton__fmt(why, whylen, "\"%s\" must be a whole number >= 0", k);
    return -1;
  }
  *dst = (long long)v->valuedouble;
  return 0;
}

static int take_tags(const cJSON *o, char **dst, char *why, size_t whylen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "tags");
  if (!v)
    return 0;
  if (cJSON_IsString(v))
    return take_str(o, "tags", MAX_TAGS, dst, why, whylen);
  if (!cJSON_IsArray(v)) {
    baton__fmt(why, whylen, "\"tags\" must be a list of strings or a comma-separated string");
    return -1;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    if (!cJSON_IsString(it) || strchr(it->valuestring, ',')) {
      baton__sb_release(&sb);
      baton__fmt(why, whylen, "every tag must be a string without ','");
      return -1;
    }
    if (!*it->valuestring)
      continue;
    if (sb.len)
      baton__sb_addc(&sb, ',');
    baton__sb_adds(&sb, it->valuestring);
  }
  if (!baton__sb_ok(&sb) || sb.len > MAX_TAGS) {
    baton__sb_release(&sb);
    baton__fmt(why, whylen, "the tags are too long");
    return -1;
  }
  free(*dst);
  *dst = baton__sb_detach(&sb);
  if (!*dst)
    *dst = baton__strdup("");
  return 0;
}

/* Reads model id's stored row into r, if there is one (*exists). Under
 * reg->lock. 0, or -1 with err. */
static int read_model(baton__registry *reg, const char *id, mrow *r, bool *exists, char *err,
                      size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(reg->db,
                         "SELECT task, description, tags, license, endpoint, downloads, likes,"
                         " enabled FROM models WHERE id = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return fail_db(reg->db, err, errlen, "cannot read the model");
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    *exists = true;
    r->task = dup_col(st, 0);
    r->description = dup_col(st, 1);
    r->tags = dup_col(st, 2);
    r->license = dup_col(st, 3);
    r->endpoint = dup_col(st, 4);
    r->downloads = sqlite3_column_int64(st, 5);
    r->likes = sqlite3_column_int64(st, 6);
    r->enabled = sqlite3_column_int(st, 7);
  } else if (s != SQLITE_DONE) {
    fail_db(reg->db, err, errlen, "cannot read the model");
    sqlite3_finalize(st);
    return -1;
  }
  sqlite3_finalize(st);
  return 0;
}

/* Sets the fields model gives over r and checks that the result is a
 * whole model. 0, or -1 with err. */
static int take_fields(const cJSON *model, const char *id, mrow *r, char *err, size_t errlen) {
  char why[256] = "";
  if (take_str(model, "task", 128, &r->task, why, sizeof why) ||
      take_str(model, "description", MAX_FIELD, &r->description, why, sizeof why) ||
      take_str(model, "license", 256, &r->license, why, sizeof why) ||
      take_str(model, "endpoint", MAX_FIELD, &r->endpoint, why, sizeof why) ||
      take_tags(model, &r->tags, why, sizeof why) ||
      take_count(model, "downloads", &r->downloads, why, sizeof why) ||
      take_count(model, "likes", &r->likes, why, sizeof why)) {
    baton__fmt(err, errlen, "model '%s': %s", id, why);
    return -1;
  }
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(model, "enabled");
  if (en) {
    if (!cJSON_IsBool(en)) {
      baton__fmt(err, errlen, "model '%s': \"enabled\" must be true or false", id);
      return -1;
    }
    r->enabled = cJSON_IsTrue(en);
  }
  if (!r->task || !*r->task) {
    baton__fmt(err, errlen, "model '%s' needs a task", id);
    return -1;
  }
  if (!r->endpoint || !baton__endpoint_valid(r->endpoint)) {
    baton__fmt(err, errlen,
               "model '%s' needs an endpoint: local:<executor>, hf-inference, llm or an "
               "http(s) URL",
               id);
    return -1;
  }
  return 0;
}

/* Whether r's task is in the registry (else err says so). Under reg->lock. */
static bool task_known(baton__registry *reg, const char *id, const mrow *r, char *err,
                       size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(reg->db, "SELECT 1 FROM tasks WHERE name = ?1", -1, &st, NULL) !=
      SQLITE_OK) {
    fail_db(reg->db, err, errlen, "cannot read tasks");
    return false;
  }
  sqlite3_bind_text(st, 1, r->task, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  sqlite3_finalize(st);
  if (s != SQLITE_ROW) {
    baton__fmt(err, errlen, "model '%s' names unknown task '%s' (see `baton models list`)", id,
               r->task);
    return false;
  }
  return true;
}

/* Inserts or replaces model id as r, marked as the user's edit. Under
 * reg->lock. 0, or -1 with err. */
static int store_model(baton__registry *reg, const char *id, const mrow *r, char *err,
                       size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(
          reg->db,
          "INSERT INTO models(id, task, description, tags, downloads, likes, license, endpoint,"
          " enabled, source, edited, updated_at, base)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'user', 1, ?10, baton_base(?5, ?6, ?8))"
          " ON CONFLICT(id) DO UPDATE SET task = excluded.task, description = excluded.description,"
          " tags = excluded.tags, downloads = excluded.downloads, likes = excluded.likes,"
          " license = excluded.license, endpoint = excluded.endpoint, enabled = excluded.enabled,"
          " edited = 1, updated_at = excluded.updated_at, base = excluded.base",
          -1, &st, NULL) != SQLITE_OK)
    return fail_db(reg->db, err, errlen, "cannot store the model");
  baton__model_row row = {.id = id, .task = r->task, .description = r->description,
                          .tags = r->tags, .license = r->license, .endpoint = r->endpoint,
                          .downloads = r->downloads, .likes = r->likes, .enabled = r->enabled};
  baton__model_row_bind(st, &row);
  sqlite3_bind_double(st, 10, baton__wall_s());
  int rc = 0;
  if (sqlite3_step(st) != SQLITE_DONE)
    rc = fail_db(reg->db, err, errlen, "cannot store the model");
  sqlite3_finalize(st);
  return rc;
}

int baton__registry_add(baton__registry *reg, const cJSON *model, bool *created, char *err,
                        size_t errlen) {
  if (created)
    *created = false;
  if (!reg || !cJSON_IsObject(model)) {
    baton__fmt(err, errlen, "a model must be a JSON object");
    return -1;
  }
  const cJSON *idv = cJSON_GetObjectItemCaseSensitive(model, "id");
  if (!cJSON_IsString(idv) || !*idv->valuestring || strlen(idv->valuestring) > MAX_ID) {
    baton__fmt(err, errlen, "the model needs an \"id\" (at most %d bytes)", MAX_ID);
    return -1;
  }
  const char *id = idv->valuestring;
  mrow r;
  memset(&r, 0, sizeof r);
  r.enabled = 1;
  int rc = -1;
  bool exists = false;
  pthread_mutex_lock(&reg->lock);
  if (read_model(reg, id, &r, &exists, err, errlen) == 0 &&
      take_fields(model, id, &r, err, errlen) == 0 && task_known(reg, id, &r, err, errlen) &&
      store_model(reg, id, &r, err, errlen) == 0) {
    if (created)
      *created = !exists;
    rc = 0;
  }
  pthread_mutex_unlock(&reg->lock);
  mrow_release(&r);
  return rc;
}

int baton__registry_remove(baton__registry *reg, const char *id, char *err, size_t errlen) {
  if (!reg || !id || !*id) {
    baton__fmt(err, errlen, "no model id given");
    return -1;
  }
  int rc = -1;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = NULL;
  if (sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    fail_db(reg->db, err, errlen, "cannot remove the model");
    pthread_mutex_unlock(&reg->lock);
    return -1;
  }
  if (sqlite3_prepare_v2(reg->db, "DELETE FROM models WHERE id = ?1", -1, &st, NULL) !=
      SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    goto fail;
  int changed = sqlite3_changes(reg->db);
  sqlite3_finalize(st);
  st = NULL;
  if (!changed) {
    baton__fmt(err, errlen, "no model '%s' in the registry", id);
    rc = BATON__REG_NOTFOUND;
    sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&reg->lock);
    return rc;
  }
  if (sqlite3_prepare_v2(reg->db, "DELETE FROM health WHERE model_id = ?1", -1, &st, NULL) !=
      SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    goto fail;
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  pthread_mutex_unlock(&reg->lock);
  return 0;
fail:
  fail_db(reg->db, err, errlen, "cannot remove the model");
  sqlite3_finalize(st);
  sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* show                                                                     */

static void add_tags_array(cJSON *o, const char *tags) {
  cJSON *arr = cJSON_AddArrayToObject(o, "tags");
  for (const char *t = tags; arr && t && *t;) {
    const char *comma = strchr(t, ',');
    size_t len = comma ? (size_t)(comma - t) : strlen(t);
    char *one = baton__strndup(t, len);
    if (one)
      cJSON_AddItemToArray(arr, cJSON_CreateString(one));
    free(one);
    t = comma ? comma + 1 : NULL;
  }
}

static void add_text_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  if (s)
    cJSON_AddStringToObject(o, k, (const char *)s);
  else
    cJSON_AddNullToObject(o, k);
}

static void add_num_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    cJSON_AddNullToObject(o, k);
  else
    cJSON_AddNumberToObject(o, k, sqlite3_column_double(st, i));
}

/* Adds the "health" object of the show query's row at st to o. */
static void add_health(cJSON *o, sqlite3_stmt *st) {
  cJSON *h = cJSON_AddObjectToObject(o, "health");
  if (!h)
    return;
  bool any = sqlite3_column_type(st, 12) != SQLITE_NULL;
  long long ok = any ? sqlite3_column_int64(st, 12) : 0;
  long long bad = any ? sqlite3_column_int64(st, 13) : 0;
  cJSON_AddNumberToObject(h, "successes", (double)ok);
  cJSON_AddNumberToObject(h, "failures", (double)bad);
  cJSON_AddNumberToObject(h, "fail_rate", any ? sqlite3_column_double(st, 14) : 0.0);
  add_num_or_null(h, "last_latency_ms", st, 15);
  add_num_or_null(h, "latency_ewma_ms", st, 16);
  if (ok + bad > 0)
    cJSON_AddNumberToObject(h, "avg_latency_ms",
                            (double)sqlite3_column_int64(st, 17) / (double)(ok + bad));
  else
    cJSON_AddNullToObject(h, "avg_latency_ms");
  add_text_or_null(h, "last_error", st, 18);
  add_num_or_null(h, "last_error_at", st, 19);
  add_num_or_null(h, "updated_at", st, 20);
  cJSON_AddNumberToObject(h, "score_part", sqlite3_column_double(st, 21));
}

/* The show query's row at st as a JSON object (caller frees), or NULL. */
static cJSON *shown_model(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  const char *names[] = {"id", "task", "description", "endpoint"};
  for (int i = 0; i < 4; i++)
    add_text_or_null(o, names[i], st, i);
  long long downloads = sqlite3_column_int64(st, 4), likes = sqlite3_column_int64(st, 5);
  cJSON_AddNumberToObject(o, "downloads", (double)downloads);
  cJSON_AddNumberToObject(o, "likes", (double)likes);
  add_tags_array(o, (const char *)sqlite3_column_text(st, 6));
  add_text_or_null(o, "license", st, 7);
  cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 8) != 0);
  add_text_or_null(o, "source", st, 9);
  cJSON_AddBoolToObject(o, "edited", sqlite3_column_int(st, 10) != 0);
  add_num_or_null(o, "updated_at", st, 11);
  const char *endpoint = (const char *)sqlite3_column_text(st, 3);
  cJSON_AddNumberToObject(o, "popularity", baton__popularity(downloads, likes));
  cJSON_AddNumberToObject(o, "local_bonus", baton__local_bonus(endpoint));
  add_health(o, st);
  return o;
}

cJSON *baton__registry_show(baton__registry *reg, const char *id, bool *notfound, char *err,
                            size_t errlen) {
  if (notfound)
    *notfound = false;
  if (!reg || !id || !*id) {
    baton__fmt(err, errlen, "no model id given");
    return NULL;
  }
  cJSON *o = baton__registry_endpoint_show(reg, id);
  if (o)
    return o;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(
          reg->db,
          "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, m.tags,"
          " m.license, m.enabled, m.source, m.edited, m.updated_at,"
          " h.successes, h.failures, h.fail_rate, h.last_latency_ms, h.latency_ewma_ms,"
          " h.total_latency_ms, h.last_error, h.last_error_at, h.updated_at,"
          " " BATON__HEALTH_SQL
          " FROM models m LEFT JOIN health h ON h.model_id = m.id WHERE m.id = ?1",
          -1, &st, NULL) != SQLITE_OK) {
    fail_db(reg->db, err, errlen, "cannot read the model");
    goto out;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 3, baton__wall_s());
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    o = shown_model(st);
  } else if (s == SQLITE_DONE) {
    if (notfound)
      *notfound = true;
    baton__fmt(err, errlen, "no model '%s' in the registry", id);
  } else {
    fail_db(reg->db, err, errlen, "cannot read the model");
  }
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&reg->lock);
  return o;
}

/* ---------------------------------------------------------------------- */
/* export                                                                   */

/* A YAML double-quoted scalar. */
static void yq(baton__sb *sb, const char *s) {
  baton__sb_addc(sb, '"');
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\') {
      baton__sb_addc(sb, '\\');
      baton__sb_addc(sb, (char)*p);
    } else if (*p == '\n') {
      baton__sb_adds(sb, "\\n");
    } else if (*p == '\t') {
      baton__sb_adds(sb, "\\t");
    } else if (*p < 0x20 || *p == 0x7f) {
      baton__sb_addf(sb, "\\x%02x", *p);
    } else {
      baton__sb_addc(sb, (char)*p);
    }
  }
  baton__sb_addc(sb, '"');
}

/* A YAML flow list of the sep-separated items of s. */
static void ylist(baton__sb *sb, const char *s, char sep) {
  baton__sb_addc(sb, '[');
  bool first = true;
  for (const char *t = s; t && *t;) {
    const char *c = strchr(t, sep);
    size_t len = c ? (size_t)(c - t) : strlen(t);
    char *one = baton__strndup(t, len);
    if (one && *one) {
      if (!first)
        baton__sb_adds(sb, ", ");
      yq(sb, one);
      first = false;
    }
    free(one);
    t = c ? c + 1 : NULL;
  }
  baton__sb_addc(sb, ']');
}

static int export_tasks(sqlite3 *db, const char *task, baton__sb *sb, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, description, inputs, outputs, keywords, params FROM tasks"
                         " WHERE (?1 IS NULL AND name IN (SELECT task FROM models)) OR name = ?1"
                         " ORDER BY rowid",
                         -1, &st, NULL) != SQLITE_OK)
    return fail_db(db, err, errlen, "cannot read tasks");
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  baton__sb_adds(sb, "tasks:\n");
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    baton__sb_adds(sb, "  - name: ");
    yq(sb, (const char *)sqlite3_column_text(st, 0));
    baton__sb_adds(sb, "\n    description: ");
    yq(sb, (const char *)sqlite3_column_text(st, 1));
    baton__sb_adds(sb, "\n    inputs: ");
    ylist(sb, (const char *)sqlite3_column_text(st, 2), ',');
    baton__sb_adds(sb, "\n    outputs: ");
    ylist(sb, (const char *)sqlite3_column_text(st, 3), ',');
    baton__sb_adds(sb, "\n    keywords: ");
    ylist(sb, (const char *)sqlite3_column_text(st, 4), '|');
    const char *params = (const char *)sqlite3_column_text(st, 5);
    if (params && *params) {
      baton__sb_adds(sb, "\n    params: ");
      ylist(sb, params, ',');
    }
    baton__sb_addc(sb, '\n');
  }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return fail_db(db, err, errlen, "cannot read tasks");
  return 0;
}

/* Appends r as an item of the YAML models list. */
static void export_yaml_model(baton__sb *sb, const baton__model_row *r) {
  baton__sb_adds(sb, "  - id: ");
  yq(sb, r->id);
  baton__sb_adds(sb, "\n    task: ");
  yq(sb, r->task);
  baton__sb_adds(sb, "\n    endpoint: ");
  yq(sb, r->endpoint);
  baton__sb_adds(sb, "\n    description: ");
  yq(sb, r->description);
  if (r->tags && *r->tags) {
    baton__sb_adds(sb, "\n    tags: ");
    ylist(sb, r->tags, ',');
  }
  baton__sb_addf(sb, "\n    downloads: %lld\n    likes: %lld", r->downloads, r->likes);
  if (r->license) {
    baton__sb_adds(sb, "\n    license: ");
    yq(sb, r->license);
  }
  if (!r->enabled)
    baton__sb_adds(sb, "\n    enabled: false");
  baton__sb_addc(sb, '\n');
}

/* Appends r as one JSON line. 0, or -1 when out of memory. */
static int export_json_model(baton__sb *sb, const baton__model_row *r) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return -1;
  cJSON_AddStringToObject(o, "id", r->id ? r->id : "");
  cJSON_AddStringToObject(o, "task", r->task ? r->task : "");
  cJSON_AddStringToObject(o, "endpoint", r->endpoint ? r->endpoint : "");
  cJSON_AddStringToObject(o, "description", r->description ? r->description : "");
  add_tags_array(o, r->tags);
  cJSON_AddNumberToObject(o, "downloads", (double)r->downloads);
  cJSON_AddNumberToObject(o, "likes", (double)r->likes);
  if (r->license)
    cJSON_AddStringToObject(o, "license", r->license);
  cJSON_AddBoolToObject(o, "enabled", r->enabled != 0);
  char *line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!line)
    return -1;
  baton__sb_adds(sb, line);
  baton__sb_addc(sb, '\n');
  cJSON_free(line);
  return 0;
}

/* Appends the models of task (all when NULL) as YAML or JSON lines. 0, or
 * -1 with err. */
static int export_models(sqlite3 *db, const char *task, bool yaml, baton__sb *sb, char *err,
                         size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, task, description, tags, downloads, likes, license, endpoint,"
                         " enabled FROM models WHERE ?1 IS NULL OR task = ?1"
                         " ORDER BY task, downloads DESC, id",
                         -1, &st, NULL) != SQLITE_OK)
    return fail_db(db, err, errlen, "cannot read models");
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    baton__model_row r;
    baton__model_row_read(st, &r);
    if (yaml) {
      export_yaml_model(sb, &r);
    } else if (export_json_model(sb, &r) != 0) {
      s = SQLITE_NOMEM;
      break;
    }
  }
  int rc = s == SQLITE_DONE ? 0 : -1;
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else if (s != SQLITE_DONE)
    fail_db(db, err, errlen, "cannot read models");
  sqlite3_finalize(st);
  return rc;
}

char *baton__registry_export(baton__registry *reg, const char *format, const char *task,
                             char *err, size_t errlen) {
  if (!reg) {
    baton__fmt(err, errlen, "not open");
    return NULL;
  }
  if (!format || !*format)
    format = "yaml";
  bool yaml = !strcmp(format, "yaml") || !strcmp(format, "yml");
  if (!yaml && strcmp(format, "jsonl") != 0 && strcmp(format, "hugginggpt") != 0) {
    baton__fmt(err, errlen, "unknown export format '%s' (yaml, jsonl)", format);
    return NULL;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  int rc = 0;
  pthread_mutex_lock(&reg->lock);
  /* One read transaction, so tasks and models agree. */
  sqlite3_exec(reg->db, "BEGIN", NULL, NULL, NULL);
  if (yaml) {
    baton__sb_adds(&sb, "# baton model catalogue (baton models export); import with\n"
                        "# baton models import FILE --format yaml\nversion: 1\n");
    rc = export_tasks(reg->db, task, &sb, err, errlen);
    if (rc == 0)
      baton__sb_adds(&sb, "models:\n");
  }
  if (rc == 0)
    rc = export_models(reg->db, task, yaml, &sb, err, errlen);
  sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL);
  pthread_mutex_unlock(&reg->lock);
  if (rc != 0 || !baton__sb_ok(&sb)) {
    if (rc == 0)
      baton__fmt(err, errlen, "out of memory");
    baton__sb_release(&sb);
    return NULL;
  }
  char *out = baton__sb_detach(&sb);
  return out ? out : baton__strdup("");
}
