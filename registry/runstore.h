/* runstore.h — durable run history in SQLite: runs, per-task states, outputs, summaries. */
#ifndef BATON_REGISTRY_RUNSTORE_H
#define BATON_REGISTRY_RUNSTORE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;
typedef struct baton__runstore baton__runstore;

/* Current schema version of runs.db (PRAGMA user_version). */
#define BATON__RUNSTORE_SCHEMA 8

/*
 * Opens (creating if needed) the run database at path (WAL). Runs left
 * "running" by a process that no longer holds their lock (runlock.h) are
 * marked "interrupted". A damaged file (unreadable pages, an empty file
 * baton did not just create) is -1 with err naming the file and SQLite's
 * message. A file that can be read but not written (full disk, read-only)
 * opens read-only: see baton__runstore_write_error(). Calls on the handle
 * are serialised (thread-safe).
 */
int baton__runstore_open(const char *path, baton__runstore **out, char *err, size_t errlen);
void baton__runstore_close(baton__runstore *rs);
/* Why this handle cannot record runs (it opened read-only), or NULL. */
const char *baton__runstore_write_error(const baton__runstore *rs);

/* Records a new run as "running" with its request (may be NULL), plan JSON
 * and workspace; all copied. Queued like every write (see
 * baton__runstore_task); -1 with err only when out of memory. */
int baton__runstore_begin(baton__runstore *rs, const char *id, const char *request,
                          const char *plan_json, const char *workspace, char *err,
                          size_t errlen);
/* The same for a run that belongs to uid (begin: this process's euid), with the conversation
 * its chat tasks are sent (chat_json, as baton__conversation_chat writes it; NULL: none), kept
 * for a resume (baton__runstore_chat_history). */
int baton__runstore_begin_as(baton__runstore *rs, const char *id, long long uid,
                             const char *request, const char *plan_json, const char *workspace,
                             const char *chat_json, char *err, size_t errlen);
/* Records a run accepted and not yet planned (a daemon's submit, before it tells the client
 * the run's id): running, with request (may be NULL) and workspace and no plan, committed
 * before it returns, so that a process killed from then on leaves it interrupted, not unknown.
 * Its baton__runstore_begin_as() then takes the row (no other run's row is ever taken: that is
 * an error). 0, or -1 with err (out of memory, read-only, the write failed). */
int baton__runstore_accept(baton__runstore *rs, const char *id, long long uid, const char *request,
                           const char *workspace, char *err, size_t errlen);
/* Removes the row of a run accepted that never began (its submit was refused): only while it
 * is still as baton__runstore_accept() wrote it. Queued; -1 with err when out of memory or
 * read-only. */
int baton__runstore_forget(baton__runstore *rs, const char *id, char *err, size_t errlen);
/* Records one task's state (upsert): the model and the configured model
 * server (endpoint) that answered it; endpoint, outputs_json and error may
 * be NULL.
 * Queued: a writer thread commits queued writes in order, in batches
 * (group commit), within milliseconds, so the database always holds a
 * consistent prefix of the run's history; a process killed at the wrong
 * instant loses at most that last batch, whose tasks run again on resume.
 * A state queued while an earlier one of the same run and task still waits
 * takes its place (one write: the batch holding it is committed whole).
 * When a batch fails, each run's writes in it are retried on their own; a
 * run whose writes still fail has that failure reported by its
 * baton__runstore_finish(). Returns -1 when out of memory or when the
 * history is read-only. */
int baton__runstore_task(baton__runstore *rs, const char *run_id, int task_id, const char *task,
                         const char *model, const char *endpoint, const char *status,
                         const char *outputs_json, const char *error, long long ms, char *err,
                         size_t errlen);
/* The same, naming the queue worker ("HOST:NAME") that has or ran the task
 * (NULL: none). */
int baton__runstore_task_on(baton__runstore *rs, const char *run_id, int task_id,
                            const char *task, const char *model, const char *endpoint,
                            const char *status, const char *outputs_json, const char *error,
                            long long ms, const char *worker, char *err, size_t errlen);
/* Records the end of a run: its status, answer and result JSON, and waits
 * until it and every earlier write are committed. The result is stored
 * without its "plan" and "tasks" (the run's start stored the plan, and
 * baton__runstore_task each task's final state: a big run's tasks are not
 * written twice); baton__runstore_get puts them back. 0, or -1 with err
 * when this or an earlier write of this run could not be stored. */
int baton__runstore_finish(baton__runstore *rs, const char *run_id, const char *status,
                           const char *summary, const char *result_json, char *err,
                           size_t errlen);

/* Waits until every queued write is committed. 0, or -1 with a failure
 * some run's writes met (kept for that run's finish). */
int baton__runstore_flush(baton__runstore *rs, char *err, size_t errlen);
/* Waits likewise; 0, or -1 with (and forgetting) the failure of run_id. */
int baton__runstore_flush_run(baton__runstore *rs, const char *run_id, char *err,
                              size_t errlen);

/* Marks a stored run as running again in this process (for a resume).
 * Queued; -1 with err when out of memory or read-only. */
int baton__runstore_reopen(baton__runstore *rs, const char *run_id, char *err, size_t errlen);

/* Newest first: [{run_id, status, request, created, updated, tasks, uid}] (and
 * "files_pruned": true for a run whose folder was removed), at most
 * limit (<= 0: 50). Caller frees with cJSON_Delete; NULL with err. */
cJSON *baton__runstore_list(baton__runstore *rs, int limit, char *err, size_t errlen);
/* The same, only the runs of uid (uid < 0: all). Each item has "uid". */
cJSON *baton__runstore_list_of(baton__runstore *rs, long long uid, int limit, char *err,
                               size_t errlen);
/* One run: the stored result JSON when finished, else {run_id, status,
 * request, workspace, summary, uid}; "files_pruned": true when its folder
 * was removed (baton__runstore_claim_files); either way with the stored "plan" and
 * "tasks" (every task of the plan, in plan order, from the task rows, or
 * pending) put back before "summary", unless the stored result has them
 * (runs stored before results left them out). NULL with err ("no run ...")
 * when unknown. Caller frees with cJSON_Delete. */
cJSON *baton__runstore_get(baton__runstore *rs, const char *id, char *err, size_t errlen);
/* The conversation stored with run id for its chat tasks (baton__runstore_begin_as), as
 * stored, unchecked: *chat_json gets it (caller frees), NULL when the run has none (and for a
 * run recorded before schema 8). 0, or -1 with err ("no run ..." when unknown). */
int baton__runstore_chat_history(baton__runstore *rs, const char *id, char **chat_json,
                                 char *err, size_t errlen);
/* Up to max ids of runs (NULL-terminated; caller frees each and the array) whose files may go
 * to keep those of the newest `keep` runs: not running, files not yet removed, past the newest
 * `keep` such runs (running ones count) by last update; oldest first. NULL with err. */
char **baton__runstore_prunable(baton__runstore *rs, int keep, int max, char *err,
                                size_t errlen);
/* Records that run id's files are being removed (had_files false: it has none, so nothing was
 * lost) unless the run is running again or another process took it first: committed on its own,
 * never within a transaction of the write queue, before it returns. 1 when this caller may
 * remove its folder (then baton__runstore_files_gone() once it is gone), 0 when it may not, -1
 * with err. The run's record stays: baton__runstore_get and _list then say "files_pruned": true
 * (had_files), and a pruned run is never reopened. */
int baton__runstore_claim_files(baton__runstore *rs, const char *id, bool had_files, char *err,
                                size_t errlen);
/* Records (committed on its own) that the folder of run id, claimed with files, is gone. 1, 0
 * when it was not so claimed, -1 with err. */
int baton__runstore_files_gone(baton__runstore *rs, const char *id, char *err, size_t errlen);
/* Up to max ids of runs claimed with files whose folder is not recorded gone (a process died
 * between, or the removal failed): their folders are to be removed, then recorded gone.
 * NULL-terminated (caller frees each and the array), or NULL with err. */
char **baton__runstore_claimed(baton__runstore *rs, int max, char *err, size_t errlen);

/* Gives a run's result (an object) its "plan" and "tasks", both taken,
 * where a run's result has them: just before its "summary". */
void baton__runstore_result_put(cJSON *result, cJSON *plan, cJSON *tasks);

#endif
