/* lex.c — request text to tokens and resources: words, quotes, file names; word classes of the lexicon. */
#include "planner/offline/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/quote.h"
#include "core/text.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "core/banned.h"

/* Contract: off_tokenize() takes p->req and gives p->tok (lower-cased, lightly stemmed words,
 * punctuation, one token per resource; words naming a file marked) and p->res (quoted texts and
 * file names, typed by extension): 0, -1 out of memory, -2 too many tokens (off_add_resource: -2
 * too many resources). Nothing here knows any task; the word classes come from the lexicon. */

#define SPACES " \t\n\v\f\r"

/* The end of the word at s[i] (i if none): letters and digits, `inner` marks between them (a ';'
 * only after one or two: "tl;dr", not "notes.txt;summarize"). */
static size_t word_end(const char *s, size_t i, size_t n, const char *inner) {
  size_t j = i;
  while (j < n && (baton__word_byte(s[j]) || (j > i && j + 1 < n && s[j] && strchr(inner, s[j]) &&
                                           (s[j] != ';' || j - i <= 2) &&
                                           baton__word_byte(s[j + 1]))))
    j++;
  return j;
}

/* Lower-cases src[0..n) into dst and stems it lightly into st: "summarizing", "summarized" meet. */
void off_make_word(const char *src, size_t n, char *dst, char *st) {
  n = n < OFF_MAX_WORD ? n : OFF_MAX_WORD - 1;
  baton__lower_copy(dst, src, n);
  n = baton__fold_apostrophe(dst); /* "what’s" is "what's" */
  memcpy(st, dst, n + 1);
  if (n > 4 && (baton__has_suffix_ci(st, "ies") || baton__has_suffix_ci(st, "ied")))
    st[(n -= 2) - 1] = 'y'; /* "stories", "modified": "story", "modify"; nothing below changes */
  else if (n > 5 && baton__has_suffix_ci(st, "ing"))
    n -= 3;
  else if (n > 4 && (baton__has_suffix_ci(st, "ed") || baton__has_suffix_ci(st, "es")))
    n -= 2;
  else if (n > 3 && st[n - 1] == 's' && !strchr("sui", st[n - 2]))
    n -= 1;
  if ((n + 2 <= strlen(dst) && st[n - 1] == st[n - 2] && !strchr("aeiouylnsz", st[n - 1])) ||
      (n > 4 && st[n - 1] == 'e'))
    n -= 1; /* a doubled consonant ("flipped", "cropping"), else a final 'e' ("create") */
  st[n] = '\0';
}

const char *off_next_word(const char **at, size_t *n, char *w, char *stem) {
  const char *s = baton__conversation_word(at, n);
  if (s)
    off_make_word(s, *n, w, stem);
  return s;
}

bool off_ing_word(const char *w) { return strlen(w) > 4 && baton__has_suffix_ci(w, "ing"); }

bool off_is(const planner *p, size_t i, off_class c) {
  return p->tok[i].kind == TK_WORD && (p->tok[i].cls[c / 64] >> (c % 64) & 1u);
}

bool off_is_any(const planner *p, size_t i, const off_class *cs, size_t n) {
  while (n && !off_is(p, i, cs[n - 1]))
    n--;
  return n > 0;
}

bool off_punct(const planner *p, size_t i, const char *chars) {
  return p->tok[i].kind == TK_PUNCT && strchr(chars, p->tok[i].stem[0]) != NULL;
}

bool off_has_word(const planner *p, size_t a, size_t b, off_class c) {
  while (a < b && !off_is(p, a, c))
    a++;
  return a < b;
}

size_t off_called(const planner *p, size_t i, size_t lo) {
  size_t c = i;
  while (c > lo + 1 && c + 3 > i && (p->tok[c - 1].det || off_is(p, c - 1, W_REFERENCE) ||
                                     off_is(p, c - 1, W_MADE_THING)))
    c--;
  return c < i && off_is(p, c - 1, W_CALLING) ? c : 0;
}

bool off_saves_at(const planner *p, size_t k) {
  size_t d = k + 1 + (k + 2 < p->n_tok && p->tok[k + 1].det);
  return off_is(p, k, W_SAVING) || off_punct(p, k, ">") ||
         (off_is(p, k, W_PUTTING) && d < p->n_tok &&
          (off_is(p, d, W_REFERENCE) || off_is(p, d, W_MADE_THING)));
}

bool off_saved_name(const planner *p, size_t i, size_t lo) {
  size_t w = 0; /* 1 + the last "save" up to seven words back */
  for (size_t k = off_back(i, 7, lo); k < i; k++)
    w = off_saves_at(p, k) ? k + 1 : w;
  bool put = w && off_is(p, w - 1, W_PUTTING); /* "put it in i", not "put it (next) to i" */
  return off_called(p, i, lo) || (i > 0 && off_punct(p, i - 1, ">")) || /* "-> b.png" */
         (w && (off_is(p, i - 1, W_NAMING) || (w + 5 > i && off_is(p, i - 1, W_TARGET_PREP) &&
                                                !(put && off_is(p, i - 1, W_PURPOSE)))));
}

bool off_modifies(const planner *p, size_t i) {
  return p->tok[i].kind == TK_WORD &&
         (off_is(p, i, W_END_OF) || off_is(p, i, W_COUNT) || off_number_at(p, i) > 0);
}

bool off_made_of(const planner *p, size_t i, bool of) {
  size_t d = i; /* its determiner, before a word or two saying which or how ("the very short",
                 * "the first"), or a length ("the 3 sentence", "a one-paragraph") */
  while (d > 0 && d + 2 > i && (off_modifies(p, d - 1) || off_is(p, d - 1, W_SIZING) ||
                                (d >= 2 && off_modifies(p, d - 2))))
    d--;
  return d > 0 && p->tok[d - 1].det && off_is(p, i, W_MADE_THING) &&
         (!of || (i + 1 < p->n_tok && off_is(p, i + 1, W_CONTENT_INTRO)));
}

bool off_participle_thing(const planner *p, size_t i) {
  return i > 0 && i + 2 < p->n_tok && p->tok[i - 1].det && p->tok[i].kind == TK_WORD &&
         !off_is(p, i, W_IS_ARE) && off_is(p, i + 1, W_MADE_THING) &&
         baton__has_suffix_ci(p->tok[i + 1].word, "ed") && off_is(p, i + 2, W_PREPOSITION);
}

int off_add_resource(planner *p, unsigned type, const char *v, size_t n, bool is_file) {
  char *copy = p->n_res < OFF_MAX_RES ? baton__strndup(v, n) : NULL;
  if (!copy)
    return p->n_res < OFF_MAX_RES ? -1 : -2;
  p->res[p->n_res] = (resource){.type = type, .value = copy, .is_file = is_file,
                                .asked = !is_file && type == BATON__T_TEXT && n && v[n - 1] == '?'};
  return (int)p->n_res++;
}

/* The type of the file s[0..n) names (known extension after a name, short, <= 2 spaces), or 0. */
unsigned off_file_type(const char *s, size_t n) {
  char buf[256];
  baton__fmt(buf, sizeof buf, "%.*s", (int)n, s);
  unsigned t = baton__type_of_path(buf); /* not 0: buf ends in a dot and an extension */
  const char *dot = strrchr(buf, '.'), *sp = strchr(buf, ' ');
  const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL; /* a third space: words, not a name */
  return !t || n >= sizeof buf || dot == buf || dot[-1] == '/' || dot[-1] == ' ' ||
         strpbrk(buf, "\n\t") || (sp2 && strchr(sp2 + 1, ' ')) ? 0 : t;
}

unsigned off_format_word(const char *w) {
  char name[OFF_MAX_WORD + 2];
  baton__fmt(name, sizeof name, "x.%s", w);
  return off_file_type(name, strlen(name));
}

unsigned off_format_type(const planner *p, size_t i) {
  if (p->tok[i].kind != TK_WORD)
    return 0;
  unsigned t = off_format_word(p->tok[i].word);
  return t ? t : baton__type_from_name(p->tok[i].word);
}

bool off_holds(const planner *p, size_t h) {
  size_t s = h - (h > 0); /* who holds it */
  s -= s > 0 && !off_is(p, s, W_SUBJECT) && off_is(p, s - 1, W_SUBJECT); /* "we also have" */
  return h > 0 && off_is(p, h, W_HOLDING) && p->tok[s].kind == TK_WORD && !p->tok[s].det &&
         !off_is(p, s, W_ASKING) && !off_is(p, s, W_DESTINATION) && !off_is(p, s, W_IS_ARE) &&
         !off_is(p, s, W_RELATIVE) && !off_is(p, s, W_JOINER) && !off_is(p, s, W_HARD_BREAK) &&
         !(s > 0 && off_is(p, s - 1, W_ASKING));
}

/* "I have a | text in French", "my friend has a | letter in Spanish", "I was given a | note in
 * German": 1 + where the words start that the "in" at token i says the language of, a thing
 * someone holds (a word or three after "have" and its determiner, none a reference), or 0. */
static size_t held_text(const planner *p, size_t i) {
  size_t k = i;
  while (k > 0 && k + 3 > i && p->tok[k - 1].kind == TK_WORD && !p->tok[k - 1].det &&
         !off_is(p, k - 1, W_HOLDING) && !off_is(p, k - 1, W_REFERENCE))
    k--;
  size_t d = k - (k > 0 && p->tok[k - 1].det);
  return k < i && d > 0 && off_holds(p, d - 1) && off_is(p, i, W_TARGET_PREP) &&
         !off_is(p, i, W_DESTINATION) && !off_is(p, i - 1, W_IS_ARE) ? k + 1 : 0;
}

/* "notes.txt is in German", "talk.wav is spoken in French", "..., it's in Italian": 1 + the token
 * of "is" (or "it's") that says the file named there, or last before it, is in the language after
 * the "in" at token i, that file in *res; or 0. */
static size_t stated_language(const planner *p, size_t i, int *res) {
  if (i < 2 || !off_is(p, i, W_TARGET_PREP) || off_is(p, i, W_DESTINATION))
    return 0;
  size_t v = i - 1 - (off_is(p, i - 1, W_WORDED) && i > 2), s = v - !off_is(p, v, W_IT_IS);
  bool pronoun = s == v || off_is(p, s, W_REFERENCE) || off_is(p, s, W_PLURAL);
  bool clause = s == 0 || p->tok[s - 1].kind == TK_PUNCT || off_is(p, s - 1, W_JOINER);
  if (s < v && !off_is(p, v, W_IS_ARE))
    return 0; /* a pronoun starts its clause: not "tell me what car it is in French" */
  if (pronoun ? !clause : p->tok[s].kind != TK_RES || (s > 0 && off_is(p, s - 1, W_PREPOSITION)))
    return 0; /* not "make sure the summary of a.txt is in French": what is made of it */
  *res = -1; /* the file: the subject, or the last one before it in its sentence */
  for (size_t k = s + 1; k-- > 0 && *res < 0 && !off_punct(p, k, ".!?");)
    *res = p->tok[k].kind == TK_RES && p->res[p->tok[k].res].is_file ? p->tok[k].res : -1;
  return *res >= 0 ? v + 1 : 0;
}

/* "I don't speak German", "we can't read Japanese", "I do not understand German": does a subject
 * say it does not know the language at token i (i > 2)? Then a text at hand is in it. */
static bool unknown_language(const planner *p, size_t i) {
  size_t s = i - 3; /* the subject, or "do" after it */
  s -= s > 0 && off_is(p, s, W_IS_ARE);
  return off_is(p, i - 1, W_FLUENT) && off_is(p, i - 2, W_NEGATION) && off_is(p, s, W_SUBJECT);
}

/* Is a b with two letters next to each other swapped ("captoin": "caption")? */
static bool swapped(const char *a, const char *b) {
  size_t i = 0;
  while (a[i] && a[i] == b[i])
    i++;
  return a[i] && b[i] && a[i + 1] == b[i] && a[i] == b[i + 1] && !strcmp(a + i + 2, b + i + 2);
}

/* Is a one edit from b: a letter left out, added or changed, or two next to each other swapped? */
static bool one_edit(const char *a, const char *b) {
  size_t i = 0, na = strlen(a), nb = strlen(b);
  while (a[i] && a[i] == b[i])
    i++;
  if (na == nb)
    return a[i] && (strcmp(a + i + 1, b + i + 1) == 0 || swapped(a, b));
  return na == nb + 1 ? strcmp(a + i + 1, b + i) == 0 : nb == na + 1 && !strcmp(a + i, b + i + 1);
}

/* Does the planner know word token t: a word of a class, or of a task's cues? */
static bool known_word(const planner *p, const token *t) {
  bool known = t->cls[0] || t->cls[1] || t->cls[2];
  for (const taskcue *c = p->cues; !known && c < p->cues + p->n_cues; c++) {
    known = off_cue_says(c, t->stem);
    for (size_t k = 0; !known && k < c->n_desc; k++)
      known = strcmp(c->desc[k], t->stem) == 0;
  }
  return known;
}

/* Is unknown word t (by_stem: its stem) a misspelling of word k of class c: of the spelled class
 * one edit from it, of the swapped class two letters swapped; starting as it does either way? */
static bool misspells(const planner *p, const token *t, off_class c, size_t k, bool by_stem) {
  const off_words *w = &p->lx->cls[c];
  const char *x = by_stem ? t->stem : t->word, *y = by_stem ? w->stems[k] : w->words[k];
  return w->words[k][0] == t->word[0] && (c == W_SWAPPED ? swapped(x, y) : one_edit(x, y));
}

/* The word of the spelled or swapped class an unknown word t of OFF_MIN_RESPELT letters or more
 * misspells ("sumarize": "summarize", "captoin": "caption"; as written before by stem: "imgaes"
 * is "images"), its stem in *stem; or NULL. */
static const char *respelt(const planner *p, const token *t, const char **stem) {
  static const off_class classes[] = {W_SPELLED, W_SWAPPED};
  size_t n = strlen(t->word);
  for (size_t i = 0; i < n; i++)
    if (t->word[i] < 'a' || t->word[i] > 'z') /* not "question's" */
      return NULL;
  for (size_t by = 0; n >= OFF_MIN_RESPELT && by < 4; by++) {
    const off_words *w = &p->lx->cls[classes[by % 2]];
    for (size_t k = 0; k < w->n; k++)
      if (misspells(p, t, classes[by % 2], k, by >= 2))
        return known_word(p, t) ? NULL : (*stem = w->stems[k], w->words[k]);
  }
  return NULL;
}

/* Sets the class bits of word token t. */
static void class_bits(const planner *p, token *t) {
  for (int c = 0; c < W_N; c++)
    t->cls[c / 64] |= (uint64_t)off_words_has(&p->lx->cls[c], t->word, false) << (c % 64);
}

/* Word token t over [start,end): lower-cased, stemmed (a misspelt word of the spelled class as
 * it, or of the swapped class: noted once in p->respelled; one derived from it, "summarizer", as it
 * too but not noted), its classes looked up once (off_is). */
static void word_token(planner *p, token *t, size_t start, size_t end) {
  off_make_word(p->req + start, end - start, t->word, t->stem);
  for (int pass = 0; pass < 2; pass++) {
    class_bits(p, t);
    const char *stem, *word = pass ? NULL : respelt(p, t, &stem);
    if (!word)
      return;
    bool derived = strncmp(t->word, word, strlen(word)) == 0; /* "summarizer": spelt right */
    char note[2 * OFF_MAX_WORD + 12];
    baton__fmt(note, sizeof note, "'%.*s' as '%s'", (int)(end - start), p->req + start, word);
    size_t n = strlen(p->respelled);
    if (!derived && !strstr(p->respelled, note) && n + strlen(note) + 3 < sizeof p->respelled)
      baton__fmt(p->respelled + n, sizeof p->respelled - n, "%s%s", n ? ", " : "", note);
    memcpy(t->word, word, OFF_MAX_WORD);
    memcpy(t->stem, stem, OFF_MAX_WORD);
    t->respelt = !derived; /* (a word derived from it is read as it, but not rewritten) */
  }
}

/* Appends a token over [start,end) (a word is lower-cased and stemmed); NULL when too many (or
 * out of memory). */
static token *push_token(planner *p, tk_kind kind, size_t start, size_t end) {
  if (p->n_tok >= OFF_MAX_TOKENS)
    return NULL;
  if (p->n_tok + 3 > p->cap_tok) { /* two zeroed past the last, as passes look one ahead */
    size_t cap = p->cap_tok * 2;
    token *more = realloc(p->tok, (cap + 2) * sizeof *more);
    if (!more)
      return NULL;
    memset(more + p->cap_tok, 0, (cap + 2 - p->cap_tok) * sizeof *more);
    p->tok = more, p->cap_tok = cap + 2;
  }
  token *t = &p->tok[p->n_tok++];
  *t = (token){.kind = kind, .start = start, .end = end};
  if (kind == TK_WORD)
    word_token(p, t, start, end);
  else if (kind == TK_PUNCT)
    t->stem[0] = t->word[0] = p->req[start];
  t->det = kind == TK_WORD && off_words_has(&p->lx->cls[W_DETERMINER], t->stem, true);
  /* words that are no cue: what a recording holds ("transcribe the conversation" is no request to
   * chat), those that name a file ("a photo labeled as 'x.jpg'", "a file called y.wav"), the
   * language a text at hand is in ("I have a text in French") */
  size_t i = p->n_tok - 1;
  t->naming = i > 0 && off_is(p, i, W_HELD) && off_is(p, i - 1, W_DEFINITE);
  const char *lang = i > 2 ? off_language_at(p, i) : NULL;
  int stated = -1;
  size_t held = lang ? held_text(p, i - 1) : 0;
  if (lang && !held && (held = stated_language(p, i - 1, &stated)) && !p->held_lang)
    p->held_types |= p->res[stated].type, p->held_file = (size_t)stated + 1;
  for (size_t k = held; k && k <= i + 1; k++) /* the words of "a | text in French" too */
    p->tok[k - 1].naming = true;
  for (size_t k = held; held && !p->held_lang && k <= i + 1; k++) /* a document may be a scan */
    p->held_types |= off_is(p, k - 1, W_PICTURE) || off_is(p, k - 1, W_DOCUMENT) ? BATON__T_IMAGE
                     : off_is(p, k - 1, W_RECORDING) ? BATON__T_AUDIO : 0;
  if (lang && !held && !p->held_lang && unknown_language(p, i))
    held = i + 1, t->naming = true; /* "I don't speak | German" */
  if (held && !p->held_lang)
    p->held_at = i + 1, p->held_lang = lang;
  bool opens = i == 1 || (i > 1 && off_punct(p, i - 2, ".!?")); /* "Label photo.jpg as ...": */
  for (size_t k = i; kind == TK_RES && k > 0 && k + 2 > i && off_is(p, k - 1, W_NAMING) &&
                     !(opens && k == i); k--) /* a verb */
    p->tok[k - 1].naming = true;
  return t;
}

/* Resource [a,b), token [ts,te): 1, 0 if past OFF_MAX_RES, -1 no memory, -2 too many tokens. */
static int push_resource(planner *p, unsigned type, size_t a, size_t b, size_t ts, size_t te) {
  int r = off_add_resource(p, type ? type : BATON__T_TEXT, p->req + a, b - a, type != 0);
  token *t = r >= 0 ? push_token(p, TK_RES, ts, te) : NULL;
  if (!t)
    return r == -1 ? -1 : r >= 0 ? -2 : 0;
  t->res = r;
  p->res[r].asked |= !type && p->req[te] == '?'; /* "answer 'Who won'?" */
  if (p->held_at && p->n_tok <= p->held_at + 4) /* "an interview in Spanish, talk.wav" */
    p->held_types |= type & (BATON__T_IMAGE | BATON__T_AUDIO);
  /* a quote's label names it ("the text description: '...'", "Summary: '...'"), not "into speech:
   * '...'", "get it summarized: '...'" */
  size_t k = p->n_tok - 1;
  k -= k > 1 && off_punct(p, k - 1, ":");
  bool label = k && off_is(p, k - 1, W_MADE_THING) &&
               (k < 2 || p->tok[k - 2].det ||
                !(off_is(p, k - 2, W_REFERENCE) || off_is(p, k - 2, W_ASKING)));
  if (!type && label && (k < 2 || !off_is(p, k - 2, W_DESTINATION)))
    p->tok[k - 1].naming |= !p->res[r].asked || !off_is(p, k - 1, W_ASK_VERB); /* "answer 'Q?'" */
  if (!(type & ~(unsigned)BATON__T_TEXT) && k > 1 && off_is(p, k - 1, W_PREPOSITION) &&
      off_is(p, k - 2, W_TOLD))
    p->tok[k - 2].naming = true; /* "the scene described in notes.txt": what the text holds */
  return 1;
}

size_t off_arrow_len(const char *s, size_t n) {
  size_t k = 0; /* a run of '-' or '=' ("-->", "==>") */
  while (k < n && (s[k] == '-' || s[k] == '=') && s[k] == s[0])
    k++;
  if (k && k < n && s[k] == '>')
    return k + 1;
  return n >= 3 && !memcmp(s, "\xe2\x86\x92", 3) ? 3 : 0;
}

void off_read_as(planner *p, size_t i, const off_words *w) {
  token *t = &p->tok[i];
  t->kind = TK_WORD;
  memcpy(t->word, w->words[0], OFF_MAX_WORD);
  memcpy(t->stem, w->stems[0], OFF_MAX_WORD);
  memset(t->cls, 0, sizeof t->cls);
  class_bits(p, t);
  t->respelt = true; /* its text as read too: "-> audio" as "to audio" */
}

/* The arrow of s[a, b) as a '>' token ("-> b.png"); NULL if no room. */
static token *push_arrow(planner *p, size_t a, size_t b) {
  token *t = push_token(p, TK_PUNCT, a, b);
  if (t)
    t->stem[0] = t->word[0] = '>';
  return t;
}

/* Where the first arrow in q[s, e) starts, past its first byte that is no space, or e; none in a
 * web address ("x.jpg->caption->audio": no file name holds one). */
static size_t glued_arrow(const char *q, size_t s, size_t e) {
  while (s < e && baton__space_byte(q[s]))
    s++;
  if (!strncmp(q + s, "http://", 7) || !strncmp(q + s, "https://", 8))
    return e;
  for (size_t i = s + 1; i < e; i++)
    if (off_arrow_len(q + i, e - i))
      return i;
  return e;
}

/* Where a ',' or ';' glued to a file name before it in q[s, e) stands ("notes.txt,then"), or e. */
static size_t glued_stop(const char *q, size_t s, size_t e) {
  for (size_t c = s + 1; c + 1 < e; c++)
    if (strchr(",;", q[c]) && off_file_type(q + s, c - s))
      return c;
  return e;
}

/* Splits a run of non-space bytes with no arrow glued inside (no quotes in it, maybe a space
 * first) into tokens, a file name's glued ',' or ';' ending it ("a.txt,then b": "a.txt, then b"). */
static int tokenize_piece(planner *p, size_t s, size_t e) {
  const char *q = p->req;
  size_t fs = s, fe = e; /* peeled of leading and trailing punctuation for the file-name test */
  while (fs < fe && (baton__space_byte(q[fs]) || strchr("([{<`", q[fs])))
    fs++;
  while (fe > fs && strchr(",.;:!?)]}>`", q[fe - 1]))
    fe--;
  size_t stop = glued_stop(q, fs, fe);
  if (stop < fe) {
    int rc = tokenize_piece(p, s, stop + 1);
    return rc < 0 ? rc : tokenize_piece(p, stop + 1, e);
  }
  size_t own = fe - fs > 2 && !strncmp(q + fe - 2, "'s", 2) ? 2 /* "photo.jpg's caption" */
               : fe - fs > 4 && !strncmp(q + fe - 4, "\xe2\x80\x99s", 4) ? 4 : 0;
  unsigned ft = own ? off_file_type(q + fs, fe - fs - own) : 0;
  if (!ft) /* a web address is a text, passed on whole */
    own = 0, ft = off_file_type(q + fs, fe - fs);
  bool whole = ft || !strncmp(q + fs, "http://", 7) || !strncmp(q + fs, "https://", 8);
  int rc = whole ? push_resource(p, ft, fs, fe - own, fs, fe) : 0;
  for (size_t i = whole ? fe : s, j; rc >= 0 && i < e; i = j + (j == i)) { /* (after a name) */
    size_t arrow = off_arrow_len(q + i, e - i);
    j = arrow ? i + arrow : word_end(q, i, e, "'.;");
    if (arrow ? !push_arrow(p, i, j) /* "-> b.png": a '>' */
              : j > i ? !push_token(p, TK_WORD, i, j)
                      : strchr(".!?;,:>", q[i]) && !push_token(p, TK_PUNCT, i, i + 1))
      rc = -2;
  }
  return rc < 0 ? rc : 0;
}

/* Splits a run of non-space bytes (no quotes in it, maybe a space first) into tokens, an arrow
 * glued to words apart ("x.jpg->caption": as "x.jpg -> caption"). */
static int tokenize_chunk(planner *p, size_t s, size_t e) {
  int rc = 0;
  for (size_t x; rc >= 0 && (x = glued_arrow(p->req, s, e)) < e;) {
    size_t len = off_arrow_len(p->req + x, e - x);
    rc = tokenize_piece(p, s, x);
    rc = rc < 0 ? rc : push_arrow(p, x, x + len) ? 0 : -2;
    s = x + len;
  }
  return rc < 0 ? rc : tokenize_piece(p, s, e);
}

/* The quote at i (content [cs,ce), ending at qe) as a resource: a file name ('x.jpg,') or text. */
static int tokenize_quote(planner *p, size_t i, size_t cs, size_t ce, size_t qe) {
  const char *q = p->req;
  size_t a = cs + strspn(q + cs, SPACES), b = ce, fb; /* (the closing mark is no space) */
  while (b > a && baton__space_byte(q[b - 1]))
    b--;
  for (fb = b; fb > a && strchr(",.;:", q[fb - 1]);)
    fb--;
  unsigned ft = off_file_type(q + a, fb - a);
  int rc = b > a ? push_resource(p, ft, a, ft ? fb : b, i, qe) : 0; /* an empty quote: nothing */
  if (rc <= 0)
    return rc;
  /* 'It ends here.' Could you...: the quote closed a sentence (its mark ends the quote's span);
   * "is 'who won?' similar to 'who lost?'": the request, its '?' a question's */
  size_t k = qe + strspn(q + qe, SPACES), end = (ft ? fb : b) - 1;
  bool ends = strchr(".!?", q[end]) && ((k > qe && q[k] >= 'A' && q[k] <= 'Z') || !q[k]);
  return ends && !push_token(p, TK_PUNCT, end, qe) ? -2 : 0;
}

/* Is the chunk [i,j) a list's number ("1. read x.png 2. summarize it", "2)"): one or two digits
 * and '.' or ')', first on its line or the one after the last (*next)? It ends a step. */
static bool list_number(const char *q, size_t i, size_t j, unsigned *next) {
  size_t a = i + strspn(q + i, SPACES), d = a, k = a;
  unsigned n = 0;
  for (; d < j && d < a + 2 && q[d] >= '0' && q[d] <= '9'; d++)
    n = n * 10 + (unsigned)(q[d] - '0');
  while (k > 0 && (q[k - 1] == ' ' || q[k - 1] == '\t'))
    k--;
  if (!n || d + 1 != j || !strchr(".)", q[d]) || !(k == 0 || q[k - 1] == '\n' || n == *next))
    return false;
  *next = n + 1;
  return true;
}

/* "Translate this to French: I will be late": after a chunk ending in ':' that closes a sentence
 * holding "this" or "that" (alone) and a task's cue, the rest of the request, unquoted, naming no
 * file and no task's cue nor "then" (not "...: hello. Then read it aloud"), is the text those point
 * at. Its start, or 0. */
static size_t text_after_colon(const planner *p, size_t j) {
  const char *q = p->req;
  size_t n = strlen(q), a = j + strspn(q + j, SPACES), k = p->n_tok;
  bool pointed = false;
  if (j < 1 || q[j - 1] != ':' || a >= n)
    return 0;
  while (k > 0 && !off_punct(p, k - 1, ".!?")) /* the sentence's start */
    k--;
  for (size_t i = k; i + 1 < p->n_tok && !pointed; i++) /* "this" alone, not "this question" */
    pointed = off_is(p, i, W_DEMONSTRATIVE) &&
              (off_punct(p, i + 1, ":") || off_is(p, i + 1, W_PREPOSITION) ||
               off_is(p, i + 1, W_TARGET_PREP) || off_is(p, i + 1, W_ALOUD) ||
               off_is(p, i + 1, W_OUT_LOUD)); /* "read this out (loud): hi" */
  /* and a task to do with it (not "do this: draw a cat"), naming no file ("answer this from
   * m.txt: Q?": m.txt is the text) */
  pointed = pointed && off_has_cue(p, k, p->n_tok, p->lx->w[K_MIN_KEYWORD]) &&
            !off_count_res(p, k, p->n_tok, ~0u);
  char words[OFF_MAX_COLON_WORDS][OFF_MAX_WORD]; /* no step of its own: "...: hi, then draw it" */
  size_t nw = pointed ? off_split_words(q + a, n - a, words, OFF_MAX_COLON_WORDS, NULL) : 0;
  pointed &= nw < OFF_MAX_COLON_WORDS && !off_words_ask(p, words, nw);
  for (size_t i = a, e, cs, ce; pointed && i < n; i = e + strspn(q + e, SPACES)) {
    for (e = i; e < n && !baton__space_byte(q[e]) && !baton__quote_at(q, n, e, &cs, &ce);)
      e++;
    if (e < n && !baton__space_byte(q[e]))
      return 0; /* a quote of its own */
    size_t fe = e;
    while (fe > i && strchr(",.;:!?)", q[fe - 1]))
      fe--;
    pointed = !off_file_type(q + i, fe - i);
  }
  return pointed ? a : 0;
}

/* Is the chunk [i, j) of q (n bytes) a dash standing alone between spaces ("a.jpg - no caption",
 * "x -- y", "x â y")? No token: it marks the next one dashed. */
static bool lone_dash(const char *q, size_t n, size_t i, size_t j) {
  while (i < j && baton__space_byte(q[i]))
    i++;
  bool dash = (j - i <= 2 && strspn(q + i, "-") >= j - i) || baton__dash_len(q + i, n - i) == j - i;
  return i < j && dash && i > 0 && baton__space_byte(q[i - 1]) &&
         (j == n || baton__space_byte(q[j]));
}

int off_tokenize(planner *p) {
  const char *q = p->req;
  size_t n = strlen(q), cs, ce;
  int rc = 0;
  unsigned item = 0; /* the number a list's next item would have */
  bool dashed = false; /* a lone dash before the next token */
  for (size_t i = 0, j; rc == 0 && i < n; i = j) {
    size_t qe = baton__quote_at(q, n, i, &cs, &ce), dash = baton__dash_len(q + i, n - i);
    j = qe ? qe : i + (dash ? dash : 1); /* a chunk runs to the next space, dash or opening quote */
    while (!qe && !dash && j < n && !baton__space_byte(q[j]) && !baton__dash_len(q + j, n - j) &&
           !baton__quote_at(q, n, j, &cs, &ce))
      j++;
    size_t before = p->n_tok;
    if (!qe && !dash && list_number(q, i, j, &item)) { /* a list's number: a sentence's end */
      token *t = push_token(p, TK_PUNCT, j - 1, j);
      rc = t ? (t->stem[0] = t->word[0] = '.', 0) : -2;
    } else if (!qe && lone_dash(q, n, i, j))
      dashed = true;
    else
      rc = qe ? tokenize_quote(p, i, cs, ce, qe) : dash ? 0 : tokenize_chunk(p, i, j); /* "a—b" */
    if (p->n_tok > before)
      p->tok[before].dashed = dashed, dashed = false;
    size_t rest = rc == 0 && !qe ? text_after_colon(p, j) : 0;
    if (rest)
      rc = tokenize_quote(p, rest, rest, n, n), j = n;
  }
  return rc;
}

/* Up to max stemmed words of s (how many); *comma (if not NULL): bit k for a ',' before word k. */
size_t off_split_words(const char *s, size_t n, char (*out)[OFF_MAX_WORD], size_t max,
                       unsigned *comma) {
  size_t k = 0;
  for (size_t i = 0, j; i < n && k < max; i = j + (j == i)) {
    j = word_end(s, i, n, "';");
    char low[OFF_MAX_WORD];
    if (j > i)
      off_make_word(s + i, j - i, low, out[k++]);
    else if (comma && s[i] == ',' && k < 32)
      *comma |= 1u << k;
  }
  return k;
}

/* The resource of token i if it is one of a type in `types`, else -1. */
int off_res_at(const planner *p, size_t i, unsigned types) {
  return p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & types) ? p->tok[i].res : -1;
}

/* The first resource of a type in `types` named in [a,b), or -1. */
int off_own_res(const planner *p, size_t a, size_t b, unsigned types) {
  while (a < b && off_res_at(p, a, types) < 0)
    a++;
  return a < b ? p->tok[a].res : -1;
}

size_t off_count_res(const planner *p, size_t a, size_t b, unsigned types) {
  size_t n = 0;
  for (; a < b; a++)
    n += off_res_at(p, a, types) >= 0;
  return n;
}

bool off_names_part(const planner *p, size_t a, size_t i) {
  size_t k = i - 1 - (i >= a + 2 && isdigit((unsigned char)p->tok[i - 1].word[0])); /* "2" */
  return i > a && (off_is(p, i, W_TIME_UNIT) || off_is(p, i, W_SHARE)) && off_is(p, k, W_END_OF);
}

/* Is token i a clock time ("1:30": a number, ':' right after it, a number)? */
static bool clock_at(const planner *p, size_t i, size_t b) {
  const token *t = p->tok;
  return i + 2 < b && isdigit((unsigned char)t[i].word[0]) && off_punct(p, i + 1, ":") &&
         t[i + 1].start == t[i].end && isdigit((unsigned char)t[i + 2].word[0]);
}

bool off_time_from(const planner *p, size_t i, size_t b) {
  const token *t = p->tok;
  if (!off_is(p, i, W_SPAN_START)) /* "keep 0:10 to 0:20", "0:10-0:20" (a dash is no token) */
    return clock_at(p, i, b) && i + 3 < b &&
           ((off_is(p, i + 3, W_TARGET_PREP) && clock_at(p, i + 4, b)) ||
            (clock_at(p, i + 3, b) &&
             memchr(p->req + t[i + 2].end, '-', t[i + 3].start - t[i + 2].end)));
  if (++i >= b)
    return false;
  if (off_is(p, i, W_TIME_UNIT) && i + 1 < b && isdigit((unsigned char)t[i + 1].word[0]))
    return true; /* "from minute 1" */
  if (!isdigit((unsigned char)t[i].word[0]))
    return false;
  if (clock_at(p, i, b))
    return true; /* "1:30" */
  for (size_t k = i + 1; k < b && k <= i + 3; k++)
    if (off_is(p, k, W_TIME_UNIT))
      return true;
    else if (!isdigit((unsigned char)t[k].word[0]) && !off_is(p, k, W_TARGET_PREP) &&
             !off_is(p, k, W_JOINER) && !off_punct(p, k, "-"))
      return false;
  return false;
}

/* The language code of token i if it names one ("french" -> "fr"), or NULL. */
const char *off_language_at(const planner *p, size_t i) {
  for (size_t k = 0; p->tok[i].kind == TK_WORD && k < p->lx->lang_names.n; k++)
    if (strcmp(p->lx->lang_names.words[k], p->tok[i].word) == 0)
      return p->lx->lang_codes[k];
  return NULL;
}

bool off_tongue_at(const planner *p, size_t i) {
  const token *t = &p->tok[i];
  bool about = i > 1 && off_is(p, i - 1, W_CONTENT_INTRO) && off_is(p, i - 2, W_WH); /* "what */
  return i > 0 && t->kind == TK_WORD && (off_is(p, i - 1, W_TARGET_PREP) || about) && /* about" */
         p->req[t->start] >= 'A' && p->req[t->start] <= 'Z' &&
         (off_language_at(p, i) || off_is(p, i, W_TONGUE) ||
          off_words_ends(&p->lx->cls[W_TONGUE_ENDING], t->word));
}

bool off_word_for(const planner *p, size_t i) {
  return i + 2 < p->n_tok && off_language_at(p, i) && off_is(p, i + 1, W_WORDING) &&
         off_is(p, i + 2, W_PREPOSITION) && !off_is(p, i + 2, W_TARGET_PREP);
}

bool off_speaks_at(const planner *p, size_t i) {
  return i + 1 < p->n_tok && off_is(p, i, W_SPEAKING) &&
         (p->tok[i + 1].det || p->tok[i + 1].kind == TK_RES || off_is(p, i + 1, W_REFERENCE) ||
          off_is(p, i + 1, W_DEMONSTRATIVE) || off_is(p, i + 1, W_ALOUD));
}

size_t off_past_asking(const planner *p, size_t a, size_t b) {
  static const off_class lead[] = {W_RESUMING, W_JOINER, W_ASKING, W_YOU};
  while (a < b && off_is_any(p, a, lead, sizeof lead / sizeof *lead))
    a++;
  return a;
}

bool off_hears(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i + 1 < b; i++) {
    size_t k = i + 1 + off_is(p, i + 1, W_TARGET_PREP); /* "listen | to", "hear" */
    k += k + 1 < b && p->tok[k].det;
    if (off_is(p, i, W_HEARING) && k < b && off_res_at(p, k, BATON__T_AUDIO) >= 0)
      return true;
  }
  return false;
}

size_t off_spoken_after(const planner *p, size_t a, size_t b) {
  size_t e = b;
  while (e > a && p->tok[e - 1].kind == TK_PUNCT)
    e--;
  size_t i = e - 1; /* the last word; the one before it may lead the step ("then") */
  if (e <= a || i == 0 || !off_is(p, i, W_ALOUD) || !off_is(p, i, W_WORDED))
    return b;
  bool led = off_is(p, i - 1, W_HARD_BREAK) || off_is(p, i - 1, W_JOINER) ||
              off_punct(p, i - 1, ",");
  bool style = i > 1 && (off_is(p, i - 2, W_WORDED) || off_is(p, i - 2, W_READING)) &&
               (off_has_word(p, a, i, W_RELATIVE) || off_has_word(p, a, i, W_CONDITION));
  return led && !style ? i : b; /* "French that is both written and spoken", "... when read and
                                 * spoken": how it sounds, in a clause of its own */
}

bool off_sends_at(const planner *p, size_t i, size_t b) {
  if (i + 1 >= b || !off_is(p, i, W_SENDING) || off_has_word(p, i + 1, b, W_US))
    return false;
  return (p->tok[i + 1].det && !off_is(p, i + 1, W_INDEFINITE)) ||
         p->tok[i + 1].kind == TK_RES || off_is(p, i + 1, W_REFERENCE);
}

size_t off_words_spoken(const planner *p, size_t a, size_t b) {
  a += !off_is(p, a, W_SPEAKING) && (off_is(p, a, W_ASKING) || off_is(p, a, W_LEAD_IN));
  bool say = a + 1 < b && off_is(p, a, W_SPEAKING) && off_is(p, a, W_UTTERING); /* not "speak" */
  return say && !off_speaks_at(p, a) && p->tok[a + 1].kind == TK_WORD &&
                 !off_is(p, a + 1, W_PREPOSITION) && !off_language_at(p, a + 1) &&
                 !baton__has_suffix_ci(p->tok[a + 1].word, "ly") /* "say it slowly" */
             ? a + 1 : 0;
}

bool off_version_in_file(const planner *p, size_t i) {
  return i + 3 < p->n_tok && off_is(p, i + 1, W_TARGET_NOUN) && off_is(p, i + 2, W_PREPOSITION) &&
         !off_is(p, i + 2, W_CONTENT_INTRO) && p->tok[i + 3].kind == TK_RES &&
         p->res[p->tok[i + 3].res].is_file;
}

/* Do language i's next words name what to make: "a Spanish voiceover", "a German audio version",
 * "the German word for (cat)", "Spanish subtitles" (not "the translated French summary")? */
static bool names_made(const planner *p, size_t i) {
  if (off_version_at(p, i) || off_version_in_file(p, i))
    return !off_version_in_file(p, i);
  i += i + 2 < p->n_tok && off_is(p, i + 1, W_RECORDING);
  if (i + 1 >= p->n_tok)
    return false;
  const token *t = &p->tok[i + 1]; /* "WebVTT", "SRT": a format between (capitals inside) */
  bool format = t->kind == TK_WORD && t->end - t->start > 1;
  for (size_t c = t->start + 1; format && c < t->end && !isupper((unsigned char)p->req[c]);)
    format = ++c < t->end;
  size_t m = i + 1 + (format && i + 2 < p->n_tok && off_is(p, i + 2, W_MADE_THING));
  bool made = off_is(p, m, W_MADE_THING) && /* not "the translated French summary" nor "the */
              !(i > 0 && (off_is(p, i - 1, W_MADE_THING) || /* French transcript in n.txt" */
                          off_is(p, i - 1, W_DEFINITE)));
  return off_is(p, i + 1, W_TARGET_NOUN) || off_is(p, i + 1, W_ALOUD) || made ||
         off_word_for(p, i);
}

bool off_version_at(const planner *p, size_t i) {
  return off_language_at(p, i) && i + 1 < p->n_tok &&
         ((off_is(p, i + 1, W_TARGET_NOUN) && !off_version_in_file(p, i)) ||
          (off_is(p, i + 1, W_MADE_THING) && i + 2 < p->n_tok &&
           off_is(p, i + 2, W_CONTENT_INTRO) && !(i > 0 && off_is(p, i - 1, W_MADE_THING))));
}

const char *off_written_language(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i + 1 < b; i++)
    if (off_language_at(p, i) &&
        !(i > a && (off_is(p, i - 1, W_TARGET_PREP) || off_is(p, i - 1, W_SOURCE_PREP) ||
                    off_is(p, i - 1, W_JOINER) || off_punct(p, i - 1, ","))) &&
        p->tok[i + 1].kind == TK_WORD && !names_made(p, i) && !off_is(p, i + 1, W_JOINER))
      return off_language_at(p, i);
  return NULL;
}

void off_find_languages(const planner *p, size_t a, size_t b, const char **tgt, const char **src) {
  *tgt = *src = NULL;
  bool weak = false; /* "a text in French ... into English": "in" gives way, names the source */
  for (size_t i = a; i < b; i++) {
    const char *code = off_language_at(p, i);
    bool prep = code && i > a && off_is(p, i - 1, W_TARGET_PREP);
    bool into = prep && off_is(p, i - 1, W_DESTINATION);
    if (code && i > a && (off_is(p, i - 1, W_SOURCE_PREP) || p->tok[i].naming))
      *src = *src ? *src : code;
    else if (*tgt && weak && into)
      *src = *src ? *src : *tgt, *tgt = code, weak = false;
    else if (code && !*tgt && (prep || i + 1 >= b || names_made(p, i)))
      *tgt = code, weak = (prep && !into) || (i > a && off_is(p, i - 1, W_DEFINITE) &&
                                              !off_word_for(p, i)); /* "the French version (into
                                                                     * Spanish)": had */
  }
}
