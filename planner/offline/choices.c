/* choices.c — a classifier's choices: the labels a request lists, and the kind they ask for. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_choices() reads the last list of one-word items a range of tokens holds ("a cat or
 * a dog", "as sports, politics, or science", "labels: a, b, c") as a classifier's choices, written
 * as executors read labels ("cat,dog"); off_by_choices() gives a step the zero-shot kind when it
 * lists choices after "as" or "into" and one can run, and a kind that needs no choices when it
 * lists none: no zero-shot task is ever planned without labels; off_only_choices() whether some
 * words are such a list and no more ("happy or sad?"), off_lists_languages() whether the list
 * names languages ("French or Spanish?"). None changes the planner. */

/* Can token i be one of a classifier's choices: a word, not a determiner, stopword, "or", a made
 * thing ("classify it into a category or label": no choices named), courtesy ("... or a dog
 * thanks") nor a file format ("output as json or xml")? */
static bool choice_word(const planner *p, size_t i) {
  return p->tok[i].kind == TK_WORD && !p->tok[i].det && !off_is(p, i, W_STOPWORD) &&
         !off_is(p, i, W_ALTERNATIVE) && !off_is(p, i, W_MADE_THING) &&
         !off_is(p, i, W_COURTESY) && !off_format_word(p->tok[i].word);
}

/* The items of the list in [a,j] ending at token j ("a cat or a dog", "sports, politics, or
 * science", "labels: sports, politics and science"): one word each, a determiner before it left
 * out, "or" before the last or the list after a word for labels; their tokens into at[] in order,
 * their count (0: no list, or an item of more words: "a red car or a blue truck"); *start: the
 * list's first token. */
static size_t list_at(const planner *p, size_t a, size_t j, size_t *at, size_t *start) {
  size_t back[OFF_MAX_CHOICES], n = 0, e = j + 1;
  bool either = false;
  while (n < OFF_MAX_CHOICES && e > a && choice_word(p, e - 1)) {
    size_t w = e - 1, s = w - (w > a && p->tok[w - 1].det), k = s;
    if (s == w && s > a && choice_word(p, s - 1))
      return 0; /* "a red car or ..." */
    back[n++] = w, *start = s;
    k -= k > a && (off_is(p, k - 1, W_ALTERNATIVE) || off_is(p, k - 1, W_JOINER));
    either |= n == 1 && k < s && off_is(p, k, W_ALTERNATIVE);
    k -= k > a && off_punct(p, k - 1, ","); /* "a cat, | a dog", "a cat, or | a dog" */
    if (k == s)
      break;
    e = k;
  }
  size_t lead = *start - (*start > a + 1 && off_punct(p, *start - 1, ":"));
  if (n < 2 || !(either || (lead > a && off_is(p, lead - 1, W_TASK_NOUN))))
    return 0;
  for (size_t k = 0; k < n; k++)
    at[k] = back[n - 1 - k];
  return n;
}

/* The tokens of the last list of choices in [a,b) into at[] (not one in brackets: "(such as
 * ...)"), their count (0: none); *start: the list's first token. */
static size_t choices_at(const planner *p, size_t a, size_t b, size_t *at, size_t *start) {
  size_t n = 0;
  for (size_t j = b; !n && j-- > a;)
    n = choice_word(p, j) && (j + 1 >= b || !choice_word(p, j + 1)) &&
        p->req[p->tok[j].end] != ')' ? list_at(p, a, j, at, start) : 0;
  return n;
}

bool off_only_choices(const planner *p, size_t a, size_t b) {
  size_t at[OFF_MAX_CHOICES], start = b, n;
  b = off_words_end(p, a, b);
  return (n = choices_at(p, a, b, at, &start)) > 0 && start == a && at[n - 1] + 1 == b;
}

bool off_lists_languages(const planner *p, size_t a, size_t b) {
  size_t at[OFF_MAX_CHOICES], start = b, n = choices_at(p, a, b, at, &start), k = 0;
  while (k < n && off_language_at(p, at[k]))
    k++;
  return n > 0 && k == n;
}

char *off_choices(const planner *p, size_t a, size_t b, size_t *start) {
  size_t at[OFF_MAX_CHOICES], n = choices_at(p, a, b, at, start);
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t k = 0; k < n; k++) {
    char *w = off_span_text(p, at[k], at[k] + 1);
    if (w)
      baton__sb_addf(&sb, "%s%s", k ? "," : "", w);
    free(w);
  }
  return sb.len ? baton__sb_detach(&sb) : (baton__sb_release(&sb), NULL);
}

/* "Label the image photo.jpg as ...", not "label the cars in photo.jpg as ...": do the words
 * before token k (after a) end in the picture itself, no preposition before it? */
static bool labels_picture(const planner *p, size_t a, size_t k) {
  bool seen = false;
  for (; k > a && (p->tok[k - 1].det || off_is(p, k - 1, W_PICTURE) ||
                   off_res_at(p, k - 1, BATON__T_IMAGE) >= 0); k--)
    seen |= !p->tok[k - 1].det;
  return seen && !(k > a && off_is(p, k - 1, W_PREPOSITION));
}

/* A classifier as the choices st lists say: one given them for choices after "as", "into"
 * ("classify notes.txt as sports, politics or science", "label photo.jpg as indoor or outdoor")
 * where one can run, in place of a text's classifier or a detector (a picture's classifier stays:
 * "classify it as indoor or outdoor" is one in TaskBench's plans); for a classifier needing
 * choices given none, a question put ("is it a cat?"), else the best other kind ("do zero-shot
 * classification of notes.txt"), if any (a plain classifier for one needing choices too). */
int off_by_choices(const planner *p, const step *st, unsigned avail) {
  int t = st->task;
  bool text = t >= 0 && (off_is_role(p, t, R_CLASSIFY_TEXT) || off_is_role(p, t, R_LABEL_TEXT));
  bool detect = t >= 0 && off_is_role(p, t, R_DETECT);
  int given = p->role[text ? R_LABEL_TEXT : R_LABEL_PICTURE];
  if (!text && !detect && t != given)
    return t;
  size_t at = st->a;
  size_t items[OFF_MAX_CHOICES];
  bool listed = choices_at(p, st->a, st->b, items, &at) > 0;
  double sc; /* none listed: a question asked ("is it a cat?"), else the best other kind, not */
  if (!listed && t == given && off_is_question(p, st->a, st->b)) /* another needing choices */
    return p->role[text ? R_ASK_TEXT : R_ASK_PICTURE];
  int other = !listed && t == given
              ? off_best_task_min(p, st->a, st->b, avail, p->lx->w[K_ACCEPT_FALLBACK], t, &sc) : t;
  unsigned own = other < 0 ? off_own_types(p, st->a, st->b) : 0; /* none other: a classifier */
  if (!listed && other < 0) /* of what it names ("is x.jpg a cat or a dog lol"), if any */
    return own & BATON__T_IMAGE ? p->role[R_CLASSIFY_PICTURE]
           : own & BATON__T_TEXT ? p->role[R_CLASSIFY_TEXT] : -1;
  if (!listed)
    return off_needs_choices(p, other) ? p->role[text ? R_CLASSIFY_TEXT : R_CLASSIFY_PICTURE]
                                       : other;
  bool as = at > st->a && off_is(p, at - 1, W_DESTINATION) &&
            (!detect || labels_picture(p, st->a, at - 1));
  return as && p->cues[given].runnable ? given : t;
}

