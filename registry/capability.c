/* capability.c — what a step asks of a model beyond its task kind: rules (as data) that keep models of one kind of capability out of steps they cannot do ("describe the photo" never goes to OCR). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"
#include "core/banned.h"

/* A step of `task` whose text holds one of `cues` cannot be done by a model
 * tagged `tag`. Cues are matched case-insensitively anywhere in the text. */
typedef struct capability_rule {
  const char *task;
  const char *const *cues;
  const char *tag;
  const char *needs; /* what the step needs, for messages */
} capability_rule;

/* Describing a picture is captioning: an OCR engine only reads its text. */
static const char *const describe_cues[] = {
    "describe", "description", "caption", "what is in", "what's in", "what is shown",
    "what it shows", "depict", "what is happening", "scene", NULL};

static const capability_rule rules[] = {
    {"image-to-text", describe_cues, "ocr", "a captioning model (OCR only reads text)"},
};

/* The rule that applies to this step, or NULL. */
static const capability_rule *rule_for(const char *task, const char *text) {
  for (size_t i = 0; text && i < sizeof rules / sizeof rules[0]; i++) {
    if (strcmp(rules[i].task, task) != 0)
      continue;
    for (const char *const *c = rules[i].cues; *c; c++)
      if (strcasestr(text, *c))
        return &rules[i];
  }
  return NULL;
}

const char *baton__capability_needed(const char *task, const char *text) {
  const capability_rule *r = rule_for(task, text);
  return r ? r->needs : NULL;
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
  if (!r)
    return n;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (has_tag(reg, m[i].id, r->tag)) {
      baton__model_release(&m[i]);
      continue;
    }
    if (kept != i)
      m[kept] = m[i];
    kept++;
  }
  return kept;
}
