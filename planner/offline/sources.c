/* sources.c — what a step's input may be: an earlier task making its type, or a resource unused. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_named_producer() and off_nearest_producer() give the earlier task (of p->g) making
 * a type that a step takes, the one it names by its kind first ("the summary"); off_first_unused()
 * the resource of a type no task used yet (the request's first, else earlier turns' newest, those
 * a step sets aside passed over); off_placed_input() the one an ordinal picks ("the second one").
 * They read p and change nothing: inputs.c chooses among them. */


bool off_produces(const planner *p, size_t k, unsigned type) {
  return (p->made[k]->outputs & type) && !(type == BATON__T_IMAGE && (p->made[k]->inputs & type) &&
                                           (p->made[k]->outputs & BATON__T_TEXT) &&
                                           !p->marks[k]);
}

bool off_asked_of_each(const planner *p, size_t k) {
  size_t files = 0;
  for (size_t i = p->by_a[k]; i < p->by_b[k]; i++)
    files += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].is_file;
  return files > 1 && off_answers(p, off_cue_index(p, p->made[k])) &&
         off_asks_files(p, p->by_a[k], p->by_b[k]);
}

/* (not the answers to a question put to each of several texts: "which of a.txt and b.txt mentions
 * Sunday? then summarize both" summarizes the texts) */
int off_nearest_producer(const planner *p, unsigned type) {
  for (int k = (int)p->g->n; k-- > 0;)
    if (off_produces(p, (size_t)k, type) &&
        !(off_primary_type(p->made[k]) == BATON__T_TEXT && off_asked_of_each(p, (size_t)k)))
      return k;
  return -1;
}

/* Does token i of st name the text task k made ("the summary", "that translated text": a word of
 * its kind, or any answerer's if it answers; "write a description of x.jpg ... read the
 * description": a word its step made), st taking one text? */
static bool names_text(const planner *p, const step *st, size_t i, size_t k) {
  if (!off_is(p, i, W_MADE_THING) || !off_is(p, i - 1, W_DEFINITE) ||
      off_is(p, i + 1, W_CONTENT_INTRO) || /* not "the description of a cat": one to make */
      off_takes_two_texts(p, p->cues[st->task].spec))
    return false;
  int c = off_cue_index(p, p->made[k]);
  for (int r = R_READ_DOCUMENT; off_answers(p, c) && r <= R_ASK_TABLE; r++) /* "the answer" */
    if (off_cue_word(p, &p->cues[p->role[r]], i))
      return true;
  if (off_cue_word(p, &p->cues[c], i))
    return true;
  for (size_t j = p->by_a[k] + 1; j < p->by_b[k]; j++)
    if (strcmp(p->tok[j].stem, p->tok[i].stem) == 0 && !off_is(p, j - 1, W_DEFINITE))
      return true;
  return false;
}

/* Task k's text, or, unless st translates ("translate the transcript into German" after its
 * Spanish translation), its latest translation: "the answer" after "the answer in French". */
static int translated_last(const planner *p, const step *st, int k) {
  if (off_is_role(p, st->task, R_TRANSLATE))
    return k;
  bool of_k[OFF_MAX_TASKS] = {false}; /* task j is k or a translation of one */
  of_k[k] = true;
  int last = k;
  for (size_t j = (size_t)k + 1; j < p->g->n; j++) {
    int from = p->g->tasks[j].n_args ? p->g->tasks[j].args[0].ref : -1;
    of_k[j] = from >= 0 && of_k[from] &&
              off_is_role(p, off_cue_index(p, p->made[j]), R_TRANSLATE);
    last = of_k[j] ? (int)j : last;
  }
  return last;
}

/* Is r one an ordinal counts: `made`, by a task of the last turn (one noun i names: "the first
 * summary"), else a file the request before it named (not for "the first summary")? */
static bool placeable(const planner *p, const resource *r, unsigned type, bool made, size_t i) {
  bool thing = off_is(p, i, W_MADE_THING);
  if (!(r->type & type) || !r->turn || r->turn + 1 < p->last_turn)
    return false;
  return made ? r->turn == p->last_turn && r->maker &&
                    (!thing || off_cue_word(p, &p->cues[r->maker - 1], i))
              : !thing && !r->maker && r->is_file;
}

int off_placed_input(const planner *p, const step *st, unsigned type) {
  static const off_class things[] = {W_MADE_THING, W_PICTURE, W_RECORDING};
  const off_words *ord = &p->lx->cls[W_ORDINAL];
  size_t k = ord->n, i = st->a, own = 0, made = 0, n = 0;
  if (!p->last_turn) /* (most requests: no token looked at) */
    return -1;
  for (; k == ord->n && i + 1 < st->b; i++)
    for (k = 0; k < ord->n && !(strcmp(ord->words[k], p->tok[i].word) == 0 &&
                                (off_number_at(p, i + 1) == 1 || off_is_any(p, i + 1, things, 3)));)
      k++;
  for (size_t j = 0; j < p->g->n; j++)
    own += off_produces(p, j, type);
  if (k == ord->n || k < own || off_own_res(p, 0, p->n_tok, type) >= 0)
    return -1;
  for (const resource *r = p->res; r < p->res + p->n_res; r++)
    made += placeable(p, r, type, true, i);
  for (size_t r = 0; r < p->n_res; r++)
    if (placeable(p, &p->res[r], type, made, i) && n++ == k)
      return (int)r;
  return n ? -2 : -1;
}

/* The earlier task making `type` that a reference in st names by its kind, not st's own ("the
 * edited image" after a depth map, "each segment", "the summary"), unless the nearest one making a
 * picture changed it (an edit, a restyle: "the modified image" is its output); else that one; or
 * -1 (also when st names an earlier turn's by its place: "read the second one" after "translate
 * the first one"). */
int off_named_producer(const planner *p, const step *st, unsigned type) {
  if (off_placed_input(p, st, type) >= 0)
    return -1;
  int near = off_nearest_producer(p, type), last = (int)p->g->n - 1;
  /* "compare a.jpg with b.jpg and read it (the result) aloud": the score made last, as text */
  if (type == BATON__T_TEXT && last >= 0 && (p->made[last]->outputs & BATON__T_JSON) &&
      off_is_role(p, st->task, R_SPEAK) && off_has_word(p, st->a, st->b, W_REFERENCE))
    near = last;
  int t = near >= 0 ? off_cue_index(p, p->made[near]) : -1;
  bool image = type == BATON__T_IMAGE;
  for (size_t i = (st->lead ? st->lead - 1 : st->a) + 1; /* "based on the summary, | ..." too */
       (image || type == BATON__T_TEXT) && i < st->b; i++)
    for (size_t k = p->g->n; (p->tok[i].skip || p->tok[i - 1].det) && k-- > 0;) /* a reference */
      if (off_produces(p, k, type) && !off_cue_word(p, &p->cues[st->task], i) &&
          (image ? off_cue_word(p, &p->cues[off_cue_index(p, p->made[k])], i)
                 : names_text(p, st, i, k)))
        return !image ? translated_last(p, st, (int)k)
               : off_is_role(p, t, R_EDIT) || off_is_role(p, t, R_TRANSFORM) ? near : (int)k;
  return near;
}

bool off_names_maker(const planner *p, size_t a, size_t b, const resource *r) {
  for (size_t i = a + 1; r->turn && r->maker && i < b; i++)
    if ((p->tok[i].skip || p->tok[i - 1].det) && off_is(p, i, W_MADE_THING) &&
        off_cue_word(p, &p->cues[r->maker - 1], i))
      return true;
  return false;
}

bool off_labels(const planner *p, const resource *r) {
  int by = r->maker - 1;
  if (!r->turn || by < 0 || !(r->type & BATON__T_TEXT))
    return false;
  if (p->cues[by].spec->inputs & (BATON__T_IMAGE | BATON__T_AUDIO))
    return !off_is_role(p, by, R_CAPTION) && !off_is_role(p, by, R_TRANSCRIBE) &&
           !off_answers(p, by);
  return off_is_role(p, by, R_CLASSIFY_TEXT) || off_is_role(p, by, R_FIND_ENTITIES);
}

/* What st sets aside of earlier turns' texts (set_aside()), read once a step. */
typedef enum { ASIDE_NONE, ASIDE_LABELS, ASIDE_DERIVED } aside_rule;

/* While there is another text: for a question naming neither "it" nor what made the text, labels,
 * summaries and translations (not into the language asked in) go aside ("who staffs the desk?"
 * after "summarize notes.txt": notes.txt says; its summary may not); for a step working on a text
 * and pointing at no label ("them", "that") nor speaking, labels. */
static aside_rule aside_of(const planner *p, const step *st) {
  bool pointed = off_has_word(p, st->a, st->b, W_PLURAL); /* "them", "that": the label */
  for (size_t i = st->a; i < st->b; i++)
    pointed |= off_is(p, i, W_DEMONSTRATIVE) && (i + 1 == st->b || off_is(p, i + 1, W_TARGET_PREP));
  if (off_answers(p, st->task) && !off_has_word(p, st->a, st->b, W_REFERENCE))
    return ASIDE_DERIVED;
  return off_is_role(p, st->task, R_SPEAK) || pointed ? ASIDE_NONE : ASIDE_LABELS;
}

/* Does `rule` set earlier turn's r aside for st (not when st names what made it)? */
static bool set_aside(const planner *p, const step *st, aside_rule rule, const resource *r) {
  int by = r->maker - 1;
  if (rule == ASIDE_NONE || !r->turn || by < 0 || off_names_maker(p, st->a, st->b, r))
    return false;
  if (rule == ASIDE_LABELS) /* and an answer, when there is its passage to sum up */
    return off_labels(p, r) || (off_is_role(p, st->task, R_SUMMARIZE) && off_answers(p, by));
  bool english = r->lang && strcmp(r->lang, p->lx->lang_codes[0]) == 0; /* asked in it */
  return off_labels(p, r) || off_is_role(p, by, R_SUMMARIZE) ||
         (off_is_role(p, by, R_TRANSLATE) && !english);
}

const step *off_step_holding(const planner *p, size_t i) {
  const step *e = p->steps;
  while (e < p->steps + p->n_steps && !(i >= e->a && i < e->b))
    e++;
  return e;
}

bool off_works_on_later(const planner *p, const step *st, const step *e, int r) {
  bool asked_of;
  return e < p->steps + p->n_steps && e->a >= st->b && e->task >= 0 && !e->context &&
         !e->split_tail && !p->tok[e->a].det && !p->res[r].asked &&
         !off_points_back(p, e, &asked_of);
}

/* Is text r, of the request, what a later clause of its own works on (off_works_on_later), at its
 * first naming, while st is only a verb and "it" (past asking words): no text "it" points at
 * ("summarize it and read 'hello' aloud"; not "summarize this text and translate it: 'x'")? */
static bool later_own_text(const planner *p, const step *st, int r) {
  size_t i = 0, a = off_past_asking(p, st->a, st->b);
  size_t b = off_words_end(p, a, st->b); /* "summarize it, | then ..." */
  if (a + 2 != b || !off_is(p, a + 1, W_REFERENCE) || off_is(p, a + 1, W_DEMONSTRATIVE))
    return false;
  while (i < p->n_tok && !(p->tok[i].kind == TK_RES && p->tok[i].res == r))
    i++;
  return i < p->n_tok && off_works_on_later(p, st, off_step_holding(p, i), r);
}

/* An unused resource of the type: the request's first, else earlier turns' newest (oldest when st
 * says "the original ..."), p->res holding them in that order, turns oldest first; of those, one
 * st names by what made it comes first ("summarize the transcript" after its translation); -1 if
 * none; of the request's pictures, a table for a step reading tables, else one that is none, first
 * (unused first, then used). Not a text in the language a translating step asks for ("translate
 * the transcript into Spanish" after its Spanish translation), nor one known to be in another
 * language than a step pointing at nothing names ("the English text"), nor, while there is
 * another, a picture a task of st's kind marked what it found on ("how many are there?" after
 * "find the people in x.jpg"), nor a text a later clause works on where st is only "summarize it"
 * (later_own_text). */
int off_first_unused(const planner *p, const step *st, unsigned type) {
  int at = off_placed_input(p, st, type);
  if (at != -1)
    return at < 0 ? -1 : at; /* (none past the last) */
  bool newest = !off_has_word(p, st->a, st->b, W_ORIGINAL), named = false; /* r's maker named */
  const char *tgt = NULL, *src, *said = off_has_word(p, st->a, st->b, W_REFERENCE) ? NULL
                                        : off_written_language(p, st->a, st->b); /* "the English */
  if (off_is_role(p, st->task, R_TRANSLATE)) /* text": not one known to be in another */
    off_find_languages(p, st->a, st->b, &tgt, &src);
  const baton__taskspec *s = p->cues[st->task].spec;
  bool marks = (s->inputs & s->outputs & BATON__T_IMAGE) && (s->outputs & BATON__T_TEXT);
  bool table = off_is_role(p, st->task, R_READ_TABLE) || off_is_role(p, st->task, R_ASK_TABLE);
  int r = -1, marked = -1, aside = -1; /* one set aside (set_aside()): the last resort */
  aside_rule rule = aside_of(p, st);
  for (int pass = 0; p->image_kind == IMG_TABLE && p->pictures > 1 && pass < 2; pass++)
    for (size_t i = 0; i < p->n_res; i++) /* "a photo x.jpg and a table image t.png" */
      if ((pass || !p->res[i].used) && (p->res[i].type & type & BATON__T_IMAGE) &&
          !p->res[i].turn && (p->res[i].kind == IMG_TABLE) == table)
        return (int)i;
  for (size_t i = 0; i < p->n_res; i++) {
    const char *lang = p->res[i].lang;
    if (p->res[i].used || !(p->res[i].type & type) || (tgt && lang && strcmp(lang, tgt) == 0) ||
        (said && lang && strcmp(lang, said) != 0) ||
        ((p->res[i].type & BATON__T_TEXT) && later_own_text(p, st, (int)i)))
      continue;
    if (marks && p->res[i].maker - 1 == st->task && (p->res[i].type & BATON__T_IMAGE)) {
      marked = (int)i;
      continue;
    }
    if (set_aside(p, st, rule, &p->res[i])) {
      aside = (int)i;
      continue;
    }
    bool n = off_names_maker(p, st->a, st->b, &p->res[i]) || (said && lang); /* or is in the
                                                                        * language st names */
    if (r < 0 || (p->res[r].turn && (n != named ? n : newest)))
      r = (int)i, named = n;
  }
  return r >= 0 ? r : marked >= 0 ? marked : aside;
}
