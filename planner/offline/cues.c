/* cues.c — the registry's keywords as weighted cue phrases, and where a task's cues match a span of tokens. */
#include "planner/offline/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_build_cues() takes the registry's task kinds and gives their cues: per task its
 * keyword phrases (stemmed, weighted by length and by how many tasks share them; a target language
 * in one stands for any), its description words and whether some model can run it.
 * off_keyword_score() and off_description_score() tell how much of a task's cues a token span
 * holds; tokens marked skip or naming are never cues. */

/* A cue as compared; its determiners (bit k of det: word k) are interchangeable. */
typedef struct {
  char (*stems)[OFF_MAX_WORD];
  size_t n, task;
  unsigned det;
  double *weight; /* where its weight goes; NULL: a description word */
} cue_key;

/* 0 for cues that match the same wordings (and, by_task, of the same task); else their order. */
static int compare_cues(const cue_key *x, const cue_key *y, bool by_task) {
  int c = x->n != y->n ? (x->n > y->n) - (x->n < y->n) : (x->det > y->det) - (x->det < y->det);
  for (size_t k = 0; !c && k < x->n; k++)
    c = (x->det >> k) & 1u ? 0 : strcmp(x->stems[k], y->stems[k]);
  return c || !by_task ? c : (x->task > y->task) - (x->task < y->task);
}

static int by_cue_and_task(const void *x, const void *y) { return compare_cues(x, y, true); }

/* Is word k of the phrase a language after "into" or "to" (not "in": "my question is in
 * English"), or before "version"? */
static bool target_language(const off_lexicon *lx, const phrase *ph, size_t k) {
  const off_words *cls = lx->cls;
  return off_words_has(&lx->lang_names, ph->stems[k], true) &&
         ((k > 0 && off_words_has(&cls[W_TARGET_PREP], ph->stems[k - 1], true) &&
           off_words_has(&cls[W_DESTINATION], ph->stems[k - 1], true)) ||
          (k + 1 < ph->n && off_words_has(&cls[W_TARGET_NOUN], ph->stems[k + 1], true)));
}

/* The medium (a BATON__T_* bit) the stem names, a picture or a recording; or 0 (also for a video:
 * baton reads none, so a cue of one at hand marks a clause to leave out, "... and sync it with the
 * video"). */
static unsigned medium_named(const off_lexicon *lx, const char *stem) {
  return off_words_has(&lx->cls[W_PICTURE], stem, true)     ? BATON__T_IMAGE
         : off_words_has(&lx->cls[W_RECORDING], stem, true) ? BATON__T_AUDIO : 0;
}

/* Marks the task's phrases naming first (past "an", "new") a medium it makes (`makes`), not its
 * making ("an image that", "new image"; not "image generated": one of them starts "generate"). */
static void mark_nouns(const off_lexicon *lx, taskcue *c, unsigned makes) {
  for (phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++) {
    size_t m = 0;
    while (m < ph->n &&
           (((ph->det >> m) & 1u) || off_words_has(&lx->cls[W_FRESH], ph->stems[m], true)))
      m++;
    ph->noun = m < ph->n ? medium_named(lx, ph->stems[m]) & makes : 0;
    for (size_t k = m + 1; ph->noun && k < ph->n; k++)
      for (const phrase *v = c->phrases; v < c->phrases + c->n_phrases; v++)
        ph->noun = v->n > 1 && strcmp(v->stems[0], ph->stems[k]) == 0 ? 0 : ph->noun;
  }
}

/* The task's keyword phrases ("a|b|c") as stems, commas ("people, places") and determiners marked;
 * stably longest first, as off_keyword_score counts them (a phrase written twice counts once). */
static int read_phrases(const off_lexicon *lx, taskcue *c, const char *kw) {
  size_t cap = 1, j;
  for (const char *s = strchr(kw, '|'); s && cap < OFF_MAX_PHRASES; s = strchr(s + 1, '|'))
    cap++;
  if (!(c->phrases = calloc(cap, sizeof *c->phrases)))
    return -1;
  for (const char *s = kw, *bar = kw; bar && c->n_phrases < cap; s = bar + 1) {
    bar = strchr(s, '|');
    phrase ph = {0};
    ph.n = off_split_words(s, strcspn(s, "|"), ph.stems, OFF_MAX_PHRASE, &ph.comma);
    for (size_t k = 0; k < ph.n; k++) {
      ph.det |= off_words_has(&lx->cls[W_DETERMINER], ph.stems[k], true) ? 1u << k : 0u;
      ph.lang |= target_language(lx, &ph, k) ? 1u << k : 0u;
      ph.indefinite |= off_words_has(&lx->cls[W_INDEFINITE], ph.stems[k], true) ? 1u << k : 0u;
      ph.destination |= off_words_has(&lx->cls[W_DESTINATION], ph.stems[k], true) ? 1u << k : 0u;
      ph.reference |= off_words_has(&lx->cls[W_REFERENCE], ph.stems[k], false) ? 1u << k : 0u;
      ph.particle |= off_words_has(&lx->cls[W_PARTICLE], ph.stems[k], true) ? 1u << k : 0u;
    }
    for (j = c->n_phrases; j > 0 && c->phrases[j - 1].n < ph.n; j--)
      c->phrases[j] = c->phrases[j - 1];
    c->phrases[j] = ph;
    c->n_phrases += ph.n > 0;
  }
  return 0;
}

/* The task's description words: stems of 3 letters or more, no stopwords, each once. */
static int read_description(const off_lexicon *lx, taskcue *c, const char *d) {
  if (!(c->desc = calloc(OFF_MAX_DESC, sizeof *c->desc)))
    return -1;
  for (size_t w = 0, n = off_split_words(d, strlen(d), c->desc, OFF_MAX_DESC, NULL); w < n; w++)
    if (strlen(c->desc[w]) >= 3 && !off_words_has(&lx->cls[W_STOPWORD], c->desc[w], false) &&
        !off_words_has(&(off_words){c->desc, c->desc, c->n_desc}, c->desc[w], false))
      memmove(c->desc[c->n_desc++], c->desc[w], OFF_MAX_WORD); /* kept: to the front, once */
  return 0;
}

/* Reads each task's cues: a phrase weighs more with more words and fewer tasks sharing it (in
 * keywords or, for one word, descriptions): "depth" outweighs "objects"; "make the" is "make". */
int off_build_cues(const off_lexicon *lx, const baton__taskspec *tasks, taskcue *cues,
                   size_t n_cues) {
  size_t n = 0, total = 0;
  for (size_t t = 0; t < n_cues; t++) {
    if (read_phrases(lx, &cues[t], tasks[t].keywords ? tasks[t].keywords : "") != 0 ||
        read_description(lx, &cues[t], tasks[t].description ? tasks[t].description : "") != 0)
      return -1;
    mark_nouns(lx, &cues[t], tasks[t].outputs & ~tasks[t].inputs);
    total += cues[t].n_phrases + cues[t].n_desc;
  }
  cue_key *keys = malloc((total ? total : 1) * sizeof *keys);
  if (!keys)
    return -1;
  for (size_t t = 0; t < n_cues; t++) {
    taskcue *c = &cues[t];
    for (phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++)
      keys[n++] = (cue_key){ph->stems, ph->n, t, ph->det, &ph->weight};
    for (size_t k = 0; k < c->n_desc; k++)
      keys[n++] = (cue_key){&c->desc[k], 1, t, 0, NULL};
  }
  qsort(keys, n, sizeof *keys, by_cue_and_task);
  for (size_t i = 0, j; i < n; i = j) { /* a run of equal keys: same words and determiners */
    size_t sharing = 1, words = keys[i].n;
    for (j = i + 1; j < n && compare_cues(&keys[i], &keys[j], false) == 0; j++)
      sharing += keys[j].task != keys[j - 1].task;
    while (words > 1 && ((keys[i].det >> (words - 1)) & 1u))
      words--;
    for (size_t k = i; k < j; k++)
      if (keys[k].weight)
        *keys[k].weight = (1.0 + lx->w[K_PHRASE_WORD] * (double)(words - 1)) / sqrt(sharing);
  }
  free(keys);
  return 0;
}

/* "Speed the recording up", "slow music.wav down": where the particle (its stem `particle`) of a
 * verb at j - 1 ends an object between them (a file, or "it", "the" and at most two words), + 1;
 * else 0. */
static size_t particle_after_object(const planner *p, size_t j, size_t b, const char *particle) {
  bool object = j < b && (p->tok[j].kind == TK_RES || p->tok[j].det || off_is(p, j, W_REFERENCE));
  for (size_t m = j + 1; object && m < b && m <= j + 3; m++)
    if (p->tok[m].kind == TK_WORD && strcmp(p->tok[m].stem, particle) == 0)
      return m + 1;
    else if (p->tok[m].kind != TK_WORD || p->tok[m].det || p->tok[j].kind == TK_RES)
      return 0;
  return 0;
}

/* Does the language at token j end what it names, as a target language does ("to Japanese", "to
 * Japanese speech, please"; not "to Chinese ink painting", "to polish the wording")? */
static bool language_ends(const planner *p, size_t j) {
  if (j + 1 >= p->n_tok || p->tok[j + 1].kind != TK_WORD) /* not "to polish talk.wav" */
    return j + 1 >= p->n_tok || p->tok[j + 1].kind == TK_PUNCT;
  static const off_class after[] = {W_JOINER,   W_HARD_BREAK, W_PREPOSITION, W_ASKING,
                                    W_RECORDING, W_ALOUD,     W_STOPWORD,    W_TARGET_NOUN};
  return off_is_any(p, j + 1, after, sizeof after / sizeof *after) && !p->tok[j + 1].det;
}

/* May phrase ph start at token i (what off_phrase_at() asks of its first word, loosely)? */
static bool may_start(const planner *p, const phrase *ph, size_t i) {
  const token *t = &p->tok[i];
  return (t->det && (ph->det & 1u)) || (ph->lang & 1u) ||
         (t->stem[0] == ph->stems[0][0] && strcmp(t->stem, ph->stems[0]) == 0);
}

/* "The image (based on)" with a picture at hand, "I have an image (of)", "a given picture (of)",
 * "an image of a street (x.jpg)", "save the output as a new image": does the medium of type `type`
 * a cue names as a noun, its word the first of the medium in [i,j), name one there is (or one to
 * save a result as), not one to make (not asked for: "I want an image of a cat (cat.png)")? */
static bool names_held(const planner *p, unsigned type, size_t i, size_t j) {
  size_t m = i, d; /* its word; where its words start, "a", "the" */
  while (m + 1 < j && !(medium_named(p->lx, p->tok[m].stem) & type))
    m++;
  bool given = false; /* "a given (new) image" */
  for (d = m; d > 0 && (off_is(p, d - 1, W_FRESH) || off_is(p, d - 1, W_HOLDING));)
    given |= off_is(p, --d, W_HOLDING);
  d -= d > 0 && p->tok[d - 1].det;
  if (d > 0 && off_is(p, d - 1, W_ASKING))
    return false;
  bool the = off_is(p, d, W_DEFINITE) && (off_res_types(p, false) & type); /* one at hand */
  if ((p->tok[d].det && (given || the)) || (d > 0 && off_holds(p, d - 1)) ||
      off_saved_name(p, d, 0))
    return true;
  bool told = false; /* what it shows, or a clause on it, before its file: "of a street (x.jpg)" */
  for (size_t k = m + 1; k < p->n_tok && !off_punct(p, k, ".!?;,") && !off_is(p, k, W_JOINER) &&
                         !off_is(p, k, W_HARD_BREAK); k++)
    if (told && off_res_at(p, k, type) >= 0 && !off_is(p, k - 1, W_NAMING) &&
        !off_saved_name(p, k, 0))
      return true;
    else
      told |= off_is(p, k, W_CONTENT_INTRO) || off_is(p, k, W_RELATIVE);
  return false;
}

size_t off_phrase_at(const planner *p, const phrase *ph, size_t i, size_t b) {
  const off_words *cls = p->lx->cls;
  size_t k = 0, j = i, skipped = 0, dets = 0, end;
  while (k < ph->n && j < b) {
    const char *w = p->tok[j].stem;
    bool wdet = p->tok[j].det, pdet = (ph->det >> k) & 1u;
    /* A phrase's "a"/"an" stands for no "the"/"this" after "to" ("convert it to an audio" makes
     * one, "listen to the audio" has one) nor before a picture at hand ("make this picture"). */
    bool existing = pdet && wdet && ((ph->indefinite >> k) & 1u) &&
                    ((k > 0 && !off_words_has(&cls[W_INDEFINITE], w, true) &&
                      ((ph->destination >> (k - 1)) & 1u)) ||
                     (off_is(p, j, W_DEFINITE) && j + 1 < p->n_tok &&
                      (off_said_media(p, j + 1, j + 2) & off_res_types(p, false))));
    if (k == 1 && ph->n == 2 && ((ph->particle >> 1) & 1u) &&
        (end = particle_after_object(p, j, b, ph->stems[1])) > 0)
      k++, j = end; /* "speed up" as "speed the recording up" */
    else if (k > 0 && ((ph->comma >> k) & 1u) && off_punct(p, j, ","))
      j++; /* "people, places" written with its comma */
    else if (k == 1 && ph->n > 2 && p->tok[j].kind == TK_RES && p->res[p->tok[j].res].is_file &&
             ((ph->reference >> k) & 1u))
      k++, j++; /* "give it a title" as "give photo.jpg a title" */
    else if (p->tok[j].kind != TK_WORD || p->tok[j].skip || p->tok[j].naming || existing ||
             (k == 0 && j > 0 && p->tok[j - 1].det &&
              baton__has_suffix_ci(p->tok[j].word, "ied")) ||
             (k == 0 && j > 0 && off_res_at(p, j - 1, BATON__T_IMAGE) >= 0 &&
              off_is(p, j, W_PICTURE) && !(j > 1 && off_is(p, j - 2, W_INDEFINITE))))
      return 0; /* "a modified image", "the translated text": what a step made, not an ask; "the
                 * x.jpg image (based on)": the file's noun (not "an x.jpg image", one to make) */
    else if ((wdet && pdet) || (w[0] == ph->stems[k][0] && strcmp(w, ph->stems[k]) == 0) ||
             (((ph->lang >> k) & 1u) && off_language_at(p, j) && language_ends(p, j)))
      k++, j++;
    else if (k == 1 && j == i + 1 && off_is(p, j, W_JOINER) && j + 2 < b && !p->tok[j + 1].det)
      j += 2; /* "extract and print the text": a second verb on the same object */
    else if (k > 0 && k + 1 == ph->n && ((ph->det >> (k - 1)) & 1u) && skipped < 2 &&
             (p->tok[j - 1].det || off_punct(p, j - 1, ",")))
      j += 1 + (j + 2 < b && off_punct(p, j + 1, ",") &&
                strcmp(p->tok[j + 2].stem, ph->stems[k]) != 0),
      skipped++; /* "create an appealing thumbnail image", "a new, related image": adjectives after
                  * its determiner (not "generate a text, audio": a list) */
    else if (pdet && k > 0 && k + 1 < ph->n)
      k++; /* the phrase's determiner is absent here */
    else if (wdet && k > 0 && skipped == 0 && dets++ < 2)
      j++; /* a determiner the phrase does not have ("all the"; no run of them) */
    else
      return 0;
  }
  bool det_last = k == ph->n && ((ph->det >> (k - 1)) & 1u); /* "make the | photo.jpg brighter": */
  return k == ph->n && !(det_last && j < b && p->tok[j].kind == TK_RES) && /* its file */
                 !(ph->noun && names_held(p, ph->noun, i, j)) ? j - i : 0;
}

/* How often stem is a word of c's phrases (one: of its one-word phrases). */
static size_t phrase_words(const taskcue *c, const char *stem, bool one) {
  size_t n = 0;
  for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++)
    for (size_t k = 0; k < ph->n && (!one || ph->n == 1); k++)
      n += strcmp(ph->stems[k], stem) == 0;
  return n;
}

bool off_cue_word(const planner *p, const taskcue *c, size_t i) {
  return phrase_words(c, p->tok[i].stem, true) > 0;
}

bool off_cue_says(const taskcue *c, const char *stem) { return phrase_words(c, stem, false) > 0; }

/* Does a phrase of over `words` words of a task but `own` (NULL: any) match from [a,i] over [i,i+n)
 * ("part of speech" hides "speech", "visual question answering" hides "question answering"), a
 * task taking the picture or recording [a,b) names ("cut out the" of a recording does not hide
 * "cut out" in "cut out the person in photo.jpg")? */
bool off_phrase_covers(const planner *p, const taskcue *own, size_t i, size_t n, size_t words,
                       size_t a, size_t b) {
  const unsigned media = BATON__T_IMAGE | BATON__T_AUDIO;
  for (const taskcue *c = p->cues; c < p->cues + p->n_cues; c++) /* phrases longest first */
    for (size_t k = 0; c != own && k < c->n_phrases && c->phrases[k].n > words; k++)
      for (size_t j = off_back(i, c->phrases[k].n + 2, a); j <= i; j++) /* +2 for determiners */
        if (may_start(p, &c->phrases[k], j) &&
            off_phrase_at(p, &c->phrases[k], j, b) >= i + n - j) { /* it covers [i, i+n) */
          unsigned named = off_own_types(p, a, b) & media, takes = c->spec->inputs & media;
          if (!named || !takes || (named & takes))
            return true;
        }
  return false;
}

/* "Into a podcast | script", "a video | script": does a phrase of task c, one making no text,
 * ending at token j (before b), only qualify a text to write that a word after it names? */
static bool qualifies_writing(const planner *p, const taskcue *c, size_t j, size_t b) {
  return !(c->spec->outputs & BATON__T_TEXT) && j < b && off_is(p, j, W_WRITTEN);
}

/* The weights of the task's phrases in [a,b), each where it first occurs not hidden in a longer
 * phrase of another task; one overlapping a longer one of the same task adds nothing: "modify the
 * image" is not also "modify", "the image based on" not also "an image based" (loose "a"/"the"). */
double off_keyword_score(const planner *p, const taskcue *c, size_t a, size_t b) {
  enum { MAX_SPANS = 16 };
  size_t span_at[MAX_SPANS], span_len[MAX_SPANS], n_spans = 0, at, len = 0;
  double s = 0;
  for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++) { /* longest first */
    for (at = a; at < b; at++)
      if (may_start(p, ph, at) && (len = off_phrase_at(p, ph, at, b)) &&
          !off_phrase_covers(p, c, at, len, ph->n, a, b) && !qualifies_writing(p, c, at + len, b))
        break;
    bool inside = at >= b; /* not found: nothing to add either */
    for (size_t k = 0; k < n_spans && !inside; k++)
      inside = at < span_at[k] + span_len[k] && span_at[k] < at + len;
    s += inside ? 0 : ph->weight;
    if (!inside && n_spans < MAX_SPANS)
      span_at[n_spans] = at, span_len[n_spans++] = len;
  }
  return s;
}

int off_clearest_cue(const planner *p, size_t a, size_t b, double min) {
  int best = -1;
  for (size_t t = 0; t < p->n_cues; t++) {
    double s = off_keyword_score(p, &p->cues[t], a, b);
    best = s >= min ? (min = s, (int)t) : best;
  }
  return best;
}

bool off_has_cue(const planner *p, size_t a, size_t b, double min) {
  for (size_t t = 0; t < p->n_cues; t++) /* the first is enough: the clearest costs 11% more */
    if (off_keyword_score(p, &p->cues[t], a, b) >= min)
      return true;
  return false;
}

int off_cue_at(const planner *p, size_t i, size_t b, double min, size_t *end) {
  size_t n;
  int t = -1;
  for (const taskcue *c = p->cues; c < p->cues + p->n_cues; c++)
    for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++)
      if (ph->weight >= min && may_start(p, ph, i) && (n = off_phrase_at(p, ph, i, b)) > 0 &&
          (t < 0 || i + n > *end))
        *end = i + n, t = (int)(c - p->cues);
  return t;
}

bool off_cue_starts(const planner *p, size_t i, size_t b, double min) {
  return off_cue_at(p, i, b, min, &(size_t){0}) >= 0;
}

bool off_words_ask(const planner *p, char (*words)[OFF_MAX_WORD], size_t n) {
  for (size_t w = 0; w < n; w++) {
    if (off_words_has(&p->lx->cls[W_HARD_BREAK], words[w], true))
      return true;
    for (const taskcue *c = p->cues; c < p->cues + p->n_cues; c++)
      if (phrase_words(c, words[w], true))
        return true;
  }
  return false;
}

double off_word_cues(const planner *p, const taskcue *c, size_t i) {
  double n = (double)phrase_words(c, p->tok[i].stem, false);
  for (size_t k = 0; k < c->n_desc; k++)
    n += strcmp(c->desc[k], p->tok[i].stem) == 0;
  return n;
}

/* How many of the task's description words [a,b) holds (3 letters or more: never a mark's stem). */
double off_description_score(const planner *p, const taskcue *c, size_t a, size_t b) {
  double s = 0;
  for (size_t k = 0, i = a; k < c->n_desc; k++, i = a) {
    while (i < b && (p->tok[i].skip || p->tok[i].naming || strcmp(p->tok[i].stem, c->desc[k]) != 0))
      i++;
    s += i < b;
  }
  return s;
}
