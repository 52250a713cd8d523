/* test_hf_cassettes.c — conformance of the hf-inference executor against every recorded Hugging Face exchange, replayed on loopback. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base64.h"
#include "core/util.h"
#include "executors/executor.h"
#include "executors/hf.h"
#include "support/cassette.h"
#include "support/fake_http.h"
#include "support/support.h"
#include "core/banned.h"

#define TOKEN "hf_test_token_123"

/* ---- the replay server ------------------------------------------------------ */

/* The path the current API uses for a recorded one: the March 2025 form
 * /hf-inference/pipeline/{task}/{id} is today /hf-inference/models/{id}/pipeline/{task}. */
static char *current_path(const char *recorded) {
  const char *pre = "/hf-inference/pipeline/";
  baton__sb sb;
  baton__sb_init(&sb);
  if (strncmp(recorded, pre, strlen(pre)) == 0) {
    const char *task = recorded + strlen(pre);
    const char *slash = strchr(task, '/');
    cr_assert_not_null(slash);
    baton__sb_addf(&sb, "/hf-inference/models/%s/pipeline/%.*s", slash + 1, (int)(slash - task),
                   task);
  } else {
    baton__sb_adds(&sb, recorded);
  }
  return baton__sb_detach(&sb);
}

/* Serves the recorded answer of the exchange matching method and path. */
static void replay(const fake_http_request *req, fake_http_response *resp, void *ud) {
  const bt_cassette *c = ud;
  for (size_t i = 0; i < c->n; i++) {
    const bt_exchange *e = &c->ex[i];
    char *p = current_path(e->path);
    bool hit = strcmp(e->method, req->method) == 0 && strcmp(p, req->path) == 0;
    free(p);
    if (!hit)
      continue;
    resp->status = e->status;
    resp->content_type = bt_exchange_resp_header(e, "Content-Type");
    if (e->resp_body.len) {
      resp->body = e->resp_body.data;
      resp->body_len = e->resp_body.len;
    }
    return;
  }
  resp->status = 404;
  resp->body = "{\"error\":\"replay: nothing recorded for this method and path\"}";
}

typedef struct fixture {
  bt_cassette *cas;
  const bt_exchange *post; /* the recorded inference call */
  char *want_path;         /* the path the executor must use */
  char *model;
  fake_http *srv;
  char base[128];
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
  void *state;
  char *dir;
  baton__values in, out;
} fixture;

static void fx_open(fixture *f, const char *file) {
  memset(f, 0, sizeof *f);
  char rel[256];
  baton__fmt(rel, sizeof rel, "hf-cassettes/%s", file);
  char *path = bt_shared_data(rel);
  BT_SKIP_IF_NO_SHARED(path, rel);
  if (!baton__file_exists(path)) {
    free(path);
    path = NULL;
    BT_SKIP_IF_NO_SHARED(path, rel);
  }
  char err[512] = "";
  f->cas = bt_cassette_load(path, err, sizeof err);
  free(path);
  cr_assert_not_null(f->cas, "%s", err);
  f->post = bt_cassette_find(f->cas, "POST", "/hf-inference/");
  cr_assert_not_null(f->post, "%s has no inference call", file);
  f->want_path = current_path(f->post->path);
  const char *m = strstr(f->want_path, "/models/");
  cr_assert_not_null(m);
  m += strlen("/models/");
  const char *end = strstr(m, "/pipeline/");
  f->model = baton__strndup(m, end ? (size_t)(end - m) : strlen(m));

  f->srv = fake_http_start();
  cr_assert_not_null(f->srv);
  fake_http_set_handler(f->srv, replay, f->cas);
  baton__fmt(f->base, sizeof f->base, "%s/hf-inference", fake_http_url(f->srv));
  f->cfg.hf_token = TOKEN;
  f->cfg.hf_base_url = f->base;
  f->cfg.max_input_bytes = 32u << 20;
  f->dir = bt_tmpdir();
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = f->dir;
  f->env.file_prefix = "task3";
  f->env.cancel = &f->cancel;
  f->env.model = f->model;
  f->env.endpoint = "hf-inference";
  f->env.timeout_ms = 20000;
  cr_assert_eq(baton__executor_hf.init(&f->cfg, &f->state, err, sizeof err), 0, "%s", err);
}

static void fx_close(fixture *f) {
  baton__executor_hf.release(f->state);
  fake_http_stop(f->srv);
  baton__values_release(&f->in);
  baton__values_release(&f->out);
  bt_rmtree(f->dir);
  free(f->dir);
  free(f->want_path);
  free(f->model);
  bt_cassette_free(f->cas);
}

/* Runs the executor; asserts success. */
static void fx_run(fixture *f, const char *task) {
  f->env.err[0] = '\0';
  int rc = baton__executor_hf.run(f->state, task, &f->in, &f->env, &f->out);
  cr_assert_eq(rc, 0, "%s failed: %s", task, f->env.err);
}

/* The one request the executor sent, checked for method, path and auth;
 * Content-Type must start with ctype. Caller frees. */
static fake_http_request *sent(fixture *f, const char *ctype) {
  cr_assert_eq(fake_http_request_count(f->srv), 1, "expected exactly one request");
  fake_http_request *r = fake_http_request_get(f->srv, 0);
  cr_assert_str_eq(r->method, "POST");
  cr_assert_str_eq(r->path, f->want_path);
  cr_assert_str_eq(fake_http_request_header(r, "Authorization"), "Bearer " TOKEN);
  const char *ct = fake_http_request_header(r, "Content-Type");
  cr_assert_not_null(ct);
  cr_assert(strncmp(ct, ctype, strlen(ctype)) == 0, "Content-Type %s, wanted %s", ct, ctype);
  return r;
}

/* The sent JSON body must equal the recorded one. */
static void sent_json_equals_recorded(fixture *f) {
  fake_http_request *r = sent(f, "application/json");
  cJSON *got = cJSON_Parse(r->body);
  cJSON *want = cJSON_Parse(f->post->req_body.data);
  cr_assert_not_null(got, "body is not JSON: %.200s", r->body);
  cr_assert_not_null(want);
  cr_assert(cJSON_Compare(got, want, true), "sent %.300s\nrecorded %.300s", r->body,
            f->post->req_body.data);
  cJSON_Delete(got);
  cJSON_Delete(want);
  fake_http_request_free(r);
}

/* The sent body must be the recorded raw bytes, typed as ctype. */
static void sent_raw_equals_recorded(fixture *f, const char *ctype) {
  cr_assert(f->post->req_body.binary, "the recording has no raw body");
  fake_http_request *r = sent(f, ctype);
  cr_assert_eq(r->body_len, f->post->req_body.len);
  cr_assert(memcmp(r->body, f->post->req_body.data, r->body_len) == 0, "raw body differs");
  fake_http_request_free(r);
}

/* Writes bytes into the fixture's folder; returns the path (caller frees). */
static char *write_input(fixture *f, const char *name, const void *data, size_t len) {
  char *p = baton__path_join(f->dir, name);
  char err[256];
  cr_assert_eq(baton__write_file(p, data, len, err, sizeof err), 0, "%s", err);
  return p;
}

/* The recorded raw request body as an input file. */
static void raw_input(fixture *f, const char *argname, unsigned type, const char *name) {
  char *p = write_input(f, name, f->post->req_body.data, f->post->req_body.len);
  cr_assert_eq(baton__values_add_own(&f->in, argname, type, p), 0);
}

/* The recorded request as JSON (caller deletes). */
static cJSON *recorded_request(fixture *f) {
  cJSON *j = cJSON_Parse(f->post->req_body.data);
  cr_assert_not_null(j, "recorded request is not JSON");
  return j;
}

/* A base64 string from the recording, decoded into an input file. */
static void b64_input(fixture *f, const char *b64, const char *name) {
  size_t len = 0;
  unsigned char *bytes = baton__b64_decode(b64, strlen(b64), &len);
  cr_assert_not_null(bytes);
  char *p = write_input(f, name, bytes, len);
  free(bytes);
  cr_assert_eq(baton__values_add_own(&f->in, "image", BATON__T_IMAGE, p), 0);
}

static const char *out_text(fixture *f) {
  const baton__value *v = baton__values_get(&f->out, "text");
  cr_assert_not_null(v, "no text output");
  cr_assert_eq(v->type, BATON__T_TEXT);
  return v->data;
}

/* The "json" output, parsed (caller deletes). */
static cJSON *out_json(fixture *f) {
  const baton__value *v = baton__values_get(&f->out, "json");
  cr_assert_not_null(v, "no json output");
  cr_assert_eq(v->type, BATON__T_JSON);
  cJSON *j = cJSON_Parse(v->data);
  cr_assert_not_null(j, "json output does not parse: %.200s", v->data);
  return j;
}

/* The recorded response as JSON (caller deletes). */
static cJSON *recorded_response(fixture *f) {
  cJSON *j = cJSON_ParseWithLength(f->post->resp_body.data, f->post->resp_body.len);
  cr_assert_not_null(j);
  return j;
}

/* A file output: absolute, inside the workspace, named prefix.ext, of size. */
static void check_file_output(fixture *f, const char *key, unsigned type, const char *want_name,
                              size_t want_size) {
  const baton__value *v = baton__values_get(&f->out, key);
  cr_assert_not_null(v, "no %s output", key);
  cr_assert_eq(v->type, type);
  cr_assert_eq(v->data[0], '/', "not absolute: %s", v->data);
  char *want = baton__path_join(f->dir, want_name);
  cr_assert_str_eq(v->data, want);
  free(want);
  struct stat st;
  cr_assert_eq(stat(v->data, &st), 0, "%s missing", v->data);
  cr_assert_eq((size_t)st.st_size, want_size);
}

static double score_of(const cJSON *o) {
  return cJSON_GetObjectItemCaseSensitive(o, "score")->valuedouble;
}

/* ---- text tasks ------------------------------------------------------------- */

Test(executors_hf_cassettes, summarization_sends_inputs_and_returns_the_summary_text) {
  fixture f;
  fx_open(&f, "summarization.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 "The sky is blue, the tree is green."), 0);
  fx_run(&f, "summarization");
  sent_json_equals_recorded(&f);
  cJSON *rec = recorded_response(&f);
  char *want = baton__strdup(cJSON_GetArrayItem(rec, 0)->child->valuestring);
  cr_assert_str_eq(out_text(&f), baton__trim(want));
  free(want);
  cJSON_Delete(rec);
  fx_close(&f);
}

Test(executors_hf_cassettes, text_classification_unwraps_the_nested_list_to_the_top_label) {
  fixture f;
  fx_open(&f, "text-classification.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "I like you"), 0);
  fx_run(&f, "text-classification");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "POSITIVE (1.00)");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 2);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "label")->valuestring,
                   "NEGATIVE");
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, token_classification_lists_the_entity_groups) {
  fixture f;
  fx_open(&f, "token-classification.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 "My name is Sarah Jessica Parker but you can call me Jessica"),
               0);
  fx_run(&f, "token-classification");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "Sarah Jessica Parker (PER), Jessica (PER)");
  cJSON *j = out_json(&f);
  cJSON *rec = recorded_response(&f);
  cr_assert(cJSON_Compare(j, rec, true));
  cJSON_Delete(j);
  cJSON_Delete(rec);
  fx_close(&f);
}

Test(executors_hf_cassettes, translation_without_languages_sends_empty_parameters) {
  fixture f;
  fx_open(&f, "translation.yaml");
  cr_assert_str_eq(f.model, "t5-small");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hello world"), 0);
  fx_run(&f, "translation");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "Hallo Welt");
  fx_close(&f);
}

Test(executors_hf_cassettes, translation_passes_src_lang_and_tgt_lang_as_parameters) {
  fixture f;
  fx_open(&f, "translation-with-source-and-target-language.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hello world"), 0);
  cr_assert_eq(baton__values_add(&f.in, "src_lang", 0, "en_XX"), 0);
  cr_assert_eq(baton__values_add(&f.in, "tgt_lang", 0, "fr_XX"), 0);
  fx_run(&f, "translation");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "Hello world");
  fx_close(&f);
}

/* Zero-shot: the recorded text and labels, multi_label as given. */
static void zero_shot(const char *file, const char *multi, const char *want_top) {
  fixture f;
  fx_open(&f, file);
  cJSON *rq = recorded_request(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 cJSON_GetObjectItem(rq, "inputs")->valuestring), 0);
  baton__sb labels;
  baton__sb_init(&labels);
  const cJSON *l;
  cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(rq, "parameters"),
                                            "candidate_labels"))
      baton__sb_addf(&labels, "%s%s", labels.len ? ", " : "", l->valuestring);
  cr_assert_eq(baton__values_add(&f.in, "labels", 0, labels.buf), 0);
  baton__sb_release(&labels);
  cr_assert_eq(baton__values_add(&f.in, "multi_label", 0, multi), 0);
  cJSON_Delete(rq);
  fx_run(&f, "zero-shot-classification");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), want_top);
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 5);
  for (int i = 1; i < 5; i++)
    cr_assert_geq(score_of(cJSON_GetArrayItem(j, i - 1)), score_of(cJSON_GetArrayItem(j, i)));
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, zero_shot_multi_label_reads_the_legacy_labels_and_scores_shape) {
  zero_shot("zero-shot-classification-multi-label.yaml", "true", "scientific discovery (0.98)");
}

Test(executors_hf_cassettes, zero_shot_single_label_reads_the_legacy_labels_and_scores_shape) {
  zero_shot("zero-shot-classification-single-label.yaml", "false",
            "scientific discovery (0.80)");
}

Test(executors_hf_cassettes, sentence_similarity_uses_the_pipeline_route_and_returns_scores) {
  fixture f;
  fx_open(&f, "sentence-similarity.yaml");
  cr_assert(strstr(f.want_path, "/pipeline/sentence-similarity"));
  cJSON *rq = recorded_request(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 cJSON_GetObjectItem(rq, "source_sentence")->valuestring), 0);
  cJSON *sents = cJSON_GetObjectItem(rq, "sentences");
  char *sj = cJSON_PrintUnformatted(sents);
  cr_assert_eq(baton__values_add_own(&f.in, "sentences", 0, sj), 0);
  fx_run(&f, "sentence-similarity");
  /* Today's spec form: both sentences under "inputs". */
  fake_http_request *r = sent(&f, "application/json");
  cJSON *body = cJSON_Parse(r->body);
  cJSON *inputs = cJSON_GetObjectItem(body, "inputs");
  cr_assert(cJSON_IsObject(inputs), "inputs is not an object: %.200s", r->body);
  cr_assert_str_eq(cJSON_GetObjectItem(inputs, "source_sentence")->valuestring,
                   cJSON_GetObjectItem(rq, "source_sentence")->valuestring);
  cr_assert(cJSON_Compare(cJSON_GetObjectItem(inputs, "sentences"), sents, true));
  cJSON_Delete(body);
  fake_http_request_free(r);
  cJSON_Delete(rq);
  cr_assert_str_eq(out_text(&f), "0.78, 0.46, 0.29");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 3);
  cr_assert(fabs(cJSON_GetArrayItem(j, 0)->valuedouble - 0.7785724997520447) < 1e-9);
  cJSON_Delete(j);
  fx_close(&f);
}

/* Feature extraction: the pipeline route, the recorded body, the tensor back. */
static void feature_extraction(const char *file) {
  fixture f;
  fx_open(&f, file);
  cr_assert(strstr(f.want_path, "/models/facebook/bart-base/pipeline/feature-extraction"));
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hi, who are you?"), 0);
  fx_run(&f, "feature-extraction");
  sent_json_equals_recorded(&f);
  cJSON *j = out_json(&f);
  cJSON *rec = recorded_response(&f);
  cr_assert(cJSON_Compare(j, rec, true), "the embedding changed on the way");
  cJSON *row = cJSON_GetArrayItem(cJSON_GetArrayItem(j, 0), 0);
  char want[64];
  baton__fmt(want, sizeof want, "embedding of shape 1x%dx%d",
             cJSON_GetArraySize(cJSON_GetArrayItem(j, 0)), cJSON_GetArraySize(row));
  cr_assert_str_eq(out_text(&f), want);
  cJSON_Delete(j);
  cJSON_Delete(rec);
  fx_close(&f);
}

Test(executors_hf_cassettes, feature_extraction_with_transformers_returns_the_tensor) {
  feature_extraction("feature-extraction-with-transformers.yaml");
}

Test(executors_hf_cassettes, feature_extraction_with_sentence_transformers_returns_the_tensor) {
  feature_extraction("feature-extraction-with-sentence-transformers.yaml");
}

Test(executors_hf_cassettes, table_question_answering_sends_query_and_table_as_inputs) {
  fixture f;
  fx_open(&f, "table-question-answering.yaml");
  cJSON *rq = recorded_request(&f);
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 cJSON_GetObjectItem(rq, "query")->valuestring), 0);
  cJSON *table = cJSON_GetObjectItem(rq, "table");
  cr_assert_eq(baton__values_add_own(&f.in, "table", 0, cJSON_PrintUnformatted(table)), 0);
  fx_run(&f, "table-question-answering");
  fake_http_request *r = sent(&f, "application/json");
  cJSON *body = cJSON_Parse(r->body);
  cJSON *inputs = cJSON_GetObjectItem(body, "inputs");
  cr_assert(cJSON_IsObject(inputs), "inputs is not an object: %.200s", r->body);
  cr_assert_str_eq(cJSON_GetObjectItem(inputs, "query")->valuestring,
                   cJSON_GetObjectItem(rq, "query")->valuestring);
  cr_assert(cJSON_Compare(cJSON_GetObjectItem(inputs, "table"), table, true));
  cJSON_Delete(body);
  fake_http_request_free(r);
  cJSON_Delete(rq);
  cr_assert_str_eq(out_text(&f), "AVERAGE > 36542");
  cJSON *j = out_json(&f);
  cr_assert_str_eq(cJSON_GetObjectItem(j, "aggregator")->valuestring, "AVERAGE");
  cJSON_Delete(j);
  fx_close(&f);
}

/* ---- binary outputs --------------------------------------------------------- */

Test(executors_hf_cassettes, text_to_image_saves_the_jpeg_body_as_task_jpg) {
  fixture f;
  fx_open(&f, "text-to-image-default.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 "An astronaut riding a horse on the moon."), 0);
  fx_run(&f, "text-to-image");
  sent_json_equals_recorded(&f);
  fake_http_request *r = fake_http_request_get(f.srv, 0);
  cr_assert_str_eq(fake_http_request_header(r, "Accept"), "image/png");
  fake_http_request_free(r);
  cr_assert(f.post->resp_body.binary);
  check_file_output(&f, "image", BATON__T_IMAGE, "task3.jpg", f.post->resp_body.len);
  fx_close(&f);
}

Test(executors_hf_cassettes, text_to_speech_saves_the_flac_body_as_task_flac) {
  fixture f;
  fx_open(&f, "text-to-speech.yaml");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, "Hello world"), 0);
  fx_run(&f, "text-to-speech");
  sent_json_equals_recorded(&f);
  check_file_output(&f, "audio", BATON__T_AUDIO, "task3.flac", f.post->resp_body.len);
  fx_close(&f);
}

/* ---- image inputs ----------------------------------------------------------- */

Test(executors_hf_cassettes, image_classification_posts_the_raw_png_and_reads_the_top_label) {
  fixture f;
  fx_open(&f, "image-classification.yaml");
  raw_input(&f, "image", BATON__T_IMAGE, "photo.png");
  fx_run(&f, "image-classification");
  sent_raw_equals_recorded(&f, "image/png");
  cr_assert_str_eq(out_text(&f), "brassiere, bra, bandeau (0.12)");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 5);
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, object_detection_returns_every_box) {
  fixture f;
  fx_open(&f, "object-detection.yaml");
  raw_input(&f, "image", BATON__T_IMAGE, "photo.png");
  fx_run(&f, "object-detection");
  sent_raw_equals_recorded(&f, "image/png");
  cr_assert_str_eq(out_text(&f), "3 objects: person (0.95), umbrella (0.57), person (0.51)");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 3);
  cJSON *box = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "box");
  cr_assert_eq(cJSON_GetObjectItem(box, "xmin")->valueint, 59);
  cr_assert_eq(cJSON_GetObjectItem(box, "ymax")->valueint, 510);
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, image_segmentation_saves_each_mask_as_a_png) {
  fixture f;
  fx_open(&f, "image-segmentation.yaml");
  raw_input(&f, "image", BATON__T_IMAGE, "photo.png");
  fx_run(&f, "image-segmentation");
  sent_raw_equals_recorded(&f, "image/png");
  cJSON *rec = recorded_response(&f);
  cJSON *j = out_json(&f);
  int n = cJSON_GetArraySize(rec);
  cr_assert_gt(n, 0);
  cr_assert_eq(cJSON_GetArraySize(j), n);
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_GetArrayItem(j, i), *r = cJSON_GetArrayItem(rec, i);
    cr_assert_str_eq(cJSON_GetObjectItem(o, "label")->valuestring,
                     cJSON_GetObjectItem(r, "label")->valuestring);
    char name[64];
    baton__fmt(name, sizeof name, "task3-mask%d.png", i + 1);
    char *want = baton__path_join(f.dir, name);
    cr_assert_str_eq(cJSON_GetObjectItem(o, "mask")->valuestring, want);
    size_t len = 0;
    const char *b64 = cJSON_GetObjectItem(r, "mask")->valuestring;
    unsigned char *png = baton__b64_decode(b64, strlen(b64), &len);
    size_t got_len = 0;
    char *got = bt_slurp(want, &got_len);
    cr_assert_eq(got_len, len);
    cr_assert(memcmp(got, png, len) == 0);
    cr_assert(memcmp(got, "\x89PNG", 4) == 0);
    free(got);
    free(png);
    free(want);
  }
  const baton__value *img = baton__values_get(&f.out, "image");
  cr_assert_not_null(img);
  cr_assert(baton__has_suffix_ci(img->data, "task3-mask1.png"));
  cJSON_Delete(j);
  cJSON_Delete(rec);
  fx_close(&f);
}

Test(executors_hf_cassettes, image_to_text_reads_the_generated_caption) {
  fixture f;
  fx_open(&f, "image-to-text.yaml");
  raw_input(&f, "image", BATON__T_IMAGE, "photo.png");
  fx_run(&f, "image-to-text");
  sent_raw_equals_recorded(&f, "image/png");
  cr_assert_str_eq(out_text(&f), "a woman in a hat and dress posing for a photo");
  fx_close(&f);
}

Test(executors_hf_cassettes, zero_shot_image_classification_sends_base64_with_labels) {
  fixture f;
  fx_open(&f, "zero-shot-image-classification.yaml");
  cJSON *rq = recorded_request(&f);
  b64_input(&f, cJSON_GetObjectItem(rq, "inputs")->valuestring, "photo.png");
  cr_assert_eq(baton__values_add(&f.in, "labels", 0, "tree, woman, cat"), 0);
  cJSON_Delete(rq);
  fx_run(&f, "zero-shot-image-classification");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "woman (1.00)");
  fx_close(&f);
}

Test(executors_hf_cassettes, visual_question_answering_sends_image_and_question_as_inputs) {
  fixture f;
  fx_open(&f, "visual-question-answering.yaml");
  cJSON *rq = recorded_request(&f);
  const char *img = cJSON_GetObjectItem(rq, "image")->valuestring;
  const char *q = cJSON_GetObjectItem(rq, "question")->valuestring;
  b64_input(&f, img, "photo.png");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT, q), 0);
  fx_run(&f, "visual-question-answering");
  /* The spec form {"inputs":{"image","question"}} carrying the recorded values. */
  fake_http_request *r = sent(&f, "application/json");
  cJSON *body = cJSON_Parse(r->body);
  cJSON *inputs = cJSON_GetObjectItem(body, "inputs");
  cr_assert(cJSON_IsObject(inputs));
  cr_assert_str_eq(cJSON_GetObjectItem(inputs, "image")->valuestring, img);
  cr_assert_str_eq(cJSON_GetObjectItem(inputs, "question")->valuestring, q);
  cJSON_Delete(body);
  fake_http_request_free(r);
  cJSON_Delete(rq);
  cr_assert_str_eq(out_text(&f), "woman");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 5);
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, document_question_answering_reads_a_donut_answer_without_score) {
  fixture f;
  fx_open(&f, "document-question-answering.yaml");
  cJSON *rq = recorded_request(&f);
  cJSON *inputs = cJSON_GetObjectItem(rq, "inputs");
  b64_input(&f, cJSON_GetObjectItem(inputs, "image")->valuestring, "invoice.jpg");
  cr_assert_eq(baton__values_add(&f.in, "text", BATON__T_TEXT,
                                 cJSON_GetObjectItem(inputs, "question")->valuestring), 0);
  cJSON_Delete(rq);
  fx_run(&f, "document-question-answering");
  sent_json_equals_recorded(&f);
  cr_assert_str_eq(out_text(&f), "$1,0000,000,00");
  fx_close(&f);
}

/* ---- audio inputs ----------------------------------------------------------- */

Test(executors_hf_cassettes, speech_recognition_posts_raw_flac_and_returns_the_transcript) {
  fixture f;
  fx_open(&f, "automatic-speech-recognition.yaml");
  raw_input(&f, "audio", BATON__T_AUDIO, "speech.flac");
  fx_run(&f, "automatic-speech-recognition");
  sent_raw_equals_recorded(&f, "audio/flac");
  cr_assert_str_eq(out_text(&f), "a man said to the universe sir i exist");
  fx_close(&f);
}

Test(executors_hf_cassettes, audio_classification_posts_raw_flac_and_reads_the_top_label) {
  fixture f;
  fx_open(&f, "audio-classification.yaml");
  raw_input(&f, "audio", BATON__T_AUDIO, "speech.flac");
  fx_run(&f, "audio-classification");
  sent_raw_equals_recorded(&f, "audio/flac");
  cr_assert_str_eq(out_text(&f), "male (1.00)");
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 2);
  cJSON_Delete(j);
  fx_close(&f);
}

Test(executors_hf_cassettes, audio_to_audio_saves_every_returned_track_as_flac) {
  fixture f;
  fx_open(&f, "audio-to-audio.yaml");
  raw_input(&f, "audio", BATON__T_AUDIO, "speech.flac");
  fx_run(&f, "audio-to-audio");
  sent_raw_equals_recorded(&f, "audio/flac");
  cJSON *rec = recorded_response(&f);
  cr_assert_eq(cJSON_GetArraySize(rec), 2);
  const char *b64 = cJSON_GetObjectItem(cJSON_GetArrayItem(rec, 0), "blob")->valuestring;
  size_t len = 0;
  unsigned char *first = baton__b64_decode(b64, strlen(b64), &len);
  free(first);
  check_file_output(&f, "audio", BATON__T_AUDIO, "task3.flac", len);
  cJSON *j = out_json(&f);
  cr_assert_eq(cJSON_GetArraySize(j), 2);
  const char *second = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "audio")->valuestring;
  cr_assert(baton__has_suffix_ci(second, "/task3-2.flac"), "%s", second);
  cr_assert(baton__file_exists(second));
  cJSON_Delete(j);
  cJSON_Delete(rec);
  fx_close(&f);
}

/* ---- coverage --------------------------------------------------------------- */

Test(executors_hf_cassettes, every_recorded_inference_cassette_has_a_replay_test) {
  static const char *const covered[] = {
      "audio-classification.yaml", "audio-to-audio.yaml", "automatic-speech-recognition.yaml",
      "document-question-answering.yaml", "feature-extraction-with-sentence-transformers.yaml",
      "feature-extraction-with-transformers.yaml", "image-classification.yaml",
      "image-segmentation.yaml", "image-to-text.yaml", "object-detection.yaml",
      "sentence-similarity.yaml", "summarization.yaml", "table-question-answering.yaml",
      "text-classification.yaml", "text-to-image-default.yaml", "text-to-speech.yaml",
      "token-classification.yaml", "translation-with-source-and-target-language.yaml",
      "translation.yaml", "visual-question-answering.yaml",
      "zero-shot-classification-multi-label.yaml",
      "zero-shot-classification-single-label.yaml", "zero-shot-image-classification.yaml",
      NULL};
  char *dir = bt_shared_data("hf-cassettes");
  BT_SKIP_IF_NO_SHARED(dir, "hf-cassettes");
  DIR *d = opendir(dir);
  if (!d) {
    free(dir);
    dir = NULL;
    BT_SKIP_IF_NO_SHARED(dir, "hf-cassettes");
  }
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d))) {
    if (!baton__has_suffix_ci(de->d_name, ".yaml"))
      continue;
    if (strncmp(de->d_name, "chat-completion-", 16) == 0)
      continue; /* the LLM client's, tested with it */
    bool found = false;
    for (size_t i = 0; covered[i] && !found; i++)
      found = strcmp(covered[i], de->d_name) == 0;
    cr_expect(found, "no replay test for %s", de->d_name);
    n++;
  }
  closedir(d);
  free(dir);
  cr_assert_eq(n, 23);
}
