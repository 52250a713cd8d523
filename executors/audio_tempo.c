/* audio_tempo.c — a recording played faster or slower at the same pitch: waveform-similarity overlap-add (WSOLA). */
#include "executors/audio_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define TEMPO_FRAME_S 0.040 /* analysis frame: a few pitch periods of a voice */
#define TEMPO_SEEK_S 0.012  /* how far from its nominal place a frame may be taken */
#define TEMPO_SEEK_HZ 8000  /* seeking compares the waveform as if sampled at this rate */

/*
 * The output is cut into frames of TEMPO_FRAME_S overlapping by half, each
 * windowed (Hann) and added. Frame k is taken from the input near k * hop *
 * speed, at the offset within TEMPO_SEEK_S whose waveform best matches what
 * followed the frame taken before it, so that the joins fall in phase and the
 * pitch stays where it was. Correlation runs on the channels' mean, in steps
 * of rate / TEMPO_SEEK_HZ samples, so that its cost does not grow with the
 * sample rate.
 */

/* The channels' mean of frame i. */
static float mono_at(const baton__pcm *p, size_t i) {
  float m = 0;
  for (int c = 0; c < p->channels; c++)
    m += p->s[i * (size_t)p->channels + (size_t)c];
  return m / (float)p->channels;
}

/* Where near `nominal` (within seek, in steps of step) the input best continues the frame that
 * started at `prev`; n frames long, positions kept to [0, last]. */
static size_t best_offset(const float *mono, size_t frames, size_t prev, size_t hop, size_t n,
                          size_t nominal, size_t seek, size_t step, size_t last) {
  size_t from = nominal > seek ? nominal - seek : 0, to = nominal + seek < last ? nominal + seek
                                                                                 : last;
  size_t want = prev + hop, best = nominal < last ? nominal : last;
  double best_c = -INFINITY;
  for (size_t pos = from; pos <= to; pos += step) {
    double c = 0;
    for (size_t i = 0; i < n && pos + i < frames && want + i < frames; i += step)
      c += (double)mono[pos + i] * mono[want + i];
    if (c > best_c)
      best_c = c, best = pos;
  }
  return best;
}

int baton__pcm_tempo(baton__pcm *p, double speed) {
  if (!(speed >= BATON__PCM_MIN_SPEED && speed <= BATON__PCM_MAX_SPEED) || p->rate < 1)
    return -1;
  size_t ch = (size_t)p->channels, n = (size_t)(TEMPO_FRAME_S * p->rate) & ~(size_t)1;
  size_t hop = n / 2, seek = (size_t)(TEMPO_SEEK_S * p->rate);
  size_t step = p->rate > TEMPO_SEEK_HZ ? (size_t)p->rate / TEMPO_SEEK_HZ : 1;
  size_t out_n = (size_t)((double)p->frames / speed + 0.5);
  if (p->frames < n || speed == 1.0 || out_n == 0)
    return 0; /* shorter than a frame: nothing to stretch */
  size_t last = p->frames - n;
  float *mono = malloc(p->frames * sizeof *mono), *o = calloc((out_n + n) * ch, sizeof *o);
  float *wsum = calloc(out_n + n, sizeof *wsum);
  if (!mono || !o || !wsum) {
    free(mono);
    free(o);
    free(wsum);
    return -1;
  }
  for (size_t i = 0; i < p->frames; i++)
    mono[i] = mono_at(p, i);
  for (size_t k = 0, prev = 0; k * hop < out_n; k++) {
    size_t nominal = (size_t)((double)(k * hop) * speed + 0.5);
    size_t pos = k ? best_offset(mono, p->frames, prev, hop, n, nominal, seek, step, last) : 0;
    for (size_t i = 0; i < n && pos + i < p->frames; i++) {
      float w = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n));
      for (size_t c = 0; c < ch; c++)
        o[(k * hop + i) * ch + c] += w * p->s[(pos + i) * ch + c];
      wsum[k * hop + i] += w;
    }
    prev = pos;
  }
  for (size_t i = 0; i < out_n; i++) /* the window's sum is 1 but at the ends */
    for (size_t c = 0; wsum[i] > 1e-3f && c < ch; c++)
      o[i * ch + c] /= wsum[i];
  free(mono);
  free(wsum);
  free(p->s);
  p->s = o;
  p->frames = out_n;
  return 0;
}
