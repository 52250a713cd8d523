/* runstore_pending.c — the queued task writes by run and task, so a newer state of a task replaces one not yet written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

static size_t key_hash(const char *run_id, int task_id) {
  uint32_t id = (uint32_t)task_id;
  uint64_t h = baton__fnv1a64(BATON_FNV1A64_INIT, run_id, strlen(run_id));
  h = baton__fnv1a64(h, &id, sizeof id);
  return (size_t)(h ^ (h >> 29));
}

static bool same_key(const baton__rs_op *a, const baton__rs_op *b) {
  return a->task_id == b->task_id && strcmp(a->run_id, b->run_id) == 0;
}

/* The slot of o's key: the one holding a queued write of it, else the free
 * slot where it goes. Slots of an older generation are free. */
static struct baton__rs_slot *probe(const baton__rs_pending *p, const baton__rs_op *o) {
  size_t i = key_hash(o->run_id, o->task_id) & (p->cap - 1);
  while (p->slot[i].gen == p->gen && !same_key(p->slot[i].op, o))
    i = (i + 1) & (p->cap - 1);
  return &p->slot[i];
}

/* Doubles the table (at least 64 slots), keeping this generation's
 * entries. -1 when out of memory. */
static int grow(baton__rs_pending *p) {
  baton__rs_pending bigger = {.cap = p->cap ? p->cap * 2 : 64, .n = p->n, .gen = 1};
  bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
  if (!bigger.slot)
    return -1;
  for (size_t i = 0; i < p->cap; i++)
    if (p->slot[i].gen == p->gen)
      *probe(&bigger, p->slot[i].op) = (struct baton__rs_slot){p->slot[i].op, bigger.gen};
  free(p->slot);
  *p = bigger;
  return 0;
}

baton__rs_op *baton__rs_pending_put(baton__rs_pending *p, baton__rs_op *o) {
  if ((p->n + 1) * 2 > p->cap && grow(p) != 0)
    return NULL; /* not indexed: a later state of the task is queued beside it */
  struct baton__rs_slot *s = probe(p, o);
  if (s->gen == p->gen)
    return s->op;
  *s = (struct baton__rs_slot){o, p->gen};
  p->n++;
  return NULL;
}

void baton__rs_pending_clear(baton__rs_pending *p) {
  p->n = 0;
  if (++p->gen == 0) { /* after 2^32 clears: every slot free again, explicitly */
    if (p->slot)
      memset(p->slot, 0, p->cap * sizeof *p->slot);
    p->gen = 1;
  }
}

void baton__rs_pending_free(baton__rs_pending *p) {
  free(p->slot);
  memset(p, 0, sizeof *p);
}
