/* link.c — recognised steps to a task graph: each task's inputs wired to resources, earlier tasks or literal text. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: off_link() takes the recognised steps (p->steps, each with its task) and gives p->g: a
 * task per step (one per named file of its type), each input from the step's own resource, else the
 * nearest earlier task making that type, else an unused resource (first_unused), bridging a picture
 * or recording to text as needed (a recording no step takes gives its words to a picture's task
 * needing some); a translation rides along if a step names a target language, a speaking task if it
 * says "aloud". Steps run in the order the request asks ("once you have translated it"). A step
 * with nothing to work on is dropped; if all are, -1, err says why. */

/* Where an input comes from: a resource, an earlier task, or literal text. */
typedef struct {
  int res, ref;  /* resource index, graph task id; or -1 */
  char *literal; /* owned, or NULL */
} source;

static int attach(const planner *p, baton__task *t, const char *name, const source *s) {
  const char *value = s->res >= 0 ? p->res[s->res].value : s->literal; /* unread beside a ref */
  return s->ref >= 0 || value ? baton__task_add_arg(t, name, value, s->ref) : 0;
}

/* Text of [a,b) as written, with marks no token holds ("50%"), no trailing ",;:"/"and"; or NULL. */
static char *span_text(const planner *p, size_t a, size_t b) {
  while (b > a && (off_punct(p, b - 1, ",;:") || off_is(p, b - 1, W_JOINER)))
    b--;
  size_t s = b > a ? p->tok[a].start : 0, e = b > a ? p->tok[b - 1].end : 0;
  while (e > s && p->req[e] && !(p->req[e] & 0x80) && !strchr(" \t\r\n.!?;,:'\"", p->req[e]))
    e++;
  return e > s ? baton__strndup(p->req + s, e - s) : NULL;
}

/* Does task k make `type`? Not pictures if it takes one and answers in text (detection's boxes),
 * unless it shows what it found ("blur the faces in x.jpg, then rotate it"). */
static bool produces(const planner *p, size_t k, unsigned type) {
  return (p->made[k]->outputs & type) && !(type == BATON__T_IMAGE && (p->made[k]->inputs & type) &&
                                           (p->made[k]->outputs & BATON__T_TEXT) &&
                                           !p->marks[k]);
}

/* Nearest earlier task producing `type`, or -1. */
static int nearest_producer(const planner *p, unsigned type) {
  for (int k = (int)p->g->n; k-- > 0;)
    if (produces(p, (size_t)k, type))
      return k;
  return -1;
}

/* Does token i of st name the text task k made ("the summary", "that translated text": a word of
 * its kind, or any answerer's if it answers; "write a description of x.jpg ... read the
 * description": a word its step made), st taking one text? */
static bool names_text(const planner *p, const step *st, size_t i, size_t k) {
  if (!off_is(p, i, W_MADE_THING) || !off_is(p, i - 1, W_DEFINITE) ||
      off_is(p, i + 1, W_CONTENT_INTRO) || /* not "the description of a cat": one to make */
      off_takes_two_texts(p, p->cues[st->task].spec))
    return false;
  int c = off_cue_index(p, p->made[k]);
  for (int r = R_READ_DOCUMENT; off_answers(p, c) && r <= R_ASK_TABLE; r++) /* "the answer" */
    if (off_cue_word(p, &p->cues[p->role[r]], i))
      return true;
  if (off_cue_word(p, &p->cues[c], i))
    return true;
  for (size_t j = p->by_a[k] + 1; j < p->by_b[k]; j++)
    if (strcmp(p->tok[j].stem, p->tok[i].stem) == 0 && !off_is(p, j - 1, W_DEFINITE))
      return true;
  return false;
}

/* Task k's text, or, unless st translates ("translate the transcript into German" after its
 * Spanish translation), its latest translation: "the answer" after "the answer in French". */
static int translated_last(const planner *p, const step *st, int k) {
  if (off_is_role(p, st->task, R_TRANSLATE))
    return k;
  bool of_k[OFF_MAX_TASKS] = {false}; /* task j is k or a translation of one */
  of_k[k] = true;
  int last = k;
  for (size_t j = (size_t)k + 1; j < p->g->n; j++) {
    int from = p->g->tasks[j].n_args ? p->g->tasks[j].args[0].ref : -1;
    of_k[j] = from >= 0 && of_k[from] &&
              off_is_role(p, off_cue_index(p, p->made[j]), R_TRANSLATE);
    last = of_k[j] ? (int)j : last;
  }
  return last;
}

/* The earlier task making `type` that a reference in st names by its kind, not st's own ("the
 * edited image" after a depth map, "each segment", "the summary"), unless the nearest one making a
 * picture changed it (an edit, a restyle: "the modified image" is its output); else that one; or
 * -1. */
static int named_producer(const planner *p, const step *st, unsigned type) {
  int near = nearest_producer(p, type);
  int t = near >= 0 ? off_cue_index(p, p->made[near]) : -1;
  bool image = type == BATON__T_IMAGE;
  for (size_t i = (st->lead ? st->lead - 1 : st->a) + 1; /* "based on the summary, | ..." too */
       (image || type == BATON__T_TEXT) && i < st->b; i++)
    for (size_t k = p->g->n; (p->tok[i].skip || p->tok[i - 1].det) && k-- > 0;) /* a reference */
      if (produces(p, k, type) && !off_cue_word(p, &p->cues[st->task], i) &&
          (image ? off_cue_word(p, &p->cues[off_cue_index(p, p->made[k])], i)
                 : names_text(p, st, i, k)))
        return !image ? translated_last(p, st, (int)k)
               : off_is_role(p, t, R_EDIT) || off_is_role(p, t, R_TRANSFORM) ? near : (int)k;
  return near;
}

bool off_names_maker(const planner *p, size_t a, size_t b, const resource *r) {
  for (size_t i = a + 1; r->turn && r->maker && i < b; i++)
    if ((p->tok[i].skip || p->tok[i - 1].det) && off_is(p, i, W_MADE_THING) &&
        off_cue_word(p, &p->cues[r->maker - 1], i))
      return true;
  return false;
}

/* Is r an earlier turn's label of what it was made from ("male", "English (en)", "Alice Smith
 * (NAME)": what a classifier, detector or entity finder said of it), not words to work on? */
static bool labels(const planner *p, const resource *r) {
  int by = r->maker - 1;
  if (!r->turn || by < 0 || !(r->type & BATON__T_TEXT))
    return false;
  if (p->cues[by].spec->inputs & (BATON__T_IMAGE | BATON__T_AUDIO))
    return !off_is_role(p, by, R_CAPTION) && !off_is_role(p, by, R_TRANSCRIBE) &&
           !off_answers(p, by);
  return off_is_role(p, by, R_CLASSIFY_TEXT) || off_is_role(p, by, R_FIND_ENTITIES);
}

/* What st sets aside of earlier turns' texts (set_aside()), read once a step. */
typedef enum { ASIDE_NONE, ASIDE_LABELS, ASIDE_DERIVED } aside_rule;

/* While there is another text: for a question naming neither "it" nor what made the text, labels,
 * summaries and translations (not into the language asked in) go aside ("who staffs the desk?"
 * after "summarize notes.txt": notes.txt says; its summary may not); for a step working on a text
 * and pointing at no label ("them", "that") nor speaking, labels. */
static aside_rule aside_of(const planner *p, const step *st) {
  bool pointed = off_has_word(p, st->a, st->b, W_PLURAL); /* "them", "that": the label */
  for (size_t i = st->a; i < st->b; i++)
    pointed |= off_is(p, i, W_DEMONSTRATIVE) && (i + 1 == st->b || off_is(p, i + 1, W_TARGET_PREP));
  if (off_answers(p, st->task) && !off_has_word(p, st->a, st->b, W_REFERENCE))
    return ASIDE_DERIVED;
  return off_is_role(p, st->task, R_SPEAK) || pointed ? ASIDE_NONE : ASIDE_LABELS;
}

/* Does `rule` set earlier turn's r aside for st (not when st names what made it)? */
static bool set_aside(const planner *p, const step *st, aside_rule rule, const resource *r) {
  int by = r->maker - 1;
  if (rule == ASIDE_NONE || !r->turn || by < 0 || off_names_maker(p, st->a, st->b, r))
    return false;
  if (rule == ASIDE_LABELS) /* and an answer, when there is its passage to sum up */
    return labels(p, r) || (off_is_role(p, st->task, R_SUMMARIZE) && off_answers(p, by));
  bool english = r->lang && strcmp(r->lang, p->lx->lang_codes[0]) == 0; /* asked in it */
  return labels(p, r) || off_is_role(p, by, R_SUMMARIZE) ||
         (off_is_role(p, by, R_TRANSLATE) && !english);
}

/* An unused resource of the type: the request's first, else earlier turns' newest (oldest when st
 * says "the original ..."), p->res holding them in that order, turns oldest first; of those, one
 * st names by what made it comes first ("summarize the transcript" after its translation); -1 if
 * none; of the request's pictures, a table for a step reading tables, else one that is none, first
 * (unused first, then used). Not a text in the language a translating step asks for ("translate
 * the transcript into Spanish" after its Spanish translation), nor one known to be in another
 * language than a step pointing at nothing names ("the English text"), nor, while there is
 * another, a picture a task of st's kind marked what it found on ("how many are there?" after
 * "find the people in x.jpg"). */
static int first_unused(const planner *p, const step *st, unsigned type) {
  bool newest = !off_has_word(p, st->a, st->b, W_ORIGINAL), named = false; /* r's maker named */
  const char *tgt = NULL, *src, *said = off_has_word(p, st->a, st->b, W_REFERENCE) ? NULL
                                        : off_written_language(p, st->a, st->b); /* "the English */
  if (off_is_role(p, st->task, R_TRANSLATE)) /* text": not one known to be in another */
    off_find_languages(p, st->a, st->b, &tgt, &src);
  const baton__taskspec *s = p->cues[st->task].spec;
  bool marks = (s->inputs & s->outputs & BATON__T_IMAGE) && (s->outputs & BATON__T_TEXT);
  bool table = off_is_role(p, st->task, R_READ_TABLE) || off_is_role(p, st->task, R_ASK_TABLE);
  int r = -1, marked = -1, aside = -1; /* one set aside (set_aside()): the last resort */
  aside_rule rule = aside_of(p, st);
  for (int pass = 0; p->image_kind == IMG_TABLE && p->pictures > 1 && pass < 2; pass++)
    for (size_t i = 0; i < p->n_res; i++) /* "a photo x.jpg and a table image t.png" */
      if ((pass || !p->res[i].used) && (p->res[i].type & type & BATON__T_IMAGE) &&
          !p->res[i].turn && (p->res[i].kind == IMG_TABLE) == table)
        return (int)i;
  for (size_t i = 0; i < p->n_res; i++) {
    const char *lang = p->res[i].lang;
    if (p->res[i].used || !(p->res[i].type & type) || (tgt && lang && strcmp(lang, tgt) == 0) ||
        (said && lang && strcmp(lang, said) != 0))
      continue;
    if (marks && p->res[i].maker - 1 == st->task && (p->res[i].type & BATON__T_IMAGE)) {
      marked = (int)i;
      continue;
    }
    if (set_aside(p, st, rule, &p->res[i])) {
      aside = (int)i;
      continue;
    }
    bool n = off_names_maker(p, st->a, st->b, &p->res[i]) || (said && lang); /* or is in the
                                                                        * language st names */
    if (r < 0 || (p->res[r].turn && (n != named ? n : newest)))
      r = (int)i, named = n;
  }
  return r >= 0 ? r : marked >= 0 ? marked : aside;
}

/* How many texts (quotes, text files) st names, not reading `except`; *first: the first or -1. */
static size_t own_texts(const planner *p, const step *st, const char *except, int *first) {
  size_t n = 0;
  *first = -1;
  for (size_t i = st->a; i < st->b; i++)
    if (off_res_at(p, i, BATON__T_TEXT) >= 0 &&
        !(except && strcmp(p->res[p->tok[i].res].value, except) == 0) && n++ == 0)
      *first = p->tok[i].res;
  return n;
}

/* The primary input type of a task: its media type if any, else text. */
unsigned off_primary_type(const baton__taskspec *s) {
  unsigned media = s->inputs & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO);
  unsigned t = media ? media : s->inputs & (BATON__T_TEXT | BATON__T_JSON);
  return t ? t & -t : BATON__T_TEXT; /* the lowest bit: image, audio, video; text, JSON */
}

/* Does st's task, taking a picture or recording and words, take an earlier text as its words? An
 * edit only "based on" it ("alter it to reflect the emotion", "based on it, | edit x.jpg"), others
 * unless st asks a question ("... and how many people are there": a question word first) */
static bool takes_text(const planner *p, const step *st, const baton__taskspec *spec) {
  return (spec->outputs & BATON__T_IMAGE) ? st->lead || off_has_word(p, st->a, st->b, W_GUIDED)
         : !off_is_question(p, st->a, st->b) && !off_asks_question(p, st->a, st->b) &&
               !(off_is(p, st->a, W_WH) && !off_is(p, st->a, W_RELATIVE));
}

/* "the similarity between the summary and the text it was made from": the text the chain of first
 * inputs leading to task k took last (or, `root`, first: "the original text"), into s if any. */
static void chain_source(const planner *p, int k, bool root, source *s) {
  const baton__arg *text = NULL;
  for (const baton__arg *a; k >= 0 && p->g->tasks[k].n_args && (!text || root); k = a->ref)
    text = !strcmp((a = &p->g->tasks[k].args[0])->name, "text") ? a : text;
  if (text)
    s->ref = text->ref, s->literal = text->ref < 0 ? baton__strdup(text->value) : NULL;
}

/* Did task k read a file step st names ("compare it with sign.png": sign.png read for the step)? */
static bool reads_own_file(const planner *p, const step *st, int k) {
  const baton__arg *a = k >= 0 && p->g->tasks[k].n_args ? &p->g->tasks[k].args[0] : NULL;
  for (size_t i = st->a; a && a->ref < 0 && a->value && i < st->b; i++)
    if (p->tok[i].kind == TK_RES && !strcmp(p->res[p->tok[i].res].value, a->value))
      return true;
  return false;
}

/* A task's second text (a question, an instruction or a text to compare): its quote; else for a
 * question or comparison an unclaimed quote after the step ("... The question is: 'Q?'") or, unless
 * it asks its own, one before it (kept for later steps too); else, unless a question follows a ':',
 * an earlier step's text (prev_text; of a passage's answerer, only a question heard: heard()); else
 * an edit's description quoted before it; else the step's words. */
static int add_second_text(planner *p, const step *st, int task, baton__task *t, int prev_text) {
  const baton__taskspec *spec = p->cues[task].spec;
  bool picture = off_primary_type(spec) != BATON__T_TEXT; /* else a text task taking two */
  bool compare = off_is_role(p, task, R_COMPARE_TEXTS), takes = takes_text(p, st, spec);
  if (picture ? !(spec->inputs & BATON__T_TEXT) : !off_takes_two_texts(p, spec))
    return 0;
  source qs = {-1, -1, NULL};
  if (own_texts(p, st, t->args[0].value, &qs.res)) /* not the text the task takes already */
    p->res[qs.res].used = true;
  bool ask = !(spec->outputs & BATON__T_IMAGE) && !compare; /* a question, else a description */
  size_t q = st->a; /* "answer this question: who wrote it?", "edit it as follows: make ...": */
  for (size_t i = st->a + 1; i < st->b; i++) /* what follows the ':' */
    q = off_punct(p, i - 1, ":") && (ask ? off_is(p, i, W_WH) || off_is(p, i, W_IS_ARE)
                                         : picture && p->tok[i].kind == TK_WORD) ? i : q;
  /* "caption a.jpg and b.jpg and compare them": the text a like task made just before */
  int k = t->args[0].ref, r;
  qs.ref = qs.res >= 0 ? -1 : picture ? (takes && q == st->a && prev_text != k ? prev_text : -1)
           : !compare ? prev_text : k > 0 && p->made[k - 1] == p->made[k] ? k - 1 : -1;
  bool earlier = takes || compare, seek = ask || (earlier && qs.ref < 0);
  for (size_t i = 0; seek && qs.res < 0 && i < p->n_tok; i++) { /* feeder: "compare the | text */
    bool feeder = st->fed && i >= st[-1].a && i < st[-1].b; /* in x.png with 'Y'", claimed there */
    qs.res = (r = off_res_at(p, i, BATON__T_TEXT)) >= 0 &&
             (compare || p->res[r].asked == ask) && !p->res[r].used &&
             (i < st->a ? earlier : !p->res[r].claimed || feeder) ? (qs.ref = -1, r) : -1;
  }
  bool original = compare && qs.ref < 0 && off_has_word(p, st->a, st->b, W_ORIGINAL);
  for (size_t i = 0; original && qs.res < 0 && i < p->n_res; i++) /* "... with the original text" */
    qs.res = (p->res[i].type & BATON__T_TEXT) && (!t->args[0].value ||
             strcmp(t->args[0].value, p->res[i].value)) ? (int)i : -1;
  bool it = compare && qs.ref < 0 && qs.res < 0 && (k < 0 || reads_own_file(p, st, k)) &&
            p->last_turn &&
            (off_has_word(p, st->a, st->b, W_REFERENCE) || off_has_word(p, st->a, st->b,
                                                                        W_DEMONSTRATIVE));
  qs.res = it ? first_unused(p, st, BATON__T_TEXT) : qs.res; /* "compare it with notes.txt" */
  bool before = k > 0 && (p->made[k - 1]->outputs & BATON__T_TEXT) && /* "compare the answer */
                p->g->tasks[k].args[0].ref != k - 1; /* and the summary": the text made before */
  if (compare && qs.res < 0 && qs.ref < 0 && !original && before)
    qs.ref = k - 1;
  else if (compare && qs.res < 0 && qs.ref < 0)
    chain_source(p, k, original, &qs);
  qs.literal = qs.res < 0 && qs.ref < 0 && !compare ? span_text(p, q, st->b) : qs.literal;
  int rc = attach(p, t, picture ? "text" : compare ? "text2" : "question", &qs);
  free(qs.literal);
  return rc;
}

/* The language the task feeding `in` writes ("into German", "the German text in x.png"), or the
 * resource `in` is in (an earlier turn's French text); or NULL */
static const char *fed_language(const planner *p, const source *in) {
  if (in->ref < 0)
    return in->res >= 0 ? p->res[in->res].lang : NULL;
  const baton__task *t = &p->g->tasks[in->ref];
  const char *tgt = baton__task_literal(t, "tgt_lang");
  return tgt ? tgt : baton__task_literal(t, "lang");
}

/* Task `task` (st's own, a reader, or what rides along) taking `in`; its id, or -1 (err set). */
static int emit_task(planner *p, const step *st, int task, const source *in, int prev_text,
                     const char *tgt, const char *src_lang) {
  const baton__taskspec *spec = p->cues[task].spec;
  if (p->g->n >= OFF_MAX_TASKS)
    return baton__fmt(p->err, p->errlen, "the request asks for over %d tasks", OFF_MAX_TASKS), -1;
  baton__task t = {.id = (int)p->g->n, .task = baton__strdup(spec->name)};
  p->made[t.id] = spec;
  p->marks[t.id] = off_has_word(p, st->a, st->b, W_MARKING);
  p->by_a[t.id] = st->a;
  p->by_b[t.id] = st->b;
  t.words = span_text(p, st->a, st->b); /* the step's own words: its model and mode */
  int rc = t.task ? attach(p, &t, baton__type_name(off_primary_type(spec)), in) : -1;
  const resource *earlier = in->res >= 0 && p->res[in->res].turn ? &p->res[in->res] : NULL;
  if (rc == 0 && baton__csv_has(spec->params, "instruction")) {
    /* "make it black and white", "write a poem about autumn": the wish goes in "instruction" (if
     * not the input), a relative tail too ("summarize the | text in x.png in one sentence") */
    bool tail = st + 1 < p->steps + p->n_steps && st[1].split_tail && st[1].relative;
    bool made = st > p->steps && st->fed && !st->later && st[-1].split_tail; /* its object too */
    char *words = span_text(p, st->a, tail ? st[1].b : made ? st[-1].b : st->b);
    bool same = words && in->literal && !strcmp(in->literal, words);
    rc = words && !same ? baton__task_add_arg(&t, "instruction", words, -1) : 0;
    free(words);
  }
  /* OCR or speech is told the language of "the French text" (OCR: "x.png is in German"); speech,
   * that an earlier turn said; not speech of a translation ("speak the French text 'x' in
   * English"): the run passes on what the translation wrote */
  bool speak = off_is_role(p, task, R_SPEAK);
  bool said = speak && !(in->ref >= 0 && baton__task_literal(&p->g->tasks[in->ref], "tgt_lang"));
  bool reads = spec->inputs == BATON__T_IMAGE && off_is_role(p, task, R_CAPTION);
  const char *lang = speak && earlier ? earlier->lang
                     : reads || said ? off_written_language(p, st->a, st->b) : NULL;
  lang = !lang && reads && in->res >= 0 && p->held_file == (size_t)in->res + 1 ? p->held_lang
                                                                               : lang;
  rc = rc == 0 && lang ? baton__task_add_arg(&t, "lang", lang, -1) : rc;
  rc = rc == 0 ? add_second_text(p, st, task, &t, prev_text) : rc;
  if (rc == 0 && off_is_role(p, task, R_TRANSLATE)) {
    /* source: said, fed, an earlier turn's, else the default (detected: into it or none named) */
    const char *dl = p->lx->lang_codes[0], *fed = fed_language(p, in); /* dl: the default */
    const char *from = src_lang ? src_lang : fed ? fed : earlier ? earlier->lang
                       : !tgt || !strcmp(tgt, dl) ? NULL : dl;
    rc = from ? baton__task_add_arg(&t, "src_lang", from, -1) : 0;
    if (rc == 0 && (tgt || !from || strcmp(from, dl) != 0))
      rc = baton__task_add_arg(&t, "tgt_lang", tgt ? tgt : dl, -1);
  }
  if (rc != 0 || baton__graph_push(p->g, &t) != 0)
    return baton__task_release(&t), baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  return (int)p->g->n - 1;
}

/* `in` into tgt and each language listed after it ("into Spanish and French"); first id, or -1. */
static int translate(planner *p, const step *st, const source *in, const char *tgt,
                     const char *src_lang) {
  int id = emit_task(p, st, p->role[R_TRANSLATE], in, -1, tgt, src_lang);
  bool listed = false;
  for (size_t i = st->a; id >= 0 && i < st->b; i++) {
    const char *code = off_language_at(p, i);
    if (!listed)
      listed = code && i > st->a && off_is(p, i - 1, W_TARGET_PREP);
    else if (!code && !off_punct(p, i, ",") && !off_is(p, i, W_JOINER))
      break; /* the list ends */
    else if (code && emit_task(p, st, p->role[R_TRANSLATE], in, -1, code, src_lang) < 0)
      return -1;
  }
  return id;
}

/* "Transcribe the first 2 seconds of talk.wav", "classify the last minute of it", "what does it say
 * from 0:10 to 0:20?", "summarize the second half of talk.wav": a task hearing a recording (making
 * none), or reading its words, that names its first or last seconds or minutes (a number between),
 * a share, or a time a part starts, hears that part, cut from `in` first (the cutter reads which
 * from the step's words); the cut's id, -1 if none, -2 on error. */
static int cut_part(planner *p, const step *st, const source *in, bool heard) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  if ((!heard && off_primary_type(spec) != BATON__T_AUDIO) || (spec->outputs & BATON__T_AUDIO))
    return -1;
  bool part = false;
  for (size_t i = st->a + 1; !part && i < st->b; i++)
    part = off_names_part(p, st->a, i) || off_time_from(p, i, st->b);
  if (!part)
    return -1;
  int id = emit_task(p, st, p->role[R_CHANGE_SOUND], in, -1, NULL, NULL);
  return id < 0 ? -2 : id;
}

/* Reads picture or recording (`heard`: the part st names) r into text for st, into src->ref. 1, or
 * -1 on error. */
static int read_file(planner *p, const step *st, int r, bool heard, source *src) {
  int task = heard ? p->role[R_TRANSCRIBE] : off_reader_task(p, p->role[R_CAPTION], r);
  source in = {r, -1, NULL}; /* a document reader also takes the step's words as its question */
  int cut = heard ? cut_part(p, st, &in, true) : -1;
  if (cut < -1)
    return -1;
  in = cut >= 0 ? (source){-1, cut, NULL} : in;
  p->res[r].used = true, src->ref = emit_task(p, st, task, &in, -1, NULL, NULL);
  return src->ref < 0 ? -1 : (p->res[r].reader = src->ref + 1, 1);
}

/* A recording called a question (off_find_kinds) that no task took yet, or -1. */
static int asked_aloud(const planner *p) {
  for (size_t r = 0; r < p->n_res; r++)
    if ((p->res[r].type & BATON__T_AUDIO) && p->res[r].kind == AUD_QUESTION && !p->res[r].used)
      return (int)r;
  return -1;
}

/* Bridges a picture or recording (types) to text into src->ref, reading the step's own, else (not
 * own_only) the nearest before it ("distill the essence of it" after "a recording x.wav"), else the
 * first after it, else the caller's inputs. 1: a reader made, 0: nothing to read, -1: error. */
static int bridge(planner *p, const step *st, bool own_only, unsigned types, source *src) {
  int near = -1;
  for (size_t i = 0; !own_only && i < p->n_tok && (i < st->b || near < 0); i++)
    if ((i < st->a || i >= st->b) && off_res_at(p, i, types) >= 0 && !p->res[p->tok[i].res].used)
      near = p->tok[i].res; /* the nearest before the step, else the first after it */
  int kind = near >= 0 ? p->res[near].kind : -1; /* not music (no words to hear in it), nor an */
  bool skip = kind == AUD_MUSIC || (kind == AUD_QUESTION && off_answers(p, st->task)); /* asked */
  for (int pass = 0; pass < (own_only ? 1 : 2); pass++)
    for (size_t k = 0; k < 2; k++) { /* a picture, then a recording */
      unsigned type = (k ? BATON__T_AUDIO : BATON__T_IMAGE) & types; /* 0 if not wanted: r < 0 */
      int r = pass == 0  ? off_own_res(p, st->a, st->b, type)
              : near < 0 ? first_unused(p, st, type)
              : !skip && (p->res[near].type & type) ? near : -1;
      if (r < 0 || (pass == 0 && p->res[r].used)) /* read already: its text is at hand */
        continue;
      return read_file(p, st, r, k, src);
    }
  return 0;
}

/* An earlier turn's file of `types` st names by its name without the extension ("read the sign
 * aloud" after a turn on sign.png; not one a task made: "draw a car" after car.png was drawn), or
 * -1. */
static int named_by_stem(const planner *p, const step *st, unsigned types) {
  for (size_t r = 0; p->last_turn && r < p->n_res; r++) {
    const resource *x = &p->res[r];
    if (!x->turn || !x->is_file || x->maker || !(x->type & types))
      continue;
    const char *slash = strrchr(x->value, '/'), *base = slash ? slash + 1 : x->value;
    char word[OFF_MAX_WORD], stem[OFF_MAX_WORD];
    off_make_word(base, strcspn(base, "."), word, stem);
    for (size_t i = st->a; word[0] && i < st->b; i++)
      if (p->tok[i].kind == TK_WORD && strcmp(p->tok[i].word, word) == 0)
        return (int)r;
  }
  return -1;
}

/* The words st works on: its own, or of a translation those after its verb, "say", "what is" or
 * "the word (for)", up to the language it goes into ("translate the word cat into French", "how
 * do you say cat in German?", "what is cat in German?", "what's the German word for cat?");
 * `span`: those only, NULL if none or only function words ("translate the text into French"). */
static char *own_words(const planner *p, const step *st, bool span) {
  size_t a = st->a, b = st->b;
  bool worded = false; /* "the German word for | cat": the words up to the end */
  for (size_t i = st->a; off_is_role(p, st->task, R_TRANSLATE) && b == st->b && i < st->b; i++)
    if (off_is(p, i, W_TRANSLATING) || off_is(p, i, W_ALOUD) ||
        (i == a && (off_is(p, i, W_WH) || off_is(p, i, W_IS_ARE) ||
                    off_is(p, i, W_CONTENT_INTRO))) || /* "what about" */
        (off_is(p, i, W_WORDING) && i == a + p->tok[a].det))
      a = i + 1;
    else if (i > st->a && i + 1 < st->b && off_word_for(p, i - 1))
      a = i + 2, worded = true;
    else if (i == a && i > st->a && off_is(p, i - 1, W_TRANSLATING) && i + 2 < st->b &&
             off_is(p, i, W_TARGET_PREP) && off_language_at(p, i + 1) &&
             p->tok[i + 2].kind != TK_PUNCT && !off_is(p, i + 2, W_JOINER))
      a = i + 2, worded = true; /* "translate into German | the words good night" */
    else if (i > a && i + 1 < st->b && off_is(p, i, W_TARGET_PREP) && off_language_at(p, i + 1))
      b = i;
  /* "can I get that | in Spanish"; after a turn, "put that", "tell me that" (a verb and at most a
   * word before "that", no "translate" or "I" before them): no words of its own */
  bool that = a < b && (off_is(p, b - 1, W_REFERENCE) || off_is(p, b - 1, W_DEMONSTRATIVE));
  bool asks = that && (off_is(p, a, W_ASKING) ||
                       (p->last_turn && a == st->a && b <= a + 3 && !off_is(p, a, W_SUBJECT) &&
                        !off_count_res(p, a, b, ~0u)));
  bool words = a < b && (b < st->b || worded) && !(b == a + 1 && off_is(p, a, W_REFERENCE)) &&
               !asks;
  bool content = false; /* not "it", "the original", "now (in Spanish)", "but (in French)", "the
                         * same", "both", "now back (into English)" */
  for (size_t i = a; span && words && i < b; i++)
    content |= p->tok[i].kind == TK_WORD && !p->tok[i].det && !off_is(p, i, W_STOPWORD) &&
               !off_is(p, i, W_ORIGINAL) && !off_is(p, i, W_AGAIN) && !off_is(p, i, W_PLURAL) &&
               !off_is(p, i, W_PARTICLE) && !off_is(p, i, W_CONTRAST) && !off_language_at(p, i) &&
               !(i == st->a && off_is(p, i, W_RESUMING));
  return words && (content || !span) ? span_text(p, a, b)
         : span ? NULL : span_text(p, st->a, st->b);
}

/* Does token i (not before a) introduce what a thing is of or from: "of", "about", "based on"? */
static bool introduces(const planner *p, size_t a, size_t i) {
  return off_is(p, i, W_CONTENT_INTRO) ||
         (i > a && off_is(p, i, W_PREPOSITION) && off_is(p, i - 1, W_GUIDED));
}

/* Does st point back at something ("it", "the summary", "a picture based on that", "an audio
 * version of that text", "based on the answer, | ...")? *asked_of: does it ask of a thing, no words
 * after "about" to make ("what does the original say about X?", "what did they say about X?")? */
static bool points_back(const planner *p, const step *st, bool *asked_of) {
  bool has_ref = st->fed || st->lead || off_is(p, st->b - 1, W_DEMONSTRATIVE);
  *asked_of = off_answers(p, st->task) && (off_is_question(p, st->a, st->b) ||
                                           off_is(p, st->a, W_WH));
  for (size_t i = st->a; i < st->b; i++) /* "it", "based on that text with more detail", "the |
                                          * text translated into French" */
    has_ref = has_ref || p->tok[i].skip || off_is(p, i, W_REFERENCE) ||
              (off_participle_thing(p, i) && off_is(p, i - 1, W_DEFINITE)) ||
              (i + 2 < st->b && off_is(p, i, W_GUIDED) && off_is(p, i + 1, W_PREPOSITION) &&
               off_is(p, i + 2, W_DEMONSTRATIVE)),
    *asked_of |= i > st->a && off_is(p, i, W_ORIGINAL) && off_is(p, i - 1, W_DEFINITE);
  size_t k = st->b; /* "an audio version of that text", "... of the same", "based on the text" */
  while (k > st->a && (off_is(p, k - 1, W_STOPWORD) || off_is(p, k - 1, W_PICTURE) ||
                       off_is(p, k - 1, W_RECORDING) || off_is(p, k - 1, W_TABLE) ||
                       off_is(p, k - 1, W_AGAIN)) && !introduces(p, st->a, k - 1))
    k--;
  return has_ref || (k > st->a && k < st->b && (off_is(p, k, W_DEMONSTRATIVE) || /* named before */
         ((introduces(p, st->a, k - 1) || k == st->a + 1) && off_is(p, k, W_DEFINITE))));
}

/* The newest task changing resource r into another of `type` (r's own medium), or -1. */
static int changed_from(const planner *p, unsigned type, int r) {
  for (size_t k = p->g->n; k-- > 0;)
    for (size_t j = 0; (p->made[k]->inputs & p->made[k]->outputs & type) &&
                       j < p->g->tasks[k].n_args; j++)
      if (p->g->tasks[k].args[j].ref < 0 && p->g->tasks[k].args[j].value &&
          !strcmp(p->g->tasks[k].args[j].value, p->res[r].value))
        return (int)k;
  return -1;
}

/* Is there a video the user has that no task took (baton reads none)? */
static bool user_video(const planner *p) {
  bool video = false; /* one the user has, not one to make ("create a video v.mp4") */
  for (size_t i = 0; i < p->n_res; i++)
    video |= (p->res[i].type & BATON__T_VIDEO) && !p->res[i].turn && !p->res[i].used;
  return video;
}

/* The step's words as a text (not a lone verb: "summarize"), unless they point at what baton cannot
 * read from the user's video ("it", "the transcribed text"); malloc'd, or NULL. */
static char *step_words(const planner *p, const step *st, bool has_ref) {
  bool ref = has_ref;
  for (size_t i = st->a + 1; i < st->b; i++)
    ref |= p->tok[i - 1].det && baton__has_suffix_ci(p->tok[i].word, "ed");
  bool video = ref && user_video(p);
  bool bare = off_is_role(p, st->task, R_TRANSLATE); /* not "translated into English" alone */
  return st->b > st->a + 1 && !video ? own_words(p, st, bare) : NULL;
}

/* 3. What a step making something from words makes it of: the words after "say" ("say hello
 * there | in a deep voice": up to its last preposition), else those after "of", "about",
 * "saying" or a ':' ("an image of a cat playing piano", "an image: x"; not "about in German");
 * NULL if none. */
static char *made_of_words(const planner *p, const step *st) {
  size_t said = off_is_role(p, st->task, R_SPEAK) ? off_words_spoken(p, st->a, st->b) : 0;
  size_t end = st->b;
  for (size_t i = said; said && off_is(p, st->b - 1, W_VOICE) && i + 2 < st->b; i++)
    end = off_is(p, i, W_PREPOSITION) ? i : end;
  if (said)
    return span_text(p, said, end);
  for (size_t i = st->a; i + 1 < st->b; i++)
    if ((off_is(p, i, W_CONTENT_INTRO) || (off_punct(p, i, ":") && p->req[p->tok[i].end] == ' ')) &&
        (i + 3 != st->b || !off_language_at(p, i + 2)))
      return span_text(p, i + 1, st->b);
  return NULL;
}

/* "Translate the opening hours (that sentence) into Spanish": does a translation name a part of
 * a text at hand, not words of its own ("translate the German word for house", "the sentence
 * hello world")? */
static bool names_part(const planner *p, const step *st) {
  return st->a + 2 < st->b && off_is(p, st->a, W_TRANSLATING) &&
         off_is(p, st->a + 1, W_DEFINITE) && !off_has_word(p, st->a, st->b, W_WORDING) &&
         !off_language_at(p, st->a + 2);
}

/* "Edit x.jpg ... Also, I have a document image d.png. Answer the question 'Q?'", "answer 'What is
 * this document about?'": the unused document picture a question naming no picture ("... in the
 * edited image?") asks of: one named between the steps before it and it, or any when it says
 * "document"; -1 if none. */
static int asked_document(const planner *p, const step *st) {
  if (!off_answers(p, st->task))
    return -1;
  bool quoted = off_quote_says(p, st, W_DOCUMENT);
  bool worded = off_has_word(p, st->a, st->b, W_DOCUMENT);
  if (!quoted && !worded && /* "the invoice number in the image" */
      ((off_said_media(p, st->a, st->b) & BATON__T_IMAGE) || off_quote_says(p, st, W_PICTURE)))
    return -1;
  size_t lo = 0; /* where the steps before st end */
  for (const step *e = p->steps; e < p->steps + p->n_steps; e++)
    lo = e->task >= 0 && !e->context && e->b <= st->a && e->b > lo ? e->b : lo;
  /* said so: not "about the image and document" */
  bool said = quoted || (worded && !off_has_word(p, st->a, st->b, W_PICTURE));
  size_t a = said ? 0 : lo, b = said ? p->n_tok : lo ? st->a : 0;
  for (size_t i = a; i < b; i++) {
    int r = off_res_at(p, i, BATON__T_IMAGE);
    if (r >= 0 && !p->res[r].used && p->res[r].kind == IMG_DOCUMENT)
      return r;
  }
  return -1;
}

/* "The original image": the request's first resource of `type` (else the oldest earlier turn's),
 * used or not, where st names it so (not "the original answer": a thing made); -1 if none. */
static int original_res(const planner *p, const step *st, unsigned type) {
  bool first_one = false;
  for (size_t i = st->a; i < st->b; i++)
    first_one |= off_is(p, i, W_ORIGINAL) && !(i + 1 < st->b && off_is(p, i + 1, W_MADE_THING));
  for (size_t i = 0; first_one && i < p->n_res; i++)
    if (p->res[i].type & type)
      return (int)i;
  return -1;
}

/* "Sharpen x.png, then translate the text" (no words of its own, a picture an edit or a restyle
 * made, not a depth map, and no user's video the words were to come from), "edit x.jpg, then sum
 * up the objects in the modified image" (naming it): does a text step read the picture task b
 * made? If so its words (src->literal) are dropped. */
static bool reads_made_picture(const planner *p, const step *st, int b, bool has_ref,
                               unsigned outputs, source *src) {
  int by = off_cue_index(p, p->made[b]);
  bool changed = off_is_role(p, by, R_EDIT) || off_is_role(p, by, R_TRANSFORM);
  bool draws = outputs & BATON__T_IMAGE, named = false; /* "an image based on the edited image" */
  for (size_t i = st->a + 3; draws && i < st->b; i++)
    named |= off_is(p, i, W_PICTURE) && off_is(p, i - 1, W_MADE_THING) &&
             off_is(p, i - 2, W_DEFINITE) && introduces(p, st->a, i - 3);
  bool said = has_ref && (off_said_media(p, st->a, st->b) & BATON__T_IMAGE);
  bool reads = (p->made[b]->outputs & BATON__T_IMAGE) &&
               ((!src->literal && changed && !user_video(p) && !draws) ||
                (said && (named || !draws)));
  if (reads)
    free(src->literal), src->literal = NULL;
  return reads;
}

/* Does drawing step st name what to draw ("draw a dog"; not "now draw me a picture", "can you
 * draw that for me?", "draw what they agreed"): a word before any "what" that is none of asking,
 * pointing, a preposition, a picture nor a word of the drawing's phrases? */
static bool draws_subject(const planner *p, const step *st) {
  static const off_class spare[] = {W_PICTURE, W_US, W_YOU, W_SUBJECT, W_ASKING, W_RESUMING,
                                    W_LEAD_IN, W_PREPOSITION, W_PURPOSE, W_REFERENCE,
                                    W_DEMONSTRATIVE, W_CAUSATIVE, W_COUNT};
  for (size_t i = st->a; off_is_role(p, st->task, R_DRAW) && i < st->b && !off_is(p, i, W_WH);
       i++)
    if (p->tok[i].kind == TK_WORD && !p->tok[i].det &&
        !off_is_any(p, i, spare, sizeof spare / sizeof *spare) &&
        !off_cue_says(&p->cues[st->task], p->tok[i].stem))
      return true;
  return false;
}

/* 3b. "what is cat in German?", "draw a dog", "let's discuss the sea" in a conversation, naming
 * no earlier thing: the step's own words, not the earlier turn's text r; NULL when it takes r. */
static char *words_not_turns(const planner *p, const step *st, int r) {
  bool translate = off_is_role(p, st->task, R_TRANSLATE);
  if (r < 0 || !p->res[r].turn || names_part(p, st) ||
      !(translate || draws_subject(p, st) || off_is_role(p, st->task, R_CONVERSE)))
    return NULL;
  return translate ? own_words(p, st, true) : step_words(p, st, false);
}

/* Sets *src (unset on entry) to where st's main `type` input comes from, if any fits; -1: error. */
static int resolve_input(planner *p, const step *st, unsigned type, unsigned outputs, source *src) {
  bool original, has_ref = points_back(p, st, &original);
  const unsigned media = BATON__T_IMAGE | BATON__T_AUDIO, text = type == BATON__T_TEXT;
  int r = off_own_res(p, st->a, st->b, type), b, prev = named_producer(p, st, type);
  /* 1. the step's own resource; no text used before when it says "it" ("... read it aloud: 'x'");
   * one a step asked to run first changed: what it made of it ("before you transcribe a.wav,
   * clean it") */
  int first = r >= 0 && st->later && !text && p->res[r].used ? changed_from(p, type, r) : -1;
  if (first >= 0)
    return src->ref = first, 0;
  if (r >= 0 && !(text && has_ref && p->res[r].used && prev >= 0))
    return src->res = r, p->res[r].used = true, 0;
  /* 1b. text from the step's own image or recording ("translate sign.png"); 1b'. an earlier
   * turn's file it names ("read the sign aloud" after a turn on sign.png), read again if need be */
  if (text && (b = bridge(p, st, true, media, src)))
    return b > 0 ? 0 : -1;
  if (text && (r = named_by_stem(p, st, media | BATON__T_TEXT)) >= 0)
    return p->res[r].type & BATON__T_TEXT ? (src->res = r, p->res[r].used = true, 0)
         : read_file(p, st, r, p->res[r].type & BATON__T_AUDIO, src) < 0 ? -1 : 0;
  /* 1c. "the original image" (original_res); 1d. a document a question asks of, not what an
   * earlier step drew or changed */
  if (!text && ((r = original_res(p, st, type)) >= 0 || (r = asked_document(p, st)) >= 0))
    return src->res = r, p->res[r].used = true, 0;
  /* 2. "summarize the lecture" with lecture.wav named earlier and nothing read yet (an earlier
   * turn's text is not what this request's own picture says): read it first; 2b. "draw the scene
   * my narration in n.wav describes": what a recording nobody listened to says is what to make */
  int t = first_unused(p, st, BATON__T_TEXT), m = first_unused(p, st, media);
  t = t >= 0 && p->res[t].asked && !has_ref && first_unused(p, st, BATON__T_AUDIO) >= 0 ? -1 : t;
  t = t >= 0 && labels(p, &p->res[t]) && off_has_word(p, st->a, st->b, W_UTTERING) &&
              !off_is_role(p, st->task, R_SPEAK) ? -1 : t;
  bool later = has_ref && off_own_res(p, 0, st->a, BATON__T_TEXT) < 0 && /* "a talk in t.wav; */
               off_own_res(p, 0, st->a, BATON__T_AUDIO) >= 0; /* sum it up. Compare with 'x'" */
  if (text && prev < 0 && (t < 0 || later || (p->res[t].turn && m >= 0 && !p->res[m].turn)) &&
      (b = bridge(p, st, false, (outputs & BATON__T_TEXT) ? media : BATON__T_AUDIO, src)))
    return b > 0 ? 0 : -1; /* 2, else 2b */
  /* 3. what to make follows "of", "about"...: "an image of a cat playing piano" (not "an image that
   * reflects the content of the lecture": made from it; not "the key points of" a given passage,
   * nor a question put to the chat model: "what's the capital of France?") */
  bool passage = t >= 0 && !p->res[t].turn && (outputs & BATON__T_TEXT);
  bool chat = off_is_role(p, st->task, R_CONVERSE) && off_is(p, st->a, W_WH); /* asks it all */
  bool make = text && !has_ref && !original && !chat &&
              (prev < 0 ? !passage
                        : !(outputs & BATON__T_TEXT) && !off_has_word(p, st->a, st->b, W_GUIDED));
  src->literal = make ? made_of_words(p, st) : NULL;
  r = first_unused(p, st, type);
  if (text && !src->literal && !has_ref && prev < 0)
    src->literal = words_not_turns(p, st, r);
  /* 3. those words; 4. an earlier output ("it"); 5. an unused one (no question after a drawing;
   * none named after "it", a recording a step made: "clean a.wav, sum it up. Compare ...", 6c) */
  if (src->literal || prev >= 0)
    return src->ref = src->literal ? -1 : prev, 0;
  const baton__arg *from = (b = nearest_producer(p, media)) >= 0 ? p->g->tasks[b].args : NULL;
  bool heard = from && (p->made[b]->outputs & BATON__T_AUDIO) && (outputs & type); /* 6c */
  if (r >= 0 && !(later && heard) && (!p->res[r].asked || st->task != p->role[R_DRAW] ||
                                      off_own_res(p, st->b, p->n_tok, type) != r))
    return src->res = r, p->res[r].used = true, 0;
  /* 6. "translate it": read an earlier-named image or recording first */
  if (text && has_ref && (r = bridge(p, st, false, media, src)))
    return r > 0 ? 0 : -1;
  /* 6b. "draw a cabin and make a video of it": what the picture was drawn from */
  if (text && has_ref && from && p->made[b]->inputs == BATON__T_TEXT)
    return src->ref = from->ref, src->literal = baton__strdup(from->value),
           from->value && !src->literal ? -1 : 0;
  /* 6c. "enhance a.wav, sum it up", "clean a.wav. What do they say?": what it made, heard */
  source made = {-1, b, NULL};
  if (text && heard &&
      (has_ref || off_is_question(p, st->a, st->b) || off_asks_question(p, st->a, st->b)))
    return (src->ref = emit_task(p, st, p->role[R_TRANSCRIBE], &made, -1, NULL, NULL)) < 0 ? -1 : 0;
  /* 7. the step's words (not a goal's run after the steps spelling it out, a picture made: "make
   * a video by | brightening x.jpg"), else 6d. the picture made before, read; 8. any resource */
  bool spelt = st->goal && st->later && from && (p->made[b]->outputs & BATON__T_IMAGE);
  src->literal = text && !spelt ? step_words(p, st, has_ref) : NULL;
  if (text && from && reads_made_picture(p, st, b, has_ref, outputs, src))
    return (src->ref = emit_task(p, st, off_reader_task(p, p->role[R_CAPTION], -1), &made, -1,
                                 NULL, NULL)) < 0 ? -1 : 0;
  for (size_t i = 0; !text && i < p->n_res && src->res < 0; i++)
    src->res = (p->res[i].type & type) ? (int)i : -1;
  return 0;
}

/* "How similar are a.jpg and b.jpg?": a comparison naming no text but two pictures or recordings
 * reads each, in order, into *in (the text read last; the other is its second). 1 if so, else 0;
 * -1 on error. */
static int read_pair(planner *p, const step *st, source *in) {
  unsigned media = BATON__T_IMAGE | BATON__T_AUDIO;
  bool two = off_count_res(p, st->a, st->b, media) == 2;
  for (size_t i = st->a; two && i < st->b; i++)
    if (off_res_at(p, i, media) >= 0 && bridge(p, &(step){.a = i, .b = i + 1}, true, media, in) < 0)
      return -1;
  return in->ref >= 0;
}

/* "Who wrote notes.txt? And when?": a question put right after one of its kind, naming nothing of
 * its own, asks what that one read; true when *in is set so. */
static bool asked_alike(planner *p, const step *st, source *in) {
  int k = (int)p->g->n - 1;
  const baton__arg *a = k >= 0 && p->made[k] == p->cues[st->task].spec && p->g->tasks[k].n_args
                            ? &p->g->tasks[k].args[0] : NULL;
  if (!a || !off_answers(p, st->task) || !off_is_question(p, st->a, st->b) ||
      off_own_types(p, st->a, st->b))
    return false;
  for (size_t r = 0; a->ref < 0 && a->value && r < p->n_res; r++)
    if (!strcmp(p->res[r].value, a->value))
      return in->res = (int)r, true;
  return a->ref >= 0 && (in->ref = a->ref, true);
}

/* Where (a copy of) st's task gets its main input: 0, 1 if nothing fits (err says), -1 on error. */
static int choose_input(planner *p, const step *st, int at, int prev_text, source *in) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), media = BATON__T_IMAGE | BATON__T_AUDIO;
  bool compare = off_is_role(p, st->task, R_COMPARE_TEXTS);
  int quote = -1, r, texts = off_takes_two_texts(p, spec) ? (int)own_texts(p, st, NULL, &quote) : 0;
  for (size_t i = 0; !texts && off_is_role(p, st->task, R_ASK_TEXT) && i < st->a; i++)
    texts = (quote = off_res_at(p, i, BATON__T_TEXT)) >= 0 && p->res[quote].asked && /* before */
            !p->res[quote].used; /* "I have x.jpg and a question 'Q?'. Please answer it." */
  *in = (source){-1, -1, NULL};
  /* "answer 'Who won?' from notes.txt": of two texts, a passage is the passage; so is one beside
   * a question put in a recording ("answer the question in q.wav from notes.txt") */
  bool aloud = off_answers(p, st->task) && asked_aloud(p) >= 0;
  for (size_t i = st->a; (texts > 1 || (texts && aloud)) && !compare && i < st->b; i++)
    if ((r = off_res_at(p, i, BATON__T_TEXT)) >= 0 && off_is_passage(&p->res[r]))
      texts = 0, p->res[in->res = r].used = true; /* (the quote stays the one own text) */
  /* "using notes.txt, answer 'Who wrote it?'": the question is its own, the passage elsewhere
   * (after it too when there is no picture or recording to read: "Q? Here is the text: '...'") */
  bool asks = texts == 1 && prev_text < 0 && !off_is_passage(&p->res[quote]);
  size_t end = off_res_types(p, false) & media ? st->a : p->n_tok;
  for (size_t i = 0; asks && in->res < 0 && i < end; i++)
    if ((r = off_res_at(p, i, BATON__T_TEXT)) >= 0 && !p->res[r].used && off_is_passage(&p->res[r]))
      p->res[in->res = r].used = true;
  if (compare && !texts && (r = read_pair(p, st, in)) != 0)
    return r < 0 ? -1 : 0;
  r = at >= 0 ? p->tok[at].res : -1; /* the copy's own file, at token at (-1: none) */
  if (r >= 0 && !(p->res[r].type & ptype)) { /* "translate a.png and b.png": each read alone */
    if (bridge(p, &(step){.a = at, .b = at + 1}, true, p->res[r].type, in) < 0)
      return -1;
  } else if (r >= 0)
    p->res[in->res = r].used = true;
  else if (texts == 1 && prev_text >= 0)
    in->ref = prev_text; /* "answer 'Q?' from the summary": the earlier text is the passage */
  else if (texts == 1 && (r = bridge(p, st, !((asks || compare) && in->res < 0), media, in)))
    return r < 0 ? -1 : 0; /* "compare x.jpg with 'a cat'", "ask a.wav 'Why?'": what it holds */
  else if (in->res < 0 && !asked_alike(p, st, in) &&
           resolve_input(p, st, ptype, spec->outputs, in) != 0)
    return -1;
  const char *v; /* "speed up a.wav and save it as f.wav, then transcribe f.wav": what it made */
  for (size_t k = 0; in->res >= 0 && p->res[in->res].is_file && k < p->g->n; k++)
    if ((v = baton__task_literal(&p->g->tasks[k], BATON__ARG_SAVE_AS)) &&
        strcmp(v, p->res[in->res].value) == 0)
      in->ref = (int)k, in->res = -1;
  return in->res >= 0 || in->ref >= 0 || in->literal ? 0 : (off_needs_input(p, spec), 1);
}

int off_needs_input(planner *p, const baton__taskspec *spec) {
  int v = off_own_res(p, 0, p->n_tok, BATON__T_VIDEO);
  bool reads = spec && (spec->inputs & (BATON__T_AUDIO | BATON__T_IMAGE)); /* what a video holds */
  if (v >= 0) /* "transcribe the speech in talk.mp4"; "speed up talk.mp4": no task named */
    return baton__fmt(p->err, p->errlen, "%s cannot work on %s: %s does not read video; save its "
                      "sound (.wav) or a frame (.png)", reads ? spec->name : "baton",
                      p->res[v].value, reads ? "baton" : "it"), -1;
  const char *type = baton__type_name(off_primary_type(spec));
  return baton__fmt(p->err, p->errlen, "%s needs %s %s: name a file in the request or pass one "
                    "as input", spec->name, strchr("aeiou", type[0]) ? "an" : "a", type), -1;
}

/* Is resource r the words of subtitles the same task also made ("translate them" after "make
 * subtitles for talk.wav" means the subtitles, whose words are their transcript)? */
static bool subtitles_words(const planner *p, const resource *r) {
  for (size_t k = 0; !r->is_file && r->entry && k < p->n_res; k++)
    if (p->res[k].is_file && p->res[k].turn == r->turn && p->res[k].entry == r->entry &&
        (baton__has_suffix_ci(p->res[k].value, ".srt") ||
         baton__has_suffix_ci(p->res[k].value, ".vtt")))
      return true;
  return false;
}

/* The first resource of `type` the last earlier turn left that no task took yet, or -1; how many
 * there are in *n (if not NULL). */
static int last_turn_left(const planner *p, unsigned type, size_t *n) {
  int first = -1;
  size_t count = 0;
  for (size_t r = 0; p->last_turn && r < p->n_res; r++)
    if (p->res[r].turn == p->last_turn && !p->res[r].used && (p->res[r].type & type) &&
        !subtitles_words(p, &p->res[r]))
      first = first < 0 ? (int)r : first, count++;
  if (n)
    *n = count;
  return first;
}

/* "Translate it into Spanish and French and read them aloud", "transcribe a.wav and b.wav and
 * summarize it": how many tasks of one kind making `type`, none taking another's output, end the
 * graph when the step refers back ("them", "it", "both", "which one", "the transcripts") naming
 * no such file; with
 * none, how many unused ones of `type` the last turn left when it says "them" or "both"; else 1. */
static size_t made_together(const planner *p, const step *st, unsigned type) {
  size_t n = p->g->n, k = n, a = st->a, b = st->b, left = 0;
  bool which = false, made = false; /* "tell me which one mentions Sunday": asked of each */
  for (size_t i = a; i + 1 < b; i++)
    which |= off_is(p, i, W_WH) && off_is(p, i, W_RELATIVE) && off_is(p, i + 1, W_COUNT);
  for (size_t i = a; i < b; i++) /* "translate the descriptions": of each */
    made |= off_is(p, i, W_MADE_THING) && baton__has_suffix_ci(p->tok[i].word, "s");
  made &= !off_has_word(p, a, b, W_INDEFINITE) && !off_has_word(p, a, b, W_COUNT) &&
          !off_has_word(p, a, b, W_JOINING); /* "one summary of the transcripts" */
  which &= !off_is_role(p, st->task, R_COMPARE_TEXTS);
  if ((!off_has_word(p, a, b, W_PLURAL) && !off_has_word(p, a, b, W_REFERENCE) && !which &&
       !made) ||
      nearest_producer(p, type) != (int)n - 1 || off_own_res(p, a, b, type) >= 0 ||
      (off_takes_two_texts(p, p->cues[st->task].spec) && !which))
    return 1; /* "caption a.jpg and b.jpg and compare them": one comparison of both */
  if (!n && off_has_word(p, a, b, W_PLURAL))
    last_turn_left(p, type, &left);
  if (!n)
    return left > 1 ? left : 1;
  while (k > 1 && p->made[k - 2] == p->made[n - 1] && p->g->tasks[k - 1].args[0].ref != (int)k - 2)
    k--;
  return n - k + 1;
}

/* "Edit x.jpg according to my voice note in n.wav", "answer the question I ask in q.wav about
 * x.jpg": a recording no step claims, beside a step whose task takes a picture and words of no
 * quote, is heard first for its words; so, given the passage `in` of an answerer of passages, is
 * one called a question when the step puts none ("I have an audio question q.wav and notes.txt.
 * Find the answer in the document"). The transcript's id, -1 if none, -2 on error. */
static int heard(planner *p, const step *st, const source *in) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  bool asks = in && off_answers(p, st->task) && off_takes_two_texts(p, spec);
  int q, r = asks ? asked_aloud(p) : first_unused(p, st, BATON__T_AUDIO);
  if (r < 0 || own_texts(p, st, in && in->res >= 0 ? p->res[in->res].value : NULL, &q) ||
      (!asks && (p->res[r].claimed || p->res[r].kind == AUD_MUSIC || !takes_text(p, st, spec) ||
                 off_primary_type(spec) == BATON__T_TEXT || !(spec->inputs & BATON__T_TEXT))))
    return -1;
  source heard = {r, -1, NULL};
  p->res[r].used = true;
  return (q = emit_task(p, st, p->role[R_TRANSCRIBE], &heard, -1, NULL, NULL)) < 0 ? -2 : q;
}

/* The task already doing what st would: speaking its text ("an audio summary ... an audio file of
 * it"), or answering its question, the document or picture reader made for it (task `fresh` on:
 * "the answer to 'Q?' ... a document image x.png": a passage answerer would ask it again); -1. */
static int done_already(const planner *p, const step *st, const source *in, int fresh) {
  int r = in->ref;
  if (off_is_role(p, st->task, R_ASK_TEXT) && r >= fresh &&
      (off_is_role(p, off_cue_index(p, p->made[r]), R_READ_DOCUMENT) ||
       off_is_role(p, off_cue_index(p, p->made[r]), R_ASK_PICTURE)) &&
      baton__task_literal(&p->g->tasks[r], "text"))
    return r;
  for (size_t k = 0; off_is_role(p, st->task, R_SPEAK) && r >= 0 && k < p->g->n; k++)
    if (p->made[k] == p->cues[st->task].spec && p->g->tasks[k].args[0].ref == r)
      return (int)k;
  return -1;
}

/* Adds resource r to t as its k-th recording or picture ("audio2", "image2") unless t has it: 0,
 * or -1 out of memory. */
static int join_input(planner *p, baton__task *t, size_t k, int r) {
  char name[16];
  baton__fmt(name, sizeof name, "%s%zu", t->args[0].name, k);
  for (size_t a = 0; a < t->n_args; a++)
    if (t->args[a].ref < 0 && !strcmp(t->args[a].value, p->res[r].value))
      return 0;
  p->res[r].used = true;
  return baton__task_add_arg(t, name, p->res[r].value, -1);
}

/* Joins the recordings at own[0..n) to task id as audio2 ... audio9, going on in a new task taking
 * its output while more are left ("combine a1.wav ... a12.wav"); the last task's id, or -1 on
 * error. */
static int join_rest(planner *p, const step *st, int id, const size_t *own, size_t n) {
  for (size_t k = 0, slot = 2; id >= 0 && k < n; k++, slot++) {
    if (slot > 9) { /* a new task: what the last one made, then the next eight */
      source in = {-1, id, NULL};
      id = emit_task(p, st, st->task, &in, -1, NULL, NULL);
      slot = 2;
    }
    if (id >= 0 && join_input(p, &p->g->tasks[id], slot, p->tok[own[k]].res) != 0)
      return -1;
  }
  return id;
}

/* "Put m.wav before it", "put it after m.wav", "put b.png above it", "put it below b.png": does st
 * place the file at token f ahead of what "it" points at? */
static bool named_ahead(const planner *p, const step *st, size_t f) {
  for (size_t i = st->a + 1; i + 1 < st->b; i++)
    if ((off_is(p, i, W_PLACED_FIRST) && i - 1 == f && off_is(p, i + 1, W_REFERENCE)) ||
        (off_is(p, i, W_PLACED_AFTER) && i + 1 == f && off_is(p, i - 1, W_REFERENCE)))
      return true;
  return false;
}

/* Has a task taken resource r, or a file of its name ("a.wav and b.wav ... clean a.wav")? */
static bool name_used(const planner *p, int r) {
  for (size_t i = 0; i < p->n_res; i++)
    if (p->res[i].used && !strcmp(p->res[i].value, p->res[r].value))
      return true;
  return false;
}

/* "Read notes.txt and sign.png aloud": the text files beside what a speaking reader reads are
 * spoken as they are; 0, or -1 on error. */
static int speak_texts(planner *p, const step *st, unsigned ptype) {
  int r;
  for (size_t i = st->a; st->speak && ptype != BATON__T_TEXT && i < st->b; i++)
    if ((r = off_res_at(p, i, BATON__T_TEXT)) >= 0 && p->res[r].is_file && !p->res[r].used) {
      source in = {r, -1, NULL};
      p->res[r].used = true;
      if (emit_task(p, st, p->role[R_SPEAK], &in, -1, NULL, NULL) < 0)
        return -1;
    }
  return 0;
}

/* "Translate it into Klingon": a translating step naming no language it knows but a capitalised
 * word after "into" or "to"; sets err (the languages it knows) and -1, else 0. */
static int unknown_language(planner *p, const step *st) {
  for (size_t i = st->a + 1; i < st->b; i++) {
    const token *t = &p->tok[i];
    if (t->kind != TK_WORD || !off_is(p, i - 1, W_DESTINATION) ||
        !off_is(p, i - 1, W_TARGET_PREP) || !(p->req[t->start] >= 'A' && p->req[t->start] <= 'Z'))
      continue;
    baton__fmt(p->err, p->errlen, "baton knows no language called '%.*s'; it knows",
               (int)(t->end - t->start), p->req + t->start);
    const char(*codes)[8] = p->lx->lang_codes; /* one name a language: not "castilian" too */
    for (size_t k = 0, n = strlen(p->err); k < p->lx->lang_names.n; k++, n = strlen(p->err))
      if (k == 0 || strcmp(codes[k], codes[k - 1]) != 0)
        baton__fmt(p->err + n, p->errlen - n, "%s %s", k ? "," : "", p->lx->lang_names.words[k]);
    return -1;
  }
  return 0;
}

/* The tokens of the files (or quotes) st's task works on, one task each, into own; their number.
 * Its own, not the file it makes; "combine a.wav and b.wav", "... Combine them" (*all: the unused
 * ones), "combine it with b.wav": one task taking audio2... ("add m.wav to v.wav": v.wav first,
 * not "put m.wav before v.wav"); "detect faces in a.jpg and b.jpg and blur them": the files
 * before (no task made one: made). */
static size_t own_inputs(const planner *p, const step *st, bool joining, int made, size_t *own,
                         bool *all) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), text = ptype == BATON__T_TEXT;
  unsigned reads = BATON__T_TEXT | ((spec->outputs & BATON__T_TEXT) ? ~0u : 0); /* and read first */
  bool quotes = !off_has_word(p, st->a, st->b, W_REFERENCE) && /* "classify 'a' and 'b'": each */
                (off_is_role(p, st->task, R_CLASSIFY_TEXT) ||
                 off_is_role(p, st->task, R_TRANSLATE));
  size_t n_own = 0;
  for (size_t i = st->a; !(text && off_takes_two_texts(p, spec)) && i < st->b; i++)
    if (off_res_at(p, i, text ? reads : ptype) >= 0 && (!text || p->res[p->tok[i].res].is_file ||
        (quotes && !off_has_word(p, st->a, i, W_DESTINATION)))) /* not "as 'positive'" */
      own[n_own] = i, n_own += p->tok[i].res + 1 != st->output; /* not the file it makes */
  bool none = !n_own && made < 0;
  *all = joining && !n_own;
  bool them = none && !*all && st > p->steps && off_has_word(p, st->a, st->b, W_PLURAL);
  for (size_t i = them ? st[-1].a : 0; (them || *all) && i < (them ? st[-1].b : p->n_tok); i++)
    if (off_res_at(p, i, ptype) >= 0 && !(*all && name_used(p, p->tok[i].res)))
      own[n_own++] = i;
  size_t add = joining ? off_added_recording(p, st->a, st->b) : 0;
  if (add && n_own > 1 && own[0] == add - 1 && !off_is(p, add, W_JOINER)) /* not before, "and" */
    memmove(own, own + 1, --n_own * sizeof *own), own[n_own++] = add - 1;
  return n_own;
}

/* Of several pictures, one a document ("a document image d.png"), a question about a picture is a
 * document's when asked of that one, a picture's when asked of one a task made (not saying
 * "document"), as runs here; task t otherwise. */
static int asked_of(const planner *p, const step *st, int t, const source *in) {
  bool doc = in->res >= 0 && p->res[in->res].kind == IMG_DOCUMENT;
  if (p->pictures < 2 || (!doc && (in->ref < 0 || off_has_word(p, st->a, st->b, W_DOCUMENT) ||
                                   off_quote_says(p, st, W_DOCUMENT))) ||
      !(off_is_role(p, t, R_READ_DOCUMENT) || off_is_role(p, t, R_ASK_PICTURE)))
    return t;
  int u = p->role[doc ? R_READ_DOCUMENT : R_ASK_PICTURE];
  return p->cues[u].runnable || !p->cues[t].runnable ? u : t;
}

/* "summarise X in Spanish", "the German text in s.png in English", "an audio output of the English
 * version of 'Bonjour'": does a translation ride along with st's task? Not from English into
 * English unless a version in it is asked for, none made yet: "in English" is too often the
 * answer's language ("translate notes.txt into English and summarize the English version"). */
static bool rides_translation(const planner *p, const step *st, const char *tgt, const char *src) {
  if (off_is_role(p, st->task, R_TRANSLATE) || off_asks_language(p, st->a, st->b) || !tgt ||
      (src && !strcmp(src, tgt))) /* "read the German text in x.png aloud in German" */
    return false;
  const char *dl = p->lx->lang_codes[0];
  bool version = false;
  for (size_t i = st->a; i + 1 < st->b && !version; i++)
    version = off_language_at(p, i) && off_is(p, i + 1, W_TARGET_NOUN);
  for (size_t k = 0; version && k < p->g->n; k++) {
    const char *made = baton__task_literal(&p->g->tasks[k], "tgt_lang");
    version = !(off_is_role(p, off_cue_index(p, p->made[k]), R_TRANSLATE) &&
                (!made || !strcmp(made, tgt))); /* (none: into the default, or unknown) */
  }
  return version || strcmp(tgt, dl) || (src && strcmp(src, dl));
}

/* Emits a recognised step's tasks, one per own resource of its primary type ("detect objects in
 * a.jpg and b.jpg"), with what rides along: 0; 1 if nothing to work on (err says); -1 on error. */
static int emit_step(planner *p, const step *st) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), text = ptype == BATON__T_TEXT;
  const char *tgt = NULL, *src_lang = NULL, *dl = p->lx->lang_codes[0]; /* the default */
  off_find_languages(p, st->a, st->b, &tgt, &src_lang);
  if (!tgt && off_is_role(p, st->task, R_TRANSLATE) && unknown_language(p, st) != 0)
    return -1;
  /* "I have a text in French ... in English": the text's, for a step on what holds it ("a
   * recording in French"), none read from another medium nor translated yet */
  src_lang = src_lang ? src_lang : off_written_language(p, st->a, st->b); /* "the German text" */
  if (!src_lang && p->held_lang) {
    unsigned other = (BATON__T_IMAGE | BATON__T_AUDIO) & ~p->held_types;
    bool held = strcmp(p->held_lang, dl) && !(tgt && !strcmp(p->held_lang, tgt)) &&
                !(off_own_types(p, st->a, st->b) & other);
    for (size_t k = 0; held && k < p->g->n; k++)
      held = !off_is_role(p, off_cue_index(p, p->made[k]), R_TRANSLATE) &&
             !(p->made[k]->inputs & other);
    src_lang = held ? p->held_lang : NULL;
  }
  bool extra = rides_translation(p, st, tgt, src_lang);
  int r = off_own_res(p, st->a, st->b, ptype), rd = r >= 0 ? p->res[r].reader - 1 : -1, q;
  int last = p->g->n ? off_cue_index(p, p->made[p->g->n - 1]) : -1; /* its task */
  bool again = off_is_role(p, st->task, R_ASK_TEXT) && /* "the question is 'Q?' ... answer it" */
               (!own_texts(p, st, NULL, &q) || p->res[q].used) &&
               (off_is_role(p, last, R_READ_DOCUMENT) || off_is_role(p, last, R_ASK_PICTURE));
  source read = {-1, again ? (int)p->g->n - 1 : rd, NULL}; /* "summarize the | text in x.png" */
  if (again || (rd >= 0 && p->made[rd] == spec && spec->inputs == ptype)) /* read for it already */
    return st->speak && emit_task(p, st, p->role[R_SPEAK], &read, -1, NULL, NULL) < 0 ? -1 : 0;
  size_t own[OFF_MAX_RES]; /* files' (or quotes') tokens: one task each */
  bool joining = off_joins(p, st), all;
  int made = nearest_producer(p, ptype); /* "clean a.wav, then combine them": onto what it made */
  size_t n_own = own_inputs(p, st, joining, made, own, &all);
  /* "combine the cleaned audio with b.wav": onto what an earlier step made, else ("mix it with
   * b.wav", "now add b.wav" after a turn that made a recording) onto the newest earlier turn's */
  source onto = {-1, joining && (all || n_own < 2) ? made : -1, NULL};
  bool it = joining && n_own == 1 && made < 0 && (off_has_word(p, st->a, st->b, W_REFERENCE) ||
                                                  off_has_word(p, st->a, st->b, W_ADDING));
  for (size_t i = 0; it && i < p->n_res; i++)
    onto.res = p->res[i].turn && (p->res[i].type & ptype) ? (int)i : onto.res;
  bool ahead = it && onto.res >= 0 && named_ahead(p, st, own[0]); /* "put m.wav before it" */
  bool on = onto.ref >= 0 || onto.res >= 0, joins = joining && (n_own > 1 || on);
  size_t copies = joins ? 1 : n_own > 1 ? n_own : made_together(p, st, ptype);
  int first = (int)(p->g->n - copies), words = heard(p, st, NULL); /* "them": no own files */
  bool turn = n_own < 2 && copies > 1 && copies > p->g->n; /* "read them": the last turn's, each */
  for (size_t c = 0; words > -2 && c < copies; c++) {
    source in = ahead ? (source){p->tok[own[0]].res, -1, NULL}
                : on  ? onto : (source){-1, first + (int)c, NULL}, out = {-1, -1, NULL};
    int prev_text = words >= 0 ? words : named_producer(p, st, BATON__T_TEXT);
    int left = turn ? last_turn_left(p, ptype, NULL) : -1, fresh = (int)p->g->n; /* in order */
    if (left >= 0)
      in = (source){left, -1, NULL}, p->res[left].used = true;
    else if (!on && (n_own > 1 || copies == 1 || turn) &&
             (q = choose_input(p, st, n_own > 1 ? (int)own[c] : -1, prev_text, &in)) != 0)
      return q;
    int asked = text ? heard(p, st, &in) : prev_text; /* a text's: its question, if heard */
    if (asked < -1 || (q = cut_part(p, st, &in, false)) < -1)
      return -1;
    in = q >= 0 ? (source){-1, q, NULL} : in;
    const char *lang = fed_language(p, &in);
    if (extra && text && !(spec->outputs & BATON__T_TEXT) && !(lang && !strcmp(lang, tgt))) {
      /* text going into a speaking or drawing task is translated first */
      out.ref = emit_task(p, st, p->role[R_TRANSLATE], &in, -1, tgt, src_lang);
      free(in.literal);
      if ((in = out).ref < 0)
        return -1;
    }
    out.ref = off_is_role(p, st->task, R_TRANSLATE) ? translate(p, st, &in, tgt, src_lang)
              : (q = done_already(p, st, &in, fresh)) >= 0 ? q
              : emit_task(p, st, asked_of(p, st, st->task, &in), &in, asked, tgt, src_lang);
    free(in.literal);
    if (ahead && out.ref >= 0 && join_input(p, &p->g->tasks[out.ref], 2, onto.res) != 0)
      return -1;
    out.ref = joins && !ahead ? join_rest(p, st, out.ref, own + !on, n_own - !on) : out.ref;
    if (out.ref < 0 || (extra && (spec->outputs & BATON__T_TEXT) && /* "summarize it in Spanish" */
                        (out.ref = translate(p, st, &out, tgt, src_lang)) < 0) ||
        (st->speak && emit_task(p, st, p->role[R_SPEAK], &out, -1, NULL, NULL) < 0))
      return -1;
  }
  return words > -2 ? speak_texts(p, st, ptype) : -1;
}

/* The files st saves to: st->output's, then those listed right after it ("as es.txt and fr.txt"),
 * their resources into files[0..max); how many. */
static size_t saved_files(const planner *p, const step *st, int *files, size_t max) {
  size_t n = 0, i = 0;
  while (st->output && i < p->n_tok &&
         !(p->tok[i].kind == TK_RES && p->tok[i].res + 1 == st->output))
    i++;
  for (; st->output && i < p->n_tok && n < max; i++)
    if (p->tok[i].kind == TK_RES && p->res[p->tok[i].res].is_file &&
        (n == 0 || (p->res[p->tok[i].res].type & p->res[files[0]].type)))
      files[n++] = p->tok[i].res;
    else if (!off_is(p, i, W_JOINER) && !off_punct(p, i, ","))
      break;
  return n;
}

/* The file st makes ("as a.wav", "save it as s.txt", "into b.json") names the last task since task
 * `first` making its type: the summary, not the text it read; the translation riding along. As
 * many files as tasks of that one's kind name one each, in order ("translate a.txt into Spanish and
 * French and save them as es.txt and fr.txt"). 0, or -1 out of memory (err set). */
static int name_output(planner *p, const step *st, size_t first) {
  int files[OFF_MAX_TASKS];
  size_t nf = saved_files(p, st, files, OFF_MAX_TASKS), makers[OFF_MAX_TASKS], n = 0, same = 0;
  unsigned type = nf ? p->res[files[0]].type : 0;
  type = type & BATON__T_JSON ? BATON__T_TEXT | BATON__T_JSON : type;
  for (size_t k = first; type && k < p->g->n; k++)
    if (p->made[k]->outputs & type)
      makers[n++] = k;
  for (size_t j = 0; j < n; j++)
    same += p->made[makers[j]] == p->made[makers[n - 1]];
  bool each = nf > 1 && same == nf; /* else the first file names the last task */
  for (size_t j = 0, f = 0; j < n; j++) {
    resource *r = &p->res[files[each ? f : 0]];
    if ((each ? p->made[makers[j]] != p->made[makers[n - 1]] : j + 1 < n) || r->claimed)
      continue;
    if (!baton__save_as_ok(r->value)) { /* "save it as ../a.txt", "to /tmp/a.txt": say so */
      if (!p->unsaved[0])
        baton__fmt(p->unsaved, sizeof p->unsaved, "%.200s", r->value);
      continue;
    }
    f++, r->claimed = r->used = true;
    if (baton__task_add_arg(&p->g->tasks[makers[j]], BATON__ARG_SAVE_AS, r->value, -1) != 0)
      return baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  }
  return 0;
}

/* "Before you summarize notes.txt, translate it", "summarize notes.txt once you have translated
 * it", "read it aloud after you translate 'hola'": the next step, in the same sentence, runs first
 * (not "... After editing, classify it", an "after" opening its sentence, nor "... after the
 * edit", one naming no step); so do all the next steps of that sentence ("after converting it to
 * speech and back to text"). The words that say so ("you", "once you have") leave st. */
static bool runs_second(const planner *p, step *st, const step *next) {
  size_t at = st->b; /* where "once you have |" starts */
  for (size_t i = off_back(st->b, 3, st->a); at == st->b && i < st->b; i++) {
    size_t k = i + 1; /* past "you have" */
    while (k < st->b && p->tok[k].kind == TK_WORD && !p->tok[k].det)
      k++;
    if (k == st->b && i > 0 && off_is(p, i, W_AFTER_CLAUSE) && !off_punct(p, i - 1, ".!?;"))
      at = i;
  }
  bool second = st->later || at < st->b || (st->a > 0 && off_is(p, st->a - 1, W_BEFORE_CLAUSE));
  for (size_t i = st->b; second && i < next->a; i++)
    second = !off_punct(p, i, ".!?;");
  if (second && !st->later) /* "before you | summarize" */
    st->b = at, st->a += st->a + 1 < st->b && off_is(p, st->a, W_YOU), st->later = true;
  return second;
}

/* "Make an audio clip | that describes the objects", "answer 'Q?' using the | text in x.png", "a
 * summary of the | objects detected in x.jpg": does the relative tail next feed st? */
static bool tail_feeds(const planner *p, const step *st, const step *next) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  return next->relative && (p->cues[next->task].spec->outputs & BATON__T_TEXT) &&
         off_primary_type(spec) == BATON__T_TEXT &&
         (!(spec->outputs & BATON__T_TEXT) || off_takes_two_texts(p, spec) ||
          off_made_of(p, next->a, false) || off_participle_thing(p, next->a));
}

int off_link(planner *p) {
  char need[256] = "";
  for (size_t s = 0; s < p->n_steps; s++) {
    /* a tail feeding its head runs first (describe, then make the clip from that; read, then
     * answer; a chain of them, the last first: "a video | summarizing the | objects detected");
     * "summarize it once you have | translated it": translate first */
    step *st = &p->steps[s], *next = s + 1 < p->n_steps ? st + 1 : NULL;
    size_t n = 0; /* the tails after st, each feeding the step before it */
    while (s + n + 1 < p->n_steps && tail_feeds(p, &st[n], &st[n + 1]))
      n++;
    for (size_t i = 0; i < n - i; i++) { /* reversed: the last tail first, each head fed */
      step head = st[i];
      st[i] = st[n - i], st[n - i] = head;
    }
    for (size_t i = 1; i <= n; i++)
      st[i].fed = true;
    if (!n && next && runs_second(p, st, next)) {
      step head = *st;
      *st = *next, *next = head, next->fed = true;
    }
    size_t first = p->g->n;
    int rc = emit_step(p, st);
    if (rc < 0 || (rc == 0 && (off_copies(p, st, first) != 0 || name_output(p, st, first) != 0 ||
                               off_copy_names(p, first) != 0)))
      return -1;
    if (rc == 1 && !need[0]) { /* a step that cannot get its input is dropped; remember why */
      char *words = span_text(p, st->a, st->b);
      baton__fmt(need, sizeof need, "%.*s", (int)baton__utf8_cut(p->err, strlen(p->err),
                                                                  sizeof need - 1), p->err);
      int cut = words ? (int)baton__utf8_cut(words, strlen(words), 80) : 0;
      baton__fmt(p->left_out, sizeof p->left_out, "\"%.*s\": %s", cut, words ? words : "", need);
      free(words);
    }
    p->err[0] = '\0';
  }
  baton__graph_merge_same(p->g); /* one reading of x.png serves every step that reads it */
  return p->g->n ? 0 : (baton__fmt(p->err, p->errlen, "%s", need[0] ? need : OFF_NO_TASK), -1);
}
