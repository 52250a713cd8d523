/* import.c — catalogue import (YAML, HuggingGPT JSONL, Hub JSON): model upserts, checked and staged, then written in paced transactions. */
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"
#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "core/banned.h"

#define MAX_ID 256
#define MAX_TASK 128
#define MAX_TAGS 16384
#define MAX_LICENSE 256
#define MAX_LINE (1u << 20) /* one JSONL record: card text can be 42 kB, allow far more */
#define DESC_MAX 1000       /* cleaned description kept, in bytes */
#define IMPORT_MAX_BYTES (1024u * 1024u * 1024u)

/* ---------------------------------------------------------------------- */
/* Upserts                                                                  */

/* An executor name: lower-case letters, digits, '-' and '_' (never a path). */
static bool executor_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
          s[i] == '_'))
      return false;
  return true;
}

/* A URL of printable ASCII after its scheme (no spaces, no control bytes). */
static bool url_ok(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
      return false;
  return true;
}

bool baton__endpoint_valid(const char *e) {
  if (!e)
    return false;
  if (!strncmp(e, "local:", 6))
    return executor_name_ok(e + 6);
  if (!strcmp(e, "hf-inference") || !strcmp(e, "llm"))
    return true;
  return (!strncmp(e, "http://", 7) && url_ok(e + 7)) ||
         (!strncmp(e, "https://", 8) && url_ok(e + 8));
}

/* One part of a Hub id: starts with a letter or digit, then letters,
 * digits, '-', '_' or '.', with no "..". Its length, or 0. */
static size_t hub_part(const char *s) {
  size_t n = 0;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
        (s[0] >= '0' && s[0] <= '9')))
    return 0;
  for (; s[n] && s[n] != '/'; n++) {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok || (c == '.' && s[n + 1] == '.') || n >= 96)
      return 0;
  }
  return n;
}

bool baton__model_id_valid(const char *id) {
  if (!id)
    return false;
  size_t a = hub_part(id);
  if (!a)
    return false;
  if (!id[a])
    return true;
  size_t b = hub_part(id + a + 1);
  return b && !id[a + 1 + b];
}

int baton__upsert_init(baton__upsert *u, sqlite3 *db, baton__upsert_mode mode,
                       const char *source, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  u->db = db;
  u->mode = mode;
  u->source = source;
  u->now = baton__wall_s();
  baton__strset_init(&u->seen);
  const char *get = "SELECT task, description, tags, license, endpoint, downloads, likes, enabled,"
                    " source, edited FROM models WHERE id = ?1";
  const char *ins =
      "INSERT INTO models(id, task, description, tags, downloads, likes, license, endpoint,"
      " enabled, source, edited, updated_at, base)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, baton_base(?5, ?6, ?8))";
  const char *upd =
      "UPDATE models SET task = ?2, description = ?3, tags = ?4, downloads = ?5, likes = ?6,"
      " license = ?7, endpoint = ?8, enabled = ?9, source = ?10, edited = 0, updated_at = ?11,"
      " base = baton_base(?5, ?6, ?8) WHERE id = ?1";
  const char *counts = "UPDATE models SET downloads = ?5, likes = ?6, updated_at = ?11,"
                       " base = baton_base(?5, ?6, endpoint) WHERE id = ?1";
  if (sqlite3_prepare_v3(db, get, -1, SQLITE_PREPARE_PERSISTENT, &u->get, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(db, ins, -1, SQLITE_PREPARE_PERSISTENT, &u->ins, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(db, upd, -1, SQLITE_PREPARE_PERSISTENT, &u->upd, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(db, counts, -1, SQLITE_PREPARE_PERSISTENT, &u->upd_counts, NULL) !=
          SQLITE_OK) {
    baton__fmt(err, errlen, "cannot prepare the model upsert: %s", sqlite3_errmsg(db));
    baton__upsert_release(u);
    return -1;
  }
  return 0;
}

void baton__upsert_release(baton__upsert *u) {
  if (!u)
    return;
  sqlite3_finalize(u->get);
  sqlite3_finalize(u->ins);
  sqlite3_finalize(u->upd);
  sqlite3_finalize(u->upd_counts);
  sqlite3_finalize(u->stage);
  baton__strset_release(&u->seen);
  u->get = u->ins = u->upd = u->upd_counts = u->stage = NULL;
}

static bool col_eq(sqlite3_stmt *st, int i, const char *v) {
  const char *c = (const char *)sqlite3_column_text(st, i);
  if (!c || !v)
    return !c && !v;
  return !strcmp(c, v);
}

void baton__model_row_bind(sqlite3_stmt *st, const baton__model_row *r) {
  sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->task, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, r->description ? r->description : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, r->tags ? r->tags : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, r->downloads);
  sqlite3_bind_int64(st, 6, r->likes);
  if (r->license)
    sqlite3_bind_text(st, 7, r->license, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 7);
  sqlite3_bind_text(st, 8, r->endpoint, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 9, r->enabled ? 1 : 0);
}

static void bind_row(sqlite3_stmt *st, const baton__model_row *r, const char *source, double now) {
  baton__model_row_bind(st, r);
  sqlite3_bind_text(st, 10, source, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 11, now);
}

/* Runs a bound write and clears it. 0, or -1 with err. */
static int step_write(baton__upsert *u, sqlite3_stmt *st, char *err, size_t errlen) {
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (s != SQLITE_DONE) {
    baton__fmt(err, errlen, "%s", sqlite3_errmsg(u->db));
    return -1;
  }
  return 0;
}

static int run_write(baton__upsert *u, sqlite3_stmt *st, const baton__model_row *r, char *err,
                     size_t errlen) {
  bind_row(st, r, u->source, u->now);
  return step_write(u, st, err, errlen);
}

/* Writes one row into the models table (see baton__upsert_model). */
static int upsert_write(baton__upsert *u, const baton__model_row *r, char *err, size_t errlen) {
  sqlite3_stmt *g = u->get;
  sqlite3_bind_text(g, 1, r->id, -1, SQLITE_STATIC);
  int s = sqlite3_step(g);
  if (s == SQLITE_DONE) {
    sqlite3_reset(g);
    if (run_write(u, u->ins, r, err, errlen))
      return -1;
    u->inserted++;
    return 0;
  }
  if (s != SQLITE_ROW) {
    baton__fmt(err, errlen, "%s", sqlite3_errmsg(u->db));
    sqlite3_reset(g);
    return -1;
  }
  bool counts_same = sqlite3_column_int64(g, 5) == r->downloads &&
                     sqlite3_column_int64(g, 6) == r->likes;
  bool text_same = col_eq(g, 0, r->task) && col_eq(g, 1, r->description ? r->description : "") &&
                   col_eq(g, 2, r->tags ? r->tags : "") && col_eq(g, 3, r->license) &&
                   col_eq(g, 4, r->endpoint) && sqlite3_column_int(g, 7) == (r->enabled ? 1 : 0);
  bool local = !col_eq(g, 8, "hub") || sqlite3_column_int(g, 9) != 0;
  sqlite3_reset(g);
  sqlite3_clear_bindings(g);
  if (u->mode == BATON__UPSERT_HUB && local) {
    u->kept_local++;
    if (counts_same) {
      u->unchanged++;
      return 0;
    }
    if (run_write(u, u->upd_counts, r, err, errlen))
      return -1;
    u->updated++;
    return 0;
  }
  /* The same content is left alone, whoever wrote it (an export imported
   * again changes nothing). */
  if (counts_same && text_same) {
    u->unchanged++;
    return 0;
  }
  if (run_write(u, u->upd, r, err, errlen))
    return -1;
  u->updated++;
  return 0;
}

/* Keeps one row in the staging table (temp.import_stage). */
static int stage_write(baton__upsert *u, const baton__model_row *r, char *err, size_t errlen) {
  baton__model_row_bind(u->stage, r);
  return step_write(u, u->stage, err, errlen);
}

int baton__upsert_model(baton__upsert *u, const baton__model_row *r, char *err, size_t errlen) {
  int added = baton__strset_add(&u->seen, r->id);
  if (added < 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  if (added == 0)
    return 1;
  return u->stage ? stage_write(u, r, err, errlen) : upsert_write(u, r, err, errlen);
}

int baton__upsert_stage(baton__upsert *u, char *err, size_t errlen) {
  if (sqlite3_exec(u->db,
                   "CREATE TEMP TABLE IF NOT EXISTS import_stage("
                   "  id TEXT NOT NULL, task TEXT NOT NULL, description TEXT NOT NULL,"
                   "  tags TEXT NOT NULL, downloads INTEGER NOT NULL, likes INTEGER NOT NULL,"
                   "  license TEXT, endpoint TEXT NOT NULL, enabled INTEGER NOT NULL);"
                   "DELETE FROM temp.import_stage;",
                   NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(u->db, "INSERT INTO temp.import_stage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                         -1, SQLITE_PREPARE_PERSISTENT, &u->stage, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot stage the import: %s", sqlite3_errmsg(u->db));
    return -1;
  }
  return 0;
}

void baton__model_row_read(sqlite3_stmt *st, baton__model_row *r) {
  r->id = (const char *)sqlite3_column_text(st, 0);
  r->task = (const char *)sqlite3_column_text(st, 1);
  r->description = (const char *)sqlite3_column_text(st, 2);
  r->tags = (const char *)sqlite3_column_text(st, 3);
  r->downloads = sqlite3_column_int64(st, 4);
  r->likes = sqlite3_column_int64(st, 5);
  r->license = (const char *)sqlite3_column_text(st, 6);
  r->endpoint = (const char *)sqlite3_column_text(st, 7);
  r->enabled = sqlite3_column_int(st, 8);
}

int baton__upsert_merge(baton__upsert *u, baton__pace *pace, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(u->db,
                         "SELECT *, rowid FROM temp.import_stage WHERE rowid > ?1 ORDER BY rowid",
                         -1, &st, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot read the staged import: %s", sqlite3_errmsg(u->db));
    return -1;
  }
  baton__bulk bulk = {.ms_per_row = BATON__BULK_GUESS_MS};
  if (baton__pace_begin(pace, u->db, "the import", err, errlen)) {
    sqlite3_finalize(st);
    return -1;
  }
  int rc = baton__bulk_begin(u->db, &bulk, u->inserted, err, errlen), s = SQLITE_DONE;
  sqlite3_bind_int64(st, 1, 0);
  while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
    baton__model_row r;
    baton__model_row_read(st, &r);
    sqlite3_int64 last = sqlite3_column_int64(st, 9);
    rc = upsert_write(u, &r, err, errlen);
    pace->owed_ms = bulk.ms_per_row * (double)(u->inserted - bulk.inserted); /* index, commit */
    if (!rc && baton__pace_due(pace)) {
      /* A statement still reading at the commit would keep this
       * connection's snapshot of the registry, and once another writer
       * had committed in the pause the next transaction could not start
       * (SQLITE_BUSY_SNAPSHOT, returned without waiting). */
      sqlite3_reset(st);
      long rows = u->inserted - bulk.inserted;
      rc = baton__bulk_end(u->db, &bulk, u->inserted, err, errlen) ||
           baton__pace_next(pace, err, errlen);
      bulk.ms_per_row += rows > 0 ? pace->commit_ms / (double)rows : 0; /* and its commit */
      rc = rc || baton__bulk_begin(u->db, &bulk, u->inserted, err, errlen);
      sqlite3_bind_int64(st, 1, last);
    }
  }
  if (!rc && s != SQLITE_DONE) {
    baton__fmt(err, errlen, "cannot read the staged import: %s", sqlite3_errmsg(u->db));
    rc = -1;
  }
  sqlite3_finalize(st);
  if (!rc)
    rc = baton__bulk_end(u->db, &bulk, u->inserted, err, errlen) ||
         baton__pace_commit(pace, err, errlen);
  if (rc)
    baton__pace_rollback(pace);
  return rc;
}

int baton__upsert_task(sqlite3 *db, const char *name, const char *description, const char *inputs,
                       const char *outputs, const char *keywords, const char *params, char *err,
                       size_t errlen) {
  const char *sql =
      "INSERT INTO tasks(name, description, inputs, outputs, keywords, params)"
      " VALUES (?1,?2,?3,?4,?5,?6)"
      " ON CONFLICT(name) DO UPDATE SET description = excluded.description,"
      " inputs = excluded.inputs, outputs = excluded.outputs, keywords = excluded.keywords,"
      " params = excluded.params"
      " WHERE description IS NOT excluded.description OR inputs IS NOT excluded.inputs"
      " OR outputs IS NOT excluded.outputs OR keywords IS NOT excluded.keywords"
      " OR params IS NOT excluded.params";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "%s", sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, description, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, inputs, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, outputs, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, keywords ? keywords : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, params ? params : "", -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s != SQLITE_DONE)
    baton__fmt(err, errlen, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return s == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* The import                                                               */

typedef struct job {
  sqlite3 *db;
  const char *label;
  baton__upsert u;
  baton__strset tasks; /* known task names */
  cJSON *skipped_tasks;
  long skipped;
  long models;
  long tasks_stored;
  baton__pace pace; /* how the staged rows are written */
  char *err;
  size_t errlen;
} job;

static int load_task_names(job *j) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db, "SELECT name FROM tasks", -1, &st, NULL) != SQLITE_OK) {
    baton__fmt(j->err, j->errlen, "cannot read tasks: %s", sqlite3_errmsg(j->db));
    return -1;
  }
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    if (baton__strset_add(&j->tasks, (const char *)sqlite3_column_text(st, 0)) < 0) {
      s = SQLITE_NOMEM;
      break;
    }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE) {
    baton__fmt(j->err, j->errlen, "cannot read tasks");
    return -1;
  }
  return 0;
}

static void skip_task(job *j, const char *task) {
  j->skipped++;
  const char *k = task && *task ? task : "(none)";
  cJSON *n = cJSON_GetObjectItemCaseSensitive(j->skipped_tasks, k);
  if (n)
    cJSON_SetNumberValue(n, n->valuedouble + 1);
  else
    cJSON_AddNumberToObject(j->skipped_tasks, k, 1);
}

/* Appends a tag, with ',' (the separator) turned into ' ', unless present. */
static void add_tag(baton__sb *tags, const char *t) {
  if (!t || !*t)
    return;
  baton__sb one;
  baton__sb_init(&one);
  for (const char *p = t; *p; p++)
    baton__sb_addc(&one, *p == ',' ? ' ' : *p);
  if (!baton__sb_ok(&one) || tags->len + one.len + 1 > MAX_TAGS) {
    baton__sb_release(&one);
    return;
  }
  /* Skip duplicates: look for ",tag," in ",tags,". */
  bool dup = false;
  for (const char *p = tags->buf; *p && !dup;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    dup = len == one.len && !strncmp(p, one.buf, len);
    p = c ? c + 1 : p + len;
  }
  if (!dup) {
    if (tags->len)
      baton__sb_addc(tags, ',');
    baton__sb_adds(tags, one.buf);
  }
  baton__sb_release(&one);
}

static void add_tags_of(baton__sb *tags, const cJSON *v) {
  if (cJSON_IsString(v)) {
    add_tag(tags, v->valuestring);
  } else if (cJSON_IsArray(v)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, v) if (cJSON_IsString(it)) add_tag(tags, it->valuestring);
  }
}

/* A string, or the first string of an array, or NULL. */
static const char *first_str(const cJSON *v) {
  if (cJSON_IsString(v))
    return v->valuestring;
  if (cJSON_IsArray(v)) {
    const cJSON *it = cJSON_GetArrayItem(v, 0);
    if (cJSON_IsString(it))
      return it->valuestring;
  }
  return NULL;
}

/* Reads a count member: absent -> 0; must be a whole number >= 0. */
static int get_count(const cJSON *o, const char *k, long long *out, char *why, size_t whylen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *out = 0;
  if (!v || cJSON_IsNull(v))
    return 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
      v->valuedouble > 9.0e15 || v->valuedouble != floor(v->valuedouble)) {
    baton__fmt(why, whylen, "'%s' must be a whole number >= 0", k);
    return -1;
  }
  *out = (long long)v->valuedouble;
  return 0;
}

/* One HuggingGPT (or baton JSONL) record. 0, or -1 with why set. */
/* Stores row (its license cut to MAX_LICENSE bytes) in the import. 0, or
 * -1 with why: the model came twice, or the write failed. */
static int store_record(job *j, baton__model_row *row, char *why, size_t whylen) {
  char lic[MAX_LICENSE + 1];
  if (row->license) {
    baton__fmt(lic, sizeof lic, "%s", row->license);
    row->license = lic;
  }
  char uerr[256] = "";
  int r = baton__upsert_model(&j->u, row, uerr, sizeof uerr);
  if (r == 1) {
    baton__fmt(why, whylen, "model '%s' is listed twice", row->id);
    return -1;
  }
  if (r < 0) {
    baton__fmt(why, whylen, "cannot store model '%s': %s", row->id, uerr);
    return -1;
  }
  return 0;
}

/* The record's "id" when it is a Hub model id (borrowed from o), else NULL
 * with why. */
static const char *record_id(const cJSON *o, char *why, size_t whylen) {
  const cJSON *idv = cJSON_GetObjectItemCaseSensitive(o, "id");
  if (!cJSON_IsString(idv) || !*idv->valuestring) {
    baton__fmt(why, whylen, "the record has no \"id\" string");
    return NULL;
  }
  const char *id = idv->valuestring;
  if (strlen(id) > MAX_ID) {
    baton__fmt(why, whylen, "id is longer than %d bytes", MAX_ID);
    return NULL;
  }
  if (!baton__model_id_valid(id)) {
    baton__fmt(why, whylen,
               "the id is not a Hub model id (owner/name of letters, digits, '-', '_', '.')");
    return NULL;
  }
  return id;
}

/* Reads a HuggingGPT record's id, task, counts, endpoint and enabled into
 * row (pointing into o) and its description value into *dv. 0, or -1 with
 * why. */
static int record_fields(const cJSON *o, baton__model_row *row, const cJSON **dv, char *why,
                         size_t whylen) {
  const char *id = row->id = record_id(o, why, whylen);
  if (!id)
    return -1;
  const cJSON *tv = cJSON_GetObjectItemCaseSensitive(o, "task");
  if (!cJSON_IsString(tv))
    tv = cJSON_GetObjectItemCaseSensitive(o, "pipeline_tag");
  if (!cJSON_IsString(tv) || !*tv->valuestring) {
    baton__fmt(why, whylen, "model '%s' has no \"task\" string", id);
    return -1;
  }
  row->task = tv->valuestring;
  if (get_count(o, "downloads", &row->downloads, why, whylen) ||
      get_count(o, "likes", &row->likes, why, whylen))
    return -1;
  *dv = cJSON_GetObjectItemCaseSensitive(o, "description");
  if (*dv && !cJSON_IsString(*dv) && !cJSON_IsNull(*dv)) {
    baton__fmt(why, whylen, "model '%s': \"description\" must be a string", id);
    return -1;
  }
  const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "endpoint");
  row->endpoint = "hf-inference";
  if (ev) {
    if (!cJSON_IsString(ev) || !baton__endpoint_valid(ev->valuestring)) {
      baton__fmt(why, whylen,
                 "model '%s': endpoint must be local:<executor>, hf-inference, llm or an "
                 "http(s) URL",
                 id);
      return -1;
    }
    row->endpoint = ev->valuestring;
  }
  row->enabled = 1;
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "enabled");
  if (en) {
    if (!cJSON_IsBool(en)) {
      baton__fmt(why, whylen, "model '%s': \"enabled\" must be true or false", id);
      return -1;
    }
    row->enabled = cJSON_IsTrue(en);
  }
  return 0;
}

/* Adds the tags of a HuggingGPT record (its own and meta's tags, languages
 * and data sets) to tags; returns its license (borrowed from o) or NULL. */
static const char *record_tags(const cJSON *o, baton__sb *tags) {
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "meta");
  add_tags_of(tags, cJSON_GetObjectItemCaseSensitive(o, "tags"));
  const char *license = first_str(cJSON_GetObjectItemCaseSensitive(o, "license"));
  if (cJSON_IsObject(meta)) {
    add_tags_of(tags, cJSON_GetObjectItemCaseSensitive(meta, "tags"));
    add_tags_of(tags, cJSON_GetObjectItemCaseSensitive(meta, "language"));
    add_tags_of(tags, cJSON_GetObjectItemCaseSensitive(meta, "datasets"));
    if (!license)
      license = first_str(cJSON_GetObjectItemCaseSensitive(meta, "license"));
  }
  return license;
}

static int hugginggpt_record(job *j, const cJSON *o, char *why, size_t whylen) {
  if (!cJSON_IsObject(o)) {
    baton__fmt(why, whylen, "expected a JSON object");
    return -1;
  }
  baton__model_row row;
  memset(&row, 0, sizeof row);
  const cJSON *dv = NULL;
  if (record_fields(o, &row, &dv, why, whylen))
    return -1;
  j->models++;
  if (!baton__strset_has(&j->tasks, row.task)) {
    skip_task(j, row.task);
    return 0;
  }
  baton__sb tags;
  baton__sb_init(&tags);
  row.license = record_tags(o, &tags);
  char *desc = baton__clean_description(cJSON_IsString(dv) ? dv->valuestring : "", DESC_MAX);
  int rc = -1;
  if (!desc || !baton__sb_ok(&tags)) {
    baton__fmt(why, whylen, "out of memory");
  } else {
    row.description = desc;
    row.tags = tags.buf;
    rc = store_record(j, &row, why, whylen);
  }
  free(desc);
  baton__sb_release(&tags);
  return rc;
}

/* The line number of a byte offset. */
static size_t line_at(const char *text, size_t off) {
  size_t line = 1;
  for (size_t i = 0; i < off && text[i]; i++)
    line += text[i] == '\n';
  return line;
}

typedef int (*record_fn)(job *j, const cJSON *o, char *why, size_t whylen);

/* Python's json module writes NaN, Infinity and -Infinity, which are not
 * JSON (HuggingGPT's file has them in model-index metrics). Returns a copy
 * of s..e with those tokens outside strings turned into strings (caller
 * frees), or NULL when there were none or memory ran out. */
static char *python_json_fixed(const char *s, const char *e) {
  baton__sb sb;
  baton__sb_init(&sb);
  bool in_str = false, changed = false;
  for (const char *p = s; p < e; p++) {
    if (in_str) {
      if (*p == '\\' && p + 1 < e) {
        baton__sb_add(&sb, p, 2);
        p++;
        continue;
      }
      if (*p == '"')
        in_str = false;
      baton__sb_addc(&sb, *p);
      continue;
    }
    static const char *const toks[] = {"-Infinity", "Infinity", "NaN"};
    size_t k;
    for (k = 0; k < 3; k++) {
      size_t l = strlen(toks[k]);
      if ((size_t)(e - p) >= l && !strncmp(p, toks[k], l))
        break;
    }
    if (k < 3) {
      /* Kept as a string: where a number must be (a count) it is refused,
       * elsewhere (card metadata) it is harmless text. */
      baton__sb_addf(&sb, "\"%s\"", toks[k]);
      p += strlen(toks[k]) - 1;
      changed = true;
      continue;
    }
    if (*p == '"')
      in_str = true;
    baton__sb_addc(&sb, *p);
  }
  if (!changed || !baton__sb_ok(&sb)) {
    baton__sb_release(&sb);
    return NULL;
  }
  return baton__sb_detach(&sb);
}

/* One JSON value a line; blank lines are skipped. */
static int import_lines(job *j, const char *text, size_t len, record_fn one) {
  size_t line = 0;
  const char *p = text, *end = text + len;
  while (p < end) {
    line++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    const char *s = p;
    p = nl ? nl + 1 : end;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
      s++;
    if (s == e)
      continue;
    if ((size_t)(e - s) > MAX_LINE) {
      baton__fmt(j->err, j->errlen, "%s:%zu: the line is longer than %u bytes", j->label, line,
                 MAX_LINE);
      return -1;
    }
    const char *eptr = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(s, (size_t)(e - s), &eptr, false);
    if (!o) {
      char *fixed = python_json_fixed(s, e);
      if (fixed)
        o = cJSON_Parse(fixed);
      free(fixed);
    }
    if (!o) {
      baton__fmt(j->err, j->errlen, "%s:%zu: not valid JSON (near column %zu)", j->label, line,
                 eptr ? (size_t)(eptr - s) + 1 : 1);
      return -1;
    }
    char why[512] = "";
    int rc = one(j, o, why, sizeof why);
    cJSON_Delete(o);
    if (rc) {
      baton__fmt(j->err, j->errlen, "%s:%zu: %s", j->label, line, why);
      return -1;
    }
  }
  return 0;
}

/* Adds the Hub tags of list tl to tags, leaving out noise ("region:",
 * "arxiv:"...) and the "dataset:" prefix; returns the first "license:"
 * tag's value (borrowed) or NULL. */
static const char *hub_tags(const cJSON *tl, baton__sb *tags) {
  static const char *const noise[] = {"region:", "arxiv:", "license:", "endpoints_compatible",
                                      "autotrain_compatible", "text-generation-inference",
                                      "deploy:", "doi:", "base_model:", "has_space", "co2_eq"};
  const char *license = NULL;
  const cJSON *t;
  cJSON_ArrayForEach(t, tl) {
    if (!cJSON_IsString(t))
      continue;
    const char *s = t->valuestring;
    if (!strncmp(s, "license:", 8) && !license)
      license = s + 8;
    bool skip = false;
    for (size_t k = 0; k < sizeof noise / sizeof noise[0] && !skip; k++)
      skip = !strncmp(s, noise[k], strlen(noise[k]));
    if (!skip)
      add_tag(tags, !strncmp(s, "dataset:", 8) ? s + 8 : s);
  }
  return license;
}

/* A description made of what is known of a Hub item without one: "name by
 * owner: task model (library), trained on D, language L." */
static void describe_item(baton__sb *desc, const baton__model_row *row, const cJSON *it,
                          const cJSON *card) {
  const char *slash = strchr(row->id, '/');
  const char *name = slash ? slash + 1 : row->id;
  for (const char *p = name; *p; p++)
    baton__sb_addc(desc, (*p == '-' || *p == '_') ? ' ' : *p);
  if (slash)
    baton__sb_addf(desc, " by %.*s", (int)(slash - row->id), row->id);
  if (row->task) {
    baton__sb_adds(desc, ": ");
    for (const char *p = row->task; *p; p++)
      baton__sb_addc(desc, *p == '-' ? ' ' : *p);
    baton__sb_adds(desc, " model");
  }
  const cJSON *lib = cJSON_GetObjectItemCaseSensitive(it, "library_name");
  if (cJSON_IsString(lib))
    baton__sb_addf(desc, " (%s)", lib->valuestring);
  if (cJSON_IsObject(card)) {
    const char *d0 = first_str(cJSON_GetObjectItemCaseSensitive(card, "datasets"));
    if (d0)
      baton__sb_addf(desc, ", trained on %s", d0);
    const char *lang = first_str(cJSON_GetObjectItemCaseSensitive(card, "language"));
    if (lang)
      baton__sb_addf(desc, ", language %s", lang);
  }
  baton__sb_addc(desc, '.');
}

/* Sets row's license and tags (into tags) and description (into desc) from
 * the Hub item it and its cardData card. */
static void hub_item_text(const cJSON *it, const cJSON *card, baton__model_row *row,
                          baton__sb *desc, baton__sb *tags) {
  const char *license = hub_tags(cJSON_GetObjectItemCaseSensitive(it, "tags"), tags);
  const char *card_desc = NULL;
  if (cJSON_IsObject(card)) {
    const char *l = first_str(cJSON_GetObjectItemCaseSensitive(card, "license"));
    if (l)
      license = l;
    add_tags_of(tags, cJSON_GetObjectItemCaseSensitive(card, "tags"));
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(card, "description");
    if (cJSON_IsString(d) && *d->valuestring)
      card_desc = d->valuestring;
  }
  row->license = license;
  /* The Hub has no description field: cardData.description when there is
   * one, else a sentence made of what is known. */
  if (card_desc) {
    char *c = baton__clean_description(card_desc, DESC_MAX);
    baton__sb_adds(desc, c ? c : "");
    free(c);
  } else {
    describe_item(desc, row, it, card);
  }
}

int baton__hub_item(const cJSON *it, baton__model_row *row, baton__sb *desc, baton__sb *tags,
                    char *why, size_t whylen) {
  memset(row, 0, sizeof *row);
  if (!cJSON_IsObject(it)) {
    baton__fmt(why, whylen, "expected a JSON object");
    return -1;
  }
  const cJSON *idv = cJSON_GetObjectItemCaseSensitive(it, "id");
  if (!cJSON_IsString(idv))
    idv = cJSON_GetObjectItemCaseSensitive(it, "modelId");
  if (!cJSON_IsString(idv) || !*idv->valuestring || strlen(idv->valuestring) > MAX_ID ||
      !baton__model_id_valid(idv->valuestring)) {
    baton__fmt(why, whylen, "the item has no usable \"id\" (a Hub model id)");
    return -1;
  }
  row->id = idv->valuestring;
  if (get_count(it, "downloads", &row->downloads, why, whylen) ||
      get_count(it, "likes", &row->likes, why, whylen))
    return -1;
  const cJSON *card = cJSON_GetObjectItemCaseSensitive(it, "cardData");
  const cJSON *pt = cJSON_GetObjectItemCaseSensitive(it, "pipeline_tag");
  if (!cJSON_IsString(pt) && cJSON_IsObject(card))
    pt = cJSON_GetObjectItemCaseSensitive(card, "pipeline_tag");
  row->task = cJSON_IsString(pt) ? pt->valuestring : NULL;
  row->endpoint = "hf-inference";
  row->enabled = 1;
  hub_item_text(it, card, row, desc, tags);
  if (!baton__sb_ok(desc) || !baton__sb_ok(tags)) {
    baton__fmt(why, whylen, "out of memory");
    return -1;
  }
  row->description = desc->buf;
  row->tags = tags->buf;
  return row->task ? 0 : 1;
}

static int hub_record(job *j, const cJSON *o, char *why, size_t whylen) {
  baton__model_row row;
  baton__sb desc, tags;
  baton__sb_init(&desc);
  baton__sb_init(&tags);
  int rc = baton__hub_item(o, &row, &desc, &tags, why, whylen);
  if (rc >= 0)
    j->models++;
  if (rc == 1 || (rc == 0 && !baton__strset_has(&j->tasks, row.task))) {
    skip_task(j, rc == 1 ? NULL : row.task);
    rc = 0;
  } else if (rc == 0) {
    rc = store_record(j, &row, why, whylen);
  }
  baton__sb_release(&desc);
  baton__sb_release(&tags);
  return rc;
}

static int import_hub(job *j, const char *text, size_t len) {
  const char *s = text;
  while (s < text + len && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
    s++;
  if (s == text + len || *s != '[')
    return import_lines(j, text, len, hub_record);
  const char *eptr = NULL;
  cJSON *arr = cJSON_ParseWithLengthOpts(text, len, &eptr, false);
  if (!arr) {
    size_t off = eptr ? (size_t)(eptr - text) : 0;
    baton__fmt(j->err, j->errlen, "%s:%zu: not valid JSON", j->label, line_at(text, off));
    return -1;
  }
  int i = 0, rc = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    i++;
    char why[512] = "";
    if (hub_record(j, it, why, sizeof why)) {
      baton__fmt(j->err, j->errlen, "%s: item %d: %s", j->label, i, why);
      rc = -1;
      break;
    }
  }
  cJSON_Delete(arr);
  return rc;
}

static const char *guess_format(const char *label) {
  if (baton__has_suffix_ci(label, ".yaml") || baton__has_suffix_ci(label, ".yml"))
    return "yaml";
  if (baton__has_suffix_ci(label, ".jsonl"))
    return "hugginggpt";
  if (baton__has_suffix_ci(label, ".json"))
    return "hub";
  return NULL;
}

/* The import format by name ("yaml" 0, "hugginggpt" 1, "hub" 2), with its
 * canonical name in *name; -1 when unknown. */
static int format_kind(const char *format, const char **name) {
  static const struct {
    const char *alias, *name;
    int kind;
  } formats[] = {{"yaml", "yaml", 0},       {"yml", "yaml", 0}, {"hugginggpt", "hugginggpt", 1},
                 {"jsonl", "hugginggpt", 1}, {"hub", "hub", 2},  {"json", "hub", 2}};
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (!strcmp(format, formats[i].alias)) {
      *name = formats[i].name;
      return formats[i].kind;
    }
  return -1;
}

/* A YAML catalogue: tasks and models in one transaction (catalogues are
 * written by hand; their tasks must exist before their models). */
static int import_yaml(job *j, const char *text, size_t len) {
  if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(j->err, j->errlen, "cannot start the import: %s", sqlite3_errmsg(j->db));
    return -1;
  }
  if (load_task_names(j) || baton__catalogue_import_ex(j->db, text, len, j->label, &j->u,
                                                       &j->tasks_stored, j->err, j->errlen) ||
      sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    if (!j->err[0])
      baton__fmt(j->err, j->errlen, "cannot commit the import: %s", sqlite3_errmsg(j->db));
    sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  j->models = j->u.inserted + j->u.updated + j->u.unchanged;
  return 0;
}

/* HuggingGPT or Hub records: every record is read, checked and staged
 * first (nothing written, no lock held: a bad one anywhere fails the
 * import with nothing written), then written in short transactions. */
static int import_staged(job *j, int kind, const char *text, size_t len) {
  if (baton__upsert_stage(&j->u, j->err, j->errlen))
    return -1;
  if (sqlite3_exec(j->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(j->err, j->errlen, "cannot start the import: %s", sqlite3_errmsg(j->db));
    return -1;
  }
  int rc = load_task_names(j);
  if (!rc)
    rc = kind == 1 ? import_lines(j, text, len, hugginggpt_record) : import_hub(j, text, len);
  if (!rc && sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(j->err, j->errlen, "cannot stage the import: %s", sqlite3_errmsg(j->db));
    rc = -1;
  }
  if (rc) {
    sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return baton__upsert_merge(&j->u, &j->pace, j->err, j->errlen);
}

static cJSON *import_report(job *j, const char *format) {
  cJSON *r = cJSON_CreateObject();
  if (!r)
    return NULL;
  cJSON_AddStringToObject(r, "file", j->label);
  cJSON_AddStringToObject(r, "format", format);
  cJSON_AddNumberToObject(r, "models", (double)j->models);
  cJSON_AddNumberToObject(r, "inserted", (double)j->u.inserted);
  cJSON_AddNumberToObject(r, "updated", (double)j->u.updated);
  cJSON_AddNumberToObject(r, "unchanged", (double)j->u.unchanged);
  cJSON_AddNumberToObject(r, "skipped", (double)j->skipped);
  cJSON_AddItemToObject(r, "skipped_tasks", j->skipped_tasks);
  j->skipped_tasks = NULL;
  cJSON_AddNumberToObject(r, "tasks", (double)j->tasks_stored);
  return r;
}

int baton__registry_import_text(baton__registry *reg, const char *label, const char *text,
                                size_t len, const char *format, cJSON **report, char *err,
                                size_t errlen) {
  if (report)
    *report = NULL;
  if (!reg || !text || !report) {
    baton__fmt(err, errlen, "bad arguments to import");
    return -1;
  }
  if (!label)
    label = "(text)";
  if (!format || !*format)
    format = guess_format(label);
  if (format && strcmp(format, "yaml") != 0 && baton__json_has_nul(text, len)) {
    baton__fmt(err, errlen, "%s: a string holds a NUL character (\\u0000); refused", label);
    return -1;
  }
  if (!format) {
    baton__fmt(err, errlen,
               "%s: cannot tell the format from the name; give one of yaml, hugginggpt, hub",
               label);
    return -1;
  }
  int kind = format_kind(format, &format);
  if (kind < 0) {
    baton__fmt(err, errlen, "unknown import format '%s' (yaml, hugginggpt, hub)", format);
    return -1;
  }
  job j = {.label = label,
           .err = err,
           .errlen = errlen,
           .pace = {.chunk_ms = BATON__WRITE_CHUNK_MS, .paused = reg->write_paused,
                    .ud = reg->write_paused_ud}};
  if (errlen)
    err[0] = '\0';
  baton__strset_init(&j.tasks);
  int rc = -1;
  bool upsert = false;
  if (!(j.skipped_tasks = cJSON_CreateObject())) {
    baton__fmt(err, errlen, "out of memory");
    goto out;
  }
  if (baton__registry_writer(reg, &j.db, err, errlen) ||
      baton__upsert_init(&j.u, j.db, BATON__UPSERT_REPLACE, "import", err, errlen))
    goto out;
  upsert = true;
  if (kind == 0 ? import_yaml(&j, text, len) : import_staged(&j, kind, text, len))
    goto out;
  if (!(*report = import_report(&j, format))) {
    baton__fmt(err, errlen, "out of memory");
    goto out;
  }
  baton__fts_merge_into_report(j.db, *report);
  rc = 0;
out:
  if (upsert)
    baton__upsert_release(&j.u);
  sqlite3_close_v2(j.db);
  baton__strset_release(&j.tasks);
  cJSON_Delete(j.skipped_tasks);
  return rc;
}

int baton__registry_import(baton__registry *reg, const char *path, const char *format,
                           cJSON **report, char *err, size_t errlen) {
  if (report)
    *report = NULL;
  if (!path || !*path) {
    baton__fmt(err, errlen, "no file to import");
    return -1;
  }
  char *text = NULL;
  size_t len = 0;
  char rerr[512] = "";
  if (baton__read_file(path, IMPORT_MAX_BYTES, &text, &len, rerr, sizeof rerr)) {
    baton__fmt(err, errlen, "%s", rerr);
    return -1;
  }
  int rc = baton__registry_import_text(reg, path, text, len, format, report, err, errlen);
  free(text);
  return rc;
}
