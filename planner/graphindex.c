/* graphindex.c — a task graph's id -> index map: sorted pairs, found by binary search. */
#include <stdlib.h>

#include "planner/taskgraph.h"
#include "core/banned.h"

static int by_id(const void *a, const void *b) {
  const baton__graph_slot *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int baton__graph_index_build(const baton__graph *g, baton__graph_index *ix) {
  ix->slots = NULL;
  ix->n = 0;
  if (!g || g->n == 0)
    return 0;
  ix->slots = malloc(g->n * sizeof *ix->slots);
  if (!ix->slots)
    return -1;
  for (size_t i = 0; i < g->n; i++)
    ix->slots[i] = (baton__graph_slot){.id = g->tasks[i].id, .idx = i};
  ix->n = g->n;
  qsort(ix->slots, ix->n, sizeof *ix->slots, by_id);
  return 0;
}

int baton__graph_index_find(const baton__graph_index *ix, int id) {
  size_t lo = 0, hi = ix ? ix->n : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ix->slots[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < (ix ? ix->n : 0) && ix->slots[lo].id == id ? (int)ix->slots[lo].idx : -1;
}

bool baton__graph_index_duplicate(const baton__graph_index *ix, size_t *first, size_t *second) {
  bool found = false;
  for (size_t i = 1; i < ix->n; i++)
    if (ix->slots[i].id == ix->slots[i - 1].id && (!found || ix->slots[i].idx < *second)) {
      *first = ix->slots[i - 1].idx;
      *second = ix->slots[i].idx;
      found = true;
    }
  return found;
}

void baton__graph_index_release(baton__graph_index *ix) {
  if (!ix)
    return;
  free(ix->slots);
  ix->slots = NULL;
  ix->n = 0;
}
