/* link.c — recognised steps to a task graph: each step's tasks emitted and wired, in order. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: off_link() takes the recognised steps (p->steps, each with its task) and gives p->g: a
 * task per step (one per named file of its type), each input where inputs.c finds it
 * (off_choose_input; a step taking like earlier results together, "summarize them together",
 * takes them all: text2 ...), a second text beside it (a question, an instruction, a text to
 * compare; a recording no step takes gives its words to a picture's task needing some); a
 * translation rides along if a step names a target language, a speaking task if it says "aloud",
 * a clean-up of the speech if it asks it "enhanced"; the files a step saves to name the tasks
 * making them. Steps run in the order the request asks ("once you have translated it"; "-> audio
 * -> French": the French spoken). A step with nothing to work on is dropped; if all are, -1, err
 * says why. */

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

/* The first resource of `type` the last earlier turn (any: any earlier turn's file) left that no
 * task took yet, or -1; how many there are in *n (if not NULL). */
static int turn_left(const planner *p, unsigned type, bool any, size_t *n) {
  int first = -1;
  size_t count = 0;
  for (size_t r = 0; p->last_turn && r < p->n_res; r++)
    if ((any ? p->res[r].turn && p->res[r].is_file : p->res[r].turn == p->last_turn) &&
        !p->res[r].used && (p->res[r].type & type) &&
        !subtitles_words(p, &p->res[r]))
      first = first < 0 ? (int)r : first, count++;
  if (n)
    *n = count;
  return first;
}

bool off_which_one(const planner *p, size_t a, size_t b) {
  bool which = false;
  for (size_t i = a; i + 1 < b; i++)
    which |= off_is(p, i, W_WH) && off_is(p, i, W_RELATIVE) && off_is(p, i + 1, W_COUNT);
  return which;
}

/* "Read them" after a turn: the next resource of `type` the last turn left into *in; for a step
 * taking text, of none left (a file's facts set aside: "summarize them" after "how long are a.wav
 * and b.wav?"), the next file it left, read. 1, 0 if none, -1 on error. */
static int take_left(planner *p, const step *st, unsigned type, source *in) {
  int r = turn_left(p, type, false, NULL);
  r = r < 0 && type == BATON__T_IMAGE && off_which_one(p, st->a, st->b) ? turn_left(p, type, true, NULL)
                                                                     : r; /* "which one": each */
  if (r >= 0)
    return *in = (source){r, -1, NULL}, p->res[r].used = true, 1;
  r = type == BATON__T_TEXT ? turn_left(p, BATON__T_IMAGE | BATON__T_AUDIO, false, NULL) : -1;
  return r < 0 ? 0 : off_read_file(p, st, r, p->res[r].type & BATON__T_AUDIO, in);
}

/* "then summarize", "translated to German", "then summarize in one sentence": a step naming no
 * thing (no determiner, no "one summary", no joining), so done to each of the things before. */
static bool names_nothing(const planner *p, const step *st) {
  bool bare = !off_has_word(p, st->a, st->b, W_DETERMINER) &&
              !off_has_word(p, st->a, st->b, W_JOINING);
  for (size_t i = st->a; i + 1 < st->b; i++)
    bare &= !(off_is(p, i, W_COUNT) && off_is(p, i + 1, W_MADE_THING));
  return bare;
}

/* "Translate it into Spanish and French and read them aloud", "transcribe a.wav and b.wav and
 * summarize it": how many tasks of one kind making `type`, none taking another's output, end the
 * graph when the step refers back ("them", "it", "both", "each", "which one", "the transcripts")
 * or names nothing at all ("then summarize") and names no such file; with
 * none, how many unused ones of `type` (of no text left: files) the last turn left when it says
 * "them", "both" or "each"; else 1. */
static size_t made_together(const planner *p, const step *st, unsigned type) {
  size_t n = p->g->n, k = n, a = st->a, b = st->b, left = 0;
  static const off_class alone[] = {W_COUNT, W_PREPOSITION, W_JOINER, W_ALOUD}; /* "each into" */
  bool which = off_which_one(p, a, b), made = false, plural = off_has_word(p, a, b, W_PLURAL);
  for (size_t i = a; i < b; i++) { /* "translate the descriptions": of each */
    made |= off_is(p, i, W_MADE_THING) && baton__has_suffix_ci(p->tok[i].word, "s");
    plural |= off_is(p, i, W_DETERMINER) && off_is(p, i, W_SEVERAL) && /* "summarize each (one)" */
              (i + 1 == b || p->tok[i + 1].kind == TK_PUNCT || off_is_any(p, i + 1, alone, 4));
  }
  made &= !off_has_word(p, a, b, W_INDEFINITE) && !off_has_word(p, a, b, W_COUNT) &&
          !off_has_word(p, a, b, W_JOINING); /* "one summary of the transcripts" */
  which &= !off_is_role(p, st->task, R_COMPARE_TEXTS); /* "and tell me who called": of each too */
  which |= off_is_role(p, st->task, R_ASK_TEXT) && names_nothing(p, st);
  bool each = n && off_asked_of_each(p, n - 1) && /* "which of a.jpg and b.jpg is brighter? read */
              off_named_producer(p, st, type) == (int)n - 1; /* the answer aloud": each answer */
  if ((!plural && !off_has_word(p, a, b, W_REFERENCE) && !which &&
       !made && !each && !names_nothing(p, st)) ||
      (off_nearest_producer(p, type) != (int)n - 1 && !each) || off_own_res(p, a, b, type) >= 0 ||
      (off_takes_two_texts(p, p->cues[st->task].spec) && !which))
    return 1; /* "caption a.jpg and b.jpg and compare them": one comparison of both */
  if (!n && plural && turn_left(p, type, false, &left) < 0 &&
      type == BATON__T_TEXT) /* its texts set aside ("summarize them" after two files' facts) */
    turn_left(p, BATON__T_IMAGE | BATON__T_AUDIO, false, &left); /* the files, each read */
  if (!n && which && type == BATON__T_IMAGE) /* "which one has a dog?" after captions: each */
    turn_left(p, type, true, &left);
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
  int q, r = asks ? off_asked_aloud(p) : off_first_unused(p, st, BATON__T_AUDIO);
  if (r < 0 || off_own_texts(p, st, in && in->res >= 0 ? p->res[in->res].value : NULL, &q) ||
      (!asks && (p->res[r].claimed || p->res[r].kind == AUD_MUSIC || !off_takes_text(p, st, spec) ||
                 off_primary_type(spec) == BATON__T_TEXT || !(spec->inputs & BATON__T_TEXT))))
    return -1;
  source heard = {r, -1, NULL};
  p->res[r].used = true;
  return (q = off_emit_task(p, st, p->role[R_TRANSCRIBE], &heard, -1, NULL, NULL)) < 0 ? -2 : q;
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

/* "Transcribe a.wav and b.wav, then summarize them together": joins the results of tasks
 * first + 1 ... last to task t as text2 ..., in order: 0, or -1 out of memory. */
static int join_made(baton__task *t, int first, int last) {
  char name[16];
  for (int k = first + 1, slot = 2; k <= last; k++, slot++)
    if (baton__fmt(name, sizeof name, "%s%d", t->args[0].name, slot),
        baton__task_add_arg(t, name, NULL, k) != 0)
      return -1;
  return 0;
}

/* "Put them side by side" after turns that each made or named a picture: the oldest of the
 * earlier turns' files of `type` when they are two or more (all the conversation has in play,
 * to be joined), else -1. */
static int turns_joined(const planner *p, const step *st, unsigned type) {
  int first = -1, n = 0;
  for (size_t i = 0; off_has_word(p, st->a, st->b, W_PLURAL) && i < p->n_res; i++)
    if (p->res[i].turn && p->res[i].is_file && (p->res[i].type & type) && !off_labels(p, &p->res[i]))
      first = first < 0 ? (int)i : first, n++;
  return n > 1 ? first : -1;
}

/* Joins the earlier turns' files of task id's type (turns_joined(), from `first` on) to it, as
 * image2 ..., each once: 0, or -1 out of memory. */
static int join_turns(planner *p, baton__task *t, int first, unsigned type) {
  for (size_t i = (size_t)first + 1, slot = 2; i < p->n_res; i++)
    if (p->res[i].turn && p->res[i].is_file && (p->res[i].type & type) && slot <= OFF_MAX_JOINED &&
        !off_labels(p, &p->res[i]) && join_input(p, t, slot++, (int)i) != 0)
      return -1;
  return 0;
}

/* Joins the recordings at own[0..n) to task id as audio2 ... audio9, going on in a new task taking
 * its output while more are left ("combine a1.wav ... a12.wav"); the last task's id, or -1 on
 * error. */
static int join_rest(planner *p, const step *st, int id, const size_t *own, size_t n) {
  for (size_t k = 0, slot = 2; id >= 0 && k < n; k++, slot++) {
    if (slot > OFF_MAX_JOINED) { /* a new task: what the last one made, then the next eight */
      source in = {-1, id, NULL};
      id = off_emit_task(p, st, st->task, &in, -1, NULL, NULL);
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
      if (off_emit_task(p, st, p->role[R_SPEAK], &in, -1, NULL, NULL) < 0)
        return -1;
    }
  return 0;
}

/* "Listen to talk.wav and notes.txt and tell me who called", "read a.txt and listen to b.wav and
 * ...", "... and summarize them": after a hearing step right before st, the text files named up to
 * its end that no task took are asked st's question (or worked on by a task on text pointing at
 * them all) as they are, beside the transcripts; 0, or -1 on error. */
static int heard_texts(planner *p, const step *st, const char *tgt) {
  const step *h =
      st - 1; /* (with no language to put them into: "translate both into French") */
  bool all = !tgt && (off_is_role(p, st->task, R_ASK_TEXT) ||
                      (p->cues[st->task].spec->inputs == BATON__T_TEXT &&
                       !off_is_role(p, st->task, R_TRANSLATE) &&
                       off_has_word(p, st->a, st->b, W_PLURAL)));
  int r;
  for (size_t i = 0; st > p->steps && all && off_is_role(p, h->task, R_TRANSCRIBE) &&
                        off_hears(p, h->a, h->b) && i < h->b; i++)
    if ((r = off_res_at(p, i, BATON__T_TEXT)) >= 0 && p->res[r].is_file && !p->res[r].used) {
      source in = {r, -1, NULL};
      p->res[r].used = true;
      if (off_emit_task(p, st, st->task, &in, -1, NULL, NULL) < 0)
        return -1;
    }
  return 0;
}

/* "Translate it into Klingon", "say hello in Klingon": a translating step naming no language it
 * knows but a capitalised word after "into" or "to", or a speaking one ending on one after "in"
 * that is named as a language (off_tongue_at: not "say hello to Bob", "say it in Paris"); sets
 * err (what can be translated here, else the languages it knows and what to install or configure
 * to translate) and -1, else 0. */
static int unknown_language(planner *p, const step *st) {
  bool said = off_is_role(p, st->task, R_SPEAK);
  for (size_t i = st->a + 1; i < st->b; i++) {
    const token *t = &p->tok[i];
    bool last = i + 1 == st->b || off_punct(p, i + 1, ".!?;,");
    if (t->kind != TK_WORD || !off_is(p, i - 1, W_TARGET_PREP) ||
        (said ? off_is(p, i - 1, W_DESTINATION) || !last || !off_tongue_at(p, i)
              : !off_is(p, i - 1, W_DESTINATION)) ||
        !(p->req[t->start] >= 'A' && p->req[t->start] <= 'Z'))
      continue;
    baton__fmt(p->err, p->errlen, BATON__UNKNOWN_LANGUAGE "'%.*s'; %s",
               (int)(t->end - t->start), p->req + t->start,
               p->translations ? "here it can translate with " : "it knows");
    if (p->translations)
      return baton__fmt(p->err + strlen(p->err), p->errlen - strlen(p->err), "%s",
                        p->translations), -1;
    const char(*codes)[8] = p->lx->lang_codes; /* one name a language: not "castilian" too */
    for (size_t k = 0, n = strlen(p->err); k < p->lx->lang_names.n; k++, n = strlen(p->err))
      if (k == 0 || strcmp(codes[k], codes[k - 1]) != 0)
        baton__fmt(p->err + n, p->errlen - n, "%s %s", k ? "," : "", p->lx->lang_names.words[k]);
    size_t n = strlen(p->err); /* nothing here translates: what would */
    if (p->translate_advice)
      baton__fmt(p->err + n, p->errlen - n, "; %s", p->translate_advice);
    return -1;
  }
  return 0;
}

/* Does token i name a file (or quote) the tokens own[0..n) name ("the summary of notes.txt to
 * notes.txt": one summary)? */
static bool named_before(const planner *p, const size_t *own, size_t n, size_t i) {
  for (size_t k = 0; k < n; k++)
    if (!strcmp(p->res[p->tok[own[k]].res].value, p->res[p->tok[i].res].value))
      return true;
  return false;
}

/* Is the quote at token i one speaking step st reads: right after its verb ("read 'hi' aloud",
 * "read aloud 'hi'") or joined to another file or quote by "and" or "," ("read notes.txt and 'hi'
 * aloud", "read 'hi' aloud and 'bye'")? Not a voice, a name or a word to skip ("with the voice
 * 'Jenny'", "skip 'secret'"). */
static bool spoken_quote(const planner *p, const step *st, size_t i) {
  size_t v = i > st->a + 1 && off_is(p, i - 1, W_ALOUD) ? i - 1 : i;
  if (v > st->a && (off_cue_word(p, &p->cues[st->task], v - 1) || off_speaks_at(p, v - 1) ||
                    off_is(p, v - 1, W_READING)))
    return true;
  /* "'hello' aloud and 'bye'", "aloud: 'a'", "'a' 'b'"; not "voice: 'Emma'", "x.txt 'slowly'" */
  if (i > st->a && (off_is(p, i - 1, W_JOINER) || off_punct(p, i - 1, ",") ||
                    (off_punct(p, i - 1, ":") && i > 1 && off_is(p, i - 2, W_ALOUD)) ||
                    (off_res_at(p, i - 1, ~0u) >= 0 && !p->res[p->tok[i - 1].res].is_file)))
    return true;
  return i + 2 < st->b && (off_is(p, i + 1, W_JOINER) || off_punct(p, i + 1, ",")) &&
         off_res_at(p, i + 2, ~0u) >= 0; /* "'hi' and notes.txt" */
}

/* "Read a.txt and b.txt | and tell me who called", "... | and summarize them": the text files a
 * step of no task right before st reads ("read" before the first), each into own; their number if
 * more than one, else 0 (one: the text at hand). */
static size_t read_before(const planner *p, const step *st, size_t *own) {
  size_t from = st > p->steps ? st[-1].b : 0, n = 0;
  bool reads = false;
  for (size_t i = from; i + 1 < st->a && !n; i++) {
    size_t k = i + 1 + (p->tok[i + 1].det && i + 2 < st->a);
    reads |= off_is(p, i, W_READING) && off_res_at(p, k, BATON__T_TEXT) >= 0;
    for (size_t j = k; reads && j < st->a; j++)
      if (off_res_at(p, j, BATON__T_TEXT) >= 0 && p->res[p->tok[j].res].is_file)
        own[n++] = j;
  }
  return n > 1 ? n : 0;
}

/* The tokens of the files (or quotes) st's task works on, one task each, into own; their number.
 * Its own, not the file it makes; "combine a.wav and b.wav", "... Combine them" (*all: the unused
 * ones), "combine it with b.wav": one task taking audio2... ("add m.wav to v.wav": v.wav first,
 * not "put m.wav before v.wav"); "detect faces in a.jpg and b.jpg and blur them", "caption a.jpg
 * and b.jpg and tell me which one has a dog": the files before (no task made one: made). */
static size_t own_inputs(const planner *p, const step *st, bool joining, int made, size_t *own,
                         bool *all) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), text = ptype == BATON__T_TEXT;
  unsigned reads = BATON__T_TEXT | ((spec->outputs & BATON__T_TEXT) ? ~0u : 0); /* and read first */
  bool speak = off_is_role(p, st->task, R_SPEAK); /* "read 'hi' and notes.txt aloud" */
  bool quotes = !off_has_word(p, st->a, st->b, W_REFERENCE) && /* "classify 'a' and 'b'": each */
                (off_is_role(p, st->task, R_CLASSIFY_TEXT) ||
                 off_is_role(p, st->task, R_TRANSLATE) || speak);
  size_t n_own = 0;
  bool two = text && off_takes_two_texts(p, spec) && !off_asks_each_text(p, st, st->task);
  for (size_t i = st->a; !two && i < st->b; i++)
    if (off_res_at(p, i, text ? reads : ptype) >= 0 && (!text || p->res[p->tok[i].res].is_file ||
        (quotes && !off_has_word(p, st->a, i, W_DESTINATION) && /* not "as 'positive'" */
         (!speak || spoken_quote(p, st, i)))))
      own[n_own] = i, n_own += p->tok[i].res + 1 != st->output && /* not the file it makes, */
                               !named_before(p, own, n_own, i); /* nor one named again */
  bool none = !n_own && made < 0;
  *all = joining && !n_own;
  bool them = none && !*all && st > p->steps && /* "..., tell me which one has a dog" */
              (off_has_word(p, st->a, st->b, W_PLURAL) || (!text && names_nothing(p, st)) ||
               (!text && off_which_one(p, st->a, st->b)));
  bool pair = two && !off_is_role(p, st->task, R_ASK_TEXT); /* "compare them": both, one task */
  if (none && text && !pair && (off_has_word(p, st->a, st->b, W_PLURAL) ||
                                (off_is_role(p, st->task, R_ASK_TEXT) && names_nothing(p, st))) &&
      (n_own = read_before(p, st, own)) > 0)
    return n_own;
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
 * English unless a version in it is asked for ("the English version", "the English transcript of
 * a.wav"; a picture's words read, no description: "what's the text in sign.png in English?"),
 * none made yet: "in English" is too often the answer's language ("translate notes.txt into
 * English and summarize the English version"). */
static bool rides_translation(const planner *p, const step *st, const char *tgt, const char *src) {
  if (off_is_role(p, st->task, R_TRANSLATE) || off_asks_language(p, st->a, st->b) || !tgt ||
      (src && !strcmp(src, tgt)) || /* "read the German text in x.png aloud in German" */
      (off_is_role(p, st->task, R_CLASSIFY_TEXT) && off_lists_languages(p, st->a, st->b)))
    return false; /* (nor "what language is a.txt in? French or Spanish?": choices) */
  const char *dl = p->lx->lang_codes[0];
  bool version = off_is_role(p, st->task, R_CAPTION) && /* (not "a text description") */
                 off_has_word(p, st->a, st->b, W_LETTERED) &&
                 !off_has_word(p, st->a, st->b, W_MADE_THING);
  for (size_t i = st->a; i + 1 < st->b && !version; i++)
    version = off_version_at(p, i);
  for (size_t k = 0; version && k < p->g->n; k++) {
    const char *made = baton__task_literal(&p->g->tasks[k], "tgt_lang");
    version = !(off_is_role(p, off_cue_index(p, p->made[k]), R_TRANSLATE) &&
                (!made || !strcmp(made, tgt))); /* (none: into the default, or unknown) */
  }
  return version || strcmp(tgt, dl) || (src && strcmp(src, dl));
}

/* The language st, naming none, puts its result into: its goal's ("I want a French summary of
 * a.txt. First, ..."); for a translation, the one the next step (on "it", no file of its own) puts
 * it into before a task making no text from it ("translate it and read it out in Spanish": one
 * translation, read out); or NULL. */
static const char *asked_language(const planner *p, const step *st) {
  const step *n = st + 1;
  if (st->goal_lang || !off_is_role(p, st->task, R_TRANSLATE) || n >= p->steps + p->n_steps ||
      n->task < 0 || off_is_role(p, n->task, R_TRANSLATE))
    return st->goal_lang;
  const baton__taskspec *s = p->cues[n->task].spec;
  const char *tgt = NULL, *src = NULL;
  if (off_primary_type(s) != BATON__T_TEXT || (s->outputs & BATON__T_TEXT) ||
      !off_has_word(p, n->a, n->b, W_REFERENCE) || off_own_types(p, n->a, n->b))
    return NULL;
  off_find_languages(p, n->a, n->b, &tgt, &src);
  return src ? NULL : tgt;
}

/* "Convert 'x' into an enhanced speech audio", "a high-quality speech": task k, speaking a text, in
 * a step asking its recording polished (a word of polished, of quality or not, before one of
 * recording) and no step changing a sound: followed by a task cleaning the speech up; the last
 * task's id, or -1. */
static int polish_speech(planner *p, const step *st, int k) {
  bool polished = false, changed = p->role[R_CHANGE_SOUND] < 0;
  for (size_t i = st->a, j; i + 1 < st->b; i++)
    j = i + 1 + (i + 2 < st->b && off_is(p, i + 1, W_QUALITY)),
    polished |= off_is(p, i, W_POLISHED) && off_is(p, j, W_RECORDING) && !off_is(p, j, W_VOICE);
  for (size_t s = 0; s < p->n_steps; s++)
    changed |= off_is_role(p, p->steps[s].task, R_CHANGE_SOUND);
  if (!polished || changed || !(p->made[k]->inputs & BATON__T_TEXT) ||
      !(p->made[k]->outputs & BATON__T_AUDIO))
    return k;
  source spoken = {-1, k, NULL};
  return off_emit_task(p, st, p->role[R_CHANGE_SOUND], &spoken, -1, NULL, NULL);
}

/* The languages a step works in: the target it names or asks for, and the source its text is
 * said or held to be in (NULL: none). 0; -1 when it names a language nobody knows (err says). */
static int step_languages(planner *p, const step *st, const char **tgt, const char **src_lang) {
  const char *dl = p->lx->lang_codes[0]; /* the default */
  *tgt = *src_lang = NULL;
  off_find_languages(p, st->a, st->b, tgt, src_lang);
  *tgt = *tgt ? *tgt : asked_language(p, st);
  if (!*tgt && (off_is_role(p, st->task, R_TRANSLATE) || off_is_role(p, st->task, R_SPEAK)) &&
      unknown_language(p, st) != 0)
    return -1;
  /* "I have a text in French ... in English": the text's, for a step on what holds it ("a
   * recording in French"), none read from another medium nor translated yet */
  *src_lang = *src_lang ? *src_lang : off_written_language(p, st->a, st->b); /* "the German text" */
  if (!*src_lang && p->held_lang) {
    unsigned other = (BATON__T_IMAGE | BATON__T_AUDIO) & ~p->held_types;
    bool held = strcmp(p->held_lang, dl) && !(*tgt && !strcmp(p->held_lang, *tgt)) &&
                !(off_own_types(p, st->a, st->b) & other);
    for (size_t k = 0; held && k < p->g->n; k++)
      held = !off_is_role(p, off_cue_index(p, p->made[k]), R_TRANSLATE) &&
             !(p->made[k]->inputs & other);
    *src_lang = held ? p->held_lang : NULL;
  }
  return 0;
}

/* Emits a recognised step's tasks, one per own resource of its primary type ("detect objects in
 * a.jpg and b.jpg"), with what rides along: 0; 1 if nothing to work on (err says); -1 on error. */
static int emit_step(planner *p, const step *st) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), text = ptype == BATON__T_TEXT;
  const char *tgt, *src_lang, *lang;
  if (step_languages(p, st, &tgt, &src_lang) != 0)
    return -1;
  bool extra = rides_translation(p, st, tgt, src_lang);
  int r = off_own_res(p, st->a, st->b, ptype), rd = r >= 0 ? p->res[r].reader - 1 : -1, q;
  int last = p->g->n ? off_cue_index(p, p->made[p->g->n - 1]) : -1; /* its task */
  bool again = off_is_role(p, st->task, R_ASK_TEXT) && /* "the question is 'Q?' ... answer it" */
               (!off_own_texts(p, st, NULL, &q) || p->res[q].used) &&
               (off_is_role(p, last, R_READ_DOCUMENT) || off_is_role(p, last, R_ASK_PICTURE));
  source read = {-1, again ? (int)p->g->n - 1 : rd, NULL}; /* "summarize the | text in x.png" */
  if (again || (rd >= 0 && p->made[rd] == spec && spec->inputs == ptype)) /* read for it already */
    return st->speak && off_emit_task(p, st, p->role[R_SPEAK], &read, -1, NULL, NULL) < 0 ? -1 : 0;
  size_t own[OFF_MAX_RES]; /* files' (or quotes') tokens: one task each */
  bool joining = off_joins(p, st), all;
  int made = off_nearest_producer(p, ptype); /* "clean a.wav, then combine them": onto what */
  size_t n_own = own_inputs(p, st, joining, made, own, &all); /* it made */
  /* "combine the cleaned audio with b.wav": onto what an earlier step made, else ("mix it with
   * b.wav", "now add b.wav" after a turn that made a recording) onto the newest earlier turn's */
  source onto = {-1, joining && (all || n_own < 2) ? made : -1, NULL};
  size_t together = joining && text && !n_own && made >= 0 ? made_together(p, st, ptype) : 1;
  together = together > OFF_MAX_JOINED ? 1 : together; /* "them together": the like ones, all */
  onto.ref -= (int)together - 1;
  bool it = joining && n_own == 1 && made < 0 && (off_has_word(p, st->a, st->b, W_REFERENCE) ||
                                                  off_has_word(p, st->a, st->b, W_ADDING));
  for (size_t i = 0; it && i < p->n_res; i++)
    onto.res = p->res[i].turn && (p->res[i].type & ptype) ? (int)i : onto.res;
  bool ahead = it && onto.res >= 0 && named_ahead(p, st, own[0]); /* "put m.wav before it" */
  int oldest = joining && !n_own && made < 0 ? turns_joined(p, st, ptype) : -1; /* "them" */
  if (oldest >= 0)
    onto.res = oldest, p->res[oldest].used = true;
  bool on = onto.ref >= 0 || onto.res >= 0, joins = joining && (n_own > 1 || on);
  size_t copies = joins ? 1 : n_own > 1 ? n_own : made_together(p, st, ptype);
  int first = (int)(p->g->n - copies), words = heard(p, st, NULL), /* "them": no own files */
      prev_text = words >= 0 ? words : off_named_producer(p, st, BATON__T_TEXT); /* each copy's */
  bool turn = n_own < 2 && copies > 1 && copies > p->g->n; /* "read them": the last turn's, each */
  for (size_t c = 0; words > -2 && c < copies; c++) {
    source in = ahead ? (source){p->tok[own[0]].res, -1, NULL}
                : on  ? onto : (source){-1, first + (int)c, NULL}, out = {-1, -1, NULL};
    int fresh = (int)p->g->n, left = turn ? take_left(p, st, ptype, &in) : 0; /* in order */
    if (left < 0)
      return -1;
    if (!left && !on && (n_own > 1 || copies == 1 || turn) &&
        (q = off_choose_input(p, st, n_own > 1 ? (int)own[c] : -1, prev_text, &in)) != 0)
      return q;
    int asked = text ? heard(p, st, &in) : prev_text; /* a text's: its question, if heard */
    if (asked < -1 || (q = off_cut_part(p, st, &in, false)) < -1)
      return -1;
    in = q >= 0 ? (source){-1, q, NULL} : in;
    off_asked_untranslated(p, st, tgt, &in);
    bool into = extra && (!(lang = off_fed_language(p, &in)) || strcmp(lang, tgt)); /* not in it */
    if (into && text && !(spec->outputs & BATON__T_TEXT)) { /* into speech, a drawing: first */
      out.ref = off_emit_task(p, st, p->role[R_TRANSLATE], &in, -1, tgt, src_lang);
      free(in.literal);
      if ((in = out).ref < 0)
        return -1;
    }
    out.ref = off_is_role(p, st->task, R_TRANSLATE)
                  ? off_emit_translation(p, st, &in, tgt, src_lang)
              : (q = done_already(p, st, &in, fresh)) >= 0
                  ? q
                  : off_emit_task(p, st, asked_of(p, st, st->task, &in), &in, asked, tgt, src_lang);
    free(in.literal);
    if (ahead && out.ref >= 0 && join_input(p, &p->g->tasks[out.ref], 2, onto.res) != 0)
      return -1;
    if (oldest >= 0 && out.ref >= 0 && join_turns(p, &p->g->tasks[out.ref], oldest, ptype) != 0)
      return -1;
    if (together > 1 && out.ref >= 0 && join_made(&p->g->tasks[out.ref], onto.ref, made) != 0)
      return -1;
    out.ref = joins && !ahead ? join_rest(p, st, out.ref, own + !on, n_own - !on) : out.ref;
    if (out.ref < 0 || (into && (spec->outputs & BATON__T_TEXT) && /* "summarize it in Spanish" */
                        (out.ref = off_emit_translation(p, st, &out, tgt, src_lang)) < 0) ||
        (st->speak &&
         (out.ref = off_emit_task(p, st, p->role[R_SPEAK], &out, -1, NULL, NULL)) < 0) ||
        (out.ref = polish_speech(p, st, out.ref)) < 0)
      return out.ref == -2 ? 1 : -1; /* -2: nothing to compare it with, the step left out */
  }
  return words > -2 && heard_texts(p, st, tgt) == 0 ? speak_texts(p, st, ptype) : -1;
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

/* Does a task of the plan so far read the file `name` (saved over, the user's file is lost)? */
static bool read_by(const planner *p, const char *name) {
  for (size_t k = 0; k < p->g->n; k++)
    for (size_t a = 0; a < p->g->tasks[k].n_args; a++)
      if (p->g->tasks[k].args[a].ref < 0 && p->g->tasks[k].args[a].value &&
          strcmp(p->g->tasks[k].args[a].name, BATON__ARG_SAVE_AS) != 0 &&
          !strcmp(p->g->tasks[k].args[a].value, name))
        return true;
  return false;
}

/* The file st makes ("as a.wav", "save it as s.txt", "into b.json") names the last task since task
 * `first` making its type: the summary, not the text it read; the translation riding along. As
 * many files as tasks of that one's kind name one each, in order ("translate a.txt into Spanish and
 * French and save them as es.txt and fr.txt"). 0, or -1 out of memory (err set). */
static int name_output(planner *p, const step *st, size_t first) {
  int files[OFF_MAX_TASKS];
  size_t nf = saved_files(p, st, files, OFF_MAX_TASKS), makers[OFF_MAX_TASKS], n = 0, same = 0;
  unsigned type = nf ? p->res[files[0]].type : 0;
  type = type & (BATON__T_JSON | BATON__T_TEXT) ? BATON__T_TEXT | BATON__T_JSON /* a score */
                                                 : type;
  for (size_t k = first; type && k < p->g->n; k++)
    if (p->made[k]->outputs & type)
      makers[n++] = k;
  for (size_t j = 0; j < n; j++)
    same += p->made[makers[j]] == p->made[makers[n - 1]];
  bool each = nf > 1 && same == nf; /* else the first file names the last task */
  for (size_t j = 0, f = 0; j < n; j++) {
    resource *r = &p->res[files[each ? f : 0]];
    if ((each ? p->made[makers[j]] != p->made[makers[n - 1]] : j + 1 < n) || r->claimed ||
        read_by(p, r->value))
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

/* "Make a poster of x.jpg. First, ... Then, blur the background": does next change what goal st
 * takes (not "Then, caption the poster"; after "I want an image of X", "Then, segment it")? */
static bool changes_taken(const planner *p, const step *st, const step *next) {
  unsigned t = off_primary_type(p->cues[st->task].spec);
  return (p->cues[next->task].spec->outputs & t) && off_primary_type(p->cues[next->task].spec) == t;
}

/* "Make a poster of x.jpg. | First, brighten it": does next spell out the goals st[0..g] said
 * before it? Not one naming a file their sentence does not while each has what it works on ("Draw
 * a cat. First, summarize notes.txt": two requests; not "I want a French summary. First, ..."). */
static bool spells_out(const planner *p, const step *st, size_t g, const step *next) {
  bool foreign = false, own = true;
  size_t e = st[g].b; /* the goals' sentence: [st->a, e) */
  while (e < p->n_tok && !off_ends_sentence(p, e))
    e++;
  for (size_t i = next->a; i < next->b; i++) {
    bool named = p->tok[i].kind != TK_RES;
    for (size_t j = st->a; !named && j < e; j++)
      named = p->tok[j].kind == TK_RES &&
              !strcmp(p->res[p->tok[j].res].value, p->res[p->tok[i].res].value);
    foreign |= !named;
  }
  for (size_t k = 0; k <= g; k++)
    own &= off_own_types(p, st[k].a, st[k].b) || off_makes_own(p, &st[k]);
  return !foreign || !own;
}

/* "Before you summarize notes.txt, translate it", "summarize notes.txt once you have translated
 * it", "read it aloud after you translate 'hola'": the next step, in the same sentence, runs first
 * (not "... After editing, classify it", an "after" opening its sentence, nor "... after the
 * edit", one naming no step); so do all the next steps of that sentence ("after converting it to
 * speech and back to text"). The words that say so ("you", "once you have") leave st. A goal
 * before "First, ..." runs after the steps of that sentence and of any after it opening with
 * "then" changing what it takes ("Make a poster of x.jpg. | First, brighten it. Then, crop
 * it."). */
/* "caption x.jpg -> audio -> French": after an arrow's step speaking a text, one of the arrow and
 * a language only names the language it is spoken in: that translation runs first. */
static bool spoken_in(const planner *p, const step *st, const step *next) {
  size_t e = off_words_end(p, next->a, next->b);
  return off_is_role(p, st->task, R_SPEAK) && off_is_role(p, next->task, R_TRANSLATE) &&
         off_arrow_word(p, st->a) && off_arrow_word(p, next->a) && st->b == next->a &&
         next->a + 2 == e && off_language_at(p, next->a + 1);
}

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
  for (size_t i = st->b, ends = 0; second && i < next->a; i++) /* no sentence end but a goal's */
    if (off_punct(p, i, ".!?;")) {
      size_t w = i + 1;
      while (w < p->n_tok && p->tok[w].kind == TK_PUNCT)
        w++;
      second = st->goal && st->later && w < p->n_tok &&
               (off_is(p, w, W_OPENING) || (ends && off_is(p, w, W_HARD_BREAK) &&
                                            !off_is(p, w, W_NEW_TOPIC) &&
                                            changes_taken(p, st, next)));
      i = w - 1, ends++;
    }
  if (second && !st->later) /* "before you | summarize" */
    st->b = at, st->a += st->a + 1 < st->b && off_is(p, st->a, W_YOU), st->later = true;
  return second;
}

/* "Make an audio clip | that describes the objects", "answer 'Q?' using the | text in x.png", "a
 * summary of the | objects detected in x.jpg", "summarize the | Spanish translation of a.txt": does
 * the relative tail next feed st? */
static bool tail_feeds(const planner *p, const step *st, const step *next) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  size_t v =
      next->a - (next->a > 1 && !p->tok[next->a - 1].det); /* "translate the German |" */
  bool version = v > 0 && p->tok[v - 1].det && off_version_at(p, v);
  return next->relative && (p->cues[next->task].spec->outputs & BATON__T_TEXT) &&
         off_primary_type(spec) == BATON__T_TEXT &&
         (!(spec->outputs & BATON__T_TEXT) || off_takes_two_texts(p, spec) || version ||
          off_made_of(p, next->a, false) || off_participle_thing(p, next->a));
}

/* st's words quoted into q (at most 80 bytes of them): "\"summarize it\"". */
static void quote_words(const planner *p, const step *st, char *q, size_t n) {
  char *words = off_span_text(p, st->a, st->b);
  int cut = words ? (int)baton__utf8_cut(words, strlen(words), 80) : 0;
  baton__fmt(q, n, "\"%.*s\"", cut, words ? words : "");
  free(words);
}

void off_leave_out(planner *p, const step *st, const char *why) {
  char q[96];
  if (p->left_out[0])
    return;
  quote_words(p, st, q, sizeof q);
  baton__fmt(p->left_out, sizeof p->left_out, "%s: %s", q, why);
}

/* Notes st left out as it works on what the step gone, left out before, would have made ("read it
 * aloud" after "summarize it"), behind what was noted before, where it fits: "...; left out
 * \"read it aloud\": it works on what \"summarize it\" would have made". why gets the reason. */
static void leave_out_after(planner *p, const step *st, const step *gone, char *why, size_t n) {
  char q[96], g[96];
  size_t at = strlen(p->left_out);
  quote_words(p, st, q, sizeof q), quote_words(p, gone, g, sizeof g);
  baton__fmt(why, n, "it works on what %s would have made", g);
  if (at + strlen(q) + strlen(why) + 16 < sizeof p->left_out)
    baton__fmt(p->left_out + at, sizeof p->left_out - at, "%s%s: %s", at ? "; left out " : "", q,
               why);
}

int off_link(planner *p) {
  char need[256] = "";
  for (size_t s = 0; s < p->n_steps; s++) {
    /* a tail feeding its head runs first (describe, then make the clip from that; read, then
     * answer; a chain of them, the last first: "a video | summarizing the | objects detected");
     * "summarize it once you have | translated it": translate first; the goals of a
     * sentence before "First, ..." all after the steps spelling them out, in their order, or,
     * naming their own files, after one that does not, unfed ("summarize a.txt, but first summarize
     * b.txt") */
    step *st = &p->steps[s];
    size_t n = 0; /* the tails after st, each feeding the step before it */
    while (s + n + 1 < p->n_steps && tail_feeds(p, &st[n], &st[n + 1]))
      n++;
    for (size_t i = 0; i < n - i; i++) { /* reversed: the last tail first, each head fed */
      step head = st[i];
      st[i] = st[n - i], st[n - i] = head;
    }
    for (size_t i = 1; i <= n; i++)
      st[i].fed = true;
    size_t g = 0; /* the goals after st ("I want X and Y. | First, ...") */
    while (st->goal && st->later && s + g + 1 < p->n_steps && st[g + 1].goal && st[g + 1].later)
      g++;
    bool apart = st->goal && s + g + 1 < p->n_steps && !spells_out(p, st, g, &st[g + 1]);
    /* "summarize a.txt, but first summarize b.txt, then read both aloud": reading what a step
     * moved before st made and what st makes, after st */
    bool both = !n && s > 0 && s + g + 1 < p->n_steps && st[-1].a > st->a &&
                off_has_word(p, st[g + 1].a, st[g + 1].b, W_PLURAL);
    if (!n && !both && s + g + 1 < p->n_steps && (!apart || off_own_types(p, st->a, st[g].b)) &&
        (spoken_in(p, &st[g], &st[g + 1]) || runs_second(p, &st[g], &st[g + 1]))) {
      step head = st[g + 1];
      memmove(st + 1, st, (g + 1) * sizeof *st);
      *st = head, st[1].fed = !apart;
    }
    size_t first = p->g->n;
    int rc = emit_step(p, st);
    if (rc < 0 || (rc == 0 && (off_copies(p, st, first) != 0 || name_output(p, st, first) != 0 ||
                               off_copy_names(p, first) != 0)))
      return -1;
    for (size_t k = first; rc > 0 && k < p->g->n; k++) /* and the readers made for it */
      baton__task_release(&p->g->tasks[k]);
    for (size_t r = 0; rc > 0 && r < p->n_res; r++)
      p->res[r].reader = p->res[r].reader > (int)first ? 0 : p->res[r].reader;
    p->g->n = rc > 0 ? first : p->g->n;
    if (rc == 2) /* ... and so is one working on what that would have made */
      leave_out_after(p, st, &p->steps[p->gone - 1], p->err, p->errlen);
    if (rc > 0 && !need[0]) { /* a step that cannot get its input is dropped; remember why */
      baton__fmt(need, sizeof need, "%.*s", (int)baton__utf8_cut(p->err, strlen(p->err),
                                                                  sizeof need - 1), p->err);
      off_leave_out(p, st, need);
    }
    st->gone = rc > 0;
    p->err[0] = '\0';
  }
  baton__graph_merge_same(p->g); /* one reading of x.png serves every step that reads it */
  return p->g->n ? 0 : (baton__fmt(p->err, p->errlen, "%s", need[0] ? need : OFF_NO_TASK), -1);
}
