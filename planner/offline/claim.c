/* claim.c — what a recognised step takes for its own: the files it works on, makes or follows. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_claim_resources() takes a step whose task is known and marks the resources it
 * takes (claimed, or only read into text), the file it makes (st->output, "into b.png", "save it
 * as s.mp3", a text read out when it is turned into an audio format) and the pictures it only
 * follows ("like t.png", "t.png as a reference": typed 0, no task takes them). off_model_in()
 * tells a picture to follow from one to work on. Nothing else is changed. */

/* Does the file at token i name what st makes ("into speech (a.wav)", "an audio file 'a.wav'"), not
 * one at hand ("I have an x.wav", "based on a given y.wav", "an image of a cat, z.jpg")? */
static bool names_output(const planner *p, const step *st, size_t i) {
  size_t lo = off_back(i, 4, st->a), k = i;
  while (k > lo && !off_is(p, k - 1, W_MADE_AS))
    k--;
  for (size_t j = off_back(k, 3, st->a); k > lo && j < i; j++) /* "file" next to i: new */
    if (off_is(p, j, W_CONTENT_INTRO) || off_is(p, j, W_GUIDED) ||
        (j + 1 < i && j + 1 != k && off_is(p, j, W_AT_HAND) &&
         !(j + 2 == i && off_is(p, j + 1, W_NAMING)))) /* "a file called i" is "a file i" */
      return off_has_word(p, lo, i, W_DESTINATION); /* at hand, unless "into" */
  return k > lo;
}

/* Does the file at token i name what a joining step makes ("combine them into one file called
 * c.wav", "merge a.wav and b.wav into c.wav"), not one to join ("merge a.wav", "want to merge a.wav
 * and b.wav", "combine a.wav with another file named b.wav", "append it to b.wav", "mix a.wav into
 * b.wav": right after "into", one recording or "them" before it)? */
static bool names_joined(const planner *p, const step *st, size_t i) {
  unsigned type = off_primary_type(p->cues[st->task].spec);
  for (size_t k = i; off_has_word(p, st->a, i, W_JOINING) && k-- > off_back(i, 7, st->a);)
    if (off_is(p, k, W_DESTINATION) || p->tok[k].kind != TK_WORD || off_is(p, k, W_JOINER) ||
        off_is(p, k, W_PREPOSITION) || off_is(p, k, W_JOINING))
      return off_is(p, k, W_DESTINATION) && off_is(p, k, W_PREPOSITION) && /* not "append to" */
             (k + 1 < i || off_count_res(p, st->a, k, type) > 1 ||
              off_has_word(p, st->a, k, W_PLURAL));
  return false;
}

/* Does st name a file of `types` before token k, ahead of any word opening what it writes about
 * ("a guide on how to convert files to mp3", "a story about a boy who turns into a wav", "a post
 * about switching from cds to mp3"; "of" is no such word: "the text of x.png")? Then what follows
 * (an audio format or file after "into") is what st makes of that file. */
static bool names_own_file(const planner *p, const step *st, size_t k, unsigned types) {
  static const off_class subject[] = {W_WH, W_RELATIVE};
  for (size_t j = st->a; j < k; j++)
    if (off_res_at(p, j, types) >= 0)
      return true;
    else if (j > st->a && (off_is_any(p, j, subject, sizeof subject / sizeof *subject) ||
                           (off_is(p, j, W_CONTENT_INTRO) && !off_is(p, j, W_STOPWORD))))
      return false;
  return false;
}

/* "Turn the text on x.png into an mp3", "summarize notes.txt into an mp3": does st turn the text
 * its task makes from a file it names into the audio format at token i? */
static bool voices_format(const planner *p, const step *st, const baton__taskspec *s, size_t i) {
  if (!(off_format_named(p, st, i) & BATON__T_AUDIO))
    return false;
  unsigned read = s->inputs & BATON__T_TEXT ? BATON__T_IMAGE : 0;
  return names_own_file(p, st, i - 1 - off_is(p, i - 1, W_INDEFINITE), s->inputs | read);
}

/* "Summarize notes.txt into s.txt", "transcribe a.wav to a.txt", "write a haiku about x.jpg into
 * h.txt" (the picture read first), "summarize notes.txt into s.mp3" (`voiced`: the text read out):
 * is the text file (or one of `voiced`) at token i what st's task (one text from one input)
 * writes? */
static bool writes_file(const planner *p, const step *st, const baton__taskspec *s, size_t i,
                        unsigned voiced) {
  unsigned read = s->inputs & BATON__T_TEXT ? BATON__T_IMAGE | BATON__T_AUDIO : 0;
  voiced = names_own_file(p, st, i, s->inputs | read) ? voiced : 0;
  return (s->outputs & BATON__T_TEXT) && !off_takes_two_texts(p, s) &&
         off_file_made_into(p, st, i, BATON__T_TEXT | voiced, s->inputs | read, true) >= 0;
}

/* "Save it as a new image": does word i, after "as" and "a" ("new"), name a medium of `types`
 * (a picture, a recording) to save as, no file (lo as for off_saved_name)? */
static bool saved_as_medium(const planner *p, size_t i, unsigned types, size_t lo) {
  size_t d = i;
  while (d > lo && (off_is(p, d - 1, W_FRESH) || p->tok[d - 1].det))
    d--;
  return d < i && p->tok[i].kind == TK_WORD && off_saved_name(p, d, lo) &&
         (((types & BATON__T_IMAGE) && off_is(p, i, W_PICTURE)) ||
          ((types & BATON__T_AUDIO) && off_is(p, i, W_RECORDING)));
}

/* Is there a word of a picture to follow in [a,i) ("in the style of", "similar to", "like")? Not
 * "like" wanted ("I'd like x.jpg ...", "we would like", "I'd really like": past adverbs). */
bool off_model_in(const planner *p, size_t a, size_t i) {
  for (size_t k = a, w; k < i; k++) {
    for (w = k; w > 0 && p->tok[w - 1].kind == TK_WORD &&
                baton__has_suffix_ci(p->tok[w - 1].word, "ly"); w--) /* "really" */
      ;
    if (off_is(p, k, W_MODEL) && (!off_is(p, k, W_ASKING) ||
                                  (w > 0 && !off_is(p, w - 1, W_SUBJECT) &&
                                   !off_is(p, w - 1, W_ASKING) && !off_is(p, w - 1, W_YOU))))
      return true;
  }
  return false;
}

/* "Use t.png as a reference to restyle x.jpg": is the picture at token i one to follow, beside
 * another st names (not "use x.png as the target image domain for image enhancement")? The
 * token of its model word ("reference"), or 0. */
static size_t model_after(const planner *p, const step *st, size_t i) {
  size_t k = i + 1;
  while (k < st->b && (p->tok[k].det || off_is(p, k, W_NAMING)))
    k++;
  return k > i + 1 && k < st->b && off_is(p, i + 1, W_NAMING) && off_is(p, k, W_MODEL) &&
         off_count_res(p, st->a, st->b, BATON__T_IMAGE) > 1 ? k : 0;
}

/* Claims what a step takes: later steps do not count on it ("read x.png ... aloud"), but on what
 * a file's facts step takes ("how long is a.wav and make it louder") and, to change it, on what a
 * task only reading a medium into text read (read: "classify a.wav and make it louder"); a file
 * of a medium it makes, named as new, is its output (one it takes too, or a text, if saved: "save
 * it as b.png", "... in s.txt"; its words end before, as before "save it as a new image"; a
 * recording a text is saved as, the text read out into it). A picture it only follows ("match
 * the style of the target image t.jpg", "t.png as a reference") beside another, one an earlier
 * step made, or one a drawing follows ("draw a picture like t.png") is no input: typed 0. */
void off_claim_resources(planner *p, step *st, const baton__taskspec *s, unsigned before) {
  int t = off_cue_index(p, s);
  unsigned media = BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO; /* a medium read into text, */
  /* (a goal before "First, ..." leaves its file to the steps after it too; so does a question
   * about several: "which of a.jpg and b.jpg is brighter? make the darker one brighter", "which
   * of a.txt and b.txt mentions Sunday? then summarize both") */
  bool keeps = off_tells_facts(p, t) || (st->goal && !off_done_by(p, st->b)) ||
               (off_answers(p, t) && off_asks_files(p, st->a, st->b) &&
                off_count_res(p, st->a, st->b, media | BATON__T_TEXT) > 1);
  bool reads = (s->inputs & media) && !(s->outputs & media) && /* not asked of ("what style is */
               !(s->inputs & BATON__T_TEXT); /* x.jpg? give me ideas to enhance it": no edit) */
  bool own = false, other = (s->outputs & BATON__T_IMAGE) && /* or a drawing's ("draw one */
                            (p->pictures > 1 || (before & BATON__T_IMAGE) || /* like t.png") */
                            !(s->inputs & BATON__T_IMAGE));
  for (size_t i = st->a, lo = st->a, e; other && i < st->b; i++) /* lo: after the picture */
    if (off_res_at(p, i, BATON__T_IMAGE) >= 0) /* before (its "as a reference") */
      e = model_after(p, st, i),
      p->res[p->tok[i].res].type &= e || off_model_in(p, off_back(i, 6, lo), i) ? 0 : ~0u,
      lo = e ? e + 1 : i + 1;
  unsigned made = (s->outputs | (st->speak ? BATON__T_AUDIO : 0)) & ~(unsigned)BATON__T_TEXT;
  unsigned voiced = (s->outputs & BATON__T_TEXT) && !(s->inputs & BATON__T_AUDIO)
                        ? BATON__T_AUDIO : 0; /* the text made, saved as sound: read out */
  for (size_t i = st->a, w = 0; i < st->b; i++, w = 0) {
    if (p->tok[i].kind == TK_RES && p->tok[i].res + 1 == st->output)
      continue; /* what a conversion makes (off_converting_task) */
    for (size_t k = off_back(i, 7, st->a + 2); k < i; k++) /* w: the "save" of "save it as i" */
      w = off_saves_at(p, k) ? k : w;
    size_t c = off_called(p, i, st->a); /* "call the result i", "name it i" */
    w = c ? c - 1 : w; /* named too: "save the result in a file called i", "save it in i" */
    /* "... into s.txt": its words end before "into" where i ends them (not "to f.txt in French") */
    bool into = !w && writes_file(p, st, s, i, voiced);
    bool named = c || into || names_output(p, st, i) || off_saved_name(p, i, st->a + 2);
    bool renamed = i >= st->a + 2 && off_is(p, i - 1, W_NAMING) && /* "a copy of x.png called */
                   p->tok[i - 2].kind == TK_RES; /* y.png": named after what it is made from */
    renamed |= i >= st->a + 2 && off_is(p, i - 1, W_DESTINATION) && /* "blur x.jpg into y.jpg" */
               off_is(p, i - 1, W_PREPOSITION) && !off_model_in(p, st->a, i) &&
               !off_has_word(p, st->a, i, W_JOINING) &&
               off_own_res(p, st->a, i - 1, s->inputs & s->outputs) >= 0;
    w = into && i + 1 == st->b ? i - 1 : w;
    unsigned spoken = w ? voiced : 0; /* "save it as a.wav", "... into a.wav": read out */
    if ((voiced & ~made) && voices_format(p, st, s, i)) /* "turn the text on x.png | into an mp3" */
      st->speak = true, st->b = i + 1 == st->b ? i - 1 - off_is(p, i - 1, W_INDEFINITE) : st->b;
    if (off_res_at(p, i, made | (w || into ? BATON__T_TEXT | BATON__T_JSON | spoken : 0)) >= 0 &&
        (names_joined(p, st, i) || renamed ||
         (named && (w || into || off_res_at(p, i, s->inputs) < 0))))
      p->res[p->tok[i].res].used = true, st->output = p->tok[i].res + 1,
      st->b = w ? w : st->b,
      st->speak |= off_res_at(p, i, spoken & ~made) >= 0; /* the text made, read out */
    else if (off_res_at(p, i, s->inputs) >= 0)
      own = true, p->res[p->tok[i].res].claimed |= !keeps, p->res[p->tok[i].res].read |= reads;
    else if (w && saved_as_medium(p, i, made, st->a + 2) && off_own_res(p, i, st->b, made) < 0)
      st->b = w; /* "draw a cat and save it as a new image" (no file): its words end before */
  }
  unsigned taken = s->inputs & ~(unsigned)BATON__T_TEXT, need = taken ? taken : s->inputs;
  for (size_t i = 0; !own && !(before & need) && i < p->n_res; i++)
    if (!p->res[i].claimed && (p->res[i].type & need) && (int)i + 1 != st->output)
      own = true, p->res[i].claimed = !keeps, p->res[i].read = reads;
}

