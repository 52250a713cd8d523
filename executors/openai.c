/* openai.c — the "openai" executor: runs a task on the model servers declared under `endpoints:`, on the replica the pool grants, failing over between replicas. */
#include "executors/openai.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/pool.h"
#include "core/banned.h"

static bool oai_available(const baton__config *cfg, char *why, size_t whylen) {
  if (cfg->n_endpoints > 0)
    return true;
  baton__fmt(why, whylen, "no model server is configured (add one under endpoints: in the config)");
  return false;
}

static int oai_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  baton__oai_prompts *p = baton__oai_prompts_load(cfg->prompts_dir, err, errlen);
  *state = p;
  return p ? 0 : -1;
}

static void oai_release(void *state) { baton__oai_prompts_free(state); }

/* One attempt on the replica the pool granted. */
typedef struct oai_try {
  baton__oai_call call;
  const char *model;
} oai_try;

static baton__pool_status oai_attempt(void *ud, const baton__lease *lease, long *retry_after_ms,
                                      char *err, size_t errlen) {
  oai_try *t = ud;
  baton__oai_target target = {.endpoint = lease->ep->name, .base_url = lease->ep->base_url,
                              .key = lease->ep->api_key, .key_env = lease->ep->api_key_env,
                              .model = t->model,
                              .timeout_ms = lease->timeout_ms};
  baton__oai_call *c = &t->call;
  c->t = &target;
  c->env->err[0] = '\0';
  baton__oai_outcome o = BATON__OAI_FAILED;
  switch (c->task->wire) {
  case BATON__OAI_CHAT: o = baton__oai_chat(c); break;
  case BATON__OAI_TRANSCRIBE: o = baton__oai_transcribe(c); break;
  case BATON__OAI_SPEECH: o = baton__oai_speech(c); break;
  case BATON__OAI_IMAGE_GEN:
  case BATON__OAI_IMAGE_EDIT: o = baton__oai_image(c); break;
  case BATON__OAI_EMBED: o = baton__oai_embed(c); break;
  }
  c->t = NULL;
  baton__fmt(err, errlen, "%s", c->env->err);
  *retry_after_ms = o == BATON__OAI_BUSY ? c->retry_after_ms : -1;
  if (o == BATON__OAI_FAILED && baton__exec_cancelled(c->env))
    return BATON__POOL_CANCELLED;
  return o == BATON__OAI_DONE       ? BATON__POOL_OK
         : o == BATON__OAI_REPLICA  ? BATON__POOL_DOWN
         : o == BATON__OAI_BUSY     ? BATON__POOL_RATE_LIMITED
         : c->env->bad_input        ? BATON__POOL_BAD_INPUT
                                    : BATON__POOL_CLIENT_ERROR;
}

static int oai_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                   baton__values *out) {
  const baton__oai_task *t = baton__oai_task_find(task);
  if (!t) {
    char why[400];
    baton__oai_unserved(task, why, sizeof why);
    baton__fmt(env->err, sizeof env->err, "%s cannot run on a model server: %s",
               env->model ? env->model : task, why);
    return -1;
  }
  if (baton__values_refuse_join(in, env->model, env->err, sizeof env->err) != 0)
    return -1;
  if (!env->pool || !env->model) {
    baton__fmt(env->err, sizeof env->err, "no model server is configured for %s",
               env->model ? env->model : task);
    return -1;
  }
  oai_try tr = {.call = {.task = t, .in = in, .prompts = state, .env = env, .out = out},
                .model = env->model};
  char err[sizeof env->err] = "", answered[BATON__ENDPOINT_NAME_MAX + 1] = "";
  baton__pool_status st = baton__pool_run(env->pool, env->model, env->cancel, env->timeout_ms,
                                          oai_attempt, &tr, answered, sizeof answered, NULL,
                                          err, sizeof err);
  baton__fmt(env->answered, sizeof env->answered, "%s", answered);
  if (st == BATON__POOL_OK)
    return 0;
  /* Every replica down, or busy past the timeout: worth a later retry. Not rate-limited: the
   * pool already waited what the servers asked, within the time given, so asking again at once
   * would only add requests to a server that said to slow down. */
  env->transient = st == BATON__POOL_DOWN || st == BATON__POOL_TIMEOUT;
  /* The server refused the task's input: not the model's fault. */
  env->bad_input = st == BATON__POOL_BAD_INPUT;
  baton__fmt(env->err, sizeof env->err, "%s", err[0] ? err : baton__pool_status_name(st));
  return -1;
}

const baton__executor baton__executor_openai = {
    .name = "openai",
    .model_id = "<any model declared under endpoints:>",
    .tasks = baton__oai_task_names,
    .reentrant = true,
    .in_process = true, /* a network client: nothing to isolate */
    .available = oai_available,
    .init = oai_init,
    .run = oai_run,
    .release = oai_release,
};
