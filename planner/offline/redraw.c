/* redraw.c — a drawing asked for anew: "draw another one", "now a dog", "draw it again with a hat". */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "planner/conversation.h"
#include "core/banned.h"

/* Contract: after a turn that drew, off_draws_again() says whether the request asks for that
 * drawing anew and off_copies_asked() how many; off_added_at() finds where the words the request
 * adds begin; off_subject_swapped() and off_thing_swapped() put a new subject ("now a dog") in
 * place of the one the last request drew (its words to off_drawing_end() kept). They read p and
 * the last request's text only; again.c and history.c build the request asked anew from them. */

int off_drawn_last(const planner *p) {
  for (const resource *r = p->res; r < p->res + p->n_res; r++)
    if (r->turn && r->turn == p->last_turn && r->maker && off_draws(p, r->maker - 1))
      return r->maker;
  return 0;
}

const char *off_drawing_end(const planner *p, const char *asked, const taskcue *c) {
  static const off_class saving[] = {W_SAVING, W_CALLING, W_PUTTING};
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *end = NULL, *cut = NULL, *s, *at = asked;
  bool drew = false;
  for (size_t n; (s = off_next_word(&at, &n, w, stem)); end = s + n) {
    bool mark = end && strcspn(end, ",;.!?") < (size_t)(s - end);
    bool joins = off_words_has(&p->lx->cls[W_JOINER], stem, true);
    bool then = off_words_has(&p->lx->cls[W_HARD_BREAK], stem, true);
    bool saves = off_words_in(p->lx, saving, sizeof saving / sizeof *saving, stem, true);
    cut = drew && (mark || joins || then) && !cut ? end : cut;
    if (cut && (then || (!joins && (saves || off_words_ask(p, &stem, 1)))))
      return cut; /* a step of its own follows */
    cut = joins || mark ? cut : NULL;
    drew |= off_cue_says(c, stem);
  }
  return asked + off_unstopped(asked);
}

/* "A dog | this time", "a dog | instead": where the words saying a thing replaces the last begin
 * in `at` (with "this" before "time"; not "a clock showing the time", "now a time machine"), or
 * NULL. */
static const char *instead_at(const planner *p, const char *at) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *lead = NULL, *s;
  for (size_t n; (s = off_next_word(&at, &n, w, stem));) {
    if (off_words_has(&p->lx->cls[W_INSTEAD], w, false))
      return s;
    if (lead && off_words_has(&p->lx->cls[W_OCCASION], w, false))
      return lead;
    lead = off_words_has(&p->lx->cls[W_REFERENCE], w, false) ? s : NULL;
  }
  return NULL;
}

/* Where the thing the last request `asked` draws begins: its first word past a word of the
 * drawing's (c's) cue and the determiners after it ("draw | a | cat", "make a picture of | a |
 * cat"), before `end`; *lead: where those determiners begin (NULL: none). NULL if none. */
static const char *drawn_thing(const planner *p, const char *asked, const char *end,
                               const char **lead) {
  const taskcue *c = &p->cues[off_drawn_last(p) - 1];
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  bool drew = false;
  const char *s;
  *lead = NULL;
  for (size_t n; (s = off_next_word(&asked, &n, w, stem)) && s < end;) {
    bool det = off_words_has(&p->lx->cls[W_DETERMINER], w, false), cue = off_cue_says(c, stem);
    if (drew && !det && !cue)
      return s;
    *lead = det ? (*lead ? *lead : s) : NULL;
    drew |= cue;
  }
  return NULL;
}

/* "A green | one" (its words before `end`): the "one" ending `thing` after words of its own, or
 * NULL. */
static const char *one_at(const planner *p, const char *thing, const char *end) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *s, *last = NULL;
  size_t words = 0;
  for (size_t n; (s = baton__conversation_word(&thing, &n)) && s < end; words++)
    off_make_word(s, n, w, stem), last = s;
  return words > 2 && !strcmp(w, p->lx->cls[W_COUNT].words[0]) ? last : NULL;
}

/* "Red | car", "cat": where the last word of a drawn thing in [from,end) begins, where it is three
 * words at most, none a function word, preposition, "-ing" form or number ("a car"; not "a cat
 * with a hat", "a cat sleeping"): what the thing is, the words before saying how it looks; or
 * NULL. */
static const char *plain_head(const planner *p, const char *from, const char *end) {
  static const off_class function[] = {W_STOPWORD, W_PREPOSITION, W_DETERMINER, W_JOINER};
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *s, *last = NULL;
  size_t words = 0;
  for (size_t n; from && (s = off_next_word(&from, &n, w, stem)) && s < end; last = s)
    if (++words > 3 || off_words_in(p->lx, function, 4, w, false) || off_ing_word(w) ||
        strpbrk(w, "0123456789"))
      return NULL;
  return last;
}

/* "A blue | one", "a wooden | one" (`one` after words of their own from `thing`): does the word
 * before it say how a thing looks (a hue, a size, a style, a material, a word ending as lexicon's
 * looks_ending do), not what it is ("a dog one")? */
static bool says_looks(const planner *p, const char *thing, const char *one) {
  static const off_class how[] = {W_HUE, W_MEASURED, W_MEASURE, W_PAINTED, W_SIZING, W_MATERIAL};
  char w[OFF_MAX_WORD] = "", stem[OFF_MAX_WORD];
  const char *s;
  for (size_t n; (s = baton__conversation_word(&thing, &n)) && s < one;)
    off_make_word(s, n, w, stem);
  return off_words_in(p->lx, how, sizeof how / sizeof *how, w, false) ||
         off_words_ends(&p->lx->cls[W_LOOKS_ENDING], w);
}

/* The last word of the plain thing (plain_head) the last request `asked` draws, or NULL. */
static const char *drawn_head(const planner *p, const char *asked) {
  const char *end = off_drawing_end(p, asked, &p->cues[off_drawn_last(p) - 1]), *lead;
  return plain_head(p, drawn_thing(p, asked, end, &lead), end);
}

bool off_subject_swapped(const planner *p, const char *thing) {
  static const off_class other[] = {W_COUNT,   W_DRAWN,  W_PICTURE,     W_REFERENCE,  W_BACKGROUND,
                                    W_MEASURE, W_IS_ARE, W_WRITTEN,     W_UNDRAWN,    W_MODEL,
                                    W_ALIKE,   W_FRESH,  W_TARGET_NOUN, W_RECIPROCAL, W_CONTRAST};
  static const off_class saving[] = {W_SAVING, W_CALLING, W_PUTTING};
  static const off_class joining[] = {W_JOINER, W_HARD_BREAK};
  const char *cut = instead_at(p, thing), *end = thing + off_unstopped(thing), *s, *at = thing;
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  size_t words = 0, n;
  end = cut ? cut : end;
  if (strcspn(thing, ",;:") < (size_t)(end - thing))
    return false; /* "a dog, but in blue" */
  const char *one = one_at(p, thing, end);
  if (one && !drawn_head(p, p->asked))
    return false; /* "a green one" after "draw a cat sleeping" */
  for (; (s = off_next_word(&at, &n, w, stem)) && s < end; words++)
    if ((s != one && off_words_in(p->lx, other, sizeof other / sizeof *other, w, false)) ||
        strpbrk(w, "0123456789") || off_format_word(w) || baton__type_from_name(w))
      return false;
  const taskcue *c = &p->cues[off_drawn_last(p) - 1];
  bool drew = false, joined = false; /* past the drawing's words: "and save it as k.png" only */
  for (at = p->asked, end = NULL; words > 1 && (s = off_next_word(&at, &n, w, stem));) {
    bool joins = (end && strcspn(end, ",;.!?") < (size_t)(s - end)) ||
                 off_words_in(p->lx, joining, 2, stem, true);
    if (off_file_type(s, n) || (joined && !joins))
      return joined && !joins && off_words_in(p->lx, saving, 3, stem, true);
    joined |= drew && joins;
    drew |= off_cue_says(c, stem);
    end = s + n;
  }
  return words > 1;
}

char *off_thing_swapped(const planner *p, const char *asked, const char *thing) {
  const char *end = off_drawing_end(p, asked, &p->cues[off_drawn_last(p) - 1]), *lead;
  const char *cut = instead_at(p, thing), *s = drawn_thing(p, asked, end, &lead);
  int len = cut ? (int)(cut - thing) : off_unstopped(thing);
  if (!s)
    return off_joined(asked, off_unstopped(asked), " and ", thing, len);
  const char *one = one_at(p, thing, thing + len), *head = one ? drawn_head(p, asked) : NULL;
  int kept = head ? (int)(one - thing) : len;
  size_t n = 0;
  if (head && !says_looks(p, thing, one)) { /* "a dog one": a dog in the old thing's place */
    baton__conversation_word(&(const char *){head}, &n);
    while (kept > 0 && thing[kept - 1] == ' ')
      kept--;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%.*s%s", (int)((lead ? lead : s) - asked), asked, kept, thing,
                 head ? head + n : end);
  return baton__sb_detach(&sb);
}

/* Is token i a word of the last request ("the cat" after "draw a cat")? */
static bool asked_word(const planner *p, size_t i) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  size_t n;
  for (const char *at = p->asked, *s; at && (s = off_next_word(&at, &n, w, stem));)
    if (!strcmp(stem, p->tok[i].stem))
      return true;
  return false;
}

/* After a drawing, does token i only ask for it or point at it ("draw | it | again", "can | you |
 * draw | the cat | again", "I want another one", "give me another one", "the same but ..."): a
 * word of the drawing's cue, a picture, a reference, or a word of the last request not after
 * "another" ("draw another cat": a new thing)? */
static bool names_drawing(const planner *p, size_t i, int drew) {
  static const off_class asking[] = {W_REFERENCE, W_PICTURE, W_YOU, W_SUBJECT, W_HANDING,
                                     W_CONTRAST};
  const token *t = &p->tok[i];
  return drew && t->kind == TK_WORD &&
         (t->det || off_is_any(p, i, asking, sizeof asking / sizeof *asking) ||
          off_keyword_score(p, &p->cues[drew - 1], i, i + 1) > 0 ||
          (asked_word(p, i) && !(i > 0 && off_is(p, i - 1, W_FRESH))));
}

/* Do tokens from i on name no file but one to save to ("with a hat and save it as h.png")? */
static bool names_no_input(const planner *p, size_t i) {
  while (i < p->n_tok && (p->tok[i].kind != TK_RES || off_saved_name(p, i, 0)))
    i++;
  return i == p->n_tok;
}

size_t off_added_at(const planner *p, bool *copies) {
  long n;
  for (size_t i = 1, k; off_drawn_last(p) && i < p->n_tok; i++) {
    if ((*copies = off_another_at(p, i, p->n_tok, &n) != 0))
      return i;
    for (k = i; k > 1 && off_punct(p, k - 1, ","); k--)
      ; /* "again, with a hat" */
    bool changed = off_is(p, k - 1, W_AGAIN) || off_is(p, k - 1, W_CONTRAST);
    bool joins = off_is(p, i, W_JOINER) || off_punct(p, i, ",");
    bool cue = off_has_cue(p, i + 1, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]), then = joins && cue;
    bool but = off_is(p, k - 1, W_AGAIN) && off_is(p, i, W_CONTRAST) && i + 1 < p->n_tok &&
               p->tok[i + 1].kind == TK_WORD && !off_is(p, i + 1, W_PREPOSITION) &&
               !cue; /* "| but blue" */
    if ((i + 1 < p->n_tok && off_saves_at(p, i + 1) && joins) ||
        (changed && (off_is(p, i, W_PREPOSITION) || then || but) && names_no_input(p, i) &&
         !off_language_asked(p)))
      return i;
  }
  return p->n_tok;
}

bool off_asks_another(const planner *p) {
  static const off_class asking[] = {W_FRESH, W_CAUSATIVE, W_COUNT, W_US};
  bool copies = false, fresh = false;
  size_t end = off_added_at(p, &copies);
  int drew = end <= OFF_MAX_AGAIN ? off_drawn_last(p) : 0; /* (each word looked for in the last) */
  for (size_t i = 0; p->asked && i < end; i++) {
    const token *t = &p->tok[i];
    bool more = i > 0 && off_is(p, i, W_MORE) && off_number_at(p, i - 1) > 0; /* "2 more" */
    bool counts = off_number_at(p, i) > 0 && /* "2 more", "another 2" */
                  ((i + 1 < end && off_is(p, i + 1, W_MORE)) ||
                   (i > 0 && off_is(p, i - 1, W_FRESH)));
    fresh |= more || off_is(p, i, W_FRESH) || (drew && off_is(p, i, W_AGAIN));
    if (t->kind == TK_RES || (t->kind == TK_WORD && !more && !counts && !off_spare(p, t->word) &&
                              !off_is_any(p, i, asking, sizeof asking / sizeof *asking) &&
                              !names_drawing(p, i, drew)))
      return false;
  }
  return p->asked && (fresh || copies);
}

bool off_draws_again(const planner *p) {
  return !p->repeat && off_drawn_last(p) && off_asks_another(p);
}

long off_copies_asked(const planner *p) {
  bool copies;
  size_t end = off_drawn_last(p) && off_asks_another(p) ? off_added_at(p, &copies) : 0;
  for (size_t i = 0; i < end; i++) /* "another (two)", "two more" */
    if (off_is(p, i, W_FRESH) || (off_is(p, i, W_MORE) && i > 0 && off_number_at(p, i - 1) > 0))
      return !off_is(p, i, W_FRESH) ? off_number_at(p, i - 1)
             : i + 1 < end && off_number_at(p, i + 1) > 0 ? off_number_at(p, i + 1) : 1;
  return 0;
}
