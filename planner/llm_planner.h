/* llm_planner.h — planning and summarising a request with an OpenAI-compatible LLM. */
#ifndef BATON_PLANNER_LLM_PLANNER_H
#define BATON_PLANNER_LLM_PLANNER_H

#include <stdatomic.h>
#include <stddef.h>

#include "baton.h"
#include "core/config.h"
#include "executors/llm_client.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"

/* One LLM call of a run, for the run JSON's usage.calls. */
typedef struct baton__llm_call {
  const char *what;            /* "plan", "repair", "answer" or "summary" (static) */
  long prompt_tokens;
  long completion_tokens;
  size_t prompt_chars;         /* characters of the messages sent */
} baton__llm_call;

#define BATON__LLM_PLAN_CALLS 3 /* plan, repair, answer */

/* What to plan. Every pointer is borrowed for the call. */
typedef struct baton__llm_plan_req {
  baton__llm *llm;
  const baton__config *cfg;    /* prompts_dir, llm_response_format, llm_history_chars,
                                  max_tasks */
  baton__registry *reg;        /* the task list and task lookup */
  const char *request;
  const char *messages_json;   /* chat history: [{role, content, files?, outputs?}], or NULL */
  const char *const *inputs;   /* files attached to the request */
  size_t n_inputs;
  const unsigned char *runnable; /* per registry task kind: 1 when it can run here;
                                    NULL: all can. Only those are offered. */
  const atomic_int *cancel;    /* or NULL */
} baton__llm_plan_req;

/* What planning produced; release with baton__llm_plan_res_release(). */
typedef struct baton__llm_plan_res {
  baton__graph g;              /* validated; may have no tasks */
  char *answer;                /* malloc'd: the direct answer when no plan could be
                                  made (g then has no tasks), else NULL */
  int repairs;                 /* repair rounds used: 0 or 1 */
  baton__llm_usage usage;      /* the calls made, successful or not */
  baton__llm_call calls[BATON__LLM_PLAN_CALLS]; /* each call made, in order */
  size_t n_calls;
  char note[768];              /* a warning worth logging, or "" */
} baton__llm_plan_res;

/*
 * Plans a request with one chat call: the system prompt lists the task
 * kinds that can run (r->runnable), then the demonstrations and the
 * request (response_format per
 * cfg->llm_response_format: "auto" asks for the task-graph JSON schema and
 * falls back json_schema -> tgi -> json_object -> none as the server
 * refuses). The reply goes through baton__plan_text_extract(),
 * baton__graph_parse(), baton__plan_unfold() and baton__graph_validate().
 * If the plan is still unusable, one repair call sends the system prompt
 * (without demonstrations), the request, the broken answer and the error; if
 * that fails too, a plain chat call answers the user directly (res->answer,
 * no tasks). An empty plan ({"tasks": []}) is valid: the request needs no
 * model and the summarizer answers it.
 * Returns BATON_OK with res filled; BATON_LLM (the server failed: err says
 * why, e.g. the key was refused), BATON_CANCELLED, BATON_CONFIG (prompt
 * files: err names the file and line) or BATON_INVALID (bad messages JSON),
 * with err set. res must be released in every case. Thread-safe.
 */
baton_rc baton__llm_plan(const baton__llm_plan_req *r, baton__llm_plan_res *res, char *err,
                         size_t errlen);
void baton__llm_plan_res_release(baton__llm_plan_res *res);

/*
 * Unfolds multi-resource arguments: a task whose image/audio/video argument
 * holds several files (a JSON array, or "a.png, b.png" where every piece is
 * a file of that type) becomes one task per file; a task that uses such a
 * task's output is repeated once per copy, and one that only waits for it
 * waits for every copy. New tasks get ids above the largest one. A text
 * argument written as a JSON list of strings is joined, one a line. Also drops
 * any "model" the LLM named (the registry chooses). Returns 0, or -1 with
 * err when the graph would grow past max_tasks.
 */
int baton__plan_unfold(baton__graph *g, int max_tasks, char *err, size_t errlen);

/*
 * Renders chat history for a prompt: "role: content" lines, oldest first,
 * keeping the newest messages that fit in budget characters (older ones are
 * dropped first; a single message longer than the budget is cut). When
 * resources is not NULL it receives the files and texts earlier turns
 * produced (each message's "files" array and "outputs" object, and file
 * paths named in assistant messages), one "- type: value" line each, or
 * "(none)". Both outputs are malloc'd (caller frees). messages_json NULL or
 * "" means no history ("(none)"). Returns 0, or -1 with err when the JSON is
 * not an array of {role, content} objects or is too big.
 */
int baton__chat_history_render(const char *messages_json, size_t budget, char **history,
                               char **resources, char *err, size_t errlen);

/* What to summarise. Every pointer is borrowed for the call. */
typedef struct baton__llm_summary_req {
  baton__llm *llm;
  const baton__config *cfg;
  const char *request;         /* or NULL */
  const char *messages_json;   /* or NULL */
  const cJSON *plan;           /* the plan array (may be NULL) */
  const cJSON *tasks;          /* the "tasks" array of the result JSON */
  baton__llm_delta_fn on_delta; /* receives the answer as it streams, or NULL */
  void *delta_ud;
  const atomic_int *cancel;    /* or NULL */
} baton__llm_summary_req;

/*
 * Writes the answer with one streamed chat call: the request, each step's
 * task, arguments, model and results (text quoted up to the prompt's
 * result_chars, files by path; not the ranking of the models) and the steps
 * that failed.
 * Returns BATON_OK with *answer malloc'd (caller frees), or another code
 * with *answer NULL and err set; usage (or NULL) is added to either way, and
 * call (or NULL) receives this call's own counts.
 * Thread-safe.
 */
baton_rc baton__llm_summarize(const baton__llm_summary_req *r, char **answer,
                              baton__llm_usage *usage, baton__llm_call *call, char *err,
                              size_t errlen);

#endif
