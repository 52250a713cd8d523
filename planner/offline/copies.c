/* copies.c — "draw three pictures of a cat": a drawing task made as many times as the step asks. */
#include "planner/offline/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: off_copies() takes the step just linked (its tasks from `first` on in p->g) and, when
 * its task draws (words in, a picture or a video out) and its words ask for a number of what it
 * draws ("three pictures", "2 logos", "four short videos": a number before the first word naming
 * a drawn thing, not one inside the thing drawn, "a man holding 3 posters"; one more for each "and
 * another one", "and another picture of it" after it; the last request asked again: as many as
 * the request asked, p->copies, if it said), adds copies of the drawing task until there are that
 * many, each with its own "seed" (1, 2, ... after a conversation's turns, a turn's own; one even
 * for one drawing asked again): a model given the same words and seed draws the same picture, and
 * a cache answers a repeated request with the one it kept. The copies are made together, so
 * "describe them" after asks of each. None, or more than OFF_MAX_COPIES, is refused.
 * off_copy_names() then numbers one name given to them all ("save them as cat.png": cat-1.png,
 * cat-2.png ...). */

#define OFF_MAX_COPIES 8

#define OFF_HUGE_COUNT 1000000L /* a figure past any sense, or past a long */

long off_number_at(const planner *p, size_t i) {
  const char *w = p->tok[i].word;
  size_t s = p->tok[i].start; /* "-2": a sign (not "1-3"), no count */
  if (s > 0 && p->req[s - 1] == '-' && (s == 1 || baton__space_byte(p->req[s - 2])))
    return -1;
  if (p->tok[i].kind == TK_WORD && isdigit((unsigned char)w[0])) {
    size_t n = strspn(w, "0123456789");
    return w[n] ? -1 : n > 6 ? OFF_HUGE_COUNT : strtol(w, NULL, 10);
  }
  const off_words *count = &p->lx->cls[W_COUNT];
  for (size_t k = 0; k < count->n && k < 10 && off_is(p, i, W_COUNT); k++)
    if (strcmp(count->words[k], w) == 0)
      return (long)k + 1;
  return -1;
}

/* How many things of what it draws st asks for: a number (token *at) before the first word naming
 * a drawn thing, when that is plural (token *to), at most two words between ("3 cute cat
 * pictures"); 1 when none. */
static long asked_count(const planner *p, const step *st, size_t *at, size_t *to) {
  size_t j = st->a;
  while (j < st->b && !off_is(p, j, W_PICTURE) && !off_is(p, j, W_MOVING) && !off_is(p, j, W_DRAWN))
    j++;
  size_t k = j; /* "poster designs": the last of a compound names it */
  while (k + 1 < st->b && (off_is(p, k + 1, W_PICTURE) || off_is(p, k + 1, W_DRAWN)))
    k++;
  if (j >= st->b || !baton__has_suffix_ci(p->tok[k].word, "s"))
    return 1;
  for (size_t i = j; i-- > st->a && i + 3 >= j;) {
    long n = off_number_at(p, i);
    if (n >= 0)
      return *at = i, *to = k, n;
    if (p->tok[i].kind != TK_WORD || p->tok[i].det || off_is(p, i, W_PREPOSITION))
      break;
  }
  return 1;
}

/* "a" or "an" before word: "an icon", "a unicorn logo", "an hour-long video". */
static const char *article(const char *word) {
  static const char *const an_h[] = {"hour", "honest", "honor", "honour", "heir"};
  for (size_t k = 0; k < sizeof an_h / sizeof *an_h; k++)
    if (!strncasecmp(word, an_h[k], strlen(an_h[k])))
      return "an";
  char c = (char)tolower((unsigned char)word[0]);
  if (!c || !strchr("aeiou", c))
    return "a";
  char d = (char)tolower((unsigned char)word[1]), e = (char)tolower((unsigned char)word[d ? 2 : 1]);
  bool you = c == 'u' && d && !strchr("aeiou", d) && e && strchr("aeiou", e) && d != 'n' &&
             d != 'g'; /* "a useful", "a unicorn"; "an ugly", "an umbrella" */
  you |= c == 'u' && d == 'n' && e == 'i';
  bool one = c == 'o' && d == 'n' && e == 'e'; /* "a one-off" */
  return !you && !one ? "an" : "a";
}

/* Task t's own words: its literal "text" argument, or NULL. */
static baton__arg *own_text(baton__task *t) {
  for (size_t k = 0; k < t->n_args; k++)
    if (!strcmp(t->args[k].name, "text") && t->args[k].ref < 0)
      return &t->args[k];
  return NULL;
}

/* Where task t's own words (its literal "text", into *text) hold the request's tokens [a, b) as
 * written (none misspelt), or NULL. */
static const char *text_holding(baton__task *t, const planner *p, size_t a, size_t b,
                                baton__arg **text) {
  *text = own_text(t);
  const char *s = p->req + p->tok[a].start, *from = NULL;
  size_t n = p->tok[b - 1].end - p->tok[a].start;
  bool written = true; /* (a misspelt word is there as read: "speech", not "speach") */
  for (size_t i = a; i < b; i++)
    written &= !p->tok[i].respelt;
  for (const char *q = written && *text ? (*text)->value : NULL; q && *q && !from; q++)
    from = strncmp(q, s, n) == 0 ? q : NULL;
  return from;
}

/* The drawing's words, each copy's, for one thing: "make 2 logos for my bakery" as "make a logo
 * for my bakery" (tokens at..to of the request, where the words hold them); 0, or -1. */
static int one_of_them(planner *p, baton__task *t, size_t at, size_t to) {
  baton__arg *text;
  const char *s = p->req + p->tok[at].start, *from = text_holding(t, p, at, to + 1, &text);
  size_t n = p->tok[to].end - p->tok[at].start, stem = p->tok[to].end - p->tok[to].start - 1;
  if (!from)
    return 0; /* the words are not there as written */
  const char *plural = p->req + p->tok[to].start, *mid = s + (p->tok[at].end - p->tok[at].start);
  stem -= stem > 2 && (baton__has_suffix_ci(p->tok[to].word, "ches") ||
                       baton__has_suffix_ci(p->tok[to].word, "shes") ||
                       baton__has_suffix_ci(p->tok[to].word, "xes")); /* "sketches" */
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%s%.*s%.*s%s", (int)(from - text->value), text->value,
                 article(mid[0] == ' ' ? mid + 1 : mid), (int)(plural - mid), mid, (int)stem,
                 plural, from + n);
  if (!baton__sb_ok(&sb))
    return baton__sb_release(&sb), -1;
  free(text->value);
  text->value = baton__sb_detach(&sb);
  return 0;
}

/* Appends a copy of task k with "seed" `seed` (none if negative), its words, arguments (but its
 * seed), dependencies and the languages it assumed (target_assumed, source_assumed: a copy of a
 * translation guessed so says so too); 0, or -1 out of memory. */
static int copy_task(planner *p, size_t k, long seed) {
  const baton__task *o = &p->g->tasks[k];
  baton__task t = {.id = (int)p->g->n, .task = baton__strdup(o->task),
                   .words = o->words ? baton__strdup(o->words) : NULL,
                   .target_assumed = o->target_assumed, .source_assumed = o->source_assumed};
  int rc = t.task && (t.words || !o->words) ? 0 : -1;
  for (size_t a = 0; rc == 0 && a < o->n_args; a++)
    if (strcmp(o->args[a].name, "seed") != 0)
      rc = baton__task_add_arg(&t, o->args[a].name, o->args[a].value, o->args[a].ref);
  for (size_t d = 0; rc == 0 && d < o->n_deps; d++)
    rc = baton__task_add_dep(&t, o->deps[d]);
  char s[24];
  snprintf(s, sizeof s, "%ld", seed);
  if (rc != 0 || (seed >= 0 && baton__task_add_arg(&t, "seed", s, -1) != 0) ||
      baton__graph_push(p->g, &t) != 0)
    return baton__task_release(&t), -1;
  size_t id = p->g->n - 1; /* (the push took t's members) */
  p->made[id] = p->made[k], p->marks[id] = p->marks[k];
  p->by_a[id] = p->by_a[k], p->by_b[id] = p->by_b[k];
  return 0;
}

bool off_draws(const planner *p, int task) {
  const baton__taskspec *spec = task >= 0 ? p->cues[task].spec : NULL;
  return spec && spec->inputs == BATON__T_TEXT &&
         (spec->outputs & (BATON__T_IMAGE | BATON__T_VIDEO));
}

/* The token past one "and another one" (", and two more", ", another picture of it") at token i,
 * how many it asks for in *n; or 0. */
static size_t another_one(const planner *p, size_t i, size_t b, long *n) {
  if (i >= b || !(off_is(p, i, W_JOINER) || off_punct(p, i, ",")))
    return 0;
  size_t k = i + 1;
  k += off_punct(p, i, ",") && k < b && off_is(p, k, W_JOINER); /* ", and another one" */
  *n = k + 1 < b && off_is(p, k + 1, W_MORE) ? off_number_at(p, k) : -1; /* "two more" */
  bool more = *n > 0;
  if (!more && !(k < b && off_is(p, k, W_FRESH) && !strcmp(p->tok[k].word, "another")))
    return 0;
  k += more ? 2 : 1;
  if (!more) /* "another (two)" */
    *n = k < b && off_number_at(p, k) > 0 ? off_number_at(p, k++) : 1;
  if (k < b && (off_is(p, k, W_PICTURE) || off_is(p, k, W_DRAWN))) {
    bool of_it = k + 2 < b && off_is(p, k + 1, W_PREPOSITION) && off_is(p, k + 2, W_REFERENCE);
    k += of_it ? 3 : 1; /* "another picture (of it)", "two more pictures" */
  }
  return k;
}

size_t off_another_at(const planner *p, size_t i, size_t b, long *n) {
  size_t k = 0;
  long c;
  for (*n = 0; (i = another_one(p, i, b, &c)) != 0; *n += c)
    k = i; /* "and another one and another two" */
  while (k && k < b && (off_is(p, k, W_ASKING) ||
                        (off_punct(p, k, ",") && k + 1 < b && off_is(p, k + 1, W_ASKING))))
    k++; /* "... and another one please", "..., please" */
  bool ends = k == b || off_punct(p, k, ".!?;,") || (k + 1 == b && off_is(p, k, W_JOINER));
  if (!k || !ends) /* (a step may end on "and": "..., and save them as cat.png") */
    k = 0, *n = 0;
  return k;
}

/* How many more the request asks for right after st's words, or at their end ("draw a cat and
 * another one"): then [*cut, *end) are those words in st's (else *cut is st->b). */
static long asked_more(const planner *p, const step *st, size_t *cut, size_t *end) {
  long n = 0;
  *cut = st->b;
  for (size_t i = st->a + 1; i < st->b; i++) {
    size_t e = *end = off_another_at(p, i, st->b, &n);
    while (e && e < st->b && (off_is(p, e, W_JOINER) || off_punct(p, e, ".!?;,")))
      e++; /* (a step may end on the comma or "and" after them) */
    if (e == st->b) {
      while (i > st->a + 1 && (off_is(p, i - 1, W_JOINER) || off_punct(p, i - 1, ",")))
        i--; /* "and also another one" */
      return *cut = i, n;
    }
  }
  return off_another_at(p, st->b, p->n_tok, &n) ? n : 0;
}

/* Cuts task t's words before the request's tokens [cut, end) ("a cat and another one": "a cat"). */
static void cut_words(planner *p, baton__task *t, size_t cut, size_t end) {
  const char *s = p->req + p->tok[cut].start;
  size_t n = p->tok[end - 1].end - p->tok[cut].start;
  baton__arg *text = own_text(t);
  char *v = text ? text->value : NULL, *at = NULL;
  for (char *q = v; q && *q; q++) /* the last: "draw a dog and one more bone, and one more" */
    at = strncmp(q, s, n) == 0 ? q : at;
  while (at && at > v && (at[-1] == ' ' || at[-1] == ','))
    at--;
  if (at && at > v)
    *at = '\0';
}

/* "Draw a cat and a dog, then compare them": does st draw two things, each after "a" (the first
 * its first but "an image", one or two words, no preposition), joined by its one "and", that the
 * next step compares as several ("them", "both")? Then at[0] is where the first starts, at[1]
 * the "and", at[2] the end of the second. */
static bool two_compared(const planner *p, const step *st, size_t at[3]) {
  const step *next = st + 1 < p->steps + p->n_steps ? st + 1 : NULL;
  size_t joins = 0, x = st->a, and = 0, e = st->b;
  while (e > st->a && p->tok[e - 1].kind == TK_PUNCT)
    e--; /* "draw a cat and a dog, | then ..." */
  for (size_t i = st->a; i < e; i++)
    joins += off_is(p, i, W_JOINER) ? (and = i, 1) : 0;
  while (joins == 1 && x < and && (!off_is(p, x, W_INDEFINITE) || off_is(p, x + 1, W_PICTURE)))
    x++; /* "an image of | a cat" */
  if (!next || joins != 1 || x + 1 >= and || and > x + 3 || and + 2 > e ||
      !off_is(p, and + 1, W_INDEFINITE) || !off_is_role(p, next->task, R_COMPARE_TEXTS) ||
      !off_has_word(p, next->a, next->b, W_PLURAL) || off_own_types(p, next->a, next->b))
    return false;
  for (size_t i = x + 1; i < e; i++)
    if (p->tok[i].kind != TK_WORD || (i < and && off_is(p, i, W_PREPOSITION)))
      return false;
  return at[0] = x, at[1] = and, at[2] = e, true;
}

/* Cuts the words of two things (at[], two_compared), which drawing task k's own text holds from
 * its byte `off` on (text_holding), to the first ("draw a cat and a dog": "draw a cat") or the
 * second: "draw a dog"; 0, or -1 out of memory. */
static int one_thing(planner *p, size_t k, const size_t at[3], size_t off, bool second) {
  baton__arg *text = own_text(&p->g->tasks[k]);
  const char *from = text->value + off;
  size_t a = second ? at[1] + 1 : at[0], e = second ? at[2] : at[1];
  size_t n = p->tok[at[2] - 1].end - p->tok[at[0]].start;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%.*s%s", (int)(from - text->value), text->value,
                 (int)(p->tok[e - 1].end - p->tok[a].start), p->req + p->tok[a].start, from + n);
  if (!baton__sb_ok(&sb))
    return baton__sb_release(&sb), -1;
  free(text->value);
  text->value = baton__sb_detach(&sb);
  return 0;
}

int off_copies(planner *p, const step *st, size_t first) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  if (!off_draws(p, st->task))
    return 0;
  size_t at = 0, to = 0, cut, end = 0, k = p->g->n, two[3];
  while (k > first && p->made[k - 1] != spec)
    k--;
  baton__arg *text;
  const char *from = k > first && two_compared(p, st, two)
                         ? text_holding(&p->g->tasks[k - 1], p, two[0], two[2], &text) : NULL;
  size_t off = from ? (size_t)(from - text->value) : 0; /* (the copy's words are the same) */
  if (from) /* a drawing of each */
    return copy_task(p, k - 1, -1) != 0 || one_thing(p, k - 1, two, off, false) != 0 ||
           one_thing(p, p->g->n - 1, two, off, true) != 0
               ? (baton__fmt(p->err, p->errlen, OFF_OOM), -1) : 0;
  long n = asked_count(p, st, &at, &to), counted = n; /* "another one" of three: one */
  n = counted ? (p->copies ? p->copies : n) + asked_more(p, st, &cut, &end) : 0;
  if (n > OFF_MAX_COPIES || n == 0)
    return baton__fmt(p->err, p->errlen, "the request asks for %s%ld drawings of one kind; %s%d are"
                      " made at once", n == OFF_HUGE_COUNT ? "over " : "", n,
                      n ? "at most " : "one to ", OFF_MAX_COPIES), -1;
  /* a drawing asked again: a new seed, a new one (not one the repeat's own steps ask: "do the
   * same for b.jpg and draw it" after a caption) */
  if ((n < 2 && !(p->repeat && off_drawn_last(p))) || k-- == first)
    return 0;
  if (p->g->n + (size_t)n - 1 > OFF_MAX_TASKS)
    return baton__fmt(p->err, p->errlen, "the request asks for over %d tasks", OFF_MAX_TASKS), -1;
  long base = (long)p->turns * OFF_MAX_COPIES; /* "2 more pictures" next turn: new seeds */
  char one[24];
  snprintf(one, sizeof one, "%ld", base + 1);
  if (cut < st->b)
    cut_words(p, &p->g->tasks[k], cut, end);
  if ((counted > 1 && one_of_them(p, &p->g->tasks[k], at, to) != 0) ||
      baton__task_add_arg(&p->g->tasks[k], "seed", one, -1) != 0)
    return baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  for (long c = 2; c <= n; c++)
    if (copy_task(p, k, base + c) != 0)
      return baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  return 0;
}

/* Sets task t's argument `name` to value (added if absent); 0, or -1. */
static int set_arg(baton__task *t, const char *name, const char *value) {
  for (size_t a = 0; a < t->n_args; a++)
    if (!strcmp(t->args[a].name, name)) {
      char *v = baton__strdup(value);
      return v ? (free(t->args[a].value), t->args[a].value = v, 0) : -1;
    }
  return baton__task_add_arg(t, name, value, -1);
}

int off_copy_names(planner *p, size_t first) {
  size_t copies[OFF_MAX_TASKS], n = 0, named = 0;
  const char *name = NULL;
  for (size_t k = first; k < p->g->n; k++)
    if (baton__task_literal(&p->g->tasks[k], "seed") && n < OFF_MAX_TASKS) {
      copies[n++] = k;
      const char *s = baton__task_literal(&p->g->tasks[k], BATON__ARG_SAVE_AS);
      named += s != NULL, name = s ? s : name;
    }
  if (named != 1 || n < 2)
    return 0; /* none named, or each its own name */
  char *given = baton__strdup(name); /* (set_arg() frees the name it replaces) */
  const char *dot = given ? strrchr(given, '.') : NULL;
  int rc = given ? 0 : -1, stem = (int)(dot ? dot - given : given ? (int)strlen(given) : 0);
  int room = BATON__SAVE_AS_MAX - 2 - (int)strlen(dot ? dot : "");
  for (size_t c = 0; rc == 0 && c < n; c++) {
    char numbered[BATON__SAVE_AS_MAX + 16]; /* within the limit: the stem cut to make room */
    snprintf(numbered, sizeof numbered, "%.*s-%zu%s", stem < room ? stem : room, given, c + 1,
             dot ? dot : "");
    rc = set_arg(&p->g->tasks[copies[c]], BATON__ARG_SAVE_AS, numbered);
  }
  free(given);
  return rc == 0 ? 0 : (baton__fmt(p->err, p->errlen, OFF_OOM), -1);
}
