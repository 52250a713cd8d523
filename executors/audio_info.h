/* audio_info.h — a recording's facts: how long it lasts, its format, rate, channels and size. */
#ifndef BATON_EXECUTORS_AUDIO_INFO_H
#define BATON_EXECUTORS_AUDIO_INFO_H

#include <stddef.h>

/* Reads the header of the recording at path (libsndfile; its samples are not decoded) and
 * writes its facts: *text a sentence named after `name` ("talk.wav lasts 12.4 seconds (0:12):
 * WAV (Microsoft), Signed 16 bit PCM, 16000 Hz, 1 channel (mono), 397164 bytes."), *json the
 * same as an object {seconds, frames, sample_rate, channels, format, encoding, bytes}; both
 * malloc'd. 0, or -1 with err (not a recording libsndfile reads, out of memory). */
int baton__audio_info(const char *path, const char *name, char **text, char **json, char *err,
                      size_t errlen);

#endif
