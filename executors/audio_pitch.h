/* audio_pitch.h — a recording's pitch moved up or down by semitones at the same speed, and the words that ask for it. */
#ifndef BATON_EXECUTORS_AUDIO_PITCH_H
#define BATON_EXECUTORS_AUDIO_PITCH_H

#include "executors/audio_io.h"

/* The largest shift either way: an octave. */
#define BATON__PITCH_MAX_SEMITONES 12.0
/* "Raise the pitch", "a deeper voice" with no number: a major third. */
#define BATON__PITCH_DEFAULT_SEMITONES 4.0
/* Below this rate a recording is resampled up before being shifted down. */
#define BATON__PITCH_MIN_RATE 8000

/* Moves p's pitch by `semitones` (positive: higher) keeping its length and rate. 0, or -1 on a
 * shift over BATON__PITCH_MAX_SEMITONES or out of memory. */
int baton__pcm_pitch(baton__pcm *p, double semitones);

/* The shift an instruction (lower-case) asks for, in semitones: "raise the pitch by 3 semitones"
 * 3, "an octave lower" -12, "a deeper voice" -4, "make it sound female" with "pitch" 4; 0 when it
 * asks for none ("speed up at the same pitch"). The caller refuses one over the maximum. */
double baton__pitch_parse(const char *low);

#endif
