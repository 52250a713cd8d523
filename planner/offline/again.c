/* again.c — the last request asked again: on new files, in a new language, with a thing added. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/quote.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "core/banned.h"

/* Contract: off_asked_again() gives the newest earlier user message (p->asked) rewritten as the
 * request asks it again: its files swapped for the request's ("do the same for b.png"), its quote
 * for the request's, a language or words said more (off_says_more, off_only_language), asked anew
 * (off_asks_anew), a drawing redone (redraw.c) or a thing added ("and the dates?":
 * off_request_thing, then off_add_thing() on the plan of it). It reads p (tokens, resources and
 * the kept messages) and writes nothing of it; the rewritten text is planned by plan.c. */

const char *off_thing_added(const planner *p, const char *at, char (*words)[OFF_MAX_WORD],
                               size_t n) {
  static const off_class article[] = {W_DEFINITE, W_INDEFINITE};
  static const off_class more[] = {W_FRESH, W_MORE, W_AGAIN};
  size_t i = 0, len;
  bool drew = !p->told && off_drawn_last(p);
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
      off_target_named(p, at, &len))
    return NULL;
  const char *w = NULL, *s = at;
  for (size_t c = 0; (w = baton__conversation_word(&s, &len)) && c < k; c++)
    ;
  char word[OFF_MAX_WORD], stem[OFF_MAX_WORD];
  for (const char *e = w, *f; e && (f = off_next_word(&e, &len, word, stem));)
    if (off_file_type(f, len) || off_words_has(&p->lx->lang_names, word, false))
      return NULL;
  return p->told || off_subject_swapped(p, w) ? w : NULL;
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

/* Is the language at token i one the request does not want, a negation right before it or its
 * "in" ("not Spanish, German", "German, not in Spanish")? */
static bool language_refused(const planner *p, size_t i) {
  size_t k = i > 0 && off_is(p, i - 1, W_TARGET_PREP) ? i - 1 : i;
  return k > 0 && off_is(p, k - 1, W_NEGATION);
}

size_t off_language_asked(const planner *p) {
  for (size_t i = 0; !off_names_own(p) && i < p->n_tok; i++)
    if ((off_language_at(p, i) || off_tongue_at(p, i)) && !language_refused(p, i))
      return i + 1;
  return 0;
}

const char *off_target_named(const planner *p, const char *text, size_t *n) {
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

/* Is the request "tell me more" (a "please" or marks after it)? */
static bool tells_more(const planner *p) {
  size_t last = p->n_tok; /* less a "please" or marks at its end */
  while (last > 1 && (off_is(p, last - 1, W_ASKING) || p->tok[last - 1].kind == TK_PUNCT))
    last--;
  return last == 3 && off_is(p, 0, W_TELL) && off_is(p, 1, W_US) && off_is(p, 2, W_MORE);
}

/* "In one sentence, please", "as a bullet list", "again, but in 2 sentences", "more detail": does
 * the request, a preposition first (after "again, but") or "more" and a word of how long
 * (off_more_sized()), naming nothing of its own nor any task ("for the photo, describe it"), add
 * words to the last request? */
static bool adds_words(const planner *p) {
  bool cue = off_has_cue(p, 0, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]);
  size_t i = 0;
  bool told = tells_more(p);
  while (i + 1 < p->n_tok && (off_is(p, i, W_AGAIN) || off_is(p, i, W_CONTRAST) ||
                              off_punct(p, i, ",")))
    i++;
  bool sized = i + 1 < p->n_tok && off_more_sized(p, p->tok[i].stem, p->tok[i + 1].stem);
  return (told || (p->n_tok > i + 1 && (off_is(p, i, W_PREPOSITION) || sized))) &&
         !off_names_own(p) && !cue;
}

bool off_asks_detail(const planner *p) {
  bool told = off_has_word(p, 0, p->n_tok, W_TELL) && off_has_word(p, 0, p->n_tok, W_MORE);
  return p->more && (off_has_word(p, 0, p->n_tok, W_DETAIL) || told);
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
    if (p->tok[i].kind == TK_WORD && !off_language_at(p, i) && !off_tongue_at(p, i) &&
        !does && /* ("do | the same"; "and in Klingon?": asked so, refused as asked anew) */
        !off_is_any(p, i, spare, sizeof spare / sizeof *spare))
      return false;
  }
  return p->asked && !p->repeat && off_language_asked(p) && off_target_named(p, p->asked, &n);
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
    else if (p->tok[i].kind != TK_PUNCT &&
             !(p->tok[i].kind == TK_WORD && off_spare(p, p->tok[i].word)))
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

bool off_asks_anew(const planner *p) {
  bool again = false, cued = false, language = false, wrote = false;
  int ran[OFF_MAX_RES]; /* the tasks that made the last turn's results */
  size_t n = 0;
  if (p->repeat || !p->asked || off_drawn_last(p))
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
        (p->tok[i].kind == TK_WORD && !cue && !off_spare(p, p->tok[i].word) &&
         !off_is(p, i, W_REFERENCE) && !off_is(p, i, W_DEMONSTRATIVE) && !off_language_at(p, i)))
      return false;
  }
  return again && (cued || !language || (n && !wrote)); /* "again in French": its text translated;
                                                          * of speech, spoken anew in French */
}

const char *off_request_thing(const planner *p) {
  char words[12][OFF_MAX_WORD];
  size_t n = off_split_words(p->req, strlen(p->req), words, 12, NULL);
  return n < 12 && !off_names_own(p) ? off_thing_added(p, p->req, words, n) : NULL;
}

bool off_says_more(const planner *p) {
  size_t cs, ce; /* where the last request's quote is: unread here */
  return (p->asked_into && off_language_asked(p)) || (p->asked && adds_words(p)) ||
         quote_only(p, &cs, &ce) || off_asks_another(p) || off_request_thing(p);
}

/* The last request as the request says more of it, malloc'd: the last naming a language, into the
 * request's ("translate a.txt into Spanish", then "what about German?": "translate a.txt into
 * German"), else the last with its words ("summarize a.txt", then "in one sentence": "summarize
 * a.txt in one sentence"; "tell me more": "in more detail", which a summarizer reads as a longer
 * one); NULL if it says no more or out of memory. */
static char *said_more(const planner *p, const char *asked) {
  size_t n, i = off_language_asked(p);
  const char *at = i ? off_target_named(p, asked, &n) : NULL;
  if (i && !at && p->asked_into) /* the newest named none: the last that did */
    asked = p->asked_into, at = off_target_named(p, asked, &n);
  const token *t = i ? &p->tok[i - 1] : NULL;
  size_t a = i > 1 && off_is(p, i - 2, W_TARGET_PREP) ? i - 2 : i - 1, b = p->n_tok;
  while (t && b > i && !off_language_at(p, b - 1))
    b--;
  if (!at && t && off_asks_anew(p)) /* "summarize it again, in French and in German": "summarize */
    return off_joined(
        asked, off_unstopped(asked), a < i - 1 ? " " : " in ", p->req + p->tok[a].start,
        (int)(p->tok[b - 1].end - p->tok[a].start)); /* a.txt in French and in German" */
  const char *more = tells_more(p) ? OFF_MORE_DETAIL : p->req; /* "tell me more": a longer one */
  if (!at)
    return adds_words(p) ? off_joined(asked, off_unstopped(asked), " ", more, (int)strlen(more))
                         : NULL;
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
  for (const char *at = text; (s = off_next_word(&at, &n, w, stem)) && s < name; since++) {
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
  if (added && p->told && !(*thing = baton__strndup(added, (size_t)off_unstopped(added))))
    return NULL;
  bool marks = off_marks_found(p), own = off_names_own(p), taken[OFF_MAX_RES] = {false};
  bool saves = false; /* "save it as s.txt": the last request again, its result saved */
  for (size_t i = 0; own && i < p->n_tok; i++)
    saves |= p->tok[i].kind == TK_RES && off_saved_name(p, i, 0);
  /* "pixelate them" after "blur them": the request finding them; "save the summary as s.txt": the
   * request that made the summary */
  const char *asked = marks && p->found_in ? p->found_in : p->asked;
  for (size_t r = 0; saves && r < p->n_res; r++)
    asked = off_names_maker(p, 0, p->n_tok, &p->res[r]) ? p->res[r].asked_by : asked;
  bool copies;
  size_t add = off_added_at(p, &copies); /* "draw a cat" and "| with a hat" */
  const char *drawn = add < p->n_tok ? p->req + p->tok[add - 1].end : "";
  size_t last = p->n_tok; /* less a "please" at its end ("with a hat, please") */
  while (last > add && (off_is(p, last - 1, W_ASKING) || off_punct(p, last - 1, ",.!?")))
    last--;
  size_t drawn_n = add < last ? p->tok[last - 1].end - p->tok[add - 1].end : 0;
  char *into = p->more && !saves && !*drawn && asked ? said_more(p, asked) : NULL; /* "German" */
  into = into || saves ? into : quote_swapped(p); /* 'and "good night"?' */
  into =
      into || saves || !added || p->told ? into : off_thing_swapped(p, asked, added); /* "a dog" */
  asked = into ? into : asked;
  bool again = off_has_word(p, 0, p->n_tok, W_AGAIN);
  /* "compare it with b.jpg": a task asked of its files, none that could be planned, no repeat */
  bool other = own && !marks && !saves && !into && !again &&
               off_has_cue(p, 0, p->n_tok, p->lx->w[K_CLEAR_KEYWORD]);
  if (!asked || other ||
      !(marks || own || into || added || again || off_asks_about(p) || off_asks_another(p)))
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
  const char *cut =
      *drawn && !at_end ? off_drawing_end(p, asked, &p->cues[off_drawn_last(p) - 1]) : NULL;
  cut =
      (cut && cut < done) || at_end ? done + off_unstopped(done) : cut; /* (a name swapped past) */
  if (cut) /* "draw a cat | with a hat | and save it as k.png" */
    baton__sb_add(&sb, done, (size_t)(cut - done)), baton__sb_add(&sb, drawn, drawn_n), done = cut;
  const char *tail = p->again_end ? p->req + p->tok[p->again_end - 1].end : NULL;
  if (tail && !marks && !saves && !*drawn) { /* "caption b.jpg | and read it aloud" */
    baton__sb_add(&sb, done, (size_t)off_unstopped(done));
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

/* *s with " and " and thing after it (*s replaced); 0, or -1 out of memory. */
static int and_thing(char **s, const char *thing) {
  char *v = off_joined(*s, (int)strlen(*s), " and ", thing, (int)strlen(thing));
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
