/* test_sndfile.c — the libsndfile audio-to-audio executor: normalise, trim silence, resample, mono, FLAC input, speed, format conversion, errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/audio_cut.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_SNDFILE)

#include <sndfile.h>

static const baton__executor *sf(void) { return &baton__executor_sndfile; }

static char *g_dir;

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
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task5"};
  int rc = sf()->run(NULL, "audio-to-audio", &in, &env, &out);
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
      {"make it 25% faster", 1.6},
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
      {"cut out 500 ms to 2 s", CUT_RANGE, 0.5, 2, true},
      {"up to 45 sec", CUT_RANGE, 0, 45, false},
      {"speed up 1.5x and resample to 16 khz", CUT_NONE, 0, 0, false},
      {"to 44100 hz, 20% slower", CUT_NONE, 0, 0, false},
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
