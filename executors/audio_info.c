/* audio_info.c — a recording's facts (libsndfile): length, format, rate, channels, size from its header; peak and RMS level from its samples. */
#include "executors/audio_info.h"

#if defined(BATON_HAVE_SNDFILE)

#include <cjson/cJSON.h>
#include <math.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

/* The name libsndfile gives a format (SFC_GET_FORMAT_INFO), or "?". */
static const char *format_name(int format, int which) {
  SF_FORMAT_INFO fi = {.format = format & which};
  return sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name ? fi.name : "?";
}

/* "0:12", "1:02:03": seconds as a clock. */
static void clock_of(double s, char *out, size_t cap) {
  long t = (long)(s + 0.5);
  if (t >= 3600)
    baton__fmt(out, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    baton__fmt(out, cap, "%ld:%02ld", t / 60, t % 60);
}

/* The samples read for the levels: in blocks of AI_BLOCK, at most AI_MAX_SAMPLES (about ten
 * minutes of 48 kHz stereo; a longer recording is measured over its start, and says so). */
#define AI_BLOCK 16384
#define AI_MAX_SAMPLES ((sf_count_t)600 * 48000 * 2)

typedef struct {
  double peak, squares; /* the largest magnitude (full scale 1.0); the sum of squares */
  sf_count_t frames;    /* frames read */
  sf_count_t counted;   /* samples read that are numbers (finite) */
  bool capped;          /* AI_MAX_SAMPLES read, more left */
  bool cut;             /* the read stopped before the frames the header promises (a cut file) */
} ai_levels;

/* Reads sf's samples (`channels` a frame, `promised` frames in its header) block by block, never
 * the whole recording at once, up to AI_MAX_SAMPLES (lv->capped when more are left; lv->cut when
 * the read stops before the promised frames or the cap), into *lv; samples that are no number (a
 * broken float file) are passed over, not counted. 0, or -1 out of memory. */
static int measure(SNDFILE *sf, int channels, sf_count_t promised, ai_levels *lv) {
  sf_count_t block = AI_BLOCK / channels > 0 ? AI_BLOCK / channels : 1;
  sf_count_t cap = AI_MAX_SAMPLES / channels, got;
  float *buf = malloc((size_t)(block * channels) * sizeof *buf);
  *lv = (ai_levels){0};
  if (!buf)
    return -1;
  sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
  while (lv->frames < cap &&
         (got = sf_readf_float(sf, buf, cap - lv->frames < block ? cap - lv->frames : block)) > 0) {
    for (sf_count_t i = 0; i < got * channels; i++) {
      double v = fabs((double)buf[i]);
      if (isfinite(v))
        lv->peak = v > lv->peak ? v : lv->peak, lv->squares += v * v, lv->counted++;
    }
    lv->frames += got;
  }
  lv->capped = lv->frames >= cap && sf_readf_float(sf, buf, 1) > 0;
  lv->cut = lv->frames < (promised < cap ? promised : cap);
  free(buf);
  return 0;
}

/* A level in dBFS to a hundredth, or NULL (silence: no finite level) in the JSON. */
static void add_level(cJSON *j, const char *key, double level, bool silent) {
  if (silent)
    cJSON_AddNullToObject(j, key);
  else
    cJSON_AddNumberToObject(j, key, round(level * 100) / 100);
}

static char *facts_json(const SF_INFO *in, double seconds, const char *major, const char *sub,
                        long long bytes, const double db[2], double measured) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "seconds", seconds);
  cJSON_AddNumberToObject(j, "frames", (double)in->frames);
  cJSON_AddNumberToObject(j, "sample_rate", in->samplerate);
  cJSON_AddNumberToObject(j, "channels", in->channels);
  cJSON_AddStringToObject(j, "format", major);
  cJSON_AddStringToObject(j, "encoding", sub);
  cJSON_AddNumberToObject(j, "bytes", (double)bytes);
  add_level(j, "peak_dbfs", db[0], !isfinite(db[0]));
  add_level(j, "rms_dbfs", db[1], !isfinite(db[0]));
  cJSON_AddNumberToObject(j, "level_seconds", measured);
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

/* " Its peak level is -6.0 dBFS and its RMS level -9.0 dBFS.", " It is silent."; "Over its first
 * 10:53, its peak level ...", " Its first 10:53 is silent." when only that much was read (capped
 * or cut); " Its level cannot be read." when no sample read was a number. */
static void say_levels(baton__sb *sb, const double db[2], const ai_levels *lv, int rate) {
  char clock[32];
  double measured = (double)lv->frames / rate;
  bool part = lv->capped || lv->cut;
  clock_of(measured, clock, sizeof clock);
  if (!lv->counted && (lv->frames > 0 || lv->cut))
    baton__sb_addf(sb, " Its level cannot be read (%s).",
                   lv->frames > 0 ? "its samples are no numbers" : "its samples cannot be read");
  else if (!isfinite(db[0]) && part)
    baton__sb_addf(sb, " Its first %s is silent.", clock);
  else if (!isfinite(db[0]))
    baton__sb_addf(sb, " It is silent.");
  else if (part)
    baton__sb_addf(sb, " Over its first %s, its peak level is %.1f dBFS and its RMS level %.1f "
                   "dBFS.", clock, db[0], db[1]);
  else
    baton__sb_addf(sb, " Its peak level is %.1f dBFS and its RMS level %.1f dBFS.", db[0], db[1]);
}

int baton__audio_info(const char *path, const char *name, char **text, char **json, char *err,
                      size_t errlen) {
  *text = *json = NULL;
  struct stat st;
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SNDFILE *sf = stat(path, &st) == 0 ? sf_open(path, SFM_READ, &info) : NULL;
  if (!sf)
    return baton__fmt(err, errlen, "cannot read %s as a recording: %s", name,
                      sf_strerror(NULL)), -1;
  double seconds = info.samplerate > 0 ? (double)info.frames / info.samplerate : 0;
  if (info.samplerate < 1 || info.channels < 1)
    return sf_close(sf), baton__fmt(err, errlen, "%s says it has %d channels at %d Hz: no "
                                    "recording", name, info.channels, info.samplerate), -1;
  if (info.frames < 0 || info.frames == SF_COUNT_MAX || seconds > 1e9) /* (a cut stream) */
    return sf_close(sf), baton__fmt(err, errlen, "%s does not say how long it is (%lld frames at "
                                    "%d Hz)", name, (long long)info.frames, info.samplerate), -1;
  ai_levels lv;
  int rc = measure(sf, info.channels, info.frames, &lv);
  sf_close(sf);
  if (rc != 0)
    return baton__fmt(err, errlen, "out of memory"), -2;
  /* dBFS of the peak and of the root mean square; no level at all (-inf) for silence */
  double n = (double)lv.counted, measured = (double)lv.frames / info.samplerate;
  double db[2] = {lv.peak > 0 ? 20 * log10(lv.peak) : -INFINITY,
                  lv.peak > 0 ? 10 * log10(lv.squares / n) : -INFINITY};
  const char *major = format_name(info.format, SF_FORMAT_TYPEMASK);
  const char *sub = format_name(info.format, SF_FORMAT_SUBMASK);
  char clock[32];
  clock_of(seconds, clock, sizeof clock);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%s lasts %.1f seconds (%s): %s, %s, %d Hz, %d channel%s%s, %lld bytes.",
                 name, seconds, clock, major, sub, info.samplerate, info.channels,
                 info.channels == 1 ? "" : "s",
                 info.channels == 1 ? " (mono)" : info.channels == 2 ? " (stereo)" : "",
                 (long long)st.st_size);
  say_levels(&sb, db, &lv, info.samplerate);
  *json = facts_json(&info, seconds, major, sub, (long long)st.st_size, db, measured);
  return baton__run_facts_answer(&sb, text, json, err, errlen) == 0 ? 0 : -2;
}

#endif /* BATON_HAVE_SNDFILE */
