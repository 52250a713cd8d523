/* taskgraph.h — the HuggingGPT task graph: parsing, validation, JSON form. */
#ifndef BATON_PLANNER_TASKGRAPH_H
#define BATON_PLANNER_TASKGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "registry/registry.h"

typedef struct cJSON cJSON;

/* One argument. Either a literal value, or a reference to the output of
 * task `ref` (written "<GENERATED>-ref" in the JSON). */
typedef struct baton__arg {
  char *name;   /* "text", "image", "audio", "video", or a parameter such as "tgt_lang" */
  char *value;  /* literal, or NULL when ref >= 0 */
  int ref;      /* -1 for a literal */
} baton__arg;

typedef struct baton__task {
  int id;
  char *task;          /* the pipeline tag */
  int *deps;           /* task ids; none for [-1] */
  size_t n_deps;
  baton__arg *args;
  size_t n_args;
  char *model;         /* chosen model id, or NULL until assigned */
  char **candidates;   /* further models to fall back on, or NULL */
  size_t n_candidates;
  char *choice;        /* why the model was chosen: a JSON object text
                          {model, score parts, candidates with theirs}, or NULL */
  char *words;         /* the words of the request this step was planned from (owned; the
                          offline planner's step), or NULL: then its model and mode are judged
                          on the whole request. "words" in the plan's JSON (at most
                          BATON__TASK_MAX_WORDS bytes there). */
  bool target_assumed; /* a translation whose request named no target language: the offline
                          planner gave it tgt_lang "en" (its default) and no src_lang; the
                          executor refuses a text already in English, asking for a target
                          ("tgt_lang" in the plan JSON's "assumed") */
  bool source_assumed; /* a translation whose request named no source language: the offline
                          planner gave it src_lang "en" (its default); the run identifies the
                          text's language with local/textcat and sends that instead, keeping
                          "en" when textcat is unsure or the text is short ("src_lang" in the
                          plan JSON's "assumed", so a resumed or given plan keeps it). The LLM
                          planner sets it on a translation it gave no src_lang (none is added:
                          the translator is sent none unless textcat names the language) */
} baton__task;

/* The most bytes of a step's words a plan's JSON carries (printing cuts longer ones at a
 * character's end; parsing refuses them): all that model choice reads of them. */
#define BATON__TASK_MAX_WORDS 4000

/* The most entries of a task's "assumed" a plan's JSON may hold. */
#define BATON__TASK_MAX_ASSUMED 8

typedef struct baton__graph {
  baton__task *tasks;
  size_t n;
} baton__graph;

/* Looks up a task kind; returns NULL when unknown. */
typedef const baton__taskspec *(*baton__task_lookup_fn)(void *ud, const char *name);

/*
 * Parses a task graph from JSON text (at most max_tasks tasks). Accepts the
 * HuggingGPT form: an array of {"task","id","dep","args"}. Fills g (release
 * with baton__graph_release even on failure). Returns 0, or -1 with a
 * readable message in err.
 */
int baton__graph_parse(const char *json, size_t len, int max_tasks, baton__graph *g,
                       char *err, size_t errlen);
/* The same from an already-parsed cJSON array (borrowed). */
int baton__graph_from_json(const cJSON *arr, int max_tasks, baton__graph *g,
                           char *err, size_t errlen);

/*
 * Validates a parsed graph: every task known (lookup), ids unique, every
 * dependency exists, no cycles, every <GENERATED>-k names a dependency,
 * each resource argument is one the task accepts and, for a reference, one
 * the referenced task produces. Returns 0 or -1 with a readable message.
 */
int baton__graph_validate(const baton__graph *g, baton__task_lookup_fn lookup, void *ud,
                          char *err, size_t errlen);

/* The most tasks a graph may have, whatever the configuration asks
 * (limits.tasks accepts up to this many). */
#define BATON__GRAPH_MAX_TASKS BATON__MAX_TASKS_LIMIT

/* Index of the task with that id, or -1 (a linear scan: for graphs being
 * built; a finished graph is searched through a baton__graph_index). */
int baton__graph_find(const baton__graph *g, int id);

/* A graph's id -> index map, built once the graph no longer changes. */
typedef struct baton__graph_slot {
  int id;
  size_t idx;
} baton__graph_slot;
typedef struct baton__graph_index {
  baton__graph_slot *slots; /* sorted by id, then index */
  size_t n;
} baton__graph_index;
/* Builds the map (0, or -1 when out of memory); release it even on failure. */
int baton__graph_index_build(const baton__graph *g, baton__graph_index *ix);
/* Index of the task with that id, or -1; O(log n). With duplicate ids, the
 * first task. */
int baton__graph_index_find(const baton__graph_index *ix, int id);
/* Whether two tasks share an id; *first < *second are the indices of the
 * pair whose second comes earliest. */
bool baton__graph_index_duplicate(const baton__graph_index *ix, size_t *first, size_t *second);
void baton__graph_index_release(baton__graph_index *ix);

/* The graph as the HuggingGPT JSON array, with "model" when assigned (and
 * "choice", "candidates" when known) and the step's "words" when planned offline,
 * as unformatted JSON text written directly, with no tree between (a 10,000-task
 * plan is megabytes). Caller frees. NULL on allocation failure. */
char *baton__graph_print(const baton__graph *g);
/* The same, parsed. Caller frees with cJSON_Delete. NULL on allocation
 * failure. */
cJSON *baton__graph_to_json(const baton__graph *g);
/* The graph in one line, as tests/planner/offline_cases.tsv writes plans:
 * "image-to-text(image=sign.png) summarization(text=<0>)" (<k>: the output
 * of task k; dependencies that are not references as "[deps 0 1]").
 * Malloc'd; NULL on allocation failure. */
char *baton__graph_brief(const baton__graph *g);

void baton__graph_release(baton__graph *g);
/* Appends a task (deep copies nothing: takes ownership of t's members). */
int baton__graph_push(baton__graph *g, baton__task *t);

/* The literal value of t's argument `name` (t may be NULL), or NULL. */
const char *baton__task_literal(const baton__task *t, const char *name);

/* Merges each task doing what an earlier one does (the same task kind on the same arguments, once
 * references are followed through earlier merges) into that one; ids become positions again. Only
 * for graphs whose ids are positions and whose tasks refer to earlier ones only (as the offline
 * planner builds them); any other, or no memory, is left as it is. */
void baton__graph_merge_same(baton__graph *g);
void baton__task_release(baton__task *t);
/* Adds dependency d to t unless it is there already; 0, or -1 out of memory. */
int baton__task_add_dep(baton__task *t, int d);
/* Adds argument `name`: a literal value, or the output of task ref >= 0 (a dependency too); 0, or
 * -1 out of memory (the argument counted even so: baton__task_release() frees it). */
int baton__task_add_arg(baton__task *t, const char *name, const char *value, int ref);

#endif
