/*
 * baton.h — the public API of libbaton, a HuggingGPT-style task orchestrator.
 *
 * A request in plain language becomes a task graph (planner), each task is
 * matched to a model (registry), tasks run in dependency order (runtime,
 * executors) and one answer cites every result (summarizer).
 *
 * Conventions used throughout this header:
 *  - Functions return a baton_rc; BATON_OK is 0. Detail text for the
 *    calling thread's most recent failure is available from baton_errmsg()
 *    (thread-local, like errno).
 *  - Structs the caller fills (baton_request, baton_server_options,
 *    baton_mcp_options) start with a size member: initialise them from
 *    their BATON_..._INIT macro. The library refuses a size of 0 or one
 *    larger than it knows (BATON_INVALID) and takes fields past a smaller
 *    one as zero. baton_event, filled by the library, carries its size too.
 *  - Each declaration says whether it is thread-safe.
 *  - Out-parameters come last. Strings the library hands out are freed with
 *    baton_free(); strings passed in are copied unless a comment says
 *    "borrowed".
 *  - Every _free()/_close() accepts NULL and then does nothing.
 *  - The library never prints. It reports through the log and event
 *    callbacks the embedder installs.
 *  - Nothing in this header includes a third-party header. Only what is
 *    declared here is API.
 */
#ifndef BATON_H
#define BATON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BATON_BUILDING_LIBRARY)
#define BATON_API __attribute__((visibility("default")))
#else
#define BATON_API
#endif

#define BATON_VERSION_MAJOR 0
#define BATON_VERSION_MINOR 1
#define BATON_VERSION_PATCH 0

/*
 * Result codes, generated from one list so the enum and baton_strerror()
 * never drift. Codes are never renumbered; new ones are appended.
 */
#define BATON_RC_LIST(X)                                                     \
  X(OK, 0, "success")                                                        \
  X(ERROR, 1, "internal error")                                              \
  X(NOMEM, 2, "out of memory")                                               \
  X(INVALID, 3, "invalid argument")                                          \
  X(CONFIG, 4, "bad configuration")                                          \
  X(NOTFOUND, 5, "not found")                                                \
  X(IO, 6, "input/output error")                                             \
  X(DB, 7, "registry database error")                                        \
  X(PLAN, 8, "invalid task graph")                                           \
  X(UNAVAILABLE, 9, "no executor or model available")                        \
  X(EXEC, 10, "task execution failed")                                       \
  X(CANCELLED, 11, "cancelled")                                              \
  X(TIMEOUT, 12, "timed out")                                                \
  X(LIMIT, 13, "input exceeds a configured limit")                           \
  X(DENIED, 14, "access denied")                                             \
  X(LLM, 15, "language model request failed")                                \
  X(BUSY, 16, "busy")

typedef enum baton_rc {
#define BATON__RC_ENUM(name, num, text) BATON_##name = num,
  BATON_RC_LIST(BATON__RC_ENUM)
#undef BATON__RC_ENUM
} baton_rc;

/* Static text for a result code; never NULL ("unknown error" for codes not
 * in the list). Thread-safe. */
BATON_API const char *baton_strerror(int rc);

/* The library version as "MAJOR.MINOR.PATCH". Static storage; thread-safe. */
BATON_API const char *baton_version(void);

/* Frees memory the library handed out (strings from the *_json calls and
 * baton_plan()). NULL is a no-op. Thread-safe. */
BATON_API void baton_free(void *ptr);

/* ---------------------------------------------------------------------- */
/* Context                                                                  */

/* A context owns the configuration, the registry connection, the executor
 * table and the LLM client. All other objects hang off it. */
typedef struct baton baton;

/* Log levels passed to the log callback. */
typedef enum baton_log_level {
  BATON_LOG_ERROR = 0,
  BATON_LOG_WARN = 1,
  BATON_LOG_INFO = 2,
  BATON_LOG_DEBUG = 3
} baton_log_level;

/* Log callback: msg is borrowed for the duration of the call. It may be
 * called from any thread the library uses, so it must be thread-safe. */
typedef void (*baton_log_fn)(void *userdata, baton_log_level level, const char *msg);

/*
 * Opens a context.
 *  config_path: YAML config file (borrowed for the call). NULL means the
 *               default lookup: $BATON_CONFIG, else
 *               $XDG_CONFIG_HOME/baton/config.yaml if it exists, else none.
 *               Environment variables then override the file (INTERFACE.md).
 *  out:         receives the context; the caller closes it with
 *               baton_close(). On failure *out is still set (unless the
 *               failure was BATON_NOMEM) so that baton_errmsg(*out) can
 *               explain; close it anyway.
 * Returns BATON_OK, BATON_CONFIG (bad file, with the line in the message, or
 * a data folder that cannot be created: BATON_HOME or 'home' names a bad
 * place), BATON_DB or BATON_IO (registry unusable, disk full), BATON_NOMEM.
 * The registry is created and seeded from the shipped catalogue on first use.
 * Thread-safe (contexts are independent).
 */
BATON_API baton_rc baton_open(const char *config_path, baton **out);

/* Closes a context and frees everything it owns. It first does what
 * baton_shutdown() does (planning under way stops, runs still going are
 * cancelled), then waits until those runs have ended (their results
 * written), then frees. Run handles stay valid after it: baton_run_wait(),
 * baton_run_result_json() (status "cancelled" for a run it cancelled) and
 * baton_run_free() still work and must still be called. NULL is a no-op.
 * Thread safety: call it once, after every other call on the context has
 * returned, except calls on runs (baton_run_*) and baton_shutdown(); to
 * close while other threads may still be in calls, call baton_shutdown()
 * first, wait for those calls to return (they soon do), then this. */
BATON_API void baton_close(baton *ctx);

/* Starts closing a context while other threads may still be using it:
 * planning under way stops (as baton_interrupt()), every run going is
 * cancelled (as baton_run_cancel()), including those of baton_task() calls,
 * and from now on planning and starting runs fail with BATON_CANCELLED
 * ("the context is being closed"), so those calls return soon. Other calls
 * (model queries) still work until baton_close(). Returns at once and frees
 * nothing. Thread-safe; calling it again is harmless. NULL is a no-op. */
BATON_API void baton_shutdown(baton *ctx);

/* The detail text of the most recent failed call made by the calling
 * thread (on any context, or with none, such as baton_socket_path()), or ""
 * when none failed yet. Thread-local, like errno: failures on other threads
 * never change it, so reading it races with nothing. The text stays valid
 * until this thread's next failed call; copy it to keep it longer. ctx is
 * accepted for clarity and may be NULL. Never NULL. */
BATON_API const char *baton_errmsg(const baton *ctx);

/* Installs the log callback (NULL silences logging). level is the most
 * verbose level delivered. Call before other threads use the context. */
BATON_API void baton_set_log(baton *ctx, baton_log_level level, baton_log_fn fn,
                             void *userdata);

/* The resolved data folder (registry, runs, workspaces). Borrowed for the
 * context's lifetime. Thread-safe. */
BATON_API const char *baton_home(const baton *ctx);

/* ---------------------------------------------------------------------- */
/* Runs                                                                     */

typedef struct baton_run baton_run;

/* Event types, in the order a run produces them. */
typedef enum baton_event_type {
  BATON_EVENT_PLAN = 0,          /* json: the plan array; text: the planner's
                                    note (a step it left out, a kind nothing
                                    here runs, an input no step takes), or
                                    NULL; the result's "note" repeats it */
  BATON_EVENT_TASK_STARTED = 1,  /* task_id, task, model */
  BATON_EVENT_TASK_FINISHED = 2, /* task_id, task, model, json: the task object */
  BATON_EVENT_TASK_FAILED = 3,   /* task_id, task, model, text: the error */
  BATON_EVENT_SUMMARY_DELTA = 4, /* text: the next piece of the answer */
  BATON_EVENT_DONE = 5,          /* json: the whole result object */
  BATON_EVENT_TASK_WAITING = 6   /* task_id, task, text: why it waits (no queue
                                    worker serves it yet) */
} baton_event_type;

/* Name of an event type as used on the wire ("plan", "task.started", ...).
 * Static storage. Thread-safe. */
BATON_API const char *baton_event_name(baton_event_type type);

/* One event. Every pointer is borrowed for the duration of the callback.
 * size is sizeof(baton_event) of the library that sent it: a field added
 * later exists when offsetof(baton_event, field) < ev->size. */
typedef struct baton_event {
  size_t size;
  baton_event_type type;
  const char *run_id;
  int task_id;        /* -1 when the event is not about one task */
  const char *task;   /* task name, or NULL */
  const char *model;  /* model id, or NULL */
  const char *text;   /* error text or summary piece, or NULL */
  const char *json;   /* a JSON document as described per type, or NULL */
  double ts;          /* seconds since the Unix epoch */
} baton_event;

/* Event callback. Called from the library's worker threads, one event at a
 * time per run (never concurrently for the same run), in order. It must not
 * call baton_run_wait() or baton_run_free() on the run it is told about. */
typedef void (*baton_event_fn)(void *userdata, const baton_event *ev);

/* What to run. Start from BATON_REQUEST_INIT (it sets size), then set what
 * applies: baton_request req = {BATON_REQUEST_INIT, .text = "..."};
 * Functions taking a request refuse one whose size is 0 (not initialised)
 * or larger than the library knows (BATON_INVALID); a smaller one, from a
 * program built against an older header, has the later fields taken as
 * zero. All pointers are borrowed for the duration of the call. */
typedef struct baton_request {
  size_t size;             /* sizeof(baton_request) */
  const char *text;        /* the request in plain language; NULL with plan_json */
  const char *plan_json;   /* a task graph to execute as is (skips the planner) */
  const char *const *inputs; /* extra input files the request refers to */
  size_t n_inputs;
  int offline;             /* 1: use the offline planner and summarizer even
                              when an LLM is configured */
  const char *input_root;  /* folder that relative paths in the request are
                              resolved against and that inputs must lie
                              under; NULL: the current directory */
  const char *messages;    /* chat history for multi-turn use, or NULL: a JSON
                              array of {"role": "user"|"assistant", "content":
                              "..."} objects, oldest first (optionally with
                              "files": [paths] and "outputs": {type: value}
                              naming what an earlier turn produced). The LLM
                              planner and summarizer see it, trimmed oldest
                              first to llm.history_chars; the offline planner
                              resolves "it", "that", "the result" to the
                              newest of those files and outputs; a
                              conversational task is sent its last four
                              exchanges before the new message. */
  int as_caller;           /* 1: input files are opened with the rights of
                              caller_uid/caller_gid (a daemon serving another
                              user), and with input_root NULL only
                              allowed_roots are open to it; the run is
                              recorded as caller_uid's */
  unsigned caller_uid, caller_gid;
  const char *home;        /* the caller's home folder: what a leading "~/" in
                              a file name the request gives stands for (the
                              file must still lie in the folders inputs may
                              come from); NULL: $HOME, else the user
                              database's home of this process's user, or of
                              caller_uid with as_caller */
  const unsigned *caller_groups; /* with as_caller: all the caller's
                              supplementary groups besides caller_gid (a file
                              its group may read is readable, one its group
                              may not is not); NULL: none */
  size_t n_caller_groups;
  uint64_t interrupt_tag;  /* non-zero: baton_interrupt_tag(ctx, tag) stops the
                              planning of this request (and of no other
                              request, unless it has the same tag), even when
                              called before that planning began; 0: only
                              baton_interrupt() reaches it */
} baton_request;

#define BATON_REQUEST_INIT .size = sizeof(baton_request)

/*
 * Starts a run. The plan is made (or parsed) before this returns, so a bad
 * request or plan fails here with BATON_PLAN / BATON_INVALID and a message;
 * the tasks then execute on the context's task threads: one pool of
 * `workers` threads (config), started as needed and shared by all the
 * context's runs, which take turns on it in the order their tasks became
 * ready. A run starts no threads of its own.
 *  on_event/userdata: optional event callback (NULL for none); userdata is
 *                     borrowed until the run is freed.
 *  out: receives the run; the caller frees it with baton_run_free().
 * Thread-safe: many threads may submit on one context.
 */
BATON_API baton_rc baton_submit(baton *ctx, const baton_request *req,
                                baton_event_fn on_event, void *userdata,
                                baton_run **out);

/* The id of the run that the calling thread's last baton_submit() recorded
 * in the run history although it failed, or "" when that call recorded
 * none. A run whose planning was cancelled (baton_interrupt(),
 * baton_interrupt_tag(), baton_close()) or whose LLM planner failed (the
 * endpoint down, a plan it could not use) is recorded with status
 * "cancelled" or "failed", its request, no tasks and the reason
 * (baton_run_get() shows it); a request refused before planning (empty, too
 * long, a missing input) is not. Thread-local, like baton_errmsg(): valid
 * until this thread's next baton_submit(). ctx may be NULL. Never NULL. */
BATON_API const char *baton_failed_run_id(const baton *ctx);

/* Blocks until the run has finished (done, failed or cancelled). Returns
 * BATON_OK when every task succeeded, BATON_EXEC when some task failed,
 * BATON_CANCELLED when cancelled, BATON_DB when the run's end could not be
 * stored in the run history (its result then says "failed" with an
 * "error"). Thread-safe. */
BATON_API baton_rc baton_run_wait(baton_run *run);

/* Asks a run to stop: running tasks are told to stop, pending ones become
 * "cancelled". Returns at once; use baton_run_wait(). Thread-safe. */
BATON_API void baton_run_cancel(baton_run *run);

/* baton_run_cancel(), saying why ("the daemon is shutting down"): the run's
 * result JSON (and its `done` event) then carries "cancel_reason" with that
 * text. The first reason given stays. reason is copied (at most 255 bytes,
 * cut at a UTF-8 character); NULL is as baton_run_cancel(). Thread-safe; not
 * async-signal-safe (baton_run_cancel() is). */
BATON_API void baton_run_cancel_because(baton_run *run, const char *reason);

/* Stops the planning that baton_submit(), baton_plan() or baton_run_*() are
 * doing on this context right now (an LLM call, its retries and back-off):
 * within about a tenth of a second those calls return BATON_CANCELLED.
 * Runs already executing are not touched (baton_run_cancel() stops those).
 * Returns at once. Thread-safe and async-signal-safe: a SIGINT handler may
 * call it. */
BATON_API void baton_interrupt(baton *ctx);

/* As baton_interrupt(), only for the planning of requests whose
 * interrupt_tag is tag (0 does nothing): those under way now, and those
 * starting later while the tag is among the last 64 interrupted (so a
 * caller may interrupt a baton_submit() on another thread without knowing
 * whether its planning has begun). The caller picks tags, one per request
 * (a counter does). Other calls planning are not touched. Returns at once.
 * Thread-safe and async-signal-safe. */
BATON_API void baton_interrupt_tag(baton *ctx, uint64_t tag);

/* The run id. Borrowed for the run's lifetime. Thread-safe. */
BATON_API const char *baton_run_id(const baton_run *run);

/* The result as the JSON object of `baton run --json` (INTERFACE.md).
 * Only valid after baton_run_wait() returned; NULL before. Borrowed for the
 * run's lifetime. Thread-safe after the wait. */
BATON_API const char *baton_run_result_json(const baton_run *run);

/* The answer text. Same lifetime rules as baton_run_result_json(). */
BATON_API const char *baton_run_summary(const baton_run *run);

/* Frees a run, waiting for it first if it is still going. NULL is a no-op.
 * Not thread-safe with other calls on the same run. */
BATON_API void baton_run_free(baton_run *run);

/* ---------------------------------------------------------------------- */
/* Planning, single tasks, registry                                         */

/* Plans a request without running it. *json_out receives the plan array,
 * each task with the model chosen for it and its candidates; free it with
 * baton_free(). Thread-safe. */
BATON_API baton_rc baton_plan(baton *ctx, const baton_request *req, char **json_out);

/* As baton_plan(); when the LLM answered the request itself instead of
 * planning (the plan is then []), *answer_out receives that answer (free
 * with baton_free()), else NULL. answer_out may be NULL. Thread-safe. */
BATON_API baton_rc baton_plan_answer(baton *ctx, const baton_request *req, char **json_out,
                                     char **answer_out);

/* As baton_plan_answer(); *note_out receives the planner's note on the plan, the text the
 * plan event and the "note" of a run's result carry (an input no step takes, a step left out,
 * a task kind nothing here runs, a language it read a word as; notes joined by "; "), or NULL
 * when it has none; free it with baton_free(). answer_out and note_out may be NULL.
 * Thread-safe. */
BATON_API baton_rc baton_plan_noted(baton *ctx, const baton_request *req, char **json_out,
                                    char **answer_out, char **note_out);

/* Runs one task directly. args_json is a JSON object of arguments such as
 * {"image":"sign.png"} (borrowed). model may be NULL (the registry picks) or
 * a model id. *json_out receives the task object of `--json` output (free
 * with baton_free()); it is set even when the task failed, in which case
 * BATON_EXEC (or another code) is returned. Thread-safe. */
BATON_API baton_rc baton_task(baton *ctx, const char *task, const char *args_json,
                              const char *model, const char *input_root,
                              char **json_out);

/* Lists models as a JSON array. task may be NULL (all tasks); limit <= 0
 * means no limit. Free *json_out with baton_free(). Thread-safe. */
BATON_API baton_rc baton_models_list(baton *ctx, const char *task, int limit,
                                     char **json_out);

/* Searches model descriptions. Returns a JSON array ranked best first, each
 * with its score parts. task may be NULL. Free with baton_free(). The text
 * is searched as words (letters and digits; search operators are plain
 * text); text without a word to look for is BATON_INVALID. Thread-safe. */
BATON_API baton_rc baton_models_search(baton *ctx, const char *text, const char *task,
                                       int limit, char **json_out);

/* The stored runs, newest first, as a JSON array of
 * {run_id, status, request, created, updated, tasks}; at most limit
 * (<= 0: 50). Runs left unfinished by a process that died are listed as
 * "interrupted". Free *json_out with baton_free(). Thread-safe. */
BATON_API baton_rc baton_runs_list(baton *ctx, int limit, char **json_out);
/* The same, only the runs recorded as uid's (each item's "uid": the user a
 * run belongs to; baton_request.caller_uid, else the process's). uid < 0:
 * all. */
BATON_API baton_rc baton_runs_list_of(baton *ctx, long uid, int limit, char **json_out);

/* Why this context cannot record runs (the run history is damaged, or
 * opened read-only because it cannot be written: full disk, read-only
 * file), or NULL when it can. Reading commands still work when it is only
 * read-only. Borrowed until baton_close(). */
BATON_API const char *baton_history_readonly(baton *ctx);

/* Resumes a stored run that did not finish (interrupted, failed or
 * cancelled): its finished tasks keep their outputs, the others run again,
 * in the same run id and workspace. BATON_NOTFOUND for an unknown id,
 * BATON_INVALID for a run that finished or is running elsewhere,
 * BATON_DENIED for a run of another user (unless the caller is root or owns
 * the run history), BATON_DB when the conversation stored for its chat tasks
 * is not valid (an edited run history). Its chat tasks are sent the
 * conversation the first attempt sent. Otherwise as baton_submit().
 * Thread-safe. */
BATON_API baton_rc baton_run_resume(baton *ctx, const char *run_id, baton_event_fn on_event,
                                    void *userdata, baton_run **out);

/* Replays a stored run as a new run without calling any model or LLM: the
 * recorded plan, each task's recorded outputs (text as recorded, files copied
 * byte for byte into the new workspace) and recorded failures. The result
 * JSON names the source in "replay_of". BATON_DENIED as for
 * baton_run_resume(). Otherwise as baton_submit(). Thread-safe. */
BATON_API baton_rc baton_run_replay(baton *ctx, const char *run_id, baton_event_fn on_event,
                                    void *userdata, baton_run **out);

/* One stored run as the result JSON of `baton run --json` (for a run still
 * going or interrupted: the tasks recorded so far). BATON_NOTFOUND for an
 * unknown id. Free *json_out with baton_free(). Thread-safe. */
BATON_API baton_rc baton_run_get(baton *ctx, const char *run_id, char **json_out);

/* Opens for reading a file a stored run made: path absolute, as the run's outputs name it,
 * beneath the run's folder $BATON_HOME/runs/RUN_ID/ (reached beneath that folder, following no
 * link out of it and no ".."), a regular file. uid >= 0: only a run recorded as uid's (each run's
 * "uid"; a daemon passes the caller's, so another user's run is not found, as an unknown one);
 * uid < 0: any run. BATON_OK with *fd_out a read-only descriptor the caller closes;
 * BATON_NOTFOUND when path names no file of such a run (not beneath runs/, no such run, another
 * user's, no such file, its files removed by limits.runs_kept); BATON_IO otherwise (not a
 * regular file, unreadable), with the reason in baton_errmsg(). Thread-safe. */
BATON_API baton_rc baton_run_file_open(baton *ctx, const char *path, long uid, int *fd_out);

/* The executors built into this library as a JSON array of
 * {name, tasks, available, reason, details (what is installed, when the
 * executor says)}. Free with baton_free(). Thread-safe. */
BATON_API baton_rc baton_executors_json(baton *ctx, char **json_out);

/* Asks baton-worker afresh what the local executors are and rewrites the
 * cache of its answer in BATON_HOME (otherwise renewed by itself when the
 * worker program, the version, the config or an executor's data changes).
 * A context that had already asked keeps its answer; contexts opened later
 * see the new one. Thread-safe. */
BATON_API baton_rc baton_executors_refresh(baton *ctx);

/* The task kinds the registry knows, as a JSON array of {name, description,
 * inputs: [types], outputs: [types], params: [names], model, available}:
 * params are the plain arguments the task takes besides its inputs (an input
 * is passed as the argument named by its type), model is the id the
 * registry would choose now for a step with no text (null when no model of
 * the task can run here), available says whether one can. Types are
 * "text", "image", "audio", "video", "json". Free *json_out with
 * baton_free(). Thread-safe. */
BATON_API baton_rc baton_tasks_json(baton *ctx, char **json_out);
/* The live workers of the configured task queue as a JSON array of
 * {name, host, pid, tasks, executors, concurrency, in_flight, done, failed,
 * started, last_seen} (times in Unix seconds). BATON_CONFIG when no queue is
 * configured, BATON_IO when Redis does not answer. Free with baton_free(). */
BATON_API baton_rc baton_workers_json(baton *ctx, char **json_out);

/* ---------------------------------------------------------------------- */
/* Model registry: import, export, editing, Hub sync, explanations           */
/* (owned by the registry work; see docs/benchmarks.md for its speed)        */

/*
 * Imports a model catalogue file into the registry.
 *  path:   the file (borrowed).
 *  format: "yaml" (the format of the shipped catalogue), "hugginggpt"
 *          (HuggingGPT's p0_models.jsonl, one JSON object a line; also reads
 *          baton_models_export()'s "jsonl"), "hub" (a JSON array of Hub
 *          /api/models items, or one item a line), or NULL to guess from the
 *          extension (.yaml/.yml, .jsonl, .json).
 * All or nothing and idempotent: a bad entry fails the whole import with
 * "FILE:LINE: reason" in baton_errmsg() and nothing written (BATON_INVALID);
 * importing the same file again changes nothing. Models of tasks the
 * registry does not know are skipped and counted (hugginggpt, hub).
 * Model-card text is cleaned into a short description (front matter,
 * markdown and HTML removed). Other threads and processes keep reading the
 * registry while an import runs.
 * *json_out receives {"file","format","models","inserted","updated",
 * "unchanged","skipped","skipped_tasks":{task:n},"tasks"}; free it with
 * baton_free(). Returns BATON_OK, BATON_INVALID (bad file or format),
 * BATON_IO (unreadable file), BATON_DB. Thread-safe.
 */
BATON_API baton_rc baton_models_import(baton *ctx, const char *path, const char *format,
                                       char **json_out);

/*
 * Exports the registry's models (of one task, or all when task is NULL) as
 * text: format "yaml" (importable with format "yaml", with the tasks the
 * models use) or "jsonl" (one JSON object a line, importable with format
 * "hugginggpt"). NULL format means "yaml". *text_out receives the text; free
 * it with baton_free(). Returns BATON_OK, BATON_INVALID, BATON_NOTFOUND
 * (unknown task), BATON_DB. Thread-safe.
 */
BATON_API baton_rc baton_models_export(baton *ctx, const char *format, const char *task,
                                       char **text_out);

/*
 * Adds a model, or edits one: model_json (borrowed) is an object
 * {"id", "task", "endpoint", "description"?, "tags"?: [..], "downloads"?,
 *  "likes"?, "license"?, "enabled"?}. endpoint is "local:<executor>",
 * "hf-inference", "llm" or an http(s) URL. For an existing id only the
 * members given change ({"id":"x","enabled":false} marks a model
 * unavailable). The model is marked as edited here, so `models sync` keeps
 * the edit. Returns BATON_OK, BATON_INVALID (with the reason), BATON_DB.
 * Thread-safe.
 */
BATON_API baton_rc baton_models_add(baton *ctx, const char *model_json);

/* Removes a model and its health record. BATON_NOTFOUND for an unknown id.
 * Thread-safe. */
BATON_API baton_rc baton_models_remove(baton *ctx, const char *id);

/*
 * One model as a JSON object: the fields of baton_models_list() plus source
 * ("catalogue", "import", "hub", "user"), edited, popularity, local_bonus and
 * "health": {successes, failures, fail_rate, last_latency_ms,
 * latency_ewma_ms, avg_latency_ms, last_error, last_error_at, updated_at,
 * score_part}. Free *json_out with baton_free(). BATON_NOTFOUND for an
 * unknown id. Thread-safe.
 */
BATON_API baton_rc baton_models_show(baton *ctx, const char *id, char **json_out);

/*
 * Syncs the models of one task from the Hugging Face Hub: pages through
 * $BATON_HUB_BASE_URL (default https://huggingface.co)/api/models sorted by
 * downloads until limit models (1..100000), with HF_TOKEN as bearer token
 * when set, waiting and retrying on HTTP 429 (Retry-After / RateLimit) and
 * 5xx; then upserts them in one transaction. Models added or edited here
 * keep their text (only downloads and likes are refreshed). *json_out
 * receives {"task","fetched","inserted","updated","unchanged","kept_local",
 * "skipped","pages","retries"}; free with baton_free(). Returns BATON_OK,
 * BATON_NOTFOUND (unknown task), BATON_INVALID, BATON_IO (the Hub could not
 * be reached or refused), BATON_DB. Blocks for the whole transfer.
 * Thread-safe.
 */
BATON_API baton_rc baton_models_sync(baton *ctx, const char *task, int limit, char **json_out);

/*
 * The model servers configured under `endpoints:`, as a JSON array of
 * {"name","base_url","max_inflight","key" (whether a key is set; never the
 * key),"models":[{"id","tasks"}],"in_flight" (this process),"health"
 * ("up", "down" or "unknown"; as last recorded by any process),"last_error"
 * (or null),"recorded"?:{...}}. Free with baton_free(). Thread-safe.
 */
BATON_API baton_rc baton_endpoints(baton *ctx, char **json_out);

/*
 * Asks endpoint `name` for its models (GET {base_url}/models) and returns
 * {"endpoint","models":[{"id","declared","declared_tasks","suggested_tasks"}],
 * "config":"YAML lines to paste"}: tasks guessed from each id (whisper ->
 * automatic-speech-recognition...), offered and never applied; the config
 * is unchanged. BATON_NOTFOUND for an unknown name, BATON_IO when the server
 * cannot say. Thread-safe.
 */
BATON_API baton_rc baton_endpoint_models(baton *ctx, const char *name, char **json_out);

/*
 * Explains which model the registry would choose for a task and step text:
 * {"task","text","terms":[...],"chosen":id|null,"why":"...",
 *  "candidates":[{rank, id, endpoint, score, relevance, popularity, health,
 *  local_bonus, matched:[words], available, reason, chosen}]}, the best
 * limit (<= 0: 10) models of the task ranked as the matcher ranks them,
 * unavailable ones included with the reason. text may be NULL. Free
 * *json_out with baton_free(). BATON_NOTFOUND for an unknown task.
 * Thread-safe.
 */
BATON_API baton_rc baton_models_explain(baton *ctx, const char *text, const char *task,
                                        int limit, char **json_out);

/* ---------------------------------------------------------------------- */
/* Daemon: the JSON-RPC server behind batond                                */
/* (owned by the daemon work; the protocol is in INTERFACE.md)               */

/*
 * The socket path clients and the daemon use: $BATON_SOCKET, else the
 * config file's "socket", else $XDG_RUNTIME_DIR/baton.sock, else
 * /tmp/baton-$UID/baton.sock. config_path as for baton_open() (borrowed).
 * Reads only the configuration (no registry is opened), so it is cheap.
 * *path_out receives the path; free it with baton_free(). On failure
 * (BATON_CONFIG: the config file is wrong; BATON_NOMEM) *path_out is NULL
 * and baton_errmsg(NULL) tells why. Thread-safe.
 */
BATON_API baton_rc baton_socket_path(const char *config_path, char **path_out);

/* A JSON-RPC 2.0 server on a Unix socket, one object per line: methods
 * submit, plan, run.get, run.cancel, runs.list, models.search, models.list,
 * executors.list, health; run progress as "event" notifications. One event
 * loop thread serves every client; requests that may block (planning,
 * registry queries) run on a few helper threads; runs execute on the
 * context's workers. */
typedef struct baton_server baton_server;

/* Server settings. Start from BATON_SERVER_OPTIONS_INIT (it sets size),
 * then set what applies; the size is checked as for baton_request. NULL
 * options mean all defaults. Pointers are borrowed for the duration of
 * baton_server_new(). */
typedef struct baton_server_options {
  size_t size;              /* sizeof(baton_server_options) */
  const char *config_path;  /* as for baton_open(); also re-read on reload */
  const char *socket_path;  /* NULL: baton_socket_path() of the config */
  int listen_fd;            /* > 0: an already listening Unix socket to serve
                               (systemd socket activation; the server then
                               owns it); 0: bind socket_path */
  baton_log_fn log_fn;      /* log callback for the server and its context,
                               or NULL; must be thread-safe */
  void *log_userdata;
  baton_log_level log_level;
} baton_server_options;

#define BATON_SERVER_OPTIONS_INIT .size = sizeof(baton_server_options)

/*
 * Opens a context and binds the socket: its folder is created with mode
 * 0700 when missing (an existing folder must belong to this user and not be
 * writable by others), the socket gets mode 0600. A socket left by a dead
 * daemon is replaced; a live one makes this fail with BATON_BUSY.
 * Connections are accepted from this user, and from the uids listed in the
 * config's daemon.allow_uids. Returns BATON_OK, BATON_BUSY, BATON_DENIED,
 * BATON_IO, BATON_CONFIG, BATON_NOMEM, or what baton_open() returns. On
 * failure *out is still set (unless BATON_NOMEM) so that
 * baton_server_errmsg() can explain; free it anyway.
 * Thread-safe (servers are independent).
 */
BATON_API baton_rc baton_server_new(const baton_server_options *opts, baton_server **out);

/* Serves clients until baton_server_stop() has taken effect: then no new
 * connections are accepted, running runs get the grace period to finish,
 * the rest are cancelled (their finished tasks stay recorded, so `baton runs
 * resume` continues them), clients get their results, and this returns
 * BATON_OK (BATON_ERROR when the event loop failed; see errmsg). Call from
 * one thread only. */
BATON_API baton_rc baton_server_run(baton_server *srv);

/* Asks a running server to stop, with grace_ms for runs in flight (< 0: the
 * config's daemon.grace_ms). Returns at once. Async-signal-safe and
 * thread-safe, so a SIGTERM handler may call it. */
BATON_API void baton_server_stop(baton_server *srv, int grace_ms);

/* Asks the server to re-read its config file: new requests then use a new
 * context (runs already going finish on the old one), and the daemon
 * settings (allow list, limits) change. A bad file keeps the old settings
 * and is logged. Returns at once. Async-signal-safe and thread-safe, so a
 * SIGHUP handler may call it. */
BATON_API void baton_server_reload(baton_server *srv);

/* The socket path served. Borrowed for the server's lifetime. Thread-safe. */
BATON_API const char *baton_server_socket(const baton_server *srv);

/* Detail text of the server's last failure, or "". Borrowed until the next
 * call on the server. Never NULL, even for NULL. Not thread-safe with
 * baton_server_run(). */
BATON_API const char *baton_server_errmsg(const baton_server *srv);

/* Removes the socket (when this server created it) and frees everything,
 * closing the context. Call after baton_server_run() returned, or instead of
 * it. NULL is a no-op. Not thread-safe. */
BATON_API void baton_server_free(baton_server *srv);

/* ---------------------------------------------------------------------- */
/* Client: a program talking to a running batond                            */

/* A connection to batond (its protocol is in INTERFACE.md). Errors come
 * through baton_errmsg(NULL), as everywhere. One thread uses a client at a
 * time, except for baton_client_cancel(); clients are independent of each
 * other and of contexts. */
typedef struct baton_client baton_client;

/*
 * Connects to the daemon on baton_socket_path(config_path) (config_path
 * borrowed, as for baton_open()). Returns BATON_OK with *out set, or
 * BATON_NOTFOUND when no daemon answers there (no socket, a stale one) or
 * $BATON_NO_DAEMON is set to anything but "0"; BATON_DENIED when the socket
 * refuses this user; BATON_CONFIG or BATON_NOMEM as baton_socket_path().
 * On failure *out is NULL. Thread-safe.
 */
BATON_API baton_rc baton_client_connect(const char *config_path, baton_client **out);

/* Closes the connection and frees the client. NULL is a no-op. */
BATON_API void baton_client_close(baton_client *c);

/*
 * Calls a daemon method (runs.list, run.get, models.search, executors.list,
 * health, ...) with params_json, a JSON object as text (borrowed; NULL for
 * none), and waits for its answer. *result_json receives the answer's
 * "result" as JSON text (free with baton_free()). An error answer returns
 * the code it carries (BATON_NOTFOUND, BATON_PLAN, ...; BATON_INVALID for
 * parameters the daemon refused) with its message in baton_errmsg(NULL),
 * and *result_json NULL. BATON_IO when the connection failed or closed: the
 * client is then of no further use. Notifications arriving meanwhile are
 * dropped.
 */
BATON_API baton_rc baton_client_call(baton_client *c, const char *method, const char *params_json,
                                     char **result_json);

/*
 * baton_plan() on the daemon: req as for baton_submit() (its size checked
 * the same way; text, plan_json, inputs, n_inputs, offline, messages and
 * input_root are sent, input_root NULL meaning this process's working
 * folder, and this process's $HOME (not req->home) as the home "~/" stands
 * for; the daemon learns the caller from the socket, so as_caller and the
 * uids are not sent). Errors as for baton_client_call().
 */
BATON_API baton_rc baton_client_plan(baton_client *c, const baton_request *req, char **json_out);

/* As baton_client_plan(); *note_out receives what the planner noted about the plan, as
 * baton_plan_noted() gives it (free with baton_free()), or NULL when it noted nothing or the
 * daemon is older and does not say. note_out may be NULL. */
BATON_API baton_rc baton_client_plan_noted(baton_client *c, const baton_request *req,
                                           char **json_out, char **note_out);

/*
 * baton_submit() and baton_run_wait() on the daemon: runs req (as for
 * baton_client_plan()) and waits for the run's end. Events go to on_event
 * (may be NULL) on the calling thread, in order, as a baton_event whose
 * pointers are borrowed for the call. *result_json receives the result
 * object (as baton_run_result_json()) whenever the run ended; free it with
 * baton_free(). Returns BATON_OK (every task succeeded), BATON_EXEC (some
 * failed), BATON_CANCELLED (see baton_client_cancel()), or an error as
 * for baton_client_call() with *result_json NULL.
 */
BATON_API baton_rc baton_client_submit(baton_client *c, const baton_request *req,
                                       baton_event_fn on_event, void *userdata,
                                       char **result_json);

/* Copies a file one of the caller's runs made (path as its outputs name it) from the daemon
 * into out_fd, in pieces of at most 1 MiB (method run.output): what a user the daemon serves may
 * not open itself, the run folders being the daemon user's. *size_out (may be NULL) receives the
 * bytes copied. BATON_NOTFOUND for a path that is no file of the caller's runs (another user's
 * are not found), BATON_IO when writing to out_fd fails (errno kept) or the connection closes;
 * else as baton_client_call(). A file that changes size meanwhile is refused (BATON_IO). */
BATON_API baton_rc baton_client_fetch(baton_client *c, const char *path, int out_fd,
                                      unsigned long long *size_out);

/* Asks the daemon to cancel the run that baton_client_submit() on c is
 * waiting for: within about a fifth of a second once the daemon has told
 * the run's id (its `accepted` event, the first; an older daemon's first
 * is `queued` or `plan`), else as soon as it does. A run its LLM is still
 * planning stops planning and ends cancelled, with no tasks and the
 * cancel_reason "cancelled while it was being planned". A cancel asked
 * while no submit waits is forgotten when the next one starts. Returns at
 * once. Thread-safe and async-signal-safe: a SIGINT handler may call it. */
BATON_API void baton_client_cancel(baton_client *c);

/* ---------------------------------------------------------------------- */
/* MCP: the Model Context Protocol server behind `baton mcp`                 */

/* MCP server settings. Start from BATON_MCP_OPTIONS_INIT (it sets size),
 * then set what applies; the size is checked as for baton_request. Pointers
 * are borrowed for the duration of baton_mcp_serve(). */
typedef struct baton_mcp_options {
  size_t size;              /* sizeof(baton_mcp_options) */
  const char *config_path;  /* as for baton_open() */
  int in_fd;                /* newline-delimited JSON-RPC from the client */
  int out_fd;               /* responses and notifications to the client */
  int use_daemon;           /* 1: run tasks through batond when one answers
                               on baton_socket_path() (as `baton run`), else
                               in this process; 0: always in this process */
  baton_log_fn log_fn;      /* log callback, or NULL; must be thread-safe */
  void *log_userdata;
  baton_log_level log_level;
} baton_mcp_options;

#define BATON_MCP_OPTIONS_INIT .size = sizeof(baton_mcp_options)

/*
 * Serves one MCP client (protocol revision 2025-06-18) on in_fd/out_fd
 * until in_fd reaches end of file: initialize, ping, tools/list,
 * tools/call (tools run, plan, models_search and one per task kind that can
 * run now), notifications/cancelled, resources/list and resources/read (the
 * files the session's runs produced). Calls run on threads of their own, so
 * a long run does not block pings or cancellation. When the input ends,
 * calls still running finish and send their responses before this returns
 * (`printf ... | baton mcp` gets its results), unless the output is gone too
 * (a hang-up or error on out_fd: the client closed): then they are cancelled
 * and waited for. Messages are bounded
 * (4 MiB in; inline file content 1 MiB per file, 4 MiB per result). The
 * caller should ignore SIGPIPE when out_fd is a pipe (sockets need not).
 * Returns BATON_OK when the client closed its end, BATON_INVALID for NULL
 * or unsized options, or what baton_open() returns (BATON_CONFIG, BATON_DB,
 * ...), with the reason in *errmsg_out (free with baton_free(); errmsg_out
 * may be NULL) and in baton_errmsg(NULL). Thread-safe (servers are
 * independent); the fds stay open (the caller closes them).
 */
BATON_API baton_rc baton_mcp_serve(const baton_mcp_options *opts, char **errmsg_out);

#ifdef __cplusplus
}
#endif
#endif /* BATON_H */
