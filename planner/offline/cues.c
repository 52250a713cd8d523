/* cues.c — the registry's keywords as weighted cue phrases, and where a task's cues match a span of tokens. */
#include "planner/offline/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_build_cues() takes the registry's task kinds and gives
 * p->cues: per task its keyword phrases (stemmed, weighted by length and
 * by how many tasks share them), its description words and whether some
 * model can run it. off_keyword_score() and off_description_score() tell
 * how much of a task's cues a token span holds; tokens marked skip (a
 * reference) or naming (a file's name) are never cues.
 */

static bool is_det_stem(const planner *p, const char *stem) {
  return off_words_has_stem(&p->lx->cls[W_DETERMINER], stem);
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

/* ---- how many tasks share a cue ------------------------------------------
 * Every phrase and description word of every task in a hash table keyed by
 * what same_phrase() (or strcmp) compares, so that a phrase finds the tasks
 * sharing it among the few entries of its bucket instead of comparing
 * itself with every phrase of every task (a million comparisons, most of a
 * `baton plan --offline` before this). */

typedef struct {
  size_t task;
  size_t next;       /* the next entry of the bucket, or NO_ENTRY */
  const char *word;  /* a description word, or NULL */
  const phrase *ph;  /* a keyword phrase, or NULL */
} cue_entry;

#define NO_ENTRY ((size_t)-1)

static uint64_t hash_bytes(uint64_t h, const char *s) {
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u; /* FNV-1a */
  return (h ^ 0xffu) * 1099511628211u;
}

/* Equal for phrases same_phrase() calls the same: its determiners' words
 * are left out. */
static uint64_t hash_phrase(const phrase *ph) {
  uint64_t h = 14695981039346656037u ^ (ph->n * 31u + ph->det);
  for (size_t k = 0; k < ph->n; k++)
    h = (ph->det >> k) & 1u ? h * 1099511628211u : hash_bytes(h, ph->stems[k]);
  return h;
}

static uint64_t hash_word(const char *w) { return hash_bytes(14695981039346656037u, w); }

typedef struct {
  cue_entry *es;
  size_t n;
  size_t *head;   /* per bucket: its first entry, or NO_ENTRY */
  size_t mask;    /* buckets - 1 (a power of two) */
  unsigned *seen; /* per task: the stamp of the last phrase that counted it */
  unsigned stamp;
} cue_index;

static void cue_index_release(cue_index *ix) {
  free(ix->es);
  free(ix->head);
  free(ix->seen);
}

static void cue_index_add(cue_index *ix, uint64_t h, cue_entry e) {
  size_t b = (size_t)h & ix->mask;
  e.next = ix->head[b];
  ix->head[b] = ix->n;
  ix->es[ix->n++] = e;
}

static int cue_index_build(cue_index *ix, const planner *p) {
  memset(ix, 0, sizeof *ix);
  size_t total = 0, buckets = 64;
  for (size_t t = 0; t < p->n_cues; t++)
    total += p->cues[t].n_phrases + p->cues[t].n_desc;
  while (buckets < 2 * total)
    buckets *= 2;
  ix->mask = buckets - 1;
  ix->es = calloc(total ? total : 1, sizeof *ix->es);
  ix->head = malloc(buckets * sizeof *ix->head);
  ix->seen = calloc(p->n_cues ? p->n_cues : 1, sizeof *ix->seen);
  if (!ix->es || !ix->head || !ix->seen)
    return -1;
  memset(ix->head, 0xff, buckets * sizeof *ix->head); /* all NO_ENTRY */
  for (size_t t = 0; t < p->n_cues; t++) {
    const taskcue *c = &p->cues[t];
    for (size_t k = 0; k < c->n_phrases; k++)
      cue_index_add(ix, hash_phrase(&c->phrases[k]),
                    (cue_entry){.task = t, .ph = &c->phrases[k]});
    for (size_t k = 0; k < c->n_desc; k++)
      cue_index_add(ix, hash_word(c->desc[k]), (cue_entry){.task = t, .word = c->desc[k]});
  }
  return 0;
}

/* 1 + how many tasks other than t share ph: in their keywords, or for one
 * word in their descriptions. */
static size_t sharing_tasks(cue_index *ix, size_t t, const phrase *ph) {
  size_t df = 1;
  unsigned stamp = ++ix->stamp;
  for (size_t i = ix->head[hash_phrase(ph) & ix->mask]; i != NO_ENTRY; i = ix->es[i].next) {
    const cue_entry *e = &ix->es[i];
    if (e->ph && e->task != t && ix->seen[e->task] != stamp && same_phrase(e->ph, ph)) {
      ix->seen[e->task] = stamp;
      df++;
    }
  }
  if (ph->n != 1)
    return df;
  for (size_t i = ix->head[hash_word(ph->stems[0]) & ix->mask]; i != NO_ENTRY;
       i = ix->es[i].next) {
    const cue_entry *e = &ix->es[i];
    if (e->word && e->task != t && ix->seen[e->task] != stamp &&
        strcmp(e->word, ph->stems[0]) == 0) {
      ix->seen[e->task] = stamp;
      df++;
    }
  }
  return df;
}

int off_build_cues(planner *p, const baton__taskspec *tasks, size_t n_tasks,
                   const unsigned char *runnable) {
  p->cues = calloc(n_tasks ? n_tasks : 1, sizeof *p->cues);
  if (!p->cues)
    return -1;
  p->n_cues = n_tasks;
  for (size_t t = 0; t < n_tasks; t++) {
    taskcue *c = &p->cues[t];
    c->spec = &tasks[t];
    c->runnable = !runnable || runnable[t];
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
      ph->n = off_split_words(s, len, ph->stems, OFF_MAX_PHRASE);
      ph->det = 0;
      for (size_t k = 0; k < ph->n; k++)
        ph->det |= is_det_stem(p, ph->stems[k]) ? 1u << k : 0u;
      ph->comma = 0;
      size_t words = 0;
      for (size_t k = 0; k < len; k++) {
        if (off_alnum((unsigned char)s[k]) &&
            (k == 0 || !off_alnum((unsigned char)s[k - 1])) && (k == 0 || s[k - 1] != '\''))
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
    size_t nw = off_split_words(d, strlen(d), words, OFF_MAX_DESC);
    for (size_t w = 0; w < nw; w++) {
      if (strlen(words[w]) < 3 || off_words_has(&p->lx->cls[W_STOPWORD], words[w]))
        continue;
      bool dup = false;
      for (size_t k = 0; k < c->n_desc && !dup; k++)
        dup = strcmp(c->desc[k], words[w]) == 0;
      if (!dup)
        memcpy(c->desc[c->n_desc++], words[w], OFF_MAX_WORD);
    }
  }
  /* Weights, computed from the registry at plan time: a phrase of n words
   * weighs 1 + phrase_word (n-1), divided by the square root of
   * how many tasks share it (in their keywords, or for one word in their
   * descriptions): "depth" says more than "objects" or "classify". */
  cue_index ix;
  if (cue_index_build(&ix, p) != 0) {
    cue_index_release(&ix);
    return -1;
  }
  for (size_t t = 0; t < n_tasks; t++) {
    taskcue *c = &p->cues[t];
    for (size_t k = 0; k < c->n_phrases; k++) {
      phrase *ph = &c->phrases[k];
      size_t df = sharing_tasks(&ix, t, ph);
      /* a determiner at the end says nothing: "make the" weighs as "make" */
      size_t words = ph->n;
      while (words > 1 && ((ph->det >> (words - 1)) & 1u))
        words--;
      ph->weight = (1.0 + p->lx->w[K_PHRASE_WORD] * (double)(words - 1)) / sqrt((double)df);
    }
  }
  cue_index_release(&ix);
  return 0;
}

/* Does the phrase occur at token i (within [i,b))? Returns the number of
 * tokens it spans, 0 if not. Determiners are loose: "generate an image"
 * also matches "generate this image" and "generate image", and "to speech"
 * matches "to a speech". */
size_t off_phrase_at(const planner *p, const phrase *ph, size_t i, size_t b) {
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
    const off_words *cls = p->lx->cls;
    if (pdet && wdet && k > 0 && off_words_has_stem(&cls[W_INDEFINITE], ph->stems[k]) &&
        !off_words_has_stem(&cls[W_INDEFINITE], w) &&
        !off_words_has_stem(&cls[W_OPEN_QUANTITY], w) &&
        off_words_has_stem(&cls[W_DESTINATION], ph->stems[k - 1]))
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
        size_t len = off_phrase_at(p, &c->phrases[k], j, b);
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
    size_t n = off_phrase_at(p, ph, i, b);
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
double off_keyword_score(const planner *p, const taskcue *c, size_t a, size_t b) {
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

/* How many of the task's description words [a,b) holds. */
double off_description_score(const planner *p, const taskcue *c, size_t a, size_t b) {
  double s = 0;
  for (size_t k = 0; k < c->n_desc; k++)
    for (size_t i = a; i < b; i++)
      if (p->tok[i].kind == TK_WORD && !p->tok[i].skip && !p->tok[i].naming &&
          strcmp(p->tok[i].stem, c->desc[k]) == 0) {
        s += 1.0;
        break;
      }
  return s;
}


/* Does some task have a keyword in tokens [a,b)? */
bool off_has_cue(const planner *p, size_t a, size_t b) {
  for (size_t t = 0; t < p->n_cues; t++)
    if (off_keyword_score(p, &p->cues[t], a, b) >= p->lx->w[K_MIN_KEYWORD])
      return true;
  return false;
}
