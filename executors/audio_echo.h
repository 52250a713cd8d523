/* audio_echo.h — an echo added to a recording: the sound again after a delay, each time quieter, the recording longer by its tail. */
#ifndef BATON_EXECUTORS_AUDIO_ECHO_H
#define BATON_EXECUTORS_AUDIO_ECHO_H

#include "executors/audio_io.h"

#define BATON__ECHO_DELAY_S 0.3 /* between the sound and its echo */
#define BATON__ECHO_DECAY 0.4   /* how loud each echo is beside the one before */
#define BATON__ECHO_REPEATS 4   /* echoes heard after the recording ends (the tail) */

/* Adds an echo to p: y[n] = x[n] + decay * y[n - delay], the recording growing by `repeats`
 * delays so that the last echoes are heard. 0, or -1 on a bad argument (a delay under one frame,
 * a decay outside (0, 1), repeats under 1) or out of memory. */
int baton__pcm_echo(baton__pcm *p, double delay_s, double decay, int repeats);

#endif
