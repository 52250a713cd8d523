/* emit.c — one task emitted into the graph: its main input, its words and a second text. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: off_emit_task() adds one task of a step to p->g taking the input link.c chose (a
 * resource, an earlier task, or literal text), the step's words where its kind carries them
 * ("instruction"), a second text beside it (a question, a text to compare, an earlier result), a
 * target and source language for a translation; off_emit_translation() adds the translations a
 * step asks into each language listed. The other functions here read p only and help link.c pick
 * what a task takes (off_takes_text, off_fed_language, off_asked_untranslated...). */

static int attach(const planner *p, baton__task *t, const char *name, const source *s) {
  const char *value = s->res >= 0 ? p->res[s->res].value : s->literal; /* unread beside a ref */
  return s->ref >= 0 || value ? baton__task_add_arg(t, name, value, s->ref) : 0;
}

/* Text of [a,b) as written (a misspelt word as read: "sumarize" as "summarize"; an arrow as its
 * word, apart from words it touches: "x.jpg->audio" as "x.jpg to audio"), with marks no token
 * holds ("50%") but an arrow, no trailing ",;:"/"and"; or NULL. */
char *off_span_text(const planner *p, size_t a, size_t b) {
  while (b > a && (off_punct(p, b - 1, ",;:>") || off_is(p, b - 1, W_JOINER)))
    b--;
  size_t s = b > a ? p->tok[a].start : 0, e = b > a ? p->tok[b - 1].end : 0, n = 0;
  while (e > s && p->req[e] && !(p->req[e] & 0x80) && !strchr(" \t\r\n.!?;,:'\"", p->req[e]) &&
         !off_arrow_len(p->req + e, strlen(p->req + e)))
    e++;
  char *text = e > s ? malloc(e - s + (b - a) * (OFF_MAX_WORD + 2) + 1) : NULL;
  size_t at = s; /* up to each misspelt word, then the word as read ("sumarize": "summarize") */
  for (size_t i = a; text && i < b; i++)
    if (p->tok[i].respelt) {
      size_t w = strlen(p->tok[i].word), c = p->tok[i].start, d = p->tok[i].end;
      bool mark = off_arrow_len(p->req + c, d - c) > 0; /* an arrow ("->", "→") */
      memcpy(text + n, p->req + at, c - at), n += c - at;
      if (mark && c > s && !baton__space_byte(p->req[c - 1]))
        text[n++] = ' ';
      memcpy(text + n, p->tok[i].word, w), n += w, at = d;
      if (mark && d < e && !baton__space_byte(p->req[d]))
        text[n++] = ' ';
    }
  if (text)
    memcpy(text + n, p->req + at, e - at), text[n + e - at] = '\0';
  return text;
}

size_t off_words_end(const planner *p, size_t a, size_t b) {
  while (b > a && p->tok[b - 1].kind == TK_PUNCT)
    b--;
  return b;
}

/* Does token i (before b) only resume the talk: "now", or "so" and "well" before any word but
 * one they say how much of ("so many stars", "so much snow", "well done")? */
static bool resumes(const planner *p, size_t i, size_t b) {
  return off_is(p, i, W_RESUMING) &&
         !(off_is(p, i, W_MODIFYING) && i + 1 < b && off_is(p, i + 1, W_MEASURED));
}

char *off_task_words(const planner *p, size_t a, size_t b) {
  size_t i = a;
  while (i < b && (resumes(p, i, b) || (i > a && off_punct(p, i, ","))))
    i++;
  return off_span_text(p, i < b && p->tok[i].kind == TK_WORD ? i : a, b);
}

size_t off_own_texts(const planner *p, const step *st, const char *except, int *first) {
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

bool off_takes_text(const planner *p, const step *st, const baton__taskspec *spec) {
  bool wish = false; /* "make those changes": what an earlier text says (not "these images") */
  for (size_t i = st->a; i < st->b; i++) /* "use the answer to edit it", not "use x.jpg as" */
    wish |= (i + 1 < st->b && off_is(p, i, W_PLURAL) && p->tok[i].det &&
             p->tok[i + 1].kind == TK_WORD && !off_is(p, i + 1, W_PICTURE) &&
             !off_is(p, i + 1, W_REFERENCE)) ||
            (off_is(p, i, W_GUIDED) && off_res_at(p, i + 1, BATON__T_IMAGE) < 0);
  return (spec->outputs & BATON__T_IMAGE) ? st->lead || wish
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

/* The first text resource (a quote, a text file, an earlier turn's text) other than the one t
 * takes, or -1; no file a step saves to ("compare 'a cat' and save it as s.txt"). */
static int other_text(const planner *p, const baton__task *t) {
  for (size_t i = 0; i < p->n_res; i++) {
    bool saved = false;
    for (size_t s = 0; s < p->n_steps; s++)
      saved |= p->steps[s].output == (int)i + 1;
    if ((p->res[i].type & BATON__T_TEXT) && !saved &&
        (!t->args[0].value || strcmp(t->args[0].value, p->res[i].value)))
      return (int)i;
  }
  return -1;
}

bool off_asks_each_text(const planner *p, const step *st, int t) {
  size_t files = 0;
  for (size_t i = st->a; i < st->b; i++)
    files += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].is_file &&
             !off_saved_name(p, i, st->a);
  return files > 1 && off_answers(p, t) && off_takes_two_texts(p, p->cues[t].spec) &&
         off_asks_files(p, st->a, st->b);
}

/* A task's second text (a question, an instruction or a text to compare): its quote; else for a
 * question or comparison an unclaimed quote after the step ("... The question is: 'Q?'") or, unless
 * it asks its own, one before it (kept for later steps too); else, unless a question follows a ':',
 * an earlier step's text (prev_text; of a passage's answerer, only a question heard: heard()); else
 * an edit's description quoted before it; else the step's words. */
static int add_second_text(planner *p, const step *st, int task, baton__task *t, int prev_text) {
  const baton__taskspec *spec = p->cues[task].spec;
  bool picture = off_primary_type(spec) != BATON__T_TEXT; /* else a text task taking two */
  bool compare = off_is_role(p, task, R_COMPARE_TEXTS), takes = off_takes_text(p, st, spec);
  if (picture ? !(spec->inputs & BATON__T_TEXT) : !off_takes_two_texts(p, spec))
    return 0;
  source qs = {-1, -1, NULL};
  if (off_own_texts(p, st, t->args[0].value, &qs.res)) /* not the text the task takes already, */
    qs.res = (compare && p->res[qs.res].asked && p->res[qs.res].reader) || /* nor one asked, */
                     (p->res[qs.res].is_file && off_asks_each_text(p, st, task))
                 ? -1 /* nor one asked too */
                 : (p->res[qs.res].used = true, qs.res);
  bool ask = !(spec->outputs & BATON__T_IMAGE) && !compare; /* a question, else a description */
  size_t q = st->a; /* "answer this question: who wrote it?", "edit it as follows: make ...": */
  for (size_t i = st->a + 1; i < st->b; i++) /* what follows the ':' */
    q = off_punct(p, i - 1, ":") && (ask ? off_is(p, i, W_WH) || off_is(p, i, W_IS_ARE)
                                         : picture && p->tok[i].kind == TK_WORD) ? i : q;
  /* "caption a.jpg and b.jpg and compare them": the text a like task made just before; of a
   * reader, the last before ("caption x.jpg, draw from the caption and compare the two images") */
  int k = t->args[0].ref, r, like = k - 1;
  bool reader = compare && k >= 0 && !(p->made[k]->inputs & BATON__T_TEXT); /* of a picture */
  while (reader && like >= 0 && p->made[like] != p->made[k])
    like--;
  qs.ref = qs.res >= 0 ? -1 : picture ? (takes && q == st->a && prev_text != k ? prev_text : -1)
           : !compare ? prev_text : like >= 0 && p->made[like] == p->made[k] ? like : -1;
  bool earlier = takes || compare, seek = ask || (earlier && qs.ref < 0);
  for (size_t i = 0; seek && qs.res < 0 && i < p->n_tok; i++) { /* feeder: "compare the | text */
    bool feeder = st->fed && i >= st[-1].a && i < st[-1].b; /* in x.png with 'Y'", claimed there */
    qs.res = (r = off_res_at(p, i, BATON__T_TEXT)) >= 0 &&
             (compare || p->res[r].asked == ask) && !p->res[r].used &&
             (i < st->a ? earlier : !p->res[r].claimed || feeder) ? (qs.ref = -1, r) : -1;
  }
  bool original = compare && qs.ref < 0 && off_has_word(p, st->a, st->b, W_ORIGINAL);
  qs.res = original && qs.res < 0 ? other_text(p, t) : qs.res; /* "... with the original text" */
  bool it = compare && qs.ref < 0 && qs.res < 0 && (k < 0 || reads_own_file(p, st, k)) &&
            p->last_turn &&
            (off_has_word(p, st->a, st->b, W_REFERENCE) || off_has_word(p, st->a, st->b,
                                                                        W_DEMONSTRATIVE));
  qs.res = it ? off_first_unused(p, st, BATON__T_TEXT) : qs.res; /* "compare it with notes.txt" */
  bool before = k > 0 && (p->made[k - 1]->outputs & BATON__T_TEXT) && /* "compare the answer */
                p->g->tasks[k].args[0].ref != k - 1; /* and the summary": the text made before */
  if (compare && qs.res < 0 && qs.ref < 0 && !original && before)
    qs.ref = k - 1;
  else if (compare && qs.res < 0 && qs.ref < 0)
    chain_source(p, k, original, &qs);
  if (compare && qs.res < 0 && qs.ref < 0 && !qs.literal) /* "compare the class with the given */
    qs.res = other_text(p, t); /* description" (the quote an edit took) */
  qs.literal = qs.res < 0 && qs.ref < 0 && !compare ? off_task_words(p, q, st->b) : qs.literal;
  int rc = attach(p, t, picture ? "text" : compare ? "text2" : "question", &qs);
  free(qs.literal);
  return rc;
}

const char *off_fed_language(const planner *p, const source *in) {
  if (in->ref < 0)
    return in->res >= 0 ? p->res[in->res].lang : NULL;
  const baton__task *t = &p->g->tasks[in->ref];
  const char *tgt = baton__task_literal(t, "tgt_lang");
  return tgt ? tgt : baton__task_literal(t, "lang");
}

/* Is what task k works on at hand: a file, a quote, an earlier turn's text, or the words a
 * recording or a picture holds (not what a task made of them)? */
static bool read_at_hand(const planner *p, int k) {
  int r = p->g->tasks[k].n_args ? p->g->tasks[k].args[0].ref : -1;
  return r < 0 || off_is_role(p, off_cue_index(p, p->made[r]), R_TRANSCRIBE) ||
         off_is_role(p, off_cue_index(p, p->made[r]), R_CAPTION);
}

void off_asked_untranslated(const planner *p, const step *st, const char *tgt, source *in) {
  const char *lang = off_fed_language(p, in);
  bool asks = off_is_role(p, st->task, R_ASK_TEXT) && in->ref >= 0 && lang && !tgt &&
              read_at_hand(p, in->ref) &&
              strcmp(lang, p->lx->lang_codes[0]) && !off_has_word(p, st->a, st->b, W_TRANSLATING) &&
              off_is_role(p, off_cue_index(p, p->made[in->ref]), R_TRANSLATE);
  for (size_t c = p->tok[st->a].start; asks && c < p->tok[st->b - 1].end; c++)
    asks = (unsigned char)p->req[c] != 0xC3 && strncmp(p->req + c, "\xC2\xBF", 2);
  if (asks)
    chain_source(p, in->ref, false, in);
}

int off_emit_task(planner *p, const step *st, int task, const source *in, int prev_text,
                  const char *tgt, const char *src_lang) {
  const baton__taskspec *spec = p->cues[task].spec;
  if (p->g->n >= OFF_MAX_TASKS)
    return baton__fmt(p->err, p->errlen, "the request asks for over %d tasks", OFF_MAX_TASKS), -1;
  baton__task t = {.id = (int)p->g->n, .task = baton__strdup(spec->name)};
  p->made[t.id] = spec;
  p->marks[t.id] = off_has_word(p, st->a, st->b, W_MARKING);
  p->by_a[t.id] = st->a;
  p->by_b[t.id] = st->b;
  t.words = off_task_words(p, st->a, st->b); /* the step's own words: its model and mode */
  int rc = t.task ? attach(p, &t, baton__type_name(off_primary_type(spec)), in) : -1;
  const resource *earlier = in->res >= 0 && p->res[in->res].turn ? &p->res[in->res] : NULL;
  if (rc == 0 && baton__csv_has(spec->params, "instruction")) {
    /* "make it black and white", "write a poem about autumn": the wish goes in "instruction" (if
     * not the input), a relative tail too ("summarize the | text in x.png in one sentence") */
    bool tail = st + 1 < p->steps + p->n_steps && st[1].split_tail && st[1].relative;
    bool made = st > p->steps && st->fed && !st->later && st[-1].split_tail; /* its object too */
    size_t end = tail ? st[1].b : made ? st[-1].b : st->b;
    char *words = off_task_words(p, st->a, st->told_to > end ? st->told_to : end);
    bool same = words && in->literal && !strcmp(in->literal, words);
    rc = words && !same ? baton__task_add_arg(&t, "instruction", words, -1) : 0;
    free(words);
  }
  if (rc == 0 && off_needs_choices(p, task)) {
    size_t start; /* "is photo.jpg a cat or a dog?": the choices, as the executors read them */
    char *labels = off_choices(p, st->a, st->b, &start);
    rc = labels ? baton__task_add_arg(&t, "labels", labels, -1) : 0;
    free(labels);
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
  if (rc == 0 && off_is_role(p, task, R_COMPARE_TEXTS) && t.n_args < 2) /* one text: no */
    return baton__task_release(&t), baton__fmt(p->err, p->errlen, "%s needs two texts: quote "
                                               "the other or name its file", spec->name), -2;
  if (rc == 0 && off_is_role(p, task, R_TRANSLATE)) {
    /* source: said, fed, an earlier turn's, else the default (detected: into it or none named) */
    const char *dl = p->lx->lang_codes[0], *fed = off_fed_language(p, in); /* dl: the default */
    const char *from = src_lang ? src_lang : fed ? fed : earlier ? earlier->lang
                       : !tgt || !strcmp(tgt, dl) ? NULL : dl;
    rc = from ? baton__task_add_arg(&t, "src_lang", from, -1) : 0;
    if (rc == 0 && (tgt || !from || strcmp(from, dl) != 0))
      rc = baton__task_add_arg(&t, "tgt_lang", tgt ? tgt : dl, -1);
    t.target_assumed =
        !tgt && !from; /* "translate notes.txt": into the default, if not in it */
    t.source_assumed = from && !src_lang && !fed && !earlier; /* "... into Spanish": "en" */
  }
  if (rc != 0 || baton__graph_push(p->g, &t) != 0)
    return baton__task_release(&t), baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  return (int)p->g->n - 1;
}

int off_emit_translation(planner *p, const step *st, const source *in, const char *tgt,
                     const char *src_lang) {
  int id = off_emit_task(p, st, p->role[R_TRANSLATE], in, -1, tgt, src_lang);
  bool listed = false;
  for (size_t i = st->a; id >= 0 && i < st->b; i++) {
    const char *code = off_language_at(p, i);
    if (!listed)
      listed = code && i > st->a && off_is(p, i - 1, W_TARGET_PREP);
    else if (!code && !off_punct(p, i, ",") && !off_is(p, i, W_JOINER))
      break; /* the list ends */
    else if (code && off_emit_task(p, st, p->role[R_TRANSLATE], in, -1, code, src_lang) < 0)
      return -1;
  }
  return id;
}
