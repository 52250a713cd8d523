/* subcues.h — subtitles (SubRip or WebVTT) read back: each cue's words as one paragraph, and the same cues, numbers and times kept, holding other words. */
#ifndef BATON_CORE_SUBCUES_H
#define BATON_CORE_SUBCUES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* At most this many cues are read from one text (about 20 hours of speech). */
#define BATON__SUBCUES_MAX 20000

/* The words of each cue of subtitles s, a paragraph a cue (its lines joined by spaces; the
 * paragraphs parted by a blank line; cues with no words left out), into *lines (malloc'd;
 * caller frees) and their number into *n. 1 when s is subtitles: every block between blank
 * lines a cue (a number or an id, then "00:00:01,000 --> 00:00:02,500", then its words) or, in
 * WebVTT, its header, a NOTE, STYLE or REGION block; a leading byte order mark is skipped. 0
 * when s is not subtitles, -1 when out of memory or over BATON__SUBCUES_MAX cues. */
int baton__subcues_lines(const char *s, char **lines, size_t *n);

/* s's cues, in order, each holding the next paragraph of `words` (its lines joined by spaces)
 * instead of its own words, its number and times kept; blocks other than cues kept as they
 * are. A malloc'd text ending in one newline; NULL with err when `words` has not a paragraph
 * for each cue baton__subcues_lines() gave, or when out of memory. */
char *baton__subcues_refill(const char *s, const char *words, char *err, size_t errlen);

/* s (subtitles, as baton__subcues_lines() reads them) in WebVTT (`vtt`: a "WEBVTT" header,
 * "00:00:01.000" times) or SubRip ("00:00:01,000" times), cues numbered from 1, with '\n' line
 * ends; notes, styles and cue settings dropped. A malloc'd text ending in one newline; NULL when
 * out of memory. */
char *baton__subcues_as(const char *s, bool vtt);

/* A cue's time, ms from the start, as "00:01:02,345" (SubRip) or "00:01:02.345" (`vtt`). */
void baton__subcues_add_time(baton__sb *sb, long ms, bool vtt);

/* "vtt" when s begins (after a byte order mark) with the WebVTT header, else "srt". */
const char *baton__subcues_format(const char *s);

#endif
