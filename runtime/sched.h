/* sched.h — what a run's scheduler needs from its task graph, computed once: ids, dependents, text languages. */
#ifndef BATON_RUNTIME_SCHED_H
#define BATON_RUNTIME_SCHED_H

#include <stddef.h>

#include "planner/taskgraph.h"

typedef struct baton__sched {
  baton__graph_index ix;  /* id -> index */
  size_t *dep_start;      /* tasks depending on task i: dep_list[dep_start[i] .. dep_start[i+1]) */
  size_t *dep_list;       /* (once per dependency entry, as the waiting counts are) */
  const char **lang;      /* the language of the text task i produces (borrowed from the
                             graph), or NULL when not known */
  size_t *stack;          /* scratch: n entries */
} baton__sched;

/* Computes the tables for a validated (acyclic) graph. 0, or -1 when out of
 * memory; release even on failure. */
int baton__sched_build(baton__sched *s, const baton__graph *g);
void baton__sched_release(baton__sched *s);

#endif
