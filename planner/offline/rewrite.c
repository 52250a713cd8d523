/* rewrite.c — what the request is about adjusts a chosen task: pictures of tables and documents, questions on pictures, one object. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_find_image_kind() tells what the request's picture shows
 * (plain, a table, a document); off_rewrite() takes a recognised step and
 * gives the task to use instead, or -1: a picture of a table or document is
 * read as one, a question with no passage but a picture is a visual
 * question, a translation naming no language of a picture is reading it,
 * one object is classified rather than detected. Tasks are named by their
 * lexicon roles.
 */

/* A sentence that names a picture ("a photo of a table in t.jpg", "a
 * scanned invoice x.png") and calls it a table or chart, or a document:
 * reading such a picture is table classification or document question
 * answering rather than captioning. */
int off_find_image_kind(const planner *p) {
  int kind = IMG_PLAIN;
  size_t seg = 0;
  for (size_t i = 0; i <= p->n_tok; i++) {
    if (i < p->n_tok && !off_is_hard_punct(&p->tok[i]))
      continue;
    bool img = false;
    for (size_t k = seg; k < i && !img; k++)
      img = (p->tok[k].kind == TK_RES && (p->res[p->tok[k].res].type & BATON__T_IMAGE)) ||
            off_is(p, k, W_PICTURE) || off_is(p, k, W_PICTURE_SCAN);
    if (off_has_word(p, seg, i, W_UNSURE))
      img = false; /* "if there is a table in the new image": not this picture */
    if (img && off_has_word(p, seg, i, W_TABLE))
      return IMG_TABLE;
    if (img && kind == IMG_PLAIN && off_has_word(p, seg, i, W_DOCUMENT))
      kind = IMG_DOCUMENT;
    seg = i + 1;
  }
  return kind;
}

/* The task that reads this request's picture into text in place of task t
 * (a table is classified as a table, a document asked about), or -1 to
 * keep it. */
int off_reader_task(const planner *p, int t) {
  bool caption = off_is_role(p, t, R_CAPTION);
  size_t pictures = 0; /* with several pictures, which one is the table is unclear */
  for (size_t i = 0; i < p->n_res; i++)
    pictures += p->res[i].is_file && (p->res[i].type & BATON__T_IMAGE);
  if (p->image_kind == IMG_TABLE &&
      (caption || off_is_role(p, t, R_CLASSIFY_PICTURE) ||
       (pictures == 1 && off_is_role(p, t, R_CLASSIFY_TEXT))))
    return p->role[R_READ_TABLE]; /* "decipher the table and categorize it" */
  if (p->image_kind == IMG_DOCUMENT &&
      (caption || (pictures == 1 && off_is_role(p, t, R_ASK_PICTURE))))
    return p->role[R_READ_DOCUMENT];
  return -1;
}

/* Does a quoted text speak of a picture ("... in this photo?")? */
static bool mentions_picture(const planner *p, const char *text) {
  char stems[64][OFF_MAX_WORD];
  size_t n = off_split_words(text, strlen(text), stems, 64);
  for (size_t i = 0; i < n; i++)
    if (off_words_has_stem(&p->lx->cls[W_PICTURE], stems[i]))
      return true;
  return false;
}

/* Does the step's question speak of a picture: its words ("the colour of
 * the car in the image") or its quoted question ("... in this photo?")? */
bool off_asks_about_picture(const planner *p, const step *st) {
  if ((off_said_media(p, st->a, st->b) | off_own_types(p, st->a, st->b)) & BATON__T_IMAGE)
    return true;
  for (size_t k = st->a; k < st->b; k++)
    if (p->tok[k].kind == TK_RES && p->res[p->tok[k].res].type == BATON__T_TEXT &&
        !p->res[p->tok[k].res].is_file && mentions_picture(p, p->res[p->tok[k].res].value))
      return true;
  return false;
}

/* "Answer 'Which object is the main one?'" with a picture and no passage
 * to read: the question is about the picture (visual, or document question
 * answering when the picture is a document). Returns the task to use
 * instead of question-answering, or -1. */
static int question_on_picture(const planner *p, const step *st, unsigned produced) {
  if (!off_is_role(p, st->task, R_ASK_TEXT))
    return -1;
  if (!((produced | off_all_types(p)) & BATON__T_IMAGE))
    return -1;
  /* "answer 'What colour is the car in this photo?'": the question itself
   * is about the picture, whatever else there is to read */
  if (!off_asks_about_picture(p, st)) {
    if (produced & BATON__T_TEXT)
      return -1;
    for (size_t i = 0; i < p->n_res; i++) {
      bool own = false;
      for (size_t k = st->a; k < st->b && !own; k++)
        own = p->tok[k].kind == TK_RES && p->tok[k].res == (int)i;
      if (!own && off_is_passage(&p->res[i]))
        return -1; /* a passage to answer from */
    }
  }
  return p->role[p->image_kind == IMG_DOCUMENT ? R_READ_DOCUMENT : R_ASK_PICTURE];
}


/* "Translate what is in those regions into written words": a translation
 * naming no language, with no text to work on but a picture or recording
 * made or named before, is reading that picture (or transcribing that
 * recording). Returns the reading task, or -1. */
static int translation_of_media(const planner *p, const step *st, unsigned produced) {
  if (!off_is_role(p, st->task, R_TRANSLATE) || (produced & BATON__T_TEXT) ||
      (off_own_types(p, st->a, st->b) & BATON__T_TEXT))
    return -1;
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_WORD && off_language(p->lx, p->tok[i].word))
      return -1; /* "their French names" */
  unsigned media = produced;
  for (size_t i = 0; i < st->a; i++)
    if (p->tok[i].kind == TK_RES)
      media |= p->res[p->tok[i].res].type;
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].is_file || !(p->res[i].type & BATON__T_TEXT))
      media |= p->res[i].type & ~(unsigned)BATON__T_TEXT; /* pictures named later count */
  if (media & BATON__T_TEXT & ~produced)
    return -1; /* a passage named before */
  if (media & BATON__T_IMAGE) {
    int r = off_reader_task(p, p->role[R_CAPTION]);
    return r >= 0 ? r : p->role[R_CAPTION];
  }
  return media & BATON__T_AUDIO ? p->role[R_TRANSCRIBE] : -1;
}

/* "Identify the main object in x.jpg", "what object it depicts": one
 * object, the one the picture shows, is told by classifying the picture;
 * detection finds several ("the objects", "each item"). Returns the task to
 * use instead of object-detection, or -1. */
static int one_object(const planner *p, const step *st) {
  if (!off_is_role(p, st->task, R_DETECT))
    return -1;
  /* several objects, or one picked among several ("which object is the
   * largest") */
  if (off_has_word(p, st->a, st->b, W_SEVERAL))
    return -1;
  bool one = false;
  for (size_t i = st->a; i < st->b; i++) {
    if (!off_is(p, i, W_ONE_THING))
      continue;
    if (i + 1 < st->b && off_is(p, i + 1, W_TASK_NOUN))
      return -1; /* "an object detection model" names the task */
    one = true;
  }
  return one ? p->role[R_CLASSIFY_PICTURE] : -1;
}

int off_rewrite(const planner *p, const step *st, unsigned produced) {
  int alt = question_on_picture(p, st, produced);
  if (alt < 0)
    alt = translation_of_media(p, st, produced);
  if (alt < 0)
    alt = one_object(p, st);
  return alt;
}

