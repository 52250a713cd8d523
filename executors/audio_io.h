/* audio_io.h — audio files in and out for the local audio executors: libsndfile decoding, mono mixdown, resampling, tempo, writing WAV, FLAC, Ogg, Opus, MP3 or AIFF. */
#ifndef BATON_EXECUTORS_AUDIO_IO_H
#define BATON_EXECUTORS_AUDIO_IO_H

#include <stddef.h>

#include "executors/executor.h"

/* Decoded audio: interleaved float samples in [-1, 1]. `s` is owned (freed
 * by baton__pcm_release). Only defined when libsndfile was found. */
typedef struct baton__pcm {
  float *s;
  size_t frames;   /* samples per channel */
  int channels;
  int rate;        /* Hz */
} baton__pcm;

/* Longest recording the audio executors accept. */
#define BATON__PCM_MAX_SECONDS 1800.0

/* Decodes any format libsndfile reads (WAV, FLAC, Ogg/Vorbis, Opus, MP3,
 * AIFF ...). Refuses files larger than max_bytes (0: no size limit) and
 * recordings longer than BATON__PCM_MAX_SECONDS. Returns 0 with out filled;
 * -1 when the file is at fault (missing, empty, too large or long, not audio
 * libsndfile decodes) or -2 when out of memory, with a message naming the file
 * as the user gave it in err (out left empty; baton__run_file_ok). */
int baton__pcm_load(const char *path, size_t max_bytes, baton__pcm *out, char *err,
                    size_t errlen);

/* baton__pcm_load() of an executor's input: 0, or -1 with env->err set, and env->bad_input when
 * the file is at fault. */
int baton__pcm_load_input(const char *path, size_t max_bytes, baton__pcm *out,
                          baton__exec_env *env);

/* Mixes the channels down to one (average). 0, or -1 when out of memory. */
int baton__pcm_to_mono(baton__pcm *p);

/* Reverses p in time (the last frame first), each frame's channels kept together. */
void baton__pcm_reverse(baton__pcm *p);

/* Resamples to `rate` Hz with a windowed-sinc (Blackman) interpolator that
 * low-passes when going down. 0, or -1 on a bad rate (8..384000 Hz) or out of
 * memory. */
int baton__pcm_resample(baton__pcm *p, int rate);

/* The speeds baton__pcm_tempo takes. */
#define BATON__PCM_MIN_SPEED 0.25
#define BATON__PCM_MAX_SPEED 4.0

/* Plays the recording `speed` times as fast (0.5: half speed) at the same
 * pitch (audio_tempo.c). 0, or -1 on a speed out of range or out of memory. */
int baton__pcm_tempo(baton__pcm *p, double speed);

/* The i-th file extension baton__pcm_write takes ("wav", "flac", "ogg",
 * "opus", "mp3", "aiff": those the libsndfile found at run time writes), or NULL past the last. */
const char *baton__pcm_format_name(size_t i);

/* The extension as baton__pcm_format_name spells it when baton__pcm_write takes it ("flac" for a
 * save_as "talk.flac"), else NULL (NULL too). */
const char *baton__pcm_format_of(const char *ext);

/* The last audio format named in lower-case text as a word of its own ("to mp3", "as flac",
 * "to m4a"), not a file's extension ("talk.wav"): one baton__pcm_write takes or one it does not
 * (check with baton__pcm_format_of); NULL if none. */
const char *baton__pcm_format_named(const char *low);

/* Why audio cannot be written as ext ("m4a"): the message, naming the formats
 * baton__pcm_write takes, into err. */
void baton__pcm_refusal(const char *ext, char *err, size_t errlen);

/* The sample rate the format of extension ext stores nearest above `rate`
 * (MP3 and Opus take a few rates only), or `rate` when it takes any. */
int baton__pcm_format_rate(const char *ext, int rate);

/* Writes p as the format of extension ext (16-bit PCM for WAV, FLAC, AIFF;
 * samples clipped to [-1, 1]); the rate must be one the format takes. 0, or
 * -1 with err. */
int baton__pcm_write(const char *path, const char *ext, const baton__pcm *p, char *err,
                     size_t errlen);

/* Frees the samples and empties p; NULL or empty is a no-op. */
void baton__pcm_release(baton__pcm *p);

#endif
