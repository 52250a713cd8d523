/* test_offline.c — the rule-based planner: wordings of common chains, linking, TaskBench floors. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/offline.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "support/support.h"
#include "core/banned.h"

extern const unsigned char baton__catalogue_yaml[];
extern const size_t baton__catalogue_yaml_len;

/* The shipped catalogue's tasks, through the registry. */
static char *tmp_dir;
static baton__registry *reg;
static const baton__taskspec *tasks;
static size_t n_tasks;

static void open_registry(void) {
  tmp_dir = bt_tmpdir();
  char *db = baton__path_join(tmp_dir, "registry.db");
  char err[512] = "";
  cr_assert_eq(baton__registry_open(db, (const char *)baton__catalogue_yaml,
                                    baton__catalogue_yaml_len, &reg, err, sizeof err),
               0, "%s", err);
  free(db);
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

/* Renders a graph compactly: "image-to-text(image=sign.png) summarization(text=<0>)".
 * Dependencies that are not also references show as "[deps 0 1]". */
static char *render(const baton__graph *g) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < g->n; i++) {
    const baton__task *t = &g->tasks[i];
    baton__sb_addf(&sb, "%s%s(", i ? " " : "", t->task);
    size_t refs = 0;
    for (size_t a = 0; a < t->n_args; a++) {
      if (t->args[a].ref >= 0) {
        baton__sb_addf(&sb, "%s%s=<%d>", a ? "," : "", t->args[a].name, t->args[a].ref);
        refs++;
      } else {
        baton__sb_addf(&sb, "%s%s=%s", a ? "," : "", t->args[a].name, t->args[a].value);
      }
    }
    baton__sb_adds(&sb, ")");
    if (t->n_deps != refs) {
      baton__sb_adds(&sb, "[deps");
      for (size_t d = 0; d < t->n_deps; d++)
        baton__sb_addf(&sb, " %d", t->deps[d]);
      baton__sb_adds(&sb, "]");
    }
  }
  return baton__sb_detach(&sb);
}

/* Plans `request` (with optional inputs), validates against the catalogue
 * and returns the rendering (caller frees). */
static char *plan_inputs(const char *request, const char *const *inputs, size_t n_inputs) {
  baton__graph g;
  char err[512] = "";
  int rc = baton__plan_offline(request, inputs, n_inputs, tasks, n_tasks, &g, err, sizeof err);
  cr_assert_eq(rc, 0, "'%s' was not planned: %s", request, err);
  cr_assert_eq(baton__graph_validate(&g, lookup, reg, err, sizeof err), 0,
               "'%s' gave an invalid plan: %s", request, err);
  for (size_t i = 0; i < g.n; i++)
    cr_assert_eq(g.tasks[i].id, (int)i, "ids are 0..n-1 in order");
  char *out = render(&g);
  baton__graph_release(&g);
  return out;
}

static char *plan(const char *request) { return plan_inputs(request, NULL, 0); }

#define EXPECT_PLAN(request, expected)                                               \
  do {                                                                               \
    char *got_ = plan(request);                                                      \
    cr_expect_str_eq(got_, (expected), "for '%s'", (request));                      \
    free(got_);                                                                      \
  } while (0)

Test(planner_offline, reads_summarises_and_speaks_a_sign) {
  const char *want = "image-to-text(image=examples/sign.png) summarization(text=<0>) "
                     "text-to-speech(text=<1>)";
  EXPECT_PLAN("read the text in examples/sign.png, summarize it and read it aloud", want);
  EXPECT_PLAN("OCR examples/sign.png; summarise it; finally speak the summary", want);
  EXPECT_PLAN("Please extract the text from examples/sign.png. Then give me a summary of it, "
              "and read the summary out loud.",
              want);
  EXPECT_PLAN("Scan 'examples/sign.png' and summarize what it says, then say the summary out loud",
              want);
}

Test(planner_offline, reads_and_translates_with_the_target_language) {
  EXPECT_PLAN("Could you OCR sign.png and then translate the result into Spanish?",
              "image-to-text(image=sign.png) translation(text=<0>,src_lang=en,tgt_lang=es)");
  EXPECT_PLAN("What does the sign in street.png say? Translate it to French.",
              "image-to-text(image=street.png) translation(text=<0>,src_lang=en,tgt_lang=fr)");
  EXPECT_PLAN("Translate this to German: 'Where is the station?'",
              "translation(text=Where is the station?,src_lang=en,tgt_lang=de)");
  EXPECT_PLAN("Translate 'hola amigos' from Spanish",
              "translation(text=hola amigos,src_lang=es,tgt_lang=en)");
}

Test(planner_offline, summarises_in_another_language_and_speaks) {
  EXPECT_PLAN("Summarise 'Baton turns requests into task graphs and runs them in order.' in "
              "Spanish and say it out loud",
              "summarization(text=Baton turns requests into task graphs and runs them in order.) "
              "translation(text=<0>,src_lang=en,tgt_lang=es) text-to-speech(text=<1>)");
  EXPECT_PLAN("Translate \"Good morning, everyone\" into Catalan and read it out loud",
              "translation(text=Good morning, everyone,src_lang=en,tgt_lang=ca) "
              "text-to-speech(text=<0>)");
}

Test(planner_offline, transcribes_and_summarises_a_recording) {
  const char *want = "automatic-speech-recognition(audio=meeting.wav) summarization(text=<0>)";
  EXPECT_PLAN("Please transcribe meeting.wav, then give me a short summary", want);
  EXPECT_PLAN("Transcribe the interview in 'meeting.wav' and summarize it", want);
  EXPECT_PLAN("I have a recording \"my talk.wav\". Write down what was said and sum it up.",
              "automatic-speech-recognition(audio=my talk.wav) summarization(text=<0>)");
  /* the step names no recording and says no "it": the earlier one is transcribed first */
  EXPECT_PLAN("I recorded my lecture in lecture.wav. Please summarize the lecture.",
              "automatic-speech-recognition(audio=lecture.wav) summarization(text=<0>)");
}

Test(planner_offline, turns_words_on_a_photo_into_speech) {
  const char *want = "image-to-text(image=photo.jpg) text-to-speech(text=<0>)";
  EXPECT_PLAN("Take photo.jpg, extract the words written on it, and turn them into speech", want);
  EXPECT_PLAN("Read the sign in photo.jpg aloud", want);
}

Test(planner_offline, plans_single_tasks_of_other_kinds) {
  EXPECT_PLAN("Generate an image of a cat playing piano",
              "text-to-image(text=a cat playing piano)");
  EXPECT_PLAN("Detect the objects in kitchen.jpg", "object-detection(image=kitchen.jpg)");
  EXPECT_PLAN("Classify the sentiment of 'I love this product'",
              "text-classification(text=I love this product)");
  EXPECT_PLAN("Could you please remove the background noise from call.wav?",
              "audio-to-audio(audio=call.wav)");
}

Test(planner_offline, does_not_split_inside_phrases_or_quotes) {
  EXPECT_PLAN("Make kitchen.jpg black and white",
              "image-to-image(image=kitchen.jpg,instruction=Make kitchen.jpg black and white)");
  EXPECT_PLAN("Summarize 'Cats sleep, then eat, and then translate nothing.'",
              "summarization(text=Cats sleep, then eat, and then translate nothing.)");
}

Test(planner_offline, passes_the_wish_to_image_transforms_and_edits) {
  EXPECT_PLAN("blur the photo holiday.png",
              "image-to-image(image=holiday.png,instruction=blur the photo holiday.png)");
  const char *inputs[] = {"cat.png"};
  char *got = plan_inputs("rotate it 90 degrees", inputs, 1);
  cr_expect_str_eq(got, "image-to-image(image=cat.png,instruction=rotate it 90 degrees)");
  free(got);
  EXPECT_PLAN("Add a red hat to the cat in cat.png",
              "image-editing(image=cat.png,text=Add a red hat to the cat in cat.png)");
}

Test(planner_offline, finds_several_tasks_in_one_clause) {
  EXPECT_PLAN("Could you estimate the depth of street.jpg to segment the image",
              "depth-estimation(image=street.jpg) image-segmentation(image=<0>)");
  EXPECT_PLAN("First transcribe talk.wav, then summarize it and finally turn the summary "
              "into speech",
              "automatic-speech-recognition(audio=talk.wav) summarization(text=<0>) "
              "text-to-speech(text=<1>)");
}

Test(planner_offline, answers_a_quoted_question_from_an_earlier_text) {
  EXPECT_PLAN("Transcribe lecture.wav, then answer the question 'Who spoke first?'",
              "automatic-speech-recognition(audio=lecture.wav) "
              "question-answering(text=<0>,question=Who spoke first?)");
  EXPECT_PLAN("Summarize 'Cats sleep a lot and eat fish.' and check how similar the summary is "
              "to 'Cats sleep.'",
              "summarization(text=Cats sleep a lot and eat fish.) "
              "sentence-similarity(text=<0>,text2=Cats sleep.)");
}

Test(planner_offline, says_one_task_once_and_ignores_words_inside_longer_cues) {
  /* "depth" twice without a new image: one task, no self-loop */
  EXPECT_PLAN("I want to understand the depth in room.jpg. Could you do a depth analysis of it?",
              "depth-estimation(image=room.jpg)");
  /* "part-of-speech" names tagging, not speech */
  EXPECT_PLAN("Find the named entities and part-of-speech tags in 'John went to Paris.'",
              "token-classification(text=John went to Paris.)");
  /* transcribing a recording does not also speak it */
  EXPECT_PLAN("Convert the speech in memo.wav into written text",
              "automatic-speech-recognition(audio=memo.wav)");
}

Test(planner_offline, reads_pictures_of_tables_and_documents_as_such) {
  /* a table in a picture is classified as a table, once */
  EXPECT_PLAN("I have a photo of a table in prices.jpg. Could you decipher its content and "
              "categorize it?",
              "tabular-classification(image=prices.jpg)");
  /* a document in a picture is asked about, with the whole question */
  EXPECT_PLAN("I scanned a document into invoice.png. What is the total amount on it?",
              "document-question-answering(image=invoice.png,text=What is the total amount on it)");
  /* an ordinary photo is still described */
  EXPECT_PLAN("Describe the photo beach.jpg", "image-to-text(image=beach.jpg)");
  /* "if there is a table in the new image" says nothing about this picture */
  EXPECT_PLAN("Describe the photo beach.jpg. If there is a table in it, tell me.",
              "image-to-text(image=beach.jpg)");
}

Test(planner_offline, asks_a_question_without_a_passage_of_the_picture) {
  EXPECT_PLAN("Here is street.jpg. Answer the question 'Which car is red?'",
              "visual-question-answering(image=street.jpg,text=Which car is red?)");
  /* with a passage, the question is about the passage */
  EXPECT_PLAN("Summarize 'Bees make honey from nectar.' and then answer the question "
              "'What do bees make?'",
              "summarization(text=Bees make honey from nectar.) "
              "question-answering(text=<0>,question=What do bees make?)");
}

Test(planner_offline, transcribes_a_narration_before_drawing_it) {
  EXPECT_PLAN("I made an audio narration of a scene in story.wav. Could you create an image "
              "based on my narration?",
              "automatic-speech-recognition(audio=story.wav) text-to-image(text=<0>)");
}

Test(planner_offline, everyday_edits_and_yes_no_questions) {
  EXPECT_PLAN("Make the sky in beach.jpg purple",
              "image-editing(image=beach.jpg,text=Make the sky in beach.jpg purple)");
  EXPECT_PLAN("Put a hat on the dog in dog.jpg",
              "image-editing(image=dog.jpg,text=Put a hat on the dog in dog.jpg)");
  EXPECT_PLAN("Remove the background from portrait.png",
              "image-editing(image=portrait.png,text=Remove the background from portrait.png)");
  EXPECT_PLAN("Is there a cat in pets.jpg?",
              "visual-question-answering(image=pets.jpg,text=Is there a cat in pets.jpg)");
  EXPECT_PLAN("Are there any cars in street.jpg?",
              "visual-question-answering(image=street.jpg,text=Are there any cars in street.jpg)");
  /* "to an audio file" makes one; "listen to the audio" works on one */
  EXPECT_PLAN("Please convert the following text message to an audio file: 'Hello, John.'",
              "text-to-speech(text=Hello, John.)");
  EXPECT_PLAN("Could you listen to the audio in note.wav and transcribe it?",
              "automatic-speech-recognition(audio=note.wav)");
  EXPECT_PLAN("I would like an image generated from this text: 'A red boat on a calm lake.'",
              "text-to-image(text=A red boat on a calm lake.)");
}

Test(planner_offline, makes_one_edit_of_a_transform_worded_as_an_edit) {
  EXPECT_PLAN("Can you modify the image 'room.jpg' by changing the background color to light "
              "blue?",
              "image-editing(image=room.jpg,text=Can you modify the image 'room.jpg' by changing "
              "the background color to light blue)");
}

Test(planner_offline, edits_a_picture_as_an_earlier_result_says) {
  /* "based on" the summary: the summary is the edit's instruction, and
   * "modify the image based on" is an edit, not a new drawing */
  EXPECT_PLAN("Summarize 'The room should feel calm. Paint the walls a soft blue and keep the "
              "floor light.' and then modify the image room.jpg based on the summary",
              "summarization(text=The room should feel calm. Paint the walls a soft blue and "
              "keep the floor light.) image-editing(image=room.jpg,text=<0>)");
  EXPECT_PLAN("Classify the sound in party.wav, then alter the picture crowd.jpg to reflect "
              "the detected mood",
              "audio-classification(audio=party.wav) image-editing(image=crowd.jpg,text=<0>)");
}

Test(planner_offline, names_the_medium_a_shared_verb_works_on) {
  /* "categorize" fits pictures, recordings and texts: the noun decides */
  EXPECT_PLAN("I have an image 'cat.jpg' and a recording 'cat.wav'. Please categorize the "
              "audio.",
              "audio-classification(audio=cat.wav)");
  EXPECT_PLAN("I have an image 'cat.jpg' and a recording 'cat.wav'. Please categorize the "
              "picture.",
              "image-classification(image=cat.jpg)");
}

Test(planner_offline, a_destination_language_makes_a_translation) {
  EXPECT_PLAN("Classify photo.jpg and convert the image category into French",
              "image-classification(image=photo.jpg) translation(text=<0>,src_lang=en,tgt_lang=fr)");
}

Test(planner_offline, answers_a_question_put_about_a_passage) {
  /* no task named, only a question and the text to answer it from */
  EXPECT_PLAN("Here is a passage: 'The Treaty of Paris was signed in 1783 by Britain and the "
              "United States, ending the war.' Could you help me figure out when the treaty was "
              "signed?",
              "question-answering(text=The Treaty of Paris was signed in 1783 by Britain and the "
              "United States, ending the war.,question=Could you help me figure out when the "
              "treaty was signed)");
  /* a question about a picture stays with the picture tasks */
  EXPECT_PLAN("Could you find out what colour the car in car.jpg is?",
              "visual-question-answering(image=car.jpg,text=Could you find out what colour the "
              "car in car.jpg is)");
}

Test(planner_offline, a_video_named_as_the_result_is_made_from_text) {
  EXPECT_PLAN("Classify the recording example.wav, edit the picture example.jpg based on "
              "the result, and make a video",
              "audio-classification(audio=example.wav) image-editing(image=example.jpg,text=<0>) "
              "text-to-video(text=<0>)");
}

Test(planner_offline, makes_what_a_relative_clause_describes_from_it) {
  /* "an audio clip that describes these objects": describe, then speak */
  EXPECT_PLAN("I've got a picture named 'park.jpg' with several objects in it. Can you help me "
              "generate an audio clip that properly describes these objects?",
              "image-to-text(image=park.jpg) text-to-speech(text=<0>)");
}

Test(planner_offline, reads_lists_and_any_as_cues) {
  /* a keyword list written with commas, and "any" as a determiner */
  EXPECT_PLAN("Here is a sentence: 'Ada Lovelace met Charles Babbage in London in 1833.' Please "
              "identify the people, places, and dates in it.",
              "token-classification(text=Ada Lovelace met Charles Babbage in London in 1833.)");
  EXPECT_PLAN("Identify any significant objects in street.jpg",
              "object-detection(image=street.jpg)");
}

Test(planner_offline, sets_the_scene_with_lead_ins_names_and_conditions) {
  /* "Let's consider that I have ...": a scene, not a request to chat */
  EXPECT_PLAN("Let's consider that I have a recording 'talk.wav' with a noisy conversation in it. "
              "Please transcribe it.",
              "automatic-speech-recognition(audio=talk.wav)");
  /* "labeled as" names the file: no request to label objects */
  EXPECT_PLAN("I've got this image labeled as 'cat.jpg' and I'm curious about its classification.",
              "image-classification(image=cat.jpg)");
  /* "the conversation" a recording holds is no request to chat */
  EXPECT_PLAN("I recorded an interview in 'interview.wav'. Could you help transcribe the "
              "conversation for me?",
              "automatic-speech-recognition(audio=interview.wav)");
  /* "Once we have an answer," is a condition, not a question to answer */
  EXPECT_PLAN("What colour is the car in car.jpg? Once we have an answer, read it aloud.",
              "visual-question-answering(image=car.jpg,text=What colour is the car in car.jpg) "
              "text-to-speech(text=<0>)");
}

Test(planner_offline, a_condition_that_names_an_action_is_a_step) {
  /* "After editing ..., could you ..." asks for the edit too */
  EXPECT_PLAN("I have a photo of a table in table.jpg. After editing the header to be blue, "
              "could you describe the picture?",
              "image-editing(image=table.jpg,text=After editing the header to be blue) "
              "tabular-classification(image=<0>)");
}

Test(planner_offline, reads_the_recording_a_step_refers_to) {
  /* "the essence of it": the recording named before, not the photo after */
  EXPECT_PLAN("I recorded my trip in 'trip.wav'. Could you distill the essence of it? The photo "
              "'beach.jpg' is for later.",
              "automatic-speech-recognition(audio=trip.wav) summarization(text=<0>)");
}

Test(planner_offline, one_object_is_classified_several_are_detected) {
  EXPECT_PLAN("I've taken a picture and saved it as 'thing.jpg'. Could you help me figure out "
              "what object it depicts?",
              "image-classification(image=thing.jpg)");
  EXPECT_PLAN("Please run an object detection model on street.jpg",
              "object-detection(image=street.jpg)");
}

Test(planner_offline, a_medium_and_what_it_shows_are_one_step) {
  /* "a video visualizing the classification": the video is what to make */
  EXPECT_PLAN("Classify the sound in clip.wav and create a video visualizing the classification",
              "audio-classification(audio=clip.wav) text-to-video(text=<0>)");
}

Test(planner_offline, tell_me_the_colour_is_a_question) {
  EXPECT_PLAN("Could you tell me the color of the sofa in room.jpg? And could you also provide "
              "me the color name in German?",
              "visual-question-answering(image=room.jpg,text=Could you tell me the color of the "
              "sofa in room.jpg) translation(text=<0>,src_lang=en,tgt_lang=de)");
}

Test(planner_offline, a_picture_made_earlier_is_not_the_table) {
  EXPECT_PLAN("I have an image 'sales.jpg' of a table. Classify the table, generate an image "
              "based on the result and then classify it.",
              "tabular-classification(image=sales.jpg) text-to-image(text=<0>) "
              "image-classification(image=<1>)");
}

Test(planner_offline, keeps_scene_setting_sentences_out_of_the_plan) {
  /* a subordinate clause or a filler before "I have ..." still only sets the scene:
   * "an image of a dog" there is no request to draw one */
  EXPECT_PLAN("While browsing, I found an image of a dog in dog.jpg. What breed is it?",
              "image-classification(image=dog.jpg)");
  EXPECT_PLAN("You know, I have an image of a painting in art.jpg. Could you tell me what's in "
              "it?",
              "image-classification(image=art.jpg)");
  /* a quoted file name with the sentence's comma inside the quotes */
  EXPECT_PLAN("Please take 'photo.jpg,' and detect the objects in it",
              "object-detection(image=photo.jpg)");
}

Test(planner_offline, makes_one_task_per_named_file) {
  EXPECT_PLAN("Detect objects in a.jpg and b.jpg",
              "object-detection(image=a.jpg) object-detection(image=b.jpg)");
}

Test(planner_offline, uses_input_files_for_steps_that_name_none) {
  const char *inputs[] = {"/tmp/holiday photo.png"};
  char *got = plan_inputs("Describe this image", inputs, 1);
  cr_expect_str_eq(got, "image-to-text(image=/tmp/holiday photo.png)");
  free(got);
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__plan_offline("Describe this image", NULL, 0, tasks, n_tasks, &g, err,
                                   sizeof err),
               -1);
  cr_assert(strstr(err, "needs an image") != NULL, "%s", err);
  cr_assert_eq(g.n, 0);
}

Test(planner_offline, reports_requests_with_no_task) {
  const char *none[] = {"hello there, how are you", "", "   ", "the weather is nice today"};
  for (size_t i = 0; i < 4; i++) {
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(baton__plan_offline(none[i], NULL, 0, tasks, n_tasks, &g, err, sizeof err), -1,
                 "'%s' was planned", none[i]);
    cr_assert(strstr(err, "could not find any task in the request") != NULL, "%s", err);
    cr_assert_eq(g.n, 0);
  }
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
    int rc = baton__plan_offline(odd[i], NULL, 0, tasks, n_tasks, &g, err, sizeof err);
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
  cr_assert_eq(baton__plan_offline(big, NULL, 0, tasks, n_tasks, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "too long") != NULL, "%s", err);
  /* Many steps within the size limit: bounded, not a crash. */
  big[8000] = '\0';
  int rc = baton__plan_offline(big, NULL, 0, tasks, n_tasks, &g, err, sizeof err);
  cr_assert(rc == 0 || strstr(err, "more than") != NULL || strstr(err, "too many") != NULL,
            "%s", err);
  baton__graph_release(&g);
  free(big);
}

/* ---- TaskBench regression floors --------------------------------------- */

/* Pooled node and edge F1 on all 420 Hugging Face records of data_part.jsonl,
 * scored as TaskBench does (bench/planner_f1.c prints the full table): node
 * sets of tool names (names that are not tools ignored), edge sets of
 * (source, target) tool pairs from "task_links". The floors are the goals
 * of the planner issue (node F1 >= 0.70, edge F1 >= 0.40) raised to just
 * under what the planner reaches (0.738 / 0.416), so a change that loses
 * ground fails here. */
#define TB_RECORDS 420
#define TB_MAX_ITEMS 64
#define TB_NODE_FLOOR 0.72
#define TB_EDGE_FLOOR 0.40

static void norm_tool(const char *s, char *out, size_t cap) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
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

Test(planner_offline, keeps_taskbench_node_and_edge_f1_above_the_floors) {
  char *tools_path = bt_shared_data("taskbench/huggingface/tool_desc.json");
  char *data_path = bt_shared_data("taskbench/huggingface/data_part.jsonl");
  BT_SKIP_IF_NO_SHARED(tools_path, "taskbench/huggingface/tool_desc.json");
  BT_SKIP_IF_NO_SHARED(data_path, "taskbench/huggingface/data_part.jsonl");

  size_t len = 0;
  char *text = bt_slurp(tools_path, &len);
  cJSON *desc = cJSON_ParseWithLength(text, len);
  cr_assert_not_null(desc);
  nameset tools = {.n = 0};
  const cJSON *node;
  cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(desc, "nodes")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "id");
    if (cJSON_IsString(id))
      nameset_add(&tools, id->valuestring, NULL);
  }
  cJSON_Delete(desc);
  free(text);

  char *data = bt_slurp(data_path, &len);
  long ntp = 0, nfp = 0, nfn = 0, etp = 0, efp = 0, efn = 0;
  int records = 0;
  char *line = data;
  while (records < TB_RECORDS && line && *line) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    cJSON *rec = cJSON_Parse(line);
    line = nl ? nl + 1 : NULL;
    if (!rec)
      continue;
    records++;
    nameset gold = {.n = 0}, pred = {.n = 0}, gold_e = {.n = 0}, pred_e = {.n = 0};
    cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(rec, "task_nodes")) {
      /* (one record holds its nodes in an object of steps: same loop) */
      const cJSON *task = cJSON_GetObjectItemCaseSensitive(node, "task");
      if (cJSON_IsString(task))
        nameset_add(&gold, task->valuestring, NULL);
    }
    const cJSON *link;
    cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(rec, "task_links")) {
      const cJSON *src = cJSON_GetObjectItemCaseSensitive(link, "source");
      const cJSON *dst = cJSON_GetObjectItemCaseSensitive(link, "target");
      if (cJSON_IsString(src) && cJSON_IsString(dst))
        nameset_add(&gold_e, src->valuestring, dst->valuestring);
    }
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rec, "instruction");
    baton__graph g;
    char err[256];
    if (cJSON_IsString(ins) &&
        baton__plan_offline(ins->valuestring, NULL, 0, tasks, n_tasks, &g, err, sizeof err) == 0) {
      for (size_t i = 0; i < g.n; i++) {
        char nm[96];
        norm_tool(g.tasks[i].task, nm, sizeof nm);
        if (!nameset_has(&tools, nm))
          continue; /* names that are not tools are ignored */
        nameset_add(&pred, nm, NULL);
        for (size_t d = 0; d < g.tasks[i].n_deps; d++) {
          int k = baton__graph_find(&g, g.tasks[i].deps[d]);
          char src[96];
          if (k >= 0) {
            norm_tool(g.tasks[k].task, src, sizeof src);
            if (nameset_has(&tools, src))
              nameset_add(&pred_e, src, nm);
          }
        }
      }
      baton__graph_release(&g);
    }
    tally(&pred, &gold, &ntp, &nfp, &nfn);
    tally(&pred_e, &gold_e, &etp, &efp, &efn);
    cJSON_Delete(rec);
  }
  free(data);
  free(tools_path);
  free(data_path);
  cr_assert_eq(records, TB_RECORDS, "read %d records", records);
  double node_f1 = 2.0 * (double)ntp / (2.0 * (double)ntp + (double)nfp + (double)nfn);
  double edge_f1 = 2.0 * (double)etp / (2.0 * (double)etp + (double)efp + (double)efn);
  cr_assert_geq(node_f1, TB_NODE_FLOOR,
                "pooled node F1 %.3f on the first %d TaskBench records fell below %.2f", node_f1,
                TB_RECORDS, TB_NODE_FLOOR);
  cr_assert_geq(edge_f1, TB_EDGE_FLOOR,
                "pooled edge F1 %.3f on the first %d TaskBench records fell below %.2f", edge_f1,
                TB_RECORDS, TB_EDGE_FLOOR);
}
