/* run_dispatch.c — a run's dispatch on the context's task pool: ready tasks queued, dependents released or skipped, the last one finishing. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "core/util.h"
#include "planner/summary.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Marks every task that depends (directly or not) on idx as skipped (each
 * naming the task it waited for), through the dependents table.
 * Called with run->lock held. */
static void skip_dependents(baton_run *run, size_t idx) {
  const baton__sched *sc = &run->sched;
  size_t *stack = sc->stack, depth = 0;
  stack[depth++] = idx;
  while (depth) {
    size_t x = stack[--depth];
    for (size_t e = sc->dep_start[x]; e < sc->dep_start[x + 1]; e++) {
      size_t i = sc->dep_list[e];
      task_state *s = &run->ts[i];
      if (s->status != TS_PENDING)
        continue;
      bool cancelled = atomic_load(&run->cancel) != 0;
      s->status = cancelled ? TS_CANCELLED : TS_SKIPPED;
      baton__sb sb;
      baton__sb_init(&sb);
      if (cancelled)
        baton__sb_adds(&sb, "cancelled");
      else
        baton__sb_addf(&sb, BATON__SKIPPED_BECAUSE "%d (%s) did not succeed", run->g.tasks[x].id,
                       run->g.tasks[x].task);
      s->error = baton__sb_detach(&sb);
      baton__run_persist_task(run, i);
      run->remaining--;
      stack[depth++] = i;
    }
  }
}

/* Queues a task (or, with idx == g.n, the finishing) on the context's pool. */
int baton__run_queue_item(baton_run *run, size_t idx) {
  return baton__taskpool_push(&run->ctx->tasks, &run->items[idx].item);
}

/* Runs one task, told to the pool's thread (done, failed, or cancelled); a
 * pool thread then picks what became ready, in any run of the context. */
static void execute_ready(baton_run *run, size_t idx) {
  task_state *s = &run->ts[idx];
  if (atomic_load(&run->cancel)) {
    s->status = TS_CANCELLED;
    s->error = baton__strdup("cancelled");
    baton__run_persist_task(run, idx);
    return;
  }
  s->status = TS_RUNNING;
  pthread_mutex_unlock(&run->lock);
  baton__run_persist_task(run, idx);
  baton__run_emit(run, BATON_EVENT_TASK_STARTED, (int)idx, NULL, NULL);
  baton__run_execute(run, idx);
  baton__run_persist_task(run, idx);
  if (s->status == TS_DONE && run->on_event) {
    cJSON *tj = baton__run_task_json(run, idx);
    char *js = tj ? cJSON_PrintUnformatted(tj) : NULL;
    cJSON_Delete(tj);
    baton__run_emit(run, BATON_EVENT_TASK_FINISHED, (int)idx, NULL, js);
    free(js);
  } else if (s->status != TS_DONE) {
    baton__run_emit(run, BATON_EVENT_TASK_FAILED, (int)idx, s->error, NULL);
  }
  pthread_mutex_lock(&run->lock);
}

/* Writes the answer, lets baton_close() go on, then lets baton_run_wait()
 * return. Nothing touches the run after the unlock: it may be freed at once. */
static void finish_and_signal(baton_run *run) {
  baton__run_finish(run);
  baton__live_remove(run->ctx, run);
  pthread_mutex_lock(&run->lock);
  run->finished = true;
  pthread_cond_broadcast(&run->cond);
  pthread_mutex_unlock(&run->lock);
}

/* A pool item: one task, then the tasks it made ready are queued; the last
 * task of the run writes the answer. The finishing item alone (idx == g.n)
 * serves a run with nothing to execute. */
static void run_item_main(baton__taskpool_item *item) {
  struct run_item *it = (struct run_item *)item;
  baton_run *run = it->run;
  size_t idx = it->idx;
  if (idx == run->g.n) {
    finish_and_signal(run);
    return;
  }
  pthread_mutex_lock(&run->lock);
  execute_ready(run, idx);
  task_state *s = &run->ts[idx];
  run->remaining--;
  if (s->status == TS_DONE) {
    const baton__sched *sc = &run->sched;
    for (size_t e = sc->dep_start[idx]; e < sc->dep_start[idx + 1]; e++) {
      size_t i = sc->dep_list[e];
      if (run->ts[i].status == TS_PENDING && --run->ts[i].waiting == 0)
        baton__run_queue_item(run, i); /* cannot fail: this thread belongs to the pool */
    }
  } else {
    skip_dependents(run, idx);
  }
  bool last = run->remaining == 0;
  pthread_mutex_unlock(&run->lock);
  if (last)
    finish_and_signal(run);
}

/* The scheduling tables and the pool items of a run's graph. */
int baton__run_tables(baton_run *run) {
  run->items = calloc(run->g.n + 1, sizeof *run->items);
  if (!run->items || baton__sched_build(&run->sched, &run->g) != 0)
    return -1;
  for (size_t i = 0; i <= run->g.n; i++)
    run->items[i] = (struct run_item){.item.fn = run_item_main, .run = run, .idx = i};
  return 0;
}
