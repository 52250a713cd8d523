/* audio_echo.c — an echo added to a recording: the sound again after a delay, each time quieter, the recording longer by its tail. */
#include "executors/audio_echo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

int baton__pcm_echo(baton__pcm *p, double delay_s, double decay, int repeats) {
  size_t ch = (size_t)p->channels;
  double frames = delay_s * p->rate + 0.5;
  if (ch == 0 || !(frames >= 1 && frames < 1e9) || !(decay > 0 && decay < 1) || repeats < 1)
    return -1;
  size_t d = (size_t)frames, tail = d * (size_t)repeats;
  if (p->frames > SIZE_MAX / sizeof(float) / ch - tail)
    return -1;
  size_t n = (p->frames + tail) * ch;
  float *s = calloc(n, sizeof *s);
  if (!s)
    return -1;
  memcpy(s, p->s, p->frames * ch * sizeof *s);
  for (size_t i = d * ch; i < n; i++) /* each echo feeds the next */
    s[i] += (float)decay * s[i - d * ch];
  free(p->s);
  p->s = s, p->frames += tail;
  return 0;
}
