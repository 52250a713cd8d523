/* internal.h — the offline planner's shared state and the contracts between its passes. */
#ifndef BATON_PLANNER_OFFLINE_INTERNAL_H
#define BATON_PLANNER_OFFLINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "planner/offline.h"

/* The passes, in order (each file's header says what it takes and gives):
 *   lexicon.c  the words, task roles and weights of lexicon.yaml
 *   lex.c      request text -> tokens and resources (files, quotes)
 *   history.c  earlier turns -> resources a reference can point at
 *   again.c    the last request asked again (new files, language, a thing added), for plan.c
 *   redraw.c   a drawing asked for anew ("now a dog", "another one"), for again.c
 *   cues.c     registry keywords -> weighted phrases; where they match
 *   segment.c  tokens -> steps (clauses), scene-setting ones marked
 *   score.c    (step, task) -> feature vector -> score; the best task
 *   rewrite.c  what the request is about adjusts a chosen task
 *   recognise.c steps -> one task each (split, merged, dropped)
 *   merge.c    recognised steps on one task merged, goals spelt out dropped (for recognise.c)
 *   claim.c    what a recognised step takes, makes or follows (for recognise.c)
 *   split.c    a step naming two tasks cut in two (for recognise.c)
 *   unnamed.c  the task of a step that names none (for recognise.c)
 *   question.c the task of a question a step puts (for recognise.c)
 *   choices.c  a classifier's choices: zero-shot labels and the kind they ask (recognise.c, link.c)
 *   link.c     recognised steps -> task graph with inputs wired
 *   emit.c     one task emitted with its arguments, a translation riding along (for link.c)
 *   inputs.c   where each task's main input comes from (for link.c)
 *   sources.c  earlier tasks and unused resources an input may be (for inputs.c)
 *   plan.c     the driver: baton__plan_offline_req() */

#define OFF_MAX_COLON_WORDS 256 /* words after "this:" read as its text */
#define OFF_MAX_REQUEST 16384 /* bytes of request text we look at */
#define OFF_MAX_TOKENS 4096
#define OFF_FIRST_TOKENS 128 /* tokens room is made for first: most requests */
#define OFF_MAX_RES 64        /* resources (files, quotes, inputs, earlier outputs) */
#define OFF_MAX_STEPS 64
#define OFF_MAX_SPLIT_TOKENS 96 /* a longer step is not split in two (best_split is quadratic) */
#define OFF_MAX_TASKS 32      /* tasks in the resulting graph */
#define OFF_MAX_JOINED 9      /* inputs one task takes joined: text, text2 ... text9 (runtime) */
#define OFF_MAX_WORD 32       /* longer words are truncated */
#define OFF_MAX_PHRASE 8      /* words in one keyword phrase */
#define OFF_MIN_RESPELT 5     /* letters of a misspelt word read as a word of the spelled class */
#define OFF_MAX_CHOICES 16    /* a classifier's choices listed ("a cat or a dog") */
#define OFF_MAX_THING 6       /* words of a thing added to the last request ("and the dates?") */
#define OFF_MAX_AGAIN 32      /* tokens of a request asking for a drawing anew ("draw it again") */
#define OFF_MAX_TAIL 48       /* words of a last request and steps after a repeat compared */
#define OFF_MAX_PHRASES 256   /* phrases per task (more are not read) */
#define OFF_MAX_DESC 48       /* description words per task */
#define OFF_MAX_TASKSPECS 256
#define OFF_MORE_DETAIL "in more detail" /* "tell me more" after a text task: the words it adds */
#define OFF_NO_TASK "could not find any task in the request: say what to do with what, for " \
                    "example \"summarize notes.txt\" or \"translate 'hello' into French\""
#define OFF_NO_WEB "baton does not download or search the web: save the file or its text and " \
                   "name it in the request, for example \"transcribe talk.wav\" or \"summarize " \
                   "page.txt\""
#define OFF_NO_SEARCH "baton does not search the web: save what you find and name it in the " \
                      "request, for example \"transcribe talk.wav\" or \"summarize page.txt\"; " \
                      "or ask baton to make one, for example \"draw a sunset over the sea\""
#define OFF_NO_SEND "baton does not send or post anything: it saves what it makes in the run's " \
                    "folder, for you to send"
#define OFF_OOM "out of memory while planning"
#define OFF_IN_DETAIL "describe the picture in detail" /* a picture asked for more than its caption */

/* ---- lexicon.c: word classes, task roles, weights */
/* Word classes of lexicon.yaml (W_*), task kinds its rules name (R_*; the question answerers in a
 * row, READ_DOCUMENT to ASK_TABLE), weights: score.c's terms (F_*, one a feature), limits (K_*). */
#define OFF_CLASSES(X) \
   X(DETERMINER) X(DEFINITE) X(INDEFINITE) X(DESTINATION) X(TARGET_PREP) X(SOURCE_PREP) \
   X(SPAN_START) X(JOINER) X(HARD_BREAK) X(DEMONSTRATIVE) X(RELATIVE) X(PREPOSITION) X(STOPWORD) \
   X(REFERENCE) X(PLURAL) X(AGAIN) X(RESUMING) X(CONTRAST) X(ORIGINAL) X(MADE_THING) X(HELD) \
   X(TOLD) X(NAMING) X(PICTURE) X(RECORDING) X(MADE_AS) X(MOVING) X(TABLE) X(DOCUMENT) X(UNSURE) \
   X(SUBJECT) X(SCENE_SUBJECT) X(ASKING) X(LEAD_IN) X(ASIDE) X(SUPPOSING) X(LETS) X(US) X(YOU) \
   X(FILLER) X(CONDITION) X(ASK_VERB) X(WH) X(TELL) X(KNOW) X(IS_ARE) X(SEVERAL) X(ONE_THING) \
   X(MARKING) X(TASK_NOUN) X(ALOUD) X(SPEAKING) X(FRESH) X(GUIDED) X(CONTENT_INTRO) \
   X(TARGET_NOUN) X(TRANSLATING) X(IN_A_STATE) X(CAUSATIVE) X(READING) X(PURPOSE) X(EXISTENTIAL) \
   X(QUESTION) X(AT_HAND) X(MODEL) X(WEB) X(SAVING) X(CALLING) X(JOINING) X(ADDING) X(CONVERTING) \
   X(MUSIC) X(ALIKE) X(FEASIBLE) X(BEFORE_CLAUSE) X(AFTER_CLAUSE) X(TIME_UNIT) X(END_OF) \
   X(LASTING) X(COUNT) X(SEARCHING) X(SOUGHT) X(PARTICLE) X(INSTRUCTION) X(BESIDE) X(SHARE) \
   X(RECIPROCAL) X(MEANING) X(WORDING) X(HOLDING) X(WORDED) X(IT_IS) X(UTTERING) X(MORE) \
   X(PUTTING) X(VOICE) X(PLACED_FIRST) X(PLACED_AFTER) X(DRAWN_ON) X(PLAYING) X(BACKGROUND) \
   X(DRAWN) X(HANDING) X(MEANS) X(OPENING) X(NEW_TOPIC) X(DESCRIBING) X(CAPTIONING) X(ORDINAL) \
   X(FURTHER) X(CHANGING) X(SIZING) X(MEASURE) X(DEGREE) X(COMPARING) X(FACT) X(INSTEAD) \
   X(WRITTEN) X(UNCHANGED) X(OCCASION) X(UNDRAWN) X(SPELLED) X(SWAPPED) X(SENDING) \
   X(ANSWERING) X(COURTESY) X(JOB) X(TEXTUAL) X(ARROW) X(ALTERNATIVE) X(CONTENTS) \
   X(LOOKING) X(SOUNDING) X(HEARING) X(COLOURING) X(HUE) X(SEPARATING) X(SOUND_PART) X(PICKED) \
   X(NEGATION) X(DENYING) X(MANNER) X(SPARING) X(REPLACING) X(REPLACED) X(FLUENT) X(VOICING) \
   X(WRITING) X(FOUND) X(FILES) X(MODIFYING) X(MEASURED) X(TOLD_OF_SOUND) X(KEPT_AS_IS) \
   X(CROPPING) X(CUT_AWAY) X(LETTERED) X(YES_NO) X(RECORDING_VERB) X(SPEAKER) X(OUT_LOUD) \
   X(ATTACHED) X(ABLE) X(EXCHANGE) X(PERCEIVING) X(PAINTED) X(SAID_HOW) \
   X(LOOKS_ENDING) X(MATERIAL) X(AS_ONE) X(APIECE) X(DETAIL) X(SAID_MORE) X(PICTURING) \
   X(POLISHED) X(QUALITY) X(TONGUE) X(TONGUE_ENDING)
#define OFF_ROLES(X) \
   X(TRANSLATE) X(DRAW) X(TRANSFORM) X(EDIT) X(CAPTION) X(TRANSCRIBE) X(READ_TABLE) \
   X(READ_DOCUMENT) X(ASK_PICTURE) X(ASK_TEXT) X(ASK_TABLE) X(COMPARE_TEXTS) X(DETECT) \
   X(CLASSIFY_PICTURE) X(CLASSIFY_TEXT) X(SPEAK) X(CONVERSE) X(CHANGE_SOUND) X(SUMMARIZE) \
   X(FIND_ENTITIES) X(RECORDING_FACTS) X(PICTURE_FACTS) X(WRITE) X(LABEL_PICTURE) \
   X(LABEL_TEXT) X(CLASSIFY_SOUND)
#define OFF_FEATURES(X) \
   X(KEYWORD) X(DESCRIPTION) X(NO_MEDIA) X(MEDIA_ELSEWHERE) X(OWN_INPUT) X(OWN_READABLE) \
   X(OWN_OTHER) X(AVAIL_MEDIA) X(AVAIL_INPUT) X(NO_PASSAGE) X(SAID_MEDIUM) X(SAID_OTHER_MEDIUM) \
   X(MOVING_DRAWN) X(NO_MODEL)
#define OFF_THRESHOLDS(X) \
   X(PHRASE_WORD) X(MIN_KEYWORD) X(ACCEPT) X(ACCEPT_FALLBACK) X(VERB_KEYWORD) X(SPLIT_PART) \
   X(SPLIT_KEYWORD) X(SPLIT_GAIN) X(CLEAR_KEYWORD)
#define OFF_W(e) W_##e,
#define OFF_R(e) R_##e,
#define OFF_F(e) F_##e,
#define OFF_K(e) K_##e,
typedef enum { OFF_CLASSES(OFF_W) W_N } off_class;
_Static_assert(W_N <= 192, "token.cls holds 192 classes");
typedef enum { OFF_ROLES(OFF_R) R_N } off_role;
typedef enum { OFF_FEATURES(OFF_F) F_N, K_BEFORE = F_N - 1, OFF_THRESHOLDS(OFF_K) K_N } off_weight;

typedef struct {
  char (*words)[OFF_MAX_WORD], (*stems)[OFF_MAX_WORD]; /* as written; stemmed (in words' block) */
  size_t n;
} off_words;

typedef struct {
  off_words cls[W_N], lang_names; /* the word classes; the languages' names ("spanish"...) */
  char (*lang_codes)[8]; /* parallel to lang_names; the first: a text's unless the request says */
  int role[R_N];               /* index of each role's task kind in the registry's */
  double w[K_N];
} off_lexicon;

/* Loads text (NULL: the embedded lexicon), roles checked in tasks; -1: err "lexicon.yaml:N: ..." */
int off_lexicon_load(off_lexicon *lx, const char *text, size_t len, const baton__taskspec *tasks,
                     size_t n_tasks, char *err, size_t errlen);
void off_lexicon_release(off_lexicon *lx);
bool off_words_has(const off_words *l, const char *word, bool by_stem);
/* Does word end with one of l's words, with letters before it ("stripy": "y")? */
bool off_words_ends(const off_words *l, const char *word);
/* Is word (as written; by_stem: a stem) in one of the n classes cs? */
bool off_words_in(const off_lexicon *lx, const off_class *cs, size_t n, const char *word,
                  bool by_stem);

/* ---- state */
typedef enum { TK_WORD, TK_PUNCT, TK_RES } tk_kind;

typedef struct {
  tk_kind kind;
  char stem[OFF_MAX_WORD]; /* TK_WORD: stemmed lower-case word; TK_PUNCT: the char */
  char word[OFF_MAX_WORD]; /* TK_WORD: lower-case word as written */
  int res;                 /* TK_RES: resource index */
  size_t start, end;       /* byte span in the request */
  bool skip, naming;       /* no cue: a reference ("the summary"), names a file ("labeled as") */
  bool det;                /* a determiner ("the", "this", "an"...) */
  bool respelt;            /* TK_WORD: read as `word`, not as written ("sumarize", "->") */
  bool soft;               /* a boundary only when what follows asks for more (segment.c) */
  bool refusal;            /* starts a clause refusing a task ("..., but | don't translate it") */
  bool dashed;             /* a dash alone before it ("x.jpg - | no caption"): a clause may open */
  uint64_t cls[3];         /* TK_WORD: bit c, the word is in class c (off_is) */
} token;

typedef struct {
  unsigned type;   /* one BATON__T_* bit */
  char *value;     /* path or literal text (owned) */
  bool is_file, asked; /* asked: a quote that is a question ('Who won?'), no text to work on */
  int turn;        /* 0: the request's own; else the earlier turn it came from (1 = oldest) */
  bool used, claimed; /* consumed by some task; spoken for by a recognised step (before tasks) */
  bool read;       /* claimed by a step only reading it into text: a later change may take it */
  int kind;        /* a picture file: what its sentence calls it (IMG_*); AUD_*: music, question */
  int reader;      /* the graph task (id + 1) that read it into text for a step (a question:
                    * asked it), or 0 */
  const char *lang; /* an earlier turn's text: its language, when the turn said (a lexicon code) */
  int maker;       /* an earlier turn's output: the cue (index + 1) of the task that made it; 0 */
  int entry;       /* ... and that task's place (1, 2 ...) among its answer's "tasks"; 0 */
  bool answer;     /* ... made by a task answering a question (off_answers) */
  char *asked_by;  /* ... and then the request that turn answered (owned), or NULL */
} resource;

typedef struct {
  char stems[OFF_MAX_PHRASE][OFF_MAX_WORD];
  size_t n;
  double weight;  /* how much a match says about the task (see cues.c) */
  unsigned det, comma; /* bit k: word k is a determiner; a ',' may precede it ("people, places") */
  unsigned lang;       /* bit k: word k is a target language, any one stands for it ("to french") */
  unsigned indefinite, destination, reference, particle; /* bit k: word k is of that class (a
                                                          * reference as written); found once */
  unsigned noun; /* the medium its task makes, named as a noun ("image of", "new image"), or 0 */
} phrase;

typedef struct {
  const baton__taskspec *spec;
  phrase *phrases;
  char (*desc)[OFF_MAX_WORD];
  size_t n_phrases, n_desc;
  bool runnable;  /* some model can run it here */
} taskcue;

/* ---- prepared.c: the lexicon and cues of a set of task kinds, built once and shared */
typedef struct off_prepared {
  off_lexicon lx;
  taskcue *cues;   /* per task kind; spec NULL and runnable false: each plan's to fill in */
  size_t n_cues;
  char *lexicon;   /* a copy of the lexicon's text, or NULL: the embedded one */
  size_t lexicon_len;
  char **texts;    /* each task kind's name, keywords and description (copies, NULL as given) */
  unsigned refs;   /* holders: plans, and the cache while it is the latest */
} off_prepared;

/* The lexicon and cues for lexicon text (NULL: the embedded one) and tasks, held for the caller:
 * the last built when it was built from the same texts, else a new one. NULL: err says why. */
off_prepared *off_prepare(const char *text, size_t len, const baton__taskspec *tasks,
                          size_t n_tasks, char *err, size_t errlen);
void off_prepared_drop(off_prepared *o); /* lets go of what off_prepare() gave */

typedef struct {
  size_t a, b;      /* token range [a, b) */
  int task;         /* index into cues, or -1 */
  double score;
  bool context, speak; /* only sets the scene; "read the sign in x.png aloud": speak its result */
  bool refused; /* refuses the task it names ("don't translate it"): none, also where none stands
                 * out (context too: its files count) */
  bool split_tail, relative, fed; /* split off the step before; a relative clause; fed by next */
  bool gone; /* left out of the plan: it could get no input (link.c) */
  bool later; /* runs after the next steps of its sentence ("once you have ...", link.c); a goal
               * before "First, ...": after the steps of the sentences spelling it out */
  bool goal; /* what steps after it spell out ("make a video | by drawing ...", "... . First,"):
              * done where one of them asks for its task again (recognise.c) */
  int output; /* the resource (index + 1) naming the file it makes ("save it as a.wav"), or 0 */
  size_t thing; /* 1 + where the thing in a file it asks the facts of starts ("the noise"), or 0 */
  size_t lead; /* 1 + where "based on the summary, |" before it starts (what it takes), or 0 */
  size_t told_to; /* where the words of its instruction end if past b ("Write a poem about the
                   * sea. | Keep it short."), or 0 */
  const char *goal_lang; /* the language a goal it does asked for ("a French summary"), or NULL */
} step;

enum { IMG_PLAIN, IMG_TABLE, IMG_DOCUMENT, AUD_MUSIC, AUD_QUESTION };

typedef struct {
  const char *req;
  token *tok;     /* n_tok of them, in cap_tok (zeroed past n_tok, two at least) */
  size_t cap_tok;
  resource res[OFF_MAX_RES];
  taskcue *cues;
  const int *role; /* cue index of each role (the lexicon's) */
  step steps[OFF_MAX_STEPS];
  size_t n_tok, n_res, n_cues, n_steps;
  int image_kind; /* what the request's picture shows: IMG_* */
  size_t pictures; /* picture files of the request and earlier turns */
  int last_turn;  /* the newest earlier turn that left a resource, 0 if none */
  int turns;      /* the earlier turns (messages) given */
  char *asked;    /* the newest earlier user message (history.c), owned */
  char *asked_into; /* ... of those naming a language to make ("into Spanish"), owned */
  char *found_in; /* the request whose finds asked's last message marks ("find the faces in
                   * x.jpg", then "now blur them"), owned, or NULL */
  int again_turn; /* the turn of a repeat after it ("do the same for b.png"), 0 if none */
  size_t again_end; /* where the words after the files of a first step asking the last request
                     * again on them begin ("do the same for b.jpg | and read it aloud"), or 0 */
  const char *held_lang; /* what a text at hand is in ("I have a text in French"), or NULL */
  unsigned held_types; /* ... the media that hold it ("a recording in French": audio), or 0 */
  size_t held_at; /* ... 1 + the token of its language, or 0 */
  size_t held_file; /* ... 1 + the file said to be in it ("x.png is in German"), or 0 */
  bool searched;  /* a step asks to search the web ("find a video on X"): no task (recognise.c) */
  bool follows;   /* a question following up an earlier answer (off_follows_answer) */
  bool told;      /* the newest answer came from a task that looks for what words say, that ran */
  int ran;        /* the tasks the newest answer lists ("tasks"), 0 before any */
  bool more;      /* nothing planned: it only says more of the last request (off_says_more) */
  bool repeat;    /* the request is the last one asked again (plan.c): no follow-up itself */
  long copies;    /* ... and how many of its drawings the request asked for (0: as it did) */
  const baton__taskspec *made[OFF_MAX_TASKS]; /* the kind of each task of g */
  bool marks[OFF_MAX_TASKS]; /* task k shows what it finds on its picture ("... and blur them") */
  size_t by_a[OFF_MAX_TASKS], by_b[OFF_MAX_TASKS]; /* the words of the step task k was for */
  char left_out[384]; /* the first step left out (it could get no input): its words, why; then
                       * "; left out " each working on what one would have made (link.c); or "" */
  size_t gone; /* 1 + the step left out whose output a step takes, once off_choose_input() said
                * so (2), or 0 */
  char unsaved[256]; /* the first name to save as that is no plain file name, or "" */
  char respelled[160]; /* misspelt words read as words of the spelled class ("'sumarize' as
                        * 'summarize'"), or "" */
  const off_lexicon *lx;
  const char *translations; /* what can be translated here (baton__offline_req), or NULL */
  const char *translate_advice; /* what to add when nothing here can translate, or NULL */
  baton__graph *g;
  char *err;
  size_t errlen;
} planner;

/* ---- lex.c: tokens and resources */
/* Where a look back of n tokens from token i starts, not before token lo. */
static inline size_t off_back(size_t i, size_t n, size_t lo) { return i > lo + n ? i - n : lo; }
bool off_is(const planner *p, size_t i, off_class c); /* token i is a word of class c */
bool off_is_any(const planner *p, size_t i, const off_class *cs, size_t n); /* of one of n cs */
bool off_punct(const planner *p, size_t i, const char *chars); /* token i is a mark in chars */
/* Makes token i the word w's first ("->" read and written as "to": segment.c), its classes
 * looked up. */
void off_read_as(planner *p, size_t i, const off_words *w);
/* The length of the arrow s[0..n) starts with ("->", "=>", "-->", "→"), or 0. */
size_t off_arrow_len(const char *s, size_t n);
void off_make_word(const char *src, size_t n, char *dst, char *st);
/* The next word of a conversation text at *at (baton__conversation_word), made (off_make_word)
 * into w and stem; NULL past the last. */
const char *off_next_word(const char **at, size_t *n, char *w, char *stem);
/* Is word w (lower case) an "-ing" form ("reading", "sleeping"; not "sing", "ring")? */
bool off_ing_word(const char *w);
size_t off_split_words(const char *s, size_t n, char (*out)[OFF_MAX_WORD], size_t max,
                       unsigned *comma);
unsigned off_file_type(const char *s, size_t n);
/* The type of the file format a word names as a file's extension ("mp3", "png"), or 0. */
unsigned off_format_word(const char *w);
/* The type of the file format or the type word token i names ("mp3", "png", "audio"), or 0. */
unsigned off_format_type(const planner *p, size_t i);
int off_add_resource(planner *p, unsigned type, const char *v, size_t n, bool is_file);
int off_tokenize(planner *p);
bool off_has_word(const planner *p, size_t a, size_t b, off_class c);
/* 1 + where the "call" or "name" is that names token i, from lo on ("call the result i", "name it
 * i"), or 0; does such a word or a "save" name i as a file to make ("save it as i", "... in i")? */
size_t off_called(const planner *p, size_t i, size_t lo);
bool off_saved_name(const planner *p, size_t i, size_t lo);
/* Does token i ask to save what is made: "save", "write", "put it", "put the summary", "->"? */
bool off_saves_at(const planner *p, size_t i);
/* "I have a | ...", "my friend has a | ...", "I was given a | ...": is token h a word of holding
 * whose subject holds what follows (not "could I have", "to have", "and (then) have", "that has",
 * "the question I have is")? */
bool off_holds(const planner *p, size_t h);
/* Is token i a word saying which or how many of a thing ("first", "last", "two", "3")? */
bool off_modifies(const planner *p, size_t i);
/* "summarize the | detected objects", "translate the | summary of x.txt": does token i name, after
 * a determiner (and, `of`, before "of"), a thing a task makes (the words before it work on it)? */
bool off_made_of(const planner *p, size_t i, bool of);
/* "the | entities identified in the text", "the | objects detected in it": does token i, after a
 * determiner, name a thing by a participle of making ("-ed"), a preposition after it? */
bool off_participle_thing(const planner *p, size_t i);
int off_res_at(const planner *p, size_t i, unsigned types);
int off_own_res(const planner *p, size_t a, size_t b, unsigned types);
size_t off_count_res(const planner *p, size_t a, size_t b, unsigned types); /* of [a,b) */
/* Does token i name a language a word is asked in: "the German word for (cat)"? */
bool off_word_for(const planner *p, size_t i);
/* Is token i a verb asking to speak a thing ("say it", "say the summary", "say 'hi'"; not "say,
 * ...", "say which", "say you are done")? */
bool off_speaks_at(const planner *p, size_t i);
/* The first token of [a,b) past the words leading a verb that only resume, join or ask ("now",
 * "and", "can you", "please": "can you | make it blue", "let | me know"), or b. */
size_t off_past_asking(const planner *p, size_t a, size_t b);
/* "Listen to memo.wav", "hear the talk.wav": does [a, b) hear a recording it names (its words then
 * read or asked)? */
bool off_hears(const planner *p, size_t a, size_t b);
/* "..., then spoken", "notes.txt in French and spoken": where [a, b) ends in a participle of
 * speaking (a word both "aloud" and "worded") after "then", "and" or a comma (in it or just before
 * a), only marks after it; else b. The text made before it is read out (not "the spoken words",
 * "notes.txt is spoken English"). */
size_t off_spoken_after(const planner *p, size_t a, size_t b);
/* "..., and email it", "send the summary to Bob", "post notes.txt on Twitter": does token i, a
 * verb of sending, send a thing made or named in [i, b) (not "send it to me", "send a message")?
 * baton sends nothing: such a step is left out, with a note (recognise.c). */
bool off_sends_at(const planner *p, size_t i, size_t b);
/* "(please) say hello there": where the words to speak start, after a "say" leading [a, b) (not
 * "say it", "say the summary", "say slowly", "speak English"); else 0. */
size_t off_words_spoken(const planner *p, size_t a, size_t b);
/* Does a part of a recording start at token i, within [i,b): "from 0:01", "from 1 to 3 seconds",
 * "between 0:10 and 0:20", "0:10 to 0:20"? */
bool off_time_from(const planner *p, size_t i, size_t b);
/* Does token i end a part of a recording, in a step from a: "the first 2 seconds", "the last
 * minute", "the second half"? */
bool off_names_part(const planner *p, size_t a, size_t i);
const char *off_language_at(const planner *p, size_t i);
/* Does token i, a capitalised word after "in", "into" or "to" (or "what about", "how about"), name
 * a language as one names one, known here or not: "Klingon", "Elvish", a tongue's name or ending,
 * not a place ("in Paris")? */
bool off_tongue_at(const planner *p, size_t i);
/* "The French version", "the German summary of notes.txt", "the English transcript of talk.wav":
 * does token i, a language, name a thing to make in it (a version's word, or a thing a task makes
 * then "of", "about"...; not "the translated French summary", "the French transcript in n.txt",
 * off_version_in_file)? */
bool off_version_at(const planner *p, size_t i);
/* "The French translation in fr.txt": do language i's version word, then a preposition (not "of")
 * and a file, say that file holds the version (a text in that language, none to make)? */
bool off_version_in_file(const planner *p, size_t i);
/* Target ("into Spanish") and source ("from French") languages in [a,b). */
void off_find_languages(const planner *p, size_t a, size_t b, const char **tgt, const char **src);
/* The language the words to read are written in ("read the French text"): a language named before a
 * noun, not after "into"/"from" nor in a list ("into Spanish, French and German"); or NULL. */
const char *off_written_language(const planner *p, size_t a, size_t b);

/* ---- history.c */
/* Does the request name something of its own (its resources come before earlier turns')? */
static inline bool off_names_own(const planner *p) { return p->n_res && !p->res[0].turn; }
int off_add_history(planner *p, const char *messages_json);
/* The cue (index + 1) of the task kind called `name`, or 0. */
int off_cue_named(const planner *p, const char *name);
/* "Thanks! Now a truck", "great, read it aloud": where s goes on past its leading sentences or
 * clauses (each ending in ",", ".", "!", ";" or before "now": "lovely now a truck") of courtesy
 * words only (one more than a lead-in: not "so,"), when words other than those follow and no quote
 * is passed; else s ("great thanks", "'Thank you!' translate into French"). Points into s. */
const char *off_past_courtesy(const off_lexicon *lx, const char *s);
/* "Who signed it?" after "what is the date on sign.png?", "and the emotion?" after a file's facts:
 * does the request, naming nothing of its own, put a question after a turn that answered one? Then
 * it asks what that question asked about: earlier turns' answers are set aside (typed 0) and
 * p->last_turn is the newest turn left. */
bool off_follows_answer(planner *p);
/* "Classify it", "summarize it" after "how long is talk.wav?": unless the request reads them out
 * or translates them, the last turn's labels of a file (off_labels) are set aside (typed 0) while
 * that file is at hand: a file's facts are no content to work on. A turn of labels only set aside,
 * the turn before's are too ("summarize it" after its facts, then "and the emotion?"). */
void off_set_labels_aside(planner *p);

/* The length of s less its final stop and spaces ("summarize a.txt." without "."). */
int off_unstopped(const char *s);
/* The first an bytes of a, sep, the first bn bytes of b, malloc'd (NULL out of memory). */
char *off_joined(const char *a, int an, const char *sep, const char *b, int bn);
/* Is w a word that only leads in, joins, points or asks ("and", "in", "what about", "now", "same
 * for", "please")? */
bool off_spare(const planner *p, const char *w);
/* "More detail", "more details", "more concise": are stems `more` and `how` "more" and a word of
 * how long a made thing is? */
bool off_more_sized(const planner *p, const char *more, const char *how);
/* ---- again.c: the last request asked again, with what the request adds */
/* "Blur them" after "find the faces in x.jpg": how to show what the last request found. */
bool off_marks_found(const planner *p);
/* The request's language ("now German", "what about German?", "not Spanish, German", naming
 * nothing of its own): 1 + its token, or 0. */
size_t off_language_asked(const planner *p);
/* "And into German?", "now to French, please" after "translate a.txt into Spanish": does the
 * request say only a language (the newest request naming one), no more than joiners, "into",
 * "now", "please"? Then it is said more of the last request, as off_says_more() holds. */
bool off_only_language(const planner *p);
/* "Read it again", "say that again", "again please", "summarize it again (in French)" after a turn
 * that drew nothing, changed no picture or recording into its own type and translated nothing
 * (not "rotate it again", "translate it again": the result, again; nor "shorten it again": the
 * result, further): does the request say "again" beside no more than "it", spare words and cues
 * of the tasks that turn ran, and a language only beside such a cue or after a turn writing no
 * text ("again in French" translates a text result; after "read notes.txt aloud", reads it out
 * anew in French)? Then the last request is asked anew ("read x.png aloud": not only its
 * reading), in those languages. */
bool off_asks_anew(const planner *p);
/* "And the dates?" after "who is mentioned in notes.txt?", "and the sample rate?" after "how long
 * is a.wav?" (answered in words by a task told what to look for, or telling a file's facts):
 * where in p->req the thing starts that the request, naming nothing of its own, adds to the last
 * request; or NULL. off_asked_again() asks the last request with it. */
const char *off_request_thing(const planner *p);
/* "Now German" after "translate a.txt into Spanish", "in one sentence" after "summarize a.txt":
 * does the request, naming nothing of its own, only say more of the last request (a language, a
 * request naming one to make, the newest else the last; words a preposition first; a quote in
 * place of its quote; "another one"; a thing added, "and the dates?")? off_asked_again() then
 * asks that. */
bool off_says_more(const planner *p);
/* How many file names text (a message; NULL: none) names to work on ("summarize a.txt and save it
 * as s.txt": 1, not the name to save as). */
size_t off_files_named(const planner *p, const char *text);
/* "Do the same for b.png", "again": the newest earlier user message, file names swapped for the
 * request's files of their types (of any type if it named one file: "summarize a.txt", "same for
 * b.wav") (malloc'd); NULL if not asked, none, too long or out of memory. "And the dates?" after
 * a task that looks for what words say ("who is mentioned in a.txt?"): that message on the files
 * of the last turn, and the thing added in *thing (malloc'd) for off_add_thing(). A request
 * asking again in its first step only (p->again_end): that message, then the request's words past
 * that step's files ("do the same for b.jpg and read it aloud": "caption b.jpg and read it
 * aloud"), unless that message ends in them ("caption a.jpg and read it aloud"). */
char *off_asked_again(const planner *p, char **thing);
/* "And the dates?" after "who is mentioned in notes.txt?": the last request asked again with the
 * thing added to what it asks (*thing of off_asked_again(), malloc'd): each task's argument that
 * holds its words as asked gets " and " and the thing; 0, or -1 out of memory. */
int off_add_thing(baton__graph *g, const char *thing);
/* "More detail", "tell me more": does the request, saying more of the last (p->more), ask for
 * more detail (a detail word, or "more" told)? */
bool off_asks_detail(const planner *p);
/* ... then each caption of the last request asked again is a question to its picture instead
 * (OFF_IN_DETAIL): the caption says no more; 0, or -1 out of memory. */
int off_ask_in_detail(planner *p);
/* "And the dates?", "what about the cars?", "now how about a dog?" after "who is mentioned in
 * notes.txt?" (a told answer); also "now a dog", "a dog this time" after a drawing: does message
 * `at` (its n stems `words`) add a thing to the last request, asking no task, naming no file nor
 * language, in at most OFF_MAX_THING words after "and" or "what/how about", "the", "a" or the
 * like first (after a drawing, "a" or "what/how about a" and a plain new subject: not "and a hat",
 * "a red one", off_subject_swapped())? Where the thing starts in `at`, or NULL. */
const char *off_thing_added(const planner *p, const char *at, char (*words)[OFF_MAX_WORD],
                            size_t n);
/* Where text names the language to make after "into", "to" or "in" ("into Spanish"): its start,
 * its length in *n; NULL if nowhere. */
const char *off_target_named(const planner *p, const char *text, size_t *n);

/* ---- redraw.c: a drawing asked for anew */
/* "Draw another one", "draw it again", "give me another one" after a drawing: does the request,
 * naming nothing else, ask for that drawing anew? Then the last request is asked again, with what
 * the request adds after that: more ("and another one and another one please": two), its saving
 * ("and save it as c2.png") or a change ("with a hat": "draw a cat with a hat"). */
bool off_draws_again(const planner *p);
/* How many drawings a request asking for the last one anew asks for: "another one" (and any more
 * "and another one" after it adds), "give me two more", "another two": 2; 0 for as many as the
 * last request did ("draw them again"). plan.c gives it to the pass planning the last request
 * again (p->copies). */
long off_copies_asked(const planner *p);
/* The drawing task (cue index + 1) that made a result of the last turn, or 0. */
int off_drawn_last(const planner *p);
/* Where in the last request `asked` the words of its drawing (task c) end, for what the request
 * adds to them ("with a hat"): past a word of c, before "then" or before a mark or "and" that a
 * task's cue or a word of saving follows ("draw a cat | and save it as k.png", "draw a cat | ,
 * then describe it"; not "draw a cat and a dog"); else at its end, less its final stop. */
const char *off_drawing_end(const planner *p, const char *asked, const taskcue *c);
/* "Now a dog", "what about a dog wearing a hat?" after "draw a cat": does `thing` (from its "a")
 * name a new subject plainly, no change, praise nor other output ("a photo this time", "a jpg
 * version", "a hat on it", "a masterpiece", "a dog, but in blue"), or how a plain one looks ("a
 * green one" after "draw a red car": plain_head), the last request one drawing of its own words
 * ("draw a cat and save it as k.png"; not "draw a picture based on photo.jpg", "draw a cat and
 * make it black and white")? */
bool off_subject_swapped(const planner *p, const char *thing);
/* "Now a dog", "what about a dog?" after "draw a cat": the last request `asked` with `thing` (less
 * "this time") in place of what its drawing draws (drawn_thing), with the determiners before it,
 * to where the drawing's words end ("| and save it as k.png" kept); "a green one" after "draw a
 * red car" its words with the thing drawn in place of "one" ("draw a green car"); else with the
 * thing added. Malloc'd, NULL out of memory. */
char *off_thing_swapped(const planner *p, const char *asked, const char *thing);
/* After a drawing, where the request's own words begin past those asking for it anew: more of it
 * ("draw it again | and another one please": *copies), its saving ("draw it again | and save it
 * as c2.png"), a change or a step naming no file nor language to work on ("draw it again | with
 * a hat", "the same but | in blue", "draw it again | but blue", "draw it again | and describe
 * it"); else p->n_tok. */
size_t off_added_at(const planner *p, bool *copies);
/* "Make another one", "one more please", "another": does the request, naming nothing of its own,
 * ask for the last request's result once more ("another", "one more") in spare words only? After
 * a drawing, so do "draw another one", "draw it again", "draw the cat again", "give me another
 * one", and the words before those it adds ("draw it again | with a hat"). */
bool off_asks_another(const planner *p);

/* ---- cues.c */
/* Fills cues[0..n_cues) (zeroed; their phrases and desc are the caller's to free) but for spec and
 * runnable; -1: out of memory. */
int off_build_cues(const off_lexicon *lx, const baton__taskspec *tasks, taskcue *cues,
                   size_t n_cues);
/* The tokens the phrase spans at i (within [i,b)), or 0. Determiners are loose: "generate an image"
 * matches "generate this image" and "generate image", "to speech" matches "to a speech". */
size_t off_phrase_at(const planner *p, const phrase *ph, size_t i, size_t b);
/* Is token i one of cue c's one-word cues, whatever marks it ("the edited image": "edit")? */
bool off_cue_word(const planner *p, const taskcue *c, size_t i);
/* Is `stem` a word of one of cue c's phrases ("generate", "image": "generate an image of")? */
bool off_cue_says(const taskcue *c, const char *stem);
bool off_phrase_covers(const planner *p, const taskcue *own, size_t i, size_t n, size_t words,
                       size_t a, size_t b);
double off_keyword_score(const planner *p, const taskcue *c, size_t a, size_t b);
/* Does some task have keyword weight `min` or more in tokens [a,b)? The one with the most (the
 * first of equals), or -1. */
bool off_has_cue(const planner *p, size_t a, size_t b, double min);
/* Does a phrase of some task weighing `min` or more start at token i (and end by b)? */
bool off_cue_starts(const planner *p, size_t i, size_t b, double min);
/* The task of the longest such phrase at i (the first of equals), its end in *end; or -1. */
int off_cue_at(const planner *p, size_t i, size_t b, double min, size_t *end);
int off_clearest_cue(const planner *p, size_t a, size_t b, double min);
/* Is one of the n stems `words` (of a text not tokenized) a task's one-word cue or a word like
 * "then" that starts a step? */
bool off_words_ask(const planner *p, char (*words)[OFF_MAX_WORD], size_t n);
double off_description_score(const planner *p, const taskcue *c, size_t a, size_t b);
/* How often token i's stem is a word of c's phrases or description ("objects": of a detector's). */
double off_word_cues(const planner *p, const taskcue *c, size_t i);

/* ---- segment.c */
int off_split_steps(planner *p);
/* Does a sentence end at token i: a ".", or a contrast before an opening ("make x, but | first
 * ...", "yet first")? */
bool off_ends_sentence(const planner *p, size_t i);
/* Is token i an arrow read as the lexicon's arrow word ("-> audio" as "to audio")? (No word that
 * short is read as another: lex.c) */
bool off_arrow_word(const planner *p, size_t i);
/* "... and based on the summary, | edit x.jpg", "Then, using the transcript, | write ...": where
 * the ',' is that ends a clause's opening at token i saying what it is based on (a thing named,
 * no file or quote) with a clause after it (not "and", "then", "3)"); else 0. A step of its own
 * (recognise.c): naming no task of its own, it says what the next step takes (step.lead). */
size_t off_fronted_end(const planner *p, size_t i);

/* ---- score.c */
unsigned off_own_types(const planner *p, size_t a, size_t b);
unsigned off_res_types(const planner *p, bool unclaimed);
/* Types of the resources steps only read into text, to [a,b) naming no result of theirs
 * ("transcribe a.wav and make it louder", not "caption x.jpg and enhance the result"). */
unsigned off_read_types(const planner *p, size_t a, size_t b);
unsigned off_said_media(const planner *p, size_t a, size_t b);
/* "Transcribe all the wav files", "summarize the txt files": the types of the files [a,b) names
 * by a format's or a type's name before a word of files (not to make: "save it as wav files"). */
unsigned off_files_said(const planner *p, size_t a, size_t b);
bool off_takes_two_texts(const planner *p, const baton__taskspec *s);
bool off_is_question(const planner *p, size_t a, size_t b);
/* "What is it", "what does it mean?": are all of [a,b)'s words ones of asking and pointing (no
 * thing named: the question asks of the text at hand itself)? */
bool off_points_only(const planner *p, size_t a, size_t b);
bool off_compares_files(const planner *p, size_t a, size_t b);
bool off_asks_files(const planner *p, size_t a, size_t b);
bool off_asks_question(const planner *p, size_t a, size_t b);
bool off_asks_language(const planner *p, size_t a, size_t b);
bool off_asks_about(const planner *p);
bool off_is_passage(const resource *r);
int off_best_task_min(const planner *p, size_t a, size_t b, unsigned avail, double min,
                      int exclude, double *score_out);
static inline int off_best_task(const planner *p, size_t a, size_t b, unsigned avail, double *s) {
  return off_best_task_min(p, a, b, avail, p->lx->w[K_ACCEPT], -1, s);
}
/* The cue index (the task) of a registry task spec. */
static inline int off_cue_index(const planner *p, const baton__taskspec *s) {
  return (int)(s - p->cues[0].spec);
}
static inline bool off_is_role(const planner *p, int t, off_role r) { return p->role[r] == t; }
/* Is t a zero-shot classifier, told its labels by the request ("a cat or a dog")? */
static inline bool off_needs_choices(const planner *p, int t) {
  return off_is_role(p, t, R_LABEL_PICTURE) || off_is_role(p, t, R_LABEL_TEXT);
}
/* Does task t answer questions (the roles READ_DOCUMENT to ASK_TABLE, in a row)? */
static inline bool off_answers(const planner *p, int t) {
  for (int r = R_READ_DOCUMENT; r <= R_ASK_TABLE; r++)
    if (off_is_role(p, t, (off_role)r))
      return true;
  return false;
}

/* Does task t tell a file's facts (how long a recording lasts, how big a picture is)? */
static inline bool off_tells_facts(const planner *p, int t) {
  return off_is_role(p, t, R_RECORDING_FACTS) || off_is_role(p, t, R_PICTURE_FACTS);
}

/* ---- rewrite.c */
void off_find_kinds(planner *p);
int off_reader_task(const planner *p, int t, int r);
bool off_asks_about_picture(const planner *p, const step *st);
/* Does a quote in st say a word of class c ("answer 'What is this document about?'")? */
bool off_quote_says(const planner *p, const step *st, off_class c);
int off_rewrite(const planner *p, const step *st, unsigned produced);
/* "Describe the scene 'x'", "translate 'hi' and write a caption based on the translated text": is
 * a description or caption st asks for one of a text, where there is no picture, recording or
 * video at all (none at hand, made, or spoken of in the request), or a caption naming a text (for
 * a quote, a result made, what it is based on) and no picture? Then it is written. */
bool off_captions_text(const planner *p, const step *st, unsigned produced);

/* ---- recognise.c */
int off_recognise(planner *p);

/* ---- merge.c: recognised steps merged, goals spelt out dropped */
/* Do two spans name different target languages? */
bool off_other_languages(const planner *p, const step *x, const step *y);
/* "Draw a cat, then draw a dog", "... After that, summarize the summary": a step that starts, after
 * "then" ("Then, blur it") or "after that", with a cue of the task it repeats asks for that task
 * anew; so do "and an image of a dog" after "an image of a cat" and "and draw a dog" right after a
 * drawing (pointing at nothing made): another picture (or video) to make, or a number of them. */
bool off_task_asked_anew(const planner *p, const step *st);
/* Does token i name a picture or a recording an earlier step made: "the result", "the resulting
 * (styled) panorama", "the modified audio" (not "the speech": a word of the medium alone)? */
bool off_names_made_medium(const planner *p, size_t i, size_t b);
/* "... Finally, add color to the resulting panorama": does st, changing a picture or a recording
 * it names none of, a new sentence or after "then", name one an earlier step made, after a cue of
 * its task (not "Please provide the edited image", "... as a combined audio file")? Then it works
 * on that, not with it. */
bool off_works_on_made(const planner *p, const step *st);
/* "What is the date on x.png? Who signed it?": is st a question put after another (st and the last
 * recognised step each a question as written, to answer)? Then it is asked too, not merged. */
bool off_another_question(const planner *p, const step *st, const step *l);
/* "I want an image of X. First, translate X. | Then, segment the image": is st past the sentence
 * of steps spelling out goal g (so it may work on what g makes)? */
bool off_spelt_out(const planner *p, const step *g, const step *st);
/* Keeps the recognised steps only; neighbours on one task where the first names nothing but what
 * the second lacks ("detect and count the objects in x.jpg", "answer 'Q?' | using the document
 * d.jpg"), or a restyle and an edit, merge, unless each names a file it makes or only the second
 * joins recordings. */
void off_merge_steps(planner *p);
/* "Make a video by drawing a cat, classifying it and then making a video of the class", "make a
 * new version of x.jpg by changing its colour": a goal is done where a step after it asks for its
 * task again (on no other input: other_input()), or (before "by doing") changes a picture (or
 * recording) as it does, not before, and gives that step the language it asked for ("I want a
 * French summary of a.txt. First, ... Then summarize it": in French); one kept making no text
 * before "by doing" ("a video by | drawing a cat") runs after the next steps of its sentence, one
 * before "First, ..." after the steps spelling it out ("I want a French summary of a.txt. First,
 * fix the spelling": the fixed text summed up, link.c). */
void off_drop_goals(planner *p);

/* ---- thing.c: a thing in a file asked of rather than the file (each as thing.c says) */
/* 1 + the token the thing st's facts task asks of starts at ("the noise in talk.wav"), or 0. */
size_t off_asks_of_a_thing(const planner *p, const step *st);
/* "... and remove it": a step naming no task that points back at the thing l asked of. */
bool off_works_on_thing(const planner *p, step *st, const step *l, unsigned avail);
/* "And the sample rate?" after a file's facts: does the request only add a thing to the last? */
bool off_adds_thing_only(const planner *p);
/* How often the request's words in [i,j), less those that join, point or ask, are task t's
 * (for a task telling facts, a fact too: "the width"). */
double off_thing_cues(const planner *p, size_t i, size_t j, int t);
/* The task of a thing the request adds to the last after a file's facts, or -1. */
int off_thing_task(const planner *p);
/* "How long is talk.wav and the sample rate?": does st ask more of the facts l asks? */
bool off_asks_more_facts(const planner *p, step *st, const step *l);
/* "How big is photo.jpg and the objects": cuts step s's facts before the thing that follows. */
bool off_cut_thing(planner *p, size_t s);

/* ---- question.c: the task of a question a step puts */
/* The task answering step s's question, as question.c's contract says, or -1. */
int off_question_task(planner *p, size_t s, unsigned produced, bool asked_before);
/* "What does the man in a.wav sound like?", "how does a.wav sound?": is st a question ("what
 * does", "how is" first) ending in a verb of sounding ("like" after it), with recordings the only
 * files it names (or, naming none, at hand)? It asks how the recording sounds: it is classified,
 * not heard (recognise.c). */
bool off_asks_sound(const planner *p, const step *st);

/* ---- choices.c: a classifier's choices (zero-shot labels) */
/* The choices [a,b) give a classifier, the last list of one-word items with "or" before the last
 * or after a word for labels ("is x.jpg a cat or a dog?", "as sports, politics, or science",
 * "labels: sports, politics, science"), comma-separated as executors read labels ("cat,dog"),
 * malloc'd; or NULL; *start: the list's first token. */
char *off_choices(const planner *p, size_t a, size_t b, size_t *start);
/* "Happy or sad?", "a cat or a dog?": are the words of [a,b) a list of choices only, marks after it
 * left out? */
bool off_only_choices(const planner *p, size_t a, size_t b);
/* "What language is notes.txt in? French or Spanish?": is the last list of choices in [a,b) one
 * of languages only? They are a classifier's choices, not languages to translate between. */
bool off_lists_languages(const planner *p, size_t a, size_t b);
/* Step st's task as the choices it lists say (choices.c's contract); avail: the types at hand. */
int off_by_choices(const planner *p, const step *st, unsigned avail);

/* ---- claim.c: what a recognised step takes */
/* Marks what st (its task s; before: the types steps before it made) takes, makes and follows. */
void off_claim_resources(planner *p, step *st, const baton__taskspec *s, unsigned before);
/* Is there a word of a picture to follow in [a,i) ("like", "in the style of"), not "I'd like"? */
bool off_model_in(const planner *p, size_t a, size_t i);

/* ---- split.c: a step naming two tasks split in two */
/* Splits step s (its task found; avail: the types at hand) where its second task's cue starts. */
void off_split_step(planner *p, size_t s, unsigned avail);
/* Is token k a verb's "-ing" form after "by" (and "first"): "make a video by (first) | drawing"? */
bool off_done_by(const planner *p, size_t k);

/* ---- unnamed.c: the task of a step naming none */
/* The task of st naming none: a text written or spoken, files joined or converted...; or -1. */
int off_unnamed_task(planner *p, step *st, unsigned produced, unsigned avail);
/* "Make it a painting", "make photo.jpg a drawing": does st restyle a picture, the one it names or
 * "it" with one in avail or an earlier turn's, not draw a text ("make it a picture" draws it)? */
bool off_paints_picture(const planner *p, const step *st, unsigned avail);
/* Does st join recordings (or pictures): a task taking and making sound, a joining word not naming
 * an earlier result ("the combined audio") or one adding a recording it names to another; or
 * texts, a task taking one text saying they are one ("summarize a.txt and b.txt together")? */
bool off_joins(const planner *p, const step *st);
/* 1 + the token of a recording [a,b) adds to another it names ("add m.wav to v.wav"), or 0. */
size_t off_added_recording(const planner *p, size_t a, size_t b);
/* Does task t change a picture or a recording (or join them)? */
bool off_changes_medium(const planner *p, int t);
/* The file at token i, after "into" or "to", that st makes from one of `from` it names; or -1. */
int off_file_made_into(const planner *p, const step *st, size_t i, unsigned types,
                       unsigned from, bool ref);
/* The type of the file format or the type word i names after "into", "to" or "as" and maybe
 * "a"/"an" ("into an mp3", "to png", "as an mp3", "as text"), or 0. */
unsigned off_format_named(const planner *p, const step *st, size_t i);
/* "x.jpg -> caption -> voice", "notes.txt -> summary -> mp3": are the words of [a,b) only an arrow
 * read as its word, then a recording's word or an audio format (marks after it left out)? The
 * text made before them is spoken. */
bool off_arrow_to_sound(const planner *p, size_t a, size_t b);
/* "..., and save it as an mp3 (file)", "convert it to audio", "make it an mp3", "make it a
 * picture", "turn it into an image": does [a,b) name no more than a verb of saving, turning or
 * making ("and", "now", "can you" before it), what it points at ("it", "the result") and an audio
 * format, "audio" or a picture word (after "as", "into" or "to" but for "make"), [from,a) before
 * it asking no task making that medium ("clean a.wav and make it an mp3": that recording's), nor
 * naming one and asking no task ("summarize talk.wav and ..." reads the summary out)? The medium
 * (BATON__T_AUDIO or BATON__T_IMAGE), or 0. Then a text made before or at hand is read out
 * (off_asks_speech) or drawn (unnamed.c). */
unsigned off_makes_it(const planner *p, size_t from, size_t a, size_t b);
/* "Convert notes.txt to n.wav": the task turning a file st names into one after it, or -1. */
int off_converting_task(planner *p, step *st, unsigned avail);
/* "Shorten talk.wav to 2 seconds" (with `part`, "the first 10 seconds of"): a recording cut?
 * made: the media steps before made, what "it" may be too */
bool off_cuts_to_length(const planner *p, const step *st, bool part, unsigned made);
/* "Make it blue", "can you make it blue": a causative verb, what it changes (its token, returned,
 * else 0), no task named */
size_t off_made_other(const planner *p, size_t a, size_t b);
/* "Colour the sky in x.jpg purple", "then paint the closest object red": does [a,b) give a thing in
 * a picture a hue (a verb of colouring, not after "what", "the", "of" or "is", nor after words
 * naming a task: "write a story where they paint the house red"; a definite thing that is no
 * picture; a hue after it)? With a picture at hand, an edit (recognise.c). */
bool off_colours(const planner *p, size_t a, size_t b);
/* "Isolate the vocals in song.mp3", "split song.mp3 into vocals and music", "extract the drums
 * from it": does [a,b) keep a part of a song's sound apart (its first verb of separating, not
 * after "the" or "of", then a sound part's or music's word heading its phrase, after no more
 * than one other word but determiners, files, "into" and "it": not "extract the key points of
 * the music review", "extract the music genre of song.mp3", "extract the instruments used")?
 * With a recording at hand, its change. */
bool off_separates(const planner *p, size_t a, size_t b);
/* "Blur the face in x.jpg", "hide their face", "crop the person's face": does [a,b) mark (blur,
 * box, hide, crop) a thing the detector finds (a verb of marking, not after "what", "the", "of" or
 * "is"; then the thing, after determiners and at most two other words, no picture, background,
 * preposition nor joiner: not "blur the background behind the person"), kept, or (`cut`) cropped
 * "out", cut away ("crop out the faces in x.jpg", "crop the person out of x.jpg")? With a picture
 * at hand, a detection that marks a kept one (recognise.c), whatever cue the step holds ("blur": a
 * picture's); a change (image-to-image) for one cut away, not the detector's crop keeping it. */
bool off_marks_thing(const planner *p, size_t a, size_t b, bool cut);
/* Does st, naming no task, ask to speak: "speak 'hello'", "read notes.txt", "and say it", "and
 * save it as an mp3" (off_makes_it)? */
bool off_asks_speech(const planner *p, const step *st, unsigned produced, unsigned avail);
/* "Read it", "read it slowly", "voice it", "play it" after a turn whose answer is a text: does st,
 * the request's last step, nothing made before it, ask to read out that text; or st after steps
 * making a text, no picture ("translate it and read it"), that one? */
bool off_voices_last(const planner *p, const step *st, unsigned produced);
/* "Describe the scene 'a cat on a mat'": does st, naming no task, ask to describe a text? */
bool off_describes_unseen(const planner *p, const step *st, unsigned produced);

/* ---- copies.c */
/* The number token i says ("3", "three": the lexicon's count words are in order; a figure of
 * more than 6 digits as 1000000), or -1 (also for one signed: "-2"). */
long off_number_at(const planner *p, size_t i);
/* Does task (an index into cues) draw: words in, a picture or a video out? */
bool off_draws(const planner *p, int task);
/* The token past "and another one", ", another picture of it", "and two more" at token i, and any
 * more such after it ("and another one and another two": *n, 3, the drawings they ask for),
 * ending where the sentence does (at b, punctuation or a last "and" before b; "please" may
 * follow): more of what the step before draws; else 0. */
size_t off_another_at(const planner *p, size_t i, size_t b, long *n);
/* Copies of the drawing task of st (its tasks from `first` on) as many as it asks ("three
 * pictures"), each its own "seed"; 0, or -1 (err set). */
int off_copies(planner *p, const step *st, size_t first);
/* One name to save as given to copies (tasks from `first`) numbered for each; 0, or -1. */
int off_copy_names(planner *p, size_t first);

/* ---- link.c */
int off_link(planner *p);
/* Does [a,b) ask "which one" ("tell me which one mentions Sunday": asked of each)? */
bool off_which_one(const planner *p, size_t a, size_t b);
/* Where an input comes from: a resource, an earlier task, or literal text. */
typedef struct {
  int res, ref;  /* resource index, graph task id; or -1 */
  char *literal; /* owned, or NULL */
} source;
/* Notes st's words left out of the plan and why (a reason, "needs an audio: ..."), unless one
 * was noted before: what plan.c's note says ("left out \"email it\": ..."). */
void off_leave_out(planner *p, const step *st, const char *why);

/* ---- emit.c: one task emitted with its arguments */
/* Text of [a,b) as written (a misspelt word as read: "sumarize" as "summarize"), with marks no
 * token holds ("50%"), no trailing ",;:"/"and"; or NULL. */
char *off_span_text(const planner *p, size_t a, size_t b);
/* b less the marks ending [a,b) ("summarize it, | then ...": before the ','), a at least. */
size_t off_words_end(const planner *p, size_t a, size_t b);
/* The words a task carries of [a,b) ("instruction", a text to draw): their text (off_span_text)
 * past those opening them that only resume a talk, with the marks after them ("now | draw a dog",
 * "so, | summarize it"), where a word is left; or NULL. */
char *off_task_words(const planner *p, size_t a, size_t b);
/* How many texts (quotes, text files) st names, not reading `except`; *first: the first or -1. */
size_t off_own_texts(const planner *p, const step *st, const char *except, int *first);
unsigned off_primary_type(const baton__taskspec *s);
/* Task `task` (st's own, a reader, or what rides along) taking `in`; its id, or -1 (err set), or
 * -2 for a comparison given one text only (err says so). */
int off_emit_task(planner *p, const step *st, int task, const source *in, int prev_text,
                  const char *tgt, const char *src_lang);
/* Does st's task, taking a picture or recording and words, take an earlier text as its words? An
 * edit only "based on" it ("alter it to reflect the emotion", "based on it, | edit x.jpg") or
 * naming what it says ("make those changes"), others
 * unless st asks a question ("... and how many people are there": a question word first) */
bool off_takes_text(const planner *p, const step *st, const baton__taskspec *spec);
/* "Which of a.txt and b.txt mentions Sunday?", "is a.wav louder than b.wav?": is st a question as
 * written that task t, answering a text's questions, puts to each of the two files or more it
 * names (none of them its question)? */
bool off_asks_each_text(const planner *p, const step *st, int t);
/* The language the task feeding `in` writes ("into German", "the German text in x.png"), or the
 * resource `in` is in (an earlier turn's French text); or NULL */
const char *off_fed_language(const planner *p, const source *in);
/* "Translate notes.txt into French and tell me who called": a text question (answered in the
 * default language) fed a translation out of it of a text at hand is asked of the text
 * translated instead; not one naming a language (tgt: "answer in French"), the translation
 * ("from the translated text") or written with accented letters or a '¿' ("¿Cuándo ...?": in
 * the translation's language). */
void off_asked_untranslated(const planner *p, const step *st, const char *tgt, source *in);
/* `in` into tgt and each language listed after it ("into Spanish and French"); first id, or -1. */
int off_emit_translation(planner *p, const step *st, const source *in, const char *tgt,
                         const char *src_lang);

/* ---- inputs.c: where a step's main input comes from */
/* Sets err: the input a task (NULL: none named) needs (and what a file passed as input that it
 * cannot take is), or what of a video to save; -1. */
int off_needs_input(planner *p, const baton__taskspec *spec);
/* Sets err: the task spec takes none of resource r's type ("transcribe notes.txt"); -1. */
int off_not_for(planner *p, const baton__taskspec *spec, int r);
/* A recording called a question (off_find_kinds) that no task took yet, or -1. */
int off_asked_aloud(const planner *p);
/* Reads picture or recording (`heard`: the part st names) r into text for st, into src->ref. 1, or
 * -1 on error. */
int off_read_file(planner *p, const step *st, int r, bool heard, source *src);
/* The part of a recording st names cut first ("the first 2 seconds"): its id, -1 none, -2 error. */
int off_cut_part(planner *p, const step *st, const source *in, bool heard);
/* Does st (its task set) work on what came before it: words pointing back ("summarize them",
 * "translate both into French") or, a task not making, none naming a thing of its own
 * ("translate into German", "summarize each"; not "write a poem", "summarize the article")? */
bool off_works_on_before(const planner *p, const step *st);
/* Does st make from words (a drawing, a text written, a chat) what it names: "draw a cat", not
 * "draw the main character" (what a file holds)? */
bool off_makes_own(const planner *p, const step *st);
/* Where (a copy of) st's task gets its main input: 0, 1 if nothing fits (err says), 2 if only what
 * the step left out before (gone) would have made, -1 on error. */
int off_choose_input(planner *p, const step *st, int at, int prev_text, source *in);

/* Does st point back at something ("it", "the summary", "a picture based on that", "an audio
 * version of that text", "based on the answer, | ...")? *asked_of: does it ask of a thing, no words
 * after "about" to make ("what does the original say about X?", "what did they say about X?")? */
bool off_points_back(const planner *p, const step *st, bool *asked_of);
/* ---- sources.c: earlier tasks and unused resources a step's input may come from */
/* Does task k answer a question put to each of the files its words name ("which of a.jpg and
 * b.jpg is brighter?")? */
bool off_asked_of_each(const planner *p, size_t k);
/* Nearest earlier task producing `type` (no text's answer asked of each), or -1. */
int off_nearest_producer(const planner *p, unsigned type);
/* The earlier task making `type` st names by its kind ("the summary"), else the nearest; or -1. */
int off_named_producer(const planner *p, const step *st, unsigned type);
/* Do [a,b) name the kind of task that made an earlier turn's r by a made thing they refer to ("the
 * transcript": speech recognition's)? */
bool off_names_maker(const planner *p, size_t a, size_t b, const resource *r);
/* Is r an earlier turn's label of what it was made from ("male", "duration 3.2 s": what a
 * classifier, a file's facts or an entity finder said of it), not words to work on? */
bool off_labels(const planner *p, const resource *r);
/* An unused resource of `type` for st: the request's first, else earlier turns' newest; or -1. */
int off_first_unused(const planner *p, const step *st, unsigned type);
/* Does task k make `type`? Not pictures if it takes one and answers in text (detection's boxes),
 * unless it shows what it found ("blur the faces in x.jpg, then rotate it"). */
bool off_produces(const planner *p, size_t k, unsigned type);
/* "Translate the second one", "read the first summary", "brighten the first picture" after a
 * turn that left several of `type`: the one at the place an ordinal names before "one", a thing
 * made or a medium, counting in order what the turn's tasks made (only summaries for "the first
 * summary"), else the files the request before it named ("blur the first picture" after "caption
 * a.jpg and b.png"), unless this request names its own or its steps made that many ("caption
 * a.jpg and b.jpg, then read the second one"); -1 if none, -2 past the last ("the fifth one" of
 * two). */
int off_placed_input(const planner *p, const step *st, unsigned type);
/* The step holding token i, or the end of the steps. */
const step *off_step_holding(const planner *p, size_t i);
/* Is the file or quote r, named in step e, what e, a clause of its own after st, works on: not
 * a question ("..., and my question is 'Q?'"), nor in a clause pointing back ("... and then
 * analyze its sentiment: 'x'"), split off a step ("a video based on the following | story: 'x'")
 * or going on with the verb before it ("generate an image and | a response based on x.wav")? */
bool off_works_on_later(const planner *p, const step *st, const step *e, int r);

#endif
