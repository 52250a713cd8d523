/* passage.c — the "question-answering" executor without a model: the passage's sentence that best answers the question, by the question's words (the rarer in the passage, the more they count; a name more) and the kind of answer its question word asks for; its opening when the question asks what it says; a count when it asks how many words, sentences... it has, or how many times it holds a word. */
#include "executors/executor.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stopwords.h"
#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define PA_DEFAULT_MAX_TEXT (1024u * 1024u)
#define PA_MAX_QUESTION 2048
#define PA_MAX_TERMS 64
#define PA_WORD 32
#define PA_PREFIX 4      /* words this long match longer ones they start ("close", "closes") */
#define PA_KIND_BONUS 1.0 /* a sentence holding what the question word asks for ("when": a day) */
#define PA_GIST_BYTES 400 /* what a text says: its opening sentences, about this long */
#define PA_NAME_WEIGHT 1.5 /* a capitalised word past the question's first ("open on Sundays") */

/* Words of a question that do not tell one sentence from another, besides the stop words. */
static const char *const pa_stopwords[] = {"whom", "whose", "why",  "should", "tell", "many",
                                           "much", "text",  "passage", "say", "says", "said",
                                           "yes",  NULL};

/* Words of a question that ask what the text says as a whole ("What does the speaker say?"). */
static const char *const pa_gist[] = {"speaker", "speakers", "talk",     "talking", "talked",
                                      "mention", "mentions", "mentioned", "content", "contents",
                                      "gist",    "recording", "audio",   "transcript", "saying",
                                      "discuss", "discussed", "written",  "wrote",   NULL};

/* What a question word asks for: words an answering sentence holds ("#": a digit). */
static const struct {
  const char *wh;
  const char *const hints[24];
} pa_kinds[] = {
    {"when", {"#", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "morning", "afternoon", "evening", "night", "noon", "midnight", "am", "pm",
              "today", "tomorrow", "until", "daily", "year", "week", "month", NULL}},
    {"how many", {"#", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                  "ten", "twelve", "twenty", "hundred", "thousand", "dozen", "several", NULL}},
    {"how much", {"#", "free", "cost", "costs", "price", "euros", "dollars", "pounds", NULL}},
    {"where", {"in", "at", "near", "beside", "behind", "inside", "outside", "street", "road",
               "floor", "entrance", "corner", NULL}},
};

/* Where the next word begins at s (before end): past marks and spaces. */
static const char *word_start(const char *s, const char *end) {
  while (s < end && !isalnum((unsigned char)*s) && (unsigned char)*s < 0x80)
    s++;
  return s;
}

/* The next word at *at (before end), lower-cased into w: letters, digits, apostrophes and any
 * byte of a multi-byte character. false at the end. */
static bool next_word(const char **at, const char *end, char w[PA_WORD]) {
  const char *s = word_start(*at, end);
  size_t n = 0;
  for (; s < end && (isalnum((unsigned char)*s) || *s == '\'' || (unsigned char)*s >= 0x80); s++)
    if (n + 1 < PA_WORD)
      w[n++] = (char)tolower((unsigned char)*s);
  while (n > 0 && w[n - 1] == '\'')
    n--;
  w[n] = '\0';
  *at = s;
  return n > 0 || s < end;
}

static bool in_list(const char *const *list, const char *w) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(list[i], w) == 0)
      return true;
  return false;
}

/* Do two words match: equal, or the shorter (at least PA_PREFIX long) starts the longer. */
static bool same_word(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
  return la == lb ? strcmp(a, b) == 0 : n >= PA_PREFIX && strncmp(a, b, n) == 0;
}

/* A question's words worth matching, and what its question word asks for. */
typedef struct pa_question {
  char terms[PA_MAX_TERMS][PA_WORD];
  bool named[PA_MAX_TERMS]; /* written capitalised, not first: a name, a day, a place */
  size_t n;
  int kind; /* index into pa_kinds, or -1 */
} pa_question;

/* Where a file name the question names ("report.txt", "Q3_notes.md?") that starts at s ends, or
 * NULL when the token at s is no file name of a kind baton reads: its words are not question
 * words. */
static const char *file_name_end(const char *s, const char *end) {
  const char *e = s;
  while (e < end && !isspace((unsigned char)*e) && !strchr("\"',;:?!)", *e))
    e++;
  while (e > s && e[-1] == '.')
    e--;
  char name[PA_MAX_QUESTION + 1];
  baton__fmt(name, sizeof name, "%.*s", (int)(e - s), s);
  return memchr(s, '.', (size_t)(e - s)) && baton__type_of_path(name) ? e : NULL;
}

static void read_question(const char *q, pa_question *out) {
  out->n = 0;
  out->kind = -1;
  char low[PA_MAX_QUESTION + 1], w[PA_WORD];
  baton__run_lower(q, low, sizeof low);
  for (size_t k = 0; k < sizeof pa_kinds / sizeof pa_kinds[0] && out->kind < 0; k++)
    out->kind = baton__run_has_word(low, pa_kinds[k].wh, false) ? (int)k : -1;
  const char *end = q + strlen(q);
  for (const char *p = q, *start = word_start(q, end);
       next_word(&p, end, w) && out->n < PA_MAX_TERMS; start = word_start(p, end)) {
    const char *file = file_name_end(start, end);
    if (file) { /* "what does report.txt say": not the word "report" */
      p = file;
      continue;
    }
    bool seen = !*w || baton__is_stop_word(w) || in_list(pa_stopwords, w);
    for (size_t i = 0; i < out->n && !seen; i++)
      seen = same_word(out->terms[i], w);
    if (!seen) {
      out->named[out->n] = start > q && isupper((unsigned char)*start);
      baton__fmt(out->terms[out->n++], PA_WORD, "%s", w);
    }
  }
}

/* Which of the question's terms the text [s, e) holds (bit i: term i), and whether it holds what
 * the question word asks for. */
static unsigned long long sentence_terms(const pa_question *q, const char *s, const char *e,
                                         bool *kind) {
  unsigned long long has = 0;
  char w[PA_WORD];
  *kind = false;
  for (const char *p = s; next_word(&p, e, w);) {
    for (size_t i = 0; i < q->n; i++)
      has |= same_word(q->terms[i], w) ? 1ull << i : 0;
    if (q->kind >= 0 && *w)
      *kind = *kind || in_list(pa_kinds[q->kind].hints, w) ||
              (isdigit((unsigned char)*w) && in_list(pa_kinds[q->kind].hints, "#"));
  }
  return has;
}

/* Past a sentence's last mark at p, an attribution on its line ("... the world. - Nelson
 * Mandela": a hyphen, en or em dash and a space): the line's end. Else p. */
static const char *attribution_end(const char *p, const char *end) {
  static const char *const dashes[] = {"-", "\xe2\x80\x93", "\xe2\x80\x94", NULL};
  if (p == end || !*p || !strchr(".!?", *p))
    return p;
  const char *q = p + 1;
  while (q < end && (*q == ' ' || *q == '\t'))
    q++;
  for (size_t i = 0; dashes[i] && q > p + 1; i++) /* a space first: not "well-known" */ {
    size_t n = strlen(dashes[i]);
    if ((size_t)(end - q) > n && memcmp(q, dashes[i], n) == 0 && isblank((unsigned char)q[n])) {
      const char *nl = memchr(q, '\n', (size_t)(end - q));
      return nl ? nl : end;
    }
  }
  return p;
}

/* Where the next sentence starts after the one at s: past ".", "!" or "?" and a space (and an
 * attribution after it), or a line break, and the space after. */
static const char *sentence_end(const char *s, const char *end) {
  const char *p = s;
  while (p < end && *p != '\n' &&
         !(strchr(".!?", *p) && (p + 1 == end || isspace((unsigned char)p[1]))))
    p++;
  p = attribution_end(p, end);
  while (p < end && (isspace((unsigned char)*p) || strchr(".!?", *p)))
    p++;
  return p;
}

/* The best sentence of text [0, len) for q: its span in *start, *end, its score (the share of the
 * question's weight it holds) in *score. false when no sentence holds a term. */
static bool best_sentence(const pa_question *q, const char *text, size_t len, size_t *start,
                          size_t *end, double *score) {
  const char *e = text + len;
  size_t df[PA_MAX_TERMS] = {0}, n_sent = 0;
  bool kind;
  for (const char *s = text, *se; s < e; s = se, n_sent++)
    for (unsigned long long has = sentence_terms(q, s, se = sentence_end(s, e), &kind); has;
         has &= has - 1)
      df[__builtin_ctzll(has)]++;
  double idf[PA_MAX_TERMS], total = 0, best = 0;
  for (size_t i = 0; i < q->n; i++) /* "Saturday" in a "when" question: what the answer is about */
    total += idf[i] = log(1.0 + (double)n_sent / (double)(df[i] ? df[i] : 1)) *
                      (q->kind >= 0 && in_list(pa_kinds[q->kind].hints, q->terms[i]) ? 2.0 : 1.0) *
                      (q->named[i] ? PA_NAME_WEIGHT : 1.0);
  for (const char *s = text, *se; s < e; s = se) {
    se = sentence_end(s, e);
    double sc = 0;
    for (unsigned long long has = sentence_terms(q, s, se, &kind); has; has &= has - 1)
      sc += idf[__builtin_ctzll(has)];
    if (sc > 0 && sc + (kind ? PA_KIND_BONUS : 0) > best) {
      best = sc + (kind ? PA_KIND_BONUS : 0);
      *score = sc / total;
      *start = (size_t)(s - text);
      *end = (size_t)(se - text);
    }
  }
  return best > 0;
}

/* Does the question ask only what the text says ("What is it about?": no term but gist words)? */
static bool asks_gist(const pa_question *q) {
  for (size_t i = 0; i < q->n; i++)
    if (!in_list(pa_gist, q->terms[i]))
      return false;
  return true;
}

/* The text's opening: whole sentences of [0, len) up to about PA_GIST_BYTES, at least one. */
static size_t gist_end(const char *text, size_t len) {
  const char *e = text + len, *s = text;
  do
    s = sentence_end(s, e);
  while (s < e && (size_t)(s - text) < PA_GIST_BYTES &&
         (size_t)(sentence_end(s, e) - text) <= PA_GIST_BYTES);
  return (size_t)(s - text);
}

/* What a counting question counts in a text ("How many words ..."). */
enum { PA_WORDS, PA_SENTENCES, PA_LINES, PA_PARAGRAPHS, PA_CHARACTERS, PA_LETTERS };
static const char *const pa_units[] = {"words",      "sentences", "lines", "paragraphs",
                                       "characters", "letters",   NULL};

/* What asks for a count: the unit follows it ("how many words", "count the words"). */
static const char *const pa_counting[] = {"how many ", "number of ", "count the ", "count of ",
                                          "count all the ", NULL};

/* The unit w names ("words", "word"), or -1. */
static int unit_of(const char *w) {
  size_t n = strlen(w);
  for (int u = 0; n && pa_units[u]; u++)
    if (strncmp(w, pa_units[u], n) == 0 && strlen(pa_units[u] + n) <= 1)
      return u;
  return -1;
}

/* The unit a question counts ("How many words are in it?", "Count the words", "the word count"),
 * or -1 when it counts something else ("How many books ...") or nothing. */
static int counted_unit(const char *question) {
  char low[PA_MAX_QUESTION + 1], w[PA_WORD], prev[PA_WORD] = "";
  const char *end = baton__run_lower(question, low, sizeof low) + strlen(low), *at, *hit;
  for (size_t k = 0; pa_counting[k]; k++)
    for (at = low; (hit = strstr(at, pa_counting[k])); at = hit + 1)
      if (hit == low || !isalnum((unsigned char)hit[-1])) { /* not "show many" */
        const char *from = hit + strlen(pa_counting[k]);
        if (next_word(&from, end, w) && unit_of(w) >= 0)
          return unit_of(w);
      }
  for (at = low; next_word(&at, end, w); baton__fmt(prev, sizeof prev, "%s", w))
    if (strcmp(w, "count") == 0 && unit_of(prev) >= 0) /* "the word count" */
      return unit_of(prev);
  return -1;
}

/* Questions asking how often a word (or a few) occurs: an opening, the words, then one of the
 * verbs ("how many times is roof mentioned", "how often does the word committee appear"). */
#define PA_MAX_PHRASE 4
static const struct {
  const char *opening;
  const char *const verbs[8];
} pa_often[] = {
    {"how many times is ", {"mentioned", "used", "said", "written", "named", NULL}},
    {"how many times are ", {"mentioned", "used", "said", "written", "named", NULL}},
    {"how many times does ", {"appear", "occur", "come", "show", NULL}},
    {"how many times do ", {"appear", "occur", "come", "show", NULL}},
    {"how often is ", {"mentioned", "used", "said", "written", "named", NULL}},
    {"how often are ", {"mentioned", "used", "said", "written", "named", NULL}},
    {"how often does ", {"appear", "occur", "come", "show", NULL}},
    {"how often do ", {"appear", "occur", "come", "show", NULL}},
};

/* Words before the counted ones that are not part of them ("the word committee"). */
static const char *const pa_often_skip[] = {"the", "a", "an", "word", "words", "term", "name",
                                            "phrase", NULL};

/* The words (lower-case, up to PA_MAX_PHRASE) a question asks how often the text holds, into
 * words; how many, or 0 when it asks no such thing. */
static size_t often_phrase(const char *question, char words[PA_MAX_PHRASE][PA_WORD]) {
  char low[PA_MAX_QUESTION + 1], w[PA_WORD];
  const char *end = baton__run_lower(question, low, sizeof low) + strlen(low), *hit;
  for (size_t r = 0; r < sizeof pa_often / sizeof pa_often[0]; r++) {
    hit = strstr(low, pa_often[r].opening);
    if (!hit || (hit > low && isalnum((unsigned char)hit[-1])))
      continue;
    size_t n = 0;
    bool lead = true; /* still before the counted words: "the word" is skipped */
    for (const char *at = hit + strlen(pa_often[r].opening); next_word(&at, end, w);) {
      if (n > 0 && in_list(pa_often[r].verbs, w))
        return n;
      if (!*w || (lead && in_list(pa_often_skip, w)))
        continue;
      if (n == PA_MAX_PHRASE)
        break;
      baton__fmt(words[n++], PA_WORD, "%s", w);
      lead = false;
    }
  }
  return 0;
}

/* How many times text [0, len) holds the n words in a row, whole words, any case. */
static size_t count_phrase(const char *text, size_t len, char words[][PA_WORD], size_t n) {
  const char *e = text + len;
  char w[PA_WORD];
  size_t count = 0, matched = 0; /* words of the phrase matched so far */
  for (const char *s = text; next_word(&s, e, w);) {
    if (!*w)
      continue;
    if (strcmp(w, words[matched]) != 0)
      matched = strcmp(w, words[0]) == 0; /* the phrase may start again here */
    else
      matched++;
    if (matched == n)
      count++, matched = 0;
  }
  return count;
}

/* How many lines of [s, e) hold a mark; or (paragraphs) how many runs of such lines there are. */
static size_t count_lines(const char *s, const char *e, bool paragraphs) {
  size_t n = 0;
  bool gap = true; /* at the start, or after a blank line */
  for (const char *nl; s < e; s = nl + (nl < e)) {
    nl = memchr(s, '\n', (size_t)(e - s));
    nl = nl ? nl : e;
    bool blank = true;
    for (const char *c = s; c < nl && blank; c++)
      blank = isspace((unsigned char)*c) != 0;
    n += !blank && (!paragraphs || gap);
    gap = blank;
  }
  return n;
}

/* How many of the unit text [0, len) holds: words as the answerer reads them, sentences as it
 * splits them, lines, paragraphs, characters (UTF-8, spaces too), letters (any non-ASCII one). */
static size_t count_units(const char *text, size_t len, int unit) {
  const char *e = text + len, *s = text;
  size_t n = 0;
  char w[PA_WORD];
  if (unit == PA_LINES || unit == PA_PARAGRAPHS)
    return count_lines(s, e, unit == PA_PARAGRAPHS);
  if (unit == PA_WORDS)
    while (next_word(&s, e, w))
      n += *w != '\0';
  else if (unit == PA_SENTENCES)
    for (s += strspn(s, " \t\r\n"); s < e; s = sentence_end(s, e))
      n++;
  else
    for (; s < e; s++)
      n += ((unsigned char)*s & 0xC0) != 0x80 &&
           (unit == PA_CHARACTERS || isalpha((unsigned char)*s) || (*s & 0x80));
  return n;
}

/* The answer as the Hugging Face question-answering reply: {"answer", "score", "start", "end"}. */
static char *answer_json(const char *answer, double score, size_t start, size_t end) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "answer", answer);
  cJSON_AddNumberToObject(o, "score", (double)(int)(score * 1000.0 + 0.5) / 1000.0);
  cJSON_AddNumberToObject(o, "start", (double)start);
  cJSON_AddNumberToObject(o, "end", (double)end);
  char *js = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return js;
}

/* Adds the count of unit in text [0, len) as the answer ("84 words"), the whole text its span. */
static int counted(const char *text, size_t len, int unit, baton__exec_env *env,
                   baton__values *out) {
  size_t n = count_units(text, len, unit);
  char answer[64];
  baton__fmt(answer, sizeof answer, "%zu %.*s", n, (int)strlen(pa_units[unit]) - (n == 1),
             pa_units[unit]); /* "1 word" */
  const baton__output outs[] = {{"text", BATON__T_TEXT, baton__strdup(answer), false},
                                {"json", BATON__T_JSON, answer_json(answer, 1.0, 0, len), false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

/* Adds how many times text [0, len) holds the n words as the answer ("'roof' appears 2 times"),
 * the whole text its span. */
static int counted_phrase(const char *text, size_t len, char words[][PA_WORD], size_t n,
                          baton__exec_env *env, baton__values *out) {
  size_t count = count_phrase(text, len, words, n);
  baton__sb a;
  baton__sb_init(&a);
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&a, "%s%s", i ? " " : "'", words[i]);
  baton__sb_addf(&a, "' appears %zu time%s", count, count == 1 ? "" : "s");
  char *answer = baton__sb_detach(&a);
  const baton__output outs[] = {{"text", BATON__T_TEXT, answer, false},
                                {"json", BATON__T_JSON,
                                 answer ? answer_json(answer, 1.0, 0, len) : NULL, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static int pa_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  const baton__value *qv = baton__values_get(in, "question");
  const baton__value *tv = baton__values_get(in, "context"); /* by name: both are texts */
  tv = tv ? tv : baton__values_get(in, "text");
  const char *question = qv ? qv->data : NULL, *text = tv ? tv->data : NULL;
  if (!question || !*question || !text)
    return baton__run_bad_input(env, "question-answering needs a \"question\" and the \"text\" "
                                     "that answers it");
  size_t len = 0;
  if (strlen(question) > PA_MAX_QUESTION)
    return baton__run_bad_input(env, "the question is over %d bytes", PA_MAX_QUESTION);
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, PA_DEFAULT_MAX_TEXT),
                            "answer from", &len) ||
      baton__run_must_stop(env, 0, "question-answering"))
    return -1;
  if (strspn(text, " \t\r\n") == len)
    return baton__run_bad_input(env, "the text to answer from is empty (a picture with no "
                                     "words in it? a question about what a photo shows needs a "
                                     "visual question answering model: set HF_TOKEN, or declare "
                                     "one on a model server)");
  pa_question q;
  read_question(question, &q);
  size_t start = 0, end = 0;
  double score = 0;
  char phrase[PA_MAX_PHRASE][PA_WORD];
  size_t nphrase = often_phrase(question, phrase); /* "How often does 'roof' appear?" */
  if (nphrase > 0)
    return counted_phrase(text, len, phrase, nphrase, env, out);
  int unit = counted_unit(question); /* "How many words are in it?": counted, the whole text */
  if (unit >= 0)
    return counted(text, len, unit, env, out);
  if (asks_gist(&q)) /* its score: the share of the text it holds */
    end = gist_end(text, len), score = (double)end / (double)len;
  else if (!best_sentence(&q, text, len, &start, &end, &score))
    return baton__run_fail(env, "no sentence of the text shares a word with the question "
                                "\"%.200s\"", question);
  while (start < end && isspace((unsigned char)text[start]))
    start++;
  while (end > start && isspace((unsigned char)text[end - 1]))
    end--;
  char *answer = baton__strndup(text + start, end - start);
  const baton__output outs[] = {{"text", BATON__T_TEXT, answer, false},
                                {"json", BATON__T_JSON,
                                 answer ? answer_json(answer, score, start, end) : NULL, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const pa_tasks[] = {"question-answering", NULL};

const baton__executor baton__executor_passage = {
    .name = "passage",
    .model_id = "local/passage",
    .tasks = pa_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = pa_run,
    .release = baton__executor_no_release,
};
