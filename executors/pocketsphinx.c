/* pocketsphinx.c — the "automatic-speech-recognition" executor: CMU PocketSphinx (US English) on audio resampled to 16 kHz mono. */
#include "executors/executor.h"

#if defined(BATON_HAVE_POCKETSPHINX) && defined(BATON_HAVE_SNDFILE)

#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <pocketsphinx.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/audio_io.h"
#include "executors/run_common.h"
#include "executors/subtitles.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Debian's pocketsphinx-en-us package. */
#define PS_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#define PS_RATE 16000
#define PS_BLOCK 4096 /* samples fed between cancel/timeout checks (0.25 s) */
#define PS_PRIME (PS_RATE * 5) /* samples of the first, adapting pass */
#define PS_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)

typedef struct ps_state {
  cmd_ln_t *config;
  ps_decoder_t *ps;
  mfcc_t *cmn0; /* the cepstral mean the decoder starts with, or NULL */
  int frame0;   /* the stream's frame where the last utterance decoded starts */
} ps_state;

/* The decoder's live cepstral-mean estimate, or NULL. */
static cmn_t *ps_cmn(ps_decoder_t *ps) {
  feat_t *f = ps_get_feat(ps);
  return f ? f->cmn_struct : NULL;
}

static const char *const ps_files[] = {"en-us/mdef", "en-us/means", "en-us.lm.bin",
                                       "cmudict-en-us.dict", NULL};

/* sphinxbase logs to stderr by default; the library never prints. The
 * callback is process-wide in sphinxbase and this one is stateless. */
static void ps_quiet(void *ud, err_lvl_t lvl, const char *fmt, ...) {
  (void)ud;
  (void)lvl;
  (void)fmt;
}

static pthread_once_t ps_log_once = PTHREAD_ONCE_INIT;
static void ps_silence_log(void) {
  err_set_logfp(NULL);
  err_set_callback(ps_quiet, NULL);
}

static bool ps_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  for (size_t i = 0; ps_files[i]; i++) {
    char path[512];
    baton__fmt(path, sizeof path, "%s/%s", PS_MODEL_DIR, ps_files[i]);
    if (!baton__file_exists(path)) {
      baton__fmt(why, whylen,
                 "the PocketSphinx US English model is missing (no %s); install "
                 "pocketsphinx-en-us",
                 path);
      return false;
    }
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int ps_exec_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  char why[512];
  if (!ps_available(cfg, why, sizeof why)) {
    baton__fmt(err, errlen, "%s", why);
    return -1;
  }
  pthread_once(&ps_log_once, ps_silence_log);
  ps_state *st = calloc(1, sizeof *st);
  if (!st) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  /* Silence is decoded, not dropped by the voice activity detector: frames then count the
   * recording's time, which subtitles need (with it, word times skipped every pause). The word
   * error rate on Debian's LibriVox clips is the same either way (bench/accuracy.sh: 32.4%). */
  st->config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", PS_MODEL_DIR "/en-us", "-lm",
                           PS_MODEL_DIR "/en-us.lm.bin", "-dict",
                           PS_MODEL_DIR "/cmudict-en-us.dict", "-samprate", "16000",
                           "-remove_silence", "no", NULL);
  if (!st->config) {
    free(st);
    baton__fmt(err, errlen, "PocketSphinx rejected its configuration");
    return -1;
  }
  st->ps = ps_init(st->config);
  if (!st->ps) {
    cmd_ln_free_r(st->config);
    free(st);
    baton__fmt(err, errlen, "PocketSphinx could not load its model from %s", PS_MODEL_DIR);
    return -1;
  }
  cmn_t *cmn = ps_cmn(st->ps);
  if (cmn && cmn->veclen > 0 && (st->cmn0 = calloc((size_t)cmn->veclen, sizeof *st->cmn0)))
    cmn_live_get(cmn, st->cmn0);
  *state = st;
  return 0;
}

static void ps_exec_release(void *state) {
  ps_state *st = state;
  if (!st)
    return;
  ps_free(st->ps);
  cmd_ln_free_r(st->config);
  free(st->cmn0);
  free(st);
}

/* The audio file at path as 16 kHz mono 16-bit samples (*n of them;
 * caller frees), or NULL with env->err set. */
static int16_t *ps_samples(const char *path, size_t *n, baton__exec_env *env) {
  baton__pcm pcm;
  if (baton__pcm_load_input(path, baton__run_max_input(env, PS_DEFAULT_MAX_INPUT), &pcm, env))
    return NULL;
  if (baton__pcm_to_mono(&pcm) != 0 || baton__pcm_resample(&pcm, PS_RATE) != 0) {
    baton__pcm_release(&pcm);
    baton__run_fail(env, "out of memory converting the audio to 16 kHz");
    return NULL;
  }
  int16_t *raw = malloc(pcm.frames * sizeof *raw);
  if (!raw) {
    baton__pcm_release(&pcm);
    baton__run_fail(env, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < pcm.frames; i++) {
    float v = pcm.s[i] * 32767.0f;
    raw[i] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : (int)v);
  }
  *n = pcm.frames;
  baton__pcm_release(&pcm);
  return raw;
}

/* Feeds raw[0..end) to the open utterance a block at a time, checking for
 * cancel and timeout between blocks. 0, or -1 with env->err set. */
static int ps_feed(ps_decoder_t *ps, const int16_t *raw, size_t end, int64_t deadline,
                   baton__exec_env *env) {
  for (size_t off = 0; off < end; off += PS_BLOCK) {
    if (baton__run_must_stop(env, deadline, "speech recognition"))
      return -1;
    size_t len = end - off < PS_BLOCK ? end - off : PS_BLOCK;
    if (ps_process_raw(ps, raw + off, len, FALSE, FALSE) < 0)
      return baton__run_fail(env, "PocketSphinx failed to decode the audio");
  }
  return 0;
}

/* The decoder's frames a second. */
static int ps_frate(const ps_state *st) {
  int32 frate = cmd_ln_int32_r(st->config, "-frate");
  return frate > 0 ? (int)frate : 100;
}

/* Decodes raw[0..n) as one utterance, its hypothesis left in the decoder.
 * 0, or -1 with env->err set. */
static int ps_decode(ps_state *st, const int16_t *raw, size_t n, int64_t deadline,
                     baton__exec_env *env) {
  /* The decoder normalises the cepstrum with a running mean carried over from
   * earlier utterances, and the first words of a recording suffer until it
   * adapts. So the mean is reset to its initial value, and the front end's
   * noise estimate (kept across utterances for a stream) is forgotten: results
   * do not depend on what was decoded before. Then a first pass over the start
   * of the audio (result discarded) adapts both to this recording. */
  if (ps_start_stream(st->ps) < 0)
    return baton__run_fail(env, "PocketSphinx failed to decode the audio");
  cmn_t *cmn = ps_cmn(st->ps);
  if (cmn && st->cmn0)
    cmn_live_set(cmn, st->cmn0);
  size_t prime = n < PS_PRIME ? n : PS_PRIME;
  for (int pass = 0; pass < 2; pass++) {
    if (ps_start_utt(st->ps) < 0)
      return baton__run_fail(env, "PocketSphinx failed to decode the audio");
    int rc = ps_feed(st->ps, raw, pass == 0 ? prime : n, deadline, env);
    ps_end_utt(st->ps);
    /* Times are the stream's: the second pass starts after the frames of the first. */
    st->frame0 = pass == 0 ? (int)(prime * (size_t)ps_frate(st) / PS_RATE) : st->frame0;
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* The words of the decoded utterance with their times (*n of them; caller frees each word and
 * the array), fillers ("<sil>", "[NOISE]", "++BREATH++") left out and a pronunciation variant's
 * mark ("read(2)") cut. NULL when none was heard or out of memory (*n then 0). */
static baton__timed_word *ps_timed_words(ps_state *st, size_t *n) {
  long ms_per_frame = 1000 / ps_frate(st);
  baton__timed_word *w = NULL;
  size_t cap = 0;
  *n = 0;
  for (ps_seg_t *seg = ps_seg_iter(st->ps); seg; seg = ps_seg_next(seg)) {
    const char *word = ps_seg_word(seg);
    if (!word || strchr("<[+", word[0]))
      continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 64;
      baton__timed_word *more = realloc(w, cap * sizeof *w);
      if (!more) {
        ps_seg_free(seg);
        break;
      }
      w = more;
    }
    int sf = 0, ef = 0;
    ps_seg_frames(seg, &sf, &ef);
    const char *variant = strchr(word, '(');
    w[*n] = (baton__timed_word){.word = baton__strndup(word, variant ? (size_t)(variant - word)
                                                                   : strlen(word)),
                                .start_ms = (sf - st->frame0) * ms_per_frame,
                                .end_ms = (ef + 1 - st->frame0) * ms_per_frame};
    if (w[*n].word)
      ++*n;
  }
  return w;
}

/* Writes the decoded utterance's words as subtitles (`format`: "srt" or "vtt") into the run's
 * folder and adds the file to out. 0, or -1 with env->err set. */
static int ps_subtitles(ps_state *st, const char *format, baton__exec_env *env,
                        baton__values *out) {
  if (!baton__run_has_workspace(env, "subtitles"))
    return -1;
  size_t n = 0;
  baton__timed_word *w = ps_timed_words(st, &n);
  char *subs = baton__subs_render(w, n, strcmp(format, "vtt") == 0);
  for (size_t i = 0; i < n; i++)
    free((char *)w[i].word);
  free(w);
  char *path = subs ? baton__run_out_path(env, baton__subs_file_ext(env, format)) : NULL;
  char why[256] = "out of memory";
  int rc = path ? baton__write_file(path, subs, strlen(subs), why, sizeof why) : -1;
  free(subs);
  if (rc != 0) {
    free(path);
    return baton__run_fail(env, "could not write the subtitles: %s", why);
  }
  return baton__values_add_own(out, BATON__OUTPUT_FILE, 0, path) == 0
             ? 0
             : baton__run_fail(env, "out of memory");
}

static int ps_exec_run(void *state, const char *task, const baton__values *in,
                       baton__exec_env *env, baton__values *out) {
  (void)task;
  ps_state *st = state;
  int64_t deadline = baton__run_deadline(env);
  const char *audio = baton__run_arg(in, "audio", BATON__T_AUDIO);
  if (!audio || !*audio)
    return baton__run_fail(env,
                           "automatic-speech-recognition needs an \"audio\" file to transcribe");
  size_t n = 0;
  int16_t *raw = ps_samples(audio, &n, env);
  if (!raw)
    return -1;
  int rc = ps_decode(st, raw, n, deadline, env);
  free(raw);
  if (rc != 0)
    return -1;
  int32 score = 0;
  const char *hyp = ps_get_hyp(st->ps, &score);
  if (!hyp || !*hyp)
    return baton__run_fail(env, "no speech was recognised in %s", baton__input_name(audio));
  char *text = baton__strdup(hyp);
  if (!text || baton__values_add_own(out, "text", BATON__T_TEXT, text) != 0)
    return baton__run_fail(env, "out of memory");
  const char *subs = baton__subs_asked(in, env);
  return subs ? ps_subtitles(st, subs, env, out) : 0;
}

static const char *const ps_tasks[] = {"automatic-speech-recognition", NULL};

const baton__executor baton__executor_pocketsphinx = {
    .name = "pocketsphinx",
    .model_id = "local/pocketsphinx",
    .tasks = ps_tasks,
    .reentrant = false,
    .available = ps_available,
    .init = ps_exec_init,
    .run = ps_exec_run,
    .release = ps_exec_release,
};

#endif /* BATON_HAVE_POCKETSPHINX && BATON_HAVE_SNDFILE */
