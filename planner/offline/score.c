/* score.c — how well a task fits a step: an explicit feature vector weighed by the lexicon's weights. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: task_score() takes a step's tokens, what earlier steps and free resources provide,
 * and a task; it gives sum_i w_i f_i over the features below (weights: lexicon.yaml, fitted by
 * bench/fit_weights.py). off_best_task() picks the best task scoring at least `accept` (of a
 * picture's and a recording's task tied, the medium named last). The features' span tests too. */

/* Types of the resources named in tokens [a,b). */
unsigned off_own_types(const planner *p, size_t a, size_t b) {
  unsigned t = 0;
  for (size_t i = a; i < b; i++)
    t |= p->tok[i].kind == TK_RES ? p->res[p->tok[i].res].type : 0;
  return t;
}

/* Types of all resources, or of those no step took yet (of earlier turns, the newest's: "it"). */
unsigned off_res_types(const planner *p, bool unclaimed) {
  unsigned t = 0;
  for (size_t i = 0; i < p->n_res; i++)
    if (!unclaimed || (!p->res[i].claimed && (!p->res[i].turn || p->res[i].turn == p->last_turn)))
      t |= p->res[i].type;
  return t;
}

unsigned off_read_types(const planner *p, size_t a, size_t b) {
  unsigned t = 0;
  for (size_t i = a; i < b; i++)
    if (off_made_of(p, i, false))
      return 0;
  for (size_t i = 0; i < p->n_res; i++)
    t |= p->res[i].read ? p->res[i].type : 0;
  return t;
}

/* Does s take two texts (passage and question, two sentences)? Inputs [text, text] are one bit. */
bool off_takes_two_texts(const planner *p, const baton__taskspec *s) {
  int t = off_cue_index(p, s);
  return p->role[R_ASK_TEXT] == t || p->role[R_ASK_TABLE] == t || p->role[R_COMPARE_TEXTS] == t;
}

unsigned off_files_said(const planner *p, size_t a, size_t b) {
  unsigned m = 0;
  for (size_t i = a + 1; i < b; i++)
    if (off_is(p, i, W_FILES) && !off_has_word(p, off_back(i, 2, a), i, W_MADE_AS))
      m |= off_format_type(p, i - 1);
  return m;
}

/* Media [a,b) speaks of working on ("the photo", "my video", "the wav files"), not of making
 * ("into an image"). */
unsigned off_said_media(const planner *p, size_t a, size_t b) {
  unsigned m = off_files_said(p, a, b) & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO);
  for (size_t i = a; i < b; i++)
    if (!off_has_word(p, off_back(i, 2, a), i, W_MADE_AS))
      m |= off_is(p, i, W_PICTURE)     ? BATON__T_IMAGE
           : off_is(p, i, W_RECORDING) ? BATON__T_AUDIO
           : off_is(p, i, W_MOVING) && off_has_word(p, off_back(i, 3, a), i, W_DEFINITE)
               ? BATON__T_VIDEO : 0;
  return m;
}

/* "Is it possible to crop it", "are you able to upscale x.jpg", "is there a way to ...", "is it
 * possible for you to ...": does the yes/no question opening at i ask for the task after "to" (a
 * word of able three words on; not "is it possible to see a dog in x.jpg")? */
static bool asks_for_task(const planner *p, size_t i, size_t b) {
  bool asks = false;
  for (size_t j = i + 1; off_is(p, i, W_YES_NO) && j + 2 < b && j <= i + 3 && !asks; j++) {
    size_t to = j + 1 + 2 * (j + 4 < b && off_is(p, j + 1, W_PREPOSITION) &&
                             off_is(p, j + 2, W_SPEAKER)); /* "for you | to" */
    asks = off_is(p, j, W_ABLE) && off_is(p, to, W_PURPOSE) && !off_is(p, to + 1, W_PERCEIVING);
  }
  return asks;
}

/* Is a file of the request's own given with it, named nowhere in its words ("is it right?" with
 * sign.png; not "caption x.jpg. did it work" with x.jpg given too)? */
static bool file_given(const planner *p) {
  bool named[OFF_MAX_RES] = {false}, given = false;
  for (size_t k = 0; k < p->n_tok; k++)
    if (p->tok[k].kind == TK_RES)
      named[p->tok[k].res] = true;
  for (size_t r = 0; r < p->n_res && !given; r++) {
    given = p->res[r].is_file && !p->res[r].turn && !named[r];
    for (size_t q = 0; given && q < p->n_res; q++)
      given = !(named[q] && !strcmp(p->res[q].value, p->res[r].value));
  }
  return given;
}

/* "Is that fine", "did it work", "are you sure", "what do you mean", "how did you do that": is the
 * question at [i,b) small talk about the exchange, every word one of it or of asking and pointing
 * ("is it long", "what is it" ask of a thing; "mean" only after "you": "what does it mean" asks of
 * it), no file given (the question asks of it)? */
static bool small_talk(const planner *p, size_t i, size_t b) {
  bool talk = false, only = true, you = false, meant = false;
  for (size_t k = i; k < b && only; k++) {
    talk |= off_is(p, k, W_EXCHANGE);
    you |= off_is(p, k, W_YOU);
    meant |= off_is(p, k, W_MEANING);
    only = off_is(p, k, W_EXCHANGE) || off_points_only(p, k, k + 1);
  }
  return talk && only && (you || !meant) && !file_given(p);
}

bool off_points_only(const planner *p, size_t a, size_t b) {
  static const off_class plain[] = {W_IS_ARE,      W_WH, W_DEFINITE, W_REFERENCE,
                                    W_PREPOSITION, W_US, W_MEANING};
  bool only = true;
  for (size_t k = a; k < b && only; k++)
    only = p->tok[k].kind == TK_PUNCT || off_is_any(p, k, plain, sizeof plain / sizeof *plain);
  return only;
}

/* Is [a,b) a question as written: a question word first (or after a ',', ':' or '.': "a.jpg and
 * b.jpg. | Which one is better?", asks_of_listed), '?' right after ("what is in it?"); or the
 * request's last sentence, opening with "is", "are", "does", "any" (after "hey,"), or a question
 * word and one of "is", "do", "did", its '?' left off ("is there a dog in x.jpg", "are a.jpg and
 * b.jpg the same picture", "what did they say about the budget", "any people"); after an earlier
 * turn, a request of one sentence opening with a question word and naming something, not "you"
 * nor the job ("who wrote it", "which day"; not "why", "what can you do", "how long did it
 * take"); not one asking for a task ("is it possible to crop it?") nor small talk ("is that
 * fine?")? */
bool off_is_question(const planner *p, size_t a, size_t b) {
  size_t i = a; /* "according to x.txt, | does it ...?", "the question is: | how many ...?"; */
  while (i < b && !((i == a || off_punct(p, i - 1, ",:.")) && /* "which is brighter, | a.jpg or */
                    (off_is(p, i, W_WH) || off_is(p, i, W_IS_ARE) || /* b.jpg?", "any */
                     off_is(p, i, W_YES_NO)))) /* people?" */
    i++;
  bool wh = i < b;
  for (size_t e = b; e < p->n_tok && (off_punct(p, b, ",") || off_is(p, b, W_JOINER)); e++)
    b = off_punct(p, e, ".!?") ? e : b; /* "what date is it, and can you ...?": its sentence's */
  size_t end = b, s = i; /* "hey, | is there ..." */
  while (end < p->n_tok && off_punct(p, end, ".!"))
    end++;
  while (s > 0 && (off_is(p, s - 1, W_LEAD_IN) || off_punct(p, s - 1, ",")))
    s--;
  bool alone = s == 0 && p->last_turn && !off_has_word(p, i, b, W_YOU) && /* "who wrote it" */
               !off_has_word(p, i, b, W_JOB) && !off_points_only(p, i, b);
  bool unmarked = wh && (s == 0 || off_punct(p, s - 1, ".")) && end == p->n_tok &&
                  (off_is(p, i, W_YES_NO) || (off_is(p, i, W_WH) && alone) ||
                   (off_is(p, i, W_WH) && i + 1 < b && off_is(p, i + 1, W_IS_ARE)));
  if (wh && (asks_for_task(p, i, b) || small_talk(p, i, b)))
    return false;
  return (wh && b < p->n_tok && off_punct(p, b, "?")) || unmarked;
}

/* "Which of a.jpg and b.jpg is brighter", "tell me which of them is the longest, a.wav or b.wav",
 * "compare the brightness of a.jpg and b.jpg": does [a,b) ask how two files or more it names
 * compare, a question mark or not ("which", then after "is" (and "the", "much") a comparative:
 * "more", a measure, "-er", "-est"; or "compare the X of")? */
bool off_compares_files(const planner *p, size_t a, size_t b) {
  size_t files = 0;
  bool which = false, compares = false;
  for (size_t i = a; i < b; i++) {
    files += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].is_file;
    which |= off_is(p, i, W_WH);
    size_t k = i + 1 + (i + 2 < b && (off_is(p, i + 1, W_DEFINITE) || off_is(p, i + 1, W_DEGREE)));
    const char *w = k < b ? p->tok[k].word : "";
    bool degree = strlen(w) > 4 && (baton__has_suffix_ci(w, "er") ||
                                    baton__has_suffix_ci(w, "est")); /* "brighter", "loudest" */
    compares |= which && off_is(p, i, W_IS_ARE) && k < b && p->tok[k].kind == TK_WORD &&
                (off_is(p, k, W_MORE) || off_is(p, k, W_MEASURE) || degree);
    compares |= i + 3 < b && off_is(p, i, W_COMPARING) && off_is(p, i + 1, W_DEFINITE) &&
                off_is(p, i + 3, W_CONTENT_INTRO); /* "compare the brightness of" */
  }
  return files > 1 && compares;
}

/* Does [a,b) ask how files it names compare, or is it a question as written? */
bool off_asks_files(const planner *p, size_t a, size_t b) {
  return off_compares_files(p, a, b) || off_is_question(p, a, b);
}

/* "What about b.png?", "and on Sunday?": with an earlier request, the same asked of what the
 * request says. */
bool off_asks_about(const planner *p) {
  size_t n = p->n_tok, i = n > 0 && off_is(p, 0, W_JOINER);
  if (!p->asked || n <= i + 2)
    return false;
  bool more = i && n <= 8 && off_is(p, 1, W_PREPOSITION) && off_punct(p, n - 1, "?");
  for (size_t k = 2; more && k < n; k++) /* not "and in Catalan?", "and in b.txt?" */
    more = p->tok[k].kind != TK_RES && !off_language_at(p, k);
  return more || (off_is(p, i, W_WH) && off_is(p, i + 1, W_CONTENT_INTRO));
}

/* "Is a.txt (written) in French?" asks a file's or earlier result's language: no translation. */
bool off_asks_language(const planner *p, size_t a, size_t b) {
  const char *lang, *from;
  off_find_languages(p, a, b, &lang, &from);
  return lang && off_is(p, a, W_IS_ARE) && !off_has_word(p, a, b, W_TRANSLATING) &&
         !off_has_word(p, a, b, W_AGAIN) && /* not "do the same in Spanish" */
         (off_own_types(p, a, b) || p->last_turn);
}

/* Does [a,b) ask a question of its own: an asking verb before a quoted question ("identify 'Who
 * won?'", "I'd like to know: 'Why?'"), a question word ("figure out who"), "tell me the ..."? */
bool off_asks_question(const planner *p, size_t a, size_t b) {
  for (size_t i = a, v = a; i < b; v = ++i) { /* v: where a quoted question's lead-in starts */
    int r = off_res_at(p, i, BATON__T_TEXT);
    bool tell = off_is(p, i, W_TELL), quoted = r >= 0 && p->res[r].asked;
    while (quoted && v > a && off_punct(p, v - 1, ",:-"))
      v--;
    size_t obj = i + 1 + (tell && i + 1 < b && off_is(p, i + 1, W_US)); /* "tell me | the ..." */
    bool asked = quoted || off_is(p, i, W_WH) || off_is(p, i, W_UNSURE); /* "check if ..." */
    if ((asked && v > a && off_is(p, v - 1, W_ASK_VERB)) ||
        ((tell || off_is(p, i, W_KNOW)) && obj < b && obj > i + tell && p->tok[obj].det &&
         !(obj + 1 < b && off_is(p, obj + 1, W_MADE_THING) && /* not "find out the answer" */
           !baton__has_suffix_ci(p->tok[obj + 1].word, "ed")))) /* "the identified objects" */
      return true;
  }
  return false;
}

/* Is the resource a passage to answer questions from: a text file, an earlier turn's text, or a
 * quote of eight words or more that is no question ("The car is blue." is one to compare)? */
bool off_is_passage(const resource *r) {
  size_t words = 1;
  for (const char *c = r->value; *c; c++)
    words += *c == ' ';
  return (r->type & BATON__T_TEXT) && (r->is_file || r->turn || (!r->asked && words >= 8));
}

/* Is token i a quote giving the instruction ("my instruction: 'Add reverb.'"), not a text to work
 * on? */
static bool instruction_quote(const planner *p, size_t i, size_t a) {
  size_t k = i > a && off_punct(p, i - 1, ":") ? i - 1 : i;
  return !p->res[p->tok[i].res].is_file && k > a && off_is(p, k - 1, W_INSTRUCTION);
}

/* Types of the resources named in [a,b) but those it is to be saved as ("describe it and save it
 * as d.txt": no text to work on), and (`told`) quotes giving the instruction. */
static unsigned kept_types(const planner *p, size_t a, size_t b, bool told) {
  unsigned kept = 0;
  for (size_t i = a; i < b; i++)
    kept |= p->tok[i].kind == TK_RES && !off_saved_name(p, i, a) &&
                    (told || !instruction_quote(p, i, a)) ? p->res[p->tok[i].res].type : 0;
  return kept;
}

/* Is [a,b) a verb and "it" alone ("and caption it", "..., please")? */
static bool reads_it(const planner *p, size_t a, size_t b) {
  while (b > a + 2 && (off_is(p, b - 1, W_ASKING) || off_punct(p, b - 1, ",.!?")))
    b--;
  return a + 2 == b && off_is(p, a + 1, W_REFERENCE);
}

/* "Compare a.jpg and b.jpg": does a comparison name the two things it compares (pictures and
 * recordings among them read into text), not as a question ("what is the difference between
 * a.jpg and b.jpg?" is asked of each), nor a file it saves to ("... and save it as r.txt"), nor
 * in a sentence naming a picture or recording ("... side by side in one image")? */
static bool names_pair(const planner *p, size_t a, size_t b) {
  size_t two = 0, end = b;
  for (size_t i = a; i < b; i++)
    two += off_res_at(p, i, BATON__T_TEXT | BATON__T_IMAGE | BATON__T_AUDIO) >= 0 &&
           !off_saved_name(p, i, a);
  if (two != 2 || off_is_question(p, a, b))
    return false;
  while (end < p->n_tok && !off_punct(p, end, ".!?;"))
    end++;
  return !(off_said_media(p, a, end) & (BATON__T_IMAGE | BATON__T_AUDIO));
}

/* Task t's weighted feature sum for tokens [a,b) given avail (types earlier tasks or unclaimed
 * resources provide) and kept (kept_types; [0] without instruction quotes, for a task taking an
 * instruction and no text: not "check the grammar of my instructions: 'Q'"), 0 if the keywords
 * (their score: *kw_out) say too little. */
static double task_score(const planner *p, size_t a, size_t b, unsigned avail,
                         const unsigned kept[2], size_t t, double *kw_out) {
  double kw = *kw_out = off_keyword_score(p, &p->cues[t], a, b), sc = 0;
  if (kw < p->lx->w[K_MIN_KEYWORD])
    return 0;
  const baton__taskspec *s = p->cues[t].spec;
  double f[F_N] = {[F_KEYWORD] = kw, [F_DESCRIPTION] = off_description_score(p, &p->cues[t], a, b)};
  /* A file of a medium the task makes names its output where the words name the making ("create a
   * video x.mp4", not "the video x.mp4"); a text is one to work on ("draw what notes.txt says"). */
  unsigned media_in = s->inputs & ~(unsigned)BATON__T_TEXT;
  unsigned made = s->outputs & ~media_in & ~(unsigned)BATON__T_TEXT;
  unsigned named = kw > p->lx->w[K_CLEAR_KEYWORD] ? made : 0; /* "create a video x.mp4" */
  unsigned said = off_said_media(p, a, b), video = said & off_res_types(p, false) & ~named;
  bool at_hand = false; /* "I have a video x.mp4", "the video x.mp4": none to make */
  for (size_t i = a, lo = a; i < b && !at_hand; lo = off_back(++i, 5, a))
    at_hand = off_res_at(p, i, made) >= 0 &&
              (off_has_word(p, lo, i, W_AT_HAND) || off_has_word(p, lo, i, W_DEFINITE));
  bool told = !(s->inputs & BATON__T_TEXT) && baton__csv_has(s->params, "instruction");
  unsigned own = (kept[!told] & ~(at_hand ? named : made)) | (video & BATON__T_VIDEO);
  /* a file a step before only read is not elsewhere to a task changing it ("transcribe a.wav and
   * make it louder") or reading it on its own, as "it" ("classify x.jpg and caption it") */
  bool it = !(s->inputs & BATON__T_TEXT) && reads_it(p, a, b);
  unsigned read = s->inputs == s->outputs || it ? off_read_types(p, a, b) : 0;
  unsigned avail_it = avail | (it ? read : 0); /* "classify it": the photo */
  if (media_in && !((own | avail | read) & media_in))
    f[(off_res_types(p, false) & media_in) ? F_MEDIA_ELSEWHERE : F_NO_MEDIA] = 1;
  bool pair = off_is_role(p, (int)t, R_COMPARE_TEXTS) && names_pair(p, a, b);
  if (s->inputs & own)
    f[F_OWN_INPUT] = 1;
  else if (s->inputs == BATON__T_TEXT && !(own & BATON__T_VIDEO) && /* a video is not read */
           (own & ~s->outputs & (BATON__T_IMAGE | BATON__T_AUDIO)))
    f[F_OWN_READABLE] = !pair && !(s->outputs & BATON__T_TEXT); /* a transcript is summarized,
                                                                  * not spoken */
  else if (own || (avail_it & s->inputs))
    f[own ? F_OWN_OTHER : (avail_it & media_in) ? F_AVAIL_MEDIA : F_AVAIL_INPUT] = 1;
  f[F_NO_PASSAGE] = off_takes_two_texts(p, s) && !pair && !((own | avail) & BATON__T_TEXT);
  said &= ~(unsigned)BATON__T_VIDEO;
  if (!own && media_in && (said == BATON__T_IMAGE || said == BATON__T_AUDIO))
    f[(said & media_in) ? F_SAID_MEDIUM : F_SAID_OTHER_MEDIUM] = 1;
  f[F_MOVING_DRAWN] = off_is_role(p, (int)t, R_DRAW) && off_has_word(p, a, b, W_MOVING);
  f[F_NO_MODEL] = !p->cues[t].runnable && kw < p->lx->w[K_CLEAR_KEYWORD]; /* unless named clearly */
  for (int i = 0; i < F_N; i++)
    sc += p->lx->w[i] * f[i];
  return sc;
}

/* The highest of scores[] whose keywords say enough, -1 if none; less the no_model term when
 * `lenient`; not task `skip`, only tasks taking `needs`. */
static int highest(const planner *p, const double *scores, const double *kws, bool lenient,
                   int skip, unsigned needs, double *best_s) {
  int best = -1;
  *best_s = 0;
  for (size_t t = 0; t < p->n_cues; t++) {
    bool no_model = lenient && !p->cues[t].runnable && kws[t] < p->lx->w[K_CLEAR_KEYWORD];
    double s = scores[t] - (no_model ? p->lx->w[F_NO_MODEL] : 0);
    if ((int)t != skip && (p->cues[t].spec->inputs & needs) == needs &&
        kws[t] >= p->lx->w[K_MIN_KEYWORD] && s > *best_s + 1e-9)
      *best_s = s, best = (int)t;
  }
  return best;
}

/* "A description of it in French": the task, not `skip`, writing text whose one-word cue names the
 * thing made of something in [a,b) ("a description | of"), scoring at least `accept` there; or
 * -1. Its text then rides along into the language (emit_step). */
static int made_noun_task(const planner *p, size_t a, size_t b, const double *scores,
                          const double *kws, int skip) {
  int best = -1;
  for (size_t i = a; i < b; i++)
    for (size_t t = 0; off_made_of(p, i, true) && t < p->n_cues; t++)
      if ((int)t != skip && (p->cues[t].spec->outputs & BATON__T_TEXT) &&
          kws[t] >= p->lx->w[K_MIN_KEYWORD] && scores[t] >= p->lx->w[K_ACCEPT] &&
          off_cue_word(p, &p->cues[t], i) && (best < 0 || scores[t] > scores[best]))
        best = (int)t;
  return best;
}

int off_best_task_min(const planner *p, size_t a, size_t b, unsigned avail, double min,
                      int exclude, double *score_out) {
  double best_s, second_s, scores[OFF_MAX_TASKSPECS], kws[OFF_MAX_TASKSPECS];
  unsigned kept[2] = {kept_types(p, a, b, false), kept_types(p, a, b, true)};
  for (size_t t = 0; t < p->n_cues; t++)
    scores[t] = (int)t == exclude ? (kws[t] = 0) : task_score(p, a, b, avail, kept, t, &kws[t]);
  int best = highest(p, scores, kws, false, -1, 0, &best_s);
  if (best < 0 || best_s < min) /* nothing that can run fits: what fits */
    best = highest(p, scores, kws, true, -1, 0, &best_s);
  unsigned m = 0, media = BATON__T_IMAGE | BATON__T_AUDIO; /* the one named last in the sentence */
  for (size_t i = b; best >= 0 && !m && i-- > 0 && !off_punct(p, i, ".!?");)
    m = (off_own_types(p, i, i + 1) | off_said_media(p, i, i + 1)) & media;
  for (size_t t = 0; m && t < p->n_cues; t++) /* a picture's and a recording's task tie: m wins */
    if (scores[t] > scores[best] - 1e-9 && (p->cues[t].spec->inputs & m) &&
        (p->cues[best].spec->inputs & media & ~m))
      best = (int)t;
  /* "Summarise X in Spanish": a translation rides along (emit_step adds it) and the verb, if its
   * task takes text, decides the step ("convert the image category into French" is no restyle). */
  bool translate = off_is_role(p, best, R_TRANSLATE);
  bool rides = translate && !off_has_word(p, a, b, W_TRANSLATING);
  for (size_t i = a; translate && !rides && i < b; i++) /* "translate the summary of x.txt ..." */
    rides = off_made_of(p, i, true) || /* "... the English summary of x.txt into French" */
            (i > a && p->tok[i - 1].det && off_version_at(p, i) && off_is(p, i + 1, W_MADE_THING));
  int second = rides ? highest(p, scores, kws, false, best, BATON__T_TEXT, &second_s) : -1;
  if (second >= 0 && kws[second] >= p->lx->w[K_VERB_KEYWORD])
    best = second, best_s = second_s;
  else if (translate && !off_has_word(p, a, b, W_TRANSLATING) &&
           (second = made_noun_task(p, a, b, scores, kws, best)) >= 0)
    best = second, best_s = scores[second]; /* "a description of it in French" */
  return *score_out = best_s, best >= 0 && best_s < min ? -1 : best;
}
