/* plan.c — the offline planner's driver: runs the passes over one request and its conversation. */
#include "planner/offline/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: baton__plan_offline_req() checks the request's bounds, takes the lexicon and cues for
 * the registry's task kinds (prepared.c), and runs lex -> history -> segment -> recognise -> link
 * (internal.h lists them). Any failure leaves g empty with err set. */

static void planner_release(planner *p) {
  for (size_t i = 0; i < p->n_res; i++)
    free(p->res[i].value), free(p->res[i].asked_by);
  free(p->cues), free(p->tok), free(p->asked), free(p->asked_into);
  free(p->found_in);
}

/* The file the request names by the input path's last part ("notes.txt" for /data/notes.txt), a
 * bare name no other input took yet, or -1. */
static int named_input(const planner *p, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; base != path && i < p->n_res; i++)
    if (p->res[i].is_file && !strchr(p->res[i].value, '/') && !strcmp(p->res[i].value, base))
      return (int)i;
  return -1;
}

/* The prepared cues, each with its task kind of r and whether a model can run it here. */
static int take_cues(planner *p, const off_prepared *o, const baton__offline_req *r) {
  if (!(p->cues = malloc((p->n_cues ? p->n_cues : 1) * sizeof *p->cues)))
    return -1;
  for (size_t t = 0; t < p->n_cues; t++) {
    p->cues[t] = o->cues[t];
    p->cues[t].spec = &r->tasks[t], p->cues[t].runnable = !r->runnable || r->runnable[t];
  }
  return 0;
}

/* How much of what was left out (notes joined by "; left out ": link.c) fits in room bytes: all,
 * else the notes before one, whole; 0: none. */
static size_t left_out_fits(const char *s, size_t room) {
  size_t len = strlen(s), fit = 0;
  for (const char *e = s; len && len >= room && (e = strstr(e + 1, "; left out ")) &&
                          (size_t)(e - s) < room;)
    fit = (size_t)(e - s);
  return len < room ? len : fit;
}

/* "summarize notes.txt" given the input sign.png: adds to r->note that sign.png was not used
 * (no task of g takes it). */
static void note_unused_inputs(const baton__offline_req *r, const baton__graph *g) {
  for (size_t i = 0, n; r->note && r->notelen && i < r->n_inputs; i++) {
    bool used = !r->inputs[i];
    for (size_t t = 0; !used && t < g->n; t++)
      for (size_t a = 0; !used && a < g->tasks[t].n_args; a++)
        used = g->tasks[t].args[a].value && !strcmp(g->tasks[t].args[a].value, r->inputs[i]);
    if (!used && (n = strlen(r->note)) + strlen(r->inputs[i]) + 32 < r->notelen)
      baton__fmt(r->note + n, r->notelen - n, "%sthe input %s was not used", n ? "; " : "",
                 r->inputs[i]);
  }
}

/* "Transcribe talk.wav, it is in French": adds to r->note that the local speech recogniser knows
 * only the lexicon's first language, where a planned transcription takes a recording the request
 * says is in another. */
static void note_heard_language(const planner *p, const baton__offline_req *r) {
  const char *dl = p->lx->lang_codes[0], *known = NULL;
  bool heard = false;
  for (size_t k = 0; p->g && k < p->g->n; k++)
    heard |= off_is_role(p, off_cue_index(p, p->made[k]), R_TRANSCRIBE);
  for (size_t k = 0; k < p->lx->lang_names.n && !known; k++)
    known = strcmp(p->lx->lang_codes[k], dl) ? NULL : p->lx->lang_names.words[k];
  size_t n = r->note && r->notelen ? strlen(r->note) : 0;
  if (!heard || !known || !p->held_lang || !p->held_at || !strcmp(p->held_lang, dl) ||
      !(p->held_types & BATON__T_AUDIO) || n + 96 + 2 * OFF_MAX_WORD >= r->notelen)
    return;
  const char *said = p->tok[p->held_at - 1].word;
  baton__fmt(r->note + n, r->notelen - n, "%sthe local speech recogniser knows only %c%s: the "
             "recording is said to be in %c%s", n ? "; " : "", toupper((unsigned char)known[0]),
             known + 1, toupper((unsigned char)said[0]), said + 1);
}

/* Runs the passes over p->req with r's inputs and conversation; 0, or -1 with err set. */
static int run_passes(planner *p, const off_prepared *o, const baton__offline_req *r) {
  const char *many = "the request has too many %s for the offline planner (at most %d)";
  p->tok = calloc(p->cap_tok = OFF_FIRST_TOKENS, sizeof *p->tok); /* (grown by off_tokenize) */
  int rc = !p->tok || take_cues(p, o, r) != 0 ? -1 : off_tokenize(p);
  if (rc == -1)
    return baton__fmt(p->err, p->errlen, OFF_OOM), -1;
  if (rc != 0)
    return baton__fmt(p->err, p->errlen, many, "words", OFF_MAX_TOKENS), -1;
  if (baton__names_unreadable_file(p->req, p->err, p->errlen)) /* "summarize report.pdf" */
    return -1;
  for (size_t i = 0; r->inputs && i < r->n_inputs; i++) {
    unsigned t = r->inputs[i] ? baton__type_of_path(r->inputs[i]) : 0;
    if (r->inputs[i] && !t)
      return baton__fmt(p->err, p->errlen, "input '%.200s' has a file type baton does not know",
                        r->inputs[i]), -1;
    int named = t ? named_input(p, r->inputs[i]) : -1;
    if (named >= 0) { /* "summarize notes.txt" with the input /data/notes.txt: that file */
      char *path = baton__strdup(r->inputs[i]);
      if (!path)
        return baton__fmt(p->err, p->errlen, OFF_OOM), -1;
      free(p->res[named].value), p->res[named].value = path;
    } else if (t && off_add_resource(p, t, r->inputs[i], strlen(r->inputs[i]), true) < 0)
      return baton__fmt(p->err, p->errlen, "too many inputs (at most %d files and quotes)",
                        OFF_MAX_RES), -1;
  }
  if (off_add_history(p, r->messages_json) != 0)
    return -1;
  for (size_t i = 0; i < p->n_res; i++)
    p->pictures += p->res[i].is_file && (p->res[i].type & BATON__T_IMAGE);
  off_find_kinds(p);
  if (off_split_steps(p) != 0)
    return baton__fmt(p->err, p->errlen, many, "steps", OFF_MAX_STEPS), -1;
  if (off_recognise(p) != 0 || off_link(p) != 0)
    return -1;
  if (r->note && r->notelen) /* names the planned task kinds nothing here can run */
    r->note[0] = '\0';
  for (size_t i = 0, n = 0, c; r->note && r->notelen && i < p->g->n; i++, n = strlen(r->note))
    if ((c = (size_t)off_cue_named(p, p->g->tasks[i].task)) && !p->cues[c - 1].runnable &&
        !strstr(r->note, p->g->tasks[i].task)) /* (merging renumbered the plan's tasks) */
      baton__fmt(r->note + n, r->notelen - n, "%s%s", n ? ", " : "no model can run ",
                 p->g->tasks[i].task);
  size_t n = r->note && r->notelen ? strlen(r->note) : 0, fit; /* whole notes or none: */
  if (r->note && (fit = left_out_fits(p->left_out, n + 12 < r->notelen ? r->notelen - n - 12 : 0)))
    baton__fmt(r->note + n, r->notelen - n, "%sleft out %.*s", n ? "; " : "", (int)fit,
               p->left_out);
  n = r->note && r->notelen ? strlen(r->note) : 0;
  if (r->note && p->respelled[0] && n + strlen(p->respelled) + 12 < r->notelen)
    baton__fmt(r->note + n, r->notelen - n, "%sread %s", n ? "; " : "", p->respelled);
  n = r->note && r->notelen ? strlen(r->note) : 0;
  if (r->note && p->unsaved[0] && n + strlen(p->unsaved) + 96 < r->notelen)
    baton__fmt(r->note + n, r->notelen - n, "%snot saved as '%s': outputs are saved under a plain "
               "file name, in the run's folder", n ? "; " : "", p->unsaved);
  note_unused_inputs(r, p->g);
  note_heard_language(p, r);
  return 0;
}

int baton__plan_offline_req(const baton__offline_req *r, baton__graph *g, char *err,
                            size_t errlen) {
  char dummy[1];
  if (!err || errlen == 0)
    err = dummy, errlen = sizeof dummy;
  err[0] = '\0';
  if (!g)
    return baton__fmt(err, errlen, "no graph to fill"), -1;
  *g = (baton__graph){NULL, 0};
  const char *request = r->request ? r->request : "";
  size_t len = strlen(request), n_tasks = r->n_tasks > OFF_MAX_TASKSPECS ? OFF_MAX_TASKSPECS
                                                                         : r->n_tasks;
  if (!r->tasks || r->n_tasks == 0)
    return baton__fmt(err, errlen, "no task kinds are known (is the registry empty?)"), -1;
  if (len > OFF_MAX_REQUEST)
    return baton__fmt(err, errlen, "the request is too long for the offline planner (%zu bytes, "
                      "at most %d)", len, OFF_MAX_REQUEST), -1;
  off_prepared *o = off_prepare(r->lexicon_yaml, r->lexicon_len, r->tasks, n_tasks, err, errlen);
  int rc = o ? 0 : -1;
  request = o ? off_past_courtesy(&o->lx, request) : request; /* "thanks! | now a truck" */
  char *again = NULL; /* "do the same for b.png": when nothing else is asked, the last request */
  char *thing = NULL;  /* ... "and the dates?": with a thing added */
  long copies = 0;     /* ... "two more": drawings of it */
  bool detail = false; /* ... "more detail": of a caption, the picture described in detail */
  for (const char *req = request; rc == 0 && req; req = req == request ? again : NULL) {
    planner p = {.req = req, .n_cues = n_tasks, .lx = &o->lx, .g = g, .err = err,
                 .translations = r->translations, .translate_advice = r->translate_advice,
                 .errlen = errlen, .role = o->lx.role, .repeat = req == again,
                 .copies = req == again ? copies : 0};
    rc = run_passes(&p, o, r);
    if (rc == 0 && detail && off_ask_in_detail(&p) != 0) /* "more detail" after a caption */
      rc = -1, baton__fmt(err, errlen, OFF_OOM);
    if (rc != 0 && req == request && g->n == 0 && (again = off_asked_again(&p, &thing)))
      rc = 0, copies = off_copies_asked(&p), detail = off_asks_detail(&p);
    else if (rc == 0 && thing && off_add_thing(g, thing) != 0)
      rc = -1, baton__fmt(err, errlen, OFF_OOM);
    planner_release(&p);
  }
  free(again), free(thing);
  if (rc != 0)
    baton__graph_release(g);
  off_prepared_drop(o);
  return rc;
}
