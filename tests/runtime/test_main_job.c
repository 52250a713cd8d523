/* test_main_job.c — end to end: a request is planned, run and answered, through the API and the CLI. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/baton_env.h"
#include "support/fake_models.h"
#include "support/support.h"

#define NOTICE                                                                          \
  "The museum will close early on Friday because the heating system is being repaired. " \
  "Visitors who bought tickets for the evening tour will get a full refund. "           \
  "The cafe on the ground floor stays open until six. "                                \
  "We thank you for your patience while the work is done."

typedef struct events {
  int types[64];
  int n;
} events;

static void record(void *ud, const baton_event *ev) {
  events *e = ud;
  if (e->n < 64)
    e->types[e->n++] = (int)ev->type;
}

static const cJSON *task_at(const cJSON *res, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"), i);
}

static const char *out_of(const cJSON *task, const char *type) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(task, "outputs");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, type);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool contains_ci(const char *hay, const char *needle) {
  return hay && strcasestr(hay, needle) != NULL;
}

static void assert_wav(const char *path) {
  cr_assert_not_null(path);
  size_t len = 0;
  char *data = bt_slurp(path, &len);
  cr_assert_gt(len, 44u, "WAV %s is too short", path);
  cr_assert_eq(memcmp(data, "RIFF", 4), 0);
  cr_assert_eq(memcmp(data + 8, "WAVE", 4), 0);
  free(data);
}

Test(runtime_main_job, read_summarise_and_speak_an_unseen_image, .timeout = 120) {
  bt_env e;
  bt_env_up(&e, false);
  char png[512];
  snprintf(png, sizeof png, "%s/notice.png", e.home);
  cr_assert(bt_render_text_png(NOTICE, png), "ImageMagick is needed to render the test image");
  events ev = {0};
  baton_request req = {BATON_REQUEST_INIT,
      .text = "Please read the words on notice.png, give me a short summary, then say it out loud",
      .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, record, &ev, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_not_null(res);
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "status")->valuestring, "done");
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "tasks")), 3);
  const cJSON *ocr = task_at(res, 0), *sum = task_at(res, 1), *tts = task_at(res, 2);
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ocr, "task")->valuestring, "image-to-text");
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sum, "task")->valuestring, "summarization");
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(tts, "task")->valuestring, "text-to-speech");
  const char *text = out_of(ocr, "text");
  cr_assert(contains_ci(text, "museum will close early on Friday"), "OCR gave: %s", text);
  cr_assert(contains_ci(text, "heating system"), "OCR gave: %s", text);
  const char *summary = out_of(sum, "text");
  cr_assert_not_null(summary);
  cr_assert_lt(strlen(summary), strlen(text), "the summary is not shorter");
  const char *wav = out_of(tts, "audio");
  assert_wav(wav);
  cr_assert(strncmp(wav, e.home, strlen(e.home)) == 0, "audio %s is not under BATON_HOME", wav);
  /* The answer quotes the text and the summary and names the file. */
  const char *answer = baton_run_summary(run);
  cr_assert(contains_ci(answer, "heating system"), "%s", answer);
  cr_assert(strstr(answer, summary), "answer does not quote the summary: %s", answer);
  cr_assert(strstr(answer, wav), "answer does not name %s: %s", wav, answer);
  /* Events: plan first, done last, three started and three finished. */
  cr_assert_eq(ev.types[0], BATON_EVENT_PLAN);
  cr_assert_eq(ev.types[ev.n - 1], BATON_EVENT_DONE);
  int started = 0, finished = 0;
  for (int i = 0; i < ev.n; i++) {
    started += ev.types[i] == BATON_EVENT_TASK_STARTED;
    finished += ev.types[i] == BATON_EVENT_TASK_FINISHED;
  }
  cr_assert_eq(started, 3);
  cr_assert_eq(finished, 3);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_main_job, a_failed_step_skips_its_dependents_and_is_reported, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, false);
  char bad[512];
  snprintf(bad, sizeof bad, "%s/broken.png", e.home);
  bt_write(bad, "this is not an image");
  const char *plan = "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"broken.png\"}},"
                     "{\"task\":\"summarization\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}},"
                     "{\"task\":\"text-to-speech\",\"id\":2,\"dep\":[-1],\"args\":{\"text\":\"Independent work still runs.\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_EXEC);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "status")->valuestring, "failed");
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(task_at(res, 0), "status")->valuestring, "failed");
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(task_at(res, 1), "status")->valuestring, "skipped");
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(task_at(res, 2), "status")->valuestring, "done");
  const char *err0 = cJSON_GetObjectItemCaseSensitive(task_at(res, 0), "error")->valuestring;
  cr_assert(strstr(err0, "broken.png"), "error does not name the file: %s", err0);
  const char *answer = baton_run_summary(run);
  cr_assert(strstr(answer, "FAILED"), "%s", answer);
  cr_assert(strstr(answer, "skipped"), "%s", answer);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_main_job, missing_input_and_bad_plan_fail_before_running) {
  bt_env e;
  bt_env_up(&e, false);
  baton_run *run = NULL;
  baton_request req = {BATON_REQUEST_INIT, .text = "read the text in nothere.png",
                       .input_root = e.home};
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_assert(strstr(baton_errmsg(e.ctx), "nothere.png"), "%s", baton_errmsg(e.ctx));
  cr_assert_null(run);
  baton_request bad = {BATON_REQUEST_INIT, .plan_json = "[{\"task\":\"summarization\",\"id\":0,\"dep\":[3],\"args\":{\"text\":\"x\"}}]",
                       .input_root = e.home};
  cr_assert_eq(baton_submit(e.ctx, &bad, NULL, NULL, &run), BATON_PLAN);
  cr_assert_null(run);
  baton_request escape = {BATON_REQUEST_INIT, .text = "read the text in ../../etc/hostname.png",
                          .input_root = e.home};
  cr_assert_neq(baton_submit(e.ctx, &escape, NULL, NULL, &run), BATON_OK);
  cr_assert_null(run);
  bt_env_down(&e);
}

static char *cli(const char *args, const char *home, int *status) {
  const char *bin = getenv("BATON_BIN_DIR");
  cr_assert_not_null(bin, "BATON_BIN_DIR is set by ctest");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && BATON_HOME='%s' '%s/baton' %s 2>&1", BATON_TEST_SOURCE_DIR,
           home, bin, args);
  char *out = NULL;
  *status = bt_run(cmd, &out);
  return out;
}

Test(runtime_main_job, the_readme_main_job_works_from_the_cli, .timeout = 120) {
  char *home = bt_tmpdir();
  int st = -1;
  char *out = cli("run --quiet \"read the text in examples/sign.png, summarize it and read it aloud\"",
                  home, &st);
  cr_assert_eq(st, 0, "exit %d: %s", st, out);
  cr_assert(strstr(out, "image-to-text"), "%s", out);
  cr_assert(strstr(out, "summarization"), "%s", out);
  char *wav = strstr(out, ".wav");
  cr_assert_not_null(wav, "no WAV named: %s", out);
  char *start = wav;
  while (start > out && start[-1] != ' ' && start[-1] != '\n')
    start--;
  char path[1024];
  snprintf(path, sizeof path, "%.*s", (int)(wav + 4 - start), start);
  assert_wav(path);
  free(out);
  bt_rmtree(home);
  free(home);
}

Test(runtime_main_job, a_step_left_out_of_the_plan_is_told_not_dropped, .timeout = 60) {
  /* no recording to enhance: the reading runs, and the user hears which words were left out */
  char *home = bt_tmpdir();
  int st = -1;
  const char *why = "left out \"enhance the audio quality\": audio-to-audio needs an audio";
  char *out = cli("run \"read the text in examples/sign.png and enhance the audio quality\"", home,
                  &st);
  cr_assert_eq(st, 0, "exit %d: %s", st, out);
  cr_assert(strstr(out, "image-to-text") && strstr(out, "Riverside"), "%s", out);
  cr_assert(strstr(out, "baton: note: ") && strstr(out, why), "%s", out);
  free(out);
  out = cli("run \"read the text in examples/sign.png\"", home, &st); /* nothing left out */
  cr_assert_eq(st, 0, "exit %d: %s", st, out);
  cr_assert(strstr(out, "Riverside") && !strstr(out, "note:"), "%s", out);
  free(out);
  char asked[1024], args[1100];
  snprintf(asked, sizeof asked, "%s/asked.txt", home);
  bt_write(asked, "read the text in examples/sign.png and enhance the audio quality\n"
                  "read the text in examples/sign.png\n");
  snprintf(args, sizeof args, "chat < '%s'", asked);
  out = cli(args, home, &st);
  const char *note = strstr(out, "(note: "); /* under the first answer, not again */
  cr_assert(note && strstr(note, why) && !strstr(note + 1, "(note: "), "%s", out);
  free(out);
  bt_rmtree(home);
  free(home);
}

Test(runtime_main_job, cli_exit_codes_follow_the_interface, .timeout = 60) {
  char *home = bt_tmpdir();
  int st = -1;
  char *out = cli("run \"read the text in examples/missing.png\"", home, &st);
  cr_assert_eq(st, 2, "missing input: exit %d: %s", st, out);
  cr_assert(strstr(out, "missing.png"), "%s", out);
  free(out);
  out = cli("frobnicate", home, &st);
  cr_assert_eq(st, 2, "%s", out);
  free(out);
  out = cli("--help", home, &st);
  cr_assert_eq(st, 0);
  cr_assert(strstr(out, "usage: baton") && strstr(out, "run \"REQUEST\""), "%s", out);
  free(out);
  out = cli("run --json --plan /dev/null", home, &st);
  cr_assert_eq(st, 2, "empty plan: exit %d: %s", st, out);
  free(out);
  out = cli("executors --json", home, &st);
  cr_assert_eq(st, 0, "%s", out);
  cJSON *ex = cJSON_Parse(out);
  cr_assert(cJSON_IsArray(ex), "%s", out);
  cJSON_Delete(ex);
  free(out);
  bt_rmtree(home);
  free(home);
}

/* Runs one text-to-speech task with these args; returns the WAV's bytes. */
static char *speak(baton *ctx, const char *home, const char *args_json, size_t *len) {
  char *json = NULL;
  cr_assert_eq(baton_task(ctx, "text-to-speech", args_json, NULL, home, &json), BATON_OK, "%s",
               baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(json);
  char *data = bt_slurp(out_of(t, "audio"), len);
  cJSON_Delete(t);
  baton_free(json);
  return data;
}

Test(runtime_main_job, a_translation_speaks_in_its_target_language, .timeout = 120) {
  bt_env e;
  bt_env_up(&e, false);
  const char *plan =
      "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"The cat is black.\","
      "\"src_lang\":\"en\",\"tgt_lang\":\"es\"}},"
      "{\"task\":\"text-to-speech\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const char *spanish = out_of(task_at(res, 0), "text");
  cr_assert(contains_ci(spanish, "gato"), "%s", spanish);
  size_t ran_len = 0;
  char *ran = bt_slurp(out_of(task_at(res, 1), "audio"), &ran_len);
  /* The same text spoken with the Spanish voice, and with the default one. */
  char args[512];
  snprintf(args, sizeof args, "{\"text\":\"%s\",\"lang\":\"es\"}", spanish);
  size_t es_len = 0, en_len = 0;
  char *es = speak(e.ctx, e.home, args, &es_len);
  snprintf(args, sizeof args, "{\"text\":\"%s\"}", spanish);
  char *en = speak(e.ctx, e.home, args, &en_len);
  /* A warm espeak-ng process does not repeat its output to the byte, so
   * compare lengths: the chain's audio is as long as the Spanish voice's and
   * unlike the default voice's (about 15% longer for this sentence). */
  long d_es = labs((long)ran_len - (long)es_len), d_en = labs((long)ran_len - (long)en_len);
  cr_assert(d_es * 4 < d_en,
            "the chain did not speak with the Spanish voice (%zu bytes; Spanish %zu, default %zu)",
            ran_len, es_len, en_len);
  free(ran);
  free(es);
  free(en);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

/* A plan (JSON) is refused before anything runs, the error saying `says`. */
static void assert_plan_refused(baton *ctx, const char *dir, const char *plan, const char *says) {
  baton_request bad = {BATON_REQUEST_INIT, .input_root = dir, .plan_json = plan};
  baton_run *run = NULL;
  cr_assert_neq(baton_submit(ctx, &bad, NULL, NULL, &run), BATON_OK);
  cr_assert_null(run);
  cr_assert(strstr(baton_errmsg(ctx), says), "%s", baton_errmsg(ctx));
}

/* The file a text output was saved to: under the name asked for, holding the text and a newline. */
static void assert_text_saved(const cJSON *task, const char *name) {
  const char *path = out_of(task, "file"), *text = out_of(task, "text");
  const char *base = path ? strrchr(path, '/') : NULL;
  cr_assert(base && strcmp(base + 1, name) == 0 && text, "the text was saved as %s", path);
  size_t len = 0;
  char *data = bt_slurp(path, &len);
  cr_assert(data && len == strlen(text) + 1 && !memcmp(data, text, len - 1) &&
            data[len - 1] == '\n', "%s holds '%s'", path, data);
  free(data);
}

Test(runtime_main_job, a_text_result_is_saved_as_asked_and_replayed_with_its_file, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, false);
  char notes[512];
  snprintf(notes, sizeof notes, "%s/notes.txt", e.home);
  bt_write(notes, "The committee agreed to open the reading room on Sundays. The roof of the "
                  "children's corner still leaks, so its books move to the east shelves.");
  baton_request req = {BATON_REQUEST_INIT, .input_root = e.home,
                       .text = "Summarize notes.txt and save the summary as summary.txt"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 1, "summary.txt is no input");
  assert_text_saved(task_at(res, 0), "summary.txt");
  cr_assert(strstr(baton_run_summary(run), out_of(task_at(res, 0), "file")), "%s",
            baton_run_summary(run));
  /* A replay copies the saved text into its own run folder. */
  baton_run *rep = NULL;
  cr_assert_eq(baton_run_replay(e.ctx, baton_run_id(run), NULL, NULL, &rep), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(rep), BATON_OK, "%s", baton_run_summary(rep));
  cJSON *rj = cJSON_Parse(baton_run_result_json(rep));
  assert_text_saved(task_at(rj, 0), "summary.txt");
  cr_assert_str_neq(out_of(task_at(rj, 0), "file"), out_of(task_at(res, 0), "file"));
  cJSON_Delete(rj);
  baton_run_free(rep);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_main_job, two_recordings_are_joined_into_the_file_named, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, false);
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/a.wav", e.home);
  snprintf(b, sizeof b, "%s/b.wav", e.home);
  fm_write_wav(a); /* 0.1 s each, 16-bit mono */
  fm_write_wav(b);
  baton_request req = {BATON_REQUEST_INIT, .input_root = e.home,
                       .text = "Combine a.wav and b.wav into both.wav"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 1, "%s",
               baton_run_result_json(run));
  const char *out = out_of(task_at(res, 0), "audio");
  assert_wav(out);
  const char *base = strrchr(out, '/');
  cr_assert(base && strcmp(base, "/both.wav") == 0, "wrote %s", out);
  size_t len = 0, one = 0;
  char *data = bt_slurp(out, &len), *first = bt_slurp(a, &one);
  cr_assert(len - 44 == 2 * (one - 44), "%zu bytes of sound from two of %zu", len - 44, one - 44);
  free(data);
  free(first);
  cJSON_Delete(res);
  baton_run_free(run);
  /* The second recording is an input like the first: outside the folder, refused. */
  assert_plan_refused(e.ctx, e.home, "[{\"task\":\"audio-to-audio\",\"id\":0,\"dep\":[-1],\"args\":"
                      "{\"audio\":\"a.wav\",\"audio2\":\"../../etc/hostname.wav\"}}]",
                      "hostname.wav");
  bt_env_down(&e);
}

Test(runtime_main_job, an_output_named_in_the_request_is_written_under_that_name, .timeout = 120) {
  bt_env e;
  bt_env_up(&e, false);
  baton_request req = {BATON_REQUEST_INIT,
      .text = "Translate 'Good morning' into Spanish and give me the answer in an audio format "
              "'respuesta.wav'.",
      .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *tts = task_at(res, 1);
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(tts, "task")->valuestring, "text-to-speech");
  const char *wav = out_of(tts, "audio");
  assert_wav(wav);
  const char *base = strrchr(wav, '/');
  cr_assert(base && strcmp(base, "/respuesta.wav") == 0, "the audio is %s", wav);
  cr_assert(strstr(baton_run_summary(run), wav), "%s", baton_run_summary(run));
  cJSON_Delete(res);
  baton_run_free(run);
  /* The local image executor writes the format the name asks for: a JPEG, not its usual PNG. */
  char png[512];
  snprintf(png, sizeof png, "%s/notice.png", e.home);
  cr_assert(bt_render_text_png(NOTICE, png), "ImageMagick is needed to render the test image");
  req.text = "Make notice.png black and white and save the result as bw.jpg";
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  res = cJSON_Parse(baton_run_result_json(run));
  bt_assert_jpeg_named(out_of(task_at(res, 0), "image"), "bw.jpg");
  cJSON_Delete(res);
  baton_run_free(run);
  /* A plan naming a file outside the run's folder is refused before anything runs. */
  assert_plan_refused(e.ctx, e.home, "[{\"task\":\"text-to-speech\",\"id\":0,\"dep\":[-1],\"args\":"
                      "{\"text\":\"hi\",\"save_as\":\"../../escape.wav\"}}]",
                      "is not a plain file name");
  bt_env_down(&e);
}

/* The run of `text` on the files in dir, waited for: its result JSON (the caller deletes it). */
static cJSON *run_in(baton *ctx, const char *dir, const char *text) {
  baton_request req = {BATON_REQUEST_INIT, .input_root = dir, .text = text};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s: %s", text, baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_not_null(res);
  baton_run_free(run);
  return res;
}

/* Subtitles are translated cue by cue: numbers, times and notes stay, the words are Spanish, and
 * a subtitles file of the same format holds them. */
Test(runtime_main_job, subtitles_are_translated_cue_by_cue, .timeout = 120) {
  bt_env e;
  bt_env_up(&e, false);
  char vtt[512];
  snprintf(vtt, sizeof vtt, "%s/talk.vtt", e.home);
  bt_write(vtt, "\xEF\xBB\xBFWEBVTT\n\n00:00.100 --> 00:01.500\nthe cat is\nblack\n\n"
                "NOTE kept as it is\n\n00:01.500 --> 00:03.000\ngood morning\n");
  cJSON *res = run_in(e.ctx, e.home, "translate talk.vtt into Spanish");
  const char *file = out_of(task_at(res, 0), "file");
  cr_assert(file && strstr(file, ".vtt") == file + strlen(file) - 4, "kept in %s", file);
  char *got = bt_slurp(file, NULL);
  cr_assert(got && !strncmp(got, "WEBVTT\n\n00:00.100 --> 00:01.500\n", 32) &&
                strstr(got, "\n\nNOTE kept as it is\n\n00:01.500 --> 00:03.000\n") &&
                contains_ci(got, "gato") && !contains_ci(got, "cat"),
            "%s", got);
  cr_assert_str_eq(got, out_of(task_at(res, 0), "text"));
  free(got);
  cJSON_Delete(res);
  /* Saved under a SubRip name: SubRip, whatever the source's format. */
  res = run_in(e.ctx, e.home, "translate talk.vtt into Spanish and save it as es.srt");
  got = bt_slurp(out_of(task_at(res, 0), "file"), NULL);
  cr_assert(got && !strncmp(got, "1\n00:00:00,100 --> 00:00:01,500\n", 32) &&
                strstr(got, "\n\n2\n00:00:01,500 --> 00:00:03,000\n") && !strstr(got, "NOTE"),
            "%s", got);
  free(got);
  cJSON_Delete(res);
  /* Spoken, then asked for Spanish subtitles: recognised, timed and translated. */
  res = run_in(e.ctx, e.home, "say 'the cat is black' and save it as talk.wav");
  char *spoken = strdup(out_of(task_at(res, 0), "audio"));
  cJSON_Delete(res);
  *strrchr(spoken, '/') = '\0';
  res = run_in(e.ctx, spoken, "make Spanish subtitles for talk.wav");
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 2);
  file = out_of(task_at(res, 1), "file");
  cr_assert(file && strstr(file, ".srt") == file + strlen(file) - 4, "kept in %s", file);
  got = bt_slurp(file, NULL);
  cr_assert(got && !strncmp(got, "1\n00:00:0", 9) && strstr(got, " --> 00:00:0") &&
                !strstr(got, "cat"),
            "%s", got);
  free(got);
  cJSON_Delete(res);
  free(spoken);
  bt_env_down(&e);
}

/* Subtitles given to a task that keeps no cues (a summary, a reading aloud) are their words
 * alone: no numbers, times or header reach it. */
Test(runtime_main_job, subtitles_summarized_are_their_words_alone, .timeout = 120) {
  bt_env e;
  bt_env_up(&e, false);
  char srt[512];
  snprintf(srt, sizeof srt, "%s/talk.srt", e.home);
  bt_write(srt, "1\r\n00:00:00,100 --> 00:00:01,500\r\nThe library opens at nine.\r\n\r\n"
                "2\r\n00:00:01,500 --> 00:00:03,000\r\nIt closes at five on Sundays.\r\n");
  cJSON *res = run_in(e.ctx, e.home, "summarize talk.srt");
  const char *text = out_of(task_at(res, 0), "text");
  cr_assert(text && strstr(text, "library opens at nine") && !strstr(text, "-->") &&
                !strstr(text, "00:00"),
            "%s", text ? text : "(no text)");
  cJSON_Delete(res);
  bt_env_down(&e);
}

/* A step naming a part of a text file ("the second paragraph of notes.txt") gets that part only,
 * and one past its end fails before anything runs, saying how many there are. */
Test(runtime_main_job, a_part_of_a_text_file_named_is_all_a_step_gets, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, false);
  char notes[512];
  snprintf(notes, sizeof notes, "%s/notes.txt", e.home);
  bt_write(notes, "The cat is black.\n\nThe dog is white.\n");
  cJSON *res = run_in(e.ctx, e.home, "translate the second paragraph of notes.txt into Spanish");
  const char *text = out_of(task_at(res, 0), "text");
  cr_assert(contains_ci(text, "perro") && !contains_ci(text, "gato"), "%s", text);
  cJSON_Delete(res);
  baton_request req = {BATON_REQUEST_INIT, .input_root = e.home,
                       .text = "translate the third paragraph of notes.txt into Spanish"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_assert(strstr(baton_errmsg(e.ctx), "notes.txt has 2 paragraphs: there is no paragraph "
                                      "number 3"), "%s", baton_errmsg(e.ctx));
  bt_env_down(&e);
}
