/* taskgraph.c — parses, checks and prints the HuggingGPT task graph (tasks, deps, <GENERATED>-k). */
#include "planner/taskgraph.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Used when the caller passes max_tasks <= 0. */
#define GRAPH_DEFAULT_MAX_TASKS 64
/* Longest task name we accept (pipeline tags are short). */
#define GRAPH_MAX_NAME 128
/* The reference prefix a planner writes for "output of task k". */
#define GEN_PREFIX "<GENERATED>-"

/* ---- small helpers ------------------------------------------------------ */

void baton__task_release(baton__task *t) {
  if (!t)
    return;
  free(t->task);
  free(t->deps);
  for (size_t i = 0; i < t->n_args; i++) {
    free(t->args[i].name);
    free(t->args[i].value);
  }
  free(t->args);
  free(t->model);
  for (size_t i = 0; i < t->n_candidates; i++)
    free(t->candidates[i]);
  free(t->candidates);
  free(t->choice);
  free(t->words);
  memset(t, 0, sizeof *t);
}

void baton__graph_release(baton__graph *g) {
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++)
    baton__task_release(&g->tasks[i]);
  free(g->tasks);
  g->tasks = NULL;
  g->n = 0;
}

/* Room for n tasks as push() allocates it: powers of two from 4, so n
 * pushes copy O(n) tasks in all. Only push() allocates g->tasks, and a
 * graph that shrank has at least this much. */
static size_t room_for(size_t n) {
  size_t cap = 4;
  while (cap < n)
    cap *= 2;
  return n ? cap : 0;
}

int baton__graph_push(baton__graph *g, baton__task *t) {
  if (!g || !t)
    return -1;
  if (g->n + 1 > room_for(g->n)) {
    baton__task *nt = realloc(g->tasks, room_for(g->n + 1) * sizeof *nt);
    if (!nt)
      return -1;
    g->tasks = nt;
  }
  g->tasks[g->n++] = *t;
  memset(t, 0, sizeof *t);
  return 0;
}

/* Do two tasks do the same work: one task kind on the same arguments, in the same order? */
static bool same_work(const baton__task *a, const baton__task *b) {
  if (strcmp(a->task, b->task) != 0 || a->n_args != b->n_args)
    return false;
  for (size_t i = 0; i < a->n_args; i++) {
    const baton__arg *x = &a->args[i], *y = &b->args[i];
    if (strcmp(x->name, y->name) != 0 || x->ref != y->ref ||
        (x->ref < 0 && strcmp(x->value, y->value) != 0))
      return false;
  }
  return true;
}

const char *baton__task_literal(const baton__task *t, const char *name) {
  for (size_t i = 0; t && i < t->n_args; i++)
    if (t->args[i].ref < 0 && strcmp(t->args[i].name, name) == 0)
      return t->args[i].value;
  return NULL;
}

/* Are the task's references and dependencies all to tasks before it, ids being positions? */
static bool refers_back(const baton__task *t, size_t at) {
  bool back = t->id == (int)at;
  for (size_t k = 0; k < t->n_args; k++)
    back = back && t->args[k].ref < (int)at;
  for (size_t k = 0; k < t->n_deps; k++)
    back = back && t->deps[k] >= 0 && t->deps[k] < (int)at;
  return back;
}

/* Task t's references and dependencies through map (old id -> new), each dependency once. */
static void renumber(baton__task *t, const int *map) {
  size_t n = 0;
  for (size_t k = 0; k < t->n_args; k++)
    t->args[k].ref = t->args[k].ref >= 0 ? map[t->args[k].ref] : -1;
  for (size_t k = 0; k < t->n_deps; k++) {
    int d = map[t->deps[k]];
    bool seen = false;
    for (size_t j = 0; j < n && !seen; j++)
      seen = t->deps[j] == d;
    if (!seen)
      t->deps[n++] = d;
  }
  t->n_deps = n;
}

void baton__graph_merge_same(baton__graph *g) {
  bool ordered = g != NULL;
  for (size_t i = 0; ordered && i < g->n; i++)
    ordered = refers_back(&g->tasks[i], i);
  int *map = ordered && g->n ? malloc(g->n * sizeof *map) : NULL;
  if (!map)
    return;
  size_t w = 0;
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    renumber(t, map);
    int same = -1;
    for (size_t k = 0; k < w && same < 0; k++)
      same = same_work(&g->tasks[k], t) ? (int)k : -1;
    if (same >= 0) {
      map[i] = same;
      baton__task_release(t);
      continue;
    }
    t->id = (int)w, map[i] = (int)w;
    g->tasks[w++] = *t;
  }
  g->n = w;
  free(map);
}

int baton__graph_find(const baton__graph *g, int id) {
  if (!g)
    return -1;
  for (size_t i = 0; i < g->n; i++)
    if (g->tasks[i].id == id)
      return (int)i;
  return -1;
}

/* "Text To_Speech " -> "text-to-speech": lower case, runs of space, '_' and
 * '-' become one '-', no leading/trailing '-'. NULL on OOM. */
static char *normalise_task_name(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  bool pending_dash = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '\n' || c == '\r') {
      pending_dash = o > 0;
      continue;
    }
    if (pending_dash)
      out[o++] = '-';
    pending_dash = false;
    out[o++] = baton__ascii_lower((char)c);
  }
  out[o] = '\0';
  return out;
}

/* Describes a task for messages: "task 3" when the id is known, else
 * "the task at index 3". */
static void task_label(char *out, size_t cap, size_t index, bool have_id, int id) {
  if (have_id)
    baton__fmt(out, cap, "task %d", id);
  else
    baton__fmt(out, cap, "the task at index %zu", index);
}

/* Reads an integral JSON number that fits an int. */
static bool json_int(const cJSON *item, int *out) {
  if (!cJSON_IsNumber(item))
    return false;
  double d = item->valuedouble;
  if (!isfinite(d) || d != floor(d) || d < -2147483648.0 || d > 2147483647.0)
    return false;
  *out = (int)d;
  return true;
}

/* Describes a JSON value's kind for messages ("a number", "an array"...). */
static const char *json_kind(const cJSON *item) {
  if (!item)
    return "nothing";
  if (cJSON_IsString(item))
    return "a string";
  if (cJSON_IsNumber(item))
    return "a number";
  if (cJSON_IsBool(item))
    return "a boolean";
  if (cJSON_IsNull(item))
    return "null";
  if (cJSON_IsArray(item))
    return "an array";
  if (cJSON_IsObject(item))
    return "an object";
  return "an invalid value";
}

/* Classifies an argument value: 1 with *ref set for "<GENERATED>-k",
 * 0 for a plain literal, -1 for something that looks like a reference but
 * is malformed ("<GENERATED-0>", "<GENERATED>-x"). */
static int parse_reference(const char *v, int *ref) {
  size_t plen = strlen(GEN_PREFIX);
  if (strncmp(v, GEN_PREFIX, plen) == 0) {
    const char *p = v + plen;
    if (*p < '0' || *p > '9')
      return -1;
    long k = 0;
    while (*p >= '0' && *p <= '9') {
      k = k * 10 + (*p - '0');
      if (k > 1000000)
        return -1;
      p++;
    }
    if (*p != '\0')
      return -1;
    *ref = (int)k;
    return 1;
  }
  if (strncmp(v, "<GENERATED", strlen("<GENERATED")) == 0)
    return -1;
  return 0;
}

/* ---- parsing ------------------------------------------------------------ */

int baton__task_add_dep(baton__task *t, int d) {
  for (size_t i = 0; i < t->n_deps; i++)
    if (t->deps[i] == d)
      return 0;
  int *nd = realloc(t->deps, (t->n_deps + 1) * sizeof *nd);
  if (!nd)
    return -1;
  t->deps = nd;
  t->deps[t->n_deps++] = d;
  return 0;
}

int baton__task_add_arg(baton__task *t, const char *name, const char *value, int ref) {
  baton__arg *a = realloc(t->args, (t->n_args + 1) * sizeof *a);
  if (!a)
    return -1;
  t->args = a;
  a = &t->args[t->n_args++];
  *a = (baton__arg){baton__strdup(name), ref >= 0 ? NULL : baton__strdup(value), ref};
  return !a->name || (ref < 0 && !a->value) ? -1 : ref >= 0 ? baton__task_add_dep(t, ref) : 0;
}

/* Says in err that memory ran out while reading who; returns -1. */
static int out_of_memory(const char *who, char *err, size_t errlen) {
  baton__fmt(err, errlen, "out of memory while reading %s", who);
  return -1;
}

/* Reads "id" into t->id. 0, or -1 with err. */
static int parse_id(const cJSON *obj, const char *who, baton__task *t, char *err,
                    size_t errlen) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
  if (!id) {
    baton__fmt(err, errlen, "%s has no \"id\"", who);
    return -1;
  }
  if (!json_int(id, &t->id)) {
    baton__fmt(err, errlen, "%s: \"id\" must be an integer, got %s", who, json_kind(id));
    return -1;
  }
  if (t->id < 0) {
    baton__fmt(err, errlen, "%s: \"id\" must be 0 or more, got %d", who, t->id);
    return -1;
  }
  return 0;
}

/* Reads "task" into t->task, normalised. 0, or -1 with err. */
static int parse_name(const cJSON *obj, const char *who, baton__task *t, char *err,
                      size_t errlen) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "task");
  if (!name) {
    baton__fmt(err, errlen, "%s has no \"task\" name", who);
    return -1;
  }
  if (!cJSON_IsString(name) || !name->valuestring) {
    baton__fmt(err, errlen, "%s: \"task\" must be a string, got %s", who, json_kind(name));
    return -1;
  }
  if (strlen(name->valuestring) > GRAPH_MAX_NAME) {
    baton__fmt(err, errlen, "%s: task name is longer than %d characters", who,
               GRAPH_MAX_NAME);
    return -1;
  }
  t->task = normalise_task_name(name->valuestring);
  if (!t->task)
    return out_of_memory(who, err, errlen);
  if (!*t->task) {
    baton__fmt(err, errlen, "%s: \"task\" is empty", who);
    return -1;
  }
  return 0;
}

/* Reads "dep" (absent, null, or ids with -1 for none) into t->deps. 0, or
 * -1 with err. */
static int parse_deps(const cJSON *obj, const char *who, baton__task *t, char *err,
                      size_t errlen) {
  const cJSON *dep = cJSON_GetObjectItemCaseSensitive(obj, "dep");
  if (!dep || cJSON_IsNull(dep))
    return 0;
  if (!cJSON_IsArray(dep)) {
    baton__fmt(err, errlen, "%s: \"dep\" must be an array of task ids, got %s", who,
               json_kind(dep));
    return -1;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, dep) {
    int v;
    if (!json_int(d, &v)) {
      baton__fmt(err, errlen, "%s: \"dep\" must be an array of integer task ids, found %s",
                 who, json_kind(d));
      return -1;
    }
    if (v == -1)
      continue;
    if (v < 0) {
      baton__fmt(err, errlen, "%s: \"dep\" holds %d, which is not a task id", who, v);
      return -1;
    }
    if (baton__task_add_dep(t, v) != 0)
      return out_of_memory(who, err, errlen);
  }
  return 0;
}

/* Appends argument a (a member of "args") to t->args, which has room for
 * it. 0, or -1 with err. */
static int parse_arg(const cJSON *a, const char *who, baton__task *t, char *err,
                     size_t errlen) {
  const char *an = a->string ? a->string : "";
  if (!cJSON_IsString(a) || !a->valuestring) {
    baton__fmt(err, errlen, "wrong argument type: %s arg '%s' must be a string, got %s", who,
               an, json_kind(a));
    return -1;
  }
  for (size_t j = 0; j < t->n_args; j++)
    if (strcmp(t->args[j].name, an) == 0) {
      baton__fmt(err, errlen, "%s: argument '%s' is given twice", who, an);
      return -1;
    }
  baton__arg *slot = &t->args[t->n_args];
  slot->ref = -1;
  int ref = -1;
  int kind = parse_reference(a->valuestring, &ref);
  if (kind < 0) {
    baton__fmt(err, errlen,
               "%s arg '%s': malformed reference '%.40s' (write <GENERATED>-k for the "
               "output of task k)",
               who, an, a->valuestring);
    return -1;
  }
  slot->name = baton__strdup(an);
  if (!slot->name)
    return out_of_memory(who, err, errlen);
  t->n_args++;
  if (kind == 1) {
    slot->ref = ref;
  } else {
    slot->value = baton__strdup(a->valuestring);
    if (!slot->value)
      return out_of_memory(who, err, errlen);
  }
  return 0;
}

/* Reads "args" (absent, null, or an object of strings) into t->args. 0, or
 * -1 with err. */
static int parse_args(const cJSON *obj, const char *who, baton__task *t, char *err,
                      size_t errlen) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(obj, "args");
  if (!args || cJSON_IsNull(args))
    return 0;
  if (!cJSON_IsObject(args)) {
    baton__fmt(err, errlen, "%s: \"args\" must be an object, got %s", who, json_kind(args));
    return -1;
  }
  size_t n = (size_t)cJSON_GetArraySize(args);
  if (n > 0) {
    t->args = calloc(n, sizeof *t->args);
    if (!t->args)
      return out_of_memory(who, err, errlen);
  }
  const cJSON *a;
  cJSON_ArrayForEach(a, args) {
    if (parse_arg(a, who, t, err, errlen))
      return -1;
  }
  return 0;
}

/* Reads "model" (absent, null or a string) into t->model. 0, or -1 with err. */
static int parse_model(const cJSON *obj, const char *who, baton__task *t, char *err,
                       size_t errlen) {
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(obj, "model");
  if (!model || cJSON_IsNull(model))
    return 0;
  if (!cJSON_IsString(model) || !model->valuestring) {
    baton__fmt(err, errlen, "%s: \"model\" must be a string, got %s", who, json_kind(model));
    return -1;
  }
  t->model = baton__strdup(model->valuestring);
  return t->model ? 0 : out_of_memory(who, err, errlen);
}

/* Reads "candidates" (absent, null or model ids) into t->candidates. 0, or
 * -1 with err. */
static int parse_candidates(const cJSON *obj, const char *who, baton__task *t, char *err,
                            size_t errlen) {
  const cJSON *cands = cJSON_GetObjectItemCaseSensitive(obj, "candidates");
  if (!cands || cJSON_IsNull(cands))
    return 0;
  if (!cJSON_IsArray(cands)) {
    baton__fmt(err, errlen, "%s: \"candidates\" must be an array of model ids", who);
    return -1;
  }
  size_t n = (size_t)cJSON_GetArraySize(cands);
  if (n > 0) {
    t->candidates = calloc(n, sizeof *t->candidates);
    if (!t->candidates)
      return out_of_memory(who, err, errlen);
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, cands) {
    if (!cJSON_IsString(c) || !c->valuestring) {
      baton__fmt(err, errlen, "%s: \"candidates\" must hold model ids (strings), found %s",
                 who, json_kind(c));
      return -1;
    }
    t->candidates[t->n_candidates] = baton__strdup(c->valuestring);
    if (!t->candidates[t->n_candidates])
      return out_of_memory(who, err, errlen);
    t->n_candidates++;
  }
  return 0;
}

/* Reads "words" (absent, null, or the step's words of the request: a non-empty string of at
 * most BATON__TASK_MAX_WORDS bytes) into t->words. 0, or -1 with err. */
static int parse_words(const cJSON *obj, const char *who, baton__task *t, char *err,
                       size_t errlen) {
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, "words");
  if (!w || cJSON_IsNull(w))
    return 0;
  if (!cJSON_IsString(w) || !w->valuestring || !*w->valuestring) {
    baton__fmt(err, errlen,
               "%s: \"words\" (the words of the request the step was planned from) must be a "
               "non-empty string, got %s",
               who, cJSON_IsString(w) ? "an empty one" : json_kind(w));
    return -1;
  }
  size_t n = strlen(w->valuestring);
  if (n > BATON__TASK_MAX_WORDS) {
    baton__fmt(err, errlen, "%s: \"words\" is %zu bytes; the limit is %d", who, n,
               BATON__TASK_MAX_WORDS);
    return -1;
  }
  t->words = baton__strdup(w->valuestring);
  return t->words ? 0 : out_of_memory(who, err, errlen);
}

/* Reads "assumed" (absent, null, or the names of the args the planner gave a default the request
 * did not say: "src_lang", "tgt_lang") into t's *_assumed flags. Other names are ignored, as
 * unknown task keys are (a later baton's plan still runs). 0, or -1 with err. */
static int parse_assumed(const cJSON *obj, const char *who, baton__task *t, char *err,
                         size_t errlen) {
  const cJSON *as = cJSON_GetObjectItemCaseSensitive(obj, "assumed");
  if (!as || cJSON_IsNull(as))
    return 0;
  if (!cJSON_IsArray(as) || cJSON_GetArraySize(as) > BATON__TASK_MAX_ASSUMED) {
    baton__fmt(err, errlen, "%s: \"assumed\" must be an array of at most %d arg names "
               "(\"src_lang\", \"tgt_lang\"), got %s", who, BATON__TASK_MAX_ASSUMED,
               cJSON_IsArray(as) ? "a longer one" : json_kind(as));
    return -1;
  }
  const cJSON *a;
  cJSON_ArrayForEach(a, as) {
    if (!cJSON_IsString(a) || !a->valuestring) {
      baton__fmt(err, errlen, "%s: \"assumed\" must hold arg names (strings), found %s", who,
                 json_kind(a));
      return -1;
    }
    if (strcmp(a->valuestring, "src_lang") == 0)
      t->source_assumed = true;
    else if (strcmp(a->valuestring, "tgt_lang") == 0)
      t->target_assumed = true;
  }
  return 0;
}

/* Parses one array element into t. Returns 0 or -1 with err set. */
static int parse_task(const cJSON *obj, size_t index, baton__task *t, char *err,
                      size_t errlen) {
  char who[64];
  task_label(who, sizeof who, index, false, 0);
  if (!cJSON_IsObject(obj)) {
    baton__fmt(err, errlen, "%s is %s, not a task object", who, json_kind(obj));
    return -1;
  }
  if (parse_id(obj, who, t, err, errlen))
    return -1;
  task_label(who, sizeof who, index, true, t->id);
  if (parse_name(obj, who, t, err, errlen) || parse_deps(obj, who, t, err, errlen) ||
      parse_args(obj, who, t, err, errlen) || parse_model(obj, who, t, err, errlen) ||
      parse_candidates(obj, who, t, err, errlen) || parse_words(obj, who, t, err, errlen) ||
      parse_assumed(obj, who, t, err, errlen))
    return -1;
  return 0;
}

/* ---- structure checks (shared by parse and validate) --------------------- */

/* Writes the cycle that closes at task j into err: the tasks on the search
 * path from j's place down to the last one, then back to j. */
static void describe_cycle(const baton__graph *g, const size_t *path, size_t depth, size_t j,
                           char *err, size_t errlen) {
  size_t start = 0;
  while (start < depth && path[start] != j)
    start++;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "cycle in dependencies: ");
  for (size_t k = start; k < depth; k++) {
    int next = k + 1 < depth ? g->tasks[path[k + 1]].id : g->tasks[j].id;
    baton__sb_addf(&sb, "%stask %d depends on task %d", k > start ? ", " : "",
                   g->tasks[path[k]].id, next);
  }
  baton__fmt(err, errlen, "%s", baton__sb_ok(&sb) ? sb.buf : "cycle in dependencies");
  baton__sb_release(&sb);
}

/* Depth-first search for a cycle from task `root`, with an explicit stack
 * (path[] holds the tasks on the current path, next[] the dependency each
 * is at), so a chain of any length needs no deep recursion. */
static bool find_cycle(const baton__graph *g, const baton__graph_index *ix, size_t root,
                       unsigned char *state, size_t *path, size_t *next, char *err,
                       size_t errlen) {
  size_t depth = 0;
  path[depth] = root;
  next[depth++] = 0;
  state[root] = 1; /* on the current path */
  while (depth) {
    size_t i = path[depth - 1];
    const baton__task *t = &g->tasks[i];
    if (next[depth - 1] == t->n_deps) {
      state[i] = 2; /* finished */
      depth--;
      continue;
    }
    int j = baton__graph_index_find(ix, t->deps[next[depth - 1]++]);
    if (j < 0 || state[j] == 2)
      continue;
    if (state[j] == 1) {
      describe_cycle(g, path, depth, (size_t)j, err, errlen);
      return true;
    }
    state[j] = 1;
    path[depth] = (size_t)j;
    next[depth++] = 0;
  }
  return false;
}

/* Every dependency and reference names a task of the plan (not the task
 * itself), and each reference is also a dependency. */
static int check_links(const baton__graph *g, const baton__graph_index *ix, char *err,
                       size_t errlen) {
  for (size_t i = 0; i < g->n; i++) {
    const baton__task *t = &g->tasks[i];
    for (size_t d = 0; d < t->n_deps; d++) {
      if (t->deps[d] == t->id) {
        baton__fmt(err, errlen, "task %d depends on itself", t->id);
        return -1;
      }
      if (baton__graph_index_find(ix, t->deps[d]) < 0) {
        baton__fmt(err, errlen, "task %d depends on task %d, which is not in the plan", t->id,
                   t->deps[d]);
        return -1;
      }
    }
    for (size_t a = 0; a < t->n_args; a++) {
      int ref = t->args[a].ref;
      if (ref < 0)
        continue;
      if (ref == t->id) {
        baton__fmt(err, errlen, "task %d arg '%s' refers to its own output (<GENERATED>-%d)",
                   t->id, t->args[a].name, ref);
        return -1;
      }
      if (baton__graph_index_find(ix, ref) < 0) {
        baton__fmt(err, errlen,
                   "task %d arg '%s' uses <GENERATED>-%d, but there is no task %d in the plan",
                   t->id, t->args[a].name, ref, ref);
        return -1;
      }
      bool listed = false;
      for (size_t d = 0; d < t->n_deps; d++)
        listed = listed || t->deps[d] == ref;
      if (!listed) {
        baton__fmt(err, errlen, "task %d uses <GENERATED>-%d but does not depend on task %d",
                   t->id, ref, ref);
        return -1;
      }
    }
  }
  return 0;
}

static int check_cycles(const baton__graph *g, const baton__graph_index *ix, char *err,
                        size_t errlen) {
  unsigned char *state = calloc(g->n, 1);
  size_t *path = calloc(g->n, sizeof *path), *next = calloc(g->n, sizeof *next);
  int rc = 0;
  if (!state || !path || !next) {
    baton__fmt(err, errlen, "out of memory while checking the plan");
    rc = -1;
  }
  for (size_t i = 0; i < g->n && rc == 0; i++)
    if (state[i] == 0 && find_cycle(g, ix, i, state, path, next, err, errlen))
      rc = -1;
  free(state);
  free(path);
  free(next);
  return rc;
}

/* Ids unique, links resolvable, no cycles: O(n log n) plus the links. */
static int check_structure(const baton__graph *g, char *err, size_t errlen) {
  if (g->n == 0)
    return 0;
  baton__graph_index ix;
  if (baton__graph_index_build(g, &ix) != 0) {
    baton__fmt(err, errlen, "out of memory while checking the plan");
    return -1;
  }
  size_t first = 0, second = 0;
  int rc = 0;
  if (baton__graph_index_duplicate(&ix, &first, &second)) {
    baton__fmt(err, errlen, "duplicate task id %d (at index %zu and %zu)", g->tasks[second].id,
               first, second);
    rc = -1;
  }
  if (rc == 0)
    rc = check_links(g, &ix, err, errlen);
  if (rc == 0)
    rc = check_cycles(g, &ix, err, errlen);
  baton__graph_index_release(&ix);
  return rc;
}

int baton__graph_from_json(const cJSON *arr, int max_tasks, baton__graph *g, char *err,
                           size_t errlen) {
  if (!g) {
    baton__fmt(err, errlen, "no graph to fill");
    return -1;
  }
  g->tasks = NULL;
  g->n = 0;
  if (!arr) {
    baton__fmt(err, errlen, "the plan is empty");
    return -1;
  }
  if (!cJSON_IsArray(arr)) {
    baton__fmt(err, errlen, "the plan must be a JSON array of tasks, got %s", json_kind(arr));
    return -1;
  }
  if (max_tasks <= 0)
    max_tasks = GRAPH_DEFAULT_MAX_TASKS;
  if (max_tasks > BATON__GRAPH_MAX_TASKS)
    max_tasks = BATON__GRAPH_MAX_TASKS;
  int count = cJSON_GetArraySize(arr);
  if (count > max_tasks) {
    baton__fmt(err, errlen, "the plan has %d tasks, more than the limit of %d%s", count,
               max_tasks,
               max_tasks < BATON__GRAPH_MAX_TASKS ? " (limits.tasks in the config)" : "");
    return -1;
  }
  size_t index = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    baton__task t;
    memset(&t, 0, sizeof t);
    if (parse_task(item, index, &t, err, errlen) != 0) {
      baton__task_release(&t);
      return -1;
    }
    if (baton__graph_push(g, &t) != 0) {
      baton__task_release(&t);
      baton__fmt(err, errlen, "out of memory while reading the plan");
      return -1;
    }
    index++;
  }
  return check_structure(g, err, errlen);
}

int baton__graph_parse(const char *json, size_t len, int max_tasks, baton__graph *g,
                       char *err, size_t errlen) {
  if (!g) {
    baton__fmt(err, errlen, "no graph to fill");
    return -1;
  }
  g->tasks = NULL;
  g->n = 0;
  if (!json || len == 0) {
    baton__fmt(err, errlen, "the plan is empty");
    return -1;
  }
  const char *bad = baton__json_text_problem(json, strnlen(json, len));
  if (bad) {
    baton__fmt(err, errlen, "the plan is refused: %s", bad);
    return -1;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  if (!root) {
    size_t off = (end && end >= json && end <= json + len) ? (size_t)(end - json) : 0;
    size_t show = len - off < 24 ? len - off : 24;
    baton__fmt(err, errlen, "the plan is not valid JSON (at offset %zu, near '%.*s')", off,
               (int)show, json + off);
    return -1;
  }
  /* Anything but white space after the value means the text was not one
   * JSON value (e.g. "{...}, {...}" with the '[' missing). */
  if (end && end >= json && end < json + len) {
    const char *p = end;
    while (p < json + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      p++;
    if (p < json + len && *p != '\0') {
      size_t off = (size_t)(p - json);
      size_t show = len - off < 24 ? len - off : 24;
      baton__fmt(err, errlen,
                 "the plan is not valid JSON: unexpected text after the %s at offset %zu "
                 "(near '%.*s')",
                 cJSON_IsArray(root) ? "array" : "first value", off, (int)show, p);
      cJSON_Delete(root);
      return -1;
    }
  }
  int rc = baton__graph_from_json(root, max_tasks, g, err, errlen);
  cJSON_Delete(root);
  return rc;
}

/* ---- validation ---------------------------------------------------------- */

/* Every argument a task takes, "image, instruction": its resource types,
 * then its plain parameters. */
static void takes_list(const baton__taskspec *s, char *out, size_t cap) {
  char types[64];
  baton__types_format(s->inputs, types, sizeof types);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, types);
  for (const char *p = s->params ? s->params : ""; *p;) {
    size_t n = strcspn(p, ",");
    baton__sb_addf(&sb, "%s%.*s", sb.len ? ", " : "", (int)n, p);
    p += n + (p[n] == ',');
  }
  baton__fmt(out, cap, "%s", sb.len && baton__sb_ok(&sb) ? sb.buf : "no resources");
  baton__sb_release(&sb);
}

int baton__graph_validate(const baton__graph *g, baton__task_lookup_fn lookup, void *ud,
                          char *err, size_t errlen) {
  if (!g) {
    baton__fmt(err, errlen, "no plan to check");
    return -1;
  }
  if (g->n == 0) {
    baton__fmt(err, errlen, "the plan has no tasks");
    return -1;
  }
  for (size_t i = 0; i < g->n; i++)
    if (!g->tasks[i].task || !*g->tasks[i].task) {
      baton__fmt(err, errlen, "task %d has no task name", g->tasks[i].id);
      return -1;
    }
  if (check_structure(g, err, errlen) != 0 || baton__graph_check_save_as(g, err, errlen) != 0)
    return -1;
  if (!lookup)
    return 0;

  const baton__taskspec **specs = calloc(g->n, sizeof *specs);
  baton__graph_index ix;
  if (baton__graph_index_build(g, &ix) != 0 || !specs) {
    free(specs);
    baton__graph_index_release(&ix);
    baton__fmt(err, errlen, "out of memory while checking the plan");
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < g->n && rc == 0; i++) {
    specs[i] = lookup(ud, g->tasks[i].task);
    if (!specs[i]) {
      baton__fmt(err, errlen, "unknown task '%s' (task %d)", g->tasks[i].task,
                 g->tasks[i].id);
      rc = -1;
    }
  }
  for (size_t i = 0; i < g->n && rc == 0; i++) {
    const baton__task *t = &g->tasks[i];
    const baton__taskspec *s = specs[i];
    for (size_t a = 0; a < t->n_args && rc == 0; a++) {
      const baton__arg *arg = &t->args[a];
      unsigned want = baton__arg_type(arg->name);
      if (want && !(s->inputs & want)) {
        char takes[320];
        takes_list(s, takes, sizeof takes);
        baton__fmt(err, errlen,
                   "wrong argument type: task %d (%s) does not take an argument '%s' (it takes "
                   "%s)",
                   t->id, t->task, arg->name, takes);
        rc = -1;
        break;
      }
      if (arg->ref < 0)
        continue;
      /* A parameter given by reference must be text (a score's JSON reads as text: "compare
       * a.jpg with b.jpg and read the result aloud"). */
      unsigned need = want ? want : BATON__T_TEXT;
      int j = baton__graph_index_find(&ix, arg->ref);
      const baton__taskspec *src = specs[j];
      if (!(src->outputs & (need == BATON__T_TEXT ? need | BATON__T_JSON : need))) {
        char makes[64];
        baton__types_format(src->outputs, makes, sizeof makes);
        baton__fmt(err, errlen,
                   "wrong argument type: task %d arg '%s' uses <GENERATED>-%d, but task %d "
                   "(%s) produces %s, not %s",
                   t->id, arg->name, arg->ref, arg->ref, src->name ? src->name : "?",
                   *makes ? makes : "nothing", baton__type_name(need));
        rc = -1;
      }
    }
  }
  free(specs);
  baton__graph_index_release(&ix);
  return rc;
}

/* ---- JSON output --------------------------------------------------------- */

/* One task as a JSON object. */
static void add_task_json(baton__sb *sb, const baton__task *t) {
  baton__sb_adds(sb, "{\"task\":");
  baton__sb_add_json_str(sb, t->task ? t->task : "");
  baton__sb_addf(sb, ",\"id\":%d,\"dep\":[", t->id);
  if (t->n_deps == 0)
    baton__sb_adds(sb, "-1");
  for (size_t d = 0; d < t->n_deps; d++)
    baton__sb_addf(sb, "%s%d", d ? "," : "", t->deps[d]);
  baton__sb_adds(sb, "],\"args\":{");
  for (size_t a = 0; a < t->n_args; a++) {
    const baton__arg *arg = &t->args[a];
    if (a)
      baton__sb_addc(sb, ',');
    baton__sb_add_json_str(sb, arg->name ? arg->name : "");
    baton__sb_addc(sb, ':');
    if (arg->ref >= 0)
      baton__sb_addf(sb, "\"" GEN_PREFIX "%d\"", arg->ref);
    else
      baton__sb_add_json_str(sb, arg->value ? arg->value : "");
  }
  baton__sb_addc(sb, '}');
  if (t->model) {
    baton__sb_adds(sb, ",\"model\":");
    baton__sb_add_json_str(sb, t->model);
  }
  if (t->choice) /* JSON text the runtime printed: copied as it is */
    baton__sb_addf(sb, ",\"choice\":%s", t->choice);
  if (t->n_candidates > 0) {
    baton__sb_adds(sb, ",\"candidates\":[");
    for (size_t k = 0; k < t->n_candidates; k++) {
      if (k)
        baton__sb_addc(sb, ',');
      baton__sb_add_json_str(sb, t->candidates[k] ? t->candidates[k] : "");
    }
    baton__sb_addc(sb, ']');
  }
  size_t n = t->words ? baton__utf8_cut(t->words, strlen(t->words), BATON__TASK_MAX_WORDS) : 0;
  if (n) { /* cut to what parsing takes back */
    char w[BATON__TASK_MAX_WORDS + 1];
    memcpy(w, t->words, n);
    w[n] = '\0';
    baton__sb_adds(sb, ",\"words\":");
    baton__sb_add_json_str(sb, w);
  }
  if (t->source_assumed || t->target_assumed)
    baton__sb_addf(sb, ",\"assumed\":[%s%s%s]", t->source_assumed ? "\"src_lang\"" : "",
                   t->source_assumed && t->target_assumed ? "," : "",
                   t->target_assumed ? "\"tgt_lang\"" : "");
  baton__sb_addc(sb, '}');
}

char *baton__graph_print(const baton__graph *g) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addc(&sb, '[');
  for (size_t i = 0; g && i < g->n; i++) {
    if (i)
      baton__sb_addc(&sb, ',');
    add_task_json(&sb, &g->tasks[i]);
  }
  baton__sb_addc(&sb, ']');
  if (!baton__sb_ok(&sb)) {
    baton__sb_release(&sb);
    return NULL;
  }
  return baton__sb_detach(&sb);
}

cJSON *baton__graph_to_json(const baton__graph *g) {
  char *text = baton__graph_print(g);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  return j;
}

char *baton__graph_brief(const baton__graph *g) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < g->n; i++) {
    const baton__task *t = &g->tasks[i];
    baton__sb_addf(&sb, "%s%s(", i ? " " : "", t->task);
    size_t refs = 0;
    for (size_t a = 0; a < t->n_args; a++) {
      const baton__arg *x = &t->args[a];
      if (x->ref >= 0)
        baton__sb_addf(&sb, "%s%s=<%d>", a ? "," : "", x->name, x->ref);
      else
        baton__sb_addf(&sb, "%s%s=%s", a ? "," : "", x->name, x->value);
      refs += x->ref >= 0;
    }
    baton__sb_adds(&sb, ")");
    if (t->n_deps != refs) {
      baton__sb_adds(&sb, "[deps");
      for (size_t d = 0; d < t->n_deps; d++)
        baton__sb_addf(&sb, " %d", t->deps[d]);
      baton__sb_adds(&sb, "]");
    }
  }
  return baton__sb_detach(&sb);
}
