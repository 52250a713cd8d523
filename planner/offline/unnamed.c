/* unnamed.c — the task of a step naming none: joining, converting, cutting, speaking, writing. */
#include "planner/offline/internal.h"

#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_unnamed_task() takes a step whose words name no task clearly and gives the task
 * that what it does with what it names asks for: a text written where a text is to be described
 * (off_describes_unseen) or ideas are asked from a result (asks_ideas), words or a text spoken
 * (off_asks_speech), recordings or pictures joined, or texts worked on as one ("summarize a.txt
 * and b.txt together") (off_joins() then holds, which merging and linking read), a file turned
 * into another or into a format (off_converting_task: the file it names is the step's output,
 * used), or the task rewrite.c takes a clear cue as; or -1.
 * recognise.c also asks off_cuts_to_length() (a recording cut to a length or a part: "shorten",
 * no summary) and off_converting_task() (after "save") of a step naming a task, and
 * off_file_made_into() which file a step makes from what it names ("summarize notes.txt into
 * s.txt"); recognise.c and segment.c ask off_colours() and off_separates() (a thing in a picture
 * given a hue, a part of a song's sound kept apart: an edit, a sound change, whatever cue a step
 * holds) and off_marks_thing() (a thing the detector finds blurred or boxed: a detection; for
 * recognise.c, one cropped out too: a change). It claims no other resource. */

size_t off_added_recording(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i + 1 < b; i++)
    if (off_is(p, i, W_ADDING) && off_res_at(p, i + 1, BATON__T_AUDIO) >= 0)
      return off_count_res(p, a, b, BATON__T_AUDIO) > 1 ? i + 2 : 0;
  return 0;
}

/* "Side by side", "next to each other", "beside one another", "next to photo.jpg", "beside it": are
 * things placed together at i? */
static bool side_by_side(const planner *p, size_t i, size_t b) {
  for (size_t k = i + 1; off_is(p, i, W_BESIDE) && k < b && k <= i + 3; k++)
    if (off_is(p, k, W_RECIPROCAL) ||
        (k == i + 2 && off_is(p, i + 1, W_PREPOSITION) && off_is(p, k, W_BESIDE)) ||
        ((k == i + 1 || off_is(p, k - 1, W_TARGET_PREP)) &&
         (off_res_at(p, k, BATON__T_IMAGE) >= 0 || off_is(p, k, W_REFERENCE))))
      return true;
  return false;
}

/* "Add b.png to it", "now add b.png", "put m.wav after (under) it", "put it before m.wav", "add
 * m.wav in the background": does st add the file at i + 1 (or "it" and the file after it) to (or
 * before) what it points at? */
static bool added_to_it(const planner *p, const step *st, size_t i) {
  size_t k = i + 2;
  bool at = k + 1 < st->b && (off_is(p, k, W_TARGET_PREP) || off_is(p, k, W_PLACED_FIRST) ||
                               off_is(p, k, W_PLACED_AFTER));
  bool it = at && off_is(p, i + 1, W_REFERENCE) && p->tok[k + 1].kind == TK_RES;
  return k <= st->b && (off_is(p, i, W_ADDING) || off_is(p, i, W_PLAYING)) &&
         (p->tok[i + 1].kind == TK_RES || it) &&
         (k == st->b || it || (at && off_is(p, k + 1, W_REFERENCE)) ||
          (k + 2 < st->b && off_is(p, k, W_PREPOSITION) && off_is(p, k + 2, W_BACKGROUND)));
}

bool off_changes_medium(const planner *p, int t) {
  const baton__taskspec *s = t >= 0 ? p->cues[t].spec : NULL;
  return s && s->inputs == s->outputs && (s->inputs & (BATON__T_IMAGE | BATON__T_AUDIO));
}

/* Does st say to join ("combine", "a collage", "side by side", "add b.png to it"), not name a
 * joined result ("the combined audio") or a part ("between 0:10 and 0:20")? */
static bool joining_word(const planner *p, const step *st) {
  for (size_t i = st->a; i < st->b; i++)
    if ((off_is(p, i, W_JOINING) && !(i > st->a && off_is(p, i - 1, W_DEFINITE)) &&
         !off_time_from(p, i, st->b)) ||
        side_by_side(p, i, st->b) || added_to_it(p, st, i))
      return true;
  return false;
}

/* Does token i, after "into", "to", "as" or "in", ask for one thing: "one", a piece of writing
 * ("in a sentence", "as a paragraph")? */
static bool one_asked(const planner *p, size_t i, size_t b) {
  bool a = off_is(p, i, W_INDEFINITE);
  return (off_is(p, i - 1, W_DESTINATION) || off_is(p, i - 1, W_TARGET_PREP)) &&
         (off_number_at(p, i) == 1 || (a && i + 1 < b && off_is(p, i + 1, W_WRITING)));
}

/* "Summarize a.txt and b.txt together", "... combined", "... as one", "... into one summary", "in
 * one sentence", "in a paragraph": does st, of a task taking one text (not comparing texts, asking
 * of one or chatting), say its texts are worked on as one, and not each apart ("each")? */
static bool texts_as_one(const planner *p, const step *st) {
  static const off_role apart[] = {R_COMPARE_TEXTS, R_ASK_TEXT, R_CONVERSE};
  if (p->cues[st->task].spec->inputs != BATON__T_TEXT || off_has_word(p, st->a, st->b, W_APIECE))
    return false; /* "..., each in one sentence": one each */
  for (size_t k = 0; k < sizeof apart / sizeof *apart; k++)
    if (off_is_role(p, st->task, apart[k]))
      return false;
  int first; /* "in one sentence" of texts it names ("transcribe a.wav and b.wav, then summarize
              * in one sentence": each) */
  bool named = off_own_texts(p, st, NULL, &first) > 1;
  for (size_t i = st->a + 1; i < st->b; i++)
    if (off_is(p, i, W_AS_ONE) || (off_is(p, i - 1, W_DESTINATION) && off_number_at(p, i) == 1) ||
        (named && one_asked(p, i, st->b)))
      return true;
  return false;
}

bool off_joins(const planner *p, const step *st) {
  bool sound = p->cues[st->task].spec->inputs & BATON__T_AUDIO;
  return (off_changes_medium(p, st->task) &&
          (joining_word(p, st) || (sound && off_added_recording(p, st->a, st->b)))) ||
         texts_as_one(p, st);
}

/* The file of `types` at token i, right after "into" or "to" (or, in a step saying "save", "in" or
 * "as"), with one of `from` (or, `ref`, a reference) named before it in st ("summarize notes.txt
 * into s.txt", "convert notes.txt to n.wav", "save the text of x.png in x.txt", "summarize it
 * into s.txt"); -1 if none. */
int off_file_made_into(const planner *p, const step *st, size_t i, unsigned types,
                       unsigned from, bool ref) {
  int f = i > st->a + 1 ? off_res_at(p, i, types) : -1;
  if (f < 0 || !p->res[f].is_file)
    return -1;
  bool into = off_is(p, i - 1, W_DESTINATION), to = off_is(p, i - 1, W_TARGET_PREP);
  bool prep = off_saves_at(p, st->a) ? into || to : into && to;
  for (size_t k = i - 1; prep && k-- > off_back(i, 9, 0) && !off_punct(p, k, ".!?;");)
    prep = !off_is(p, k, W_ALIKE) || (k > 0 && p->tok[k - 1].det); /* "how similar is the text in
                                             * x.png to notes.txt?", not "to the same size" */
  return prep && (off_own_res(p, st->a, i - 1, from) >= 0 ||
                  (ref && off_has_word(p, st->a, i - 1, W_REFERENCE))) ? f : -1;
}

unsigned off_format_named(const planner *p, const step *st, size_t i) {
  if (i <= st->a)
    return 0;
  size_t k = i - off_is(p, i - 1, W_INDEFINITE);
  return k > st->a && off_is(p, k - 1, W_DESTINATION) ? off_format_type(p, i) : 0;
}

/* The medium the word at i names a thing as: a recording ("an mp3", "audio") or a picture ("a
 * picture", "an image", "a painting"; not a picture's format: "save it as a png" keeps what it
 * is); or 0. */
static unsigned medium_named(const planner *p, size_t i) {
  bool picture = off_is(p, i, W_PICTURE) || off_is(p, i, W_PAINTED);
  return (off_format_type(p, i) & BATON__T_AUDIO) | (picture ? BATON__T_IMAGE : 0);
}

unsigned off_makes_it(const planner *p, size_t from, size_t a, size_t b) {
  static const off_class verb[] = {W_SAVING, W_CONVERTING, W_CAUSATIVE};
  a = off_past_asking(p, a, b);
  size_t k = a + 1 + (a + 2 < b && p->tok[a + 1].det); /* "it", "the result" */
  if (k + 2 > b || !off_is_any(p, a, verb, sizeof verb / sizeof *verb) ||
      !off_is(p, k, W_REFERENCE))
    return 0;
  size_t f = k + 1 + off_is(p, k + 1, W_DESTINATION); /* "make it an mp3": no "into" needed */
  if (f == k + 1 && !off_is(p, a, W_CAUSATIVE))
    return 0;
  f += f + 1 < b && off_is(p, f, W_INDEFINITE);
  unsigned m = f < b ? medium_named(p, f) : 0;
  if (!m || !(f + 1 == b || (f + 2 == b && off_is(p, f + 1, W_AT_HAND)))) /* "an mp3 file" */
    return 0;
  int t = off_clearest_cue(p, from, a, p->lx->w[K_MIN_KEYWORD]); /* "it": the thing made, */
  unsigned made = t >= 0 ? p->cues[t].spec->outputs : off_own_types(p, from, a); /* or named */
  return made & m ? 0 : m; /* not "summarize talk.wav and ...": the summary */
}

/* "Convert notes.txt to n.wav", "turn talk.wav into t.txt": a step naming no task but a file after
 * "into" or "to" and one it names before asks for the task turning the one type into the other (of
 * one type only if it says "convert" or "save": "convert a.wav to a.ogg"); the file after "to" is
 * its output. So does a format it names there or after "as" ("turn notes.txt into an mp3", "save
 * it as an mp3": the executor reads which); one converting into text, naming no file before,
 * reads or hears what is at hand (avail: "clean a.wav, then extract the facts as text" hears what
 * the cleaning made). That task, or -1. */
int off_converting_task(planner *p, step *st, unsigned avail) {
  static const struct {
    unsigned from, to;
    off_role role;
  } kinds[] = {{BATON__T_TEXT | BATON__T_IMAGE, BATON__T_AUDIO, R_SPEAK}, /* a picture: read */
               {BATON__T_AUDIO, BATON__T_TEXT, R_TRANSCRIBE},
               {BATON__T_IMAGE, BATON__T_TEXT, R_CAPTION},
               {BATON__T_TEXT, BATON__T_IMAGE, R_DRAW},
               {BATON__T_IMAGE, BATON__T_IMAGE, R_TRANSFORM},
               {BATON__T_AUDIO, BATON__T_AUDIO, R_CHANGE_SOUND}};
  for (size_t i = st->a + 2; i < st->b; i++) {
    int out = off_file_made_into(p, st, i, ~0u, ~0u, false);
    unsigned to = out >= 0 ? p->res[out].type : off_format_named(p, st, i);
    int in = to ? off_own_res(p, st->a, i - 1, ~0u) : -1;
    bool converts = off_has_word(p, st->a, i, W_CONVERTING);
    bool said = converts || off_has_word(p, st->a, i, W_SAVING);
    unsigned from = in >= 0 ? p->res[in].type : to == BATON__T_TEXT && converts ? avail : 0;
    for (size_t k = 0; from && k < sizeof kinds / sizeof kinds[0]; k++)
      if ((from & kinds[k].from) && (to & kinds[k].to) &&
          (said || kinds[k].from != kinds[k].to)) { /* "convert a.wav to", not "... applied to" */
        if (out >= 0)
          p->res[out].used = true, st->output = out + 1;
        return p->role[kinds[k].role];
      }
  }
  return -1;
}

/* "to 30 seconds", "longer than 30 seconds", or in a step naming no task "to the first 30
 * seconds" (not "summarize a.wav, limited to the first 2 minutes"): the words before a length (at
 * i) lead to it. */
static bool length_after_to(const planner *p, size_t a, size_t i, bool part) {
  while (part && i > a && (off_is(p, i, W_END_OF) || off_is(p, i, W_DETERMINER)))
    i--;
  return off_is(p, i, W_DESTINATION) || (i > a && off_is(p, i - 1, W_FURTHER));
}

/* "Make music.wav 10 seconds long", "shorten talk.wav to 2 seconds", "a 2-second clip of talk.wav",
 * "cut music.wav from 0:01 to 0:02", "give me the first 10 seconds of music.wav": does a step
 * naming only a recording of its own (or "it", the one recording at hand or of the media `made`
 * before: "clean a.wav. Is it 10 seconds long now?") name the length to cut it to (seconds or
 * minutes after "to", or "long" or a recording word after them) or, with `part`, asking no
 * question, the time a part starts or the part? Then it changes the recording, whatever else it
 * names ("shorten": no summary), or asks its facts ("is it 10 seconds long?"). */
bool off_cuts_to_length(const planner *p, const step *st, bool part, unsigned made) {
  bool span = false; /* "from 1 to 3 seconds": no length */
  unsigned it = made | off_res_types(p, true); /* what "it" may be: at hand ("how long is a.wav */
  for (size_t r = 0; r < p->n_res; r++) /* and cut it to 5 seconds"), or only read ("transcribe */
    it |= p->res[r].read ? p->res[r].type : 0; /* a.wav") */
  for (size_t i = st->a; i < st->b; i++)
    span |= off_time_from(p, i, st->b);
  for (size_t i = st->a + 1; i < st->b; i++)
    if ((!span && i > st->a + 1 && off_is(p, i, W_TIME_UNIT) &&
         isdigit((unsigned char)p->tok[i - 1].word[0]) &&
         (length_after_to(p, st->a, i - 2, part) ||
          (i + 1 < st->b && (off_is(p, i + 1, W_LASTING) || off_is(p, i + 1, W_RECORDING))))) ||
        (part && !off_is(p, st->a, W_WH) &&
         (off_time_from(p, i, st->b) || off_names_part(p, st->a, i))))
      return off_own_types(p, st->a, st->b) == BATON__T_AUDIO ||
             (!off_own_types(p, st->a, st->b) && /* "cut it to 5 seconds", "is it ...?" */
              off_has_word(p, st->a, st->b, W_REFERENCE) && it == BATON__T_AUDIO);
  return false;
}

/* "Add m.wav to v.wav", "combine a.jpg and b.jpg", "put b.jpg next to it" (in a conversation): a
 * step joining the recordings or pictures it names, or one to what it points at, asks for the task
 * taking and making that medium (then off_joins() holds); that, or -1. */
static int joined_task(const planner *p, const step *st) {
  if (off_added_recording(p, st->a, st->b))
    return p->role[R_CHANGE_SOUND];
  static const struct {
    unsigned type;
    off_role role;
  } media[] = {{BATON__T_AUDIO, R_CHANGE_SOUND}, {BATON__T_IMAGE, R_TRANSFORM}};
  if (!joining_word(p, st))
    return -1;
  for (size_t k = 0; k < sizeof media / sizeof media[0]; k++) {
    bool onto = false; /* an earlier turn's of the medium, to join one to */
    for (size_t r = 0; r < p->n_res; r++)
      onto |= p->res[r].turn && (p->res[r].type & media[k].type);
    if (off_count_res(p, st->a, st->b, media[k].type) > (onto ? 0u : 1u) &&
        off_count_res(p, st->a, st->b, ~media[k].type) == 0)
      return p->role[media[k].role];
  }
  return -1;
}

/* Does st, led by a verb of speaking ("..., (now) say it", "then say the summary"), ask to speak a
 * text at hand? */
static bool says_it(const planner *p, const step *st, unsigned avail) {
  size_t verb = st->a + (st->a + 1 < st->b && off_speaks_at(p, st->a + 1) &&
                         off_is(p, st->a, W_LEAD_IN));
  return off_speaks_at(p, verb) && (avail & BATON__T_TEXT);
}

/* "record a voice saying hello there", "a recording that says ...", "record yourself saying
 * hello": words to speak, not quoted, after a recording word or "record" and who says them (or led
 * by a verb of speaking: off_words_spoken)? */
static bool says_words(const planner *p, const step *st) {
  for (size_t i = st->a; i + 2 < st->b; i++) {
    bool self = off_is(p, i, W_RECORDING_VERB) && off_is(p, i + 1, W_SPEAKER);
    size_t u = i + 1 + (self || off_is(p, i + 1, W_RELATIVE)); /* "a recording (that) | says" */
    if ((self || off_is(p, i, W_RECORDING)) && off_is(p, u, W_UTTERING))
      return true;
  }
  return off_words_spoken(p, st->a, st->b) != 0;
}

/* "..., then spoken": is st only a participle of speaking after its break? */
static bool spoken_only(const planner *p, const step *st) {
  size_t i = off_spoken_after(p, st->a, st->b), k = st->a;
  while (k < i && (p->tok[k].kind == TK_PUNCT || off_is(p, k, W_HARD_BREAK) ||
                   off_is(p, k, W_JOINER)))
    k++;
  return i < st->b && k == i;
}

bool off_arrow_to_sound(const planner *p, size_t a, size_t b) {
  b = off_words_end(p, a + 1, b);
  return a + 2 == b && off_arrow_word(p, a) &&
         (off_is(p, a + 1, W_RECORDING) || (off_format_type(p, a + 1) & BATON__T_AUDIO));
}

/* The medium st, after the step before it (its words first), makes "it" into (off_makes_it). */
static unsigned makes_it(const planner *p, const step *st) {
  return off_makes_it(p, st > p->steps ? st[-1].a : st->a, st->a, st->b);
}

/* Does st, naming no task, ask to speak: "speak 'hello'", "read notes.txt", "read the summary to
 * me", "and say it", "then spoken", "and save it as an mp3" (a text at hand), "-> voice" after a
 * text made? */
bool off_asks_speech(const planner *p, const step *st, unsigned produced, unsigned avail) {
  if (!off_count_res(p, st->a, st->b, ~0u) && says_words(p, st))
    return true;
  bool own = off_own_types(p, st->a, st->b) & BATON__T_TEXT;
  bool reads = off_has_word(p, st->a, st->b, W_READING);
  bool to_me = reads && off_has_word(p, st->a, st->b, W_US) && (own || (produced & BATON__T_TEXT));
  bool made = reads && (produced & BATON__T_TEXT) && off_is(p, st->a, W_READING) &&
              off_has_word(p, st->a, st->b, W_REFERENCE); /* "summarize a.txt and read it" */
  return to_me || made || says_it(p, st, avail) || (own && p->n_steps == 1 && reads) ||
         ((produced & BATON__T_TEXT) && off_arrow_to_sound(p, st->a, st->b)) ||
         ((avail & BATON__T_TEXT) &&
          (makes_it(p, st) == BATON__T_AUDIO || spoken_only(p, st)));
}

/* The verb of voicing opens st (past asking words), what it points at next ("read it", "voice
 * that"); the rest names no file, no language, no "again" ("read it again": the last request) and
 * no task but speech ("slowly", "in a female voice"; not "play it backwards": a change of the
 * recording); the steps before made a text and no picture ("translate it to Spanish and read it"
 * in a conversation that holds a picture reads the translation out, not the picture), or with
 * none before it, the newest thing an earlier turn left is a text, no file ("read it" after
 * "caption beach.jpg" reads the caption out, as "caption beach.jpg and read it" does). */
bool off_voices_last(const planner *p, const step *st, unsigned produced) {
  const resource *r = p->n_res ? &p->res[p->n_res - 1] : NULL; /* the newest */
  size_t a = off_past_asking(p, st->a, st->b);
  size_t k = a + 1 + (a + 2 < st->b && p->tok[a + 1].det); /* "it", "the result" */
  bool made = (produced & (BATON__T_TEXT | BATON__T_IMAGE)) == BATON__T_TEXT;
  bool left = !produced && st == &p->steps[p->n_steps - 1] && r && r->turn && !r->is_file &&
              (r->type & BATON__T_TEXT);
  if (!(made || left) || k >= st->b || !off_is(p, a, W_VOICING) ||
      !(off_is(p, k, W_REFERENCE) || off_is(p, k, W_DEMONSTRATIVE)) ||
      off_count_res(p, st->a, st->b, ~0u) || off_has_word(p, a, st->b, W_AGAIN))
    return false;
  for (size_t i = k + 1; i < st->b; i++)
    if (off_language_at(p, i))
      return false;
  int c = off_clearest_cue(p, k + 1, st->b, p->lx->w[K_MIN_KEYWORD]);
  return c < 0 || c == p->role[R_SPEAK];
}

/* "Describe the scene 'a cat on a mat'", "ideas for describing the scene" (drawn only later),
 * "... and generate a caption": does st, naming no task, ask for a description or caption of a
 * text (off_captions_text), a cue reading a picture its clearest? Then a text is written. */
bool off_describes_unseen(const planner *p, const step *st, unsigned produced) {
  if (!off_captions_text(p, st, produced)) /* (first: weighing every cue costs more) */
    return false;
  int c = off_clearest_cue(p, st->a, st->b, p->lx->w[K_MIN_KEYWORD]); /* ("captions": speech's) */
  const taskcue *caption = &p->cues[p->role[R_CAPTION]];
  return c >= 0 && off_keyword_score(p, caption, st->a, st->b) >=
                       off_keyword_score(p, &p->cues[c], st->a, st->b);
}

/* "Read talk.wav", "clean a.wav and extract the text from it": the task rewrite.c takes the clear
 * cue of a task for a medium there is none of as, where that task takes what st names, else what is
 * at hand (avail) of a type of a file the request names (not "say 'hi' and read it", nor "read it
 * again" after a turn); or -1. */
static int rewritten_cue(const planner *p, const step *st, unsigned produced, unsigned avail) {
  unsigned own = off_own_types(p, st->a, st->b), named = off_own_types(p, 0, p->n_tok);
  unsigned at_hand = own ? own : avail & named;
  if (!at_hand) /* (first: weighing every cue costs more) */
    return -1;
  step c = *st;
  c.task = off_clearest_cue(p, st->a, st->b, p->lx->w[K_CLEAR_KEYWORD]);
  int t = c.task >= 0 ? off_rewrite(p, &c, produced) : -1;
  return t >= 0 && t != c.task && (p->cues[t].spec->inputs & at_hand) ? t : -1;
}

/* "Make it blue", "now make x.jpg pink", "can you make it blue": does [a,b) open (past the words
 * off_past_asking() skips) with a causative verb, then what it changes (a file, or "it") and words
 * naming no task nor language ("make it French": translated) that say how it looks, not what it
 * becomes ("make it a picture", "make notes.txt audio") nor what is done with it ("make it
 * happen", "make x.jpg public")? That thing's token, or 0. */
size_t off_made_other(const planner *p, size_t a, size_t b) {
  static const off_class other[] = {W_PICTURE, W_RECORDING, W_MOVING, W_ALOUD, W_STOPWORD,
                                    W_RESUMING, W_UNCHANGED};
  a = off_past_asking(p, a, b);
  if (a + 2 >= b || !off_is(p, a, W_CAUSATIVE) || p->tok[a + 2].kind != TK_WORD ||
      p->tok[a + 2].det || off_is_any(p, a + 2, other, sizeof other / sizeof *other) ||
      (p->tok[a + 1].kind != TK_RES && !off_is(p, a + 1, W_REFERENCE)))
    return 0;
  for (size_t i = a + 2; i < b; i++)
    if (off_language_at(p, i))
      return 0;
  return off_clearest_cue(p, a + 2, b, p->lx->w[K_MIN_KEYWORD]) < 0 ? a + 1 : 0;
}

bool off_colours(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i + 3 < b; i++) {
    bool verb = off_is(p, i, W_COLOURING) &&
                !(i > a && (off_is(p, i - 1, W_WH) || p->tok[i - 1].det ||
                            off_is(p, i - 1, W_PREPOSITION) || off_is(p, i - 1, W_IS_ARE) ||
                            off_has_cue(p, a, i, p->lx->w[K_MIN_KEYWORD])));
    if (verb && off_is(p, i + 1, W_DEFINITE) && p->tok[i + 2].kind == TK_WORD &&
        !off_is(p, i + 2, W_PICTURE) && off_has_word(p, i + 3, b, W_HUE))
      return true;
  }
  return false;
}

/* "The vocals | in song.mp3", "the guitar | solo", "the bass | line": does the sound part at k
 * head its phrase, no word after it saying what is told of the song ("the music | genre", "the
 * instruments | used in it")? */
static bool heads_phrase(const planner *p, size_t k, size_t b) {
  return k + 1 >= b || !off_is(p, k + 1, W_TOLD_OF_SOUND);
}

bool off_separates(const planner *p, size_t a, size_t b) {
  size_t i = a;
  while (i < b && !off_is(p, i, W_SEPARATING))
    i++;
  if (i >= b || (i > a && (p->tok[i - 1].det || off_is(p, i - 1, W_PREPOSITION))))
    return false;
  for (size_t k = i + 1, words = 0; k < b && words < 2; k++) /* "the (lead) vocals", "song.mp3 */
    if (off_is(p, k, W_SOUND_PART) || off_is(p, k, W_MUSIC)) /* into vocals" */
      return heads_phrase(p, k, b);
    else
      words += p->tok[k].kind == TK_WORD && !p->tok[k].det && !off_is(p, k, W_DESTINATION) &&
               !off_is(p, k, W_REFERENCE);
  return false;
}

/* The thing the detector finds that a marking verb at i (not after "what", "the", "of", "is")
 * marks: its token, after determiners and at most two other words, no picture, background,
 * preposition nor joiner; 0 if none. *out: a cropping verb cuts it away ("crop out the faces",
 * "crop the faces out of x.jpg"). */
static size_t marked_found(const planner *p, size_t i, size_t a, size_t b, bool *out) {
  static const off_class stop[] = {W_PICTURE, W_BACKGROUND, W_PREPOSITION, W_JOINER};
  bool crop = off_is(p, i, W_CROPPING);
  *out = false;
  if (!off_is(p, i, W_MARKING) || (i > a && (off_is(p, i - 1, W_WH) || p->tok[i - 1].det ||
                                             off_is(p, i - 1, W_PREPOSITION) ||
                                             off_is(p, i - 1, W_IS_ARE))))
    return 0;
  for (size_t k = i + 1, words = 0; k < b && words <= 2; k++) {
    if (off_is(p, k, W_FOUND))
      return *out |= crop && k + 1 < b && off_is(p, k + 1, W_CUT_AWAY), k;
    if (crop && k == i + 1 && off_is(p, k, W_CUT_AWAY)) {
      *out = true; /* "crop out | the faces" */
      continue;
    }
    if (p->tok[k].kind != TK_WORD || off_is_any(p, k, stop, sizeof stop / sizeof *stop) ||
        (crop && off_is(p, k, W_CUT_AWAY)))
      break;
    words += !p->tok[k].det;
  }
  return 0;
}

bool off_marks_thing(const planner *p, size_t a, size_t b, bool cut) {
  bool out;
  for (size_t i = a; i + 1 < b; i++)
    if (marked_found(p, i, a, b, &out) && out == cut)
      return true;
  return false;
}

/* The task changing a thing of a type in m, a picture's first, then a text's, then a recording's:
 * an edit, a rewrite, a sound change; or -1. */
static int change_of(const planner *p, unsigned m) {
  static const struct {
    unsigned type;
    off_role role;
  } change[] = {
      {BATON__T_IMAGE, R_EDIT}, {BATON__T_TEXT, R_WRITE}, {BATON__T_AUDIO, R_CHANGE_SOUND}};
  for (size_t k = 0; k < sizeof change / sizeof change[0]; k++)
    if (m & change[k].type)
      return p->role[change[k].role];
  return -1;
}

/* "Make it blue", "make it funnier" (of a text): what off_made_other() changes, a file or "it":
 * a picture at hand before all ("caption x.jpg and make it blue", or after "how big is x.jpg?":
 * the picture its text was read from), else a text ("transcribe a.wav and make it funnier"), else
 * a recording, asks for that medium's change, told by the words; or -1. */
static int changed_to(const planner *p, const step *st, unsigned avail) {
  size_t o = off_made_other(p, st->a, st->b);
  int r = o ? off_res_at(p, o, ~0u) : -1;
  unsigned m = r >= 0 ? p->res[r].type : o ? avail : 0;
  for (const resource *e = p->res; o && r < 0 && e < p->res + p->n_res; e++)
    m |= e->read ? e->type /* read by a step, or by the last turn's task */
         : e->turn && e->turn == p->last_turn && e->maker ? p->cues[e->maker - 1].spec->inputs : 0;
  return change_of(p, m);
}

/* "What objects are in x.jpg? Suggest some alterations based on them": does st, naming no task
 * nor file, ask (its first word) for words drawn from what an earlier step made ("based on them")?
 * Then a text is written from it. */
static bool asks_ideas(const planner *p, const step *st, unsigned produced) {
  bool back = false;
  for (size_t i = st->a + 1; i + 1 < st->b; i++)
    back |= off_is(p, i, W_GUIDED) && off_is(p, i + 1, W_PREPOSITION);
  return back && produced && off_is(p, st->a, W_ASK_VERB) && !off_own_types(p, st->a, st->b) &&
         (off_has_word(p, st->a, st->b, W_REFERENCE) || off_has_word(p, st->a, st->b, W_PLURAL));
}

/* "Turn notes.txt into a podcast script", "make a video script": does st, naming no task, ask for
 * a text for a medium ("a", a word or two, its kind)? It is written. */
static bool asks_writing(const planner *p, const step *st) {
  for (size_t i = st->a + 1; i < st->b; i++)
    for (size_t k = i; off_is(p, i, W_WRITTEN) && k-- > off_back(i, 3, st->a);)
      if (off_is(p, k, W_INDEFINITE))
        return true;
  return false;
}

/* "Remove the music from song.mp3", "cut the dog from x.jpg", "put sunglasses on the man in
 * x.jpg": a verb of a change any medium takes, in st naming pictures or recordings of its own (not
 * both), asks the task changing that medium as the words say (a cue of another's, "remove" of
 * editing pictures, says nothing of which); not a file or "it" put somewhere ("put talk.wav in
 * t.txt"); or -1. */
static int changed_named(const planner *p, const step *st) {
  unsigned own = off_own_types(p, st->a, st->b) & (BATON__T_IMAGE | BATON__T_AUDIO);
  if (!own || own == (BATON__T_IMAGE | BATON__T_AUDIO))
    return -1; /* (first: cheaper) */
  for (size_t i = st->a; i < st->b; i++)
    if (off_is(p, i, W_CHANGING) &&
        !(off_is(p, i, W_PUTTING) && i + 1 < st->b &&
          (p->tok[i + 1].kind == TK_RES || off_is(p, i + 1, W_REFERENCE))))
      return change_of(p, own);
  return -1;
}

/* (After "caption photo.jpg", "make it a sketch", "turn it into a cartoon" restyle photo.jpg.) */
bool off_paints_picture(const planner *p, const step *st, unsigned avail) {
  size_t a = off_past_asking(p, st->a, st->b), b = st->b;
  while (b > a && (p->tok[b - 1].kind == TK_PUNCT || off_is(p, b - 1, W_ASKING))) /* "please" */
    b--;
  size_t k = a + 1 + (a + 2 < b && p->tok[a + 1].det); /* "it", "the result", "photo.jpg" */
  if (k + 2 > b || !(off_is(p, a, W_CAUSATIVE) || off_is(p, a, W_CONVERTING)) ||
      !off_is(p, b - 1, W_PAINTED))
    return false;
  size_t f = k + 1 + off_is(p, k + 1, W_DESTINATION); /* "turn it into a cartoon" */
  bool named = off_res_at(p, k, BATON__T_IMAGE) >= 0, /* "the photo": the one at hand */
      it = off_is(p, k, W_REFERENCE) || (off_is(p, k, W_PICTURE) && p->tok[k - 1].det);
  return f + 1 + off_is(p, f, W_INDEFINITE) == b &&
         (named || (it && ((avail & BATON__T_IMAGE) || p->pictures)));
}

/* The task of st naming none: a description or a kind of text written, words spoken, files
 * joined, one file turned into another, a cue's task rewritten, a medium's change or what "make
 * it ..." changes; or -1. */
int off_unnamed_task(planner *p, step *st, unsigned produced, unsigned avail) {
  if (off_describes_unseen(p, st, produced) || asks_ideas(p, st, produced) || asks_writing(p, st))
    return p->role[R_WRITE];
  if (off_asks_speech(p, st, produced, avail))
    return p->role[R_SPEAK];
  if (off_paints_picture(p, st, avail))
    return p->role[R_TRANSFORM];
  if ((avail & BATON__T_TEXT) && makes_it(p, st) == BATON__T_IMAGE)
    return p->role[R_DRAW]; /* "make it a picture": a text at hand drawn */
  int t = joined_task(p, st);
  t = t >= 0 ? t : off_converting_task(p, st, avail);
  t = t >= 0 ? t : rewritten_cue(p, st, produced, avail);
  t = t >= 0 ? t : changed_named(p, st);
  return t >= 0 ? t : changed_to(p, st, avail);
}
