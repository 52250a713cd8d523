/* subtitles.h — a transcript's timed words as subtitles (SubRip or WebVTT): which a task asks for, and the cues written out. */
#ifndef BATON_EXECUTORS_SUBTITLES_H
#define BATON_EXECUTORS_SUBTITLES_H

#include <stdbool.h>
#include <stddef.h>

#include "executors/executor.h"

/* A recognised word and when it was said, in milliseconds from the recording's start. */
typedef struct {
  const char *word;
  long start_ms, end_ms;
} baton__timed_word;

/* The subtitle format a speech-recognition task asks for: "vtt" when its save_as names a .vtt
 * file or its "mode" is "webvtt", "srt" when the save_as names a .srt file or the mode is
 * "subtitles"; else NULL (a plain transcript). */
const char *baton__subs_asked(const baton__values *in, const baton__exec_env *env);

/* The extension of the subtitles file: the one save_as names ("talk.txt": subtitles in a text
 * file), else `format`. */
const char *baton__subs_file_ext(const baton__exec_env *env, const char *format);

/* The words as numbered SubRip cues ("1\n00:00:01,200 --> 00:00:03,050\nhello there\n\n"), or
 * WebVTT ("WEBVTT" header, "00:00:01.200" times) when vtt. A cue ends after a pause of over
 * 600 ms, at 7 words, 42 characters or 4 seconds. NULL when out of memory or n is 0. */
char *baton__subs_render(const baton__timed_word *w, size_t n, bool vtt);

#endif
