/* test_offline.c — the rule-based planner: the wordings of offline_cases.tsv, conversations, what can run, TaskBench floors. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "core/text.h"
#include "planner/offline.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "support/seeded.h"
#include "support/support.h"
#include "core/banned.h"


/* The shipped catalogue's tasks, through the registry. */
static char *tmp_dir;
static baton__registry *reg;
static const baton__taskspec *tasks;
static size_t n_tasks;

static void open_registry(void) {
  tmp_dir = bt_tmpdir();
  reg = bt_registry_seeded_in(tmp_dir);
  tasks = baton__registry_tasks(reg, &n_tasks);
  cr_assert_gt(n_tasks, 10);
}

static void close_registry(void) {
  baton__registry_close(reg);
  reg = NULL;
  bt_rmtree(tmp_dir);
  free(tmp_dir);
}

TestSuite(planner_offline, .init = open_registry, .fini = close_registry);

static const baton__taskspec *lookup(void *ud, const char *name) {
  return baton__registry_task(ud, name);
}

/* Plans a request alone (no inputs, no earlier turns) against the registry's task kinds. */
static int plan_alone(const char *request, baton__graph *g, char *err, size_t errlen) {
  baton__offline_req r = {.request = request, .tasks = tasks, .n_tasks = n_tasks};
  return baton__plan_offline_req(&r, g, err, errlen);
}

/* Plans a request (inputs: comma-separated files or NULL; messages: earlier
 * turns or NULL) with the catalogue's tasks, validates the graph, and
 * returns the rendering (caller frees), or NULL with err set. */
static char *plan_case(const char *request, char *inputs, const char *messages,
                       const unsigned char *runnable, char *note, char *err, size_t errlen) {
  const char *files[16];
  size_t n_files = 0;
  for (char *cur = inputs, *f; n_files < 16 && (f = baton__token(&cur, ","));)
    files[n_files++] = f;
  baton__offline_req r = {.request = request, .inputs = files, .n_inputs = n_files,
                          .tasks = tasks, .n_tasks = n_tasks, .runnable = runnable,
                          .messages_json = messages, .note = note, .notelen = note ? 256 : 0};
  baton__graph g;
  if (baton__plan_offline_req(&r, &g, err, errlen) != 0)
    return NULL;
  char *out = NULL;
  if (baton__graph_validate(&g, lookup, reg, err, errlen) == 0)
    out = baton__graph_brief(&g);
  for (size_t i = 0; i < g.n; i++)
    cr_expect_eq(g.tasks[i].id, (int)i, "ids are 0..n-1 in order");
  baton__graph_release(&g);
  return out;
}

static char *plan(const char *request) {
  char err[512] = "";
  char *got = plan_case(request, NULL, NULL, NULL, NULL, err, sizeof err);
  cr_assert_not_null(got, "'%s' was not planned: %s", request, err);
  return got;
}

/* Splits a TSV line in place into at most max fields; returns the count. */
static size_t tsv_fields(char *line, char **f, size_t max) {
  size_t n = 0;
  for (char *s = line; n < max;) {
    f[n++] = s;
    char *tab = strchr(s, '\t');
    if (!tab)
      break;
    *tab = '\0';
    s = tab + 1;
  }
  return n;
}

Test(planner_offline, plans_every_wording_of_the_case_table_as_written) {
  char *path = baton__path_join(BATON_TEST_SOURCE_DIR, "tests/planner/offline_cases.tsv");
  size_t len = 0;
  char *text = bt_slurp(path, &len);
  cr_assert_not_null(text, "cannot read %s", path);
  size_t cases = 0, lineno = 0;
  for (char *cur = text, *line; (line = baton__token(&cur, "\n"));) {
    lineno++;
    if (line[0] == '#' || !line[0])
      continue;
    char *f[4];
    cr_assert_eq(tsv_fields(line, f, 4), 4, "offline_cases.tsv:%zu: want 4 tab-separated fields",
                 lineno);
    char err[512] = "";
    char *got = plan_case(f[0], strcmp(f[1], "-") ? f[1] : NULL, strcmp(f[2], "-") ? f[2] : NULL,
                          NULL, NULL, err, sizeof err);
    cr_expect_not_null(got, "offline_cases.tsv:%zu: '%s' was not planned: %s", lineno, f[0], err);
    if (got)
      cr_expect_str_eq(got, f[3], "offline_cases.tsv:%zu: for '%s'\n  got:  %s\n  want: %s", lineno,
                       f[0], got, f[3]);
    free(got);
    cases++;
  }
  cr_assert_gt(cases, 70, "only %zu cases read", cases);
  free(text);
  free(path);
}

Test(planner_offline, a_numbered_list_on_lines_of_its_own_is_a_list_of_steps) {
  char *got = plan("1. Read the text in sign.png\n2. Summarize it\n3. Read it aloud\n");
  cr_expect_str_eq(got, "image-to-text(image=sign.png) summarization(text=<0>,instruction=Summarize"
                   " it) text-to-speech(text=<1>,instruction=Read it aloud)");
  free(got);
  got = plan("Please:\n  1) transcribe talk.wav\n  2) translate it into German");
  cr_expect_str_eq(got, "automatic-speech-recognition(audio=talk.wav) translation(text=<0>,"
                   "src_lang=en,tgt_lang=de)");
  free(got);
}

Test(planner_offline, a_step_needing_a_file_it_cannot_get_says_so) {
  static const char *const asks[][2] = {
      {"Describe this image", "image-to-text needs an image"},
      {"Transcribe the recording", "automatic-speech-recognition needs an audio"},
      {"What does the recording say?", "automatic-speech-recognition needs an audio"},
      {"What does the picture say?", "image-to-text needs an image"}, /* not a chat */
      {"Detect the objects in the photo", "object-detection needs an image"},
      {"summarize", "summarization needs a text"}, /* its verb is no text to work on */
      {"Translate!", "translation needs a text"},
      {"translate into French", "translation needs a text"}, /* no words but its language */
      /* words only pointing at a text not given: not the text itself */
      {"summarize the document", "summarization needs a text"},
      {"summarize this article", "summarization needs a text"},
      {"translate the email into German", "translation needs a text"},
      {"read my essay aloud", "text-to-speech needs a text"},
      {"what is the sentiment of the review?", "text-classification needs a text"},
      {"find the names in the story", "token-classification needs a text"},
      {"answer questions about the contract", "conversational needs a text"},
      {"translate my notes into French", "translation needs a text"},
      /* files named by their format only: none to work on, nor the request's words */
      {"transcribe all the wav files", "automatic-speech-recognition needs an audio"},
      {"caption all the png files", "image-to-text needs an image"},
      {"summarize the txt files", "summarization needs a text"},
      /* a step working on what one left out would have made: left out too; the first's reason */
      {"summarize it and read it aloud", "summarization needs a text"},
      {"summarize the document and read it aloud", "summarization needs a text"},
      {"translate the email into German and read it aloud", "translation needs a text"},
      {"summarize the article and read the summary aloud", "summarization needs a text"},
      {"read it aloud after you summarize the document", "summarization needs a text"},
      {"summarize the text and generate an image", "summarization needs a text"},
      /* no words to work on but the verb's, "aloud" and pointing ones: not the request read out */
      {"read it aloud", "text-to-speech needs a text"},
      {"read this out loud", "text-to-speech needs a text"},
      {"read aloud", "text-to-speech needs a text"},
      /* a piece of writing or a file named without a name ("notes", "the attached file") */
      {"summarize notes", "summarization needs a text"},
      {"read notes aloud", "text-to-speech needs a text"},
      {"read the file aloud", "text-to-speech needs a text"},
      {"summarise the attached file", "summarization needs a text"},
      {"summarize this file", "summarization needs a text"},
      /* (one to translate also with "the": a bare word is the text, "translate book") */
      {"translate the attached file into Spanish", "translation needs a text"},
      {"translate the article into French", "translation needs a text"},
      {"narrate notes", "text-to-speech needs a text"}, /* (not "say notes": a word said) */
      /* a task named clearly with no file at all ("talk", "sign": no name): what it needs */
      {"transcribe talk", "automatic-speech-recognition needs an audio"},
      {"transcribe", "automatic-speech-recognition needs an audio"},
      {"make sign black and white", "image-to-image needs an image"},
      {"now make it black and white", "image-to-image needs an image"}};
  for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(plan_alone(asks[i][0], &g, err, sizeof err), -1, "'%s' was planned", asks[i][0]);
    cr_expect(strstr(err, asks[i][1]) && strstr(err, "pass one as input"), "%s: %s", asks[i][0],
              err);
    cr_assert_eq(g.n, 0);
  }
}

Test(planner_offline, a_comparison_given_one_text_is_not_planned) {
  /* nothing to compare it with: not the file it is saved to, nor a lone reading of the picture */
  static const char *const asks[] = {"compare 'a cat' and save it as s.txt",
                                     "how similar is photo.jpg?"};
  for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(plan_alone(asks[i], &g, err, sizeof err), -1, "'%s' was planned", asks[i]);
    cr_expect(strstr(err, "sentence-similarity needs two texts"), "%s: %s", asks[i], err);
  }
}

Test(planner_offline, a_step_left_out_for_want_of_a_file_is_named_in_the_note) {
  /* the rest is planned; the note says which words were left out and why */
  char err[512] = "", note[256] = "";
  char *got = plan_case("read the text in sign.png and enhance the audio quality", NULL, NULL,
                        NULL, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png)", "%s", err);
  cr_expect_str_eq(note, "left out \"enhance the audio quality\": audio-to-audio needs an audio: "
                         "name a file in the request or pass one as input");
  free(got);
  got = plan_case("read the text in sign.png", NULL, NULL, NULL, note, err, sizeof err);
  cr_expect_str_eq(note, "", "nothing left out, nothing said");
  free(got);
  /* long words left out are cut whole characters at a time */
  char req[1024];
  size_t n = (size_t)snprintf(req, sizeof req, "read the text in sign.png and enhance the audio "
                                               "quality of the song ");
  for (int i = 0; i < 60; i++)
    n += (size_t)snprintf(req + n, sizeof req - n, "\xc3\xa9");
  snprintf(req + n, sizeof req - n, ".");
  got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
  cr_assert(got && strstr(note, "left out"), "%s", got ? note : err);
  cr_expect(baton__utf8_valid(note, strlen(note)), "%s", note);
  free(got);
}

Test(planner_offline, a_step_working_on_what_a_step_left_out_would_make_is_named_in_the_note) {
  char err[512] = "", note[256] = "";
  char *got = plan_case("summarize it, read it aloud and draw a cat", NULL, NULL, NULL, note, err,
                        sizeof err);
  cr_assert_str_eq(got, "text-to-image(text=draw a cat)", "%s", got ? got : err);
  cr_expect_str_eq(note, "left out \"summarize it\": summarization needs a text: name a file in "
                         "the request or pass one as input; left out \"read it aloud\": it works "
                         "on what \"summarize it\" would have made");
  free(got);
  /* notes past the room the note has: those before them, whole */
  got = plan_case("summarize it, translate it into French and read it aloud, then draw a cat",
                  NULL, NULL, NULL, note, err, sizeof err);
  cr_assert_str_eq(got, "text-to-image(text=draw a cat)", "%s", got ? got : err);
  cr_expect(strstr(note, "left out \"translate it into French\": it works on what") &&
                !strstr(note, "read it aloud"), "%s", note);
  free(got);
}

/* Plans req_fmt with each of the n items in turn: each plans as `plan`, its note is note_fmt of
 * the item. */
static void expect_each_note(const char *req_fmt, const char *const *items, size_t n,
                             const char *plan, const char *note_fmt) {
  char err[512] = "", note[256] = "";
  for (size_t i = 0; i < n; i++) {
    char req[128], want[256];
    snprintf(req, sizeof req, req_fmt, items[i]);
    char *got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
    cr_assert_str_eq(got, plan, "%s", got ? got : err);
    snprintf(want, sizeof want, note_fmt, items[i]);
    cr_expect_str_eq(note, want);
    free(got);
  }
}

Test(planner_offline, a_recording_said_to_be_in_another_language_is_named_in_the_note) {
  /* the local speech recogniser knows only English: the plan says so */
  static const char *const langs[] = {"French", "Spanish"};
  expect_each_note("transcribe talk.wav, it is in %s", langs, 2,
                   "automatic-speech-recognition(audio=talk.wav)",
                   "the local speech recogniser knows only English: the recording is said to be "
                   "in %s");
  expect_each_note("transcribe talk.wav%s", (const char *const[]){""}, 1,
                   "automatic-speech-recognition(audio=talk.wav)", "%s");
}

/* Plans request alone: refused, its error holding want. */
static void expect_refused(const char *request, const char *want) {
  char err[512] = "", note[256] = "";
  char *got = plan_case(request, NULL, NULL, NULL, note, err, sizeof err);
  cr_expect_null(got, "planned %s", got);
  cr_expect(strstr(err, want) != NULL, "err: %s", err);
  free(got);
}

Test(planner_offline, a_step_sending_what_is_made_is_left_out_and_named_in_the_note) {
  /* baton sends nothing: the summary is planned, its words end before "and email it" */
  char err[512] = "", note[256] = "";
  const char *sent[] = {"email it", "send it to Bob", "post it on Twitter"};
  expect_each_note("summarize notes.txt in three sentences and %s", sent, 3,
                   "summarization(text=notes.txt,instruction=summarize notes.txt in three "
                   "sentences)",
                   "left out \"%s\": baton does not send or post anything: it saves what it "
                   "makes in the run's folder, for you to send");
  /* "send it to me" is only given back; a request only sending is refused, saying why */
  char *got = plan_case("summarize notes.txt and send it to me", NULL, NULL, NULL, note, err,
                        sizeof err);
  cr_expect(got && !note[0], "%s: %s", got ? got : err, note);
  free(got);
  expect_refused("email notes.txt to Bob", "baton does not send or post anything");
  /* a step that cannot run for want of its file says so before the sending left out */
  expect_refused("caption the photo and post it", "image-to-text needs an image");
}

Test(planner_offline, a_name_to_save_as_that_is_no_plain_file_name_is_named_in_the_note) {
  /* the task runs; its output keeps the run's own name, and the note says why */
  const char *paths[] = {"../evil.txt", "/tmp/out.txt", "out/sum.txt"};
  expect_each_note("summarize notes.txt and save it as %s", paths, 3,
                   "summarization(text=notes.txt,instruction=summarize notes.txt)",
                   "not saved as '%s': outputs are saved under a plain file name, in the run's "
                   "folder");
}

Test(planner_offline, a_misspelt_task_word_is_read_as_the_word_and_the_note_says_so) {
  /* one letter off a word of the lexicon's spelled class, or two letters of one of its swapped
   * class swapped, is read as the word, in the task's instruction too; words the planner knows
   * stay as they are */
  char err[512] = "", note[256] = "";
  char *got = plan_case("pls transcribe meeting.wav and sumarize it", NULL, NULL, NULL, note, err,
                        sizeof err);
  cr_assert_str_eq(got, "automatic-speech-recognition(audio=meeting.wav) summarization(text=<0>,"
                        "instruction=summarize it)", "%s", got ? got : err);
  cr_expect_str_eq(note, "read 'sumarize' as 'summarize'");
  free(got);
  got = plan_case("Transalte notes.txt into French and summerize it", NULL, NULL, NULL, note, err,
                  sizeof err);
  cr_assert(got, "%s", err);
  cr_expect_str_eq(note, "read 'Transalte' as 'translate', 'summerize' as 'summarize'");
  free(got);
  got = plan_case("sumarize a.txt and sumarize b.txt", NULL, NULL, NULL, note, err, sizeof err);
  cr_assert(got, "%s", err);
  cr_expect_str_eq(note, "read 'sumarize' as 'summarize'"); /* once */
  free(got);
  got = plan_case("run the summarizer on notes.txt", NULL, NULL, NULL, note, err, sizeof err);
  cr_assert(got, "%s", err);
  cr_expect_str_eq(note, ""); /* a word derived from one of the class is no misspelling */
  free(got);
  got = plan_case("rotaet photo.jpg by 90 degrees", NULL, NULL, NULL, note, err, sizeof err);
  cr_assert_str_eq(got,
                   "image-to-image(image=photo.jpg,instruction=rotate photo.jpg by 90 degrees)",
                   "%s", got ? got : err);
  cr_expect_str_eq(note, "read 'rotaet' as 'rotate'");
  free(got);
  got = plan_case("summarize the question's answer in notes.txt", NULL, NULL, NULL, note, err,
                  sizeof err);
  cr_assert(got, "%s", err);
  cr_expect_str_eq(note, "", "a possessive is no misspelling");
  free(got);
}

Test(planner_offline, more_drawings_of_one_kind_than_it_makes_at_once_are_refused) {
  baton__graph g;
  char err[512] = "";
  cr_assert_eq(plan_alone("generate 9 images of a dog", &g, err, sizeof err), -1);
  cr_expect(strstr(err, "9 drawings") && strstr(err, "at most 8"), "%s", err);
  cr_assert_eq(g.n, 0);
  cr_assert_eq(plan_alone("generate 99999999999999999999 images of a dog", &g, err, sizeof err),
               -1);
  cr_expect(strstr(err, "over 1000000 drawings"), "%s", err);
  cr_assert_eq(plan_alone("generate 0 pictures of a dog", &g, err, sizeof err), -1);
  cr_expect(strstr(err, "0 drawings") && strstr(err, "one to 8"), "%s", err);
  cr_assert_eq(plan_alone("generate 8 images of a dog", &g, err, sizeof err), 0, "%s", err);
  cr_expect_eq(g.n, 8);
  cr_expect_str_eq(baton__task_literal(&g.tasks[7], "seed"), "8");
  baton__graph_release(&g);
}

Test(planner_offline, a_translation_into_a_language_it_does_not_know_is_refused) {
  baton__graph g;
  char err[512] = "";
  cr_assert_eq(plan_alone("translate notes.txt into Klingon", &g, err, sizeof err), -1);
  cr_expect(strstr(err, "no language called 'Klingon'") && strstr(err, "spanish, french"), "%s",
            err);
  cr_expect_null(strstr(err, "castilian"), "one name a language: %s", err);
  cr_assert_eq(g.n, 0);
  /* words said in it too: no speech of "hello in Klingon" in English */
  expect_refused("say hello in Klingon", "no language called 'Klingon'; it knows english");
  expect_refused("read notes.txt aloud in Elvish.", "no language called 'Elvish'");
  cr_assert_eq(plan_alone("say hello to Bob", &g, err, sizeof err), 0, "not a language: %s", err);
  baton__graph_release(&g);
  /* asked again in it ("and in", "what about", "how about"): refused as the request asked so
   * would be */
  static const char *const again[] = {"and in Klingon?", "what about Klingon?",
                                      "how about Klingon?"};
  for (size_t k = 0; k < sizeof again / sizeof *again; k++) {
    char note[256] = "";
    char *got = plan_case(again[k], NULL, "[{\"role\":\"user\",\"content\":\"say hello "
                          "in French\"},{\"role\":\"assistant\",\"content\":\"done\"}]",
                          NULL, note, err, sizeof err);
    cr_expect_null(got, "%s: planned %s", again[k], got);
    cr_expect(strstr(err, "no language called 'Klingon'"), "%s: err: %s", again[k], err);
    free(got);
  }
  /* a language it knows, however written, is no such word */
  cr_assert_eq(plan_alone("Translate 'hello' To Esperanto", &g, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(baton__task_literal(&g.tasks[0], "tgt_lang"), "eo");
  baton__graph_release(&g);
}

Test(planner_offline, follows_a_conversation_of_several_turns) {
  /* the newest earlier output of the type wins; a file the request names
   * itself wins over the conversation */
  const char *turns = "[{\"role\":\"user\",\"content\":\"describe a.png\"},"
                      "{\"role\":\"assistant\",\"content\":\"a cat\","
                      "\"outputs\":{\"text\":\"a cat\"}},"
                      "{\"role\":\"user\",\"content\":\"now translate it to German\"},"
                      "{\"role\":\"assistant\",\"content\":\"eine Katze\","
                      "\"outputs\":{\"text\":\"eine Katze\"}}]";
  char err[512] = "";
  char *got = plan_case("read that aloud", NULL, turns, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "text-to-speech(text=eine Katze,instruction=read that aloud)", "%s", err);
  free(got);
  got = plan_case("rotate it by 90 degrees", NULL, turns, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "image-to-image(image=a.png,instruction=rotate it by 90 degrees)", "%s",
                   err);
  free(got);
  got = plan_case("describe b.jpg", NULL, turns, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=b.jpg)", "%s", err);
  free(got);
  /* "again" repeats the last request; on new files only when they fit it (offline_cases.tsv):
   * in place of the files it named, else of what it referred to ("translate it") */
  got = plan_case("do it again", NULL, turns, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "translation(text=eine Katze,tgt_lang=de)", "%s", err);
  free(got);
  got = plan_case("do the same for c.txt", NULL, turns, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "translation(text=c.txt,src_lang=en,tgt_lang=de)", "%s", err);
  free(got);
  const char *described = "[{\"role\":\"user\",\"content\":\"describe a.png\"}]";
  cr_assert_null(plan_case("do the same for c.txt", NULL, described, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err, "image-to-text needs an image, and c.txt is a text file");
  cr_assert_null(plan_case("do the same", NULL, NULL, NULL, NULL, err, sizeof err));
  /* an ordinal past what the last turn left is refused, not read as the newest */
  const char *two = "[{\"role\":\"user\",\"content\":\"caption a.jpg and b.png\"},"
                    "{\"role\":\"assistant\",\"content\":\"Done.\",\"tasks\":["
                    "{\"task\":\"image-to-text\",\"outputs\":{\"text\":\"a cat\"}},"
                    "{\"task\":\"image-to-text\",\"outputs\":{\"text\":\"a dog\"}}]}]";
  cr_assert_null(plan_case("read the third one aloud", NULL, two, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err, "\"read the third one aloud\": the last turn left fewer than that");
}

Test(planner_offline, repeats_or_adds_to_the_last_request_only_where_it_fits) {
  char err[512] = "";
  /* a task asked of a file of its own, none that can be planned ("compare" pictures), is no
   * repeat of the last request on that file; without a task it is */
  const char *rotated = "[{\"role\":\"user\",\"content\":\"rotate a.png by 90 degrees\"}]";
  cr_assert_null(plan_case("compare it with b.png", NULL, rotated, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err, "sentence-similarity needs a text, and b.png is an image file");
  /* naming a task and a file of another type: what the task needs, and what the file is; also
   * of one passed as input ("this") */
  char notes[] = "notes.txt", given[] = "notes.txt";
  cr_assert_null(plan_case("read the text in this", notes, NULL, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err, "image-to-text needs an image, and notes.txt is a text file");
  cr_assert_null(plan_case("transcribe this", given, NULL, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err,
                   "automatic-speech-recognition needs an audio, and notes.txt is a text file");
  cr_assert_null(plan_case("transcribe notes.txt", NULL, NULL, NULL, NULL, err, sizeof err));
  cr_assert_str_eq(err,
                   "automatic-speech-recognition needs an audio, and notes.txt is a text file");
  char *got = plan_case("and b.png?", NULL, rotated, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "image-to-image(image=b.png,instruction=rotate b.png by 90 degrees)", "%s",
                   err);
  free(got);
  /* words a preposition first add to the last request only when they name no task of their own */
  const char *summed = "[{\"role\":\"user\",\"content\":\"summarize notes.txt\"}]";
  got = plan_case("as a bullet list", NULL, summed, NULL, NULL, err, sizeof err);
  cr_assert_str_eq(got, "summarization(text=notes.txt,instruction=summarize notes.txt as a bullet "
                   "list)", "%s", err);
  free(got);
  got = plan_case("in table form", NULL, summed, NULL, NULL, err, sizeof err); /* "table" weighs */
  cr_assert_str_eq(got, "summarization(text=notes.txt,instruction=summarize notes.txt in table "
                   "form)", "%s", err); /* too little to name a task */
  free(got);
  cr_assert_null(plan_case("For the photo, describe it", NULL, summed, NULL, NULL, err,
                           sizeof err));
  cr_assert(strstr(err, "image-to-text needs an image") != NULL, "%s", err); /* none given */
}

Test(planner_offline, draws_no_change_praise_nor_other_output_in_place_of_the_last_drawing) {
  char err[512] = "", turns[400];
  /* after "draw a cat", "a ..." is a new subject to draw only when it is one plainly: not praise,
   * a change of the picture, another format or output, nor words on "it" */
  static const char *const said[] = {
      "a good one!", "a beautiful picture, thanks", "a masterpiece", "a lot better",
      "a cat is a mammal", "a wider one",
      "a photo this time", "now a red background", "a version with a hat",
      "a transparent background", "a 512x512 version", "a jpg version", "a png this time",
      "an mp3 this time", "a haiku this time", "a hat on it", "a name for it",
      "and a hat on its head", "a", "a dog, but in blue", "a different angle"};
  /* nor after a drawing of more than its own words: the edit or the file would be lost */
  static const char *const drew[] = {"draw a cat", "draw a cat and make it black and white",
                                     "draw a picture based on photo.jpg",
                                     "create an image from the text in notes.txt"};
  for (size_t d = 0; d < sizeof drew / sizeof *drew; d++) {
    snprintf(turns, sizeof turns,
             "[{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":"
             "\"ok\",\"outputs\":{\"image\":\"/tmp/cat.png\"},\"tasks\":[{\"task\":"
             "\"text-to-image\",\"outputs\":{\"image\":\"/tmp/cat.png\"}}]}]",
             drew[d]);
    for (size_t i = 0; i < (d ? 1 : sizeof said / sizeof *said); i++) {
      char *got = plan_case(d ? "now a dog" : said[i], NULL, turns, NULL, NULL, err, sizeof err);
      cr_expect_null(got, "after '%s', '%s' planned %s", drew[d], d ? "now a dog" : said[i], got);
      free(got);
    }
  }
  /* "a <words> one" after "draw a cat" draws the cat with the new words */
  snprintf(turns, sizeof turns,
           "[{\"role\":\"user\",\"content\":\"draw a cat\"},{\"role\":\"assistant\","
           "\"content\":\"ok\",\"outputs\":{\"image\":\"/tmp/cat.png\"},\"tasks\":[{\"task\":"
           "\"text-to-image\",\"outputs\":{\"image\":\"/tmp/cat.png\"}}]}]");
  char *got = plan_case("now a red one", NULL, turns, NULL, NULL, err, sizeof err);
  cr_expect(got && strstr(got, "text-to-image") && strstr(got, "red cat"), "planned %s", got);
  free(got);
}

Test(planner_offline, takes_no_step_s_own_words_for_the_text_it_points_at) {
  char err[512] = "", note[256] = "";
  /* "summarize it" with nothing at hand: refused, not the words "summarize it" summed up */
  char *got = plan_case("summarize it", NULL, NULL, NULL, NULL, err, sizeof err);
  cr_expect_null(got, "'summarize it' planned %s", got);
  cr_expect(strstr(err, "summarization needs a text") != NULL, "err: %s", err);
  free(got);
  /* after a question asked of two files, "summarize it" is left out, with a note */
  got = plan_case("which of a.txt and b.txt mentions Sunday? summarize it", NULL, NULL, NULL, note,
                  err, sizeof err);
  cr_expect(got && !strstr(got, "text=summarize it"), "planned %s", got);
  cr_expect(strstr(note, "summarize it") != NULL, "note: %s", note);
  free(got);
}

Test(planner_offline, asks_nothing_new_after_a_drawing_and_refuses_a_bad_conversation) {
  char err[512] = "";
  const char *summed = "[{\"role\":\"user\",\"content\":\"summarize notes.txt\"}]";
  /* after a drawing or a chat, asking to see it or for another of something else draws nothing */
  const char *drawn = "[{\"role\":\"user\",\"content\":\"draw a cat\"},{\"role\":\"assistant\","
                      "\"content\":\"ok\",\"outputs\":{\"image\":\"/tmp/cat.png\"},\"tasks\":[{"
                      "\"task\":\"text-to-image\",\"outputs\":{\"image\":\"/tmp/cat.png\"}}]}]";
  const char *joked = "[{\"role\":\"user\",\"content\":\"tell me a joke\"},{\"role\":"
                      "\"assistant\",\"content\":\"A joke.\",\"tasks\":[{\"task\":"
                      "\"conversational\",\"outputs\":{\"text\":\"A joke.\"}}]}]";
  cr_assert_null(plan_case("show me the picture", NULL, drawn, NULL, NULL, err, sizeof err));
  cr_assert_null(plan_case("give me another example", NULL, joked, NULL, NULL, err, sizeof err));
  cr_assert_null(plan_case("give me another one", NULL, summed, NULL, NULL, err, sizeof err));
  /* a long request of the drawing's words is no drawing asked again (each word is not looked for
   * in the last request: the work stays linear) */
  char many[400];
  size_t at = (size_t)snprintf(many, sizeof many, "draw the");
  for (int i = 0; i < 40; i++)
    at += (size_t)snprintf(many + at, sizeof many - at, " cat");
  snprintf(many + at, sizeof many - at, " again");
  char *got = plan_case(many, NULL, drawn, NULL, NULL, err, sizeof err);
  cr_assert_not_null(got, "%s", err);
  cr_assert(strstr(got, "seed") == NULL, "%s", got);
  free(got);
  /* an earlier message too long to plan is not planned again */
  char *big = malloc(20000), *long_turns = malloc(20100);
  memset(big, 'x', 19999), big[19999] = '\0';
  snprintf(long_turns, 20100, "[{\"role\":\"user\",\"content\":\"summarize %s\"}]", big);
  cr_assert_null(plan_case("again", NULL, long_turns, NULL, NULL, err, sizeof err));
  free(big), free(long_turns);
  /* without the conversation there is nothing to rotate */
  cr_assert_null(plan_case("rotate it by 90 degrees", NULL, NULL, NULL, NULL, err, sizeof err));
  /* a conversation that is not a list of messages is refused clearly */
  cr_assert_null(plan_case("read that aloud", NULL, "{\"role\":1}", NULL, NULL, err, sizeof err));
  cr_assert(strstr(err, "messages") != NULL, "%s", err);
}

/* The catalogue's tasks that can run: all but those named in `off`. */
static unsigned char *runnable_except(const char *const *off) {
  unsigned char *r = malloc(n_tasks);
  for (size_t i = 0; i < n_tasks; i++) {
    r[i] = 1;
    for (const char *const *o = off; *o; o++)
      if (strcmp(tasks[i].name, *o) == 0)
        r[i] = 0;
  }
  return r;
}

Test(planner_offline, prefers_tasks_that_can_run_and_names_a_missing_one) {
  /* "the category of the object" is image classification when a model can
   * run it, else the picture is read and its text classified */
  const char *req = "There is a picture called 'shell.jpg' on my laptop. Could you help me "
                    "figure out the category of the object in this picture?";
  char err[512] = "", note[256] = "";
  char *got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
  cr_assert_str_eq(got, "image-classification(image=shell.jpg)", "%s", err);
  free(got);
  const char *no_classifier[] = {"image-classification", NULL};
  unsigned char *run = runnable_except(no_classifier);
  got = plan_case(req, NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got,
                   "image-to-text(image=shell.jpg) text-classification(text=<0>,instruction=Could "
                   "you help me figure out the category of the object in this picture)",
                   "%s", err);
  cr_expect_str_eq(note, "");
  free(got);
  free(run);
  /* a request that clearly names a kind nothing can run keeps it, and says so */
  const char *no_tts[] = {"text-to-speech", NULL};
  run = runnable_except(no_tts);
  got = plan_case("read the text in sign.png aloud", NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png) text-to-speech(text=<0>,"
                        "instruction=read the text in sign.png aloud)", "%s", err);
  cr_expect_str_eq(note, "no model can run text-to-speech");
  free(got);
  /* ... also when it comes after a reading merged into an earlier one */
  got = plan_case("Translate sign.png into French, then read sign.png aloud.", NULL, NULL, run,
                  note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png) translation(text=<0>,src_lang=en,"
                        "tgt_lang=fr) text-to-speech(text=<0>,instruction=read sign.png aloud)",
                   "%s", err);
  cr_expect_str_eq(note, "no model can run text-to-speech");
  free(got);
  free(run);
}

Test(planner_offline, notes_an_input_no_step_takes) {
  char err[512] = "", note[256] = "", inputs[] = "sign.png";
  char *got = plan_case("summarize notes.txt", inputs, NULL, NULL, note, err, sizeof err);
  cr_assert_str_eq(got, "summarization(text=notes.txt,instruction=summarize notes.txt)", "%s",
                   err);
  cr_expect_str_eq(note, "the input sign.png was not used");
  free(got);
  char both[] = "sign.png,/data/notes.txt"; /* one named by its last part is used */
  got = plan_case("read the text in sign.png and summarize notes.txt", both, NULL, NULL, note,
                  err, sizeof err);
  cr_assert_not_null(got, "%s", err);
  cr_expect_str_eq(note, "", "%s", got);
  free(got);
}

Test(planner_offline, asks_a_pictures_text_when_nothing_answers_visual_questions) {
  /* a question about a picture is asked of its text where nothing answers visual questions */
  char err[512] = "", note[256] = "", *got;
  const char *no_vqa[] = {"visual-question-answering", NULL};
  unsigned char *run = runnable_except(no_vqa);
  static const char *const visual[] = {
      "What are the opening hours on sign.png?",
      "Answer the question 'When does it open?' using the text in sign.png",
      "When does it open? Look at sign.png", "When does it close? Read sign.png",
      "I have sign.png and a question: 'When does it open?'. I want the answer in French.",
      "I have sign.png and a question: 'When does it open?'. Please answer the question."};
  for (size_t i = 0; i < sizeof visual / sizeof *visual; i++) {
    got = plan_case(visual[i], NULL, NULL, NULL, note, err, sizeof err);
    cr_assert(got && strstr(got, "visual-question-answering("), "%s", got ? got : err);
    free(got);
    got = plan_case(visual[i], NULL, NULL, run, note, err, sizeof err);
    const char *want = "image-to-text(image=sign.png) question-answering(text=<0>,";
    cr_assert(got && strncmp(got, want, strlen(want)) == 0, "%s: %s", visual[i], got ? got : err);
    free(got);
  }
  /* a question quoted before the step that asks it is the question, not the passage */
  got = plan_case(visual[5], NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png) question-answering(text=<0>,question=When "
                        "does it open?)", "%s", err);
  free(got);
  /* what is read for the question is read aloud too */
  got = plan_case("When does it open? Read sign.png aloud", NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png) question-answering(text=<0>,question=When "
                        "does it open) text-to-speech(text=<0>,instruction=Read sign.png "
                        "aloud)", "%s", err);
  free(got);
  /* each question put is asked of that text: "Q1? Q2?" */
  got = plan_case("What is the date on sign.png? Who is it for?", NULL, NULL, run, note, err,
                  sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=sign.png) question-answering(text=<0>,question=What "
                        "is the date on sign.png) question-answering(text=<0>,question=Who is it "
                        "for)", "%s", err);
  free(got);
  free(run);
}

Test(planner_offline, reads_a_document_by_ocr_where_no_document_reader_can_run) {
  /* a scanned letter is read by a document reader where one can run, else by OCR */
  char err[512] = "", note[256] = "";
  const char *req = "I have a scanned letter letter.png. Please read it and summarize it.";
  char *got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
  cr_assert(got && strncmp(got, "document-question-answering(", 28) == 0, "%s", got ? got : err);
  free(got);
  const char *no_documents[] = {"document-question-answering", NULL};
  unsigned char *run = runnable_except(no_documents);
  got = plan_case(req, NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=letter.png) summarization(text=<0>,"
                        "instruction=summarize it)", "%s", err);
  cr_expect_str_eq(note, "");
  free(got);
  /* and a question about a document is asked of its text */
  req = "Who signed the letter in letter.png?";
  got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
  cr_assert(got && strncmp(got, "document-question-answering(", 28) == 0, "%s", got ? got : err);
  free(got);
  got = plan_case(req, NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "image-to-text(image=letter.png) question-answering(text=<0>,"
                        "question=Who signed the letter in letter.png)", "%s", err);
  free(got);
  free(run);
}

Test(planner_offline, asks_a_detector_if_a_thing_is_there_when_nothing_answers_visual_questions) {
  const char *no_vqa[] = {"visual-question-answering", NULL};
  const char *no_vqa_nor_detector[] = {"visual-question-answering", "object-detection", NULL};
  unsigned char *run = runnable_except(no_vqa), *neither = runnable_except(no_vqa_nor_detector);
  static const char *const asked[] = {"Are there any cats in photo.jpg?",
                                      "Is there a person in photo.jpg?",
                                      "I'd like to know if there are any dogs in photo.jpg"};
  char err[512] = "", note[256] = "";
  for (size_t i = 0; i < sizeof asked / sizeof *asked; i++) {
    char *got = plan_case(asked[i], NULL, NULL, NULL, note, err, sizeof err);
    cr_assert(got && strstr(got, "visual-question-answering("), "%s", got ? got : err);
    free(got);
    got = plan_case(asked[i], NULL, NULL, run, note, err, sizeof err);
    cr_assert(got && strncmp(got, "object-detection(image=photo.jpg,", 33) == 0, "%s: %s",
              asked[i], got ? got : err);
    free(got);
    got = plan_case(asked[i], NULL, NULL, neither, note, err, sizeof err);
    cr_assert(got && strncmp(got, "image-to-text(image=photo.jpg) question-answering(", 50) == 0,
              "%s: %s", asked[i], got ? got : err);
    free(got);
  }
  free(run);
  free(neither);
}

Test(planner_offline, gives_a_text_the_choices_it_lists_where_a_zero_shot_classifier_runs) {
  /* "classify notes.txt as sports, politics or science": a zero-shot classifier given the
   * choices where one can run, else the text's classifier told the request */
  const char *req = "classify notes.txt as sports, politics or science";
  const char *no_zero_shot[] = {"zero-shot-classification", NULL};
  unsigned char *run = runnable_except(no_zero_shot);
  char err[512] = "", note[256] = "";
  char *got = plan_case(req, NULL, NULL, NULL, note, err, sizeof err);
  cr_assert_str_eq(got, "zero-shot-classification(text=notes.txt,labels=sports,politics,science)",
                   "%s", err);
  free(got);
  got = plan_case(req, NULL, NULL, run, note, err, sizeof err);
  cr_assert_str_eq(got, "text-classification(text=notes.txt,instruction=classify notes.txt as "
                        "sports, politics or science)", "%s", err);
  cr_expect_str_eq(note, "");
  free(got);
  /* a zero-shot classifier named with no choices listed is the plain one: never without labels */
  got = plan_case("do zero-shot classification of notes.txt", NULL, NULL, NULL, note, err,
                  sizeof err);
  cr_assert(got && strncmp(got, "text-classification(text=notes.txt,", 35) == 0, "%s",
            got ? got : err);
  free(got);
  free(run);
}

Test(planner_offline, refuses_a_lexicon_naming_a_task_kind_the_registry_lacks) {
  extern const unsigned char baton__lexicon_yaml[];
  extern const size_t baton__lexicon_yaml_len;
  char *bad = malloc(baton__lexicon_yaml_len + 1);
  memcpy(bad, baton__lexicon_yaml, baton__lexicon_yaml_len + 1);
  char *at = strstr(bad, "speak: text-to-speech");
  cr_assert_not_null(at);
  memcpy(at, "speak: text-to-spooch", 21);
  baton__offline_req r = {.request = "read it aloud", .tasks = tasks, .n_tasks = n_tasks,
                          .lexicon_yaml = bad, .lexicon_len = baton__lexicon_yaml_len};
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__plan_offline_req(&r, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "lexicon.yaml:") && strstr(err, "text-to-spooch"), "%s", err);
  free(bad);
}

Test(planner_offline, reports_requests_with_no_task) {
  const char *none[] = {"hello there, how are you", "", "   ", "the weather is nice today"};
  for (size_t i = 0; i < 4; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(plan_alone(none[i], &g, err, sizeof err), -1,
                 "'%s' was planned", none[i]);
    cr_assert(strstr(err, "could not find any task in the request") != NULL, "%s", err);
    cr_assert(strstr(err, "\"summarize notes.txt\"") != NULL, "no example of how to ask: %s", err);
    cr_assert_eq(g.n, 0);
  }
}

Test(planner_offline, says_it_does_not_download_when_only_the_web_is_asked_for) {
  const char *web[] = {"Download the image from the url: 'https://example.com/images/a.jpg'",
                       "Please download the audio file from 'https://example.com/talk.wav'"};
  for (size_t i = 0; i < 2; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(plan_alone(web[i], &g, err, sizeof err), -1, "'%s' was planned", web[i]);
    cr_assert(strstr(err, "baton does not download or search the web: save the file"), "%s", err);
    cr_assert_eq(g.n, 0);
  }
  /* a search asks for no task, whatever it seeks: not a drawing, a video made, nor a question */
  const char *search[] = {"Find me a video on how to train my puppy.",
                          "Search for information about 'climate change'",
                          "I need to find an image of a beautiful sunset.",
                          "Please help me find a similar image to a.jpg.",
                          "I have a.jpg and I want to find similar images on the internet.",
                          "Please search for images similar to a.jpg",
                          "I would like you to perform a similar image search using a.jpg.",
                          "Find some articles about it by searching the web"};
  for (size_t i = 0; i < 8; i++) {
    baton__graph g;
    char err[320] = "";
    cr_assert_eq(plan_alone(search[i], &g, err, sizeof err), -1, "'%s' was planned", search[i]);
    cr_assert(strstr(err, "baton does not search the web") && strstr(err, "\"draw a sunset"),
              "%s", err);
    cr_assert_eq(g.n, 0);
  }
}

Test(planner_offline, a_file_no_executor_reads_is_named_in_the_error) {
  /* not a summary of the words "Summarize Q3_report.pdf"; a video is named too */
  const char *asks[][2] = {{"Summarize Q3_report.pdf", "Q3_report.pdf: baton cannot read .pdf"},
                           {"read data.CSV and classify it", "data.CSV: baton cannot read .csv"}};
  for (size_t i = 0; i < 2; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(plan_alone(asks[i][0], &g, err, sizeof err), -1, "'%s' was planned", asks[i][0]);
    cr_assert(strstr(err, asks[i][1]) && strstr(err, ".txt"), "%s: %s", asks[i][0], err);
    cr_assert_eq(g.n, 0);
  }
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(plan_alone("Transcribe meeting.mp4", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "automatic-speech-recognition cannot work on meeting.mp4") &&
            strstr(err, "does not read video"), "%s", err);
  /* the video named in a sentence of its own: the step asking for its speech still says so */
  cr_assert_eq(plan_alone("I have a video file talk.mp4 with a speech in it. Please transcribe "
                          "the speech into text.", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "cannot work on talk.mp4: baton does not read video"), "%s", err);
  /* what baton cannot do to a video is no text-to-video of the request's words */
  cr_assert_eq(plan_alone("I have a video lesson.mp4; pull a still frame out of it.", &g, err,
                          sizeof err), -1);
  cr_assert(strstr(err, "baton cannot work on lesson.mp4: it does not read video"), "%s", err);
  cr_assert_eq(plan_alone("Please speed up my holiday video beach.mp4", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "cannot work on beach.mp4"), "%s", err);
  /* nor a summary of "summarize that text" when that text was to come from the video */
  cr_assert_eq(plan_alone("I have a video lecture.mp4. Transcribe the speech in the video and "
                          "then summarize that text.", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "baton cannot work on lecture.mp4: it does not read video"), "%s", err);
  cr_assert_eq(plan_alone("I have a video lecture.mp4. Transcribe the speech into text and "
                          "simplify the text.", &g, err, sizeof err), -1); /* not "the text" */
  cr_assert(strstr(err, "cannot work on lecture.mp4"), "%s", err);
  cr_assert_eq(plan_alone("I have a video lecture.mp4. I want to transcribe its speech, expand the "
                          "transcribed text, and finally simplify the expanded text.", &g, err,
                          sizeof err), -1); /* "the expanded text" too was to come from the video */
  cr_assert(strstr(err, "cannot work on lecture.mp4"), "%s", err);
  cr_assert_eq(plan_alone("I have a video talk.mp4 in Spanish. I need the speech transcribed into "
                          "text and translated into English.", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "cannot work on talk.mp4"), "%s", err); /* not "translated into English" */
  /* a video the request makes is none the user has */
  cr_assert(plan_alone("Summarize the attached report and make a video out.mp4 of the summary", &g,
                       err, sizeof err) == 0 || !strstr(err, "out.mp4"), "%s", err);
  baton__graph_release(&g);
  /* a task that makes a video is not the one that "cannot work on" the user's */
  cr_assert_eq(plan_alone("I have a shaky video trip.mp4 and need help stabilizing it to produce "
                          "a smoother video.", &g, err, sizeof err), -1);
  cr_assert(strstr(err, "baton cannot work on trip.mp4: it does not read video"), "%s", err);
  /* "the video" of an earlier turn: no task, and a clear error (this request names no video) */
  cr_assert_null(plan_case("now speed up the video", NULL,
                           "[{\"role\":\"user\",\"content\":\"transcribe talk.mp4\"}]", NULL,
                           NULL, err, sizeof err));
  cr_assert(strstr(err, "could not find any task"), "%s", err);
  cr_assert_eq(plan_alone("Summarize the article at example.com/a.html", &g, err, sizeof err), 0,
               "%s", err); /* a web page is not refused: only the listed document kinds */
  baton__graph_release(&g);
}

Test(planner_offline, gives_the_same_plan_every_time) {
  const char *r = "read the text in sign.png, translate it to German and read it aloud";
  char *first = plan(r);
  cr_assert_not_null(first, "no plan for '%s'", r);
  cr_expect(strstr(first, "image-to-text(image=sign.png)") && strstr(first, "translation(") &&
                strstr(first, "text-to-speech("),
            "the plan reads, translates and speaks: %s", first);
  /* Other requests in between leave no trace in the next plan. */
  for (int i = 0; i < 20; i++) {
    free(plan(i % 2 ? "describe photo.jpg" : "summarize this: cats sleep a lot"));
    char *again = plan(r);
    cr_assert_str_eq(again, first, "plan %d differs", i);
    free(again);
  }
  free(first);
}

Test(planner_offline, survives_odd_and_oversized_requests) {
  const char *odd[] = {"'", "\"", "'unclosed quote and then translate", "and and and , , then then",
                       "\xe2\x80\x9c" "curly" "\xe2\x80\x9d then \xe2\x80\x98x\xe2\x80\x99 and",
                       ".png .wav", "translate \"\" into", "read . . . aloud ; ; ;",
                       "\xff\xfe\xfd summarize \x01\x02"};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    baton__graph g;
    char err[256] = "";
    int rc = plan_alone(odd[i], &g, err, sizeof err);
    if (rc == 0)
      cr_assert_eq(baton__graph_validate(&g, lookup, reg, err, sizeof err), 0, "%s", err);
    else
      cr_assert(err[0] != '\0', "no message for '%s'", odd[i]);
    baton__graph_release(&g);
  }
  /* Far too long: a clear refusal. */
  size_t n = 40000;
  char *big = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    big[i] = "summarize and "[i % 14];
  big[n] = '\0';
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(plan_alone(big, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "too long") != NULL, "%s", err);
  /* Many steps within the size limit: bounded, not a crash. */
  big[8000] = '\0';
  int rc = plan_alone(big, &g, err, sizeof err);
  cr_assert(rc == 0 || strstr(err, "more than") != NULL || strstr(err, "too many") != NULL,
            "%s", err);
  baton__graph_release(&g);
  free(big);
}

/* ---- TaskBench regression floors --------------------------------------- */

/* Pooled node and edge F1 on the 420 Hugging Face records of data_part.jsonl,
 * scored as TaskBench does (bench/planner_f1.c prints the full table): node
 * sets of tool names (names that are not tools ignored), edge sets of
 * (source, target) tool pairs from "task_links". Reported on the fixed
 * split: records 0-279 are the training half (rules and weights are
 * written and fitted on them), 280-419 the frozen half, never used for
 * either. The floors sit just under what the planner reaches (docs/
 * benchmarks.md), so a change that loses ground on either half fails. */
#define TB_RECORDS 420
#define TB_FROZEN 280
#define TB_MAX_ITEMS 64
static const double tb_node_floor[2] = {0.76, 0.69}; /* train, frozen */
/* frozen edges: 0.3896 in session 16; 0.3773 in session 18 (two true edges fewer, four false more)
 * after changes chosen on user requests outside data_part.jsonl (docs/benchmarks.md) */
static const double tb_edge_floor[2] = {0.43, 0.37};

static void norm_tool(const char *s, char *out, size_t cap) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++) {
    char c = baton__ascii_lower(s[i]);
    out[i] = (c == '_' || c == ' ') ? '-' : c;
  }
  out[i] = '\0';
}

typedef struct {
  char names[TB_MAX_ITEMS][200];
  size_t n;
} nameset;

static bool nameset_has(const nameset *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->names[i], name) == 0)
      return true;
  return false;
}

/* Adds a normalised name (or "a>b" edge) once. */
static void nameset_add(nameset *s, const char *a, const char *b) {
  char x[96], y[96], item[200];
  norm_tool(a, x, sizeof x);
  if (b) {
    norm_tool(b, y, sizeof y);
    baton__fmt(item, sizeof item, "%s>%s", x, y);
  } else {
    baton__fmt(item, sizeof item, "%s", x);
  }
  if (!nameset_has(s, item) && s->n < TB_MAX_ITEMS)
    baton__fmt(s->names[s->n++], sizeof s->names[0], "%s", item);
}

static void tally(const nameset *pred, const nameset *gold, long *tp, long *fp, long *fn) {
  for (size_t i = 0; i < pred->n; i++)
    nameset_has(gold, pred->names[i]) ? (*tp)++ : (*fp)++;
  for (size_t i = 0; i < gold->n; i++)
    if (!nameset_has(pred, gold->names[i]))
      (*fn)++;
}

/* The tool names of tool_desc.json. */
static void read_tools(const char *path, nameset *tools) {
  size_t len = 0;
  char *text = bt_slurp(path, &len);
  cJSON *desc = cJSON_ParseWithLength(text, len), *node;
  cr_assert_not_null(desc);
  cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(desc, "nodes")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "id");
    if (cJSON_IsString(id))
      nameset_add(tools, id->valuestring, NULL);
  }
  cJSON_Delete(desc);
  free(text);
}

/* A record's gold task names and (source, target) links. */
static void gold_sets(const cJSON *rec, nameset *nodes, nameset *edges) {
  const cJSON *node, *link;
  cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(rec, "task_nodes")) {
    /* (one record holds its nodes in an object of steps: same loop) */
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(node, "task");
    if (cJSON_IsString(task))
      nameset_add(nodes, task->valuestring, NULL);
  }
  cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(rec, "task_links")) {
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(link, "source");
    const cJSON *dst = cJSON_GetObjectItemCaseSensitive(link, "target");
    if (cJSON_IsString(src) && cJSON_IsString(dst))
      nameset_add(edges, src->valuestring, dst->valuestring);
  }
}

/* The planned task names and links of a request, names that are not tools left out. */
static void planned_sets(const char *request, const nameset *tools, nameset *nodes,
                         nameset *edges) {
  baton__graph g;
  char err[256];
  if (plan_alone(request, &g, err, sizeof err) != 0)
    return;
  for (size_t i = 0; i < g.n; i++) {
    char nm[96], src[96];
    norm_tool(g.tasks[i].task, nm, sizeof nm);
    if (!nameset_has(tools, nm))
      continue; /* names that are not tools are ignored */
    nameset_add(nodes, nm, NULL);
    for (size_t d = 0; d < g.tasks[i].n_deps; d++) {
      int k = baton__graph_find(&g, g.tasks[i].deps[d]);
      if (k < 0)
        continue;
      norm_tool(g.tasks[k].task, src, sizeof src);
      if (nameset_has(tools, src))
        nameset_add(edges, src, nm);
    }
  }
  baton__graph_release(&g);
}

/* Pooled true/false positives and false negatives of one half: nodes [0..2], edges [3..5]. */
typedef struct {
  long n[6];
} pooled;

static double pooled_f1(const pooled *c, int at) {
  const long *x = c->n + at;
  return 2.0 * (double)x[0] / (2.0 * (double)x[0] + (double)x[1] + (double)x[2]);
}

Test(planner_offline, keeps_taskbench_node_and_edge_f1_above_the_floors) {
  char *tools_path = bt_shared_data("taskbench/huggingface/tool_desc.json");
  char *data_path = bt_shared_data("taskbench/huggingface/data_part.jsonl");
  BT_SKIP_IF_NO_SHARED(tools_path, "taskbench/huggingface/tool_desc.json");
  BT_SKIP_IF_NO_SHARED(data_path, "taskbench/huggingface/data_part.jsonl");
  nameset tools = {.n = 0};
  read_tools(tools_path, &tools);
  size_t len = 0;
  char *data = bt_slurp(data_path, &len);
  pooled halves[2] = {{{0}}, {{0}}};
  int records = 0;
  for (char *cur = data, *line; records < TB_RECORDS && (line = baton__token(&cur, "\n"));) {
    cJSON *rec = cJSON_Parse(line);
    if (!rec)
      continue;
    pooled *h = &halves[records++ >= TB_FROZEN];
    nameset gold = {.n = 0}, pred = {.n = 0}, gold_e = {.n = 0}, pred_e = {.n = 0};
    gold_sets(rec, &gold, &gold_e);
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rec, "instruction");
    if (cJSON_IsString(ins))
      planned_sets(ins->valuestring, &tools, &pred, &pred_e);
    tally(&pred, &gold, &h->n[0], &h->n[1], &h->n[2]);
    tally(&pred_e, &gold_e, &h->n[3], &h->n[4], &h->n[5]);
    cJSON_Delete(rec);
  }
  free(data);
  free(tools_path);
  free(data_path);
  cr_assert_eq(records, TB_RECORDS, "read %d records", records);
  static const char *const names[2] = {"training records 0-279", "frozen records 280-419"};
  for (int h = 0; h < 2; h++) {
    double node_f1 = pooled_f1(&halves[h], 0), edge_f1 = pooled_f1(&halves[h], 3);
    cr_expect_geq(node_f1, tb_node_floor[h], "pooled node F1 %.3f on the %s fell below %.2f",
                  node_f1, names[h], tb_node_floor[h]);
    cr_expect_geq(edge_f1, tb_edge_floor[h], "pooled edge F1 %.3f on the %s fell below %.2f",
                  edge_f1, names[h], tb_edge_floor[h]);
  }
}

Test(planner_offline, an_arrow_before_a_medium_word_never_speaks_the_request_s_own_words) {
  /* "-> audio" says what to make of the picture's text, not words to speak; a video is refused */
  char err[512] = "", note[256] = "";
  char *got = plan_case("x.jpg -> caption -> French -> audio", NULL, NULL, NULL, note, err,
                        sizeof err);
  cr_assert(got, "%s", err);
  cr_expect(strncmp(got, "image-to-text(image=x.jpg)", 26) == 0, "%s", got);
  cr_expect(!strstr(got, "text=caption") && !strstr(got, "text=to audio"), "%s", got);
  free(got);
  expect_refused("video.mp4 -> audio", "does not read video");
}

/* "play it" after a transcription asks most likely for the recording itself, which baton cannot
 * play: not the transcript read out (as "read it" is); the case table cannot say "not planned". */
Test(planner_offline, does_not_read_out_a_transcript_asked_to_play_it) {
  static const char *const asks[] = {"play it", "play that", "play the result"};
  const char *turns = "[{\"role\":\"user\",\"content\":\"transcribe talk.wav\"},{\"role\":"
                      "\"assistant\",\"content\":\"Hello everyone.\",\"outputs\":{\"text\":"
                      "\"Hello everyone.\"},\"tasks\":[{\"task\":\"automatic-speech-recognition\","
                      "\"outputs\":{\"text\":\"Hello everyone.\"}}]}]";
  char note[512], err[512];
  for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
    char *got = plan_case(asks[i], NULL, turns, NULL, note, err, sizeof err);
    cr_expect(!got || !strstr(got, "text-to-speech"), "%s: planned %s", asks[i], got);
    free(got);
  }
  char *got = plan_case("read it", NULL, turns, NULL, note, err, sizeof err);
  cr_expect(got && strstr(got, "text-to-speech(text=Hello everyone."), "read it: %s",
            got ? got : err);
  free(got);
}

/* The translation of request's first step: whether the planner assumed its source language (its
 * src_lang the default) and target language, and the src_lang it gave ("" for none), into src. */
static void translation_assumed(const char *request, bool *source, bool *target, char *src,
                                size_t cap) {
  baton__graph g;
  char err[512] = "";
  cr_assert_eq(plan_alone(request, &g, err, sizeof err), 0, "'%s': %s", request, err);
  const baton__task *t = NULL;
  for (size_t i = 0; !t && i < g.n; i++)
    t = !strcmp(g.tasks[i].task, "translation") ? &g.tasks[i] : NULL;
  cr_assert_not_null(t, "'%s' was planned with no translation", request);
  *source = t->source_assumed, *target = t->target_assumed;
  const char *s = baton__task_literal(t, "src_lang");
  snprintf(src, cap, "%s", s ? s : "");
  baton__graph_release(&g);
}

Test(planner_offline, a_translation_naming_no_source_language_marks_its_default_as_assumed) {
  static const struct {
    const char *request, *src;
    bool source, target;
  } cases[] = {
      {"translate notes.txt into Spanish", "en", true, false},
      {"transcribe talk.wav and translate it into German", "en", true, false},
      {"translate notes.txt from French into Spanish", "fr", false, false},
      {"translate the German text in notes.txt into Spanish", "de", false, false},
      {"translate notes.txt into English", "", false, false}, /* from what it is: no src_lang */
      {"translate notes.txt", "", false, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool source = false, target = false;
    char src[16];
    translation_assumed(cases[i].request, &source, &target, src, sizeof src);
    cr_expect_str_eq(src, cases[i].src, "'%s'", cases[i].request);
    cr_expect_eq(source, cases[i].source, "'%s': source assumed %d", cases[i].request, source);
    cr_expect_eq(target, cases[i].target, "'%s': target assumed %d", cases[i].request, target);
  }
}
