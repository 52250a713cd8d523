/* rewrite.c — what the request is about adjusts a chosen task: pictures of tables and documents, questions on pictures, one object. */
#include "planner/offline/internal.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: off_find_kinds() sets what each picture and the request's picture show (plain,
 * a table, a document) and which recordings the words next to them call music; off_rewrite()
 * takes a recognised step and gives the task to use, its own unless: a picture of a table or
 * document is read as one, a question with no passage but a picture is a visual question (with
 * nothing at all to answer from, a chat; naming a text file and no picture, a text question), one
 * object is classified rather than detected, a new thing painted after an earlier turn's picture
 * drawn rather than edited into it. Tasks are named by their lexicon roles. */

/* Does token i (',' or "and") part two pictures of a sentence ("x.jpg and a table image t.jpg")? */
static bool splits_pictures(const planner *p, size_t seg, size_t i) {
  bool part = off_punct(p, i, ",") || off_is(p, i, W_JOINER);
  for (size_t k = i + 1; part && k < p->n_tok && !off_punct(p, k, ".!?;"); k++)
    if (off_res_at(p, k, BATON__T_IMAGE) >= 0) /* a picture after it, and one before? */
      return off_own_res(p, seg, i, BATON__T_IMAGE) >= 0;
  return false;
}

/* Does [a,b) call a picture a document: a document word naming no text after it, a file or a
 * quote ("a text document (t.txt)", "the document: '...'")? */
static bool says_document(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i < b; i++) {
    int r = off_is(p, i, W_DOCUMENT) ? off_own_res(p, i + 1, i + 4 < b ? i + 4 : b, ~0u) : -2;
    if (r == -1 || (r >= 0 && !(p->res[r].type & BATON__T_TEXT)))
      return true;
  }
  return false;
}

/* "An audio question q.wav", "the question I ask in q.wav", "q.wav with my recorded question": is
 * there a question word within four words of the recording at token i, only words between, none
 * joining on or saying what it is about ("q.wav and answer the question", "a question about
 * q.wav")? */
static bool called_question(const planner *p, size_t i) {
  for (size_t j = off_back(i, 4, 0); j < i + 5 && j < p->n_tok; j++) {
    bool plain = j != i && off_is(p, j, W_QUESTION);
    for (size_t k = (j < i ? j : i) + 1; plain && k < (j < i ? i : j); k++)
      plain = p->tok[k].kind == TK_WORD && !off_is(p, k, W_JOINER) &&
              !off_is(p, k, W_CONTENT_INTRO);
    if (plain)
      return true;
  }
  return false;
}

/* A sentence (or its part, of several pictures) naming a picture and calling it a table or a
 * document ("a scanned invoice x.png"), unless unsure ("if there is a table in it"), sets the kind
 * of its picture files (read then as one) and p->image_kind (a table wins); a recording with a
 * music word within four words of it is music, one called a question (called_question) a question.
 */
void off_find_kinds(planner *p) {
  for (size_t i = 0, seg = 0; i <= p->n_tok; i++) {
    if (i < p->n_tok && !off_punct(p, i, ".!?;") && !splits_pictures(p, seg, i))
      continue;
    bool img = off_own_res(p, seg, i, BATON__T_IMAGE) >= 0 || off_has_word(p, seg, i, W_PICTURE);
    img = img && !off_has_word(p, seg, i, W_UNSURE);
    int kind = !img ? IMG_PLAIN : off_has_word(p, seg, i, W_TABLE) ? IMG_TABLE
             : says_document(p, seg, i) ? IMG_DOCUMENT : IMG_PLAIN;
    for (size_t k = seg; k < i; k++)
      if (off_res_at(p, k, BATON__T_IMAGE) >= 0)
        p->res[p->tok[k].res].kind = kind;
    p->image_kind = kind && p->image_kind != IMG_TABLE ? kind : p->image_kind;
    seg = i + 1;
  }
  for (size_t i = 0; i < p->n_tok; i++) /* "background music 'm.wav'", "m.wav (a jingle)" */
    if (off_res_at(p, i, BATON__T_AUDIO) >= 0 &&
        off_has_word(p, off_back(i, 4, 0), i + 4 < p->n_tok ? i + 4 : p->n_tok, W_MUSIC))
      p->res[p->tok[i].res].kind = AUD_MUSIC;
    else if (off_res_at(p, i, BATON__T_AUDIO) >= 0 && called_question(p, i))
      p->res[p->tok[i].res].kind = AUD_QUESTION;
}

/* What picture r shows: with several, what its sentence calls it; else (or r -1) the request's. */
static int kind_of(const planner *p, int r) {
  return r >= 0 && p->pictures > 1 ? p->res[r].kind : p->image_kind;
}

/* The task reading picture r (-1: the request's) into text for task t ("decipher the table and
 * categorize it"), or t; none that cannot run here where t can ("read the scanned letter": OCR). */
int off_reader_task(const planner *p, int t, int r) {
  bool caption = off_is_role(p, t, R_CAPTION);
  bool classify = off_is_role(p, t, R_CLASSIFY_PICTURE) || off_is_role(p, t, R_CLASSIFY_TEXT);
  bool asks = p->pictures == 1 && off_is_role(p, t, R_ASK_PICTURE); /* of the only picture */
  int reader = kind_of(p, r) == IMG_TABLE && (caption || classify) ? p->role[R_READ_TABLE]
               : kind_of(p, r) == IMG_DOCUMENT && (caption || asks) ? p->role[R_READ_DOCUMENT] : t;
  return reader != t && !p->cues[reader].runnable && p->cues[t].runnable ? t : reader;
}

bool off_quote_says(const planner *p, const step *st, off_class c) {
  bool said = false;
  for (size_t k = st->a; !said && k < st->b; k++) {
    int r = off_res_at(p, k, BATON__T_TEXT);
    const char *quote = r >= 0 && !p->res[r].is_file ? p->res[r].value : "";
    char stems[64][OFF_MAX_WORD];
    for (size_t i = 0, n = off_split_words(quote, strlen(quote), stems, 64, NULL); i < n; i++)
      said = said || off_words_has(&p->lx->cls[c], stems[i], true);
  }
  return said;
}

/* "(Find the people in x.jpg and) tell me how old they look", "how tall do they look?": does st
 * ask how the things it points at ("they", "them") look (a word of looking, not before a
 * preposition: "look at", "look for")? That is seen in the picture. */
static bool asks_looks(const planner *p, const step *st) {
  bool looks = false;
  for (size_t i = st->a; !looks && i < st->b; i++)
    looks = off_is(p, i, W_LOOKING) && !(i + 1 < st->b && off_is(p, i + 1, W_PREPOSITION));
  return looks && off_has_word(p, st->a, st->b, W_PLURAL);
}

/* Does the step's question speak of a picture: its words ("the car in the image"), its quote or
 * how things look (asks_looks)? */
bool off_asks_about_picture(const planner *p, const step *st) {
  return ((off_said_media(p, st->a, st->b) | off_own_types(p, st->a, st->b)) & BATON__T_IMAGE) ||
         asks_looks(p, st) ||
         off_quote_says(p, st, W_PICTURE) || /* "the document" when the picture is one */
         (p->image_kind == IMG_DOCUMENT && off_quote_says(p, st, W_DOCUMENT));
}

/* Does the request r answered ask to describe or caption (not "read sign.png")? */
static bool asked_caption(const planner *p, const resource *r) {
  char words[64][OFF_MAX_WORD]; /* its first 64 words */
  size_t n = r->asked_by ? off_split_words(r->asked_by, strlen(r->asked_by), words, 64,
                                           NULL) : 0;
  bool asked = false;
  for (size_t i = 0; i < n && !asked; i++)
    asked = off_words_has(&p->lx->cls[W_DESCRIBING], words[i], true) ||
            off_words_has(&p->lx->cls[W_CAPTIONING], words[i], true);
  return asked;
}

/* Is the newest earlier turn's one text (several: each of its texts) a caption of a picture at
 * hand, one a request to describe or caption it made ("which way is the dog facing" after "a dog
 * on a beach", photo.jpg's; with several, "which one has a dog" after two, asked of each)? */
static bool caption_last(const planner *p, bool several) {
  int captions = 0, texts = 0;
  for (const resource *r = p->res; r < p->res + p->n_res; r++) {
    bool text = r->turn && r->turn == p->last_turn && (r->type & BATON__T_TEXT) && !r->claimed;
    texts += text;
    captions += text && r->maker && off_is_role(p, r->maker - 1, R_CAPTION) && asked_caption(p, r);
  }
  return captions && captions == texts && (captions == 1 || several) &&
         (off_res_types(p, false) & BATON__T_IMAGE);
}

/* "Describe photo.jpg and tell me whether it is indoors": does question st follow a description
 * or caption of a picture file the step before names (not "read sign.png") or the last turn gave
 * (caption_last), naming no text made ("if the caption mentions a dog"), nothing of a text's
 * wording ("if it mentions a dog", "is it too long?") nor a language? Then it asks about the
 * picture, not its caption. */
static bool after_caption(const planner *p, const step *st) {
  const step *m = st;
  while (m > p->steps && (--m)->task < 0)
    ;
  /* the last turn's caption, something named in the question ("what is it" asks the caption) */
  bool turn = m == st && caption_last(p, off_which_one(p, st->a, st->b)) && /* (of each) */
              !off_points_only(p, st->a, st->b);
  bool describes = off_has_word(p, m->a, m->b, W_DESCRIBING) ||
                   off_has_word(p, m->a, m->b, W_CAPTIONING);
  bool wording = off_has_word(p, st->a, st->b, W_MADE_THING) ||
                 off_has_word(p, st->a, st->b, W_TEXTUAL); /* "if it mentions a dog" */
  for (size_t i = st->a; !wording && i < st->b; i++)
    wording = off_language_at(p, i) != NULL; /* "is it in English?" */
  return (turn || (m < st && describes && off_is_role(p, m->task, R_CAPTION) &&
                   off_own_res(p, m->a, m->b, BATON__T_IMAGE) >= 0)) &&
         !off_own_types(p, st->a, st->b) && !wording;
}

/* A question's answerer (a text's, or a picture's naming a text file and no picture: "draw a cat
 * and answer 'Q?' about notes.txt"): with a picture and no passage, or about the picture whatever
 * else is there (after_caption too), visual (or document) question answering; nothing to answer
 * from, a chat; else text question answering. */
static int answerer(const planner *p, const step *st, unsigned produced) {
  unsigned types = produced | off_res_types(p, false);
  int passages = 0, own = 0, files = 0; /* passages to answer from; the step's own quotes (its */
  for (size_t i = 0; i < p->n_res; i++) /* question, maybe) and files */
    passages += off_is_passage(&p->res[i]) && !p->res[i].claimed; /* not one a step takes */
  for (size_t k = st->a; k < st->b; k++) {
    const resource *r = p->tok[k].kind == TK_RES ? &p->res[p->tok[k].res] : NULL;
    if (r && off_is_passage(r) && off_saved_name(p, k, st->a))
      passages -= !r->claimed; /* a file it saves to: "... and save the answer as a.txt" */
    else if (r && off_is_passage(r))
      r->is_file ? files++ : own++;
  }
  if (off_is_role(p, st->task, R_ASK_PICTURE) &&
      (!files || (off_own_types(p, st->a, st->b) & BATON__T_IMAGE)))
    return st->task;
  if (!passages && !(produced & BATON__T_TEXT) && !(types & (BATON__T_IMAGE | BATON__T_AUDIO)))
    return p->role[R_CONVERSE]; /* "My question is 'Who painted the Mona Lisa?'" */
  if (!(types & BATON__T_IMAGE) || (!off_asks_about_picture(p, st) && !after_caption(p, st) &&
                                     ((produced & BATON__T_TEXT) || passages > own)))
    return p->role[R_ASK_TEXT];
  int kind = kind_of(p, off_own_res(p, st->a, st->b, BATON__T_IMAGE));
  return p->role[kind == IMG_DOCUMENT ? R_READ_DOCUMENT : R_ASK_PICTURE];
}

/* Is reading step st listening: to a recording an earlier step made that it refers to ("clean
 * a.wav and read what it says"), or with recordings and no picture at all ("read what a.wav
 * says")? */
static bool reads_recording(const planner *p, const step *st, unsigned produced) {
  unsigned types = produced | off_res_types(p, false);
  bool made = (produced & BATON__T_AUDIO) && !(produced & BATON__T_IMAGE) &&
              off_has_word(p, st->a, st->b, W_REFERENCE) &&
              off_has_word(p, st->a, st->b, W_READING);
  return !(off_own_types(p, st->a, st->b) & BATON__T_IMAGE) &&
         (made || ((types & BATON__T_AUDIO) && !(types & BATON__T_IMAGE)));
}

bool off_captions_text(const planner *p, const step *st, unsigned produced) {
  unsigned media = BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO;
  bool none = !((produced | off_res_types(p, false) | off_said_media(p, 0, p->n_tok)) & media);
  bool caption = off_has_word(p, st->a, st->b, W_CAPTIONING);
  bool named = st->lead; /* "based on the summary, ...", "for 'x'" (not "the caption, 'x'", */
  for (size_t i = st->a + 1; caption && !none && i < st->b; i++) /* "save it as a.txt") */
    named |= (off_res_at(p, i, BATON__T_TEXT) >= 0 && off_is(p, i - 1, W_PREPOSITION) &&
              !off_saved_name(p, i, st->a)) ||
             (p->tok[i].skip && off_is(p, i, W_MADE_THING) && (produced & BATON__T_TEXT));
  return (none && (caption || off_has_word(p, st->a, st->b, W_DESCRIBING))) ||
         (caption && named && off_own_res(p, st->a, st->b, BATON__T_IMAGE | BATON__T_VIDEO) < 0 &&
          !off_has_word(p, st->a, st->b, W_PICTURE) && !off_has_word(p, st->a, st->b, W_MOVING));
}

/* "Draw a hat on it", "draw a hat on x.jpg", "draw a circle around the dog in x.jpg (in the
 * photo)": does drawing step st, with a picture at hand, put what it draws on (around, over) a
 * picture: "it", a picture file or "the photo" after that word (not "draw a cat on a skateboard",
 * "based on x.jpg", nor "a picture of a cat on the sofa in x.jpg": a new one)? Then it edits that
 * picture. */
static bool draws_on_picture(const planner *p, const step *st, unsigned produced) {
  size_t i = st->a + 1;
  while (i < st->b && !(off_is(p, i, W_DRAWN_ON) && !off_is(p, i - 1, W_GUIDED)))
    i++; /* (not "based on x.jpg": drawn from it) */
  if (!((produced | off_res_types(p, false)) & BATON__T_IMAGE) ||
      off_has_word(p, st->a, i, W_PICTURE))
    return false;
  for (; i < st->b; i++)
    if (off_res_at(p, i, BATON__T_IMAGE) >= 0 || off_is(p, i, W_REFERENCE) ||
        (off_is(p, i, W_PICTURE) && off_is(p, i - 1, W_DEFINITE)))
      return true;
  return false;
}

/* "Paint a cat", "sketch a house" after a turn that made or named a picture: does edit step st
 * open on a verb of picturing and a new thing ("a", "an"), with no picture of the request's own
 * or made before it, nor a thing in a picture it goes on ("paint a hat on the man", "on it")?
 * Then it draws a new picture; "paint it blue", "paint the sky red" still edit. */
static bool draws_anew(const planner *p, const step *st, unsigned produced) {
  size_t a = off_past_asking(p, st->a, st->b);
  if (!off_is_role(p, st->task, R_EDIT) || a + 1 >= st->b || !off_is(p, a, W_PICTURING) ||
      !off_is(p, a + 1, W_INDEFINITE) || (produced & BATON__T_IMAGE))
    return false;
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].turn && (p->res[i].type & BATON__T_IMAGE))
      return false;
  for (size_t i = a + 2; i + 1 < st->b; i++)
    if (off_is(p, i, W_DRAWN_ON) &&
        (off_is(p, i + 1, W_DEFINITE) || off_is(p, i + 1, W_REFERENCE)))
      return false;
  return true;
}

/* A question goes to answerer(), a comparison of nothing to chat; one object ("the main object in
 * x.jpg", "what object it depicts") is classified, several ("which object is largest") or "an
 * object detector" detected; a drawing on a picture at hand is its edit (draws_on_picture), a new
 * thing painted after an earlier turn's picture a drawing (draws_anew); a picture or a recording
 * made by joining two named ("create a panoramic image by combining a.jpg and b.jpg", "a new audio
 * file combining a.wav and b.wav") is a change of them. */
int off_rewrite(const planner *p, const step *st, unsigned produced) {
  unsigned readable = BATON__T_TEXT | BATON__T_IMAGE | BATON__T_AUDIO;
  if (off_is_role(p, st->task, R_ASK_TEXT) || off_is_role(p, st->task, R_ASK_PICTURE))
    return answerer(p, st, produced);
  if (off_is_role(p, st->task, R_COMPARE_TEXTS) && /* "what's the difference between rain and */
      !((produced | off_res_types(p, false)) & readable)) /* snow?": no text to compare, a chat */
    return p->role[R_CONVERSE];
  if (off_is_role(p, st->task, R_CAPTION) && reads_recording(p, st, produced))
    return p->role[R_TRANSCRIBE];
  if (off_is_role(p, st->task, R_CAPTION) && off_captions_text(p, st, produced))
    return p->role[R_WRITE];
  bool draws = off_is_role(p, st->task, R_DRAW), speaks = off_is_role(p, st->task, R_SPEAK);
  if (draws && draws_on_picture(p, st, produced))
    return p->role[R_EDIT];
  if (draws_anew(p, st, produced))
    return p->role[R_DRAW];
  if ((draws || off_is_role(p, st->task, R_EDIT)) && /* "make it a drawing", "make it anime" */
      off_paints_picture(p, st, produced | off_res_types(p, true)))
    return p->role[R_TRANSFORM];
  bool joins = (draws || speaks) && off_has_word(p, st->a, st->b, W_JOINING);
  unsigned made = draws ? BATON__T_IMAGE : BATON__T_AUDIO;
  size_t joined = 0; /* files of the medium it makes, not named as what it saves */
  for (size_t i = st->a; joins && i < st->b; i++)
    joined += off_res_at(p, i, made) >= 0 && !off_saved_name(p, i, st->a);
  if (joined > 1)
    return p->role[draws ? R_TRANSFORM : R_CHANGE_SOUND];
  bool one = off_is_role(p, st->task, R_DETECT) && !off_has_word(p, st->a, st->b, W_SEVERAL) &&
             off_has_word(p, st->a, st->b, W_ONE_THING);
  for (size_t i = st->a; one && i + 1 < st->b; i++)
    one = !off_is(p, i, W_ONE_THING) || !off_is(p, i + 1, W_TASK_NOUN);
  return one ? p->role[R_CLASSIFY_PICTURE] : st->task;
}
