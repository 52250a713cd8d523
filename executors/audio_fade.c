/* audio_fade.c — a recording faded in from silence at its start or out to silence at its end. */
#include "executors/audio_fade.h"

#include <string.h>

#include "core/banned.h"

double baton__pcm_fade(baton__pcm *p, double seconds, bool in) {
  size_t ch = (size_t)p->channels, n = (size_t)(seconds * p->rate);
  n = n < p->frames ? n : p->frames;
  for (size_t f = 0; f < n; f++) {
    float g = (float)f / (float)n; /* 0 at the silent end */
    size_t at = in ? f : p->frames - 1 - f;
    for (size_t c = 0; c < ch; c++)
      p->s[at * ch + c] *= g;
  }
  return p->rate > 0 ? (double)n / p->rate : 0;
}

void baton__fade_parse(const char *low, bool *in, bool *out) {
  *in = *out = false;
  for (const char *f = strstr(low, "fade"); f; f = strstr(f + 1, "fade")) {
    const char *w = f + strcspn(f, " -"); /* past "fade", "fades", "fading" (not "faded") */
    if (strncmp(f, "faded", 5) == 0)
      continue;
    bool found = false; /* the first "in" or "out" in 4 words, and "and out" after it */
    for (int words = 0; *w && words < 6 && (found || words < 4); words++) {
      w += strspn(w, " -,.;");
      size_t n = strcspn(w, " -,.;");
      bool i = n == 2 && strncmp(w, "in", 2) == 0, o = n == 3 && strncmp(w, "out", 3) == 0;
      if (found && !i && !o && !(n == 3 && strncmp(w, "and", 3) == 0))
        break;
      *in |= i, *out |= o, found |= i || o;
      w += n;
    }
  }
}
