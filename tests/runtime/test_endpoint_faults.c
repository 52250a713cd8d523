/* test_endpoint_faults.c — model servers that misbehave, through baton_task(): a hanging server's retries kept within the task's timeout, a rate-limited server not asked again at once. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "core/util.h"
#include "support/fake_http.h"
#include "support/support.h"
#include "core/banned.h"

typedef struct fixture {
  char *dir;
  fake_http *srv;
  baton *ctx;
} fixture;

/* One endpoint "srv" on a fake server serving model m1, with the task and endpoint timeouts
 * given and two retries of a transient failure. */
static void fx_open(fixture *f, long task_timeout_ms, long endpoint_timeout_ms) {
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->srv = fake_http_start();
  cr_assert_not_null(f->srv);
  char *home = baton__path_join(f->dir, "home"), *config = baton__path_join(f->dir, "c.yaml");
  char y[1024];
  snprintf(y, sizeof y,
           "home: %s\ntask_timeout_ms: %ld\ntask_retries: 2\nendpoints:\n  - name: srv\n"
           "    base_url: %s/v1\n    timeout_ms: %ld\n    models:\n"
           "      - {id: m1, tasks: [summarization]}\n",
           home, task_timeout_ms, fake_http_url(f->srv), endpoint_timeout_ms);
  bt_write(config, y);
  cr_assert_eq(baton_open(config, &f->ctx), BATON_OK, "%s", f->ctx ? baton_errmsg(f->ctx) : "");
  free(home);
  free(config);
}

static void fx_close(fixture *f) {
  baton_close(f->ctx);
  fake_http_stop(f->srv);
  bt_rmtree(f->dir);
  free(f->dir);
}

/* Runs summarization on m1; returns the task's error (caller frees). */
static char *failed_task(fixture *f) {
  char *json = NULL;
  cr_assert_eq(baton_task(f->ctx, "summarization", "{\"text\":\"Some words.\"}", "m1", f->dir,
                          &json),
               BATON_EXEC, "%s", json ? json : baton_errmsg(f->ctx));
  cJSON *t = cJSON_Parse(json);
  const cJSON *e = cJSON_GetObjectItem(t, "error");
  char *err = baton__strdup(cJSON_IsString(e) ? e->valuestring : "");
  cJSON_Delete(t);
  baton_free(json);
  return err;
}

Test(runtime_endpoint_faults, a_hanging_server_is_not_retried_past_the_task_timeout) {
  fixture f;
  /* Each request may hang 1 s, the task 1.2 s: no retry fits after the first. */
  fx_open(&f, 1200, 1000);
  for (int i = 0; i < 3; i++)
    fake_http_push_hang(f.srv);
  char *err = failed_task(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "retried past the task's timeout: %s", err);
  cr_assert(strstr(err, "srv: timed out"), "%s", err);
  cr_assert(strstr(err, "no time left to retry within the task's 1.2 s timeout"), "%s", err);
  free(err);
  fx_close(&f);
}

Test(runtime_endpoint_faults, a_rate_limited_server_is_not_asked_again_once_its_wait_is_past_the_time_left) {
  fixture f;
  fx_open(&f, 3000, 3000);
  fake_http_push_full(f.srv, 429, "Retry-After: 60\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached\"}}");
  char *err = failed_task(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  cr_assert(strstr(err, "srv: HTTP 429: Rate limit reached"), "%s", err);
  cr_assert_null(strstr(err, "attempts"), "retried at once: %s", err);
  free(err);
  fx_close(&f);
}
