/* audio_info.h — a recording's facts: how long it lasts, its format, rate, channels, size and level. */
#ifndef BATON_EXECUTORS_AUDIO_INFO_H
#define BATON_EXECUTORS_AUDIO_INFO_H

#include <stddef.h>

/* Reads the header of the recording at path (libsndfile), then its samples block by block (never
 * the whole recording in memory; at most 57.6 million samples, ten minutes of 48 kHz stereo, of a
 * longer one, saying so) for their peak and RMS level, and writes its facts: *text a sentence
 * named after `name` ("talk.wav lasts 12.4 seconds (0:12): WAV (Microsoft), Signed 16 bit PCM,
 * 16000 Hz, 1 channel (mono), 397164 bytes. Its peak level is -6.0 dBFS and its RMS level -9.0
 * dBFS.", or "It is silent."), *json the same as an object {seconds, frames, sample_rate,
 * channels, format, encoding, bytes, peak_dbfs, rms_dbfs (both null for silence), level_seconds
 * (how much was measured)}; both malloc'd. 0; -1 with err when the file is at fault (not a
 * recording libsndfile reads, no rate or length in its header); -2 with err when out of memory. */
int baton__audio_info(const char *path, const char *name, char **text, char **json, char *err,
                      size_t errlen);

#endif
