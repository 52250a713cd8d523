/* audio_info.c — a recording's facts from its header (libsndfile): length, format, rate, channels, size. */
#include "executors/audio_info.h"

#if defined(BATON_HAVE_SNDFILE)

#include <cjson/cJSON.h>
#include <sndfile.h>
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

static char *facts_json(const SF_INFO *in, double seconds, const char *major, const char *sub,
                        long long bytes) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "seconds", seconds);
  cJSON_AddNumberToObject(j, "frames", (double)in->frames);
  cJSON_AddNumberToObject(j, "sample_rate", in->samplerate);
  cJSON_AddNumberToObject(j, "channels", in->channels);
  cJSON_AddStringToObject(j, "format", major);
  cJSON_AddStringToObject(j, "encoding", sub);
  cJSON_AddNumberToObject(j, "bytes", (double)bytes);
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
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
  sf_close(sf);
  if (info.samplerate < 1 || info.channels < 1)
    return baton__fmt(err, errlen, "%s says it has %d channels at %d Hz: no recording", name,
                      info.channels, info.samplerate), -1;
  double seconds = (double)info.frames / info.samplerate;
  if (info.frames < 0 || info.frames == SF_COUNT_MAX || seconds > 1e9) /* (a cut stream) */
    return baton__fmt(err, errlen, "%s does not say how long it is (%lld frames at %d Hz)", name,
                      (long long)info.frames, info.samplerate), -1;
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
  *json = facts_json(&info, seconds, major, sub, (long long)st.st_size);
  return baton__run_facts_answer(&sb, text, json, err, errlen);
}

#endif /* BATON_HAVE_SNDFILE */
