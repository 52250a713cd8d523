/* segment.c — tokens to steps: clause boundaries, and which clauses only set the scene. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_split_steps() takes p->tok and gives p->steps: token
 * ranges split at sentence ends and hard breaks ("then", "finally"), and at
 * ',' and "and" only when what follows names a task or starts a clause of
 * its own; first-person statements that ask for nothing are marked context
 * (they set the scene: their resources count, their words name no task).
 * It reads the cues (off_has_cue) but chooses no task.
 */

/* Types of earlier turns' resources the request names none of its own of. */
unsigned off_earlier_types(const planner *p) {
  unsigned earlier = 0, own = 0;
  for (size_t i = 0; i < p->n_res; i++)
    *((p->res[i].turn > 0) ? &earlier : &own) |= p->res[i].type;
  return earlier & ~own;
}

/* Marks "the summary", "the translated text"... as references to earlier
 * output so they do not read as cues for a new task; so is "the picture"
 * when only an earlier turn has one. */
void off_mark_references(planner *p, size_t a, size_t b) {
  unsigned told = off_earlier_types(p);
  for (size_t i = a + 1; i < b; i++) {
    bool media = ((told & BATON__T_IMAGE) && off_is(p, i, W_PICTURE)) ||
                 ((told & BATON__T_AUDIO) && off_is(p, i, W_RECORDING));
    if (!media && !off_is(p, i, W_MADE_THING))
      continue;
    if (off_is(p, i - 1, W_DEFINITE))
      p->tok[i].skip = true;
    /* "the classification result", "the detected objects": one word between */
    else if (i >= a + 2 && p->tok[i - 1].kind == TK_WORD &&
             off_is(p, i - 2, W_DEFINITE))
      p->tok[i].skip = p->tok[i - 1].skip = true;
  }
}

void off_clear_references(planner *p, size_t a, size_t b) {
  for (size_t i = a; i < b; i++)
    p->tok[i].skip = false;
}

/* A first-person subject ("I", "we've") starting a clause of its own. */
static bool is_subject(const planner *p, size_t i) { return off_is(p, i, W_SUBJECT); }

/* The subject of a scene-setting statement: a first-person one, or "my
 * ...", "our ...", "there is ...". */
static bool scene_subject(const planner *p, size_t i) {
  return is_subject(p, i) || off_is(p, i, W_SCENE_SUBJECT);
}

/* "I have a photo 'x.jpg' of my kitchen", "I'm making a chatbot": a
 * statement in the first person that asks for nothing sets the scene; its
 * resources count, its words are no task. */
static bool is_context_clause(const planner *p, size_t a, size_t b) {
  size_t i = a;
  while (i < b && p->tok[i].kind != TK_WORD)
    i++;
  /* "Let's consider that I have ...", "Let us say we have ...": a lead-in,
   * not a request */
  size_t lead = i;
  if (lead + 1 < b && off_is(p, lead, W_LET) && off_is(p, lead + 1, W_LETS))
    lead++;
  if (lead + 1 < b && off_is(p, lead, W_LETS) && off_is(p, lead + 1, W_SUPPOSING)) {
    i = lead + 2;
    if (i < b && off_is(p, i, W_DEMONSTRATIVE))
      i++;
    a = i; /* the lead-in's "let's" asks for nothing */
  }
  /* "While browsing, I found ...": skip the subordinate clause */
  if (i < b && off_is(p, i, W_ASIDE)) {
    size_t k = i;
    while (k < b && !(p->tok[k].kind == TK_PUNCT && p->tok[k].stem[0] == ','))
      k++;
    if (k < b)
      i = k + 1;
  }
  /* "You know, I have ...": a filler */
  if (i + 1 < b && off_is(p, i, W_YOU) && off_is(p, i + 1, W_FILLER))
    i += 2;
  while (i < b && p->tok[i].kind != TK_WORD)
    i++;
  /* "Imagine we have ...", "Recently, I took ...": the lead-in asks nothing */
  while (i + 1 < b && off_is(p, i, W_LEAD_IN) && !scene_subject(p, i)) {
    i++;
    while (i < b && p->tok[i].kind != TK_WORD)
      i++;
  }
  if (i >= b || !scene_subject(p, i))
    return false;
  return !off_has_word(p, a, b, W_ASKING);
}

static bool is_hard_word(const planner *p, size_t i) {
  const token *t = &p->tok[i];
  if (t->kind != TK_WORD)
    return false;
  if (off_is(p, i, W_HARD_BREAK))
    return true;
  bool after_break = i == 0 || p->tok[i - 1].kind == TK_PUNCT || off_is(p, i - 1, W_JOINER);
  if (off_is(p, i, W_NEXT) && after_break)
    return true;
  return off_is(p, i, W_AFTER) && i + 1 < p->n_tok && off_is(p, i + 1, W_DEMONSTRATIVE);
}

bool off_is_hard_punct(const token *t) {
  return t->kind == TK_PUNCT && strchr(".!?;", t->stem[0]) != NULL;
}

static bool is_soft(const planner *p, size_t i) {
  return (p->tok[i].kind == TK_PUNCT && p->tok[i].stem[0] == ',') || off_is(p, i, W_JOINER);
}

static int add_step(planner *p, size_t a, size_t b, bool context) {
  /* Trim boundary words at either end. */
  while (a < b && (is_soft(p, a) || is_hard_word(p, a) || p->tok[a].kind == TK_PUNCT))
    a += off_is(p, a, W_AFTER) ? 2 : 1;
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
  while (k < e && (is_soft(p, k) || p->tok[k].kind == TK_PUNCT))
    k++;
  return k < e && is_subject(p, k);
}

/* Whether the piece [a, b) of a sentence only sets the scene: a piece with
 * a first-person subject of its own is judged alone, a condition split off
 * before the rest of its sentence (not `last`) only sets the scene, other
 * pieces go with their sentence (`sentence`). */
static bool piece_context(planner *p, size_t a, size_t b, bool sentence, bool last) {
  size_t k = a;
  while (k < b && (is_soft(p, k) || p->tok[k].kind == TK_PUNCT))
    k++;
  if (k < b && is_subject(p, k))
    return is_context_clause(p, k, b);
  /* "Once we get an answer, | could we ...": a condition split off the
   * clause that asks sets the scene, unless it names an action of its own
   * ("After editing the table, | I'd like ..."); its words that refer to
   * a result ("an answer", "the summary") name none */
  if (!last && k < b && off_is(p, k, W_CONDITION)) {
    bool was[OFF_MAX_TOKENS];
    for (size_t i = k; i < b; i++) {
      was[i] = p->tok[i].skip;
      if (off_is(p, i, W_MADE_THING))
        p->tok[i].skip = true;
    }
    bool action = off_has_cue(p, k, b);
    for (size_t i = k; i < b; i++)
      p->tok[i].skip = was[i];
    return !action;
  }
  return sentence;
}

int off_split_steps(planner *p) {
  size_t seg = 0;
  for (size_t i = 0; i <= p->n_tok; i++) {
    bool end = i == p->n_tok || off_is_hard_punct(&p->tok[i]) || is_hard_word(p, i);
    if (!end)
      continue;
    /* Within [seg, i): soft boundaries split when what follows names a task
     * or starts a clause of its own ("..., and I'm curious about ..."). A
     * piece that is a first-person statement asking for nothing only sets
     * the scene ("I have a photo x.jpg of a table | and I wonder ..."). */
    bool context = is_context_clause(p, seg, i);
    size_t from = seg;
    for (size_t k = seg; k < i; k++) {
      if (!is_soft(p, k) || k == from)
        continue;
      size_t next = k + 1;
      while (next < i && !is_soft(p, next))
        next++;
      if (off_has_cue(p, k + 1, next) || starts_clause(p, k + 1, i)) {
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

