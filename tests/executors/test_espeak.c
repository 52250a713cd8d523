/* test_espeak.c — the espeak-ng text-to-speech executor: WAV (or asked-for) output, duration, limits, errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#if defined(BATON_HAVE_SNDFILE)
#include "executors/audio_io.h"
#endif
#include "support/exec.h"
#include "support/support.h"

#if defined(BATON_HAVE_ESPEAK)

typedef struct fixture {
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
  char *dir;
  void *state;
} fixture;

static void fx_setup(fixture *f) {
  memset(f, 0, sizeof *f);
  f->cfg.tts_voice = (char *)"en";
  f->cfg.tts_rate = 175;
  f->cfg.max_text_bytes = 64u * 1024u;
  f->dir = bt_tmpdir();
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = f->dir;
  f->env.file_prefix = "task3";
  f->env.cancel = &f->cancel;
  char err[512] = "";
  cr_assert_eq(baton__executor_espeak.init(&f->cfg, &f->state, err, sizeof err), 0,
               "init failed: %s", err);
}

static void fx_teardown(fixture *f) {
  baton__executor_espeak.release(f->state);
  bt_rmtree(f->dir);
  free(f->dir);
}

/* Speaks text as the instruction (the request's words, or NULL) asks; returns the WAV path
 * (caller frees) or NULL with env.err set. */
static char *speak_as(fixture *f, const char *text, const char *instruction) {
  baton__values in;
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  if (instruction)
    cr_assert_eq(baton__values_add(&in, "instruction", 0, instruction), 0);
  return bt_exec_output(&baton__executor_espeak, f->state, "text-to-speech", &in, &f->env,
                        "audio", BATON__T_AUDIO);
}

static char *speak(fixture *f, const char *text) { return speak_as(f, text, NULL); }

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* Checks the WAV header and returns the duration in seconds. */
static double wav_seconds(const char *path) {
  size_t len = 0;
  char *buf = bt_slurp(path, &len);
  const unsigned char *h = (const unsigned char *)buf;
  cr_assert_geq(len, 44);
  cr_assert_eq(memcmp(h, "RIFF", 4), 0);
  cr_assert_eq(le32(h + 4), len - 8, "RIFF size does not match the file");
  cr_assert_eq(memcmp(h + 8, "WAVE", 4), 0);
  cr_assert_eq(memcmp(h + 12, "fmt ", 4), 0);
  cr_assert_eq(le32(h + 16), 16);
  cr_assert_eq(le16(h + 20), 1, "not PCM");
  cr_assert_eq(le16(h + 22), 1, "not mono");
  uint32_t rate = le32(h + 24);
  cr_assert(rate >= 8000 && rate <= 48000, "odd sample rate %u", rate);
  cr_assert_eq(le32(h + 28), rate * 2);
  cr_assert_eq(le16(h + 32), 2);
  cr_assert_eq(le16(h + 34), 16, "not 16-bit");
  cr_assert_eq(memcmp(h + 36, "data", 4), 0);
  uint32_t data = le32(h + 40);
  cr_assert_eq(data, len - 44, "data size does not match the file");
  /* Not silence: some sample is loud. */
  int peak = 0;
  for (size_t i = 44; i + 1 < len; i += 2) {
    int s = (int16_t)le16(h + i);
    if (abs(s) > peak)
      peak = abs(s);
  }
  cr_assert_gt(peak, 1000, "the audio is silent");
  free(buf);
  return (double)data / (rate * 2.0);
}

Test(executors_espeak, is_available_here) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  char why[512] = "unset";
  cr_assert(baton__executor_espeak.available(&cfg, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(baton__executor_espeak.tasks[0], "text-to-speech");
}

Test(executors_espeak, speaks_a_sentence_into_a_wav_file_in_the_workspace) {
  fixture f;
  fx_setup(&f);
  char *wav = speak(&f, "The library opens at nine every morning.");
  cr_assert_not_null(wav, "synthesis failed: %s", f.env.err);
  char *want = baton__path_join(f.dir, "task3.wav");
  cr_assert_str_eq(wav, want);
  cr_assert_eq(wav[0], '/');
  double secs = wav_seconds(wav);
  cr_assert(secs >= 1.0 && secs <= 10.0, "implausible duration %.2f s", secs);
  free(want);
  free(wav);
  fx_teardown(&f);
}

#if defined(BATON_HAVE_SNDFILE)
Test(executors_espeak, speaks_in_the_format_a_save_as_name_asks_for) {
  fixture f;
  fx_setup(&f);
  const char *asked[][2] = {{"flac", "task3.flac"}, {"mp3", "task3.mp3"}, {"ogg", "task3.ogg"}};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    f.env.file_format = asked[i][0];
    char *out = speak(&f, "The library opens at nine every morning.");
    cr_assert(out && baton__has_suffix_ci(out, asked[i][1]), "%s: wrote %s (%s)", asked[i][0],
              out ? out : "nothing", f.env.err);
    baton__pcm pcm = {0};
    char err[512];
    cr_assert_eq(baton__pcm_load(out, 0, &pcm, err, sizeof err), 0, "%s", err);
    float peak = 0;
    for (size_t k = 0; k < pcm.frames; k++)
      peak = fabsf(pcm.s[k]) > peak ? fabsf(pcm.s[k]) : peak;
    double secs = (double)pcm.frames / pcm.rate;
    cr_assert(pcm.channels == 1 && secs >= 1.0 && secs <= 10.0 && peak > 0.03,
              "%s: %d channel(s), %.2f s, peak %.3f", out, pcm.channels, secs, peak);
    baton__pcm_release(&pcm);
    free(out);
  }
  fx_teardown(&f);
}

Test(executors_espeak, refuses_a_format_it_cannot_write) {
  fixture f;
  fx_setup(&f);
  const char *asked[][3] = {{"m4a", NULL, "M4A"},  /* a save_as name's format */
                            {"xyz", NULL, "XYZ"},
                            {"m4a", "read it aloud as an mp3", "M4A"}, /* the name's wins */
                            {NULL, "read it aloud and save it as AAC", "AAC"}};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    f.env.file_format = asked[i][0];
    f.env.bad_input = false;
    char *out = speak_as(&f, "Closed on Sundays.", asked[i][1]);
    char want[64];
    snprintf(want, sizeof want, "cannot write audio as %s", asked[i][2]);
    cr_assert(!out && f.env.bad_input && strstr(f.env.err, want) && strstr(f.env.err, "WAV") &&
                  strstr(f.env.err, "MP3"),
              "%s: wrote %s (%s)", asked[i][2], out ? out : "nothing", f.env.err);
    char *wav = baton__path_join(f.dir, "task3.wav");
    cr_assert(!baton__file_exists(wav), "%s: a WAV file was written instead", asked[i][2]);
    free(wav);
  }
  fx_teardown(&f);
}

Test(executors_espeak, speaks_in_the_format_the_instruction_names) {
  fixture f;
  fx_setup(&f);
  const char *asked[][2] = {{"turn notes.txt into an mp3", "task3.mp3"},
                            {"read it aloud as FLAC", "task3.flac"},
                            {"read notes.txt aloud", "task3.wav"}, /* "notes.txt": a file */
                            {"say 'convert it to mp3'", "task3.wav"}}; /* a quote: what to say */
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    char *out = speak_as(&f, "Closed on Sundays.", asked[i][0]);
    cr_assert(out && baton__has_suffix_ci(out, asked[i][1]), "%s: wrote %s (%s)", asked[i][0],
              out ? out : "nothing", f.env.err);
    free(out);
  }
  f.env.file_format = "ogg"; /* a save_as name wins */
  char *out = speak_as(&f, "Closed on Sundays.", "as an mp3");
  cr_assert(out && baton__has_suffix_ci(out, "task3.ogg"), "wrote %s", out ? out : "nothing");
  free(out);
  fx_teardown(&f);
}
#endif

Test(executors_espeak, longer_text_gives_longer_audio) {
  fixture f;
  fx_setup(&f);
  char *a = speak(&f, "Closed on Sundays.");
  cr_assert_not_null(a, "synthesis failed: %s", f.env.err);
  double short_s = wav_seconds(a);
  f.env.file_prefix = "task4";
  char *b = speak(&f, "Closed on Sundays. Borrowed books can be returned at any time through "
                      "the slot beside the main entrance, day or night.");
  cr_assert_not_null(b, "synthesis failed: %s", f.env.err);
  cr_assert_str_neq(a, b);
  double long_s = wav_seconds(b);
  cr_assert_gt(long_s, short_s * 2, "%.2f s is not much longer than %.2f s", long_s, short_s);
  free(a);
  free(b);
  fx_teardown(&f);
}

Test(executors_espeak, a_slower_rate_gives_longer_audio) {
  fixture f;
  fx_setup(&f);
  const char *text = "Please keep food and drinks out of the reading rooms.";
  char *a = speak(&f, text);
  cr_assert_not_null(a, "synthesis failed: %s", f.env.err);
  double normal = wav_seconds(a);
  baton__executor_espeak.release(f.state);
  f.cfg.tts_rate = 90;
  char err[512] = "";
  cr_assert_eq(baton__executor_espeak.init(&f.cfg, &f.state, err, sizeof err), 0, "%s", err);
  f.env.file_prefix = "slow";
  char *b = speak(&f, text);
  cr_assert_not_null(b, "synthesis failed: %s", f.env.err);
  double slow = wav_seconds(b);
  cr_assert_gt(slow, normal * 1.4, "rate 90 gave %.2f s vs %.2f s at 175", slow, normal);
  free(a);
  free(b);
  fx_teardown(&f);
}

/* The median pitch (Hz) of the loud 40 ms frames of a 16-bit mono WAV, by autocorrelation
 * between 70 and 400 Hz. */
static double median_pitch(const char *path) {
  size_t len = 0;
  char *buf = bt_slurp(path, &len);
  const unsigned char *h = (const unsigned char *)buf;
  unsigned rate = le32(h + 24);
  size_t n = (len - 44) / 2, frame = rate / 25, got = 0;
  double pitches[512];
  for (size_t a = 0; a + frame < n && got < 512; a += frame) {
    double energy = 0, best = 0;
    size_t best_lag = 0;
    const unsigned char *x = h + 44 + 2 * a; /* the frame's samples */
    for (size_t i = 0; i < frame; i++)
      energy += pow((int16_t)le16(x + 2 * i), 2);
    for (size_t lag = rate / 400; energy / (double)frame > 1e6 && lag < rate / 70; lag++) {
      double c = 0;
      for (size_t i = 0; i + lag < frame; i++)
        c += (double)(int16_t)le16(x + 2 * i) * (int16_t)le16(x + 2 * (i + lag));
      if (c > best)
        best = c, best_lag = lag;
    }
    if (best_lag)
      pitches[got++] = (double)rate / (double)best_lag;
  }
  free(buf);
  cr_assert_gt(got, 5, "too few voiced frames in %s", path);
  for (size_t i = 1; i < got; i++) /* insertion sort: a few hundred values */
    for (size_t j = i; j > 0 && pitches[j - 1] > pitches[j]; j--) {
      double t = pitches[j];
      pitches[j] = pitches[j - 1], pitches[j - 1] = t;
    }
  return pitches[got / 2];
}

/* "Read it slowly in a female voice": the request's words set the rate, the pitch and the voice;
 * words inside quotes are what to say, not how, and "fast" in "the fast food menu" is not a
 * rate. */
Test(executors_espeak, the_request_says_how_to_speak) {
  fixture f;
  fx_setup(&f);
  const char *text = "Please keep food and drinks out of the reading rooms.";
  char *plain = speak(&f, text);
  cr_assert_not_null(plain, "synthesis failed: %s", f.env.err);
  double secs = wav_seconds(plain), pitch = median_pitch(plain);
  static const struct {
    const char *asked;
    double min_ratio, max_ratio, min_pitch_ratio;
  } cases[] = {
      {"read it aloud slowly", 1.3, 2.0, 0.8},
      {"read it quickly", 0.5, 0.85, 0.8},
      {"read it in a female voice", 0.8, 1.25, 1.5},
      {"say 'slow down, fast' aloud", 0.98, 1.02, 0.9}, /* the quote is what to say */
      {"read it aloud, a bit faster please", 0.5, 0.85, 0.8},
      {"read the fast food menu aloud", 0.98, 1.02, 0.9}, /* "fast" is not about speaking */
      {"read my deep learning notes to me", 0.98, 1.02, 0.9},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char prefix[16];
    baton__fmt(prefix, sizeof prefix, "style%zu", i);
    f.env.file_prefix = prefix;
    char *path = speak_as(&f, text, cases[i].asked);
    cr_assert_not_null(path, "%s: %s", cases[i].asked, f.env.err);
    double r = wav_seconds(path) / secs, p = median_pitch(path) / pitch;
    cr_assert(r >= cases[i].min_ratio && r <= cases[i].max_ratio, "%s: %.2fx as long",
              cases[i].asked, r);
    cr_assert_geq(p, cases[i].min_pitch_ratio, "%s: pitch %.2fx", cases[i].asked, p);
    free(path);
  }
  /* the library keeps the pitch and rate it was given: the next plain request is plain again */
  f.env.file_prefix = "again";
  char *again = speak(&f, text);
  cr_assert_float_eq(wav_seconds(again), secs, 0.02 * secs);
  free(again);
  free(plain);
  fx_teardown(&f);
}

typedef struct speaker {
  fixture *f;
  baton__exec_env env;
  void *state;
  const char *text;
  char *path;
} speaker;

static void *speak_thread(void *arg) {
  speaker *sp = arg;
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  baton__values_add(&in, "text", BATON__T_TEXT, sp->text);
  for (int i = 0; i < 3; i++) {
    if (baton__executor_espeak.run(sp->state, "text-to-speech", &in, &sp->env, &out) == 0) {
      free(sp->path);
      sp->path = baton__strdup(baton__values_get(&out, "audio")->data);
    }
    baton__values_release(&out);
  }
  baton__values_release(&in);
  return NULL;
}

Test(executors_espeak, two_contexts_can_speak_at_the_same_time) {
  fixture f;
  fx_setup(&f);
  /* A second instance, as a second baton context would make. */
  void *other = NULL;
  char err[512] = "";
  cr_assert_eq(baton__executor_espeak.init(&f.cfg, &other, err, sizeof err), 0, "%s", err);
  speaker a = {.f = &f, .env = f.env, .state = f.state, .text = "Closed on Sundays."};
  speaker b = {.f = &f, .env = f.env, .state = other,
               .text = "Borrowed books can be returned at any time through the slot beside the "
                       "main entrance, by day or by night."};
  a.env.file_prefix = "a";
  b.env.file_prefix = "b";
  pthread_t ta, tb;
  pthread_create(&ta, NULL, speak_thread, &a);
  pthread_create(&tb, NULL, speak_thread, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  cr_assert_not_null(a.path);
  cr_assert_not_null(b.path);
  double sa = wav_seconds(a.path), sb = wav_seconds(b.path);
  cr_assert(sa > 0.5 && sa < 4.0, "short text gave %.2f s", sa);
  cr_assert_gt(sb, sa * 2, "long text gave %.2f s vs %.2f s", sb, sa);
  free(a.path);
  free(b.path);
  baton__executor_espeak.release(other);
  fx_teardown(&f);
}

Test(executors_espeak, empty_text_is_an_error) {
  fixture f;
  fx_setup(&f);
  cr_assert_null(speak(&f, ""));
  cr_assert(strstr(f.env.err, "non-empty"), "unclear error: %s", f.env.err);
  cr_assert_null(speak(&f, "  \n\t "));
  cr_assert(strstr(f.env.err, "non-empty"), "unclear error: %s", f.env.err);
  char *wav = baton__path_join(f.dir, "task3.wav");
  cr_assert_not(baton__file_exists(wav), "a file was written for empty text");
  free(wav);
  fx_teardown(&f);
}

Test(executors_espeak, text_over_the_limit_is_refused) {
  fixture f;
  fx_setup(&f);
  f.cfg.max_text_bytes = 16;
  cr_assert_null(speak(&f, "This sentence is longer than sixteen bytes."));
  cr_assert(strstr(f.env.err, "limit") && strstr(f.env.err, "16"), "unclear error: %s",
            f.env.err);
  fx_teardown(&f);
}

Test(executors_espeak, a_cancelled_task_writes_nothing) {
  fixture f;
  fx_setup(&f);
  atomic_store(&f.cancel, 1);
  cr_assert_null(speak(&f, "Never spoken."));
  cr_assert(strstr(f.env.err, "cancel"), "unclear error: %s", f.env.err);
  char *wav = baton__path_join(f.dir, "task3.wav");
  cr_assert_not(baton__file_exists(wav));
  free(wav);
  fx_teardown(&f);
}

Test(executors_espeak, an_unknown_voice_is_named_in_the_error) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tts_voice = (char *)"klingon-xx";
  void *state = NULL;
  char err[512] = "";
  cr_assert_neq(baton__executor_espeak.init(&cfg, &state, err, sizeof err), 0);
  cr_assert_null(state);
  cr_assert(strstr(err, "klingon-xx"), "unclear error: %s", err);
}

#else
Test(executors_espeak, not_built) { cr_skip_test("built without libespeak-ng"); }
#endif
