/* thing.c — a thing in a file that a step asks of rather than the file: "how big is the dog in
 * photo.jpg?", "how long is the noise in talk.wav and remove it", "and the objects?" after a
 * file's facts. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* "How big is the dog in photo.jpg?", "how long is the pause in talk.wav?": is st's task one that
 * tells a file's facts, asked of a thing in the file rather than of the file ("how big is
 * photo.jpg", "how long is the song talk.wav", "the sampling rate of the mp3 talk.wav")? After
 * its cue, a word that names none of the media, then a preposition, before the file or "it",
 * says so. 1 + the token the thing starts at ("the noise in talk.wav"), or 0. */
size_t off_asks_of_a_thing(const planner *p, const step *st) {
  if (!off_tells_facts(p, st->task))
    return 0;
  const taskcue *c = &p->cues[st->task];
  size_t e = 0, len = 0, from = 0;
  for (size_t i = st->a; i < st->b && !len; i++)
    for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases && !len; ph++)
      e = (len = off_phrase_at(p, ph, i, st->b)) ? i + len : e;
  bool thing = false;
  for (size_t i = e; len && i < st->b && p->tok[i].kind != TK_RES && !off_is(p, i, W_REFERENCE);
       i++) {
    if (thing && off_is(p, i, W_PREPOSITION))
      return from;
    from = from || off_is(p, i, W_PREPOSITION) || off_is(p, i, W_IS_ARE) ? from : i + 1;
    thing |= p->tok[i].kind == TK_WORD && !p->tok[i].det && !off_is(p, i, W_PREPOSITION) &&
             !off_is(p, i, W_IS_ARE) && !off_is(p, i, W_PICTURE) && !off_is(p, i, W_RECORDING) &&
             !off_is(p, i, W_MOVING);
  }
  return 0;
}

/* "How long is the noise in talk.wav and remove it": a step naming no task that points back at
 * the thing the last step asked the facts of (l->thing) is asked of that thing too: its words
 * start there, the thing's then ("the noise in talk.wav and remove it"). True if it names a task.
 */
bool off_works_on_thing(const planner *p, step *st, const step *l, unsigned avail) {
  if (st->task >= 0 || !l || !l->thing || !off_has_word(p, st->a, st->b, W_REFERENCE))
    return false;
  int t = off_best_task(p, l->thing - 1, st->b, avail, &st->score);
  return t >= 0 && (st->task = t, st->a = l->thing - 1, true);
}

/* "And the sample rate?" after "how long is talk.wav?": does the request add a thing to the last
 * request (off_request_thing) whose words name only a change of a medium, which no verb asks (not
 * "what about the colour of the car?": a question of its own)? Then it is added to that request,
 * as one naming no task is when nothing else is planned ("and the dates?"). */
bool off_adds_thing_only(const planner *p) {
  double sc;
  return off_request_thing(p) &&
         off_changes_medium(p, off_best_task(p, 0, p->n_tok, off_res_types(p, true), &sc));
}

/* How often the words of the request in [i,j), less those that join, point or ask ("and", "the",
 * "what about"), are in task t's cues; for a task telling a file's facts, a fact ("the width")
 * is one too. */
double off_thing_cues(const planner *p, size_t i, size_t j, int t) {
  static const off_class spare[] = {W_JOINER, W_PREPOSITION, W_WH,        W_RESUMING,
                                    W_IS_ARE, W_REFERENCE,   W_ASKING,    W_CONTENT_INTRO};
  double n = 0;
  for (bool facts = off_tells_facts(p, t); i < j; i++)
    n += p->tok[i].kind == TK_WORD && !p->tok[i].det &&
                 !off_is_any(p, i, spare, sizeof spare / sizeof *spare)
             ? off_word_cues(p, &p->cues[t], i) + (facts && off_is(p, i, W_FACT)) : 0;
  return n;
}

/* "And the objects?" after "how big is photo.jpg?", "how big is photo.jpg and the objects": a
 * thing ([i,j)) added after a file's facts (task `facts`) that no word of their task's cues names
 * (not "and the dpi?": one more fact) is asked of that file by the task taking its medium whose
 * cues name its words most often, one answering in text (a question changes nothing: not "and the
 * background?") that tells no facts nor changes the medium; or -1. */
static int thing_asker(const planner *p, int facts, size_t i, size_t j) {
  int best = -1;
  double most = 0, n;
  for (int t = 0; off_thing_cues(p, i, j, facts) <= 0 && t < (int)p->n_cues; t++)
    if ((p->cues[t].spec->inputs & p->cues[facts].spec->inputs) && !off_tells_facts(p, t) &&
        (p->cues[t].spec->outputs & BATON__T_TEXT) && !off_changes_medium(p, t) &&
        (n = off_thing_cues(p, i, j, t)) > most)
      most = n, best = t;
  return best;
}

/* The task of a thing the request adds to the last (off_request_thing) after a file's facts
 * (thing_asker), or -1. */
int off_thing_task(const planner *p) {
  const char *thing = off_request_thing(p);
  int facts = -1;
  for (const resource *r = p->res; thing && r < p->res + p->n_res; r++)
    facts = r->turn == p->last_turn && r->maker && off_tells_facts(p, r->maker - 1) ? r->maker - 1
                                                                                   : facts;
  size_t i = 0;
  while (facts >= 0 && i < p->n_tok && p->req + p->tok[i].start < thing)
    i++;
  return facts < 0 ? -1 : thing_asker(p, facts, i, p->n_tok);
}

/* "How long is talk.wav and the sample rate?": a step after the facts the last step asks, "the"
 * or "its" first, naming no file and no task but one changing a medium (which a verb would ask:
 * "sample rate" alone is no resampling), asks one more fact of that step; one naming a thing, no
 * fact ("how big is photo.jpg and the objects"), takes the task asking it (thing_asker). */
bool off_asks_more_facts(const planner *p, step *st, const step *l) {
  if (!l || !off_tells_facts(p, l->task) || !off_is(p, st->a, W_DEFINITE) ||
      off_own_types(p, st->a, st->b) || (st->task >= 0 && !off_changes_medium(p, st->task)))
    return false;
  int t = thing_asker(p, l->task, st->a, st->b);
  return t < 0 || (st->task = t, st->score = p->lx->w[K_ACCEPT], false);
}

/* "How big is photo.jpg and the objects": a step telling a file's facts that goes on with "and
 * the ..." naming no file and no fact (thing_asker) ends before it; the thing is a step of its own
 * (off_asks_more_facts then gives it its task). True if cut. */
bool off_cut_thing(planner *p, size_t s) {
  step *st = &p->steps[s];
  size_t k = st->a + 1;
  while (k + 2 < st->b && !(off_is(p, k, W_JOINER) && off_is(p, k + 1, W_DEFINITE)))
    k++;
  if (!off_tells_facts(p, st->task) || k + 2 >= st->b || p->n_steps >= OFF_MAX_STEPS ||
      off_own_types(p, k, st->b) || thing_asker(p, st->task, k + 1, st->b) < 0)
    return false;
  memmove(st + 2, st + 1, (p->n_steps++ - s - 1) * sizeof *st);
  st[1] = (step){.a = k + 1, .b = st->b, .task = -1, .goal = st->goal};
  return st->b = k, true;
}
