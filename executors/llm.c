/* llm.c — the "llm" executor: pure language tasks (chat, text generation, summaries, translation) on the configured chat LLM. */
#include "executors/executor.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/asked.h"
#include "executors/chat_history.h"
#include "executors/llm_client.h"
#include "planner/conversation.h"
#include "core/banned.h"

/*
 * Wiring (the table and the catalogue are not this file's): list
 * &baton__executor_llm in baton__executors[] (executors.c), declare it in
 * executor.h, and register models with endpoint "llm" (which the context
 * routes to the executor named "llm") for the tasks below, e.g. id
 * "llm/chat" for conversational. Until then nothing routes tasks here.
 * It makes its own client from the config in init(), so it needs nothing
 * from the context; the model sent is llm.model.
 */

static const char *const llm_tasks[] = {"conversational", "text-generation", "summarization",
                                        "translation", "text2text-generation", NULL};

/* The system prompt of each task but translation (which names languages). */
static const struct {
  const char *task, *system;
} llm_prompts[] = {
    {"conversational", "You are a helpful assistant. Reply to the user's message briefly."},
    {"text-generation", "Write the text the user asks for, or continue the text given. "
                        "Reply with the text only."},
    {"summarization", "Summarise the user's text in a few sentences, keeping its main "
                      "points. Reply with the summary only."},
    {"text2text-generation", "The user's text is an instruction with its input, such as "
                             "'paraphrase: ...', 'answer the question: ...' or 'correct the "
                             "grammar: ...'. Do what it says. Reply with the resulting text only."},
};

static bool llm_available(const baton__config *cfg, char *why, size_t whylen) {
  if (cfg->llm_base_url)
    return true;
  baton__fmt(why, whylen, "no LLM is configured (set BATON_LLM_BASE_URL or llm.base_url)");
  return false;
}

static int llm_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  baton__llm_settings s;
  baton__llm_settings_init(&s);
  s.base_url = cfg->llm_base_url;
  s.api_key = cfg->llm_api_key;
  s.model = cfg->llm_model;
  s.timeout_ms = cfg->llm_timeout_ms;
  baton__llm *c = baton__llm_new(&s, err, errlen);
  *state = c;
  return c ? 0 : -1;
}

static void llm_release(void *state) { baton__llm_free(state); }

static const char *arg_of(const baton__values *in, const char *name) {
  const baton__value *v = baton__values_get(in, name);
  return v && v->data && *v->data ? v->data : NULL;
}

/* Asks the LLM: the system prompt, the conversation a dialogue continues, the user's text. */
static baton__llm_status ask(baton__llm *c, const char *system, const char *text,
                             const baton__values *in, baton__exec_env *env, char **content) {
  cJSON *history = NULL;
  if (baton__chat_history(in, &history, env) != 0)
    return BATON__LLM_EINVAL;
  baton__llm_msg msgs[2 + 2 * BATON__CHAT_HISTORY_PAIRS] = {{"system", system}};
  size_t n = 1;
  const cJSON *m;
  cJSON_ArrayForEach(m, history) {
    msgs[n].role = cJSON_GetObjectItemCaseSensitive(m, "role")->valuestring;
    msgs[n++].content = cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring;
  }
  msgs[n++] = (baton__llm_msg){"user", text};
  baton__llm_opts o;
  baton__llm_opts_init(&o);
  o.cancel = env->cancel;
  baton__llm_status st = baton__llm_chat(c, msgs, n, &o, content, NULL, NULL, env->err,
                                         sizeof env->err);
  cJSON_Delete(history);
  return st;
}

static int llm_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                   baton__values *out) {
  const baton__value *tv = baton__values_get_type(in, BATON__T_TEXT);
  if (!tv || !tv->data || !*tv->data) {
    baton__fmt(env->err, sizeof env->err, "%s needs a non-empty \"text\" argument", task);
    return -1;
  }
  if (strlen(tv->data) > env->cfg->max_text_bytes) {
    baton__fmt(env->err, sizeof env->err, "the text is longer than %zu bytes",
               env->cfg->max_text_bytes);
    return -1;
  }
  baton__sb sys;
  baton__sb_init(&sys);
  for (size_t i = 0; i < sizeof llm_prompts / sizeof llm_prompts[0] && !sys.len; i++)
    if (strcmp(task, llm_prompts[i].task) == 0)
      baton__sb_adds(&sys, llm_prompts[i].system);
  if (!sys.len && strcmp(task, "translation") == 0) {
    const char *tgt = arg_of(in, "tgt_lang"), *src = arg_of(in, "src_lang");
    if (!tgt) {
      baton__sb_release(&sys);
      baton__fmt(env->err, sizeof env->err,
                 "translation needs \"tgt_lang\" (the target language, e.g. \"es\")");
      return -1;
    }
    baton__sb_addf(&sys, "Translate the user's text%s%.40s into the language \"%.40s\". "
                         "Keep its paragraphs: one translated paragraph for each, in order. "
                         "Reply with the translation only.",
                   src ? " from the language " : "", src ? src : "", tgt);
  }
  if (!sys.len) {
    baton__sb_release(&sys);
    baton__fmt(env->err, sizeof env->err, "the llm executor does not do %s", task);
    return -1;
  }
  char asked[BATON__ASKED_MAX + 128];
  baton__sb_adds(&sys, baton__asked_clause(in, asked, sizeof asked));
  char *system = baton__sb_detach(&sys), *content = NULL;
  if (!system) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  baton__llm_status st = ask(state, system, tv->data, in, env, &content);
  free(system);
  if (st != BATON__LLM_OK)
    return -1;
  baton__trim(content);
  if (!*content) {
    free(content);
    baton__fmt(env->err, sizeof env->err, "the LLM returned an empty answer");
    return -1;
  }
  if (baton__values_add_own(out, "text", BATON__T_TEXT, content) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

const baton__executor baton__executor_llm = {
    .name = "llm",
    .model_id = "llm/chat",
    .tasks = llm_tasks,
    .reentrant = true,
    .in_process = true, /* a network client: nothing to isolate */
    .available = llm_available,
    .init = llm_init,
    .run = llm_run,
    .release = llm_release,
};
