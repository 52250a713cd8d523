/* test_pocketsphinx.c — the PocketSphinx speech recognition executor: espeak-ng speech recognised back, formats, subtitles, silence, errors. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "executors/subtitles.h"
#include "planner/output_names.h"
#include "support/exec.h"
#include "support/support.h"

/* Cues end at a pause, at 7 words, at 42 characters and at 4 seconds; times past an hour and the
 * WebVTT form are written out. */
Test(executors_pocketsphinx, subtitle_cues_split_at_pauses_and_lengths) {
  static const baton__timed_word w[] = {
      {"one", 0, 300},         {"two", 300, 600},       {"three", 1500, 1800},
      {"a", 1800, 1900},       {"b", 1900, 2000},       {"c", 2000, 2100},
      {"d", 2100, 2200},       {"e", 2200, 2300},       {"f", 2300, 2400},
      {"g", 2400, 2500},       {"h", 2500, 2600},       {"extraordinarily", 2600, 3000},
      {"uncharacteristically", 3000, 3400},            {"disproportionately", 3400, 3800},
      {"late", 3723000, 3723456}};
  char *srt = baton__subs_render(w, sizeof w / sizeof w[0], false);
  cr_assert_str_eq(srt, "1\n00:00:00,000 --> 00:00:00,600\none two\n\n"
                        "2\n00:00:01,500 --> 00:00:02,400\nthree a b c d e f\n\n"
                        "3\n00:00:02,400 --> 00:00:03,400\n"
                        "g h extraordinarily uncharacteristically\n\n"
                        "4\n00:00:03,400 --> 00:00:03,800\ndisproportionately\n\n"
                        "5\n01:02:03,000 --> 01:02:03,456\nlate\n\n");
  free(srt);
  static const baton__timed_word slow[] = {{"so", 0, 2500}, {"slow", 2500, 4500}};
  char *vtt = baton__subs_render(slow, 2, true);
  cr_assert_str_eq(vtt, "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nso\n\n"
                        "00:00:02.500 --> 00:00:04.500\nslow\n\n");
  free(vtt);
  cr_assert_null(baton__subs_render(w, 0, false));
}

#if defined(BATON_HAVE_POCKETSPHINX) && defined(BATON_HAVE_SNDFILE)

#include <sndfile.h>

static const baton__executor *ps(void) { return &baton__executor_pocketsphinx; }

static char *g_dir;
static void *g_state;
static atomic_int g_cancel;
static bool g_bad_input; /* the last failure was the input's fault */

static void setup(void) {
  char why[512];
  if (!ps()->available(NULL, why, sizeof why))
    cr_skip_test("%s", why);
  char err[512] = "";
  cr_assert_eq(ps()->init(NULL, &g_state, err, sizeof err), 0, "init failed: %s", err);
  g_dir = bt_tmpdir();
  atomic_init(&g_cancel, 0);
}

static void teardown(void) {
  ps()->release(g_state);
  g_state = NULL;
  if (g_dir) {
    bt_rmtree(g_dir);
    free(g_dir);
    g_dir = NULL;
  }
}

/* Transcribes; returns the text (caller frees) or NULL with err. */
static char *transcribe(const char *audio, long timeout_ms, char *err, size_t errlen) {
  baton__values in;
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "audio", BATON__T_AUDIO, audio), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task0", .cancel = &g_cancel,
                         .timeout_ms = timeout_ms};
  char *text = bt_exec_output(ps(), g_state, "automatic-speech-recognition", &in, &env, "text",
                              BATON__T_TEXT);
  g_bad_input = env.bad_input;
  baton__fmt(err, errlen, "%s", env.err);
  return text;
}

/* secs of 16 kHz mono noise at the given peak amplitude (0: silence), as a WAV in the workspace
 * named name. */
static char *noise(const char *name, double secs, float amplitude) {
  char *path = baton__path_join(g_dir, name);
  SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  cr_assert_not_null(f);
  size_t n = (size_t)(secs * 16000);
  float *s = calloc(n, sizeof *s);
  uint32_t r = 12345;
  for (size_t i = 0; i < n; i++, r = r * 1664525u + 1013904223u) /* a fixed pseudo-random run */
    s[i] = amplitude * ((float)(r >> 8) / (float)(1u << 24) * 2.0f - 1.0f);
  sf_writef_float(f, s, (sf_count_t)n);
  sf_close(f);
  free(s);
  return path;
}

static char *silence(double secs) { return noise("silence.wav", secs, 0.0f); }

#if defined(BATON_HAVE_ESPEAK)
/* Speaks text with the espeak-ng executor (22050 Hz WAV, en-us at rate words a minute) into the
 * workspace. */
static char *speak_at(const char *text, const char *prefix, int rate) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tts_voice = (char *)"en-us";
  cfg.tts_rate = rate;
  void *es = NULL;
  char err[512] = "";
  cr_assert_eq(baton__executor_espeak.init(&cfg, &es, err, sizeof err), 0, "%s", err);
  baton__values in;
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  baton__exec_env env = {.cfg = &cfg, .workspace = g_dir, .file_prefix = prefix};
  char *path = bt_exec_output(&baton__executor_espeak, es, "text-to-speech", &in, &env, "audio",
                              BATON__T_AUDIO);
  cr_assert_not_null(path, "%s", env.err);
  baton__executor_espeak.release(es);
  return path;
}

static char *speak(const char *text, const char *prefix) { return speak_at(text, prefix, 150); }

/* Share of the reference's words that appear in the hypothesis. */
static double word_overlap(const char *ref, const char *hyp) {
  char words[32][32];
  size_t n = 0;
  for (const char *p = ref; *p && n < 32;) {
    while (*p && !isalpha((unsigned char)*p))
      p++;
    size_t len = 0;
    while (*p && isalpha((unsigned char)*p)) {
      if (len < 31)
        words[n][len++] = (char)tolower((unsigned char)*p);
      p++;
    }
    words[n][len] = '\0';
    if (len)
      n++;
  }
  size_t hit = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(words[i]);
    for (const char *q = hyp; (q = strstr(q, words[i])); q++)
      if ((q == hyp || !isalpha((unsigned char)q[-1])) && !isalpha((unsigned char)q[len])) {
        hit++;
        break;
      }
  }
  return n ? (double)hit / (double)n : 0.0;
}

/* PocketSphinx hears espeak-ng (en-us, 150 wpm) imperfectly. Measured on
 * Debian 12 with a fresh decoder (each test runs in its own process): this
 * sentence comes back word for word, from the WAV and from the FLAC; other
 * simple sentences come back at 50-100% ("please open the door" 100%, "the
 * weather is nice today and we will go to the park" 67%, "go to the store and
 * buy some bread and milk" 60%), and a decoder's results also shift a little
 * with what it decoded before. Without the executor's cepstral-mean reset and
 * priming pass this one scored 71%: the bar is 80%. */
#define MIN_OVERLAP 0.8
static const char *const SENTENCE = "I would like a cup of coffee";

Test(executors_pocketsphinx, recognises_espeak_speech_back, .init = setup, .fini = teardown) {
  char *wav = speak(SENTENCE, "speech");
  char err[512];
  char *text = transcribe(wav, 0, err, sizeof err);
  cr_assert_not_null(text, "%s", err);
  double ov = word_overlap(SENTENCE, text);
  cr_log_info("said: %s / heard: %s / overlap %.0f%%", SENTENCE, text, ov * 100);
  cr_assert_geq(ov, MIN_OVERLAP, "heard '%s' for '%s' (overlap %.0f%%)", text, SENTENCE,
                ov * 100);
  free(text);
  free(wav);
}

/* The WAV at path rewritten without its leading silence: the speech starts at once, as in a
 * recording cut from a longer one. */
static void cut_leading_silence(const char *path) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  cr_assert_not_null(f);
  float *s = calloc((size_t)info.frames * (size_t)info.channels, sizeof *s);
  cr_assert_eq(sf_readf_float(f, s, info.frames), info.frames);
  sf_close(f);
  sf_count_t at = 0;
  while (at < info.frames && fabsf(s[at * info.channels]) < 0.01f)
    at++;
  sf_count_t frames = info.frames - at;
  cr_assert_gt(frames, 0, "espeak-ng wrote silence");
  cr_assert_not_null(f = sf_open(path, SFM_WRITE, &info), "%s", sf_strerror(NULL));
  cr_assert_eq(sf_writef_float(f, s + at * info.channels, frames), frames);
  sf_close(f);
  free(s);
}

Test(executors_pocketsphinx, the_same_recording_twice_gives_the_same_text, .init = setup,
     .fini = teardown) {
  /* One decoder, as a chat or daemon keeps it, hears a recording, then a noisy one, then the
   * first again: what it heard before must not change the transcript. Its front end's noise
   * estimate used to carry over into speech that starts at once (as in a recording cut from a
   * longer one): these came back different after the noise. */
  static const char *const said[] = {
      "The committee agreed to open the reading room on Sunday afternoons from next month.",
      "Minutes of the riverside library committee, Tuesday evening."};
  char *hiss = noise("hiss.wav", 5.0, 0.5f), err[512];
  for (size_t i = 0; i < sizeof said / sizeof said[0]; i++) {
    char prefix[8];
    baton__fmt(prefix, sizeof prefix, "said%zu", i);
    char *wav = speak_at(said[i], prefix, 175);
    cut_leading_silence(wav);
    char *first = transcribe(wav, 0, err, sizeof err);
    cr_assert_not_null(first, "%s", err);
    free(transcribe(hiss, 0, err, sizeof err)); /* heard as words or as no speech: either */
    char *again = transcribe(wav, 0, err, sizeof err);
    cr_assert_not_null(again, "%s", err);
    cr_assert_str_eq(again, first, "\"%s\" heard differently after the noise", said[i]);
    free(again);
    free(first);
    free(wav);
  }
  free(hiss);
}

/* Runs the executor on audio with a "mode" (or none) and file_format; the outputs in *out. */
static int transcribe_into(const char *audio, const char *mode, const char *format,
                           baton__values *out, char *err, size_t errlen) {
  baton__values in;
  memset(&in, 0, sizeof in);
  memset(out, 0, sizeof *out);
  cr_assert_eq(baton__values_add(&in, "audio", BATON__T_AUDIO, audio), 0);
  if (mode)
    cr_assert_eq(baton__values_add(&in, "mode", BATON__T_TEXT, mode), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task0", .file_format = format,
                         .cancel = &g_cancel};
  int rc = ps()->run(g_state, "automatic-speech-recognition", &in, &env, out);
  baton__fmt(err, errlen, "%s", env.err);
  baton__values_release(&in);
  return rc;
}

/* Rewrites the WAV at path as lead seconds of silence, its speech, gap seconds of silence and its
 * speech again; the speech's length in *speech_s, the whole length returned, in seconds. */
static double pad_speech(const char *path, double lead, double gap, double *speech_s) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  cr_assert_not_null(f);
  size_t n = (size_t)info.frames, l = (size_t)(lead * info.samplerate);
  size_t g = (size_t)(gap * info.samplerate), total = l + n + g + n;
  float *s = calloc(total, sizeof *s);
  cr_assert_eq(sf_readf_float(f, s + l, info.frames), info.frames);
  sf_close(f);
  memcpy(s + l + n + g, s + l, n * sizeof *s);
  cr_assert_not_null(f = sf_open(path, SFM_WRITE, &info));
  sf_writef_float(f, s, (sf_count_t)total);
  sf_close(f);
  free(s);
  *speech_s = (double)n / info.samplerate;
  return (double)total / info.samplerate;
}

/* The cues of SubRip or WebVTT text: each one's start and end in seconds (at most max; how many),
 * and their words joined by spaces into *words (caller releases). */
static size_t read_cues(const char *subs, double *start, double *end, size_t max, baton__sb *words) {
  size_t n = 0;
  baton__sb_init(words);
  for (const char *l = subs; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
    size_t ll = strcspn(l, "\n");
    const char *arrow = memchr(l, '>', ll);
    bool number = ll && strspn(l, "0123456789") == ll;
    if (arrow && n < max) { /* "00:00:02,000 --> 00:00:03,690" */
      start[n] = atoi(l) * 3600 + atoi(l + 3) * 60 + atoi(l + 6) + atoi(l + 9) / 1000.0;
      end[n] = atoi(arrow + 2) * 3600 + atoi(arrow + 5) * 60 + atoi(arrow + 8) +
               atoi(arrow + 11) / 1000.0;
      n++;
    } else if (ll && !number && strncmp(l, "WEBVTT", 6) != 0) {
      if (words->len)
        baton__sb_addc(words, ' ');
      baton__sb_add(words, l, ll);
    }
  }
  return n;
}

/* The speech said twice, after 2 s of silence and with 3 s between, asked for subtitles: a .srt
 * file beside the transcript whose cues hold the transcript's words in order, timed from the
 * recording's start (the decoder's first, adapting pass not counted, the silences kept: a cue
 * starts as the second saying does, none past the end); asked as a .vtt file, WebVTT; with a
 * .txt save_as, SubRip in that file; not asked, no file. */
Test(executors_pocketsphinx, subtitles_time_the_words_from_the_recording_start, .init = setup,
     .fini = teardown) {
  char *wav = speak(SENTENCE, "speech");
  double speech = 0, total = pad_speech(wav, 2.0, 3.0, &speech), again = 2.0 + speech + 3.0;
  static const char *const asked[][3] = {
      {"subtitles", NULL, "srt"}, {NULL, "vtt", "vtt"}, {"subtitles", "txt", "txt"},
      {NULL, NULL, NULL}};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    baton__values out;
    char err[512];
    cr_assert_eq(transcribe_into(wav, asked[i][0], asked[i][1], &out, err, sizeof err), 0, "%s",
                 err);
    const baton__value *text = baton__values_get(&out, "text");
    const baton__value *file = baton__values_get(&out, BATON__OUTPUT_FILE);
    cr_assert_not_null(text);
    cr_assert((file != NULL) == (asked[i][2] != NULL), "%s", file ? file->data : "no file");
    if (!file) {
      baton__values_release(&out);
      continue;
    }
    cr_assert(baton__has_suffix_ci(file->data, asked[i][2]), "%s", file->data);
    size_t len = 0;
    char *subs = NULL;
    cr_assert_eq(baton__read_file(file->data, 1 << 20, &subs, &len, err, sizeof err), 0, "%s",
                 err);
    cr_log_info("%s", subs);
    bool vtt = !strcmp(asked[i][2], "vtt");
    cr_assert(vtt ? !strncmp(subs, "WEBVTT\n\n00:00:", 14) : !strncmp(subs, "1\n00:00:", 7),
              "%s", subs);
    double start[64], end[64];
    baton__sb words;
    size_t n = read_cues(subs, start, end, 64, &words);
    bool second = false;
    for (size_t k = 0; k < n; k++) {
      cr_assert(start[k] <= end[k] && (k == 0 || start[k] >= end[k - 1]) && end[k] <= total,
                "cue %zu at %.3f-%.3f s of %.3f s", k + 1, start[k], end[k], total);
      second |= start[k] >= again - 0.3 && start[k] <= again + 1.0;
    }
    cr_assert(n >= 2 && start[0] >= 1.5 && start[0] < 3.0 && second,
              "the speech starts at 2 s and again at %.3f s; %zu cues, the first at %.3f s", again,
              n, n ? start[0] : -1.0);
    cr_assert_str_eq(words.buf, text->data);
    baton__sb_release(&words);
    free(subs);
    baton__values_release(&out);
  }
  free(wav);
}

Test(executors_pocketsphinx, reads_flac_at_another_rate, .init = setup, .fini = teardown) {
  /* The espeak WAV, re-encoded as stereo 44.1 kHz FLAC by plain duplication. */
  char *wav = speak(SENTENCE, "speech");
  SF_INFO ii = {0};
  SNDFILE *a = sf_open(wav, SFM_READ, &ii);
  cr_assert_not_null(a);
  float *s = calloc((size_t)ii.frames, sizeof *s);
  cr_assert_eq(sf_readf_float(a, s, ii.frames), ii.frames);
  sf_close(a);
  size_t n2 = (size_t)ii.frames * 2;
  float *st = calloc(n2 * 2, sizeof *st);
  for (size_t i = 0; i < n2; i++) /* 22050 -> 44100 by repeating samples */
    st[i * 2] = st[i * 2 + 1] = s[i / 2];
  char *flac = baton__path_join(g_dir, "speech.flac");
  SF_INFO oi = {.samplerate = 44100, .channels = 2, .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
  SNDFILE *b = sf_open(flac, SFM_WRITE, &oi);
  cr_assert_not_null(b, "%s", sf_strerror(NULL));
  sf_writef_float(b, st, (sf_count_t)n2);
  sf_close(b);
  char err[512];
  char *text = transcribe(flac, 0, err, sizeof err);
  cr_assert_not_null(text, "%s", err);
  double ov = word_overlap(SENTENCE, text);
  cr_log_info("FLAC 44.1 kHz stereo: heard: %s / overlap %.0f%%", text, ov * 100);
  cr_assert_geq(ov, MIN_OVERLAP, "heard '%s' (overlap %.0f%%)", text, ov * 100);
  free(text);
  free(flac);
  free(st);
  free(s);
  free(wav);
}
#endif

Test(executors_pocketsphinx, silence_is_no_speech, .init = setup, .fini = teardown) {
  char *wav = silence(1.0);
  char err[512];
  char *text = transcribe(wav, 0, err, sizeof err);
  cr_assert_null(text, "heard '%s' in silence", text);
  cr_assert(strstr(err, "no speech"), "unclear error: %s", err);
  free(wav);
}

Test(executors_pocketsphinx, a_cancelled_task_stops, .init = setup, .fini = teardown) {
  char *wav = silence(2.0);
  atomic_store(&g_cancel, 1);
  char err[512];
  cr_assert_null(transcribe(wav, 0, err, sizeof err));
  cr_assert_str_eq(err, "cancelled");
  free(wav);
}

Test(executors_pocketsphinx, a_task_past_its_timeout_stops, .init = setup, .fini = teardown) {
  char *wav = silence(20.0); /* decoding 20 s takes far more than 5 ms */
  char err[512];
  int64_t t0 = baton__now_ms();
  cr_assert_null(transcribe(wav, 5, err, sizeof err));
  cr_assert(strstr(err, "ran past 5 ms"), "unclear error: %s", err);
  cr_assert_lt(baton__now_ms() - t0, 2000, "it did not stop soon");
  free(wav);
}

Test(executors_pocketsphinx, missing_or_undecodable_audio_is_named, .init = setup,
     .fini = teardown) {
  char err[512];
  cr_assert_null(transcribe("/nonexistent/talk.wav", 0, err, sizeof err));
  cr_assert(strstr(err, "/nonexistent/talk.wav"), "unclear error: %s", err);
  char *bad = baton__path_join(g_dir, "talk.ogg");
  bt_write(bad, "OggS but no");
  cr_assert_null(transcribe(bad, 0, err, sizeof err));
  cr_assert(strstr(err, "talk.ogg"), "unclear error: %s", err);
  cr_assert(g_bad_input, "undecodable audio is the input's fault, not the model's");
  free(bad);
}

/* The run's copy of an input (inputs/t0-audio-junk.wav) is named as the user gave it, and an
 * empty file is said to be empty. */
Test(executors_pocketsphinx, a_run_copy_is_named_as_given, .init = setup, .fini = teardown) {
  char *inputs = baton__path_join(g_dir, "inputs");
  cr_assert_eq(baton__mkdirs(inputs, 0700), 0);
  char *junk = baton__path_join(inputs, "t0-audio-junk.wav");
  char *empty = baton__path_join(inputs, "t0-audio-empty.wav");
  bt_write(junk, "junk\n");
  bt_write(empty, "");
  char err[512];
  cr_assert_null(transcribe(junk, 0, err, sizeof err));
  cr_assert(!strncmp(err, "cannot decode junk.wav as audio", 31), "unclear error: %s", err);
  cr_assert_null(transcribe(empty, 0, err, sizeof err));
  cr_assert_str_eq(err, "empty.wav is empty");
  free(junk), free(empty), free(inputs);
}

#else
Test(executors_pocketsphinx, not_built) { cr_skip_test("built without pocketsphinx/libsndfile"); }
#endif
