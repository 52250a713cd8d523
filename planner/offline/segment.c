/* segment.c — tokens to steps: clause boundaries, and which clauses only set the scene. */
#include "planner/offline/internal.h"

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_split_steps() takes p->tok and gives p->steps: token ranges split at sentence ends
 * and hard breaks ("then", "finally"), and at ',' and "and" only when what follows names a task (or
 * a cut, a hue given, a song's part kept apart: unnamed.c) or starts a clause of its own;
 * first-person statements that ask for nothing are marked context (they set the scene: their
 * resources count, their words name no task), the steps of a sentence before one opening with
 * "First" a goal; an arrow before words naming no task reads as "to" ("talk.wav -> text"), a step
 * of its own where that "to" names one, or a recording or an audio format, after a piece naming
 * one ("sign.png -> text | -> French", "x.jpg -> caption | -> voice"); a clause refusing a task
 * ("..., but | don't translate it") is a step of its own, marked refused. It reads cues, picks no
 * task. */

/* Does some task have a keyword in tokens [a,b)? */
static bool has_cue(const planner *p, size_t a, size_t b) {
  return off_has_cue(p, a, b, p->lx->w[K_MIN_KEYWORD]);
}

static size_t next_word(const planner *p, size_t i, size_t b) {
  while (i < b && p->tok[i].kind != TK_WORD)
    i++;
  return i;
}

/* "I have a photo 'x.jpg' of my kitchen", "I'm making a chatbot", "... The document is an image
 * 'd.png'": a first-person statement, or one after the first saying in a few words which file or
 * quote a thing is, asking for nothing sets the scene, not one about a thing ("The audio is noisy"
 * asks for a fix, "The goal is to summarize notes.txt and ..." for tasks). Lead-ins
 * ("Let's consider that", "While browsing,", "You know,", "Imagine", "Recently,") do not count. */
static bool is_context_clause(const planner *p, size_t a, size_t b) {
  size_t i = next_word(p, a, b);
  if (i + 1 < b && off_is(p, i, W_SPEAKING) && !off_is(p, i + 1, W_SUBJECT))
    return false; /* "say hello there" speaks; "say we have ..." supposes */
  if (i + 1 < b && off_is(p, i, W_LETS) && off_is(p, i + 1, W_SUPPOSING))
    a = i += 2 + (i + 2 < b && off_is(p, i + 2, W_DEMONSTRATIVE)); /* "let's" asks for nothing */
  size_t comma = i; /* an aside runs to its comma */
  while (comma < b && !off_punct(p, comma, ","))
    comma++;
  i = comma < b && off_is(p, i, W_ASIDE) ? comma + 1 : i;
  i += 2 * (i + 1 < b && off_is(p, i, W_YOU) && off_is(p, i + 1, W_FILLER)); /* "you know," */
  for (i = next_word(p, i, b); i + 1 < b && off_is(p, i, W_LEAD_IN);)
    i = next_word(p, i + 1, b);
  /* "The document is an image 'd.png'.", "The (image) file is x.jpg.": what it is ends it */
  bool names = a > 0 && i + 3 < b && b <= i + 7 && off_is(p, i, W_DEFINITE) &&
               (off_is(p, i + 2, W_IS_ARE) || (i + 4 < b && off_is(p, i + 3, W_IS_ARE))) &&
               p->tok[b - 1].kind == TK_RES;
  bool put = false, asks = b < p->n_tok && off_punct(p, b, "?"); /* "I have a question: what?", */
  for (size_t k = a; asks && k + 1 < b; k++) /* "I have a.jpg and b.jpg, (:) which is brighter?" */
    put |= off_is(p, k + 1, W_WH) && ((off_punct(p, k, ":") && off_has_word(p, a, k, W_QUESTION)) ||
                                       (off_punct(p, k, ",:") && off_count_res(p, a, k, ~0u) > 1));
  return i < b && (off_is(p, i, W_SUBJECT) || off_is(p, i, W_SCENE_SUBJECT) || names) &&
         !off_has_word(p, a, b, W_ASKING) && !put;
}

bool off_arrow_word(const planner *p, size_t i) {
  return p->tok[i].respelt && off_is(p, i, W_ARROW);
}

/* A ',', an arrow ("a -> b", "-> audio"), or an "and" that no cue holds ("make them black and
 * white"). */
static bool soft_at(const planner *p, size_t i) {
  return off_punct(p, i, ",>") || off_arrow_word(p, i) ||
         (off_is(p, i, W_JOINER) && !(i > 0 && i + 2 <= p->n_tok &&
         has_cue(p, i - 1, i + 2) && !has_cue(p, i - 1, i) && !has_cue(p, i + 1, i + 2)));
}

size_t off_fronted_end(const planner *p, size_t i) {
  bool opens = i == 0 || p->tok[i - 1].soft || off_punct(p, i - 1, ".!?;") ||
               off_is(p, i - 1, W_HARD_BREAK);
  size_t k = i + 1, e; /* "based on the", "according to the", "using the"; not "match the" */
  bool prep = k < p->n_tok && (off_is(p, k, W_PREPOSITION) || off_is(p, k, W_TARGET_PREP));
  if (!opens || !off_is(p, i, W_GUIDED) || (k += prep) >= p->n_tok || !p->tok[k].det ||
      !(prep || baton__has_suffix_ci(p->tok[i].word, "ing")))
    return 0;
  for (e = k; e < p->n_tok && p->tok[e].kind == TK_WORD;) /* "the image and the text" */
    e++;
  return e + 1 < p->n_tok && off_punct(p, e, ",") && p->tok[e + 1].kind == TK_WORD &&
         !off_is(p, e + 1, W_JOINER) && !off_is(p, e + 1, W_HARD_BREAK) &&
         off_number_at(p, e + 1) < 0 ? e : 0;
}

/* "..., and based on the summary, | edit x.jpg": does a clause opening at c (before i) with what
 * it is based on go on with words naming a task? */
static bool leads_to_task(const planner *p, size_t c, size_t i) {
  size_t e = c < i ? off_fronted_end(p, c) : 0, n = e + 1;
  while (e && n < i && !p->tok[n].soft)
    n++;
  return e && has_cue(p, e + 1, n);
}

/* Does the saving at c, up to e, name a file to save as ("save it as b.txt", "write the summary to
 * s.txt", "save them as an audio file 'x.wav'", "write fr.txt"), not one to work on ("write a
 * caption for x.jpg", "write the caption for x.jpg")? */
static bool saves_file(const planner *p, size_t c, size_t e) {
  size_t d = c + 1 + (c + 2 < e && p->tok[c + 1].det), i = c;
  while (i < e && !(p->tok[i].kind == TK_RES && off_saved_name(p, i, c)))
    i++;
  return i < e || (c + 1 < e && p->tok[c + 1].kind == TK_RES) ||
         (d < e && off_is(p, d, W_REFERENCE) && off_own_types(p, d, e));
}

/* The first token of [k, e) that is no boundary (an arrow read as a word is one of the words). */
static size_t skip_soft(const planner *p, size_t k, size_t e) {
  while (k < e && ((p->tok[k].soft && !off_arrow_word(p, k)) || p->tok[k].kind == TK_PUNCT))
    k++;
  return k;
}

/* "Using notes.txt, | answer the questions in q.txt", "based on notes.txt, | ...": does the piece
 * [a, k) only say which file the questions of [k, e) after its ',' are answered from (one step
 * with them; not "using notes.txt, summarize b.txt")? */
static bool fronted_file(const planner *p, size_t a, size_t k, size_t e) {
  a = skip_soft(p, a, k);
  size_t f = a + 1 + (a + 2 < k && off_is(p, a + 1, W_PREPOSITION));
  return f + 1 == k && off_is(p, a, W_GUIDED) && p->tok[f].kind == TK_RES &&
         off_punct(p, k, ",") && off_has_word(p, k, e, W_QUESTION);
}

/* "no translate | it to German": does an object (a file, "it", "the") start at token k, by b? */
static bool verb_object(const planner *p, size_t k, size_t b) {
  return k < b && (p->tok[k].kind == TK_RES || p->tok[k].det || off_is(p, k, W_REFERENCE));
}

/* Where the negation at token n (its sentence from lo) refuses a task ("don't | translate it",
 * "skip | the depth estimation", "no need to | read it aloud", "instead of | summarizing it",
 * "rather than | translating it"): a task's cue right after it or after asking words, "to", "of",
 * "it" and determiners (by b), where it starts; or 0. One other than "without", "instead of",
 * "rather than" only where a clause opens, "do" before it or not: at lo, after a mark or a lone
 * dash, "and", "but", "please" or a subject; after "I", "we", "you" only past an asking word ("I
 * don't want a summary"; "I don't speak German", "I don't understand notes.txt" give a reason).
 * "Is there no text", "with no text", "the object is not pronounced enough" say what a thing is;
 * "no" right before a verb and its object answers the last turn ("no translate it to German"). */
static size_t refuses(const planner *p, size_t n, size_t lo, size_t b) {
  static const off_class links[] = {W_ASKING, W_PURPOSE, W_PREPOSITION, W_REFERENCE};
  static const off_class opens[] = {W_JOINER, W_CONTRAST, W_ASKING};
  size_t s = n, k = n + 1;
  while (s > lo && off_is(p, s - 1, W_IS_ARE))
    s--;
  bool subject = s > lo && (off_is(p, s - 1, W_SUBJECT) || off_is(p, s - 1, W_YOU));
  bool opening = s == lo || subject || off_punct(p, s - 1, ",:;") || p->tok[s].dashed ||
                 off_is_any(p, s - 1, opens, sizeof opens / sizeof *opens);
  bool replacing = off_is(p, n, W_REPLACING); /* "instead | of" ("instead summarize it" asks) */
  if (replacing && !(k < b && off_is(p, k++, W_REPLACED)))
    return 0;
  if ((subject && !(k < b && off_is(p, k, W_ASKING))) ||
      !(opening || replacing || off_is(p, n, W_SPARING)))
    return 0;
  for (; k < b; k++) /* ("not | into German": a cue starting at a link word too) */
    if (off_cue_starts(p, k, b, p->lx->w[K_MIN_KEYWORD]))
      return off_is(p, n, W_DENYING) && k == n + 1 && verb_object(p, k + 1, b) ? 0 : k;
    else if (!p->tok[k].det && !off_is_any(p, k, links, sizeof links / sizeof *links))
      return 0;
  return 0;
}

/* "Don't translate it | just summarize notes.txt", "no caption - | detect objects in x.jpg": the
 * token before the words of another task after a refused cue at k, its clause's verb (a word
 * after no determiner, "to" or preposition; not "aloud", of the verb before), where the refused
 * clause ends; 0: none before a boundary by e. */
static size_t refusal_end(const planner *p, size_t k, size_t e) {
  static const off_class ties[] = {W_PURPOSE, W_PREPOSITION, W_ASKING, W_REFERENCE};
  double min = p->lx->w[K_MIN_KEYWORD];
  size_t j = e;
  int t = off_cue_at(p, k, e, min, &j), u;
  for (size_t end; j < e && !p->tok[j].soft && !off_is(p, j, W_CONTRAST); j++)
    if (p->tok[j].kind == TK_WORD && !p->tok[j].det && !p->tok[j - 1].det &&
        !off_is_any(p, j, ties, sizeof ties / sizeof *ties) && !off_is(p, j - 1, W_PURPOSE) &&
        !off_is(p, j - 1, W_PREPOSITION) && !off_is(p, j, W_ALOUD) &&
        (u = off_cue_at(p, j, e, min, &end)) >= 0 && u != t)
      return j - 1;
  return 0;
}

/* Marks where each clause refusing a task in the sentences of [0, n_tok) starts: its negation, or
 * "do", "I", "but", "and" before it ("but I do not want a summary"). A contrast after one, with a
 * cue after that, parts what is asked instead ("don't translate it | but summarize it"). */
static void mark_refusals(planner *p) {
  static const off_class lead[] = {W_IS_ARE, W_SUBJECT, W_YOU, W_CONTRAST, W_JOINER};
  static const off_class refusing[] = {W_NEGATION, W_SPARING, W_REPLACING};
  for (size_t i = 0, seg = 0, e = 0; i < p->n_tok; i++) {
    seg = i > 0 && off_ends_sentence(p, i - 1) ? i : seg;
    for (e = e > i ? e : i; e < p->n_tok && !off_ends_sentence(p, e);)
      e++;
    size_t s = i, k = i + 1, cue, end;
    if (!off_is_any(p, i, refusing, sizeof refusing / sizeof *refusing) ||
        !(cue = refuses(p, i, seg, e)))
      continue;
    if ((end = refusal_end(p, cue, e)) > 0) /* its end a boundary ("just | summarize it") */
      p->tok[end].soft = true;
    while (s > seg && off_is_any(p, s - 1, lead, sizeof lead / sizeof *lead))
      s--;
    p->tok[s].refusal = true;
    while (k < e && !off_is(p, k, W_CONTRAST))
      k++;
    if (k < e && has_cue(p, k + 1, e))
      p->tok[k].soft = true;
  }
}

/* "... a person and, if it does, | blur their face", "..., and if so, | ...": does a condition
 * naming no task follow the boundary at k, up to a ','? It is a piece of its own (scene-setting:
 * add_step), not the end of the step before ("check whether x.jpg shows a person"). */
static bool condition_after(const planner *p, size_t k, size_t i) {
  size_t c = skip_soft(p, k + 1, i), e = c;
  while (e < i && !off_punct(p, e, ","))
    e++;
  return e < i && c < e && off_is(p, c, W_CONDITION) && !has_cue(p, c, e);
}

/* Adds the piece [a, b) of a sentence less leading boundary words (a hard break only ends one) and
 * a "first" before its words; -1: too many. Scene-setting: with a first-person subject first,
 * judged alone; a condition before the rest (not `last`: "Once we get an answer, | could we ...")
 * unless it names an action ("After editing the table, | I'd like ...", not "the summary"); else
 * as its sentence. */
static int add_step(planner *p, size_t a, size_t b, bool sentence, bool last) {
  bool refused = a < b && p->tok[a].refusal;
  a = skip_soft(p, a, b);
  a += a + 1 < b && off_is(p, a, W_OPENING) && p->tok[a + 1].kind == TK_WORD; /* "first | do x" */
  if (a >= b || p->n_steps >= OFF_MAX_STEPS)
    return a >= b ? 0 : -1;
  bool context = off_is(p, a, W_SUBJECT) ? is_context_clause(p, a, b) : sentence;
  if (!last && off_is(p, a, W_CONDITION)) {
    for (size_t i = a; i < b; i++) /* (no reference is marked before recognise.c) */
      p->tok[i].skip = off_is(p, i, W_MADE_THING);
    context = !has_cue(p, a, b);
    for (size_t i = a; i < b; i++)
      p->tok[i].skip = false;
  }
  p->steps[p->n_steps++] =
      (step){.a = a, .b = b, .task = -1, .context = context || refused, .refused = refused};
  return 0;
}

bool off_ends_sentence(const planner *p, size_t i) {
  return off_punct(p, i, ".!?;") ||
         (off_is(p, i, W_CONTRAST) && off_is(p, next_word(p, i + 1, p->n_tok), W_OPENING));
}

/* Does the piece [a, i) before an arrow at i, naming a task that writes text, go on to a
 * recording's word or an audio format ("caption -> audio", "summary -> mp3": that text spoken)? */
static bool speaks_text(const planner *p, size_t a, size_t i) {
  int t = off_clearest_cue(p, a, i, p->lx->w[K_MIN_KEYWORD]);
  return (off_is(p, i + 1, W_RECORDING) || (off_format_type(p, i + 1) & BATON__T_AUDIO)) &&
         t >= 0 && (p->cues[t].spec->outputs & BATON__T_TEXT);
}

/* "talk.wav -> text", "sign.png → text → French": an arrow ("->", "=>", "→": a '>' of more than
 * one byte) before words naming no task, up to the next arrow or the sentence's end, reads as the
 * lexicon's arrow word ("to"); before a medium's word after a video or a step of its own ("x.mp4 ->
 * audio", "x.jpg -> caption -> image": which part of a video, or not the word "caption" drawn) but
 * a recording's after one writing text ("x.jpg -> caption -> audio": the caption spoken), a file
 * name or a quote it stays (the file to save: "blur x.jpg -> b.png"), and before a step of its own
 * it parts the steps ("read sign.png -> translate it"). */
static void read_arrows(planner *p) {
  static const off_class media[] = {W_RECORDING, W_PICTURE, W_MOVING};
  for (size_t i = 0; p->lx->cls[W_ARROW].n && i + 1 < p->n_tok; i++) {
    if (!off_punct(p, i, ">") || p->tok[i].end - p->tok[i].start < 2 ||
        p->tok[i + 1].kind != TK_WORD)
      continue;
    size_t from = i; /* the piece since the last arrow kept (or the sentence's start) */
    while (from > 0 && !off_punct(p, from - 1, ">.!?;"))
      from--;
    if (off_is_any(p, i + 1, media, sizeof media / sizeof *media) && i > 0 &&
        (off_res_at(p, i - 1, BATON__T_VIDEO) >= 0 ||
         (from > 0 && off_punct(p, from - 1, ">") && has_cue(p, from, i) &&
          !speaks_text(p, from, i))))
      continue; /* kept */
    size_t e = i + 1;
    while (e < p->n_tok && !off_punct(p, e, ">.!?;"))
      e++;
    if (!has_cue(p, i + 1, e))
      off_read_as(p, i, &p->lx->cls[W_ARROW]);
  }
}

/* "..., but before that | translate it", "Before this, ...": "before" opening a clause and a
 * demonstrative, a ',' or a task's cue after them, read as "first," (what follows is done first;
 * not "before that date"). */
static void read_before_that(planner *p) {
  static const off_class opens[] = {W_CONTRAST, W_JOINER};
  for (size_t i = 0; i + 2 < p->n_tok; i++)
    if (off_is(p, i, W_BEFORE_CLAUSE) && off_is(p, i + 1, W_DEMONSTRATIVE) &&
        (i == 0 || off_punct(p, i - 1, ",.;:!?") || off_is_any(p, i - 1, opens, 2)) &&
        (off_punct(p, i + 2, ",") || off_cue_starts(p, i + 2, p->n_tok, p->lx->w[K_MIN_KEYWORD]))) {
      off_read_as(p, i, &p->lx->cls[W_OPENING]);
      token *t = &p->tok[i + 1];
      *t = (token){.kind = TK_PUNCT, .stem = ",", .word = ",", .start = t->start, .end = t->end};
    }
}

int off_split_steps(planner *p) {
  read_arrows(p);
  read_before_that(p);
  for (size_t i = 0; i < p->n_tok; i++) /* once a token: a run of "and" would ask at each break */
    p->tok[i].soft = soft_at(p, i);
  mark_refusals(p);
  for (size_t i = 0, seg = 0, first = 0; i <= p->n_tok; i++) {
    bool ends = i < p->n_tok && off_ends_sentence(p, i);
    if (i < p->n_tok && !ends && !off_is(p, i, W_HARD_BREAK))
      continue;
    /* A ',' or "and" splits before words naming a task (or a cut of "it" no cue names: "how long is
     * a.wav and make it 10 seconds long", not "join a.wav and the first 10 seconds of b.wav"; a
     * part of a song kept apart; with a picture named, a thing given a hue: "and colour the sky
     * purple", not "summarize notes.txt and color the headings blue"), a new clause
     * ("..., and I'm curious", "and based on the summary, ...") or a question after a piece naming
     * a task or hearing a recording ("transcribe x.wav and tell me who won", "listen to a.wav and
     * tell me ..."). */
    for (size_t k = seg, from = seg, next, c; k <= i; k = next) {
      for (next = k + 1, c = skip_soft(p, k + 1, i);
           next < i && !p->tok[next].soft && !p->tok[next].refusal;)
        next++;
      if (c < i && !p->tok[k].refusal && ((off_own_types(p, k - 1, k) &&
                                            off_own_types(p, c, c + 1)) ||
                    (off_saves_at(p, c) && saves_file(p, c, next)) ||
                    fronted_file(p, from, k, next)))
        continue; /* "read a.txt and b.txt aloud", "do a.txt and b.png say the same?": what the
                   * step takes; "and save it as b.txt"; "using notes.txt, answer ..." */
      if (k == i || p->tok[k].refusal || has_cue(p, k + 1, next) ||
          (c < next && !off_own_types(p, c, next) &&
           off_cuts_to_length(p, &(step){.a = c, .b = next}, true, 0)) ||
          off_made_other(p, c, next) || off_separates(p, c, next) ||
          ((off_res_types(p, false) & BATON__T_IMAGE) && off_colours(p, c, next)) ||
          off_marks_thing(p, c, next, false) || off_makes_it(p, from, c, next) ||
          (c < i && (off_is(p, c, W_SUBJECT) || off_speaks_at(p, c) || /* "| listen to b.wav" */
                     (off_is(p, c, W_HEARING) && off_hears(p, c, next)))) ||
          leads_to_task(p, c, i) ||
          (c < i && off_sends_at(p, c, next)) || /* "and email it": left out (recognise.c) */
          (off_arrow_word(p, k) && (has_cue(p, from, k) || off_arrow_to_sound(p, from, k)) &&
           (has_cue(p, k, next) || speaks_text(p, from, k))) || /* "| to audio", "| to voice" */
          (off_asks_question(p, k + 1, next) &&
           (has_cue(p, from, k) || off_hears(p, from, k))) ||
          (from == seg && off_punct(p, k, ",") && off_is(p, skip_soft(p, seg, k), W_CONDITION)) ||
          (k > from && condition_after(p, k, i))) {
        /* k == i: the last piece; "After it's been transformed, | identify ...": a condition */
        if (add_step(p, from, k, is_context_clause(p, seg, i), k == i) != 0)
          return -1;
        from = k; /* (at k == seg, an empty piece: none added) */
      }
    }
    /* "I want a video of x.jpg. First, ...": its steps are the goal the next sentences spell out */
    for (size_t k = first; ends && k < p->n_steps; k++)
      p->steps[k].goal = off_is(p, next_word(p, i + 1, p->n_tok), W_OPENING);
    seg = i + 1, first = p->n_steps;
  }
  return 0;
}
