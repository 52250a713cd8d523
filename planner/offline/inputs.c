/* inputs.c — where a step's main input comes from: its own file, an earlier task, or its words. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: off_choose_input() takes a recognised step (a copy of its task) and gives where its
 * main input comes from (a source): the step's own resource, else the nearest earlier task making
 * that type (off_named_producer: one the step names by its kind first), else an unused resource
 * (off_first_unused: the request's first, else earlier turns' newest, labels and texts made from
 * others set aside), bridging a picture or recording to text as needed (a reader emitted through
 * off_emit_task, a part named cut first: off_cut_part), else the words the step works on or makes
 * something of. It marks the resources it takes used and emits no task but those readers and cuts.
 * Nothing fits: 1, err says what the task needs (off_needs_input); only what a step left out
 * before would have made: 2, p->gone says which. */


/* "Transcribe the first 2 seconds of talk.wav", "classify the last minute of it", "what does it say
 * from 0:10 to 0:20?", "summarize the second half of talk.wav": a task hearing a recording (making
 * none), or reading its words, that names its first or last seconds or minutes (a number between),
 * a share, or a time a part starts, hears that part, cut from `in` first (the cutter reads which
 * from the step's words); the cut's id, -1 if none, -2 on error. */
int off_cut_part(planner *p, const step *st, const source *in, bool heard) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  if ((!heard && off_primary_type(spec) != BATON__T_AUDIO) || (spec->outputs & BATON__T_AUDIO))
    return -1;
  bool part = false;
  for (size_t i = st->a + 1; !part && i < st->b; i++)
    part = off_names_part(p, st->a, i) || off_time_from(p, i, st->b);
  if (!part)
    return -1;
  int id = off_emit_task(p, st, p->role[R_CHANGE_SOUND], in, -1, NULL, NULL);
  return id < 0 ? -2 : id;
}

int off_read_file(planner *p, const step *st, int r, bool heard, source *src) {
  int task = heard ? p->role[R_TRANSCRIBE] : off_reader_task(p, p->role[R_CAPTION], r);
  source in = {r, -1, NULL}; /* a document reader also takes the step's words as its question */
  int cut = heard ? off_cut_part(p, st, &in, true) : -1;
  if (cut < -1)
    return -1;
  in = cut >= 0 ? (source){-1, cut, NULL} : in;
  p->res[r].used = true, src->ref = off_emit_task(p, st, task, &in, -1, NULL, NULL);
  return src->ref < 0 ? -1 : (p->res[r].reader = src->ref + 1, 1);
}

int off_asked_aloud(const planner *p) {
  for (size_t r = 0; r < p->n_res; r++)
    if ((p->res[r].type & BATON__T_AUDIO) && p->res[r].kind == AUD_QUESTION && !p->res[r].used)
      return (int)r;
  return -1;
}

/* "Caption b.jpg and blur it", "clean up b.wav and summarize it": has the request named a picture
 * or recording of `types` before st, or a task made one? Then an earlier turn's is older than what
 * st points at. */
static bool own_before(const planner *p, const step *st, unsigned types) {
  return off_own_res(p, 0, st->a, types) >= 0 || off_nearest_producer(p, types) >= 0;
}

/* Bridges a picture or recording (types) to text into src->ref, reading the step's own, else (not
 * own_only) the nearest before it ("distill the essence of it" after "a recording x.wav"), else the
 * first after it, else the caller's inputs (no earlier turn's after the request's own: own_before).
 * 1: a reader made, 0: nothing to read, -1: error. */
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
              : near < 0 ? off_first_unused(p, st, type)
              : !skip && (p->res[near].type & type) ? near : -1;
      if (r < 0 || (pass == 0 && p->res[r].used) || /* read already: its text is at hand */
          (p->res[r].turn && own_before(p, st, types)))
        continue;
      return off_read_file(p, st, r, k, src);
    }
  return 0;
}

/* An earlier turn's file of `types` st names by its name without the extension ("read the sign
 * aloud" after a turn on sign.png; not one a task made: "draw a car" after car.png was drawn; not
 * "a photo" after photo.jpg: a new one), or -1. */
static int named_by_stem(const planner *p, const step *st, unsigned types) {
  for (size_t r = 0; p->last_turn && r < p->n_res; r++) {
    const resource *x = &p->res[r];
    if (!x->turn || !x->is_file || x->maker || !(x->type & types))
      continue;
    const char *slash = strrchr(x->value, '/'), *base = slash ? slash + 1 : x->value;
    char word[OFF_MAX_WORD], stem[OFF_MAX_WORD];
    off_make_word(base, strcspn(base, "."), word, stem);
    for (size_t i = st->a; word[0] && i < st->b; i++)
      if (p->tok[i].kind == TK_WORD && strcmp(p->tok[i].word, word) == 0 &&
          !(i > st->a && off_is(p, i - 1, W_INDEFINITE))) /* "make it a photo": a new one */
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
  if (!words || !(content || !span))
    return span ? NULL : off_task_words(p, st->a, st->b);
  /* a word resuming the talk opens the step, not a text after "translate": "translate well done" */
  return a == st->a ? off_task_words(p, a, b) : off_span_text(p, a, b);
}

/* Does token i (not before a) introduce what a thing is of or from: "of", "about", "based on"? */
static bool introduces(const planner *p, size_t a, size_t i) {
  return off_is(p, i, W_CONTENT_INTRO) ||
         (i > a && off_is(p, i, W_PREPOSITION) && off_is(p, i - 1, W_GUIDED));
}

/* "A video about that idea", "encapsulating that revelation": is token i a demonstrative before a
 * thing, after a preposition or a verb's "-ing" (not a relative "that": "a dog that barks", "a
 * recording that says hi", the "-ing" word a noun after a determiner)? */
static bool that_thing(const planner *p, const step *st, size_t i) {
  return i > st->a && i + 1 < st->b && off_is(p, i, W_DEMONSTRATIVE) &&
         p->tok[i + 1].kind == TK_WORD && !off_is(p, i + 1, W_STOPWORD) &&
         (off_is(p, i - 1, W_PREPOSITION) || off_is(p, i - 1, W_CONTENT_INTRO) ||
          (off_ing_word(p->tok[i - 1].word) && i - 1 > st->a && !p->tok[i - 2].det));
}

bool off_points_back(const planner *p, const step *st, bool *asked_of) {
  bool has_ref = st->fed || st->lead || off_is(p, st->b - 1, W_DEMONSTRATIVE);
  *asked_of = off_answers(p, st->task) && (off_is_question(p, st->a, st->b) ||
                                           off_is(p, st->a, W_WH));
  for (size_t i = st->a; i < st->b; i++) /* "it", "based on that text with more detail", "the |
                                          * text translated into French" */
    has_ref = has_ref || p->tok[i].skip || off_is(p, i, W_REFERENCE) ||
              (off_participle_thing(p, i) && off_is(p, i - 1, W_DEFINITE)) ||
              (i + 2 < st->b && off_is(p, i, W_GUIDED) && off_is(p, i + 1, W_PREPOSITION) &&
               off_is(p, i + 2, W_DEMONSTRATIVE)) || that_thing(p, st, i),
    *asked_of |= i > st->a && off_is(p, i, W_ORIGINAL) && off_is(p, i - 1, W_DEFINITE);
  size_t k = st->b; /* "an audio version of that text", "... of the same", "based on the text" */
  while (k > st->a && (off_is(p, k - 1, W_STOPWORD) || off_is(p, k - 1, W_PICTURE) ||
                       off_is(p, k - 1, W_RECORDING) || off_is(p, k - 1, W_TABLE) ||
                       off_is(p, k - 1, W_AGAIN)) && !introduces(p, st->a, k - 1))
    k--;
  return has_ref || (k > st->a && k < st->b && (off_is(p, k, W_DEMONSTRATIVE) || /* named before */
         ((introduces(p, st->a, k - 1) || k == st->a + 1) && off_is(p, k, W_DEFINITE))));
}

/* The newest task changing resource r into another of `type` (r's own medium), or the last one
 * changing what it made in turn ("make it brighter, then blur the background"); or -1. */
static int changed_from(const planner *p, unsigned type, int r) {
  int c = -1;
  for (size_t k = 0; k < p->g->n; k++)
    for (size_t j = 0; (p->made[k]->inputs & p->made[k]->outputs & type) &&
                       j < p->g->tasks[k].n_args; j++) {
      const baton__arg *a = &p->g->tasks[k].args[j];
      c = a->ref < 0 ? (a->value && !strcmp(a->value, p->res[r].value) ? (int)k : c)
                     : (c >= 0 && a->ref == c ? (int)k : c);
    }
  return c;
}

/* Is there a video the user has that no task took (baton reads none)? */
static bool user_video(const planner *p) {
  bool video = false; /* one the user has, not one to make ("create a video v.mp4") */
  for (size_t i = 0; i < p->n_res; i++)
    video |= (p->res[i].type & BATON__T_VIDEO) && !p->res[i].turn && !p->res[i].used;
  return video;
}

/* Is token i a word saying to read aloud ("read that out loud")? */
static bool aloud_word(const planner *p, size_t i) {
  static const off_class aloud[] = {W_DEMONSTRATIVE, W_READING, W_ALOUD, W_OUT_LOUD};
  return off_is_any(p, i, aloud, sizeof aloud / sizeof *aloud);
}

/* Do the words [a, b) only say to read aloud ("read aloud", "read that out loud")? */
static bool only_aloud(const planner *p, size_t a, size_t b) {
  while (a < b && (p->tok[a].kind == TK_PUNCT || aloud_word(p, a)))
    a++;
  return a == b;
}

/* The step's words as a text (not a lone verb: "summarize", nor one and what it points at:
 * "summarize it", nor words only pointing or saying to read aloud: "read aloud", "read it aloud",
 * "read that out loud", with nothing at hand), unless they point at what baton cannot read from
 * the user's video ("it", "the transcribed text"); malloc'd, or NULL. */
static char *step_words(const planner *p, const step *st, bool has_ref) {
  static const off_class pointing[] = {W_REFERENCE, W_PLURAL, W_ASKING, W_JOINER, W_RESUMING};
  size_t said = 0, own = 0; /* words past those pointing (own: and "that", "read", "aloud") */
  for (size_t i = st->a; i < st->b; i++) {
    bool word = p->tok[i].kind != TK_PUNCT &&
                !off_is_any(p, i, pointing, sizeof pointing / sizeof *pointing);
    said += word, own += word && !aloud_word(p, i);
  }
  if ((has_ref && said <= 1) || !own)
    return NULL;
  bool ref = has_ref;
  for (size_t i = st->a + 1; i < st->b; i++)
    ref |= p->tok[i - 1].det && baton__has_suffix_ci(p->tok[i].word, "ed");
  bool video = ref && user_video(p);
  bool bare = off_is_role(p, st->task, R_TRANSLATE); /* not "translated into English" alone */
  return st->b > st->a + 1 && !video ? own_words(p, st, bare) : NULL;
}

/* Does the word at i say how words are said ("loud", "aloud", "loudly"; not "say")? */
static bool says_how(const planner *p, size_t i) {
  return (off_is(p, i, W_ALOUD) && !off_is(p, i, W_SPEAKING)) || off_is(p, i, W_SAID_HOW);
}

/* 3. What a step making something from words makes it of: the words after "say" ("say hello
 * there | in a deep voice": up to its last preposition; "say hello | (very) loud(ly)", "| aloud"),
 * else those after "of", "about", "saying" or a ':' ("an image of a cat playing piano", "an image:
 * x"; not "about in German", "step 2: read aloud"); NULL if none. */
static char *made_of_words(const planner *p, const step *st) {
  size_t said = off_is_role(p, st->task, R_SPEAK) ? off_words_spoken(p, st->a, st->b) : 0;
  size_t end = st->b;
  for (size_t i = said; said && off_is(p, st->b - 1, W_VOICE) && i + 2 < st->b; i++)
    end = off_is(p, i, W_PREPOSITION) ? i : end;
  end = said ? off_words_end(p, said + 1, end) : end;
  size_t k = end; /* "(out, very) loud", "(very) loudly", "slowly and clearly": none of the words */
  while (said && k > said + 1 && says_how(p, k - 1)) {
    for (k--; k > said && (off_is(p, k - 1, W_OUT_LOUD) || off_is(p, k - 1, W_JOINER));)
      k--;
    end = k > said ? k : end; /* (not "say out loud": those are the words) */
  }
  if (said)
    return off_span_text(p, said, end);
  for (size_t i = st->a; i + 1 < st->b; i++)
    if ((off_is(p, i, W_CONTENT_INTRO) || (off_punct(p, i, ":") && p->req[p->tok[i].end] == ' ')) &&
        (i + 3 != st->b || !off_language_at(p, i + 2)) && !only_aloud(p, i + 1, st->b))
      return off_span_text(p, i + 1, st->b);
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

/* Does word i of st name nothing to make or work on: a pointing, asking or function word (not
 * "the"...: a determiner is the caller's), a language, a lead-in opening it ("hey, ..."), a word
 * of its task's phrases? */
static bool names_nothing(const planner *p, const step *st, size_t i) {
  static const off_class spare[] = {W_PICTURE, W_US, W_YOU, W_SUBJECT, W_ASKING, W_RESUMING,
                                    W_PREPOSITION, W_PURPOSE, W_REFERENCE, W_DEMONSTRATIVE,
                                    W_CAUSATIVE, W_COUNT, W_STOPWORD, W_HANDING, W_CONTENT_INTRO};
  return off_language_at(p, i) ||
         (off_is(p, i, W_LEAD_IN) && (i == st->a || off_punct(p, i - 1, ","))) ||
         off_is_any(p, i, spare, sizeof spare / sizeof *spare) ||
         off_cue_says(&p->cues[st->task], p->tok[i].stem);
}

/* Does st name what it makes ("draw a dog", "write a poem about autumn", "say hello in French";
 * not "now draw me a picture", "can you draw that for me?", "draw what they agreed", "give me the
 * text in French"): a word before any "what" naming something (names_nothing); unless `definite`,
 * not after "the", "its"... ("a video about the lecture", "draw the main character" name a thing
 * a file holds)? */
static bool names_subject(const planner *p, const step *st, bool definite) {
  bool the = false; /* past a definite determiner, before the next determiner */
  for (size_t i = st->a; i < st->b && !off_is(p, i, W_WH); i++)
    if (p->tok[i].det)
      the = !definite && off_is(p, i, W_DEFINITE);
    else if (p->tok[i].kind == TK_WORD && !the && !names_nothing(p, st, i))
      return true;
  return false;
}

/* Is word i of st a piece of writing or a file ("notes", "the article", "my essay", "this file",
 * "the attached file"): with no determiner before it (unless `quoted`: a word to translate or
 * say, "translate book into French", "say notes", nor after "the word"), past a word saying it
 * is attached, or a definite one ("the", "my"; not "a story": one to make)? */
static bool writing_at(const planner *p, const step *st, size_t i, bool quoted) {
  if (!off_is(p, i, W_WRITING) && !off_is(p, i, W_FILES))
    return false;
  size_t j = i > st->a && off_is(p, i - 1, W_ATTACHED) ? i - 1 : i;
  bool bare = j == st->a || !p->tok[j - 1].det;
  bool word = j == i && (quoted || (j > st->a && off_is(p, j - 1, W_WORDING))); /* a word given */
  return p->req[p->tok[i].end] != '-' && /* not "the text-to-speech tool" */
         (bare ? !word : off_is(p, j - 1, W_DEFINITE));
}

/* "Summarize the document", "read my essay aloud", "what is the sentiment of the review?": are
 * st's words, past its task's and those asking (names_nothing, "what is", "find", "aloud"), only a
 * piece of writing or a file (writing_at: "summarize notes", "the attached file"; "summarize the
 * txt files": text files by their format) and other such (not "the article about X"; not a task
 * making from words: "write my essay"), pointing at a text the request does not give? */
static bool points_at_writing(const planner *p, const step *st) {
  static const off_class asking[] = {W_WH, W_IS_ARE, W_ASK_VERB, W_QUESTION, W_ALOUD, W_READING,
                                     W_WRITING, W_FILES, W_ATTACHED, W_OUT_LOUD};
  bool pointed = false; /* a piece of writing after "the", "my"... */
  if (off_draws(p, st->task) || off_is_role(p, st->task, R_WRITE))
    return false;
  bool says = false; /* "say notes": the words said (not "narrate notes") */
  for (size_t i = st->a; i < st->b; i++)
    says |= off_is(p, i, W_SPEAKING) && off_is(p, i, W_UTTERING);
  bool quoted = says || off_is_role(p, st->task, R_TRANSLATE);
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES || (says && off_is(p, i, W_READING)))
      return false; /* (a file named; "say please read the attached file": words to say) */
    else if (p->tok[i].kind == TK_WORD && !p->tok[i].det) {
      bool filed = off_files_said(p, i - (i > st->a), i + 2 < st->b ? i + 2 : st->b) &
                   BATON__T_TEXT; /* "txt" or "files" of "the txt files" */
      if (!filed && !names_nothing(p, st, i) &&
          !off_is_any(p, i, asking, sizeof asking / sizeof *asking))
        return false;
      pointed |= filed || writing_at(p, st, i, quoted);
    }
  return pointed;
}

bool off_works_on_before(const planner *p, const step *st) {
  bool makes = off_draws(p, st->task) || off_is_role(p, st->task, R_WRITE) ||
               off_is_role(p, st->task, R_CONVERSE); /* "write a poem": a poem to make */
  return off_has_word(p, st->a, st->b, W_REFERENCE) || off_has_word(p, st->a, st->b, W_PLURAL) ||
         (!makes && !names_subject(p, st, true));
}

bool off_makes_own(const planner *p, const step *st) {
  return (off_draws(p, st->task) || off_is_role(p, st->task, R_WRITE) ||
          off_is_role(p, st->task, R_CONVERSE)) && names_subject(p, st, false);
}

/* 3b. "what is cat in German?", "draw a dog", "let's discuss the sea" in a conversation, naming
 * no earlier thing: the step's own words, not the earlier turn's text r; NULL when it takes r. */
static char *words_not_turns(const planner *p, const step *st, int r) {
  bool translate = off_is_role(p, st->task, R_TRANSLATE);
  if (r < 0 || !p->res[r].turn || names_part(p, st) ||
      !(translate || (off_is_role(p, st->task, R_DRAW) && names_subject(p, st, true)) ||
        off_is_role(p, st->task, R_CONVERSE)))
    return NULL;
  return translate ? own_words(p, st, true) : step_words(p, st, false);
}

/* "I have notes.txt. Draw a cat and summarize it": does a step after st, working on text st makes
 * none of and naming nothing of its own, point back by a word like "it" (not "the answer", "the
 * result": a thing made) at text r, named in a sentence setting the scene before st? */
static bool pointed_at(const planner *p, const step *st, int r) {
  if (p->cues[st->task].spec->outputs & BATON__T_TEXT)
    return false;
  for (const step *e = p->steps; e < p->steps + p->n_steps; e++) {
    bool later = e->a >= st->b && e->task >= 0 && !e->context && /* (the cheap tests first: */
                 (p->res[r].type & off_primary_type(p->cues[e->task].spec) & BATON__T_TEXT);
    for (size_t i = e->a; later && i < e->b; i++) /* a 16 KB step is read once) */
      if (off_is(p, i, W_REFERENCE) && !off_is(p, i, W_MADE_THING)) {
        if (!off_own_types(p, e->a, e->b))
          return true;
        break;
      }
  }
  return false;
}

/* "Draw a cat and summarize notes.txt", "write a poem about autumn, then translate notes.txt": the
 * words of a step making from words (a drawing, a text written, a chat) what it names, pointing
 * back at nothing, while each file or quote of the request no task took yet (one at least) is
 * what a later clause of its own works on (off_works_on_later), or points back at when named
 * setting the scene (pointed_at). Those of 3, else 7 (resolve_input), malloc'd; else NULL. */
static char *words_left(const planner *p, const step *st) {
  size_t later = 0, others = 0;
  bool asked_of;
  for (size_t i = 0; i < p->n_tok; i++) {
    int r = p->tok[i].kind == TK_RES && !p->res[p->tok[i].res].used ? p->tok[i].res : -1;
    const step *e = r >= 0 ? off_step_holding(p, i) : NULL;
    bool named = r >= 0 && off_works_on_later(p, st, e, r);
    named |= r >= 0 && e == p->steps + p->n_steps && i < st->a && pointed_at(p, st, r);
    later += named, others += r >= 0 && !named;
  }
  if (!later || others || off_points_back(p, st, &asked_of) ||
      off_named_producer(p, st, BATON__T_TEXT) >= 0 || !off_makes_own(p, st))
    return NULL;
  char *made = made_of_words(p, st);
  return made ? made : step_words(p, st, false);
}

/* Is resource m (-1: none) a picture or recording a turn made, st pointing at nothing and naming
 * words of its own ("translate goodbye into French" after a turn said "bonjour"; not "translate
 * into French", "translate what you said", "give me a summary", "a poem of the image" after a
 * drawing): none to read from it? */
static bool turn_spoke(const planner *p, const step *st, int m, bool has_ref) {
  return m >= 0 && p->res[m].turn && p->res[m].maker && !has_ref &&
         !off_has_word(p, st->a, st->b, W_DEMONSTRATIVE) && !off_said_media(p, st->a, st->b) &&
         names_subject(p, st, true);
}

/* Points src at what an earlier task took as its input `in` (a task's output, or the resource of
 * that name); false if neither. */
static bool took(const planner *p, const baton__arg *in, source *src) {
  for (size_t r = 0; in->ref < 0 && in->value && r < p->n_res; r++)
    if (!strcmp(p->res[r].value, in->value))
      return src->ref = -1, src->res = (int)r, true;
  return in->ref >= 0 && (src->ref = in->ref, src->res = -1, true);
}

/* Points src at what task k took as its input of `type` (took); false if none. */
static bool took_input(const planner *p, int k, unsigned type, source *src) {
  const baton__task *t = &p->g->tasks[k];
  for (size_t j = 0; j < t->n_args; j++)
    if (strcmp(t->args[j].name, baton__type_name(type)) == 0)
      return took(p, &t->args[j], src);
  return false;
}

/* "Read it out and translate it" after a turn that answered in a text: the task made last, making
 * nothing of `type`, took an earlier turn's resource of it; src set to that; true if so. */
static bool took_turn(const planner *p, unsigned type, source *src) {
  int k = (int)p->g->n - 1;
  source in = {-1, -1, NULL};
  if (k < 0 || (p->made[k]->outputs & type) || !took_input(p, k, type, &in) || in.res < 0 ||
      !p->res[in.res].turn)
    return false;
  return src->res = in.res, src->ref = -1, true;
}

/* "Does talk.wav mention money? If yes, summarize it", "is notes.txt about sports? If so,
 * translate it": after task k answering a question asked with "is", "does"... and a condition on
 * its answer ("if ..."), "it" (no word naming a thing made: not "the answer") is what the question
 * was asked of, not its yes or no (the condition cannot be run: both steps are done). Sets src to
 * k's input of `type`; true if so. */
static bool asked_of_before(const planner *p, const step *st, int k, unsigned type, source *src) {
  size_t a = p->by_a[k], b = p->by_b[k];
  bool yes_no = off_answers(p, off_cue_index(p, p->made[k])) && off_is(p, a, W_IS_ARE) &&
                off_is_question(p, a, b) && b <= st->a && off_has_word(p, b, st->a, W_UNSURE) &&
                off_has_word(p, st->a, st->b, W_REFERENCE) &&
                !off_has_word(p, st->a, st->b, W_MADE_THING);
  return yes_no && took_input(p, k, type, src);
}

/* "What's the sentiment of reviews.txt and summarize the negative ones": after task k classifying
 * a text, "ones" are some of the things that text holds, not k's label; "what language is
 * notes.txt in? then translate it to English": "it" of a translation (no word naming a thing made:
 * not "the label") is the text classified, a label being rarely what one translates. Sets src to
 * k's text; true if so. */
static bool picked_from(const planner *p, const step *st, int k, unsigned type, source *src) {
  int c = off_cue_index(p, p->made[k]);
  bool it = off_is_role(p, st->task, R_TRANSLATE) && off_has_word(p, st->a, st->b, W_REFERENCE) &&
            !off_has_word(p, st->a, st->b, W_MADE_THING);
  return type == BATON__T_TEXT && (it || off_has_word(p, st->a, st->b, W_PICKED)) &&
         (off_is_role(p, c, R_CLASSIFY_TEXT) || off_is_role(p, c, R_LABEL_TEXT)) &&
         took_input(p, k, type, src);
}

/* "Segment x.jpg and estimate its depth", "... then classify it": a picture task src->ref made by
 * only mapping the one it took (told nothing: a mask, a depth map; not a restyle) is not what "it"
 * or "its" alone points at (it is named: "the result", "the mask", "the segmented image"); the
 * picture it took is, then src instead; so is what a yes-or-no answer src->ref gives was asked of,
 * after "if so" (asked_of_before), and the text a classifier read, "the ... ones" (picked_from). */
static void unmap(const planner *p, const step *st, unsigned type, source *src) {
  if (src->ref >= 0 && (asked_of_before(p, st, src->ref, type, src) ||
                        picked_from(p, st, src->ref, type, src)))
    return;
  const baton__taskspec *s = src->ref >= 0 && type == BATON__T_IMAGE ? p->made[src->ref] : NULL;
  const baton__arg *in = s && p->g->tasks[src->ref].n_args ? p->g->tasks[src->ref].args : NULL;
  bool ref = false;
  if (!in || s->inputs != BATON__T_IMAGE || !(s->outputs & BATON__T_IMAGE) ||
      baton__csv_has(s->params, "instruction"))
    return;
  for (size_t i = st->a; i < st->b; i++)
    if (off_is(p, i, W_MADE_THING) || off_cue_word(p, &p->cues[off_cue_index(p, s)], i))
      return;
    else /* "its", not "their" (the objects segmented), "this" */
      ref |= off_is(p, i, W_REFERENCE) && p->tok[i].det && !off_is(p, i, W_DEMONSTRATIVE) &&
             !off_is(p, i, W_PLURAL);
  if (ref)
    took(p, in, src);
}

/* The first unused resource of `type` for st (off_first_unused); for "it" of a picture or recording
 * one a later step names is not it, the request's own file of that type named last before st is
 * ("how big is photo.jpg and classify it, then caption b.jpg"); nor is an earlier turn's where a
 * step before only read the request's own file so named into text, st naming no medium ("caption
 * b.jpg and count the people" after a turn on photo.jpg: b.jpg; not "... in the other photo"). */
static int unused_or_before(const planner *p, const step *st, unsigned type, bool has_ref) {
  int r = off_first_unused(p, st, type), i = (int)st->a;
  bool turn = r >= 0 && p->res[r].turn && !off_said_media(p, st->a, st->b);
  if (type == BATON__T_TEXT || r < 0 ||
      !(turn || (has_ref && off_own_res(p, st->b, p->n_tok, type) == r)))
    return r;
  while (--i >= 0 && off_res_at(p, (size_t)i, type) < 0)
    ;
  return i >= 0 && (!turn || p->res[p->tok[i].res].read) ? p->tok[i].res : r;
}

/* "Summarize it and read it aloud", "... and generate an image": st, left with its own words to
 * work on, takes the `type` a step left out before it (step.gone, said before st or feeding it)
 * would have made, where it points back or names nothing of its own (not "draw a cat", "translate
 * hello") nor asks (`asks`: "answer my question: who won?"): 1 + the last such step, else 0. Only
 * where nothing is given (no file, quote or earlier turn's output): else the step left out more
 * likely missed a reading of what is, and st's words may still be what the request wants. */
static size_t works_on_gone(const planner *p, const step *st, unsigned type, bool has_ref,
                            bool asks) {
  size_t g = 0;
  for (size_t k = 0; !p->n_res && (has_ref || (!asks && !names_subject(p, st, true))) &&
                     k < p->n_steps; k++)
    if (p->steps[k].gone && (p->cues[p->steps[k].task].spec->outputs & type) &&
        (p->steps[k].a < st->a || st->fed))
      g = k + 1;
  return g;
}

/* Steps 1 to 1d of resolve_input(): *src (unset on entry) set to the `type` input st names itself
 * (prev: the earlier task it points at, or -1); 1 if so, 0 if none, -1 on error. */
static int input_it_names(planner *p, const step *st, unsigned type, bool has_ref, int prev,
                          source *src) {
  const unsigned media = BATON__T_IMAGE | BATON__T_AUDIO, text = type == BATON__T_TEXT;
  int r = off_own_res(p, st->a, st->b, type), b;
  /* 1. the step's own resource; no text used before when it says "it" ("... read it aloud: 'x'");
   * one a step asked to run first changed: what it made of it ("before you transcribe a.wav,
   * clean it") */
  if ((b = r >= 0 && st->later && !text ? changed_from(p, type, r) : -1) >= 0)
    return src->ref = b, 1;
  if (r >= 0 && !(text && has_ref && p->res[r].used && prev >= 0))
    return src->res = r, p->res[r].used = true, 1;
  /* 1b. text from the step's own image or recording ("translate sign.png"); 1b'. an earlier
   * turn's file it names ("read the sign aloud" after a turn on sign.png), read again if need be */
  if (text && (b = bridge(p, st, true, media, src)))
    return b > 0 ? 1 : -1;
  if (text && (r = named_by_stem(p, st, media | BATON__T_TEXT)) >= 0)
    return p->res[r].type & BATON__T_TEXT ? (src->res = r, p->res[r].used = true, 1)
         : off_read_file(p, st, r, p->res[r].type & BATON__T_AUDIO, src) < 0 ? -1 : 1;
  /* 1c. "the original image" (original_res); 1d. a document a question asks of, not what an
   * earlier step drew or changed */
  if (!text && ((r = original_res(p, st, type)) >= 0 || (r = asked_document(p, st)) >= 0))
    return src->res = r, p->res[r].used = true, 1;
  return 0;
}

/* Sets *src (unset on entry) to where st's main `type` input comes from, if any fits; -1: error;
 * 2: only what a step left out before would have made (works_on_gone). */
static int resolve_input(planner *p, const step *st, unsigned type, unsigned outputs, source *src) {
  bool original, has_ref = off_points_back(p, st, &original);
  const unsigned media = BATON__T_IMAGE | BATON__T_AUDIO, text = type == BATON__T_TEXT;
  int r, b, prev = off_named_producer(p, st, type);
  if ((b = input_it_names(p, st, type, has_ref, prev, src)) != 0) /* 1 to 1d */
    return b > 0 ? 0 : -1;
  /* 2. "summarize the lecture" with lecture.wav named earlier and nothing read yet (an earlier
   * turn's text is not what this request's own picture says): read it first; 2b. "draw the scene
   * my narration in n.wav describes": what a recording nobody listened to says is what to make;
   * a picture's text too where st's words only point at a text ("x.jpg has text in it. Convert the
   * text into speech"; 3, 3b and 7 take no such words: "summarize the document") */
  bool pointed = text && points_at_writing(p, st);
  int t = off_first_unused(p, st, BATON__T_TEXT), m = off_first_unused(p, st, media);
  t = t >= 0 && p->res[t].asked && !has_ref &&
              off_first_unused(p, st, BATON__T_AUDIO) >= 0 ? -1 : t;
  t = t >= 0 && off_labels(p, &p->res[t]) && off_has_word(p, st->a, st->b, W_UTTERING) &&
              !off_is_role(p, st->task, R_SPEAK) ? -1 : t;
  bool later = has_ref && off_own_res(p, 0, st->a, BATON__T_TEXT) < 0 && /* "a talk in t.wav; */
               off_own_res(p, 0, st->a, BATON__T_AUDIO) >= 0; /* sum it up. Compare with 'x'" */
  if (text && prev < 0 && ((t < 0 && !turn_spoke(p, st, m, has_ref)) || later ||
                           (t >= 0 && p->res[t].turn && m >= 0 && !p->res[m].turn)) &&
      (b = bridge(p, st, false, (outputs & BATON__T_TEXT) || pointed ? media : BATON__T_AUDIO,
                  src)))
    return b > 0 ? 0 : -1; /* 2, else 2b */
  /* 3. what to make follows "of", "about"...: "an image of a cat playing piano" (not "an image that
   * reflects the content of the lecture": made from it; not "the key points of" a given passage,
   * nor a question put to the chat model: "what's the capital of France?") */
  bool passage = t >= 0 && !p->res[t].turn && (outputs & BATON__T_TEXT);
  bool chat = off_is_role(p, st->task, R_CONVERSE) && off_is(p, st->a, W_WH); /* asks it all */
  bool make = text && !has_ref && !original && !chat && !pointed &&
              (prev < 0 ? !passage
                        : !(outputs & BATON__T_TEXT) && !off_has_word(p, st->a, st->b, W_GUIDED));
  src->literal = make ? made_of_words(p, st) : NULL;
  r = unused_or_before(p, st, type, has_ref);
  if (text && !src->literal && !has_ref && prev < 0 && !pointed)
    src->literal = words_not_turns(p, st, r);
  /* 3. those words; 4. an earlier output ("it"; of a map, what it mapped: unmap()); 5. an unused
   * one (no question after a drawing; none named after "it", a recording a step made: "clean a.wav,
   * sum it up. Compare ...", 6c) */
  if (src->literal || prev >= 0)
    return src->ref = src->literal ? -1 : prev, unmap(p, st, type, src), 0;
  if (text && has_ref && prev < 0 && took_turn(p, type, src))
    return 0; /* 4b. "read it out and translate it" after a turn's text: the text read out */
  const baton__arg *from = (b = off_nearest_producer(p, media)) >= 0 ? p->g->tasks[b].args : NULL;
  bool heard = from && (p->made[b]->outputs & BATON__T_AUDIO) && (outputs & type); /* 6c */
  if (r >= 0 && !(later && heard) && (!p->res[r].asked || st->task != p->role[R_DRAW] ||
                                      off_own_res(p, st->b, p->n_tok, type) != r))
    return src->res = r, p->res[r].used = true, 0;
  /* 5b. "I have a text: 'x'. Draw it and find the names in the text": the request's text before */
  for (int i = (int)st->a; pointed && src->res < 0 && --i >= 0;)
    src->res = (r = off_res_at(p, (size_t)i, BATON__T_TEXT)) >= 0 && !p->res[r].asked ? r : -1;
  if (pointed && src->res >= 0)
    return 0;
  if (text && has_ref && (r = bridge(p, st, false, media, src)))
    return r > 0 ? 0 : -1; /* 6. "translate it": read an earlier-named image or recording first */
  /* 6b. "draw a cabin and make a video of it": what the picture was drawn from ("say 'x' in an
   * enhanced audio and draw the same": past the speech's clean-up) */
  int d = b;
  while (d >= 0 && p->made[d]->inputs == p->made[d]->outputs && p->g->tasks[d].args[0].ref >= 0)
    d = p->g->tasks[d].args[0].ref;
  const baton__arg *drawn = d >= 0 ? p->g->tasks[d].args : NULL;
  if (text && has_ref && drawn && p->made[d]->inputs == BATON__T_TEXT)
    return src->ref = drawn->ref, src->literal = baton__strdup(drawn->value),
           drawn->value && !src->literal ? -1 : 0;
  /* 6c. "enhance a.wav, sum it up", "clean a.wav. What do they say?": what it made, heard */
  source made = {-1, b, NULL};
  if (text && heard &&
      (has_ref || off_is_question(p, st->a, st->b) || off_asks_question(p, st->a, st->b)))
    return (src->ref = off_emit_task(p, st, p->role[R_TRANSCRIBE], &made, -1, NULL,
                                     NULL)) < 0 ? -1 : 0;
  /* 7. the step's words (not a goal's run after the steps spelling it out, a picture made: "make
   * a video by | brightening x.jpg"; none for one working on what a step left out would have
   * made), else 6d. the picture made before, read; 8. any resource */
  bool spelt = st->goal && st->later && from && (p->made[b]->outputs & BATON__T_IMAGE);
  if (text && !spelt && (p->gone = works_on_gone(p, st, type, has_ref, original)))
    return 2;
  src->literal = text && !spelt && !pointed ? step_words(p, st, has_ref) : NULL;
  if (text && from && reads_made_picture(p, st, b, has_ref, outputs, src))
    return (src->ref = off_emit_task(p, st, off_reader_task(p, p->role[R_CAPTION], -1), &made,
                                     -1, NULL, NULL)) < 0 ? -1 : 0;
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

/* "Caption x.jpg, draw a picture from the caption, then tell me how similar the two images are":
 * a comparison of pictures ("the images", "both pictures") naming no file reads, as read_pair
 * does two files, the request's own picture (its text reused if a caption read it already) and
 * the picture made last, into *in; the two made last if one step made both ("make x.jpg and
 * y.jpg brighter, then compare the two images") or two like ones in a row did ("draw a cat and
 * draw a dog"), then "them" enough, nothing made since. 1 if so, else 0; -1 on error. */
static int read_made_pair(planner *p, const step *st, source *in) {
  int b = off_nearest_producer(p, BATON__T_IMAGE), a = b, own = -1, k = -1;
  bool pictures = false;
  for (size_t i = st->a; i < st->b; i++)
    pictures |= off_is(p, i, W_PICTURE) && (baton__has_suffix_ci(p->tok[i].word, "s") ||
                                            off_has_word(p, st->a, st->b, W_PLURAL));
  while (a-- > 0 && !off_produces(p, (size_t)a, BATON__T_IMAGE))
    ;
  /* made by one step, or by two like ones in a row, the second not changing the first ("draw a
   * cat, draw a dog"; not "brighten x.jpg, then crop it") */
  bool twins = a >= 0 && ((p->by_a[a] == p->by_a[b] && p->by_b[a] == p->by_b[b]) ||
                          (a + 1 == b && p->made[a] == p->made[b] && p->g->tasks[b].n_args &&
                           p->g->tasks[b].args[0].ref != a));
  pictures |= twins && b + 1 == (int)p->g->n && off_has_word(p, st->a, st->b, W_PLURAL); /* them */
  for (size_t r = 0; !twins && own < 0 && r < p->n_res; r++)
    own = (p->res[r].type & BATON__T_IMAGE) && !p->res[r].turn ? (int)r : -1;
  if (!pictures || b < 0 || (own < 0 && !twins) || off_own_types(p, st->a, st->b))
    return 0;
  int task = off_reader_task(p, p->role[R_CAPTION], own);
  for (int j = 0; own >= 0 && j < b; j++) /* "caption x.jpg": read already */
    k = p->made[j] == p->cues[task].spec && p->g->tasks[j].args[0].value &&
        !strcmp(p->g->tasks[j].args[0].value, p->res[own].value) ? j : k;
  source read = {own, twins ? a : -1, NULL}, made = {-1, b, NULL};
  if (own >= 0)
    p->res[own].used = true;
  if (k < 0 && off_emit_task(p, st, task, &read, -1, NULL, NULL) < 0)
    return -1;
  return (in->ref = off_emit_task(p, st, task, &made, -1, NULL, NULL)) < 0 ? -1 : 1;
}

/* "Check if the summary matches the answer to 'Who won?' about x.jpg", "translate the answer to
 * 'Who won?' about x.jpg": a quote that is a question is no text to work on for a task answering
 * none (nor chatting); put right before "about" (of, in, on ...) and a picture or text file, it
 * is asked of that file, and its answer is the text (the quote's reader). Not a quote the file
 * is only listed beside ("translate 'Where is it?' and notes.txt"). 1 if so (into in->ref), 0 if
 * not, -1 on error. */
static int answer_of_own(planner *p, const step *st, source *in) {
  int q = -1, r = -1;
  if (off_answers(p, st->task) || off_is_role(p, st->task, R_CONVERSE)) /* chat too */
    return 0;
  for (size_t i = st->a; r < 0 && i + 2 < st->b; i++)
    if ((q = off_res_at(p, i, BATON__T_TEXT)) >= 0 && !p->res[q].used && p->res[q].asked &&
        strchr(p->res[q].value, '?') && /* not "how similar is x.jpg to 'a red car'?" */
        (off_is(p, i + 1, W_PREPOSITION) || off_is(p, i + 1, W_CONTENT_INTRO)) &&
        (r = off_res_at(p, i + 2, BATON__T_TEXT | BATON__T_IMAGE)) >= 0)
      r = p->res[r].is_file && !p->res[r].used ? r : -1;
  if (r < 0)
    return 0;
  int task = p->res[r].type & BATON__T_IMAGE ? off_reader_task(p, p->role[R_ASK_PICTURE], r)
                                             : p->role[R_ASK_TEXT];
  source from = {r, -1, NULL};
  p->res[r].used = true, in->ref = off_emit_task(p, st, task, &from, -1, NULL, NULL);
  return in->ref < 0 ? -1 : (p->res[q].reader = in->ref + 1, 1);
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
  return took(p, a, in);
}

/* Of the passages st names, the one to answer from: one its words draw from ("using notes.txt",
 * "from", "based on"), else the first not holding the questions ("the questions in q.txt"); -1. */
static int answered_from(const planner *p, const step *st) {
  int best = -1, rank = 0, r;
  for (size_t i = st->a; i < st->b; i++) {
    if ((r = off_res_at(p, i, BATON__T_TEXT)) < 0 || !off_is_passage(&p->res[r]))
      continue;
    size_t w = i - 1 - (i > st->a + 1 && (off_is(p, i - 1, W_PREPOSITION) ||
                                          off_is(p, i - 1, W_TARGET_PREP)));
    int n = i == st->a || off_is(p, w, W_QUESTION) ? 1 /* "the questions from q.txt" */
            : off_is(p, i - 1, W_SOURCE_PREP) || off_is(p, w, W_GUIDED) ? 3 : 2;
    best = n > rank ? (rank = n, r) : best;
  }
  return best;
}

int off_choose_input(planner *p, const step *st, int at, int prev_text, source *in) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  unsigned ptype = off_primary_type(spec), media = BATON__T_IMAGE | BATON__T_AUDIO;
  bool compare = off_is_role(p, st->task, R_COMPARE_TEXTS);
  int quote = -1, r;
  int texts = off_takes_two_texts(p, spec) ? (int)off_own_texts(p, st, NULL, &quote) : 0;
  for (size_t i = 0; !texts && off_is_role(p, st->task, R_ASK_TEXT) && i < st->a; i++)
    texts = (quote = off_res_at(p, i, BATON__T_TEXT)) >= 0 && p->res[quote].asked && /* before */
            !p->res[quote].used; /* "I have x.jpg and a question 'Q?'. Please answer it." */
  *in = (source){-1, -1, NULL};
  if (off_placed_input(p, st, ptype) ==
      -2) /* "read the fifth one aloud" after a turn that made two */
    return baton__fmt(p->err, p->errlen, "\"%.*s\": the last turn left fewer than that",
                      (int)(p->tok[st->b - 1].end - p->tok[st->a].start),
                      p->req + p->tok[st->a].start), -1;
  if (ptype == BATON__T_TEXT && (r = answer_of_own(p, st, in)) != 0)
    return r < 0 ? -1 : 0;
  /* "answer 'Who won?' from notes.txt": of two texts, a passage is the passage; so is one beside
   * a question put in a recording ("answer the question in q.wav from notes.txt") */
  bool aloud = off_answers(p, st->task) && off_asked_aloud(p) >= 0;
  if ((texts > 1 || (texts && aloud)) && !compare && (r = answered_from(p, st)) >= 0)
    texts = 0, p->res[in->res = r].used = true; /* (the quote stays the one own text) */
  /* "using notes.txt, answer 'Who wrote it?'": the question is its own, the passage elsewhere
   * (after it too when there is no picture or recording to read: "Q? Here is the text: '...'") */
  bool asks = texts == 1 && prev_text < 0 && !off_is_passage(&p->res[quote]);
  size_t end = off_res_types(p, false) & media ? st->a : p->n_tok;
  for (size_t i = 0; asks && in->res < 0 && i < end; i++)
    if ((r = off_res_at(p, i, BATON__T_TEXT)) >= 0 && !p->res[r].used && off_is_passage(&p->res[r]))
      p->res[in->res = r].used = true;
  if (compare && !texts && ((r = read_pair(p, st, in)) != 0 || (r = read_made_pair(p, st, in))))
    return r < 0 ? -1 : 0;
  /* "I have x.jpg and a text 'a cat'. How similar is the text to the image?": of one text and one
   * picture or recording left (none made before), the other text is what that one holds */
  size_t texts_left = 0, media_left = 0;
  for (size_t i = 0; compare && !texts && prev_text < 0 && i < p->n_res; i++)
    if (!p->res[i].used)
      texts_left += !!(p->res[i].type & BATON__T_TEXT), media_left += !!(p->res[i].type & media);
  if (texts_left == 1 && media_left == 1 && (r = bridge(p, st, false, media, in)))
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
           !(ptype == BATON__T_TEXT && (in->literal = words_left(p, st))) &&
           (r = resolve_input(p, st, ptype, spec->outputs, in)) != 0)
    return r;
  const char *v; /* "speed up a.wav and save it as f.wav, then transcribe f.wav": what it made */
  for (size_t k = 0; in->res >= 0 && p->res[in->res].is_file && k < p->g->n; k++)
    if ((v = baton__task_literal(&p->g->tasks[k], BATON__ARG_SAVE_AS)) &&
        strcmp(v, p->res[in->res].value) == 0)
      in->ref = (int)k, in->res = -1;
  return in->res >= 0 || in->ref >= 0 || in->literal ? 0 : (off_needs_input(p, spec), 1);
}

int off_not_for(planner *p, const baton__taskspec *spec, int r) {
  const char *has = baton__type_name(p->res[r].type);
  const char *needs = baton__type_name(off_primary_type(spec));
  return baton__fmt(p->err, p->errlen, "%s needs %s %s, and %s is %s %s file", spec->name,
                    strchr("aeiou", needs[0]) ? "an" : "a", needs, p->res[r].value,
                    strchr("aeiou", has[0]) ? "an" : "a", has), -1;
}

/* A file passed as input (the request's, no word of it names it), no task took, of none of the
 * types in `type` ("read the text in this" with notes.txt given), or -1. */
static int input_not_of(const planner *p, unsigned type) {
  for (size_t r = 0; r < p->n_res; r++) {
    bool named = false;
    for (size_t i = 0; i < p->n_tok && !named; i++)
      named = p->tok[i].kind == TK_RES && p->tok[i].res == (int)r;
    if (p->res[r].is_file && !p->res[r].turn && !p->res[r].used && !(p->res[r].type & type) &&
        !named)
      return (int)r;
  }
  return -1;
}

int off_needs_input(planner *p, const baton__taskspec *spec) {
  int v = off_own_res(p, 0, p->n_tok, BATON__T_VIDEO);
  bool reads = spec && (spec->inputs & (BATON__T_AUDIO | BATON__T_IMAGE)); /* what a video holds */
  if (v >= 0) /* "transcribe the speech in talk.mp4"; "speed up talk.mp4": no task named */
    return baton__fmt(p->err, p->errlen, "%s cannot work on %s: %s does not read video; save its "
                      "sound (.wav) or a frame (.png)", reads ? spec->name : "baton",
                      p->res[v].value, reads ? "baton" : "it"), -1;
  int given = input_not_of(p, off_primary_type(spec)); /* "..., and notes.txt is a text file" */
  if (given >= 0)
    return off_not_for(p, spec, given);
  const char *type = baton__type_name(off_primary_type(spec));
  return baton__fmt(p->err, p->errlen, "%s needs %s %s: name a file in the request or pass one "
                    "as input", spec->name, strchr("aeiou", type[0]) ? "an" : "a", type), -1;
}
