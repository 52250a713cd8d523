/* audio_join.h — recordings joined: one after another (a silence between them if asked), or mixed, a background one lowered. */
#ifndef BATON_EXECUTORS_AUDIO_JOIN_H
#define BATON_EXECUTORS_AUDIO_JOIN_H

#include <stdbool.h>

#include "executors/audio_io.h"

/* Adds `next` to p, converted to p's rate and channels: after p's end and gap_s seconds of
 * silence, or with mix summed with p from the start (the longer sets the length; a sum past full
 * scale is scaled back under it; gap_s unused). next is released either way. 0; -1 out of memory;
 * -2 when the result would be longer than BATON__PCM_MAX_SECONDS (p unchanged). */
int baton__pcm_join(baton__pcm *p, baton__pcm *next, bool mix, double gap_s);

/* The level of p: the root mean square of its samples, 1.0 a full-scale square wave (0: silent). */
double baton__pcm_level(const baton__pcm *p);

/* Scales p down so that its level is `level` (> 0), if it is above it: the change in dB (<= 0). */
double baton__pcm_lower_to(baton__pcm *p, double level);

#endif
