/* recognise.c — steps to tasks: each step's task, split, merged or dropped as the request reads. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_recognise() takes p->steps (from segment.c) and gives each step that asks for
 * something its task (p->steps[i].task >= 0), in order: what earlier steps make guides later ones
 * (not a goal's); a step naming two tasks is split (split.c), one naming none given what it does
 * with what it names (unnamed.c), one repeating an earlier task with nothing new is dropped (a
 * goal, where a step after it asks again), a task is rewritten as rewrite.c says, "aloud" beside a
 * text task speaks it too; a quoted question no step answers is asked; if nothing matched, the
 * clearest cue is taken; a text written from nothing but a picture a step made describes it. Then
 * it keeps the recognised steps only, neighbours on one task merged (merge.c). 0, or -1 (err
 * set) if none names a task. */

/* Does a task run before token a (a step's, an earlier turn's maker) have a cue in [i,j)? */
static bool made_before(const planner *p, size_t a, size_t i, size_t j) {
  for (const step *e = p->steps; e < p->steps + p->n_steps && e->b <= a; e++)
    if (e->task >= 0 && off_keyword_score(p, &p->cues[e->task], i, j) > 0)
      return true;
  for (const resource *r = p->res; r < p->res + p->n_res; r++)
    if (r->turn && r->maker && off_keyword_score(p, &p->cues[r->maker - 1], i, j) > 0)
      return true;
  return false;
}

/* Marks "the summary", "the classification result" (one word between) as earlier output: no cue;
 * not a thing a task's participle names that no task before made ("a question based on the
 * entities identified in the text": those entities are still to find). */
static void mark_references(planner *p, size_t a, size_t b) {
  for (size_t i = a + 1; i < b; i++)
    if (!off_is(p, i, W_MADE_THING) || (i + 1 < b && off_is(p, i + 1, W_CONTENT_INTRO)))
      continue; /* "the transcription of the audio" names what to make, not an earlier result */
    else if (off_is(p, i - 1, W_DEFINITE))
      p->tok[i].skip = true;
    else if (i >= a + 2 && p->tok[i - 1].kind == TK_WORD && off_is(p, i - 2, W_DEFINITE) &&
             !(off_participle_thing(p, i - 1) &&
               off_has_cue(p, i - 1, i + 1, p->lx->w[K_MIN_KEYWORD]) &&
               !made_before(p, a, i - 1, i + 1)))
      p->tok[i].skip = p->tok[i - 1].skip = true;
}

/* Does a task's cue phrase start at token i, at a question's frame ("what is the"), and run past
 * it ("what is the duration": the question a task answers, no frame)? */
static bool cue_past_frame(const planner *p, size_t i, size_t b) {
  for (const taskcue *c = p->cues; c < p->cues + p->n_cues; c++)
    for (const phrase *ph = c->phrases; ph < c->phrases + c->n_phrases; ph++)
      if (ph->n > 3 && off_phrase_at(p, ph, i, b) > 3)
        return true;
  return false;
}

/* Does step s ask for an earlier recognised step's task, naming no new resource (none a step before
 * took) nor another target language? Then it only says more about that task. */
static bool repeats_earlier_step(const planner *p, size_t s) {
  const step *st = &p->steps[s];
  bool taken = true; /* each resource of its type st names: by a step before */
  for (size_t i = st->a; taken && i < st->b; i++) {
    taken = off_res_at(p, i, off_primary_type(p->cues[st->task].spec)) < 0;
    for (size_t j = 0; j < st->a && !taken; j++)
      taken = p->tok[j].kind == TK_RES && p->res[p->tok[j].res].claimed &&
              strcmp(p->res[p->tok[j].res].value, p->res[p->tok[i].res].value) == 0;
  }
  for (size_t e = 0; taken && e < s; e++) /* (a goal is done where a step after it asks again) */
    if (p->steps[e].task == st->task && !p->steps[e].goal &&
        !off_other_languages(p, st, &p->steps[e]))
      return true; /* (a context step has no task) */
  return false;
}

/* Drops step st (its words go back to the step a split took them from); false: it names no task. */
static bool drop_step(step *st, bool same_task_only) {
  if (st->split_tail && st[-1].task >= 0 && (!same_task_only || st[-1].task == st->task))
    st[-1].b = st->b;
  return st->task = -1, false;
}

/* A visual question none here answers is asked of a detector ("is there a cat in x.jpg?", "... if
 * there are any"), else of its text; not of a made picture ("... tell me what colour they are"). */
static int runnable_asker(const planner *p, const step *st, unsigned own, unsigned produced) {
  bool there = false;
  for (size_t i = st->a + 1; i + 1 < st->b; i++)
    there = there || (off_is(p, i, W_EXISTENTIAL) && (off_is(p, i - 1, W_IS_ARE) ||
                      (off_is(p, i - 1, W_UNSURE) && off_is(p, i + 1, W_IS_ARE))));
  int ask = p->role[there && p->cues[p->role[R_DETECT]].runnable ? R_DETECT : R_ASK_TEXT];
  bool asks = off_is_role(p, st->task, R_ASK_PICTURE) || off_is_role(p, st->task, R_READ_DOCUMENT);
  return asks && !p->cues[st->task].runnable && p->cues[ask].runnable &&
                 ((own & BATON__T_IMAGE) || !(produced & BATON__T_IMAGE)) ? ask : st->task;
}

/* "Read the summary of x.txt aloud": a speaking step naming a text a task writes from text ("the
 * summary of") has that task, its text then spoken (settle_step); else its own task. */
static int spoken_thing(const planner *p, const step *st) {
  double sc;
  for (size_t i = st->a + 1; off_is_role(p, st->task, R_SPEAK) && i + 2 < st->b; i++) {
    int t = off_made_of(p, i, true) ? off_best_task(p, i, i + 1, ~0u, &sc) : -1;
    if (t >= 0 && p->cues[t].spec->inputs == BATON__T_TEXT &&
        (p->cues[t].spec->outputs & BATON__T_TEXT))
      return t;
  }
  return st->task;
}

/* The request's first picture that shows neither a table nor a document, or -1. */
static int plain_picture(const planner *p) {
  for (size_t i = 0; i < p->n_res; i++)
    if ((p->res[i].type & BATON__T_IMAGE) && !p->res[i].turn && p->res[i].kind == IMG_PLAIN)
      return (int)i;
  return -1;
}

/* "An audio summary", "a spoken answer", "an audio file describing ...", "into French speech",
 * "into spoken French": does st ask for the text made, then read out (not "I have an audio file
 * describing")? */
static bool asks_spoken(const planner *p, const step *st) {
  bool spoken = false, voiced = off_has_word(p, st->a, st->b, W_READING) && /* not "is he */
                                !off_is_question(p, st->a, st->b); /* speaking in a ...?" */
  for (size_t i = st->a + 1; i + 1 < st->b && !spoken; i++) {
    size_t k = i + 1 + (i + 2 < st->b && !off_is(p, i + 1, W_RELATIVE)); /* past "file", "clip" */
    bool tells = (off_is(p, k, W_RELATIVE) || baton__has_suffix_ci(p->tok[k].word, "ing")) &&
                 !off_has_word(p, off_back(i, 3, st->a), i, W_AT_HAND);
    spoken = off_is(p, i - 1, W_INDEFINITE) &&
             ((off_is(p, i, W_RECORDING) && (tells || off_is(p, i + 1, W_MADE_THING))) ||
              (off_is(p, i, W_ALOUD) && off_is(p, i + 1, W_MADE_THING)));
    spoken |= voiced && off_is(p, i + 1, W_VOICE) && i >= st->a + 2 &&
              off_is(p, i - 1, W_INDEFINITE) && off_is(p, i - 2, W_PREPOSITION); /* "read it in a |
                                                                          * calm voice" */
    spoken |= off_is(p, i - 1, W_DESTINATION) && off_has_word(p, st->a, i, W_TRANSLATING) &&
              ((off_language_at(p, i) && off_is(p, i + 1, W_RECORDING)) ||
               (off_is(p, i, W_ALOUD) && off_language_at(p, i + 1)));
  }
  return spoken;
}

/* "Play the German version of notes.txt", "play the transcript of talk.wav": does st open with a
 * verb of playing (past words that ask) and name no recording or video to play, or a thing made
 * of one ("the transcript of", "the German version of"), or, naming none, play what it made after
 * "and" ("caption x.jpg and play it")? Then the text it makes is heard, read out (not "play
 * talk.wav backwards", "transcribe talk.wav and play it"). */
static bool plays_text(const planner *p, const step *st) {
  size_t v = off_past_asking(p, st->a, st->b);
  bool named = off_count_res(p, st->a, st->b, BATON__T_AUDIO | BATON__T_VIDEO);
  for (size_t i = st->a + 1; !named && i + 1 < st->b; i++)
    if ((off_is(p, i - 1, W_JOINER) || off_punct(p, i - 1, ",")) && off_is(p, i, W_PLAYING) &&
        off_is(p, i + 1, W_REFERENCE))
      return true; /* "summarize notes.txt and play it": what it made, none named */
  return off_is(p, v, W_PLAYING) &&
         (!named || (v + 3 < st->b && (off_made_of(p, v + 2, true) || off_version_at(p, v + 2))));
}

/* Drops st, asking again for the task of l, the step recognised last: l's text is read out if st
 * asks for it spoken ("... 'Who wrote it?' Give me an audio answer"). */
static bool drop_repeat(const planner *p, step *st, step *l, int task, bool same_task_only) {
  if (l && l->task == task)
    l->speak |= asks_spoken(p, st);
  return drop_step(st, same_task_only);
}

/* "Estimate the depth of x.jpg and generate a text description based on the depth information":
 * does st, writing with no text to write from, ask for a description (a caption's cue) and name the
 * task of a step before making a picture only? Then it describes that picture. */
static bool describes_made(const planner *p, const step *st, unsigned produced) {
  if (!off_is_role(p, st->task, R_WRITE) || ((produced | off_res_types(p, true)) & BATON__T_TEXT))
    return false;
  bool caption = false; /* a phrase from some word on ("generate a | text description": one cue
                         * each), looked for a phrase's length at a time (no quadratic scan) */
  for (size_t i = st->a; i < st->b && !caption; i++)
    caption = off_keyword_score(p, &p->cues[p->role[R_CAPTION]], i,
                                i + OFF_MAX_PHRASE < st->b ? i + OFF_MAX_PHRASE : st->b) >=
              p->lx->w[K_MIN_KEYWORD];
  if (!caption)
    return false;
  for (const step *e = p->steps; e < st; e++)
    if (e->task >= 0 && p->cues[e->task].spec->outputs == BATON__T_IMAGE &&
        off_keyword_score(p, &p->cues[e->task], st->a, st->b) >= p->lx->w[K_MIN_KEYWORD])
      return true;
  return false;
}

/* Adjusts the step's task to what the request is about, claiming what it takes; false: a repeat. */
static bool settle_step(planner *p, size_t s, unsigned produced, unsigned avail) {
  step *st = &p->steps[s];
  int before = st->task;
  unsigned own = off_own_types(p, st->a, st->b);
  int pic = off_own_res(p, st->a, st->b, BATON__T_IMAGE); /* "decipher the table in t.jpg" */
  if (pic < 0 && p->pictures > 1 && off_has_word(p, st->a, st->b, W_PICTURE))
    pic = plain_picture(p); /* "the photo" beside "a table image t.png" or a document */
  /* a picture made earlier ("generate an image ... and then classify it") is no table */
  bool made = (produced & BATON__T_IMAGE) && pic < 0 && off_has_word(p, st->a, st->b, W_REFERENCE);
  bool drawn = false; /* the newest picture made before, from words: a new one, no table */
  for (const step *e = p->steps; e < st; e++)
    drawn = e->task >= 0 && (p->cues[e->task].spec->outputs & BATON__T_IMAGE)
                ? !(p->cues[e->task].spec->inputs & BATON__T_IMAGE) : drawn;
  drawn &= !off_has_word(p, st->a, st->b, W_TABLE) && !off_has_word(p, st->a, st->b, W_DOCUMENT);
  for (size_t i = st->a; drawn && pic < 0 && i < st->b; i++)
    made |= off_names_made_medium(p, i, st->b); /* "the generated image", not "... as a table" */
  bool asks = off_is_role(p, st->task, R_ASK_PICTURE) && /* "a question about a document image */
              off_has_word(p, st->a, st->b, W_DOCUMENT); /* x.jpg: 'Q?'": its quote asks, no text */
  st->task = made || ((own & BATON__T_TEXT) && !asks) ? st->task
                                                      : off_reader_task(p, st->task, pic);
  st->task = off_rewrite(p, st, produced);
  st->task = runnable_asker(p, st, own, produced);
  st->task = spoken_thing(p, st);
  step *l = NULL; /* the step recognised last */
  for (step *e = p->steps; e < st; e++)
    l = e->task >= 0 && !e->context ? e : l;
  if (off_another_question(p, st, l) && off_is_role(p, st->task, R_ASK_TEXT) && !own)
    st->task = l->task; /* "What is the date on x.png? Who is it for?": of the picture too */
  if (st->task != before && repeats_earlier_step(p, s) && !off_another_question(p, st, l)) {
    if (l == st - 1 && l->task == st->task && off_answers(p, st->task) &&
        off_is_question(p, st->a, st->b))
      st[-1].b = st->b; /* "From the document x.png, | what is ...?": the question it asks */
    return drop_repeat(p, st, l, st->task, true);
  }
  const baton__taskspec *spec = p->cues[st->task].spec;
  int tts = p->role[R_SPEAK];
  bool spoken = asks_spoken(p, st);
  /* a task hearing a recording speaks only after "read" ("read the transcript of a.wav aloud") */
  bool plays = plays_text(p, st), hears = (spec->inputs & BATON__T_AUDIO) && !plays &&
                                          !off_is(p, st->a, W_READING);
  spoken |= plays;
  if (tts != st->task && (spec->outputs & BATON__T_TEXT) && !hears &&
      (spoken || off_has_word(p, st->a, st->b, W_ALOUD))) {
    /* a spoken-output cue beside another task, or first ("say 'hello' in French"): its text is
     * read out too; "read it aloud" with a text (or a score) at hand, no picture of its own,
     * speaks that text */
    st->speak = spoken || off_is(p, st->a, W_ALOUD) ||
                off_keyword_score(p, &p->cues[tts], st->a, st->b) >= p->lx->w[K_MIN_KEYWORD] ||
                off_spoken_after(p, st->a, st->b) < st->b; /* "in French and spoken" */
    if (st->speak && !spoken && (avail & (BATON__T_TEXT | BATON__T_JSON)) &&
        (spec->inputs & ~own & BATON__T_IMAGE))
      st->task = tts, st->speak = false;
  }
  off_claim_resources(p, st, p->cues[st->task].spec, produced);
  return true;
}

/* After detection (of a thing asked beside a file's facts, "the" first, only with "them": "how big
 * is x.jpg and the objects, then blur it" blurs the file), a step that would draw, edit or detect
 * again but speaks of marking what was found ("... and draw a box around each") describes its
 * result; so does a question in the words of the step before ("... and tell me how many there
 * are", "... which class it belongs to") if that step answers in words. */
static bool shows_earlier_result(const planner *p, size_t s) {
  const step *st = &p->steps[s], *e = s > 0 ? &p->steps[s - 1] : NULL;
  if (!e || e->task < 0 || off_own_types(p, st->a, st->b))
    return false;
  bool detected = off_is_role(p, e->task, R_DETECT); /* else only a question of its text */
  bool named = off_keyword_score(p, &p->cues[e->task], st->a, st->b) >= p->lx->w[K_MIN_KEYWORD] &&
               (detected || st->task < 0 || st->task == e->task ||
                p->cues[st->task].spec->inputs == BATON__T_TEXT);
  bool redone = off_is_role(p, st->task, R_DRAW) || off_is_role(p, st->task, R_EDIT) ||
                off_is_role(p, st->task, R_TRANSFORM) || st->task == e->task;
  bool told = p->cues[e->task].spec->outputs & BATON__T_TEXT; /* not "the depth of x.jpg" */
  redone &= !p->tok[e->a].det || off_has_word(p, st->a, st->b, W_PLURAL); /* "... blur them" */
  return (named && told && off_asks_question(p, st->a, st->b)) ||
         (detected && redone && off_has_word(p, st->a, st->b, W_MARKING) &&
          (off_has_word(p, st->a, st->b, W_REFERENCE) || off_has_word(p, st->a, st->b, W_SEVERAL)));
}

/* "Is there a dog in x.jpg? If so, draw a box around it", "What is in x.jpg? Mark each of them":
 * a step marking "it" or "them" after a question about a picture (the last step, if any has a
 * task) finds what was asked: the two steps are one detection. True if st took the question. */
static bool marks_asked(planner *p, step *st, int last) {
  step *q = st;
  while (q > p->steps && q[-1].context && q[-1].task < 0)
    q--; /* past "if so" */
  if (q-- == p->steps || (last >= 0 && q != &p->steps[last]) || !off_is_question(p, q->a, q->b) ||
      off_own_res(p, q->a, q->b, BATON__T_IMAGE) < 0 || off_own_types(p, st->a, st->b) ||
      !off_has_word(p, st->a, st->b, W_MARKING) || !off_has_word(p, st->a, st->b, W_REFERENCE))
    return false;
  st->a = q->a, q->task = -1, st->task = p->role[R_DETECT], st->score = p->lx->w[K_ACCEPT];
  return true;
}

/* "How many cars are in x.jpg? Segment it and answer my question", "... Please answer the question
 * based on the image": "my question", "the question" in a step that answers it and names nothing
 * of its own is one an earlier step put. */
static bool answered_before(const planner *p, const step *st, int last) {
  size_t e = st->b; /* past the step's last word */
  bool ends = e > st->a + 1 && off_is(p, e - 1, W_QUESTION) && p->tok[e - 2].det, names = ends;
  for (size_t i = st->a + 1; i < st->b; i++) /* "the question", no new one after it */
    names = (names || (off_is(p, i, W_QUESTION) && off_is(p, i - 1, W_DEFINITE))) &&
            !off_punct(p, i, ":?");
  if (last < 0 || !names || off_own_types(p, st->a, st->b) || !off_answers(p, st->task))
    return false;
  for (const step *q = p->steps; q < st; q++) /* put as a question, or (ending it) asked */
    if (q->task >= 0 && !q->context && (off_is_question(p, q->a, q->b) ||
                                        (ends && off_asks_question(p, q->a, q->b))))
      return true;
  return false;
}

/* "What is the topic of notes.txt? Answer in one word.", "... Please reply briefly.", "Summarize
 * notes.txt. Keep it short.": does st, right after a question as written or a step taking an
 * instruction, only say how to answer (a verb of answering, then a few words naming no file,
 * quote, question, language nor thing made or pointed at; a task, if any, but an answer)? It asks
 * no task; a step taking an instruction of a file or quote it names takes its words too. */
static bool says_how_to_answer(const planner *p, step *st, int last) {
  size_t i = st->a;
  while (i < st->b && off_is(p, i, W_ASKING))
    i++;
  bool told = last >= 0 && baton__csv_has(p->cues[p->steps[last].task].spec->params,
                                          "instruction");
  if (last < 0 || &p->steps[last] != st - 1 || i >= st->b || !off_is(p, i, W_ANSWERING) ||
      st->b > i + 6 || !(told || off_is_question(p, st[-1].a, st[-1].b)) ||
      !(st->task < 0 || off_answers(p, st->task) || off_is_role(p, st->task, R_CONVERSE)))
    return false;
  for (size_t k = i + 1; k < st->b; k++) /* (but "answer it": the question) */
    if (p->tok[k].kind == TK_RES || off_is(p, k, W_WH) || off_is(p, k, W_QUESTION) ||
        off_language_at(p, k) || (off_is(p, k, W_REFERENCE) && k > i + 1) ||
        off_is(p, k, W_MADE_THING))
      return false;
  /* a step on a file or quote it names takes the words ("Summarize notes.txt. Keep it short."),
   * one taking its text from its own ("Write a story about a dragon.") in its instruction only; a
   * question none */
  if (told && off_count_res(p, st[-1].a, st[-1].b, ~0u) > 0)
    st[-1].b = st->b;
  else if (told)
    st[-1].told_to = st->b;
  return true;
}

/* "What does the man in a.wav sound like? Happy or sad?", "what animal is in x.jpg? A cat or a
 * dog?": does st, right after a question as written that a classifier answers, only list the
 * choices it asks among? It asks no task: its words join that question's. */
static bool choices_of(const planner *p, step *st, int last) {
  static const off_role classifier[] = {R_CLASSIFY_PICTURE, R_CLASSIFY_TEXT, R_CLASSIFY_SOUND,
                                        R_LABEL_PICTURE, R_LABEL_TEXT};
  size_t k = 0, n = sizeof classifier / sizeof *classifier;
  if (last < 0 || &p->steps[last] + 1 != st)
    return false;
  step *q = st - 1; /* (st is past the first: last is before it) */
  while (k < n && !off_is_role(p, q->task, classifier[k]))
    k++;
  if (k >= n || !off_is_question(p, q->a, q->b) || !off_only_choices(p, st->a, st->b))
    return false;
  return q->b = st->b, true;
}

/* "I'm curious about the emotion ... Could you clean the audio, then find the emotion?": a task the
 * user wonders about is done where a later step asks again (a step between them); true if moved. */
static bool stated_before(planner *p, const step *st, int last) {
  for (step *t = p->steps; t - p->steps < last; t++)
    if (t->task == st->task && off_is(p, t->a, W_IN_A_STATE)) /* "I'm curious to know ..." */
      return t->task = -1, true;
  return false;
}

/* "Save the summary as s.txt" in a conversation: a step only saving an earlier result under a name
 * (each file it names named so) plans nothing itself; plan.c asks again what made that result. */
static bool saves_earlier(const planner *p, const step *st) {
  bool named = false;
  for (size_t i = st->a; p->last_turn && off_saves_at(p, st->a) && i < st->b; i++)
    if (p->tok[i].kind == TK_RES && !(named = off_saved_name(p, i, st->a)))
      return false;
  return named;
}

/* "(information) from it", "in the document": does the preposition at token i name what the user
 * has, a file or a reference or a medium after "the", not the web ("on the internet")? */
static bool held_here(const planner *p, size_t i, size_t b) {
  for (size_t k = i + 1; i < b && off_is(p, i, W_PREPOSITION) && k < b && k < i + 4; k++)
    if (off_is(p, k, W_REFERENCE) || off_said_media(p, k, k + 1) || off_is(p, k, W_DOCUMENT))
      return true;
  return false;
}

/* "..., and email it", "then please send the summary to Bob", "post it on Twitter": does st,
 * past the words leading it, send away what it names or points at (off_sends_at), naming no task
 * ("email the summary of notes.txt to Bob": the summary is made)? baton sends nothing: the step
 * is left out, and the plan's note says so. */
static bool sends_away(planner *p, const step *st) {
  static const off_class lead[] = {W_JOINER, W_HARD_BREAK, W_RESUMING, W_ASKING};
  size_t i = st->a;
  while (i + 1 < st->b && off_is_any(p, i, lead, sizeof lead / sizeof *lead))
    i++;
  bool sends = off_sends_at(p, i, st->b) &&
               !off_has_cue(p, st->a, st->b, p->lx->w[K_MIN_KEYWORD]);
  return sends && (off_leave_out(p, st, OFF_NO_SEND), true);
}

/* "Find me a video on X", "search for some articles", "find similar images to x.jpg": where st
 * asks to search the web (1 + the searching word, then what it seeks, bare or after "a", "some" and
 * at most two words, naming no file but one it is to be like), or 0. Not "find the faces in x.jpg".
 */
static size_t searches_web(const planner *p, const step *st) {
  bool file = false; /* of its own ("information about 'X'" names what to seek) */
  for (size_t j = st->a; j < st->b; j++)
    file |= p->tok[j].kind == TK_RES && p->res[p->tok[j].res].is_file;
  for (size_t i = st->a; i < st->b; i++) {
    size_t k = i + 1, words = 0;
    while (k < st->b && (off_is(p, k, W_US) || off_is(p, k, W_PREPOSITION)))
      k++; /* "find me", "search for" */
    if (i >= st->a + 2 && off_is(p, i, W_SEARCHING) && off_is(p, i - 1, W_SOUGHT) &&
        off_is(p, i - 2, W_ALIKE))
      return i + 1; /* "a similar image search" */
    if (!off_is(p, i, W_SEARCHING))
      continue;
    bool like = false;
    for (; k < st->b && words < 3 && !off_is(p, k, W_SOUGHT) && p->tok[k].kind == TK_WORD; k++)
      words++, like |= off_is(p, k, W_ALIKE);
    like |= k + 1 < st->b && off_is(p, k + 1, W_ALIKE); /* "images similar to x.jpg" */
    bool means = false; /* "find out more information about it by asking a question": a task */
    for (size_t j = k + 1; j < st->b && !means; j++) /* (not "by searching the web") */
      means = off_done_by(p, j) && !off_words_has(&p->lx->cls[W_SEARCHING], p->tok[j].stem, true);
    if (k < st->b && words < 3 && off_is(p, k, W_SOUGHT) && (like || !file) && !means &&
        !held_here(p, k + 1, st->b))
      return i + 1;
  }
  return 0;
}

/* "Which of a.jpg and b.jpg is brighter(?)", "is a.wav louder than b.wav?", "is a.txt shorter than
 * b.txt?": does st ask (a question as written or how files compare: off_asks_files; no word asking
 * for a deed: "can you make ...", "is it possible to ...", "what would it look like ...", "what if
 * ...", "how about we change ...", "is there a way to improve ..."; "does x.jpg look like t.png?"
 * asks) about what it names, so that the change of a picture or recording its words name (of two
 * texts or more, a text written from each) is what it asks of them, not one to make? */
static bool asks_not_changes(const planner *p, const step *st) {
  static const off_class deed[] = {W_ASKING, W_CAUSATIVE, W_FEASIBLE, W_UNSURE, W_SUBJECT,
                                   W_EXISTENTIAL};
  static const off_role change[] = {R_TRANSFORM, R_EDIT, R_CHANGE_SOUND, R_WRITE, R_SUMMARIZE};
  size_t k = 0, n = sizeof change / sizeof *change - 2 * /* the text writers */
                    (off_count_res(p, st->a, st->b, BATON__T_TEXT) < 2);
  while (k < n && !off_is_role(p, st->task, change[k]))
    k++;
  for (size_t i = st->a; k < n && i < st->b; i++)
    k = off_is_any(p, i, deed, sizeof deed / sizeof *deed) && !off_model_in(p, i, i + 1) ? n : k;
  return k < n && off_asks_files(p, st->a, st->b);
}

/* What a question asks of the recordings or pictures it names: with a measure right after them
 * (or "is"), none a place things are in ("is the man in a.jpg taller?" asks the picture), their
 * facts ("is a.wav longer than b.wav?", "which is bigger, a.jpg or b.jpg?");
 * with a length to cut to, a recording's ("is it longer than 10 s?"; "shorten it to 10 s": a sound
 * change, not a text's); a change named: a question, of the files it names if any, steps after
 * it or not (asks_not_changes). Sets st->task. */
static void asked_of_files(planner *p, step *st, unsigned produced) {
  unsigned own = off_own_types(p, st->a, st->b);
  int t = own == BATON__T_AUDIO ? p->role[R_RECORDING_FACTS]
          : own == BATON__T_IMAGE ? p->role[R_PICTURE_FACTS] : -1;
  bool asked = off_asks_files(p, st->a, st->b), measured = false, inside = false;
  for (size_t i = st->a + 1; t >= 0 && asked && i < st->b; i++) /* "the man in a.jpg": a thing */
    inside |= p->tok[i].kind == TK_RES && off_is(p, i - 1, W_PREPOSITION) &&
              !off_is(p, i - 1, W_CONTENT_INTRO); /* (not "which of a.jpg and b.jpg") */
  for (size_t i = st->a + 1, j; t >= 0 && asked && !inside && i < st->b; i++) {
    j = i - 1 - (i > st->a + 1 && (off_is(p, i - 1, W_DEFINITE) || off_is(p, i - 1, W_DEGREE)));
    measured |= off_is(p, i, W_MEASURE) && /* "is the longest", "how much longer" */
                (p->tok[j].kind == TK_RES || off_is(p, j, W_IS_ARE) ||
                 (j + 2 == i && off_is(p, j, W_WH)));
  }
  bool held = own || (off_res_types(p, true) & (BATON__T_IMAGE | BATON__T_AUDIO)); /* at hand */
  if (measured || asks_not_changes(p, st))
    st->task = measured ? t : held ? p->role[R_ASK_TEXT] : -1, st->score = p->lx->w[K_ACCEPT];
  if ((st->task < 0 || !(p->cues[st->task].spec->inputs & BATON__T_AUDIO)) &&
      off_cuts_to_length(p, st, st->task < 0, produced & ~(unsigned)BATON__T_TEXT))
    st->task = p->role[asked ? R_RECORDING_FACTS : R_CHANGE_SOUND];
}

/* "What does it say about Sundays?", "tell me what talk.wav says about the report": does st ask
 * about something in what a thing says? */
static bool says_about(const planner *p, const step *st) {
  for (size_t i = st->a + 1; i + 2 < st->b; i++)
    if ((off_is(p, i, W_ALOUD) || off_is(p, i, W_CONTENT_INTRO)) &&
        off_is(p, i + 1, W_CONTENT_INTRO) && off_has_word(p, st->a, i, W_WH))
      return true;
  return false;
}


/* What step st, asking again for the task `again` of a step before, asks instead: another task it
 * names (none working on another medium than the one it names: "improve the sound quality" is no
 * picture's change), speech ("... and say it"), or a question: of the picture where that task
 * answers in no words ("estimate the depth of x.jpg and tell me the distance of the closet"), else
 * of the text read ("if there's a table in it, tell me what is in the first row" after a picture
 * classified); or -1. */
static int asked_instead(const planner *p, step *st, int again, unsigned produced,
                         unsigned avail) {
  const baton__taskspec *a = p->cues[again].spec;
  int t = off_best_task_min(p, st->a, st->b, avail, p->lx->w[K_ACCEPT], again, &st->score);
  unsigned media = BATON__T_IMAGE | BATON__T_AUDIO, said = off_said_media(p, st->a, st->b) & media;
  if (t >= 0 && said && !(p->cues[t].spec->inputs & said) && (p->cues[t].spec->inputs & media))
    t = -1;
  if (t < 0 && off_asks_speech(p, st, produced, avail))
    return p->role[R_SPEAK];
  return t >= 0 || !(a->inputs & BATON__T_IMAGE) || !off_asks_question(p, st->a, st->b)
             ? t : p->role[(a->outputs & BATON__T_TEXT) ? R_ASK_TEXT : R_ASK_PICTURE];
}

/* "I have a.jpg and b.jpg. Which one is brighter?": a step naming no file that asks how files
 * compare once the scene-setting step right before it, listing two files or more of one type and
 * nothing else, is read with it, is asked of those, as "which of a.jpg and b.jpg is brighter?"
 * is: it starts at the first. */
static void asks_of_listed(const planner *p, step *st) {
  const step *c = st > p->steps ? st - 1 : NULL;
  size_t files = 0, res = c ? off_count_res(p, c->a, c->b, ~0u) : 0;
  for (size_t i = c ? c->a : 0; res > 1 && i < c->b; i++)
    files += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].is_file &&
             off_count_res(p, c->a, c->b, p->res[p->tok[i].res].type) == res;
  if (files == res && res > 1 && c->context && c->task < 0 && c->b + 1 >= st->a &&
      !off_own_types(p, st->a, st->b) && off_compares_files(p, c->a, st->b))
    for (st->a = c->a; p->tok[st->a].kind != TK_RES;) /* (not "I have": no deed asked) */
      st->a++;
}

/* The task st's words name, with what is at hand (avail) and what the steps before made
 * (produced): speech where it reads out the last turn's text ("read it", off_voices_last); "and
 * classify it", a verb many share, its object named, with less; whatever cue else it holds
 * ("closest": a depth map's), one giving
 * a thing in a picture a hue ("colour the sky in x.jpg purple", "then paint the closest object
 * red"), with a picture named or made, an edit; one marking a thing the detector finds ("blur the
 * face in x.jpg"), a detection, or cropping it out ("crop out the faces"), a change of it; one
 * keeping a part of a song's sound apart ("isolate the vocals in song.mp3", "extract the drums"),
 * with a recording named or made and no picture of its own (its file, "the photo"), a change of
 * the recording; or -1. */
static int named_task(const planner *p, step *st, unsigned produced, unsigned avail) {
  unsigned own = off_own_types(p, st->a, st->b), media = avail | off_res_types(p, false);
  own |= off_said_media(p, st->a, st->b) & BATON__T_IMAGE; /* "isolate the guitar in the photo" */
  int t = off_voices_last(p, st, produced) ? p->role[R_SPEAK] /* "read it" after a text */
          : (media & BATON__T_IMAGE) && off_colours(p, st->a, st->b) ? p->role[R_EDIT]
          : (media & BATON__T_IMAGE) && off_marks_thing(p, st->a, st->b, false) ? p->role[R_DETECT]
          : (media & BATON__T_IMAGE) && off_marks_thing(p, st->a, st->b, true) ? p->role[R_TRANSFORM]
          : !(own & BATON__T_IMAGE) && (media & BATON__T_AUDIO) && off_separates(p, st->a, st->b)
              ? p->role[R_CHANGE_SOUND] : -1;
  if (t >= 0)
    return st->score = p->lx->w[K_ACCEPT], t;
  t = off_best_task(p, st->a, st->b, avail, &st->score);
  if (t < 0 && st->b <= st->a + 3 && off_is(p, st->a + 1, W_REFERENCE)) /* "and classify it" */
    t = off_best_task_min(p, st->a, st->b, avail, p->lx->w[K_ACCEPT_FALLBACK], -1, &st->score);
  return t;
}

/* "Caption b.jpg and count the people": the task st's words name from their first past asking
 * words (a verb: not "into a text"; no file named), of a picture or recording a step before only
 * read into text (at hand still, as it is to "... and classify it"); or -1. */
static int reads_again(const planner *p, step *st, unsigned avail) {
  size_t v = st->a;
  while (v < st->b && off_is(p, v, W_ASKING)) /* "please | count ..." */
    v++;
  unsigned read = off_own_types(p, st->a, st->b) || off_is(p, v, W_PREPOSITION) ||
                          !off_cue_starts(p, v, st->b, p->lx->w[K_MIN_KEYWORD])
                      ? 0 : off_read_types(p, st->a, st->b);
  return read & ~avail ? off_best_task(p, st->a, st->b, avail | read, &st->score) : -1;
}

/* Recognises step s (last: the step recognised last, or -1); true when it names a task. */
static bool recognise_step(planner *p, size_t s, unsigned produced, int last) {
  step *st = &p->steps[s];
  asks_of_listed(p, st);
  size_t search = searches_web(p, st); /* "... and find related images": the words before stay */
  p->searched |= search != 0;
  st->b = search ? search - 1 : st->b;
  if (st->b <= st->a || (last < 0 && saves_earlier(p, st)))
    return false;
  unsigned avail = produced | off_res_types(p, true);
  bool any = last >= 0 || p->last_turn; /* a conversation is going on */
  if (any)
    mark_references(p, st->a, st->b);
  /* "what is the | depth of x.jpg?": the frame of a question about a thing names no task */
  if (st->a + 2 < st->b && off_is(p, st->a, W_WH) && off_is(p, st->a + 1, W_IS_ARE) &&
      p->tok[st->a + 2].det && !cue_past_frame(p, st->a, st->b))
    p->tok[st->a].skip = p->tok[st->a + 1].skip = p->tok[st->a + 2].skip = true;
  st->task = named_task(p, st, produced, avail);
  /* a thing in the file: one question, or with none put, its facts ("... and remove it") */
  st->thing = off_asks_of_a_thing(p, st);
  int asked = st->thing ? off_question_task(p, s, produced, last >= 0) : -1;
  st->task = asked >= 0 ? (st->score = p->lx->w[K_ACCEPT], asked) : st->task;
  /* "write the text of x.png to y.txt": a saving verb, the task's only cue, saves what it reads
   * (not "write a haiku about x.png into h.txt": something new) */
  bool saving = off_saves_at(p, st->a) && st->a + 1 < st->b &&
                !off_is(p, st->a + 1, W_INDEFINITE);
  int into = st->task >= 0 && saving &&
             off_keyword_score(p, &p->cues[st->task], st->a + 1, st->b) < p->lx->w[K_MIN_KEYWORD]
                 ? off_converting_task(p, st, avail) : -1;
  st->task = into >= 0 ? into : st->task;
  bool about = says_about(p, st);
  int q = off_is_role(p, st->task, R_CAPTION) && about
              ? off_question_task(p, s, produced, last >= 0) : -1;
  st->task = q >= 0 ? (st->score = p->lx->w[K_ACCEPT], q) : st->task; /* asked of what it says */
  int kind = off_asks_language(p, st->a, st->b) ? p->role[R_CLASSIFY_TEXT] /* "is it in French?" */
             : off_asks_sound(p, st) ? p->role[R_CLASSIFY_SOUND] : -1; /* "what does he sound */
  st->task = kind >= 0 ? (st->score = p->lx->w[K_ACCEPT], kind) : st->task; /* like?": classified */
  if (st->task < 0 && any && !about && !off_describes_unseen(p, st, produced)) { /* not "what does
    * the summary say about X?", "a caption for the summary": asked of it ("what does the
    * translation say?" translates it back) */
    for (size_t i = st->a; i < st->b; i++)
      p->tok[i].skip = false;
    st->task = off_best_task(p, st->a, st->b, avail, &st->score);
    mark_references(p, st->a, st->b); /* none: "tell me if the caption mentions a dog" asks */
  }
  asked_of_files(p, st, produced); /* "which is brighter, a.jpg or b.jpg?": no change */
  if (st->task < 0) /* a question put, words to say: taken as if named clearly */
    st->task = off_question_task(p, s, produced, last >= 0), st->score = p->lx->w[K_ACCEPT];
  st->task = st->task < 0 ? off_unnamed_task(p, st, produced, avail) : st->task;
  st->task = st->task < 0 ? reads_again(p, st, avail) : st->task;
  const step *l = last >= 0 ? &p->steps[last] : NULL;
  if (shows_earlier_result(p, s) || /* its words tell the detector how: "... and blur them" */
      (l == st - 1 && off_asks_more_facts(p, st, l)))
    return p->steps[s - 1].b = st->b, drop_step(st, false);
  if (off_works_on_thing(p, st, l, avail) || marks_asked(p, st, last))
    return settle_step(p, s, produced, avail);
  if (answered_before(p, st, last) || says_how_to_answer(p, st, last) || choices_of(p, st, last))
    return drop_step(st, false);
  if (into < 0 && !st->thing && !off_marks_thing(p, st->a, st->b, true) && !off_cut_thing(p, s))
    off_split_step(p, s, avail); /* not "crop out the | faces": one change, no detection */
  if (st->task >= 0 && repeats_earlier_step(p, s) && !off_task_asked_anew(p, st) &&
      !off_works_on_made(p, st) && !stated_before(p, st, last) && !off_another_question(p, st, l)) {
    /* "scan x.png and summarize what it says": the step is about what else it names; "the depth ...
     * a depth map": one task, drop it; "rotate x.jpg and blur it": the change before says more */
    int again = st->task;
    st->task = asked_instead(p, st, again, produced, avail);
    if (st->task < 0 || repeats_earlier_step(p, s)) {
      size_t i = p->steps[last].b; /* not into a next sentence: "edit it. Then adjust it to" */
      while (i < st->a && !(off_punct(p, i, ".!?;") && off_is(p, i + 1, W_HARD_BREAK)))
        i++;
      if (i == st->a && p->steps[last].task == again && (off_is_role(p, again, R_EDIT) ||
          off_is_role(p, again, R_TRANSLATE) || off_asks_question(p, st->a, st->b) ||
          baton__csv_has(p->cues[again].spec->params, "instruction")))
        p->steps[last].b = st->b;
      return drop_repeat(p, st, &p->steps[last], again, false);
    }
  }
  return st->task >= 0 && settle_step(p, s, produced, avail);
}

/* Nothing stood out: take the one clearest cue anywhere in the request, scene-setting sentences
 * included ("I have a table in t.jpg ... can you help?"), if it is at all plausible. */
static bool clearest_cue(planner *p) {
  step best = {.task = -1}, *at = NULL;
  for (size_t s = 0; s < p->n_steps; s++) {
    step c = p->steps[s];
    if (c.refused || saves_earlier(p, &c) || searches_web(p, &c))
      continue;
    c.task = off_best_task_min(p, c.a, c.b, off_res_types(p, true), p->lx->w[K_ACCEPT_FALLBACK],
                               -1, &c.score);
    c.task = off_is_role(p, c.task, R_COMPARE_TEXTS) ? off_rewrite(p, &c, 0) : c.task; /* "compare
                                                          * cats and dogs": no text, a chat */
    unsigned media = c.task >= 0 ? p->cues[c.task].spec->inputs & ~(unsigned)BATON__T_TEXT : 0;
    if (c.task >= 0 && c.score > best.score && (!media || (off_res_types(p, false) & media)))
      best = c, at = &p->steps[s]; /* not a picture's task where there is no picture */
  }
  return at && (*at = best, true);
}

/* The task a step (not refused, not setting the scene) names clearly by its words ("transcribe",
 * "transcribe talk", "make sign black and white"), naming no other medium ("speed up the video"
 * is no sound's), or -1. */
static int named_clearly(const planner *p) {
  for (const step *st = p->steps; st < p->steps + p->n_steps; st++) {
    int t = st->refused || st->context ? -1
                                       : off_clearest_cue(p, st->a, st->b,
                                                          p->lx->w[K_CLEAR_KEYWORD]);
    if (t >= 0 && !(off_said_media(p, st->a, st->b) & ~off_primary_type(p->cues[t].spec)))
      return t;
  }
  return -1;
}

/* "paint a cat" with no picture anywhere (the request's, an earlier turn's): an edit, the task
 * named, of nothing; a step opening on a verb of picturing not pointing at a thing ("paint it",
 * "paint the fence") draws instead, the only step. True if so. */
static bool drawn_instead(planner *p, int named) {
  if (!off_is_role(p, named, R_EDIT) || (off_res_types(p, false) & BATON__T_IMAGE))
    return false;
  for (const step *st = p->steps; st < p->steps + p->n_steps; st++) {
    size_t a = off_past_asking(p, st->a, st->b);
    if (!st->refused && a + 1 < st->b && off_is(p, a, W_PICTURING) &&
        !off_is(p, a + 1, W_DEFINITE) && !off_is(p, a + 1, W_REFERENCE))
      return p->steps[0] = (step){.a = st->a, .b = st->b, .task = p->role[R_DRAW]},
             p->n_steps = 1, true;
  }
  return false;
}

/* Why nothing was planned (-1): a step names a task for a medium there is none of ("transcribe the
 * recording"), baton reads no video, sends nothing ("email notes.txt to Bob"), else what a task
 * named clearly with nothing to work on needs ("transcribe talk": no file; "paint a cat", no
 * picture anywhere, drawn), else no task was
 * named. A request naming no task nor file (a quote is to talk about) but asking ("When did
 * Waterloo take place?") goes whole to chat: 0. */
static int nothing_planned(planner *p) {
  double sc, clear = p->lx->w[K_CLEAR_KEYWORD]; /* a task named clearly */
  bool asks = false, file = false;
  if (p->searched) /* "find me a video on X" */
    return baton__fmt(p->err, p->errlen, "%s", OFF_NO_SEARCH), -1;
  if ((p->more = off_says_more(p))) /* no chat: the last request again (plan.c) */
    return baton__fmt(p->err, p->errlen, "%s", OFF_NO_TASK), -1;
  for (const step *st = p->steps; st < p->steps + p->n_steps; st++) {
    if (st->refused) /* "don't transcribe the recording" asks for nothing */
      continue;
    int v = off_own_res(p, st->a, st->b, BATON__T_VIDEO);
    if (v >= 0) /* which task the step wants of a video's sound or frames ("transcribe talk.mp4") */
      p->res[v].type |= BATON__T_AUDIO | BATON__T_IMAGE;
    int t = off_best_task(p, st->a, st->b, ~0u, &sc);
    if (t >= 0 && (v < 0 ? off_said_media(p, st->a, st->b) & off_primary_type(p->cues[t].spec)
                         : off_keyword_score(p, &p->cues[t], st->a, st->b) >= clear))
      return off_needs_input(p, p->cues[t].spec); /* for a video: what of it to save */
    unsigned own = off_own_types(p, st->a, st->b); /* "transcribe notes.txt" */
    t = own && v < 0 ? off_clearest_cue(p, st->a, st->b, clear) : -1; /* (own first: cheaper) */
    if (t >= 0 && !(own & p->cues[t].spec->inputs))
      return off_not_for(p, p->cues[t].spec, off_own_res(p, st->a, st->b, own));
  }
  if (off_own_res(p, 0, p->n_tok, BATON__T_VIDEO) >= 0) /* "speed up my video x.mp4" */
    return off_needs_input(p, NULL);
  if (p->left_out[0]) /* "email notes.txt to Bob": only a step sending it (sends_away), after */
    return baton__fmt(p->err, p->errlen, "%s", OFF_NO_SEND), -1; /* what the others need */
  bool fresh = !p->turns && p->n_tok > 1; /* not "show me the picture", "explain it" after a turn */
  for (size_t i = 0; i < p->n_tok; i++) /* not "hello there, how are you" */
    asks |= off_is(p, i, W_ASKING) || off_punct(p, i, "?") ||
            (fresh && off_is(p, i, W_US)); /* "give me ideas" */
  for (const step *st = p->steps; st < p->steps + p->n_steps; st++) /* "explain how X works" */
    asks |= fresh && st->a + 1 < st->b && off_is(p, st->a, W_ASK_VERB);
  for (size_t i = 0; i < p->n_res; i++) /* (earlier turns' texts are not what to answer) */
    file |= p->res[i].is_file && !p->res[i].turn;
  bool web = off_has_word(p, 0, p->n_tok, W_WEB);
  if (!web && drawn_instead(p, named_clearly(p))) /* "can you paint a cat?": asked, still drawn */
    return 0;
  int named = (asks && !file) || web ? -1 : named_clearly(p); /* not a chat */
  if (named >= 0)
    return off_needs_input(p, p->cues[named].spec);
  for (size_t i = 0; i < p->n_res; i++)
    p->res[i].used = true;
  if (!asks || file || !p->n_steps) /* "download the image at https://...": nothing to do here */
    return baton__fmt(p->err, p->errlen, "%s", web ? OFF_NO_WEB : OFF_NO_TASK), -1;
  p->steps[0] = (step){.a = 0, .b = p->n_tok, .task = p->role[R_CONVERSE]}, p->n_steps = 1;
  return 0;
}

/* "I have x.jpg and a question: 'What is it?'": with no step answering questions, a quoted question
 * after "question" in a step naming no task is asked of a passage named before, else the picture,
 * else a text a step before made but a chat ("write a poem on it. I have a question: 'Is it sad?'") */
static bool ask_quoted(planner *p) {
  bool asked = false, picture = off_res_types(p, false) & BATON__T_IMAGE, passage = false;
  for (size_t s = 0; s < p->n_steps; s++)
    if (off_answers(p, p->steps[s].task))
      return false;
  for (step *q = p->steps; q < p->steps + p->n_steps; q++) {
    for (size_t i = q->a; i < q->b; i++) {
      const resource *r = p->tok[i].kind == TK_RES ? &p->res[p->tok[i].res] : NULL;
      bool text = passage && r && r->asked;
      if (r && r->asked && q->task < 0 && !q->refused && (picture || text) &&
          off_has_word(p, off_back(i, 4, q->a), i, W_QUESTION))
        q->task = off_reader_task(p, p->role[R_ASK_PICTURE], -1), q->context = false, asked = true,
        q->task = text || !p->cues[q->task].runnable ? p->role[R_ASK_TEXT] : q->task;
      passage |= r && off_is_passage(r);
    }
    passage |= !picture && q->task >= 0 && (p->cues[q->task].spec->outputs & BATON__T_TEXT) &&
               !off_is_role(p, q->task, R_CONVERSE); /* a chat's reply answers the question */
  }
  return asked;
}

/* "Save it as b.png" after a turn that made a picture (or "call it b.wav", a recording): a task
 * taking and making that type writes the newest earlier one under the name; true if so. */
static bool saved_only(planner *p) {
  for (step *st = p->steps; st < p->steps + p->n_steps; st++)
    for (size_t i = st->a + 1; i < st->b; i++) {
      int r = off_res_at(p, i, BATON__T_IMAGE | BATON__T_AUDIO);
      bool had = false; /* an earlier turn's of its type */
      for (size_t k = 0; r >= 0 && k < p->n_res; k++)
        had |= p->res[k].turn && (p->res[k].type & p->res[r].type);
      if (!had || !off_saved_name(p, i, st->a))
        continue;
      bool image = p->res[r].type & BATON__T_IMAGE;
      *st = (step){.a = st->a, .b = i, .task = p->role[image ? R_TRANSFORM : R_CHANGE_SOUND],
                   .output = r + 1}; /* its words end before the name: no input */
      p->res[r].used = true;
      return true;
    }
  return false;
}

/* Is step st "and another picture of it" after a drawing (last): copies of it (copies.c), so
 * dropped? */
static bool one_more(planner *p, step *st, int last) {
  long n;
  bool more = last >= 0 && off_draws(p, p->steps[last].task) && st->a > 0 && st->a < st->b &&
              off_another_at(p, st->a - 1, st->b, &n) == st->b;
  if (more)
    drop_step(st, false);
  return more;
}

/* "Classify a.wav. Based on the identified emotion, | write a poem": does st, what the next step
 * takes, name what an earlier step's task (or an earlier turn's) makes by one of its words? Then
 * it asks for nothing. */
static bool names_made(const planner *p, const step *st) {
  bool lead = off_fronted_end(p, st->a) == st->b;
  for (const step *e = p->steps; lead && e < st; e++)
    for (size_t i = st->a + 1; e->task >= 0 && !e->context && i < st->b; i++)
      if (off_cue_word(p, &p->cues[e->task], i))
        return true;
  for (size_t r = 0; lead && r < p->n_res; r++)
    if (off_names_maker(p, st->a, st->b, &p->res[r]))
      return true;
  return false;
}

/* "Do the same for b.jpg | and read it aloud": does the first step ask the last request (one
 * naming files) again on the files it names (a word like "same", no task of its own), and a step
 * after it ask a task, none of them naming a file or quote, and can the last request be asked so
 * (off_asked_again(): not "compare a.txt and b.txt" on a picture)? Then the last request runs
 * first on those files, the words after them on what it makes ("| in 2 sentences and read it
 * aloud"): p->again_end is where they begin. */
static bool asks_again_first(planner *p) {
  const step *st = p->steps;
  bool after = false; /* a step after it with a task */
  if (p->repeat || !off_files_named(p, p->asked) || p->n_steps < 2 || st->context ||
      st->task >= 0 || !off_has_word(p, st->a, st->b, W_AGAIN) || !off_own_types(p, st->a, st->b) ||
      off_own_types(p, st->b, p->n_tok))
    return false;
  for (const step *e = st + 1; e < p->steps + p->n_steps; e++)
    after |= !e->context && e->task >= 0;
  size_t end = st->b; /* past its last file, unless "same" follows it ("make b.jpg the same") */
  while (end > st->a + 1 && off_res_at(p, end - 1, ~0u) < 0)
    end--;
  end = off_has_word(p, end, st->b, W_AGAIN) ? st->b : end;
  char *thing = NULL, *again = after ? (p->again_end = end, off_asked_again(p, &thing)) : NULL;
  p->again_end = again ? p->again_end : 0;
  free(again), free(thing);
  return p->again_end != 0;
}

/* Does step st name a file or text step l does not ("translate a.txt, | don't translate b.txt")? */
static bool names_own_res(const planner *p, const step *st, const step *l) {
  for (size_t i = st->a; i < st->b; i++) {
    bool named = p->tok[i].kind != TK_RES;
    for (size_t j = l->a; j < l->b && !named; j++)
      named = p->tok[j].kind == TK_RES && p->tok[j].res == p->tok[i].res;
    if (!named)
      return true;
  }
  return false;
}

/* "Clean up talk.wav | without removing the music", "make x.jpg brighter | without changing the
 * colors": does refused step st name a thing ("the", "its" before a word) that a task taking
 * what step l takes, making what l makes, would change (what l keeps)? A change any medium takes
 * ("remove") takes l's. */
static bool keeps_thing(const planner *p, const step *st, const step *l) {
  unsigned own = off_own_types(p, l->a, l->b), makes = p->cues[l->task].spec->outputs;
  double sc;
  int u = own ? off_best_task(p, st->a, st->b, own, &sc) : -1;
  bool thing = false;
  for (size_t i = st->a; i + 1 < st->b && !thing; i++)
    thing = p->tok[i].det && p->tok[i + 1].kind == TK_WORD;
  return thing && ((u >= 0 && (p->cues[u].spec->inputs & own) &&
                    p->cues[u].spec->outputs == makes) ||
                   ((own & makes) && off_has_word(p, st->a, st->b, W_CHANGING)));
}

/* "Remove the noise from talk.wav | without changing the voice", "upscale x.jpg | without blurring
 * it": a refused clause right after a step of its sentence, naming that step's own task (or a
 * thing it keeps: keeps_thing) and no file of its own, says how to do it (no other task refused):
 * its words go back to that step. */
static void refused_manner(planner *p) {
  double sc;
  for (step *st = p->steps + 1; st < p->steps + p->n_steps; st++) {
    const step *l = st - 1;
    size_t i = l->b;
    while (i < st->a && !off_punct(p, i, ".!?;"))
      i++;
    if (st->refused && l->task >= 0 && i == st->a && !names_own_res(p, st, l) &&
        (off_best_task(p, st->a, st->b, ~0u, &sc) == l->task || keeps_thing(p, st, l)))
      st[-1].b = st->b;
  }
}

/* "Don't translate notes.txt | word for word", "don't read it aloud too fast", "don't summarize it
 * in more than 3 sentences": where the request asks for nothing else, a refused step with a word
 * saying how much or how closely (manner) says how to do its task, not to skip it ("don't
 * translate notes.txt at all" refuses it), or one naming what it keeps as it is (kept_as_is). Which
 * step, or -1. */
static int refused_manner_only(planner *p) {
  double sc;
  for (step *st = p->steps; st < p->steps + p->n_steps; st++) {
    int t = st->refused ? off_best_task(p, st->a, st->b, ~0u, &sc) : -1, u;
    bool other = false; /* (no words of another task: "not | into speech") */
    for (size_t i = st->a, end; t >= 0 && i < st->b && !other; i++)
      other = !off_cue_says(&p->cues[t], p->tok[i].stem) &&
              (u = off_cue_at(p, i, st->b, p->lx->w[K_MIN_KEYWORD], &end)) >= 0 && u != t;
    bool kept = false; /* "never translate the brand names in it": translated, names kept */
    for (size_t i = st->a; t >= 0 && i < st->b; i++)
      kept |= off_is(p, i, W_KEPT_AS_IS) && !off_cue_says(&p->cues[t], p->tok[i].stem);
    if (t >= 0 && !other && (kept || off_has_word(p, st->a, st->b, W_MANNER)))
      return st->refused = st->context = false, (int)(st - p->steps);
  }
  return -1;
}

/* "Listen to a.wav and b.wav | and tell me who called", "... | and summarize them": a step of no
 * task hearing recordings (off_hears) right before a question put to a text, or a task on text
 * naming no file of its own and working on what came before (off_works_on_before; not "and
 * write a poem"), transcribes them, each (then worked on: link.c). */
static void hears_first(planner *p) {
  for (step *st = p->steps; st + 1 < p->steps + p->n_steps; st++)
    if (st->task < 0 && !st->context && !st->refused && off_hears(p, st->a, st->b) &&
        (off_is_role(p, st[1].task, R_ASK_TEXT) ||
         (st[1].task >= 0 && p->cues[st[1].task].spec->inputs == BATON__T_TEXT &&
          !off_count_res(p, st[1].a, st[1].b, ~0u) && off_works_on_before(p, &st[1]))))
      st->task = p->role[R_TRANSCRIBE], st->score = p->lx->w[K_ACCEPT],
      off_claim_resources(p, st, p->cues[st->task].spec, 0);
}

int off_recognise(planner *p) {
  /* the last request (plan.c): "blur them", "now German", "draw it again", a thing added ("and
   * the sample rate?") */
  if (off_marks_found(p) ||
      (p->more = off_only_language(p) || off_draws_again(p) || off_asks_anew(p) ||
                 off_adds_thing_only(p)))
    return baton__fmt(p->err, p->errlen, OFF_NO_TASK), -1;
  int last = -1, thing = off_thing_task(p);
  p->follows = thing < 0 && off_follows_answer(p);
  if (thing < 0 && !p->follows) /* "classify it" after "how long is talk.wav?": of talk.wav */
    off_set_labels_aside(p);
  if (thing >= 0) /* "and the objects?" after a picture's facts: a task of its own on it */
    p->steps[0] = (step){.a = 0, .b = p->n_tok, .task = thing, .score = p->lx->w[K_ACCEPT]},
    p->n_steps = 1, last = 0;
  for (size_t s = 0; thing < 0 && s < p->n_steps; s++) {
    unsigned produced = 0; /* by the steps before s (one may have given its task to a later) */
    for (const step *e = p->steps; e < p->steps + s; e++) /* (a goal's: past its steps) */
      produced |= e->task >= 0 && (!e->goal || off_spelt_out(p, e, &p->steps[s]))
                  ? p->cues[e->task].spec->outputs : 0;
    step *st = &p->steps[s];
    if (s + 1 < p->n_steps && off_fronted_end(p, st->a) == st->b && st[1].a == st->b + 1)
      st[1].lead = st->a + 1; /* "based on the summary, | edit x.jpg": what it takes */
    if (!st->context && !one_more(p, st, last) && !names_made(p, st) && !sends_away(p, st) &&
        recognise_step(p, s, produced, last))
      last = (int)s;
  }
  int how = last < 0 && thing < 0 ? refused_manner_only(p) : -1;
  if (how >= 0 && recognise_step(p, (size_t)how, 0, -1))
    last = how;
  if (!ask_quoted(p) && last < 0 && !saved_only(p) && !clearest_cue(p) && nothing_planned(p) != 0)
    return -1;
  if (asks_again_first(p)) /* the last request on its files first (plan.c) */
    return baton__fmt(p->err, p->errlen, OFF_NO_TASK), -1;
  hears_first(p);
  unsigned produced = 0; /* (once all are recognised: its words whole, none split off) */
  for (step *st = p->steps; st < p->steps + p->n_steps; st++) {
    st->task = describes_made(p, st, produced) ? p->role[R_CAPTION] : st->task;
    st->task = off_by_choices(p, st, off_res_types(p, false) | produced);
    produced |= st->task >= 0 && !st->goal ? p->cues[st->task].spec->outputs : 0;
  }
  refused_manner(p);
  off_drop_goals(p);
  off_merge_steps(p);
  return 0;
}
