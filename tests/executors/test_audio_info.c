/* test_audio_info.c — audio-information: a recording's length, format, rate, channels and size from its header, its peak and RMS level from its samples, named as it was given. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_SNDFILE)

#include <cjson/cJSON.h>
#include <math.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static bool bad_input; /* the last failure was the input's fault */

static void setup(void) { dir = bt_tmpdir(); }
static void teardown(void) {
  bt_rmtree(dir);
  free(dir);
}

TestSuite(executors_audio_info, .init = setup, .fini = teardown, .timeout = 30);

/* Writes `frames` frames of a 1 kHz sine of peak `amplitude` (0: silence) in every one of
 * `channels`, at `rate`, as `format`, at dir/rel. */
static char *write_tone(const char *rel, int format, int rate, int channels, sf_count_t frames,
                        double amplitude) {
  char *path = baton__path_join(dir, rel);
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  cr_assert_not_null(f, "cannot write %s: %s", path, sf_strerror(NULL));
  float *s = calloc((size_t)(frames * channels) + 1, sizeof *s);
  for (sf_count_t i = 0; amplitude != 0 && i < frames * channels; i++)
    s[i] = (float)(amplitude * sin(2 * M_PI * 1000.0 * (double)(i / channels) / rate));
  cr_assert_eq(sf_writef_float(f, s, frames), frames);
  sf_close(f);
  free(s);
  return path;
}

/* Writes `frames` frames of silence, `channels` at `rate`, as `format`, at dir/rel. */
static char *write_audio(const char *rel, int format, int rate, int channels, sf_count_t frames) {
  return write_tone(rel, format, rate, channels, frames, 0);
}

/* Runs audio-information on path: 0 with its text and json, or -1 with err. */
static int info(const char *path, char **text, cJSON **json, char *err, size_t errlen) {
  baton__values in = {0}, out = {0};
  cr_assert_eq(baton__values_add(&in, "audio", BATON__T_AUDIO, path), 0);
  baton__exec_env env = {.workspace = dir, .file_prefix = "task0"};
  int rc = baton__executor_sndfile.run(NULL, "audio-information", &in, &env, &out);
  bad_input = env.bad_input;
  const baton__value *t = baton__values_get(&out, "text"), *j = baton__values_get(&out, "json");
  *text = rc == 0 && t ? baton__strdup(t->data) : NULL;
  *json = rc == 0 && j ? cJSON_Parse(j->data) : NULL;
  baton__fmt(err, errlen, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return rc;
}

Test(executors_audio_info, says_how_long_a_recording_lasts_and_what_it_is) {
  cr_assert_not_null(strstr(baton__executor_sndfile.tasks[1], "audio-information"));
  char *path = write_audio("talk.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 16000 * 75 / 2);
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(text, "talk.wav lasts 37.5 seconds (0:38)") && strstr(text, "16000 Hz") &&
                strstr(text, "1 channel (mono)") && strstr(text, "WAV") &&
                strstr(text, "16 bit PCM"),
            "%s", text);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_float_eq(cJSON_GetObjectItem(j, "seconds")->valuedouble, 37.5, 1e-9);
  cr_assert_eq(cJSON_GetObjectItem(j, "channels")->valueint, 1);
  cr_assert_eq(cJSON_GetObjectItem(j, "sample_rate")->valueint, 16000);
  cr_assert_eq((long long)cJSON_GetObjectItem(j, "bytes")->valuedouble, (long long)st.st_size);
  /* silence has no level: said so, and null (valid JSON) for both */
  cr_assert(strstr(text, "It is silent.") && !strstr(text, "dBFS") && !strstr(text, "inf"), "%s",
            text);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "peak_dbfs")) &&
            cJSON_IsNull(cJSON_GetObjectItem(j, "rms_dbfs")));
  cr_assert_float_eq(cJSON_GetObjectItem(j, "level_seconds")->valuedouble, 37.5, 1e-9);
  free(text);
  cJSON_Delete(j);
  free(path);
}

/* "How loud is it?": a sine of peak 0.5 peaks at 20 log10 0.5 = -6.02 dBFS, its RMS 3.01 dB lower
 * (-9.03 dBFS), in the sentence and the JSON, whatever its channels and encoding. */
Test(executors_audio_info, says_how_loud_a_recording_is) {
  static const int formats[] = {SF_FORMAT_WAV | SF_FORMAT_PCM_16, SF_FORMAT_FLAC | SF_FORMAT_PCM_24,
                                SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
    char *path = write_tone(f == 1 ? "tone.flac" : "tone.wav", formats[f], 16000, 1 + (int)f % 2,
                            16000 * 3, 0.5);
    char *text, err[300];
    cJSON *j;
    cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(text, " Its peak level is -6.0 dBFS and its RMS level -9.0 dBFS."), "%s",
              text);
    cr_assert_float_eq(cJSON_GetObjectItem(j, "peak_dbfs")->valuedouble, -6.02, 0.011, "%s",
                       text);
    cr_assert_float_eq(cJSON_GetObjectItem(j, "rms_dbfs")->valuedouble, -9.03, 0.011, "%s", text);
    cr_assert_float_eq(cJSON_GetObjectItem(j, "level_seconds")->valuedouble, 3.0, 1e-9);
    free(text);
    cJSON_Delete(j);
    free(path);
  }
  /* a quieter one is quieter by as much: a tenth of the amplitude, 20 dB */
  char *path = write_tone("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 8000, 0.05);
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(text, "peak level is -26.0 dBFS and its RMS level -29.0 dBFS"), "%s", text);
  free(text);
  cJSON_Delete(j);
  free(path);
}

/* A float file whose samples are all no numbers (NaN) has no level to tell: it says so, not
 * that it is silent, and its levels are null. */
Test(executors_audio_info, a_level_of_no_numbers_cannot_be_read) {
  char *path = write_tone("nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 1, 8000, NAN);
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(text, " Its level cannot be read") && !strstr(text, "silent") &&
                !strstr(text, "dBFS") && !strstr(text, "nan "),
            "%s", text);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "peak_dbfs")) &&
            cJSON_IsNull(cJSON_GetObjectItem(j, "rms_dbfs")));
  free(text);
  cJSON_Delete(j);
  free(path);
}

/* A cut FLAC file (its header promises ten seconds, half of it is there) is measured over what
 * could be read, and says so: "Over its first 0:0x", not as if whole. */
Test(executors_audio_info, a_cut_file_says_over_how_much_its_level_was_measured) {
  char *path = write_tone("cut.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1, 80000, 0.5);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(truncate(path, st.st_size / 2), 0);
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(text, "lasts 10.0 seconds") && strstr(text, " Over its first 0:0"), "%s",
            text);
  cr_assert_lt(cJSON_GetObjectItem(j, "level_seconds")->valuedouble, 10.0);
  free(text);
  cJSON_Delete(j);
  free(path);
}

/* A run's copy of an input ("inputs/t0-audio-song.flac") is named as it was given; an hour and
 * more reads as h:mm:ss. Its level is measured over its first hour only (the samples read are
 * capped), and it says so. */
Test(executors_audio_info, names_an_input_copy_as_it_was_given) {
  char *in = baton__path_join(dir, "inputs");
  cr_assert_eq(mkdir(in, 0700), 0);
  char *path = write_audio("inputs/t0-audio-song.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000,
                           2, (sf_count_t)8000 * 3725);
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
  cr_assert(strncmp(text, "song.flac lasts 3725.0 seconds (1:02:05): FLAC", 46) == 0 &&
                strstr(text, "2 channels (stereo)") &&
                strstr(text, " Its first 1:00:00 is silent."),
            "%s", text);
  cr_assert_float_eq(cJSON_GetObjectItem(j, "level_seconds")->valuedouble, 3600.0, 1e-9);
  free(text);
  cJSON_Delete(j);
  free(path);
  free(in);
}

Test(executors_audio_info, a_file_that_is_no_recording_is_refused_saying_so) {
  char *path = baton__path_join(dir, "notes.wav");
  bt_write(path, "these are words, not sound");
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), -1);
  cr_assert(strstr(err, "cannot read notes.wav as a recording"), "%s", err);
  cr_assert(bad_input, "a file that is no recording is the input's fault, not the model's");
  cr_assert_null(text);
  free(path);
}

Test(executors_audio_info, an_empty_file_is_said_to_be_empty) {
  char *path = baton__path_join(dir, "empty.wav");
  bt_write(path, "");
  char *text, err[300];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), -1);
  cr_assert(strstr(err, "empty.wav is empty"), "%s", err);
  cr_assert(bad_input);
  free(path);
}

/* A stream cut short gets no made-up length: refused, naming the file, or its true 4 s where
 * libsndfile can tell (it counts the frames of a cut Ogg stream as SF_COUNT_MAX). */
Test(executors_audio_info, a_cut_stream_gets_no_made_up_length) {
  char *path = write_audio("long.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, 16000 * 4);
  cr_assert_eq(truncate(path, 4000), 0);
  char *text, err[300];
  cJSON *j;
  int rc = info(path, &text, &j, err, sizeof err);
  cr_assert(rc == -1 ? strstr(err, "long.ogg") != NULL : strstr(text, "lasts 4.0 seconds") != NULL,
            "%s", rc == -1 ? err : text);
  cr_assert(rc == -1 || !strstr(text, "e+"), "%s", text);
  if (rc == 0)
    free(text), cJSON_Delete(j);
  free(path);
}

#endif /* BATON_HAVE_SNDFILE */
