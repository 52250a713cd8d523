/* test_summary.c — the answer written without an LLM: every step in words, with its results. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/summary.h"

static char *summary_of(const char *request, const char *tasks_json) {
  cJSON *tasks = cJSON_Parse(tasks_json);
  cr_assert(cJSON_IsArray(tasks), "bad fixture: %s", tasks_json);
  char *s = baton__summarize_offline(request, tasks);
  cJSON_Delete(tasks);
  cr_assert_not_null(s);
  return s;
}

/* Each kind a step ran says what it did ("compared the texts"), not "ran". */
Test(planner_summary, every_step_says_what_it_did) {
  static const struct {
    const char *task, *said;
  } kinds[] = {
      {"sentence-similarity", "compared the texts"},
      {"text-generation", "wrote the text"},
      {"document-question-answering", "answered the question about the document"},
      {"image-segmentation", "segmented the image"},
      {"depth-estimation", "estimated the depth"},
      {"audio-classification", "classified the audio"},
      {"text-to-video", "made a video"},
      {"some-new-kind", "ran"},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char tasks[512];
    snprintf(tasks, sizeof tasks,
             "[{\"task\":\"%s\",\"model\":\"local/x\",\"status\":\"done\","
             "\"outputs\":{\"text\":\"a result\"}}]",
             kinds[i].task);
    char *s = summary_of("do it", tasks), want[256];
    snprintf(want, sizeof want, "1. %s (local/x): %s.\n", kinds[i].task, kinds[i].said);
    cr_assert(strstr(s, want), "%s: %s", kinds[i].task, s);
    cr_assert(strstr(s, "\"a result\""), "the result is quoted: %s", s);
    free(s);
  }
}

/* A failed step says so with its error, and the count says how many succeeded. */
Test(planner_summary, a_failed_step_is_named_with_its_error) {
  char *s = summary_of("compare them",
                       "[{\"task\":\"sentence-similarity\",\"status\":\"done\","
                       "\"outputs\":{\"text\":\"similarity 0.21\"}},"
                       "{\"task\":\"text-to-speech\",\"status\":\"failed\","
                       "\"error\":\"no voice\"}]");
  cr_assert(strstr(s, "1 of 2 steps succeeded"), "%s", s);
  cr_assert(strstr(s, "2. text-to-speech: FAILED — no voice"), "%s", s);
  free(s);
}

/* A step skipped after one that failed names that one by its number in the answer (counted
 * from 1, as the steps are listed), not by its task id (counted from 0). */
Test(planner_summary, a_skipped_step_names_the_failed_one_by_its_number) {
  char *s = summary_of("read the text in sign.png, summarize it and read it aloud",
                       "[{\"id\":0,\"task\":\"image-to-text\",\"status\":\"done\","
                       "\"outputs\":{\"text\":\"OPEN\"}},"
                       "{\"id\":1,\"task\":\"summarization\",\"status\":\"failed\","
                       "\"error\":\"too short\"},"
                       "{\"id\":2,\"task\":\"text-to-speech\",\"status\":\"skipped\","
                       "\"error\":\"" BATON__SKIPPED_BECAUSE "1 (summarization) did not succeed\"}]");
  cr_assert(strstr(s, "2. summarization: FAILED — too short\n"), "%s", s);
  cr_assert(strstr(s, "3. text-to-speech: skipped because step 2 (summarization) did not "
                      "succeed\n"), "%s", s);
  free(s);
}

/* A step skipped after one that failed says "skipped" once: its error starts with the word. */
Test(planner_summary, a_skipped_step_says_skipped_once) {
  char *s = summary_of("read the text in empty.png and read it aloud",
                       "[{\"task\":\"image-to-text\",\"status\":\"failed\","
                       "\"error\":\"empty.png is empty\"},"
                       "{\"task\":\"text-to-speech\",\"status\":\"skipped\","
                       "\"error\":\"skipped because task 0 (image-to-text) did not succeed\"},"
                       "{\"task\":\"text-to-speech\",\"status\":\"cancelled\","
                       "\"error\":\"cancelled\"}]");
  cr_assert(strstr(s, "1. image-to-text: FAILED — empty.png is empty\n"), "%s", s);
  cr_assert(strstr(s, "2. text-to-speech: skipped because task 0 (image-to-text) did not "
                      "succeed\n"), "%s", s);
  cr_assert(strstr(s, "3. text-to-speech: cancelled\n"), "%s", s);
  free(s);
}
