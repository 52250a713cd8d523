/* audio_cut.h — a part of a recording named in words ("the first 10 seconds", "from 1:30 to 2:00"), kept or cut out. */
#ifndef BATON_EXECUTORS_AUDIO_CUT_H
#define BATON_EXECUTORS_AUDIO_CUT_H

#include <stdbool.h>

#include "executors/audio_io.h"

typedef enum { CUT_NONE, CUT_FIRST, CUT_LAST, CUT_RANGE } baton__cut_kind;

/* What an instruction asks to keep or remove, in seconds. */
typedef struct baton__cut {
  baton__cut_kind kind;
  double from, to; /* CUT_FIRST and CUT_LAST: `to` long; CUT_RANGE: from `from` to `to` */
  bool remove;     /* cut it out ("remove the first 5 seconds"), else keep only it */
  bool share;      /* CUT_RANGE in shares of the length, 0 to 1 ("the second half") */
} baton__cut;

/* Reads the part the lower-cased instruction names: "the first 10 seconds", "the last 2
 * minutes", "from 0:30 to 1:15", "between 10 and 20 s", "from 1:00 on", "up to 45 s", "the first
 * second" (one of the unit); kept, unless it says remove, delete, drop, skip, "cut off", "cut
 * out", "cut the first ...". A time needs a unit (ms, s, sec, seconds, min, minutes, h) or the
 * m:ss form, but for one unit after "first" or "last". With no time, a share: an ordinal and a
 * fraction ("the second half", "the last third", "the middle third", "the first quarter"). */
baton__cut baton__cut_parse(const char *low);

/* The time unit at s ("10 seconds" at "seconds", "2min" at "min"): its length in seconds, 0 if
 * none. */
double baton__cut_unit_at(const char *s);

/* Applies the cut to p. 0 with what it did in desc (at least desclen bytes), or -1 with why in
 * desc: the part is empty or starts after the end. */
int baton__pcm_cut(baton__pcm *p, const baton__cut *c, char *desc, size_t desclen);

#endif
