/* mcp_call.c — tools/call: checks a tool's arguments and runs it (run, plan, models_search, task tools). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/conversation.h"
#include "runtime/context.h"
#include "server/mcp.h"
#include "core/banned.h"

#define MAX_TEXT_ARG (64u << 10) /* of a string argument other than a request */
#define MAX_INPUTS 32
#define MAX_SEARCH_LIMIT 50

/* A string argument: its value, NULL when absent; *bad is set when it is
 * present but not a string, empty or too long. */
static const char *str_arg(const cJSON *args, const char *name, bool *bad) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
  if (!v || cJSON_IsNull(v))
    return NULL;
  if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > MAX_TEXT_ARG) {
    *bad = true;
    return NULL;
  }
  return v->valuestring;
}

/* The "request" argument of the tool named, in *request; NULL, or the error result saying what
 * a request must be: its limit is the one the run keeps to (limits.request_bytes). */
static cJSON *request_arg(const mcp_call *c, const cJSON *args, const char *tool,
                          const char **request) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, "request");
  size_t max = c->srv->ctx->cfg.max_request_bytes;
  *request = cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
  if (*request && strlen(*request) > max)
    return baton__mcp_error_result("the request is %zu bytes; the limit is %zu "
                                   "(limits.request_bytes)", strlen(*request), max);
  if (!*request)
    return baton__mcp_error_result("%s needs a request: a non-empty string of at most %zu bytes",
                                   tool, max);
  return NULL;
}

static int bool_arg(const cJSON *args, const char *name) {
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, name));
}

/* The "messages" argument as JSON text in *out (cJSON_free it; NULL when absent): an array of
 * {role, content, files?, outputs?} objects, oldest first. false (err says why) otherwise. */
static bool messages_arg(const cJSON *args, char **out, char *err, size_t errlen) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(args, "messages");
  *out = NULL;
  if (!m || cJSON_IsNull(m))
    return true;
  if (baton__conversation_check(m, err, errlen) != 0)
    return false;
  if (!(*out = cJSON_PrintUnformatted(m)))
    baton__fmt(err, errlen, "out of memory");
  return *out != NULL;
}

/* Runs a job and turns its result into the tool's (NULL when cancelled:
 * then nothing is sent). */
static cJSON *run_job(mcp_call *c, const mcp_job *job, bool one_task) {
  char err[1024] = "";
  bool cancelled = false;
  cJSON *res = baton__mcp_exec(c, job, &cancelled, err, sizeof err);
  cJSON *r = NULL;
  if (cancelled)
    r = NULL;
  else if (!res)
    r = baton__mcp_error_result("%s", err);
  else
    r = one_task ? baton__mcp_task_result(c->srv, res) : baton__mcp_run_result(c->srv, res);
  cJSON_Delete(res);
  return r;
}

/* The tool's "inputs" (file paths, borrowed from args) in inputs[0..*n): NULL, or the error
 * result. */
static cJSON *inputs_arg(const cJSON *args, const char *inputs[MAX_INPUTS], size_t *n) {
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(args, "inputs");
  *n = 0;
  if (in && !cJSON_IsArray(in))
    return baton__mcp_error_result("inputs must be an array of file paths");
  const cJSON *p;
  cJSON_ArrayForEach(p, in) {
    if (!cJSON_IsString(p) || !*p->valuestring)
      return baton__mcp_error_result("inputs must be an array of file paths");
    if (*n == MAX_INPUTS)
      return baton__mcp_error_result("at most %d inputs", MAX_INPUTS);
    inputs[(*n)++] = p->valuestring;
  }
  return NULL;
}

/* A run's or a plan's arguments into job: request, inputs (kept in inputs[MAX_INPUTS]), offline
 * and messages (*msgs, for cJSON_free). NULL, or the error result (*msgs NULL). */
static cJSON *job_args(mcp_call *c, const cJSON *args, const char *tool, const char **inputs,
                       mcp_job *job, char **msgs) {
  size_t n = 0;
  char err[160];
  *msgs = NULL;
  cJSON *bad = request_arg(c, args, tool, &job->request);
  if (!bad)
    bad = inputs_arg(args, inputs, &n);
  if (!bad && !messages_arg(args, msgs, err, sizeof err))
    bad = baton__mcp_error_result("%s", err);
  *job = (mcp_job){.request = job->request, .inputs = inputs, .n_inputs = n,
                   .offline = bool_arg(args, "offline"), .messages = *msgs};
  return bad;
}

static cJSON *tool_run(mcp_call *c, const cJSON *args) {
  const char *inputs[MAX_INPUTS];
  char *msgs;
  mcp_job job = {0};
  cJSON *bad = job_args(c, args, "run", inputs, &job, &msgs);
  if (bad)
    return bad;
  cJSON *r = run_job(c, &job, false);
  cJSON_free(msgs);
  return r;
}

static cJSON *tool_plan(mcp_call *c, const cJSON *args) {
  const char *inputs[MAX_INPUTS];
  char *msgs;
  mcp_job job = {0};
  cJSON *bad = job_args(c, args, "plan", inputs, &job, &msgs);
  if (bad)
    return bad;
  baton *ctx = c->srv->ctx;
  baton_request req = {BATON_REQUEST_INIT, .text = job.request, .offline = job.offline,
                       .messages = msgs, .inputs = inputs, .n_inputs = job.n_inputs};
  char *json = NULL, *answer = NULL, *note = NULL;
  baton_rc rc = baton_plan_noted(ctx, &req, &json, &answer, &note);
  cJSON_free(msgs);
  if (rc != BATON_OK)
    return baton__mcp_error_result("cannot plan: %s",
                                   *baton_errmsg(ctx) ? baton_errmsg(ctx) : baton_strerror(rc));
  cJSON *plan = cJSON_Parse(json);
  cJSON *r = baton__mcp_tool_result();
  char *compact = plan ? cJSON_PrintUnformatted(plan) : NULL;
  if (answer) {
    baton__mcp_add_text(r, "no tasks: the LLM answers directly:");
    baton__mcp_add_text(r, answer);
  } else {
    baton__mcp_add_text(r, compact ? compact : json);
  }
  cJSON *sc = cJSON_CreateObject();
  cJSON_AddItemToObject(sc, "plan", plan ? plan : cJSON_CreateArray());
  if (answer)
    cJSON_AddStringToObject(sc, "answer", answer);
  if (note) { /* what the planner noted, as a run's result says it */
    char said[640];
    baton__fmt(said, sizeof said, "note: %s", note);
    baton__mcp_add_text(r, said);
    cJSON_AddStringToObject(sc, "note", note);
  }
  baton__mcp_add_structured(c->srv, r, sc);
  cJSON_free(compact);
  baton_free(json);
  baton_free(answer);
  baton_free(note);
  return r;
}

static cJSON *tool_models_search(mcp_call *c, const cJSON *args) {
  bool bad = false;
  const char *text = str_arg(args, "text", &bad);
  const char *task = str_arg(args, "task", &bad);
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(args, "limit");
  if (!text || bad)
    return baton__mcp_error_result(
        "models_search needs text (a non-empty string) and optionally task "
        "(a task kind such as image-to-text)");
  if (lim && (!cJSON_IsNumber(lim) || lim->valuedouble < 1 || lim->valuedouble > MAX_SEARCH_LIMIT ||
              lim->valuedouble != (double)lim->valueint))
    return baton__mcp_error_result("limit must be a whole number from 1 to %d", MAX_SEARCH_LIMIT);
  char tname[128];
  if (task) {
    snprintf(tname, sizeof tname, "%s", task);
    baton__mcp_swap_chars(tname, '_', '-');
  }
  baton *ctx = c->srv->ctx;
  char *json = NULL;
  baton_rc rc = baton_models_search(ctx, text, task ? tname : NULL, lim ? lim->valueint : 5, &json);
  if (rc != BATON_OK)
    return baton__mcp_error_result("%s",
                                   *baton_errmsg(ctx) ? baton_errmsg(ctx) : baton_strerror(rc));
  cJSON *models = cJSON_Parse(json);
  char *compact = models ? cJSON_PrintUnformatted(models) : NULL;
  cJSON *r = baton__mcp_tool_result();
  baton__mcp_add_text(r, compact ? compact : json);
  cJSON *sc = cJSON_CreateObject();
  cJSON_AddItemToObject(sc, "models", models ? models : cJSON_CreateArray());
  baton__mcp_add_structured(c->srv, r, sc);
  cJSON_free(compact);
  baton_free(json);
  return r;
}

/* The task's arguments as strings (numbers and booleans written out). */
static cJSON *task_args(const cJSON *args, const char **model, char *err, size_t errlen) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *a;
  cJSON_ArrayForEach(a, args) {
    if (!strcmp(a->string, "model") && cJSON_IsString(a)) {
      *model = a->valuestring;
    } else if (cJSON_IsString(a)) {
      cJSON_AddStringToObject(out, a->string, a->valuestring);
    } else if (cJSON_IsNumber(a) || cJSON_IsBool(a)) {
      char *t = cJSON_PrintUnformatted(a);
      cJSON_AddStringToObject(out, a->string, t ? t : "");
      cJSON_free(t);
    } else {
      snprintf(err, errlen, "argument '%.100s' must be a string", a->string);
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

/* The task kind behind a tool name, with its entry from baton_tasks_json(),
 * or NULL for a tool tools/list does not have: the name with '_' where the
 * kind has '-', of a kind some model here runs. */
static cJSON *find_task(baton *ctx, const char *tool) {
  if (strchr(tool, '-'))
    return NULL;
  char name[128];
  snprintf(name, sizeof name, "%s", tool);
  baton__mcp_swap_chars(name, '_', '-');
  char *json = NULL;
  if (baton_tasks_json(ctx, &json) != BATON_OK)
    return NULL;
  cJSON *tasks = cJSON_Parse(json);
  baton_free(json);
  cJSON *found = NULL, *t;
  cJSON_ArrayForEach(t, tasks) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name) &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available")))
      found = cJSON_DetachItemViaPointer(tasks, t);
    if (found)
      break;
  }
  cJSON_Delete(tasks);
  return found;
}

/* Checks that the inputs the task needs are there. */
static bool has_inputs(const cJSON *task, const cJSON *args, char *err, size_t errlen) {
  const cJSON *in;
  cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(task, "inputs")) {
    if (!cJSON_IsString(in) || !strcmp(in->valuestring, "json"))
      continue;
    if (!cJSON_GetObjectItemCaseSensitive(args, in->valuestring)) {
      snprintf(err, errlen, "%s needs the argument '%s'",
               cJSON_GetObjectItemCaseSensitive(task, "name")->valuestring, in->valuestring);
      return false;
    }
  }
  return true;
}

static cJSON *tool_task(mcp_call *c, const cJSON *task, const cJSON *args) {
  char err[512] = "";
  const char *model = NULL;
  cJSON *targs = task_args(args, &model, err, sizeof err);
  if (!targs)
    return baton__mcp_error_result("%s", err);
  if (!has_inputs(task, targs, err, sizeof err)) {
    cJSON_Delete(targs);
    return baton__mcp_error_result("%s", err);
  }
  cJSON *plan = cJSON_CreateArray();
  cJSON *t = cJSON_CreateObject();
  cJSON_AddItemToArray(plan, t);
  cJSON_AddStringToObject(t, "task", cJSON_GetObjectItemCaseSensitive(task, "name")->valuestring);
  cJSON_AddNumberToObject(t, "id", 0);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(t, "dep"), cJSON_CreateNumber(-1));
  cJSON_AddItemToObject(t, "args", targs);
  if (model)
    cJSON_AddStringToObject(t, "model", model);
  char *pj = cJSON_PrintUnformatted(plan);
  cJSON_Delete(plan);
  if (!pj)
    return baton__mcp_error_result("out of memory");
  mcp_job job = {.plan_json = pj, .offline = 1};
  cJSON *r = run_job(c, &job, true);
  cJSON_free(pj);
  return r;
}

void baton__mcp_tools_call(mcp_call *c) {
  mcp_server *s = c->srv;
  const char *name = cJSON_GetObjectItemCaseSensitive(c->params, "name")->valuestring;
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(c->params, "arguments");
  cJSON *empty = NULL;
  if (!args)
    args = empty = cJSON_CreateObject();
  if (!cJSON_IsObject(args)) {
    baton__mcp_call_answering(c);
    baton__mcp_call_error(c, MCP_INVALID_PARAMS, "tools/call arguments must be an object");
    return;
  }
  char takes[256];
  const char *extra = baton__mcp_unknown_arg(name, args, takes, sizeof takes);
  if (extra) {
    baton__mcp_call_answering(c);
    baton__mcp_call_error(c, MCP_INVALID_PARAMS, "unknown argument '%.100s' of %s; it takes: %s",
                          extra, name, takes);
    cJSON_Delete(empty);
    return;
  }
  cJSON *r = NULL, *task = NULL;
  bool known = true;
  if (!strcmp(name, "run"))
    r = tool_run(c, args);
  else if (!strcmp(name, "plan"))
    r = tool_plan(c, args);
  else if (!strcmp(name, "models_search"))
    r = tool_models_search(c, args);
  else if ((task = find_task(s->ctx, name)))
    r = tool_task(c, task, args);
  else
    known = false;
  baton__mcp_call_answering(c);
  if (!known)
    baton__mcp_call_error(c, MCP_INVALID_PARAMS, "unknown tool '%.200s' (see tools/list)", name);
  if (r && !atomic_load(&c->cancelled))
    baton__mcp_call_reply(c, r);
  else
    cJSON_Delete(r);
  cJSON_Delete(task);
  cJSON_Delete(empty);
}
