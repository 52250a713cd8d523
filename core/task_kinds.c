/* task_kinds.c — the task kinds a model server endpoint may declare: known names and the nearest to a misspelt one. */
#include "core/task_kinds.h"

#include <string.h>

#include "core/banned.h"

#define KIND_MAX 64

/* executors/openai_tasks.c's task table and its unservable kinds, by name
 * (tests/executors/test_openai.c checks the executor's are all here). */
const char *const baton__task_kinds[] = {
    "summarization", "translation", "text-generation", "text2text-generation", "conversational",
    "question-answering", "table-question-answering", "text-classification",
    "zero-shot-classification", "token-classification", "fill-mask", "image-to-text",
    "visual-question-answering", "document-question-answering", "image-classification",
    "zero-shot-image-classification", "tabular-classification", "object-detection",
    "audio-classification", "automatic-speech-recognition", "text-to-speech", "text-to-image",
    "image-to-image", "image-editing", "sentence-similarity", "feature-extraction",
    "image-segmentation", "depth-estimation", "text-to-video", "audio-to-audio", NULL};

bool baton__task_kind_known(const char *name) {
  for (size_t i = 0; name && baton__task_kinds[i]; i++)
    if (strcmp(baton__task_kinds[i], name) == 0)
      return true;
  return false;
}

/* Levenshtein distance of a and b (each at most KIND_MAX bytes). */
static size_t distance(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b), row[KIND_MAX + 1];
  for (size_t j = 0; j <= nb; j++)
    row[j] = j;
  for (size_t i = 1; i <= na; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[nb];
}

const char *baton__task_kind_nearest(const char *name) {
  if (!name || strlen(name) > KIND_MAX)
    return NULL;
  size_t limit = strlen(name) / 3 < 2 ? 2 : strlen(name) / 3, best = limit + 1;
  const char *found = NULL;
  for (size_t i = 0; baton__task_kinds[i]; i++) {
    size_t d = distance(name, baton__task_kinds[i]);
    if (d < best)
      best = d, found = baton__task_kinds[i];
  }
  return found;
}
