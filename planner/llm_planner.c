/* llm_planner.c — plans a request and writes its answer with an OpenAI-compatible LLM. */
#include "planner/llm_planner.h"
#include "planner/output_names.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "planner/plan_text.h"
#include "planner/prompts.h"
#include "core/banned.h"

#define MAX_RESOURCES 32
#define RESOURCE_TEXT_CHARS 600
#define ERROR_QUOTE_CHARS 400

/* ---- small helpers -------------------------------------------------------- */

/* Appends at most max bytes of s, cut on a UTF-8 boundary, with "..." when cut. */
static void add_cut(baton__sb *sb, const char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) {
    baton__sb_add(sb, s, n);
    return;
  }
  baton__sb_add(sb, s, baton__utf8_cut(s, n, max));
  baton__sb_adds(sb, "...");
}

/* ---- chat history ----------------------------------------------------------- */

static const char *str_item(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Adds "- type: value" ("- type (task): value" with the task kind that made it) unless already
 * there. Returns the new count. */
static size_t add_resource(baton__sb *sb, size_t n, const char *type, const char *maker,
                           const char *value) {
  if (n >= MAX_RESOURCES || !value || !*value)
    return n;
  baton__sb line;
  baton__sb_init(&line);
  baton__sb_addf(&line, maker && *maker ? "- %s (%.64s): " : "- %s: ", type, maker);
  bool quote = strcmp(type, "text") == 0;
  if (quote)
    baton__sb_addc(&line, '"');
  add_cut(&line, value, RESOURCE_TEXT_CHARS);
  if (quote)
    baton__sb_addc(&line, '"');
  baton__sb_addc(&line, '\n');
  bool dup = sb->len && line.len && strstr(sb->buf, line.buf) != NULL;
  if (!dup)
    baton__sb_add(sb, line.buf, line.len);
  baton__sb_release(&line);
  return dup ? n : n + 1;
}

/* File paths (words with an image/audio/video extension) named in text. */
static size_t scan_paths(baton__sb *sb, size_t n, const char *text) {
  size_t len;
  for (const char *w; n < MAX_RESOURCES && (w = baton__conversation_word(&text, &len));) {
    char *word = len && len <= 1024 ? baton__strndup(w, len) : NULL;
    unsigned t = word ? baton__type_of_path(word) : 0;
    if (t & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO))
      n = add_resource(sb, n, baton__type_name(t), NULL, word);
    free(word);
  }
  return n;
}

/* The outputs (type -> value) of an object, made by the task kind `maker` (NULL: not said). */
static size_t outputs_resources(baton__sb *sb, size_t n, const cJSON *outs, const char *maker) {
  const cJSON *f;
  if (cJSON_IsObject(outs))
    cJSON_ArrayForEach(f, outs) {
      if (cJSON_IsString(f) && f->valuestring && f->string)
        n = add_resource(sb, n, f->string, maker, f->valuestring);
    }
  return n;
}

/* Resources an earlier message carries: "files", then "tasks" (each task's outputs and kind) or,
 * without those, "outputs". */
static size_t message_resources(baton__sb *sb, size_t n, const cJSON *m) {
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
  const cJSON *f;
  if (cJSON_IsArray(files))
    cJSON_ArrayForEach(f, files) {
      if (cJSON_IsString(f) && f->valuestring) {
        unsigned t = baton__type_of_path(f->valuestring);
        n = add_resource(sb, n, t ? baton__type_name(t) : "file", NULL, f->valuestring);
      }
    }
  const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(m, "tasks");
  if (!cJSON_IsArray(tasks) || cJSON_GetArraySize(tasks) == 0)
    return outputs_resources(sb, n, cJSON_GetObjectItemCaseSensitive(m, "outputs"), NULL);
  cJSON_ArrayForEach(f, tasks)
    n = outputs_resources(sb, n, cJSON_GetObjectItemCaseSensitive(f, "outputs"),
                          str_item(f, "task"));
  return n;
}

/* The user and assistant turns of arr as "role: content" lines within
 * budget: newest first until the budget is spent, then rendered oldest
 * first; "(none)\n" when there are none. Malloc'd, or NULL when out of
 * memory. */
static char *render_turns(const cJSON *arr, int count, size_t budget) {
  int first = count;
  size_t used = 0;
  char **lines = calloc((size_t)count + 1, sizeof *lines);
  bool oom = !lines;
  for (int i = count - 1; !oom && i >= 0; i--) {
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    const char *role = str_item(m, "role");
    if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
      continue; /* system and tool turns are not conversation */
    baton__sb sb;
    baton__sb_init(&sb);
    baton__sb_addf(&sb, "%s: ", role);
    size_t room = budget > used + sb.len ? budget - used - sb.len : 0;
    if (room < 16 && first < count) {
      baton__sb_release(&sb);
      break;
    }
    add_cut(&sb, str_item(m, "content"), room > 16 ? room : 16);
    baton__sb_addc(&sb, '\n');
    lines[i] = baton__sb_detach(&sb);
    oom = !lines[i];
    used += lines[i] ? strlen(lines[i]) : 0;
    first = i;
    if (used >= budget)
      break;
  }
  baton__sb h;
  baton__sb_init(&h);
  for (int i = first; i < count; i++)
    if (lines && lines[i])
      baton__sb_adds(&h, lines[i]);
  if (!h.len)
    baton__sb_adds(&h, "(none)\n");
  for (int i = 0; lines && i < count; i++)
    free(lines[i]);
  free(lines);
  char *out = baton__sb_detach(&h);
  if (oom) {
    free(out);
    return NULL;
  }
  return out;
}

/* The resources the messages of arr name, newest first; "(none)\n" when
 * none. Malloc'd, or NULL when out of memory. */
static char *render_resources(const cJSON *arr, int count) {
  baton__sb r;
  baton__sb_init(&r);
  size_t n = 0;
  for (int i = count - 1; i >= 0; i--) {
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    n = message_resources(&r, n, m);
    if (strcmp(str_item(m, "role"), "assistant") == 0)
      n = scan_paths(&r, n, str_item(m, "content"));
  }
  if (!r.len)
    baton__sb_adds(&r, "(none)\n");
  return baton__sb_detach(&r);
}

int baton__chat_history_render(const char *messages_json, size_t budget, char **history,
                               char **resources, char *err, size_t errlen) {
  *history = NULL;
  if (resources)
    *resources = NULL;
  cJSON *arr = NULL;
  if (baton__conversation_parse(messages_json, &arr, err, errlen) != 0)
    return -1;
  int count = cJSON_GetArraySize(arr);
  *history = render_turns(arr, count, budget);
  if (resources)
    *resources = render_resources(arr, count);
  cJSON_Delete(arr);
  if (!*history || (resources && !*resources)) {
    free(*history);
    *history = NULL;
    if (resources) {
      free(*resources);
      *resources = NULL;
    }
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* ---- unfolding multi-resource arguments ------------------------------------- */

static void free_list(char **items, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(items[i]);
  free(items);
}

/* Splits a value naming several files of one type. Returns the count (0 when
 * it is one plain value); *items receives malloc'd strings. */
static size_t split_files(const char *value, unsigned type, char ***items) {
  *items = NULL;
  size_t n = 0, cap = 0;
  char **list = NULL;
  cJSON *arr = NULL;
  if (value[0] == '[' && (arr = cJSON_Parse(value)) && cJSON_IsArray(arr)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
      if (!cJSON_IsString(it) || !it->valuestring || !*it->valuestring)
        goto no;
      if (n == cap) {
        cap = cap ? cap * 2 : 4;
        char **nl = realloc(list, cap * sizeof *nl);
        if (!nl)
          goto no;
        list = nl;
      }
      if (!(list[n] = baton__strdup(it->valuestring)))
        goto no;
      n++;
    }
    cJSON_Delete(arr);
    *items = list;
    return n;
  }
  cJSON_Delete(arr);
  arr = NULL;
  if (!strpbrk(value, ",;"))
    return 0;
  const char *p = value;
  while (*p) {
    const char *e = p + strcspn(p, ",;");
    char *piece = baton__strndup(p, (size_t)(e - p));
    if (!piece)
      goto no;
    baton__trim(piece);
    if (strncmp(piece, "and ", 4) == 0)
      memmove(piece, piece + 4, strlen(piece + 4) + 1);
    baton__trim(piece);
    if (!*piece || strchr(piece, ' ') || baton__type_of_path(piece) != type) {
      free(piece);
      goto no;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      char **nl = realloc(list, cap * sizeof *nl);
      if (!nl) {
        free(piece);
        goto no;
      }
      list = nl;
    }
    list[n++] = piece;
    p = *e ? e + 1 : e;
  }
  *items = list;
  return n;
no:
  cJSON_Delete(arr);
  free_list(list, n);
  return 0;
}

static int copy_task(const baton__task *src, baton__task *dst) {
  memset(dst, 0, sizeof *dst);
  dst->id = src->id;
  dst->task = baton__strdup(src->task);
  if (!dst->task)
    return -1;
  if (src->n_deps) {
    if (!(dst->deps = malloc(src->n_deps * sizeof *dst->deps)))
      return -1;
    memcpy(dst->deps, src->deps, src->n_deps * sizeof *dst->deps);
    dst->n_deps = src->n_deps;
  }
  if (src->n_args) {
    if (!(dst->args = calloc(src->n_args, sizeof *dst->args)))
      return -1;
    for (size_t j = 0; j < src->n_args; j++) {
      dst->args[j].ref = src->args[j].ref;
      dst->args[j].name = baton__strdup(src->args[j].name);
      dst->n_args = j + 1;
      if (!dst->args[j].name)
        return -1;
      if (src->args[j].value && !(dst->args[j].value = baton__strdup(src->args[j].value)))
        return -1;
    }
  }
  return 0;
}

static bool has_dep(const baton__task *t, int id) {
  for (size_t d = 0; d < t->n_deps; d++)
    if (t->deps[d] == id)
      return true;
  return false;
}

static int add_dep_id(baton__task *t, int id) {
  if (has_dep(t, id))
    return 0;
  int *nd = realloc(t->deps, (t->n_deps + 1) * sizeof *nd);
  if (!nd)
    return -1;
  t->deps = nd;
  t->deps[t->n_deps++] = id;
  return 0;
}

static bool uses_output(const baton__task *t, int id) {
  for (size_t j = 0; j < t->n_args; j++)
    if (t->args[j].ref == id)
      return true;
  return false;
}

typedef struct unfold_ctx {
  baton__graph *g;
  int next_id;
  int max_tasks;
  char *err;
  size_t errlen;
} unfold_ctx;

/* Appends a copy of task idx with a new id; returns its index or -1. */
static long clone_task(unfold_ctx *u, size_t idx) {
  if ((long)u->g->n >= (long)u->max_tasks) {
    baton__fmt(u->err, u->errlen,
               "unfolding the files of task %d would make more than %d tasks",
               u->g->tasks[idx].id, u->max_tasks);
    return -1;
  }
  baton__task t;
  int rc = copy_task(&u->g->tasks[idx], &t);
  t.id = u->next_id++;
  if (rc != 0 || baton__graph_push(u->g, &t) != 0) {
    baton__task_release(&t);
    baton__fmt(u->err, u->errlen, "out of memory");
    return -1;
  }
  return (long)u->g->n - 1;
}

/* Task `src` now exists as ids[0..n) (ids[0] is src itself): update those
 * that depend on it. */
static int propagate(unfold_ctx *u, int src, const int *ids, size_t n, int depth) {
  if (depth > u->max_tasks) {
    baton__fmt(u->err, u->errlen, "the plan's dependencies form a cycle");
    return -1;
  }
  size_t n0 = u->g->n;
  for (size_t i = 0; i < n0; i++) {
    baton__task *d = &u->g->tasks[i];
    bool is_copy = false;
    for (size_t k = 0; k < n; k++)
      is_copy |= d->id == ids[k];
    if (is_copy || !has_dep(d, src))
      continue;
    if (!uses_output(d, src)) {
      for (size_t k = 1; k < n; k++)
        if (add_dep_id(&u->g->tasks[i], ids[k]) != 0)
          goto oom;
      continue;
    }
    int *dids = calloc(n, sizeof *dids);
    if (!dids)
      goto oom;
    dids[0] = d->id;
    for (size_t k = 1; k < n; k++) {
      long c = clone_task(u, i);
      if (c < 0) {
        free(dids);
        return -1;
      }
      baton__task *ct = &u->g->tasks[c];
      dids[k] = ct->id;
      for (size_t j = 0; j < ct->n_args; j++)
        if (ct->args[j].ref == src)
          ct->args[j].ref = ids[k];
      for (size_t e = 0; e < ct->n_deps; e++)
        if (ct->deps[e] == src)
          ct->deps[e] = ids[k];
    }
    int rc = propagate(u, dids[0], dids, n, depth + 1);
    free(dids);
    if (rc != 0)
      return -1;
  }
  return 0;
oom:
  baton__fmt(u->err, u->errlen, "out of memory");
  return -1;
}

/* A text argument written as a JSON list of strings becomes those strings,
 * one a line (a text task takes one text). Anything else is left as is. */
static void join_text_list(baton__arg *a) {
  cJSON *arr = cJSON_Parse(a->value);
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
    cJSON_Delete(arr);
    return;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  const cJSON *it;
  bool ok = true;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) || !it->valuestring) {
      ok = false;
      break;
    }
    if (sb.len)
      baton__sb_addc(&sb, '\n');
    baton__sb_adds(&sb, it->valuestring);
  }
  cJSON_Delete(arr);
  char *joined = ok ? baton__sb_detach(&sb) : NULL;
  baton__sb_release(&sb);
  if (joined) {
    free(a->value);
    a->value = joined;
  }
}

int baton__plan_unfold(baton__graph *g, int max_tasks, char *err, size_t errlen) {
  unfold_ctx u = {.g = g, .max_tasks = max_tasks, .err = err, .errlen = errlen};
  for (size_t i = 0; i < g->n; i++) {
    if (g->tasks[i].id >= u.next_id)
      u.next_id = g->tasks[i].id + 1;
    free(g->tasks[i].model);
    g->tasks[i].model = NULL;
    for (size_t k = 0; k < g->tasks[i].n_candidates; k++)
      free(g->tasks[i].candidates[k]);
    free(g->tasks[i].candidates);
    g->tasks[i].candidates = NULL;
    g->tasks[i].n_candidates = 0;
  }
  for (size_t i = 0; i < g->n; i++) {
    for (size_t j = 0; j < g->tasks[i].n_args; j++) {
      baton__arg *a = &g->tasks[i].args[j];
      unsigned type = baton__arg_type(a->name);
      if (a->ref < 0 && type == BATON__T_TEXT && a->value[0] == '[') {
        join_text_list(a);
        continue;
      }
      if (a->ref >= 0 || !(type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)))
        continue;
      char **items = NULL;
      size_t n = split_files(a->value, type, &items);
      if (n == 0)
        continue;
      int *ids = calloc(n, sizeof *ids);
      if (!ids) {
        free_list(items, n);
        baton__fmt(err, errlen, "out of memory");
        return -1;
      }
      ids[0] = g->tasks[i].id;
      for (size_t k = 1; k < n; k++) {
        long c = clone_task(&u, i);
        if (c < 0) {
          free(ids);
          free_list(items, n);
          return -1;
        }
        ids[k] = g->tasks[c].id;
        free(g->tasks[c].args[j].value);
        g->tasks[c].args[j].value = items[k];
        items[k] = NULL;
      }
      a = &g->tasks[i].args[j]; /* the array may have moved */
      free(a->value);
      a->value = items[0];
      items[0] = NULL;
      free_list(items, n);
      int rc = n > 1 ? propagate(&u, ids[0], ids, n, 0) : 0;
      free(ids);
      if (rc != 0)
        return -1;
    }
  }
  return 0;
}

/* ---- planning ------------------------------------------------------------------ */

static baton__llm_format format_of(const char *name, bool *fallback) {
  *fallback = false;
  if (!name || baton__ieq(name, "auto")) {
    *fallback = true;
    return BATON__LLM_FMT_JSON_SCHEMA;
  }
  if (baton__ieq(name, "json_schema"))
    return BATON__LLM_FMT_JSON_SCHEMA;
  if (baton__ieq(name, "tgi"))
    return BATON__LLM_FMT_TGI_JSON;
  if (baton__ieq(name, "json_object"))
    return BATON__LLM_FMT_JSON_OBJECT;
  return BATON__LLM_FMT_NONE;
}

/* The task-graph JSON schema, wrapped in an object ({"tasks": [...]})
 * because OpenAI and JSON modes require an object at the root. */
static char *plan_schema(const baton__taskspec *tasks, size_t n) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "type", "object");
  cJSON *props = cJSON_AddObjectToObject(s, "properties");
  cJSON *arr = cJSON_AddObjectToObject(props, "tasks");
  cJSON_AddStringToObject(arr, "type", "array");
  cJSON *item = cJSON_AddObjectToObject(arr, "items");
  cJSON_AddStringToObject(item, "type", "object");
  cJSON *ip = cJSON_AddObjectToObject(item, "properties");
  cJSON *task = cJSON_AddObjectToObject(ip, "task");
  cJSON_AddStringToObject(task, "type", "string");
  cJSON *en = cJSON_AddArrayToObject(task, "enum");
  for (size_t i = 0; en && i < n; i++)
    cJSON_AddItemToArray(en, cJSON_CreateString(tasks[i].name));
  cJSON *id = cJSON_AddObjectToObject(ip, "id");
  cJSON_AddStringToObject(id, "type", "integer");
  cJSON *dep = cJSON_AddObjectToObject(ip, "dep");
  cJSON_AddStringToObject(dep, "type", "array");
  cJSON *di = cJSON_AddObjectToObject(dep, "items");
  cJSON_AddStringToObject(di, "type", "integer");
  cJSON *args = cJSON_AddObjectToObject(ip, "args");
  cJSON_AddStringToObject(args, "type", "object");
  cJSON *ap = cJSON_AddObjectToObject(args, "additionalProperties");
  cJSON_AddStringToObject(ap, "type", "string");
  cJSON *req = cJSON_AddArrayToObject(item, "required");
  static const char *const fields[] = {"task", "id", "dep", "args"};
  for (size_t i = 0; req && i < 4; i++)
    cJSON_AddItemToArray(req, cJSON_CreateString(fields[i]));
  cJSON *rq = cJSON_AddArrayToObject(s, "required");
  if (rq)
    cJSON_AddItemToArray(rq, cJSON_CreateString("tasks"));
  char *out = s ? cJSON_PrintUnformatted(s) : NULL;
  cJSON_Delete(s);
  return out;
}

typedef struct lookup_ud {
  baton__registry *reg;
} lookup_ud;

static const baton__taskspec *lookup(void *ud, const char *name) {
  return baton__registry_task(((lookup_ud *)ud)->reg, name);
}

/* Whether the reply is an empty plan: [] or {"tasks": []}, fenced or not. */
static bool empty_plan(const char *reply) {
  const char *a = strpbrk(reply, "[{");
  const char *z = NULL;
  for (const char *p = reply; *p; p++)
    if (*p == ']' || *p == '}')
      z = p;
  if (!a || !z || z < a)
    return false;
  cJSON *j = cJSON_ParseWithLength(a, (size_t)(z - a + 1));
  const cJSON *arr = j;
  if (cJSON_IsObject(j)) {
    arr = cJSON_GetObjectItemCaseSensitive(j, "tasks");
    if (!arr)
      arr = cJSON_GetObjectItemCaseSensitive(j, "plan");
  }
  bool empty = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 0;
  cJSON_Delete(j);
  return empty;
}

/* A translation the LLM gave no source language is marked as one whose source the request did
 * not name (baton__task.source_assumed), so the run identifies the text's language; one the LLM
 * wrote stays as written. */
static void mark_assumed_sources(baton__graph *g) {
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    bool has_src = false;
    for (size_t k = 0; k < t->n_args && !has_src; k++)
      has_src = strcmp(t->args[k].name, "src_lang") == 0;
    if (strcmp(t->task, "translation") == 0 && !has_src)
      t->source_assumed = true;
  }
}

/* Turns a reply into a validated graph. 0, or -1 with the reason in err. */
static int try_plan(const baton__llm_plan_req *r, const char *reply, baton__graph *g,
                    char *err, size_t errlen) {
  baton__graph_release(g);
  memset(g, 0, sizeof *g);
  if (empty_plan(reply))
    return 0;
  char *json = baton__plan_text_extract(reply, strlen(reply), err, errlen);
  if (!json)
    return -1;
  int rc = baton__graph_parse(json, strlen(json), r->cfg->max_tasks, g, err, errlen);
  free(json);
  if (rc == 0)
    rc = baton__plan_unfold(g, r->cfg->max_tasks, err, errlen);
  lookup_ud ud = {r->reg};
  if (rc == 0)
    rc = baton__graph_validate(g, lookup, &ud, err, errlen);
  if (rc == 0)
    mark_assumed_sources(g);
  if (rc != 0) {
    baton__graph_release(g);
    memset(g, 0, sizeof *g);
  }
  return rc;
}

static baton_rc llm_fail(baton__llm_status st, const char *what, const char *msg, char *err,
                         size_t errlen) {
  if (st == BATON__LLM_ECANCELLED) {
    baton__fmt(err, errlen, "cancelled while %s", what);
    return BATON_CANCELLED;
  }
  baton__fmt(err, errlen, "the LLM failed while %s (%s): %s", what, baton__llm_status_name(st),
             msg);
  return BATON_LLM;
}

void baton__llm_plan_res_release(baton__llm_plan_res *res) {
  if (!res)
    return;
  baton__graph_release(&res->g);
  free(res->answer);
  memset(res, 0, sizeof *res);
}

/* Characters of the messages' contents: what the LLM reads. */
static size_t msgs_chars(const baton__llm_msg *m, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += m[i].content ? strlen(m[i].content) : 0;
  return c;
}

/* One chat call, its usage added to *total and recorded in *call (when the
 * server answered at all). */
static baton__llm_status chat_counted(baton__llm *llm, const baton__llm_msg *m, size_t n,
                                      const baton__llm_opts *o, char **reply,
                                      baton__llm_format *used, baton__llm_usage *total,
                                      baton__llm_call *call, const char *what, char *cerr,
                                      size_t cerrlen) {
  baton__llm_usage u = {0};
  baton__llm_status st = baton__llm_chat(llm, m, n, o, reply, &u, used, cerr, cerrlen);
  total->llm_calls += u.llm_calls;
  total->prompt_tokens += u.prompt_tokens;
  total->completion_tokens += u.completion_tokens;
  if (call)
    *call = (baton__llm_call){what, u.prompt_tokens, u.completion_tokens, msgs_chars(m, n)};
  return st;
}

/* Records a planning call in res (when there is room). */
static baton__llm_status plan_call(const baton__llm_plan_req *r, baton__llm_plan_res *res,
                                   const baton__llm_msg *m, size_t n, const baton__llm_opts *o,
                                   char **reply, baton__llm_format *used, const char *what,
                                   char *cerr, size_t cerrlen) {
  baton__llm_call *c = res->n_calls < BATON__LLM_PLAN_CALLS ? &res->calls[res->n_calls] : NULL;
  long before = res->usage.llm_calls;
  baton__llm_status st =
      chat_counted(r->llm, m, n, o, reply, used, &res->usage, c, what, cerr, cerrlen);
  if (c && res->usage.llm_calls > before)
    res->n_calls++;
  return st;
}

/* The task kinds offered to the LLM: those that can run here, or all when
 * none can (the run then says what is missing). Shallow copies; caller
 * frees the array. */
static baton__taskspec *offered_kinds(const baton__llm_plan_req *r, size_t *n) {
  size_t all = 0;
  const baton__taskspec *tasks = baton__registry_tasks(r->reg, &all);
  baton__taskspec *out = calloc(all ? all : 1, sizeof *out);
  *n = 0;
  for (int pass = 0; out && pass < 2 && *n == 0; pass++)
    for (size_t i = 0; i < all; i++)
      if (pass || !r->runnable || r->runnable[i])
        out[(*n)++] = tasks[i];
  return out;
}

/* The earlier turns for the user template's {{context}}: "" when there are
 * none, else the conversation and the files and texts it left. */
static char *context_block(const char *history, const char *resources) {
  baton__sb sb;
  baton__sb_init(&sb);
  if (strcmp(history, "(none)\n") != 0 || strcmp(resources, "(none)\n") != 0)
    baton__sb_addf(&sb, "Earlier conversation (oldest first):\n%sFiles and texts from earlier "
                        "turns:\n%s", history, resources);
  return baton__sb_detach(&sb);
}

/* The user turn for a request (or a demo's). */
static char *user_turn(const baton__prompts *p, const char *request, const char *history,
                       const char *resources) {
  char *context = context_block(history, resources);
  const char *v[] = {"request", request,   "history", history, "resources",
                     resources, "context", context,   NULL};
  char *out = context ? baton__prompt_render(p->plan_user, v) : NULL;
  free(context);
  return out;
}

/* Everything a planning call sends, owned. */
typedef struct plan_prompt {
  char *history, *resources, *request, *system, *user, *schema;
  char **demo_users;
  size_t n_demo_users;
  baton__llm_msg *msgs; /* system, demos, user; room for a repair's four */
  size_t n_msgs;
} plan_prompt;

static void plan_prompt_release(plan_prompt *pp) {
  for (size_t i = 0; i < pp->n_demo_users; i++)
    free(pp->demo_users[i]);
  free(pp->demo_users);
  free(pp->history);
  free(pp->resources);
  free(pp->request);
  free(pp->system);
  free(pp->user);
  free(pp->schema);
  free(pp->msgs);
}

/* Builds the planning messages. 0; -1 bad history (err set); -2 no memory. */
static int plan_prompt_build(const baton__llm_plan_req *r, const baton__prompts *p,
                             plan_prompt *pp, char *err, size_t errlen) {
  memset(pp, 0, sizeof *pp);
  if (baton__chat_history_render(r->messages_json, r->cfg->llm_history_chars, &pp->history,
                                 &pp->resources, err, errlen) != 0)
    return -1;
  baton__sb rq;
  baton__sb_init(&rq);
  baton__sb_adds(&rq, r->request ? r->request : "");
  for (size_t i = 0; i < r->n_inputs; i++)
    baton__sb_addf(&rq, "%s%s", i ? ", " : "\nAttached files: ", r->inputs[i]);
  pp->request = baton__sb_detach(&rq);
  size_t n_kinds = 0;
  baton__taskspec *kinds = offered_kinds(r, &n_kinds);
  char *list = kinds ? baton__prompt_task_list(p, kinds, n_kinds) : NULL;
  const char *sv[] = {"tasks", list, NULL};
  pp->system = list ? baton__prompt_render(p->plan_system, sv) : NULL;
  pp->schema = kinds ? plan_schema(kinds, n_kinds) : NULL;
  free(list);
  free(kinds);
  pp->user = pp->request ? user_turn(p, pp->request, pp->history, pp->resources) : NULL;
  pp->msgs = calloc(2 * p->n_demos + 4, sizeof *pp->msgs);
  pp->demo_users = calloc(p->n_demos + 1, sizeof *pp->demo_users);
  for (size_t i = 0; pp->demo_users && i < p->n_demos; i++) {
    const baton__prompt_demo *d = &p->demos[i];
    if (!(pp->demo_users[i] = user_turn(p, d->user, d->history ? d->history : "(none)\n",
                                        d->resources ? d->resources : "(none)\n")))
      break;
    pp->n_demo_users++;
  }
  if (!pp->system || !pp->user || !pp->schema || !pp->msgs || pp->n_demo_users != p->n_demos)
    return -2;
  pp->msgs[pp->n_msgs++] = (baton__llm_msg){"system", pp->system};
  for (size_t i = 0; i < p->n_demos; i++) {
    pp->msgs[pp->n_msgs++] = (baton__llm_msg){"user", pp->demo_users[i]};
    pp->msgs[pp->n_msgs++] = (baton__llm_msg){"assistant", p->demos[i].assistant};
  }
  pp->msgs[pp->n_msgs++] = (baton__llm_msg){"user", pp->user};
  return 0;
}

/* The repair round: the system prompt without demonstrations, the request,
 * the broken answer and the validator's complaint; the format that worked
 * is kept. 0 with res->g filled, 1 when still no plan (perr2 says why), or
 * -1 on cancellation or no memory (err set, *rc too). */
static int repair_round(const baton__llm_plan_req *r, const baton__prompts *p, plan_prompt *pp,
                        baton__llm_opts *o, const char *reply, const char *perr,
                        baton__llm_plan_res *res, char *perr2, size_t perr2len, baton_rc *rc,
                        char *err, size_t errlen) {
  char quoted[ERROR_QUOTE_CHARS + 8];
  baton__fmt(quoted, sizeof quoted, "%s", perr);
  const char *ev[] = {"error", quoted, NULL};
  char *repair = baton__prompt_render(p->repair, ev);
  if (!repair) {
    baton__fmt(err, errlen, "out of memory");
    *rc = BATON_NOMEM;
    return -1;
  }
  baton__llm_msg m[4] = {{"system", pp->system},
                         {"user", pp->user},
                         {"assistant", reply},
                         {"user", repair}};
  char *reply2 = NULL, cerr[768] = "";
  baton__llm_format used = o->format;
  baton__llm_status st =
      plan_call(r, res, m, 4, o, &reply2, &used, "repair", cerr, sizeof cerr);
  free(repair);
  if (st == BATON__LLM_ECANCELLED) {
    *rc = llm_fail(st, "repairing the plan", cerr, err, errlen);
    free(reply2);
    return -1;
  }
  res->repairs = 1;
  int out = 1;
  if (st == BATON__LLM_OK && try_plan(r, reply2, &res->g, perr2, perr2len) == 0) {
    baton__fmt(res->note, sizeof res->note, "the LLM's first plan was invalid (%s); its "
               "corrected plan was used", perr);
    out = 0;
  } else if (st != BATON__LLM_OK) {
    baton__fmt(perr2, perr2len, "the repair call failed: %s", cerr);
  }
  free(reply2);
  return out;
}

/* Still no plan: the LLM answers the user directly. */
static baton_rc answer_directly(const baton__llm_plan_req *r, const baton__prompts *p,
                                const plan_prompt *pp, baton__llm_plan_res *res, char *err,
                                size_t errlen) {
  baton__sb cu;
  baton__sb_init(&cu);
  if (strcmp(pp->history, "(none)\n") != 0)
    baton__sb_addf(&cu, "Earlier conversation:\n%s\n", pp->history);
  baton__sb_adds(&cu, pp->request);
  char *chat_user = baton__sb_detach(&cu);
  if (!chat_user) {
    baton__fmt(err, errlen, "out of memory");
    return BATON_NOMEM;
  }
  baton__llm_msg chat[2] = {{"system", p->chat_system}, {"user", chat_user}};
  baton__llm_opts co;
  baton__llm_opts_init(&co);
  co.cancel = r->cancel;
  char cerr[768] = "";
  baton__llm_status st =
      plan_call(r, res, chat, 2, &co, &res->answer, NULL, "answer", cerr, sizeof cerr);
  free(chat_user);
  return st == BATON__LLM_OK ? BATON_OK : llm_fail(st, "answering without a plan", cerr, err, errlen);
}

baton_rc baton__llm_plan(const baton__llm_plan_req *r, baton__llm_plan_res *res, char *err,
                         size_t errlen) {
  memset(res, 0, sizeof *res);
  baton__prompts p;
  char perr[768], perr2[768] = "", cerr[768] = "";
  if (baton__prompts_load(r->cfg->prompts_dir, &p, perr, sizeof perr) != 0) {
    baton__prompts_release(&p);
    baton__fmt(err, errlen, "%s", perr);
    return BATON_CONFIG;
  }
  baton_rc rc = BATON_OK;
  plan_prompt pp;
  char *reply = NULL;
  int brc = plan_prompt_build(r, &p, &pp, err, errlen);
  if (brc != 0) {
    if (brc == -2)
      baton__fmt(err, errlen, "out of memory");
    rc = brc == -1 ? BATON_INVALID : BATON_NOMEM;
    goto out;
  }
  baton__llm_opts o;
  baton__llm_opts_init(&o);
  o.temperature = 0;
  o.format = format_of(r->cfg->llm_response_format, &o.format_fallback);
  o.schema_json = pp.schema;
  o.schema_name = "task_plan";
  o.cancel = r->cancel;
  baton__llm_format used = o.format;
  baton__llm_status st =
      plan_call(r, res, pp.msgs, pp.n_msgs, &o, &reply, &used, "plan", cerr, sizeof cerr);
  if (st != BATON__LLM_OK) {
    rc = llm_fail(st, "planning", cerr, err, errlen);
    goto out;
  }
  if (try_plan(r, reply, &res->g, perr, sizeof perr) == 0)
    goto out;
  o.format = used;
  int rr = repair_round(r, &p, &pp, &o, reply, perr, res, perr2, sizeof perr2, &rc, err, errlen);
  if (rr != 1)
    goto out;
  rc = answer_directly(r, &p, &pp, res, err, errlen);
  if (rc == BATON_OK)
    baton__fmt(res->note, sizeof res->note,
               "the LLM gave no usable plan (%s; after one repair: %s); answered directly", perr,
               perr2);
out:
  if (rc != BATON_OK) {
    baton__graph_release(&res->g);
    memset(&res->g, 0, sizeof res->g);
  }
  free(reply);
  plan_prompt_release(&pp);
  baton__prompts_release(&p);
  return rc;
}

/* ---- summarising -------------------------------------------------------------- */

static void render_results(const cJSON *tasks, size_t text_max, baton__sb *res, baton__sb *failed) {
  const cJSON *t;
  size_t n = 0, nf = 0;
  cJSON_ArrayForEach(t, tasks) {
    const char *task = str_item(t, "task");
    const char *model = str_item(t, "model");
    const char *status = str_item(t, "status");
    const char *error = str_item(t, "error");
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(t, "id");
    int id = cJSON_IsNumber(idj) ? idj->valueint : (int)n;
    baton__sb_addf(res, "- step %d: %s with model %s: %s\n", id, task ? task : "?",
                   model ? model : "(none)", status ? status : "?");
    if (error) {
      baton__sb_adds(res, "  error: ");
      add_cut(res, error, 500);
      baton__sb_addc(res, '\n');
    }
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(t, "outputs");
    const cJSON *o;
    if (cJSON_IsObject(outs))
      cJSON_ArrayForEach(o, outs) {
        const char *key = o->string ? o->string : "output";
        if (cJSON_IsString(o) && o->valuestring) {
          bool file = strcmp(key, "text") != 0 && o->valuestring[0] == '/';
          bool saved = strcmp(key, BATON__OUTPUT_FILE) == 0; /* "file: /run/summary.txt" */
          baton__sb_addf(res, "  %s%s: ", key, file && !saved ? " file" : "");
          if (!file)
            baton__sb_addc(res, '"');
          add_cut(res, o->valuestring, file ? 4096 : text_max);
          if (!file)
            baton__sb_addc(res, '"');
          baton__sb_addc(res, '\n');
        } else {
          char *js = cJSON_PrintUnformatted(o);
          if (js) {
            baton__sb_addf(res, "  %s: ", key);
            add_cut(res, js, text_max);
            baton__sb_addc(res, '\n');
            free(js);
          }
        }
      }
    if (status && strcmp(status, "done") != 0) {
      baton__sb_addf(failed, "%sstep %d (%s) %s", nf ? "; " : "", id, task ? task : "?", status);
      if (error) {
        baton__sb_adds(failed, ": ");
        add_cut(failed, error, 300);
      }
      nf++;
    }
    n++;
  }
  if (!n)
    baton__sb_adds(res, "(no steps ran: the request needed no model)\n");
  if (!nf)
    baton__sb_adds(failed, "none");
}

/* The plan as the summary needs it: each task's id, kind, inputs and
 * model, one a line, without the ranking that chose the model. */
static void render_plan(const cJSON *plan, baton__sb *sb) {
  const cJSON *t;
  size_t n = 0;
  cJSON_ArrayForEach(t, plan) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
    const char *task = str_item(t, "task"), *model = str_item(t, "model");
    baton__sb_addf(sb, "- step %d: %s(", cJSON_IsNumber(id) ? id->valueint : (int)n,
                   task ? task : "?");
    const cJSON *a;
    size_t k = 0;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(t, "args")) {
      baton__sb_addf(sb, "%s%s=", k++ ? ", " : "", a->string ? a->string : "?");
      add_cut(sb, cJSON_IsString(a) ? a->valuestring : "(value)", 200);
    }
    baton__sb_addf(sb, ") with %s\n", model ? model : "(no model)");
    n++;
  }
  if (!n)
    baton__sb_adds(sb, "(no steps)\n");
}

baton_rc baton__llm_summarize(const baton__llm_summary_req *r, char **answer,
                              baton__llm_usage *usage, baton__llm_call *call, char *err,
                              size_t errlen) {
  *answer = NULL;
  baton__prompts p;
  char perr[768];
  if (baton__prompts_load(r->cfg->prompts_dir, &p, perr, sizeof perr) != 0) {
    baton__prompts_release(&p);
    baton__fmt(err, errlen, "%s", perr);
    return BATON_CONFIG;
  }
  char *history = NULL;
  if (baton__chat_history_render(r->messages_json, r->cfg->llm_history_chars, &history, NULL,
                                 err, errlen) != 0) {
    baton__prompts_release(&p);
    return BATON_INVALID;
  }
  baton__sb results, failed, plan;
  baton__sb_init(&results);
  baton__sb_init(&failed);
  baton__sb_init(&plan);
  render_results(r->tasks, p.result_chars, &results, &failed);
  render_plan(r->plan, &plan);
  char *res_s = baton__sb_detach(&results), *failed_s = baton__sb_detach(&failed),
       *plan_s = baton__sb_detach(&plan);
  const char *vars[] = {"request", r->request ? r->request : "(a plan given directly)",
                        "history", history,
                        "plan",    plan_s,
                        "results", res_s,
                        "failed",  failed_s,
                        NULL};
  char *user = res_s && failed_s && plan_s ? baton__prompt_render(p.summary_user, vars) : NULL;
  baton_rc rc = BATON_OK;
  if (!user) {
    baton__fmt(err, errlen, "out of memory");
    rc = BATON_NOMEM;
  } else {
    baton__llm_msg msgs[2] = {{"system", p.summary_system}, {"user", user}};
    baton__llm_opts o;
    baton__llm_opts_init(&o);
    o.stream = true;
    o.on_delta = r->on_delta;
    o.delta_ud = r->delta_ud;
    o.cancel = r->cancel;
    char cerr[768] = "";
    baton__llm_usage u = {0};
    baton__llm_status st = chat_counted(r->llm, msgs, 2, &o, answer, NULL, usage ? usage : &u,
                                        call, "summary", cerr, sizeof cerr);
    if (st != BATON__LLM_OK)
      rc = llm_fail(st, "summarising", cerr, err, errlen);
  }
  free(user);
  free(res_s);
  free(failed_s);
  free(plan_s);
  free(history);
  baton__prompts_release(&p);
  return rc;
}
