/* history.c — earlier turns of a conversation as resources the request can refer to ("it", "the result"). */
#include "planner/offline/internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/quote.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "core/banned.h"

/* Contract: off_add_history() takes the messages JSON (an array of {role, content, files?,
 * outputs?, lang?, tasks?}, oldest first, as conversation.c checks it; NULL or "" for none) and
 * adds the newest HISTORY_KEEP things they name as resources with their turn, oldest first: file
 * names in a user's message, each message's "files" and "outputs" values ({"text": "...",
 * "image": "/path"}), its text in "lang" if a lexicon code; "tasks" ([{task, outputs, lang?}]),
 * when there, in place of "outputs", each value with the task that made it. Nothing else is read;
 * link.c and score.c say which a step means. 0, or -1 (err set). The newest user message that is
 * no repeat is kept for off_asked_again() ("do the same for b.png"). */

#define HISTORY_KEEP 16

/* Where an earlier turn's resource comes from: its turn, the language its text is in (a lexicon
 * code, or NULL) and the cue (index + 1) of the task that made it (0: not said). */
typedef struct {
  int turn, maker, entry; /* entry: the task's place (1, 2 ...) in the answer's "tasks", or 0 */
  const char *lang;
} origin;

/* Adds a file or text an earlier turn names, keeping p->res[first..] (after the request's own) the
 * newest HISTORY_KEEP, oldest first; 0, or -1 out of memory. */
static int remember(planner *p, size_t first, const origin *o, bool is_file, const char *v,
                    size_t len, unsigned type) {
  if (!len || !type || first >= OFF_MAX_RES)
    return 0;
  if (p->n_res - first == HISTORY_KEEP || p->n_res == OFF_MAX_RES) {
    free(p->res[first].value), free(p->res[first].asked_by);
    memmove(&p->res[first], &p->res[first + 1], (--p->n_res - first) * sizeof p->res[0]);
  }
  int k = off_add_resource(p, type, v, len, is_file);
  if (k < 0)
    return -1;
  p->last_turn = p->res[k].turn = o->turn, p->res[k].maker = o->maker, p->res[k].entry = o->entry;
  p->res[k].lang = is_file ? NULL : o->lang;
  p->res[k].answer = o->maker && off_answers(p, o->maker - 1);
  bool askable = o->maker && p->asked && strlen(p->asked) <= OFF_MAX_REQUEST; /* planned again */
  return askable && !(p->res[k].asked_by = baton__strdup(p->asked)) ? -1 : 0;
}

/* The lexicon's code of the language `said` names ("es"), or NULL. */
static const char *language_code(const planner *p, const cJSON *said) {
  for (size_t k = 0; cJSON_IsString(said) && k < p->lx->lang_names.n; k++)
    if (strcmp(p->lx->lang_codes[k], said->valuestring) == 0)
      return p->lx->lang_codes[k];
  return NULL;
}

/* Remembers the values of an "outputs" object (type name -> text or path) as made by o, of the
 * types its task makes (not the note "grayscale -> 320x240 PNG" of a picture's change); 0 or -1. */
static int remember_outputs(planner *p, size_t first, const origin *o, const cJSON *outs) {
  const cJSON *f;
  unsigned makes = o->maker ? p->cues[o->maker - 1].spec->outputs : ~0u;
  makes |= makes & BATON__T_JSON ? BATON__T_TEXT : 0; /* a similarity's score, as text */
  int rc = 0;
  cJSON_ArrayForEach(f, outs) {
    if (!cJSON_IsString(f) || !f->string)
      continue;
    bool text = baton__type_from_name(f->string) == BATON__T_TEXT;
    unsigned type = text ? BATON__T_TEXT : baton__type_of_path(f->valuestring);
    if (type & makes)
      rc |= remember(p, first, o, !text, f->valuestring, strlen(f->valuestring), type);
  }
  return rc;
}

int off_cue_named(const planner *p, const char *name) {
  for (size_t i = 0; name && i < p->n_cues; i++)
    if (strcmp(p->cues[i].spec->name, name) == 0)
      return (int)i + 1;
  return 0;
}

const char *off_past_courtesy(const off_lexicon *lx, const char *s) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *at = s, *past = s, *word, *end = NULL;
  bool thanks = false; /* the clause so far has a courtesy word more than a lead-in */
  for (size_t n; (word = baton__conversation_word(&at, &n)); end = word + n) {
    off_make_word(word, n, w, stem);
    bool courtesy = off_words_has(&lx->cls[W_COURTESY], w, false);
    if (thanks && (strcspn(end, ",.!;") < (size_t)(word - end) ||
                   (!courtesy && off_words_has(&lx->cls[W_RESUMING], w, false))))
      past = word, thanks = false; /* "thanks. | now a truck", "lovely | now a truck" */
    if (!courtesy) /* not past a quote: "'Thank you!' translate into French" */
      return strcspn(s, "'\"\xe2") < (size_t)(past - s) ? s : past;
    thanks |= !off_words_has(&lx->cls[W_LEAD_IN], w, false);
  }
  return s;
}

/* Does one of `tasks` ({task, outputs} each) give `path` as an output? Only the first
 * TASK_OUTPUTS_SEEN outputs are looked at: a message of many keeps the work bounded. */
#define TASK_OUTPUTS_SEEN 64
static bool task_made(const cJSON *tasks, const char *path) {
  const cJSON *t, *o;
  size_t seen = 0;
  if (!cJSON_IsArray(tasks))
    return false;
  cJSON_ArrayForEach(t, tasks)
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(t, "outputs"))
      if (seen++ >= TASK_OUTPUTS_SEEN)
        return false;
      else if (cJSON_IsString(o) && strcmp(o->valuestring, path) == 0)
        return true;
  return false;
}

/* Does m carry any of the keys baton's own answers do (an empty "outputs": a run that made
 * nothing)? An answer without them is another program's chat turn, in OpenAI's form. */
static bool from_baton(const cJSON *m) {
  static const char *const keys[] = {"files", "outputs", "tasks"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
    if (cJSON_GetObjectItemCaseSensitive(m, keys[k]))
      return true;
  return false;
}

/* Is another program's answer `s` words to work on: not blank, nor one word naming a file ("the
 * content is the text": never a path a run would read)? */
static bool said_words(const char *s) {
  s += strspn(s, " \t\r\n");
  size_t n = strcspn(s, " \t\r\n");
  return *s && (s[n] || (!strchr(s, '/') && !baton__type_of_path(s)));
}

/* Remembers what an answer carries: its "files" (those no task is said to have made), then each of
 * its "tasks" outputs ({task, outputs, lang?}: what made them) or, without those, its "outputs"
 * (their text in "lang"); another program's answer said its "content": that text ("translate that
 * into French"). 0, or -1. */
static int scan_answer(planner *p, const cJSON *m, int turn, size_t first) {
  const cJSON *f, *tasks = cJSON_GetObjectItemCaseSensitive(m, "tasks");
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
  origin said = {turn, 0, 0, language_code(p, cJSON_GetObjectItemCaseSensitive(m, "lang"))};
  int rc = 0;
  const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
  if (role && strcmp(role, "assistant") == 0 && cJSON_IsString(content) && !from_baton(m) &&
      said_words(content->valuestring))
    return remember(p, first, &said, false, content->valuestring, strlen(content->valuestring),
                    BATON__T_TEXT);
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "files"))
    if (cJSON_IsString(f) && !task_made(tasks, f->valuestring))
      rc |= remember(p, first, &said, true, f->valuestring, strlen(f->valuestring),
                     baton__type_of_path(f->valuestring));
  if (!cJSON_IsArray(tasks) || cJSON_GetArraySize(tasks) == 0)
    return rc | remember_outputs(p, first, &said, cJSON_GetObjectItemCaseSensitive(m, "outputs"));
  int entry = 0;
  cJSON_ArrayForEach(f, tasks) {
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(f, "task");
    origin made = {turn, off_cue_named(p, cJSON_GetStringValue(task)), ++entry,
                   language_code(p, cJSON_GetObjectItemCaseSensitive(f, "lang"))};
    rc |= remember_outputs(p, first, &made, cJSON_GetObjectItemCaseSensitive(f, "outputs"));
  }
  return rc;
}

static const char *target_named(const planner *p, const char *text, size_t *n);

/* The length of s less its final stop and spaces ("summarize a.txt." without "."). */
static int unstopped(const char *s) {
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\r\n.!?", s[n - 1]))
    n--;
  return (int)n;
}

/* The first an bytes of a, sep, the first bn bytes of b, malloc'd (NULL out of memory). */
static char *joined(const char *a, int an, const char *sep, const char *b, int bn) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%s%.*s", an, a, sep, bn, b);
  return baton__sb_detach(&sb);
}

/* "More detail", "more details", "more concise": are stems `more` and `how` "more" and a word of
 * how long a made thing is? */
static bool more_sized(const planner *p, const char *more, const char *how) {
  return off_words_has(&p->lx->cls[W_MORE], more, true) &&
         off_words_has(&p->lx->cls[W_SIZING], how, true);
}

/* "In one sentence please", "as a bullet list", "with more detail", "more details" after
 * "summarize a.txt": the user message `at` (its n stems `words`) says more of the last request
 * (one of those words first, or "more" and a word of how long, more_sized(); no file, no target
 * language, no task's cue): that request with its words, malloc'd; else NULL. Then "save it as
 * s.txt" saves what both asked. */
static char *asked_with(const planner *p, const char *at, char (*words)[OFF_MAX_WORD], size_t n) {
  static const char *const firsts[] = {"in", "as", "with"};
  bool more = p->asked && n > 1 && more_sized(p, words[0], words[1]);
  size_t len;
  for (size_t k = 0; p->asked && n > 1 && k < sizeof firsts / sizeof firsts[0]; k++)
    more |= strcmp(words[0], firsts[k]) == 0;
  more = more && !off_words_ask(p, words, n) && !target_named(p, at, &len);
  for (const char *w, *s = at; more && (w = baton__conversation_word(&s, &len));)
    more = !off_file_type(w, len);
  return more ? joined(p->asked, unstopped(p->asked), " ", at, (int)strlen(at)) : NULL;
}

/* Is w a word that only leads in, joins, points or asks ("and", "in", "what about", "now", "same
 * for", "please")? */
static bool spare(const planner *p, const char *w) {
  static const off_class classes[] = {W_JOINER, W_PREPOSITION, W_TARGET_PREP, W_LEAD_IN,
                                      W_RESUMING, W_WH, W_CONTENT_INTRO, W_ASKING, W_AGAIN};
  return off_words_in(p->lx, classes, sizeof classes / sizeof *classes, w, false);
}

/* "And in Catalan?", "what about report.txt?", "now sign.png please": does the message name only
 * languages or files, beside words that lead in, join, point or ask? It asks nothing new: the last
 * request is asked again on them, and stays the one a later message says more of. */
static bool elliptical(const planner *p, const char *at) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  size_t n, named = 0, words = 0;
  for (const char *s; (s = baton__conversation_word(&at, &n)) && words < 12; words++) {
    off_make_word(s, n, w, stem);
    bool other = !off_file_type(s, n) && !off_words_has(&p->lx->lang_names, w, false);
    named += !other;
    if (other && !spare(p, w))
      return false;
  }
  return named > 0 && words < 12;
}

static int drawn_last(const planner *p);
static char *thing_swapped(const planner *p, const char *asked, const char *thing);
static bool subject_swapped(const planner *p, const char *thing);

/* "And the dates?", "what about the cars?", "now how about a dog?" after "who is mentioned in
 * notes.txt?" (a told answer); also "now a dog", "a dog this time" after a drawing: does message
 * `at` (its n stems `words`) add a thing to the last request, asking no task, naming no file nor
 * language, in at most OFF_MAX_THING words after "and" or "what/how about", "the", "a" or the
 * like first (after a drawing, "a" or "what/how about a" and a plain new subject: not "and a hat",
 * "a red one", subject_swapped())? Where the thing starts in `at`, or NULL. */
static const char *thing_added(const planner *p, const char *at, char (*words)[OFF_MAX_WORD],
                               size_t n) {
  static const off_class article[] = {W_DEFINITE, W_INDEFINITE};
  static const off_class more[] = {W_FRESH, W_MORE, W_AGAIN};
  size_t i = 0, len;
  bool drew = !p->told && drawn_last(p);
  while (i < n && off_words_has(&p->lx->cls[W_RESUMING], words[i], true))
    i++;
  bool bare = drew && i < n && off_words_has(&p->lx->cls[W_INDEFINITE], words[i], true);
  size_t k = i < n && !strcmp(words[i], "and") ? i + 1
             : i + 1 < n && off_words_has(&p->lx->cls[W_WH], words[i], true) &&
                     !strcmp(words[i + 1], "about") ? i + 2 : i;
  bool found = p->told ? k > i : drew && (k > i + 1 || bare); /* not "and a hat" after it */
  if (found && k < n && !off_words_in(p->lx, article + drew, 2 - drew, words[k], true))
    return NULL; /* a thing is "the ...", "a ...": not "and who signed it?", "and you?" */
  for (size_t j = k; found && j < n; j++) /* "and another one?": the last request again */
    found = !off_words_in(p->lx, more, 3, words[j], true);
  if (!p->asked || !found || k >= n || n - k > OFF_MAX_THING || off_words_ask(p, words, n) ||
      target_named(p, at, &len))
    return NULL;
  const char *w = NULL, *s = at;
  for (size_t c = 0; (w = baton__conversation_word(&s, &len)) && c < k; c++)
    ;
  char word[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  for (const char *e = w, *f; e && (f = baton__conversation_word(&e, &len));) {
    off_make_word(f, len, word, stem);
    if (off_file_type(f, len) || off_words_has(&p->lx->lang_names, word, false))
      return NULL;
  }
  return p->told || subject_swapped(p, w) ? w : NULL;
}

/* Is m an answer that ran, by a task told in words what to look for and telling it in words: one
 * answering a question ("is there a cat in x.jpg?"), finding names, detecting or classifying a
 * text ("find the faces in x.jpg"), or telling a file's facts ("how long is a.wav?"), not one that
 * makes something (a summary, an edit)? */
static bool told_answer(const planner *p, const cJSON *m) {
  const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "status"));
  const cJSON *t;
  if (status && strcmp(status, "failed") == 0)
    return false;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(m, "tasks")) {
    int c = off_cue_named(p, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "task"))) - 1;
    if (c >= 0 && (off_answers(p, c) || off_tells_facts(p, c) || off_is_role(p, c, R_DETECT) ||
                   off_is_role(p, c, R_FIND_ENTITIES) || off_is_role(p, c, R_CLASSIFY_TEXT)))
      return true;
  }
  return false;
}

/* "Another one", "give me two more", "draw a new one": does a message (its n stems `words`) ask
 * only for the last request's result once more, in words of asking, pointing, counting or a task's
 * one-word cue, one of them "another", "new" or "more"? It asks nothing of its own then. */
static bool asks_once_more(const planner *p, char (*words)[OFF_MAX_WORD], size_t n) {
  static const off_class asking[] = {W_DETERMINER, W_COUNT, W_US, W_YOU, W_SUBJECT, W_HANDING,
                                     W_CAUSATIVE, W_REFERENCE, W_PICTURE, W_ASKING, W_JOINER,
                                     W_RESUMING, W_LEAD_IN}, fresh_more[] = {W_FRESH, W_MORE};
  bool fresh = false;
  for (size_t i = 0; i < n; i++) {
    bool more = off_words_in(p->lx, fresh_more, 2, words[i], true);
    if (!more && !off_words_in(p->lx, asking, sizeof asking / sizeof *asking, words[i], true) &&
        !off_words_ask(p, &words[i], 1))
      return false;
    fresh |= more;
  }
  return fresh;
}

/* Is text one clause: under 12 words, no joiner or break ("and count them", "then"), no question
 * before its end ("how many are there? blur them")? */
static bool one_clause(const planner *p, const char *text) {
  static const off_class joining[] = {W_JOINER, W_HARD_BREAK};
  char words[12][OFF_MAX_WORD];
  size_t n = off_split_words(text, strlen(text), words, 12, NULL), len = (size_t)unstopped(text);
  const char *q = strchr(text, '?');
  for (size_t i = 0; i < n; i++)
    if (off_words_in(p->lx, joining, 2, words[i], true))
      return false;
  return n < 12 && (!q || q >= text + len);
}

/* "Now blur them" after "find the faces in x.jpg": does a message (its n stems `words`, naming no
 * file) mark what the last request found (off_marks_found)? It asks that request and itself, when
 * both are one clause and that one named one file and ran as one task (not "find the faces in a.jpg
 * and b.jpg", "detect the cars in x.jpg and count them"); or a marking before did. */
static bool marks_found(const planner *p, const char *at, char (*words)[OFF_MAX_WORD], size_t n) {
  bool marks = false, plural = false;
  for (size_t i = 0; i < n; i++)
    marks |= off_words_has(&p->lx->cls[W_MARKING], words[i], true),
    plural |= off_words_has(&p->lx->cls[W_PLURAL], words[i], true);
  bool one = p->asked && (p->found_in || (p->ran == 1 && off_files_named(p, p->asked) == 1 &&
                                           one_clause(p, p->asked)));
  return one && marks && plural && !off_files_named(p, at) && one_clause(p, at);
}

/* Remembers what message m names in p->res[first..]; 0, or -1 out of memory. */
static int scan_message(planner *p, const cJSON *m, int turn, size_t first) {
  const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
  const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "content")), *w;
  bool user = role && strcmp(role, "user") == 0 && at;
  at = user ? off_past_courtesy(p->lx, at) : at; /* "thanks! now a truck": "now a truck" */
  char words[12][OFF_MAX_WORD]; /* a short message asking again: "do the same for a.png" */
  size_t n = user ? off_split_words(at, strlen(at), words, 12, NULL) : 0, i = 0;
  while (i < n && !off_words_has(&p->lx->cls[W_AGAIN], words[i], true))
    i++;
  const char *thing = user && n < 12 && p->asked ? thing_added(p, at, words, n) : NULL;
  bool ask = user && (n >= 12 || (i >= n && !asks_once_more(p, words, n))) &&
             !(p->asked && elliptical(p, at)) && !thing;
  char *more = ask && n < 12 ? asked_with(p, at, words, n) : NULL;
  bool marks = ask && !more && n < 12 && marks_found(p, at, words, n); /* "now blur them" */
  if (!marks && (ask || thing)) /* (the request found in, not the last marking: "pixelate them") */
    free(p->found_in), p->found_in = NULL;
  else if (marks && !p->found_in)
    p->found_in = baton__strndup(p->asked, (size_t)unstopped(p->asked));
  if (marks && p->found_in) /* "find the faces in x.jpg and now blur them" */
    more = joined(p->found_in, (int)strlen(p->found_in), " and ", at, (int)strlen(at));
  if (thing) /* "and the dates?": the last request with the dates, on its files */
    more = p->told ? joined(p->asked, unstopped(p->asked), " and ", thing, unstopped(thing))
                   : thing_swapped(p, p->asked, thing); /* "now a dog" after a drawing */
  if (ask || thing) /* kept for off_asked_again(); a repeat asked what the message before did */
    free(p->asked);
  p->again_turn = user ? (ask ? 0 : thing ? p->again_turn : turn) : p->again_turn;
  int rc = ask && !(p->asked = more ? more : baton__strdup(at)) ? -1 : 0;
  rc = thing && !(p->asked = more) ? -1 : rc;
  bool answer = role && strcmp(role, "assistant") == 0;
  p->told = answer ? told_answer(p, m) : p->told;
  p->ran = answer ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "tasks")) : p->ran;
  size_t len;
  if (rc == 0 && ask && target_named(p, at, &len)) /* "translate a.txt into Spanish" */
    free(p->asked_into), rc = (p->asked_into = baton__strdup(at)) ? 0 : -1;
  origin o = {turn, 0, 0, NULL};
  while (user && (w = baton__conversation_word(&at, &n))) /* names it writes ("in photo.jpg") */
    rc |= remember(p, first, &o, true, w, n, off_file_type(w, n));
  return rc | scan_answer(p, m, turn, first);
}

/* The first file of turn `turn` (0: the request's own) of a type in `type` not taken yet, or -1. */
static int own_file(const planner *p, int turn, unsigned type, const bool *taken) {
  for (size_t r = 0; r < p->n_res; r++)
    if (!taken[r] && p->res[r].is_file && p->res[r].turn == turn && (p->res[r].type & type))
      return (int)r;
  return -1;
}

bool off_marks_found(const planner *p) {
  return p->asked && off_has_word(p, 0, p->n_tok, W_MARKING) &&
         off_has_word(p, 0, p->n_tok, W_PLURAL) && !off_own_types(p, 0, p->n_tok);
}

/* Does the request name something of its own (its resources come before earlier turns')? */
static bool names_own(const planner *p) { return p->n_res && !p->res[0].turn; }

/* "And the emotion?", "and the objects": a thing asked of in a few words after "and the"? */
static bool asks_thing(const planner *p) {
  size_t n = p->n_tok;
  while (n > 2 && off_punct(p, n - 1, "?"))
    n--;
  return n > 2 && n <= OFF_MAX_THING + 2 && off_is(p, 0, W_JOINER) && off_is(p, 1, W_DEFINITE) &&
         !off_own_types(p, 0, n);
}

/* Is r an answer a question goes past to what it was about: one to a question, or a file's facts
 * where the request names no fact ("and the emotion?", not "what about the channels?")? */
static bool answered_by(const planner *p, const resource *r) {
  return r->answer ||
         (r->maker && off_tells_facts(p, r->maker - 1) &&
          !off_thing_cues(p, 0, p->n_tok, r->maker - 1));
}

bool off_follows_answer(planner *p) {
  bool answered = false, asks = off_asks_about(p) || asks_thing(p);
  for (size_t i = 0; !names_own(p) && i < p->n_res; i++)
    answered |= p->res[i].turn == p->last_turn && answered_by(p, &p->res[i]);
  for (const step *st = p->steps; answered && st < p->steps + p->n_steps; st++)
    asks |= !st->context &&
            (off_is_question(p, st->a, st->b) || off_asks_question(p, st->a, st->b));
  if (!answered || !asks)
    return false;
  p->last_turn = 0;
  for (resource *r = p->res; r < p->res + p->n_res; r++) {
    if (r->answer && off_is_role(p, r->maker - 1, R_READ_DOCUMENT))
      p->image_kind = IMG_DOCUMENT; /* a document's reader: one again */
    r->type = answered_by(p, r) ? 0 : r->type;
    if (r->type && r->turn > p->last_turn)
      p->last_turn = r->turn;
  }
  return true;
}

void off_set_labels_aside(planner *p) {
  double sc;
  const step *st = p->steps; /* its first step's task */
  while (st + 1 < p->steps + p->n_steps && st->context)
    st++;
  int t = names_own(p) || !p->n_steps ? -1
          : off_best_task_min(p, st->a, st->b, off_res_types(p, true),
                              p->lx->w[K_ACCEPT_FALLBACK], -1, &sc);
  if (t < 0 || !(p->cues[t].spec->inputs & BATON__T_TEXT) || off_is_role(p, t, R_SPEAK) ||
      off_is_role(p, t, R_TRANSLATE))
    return;
  int turn, last = p->last_turn; /* the newest turn left: of labels only, the one before too */
  do {
    turn = last, last = 0;
    for (resource *r = p->res; r < p->res + p->n_res; r++) {
      unsigned from = r->maker ? p->cues[r->maker - 1].spec->inputs : 0; /* made from that */
      bool file = false;
      for (const resource *f = p->res; from && f < p->res + p->n_res; f++)
        file |= f->turn && f->turn < r->turn && f->is_file && (f->type & from);
      r->type = r->turn == turn && file && off_labels(p, r) ? 0 : r->type;
      last = r->type && r->turn > last ? r->turn : last;
    }
  } while (last && last < turn);
  p->last_turn = last;
}

/* Is the language at token i one the request does not want, a negation right before it or its
 * "in" ("not Spanish, German", "German, not in Spanish")? */
static bool language_refused(const planner *p, size_t i) {
  size_t k = i > 0 && off_is(p, i - 1, W_TARGET_PREP) ? i - 1 : i;
  return k > 0 && off_is(p, k - 1, W_NEGATION);
}

/* The request's language ("now German", "what about German?", "not Spanish, German", naming
 * nothing of its own): 1 + its token, or 0. */
static size_t language_asked(const planner *p) {
  for (size_t i = 0; !names_own(p) && i < p->n_tok; i++)
    if (off_language_at(p, i) && !language_refused(p, i))
      return i + 1;
  return 0;
}

/* Where text names the language to make after "into", "to" or "in" ("into Spanish"): its start,
 * its length in *n; NULL if nowhere. */
static const char *target_named(const planner *p, const char *text, size_t *n) {
  const char *letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  char prev[OFF_MAX_WORD] = "", w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  for (const char *at = text + strcspn(text, letters); *at; at += *n + strcspn(at + *n, letters)) {
    *n = strspn(at, letters);
    off_make_word(at, *n, w, stem);
    if (off_words_has(&p->lx->lang_names, w, false) &&
        off_words_has(&p->lx->cls[W_TARGET_PREP], prev, false))
      return at;
    memcpy(prev, w, sizeof prev);
  }
  return NULL;
}

/* "In one sentence, please", "as a bullet list", "again, but in 2 sentences", "more detail": does
 * the request, a preposition first (after "again, but") or "more" and a word of how long
 * (more_sized()), naming nothing of its own nor any task ("for the photo, describe it"), add
 * words to the last request? */
static bool adds_words(const planner *p) {
  bool cue = off_has_cue(p, 0, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]);
  size_t i = 0, last = p->n_tok; /* less a "please" or marks at its end */
  while (last > 1 && (off_is(p, last - 1, W_ASKING) || p->tok[last - 1].kind == TK_PUNCT))
    last--;
  bool told = last == 3 && off_is(p, 0, W_TELL) && off_is(p, 1, W_US) && off_is(p, 2, W_MORE);
  while (i + 1 < p->n_tok && (off_is(p, i, W_AGAIN) || off_is(p, i, W_CONTRAST) ||
                              off_punct(p, i, ",")))
    i++;
  bool sized = i + 1 < p->n_tok && more_sized(p, p->tok[i].stem, p->tok[i + 1].stem);
  return (told || (p->n_tok > i + 1 && (off_is(p, i, W_PREPOSITION) || sized))) &&
         !names_own(p) && !cue;
}

bool off_asks_detail(const planner *p) {
  return p->more && (off_has_word(p, 0, p->n_tok, W_DETAIL) ||
                     (off_has_word(p, 0, p->n_tok, W_TELL) && off_has_word(p, 0, p->n_tok, W_MORE)));
}

int off_ask_in_detail(planner *p) {
  const baton__taskspec *caption = p->cues[p->role[R_CAPTION]].spec;
  const baton__taskspec *ask = p->cues[p->role[R_ASK_PICTURE]].spec;
  for (size_t k = 0; caption && ask && k < p->g->n; k++) {
    baton__task *t = &p->g->tasks[k];
    char *name = strcmp(t->task, caption->name) ? NULL : baton__strdup(ask->name);
    if (!name && !strcmp(t->task, caption->name))
      return -1;
    if (name && (free(t->task), t->task = name, baton__task_add_arg(t, "text", OFF_IN_DETAIL, -1)))
      return -1;
  }
  return 0;
}

bool off_only_language(const planner *p) {
  static const off_class spare[] = {W_JOINER, W_TARGET_PREP, W_LEAD_IN, W_ASKING, W_AGAIN,
                                    W_CONTRAST, W_DEFINITE}; /* "(do) the same but in Catalan" */
  size_t n;
  for (size_t i = 0; p->asked && i < p->n_tok; i++) {
    bool does = i == 0 && i + 1 < p->n_tok && off_is(p, i, W_IS_ARE) && p->tok[i + 1].det;
    if (p->tok[i].kind == TK_WORD && !off_language_at(p, i) && !does && /* ("do | the same") */
        !off_is_any(p, i, spare, sizeof spare / sizeof *spare))
      return false;
  }
  return p->asked && !p->repeat && language_asked(p) && target_named(p, p->asked, &n);
}

/* 'And "good night"?', 'what about "thank you"?', 'same for "hola"': does the request name one
 * quote of its own and nothing else, the last request holding one (its first's content in
 * [*cs, *ce))? Its quote then takes the place of that one (1 + its resource), else 0. */
static size_t quote_only(const planner *p, size_t *cs, size_t *ce) {
  size_t n = p->asked ? strlen(p->asked) : 0, quote = 0;
  bool held = false; /* the last request holds a quote */
  for (size_t i = 0; i < n && !held; i++)
    held = baton__quote_at(p->asked, n, i, cs, ce) != 0;
  for (size_t i = 0; held && i < p->n_tok; i++)
    if (p->tok[i].kind == TK_RES && !quote && !p->res[p->tok[i].res].is_file)
      quote = (size_t)p->tok[i].res + 1;
    else if (p->tok[i].kind != TK_PUNCT && !(p->tok[i].kind == TK_WORD && spare(p, p->tok[i].word)))
      return 0;
  return quote;
}

/* The last request with the request's quote in place of its first one, malloc'd; NULL if none. */
static char *quote_swapped(const planner *p) {
  size_t cs = 0, ce = 0, r = quote_only(p, &cs, &ce);
  if (!r || ce <= cs)
    return NULL;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%s%s", (int)cs, p->asked, p->res[r - 1].value, p->asked + ce);
  return baton__sb_detach(&sb);
}

/* The drawing task (cue index + 1) that made a result of the last turn, or 0. */
static int drawn_last(const planner *p) {
  for (const resource *r = p->res; r < p->res + p->n_res; r++)
    if (r->turn && r->turn == p->last_turn && r->maker && off_draws(p, r->maker - 1))
      return r->maker;
  return 0;
}

/* Where in the last request `asked` the words of its drawing (task c) end, for what the request
 * adds to them ("with a hat"): past a word of c, before "then" or before a mark or "and" that a
 * task's cue or a word of saving follows ("draw a cat | and save it as k.png", "draw a cat | ,
 * then describe it"; not "draw a cat and a dog"); else at its end, less its final stop. */
static const char *drawing_end(const planner *p, const char *asked, const taskcue *c) {
  static const off_class saving[] = {W_SAVING, W_CALLING, W_PUTTING};
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *end = NULL, *cut = NULL, *s, *at = asked;
  bool drew = false;
  for (size_t n; (s = baton__conversation_word(&at, &n)); end = s + n) {
    off_make_word(s, n, w, stem);
    bool mark = end && strcspn(end, ",;.!?") < (size_t)(s - end);
    bool joins = off_words_has(&p->lx->cls[W_JOINER], stem, true);
    bool then = off_words_has(&p->lx->cls[W_HARD_BREAK], stem, true);
    bool saves = off_words_in(p->lx, saving, sizeof saving / sizeof *saving, stem, true);
    cut = drew && (mark || joins || then) && !cut ? end : cut;
    if (cut && (then || (!joins && (saves || off_words_ask(p, &stem, 1)))))
      return cut; /* a step of its own follows */
    cut = joins || mark ? cut : NULL;
    drew |= off_cue_says(c, stem);
  }
  return asked + unstopped(asked);
}

/* "A dog | this time", "a dog | instead": where the words saying a thing replaces the last begin
 * in `at` (with "this" before "time"; not "a clock showing the time", "now a time machine"), or
 * NULL. */
static const char *instead_at(const planner *p, const char *at) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *lead = NULL, *s;
  for (size_t n; (s = baton__conversation_word(&at, &n));) {
    off_make_word(s, n, w, stem);
    if (off_words_has(&p->lx->cls[W_INSTEAD], w, false))
      return s;
    if (lead && off_words_has(&p->lx->cls[W_OCCASION], w, false))
      return lead;
    lead = off_words_has(&p->lx->cls[W_REFERENCE], w, false) ? s : NULL;
  }
  return NULL;
}

/* Where the thing the last request `asked` draws begins: its first word past a word of the
 * drawing's (c's) cue and the determiners after it ("draw | a | cat", "make a picture of | a |
 * cat"), before `end`; *lead: where those determiners begin (NULL: none). NULL if none. */
static const char *drawn_thing(const planner *p, const char *asked, const char *end,
                               const char **lead) {
  const taskcue *c = &p->cues[drawn_last(p) - 1];
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  bool drew = false;
  const char *s;
  *lead = NULL;
  for (size_t n; (s = baton__conversation_word(&asked, &n)) && s < end;) {
    off_make_word(s, n, w, stem);
    bool det = off_words_has(&p->lx->cls[W_DETERMINER], w, false), cue = off_cue_says(c, stem);
    if (drew && !det && !cue)
      return s;
    *lead = det ? (*lead ? *lead : s) : NULL;
    drew |= cue;
  }
  return NULL;
}

/* "A green | one" (its words before `end`): the "one" ending `thing` after words of its own, or
 * NULL. */
static const char *one_at(const planner *p, const char *thing, const char *end) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *s, *last = NULL;
  size_t words = 0;
  for (size_t n; (s = baton__conversation_word(&thing, &n)) && s < end; words++)
    off_make_word(s, n, w, stem), last = s;
  return words > 2 && !strcmp(w, p->lx->cls[W_COUNT].words[0]) ? last : NULL;
}

/* "Red | car", "cat": where the last word of a drawn thing in [from,end) begins, where it is three
 * words at most, none a function word, preposition, "-ing" form or number ("a car"; not "a cat
 * with a hat", "a cat sleeping"): what the thing is, the words before saying how it looks; or
 * NULL. */
static const char *plain_head(const planner *p, const char *from, const char *end) {
  static const off_class function[] = {W_STOPWORD, W_PREPOSITION, W_DETERMINER, W_JOINER};
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *s, *last = NULL;
  size_t words = 0;
  for (size_t n; from && (s = baton__conversation_word(&from, &n)) && s < end; last = s) {
    off_make_word(s, n, w, stem);
    if (++words > 3 || off_words_in(p->lx, function, 4, w, false) || off_ing_word(w) ||
        strpbrk(w, "0123456789"))
      return NULL;
  }
  return last;
}

/* "A blue | one", "a wooden | one" (`one` after words of their own from `thing`): does the word
 * before it say how a thing looks (a hue, a size, a style, a word ending as lexicon's looks_ending
 * do), not what it is ("a dog one")? */
static bool says_looks(const planner *p, const char *thing, const char *one) {
  static const off_class how[] = {W_HUE, W_MEASURED, W_MEASURE, W_PAINTED, W_SIZING};
  char w[OFF_MAX_WORD] = "", stem[OFF_MAX_WORD];
  const off_words *ends = &p->lx->cls[W_LOOKS_ENDING];
  const char *s;
  for (size_t n; (s = baton__conversation_word(&thing, &n)) && s < one;)
    off_make_word(s, n, w, stem);
  bool looks = off_words_in(p->lx, how, sizeof how / sizeof *how, w, false);
  for (size_t k = 0, n = strlen(w), e; !looks && k < ends->n; k++)
    looks = (e = strlen(ends->words[k])) < n && !strcmp(w + n - e, ends->words[k]);
  return looks;
}

/* The last word of the plain thing (plain_head) the last request `asked` draws, or NULL. */
static const char *drawn_head(const planner *p, const char *asked) {
  const char *end = drawing_end(p, asked, &p->cues[drawn_last(p) - 1]), *lead;
  return plain_head(p, drawn_thing(p, asked, end, &lead), end);
}

/* "Now a dog", "what about a dog wearing a hat?" after "draw a cat": does `thing` (from its "a")
 * name a new subject plainly, no change, praise nor other output ("a photo this time", "a jpg
 * version", "a hat on it", "a masterpiece", "a dog, but in blue"), or how a plain one looks ("a
 * green one" after "draw a red car": plain_head), the last request one drawing of its own words
 * ("draw a cat and save it as k.png"; not "draw a picture based on photo.jpg", "draw a cat and
 * make it black and white")? */
static bool subject_swapped(const planner *p, const char *thing) {
  static const off_class other[] = {W_COUNT,   W_DRAWN,  W_PICTURE,     W_REFERENCE,  W_BACKGROUND,
                                    W_MEASURE, W_IS_ARE, W_WRITTEN,     W_UNDRAWN,    W_MODEL,
                                    W_ALIKE,   W_FRESH,  W_TARGET_NOUN, W_RECIPROCAL, W_CONTRAST};
  static const off_class saving[] = {W_SAVING, W_CALLING, W_PUTTING};
  static const off_class joining[] = {W_JOINER, W_HARD_BREAK};
  const char *cut = instead_at(p, thing), *end = thing + unstopped(thing), *s, *at = thing;
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  size_t words = 0, n;
  end = cut ? cut : end;
  if (strcspn(thing, ",;:") < (size_t)(end - thing))
    return false; /* "a dog, but in blue" */
  const char *one = one_at(p, thing, end);
  if (one && !drawn_head(p, p->asked))
    return false; /* "a green one" after "draw a cat sleeping" */
  for (; (s = baton__conversation_word(&at, &n)) && s < end; words++) {
    off_make_word(s, n, w, stem);
    if ((s != one && off_words_in(p->lx, other, sizeof other / sizeof *other, w, false)) ||
        strpbrk(w, "0123456789") || off_format_word(w) || baton__type_from_name(w))
      return false;
  }
  const taskcue *c = &p->cues[drawn_last(p) - 1];
  bool drew = false, joined = false; /* past the drawing's words: "and save it as k.png" only */
  for (at = p->asked, end = NULL; words > 1 && (s = baton__conversation_word(&at, &n));) {
    off_make_word(s, n, w, stem);
    bool joins = (end && strcspn(end, ",;.!?") < (size_t)(s - end)) ||
                 off_words_in(p->lx, joining, 2, stem, true);
    if (off_file_type(s, n) || (joined && !joins))
      return joined && !joins && off_words_in(p->lx, saving, 3, stem, true);
    joined |= drew && joins;
    drew |= off_cue_says(c, stem);
    end = s + n;
  }
  return words > 1;
}

/* "Now a dog", "what about a dog?" after "draw a cat": the last request `asked` with `thing` (less
 * "this time") in place of what its drawing draws (drawn_thing), with the determiners before it,
 * to where the drawing's words end ("| and save it as k.png" kept); "a green one" after "draw a
 * red car" its words with the thing drawn in place of "one" ("draw a green car"); else with the
 * thing added. Malloc'd, NULL out of memory. */
static char *thing_swapped(const planner *p, const char *asked, const char *thing) {
  const char *end = drawing_end(p, asked, &p->cues[drawn_last(p) - 1]), *lead;
  const char *cut = instead_at(p, thing), *s = drawn_thing(p, asked, end, &lead);
  int len = cut ? (int)(cut - thing) : unstopped(thing);
  if (!s)
    return joined(asked, unstopped(asked), " and ", thing, len);
  const char *one = one_at(p, thing, thing + len), *head = one ? drawn_head(p, asked) : NULL;
  int kept = head ? (int)(one - thing) : len;
  size_t n = 0;
  if (head && !says_looks(p, thing, one)) { /* "a dog one": a dog in the old thing's place */
    baton__conversation_word(&(const char *){head}, &n);
    while (kept > 0 && thing[kept - 1] == ' ')
      kept--;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%.*s%s", (int)((lead ? lead : s) - asked), asked, kept, thing,
                 head ? head + n : end);
  return baton__sb_detach(&sb);
}

/* Is token i a word of the last request ("the cat" after "draw a cat")? */
static bool asked_word(const planner *p, size_t i) {
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  size_t n;
  for (const char *at = p->asked, *s; at && (s = baton__conversation_word(&at, &n));)
    if (off_make_word(s, n, w, stem), !strcmp(stem, p->tok[i].stem))
      return true;
  return false;
}

/* After a drawing, does token i only ask for it or point at it ("draw | it | again", "can | you |
 * draw | the cat | again", "I want another one", "give me another one", "the same but ..."): a
 * word of the drawing's cue, a picture, a reference, or a word of the last request not after
 * "another" ("draw another cat": a new thing)? */
static bool names_drawing(const planner *p, size_t i, int drew) {
  static const off_class asking[] = {W_REFERENCE, W_PICTURE, W_YOU, W_SUBJECT, W_HANDING,
                                     W_CONTRAST};
  const token *t = &p->tok[i];
  return drew && t->kind == TK_WORD &&
         (t->det || off_is_any(p, i, asking, sizeof asking / sizeof *asking) ||
          off_keyword_score(p, &p->cues[drew - 1], i, i + 1) > 0 ||
          (asked_word(p, i) && !(i > 0 && off_is(p, i - 1, W_FRESH))));
}

/* Do tokens from i on name no file but one to save to ("with a hat and save it as h.png")? */
static bool names_no_input(const planner *p, size_t i) {
  while (i < p->n_tok && (p->tok[i].kind != TK_RES || off_saved_name(p, i, 0)))
    i++;
  return i == p->n_tok;
}

/* After a drawing, where the request's own words begin past those asking for it anew: more of it
 * ("draw it again | and another one please": *copies), its saving ("draw it again | and save it
 * as c2.png"), a change or a step naming no file nor language to work on ("draw it again | with
 * a hat", "the same but | in blue", "draw it again | but blue", "draw it again | and describe
 * it"); else p->n_tok. */
static size_t added_at(const planner *p, bool *copies) {
  long n;
  for (size_t i = 1, k; drawn_last(p) && i < p->n_tok; i++) {
    if ((*copies = off_another_at(p, i, p->n_tok, &n) != 0))
      return i;
    for (k = i; k > 1 && off_punct(p, k - 1, ","); k--)
      ; /* "again, with a hat" */
    bool changed = off_is(p, k - 1, W_AGAIN) || off_is(p, k - 1, W_CONTRAST);
    bool joins = off_is(p, i, W_JOINER) || off_punct(p, i, ",");
    bool then = joins && off_has_cue(p, i + 1, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]);
    bool but = off_is(p, k - 1, W_AGAIN) && off_is(p, i, W_CONTRAST) && i + 1 < p->n_tok &&
               p->tok[i + 1].kind == TK_WORD && !off_is(p, i + 1, W_PREPOSITION) &&
               !off_has_cue(p, i + 1, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]); /* "| but blue" */
    if ((i + 1 < p->n_tok && off_saves_at(p, i + 1) && joins) ||
        (changed && (off_is(p, i, W_PREPOSITION) || then || but) && names_no_input(p, i) &&
         !language_asked(p)))
      return i;
  }
  return p->n_tok;
}

/* "Make another one", "one more please", "another": does the request, naming nothing of its own,
 * ask for the last request's result once more ("another", "one more") in spare words only? After
 * a drawing, so do "draw another one", "draw it again", "draw the cat again", "give me another
 * one", and the words before those it adds ("draw it again | with a hat"). */
static bool asks_another(const planner *p) {
  static const off_class asking[] = {W_FRESH, W_CAUSATIVE, W_COUNT, W_US};
  bool copies = false, fresh = false;
  size_t end = added_at(p, &copies);
  int drew = end <= OFF_MAX_AGAIN ? drawn_last(p) : 0; /* (each word looked for in the last) */
  for (size_t i = 0; p->asked && i < end; i++) {
    const token *t = &p->tok[i];
    bool more = i > 0 && off_is(p, i, W_MORE) && off_number_at(p, i - 1) > 0; /* "2 more" */
    bool counts = off_number_at(p, i) > 0 && /* "2 more", "another 2" */
                  ((i + 1 < end && off_is(p, i + 1, W_MORE)) ||
                   (i > 0 && off_is(p, i - 1, W_FRESH)));
    fresh |= more || off_is(p, i, W_FRESH) || (drew && off_is(p, i, W_AGAIN));
    if (t->kind == TK_RES || (t->kind == TK_WORD && !more && !counts && !spare(p, t->word) &&
                              !off_is_any(p, i, asking, sizeof asking / sizeof *asking) &&
                              !names_drawing(p, i, drew)))
      return false;
  }
  return p->asked && (fresh || copies);
}

bool off_drew_last(const planner *p) { return drawn_last(p) != 0; }

bool off_draws_again(const planner *p) { return !p->repeat && drawn_last(p) && asks_another(p); }

bool off_asks_anew(const planner *p) {
  bool again = false, cued = false, language = false, wrote = false;
  int ran[OFF_MAX_RES]; /* the tasks that made the last turn's results */
  size_t n = 0;
  if (p->repeat || !p->asked || drawn_last(p))
    return false;
  for (const resource *r = p->res; r < p->res + p->n_res; r++) {
    int t = r->turn == p->last_turn && r->maker ? r->maker - 1 : -1;
    const baton__taskspec *s = t >= 0 ? p->cues[t].spec : NULL;
    if (s && ((s->inputs & s->outputs & ~(unsigned)BATON__T_TEXT) ||
              off_is_role(p, t, R_TRANSLATE))) /* "rotate it again", "translate it again" */
      return false;
    ran[n] = t, n += s != NULL;
    wrote |= s && (s->outputs & BATON__T_TEXT);
  }
  for (size_t i = 0; i < p->n_tok; i++) {
    bool cue = false; /* a word of a task the last turn ran ("read", "say") */
    for (size_t k = 0; !cue && k < n; k++)
      cue = off_keyword_score(p, &p->cues[ran[k]], i, i + 1) > 0 ||
            (off_is(p, i, W_VOICING) && off_is_role(p, ran[k], R_SPEAK)); /* "read it again" */
    again |= off_is(p, i, W_AGAIN), cued |= cue;
    language |= off_language_at(p, i) != NULL; /* "summarize it again in French" */
    if (p->tok[i].kind == TK_RES || off_is(p, i, W_FURTHER) ||
        (p->tok[i].kind == TK_WORD && !cue && !spare(p, p->tok[i].word) &&
         !off_is(p, i, W_REFERENCE) && !off_is(p, i, W_DEMONSTRATIVE) && !off_language_at(p, i)))
      return false;
  }
  return again && (cued || !language || (n && !wrote)); /* "again in French": its text translated;
                                                          * of speech, spoken anew in French */
}

long off_copies_asked(const planner *p) {
  bool copies;
  size_t end = drawn_last(p) && asks_another(p) ? added_at(p, &copies) : 0;
  for (size_t i = 0; i < end; i++) /* "another (two)", "two more" */
    if (off_is(p, i, W_FRESH) || (off_is(p, i, W_MORE) && i > 0 && off_number_at(p, i - 1) > 0))
      return !off_is(p, i, W_FRESH) ? off_number_at(p, i - 1)
             : i + 1 < end && off_number_at(p, i + 1) > 0 ? off_number_at(p, i + 1) : 1;
  return 0;
}

const char *off_request_thing(const planner *p) {
  char words[12][OFF_MAX_WORD];
  size_t n = off_split_words(p->req, strlen(p->req), words, 12, NULL);
  return n < 12 && !names_own(p) ? thing_added(p, p->req, words, n) : NULL;
}

bool off_says_more(const planner *p) {
  size_t cs, ce; /* where the last request's quote is: unread here */
  return (p->asked_into && language_asked(p)) || (p->asked && adds_words(p)) ||
         quote_only(p, &cs, &ce) || asks_another(p) || off_request_thing(p);
}

/* The last request as the request says more of it, malloc'd: the last naming a language, into the
 * request's ("translate a.txt into Spanish", then "what about German?": "translate a.txt into
 * German"), else the last with its words ("summarize a.txt", then "in one sentence": "summarize
 * a.txt in one sentence"); NULL if it says no more or out of memory. */
static char *said_more(const planner *p, const char *asked) {
  size_t n, i = language_asked(p);
  const char *at = i ? target_named(p, asked, &n) : NULL;
  if (i && !at && p->asked_into) /* the newest named none: the last that did */
    asked = p->asked_into, at = target_named(p, asked, &n);
  const token *t = i ? &p->tok[i - 1] : NULL;
  size_t a = i > 1 && off_is(p, i - 2, W_TARGET_PREP) ? i - 2 : i - 1, b = p->n_tok;
  while (t && b > i && !off_language_at(p, b - 1))
    b--;
  if (!at && t && off_asks_anew(p)) /* "summarize it again, in French and in German": "summarize */
    return joined(asked, unstopped(asked), a < i - 1 ? " " : " in ", p->req + p->tok[a].start,
                  (int)(p->tok[b - 1].end - p->tok[a].start)); /* a.txt in French and in German" */
  if (!at)
    return adds_words(p) ? joined(asked, unstopped(asked), " ", p->req, (int)strlen(p->req)) : NULL;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%.*s%s", (int)(at - asked), asked, (int)(t->end - t->start),
                 p->req + t->start, at + n);
  return baton__sb_detach(&sb);
}

/* "Caption a.jpg and save it as c.txt": does the file name at `name` in message `text` name a file
 * to save as (a word of saving, putting or calling among the five words before it, the word just
 * before it one of naming or "as", "to", "in", or the calling word's: "call it c.png")? *clause
 * (set if so): where the words saving it begin, past the word before them and any joiner
 * ("caption a.jpg | and save it as c.txt"). */
static bool saved_name(const planner *p, const char *text, const char *name, const char **clause) {
  static const off_class saving[] = {W_SAVING, W_CALLING, W_PUTTING};
  static const off_class naming[] = {W_NAMING, W_TARGET_PREP}, joining[] = {W_JOINER,
                                                                            W_HARD_BREAK};
  char w[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  const char *s, *end = text; /* the end of the last word not joining */
  size_t n, since = 6; /* the words from the last word of saving on (6: none that near) */
  bool calls = false, named = false;
  for (const char *at = text; (s = baton__conversation_word(&at, &n)) && s < name; since++) {
    off_make_word(s, n, w, stem);
    if (off_words_in(p->lx, saving, 3, stem, true))
      since = 0, *clause = end, calls = off_words_has(&p->lx->cls[W_CALLING], stem, true);
    named = off_words_in(p->lx, naming, 2, stem, true);
    end = off_words_in(p->lx, joining, 2, stem, true) ? end : s + n;
  }
  return since <= 5 && (named || calls);
}

/* The type of the file name w (n bytes) in message text, 0 for none or one to save as. */
static unsigned named_type(const planner *p, const char *text, const char *w, size_t n) {
  const char *clause;
  unsigned type = off_file_type(w, n);
  return type && !saved_name(p, text, w, &clause) ? type : 0;
}

size_t off_files_named(const planner *p, const char *text) {
  size_t n, files = 0;
  for (const char *w, *at = text; at && (w = baton__conversation_word(&at, &n));)
    files += named_type(p, text, w, n) != 0;
  return files;
}

/* Does message `asked` end in the words of `tail`, joiners and "then" leading it aside ("caption
 * a.jpg and read it aloud", "| and read it aloud")? Not for more than OFF_MAX_TAIL words. */
static bool ends_in(const planner *p, const char *asked, const char *tail) {
  static const off_class joining[] = {W_JOINER, W_HARD_BREAK};
  char a[OFF_MAX_TAIL][OFF_MAX_WORD], t[OFF_MAX_TAIL][OFF_MAX_WORD];
  size_t na = off_split_words(asked, strlen(asked), a, OFF_MAX_TAIL, NULL), k = 0;
  size_t nt = off_split_words(tail, strlen(tail), t, OFF_MAX_TAIL, NULL);
  while (k < nt && off_words_in(p->lx, joining, 2, t[k], true))
    k++;
  if (na == OFF_MAX_TAIL || nt == OFF_MAX_TAIL || k == nt || nt - k > na)
    return false;
  for (size_t i = k; i < nt; i++)
    if (strcmp(a[na - (nt - i)], t[i]) != 0)
      return false;
  return true;
}

char *off_asked_again(const planner *p, char **thing) {
  const char *added = off_request_thing(p); /* "and the dates?": added to the words (plan.c) */
  if (added && p->told && !(*thing = baton__strndup(added, (size_t)unstopped(added))))
    return NULL;
  bool marks = off_marks_found(p), own = names_own(p), taken[OFF_MAX_RES] = {false};
  bool saves = false; /* "save it as s.txt": the last request again, its result saved */
  for (size_t i = 0; own && i < p->n_tok; i++)
    saves |= p->tok[i].kind == TK_RES && off_saved_name(p, i, 0);
  /* "pixelate them" after "blur them": the request finding them; "save the summary as s.txt": the
   * request that made the summary */
  const char *asked = marks && p->found_in ? p->found_in : p->asked;
  for (size_t r = 0; saves && r < p->n_res; r++)
    asked = off_names_maker(p, 0, p->n_tok, &p->res[r]) ? p->res[r].asked_by : asked;
  bool copies;
  size_t add = added_at(p, &copies); /* "draw a cat" and "| with a hat" */
  const char *drawn = add < p->n_tok ? p->req + p->tok[add - 1].end : "";
  size_t last = p->n_tok; /* less a "please" at its end ("with a hat, please") */
  while (last > add && (off_is(p, last - 1, W_ASKING) || off_punct(p, last - 1, ",.!?")))
    last--;
  size_t drawn_n = add < last ? p->tok[last - 1].end - p->tok[add - 1].end : 0;
  char *into = p->more && !saves && !*drawn && asked ? said_more(p, asked) : NULL; /* "German" */
  into = into || saves ? into : quote_swapped(p); /* 'and "good night"?' */
  into = into || saves || !added || p->told ? into : thing_swapped(p, asked, added); /* "a dog" */
  asked = into ? into : asked;
  bool again = off_has_word(p, 0, p->n_tok, W_AGAIN);
  /* "compare it with b.jpg": a task asked of its files, none that could be planned, no repeat */
  bool other = own && !marks && !saves && !into && !again &&
               off_has_cue(p, 0, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]);
  if (!asked || other ||
      !(marks || own || into || added || again || off_asks_about(p) || asks_another(p)))
    return NULL;
  size_t n, swapped = 0, named = 0, files = off_files_named(p, asked);
  int turn = own ? 0 : p->again_turn; /* "again" after "do the same for b.png": on b.png */
  const char *at = asked, *done = at, *w;
  /* "summarize a.txt", "do the same for b.wav": one file, of any type then */
  unsigned any = own && files == 1 ? ~0u : 0;
  baton__sb sb;
  baton__sb_init(&sb);
  for (at = asked; !saves && (w = baton__conversation_word(&at, &n));) {
    const char *clause = NULL; /* "caption a.jpg | and save it as c.txt": not on the new files */
    bool saved = own && off_file_type(w, n) && saved_name(p, asked, w, &clause);
    if (saved && clause >= done) {
      baton__sb_add(&sb, done, (size_t)(clause - done)), done = w + n, named++;
      continue;
    }
    unsigned type = saved ? 0 : off_file_type(w, n);
    int r = own_file(p, turn, type ? type | any : 0, taken);
    if ((named += type != 0, r < 0))
      continue;
    baton__sb_add(&sb, done, (size_t)(w - done)); /* up to the name */
    done = w + n; /* the name gives way to the request's files of that type */
    for (const char *sep = ""; r >= 0; sep = " and ", r = own_file(p, turn, type | any, taken))
      baton__sb_addf(&sb, "%s%s", sep, p->res[r].value), taken[r] = true, swapped++;
  }
  bool at_end = *drawn && !copies && (off_is(p, add, W_JOINER) || off_punct(p, add, ",")) &&
              !(add + 1 < p->n_tok && off_saves_at(p, add + 1)); /* "| and describe it": last */
  const char *cut = *drawn && !at_end ? drawing_end(p, asked, &p->cues[drawn_last(p) - 1]) : NULL;
  cut = (cut && cut < done) || at_end ? done + unstopped(done) : cut; /* (a name swapped past) */
  if (cut) /* "draw a cat | with a hat | and save it as k.png" */
    baton__sb_add(&sb, done, (size_t)(cut - done)), baton__sb_add(&sb, drawn, drawn_n), done = cut;
  const char *tail = p->again_end ? p->req + p->tok[p->again_end - 1].end : NULL;
  if (tail && !marks && !saves && !*drawn) { /* "caption b.jpg | and read it aloud" */
    baton__sb_add(&sb, done, (size_t)unstopped(done));
    if (!ends_in(p, asked, tail)) /* (not twice) */
      baton__sb_adds(&sb, tail);
  } else
    baton__sb_adds(&sb, done);
  /* "find the dates in it", then "and in b.txt?": "find the dates in it: b.txt" */
  for (int r; own && !saves && !named && (r = own_file(p, 0, ~0u, taken)) >= 0; taken[r] = true)
    baton__sb_addf(&sb, "%s %s", swapped++ ? " and" : ":", p->res[r].value);
  if ((marks || saves) && !*drawn) /* "find the faces in x.jpg" and "blur them", "save it" */
    baton__sb_addf(&sb, " and %s", p->req);
  /* none of what the request names fits the last request: it is no repeat of it */
  char *text = (own && !swapped && !saves && !into) || sb.len > OFF_MAX_REQUEST ? NULL
                                                                      : baton__sb_detach(&sb);
  baton__sb_release(&sb);
  free(into);
  return text;
}

int off_add_history(planner *p, const char *messages_json) {
  cJSON *msgs, *m;
  if (baton__conversation_parse(messages_json, &msgs, p->err, p->errlen) != 0)
    return -1;
  size_t first = p->n_res;
  int turn = 0, rc = 0;
  cJSON_ArrayForEach(m, msgs)
    rc |= scan_message(p, m, ++turn, first);
  p->turns = turn;
  cJSON_Delete(msgs);
  return rc ? (baton__fmt(p->err, p->errlen, OFF_OOM), -1) : 0;
}

/* *s with " and " and thing after it (*s replaced); 0, or -1 out of memory. */
static int and_thing(char **s, const char *thing) {
  char *v = joined(*s, (int)strlen(*s), " and ", thing, (int)strlen(thing));
  return v ? (free(*s), *s = v, 0) : -1;
}

int off_add_thing(baton__graph *g, const char *thing) {
  for (size_t k = 0; k < g->n; k++) {
    baton__task *t = &g->tasks[k];
    bool added = false;
    for (size_t a = 0; t->words && a < t->n_args; a++) {
      baton__arg *arg = &t->args[a]; /* the words asked, not the files, a language, a reference */
      bool words = arg->ref < 0 && arg->value && strcmp(arg->value, t->words) == 0;
      if (words && and_thing(&arg->value, thing) != 0)
        return -1;
      added |= words;
    }
    if (added && and_thing(&t->words, thing) != 0)
      return -1;
  }
  return 0;
}
