/* espeak.c — the "text-to-speech" executor: libespeak-ng synthesis into a 16-bit mono WAV file (or the format save_as or the instruction asks for, through libsndfile). */
#include "executors/executor.h"

#if defined(BATON_HAVE_ESPEAK)

#include <espeak-ng/espeak_ng.h>
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "executors/run_common.h"
#if defined(BATON_HAVE_SNDFILE)
#include "executors/audio_io.h"
#endif
#include "core/banned.h"

#define ES_DEFAULT_VOICE "en"
#define ES_DEFAULT_MAX_TEXT (1024u * 1024u)
#define ES_MAX_INSTRUCTION 2048
#define ES_PITCH_NORMAL 50
#define ES_MAX_AUDIO_SECONDS 1800u
#define WAV_HEADER_BYTES 44u

/*
 * libespeak-ng keeps its whole state in process globals (data path, voice,
 * rate, the synth callback), and its espeak_ng_Terminate() hangs when called
 * after a second espeak_ng_Initialize(). So the engine is initialised once
 * per process and never terminated (its memory stays reachable through its
 * own globals), and every use of it, from any context, holds es_lock. This is
 * the one piece of process-wide mutable state in the executors: it mirrors
 * the library's own and cannot hang off a context.
 */
static pthread_mutex_t es_lock = PTHREAD_MUTEX_INITIALIZER;
static bool es_ready;   /* guarded by es_lock */
static int es_rate_hz;  /* guarded by es_lock */

typedef struct es_state {
  char *voice;
  int rate_wpm;
} es_state;

/* One synthesis: what the callback fills. Reached through the events'
 * user_data pointer. */
typedef struct es_job {
  baton__sb pcm;               /* starts with room for the WAV header */
  size_t max_bytes;            /* PCM bytes allowed */
  const atomic_int *cancel;
  int64_t deadline_ms;         /* 0: none */
  bool cancelled, too_long, timed_out;
} es_job;

static bool es_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  const char *path = NULL;
  pthread_mutex_lock(&es_lock);
  if (!es_ready)
    espeak_ng_InitializePath(NULL);
  espeak_Info(&path);
  char dir[4096];
  baton__fmt(dir, sizeof dir, "%s", path ? path : "");
  pthread_mutex_unlock(&es_lock);
  char file[4200];
  baton__fmt(file, sizeof file, "%s/phontab", dir);
  struct stat st;
  if (!dir[0] || stat(file, &st) != 0) {
    baton__fmt(why, whylen, "espeak-ng data not found (looked for %s); install espeak-ng-data",
               dir[0] ? file : "espeak-ng-data");
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static void es_status_text(espeak_ng_STATUS s, char *buf, size_t len) {
  char msg[256] = "";
  espeak_ng_GetStatusCodeMessage(s, msg, sizeof msg);
  baton__fmt(buf, len, "%s", msg[0] ? msg : "unknown espeak-ng error");
}

static int es_synth_cb(short *wav, int numsamples, espeak_EVENT *events) {
  es_job *job = events ? events->user_data : NULL;
  if (!job)
    return 1;
  if (job->cancel && atomic_load(job->cancel)) {
    job->cancelled = true;
    return 1;
  }
  if (job->deadline_ms && baton__now_ms() > job->deadline_ms) {
    job->timed_out = true;
    return 1;
  }
  if (wav && numsamples > 0) {
    size_t bytes = (size_t)numsamples * 2u;
    if (job->pcm.len - WAV_HEADER_BYTES + bytes > job->max_bytes) {
      job->too_long = true;
      return 1;
    }
    /* Samples are host-endian shorts; WAV wants little-endian. */
    for (int i = 0; i < numsamples; i++) {
      uint16_t v = (uint16_t)wav[i];
      char le[2] = {(char)(v & 0xff), (char)(v >> 8)};
      baton__sb_add(&job->pcm, le, 2);
    }
    if (!baton__sb_ok(&job->pcm))
      return 1;
  }
  return 0;
}

static int es_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  es_state *st = calloc(1, sizeof *st);
  if (!st) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  st->voice = baton__strdup(cfg && cfg->tts_voice && *cfg->tts_voice ? cfg->tts_voice
                                                                      : ES_DEFAULT_VOICE);
  int rate = cfg && cfg->tts_rate > 0 ? cfg->tts_rate : espeakRATE_NORMAL;
  if (rate < espeakRATE_MINIMUM)
    rate = espeakRATE_MINIMUM;
  if (rate > espeakRATE_MAXIMUM)
    rate = espeakRATE_MAXIMUM;
  st->rate_wpm = rate;
  if (!st->voice) {
    free(st);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }

  int rc = 0;
  pthread_mutex_lock(&es_lock);
  if (!es_ready) {
    espeak_ng_InitializePath(NULL);
    espeak_ng_ERROR_CONTEXT ectx = NULL;
    espeak_ng_STATUS s = espeak_ng_Initialize(&ectx);
    espeak_ng_ClearErrorContext(&ectx);
    if (s == ENS_OK)
      s = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
    if (s != ENS_OK) {
      char msg[256];
      es_status_text(s, msg, sizeof msg);
      baton__fmt(err, errlen, "espeak-ng failed to initialise: %s", msg);
      rc = -1;
    } else {
      es_rate_hz = espeak_ng_GetSampleRate();
      es_ready = true;
    }
  }
  if (rc == 0) {
    espeak_ng_STATUS s = espeak_ng_SetVoiceByName(st->voice);
    if (s != ENS_OK) {
      baton__fmt(err, errlen, "espeak-ng voice '%s' not found (set tts_voice, e.g. \"en\")",
                 st->voice);
      rc = -1;
    }
  }
  pthread_mutex_unlock(&es_lock);
  if (rc != 0) {
    free(st->voice);
    free(st);
    return -1;
  }
  *state = st;
  return 0;
}

static void es_release(void *state) {
  es_state *st = state;
  if (!st)
    return;
  free(st->voice);
  free(st);
}

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)((v >> 8) & 0xff);
  p[2] = (unsigned char)((v >> 16) & 0xff);
  p[3] = (unsigned char)((v >> 24) & 0xff);
}

static void put_le16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)((v >> 8) & 0xff);
}

/* Fills the 44-byte canonical PCM header for 16-bit mono audio. */
static void wav_header(unsigned char *h, uint32_t rate, uint32_t data_bytes) {
  memcpy(h, "RIFF", 4);
  put_le32(h + 4, 36u + data_bytes);
  memcpy(h + 8, "WAVE", 4);
  memcpy(h + 12, "fmt ", 4);
  put_le32(h + 16, 16);        /* fmt chunk size */
  put_le16(h + 20, 1);         /* PCM */
  put_le16(h + 22, 1);         /* mono */
  put_le32(h + 24, rate);
  put_le32(h + 28, rate * 2u); /* byte rate */
  put_le16(h + 32, 2);         /* block align */
  put_le16(h + 34, 16);        /* bits per sample */
  memcpy(h + 36, "data", 4);
  put_le32(h + 40, data_bytes);
}

static bool only_space(const char *s) {
  for (; *s; s++) {
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' && *s != '\v')
      return false;
  }
  return true;
}

/* How the request asks the text to be spoken ("read it slowly in a female voice"). */
typedef struct es_style {
  double rate;         /* times the configured rate */
  int pitch;           /* espeak-ng's 0-100, 50 normal */
  const char *variant; /* a voice variant ("f3", "whisper"), or NULL */
} es_style;

/* Where a style word counts: anywhere ("slowly"), only before a word about the voice ("deep
 * voice", not "deep learning"), or there and also at the end of a phrase ("read it fast", not
 * "the fast food menu"). */
typedef enum { ES_ANYWHERE, ES_BEFORE_VOICE, ES_PHRASE_END } es_where;

/* The words of an instruction that set the style, as word starts, each with where it counts
 * and what it sets (a rate of 0, a pitch of 0, a NULL variant: left as it is). The first match
 * of a kind wins. */
static const struct {
  const char *const words[8];
  es_where where;
  double rate;
  int pitch;
  const char *variant;
} es_styles[] = {
    {{"slowly", NULL}, ES_ANYWHERE, 0.7, 0, NULL},
    {{"slow", "slower", NULL}, ES_PHRASE_END, 0.7, 0, NULL},
    {{"quickly", NULL}, ES_ANYWHERE, 1.35, 0, NULL},
    {{"fast", "faster", "quick", NULL}, ES_PHRASE_END, 1.35, 0, NULL},
    {{"whisper", NULL}, ES_ANYWHERE, 0, 0, "whisper"},
    {{"female", NULL}, ES_PHRASE_END, 0, 0, "f3"},
    {{"woman", "women", "girl", NULL}, ES_BEFORE_VOICE, 0, 0, "f3"},
    {{"male", NULL}, ES_PHRASE_END, 0, 0, "m3"},
    {{"man's", "deep", NULL}, ES_BEFORE_VOICE, 0, 0, "m3"},
    {{"high-pitched", "high pitch", NULL}, ES_ANYWHERE, 0, 75, NULL},
    {{"higher", NULL}, ES_PHRASE_END, 0, 75, NULL},
    {{"low-pitched", "low pitch", NULL}, ES_ANYWHERE, 0, 25, NULL},
    {{"lower", NULL}, ES_PHRASE_END, 0, 25, NULL},
};

/* Words about the voice a style word may stand before, and words that end a phrase as its end
 * does. */
static const char *const es_voice_words[] = {"voice", "pace", "speed", "tempo", "rate", "pitch",
                                             "tone", "speaker", "narrator", "accent", NULL};
static const char *const es_phrase_ends[] = {"please", "and", "but", "in", "with", "like", NULL};

/* Whether the words at p start with one of words (whole words, or word starts when not). */
static bool es_next_is(const char *p, const char *const *words, bool whole) {
  for (size_t i = 0; words[i]; i++) {
    size_t n = strlen(words[i]);
    if (strncmp(p, words[i], n) == 0 && (!whole || !isalnum((unsigned char)p[n])))
      return true;
  }
  return false;
}

/* Whether word start w stands in low where it counts. */
static bool es_style_word(const char *low, const char *w, es_where where) {
  size_t n = strlen(w);
  for (const char *p = low; (p = strstr(p, w)); p++) {
    if (p > low && isalnum((unsigned char)p[-1]))
      continue;
    if (where == ES_ANYWHERE)
      return true;
    const char *e = p + n;
    while (isalpha((unsigned char)*e) || *e == '\'')
      e++;
    const char *next = e + strspn(e, " ,.;:!?-");
    bool phrase_end = !*next || strchr(",.;:!?", e[strspn(e, " ")]) ||
                      es_next_is(next, es_phrase_ends, true);
    if (es_next_is(next, es_voice_words, false) || (where == ES_PHRASE_END && phrase_end))
      return true;
  }
  return false;
}

/* The "instruction" lower-cased into low[ES_MAX_INSTRUCTION + 1], each quote blanked: quoted words
 * are what to say, not how. */
static void es_instruction(const baton__values *in, char *low) {
  const baton__value *iv = baton__values_get(in, "instruction");
  baton__run_lower(iv && iv->data ? iv->data : "", low, ES_MAX_INSTRUCTION + 1);
  for (char *q = low, *e; (q = strpbrk(q, "'\"")); q = e + 1) { /* blank each quote */
    e = (q == low || !isalpha((unsigned char)q[-1])) ? strchr(q + 1, *q) : NULL;
    if (!e)
      e = q; /* an apostrophe ("man's"), or a quote left open */
    else
      memset(q, ' ', (size_t)(e - q + 1));
  }
}

/* The style the "instruction" asks for. */
static es_style es_style_of(const baton__values *in) {
  char low[ES_MAX_INSTRUCTION + 1];
  es_instruction(in, low);
  es_style st = {1.0, ES_PITCH_NORMAL, NULL};
  bool rate = false, pitch = false;
  for (size_t i = 0; i < sizeof es_styles / sizeof es_styles[0]; i++) {
    bool found = false;
    for (size_t w = 0; es_styles[i].words[w] && !found; w++)
      found = es_style_word(low, es_styles[i].words[w], es_styles[i].where);
    if (!found)
      continue;
    if (es_styles[i].rate > 0 && !rate)
      st.rate = es_styles[i].rate, rate = true;
    if (es_styles[i].pitch > 0 && !pitch)
      st.pitch = es_styles[i].pitch, pitch = true;
    if (es_styles[i].variant && !st.variant)
      st.variant = es_styles[i].variant;
  }
  return st;
}

/* Sets the voice for a "lang" parameter (the runtime passes a translation's
 * target language along) when espeak-ng has one, else the configured voice,
 * and the rate. Needs es_lock held. */
static espeak_ng_STATUS es_voice(const es_state *st, const baton__values *in) {
  const baton__value *lv = baton__values_get(in, "lang");
  es_style style = es_style_of(in);
  const char *base = lv && lv->data && strlen(lv->data) < 16 &&
                             strspn(lv->data, "abcdefghijklmnopqrstuvwxyz-") == strlen(lv->data)
                         ? lv->data : NULL;
  espeak_ng_STATUS s = ENS_VOICE_NOT_FOUND;
  char name[96];
  for (int i = 0; i < 4 && s != ENS_OK; i++) { /* lang+variant, lang, voice+variant, voice */
    const char *v = i < 2 ? base : st->voice, *var = i % 2 ? NULL : style.variant;
    if (!v || (i % 2 == 0 && !var))
      continue;
    baton__fmt(name, sizeof name, "%.40s%s%s", v, var ? "+" : "", var ? var : "");
    s = espeak_ng_SetVoiceByName(name);
  }
  int rate = (int)(st->rate_wpm * style.rate);
  rate = rate < espeakRATE_MINIMUM ? espeakRATE_MINIMUM
         : rate > espeakRATE_MAXIMUM ? espeakRATE_MAXIMUM : rate;
  if (s == ENS_OK)
    s = espeak_ng_SetParameter(espeakRATE, rate, 0);
  if (s == ENS_OK) /* the library keeps it: set it every time */
    s = espeak_ng_SetParameter(espeakPITCH, style.pitch, 0);
  return s;
}

/* Speaks text[0..tlen) into job->pcm (after room for the WAV header),
 * holding es_lock. Writes the sample rate into *rate_hz; espeak-ng's
 * status, with job's flags saying why it stopped early. */
static espeak_ng_STATUS es_synthesize(const es_state *st, const baton__values *in,
                                      const char *text, size_t tlen, es_job *job, int *rate_hz) {
  unsigned char zero[WAV_HEADER_BYTES] = {0};
  baton__sb_add(&job->pcm, zero, sizeof zero);
  pthread_mutex_lock(&es_lock);
  *rate_hz = es_rate_hz;
  job->max_bytes = (size_t)(*rate_hz > 0 ? *rate_hz : 22050) * 2u * ES_MAX_AUDIO_SECONDS;
  espeak_SetSynthCallback(es_synth_cb);
  espeak_ng_STATUS s = es_voice(st, in);
  if (s == ENS_OK)
    s = espeak_ng_Synthesize(text, tlen + 1, 0, POS_CHARACTER, 0,
                             espeakCHARS_UTF8 | espeakENDPAUSE, NULL, job);
  pthread_mutex_unlock(&es_lock);
  return s;
}

/* 0 when the synthesis produced audio; else -1 with env->err saying why. */
static int es_outcome(const es_job *job, espeak_ng_STATUS s, baton__exec_env *env) {
  bool cancelled = job->cancelled || baton__exec_cancelled(env);
  if (cancelled || job->timed_out)
    return baton__run_fail_stopped(env, cancelled, "speech synthesis");
  if (job->too_long)
    return baton__run_fail(env, "speech would be longer than %u seconds", ES_MAX_AUDIO_SECONDS);
  if (!baton__sb_ok(&job->pcm))
    return baton__run_fail(env, "out of memory");
  if (s != ENS_OK) {
    char msg[256];
    es_status_text(s, msg, sizeof msg);
    return baton__run_fail(env, "espeak-ng failed: %s", msg);
  }
  if (job->pcm.len <= WAV_HEADER_BYTES)
    return baton__run_fail(env, "espeak-ng produced no audio for this text");
  return 0;
}

#if defined(BATON_HAVE_SNDFILE)
/* Writes the job's samples as `ext` ("flac" of save_as "answer.flac") through libsndfile, resampled
 * where the format takes a few rates only (MP3, Opus). Its path (caller frees), or NULL with
 * env->err set. */
static char *es_save_as(const es_job *job, int rate_hz, const char *ext, baton__exec_env *env) {
  size_t n = (job->pcm.len - WAV_HEADER_BYTES) / 2;
  const unsigned char *le = (const unsigned char *)job->pcm.buf + WAV_HEADER_BYTES;
  baton__pcm pcm = {.s = malloc(n * sizeof(float)), .frames = n, .channels = 1, .rate = rate_hz};
  for (size_t i = 0; pcm.s && i < n; i++)
    pcm.s[i] = (float)(int16_t)(uint16_t)(le[2 * i] | le[2 * i + 1] << 8) / 32768.0f;
  int rate = baton__pcm_format_rate(ext, rate_hz);
  char *path = NULL;
  if (!pcm.s || (rate != rate_hz && baton__pcm_resample(&pcm, rate) != 0))
    baton__run_fail(env, "out of memory");
  else if ((path = baton__run_out_path(env, ext)) &&
           baton__pcm_write(path, ext, &pcm, env->err, sizeof env->err) != 0) {
    free(path);
    path = NULL;
  }
  baton__pcm_release(&pcm);
  return path;
}
#endif

/* Writes the job's audio as the run's WAV, or the format save_as asks for, else the instruction
 * ("turn notes.txt into an mp3"); a format it cannot write ("m4a") is refused as bad input. Its
 * absolute path (caller frees), or NULL with env->err set. */
static char *es_save(es_job *job, int rate_hz, const baton__values *in, baton__exec_env *env) {
#if defined(BATON_HAVE_SNDFILE)
  char low[ES_MAX_INSTRUCTION + 1];
  es_instruction(in, low);
  const char *asked = env->file_format && *env->file_format ? env->file_format
                                                             : baton__pcm_format_named(low);
  const char *ext = baton__pcm_format_of(asked);
  if (asked && !ext) { /* "as m4a": refused, never WAV under another name */
    char why[300];
    baton__pcm_refusal(asked, why, sizeof why);
    baton__run_bad_input(env, "%s", why);
    return NULL;
  }
  if (ext && strcmp(ext, "wav") != 0)
    return baton__path_absolute(es_save_as(job, rate_hz, ext, env));
#else
  (void)in;
#endif
  size_t data_bytes = job->pcm.len - WAV_HEADER_BYTES;
  wav_header((unsigned char *)job->pcm.buf, (uint32_t)rate_hz, (uint32_t)data_bytes);
  char *path = baton__run_out_path(env, "wav");
  char werr[400];
  if (path && baton__write_file(path, job->pcm.buf, job->pcm.len, werr, sizeof werr) != 0) {
    free(path);
    path = NULL;
    baton__run_fail(env, "%s", werr);
  }
  return baton__path_absolute(path); /* outputs name files by absolute path */
}

static int es_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)task;
  es_state *st = state;
  const char *text = baton__run_arg(in, "text", BATON__T_TEXT);
  if (!text || only_space(text))
    return baton__run_bad_input(env, "text-to-speech needs non-empty \"text\" to speak");
  size_t tlen = 0;
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, ES_DEFAULT_MAX_TEXT), "speak",
                            &tlen) ||
      !baton__run_has_workspace(env, "audio") || baton__run_must_stop(env, 0, "speech synthesis"))
    return -1;
  es_job job;
  memset(&job, 0, sizeof job);
  baton__sb_init(&job.pcm);
  job.cancel = env->cancel;
  job.deadline_ms = baton__run_deadline(env);
  int rate_hz = 0;
  espeak_ng_STATUS s = es_synthesize(st, in, text, tlen, &job, &rate_hz);
  char *path = es_outcome(&job, s, env) == 0 ? es_save(&job, rate_hz, in, env) : NULL;
  baton__sb_release(&job.pcm);
  if (!path)
    return -1;
  if (baton__values_add_own(out, "audio", BATON__T_AUDIO, path) != 0)
    return baton__run_fail(env, "out of memory");
  return 0;
}

static const char *const es_tasks[] = {"text-to-speech", NULL};

const baton__executor baton__executor_espeak = {
    .name = "espeak-ng",
    .model_id = "local/espeak-ng",
    .tasks = es_tasks,
    .reentrant = false,
    .available = es_available,
    .init = es_init,
    .run = es_run,
    .release = es_release,
};

#endif /* BATON_HAVE_ESPEAK */
