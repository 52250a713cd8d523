/* audio_loop.h — a recording played several times over, one time after another ("loop it 3 times"). */
#ifndef BATON_EXECUTORS_AUDIO_LOOP_H
#define BATON_EXECUTORS_AUDIO_LOOP_H

#include <stdbool.h>

#include "executors/audio_io.h"

#define BATON__LOOP_DEFAULT 2 /* times played when a loop names no count ("loop it") */
#define BATON__LOOP_MAX 100   /* more times asked for are refused */
#define BATON__LOOP_MAX_BYTES (1024.0 * 1024 * 1024) /* of samples a loop may make */

/* How many times in all a lower-cased instruction asks the recording to play: "loop it 3 times",
 * "repeat music.wav twice", "play it four times in a row", "loop it 3x" (no word of speed: *by_x),
 * "loop it" (BATON__LOOP_DEFAULT); -1 when it asks for no loop; 0 for no whole number ("-3 times",
 * "2.5 times"). A count is returned as written, however large (the caller bounds it). */
int baton__loop_parse(const char *low, bool *by_x);

/* p played `times` in all, one time after another: 0; -2 when that would be longer than
 * BATON__PCM_MAX_SECONDS or take over BATON__LOOP_MAX_BYTES (p unchanged); -1 on a count under 1
 * or out of memory. */
int baton__pcm_loop(baton__pcm *p, int times);

#endif
