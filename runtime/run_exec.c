/* run_exec.c — one task executed: its inputs gathered, its model's endpoint found, run with retries and fallbacks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/hf.h"
#include "planner/conversation.h"
#include "planner/output_names.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The task kinds that hold a dialogue: they are given the conversation (BATON__ARG_HISTORY). */
static const char *const dialogue_kinds[] = {"conversational"};

static bool holds_dialogue(const baton__task *t) {
  for (size_t k = 0; k < sizeof dialogue_kinds / sizeof *dialogue_kinds; k++)
    if (strcmp(t->task, dialogue_kinds[k]) == 0)
      return true;
  return false;
}

bool baton__run_chat_pending(const baton_run *run) {
  for (size_t i = 0; i < run->g.n; i++)
    if (run->ts[i].status != TS_DONE && holds_dialogue(&run->g.tasks[i]))
      return true;
  return false;
}

int baton__run_take_chat(baton_run *run, char *err, size_t errlen) {
  if (!run->messages || !baton__run_chat_pending(run))
    return 0;
  return baton__conversation_chat(run->messages, &run->chat, err, errlen);
}

/* A dialogue task's view of the conversation the run continues, if any: the same on a resume
 * (run->chat read back from the run history). */
static int add_history(const baton_run *run, const baton__task *t, baton__values *in, char *err,
                       size_t errlen) {
  if (!run->chat || !holds_dialogue(t))
    return 0;
  if (baton__values_add(in, BATON__ARG_HISTORY, 0, run->chat) != 0)
    return baton__fmt(err, errlen, "too many arguments"), -1;
  return 0;
}

/* The task kinds that take their texts apart ("text", "text2" ... compared); others given
 * "text2" ... "text9" ("summarize a.txt and b.txt together") work on them joined (join_texts). */
static const char *const apart_kinds[] = {"sentence-similarity"};

/* Is v a second or further text ("text2" ... "text9")? */
static bool more_text(const baton__value *v) {
  return v->type == BATON__T_TEXT && !strncmp(v->name, "text", 4) && v->name[4] >= '2' &&
         v->name[4] <= '9' && !v->name[5];
}

/* Joins a task's further texts onto its "text", a blank line between, in their order, unless its
 * kind takes them apart: what runs gets one text. 0, or -1 with err. */
static int join_texts(const baton__task *t, baton__values *in, char *err, size_t errlen) {
  for (size_t k = 0; k < sizeof apart_kinds / sizeof *apart_kinds; k++)
    if (!strcmp(t->task, apart_kinds[k]))
      return 0;
  size_t text = in->n, joined = 0, kept = 0;
  for (size_t i = 0; i < in->n && text == in->n; i++)
    text = strcmp(in->v[i].name, "text") ? in->n : i;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, text < in->n ? in->v[text].data : "");
  for (size_t i = 0; text < in->n && i < in->n; i++)
    if (more_text(&in->v[i]))
      baton__sb_addf(&sb, "\n\n%s", in->v[i].data), joined++;
  char *all = baton__sb_detach(&sb);
  if (!joined)
    return free(all), 0;
  if (!all)
    return baton__fmt(err, errlen, "out of memory"), -1;
  free(in->v[text].data), in->v[text].data = all;
  for (size_t i = 0; i < in->n; i++)
    if (more_text(&in->v[i]))
      free(in->v[i].name), free(in->v[i].data);
    else
      in->v[kept++] = in->v[i];
  in->n = kept;
  return 0;
}

/* Gathers a task's inputs: literals, the outputs of the tasks it names, its texts joined
 * (join_texts), and for a dialogue the conversation. */
static int gather_inputs(baton_run *run, size_t idx, baton__values *in, char *err, size_t errlen) {
  const baton__task *t = &run->g.tasks[idx];
  for (size_t j = 0; j < t->n_args; j++) {
    const baton__arg *a = &t->args[j];
    unsigned type = baton__arg_type(a->name);
    if (strcmp(a->name, BATON__ARG_SAVE_AS) == 0 || strcmp(a->name, BATON__ARG_HISTORY) == 0)
      continue; /* the runtime's: it names the output files (baton__task_file_prefix); the
                 * conversation is given below */
    if (a->ref < 0) {
      if (baton__values_add(in, a->name, type, a->value) != 0) {
        baton__fmt(err, errlen, "too many arguments");
        return -1;
      }
      continue;
    }
    int src = baton__graph_index_find(&run->sched.ix, a->ref);
    const baton__values *out = &run->ts[src].out;
    int subs = type == BATON__T_TEXT
                   ? baton__run_subs_from(run, t, out, in, err, errlen) : 0;
    if (subs != 0) {
      if (subs < 0)
        return -1;
      continue;
    }
    const baton__value *v = baton__values_get_type(out, type ? type : BATON__T_TEXT);
    if (!v && (!type || type == BATON__T_TEXT)) /* a score ("read the result aloud"), as text */
      v = baton__values_get_type(out, BATON__T_JSON);
    if (!v) {
      baton__fmt(err, errlen, "task %d produced no %s for task %d", a->ref,
                 baton__type_name(type ? type : BATON__T_TEXT), t->id);
      return -1;
    }
    if (baton__values_add(in, a->name, type, v->data) != 0) {
      baton__fmt(err, errlen, "too many arguments");
      return -1;
    }
    /* Text from a translation carries its language along as "lang". */
    const char *lang = type == BATON__T_TEXT ? run->sched.lang[src] : NULL;
    if (lang && !baton__values_get(in, "lang") && baton__values_add(in, "lang", 0, lang) != 0) {
      baton__fmt(err, errlen, "too many arguments");
      return -1;
    }
  }
  if (join_texts(t, in, err, errlen) != 0)
    return -1;
  return add_history(run, t, in, err, errlen);
}

/* Creates the run's workspace folder the first time a task may write a file
 * (text-only runs saving nothing never touch the disk). 0, or -1 with err. */
int baton__run_ensure_workspace(baton_run *run, const baton__task *t, char *err, size_t errlen) {
  if (atomic_load(&run->ws_ready))
    return 0;
  const baton__taskspec *spec = baton__registry_task(run->ctx->reg, t->task);
  if (spec && !(spec->outputs & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)) &&
      !baton__task_literal(t, BATON__ARG_SAVE_AS))
    return 0;
  if (baton__mkdirs(run->workspace, 0700) != 0) {
    baton__fmt(err, errlen, "cannot create the run folder %s: %s", run->workspace,
               strerror(errno));
    return -1;
  }
  atomic_store(&run->ws_ready, 1);
  return 0;
}

/* A model's endpoint, asked of the registry once per run and model.
 * 0, or -1 when the registry does not know the model. */
int baton__run_endpoint(baton_run *run, const char *model, char *ep, size_t cap) {
  pthread_mutex_lock(&run->lock);
  for (size_t i = 0; i < run->n_epc; i++)
    if (strcmp(run->epc[i].model, model) == 0) {
      int rc = run->epc[i].found ? 0 : -1;
      baton__fmt(ep, cap, "%s", run->epc[i].ep);
      pthread_mutex_unlock(&run->lock);
      return rc;
    }
  pthread_mutex_unlock(&run->lock);
  int rc = baton__registry_endpoint(run->ctx->reg, model, ep, cap);
  pthread_mutex_lock(&run->lock);
  if (run->n_epc == run->cap_epc) {
    size_t ncap = run->cap_epc ? run->cap_epc * 2 : 8;
    void *n = realloc(run->epc, ncap * sizeof *run->epc);
    if (n) {
      run->epc = n;
      run->cap_epc = ncap;
    }
  }
  if (run->n_epc < run->cap_epc) {
    baton__fmt(run->epc[run->n_epc].model, sizeof run->epc[0].model, "%s", model);
    baton__fmt(run->epc[run->n_epc].ep, sizeof run->epc[0].ep, "%s", rc == 0 ? ep : "");
    run->epc[run->n_epc].found = rc == 0;
    run->n_epc++;
  }
  pthread_mutex_unlock(&run->lock);
  return rc;
}

/* What a task's executor may ask of the runtime: pictures halved by the
 * local image executor (baton__exec_env.shrink_image). */
typedef struct shrink_ctx {
  baton_run *run;
  const char *prefix, *format; /* the task's file names and the format asked for ("" if none) */
  int n;
} shrink_ctx;

static int shrink_image(void *ud, const char *path, char *out, size_t cap, char *err,
                        size_t errlen) {
  shrink_ctx *sc = ud;
  baton *ctx = sc->run->ctx;
  char why[256] = "";
  if (!baton__endpoint_ok(ctx, "local:vips", why, sizeof why)) {
    baton__fmt(err, errlen, "no local image resizer to shrink it with (%s)", why);
    return -1;
  }
  char prefix[BATON__SAVE_AS_MAX + 16];
  baton__fmt(prefix, sizeof prefix, "%s-small%d", sc->prefix, ++sc->n);
  if (baton__mkdirs(sc->run->workspace, 0700) != 0) {
    baton__fmt(err, errlen, "cannot create the run folder %s", sc->run->workspace);
    return -1;
  }
  baton__values in = {0}, res = {0};
  baton__values_add(&in, "image", BATON__T_IMAGE, path);
  baton__values_add(&in, "instruction", 0, "half size");
  baton__exec_env env = {.cfg = &ctx->cfg, .workspace = sc->run->workspace,
                         .file_prefix = prefix, .cancel = &sc->run->cancel,
                         .timeout_ms = ctx->cfg.task_timeout_ms, .model = "local/vips",
                         .endpoint = "local:vips"};
  int rc = baton__slot_run(baton__slot(ctx, "local:vips"), "image-to-image", &in, &env, &res);
  const baton__value *img = baton__values_get_type(&res, BATON__T_IMAGE);
  if (rc == 0 && img && img->data)
    baton__fmt(out, cap, "%s", img->data);
  else
    baton__fmt(err, errlen, "shrinking it failed: %s", env.err[0] ? env.err : "no picture came back");
  rc = rc == 0 && img && img->data ? 0 : -1;
  baton__values_release(&in);
  baton__values_release(&res);
  return rc;
}

/* A task waiting for a queue worker says so as an event. */
struct waiting_ud {
  baton_run *run;
  size_t idx;
};

static void task_waiting(void *ud, const char *text) {
  struct waiting_ud *w = ud;
  baton__run_emit(w->run, BATON_EVENT_TASK_WAITING, (int)w->idx, text, NULL);
}

/* A queue worker took the task (ts[idx].worker names it): the history says so. */
static void task_taken(void *ud) {
  struct waiting_ud *w = ud;
  baton__run_persist_task(w->run, w->idx);
}

/* Runs a task once on its executor: on a queue worker when the queue takes
 * the endpoint, else here (in-process or in a local worker process). */
static int run_once(baton_run *run, size_t idx, baton__exec_slot *slot, const char *ep,
                    const baton__values *in, baton__exec_env *env, baton__values *out) {
  baton__queue *q = run->ctx->queue;
  run->ts[idx].worker[0] = '\0'; /* named again by the worker that takes this attempt */
  if (!baton__queue_takes(q, ep))
    return baton__slot_run(slot, run->g.tasks[idx].task, in, env, out);
  struct waiting_ud wu = {run, idx};
  baton__queue_job job = {.run = run->id, .task_id = run->g.tasks[idx].id, .executor = ep + 6,
                          .task = run->g.tasks[idx].task, .waiting = task_waiting,
                          .taken = task_taken, .ud = &wu,
                          .worker = run->ts[idx].worker, .worker_cap = sizeof run->ts[idx].worker};
  return baton__queue_run(q, &job, in, env, out);
}

/* Why a task has no model: a model the filter rejected tells why (into err). */
static void no_model_error(baton *ctx, const baton__task *t, char *err, size_t errlen) {
  char why[256] = "no model is registered for it";
  baton__model m[1];
  size_t n = 0;
  if (baton__registry_match(ctx->reg, t->task, NULL, NULL, NULL, m, 1, &n, err, errlen) == 0 &&
      n) {
    baton__endpoint_ok(ctx, m[0].endpoint, why, sizeof why);
    baton__model_release(&m[0]);
  }
  baton__fmt(err, errlen, "no model available for %s: %s", t->task, why);
}

/* Whether a retry after wait ms still fits before deadline (0: none); if it does, env's timeout
 * becomes the time then left, else env->err says so. */
static bool retry_fits(baton__exec_env *env, int64_t deadline, int64_t wait) {
  if (!deadline)
    return true;
  int64_t left = deadline - baton__now_ms() - wait;
  if (left >= 100) {
    env->timeout_ms = (long)left;
    return true;
  }
  size_t l = strlen(env->err);
  baton__fmt(env->err + l, sizeof env->err - l,
             " (no time left to retry within the task's %.1f s timeout)",
             (double)env->cfg->task_timeout_ms / 1000.0);
  return false;
}

/* Runs a task on one model, retrying a transient failure (connection, 5xx,
 * rate limit) on the same model with exponential backoff and jitter, all of it
 * within task_timeout_ms. */
static int run_retrying(baton_run *run, size_t idx, baton__exec_slot *slot, const char *ep,
                        const baton__values *in, baton__exec_env *env, baton__values *out) {
  baton *ctx = run->ctx;
  int64_t deadline = env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms : 0;
  int ran = run_once(run, idx, slot, ep, in, env, out);
  for (int retry = 0; ran != 0 && env->transient && retry < ctx->cfg.task_retries; retry++) {
    int64_t wait = (int64_t)200 << retry;
    if (wait > 4000)
      wait = 4000;
    wait += (int64_t)(baton__now_ms() % 97) * wait / 200; /* jitter, up to ~half */
    if (!retry_fits(env, deadline, wait))
      break;
    baton__log(ctx, BATON_LOG_INFO, "run %s task %d on %s: %s; retrying in %lld ms", run->id,
               run->g.tasks[idx].id, env->model, env->err, (long long)wait);
    for (int64_t until = baton__now_ms() + wait;
         baton__now_ms() < until && !atomic_load(&run->cancel);)
      usleep(10 * 1000);
    if (atomic_load(&run->cancel))
      break;
    baton__values_release(out);
    env->err[0] = '\0';
    env->transient = false;
    env->bad_input = false;
    ran = run_once(run, idx, slot, ep, in, env, out);
    if (ran != 0 && retry + 1 == ctx->cfg.task_retries) {
      char last[sizeof env->err];
      baton__fmt(last, sizeof last, "%s (after %d attempts)", env->err, retry + 2);
      baton__fmt(env->err, sizeof env->err, "%s", last);
    }
  }
  return ran;
}

/* The words of a translation step that named no target language ("translate notes.txt"), for its
 * executor to ask for one (executor.h), or NULL. */
static const char *untargeted(const baton__task *t) {
  return t->target_assumed ? (t->words && t->words[0] ? t->words : "translate it") : NULL;
}

/* Tries a task on one model: 0 with s->out set (done), or -1 with err. */
static int try_model(baton_run *run, size_t idx, const char *model, const baton__values *in,
                     shrink_ctx *shrink, char *err, size_t errlen) {
  baton *ctx = run->ctx;
  task_state *s = &run->ts[idx];
  char ep[256] = "";
  /* The registry knows each model's endpoint; an unregistered id that looks
   * like a Hub id ("ORG/NAME") goes to the remote inference API. */
  if (baton__run_endpoint(run, model, ep, sizeof ep) != 0) {
    if (!baton__hf_is_hub_id(model)) {
      baton__fmt(err, errlen, "model '%s' is not in the registry", model);
      return -1;
    }
    baton__fmt(ep, sizeof ep, "hf-inference");
  }
  baton__exec_slot *slot = baton__slot(ctx, ep);
  if (!slot && !baton__queue_takes(ctx->queue, ep)) {
    char why[256];
    baton__endpoint_ok(ctx, ep, why, sizeof why);
    baton__fmt(err, errlen, "%s: %s", model, why);
    return -1;
  }
  baton__exec_env env = {.cfg = &ctx->cfg, .pool = ctx->pool, .workspace = run->workspace,
                         .file_prefix = shrink->prefix,
                         .file_format = *shrink->format ? shrink->format : NULL,
                         .cancel = &run->cancel, .timeout_ms = ctx->cfg.task_timeout_ms,
                         .model = model, .endpoint = ep, .shrink_image = shrink_image,
                         .shrink_ud = shrink, .untargeted = untargeted(&run->g.tasks[idx])};
  baton__values out = {0};
  int64_t m0 = baton__now_ms();
  int ran = run_retrying(run, idx, slot, ep, in, &env, &out);
  baton__fmt(s->endpoint, sizeof s->endpoint, "%s", env.answered);
  /* Health feeds the next choice of model (debug executors have none); an
   * error the task's arguments caused is not the model's. */
  if (strcmp(ep, "local:debug") != 0 && !atomic_load(&run->cancel) && !(ran != 0 && env.bad_input))
    baton__registry_health_record(ctx->reg, model, ran == 0, (long)(baton__now_ms() - m0),
                                  ran == 0 ? NULL : env.err);
  if (ran == 0) {
    baton__values_release(&s->out);
    s->out = out;
    return 0;
  }
  baton__values_release(&out);
  baton__fmt(err, errlen, "%s", env.err[0] ? env.err : "the executor failed");
  baton__log(ctx, BATON_LOG_WARN, "run %s task %d on %s failed: %s", run->id,
             run->g.tasks[idx].id, model, err);
  return -1;
}

/* Cues asked of a model one by one, at most (subs_cue_by_cue). */
#define SUBS_ONE_BY_ONE_MAX 500

/* A model that answered subtitles' cues (in's "text", a paragraph a cue) with paragraphs joined
 * or split is asked again for each cue alone, at most SUBS_ONE_BY_ONE_MAX of them: 0 with s->out's
 * text the answers, a paragraph a cue; or -1 with err. */
static int subs_cue_by_cue(baton_run *run, size_t idx, const char *model, baton__values *in,
                           shrink_ctx *shrink, char *err, size_t errlen) {
  baton__value *text = NULL;
  for (size_t i = 0; !text && i < in->n; i++)
    text = !strcmp(in->v[i].name, "text") ? &in->v[i] : NULL;
  char *all = text ? text->data : NULL, *cue = all, *end;
  size_t cues = all && *all;
  for (const char *q = all; q && (q = strstr(q, "\n\n")); q += 2)
    cues++;
  if (cues > SUBS_ONE_BY_ONE_MAX) { /* before any call */
    char why[300];
    baton__fmt(why, sizeof why, "%s", err);
    baton__fmt(err, errlen, "%s; the %zu cues are more than %d to translate one by one", why,
               cues, SUBS_ONE_BY_ONE_MAX);
    return -1;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  int rc = 0;
  for (size_t k = 0; rc == 0 && cue && *cue; k++, cue = end ? end + 2 : NULL) {
    if (atomic_load(&run->cancel)) { /* before each cue: a cancelled run asks no more */
      baton__fmt(err, errlen, "cancelled");
      rc = -1;
      break;
    }
    end = strstr(cue, "\n\n");
    char *one = baton__strndup(cue, end ? (size_t)(end - cue) : strlen(cue));
    if (!one) {
      baton__fmt(err, errlen, "out of memory");
      rc = -1;
      break;
    }
    text->data = one;
    rc = try_model(run, idx, model, in, shrink, err, errlen);
    const baton__value *got = rc == 0 ? baton__values_get_type(&run->ts[idx].out, BATON__T_TEXT)
                                      : NULL;
    if (rc == 0)
      baton__sb_addf(&sb, "%s%s", k ? "\n\n" : "", got && got->data ? got->data : "");
    free(one);
    text->data = all;
  }
  baton__value *out = NULL;
  for (size_t i = 0; rc == 0 && !out && i < run->ts[idx].out.n; i++)
    out = run->ts[idx].out.v[i].type == BATON__T_TEXT ? &run->ts[idx].out.v[i] : NULL;
  if (rc == 0 && (!out || !baton__sb_ok(&sb))) {
    baton__fmt(err, errlen, out ? "out of memory" : "no text came back");
    rc = -1;
  }
  if (rc == 0) {
    free(out->data);
    out->data = baton__sb_detach(&sb);
  }
  baton__sb_release(&sb);
  return rc;
}

/* Does task idx's result, its text one paragraph a cue, go back into the subtitles it was given
 * (subs; none: nothing to do)? A model that did not keep the paragraphs is asked cue by cue. */
static bool subs_refilled(baton_run *run, size_t idx, const char *subs, const char *model,
                          baton__values *in, shrink_ctx *shrink, char *err, size_t errlen) {
  const baton__task *t = &run->g.tasks[idx];
  if (!subs || baton__run_subs_refill(run, t, subs, &run->ts[idx].out, err, errlen) == 0)
    return true;
  baton__log(run->ctx, BATON_LOG_INFO, "run %s task %d: %s; asking %s cue by cue", run->id, t->id,
             err, model);
  return subs_cue_by_cue(run, idx, model, in, shrink, err, errlen) == 0 &&
         baton__run_subs_refill(run, t, subs, &run->ts[idx].out, err, errlen) == 0;
}

/* What came of a task tried on one model (try_and_keep). */
enum { TRIED_DONE, TRIED_FAILED, TRIED_KEPT };

/* Tries task idx on one model, its answer put back into the subtitles it was given (subs; none:
 * nothing to do) and saved as asked: TRIED_DONE with s->out the result; TRIED_FAILED with err
 * when the call failed or the answer could not be put back even cue by cue (another model may
 * keep the paragraphs); TRIED_KEPT with err when the result was not saved as asked (it stays,
 * and no other model would save it). */
static int try_and_keep(baton_run *run, size_t idx, const char *model, baton__values *in,
                        const char *subs, shrink_ctx *shrink, char *err, size_t errlen) {
  task_state *s = &run->ts[idx];
  if (try_model(run, idx, model, in, shrink, err, errlen) != 0)
    return TRIED_FAILED;
  if (!subs_refilled(run, idx, subs, model, in, shrink, err, errlen)) {
    baton__values_release(&s->out); /* not the result: the next model's may be */
    char why[600];
    baton__fmt(why, sizeof why, "%s", err);
    baton__fmt(err, errlen, "%s: %s", model, why);
    baton__log(run->ctx, BATON_LOG_WARN, "run %s task %d: %s", run->id, run->g.tasks[idx].id,
               err);
    return TRIED_FAILED;
  }
  if (baton__run_keep_as_asked(run, &run->g.tasks[idx], &s->out, err, errlen) != 0)
    return TRIED_KEPT;
  return TRIED_DONE;
}

/* Ends task idx as `tried` says (TRIED_*; a run cancelled before a model succeeded: cancelled),
 * with err when it failed and the time since t0. */
static void task_ended(baton_run *run, size_t idx, int tried, const char *err, int64_t t0) {
  task_state *s = &run->ts[idx];
  s->ms = baton__now_ms() - t0;
  free(s->error);
  s->error = NULL;
  if (tried == TRIED_DONE) {
    s->status = TS_DONE;
  } else if (tried == TRIED_FAILED && atomic_load(&run->cancel)) {
    s->status = TS_CANCELLED;
    s->error = baton__strdup("cancelled");
  } else {
    s->status = TS_FAILED; /* a result not saved as asked (TRIED_KEPT): kept, failed */
    s->error = baton__strdup(err[0] ? err : "failed");
  }
}

/* Runs one task on its model, then on each fallback until one succeeds. */
void baton__run_execute(baton_run *run, size_t idx) {
  baton__task *t = &run->g.tasks[idx];
  task_state *s = &run->ts[idx];
  if (run->mode == MODE_REPLAY) {
    baton__run_replay_task(run, idx);
    return;
  }
  int64_t t0 = baton__now_ms();
  baton__values in = {0};
  char err[600] = "";
  char *subs = NULL;
  char *source = NULL; /* which language a translation goes from, when the request named none */
  bool failed = baton__run_ensure_workspace(run, t, err, sizeof err) != 0 ||
                gather_inputs(run, idx, &in, err, sizeof err) != 0 ||
                baton__run_subs_take(t, &in, &subs, err, sizeof err) != 0;
  if (!failed && baton__run_source_settle(run, idx, &in, &source) != 0)
    failed = (baton__fmt(err, sizeof err, "out of memory"), true);
  if (!failed && !t->model) {
    no_model_error(run->ctx, t, err, sizeof err);
    failed = true;
  }
  if (failed) {
    free(source);
    s->error = baton__strdup(err);
    s->status = TS_FAILED;
    baton__values_release(&in);
    free(subs);
    return;
  }
  char prefix[BATON__SAVE_AS_MAX + 1], format[16];
  baton__task_file_prefix(t, prefix, sizeof prefix);
  baton__task_file_format(t, format, sizeof format);
  shrink_ctx shrink = {.run = run, .prefix = prefix, .format = format};
  int tried = TRIED_FAILED;
  for (size_t k = 0; tried == TRIED_FAILED && k <= t->n_candidates; k++) {
    const char *model = k == 0 ? t->model : t->candidates[k - 1];
    if (atomic_load(&run->cancel))
      break;
    free(s->model);
    s->model = baton__strdup(model);
    tried = try_and_keep(run, idx, model, &in, subs, &shrink, err, sizeof err);
  }
  free(subs);
  baton__values_release(&in);
  if (source && tried == TRIED_DONE && baton__values_add_own(&s->out, "source", 0, source) != 0)
    baton__log(run->ctx, BATON_LOG_WARN, "run %s task %d: its source note was lost (too many "
               "outputs or out of memory)", run->id, t->id);
  else if (tried != TRIED_DONE)
    free(source);
  task_ended(run, idx, tried, err, t0);
}
