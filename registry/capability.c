/* capability.c — what a step asks of a model beyond its task kind: rules (as data) that keep models of one kind of capability out of steps they cannot do ("describe the photo" never goes to OCR, "read the sign" never to a captioner), and the mode the step asks the task for. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"
#include "core/banned.h"

/* A step of `task` whose text holds one of `cues` cannot be done by a model
 * tagged `tag` (with `only`: by one not tagged so; no tag: any can), and asks the task for `mode`
 * (its "mode" argument). Cues are matched case-insensitively anywhere in the
 * text, or as whole words. */
typedef struct capability_rule {
  const char *task;
  const char *const *cues;
  bool whole_words;
  const char *tag;
  const char *mode;
  const char *needs; /* what the step needs, for messages */
  bool only;
} capability_rule;

/* Describing a picture is captioning: an OCR engine only reads its text. */
static const char *const describe_cues[] = {
    "describe", "description", "caption", "what is in", "what's in", "what is shown",
    "what it shows", "depict", "what is happening", "scene", "tell me about", "picture about",
    "image about", "photo about", NULL};

/* Reading the words on a picture ("OCR sign.png", "what does it say?", "the text in x.png",
 * "translate the sign"): a captioner only describes it. */
static const char *const read_cues[] = {
    "read", "reads", "reading", "ocr", "text", "texts", "written", "writing", "words", "wording",
    "lettering", "say", "says", "transcribe", "transcription", "inscription", "inscriptions",
    "decipher", "scan", "scanned", "extract", "spell", "translate", NULL};

/* Subtitles ("make subtitles for talk.wav", "transcribe it with timestamps", "save it as
 * talk.srt") need each word's time: only a model tagged "subtitles" gives them. */
static const char *const webvtt_cues[] = {"vtt", "webvtt", NULL};
static const char *const subtitle_cues[] = {
    "subtitle", "subtitles", "subtitled", "srt", "captions", "captioned", "timestamps",
    "timestamp", "timestamped", "time stamps", "timecodes", "time codes", NULL};

/* In order: a step that asks both to describe and to read ("describe x.jpg and read the
 * description aloud") describes. */
static const capability_rule rules[] = {
    {"image-to-text", describe_cues, false, "ocr", "describe",
     "a captioning model (OCR only reads text)", false},
    {"image-to-text", read_cues, true, "caption", "read",
     "a model that reads text (a captioner only describes the picture)", false},
    {"automatic-speech-recognition", webvtt_cues, true, "subtitles", "webvtt",
     "a model that times each word for subtitles (tagged subtitles)", true},
    {"automatic-speech-recognition", subtitle_cues, true, "subtitles", "subtitles",
     "a model that times each word for subtitles (tagged subtitles)", true},
    {"translation", webvtt_cues, true, NULL, "subtitles", NULL, false}, /* cue by cue: any model */
    {"translation", subtitle_cues, true, NULL, "subtitles", NULL, false},
};

/* Whether c continues a word or a name ("text-to-speech", "notes_text", "a/read"): bytes of
 * UTF-8 letters included. */
static bool joins(char c) {
  return isalnum((unsigned char)c) || (unsigned char)c >= 0x80 || c == '_' || c == '-' || c == '/';
}

/* Whether text holds cue as a word of its own, not in a file name ("text.png"). */
static bool has_word(const char *text, const char *cue) {
  size_t n = strlen(cue);
  for (const char *p = text; (p = strcasestr(p, cue)) != NULL; p++) {
    const char *e = p + n;
    bool file = *e == '.' && isalnum((unsigned char)e[1]);
    if ((p == text || !joins(p[-1])) && !joins(*e) && !file)
      return true;
  }
  return false;
}

/* The rule that applies to this step, or NULL. */
static const capability_rule *rule_for(const char *task, const char *text) {
  for (size_t i = 0; text && i < sizeof rules / sizeof rules[0]; i++) {
    if (strcmp(rules[i].task, task) != 0)
      continue;
    for (const char *const *c = rules[i].cues; *c; c++)
      if (rules[i].whole_words ? has_word(text, *c) : strcasestr(text, *c) != NULL)
        return &rules[i];
  }
  return NULL;
}

const char *baton__capability_needed(const char *task, const char *text) {
  const capability_rule *r = rule_for(task, text);
  return r ? r->needs : NULL;
}

const char *baton__capability_mode(const char *task, const char *text) {
  const capability_rule *r = rule_for(task, text);
  return r ? r->mode : NULL;
}

/* Whether model id carries tag (a catalogue model; tags are ','-joined). */
static bool has_tag(baton__registry *reg, const char *id, const char *tag) {
  sqlite3_stmt *st = NULL;
  bool yes = false;
  pthread_mutex_lock(&reg->lock);
  if (sqlite3_prepare_v2(reg->db, "SELECT ',' || replace(tags, ', ', ',') || ',' FROM models WHERE id = ?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      char want[64];
      baton__fmt(want, sizeof want, ",%s,", tag);
      const char *tags = (const char *)sqlite3_column_text(st, 0);
      yes = tags && strcasestr(tags, want);
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&reg->lock);
  return yes;
}

size_t baton__capability_filter(baton__registry *reg, const char *task, const char *text,
                                baton__model *m, size_t n) {
  const capability_rule *r = rule_for(task, text);
  if (!r || !r->tag)
    return n;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (has_tag(reg, m[i].id, r->tag) != r->only) {
      baton__model_release(&m[i]);
      continue;
    }
    if (kept != i)
      m[kept] = m[i];
    kept++;
  }
  return kept;
}
