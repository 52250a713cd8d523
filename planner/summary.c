/* summary.c — the offline summarizer: one plain answer that cites every step's result and file. */
#include "planner/summary.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Text results longer than this are shortened in the answer (the full text
 * stays in the run's JSON). */
#define QUOTE_MAX 1500

/* What a task did, in words, by pipeline tag. */
static const struct {
  const char *task;
  const char *verb;
} verbs[] = {
    {"image-to-text", "read the image"},
    {"text-to-speech", "spoke the text aloud"},
    {"summarization", "summarised the text"},
    {"translation", "translated the text"},
    {"automatic-speech-recognition", "transcribed the audio"},
    {"text-classification", "classified the text"},
    {"token-classification", "tagged the words of the text"},
    {"object-detection", "looked for objects in the image"},
    {"image-classification", "classified the image"},
    {"image-to-image", "transformed the image"},
    {"text-to-image", "drew an image"},
    {"audio-to-audio", "processed the audio"},
    {"question-answering", "answered the question"},
    {"visual-question-answering", "answered the question about the image"},
    {"document-question-answering", "answered the question about the document"},
    {"table-question-answering", "answered the question about the table"},
    {"sentence-similarity", "compared the texts"},
    {"text-generation", "wrote the text"},
    {"text2text-generation", "rewrote the text"},
    {"conversational", "replied"},
    {"image-segmentation", "segmented the image"},
    {"depth-estimation", "estimated the depth"},
    {"image-editing", "edited the image"},
    {"audio-classification", "classified the audio"},
    {"audio-information", "read the recording's facts"},
    {"image-information", "read the picture's facts"},
    {"tabular-classification", "read the table"},
    {"text-to-video", "made a video"},
};

static const char *verb_for(const char *task) {
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(verbs[i].task, task) == 0)
      return verbs[i].verb;
  return "ran";
}

static void quote(baton__sb *sb, const char *text) {
  size_t len = strlen(text);
  size_t n = baton__utf8_cut(text, len, QUOTE_MAX);
  baton__sb_adds(sb, "   \"");
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\n') {
      baton__sb_adds(sb, "\n    ");
      continue;
    }
    baton__sb_addc(sb, text[i]);
  }
  if (n < len)
    baton__sb_addf(sb, "…\" (%zu more bytes in the run's JSON)\n", len - n);
  else
    baton__sb_adds(sb, "\"\n");
}

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The number (from 1, as the answer lists them) of the task of tasks whose "id" is id, or 0. */
static int step_of(const cJSON *tasks, long id) {
  int step = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    step++;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "id");
    if (cJSON_IsNumber(v) && v->valuedouble == (double)id)
      return step;
  }
  return 0;
}

/* The error of a step skipped after task N failed, naming that one as the answer numbers it:
 * "skipped because step N+1 (...)" into sb; false when error says no such thing (or names no
 * task of tasks). */
static bool said_skipped_after(baton__sb *sb, const char *error, const cJSON *tasks) {
  size_t n = strlen(BATON__SKIPPED_BECAUSE);
  if (!error || strncmp(error, BATON__SKIPPED_BECAUSE, n) != 0)
    return false;
  char *end;
  long id = strtol(error + n, &end, 10);
  int step = end != error + n && *end == ' ' ? step_of(tasks, id) : 0;
  if (step)
    baton__sb_addf(sb, ": skipped because step %d%s\n", step, end);
  return step != 0;
}

/* A step that did not run to the end: "skipped", "cancelled" or "FAILED", with its error unless
 * that says only as much ("skipped because step 1 (...) did not succeed" is said once). */
static void not_done(baton__sb *sb, const char *status, const char *error, const cJSON *tasks) {
  const char *said = strcmp(status, "skipped") == 0     ? "skipped"
                     : strcmp(status, "cancelled") == 0 ? "cancelled"
                                                        : "FAILED";
  size_t n = strlen(said);
  if (error && !strcmp(error, "cancelled"))
    error = NULL; /* said by its status, or what made it fail */
  if (!strcmp(said, "skipped") && said_skipped_after(sb, error, tasks))
    return;
  if (error && !strncmp(error, said, n) && (error[n] == ' ' || !error[n]))
    baton__sb_addf(sb, ": %s\n", error); /* its error starts with what it is */
  else if (error)
    baton__sb_addf(sb, ": %s — %s\n", said, error);
  else
    baton__sb_addf(sb, ": %s\n", said);
}

char *baton__summarize_offline(const char *request, const cJSON *tasks) {
  baton__sb sb, files;
  baton__sb_init(&sb);
  baton__sb_init(&files);
  int n = cJSON_GetArraySize(tasks), ok = 0, failed = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    const char *status = str_of(t, "status");
    if (status && strcmp(status, "done") == 0)
      ok++;
    else
      failed++;
  }
  if (request)
    baton__sb_addf(&sb, "You asked: \"%.300s%s\"\n", request, strlen(request) > 300 ? "…" : "");
  if (failed == 0)
    baton__sb_addf(&sb, "Done in %d step%s:\n", n, n == 1 ? "" : "s");
  else
    baton__sb_addf(&sb, "%d of %d step%s succeeded:\n", ok, n, n == 1 ? "" : "s");

  int step = 0;
  cJSON_ArrayForEach(t, tasks) {
    step++;
    const char *task = str_of(t, "task");
    const char *model = str_of(t, "model");
    const char *status = str_of(t, "status");
    const char *error = str_of(t, "error");
    if (!task || !status)
      continue;
    baton__sb_addf(&sb, "%d. %s", step, task);
    if (model)
      baton__sb_addf(&sb, " (%s)", model);
    if (strcmp(status, "done") != 0) {
      not_done(&sb, status, error, tasks);
      continue;
    }
    baton__sb_addf(&sb, ": %s.\n", verb_for(task));
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(t, "outputs");
    const cJSON *o;
    cJSON_ArrayForEach(o, outs) {
      unsigned type = baton__type_from_name(o->string);
      if (cJSON_IsString(o) && baton__is_file_output(o->string, type)) {
        if (type)
          baton__sb_addf(&sb, "   Wrote the %s file %s\n", o->string, o->valuestring);
        else /* a text saved in a file (its save_as, or subtitles) */
          baton__sb_addf(&sb, "   Saved %s\n", o->valuestring);
        baton__sb_addf(&files, "  %s\n", o->valuestring);
      } else if (cJSON_IsString(o)) {
        if (!o->valuestring[0])
          baton__sb_adds(&sb, "   (no text was found)\n");
        else
          quote(&sb, o->valuestring);
      } else if (o) {
        char *js = cJSON_PrintUnformatted(o);
        if (js)
          quote(&sb, js);
        cJSON_free(js);
      }
    }
  }
  if (files.len) {
    baton__sb_adds(&sb, "Files produced:\n");
    baton__sb_add(&sb, files.buf, files.len);
  }
  baton__sb_release(&files);
  return baton__sb_detach(&sb);
}
