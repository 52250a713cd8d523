/* sentiment_rules.c — how the sentiment executor reads a text: words and emoticons, negation and its reach, intensifiers and downtoners, the weight of clauses around "but" and "although", exclamation and capitals, into evidence for and against and then into the labels' scores. */
#include "executors/sentiment.h"

#include <math.h>
#include <string.h>

#include "core/text.h"
#include "core/banned.h"

#define SE_NEGATION_REACH 4     /* words after "not" it may reach ("not at all good") */
#define SE_MODIFIER_REACH 2     /* words after "very" it may reach ("very much liked") */
#define SE_NEGATED_POSITIVE 0.75 /* "not good" is negative at 3/4 of "good" */
#define SE_NEGATED_NEGATIVE 0.5  /* "not bad" is positive at half of "bad" */
#define SE_LESSER 0.5           /* what goes before "but", or follows "although" */
#define SE_GREATER 1.5          /* what follows "but", or the main clause beside "although" */
#define SE_CAPS 1.3             /* "GREAT" in a text that has lower case */
#define SE_EXCLAIM 0.15         /* added per '!' ending a sentence, up to three */
#define SE_MOD_MIN 0.25         /* bounds of stacked modifiers ("really very") */
#define SE_MOD_MAX 3.0
#define SE_NEUTRAL_PRIOR 0.7    /* NEUTRAL's logit; the others' are their evidence */
#define SE_FULL_CUES 4          /* past this many cues the evidence is scaled down */

enum { T_END, T_WORD, T_CLAUSE, T_SENTENCE, T_EMOTICON };

/* One token of the text. */
typedef struct se_token {
  int kind;
  char w[BATON__SE_MAX_WORD + 1]; /* a word, lower case, with ’ read as ' */
  size_t n;                       /* its length; 0 when longer than the lexicon's words */
  bool caps;                      /* written in capitals, two letters or more */
  int strength;                   /* of an emoticon */
  int bangs;                      /* '!' in a sentence end */
} se_token;

typedef struct se_reader {
  const char *s;
  size_t len, at;
  bool lower_seen; /* the text has lower-case letters: capitals stand out */
} se_reader;

/* The reading so far: the clause being read, and what negation and modifiers still reach. */
typedef struct se_state {
  baton__polarity *out;
  double pos, neg;           /* the clause's evidence, before its weight */
  bool any;                  /* something was read in the clause */
  double weight;             /* the clause's weight */
  bool conceding;            /* the clause was opened by "although": it ends at a comma */
  double last_pos, last_neg; /* the clause counted last, as counted */
  int negate;                /* words the negation still reaches */
  double mod;                /* the pending modifiers' product... */
  int mod_reach;             /* ...and the words it still reaches */
  char prev[BATON__SE_MAX_WORD + 1];
  size_t prev_n;
  bool prev_negator;
} se_state;

static unsigned char se_at(const se_reader *r, size_t at) {
  return at < r->len ? (unsigned char)r->s[at] : 0;
}

/* The length of the punctuation outside ASCII at `at` that ends a clause (1) or a sentence
 * (2) in *what, or that is a right single quote used as an apostrophe (3); 0 when none. */
static size_t se_wide_punct(const se_reader *r, size_t at, int *what) {
  static const struct {
    const char *bytes;
    int what;
  } marks[] = {{"\xe2\x80\x93", 1}, {"\xe2\x80\x94", 1}, {"\xe2\x80\xa6", 2},
               {"\xe2\x80\x99", 3}, {"\xe2\x80\x98", 0}, {"\xe2\x80\x9c", 0},
               {"\xe2\x80\x9d", 0}, {"\xc2\xab", 0},     {"\xc2\xbb", 0}};
  for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
    size_t k = strlen(marks[i].bytes);
    if (k <= r->len - at && memcmp(r->s + at, marks[i].bytes, k) == 0) {
      *what = marks[i].what;
      return k;
    }
  }
  return 0;
}

/* Whether a word goes on at `at`: a letter, digit or other byte outside ASCII that is no
 * punctuation, or an apostrophe between such bytes ("isn't", "don’t"). Its length in *n. */
static bool se_word_goes_on(const se_reader *r, size_t at, bool inside, size_t *n) {
  unsigned char c = se_at(r, at);
  int what = 0;
  size_t k = c >= 0x80 ? se_wide_punct(r, at, &what) : 0;
  bool apostrophe = c == '\'' || (k && what == 3);
  if (apostrophe) {
    size_t after = at + (k ? k : 1);
    unsigned char d = se_at(r, after);
    *n = k ? k : 1;
    return inside && (baton__ascii_alnum(d) || (d >= 0x80 && !se_wide_punct(r, after, &what)));
  }
  *n = 1;
  return at < r->len && !k && (baton__ascii_alnum(c) || c >= 0x80);
}

/* Reads the word at r->at into t. */
static void se_read_word(se_reader *r, se_token *t) {
  size_t n = 0, step = 0, upper = 0, letters = 0;
  bool fits = true;
  t->kind = T_WORD;
  while (se_word_goes_on(r, r->at, n > 0, &step)) {
    unsigned char c = se_at(r, r->at);
    char low = step > 1 || c == '\'' ? '\'' : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    letters += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    upper += c >= 'A' && c <= 'Z';
    if (n < BATON__SE_MAX_WORD)
      t->w[n] = low;
    else
      fits = false;
    n++;
    r->at += step;
  }
  t->n = fits ? n : 0;
  t->w[fits ? n : 0] = '\0';
  t->caps = letters >= 2 && upper == letters;
}

/* A run of sentence ends at r->at ('.', '!', '?', '…'): T_SENTENCE with the '!' counted; a '.'
 * inside a word or number ("e.g", "3.5") is no end. false when none is there. */
static bool se_read_end(se_reader *r, se_token *t) {
  bool any = false;
  t->bangs = 0;
  for (;;) {
    unsigned char c = se_at(r, r->at);
    int what = 0;
    size_t k = c >= 0x80 ? se_wide_punct(r, r->at, &what) : 0;
    if (k && what == 2) {
      r->at += k;
    } else if ((c == '.' && !baton__ascii_alnum(se_at(r, r->at + 1))) || c == '!' || c == '?') {
      t->bangs += c == '!';
      r->at++;
    } else {
      break;
    }
    any = true;
  }
  if (any)
    t->kind = T_SENTENCE;
  return any;
}

/* Whether a blank line starts at r->at (a paragraph ends); moves past it. */
static bool se_blank_line(se_reader *r) {
  if (se_at(r, r->at) != '\n')
    return false;
  size_t p = r->at + 1;
  while (se_at(r, p) == ' ' || se_at(r, p) == '\t' || se_at(r, p) == '\r')
    p++;
  if (se_at(r, p) != '\n')
    return false;
  r->at = p + 1;
  return true;
}

/* The next token from r->at; T_END at the end. */
static void se_next(se_reader *r, se_token *t) {
  memset(t, 0, sizeof *t);
  while (r->at < r->len) {
    size_t n = 0, step = 0;
    int what = 0;
    if ((t->strength = baton__se_emoticon(r->s, r->len, r->at, &n)) != 0) {
      r->at += n;
      t->kind = T_EMOTICON;
      return;
    }
    if (se_word_goes_on(r, r->at, false, &step)) {
      se_read_word(r, t);
      return;
    }
    if (se_read_end(r, t))
      return;
    if (se_blank_line(r))
      return (void)(t->kind = T_SENTENCE);
    unsigned char c = se_at(r, r->at);
    size_t k = c >= 0x80 ? se_wide_punct(r, r->at, &what) : 0;
    r->at += k ? k : 1;
    if ((k && what == 1) || (c && strchr(",;:()", c)) ||
        (c == '-' && (se_at(r, r->at) == ' ' || se_at(r, r->at) == '-')))
      return (void)(t->kind = T_CLAUSE);
  }
  t->kind = T_END;
}

/* Counts the clause read so far with its weight times factor; the next starts empty. */
static void se_commit(se_state *st, double factor) {
  double w = st->weight * factor;
  st->out->positive += st->pos * w;
  st->out->negative += st->neg * w;
  if (st->any) {
    st->last_pos = st->pos * w;
    st->last_neg = st->neg * w;
  }
  st->pos = st->neg = 0;
  st->any = false;
}

/* Negation and modifiers reach no further; no word goes before the next. */
static void se_cut_reach(se_state *st) {
  st->negate = 0;
  st->mod = 1.0;
  st->mod_reach = 0;
  st->prev_n = 0;
  st->prev[0] = '\0';
  st->prev_negator = false;
}

/* "but": the clause before it counts less; when it opens a sentence, the sentence before. */
static void se_contrast(se_state *st) {
  if (st->any) {
    se_commit(st, SE_LESSER);
  } else {
    st->out->positive -= st->last_pos * (1.0 - SE_LESSER);
    st->out->negative -= st->last_neg * (1.0 - SE_LESSER);
    st->last_pos = st->last_neg = 0;
  }
  st->weight = SE_GREATER;
  st->conceding = false;
}

/* "although": the main clause before it counts more, the clause it opens less. */
static void se_concede(se_state *st) {
  if (st->any)
    se_commit(st, SE_GREATER);
  st->weight = SE_LESSER;
  st->conceding = true;
}

/* A comma, a dash...: a conceded clause ends, and the rest of the sentence counts more. */
static void se_clause_mark(se_state *st) {
  se_cut_reach(st);
  if (!st->conceding)
    return;
  se_commit(st, 1.0);
  st->weight = SE_GREATER;
  st->conceding = false;
}

static void se_sentence_end(se_state *st, int bangs) {
  se_commit(st, 1.0 + SE_EXCLAIM * (bangs < 3 ? bangs : 3));
  se_cut_reach(st);
  st->weight = 1.0;
  st->conceding = false;
}

/* A word of polarity v: scaled by the modifiers, turned by a negation. */
static void se_polar(se_state *st, int v, bool caps) {
  double x = (v > 0 ? v : -v) * (caps ? SE_CAPS : 1.0), m = st->mod;
  if (st->negate > 0) {
    x = m > 1.0 ? x / m : x * m; /* "not very good" is milder than "not good" */
    if (v > 0)
      st->neg += x * SE_NEGATED_POSITIVE;
    else
      st->pos += x * SE_NEGATED_NEGATIVE;
  } else if (v > 0) {
    st->pos += x * m;
  } else {
    st->neg += x * m;
  }
  st->out->cues++;
  se_cut_reach(st);
}

static void se_modify(se_state *st, int percent) {
  st->mod *= percent / 100.0;
  st->mod = st->mod < SE_MOD_MIN ? SE_MOD_MIN : st->mod > SE_MOD_MAX ? SE_MOD_MAX : st->mod;
  st->mod_reach = SE_MODIFIER_REACH;
}

static bool se_is(const se_token *t, const char *w) {
  return t->kind == T_WORD && t->n == strlen(w) && memcmp(t->w, w, t->n) == 0;
}

/* The two-word downtoners: "kind of", "sort of", "a bit", "a little". */
static bool se_two_word_downtoner(const se_token *t, const se_token *next) {
  return ((se_is(t, "kind") || se_is(t, "sort")) && se_is(next, "of")) ||
         (se_is(t, "a") && (se_is(next, "bit") || se_is(next, "little")));
}

/* A word of no polarity: what negation and modifiers reach shrinks. */
static void se_plain_word(se_state *st) {
  if (st->negate > 0)
    st->negate--;
  if (st->mod_reach > 0 && --st->mod_reach == 0)
    st->mod = 1.0;
}

/* Reads one word (next is the token after it); whether it took next too. */
static bool se_word(se_state *st, const se_token *t, const se_token *next) {
  bool took = false, negator = false, guarded = false;
  int role = baton__se_clause_word(t->w, t->n), v = 0, pct = 0;
  st->out->words++;
  if (role == BATON__SE_CONTRAST) {
    se_cut_reach(st);
    se_contrast(st);
  } else if (role == BATON__SE_CONCESSION) {
    se_cut_reach(st);
    se_concede(st);
  } else if (se_two_word_downtoner(t, next)) {
    se_modify(st, 60);
    took = true;
  } else if (se_is(t, "not") && se_is(next, "only")) {
    took = true; /* "not only ... but also" negates nothing */
  } else if ((negator = baton__se_negator(t->w, t->n))) {
    st->negate = SE_NEGATION_REACH;
  } else if ((pct = baton__se_modifier(t->w, t->n)) != 0) {
    se_modify(st, pct);
  } else if ((v = baton__se_strength(t->w, t->n, &guarded)) != 0 &&
             (!guarded || st->prev_negator || baton__se_guard(st->prev, st->prev_n))) {
    se_polar(st, v, t->caps);
  } else {
    se_plain_word(st);
  }
  st->any = st->any || role == BATON__SE_PLAIN;
  const se_token *last = took ? next : t;
  memcpy(st->prev, last->w, last->n + 1);
  st->prev_n = last->n;
  st->prev_negator = negator;
  return took;
}

/* Reads one token; whether it took the next one too. */
static bool se_take(se_state *st, const se_reader *r, const se_token *t, const se_token *next) {
  switch (t->kind) {
  case T_WORD:
    if (t->caps && !r->lower_seen) {
      se_token plain = *t;
      plain.caps = false;
      return se_word(st, &plain, next);
    }
    return se_word(st, t, next);
  case T_EMOTICON:
    if (t->strength > 0)
      st->pos += t->strength;
    else
      st->neg -= t->strength;
    st->out->cues++;
    st->any = true;
    return false;
  case T_CLAUSE:
    se_clause_mark(st);
    return false;
  default:
    se_sentence_end(st, t->bangs);
    return false;
  }
}

static bool se_has_lower(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] >= 'a' && s[i] <= 'z')
      return true;
  return false;
}

void baton__polarity_read(const char *s, size_t len, baton__polarity *out) {
  memset(out, 0, sizeof *out);
  se_reader r = {s ? s : "", s ? len : 0, 0, s && se_has_lower(s, len)};
  se_state st = {.out = out, .weight = 1.0, .mod = 1.0};
  se_token cur, next;
  se_next(&r, &cur);
  while (cur.kind != T_END) {
    se_next(&r, &next);
    if (se_take(&st, &r, &cur, &next))
      se_next(&r, &cur);
    else
      cur = next;
  }
  se_sentence_end(&st, 0);
  out->positive = out->positive > 0 ? out->positive : 0;
  out->negative = out->negative > 0 ? out->negative : 0;
}

void baton__polarity_scores(const baton__polarity *p, double *positive, double *negative,
                            double *neutral) {
  double scale = p->cues > SE_FULL_CUES ? sqrt((double)SE_FULL_CUES / (double)p->cues) : 1.0;
  double zp = p->positive * scale, zn = p->negative * scale, zu = SE_NEUTRAL_PRIOR;
  double top = zp > zn ? zp : zn;
  top = top > zu ? top : zu;
  double ep = exp(zp - top), en = exp(zn - top), eu = exp(zu - top), sum = ep + en + eu;
  *positive = ep / sum;
  *negative = en / sum;
  *neutral = eu / sum;
}
