/* lex.c — request text to tokens and resources: words, quotes, file names; word classes of the lexicon. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_tokenize() takes p->req and gives p->tok (lower-cased,
 * lightly stemmed words, punctuation, one token per resource) and p->res
 * (quoted texts and file names, typed by extension). Nothing here knows any
 * task; the word classes come from the lexicon (p->lx).
 */

bool off_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c >= 0x80;
}

static bool is_space_byte(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool ends_with(const char *s, size_t n, const char *suf) {
  size_t k = strlen(suf);
  return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* A light stemmer so that "summarizing", "summarized" and "summarize" meet,
 * and "images"/"image", "voices"/"voice". Works in place on a lower-case
 * word. */
static void stem_word(char *w) {
  size_t n = strlen(w);
  if (n > 4 && ends_with(w, n, "ies")) {
    w[n - 3] = 'y';
    w[n - 2] = '\0';
    return;
  }
  if (n > 5 && ends_with(w, n, "ing"))
    n -= 3;
  else if (n > 4 && ends_with(w, n, "ed"))
    n -= 2;
  else if (n > 4 && ends_with(w, n, "es"))
    n -= 2;
  else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
    n -= 1;
  if (n > 4 && w[n - 1] == 'e')
    n -= 1;
  w[n] = '\0';
}

/* Lower-cases src[0..n) into dst (bounded) and stems a copy into st. */
void off_make_word(const char *src, size_t n, char *dst, char *st) {
  if (n >= OFF_MAX_WORD)
    n = OFF_MAX_WORD - 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)src[i];
    dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
  }
  dst[n] = '\0';
  memcpy(st, dst, n + 1);
  stem_word(st);
}

bool off_word_is(const planner *p, const char *w, off_class c) {
  return off_words_has(&p->lx->cls[c], w);
}

bool off_is(const planner *p, size_t i, off_class c) {
  return p->tok[i].kind == TK_WORD && off_words_has(&p->lx->cls[c], p->tok[i].word);
}

bool off_has_word(const planner *p, size_t a, size_t b, off_class c) {
  for (size_t i = a; i < b; i++)
    if (off_is(p, i, c))
      return true;
  return false;
}

/* ---- resources and tokens ---------------------------------------------- */

int off_add_resource(planner *p, unsigned type, const char *v, size_t n, bool is_file) {
  if (p->n_res >= OFF_MAX_RES)
    return -2;
  char *copy = baton__strndup(v, n);
  if (!copy)
    return -1;
  resource *r = &p->res[p->n_res];
  r->type = type;
  r->value = copy;
  r->is_file = is_file;
  r->turn = 0;
  r->claimed = false;
  r->used = false;
  r->borrowed_by = -1;
  return (int)p->n_res++;
}

static int push_token(planner *p, const token *t) {
  if (p->n_tok >= OFF_MAX_TOKENS)
    return -1;
  p->tok[p->n_tok++] = *t;
  return 0;
}

/* Length of a UTF-8 curly quote at s ("“”‘’"), 0 if none; *open tells which. */
static size_t curly_quote(const char *s, size_t left, bool *open, bool *dbl) {
  if (left < 3 || (unsigned char)s[0] != 0xE2 || (unsigned char)s[1] != 0x80)
    return 0;
  unsigned char c = (unsigned char)s[2];
  if (c == 0x9C || c == 0x9D) {
    *open = c == 0x9C;
    *dbl = true;
    return 3;
  }
  if (c == 0x98 || c == 0x99) {
    *open = c == 0x98;
    *dbl = false;
    return 3;
  }
  return 0;
}

/* At position i, is there an opening quote? Returns its byte length and the
 * span of the content [*cs, *ce) and the end of the closing quote *qe. */
static size_t find_quote(const char *s, size_t n, size_t i, size_t *cs, size_t *ce, size_t *qe) {
  unsigned char c = (unsigned char)s[i];
  bool prev_alnum = i > 0 && off_alnum((unsigned char)s[i - 1]);
  bool open = false, dbl = false;
  size_t ql = 0;
  if (c == '"') {
    ql = 1;
    for (size_t j = i + 1; j < n; j++)
      if (s[j] == '"') {
        *cs = i + 1, *ce = j, *qe = j + 1;
        return ql;
      }
    return 0;
  }
  if (c == '\'' && !prev_alnum) {
    for (size_t j = i + 1; j < n; j++)
      if (s[j] == '\'' && j > i + 1 && !is_space_byte((unsigned char)s[j - 1]) &&
          (j + 1 >= n || !off_alnum((unsigned char)s[j + 1]))) {
        *cs = i + 1, *ce = j, *qe = j + 1;
        return 1;
      }
    return 0;
  }
  ql = curly_quote(s + i, n - i, &open, &dbl);
  if (ql && open) {
    for (size_t j = i + ql; j + 2 < n; j++) {
      bool o2, d2;
      size_t l2 = curly_quote(s + j, n - j, &o2, &d2);
      if (l2 && !o2 && d2 == dbl) {
        /* ’ also serves as an apostrophe: only close before a non-letter. */
        if (!dbl && j + l2 < n && off_alnum((unsigned char)s[j + l2]) &&
            (unsigned char)s[j + l2] < 0x80)
          continue;
        *cs = i + ql, *ce = j, *qe = j + l2;
        return ql;
      }
    }
  }
  return 0;
}

/* A quoted span or a bare word that names a file: known extension, a name
 * before it, short, at most two spaces. */
unsigned off_file_type(const char *s, size_t n) {
  if (n < 3 || n > 255)
    return 0;
  char buf[256];
  memcpy(buf, s, n);
  buf[n] = '\0';
  unsigned t = baton__type_of_path(buf);
  if (!t)
    return 0;
  const char *dot = strrchr(buf, '.');
  if (!dot || dot == buf || dot[-1] == '/' || dot[-1] == ' ')
    return 0;
  int spaces = 0;
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == ' ')
      spaces++;
    if (buf[i] == '\n' || buf[i] == '\t')
      return 0;
  }
  return spaces <= 2 ? t : 0;
}

/* Splits a run of non-space bytes (no quotes in it) into tokens. */
static int tokenize_chunk(planner *p, size_t s, size_t e) {
  const char *q = p->req;
  /* Peel leading and trailing punctuation off for the file-name test. */
  size_t fs = s, fe = e;
  while (fs < fe && strchr("([{<", q[fs]))
    fs++;
  while (fe > fs && strchr(",.;:!?)]}>", q[fe - 1]))
    fe--;
  unsigned ft = fe > fs ? off_file_type(q + fs, fe - fs) : 0;
  if (ft) {
    int r = off_add_resource(p, ft, q + fs, fe - fs, true);
    if (r == -1)
      return -1;
    if (r >= 0) {
      token t;
      memset(&t, 0, sizeof t);
      t.kind = TK_RES;
      t.res = r;
      t.start = fs;
      t.end = fe;
      if (push_token(p, &t) != 0)
        return -2;
    }
    s = fe; /* what follows: trailing punctuation */
  }
  size_t i = s;
  while (i < e) {
    unsigned char c = (unsigned char)q[i];
    if (off_alnum(c)) {
      size_t j = i;
      while (j < e && (off_alnum((unsigned char)q[j]) ||
                       ((q[j] == '\'' || q[j] == '.') && j + 1 < e &&
                        off_alnum((unsigned char)q[j + 1]) && j > i)))
        j++;
      token t;
      memset(&t, 0, sizeof t);
      t.kind = TK_WORD;
      t.start = i;
      t.end = j;
      off_make_word(q + i, j - i, t.word, t.stem);
      t.det = off_words_has_stem(&p->lx->cls[W_DETERMINER], t.stem);
      if (push_token(p, &t) != 0)
        return -2;
      i = j;
      continue;
    }
    if (strchr(".!?;,:", (char)c)) {
      token t;
      memset(&t, 0, sizeof t);
      t.kind = TK_PUNCT;
      t.stem[0] = (char)c;
      t.word[0] = (char)c;
      t.start = i;
      t.end = i + 1;
      if (push_token(p, &t) != 0)
        return -2;
    }
    i++;
  }
  return 0;
}

int off_tokenize(planner *p) {
  const char *q = p->req;
  size_t n = p->req_len, i = 0;
  while (i < n) {
    if (is_space_byte((unsigned char)q[i])) {
      i++;
      continue;
    }
    size_t cs, ce, qe;
    if (find_quote(q, n, i, &cs, &ce, &qe)) {
      size_t a = cs, b = ce;
      while (a < b && is_space_byte((unsigned char)q[a]))
        a++;
      while (b > a && is_space_byte((unsigned char)q[b - 1]))
        b--;
      size_t fb = b; /* 'example.jpg,' names the file example.jpg */
      while (fb > a && strchr(",.;:", q[fb - 1]))
        fb--;
      if (b > a) {
        unsigned ft = fb > a ? off_file_type(q + a, fb - a) : 0;
        if (ft)
          b = fb;
        int r = off_add_resource(p, ft ? ft : BATON__T_TEXT, q + a, b - a, ft != 0);
        if (r == -1)
          return -1;
        if (r >= 0) {
          token t;
          memset(&t, 0, sizeof t);
          t.kind = TK_RES;
          t.res = r;
          t.start = i;
          t.end = qe;
          if (push_token(p, &t) != 0)
            return -2;
          /* 'It ends here.' Could you... : the quote closed a sentence. */
          size_t k = qe;
          while (k < n && is_space_byte((unsigned char)q[k]))
            k++;
          if (strchr(".!?", q[b - 1]) && k > qe && k < n && q[k] >= 'A' && q[k] <= 'Z') {
            token e;
            memset(&e, 0, sizeof e);
            e.kind = TK_PUNCT;
            e.stem[0] = e.word[0] = '.';
            e.start = e.end = qe;
            if (push_token(p, &e) != 0)
              return -2;
          }
        }
      }
      i = qe;
      continue;
    }
    /* A chunk runs to the next space or opening quote. */
    size_t j = i + 1;
    while (j < n && !is_space_byte((unsigned char)q[j])) {
      size_t c2, e2, x2;
      if (q[j] == '"' || (unsigned char)q[j] == 0xE2 ||
          (q[j] == '\'' && !off_alnum((unsigned char)q[j - 1])))
        if (find_quote(q, n, j, &c2, &e2, &x2))
          break;
      j++;
    }
    int rc = tokenize_chunk(p, i, j);
    if (rc != 0)
      return rc;
    i = j;
  }
  return 0;
}

/* "a photo labeled as 'x.jpg'", "a file called y.wav": the words that name
 * a file are no cue ("labeled" is not a request to label anything). */
void off_mark_naming(planner *p) {
  /* "transcribe the conversation", "a summary of this dialogue": what a
   * recording holds, not a request to chat */
  for (size_t i = 1; i < p->n_tok; i++)
    if (p->tok[i].kind == TK_WORD && off_is(p, i, W_HELD) &&
        p->tok[i - 1].kind == TK_WORD && off_is(p, i - 1, W_DEFINITE))
      p->tok[i].naming = true;
  /* "in-depth", "in-house": an idiom, not the word after the hyphen */
  for (size_t i = 1; i < p->n_tok; i++)
    if (p->tok[i].kind == TK_WORD && p->tok[i - 1].kind == TK_WORD &&
        p->tok[i].start == p->tok[i - 1].end + 1 && p->req[p->tok[i - 1].end] == '-' &&
        off_is(p, i - 1, W_HYPHEN_IDIOM))
      p->tok[i].naming = true;
  for (size_t i = 1; i < p->n_tok; i++) {
    if (p->tok[i].kind != TK_RES)
      continue;
    for (size_t k = i; k > 0 && k + 2 > i; k--) {
      token *t = &p->tok[k - 1];
      if (!off_is(p, k - 1, W_NAMING))
        break;
      t->naming = true;
    }
  }
}

/* Splits text into stemmed words; returns how many (at most max). */
size_t off_split_words(const char *s, size_t n, char (*out)[OFF_MAX_WORD], size_t max) {
  size_t k = 0, i = 0;
  while (i < n && k < max) {
    if (!off_alnum((unsigned char)s[i])) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && (off_alnum((unsigned char)s[j]) ||
                     (s[j] == '\'' && j + 1 < n && off_alnum((unsigned char)s[j + 1]))))
      j++;
    char low[OFF_MAX_WORD];
    off_make_word(s + i, j - i, low, out[k]);
    k++;
    i = j;
  }
  return k;
}

/* Text of tokens [a,b) as written in the request (malloc'd). */
char *off_span_text(const planner *p, size_t a, size_t b) {
  if (a >= b)
    return NULL;
  size_t s = p->tok[a].start, e = p->tok[b - 1].end;
  while (b > a && p->tok[b - 1].kind == TK_PUNCT && strchr(",;:", p->tok[b - 1].stem[0])) {
    b--;
    e = b > a ? p->tok[b - 1].end : s;
  }
  if (e <= s)
    return NULL;
  return baton__strndup(p->req + s, e - s);
}

bool off_has_prefix(const planner *p, size_t a, size_t b, const char *prefix) {
  size_t n = strlen(prefix);
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_WORD && strncmp(p->tok[i].word, prefix, n) == 0)
      return true;
  return false;
}

const char *off_written_language(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i + 1 < b; i++) {
    const char *code = p->tok[i].kind == TK_WORD ? off_language(p->lx, p->tok[i].word) : NULL;
    if (code && !(i > a && (off_is(p, i - 1, W_TARGET_PREP) || off_is(p, i - 1, W_SOURCE_PREP))) &&
        p->tok[i + 1].kind == TK_WORD && !off_is(p, i + 1, W_TARGET_NOUN))
      return code;
  }
  return NULL;
}

/* Target ("into Spanish") and source ("from French") languages in [a,b). */
void off_find_languages(const planner *p, size_t a, size_t b, const char **tgt,
                           const char **src) {
  *tgt = NULL;
  *src = NULL;
  for (size_t i = a; i < b; i++) {
    if (p->tok[i].kind != TK_WORD)
      continue;
    const char *code = off_language(p->lx, p->tok[i].word);
    if (!code)
      continue;
    if (i > a && off_is(p, i - 1, W_SOURCE_PREP)) {
      if (!*src)
        *src = code;
    } else if (!*tgt && ((i > a && off_is(p, i - 1, W_TARGET_PREP)) || i + 1 >= b ||
                         off_is(p, i + 1, W_TARGET_NOUN))) {
      *tgt = code;
    }
  }
}

