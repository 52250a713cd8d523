/* test_hf.c — the hf-inference executor against a scripted loopback server: retries, errors, limits, payload shapes, and `baton_task` end to end. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"
#include "core/base64.h"
#include "core/util.h"
#include "executors/executor.h"
#include "executors/hf.h"
#include "support/fake_http.h"
#include "support/support.h"
#include "core/banned.h"

#define TOKEN "hf_secret_for_tests"

typedef struct fixture {
  fake_http *srv;
  char base[128];
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
  void *state;
  char *dir;
  baton__values in, out;
} fixture;

static void fx_open(fixture *f) {
  memset(f, 0, sizeof *f);
  f->srv = fake_http_start();
  cr_assert_not_null(f->srv);
  baton__fmt(f->base, sizeof f->base, "%s/hf-inference", fake_http_url(f->srv));
  f->cfg.hf_token = TOKEN;
  f->cfg.hf_base_url = f->base;
  f->cfg.max_input_bytes = 1u << 20;
  f->dir = bt_tmpdir();
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = f->dir;
  f->env.file_prefix = "task1";
  f->env.cancel = &f->cancel;
  f->env.model = "org/model-x";
  f->env.endpoint = "hf-inference";
  f->env.timeout_ms = 15000;
  char err[256] = "";
  cr_assert_eq(baton__executor_hf.init(&f->cfg, &f->state, err, sizeof err), 0, "%s", err);
}

static void fx_close(fixture *f) {
  baton__executor_hf.release(f->state);
  fake_http_stop(f->srv);
  baton__values_release(&f->in);
  baton__values_release(&f->out);
  bt_rmtree(f->dir);
  free(f->dir);
}

static int fx_run(fixture *f, const char *task) {
  f->env.err[0] = '\0';
  baton__values_release(&f->out);
  int rc = baton__executor_hf.run(f->state, task, &f->in, &f->env, &f->out);
  if (rc != 0)
    cr_assert_neq(f->env.err[0], '\0', "failure without a message");
  return rc;
}

static const char *out_text(fixture *f) {
  const baton__value *v = baton__values_get(&f->out, "text");
  cr_assert_not_null(v, "no text output");
  return v->data;
}

static fake_http_request *req(fixture *f, size_t i) {
  fake_http_request *r = fake_http_request_get(f->srv, i);
  cr_assert_not_null(r, "request %zu was not made", i);
  return r;
}

static const char *summary_ok = "[{\"summary_text\":\"It is short.\"}]";

/* ---- availability ----------------------------------------------------------- */

Test(executors_hf, is_unavailable_without_hf_token_and_says_so) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  char why[256] = "";
  cr_assert_not(baton__executor_hf.available(&cfg, why, sizeof why));
  cr_assert(strstr(why, "HF_TOKEN"), "%s", why);
  cfg.hf_token = "x";
  cr_assert(baton__executor_hf.available(&cfg, why, sizeof why));
  cr_assert(baton__executor_hf.reentrant, "remote calls must be able to run in parallel");
  cr_assert_eq(baton__executor_find("hf-inference"), &baton__executor_hf);
}

/* ---- retries ---------------------------------------------------------------- */

Test(executors_hf, waits_for_a_loading_model_then_retries) {
  fixture f;
  fx_open(&f);
  fake_http_push_json(f.srv, 503,
                      "{\"error\":\"Model org/model-x is currently loading\","
                      "\"estimated_time\":1.0}");
  fake_http_push_json(f.srv, 200, summary_ok);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  int64_t t0 = baton__now_ms();
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  int64_t ms = baton__now_ms() - t0;
  cr_assert_geq(ms, 950, "retried after %lld ms, before the estimated time", (long long)ms);
  cr_assert_lt(ms, 10000);
  cr_assert_str_eq(out_text(&f), "It is short.");
  cr_assert_eq(fake_http_request_count(f.srv), 2);
  fake_http_request *r = req(&f, 1);
  cr_assert_str_eq(fake_http_request_header(r, "x-wait-for-model"), "true");
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_hf, gives_up_on_a_loading_model_when_the_timeout_is_shorter) {
  fixture f;
  fx_open(&f);
  f.env.timeout_ms = 800;
  fake_http_push_json(f.srv, 503,
                      "{\"error\":\"Model org/model-x is currently loading\","
                      "\"estimated_time\":20.0}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  int64_t t0 = baton__now_ms();
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert_lt(baton__now_ms() - t0, 10000, "it waited for the 20 s estimate");
  cr_assert(strstr(f.env.err, "no time left to wait 20.0 s more within the task's 0.8 s timeout"),
            "%s", f.env.err);
  cr_assert(strstr(f.env.err, "currently loading"), "%s", f.env.err);
  fx_close(&f);
}

Test(executors_hf, a_proxy_s_html_error_page_is_told_by_its_title) {
  fixture f;
  fx_open(&f);
  f.env.timeout_ms = 800;
  fake_http_push(f.srv, &(fake_http_response){
      .status = 502, .content_type = "text/html",
      .body = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
              "Gateway</h1></center><hr><center>nginx</center></body></html>"});
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(strstr(f.env.err, "answered 502: 502 Bad Gateway (an HTML page)"), "%s", f.env.err);
  cr_assert_null(strstr(f.env.err, "<"), "%s", f.env.err);
  fx_close(&f);
}

Test(executors_hf, stops_retrying_a_model_that_stays_unavailable) {
  fixture f;
  fx_open(&f);
  for (int i = 0; i < BATON__HF_MAX_ATTEMPTS + 2; i++)
    fake_http_push_json(f.srv, 503, "{\"error\":\"Model is currently loading\",\"estimated_time\":0}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(strstr(f.env.err, "still unavailable (503)"), "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(f.srv), BATON__HF_MAX_ATTEMPTS);
  fx_close(&f);
}

Test(executors_hf, honours_retry_after_on_429_then_succeeds) {
  fixture f;
  fx_open(&f);
  fake_http_push_full(f.srv, 429, "Retry-After: 1\r\n", "{\"error\":\"Too many requests\"}");
  fake_http_push_json(f.srv, 200, summary_ok);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  int64_t t0 = baton__now_ms();
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  cr_assert_geq(baton__now_ms() - t0, 950);
  cr_assert_str_eq(out_text(&f), "It is short.");
  cr_assert_eq(fake_http_request_count(f.srv), 2);
  fx_close(&f);
}

Test(executors_hf, does_not_wait_minutes_for_a_429) {
  fixture f;
  fx_open(&f);
  fake_http_push_full(f.srv, 429, "Retry-After: 600\r\n", "{\"error\":\"Quota exceeded\"}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "A long text."), 0);
  int64_t t0 = baton__now_ms();
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert_lt(baton__now_ms() - t0, 10000, "it waited for the Retry-After");
  cr_assert(strstr(f.env.err, "429") && strstr(f.env.err, "600") &&
                strstr(f.env.err, "Quota exceeded"),
            "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  fx_close(&f);
}

/* ---- errors ----------------------------------------------------------------- */

Test(executors_hf, names_the_model_when_it_is_not_served) {
  fixture f;
  fx_open(&f);
  fake_http_push_json(f.srv, 404, "{\"error\":\"Model not found\"}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "text-classification"), 0);
  cr_assert(strstr(f.env.err, "org/model-x") && strstr(f.env.err, "not served"), "%s",
            f.env.err);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "a 404 is not retried");
  fx_close(&f);
}

Test(executors_hf, says_hf_token_was_refused_on_401) {
  fixture f;
  fx_open(&f);
  fake_http_push_json(f.srv, 401, "{\"error\":\"Invalid credentials in Authorization header\"}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "text-classification"), 0);
  cr_assert(strstr(f.env.err, "HF_TOKEN was refused (401)"), "%s", f.env.err);
  cr_assert(strstr(f.env.err, "Invalid credentials"), "%s", f.env.err);
  cr_assert_null(strstr(f.env.err, TOKEN), "the token leaked into the message");
  fx_close(&f);
}

Test(executors_hf, a_refused_input_is_the_tasks_fault_not_the_models) {
  static const struct {
    int status;
    bool bad_input;
  } answers[] = {{400, true}, {413, true}, {415, true}, {422, true},
                 {401, false}, {403, false}, {404, false}, {500, false}};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    fixture f;
    fx_open(&f);
    fake_http_push_json(f.srv, answers[i].status, "{\"error\":\"the server says no\"}");
    fake_http_push_json(f.srv, answers[i].status, "{\"error\":\"the server says no\"}");
    f.env.timeout_ms = 2000; /* a 500 is retried until then */
    cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
    cr_assert_neq(fx_run(&f, "text-classification"), 0);
    cr_assert_eq(f.env.bad_input, answers[i].bad_input, "%d: bad_input %d (%s)",
                 answers[i].status, f.env.bad_input, f.env.err);
    cr_assert(strstr(f.env.err, "the server says no") || answers[i].status == 401 ||
                  answers[i].status == 403,
              "%d: the server's message: %s", answers[i].status, f.env.err);
    fx_close(&f);
  }
}

Test(executors_hf, joins_error_lists_and_the_x_error_message_header) {
  fixture f;
  fx_open(&f);
  fake_http_push_full(f.srv, 422, "X-Error-Message: Validation failed\r\n",
                      "{\"error\":[\"inputs must be a string\",\"top_k must be > 0\"]}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "text-classification"), 0);
  cr_assert(strstr(f.env.err, "422"), "%s", f.env.err);
  cr_assert(strstr(f.env.err, "Validation failed: inputs must be a string; top_k must be > 0"),
            "%s", f.env.err);
  fx_close(&f);
}

Test(executors_hf, a_json_reply_to_text_to_image_is_an_error_with_its_message) {
  fixture f;
  fx_open(&f);
  fake_http_push_json(f.srv, 200, "{\"error\":\"prompt rejected by the safety checker\"}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "a cat"), 0);
  cr_assert_neq(fx_run(&f, "text-to-image"), 0);
  cr_assert(strstr(f.env.err, "prompt rejected by the safety checker"), "%s", f.env.err);
  cr_assert(strstr(f.env.err, "instead of an image"), "%s", f.env.err);
  cr_assert_null(baton__values_get(&f.out, "image"));
  fx_close(&f);
}

Test(executors_hf, a_wav_reply_is_saved_with_the_wav_extension) {
  fixture f;
  fx_open(&f);
  static const char wav[] = "RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0";
  fake_http_response r = {.status = 200, .content_type = "audio/x-wav", .body = wav,
                          .body_len = sizeof wav - 1};
  fake_http_push(f.srv, &r);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hello"), 0);
  cr_assert_eq(fx_run(&f, "text-to-speech"), 0, "%s", f.env.err);
  const baton__value *v = baton__values_get(&f.out, "audio");
  cr_assert_not_null(v);
  cr_assert_eq(v->type, BATON__T_AUDIO);
  cr_assert(baton__has_suffix_ci(v->data, "/task1.wav"), "%s", v->data);
  size_t len = 0;
  char *got = bt_slurp(v->data, &len);
  cr_assert_eq(len, sizeof wav - 1);
  free(got);
  fx_close(&f);
}

/* ---- limits ----------------------------------------------------------------- */

Test(executors_hf, times_out_on_a_server_that_never_answers) {
  fixture f;
  fx_open(&f);
  f.env.timeout_ms = 500;
  fake_http_push_hang(f.srv);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  int64_t t0 = baton__now_ms();
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  int64_t ms = baton__now_ms() - t0;
  cr_assert_geq(ms, 450);
  cr_assert_lt(ms, 10000); /* the server never answers: only the timeout ends it */
  cr_assert(strstr(f.env.err, fake_http_url(f.srv)), "names the server: %s", f.env.err);
  cr_assert(strstr(f.env.err, " did not answer within 0.5 s"), "%s", f.env.err);
  fx_close(&f);
}

static void *cancel_later(void *arg) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = 300 * 1000000L};
  nanosleep(&ts, NULL);
  atomic_store((atomic_int *)arg, 1);
  return NULL;
}

Test(executors_hf, stops_promptly_when_cancelled) {
  fixture f;
  fx_open(&f);
  fake_http_push_hang(f.srv);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  pthread_t th;
  int64_t t0 = baton__now_ms();
  cr_assert_eq(pthread_create(&th, NULL, cancel_later, &f.cancel), 0);
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  int64_t ms = baton__now_ms() - t0;
  pthread_join(th, NULL);
  cr_assert_lt(ms, 10000, "took %lld ms to notice the cancel", (long long)ms);
  cr_assert_str_eq(f.env.err, "cancelled");
  fx_close(&f);
}

Test(executors_hf, stops_waiting_for_a_loading_model_when_cancelled) {
  fixture f;
  fx_open(&f);
  fake_http_push_json(f.srv, 503, "{\"error\":\"loading\",\"estimated_time\":10}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  pthread_t th;
  int64_t t0 = baton__now_ms();
  cr_assert_eq(pthread_create(&th, NULL, cancel_later, &f.cancel), 0);
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  pthread_join(th, NULL);
  cr_assert_lt(baton__now_ms() - t0, 6000, "it waited out the 10 s estimate");
  cr_assert_str_eq(f.env.err, "cancelled");
  fx_close(&f);
}

Test(executors_hf, refuses_a_json_reply_over_16_mib) {
  fixture f;
  fx_open(&f);
  size_t n = BATON__HF_MAX_JSON_BODY + 1024;
  char *big = malloc(n + 1);
  cr_assert_not_null(big);
  memset(big, ' ', n);
  big[0] = '[';
  big[n - 1] = ']';
  big[n] = '\0';
  fake_http_response r = {.status = 200, .body = big, .body_len = n};
  fake_http_push(f.srv, &r);
  free(big);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "text-classification"), 0);
  cr_assert(strstr(f.env.err, "larger than 16 MiB"), "%s", f.env.err);
  fx_close(&f);
}

Test(executors_hf, refuses_a_binary_reply_over_64_mib) {
  fixture f;
  fx_open(&f);
  size_t n = BATON__HF_MAX_BINARY_BODY + 4096;
  char *big = calloc(1, n);
  cr_assert_not_null(big);
  memcpy(big, "\x89PNG\r\n\x1a\n", 8);
  fake_http_response r = {.status = 200, .content_type = "image/png", .body = big, .body_len = n};
  fake_http_push(f.srv, &r);
  free(big);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "a cat"), 0);
  cr_assert_neq(fx_run(&f, "text-to-image"), 0);
  cr_assert(strstr(f.env.err, "larger than 64 MiB"), "%s", f.env.err);
  char *p = baton__path_join(f.dir, "task1.png");
  cr_assert_not(baton__file_exists(p), "a partial file was left behind");
  free(p);
  fx_close(&f);
}

/* ---- payloads and routes ---------------------------------------------------- */

Test(executors_hf, posts_to_an_explicit_endpoint_url_as_is) {
  fixture f;
  fx_open(&f);
  char url[200];
  baton__fmt(url, sizeof url, "%s/my/endpoint?x=1", fake_http_url(f.srv));
  f.env.endpoint = url;
  f.env.model = "whatever it is called";
  fake_http_push_json(f.srv, 200, "{\"generated_text\":\"once upon a time\"}");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Tell me"), 0);
  cr_assert_eq(fx_run(&f, "text-generation"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "once upon a time");
  fake_http_request *r = req(&f, 0);
  cr_assert_str_eq(r->path, "/my/endpoint?x=1");
  cr_assert_str_eq(fake_http_request_header(r, "Authorization"), "Bearer " TOKEN);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_hf, refuses_a_model_id_that_could_escape_the_url) {
  fixture f;
  fx_open(&f);
  f.env.model = "../../admin";
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(strstr(f.env.err, "not a Hugging Face model id"), "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(f.srv), 0);
  cr_assert(baton__hf_is_hub_id("facebook/bart-large-cnn"));
  cr_assert(baton__hf_is_hub_id("gpt2"));
  cr_assert_not(baton__hf_is_hub_id("local/tesseract"));
  cr_assert_not(baton__hf_is_hub_id("a/b/c"));
  cr_assert_not(baton__hf_is_hub_id("org/na me"));
  fx_close(&f);
}

/* A small PNG-like file in the fixture's folder, added as the "image" input. */
static const char png[] = "\x89PNG\r\n\x1a\n0123456789";
static void add_png(fixture *f) {
  char *img = baton__path_join(f->dir, "x.png"), err[256];
  cr_assert_eq(baton__write_file(img, png, sizeof png - 1, err, sizeof err), 0);
  cr_assert_eq(baton__values_add_own(&f->in, "image", BATON__T_IMAGE, img), 0);
}

Test(executors_hf, sends_an_image_as_base64_json_when_parameters_are_given) {
  fixture f;
  fx_open(&f);
  add_png(&f);
  cr_assert_eq(baton__values_add(&f.in, "top_k", 0, "2"), 0);
  fake_http_push_json(f.srv, 200, "[{\"label\":\"cat\",\"score\":0.5},{\"label\":\"dog\",\"score\":0.7}]");
  cr_assert_eq(fx_run(&f, "image-classification"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "dog (0.70)", "the best score wins whatever the order");
  fake_http_request *r = req(&f, 0);
  cr_assert_str_eq(fake_http_request_header(r, "Content-Type"), "application/json");
  cJSON *body = cJSON_Parse(r->body);
  char *b64 = baton__b64_encode(png, sizeof png - 1);
  cr_assert_str_eq(cJSON_GetObjectItem(body, "inputs")->valuestring, b64);
  cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "parameters"), "top_k")->valueint, 2);
  free(b64);
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

/* A Hub captioner given a reading step's "mode" is sent the picture alone: the mode is no model
 * parameter (the model would refuse it). */
Test(executors_hf, a_mode_is_never_sent_as_a_model_parameter) {
  fixture f;
  fx_open(&f);
  add_png(&f);
  cr_assert_eq(baton__values_add(&f.in, "mode", 0, "read"), 0);
  fake_http_push_json(f.srv, 200, "[{\"generated_text\":\"a sign\"}]");
  cr_assert_eq(fx_run(&f, "image-to-text"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "a sign");
  fake_http_request *r = req(&f, 0);
  cr_assert_str_eq(fake_http_request_header(r, "Content-Type"), "image/png");
  cr_assert_eq(r->body_len, sizeof png - 1);
  fake_http_request_free(r);
  fx_close(&f);
}

/* "Make it black and white" on a Hub image-to-image model: the request's words are its prompt,
 * and "instruction" is never sent as a model parameter (the model would refuse it). */
Test(executors_hf, an_edit_takes_the_request_words_as_its_prompt) {
  fixture f;
  fx_open(&f);
  add_png(&f);
  cr_assert_eq(baton__values_add(&f.in, "instruction", 0, "make it black and white"), 0);
  fake_http_response reply = {.status = 200, .content_type = "image/png", .body = png,
                              .body_len = sizeof png - 1};
  fake_http_push(f.srv, &reply);
  cr_assert_eq(fx_run(&f, "image-to-image"), 0, "%s", f.env.err);
  fake_http_request *r = req(&f, 0);
  cJSON *body = cJSON_Parse(r->body), *params = cJSON_GetObjectItem(body, "parameters");
  cr_assert_not_null(params, "%s", r->body);
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(params, "prompt")),
                   "make it black and white");
  cr_assert_null(cJSON_GetObjectItem(params, "instruction"), "%s", r->body);
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

/* "Draw three pictures of a cat": each copy has its own seed, so that the Hub (whose cache answers
 * a repeated request with the picture it kept) draws each anew. */
Test(executors_hf, a_drawing_sends_its_seed_as_a_number_parameter) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "a cat"), 0);
  cr_assert_eq(baton__values_add(&f.in, "seed", 0, "2"), 0);
  fake_http_response reply = {.status = 200, .content_type = "image/png", .body = png,
                              .body_len = sizeof png - 1};
  fake_http_push(f.srv, &reply);
  cr_assert_eq(fx_run(&f, "text-to-image"), 0, "%s", f.env.err);
  fake_http_request *r = req(&f, 0);
  cJSON *body = cJSON_Parse(r->body), *seed = cJSON_GetObjectItem(
                                                  cJSON_GetObjectItem(body, "parameters"), "seed");
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(body, "inputs")), "a cat", "%s",
                   r->body);
  cr_assert(cJSON_IsNumber(seed) && seed->valueint == 2, "%s", r->body);
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_hf, question_answering_sends_question_and_context_under_inputs) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Ana lives in Lisbon."), 0);
  cr_assert_eq(baton__values_add(&f.in, "question", 0, "Where does Ana live?"), 0);
  fake_http_push_json(f.srv, 200, "{\"answer\":\"Lisbon\",\"score\":0.9,\"start\":13,\"end\":19}");
  cr_assert_eq(fx_run(&f, "question-answering"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "Lisbon");
  fake_http_request *r = req(&f, 0);
  cr_assert_str_eq(r->path, "/hf-inference/models/org/model-x");
  cJSON *body = cJSON_Parse(r->body);
  cJSON *in = cJSON_GetObjectItem(body, "inputs");
  cr_assert_str_eq(cJSON_GetObjectItem(in, "question")->valuestring, "Where does Ana live?");
  cr_assert_str_eq(cJSON_GetObjectItem(in, "context")->valuestring, "Ana lives in Lisbon.");
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_hf, zero_shot_without_labels_fails_before_calling) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi"), 0);
  cr_assert_neq(fx_run(&f, "zero-shot-classification"), 0);
  cr_assert(strstr(f.env.err, "labels"), "%s", f.env.err);
  cr_assert(f.env.bad_input, "a missing argument is the task's fault, not the model's");
  cr_assert_eq(fake_http_request_count(f.srv), 0);
  fx_close(&f);
}

Test(executors_hf, refuses_pictures_or_recordings_to_join_before_calling) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "image", BATON__T_IMAGE, "/tmp/a.png"), 0);
  cr_assert_eq(baton__values_add(&f.in, "image2", BATON__T_IMAGE, "/tmp/b.png"), 0);
  cr_assert_neq(fx_run(&f, "image-to-image"), 0);
  cr_assert(strstr(f.env.err, "org/model-x takes one picture, not \"image2\" too") &&
                strstr(f.env.err, "local vips executor"),
            "%s", f.env.err);
  baton__values_release(&f.in);
  cr_assert_eq(baton__values_add(&f.in, "audio", BATON__T_AUDIO, "/tmp/a.wav"), 0);
  cr_assert_eq(baton__values_add(&f.in, "audio3", BATON__T_AUDIO, "/tmp/c.wav"), 0);
  cr_assert_neq(fx_run(&f, "audio-to-audio"), 0);
  cr_assert(strstr(f.env.err, "one recording") && strstr(f.env.err, "sndfile"), "%s",
            f.env.err);
  cr_assert_eq(fake_http_request_count(f.srv), 0);
  fx_close(&f);
}

Test(executors_hf, retries_once_without_parameters_the_model_does_not_use) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hello"), 0);
  cr_assert_eq(baton__values_add(&f.in, "src_lang", 0, "en"), 0);
  fake_http_push_json(f.srv, 400,
                      "{\"error\":\"The following `model_kwargs` are not used by the model: "
                      "['src_lang']\"}");
  fake_http_push_json(f.srv, 200, "[{\"translation_text\":\"Hola\"}]");
  cr_assert_eq(fx_run(&f, "translation"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "Hola");
  fake_http_request *r = req(&f, 1);
  cJSON *body = cJSON_Parse(r->body);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(body, "parameters")), 0);
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_hf, conversational_uses_the_chat_completions_route) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "How are you?"), 0);
  fake_http_push_json(f.srv, 200,
                      "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\"Fine, thanks.\"}}]}");
  cr_assert_eq(fx_run(&f, "conversational"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_text(&f), "Fine, thanks.");
  fake_http_request *r = req(&f, 0);
  cr_assert_str_eq(r->path, "/hf-inference/models/org/model-x/v1/chat/completions");
  cJSON *body = cJSON_Parse(r->body);
  cr_assert_str_eq(cJSON_GetObjectItem(body, "model")->valuestring, "org/model-x");
  cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "messages"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(m, "content")->valuestring, "How are you?");
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

/* A dialogue on the Hub continues its conversation: the earlier exchange comes before the new
 * message, and "history" is no parameter. */
Test(executors_hf, a_dialogue_sends_the_conversation_before_the_new_message) {
  fixture f;
  fx_open(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "and its population?"), 0);
  cr_assert_eq(baton__values_add(&f.in, "history", 0,
                                 "[{\"role\":\"user\",\"content\":\"what is the capital of "
                                 "France?\"},{\"role\":\"assistant\",\"content\":\"Paris.\"}]"),
               0);
  fake_http_push_json(f.srv, 200,
                      "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\"About 2.1 million.\"}}]}");
  cr_assert_eq(fx_run(&f, "conversational"), 0, "%s", f.env.err);
  fake_http_request *r = req(&f, 0);
  cJSON *body = cJSON_Parse(r->body);
  cJSON *msgs = cJSON_GetObjectItem(body, "messages");
  const char *said[] = {"what is the capital of France?", "Paris.", "and its population?"};
  cr_assert_eq(cJSON_GetArraySize(msgs), 3, "%s", r->body);
  for (int i = 0; i < 3; i++)
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, i), "content")->valuestring,
                     said[i]);
  cr_assert_null(cJSON_GetObjectItem(body, "history"));
  cJSON_Delete(body);
  fake_http_request_free(r);
  fx_close(&f);
}

/* ---- end to end through the public API ----------------------------------------- */

typedef struct e2e {
  fake_http *srv;
  char *home;
  baton *ctx;
} e2e;

static void e2e_open(e2e *e) {
  memset(e, 0, sizeof *e);
  e->srv = fake_http_start();
  cr_assert_not_null(e->srv);
  e->home = bt_tmpdir();
  char base[160];
  baton__fmt(base, sizeof base, "%s/hf-inference", fake_http_url(e->srv));
  setenv("HF_TOKEN", "x", 1);
  setenv("BATON_HF_BASE_URL", base, 1);
  setenv("BATON_HOME", e->home, 1);
  setenv("XDG_CONFIG_HOME", e->home, 1);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  cr_assert_eq(baton_open(NULL, &e->ctx), BATON_OK, "%s", baton_errmsg(e->ctx));
}

static void e2e_close(e2e *e) {
  baton_close(e->ctx);
  fake_http_stop(e->srv);
  bt_rmtree(e->home);
  free(e->home);
}

Test(executors_hf, baton_task_runs_a_registered_hub_model_remotely) {
  e2e e;
  e2e_open(&e);
  fake_http_push_json(e.srv, 200, "[{\"summary_text\":\"Cats sleep a lot.\"}]");
  char *json = NULL;
  baton_rc rc = baton_task(e.ctx, "summarization",
                           "{\"text\":\"Cats sleep for most of the day and night.\"}",
                           "facebook/bart-large-cnn", NULL, &json);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(e.ctx));
  cJSON *t = cJSON_Parse(json);
  cr_assert_not_null(t, "%s", json ? json : "(null)");
  cr_assert_str_eq(cJSON_GetObjectItem(t, "status")->valuestring, "done", "%s", json);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "outputs"), "text")->valuestring,
                   "Cats sleep a lot.");
  cJSON_Delete(t);
  baton_free(json);
  fake_http_request *r = fake_http_request_get(e.srv, 0);
  cr_assert_not_null(r);
  cr_assert_str_eq(r->path, "/hf-inference/models/facebook/bart-large-cnn");
  cr_assert_str_eq(fake_http_request_header(r, "Authorization"), "Bearer x");
  fake_http_request_free(r);
  e2e_close(&e);
}

/* End to end: a follow-up planned offline as a dialogue reaches the Hub's chat with the
 * exchange it follows, taken from the request's messages. */
Test(executors_hf, a_follow_up_reaches_the_chat_with_the_exchange_it_follows) {
  e2e e;
  e2e_open(&e);
  fake_http_push_json(e.srv, 200,
                      "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\"About 2.1 million.\"}}]}");
  baton_request req = {BATON_REQUEST_INIT, .text = "and what about its population?", .offline = 1,
                       .messages = "[{\"role\":\"user\",\"content\":\"what is the capital of "
                                   "France?\"},{\"role\":\"assistant\",\"content\":\"Paris "
                                   "is the capital of France.\",\"outputs\":{}}]"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  baton_run_wait(run);
  const char *result = baton_run_result_json(run);
  cr_assert(result && strstr(result, "About 2.1 million."), "%s", result ? result : "(none)");
  fake_http_request *r = fake_http_request_get(e.srv, 0);
  cr_assert_not_null(r);
  cJSON *body = cJSON_Parse(r->body);
  cJSON *msgs = cJSON_GetObjectItem(body, "messages");
  cr_assert_eq(cJSON_GetArraySize(msgs), 3, "%s", r->body);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring,
                   "what is the capital of France?");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "role")->valuestring,
                   "assistant");
  cJSON_Delete(body);
  fake_http_request_free(r);
  baton_run_free(run);
  e2e_close(&e);
}

/* The health part of the Hub model's score for summarization: 0 with nothing held against it,
 * negative after failures. */
static double hub_health(e2e *e, const char *id) {
  char *json = NULL;
  cr_assert_eq(baton_models_explain(e->ctx, "summarize", "summarization", 50, &json), BATON_OK,
               "%s", baton_errmsg(e->ctx));
  cJSON *o = cJSON_Parse(json), *m;
  double got = 1.0;
  cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "candidates"))
    if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "id")), id))
      got = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "health"));
  cr_assert(got <= 0.0, "%s is no candidate: %s", id, json);
  cJSON_Delete(o);
  baton_free(json);
  return got;
}

Test(executors_hf, a_refused_input_does_not_lower_the_models_health) {
  e2e e;
  e2e_open(&e);
  fake_http_push_json(e.srv, 422, "{\"error\":\"Input is too long for this model\"}");
  char *json = NULL;
  cr_assert_eq(baton_task(e.ctx, "summarization", "{\"text\":\"Cats sleep.\"}",
                          "facebook/bart-large-cnn", NULL, &json),
               BATON_EXEC);
  cr_assert(json && strstr(json, "Input is too long for this model"), "%s", json);
  baton_free(json);
  cr_assert_float_eq(hub_health(&e, "facebook/bart-large-cnn"), 0.0, 1e-9,
                     "one user's input lowered the model's health");
  /* A model the API does not serve does count. */
  fake_http_push_json(e.srv, 404, "{\"error\":\"Model not found\"}");
  cr_assert_eq(baton_task(e.ctx, "summarization", "{\"text\":\"Cats sleep.\"}",
                          "facebook/bart-large-cnn", NULL, &json),
               BATON_EXEC);
  baton_free(json);
  cr_assert_lt(hub_health(&e, "facebook/bart-large-cnn"), 0.0);
  e2e_close(&e);
}

Test(executors_hf, baton_task_runs_an_unregistered_hub_id_remotely) {
  e2e e;
  e2e_open(&e);
  fake_http_push_json(e.srv, 200, "[[{\"label\":\"joy\",\"score\":0.91}]]");
  char *json = NULL;
  baton_rc rc = baton_task(e.ctx, "text-classification", "{\"text\":\"What a day!\"}",
                           "someone/emotion-model-v2", NULL, &json);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(e.ctx));
  cJSON *t = cJSON_Parse(json);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "outputs"), "text")->valuestring,
                   "joy (0.91)");
  cJSON_Delete(t);
  baton_free(json);
  fake_http_request *r = fake_http_request_get(e.srv, 0);
  cr_assert_not_null(r);
  cr_assert_str_eq(r->path, "/hf-inference/models/someone/emotion-model-v2");
  fake_http_request_free(r);
  e2e_close(&e);
}

Test(executors_hf, baton_task_does_not_send_a_local_id_to_the_hub) {
  e2e e;
  e2e_open(&e);
  char *json = NULL;
  baton_rc rc = baton_task(e.ctx, "summarization", "{\"text\":\"Hi there.\"}", "local/nothing",
                           NULL, &json);
  cr_assert_neq(rc, BATON_OK);
  cr_assert(strstr(baton_errmsg(e.ctx), "not in the registry"), "%s", baton_errmsg(e.ctx));
  cr_assert_eq(fake_http_request_count(e.srv), 0);
  baton_free(json);
  e2e_close(&e);
}
