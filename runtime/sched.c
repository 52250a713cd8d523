/* sched.c — a run's scheduling tables: id -> index, dependents of each task, text languages, in O(n log n). */
#include <stdlib.h>
#include <string.h>

#include "runtime/sched.h"
#include "core/banned.h"

/* Tasks depending on each task, as compressed rows. */
static int build_dependents(baton__sched *s, const baton__graph *g) {
  size_t total = 0;
  for (size_t i = 0; i < g->n; i++)
    total += g->tasks[i].n_deps;
  s->dep_start = calloc(g->n + 1, sizeof *s->dep_start);
  s->dep_list = calloc(total ? total : 1, sizeof *s->dep_list);
  if (!s->dep_start || !s->dep_list)
    return -1;
  for (size_t i = 0; i < g->n; i++)
    for (size_t d = 0; d < g->tasks[i].n_deps; d++) {
      int k = baton__graph_index_find(&s->ix, g->tasks[i].deps[d]);
      if (k >= 0)
        s->dep_start[k + 1]++;
    }
  for (size_t i = 0; i < g->n; i++)
    s->dep_start[i + 1] += s->dep_start[i];
  size_t *fill = s->stack; /* next free place in each row */
  memcpy(fill, s->dep_start, g->n * sizeof *fill);
  for (size_t i = 0; i < g->n; i++)
    for (size_t d = 0; d < g->tasks[i].n_deps; d++) {
      int k = baton__graph_index_find(&s->ix, g->tasks[i].deps[d]);
      if (k >= 0)
        s->dep_list[fill[k]++] = i;
    }
  return 0;
}

/* The task a task takes its text from (its first "text" reference), or -1. */
static int text_source(const baton__sched *s, const baton__task *t) {
  for (size_t j = 0; j < t->n_args; j++)
    if (t->args[j].ref >= 0 && strcmp(t->args[j].name, "text") == 0)
      return baton__graph_index_find(&s->ix, t->args[j].ref);
  return -1;
}

/* The language of each task's text: the target of a translation, kept
 * through later text steps that take their text from it (a summary of a
 * Spanish text is Spanish). Each task is settled once: a walk up a chain
 * stops at the first task already settled, then settles the chain. */
static void settle_languages(baton__sched *s, const baton__graph *g) {
  unsigned char *known = calloc(g->n ? g->n : 1, 1);
  if (!known)
    return; /* languages stay unknown: inputs lose only their "lang" hint */
  for (size_t i = 0; i < g->n; i++) {
    size_t depth = 0;
    int at = (int)i;
    const char *lang = NULL;
    while (at >= 0 && !known[at] && depth < g->n) {
      if ((lang = baton__task_literal(&g->tasks[at], "tgt_lang")))
        break;
      s->stack[depth++] = (size_t)at;
      at = text_source(s, &g->tasks[at]);
    }
    if (at >= 0 && !lang)
      lang = known[at] ? s->lang[at] : NULL;
    if (at >= 0 && !known[at]) {
      s->lang[at] = lang;
      known[at] = 1;
    }
    while (depth) {
      size_t k = s->stack[--depth];
      s->lang[k] = lang;
      known[k] = 1;
    }
  }
  free(known);
}

int baton__sched_build(baton__sched *s, const baton__graph *g) {
  memset(s, 0, sizeof *s);
  size_t n = g->n ? g->n : 1;
  s->stack = calloc(n, sizeof *s->stack);
  s->lang = calloc(n, sizeof *s->lang);
  if (!s->stack || !s->lang || baton__graph_index_build(g, &s->ix) != 0 ||
      build_dependents(s, g) != 0)
    return -1;
  settle_languages(s, g);
  return 0;
}

void baton__sched_release(baton__sched *s) {
  baton__graph_index_release(&s->ix);
  free(s->dep_start);
  free(s->dep_list);
  free(s->lang);
  free(s->stack);
  memset(s, 0, sizeof *s);
}
