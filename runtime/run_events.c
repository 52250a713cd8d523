/* run_events.c — a run's events: their names, and sending one to the caller's callback, one at a time. */
#include "core/util.h"
#include "runtime/run_int.h"
#include "core/banned.h"

static const char *const event_names[] = {"plan",   "task.started",  "task.finished",
                                          "task.failed", "summary.delta", "done",
                                          "task.waiting"};

const char *baton_event_name(baton_event_type type) {
  if ((unsigned)type >= sizeof event_names / sizeof event_names[0])
    return "unknown";
  return event_names[type];
}

void baton__run_emit(baton_run *run, baton_event_type type, int task_idx, const char *text,
                 const char *json) {
  if (!run->on_event)
    return;
  baton_event ev = {.size = sizeof ev, .type = type, .run_id = run->id, .task_id = -1,
                    .text = text, .json = json, .ts = baton__wall_s()};
  if (task_idx >= 0) {
    ev.task_id = run->g.tasks[task_idx].id;
    ev.task = run->g.tasks[task_idx].task;
    ev.model = run->ts[task_idx].model ? run->ts[task_idx].model : run->g.tasks[task_idx].model;
  }
  pthread_mutex_lock(&run->event_lock);
  run->on_event(run->ud, &ev);
  pthread_mutex_unlock(&run->event_lock);
}
