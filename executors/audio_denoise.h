/* audio_denoise.h — classical noise reduction of a recording: a high-pass against rumble and hum, a low-pass against hiss, and a downward expander that lowers the noise between the sounds. */
#ifndef BATON_EXECUTORS_AUDIO_DENOISE_H
#define BATON_EXECUTORS_AUDIO_DENOISE_H

#include "executors/audio_io.h"

/* The parts of noise reduction, as flags. */
#define BATON__DENOISE_RUMBLE 1u /* 2nd-order Butterworth high-pass at 80 Hz: rumble, hum */
#define BATON__DENOISE_HISS 2u   /* 2nd-order Butterworth low-pass at 7 kHz, above 16 kHz */
#define BATON__DENOISE_GATE 4u   /* downward expander below twice the noise floor */

#define BATON__DENOISE_HIGHPASS_HZ 80
#define BATON__DENOISE_LOWPASS_HZ 7000
#define BATON__DENOISE_MAX_CUT_DB 20 /* the most the expander lowers a quiet part by */

/* What baton__pcm_denoise did. */
typedef struct baton__denoise_report {
  unsigned done;        /* the BATON__DENOISE_* parts that ran */
  const char *gate_why; /* why the expander did not run ("the recording is silent"), or NULL */
  double floor_dbfs;    /* the noise floor (10th percentile of 20 ms frame RMS), with GATE */
  double max_cut_db;    /* the most a 20 ms frame was lowered by, in dB (positive) */
  double mean_cut_db;   /* how much the lowered frames were lowered by on average, in dB */
  double lowered;       /* the fraction of the recording lowered, 0 to 1 */
} baton__denoise_report;

/* Reduces the noise of p in place: the parts asked for in `what` (BATON__DENOISE_* flags)
 * that apply (no low-pass at 16 kHz or below, no expander on a silent recording, one shorter
 * than 100 ms or one at a steady level), filters first, the same gain on every channel.
 * 0 with rep filled, or -1 when out of memory (p unchanged then). */
int baton__pcm_denoise(baton__pcm *p, unsigned what, baton__denoise_report *rep);

#endif
