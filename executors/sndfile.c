/* sndfile.c — the "audio-to-audio" executor: join recordings, keep or cut out a part, trim silence, mix to mono, reduce noise, change the speed or the pitch, add an echo, fade in or out, reverse, loop, resample, normalise, make louder or quieter and convert recordings with libsndfile, writing WAV unless asked for FLAC, Ogg, Opus, MP3 or AIFF and refusing a format it cannot write. */
#include "executors/executor.h"

#if defined(BATON_HAVE_SNDFILE)

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/audio_cut.h"
#include "executors/audio_denoise.h"
#include "executors/audio_echo.h"
#include "executors/audio_loop.h"
#include "executors/audio_fade.h"
#include "executors/audio_info.h"
#include "executors/audio_io.h"
#include "executors/audio_join.h"
#include "executors/audio_pitch.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define SF_DEFAULT_MAX_INPUT (256u * 1024u * 1024u)
#define SF_MAX_INSTRUCTION 2048
#define SF_PEAK_TARGET 0.891   /* -1 dBFS */
#define SF_SILENCE 0.01        /* -40 dBFS */
#define SF_TRIM_MARGIN_S 0.05  /* kept around the sound */
#define SF_DEFAULT_RATE 16000
#define SF_GAIN_STEP_DB 6.0    /* "louder", "quieter" with no number */
#define SF_MAX_GAIN_DB 60.0    /* a larger change asked for is refused */
#define SF_BACKGROUND_DB 15.0  /* a background recording's level under the loudest other */
#define SF_DEFAULT_GAP_S 1.0   /* "with a pause between them": no length said */

#define SF_CAN_DO                                                                           \
  "normalise (the default), trim silence, reduce noise (\"remove the background noise\", "  \
  "\"the hiss\", \"the hum\"), resample (\"resample to 16 kHz\", \"to 44100 Hz\"), "        \
  "convert to mono, speed up / slow down at the same pitch (\"1.5x\", \"20% slower\"), "    \
  "raise or lower the pitch at the same speed (\"3 semitones up\", \"an octave lower\"), "  \
  "join recordings one after another or mix them (\"combine a.wav and b.wav\", \"mix "      \
  "voice.wav with music.wav as background music\", \"put music.wav under talk.wav\": the " \
  "background 15 dB under the voice), "                                                     \
  "convert to FLAC, Ogg, Opus, MP3 or AIFF (WAV otherwise), "                               \
  "keep or cut out a part (\"the first 10 seconds\", \"from 1:00 to 1:30\", \"the second "  \
  "half\"), make it louder or quieter (\"6 dB quieter\"), add an echo, fade in or out, "    \
  "reverse (play backwards), loop (\"3 times\")"

enum {
  SF_TRIM = 1,
  SF_MONO = 2,
  SF_RESAMPLE = 4,
  SF_NORMALISE = 8,
  SF_CONVERT = 16,
  SF_TEMPO = 32,
  SF_CUT = 64,
  SF_DENOISE = 128,
  SF_GAIN = 256,
  SF_PITCH = 512,
  SF_ECHO = 1024,
  SF_FADE = 2048,
  SF_REVERSE = 4096,
  SF_LOOP = 8192,
};

/* A sample rate named in the text: "16000", "16 kHz", "44.1khz", "22050 hz". 0 if none. */
static int find_rate(const char *low) {
  double v;
  for (const char *p = low, *end; baton__run_next_number(low, &p, &v, &end);) {
    if (strncmp(end, "khz", 3) == 0 || strncmp(end, "k ", 2) == 0 || strcmp(end, "k") == 0)
      v *= 1000.0;
    if (v >= 8000 && v <= 384000)
      return (int)(v + 0.5);
  }
  return 0;
}

static const char *const sf_faster[] = {"speed up", "speed it up", "sped up", "faster", "quicker",
                                        NULL};
static const char *const sf_slower[] = {"slow", NULL}; /* slow down, slower, slowed */
static const char *const sf_double[] = {"twice as fast", "double speed", "double the speed", NULL};
static const char *const sf_speed[] = {"speed", "tempo", "play", NULL}; /* with a factor */
static const char *const sf_half[] = {"half speed", "half the speed", "half as fast", NULL};
static const char *const sf_by_half[] = {"by half", "by a half", NULL}; /* "slow it down by half" */

/* The speed asked for: a factor ("1.5x", "2 times"; in a loop "3 times" is its count, "3x" too when
 * x_counted: "play it 3 times in a row"), a percentage ("20% faster"), "half speed" ("slow it down
 * by half"), "twice as fast", or no number: "speed up" 1.5, "slow down" 0.75. 0 when none is
 * asked for. */
static double find_speed(const char *low, bool looped, bool x_counted) {
  bool up = baton__run_any_word(low, sf_faster, false) || baton__run_verb_apart(low, "speed", "up");
  bool down = baton__run_any_word(low, sf_slower, false);
  if (baton__run_any_word(low, sf_half, false) ||
      (down && !up && baton__run_any_word(low, sf_by_half, false)))
    return 0.5;
  if (baton__run_any_word(low, sf_double, false))
    return 2.0;
  if (!up && !down && !baton__run_any_word(low, sf_speed, false))
    return 0; /* a factor then: "play it at 2x", "playback speed 0.8x", "tempo 1.2x" */
  double v;
  for (const char *p = low, *end; baton__run_next_number(low, &p, &v, &end);) {
    if (*end == '%' && (up || down))
      return up ? 1.0 + v / 100.0 : 1.0 - v / 100.0;
    if ((!x_counted && *end == 'x' && !isalnum((unsigned char)end[1])) ||
        (!looped && strncmp(end, "times", 5) == 0))
      return down && v > 1.0 ? 1.0 / v : v; /* "slow it down 2x" */
  }
  return up ? 1.5 : down ? 0.75 : 0;
}

static const char *const sf_quieter[] = {
    "quieter", "softer", "turn down", "turn it down", "lower the volume", "reduce the volume",
    "decrease the volume", "volume down", "attenuat", NULL};
static const char *const sf_louder[] = {"louder", "turn up", "turn it up", "raise the volume",
                                        "increase the volume", "volume up", "boost", "amplif",
                                        NULL};

/* Beside a number of dB, words that make it a cut ("down by 10 dB", "reduce the gain by 6 dB"). */
static const char *const sf_cut_words[] = {"down", "lower", "reduc", "decreas", "cut", NULL};

/* The change of volume asked for, in dB: "3 dB quieter", "down by 10 dB", "-6 dB", "louder"
 * (SF_GAIN_STEP_DB, and *step set: no amount named). 0 when none is asked for. */
static double find_gain(const char *low, bool *step) {
  bool down = baton__run_any_word(low, sf_quieter, false) ||
              baton__run_verb_apart(low, "turn", "down");
  bool up = !down && (baton__run_any_word(low, sf_louder, false) ||
                      baton__run_verb_apart(low, "turn", "up"));
  double v;
  *step = false;
  for (const char *p = low, *end; baton__run_next_number(low, &p, &v, &end);) {
    if (strncmp(end, "db", 2) == 0 && !isalnum((unsigned char)end[2]))
      return down || (!up && (baton__run_minus_before(low, p) ||
                              baton__run_any_word(low, sf_cut_words, false))) ? -v : v;
  }
  *step = up || down;
  return up ? SF_GAIN_STEP_DB : down ? -SF_GAIN_STEP_DB : 0;
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

/* The words (at a word start in the lower-cased instruction) that ask for
 * each operation. A sample rate named anywhere asks for SF_RESAMPLE too. */
static const struct {
  unsigned op;
  const char *const words[20];
} sf_cues[] = {
    {SF_TRIM, {"trim", "silence", "silent", "strip", NULL}},
    {SF_MONO, {"mono", "downmix", "single channel", "one channel", NULL}},
    {SF_RESAMPLE, {"resampl", "sample rate", "samplerate", "sampling rate", NULL}},
    {SF_NORMALISE, {"normali", "loudness", "volume", "level", NULL}},
    {SF_ECHO, {"echo", NULL}},
    {SF_REVERSE, {"revers", "backward", NULL}},
    {SF_DENOISE,
     {"denois", "de-nois", "noise", "noisy", "hiss", "humm", "buzz", "rumbl", "crackl", "static",
      "clean", "clear", "enhanc", "improve", "clarity", "polish", NULL}},
};
static const char *const sf_hum[] = {"hum", "hums", NULL}; /* whole words: not "human" */
static const char *const sf_hiss[] = {"hiss", NULL};

/* The next file name in s ("noise.wav", "/tmp/hiss_2.flac": a word that ends in a
 * dot and an extension of 2 to 5 letters or digits, the first a letter; "44.1khz" is none), its
 * length in *n; NULL if none. */
static const char *next_file_name(const char *s, size_t *n) {
  for (const char *p = s; *p;) {
    size_t len = strcspn(p, " \t\r\n\"'(),;:!?");
    const char *end = p + len, *e = end, *dot = NULL;
    while (e > p && e[-1] == '.') /* the end of a sentence */
      e--;
    for (const char *q = p; q < e; q++)
      dot = *q == '.' ? q : dot;
    size_t ext = dot ? (size_t)(e - dot - 1) : 0, alnum = 0;
    while (alnum < ext && isalnum((unsigned char)dot[1 + alnum]))
      alnum++;
    if (dot > p && ext >= 2 && ext <= 5 && alnum == ext && isalpha((unsigned char)dot[1]))
      return *n = len, p;
    p = end + (len == 0);
  }
  return NULL;
}

/* Blanks the file names in low so that their words ask for nothing. */
static void blank_file_names(char *low) {
  size_t n;
  for (char *p = low; (p = (char *)next_file_name(p, &n)) != NULL; p += n)
    memset(p, ' ', n);
}

/* Blanks a participle after "the", "this" or "that" ("combine the cleaned audio with b.wav", "the
 * noise-reduced track"): it names an earlier result, it asks for nothing. */
static void blank_results(char *low) {
  static const char *const det[] = {"the ", "this ", "that "};
  for (size_t d = 0; d < sizeof det / sizeof det[0]; d++)
    for (char *p = strstr(low, det[d]); p; p = strstr(p + 1, det[d])) {
      char *w = p + strlen(det[d]);
      size_t n = strcspn(w, " \t\r\n,;:.!?");
      if ((p == low || !isalpha((unsigned char)p[-1])) && n > 3 && !strncmp(w + n - 2, "ed", 2))
        memset(w, ' ', n);
    }
}

/* What an instruction asks for. */
typedef struct sf_plan {
  unsigned ops;    /* SF_* bits */
  int rate;        /* Hz, with SF_RESAMPLE */
  double speed;    /* with SF_TEMPO: 2 plays twice as fast */
  double pitch;    /* with SF_PITCH: semitones, positive up */
  double gain_db;  /* with SF_GAIN */
  bool gain_step;  /* gain_db is SF_GAIN_STEP_DB: "louder" named no amount */
  const char *ext; /* the file format to write */
  const char *refused; /* an audio format asked for that baton__pcm_write does not take, or NULL */
  baton__cut cut;  /* with SF_CUT */
  bool hiss;       /* with SF_DENOISE: a low-pass against hiss too */
  bool fade_in, fade_out; /* with SF_FADE */
  int loop;        /* with SF_LOOP: times played in all (else -1) */
  double gap;      /* seconds of silence between recordings joined one after another */
  bool defaulted; /* it named nothing known, so SF_NORMALISE */
} sf_plan;

/* A silence asked for between joined recordings: "a 2 second gap", "a pause of 1.5 s", "with
 * silence between them" ("silence" only beside a length or "between": not "trim the silence"). */
static const char *const sf_gap[] = {"gap", "gaps", "pause", "pauses", NULL};
static const char *const sf_gap_or_silence[] = {"gap", "gaps", "pause", "pauses", "silence", NULL};
/* Words taking silence out ("remove the silence between them"): no gap put in for it. */
static const char *const sf_removing[] = {"trim", "strip", "remove", "delete", "cut", "get rid",
                                          NULL};
static const char *const sf_no_gap[] = {"no gap", "no pause", "without a gap", "without gaps",
                                        "without a pause", "without pauses", "no silence",
                                        "without any", NULL};

/* Does low[a..b) (cut to low's bounds, and to the clause of its end `from_end` or else of its
 * start: "keep the first 5 seconds, with a pause" has no pause after "5 seconds") hold one of
 * words? */
static bool words_within(const char *low, ptrdiff_t a, ptrdiff_t b, bool from_end,
                         const char *const *words) {
  ptrdiff_t n = (ptrdiff_t)strlen(low);
  a = a < 0 ? 0 : a;
  b = b > n ? n : b;
  for (ptrdiff_t i = a; from_end && i < b; i++)
    a = strchr(",;.", low[i]) ? i + 1 : a;
  for (ptrdiff_t i = a; !from_end && i < b; i++)
    b = strchr(",;.", low[i]) ? i : b;
  char part[64];
  baton__fmt(part, sizeof part, "%.*s", (int)(b > a ? b - a : 0), low + a);
  return b > a && baton__run_any_word(part, words, true);
}

/* Does low ask to take silence out, a word of sf_removing before "silence" in its clause ("remove
 * the silence between them", "trim the first 2 seconds of silence")? */
static bool silence_removed(const char *low) {
  for (const char *p = low; (p = strstr(p, "silence")) != NULL; p++)
    if (words_within(low, p - low - 48, p - low, true, sf_removing))
      return true;
  return false;
}

/* The seconds of silence low asks for between joined recordings: a length right before a gap
 * word ("2 seconds of silence", "a 2-second gap") or right after one ("a gap of 2 seconds"); a
 * gap word alone, or "silence between", SF_DEFAULT_GAP_S; else (or "no gap") 0. "Silence" does
 * not count beside a word taking it out ("remove the silence between them"). */
static double join_gap(const char *low) {
  if (baton__run_any_word(low, sf_no_gap, false))
    return 0;
  const char *const *gap_words = silence_removed(low) ? sf_gap : sf_gap_or_silence;
  double v;
  for (const char *p = low, *after; baton__run_next_number(low, &p, &v, &after);) {
    const char *num = p;
    while (num > low && (isdigit((unsigned char)num[-1]) || num[-1] == '.'))
      num--;
    const char *unit = after + (*after == '-');
    double secs = baton__cut_unit_at(unit);
    ptrdiff_t at = num - low, end = (unit - low) + (ptrdiff_t)strcspn(unit, " ,;.");
    if (secs > 0 && (words_within(low, end, end + 16, false, gap_words) ||
                     words_within(low, at - 12, at, true, gap_words)))
      return v * secs;
  }
  bool between = baton__run_has_word(low, "between", true);
  return baton__run_any_word(low, between ? gap_words : sf_gap, true) ? SF_DEFAULT_GAP_S : 0;
}

/* What instr asks for; written as `format` ("flac" of a save_as name) when given, else as the
 * format the words name. One this executor cannot write is plan.refused. */
static sf_plan sf_parse(const char *instr, const char *format) {
  char low[SF_MAX_INSTRUCTION + 1];
  baton__run_lower(instr, low, sizeof low);
  sf_plan plan = {.ops = 0, .rate = find_rate(low)};
  char words[SF_MAX_INSTRUCTION + 1];
  baton__fmt(words, sizeof words, "%s", low);
  blank_file_names(words);
  blank_results(words);
  for (size_t i = 0; i < sizeof sf_cues / sizeof sf_cues[0]; i++)
    plan.ops |= baton__run_any_word(words, sf_cues[i].words, false) ? sf_cues[i].op : 0;
  plan.ops |= baton__run_any_word(words, sf_hum, true) ? SF_DENOISE : 0;
  plan.hiss = baton__run_any_word(words, sf_hiss, false);
  if (plan.rate)
    plan.ops |= SF_RESAMPLE;
  plan.gain_db = find_gain(words, &plan.gain_step);
  if (plan.gain_db != 0) /* "turn the volume down": a change, not the peak at -1 dBFS */
    plan.ops = (plan.ops | SF_GAIN) & ~(strstr(words, "normali") ? 0u : SF_NORMALISE);
  bool by_x;
  plan.loop = baton__loop_parse(words, &by_x);
  plan.ops |= plan.loop >= 0 ? SF_LOOP : 0;
  plan.speed = find_speed(low, plan.loop >= 0, by_x);
  if (plan.speed > 0 && plan.speed != 1.0)
    plan.ops |= SF_TEMPO;
  baton__fade_parse(words, &plan.fade_in, &plan.fade_out);
  plan.ops |= plan.fade_in || plan.fade_out ? SF_FADE : 0;
  plan.pitch = baton__pitch_parse(words);
  plan.ops |= plan.pitch != 0 ? SF_PITCH : 0;
  plan.cut = baton__cut_parse(low);
  static const char *const quiet[] = {"silence", "silent", NULL};
  if (plan.cut.kind != CUT_NONE) /* "trim the first 5 seconds" is no silence to trim */
    plan.ops = (plan.ops | SF_CUT) & ~(baton__run_any_word(low, quiet, false) ? 0u : SF_TRIM);
  plan.gap = join_gap(low);
  if (plan.gap > 0 && !silence_removed(low)) /* "silence between them": no trimming */
    plan.ops &= ~SF_TRIM;
  const char *asked = format && *format ? format : baton__pcm_format_named(low); /* "fast.flac" */
  plan.ext = baton__pcm_format_of(asked);
  plan.refused = asked && !plan.ext ? asked : NULL; /* "to m4a": never WAV under another name */
  if (plan.ext)
    plan.ops |= SF_CONVERT;
  else
    plan.ext = "wav";
  plan.defaulted = plan.ops == 0;
  if (plan.defaulted || plan.ops & SF_DENOISE) /* a denoised recording at a usable level */
    plan.ops |= SF_NORMALISE;
  if (plan.ops & SF_RESAMPLE && !plan.rate)
    plan.rate = SF_DEFAULT_RATE;
  return plan;
}

/* Scales the samples so that the peak is at SF_PEAK_TARGET. */
static void sf_normalise(baton__pcm *pcm, baton__sb *desc) {
  float peak = peak_of(pcm);
  if (peak <= 0) {
    baton__sb_adds(desc, "silent: nothing to normalise; ");
    return;
  }
  float g = (float)SF_PEAK_TARGET / peak;
  for (size_t i = 0; i < pcm->frames * (size_t)pcm->channels; i++)
    pcm->s[i] *= g;
  baton__sb_addf(desc, "normalised the peak to -1 dBFS (gain %+.1f dB); ",
                 20.0 * log10((double)g));
}

/* Changes the volume by gain_db, raising it no further than a peak of -1 dBFS; `step`: no
 * amount was asked for (SF_GAIN_STEP_DB), so none is said to be. */
static void sf_gain(baton__pcm *pcm, double gain_db, bool step, baton__sb *desc) {
  float peak = peak_of(pcm);
  double room = peak > 0 ? 20.0 * log10(SF_PEAK_TARGET / (double)peak) : 0, db = gain_db;
  if (db > room)
    db = room > 0 ? room : 0;
  float g = (float)pow(10.0, db / 20.0);
  for (size_t i = 0; i < pcm->frames * (size_t)pcm->channels; i++)
    pcm->s[i] *= g;
  if (peak <= 0)
    baton__sb_adds(desc, "silent: no volume to change; ");
  else if (db < gain_db && db <= 0.05)
    baton__sb_addf(desc, "left the volume as it was: its peak is at %.1f dBFS already, and any "
                   "louder would clip; ", 20.0 * log10((double)peak));
  else if (db < gain_db && step)
    baton__sb_addf(desc, "raised the volume by %.1f dB, as far as it goes without clipping (the "
                   "peak is now at -1 dBFS); ", db);
  else if (db < gain_db)
    baton__sb_addf(desc, "raised the volume by %.1f dB, not the %.1f dB asked for: any more "
                   "would clip (the peak is now at -1 dBFS); ", db, gain_db);
  else
    baton__sb_addf(desc, "%s the volume by %.1f dB; ", db < 0 ? "lowered" : "raised", fabs(db));
}

/* Adds an echo, bringing the peak back to -1 dBFS if the echoes piled up past it. 0, or -1 when
 * out of memory. */
static int sf_echo(baton__pcm *pcm, baton__sb *desc) {
  if (baton__pcm_echo(pcm, BATON__ECHO_DELAY_S, BATON__ECHO_DECAY, BATON__ECHO_REPEATS) != 0)
    return -1;
  baton__sb_addf(desc, "added an echo (%.1f s apart, each %.0f%% as loud as the one before); ",
                 BATON__ECHO_DELAY_S, 100 * BATON__ECHO_DECAY);
  if (peak_of(pcm) > SF_PEAK_TARGET)
    sf_normalise(pcm, desc);
  return 0;
}

/* Reduces the noise: rumble and hum, hiss if the plan says so, the quiet stretches between
 * sounds. 0, or -1 when out of memory. */
static int sf_denoise(baton__pcm *pcm, const sf_plan *plan, baton__sb *desc) {
  baton__denoise_report r;
  unsigned what = BATON__DENOISE_RUMBLE | BATON__DENOISE_GATE;
  if (baton__pcm_denoise(pcm, what | (plan->hiss ? BATON__DENOISE_HISS : 0), &r) != 0)
    return -1;
  if (!r.done) {
    baton__sb_addf(desc, "no noise to reduce: %s; ", r.gate_why);
    return 0;
  }
  baton__sb_adds(desc, "reduced the noise:");
  if (r.done & BATON__DENOISE_RUMBLE)
    baton__sb_addf(desc, " high-pass at %d Hz (rumble, hum),", BATON__DENOISE_HIGHPASS_HZ);
  if (r.done & BATON__DENOISE_HISS)
    baton__sb_addf(desc, " low-pass at %d kHz (hiss),", BATON__DENOISE_LOWPASS_HZ / 1000);
  else if (plan->hiss)
    baton__sb_addf(desc, " no low-pass for hiss (at %d Hz little is above %d kHz),", pcm->rate,
                   BATON__DENOISE_LOWPASS_HZ / 1000);
  if (r.done & BATON__DENOISE_GATE)
    baton__sb_addf(desc, " noise floor %.0f dBFS, quiet parts lowered by up to %.0f dB, %.0f dB "
                   "on average (%.0f%% of the recording); ", r.floor_dbfs, r.max_cut_db,
                   r.mean_cut_db, 100.0 * r.lowered);
  else
    baton__sb_addf(desc, " quiet parts left as they were: %s; ", r.gate_why);
  return 0;
}

/* Plays the recording `times` in all; 0, or -1 with why set. */
static int sf_loop(baton__pcm *pcm, int times, baton__sb *desc, char *why, size_t whylen) {
  int rc = baton__pcm_loop(pcm, times);
  if (rc == -2)
    baton__fmt(why, whylen, "played %d times the recording would be longer than %.0f s or take "
               "over %.0f MiB", times, BATON__PCM_MAX_SECONDS, BATON__LOOP_MAX_BYTES / 1048576);
  else if (rc != 0)
    baton__fmt(why, whylen, "out of memory looping the recording");
  else
    baton__sb_addf(desc, "looped: played %d times in all, one after another; ", times);
  return rc == 0 ? 0 : -1;
}

/* Applies the plan's operations in a fixed order, describing each into desc. NULL, or why it
 * stopped ("out of memory", "cancelled", a part to keep that is not there) in why. */
static const char *sf_process(baton__pcm *pcm, const sf_plan *plan, baton__sb *desc,
                              const baton__exec_env *env, char *why, size_t whylen) {
  int in_rate = pcm->rate, in_ch = pcm->channels;
  if (plan->ops & SF_CUT) {
    if (baton__pcm_cut(pcm, &plan->cut, why, whylen) != 0)
      return why;
    baton__sb_adds(desc, why);
  }
  if (plan->ops & SF_TRIM) {
    double cut = 0;
    trim_silence(pcm, &cut);
    baton__sb_addf(desc, "trimmed %.2f s of silence; ", cut);
  }
  if (plan->ops & SF_MONO) {
    if (baton__pcm_to_mono(pcm) != 0)
      return "out of memory";
    baton__sb_addf(desc, "mixed %d channel(s) to mono; ", in_ch);
  }
  if (plan->ops & SF_DENOISE && sf_denoise(pcm, plan, desc) != 0)
    return "out of memory reducing the noise";
  if (baton__exec_cancelled(env))
    return "cancelled";
  if (plan->ops & SF_TEMPO) {
    if (baton__pcm_tempo(pcm, plan->speed) != 0)
      return "out of memory changing the speed";
    baton__sb_addf(desc, "played %.2fx as fast, at the same pitch; ", plan->speed);
    if (baton__exec_cancelled(env))
      return "cancelled";
  }
  if (plan->ops & SF_PITCH) {
    if (fabs(plan->pitch) > BATON__PITCH_MAX_SEMITONES) {
      baton__fmt(why, whylen, "a pitch shift of %g semitones is more than the octave this "
                 "executor moves either way", fabs(plan->pitch));
      return why;
    }
    if (baton__pcm_pitch(pcm, plan->pitch) != 0)
      return "out of memory changing the pitch";
    baton__sb_addf(desc, "pitch %s %g semitone(s), at the same speed; ",
                   plan->pitch > 0 ? "raised" : "lowered", fabs(plan->pitch));
  }
  if (plan->ops & SF_REVERSE)
    baton__pcm_reverse(pcm), baton__sb_adds(desc, "reversed (plays backwards); ");
  if (plan->ops & SF_LOOP && sf_loop(pcm, plan->loop, desc, why, whylen) != 0)
    return why;
  if (plan->ops & SF_ECHO && sf_echo(pcm, desc) != 0)
    return "out of memory adding the echo";
  for (int out = 0; plan->ops & SF_FADE && out < 2; out++)
    if (out ? plan->fade_out : plan->fade_in)
      baton__sb_addf(desc, "faded %s over %.2f s; ", out ? "out" : "in",
                     baton__pcm_fade(pcm, BATON__FADE_S, !out));
  int rate = baton__pcm_format_rate(plan->ext, plan->ops & SF_RESAMPLE ? plan->rate : in_rate);
  if (rate != in_rate) {
    if (baton__pcm_resample(pcm, rate) != 0)
      return "out of memory resampling";
    baton__sb_addf(desc, "resampled %d Hz to %d Hz%s; ", in_rate, rate,
                   plan->ops & SF_RESAMPLE && rate == plan->rate ? "" : " (the format's nearest)");
  } else if (plan->ops & SF_RESAMPLE) {
    baton__sb_addf(desc, "already at %d Hz; ", rate);
  }
  if (plan->ops & SF_NORMALISE)
    sf_normalise(pcm, desc);
  if (plan->ops & SF_GAIN)
    sf_gain(pcm, plan->gain_db, plan->gain_step, desc);
  return NULL;
}

/* Writes pcm as the run's file in the plan's format and finishes its description. The path
 * (caller frees), or NULL with env->err set. */
static char *sf_save(const baton__pcm *pcm, const sf_plan *plan, const char *instr,
                     baton__sb *desc, baton__exec_env *env) {
  char *path = baton__run_out_path(env, plan->ext);
  if (!path)
    return NULL;
  if (baton__pcm_write(path, plan->ext, pcm, env->err, sizeof env->err) != 0) {
    free(path);
    return NULL;
  }
  char kind[8];
  baton__sb_addf(desc, "%.2f s, %d Hz, %d channel(s), %s%s", (double)pcm->frames / pcm->rate,
                 pcm->rate, pcm->channels, strcmp(plan->ext, "wav") ? "" : "16-bit ",
                 baton__run_format_name(plan->ext, kind, sizeof kind));
  if (plan->defaulted && *instr)
    baton__sb_adds(desc, " (the instruction named no known operation, so it was normalised; "
                         "this executor can: " SF_CAN_DO ")");
  return path;
}

/* Words that ask for recordings played at once rather than one after another. */
static const char *const sf_mix[] = {"mix", "overlay", "on top", "as background", "underneath",
                                     "in the background", "background music", "at the same time",
                                     "simultaneous", "layered", NULL}; /* not "background noise" */

/* Words that make a recording the background (so played at once, lowered), and on which side of
 * them its name is looked for first: -1 before ("music.wav underneath"), 1 after ("duck
 * music.wav"), 0 the nearest start either side. Whole words, not before a number ("under 10
 * seconds") nor "background noise". */
static const struct {
  const char *cue;
  int side;
} sf_bg_cues[] = {{"background", 0}, {"underneath", -1}, {"under", -1},   {"beneath", -1},
                  {"behind", -1},    {"quietly", -1},    {"softly", -1},  {"as a bed", -1},
                  {"duck", 1},       {"ducked", 1},      {"ducking", 1}};

/* The first background cue in low: where it starts (its length in *len, its side in *side), or
 * NULL. */
static const char *background_cue(const char *low, size_t *len, int *side) {
  const char *first = NULL;
  for (size_t c = 0; c < sizeof sf_bg_cues / sizeof sf_bg_cues[0]; c++) {
    size_t n = strlen(sf_bg_cues[c].cue);
    for (const char *p = low; (p = strstr(p, sf_bg_cues[c].cue)) != NULL && (!first || p < first);
         p++) {
      const char *after = p + n + (p[n] == ' ');
      if ((p > low && (isalnum((unsigned char)p[-1]) || p[-1] == '-')) ||
          isalnum((unsigned char)p[n]) || (p[n] == '.' && isalnum((unsigned char)p[n + 1])) ||
          isdigit((unsigned char)*after) || !strncmp(after, "noise", 5))
        continue;
      first = p, *len = n, *side = sf_bg_cues[c].side;
      break;
    }
  }
  return first;
}

/* Which of the n recordings (paths) the file name f (n bytes of low) names, or -1. A path's file
 * name may carry a prefix ("t0-audio2-music.wav", a run's copy of "music.wav"). */
static int path_named(const char *f, size_t named, const char *const *paths, int n) {
  while (named > 0 && f[named - 1] == '.')
    named--;
  for (int i = 0; i < n; i++) {
    const char *base = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
    char b[256];
    size_t bl = strlen(base);
    baton__lower_copy(b, base, bl < sizeof b ? bl : sizeof b - 1);
    bl = strlen(b);
    if (bl >= named && !strncmp(b + bl - named, f, named) &&
        (bl == named || b[bl - named - 1] == '-'))
      return i;
  }
  return -1;
}

/* Which of the n recordings (paths) is the background ("mix voice.wav with music.wav as background
 * music", "put music.wav under talk.wav"): the one whose name is written nearest the first
 * background cue in low, on its side first; else the last; -1 if low has no cue. */
static int background_of(const char *low, const char *const *paths, int n) {
  size_t cue_len = 0, len, near[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}; /* before, either, after */
  int side = 0, best[3] = {-1, -1, -1};
  const char *at = background_cue(low, &cue_len, &side);
  for (const char *f = low; at && (f = next_file_name(f, &len)) != NULL; f += len) {
    int i = path_named(f, len, paths, n);
    size_t d = f < at ? (size_t)(at - f) : (size_t)(f - at), s = f < at ? 0 : 2;
    size_t gap = f < at ? (size_t)(at - f) - len : (size_t)(f - at) - cue_len;
    if (i >= 0 && d < near[1])
      near[1] = d, best[1] = i;
    if (i >= 0 && (f + len <= at || f >= at + cue_len) && gap < near[s])
      near[s] = gap, best[s] = i;
  }
  if (!at)
    return -1;
  int pick = best[side + 1]; /* on its side, else the other */
  pick = pick >= 0 ? pick : best[side == 0 ? 1 : 1 - side];
  return pick >= 0 ? pick : n - 1;
}

/* The loudest level of the n recordings but `skip` (pcm the first, the others read from paths
 * again one at a time), or -1 with env->err set. */
static double loudest_other(const baton__pcm *pcm, const char *const *paths, int n, int skip,
                            baton__exec_env *env) {
  double loudest = skip == 0 ? 0 : baton__pcm_level(pcm);
  for (int i = 1; i < n; i++) {
    baton__pcm other;
    if (i == skip)
      continue;
    if (baton__pcm_load_input(paths[i], baton__run_max_input(env, SF_DEFAULT_MAX_INPUT), &other,
                              env) != 0)
      return -1;
    double level = baton__pcm_level(&other);
    loudest = level > loudest ? level : loudest;
    baton__pcm_release(&other);
  }
  return loudest;
}

/* Joins the recordings "audio2" ... "audio9" to pcm (the first), one after another unless the
 * instruction asks for a mix (else with the silence plan->gap says between them); a background
 * one is first lowered SF_BACKGROUND_DB under the loudest other. 0, or -1 with env->err set. */
static int sf_join(baton__pcm *pcm, const baton__values *in, const char *instr, sf_plan *plan,
                   baton__sb *desc, baton__exec_env *env) {
  char low[SF_MAX_INSTRUCTION + 1], name[8];
  baton__run_lower(instr, low, sizeof low);
  size_t cue_len;
  int side;
  bool mix = baton__run_any_word(low, sf_mix, false) || background_cue(low, &cue_len, &side);
  double first = (double)pcm->frames / pcm->rate, cut, gap = mix ? 0 : plan->gap;
  const char *paths[9] = {baton__run_arg(in, "audio", BATON__T_AUDIO)};
  int n = 1;
  for (int k = 2; k <= 9; k++) {
    baton__fmt(name, sizeof name, "audio%d", k);
    const baton__value *v = baton__values_get(in, name); /* by name only: not "audio" again */
    if (v && v->data)
      paths[n++] = v->data;
  }
  if (n > 1 && gap * (n - 1) > BATON__PCM_MAX_SECONDS)
    return baton__run_bad_input(env, "the silence asked for between the recordings (%.0f s) "
                                "is longer than a recording may be (%.0f s)", gap * (n - 1),
                                BATON__PCM_MAX_SECONDS);
  int bg = mix && n > 1 ? background_of(low, paths, n) : -1;
  double loudest = bg >= 0 ? loudest_other(pcm, paths, n, bg, env) : 0;
  if (loudest < 0)
    return -1;
  cut = bg == 0 ? baton__pcm_lower_to(pcm, loudest * pow(10.0, -SF_BACKGROUND_DB / 20.0)) : 0;
  for (int i = 1; i < n; i++) {
    baton__pcm next;
    if (baton__pcm_load_input(paths[i], baton__run_max_input(env, SF_DEFAULT_MAX_INPUT), &next,
                              env) != 0)
      return -1;
    if (i == bg)
      cut = baton__pcm_lower_to(&next, loudest * pow(10.0, -SF_BACKGROUND_DB / 20.0));
    int rc = baton__pcm_join(pcm, &next, mix, gap);
    if (rc == -2)
      return baton__run_fail(env, "the joined recording would be longer than %.0f s",
                             BATON__PCM_MAX_SECONDS);
    if (rc != 0)
      return baton__run_fail(env, "out of memory joining the recordings");
  }
  plan->defaulted &= n == 1; /* joining was the operation asked for */
  if (n > 1)
    baton__sb_addf(desc, "%s %d recordings %s (%.2f s the first) into %.2f s; ",
                   mix ? "mixed" : "joined", n, mix ? "together" : "one after another", first,
                   (double)pcm->frames / pcm->rate);
  if (n > 1 && gap > 0)
    baton__sb_addf(desc, "%.2f s of silence between each two; ", gap);
  if (bg >= 0 && cut < 0)
    baton__sb_addf(desc, "recording %d as the background, lowered %.1f dB to %.0f dB under the "
                   "loudest other; ", bg + 1, -cut, SF_BACKGROUND_DB);
  else if (bg >= 0)
    baton__sb_addf(desc, "recording %d as the background, already %.0f dB or more under the "
                   "loudest other; ", bg + 1, SF_BACKGROUND_DB);
  return 0;
}

/* audio-information: the recording's facts ("how long is talk.wav?", "how loud is it?"). */
static int sf_info(const baton__values *in, baton__exec_env *env, baton__values *out) {
  const char *audio = baton__run_arg(in, "audio", BATON__T_AUDIO);
  if (!audio || !*audio)
    return baton__run_bad_input(env, "audio-information needs an \"audio\" file to read");
  char *text, *json;
  if (!baton__run_file_fits(env, audio, 0, "audio file"))
    return -1;
  int rc = baton__audio_info(audio, baton__given_name(audio), &text, &json, env->err,
                             sizeof env->err);
  if (rc != 0)
    return env->bad_input = rc == -1, -1; /* a file that is no recording is not the model's fault */
  const baton__output outs[] = {{"text", BATON__T_TEXT, text, false},
                                {"json", BATON__T_JSON, json, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static int sf_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  if (strcmp(task, "audio-information") == 0)
    return sf_info(in, env, out);
  int64_t deadline = baton__run_deadline(env);
  const char *audio = baton__run_arg(in, "audio", BATON__T_AUDIO);
  if (!audio || !*audio)
    return baton__run_bad_input(env, "audio-to-audio needs an \"audio\" file to process");
  const char *instr = baton__run_instruction(in);
  if (!instr)
    instr = "";
  if (strlen(instr) > SF_MAX_INSTRUCTION)
    return baton__run_fail(env, "the instruction is over %d bytes", SF_MAX_INSTRUCTION);
  sf_plan plan = sf_parse(instr, env->file_format);
  if (plan.refused) {
    char why[300];
    baton__pcm_refusal(plan.refused, why, sizeof why);
    return baton__run_bad_input(env, "%s", why);
  }
  if (plan.ops & SF_TEMPO && !(plan.speed >= BATON__PCM_MIN_SPEED &&
                               plan.speed <= BATON__PCM_MAX_SPEED))
    return baton__run_fail(env, "a speed of %gx is out of range: from %gx to %gx", plan.speed,
                           BATON__PCM_MIN_SPEED, BATON__PCM_MAX_SPEED);
  if (plan.ops & SF_LOOP && !(plan.loop >= 1 && plan.loop <= BATON__LOOP_MAX))
    return baton__run_fail(env, "a loop plays a recording a whole number of times, from 1 to "
                           "%d%s", BATON__LOOP_MAX, plan.loop > BATON__LOOP_MAX ? "" : " (no "
                           "negative or fractional count)");
  if (fabs(plan.gain_db) > SF_MAX_GAIN_DB)
    return baton__run_fail(env, "a volume change of %g dB is out of range: at most %g dB either "
                           "way", plan.gain_db, SF_MAX_GAIN_DB);
  if (!baton__run_has_workspace(env, "audio"))
    return -1;
  baton__pcm pcm;
  if (baton__pcm_load_input(audio, baton__run_max_input(env, SF_DEFAULT_MAX_INPUT), &pcm, env))
    return -1;
  baton__sb desc;
  baton__sb_init(&desc);
  char why[200];
  bool joined = sf_join(&pcm, in, instr, &plan, &desc, env) == 0; /* else env->err says why */
  const char *fail = joined ? sf_process(&pcm, &plan, &desc, env, why, sizeof why) : NULL;
  char *path = NULL;
  if (fail)
    baton__run_fail(env, "%s", fail);
  else if (joined && !baton__run_must_stop(env, deadline, "audio processing"))
    path = sf_save(&pcm, &plan, instr, &desc, env);
  baton__pcm_release(&pcm);
  if (!path) {
    baton__sb_release(&desc);
    return -1;
  }
  const baton__output outs[] = {{"audio", BATON__T_AUDIO, baton__path_absolute(path), false},
                                {"text", BATON__T_TEXT, baton__sb_detach(&desc), true}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const sf_tasks[] = {"audio-to-audio", "audio-information", NULL};

const baton__executor baton__executor_sndfile = {
    .name = "sndfile",
    .model_id = "local/sndfile",
    .tasks = sf_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = sf_run,
    .release = baton__executor_no_release,
};

#endif /* BATON_HAVE_SNDFILE */
