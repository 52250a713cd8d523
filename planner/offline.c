/* offline.c — the rule-based planner: request wording + task keywords -> task graph, no LLM. */
#include "planner/offline.h"

#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * How it works, in order:
 *  1. tokenise: quoted text and file names become resources (one token
 *     each), the rest becomes lower-cased, lightly stemmed words and
 *     punctuation;
 *  2. split into steps: always at sentence ends, ';', "then", "finally",
 *     "after that"...; at ',' and "and" only when what follows names a task;
 *     first-person sentences that ask for nothing ("I have a photo x.jpg of
 *     a table") only set the scene;
 *  3. score each task against each step: keyword phrases weighted by how
 *     specific they are (computed at plan time from the registry: a phrase
 *     several tasks share, or a word in their descriptions, counts less;
 *     a phrase inside a longer one of another task does not count;
 *     determiners are loose: "generate an image" = "generate this image"),
 *     description words, what the scene-setting sentences talk about, and
 *     whether the task can get its input there. Keep the best; split a step
 *     that clearly names two tasks ("estimate the depth to segment it");
 *     drop a step that repeats an earlier task with nothing new, and steps
 *     that match nothing (if nothing matches at all, take the one clearest
 *     cue anywhere); then adjust the choice to what the request is about:
 *     a picture described as a table or a document is read as one
 *     (tabular classification, document question answering), a question
 *     with no passage but a picture is a visual question, a translation
 *     naming no language of a picture or recording is reading it, and a
 *     transform beside an edit of the same picture is one edit;
 *  4. link: each task takes its input from its own resources, else from the
 *     nearest earlier task producing that type, else from an unused resource
 *     of the request, bridging image/audio to text when needed (also in
 *     front of a drawing or speaking step when a recording nobody has
 *     listened to is what to make). Two-input
 *     tasks take an earlier text plus the step's quote ("answer 'Q?'");
 *     image-to-image gets the step's words as parameter "instruction",
 *     image-editing as "text".
 */

#define OFF_MAX_REQUEST 16384 /* bytes of request text we look at */
#define OFF_MAX_TOKENS 4096
#define OFF_MAX_RES 64        /* resources (files, quotes, inputs) */
#define OFF_MAX_STEPS 64
#define OFF_MAX_TASKS 32      /* tasks in the resulting graph */
#define OFF_MAX_WORD 32       /* longer words are truncated */
#define OFF_MAX_PHRASE 8      /* words in one keyword phrase */
#define OFF_MAX_PHRASES 128   /* phrases per task */
#define OFF_MAX_DESC 48       /* description words per task */
#define OFF_MAX_TASKSPECS 256
#define OFF_MIN_KW 0.4        /* keyword weight a step needs to name a task at all */

typedef enum { TK_WORD, TK_PUNCT, TK_RES } tk_kind;

typedef struct {
  tk_kind kind;
  char stem[OFF_MAX_WORD]; /* TK_WORD: stemmed lower-case word; TK_PUNCT: the char */
  char word[OFF_MAX_WORD]; /* TK_WORD: lower-case word as written */
  int res;                 /* TK_RES: resource index */
  size_t start, end;       /* byte span in the request */
  bool skip;               /* not a cue (a reference such as "the summary") */
  bool det;                /* a determiner ("the", "this", "an"...) */
  bool naming;             /* names a file ("labeled as 'x.jpg'"): never a cue */
} token;

typedef struct {
  unsigned type;   /* one BATON__T_* bit */
  char *value;     /* path or literal text (owned) */
  bool is_file;
  bool used;       /* consumed by some task */
  bool claimed;    /* spoken for by a recognised step (before tasks are made) */
  int borrowed_by; /* graph index of a task that took it from outside its own step, or -1 */
} resource;

typedef struct {
  char stems[OFF_MAX_PHRASE][OFF_MAX_WORD];
  size_t n;
  double weight; /* how much a match says about the task (see build_cues) */
  unsigned det;  /* bit k: word k is a determiner */
  unsigned comma; /* bit k: a comma may stand before word k ("people, places") */
} phrase;

typedef struct {
  const baton__taskspec *spec;
  phrase *phrases;
  size_t n_phrases;
  char (*desc)[OFF_MAX_WORD];
  size_t n_desc;
} taskcue;

typedef struct {
  size_t a, b;      /* token range [a, b) */
  int task;         /* index into tasks, or -1 */
  double score;
  bool context;     /* part of a sentence that only sets the scene */
  bool speak;       /* "read the sign in x.png aloud": speak the result too */
  bool split_tail;  /* split off the end of the step before it (best_split) */
  bool relative;    /* that split-off end is a relative clause ("an audio clip
                       | that describes the objects"): it says what to make */
  bool fed;         /* takes what the step after it makes (a relative clause) */
} step;

typedef struct {
  const char *req;
  size_t req_len;
  token *tok;
  size_t n_tok;
  resource res[OFF_MAX_RES];
  size_t n_res;
  taskcue *cues;
  double *scene; /* per task: its cues in the scene-setting sentences ("a document ...") */
  size_t n_cues;
  step steps[OFF_MAX_STEPS];
  size_t n_steps;
  int image_kind; /* what the request's picture shows: IMG_PLAIN, IMG_TABLE, IMG_DOCUMENT */
  baton__graph *g;
  char *err;
  size_t errlen;
} planner;

/* ---- words ------------------------------------------------------------- */

static bool is_alnum_byte(unsigned char c) {
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
static void make_word(const char *src, size_t n, char *dst, char *st) {
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

static bool in_list(const char *w, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(w, list[i]) == 0)
      return true;
  return false;
}

static bool indefinite(const char *w) { return !strcmp(w, "a") || !strcmp(w, "an"); }

static bool is_determiner_stem(const char *w) {
  static const char *const dets[] = {"a", "an", "the", "this", "that", "thes", "thos", "my",
                                     "your", "its", "our", "their", "some", "any", "all", "each",
                                     "every", NULL};
  return in_list(w, dets);
}

static const char *const stopwords[] = {
    "the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "it", "its", "from", "for",
    "with", "into", "as", "such", "e", "g", "each", "given", "text", "image", "audio",
    "video", "return", "new", "one", "another", "by", "at", "that", "this", "be", "are",
    "what", "how", "which", "use", "short", "longer", "point", "main", NULL};

/* Words that point back at what an earlier step made. */
static const char *const pronouns[] = {"it", "them", "this", "these", "those", "its",
                                       "their", "result", "results", "output", "outputs",
                                       "above", "previous", NULL};
/* After a determiner, these name an earlier step's output, not a new task. */
static const char *const ref_nouns[] = {
    "summary", "translation", "transcript", "transcription", "caption", "result",
    "output", "answer", "description", "translated", "summarized", "summarised",
    "transcribed", "generated", "extracted", "recognized", "recognised", "resulting",
    "detected", "speech", "response", "reply", "findings", "classification", "classified",
    "category", "label", "labels", "identified", "edited", "modified", "enhanced",
    "segmented", "restyled", "transformed", "altered", NULL};
static const char *const determiners[] = {"the", "this", "that", "its", "your", "these",
                                          "those", "their", "my", NULL};

/* ---- resources and tokens ---------------------------------------------- */

static int add_resource(planner *p, unsigned type, const char *v, size_t n, bool is_file) {
  if (p->n_res >= OFF_MAX_RES)
    return -2;
  char *copy = baton__strndup(v, n);
  if (!copy)
    return -1;
  resource *r = &p->res[p->n_res];
  r->type = type;
  r->value = copy;
  r->is_file = is_file;
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
  bool prev_alnum = i > 0 && is_alnum_byte((unsigned char)s[i - 1]);
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
          (j + 1 >= n || !is_alnum_byte((unsigned char)s[j + 1]))) {
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
        if (!dbl && j + l2 < n && is_alnum_byte((unsigned char)s[j + l2]) &&
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
static unsigned file_type_of(const char *s, size_t n) {
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
  unsigned ft = fe > fs ? file_type_of(q + fs, fe - fs) : 0;
  if (ft) {
    int r = add_resource(p, ft, q + fs, fe - fs, true);
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
    if (is_alnum_byte(c)) {
      size_t j = i;
      while (j < e && (is_alnum_byte((unsigned char)q[j]) ||
                       ((q[j] == '\'' || q[j] == '.') && j + 1 < e &&
                        is_alnum_byte((unsigned char)q[j + 1]) && j > i)))
        j++;
      token t;
      memset(&t, 0, sizeof t);
      t.kind = TK_WORD;
      t.start = i;
      t.end = j;
      make_word(q + i, j - i, t.word, t.stem);
      t.det = is_determiner_stem(t.stem);
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

static int tokenize(planner *p) {
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
        unsigned ft = fb > a ? file_type_of(q + a, fb - a) : 0;
        if (ft)
          b = fb;
        int r = add_resource(p, ft ? ft : BATON__T_TEXT, q + a, b - a, ft != 0);
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
          (q[j] == '\'' && !is_alnum_byte((unsigned char)q[j - 1])))
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
static void mark_naming(planner *p) {
  /* "transcribe the conversation", "a summary of this dialogue": what a
   * recording holds, not a request to chat */
  static const char *const held[] = {"conversation", "conversations", "dialogue", "dialogues",
                                     "dialog", "discussion", "discussions", "interview",
                                     "lecture", NULL};
  static const char *const definite[] = {"the", "this", "that", "these", "those", "its",
                                         "their", "my", "your", "our", NULL};
  for (size_t i = 1; i < p->n_tok; i++)
    if (p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, held) &&
        p->tok[i - 1].kind == TK_WORD && in_list(p->tok[i - 1].word, definite))
      p->tok[i].naming = true;
  /* "in-depth", "in-house": an idiom, not the word after the hyphen */
  for (size_t i = 1; i < p->n_tok; i++)
    if (p->tok[i].kind == TK_WORD && p->tok[i - 1].kind == TK_WORD &&
        p->tok[i].start == p->tok[i - 1].end + 1 && p->req[p->tok[i - 1].end] == '-' &&
        strcmp(p->tok[i - 1].word, "in") == 0)
      p->tok[i].naming = true;
  static const char *const naming[] = {"labeled", "labelled", "label", "named", "called",
                                       "titled", "entitled", "saved", "stored", "as", NULL};
  for (size_t i = 1; i < p->n_tok; i++) {
    if (p->tok[i].kind != TK_RES)
      continue;
    for (size_t k = i; k > 0 && k + 2 > i; k--) {
      token *t = &p->tok[k - 1];
      if (t->kind != TK_WORD || !in_list(t->word, naming))
        break;
      t->naming = true;
    }
  }
}

/* ---- keyword tables ---------------------------------------------------- */

/* Splits text into stemmed words; returns how many (at most max). */
static size_t split_words(const char *s, size_t n, char (*out)[OFF_MAX_WORD], size_t max) {
  size_t k = 0, i = 0;
  while (i < n && k < max) {
    if (!is_alnum_byte((unsigned char)s[i])) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && (is_alnum_byte((unsigned char)s[j]) ||
                     (s[j] == '\'' && j + 1 < n && is_alnum_byte((unsigned char)s[j + 1]))))
      j++;
    char low[OFF_MAX_WORD];
    make_word(s + i, j - i, low, out[k]);
    k++;
    i = j;
  }
  return k;
}

/* Phrases that match the same wordings (determiners are interchangeable). */
static bool same_phrase(const phrase *x, const phrase *y) {
  if (x->n != y->n || x->det != y->det)
    return false;
  for (size_t k = 0; k < x->n; k++)
    if (!((x->det >> k) & 1u) && strcmp(x->stems[k], y->stems[k]) != 0)
      return false;
  return true;
}

static int build_cues(planner *p, const baton__taskspec *tasks, size_t n_tasks) {
  p->cues = calloc(n_tasks ? n_tasks : 1, sizeof *p->cues);
  if (!p->cues)
    return -1;
  p->n_cues = n_tasks;
  for (size_t t = 0; t < n_tasks; t++) {
    taskcue *c = &p->cues[t];
    c->spec = &tasks[t];
    const char *kw = tasks[t].keywords ? tasks[t].keywords : "";
    size_t cap = 1;
    for (const char *s = kw; *s; s++)
      cap += *s == '|';
    if (cap > OFF_MAX_PHRASES)
      cap = OFF_MAX_PHRASES;
    c->phrases = calloc(cap, sizeof *c->phrases);
    if (!c->phrases)
      return -1;
    const char *s = kw;
    while (*s && c->n_phrases < cap) {
      const char *bar = strchr(s, '|');
      size_t len = bar ? (size_t)(bar - s) : strlen(s);
      phrase *ph = &c->phrases[c->n_phrases];
      ph->n = split_words(s, len, ph->stems, OFF_MAX_PHRASE);
      ph->det = 0;
      for (size_t k = 0; k < ph->n; k++)
        ph->det |= is_determiner_stem(ph->stems[k]) ? 1u << k : 0u;
      ph->comma = 0;
      size_t words = 0;
      for (size_t k = 0; k < len; k++) {
        if (is_alnum_byte((unsigned char)s[k]) &&
            (k == 0 || !is_alnum_byte((unsigned char)s[k - 1])) && (k == 0 || s[k - 1] != '\''))
          words++;
        else if (s[k] == ',' && words < OFF_MAX_PHRASE)
          ph->comma |= 1u << words;
      }
      bool dup = false; /* "answer the question" = "answer a question": count once */
      for (size_t k = 0; k < c->n_phrases && !dup && ph->n > 0; k++)
        dup = same_phrase(&c->phrases[k], ph);
      if (ph->n > 0 && !dup)
        c->n_phrases++;
      if (!bar)
        break;
      s = bar + 1;
    }
    /* longest first (stable: equal lengths keep the catalogue's order), the
     * order keyword_score counts overlapping phrases in */
    for (size_t i = 1; i < c->n_phrases; i++) {
      phrase ph = c->phrases[i];
      size_t j = i;
      for (; j > 0 && c->phrases[j - 1].n < ph.n; j--)
        c->phrases[j] = c->phrases[j - 1];
      c->phrases[j] = ph;
    }
    c->desc = calloc(OFF_MAX_DESC, sizeof *c->desc);
    if (!c->desc)
      return -1;
    char words[OFF_MAX_DESC][OFF_MAX_WORD];
    const char *d = tasks[t].description ? tasks[t].description : "";
    size_t nw = split_words(d, strlen(d), words, OFF_MAX_DESC);
    for (size_t w = 0; w < nw; w++) {
      if (strlen(words[w]) < 3 || in_list(words[w], stopwords))
        continue;
      bool dup = false;
      for (size_t k = 0; k < c->n_desc && !dup; k++)
        dup = strcmp(c->desc[k], words[w]) == 0;
      if (!dup)
        memcpy(c->desc[c->n_desc++], words[w], OFF_MAX_WORD);
    }
  }
  /* Weights, computed from the registry at plan time (nothing learned): a
   * phrase of n words weighs 1 + 0.5(n-1), divided by the square root of
   * how many tasks share it (in their keywords, or for one word in their
   * descriptions): "depth" says more than "objects" or "classify". */
  for (size_t t = 0; t < n_tasks; t++) {
    taskcue *c = &p->cues[t];
    for (size_t k = 0; k < c->n_phrases; k++) {
      phrase *ph = &c->phrases[k];
      size_t df = 1;
      for (size_t u = 0; u < n_tasks; u++) {
        if (u == t)
          continue;
        const taskcue *o = &p->cues[u];
        bool shared = false;
        for (size_t m = 0; m < o->n_phrases && !shared; m++)
          shared = same_phrase(&o->phrases[m], ph);
        for (size_t m = 0; m < o->n_desc && !shared && ph->n == 1; m++)
          shared = strcmp(o->desc[m], ph->stems[0]) == 0;
        df += shared;
      }
      /* a determiner at the end says nothing: "make the" weighs as "make" */
      size_t words = ph->n;
      while (words > 1 && ((ph->det >> (words - 1)) & 1u))
        words--;
      ph->weight = (1.0 + 0.5 * (double)(words - 1)) / sqrt((double)df);
    }
  }
  return 0;
}

/* ---- scoring ----------------------------------------------------------- */


/* Does the phrase occur at token i (within [i,b))? Returns the number of
 * tokens it spans, 0 if not. Determiners are loose: "generate an image"
 * also matches "generate this image" and "generate image", and "to speech"
 * matches "to a speech". */
static size_t phrase_at(const planner *p, const phrase *ph, size_t i, size_t b) {
  size_t k = 0, j = i, skipped = 0;
  while (k < ph->n && j < b) {
    if (k > 0 && ((ph->comma >> k) & 1u) && p->tok[j].kind == TK_PUNCT &&
        p->tok[j].stem[0] == ',') {
      j++; /* "people, places" written with its comma */
      continue;
    }
    if (p->tok[j].kind != TK_WORD || p->tok[j].skip || p->tok[j].naming)
      break;
    const char *w = p->tok[j].stem;
    bool wdet = p->tok[j].det, pdet = (ph->det >> k) & 1u;
    /* "convert it to an audio" makes a new one; "listen to the audio"
     * means one that exists: after a preposition, a phrase's "a"/"an" does
     * not stand for a definite determiner */
    if (pdet && wdet && k > 0 && indefinite(ph->stems[k]) && !indefinite(w) &&
        strcmp(w, "some") != 0 && strcmp(w, "any") != 0 &&
        (!strcmp(ph->stems[k - 1], "to") || !strcmp(ph->stems[k - 1], "into") ||
         !strcmp(ph->stems[k - 1], "as")))
      return 0;
    if ((wdet && pdet) || (w[0] == ph->stems[k][0] && strcmp(w, ph->stems[k]) == 0)) {
      k++, j++;
    } else if (k > 0 && k + 1 == ph->n && ((ph->det >> (k - 1)) & 1u) && skipped < 2 &&
               p->tok[j - 1].det) {
      j++, skipped++; /* "create an appealing thumbnail image": adjectives after
                         the phrase's determiner before its last word */
    } else if (pdet && k > 0 && k + 1 < ph->n) {
      k++; /* the phrase's determiner is absent here */
    } else if (wdet && k > 0 && skipped == 0) {
      j++; /* a determiner the phrase does not have */
    } else {
      return 0;
    }
  }
  return k == ph->n ? j - i : 0;
}

/* Is the match [i, i+n) inside a longer phrase of another task that also
 * matches here ("part of speech" hides "speech", "visual question
 * answering" hides "question answering")? */
static bool covered_by_longer(const planner *p, size_t task, size_t i, size_t n, size_t words,
                              size_t a, size_t b) {
  for (size_t t = 0; t < p->n_cues; t++) {
    if (t == task)
      continue;
    const taskcue *c = &p->cues[t];
    for (size_t k = 0; k < c->n_phrases; k++) {
      size_t m = c->phrases[k].n;
      if (m <= words)
        continue;
      size_t lo = i > a + m + 2 ? i - m - 2 : a; /* determiners may lengthen a match */
      for (size_t j = lo; j <= i; j++) {
        size_t len = phrase_at(p, &c->phrases[k], j, b);
        if (len && j + len >= i + n)
          return true;
      }
    }
  }
  return false;
}

/* Where the phrase of task `task` first occurs in tokens [a,b), not hidden
 * inside a longer phrase of another task: its token span in [*at, *at +
 * *len), or false. */
static bool phrase_in(const planner *p, size_t task, const phrase *ph, size_t a, size_t b,
                      size_t *at, size_t *len) {
  for (size_t i = a; i < b; i++) {
    size_t n = phrase_at(p, ph, i, b);
    if (n && !covered_by_longer(p, task, i, n, ph->n, a, b)) {
      *at = i;
      *len = n;
      return true;
    }
  }
  return false;
}

/* Keyword score: the weights of the task's phrases found in [a,b). A
 * phrase overlapping a longer phrase of the same task already counted adds
 * nothing: "modify the image" is one cue, not that plus "modify", and "the
 * image based on" is not also "an image based" (determiners are loose). */
static double keyword_score(const planner *p, const taskcue *c, size_t a, size_t b) {
  enum { MAX_SPANS = 16 };
  size_t span_at[MAX_SPANS], span_len[MAX_SPANS], n_spans = 0;
  double s = 0;
  size_t task = (size_t)(c - p->cues);
  /* the phrases are longest first (build_cues), so the parts come after
   * the whole */
  for (size_t i = 0; i < c->n_phrases; i++) {
    const phrase *ph = &c->phrases[i];
    size_t at, len;
    if (!phrase_in(p, task, ph, a, b, &at, &len))
      continue;
    bool inside = false;
    for (size_t k = 0; k < n_spans && !inside; k++)
      inside = at < span_at[k] + span_len[k] && span_at[k] < at + len;
    if (inside)
      continue;
    s += ph->weight;
    if (n_spans < MAX_SPANS) {
      span_at[n_spans] = at;
      span_len[n_spans++] = len;
    }
  }
  return s;
}

static double description_score(const planner *p, const taskcue *c, size_t a, size_t b) {
  double s = 0;
  for (size_t k = 0; k < c->n_desc; k++)
    for (size_t i = a; i < b; i++)
      if (p->tok[i].kind == TK_WORD && !p->tok[i].skip && !p->tok[i].naming &&
          strcmp(p->tok[i].stem, c->desc[k]) == 0) {
        s += 0.3;
        break;
      }
  return s;
}

static bool step_has_word(const planner *p, size_t a, size_t b, const char *const *list) {
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, list))
      return true;
  return false;
}

static bool step_has_prefix(const planner *p, size_t a, size_t b, const char *prefix) {
  size_t n = strlen(prefix);
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_WORD && strncmp(p->tok[i].word, prefix, n) == 0)
      return true;
  return false;
}

/* Types of the resources named in tokens [a,b). */
static unsigned own_types(const planner *p, size_t a, size_t b) {
  unsigned t = 0;
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_RES)
      t |= p->res[p->tok[i].res].type;
  return t;
}

/* Types of every resource of the request. */
static unsigned all_types(const planner *p) {
  unsigned t = 0;
  for (size_t i = 0; i < p->n_res; i++)
    t |= p->res[i].type;
  return t;
}

static unsigned unclaimed_types(const planner *p) {
  unsigned t = 0;
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].claimed)
      t |= p->res[i].type;
  return t;
}

/* Records which resources a recognised step will take, so that later
 * steps do not count on them ("read x.png ... read it aloud"). */
static void claim_resources(planner *p, const step *st, const baton__taskspec *s,
                            unsigned produced_before) {
  bool own = false;
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & s->inputs)) {
      p->res[p->tok[i].res].claimed = true;
      own = true;
    }
  if (own)
    return;
  unsigned media = s->inputs & ~(unsigned)BATON__T_TEXT;
  unsigned need = media ? media : s->inputs;
  if (produced_before & need)
    return;
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].claimed && (p->res[i].type & need)) {
      p->res[i].claimed = true;
      return;
    }
}

/* Marks "the summary", "the translated text"... as references to earlier
 * output so they do not read as cues for a new task. */
static void mark_references(planner *p, size_t a, size_t b) {
  for (size_t i = a + 1; i < b; i++) {
    if (p->tok[i].kind != TK_WORD || !in_list(p->tok[i].word, ref_nouns))
      continue;
    if (p->tok[i - 1].kind == TK_WORD && in_list(p->tok[i - 1].word, determiners))
      p->tok[i].skip = true;
    /* "the classification result", "the detected objects": one word between */
    else if (i >= a + 2 && p->tok[i - 1].kind == TK_WORD && p->tok[i - 2].kind == TK_WORD &&
             in_list(p->tok[i - 2].word, determiners))
      p->tok[i].skip = p->tok[i - 1].skip = true;
  }
}

static void clear_references(planner *p, size_t a, size_t b) {
  for (size_t i = a; i < b; i++)
    p->tok[i].skip = false;
}

/* A first-person subject ("I", "we've") starting a clause of its own. */
static bool is_subject(const token *t) {
  static const char *const subjects[] = {"i", "i've", "i'm", "im", "ive", "we", "we've",
                                         "we're", NULL};
  return t->kind == TK_WORD && in_list(t->word, subjects);
}

/* The subject of a scene-setting statement: a first-person one, or "my
 * ...", "our ...", "there is ...". */
static bool scene_subject(const token *t) {
  static const char *const more[] = {"my", "our", "there", "there's", NULL};
  return is_subject(t) || (t->kind == TK_WORD && in_list(t->word, more));
}

/* "I have a photo 'x.jpg' of my kitchen", "I'm making a chatbot": a
 * statement in the first person that asks for nothing sets the scene; its
 * resources count, its words are no task. */
static bool is_context_clause(const planner *p, size_t a, size_t b) {
  static const char *const asking[] = {
      "want", "need", "like", "love", "wish", "hope", "hoping", "wonder", "wondering", "intrigued", "eager", "curious", "interested",
      "please", "would", "could", "can", "help", "let", "let's", "require", "should",
      "must", "looking", "trying", "keen", "aim", "plan", "planning", "appreciate",
      "i'd", "we'd", "will", NULL};
  static const char *const lead_ins[] = {"imagine", "suppose", "assuming", "assume", "say",
                                         "so", "well", "hey", "hi", "hello", "recently",
                                         "now", "today", "yesterday", "currently", NULL};
  static const char *const subordinators[] = {"while", "when", "after", "since", "because",
                                              "during", "having", "as", "although", "though",
                                              "whilst", "upon", NULL};
  size_t i = a;
  while (i < b && p->tok[i].kind != TK_WORD)
    i++;
  /* "Let's consider that I have ...", "Let us say we have ...": a lead-in,
   * not a request */
  static const char *const supposing[] = {"consider", "imagine", "say", "suppose", "assume",
                                          "pretend", "picture", NULL};
  size_t lead = i;
  if (lead < b && strcmp(p->tok[lead].word, "let") == 0 && lead + 1 < b &&
      strcmp(p->tok[lead + 1].word, "us") == 0)
    lead++;
  if (lead < b && (strcmp(p->tok[lead].word, "let's") == 0 || strcmp(p->tok[lead].word, "us") == 0) &&
      lead + 1 < b && p->tok[lead + 1].kind == TK_WORD && in_list(p->tok[lead + 1].word, supposing)) {
    i = lead + 2;
    if (i < b && p->tok[i].kind == TK_WORD && strcmp(p->tok[i].word, "that") == 0)
      i++;
    a = i; /* the lead-in's "let's" asks for nothing */
  }
  /* "While browsing, I found ...": skip the subordinate clause */
  if (i < b && in_list(p->tok[i].word, subordinators)) {
    size_t k = i;
    while (k < b && !(p->tok[k].kind == TK_PUNCT && p->tok[k].stem[0] == ','))
      k++;
    if (k < b)
      i = k + 1;
  }
  /* "You know, I have ...": a filler */
  if (i + 1 < b && strcmp(p->tok[i].word, "you") == 0 &&
      (strcmp(p->tok[i + 1].word, "know") == 0 || strcmp(p->tok[i + 1].word, "see") == 0))
    i += 2;
  while (i < b && p->tok[i].kind != TK_WORD)
    i++;
  /* "Imagine we have ...", "Recently, I took ...": the lead-in asks nothing */
  while (i + 1 < b && p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, lead_ins) &&
         !scene_subject(&p->tok[i])) {
    i++;
    while (i < b && p->tok[i].kind != TK_WORD)
      i++;
  }
  if (i >= b || !scene_subject(&p->tok[i]))
    return false;
  return !step_has_word(p, a, b, asking);
}

static bool takes_two_texts(const baton__taskspec *s) {
  /* inputs [text, text] collapse to one bit; the names tell them apart */
  return s->inputs == BATON__T_TEXT && s->name &&
         (strstr(s->name, "question-answering") || strstr(s->name, "similarity"));
}

static const char *language_code(const char *w);

/* Which media the words of [a,b) talk about working on ("the photo", "this
 * recording"); a medium named as the result ("into an image", "as audio")
 * does not count. */
static unsigned said_media(const planner *p, size_t a, size_t b) {
  static const char *const image_nouns[] = {"image", "images", "photo", "photos", "picture",
                                            "pictures", "photograph", "snapshot",
                                            "screenshot", NULL};
  static const char *const audio_nouns[] = {"audio", "recording", "recordings", "sound",
                                            "voice", "clip", NULL};
  static const char *const result_marks[] = {"into", "as", "to", "an", "a", "new", "fresh",
                                             NULL};
  unsigned m = 0;
  for (size_t i = a; i < b; i++) {
    if (p->tok[i].kind != TK_WORD)
      continue;
    unsigned t = in_list(p->tok[i].word, image_nouns)   ? BATON__T_IMAGE
                 : in_list(p->tok[i].word, audio_nouns) ? BATON__T_AUDIO
                                                        : 0;
    if (!t)
      continue;
    bool result = false;
    for (size_t k = i; k > a && k + 2 > i && !result; k--)
      result = p->tok[k - 1].kind == TK_WORD && in_list(p->tok[k - 1].word, result_marks);
    if (!result)
      m |= t;
  }
  return m;
}

/* Does [a,b) name a medium as a destination ("into images", "to speech")? */
static bool into_medium(const planner *p, size_t a, size_t b) {
  static const char *const media[] = {"image", "images", "picture", "pictures", "video",
                                      "videos", "speech", "audio", "sound", "visual",
                                      "visuals", "illustration", "illustrations", NULL};
  for (size_t i = a; i + 1 < b; i++) {
    if (p->tok[i].kind != TK_WORD ||
        (strcmp(p->tok[i].word, "into") != 0 && strcmp(p->tok[i].word, "to") != 0))
      continue;
    for (size_t k = i + 1; k < b && k <= i + 3 && p->tok[k].kind == TK_WORD; k++)
      if (in_list(p->tok[k].word, media))
        return true;
  }
  return false;
}

/* Does [a,b) name a language as a destination ("into French", "to German")? */
static bool into_language(const planner *p, size_t a, size_t b) {
  for (size_t i = a + 1; i < b; i++)
    if (p->tok[i].kind == TK_WORD && p->tok[i - 1].kind == TK_WORD &&
        (strcmp(p->tok[i - 1].word, "into") == 0 || strcmp(p->tok[i - 1].word, "to") == 0) &&
        language_code(p->tok[i].word))
      return true;
  return false;
}

/* Does [a,b) ask a question of its own: an asking verb before a quoted
 * question ("identify 'Who won?'") or before a question word ("figure out who won", "tell
 * me which city is the largest", "find out when it happened")? */
static bool asks_question(const planner *p, size_t a, size_t b) {
  static const char *const verbs[] = {"figure", "figuring", "find", "finding", "tell",
                                      "know", "identify", "determine", "establish", "work",
                                      "learn", "discover", "confirm", "check", "extract",
                                      "answer", "ask", "understand", "clarify", "explain", "wonder", "wondering", "curious",
                                      "out", "me", "us", NULL};
  static const char *const wh[] = {"who", "whom", "whose", "what", "which", "when", "where",
                                   "why", "how", "whether", NULL};
  for (size_t i = a; i < b; i++) {
    if (p->tok[i].kind == TK_RES) {
      const resource *r = &p->res[p->tok[i].res];
      size_t n = strlen(r->value);
        size_t v = i;
      while (v > a && p->tok[v - 1].kind == TK_PUNCT && strchr(",:-", p->tok[v - 1].stem[0]))
        v--;
      if (!r->is_file && r->type == BATON__T_TEXT && n > 0 && r->value[n - 1] == '?' &&
          v > a && p->tok[v - 1].kind == TK_WORD && in_list(p->tok[v - 1].word, verbs))
        return true; /* "identify 'Who is ...?'", "I'd like to know: 'Why ...?'" */
      continue;
    }
    if (i > a && p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, wh) &&
        p->tok[i - 1].kind == TK_WORD && in_list(p->tok[i - 1].word, verbs))
      return true;
    /* "tell me the colour of the sofa", "let me know the date" */
    if (p->tok[i].kind != TK_WORD)
      continue;
    /* "Is there a cat in pets.jpg?", "are there any cars ..." */
    if (i + 1 < b && (strcmp(p->tok[i].word, "is") == 0 || strcmp(p->tok[i].word, "are") == 0) &&
        p->tok[i + 1].kind == TK_WORD && strcmp(p->tok[i + 1].word, "there") == 0)
      return true;
    size_t obj = i + 1; /* "tell me | the ...", "know | the ..." */
    if (strcmp(p->tok[i].word, "tell") == 0 && obj < b && p->tok[obj].kind == TK_WORD &&
        (strcmp(p->tok[obj].word, "me") == 0 || strcmp(p->tok[obj].word, "us") == 0))
      obj++;
    else if (strcmp(p->tok[i].word, "know") != 0)
      continue;
    if (obj < b && obj > i + (strcmp(p->tok[i].word, "tell") == 0) &&
        p->tok[obj].kind == TK_WORD && p->tok[obj].det)
      return true;
  }
  return false;
}

/* Is the resource a passage one could answer questions from: a text file,
 * or a quote of some length that is not itself a question ("The car is
 * blue." is a statement to compare with, not something to read)? */
static bool is_passage(const resource *r) {
  if (!(r->type & BATON__T_TEXT))
    return false;
  if (r->is_file)
    return true;
  size_t n = strlen(r->value), words = 1;
  for (size_t k = 0; k < n; k++)
    words += r->value[k] == ' ';
  return n > 0 && r->value[n - 1] != '?' && words >= 8;
}

/* Is there a passage to answer from, or text an earlier step makes? */
static bool has_passage(const planner *p, unsigned produced) {
  if (produced & BATON__T_TEXT)
    return true;
  for (size_t i = 0; i < p->n_res; i++)
    if (is_passage(&p->res[i]))
      return true;
  return false;
}

/* Does a quoted text speak of a picture ("... in this photo?")? */
static bool mentions_picture(const char *text) {
  static const char *const nouns[] = {"image", "picture", "photo", "photograph", NULL};
  char stems[64][OFF_MAX_WORD];
  size_t n = split_words(text, strlen(text), stems, 64);
  for (size_t k = 0; nouns[k]; k++) {
    char low[OFF_MAX_WORD], stem[OFF_MAX_WORD];
    make_word(nouns[k], strlen(nouns[k]), low, stem);
    for (size_t i = 0; i < n; i++)
      if (strcmp(stems[i], stem) == 0)
        return true;
  }
  return false;
}

/* Score of task t for tokens [a,b) given what is available before it
 * (avail: types earlier tasks or unclaimed resources provide); *kw_out
 * receives the keyword part. */
static double task_score(const planner *p, size_t a, size_t b, unsigned avail, size_t t,
                         double *kw_out) {
  const baton__taskspec *s = p->cues[t].spec;
  double kw = keyword_score(p, &p->cues[t], a, b);
  *kw_out = kw;
  if (kw < OFF_MIN_KW)
    return 0;
  /* A file of a type the task makes, not takes, names its output
   * ("create a video example.mp4"). */
  unsigned own = own_types(p, a, b) & ~(s->outputs & ~s->inputs);
  double sc = kw + description_score(p, &p->cues[t], a, b);
  if (p->scene)
    sc += 0.5 * (p->scene[t] < 1.0 ? p->scene[t] : 1.0); /* "I have a document ..." */
  unsigned media_in = s->inputs & ~(unsigned)BATON__T_TEXT;
  unsigned readable = BATON__T_IMAGE | BATON__T_AUDIO; /* can become text first */
  if (media_in && !((own | avail | all_types(p)) & media_in))
    sc -= 2.0; /* it could not get its image or recording at all */
  else if (media_in && !((own | avail) & media_in))
    sc -= 0.5; /* only from a resource an earlier step works on already */
  if (own) {
    if (s->inputs & own)
      sc += 0.6; /* the step names what the task takes */
    else if (s->inputs == BATON__T_TEXT && (own & readable & ~s->outputs))
      sc -= 0.3; /* an image or recording can be read to text first
                    (but speaking a recording's transcript is no plan) */
    else
      sc -= 1.0;
  } else {
    sc += (media_in && (avail & media_in)) ? 0.5 : (avail & s->inputs) ? 0.3 : 0.0;
  }
  if (takes_two_texts(s) && !((own | avail) & BATON__T_TEXT))
    sc -= 0.5; /* a question about a passage, but there is no passage */
  unsigned said = said_media(p, a, b);
  if (!own && media_in && (said == BATON__T_IMAGE || said == BATON__T_AUDIO))
    sc += (said & media_in) ? 0.3 : -0.5; /* "categorize the audio": not a picture task */
  static const char *const video_words[] = {"video", "videos", "animation", "movie", NULL};
  if (s->name && strcmp(s->name, "text-to-image") == 0 && step_has_word(p, a, b, video_words))
    sc -= 1.0; /* "visualize it in a video": the video is what to make */
  if (s->name && strcmp(s->name, "translation") == 0) {
    if (into_language(p, a, b))
      sc += 1.0; /* "convert the labels into French": whatever the verb */
    else if (into_medium(p, a, b))
      sc -= 1.5; /* "translate quotes into images" is drawing them */
  }
  return sc;
}

/* Whether task t alone would be accepted for [a,b); its score in *score. */
static bool best_task_only(const planner *p, size_t a, size_t b, unsigned avail, size_t t,
                           double *score) {
  double kw;
  *score = task_score(p, a, b, avail, t, &kw);
  return kw >= OFF_MIN_KW && *score >= 0.75;
}

/* Best task for tokens [a,b); -1 when none scores enough. */
static int best_task_min(const planner *p, size_t a, size_t b, unsigned avail, double min,
                         int exclude, double *score_out) {
  int best = -1;
  double best_s = 0;
  double scores[OFF_MAX_TASKSPECS], kws[OFF_MAX_TASKSPECS];
  *score_out = 0;
  for (size_t t = 0; t < p->n_cues; t++) {
    scores[t] = (int)t == exclude ? 0 : task_score(p, a, b, avail, t, &kws[t]);
    if ((int)t == exclude)
      kws[t] = 0;
    if (kws[t] >= OFF_MIN_KW && scores[t] > best_s + 1e-9) {
      best_s = scores[t];
      best = (int)t;
    }
  }
  /* "Summarise X in Spanish": the language names a translation that rides
   * along (emit_step adds it); the verb decides the step. */
  if (best >= 0 && p->cues[best].spec->name &&
      strcmp(p->cues[best].spec->name, "translation") == 0 && !step_has_prefix(p, a, b, "translat")) {
    int second = -1;
    double second_s = 0;
    for (size_t t = 0; t < p->n_cues; t++)
      if ((int)t != best && scores[t] > second_s + 1e-9 && kws[t] >= OFF_MIN_KW &&
          (p->cues[t].spec->inputs & BATON__T_TEXT)) {
        /* only a task a translation can ride along with (text in): "convert
         * the image category into French" is a translation, not a restyle */
        second_s = scores[t];
        second = (int)t;
      }
    if (second >= 0 && kws[second] >= 0.9) {
      best = second;
      best_s = second_s;
    }
  }
  if (best >= 0 && best_s < min)
    best = -1;
  *score_out = best_s;
  return best;
}

static int best_task(const planner *p, size_t a, size_t b, unsigned avail, double *score_out) {
  return best_task_min(p, a, b, avail, 0.75, -1, score_out);
}

static int spec_index(const planner *p, const char *name) {
  for (size_t i = 0; i < p->n_cues; i++)
    if (p->cues[i].spec->name && strcmp(p->cues[i].spec->name, name) == 0)
      return (int)i;
  return -1;
}

/* ---- what the picture shows ------------------------------------------- */

enum { IMG_PLAIN, IMG_TABLE, IMG_DOCUMENT };

static bool is_hard_punct(const token *t);

/* A sentence that names a picture ("a photo of a table in t.jpg", "a
 * scanned invoice x.png") and calls it a table or chart, or a document:
 * reading such a picture is table classification or document question
 * answering rather than captioning. */
static int find_image_kind(const planner *p) {
  static const char *const image_words[] = {"image", "images", "photo", "photos", "picture",
                                            "pictures", "photograph", "scan", "screenshot",
                                            "snapshot", NULL};
  static const char *const table_words[] = {"table", "tables", "chart", "charts", "tabular",
                                            "spreadsheet", "graph", NULL};
  static const char *const doc_words[] = {"document", "documents", "invoice", "receipt",
                                          "scanned", NULL};
  int kind = IMG_PLAIN;
  size_t seg = 0;
  for (size_t i = 0; i <= p->n_tok; i++) {
    if (i < p->n_tok && !is_hard_punct(&p->tok[i]))
      continue;
    bool img = false;
    for (size_t k = seg; k < i && !img; k++)
      img = (p->tok[k].kind == TK_RES && (p->res[p->tok[k].res].type & BATON__T_IMAGE)) ||
            (p->tok[k].kind == TK_WORD && in_list(p->tok[k].word, image_words));
    static const char *const maybe[] = {"if", "whether", NULL};
    if (step_has_word(p, seg, i, maybe))
      img = false; /* "if there is a table in the new image": not this picture */
    if (img && step_has_word(p, seg, i, table_words))
      return IMG_TABLE;
    if (img && kind == IMG_PLAIN && step_has_word(p, seg, i, doc_words))
      kind = IMG_DOCUMENT;
    seg = i + 1;
  }
  return kind;
}

/* The task that reads this request's picture into text in place of
 * `name` (image-to-text, or image classification of a table), or NULL to
 * keep it. */
static const char *reader_task(const planner *p, const char *name) {
  if (!name)
    return NULL;
  bool caption = strcmp(name, "image-to-text") == 0;
  size_t pictures = 0; /* with several pictures, which one is the table is unclear */
  for (size_t i = 0; i < p->n_res; i++)
    pictures += p->res[i].is_file && (p->res[i].type & BATON__T_IMAGE);
  if (p->image_kind == IMG_TABLE &&
      (caption || strcmp(name, "image-classification") == 0 ||
       (pictures == 1 && strcmp(name, "text-classification") == 0)))
    return "tabular-classification"; /* "decipher the table and categorize it" */
  if (p->image_kind == IMG_DOCUMENT &&
      (caption || (pictures == 1 && strcmp(name, "visual-question-answering") == 0)))
    return "document-question-answering";
  return NULL;
}

/* Does the step's question speak of a picture: its words ("the colour of
 * the car in the image") or its quoted question ("... in this photo?")? */
static bool asks_about_picture(const planner *p, const step *st) {
  if ((said_media(p, st->a, st->b) | own_types(p, st->a, st->b)) & BATON__T_IMAGE)
    return true;
  for (size_t k = st->a; k < st->b; k++)
    if (p->tok[k].kind == TK_RES && p->res[p->tok[k].res].type == BATON__T_TEXT &&
        !p->res[p->tok[k].res].is_file && mentions_picture(p->res[p->tok[k].res].value))
      return true;
  return false;
}

/* "Answer 'Which object is the main one?'" with a picture and no passage
 * to read: the question is about the picture (visual, or document question
 * answering when the picture is a document). Returns the task to use
 * instead of question-answering, or -1. */
static int question_on_picture(const planner *p, const step *st, unsigned produced) {
  const char *name = p->cues[st->task].spec->name;
  if (!name || strcmp(name, "question-answering") != 0)
    return -1;
  if (!((produced | all_types(p)) & BATON__T_IMAGE))
    return -1;
  /* "answer 'What colour is the car in this photo?'": the question itself
   * is about the picture, whatever else there is to read */
  if (!asks_about_picture(p, st)) {
    if (produced & BATON__T_TEXT)
      return -1;
    for (size_t i = 0; i < p->n_res; i++) {
      bool own = false;
      for (size_t k = st->a; k < st->b && !own; k++)
        own = p->tok[k].kind == TK_RES && p->tok[k].res == (int)i;
      if (!own && is_passage(&p->res[i]))
        return -1; /* a passage to answer from */
    }
  }
  return spec_index(p, p->image_kind == IMG_DOCUMENT ? "document-question-answering"
                                                     : "visual-question-answering");
}


/* "Translate what is in those regions into written words": a translation
 * naming no language, with no text to work on but a picture or recording
 * made or named before, is reading that picture (or transcribing that
 * recording). Returns the reading task, or -1. */
static int translation_of_media(const planner *p, const step *st, unsigned produced) {
  const char *name = p->cues[st->task].spec->name;
  if (!name || strcmp(name, "translation") != 0 || (produced & BATON__T_TEXT) ||
      (own_types(p, st->a, st->b) & BATON__T_TEXT))
    return -1;
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_WORD && language_code(p->tok[i].word))
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
    const char *r = reader_task(p, "image-to-text");
    return spec_index(p, r ? r : "image-to-text");
  }
  if (media & BATON__T_AUDIO)
    return spec_index(p, "automatic-speech-recognition");
  return -1;
}

/* "Identify the main object in x.jpg", "what object it depicts": one
 * object, the one the picture shows, is told by classifying the picture;
 * detection finds several ("the objects", "each item"). Returns the task to
 * use instead of object-detection, or -1. */
static int one_object(const planner *p, const step *st) {
  const char *name = p->cues[st->task].spec->name;
  if (!name || strcmp(name, "object-detection") != 0)
    return -1;
  /* several objects, or one picked among several ("which object is the
   * largest") */
  static const char *const several[] = {"objects", "items", "elements", "things", "components",
                                        "each", "every", "all", "count", "many", "number",
                                        "locate", "where", "box", "boxes", "which", NULL};
  if (step_has_word(p, st->a, st->b, several))
    return -1;
  static const char *const singular[] = {"object", "item", "thing", NULL};
  static const char *const naming_the_task[] = {"detection", "detector", "recognition",
                                                "detecting", NULL};
  bool one = false;
  for (size_t i = st->a; i < st->b; i++) {
    if (p->tok[i].kind != TK_WORD || !in_list(p->tok[i].word, singular))
      continue;
    if (i + 1 < st->b && p->tok[i + 1].kind == TK_WORD &&
        in_list(p->tok[i + 1].word, naming_the_task))
      return -1; /* "an object detection model" names the task */
    one = true;
  }
  return one ? spec_index(p, "image-classification") : -1;
}

/* ---- splitting --------------------------------------------------------- */

static bool is_hard_word(const planner *p, size_t i) {
  const token *t = &p->tok[i];
  if (t->kind != TK_WORD)
    return false;
  static const char *const hard[] = {"then", "finally", "afterwards", "afterward", "lastly",
                                     "subsequently", "additionally", "furthermore", "moreover",
                                     "secondly", "thirdly", "meanwhile", "ultimately",
                                     "eventually", "besides", NULL};
  if (in_list(t->word, hard))
    return true;
  bool after_break = i == 0 || p->tok[i - 1].kind == TK_PUNCT ||
                     (p->tok[i - 1].kind == TK_WORD && strcmp(p->tok[i - 1].word, "and") == 0);
  if (strcmp(t->word, "next") == 0 && after_break)
    return true;
  if (strcmp(t->word, "after") == 0 && i + 1 < p->n_tok && p->tok[i + 1].kind == TK_WORD &&
      (strcmp(p->tok[i + 1].word, "that") == 0 || strcmp(p->tok[i + 1].word, "this") == 0))
    return true;
  return false;
}

static bool is_hard_punct(const token *t) {
  return t->kind == TK_PUNCT && strchr(".!?;", t->stem[0]) != NULL;
}

static bool is_soft(const token *t) {
  return (t->kind == TK_PUNCT && t->stem[0] == ',') ||
         (t->kind == TK_WORD && (strcmp(t->word, "and") == 0 || strcmp(t->word, "also") == 0 ||
                                 strcmp(t->word, "plus") == 0));
}

/* Does some task have a keyword in tokens [a,b)? */
static bool has_cue(const planner *p, size_t a, size_t b) {
  for (size_t t = 0; t < p->n_cues; t++)
    if (keyword_score(p, &p->cues[t], a, b) >= OFF_MIN_KW)
      return true;
  return false;
}

static int add_step(planner *p, size_t a, size_t b, bool context) {
  /* Trim boundary words at either end. */
  while (a < b && (is_soft(&p->tok[a]) || is_hard_word(p, a) || p->tok[a].kind == TK_PUNCT))
    a += (p->tok[a].kind == TK_WORD && strcmp(p->tok[a].word, "after") == 0) ? 2 : 1;
  if (a >= b)
    return 0;
  if (p->n_steps >= OFF_MAX_STEPS)
    return -1;
  step *s = &p->steps[p->n_steps++];
  s->a = a;
  s->b = b;
  s->task = -1;
  s->score = 0;
  s->context = context;
  s->speak = false;
  s->split_tail = false;
  s->relative = false;
  s->fed = false;
  return 0;
}

/* Does [k, e) start a clause with a subject of its own ("and I'm curious")? */
static bool starts_clause(const planner *p, size_t k, size_t e) {
  while (k < e && (is_soft(&p->tok[k]) || p->tok[k].kind == TK_PUNCT))
    k++;
  return k < e && is_subject(&p->tok[k]);
}

/* Whether the piece [a, b) of a sentence only sets the scene: a piece with
 * a first-person subject of its own is judged alone, a condition split off
 * before the rest of its sentence (not `last`) only sets the scene, other
 * pieces go with their sentence (`sentence`). */
static bool piece_context(planner *p, size_t a, size_t b, bool sentence, bool last) {
  static const char *const subordinators[] = {"once", "when", "whenever", "if", "after",
                                              "before", "until", "since", "while", "as",
                                              NULL};
  size_t k = a;
  while (k < b && (is_soft(&p->tok[k]) || p->tok[k].kind == TK_PUNCT))
    k++;
  if (k < b && is_subject(&p->tok[k]))
    return is_context_clause(p, k, b);
  /* "Once we get an answer, | could we ...": a condition split off the
   * clause that asks sets the scene, unless it names an action of its own
   * ("After editing the table, | I'd like ..."); its words that refer to
   * a result ("an answer", "the summary") name none */
  if (!last && k < b && p->tok[k].kind == TK_WORD && in_list(p->tok[k].word, subordinators)) {
    bool was[OFF_MAX_TOKENS];
    for (size_t i = k; i < b; i++) {
      was[i] = p->tok[i].skip;
      if (p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, ref_nouns))
        p->tok[i].skip = true;
    }
    bool action = has_cue(p, k, b);
    for (size_t i = k; i < b; i++)
      p->tok[i].skip = was[i];
    return !action;
  }
  return sentence;
}

static int split_steps(planner *p) {
  size_t seg = 0;
  for (size_t i = 0; i <= p->n_tok; i++) {
    bool end = i == p->n_tok || is_hard_punct(&p->tok[i]) || is_hard_word(p, i);
    if (!end)
      continue;
    /* Within [seg, i): soft boundaries split when what follows names a task
     * or starts a clause of its own ("..., and I'm curious about ..."). A
     * piece that is a first-person statement asking for nothing only sets
     * the scene ("I have a photo x.jpg of a table | and I wonder ..."). */
    bool context = is_context_clause(p, seg, i);
    size_t from = seg;
    for (size_t k = seg; k < i; k++) {
      if (!is_soft(&p->tok[k]) || k == from)
        continue;
      size_t next = k + 1;
      while (next < i && !is_soft(&p->tok[next]))
        next++;
      if (has_cue(p, k + 1, next) || starts_clause(p, k + 1, i)) {
        if (add_step(p, from, k, piece_context(p, from, k, context, false)) != 0)
          return -1;
        from = k;
      }
    }
    if (add_step(p, from, i, piece_context(p, from, i, context, true)) != 0)
      return -1;
    seg = i + 1;
  }
  return 0;
}

/* ---- languages --------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *code;
} language;

static const language languages[] = {
    {"english", "en"},  {"spanish", "es"},    {"castilian", "es"}, {"french", "fr"},
    {"german", "de"},   {"italian", "it"},    {"portuguese", "pt"}, {"catalan", "ca"},
    {"dutch", "nl"},    {"russian", "ru"},    {"chinese", "zh"},   {"mandarin", "zh"},
    {"japanese", "ja"}, {"korean", "ko"},     {"arabic", "ar"},    {"hindi", "hi"},
    {"polish", "pl"},   {"swedish", "sv"},    {"turkish", "tr"},   {"greek", "el"},
    {"romanian", "ro"}, {NULL, NULL}};

static const char *language_code(const char *w) {
  for (size_t i = 0; languages[i].name; i++)
    if (strcmp(w, languages[i].name) == 0)
      return languages[i].code;
  return NULL;
}

/* Target ("into Spanish") and source ("from French") languages in [a,b). */
static void find_languages(const planner *p, size_t a, size_t b, const char **tgt,
                           const char **src) {
  *tgt = NULL;
  *src = NULL;
  for (size_t i = a; i < b; i++) {
    if (p->tok[i].kind != TK_WORD)
      continue;
    const char *code = language_code(p->tok[i].word);
    if (!code)
      continue;
    const char *prev = i > a && p->tok[i - 1].kind == TK_WORD ? p->tok[i - 1].word : "";
    if (strcmp(prev, "from") == 0) {
      if (!*src)
        *src = code;
    } else if (!*tgt && (strcmp(prev, "into") == 0 || strcmp(prev, "to") == 0 ||
                         strcmp(prev, "in") == 0 || i + 1 >= b ||
                         (p->tok[i + 1].kind == TK_WORD &&
                          (strcmp(p->tok[i + 1].word, "translation") == 0 ||
                           strcmp(p->tok[i + 1].word, "version") == 0)))) {
      *tgt = code;
    }
  }
}

/* ---- building the graph ------------------------------------------------ */

static const baton__taskspec *spec_named(const planner *p, const char *name) {
  for (size_t i = 0; i < p->n_cues; i++)
    if (p->cues[i].spec->name && strcmp(p->cues[i].spec->name, name) == 0)
      return p->cues[i].spec;
  return NULL;
}

static int task_add_arg(baton__task *t, const char *name, const char *value, int ref) {
  for (size_t i = 0; i < t->n_args; i++)
    if (strcmp(t->args[i].name, name) == 0)
      return 0; /* first one wins */
  baton__arg *na = realloc(t->args, (t->n_args + 1) * sizeof *na);
  if (!na)
    return -1;
  t->args = na;
  baton__arg *a = &t->args[t->n_args];
  a->name = baton__strdup(name);
  a->value = ref >= 0 ? NULL : baton__strdup(value ? value : "");
  a->ref = ref;
  if (!a->name || (ref < 0 && !a->value)) {
    free(a->name);
    free(a->value);
    return -1;
  }
  t->n_args++;
  if (ref >= 0) {
    for (size_t i = 0; i < t->n_deps; i++)
      if (t->deps[i] == ref)
        return 0;
    int *nd = realloc(t->deps, (t->n_deps + 1) * sizeof *nd);
    if (!nd)
      return -1;
    t->deps = nd;
    t->deps[t->n_deps++] = ref;
  }
  return 0;
}

/* Where an input comes from: a resource, an earlier task, or literal text. */
typedef struct {
  int res;        /* resource index or -1 */
  int ref;        /* graph task id or -1 */
  char *literal;  /* owned, or NULL */
} source;

static void source_release(source *s) {
  free(s->literal);
  s->literal = NULL;
}

/* The types the task at graph index k produces (made[k] is its spec). */
static unsigned task_outputs(size_t k, const baton__taskspec *const *made) {
  return made[k] ? made[k]->outputs : 0;
}

/* Starts a new task in the graph; returns its id or -1 (err set). */
static int new_task(planner *p, const baton__taskspec *spec, baton__task *t) {
  memset(t, 0, sizeof *t);
  if (p->g->n >= OFF_MAX_TASKS) {
    baton__fmt(p->err, p->errlen, "the request asks for more than %d tasks", OFF_MAX_TASKS);
    return -1;
  }
  t->id = (int)p->g->n;
  t->task = baton__strdup(spec->name);
  if (!t->task) {
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -1;
  }
  return t->id;
}

static int commit_task(planner *p, baton__task *t, const baton__taskspec **made,
                       const baton__taskspec *spec) {
  size_t idx = p->g->n;
  if (baton__graph_push(p->g, t) != 0) {
    baton__task_release(t);
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -1;
  }
  made[idx] = spec;
  return 0;
}

/* Attaches a source as argument `name` of t. */
static int attach(planner *p, baton__task *t, const char *name, const source *s) {
  int rc = 0;
  if (s->ref >= 0)
    rc = task_add_arg(t, name, NULL, s->ref);
  else if (s->res >= 0)
    rc = task_add_arg(t, name, p->res[s->res].value, -1);
  else if (s->literal)
    rc = task_add_arg(t, name, s->literal, -1);
  if (rc != 0)
    baton__fmt(p->err, p->errlen, "out of memory while planning");
  return rc;
}

/* Nearest earlier task producing `type`, or -1. */
static int nearest_producer(const planner *p, unsigned type, const baton__taskspec *const *made) {
  for (size_t k = p->g->n; k-- > 0;) {
    unsigned out = task_outputs(k, made);
    /* A task that answers in text and also draws on its input (object
     * detection's boxes) is no source of pictures for later steps. */
    if (type == BATON__T_IMAGE && (out & BATON__T_TEXT) && made[k] &&
        (made[k]->inputs & BATON__T_IMAGE))
      continue;
    if (out & type)
      return (int)k;
  }
  return -1;
}

static int first_unused(const planner *p, unsigned type) {
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].used && (p->res[i].type & type))
      return (int)i;
  return -1;
}

/* Text of tokens [a,b) as written in the request (malloc'd). */
static char *span_text(const planner *p, size_t a, size_t b) {
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

/* The content of a generative request: what follows "of", "about"... */
static char *content_phrase(const planner *p, size_t a, size_t b) {
  static const char *const intro[] = {"of", "about", "showing", "depicting", "saying",
                                      "says", "featuring", "where", NULL};
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_WORD && in_list(p->tok[i].word, intro) && i + 1 < b)
      return span_text(p, i + 1, b);
  return NULL;
}

/* Bridges a media resource or output to text (image-to-text, speech
 * recognition). Returns the new task id, -1 when impossible, -2 on error. */
static int bridge_to_text(planner *p, const step *st, bool own_only, unsigned types,
                          const baton__taskspec **made) {
  static const struct {
    unsigned type;
    const char *task;
    const char *arg;
  } bridges[] = {{BATON__T_IMAGE, "image-to-text", "image"},
                 {BATON__T_AUDIO, "automatic-speech-recognition", "audio"}};
  /* Outside the step, read the media named nearest before it ("distill
   * the essence of it" after "a recording x.wav"), else the first one named
   * after it, else the caller's inputs. */
  int near = -1;
  if (!own_only) {
    for (size_t i = st->a; i-- > 0 && near < 0;)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & types) &&
          !p->res[p->tok[i].res].used)
        near = p->tok[i].res;
    for (size_t i = st->b; i < p->n_tok && near < 0; i++)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & types) &&
          !p->res[p->tok[i].res].used)
        near = p->tok[i].res;
  }
  for (int pass = 0; pass < (own_only ? 1 : 2); pass++)
    for (size_t k = 0; k < 2; k++) {
      if (!(bridges[k].type & types))
        continue;
      if (pass == 1 && near >= 0 && !(p->res[near].type & bridges[k].type))
        continue;
      const char *name = bridges[k].task;
      if (bridges[k].type == BATON__T_IMAGE && reader_task(p, name) &&
          spec_named(p, reader_task(p, name)))
        name = reader_task(p, name); /* a table or a document is read so */
      const baton__taskspec *spec = spec_named(p, name);
      if (!spec)
        continue;
      int r = -1;
      if (pass == 0) {
        for (size_t i = st->a; i < st->b && r < 0; i++)
          if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & bridges[k].type))
            r = p->tok[i].res;
      } else {
        r = near >= 0 ? near : first_unused(p, bridges[k].type);
      }
      if (r < 0)
        continue;
      baton__task t;
      int id = new_task(p, spec, &t);
      if (id < 0)
        return -2;
      source s = {r, -1, NULL};
      if (attach(p, &t, bridges[k].arg, &s) != 0) {
        baton__task_release(&t);
        return -2;
      }
      if (spec->inputs & BATON__T_TEXT) {
        /* a document reader also takes the question: the step's words */
        source q = {-1, -1, span_text(p, st->a, st->b)};
        int qrc = q.literal ? attach(p, &t, "text", &q) : 0;
        source_release(&q);
        if (qrc != 0) {
          baton__task_release(&t);
          return -2;
        }
      }
      p->res[r].used = true;
      if (commit_task(p, &t, made, spec) != 0)
        return -2;
      return id;
    }
  return -1;
}

/* Finds where the task's main input of `type` comes from, for step st.
 * Returns 0 with *src set (src->res/ref/literal may all be unset when
 * nothing fits), or -1 on error. */
static int resolve_input(planner *p, const step *st, unsigned type, unsigned outputs,
                         bool has_ref, const baton__taskspec **made, source *src) {
  src->res = src->ref = -1;
  src->literal = NULL;
  /* 1. the step's own resource of that type */
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & type)) {
      int r = p->tok[i].res;
      if (p->res[r].borrowed_by >= 0 &&
          (task_outputs((size_t)p->res[r].borrowed_by, made) & type)) {
        /* "summarize and translate X": X went to the earlier task. */
        src->ref = p->res[r].borrowed_by;
        return 0;
      }
      src->res = r;
      p->res[r].used = true;
      return 0;
    }
  /* 1b. text from the step's own image or recording ("translate sign.png") */
  if (type == BATON__T_TEXT) {
    int id = bridge_to_text(p, st, true, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  int prev = nearest_producer(p, type, made);
  /* 2. "it", "the result": the nearest earlier output */
  if (has_ref && prev >= 0) {
    src->ref = prev;
    return 0;
  }
  /* 2b. "summarize the lecture" with lecture.wav named earlier and nothing
   * read yet: transcribe (or read) it first */
  if (type == BATON__T_TEXT && prev < 0 && (outputs & BATON__T_TEXT) &&
      first_unused(p, BATON__T_TEXT) < 0 &&
      (first_unused(p, BATON__T_AUDIO) >= 0 || first_unused(p, BATON__T_IMAGE) >= 0)) {
    int id = bridge_to_text(p, st, false, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 2c. "draw the scene my narration in n.wav describes": what a recording
   * nobody has listened to yet says is what to make */
  if (type == BATON__T_TEXT && prev < 0 && !(outputs & BATON__T_TEXT) &&
      first_unused(p, BATON__T_TEXT) < 0 && first_unused(p, BATON__T_AUDIO) >= 0) {
    int id = bridge_to_text(p, st, false, BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 3. what to make: "an image of a cat playing piano" */
  if (type == BATON__T_TEXT && !has_ref && (prev < 0 || !(outputs & BATON__T_TEXT))) {
    src->literal = content_phrase(p, st->a, st->b);
    if (src->literal)
      return 0;
  }
  /* 4. an earlier output, 5. an unused resource of the request */
  if (prev >= 0) {
    src->ref = prev;
    return 0;
  }
  int r = first_unused(p, type);
  if (r >= 0) {
    src->res = r;
    p->res[r].used = true;
    p->res[r].borrowed_by = -2; /* marked below, once the task exists */
    return 0;
  }
  /* 6. "translate it": read an earlier-named image or recording first */
  if (type == BATON__T_TEXT && has_ref) {
    int id = bridge_to_text(p, st, false, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 7. the step's own words */
  if (type == BATON__T_TEXT) {
    src->literal = span_text(p, st->a, st->b);
    return 0;
  }
  /* 8. any resource of that type, even one used already */
  for (size_t i = 0; i < p->n_res; i++)
    if (p->res[i].type & type) {
      src->res = (int)i;
      return 0;
    }
  return 0;
}

/* The first quoted literal in the step, or -1. */
static int own_text(const planner *p, const step *st) {
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT)
      return p->tok[i].res;
  return -1;
}

/* How many quoted literals the step holds. */
static size_t own_text_count(const planner *p, const step *st) {
  size_t n = 0;
  for (size_t i = st->a; i < st->b; i++)
    n += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT;
  return n;
}

/* The primary input type of a task: its media type if any, else text. */
static unsigned primary_type(const baton__taskspec *s) {
  static const unsigned order[] = {BATON__T_IMAGE, BATON__T_AUDIO, BATON__T_VIDEO,
                                   BATON__T_TEXT, BATON__T_JSON};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (s->inputs & order[i])
      return order[i];
  return BATON__T_TEXT;
}


static int add_translation(planner *p, const source *in, const char *tgt, const char *src_lang,
                           const baton__taskspec **made) {
  const baton__taskspec *spec = spec_named(p, "translation");
  if (!spec)
    return -1;
  baton__task t;
  int id = new_task(p, spec, &t);
  if (id < 0)
    return -2;
  if (attach(p, &t, "text", in) != 0 ||
      task_add_arg(&t, "src_lang", src_lang ? src_lang : "en", -1) != 0 ||
      (tgt && task_add_arg(&t, "tgt_lang", tgt, -1) != 0)) {
    baton__task_release(&t);
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -2;
  }
  if (commit_task(p, &t, made, spec) != 0)
    return -2;
  return id;
}

/* Emits the task(s) for one recognised step. Returns 0; 1 when the step
 * has nothing to work on (err says what it needs; the caller drops the
 * step); -1 on error (err set). */
static int emit_step(planner *p, const step *st, const baton__taskspec **made) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  bool has_ref = st->fed || step_has_word(p, st->a, st->b, pronouns);
  for (size_t i = st->a; i < st->b; i++)
    has_ref = has_ref || p->tok[i].skip;
  const char *tgt = NULL, *src_lang = NULL;
  find_languages(p, st->a, st->b, &tgt, &src_lang);
  bool is_translation = spec->name && strcmp(spec->name, "translation") == 0;
  /* "summarise X in Spanish": a translation rides along (not for English,
   * which is too often just the language of the answer). */
  bool extra_translation = !is_translation && tgt && strcmp(tgt, "en") != 0 &&
                           spec_named(p, "translation") != NULL;
  unsigned ptype = primary_type(spec);

  /* One task per own resource of the primary type ("detect objects in a.jpg
   * and b.jpg"), else one. */
  int own_res[OFF_MAX_RES];
  size_t n_own = 0;
  if (ptype != BATON__T_TEXT)
    for (size_t i = st->a; i < st->b && n_own < OFF_MAX_RES; i++)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & ptype))
        own_res[n_own++] = p->tok[i].res;
  size_t copies = n_own > 1 ? n_own : 1;

  for (size_t c = 0; c < copies; c++) {
    source in = {-1, -1, NULL};
    int prev_text = nearest_producer(p, BATON__T_TEXT, made);
    if (n_own > 1) {
      in.res = own_res[c];
      p->res[in.res].used = true;
    } else if (takes_two_texts(spec) && own_text_count(p, st) == 1 && prev_text >= 0) {
      /* "answer 'Q?' from the summary", "compare it with 'S'": the earlier
       * text is the passage, the quote the question or second sentence */
      in.ref = prev_text;
    } else if (resolve_input(p, st, ptype, spec->outputs, has_ref, made, &in) != 0) {
      return -1;
    }
    if (in.res < 0 && in.ref < 0 && !in.literal) {
      /* Nothing to work on (e.g. "detect objects" with no image). */
      if (p->err[0] == '\0')
        baton__fmt(p->err, p->errlen,
                   "%s needs %s %s: name a file in the request or pass one as input",
                   spec->name, (ptype & (BATON__T_IMAGE | BATON__T_AUDIO)) ? "an" : "a",
                   baton__type_name(ptype));
      return 1;
    }
    int borrowed = in.res >= 0 && p->res[in.res].borrowed_by == -2 ? in.res : -1;
    if (borrowed >= 0)
      p->res[borrowed].borrowed_by = -1;

    /* Text going into a speaking/drawing task is translated first. */
    if (extra_translation && ptype == BATON__T_TEXT && !(spec->outputs & BATON__T_TEXT)) {
      int id = add_translation(p, &in, tgt, src_lang, made);
      if (id == -2) {
        source_release(&in);
        return -1;
      }
      if (id >= 0) {
        source_release(&in);
        in.res = -1;
        in.ref = id;
        extra_translation = false;
      }
    }

    baton__task t;
    int id = new_task(p, spec, &t);
    if (id < 0) {
      source_release(&in);
      return -1;
    }
    int in_ref = in.ref;
    int rc = attach(p, &t, baton__type_name(ptype), &in);
    source_release(&in);
    if (rc == 0 && ptype == BATON__T_IMAGE && spec->inputs == BATON__T_IMAGE &&
        spec->outputs == BATON__T_IMAGE && strcmp(spec->name, "image-to-image") == 0) {
      /* "make it black and white": the executor reads the wish from
       * the parameter "instruction" */
      char *words = span_text(p, st->a, st->b);
      if (words)
        rc = task_add_arg(&t, "instruction", words, -1);
      free(words);
    }
    if (rc == 0 && ptype != BATON__T_TEXT && (spec->inputs & BATON__T_TEXT)) {
      /* The question or instruction: a quote, else what an earlier step
       * wrote (a transcribed question), else the step's words. */
      int q = own_text(p, st);
      bool edits = (spec->outputs & BATON__T_IMAGE) != 0;
      /* an edit "based on" an earlier result takes that text as its
       * instruction ("alter the image to reflect the detected emotion") */
      static const char *const guided_by[] = {"based", "according", "reflect", "reflects",
                                              "reflecting", "mirror", "mirrors", "match",
                                              "matches", "using", NULL};
      bool guided = edits && step_has_word(p, st->a, st->b, guided_by);
      int from = q < 0 && (!edits || guided) && prev_text >= 0 && prev_text != in_ref
                     ? prev_text
                     : -1;
      source qs = {q, from, q < 0 && from < 0 ? span_text(p, st->a, st->b) : NULL};
      if (q >= 0)
        p->res[q].used = true;
      rc = attach(p, &t, "text", &qs);
      source_release(&qs);
    } else if (rc == 0 && takes_two_texts(spec)) {
      int q = -1;
      for (size_t i = st->a; i < st->b; i++)
        if (p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT &&
            !(t.args[0].value && strcmp(t.args[0].value, p->res[p->tok[i].res].value) == 0)) {
          q = p->tok[i].res;
          break;
        }
      const char *name = strstr(spec->name, "similarity") ? "text2" : "question";
      source qs = {q, -1, q < 0 && strcmp(name, "question") == 0 ? span_text(p, st->a, st->b)
                                                                  : NULL};
      if (q >= 0)
        p->res[q].used = true;
      rc = attach(p, &t, name, &qs);
      source_release(&qs);
    }
    if (rc == 0 && is_translation) {
      /* No target named: into English from another language, else leave
       * the choice to the model. */
      const char *to = tgt ? tgt : (src_lang && strcmp(src_lang, "en") != 0 ? "en" : NULL);
      rc = task_add_arg(&t, "src_lang", src_lang ? src_lang : "en", -1);
      if (rc == 0 && to)
        rc = task_add_arg(&t, "tgt_lang", to, -1);
    }
    if (rc != 0) {
      baton__task_release(&t);
      baton__fmt(p->err, p->errlen, "out of memory while planning");
      return -1;
    }
    if (commit_task(p, &t, made, spec) != 0)
      return -1;
    if (borrowed >= 0)
      p->res[borrowed].borrowed_by = id;

    int last = id;
    if (extra_translation && (spec->outputs & BATON__T_TEXT)) {
      source s = {-1, id, NULL};
      int tid = add_translation(p, &s, tgt, src_lang, made);
      if (tid == -2)
        return -1;
      if (tid >= 0)
        last = tid;
    }
    if (st->speak) {
      const baton__taskspec *tts = spec_named(p, "text-to-speech");
      baton__task sp;
      if (tts) {
        if (new_task(p, tts, &sp) < 0)
          return -1;
        source s = {-1, last, NULL};
        if (attach(p, &sp, "text", &s) != 0) {
          baton__task_release(&sp);
          return -1;
        }
        if (commit_task(p, &sp, made, tts) != 0)
          return -1;
      }
    }
  }
  return 0;
}

/* ---- the planner ------------------------------------------------------- */

static void planner_release(planner *p) {
  for (size_t i = 0; i < p->n_res; i++)
    free(p->res[i].value);
  if (p->cues)
    for (size_t i = 0; i < p->n_cues; i++) {
      free(p->cues[i].phrases);
      free(p->cues[i].desc);
    }
  free(p->cues);
  free(p->scene);
  free(p->tok);
}

/* Where to split a step that names two tasks: a token index, or 0 when
 * it names one. Both halves must name different tasks, each clearly, and
 * together score well above the whole. */
static size_t best_split(const planner *p, const step *st, unsigned avail) {
  double whole = st->score, best = 0;
  size_t at = 0;
  if (st->b - st->a < 4 || st->b - st->a > OFF_MAX_TOKENS)
    return 0;
  /* Candidate split points: where some task's cue phrase starts. */
  bool starts[OFF_MAX_TOKENS];
  memset(starts + st->a, 0, (st->b - st->a) * sizeof starts[0]);
  for (size_t t = 0; t < p->n_cues; t++)
    for (size_t f = 0; f < p->cues[t].n_phrases; f++)
      for (size_t k = st->a + 2; k + 1 < st->b; k++)
        if (!starts[k] && phrase_at(p, &p->cues[t].phrases[f], k, st->b))
          starts[k] = true;
  for (size_t k = st->a + 2; k + 1 < st->b; k++) {
    if (!starts[k] || p->tok[k].kind != TK_WORD)
      continue;
    static const char *const preps[] = {"in", "into", "as", "of", "for", "with", "on",
                                        "from", "by", NULL};
    size_t wl = strlen(p->tok[k].word), pl = strlen(p->tok[k - 1].word);
    bool in_phrase = p->tok[k - 1].kind == TK_WORD &&
                     (p->tok[k - 1].det || in_list(p->tok[k - 1].word, preps) ||
                      /* "a video | visualizing the result": a participle
                       * saying what the thing just named shows */
                      (wl > 4 && strcmp(p->tok[k].word + wl - 3, "ing") == 0) ||
                      /* "a segmented | image of the room": one image */
                      (pl > 4 && strcmp(p->tok[k - 1].word + pl - 2, "ed") == 0));
    double s1, s2;
    int t1 = best_task(p, st->a, k, avail, &s1);
    if (t1 < 0 || s1 < 1.0)
      continue;
    int t2 = best_task(p, k, st->b, avail | p->cues[t1].spec->outputs, &s2);
    if (t2 < 0 || t2 == t1 || s2 < 1.0)
      continue;
    unsigned made1 = p->cues[t1].spec->outputs, made2 = p->cues[t2].spec->outputs;
    if (in_phrase && !(made1 & BATON__T_TEXT) && !(made2 & BATON__T_TEXT))
      continue; /* "visualized in a | video", "a video | visualizing it": one
                   medium to make, one step */
    if (t2 == spec_index(p, "translation") && !step_has_prefix(p, k, st->b, "translat"))
      continue; /* "convert the image category | into French": the language is
                   where this step's result goes, not a step of its own */
    /* each task's cues stay in its half: "answer this question with the
     * visual question answering tool" names one task, not two */
    if (keyword_score(p, &p->cues[t1], k, st->b) > 0 ||
        keyword_score(p, &p->cues[t2], st->a, k) > 0 ||
        keyword_score(p, &p->cues[t1], st->a, k) < 0.9 ||
        keyword_score(p, &p->cues[t2], k, st->b) < 0.9)
      continue;
    if (s1 + s2 > best) {
      best = s1 + s2;
      at = k;
    }
  }
  return best >= whole + 1.0 ? at : 0;
}

/* Does step s ask for the same task as an earlier recognised step without
 * naming a new resource of its own or another target language? Then it
 * only says more about that task. */
static bool repeats_earlier_step(const planner *p, size_t s) {
  const step *st = &p->steps[s];
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = primary_type(spec);
  bool own_new = false;
  for (size_t i = st->a; i < st->b && !own_new; i++)
    if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & ptype)) {
      own_new = true;
      /* a resource some earlier step named already is not new */
      for (size_t e = 0; e < s && own_new; e++)
        for (size_t j = p->steps[e].a; j < p->steps[e].b; j++)
          if (p->tok[j].kind == TK_RES &&
              strcmp(p->res[p->tok[j].res].value, p->res[p->tok[i].res].value) == 0) {
            own_new = false;
            break;
          }
    }
  if (own_new)
    return false;
  const char *t1, *s1;
  find_languages(p, st->a, st->b, &t1, &s1);
  for (size_t e = 0; e < s; e++) {
    const step *es = &p->steps[e];
    if (es->context || es->task != st->task)
      continue;
    const char *t2, *s2;
    find_languages(p, es->a, es->b, &t2, &s2);
    if (t1 && t2 && strcmp(t1, t2) != 0)
      continue;
    return true;
  }
  return false;
}

/* An explicit wish to hear the result ("aloud", "out loud", "narrate"). */
static bool says_aloud(const planner *p, size_t a, size_t b) {
  static const char *const words[] = {"aloud", "loud", "narrate", "narration", "voiceover",
                                      "speak", "say", NULL};
  return step_has_word(p, a, b, words);
}

/* Two neighbouring steps, one transforming the picture (image-to-image)
 * and one editing it (image-editing), describe one edit: returns the
 * editing task's index, or -1. */
static int edit_twin(const planner *p, int a, int b) {
  if (a < 0 || b < 0 || a == b)
    return -1;
  const char *x = p->cues[a].spec->name, *y = p->cues[b].spec->name;
  if (!x || !y)
    return -1;
  /* drawing beside an edit of a picture the user has ("visualize what the
   * car would look like if it were blue") is that edit too */
  bool picture = false;
  for (size_t i = 0; i < p->n_res && !picture; i++)
    picture = p->res[i].is_file && (p->res[i].type & BATON__T_IMAGE);
  bool xa = strcmp(x, "image-to-image") == 0 || (picture && strcmp(x, "text-to-image") == 0);
  bool ya = strcmp(y, "image-to-image") == 0 || (picture && strcmp(y, "text-to-image") == 0);
  bool xb = strcmp(x, "image-editing") == 0, yb = strcmp(y, "image-editing") == 0;
  if (xa && yb)
    return b;
  if (xb && ya)
    return a;
  return -1;
}

/* "create a new image from this description": a picture of its own, not
 * the user's picture edited. */
static bool says_new(const planner *p, const step *st) {
  static const char *const words[] = {"new", "fresh", "another", "second", NULL};
  return st->task >= 0 && strcmp(p->cues[st->task].spec->name, "text-to-image") == 0 &&
         step_has_word(p, st->a, st->b, words);
}

/* Keeps the recognised steps only; two neighbouring ones on the same task
 * where one names nothing of its own ("detect and count the objects in
 * x.jpg") become one step. */
static void merge_steps(planner *p) {
  size_t w = 0;
  int last = -1; /* the last recognised step kept */
  for (size_t r = 0; r < p->n_steps; r++) {
    step *s = &p->steps[r];
    if (s->task < 0)
      continue; /* unrecognised steps only carried resources */
    step *l = last >= 0 ? &p->steps[last] : NULL;
    bool chained = !own_types(p, s->a, s->b) && step_has_word(p, s->a, s->b, pronouns);
    int twin = l && !says_new(p, l) && !says_new(p, s) ? edit_twin(p, l->task, s->task) : -1;
    if (twin >= 0 && !own_types(p, s->a, s->b)) {
      /* "modify the image by changing the background to blue": one edit */
      l->task = twin;
      l->b = s->b;
      continue;
    }
    if (l && l->task == s->task && !chained &&
        (!own_types(p, s->a, s->b) || !own_types(p, l->a, l->b))) {
      const char *t1, *s1, *t2, *s2;
      find_languages(p, l->a, l->b, &t1, &s1);
      find_languages(p, s->a, s->b, &t2, &s2);
      if (!(t1 && t2 && strcmp(t1, t2) != 0)) {
        l->b = s->b;
        continue;
      }
    }
    p->steps[w] = *s;
    last = (int)w++;
  }
  p->n_steps = w;
}

int baton__plan_offline(const char *request, const char *const *inputs, size_t n_inputs,
                        const baton__taskspec *tasks, size_t n_tasks, baton__graph *g,
                        char *err, size_t errlen) {
  char dummy[1];
  if (!err || errlen == 0) {
    err = dummy;
    errlen = sizeof dummy;
  }
  err[0] = '\0';
  if (!g) {
    baton__fmt(err, errlen, "no graph to fill");
    return -1;
  }
  g->tasks = NULL;
  g->n = 0;
  if (!request)
    request = "";
  if (!tasks || n_tasks == 0) {
    baton__fmt(err, errlen, "no task kinds are known (is the registry empty?)");
    return -1;
  }
  if (n_tasks > OFF_MAX_TASKSPECS)
    n_tasks = OFF_MAX_TASKSPECS;
  size_t len = strlen(request);
  if (len > OFF_MAX_REQUEST) {
    baton__fmt(err, errlen, "the request is too long for the offline planner (%zu bytes, at most %d)",
               len, OFF_MAX_REQUEST);
    return -1;
  }

  planner *p = calloc(1, sizeof *p);
  if (!p) {
    baton__fmt(err, errlen, "out of memory while planning");
    return -1;
  }
  p->req = request;
  p->req_len = len;
  p->g = g;
  p->err = err;
  p->errlen = errlen;
  int rc = -1;
  const baton__taskspec **made = calloc(OFF_MAX_TASKS + 1, sizeof *made);
  p->tok = calloc(OFF_MAX_TOKENS, sizeof *p->tok);
  if (!made || !p->tok || build_cues(p, tasks, n_tasks) != 0) {
    baton__fmt(err, errlen, "out of memory while planning");
    goto done;
  }
  int trc = tokenize(p);
  if (trc == -1) {
    baton__fmt(err, errlen, "out of memory while planning");
    goto done;
  }
  if (trc == -2) {
    baton__fmt(err, errlen, "the request has too many words for the offline planner (at most %d)",
               OFF_MAX_TOKENS);
    goto done;
  }
  for (size_t i = 0; inputs && i < n_inputs; i++) {
    if (!inputs[i])
      continue;
    unsigned t = baton__type_of_path(inputs[i]);
    if (!t) {
      baton__fmt(err, errlen, "input '%.200s' has a file type baton does not know", inputs[i]);
      goto done;
    }
    if (add_resource(p, t, inputs[i], strlen(inputs[i]), true) < 0) {
      baton__fmt(err, errlen, "too many inputs (at most %d files and quotes)", OFF_MAX_RES);
      goto done;
    }
  }
  mark_naming(p);
  p->image_kind = find_image_kind(p);
  if (split_steps(p) != 0) {
    baton__fmt(err, errlen, "the request has too many steps for the offline planner (at most %d)",
               OFF_MAX_STEPS);
    goto done;
  }

  /* What the scene-setting sentences talk about ("an image of a table",
   * "a scanned document") tips the choice between close tasks later. */
  p->scene = calloc(p->n_cues, sizeof *p->scene);
  if (!p->scene) {
    baton__fmt(err, errlen, "out of memory while planning");
    goto done;
  }
  for (size_t s = 0; s < p->n_steps; s++)
    if (p->steps[s].context)
      for (size_t t = 0; t < p->n_cues; t++)
        p->scene[t] += keyword_score(p, &p->cues[t], p->steps[s].a, p->steps[s].b);

  /* Recognise steps in order; what earlier ones produce guides later ones. */
  unsigned produced = 0;
  bool any = false;
  for (size_t s = 0; s < p->n_steps; s++) {
    step *st = &p->steps[s];
    if (st->context)
      continue;
    if (any)
      mark_references(p, st->a, st->b);
    st->task = best_task(p, st->a, st->b, produced | unclaimed_types(p), &st->score);
    if (st->task < 0 && any) {
      clear_references(p, st->a, st->b);
      st->task = best_task(p, st->a, st->b, produced | unclaimed_types(p), &st->score);
      if (st->task >= 0)
        mark_references(p, st->a, st->b);
    }
    if (st->task < 0 && asks_question(p, st->a, st->b)) {
      /* no task named, but a question put: about the picture ("I wonder
       * 'What colour is the car in the edited image?'"), or with a passage
       * at hand ("figure out who won the battle" after the account of it);
       * question_on_picture below makes the first a visual question */
      bool picture = ((produced | all_types(p)) & BATON__T_IMAGE) && asks_about_picture(p, st);
      bool passage = !said_media(p, st->a, st->b) &&
                     !(own_types(p, st->a, st->b) & ~(unsigned)BATON__T_TEXT) &&
                     has_passage(p, produced);
      if (picture || passage) {
        st->task = spec_index(p, "question-answering");
        st->score = 0.75;
      }
    }
    if (st->task >= 0 && p->n_steps < OFF_MAX_STEPS) {
      /* One clause, two tasks ("estimate the depth to segment the image"):
       * split where both halves name a different task clearly. */
      size_t k = best_split(p, st, produced | unclaimed_types(p));
      if (k) {
        memmove(&p->steps[s + 2], &p->steps[s + 1], (p->n_steps - s - 1) * sizeof *st);
        p->n_steps++;
        p->steps[s + 1] = *st;
        p->steps[s + 1].a = k;
        p->steps[s + 1].task = -1;
        p->steps[s + 1].split_tail = true;
        static const char *const relatives[] = {"that", "which", NULL};
        for (size_t r = k; r > st->a && r + 3 > k; r--)
          if (p->tok[r - 1].kind == TK_WORD && in_list(p->tok[r - 1].word, relatives))
            p->steps[s + 1].relative = true;
        st->b = k;
        st->task = best_task(p, st->a, st->b, produced | unclaimed_types(p), &st->score);
      }
    }
    if (st->task >= 0 && repeats_earlier_step(p, s)) {
      /* "scan x.png and summarize what it says": the step is about what
       * else it names; "the depth ... a depth map": one task, drop it */
      st->task = best_task_min(p, st->a, st->b, produced | unclaimed_types(p), 0.75, st->task,
                               &st->score);
      if (st->task < 0 || repeats_earlier_step(p, s)) {
        if (st->split_tail && s > 0 && p->steps[s - 1].task >= 0)
          p->steps[s - 1].b = st->b; /* the words go back to the step they came from */
        st->task = -1;
        continue;
      }
    }
    if (st->task >= 0) {
      int before = st->task;
      const char *reader = reader_task(p, p->cues[st->task].spec->name);
      /* not when the step works on a picture made earlier ("generate an
       * image ... and then classify it"): that one is no table */
      bool made_picture = (produced & BATON__T_IMAGE) &&
                          !(own_types(p, st->a, st->b) & BATON__T_IMAGE) &&
                          step_has_word(p, st->a, st->b, pronouns);
      int alt = reader && !made_picture && !(own_types(p, st->a, st->b) & BATON__T_TEXT)
                    ? spec_index(p, reader)
                    : -1;
      if (alt >= 0)
        st->task = alt; /* "decipher the table in t.jpg": read as a table */
      alt = question_on_picture(p, st, produced);
      if (alt < 0)
        alt = translation_of_media(p, st, produced);
      if (alt < 0)
        alt = one_object(p, st);
      if (alt >= 0)
        st->task = alt;
      if (st->task != before && repeats_earlier_step(p, s)) {
        /* read as a table or a document, it repeats the step before ("decipher
         * the table and categorize it"): one task; a tail split off that step
         * gives its words back */
        if (st->split_tail && s > 0 && p->steps[s - 1].task == st->task)
          p->steps[s - 1].b = st->b;
        st->task = -1;
        continue;
      }
      const baton__taskspec *spec = p->cues[st->task].spec;
      int tts = spec_index(p, "text-to-speech");
      if (tts >= 0 && tts != st->task && (spec->outputs & BATON__T_TEXT) &&
          !(spec->inputs & BATON__T_AUDIO) && says_aloud(p, st->a, st->b)) {
        /* A spoken-output cue beside another task: that task's text is
         * read out as well (scored as if it stood alone). */
        double tts_score = 0;
        best_task_only(p, st->a, st->b, produced | unclaimed_types(p), (size_t)tts, &tts_score);
        st->speak = tts_score >= 0.75;
      }
      any = true;
      claim_resources(p, st, p->cues[st->task].spec, produced);
      produced |= p->cues[st->task].spec->outputs;
    }
  }
  if (!any) {
    /* Nothing stood out: take the one clearest cue anywhere in the request,
     * scene-setting sentences included ("I have a table in t.jpg ... can
     * you help?"), if it is at all plausible. */
    double best_s = 0;
    size_t best_step = 0;
    int best_t = -1;
    for (size_t s = 0; s < p->n_steps; s++) {
      double sc;
      int t = best_task_min(p, p->steps[s].a, p->steps[s].b, unclaimed_types(p), 0.5, -1, &sc);
      if (t >= 0 && sc > best_s) {
        best_s = sc;
        best_t = t;
        best_step = s;
      }
    }
    if (best_t >= 0) {
      p->steps[best_step].task = best_t;
      p->steps[best_step].context = false;
      p->steps[best_step].score = best_s;
      any = true;
    }
  }
  if (!any) {
    baton__fmt(err, errlen, "could not find any task in the request");
    goto done;
  }
  merge_steps(p);

  bool emitted = false;
  char need[256] = "";
  for (size_t s = 0; s < p->n_steps; s++) {
    if (p->steps[s].task < 0)
      continue;
    step *st = &p->steps[s];
    step *next = s + 1 < p->n_steps ? &p->steps[s + 1] : NULL;
    if (next && next->relative && next->task >= 0 &&
        (p->cues[next->task].spec->outputs & BATON__T_TEXT) &&
        primary_type(p->cues[st->task].spec) == BATON__T_TEXT &&
        !(p->cues[st->task].spec->outputs & BATON__T_TEXT)) {
      /* "make an audio clip | that describes the objects": describe first,
       * then make the clip from the description */
      step head = *st;
      *st = *next;
      st->relative = false;
      *next = head;
      next->fed = true;
    }
    int erc = emit_step(p, st, made);
    if (erc < 0)
      goto done;
    if (erc == 1) {
      /* a step that cannot get its input is dropped; remember why */
      if (!need[0])
        baton__fmt(need, sizeof need, "%s", err);
      err[0] = '\0';
      continue;
    }
    emitted = true;
  }
  if (!emitted || g->n == 0) {
    baton__fmt(err, errlen, "%s", need[0] ? need : "could not find any task in the request");
    goto done;
  }
  rc = 0;

done:
  if (rc != 0)
    baton__graph_release(g);
  free(made);
  planner_release(p);
  free(p);
  return rc;
}
