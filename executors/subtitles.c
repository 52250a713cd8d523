/* subtitles.c — a transcript's timed words as subtitles (SubRip or WebVTT): which a task asks for, and the cues written out. */
#include "executors/subtitles.h"

#include <string.h>

#include "core/subcues.h"
#include "core/util.h"
#include "core/banned.h"

/* When a cue ends: subtitle guides keep a line under about 42 characters and a cue on screen
 * for a few seconds; a pause in the speech starts a new one. */
#define CUE_MAX_WORDS 7
#define CUE_MAX_CHARS 42
#define CUE_MAX_MS 4000
#define CUE_PAUSE_MS 600

const char *baton__subs_asked(const baton__values *in, const baton__exec_env *env) {
  const char *format = env ? env->file_format : NULL;
  if (format && (strcmp(format, "srt") == 0 || strcmp(format, "vtt") == 0))
    return format;
  const baton__value *mode = baton__values_get(in, "mode");
  if (!mode || !mode->data)
    return NULL;
  return strcmp(mode->data, "webvtt") == 0      ? "vtt"
         : strcmp(mode->data, "subtitles") == 0 ? "srt"
                                                : NULL;
}

const char *baton__subs_file_ext(const baton__exec_env *env, const char *format) {
  return env && env->file_format && *env->file_format ? env->file_format : format;
}

/* How many of w[0..n) the cue starting at w[0] takes (at least one). */
static size_t cue_length(const baton__timed_word *w, size_t n) {
  size_t k = 1, chars = strlen(w[0].word);
  while (k < n && k < CUE_MAX_WORDS) {
    size_t more = chars + 1 + strlen(w[k].word);
    if (more > CUE_MAX_CHARS || w[k].end_ms - w[0].start_ms > CUE_MAX_MS ||
        w[k].start_ms - w[k - 1].end_ms > CUE_PAUSE_MS)
      break;
    chars = more;
    k++;
  }
  return k;
}

char *baton__subs_render(const baton__timed_word *w, size_t n, bool vtt) {
  if (n == 0)
    return NULL;
  baton__sb sb;
  baton__sb_init(&sb);
  if (vtt)
    baton__sb_adds(&sb, "WEBVTT\n\n");
  for (size_t i = 0, cue = 1; i < n; cue++) {
    size_t k = cue_length(w + i, n - i);
    if (!vtt)
      baton__sb_addf(&sb, "%zu\n", cue);
    baton__subcues_add_time(&sb, w[i].start_ms, vtt);
    baton__sb_adds(&sb, " --> ");
    baton__subcues_add_time(&sb, w[i + k - 1].end_ms, vtt);
    baton__sb_addc(&sb, '\n');
    for (size_t j = i; j < i + k; j++)
      baton__sb_addf(&sb, "%s%s", j > i ? " " : "", w[j].word);
    baton__sb_adds(&sb, "\n\n");
    i += k;
  }
  return baton__sb_detach(&sb);
}
