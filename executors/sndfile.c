/* sndfile.c — the "audio-to-audio" executor: trim silence, mix to mono, resample and normalise recordings with libsndfile, writing WAV. */
#include "executors/executor.h"

#if defined(BATON_HAVE_SNDFILE)

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/audio_io.h"
#include "core/banned.h"

#define SF_DEFAULT_MAX_INPUT (256u * 1024u * 1024u)
#define SF_MAX_INSTRUCTION 2048
#define SF_PEAK_TARGET 0.891   /* -1 dBFS */
#define SF_SILENCE 0.01        /* -40 dBFS */
#define SF_TRIM_MARGIN_S 0.05  /* kept around the sound */
#define SF_DEFAULT_RATE 16000

#define SF_CAN_DO                                                                           \
  "normalise (the default), trim silence, resample (\"resample to 16 kHz\", \"to 44100 "     \
  "Hz\"), convert to mono"

enum { SF_TRIM = 1, SF_MONO = 2, SF_RESAMPLE = 4, SF_NORMALISE = 8 };

/* Whether the lower-cased text holds w at a word start. */
static bool word_at_start(const char *text, const char *w) {
  for (const char *p = text; (p = strstr(p, w)); p++)
    if (p == text || !isalnum((unsigned char)p[-1]))
      return true;
  return false;
}

/* A sample rate named in the text: "16000", "16 kHz", "44.1khz", "22050 hz". 0 if none. */
static int find_rate(const char *low) {
  for (const char *p = low; *p; p++) {
    if (!isdigit((unsigned char)*p) || (p > low && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
      continue;
    char *end = NULL;
    double v = strtod(p, &end);
    while (*end == ' ')
      end++;
    if (strncmp(end, "khz", 3) == 0 || strncmp(end, "k ", 2) == 0 || strcmp(end, "k") == 0)
      v *= 1000.0;
    if (v >= 8000 && v <= 384000)
      return (int)(v + 0.5);
  }
  return 0;
}

static bool sf_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  if (why && whylen)
    why[0] = '\0';
  return true;
}

/* Cuts leading and trailing frames quieter than SF_SILENCE (keeping a margin). */
static void trim_silence(baton__pcm *p, double *cut_s) {
  size_t ch = (size_t)p->channels, first = p->frames, last = 0;
  for (size_t i = 0; i < p->frames; i++)
    for (size_t c = 0; c < ch; c++)
      if (fabsf(p->s[i * ch + c]) > SF_SILENCE) {
        if (first == p->frames)
          first = i;
        last = i;
      }
  size_t before = p->frames;
  if (first == p->frames) { /* all silence: keep one frame */
    p->frames = 1;
    *cut_s = (double)(before - 1) / p->rate;
    return;
  }
  size_t margin = (size_t)(SF_TRIM_MARGIN_S * p->rate);
  first = first > margin ? first - margin : 0;
  last = last + margin < p->frames - 1 ? last + margin : p->frames - 1;
  size_t n = last - first + 1;
  memmove(p->s, p->s + first * ch, n * ch * sizeof *p->s);
  p->frames = n;
  *cut_s = (double)(before - n) / p->rate;
}

static float peak_of(const baton__pcm *p) {
  float peak = 0;
  for (size_t i = 0; i < p->frames * (size_t)p->channels; i++)
    if (fabsf(p->s[i]) > peak)
      peak = fabsf(p->s[i]);
  return peak;
}

static int sf_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  int64_t deadline = env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms : 0;
  const baton__value *av = baton__values_get(in, "audio");
  if (!av)
    av = baton__values_get_type(in, BATON__T_AUDIO);
  if (!av || !av->data || !*av->data) {
    baton__fmt(env->err, sizeof env->err, "audio-to-audio needs an \"audio\" file to process");
    return -1;
  }
  const baton__value *tv = baton__values_get(in, "instruction");
  if (!tv)
    tv = baton__values_get(in, "text");
  if (!tv)
    tv = baton__values_get_type(in, BATON__T_TEXT);
  const char *instr = tv && tv->data ? tv->data : "";
  if (strlen(instr) > SF_MAX_INSTRUCTION) {
    baton__fmt(env->err, sizeof env->err, "the instruction is over %d bytes", SF_MAX_INSTRUCTION);
    return -1;
  }
  if (!env->workspace || !env->file_prefix) {
    baton__fmt(env->err, sizeof env->err, "no workspace to write the audio into");
    return -1;
  }
  char low[SF_MAX_INSTRUCTION + 1];
  baton__fmt(low, sizeof low, "%s", instr);
  for (char *p = low; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  unsigned ops = 0;
  if (word_at_start(low, "trim") || word_at_start(low, "silence") ||
      word_at_start(low, "silent") || word_at_start(low, "strip"))
    ops |= SF_TRIM;
  if (word_at_start(low, "mono") || word_at_start(low, "downmix") ||
      word_at_start(low, "single channel") || word_at_start(low, "one channel"))
    ops |= SF_MONO;
  int rate = find_rate(low);
  if (word_at_start(low, "resampl") || word_at_start(low, "sample rate") ||
      word_at_start(low, "samplerate") || word_at_start(low, "sampling rate") || rate)
    ops |= SF_RESAMPLE;
  if (word_at_start(low, "normali") || word_at_start(low, "louder") ||
      word_at_start(low, "loudness") || word_at_start(low, "volume") ||
      word_at_start(low, "level") || word_at_start(low, "amplif") || word_at_start(low, "gain"))
    ops |= SF_NORMALISE;
  bool defaulted = ops == 0;
  if (defaulted)
    ops = SF_NORMALISE;
  if (ops & SF_RESAMPLE && !rate)
    rate = SF_DEFAULT_RATE;

  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                     : SF_DEFAULT_MAX_INPUT;
  baton__pcm pcm;
  if (baton__pcm_load(av->data, max, &pcm, env->err, sizeof env->err) != 0)
    return -1;
  baton__sb desc;
  baton__sb_init(&desc);
  int in_rate = pcm.rate, in_ch = pcm.channels;
  const char *fail = NULL;
  if (ops & SF_TRIM) {
    double cut = 0;
    trim_silence(&pcm, &cut);
    baton__sb_addf(&desc, "trimmed %.2f s of silence; ", cut);
  }
  if (ops & SF_MONO) {
    if (baton__pcm_to_mono(&pcm) != 0)
      fail = "out of memory";
    baton__sb_addf(&desc, "mixed %d channel(s) to mono; ", in_ch);
  }
  if (!fail && baton__exec_cancelled(env))
    fail = "cancelled";
  if (!fail && ops & SF_RESAMPLE) {
    if (baton__pcm_resample(&pcm, rate) != 0)
      fail = "out of memory resampling";
    baton__sb_addf(&desc, "resampled %d Hz to %d Hz; ", in_rate, rate);
  }
  if (!fail && ops & SF_NORMALISE) {
    float peak = peak_of(&pcm);
    if (peak > 0) {
      float g = (float)SF_PEAK_TARGET / peak;
      for (size_t i = 0; i < pcm.frames * (size_t)pcm.channels; i++)
        pcm.s[i] *= g;
      baton__sb_addf(&desc, "normalised the peak to -1 dBFS (gain %+.1f dB); ",
                     20.0 * log10((double)g));
    } else {
      baton__sb_adds(&desc, "silent: nothing to normalise; ");
    }
  }
  if (!fail && baton__exec_cancelled(env))
    fail = "cancelled";
  if (!fail && deadline && baton__now_ms() > deadline)
    fail = "timeout";
  char *path = NULL;
  if (!fail) {
    char name[300];
    baton__fmt(name, sizeof name, "%s.wav", env->file_prefix);
    if (!(path = baton__path_join(env->workspace, name)))
      fail = "out of memory";
  }
  if (fail) {
    baton__pcm_release(&pcm);
    baton__sb_release(&desc);
    if (strcmp(fail, "timeout") == 0)
      baton__fmt(env->err, sizeof env->err, "audio processing ran past %ld ms", env->timeout_ms);
    else
      baton__fmt(env->err, sizeof env->err, "%s", fail);
    return -1;
  }
  int rc = baton__pcm_write_wav(path, &pcm, env->err, sizeof env->err);
  baton__sb_addf(&desc, "%.2f s, %d Hz, %d channel(s), 16-bit WAV",
                 (double)pcm.frames / pcm.rate, pcm.rate, pcm.channels);
  if (defaulted && *instr)
    baton__sb_adds(&desc, " (the instruction named no known operation, so it was normalised; "
                          "this executor can: " SF_CAN_DO ")");
  baton__pcm_release(&pcm);
  if (rc != 0) {
    free(path);
    baton__sb_release(&desc);
    return -1;
  }
  const baton__output outs[] = {{"audio", BATON__T_AUDIO, baton__path_absolute(path), false},
                                {"text", BATON__T_TEXT, baton__sb_detach(&desc), true}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static int sf_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  (void)cfg;
  (void)err;
  (void)errlen;
  *state = NULL; /* nothing to set up */
  return 0;
}

static void sf_release(void *state) { (void)state; }

static const char *const sf_tasks[] = {"audio-to-audio", NULL};

const baton__executor baton__executor_sndfile = {
    .name = "sndfile",
    .model_id = "local/sndfile",
    .tasks = sf_tasks,
    .reentrant = true,
    .available = sf_available,
    .init = sf_init,
    .run = sf_run,
    .release = sf_release,
};

#endif /* BATON_HAVE_SNDFILE */
