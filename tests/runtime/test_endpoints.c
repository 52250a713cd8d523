/* test_endpoints.c — model servers end to end through the public API: planned and single tasks on fake servers, the endpoint that answered, health seen by another context, models sync suggestions, keys never stored. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "core/util.h"
#include "planner/taskgraph.h"
#include "runtime/run_int.h"
#include "support/fake_llm.h"
#include "support/fake_models.h"
#include "support/support.h"
#include "core/banned.h"

#define KEY_VISION "sk-vision-secret-1234"
#define KEY_TTS "sk-tts-secret-5678"
#define KEY_TEXT "sk-text-secret-9012"

/* The servers, one per kind of work, and what each declares. */
enum { S_VISION, S_TTS, S_ASR, S_SD, S_EMBED, S_TEXT, N_SERVERS };

static const struct {
  const char *name;
  fm_kind kind;
  const char *model;
  const char *tasks;
  const char *key_env;
} servers[N_SERVERS] = {
    {"vision", FM_OLLAMA, "llava", "[image-to-text, visual-question-answering, "
     "document-question-answering, image-classification, object-detection, "
     "tabular-classification]", "BT_KEY_VISION"},
    {"tts", FM_KOKORO, "kokoro", "[text-to-speech]", "BT_KEY_TTS"},
    {"asr", FM_WHISPERCPP, "whisper-1", "[automatic-speech-recognition]", NULL},
    {"sd", FM_SDCPP, "sd-cpp-local", "[text-to-image, image-to-image, image-editing]", NULL},
    {"embed", FM_TEI, "bge-small", "[sentence-similarity, feature-extraction]", NULL},
    {"text", FM_LLAMACPP, "qwen2.5", "[summarization, translation, question-answering, "
     "text-classification, token-classification, zero-shot-classification, "
     "text2text-generation, text-generation, conversational, fill-mask, "
     "table-question-answering, audio-classification]", "BT_KEY_TEXT"},
};

typedef struct fixture {
  char *dir, *home, *config;
  fake_models *fm[N_SERVERS];
  baton *ctx;
} fixture;

static void fx_config(fixture *f, bool with_servers) {
  baton__sb y;
  baton__sb_init(&y);
  baton__sb_addf(&y, "home: %s\nprompts_dir: %s/prompts\n", f->home, BATON_TEST_SOURCE_DIR);
  if (with_servers) {
    baton__sb_adds(&y, "endpoints:\n");
    for (int i = 0; i < N_SERVERS; i++) {
      baton__sb_addf(&y, "  - name: %s\n    base_url: %s\n", servers[i].name,
                     fm_base(f->fm[i]));
      if (servers[i].key_env)
        baton__sb_addf(&y, "    api_key_env: %s\n", servers[i].key_env);
      baton__sb_addf(&y, "    models:\n      - {id: %s, tasks: %s}\n", servers[i].model,
                     servers[i].tasks);
    }
  }
  bt_write(f->config, y.buf);
  baton__sb_release(&y);
}

static baton *fx_ctx(fixture *f) {
  baton *ctx = NULL;
  baton_rc rc = baton_open(f->config, &ctx);
  cr_assert_eq(rc, BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  return ctx;
}

static void fx_open(fixture *f, bool with_servers) {
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->home = baton__path_join(f->dir, "home");
  f->config = baton__path_join(f->dir, "config.yaml");
  static const char *const unset[] = {"BATON_HOME", "BATON_LLM_BASE_URL", "OPENAI_BASE_URL",
                                      "BATON_LLM_API_KEY", "OPENAI_API_KEY", "HF_TOKEN",
                                      "BATON_CONFIG", "http_proxy", "HTTP_PROXY"};
  for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
    unsetenv(unset[i]);
  setenv("BT_KEY_VISION", KEY_VISION, 1);
  setenv("BT_KEY_TTS", KEY_TTS, 1);
  setenv("BT_KEY_TEXT", KEY_TEXT, 1);
  for (int i = 0; with_servers && i < N_SERVERS; i++)
    cr_assert_not_null(f->fm[i] = fm_start(servers[i].kind));
  fx_config(f, with_servers);
  f->ctx = fx_ctx(f);
}

static void fx_close(fixture *f) {
  baton_close(f->ctx);
  for (int i = 0; i < N_SERVERS; i++)
    fm_stop(f->fm[i]);
  bt_rmtree(f->dir);
  free(f->dir);
  free(f->home);
  free(f->config);
}

static char *photo(fixture *f) {
  char *p = baton__path_join(f->dir, "photo.jpg");
  FILE *fp = fopen(p, "wb");
  cr_assert_not_null(fp);
  fwrite(fm_png, 1, fm_png_len, fp); /* a PNG under a .jpg name, as people do */
  fclose(fp);
  return p;
}

static const cJSON *task_of(const cJSON *result, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(result, "tasks"), i);
}

static const char *jstr(const cJSON *o, const char *k) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
  return s ? s : "";
}

/* The system message of the vision server's last chat request; caller frees. */
static char *vision_prompt(fixture *f) {
  fake_http *h = fm_http(f->fm[S_VISION]);
  size_t n = fake_http_request_count(h);
  cr_assert_gt(n, 0);
  fake_http_request *r = fake_http_request_get(h, n - 1);
  cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
  const cJSON *sys = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "messages"), 0);
  char *s = baton__strdup(jstr(sys, "content"));
  cJSON_Delete(j);
  fake_http_request_free(r);
  return s;
}

Test(runtime_endpoints, describe_and_read_aloud_goes_to_the_vision_then_the_tts_server) {
  fixture f;
  fx_open(&f, true);
  fm_set_answer(f.fm[S_VISION], "A red fox sitting in the snow.");
  char *p = photo(&f);
  baton_request req = {BATON_REQUEST_INIT, .text = "describe photo.jpg and read the description aloud",
                       .input_root = f.dir, .offline = 1};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(f.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *r = cJSON_Parse(baton_run_result_json(run));
  const cJSON *cap = task_of(r, 0), *tts = task_of(r, 1);
  cr_assert_str_eq(jstr(cap, "task"), "image-to-text");
  cr_assert_str_eq(jstr(cap, "model"), "llava");
  cr_assert_str_eq(jstr(cap, "endpoint"), "vision");
  cr_assert_str_eq(jstr(tts, "task"), "text-to-speech");
  cr_assert_str_eq(jstr(tts, "model"), "kokoro");
  cr_assert_str_eq(jstr(tts, "endpoint"), "tts");
  /* The speech server was asked to say the caption. */
  fake_http_request *sp = fake_http_request_get(fm_http(f.fm[S_TTS]), 0);
  cr_assert_not_null(sp);
  cr_assert(strstr(sp->body, "\"input\":\"A red fox sitting in the snow.\""), "%s", sp->body);
  fake_http_request_free(sp);
  char *sys = vision_prompt(&f); /* a caption, though "read ... aloud" is said */
  cr_assert(strstr(sys, "as a caption") && !strstr(sys, "Transcribe"), "%s", sys);
  free(sys);
  const char *audio = jstr(cJSON_GetObjectItemCaseSensitive(tts, "outputs"), "audio");
  size_t len = 0;
  char *wav = bt_slurp(audio, &len);
  cr_assert_eq(memcmp(wav, "RIFF", 4), 0);
  free(wav);
  cJSON_Delete(r);
  baton_run_free(run);
  free(p);
  fx_close(&f);
}

/* With a vision model declared, reading the words on a picture (OCR, "what does it say?") has
 * the model transcribe them; describing a photo has it write a caption. */
Test(runtime_endpoints, a_vision_model_reads_a_sign_when_asked_to_and_captions_a_photo_otherwise) {
  fixture f;
  fx_open(&f, true);
  char *p = photo(&f);
  static const struct {
    const char *request, *mode, *prompt;
  } cases[] = {
      {"OCR photo.jpg", "read", "Transcribe the text written in this image exactly"},
      {"read the text in photo.jpg", "read", "Transcribe the text written in this image exactly"},
      {"what does photo.jpg say?", "read", "Transcribe the text written in this image exactly"},
      {"caption photo.jpg", "describe", "as a caption"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fm_set_answer(f.fm[S_VISION], "EXIT ONLY");
    baton_request req = {BATON_REQUEST_INIT, .text = cases[i].request, .input_root = f.dir,
                         .offline = 1};
    baton_run *run = NULL;
    cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
                 baton_errmsg(f.ctx));
    cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
    cJSON *r = cJSON_Parse(baton_run_result_json(run));
    const cJSON *plan = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "plan"), 0);
    cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(plan, "args"), "mode"),
                     cases[i].mode, "%s", cases[i].request);
    const cJSON *t = task_of(r, 0);
    cr_assert_str_eq(jstr(t, "model"), "llava", "%s", cases[i].request);
    cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(t, "outputs"), "text"), "EXIT ONLY");
    char *sys = vision_prompt(&f);
    cr_assert(strstr(sys, cases[i].prompt), "%s: %s", cases[i].request, sys);
    free(sys);
    cJSON_Delete(r);
    baton_run_free(run);
  }
  free(p);
  fx_close(&f);
}

/* Each image-to-text step is judged on its own words when the plan carries them (the offline
 * planner's step): describing one picture and reading the text on another of one request give
 * the steps different modes, not the mode the whole request's first cue says. */
Test(runtime_endpoints, two_pictures_of_one_request_get_each_its_own_steps_mode) {
  fixture f;
  fx_open(&f, true);
  static const char plan[] =
      "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"photo.jpg\"}},"
      "{\"task\":\"image-to-text\",\"id\":1,\"dep\":[-1],\"args\":{\"image\":\"sign.png\"}}]";
  baton__graph g = {0};
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(plan, sizeof plan - 1, 8, &g, err, sizeof err), 0, "%s", err);
  g.tasks[0].words = baton__strdup("describe photo.jpg");
  g.tasks[1].words = baton__strdup("read the text on sign.png");
  cr_assert_eq(baton__run_assign_models(f.ctx, &g,
                                        "describe photo.jpg and read the text on sign.png"),
               BATON_OK, "%s", baton_errmsg(f.ctx));
  cr_assert_str_eq(baton__task_literal(&g.tasks[0], "mode"), "describe");
  cr_assert_str_eq(baton__task_literal(&g.tasks[1], "mode"), "read");
  cr_assert_str_eq(g.tasks[0].model, "llava");
  cr_assert_str_eq(g.tasks[1].model, "llava");
  baton__graph_release(&g);
  fx_close(&f);
}

/* End to end: the offline planner gives each step its words, and the vision model is sent a
 * caption prompt for the picture to describe and a transcription prompt for the one to read. */
Test(runtime_endpoints, describing_one_picture_and_reading_another_sends_two_prompts) {
  fixture f;
  fx_open(&f, true);
  char *p = photo(&f), *sign = baton__path_join(f.dir, "sign.png");
  bt_write(sign, "not read: the fake server answers whatever the picture");
  baton_request req = {BATON_REQUEST_INIT, .text = "describe photo.jpg and read the text on sign.png",
                       .input_root = f.dir, .offline = 1};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(f.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *r = cJSON_Parse(baton_run_result_json(run));
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(r, "plan"), *t;
  cr_assert_eq(cJSON_GetArraySize(plan), 2, "%s", baton_run_result_json(run));
  cJSON_ArrayForEach(t, plan) {
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(t, "args");
    bool is_sign = strstr(jstr(args, "image"), "sign.png") != NULL;
    cr_assert_str_eq(jstr(args, "mode"), is_sign ? "read" : "describe", "%s",
                     baton_run_result_json(run));
  }
  fake_http *h = fm_http(f.fm[S_VISION]);
  cr_assert_eq(fake_http_request_count(h), 2);
  int captions = 0, transcriptions = 0;
  for (size_t i = 0; i < 2; i++) {
    fake_http_request *q = fake_http_request_get(h, i);
    captions += strstr(q->body, "as a caption") != NULL;
    transcriptions += strstr(q->body, "Transcribe the text written in this image exactly") != NULL;
    fake_http_request_free(q);
  }
  cr_assert(captions == 1 && transcriptions == 1, "captions %d, transcriptions %d", captions,
            transcriptions);
  cJSON_Delete(r);
  baton_run_free(run);
  free(sign);
  free(p);
  fx_close(&f);
}

Test(runtime_endpoints, describing_a_photo_with_only_ocr_stops_before_anything_runs) {
  fixture f;
  fx_open(&f, false);
  char *p = photo(&f);
  baton_request req = {BATON_REQUEST_INIT, .text = "describe photo.jpg and read the description aloud",
                       .input_root = f.dir, .offline = 1};
  char *plan = NULL;
  cr_assert_eq(baton_plan(f.ctx, &req, &plan), BATON_OK);
  cJSON *j = cJSON_Parse(plan);
  const cJSON *t0 = cJSON_GetArrayItem(j, 0);
  cr_assert_str_eq(jstr(t0, "task"), "image-to-text");
  cr_assert_null(cJSON_GetObjectItemCaseSensitive(t0, "model"), "%s", plan);
  const char *why = jstr(cJSON_GetObjectItemCaseSensitive(t0, "choice"), "reason");
  cr_assert(strstr(why, "captioning") && strstr(why, "endpoints:"), "%s", why);
  cJSON_Delete(j);
  baton_free(plan);
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_NOTFOUND);
  cr_assert(strstr(baton_errmsg(f.ctx), "nothing ran: step 0 (image-to-text)"), "%s",
            baton_errmsg(f.ctx));
  /* Reading the text of a sign may still use OCR. */
  baton_request read = {BATON_REQUEST_INIT, .text = "read the text on photo.jpg", .input_root = f.dir, .offline = 1};
  cr_assert_eq(baton_plan(f.ctx, &read, &plan), BATON_OK);
  cr_assert(strstr(plan, "local/tesseract"), "%s", plan);
  baton_free(plan);
  free(p);
  fx_close(&f);
}

/* The step of task i of a plan's JSON: its mode, model ("" for none) and words. */
static void step_of(const cJSON *plan, int i, const char **mode, const char **model,
                    const char **words) {
  const cJSON *t = cJSON_GetArrayItem(plan, i);
  *mode = jstr(cJSON_GetObjectItemCaseSensitive(t, "args"), "mode");
  *model = jstr(t, "model");
  *words = jstr(t, "words");
}

/* A plan sent back (baton plan --json, then run --plan or submit's plan) carries each step's
 * words, so its steps get the models and modes planning gave them: describing the photo still
 * needs a captioner, never the OCR engine that reads the sign. */
Test(runtime_endpoints, a_plan_sent_back_gets_each_steps_model_and_mode_as_planning_did) {
  fixture f;
  fx_open(&f, false);
  char *p = photo(&f), *sign = baton__path_join(f.dir, "sign.png");
  bt_write(sign, "a sign");
  baton_request req = {BATON_REQUEST_INIT, .text = "describe photo.jpg and read the text on "
                       "sign.png", .input_root = f.dir, .offline = 1};
  char *direct = NULL, *again = NULL;
  cr_assert_eq(baton_plan(f.ctx, &req, &direct), BATON_OK, "%s", baton_errmsg(f.ctx));
  baton_request back = {BATON_REQUEST_INIT, .plan_json = direct, .input_root = f.dir};
  cr_assert_eq(baton_plan(f.ctx, &back, &again), BATON_OK, "%s", baton_errmsg(f.ctx));
  cJSON *a = cJSON_Parse(direct), *b = cJSON_Parse(again);
  cr_assert_eq(cJSON_GetArraySize(a), 2, "%s", direct);
  cr_assert_eq(cJSON_GetArraySize(b), 2, "%s", again);
  for (int i = 0; i < 2; i++) {
    const char *mode_a, *model_a, *words_a, *mode_b, *model_b, *words_b;
    step_of(a, i, &mode_a, &model_a, &words_a);
    step_of(b, i, &mode_b, &model_b, &words_b);
    cr_assert_str_eq(mode_a, i == 0 ? "describe" : "read", "%s", direct);
    cr_assert_str_eq(model_a, i == 0 ? "" : "local/tesseract", "%s", direct);
    cr_assert_str_eq(mode_b, mode_a, "step %d sent back: %s", i, again);
    cr_assert_str_eq(model_b, model_a, "step %d sent back: %s", i, again);
    cr_assert(strstr(words_a, i == 0 ? "describe" : "read") &&
                  !strstr(words_a, i == 0 ? "read" : "describe"), "%s", direct);
    cr_assert_str_eq(words_b, words_a, "step %d sent back: %s", i, again);
  }
  /* run as planning would: refused before anything runs, step 0 wanting a captioner */
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &back, NULL, NULL, &run), BATON_NOTFOUND, "%s",
               run ? baton_run_result_json(run) : "");
  cr_assert(strstr(baton_errmsg(f.ctx), "nothing ran: step 0 (image-to-text)") &&
                strstr(baton_errmsg(f.ctx), "captioning"), "%s", baton_errmsg(f.ctx));
  cJSON_Delete(a);
  cJSON_Delete(b);
  baton_free(direct);
  baton_free(again);
  free(sign);
  free(p);
  fx_close(&f);
}

Test(runtime_endpoints, kinds_no_model_server_serves_are_said_before_anything_runs) {
  fixture f;
  fx_open(&f, false);
  f.fm[0] = fm_start(FM_OLLAMA);
  char y[1200];
  snprintf(y, sizeof y,
           "home: %s\nprompts_dir: %s/prompts\nendpoints:\n  - name: vision\n    base_url: %s\n"
           "    models:\n      - {id: llava, tasks: [image-to-text, depth-estimation, "
           "image-segmentation, text-to-video]}\n",
           f.home, BATON_TEST_SOURCE_DIR, fm_base(f.fm[0]));
  bt_write(f.config, y);
  baton_close(f.ctx);
  f.ctx = fx_ctx(&f);
  char *json = NULL;
  cr_assert_eq(baton_endpoints(f.ctx, &json), BATON_OK);
  cJSON *eps = cJSON_Parse(json);
  const cJSON *m0 = cJSON_GetArrayItem(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(eps, 0), "models"), 0);
  const cJSON *un = cJSON_GetObjectItemCaseSensitive(m0, "unserved");
  cr_assert_eq(cJSON_GetArraySize(un), 3, "%s", json);
  cr_assert_str_eq(jstr(cJSON_GetArrayItem(un, 0), "task"), "depth-estimation");
  cr_assert(strstr(jstr(cJSON_GetArrayItem(un, 0), "why"), "no OpenAI-compatible endpoint"),
            "%s", json);
  cJSON_Delete(eps);
  baton_free(json);
  /* Planned: the step has no model, and the reason names the declaration. */
  char *p = photo(&f);
  baton_request req = {BATON_REQUEST_INIT, .input_root = f.dir, .offline = 1,
                       .plan_json = "[{\"task\":\"depth-estimation\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"image\":\"photo.jpg\"}}]"};
  char *plan = NULL;
  cr_assert_eq(baton_plan(f.ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(f.ctx));
  cJSON *j = cJSON_Parse(plan);
  const cJSON *t0 = cJSON_GetArrayItem(j, 0);
  cr_assert_null(cJSON_GetObjectItemCaseSensitive(t0, "model"), "%s", plan);
  const char *why = jstr(cJSON_GetObjectItemCaseSensitive(t0, "choice"), "reason");
  cr_assert(strstr(why, "llava on endpoint vision declares it, but no OpenAI-compatible "
                        "endpoint returns depth maps"),
            "%s", why);
  cJSON_Delete(j);
  baton_free(plan);
  baton_run *run = NULL;
  cr_assert_neq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 0, "nothing was sent");
  /* Asked for by model: the executor says why. */
  baton_rc rc = baton_task(f.ctx, "text-to-video", "{\"text\":\"a fox\"}", "llava", f.dir, &json);
  cr_assert_neq(rc, BATON_OK);
  const char *msg = json ? json : baton_errmsg(f.ctx);
  cr_assert(strstr(msg, "no OpenAI-compatible endpoint returns video"), "%s", msg);
  baton_free(json);
  free(p);
  fx_close(&f);
}

/* The planner's fake LLM: the plan first, then a summary. */
static void plan_then_summary(const fake_http_request *req, fake_http_response *resp, void *ud) {
  int *calls = ud;
  (void)req;
  const char *content = __atomic_fetch_add(calls, 1, __ATOMIC_SEQ_CST) == 0
                            ? "[{\"task\": \"debug-echo\", \"id\": 0, \"dep\": [-1], "
                              "\"args\": {\"text\": \"planned on b\"}}]"
                            : "Done.";
  resp->body = fake_llm_completion(content, 5, 5);
  resp->free_body = true;
}

Test(runtime_endpoints, the_planner_llm_on_an_endpoint_fails_over_to_a_replica) {
  fixture f;
  fx_open(&f, false);
  fake_http *gone = fake_http_start(), *b = fake_http_start();
  cr_assert(gone && b);
  char dead[128];
  snprintf(dead, sizeof dead, "%s/v1", fake_http_url(gone));
  fake_http_stop(gone); /* a: nothing listens there any more */
  int calls = 0;
  fake_http_set_handler(b, plan_then_summary, &calls);
  char y[1500];
  snprintf(y, sizeof y,
           "home: %s\nprompts_dir: %s/prompts\nendpoints:\n"
           "  - name: a\n    base_url: %s\n    api_key_env: BT_KEY_TEXT\n"
           "    models:\n      - {id: planner-llm, tasks: [summarization]}\n"
           "  - name: b\n    base_url: %s/v1\n    api_key_env: BT_KEY_TTS\n"
           "    models:\n      - {id: planner-llm, tasks: [summarization]}\n"
           "llm:\n  endpoint: a\n  model: planner-llm\n",
           f.home, BATON_TEST_SOURCE_DIR, dead, fake_http_url(b));
  bt_write(f.config, y);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  baton_close(f.ctx);
  f.ctx = fx_ctx(&f);
  baton_request req = {BATON_REQUEST_INIT, .text = "echo something", .input_root = f.dir};
  char *plan = NULL;
  cr_assert_eq(baton_plan(f.ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(f.ctx));
  cr_assert(strstr(plan, "planned on b"), "%s", plan);
  baton_free(plan);
  fake_http_request *r = fake_http_request_get(b, 0);
  cr_assert_not_null(r);
  cr_assert_str_eq(r->path, "/v1/chat/completions");
  char bearer[64];
  snprintf(bearer, sizeof bearer, "Bearer %s", KEY_TTS);
  cr_assert_str_eq(fake_http_request_header(r, "Authorization"), bearer,
                   "b is sent its own key, not a's");
  fake_http_request_free(r);
  /* The refused replica is down in `baton endpoints`. */
  char *json = NULL;
  cr_assert_eq(baton_endpoints(f.ctx, &json), BATON_OK);
  cJSON *eps = cJSON_Parse(json);
  cr_assert_str_eq(jstr(cJSON_GetArrayItem(eps, 0), "health"), "down", "%s", json);
  cJSON_Delete(eps);
  baton_free(json);
  unsetenv("BATON_DEBUG_EXECUTORS");
  fx_close(&f);
  fake_http_stop(b);
}

/* One task's arguments for each kind the servers serve, and what the chat
 * model answers when its system prompt holds the marker. */
static const struct {
  const char *task;
  const char *args;
  const char *marker;
  const char *answer;
} kinds[] = {
    {"summarization", "{\"text\":\"A long text.\"}", "Summarise", "Short."},
    {"translation", "{\"text\":\"good morning\",\"tgt_lang\":\"fr\"}", "You translate", "Bonjour"},
    {"text-generation", "{\"text\":\"Once upon\"}", NULL, NULL},
    {"text2text-generation", "{\"text\":\"fix: teh cat\"}", NULL, NULL},
    {"conversational", "{\"text\":\"hi\"}", NULL, NULL},
    {"question-answering", "{\"question\":\"who?\",\"context\":\"Ana did.\"}",
     "from the context only", "{\"answer\":\"Ana\",\"score\":0.9}"},
    {"text-classification", "{\"text\":\"great\"}", "Classify the user's text",
     "{\"labels\":[{\"label\":\"POSITIVE\",\"score\":0.9}]}"},
    {"token-classification", "{\"text\":\"Ana is here\"}", "named entities",
     "{\"entities\":[{\"word\":\"Ana\",\"entity_group\":\"PER\",\"score\":0.9}]}"},
    {"table-question-answering", "{\"query\":\"how many?\",\"table\":\"{\\\"n\\\":[\\\"3\\\"]}\"}",
     "from the table only", "{\"answer\":\"3\",\"cells\":[\"3\"],\"score\":0.9}"},
    {"sentence-similarity", "{\"text\":\"abc\",\"sentences\":\"[\\\"abd\\\"]\"}", NULL, NULL},
    {"image-to-text", "{\"image\":\"photo.jpg\"}", NULL, NULL},
    {"visual-question-answering", "{\"image\":\"photo.jpg\",\"question\":\"what?\"}",
     "question about the picture", "{\"answer\":\"a fox\",\"score\":0.8}"},
    {"document-question-answering", "{\"image\":\"photo.jpg\",\"question\":\"total?\"}",
     "is a document", "{\"answer\":\"12\",\"score\":0.8}"},
    {"image-classification", "{\"image\":\"photo.jpg\"}", "Classify the picture",
     "{\"labels\":[{\"label\":\"fox\",\"score\":0.9}]}"},
    {"object-detection", "{\"image\":\"photo.jpg\"}", "Find the objects",
     "{\"objects\":[{\"label\":\"fox\",\"score\":0.9,\"box\":{\"xmin\":0,\"ymin\":0,\"xmax\":1,\"ymax\":1}}]}"},
    {"tabular-classification", "{\"image\":\"photo.jpg\"}", "shows a table",
     "{\"labels\":[{\"label\":\"yes\",\"score\":0.9}]}"},
    {"text-to-image", "{\"text\":\"a red fox\"}", NULL, NULL},
    {"image-to-image", "{\"image\":\"photo.jpg\",\"instruction\":\"make it blue\"}", NULL, NULL},
    {"text-to-speech", "{\"text\":\"hello\"}", NULL, NULL},
    {"automatic-speech-recognition", "{\"audio\":\"rec.wav\"}", NULL, NULL},
    {"audio-classification", "{\"audio\":\"rec.wav\"}", "Classify the recording",
     "{\"labels\":[{\"label\":\"speech\",\"score\":0.9}]}"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static fake_models *server_for(fixture *f, const char *task) {
  for (int i = 0; i < N_SERVERS; i++)
    if (strstr(servers[i].tasks, task) &&
        (strstr(servers[i].tasks, task)[-1] == '[' || strstr(servers[i].tasks, task)[-1] == ' '))
      return f->fm[i];
  return NULL;
}

/* Gives each chat server its answers for every kind, and the inputs. */
static void script(fixture *f) {
  for (size_t i = 0; i < N_KINDS; i++)
    if (kinds[i].marker)
      fm_set_answer_for(server_for(f, kinds[i].task), kinds[i].marker, kinds[i].answer);
  fm_set_answer(f->fm[S_VISION], "A fox.");
  fm_set_answer(f->fm[S_TEXT], "Fine.");
  char *p = photo(f), *w = baton__path_join(f->dir, "rec.wav");
  fm_write_wav(w);
  free(p);
  free(w);
}

Test(runtime_endpoints, twenty_one_hugginggpt_task_kinds_run_through_baton_task) {
  fixture f;
  fx_open(&f, true);
  script(&f);
  for (size_t i = 0; i < N_KINDS; i++) {
    char *json = NULL;
    baton_rc rc = baton_task(f.ctx, kinds[i].task, kinds[i].args, NULL, f.dir, &json);
    cr_assert_eq(rc, BATON_OK, "%s: %s", kinds[i].task, json ? json : baton_errmsg(f.ctx));
    cJSON *t = cJSON_Parse(json);
    cr_assert_str_eq(jstr(t, "status"), "done", "%s", json);
    cr_assert_neq(jstr(t, "endpoint")[0], '\0', "%s", json);
    cJSON_Delete(t);
    baton_free(json);
  }
  fx_close(&f);
}

Test(runtime_endpoints, a_server_file_in_another_format_is_converted_to_the_one_asked_for) {
  fixture f;
  fx_open(&f, true);
  script(&f);
  static const struct {
    const char *task, *args, *type, *name, *magic; /* the file's first bytes */
  } asked[] = {
      {"text-to-image", "{\"text\":\"a red fox\",\"save_as\":\"fox.jpg\"}", "image", "fox.jpg",
       "\xff\xd8\xff"},
      {"text-to-speech", "{\"text\":\"hello\",\"save_as\":\"hello.flac\"}", "audio",
       "hello.flac", "fLaC"},
  };
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    char *json = NULL;
    cr_assert_eq(baton_task(f.ctx, asked[i].task, asked[i].args, NULL, f.dir, &json), BATON_OK,
                 "%s: %s", asked[i].task, json ? json : baton_errmsg(f.ctx));
    cJSON *t = cJSON_Parse(json);
    const char *path = jstr(cJSON_GetObjectItem(t, "outputs"), asked[i].type);
    const char *base = path ? strrchr(path, '/') : NULL;
    cr_assert(base && strcmp(base + 1, asked[i].name) == 0, "%s", json);
    size_t len = 0, n = strlen(asked[i].magic);
    char *data = bt_slurp(path, &len);
    cr_assert(data && len > n && memcmp(data, asked[i].magic, n) == 0, "%s is no %s", path,
              asked[i].name);
    char first[600]; /* the server's own file is gone */
    snprintf(first, sizeof first, "%.*s.%s", (int)(strrchr(path, '.') - path), path,
             i == 0 ? "png" : "wav");
    cr_assert(!baton__file_exists(first), "%s was left", first);
    free(data);
    cJSON_Delete(t);
    baton_free(json);
  }
  fx_close(&f);
}

Test(runtime_endpoints, a_server_file_in_a_format_nothing_here_writes_fails_the_task) {
  fixture f;
  fx_open(&f, true);
  script(&f);
  static const struct {
    const char *task, *args, *type, *kept, *magic, *why;
  } asked[] = {
      {"text-to-image", "{\"text\":\"a red fox\",\"save_as\":\"fox.bmp\"}", "image", "fox.png",
       "\x89PNG", "cannot write a picture as BMP"},
      {"text-to-speech", "{\"text\":\"hello\",\"save_as\":\"hello.m4a\"}", "audio",
       "hello.wav", "RIFF", "cannot write audio as M4A"},
  };
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    char *json = NULL;
    cr_assert_eq(baton_task(f.ctx, asked[i].task, asked[i].args, NULL, f.dir, &json), BATON_EXEC,
                 "%s: %s", asked[i].task, json ? json : baton_errmsg(f.ctx));
    cJSON *t = cJSON_Parse(json);
    cr_assert_str_eq(jstr(t, "status"), "failed", "%s", json);
    const char *err = jstr(t, "error");
    cr_assert(strstr(err, asked[i].why) && strstr(err, "could not be saved as") &&
                  strstr(err, asked[i].kept), "%s", json);
    /* the server's file is kept under the name of what it is, nothing under the name asked for */
    const char *path = jstr(cJSON_GetObjectItem(t, "outputs"), asked[i].type);
    const char *base = strrchr(path, '/');
    cr_assert(base && strcmp(base + 1, asked[i].kept) == 0, "%s", json);
    size_t len = 0, n = strlen(asked[i].magic);
    char *data = bt_slurp(path, &len);
    cr_assert(data && len > n && memcmp(data, asked[i].magic, n) == 0, "%s", path);
    char asked_name[600];
    snprintf(asked_name, sizeof asked_name, "%.*s/%s", (int)(base - path), path,
             strstr(asked[i].args, "fox.bmp") ? "fox.bmp" : "hello.m4a");
    cr_assert(!baton__file_exists(asked_name), "%s was written", asked_name);
    free(data);
    cJSON_Delete(t);
    baton_free(json);
  }
  fx_close(&f);
}

/* A result that cannot be saved as asked stays, the task failed, and no other model is asked. */
Test(runtime_endpoints, a_result_not_saved_as_asked_leaves_the_next_model_unasked) {
  fixture f;
  fx_open(&f, false);
  f.fm[S_SD] = fm_start(FM_SDCPP);
  char y[1200];
  snprintf(y, sizeof y,
           "home: %s\nprompts_dir: %s/prompts\nendpoints:\n  - name: sd\n    base_url: %s\n"
           "    models:\n      - {id: sd-a, tasks: [text-to-image]}\n"
           "      - {id: sd-b, tasks: [text-to-image]}\n",
           f.home, BATON_TEST_SOURCE_DIR, fm_base(f.fm[S_SD]));
  bt_write(f.config, y);
  baton_close(f.ctx);
  f.ctx = fx_ctx(&f);
  baton_request req = {BATON_REQUEST_INIT, .input_root = f.dir, .offline = 1,
                       .plan_json = "[{\"task\":\"text-to-image\",\"id\":0,\"dep\":[-1],"
                                    "\"model\":\"sd-a\",\"candidates\":[\"sd-b\"],"
                                    "\"args\":{\"text\":\"a red fox\",\"save_as\":\"fox.bmp\"}}]"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(f.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_EXEC, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_assert_str_eq(jstr(t, "status"), "failed", "%s", baton_run_result_json(run));
  cr_assert_str_eq(jstr(t, "model"), "sd-a", "%s", baton_run_result_json(run));
  cr_assert(strstr(jstr(t, "error"), "could not be saved as"), "%s", jstr(t, "error"));
  const char *png = jstr(cJSON_GetObjectItem(t, "outputs"), "image");
  cr_assert(png && strstr(png, "fox.png"), "the picture is kept: %s", baton_run_result_json(run));
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[S_SD])), 1u, "sd-b was not asked");
  cJSON_Delete(res);
  baton_run_free(run);
  fx_close(&f);
}

/* The text server as `baton endpoints` shows it (caller frees with cJSON_Delete). */
static cJSON *text_endpoint(baton *ctx) {
  char *json = NULL;
  cr_assert_eq(baton_endpoints(ctx, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *eps = cJSON_Parse(json);
  baton_free(json);
  cJSON *text = cJSON_DetachItemFromArray(eps, S_TEXT);
  cJSON_Delete(eps);
  cr_assert_str_eq(jstr(text, "name"), "text");
  return text;
}

/* The health part of `model`'s score when the offline planner's first step of `request` chooses
 * among the declared models; the model chosen into chosen. */
static double health_in_choice(fixture *f, const char *request, const char *model, char *chosen,
                               size_t cap) {
  baton_request req = {BATON_REQUEST_INIT, .text = request, .input_root = f->dir, .offline = 1};
  char *json = NULL;
  cr_assert_eq(baton_plan(f->ctx, &req, &json), BATON_OK, "%s", baton_errmsg(f->ctx));
  cJSON *plan = cJSON_Parse(json);
  const cJSON *t0 = cJSON_GetArrayItem(plan, 0), *c;
  snprintf(chosen, cap, "%s", jstr(t0, "model"));
  const cJSON *ranked = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(t0, "choice"), "ranked");
  double health = 1.0; /* never a health part: fails the caller's check */
  cJSON_ArrayForEach(c, ranked)
    if (strcmp(jstr(c, "model"), model) == 0)
      health = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "health"));
  cr_assert_leq(health, 0.0, "%s is not ranked: %s", model, json);
  cJSON_Delete(plan);
  baton_free(json);
  return health;
}

Test(runtime_endpoints, a_server_refusing_the_input_fails_the_task_not_the_endpoints_health) {
  fixture f;
  fx_open(&f, true);
  static const int refused[] = {400, 413, 415, 422};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    fm_push_failure(f.fm[S_TEXT], refused[i], NULL,
                    "{\"error\":{\"message\":\"the input is too long for this model\"}}");
    char *json = NULL;
    cr_assert_eq(baton_task(f.ctx, "summarization", "{\"text\":\"Some words.\"}", "qwen2.5",
                            f.dir, &json),
                 BATON_EXEC, "%d: %s", refused[i], json ? json : baton_errmsg(f.ctx));
    cJSON *t = cJSON_Parse(json);
    cr_assert_str_eq(jstr(t, "status"), "failed", "%s", json);
    cr_assert(strstr(jstr(t, "error"), "the input is too long for this model"),
              "the server's message: %s", json);
    cJSON_Delete(t);
    baton_free(json);
  }
  char chosen[64];
  cr_assert_eq(health_in_choice(&f, "summarize 'Some words to summarize.'", "qwen2.5", chosen,
                                sizeof chosen),
               0.0, "the input's fault was held against the model");
  cJSON *text = text_endpoint(f.ctx);
  char *shown = cJSON_PrintUnformatted(text);
  cr_assert_str_eq(jstr(text, "health"), "up", "%s", shown);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItem(text, "last_error")),
            "one user's input is the server's last error for all: %s", shown);
  free(shown);
  cJSON_Delete(text);
  /* A model the server does not serve is the endpoint's error. */
  fm_push_failure(f.fm[S_TEXT], 404, NULL, "{\"error\":{\"message\":\"no such model\"}}");
  char *json = NULL;
  cr_assert_eq(baton_task(f.ctx, "summarization", "{\"text\":\"Some words.\"}", "qwen2.5",
                          f.dir, &json),
               BATON_EXEC);
  baton_free(json);
  text = text_endpoint(f.ctx);
  cr_assert(strstr(jstr(text, "last_error"), "no such model"), "%s", jstr(text, "last_error"));
  cJSON_Delete(text);
  fx_close(&f);
}

/* A text-only model (llama.cpp started without --mmproj) sent a picture: the model's fault, not
 * the picture's nor the server's. It counts against the model, so the next step picks another
 * model (the first by name before), and the server stays up. */
Test(runtime_endpoints, a_model_that_cannot_take_pictures_loses_health_and_the_next_step_moves_on) {
  fixture f;
  fx_open(&f, false);
  baton_close(f.ctx);
  cr_assert_not_null(f.fm[0] = fm_start(FM_LLAMACPP));
  cr_assert_not_null(f.fm[1] = fm_start(FM_LLAMACPP));
  fm_no_mmproj(f.fm[0]);
  char yaml[1200];
  snprintf(yaml, sizeof yaml,
           "home: %s\nprompts_dir: %s/prompts\nendpoints:\n"
           "  - {name: textonly, base_url: %s, models: [{id: gemma3, tasks: [image-to-text]}]}\n"
           "  - {name: mm, base_url: %s, models: [{id: llava, tasks: [image-to-text]}]}\n",
           f.home, BATON_TEST_SOURCE_DIR, fm_base(f.fm[0]), fm_base(f.fm[1]));
  bt_write(f.config, yaml);
  f.ctx = fx_ctx(&f);
  char *p = photo(&f), chosen[64];
  cr_assert_eq(health_in_choice(&f, "describe photo.jpg", "gemma3", chosen, sizeof chosen), 0.0);
  cr_assert_str_eq(chosen, "gemma3", "the first declared model by name is chosen at first");
  char *json = NULL;
  cr_assert_eq(baton_task(f.ctx, "image-to-text", "{\"image\":\"photo.jpg\"}", "gemma3", f.dir,
                          &json),
               BATON_EXEC, "%s", json ? json : baton_errmsg(f.ctx));
  cJSON *t = cJSON_Parse(json);
  cr_assert(strstr(jstr(t, "error"), "image input is not supported"), "%s", json);
  cJSON_Delete(t);
  baton_free(json);
  cr_assert_lt(health_in_choice(&f, "describe photo.jpg", "gemma3", chosen, sizeof chosen), 0.0,
               "the refusal was not held against the model");
  cr_assert_str_eq(chosen, "llava", "the next step did not move on to the vision model");
  /* Builds that throw it as a runtime_error answer 500: the model's still, the server is up. */
  fm_push_failure(f.fm[0], 500, NULL,
                  "{\"error\":{\"code\":500,\"message\":\"image input is not supported - "
                  "hint: if this is unexpected, you may need to provide the mmproj\","
                  "\"type\":\"server_error\"}}");
  cr_assert_eq(baton_task(f.ctx, "image-to-text", "{\"image\":\"photo.jpg\"}", "gemma3", f.dir,
                          &json),
               BATON_EXEC, "%s", json ? json : baton_errmsg(f.ctx));
  cr_assert(strstr(json, "HTTP 500: image input is not supported"), "%s", json);
  baton_free(json);
  cr_assert_eq(baton_endpoints(f.ctx, &json), BATON_OK);
  cJSON *eps = cJSON_Parse(json);
  cr_assert_str_eq(jstr(cJSON_GetArrayItem(eps, 0), "health"), "up", "%s", json);
  cJSON_Delete(eps);
  baton_free(json);
  free(p);
  fx_close(&f);
}

Test(runtime_endpoints, a_planned_graph_of_every_kind_picks_the_declared_models) {
  fixture f;
  fx_open(&f, true);
  script(&f);
  baton__sb plan;
  baton__sb_init(&plan);
  baton__sb_adds(&plan, "[");
  int n = 0;
  for (size_t i = 0; i < N_KINDS; i++) {
    baton__sb_addf(&plan, "%s{\"task\":\"%s\",\"id\":%d,\"dep\":[-1],\"args\":%s}", n ? "," : "",
                   kinds[i].task, n, kinds[i].args);
    n++;
  }
  baton__sb_adds(&plan, "]");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan.buf, .input_root = f.dir, .offline = 1};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(f.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(f.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *r = cJSON_Parse(baton_run_result_json(run));
  const cJSON *t;
  int done = 0;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "tasks")) {
    cr_assert_str_eq(jstr(t, "status"), "done", "%s", cJSON_PrintUnformatted(t));
    cr_assert_neq(jstr(t, "endpoint")[0], '\0');
    done++;
  }
  cr_assert_eq(done, 21);
  cJSON_Delete(r);
  baton_run_free(run);
  baton__sb_release(&plan);
  fx_close(&f);
}

Test(runtime_endpoints, endpoints_show_models_and_health_seen_by_another_context) {
  fixture f;
  fx_open(&f, true);
  char *json = NULL;
  cr_assert_eq(baton_endpoints(f.ctx, &json), BATON_OK);
  cJSON *arr = cJSON_Parse(json);
  cr_assert_eq(cJSON_GetArraySize(arr), N_SERVERS);
  const cJSON *v = cJSON_GetArrayItem(arr, S_VISION);
  cr_assert_str_eq(jstr(v, "name"), "vision");
  cr_assert_str_eq(jstr(v, "health"), "unknown");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "key")));
  cr_assert_null(strstr(json, KEY_VISION));
  cJSON_Delete(arr);
  baton_free(json);
  /* The speech server goes away: the task fails, the server is down. */
  fm_stop(f.fm[S_TTS]);
  f.fm[S_TTS] = NULL;
  /* (The task itself may still succeed on a local voice.) */
  baton_task(f.ctx, "text-to-speech", "{\"text\":\"hi\"}", NULL, f.dir, &json);
  baton_free(json);
  baton *other = fx_ctx(&f);
  cr_assert_eq(baton_endpoints(other, &json), BATON_OK);
  arr = cJSON_Parse(json);
  const cJSON *tts = cJSON_GetArrayItem(arr, S_TTS);
  cr_assert_str_eq(jstr(tts, "health"), "down", "%s", json);
  cr_assert_neq(jstr(tts, "last_error")[0], '\0', "%s", json);
  cJSON_Delete(arr);
  baton_free(json);
  baton_close(other);
  fx_close(&f);
}

Test(runtime_endpoints, models_list_and_show_name_the_servers) {
  fixture f;
  fx_open(&f, true);
  char *json = NULL;
  cr_assert_eq(baton_models_list(f.ctx, "image-to-text", 0, &json), BATON_OK);
  cr_assert(strstr(json, "\"id\":\"llava\"") && strstr(json, "\"endpoint\":\"openai:vision\""),
            "%s", json);
  baton_free(json);
  cr_assert_eq(baton_models_show(f.ctx, "llava", &json), BATON_OK);
  cJSON *m = cJSON_Parse(json);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "tasks")), 6);
  cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "endpoints"), 0)->valuestring,
                   "vision");
  cJSON_Delete(m);
  baton_free(json);
  cr_assert_eq(baton_models_search(f.ctx, "whisper", NULL, 10, &json), BATON_OK);
  cr_assert(strstr(json, "whisper-1"), "%s", json);
  baton_free(json);
  fx_close(&f);
}

Test(runtime_endpoints, models_sync_offers_tasks_from_the_ids_and_changes_nothing) {
  fixture f;
  fx_open(&f, true);
  char *json = NULL;
  cr_assert_eq(baton_endpoint_models(f.ctx, "vision", &json), BATON_OK, "%s",
               baton_errmsg(f.ctx));
  cJSON *r = cJSON_Parse(json);
  const cJSON *m;
  int seen = 0;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "models")) {
    const char *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "suggested_tasks"), 0)->valuestring;
    const char *id = jstr(m, "id");
    if (!strcmp(id, "whisper-large-v3"))
      seen += !strcmp(first, "automatic-speech-recognition");
    else if (!strcmp(id, "kokoro"))
      seen += !strcmp(first, "text-to-speech");
    else if (!strcmp(id, "Qwen2.5-VL-7B-Instruct"))
      seen += !strcmp(first, "image-to-text");
    else if (!strcmp(id, "nomic-embed-text"))
      seen += !strcmp(first, "sentence-similarity");
  }
  cr_assert_eq(seen, 4, "%s", json);
  cr_assert(strstr(jstr(r, "config"), "{id: whisper-large-v3, tasks: [automatic-speech-recognition]}"));
  cJSON_Delete(r);
  baton_free(json);
  cr_assert_eq(baton_models_show(f.ctx, "whisper-large-v3", &json), BATON_NOTFOUND);
  cr_assert_eq(baton_endpoint_models(f.ctx, "nope", &json), BATON_NOTFOUND);
  fx_close(&f);
}

Test(runtime_endpoints, a_large_picture_is_halved_by_the_local_resizer_before_sending) {
  fixture f;
  fx_open(&f, true);
  char *why = NULL;
  if (bt_run("command -v convert >/dev/null && echo yes", &why) != 0 || strncmp(why, "yes", 3)) {
    free(why);
    fx_close(&f);
    cr_skip_test("ImageMagick is not installed");
  }
  free(why);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "convert -size 1750x1750 xc: +noise Random -depth 8 '%s/big.png'", f.dir);
  cr_assert_eq(bt_run(cmd, NULL), 0);
  fm_set_answer(f.fm[S_VISION], "Noise.");
  char *json = NULL;
  baton_rc rc = baton_task(f.ctx, "image-to-text", "{\"image\":\"big.png\"}", NULL, f.dir, &json);
  cJSON *t = cJSON_Parse(json);
  if (rc != BATON_OK && strstr(jstr(t, "error"), "no local image resizer")) {
    cJSON_Delete(t);
    baton_free(json);
    fx_close(&f);
    cr_skip_test("this build has no vips executor");
  }
  cr_assert_eq(rc, BATON_OK, "%s", json);
  cr_assert_str_eq(jstr(t, "endpoint"), "vision", "%s", json);
  fake_http_request *r = fake_http_request_get(fm_http(f.fm[S_VISION]), 0);
  cr_assert_lt(r->body_len, (8u << 20) * 4 / 3, "the picture went unshrunk");
  cr_assert(strstr(r->body, "data:image/png;base64,"));
  fake_http_request_free(r);
  cJSON_Delete(t);
  baton_free(json);
  fx_close(&f);
}

/* Whether the file holds needle anywhere (binary safe). */
static bool file_has(const char *path, const char *needle) {
  size_t len = 0;
  char *b = bt_slurp(path, &len);
  bool found = false;
  for (size_t i = 0; !found && i + strlen(needle) <= len; i++)
    found = memcmp(b + i, needle, strlen(needle)) == 0;
  free(b);
  return found;
}

typedef struct logbuf {
  char text[16384];
} logbuf;

static void on_log(void *ud, baton_log_level level, const char *msg) {
  (void)level;
  logbuf *l = ud;
  size_t have = strlen(l->text);
  baton__fmt(l->text + have, sizeof l->text - have, "%s\n", msg);
}

Test(runtime_endpoints, keys_never_reach_logs_errors_the_run_store_or_json) {
  fixture f;
  fx_open(&f, true);
  logbuf logs = {{0}};
  baton_set_log(f.ctx, BATON_LOG_DEBUG, on_log, &logs);
  /* A server that echoes the key back in its error. */
  fm_push_failure(f.fm[S_TEXT], 401, NULL,
                  "{\"error\":{\"message\":\"Incorrect API key provided: " KEY_TEXT "\"}}");
  fm_set_answer(f.fm[S_VISION], "A fox.");
  char *p = photo(&f);
  char *json = NULL;
  /* (a kind no local executor runs, so that the failure is the run's) */
  baton_rc rc = baton_task(f.ctx, "text2text-generation", "{\"text\":\"x\"}", NULL, f.dir, &json);
  cr_assert_neq(rc, BATON_OK);
  cr_assert_null(strstr(baton_errmsg(f.ctx), KEY_TEXT), "%s", baton_errmsg(f.ctx));
  cr_assert_null(strstr(json, KEY_TEXT), "%s", json);
  baton_free(json);
  cr_assert_eq(baton_task(f.ctx, "image-to-text", "{\"image\":\"photo.jpg\"}", NULL, f.dir, &json),
               BATON_OK);
  baton_free(json);
  cr_assert_eq(baton_endpoints(f.ctx, &json), BATON_OK);
  const char *keys[] = {KEY_VISION, KEY_TTS, KEY_TEXT};
  for (size_t k = 0; k < 3; k++) {
    cr_assert_null(strstr(json, keys[k]));
    cr_assert_null(strstr(logs.text, keys[k]), "%s", logs.text);
  }
  baton_free(json);
  baton_close(f.ctx);
  f.ctx = NULL;
  static const char *const dbs[] = {"runs.db", "registry.db", "runs.db-wal", "registry.db-wal"};
  for (size_t d = 0; d < 4; d++) {
    char *path = baton__path_join(f.home, dbs[d]);
    if (baton__file_exists(path))
      for (size_t k = 0; k < 3; k++)
        cr_assert_not(file_has(path, keys[k]), "%s holds a key", dbs[d]);
    free(path);
  }
  /* Each key went to its own server only. */
  fake_http *vh = fm_http(f.fm[S_VISION]);
  fake_http_request *r = fake_http_request_get(vh, fake_http_request_count(vh) - 1);
  cr_assert_str_eq(fake_http_request_header(r, "Authorization"), "Bearer " KEY_VISION);
  fake_http_request_free(r);
  fake_http *sh = fm_http(f.fm[S_SD]);
  cr_assert_eq(fake_http_request_count(sh), 0);
  free(p);
  fx_close(&f);
}
