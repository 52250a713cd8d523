/* audio_denoise.c — classical noise reduction of a recording: a high-pass against rumble and hum, a low-pass against hiss, and a downward expander that lowers the noise between the sounds. */
#include "executors/audio_denoise.h"

#if defined(BATON_HAVE_SNDFILE)

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define DN_FRAME_S 0.02      /* the expander's analysis frames */
#define DN_MIN_FRAMES 5      /* 100 ms: fewer cannot tell noise from sound */
#define DN_FLOOR_PERCENTILE 0.10
#define DN_SILENT 1e-5       /* -100 dBFS, under a 16-bit step: silence, or a filter's tail */
#define DN_THRESHOLD 2.0     /* x the noise floor (+6 dB): louder frames keep their level */
#define DN_LAW 3.0           /* gain (rms / threshold)^3: 1:4 downward expansion */
#define DN_RELEASE_S 0.05    /* time to fall by the whole BATON__DENOISE_MAX_CUT_DB */
#define DN_LOWERED 0.999     /* a frame gain below this lowered the frame */
#define DN_BUTTERWORTH_Q 0.70710678118654752

/* A biquad filter (RBJ cookbook) and the state of one channel, transposed direct form II. */
typedef struct {
  double b0, b1, b2, a1, a2;
} biquad;

/* A 2nd-order Butterworth high-pass (high) or low-pass at f Hz for `rate` Hz. */
static biquad butterworth(double f, int rate, bool high) {
  double w = 2.0 * M_PI * f / rate, c = cos(w), alpha = sin(w) / (2.0 * DN_BUTTERWORTH_Q);
  double a0 = 1.0 + alpha, side = high ? (1.0 + c) / 2.0 : (1.0 - c) / 2.0;
  return (biquad){.b0 = side / a0,
                  .b1 = (high ? -2.0 : 2.0) * side / a0,
                  .b2 = side / a0,
                  .a1 = -2.0 * c / a0,
                  .a2 = (1.0 - alpha) / a0};
}

/* Runs the filter over every channel of p. */
static void filter(baton__pcm *p, biquad q) {
  size_t ch = (size_t)p->channels;
  for (size_t c = 0; c < ch; c++) {
    double z1 = 0, z2 = 0;
    for (size_t i = 0; i < p->frames; i++) {
      double x = p->s[i * ch + c], y = q.b0 * x + z1;
      z1 = q.b1 * x - q.a1 * y + z2;
      z2 = q.b2 * x - q.a2 * y;
      p->s[i * ch + c] = (float)y;
    }
  }
}

static bool all_zero(const baton__pcm *p) {
  for (size_t i = 0; i < p->frames * (size_t)p->channels; i++)
    if (p->s[i] != 0.0f)
      return false;
  return true;
}

/* The RMS over all channels of each `len`-frame stretch of p (the last may be shorter). */
static void frame_rms(const baton__pcm *p, size_t len, float *rms, size_t nf) {
  size_t ch = (size_t)p->channels;
  for (size_t k = 0; k < nf; k++) {
    size_t from = k * len, to = from + len < p->frames ? from + len : p->frames;
    double e = 0;
    for (size_t i = from * ch; i < to * ch; i++)
      e += (double)p->s[i] * p->s[i];
    rms[k] = (float)sqrt(e / (double)((to - from) * ch));
  }
}

static int by_value(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The noise floor: the 10th percentile of the frames' RMS, silent frames left out (sorted in
 * `tmp`). 0 when every frame is silent. */
static double noise_floor(const float *rms, size_t nf, float *tmp) {
  size_t m = 0;
  for (size_t k = 0; k < nf; k++)
    if (rms[k] > DN_SILENT)
      tmp[m++] = rms[k];
  if (m == 0)
    return 0;
  qsort(tmp, m, sizeof *tmp, by_value);
  return tmp[(size_t)((double)(m - 1) * DN_FLOOR_PERCENTILE)];
}

/* Why frames with these RMS values cannot be expanded below `threshold`, or NULL. */
static const char *gate_refusal(const float *rms, size_t nf, double threshold) {
  if (nf < DN_MIN_FRAMES)
    return "it is too short to tell noise from sound (under 100 ms)";
  if (threshold <= 0)
    return "the recording is silent";
  size_t loud = 0;
  for (size_t k = 0; k < nf; k++)
    loud += rms[k] >= threshold;
  if (loud == 0 || loud < nf / 50)
    return "the level is steady, with no quieter stretches between sounds to lower";
  return NULL;
}

/* Turns each frame's RMS (in g) into its gain: the expander's law, then held one frame either
 * side of a louder frame (the rise ends before a sound starts) and falling no faster than the
 * release. `tmp` holds nf floats. */
static void frame_gains(float *g, size_t nf, double threshold, float *tmp) {
  double floor_gain = pow(10.0, -BATON__DENOISE_MAX_CUT_DB / 20.0);
  for (size_t k = 0; k < nf; k++) {
    double x = g[k] >= threshold ? 1.0 : pow(g[k] / threshold, DN_LAW);
    g[k] = (float)(x > floor_gain ? x : floor_gain);
  }
  for (size_t k = 0; k < nf; k++) {
    float m = g[k];
    if (k > 0 && g[k - 1] > m)
      m = g[k - 1];
    if (k + 1 < nf && g[k + 1] > m)
      m = g[k + 1];
    tmp[k] = m;
  }
  double fall = pow(10.0, -BATON__DENOISE_MAX_CUT_DB * DN_FRAME_S / DN_RELEASE_S / 20.0);
  for (size_t k = 0; k < nf; k++) {
    float held = k > 0 ? (float)(g[k - 1] * fall) : 0.0f;
    g[k] = tmp[k] > held ? tmp[k] : held;
  }
}

/* Multiplies every channel of p by the frame gains, interpolated linearly between the frames'
 * centres so that the level changes without clicks. */
static void apply_gains(baton__pcm *p, size_t len, const float *g, size_t nf) {
  size_t ch = (size_t)p->channels;
  for (size_t i = 0; i < p->frames; i++) {
    double x = ((double)i + 0.5) / (double)len - 0.5; /* in frames, 0 at frame 0's centre */
    float gain = g[nf - 1];
    if (x <= 0) {
      gain = g[0];
    } else if ((size_t)x + 1 < nf) {
      size_t k = (size_t)x;
      gain = (float)(g[k] + (g[k + 1] - g[k]) * (x - (double)k));
    }
    for (size_t c = 0; c < ch; c++)
      p->s[i * ch + c] *= gain;
  }
}

/* How much the frame gains lowered the recording, into rep. */
static void report_gains(const float *g, size_t nf, baton__denoise_report *rep) {
  size_t n = 0;
  double sum = 0, most = 0;
  for (size_t k = 0; k < nf; k++) {
    if (g[k] >= DN_LOWERED)
      continue;
    double cut = -20.0 * log10((double)g[k]);
    sum += cut;
    most = cut > most ? cut : most;
    n++;
  }
  rep->lowered = (double)n / (double)nf;
  rep->mean_cut_db = n ? sum / (double)n : 0;
  rep->max_cut_db = most;
}

/* The expander over p's frames; rms and tmp hold nf floats each. */
static void expand(baton__pcm *p, size_t len, float *rms, float *tmp, size_t nf,
                   baton__denoise_report *rep) {
  frame_rms(p, len, rms, nf);
  double floor_rms = noise_floor(rms, nf, tmp), threshold = floor_rms * DN_THRESHOLD;
  rep->gate_why = gate_refusal(rms, nf, threshold);
  if (rep->gate_why)
    return;
  rep->floor_dbfs = 20.0 * log10(floor_rms);
  frame_gains(rms, nf, threshold, tmp);
  apply_gains(p, len, rms, nf);
  report_gains(rms, nf, rep);
  rep->done |= BATON__DENOISE_GATE;
}

int baton__pcm_denoise(baton__pcm *p, unsigned what, baton__denoise_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (p->frames == 0 || p->channels < 1 || p->rate < 1 || all_zero(p)) {
    rep->gate_why = "the recording is silent";
    return 0;
  }
  size_t len = (size_t)(DN_FRAME_S * p->rate + 0.5);
  len = len ? len : 1;
  size_t nf = p->frames / len + (p->frames % len != 0);
  float *rms = NULL, *tmp = NULL;
  if (what & BATON__DENOISE_GATE) {
    rms = malloc(nf * sizeof *rms);
    tmp = malloc(nf * sizeof *tmp);
    if (!rms || !tmp) {
      free(rms);
      free(tmp);
      return -1;
    }
  }
  if (what & BATON__DENOISE_RUMBLE && p->rate > 2 * BATON__DENOISE_HIGHPASS_HZ) {
    filter(p, butterworth(BATON__DENOISE_HIGHPASS_HZ, p->rate, true));
    rep->done |= BATON__DENOISE_RUMBLE;
  }
  if (what & BATON__DENOISE_HISS && p->rate > 16000) {
    filter(p, butterworth(BATON__DENOISE_LOWPASS_HZ, p->rate, false));
    rep->done |= BATON__DENOISE_HISS;
  }
  if (rms)
    expand(p, len, rms, tmp, nf, rep);
  free(rms);
  free(tmp);
  return 0;
}

#endif /* BATON_HAVE_SNDFILE */
