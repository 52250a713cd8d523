/* internal.h — what the registry's source files share: the handle, writer connections, paced writes, model upserts. */
#ifndef BATON_REGISTRY_INTERNAL_H
#define BATON_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "registry/registry.h"

/* Only registry/ includes this header (it pulls in sqlite3.h). */

/* Milliseconds a handle's writes wait for the write lock (open, edits). */
#define BATON__BUSY_MS 5000
/* How often a waiting write tries the lock again (baton__busy_wait). */
#define BATON__BUSY_POLL_MS 2
/* Makes db's statements wait up to ms for a lock, trying it again every
 * BATON__BUSY_POLL_MS (pace.c says why); 0 or less: they do not wait. */
void baton__busy_wait(sqlite3 *db, int ms);

/*
 * A long write as short transactions with pauses between them (pace.c): an
 * import's rows, the full-text index's merge steps. Each transaction holds
 * the write lock about chunk_ms; after each commit the lock stays free for
 * a pause in which a writer waiting on it (baton__busy_wait) gets
 * it, then the next transaction starts, after that writer's if one came.
 * One thread at a time.
 */
#define BATON__PACE_PAUSE_MS 10
/* The WAL pages after which a commit checkpoints (SQLite's default, which baton keeps); paced
 * writes turn it off and checkpoint in their pauses, so that commit_ms is the commit alone. */
#define BATON__WAL_AUTOCHECKPOINT 1000
/* The chunk_ms of an import's or a sync's model writes. */
#define BATON__WRITE_CHUNK_MS 50.0
typedef struct baton__pace baton__pace;
/* Called in each pause with the lock free, p's commits and t0 those of the
 * transaction just committed; NULL in normal use (tests wait there to
 * order what they check, the import bench times the transactions). */
typedef void (*baton__pace_hook)(void *ud, const baton__pace *p);
struct baton__pace {
  double chunk_ms; /* set by the caller, with paused and ud */
  baton__pace_hook paused;
  void *ud;
  sqlite3 *db;      /* the rest is set by baton__pace_begin */
  const char *what; /* "the import": what error messages name */
  int64_t t0;       /* when the transaction in progress began (ms, baton__now_ms) */
  double owed_ms;   /* work the caller still has to do before it commits (ms; caller's) */
  long commits;     /* transactions committed */
  double commit_ms; /* how long the last COMMIT took (its WAL writes, a checkpoint) */
};
/* Starts the first transaction on db (BEGIN IMMEDIATE, waiting with db's
 * busy timeout). what is borrowed until the last call. 0, or -1 with err. */
int baton__pace_begin(baton__pace *p, sqlite3 *db, const char *what, char *err, size_t errlen);
/* Whether the transaction in progress has held the lock chunk_ms, with owed_ms still to come. */
bool baton__pace_due(const baton__pace *p);
/* Commits, calls paused, pauses, starts the next transaction. 0, or -1
 * with err (then either no transaction is open or the commit failed:
 * baton__pace_rollback()). */
int baton__pace_next(baton__pace *p, char *err, size_t errlen);
/* Commits the last transaction. 0, or -1 with err. */
int baton__pace_commit(baton__pace *p, char *err, size_t errlen);
/* Rolls back the transaction in progress, if one is. */
void baton__pace_rollback(baton__pace *p);

/* A bulk insert's full-text indexing (bulkindex.c): baton__bulk_begin() after each BEGIN marks
 * the transaction so that the insert trigger indexes nothing, baton__bulk_end() before its COMMIT
 * indexes the rows inserted since in one statement and removes the mark. inserted: the caller's
 * count of rows inserted so far, which the rows found must match. 0, or -1 with err. */
/* What indexing and committing a model is taken to cost before a transaction has measured it
 * (ms): about what it took on the import bench's models (0.015 + 0.035 ms). */
#define BATON__BULK_GUESS_MS 0.05
typedef struct baton__bulk {
  sqlite3_int64 lo;  /* the largest rowid when the transaction began */
  long inserted;     /* the caller's count then */
  double ms_per_row; /* what indexing and committing a row took in the last transaction */
} baton__bulk;
int baton__bulk_begin(sqlite3 *db, baton__bulk *b, long inserted, char *err, size_t errlen);
int baton__bulk_end(sqlite3 *db, baton__bulk *b, long inserted, char *err, size_t errlen);

/* One task outcome waiting to be written (health.c). */
typedef struct baton__health_rec {
  char *model_id;
  bool ok;
  long latency_ms;
  char *error; /* or NULL */
  double at;   /* wall-clock seconds */
} baton__health_rec;

struct baton__registry {
  sqlite3 *db;
  char *path;           /* the database file; writers open their own connection */
  pthread_mutex_t lock; /* serialises use of db and the cached statements */
  sqlite3_stmt *st_term_task; /* rowids of one glued word (models_mfts) */
  sqlite3_stmt *st_tasks_all; /* every task name in the database */
  sqlite3_stmt *st_begin, *st_commit; /* a read transaction around a match */
  sqlite3_stmt *st_task_bases; /* rowid, base, endpoint of a task's models (index only) */
  sqlite3_stmt *st_task_count; /* a task's models (task_counts) */
  sqlite3_stmt *st_row_base;   /* base, endpoint, task, enabled of one rowid */
  sqlite3_stmt *st_base_order; /* rowid, base of a task's enabled models by base (index only) */
  sqlite3_stmt *st_base_order_ep; /* the same for one endpoint */
  sqlite3_stmt *st_endpoint_next; /* a task's next enabled endpoint (index skip) */
  sqlite3_stmt *st_match_base_ep; /* a task's models of one endpoint by base */
  sqlite3_stmt *st_count_all;
  sqlite3_stmt *st_row;       /* one model by rowid, with its health part */
  sqlite3_stmt *st_json;      /* one model by id, as list/search show it */
  sqlite3_stmt *st_match_base;
  sqlite3_stmt *st_list;
  char hidden[64]; /* the endpoint whose models list and search leave out, or "" */
  sqlite3_stmt *st_endpoint;
  sqlite3_stmt *st_health_get;
  sqlite3_stmt *st_health_put;
  baton__health_rec *pending; /* outcomes kept while the write lock was taken */
  size_t n_pending;
  baton__taskspec *tasks; /* loaded at open, read-only afterwards */
  size_t n_tasks;
  /* An import or a sync through this handle calls this in each pause
   * between its transactions (baton__pace's paused); NULL unless a test or
   * bench sets it. */
  baton__pace_hook write_paused;
  void *write_paused_ud;
};

/* Score weights (documented in score.c). */
#define BATON__LOCAL_BONUS 0.1
#define BATON__RUNNABLE_BONUS 0.5 /* search only: see score.c */
#define BATON__KIND_WEIGHT 0.5    /* search only: see score.c */
/* The health part in SQL, for a query that LEFT JOINs health AS h and binds
 * the current time (seconds) to ?3: -1.5 * fail_rate / (1 + age / 3600),
 * as 0 minus the penalty so that no failure is 0, not -0. */
#define BATON__HEALTH_SQL                                                        \
  "coalesce(0.0 - 1.5 * h.fail_rate / (1.0 + max(0.0, ?3 - h.updated_at) / 3600.0), 0.0)"

/* popularity + local bonus: the part of the score that does not depend on
 * the request or on health. Stored in models.base. */
double baton__base_score(long long downloads, long long likes, const char *endpoint);
double baton__popularity(long long downloads, long long likes);
double baton__local_bonus(const char *endpoint);

/* Sets err to "what: <the connection's error>"; returns -1. */
int baton__db_err(sqlite3 *db, char *err, size_t errlen, const char *what);
/* How a run of sqlite3_step() ended: 0 at SQLITE_DONE, else -1 with err
 * ("out of memory", or what failed and SQLite's message). */
int baton__step_end(sqlite3 *db, int s, char *err, size_t errlen, const char *what);
/* Runs SQL; on failure sets err to "what: <reason>" and returns -1. */
int baton__exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what);
/* A malloc'd copy of column i ("" for NULL); NULL when out of memory. */
char *baton__col_dup(sqlite3_stmt *st, int i);

/* Brings the schema up to BATON__REGISTRY_SCHEMA, one step per
 * transaction (schema.c). 0 or -1 with err. */
int baton__schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
/* Seeds tasks and models from the catalogue when the database has no tasks,
 * and refreshes the task kinds of an older catalogue. 0 or -1 with err. */
int baton__schema_seed(sqlite3 *db, const char *catalogue, size_t len, char *err, size_t errlen);

/* Writes the kept task outcomes, waiting for the lock (at close), and
 * frees them. */
void baton__health_flush(baton__registry *reg);

/* Registers baton's SQL functions (baton_base(downloads, likes, endpoint))
 * on a connection. 0 or an SQLite code. */
int baton__sql_functions(sqlite3 *db);

/* Opens a second read-write connection to the registry file for a bulk
 * write (import, sync), so readers on the handle keep going (WAL). Sets the
 * pragmas and SQL functions. Close with sqlite3_close_v2. 0 or -1 with err. */
int baton__registry_writer(baton__registry *reg, sqlite3 **out, char *err, size_t errlen);

/* A set of strings (model ids seen during one import). */
typedef struct baton__strset {
  char **slot;
  size_t cap;  /* power of two */
  size_t n;
} baton__strset;
void baton__strset_init(baton__strset *s);
void baton__strset_release(baton__strset *s);
/* 1 when added, 0 when already there, -1 out of memory. */
int baton__strset_add(baton__strset *s, const char *key);
bool baton__strset_has(const baton__strset *s, const char *key);

/* One model as an importer hands it over; every pointer borrowed. */
typedef struct baton__model_row {
  const char *id;
  const char *task;
  const char *description; /* "" when none */
  const char *tags;        /* ','-joined, "" when none */
  const char *license;     /* or NULL */
  const char *endpoint;
  long long downloads;
  long long likes;
  int enabled;
} baton__model_row;
/* Reads the row st is on into r (pointers into st, valid until the next
 * step), its columns in the order id, task, description, tags, downloads,
 * likes, license, endpoint, enabled. */
void baton__model_row_read(sqlite3_stmt *st, baton__model_row *r);
/* Binds r's fields to ?1..?9 in that order (a NULL description or tags as
 * "", a NULL license as NULL, enabled as 0 or 1); r stays borrowed until
 * the statement is reset. */
void baton__model_row_bind(sqlite3_stmt *st, const baton__model_row *r);

/*
 * Inserts or updates models inside the caller's transaction.
 * mode BATON__UPSERT_REPLACE (imports): an existing row takes every field
 * and loses its "edited" mark. BATON__UPSERT_HUB (sync): an existing row
 * always takes downloads and likes; its text fields (description, tags,
 * license) change only when it came from the Hub and was not edited here.
 * A row whose fields are already equal is left alone (counted unchanged),
 * so a re-import rewrites nothing.
 */
typedef enum { BATON__UPSERT_REPLACE = 0, BATON__UPSERT_HUB = 1 } baton__upsert_mode;

typedef struct baton__upsert {
  sqlite3 *db;
  sqlite3_stmt *get, *ins, *upd, *upd_counts;
  sqlite3_stmt *stage; /* set by baton__upsert_stage(): rows go to temp.import_stage */
  baton__upsert_mode mode;
  const char *source; /* models.source for new/replaced rows: "catalogue", "import", "hub", "user" */
  double now;
  baton__strset seen;
  long inserted, updated, unchanged, kept_local;
} baton__upsert;

int baton__upsert_init(baton__upsert *u, sqlite3 *db, baton__upsert_mode mode,
                       const char *source, char *err, size_t errlen);
void baton__upsert_release(baton__upsert *u);
/* 0 done, 1 the id came twice in this import (nothing written), -1 with err. */
int baton__upsert_model(baton__upsert *u, const baton__model_row *r, char *err, size_t errlen);

/*
 * The cards (description, tags, license) of the catalogue's models as last seeded, so that a
 * newer catalogue refreshes those the user has not changed (cards.c). A card's fingerprint is
 * FNV-1a 64 of description '\x1f' tags '\x1f' license (NULL as ""), 16 hex digits; meta
 * "catalogue_cards" keeps one "id\tfingerprint" line per model, with a leading "\n".
 * Inside the caller's transaction; one thread.
 */
#define BATON__CARD_FP_LEN 16
#define BATON__CARD_ID_MAX 256 /* longer ids are neither recorded nor refreshed */
typedef struct baton__cards {
  sqlite3 *db;
  sqlite3_stmt *get, *upd;
  const char *seen; /* the recorded lines, or NULL: the registry kept none */
  baton__sb out;    /* the lines to record next */
  double now;
  long refreshed;   /* rows that took a new card */
} baton__cards;
/* seen (borrowed until release) is meta "catalogue_cards" or NULL. 0, or -1 with err (then c
 * is released). */
int baton__cards_init(baton__cards *c, sqlite3 *db, const char *seen, char *err, size_t errlen);
/* One model of the catalogue being seeded (r borrowed; id, description, tags and license read).
 * When db has it with the card recorded for it (the user did not change it) and r's card
 * differs, the row takes r's description, tags and license (nothing else); with no record at
 * all (seen NULL), so does a row the user never touched (source 'catalogue', not edited).
 * Records r's card. 0, or -1 with err. */
int baton__cards_visit(baton__cards *c, const baton__model_row *r, char *err, size_t errlen);
/* The lines to record (caller frees), leaving none; NULL when out of memory. */
char *baton__cards_detach(baton__cards *c);
void baton__cards_release(baton__cards *c);

/* Makes baton__upsert_model() keep rows in a staging table on the
 * connection's temp database (no lock on the registry) after its checks,
 * for baton__upsert_merge() to write later. 0 or -1 with err. */
int baton__upsert_stage(baton__upsert *u, char *err, size_t errlen);
/* Writes the staged rows into models in paced transactions (pace's
 * chunk_ms and hook; outside any transaction of the caller's), so that
 * other writers wait at most about one of them. 0, or -1 with err: the
 * transactions before stay. */
int baton__upsert_merge(baton__upsert *u, baton__pace *pace, char *err, size_t errlen);

/* Segments (b-trees) in the full-text index models_mfts, or -1. */
int baton__fts_segments(sqlite3 *db);
/* When the full-text index has more than a few segments (each commit that
 * adds models makes one), merges them into one in short transactions with
 * pauses between them for other writers (registry/ftsmerge.c). 0, or -1
 * with err. */
int baton__fts_merge(sqlite3 *db, char *err, size_t errlen);
/* baton__fts_merge() after an import or sync that has committed: the rows
 * are stored whatever happens, so a failed merge is not a failed import but
 * the report's "index_merge" (the error); reads stay correct, only slower. */
void baton__fts_merge_into_report(sqlite3 *db, cJSON *report);

/* Inserts or updates one task (same "unchanged" rule). 0 or -1 with err. */
int baton__upsert_task(sqlite3 *db, const char *name, const char *description, const char *inputs,
                       const char *outputs, const char *keywords, const char *params, char *err,
                       size_t errlen);

/* true for "local:<name>", "hf-inference", "llm", http(s) URLs. */
bool baton__endpoint_valid(const char *e);
/* Whether a model id has the Hub's syntax: name or owner/name, each of
 * letters, digits, '-', '_' and '.' (starting with a letter or digit, no
 * ".."), so never a NUL, a path or bytes that are not UTF-8. */
bool baton__model_id_valid(const char *id);

/* Cleans model-card text into prose (see import.c). Caller frees. NULL on OOM. */
char *baton__clean_description(const char *md, size_t max_out);

/* Extended catalogue import used by `models import --format yaml`: label
 * prefixes messages ("FILE:LINE: ..."; NULL: "catalogue line N: ..."), u
 * receives the models. Caller owns the transaction. */
int baton__catalogue_import_ex(sqlite3 *db, const char *yaml, size_t len, const char *label,
                               baton__upsert *u, long *tasks_added, char *err, size_t errlen);

/* Fills a model row from a Hub /api/models item (borrowed; row members
 * point into it, desc and tags). The description is cardData.description
 * cleaned, else a sentence made from the id, task, library, datasets and
 * language. Returns 0, 1 when the item has no pipeline tag (row->task
 * NULL: skip it), or -1 with why set. */
int baton__hub_item(const cJSON *it, baton__model_row *row, baton__sb *desc, baton__sb *tags,
                    char *why, size_t whylen);

/* Drops (and releases) the models that cannot do the step; returns how
 * many are kept, in order, at the front of m. */
size_t baton__capability_filter(baton__registry *reg, const char *task, const char *text,
                                baton__model *m, size_t n);

#endif
