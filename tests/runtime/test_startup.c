/* test_startup.c — what opening a context and planning offline cost: no libcurl, no run history, no registry write until needed. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baton.h"
#include "net/http.h"
#include "support/fake_http.h"
#include "support/support.h"

static char *home;
static char config[600];

static void setup(void) {
  home = bt_tmpdir();
  setenv("BATON_HOME", home, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  /* No local executors: describing them starts baton-worker, which loads
   * every executor library (test_describe_cache.c covers that). */
  setenv("BATON_WORKER", "/nonexistent/baton-worker", 1);
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  snprintf(config, sizeof config, "%s/config.yaml", home);
  bt_write(config, "workers: 2\n");
  setenv("BATON_CONFIG", config, 1);
}

static void teardown(void) {
  bt_rmtree(home);
  free(home);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_DEBUG_EXECUTORS");
  unsetenv("BATON_WORKER");
}

TestSuite(runtime_startup, .init = setup, .fini = teardown, .timeout = 60);

/* Opens a context, plans a two-task request offline as `baton plan
 * --offline` does, closes it. */
static void plan_offline(void) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(config, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  baton_request req = {BATON_REQUEST_INIT, .text = "read the text in sign.png and summarize it",
                       .offline = 1};
  char *json = NULL;
  cr_assert_eq(baton_plan(ctx, &req, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert(strstr(json, "image-to-text") && strstr(json, "summarization"), "%s", json);
  baton_free(json);
  baton_close(ctx);
}

static bool curl_loaded(void) {
  void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD);
  if (h)
    dlclose(h);
  return h != NULL;
}

static bool exists(const char *name) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", home, name);
  struct stat st;
  return stat(path, &st) == 0;
}

Test(runtime_startup, planning_offline_never_loads_libcurl_and_the_first_request_does) {
  cr_assert_not(curl_loaded(), "libcurl is loaded before anything asked for it");
  plan_offline();
  cr_assert_not(curl_loaded(), "planning offline loaded libcurl");
  fake_http *srv = fake_http_start();
  fake_http_push_json(srv, 200, "{\"ok\":true}");
  baton__http_request req = {.url = fake_http_url(srv), .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_OK, "%s", r.err);
  cr_assert_str_eq(r.body, "{\"ok\":true}");
  cr_assert(curl_loaded(), "an HTTP request went out without libcurl loaded");
  baton__http_response_release(&r);
  fake_http_stop(srv);
}

Test(runtime_startup, an_http_date_in_retry_after_is_read_before_any_request) {
  time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
  cr_assert_eq(baton__http_parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), 30000);
}

Test(runtime_startup, planning_creates_no_run_history_and_the_first_run_does) {
  plan_offline();
  cr_assert_not(exists("runs.db"), "planning opened the run history");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(config, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  cr_assert_null(baton_history_readonly(ctx), "%s", baton_history_readonly(ctx));
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"hello\"}}]"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_errmsg(ctx));
  baton_run_free(run);
  char *json = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert(strstr(json, "\"done\""), "the run is not in the history: %s", json);
  baton_free(json);
  baton_close(ctx);
  cr_assert(exists("runs.db"));
}

Test(runtime_startup, planning_again_leaves_the_registry_file_untouched) {
  plan_offline(); /* the first open seeds the registry */
  char path[700];
  snprintf(path, sizeof path, "%s/registry.db", home);
  size_t n_before, n_after;
  char *before = bt_slurp(path, &n_before);
  plan_offline(); /* a write would change SQLite's header (its change counter) */
  char *after = bt_slurp(path, &n_after);
  cr_assert(n_before == n_after && memcmp(before, after, n_before) == 0,
            "planning wrote to the registry");
  cr_assert_not(exists("registry.db-wal"));
  free(before);
  free(after);
}

Test(runtime_startup, a_changed_endpoint_model_is_stored_at_the_next_open) {
  char yaml[1024];
  snprintf(yaml, sizeof yaml,
           "workers: 2\nendpoints:\n  - name: box\n    base_url: http://127.0.0.1:9\n"
           "    models:\n      - {id: vendor/first, tasks: [summarization]}\n");
  bt_write(config, yaml);
  for (int round = 0; round < 2; round++) {
    const char *want = round ? "vendor/second" : "vendor/first";
    const char *gone = round ? "vendor/first" : "vendor/second";
    baton *ctx = NULL;
    cr_assert_eq(baton_open(config, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
    char *json = NULL;
    cr_assert_eq(baton_models_list(ctx, "summarization", 0, &json), BATON_OK, "%s",
                 baton_errmsg(ctx));
    cr_assert(strstr(json, want), "%s is not listed: %s", want, json);
    cr_assert_null(strstr(json, gone), "%s is still listed: %s", gone, json);
    baton_free(json);
    baton_close(ctx);
    if (!round) {
      snprintf(yaml, sizeof yaml,
               "workers: 2\nendpoints:\n  - name: box\n    base_url: http://127.0.0.1:9\n"
               "    models:\n      - {id: vendor/second, tasks: [summarization]}\n");
      bt_write(config, yaml);
    }
  }
}
