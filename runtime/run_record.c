/* run_record.c — a run's tasks as JSON, and each task's state written to the run history. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>

#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

static const char *const status_names[] = {"pending", "running", "done",
                                           "failed",  "skipped", "cancelled"};

/* The trees below are views of the run: their keys are constants or names
 * the run holds, their strings the run's own (referenced, not copied; a
 * big run's result has tens of thousands of them). A view must be deleted
 * before what it shows changes or is freed. */

/* s under key k (a constant or a string that outlives the tree), or null. */
static void add_ref(cJSON *o, const char *k, const char *s) {
  cJSON_AddItemToObjectCS(o, k, s ? cJSON_CreateStringReference(s) : cJSON_CreateNull());
}

static cJSON *outputs_json(const baton__values *vs) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; o && i < vs->n; i++) {
    const baton__value *v = &vs->v[i];
    if (!v->data)
      continue;
    const char *key = v->type ? baton__type_name(v->type) : v->name;
    if (cJSON_GetObjectItemCaseSensitive(o, key))
      key = v->name; /* a second value of one type keeps its own name */
    if (cJSON_GetObjectItemCaseSensitive(o, key))
      continue;
    cJSON *j = v->type == BATON__T_JSON ? cJSON_Parse(v->data) : NULL;
    if (j)
      cJSON_AddItemToObjectCS(o, key, j);
    else
      add_ref(o, key, v->data);
  }
  return o;
}

cJSON *baton__run_task_json(const baton_run *run, size_t i) {
  const baton__task *t = &run->g.tasks[i];
  const task_state *s = &run->ts[i];
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddItemToObjectCS(o, "id", cJSON_CreateNumber(t->id));
  add_ref(o, "task", t->task);
  add_ref(o, "model", s->model ? s->model : t->model);
  add_ref(o, "status", status_names[s->status]);
  if (s->endpoint[0])
    add_ref(o, "endpoint", s->endpoint);
  cJSON_AddItemToObjectCS(o, "outputs", outputs_json(&s->out));
  add_ref(o, "error", s->error);
  cJSON_AddItemToObjectCS(o, "ms", cJSON_CreateNumber((double)s->ms));
  if (s->worker[0])
    add_ref(o, "worker", s->worker);
  return o;
}

cJSON *baton__run_tasks_json(const baton_run *run) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < run->g.n; i++)
    cJSON_AddItemToArray(arr, baton__run_task_json(run, i));
  return arr;
}

/* Writes a task's current state to the run history. Failures are logged, not
 * fatal: the run itself goes on. */
void baton__run_persist_task(baton_run *run, size_t idx) {
  const task_state *s = &run->ts[idx];
  const baton__task *t = &run->g.tasks[idx];
  char *outs = NULL;
  if (s->out.n) {
    cJSON *o = outputs_json(&s->out);
    outs = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
  }
  char err[512];
  if (baton__runstore_task_on(run->ctx->runs, run->id, t->id, t->task,
                              s->model ? s->model : t->model, s->endpoint[0] ? s->endpoint : NULL,
                              status_names[s->status], outs, s->error, (long long)s->ms,
                              s->worker[0] ? s->worker : NULL, err, sizeof err) != 0)
    baton__log(run->ctx, BATON_LOG_WARN, "run %s: %s", run->id, err);
  free(outs);
}

/* Values from a stored "outputs" object: texts as they were, files by path. */
int baton__run_values_from_outputs(const cJSON *outs, baton__values *vs) {
  const cJSON *o;
  cJSON_ArrayForEach(o, outs) {
    unsigned type = baton__type_from_name(o->string);
    int rc;
    if (cJSON_IsString(o)) {
      rc = baton__values_add(vs, o->string, type, o->valuestring);
    } else {
      char *js = cJSON_PrintUnformatted(o);
      rc = js ? baton__values_add_own(vs, o->string, type ? type : BATON__T_JSON, js) : -1;
    }
    if (rc != 0)
      return -1;
  }
  return 0;
}

char *baton__run_print_sized(const cJSON *tree, size_t estimate) {
  return cJSON_PrintBuffered(tree, estimate > INT_MAX ? INT_MAX : (int)estimate, false);
}
