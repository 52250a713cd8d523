/* run_int.h — the inside of a run, shared by the files that plan, dispatch, execute, record and finish it. */
#ifndef BATON_RUNTIME_RUN_INT_H
#define BATON_RUNTIME_RUN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton.h"
#include "executors/executor.h"
#include "planner/llm_planner.h"
#include "planner/taskgraph.h"
#include "runtime/sched.h"
#include "runtime/taskpool.h"

typedef struct cJSON cJSON;

typedef enum { TS_PENDING, TS_RUNNING, TS_DONE, TS_FAILED, TS_SKIPPED, TS_CANCELLED } task_status;

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

/* What LLM planning left for the rest of the run. */
typedef struct baton__run_llm {
  bool used;              /* the plan came from the LLM */
  char *answer;           /* its direct answer when it made no plan, or NULL */
  baton__llm_usage usage;
  baton__llm_call calls[BATON__LLM_PLAN_CALLS + 1]; /* each call: plan..., summary */
  size_t n_calls;
} baton__run_llm;

#define BATON__PLAN_NOTE 512

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
  struct baton_run *live_prev, *live_next; /* the context's live runs (under live_lock) */
  bool live;              /* on that list */
  atomic_int reason_claimed; /* a cancel reason is being written, or was */
  atomic_int reason_ready;   /* cancel_reason holds it */
  char cancel_reason[256];

  baton_rc rc;
  char *plan_json;        /* the plan as JSON text, made once when the run starts */
  char plan_note[BATON__PLAN_NOTE]; /* the planner's note (a step left out, an input no step
                                     * takes): the plan event's text, the result's "note"; or "" */
  char *result_json;
  char *summary;
  char *messages;         /* chat history given with the request, or NULL */
  char *chat;             /* what its chat tasks are sent of it (baton__conversation_chat), kept
                           * in the run history for a resume; NULL when none */
  baton__run_llm llm;
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

/* ---- run.c: the life of a run ---- */
/* A new run of ctx with its locks ready (mode, id and the rest unset), or NULL. */
baton_run *baton__run_new(baton *ctx);
/* Frees everything a run holds, and the run (it must not be running). */
void baton__run_free_members(baton_run *run);
/* Starts a prepared run with its event callback: *out on success; on
 * failure the run is freed. */
baton_rc baton__run_launch(baton_run *run, baton_event_fn on_event, void *userdata,
                           baton_run **out);

/* ---- run_events.c ---- */
/* Sends an event to the run's callback (task_idx -1: no task), one at a time. */
void baton__run_emit(baton_run *run, baton_event_type type, int task_idx, const char *text,
                     const char *json);

/* ---- run_inputs.c ---- */
/* The folder inputs are resolved against (real path; caller frees), opened
 * once into *fd (inputs are opened beneath that descriptor), or NULL with
 * the error set on ctx. */
char *baton__run_resolve_root(baton *ctx, const baton_request *req, int *fd);
/* Checks every literal argument and copies each input file into the run's
 * workspace, before anything runs. */
baton_rc baton__run_check_inputs(baton_run *run, const baton_request *req);

/* Before planning: refuses (BATON_INVALID, the message saying "outside the allowed folders") a
 * file of req->inputs outside the folders inputs may come from, which the planner would
 * otherwise judge by its name first. Other failures to open one are left to the later check. */
baton_rc baton__run_check_given_inputs(baton_run *run, const baton_request *req);

/* ---- run_tilde.c ---- */
/* A file name *name starting "~/" (or "~" alone) rewritten with the caller's home folder in place
 * of "~" ("~/notes.txt": "/home/ann/notes.txt"; *name freed and replaced, caller frees): a daemon
 * serving another user takes that user's home from the user database, never its own. The name
 * still has to lie in the folders inputs may come from. 1 when rewritten, 0 when there is no "~"
 * to expand ("~ann/x", "a~b"), -1 with err when the caller has no home or out of memory. */
int baton__run_expand_tilde(const baton_request *req, char **name, char *err, size_t errlen);

/* ---- run_models.c ---- */
/* Says why no model can do `task` (for a step of words `text`, or NULL) and how to add one
 * (into out): "no available model can do translation (...); add one: ...". */
void baton__run_missing_model(baton *ctx, const char *task, const char *text, char *out,
                              size_t cap);
/* Gives every task the mode its step asks for ("read" a picture's words, or "describe" it) and
 * picks a model and fallbacks for every task that has none. */
baton_rc baton__run_assign_models(baton *ctx, baton__graph *g, const char *request);
/* Refuses a graph with a step no available model can do. */
baton_rc baton__run_check_models(baton *ctx, const baton__graph *g);

/* ---- run_plan.c ---- */
/* The graph for a request: the plan given, or the planner's (li, when not
 * NULL, takes what LLM planning left; note, the planner's note worth telling the user, or "":
 * a step it left out, a kind nothing runs, an input no step takes, a plan the LLM repaired). */
baton_rc baton__run_make_graph(baton *ctx, const baton_request *req, baton__graph *g,
                               baton__run_llm *li, char note[BATON__PLAN_NOTE]);

/* ---- run_record.c: JSON views and the history ---- */
/* A task's state (all tasks': an array) as JSON: a view whose keys and
 * strings are the run's own, not copies; delete it before the state it
 * shows changes or the run is freed. */
cJSON *baton__run_task_json(const baton_run *run, size_t i);
cJSON *baton__run_tasks_json(const baton_run *run);
/* Writes a task's current state to the run history (failures are logged). */
void baton__run_persist_task(baton_run *run, size_t idx);
/* JSON text of a big tree (a run's result reaches megabytes),
 * printed unformatted into one buffer of about `estimate` bytes rather than
 * one grown by doubling, which copies it over and over. Caller frees. */
char *baton__run_print_sized(const cJSON *tree, size_t estimate);
/* Values from a stored "outputs" object. 0, or -1 when out of memory. */
int baton__run_values_from_outputs(const cJSON *outs, baton__values *vs);

/* ---- run_source.c ---- */
/* For a translation whose source language the planner assumed (baton__task.source_assumed), the
 * language local/textcat identifies in's text as replaces in's "src_lang" (or is added, when an
 * LLM's plan gave none); the assumed one (or none) stays when textcat is unsure, cannot run or
 * the text is short. *note says which language the text is
 * translated from and why (caller frees; NULL for any other task). 0, or -1 out of memory. */
int baton__run_source_settle(baton_run *run, size_t idx, baton__values *in, char **note);

/* ---- run_exec.c ---- */
/* Runs one task on its model, then on each fallback until one succeeds. */
void baton__run_execute(baton_run *run, size_t idx);
/* Whether a task of the run still to run (not done: a resume keeps the rest) holds a dialogue,
 * and so is sent run->chat. Needs run->ts. */
bool baton__run_chat_pending(const baton_run *run);
/* run->chat from run->messages when a task of its plan holds a dialogue (left NULL otherwise;
 * after run->ts is made). 0, or -1 with err. */
int baton__run_take_chat(baton_run *run, char *err, size_t errlen);
/* A model's endpoint, asked of the registry once per run and model.
 * 0, or -1 when the registry does not know the model. */
int baton__run_endpoint(baton_run *run, const char *model, char *ep, size_t cap);
/* For task t in subtitles mode, taking text from a task whose outputs are `made`: the
 * subtitles file that task wrote, read into in as "text". 1 when taken, 0 when t is in no such
 * mode or that task wrote none (its plain text is taken), -1 with err when it cannot be read. */
int baton__run_subs_from(baton_run *run, const baton__task *t, const baton__values *made,
                         baton__values *in, char *err, size_t errlen);
/* The request's text with each file pattern ("*.wav", at most 4) replaced by the
 * files it matches in the caller's folder root (root_fd; listed with the caller's rights), at
 * most 16, named one by one ("a.wav, b.wav and c.wav"): into
 * *out (malloc'd), or *out NULL when the text names no pattern. BATON_INVALID (error set) when a
 * pattern matches no file, too many, or a folder that cannot be listed, or root is NULL (a
 * daemon's request naming no folder). */
baton_rc baton__run_expand_patterns(baton *ctx, const baton_request *req, const char *root,
                                    int root_fd, char **out);
/* A copy of text (malloc'd) with each quotation of several words blanked out (each byte 0x01,
 * read as no word): "say 'I love *.wav files'" names no file. NULL when out of memory. */
char *baton__run_mask_quotations(const char *text);
/* Refuses a word of text (quotations of several words aside) naming a file baton cannot read:
 * a path ("/etc/passwd", "../x", "./README"; one with a '/' inside when absolute) or a regular
 * file in scope's first root (the caller's folder), of a type baton__type_of_path does not
 * know and baton__names_unreadable_file does not refuse. 0, or -1 with err naming the word
 * (outside the allowed folders, no such file, or a type baton does not know). */
struct baton__input_scope;
/* "describe mi foto ñ.png" with no file "ñ.png": the name the request's words right before name
 * make ("foto ñ.png", "mi foto ñ.png") of a file the scope opens, said in hint as one to quote;
 * false (hint untouched) if none. */
bool baton__run_hint_spaced_name(const struct baton__input_scope *scope, const char *request,
                                 const char *name, char *hint, size_t hintlen);
/* Notes in note (after what it holds) each literal file argument of g the request names unquoted
 * with spaces, no file of that name there but one of the words before it and it (`baton plan`
 * says what `baton run` would refuse). */
void baton__run_note_spaced_names(baton *ctx, const baton_request *req, const baton__graph *g,
                                  char note[BATON__PLAN_NOTE]);
int baton__run_check_names(const struct baton__input_scope *scope, const char *text, char *err,
                           size_t errlen);
/* The same for a request only planned: its folder (input_root, else the current one) opened
 * for the while. */
baton_rc baton__run_expand_patterns_here(baton *ctx, const baton_request *req, char **out);
/* Does a task of this kind keep subtitles' cues (a translation)? */
bool baton__run_subs_keeps(const char *task);
/* A text input of t's that is subtitles becomes the cues' words, a paragraph a cue (not for a
 * question, which may ask when something is said); when t keeps cues (a translation), the
 * subtitles are handed back in *subs (caller frees; else NULL), to put its answer back into. 0,
 * or -1 with err when those have more than BATON__SUBCUES_MAX cues (others pass as they are). */
int baton__run_subs_take(const baton__task *t, baton__values *in, char **subs, char *err,
                         size_t errlen);
/* Puts the text of out, a paragraph a cue, back into subs' cues, and keeps them in a subtitles file
 * (task N's "taskN.srt" or ".vtt", unless its save_as names one). 0, or -1 with err. */
int baton__run_subs_refill(baton_run *run, const baton__task *t, const char *subs,
                           baton__values *out, char *err, size_t errlen);
/* Creates the run's workspace the first time a task may write a file. */
int baton__run_ensure_workspace(baton_run *run, const baton__task *t, char *err, size_t errlen);

/* ---- run_save.c ---- */
/* Keeps a task's results as its save_as asks: a picture or sound written in another format
 * ("fox.jpg", a model server's PNG) rewritten by the local image or sound executor (the first
 * file removed); a text (its JSON for "x.json" or when it has no text) written into the run
 * folder under that name, its path added to out as BATON__OUTPUT_FILE. 0 (nothing asked too), or
 * -1 with err when the result could not be kept in the format asked for: then it stays in out
 * as it was ("hello.wav" for a save_as "hello.m4a" nothing here writes), and err says why. */
int baton__run_keep_as_asked(baton_run *run, const baton__task *t, baton__values *out, char *err,
                             size_t errlen);

/* ---- run_files.c ---- */
/* Is id a run id as baton makes them ("20261206-061800-dde571398b30": digits, lower-case letters
 * and '-', under 64 bytes)? Nothing else names a run's folder: never a path out of home/runs. */
bool baton__run_id_ok(const char *id);
/* Opens for reading the file `path` a stored run made: an absolute path beneath the run's folder
 * $BATON_HOME/runs/ID/ (as the run's outputs name it), reached beneath that folder following no
 * link out of it and no "..", a regular file. Only a run recorded as uid's when uid >= 0 (else
 * any). The descriptor (blocking); -1 with err; -2 with err when path names no file of a run
 * uid may see (not under runs/, not a run id, no such run, another user's: all alike). */
int baton__run_file_open(baton *ctx, const char *path, long uid, char *err, size_t errlen);

/* ---- run_prune.c ---- */
/* Removes the folders of the oldest runs past the newest cfg.runs_kept (never a running one;
 * at most a few dozen a call), each recorded in the history first (baton__runstore_claim_files),
 * where their records stay. Failures are logged, never the caller's. */
void baton__runs_prune(baton *ctx);

/* ---- run_replay.c ---- */
/* Replays one task from the recorded run (no model is called). */
void baton__run_replay_task(baton_run *run, size_t idx);

/* ---- run_dispatch.c ---- */
/* The scheduling tables and the pool items of the run's graph. 0, or -1. */
int baton__run_tables(baton_run *run);
/* Queues a task (or, with idx == g.n, the finishing) on the context's pool. */
int baton__run_queue_item(baton_run *run, size_t idx);

/* ---- run_finish.c ---- */
/* Builds the result and the answer, stores them, and sends the last events. */
void baton__run_finish(baton_run *run);
/* What a run's LLM calls cost (llm: NULL for none), into res as "usage". */
void baton__run_add_usage(const baton__run_llm *llm, cJSON *res);
/* Why a run whose planning was stopped ended, as its result says it. */
#define BATON__CANCELLED_UNPLANNED "cancelled while it was being planned"
/* Records in the history a run that ended before it had a plan (rc: BATON_CANCELLED, or why its
 * planning failed; why: the cancel reason or the error): status "cancelled" or "failed", its
 * request (may be NULL), no tasks, the cost of the LLM calls made (llm, may be NULL). *result_out
 * (when given) gets its result JSON, as baton_run_get() shows it, or NULL. Leaves
 * baton_errmsg() as it was; a history that cannot record it is logged. 0 or -1. */
int baton__run_store_unplanned(baton *ctx, const char *run_id, long long uid, const char *request,
                               baton_rc rc, const char *why, const baton__run_llm *llm,
                               char **result_out);

/* ---- run_accepted.c ---- */
/* Records a run the daemon accepted (before it tells the client its id): running, no plan yet,
 * committed before it returns (baton__runstore_accept). 0, or -1 with err. */
int baton__run_record_accepted(baton *ctx, const char *run_id, long long uid,
                               const char *request, char *err, size_t errlen);
/* Removes such a run's record when it never started (its submit refused); a run recorded since
 * (started, or ended before its plan) keeps its record. Queued; a failure is logged. */
void baton__run_forget_accepted(baton *ctx, const char *run_id);

#endif
