/* test_llm_run.c — end to end through the public API with a fake OpenAI-compatible LLM on loopback. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"
#include "core/util.h"
#include "support/baton_env.h"
#include "support/fake_http.h"
#include "support/fake_llm.h"
#include "support/support.h"

#define SENTENCE "The train to Lyon leaves from platform four."
#define SUMMARY_TEXT "I read the sentence aloud; the recording is ready."

typedef struct events {
  pthread_mutex_t lock;
  int types[128];
  int n;
  int deltas;
  char text[2048];
} events;

static void record(void *ud, const baton_event *ev) {
  events *e = ud;
  pthread_mutex_lock(&e->lock);
  if (e->n < 128)
    e->types[e->n++] = (int)ev->type;
  if (ev->type == BATON_EVENT_SUMMARY_DELTA && ev->text) {
    e->deltas++;
    size_t have = strlen(e->text), add = strlen(ev->text);
    if (have + add < sizeof e->text)
      memcpy(e->text + have, ev->text, add + 1);
  }
  pthread_mutex_unlock(&e->lock);
}

typedef struct logs {
  pthread_mutex_t lock;
  char text[4096];
} logs;

static void on_log(void *ud, baton_log_level level, const char *msg) {
  logs *l = ud;
  (void)level;
  pthread_mutex_lock(&l->lock);
  size_t have = strlen(l->text), add = strlen(msg);
  if (have + add + 2 < sizeof l->text) {
    memcpy(l->text + have, msg, add);
    l->text[have + add] = '\n';
    l->text[have + add + 1] = '\0';
  }
  pthread_mutex_unlock(&l->lock);
}

static void push_reply(fake_http *srv, const char *content, int pt, int ct) {
  char *b = fake_llm_completion(content, pt, ct);
  fake_http_push_json(srv, 200, b);
  free(b);
}

static const char *const SUMMARY_SSE[] = {
    ": ping\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"I read the sentence \"}}]}\n\n",
    ": ping\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"aloud; the recording \"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"is ready.\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":250,\"completion_tokens\":14}}\n\n",
    "data: [DONE]\n\n",
};

static bool espeak_available(baton *ctx) {
  char *js = NULL;
  cr_assert_eq(baton_executors_json(ctx, &js), BATON_OK);
  cJSON *arr = cJSON_Parse(js);
  bool ok = false;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *name = cJSON_GetObjectItem(e, "name");
    if (cJSON_IsString(name) && strcmp(name->valuestring, "espeak-ng") == 0)
      ok = cJSON_IsTrue(cJSON_GetObjectItem(e, "available"));
  }
  cJSON_Delete(arr);
  baton_free(js);
  return ok;
}

static cJSON *usage_of(const cJSON *res) {
  return cJSON_GetObjectItemCaseSensitive(res, "usage");
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  cr_assert(cJSON_IsNumber(v), "no number %s", key);
  return v->valuedouble;
}

Test(runtime_llm_run, the_llm_plans_speech_and_streams_the_summary_with_real_usage,
     .timeout = 120) {
  bt_env e;
  bt_env_up(&e, true);
  if (!espeak_available(e.ctx)) {
    bt_env_down(&e);
    cr_skip_test("the espeak-ng executor is not available here");
  }
  push_reply(e.srv,
             "```json\n{\"tasks\": [{\"task\": \"text-to-speech\", \"id\": 0, \"dep\": [-1], "
             "\"args\": {\"text\": \"" SENTENCE "\"}}]}\n```",
             1234, 56);
  fake_http_push_sse(e.srv, SUMMARY_SSE, sizeof SUMMARY_SSE / sizeof *SUMMARY_SSE, 5);
  events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_request req = {BATON_REQUEST_INIT, .text = "Say \"" SENTENCE "\" out loud",
                       .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, record, &ev, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_not_null(res);
  cr_assert_str_eq(cJSON_GetObjectItem(res, "status")->valuestring, "done");
  const cJSON *tasks = cJSON_GetObjectItem(res, "tasks");
  cr_assert_eq(cJSON_GetArraySize(tasks), 1);
  const cJSON *t0 = cJSON_GetArrayItem(tasks, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(t0, "task")->valuestring, "text-to-speech");
  cr_assert_str_eq(cJSON_GetObjectItem(t0, "model")->valuestring, "local/espeak-ng");
  const char *wav = cJSON_GetObjectItem(cJSON_GetObjectItem(t0, "outputs"), "audio")->valuestring;
  size_t len = 0;
  char *data = bt_slurp(wav, &len);
  cr_assert(len > 44 && memcmp(data, "RIFF", 4) == 0, "%s is not a WAV file", wav);
  free(data);

  /* The answer is the fake's streamed summary, delivered as deltas. */
  cr_assert_str_eq(baton_run_summary(run), SUMMARY_TEXT);
  cr_assert_str_eq(cJSON_GetObjectItem(res, "summary")->valuestring, SUMMARY_TEXT);
  cr_assert_eq(ev.deltas, 3, "one summary.delta per streamed piece");
  cr_assert_str_eq(ev.text, SUMMARY_TEXT);
  cr_assert_eq(ev.types[ev.n - 1], BATON_EVENT_DONE);

  /* Economy: one planning call and one summary call, with the server's counts. */
  const cJSON *u = usage_of(res);
  cr_assert_eq(num(u, "llm_calls"), 2);
  cr_assert_eq(num(u, "prompt_tokens"), 1234 + 250);
  cr_assert_eq(num(u, "completion_tokens"), 56 + 14);
  cr_assert_eq(fake_http_request_count(e.srv), 2);

  /* The summary request saw the plan, the model and the output file. */
  fake_http_request *sr = fake_http_request_get(e.srv, 1);
  cr_assert(strstr(sr->body, "local/espeak-ng"), "the summary prompt names the model");
  cr_assert(strstr(sr->body, wav), "the summary prompt names the output file");
  fake_http_request_free(sr);
  fake_http_request *pr = fake_http_request_get(e.srv, 0);
  cr_assert(strstr(pr->body, "\"model\":\"fake-planner\""), "BATON_LLM_MODEL is sent");
  fake_http_request_free(pr);

  /* Replay: the recorded plan, audio and LLM answer, without calling the LLM. */
  baton_run *rep = NULL;
  cr_assert_eq(baton_run_replay(e.ctx, baton_run_id(run), NULL, NULL, &rep), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(rep), BATON_OK);
  cr_assert_str_eq(baton_run_summary(rep), SUMMARY_TEXT, "the LLM's answer as recorded");
  cJSON *rj = cJSON_Parse(baton_run_result_json(rep));
  cr_assert_eq(num(usage_of(rj), "llm_calls"), 0, "a replay calls no LLM");
  cr_assert_eq(fake_http_request_count(e.srv), 2, "no request reached the LLM");
  const char *rwav = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "tasks"), 0), "outputs"),
      "audio")->valuestring;
  size_t rlen = 0, olen = 0;
  char *rdata = bt_slurp(rwav, &rlen), *odata = bt_slurp(wav, &olen);
  cr_assert(rlen == olen && memcmp(rdata, odata, olen) == 0, "the replayed audio differs");
  free(rdata);
  free(odata);
  cJSON_Delete(rj);
  baton_run_free(rep);

  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

#define CHAT_ANSWER "Hello! Ask me to read, summarise or speak something."

/* Replies that never make a plan: prose, prose again after the repair
 * round, then the chat answer. */
static void push_no_plan(fake_http *srv) {
  push_reply(srv, "Let me think about that.", 10, 5);
  push_reply(srv, "I still cannot make a plan.", 20, 6);
  push_reply(srv, CHAT_ANSWER, 30, 7);
}

Test(runtime_llm_run, no_usable_plan_gives_a_run_without_tasks_answered_by_chat,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  logs lg = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_set_log(e.ctx, BATON_LOG_WARN, on_log, &lg);
  push_no_plan(e.srv);
  events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_request req = {BATON_REQUEST_INIT, .text = "hello there", .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, record, &ev, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cr_assert_eq(fake_http_request_count(e.srv), 3, "plan, one repair, the chat answer");
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(cJSON_GetObjectItem(res, "status")->valuestring, "done");
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 0);
  cr_assert_str_eq(baton_run_summary(run), CHAT_ANSWER);
  cr_assert_str_eq(ev.text, baton_run_summary(run));
  cr_assert_eq(ev.types[0], BATON_EVENT_PLAN);
  cr_assert_eq(ev.types[ev.n - 1], BATON_EVENT_DONE);
  const cJSON *u = usage_of(res);
  cr_assert_eq(num(u, "llm_calls"), 3);
  cr_assert_eq(num(u, "prompt_tokens"), 60);
  cr_assert_eq(num(u, "completion_tokens"), 18);
  cr_assert(strstr(lg.text, "no usable plan"), "a warning says why: %s", lg.text);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_llm_run, an_empty_plan_is_answered_by_the_summary_call, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  push_reply(e.srv, "{\"tasks\": []}", 40, 4);
  fake_http_push_sse(e.srv, SUMMARY_SSE, sizeof SUMMARY_SSE / sizeof *SUMMARY_SSE, 5);
  const char *history = "[{\"role\":\"user\",\"content\":\"my name is Ada\"},"
                        "{\"role\":\"assistant\",\"content\":\"Nice to meet you, Ada.\"}]";
  baton_request req = {BATON_REQUEST_INIT, .text = "what is my name?", .messages = history,
                       .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cr_assert_str_eq(baton_run_summary(run), SUMMARY_TEXT);
  cr_assert_eq(fake_http_request_count(e.srv), 2);
  for (size_t i = 0; i < 2; i++) {
    fake_http_request *r = fake_http_request_get(e.srv, i);
    cr_assert(strstr(r->body, "user: my name is Ada"), "request %zu lacks the history", i);
    fake_http_request_free(r);
  }
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(num(usage_of(res), "llm_calls"), 2);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_llm_run, a_failed_summary_call_falls_back_to_the_offline_summary, .timeout = 60) {
  bt_env e;
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  bt_env_up(&e, true);
  unsetenv("BATON_DEBUG_EXECUTORS");
  logs lg = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_set_log(e.ctx, BATON_LOG_WARN, on_log, &lg);
  char *js = NULL;
  cr_assert_eq(baton_models_list(e.ctx, "summarization", 0, &js), BATON_OK);
  bool have_local = strstr(js, "local/") != NULL;
  baton_free(js);
  if (!have_local) {
    bt_env_down(&e);
    cr_skip_test("no local summarization model here");
  }
  push_reply(e.srv, "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": "
                  "\"Cats sleep a lot. They sleep in the sun. Dogs bark at night. Birds sing.\"}}]",
             50, 10);
  fake_http_push_json(e.srv, 401, "{\"error\":{\"message\":\"key revoked\",\"type\":\"auth\"}}");
  events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_request req = {BATON_REQUEST_INIT, .text = "summarise: Cats sleep a lot. They sleep in the sun.",
                       .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, record, &ev, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  baton_run_wait(run);
  const char *answer = baton_run_summary(run);
  cr_assert_not_null(answer);
  cr_assert(strstr(answer, "summarization"), "the offline summary names the step: %s", answer);
  cr_assert_str_eq(ev.text, answer, "the offline answer is still delivered as a delta");
  cr_assert(strstr(lg.text, "key revoked") && strstr(lg.text, "offline summary"),
            "the fallback is logged: %s", lg.text);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(num(usage_of(res), "llm_calls"), 2, "the failed call is counted too");
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_llm_run, a_refused_key_fails_the_submit_with_a_clear_message, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  fake_http_push_json(e.srv, 401, "{\"error\":{\"message\":\"Incorrect API key provided.\","
                                "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
  baton_request req = {BATON_REQUEST_INIT, .text = "say hello", .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_LLM);
  cr_assert_null(run);
  cr_assert(strstr(baton_errmsg(e.ctx), "Incorrect API key provided"), "%s", baton_errmsg(e.ctx));
  cr_assert(strstr(baton_errmsg(e.ctx), "BATON_LLM_API_KEY"), "%s", baton_errmsg(e.ctx));

  /* offline = 1 never calls the LLM. */
  baton_request off = {BATON_REQUEST_INIT, .text = "say hello out loud", .offline = 1,
                       .input_root = e.home};
  char *plan = NULL;
  cr_assert_eq(baton_plan(e.ctx, &off, &plan), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert(strstr(plan, "text-to-speech"), "%s", plan);
  baton_free(plan);
  cr_assert_eq(fake_http_request_count(e.srv), 1);
  bt_env_down(&e);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

typedef struct submit_call {
  baton *ctx;
  const char *home;
  baton_rc rc;
  double seconds;
  char err[512]; /* baton_errmsg() of the submitting thread */
  uint64_t tag;  /* the request's interrupt_tag */
  atomic_int done;
} submit_call;

static void *submit_thread(void *arg) {
  submit_call *c = arg;
  baton_request req = {BATON_REQUEST_INIT, .text = "say hello", .input_root = c->home,
                       .interrupt_tag = c->tag};
  baton_run *run = NULL;
  double t0 = now_s();
  c->rc = baton_submit(c->ctx, &req, NULL, NULL, &run);
  c->seconds = now_s() - t0;
  snprintf(c->err, sizeof c->err, "%s", baton_errmsg(c->ctx));
  baton_run_free(run);
  atomic_store(&c->done, 1);
  return NULL;
}

Test(runtime_llm_run, interrupt_tag_stops_only_the_planning_of_its_request, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true); /* LLM timeout: the default 120 s */
  fake_http_push_hang(e.srv); /* neither planning call is ever answered */
  fake_http_push_hang(e.srv);
  submit_call mine = {.ctx = e.ctx, .home = e.home, .tag = 7};
  submit_call other = {.ctx = e.ctx, .home = e.home, .tag = 8};
  pthread_t tm, to;
  cr_assert_eq(pthread_create(&tm, NULL, submit_thread, &mine), 0);
  cr_assert_eq(pthread_create(&to, NULL, submit_thread, &other), 0);
  for (double until = now_s() + BT_WAIT_MS / 1000.0; fake_http_request_count(e.srv) < 2;
       sleep_ms(10))
    cr_assert_lt(now_s(), until, "the planning calls never reached the LLM");
  double t0 = now_s();
  baton_interrupt_tag(e.ctx, 7);
  pthread_join(tm, NULL);
  cr_assert_eq(mine.rc, BATON_CANCELLED, "submit gave %s: %s", baton_strerror(mine.rc), mine.err);
  cr_assert_lt(now_s() - t0, 10.0);
  sleep_ms(300);
  cr_assert_eq(atomic_load(&other.done), 0, "the other request's planning was stopped too: %s",
               other.err);
  baton_interrupt_tag(e.ctx, 8);
  pthread_join(to, NULL);
  cr_assert_eq(other.rc, BATON_CANCELLED, "%s", other.err);

  /* A tag interrupted before its planning begins stops that planning at once. */
  size_t asked = fake_http_request_count(e.srv);
  baton_interrupt_tag(e.ctx, 9);
  baton_interrupt_tag(e.ctx, 0); /* no tag: nothing */
  submit_call late = {.ctx = e.ctx, .home = e.home, .tag = 9};
  submit_thread(&late);
  cr_assert_eq(late.rc, BATON_CANCELLED, "%s", late.err);
  cr_assert_lt(late.seconds, 10.0);
  cr_assert_eq(fake_http_request_count(e.srv), asked, "the LLM was asked all the same");
  bt_env_down(&e);
}

Test(runtime_llm_run, interrupt_stops_an_llm_still_planning, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true); /* LLM timeout: the default 120 s */
  fake_http_push_hang(e.srv); /* the LLM never answers the planning call */

  /* Nothing is planning yet: an interrupt now is a no-op for later calls. */
  baton_interrupt(e.ctx);
  baton_interrupt(NULL);

  submit_call c = {.ctx = e.ctx, .home = e.home, .rc = BATON_OK};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, submit_thread, &c), 0);
  for (double until = now_s() + BT_WAIT_MS / 1000.0; fake_http_request_count(e.srv) < 1;
       sleep_ms(10))
    cr_assert_lt(now_s(), until, "the planning call never reached the LLM");
  sleep_ms(100);
  double t0 = now_s();
  baton_interrupt(e.ctx);
  pthread_join(t, NULL);
  double after = now_s() - t0;
  cr_assert_eq(c.rc, BATON_CANCELLED, "submit gave %s: %s", baton_strerror(c.rc), c.err);
  cr_assert(strstr(c.err, "cancelled"), "%s", c.err);
  cr_assert_lt(after, 10.0, "the interrupt took %.2f s to stop the planning call", after);

  /* The context plans again afterwards. */
  push_reply(e.srv, "[]", 10, 1);
  fake_http_push_json(e.srv, 200, "{\"choices\":[{\"message\":{\"role\":\"assistant\","
                                  "\"content\":\"Hello!\"}}]}");
  char *plan = NULL;
  baton_request req = {BATON_REQUEST_INIT, .text = "say hello", .input_root = e.home};
  cr_assert_eq(baton_plan(e.ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(e.ctx));
  baton_free(plan);
  bt_env_down(&e);
}

Test(runtime_llm_run, plan_answer_returns_the_llms_direct_answer, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  push_no_plan(e.srv);
  baton_request req = {BATON_REQUEST_INIT, .text = "hello there", .input_root = e.home};
  char *plan = NULL, *answer = NULL;
  cr_assert_eq(baton_plan_answer(e.ctx, &req, &plan, &answer), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  cr_assert_str_eq(plan, "[]");
  cr_assert_not_null(answer);
  cr_assert_str_eq(answer, CHAT_ANSWER);
  baton_free(plan);
  baton_free(answer);

  /* A real plan comes with no answer; baton_plan() is the same call without it. */
  push_reply(e.srv, "[{\"task\": \"text-to-speech\", \"id\": 0, \"dep\": [-1], "
                    "\"args\": {\"text\": \"hello\"}}]",
             10, 5);
  cr_assert_eq(baton_plan_answer(e.ctx, &req, &plan, &answer), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  cr_assert(strstr(plan, "text-to-speech"), "%s", plan);
  cr_assert_null(answer);
  baton_free(plan);
  bt_env_down(&e);
}

/* An LLM plan gives image-to-text the picture alone: the run adds the mode the request asks for
 * (reading the sign), and none when it says neither (a caption, as before). */
Test(runtime_llm_run, an_llm_planned_picture_step_reads_when_the_request_asks_to_read,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  static const struct {
    const char *request, *mode;
  } cases[] = {{"OCR sign.png", "\"mode\":\"read\""}, {"look at sign.png", NULL}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    push_reply(e.srv, "{\"tasks\": [{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], "
                      "\"args\": {\"image\": \"sign.png\"}}]}",
               10, 5);
    baton_request req = {BATON_REQUEST_INIT, .text = cases[i].request, .input_root = e.home};
    char *plan = NULL;
    cr_assert_eq(baton_plan(e.ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(e.ctx));
    cr_assert(strstr(plan, "\"image\":\"sign.png\""), "%s", plan);
    if (cases[i].mode)
      cr_assert(strstr(plan, cases[i].mode), "%s: %s", cases[i].request, plan);
    else
      cr_assert_null(strstr(plan, "\"mode\""), "%s: %s", cases[i].request, plan);
    baton_free(plan);
  }
  bt_env_down(&e);
}

/* A model that joins subtitles' cues into one paragraph is asked again for each cue alone; the
 * answers go back between the same numbers and times. */
Test(runtime_llm_run, cues_a_model_joined_are_asked_one_by_one, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  push_reply(e.srv, "hola amigo adiós", 10, 5); /* both cues in one paragraph */
  push_reply(e.srv, "hola amigo", 10, 3);
  push_reply(e.srv, "adiós", 10, 2);
  push_reply(e.srv, "I translated the subtitles.", 10, 5); /* the summary */
  const char *plan = "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],"
                     "\"model\":\"llm/translation\",\"args\":{\"text\":\"1\\n00:00:01,000 --> 00:00:02,000\\nhello\\nfriend\\n\\n"
                     "2\\n00:00:02,000 --> 00:00:03,000\\ngoodbye\\n\",\"tgt_lang\":\"es\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  const cJSON *outs = cJSON_GetObjectItem(task, "outputs");
  const cJSON *text = cJSON_GetObjectItem(outs, "text"), *file = cJSON_GetObjectItem(outs, "file");
  cr_assert(cJSON_IsString(text) && cJSON_IsString(file), "%s", baton_run_result_json(run));
  cr_assert_str_eq(text->valuestring, "1\n00:00:01,000 --> 00:00:02,000\nhola amigo\n\n"
                                      "2\n00:00:02,000 --> 00:00:03,000\nadiós\n");
  char *kept = bt_slurp(file->valuestring, NULL);
  cr_assert_str_eq(kept, text->valuestring);
  free(kept);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

/* More cues than are asked one by one (500) fail the step after the one joined answer, before any
 * call for a single cue. */
Test(runtime_llm_run, too_many_joined_cues_fail_before_asking_one_by_one, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  push_reply(e.srv, "todo en uno", 10, 5);        /* 501 cues in one paragraph */
  push_reply(e.srv, "The step failed.", 10, 5); /* the summary */
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],"
                      "\"model\":\"llm/translation\",\"args\":{\"tgt_lang\":\"es\",\"text\":\"");
  for (int i = 1; i <= 501; i++)
    baton__sb_addf(&sb, "%d\\n00:00:01,000 --> 00:00:02,000\\nhello %d\\n\\n", i, i);
  baton__sb_adds(&sb, "\"}}]");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = sb.buf, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  baton_run_wait(run);
  cr_assert(strstr(baton_run_summary(run), "the 501 cues are more than 500 to translate one "
                                            "by one"),
            "%s", baton_run_summary(run));
  cr_assert_leq(fake_http_request_count(e.srv), 2u, "one translation call (and the summary's)");
  baton_run_free(run);
  baton__sb_release(&sb);
  bt_env_down(&e);
}

/* Subtitles of three cues, "hello friend", "goodbye" and "thanks", to put into Spanish. */
#define THREE_CUES_PLAN(candidates)                                                           \
  "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"model\":\"llm/translation\","          \
  "\"candidates\":" candidates ",\"args\":{\"tgt_lang\":\"es\",\"text\":\""                   \
  "1\\n00:00:01,000 --> 00:00:02,000\\nhello friend\\n\\n"                                    \
  "2\\n00:00:02,000 --> 00:00:03,000\\ngoodbye\\n\\n"                                         \
  "3\\n00:00:03,000 --> 00:00:04,000\\nthanks\\n\"}}]"

/* A run cancelled (ud, set atomically once submitted) when it says it asks cue by cue. */
static void cancel_on_cue_by_cue(void *ud, baton_log_level level, const char *msg) {
  (void)level;
  if (!strstr(msg, "cue by cue"))
    return;
  baton_run *run = NULL;
  for (long until = bt_now_ms() + BT_WAIT_MS;
       !(run = __atomic_load_n((baton_run **)ud, __ATOMIC_SEQ_CST)) && bt_now_ms() < until;)
    bt_nap_ms(5);
  baton_run_cancel(run);
}

/* A run cancelled once the cues are to be asked one by one asks for none of them, and its task
 * ends cancelled, as a cancel during any other call leaves it. */
Test(runtime_llm_run, a_cancel_stops_asking_cue_by_cue_and_the_task_ends_cancelled,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  baton_run *run = NULL;
  baton_set_log(e.ctx, BATON_LOG_INFO, cancel_on_cue_by_cue, &run);
  push_reply(e.srv, "hola amigo adiós gracias", 10, 5); /* the cues joined */
  for (int i = 0; i < 3; i++)
    push_reply(e.srv, "uno", 10, 2);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = THREE_CUES_PLAN("[]"),
                       .input_root = e.home};
  baton_run *submitted = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &submitted), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  __atomic_store_n(&run, submitted, __ATOMIC_SEQ_CST);
  cr_assert_eq(baton_run_wait(run), BATON_CANCELLED, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(task, "status")->valuestring, "cancelled", "%s",
                   baton_run_result_json(run));
  cr_assert_str_eq(cJSON_GetObjectItem(task, "error")->valuestring, "cancelled");
  cr_assert_eq(fake_http_request_count(e.srv), 1u, "the joined answer only, no cue alone");
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

/* Opens e again with a second server (srv) declaring the translation model "qwen-es". */
static void reopen_with_second_model(bt_env *e, fake_http *srv) {
  char *config = baton__path_join(e->home, "config.yaml"), yaml[1200];
  snprintf(yaml, sizeof yaml,
           "prompts_dir: %s/prompts\nendpoints:\n  - name: second\n    base_url: %s/v1\n"
           "    models:\n      - {id: qwen-es, tasks: [translation]}\n",
           BATON_TEST_SOURCE_DIR, fake_http_url(srv));
  bt_write(config, yaml);
  bt_env_reopen(e, config);
  free(config);
}

/* The cues asked one by one of the LLM, one answer split in two paragraphs: they cannot go back. */
static void push_split_cues(fake_http *srv) {
  push_reply(srv, "hola amigo adiós gracias", 10, 5);
  push_reply(srv, "hola\n\namigo", 10, 3);
  push_reply(srv, "adiós", 10, 2);
  push_reply(srv, "gracias", 10, 2);
}

/* A model whose answer cannot go back into the subtitles even cue by cue leaves the task to the
 * next candidate model; when none can, the task fails with the last one's error. */
Test(runtime_llm_run, cues_no_model_keeps_go_to_the_next_candidate, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  fake_http *second = fake_http_start();
  cr_assert_not_null(second);
  reopen_with_second_model(&e, second);
  push_split_cues(e.srv);
  push_reply(second, "hola amigo\n\nadiós\n\ngracias", 10, 5);
  push_reply(e.srv, "I translated the subtitles.", 10, 5); /* the summary */
  baton_request req = {BATON_REQUEST_INIT, .plan_json = THREE_CUES_PLAN("[\"qwen-es\"]"),
                       .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(task, "model")->valuestring, "qwen-es");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(task, "outputs"), "text")->valuestring,
                   "1\n00:00:01,000 --> 00:00:02,000\nhola amigo\n\n"
                   "2\n00:00:02,000 --> 00:00:03,000\nadiós\n\n"
                   "3\n00:00:03,000 --> 00:00:04,000\ngracias\n");
  cr_assert_eq(fake_http_request_count(second), 1u, "the second model kept the paragraphs");
  cJSON_Delete(res);
  baton_run_free(run);

  /* Neither keeps them: failed, saying which model failed last. */
  push_split_cues(e.srv);
  push_split_cues(second);
  push_reply(e.srv, "The step failed.", 10, 5); /* the summary */
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_EXEC, "%s", baton_run_summary(run));
  res = cJSON_Parse(baton_run_result_json(run));
  task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(task, "status")->valuestring, "failed");
  const char *error = cJSON_GetObjectItem(task, "error")->valuestring;
  cr_assert(!strncmp(error, "qwen-es: the subtitles could not be put back together", 53), "%s",
            error);
  cr_assert_eq(fake_http_request_count(second), 5u, "the second model was asked cue by cue");
  cJSON_Delete(res);
  baton_run_free(run);
  fake_http_stop(second);
  bt_env_down(&e);
}

