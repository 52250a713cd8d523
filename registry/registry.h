/* registry.h — the SQLite model registry: tasks, models, FTS5 matching, seeding. */
#ifndef BATON_REGISTRY_H
#define BATON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

/* Current schema version (PRAGMA user_version). */
#define BATON__REGISTRY_SCHEMA 10

/* One task kind (a Hugging Face pipeline tag). */
typedef struct baton__taskspec {
  char *name;         /* "image-to-text" */
  char *description;  /* one line */
  unsigned inputs;    /* BATON__T_* bits the task accepts */
  unsigned outputs;   /* BATON__T_* bits it produces */
  char *keywords;     /* cue phrases used by the offline planner, joined
                         with '|' ("read|text on|ocr"); a phrase may contain
                         spaces but never '|'; may be "" */
  char *params;       /* the plain parameters it takes besides its resources,
                         joined with ',' ("instruction", "src_lang,tgt_lang");
                         may be "" */
} baton__taskspec;

/* One model as the matcher returns it. */
typedef struct baton__model {
  char *id;           /* "local/tesseract", "facebook/detr-resnet-50" */
  char *task;
  char *description;
  char *endpoint;     /* "local:<executor>", "hf-inference", "llm" or a URL */
  long long downloads;
  long long likes;
  double score;       /* higher is better */
  double relevance;   /* the text-match part of the score */
  double popularity;  /* the popularity part of the score */
  double health;      /* the health part (<= 0: recent failures push down) */
  double local_bonus; /* the bonus for local executors */
  double kind_bonus;  /* search only: its task kind names the words (score.c) */
  double runnable_bonus; /* search only: it can run here now (score.c) */
  bool available;     /* search only: enabled, and its endpoint can run here now */
} baton__model;

typedef struct baton__registry baton__registry;

/* Tells whether an endpoint can run now; why receives the reason when not.
 * Used to exclude what cannot run. */
typedef bool (*baton__endpoint_ok_fn)(void *ud, const char *endpoint, char *why,
                                      size_t whylen);

/*
 * Opens (creating if needed) the registry database at path, migrates its
 * schema, and seeds it from the YAML catalogue (catalogue/len) when it has
 * no tasks yet. Returns 0 or -1 with err set. *out is set only on success.
 * The handle is safe to use from several threads (calls are serialised).
 */
int baton__registry_open(const char *path, const char *catalogue, size_t len,
                         baton__registry **out, char *err, size_t errlen);
void baton__registry_close(baton__registry *reg);

/* The known tasks, loaded at open. Borrowed for the handle's lifetime. */
const baton__taskspec *baton__registry_tasks(const baton__registry *reg, size_t *n);
/* The task of that name, or NULL. Borrowed. */
const baton__taskspec *baton__registry_task(const baton__registry *reg, const char *name);

/*
 * Ranks the models of `task` against `text` (the step text; may be NULL)
 * and returns at most max of them, best first, skipping disabled models and
 * those whose endpoint ok() rejects (ok may be NULL: accept all); ok() is
 * never called with the registry locked. The ranking is exact: score =
 * relevance + popularity + local_bonus + health (score.c documents each
 * part; the words of the task's own name are not searched). The models
 * after the first are the runtime's fallbacks. *n receives the count.
 * out[i] members are malloc'd: free with baton__model_release().
 * Returns 0, or -1 with err set.
 */
int baton__registry_match(baton__registry *reg, const char *task, const char *text,
                          baton__endpoint_ok_fn ok, void *ud, baton__model *out,
                          size_t max, size_t *n, char *err, size_t errlen);
void baton__model_release(baton__model *m);

/* Copies the endpoint of model `id` into out. Returns 0, or -1 when the
 * model is unknown (or disabled). */
int baton__registry_endpoint(baton__registry *reg, const char *id, char *out, size_t cap);

/* JSON array of models ({id, task, description, endpoint, downloads, likes}),
 * optionally for one task, at most limit (<= 0: all). Caller frees with
 * cJSON_Delete. NULL on error with err set. */
cJSON *baton__registry_list(baton__registry *reg, const char *task, int limit,
                            char *err, size_t errlen);
/* Leaves the models of endpoint ("local:debug" while the debug executors are off) out of
 * baton__registry_list() and baton__registry_search() from now on; NULL shows them again.
 * Matching a step to a model is not changed. Call before other threads use the handle. */
void baton__registry_hide_endpoint(baton__registry *reg, const char *endpoint);
/* Full-text search over id, description and tags (of one task, or all when
 * task is NULL), best first, at most limit (<= 0: all); disabled models are
 * included (see "enabled"). Each item also carries score, relevance,
 * popularity, health, local_bonus and kind_bonus (the parts of its score, see
 * score.c: kind_bonus ranks the models whose task kind names the words
 * first). NULL on error with err set. */
cJSON *baton__registry_search(baton__registry *reg, const char *text, const char *task,
                              int limit, char *err, size_t errlen);
/* baton__registry_search() for a user of this machine: each item also says whether it can run
 * here now, "available" (enabled, and ok() accepts its endpoint; ok() is never called with the
 * registry locked) with the "reason" when not, and those that can get "runnable_bonus"
 * (BATON__RUNNABLE_BONUS, score.c) in their score: at equal relevance a model that runs here
 * ranks above one that cannot, however popular. ok NULL: as baton__registry_search(). */
cJSON *baton__registry_search_here(baton__registry *reg, const char *text, const char *task,
                                   int limit, baton__endpoint_ok_fn ok, void *ud, char *err,
                                   size_t errlen);
/* Whether text holds a word that baton__registry_search() looks for (any
 * text may be given: it is searched as words, never as FTS5 syntax); when
 * not, why says so. */
bool baton__registry_searchable(const char *text, const char *task, char *why, size_t cap);

/* ---------------------------------------------------------------------- */
/* Health, import/export, editing, Hub sync (schema 2)                       */

/*
 * Records the outcome of one task on a model: ok, its latency and, when it
 * failed, the error text (borrowed; may be NULL). Updates successes/failures,
 * an exponentially weighted failure rate (alpha 0.5) and latency (alpha
 * 0.3), last_error and its time. The match score's health part is
 *   -1.5 * fail_rate / (1 + seconds_since_last_attempt / 3600)
 * so recent failures push a model down and the push fades within hours.
 * Unknown model ids are recorded too (a model may come from --model).
 * Never waits for the write lock: while another connection (an import)
 * holds it, the outcome is kept in memory (at most 1,024) and written, in
 * order, by a later call or at close.
 * Returns 0, or -1 when the database could not be written (the caller may
 * ignore it: health is advisory). Thread-safe.
 */
int baton__registry_health_record(baton__registry *reg, const char *model_id, bool ok,
                                  long latency_ms, const char *error);

/*
 * Imports a catalogue file. format: "yaml" (registry/catalogue.yaml's
 * format), "hugginggpt" (HuggingGPT's p0_models.jsonl: one JSON object a
 * line; also reads baton's own JSONL export; "jsonl" is an alias) or "hub"
 * (a JSON array of Hub /api/models items, or one item a line). NULL: guessed
 * from the extension (.yaml/.yml, .jsonl, .json).
 * On a separate connection, so readers of the handle keep working. Every
 * entry is read and checked before anything is written: a bad entry fails
 * the whole import with "FILE:LINE: reason" in err and nothing written.
 * YAML is then written in one transaction; "hugginggpt" and "hub" records
 * are staged (in the connection's temp database, no lock held) and written
 * in transactions of about 50 ms each with a 30 ms pause after each, so
 * other writers wait at most about one of them and readers see the import
 * grow transaction by transaction (each match reads one snapshot). Should
 * writing fail midway (disk full), the transactions written stay;
 * importing the file again completes it. Idempotent: importing the
 * same file again changes nothing. Models of a task the registry does not
 * know are skipped (hugginggpt, hub) and counted; in YAML they are an error.
 * Tasks added by an import are seen by baton__registry_tasks() only after
 * the registry is opened again.
 * *report receives {"format","inserted","updated","unchanged","skipped",
 * "skipped_tasks":{task:n},"tasks_added","models"} (caller cJSON_Deletes).
 * Returns 0 or -1 with err. Thread-safe.
 */
int baton__registry_import(baton__registry *reg, const char *path, const char *format,
                           cJSON **report, char *err, size_t errlen);
/* The same for text in memory (borrowed); label names it in messages. */
int baton__registry_import_text(baton__registry *reg, const char *label, const char *text,
                                size_t len, const char *format, cJSON **report, char *err,
                                size_t errlen);

/*
 * Exports the models (of one task, or all when task is NULL) as "yaml"
 * (importable by the yaml importer, with the tasks they use) or "jsonl"
 * (one object a line, importable with format hugginggpt). Returns a
 * malloc'd string (caller frees) or NULL with err set.
 */
char *baton__registry_export(baton__registry *reg, const char *format, const char *task,
                             char *err, size_t errlen);

/* Result of the editing calls that can miss. */
#define BATON__REG_NOTFOUND (-2)

/*
 * Adds or edits one model from a JSON object {id, task, endpoint,
 * description?, tags?: [..] or "a,b", downloads?, likes?, license?,
 * enabled?} (borrowed). For an existing id, only the members given change;
 * the model is then marked as edited here, so Hub sync keeps the edit.
 * *created tells which happened (may be NULL). 0, or -1 with err.
 */
int baton__registry_add(baton__registry *reg, const cJSON *model, bool *created, char *err,
                        size_t errlen);
/* Removes a model and its health record. 0, BATON__REG_NOTFOUND, or -1. */
int baton__registry_remove(baton__registry *reg, const char *id, char *err, size_t errlen);
/* One model with its health as a JSON object (caller cJSON_Deletes);
 * NULL with *notfound true for an unknown id, or NULL with err set. */
cJSON *baton__registry_show(baton__registry *reg, const char *id, bool *notfound, char *err,
                            size_t errlen);

/*
 * Explains a choice: ranks the models of `task` for `text` as the matcher
 * does (all of them, up to limit, unavailable ones included and marked with
 * the reason ok() gives) and says why the first available one wins.
 * Returns {"task","text","terms":[...],"chosen":id|null,"why":"...",
 * "candidates":[{id, endpoint, score, relevance, popularity, health,
 * local_bonus, matched:[words], available, reason}]}. Caller cJSON_Deletes.
 * NULL with err set on error.
 */
cJSON *baton__registry_explain(baton__registry *reg, const char *task, const char *text,
                               baton__endpoint_ok_fn ok, void *ud, int limit, char *err,
                               size_t errlen);

/* One HTTP GET as the Hub sync needs it (filled by the fetcher). */
typedef struct baton__hub_page {
  int status;          /* HTTP status; 0 when the request failed */
  char *body;          /* malloc'd, NUL-terminated, or NULL */
  size_t len;
  char *link;          /* the Link header, malloc'd, or NULL */
  double retry_after;  /* seconds from Retry-After or RateLimit t=, or -1 */
  char err[256];       /* transport error text when status is 0 */
} baton__hub_page;
void baton__hub_page_release(baton__hub_page *p);

/* Fetches url (borrowed) with "Authorization: Bearer token" when token is
 * not NULL; fills *page. Returns 0 (any HTTP status) or -1 (transport
 * failure, page->err set). */
typedef int (*baton__hub_fetch_fn)(void *ud, const char *url, const char *token,
                                   baton__hub_page *page);

typedef struct baton__sync_opts {
  const char *base_url;   /* "https://huggingface.co" (no trailing slash needed) */
  const char *token;      /* or NULL */
  const char *task;       /* pipeline tag, required, must be a known task */
  int limit;              /* models wanted, 1..100000 */
  long max_wait_ms;       /* cap on one rate-limit/backoff wait (<= 0: 60000) */
  int max_retries;        /* per page (<= 0: 5) */
  baton__hub_fetch_fn fetch;
  void *fetch_ud;
} baton__sync_opts;

/*
 * Pages through {base}/api/models?pipeline_tag=T&sort=downloads&direction=-1
 * &limit=min(N,100)&expand[]=... following Link rel="next" until N models,
 * retrying 429 (waiting Retry-After or the RateLimit t=, capped) and 5xx
 * (backoff 1, 2, 4... s, capped) up to max_retries times per page; then
 * upserts everything, keeping local edits (see BATON__UPSERT_HUB), in
 * transactions of about 50 ms with pauses for other writers, as an import.
 * *report receives {"task","fetched","inserted","updated","unchanged",
 * "kept_local","skipped","pages","retries"}. 0, or -1 with err: nothing
 * written when the Hub failed; the transactions before when writing
 * failed midway. Thread-safe.
 */
int baton__registry_sync(baton__registry *reg, const baton__sync_opts *o, cJSON **report,
                         char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* Model servers (schema 5): the models declared under `endpoints:` and     */
/* each server's health, visible to every process using the registry.      */

/* What a step needs beyond its task kind (capability.c): the need in words
 * ("a captioning model (OCR only reads text)") when the step's text rules
 * some models out (describing a picture rules out OCR, reading the words on it a
 * captioner), else NULL. */
const char *baton__capability_needed(const char *task, const char *text);
/* The "mode" argument such a step asks the task for ("describe" a picture, or "read" the words
 * on it: image-to-text), else NULL when its text says neither. */
const char *baton__capability_mode(const char *task, const char *text);

/* Score of a model declared on a configured model server: the user said it
 * does the task, so it ranks ahead of catalogue models. */
#define BATON__ENDPOINT_BONUS 2.0

/*
 * Replaces the endpoint models with models, a JSON array of
 * {"id", "tasks":[...], "endpoints":"a,b"} (the endpoints serving the id,
 * comma-joined). Their registry endpoint is "openai:a,b". Writes nothing
 * when the table already holds exactly these. 0 or -1 with err.
 */
int baton__registry_set_endpoint_models(baton__registry *reg, const cJSON *models, char *err,
                                        size_t errlen);
/* "openai:a,b" for an endpoint model id into out; -1 when id is none. */
int baton__registry_endpoint_model(baton__registry *reg, const char *id, char *out, size_t cap);
/* The endpoint models of task that ok() accepts, at most max, into out
 * (free each with baton__model_release()); returns how many. */
size_t baton__registry_endpoint_candidates(baton__registry *reg, const char *task,
                                           baton__endpoint_ok_fn ok, void *ud, baton__model *out,
                                           size_t max);
/* Inserts at the front of `into` one listing item per endpoint model and
 * task (of task, and whose id or task contains text, when given): {id,
 * task, description, endpoint, downloads, likes, source:"endpoint", score}.
 * Returns how many, or -1. */
int baton__registry_endpoint_list(baton__registry *reg, const char *task, const char *text,
                                  cJSON *into);
/* An endpoint model as `models show` gives it, with "tasks" and
 * "endpoints" arrays; NULL when id is not one. */
cJSON *baton__registry_endpoint_show(baton__registry *reg, const char *id);

/* One server's health as the replica pool last saw it (strings borrowed). */
typedef struct baton__endpoint_state {
  const char *name;
  bool up;
  int consecutive_failures;
  long long requests, failures;
  const char *last_error;      /* or NULL */
  double last_error_at, last_ok_at, retry_at; /* wall-clock seconds, 0 = none */
  double held_until;           /* no request before (wall-clock seconds); 0 = not held off */
  const char *held_reason;     /* why ("429"), or NULL */
  int held_count;              /* 429s in a row */
  bool answered;               /* the change was a good answer: any hold-off is over */
} baton__endpoint_state;

/* Records a server's health (another process reads it with the next
 * call). Never waits for the write lock: while an import holds it, this
 * state is not recorded. 0 or -1. */
int baton__registry_endpoint_health_put(baton__registry *reg, const baton__endpoint_state *h);
/* {up, consecutive_failures, requests, failures, last_error?, last_error_at?,
 * last_ok_at?, retry_at?, held_until?, held_reason?, updated_at} of a server, or NULL when
 * never recorded. */
cJSON *baton__registry_endpoint_health(baton__registry *reg, const char *name);
/* The hold-off recorded for a server, by any process: *until (wall-clock seconds; 0 when none
 * was recorded or a good answer ended it), *count (429s in a row) and its reason into
 * reason[cap]. 0, or -1 when the store cannot be read (then *until is 0). A hold-off is only
 * ever lengthened by a put, and ended by a put with answered. */
int baton__registry_endpoint_hold(baton__registry *reg, const char *name, double *until,
                                  int *count, char *reason, size_t cap);
/* The down state recorded for a server, by any process: *retry_at (wall-clock seconds before
 * which no request should go; 0 when it was not recorded down), *fails (failures in a row) and
 * the last error into last_error[cap]. 0, or -1 when the store cannot be read (then *retry_at
 * is 0). Each failure a process sees records its count and retry_at; a good answer ends it. */
int baton__registry_endpoint_down(baton__registry *reg, const char *name, double *retry_at,
                                  int *fails, char *last_error, size_t cap);

#endif
