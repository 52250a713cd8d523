/* summary.h — the offline summarizer: one answer citing every result. */
#ifndef BATON_PLANNER_SUMMARY_H
#define BATON_PLANNER_SUMMARY_H

typedef struct cJSON cJSON;

/*
 * Writes the answer for a finished run: what each step did, with which
 * model, its text results (quoted, shortened past a bound) and the paths of
 * files it produced; failed and skipped steps are reported as such.
 * request may be NULL (a plan run). tasks is the "tasks" array of the result
 * JSON (borrowed). Returns a malloc'd string (caller frees) or NULL on
 * allocation failure.
 */
char *baton__summarize_offline(const char *request, const cJSON *tasks);

#endif
