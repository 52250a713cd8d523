/* audio_loop.c — a recording played several times over, one time after another ("loop it 3 times"). */
#include "executors/audio_loop.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "executors/run_common.h"
#include "core/banned.h"

static const char *const loop_cues[] = {"loop", "repeat", "in a row", "back to back",
                                        "over and over", NULL};

/* Counts said as adverbs. */
static const struct {
  const char *word;
  int times;
} count_adverbs[] = {{"twice", 2}, {"thrice", 3}};

/* Words that make "3x" a speed, not a count ("loop it 3 times at 2x speed"). */
static const char *const loop_speed[] = {"speed", "tempo", "fast", "faster", "slow", "slower",
                                         "quicker", NULL};

/* Is s, after spaces, "times" as a word ("3 times"), or (x_ok) "x" ("3x")? */
static bool times_after(const char *s, bool x_ok) {
  s += strspn(s, " ");
  return (strncmp(s, "times", 5) == 0 && !isalpha((unsigned char)s[5])) ||
         (x_ok && *s == 'x' && !isalnum((unsigned char)s[1]));
}

/* The count low names before "times" (digits or a word; "3x" too with no word of speed: *by_x) or
 * as "twice", "thrice"; 0 when it is no whole number of times ("-3 times", "2.5 times"); -1 if
 * none. */
static int count_of(const char *low, bool *by_x) {
  bool x_ok = !baton__run_any_word(low, loop_speed, true);
  double v;
  for (const char *p = low, *after; baton__run_next_number(low, &p, &v, &after);)
    if (times_after(p, x_ok)) {
      *by_x = !times_after(p, false);
      return baton__run_minus_before(low, p) || v != floor(v) ? 0
             : v > 1e9 ? 1000000000 : (int)v;
    }
  int n;
  for (const char *p = low, *after; baton__run_next_number_word(low, &p, &n, &after);)
    if (times_after(after, false))
      return n;
  for (size_t i = 0; i < sizeof count_adverbs / sizeof count_adverbs[0]; i++)
    if (baton__run_has_word(low, count_adverbs[i].word, true))
      return count_adverbs[i].times;
  return -1;
}

int baton__loop_parse(const char *low, bool *by_x) {
  *by_x = false;
  if (!baton__run_any_word(low, loop_cues, false))
    return -1;
  int n = count_of(low, by_x);
  return n >= 0 ? n : BATON__LOOP_DEFAULT;
}

int baton__pcm_loop(baton__pcm *p, int times) {
  size_t ch = (size_t)p->channels, n = p->frames * ch;
  if (times < 1 || ch == 0 || p->rate <= 0)
    return -1;
  if ((double)p->frames * times / p->rate > BATON__PCM_MAX_SECONDS ||
      (double)n * times * sizeof(float) > BATON__LOOP_MAX_BYTES)
    return -2;
  if (times == 1 || n == 0)
    return 0;
  float *s = realloc(p->s, n * (size_t)times * sizeof *s); /* under BATON__LOOP_MAX_BYTES */
  if (!s)
    return -1;
  for (int k = 1; k < times; k++)
    memcpy(s + n * (size_t)k, s, n * sizeof *s);
  p->s = s, p->frames *= (size_t)times;
  return 0;
}
