/* test_patterns.c — file patterns ("transcribe *.wav") and folders named in words ("every recording in rec") in a request, named as the files they match in the caller's folder: sorted, regular files only, bounded, confined, with the caller's rights. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/fake_models.h"
#include "support/support.h"

static char *dir;
static baton *ctx;

/* A folder holding rec/ with b.wav and a.wav, a hidden .c.wav, a link d.wav leaving the folder,
 * a folder e.wav and f.txt. */
static void setup(void) {
  dir = bt_tmpdir();
  setenv("BATON_HOME", dir, 1);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  unsetenv("HF_TOKEN");
  char p[700];
  snprintf(p, sizeof p, "%s/rec", dir);
  cr_assert_eq(mkdir(p, 0700), 0);
  static const char *const wavs[] = {"rec/b.wav", "rec/a.wav", "rec/.c.wav"};
  for (size_t i = 0; i < sizeof wavs / sizeof wavs[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, wavs[i]);
    fm_write_wav(p);
  }
  snprintf(p, sizeof p, "%s/rec/d.wav", dir);
  cr_assert_eq(symlink("/etc/hostname", p), 0);
  snprintf(p, sizeof p, "%s/rec/e.wav", dir);
  cr_assert_eq(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/rec/f.txt", dir);
  bt_write(p, "notes\n");
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
}

static void teardown(void) {
  baton_close(ctx);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(runtime_patterns, .init = setup, .fini = teardown, .timeout = 60);

/* The plan of text offline in the folder, as JSON (NULL when refused: err then says why). */
static cJSON *plan_in(const char *text, unsigned uid) {
  baton_request req = {BATON_REQUEST_INIT, .text = text, .input_root = dir, .offline = true,
                       .as_caller = uid != geteuid(), .caller_uid = uid, .caller_gid = uid};
  char *json = NULL;
  if (baton_plan(ctx, &req, &json) != BATON_OK)
    return NULL;
  cJSON *plan = cJSON_Parse(json);
  baton_free(json);
  return plan;
}

/* Task i's argument `name` in plan. */
static const char *arg_of(const cJSON *plan, int i, const char *name) {
  const cJSON *args = cJSON_GetObjectItem(cJSON_GetArrayItem(plan, i), "args");
  const cJSON *v = cJSON_GetObjectItem(args, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

Test(runtime_patterns, a_pattern_names_the_regular_files_it_matches_in_order) {
  static const char *const texts[] = {"transcribe rec/*.wav", "transcribe 'rec/?.wav'.",
                                      "transcribe \"rec/*\" please"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    cJSON *plan = plan_in(texts[i], geteuid());
    cr_assert_not_null(plan, "%s: %s", texts[i], baton_errmsg(ctx));
    int n = cJSON_GetArraySize(plan);
    cr_assert_eq(n, 2, "%s: %d tasks", texts[i], n);
    cr_assert_str_eq(arg_of(plan, 0, "audio"), "rec/a.wav");
    cr_assert_str_eq(arg_of(plan, 1, "audio"), "rec/b.wav");
    cJSON_Delete(plan);
  }
}

/* A folder named in words ("every recording in rec") stands for its files of that kind. */
Test(runtime_patterns, a_folder_named_in_words_names_its_files_of_the_kind_asked_for) {
  static const char *const texts[] = {"transcribe all the recordings in rec",
                                      "Transcribe every wav file from the rec folder.",
                                      "transcribe each audio in rec/ please"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    cJSON *plan = plan_in(texts[i], geteuid());
    cr_assert_not_null(plan, "%s: %s", texts[i], baton_errmsg(ctx));
    cr_assert_eq(cJSON_GetArraySize(plan), 2, "%s", texts[i]);
    cr_assert_str_eq(arg_of(plan, 0, "audio"), "rec/a.wav");
    cr_assert_str_eq(arg_of(plan, 1, "audio"), "rec/b.wav");
    cJSON_Delete(plan);
  }
  /* no folder of that name: the words are left as they are */
  cJSON *plan = plan_in("draw every picture in the style of Monet", geteuid());
  cr_assert_not_null(plan, "%s", baton_errmsg(ctx));
  cJSON_Delete(plan);
  cr_assert_null(plan_in("describe all the pictures in rec", geteuid()));
  cr_assert(strstr(baton_errmsg(ctx), "folder 'rec' holds no picture file"), "%s",
            baton_errmsg(ctx));
  cr_assert_null(plan_in("summarize all the documents in ../rec", geteuid()));
  cr_assert(strstr(baton_errmsg(ctx), "folder '../rec': outside your folder"), "%s",
            baton_errmsg(ctx));
}

/* A quotation of several words is left as it is: no pattern, no folder named in words in it;
 * an apostrophe inside a word opens none. */
Test(runtime_patterns, a_quotation_of_several_words_is_left_as_it_is) {
  static const struct {
    const char *text, *quote;
  } cases[] = {
      {"say 'I love *.wav files'", "I love *.wav files"},
      {"say \"rename every *.md file\".", "rename every *.md file"},
      {"translate 'I kept all the songs in rec' into French", "I kept all the songs in rec"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *plan = plan_in(cases[i].text, geteuid());
    cr_assert_not_null(plan, "%s: %s", cases[i].text, baton_errmsg(ctx));
    cr_assert_str_eq(arg_of(plan, 0, "text"), cases[i].quote, "%s", cases[i].text);
    cJSON_Delete(plan);
  }
  cJSON *plan = plan_in("transcribe rec/*.wav, it's Anna's", geteuid());
  cr_assert_not_null(plan, "%s", baton_errmsg(ctx));
  cr_assert_eq(cJSON_GetArraySize(plan), 2);
  cr_assert_str_eq(arg_of(plan, 1, "audio"), "rec/b.wav");
  cJSON_Delete(plan);
}

/* A run names them too: the two recordings are joined. */
Test(runtime_patterns, a_run_takes_the_files_a_pattern_matches) {
  baton_request req = {BATON_REQUEST_INIT, .text = "join rec/*.wav into both.wav",
                       .input_root = dir};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_summary(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  const cJSON *out = cJSON_GetObjectItem(cJSON_GetObjectItem(task, "outputs"), "audio");
  cr_assert(cJSON_IsString(out), "%s", baton_run_result_json(run));
  char one[700];
  snprintf(one, sizeof one, "%s/rec/a.wav", dir);
  size_t len = 0, a = 0;
  free(bt_slurp(out->valuestring, &len));
  free(bt_slurp(one, &a));
  cr_assert_eq(len - 44, 2 * (a - 44), "%zu bytes of sound from two of %zu", len - 44, a - 44);
  cJSON_Delete(res);
  baton_run_free(run);
}

Test(runtime_patterns, a_pattern_that_matches_nothing_or_leaves_the_folder_is_refused) {
  static const struct {
    const char *text, *says;
  } cases[] = {
      {"transcribe rec/*.flac", "no file in your folder matches 'rec/*.flac'"},
      {"transcribe ../*.wav", "outside your folder"},
      {"transcribe gone/*.wav", "'gone/*.wav': no such folder"},
      {"transcribe r*/a.wav", "a pattern may stand only for file names"},
      {"transcribe /etc/*.wav", "'/etc/*.wav': name the files relative to your folder"},
      {"transcribe /*.wav", "'/*.wav': name the files relative to your folder"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_null(plan_in(cases[i].text, geteuid()), "%s", cases[i].text);
    cr_assert(strstr(baton_errmsg(ctx), cases[i].says), "%s: %s", cases[i].text,
              baton_errmsg(ctx));
  }
}

/* A daemon's request naming no folder has none to list: a pattern is refused saying so, words
 * that might name a folder are left as they are. */
Test(runtime_patterns, a_request_naming_no_folder_is_told_so) {
  baton_request req = {BATON_REQUEST_INIT, .text = "transcribe *.wav", .offline = true,
                       .as_caller = 1, .caller_uid = 65534, .caller_gid = 65534};
  char *json = NULL;
  cr_assert_neq(baton_plan(ctx, &req, &json), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "'*.wav': the request named no folder to list files in"),
            "%s", baton_errmsg(ctx));
  baton_run *run = NULL;
  cr_assert_neq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "the request named no folder to list files in"), "%s",
            baton_errmsg(ctx));
  req.text = "draw every picture in the style of Monet";
  cr_assert_eq(baton_plan(ctx, &req, &json), BATON_OK, "%s", baton_errmsg(ctx));
  baton_free(json);
}

Test(runtime_patterns, too_many_files_or_a_name_with_a_space_are_refused_clearly) {
  char p[700];
  for (int i = 0; i < 17; i++) {
    snprintf(p, sizeof p, "%s/rec/many%02d.png", dir, i);
    bt_write(p, "x");
  }
  cr_assert_null(plan_in("describe rec/many*.png", geteuid()));
  cr_assert(strstr(baton_errmsg(ctx), "'rec/many*.png': more than 16 files match"), "%s",
            baton_errmsg(ctx));
  snprintf(p, sizeof p, "%s/rec/my talk.wav", dir);
  fm_write_wav(p);
  cr_assert_null(plan_in("transcribe rec/*.wav", geteuid()));
  cr_assert(strstr(baton_errmsg(ctx), "'my talk.wav' ('rec/*.wav') has a space"), "%s",
            baton_errmsg(ctx));
}

/* A name that is not UTF-8, or holds a control character, is refused without being printed. */
Test(runtime_patterns, a_name_not_utf8_or_with_a_control_character_is_refused_unprinted) {
  static const struct {
    const char *name, *says;
  } cases[] = {
      {"rec/bad\xff.wav", "a file 'rec/*.wav' matches has a name that is not UTF-8"},
      {"rec/two\nlines.wav", "a file 'rec/*.wav' matches has a name with a control character"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, cases[i].name);
    fm_write_wav(p);
    cr_assert_null(plan_in("transcribe rec/*.wav", geteuid()), "%s", cases[i].name);
    const char *msg = baton_errmsg(ctx);
    cr_assert(strstr(msg, cases[i].says), "%s", msg);
    cr_assert(!strstr(msg, cases[i].name + 4), "printed raw: %s", msg);
    cr_assert_eq(unlink(p), 0);
  }
}

/* Only the extension of a file baton handles makes a word with '*' or '?' a file pattern. */
Test(runtime_patterns, words_that_only_look_like_patterns_are_left_as_they_are) {
  static const char *const texts[] = {"what is 2*3? and is 3.5*2 more?",
                                      "summarize https://example.com/a?b=1.html",
                                      "translate x*.y into French",
                                      "translate a*.foo or b?.bar into German"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    cJSON *plan = plan_in(texts[i], geteuid());
    cr_assert_not_null(plan, "%s: %s", texts[i], baton_errmsg(ctx));
    cJSON_Delete(plan);
  }
  static const char *const patterns[] = {"describe rec/*.MP4", "summarize rec/*.csv"};
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    cr_assert_null(plan_in(patterns[i], geteuid()), "%s", patterns[i]);
    cr_assert(strstr(baton_errmsg(ctx), "no file in your folder matches"), "%s: %s",
              patterns[i], baton_errmsg(ctx));
  }
}

/* A daemon lists the folder with the caller's rights: another user may not list a folder of
 * ours (0700) through it. */
Test(runtime_patterns, another_user_cannot_list_a_folder_they_may_not_read) {
  if (geteuid() != 0)
    cr_skip_test("needs root, to take on another user's rights");
  cr_assert_null(plan_in("transcribe rec/*.wav", 65534));
  cr_assert(strstr(baton_errmsg(ctx), "'rec/*.wav': Permission denied"), "%s", baton_errmsg(ctx));
}
