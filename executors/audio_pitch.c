/* audio_pitch.c — a recording's pitch moved up or down by semitones at the same speed, and the words that ask for it. */
#include "executors/audio_pitch.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "executors/run_common.h"
#include "core/banned.h"

/*
 * Up by r = 2^(semitones/12): the recording is stretched r times as long at
 * the same pitch (audio_tempo.c), then its samples are taken as if recorded
 * at r times the rate and resampled back to the rate it had: as long as
 * before, every frequency r times as high.
 */
int baton__pcm_pitch(baton__pcm *p, double semitones) {
  if (!(fabs(semitones) <= BATON__PITCH_MAX_SEMITONES) || p->rate < 1)
    return -1;
  double r = pow(2.0, semitones / 12.0);
  int rate = p->rate, low = BATON__PITCH_MIN_RATE;
  if (semitones == 0 || p->frames == 0)
    return 0;
  if (rate * r < low && baton__pcm_resample(p, (int)ceil(low / r)) != 0) /* 8 kHz an octave down */
    return -1;
  if (baton__pcm_tempo(p, 1.0 / r) != 0)
    return -1;
  int taken = p->rate;
  p->rate = (int)lround(taken * r);
  return baton__pcm_resample(p, rate);
}

static const char *const pitch_cues[] = {"pitch",     "semitone", "octave",   "half step",
                                         "half-step", "deeper",   "higher voice", "high-pitched",
                                         "chipmunk",  "female",   "feminine", "woman",
                                         "male",      "masculine", NULL}; /* "sound like a woman" */
static const char *const pitch_kept[] = {"same pitch", "keep the pitch", "keeping the pitch",
                                         "changing the pitch", "preserve the pitch",
                                         "preserving the pitch", "original pitch", NULL};
static const char *const pitch_up[] = {"raise", "higher", "increase", "chipmunk", "female",
                                       "feminine", "woman", NULL};
static const char *const pitch_down[] = {"lower", "deeper", "decrease", "drop", "male",
                                         "masculine", "man's", NULL};
static const char *const pitch_up_weak[] = {"up", NULL}, *const pitch_down_weak[] = {"down", NULL};

/* The semitones `v` of the unit at `unit` make ("semitones", "half steps", "octaves"), or 0. */
static double interval_of(double v, const char *unit) {
  if (!strncmp(unit, "semitone", 8) || !strncmp(unit, "half", 4) || !strncmp(unit, "step", 4))
    return v;
  return !strncmp(unit, "octave", 6) ? v * 12.0 : 0;
}

/* A number of semitones or octaves in low ("3 semitones", "-2 half steps", "an octave", "two
 * octaves"): *st, true if one is named; negative when written with a minus. */
static bool named_interval(const char *low, double *st) {
  double v;
  for (const char *p = low, *end; baton__run_next_number(low, &p, &v, &end);)
    if ((*st = interval_of(baton__run_minus_before(low, p) ? -v : v, end)) != 0)
      return true;
  int n;
  for (const char *p = low, *after; baton__run_next_number_word(low, &p, &n, &after);)
    if ((*st = interval_of(n, after)) != 0)
      return true;
  return false;
}

double baton__pitch_parse(const char *low) {
  if (!baton__run_any_word(low, pitch_cues, false) || baton__run_any_word(low, pitch_kept, false))
    return 0;
  bool up = baton__run_any_word(low, pitch_up, true);
  bool down = !up && baton__run_any_word(low, pitch_down, true);
  if (!up && !down) { /* "speed up and lower the pitch": "up" only when nothing stronger says */
    up = baton__run_any_word(low, pitch_up_weak, true);
    down = !up && baton__run_any_word(low, pitch_down_weak, true);
  }
  double st = 0;
  bool named = named_interval(low, &st);
  if (named && st < 0) /* "-3 semitones" */
    return st;
  if (!named)
    st = BATON__PITCH_DEFAULT_SEMITONES;
  return up ? st : down ? -st : named ? st : 0;
}
