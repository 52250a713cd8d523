/* audio_io.c — audio files in and out for the local audio executors: libsndfile decoding, mono mixdown, reversal, resampling, writing WAV, FLAC, Ogg, Opus, MP3 or AIFF. */
#include "executors/audio_io.h"

#if defined(BATON_HAVE_SNDFILE)

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define PCM_CHUNK_FRAMES 16384
#define PCM_MAX_CHANNELS 64
#define RS_ZERO_CROSSINGS 12 /* sinc lobes each side of the kernel centre */
#define RS_TABLE_STEPS 512   /* kernel values per input sample, interpolated between */

void baton__pcm_release(baton__pcm *p) {
  if (!p)
    return;
  free(p->s);
  memset(p, 0, sizeof *p);
}

int baton__pcm_load(const char *path, size_t max_bytes, baton__pcm *out, char *err,
                    size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!baton__run_file_ok(path, max_bytes, "audio file", err, errlen))
    return -1;
  const char *name = baton__input_name(path); /* not the run's copy of it */
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SNDFILE *sf = sf_open(path, SFM_READ, &info);
  if (!sf) {
    baton__fmt(err, errlen, "cannot decode %s as audio: %s", name, sf_strerror(NULL));
    return -1;
  }
  if (info.channels < 1 || info.channels > PCM_MAX_CHANNELS || info.samplerate < 1 ||
      info.samplerate > 384000) {
    sf_close(sf);
    baton__fmt(err, errlen, "%s has an unsupported layout (%d channels at %d Hz)", name,
               info.channels, info.samplerate);
    return -1;
  }
  size_t max_frames = (size_t)(BATON__PCM_MAX_SECONDS * info.samplerate);
  size_t ch = (size_t)info.channels, cap = 0, n = 0;
  float *buf = NULL;
  for (;;) {
    if (n + PCM_CHUNK_FRAMES > cap) {
      size_t ncap = cap ? cap * 2 : PCM_CHUNK_FRAMES * 4;
      float *nb = realloc(buf, ncap * ch * sizeof *buf);
      if (!nb) {
        free(buf);
        sf_close(sf);
        baton__fmt(err, errlen, "out of memory decoding %s", name);
        return -2;
      }
      buf = nb;
      cap = ncap;
    }
    sf_count_t got = sf_readf_float(sf, buf + n * ch, PCM_CHUNK_FRAMES);
    if (got <= 0)
      break;
    n += (size_t)got;
    if (n > max_frames) {
      free(buf);
      sf_close(sf);
      baton__fmt(err, errlen, "%s is longer than %.0f seconds", name, BATON__PCM_MAX_SECONDS);
      return -1;
    }
  }
  int serr = sf_error(sf);
  char msg[256];
  baton__fmt(msg, sizeof msg, "%s", sf_strerror(sf));
  sf_close(sf);
  if (serr != SF_ERR_NO_ERROR && n == 0) {
    free(buf);
    baton__fmt(err, errlen, "cannot decode %s: %s", name, msg);
    return -1;
  }
  if (n == 0) {
    free(buf);
    baton__fmt(err, errlen, "%s holds no audio samples", name);
    return -1;
  }
  out->s = buf;
  out->frames = n;
  out->channels = info.channels;
  out->rate = info.samplerate;
  return 0;
}

int baton__pcm_load_input(const char *path, size_t max_bytes, baton__pcm *out,
                          baton__exec_env *env) {
  int rc = baton__pcm_load(path, max_bytes, out, env->err, sizeof env->err);
  if (rc == -1)
    env->bad_input = true; /* the file's fault, not the model's */
  return rc == 0 ? 0 : -1;
}

void baton__pcm_reverse(baton__pcm *p) {
  size_t ch = (size_t)p->channels;
  for (size_t i = 0, j = p->frames; ch && j-- > i + 1; i++)
    for (size_t c = 0; c < ch; c++) {
      float t = p->s[i * ch + c];
      p->s[i * ch + c] = p->s[j * ch + c], p->s[j * ch + c] = t;
    }
}

int baton__pcm_to_mono(baton__pcm *p) {
  if (p->channels <= 1)
    return 0;
  size_t ch = (size_t)p->channels;
  for (size_t i = 0; i < p->frames; i++) {
    float acc = 0;
    for (size_t c = 0; c < ch; c++)
      acc += p->s[i * ch + c];
    p->s[i] = acc / (float)ch;
  }
  float *shrunk = realloc(p->s, (p->frames ? p->frames : 1) * sizeof *p->s);
  if (shrunk)
    p->s = shrunk;
  p->channels = 1;
  return 0;
}

static double sinc(double x) {
  if (fabs(x) < 1e-9)
    return 1.0;
  return sin(M_PI * x) / (M_PI * x);
}

int baton__pcm_resample(baton__pcm *p, int rate) {
  if (rate < 8 || rate > 384000 || p->rate < 1)
    return -1;
  if (rate == p->rate || p->frames == 0) {
    p->rate = rate;
    return 0;
  }
  double ratio = (double)rate / (double)p->rate;
  size_t nout = (size_t)floor((double)p->frames * ratio);
  if (nout == 0)
    nout = 1;
  /* Cut-off at the lower of the two Nyquist frequencies, relative to the input's. */
  double fc = ratio < 1.0 ? ratio : 1.0;
  double half = RS_ZERO_CROSSINGS / fc; /* kernel half-width in input samples */
  size_t ch = (size_t)p->channels, nk = (size_t)(half * RS_TABLE_STEPS) + 2;
  float *o = calloc(nout * ch, sizeof *o);
  double *acc = calloc(ch, sizeof *acc), *kernel = malloc(nk * sizeof *kernel);
  if (!o || !acc || !kernel) {
    free(o);
    free(acc);
    free(kernel);
    return -1;
  }
  for (size_t i = 0; i < nk; i++) { /* the kernel at distances 0, 1/RS_TABLE_STEPS ... */
    double x = (double)i / RS_TABLE_STEPS, u = x / half;
    double blackman = 0.42 + 0.5 * cos(M_PI * u) + 0.08 * cos(2.0 * M_PI * u);
    kernel[i] = u > 1.0 ? 0.0 : fc * sinc(fc * x) * blackman;
  }
  long last = (long)p->frames - 1;
  for (size_t i = 0; i < nout; i++) {
    double t = (double)i / ratio;
    long lo = (long)ceil(t - half), hi = (long)floor(t + half);
    if (lo < 0)
      lo = 0;
    if (hi > last)
      hi = last;
    memset(acc, 0, ch * sizeof *acc);
    for (long k = lo; k <= hi; k++) {
      double at = fabs(t - (double)k) * RS_TABLE_STEPS, f = at - floor(at);
      size_t j = (size_t)at;
      double h = j + 1 < nk ? kernel[j] + f * (kernel[j + 1] - kernel[j]) : 0.0;
      const float *src = p->s + (size_t)k * ch;
      for (size_t c = 0; c < ch; c++)
        acc[c] += h * src[c];
    }
    for (size_t c = 0; c < ch; c++)
      o[i * ch + c] = (float)acc[c];
  }
  free(acc);
  free(kernel);
  free(p->s);
  p->s = o;
  p->frames = nout;
  p->rate = rate;
  return 0;
}

/* The containers baton writes, by file extension. A rate list (ending in 0)
 * holds the only sample rates the codec takes; NULL takes any. */
static const int mp3_rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 0};
static const int opus_rates[] = {8000, 12000, 16000, 24000, 48000, 0};
static const struct {
  const char *ext;
  int format;
  const int *rates;
} pcm_formats[] = {
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, NULL},
    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, NULL},
    {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, NULL},
    {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, opus_rates},
    {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, mp3_rates},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, NULL},
};

/* Audio formats people ask for that baton__pcm_write does not take: named, they are refused
 * rather than replaced by another format. */
static const char *const pcm_unwritable[] = {"m4a", "m4b", "aac", "alac", "wma", "amr", "ape",
                                             "ac3", "mka", "caf", "mp4", "webm"};

/* Whether the libsndfile found at run time writes format i (one built without an encoder does
 * not: FLAC, Vorbis, Opus and LAME are optional). */
static bool pcm_writable(size_t i) {
  SF_INFO info = {.samplerate = 48000, .channels = 1, .format = pcm_formats[i].format};
  return sf_format_check(&info) != 0;
}

static int pcm_format_index(const char *ext) {
  for (size_t i = 0; i < sizeof pcm_formats / sizeof pcm_formats[0]; i++)
    if (strcmp(pcm_formats[i].ext, ext) == 0)
      return pcm_writable(i) ? (int)i : -1;
  return -1;
}

const char *baton__pcm_format_name(size_t i) {
  for (size_t k = 0; k < sizeof pcm_formats / sizeof pcm_formats[0]; k++)
    if (pcm_writable(k) && i-- == 0)
      return pcm_formats[k].ext;
  return NULL;
}

/* The i-th audio format word baton__pcm_format_named looks for, or NULL past the last. */
static const char *pcm_format_word(size_t i) {
  size_t n = sizeof pcm_formats / sizeof pcm_formats[0];
  if (i < n)
    return pcm_formats[i].ext;
  return i - n < sizeof pcm_unwritable / sizeof pcm_unwritable[0] ? pcm_unwritable[i - n] : NULL;
}

/* The word before p in low ([*b, returned end)), or an empty one at low. */
static const char *word_before(const char *low, const char *p, const char **b) {
  const char *e = p;
  while (e > low && e[-1] == ' ')
    e--;
  for (*b = e; *b > low && isalpha((unsigned char)(*b)[-1]);)
    (*b)--;
  return e;
}

/* Whether the word before p in low (past "a" or "an") asks for a format: "to", "as", "into" or
 * "in" ("convert it to m4a", "save it as a WMA file"; not "like an ape", "from my mp4 camera"). */
static bool asked_as(const char *low, const char *p) {
  static const char *const words[] = {"to", "as", "into", "in", "a", "an"};
  for (int article = 0; article < 2; article++) { /* past one article at most */
    const char *b, *e = word_before(low, p, &b);
    size_t k = 0;
    while (k < sizeof words / sizeof words[0] &&
           !((size_t)(e - b) == strlen(words[k]) && strncmp(b, words[k], (size_t)(e - b)) == 0))
      k++;
    if (k < 4)
      return true;
    if (k == sizeof words / sizeof words[0])
      return false;
    p = b; /* "a" or "an": the word before it */
  }
  return false;
}

const char *baton__pcm_format_named(const char *low) {
  const char *best = NULL, *best_at = NULL;
  size_t writable = sizeof pcm_formats / sizeof pcm_formats[0];
  for (size_t i = 0; pcm_format_word(i); i++) {
    const char *ext = pcm_format_word(i);
    size_t n = strlen(ext);
    for (const char *p = low; (p = strstr(p, ext)); p++)
      if ((p == low || (!isalnum((unsigned char)p[-1]) && p[-1] != '.')) &&
          !isalnum((unsigned char)p[n]) && (!best_at || p > best_at) &&
          (i < writable || asked_as(low, p))) {
        best = ext;
        best_at = p;
      }
  }
  return best;
}

const char *baton__pcm_format_of(const char *ext) {
  int i = ext ? pcm_format_index(ext) : -1;
  return i >= 0 ? pcm_formats[i].ext : NULL;
}

/* ext in capitals ("FLAC") into buf. */
static const char *pcm_upper(const char *ext, char *buf, size_t len) {
  size_t k = 0;
  for (; ext[k] && k + 1 < len; k++)
    buf[k] = (char)toupper((unsigned char)ext[k]);
  buf[k] = '\0';
  return buf;
}

void baton__pcm_refusal(const char *ext, char *err, size_t errlen) {
  char name[17];
  size_t n = 0;
  while (baton__pcm_format_name(n))
    n++;
  baton__fmt(err, errlen, "cannot write audio as %s: the audio formats baton writes are ",
             pcm_upper(ext ? ext : "", name, sizeof name));
  for (size_t i = 0, at; i < n; i++) {
    at = strlen(err);
    baton__fmt(err + at, errlen - at, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " and ",
               pcm_upper(baton__pcm_format_name(i), name, sizeof name));
  }
}

int baton__pcm_format_rate(const char *ext, int rate) {
  int i = pcm_format_index(ext);
  const int *r = i >= 0 ? pcm_formats[i].rates : NULL;
  if (!r)
    return rate;
  while (r[1] && r[0] < rate)
    r++;
  return r[0];
}

int baton__pcm_write(const char *path, const char *ext, const baton__pcm *p, char *err,
                     size_t errlen) {
  int fi = pcm_format_index(ext);
  if (fi < 0 || baton__pcm_format_rate(ext, p->rate) != p->rate) {
    baton__fmt(err, errlen, "cannot write %d Hz audio as %s", p->rate, ext);
    return -1;
  }
  SF_INFO info;
  memset(&info, 0, sizeof info);
  info.samplerate = p->rate;
  info.channels = p->channels;
  info.format = pcm_formats[fi].format;
  SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
  if (!sf) {
    baton__fmt(err, errlen, "cannot write %s (%d channels, %d Hz, %s): %s", path, p->channels,
               p->rate, ext, sf_strerror(NULL));
    return -1;
  }
  sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
  sf_count_t put = p->frames ? sf_writef_float(sf, p->s, (sf_count_t)p->frames) : 0;
  bool bad = put != (sf_count_t)p->frames;
  char msg[256];
  baton__fmt(msg, sizeof msg, "%s", sf_strerror(sf));
  if (sf_close(sf) != 0)
    bad = true;
  if (bad) {
    baton__fmt(err, errlen, "cannot write %s: %s", path, msg);
    remove(path);
    return -1;
  }
  return 0;
}

#endif /* BATON_HAVE_SNDFILE */
