/* run.c — a run: plan, model choice, dependency-ordered parallel execution, result and events. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "core/util.h"
#include "executors/hf.h"
#include "planner/llm_planner.h"
#include "planner/offline.h"
#include "planner/summary.h"
#include "planner/taskgraph.h"
#include "runtime/context.h"
#include "runtime/inputs.h"
#include "runtime/preflight.h"
#include "runtime/run_owner.h"
#include "runtime/sched.h"
#include "runtime/runnable.h"
#include "core/banned.h"

#define MAX_CANDIDATES 5

typedef enum { TS_PENDING, TS_RUNNING, TS_DONE, TS_FAILED, TS_SKIPPED, TS_CANCELLED } task_status;

static const char *const status_names[] = {"pending", "running", "done",
                                           "failed",  "skipped", "cancelled"};

/* How a run came to be: planned now, resumed from the history (its finished
 * tasks kept), or replayed from a recorded run without calling any model. */
typedef enum { MODE_NEW, MODE_RESUME, MODE_REPLAY } run_mode;

typedef struct task_state {
  task_status status;
  int waiting;            /* dependencies not yet done */
  char *model;            /* the model that ran (or was tried last) */
  char endpoint[64];      /* the configured model server that answered, or "" */
  char *error;
  baton__values out;
  int64_t ms;
  char worker[128];       /* the queue worker that ran it ("HOST:NAME"), or "" */
} task_state;

struct baton_run {
  baton *ctx;
  char id[32];
  long long uid;          /* who the run belongs to */
  char *request;
  char *root;             /* real path inputs are resolved against */
  int root_fd;            /* that folder, opened once (while root is set), or -1 */
  char *workspace;
  baton__graph g;
  task_state *ts;
  baton_event_fn on_event;
  void *ud;

  pthread_mutex_t lock;   /* guards ts, remaining, finished */
  pthread_cond_t cond;
  pthread_mutex_t event_lock;
  baton__sched sched;     /* ids, dependents, text languages */
  struct run_item {       /* a task (or, last, the finishing) queued on the context's pool */
    baton__taskpool_item item;
    struct baton_run *run;
    size_t idx;
  } *items;               /* g.n + 1 */
  size_t remaining;       /* tasks not yet in a final state */
  bool started;           /* items were queued: freeing waits for the end */
  bool finished;
  atomic_int cancel;

  baton_rc rc;
  char *result_json;
  char *summary;
  char *messages;         /* chat history given with the request, or NULL */
  struct llm_info {       /* what LLM planning left for the rest of the run */
    bool used;            /* the plan came from the LLM */
    char *answer;         /* its direct answer when it made no plan, or NULL */
    baton__llm_usage usage;
    baton__llm_call calls[BATON__LLM_PLAN_CALLS + 1]; /* each call: plan..., summary */
    size_t n_calls;
  } llm;
  run_mode mode;
  char *replay_of;        /* replay: the id of the recorded run */
  atomic_int ws_ready;    /* the workspace folder exists */
  struct ep_cache {       /* model -> endpoint, looked up once per run */
    char model[192];
    char ep[256];
    bool found;
  } *epc;
  size_t n_epc, cap_epc;
  cJSON *recorded;        /* replay: the recorded run's "tasks" array */
};

/* ---- events ------------------------------------------------------------ */

static const char *const event_names[] = {"plan",   "task.started",  "task.finished",
                                          "task.failed", "summary.delta", "done",
                                          "task.waiting"};

const char *baton_event_name(baton_event_type type) {
  if ((unsigned)type >= sizeof event_names / sizeof event_names[0])
    return "unknown";
  return event_names[type];
}

static void emit(baton_run *run, baton_event_type type, int task_idx, const char *text,
                 const char *json) {
  if (!run->on_event)
    return;
  baton_event ev = {.size = sizeof ev, .type = type, .run_id = run->id, .task_id = -1,
                    .text = text, .json = json, .ts = baton__wall_s()};
  if (task_idx >= 0) {
    ev.task_id = run->g.tasks[task_idx].id;
    ev.task = run->g.tasks[task_idx].task;
    ev.model = run->ts[task_idx].model ? run->ts[task_idx].model : run->g.tasks[task_idx].model;
  }
  pthread_mutex_lock(&run->event_lock);
  run->on_event(run->ud, &ev);
  pthread_mutex_unlock(&run->event_lock);
}

/* ---- inputs -------------------------------------------------------------- */

/* The folders inputs may come from, as real paths: the caller's folder
 * (run->root, when there is one) first, then allowed_roots. */
static size_t input_roots(const baton_run *run, char **roots, size_t cap) {
  size_t n = 0;
  if (run->root && (roots[n] = baton__strdup(run->root)))
    n++;
  for (size_t i = 0; i < run->ctx->cfg.n_allowed_roots && n < cap; i++)
    if ((roots[n] = realpath(run->ctx->cfg.allowed_roots[i], NULL)))
      n++;
  return n;
}

/* Opens one file argument now (see inputs.h) and copies it into the run's
 * workspace, so what runs reads the bytes checked here, never the path
 * again (a folder swapped for a link later changes nothing). */
static int take_input(baton_run *run, const baton__input_scope *scope, const baton__task *t,
                      baton__arg *a, char *err, size_t errlen) {
  int fd = baton__input_open(scope, a->value, err, errlen);
  if (fd < 0)
    return -1;
  char *dir = baton__path_join(run->workspace, "inputs");
  const char *base = strrchr(a->value, '/');
  base = base ? base + 1 : a->value;
  char name[300];
  baton__fmt(name, sizeof name, "t%d-%s-%s", t->id, a->name, base);
  char *dst = dir ? baton__path_join(dir, name) : NULL;
  int rc = -1;
  if (!dst)
    baton__fmt(err, errlen, "out of memory");
  else if (baton__mkdirs(dir, 0700) != 0)
    baton__fmt(err, errlen, "cannot create %s: %s", dir, strerror(errno));
  else
    rc = baton__input_copy(fd, dst, err, errlen);
  close(fd);
  free(dir);
  if (rc == 0) {
    free(a->value);
    a->value = dst;
  } else {
    free(dst);
  }
  return rc;
}

/* Checks every literal file argument now, so a missing file is a usage error
 * before anything runs, and takes a copy of each (take_input). */
static baton_rc check_inputs(baton_run *run, const baton_request *req) {
  size_t cap = run->ctx->cfg.n_allowed_roots + 1;
  char **roots = calloc(cap, sizeof *roots);
  int *root_fds = malloc(cap * sizeof *root_fds);
  if (!roots || !root_fds) {
    free(roots);
    free(root_fds);
    return baton__fail(run->ctx, BATON_NOMEM, "out of memory");
  }
  size_t n_roots = input_roots(run, roots, cap);
  bool own = n_roots && run->root && !strcmp(roots[0], run->root);
  for (size_t i = 0; i < cap; i++) /* the caller's folder as opened; allowed_roots by path */
    root_fds[i] = i == 0 && own ? run->root_fd : -1;
  baton__input_scope scope = {.roots = (const char *const *)roots, .root_fds = root_fds,
                              .n_roots = n_roots,
                              .as_caller = req->as_caller && req->caller_uid != geteuid(),
                              .uid = req->caller_uid, .gid = req->caller_gid,
                              .max_bytes = run->ctx->cfg.max_input_bytes};
  baton_rc rc = BATON_OK;
  for (size_t i = 0; rc == BATON_OK && i < run->g.n; i++) {
    baton__task *t = &run->g.tasks[i];
    for (size_t j = 0; rc == BATON_OK && j < t->n_args; j++) {
      baton__arg *a = &t->args[j];
      unsigned type = baton__type_from_name(a->name);
      if (a->ref >= 0)
        continue;
      if (type == BATON__T_TEXT && strlen(a->value) > run->ctx->cfg.max_text_bytes) {
        rc = baton__fail(run->ctx, BATON_LIMIT,
                         "task %d: the text argument is longer than %zu bytes", t->id,
                         run->ctx->cfg.max_text_bytes);
        break;
      }
      if (!(type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)))
        continue;
      char err[700];
      if (take_input(run, &scope, t, a, err, sizeof err) != 0)
        rc = baton__fail(run->ctx, strstr(err, "bytes; the limit") ? BATON_LIMIT : BATON_INVALID,
                         "task %d: %s", t->id, err);
    }
  }
  for (size_t i = 0; i < n_roots; i++)
    free(roots[i]);
  free(roots);
  free(root_fds);
  return rc;
}

/* ---- model choice -------------------------------------------------------- */

static char *step_text(const baton__task *t, const char *request) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t j = 0; j < t->n_args; j++)
    if (t->args[j].ref < 0 && baton__type_from_name(t->args[j].name) == BATON__T_TEXT) {
      baton__sb_add(&sb, t->args[j].value, strnlen(t->args[j].value, 2000));
      baton__sb_addc(&sb, ' ');
    }
  if (request)
    baton__sb_add(&sb, request, strnlen(request, 4000));
  return baton__sb_detach(&sb);
}

/* Says why no model can do a step and how to add one (into out). */
static void missing_model(baton *ctx, const char *task, const char *text, char *out,
                          size_t cap) {
  char why[512] = "no model is registered for it";
  baton__model m[1];
  size_t n = 0;
  char err[256];
  /* A model the filter rejected tells why. */
  if (baton__registry_match(ctx->reg, task, text, NULL, NULL, m, 1, &n, err, sizeof err) == 0 &&
      n) {
    baton__endpoint_ok(ctx, m[0].endpoint, why, sizeof why);
    baton__model_release(&m[0]);
  }
  char un[400];
  size_t l = strlen(why);
  if (baton__endpoints_unserved(ctx, task, un, sizeof un))
    baton__fmt(why + l, sizeof why - l, "; %s", un);
  const char *need = baton__capability_needed(task, text);
  baton__fmt(out, cap,
             "no available model can do %s%s%s (%s); add one: declare a model for it on a "
             "model server in the config (endpoints: - {name: NAME, base_url: URL, models: "
             "[{id: MODEL, tasks: [%s]}]}) or register one with `baton models add`",
             task, need ? ": the step needs " : "", need ? need : "", why, task);
}

/* Picks a model and fallbacks for every task that has none. A task with no
 * available model keeps model NULL and its choice says what is missing;
 * the run then refuses to start (prepare). */
static baton_rc assign_models(baton *ctx, baton__graph *g, const char *request) {
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    if (t->model)
      continue;
    baton__model found[MAX_CANDIDATES];
    size_t n = 0;
    char err[512] = "";
    char *text = step_text(t, request);
    int rc = baton__registry_match(ctx->reg, t->task, text, baton__endpoint_ok, ctx, found,
                                   MAX_CANDIDATES, &n, err, sizeof err);
    free(text);
    if (rc != 0)
      return baton__fail(ctx, BATON_DB, "choosing a model for task %d: %s", t->id, err);
    if (n) {
      /* Why this model: the score parts of every candidate kept. */
      cJSON *why = cJSON_CreateObject();
      cJSON *cands = cJSON_AddArrayToObject(why, "ranked");
      for (size_t k = 0; k < n; k++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddItemToArray(cands, c);
        cJSON_AddStringToObject(c, "model", found[k].id);
        cJSON_AddStringToObject(c, "endpoint", found[k].endpoint);
        cJSON_AddNumberToObject(c, "score", found[k].score);
        cJSON_AddNumberToObject(c, "relevance", found[k].relevance);
        cJSON_AddNumberToObject(c, "popularity", found[k].popularity);
        cJSON_AddNumberToObject(c, "health", found[k].health);
        cJSON_AddNumberToObject(c, "local_bonus", found[k].local_bonus);
      }
      baton__sb reason;
      baton__sb_init(&reason);
      baton__sb_addf(&reason, "%s has the best score (%.3f = relevance %.3f + popularity %.3f + "
                              "health %.3f + local %.3f) of %zu available model%s for %s",
                     found[0].id, found[0].score, found[0].relevance, found[0].popularity,
                     found[0].health + 0.0, found[0].local_bonus, n, n == 1 ? "" : "s", t->task);
      char *rs = baton__sb_detach(&reason);
      cJSON_AddStringToObject(why, "reason", rs ? rs : "");
      free(rs);
      t->choice = cJSON_PrintUnformatted(why);
      cJSON_Delete(why);
      t->model = found[0].id;
      found[0].id = NULL;
      t->candidates = calloc(n, sizeof *t->candidates);
      for (size_t k = 1; t->candidates && k < n; k++) {
        t->candidates[t->n_candidates++] = found[k].id;
        found[k].id = NULL;
      }
    }
    if (!n) {
      char miss[768];
      char *st = step_text(t, request);
      missing_model(ctx, t->task, st, miss, sizeof miss);
      free(st);
      cJSON *why = cJSON_CreateObject();
      cJSON_AddStringToObject(why, "reason", miss);
      cJSON_AddBoolToObject(why, "missing", true);
      free(t->choice);
      t->choice = cJSON_PrintUnformatted(why);
      cJSON_Delete(why);
    }
    for (size_t k = 0; k < n; k++)
      baton__model_release(&found[k]);
  }
  return BATON_OK;
}

/* Refuses a graph with a step no available model can do, before anything
 * runs: the message names the step, the missing kind and how to add one. */
static baton_rc check_models(baton *ctx, const baton__graph *g) {
  for (size_t i = 0; i < g->n; i++) {
    const baton__task *t = &g->tasks[i];
    if (t->model)
      continue;
    cJSON *ch = t->choice ? cJSON_Parse(t->choice) : NULL;
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "reason"));
    baton_rc rc = baton__fail(ctx, BATON_NOTFOUND, "nothing ran: step %d (%s): %s", t->id,
                              t->task, why ? why : "no available model can do it");
    cJSON_Delete(ch);
    return rc;
  }
  return BATON_OK;
}

static const baton__taskspec *lookup_task(void *ud, const char *name) {
  return baton__registry_task(((baton *)ud)->reg, name);
}

/* Makes the graph for a request: the plan given, or the planner's. */
/* Takes a planning slot for baton_interrupt(): its index, or -1 when all
 * are taken (the call then cannot be interrupted). */
static int plan_slot_take(baton *ctx) {
  for (int i = 0; i < BATON__PLAN_SLOTS; i++) {
    int free_ = 0;
    if (atomic_compare_exchange_strong(&ctx->plan_used[i], &free_, 1)) {
      atomic_store(&ctx->plan_stop[i], 0);
      return i;
    }
  }
  return -1;
}

static void plan_slot_give(baton *ctx, int i) {
  if (i >= 0)
    atomic_store(&ctx->plan_used[i], 0);
}

void baton_interrupt(baton *ctx) {
  if (!ctx)
    return;
  for (int i = 0; i < BATON__PLAN_SLOTS; i++)
    if (atomic_load(&ctx->plan_used[i]))
      atomic_store(&ctx->plan_stop[i], 1);
}

static baton_rc make_graph(baton *ctx, const baton_request *req, const char *root,
                           baton__graph *g, struct llm_info *li) {
  char err[768] = "";
  if (req->plan_json) {
    size_t len = strlen(req->plan_json);
    if (len > ctx->cfg.max_plan_bytes)
      return baton__fail(ctx, BATON_LIMIT, "the plan is %zu bytes; the limit is %zu", len,
                         ctx->cfg.max_plan_bytes);
    if (baton__graph_parse(req->plan_json, len, ctx->cfg.max_tasks, g, err, sizeof err) != 0)
      return baton__fail(ctx, BATON_PLAN, "%s", err);
  } else {
    if (!req->text || !*req->text)
      return baton__fail(ctx, BATON_INVALID, "the request is empty");
    size_t len = strlen(req->text);
    if (len > ctx->cfg.max_request_bytes)
      return baton__fail(ctx, BATON_LIMIT, "the request is %zu bytes; the limit is %zu", len,
                         ctx->cfg.max_request_bytes);
    if (ctx->llm && !req->offline) {
      int slot = plan_slot_take(ctx);
      size_t n_kinds = 0;
      const baton__taskspec *kinds = baton__registry_tasks(ctx->reg, &n_kinds);
      unsigned char *runnable = baton__runnable_kinds(ctx, kinds, n_kinds);
      baton__llm_plan_req pr = {.llm = ctx->llm, .cfg = &ctx->cfg, .reg = ctx->reg,
                                .request = req->text, .messages_json = req->messages,
                                .inputs = req->inputs, .n_inputs = req->n_inputs,
                                .runnable = runnable,
                                .cancel = slot >= 0 ? &ctx->plan_stop[slot] : NULL};
      baton__llm_plan_res res;
      baton_rc lrc = baton__llm_plan(&pr, &res, err, sizeof err);
      plan_slot_give(ctx, slot);
      free(runnable);
      if (li) {
        li->used = true;
        li->usage = res.usage;
        memcpy(li->calls, res.calls, res.n_calls * sizeof res.calls[0]);
        li->n_calls = res.n_calls;
      }
      if (res.note[0])
        baton__log(ctx, BATON_LOG_WARN, "%s", res.note);
      if (lrc != BATON_OK) {
        baton__llm_plan_res_release(&res);
        return baton__fail(ctx, lrc, "%s", err);
      }
      *g = res.g;
      memset(&res.g, 0, sizeof res.g);
      if (li) {
        li->answer = res.answer;
        res.answer = NULL;
      }
      baton__llm_plan_res_release(&res);
      /* No tasks: the request needs no model; the answer comes from the LLM. */
      return g->n ? assign_models(ctx, g, req->text) : BATON_OK;
    }
    size_t n_tasks = 0;
    const baton__taskspec *tasks = baton__registry_tasks(ctx->reg, &n_tasks);
    unsigned char *runnable = baton__runnable_kinds(ctx, tasks, n_tasks);
    char note[256] = "";
    baton__offline_req orq = {.request = req->text, .inputs = req->inputs,
                              .n_inputs = req->n_inputs, .tasks = tasks, .n_tasks = n_tasks,
                              .runnable = runnable, .messages_json = req->messages,
                              .note = note, .notelen = sizeof note};
    int orc = baton__plan_offline_req(&orq, g, err, sizeof err);
    free(runnable);
    if (orc != 0)
      return baton__fail(ctx, BATON_PLAN, "%s", err);
    if (note[0])
      baton__log(ctx, BATON_LOG_WARN, "%s", note);
  }
  (void)root;
  if (g->n == 0)
    return baton__fail(ctx, BATON_PLAN, "the plan has no tasks");
  if (baton__graph_validate(g, lookup_task, ctx, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_PLAN, "%s", err);
  return assign_models(ctx, g, req->text);
}

static char *resolve_root(baton *ctx, const baton_request *req, int *fd) {
  char cwd[PATH_MAX];
  const char *r = req->input_root;
  if (!r) {
    if (!getcwd(cwd, sizeof cwd)) {
      baton__fail(ctx, BATON_IO, "cannot read the current folder: %s", strerror(errno));
      return NULL;
    }
    r = cwd;
  }
  char *real = NULL;
  *fd = baton__input_root_open(r, &real);
  if (*fd < 0)
    baton__fail(ctx, BATON_INVALID, "input folder %s: %s", r, strerror(errno));
  return real;
}

/* ---- JSON views ------------------------------------------------------------ */

static cJSON *outputs_json(const baton__values *vs) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; o && i < vs->n; i++) {
    const baton__value *v = &vs->v[i];
    const char *key = v->type ? baton__type_name(v->type) : v->name;
    if (cJSON_GetObjectItemCaseSensitive(o, key))
      key = v->name; /* a second value of one type keeps its own name */
    if (cJSON_GetObjectItemCaseSensitive(o, key))
      continue;
    if (v->type == BATON__T_JSON) {
      cJSON *j = cJSON_Parse(v->data);
      cJSON_AddItemToObject(o, key, j ? j : cJSON_CreateString(v->data));
    } else {
      cJSON_AddStringToObject(o, key, v->data);
    }
  }
  return o;
}

static cJSON *task_json(const baton_run *run, size_t i) {
  const baton__task *t = &run->g.tasks[i];
  const task_state *s = &run->ts[i];
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddNumberToObject(o, "id", t->id);
  cJSON_AddStringToObject(o, "task", t->task);
  const char *model = s->model ? s->model : t->model;
  if (model)
    cJSON_AddStringToObject(o, "model", model);
  else
    cJSON_AddNullToObject(o, "model");
  cJSON_AddStringToObject(o, "status", status_names[s->status]);
  if (s->endpoint[0])
    cJSON_AddStringToObject(o, "endpoint", s->endpoint);
  cJSON_AddItemToObject(o, "outputs", outputs_json(&s->out));
  if (s->error)
    cJSON_AddStringToObject(o, "error", s->error);
  else
    cJSON_AddNullToObject(o, "error");
  cJSON_AddNumberToObject(o, "ms", (double)s->ms);
  if (s->worker[0])
    cJSON_AddStringToObject(o, "worker", s->worker);
  return o;
}

static cJSON *tasks_json(const baton_run *run) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < run->g.n; i++)
    cJSON_AddItemToArray(arr, task_json(run, i));
  return arr;
}

/* Writes a task's current state to the run history. Failures are logged, not
 * fatal: the run itself goes on. */
static void persist_task(baton_run *run, size_t idx) {
  const task_state *s = &run->ts[idx];
  const baton__task *t = &run->g.tasks[idx];
  char *outs = NULL;
  if (s->out.n) {
    cJSON *o = outputs_json(&s->out);
    outs = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
  }
  char err[512];
  if (baton__runstore_task(run->ctx->runs, run->id, t->id, t->task, s->model ? s->model : t->model,
                           s->endpoint[0] ? s->endpoint : NULL, status_names[s->status], outs,
                           s->error, (long long)s->ms, err, sizeof err) != 0)
    baton__log(run->ctx, BATON_LOG_WARN, "run %s: %s", run->id, err);
  free(outs);
}

/* ---- execution -------------------------------------------------------------- */

/* Gathers a task's inputs: literals, and the outputs of the tasks it names. */
static int gather_inputs(baton_run *run, size_t idx, baton__values *in, char *err, size_t errlen) {
  const baton__task *t = &run->g.tasks[idx];
  for (size_t j = 0; j < t->n_args; j++) {
    const baton__arg *a = &t->args[j];
    unsigned type = baton__type_from_name(a->name);
    if (a->ref < 0) {
      if (baton__values_add(in, a->name, type, a->value) != 0) {
        baton__fmt(err, errlen, "too many arguments");
        return -1;
      }
      continue;
    }
    int src = baton__graph_index_find(&run->sched.ix, a->ref);
    const baton__values *out = &run->ts[src].out;
    const baton__value *v = baton__values_get_type(out, type ? type : BATON__T_TEXT);
    if (!v) {
      baton__fmt(err, errlen, "task %d produced no %s for task %d", a->ref,
                 baton__type_name(type ? type : BATON__T_TEXT), t->id);
      return -1;
    }
    if (baton__values_add(in, a->name, type, v->data) != 0) {
      baton__fmt(err, errlen, "too many arguments");
      return -1;
    }
    /* Text from a translation carries its language along as "lang". */
    const char *lang = type == BATON__T_TEXT ? run->sched.lang[src] : NULL;
    if (lang && !baton__values_get(in, "lang") && baton__values_add(in, "lang", 0, lang) != 0) {
      baton__fmt(err, errlen, "too many arguments");
      return -1;
    }
  }
  return 0;
}

/* Values from a stored "outputs" object: texts as they were, files by path. */
static int values_from_outputs(const cJSON *outs, baton__values *vs) {
  const cJSON *o;
  cJSON_ArrayForEach(o, outs) {
    unsigned type = baton__type_from_name(o->string);
    int rc;
    if (cJSON_IsString(o)) {
      rc = baton__values_add(vs, o->string, type, o->valuestring);
    } else {
      char *js = cJSON_PrintUnformatted(o);
      rc = js ? baton__values_add_own(vs, o->string, type ? type : BATON__T_JSON, js) : -1;
    }
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* The recorded task with that id, or NULL. */
static const cJSON *recorded_task(const baton_run *run, int id) {
  const cJSON *t;
  cJSON_ArrayForEach(t, run->recorded) {
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
    if (cJSON_IsNumber(tid) && tid->valueint == id)
      return t;
  }
  return NULL;
}

/* Creates the run's workspace folder the first time a task may write a file
 * (text-only runs never touch the disk). 0, or -1 with err. */
static int ensure_workspace(baton_run *run, const baton__task *t, char *err, size_t errlen) {
  if (atomic_load(&run->ws_ready))
    return 0;
  const baton__taskspec *spec = baton__registry_task(run->ctx->reg, t->task);
  if (spec && !(spec->outputs & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)))
    return 0;
  if (baton__mkdirs(run->workspace, 0700) != 0) {
    baton__fmt(err, errlen, "cannot create the run folder %s: %s", run->workspace,
               strerror(errno));
    return -1;
  }
  atomic_store(&run->ws_ready, 1);
  return 0;
}

/* Replays one task: its recorded outputs, files copied into this run's
 * workspace byte for byte, or its recorded failure. No model is called. */
static void replay_task(baton_run *run, size_t idx) {
  baton__task *t = &run->g.tasks[idx];
  task_state *s = &run->ts[idx];
  const cJSON *rt = recorded_task(run, t->id);
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(rt, "status");
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(rt, "model");
  if (cJSON_IsString(model))
    s->model = baton__strdup(model->valuestring);
  if (!cJSON_IsString(status) || strcmp(status->valuestring, "done") != 0) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(rt, "error");
    s->status = TS_FAILED;
    s->error = baton__strdup(cJSON_IsString(e) ? e->valuestring : "the recorded task did not finish");
    return;
  }
  baton__values rec = {0};
  char err[600] = "";
  if (ensure_workspace(run, t, err, sizeof err) != 0) {
    /* err says why */
  } else if (values_from_outputs(cJSON_GetObjectItemCaseSensitive(rt, "outputs"), &rec) != 0) {
    baton__fmt(err, sizeof err, "cannot read the recorded outputs");
  } else {
    for (size_t i = 0; i < rec.n && !err[0]; i++) {
      baton__value *v = &rec.v[i];
      if (!(v->type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)) || !v->data)
        continue;
      const char *base = strrchr(v->data, '/');
      char *dst = baton__path_join(run->workspace, base ? base + 1 : v->data);
      if (!dst || baton__copy_file(v->data, dst, err, sizeof err) != 0) {
        if (!dst)
          baton__fmt(err, sizeof err, "out of memory");
        free(dst);
        break;
      }
      free(v->data);
      v->data = dst;
    }
  }
  if (err[0]) {
    baton__values_release(&rec);
    s->status = TS_FAILED;
    s->error = baton__strdup(err);
    return;
  }
  s->out = rec;
  s->status = TS_DONE;
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(rt, "ms");
  s->ms = cJSON_IsNumber(ms) ? (int64_t)ms->valuedouble : 0;
}

/* A model's endpoint, asked of the registry once per run and model.
 * 0, or -1 when the registry does not know the model. */
static int run_endpoint(baton_run *run, const char *model, char *ep, size_t cap) {
  pthread_mutex_lock(&run->lock);
  for (size_t i = 0; i < run->n_epc; i++)
    if (strcmp(run->epc[i].model, model) == 0) {
      int rc = run->epc[i].found ? 0 : -1;
      baton__fmt(ep, cap, "%s", run->epc[i].ep);
      pthread_mutex_unlock(&run->lock);
      return rc;
    }
  pthread_mutex_unlock(&run->lock);
  int rc = baton__registry_endpoint(run->ctx->reg, model, ep, cap);
  pthread_mutex_lock(&run->lock);
  if (run->n_epc == run->cap_epc) {
    size_t ncap = run->cap_epc ? run->cap_epc * 2 : 8;
    void *n = realloc(run->epc, ncap * sizeof *run->epc);
    if (n) {
      run->epc = n;
      run->cap_epc = ncap;
    }
  }
  if (run->n_epc < run->cap_epc) {
    baton__fmt(run->epc[run->n_epc].model, sizeof run->epc[0].model, "%s", model);
    baton__fmt(run->epc[run->n_epc].ep, sizeof run->epc[0].ep, "%s", rc == 0 ? ep : "");
    run->epc[run->n_epc].found = rc == 0;
    run->n_epc++;
  }
  pthread_mutex_unlock(&run->lock);
  return rc;
}

/* What a task's executor may ask of the runtime: pictures halved by the
 * local image executor (baton__exec_env.shrink_image). */
typedef struct shrink_ctx {
  baton_run *run;
  const char *prefix;
  int n;
} shrink_ctx;

static int shrink_image(void *ud, const char *path, char *out, size_t cap, char *err,
                        size_t errlen) {
  shrink_ctx *sc = ud;
  baton *ctx = sc->run->ctx;
  char why[256] = "";
  if (!baton__endpoint_ok(ctx, "local:vips", why, sizeof why)) {
    baton__fmt(err, errlen, "no local image resizer to shrink it with (%s)", why);
    return -1;
  }
  char prefix[64];
  baton__fmt(prefix, sizeof prefix, "%s-small%d", sc->prefix, ++sc->n);
  if (baton__mkdirs(sc->run->workspace, 0700) != 0) {
    baton__fmt(err, errlen, "cannot create the run folder %s", sc->run->workspace);
    return -1;
  }
  baton__values in = {0}, res = {0};
  baton__values_add(&in, "image", BATON__T_IMAGE, path);
  baton__values_add(&in, "instruction", 0, "half size");
  baton__exec_env env = {.cfg = &ctx->cfg, .workspace = sc->run->workspace,
                         .file_prefix = prefix, .cancel = &sc->run->cancel,
                         .timeout_ms = ctx->cfg.task_timeout_ms, .model = "local/vips",
                         .endpoint = "local:vips"};
  int rc = baton__slot_run(baton__slot(ctx, "local:vips"), "image-to-image", &in, &env, &res);
  const baton__value *img = baton__values_get_type(&res, BATON__T_IMAGE);
  if (rc == 0 && img && img->data)
    baton__fmt(out, cap, "%s", img->data);
  else
    baton__fmt(err, errlen, "shrinking it failed: %s", env.err[0] ? env.err : "no picture came back");
  rc = rc == 0 && img && img->data ? 0 : -1;
  baton__values_release(&in);
  baton__values_release(&res);
  return rc;
}

/* A task waiting for a queue worker says so as an event. */
struct waiting_ud {
  baton_run *run;
  size_t idx;
};

static void task_waiting(void *ud, const char *text) {
  struct waiting_ud *w = ud;
  emit(w->run, BATON_EVENT_TASK_WAITING, (int)w->idx, text, NULL);
}

/* Runs a task once on its executor: on a queue worker when the queue takes
 * the endpoint, else here (in-process or in a local worker process). */
static int run_once(baton_run *run, size_t idx, baton__exec_slot *slot, const char *ep,
                    const baton__values *in, baton__exec_env *env, baton__values *out) {
  baton__queue *q = run->ctx->queue;
  if (!baton__queue_takes(q, ep))
    return baton__slot_run(slot, run->g.tasks[idx].task, in, env, out);
  struct waiting_ud wu = {run, idx};
  baton__queue_job job = {.run = run->id, .task_id = run->g.tasks[idx].id, .executor = ep + 6,
                          .task = run->g.tasks[idx].task, .waiting = task_waiting, .ud = &wu,
                          .worker = run->ts[idx].worker, .worker_cap = sizeof run->ts[idx].worker};
  return baton__queue_run(q, &job, in, env, out);
}

/* Runs one task on its model, then on each fallback until one succeeds. */
static void execute(baton_run *run, size_t idx) {
  baton *ctx = run->ctx;
  baton__task *t = &run->g.tasks[idx];
  task_state *s = &run->ts[idx];
  if (run->mode == MODE_REPLAY) {
    replay_task(run, idx);
    return;
  }
  int64_t t0 = baton__now_ms();
  baton__values in = {0};
  char err[600] = "";
  if (ensure_workspace(run, t, err, sizeof err) != 0 ||
      gather_inputs(run, idx, &in, err, sizeof err) != 0) {
    s->error = baton__strdup(err);
    s->status = TS_FAILED;
    baton__values_release(&in);
    return;
  }
  if (!t->model) {
    char why[512] = "no model is registered for it";
    baton__model m[1];
    size_t n = 0;
    /* Explain why: find a model the filter rejected. */
    if (baton__registry_match(ctx->reg, t->task, NULL, NULL, NULL, m, 1, &n, err, sizeof err) ==
            0 &&
        n) {
      baton__endpoint_ok(ctx, m[0].endpoint, why, sizeof why);
      baton__model_release(&m[0]);
    }
    baton__fmt(err, sizeof err, "no model available for %s: %s", t->task, why);
    s->error = baton__strdup(err);
    s->status = TS_FAILED;
    baton__values_release(&in);
    return;
  }
  char prefix[32];
  baton__fmt(prefix, sizeof prefix, "task%d", t->id);
  shrink_ctx shrink = {.run = run, .prefix = prefix};
  for (size_t k = 0; k <= t->n_candidates; k++) {
    const char *model = k == 0 ? t->model : t->candidates[k - 1];
    if (atomic_load(&run->cancel))
      break;
    free(s->model);
    s->model = baton__strdup(model);
    char ep[256] = "";
    /* The registry knows each model's endpoint; an unregistered id that looks
     * like a Hub id ("ORG/NAME") goes to the remote inference API. */
    if (run_endpoint(run, model, ep, sizeof ep) != 0) {
      if (!baton__hf_is_hub_id(model)) {
        baton__fmt(err, sizeof err, "model '%s' is not in the registry", model);
        continue;
      }
      baton__fmt(ep, sizeof ep, "hf-inference");
    }
    baton__exec_slot *slot = baton__slot(ctx, ep);
    if (!slot && !baton__queue_takes(ctx->queue, ep)) {
      char why[256];
      baton__endpoint_ok(ctx, ep, why, sizeof why);
      baton__fmt(err, sizeof err, "%s: %s", model, why);
      continue;
    }
    baton__exec_env env = {.cfg = &ctx->cfg, .pool = ctx->pool, .workspace = run->workspace,
                           .file_prefix = prefix,
                           .cancel = &run->cancel, .timeout_ms = ctx->cfg.task_timeout_ms,
                           .model = model, .endpoint = ep, .shrink_image = shrink_image,
                           .shrink_ud = &shrink};
    baton__values out = {0};
    int64_t m0 = baton__now_ms();
    int ran = run_once(run, idx, slot, ep, &in, &env, &out);
    /* A transient failure (connection, 5xx, rate limit) is retried on the
     * same model with exponential backoff and jitter before falling back. */
    for (int retry = 0; ran != 0 && env.transient && retry < ctx->cfg.task_retries; retry++) {
      int64_t wait = (int64_t)200 << retry;
      if (wait > 4000)
        wait = 4000;
      wait += (int64_t)(baton__now_ms() % 97) * wait / 200; /* jitter, up to ~half */
      baton__log(ctx, BATON_LOG_INFO, "run %s task %d on %s: %s; retrying in %lld ms", run->id,
                 t->id, model, env.err, (long long)wait);
      for (int64_t until = baton__now_ms() + wait;
           baton__now_ms() < until && !atomic_load(&run->cancel);)
        usleep(10 * 1000);
      if (atomic_load(&run->cancel))
        break;
      baton__values_release(&out);
      env.err[0] = '\0';
      env.transient = false;
      ran = run_once(run, idx, slot, ep, &in, &env, &out);
      if (ran != 0 && retry + 1 == ctx->cfg.task_retries) {
        char last[sizeof env.err];
        baton__fmt(last, sizeof last, "%s (after %d attempts)", env.err, retry + 2);
        baton__fmt(env.err, sizeof env.err, "%s", last);
      }
    }
    baton__fmt(s->endpoint, sizeof s->endpoint, "%s", env.answered);
    /* Health feeds the next choice of model (debug executors have none). */
    if (strcmp(ep, "local:debug") != 0 && !atomic_load(&run->cancel))
      baton__registry_health_record(ctx->reg, model, ran == 0, (long)(baton__now_ms() - m0),
                                    ran == 0 ? NULL : env.err);
    if (ran == 0) {
      baton__values_release(&s->out);
      s->out = out;
      s->status = TS_DONE;
      free(s->error);
      s->error = NULL;
      s->ms = baton__now_ms() - t0;
      baton__values_release(&in);
      return;
    }
    baton__values_release(&out);
    baton__fmt(err, sizeof err, "%s", env.err[0] ? env.err : "the executor failed");
    baton__log(ctx, BATON_LOG_WARN, "run %s task %d on %s failed: %s", run->id, t->id, model, err);
  }
  baton__values_release(&in);
  s->ms = baton__now_ms() - t0;
  if (atomic_load(&run->cancel)) {
    s->status = TS_CANCELLED;
    s->error = baton__strdup("cancelled");
  } else {
    s->status = TS_FAILED;
    s->error = baton__strdup(err[0] ? err : "failed");
  }
}

/* Marks every task that depends (directly or not) on idx as skipped (each
 * naming the task it waited for), through the dependents table.
 * Called with run->lock held. */
static void skip_dependents(baton_run *run, size_t idx) {
  const baton__sched *sc = &run->sched;
  size_t *stack = sc->stack, depth = 0;
  stack[depth++] = idx;
  while (depth) {
    size_t x = stack[--depth];
    for (size_t e = sc->dep_start[x]; e < sc->dep_start[x + 1]; e++) {
      size_t i = sc->dep_list[e];
      task_state *s = &run->ts[i];
      if (s->status != TS_PENDING)
        continue;
      bool cancelled = atomic_load(&run->cancel) != 0;
      s->status = cancelled ? TS_CANCELLED : TS_SKIPPED;
      baton__sb sb;
      baton__sb_init(&sb);
      if (cancelled)
        baton__sb_adds(&sb, "cancelled");
      else
        baton__sb_addf(&sb, "skipped because task %d (%s) did not succeed", run->g.tasks[x].id,
                       run->g.tasks[x].task);
      s->error = baton__sb_detach(&sb);
      persist_task(run, i);
      run->remaining--;
      stack[depth++] = i;
    }
  }
}

static void finish(baton_run *run);

/* Queues a task (or, with idx == g.n, the finishing) on the context's pool. */
static int queue_item(baton_run *run, size_t idx) {
  return baton__taskpool_push(&run->ctx->tasks, &run->items[idx].item);
}

/* Runs one task, told to the pool's thread (done, failed, or cancelled); a
 * pool thread then picks what became ready, in any run of the context. */
static void execute_ready(baton_run *run, size_t idx) {
  task_state *s = &run->ts[idx];
  if (atomic_load(&run->cancel)) {
    s->status = TS_CANCELLED;
    s->error = baton__strdup("cancelled");
    persist_task(run, idx);
    return;
  }
  s->status = TS_RUNNING;
  pthread_mutex_unlock(&run->lock);
  persist_task(run, idx);
  emit(run, BATON_EVENT_TASK_STARTED, (int)idx, NULL, NULL);
  execute(run, idx);
  persist_task(run, idx);
  if (s->status == TS_DONE && run->on_event) {
    cJSON *tj = task_json(run, idx);
    char *js = tj ? cJSON_PrintUnformatted(tj) : NULL;
    cJSON_Delete(tj);
    emit(run, BATON_EVENT_TASK_FINISHED, (int)idx, NULL, js);
    free(js);
  } else if (s->status != TS_DONE) {
    emit(run, BATON_EVENT_TASK_FAILED, (int)idx, s->error, NULL);
  }
  pthread_mutex_lock(&run->lock);
}

/* Writes the answer, then lets baton_run_wait() return. Nothing touches the
 * run after the unlock: it may be freed at once. */
static void finish_and_signal(baton_run *run) {
  finish(run);
  pthread_mutex_lock(&run->lock);
  run->finished = true;
  pthread_cond_broadcast(&run->cond);
  pthread_mutex_unlock(&run->lock);
}

/* A pool item: one task, then the tasks it made ready are queued; the last
 * task of the run writes the answer. The finishing item alone (idx == g.n)
 * serves a run with nothing to execute. */
static void run_item_main(baton__taskpool_item *item) {
  struct run_item *it = (struct run_item *)item;
  baton_run *run = it->run;
  size_t idx = it->idx;
  if (idx == run->g.n) {
    finish_and_signal(run);
    return;
  }
  pthread_mutex_lock(&run->lock);
  execute_ready(run, idx);
  task_state *s = &run->ts[idx];
  run->remaining--;
  if (s->status == TS_DONE) {
    const baton__sched *sc = &run->sched;
    for (size_t e = sc->dep_start[idx]; e < sc->dep_start[idx + 1]; e++) {
      size_t i = sc->dep_list[e];
      if (run->ts[i].status == TS_PENDING && --run->ts[i].waiting == 0)
        queue_item(run, i); /* cannot fail: this thread belongs to the pool */
    }
  } else {
    skip_dependents(run, idx);
  }
  bool last = run->remaining == 0;
  pthread_mutex_unlock(&run->lock);
  if (last)
    finish_and_signal(run);
}

/* Builds the result and the answer, stores them, and sends the last events. */
static void summary_delta(void *ud, const char *piece, size_t len) {
  char *s = baton__strndup(piece, len);
  if (s)
    emit(ud, BATON_EVENT_SUMMARY_DELTA, -1, s, NULL);
  free(s);
}

/* The answer: the LLM's direct answer, else the LLM summarizer (streamed as
 * summary.delta events) for an LLM-planned run, else the offline one. */
static char *make_summary(baton_run *run, const cJSON *tasks) {
  char *s = NULL;
  if (run->llm.answer) {
    s = baton__strdup(run->llm.answer);
  } else if (run->llm.used && run->ctx->llm && !atomic_load(&run->cancel)) {
    cJSON *plan = baton__graph_to_json(&run->g);
    baton__llm_summary_req sr = {.llm = run->ctx->llm, .cfg = &run->ctx->cfg,
                                 .request = run->request, .messages_json = run->messages,
                                 .plan = plan, .tasks = tasks, .on_delta = summary_delta,
                                 .delta_ud = run, .cancel = &run->cancel};
    char err[1024];
    baton__llm_call call = {NULL, 0, 0, 0};
    baton_rc src = baton__llm_summarize(&sr, &s, &run->llm.usage, &call, err, sizeof err);
    if (call.what && run->llm.n_calls < BATON__LLM_PLAN_CALLS + 1)
      run->llm.calls[run->llm.n_calls++] = call;
    if (src == BATON_OK) {
      cJSON_Delete(plan);
      return s;
    }
    cJSON_Delete(plan);
    baton__log(run->ctx, BATON_LOG_WARN, "run %s: %s; using the offline summary", run->id, err);
  }
  if (!s)
    s = baton__summarize_offline(run->request, tasks);
  if (s)
    emit(run, BATON_EVENT_SUMMARY_DELTA, -1, s, NULL);
  return s;
}

/* The run's end could not be stored: it ends failed, with the reason in
 * its result ("error"), so the caller never hears `done` for a run the
 * history does not hold. */
static void unsaved(baton_run *run, cJSON *res, const char *why) {
  baton__log(run->ctx, BATON_LOG_ERROR, "run %s: %s", run->id, why);
  run->rc = BATON_DB;
  if (!res)
    return;
  char msg[640];
  baton__fmt(msg, sizeof msg, "the run's final state could not be stored: %s", why);
  cJSON_ReplaceItemInObjectCaseSensitive(res, "status", cJSON_CreateString("failed"));
  cJSON_DeleteItemFromObjectCaseSensitive(res, "error");
  cJSON_AddStringToObject(res, "error", msg);
  char *j = cJSON_PrintUnformatted(res);
  if (j) {
    free(run->result_json);
    run->result_json = j;
  }
}

static void finish(baton_run *run) {
  bool any_failed = false, any_cancelled = false;
  for (size_t i = 0; i < run->g.n; i++) {
    any_failed |= run->ts[i].status == TS_FAILED || run->ts[i].status == TS_SKIPPED;
    any_cancelled |= run->ts[i].status == TS_CANCELLED;
  }
  const char *status = "done";
  run->rc = BATON_OK;
  if (atomic_load(&run->cancel) || any_cancelled) {
    status = "cancelled";
    run->rc = BATON_CANCELLED;
  } else if (any_failed) {
    status = "failed";
    run->rc = BATON_EXEC;
  }
  cJSON *res = cJSON_CreateObject();
  cJSON *tasks = tasks_json(run);
  run->summary = make_summary(run, tasks);
  if (res && tasks) {
    cJSON_AddStringToObject(res, "run_id", run->id);
    cJSON_AddStringToObject(res, "status", status);
    if (run->request)
      cJSON_AddStringToObject(res, "request", run->request);
    if (run->replay_of)
      cJSON_AddStringToObject(res, "replay_of", run->replay_of);
    cJSON_AddItemToObject(res, "plan", baton__graph_to_json(&run->g));
    cJSON_AddItemToObject(res, "tasks", tasks);
    tasks = NULL;
    cJSON_AddStringToObject(res, "summary", run->summary ? run->summary : "");
    cJSON_AddStringToObject(res, "workspace", run->workspace);
    cJSON *usage = cJSON_AddObjectToObject(res, "usage");
    cJSON_AddNumberToObject(usage, "llm_calls", (double)run->llm.usage.llm_calls);
    cJSON_AddNumberToObject(usage, "prompt_tokens", (double)run->llm.usage.prompt_tokens);
    cJSON_AddNumberToObject(usage, "completion_tokens",
                            (double)run->llm.usage.completion_tokens);
    cJSON *calls = cJSON_AddArrayToObject(usage, "calls");
    for (size_t i = 0; calls && i < run->llm.n_calls; i++) {
      const baton__llm_call *c = &run->llm.calls[i];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "call", c->what);
      cJSON_AddNumberToObject(o, "prompt_tokens", (double)c->prompt_tokens);
      cJSON_AddNumberToObject(o, "completion_tokens", (double)c->completion_tokens);
      cJSON_AddNumberToObject(o, "prompt_chars", (double)c->prompt_chars);
      cJSON_AddItemToArray(calls, o);
    }
    run->result_json = cJSON_PrintUnformatted(res);
  }
  cJSON_Delete(tasks);
  char err[512];
  if (baton__runstore_finish(run->ctx->runs, run->id, status, run->summary, run->result_json, err,
                             sizeof err) != 0)
    unsaved(run, res, err);
  cJSON_Delete(res);
  emit(run, BATON_EVENT_DONE, -1, NULL, run->result_json);
}

/* ---- the public run API ------------------------------------------------------ */

static void run_free_members(baton_run *run) {
  for (size_t i = 0; run->ts && i < run->g.n; i++) {
    free(run->ts[i].model);
    free(run->ts[i].error);
    baton__values_release(&run->ts[i].out);
  }
  free(run->ts);
  baton__graph_release(&run->g);
  baton__sched_release(&run->sched);
  free(run->items);
  free(run->request);
  if (run->root && run->root_fd >= 0)
    close(run->root_fd);
  free(run->root);
  free(run->workspace);
  free(run->result_json);
  free(run->summary);
  free(run->messages);
  free(run->llm.answer);
  free(run->replay_of);
  cJSON_Delete(run->recorded);
  free(run->epc);
  pthread_mutex_destroy(&run->lock);
  pthread_mutex_destroy(&run->event_lock);
  pthread_cond_destroy(&run->cond);
  free(run);
}

/* The scheduling tables and the pool items of a run's graph. */
static int make_tables(baton_run *run) {
  run->items = calloc(run->g.n + 1, sizeof *run->items);
  if (!run->items || baton__sched_build(&run->sched, &run->g) != 0)
    return -1;
  for (size_t i = 0; i <= run->g.n; i++)
    run->items[i] = (struct run_item){.item.fn = run_item_main, .run = run, .idx = i};
  return 0;
}

/* Prepares a run up to the point where it can start: plan, models, inputs,
 * workspace. */
static baton_rc prepare(baton *ctx, const baton_request *req, baton_run **out) {
  baton_run *run = calloc(1, sizeof *run);
  if (!run)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  pthread_mutex_init(&run->lock, NULL);
  pthread_mutex_init(&run->event_lock, NULL);
  pthread_cond_init(&run->cond, NULL);
  run->ctx = ctx;
  baton__new_run_id(run->id);
  run->uid = req->as_caller ? (long long)req->caller_uid : (long long)geteuid();
  baton_rc rc = BATON_OK;
  if (req->text && !(run->request = baton__strdup(req->text))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((!req->as_caller || req->input_root) &&
      !(run->root = resolve_root(ctx, req, &run->root_fd))) {
    rc = BATON_INVALID;
    goto fail;
  }
  if (req->messages && !(run->messages = baton__strdup(req->messages))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((rc = make_graph(ctx, req, run->root, &run->g, &run->llm)) != BATON_OK)
    goto fail;
  if ((rc = check_models(ctx, &run->g)) != BATON_OK)
    goto fail;
  if ((rc = baton__preflight(ctx, &run->g)) != BATON_OK)
    goto fail;
  char rel[64];
  baton__fmt(rel, sizeof rel, "runs/%s", run->id);
  if (!(run->workspace = baton__path_join(ctx->cfg.home, rel))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((rc = check_inputs(run, req)) != BATON_OK)
    goto fail;
  run->ts = calloc(run->g.n ? run->g.n : 1, sizeof *run->ts);
  if (!run->ts || make_tables(run) != 0) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  *out = run;
  return BATON_OK;
fail:
  run_free_members(run);
  return rc;
}

static baton_rc start(baton_run *run) {
  baton *ctx = run->ctx;
  /* Tasks already done (a resumed run) count as finished dependencies. */
  run->remaining = 0;
  for (size_t i = 0; i < run->g.n; i++) {
    if (run->ts[i].status == TS_DONE)
      continue;
    run->remaining++;
    run->ts[i].waiting = 0;
    for (size_t d = 0; d < run->g.tasks[i].n_deps; d++) {
      int k = baton__graph_index_find(&run->sched.ix, run->g.tasks[i].deps[d]);
      if (k >= 0 && run->ts[k].status != TS_DONE)
        run->ts[i].waiting++;
    }
  }
  cJSON *plan = baton__graph_to_json(&run->g);
  char *pj = plan ? cJSON_PrintUnformatted(plan) : NULL;
  cJSON_Delete(plan);
  if (!pj)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  if (baton__runs_usable(ctx) != BATON_OK) {
    free(pj);
    return BATON_DB;
  }
  char err[512];
  int src = run->mode == MODE_RESUME
                ? baton__runstore_reopen(ctx->runs, run->id, err, sizeof err)
                : baton__runstore_begin_as(ctx->runs, run->id, run->uid, run->request, pj,
                                           run->workspace, err, sizeof err);
  if (src != 0) {
    free(pj);
    return baton__fail(ctx, BATON_DB, "%s", err);
  }
  /* Tasks of a new run are pending until recorded otherwise (the history
   * reads them from the plan); a resumed run resets its unfinished ones. */
  if (run->mode == MODE_RESUME)
    for (size_t i = 0; i < run->g.n; i++)
      if (run->ts[i].status != TS_DONE)
        persist_task(run, i);
  emit(run, BATON_EVENT_PLAN, -1, NULL, pj);
  free(pj);
  char ep[256];
  /* Workers for the executors this run needs start loading now, in
   * parallel, rather than one after another as the chain reaches them. */
  if (run->mode != MODE_REPLAY)
    for (size_t i = 0; i < run->g.n; i++)
      if (run->ts[i].status != TS_DONE)
        if (run->g.tasks[i].model &&
            run_endpoint(run, run->g.tasks[i].model, ep, sizeof ep) == 0)
          baton__prewarm(ctx, ep);
  /* The tasks ready now go to the context's pool in plan order (the pool
   * may run them before this returns); a run with nothing left to execute
   * (the LLM answered directly, or a resumed run that had finished) only
   * writes its answer. The lock keeps the first tasks from finishing the
   * run before the rest are queued. */
  pthread_mutex_lock(&run->lock);
  int qrc = 0;
  if (!run->remaining)
    qrc = queue_item(run, run->g.n);
  for (size_t i = 0; i < run->g.n && qrc == 0; i++)
    if (run->ts[i].status != TS_DONE && run->ts[i].waiting == 0)
      qrc = queue_item(run, i);
  run->started = qrc == 0;
  pthread_mutex_unlock(&run->lock);
  if (qrc != 0)
    return baton__fail(ctx, BATON_ERROR, "cannot start a worker thread");
  return BATON_OK;
}

baton_rc baton_submit(baton *ctx, const baton_request *given, baton_event_fn on_event,
                      void *userdata, baton_run **out) {
  *out = NULL;
  if (!ctx || !given)
    return baton__fail(ctx, BATON_INVALID, "no request");
  baton_request copy;
  const baton_request *req = &copy;
  if (baton__sized_copy(&copy, sizeof copy, given, "baton_request") != BATON_OK)
    return BATON_INVALID;
  if (!req->text && !req->plan_json)
    return baton__fail(ctx, BATON_INVALID, "the request has neither text nor a plan");
  if (req->text && !baton__utf8_valid(req->text, strlen(req->text)))
    return baton__fail(ctx, BATON_INVALID, "the request text is not valid UTF-8");
  baton_run *run = NULL;
  baton_rc rc = prepare(ctx, req, &run);
  if (rc != BATON_OK)
    return rc;
  run->on_event = on_event;
  run->ud = userdata;
  if ((rc = start(run)) != BATON_OK) {
    atomic_store(&run->cancel, 1);
    baton_run_free(run);
    return rc;
  }
  *out = run;
  return BATON_OK;
}

/* Builds a run from the history: the same run to finish its unfinished tasks
 * (resume), or a new run that replays the recorded one (replay). */
static baton_rc prepare_stored(baton *ctx, const char *id, run_mode mode, baton_run **out) {
  *out = NULL;
  if (!id || !*id)
    return baton__fail(ctx, BATON_INVALID, "no run id given");
  if (baton__runs_usable(ctx) != BATON_OK)
    return BATON_DB;
  char err[768] = "";
  cJSON *stored = baton__runstore_get(ctx->runs, id, err, sizeof err);
  if (!stored)
    return baton__fail(ctx, strncmp(err, "no run", 6) == 0 ? BATON_NOTFOUND : BATON_DB, "%s",
                       err);
  if (baton__run_owner_check(ctx, stored, id) != BATON_OK) {
    cJSON_Delete(stored);
    return BATON_DENIED;
  }
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(stored, "status");
  const char *st = cJSON_IsString(status) ? status->valuestring : "";
  if (mode == MODE_RESUME && (strcmp(st, "done") == 0 || strcmp(st, "running") == 0)) {
    bool done = strcmp(st, "done") == 0;
    cJSON_Delete(stored);
    return baton__fail(ctx, BATON_INVALID,
                       done ? "run %s already finished; nothing to resume"
                            : "run %s is still running in another process",
                       id);
  }
  baton_run *run = calloc(1, sizeof *run);
  if (!run) {
    cJSON_Delete(stored);
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  pthread_mutex_init(&run->lock, NULL);
  pthread_mutex_init(&run->event_lock, NULL);
  pthread_cond_init(&run->cond, NULL);
  run->ctx = ctx;
  run->mode = mode;
  run->uid = (long long)geteuid();
  baton_rc rc = BATON_OK;
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(stored, "request");
  const cJSON *ws = cJSON_GetObjectItemCaseSensitive(stored, "workspace");
  if (cJSON_IsString(req))
    run->request = baton__strdup(req->valuestring);
  if (baton__graph_from_json(cJSON_GetObjectItemCaseSensitive(stored, "plan"), ctx->cfg.max_tasks,
                             &run->g, err, sizeof err) != 0) {
    rc = baton__fail(ctx, BATON_PLAN, "the stored plan of run %s: %s", id, err);
    goto fail;
  }
  run->ts = calloc(run->g.n ? run->g.n : 1, sizeof *run->ts);
  if (!run->ts || make_tables(run) != 0) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(stored, "tasks");
  if (mode == MODE_RESUME) {
    baton__fmt(run->id, sizeof run->id, "%s", id);
    run->workspace = baton__strdup(cJSON_IsString(ws) ? ws->valuestring : "");
    /* Finished tasks keep their outputs; the rest run again. */
    const cJSON *t;
    cJSON_ArrayForEach(t, tasks) {
      const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
      const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "status");
      int k = cJSON_IsNumber(tid) ? baton__graph_index_find(&run->sched.ix, tid->valueint) : -1;
      if (k < 0 || !cJSON_IsString(ts) || strcmp(ts->valuestring, "done") != 0)
        continue;
      const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
      const cJSON *ms = cJSON_GetObjectItemCaseSensitive(t, "ms");
      if (values_from_outputs(cJSON_GetObjectItemCaseSensitive(t, "outputs"), &run->ts[k].out) !=
          0) {
        rc = baton__fail(ctx, BATON_DB, "run %s: unreadable outputs of task %d", id, tid->valueint);
        goto fail;
      }
      run->ts[k].status = TS_DONE;
      run->ts[k].model = cJSON_IsString(model) ? baton__strdup(model->valuestring) : NULL;
      run->ts[k].ms = cJSON_IsNumber(ms) ? (int64_t)ms->valuedouble : 0;
      const cJSON *wk = cJSON_GetObjectItemCaseSensitive(t, "worker");
      if (cJSON_IsString(wk))
        baton__fmt(run->ts[k].worker, sizeof run->ts[k].worker, "%s", wk->valuestring);
      const cJSON *ep = cJSON_GetObjectItemCaseSensitive(t, "endpoint");
      if (cJSON_IsString(ep))
        baton__fmt(run->ts[k].endpoint, sizeof run->ts[k].endpoint, "%s", ep->valuestring);
    }
  } else {
    baton__new_run_id(run->id);
    run->replay_of = baton__strdup(id);
    run->recorded = cJSON_DetachItemFromObjectCaseSensitive(stored, "tasks");
    /* An answer an LLM wrote is replayed as recorded (an offline one is
     * written again, citing this run's files). */
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(stored, "usage");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(usage, "llm_calls");
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(stored, "summary");
    if (cJSON_IsNumber(calls) && calls->valuedouble > 0 && cJSON_IsString(summary))
      run->llm.answer = baton__strdup(summary->valuestring);
    char rel[64];
    baton__fmt(rel, sizeof rel, "runs/%s", run->id);
    run->workspace = baton__path_join(ctx->cfg.home, rel);
  }
  if (!run->workspace || (mode == MODE_REPLAY && !run->replay_of)) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  cJSON_Delete(stored);
  *out = run;
  return BATON_OK;
fail:
  cJSON_Delete(stored);
  run_free_members(run);
  return rc;
}

static baton_rc start_stored(baton *ctx, const char *id, run_mode mode, baton_event_fn on_event,
                             void *userdata, baton_run **out) {
  *out = NULL;
  baton_run *run = NULL;
  baton_rc rc = prepare_stored(ctx, id, mode, &run);
  if (rc != BATON_OK)
    return rc;
  run->on_event = on_event;
  run->ud = userdata;
  if ((rc = start(run)) != BATON_OK) {
    atomic_store(&run->cancel, 1);
    baton_run_free(run);
    return rc;
  }
  *out = run;
  return BATON_OK;
}

baton_rc baton_run_resume(baton *ctx, const char *run_id, baton_event_fn on_event,
                          void *userdata, baton_run **out) {
  return start_stored(ctx, run_id, MODE_RESUME, on_event, userdata, out);
}

baton_rc baton_run_replay(baton *ctx, const char *run_id, baton_event_fn on_event,
                          void *userdata, baton_run **out) {
  return start_stored(ctx, run_id, MODE_REPLAY, on_event, userdata, out);
}

baton_rc baton_run_wait(baton_run *run) {
  if (!run)
    return BATON_INVALID;
  pthread_mutex_lock(&run->lock);
  while (!run->finished)
    pthread_cond_wait(&run->cond, &run->lock);
  pthread_mutex_unlock(&run->lock);
  return run->rc;
}

void baton_run_cancel(baton_run *run) {
  if (run)
    atomic_store(&run->cancel, 1);
}

const char *baton_run_id(const baton_run *run) { return run ? run->id : NULL; }

const char *baton_run_result_json(const baton_run *run) { return run ? run->result_json : NULL; }

const char *baton_run_summary(const baton_run *run) { return run ? run->summary : NULL; }

void baton_run_free(baton_run *run) {
  if (!run)
    return;
  if (run->started)
    baton_run_wait(run);
  run_free_members(run);
}

baton_rc baton_plan(baton *ctx, const baton_request *req, char **json_out) {
  return baton_plan_answer(ctx, req, json_out, NULL);
}

baton_rc baton_plan_answer(baton *ctx, const baton_request *given, char **json_out,
                           char **answer_out) {
  *json_out = NULL;
  if (answer_out)
    *answer_out = NULL;
  baton_request copy;
  const baton_request *req = &copy;
  if (given && baton__sized_copy(&copy, sizeof copy, given, "baton_request") != BATON_OK)
    return BATON_INVALID;
  if (!given || (!req->text && !req->plan_json))
    return baton__fail(ctx, BATON_INVALID, "the request has neither text nor a plan");
  baton__graph g = {0};
  struct llm_info li = {0};
  baton_rc rc = make_graph(ctx, req, NULL, &g, &li);
  if (rc == BATON_OK) {
    cJSON *j = baton__graph_to_json(&g);
    *json_out = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!*json_out) {
      rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    } else if (answer_out && li.answer) {
      *answer_out = li.answer;
      li.answer = NULL;
    }
  }
  free(li.answer);
  baton__graph_release(&g);
  return rc;
}

baton_rc baton_task(baton *ctx, const char *task, const char *args_json, const char *model,
                    const char *input_root, char **json_out) {
  *json_out = NULL;
  if (!task || !*task)
    return baton__fail(ctx, BATON_INVALID, "no task given");
  cJSON *args = cJSON_Parse(args_json ? args_json : "{}");
  if (!cJSON_IsObject(args)) {
    cJSON_Delete(args);
    return baton__fail(ctx, BATON_INVALID, "the task arguments must be a JSON object");
  }
  cJSON *plan = cJSON_CreateArray();
  cJSON *t = cJSON_CreateObject();
  cJSON_AddItemToArray(plan, t);
  cJSON_AddStringToObject(t, "task", task);
  cJSON_AddNumberToObject(t, "id", 0);
  cJSON *dep = cJSON_AddArrayToObject(t, "dep");
  cJSON_AddItemToArray(dep, cJSON_CreateNumber(-1));
  cJSON_AddItemToObject(t, "args", args);
  if (model)
    cJSON_AddStringToObject(t, "model", model);
  char *pj = cJSON_PrintUnformatted(plan);
  cJSON_Delete(plan);
  if (!pj)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj, .input_root = input_root};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(ctx, &req, NULL, NULL, &run);
  free(pj);
  if (rc != BATON_OK)
    return rc;
  rc = baton_run_wait(run);
  cJSON *tj = task_json(run, 0);
  *json_out = tj ? cJSON_PrintUnformatted(tj) : NULL;
  cJSON_Delete(tj);
  if (rc != BATON_OK && run->ts[0].error)
    baton__fail(ctx, rc, "%s", run->ts[0].error);
  baton_run_free(run);
  return rc;
}
