/* test_openai.c — the "openai" executor against loopback fakes of real model servers: every task's wire shape, each server's quirks, failover, rate limits, max_inflight, keys. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/task_kinds.h"
#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "executors/openai.h"
#include "net/pool.h"
#include "planner/output_names.h"
#include "support/fake_models.h"
#include "support/support.h"
#include "core/banned.h"

#define KEY_A "sk-endpoint-a-secret"
#define KEY_B "sk-endpoint-b-secret"

typedef struct fixture {
  fake_models *fm[2];
  baton__config cfg;
  baton__pool *pool;
  void *state;
  char *dir;
  atomic_int cancel;
  baton__exec_env env;
  baton__values in, out;
} fixture;

/* Endpoint "a" (and "b" when kind_b >= 0) serving model for task, from a
 * real config file. */
static void fx_open2(fixture *f, fm_kind kind_a, int kind_b, const char *model, const char *task,
                     int max_inflight) {
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->fm[0] = fm_start(kind_a);
  cr_assert_not_null(f->fm[0]);
  if (kind_b >= 0)
    cr_assert_not_null(f->fm[1] = fm_start((fm_kind)kind_b));
  setenv("BT_KEY_A", KEY_A, 1);
  setenv("BT_KEY_B", KEY_B, 1);
  baton__sb y;
  baton__sb_init(&y);
  baton__sb_addf(&y, "home: %s/home\nprompts_dir: %s/prompts\nendpoints:\n", f->dir,
                 BATON_TEST_SOURCE_DIR);
  for (int i = 0; i < 2 && f->fm[i]; i++)
    baton__sb_addf(&y,
                   "  - name: %s\n    base_url: %s\n    api_key_env: BT_KEY_%s\n"
                   "    max_inflight: %d\n    timeout_ms: 10000\n    models:\n"
                   "      - {id: %s, tasks: [%s]}\n",
                   i ? "b" : "a", fm_base(f->fm[i]), i ? "B" : "A", max_inflight, model, task);
  char *path = baton__path_join(f->dir, "config.yaml");
  bt_write(path, y.buf);
  baton__sb_release(&y);
  char err[512] = "";
  cr_assert_eq(baton__config_load(&f->cfg, path, err, sizeof err), 0, "%s", err);
  free(path);
  f->pool = baton__pool_new(&f->cfg, err, sizeof err);
  cr_assert_not_null(f->pool, "%s", err);
  cr_assert_eq(baton__executor_openai.init(&f->cfg, &f->state, err, sizeof err), 0, "%s", err);
  atomic_init(&f->cancel, 0);
  f->env = (baton__exec_env){.cfg = &f->cfg, .pool = f->pool, .workspace = f->dir,
                             .file_prefix = "task1", .cancel = &f->cancel, .model = model,
                             .endpoint = "openai:a", .timeout_ms = 10000};
}

static void fx_open(fixture *f, fm_kind kind, const char *model, const char *task) {
  fx_open2(f, kind, -1, model, task, 4);
}

static void fx_close(fixture *f) {
  baton__executor_openai.release(f->state);
  baton__pool_free(f->pool);
  baton__config_release(&f->cfg);
  for (int i = 0; i < 2; i++)
    fm_stop(f->fm[i]);
  baton__values_release(&f->in);
  baton__values_release(&f->out);
  bt_rmtree(f->dir);
  free(f->dir);
}

static int fx_run(fixture *f, const char *task) {
  f->env.err[0] = '\0';
  baton__values_release(&f->out);
  return baton__executor_openai.run(f->state, task, &f->in, &f->env, &f->out);
}

static const char *out_of(fixture *f, const char *name) {
  const baton__value *v = baton__values_get(&f->out, name);
  return v ? v->data : NULL;
}

static void arg(fixture *f, const char *name, const char *value) {
  unsigned t = baton__type_from_name(name);
  cr_assert_eq(baton__values_add(&f->in, name, t == BATON__T_TEXT || t == BATON__T_IMAGE ||
                                                       t == BATON__T_AUDIO
                                                   ? t
                                                   : 0,
                                 value),
               0);
}

/* A short WAV written as `name` in the fixture's folder and given as the "audio" input; its path
 * (caller frees). */
static char *audio_arg(fixture *f, const char *name) {
  char *p = baton__path_join(f->dir, name);
  fm_write_wav(p);
  arg(f, "audio", p);
  return p;
}

/* A file in the test folder; returns its path (static buffer per call site). */
static char *png_file(fixture *f) {
  char *p = baton__path_join(f->dir, "photo.png");
  FILE *fp = fopen(p, "wb");
  cr_assert_not_null(fp);
  fwrite(fm_png, 1, fm_png_len, fp);
  fclose(fp);
  return p;
}

static fake_http_request *last_req(fixture *f, int server) {
  fake_http *h = fm_http(f->fm[server]);
  size_t n = fake_http_request_count(h);
  cr_assert_gt(n, 0);
  return fake_http_request_get(h, n - 1);
}

static cJSON *req_json(const fake_http_request *r) {
  cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
  cr_assert_not_null(j, "request body is not JSON: %s", r->body);
  return j;
}

/* ---- chat tasks ------------------------------------------------------------ */

Test(executors_openai, summarization_sends_the_prompt_and_returns_the_summary) {
  fixture f;
  fx_open(&f, FM_LLAMACPP, "qwen", "summarization");
  fm_set_answer(f.fm[0], "  A short summary.  ");
  arg(&f, "text", "A very long text about many things.");
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "A short summary.");
  cr_assert_str_eq(f.env.answered, "a");
  fake_http_request *r = last_req(&f, 0);
  cr_assert_str_eq(r->path, "/v1/chat/completions");
  cJSON *j = req_json(r);
  cr_assert_str_eq(cJSON_GetObjectItem(j, "model")->valuestring, "qwen");
  cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  cr_assert(strstr(cJSON_GetArrayItem(msgs, 0)->child->next->valuestring, "Summarise"));
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
                   "A very long text about many things.");
  cJSON_Delete(j);
  fake_http_request_free(r);
  fx_close(&f);
}

/* A dialogue on a model server continues its conversation: the earlier exchange goes between
 * the system message and the new one. */
Test(executors_openai, a_dialogue_sends_the_conversation_before_the_new_message) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llama3", "conversational");
  fm_set_answer(f.fm[0], "Showers after six.");
  arg(&f, "text", "and in the evening?");
  cr_assert_eq(baton__values_add(&f.in, "history", 0,
                                 "[{\"role\":\"user\",\"content\":\"will it rain in Paris "
                                 "this morning?\"},{\"role\":\"assistant\",\"content\":\"No.\"}]"),
               0);
  cr_assert_eq(fx_run(&f, "conversational"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "Showers after six.");
  fake_http_request *r = last_req(&f, 0);
  cJSON *j = req_json(r);
  cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  const char *roles[] = {"system", "user", "assistant", "user"};
  const char *said[] = {NULL, "will it rain in Paris this morning?", "No.", "and in the evening?"};
  cr_assert_eq(cJSON_GetArraySize(msgs), 4, "%s", r->body);
  for (int i = 0; i < 4; i++) {
    cJSON *m = cJSON_GetArrayItem(msgs, i);
    cr_assert_str_eq(cJSON_GetObjectItem(m, "role")->valuestring, roles[i]);
    if (said[i])
      cr_assert_str_eq(cJSON_GetObjectItem(m, "content")->valuestring, said[i]);
  }
  cr_assert_null(cJSON_GetObjectItem(j, "history"), "not sent as a parameter");
  cJSON_Delete(j);
  fake_http_request_free(r);
  fx_close(&f);
}

/* The user's own words reach the system message, after the task's own prompt. */
Test(executors_openai, summarization_tells_the_model_what_the_user_asked) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llama3", "summarization");
  fm_set_answer(f.fm[0], "Two sentences.");
  arg(&f, "text", "A very long text about many things.");
  arg(&f, "instruction", "summarize notes.txt in two sentences");
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  fake_http_request *r = last_req(&f, 0);
  cJSON *j = req_json(r);
  cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  const char *sys = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring;
  cr_assert(strstr(sys, "Summarise") &&
                strstr(sys, "only. The user asked: \"summarize notes.txt in two sentences\"."),
            "%s", sys);
  cJSON_Delete(j);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_openai, translation_takes_any_language_pair_and_needs_a_target) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llama3", "translation");
  fm_set_answer(f.fm[0], "Bonjour");
  arg(&f, "text", "good morning");
  cr_assert_neq(fx_run(&f, "translation"), 0);
  cr_assert(strstr(f.env.err, "tgt_lang"), "%s", f.env.err);
  cr_assert(f.env.bad_input, "a missing argument is the task's fault, not the model's");
  arg(&f, "tgt_lang", "fr");
  cr_assert_eq(fx_run(&f, "translation"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "Bonjour");
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "into the language \\\"fr\\\""), "%s", r->body);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_openai, a_refused_input_is_the_tasks_fault_and_keeps_the_servers_message) {
  static const struct {
    int status;
    bool bad_input;
  } answers[] = {{400, true}, {413, true}, {415, true}, {422, true}, {401, false}, {404, false}};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    fixture f;
    fx_open(&f, FM_LLAMACPP, "qwen", "summarization");
    fm_push_failure(f.fm[0], answers[i].status, NULL,
                    "{\"error\":{\"message\":\"the request exceeds the context size\"}}");
    arg(&f, "text", "A text to summarise.");
    f.env.bad_input = !answers[i].bad_input;
    cr_assert_neq(fx_run(&f, "summarization"), 0, "%d", answers[i].status);
    cr_assert_eq(f.env.bad_input, answers[i].bad_input, "%d: %s", answers[i].status, f.env.err);
    cr_assert(!f.env.transient, "%d is not worth a retry", answers[i].status);
    cr_assert(strstr(f.env.err, "the request exceeds the context size"), "%d: %s",
              answers[i].status, f.env.err);
    fx_close(&f);
  }
}

Test(executors_openai, classification_asks_json_schema_and_falls_back_when_refused) {
  fixture f;
  fx_open(&f, FM_LLAMACPP, "qwen", "text-classification");
  fm_no_json_schema(f.fm[0]);
  fm_set_answer(f.fm[0], "```json\n{\"labels\":[{\"label\":\"NEGATIVE\",\"score\":0.1},"
                         "{\"label\":\"POSITIVE\",\"score\":0.9}]}\n```");
  arg(&f, "text", "I love it");
  cr_assert_eq(fx_run(&f, "text-classification"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "POSITIVE (0.90)");
  cr_assert_str_eq(out_of(&f, "json"),
                   "[{\"label\":\"POSITIVE\",\"score\":0.9},{\"label\":\"NEGATIVE\",\"score\":0.1}]");
  /* json_schema refused, TGI form refused, json_object accepted. */
  fake_http *h = fm_http(f.fm[0]);
  cr_assert_eq(fake_http_request_count(h), 3);
  fake_http_request *r0 = fake_http_request_get(h, 0), *r2 = fake_http_request_get(h, 2);
  cr_assert(strstr(r0->body, "\"type\":\"json_schema\""));
  cr_assert(strstr(r2->body, "\"response_format\":{\"type\":\"json_object\"}"), "%s", r2->body);
  fake_http_request_free(r0);
  fake_http_request_free(r2);
  fx_close(&f);
}

Test(executors_openai, zero_shot_classification_needs_labels_and_ranks_them) {
  fixture f;
  fx_open(&f, FM_VLLM, "m", "zero-shot-classification");
  fm_set_answer(f.fm[0], "{\"labels\":[{\"label\":\"sport\",\"score\":0.2},"
                         "{\"label\":\"politics\",\"score\":0.7}]}");
  arg(&f, "text", "The vote is tomorrow");
  cr_assert_neq(fx_run(&f, "zero-shot-classification"), 0);
  cr_assert(strstr(f.env.err, "labels"), "%s", f.env.err);
  arg(&f, "candidate_labels", "[\"sport\",\"politics\"]");
  cr_assert_eq(fx_run(&f, "zero-shot-classification"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "politics (0.70)");
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "Candidate labels: sport, politics"), "%s", r->body);
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_openai, question_answering_gives_the_span_and_its_place) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt", "question-answering");
  fm_set_answer(f.fm[0], "{\"answer\":\"Paris\",\"score\":0.95}");
  arg(&f, "question", "Where does Ana live?");
  arg(&f, "context", "Ana lives in Paris with her cat.");
  cr_assert_eq(fx_run(&f, "question-answering"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "Paris");
  cr_assert_str_eq(out_of(&f, "json"), "{\"answer\":\"Paris\",\"score\":0.95,\"start\":13,\"end\":18}");
  fx_close(&f);
}

Test(executors_openai, token_classification_finds_words_in_the_text) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt", "token-classification");
  fm_set_answer(f.fm[0], "{\"entities\":[{\"word\":\"Ana\",\"entity_group\":\"PER\",\"score\":0.99},"
                         "{\"word\":\"Paris\",\"entity_group\":\"LOC\",\"score\":0.98}]}");
  arg(&f, "text", "Ana lives in Paris.");
  cr_assert_eq(fx_run(&f, "token-classification"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "Ana (PER), Paris (LOC)");
  cr_assert(strstr(out_of(&f, "json"), "\"word\":\"Paris\",\"start\":13,\"end\":18"),
            "%s", out_of(&f, "json"));
  fx_close(&f);
}

Test(executors_openai, fill_mask_puts_the_best_word_in_the_mask) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt", "fill-mask");
  fm_set_answer(f.fm[0], "{\"candidates\":[{\"token_str\":\"capital\",\"score\":0.8},"
                         "{\"token_str\":\"city\",\"score\":0.1}]}");
  arg(&f, "text", "Paris is the [MASK] of France.");
  cr_assert_eq(fx_run(&f, "fill-mask"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "Paris is the capital of France.");
  fx_close(&f);
}

Test(executors_openai, table_question_answering_sends_the_table) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt", "table-question-answering");
  fm_set_answer(f.fm[0], "{\"answer\":\"36\",\"cells\":[\"36\"],\"score\":0.9}");
  arg(&f, "query", "How many stars has Transformers?");
  arg(&f, "table", "{\"Repository\":[\"Transformers\"],\"Stars\":[\"36\"]}");
  cr_assert_eq(fx_run(&f, "table-question-answering"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "36");
  cr_assert(strstr(out_of(&f, "json"), "\"cells\":[\"36\"]"));
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "Transformers"));
  fake_http_request_free(r);
  fx_close(&f);
}

/* ---- chat with pictures and recordings --------------------------------------- */

Test(executors_openai, caption_sends_the_picture_as_a_base64_data_url_to_ollama) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llava", "image-to-text");
  fm_set_answer(f.fm[0], "A red fox in the snow.");
  char *p = png_file(&f);
  arg(&f, "image", p);
  cr_assert_eq(fx_run(&f, "image-to-text"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "A red fox in the snow.");
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "\"url\":\"data:image/png;base64,iVBORw0KGgo"), "%s", r->body);
  cr_assert(strstr(r->body, "\"type\":\"image_url\""));
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
}

/* The system message the server received for an image-to-text step of that mode (NULL: none
 * given) and language (NULL: none), answered with answer; caller frees. */
static char *picture_prompt(const char *mode, const char *lang, const char *answer) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llava", "image-to-text");
  fm_set_answer(f.fm[0], answer);
  char *p = png_file(&f);
  arg(&f, "image", p);
  if (mode)
    arg(&f, "mode", mode);
  if (lang)
    arg(&f, "lang", lang);
  cr_assert_eq(fx_run(&f, "image-to-text"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), answer);
  fake_http_request *r = last_req(&f, 0);
  cJSON *j = req_json(r);
  const cJSON *sys = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "messages"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(sys, "role")->valuestring, "system");
  char *text = baton__strdup(cJSON_GetObjectItem(sys, "content")->valuestring);
  cr_assert(strstr(r->body, "\"url\":\"data:image/png;base64,"), "%s", r->body);
  cJSON_Delete(j);
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
  return text;
}

/* A step reading a sign is sent the transcription prompt; one describing a photo (or saying
 * neither, as an LLM plan may) the caption prompt, which asks not to read the text. */
Test(executors_openai, reading_a_picture_asks_for_its_words_and_describing_it_for_a_caption) {
  char *read = picture_prompt("read", NULL, "NO PARKING\nMon-Fri 8-18");
  cr_assert(strstr(read, "Transcribe the text written in this image exactly as it appears:"),
            "%s", read);
  cr_assert_null(strstr(read, "caption"), "%s", read);
  char *de = picture_prompt("read", "de", "Ausfahrt freihalten");
  cr_assert(strstr(de, "exactly as it appears (it is in the language \"de\"):"), "%s", de);
  const char *modes[] = {"describe", NULL};
  for (size_t i = 0; i < 2; i++) {
    char *cap = picture_prompt(modes[i], NULL, "A red fox in the snow.");
    cr_assert(strstr(cap, "Describe the picture in one or two plain sentences, as a caption"),
              "%s", cap);
    cr_assert_null(strstr(cap, "Transcribe"), "%s", cap);
    free(cap);
  }
  free(read);
  free(de);
}

Test(executors_openai, a_mode_the_prompts_do_not_have_is_refused_before_sending) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llava", "image-to-text");
  char *p = png_file(&f);
  arg(&f, "image", p);
  arg(&f, "mode", "poetic");
  cr_assert_neq(fx_run(&f, "image-to-text"), 0);
  cr_assert(strstr(f.env.err, "image-to-text: mode \"poetic\" is not one of its modes in "
                              "prompts/tasks.yaml (describe, read)"),
            "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 0);
  free(p);
  fx_close(&f);
}

/* A prompts file's modes: each named once, with a system text of its own, beside `mode:`; a file
 * naming none serves any mode with its one prompt. */
Test(executors_openai, prompt_modes_are_read_from_the_file_and_broken_ones_named) {
  char *dir = bt_tmpdir(), *file = baton__path_join(dir, "tasks.yaml"), err[400] = "";
  static const char head[] = "tasks:\n  image-to-text:\n    system: caption it\n"
                             "    user: \"{{text}}\"\n";
  char y[400];
  snprintf(y, sizeof y, "%s    mode: describe\n    modes:\n      read: read it\n"
                        "      list: list the words\n", head);
  bt_write(file, y);
  baton__oai_prompts *p = baton__oai_prompts_load(dir, err, sizeof err);
  cr_assert_not_null(p, "%s", err);
  const char *sys = NULL, *user = NULL, *schema = NULL;
  char modes[100] = "";
  const char *ask[] = {NULL, "describe", "read", "list"};
  const char *want[] = {"caption it", "caption it", "read it", "list the words"};
  for (size_t i = 0; i < 4; i++) {
    cr_assert_eq(baton__oai_prompt(p, "image-to-text", ask[i], &sys, &user, &schema, modes,
                                   sizeof modes), 0);
    cr_assert_str_eq(sys, want[i]);
  }
  cr_assert_eq(baton__oai_prompt(p, "image-to-text", "sing", &sys, &user, &schema, modes,
                                 sizeof modes), -2);
  cr_assert_str_eq(modes, "describe, read, list");
  cr_assert_eq(baton__oai_prompt(p, "summarization", NULL, &sys, &user, &schema, modes,
                                 sizeof modes), -1);
  baton__oai_prompts_free(p);
  bt_write(file, head); /* a user's own file naming no modes: its one prompt for any step */
  cr_assert_not_null(p = baton__oai_prompts_load(dir, err, sizeof err), "%s", err);
  cr_assert_eq(baton__oai_prompt(p, "image-to-text", "read", &sys, &user, &schema, modes,
                                 sizeof modes), 0);
  cr_assert_str_eq(sys, "caption it");
  baton__oai_prompts_free(p);
  static const char *const broken[][2] = {
      {"    modes:\n      read: read it\n", "tasks.yaml:6: 'image-to-text' modes: needs"},
      {"    mode: describe\n    modes: read\n", "tasks.yaml:6: 'image-to-text' modes: needs"},
      {"    mode: read\n    modes:\n      read: read it\n",
       "tasks.yaml:7: mode 'read' of 'image-to-text' needs a system text of its own"},
      {"    mode: describe\n    modes:\n      read:\n        - a list\n",
       "tasks.yaml:7: mode 'read' of 'image-to-text' needs a system text of its own"},
  };
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    snprintf(y, sizeof y, "%s%s", head, broken[i][0]);
    bt_write(file, y);
    cr_assert_null(baton__oai_prompts_load(dir, err, sizeof err), "%s", y);
    cr_assert(strstr(err, broken[i][1]), "%s: %s", y, err);
  }
  bt_rmtree(dir);
  free(file);
  free(dir);
}

Test(executors_openai, a_picture_servers_cannot_take_is_refused_before_sending) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llava", "image-to-text");
  char *p = baton__path_join(f.dir, "anim.gif");
  bt_write(p, "GIF89a\x01\x00\x01\x00");
  arg(&f, "image", p);
  cr_assert_neq(fx_run(&f, "image-to-text"), 0);
  cr_assert(strstr(f.env.err, "PNG, JPEG or WebP"), "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 0);
  free(p);
  fx_close(&f);
}

Test(executors_openai, visual_question_answering_returns_answer_and_score) {
  fixture f;
  fx_open(&f, FM_VLLM, "qwen-vl", "visual-question-answering");
  fm_set_answer(f.fm[0], "{\"answer\":\"two\",\"score\":0.8}");
  char *p = png_file(&f);
  arg(&f, "image", p);
  arg(&f, "question", "How many cats?");
  cr_assert_eq(fx_run(&f, "visual-question-answering"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "two");
  cr_assert_str_eq(out_of(&f, "json"), "{\"answer\":\"two\",\"score\":0.8}");
  free(p);
  fx_close(&f);
}

Test(executors_openai, object_detection_gives_boxes_like_the_hub) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt-4o", "object-detection");
  fm_set_answer(f.fm[0], "{\"objects\":[{\"label\":\"cat\",\"score\":0.9,\"box\":{\"xmin\":1,"
                         "\"ymin\":2,\"xmax\":30,\"ymax\":40}}]}");
  char *p = png_file(&f);
  arg(&f, "image", p);
  cr_assert_eq(fx_run(&f, "object-detection"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "1 object: cat (0.90)");
  cr_assert(strstr(out_of(&f, "json"), "\"box\":{\"xmin\":1,\"ymin\":2,\"xmax\":30,\"ymax\":40}"));
  free(p);
  fx_close(&f);
}

Test(executors_openai, audio_classification_sends_wav_as_input_audio) {
  fixture f;
  fx_open(&f, FM_LLAMACPP, "qwen-omni", "audio-classification");
  fm_set_answer(f.fm[0], "{\"labels\":[{\"label\":\"speech\",\"score\":0.7}]}");
  char *p = audio_arg(&f, "a.wav");
  cr_assert_eq(fx_run(&f, "audio-classification"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "speech (0.70)");
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "\"input_audio\":{\"data\":\"UklGR"), "%s", r->body);
  cr_assert(strstr(r->body, "\"format\":\"wav\""));
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
}

/* ---- transcriptions ------------------------------------------------------------ */

static void asr(fm_kind kind, const char *want_path) {
  fixture f;
  fx_open(&f, kind, "whisper-large-v3", "automatic-speech-recognition");
  fm_set_transcript(f.fm[0], "good  morning\n");
  char *p = audio_arg(&f, "rec.wav");
  cr_assert_eq(fx_run(&f, "automatic-speech-recognition"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "good morning");
  fake_http_request *r = last_req(&f, 0);
  cr_assert_str_eq(r->path, want_path);
  size_t len = 0;
  char *fname = NULL, *ctype = NULL;
  char *file = fm_form_field(r, "file", &len, &fname, &ctype);
  cr_assert_not_null(file);
  cr_assert_eq(memcmp(file, "RIFF", 4), 0);
  cr_assert_str_eq(fname, "audio.wav");
  cr_assert_str_eq(ctype, "audio/wav");
  char *model = fm_form_field(r, "model", NULL, NULL, NULL);
  cr_assert_str_eq(model, "whisper-large-v3");
  free(model);
  free(file);
  free(fname);
  free(ctype);
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
}

Test(executors_openai, transcription_uploads_the_file_with_its_type_to_speaches) {
  asr(FM_SPEACHES, "/v1/audio/transcriptions");
}

Test(executors_openai, transcription_on_whisper_cpp_goes_to_inference) {
  asr(FM_WHISPERCPP, "/inference");
}

Test(executors_openai, transcription_on_localai_asks_json_not_text) { asr(FM_LOCALAI, "/v1/audio/transcriptions"); }

Test(executors_openai, transcription_on_llama_cpp_reads_transcript_text_done) {
  asr(FM_LLAMACPP, "/v1/audio/transcriptions");
}

Test(executors_openai, whisper_cpp_plain_text_errors_reach_the_user) {
  fixture f;
  fx_open(&f, FM_WHISPERCPP, "whisper", "automatic-speech-recognition");
  char *p = baton__path_join(f.dir, "empty.wav");
  bt_write(p, "");
  arg(&f, "audio", p);
  cr_assert_neq(fx_run(&f, "automatic-speech-recognition"), 0);
  cr_assert(strstr(f.env.err, "HTTP 400: Invalid request"), "%s", f.env.err);
  free(p);
  fx_close(&f);
}

/* A transcript in a server's own format (whatever was asked) reads as words. */
static void asr_format(fm_kind kind, const char *fmt, const char *want) {
  fixture f;
  fx_open(&f, kind, "whisper", "automatic-speech-recognition");
  fm_set_transcript(f.fm[0], "good  morning");
  fm_transcript_format(f.fm[0], fmt);
  char *p = audio_arg(&f, "rec.wav");
  cr_assert_eq(fx_run(&f, "automatic-speech-recognition"), 0, "%s: %s", fmt, f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), want, "%s", fmt);
  free(p);
  fx_close(&f);
}

Test(executors_openai, transcripts_in_each_servers_own_format_read_as_words) {
  asr_format(FM_WHISPERCPP, "text", "good morning"); /* text/html */
  asr_format(FM_WHISPERCPP, "srt", "good morning and goodbye");
  asr_format(FM_WHISPERCPP, "vtt", "good morning and goodbye");
  asr_format(FM_SPEACHES, "srt", "good morning and goodbye"); /* text/plain */
  asr_format(FM_WHISPERCPP, "verbose_json", "good morning");
  /* An HTML page (some web UI at that address) is no transcript. */
  fixture f;
  fx_open(&f, FM_SPEACHES, "whisper", "automatic-speech-recognition");
  fm_transcript_format(f.fm[0], "page");
  char *p = audio_arg(&f, "rec.wav");
  cr_assert_neq(fx_run(&f, "automatic-speech-recognition"), 0);
  cr_assert(strstr(f.env.err, "HTML page, not a transcript"), "%s", f.env.err);
  cr_assert_null(out_of(&f, "text"));
  free(p);
  fx_close(&f);
}

/* A step asking for subtitles asks the server for them (response_format srt or vtt) and keeps
 * them as the run's file, their words as the transcript; a server answering a plain transcript
 * (Ollama) or refusing the format (vLLM) fails the step, not counting against the model, so that
 * the next model makes them. */
static void asr_subtitles(fm_kind kind, const char *mode, const char *format, bool made) {
  fixture f;
  fx_open(&f, kind, "whisper", "automatic-speech-recognition");
  fm_set_transcript(f.fm[0], "good morning");
  char *p = audio_arg(&f, "rec.wav");
  if (mode)
    arg(&f, "mode", mode);
  f.env.file_format = format;
  const char *want = format ? format : !strcmp(mode, "webvtt") ? "vtt" : "srt";
  int rc = fx_run(&f, "automatic-speech-recognition");
  fake_http_request *r = last_req(&f, 0);
  char *asked = fm_form_field(r, "response_format", NULL, NULL, NULL);
  cr_assert_str_eq(asked, want);
  if (made) {
    cr_assert_eq(rc, 0, "%s", f.env.err);
    cr_assert_str_eq(out_of(&f, "text"), "good morning and goodbye");
    const char *file = out_of(&f, BATON__OUTPUT_FILE);
    cr_assert(file && baton__has_suffix_ci(file, want), "%s", file ? file : "(no file)");
    size_t len = 0;
    char *subs = bt_slurp(file, &len);
    cr_assert(strstr(subs, "00:00:01") && strstr(subs, "and goodbye"), "%s", subs);
    cr_assert(!strcmp(want, "vtt") == !strncmp(subs, "WEBVTT", 6), "%s", subs);
    free(subs);
  } else {
    cr_assert_neq(rc, 0);
    cr_assert(strstr(f.env.err, "subtitles asked for") || strstr(f.env.err, "HTTP 400"), "%s",
              f.env.err);
    cr_assert(f.env.bad_input, "held against the model: %s", f.env.err);
    cr_assert_null(out_of(&f, BATON__OUTPUT_FILE));
  }
  free(asked);
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
}

Test(executors_openai, subtitles_are_asked_of_the_server_and_kept_as_a_file) {
  asr_subtitles(FM_WHISPERCPP, "subtitles", NULL, true);
  asr_subtitles(FM_OPENAI, "webvtt", NULL, true);
  asr_subtitles(FM_SPEACHES, NULL, "srt", true);
  asr_subtitles(FM_LOCALAI, NULL, "vtt", true);
  asr_subtitles(FM_OLLAMA, "subtitles", NULL, false);
  asr_subtitles(FM_VLLM, "subtitles", NULL, false);
}

/* ---- speech ------------------------------------------------------------------------ */

static uint32_t le32_at(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

Test(executors_openai, speech_asks_wav_and_wraps_pcm_at_24khz) {
  fixture f;
  fx_open(&f, FM_KOKORO, "kokoro", "text-to-speech");
  fm_pcm_only(f.fm[0]);
  arg(&f, "text", "Hello there");
  cr_assert_eq(fx_run(&f, "text-to-speech"), 0, "%s", f.env.err);
  const char *path = out_of(&f, "audio");
  cr_assert(path && baton__has_suffix_ci(path, "/task1.wav"), "%s", path ? path : "(none)");
  size_t len = 0;
  unsigned char *w = (unsigned char *)bt_slurp(path, &len);
  cr_assert_eq(memcmp(w, "RIFF", 4), 0);
  cr_assert_eq(le32_at(w + 24), 24000);
  cr_assert_eq(le32_at(w + 40), len - 44);
  cr_assert_eq(len, 44 + 4800);
  free(w);
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "\"response_format\":\"wav\""));
  cr_assert(strstr(r->body, "\"input\":\"Hello there\""));
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_openai, kokoro_refusal_detail_reaches_the_user) {
  fixture f;
  fx_open(&f, FM_KOKORO, "my-voice-model", "text-to-speech");
  arg(&f, "text", "Hello");
  cr_assert_neq(fx_run(&f, "text-to-speech"), 0);
  cr_assert(strstr(f.env.err, "Unsupported model"), "%s", f.env.err);
  cr_assert_not(f.env.transient);
  fx_close(&f);
}

Test(executors_openai, speech_from_localai_is_saved_as_wav) {
  fixture f;
  fx_open(&f, FM_LOCALAI, "piper", "text-to-speech");
  arg(&f, "text", "Hello");
  cr_assert_eq(fx_run(&f, "text-to-speech"), 0, "%s", f.env.err);
  size_t len = 0;
  char *w = bt_slurp(out_of(&f, "audio"), &len);
  cr_assert_eq(memcmp(w, "RIFF", 4), 0);
  free(w);
  fx_close(&f);
}

/* ---- images ------------------------------------------------------------------------- */

static void check_png(fixture *f) {
  const char *path = out_of(f, "image");
  cr_assert(path && baton__has_suffix_ci(path, "/task1.png"), "%s", path ? path : "(none)");
  size_t len = 0;
  char *b = bt_slurp(path, &len);
  cr_assert_eq(len, fm_png_len);
  cr_assert_eq(memcmp(b, fm_png, len), 0);
  free(b);
}

Test(executors_openai, text_to_image_on_stable_diffusion_cpp_decodes_b64_json) {
  fixture f;
  fx_open(&f, FM_SDCPP, "sd-cpp-local", "text-to-image");
  arg(&f, "text", "a red fox");
  cr_assert_eq(fx_run(&f, "text-to-image"), 0, "%s", f.env.err);
  check_png(&f);
  fx_close(&f);
}

Test(executors_openai, text_to_image_on_localai_asks_b64_json) {
  fixture f;
  fx_open(&f, FM_LOCALAI, "sd", "text-to-image");
  arg(&f, "text", "a red fox");
  cr_assert_eq(fx_run(&f, "text-to-image"), 0, "%s", f.env.err);
  check_png(&f);
  fake_http_request *r = last_req(&f, 0);
  cr_assert(strstr(r->body, "\"response_format\":\"b64_json\""));
  fake_http_request_free(r);
  fx_close(&f);
}

Test(executors_openai, a_picture_answered_as_a_url_is_fetched_over_http_only) {
  fixture f;
  fx_open(&f, FM_LOCALAI, "sd", "text-to-image");
  fm_image_url(f.fm[0], ""); /* LocalAI's <base>/generated-images/<file>.png */
  arg(&f, "text", "a red fox");
  cr_assert_eq(fx_run(&f, "text-to-image"), 0, "%s", f.env.err);
  check_png(&f);
  fake_http_request *r = last_req(&f, 0);
  cr_assert_str_eq(r->method, "GET");
  cr_assert_str_eq(r->path, "/generated-images/b64.png");
  cr_assert_null(fake_http_request_header(r, "Authorization"), "the key went with the URL");
  fake_http_request_free(r);
  /* Refused clearly: a URL that is not http(s), one that gives no picture,
   * one that is gone. */
  fm_image_url(f.fm[0], "file:///etc/passwd");
  cr_assert_neq(fx_run(&f, "text-to-image"), 0);
  cr_assert(strstr(f.env.err, "not http(s)"), "%s", f.env.err);
  char url[200];
  snprintf(url, sizeof url, "%s/models", fm_base(f.fm[0]));
  fm_image_url(f.fm[0], url);
  cr_assert_neq(fx_run(&f, "text-to-image"), 0);
  cr_assert(strstr(f.env.err, "gave no picture (application/json)"), "%s", f.env.err);
  snprintf(url, sizeof url, "%s/generated-images/gone.png", fm_base(f.fm[0]));
  fm_image_url(f.fm[0], url);
  cr_assert_neq(fx_run(&f, "text-to-image"), 0);
  cr_assert(strstr(f.env.err, "HTTP 404"), "%s", f.env.err);
  cr_assert_null(out_of(&f, "image"));
  fx_close(&f);
}

Test(executors_openai, image_editing_uploads_the_picture_and_instruction) {
  fixture f;
  fx_open(&f, FM_SDCPP, "sd-cpp-local", "image-editing");
  char *p = png_file(&f);
  arg(&f, "image", p);
  arg(&f, "text", "make the sky purple");
  cr_assert_eq(fx_run(&f, "image-editing"), 0, "%s", f.env.err);
  check_png(&f);
  fake_http_request *r = last_req(&f, 0);
  cr_assert_str_eq(r->path, "/v1/images/edits");
  char *prompt = fm_form_field(r, "prompt", NULL, NULL, NULL);
  cr_assert_str_eq(prompt, "make the sky purple");
  free(prompt);
  fake_http_request_free(r);
  free(p);
  fx_close(&f);
}

Test(executors_openai, image_editing_on_localai_says_it_has_no_edits_route) {
  fixture f;
  fx_open(&f, FM_LOCALAI, "sd", "image-to-image");
  char *p = png_file(&f);
  arg(&f, "image", p);
  arg(&f, "text", "make it purple");
  cr_assert_neq(fx_run(&f, "image-to-image"), 0);
  cr_assert(strstr(f.env.err, "no /images/edits"), "%s", f.env.err);
  free(p);
  fx_close(&f);
}

Test(executors_openai, refuses_pictures_to_join_before_calling_the_server) {
  fixture f;
  fx_open(&f, FM_SDCPP, "sd-cpp-local", "image-to-image");
  char *p = png_file(&f);
  arg(&f, "image", p);
  cr_assert_eq(baton__values_add(&f.in, "image2", BATON__T_IMAGE, p), 0);
  arg(&f, "instruction", "stitch them together");
  cr_assert_neq(fx_run(&f, "image-to-image"), 0);
  cr_assert(strstr(f.env.err, "sd-cpp-local takes one picture") &&
                strstr(f.env.err, "local vips executor"),
            "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 0, "the server was called");
  free(p);
  fx_close(&f);
}

/* ---- embeddings ----------------------------------------------------------------------- */

Test(executors_openai, sentence_similarity_is_the_cosine_against_each_sentence) {
  fixture f;
  fx_open(&f, FM_TEI, "bge", "sentence-similarity");
  arg(&f, "text", "abc");
  arg(&f, "sentences", "[\"abc\",\"xyz\"]");
  cr_assert_eq(fx_run(&f, "sentence-similarity"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "1.00, 0.00");
  cr_assert_str_eq(out_of(&f, "json"), "[1,0]");
  fx_close(&f);
}

Test(executors_openai, tei_batch_limit_is_respected_by_splitting) {
  fixture f;
  fx_open(&f, FM_TEI, "bge", "sentence-similarity");
  arg(&f, "text", "abc");
  baton__sb s;
  baton__sb_init(&s);
  for (int i = 0; i < 40; i++)
    baton__sb_addf(&s, "sentence %d\n", i);
  arg(&f, "sentences", s.buf);
  baton__sb_release(&s);
  cr_assert_eq(fx_run(&f, "sentence-similarity"), 0, "%s", f.env.err);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 2);
  cJSON *j = cJSON_Parse(out_of(&f, "json"));
  cr_assert_eq(cJSON_GetArraySize(j), 40);
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_openai, tei_flat_errors_reach_the_user) {
  fixture f;
  fx_open(&f, FM_TEI, "bge", "feature-extraction");
  fm_push_failure(f.fm[0], 424, NULL,
                  "{\"message\":\"inference failed: out of memory\",\"code\":424,\"type\":\"backend\"}");
  arg(&f, "text", "abc");
  cr_assert_neq(fx_run(&f, "feature-extraction"), 0);
  cr_assert(strstr(f.env.err, "HTTP 424: inference failed: out of memory"), "%s", f.env.err);
  cr_assert_eq(fx_run(&f, "feature-extraction"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "embedding of shape 1x26");
  fx_close(&f);
}

Test(executors_openai, vllm_flat_errors_reach_the_user) {
  fixture f;
  fx_open(&f, FM_VLLM, "qwen", "summarization");
  fm_push_failure(f.fm[0], 400, NULL,
                  "{\"object\":\"error\",\"message\":\"This model's maximum context length is "
                  "4096 tokens\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
  arg(&f, "text", "a long text");
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(strstr(f.env.err, "HTTP 400: This model's maximum context length is 4096 tokens "
                              "(type BadRequestError, code 400)"),
            "%s", f.env.err);
  cr_assert_not(f.env.transient, "a refused request is not retried elsewhere");
  fx_close(&f);
}

/* ---- replicas, limits and keys ----------------------------------------------------------- */

Test(executors_openai, a_replica_refusing_connections_fails_over_to_the_other) {
  fixture f;
  fx_open2(&f, FM_LLAMACPP, FM_VLLM, "qwen", "summarization", 4);
  fm_set_answer(f.fm[1], "from b");
  fm_stop(f.fm[0]); /* a: nothing listens any more */
  f.fm[0] = NULL;
  arg(&f, "text", "text");
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
    cr_assert_str_eq(out_of(&f, "text"), "from b");
    cr_assert_str_eq(f.env.answered, "b");
  }
  fx_close(&f);
}

/* The health the pool keeps of endpoint i. */
static baton__endpoint_health health(fixture *f, size_t i) {
  baton__endpoint_health h[2];
  cr_assert_gt(baton__pool_snapshot(f->pool, h, 2), i);
  return h[i];
}

/* A 200 whose body is an error object is judged by the error's kind: a server that is loading or
 * overloaded (llama.cpp's unavailable_error, a code of 503) is the endpoint's, so the task moves
 * to the other replica and the first is marked down. */
Test(executors_openai, a_200_saying_the_server_is_unavailable_counts_against_the_endpoint) {
  fixture f;
  fx_open2(&f, FM_LLAMACPP, FM_VLLM, "qwen", "summarization", 4);
  fm_set_answer(f.fm[1], "from b");
  fm_push_failure(f.fm[0], 200, NULL,
                  "{\"error\":{\"code\":503,\"message\":\"Loading model\","
                  "\"type\":\"unavailable_error\"}}");
  arg(&f, "text", "text");
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  cr_assert_str_eq(out_of(&f, "text"), "from b");
  baton__endpoint_health a = health(&f, 0);
  cr_assert_eq(a.requests, 1, "a (first in the config, both idle) was asked first");
  cr_assert_not(a.up, "a 200 saying the server is loading left it up");
  cr_assert(strstr(a.last_error, "HTTP 200 with an error: Loading model"), "%s", a.last_error);
  cr_assert_eq(a.client_errors, 0, "held against the model");
  fx_close(&f);
}

/* One saying the model is unknown, or the input is wrong, is not the endpoint's: it stays up; an
 * unknown model fails the task on the model, a refused input only the task. */
Test(executors_openai, a_200_saying_the_model_or_input_is_wrong_leaves_the_endpoint_up) {
  fixture f;
  fx_open(&f, FM_LOCALAI, "qwen", "summarization");
  fm_push_failure(f.fm[0], 200, NULL,
                  "{\"error\":{\"code\":404,\"message\":\"model qwen not found\","
                  "\"type\":\"\"}}");
  arg(&f, "text", "text");
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(strstr(f.env.err, "HTTP 200 with an error: model qwen not found"), "%s", f.env.err);
  cr_assert_not(f.env.bad_input);
  cr_assert_not(f.env.transient);
  baton__endpoint_health h = health(&f, 0);
  cr_assert(h.up);
  cr_assert_eq(h.down, 0);
  cr_assert_eq(h.client_errors, 1, "the model's failure was not counted");
  fm_push_failure(f.fm[0], 200, NULL,
                  "{\"error\":{\"message\":\"the prompt is longer than the context\","
                  "\"type\":\"exceed_context_size_error\"}}");
  cr_assert_neq(fx_run(&f, "summarization"), 0);
  cr_assert(f.env.bad_input, "a refused input is the task's: %s", f.env.err);
  h = health(&f, 0);
  cr_assert(h.up);
  cr_assert_eq(h.client_errors, 1, "the input's fault was held against the model");
  fx_close(&f);
}

Test(executors_openai, rate_limit_retry_after_is_waited_then_served) {
  fixture f;
  fx_open(&f, FM_OPENAI, "gpt", "summarization");
  fm_push_failure(f.fm[0], 429, "Retry-After: 1\r\n",
                  "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
  fm_set_answer(f.fm[0], "ok");
  arg(&f, "text", "text");
  int64_t t0 = baton__now_ms();
  cr_assert_eq(fx_run(&f, "summarization"), 0, "%s", f.env.err);
  cr_assert_geq(baton__now_ms() - t0, 900);
  cr_assert_str_eq(out_of(&f, "text"), "ok");
  fx_close(&f);
}

typedef struct par {
  fixture *f;
  int rc;
  char err[512];
} par;

static void *one_task(void *arg) {
  par *p = arg;
  baton__exec_env env = p->f->env;
  baton__values in = {0}, out = {0};
  baton__values_add(&in, "text", BATON__T_TEXT, "text");
  p->rc = baton__executor_openai.run(p->f->state, "summarization", &in, &env, &out);
  baton__fmt(p->err, sizeof p->err, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return NULL;
}

Test(executors_openai, max_inflight_holds_and_busy_tasks_wait_instead_of_failing) {
  fixture f;
  fx_open2(&f, FM_LLAMACPP, -1, "qwen", "summarization", 2);
  fm_set_delay(f.fm[0], 80);
  pthread_t th[6];
  par p[6];
  for (int i = 0; i < 6; i++) {
    p[i] = (par){.f = &f};
    cr_assert_eq(pthread_create(&th[i], NULL, one_task, &p[i]), 0);
  }
  for (int i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(p[i].rc, 0, "%s", p[i].err);
  }
  cr_assert_eq(fm_max_concurrent(f.fm[0]), 2);
  cr_assert_eq(fm_served(f.fm[0]), 6);
  fx_close(&f);
}

Test(executors_openai, each_key_goes_to_its_own_endpoint_only_and_never_into_errors) {
  fixture f;
  fx_open2(&f, FM_OPENAI, FM_OPENAI, "gpt", "summarization", 4);
  fm_push_failure(f.fm[0], 401, NULL, "{\"error\":{\"message\":\"Incorrect API key provided: "
                                      KEY_A "\",\"type\":\"invalid_request_error\"}}");
  arg(&f, "text", "text");
  fx_run(&f, "summarization");
  cr_assert_null(strstr(f.env.err, KEY_A), "%s", f.env.err);
  for (int i = 0; i < 4; i++)
    fx_run(&f, "summarization");
  for (int s = 0; s < 2; s++) {
    fake_http *h = fm_http(f.fm[s]);
    cr_assert_gt(fake_http_request_count(h), 0);
    for (size_t k = 0; k < fake_http_request_count(h); k++) {
      fake_http_request *r = fake_http_request_get(h, k);
      const char *auth = fake_http_request_header(r, "Authorization");
      cr_assert_str_eq(auth, s ? "Bearer " KEY_B : "Bearer " KEY_A);
      fake_http_request_free(r);
    }
  }
  fx_close(&f);
}

Test(executors_openai, a_picture_over_the_inline_bound_needs_a_resizer) {
  fixture f;
  fx_open(&f, FM_OLLAMA, "llava", "image-to-text");
  char *p = baton__path_join(f.dir, "big.png");
  FILE *fp = fopen(p, "wb");
  cr_assert_not_null(fp);
  fwrite(fm_png, 1, fm_png_len, fp);
  cr_assert_eq(ftruncate(fileno(fp), 9L << 20), 0);
  fclose(fp);
  arg(&f, "image", p);
  cr_assert_neq(fx_run(&f, "image-to-text"), 0);
  cr_assert(strstr(f.env.err, "larger than 8 MiB") && strstr(f.env.err, "no resizer"), "%s",
            f.env.err);
  cr_assert_eq(fake_http_request_count(fm_http(f.fm[0])), 0);
  free(p);
  fx_close(&f);
}

/* core/task_kinds.c's list (what an endpoint may declare) is exactly this executor's task kinds,
 * served or known unservable. */
Test(executors_openai, the_config_knows_exactly_the_task_kinds_of_the_executor) {
  for (size_t i = 0; baton__oai_task_names[i]; i++)
    cr_assert(baton__task_kind_known(baton__oai_task_names[i]), "%s", baton__oai_task_names[i]);
  char why[512];
  for (size_t i = 0; baton__task_kinds[i]; i++)
    cr_assert(baton__oai_task_find(baton__task_kinds[i]) ||
                  (baton__oai_unserved(baton__task_kinds[i], why, sizeof why) &&
                   strstr(why, "no OpenAI-compatible endpoint returns")),
              "%s", baton__task_kinds[i]);
}
