/* preflight.h — checks a planned graph against what the local executors can do, before it runs. */
#ifndef BATON_RUNTIME_PREFLIGHT_H
#define BATON_RUNTIME_PREFLIGHT_H

#include "planner/taskgraph.h"
#include "runtime/context.h"

/* Refuses (BATON_INVALID, with the reason in the context's error) a graph
 * with a step its model's local executor is known not to serve and that has
 * no fallback: a translation between languages apertium has no route for,
 * naming the pairs it has. BATON_OK otherwise. */
baton_rc baton__preflight(baton *ctx, const baton__graph *g);

#endif
