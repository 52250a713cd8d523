/* baton_env.h — a test's baton context: a fresh data folder and, when asked, a fake LLM on loopback. */
#ifndef BATON_TESTS_BATON_ENV_H
#define BATON_TESTS_BATON_ENV_H

#include <stdbool.h>

#include "baton.h"
#include "support/fake_http.h"

/* A data folder (BATON_HOME, also the requests' input root), the fake LLM (or NULL) and a
 * context opened on them. */
typedef struct bt_env {
  char *home;
  fake_http *srv;
  baton *ctx;
} bt_env;

/* Opens e->ctx on a fresh temporary BATON_HOME (e->home), with no config file, no Hugging
 * Face token and no proxy. With llm, a fake OpenAI-compatible server (e->srv, scripted by the
 * test) is the LLM, its model "fake-planner", with no key; without, no LLM is set (e->srv NULL).
 * Aborts the test on failure. */
void bt_env_up(bt_env *e, bool llm);
/* Closes e->ctx and opens it again with the config file at path (NULL: none). */
void bt_env_reopen(bt_env *e, const char *config);
/* Closes the context, stops the fake LLM and removes the data folder. */
void bt_env_down(bt_env *e);

#endif
