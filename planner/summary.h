/* summary.h — the offline summarizer: one answer citing every result. */
#ifndef BATON_PLANNER_SUMMARY_H
#define BATON_PLANNER_SUMMARY_H

typedef struct cJSON cJSON;

/* How the error of a task skipped after another failed starts: then that task's id and kind
 * ("skipped because task 0 (image-to-text) did not succeed"; runtime/run_dispatch.c writes it,
 * the summary names the step by its number as it lists them). */
#define BATON__SKIPPED_BECAUSE "skipped because task "

/*
 * Writes the answer for a finished run: what each step did, with which
 * model, its text results (quoted, shortened past a bound) and the paths of
 * files it produced; failed and skipped steps are reported as such (a step skipped after another
 * names that one by its number in the answer, counted from 1 as the steps are).
 * request may be NULL (a plan run). tasks is the "tasks" array of the result
 * JSON (borrowed). Returns a malloc'd string (caller frees) or NULL on
 * allocation failure.
 */
char *baton__summarize_offline(const char *request, const cJSON *tasks);

#endif
