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
 * no repeat is kept (p->asked) for again.c to ask anew ("do the same for b.png"). Then
 * off_follows_answer() and off_set_labels_aside() set aside earlier answers a question or a task
 * does not work on. */

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
  for (size_t n; (word = off_next_word(&at, &n, w, stem)); end = word + n) {
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


int off_unstopped(const char *s) {
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\r\n.!?", s[n - 1]))
    n--;
  return (int)n;
}

char *off_joined(const char *a, int an, const char *sep, const char *b, int bn) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%.*s%s%.*s", an, a, sep, bn, b);
  return baton__sb_detach(&sb);
}

bool off_more_sized(const planner *p, const char *more, const char *how) {
  return off_words_has(&p->lx->cls[W_MORE], more, true) &&
         off_words_has(&p->lx->cls[W_SIZING], how, true);
}

/* "In one sentence please", "as a bullet list", "with more detail", "more details" after
 * "summarize a.txt": the user message `at` (its n stems `words`) says more of the last request
 * (one of those words first, or "more" and a word of how long, off_more_sized(); no file, no target
 * language, no task's cue): that request with its words, malloc'd; else NULL. Then "save it as
 * s.txt" saves what both asked. */
static char *asked_with(const planner *p, const char *at, char (*words)[OFF_MAX_WORD], size_t n) {
  bool more = p->asked && n > 1 &&
              (off_more_sized(p, words[0], words[1]) ||
               off_words_has(&p->lx->cls[W_SAID_MORE], words[0], true));
  size_t len;
  more = more && !off_words_ask(p, words, n) && !off_target_named(p, at, &len);
  for (const char *w, *s = at; more && (w = baton__conversation_word(&s, &len));)
    more = !off_file_type(w, len);
  return more ? off_joined(p->asked, off_unstopped(p->asked), " ", at, (int)strlen(at)) : NULL;
}

bool off_spare(const planner *p, const char *w) {
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
  for (const char *s; (s = off_next_word(&at, &n, w, stem)) && words < 12; words++) {
    bool other = !off_file_type(s, n) && !off_words_has(&p->lx->lang_names, w, false);
    named += !other;
    if (other && !off_spare(p, w))
      return false;
  }
  return named > 0 && words < 12;
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
  size_t n = off_split_words(text, strlen(text), words, 12, NULL),
         len = (size_t)off_unstopped(text);
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
  const char *thing = user && n < 12 && p->asked ? off_thing_added(p, at, words, n) : NULL;
  bool ask = user && (n >= 12 || (i >= n && !asks_once_more(p, words, n))) &&
             !(p->asked && elliptical(p, at)) && !thing;
  char *more = ask && n < 12 ? asked_with(p, at, words, n) : NULL;
  bool marks = ask && !more && n < 12 && marks_found(p, at, words, n); /* "now blur them" */
  if (!marks && (ask || thing)) /* (the request found in, not the last marking: "pixelate them") */
    free(p->found_in), p->found_in = NULL;
  else if (marks && !p->found_in)
    p->found_in = baton__strndup(p->asked, (size_t)off_unstopped(p->asked));
  if (marks && p->found_in) /* "find the faces in x.jpg and now blur them" */
    more = off_joined(p->found_in, (int)strlen(p->found_in), " and ", at, (int)strlen(at));
  if (thing) /* "and the dates?": the last request with the dates, on its files */
    more = p->told
               ? off_joined(p->asked, off_unstopped(p->asked), " and ", thing, off_unstopped(thing))
               : off_thing_swapped(p, p->asked, thing); /* "now a dog" after a drawing */
  if (ask || thing) /* kept for off_asked_again(); a repeat asked what the message before did */
    free(p->asked);
  p->again_turn = user ? (ask ? 0 : thing ? p->again_turn : turn) : p->again_turn;
  int rc = ask && !(p->asked = more ? more : baton__strdup(at)) ? -1 : 0;
  rc = thing && !(p->asked = more) ? -1 : rc;
  bool answer = role && strcmp(role, "assistant") == 0;
  p->told = answer ? told_answer(p, m) : p->told;
  p->ran = answer ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "tasks")) : p->ran;
  size_t len;
  if (rc == 0 && ask && off_target_named(p, at, &len)) /* "translate a.txt into Spanish" */
    free(p->asked_into), rc = (p->asked_into = baton__strdup(at)) ? 0 : -1;
  origin o = {turn, 0, 0, NULL};
  while (user && (w = baton__conversation_word(&at, &n))) /* names it writes ("in photo.jpg") */
    rc |= remember(p, first, &o, true, w, n, off_file_type(w, n));
  return rc | scan_answer(p, m, turn, first);
}

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
  for (size_t i = 0; !off_names_own(p) && i < p->n_res; i++)
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
  int t = off_names_own(p) || !p->n_steps ? -1
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
