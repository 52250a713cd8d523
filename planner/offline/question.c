/* question.c — the task of a question a step puts: asked of a text, a picture, a recording. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_question_task() is given step s of p->steps, one naming no task (or a question
 * the recognised task may not answer), the types the steps before it make (produced) and whether
 * a step before it asked for anything; it returns the task answering the question the step puts:
 * of a text made or named, of a picture (the one made by the step before when the question points
 * at it: "make x.jpg brighter. Is it still blurry?"), of a recording (heard first); what a text,
 * picture or recording says or is about (a summary, a caption, a transcript); what a picture holds
 * (a detector: "tell me the objects in x.jpg"); or -1 when the step puts no question. It changes
 * nothing but the end of the step before when that step reads a document and takes the question
 * as its own. off_asks_sound() tells recognise.c a question of how a recording sounds. */

/* Is there a text a step before st made, or a passage to answer from? */
static bool passage_before(const planner *p, const step *st) {
  bool passage = false;
  for (const step *m = p->steps; m < st; m++)
    passage |= m->task >= 0 && (p->cues[m->task].spec->outputs & BATON__T_TEXT);
  for (size_t i = 0; i < p->n_res && !passage; i++)
    passage = off_is_passage(&p->res[i]);
  return passage;
}

/* "Rotate x.jpg, then tell me what is in it (in the new image)": does st, naming no file, point
 * at a picture a step before made (not "its class", "do this", "suggest changes based on them")? */
static bool of_made_picture(const planner *p, const step *st, unsigned produced) {
  bool made = false;
  for (size_t i = st->a; !made && (produced & BATON__T_IMAGE) && i < st->b; i++)
    made = (off_is(p, i, W_REFERENCE) && !p->tok[i].det &&
            !(i >= st->a + 2 && off_is(p, i - 2, W_GUIDED))) ||
           (i + 1 < st->b && off_made_of(p, i, false) && off_is(p, i + 1, W_PICTURE));
  return made && !off_own_types(p, st->a, st->b);
}

/* "Rotate x.jpg. Is it still blurry?", "... Where was it taken?": is st a question as written
 * opening with its question word (not "how about making it ...?", "is that feasible?", nor one
 * about the job: "is it done yet?", "where is it saved?")? */
static bool own_question(const planner *p, const step *st) {
  bool opens = off_is(p, st->a, W_WH) ||
               (off_is(p, st->a, W_IS_ARE) && !off_has_word(p, st->a, st->b, W_FEASIBLE));
  return opens && !(st->a + 1 < st->b && off_is(p, st->a + 1, W_CONTENT_INTRO)) &&
         !off_has_word(p, st->a, st->b, W_JOB) && off_is_question(p, st->a, st->b);
}

/* "Read x.png. When does it close? Is it open on Sundays?", "This is x.jpg. What is in it? (Read
 * it.)": is st a question asked after a text (or recording) was made, or before any step asks for
 * anything (not "how about 'Hi'?" nor "is that feasible?"; "which of a.jpg and b.jpg" is)? */
static bool asked_of_text(const planner *p, const step *st, unsigned produced, bool asked_before) {
  bool yes_no = off_is(p, st->a, W_IS_ARE) && !off_has_word(p, st->a, st->b, W_FEASIBLE);
  bool intro = st->a + 1 < st->b && off_is(p, st->a + 1, W_CONTENT_INTRO); /* "what about" */
  size_t o = st->a; /* "a.jpg and b.jpg. | Which one is better?" (asks_of_listed) */
  while (o + 1 < st->b && !off_punct(p, o, "."))
    o++;
  return ((produced & (BATON__T_TEXT | BATON__T_AUDIO)) || !asked_before) &&
         (off_is(p, st->a, W_WH) || (o + 1 < st->b && off_is(p, o + 1, W_WH)) || yes_no) &&
         (!intro || off_count_res(p, st->a, st->b, ~0u) > 1);
}

bool off_asks_sound(const planner *p, const step *st) {
  size_t end = off_words_end(p, st->a, st->b);
  size_t v = end - (end > st->a + 3 && off_is(p, end - 1, W_MODEL)); /* "... sound | like" */
  unsigned of = off_own_types(p, st->a, st->b);
  of = of ? of : off_res_types(p, false); /* "I have a.wav. How does the man sound?" */
  return v > st->a + 2 && off_is(p, st->a, W_WH) && off_is(p, st->a + 1, W_IS_ARE) &&
         of == BATON__T_AUDIO && off_is(p, v - 1, W_SOUNDING);
}

/* "Tell me the objects in x.jpg", "I want to know all the objects in it", "let me know the things
 * in the photo": does st ask to be told (or to know) what a picture holds, in words for things in
 * general right after "tell me" or "know" (determiners between), a preposition and the picture
 * (its file, "it", "the photo") ending it? A detector finds them. */
static bool asks_contents(const planner *p, const step *st) {
  size_t end = off_words_end(p, st->a, st->b);
  for (size_t i = st->a + 2; i + 2 < end; i++) {
    size_t k = i - 1, at = i + 2 + (p->tok[i + 2].det && i + 3 < end);
    while (k > st->a && p->tok[k].det)
      k--;
    bool told = off_is(p, k, W_KNOW) ||
                (k > st->a && off_is(p, k, W_US) && off_is(p, k - 1, W_TELL));
    if (off_is(p, i, W_CONTENTS) && told && off_is(p, i + 1, W_PREPOSITION) && at + 1 == end &&
        (off_res_at(p, at, BATON__T_IMAGE) >= 0 || off_is(p, at, W_REFERENCE) ||
         (at > i + 2 && off_is(p, at, W_PICTURE))))
      return true;
  }
  return false;
}

/* No task named but a question ("is there a dog in x.jpg?", "find the author of x.png" alone): of
 * the step before if it answers questions and puts none ("I have a document scan.png; I'd like to
 * know its date"), else of a picture (one its words speak of; with one question, the last named or
 * made) or a passage at hand; "what x.png (a.wav) says (in ...)" reads (transcribes) it, "what
 * a.wav is about" sums up what it says; the things a picture holds are detected (asks_contents).
 * Its task, or -1. */
int off_question_task(planner *p, size_t s, unsigned produced, bool asked_before) {
  step *st = &p->steps[s], *e = s > 0 ? &p->steps[s - 1] : NULL;
  unsigned own = off_own_types(p, st->a, st->b), newest = off_res_types(p, true);
  unsigned of = own ? own : newest ? newest : off_said_media(p, st->a, st->b); /* "the recording" */
  size_t end = st->b - 1; /* "(tell me) what sign.png says", "what is photo.jpg about?" */
  while (end > st->a && p->tok[end].kind == TK_PUNCT)
    end--; /* "what does sign.png say, and ..." */
  bool said = st->a + 1 < end && off_is(p, st->a, W_WH) && off_is(p, st->a + 1, W_IS_ARE);
  for (size_t i = st->a + 2; said && i + 1 < end; i++) /* "what does he say | in the end?" */
    if (off_is(p, i, W_ALOUD) && off_is(p, i + 1, W_PREPOSITION)) {
      end = i;
      break;
    }
  int file = off_own_res(p, st->a, st->b, BATON__T_TEXT); /* "what does notes.txt say?" */
  int asked = !off_has_word(p, st->a, end, W_WH) ||
              !(off_is(p, end, W_ALOUD) || off_is(p, end, W_CONTENT_INTRO)) ? -1
              : of & BATON__T_IMAGE ? p->role[R_CAPTION]
              : (own | newest) & of & (BATON__T_TEXT | BATON__T_AUDIO) &&
                    ((off_is(p, end, W_CONTENT_INTRO) && !(of == BATON__T_AUDIO &&
                                                           off_is(p, end, W_UTTERING))) ||
                     file >= 0) /* not "what talk.wav says": heard */
                  ? p->role[R_SUMMARIZE] /* "what is notes.txt (talk.wav) about?", "what does
                                          * notes.txt say?" */
              : of & BATON__T_AUDIO ? p->role[R_TRANSCRIBE] : -1;
  bool direct = (p->n_steps == 1 || asked_of_text(p, st, produced, asked_before)) &&
                (off_is_question(p, st->a, st->b) || (p->follows && off_asks_about(p)));
  size_t w = st->a; /* "hey, | what's on x.png" */
  while (w + 1 < st->b && (off_is(p, w, W_LEAD_IN) || off_punct(p, w, ",")))
    w++;
  size_t v = off_past_asking(p, st->a, st->b); /* "can you | tell me", "let | me know", */
  v += v + 1 < st->b && off_is(p, v, W_US);     /* not "can you help me analyze it" */
  bool put = direct || off_is(p, st->a, W_ASK_VERB) ||
             (v < st->b && (off_is(p, v, W_TELL) || off_is(p, v, W_KNOW)));
  bool made = (put || own_question(p, st)) && of_made_picture(p, st, produced);
  bool sought = direct || made || (own && p->n_steps == 1 &&
                           (off_has_word(p, st->a, st->b, W_ASK_VERB) || off_is(p, w, W_WH)));
  for (size_t i = st->a; asked < 0 && off_is(p, st->a, W_WH) && i + 2 < st->b; i++)
    if (off_word_for(p, i))
      return p->role[R_TRANSLATE]; /* "what's the German word for cat(?)" */
  if (asked >= 0 || (off_asks_about(p) && !p->follows) ||
      (!sought && !off_asks_question(p, st->a, st->b)))
    return asked;
  size_t q = st->a; /* "what does 'gracias' mean?": the quote, then its meaning asked */
  while (q < st->b && (p->tok[q].kind != TK_RES || p->res[p->tok[q].res].is_file))
    q++;
  bool into = q + 2 < st->b && off_is(p, q + 1, W_TARGET_PREP) && off_language_at(p, q + 2);
  if (q < st->b && off_is(p, st->a, W_WH) && (off_has_word(p, q + 1, st->b, W_MEANING) || into))
    return p->role[R_TRANSLATE]; /* not "what is the meaning of 'X'?"; "what is 'X' in English?" */
  /* "is 'a' similar to 'b'?", "are 'a' and 'b' the same?" */
  if (off_count_res(p, st->a, st->b, BATON__T_TEXT) == 2 && off_is(p, st->a, W_IS_ARE) &&
      off_has_word(p, st->a, st->b, W_ALIKE))
    return p->role[R_COMPARE_TEXTS];
  bool last_picture = direct && (newest & BATON__T_IMAGE) && !(newest & BATON__T_TEXT);
  bool before = e && off_is_question(p, e->a, e->b);
  if (e && off_is_role(p, e->task, R_READ_DOCUMENT) && !before)
    return e->b = st->b, -1; /* the step before takes it */
  bool last = !asked_before; /* a last question (but scene-setting), with only a picture */
  for (size_t k = s + 1; last && k < p->n_steps; k++) /* "... The image file is x.jpg." */
    last = p->steps[k].context;
  unsigned at_hand = produced | off_res_types(p, false);
  bool quoted = false; /* "I want to know 'What color is it?' and ...": a question put in quotes */
  for (size_t i = st->a; i < st->b; i++)
    quoted |= p->tok[i].kind == TK_RES && p->res[p->tok[i].res].asked;
  bool passage = passage_before(p, st);
  bool picture = (at_hand & BATON__T_IMAGE) && (off_asks_about_picture(p, st) || made ||
                 p->image_kind == IMG_DOCUMENT || (last && at_hand == BATON__T_IMAGE) ||
                 (p->image_kind == IMG_TABLE && off_has_word(p, st->a, st->b, W_WH)) ||
                 (quoted && !passage));
  /* "what did they say?" of a recording: its own or one at hand ("clean a.wav. What do they
   * say?", "..., then tell me what it is about"); its transcript answers */
  bool heard = (own & BATON__T_AUDIO) || (put && (at_hand & BATON__T_AUDIO));
  if (picture && asks_contents(p, st))
    return p->role[R_DETECT];
  return picture || passage || heard || last_picture
             ? p->role[last_picture ? R_ASK_PICTURE : R_ASK_TEXT] : -1; /* visual: see rewrite.c */
}

