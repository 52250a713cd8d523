/* run_replay.c — a replayed task: its recorded outputs (files copied) or failure, with no model called. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/context.h"
#include "planner/output_names.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The recorded task with that id, or NULL. */
static const cJSON *recorded_task(const baton_run *run, int id) {
  const cJSON *t;
  cJSON_ArrayForEach(t, run->recorded) {
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
    if (cJSON_IsNumber(tid) && tid->valueint == id)
      return t;
  }
  return NULL;
}

/* Replays one task: its recorded outputs, files copied into this run's
 * workspace byte for byte, or its recorded failure. No model is called. */
void baton__run_replay_task(baton_run *run, size_t idx) {
  baton__task *t = &run->g.tasks[idx];
  task_state *s = &run->ts[idx];
  const cJSON *rt = recorded_task(run, t->id);
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(rt, "status");
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(rt, "model");
  if (cJSON_IsString(model))
    s->model = baton__strdup(model->valuestring);
  if (!cJSON_IsString(status) || strcmp(status->valuestring, "done") != 0) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(rt, "error");
    s->status = TS_FAILED;
    s->error = baton__strdup(cJSON_IsString(e) ? e->valuestring : "the recorded task did not finish");
    return;
  }
  baton__values rec = {0};
  char err[600] = "";
  if (baton__run_ensure_workspace(run, t, err, sizeof err) != 0) {
    /* err says why */
  } else if (baton__run_values_from_outputs(cJSON_GetObjectItemCaseSensitive(rt, "outputs"), &rec) != 0) {
    baton__fmt(err, sizeof err, "cannot read the recorded outputs");
  } else {
    for (size_t i = 0; i < rec.n && !err[0]; i++) {
      baton__value *v = &rec.v[i];
      if (!baton__is_file_output(v->name, v->type) || !v->data)
        continue;
      const char *base = strrchr(v->data, '/');
      char *dst = baton__path_join(run->workspace, base ? base + 1 : v->data);
      if (!dst || baton__copy_file(v->data, dst, err, sizeof err) != 0) {
        if (!dst)
          baton__fmt(err, sizeof err, "out of memory");
        free(dst);
        break;
      }
      free(v->data);
      v->data = dst;
    }
  }
  if (err[0]) {
    baton__values_release(&rec);
    s->status = TS_FAILED;
    s->error = baton__strdup(err);
    return;
  }
  s->out = rec;
  s->status = TS_DONE;
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(rt, "ms");
  s->ms = cJSON_IsNumber(ms) ? (int64_t)ms->valuedouble : 0;
}
