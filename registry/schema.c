/* schema.c — the registry schema: migration steps, bringing a database up to date, seeding it from the catalogue. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * migrations[v] takes a database from user_version v-1 to v. To change the
 * schema, append a step and bump BATON__REGISTRY_SCHEMA; never edit a step
 * that has shipped.
 *
 * Since version 3 the full-text index is models_mfts, a contentless FTS5
 * index (detail=none) keyed by models' rowid and kept in sync by triggers
 * that call baton_match_text() (registered by baton__sql_functions() on
 * every connection baton opens). Anything that could renumber rowids
 * (VACUUM on models) must be followed by rebuilding it: DELETE the index
 * with INSERT INTO models_mfts(models_mfts) VALUES('delete-all') and
 * re-insert every row's baton_match_text(). Upserts should use
 * INSERT ... ON CONFLICT DO UPDATE or UPDATE (the update trigger
 * re-indexes); the connection also turns recursive_triggers on so that
 * INSERT OR REPLACE's implicit delete is seen by the delete trigger.
 * Since version 8 baton_match_text() stems each word (core/stem.c, Porter's
 * rules) before gluing it, and the query side stems its words the same way:
 * "tables" in a request matches "table" in a description. models.base
 * (popularity + local bonus) is kept by every statement that writes
 * downloads, likes or endpoint; the version-3 step recomputes it, and so must
 * a future step that changes its formula.
 */

/* The triggers that keep models_mfts in step with models (versions 3 and 8 create them). */
#define MFTS_TRIGGERS                                                                          \
  "CREATE TRIGGER models_mfts_ai AFTER INSERT ON models BEGIN"                                 \
  "  INSERT INTO models_mfts(rowid, words)"                                                    \
  "    VALUES (new.rowid, baton_match_text(new.task, new.id, new.description, new.tags));"     \
  "END;"                                                                                       \
  "CREATE TRIGGER models_mfts_ad AFTER DELETE ON models BEGIN"                                 \
  "  INSERT INTO models_mfts(models_mfts, rowid, words)"                                       \
  "    VALUES ('delete', old.rowid,"                                                           \
  "            baton_match_text(old.task, old.id, old.description, old.tags));"                \
  "END;"                                                                                       \
  "CREATE TRIGGER models_mfts_au AFTER UPDATE OF id, task, description, tags ON models BEGIN"  \
  "  INSERT INTO models_mfts(models_mfts, rowid, words)"                                       \
  "    VALUES ('delete', old.rowid,"                                                           \
  "            baton_match_text(old.task, old.id, old.description, old.tags));"                \
  "  INSERT INTO models_mfts(rowid, words)"                                                    \
  "    VALUES (new.rowid, baton_match_text(new.task, new.id, new.description, new.tags));"     \
  "END;"

static const char *const migrations[] = {
    NULL, /* version 0: an empty database */
    /* version 1 */
    "CREATE TABLE tasks("
    "  name TEXT PRIMARY KEY,"
    "  description TEXT NOT NULL,"
    "  inputs TEXT NOT NULL,"
    "  outputs TEXT NOT NULL,"
    "  keywords TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE models("
    "  id TEXT PRIMARY KEY,"
    "  task TEXT NOT NULL REFERENCES tasks(name),"
    "  description TEXT NOT NULL DEFAULT '',"
    "  tags TEXT NOT NULL DEFAULT '',"
    "  downloads INTEGER NOT NULL DEFAULT 0,"
    "  likes INTEGER NOT NULL DEFAULT 0,"
    "  license TEXT,"
    "  endpoint TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX models_task ON models(task);"
    "CREATE VIRTUAL TABLE models_fts USING fts5("
    "  id, description, tags, content='models', content_rowid='rowid',"
    "  tokenize='porter unicode61');"
    "CREATE TRIGGER models_fts_ai AFTER INSERT ON models BEGIN"
    "  INSERT INTO models_fts(rowid, id, description, tags)"
    "    VALUES (new.rowid, new.id, new.description, new.tags);"
    "END;"
    "CREATE TRIGGER models_fts_ad AFTER DELETE ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags);"
    "END;"
    "CREATE TRIGGER models_fts_au AFTER UPDATE OF id, description, tags ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags);"
    "  INSERT INTO models_fts(rowid, id, description, tags)"
    "    VALUES (new.rowid, new.id, new.description, new.tags);"
    "END;"
    "CREATE TABLE health("
    "  model_id TEXT PRIMARY KEY,"
    "  successes INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  last_latency_ms INTEGER,"
    "  last_error TEXT,"
    "  updated_at REAL);",
    /* version 2: provenance and local edits (sync keeps them), the static
     * score part (base) with an index to rank a task's models by it, health
     * rates, and the task in the full-text index so that matching reads
     * only the postings of one task. task_key is the task without '-'
     * ("imagetotext"), one token. baton_base() is registered on every
     * connection baton opens. */
    "ALTER TABLE models ADD COLUMN source TEXT NOT NULL DEFAULT 'catalogue';"
    "ALTER TABLE models ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE models ADD COLUMN updated_at REAL;"
    "ALTER TABLE models ADD COLUMN base REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE models ADD COLUMN task_key TEXT"
    "  GENERATED ALWAYS AS (replace(task, '-', '')) VIRTUAL;"
    "UPDATE models SET base = baton_base(downloads, likes, endpoint);"
    "DROP INDEX models_task;"
    "CREATE INDEX models_task_base ON models(task, base DESC, id);"
    "ALTER TABLE health ADD COLUMN fail_rate REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE health ADD COLUMN latency_ewma_ms REAL;"
    "ALTER TABLE health ADD COLUMN total_latency_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE health ADD COLUMN last_error_at REAL;"
    "UPDATE health SET fail_rate = CASE WHEN successes + failures > 0"
    "  THEN 1.0 * failures / (successes + failures) ELSE 0 END;"
    "DROP TRIGGER models_fts_ai;"
    "DROP TRIGGER models_fts_ad;"
    "DROP TRIGGER models_fts_au;"
    "DROP TABLE models_fts;"
    "CREATE VIRTUAL TABLE models_fts USING fts5("
    "  id, description, tags, task_key, content='models', content_rowid='rowid',"
    "  tokenize='porter unicode61');"
    "CREATE TRIGGER models_fts_ai AFTER INSERT ON models BEGIN"
    "  INSERT INTO models_fts(rowid, id, description, tags, task_key)"
    "    VALUES (new.rowid, new.id, new.description, new.tags, new.task_key);"
    "END;"
    "CREATE TRIGGER models_fts_ad AFTER DELETE ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags, task_key)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags, old.task_key);"
    "END;"
    "CREATE TRIGGER models_fts_au AFTER UPDATE OF id, description, tags, task ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags, task_key)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags, old.task_key);"
    "  INSERT INTO models_fts(rowid, id, description, tags, task_key)"
    "    VALUES (new.rowid, new.id, new.description, new.tags, new.task_key);"
    "END;"
    "INSERT INTO models_fts(models_fts) VALUES ('rebuild');",
    /* version 3: the matching index replaces models_fts. It indexes every
     * word of id, description and tags glued to the task key
     * ("summarizationxlegal", see baton_match_text()), so that the postings
     * of a word are those of one task only and a match reads a few hundred
     * rows, not the whole corpus. Contentless with detail=none: only "which
     * rows" is ever asked, and the text is recomputed from the row when a
     * model changes. The triggers call baton_match_text(), which baton
     * registers on every connection it opens; another program that adds,
     * deletes or edits models gets "no such function" instead of a stale
     * index. */
    "DROP TRIGGER models_fts_ai;"
    "DROP TRIGGER models_fts_ad;"
    "DROP TRIGGER models_fts_au;"
    "DROP TABLE models_fts;"
    "CREATE VIRTUAL TABLE models_mfts USING fts5("
    "  words, content='', tokenize='porter unicode61', detail='none');"
    MFTS_TRIGGERS
    "INSERT INTO models_mfts(rowid, words)"
    "  SELECT rowid, baton_match_text(task, id, description, tags) FROM models;"
    "UPDATE models SET base = baton_base(downloads, likes, endpoint);"
    "DROP INDEX models_task_base;"
    "CREATE INDEX models_task_enabled_base ON models(task, enabled, base DESC, id);",
    /* version 4: facts about the database itself; "catalogue_tasks" holds a
     * fingerprint of the shipped catalogue whose task kinds the tasks table
     * has, so that a newer baton refreshes them (see seed()). */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* version 5: models served by the configured model servers (rewritten
     * from the config at every open; one row per model and task) and each
     * server's health as the replica pool saw it last (registry/endpoints.c). */
    "CREATE TABLE endpoint_models("
    "  id TEXT NOT NULL,"
    "  task TEXT NOT NULL,"
    "  endpoints TEXT NOT NULL,"
    "  PRIMARY KEY(id, task));"
    "CREATE INDEX endpoint_models_task ON endpoint_models(task);"
    "CREATE TABLE endpoint_health("
    "  name TEXT PRIMARY KEY,"
    "  up INTEGER NOT NULL DEFAULT 1,"
    "  consecutive_failures INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  last_error_at REAL,"
    "  last_ok_at REAL,"
    "  retry_at REAL,"
    "  updated_at REAL);",
    /* version 6: the plain parameters a task takes besides its resources
     * ("instruction"), named by errors about arguments it does not take. */
    "ALTER TABLE tasks ADD COLUMN params TEXT NOT NULL DEFAULT '';",
    /* version 7: what lets a match read only what it returns. task_counts
     * holds each task's models (all, and enabled ones), kept by triggers, so
     * idf's N is one row; models_task_endpoint lists a task's endpoints in
     * O(log n) each (a skip scan) and its models of one endpoint by base,
     * and gives the full-text ranking base and endpoint without the row. */
    "CREATE TABLE task_counts("
    "  task TEXT PRIMARY KEY,"
    "  models INTEGER NOT NULL DEFAULT 0,"
    "  enabled INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO task_counts(task, models, enabled)"
    "  SELECT task, count(*), sum(enabled >= 1) FROM models GROUP BY task;"
    "CREATE TRIGGER models_counts_ai AFTER INSERT ON models BEGIN"
    "  INSERT INTO task_counts(task, models, enabled) VALUES (new.task, 1, new.enabled >= 1)"
    "    ON CONFLICT(task) DO UPDATE SET models = models + 1,"
    "      enabled = enabled + (new.enabled >= 1);"
    "END;"
    "CREATE TRIGGER models_counts_ad AFTER DELETE ON models BEGIN"
    "  UPDATE task_counts SET models = models - 1, enabled = enabled - (old.enabled >= 1)"
    "    WHERE task = old.task;"
    "END;"
    "CREATE TRIGGER models_counts_au AFTER UPDATE OF task, enabled ON models"
    "  WHEN old.task IS NOT new.task OR (old.enabled >= 1) IS NOT (new.enabled >= 1) BEGIN"
    "  UPDATE task_counts SET models = models - 1, enabled = enabled - (old.enabled >= 1)"
    "    WHERE task = old.task;"
    "  INSERT INTO task_counts(task, models, enabled) VALUES (new.task, 1, new.enabled >= 1)"
    "    ON CONFLICT(task) DO UPDATE SET models = models + 1,"
    "      enabled = enabled + (new.enabled >= 1);"
    "END;"
    "CREATE INDEX models_task_endpoint ON models(task, enabled, endpoint, base DESC, id);",
    /* version 8: words are stemmed one by one before they are glued to the task key (by
     * baton_match_text() and the query side alike), and the index tokenizes without the porter
     * stemmer: porter stemmed a glued word as the end of one long word, so that "thing" and
     * "the" both became "<task>xth", "red" and "ring" "<task>xr". The index is rebuilt. */
    "DROP TRIGGER models_mfts_ai;"
    "DROP TRIGGER models_mfts_ad;"
    "DROP TRIGGER models_mfts_au;"
    "DROP TABLE models_mfts;"
    "CREATE VIRTUAL TABLE models_mfts USING fts5("
    "  words, content='', tokenize='unicode61', detail='none');"
    MFTS_TRIGGERS
    "INSERT INTO models_mfts(rowid, words)"
    "  SELECT rowid, baton_match_text(task, id, description, tags) FROM models;",
    /* version 9: a bulk writer indexes the rows it inserts itself, one statement a transaction,
     * while meta holds 'bulk_import' inside its transaction (registry/bulkindex.c says why). */
    "DROP TRIGGER models_mfts_ai;"
    "CREATE TRIGGER models_mfts_ai AFTER INSERT ON models"
    "  WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk_import') BEGIN"
    "  INSERT INTO models_mfts(rowid, words)"
    "    VALUES (new.rowid, baton_match_text(new.task, new.id, new.description, new.tags));"
    "END;",
    /* version 10: a 429's hold-off kept for every process on the machine (registry/endpoints.c):
     * until when no request goes to the server, why, and how many 429s in a row it was. */
    "ALTER TABLE endpoint_health ADD COLUMN held_until REAL;"
    "ALTER TABLE endpoint_health ADD COLUMN held_reason TEXT;"
    "ALTER TABLE endpoint_health ADD COLUMN held_count INTEGER NOT NULL DEFAULT 0;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == BATON__REGISTRY_SCHEMA + 1,
               "one migration step per schema version");


static int get_user_version(sqlite3 *db, int *out, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return baton__db_err(db, err, errlen, "cannot read the schema version");
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    baton__db_err(db, err, errlen, "cannot read the schema version");
    sqlite3_finalize(st);
    return -1;
  }
  *out = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return 0;
}

static int newer_schema(const char *path, int v, char *err, size_t errlen) {
  baton__fmt(err, errlen,
             "%s has schema version %d, newer than this build of baton knows (%d); "
             "use a newer baton or another BATON_HOME",
             path, v, BATON__REGISTRY_SCHEMA);
  return -1;
}

/* Brings the schema up to BATON__REGISTRY_SCHEMA, one step per transaction. */
int baton__schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen) {
  int v = 0;
  if (get_user_version(db, &v, err, errlen))
    return -1;
  if (v > BATON__REGISTRY_SCHEMA)
    return newer_schema(path, v, err, errlen);
  while (v < BATON__REGISTRY_SCHEMA) {
    if (baton__exec_sql(db, "BEGIN IMMEDIATE", err, errlen, "cannot start the schema migration"))
      return -1;
    /* Another process may have migrated while we waited for the lock. */
    int now = 0;
    if (get_user_version(db, &now, err, errlen))
      goto fail;
    if (now > BATON__REGISTRY_SCHEMA) {
      newer_schema(path, now, err, errlen);
      goto fail;
    }
    if (now == v) {
      char what[64], pragma[64];
      baton__fmt(what, sizeof what, "schema migration to version %d failed", v + 1);
      if (baton__exec_sql(db, migrations[v + 1], err, errlen, what))
        goto fail;
      baton__fmt(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
      if (baton__exec_sql(db, pragma, err, errlen, what))
        goto fail;
      now = v + 1;
    }
    if (baton__exec_sql(db, "COMMIT", err, errlen, "cannot commit the schema migration"))
      goto fail;
    v = now;
  }
  return 0;
fail:
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

/* A fingerprint of a catalogue text (FNV-1a, 64 bits, as hex). */
static void catalogue_fingerprint(const char *text, size_t len, char out[17]) {
  baton__fmt(out, 17, "%016llx",
             (unsigned long long)baton__fnv1a64(BATON_FNV1A64_INIT, text, len));
}

/* The meta value for key, copied into out ("" when there is none). */
static int meta_get(sqlite3 *db, const char *key, char *out, size_t cap) {
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
      SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW)
    baton__fmt(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -1;
}

static int meta_set(sqlite3 *db, const char *key, const char *value) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  sqlite3_finalize(st);
  return s == SQLITE_DONE ? 0 : -1;
}

/* The meta value for key, malloc'd (NULL when there is none or out of memory). */
static char *meta_dup(sqlite3 *db, const char *key) {
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    v = baton__strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return v;
}

/* A catalogue other than the one seen last: its task kinds, its models new to the registry
 * (baton__catalogue_import_new) and the new cards of models the user left alone
 * (baton__cards_visit); "catalogue_models" keeps its ids and "catalogue_cards" its cards for
 * next time. 0 or -1. */
static int refresh_catalogue(sqlite3 *db, const char *catalogue, size_t len, bool tasks,
                             char *err, size_t errlen) {
  if (tasks && baton__catalogue_import_tasks(db, catalogue, len, err, errlen))
    return -1;
  char *seen = meta_dup(db, "catalogue_models"), *had = meta_dup(db, "catalogue_cards");
  char *ids = NULL, *cards = NULL;
  baton__cards c;
  int rc = baton__cards_init(&c, db, had, err, errlen);
  if (rc == 0)
    rc = baton__catalogue_import_new(db, catalogue, len, seen, &c, &ids, err, errlen);
  if (rc == 0 && !(cards = baton__cards_detach(&c)))
    rc = -1, baton__fmt(err, errlen, "out of memory");
  if (rc == 0 && (meta_set(db, "catalogue_models", ids) != 0 ||
                  meta_set(db, "catalogue_cards", cards) != 0))
    rc = -1, baton__db_err(db, err, errlen, "cannot record the catalogue's models");
  baton__cards_release(&c);
  free(seen);
  free(had);
  free(ids);
  free(cards);
  return rc;
}

/* Seeds tasks and models from the catalogue when the tasks table is empty,
 * all in one transaction. A database seeded from another catalogue (an
 * older baton's) gets this catalogue's task kinds - descriptions, types and
 * the keywords the offline planner reads - and the models new in it; models
 * the user imported, added or removed stay as they are (`baton models
 * import registry/catalogue.yaml` restores the shipped ones too).
 * The catalogue's models the registry has whose card - description, tags,
 * license - is still the one recorded in meta "catalogue_cards" when they
 * were last seeded take the new catalogue's card (the full-text index
 * follows through its triggers); enabled, endpoint, task and counts stay.
 * A model whose card the user edited keeps it; disabling is not an edit of
 * the card. A database from before "catalogue_cards" existed has no record
 * to compare with: the rows the user never touched (the catalogue's, not
 * edited) take the new card; the others keep theirs, now and later. */
int baton__schema_seed(sqlite3 *db, const char *catalogue, size_t len, char *err, size_t errlen) {
  if (baton__exec_sql(db, "BEGIN IMMEDIATE", err, errlen, "cannot start seeding"))
    return -1;
  sqlite3_stmt *st = NULL;
  int count = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tasks", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    count = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (count < 0) {
    baton__db_err(db, err, errlen, "cannot count tasks");
    goto fail;
  }
  if (count == 0) {
    if (!catalogue) {
      baton__fmt(err, errlen, "the database has no tasks and no catalogue was given");
      goto fail;
    }
    if (baton__catalogue_import(db, catalogue, len, err, errlen))
      goto fail;
  }
  if (catalogue) {
    char want[17], have[32];
    catalogue_fingerprint(catalogue, len, want);
    if (meta_get(db, "catalogue_tasks", have, sizeof have) != 0) {
      baton__db_err(db, err, errlen, "cannot read the registry's catalogue fingerprint");
      goto fail;
    }
    if (strcmp(want, have) != 0) {
      if (refresh_catalogue(db, catalogue, len, count > 0, err, errlen))
        goto fail;
      if (meta_set(db, "catalogue_tasks", want) != 0) {
        baton__db_err(db, err, errlen, "cannot record the catalogue fingerprint");
        goto fail;
      }
    }
  }
  if (baton__exec_sql(db, "COMMIT", err, errlen, "cannot commit the seeded catalogue"))
    goto fail;
  return 0;
fail:
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}
