/* audio_fade.h — a recording faded in from silence at its start or out to silence at its end. */
#ifndef BATON_EXECUTORS_AUDIO_FADE_H
#define BATON_EXECUTORS_AUDIO_FADE_H

#include <stdbool.h>

#include "executors/audio_io.h"

#define BATON__FADE_S 2.0 /* how long a fade lasts (the whole recording if shorter) */

/* Fades p in (its first `seconds` rising from silence) or out (its last `seconds` falling to
 * silence), linearly; the seconds it took (less when the recording is shorter). */
double baton__pcm_fade(baton__pcm *p, double seconds, bool in);

/* Which fades a lower-cased instruction asks for: "fade in", "fade it in", "fade out", "fade-out",
 * "fade the music out", "fade it in and out" (not "fade out the music in a.wav"); *in, *out set. */
void baton__fade_parse(const char *low, bool *in, bool *out);

#endif
