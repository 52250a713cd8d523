/* baton_env.c — a test's baton context: a fresh data folder and, when asked, a fake LLM on loopback. */
#include "support/baton_env.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/support.h"

/* What the environment may hold that would reach past the test's own servers or set. */
static const char *const outside_vars[] = {
    "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    "BATON_CONFIG", "BATON_LLM_BASE_URL", "OPENAI_BASE_URL", "BATON_LLM_API_KEY",
    "OPENAI_API_KEY", "HF_TOKEN"};

void bt_env_up(bt_env *e, bool llm) {
  for (size_t i = 0; i < sizeof outside_vars / sizeof *outside_vars; i++)
    unsetenv(outside_vars[i]);
  e->home = bt_tmpdir();
  e->srv = NULL;
  e->ctx = NULL;
  setenv("BATON_HOME", e->home, 1);
  if (llm) {
    e->srv = fake_http_start();
    cr_assert_not_null(e->srv, "the fake LLM did not start");
    char url[128];
    snprintf(url, sizeof url, "%s/v1", fake_http_url(e->srv));
    setenv("BATON_LLM_BASE_URL", url, 1);
    setenv("BATON_LLM_MODEL", "fake-planner", 1);
  }
  bt_env_reopen(e, NULL);
}

void bt_env_reopen(bt_env *e, const char *config) {
  baton_close(e->ctx);
  e->ctx = NULL;
  baton_rc rc = baton_open(config, &e->ctx);
  cr_assert_eq(rc, BATON_OK, "open: %s", baton_errmsg(e->ctx));
}

void bt_env_down(bt_env *e) {
  baton_close(e->ctx);
  fake_http_stop(e->srv);
  bt_rmtree(e->home);
  free(e->home);
}
