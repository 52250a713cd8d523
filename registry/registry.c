/* registry.c — the SQLite model registry: schema migrations, seeding, task list, FTS5 matching, health, listing. */
#include "registry/registry.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/dbfile.h"
#include "registry/internal.h"
#include "core/banned.h"

/* ---------------------------------------------------------------------- */
/* Schema                                                                   */

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
 * The porter stemmer lets "tables" in a request match "table" in a
 * description. models.base (popularity + local bonus) is kept by every
 * statement that writes downloads, likes or endpoint; the version-3 step
 * recomputes it, and so must a future step that changes its formula.
 */
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
    "CREATE TRIGGER models_mfts_ai AFTER INSERT ON models BEGIN"
    "  INSERT INTO models_mfts(rowid, words)"
    "    VALUES (new.rowid, baton_match_text(new.task, new.id, new.description, new.tags));"
    "END;"
    "CREATE TRIGGER models_mfts_ad AFTER DELETE ON models BEGIN"
    "  INSERT INTO models_mfts(models_mfts, rowid, words)"
    "    VALUES ('delete', old.rowid,"
    "            baton_match_text(old.task, old.id, old.description, old.tags));"
    "END;"
    "CREATE TRIGGER models_mfts_au AFTER UPDATE OF id, task, description, tags ON models BEGIN"
    "  INSERT INTO models_mfts(models_mfts, rowid, words)"
    "    VALUES ('delete', old.rowid,"
    "            baton_match_text(old.task, old.id, old.description, old.tags));"
    "  INSERT INTO models_mfts(rowid, words)"
    "    VALUES (new.rowid, baton_match_text(new.task, new.id, new.description, new.tags));"
    "END;"
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
};

_Static_assert(sizeof migrations / sizeof migrations[0] == BATON__REGISTRY_SCHEMA + 1,
               "one migration step per schema version");

/* ---------------------------------------------------------------------- */
/* Scoring                                                                  */

/*
 * score = relevance + popularity + local_bonus + health
 *
 *  relevance  = 0.75 * w / w_best + 0.25 * w / w_all. The step text's
 *               words (minus stop words and the words of the task's own
 *               name) each weigh idf = ln(1 + (N - n + 0.5) / (n + 0.5)),
 *               N the models of the task, n those whose id, description or
 *               tags contain the word (porter-stemmed: "tables" finds
 *               "table"); w is the weight of the words a model contains,
 *               w_best the best w, w_all the weight of all the words. So the
 *               best match scores about 1, a model matching only common
 *               words little, and one matching nothing 0. (BM25 with binary
 *               term frequency: card texts repeat words for reasons that
 *               say little about fit, and this is what makes a match read
 *               only the postings of one task.)
 *  popularity = 0.5 * min(1, log10(1 + downloads) / 10 + log10(1 + likes) / 20)
 *               (10M downloads -> 0.35, 1000 likes -> 0.075): a prior that
 *               decides between equally relevant models but does not let a
 *               famous generic model beat the one whose description fits.
 *  local_bonus = 0.1 for endpoints "local:*": they run offline, with
 *               no token, no network and no queue.
 *  health     = -1.5 * fail_rate / (1 + age / 3600 s), where fail_rate is
 *               an exponentially weighted rate of failures over the recent
 *               attempts (alpha 0.5: one failure -> 0.5, three in a row ->
 *               0.875, each success halves it) and age is the time since
 *               the last attempt. One failure (-0.75) demotes a model below
 *               a close competitor; three in a row (-1.31) below any model
 *               that works, however well its description fits; the penalty
 *               halves after an hour without news. 0 for a model never run.
 * models.base stores popularity + local_bonus so that SQL can rank a task's
 * models by it through an index. Ties are broken by id.
 */
#define MAX_QUERY_TERMS 32  /* words of the step text that are searched */
#define MAX_TERM_LEN 48     /* longer "words" are cut */

#define HEALTH_SQL BATON__HEALTH_SQL

double baton__popularity(long long downloads, long long likes) {
  double d = downloads > 0 ? (double)downloads : 0.0;
  double l = likes > 0 ? (double)likes : 0.0;
  double p = log10(1.0 + d) / 10.0 + log10(1.0 + l) / 20.0;
  return 0.5 * (p > 1.0 ? 1.0 : p);
}

double baton__local_bonus(const char *endpoint) {
  return (endpoint && !strncmp(endpoint, "local:", 6)) ? BATON__LOCAL_BONUS : 0.0;
}

double baton__base_score(long long downloads, long long likes, const char *endpoint) {
  return baton__popularity(downloads, likes) + baton__local_bonus(endpoint);
}

static void sql_base(sqlite3_context *c, int argc, sqlite3_value **v) {
  (void)argc;
  const unsigned char *ep = sqlite3_value_text(v[2]);
  sqlite3_result_double(c, baton__base_score(sqlite3_value_int64(v[0]), sqlite3_value_int64(v[1]),
                                             (const char *)ep));
}

/* Appends "<key>x<word> " for each ASCII alphanumeric run of text (words
 * cut at MAX_TERM_LEN, like the query side). */
static void glue_words(baton__sb *sb, const char *key, const char *text);

static void sql_match_text(sqlite3_context *c, int argc, sqlite3_value **v) {
  (void)argc;
  const char *task = (const char *)sqlite3_value_text(v[0]);
  char key[160];
  baton__fmt(key, sizeof key, "%s", task ? task : "");
  size_t k = 0;
  for (const char *t = key; *t; t++)
    if (*t != '-')
      key[k++] = *t;
  key[k] = '\0';
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 1; i < 4; i++)
    glue_words(&sb, key, (const char *)sqlite3_value_text(v[i]));
  if (!baton__sb_ok(&sb)) {
    baton__sb_release(&sb);
    sqlite3_result_error_nomem(c);
    return;
  }
  sqlite3_result_text(c, sb.buf, (int)sb.len, SQLITE_TRANSIENT);
  baton__sb_release(&sb);
}

int baton__sql_functions(sqlite3 *db) {
  int rc = sqlite3_create_function(db, "baton_base", 3,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   sql_base, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "baton_match_text", 4,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 sql_match_text, NULL, NULL);
  return rc;
}

/* Common words that say nothing about which model fits. Sorted. */
static const char *const stop_words[] = {
    "a",     "about", "after", "all",   "also",   "am",    "an",    "and",   "any",   "are",
    "as",    "at",    "be",    "been",  "but",    "by",    "can",   "could", "did",   "do",
    "does",  "each",  "for",   "from",  "get",    "give",  "had",   "has",   "have",  "he",
    "her",   "him",   "his",   "how",   "i",      "if",    "in",    "into",  "is",    "it",
    "its",   "just",  "let",   "me",    "my",     "near",  "no",    "not",   "now",   "of",
    "on",    "one",   "or",    "our",   "out",    "please", "she",  "so",    "some",  "than",
    "that",  "the",   "their", "them",  "then",   "there", "these", "they",  "this",  "those",
    "to",    "up",    "us",    "use",   "using",  "want",  "was",   "we",    "were",  "what",
    "when",  "where", "which", "while", "who",    "will",  "with",  "would", "you",   "your",
};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_stop_word(const char *w) {
  return bsearch(&w, stop_words, sizeof stop_words / sizeof stop_words[0], sizeof stop_words[0],
                 cmp_str) != NULL;
}

static bool is_alnum_ascii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void glue_words(baton__sb *sb, const char *key, const char *text) {
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  size_t klen = strlen(key);
  char word[160 + MAX_TERM_LEN + 2];
  if (klen > 160)
    klen = 160;
  memcpy(word, key, klen);
  word[klen] = 'x';
  while (*p) {
    while (*p && !is_alnum_ascii(*p))
      p++;
    if (!*p)
      break;
    size_t n = klen + 1;
    while (*p && is_alnum_ascii(*p)) {
      if (n < klen + 1 + MAX_TERM_LEN) {
        unsigned char c = *p;
        word[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
      }
      p++;
    }
    word[n++] = ' ';
    baton__sb_add(sb, word, n);
  }
}

typedef struct qterms {
  char w[MAX_QUERY_TERMS][MAX_TERM_LEN + 1];
  int n;
} qterms;

/*
 * The words of free text that are searched: the lower-case ASCII
 * alphanumeric runs, minus stop words, words of the task's own name (when
 * task is given) and repeats, at most MAX_QUERY_TERMS, each cut at
 * MAX_TERM_LEN. Raw text never reaches MATCH: each word is later
 * double-quoted, so FTS5 operators such as NEAR, AND, * or - are plain
 * words. Returns the number of words (0: nothing to search for).
 */
static bool mentions(const char *text, const char *term);

static int query_terms(const char *text, const char *task, qterms *tw) {
  tw->n = 0;
  /* Words of the task's own name ("detect" for object-detection) are in
   * nearly every description of the task: they tell its models apart no
   * better than chance. */
  char task_words[160] = "";
  if (task) {
    baton__fmt(task_words, sizeof task_words, "%s", task);
    for (char *t = task_words; *t; t++)
      if (*t == '-')
        *t = ' ';
  }
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  while (*p && tw->n < MAX_QUERY_TERMS) {
    while (*p && !is_alnum_ascii(*p))
      p++;
    if (!*p)
      break;
    char word[MAX_TERM_LEN + 1];
    size_t n = 0;
    while (*p && is_alnum_ascii(*p)) {
      if (n < MAX_TERM_LEN) {
        unsigned char c = *p;
        word[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
      }
      p++;
    }
    word[n] = '\0';
    if (is_stop_word(word) || (task_words[0] && mentions(task_words, word)))
      continue;
    bool dup = false;
    for (int i = 0; i < tw->n && !dup; i++)
      dup = !strcmp(tw->w[i], word);
    if (dup)
      continue;
    memcpy(tw->w[tw->n++], word, n + 1);
  }
  return tw->n;
}

/* Whether the text (any case) has a word starting like term (the term
 * less up to three letters of ending, at least four kept): "tables" finds
 * "table", "documents" finds "document". For explanations only. */
static bool mentions(const char *text, const char *term) {
  size_t len = strlen(term);
  size_t want = len <= 4 ? len : (len - 3 < 4 ? 4 : len - 3);
  for (const char *p = text; p && *p; p++) {
    if (p != text && is_alnum_ascii((unsigned char)p[-1]))
      continue;
    size_t i = 0;
    while (i < want && p[i] && (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' : p[i]) == term[i])
      i++;
    if (i == want)
      return true;
  }
  return false;
}

/* ---------------------------------------------------------------------- */
/* String sets                                                              */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

void baton__strset_init(baton__strset *s) { memset(s, 0, sizeof *s); }

void baton__strset_release(baton__strset *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->slot[i]);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

bool baton__strset_has(const baton__strset *s, const char *key) {
  if (!s->cap)
    return false;
  for (size_t i = hash_str(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slot[i])
      return false;
    if (!strcmp(s->slot[i], key))
      return true;
  }
}

int baton__strset_add(baton__strset *s, const char *key) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    char **ns = calloc(ncap, sizeof *ns);
    if (!ns)
      return -1;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i])
        continue;
      size_t j = hash_str(s->slot[i]) & (ncap - 1);
      while (ns[j])
        j = (j + 1) & (ncap - 1);
      ns[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = ns;
    s->cap = ncap;
  }
  size_t i = hash_str(key) & (s->cap - 1);
  for (; s->slot[i]; i = (i + 1) & (s->cap - 1))
    if (!strcmp(s->slot[i], key))
      return 0;
  if (!(s->slot[i] = baton__strdup(key)))
    return -1;
  s->n++;
  return 1;
}

/* ---------------------------------------------------------------------- */
/* The handle                                                               */

static const char sql_term_task[] = "SELECT rowid FROM models_mfts WHERE models_mfts MATCH ?1";
static const char sql_tasks_all[] = "SELECT name FROM tasks ORDER BY name";
static const char sql_task_bases[] =
    "SELECT rowid, base FROM models WHERE task = ?1 AND enabled >= ?2";
static const char sql_count_all[] = "SELECT coalesce(max(rowid), 0) FROM models";
static const char sql_row[] =
    "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, NULL, m.base, "
    HEALTH_SQL " AS hp, m.enabled"
    " FROM models m LEFT JOIN health h ON h.model_id = m.id WHERE m.rowid = ?1";
static const char sql_json[] =
    "SELECT id, task, description, endpoint, downloads, likes, tags, license, enabled"
    " FROM models WHERE id = ?1";

static const char sql_match_base[] =
    "SELECT m.id, m.task, m.description, m.endpoint, m.downloads, m.likes, NULL, m.base, "
    HEALTH_SQL " AS hp"
    " FROM models m LEFT JOIN health h ON h.model_id = m.id"
    " WHERE m.task = ?1 AND m.enabled = 1 ORDER BY m.base DESC, m.id";

static const char sql_list[] =
    "SELECT id, task, description, endpoint, downloads, likes, tags, license, enabled"
    " FROM models WHERE (?1 IS NULL OR task = ?1)"
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

static int db_err(sqlite3 *db, char *err, size_t errlen, const char *what) {
  baton__fmt(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
  return -1;
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    baton__fmt(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int get_user_version(sqlite3 *db, int *out, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return db_err(db, err, errlen, "cannot read the schema version");
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    db_err(db, err, errlen, "cannot read the schema version");
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
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen) {
  int v = 0;
  if (get_user_version(db, &v, err, errlen))
    return -1;
  if (v > BATON__REGISTRY_SCHEMA)
    return newer_schema(path, v, err, errlen);
  while (v < BATON__REGISTRY_SCHEMA) {
    if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen, "cannot start the schema migration"))
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
      if (exec_sql(db, migrations[v + 1], err, errlen, what))
        goto fail;
      baton__fmt(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
      if (exec_sql(db, pragma, err, errlen, what))
        goto fail;
      now = v + 1;
    }
    if (exec_sql(db, "COMMIT", err, errlen, "cannot commit the schema migration"))
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
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)text[i];
    h *= 1099511628211ull;
  }
  baton__fmt(out, 17, "%016llx", (unsigned long long)h);
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

/* Seeds tasks and models from the catalogue when the tasks table is empty,
 * all in one transaction. A database seeded from another catalogue (an
 * older baton's) gets this catalogue's task kinds - descriptions, types and
 * the keywords the offline planner reads - but not its models: models the
 * user imported, edited, disabled or removed stay as they are (`baton models
 * import registry/catalogue.yaml` brings the shipped models too). */
static int seed(sqlite3 *db, const char *catalogue, size_t len, char *err, size_t errlen) {
  if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen, "cannot start seeding"))
    return -1;
  sqlite3_stmt *st = NULL;
  int count = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tasks", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    count = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (count < 0) {
    db_err(db, err, errlen, "cannot count tasks");
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
      db_err(db, err, errlen, "cannot read the registry's catalogue fingerprint");
      goto fail;
    }
    if (strcmp(want, have) != 0) {
      if (count > 0 && baton__catalogue_import_tasks(db, catalogue, len, err, errlen))
        goto fail;
      if (meta_set(db, "catalogue_tasks", want) != 0) {
        db_err(db, err, errlen, "cannot record the catalogue fingerprint");
        goto fail;
      }
    }
  }
  if (exec_sql(db, "COMMIT", err, errlen, "cannot commit the seeded catalogue"))
    goto fail;
  return 0;
fail:
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return baton__strdup(s ? (const char *)s : "");
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
    return db_err(reg->db, err, errlen, "cannot read tasks");
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
    t->name = col_dup(st, 0);
    t->description = col_dup(st, 1);
    t->keywords = col_dup(st, 4);
    t->params = col_dup(st, 5);
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
    return db_err(reg->db, err, errlen, "cannot read tasks");
  return 0;
}

static int prepare(baton__registry *reg, const char *sql, sqlite3_stmt **st, char *err,
                   size_t errlen) {
  if (sqlite3_prepare_v3(reg->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    return db_err(reg->db, err, errlen, "cannot prepare a query");
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
  /* Every use of reg->db holds reg->lock, so SQLite's own mutexes would
   * only cost (they are a tenth of a bulk import's time). */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &reg->db, flags, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot open %s: %s", path,
               reg->db ? sqlite3_errmsg(reg->db) : "out of memory");
    goto fail;
  }
  sqlite3_extended_result_codes(reg->db, 1);
  if (baton__sql_functions(reg->db) != SQLITE_OK) {
    db_err(reg->db, err, errlen, "cannot register SQL functions");
    goto fail;
  }
  sqlite3_busy_timeout(reg->db, 5000);
  char what[1024];
  baton__fmt(what, sizeof what, "cannot use %s as the registry database", path);
  if (exec_sql(reg->db,
               "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
               " PRAGMA recursive_triggers = ON; PRAGMA synchronous = NORMAL;"
               " PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456;",
               err, errlen, what))
    goto fail;
  if (migrate(reg->db, path, err, errlen) || seed(reg->db, catalogue, len, err, errlen) ||
      load_tasks(reg, err, errlen))
    goto fail;
  if (prepare(reg, sql_term_task, &reg->st_term_task, err, errlen) ||
      prepare(reg, sql_tasks_all, &reg->st_tasks_all, err, errlen) ||
      prepare(reg, "BEGIN", &reg->st_begin, err, errlen) ||
      prepare(reg, "COMMIT", &reg->st_commit, err, errlen) ||
      prepare(reg, sql_task_bases, &reg->st_task_bases, err, errlen) ||
      prepare(reg, sql_count_all, &reg->st_count_all, err, errlen) ||
      prepare(reg, sql_row, &reg->st_row, err, errlen) ||
      prepare(reg, sql_json, &reg->st_json, err, errlen) ||
      prepare(reg, sql_match_base, &reg->st_match_base, err, errlen) ||
      prepare(reg, sql_health_put, &reg->st_health_put, err, errlen) ||
      prepare(reg, sql_list, &reg->st_list, err, errlen) ||
      prepare(reg, sql_endpoint, &reg->st_endpoint, err, errlen))
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
  sqlite3_finalize(reg->st_term_task);
  sqlite3_finalize(reg->st_tasks_all);
  sqlite3_finalize(reg->st_begin);
  sqlite3_finalize(reg->st_commit);
  sqlite3_finalize(reg->st_task_bases);
  sqlite3_finalize(reg->st_count_all);
  sqlite3_finalize(reg->st_row);
  sqlite3_finalize(reg->st_json);
  sqlite3_finalize(reg->st_match_base);
  sqlite3_finalize(reg->st_health_put);
  sqlite3_finalize(reg->st_health_get);
  sqlite3_finalize(reg->st_list);
  sqlite3_finalize(reg->st_endpoint);
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

/* ---------------------------------------------------------------------- */
/* Matching                                                                 */


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
  sqlite3_busy_timeout(db, 10000);
  if (baton__sql_functions(db) != SQLITE_OK ||
      exec_sql(db,
               "PRAGMA foreign_keys = ON; PRAGMA recursive_triggers = ON;"
               " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
               err, errlen, "cannot set up a registry connection")) {
    if (!err[0])
      db_err(db, err, errlen, "cannot register SQL functions");
    sqlite3_close_v2(db);
    return -1;
  }
  *out = db;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Matching                                                                 */

void baton__model_release(baton__model *m) {
  if (!m)
    return;
  free(m->id);
  free(m->task);
  free(m->description);
  free(m->endpoint);
  memset(m, 0, sizeof *m);
}

static int cmp_model(const void *a, const void *b) {
  const baton__model *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return strcmp(x->id, y->id);
}

/* Reads columns 0..5 (id, task, description, endpoint, downloads, likes),
 * the relevance column (6, NULL for none) and the health column (8) into m.
 * Returns false on allocation failure. */
static bool row_to_model(sqlite3_stmt *st, baton__model *m) {
  memset(m, 0, sizeof *m);
  m->id = col_dup(st, 0);
  m->task = col_dup(st, 1);
  m->description = col_dup(st, 2);
  m->endpoint = col_dup(st, 3);
  m->downloads = sqlite3_column_int64(st, 4);
  m->likes = sqlite3_column_int64(st, 5);
  m->relevance =
      sqlite3_column_type(st, 6) == SQLITE_NULL ? 0.0 : sqlite3_column_double(st, 6);
  m->popularity = baton__popularity(m->downloads, m->likes);
  m->local_bonus = baton__local_bonus(m->endpoint);
  m->health = sqlite3_column_double(st, 8);
  m->score = m->relevance + m->popularity + m->local_bonus + m->health;
  return m->id && m->task && m->description && m->endpoint;
}

typedef struct cands {
  baton__model *v;
  size_t n, cap;
  baton__strset ids;
  bool fts_trunc, base_trunc;
  double fts_floor, base_floor;
} cands;

static void cands_release(cands *c) {
  for (size_t i = 0; i < c->n; i++)
    baton__model_release(&c->v[i]);
  free(c->v);
  baton__strset_release(&c->ids);
  memset(c, 0, sizeof *c);
}

/* Appends the current row unless its id is already there. SQLITE_ROW to go
 * on, SQLITE_NOMEM on allocation failure. *added tells what happened. */
static int cands_add(cands *c, sqlite3_stmt *st, bool *added) {
  *added = false;
  const char *id = (const char *)sqlite3_column_text(st, 0);
  if (!id)
    return SQLITE_ROW;
  int r = baton__strset_add(&c->ids, id);
  if (r < 0)
    return SQLITE_NOMEM;
  if (r == 0)
    return SQLITE_ROW;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 32;
    baton__model *nv = realloc(c->v, ncap * sizeof *nv);
    if (!nv)
      return SQLITE_NOMEM;
    c->v = nv;
    c->cap = ncap;
  }
  if (!row_to_model(st, &c->v[c->n])) {
    baton__model_release(&c->v[c->n]);
    return SQLITE_NOMEM;
  }
  c->n++;
  *added = true;
  return SQLITE_ROW;
}

/* A row the words found: its weight, base and score bound. */
typedef struct hit {
  sqlite3_int64 rowid;
  double base; /* popularity + local bonus (stored), or the most it can be */
  double w;    /* weight of the query words the row contains */
  double ub;   /* upper bound of its score: relevance + base */
} hit;

/* An open-addressing table of hits keyed by rowid. */
typedef struct hits {
  hit *v;
  size_t cap; /* power of two */
  size_t n;
} hits;

#define NO_ROW INT64_MIN

static size_t hit_slot(const hits *h, sqlite3_int64 rowid) {
  uint64_t x = (uint64_t)rowid * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(x >> 20) & (h->cap - 1);
  while (h->v[i].rowid != NO_ROW && h->v[i].rowid != rowid)
    i = (i + 1) & (h->cap - 1);
  return i;
}

static int hits_init(hits *h, size_t expect) {
  h->cap = 64;
  while (h->cap < expect * 2)
    h->cap *= 2;
  h->n = 0;
  if (!(h->v = malloc(h->cap * sizeof *h->v)))
    return -1;
  for (size_t i = 0; i < h->cap; i++)
    h->v[i].rowid = NO_ROW;
  return 0;
}

/* The hit of rowid, added (with base) when add is set; NULL otherwise. */
static hit *hits_get(hits *h, sqlite3_int64 rowid, bool add, double base) {
  size_t i = hit_slot(h, rowid);
  if (h->v[i].rowid == NO_ROW) {
    if (!add)
      return NULL;
    h->v[i] = (hit){.rowid = rowid, .base = base};
    h->n++;
  }
  return &h->v[i];
}

/* Max-heap on ub (ties: lower rowid first). */
static bool hit_before(const hit *a, const hit *b) {
  return a->ub > b->ub || (a->ub == b->ub && a->rowid < b->rowid);
}

static void hit_sift(hit *v, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && hit_before(&v[l], &v[m]))
      m = l;
    if (r < n && hit_before(&v[r], &v[m]))
      m = r;
    if (m == i)
      return;
    hit t = v[i];
    v[i] = v[m];
    v[m] = t;
    i = m;
  }
}

/* A min-heap of the best scores seen, at most cap of them. */
typedef struct topk {
  double *v;
  size_t n, cap;
} topk;

static void topk_push(topk *t, double x) {
  if (t->n < t->cap) {
    size_t i = t->n++;
    t->v[i] = x;
    while (i && t->v[(i - 1) / 2] > t->v[i]) {
      double tmp = t->v[i];
      t->v[i] = t->v[(i - 1) / 2];
      t->v[(i - 1) / 2] = tmp;
      i = (i - 1) / 2;
    }
  } else if (t->cap && x > t->v[0]) {
    t->v[0] = x;
    for (size_t i = 0;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < t->n && t->v[l] < t->v[m])
        m = l;
      if (r < t->n && t->v[r] < t->v[m])
        m = r;
      if (m == i)
        break;
      double tmp = t->v[i];
      t->v[i] = t->v[m];
      t->v[m] = tmp;
      i = m;
    }
  }
}

static int step_count(sqlite3_stmt *st, const char *task, long long *out) {
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  *out = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s == SQLITE_ROW ? SQLITE_DONE : s;
}

/*
 * The full-text part of a match or search, with the registry locked. Reads
 * the rowids of each word glued to the task key (so only that task's
 * postings; for a search without task, each task's in turn), weighs the
 * words by idf and sums the weights per row. For one task the rowid and
 * base of each of its models come from the index alone, so every row has
 * a score bound (relevance + base; health only lowers it) without being
 * read; for a search the bound uses the largest base there can be. Rows
 * are then read best bound first, until no row left could beat the L-th
 * best score read. c->fts_trunc tells whether rows were left and
 * c->fts_floor bounds their score. enabled_only skips disabled models.
 */
static int rank_terms(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                      double now, bool enabled_only, cands *c, char *err, size_t errlen) {
  c->fts_trunc = false;
  if (!tw->n || !L)
    return 0;
  int s = SQLITE_DONE;
  sqlite3_int64 *ps = NULL; /* postings, term after term */
  size_t np = 0, pcap = 0, tstart[MAX_QUERY_TERMS + 1];
  hits h = {0};
  hit *rows = NULL;
  size_t nr = 0;
  topk best = {0};
  long long N = 0;
  char (*keys)[160] = NULL;
  size_t nkeys = 0;
  double idf[MAX_QUERY_TERMS];

  /* The task keys to read: the one task, or every task for a search. */
  if (task) {
    if (!(keys = calloc(1, sizeof *keys))) {
      s = SQLITE_NOMEM;
      goto out;
    }
    size_t k = 0;
    for (const char *t = task; *t && k + 1 < sizeof keys[0]; t++)
      if (*t != '-')
        keys[0][k++] = *t;
    nkeys = 1;
  } else {
    size_t kcap = 0;
    while ((s = sqlite3_step(reg->st_tasks_all)) == SQLITE_ROW) {
      if (nkeys == kcap) {
        kcap = kcap ? kcap * 2 : 64;
        char (*nk)[160] = realloc(keys, kcap * sizeof *keys);
        if (!nk) {
          s = SQLITE_NOMEM;
          break;
        }
        keys = nk;
      }
      const char *name = (const char *)sqlite3_column_text(reg->st_tasks_all, 0);
      size_t k = 0;
      for (const char *t = name ? name : ""; *t && k + 1 < sizeof keys[0]; t++)
        if (*t != '-')
          keys[nkeys][k++] = *t;
      keys[nkeys++][k] = '\0';
    }
    sqlite3_reset(reg->st_tasks_all);
    if (s != SQLITE_DONE)
      goto out;
  }

  /* The postings of each word. */
  sqlite3_stmt *st = reg->st_term_task;
  for (int t = 0; t < tw->n; t++) {
    tstart[t] = np;
    for (size_t k = 0; k < nkeys && s == SQLITE_DONE; k++) {
      char q[MAX_TERM_LEN + 200];
      baton__fmt(q, sizeof q, "\"%sx%s\"", keys[k], tw->w[t]);
      sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
      while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (np == pcap) {
          size_t ncap = pcap ? pcap * 2 : 1024;
          sqlite3_int64 *nps = realloc(ps, ncap * sizeof *nps);
          if (!nps) {
            s = SQLITE_NOMEM;
            break;
          }
          ps = nps;
          pcap = ncap;
        }
        ps[np++] = sqlite3_column_int64(st, 0);
      }
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
    if (s != SQLITE_DONE)
      goto out;
  }
  tstart[tw->n] = np;
  if (!np)
    goto out;

  /* The rows that can be ranked, with their base. */
  if (task) {
    sqlite3_stmt *tb = reg->st_task_bases;
    sqlite3_bind_text(tb, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_int(tb, 2, enabled_only ? 1 : 0);
    if (hits_init(&h, 4096)) {
      s = SQLITE_NOMEM;
      goto out;
    }
    while ((s = sqlite3_step(tb)) == SQLITE_ROW) {
      if ((h.n + 1) * 2 > h.cap) { /* grow */
        hits bigger;
        if (hits_init(&bigger, h.cap)) {
          s = SQLITE_NOMEM;
          break;
        }
        for (size_t i = 0; i < h.cap; i++)
          if (h.v[i].rowid != NO_ROW)
            *hits_get(&bigger, h.v[i].rowid, true, 0) = h.v[i];
        free(h.v);
        h = bigger;
      }
      hits_get(&h, sqlite3_column_int64(tb, 0), true, sqlite3_column_double(tb, 1));
    }
    sqlite3_reset(tb);
    sqlite3_clear_bindings(tb);
    if (s != SQLITE_DONE)
      goto out;
    N = (long long)h.n;
  } else {
    if ((s = step_count(reg->st_count_all, NULL, &N)) != SQLITE_DONE)
      goto out;
    if (hits_init(&h, np)) {
      s = SQLITE_NOMEM;
      goto out;
    }
    for (size_t i = 0; i < np; i++)
      hits_get(&h, ps[i], true, 0.5 + BATON__LOCAL_BONUS); /* the most base can be */
  }

  /* idf = ln(1 + (N - n + 0.5) / (n + 0.5)), summed per row. */
  double w_all = 0;
  for (int t = 0; t < tw->n; t++) {
    double n_t = (double)(tstart[t + 1] - tstart[t]);
    idf[t] = log(1.0 + ((double)N - n_t + 0.5) / (n_t + 0.5));
    if (idf[t] < 1e-6)
      idf[t] = 1e-6;
    w_all += idf[t];
    for (size_t i = tstart[t]; i < tstart[t + 1]; i++) {
      hit *x = hits_get(&h, ps[i], false, 0);
      if (x)
        x->w += idf[t];
    }
  }
  if (!(rows = malloc(h.n * sizeof *rows))) {
    s = SQLITE_NOMEM;
    goto out;
  }
  double w_best = 0;
  for (size_t i = 0; i < h.cap; i++) {
    if (h.v[i].rowid == NO_ROW || h.v[i].w <= 0)
      continue;
    rows[nr++] = h.v[i];
    if (h.v[i].w > w_best)
      w_best = h.v[i].w;
  }
  if (!nr)
    goto out;
  for (size_t i = 0; i < nr; i++)
    rows[i].ub = rows[i].base + 0.75 * rows[i].w / w_best + 0.25 * rows[i].w / w_all;
  for (size_t i = nr / 2; i-- > 0;)
    hit_sift(rows, nr, i);

  best.cap = L < nr ? L : nr;
  if (!(best.v = malloc((best.cap ? best.cap : 1) * sizeof *best.v))) {
    s = SQLITE_NOMEM;
    goto out;
  }
  sqlite3_stmt *row = reg->st_row;
  for (size_t left = nr; left > 0;) {
    hit x = rows[0];
    rows[0] = rows[--left];
    hit_sift(rows, left, 0);
    if (best.n == best.cap && x.ub <= best.v[0]) {
      c->fts_trunc = true;
      c->fts_floor = x.ub;
      break;
    }
    double rel = 0.75 * x.w / w_best + 0.25 * x.w / w_all;
    sqlite3_bind_int64(row, 1, x.rowid);
    sqlite3_bind_double(row, 3, now);
    s = sqlite3_step(row);
    if (s == SQLITE_ROW && (!enabled_only || sqlite3_column_int(row, 9)) &&
        (!task || !strcmp((const char *)sqlite3_column_text(row, 1), task))) {
      bool added;
      s = cands_add(c, row, &added);
      if (added) {
        baton__model *m = &c->v[c->n - 1];
        m->relevance = rel;
        m->score = m->relevance + m->popularity + m->local_bonus + m->health;
        topk_push(&best, m->score);
      }
    }
    sqlite3_reset(row);
    sqlite3_clear_bindings(row);
    if (s == SQLITE_ROW || s == SQLITE_DONE)
      s = SQLITE_DONE;
    else
      goto out;
  }
out:
  free(ps);
  free(h.v);
  free(rows);
  free(best.v);
  free(keys);
  if (s == SQLITE_DONE)
    return 0;
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else
    db_err(reg->db, err, errlen, "model match failed");
  return -1;
}

/*
 * Collects candidates for one task with the registry locked: the full-text
 * part (rank_terms), then the task's models in order of base score
 * (popularity + local bonus, through an index) until L of them had no
 * health penalty. Anything not collected scores at most fts_floor (when
 * fts_trunc) or base_floor (when base_trunc), so a result whose last
 * accepted score is at least the floors is exact.
 */
static int collect(baton__registry *reg, const char *task, const qterms *tw, size_t L, double now,
                   cands *c, char *err, size_t errlen) {
  if (rank_terms(reg, task, tw, L, now, true, c, err, errlen))
    return -1;
  int s;
  sqlite3_stmt *st = reg->st_match_base;
  sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 3, now);
  size_t healthy = 0;
  c->base_trunc = false;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    bool added;
    if ((s = cands_add(c, st, &added)) != SQLITE_ROW)
      break;
    if (sqlite3_column_double(st, 8) >= 0.0 && ++healthy >= L) {
      c->base_trunc = true;
      c->base_floor = sqlite3_column_double(st, 7);
      s = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (s == SQLITE_DONE)
    return 0;
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else
    db_err(reg->db, err, errlen, "model match failed");
  return -1;
}

/* Ranks; then picks up to max accepted by ok (NULL accepts all) into out.
 * Sets *exact when
 * nothing outside the candidates could have ranked among those picked. */
static size_t pick(cands *c, baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                   bool *exact) {
  if (c->n > 1)
    qsort(c->v, c->n, sizeof *c->v, cmp_model);
  size_t got = 0;
  double last = 0;
  for (size_t i = 0; i < c->n && got < max; i++) {
    char why[256] = "";
    if (!ok || ok(ud, c->v[i].endpoint, why, sizeof why)) {
      last = c->v[i].score;
      out[got++] = c->v[i];
      memset(&c->v[i], 0, sizeof c->v[i]);
    }
  }
  if (got < max)
    *exact = !c->fts_trunc && !c->base_trunc;
  else
    *exact = (!c->fts_trunc || last >= c->fts_floor) && (!c->base_trunc || last >= c->base_floor);
  return got;
}

static int match_catalogue(baton__registry *reg, const char *task, const char *text,
                           baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                           size_t *n, char *err, size_t errlen) {
  if (n)
    *n = 0;
  if (!reg || !task || !n || (max && !out)) {
    baton__fmt(err, errlen, "bad arguments to match");
    return -1;
  }
  if (!max)
    return 0;
  qterms tw;
  query_terms(text, task, &tw);
  double now = baton__wall_s();
  /* Collect a few more than wanted; when the endpoint check rejects many
   * of them, or the floors show something better may be left out, widen. */
  size_t L = max * 4 < 16 ? 16 : max * 4;
  for (;;) {
    cands c;
    memset(&c, 0, sizeof c);
    /* The ok() callback never runs with the registry locked. One read
     * transaction: one snapshot for all the statements, one lock. */
    pthread_mutex_lock(&reg->lock);
    bool txn = sqlite3_get_autocommit(reg->db) && sqlite3_step(reg->st_begin) == SQLITE_DONE;
    sqlite3_reset(reg->st_begin);
    int rc = collect(reg, task, &tw, L, now, &c, err, errlen);
    if (txn) {
      sqlite3_step(reg->st_commit);
      sqlite3_reset(reg->st_commit);
    }
    pthread_mutex_unlock(&reg->lock);
    if (rc) {
      cands_release(&c);
      return -1;
    }
    bool exact = true;
    size_t got = pick(&c, ok, ud, out, max, &exact);
    cands_release(&c);
    if (exact || L >= ((size_t)1 << 30)) {
      *n = got;
      break;
    }
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    L *= 8;
  }
  return 0;
}

/* The models declared on configured servers first, then the catalogue's,
 * without those the step's wording rules out (capability.c). */
int baton__registry_match(baton__registry *reg, const char *task, const char *text,
                          baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                          size_t *n, char *err, size_t errlen) {
  if (n)
    *n = 0;
  if (!reg || !task || !n || (max && !out)) {
    baton__fmt(err, errlen, "bad arguments to match");
    return -1;
  }
  size_t got = max ? baton__registry_endpoint_candidates(reg, task, ok, ud, out, max) : 0;
  bool rule = baton__capability_needed(task, text) != NULL;
  size_t want = max - got + (rule ? 8 : 0), more = 0;
  baton__model *tmp = want ? calloc(want, sizeof *tmp) : NULL;
  if (want && !tmp) {
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  if (want && match_catalogue(reg, task, text, ok, ud, tmp, want, &more, err, errlen) != 0) {
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    free(tmp);
    return -1;
  }
  more = baton__capability_filter(reg, task, text, tmp, more);
  for (size_t i = 0; i < more; i++) {
    if (got < max)
      out[got++] = tmp[i];
    else
      baton__model_release(&tmp[i]);
  }
  free(tmp);
  *n = got;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Health                                                                   */

int baton__registry_health_record(baton__registry *reg, const char *model_id, bool ok,
                                  long latency_ms, const char *error) {
  if (!reg || !model_id || !*model_id)
    return -1;
  char msg[1024];
  baton__fmt(msg, sizeof msg, "%s", error ? error : "");
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_health_put;
  sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, ok ? 1 : 0);
  sqlite3_bind_int(st, 3, ok ? 0 : 1);
  sqlite3_bind_int64(st, 4, latency_ms < 0 ? 0 : latency_ms);
  if (!ok)
    sqlite3_bind_text(st, 5, msg[0] ? msg : "failed", -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 5);
  sqlite3_bind_double(st, 6, baton__wall_s());
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  return s == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* Explaining a choice                                                      */

static const char *main_reason(const baton__model *a, const baton__model *b) {
  double d[4] = {a->relevance - b->relevance, a->popularity - b->popularity,
                 a->health - b->health, a->local_bonus - b->local_bonus};
  const char *names[4] = {"relevance", "popularity", "health", "local bonus"};
  int best = 0;
  for (int i = 1; i < 4; i++)
    if (d[i] > d[best])
      best = i;
  return names[best];
}

cJSON *baton__registry_explain(baton__registry *reg, const char *task, const char *text,
                               baton__endpoint_ok_fn ok, void *ud, int limit, char *err,
                               size_t errlen) {
  if (!reg || !task) {
    baton__fmt(err, errlen, "bad arguments to explain");
    return NULL;
  }
  size_t max = limit > 0 ? (size_t)limit : 10;
  baton__model *all = calloc(max, sizeof *all);
  baton__model chosen;
  memset(&chosen, 0, sizeof chosen);
  size_t n = 0, nchosen = 0;
  cJSON *o = NULL;
  if (!all) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  if (baton__registry_match(reg, task, text, NULL, NULL, all, max, &n, err, errlen) ||
      baton__registry_match(reg, task, text, ok, ud, &chosen, 1, &nchosen, err, errlen))
    goto done;
  qterms tw;
  query_terms(text, task, &tw);

  o = cJSON_CreateObject();
  cJSON *tarr = cJSON_AddArrayToObject(o, "terms");
  cJSON_AddStringToObject(o, "task", task);
  cJSON_AddStringToObject(o, "text", text ? text : "");
  for (int i = 0; i < tw.n; i++)
    cJSON_AddItemToArray(tarr, cJSON_CreateString(tw.w[i]));
  cJSON *carr = cJSON_AddArrayToObject(o, "candidates");
  bool listed = false;
  const baton__model *runner_up = NULL;
  baton__sb skipped;
  baton__sb_init(&skipped);
  int n_skipped = 0;
  for (size_t i = 0; i <= n; i++) {
    const baton__model *m = i < n ? &all[i] : (nchosen && !listed ? &chosen : NULL);
    if (!m)
      break;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(carr, c);
    cJSON_AddNumberToObject(c, "rank", (double)(i + 1));
    cJSON_AddStringToObject(c, "id", m->id);
    cJSON_AddStringToObject(c, "endpoint", m->endpoint);
    cJSON_AddNumberToObject(c, "score", m->score);
    cJSON_AddNumberToObject(c, "relevance", m->relevance);
    cJSON_AddNumberToObject(c, "popularity", m->popularity);
    cJSON_AddNumberToObject(c, "health", m->health);
    cJSON_AddNumberToObject(c, "local_bonus", m->local_bonus);
    cJSON *mw = cJSON_AddArrayToObject(c, "matched");
    for (int k = 0; k < tw.n; k++)
      if (mentions(m->description, tw.w[k]) || mentions(m->id, tw.w[k]))
        cJSON_AddItemToArray(mw, cJSON_CreateString(tw.w[k]));
    char why[256] = "";
    bool avail = !ok || ok(ud, m->endpoint, why, sizeof why);
    cJSON_AddBoolToObject(c, "available", avail);
    if (avail)
      cJSON_AddNullToObject(c, "reason");
    else
      cJSON_AddStringToObject(c, "reason", why);
    bool is_chosen = nchosen && !strcmp(m->id, chosen.id);
    cJSON_AddBoolToObject(c, "chosen", is_chosen);
    if (is_chosen)
      listed = true;
    else if (avail && listed && !runner_up)
      runner_up = m;
    else if (!avail && !listed && n_skipped++ < 3)
      baton__sb_addf(&skipped, "%s%s (%s)", skipped.len ? "; " : "", m->id, why);
  }
  if (!nchosen) {
    cJSON_AddNullToObject(o, "chosen");
    cJSON_AddStringToObject(o, "why",
                            n ? "no model of this task can run here (see each reason)"
                              : "the registry has no enabled model for this task");
  } else {
    cJSON_AddStringToObject(o, "chosen", chosen.id);
    baton__sb w;
    baton__sb_init(&w);
    baton__sb_addf(&w,
                   "%s has the highest score among the models of %s that can run here: "
                   "%.3f = relevance %.3f + popularity %.3f + health %.3f + local bonus %.3f",
                   chosen.id, task, chosen.score, chosen.relevance, chosen.popularity,
                   chosen.health, chosen.local_bonus);
    int matched = 0;
    for (int k = 0; k < tw.n; k++)
      if (mentions(chosen.description, tw.w[k]) || mentions(chosen.id, tw.w[k]))
        baton__sb_addf(&w, "%s%s", matched++ ? ", " : "; its description matches: ", tw.w[k]);
    if (runner_up)
      baton__sb_addf(&w, ". It is ahead of %s (%.3f) mostly on %s", runner_up->id,
                     runner_up->score, main_reason(&chosen, runner_up));
    if (skipped.len)
      baton__sb_addf(&w, ". Ranked higher but cannot run here: %s", skipped.buf);
    if (n_skipped > 3)
      baton__sb_addf(&w, " and %d more", n_skipped - 3);
    baton__sb_addc(&w, '.');
    cJSON_AddStringToObject(o, "why", baton__sb_ok(&w) ? w.buf : "");
    baton__sb_release(&w);
  }
  baton__sb_release(&skipped);
done:
  for (size_t i = 0; i < n; i++)
    baton__model_release(&all[i]);
  free(all);
  baton__model_release(&chosen);
  return o;
}

int baton__registry_endpoint(baton__registry *reg, const char *id, char *out, size_t cap) {
  if (cap)
    out[0] = '\0';
  if (!reg || !id || !out || !cap)
    return -1;
  if (baton__registry_endpoint_model(reg, id, out, cap) == 0)
    return 0;
  int rc = -1;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_endpoint;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *ep = (const char *)sqlite3_column_text(st, 0);
    /* An endpoint that does not fit is refused rather than cut. */
    if (ep && strlen(ep) < cap) {
      baton__fmt(out, cap, "%s", ep);
      rc = 0;
    }
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Listing and searching                                                    */

/* Adds {id, task, description, endpoint, downloads, likes, tags, license,
 * enabled} from a list/search row. NULL on allocation failure. */
static cJSON *row_to_json(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  const char *names[] = {"id", "task", "description", "endpoint"};
  for (int i = 0; i < 4; i++) {
    const unsigned char *s = sqlite3_column_text(st, i);
    if (!cJSON_AddStringToObject(o, names[i], s ? (const char *)s : ""))
      goto oom;
  }
  if (!cJSON_AddNumberToObject(o, "downloads", (double)sqlite3_column_int64(st, 4)) ||
      !cJSON_AddNumberToObject(o, "likes", (double)sqlite3_column_int64(st, 5)))
    goto oom;
  cJSON *tags = cJSON_AddArrayToObject(o, "tags");
  if (!tags)
    goto oom;
  const char *t = (const char *)sqlite3_column_text(st, 6);
  while (t && *t) {
    const char *comma = strchr(t, ',');
    size_t len = comma ? (size_t)(comma - t) : strlen(t);
    char *one = baton__strndup(t, len);
    cJSON *item = one ? cJSON_CreateString(one) : NULL;
    free(one);
    if (!item)
      goto oom;
    cJSON_AddItemToArray(tags, item);
    t = comma ? comma + 1 : NULL;
  }
  const unsigned char *lic = sqlite3_column_text(st, 7);
  if (!(lic ? cJSON_AddStringToObject(o, "license", (const char *)lic)
            : cJSON_AddNullToObject(o, "license")))
    goto oom;
  if (!cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 8) != 0))
    goto oom;
  return o;
oom:
  cJSON_Delete(o);
  return NULL;
}

cJSON *baton__registry_list(baton__registry *reg, const char *task, int limit, char *err,
                            size_t errlen) {
  if (!reg) {
    baton__fmt(err, errlen, "not open");
    return NULL;
  }
  cJSON *arr = cJSON_CreateArray();
  if (!arr) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_list;
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 1);
  sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = row_to_json(st);
    if (!o) {
      s = SQLITE_NOMEM;
      break;
    }
    cJSON_AddItemToArray(arr, o);
  }
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else if (s != SQLITE_DONE)
    db_err(reg->db, err, errlen, "listing models failed");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  if (s != SQLITE_DONE) {
    cJSON_Delete(arr);
    return NULL;
  }
  baton__registry_endpoint_list(reg, task, NULL, arr);
  return arr;
}

typedef struct scored {
  cJSON *obj;
  double score;
  const char *id; /* borrowed from obj */
} scored;


cJSON *baton__registry_search(baton__registry *reg, const char *text, const char *task,
                              int limit, char *err, size_t errlen) {
  if (!reg) {
    baton__fmt(err, errlen, "not open");
    return NULL;
  }
  if (!text || !*text) {
    baton__fmt(err, errlen, "search needs some text to look for");
    return NULL;
  }
  qterms tw;
  /* Words of the task's name are left out as in a match, unless they are
   * all there is ("object detection" within object-detection). */
  if (!query_terms(text, task, &tw) && (!task || !query_terms(text, NULL, &tw))) {
    baton__fmt(err, errlen,
               "nothing to search for in \"%.64s\" (only letters and digits count, "
               "and common words are ignored)",
               text);
    return NULL;
  }
  cJSON *arr = cJSON_CreateArray();
  if (!arr) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  cands c;
  memset(&c, 0, sizeof c);
  size_t L = limit > 0 ? (size_t)limit : ((size_t)1 << 30);
  int rc = 0;
  pthread_mutex_lock(&reg->lock);
  bool txn = sqlite3_get_autocommit(reg->db) && sqlite3_step(reg->st_begin) == SQLITE_DONE;
  sqlite3_reset(reg->st_begin);
  if (rank_terms(reg, task, &tw, L, baton__wall_s(), false, &c, err, errlen)) {
    rc = -1;
  } else {
    if (c.n > 1)
      qsort(c.v, c.n, sizeof *c.v, cmp_model);
    sqlite3_stmt *st = reg->st_json;
    for (size_t i = 0; i < c.n && i < L && !rc; i++) {
      const baton__model *m = &c.v[i];
      sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
      int s = sqlite3_step(st);
      cJSON *o = s == SQLITE_ROW ? row_to_json(st) : NULL;
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      if (s != SQLITE_ROW) {
        db_err(reg->db, err, errlen, "model search failed");
        rc = -1;
      } else if (!o || !cJSON_AddNumberToObject(o, "score", m->score) ||
                 !cJSON_AddNumberToObject(o, "relevance", m->relevance) ||
                 !cJSON_AddNumberToObject(o, "popularity", m->popularity) ||
                 !cJSON_AddNumberToObject(o, "health", m->health) ||
                 !cJSON_AddNumberToObject(o, "local_bonus", m->local_bonus)) {
        cJSON_Delete(o);
        baton__fmt(err, errlen, "out of memory");
        rc = -1;
      } else {
        cJSON_AddItemToArray(arr, o);
      }
    }
  }
  if (txn) {
    sqlite3_step(reg->st_commit);
    sqlite3_reset(reg->st_commit);
  }
  pthread_mutex_unlock(&reg->lock);
  cands_release(&c);
  if (rc) {
    cJSON_Delete(arr);
    return NULL;
  }
  baton__registry_endpoint_list(reg, task, text, arr);
  return arr;
}
