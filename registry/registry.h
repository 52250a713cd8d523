/* registry.h — the SQLite model registry: tasks, models, FTS5 matching, seeding. */
#ifndef BATON_REGISTRY_H
#define BATON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

/* Current schema version (PRAGMA user_version). */
#define BATON__REGISTRY_SCHEMA 1

/* One task kind (a Hugging Face pipeline tag). */
typedef struct baton__taskspec {
  char *name;         /* "image-to-text" */
  char *description;  /* one line */
  unsigned inputs;    /* BATON__T_* bits the task accepts */
  unsigned outputs;   /* BATON__T_* bits it produces */
  char *keywords;     /* space-separated words and phrases used by the
                         offline planner, '|' separating phrases; may be "" */
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
 * and returns at most max of them, best first, skipping those whose
 * endpoint ok() rejects (ok may be NULL: accept all). *n receives the count.
 * out[i] members are malloc'd: free with baton__model_release().
 * Returns 0, or -1 with err set.
 */
int baton__registry_match(baton__registry *reg, const char *task, const char *text,
                          baton__endpoint_ok_fn ok, void *ud, baton__model *out,
                          size_t max, size_t *n, char *err, size_t errlen);
void baton__model_release(baton__model *m);

/* JSON array of models ({id, task, description, endpoint, downloads, likes}),
 * optionally for one task, at most limit (<= 0: all). Caller frees with
 * cJSON_Delete. NULL on error with err set. */
cJSON *baton__registry_list(baton__registry *reg, const char *task, int limit,
                            char *err, size_t errlen);
/* Full-text search over id, description and tags; each item also carries
 * score, relevance and popularity. NULL on error with err set. */
cJSON *baton__registry_search(baton__registry *reg, const char *text, const char *task,
                              int limit, char *err, size_t errlen);

#endif
