/* merge.c — recognised steps tidied: neighbours on one task merged, goals spelt out dropped. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: once off_recognise() has given each step its task, off_drop_goals() drops a goal
 * ("make a video | by drawing ...") where a step spelling it out asks for its task again, and
 * off_merge_steps() keeps the recognised steps only, a step joined to the one before on the same
 * task unless it asks for it anew (off_task_asked_anew), works on what that made, or names other
 * languages. The predicates here (off_works_on_made, off_another_question, off_spelt_out...) also
 * guide recognise.c while it recognises. They change p->steps only. */

bool off_other_languages(const planner *p, const step *x, const step *y) {
  const char *t1, *s1, *t2, *s2;
  off_find_languages(p, x->a, x->b, &t1, &s1);
  off_find_languages(p, y->a, y->b, &t2, &s2);
  return t1 && t2 && strcmp(t1, t2) != 0;
}

/* Does the step transform the picture: image-to-image, or drawing beside a picture the user has
 * ("visualize what the car would look like if it were blue"), unless it is "a new image"? */
static bool transforms(const planner *p, const step *st) {
  bool draws = off_is_role(p, st->task, R_DRAW) && !off_has_word(p, st->a, st->b, W_FRESH);
  return off_is_role(p, st->task, R_TRANSFORM) || (draws && p->pictures);
}

/* Does st make a new picture a drawn thing names ("make a poster from x.jpg", "a logo of it"; not
 * "it's for a poster")? */
static bool makes_drawn(const planner *p, const step *st) {
  for (size_t i = st->a + 1; i < st->b; i++)
    if (off_is(p, i, W_DRAWN) && off_is(p, i - 1, W_INDEFINITE) &&
        !(i >= 2 && off_is(p, i - 2, W_PREPOSITION)))
      return true;
  return false;
}

/* Two neighbouring steps, one transforming the picture and one editing it, describe one edit, not
 * "edit it, then restyle it" nor "brighten it, then make a poster of it" nor "make a poster from
 * x.jpg and crop it" (a new picture made first, then changed): returns the editing task (the
 * other if only it can run), or -1. */
static int edit_twin(const planner *p, const step *x, const step *y) {
  int a = x->task, b = y->task;
  if (makes_drawn(p, x) || (makes_drawn(p, y) && off_is_role(p, a, R_TRANSFORM)))
    return -1; /* (not "remove the sky from x.jpg and make a poster": one edit) */
  bool sentence = off_punct(p, x->b, ".!?;"), then = sentence || off_is(p, y->a - 1, W_HARD_BREAK);
  bool apart = then && off_is_role(p, a, R_TRANSFORM); /* (a drawing beside it: one edit) */
  for (size_t i = y->a; !then && i + 1 < y->b; i++) /* "enhance the edited image" */
    then = off_is(p, i, W_MADE_THING) && off_is(p, i + 1, W_PICTURE);
  int edit = transforms(p, x) && !apart && off_is_role(p, b, R_EDIT) ? b
             : transforms(p, y) && !then && off_is_role(p, a, R_EDIT) ? a : -1;
  int other = edit == a ? b : a;
  return edit >= 0 && !p->cues[edit].runnable && p->cues[other].runnable ? other : edit;
}

bool off_task_asked_anew(const planner *p, const step *st) {
  bool after = st->a >= 3 && off_punct(p, st->a - 1, ",") &&
               off_is(p, st->a - 2, W_DEMONSTRATIVE) && off_is(p, st->a - 3, W_ASIDE);
  const baton__taskspec *s = p->cues[st->task].spec;
  const taskcue *c = &p->cues[st->task];
  bool maker = st->a > 0 && st->a + 1 < st->b && off_is(p, st->a - 1, W_JOINER) &&
               s->inputs == BATON__T_TEXT && (s->outputs & (BATON__T_IMAGE | BATON__T_VIDEO));
  size_t k = st->a + 1; /* the picture word, past "more", "second": "2 more pictures of" */
  k += k + 1 < st->b && (off_is(p, k, W_FRESH) || off_is(p, k, W_MORE));
  bool more = (off_is(p, st->a, W_FRESH) || off_number_at(p, st->a) > 0 || k > st->a + 1) &&
              k + 1 < st->b && off_is(p, k + 1, W_PREPOSITION); /* "and 3 pictures of a dog" */
  bool another = maker && (off_is(p, st->a, W_INDEFINITE) || more) &&
                 (off_is(p, k, W_PICTURE) || off_is(p, k, W_MOVING));
  /* "draw a cat and draw a dog": right after the drawing, a phrase of it and something new ("a"),
   * nothing named before ("the", "it": not "... and draw a hat on the cat") */
  bool fresh = maker && st > p->steps && st[-1].task == st->task &&
               off_has_word(p, st->a, st->b, W_INDEFINITE) &&
               !off_has_word(p, st->a, st->b, W_DEFINITE);
  for (const phrase *ph = c->phrases; fresh && !another && ph < c->phrases + c->n_phrases; ph++)
    another = off_phrase_at(p, ph, st->a, st->b) > 0;
  bool cue = off_keyword_score(p, c, st->a, st->a + 1) > 0;
  size_t at = st->a > 1 && off_punct(p, st->a - 1, ",") ? st->a - 1 : st->a; /* "Then, |" */
  return another || ((after || (at > 0 && off_is(p, at - 1, W_HARD_BREAK))) && cue);
}

bool off_names_made_medium(const planner *p, size_t i, size_t b) {
  if (!p->tok[i].skip || off_is(p, i, W_RECORDING))
    return false;
  for (size_t k = i; k < b && k < i + 3 && p->tok[k].kind == TK_WORD; k++)
    if (off_is(p, k, W_REFERENCE) || off_is(p, k, W_PICTURE) || off_is(p, k, W_RECORDING) ||
        off_is(p, k, W_JOINING))
      return true;
  return false;
}

/* Does task t restyle, edit or change a picture or recording as asked? */
static bool changes(const planner *p, int t) {
  return off_is_role(p, t, R_TRANSFORM) || off_is_role(p, t, R_EDIT) ||
         off_is_role(p, t, R_CHANGE_SOUND);
}

bool off_works_on_made(const planner *p, const step *st) {
  bool change = changes(p, st->task);
  unsigned media = BATON__T_IMAGE | BATON__T_AUDIO;
  bool anew = change && off_own_res(p, st->a, st->b, media) < 0 && st->a > 1 &&
              (off_punct(p, st->a - 1, ".!?;") || off_is(p, st->a - 1, W_HARD_BREAK) ||
               (off_punct(p, st->a - 1, ",") && off_is(p, st->a - 2, W_HARD_BREAK)));
  for (size_t i = st->a; anew && i < st->b; i++)
    if (off_names_made_medium(p, i, st->b))
      return off_keyword_score(p, &p->cues[st->task], st->a, i) > 0;
  return false;
}

bool off_another_question(const planner *p, const step *st, const step *l) {
  return l && st->task >= 0 && off_answers(p, st->task) && off_answers(p, l->task) &&
         off_is_question(p, st->a, st->b) && off_is_question(p, l->a, l->b);
}

bool off_spelt_out(const planner *p, const step *g, const step *st) {
  size_t ends = 0;
  for (size_t i = g->b; i < st->a && ends < 2; i++)
    ends += off_ends_sentence(p, i);
  return ends == 2;
}

/* "Make a poster of x.jpg. First, brighten it. | Then save it as p.png": the goal before "First,
 * ..." among the w steps kept that runs last (link.c: after the steps of that sentence and those
 * changing a picture or recording after it), when s is past that sentence; else NULL. */
static step *last_goal(planner *p, size_t w, const step *s) {
  step *g = NULL;
  for (step *e = p->steps; e < p->steps + w; e++)
    if (e->goal && e->later)
      g = e;
    else if (g && off_spelt_out(p, g, e) && !changes(p, e->task))
      g = NULL; /* "... Then, caption the poster": it runs last */
  return g && off_spelt_out(p, g, s) ? g : NULL;
}

void off_merge_steps(planner *p) {
  size_t w = 0;
  for (size_t r = 0; r < p->n_steps; r++) {
    step *s = &p->steps[r], *l = w ? &p->steps[w - 1] : NULL; /* l: the last recognised step kept */
    /* "..., then save the result as b.txt": a step only naming a file to save is the output of l,
     * or of a goal that runs after it */
    step *o = s->task < 0 ? last_goal(p, w, s) : NULL;
    o = o ? o : l;
    for (size_t i = s->a; s->task < 0 && o && !o->output && i < s->b; i++)
      if (p->tok[i].kind == TK_RES && off_saved_name(p, i, s->a))
        o->output = p->tok[i].res + 1, p->res[p->tok[i].res].used = true;
    if (s->task < 0)
      continue; /* unrecognised steps only carried resources */
    unsigned own = off_own_types(p, s->a, s->b); /* a drawing's quote after an edit: how to edit */
    int twin = l && (!own || (own == BATON__T_TEXT && off_is_role(p, s->task, R_DRAW) &&
                              off_is_role(p, l->task, R_EDIT))) ? edit_twin(p, l, s) : -1;
    unsigned in = p->cues[s->task].spec->inputs & ~own; /* what it lacks */
    bool apart = l && ((l->output && s->output) || /* "... as b.wav, then ... as c.wav": two */
                       l->goal != s->goal || /* "make a poster of x.jpg, but first brighten it" */
                       off_another_question(p, s, l) || /* "Q1? Q2?" */
                       off_joins(p, s) || /* "clean a.wav, then join them" */
                       off_task_asked_anew(p, s) || off_works_on_made(p, s));
    if (!apart && (twin >= 0 || (l && l->task == s->task && !off_other_languages(p, l, s) &&
                                 !(off_own_types(p, l->a, l->b) & ~in)))) {
      l->task = twin >= 0 ? twin : l->task, l->b = s->b;
      l->speak |= s->speak; /* what the second says of the result: "read it aloud", "save it as" */
      l->output = l->output ? l->output : s->output;
    } else
      p->steps[w++] = *s;
  }
  p->n_steps = w;
}

/* The language goal g names ("I want a French summary ..."), if any, to step e doing it. */
static void goal_language(const planner *p, const step *g, step *e) {
  const char *lang, *from;
  off_find_languages(p, g->a, g->b, &lang, &from);
  e->goal_lang = lang ? lang : e->goal_lang; /* (a second goal naming none keeps the first's) */
}

/* "Summarize a.txt, but first summarize b.txt": does e name another input of goal g's type than
 * the one g names (another request, not g's task asked again)? */
static bool other_input(const planner *p, const step *g, const step *e) {
  unsigned t = off_primary_type(p->cues[g->task].spec);
  int mine = off_own_res(p, g->a, g->b, t), its = mine >= 0 ? off_own_res(p, e->a, e->b, t) : -1;
  return its >= 0 && strcmp(p->res[mine].value, p->res[its].value) != 0;
}

void off_drop_goals(planner *p) {
  for (step *g = p->steps; g < p->steps + p->n_steps; g++) {
    bool by = off_done_by(p, g->b); /* (not "make a poster of x.jpg. First, brighten it": two) */
    for (step *e = g + 1; g->goal && g->task >= 0 && e < p->steps + p->n_steps; e++)
      if (!e->goal && !e->context && !other_input(p, g, e) &&
          (e->task == g->task || (by && changes(p, g->task) && changes(p, e->task) &&
           p->cues[e->task].spec->outputs == p->cues[g->task].spec->outputs)))
        g->task = -1, goal_language(p, g, e);
    g->later |= g->goal && g->task >= 0 && /* "a video by | drawing", "X. First, ...": last */
                !(by && (p->cues[g->task].spec->outputs & BATON__T_TEXT));
  }
}
