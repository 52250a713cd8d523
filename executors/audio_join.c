/* audio_join.c — recordings joined: one after another (a silence between them if asked), or mixed, a background one lowered. */
#include "executors/audio_join.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* next as p plays it: p's rate, p's number of channels (a mono one copied to each, else mixed
 * down to mono and copied). 0, or -1 out of memory (next is then released). */
static int match_format(const baton__pcm *p, baton__pcm *next) {
  if ((next->rate != p->rate && baton__pcm_resample(next, p->rate) != 0) ||
      (next->channels != p->channels && next->channels != 1 && baton__pcm_to_mono(next) != 0)) {
    baton__pcm_release(next);
    return -1;
  }
  if (next->channels == p->channels)
    return 0;
  float *s = malloc(next->frames * (size_t)p->channels * sizeof *s + 1);
  if (!s) {
    baton__pcm_release(next);
    return -1;
  }
  for (size_t i = 0; i < next->frames; i++)
    for (int c = 0; c < p->channels; c++)
      s[i * (size_t)p->channels + (size_t)c] = next->s[i];
  free(next->s);
  next->s = s;
  next->channels = p->channels;
  return 0;
}

int baton__pcm_join(baton__pcm *p, baton__pcm *next, bool mix, double gap_s) {
  if (match_format(p, next) != 0)
    return -1;
  size_t ch = (size_t)p->channels;
  double gap_frames = mix || gap_s <= 0 ? 0 : gap_s * p->rate;
  if (gap_frames > BATON__PCM_MAX_SECONDS * p->rate) {
    baton__pcm_release(next);
    return -2;
  }
  size_t gap = (size_t)gap_frames;
  size_t frames = mix ? (p->frames > next->frames ? p->frames : next->frames)
                      : p->frames + gap + next->frames;
  if ((double)frames / p->rate > BATON__PCM_MAX_SECONDS) {
    baton__pcm_release(next);
    return -2;
  }
  float *s = realloc(p->s, frames * ch * sizeof *s + 1);
  if (!s) {
    baton__pcm_release(next);
    return -1;
  }
  if (mix) { /* summed; a peak over full scale is brought back under it */
    memset(s + p->frames * ch, 0, (frames - p->frames) * ch * sizeof *s);
    float peak = 0;
    for (size_t i = 0; i < frames * ch; i++) {
      s[i] += i < next->frames * ch ? next->s[i] : 0.0f;
      peak = fabsf(s[i]) > peak ? fabsf(s[i]) : peak;
    }
    for (size_t i = 0; peak > 1.0f && i < frames * ch; i++)
      s[i] /= peak;
  } else {
    memset(s + p->frames * ch, 0, gap * ch * sizeof *s);
    memcpy(s + (p->frames + gap) * ch, next->s, next->frames * ch * sizeof *s);
  }
  p->s = s;
  p->frames = frames;
  baton__pcm_release(next);
  return 0;
}

double baton__pcm_level(const baton__pcm *p) {
  double sum = 0;
  size_t n = p->frames * (size_t)p->channels;
  for (size_t i = 0; i < n; i++)
    sum += (double)p->s[i] * p->s[i];
  return n ? sqrt(sum / (double)n) : 0;
}

double baton__pcm_lower_to(baton__pcm *p, double level) {
  double now = baton__pcm_level(p);
  if (now <= level || level <= 0) /* (a level of 0 would silence it) */
    return 0;
  float gain = (float)(level / now);
  for (size_t i = 0; i < p->frames * (size_t)p->channels; i++)
    p->s[i] *= gain;
  return 20.0 * log10(level / now);
}
