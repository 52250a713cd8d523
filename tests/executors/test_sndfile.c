/* test_sndfile.c — the libsndfile audio-to-audio executor: normalise, trim silence, resample, mono, FLAC input, speed, format conversion, noise reduction, reversal, loops, errors. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/audio_cut.h"
#include "executors/audio_echo.h"
#include "executors/audio_fade.h"
#include "executors/audio_io.h"
#include "executors/audio_loop.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_SNDFILE)

#include <sndfile.h>

static const baton__executor *sf(void) { return &baton__executor_sndfile; }

static char *g_dir;
static const char *g_format; /* the format a save_as name asks for, or NULL */
static bool g_bad_input;     /* the last failure was the task's arguments' fault */

static void setup(void) { g_dir = bt_tmpdir(); }
static void teardown(void) {
  bt_rmtree(g_dir);
  free(g_dir);
}

/* Writes `lead` s of silence, `tone` s of a 440 Hz sine at amplitude amp,
 * `lead` s of silence; stereo at `rate`, in the given format. */
static char *make_audio(const char *name, int format, int rate, double lead, double tone,
                        double amp) {
  char *path = baton__path_join(g_dir, name);
  SF_INFO info = {.samplerate = rate, .channels = 2, .format = format};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  cr_assert_not_null(f, "cannot write %s: %s", path, sf_strerror(NULL));
  size_t nl = (size_t)(lead * rate), nt = (size_t)(tone * rate), n = 2 * nl + nt;
  float *s = calloc(n * 2, sizeof *s);
  for (size_t i = 0; i < nt; i++)
    s[(nl + i) * 2] = s[(nl + i) * 2 + 1] = (float)(amp * sin(2 * M_PI * 440.0 * i / rate));
  cr_assert_eq(sf_writef_float(f, s, (sf_count_t)n), (sf_count_t)n);
  sf_close(f);
  free(s);
  return path;
}

typedef struct audio {
  int rate, channels;
  size_t frames;
  float peak;
  int crossings; /* sign changes of channel 0 */
} audio;

/* Reads a file of container `type` (SF_FORMAT_WAV: also 16-bit PCM). */
static audio inspect_as(const char *path, int type) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  cr_assert_not_null(f, "cannot read %s", path);
  cr_assert_eq(info.format & SF_FORMAT_TYPEMASK, type, "%s: container %#x", path,
               info.format & SF_FORMAT_TYPEMASK);
  if (type == SF_FORMAT_WAV)
    cr_assert_eq(info.format & SF_FORMAT_SUBMASK, SF_FORMAT_PCM_16, "not 16-bit PCM");
  audio a = {.rate = info.samplerate, .channels = info.channels, .frames = (size_t)info.frames};
  float *s = calloc(a.frames * (size_t)a.channels + 1, sizeof *s);
  cr_assert_eq(sf_readf_float(f, s, info.frames), info.frames);
  sf_close(f);
  for (size_t i = 0; i < a.frames * (size_t)a.channels; i++)
    if (fabsf(s[i]) > a.peak)
      a.peak = fabsf(s[i]);
  for (size_t i = 1; i < a.frames; i++) {
    float p = s[(i - 1) * a.channels], c = s[i * a.channels];
    if ((p < 0 && c >= 0) || (p >= 0 && c < 0))
      a.crossings++;
  }
  free(s);
  return a;
}

static audio inspect(const char *path) { return inspect_as(path, SF_FORMAT_WAV); }

/* Runs the executor; returns the output path (caller frees) or NULL with err. */
static char *process(const char *audio_path, const char *instruction, char *err, size_t errlen,
                     char **text) {
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  cr_assert_eq(baton__values_add(&in, "audio", BATON__T_AUDIO, audio_path), 0);
  if (instruction)
    cr_assert_eq(baton__values_add(&in, "instruction", 0, instruction), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task5", .file_format = g_format};
  int rc = sf()->run(NULL, "audio-to-audio", &in, &env, &out);
  g_bad_input = env.bad_input;
  char *path = NULL;
  if (rc == 0) {
    const baton__value *v = baton__values_get(&out, "audio");
    cr_assert(v && v->type == BATON__T_AUDIO, "no audio output");
    path = baton__strdup(v->data);
    const baton__value *t = baton__values_get(&out, "text");
    if (text)
      *text = t ? baton__strdup(t->data) : NULL;
  } else {
    cr_assert_neq(env.err[0], '\0', "failure without a message");
  }
  baton__fmt(err, errlen, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return path;
}

Test(executors_sndfile, serves_audio_to_audio) {
  char why[64] = "unset";
  cr_assert(sf()->available(NULL, why, sizeof why));
  cr_assert_str_eq(sf()->tasks[0], "audio-to-audio");
}

Test(executors_sndfile, normalises_by_default, .init = setup, .fini = teardown) {
  char *in = make_audio("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.5, 1.0, 0.2);
  char err[512], *text = NULL;
  char *out = process(in, NULL, err, sizeof err, &text);
  cr_assert_not_null(out, "%s", err);
  cr_assert(baton__has_suffix_ci(out, "task5.wav"));
  audio a = inspect(out);
  cr_assert_float_eq(a.peak, 0.891, 0.01, "peak %g is not -1 dBFS", a.peak);
  cr_assert_eq(a.rate, 44100);
  cr_assert_eq(a.channels, 2);
  cr_assert_eq(a.frames, 88200u);
  cr_assert(text && strstr(text, "normalised"), "description: %s", text ? text : "(none)");
  free(text);
  free(out);
  free(in);
}

/* "Make it quieter", "3 dB louder": the volume changes by that much, never past a peak of
 * -1 dBFS; a change too large is refused. */
Test(executors_sndfile, makes_it_louder_or_quieter, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 0.1, 0.5, 0.25);
  static const struct {
    const char *asked;
    double peak;     /* the output's peak */
    const char *said; /* in the description */
  } cases[] = {
      {"make it quieter", 0.125, "lowered the volume by 6.0 dB"},
      {"turn the volume down by 12 dB", 0.0628, "lowered the volume by 12.0 dB"},
      {"make it 3 dB louder", 0.353, "raised the volume by 3.0 dB"},
      {"much louder please, +20 dB", 0.891, "not the 20.0 dB asked for"},
      {"turn the volume of talk.wav down by 10 dB", 0.079, "lowered the volume by 10.0 dB"},
      {"gain -6 dB", 0.125, "lowered the volume by 6.0 dB"},
      {"slow it down by 20%", 0.25, "played 0.80x"}, /* "down" alone changes no volume */
      {"fix the volume", 0.891, "normalised"},
      {"turn tone.wav up", 0.499, "raised the volume by 6.0 dB"},
      {"turn the recording down", 0.125, "lowered the volume by 6.0 dB"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].asked, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].asked, err);
    audio a = inspect(out);
    cr_assert_float_eq(a.peak, cases[i].peak, 0.01, "%s: peak %g (%s)", cases[i].asked, a.peak,
                       text);
    cr_assert(text && strstr(text, cases[i].said), "%s: %s", cases[i].asked, text);
    free(text);
    free(out);
  }
  char err[512];
  cr_assert_null(process(in, "make it 500 dB quieter", err, sizeof err, NULL));
  cr_assert(strstr(err, "out of range"), "%s", err);
  free(in);
}

/* "Louder" with no amount raises a loud recording only as far as it goes without clipping, and
 * says so without an amount "asked for" (6 dB is only the default step). */
Test(executors_sndfile, louder_with_no_amount_says_no_amount_was_asked,
     .init = setup, .fini = teardown) {
  char *loud = make_audio("loud.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 0.1, 0.5, 0.8);
  char *top = make_audio("top.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 0.1, 0.5, 0.95);
  static const struct {
    int in;           /* 0: loud.wav, 1: top.wav */
    const char *asked, *said;
  } cases[] = {
      {0, "make it louder", "raised the volume by 0.9 dB, as far as it goes without clipping"},
      {0, "make it 6 dB louder", "raised the volume by 0.9 dB, not the 6.0 dB asked for"},
      {1, "make it louder", "left the volume as it was: its peak is at -0.4 dBFS already"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(cases[i].in ? top : loud, cases[i].asked, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].asked, err);
    cr_assert(text && strstr(text, cases[i].said), "%s: %s", cases[i].asked, text);
    cr_assert(!cases[i].in || !strstr(text, "asked for"), "%s: %s", cases[i].asked, text);
    free(text), free(out);
  }
  free(loud), free(top);
}

Test(executors_sndfile, trims_leading_and_trailing_silence, .init = setup, .fini = teardown) {
  char *in = make_audio("padded.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.5, 1.0, 0.5);
  char err[512];
  char *out = process(in, "trim the silence", err, sizeof err, NULL);
  cr_assert_not_null(out, "%s", err);
  audio a = inspect(out);
  double secs = (double)a.frames / a.rate;
  /* One second of tone plus a 50 ms margin each side. */
  cr_assert(secs > 1.05 && secs < 1.15, "trimmed to %.3f s", secs);
  cr_assert_float_eq(a.peak, 0.5, 0.01, "trim alone changed the level to %g", a.peak);
  free(out);
  free(in);
}

Test(executors_sndfile, resamples_keeping_pitch_and_length, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 2.0, 0.5);
  char err[512];
  char *out = process(in, "resample to 16 kHz", err, sizeof err, NULL);
  cr_assert_not_null(out, "%s", err);
  audio a = inspect(out);
  cr_assert_eq(a.rate, 16000);
  cr_assert(a.frames >= 31990 && a.frames <= 32000, "%zu frames for 2 s", a.frames);
  /* 440 Hz for 2 s: 1760 sign changes. */
  cr_assert(abs(a.crossings - 1760) <= 4, "%d sign changes: the pitch moved", a.crossings);
  cr_assert_float_eq(a.peak, 0.5, 0.02, "resampling changed the level to %g", a.peak);
  free(out);
  free(in);
}

Test(executors_sndfile, reads_flac_and_mixes_to_mono, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 0.1, 0.5, 0.3);
  char err[512];
  char *out = process(in, "convert it to mono and normalize", err, sizeof err, NULL);
  cr_assert_not_null(out, "%s", err);
  audio a = inspect(out);
  cr_assert_eq(a.channels, 1);
  cr_assert_eq(a.rate, 22050);
  cr_assert_float_eq(a.peak, 0.891, 0.01);
  free(out);
  free(in);
}

Test(executors_sndfile, converts_to_the_format_asked_for, .init = setup, .fini = teardown) {
  char *in = make_audio("talk.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 1.0, 0.5);
  static const struct {
    const char *instruction, *suffix;
    int type, rate;
  } cases[] = {
      /* "talk.wav" is the input's name, not the format asked for */
      {"Convert talk.wav to mp3", "task5.mp3", SF_FORMAT_MPEG, 44100},
      {"save it as a FLAC file", "task5.flac", SF_FORMAT_FLAC, 44100},
      {"turn it into ogg", "task5.ogg", SF_FORMAT_OGG, 44100},
      /* Opus has no 44.1 kHz: the nearest rate above */
      {"encode talk.wav as Opus", "task5.opus", SF_FORMAT_OGG, 48000},
      {"resample to 16 kHz and convert to MP3", "task5.mp3", SF_FORMAT_MPEG, 16000},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].instruction, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    cr_assert(baton__has_suffix_ci(out, cases[i].suffix), "%s: wrote %s", cases[i].instruction,
              out);
    audio a = inspect_as(out, cases[i].type);
    cr_assert_eq(a.rate, cases[i].rate, "%s: %d Hz", cases[i].instruction, a.rate);
    cr_assert_eq(a.channels, 2);
    /* one second of 440 Hz survives the lossy codecs: length and pitch */
    double secs = (double)a.frames / a.rate;
    cr_assert(secs > 0.95 && secs < 1.2, "%s: %.3f s", cases[i].instruction, secs);
    cr_assert(abs(a.crossings - (int)(880 * secs)) < 40, "%s: %d sign changes in %.3f s",
              cases[i].instruction, a.crossings, secs);
    cr_assert(text && !strstr(text, "normalised"), "%s: only converting changed the level: %s",
              cases[i].instruction, text ? text : "(none)");
    free(text);
    remove(out);
    free(out);
  }
  /* A file name's format ("save it as fast.flac") wins over the words. */
  char err[512];
  g_format = "flac";
  char *out = process(in, "Convert talk.wav to mp3", err, sizeof err, NULL);
  g_format = NULL;
  cr_assert(out && baton__has_suffix_ci(out, "task5.flac"), "wrote %s (%s)", out ? out : "nothing",
            err);
  inspect_as(out, SF_FORMAT_FLAC);
  remove(out);
  free(out);
  free(in);
}

Test(executors_sndfile, refuses_a_format_it_cannot_write, .init = setup, .fini = teardown) {
  char *in = make_audio("talk.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 1.0, 0.5);
  static const struct {
    const char *instruction, *format, *named; /* format: a save_as name's */
  } cases[] = {
      {"convert talk.wav to m4a", NULL, "M4A"},
      {"turn it into AAC please", NULL, "AAC"},
      {"normalise it and save it as a WMA file", NULL, "WMA"},
      {"convert talk.wav to talk.m4a", "m4a", "M4A"},
      /* the name's format wins over a format the words name that it could write */
      {"Convert talk.wav to mp3", "m4a", "M4A"},
      {"convert it", "xyz", "XYZ"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], want[64];
    g_format = cases[i].format;
    char *out = process(in, cases[i].instruction, err, sizeof err, NULL);
    g_format = NULL;
    cr_assert_null(out, "%s: wrote %s", cases[i].instruction, out);
    cr_assert(g_bad_input, "%s: a format asked for is the request's fault", cases[i].instruction);
    snprintf(want, sizeof want, "cannot write audio as %s", cases[i].named);
    cr_assert(strstr(err, want), "%s: %s", cases[i].instruction, err);
    for (size_t f = 0; baton__pcm_format_name(f); f++) { /* and says which it writes */
      char upper[8] = "";
      for (size_t k = 0; k + 1 < sizeof upper && baton__pcm_format_name(f)[k]; k++)
        upper[k] = (char)toupper((unsigned char)baton__pcm_format_name(f)[k]);
      cr_assert(strstr(err, upper), "%s: %s names no %s", cases[i].instruction, err, upper);
    }
    cr_assert(strstr(err, "WAV") && strstr(err, "FLAC"), "%s", err);
    char *wav = baton__path_join(g_dir, "task5.wav");
    cr_assert(!baton__file_exists(wav), "%s: a WAV file was written instead", cases[i].instruction);
    free(wav);
  }
  /* a format's name that asks for no format ("like an ape", "my mp4 camera") is no ask */
  const char *said[] = {"make it louder so it sounds like an ape",
                        "louder, it is from my mp4 camera"};
  for (size_t i = 0; i < sizeof said / sizeof said[0]; i++) {
    char err[512];
    char *out = process(in, said[i], err, sizeof err, NULL);
    cr_assert_not_null(out, "%s: %s", said[i], err);
    cr_assert(baton__has_suffix_ci(out, ".wav"), "%s: %s", said[i], out);
    free(out);
  }
  free(in);
}

/* The lowest and highest RMS of 20 ms windows of channel 0 between 10% and 90% of the file: a
 * steady tone keeps them close unless joins fall out of phase. */
static void rms_range(const char *path, double *lo, double *hi) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  cr_assert_not_null(f);
  float *s = calloc((size_t)(info.frames * info.channels), sizeof *s);
  cr_assert_eq(sf_readf_float(f, s, info.frames), info.frames);
  sf_close(f);
  size_t win = (size_t)info.samplerate / 50, a = (size_t)info.frames / 10;
  *lo = 1e9, *hi = 0;
  for (size_t w = a; w + win < (size_t)info.frames - a; w += win) {
    double e = 0;
    for (size_t i = w; i < w + win; i++)
      e += (double)s[i * (size_t)info.channels] * s[i * (size_t)info.channels];
    e = sqrt(e / (double)win);
    *lo = e < *lo ? e : *lo;
    *hi = e > *hi ? e : *hi;
  }
  free(s);
}

Test(executors_sndfile, changes_the_speed_keeping_the_pitch, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 2.0, 0.5);
  static const struct {
    const char *instruction;
    double seconds;
  } cases[] = {
      {"speed it up", 2.0 / 1.5},   {"play it at 2x", 1.0},
      {"slow it down by 20%", 2.5}, {"half speed", 4.0},
      {"make it 25% faster", 1.6},  {"speed the recording up", 2.0 / 1.5},
      {"speed tone.wav up 2x", 1.0},     {"slow tone.wav down by half", 4.0},
      {"it is too slow, speed it up by half", 2.0 / 1.5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].instruction, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    audio a = inspect(out);
    double secs = (double)a.frames / a.rate;
    cr_assert_float_eq(secs, cases[i].seconds, 0.01, "%s: %.3f s", cases[i].instruction, secs);
    /* 440 Hz still: 880 sign changes a second, whatever the length */
    cr_assert(fabs(a.crossings / secs - 880.0) < 15.0, "%s: %.1f sign changes a second",
              cases[i].instruction, a.crossings / secs);
    double lo, hi;
    rms_range(out, &lo, &hi);
    cr_assert(lo > 0.9 * hi, "%s: the level wavers %.3f..%.3f", cases[i].instruction, lo, hi);
    cr_assert(text && strstr(text, "same pitch"), "%s: %s", cases[i].instruction, text);
    free(text);
    remove(out);
    free(out);
  }
  char err[512];
  cr_assert_null(process(in, "make it 10x faster", err, sizeof err, NULL));
  cr_assert(strstr(err, "out of range"), "unclear error: %s", err);
  free(in);
}

Test(executors_sndfile, reads_which_part_to_keep_or_cut) {
  static const struct {
    const char *said;
    baton__cut_kind kind;
    double from, to;
    bool remove;
  } cases[] = {
      {"keep the first 10 seconds", CUT_FIRST, 0, 10, false},
      {"cut the first 1.5 s", CUT_FIRST, 0, 1.5, true},
      {"remove the last 2 minutes", CUT_LAST, 0, 120, true},
      {"from 1:30 to 2:05", CUT_RANGE, 90, 125, false},
      {"between 10 and 20 seconds", CUT_RANGE, 10, 20, false},
      {"cut talk.wav between 0:10 and 0:20", CUT_RANGE, 10, 20, false},
      {"trim talk.wav to 0:01-0:03", CUT_RANGE, 1, 3, false},
      {"cut the part between 0:01 and 0:03 out of talk.wav", CUT_RANGE, 1, 3, true},
      {"take 0:01 to 0:03 out of talk.wav", CUT_RANGE, 1, 3, true},
      {"keep 0:01 to 0:03 out of long.wav", CUT_RANGE, 1, 3, false},
      {"make a clip from 0:01 to 0:03 out of long.wav", CUT_RANGE, 1, 3, false},
      {"cut and get the part between 0:01 and 0:03 out of long.wav", CUT_RANGE, 1, 3, false},
      {"cut 0:01 to 0:03 out of talk.wav and make it louder", CUT_RANGE, 1, 3, true},
      {"take 0:01 to 0:03 out of talk.wav and give me the rest", CUT_RANGE, 1, 3, true},
      {"cut out 500 ms to 2 s", CUT_RANGE, 0.5, 2, true},
      {"up to 45 sec", CUT_RANGE, 0, 45, false},
      {"from minute 1 to minute 2", CUT_RANGE, 60, 120, false},
      {"keep talk.wav from second 5 until second 8", CUT_RANGE, 5, 8, false},
      {"loop it 3 times, the second 3 times faster", CUT_NONE, 0, 0, false},
      {"keep from minute 1 to 2", CUT_RANGE, 60, 120, false},
      {"loop it twice, first normal and second 2 times faster", CUT_NONE, 0, 0, false},
      {"cut the first second off", CUT_FIRST, 0, 1, true},
      {"keep the last minute", CUT_LAST, 0, 60, false},
      {"trim it to 10 seconds", CUT_FIRST, 0, 10, false},
      {"make music.wav 2 minutes long", CUT_FIRST, 0, 120, false},
      {"make a 2-second clip from talk.wav", CUT_FIRST, 0, 2, false},
      {"cut a 30 second audio clip out of music.wav", CUT_FIRST, 0, 30, false},
      {"add a 2-second fade at the end", CUT_NONE, 0, 0, false},
      {"fade out over 3 seconds, resample to 16 khz", CUT_NONE, 0, 0, false},
      {"read the first sentence", CUT_NONE, 0, 0, false},
      {"speed up 1.5x and resample to 16 khz", CUT_NONE, 0, 0, false},
      {"to 44100 hz, 20% slower", CUT_NONE, 0, 0, false},
      {"keep the second half of talk.wav", CUT_RANGE, 0.5, 1, false}, /* shares of the length */
      {"remove the first third", CUT_RANGE, 0, 1.0 / 3, true},
      {"the middle third, please", CUT_RANGE, 1.0 / 3, 2.0 / 3, false},
      {"the third quarter", CUT_RANGE, 0.5, 0.75, false},
      {"cut off the final quarter", CUT_RANGE, 0.75, 1, true},
      {"play it at half speed", CUT_NONE, 0, 0, false},
      {"the middle half", CUT_NONE, 0, 0, false},
      {"the first, half", CUT_NONE, 0, 0, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    baton__cut c = baton__cut_parse(cases[i].said);
    cr_assert_eq(c.kind, cases[i].kind, "%s: kind %d", cases[i].said, c.kind);
    if (c.kind == CUT_NONE)
      continue;
    cr_assert_float_eq(c.to, cases[i].to, 1e-9, "%s: to %g", cases[i].said, c.to);
    cr_assert_float_eq(c.from, cases[i].from, 1e-9, "%s: from %g", cases[i].said, c.from);
    cr_assert_eq(c.remove, cases[i].remove, "%s", cases[i].said);
  }
}

Test(executors_sndfile, keeps_or_cuts_the_part_named, .init = setup, .fini = teardown) {
  /* 1 s of silence, 2 s of a 440 Hz tone (880 sign changes a second), 1 s of silence */
  char *in = make_audio("part.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1.0, 2.0, 0.5);
  static const struct {
    const char *said;
    double seconds, tone; /* what is left, and how much of it is the tone */
  } cases[] = {
      {"keep the first 1.5 seconds", 1.5, 0.5},
      {"cut the first 1 second", 3.0, 2.0},
      {"trim the first 1 second", 3.0, 2.0}, /* no silence trimmed: that would leave 2.1 s */
      {"from 0:01 to 0:02", 1.0, 1.0},
      {"between 1.5 and 2.5 seconds", 1.0, 1.0},
      {"remove the last 1 s and convert to flac", 3.0, 2.0},
      {"keep the second half", 2.0, 1.0},
      {"cut out the first quarter", 3.0, 2.0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].said, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].said, err);
    audio a = inspect_as(out, strstr(cases[i].said, "flac") ? SF_FORMAT_FLAC : SF_FORMAT_WAV);
    cr_assert_float_eq((double)a.frames / a.rate, cases[i].seconds, 0.001, "%s: %zu frames",
                       cases[i].said, a.frames);
    cr_assert(abs(a.crossings - (int)(880 * cases[i].tone)) <= 4, "%s: %d sign changes",
              cases[i].said, a.crossings);
    cr_assert_float_eq(a.peak, 0.5, 0.01, "%s: the level changed to %g", cases[i].said, a.peak);
    cr_assert(text && (strstr(text, "kept") || strstr(text, "cut out")), "%s", text);
    free(text);
    free(out);
  }
  char err[512];
  cr_assert_null(process(in, "keep from 0:10 to 0:20", err, sizeof err, NULL));
  cr_assert(strstr(err, "4.00 s long"), "%s", err);
  cr_assert_null(process(in, "cut the first 10 seconds", err, sizeof err, NULL));
  cr_assert(strstr(err, "whole recording"), "%s", err);
  free(in);
}

/* Noise reduction's test signals: one sample of channel c at time t seconds. */
typedef double (*signal_fn)(double t, int c, unsigned *seed);

/* Writes `secs` seconds of signal f as 16-bit WAV at `rate` Hz with `channels` channels. */
static char *make_signal(const char *name, int rate, int channels, double secs, signal_fn f) {
  char *path = baton__path_join(g_dir, name);
  SF_INFO info = {.samplerate = rate, .channels = channels,
                  .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *out = sf_open(path, SFM_WRITE, &info);
  cr_assert_not_null(out, "cannot write %s: %s", path, sf_strerror(NULL));
  size_t n = (size_t)(secs * rate);
  float *s = calloc(n * (size_t)channels + 1, sizeof *s);
  unsigned seed = 12345;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      s[i * (size_t)channels + (size_t)c] = (float)f((double)i / rate, c, &seed);
  cr_assert_eq(sf_writef_float(out, s, (sf_count_t)n), (sf_count_t)n);
  sf_close(out);
  free(s);
  return path;
}

/* Uniform white noise in [-amp, amp] from a fixed xorshift generator. */
static double noise(unsigned *seed, double amp) {
  *seed ^= *seed << 13;
  *seed ^= *seed >> 17;
  *seed ^= *seed << 5;
  return amp * (2.0 * (*seed / 4294967295.0) - 1.0);
}

/* 1 s of noise, 1 s of a 440 Hz sine at 0.5 over the same noise, 1 s of noise. */
static double noisy_tone(double t, int c, unsigned *seed) {
  (void)c;
  return noise(seed, 0.01) + (t >= 1.0 && t < 2.0 ? 0.5 * sin(2 * M_PI * 440.0 * t) : 0);
}

static double rumble_and_tone(double t, int c, unsigned *seed) {
  (void)c, (void)seed;
  return 0.3 * sin(2 * M_PI * 30.0 * t) + 0.3 * sin(2 * M_PI * 1000.0 * t);
}

static double hiss_and_tone(double t, int c, unsigned *seed) {
  (void)c, (void)seed;
  return 0.3 * sin(2 * M_PI * 12000.0 * t) + 0.3 * sin(2 * M_PI * 1000.0 * t);
}

static double nothing(double t, int c, unsigned *seed) {
  (void)t, (void)c, (void)seed;
  return 0;
}

static double fifth_tone(double t, int c, unsigned *seed) {
  (void)c, (void)seed;
  return 0.5 * sin(2 * M_PI * 660.0 * t);
}

/* A level rising from 0 to 0.5 over a second: not the same backwards. */
static double rising(double t, int c, unsigned *seed) {
  (void)c, (void)seed;
  return 0.5 * t;
}

/* Channel 0 of a WAV file (caller frees), with its length and rate. */
static float *read_channel0(const char *path, size_t *frames, int *rate) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  cr_assert_not_null(f, "cannot read %s", path);
  float *s = calloc((size_t)(info.frames * info.channels) + 1, sizeof *s);
  cr_assert_eq(sf_readf_float(f, s, info.frames), info.frames);
  sf_close(f);
  for (sf_count_t i = 0; i < info.frames; i++)
    s[i] = s[i * info.channels];
  *frames = (size_t)info.frames;
  *rate = info.samplerate;
  return s;
}

/* The RMS of channel 0 from `from` to `to` seconds. */
static double rms_between(const float *s, int rate, double from, double to) {
  size_t a = (size_t)(from * rate), b = (size_t)(to * rate);
  double e = 0;
  for (size_t i = a; i < b; i++)
    e += (double)s[i] * s[i];
  return sqrt(e / (double)(b - a));
}

/* The amplitude of the f Hz component of channel 0 (correlation with a sine and a cosine over
 * the middle of the recording, whole periods of 10 Hz). */
static double amplitude_at(const float *s, size_t frames, int rate, double f) {
  size_t a = frames / 4, n = (size_t)rate / 10 * ((frames / 2) / ((size_t)rate / 10));
  double re = 0, im = 0;
  for (size_t i = a; i < a + n; i++) {
    re += s[i] * cos(2 * M_PI * f * (double)i / rate);
    im += s[i] * sin(2 * M_PI * f * (double)i / rate);
  }
  return 2.0 * sqrt(re * re + im * im) / (double)n;
}

static double db(double ratio) { return 20.0 * log10(ratio); }

/* Tone-part RMS over noise-part RMS (away from the joins), and the tone-part RMS, in dB. */
static void noisy_tone_levels(const char *path, double *snr_db, double *tone_db) {
  size_t frames;
  int rate;
  float *s = read_channel0(path, &frames, &rate);
  double tone = rms_between(s, rate, 1.1, 1.9);
  double quiet = hypot(rms_between(s, rate, 0.1, 0.9), rms_between(s, rate, 2.15, 2.9));
  *snr_db = db(tone / (quiet / sqrt(2.0)));
  *tone_db = db(tone);
  free(s);
}

Test(executors_sndfile, reduces_background_noise, .init = setup, .fini = teardown) {
  static const struct {
    int rate, channels;
  } cases[] = {{16000, 1}, {44100, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *in = make_signal("noisy.wav", cases[i].rate, cases[i].channels, 3.0, noisy_tone);
    char err[512], *text = NULL;
    char *out = process(in, "remove the background noise", err, sizeof err, &text);
    cr_assert_not_null(out, "%s", err);
    audio a = inspect(out);
    cr_assert_eq(a.rate, cases[i].rate);
    cr_assert_eq(a.channels, cases[i].channels);
    cr_assert_float_eq(a.peak, 0.891, 0.01, "denoised but not normalised: peak %g", a.peak);
    double snr_in, snr_out, tone_in, tone_out;
    noisy_tone_levels(in, &snr_in, &tone_in);
    noisy_tone_levels(out, &snr_out, &tone_out);
    /* the tone's level but for the normalisation */
    const char *gain = text ? strstr(text, "(gain ") : NULL;
    cr_assert(gain, "no normalisation gain in: %s", text ? text : "(none)");
    double moved = tone_out - tone_in - strtod(gain + 6, NULL);
    cr_log_info("%d Hz: SNR %.1f -> %.1f dB (%+.1f), the tone moved %+.2f dB: %s", cases[i].rate,
                snr_in, snr_out, snr_out - snr_in, moved, text);
    cr_assert(snr_out - snr_in >= 12.0, "%d Hz: SNR %.1f dB -> %.1f dB", cases[i].rate, snr_in,
              snr_out);
    cr_assert(fabs(moved) < 1.0, "%d Hz: the tone moved %.2f dB", cases[i].rate, moved);
    cr_assert(text && strstr(text, "reduced the noise") && strstr(text, "noise floor") &&
                  strstr(text, "lowered by up to") && strstr(text, "normalised"),
              "%s", text ? text : "(none)");
    cr_assert(!strstr(text, "no known operation") && !strstr(text, "low-pass"), "%s", text);
    free(text);
    free(out);
    free(in);
  }
}

/* The amplitudes at lo and hi Hz of a file, in and out of the executor. */
static void two_tones(const char *in, const char *out, double lo, double hi, double *in_db,
                      double *out_db) {
  const char *paths[] = {in, out};
  double *dbs[] = {in_db, out_db};
  for (size_t k = 0; k < 2; k++) {
    size_t frames;
    int rate;
    float *s = read_channel0(paths[k], &frames, &rate);
    *dbs[k] = db(amplitude_at(s, frames, rate, lo) / amplitude_at(s, frames, rate, hi));
    free(s);
  }
}

Test(executors_sndfile, removes_rumble_and_hiss, .init = setup, .fini = teardown) {
  char *in = make_signal("rumble.wav", 44100, 1, 2.0, rumble_and_tone);
  char err[512], *text = NULL;
  char *out = process(in, "remove the rumble", err, sizeof err, &text);
  cr_assert_not_null(out, "%s", err);
  double before, after;
  two_tones(in, out, 30.0, 1000.0, &before, &after);
  cr_log_info("30 Hz re 1 kHz: %.1f -> %.1f dB", before, after);
  cr_assert(before - after >= 12.0, "30 Hz re 1 kHz: %.1f dB -> %.1f dB", before, after);
  cr_assert(text && strstr(text, "high-pass at 80 Hz") && strstr(text, "steady"), "%s", text);
  free(text);
  free(out);
  free(in);

  in = make_signal("hiss.wav", 44100, 2, 2.0, hiss_and_tone);
  out = process(in, "get rid of the hiss", err, sizeof err, &text);
  cr_assert_not_null(out, "%s", err);
  two_tones(in, out, 12000.0, 1000.0, &before, &after);
  cr_log_info("12 kHz re 1 kHz: %.1f -> %.1f dB", before, after);
  cr_assert(before - after >= 10.0, "12 kHz re 1 kHz: %.1f dB -> %.1f dB", before, after);
  cr_assert(text && strstr(text, "low-pass at 7 kHz (hiss)"), "%s", text);
  free(text);
  free(out);
  free(in);
}

Test(executors_sndfile, denoises_silence_and_tiny_files, .init = setup, .fini = teardown) {
  static const struct {
    const char *name;
    double secs;
    signal_fn f;
    const char *says;
  } cases[] = {
      {"silence.wav", 1.0, nothing, "no noise to reduce: the recording is silent"},
      {"tiny.wav", 0.015, noisy_tone, "too short"},
      {"tinier.wav", 0.0005, noisy_tone, "too short"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *in = make_signal(cases[i].name, 44100, 2, cases[i].secs, cases[i].f);
    char err[512], *text = NULL;
    char *out = process(in, "clean up the hiss", err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].name, err);
    audio a = inspect(out);
    cr_assert_eq(a.frames, (size_t)(cases[i].secs * 44100), "%s: %zu frames", cases[i].name,
                 a.frames);
    cr_assert(text && strstr(text, cases[i].says), "%s: %s", cases[i].name, text);
    free(text);
    free(out);
    free(in);
  }
}

Test(executors_sndfile, hears_noise_words_not_names_nor_results, .init = setup,
     .fini = teardown) {
  char *in = make_audio("noise.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 0.1, 0.5, 0.3);
  static const struct {
    const char *said;
    bool denoise;
  } cases[] = {
      {"denoise it", true},         {"reduce the hum", true},   {"clean up noise.wav", true},
      {"normalise noise.wav", false}, {"the human voice", false}, {"make it less noisy", true},
      {"louden the cleaned audio", false}, {"louden the noise-reduced track", false},
      {"louden the noise", true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].said, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].said, err);
    cr_assert(text && (strstr(text, "reduced the noise") != NULL) == cases[i].denoise, "%s: %s",
              cases[i].said, text);
    free(text);
    free(out);
  }
  free(in);
}

Test(executors_sndfile, changes_the_pitch_keeping_the_speed, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 0.0, 2.0, 0.5);
  static const struct {
    const char *instruction;
    double hz, seconds; /* the tone after, and the length */
  } cases[] = {
      {"raise the pitch of tone.wav by 12 semitones", 880.0, 2.0},
      {"shift the pitch up seven semitones", 659.26, 2.0},
      {"lower the pitch by an octave", 220.0, 2.0},
      {"make the voice deeper", 349.23, 2.0}, /* no number: a major third */
      {"give it a higher pitch, like a female voice", 554.37, 2.0},
      {"pitch it -3 semitones", 369.99, 2.0},
      {"change the voice to sound like a woman", 554.37, 2.0}, /* a voice of the other sex */
      {"make it sound like a male voice", 349.23, 2.0},
      {"speed it up 2x and lower the pitch 5 semitones", 329.63, 1.0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process(in, cases[i].instruction, err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    size_t frames = 0;
    int rate = 0;
    float *s = read_channel0(out, &frames, &rate);
    double secs = (double)frames / rate;
    cr_assert_eq(rate, 22050, "%s: %d Hz", cases[i].instruction, rate);
    cr_assert_float_eq(secs, cases[i].seconds, 0.01, "%s: %.3f s", cases[i].instruction, secs);
    double at = amplitude_at(s, frames, rate, cases[i].hz);
    double was = amplitude_at(s, frames, rate, 440.0);
    cr_assert(at > 0.3 && was < 0.1 * at, "%s: %.3f at %.0f Hz, %.3f at 440 Hz",
              cases[i].instruction, at, cases[i].hz, was);
    cr_assert(text && strstr(text, "pitch"), "%s: %s", cases[i].instruction, text);
    free(s);
    free(text);
    remove(out);
    free(out);
  }
  char err[512];
  cr_assert_null(process(in, "raise the pitch by 2 octaves", err, sizeof err, NULL));
  cr_assert(strstr(err, "24 semitones"), "unclear error: %s", err);
  cr_assert_null(process(in, "raise the pitch by two octaves", err, sizeof err, NULL));
  cr_assert(strstr(err, "24 semitones"), "unclear error: %s", err);
  free(in);
}

/* Runs the executor on a.wav and b.wav ("audio2") as instruction asks; the output or NULL. */
static char *process_two(const char *a, const char *b, const char *instruction, char **text,
                         char *err, size_t errlen) {
  baton__values in = {0}, out = {0};
  cr_assert_eq(baton__values_add(&in, "audio", BATON__T_AUDIO, a), 0);
  cr_assert_eq(baton__values_add(&in, "audio2", BATON__T_AUDIO, b), 0);
  cr_assert_eq(baton__values_add(&in, "instruction", 0, instruction), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task5"};
  char *path = NULL;
  g_bad_input = false;
  if (sf()->run(NULL, "audio-to-audio", &in, &env, &out) == 0) {
    path = baton__strdup(baton__values_get(&out, "audio")->data);
    *text = baton__strdup(baton__values_get(&out, "text")->data);
  }
  g_bad_input = env.bad_input;
  baton__fmt(err, errlen, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return path;
}

/* A recording that cannot be decoded, first or joined, is the task's input's fault, not the
 * model's: it counts against no model's health. */
Test(executors_sndfile, an_undecodable_recording_is_the_inputs_fault, .init = setup,
     .fini = teardown) {
  char *good = make_audio("a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 0.0, 1.0, 0.5);
  char *bad = baton__path_join(g_dir, "notes.wav"), *empty = baton__path_join(g_dir, "e.wav");
  bt_write(bad, "these are words, not sound");
  bt_write(empty, "");
  char err[512], *text = NULL;
  cr_assert_null(process(bad, "speed it up", err, sizeof err, NULL));
  cr_assert(strstr(err, "notes.wav") && g_bad_input, "notes.wav: %s", err);
  cr_assert_null(process(empty, "speed it up", err, sizeof err, NULL));
  cr_assert(strstr(err, "e.wav is empty") && g_bad_input, "e.wav: %s", err);
  cr_assert_null(process_two(good, bad, "join a.wav and notes.wav", &text, err, sizeof err));
  cr_assert(strstr(err, "notes.wav") && g_bad_input, "joined notes.wav: %s", err);
  cr_assert_null(process_two(good, bad, "mix a.wav with notes.wav as background music", &text,
                             err, sizeof err));
  cr_assert(strstr(err, "notes.wav") && g_bad_input, "background notes.wav: %s", err);
  free(good);
  free(bad);
  free(empty);
}

Test(executors_sndfile, adds_an_echo_that_repeats_each_time_quieter) {
  float *s = calloc(5, sizeof *s);
  cr_assert_not_null(s);
  s[0] = 1.0f; /* a click, 10 frames a second: echoes 2 frames apart, each half as loud */
  baton__pcm p = {.s = s, .frames = 5, .channels = 1, .rate = 10};
  cr_assert_eq(baton__pcm_echo(&p, 0.2, 0.5, 2), 0);
  static const float want[] = {1, 0, 0.5f, 0, 0.25f, 0, 0.125f, 0, 0.0625f};
  cr_assert_eq(p.frames, 9, "the recording grows by two delays: %zu frames", p.frames);
  for (size_t i = 0; i < p.frames; i++)
    cr_expect_float_eq(p.s[i], want[i], 1e-6, "frame %zu: %g", i, p.s[i]);
  cr_expect_eq(baton__pcm_echo(&p, 0.01, 0.5, 2), -1, "a delay under one frame");
  cr_expect_eq(baton__pcm_echo(&p, 0.2, 1.0, 2), -1, "an echo as loud as the sound");
  cr_expect_eq(baton__pcm_echo(&p, 0.2, 0.5, 0), -1, "no repeat");
  cr_expect_eq(p.frames, 9, "a refused echo changes nothing");
  free(p.s);
}

Test(executors_sndfile, reads_which_fade_is_asked_for) {
  static const struct {
    const char *said;
    bool in, out;
  } cases[] = {
      {"fade out music.wav", false, true},      {"fade it in", true, false},
      {"fade music.wav in and out", true, true}, {"add a fade-out", false, true},
      {"fade out the music in a.wav", false, true}, {"make it fade in slowly", true, false},
      {"speed it up", false, false},            {"a faded photo in an album", false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool in = !cases[i].in, out = !cases[i].out;
    baton__fade_parse(cases[i].said, &in, &out);
    cr_expect(in == cases[i].in && out == cases[i].out, "%s: in %d out %d", cases[i].said, in, out);
  }
}

Test(executors_sndfile, fades_in_from_and_out_to_silence) {
  float s[10];
  for (size_t i = 0; i < 10; i++)
    s[i] = 1.0f;
  baton__pcm p = {.s = s, .frames = 10, .channels = 1, .rate = 10};
  double in = baton__pcm_fade(&p, 0.5, true), out = baton__pcm_fade(&p, 0.5, false);
  cr_expect_float_eq(in, 0.5, 1e-9);
  cr_expect_float_eq(out, 0.5, 1e-9);
  static const float want[] = {0, 0.2f, 0.4f, 0.6f, 0.8f, 0.8f, 0.6f, 0.4f, 0.2f, 0};
  for (size_t i = 0; i < 10; i++)
    cr_expect_float_eq(s[i], want[i], 1e-6, "frame %zu: %g", i, s[i]);
  double all = baton__pcm_fade(&p, 5.0, false);
  cr_expect_float_eq(all, 1.0, 1e-9, "no longer than the recording: %g s", all);
}

Test(executors_sndfile, echoes_what_it_is_asked_to, .init = setup, .fini = teardown) {
  char *in = make_audio("voice.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 0.0, 1.0, 0.5);
  char err[512], *text = NULL;
  char *out = process(in, "add an echo to voice.wav", err, sizeof err, &text);
  cr_assert_not_null(out, "%s", err);
  size_t frames = 0;
  int rate = 0;
  float *s = read_channel0(out, &frames, &rate);
  double secs = (double)frames / rate, tail = 0;
  cr_expect_float_eq(secs, 1.0 + BATON__ECHO_DELAY_S * BATON__ECHO_REPEATS, 0.01, "%.3f s", secs);
  for (size_t i = (size_t)rate; i < frames; i++) /* after the sound: only its echoes */
    tail = fabs(s[i]) > tail ? fabs(s[i]) : tail;
  cr_expect(tail > 0.05, "no echo after the sound: peak %.3f", tail);
  cr_expect(text && strstr(text, "added an echo"), "%s", text ? text : "");
  free(s), free(text), free(out), free(in);
}

Test(executors_sndfile, reverses_frames_keeping_channels_together) {
  float s[] = {1, -1, 2, -2, 3, -3}; /* three stereo frames */
  baton__pcm p = {.s = s, .frames = 3, .channels = 2, .rate = 10};
  baton__pcm_reverse(&p);
  static const float want[] = {3, -3, 2, -2, 1, -1};
  for (size_t i = 0; i < 6; i++)
    cr_expect_float_eq(s[i], want[i], 1e-9, "sample %zu: %g", i, s[i]);
  p.frames = 2, p.channels = 3; /* two frames of three channels */
  baton__pcm_reverse(&p);
  static const float again[] = {-2, 1, -1, 3, -3, 2};
  for (size_t i = 0; i < 6; i++)
    cr_expect_float_eq(s[i], again[i], 1e-9, "sample %zu: %g", i, s[i]);
}

Test(executors_sndfile, plays_a_recording_backwards, .init = setup, .fini = teardown) {
  char *in = make_signal("rise.wav", 8000, 1, 1.0, rising);
  char err[512], *text = NULL;
  char *out = process(in, "play rise.wav backwards", err, sizeof err, &text);
  cr_assert_not_null(out, "%s", err);
  size_t n_in = 0, n_out = 0;
  int rate = 0;
  float *a = read_channel0(in, &n_in, &rate), *b = read_channel0(out, &n_out, &rate);
  cr_assert_eq(n_out, n_in, "the length changed: %zu -> %zu frames", n_in, n_out);
  double diff = 0;
  for (size_t i = 0; i < n_in; i++)
    diff = fmax(diff, fabs(b[i] - a[n_in - 1 - i]));
  cr_expect(diff < 0.01, "not the recording backwards: off by %.3f", diff);
  cr_expect(text && strstr(text, "reversed"), "%s", text ? text : "");
  free(a), free(b), free(text), free(out), free(in);
}

Test(executors_sndfile, reads_how_many_times_to_loop) {
  static const struct {
    const char *said;
    int times;
  } cases[] = {
      {"loop music.wav 3 times", 3},          {"repeat it twice", 2},
      {"play it four times in a row", 4},     {"loop it", BATON__LOOP_DEFAULT},
      {"put it on repeat 5 times", 5},        {"loop it 250 times", 250},
      {"repeat it twice at 1.5x speed", 2},   {"loop it three times, 2x faster", 3},
      {"loop it -3 times", 0},                {"repeat it 2.5 times", 0},
      {"loop it 3x", 3},                      {"loop it 3 times at 2x speed", 3},
      {"speed it up 2 times", -1},            {"play it at 3x", -1},
      {"loop it 0 times", 0},
      {"someone times it: loop it", BATON__LOOP_DEFAULT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool by_x;
    int n = baton__loop_parse(cases[i].said, &by_x);
    cr_expect_eq(n, cases[i].times, "%s: %d", cases[i].said, n);
  }
}

Test(executors_sndfile, loops_frames_keeping_channels_together) {
  baton__pcm p = {.s = malloc(4 * sizeof(float)), .frames = 2, .channels = 2, .rate = 10};
  cr_assert_not_null(p.s);
  static const float two[] = {1, -1, 2, -2};
  memcpy(p.s, two, sizeof two);
  cr_assert_eq(baton__pcm_loop(&p, 3), 0);
  cr_assert_eq(p.frames, 6);
  for (size_t i = 0; i < 12; i++)
    cr_expect_float_eq(p.s[i], two[i % 4], 1e-9, "sample %zu: %g", i, p.s[i]);
  cr_expect_eq(baton__pcm_loop(&p, 0), -1, "no play at all");
  p.rate = 1; /* 6 s: a loop past the longest recording is refused and changes nothing */
  cr_expect_eq(baton__pcm_loop(&p, (int)(BATON__PCM_MAX_SECONDS / 6) + 1), -2);
  cr_expect_eq(p.frames, 6);
  free(p.s);
}

Test(executors_sndfile, plays_a_recording_several_times, .init = setup, .fini = teardown) {
  char *in = make_audio("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 0.0, 0.5, 0.5);
  char err[512], *text = NULL;
  static const char *const asked[] = {"loop tone.wav 3 times", "play it three times in a row",
                                      "loop it 3x"};
  for (size_t k = 0; k < 3; k++) { /* "3 times" ("3x" with no word of speed) is no speed here */
    char *out = process(in, asked[k], err, sizeof err, &text);
    cr_assert_not_null(out, "%s: %s", asked[k], err);
    audio a = inspect(in), b = inspect(out);
    cr_expect_eq(b.frames, 3 * a.frames, "%s: %zu frames from %zu", asked[k], b.frames, a.frames);
    cr_expect(text && strstr(text, "played 3 times"), "%s", text ? text : "");
    free(text), free(out);
  }
  cr_expect_null(process(in, "loop it 1000 times", err, sizeof err, NULL));
  cr_expect(strstr(err, "from 1 to 100"), "%s", err);
  cr_expect_null(process(in, "loop it 0 times", err, sizeof err, NULL));
  cr_expect(strstr(err, "whole number of times"), "%s", err);
  char *out = process(in, "loop it 3 times at 2x speed", err, sizeof err, &text); /* both */
  cr_assert_not_null(out, "%s", err);
  audio a = inspect(in), b = inspect(out);
  cr_expect(b.frames >= 3 * a.frames / 2 - 80 && b.frames <= 3 * a.frames / 2 + 80,
            "played 3 times at twice the speed: %zu frames from %zu", b.frames, a.frames);
  cr_expect(text && strstr(text, "played 3 times") && strstr(text, "2.00x"), "%s", text);
  free(text), free(out);
  free(in);
  in = make_audio("long.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 0.0, 20.0, 0.5);
  cr_expect_null(process(in, "loop long.wav 100 times", err, sizeof err, NULL));
  cr_expect(strstr(err, "longer than 1800 s"), "%s", err);
  free(in);
}

Test(executors_sndfile, joins_or_mixes_two_recordings, .init = setup, .fini = teardown) {
  /* 1 s of 440 Hz, stereo 44.1 kHz; 2 s of 660 Hz, mono 22.05 kHz; both at amplitude 0.5 */
  char *a = make_audio("a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 1.0, 0.5);
  char *b = make_signal("b.wav", 22050, 1, 2.0, fifth_tone);
  static const struct {
    const char *instruction;
    double seconds;
    bool mixed;
    double b_over_a; /* b's level over a's, in dB: 0, or -15 with b as the background */
  } cases[] = {
      {"combine a.wav and b.wav into one file", 3.0, false, 0},
      {"mix a.wav with b.wav", 2.0, true, 0},
      {"mix a.wav with b.wav as background music", 2.0, true, -15},
      {"put b.wav underneath a.wav", 2.0, true, -15},
      {"mix a.wav, as background music, under b.wav. Remove the background noise", 2.0, true, 15},
      {"put b.wav under a.wav", 2.0, true, -15},
      {"play a.wav with b.wav quietly behind it", 2.0, true, -15},
      {"put a.wav beneath b.wav", 2.0, true, 15},
      {"a.wav and b.wav together, b.wav as a bed", 2.0, true, -15},
      {"duck b.wav and play a.wav over it", 2.0, true, -15},
      {"combine a.wav with b.wav softly", 2.0, true, -15},
      {"join a.wav and b.wav, keep it under 5 seconds", 3.0, false, 0}, /* no background */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process_two(a, b, cases[i].instruction, &text, err, sizeof err);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    size_t frames = 0;
    int rate = 0;
    float *s = read_channel0(out, &frames, &rate);
    double secs = (double)frames / rate;
    cr_assert_eq(rate, 44100, "%s: %d Hz", cases[i].instruction, rate);
    cr_assert_float_eq(secs, cases[i].seconds, 0.01, "%s: %.3f s", cases[i].instruction, secs);
    size_t w = (size_t)(0.8 * rate); /* 0.8 s: at first a's tone (and b's, mixed), at last b's */
    double a440 = amplitude_at(s, w, rate, 440.0), b660 = amplitude_at(s, w, rate, 660.0);
    double end660 = amplitude_at(s + frames - w, w, rate, 660.0);
    cr_assert(a440 > 0.02 && end660 > 0.02 && (cases[i].mixed ? b660 > 0.02 : b660 < 0.01),
              "%s: 440 Hz %.3f, 660 Hz %.3f at the start; %.3f at the end", cases[i].instruction,
              a440, b660, end660);
    cr_assert_float_eq(db(end660 / a440), cases[i].b_over_a, 1.0, "%s: b %.1f dB over a",
                       cases[i].instruction, db(end660 / a440));
    const char *says = cases[i].mixed ? "mixed 2 recordings together" : "joined 2 recordings one";
    cr_assert(text && strstr(text, says), "%s: %s", cases[i].instruction, text);
    cr_assert((strstr(text, "as the background") != NULL) == (cases[i].b_over_a != 0), "%s: %s",
              cases[i].instruction, text);
    cr_assert(!strstr(text, "named no known operation"), "%s", text);
    free(s);
    free(text);
    remove(out);
    free(out);
  }
  char err[512], *text = NULL;
  cr_assert_null(process_two(a, "/nonexistent/b.wav", "join them", &text, err, sizeof err));
  cr_assert(strstr(err, "/nonexistent/b.wav"), "unclear error: %s", err);
  /* Two recordings within the limit each, but not one after another. */
  char *long1 = make_signal("long1.wav", 8000, 1, 901.0, nothing);
  char *long2 = make_signal("long2.wav", 8000, 1, 901.0, nothing);
  cr_assert_null(process_two(long1, long2, "join them", &text, err, sizeof err));
  cr_assert(strstr(err, "longer than 1800 s"), "unclear error: %s", err);
  free(long1);
  free(long2);
  free(a);
  free(b);
}

/* A silence asked for between joined recordings: its length read from the words around "gap",
 * "pause" or "silence" (1 s when none is said), silent in the output, and no silence trimmed off
 * for it; none unasked or for "no gap". */
Test(executors_sndfile, puts_the_silence_asked_for_between_joined_recordings, .init = setup,
     .fini = teardown) {
  char *a = make_audio("a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 0.0, 1.0, 0.5);
  char *b = make_signal("b.wav", 22050, 1, 2.0, fifth_tone);
  static const struct {
    const char *instruction;
    double gap, cut; /* the silence put between; what a cut asked for leaves (0: no cut) */
  } cases[] = {
      {"join a.wav and b.wav with a 2 second gap", 2.0, 0},
      {"put 2 seconds of silence between a.wav and b.wav", 2.0, 0},
      {"combine them with a pause of 500 ms", 0.5, 0},
      {"join them with a 1.5-second pause", 1.5, 0},
      {"join them with a short pause between them", 1.0, 0},
      {"add some silence between a.wav and b.wav", 1.0, 0},
      {"join them with no gap", 0, 0},
      {"join a.wav and b.wav, keep it under 5 seconds", 0, 0},
      {"trim the silence and join them", 0, 0},
      {"remove the silence between them and join them", 0, 0},
      {"put 2 seconds of silence between them, then cut the noise", 2.0, 0},
      {"join a.wav and b.wav, keep the first 5 seconds, with a pause between", 1.0, 4.0},
      {"join a.wav and b.wav, trim the first 2 seconds of silence", 0, 1.0},
      {"join them without any gap", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512], *text = NULL;
    char *out = process_two(a, b, cases[i].instruction, &text, err, sizeof err);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    size_t frames = 0;
    int rate = 0;
    float *s = read_channel0(out, &frames, &rate);
    double secs = (double)frames / rate;
    double want = cases[i].cut > 0 ? cases[i].cut : 3.0 + cases[i].gap;
    cr_assert_float_eq(secs, want, 0.01, "%s: %.3f s", cases[i].instruction, secs);
    cr_assert((strstr(text, "of silence between") != NULL) == (cases[i].gap > 0), "%s: %s",
              cases[i].instruction, text);
    if (cases[i].gap > 0 && cases[i].cut == 0) {
      double quiet = rms_between(s, rate, 1.05, 1.0 + cases[i].gap - 0.05);
      double after = rms_between(s, rate, 1.1 + cases[i].gap, 2.9 + cases[i].gap);
      cr_assert(quiet < 1e-4 && after > 0.1, "%s: %.5f in the gap, %.3f after it",
                cases[i].instruction, quiet, after);
    }
    free(s);
    free(text);
    remove(out);
    free(out);
  }
  char err[512], *text = NULL;
  cr_assert_null(process_two(a, b, "join them with a gap of 10 hours", &text, err, sizeof err));
  cr_assert(strstr(err, "silence asked for between the recordings (36000 s)"), "%s", err);
  free(a);
  free(b);
}

Test(executors_sndfile, keeps_a_background_under_silence, .init = setup, .fini = teardown) {
  char *quiet = make_signal("quiet.wav", 22050, 1, 2.0, nothing);
  char *b = make_signal("b.wav", 22050, 1, 2.0, fifth_tone), err[512], *text = NULL;
  char *out = process_two(quiet, b, "mix with b.wav as background", &text, err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert(strstr(text, "already 15 dB or more under"), "%s", text);
  size_t frames = 0;
  int rate = 0;
  float *s = read_channel0(out, &frames, &rate);
  cr_assert(amplitude_at(s, frames, rate, 660.0) > 0.3, "the background was silenced");
  free(s);
  free(text);
  free(out);
  free(b);
  free(quiet);
}

Test(executors_sndfile, unreadable_input_is_named, .init = setup, .fini = teardown) {
  char *bad = baton__path_join(g_dir, "noise.wav");
  bt_write(bad, "RIFF but not really");
  char err[512];
  cr_assert_null(process(bad, "normalise", err, sizeof err, NULL));
  cr_assert(strstr(err, "noise.wav"), "unclear error: %s", err);
  cr_assert_null(process("/nonexistent/a.wav", NULL, err, sizeof err, NULL));
  cr_assert(strstr(err, "/nonexistent/a.wav"), "unclear error: %s", err);
  free(bad);
}

#else
Test(executors_sndfile, not_built) { cr_skip_test("built without libsndfile"); }
#endif
