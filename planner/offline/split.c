/* split.c — a step naming two tasks ("estimate the depth to segment the image") split in two. */
#include "planner/offline/internal.h"

#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_split_step() takes step s as recognise.c recognised it (its task found, avail: what
 * is at hand) and, when it names two tasks (each half clearly a task of its own, a different one,
 * the two scoring well above the whole: best_split), cuts it where the second's cue starts: the
 * tail becomes the step after it (split_tail; relative where it feeds the head: "a clip | that
 * shows", "the | summary"), its task left for recognise.c to find, and the head takes its own
 * words' best task (where they say little, the one the split found: "classify the | summary of
 * x.txt"). No split: a verb a question clause follows gives its task ("describing | what is in
 * it"); "write a | summary" is the summary's task alone. off_done_by() tells the "-ing" after
 * "by" that says how a goal is done ("make a video by | drawing a cat"). */

/* Is token i a word's "-ing" form ("reading", not "sing")? */
static bool ing_form(const planner *p, size_t i) { return off_ing_word(p->tok[i].word); }

/* Is token k a verb's "-ing" form after "by" (and "first"): "make a video by (first) | drawing"? */
bool off_done_by(const planner *p, size_t k) {
  size_t by = k > 1 && off_is(p, k - 1, W_OPENING) ? k - 2 : k - 1;
  return k > 0 && ing_form(p, k) && off_is(p, by, W_MEANS);
}

/* Does task t take text task u makes? */
static bool reads_from(const planner *p, int t, int u) {
  return t >= 0 && u >= 0 && (p->cues[t].spec->inputs & p->cues[u].spec->outputs & BATON__T_TEXT);
}

/* "Classify the | text in x.png": the tail's first word, a cue of its task t, tells which task the
 * head names, one reading what t makes; that task, or -1. */
static int noun_head(const planner *p, const step *st, size_t k, int t, unsigned avail, double *s) {
  const taskcue *c = &p->cues[t];
  if (!off_is(p, k - 1, W_DEFINITE) ||
      off_keyword_score(p, c, k, st->b) <= off_keyword_score(p, c, k + 1, st->b))
    return -1;
  int h = off_best_task(p, st->a, k + 1, avail | c->spec->outputs, s);
  double kn = h >= 0 ? off_keyword_score(p, &p->cues[h], st->a, k + 1) : 0;
  return h != t && reads_from(p, h, t) && kn >= p->lx->w[K_CLEAR_KEYWORD] ? h : -1;
}

/* "Summarize the | table in t.png", "how similar are the | captions of a.jpg and b.jpg": after
 * "the", a tail naming the file its task t2 reads, the head's task t1 writing text from that. */
static bool reads_named_file(const planner *p, const step *st, size_t k, int t1, int t2) {
  return off_is(p, k - 1, W_DEFINITE) && reads_from(p, t1, t2) &&
         !(p->cues[t1].spec->outputs & ~(unsigned)(BATON__T_TEXT | BATON__T_JSON)) &&
         off_own_res(p, k, st->b, p->cues[t2].spec->inputs & ~(unsigned)BATON__T_TEXT) >= 0;
}

/* "does the summary of x.txt | answer 'Q?'": a tail of task t2 saying what to do with what the
 * head's task t1 makes of a file (or of "it") may say less of t2. */
static bool uses_made(const planner *p, const step *st, size_t k, int t1, int t2) {
  return k >= st->a + 4 && off_made_of(p, k - 3, true) && off_cue_word(p, &p->cues[t1], k - 3) &&
         (p->tok[k - 1].kind == TK_RES || off_is(p, k - 1, W_REFERENCE)) &&
         off_keyword_score(p, &p->cues[t2], k, st->b) >= p->lx->w[K_MIN_KEYWORD];
}

/* Does a cue of three words or more of task t, word for word, run across token k ("detect the |
 * language", not "create a summary | video")? */
static bool cue_across(const planner *p, int t, const step *st, size_t k) {
  const taskcue *c = &p->cues[t];
  for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++)
    for (size_t j = off_back(k, ph->n + 2, st->a); ph->n >= 3 && j < k; j++)
      if (j + ph->n > k && off_phrase_at(p, ph, j, st->b) == ph->n)
        return true;
  return false;
}

/* One medium, one step: "visualized in a | video", "a video | visualizing it" (a participle says
 * what the video shows), "a segmented | image of the room" (one image), "a video to | explain it"
 * (what it is for): is k inside one phrase of two tasks (t1 before it, t2 from it) making no text,
 * a drawing of something doing, or a video (the step's task) and what it is for? Not "a video by |
 * drawing a cat": made from what another task makes. */
static bool one_medium(const planner *p, const step *st, size_t k, int t1, int t2) {
  size_t pl = strlen(p->tok[k - 1].word);
  bool ing = ing_form(p, k); /* "a robot | reading" */
  const baton__taskspec *s1 = p->cues[t1].spec, *s2 = p->cues[t2].spec;
  bool in_phrase = p->tok[k - 1].kind == TK_WORD &&
                   !(off_done_by(p, k) && s1->outputs != s2->outputs) &&
                   (p->tok[k - 1].det || off_is(p, k - 1, W_PREPOSITION) || ing ||
                    (pl > 4 && strcmp(p->tok[k - 1].word + pl - 2, "ed") == 0));
  return (in_phrase && (!((s1->outputs | s2->outputs) & BATON__T_TEXT) ||
                        (ing && off_is_role(p, t1, R_DRAW)))) ||
         (k >= 2 && st->task == t1 && off_is(p, k - 1, W_PURPOSE) && /* "a video to" */
          off_is(p, k - 2, W_MOVING));
}

/* "Segment the image to | identify the objects", "... in order to | find the regions": does a
 * finding verb at k, after "to", find what task t1 does (a word of t1's description after it)? */
static bool does_already(const planner *p, const step *st, size_t k, int t1) {
  return off_is(p, k - 1, W_PURPOSE) && off_is(p, k, W_ASK_VERB) &&
         off_description_score(p, &p->cues[t1], k + 1, st->b) > 0;
}

/* The tasks of st's halves were it split at k: the tail's *t2 (score *s2) from k, the head's *t1
 * (*s1) before the token returned. After "the", the head takes what the tail makes ("the mood of
 * the | text in x.png"); a tail naming a thing whose noun tells the head's task, the head takes
 * that noun too (noun_head: "classify the | text in x.png"); `of`: the head only names what to do
 * with a thing made first, a fallback's score is enough. */
static size_t halves_at(const planner *p, const step *st, size_t k, unsigned avail, bool of,
                        int *t1, double *s1, int *t2, double *s2) {
  double sn;
  *t2 = p->tok[k - 1].det ? off_best_task(p, k, st->b, avail, s2) : -1;
  unsigned head_avail = (of ? 0 : avail) | (*t2 >= 0 ? p->cues[*t2].spec->outputs : 0);
  *t1 = off_best_task_min(p, st->a, k, head_avail, p->lx->w[of ? K_ACCEPT_FALLBACK : K_ACCEPT],
                          -1, s1);
  if (*t1 >= 0 && !p->tok[k - 1].det)
    *t2 = off_best_task(p, k, st->b, avail | p->cues[*t1].spec->outputs, s2);
  int tn = *t2 >= 0 && !reads_from(p, *t1, *t2) ? noun_head(p, st, k, *t2, avail, &sn) : -1;
  return tn >= 0 ? (*t1 = tn, *s1 = sn, k + 1) : k;
}

/* "A one-paragraph | summary", "a 3-sentence | summary": does a length joined by '-' (a count or
 * a figure first) end right before k? */
static bool length_before(const planner *p, const step *st, size_t k) {
  return k >= st->a + 2 && p->tok[k - 1].start == p->tok[k - 2].end + 1 &&
         p->req[p->tok[k - 2].end] == '-' &&
         (off_is(p, k - 2, W_COUNT) || isdigit((unsigned char)p->tok[k - 2].word[0]));
}

/* Do the words at k keep st one ask, whatever its halves name (t2 from k): what a change should
 * become ("make this picture | brighter", "the original"), a text read ("read it | aloud in
 * French"), a language the result is put in ("... category | into French": no verb of
 * translating)? */
static bool said_of_whole(const planner *p, const step *st, size_t k, int t2) {
  return (off_has_word(p, st->a, k, W_CAUSATIVE) &&
          (off_said_media(p, k - 1, k) || off_is(p, k - 1, W_REFERENCE) ||
           off_is(p, k - 1, W_ORIGINAL))) ||
         (off_is(p, k, W_ALOUD) && off_has_word(p, st->a, k, W_READING)) ||
         (off_is_role(p, t2, R_TRANSLATE) && !off_has_word(p, k, st->b, W_TRANSLATING));
}

/* Where to split a step that names two tasks: where a cue starts, or 0 when it names one. Both
 * halves must name different tasks, each clearly, and together score well above the whole. *head:
 * the head's task when it says little; with no split, the task whose verb a question clause is
 * the object of ("describing | what is in it"), or -1. */
static size_t best_split(const planner *p, const step *st, unsigned avail, int *head) {
  double best = 0;
  size_t at = 0;
  int object = -1; /* the task whose verb a question clause follows, if any */
  for (size_t k = st->a + 1; k + 1 < st->b; k++) {
    if (off_punct(p, k - 1, ":") && off_is_question(p, k, st->b))
      break; /* "answer the question: what is the main | topic ...?" is one ask */
    bool wh = k == st->a + 1 && off_is(p, k, W_WH); /* "draw | what x.png says": what to draw */
    /* "discuss the | objects detected in it", unless a split before it: "a video | summarizing
     * the objects detected in it" (the tail is split again) */
    bool named = off_participle_thing(p, k) && best < st->score + p->lx->w[K_SPLIT_GAIN];
    if ((k == st->a + 1 && !wh) || off_participle_thing(p, k - 1) ||
        (off_modifies(p, k - 1) && !off_is(p, k, W_MADE_THING)) || /* "the first | paragraph" */
        (!wh && !named && !off_phrase_covers(p, NULL, k, 1, 0, k, st->b)))
      continue; /* no cue at k, or a word alone before what its task takes */
    /* "classify the | summary of x.txt": a head only naming what to do with a thing made first
     * works on that thing alone and may say less (a fallback's score, a keyword's least weight) */
    bool of = off_made_of(p, k, true) || named;
    double s1 = 0, s2 = 0, kw1 = p->lx->w[of ? K_MIN_KEYWORD : K_SPLIT_KEYWORD];
    int t1, t2;
    size_t h = halves_at(p, st, k, avail, of, &t1, &s1, &t2, &s2);
    if (t1 < 0 || t2 < 0 || t2 == t1 || (of || s1 >= s2 ? s2 : s1) < p->lx->w[K_SPLIT_PART] ||
        (named && !reads_from(p, t1, t2)) || /* the head reads what the participle found */
        cue_across(p, t2, st, k) || /* "detect the | language": one cue */
        (off_is(p, k, W_GUIDED) && off_is_role(p, t2, R_COMPARE_TEXTS)) ||
        (wh && !reads_from(p, t1, t2)))
      continue; /* "edit it | to match the description": how to edit, not a comparison; "describe
                 * | what happens in x.jpg": one ask, unless the head takes the clause's text */
    bool clause = k + 1 < st->b && (off_is(p, k + 1, W_IS_ARE) || p->tok[k + 1].det ||
                                    off_is(p, k + 1, W_STOPWORD)); /* not "what colour" */
    if (off_is(p, k, W_WH) && clause && !reads_from(p, t1, t2) &&
        off_keyword_score(p, &p->cues[t1], k - 1, k) >= p->lx->w[K_MIN_KEYWORD]) {
      object = t1; /* "an audio file describing | what is in it": the clause is what to describe */
      continue;
    }
    if (one_medium(p, st, k, t1, t2))
      continue;
    if (length_before(p, st, k))
      continue;
    /* "an answer ... from | this document", "what kind of | document is x.png": what it reads
     * (not "in the form of | audio effects": what to make) */
    size_t m = k + p->tok[k].det;
    bool from = off_is(p, k - 1, W_SOURCE_PREP), about = off_is(p, k - 1, W_CONTENT_INTRO);
    if ((from || about) && m < st->b && off_is(p, m, W_DOCUMENT))
      continue;
    if ((about && !off_is(p, k - 1, W_PREPOSITION) && off_is(p, k, W_DEFINITE)) ||
        does_already(p, st, k, t1)) { /* "a conversation about | the topic": what it is about, */
      object = t1; /* "segment it to | identify the objects": what it finds; the head's task */
      continue;
    }
    if (said_of_whole(p, st, k, t2))
      continue;
    /* "translate the | summary of x.txt": the head's object, made first, needs no more gain */
    double sum = s1 + s2 + (off_made_of(p, k, false) || named ? p->lx->w[K_SPLIT_GAIN] : 0);
    /* each task's cues in its half: "answer it with the visual question answering tool" is one */
    if (sum > best && off_keyword_score(p, &p->cues[t1], k, st->b) <= 0 &&
        off_keyword_score(p, &p->cues[t2], st->a, k) <= 0 &&
        off_keyword_score(p, &p->cues[t1], st->a, h) >= kw1 &&
        (off_keyword_score(p, &p->cues[t2], k, st->b) >= p->lx->w[K_SPLIT_KEYWORD] ||
         reads_named_file(p, st, k, t1, t2) || uses_made(p, st, k, t1, t2)))
      best = sum, at = k, *head = h > k || of ? t1 : -1;
  }
  if (best >= st->score + p->lx->w[K_SPLIT_GAIN])
    return at;
  *head = object;
  return 0;
}

/* "write a (short) | description of x.jpg", "generate a text | description for the final image (in
 * English)": nothing said of how to write it, only a verb of the writing task's phrases, plain
 * words before its object k and one phrase naming the picture after it (not "a poetic |
 * description", "... of x.jpg as a haiku", "compose a | description": a verb only the writing
 * task has, but "write") */
static bool bare_object(const planner *p, const step *st, size_t k) {
  const taskcue *w = &p->cues[p->role[R_WRITE]];
  size_t v = k - 1, end = st->b; /* the verb ("please write me a | description") */
  while (v > st->a && (p->tok[v].det || off_is(p, v, W_STOPWORD) ||
                       off_is(p, v, W_MADE_THING) || off_is(p, v, W_US)))
    v--;
  if (end > k + 3 && off_is(p, end - 2, W_TARGET_PREP) && off_language_at(p, end - 1))
    end -= 2; /* "in English" */
  for (size_t j = k + 2; j < end; j++)
    if (off_is(p, j, W_PREPOSITION))
      return false;
  return k + 2 < end && off_is(p, k + 1, W_PREPOSITION) && v + 1 < k &&
         (p->tok[v + 1].det || off_is(p, v + 1, W_US)) &&
         (off_own_types(p, k + 2, end) || off_has_word(p, k + 2, end, W_PICTURE)) &&
         off_cue_says(w, p->tok[v].stem) && (off_is(p, v, W_SAVING) || !off_cue_word(p, w, v));
}

/* "Write a | summary of x.txt", "compose a short | summary", "write the | summary of x.txt",
 * "write the | caption for x.jpg", "come up with a | response": a verb writing text from text, its
 * object (after "a", or a thing made after "write", of a thing or for the picture or recording its
 * task reads) naming a task that writes text (or, after the writing task's verb, any task its first
 * words name: "come up with a | visual interpretation of it"), is that task alone; true when st
 * took it. A step not split (`whole`: "write a
 * | description of x.jpg") takes it where its object is that task's word, one reading a picture
 * only a bare caption of one the words name. */
static bool written_task(const planner *p, step *st, size_t k, unsigned avail, bool whole) {
  size_t art = k > st->a + 2 && !off_is(p, k - 1, W_INDEFINITE) ? k - 2 : k - 1; /* "a (short)" */
  double s1, s2;
  int t2 = off_best_task(p, k, st->b, avail, &s2);
  unsigned media = t2 >= 0 ? p->cues[t2].spec->inputs & (BATON__T_IMAGE | BATON__T_AUDIO) : 0;
  bool saved = off_saves_at(p, st->a) && off_made_of(p, k, false); /* "write the | summary of" */
  if (saved && !off_made_of(p, k, true)) /* "write the | caption for x.jpg" */
    saved = off_own_res(p, k + 1, st->b, media) >= 0 && bare_object(p, st, k);
  bool object = (off_is(p, art, W_INDEFINITE) || saved) && art > st->a;
  bool phrasal = art > st->a + 1 && off_is(p, art - 2, W_PARTICLE); /* "come up with a" */
  if (!object || (off_is(p, art - 1, W_PREPOSITION) && !phrasal) ||
      off_is(p, art - 1, W_CONTENT_INTRO)) /* not "a summary of it in a | conversational tone" */
    return false;
  int t1 = off_best_task(p, st->a, k, avail, &s1);
  if (whole && (t2 < 0 || !off_cue_word(p, &p->cues[t2], k) ||
                (media && !(off_is_role(p, t2, R_CAPTION) && bare_object(p, st, k) &&
                            (off_own_res(p, k, st->b, BATON__T_IMAGE) >= 0 ||
                             off_has_word(p, k, st->b, W_PICTURE))))))
    return false;
  const baton__taskspec *head = t1 >= 0 ? p->cues[t1].spec : NULL;
  return head && t2 >= 0 && head->inputs == BATON__T_TEXT && head->outputs == BATON__T_TEXT &&
         !off_is_role(p, t1, R_TRANSLATE) && /* "translate a | summary": both, the summary first */
         ((p->cues[t2].spec->outputs & BATON__T_TEXT) ||
          (off_is_role(p, t1, R_WRITE) &&
           off_keyword_score(p, &p->cues[t2], k, k + 2 < st->b ? k + 2 : st->b) >=
               p->lx->w[K_MIN_KEYWORD])) &&
         (st->task = t2, st->score = s2, true);
}

/* One clause, two tasks ("estimate the depth to segment the image"): split it between them. */
void off_split_step(planner *p, size_t s, unsigned avail) {
  step *st = &p->steps[s];
  int head = -1;
  size_t k = st->task >= 0 && p->n_steps < OFF_MAX_STEPS && st->b - st->a <= OFF_MAX_SPLIT_TOKENS
                 ? best_split(p, st, avail, &head)
                 : 0;
  if (!k && head >= 0) /* "describing | what is in it": the verb's task */
    st->task = head;
  for (size_t o = st->a + 2; !k && off_is_role(p, st->task, R_WRITE) && o < st->a + 4; o++)
    if (o < st->b && off_is(p, o, W_MADE_THING) && written_task(p, st, o, avail, true))
      break; /* "write a | description of x.jpg", not split: the description's task */
  /* no split, or "write a | summary": one task; "the French | translation in fr.txt": a file */
  if (!k || written_task(p, st, k, avail, false) ||
      (k > st->a + 1 && off_version_in_file(p, k - 1)))
    return;
  /* "read out the | French translation of a.txt": the language the tail's (not "translate the
   * German | summary of a.txt": the translation's) */
  k -= k > st->a + 1 && off_version_at(p, k - 1) && !off_has_word(p, st->a, k, W_TRANSLATING);
  memmove(&p->steps[s + 2], &p->steps[s + 1], (p->n_steps++ - s - 1) * sizeof *st);
  /* the tail feeds st: "a clip | that shows", "the | summary", "audio | summary", "text | found",
   * "a video | summarizing it", "an audio file | describing it" (or x.jpg; not "the output") */
  bool medium = off_is(p, k - 1, W_MOVING) ||
                (k >= st->a + 2 && off_has_word(p, off_back(k, 3, st->a), k, W_RECORDING) &&
                 (off_own_types(p, k, st->b) || off_said_media(p, k, st->b) ||
                  (k + 2 == st->b && off_is(p, k + 1, W_REFERENCE))));
  bool what_is = (k >= st->a + 2 && off_is(p, k - 2, W_WH) && off_is(p, k - 1, W_IS_ARE)) ||
                 (off_is(p, k - 1, W_WH) && strchr(p->tok[k - 1].word, '\'')); /* "what's" */
  bool rel = off_has_word(p, off_back(k, 3, st->a), k, W_RELATIVE) || p->tok[k - 1].det ||
             off_made_of(p, k, false) || /* "the short | summary", "the German | summary of" */
             (k >= st->a + 2 && p->tok[k - 2].det && off_version_at(p, k - 1)) ||
             off_said_media(p, k - 1, k) || baton__has_suffix_ci(p->tok[k].word, "ed") ||
             (medium && baton__has_suffix_ci(p->tok[k].word, "ing")) || what_is ||
             off_is(p, k, W_WH); /* "draw | what x.png says", "read me what is | written on" */
  p->steps[s + 1] = (step){.a = k, .b = st->b, .task = -1, .split_tail = true, .relative = rel,
                           .goal = st->goal};
  st->b = k; /* its task: its words' best, unless they say little (head) */
  st->goal |= off_done_by(p, k); /* "make a video by | drawing a cat": what that is for */
  st->task = head >= 0 ? head : off_best_task(p, st->a, st->b, avail, &st->score);
}
