/* offline.h — the rule-based planner used when no LLM is configured. */
#ifndef BATON_PLANNER_OFFLINE_H
#define BATON_PLANNER_OFFLINE_H

#include <stddef.h>

#include "planner/taskgraph.h"
#include "registry/registry.h"

/*
 * Turns a request into a task graph using only the task descriptions and
 * keywords (tasks/n_tasks, borrowed) and the resources the request names
 * (file paths and quoted text), plus extra input files (inputs/n_inputs).
 * Steps are split from the wording ("read ..., summarize ... and read it
 * aloud"); each step becomes one task; a step that names no resource of its
 * own consumes the output of the nearest earlier step that produces a type
 * it accepts.
 * Returns 0 with g filled, or -1 with a readable message in err (e.g. when
 * no step could be recognised). g must be released by the caller.
 */
int baton__plan_offline(const char *request, const char *const *inputs, size_t n_inputs,
                        const baton__taskspec *tasks, size_t n_tasks, baton__graph *g,
                        char *err, size_t errlen);

#endif
