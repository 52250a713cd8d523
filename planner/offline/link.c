/* link.c — recognised steps to a task graph: each task's inputs wired to resources, earlier tasks or literal text. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_link() takes the recognised steps (p->steps with task >= 0)
 * and gives p->g: one task per step (one per named file of its type), each
 * input from the step's own resource, else the nearest earlier task making
 * that type, else an unused resource (the request's first, then earlier
 * turns' newest first), bridging a picture or recording to text when a
 * text is needed; a translation rides along where a step names a target
 * language, a speaking task where it says "aloud". A step with nothing to
 * work on is dropped; if every step is, err says what was needed.
 */

/* The task of role r, or NULL when the registry lacks it. */
static const baton__taskspec *role_spec(const planner *p, off_role r) {
  return p->role[r] >= 0 ? p->cues[p->role[r]].spec : NULL;
}

static int task_add_arg(baton__task *t, const char *name, const char *value, int ref) {
  for (size_t i = 0; i < t->n_args; i++)
    if (strcmp(t->args[i].name, name) == 0)
      return 0; /* first one wins */
  baton__arg *na = realloc(t->args, (t->n_args + 1) * sizeof *na);
  if (!na)
    return -1;
  t->args = na;
  baton__arg *a = &t->args[t->n_args];
  a->name = baton__strdup(name);
  a->value = ref >= 0 ? NULL : baton__strdup(value ? value : "");
  a->ref = ref;
  if (!a->name || (ref < 0 && !a->value)) {
    free(a->name);
    free(a->value);
    return -1;
  }
  t->n_args++;
  if (ref >= 0) {
    for (size_t i = 0; i < t->n_deps; i++)
      if (t->deps[i] == ref)
        return 0;
    int *nd = realloc(t->deps, (t->n_deps + 1) * sizeof *nd);
    if (!nd)
      return -1;
    t->deps = nd;
    t->deps[t->n_deps++] = ref;
  }
  return 0;
}

/* Where an input comes from: a resource, an earlier task, or literal text. */
typedef struct {
  int res;        /* resource index or -1 */
  int ref;        /* graph task id or -1 */
  char *literal;  /* owned, or NULL */
} source;

static void source_release(source *s) {
  free(s->literal);
  s->literal = NULL;
}

/* The types the task at graph index k produces (made[k] is its spec). */
static unsigned task_outputs(size_t k, const baton__taskspec *const *made) {
  return made[k] ? made[k]->outputs : 0;
}

/* Starts a new task in the graph; returns its id or -1 (err set). */
static int new_task(planner *p, const baton__taskspec *spec, baton__task *t) {
  memset(t, 0, sizeof *t);
  if (p->g->n >= OFF_MAX_TASKS) {
    baton__fmt(p->err, p->errlen, "the request asks for more than %d tasks", OFF_MAX_TASKS);
    return -1;
  }
  t->id = (int)p->g->n;
  t->task = baton__strdup(spec->name);
  if (!t->task) {
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -1;
  }
  return t->id;
}

static int commit_task(planner *p, baton__task *t, const baton__taskspec **made,
                       const baton__taskspec *spec) {
  size_t idx = p->g->n;
  if (baton__graph_push(p->g, t) != 0) {
    baton__task_release(t);
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -1;
  }
  made[idx] = spec;
  return 0;
}

/* Attaches a source as argument `name` of t. */
static int attach(planner *p, baton__task *t, const char *name, const source *s) {
  int rc = 0;
  if (s->ref >= 0)
    rc = task_add_arg(t, name, NULL, s->ref);
  else if (s->res >= 0)
    rc = task_add_arg(t, name, p->res[s->res].value, -1);
  else if (s->literal)
    rc = task_add_arg(t, name, s->literal, -1);
  if (rc != 0)
    baton__fmt(p->err, p->errlen, "out of memory while planning");
  return rc;
}

/* Nearest earlier task producing `type`, or -1. */
static int nearest_producer(const planner *p, unsigned type, const baton__taskspec *const *made) {
  for (size_t k = p->g->n; k-- > 0;) {
    unsigned out = task_outputs(k, made);
    /* A task that answers in text and also draws on its input (object
     * detection's boxes) is no source of pictures for later steps. */
    if (type == BATON__T_IMAGE && (out & BATON__T_TEXT) && made[k] &&
        (made[k]->inputs & BATON__T_IMAGE))
      continue;
    if (out & type)
      return (int)k;
  }
  return -1;
}

/* An unused resource of that type: the request's first, then the newest
 * of earlier turns; -1 when none. */
static int first_unused(const planner *p, unsigned type) {
  for (size_t i = 0; i < p->n_res; i++)
    if (!p->res[i].used && !(p->res[i].turn > 0) && (p->res[i].type & type))
      return (int)i;
  for (size_t i = p->n_res; i-- > 0;)
    if (!p->res[i].used && (p->res[i].turn > 0) && (p->res[i].type & type))
      return (int)i;
  return -1;
}

/* The content of a generative request: what follows "of", "about"... */
static char *content_phrase(const planner *p, size_t a, size_t b) {
  for (size_t i = a; i < b; i++)
    if (p->tok[i].kind == TK_WORD && off_is(p, i, W_CONTENT_INTRO) && i + 1 < b)
      return off_span_text(p, i + 1, b);
  return NULL;
}

/* "read the French text": an OCR task is told the language. 0, or -1. */
static int add_written_language(const planner *p, const step *st, baton__task *t) {
  const char *lang = off_written_language(p, st->a, st->b);
  return lang ? task_add_arg(t, "lang", lang, -1) : 0;
}

/* Bridges a media resource or output to text (image-to-text, speech
 * recognition). Returns the new task id, -1 when impossible, -2 on error. */
static int bridge_to_text(planner *p, const step *st, bool own_only, unsigned types,
                          const baton__taskspec **made) {
  static const struct {
    unsigned type;
    off_role task;
  } bridges[] = {{BATON__T_IMAGE, R_CAPTION}, {BATON__T_AUDIO, R_TRANSCRIBE}};
  /* Outside the step, read the media named nearest before it ("distill
   * the essence of it" after "a recording x.wav"), else the first one named
   * after it, else the caller's inputs. */
  int near = -1;
  if (!own_only) {
    for (size_t i = st->a; i-- > 0 && near < 0;)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & types) &&
          !p->res[p->tok[i].res].used)
        near = p->tok[i].res;
    for (size_t i = st->b; i < p->n_tok && near < 0; i++)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & types) &&
          !p->res[p->tok[i].res].used)
        near = p->tok[i].res;
  }
  for (int pass = 0; pass < (own_only ? 1 : 2); pass++)
    for (size_t k = 0; k < 2; k++) {
      if (!(bridges[k].type & types))
        continue;
      if (pass == 1 && near >= 0 && !(p->res[near].type & bridges[k].type))
        continue;
      int task = p->role[bridges[k].task];
      int reader = bridges[k].type == BATON__T_IMAGE ? off_reader_task(p, task) : -1;
      if (reader >= 0)
        task = reader; /* a table or a document is read so */
      if (task < 0)
        continue;
      const baton__taskspec *spec = p->cues[task].spec;
      int r = -1;
      if (pass == 0) {
        for (size_t i = st->a; i < st->b && r < 0; i++)
          if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & bridges[k].type))
            r = p->tok[i].res;
      } else {
        r = near >= 0 ? near : first_unused(p, bridges[k].type);
      }
      if (r < 0)
        continue;
      baton__task t;
      int id = new_task(p, spec, &t);
      if (id < 0)
        return -2;
      source s = {r, -1, NULL};
      if (attach(p, &t, baton__type_name(bridges[k].type), &s) != 0) {
        baton__task_release(&t);
        return -2;
      }
      if (bridges[k].type == BATON__T_IMAGE && reader < 0 && add_written_language(p, st, &t)) {
        baton__task_release(&t);
        return -2;
      }
      if (spec->inputs & BATON__T_TEXT) {
        /* a document reader also takes the question: the step's words */
        source q = {-1, -1, off_span_text(p, st->a, st->b)};
        int qrc = q.literal ? attach(p, &t, "text", &q) : 0;
        source_release(&q);
        if (qrc != 0) {
          baton__task_release(&t);
          return -2;
        }
      }
      p->res[r].used = true;
      if (commit_task(p, &t, made, spec) != 0)
        return -2;
      return id;
    }
  return -1;
}

/* Finds where the task's main input of `type` comes from, for step st.
 * Returns 0 with *src set (src->res/ref/literal may all be unset when
 * nothing fits), or -1 on error. */
static int resolve_input(planner *p, const step *st, unsigned type, unsigned outputs,
                         bool has_ref, const baton__taskspec **made, source *src) {
  src->res = src->ref = -1;
  src->literal = NULL;
  /* 1. the step's own resource of that type */
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & type)) {
      int r = p->tok[i].res;
      if (p->res[r].borrowed_by >= 0 &&
          (task_outputs((size_t)p->res[r].borrowed_by, made) & type)) {
        /* "summarize and translate X": X went to the earlier task. */
        src->ref = p->res[r].borrowed_by;
        return 0;
      }
      src->res = r;
      p->res[r].used = true;
      return 0;
    }
  /* 1b. text from the step's own image or recording ("translate sign.png") */
  if (type == BATON__T_TEXT) {
    int id = bridge_to_text(p, st, true, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  int prev = nearest_producer(p, type, made);
  /* 2. "it", "the result": the nearest earlier output */
  if (has_ref && prev >= 0) {
    src->ref = prev;
    return 0;
  }
  /* 2b. "summarize the lecture" with lecture.wav named earlier and nothing
   * read yet: transcribe (or read) it first */
  if (type == BATON__T_TEXT && prev < 0 && (outputs & BATON__T_TEXT) &&
      first_unused(p, BATON__T_TEXT) < 0 &&
      (first_unused(p, BATON__T_AUDIO) >= 0 || first_unused(p, BATON__T_IMAGE) >= 0)) {
    int id = bridge_to_text(p, st, false, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 2c. "draw the scene my narration in n.wav describes": what a recording
   * nobody has listened to yet says is what to make */
  if (type == BATON__T_TEXT && prev < 0 && !(outputs & BATON__T_TEXT) &&
      first_unused(p, BATON__T_TEXT) < 0 && first_unused(p, BATON__T_AUDIO) >= 0) {
    int id = bridge_to_text(p, st, false, BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 3. what to make: "an image of a cat playing piano" */
  if (type == BATON__T_TEXT && !has_ref && (prev < 0 || !(outputs & BATON__T_TEXT))) {
    src->literal = content_phrase(p, st->a, st->b);
    if (src->literal)
      return 0;
  }
  /* 4. an earlier output, 5. an unused resource of the request */
  if (prev >= 0) {
    src->ref = prev;
    return 0;
  }
  int r = first_unused(p, type);
  if (r >= 0) {
    src->res = r;
    p->res[r].used = true;
    p->res[r].borrowed_by = -2; /* marked below, once the task exists */
    return 0;
  }
  /* 6. "translate it": read an earlier-named image or recording first */
  if (type == BATON__T_TEXT && has_ref) {
    int id = bridge_to_text(p, st, false, BATON__T_IMAGE | BATON__T_AUDIO, made);
    if (id == -2)
      return -1;
    if (id >= 0) {
      src->ref = id;
      return 0;
    }
  }
  /* 7. the step's own words */
  if (type == BATON__T_TEXT) {
    src->literal = off_span_text(p, st->a, st->b);
    return 0;
  }
  /* 8. any resource of that type, even one used already */
  for (size_t i = 0; i < p->n_res; i++)
    if (p->res[i].type & type) {
      src->res = (int)i;
      return 0;
    }
  return 0;
}

/* The first quoted literal in the step, or -1. */
static int own_text(const planner *p, const step *st) {
  for (size_t i = st->a; i < st->b; i++)
    if (p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT)
      return p->tok[i].res;
  return -1;
}

/* How many quoted literals the step holds. */
static size_t own_text_count(const planner *p, const step *st) {
  size_t n = 0;
  for (size_t i = st->a; i < st->b; i++)
    n += p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT;
  return n;
}

/* The primary input type of a task: its media type if any, else text. */
unsigned off_primary_type(const baton__taskspec *s) {
  static const unsigned order[] = {BATON__T_IMAGE, BATON__T_AUDIO, BATON__T_VIDEO,
                                   BATON__T_TEXT, BATON__T_JSON};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (s->inputs & order[i])
      return order[i];
  return BATON__T_TEXT;
}


static int add_translation(planner *p, const source *in, const char *tgt, const char *src_lang,
                           const baton__taskspec **made) {
  const baton__taskspec *spec = role_spec(p, R_TRANSLATE);
  if (!spec)
    return -1;
  baton__task t;
  int id = new_task(p, spec, &t);
  if (id < 0)
    return -2;
  if (attach(p, &t, "text", in) != 0 ||
      task_add_arg(&t, "src_lang", src_lang ? src_lang : p->lx->default_lang, -1) != 0 ||
      (tgt && task_add_arg(&t, "tgt_lang", tgt, -1) != 0)) {
    baton__task_release(&t);
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -2;
  }
  if (commit_task(p, &t, made, spec) != 0)
    return -2;
  return id;
}

/* Emits the task(s) for one recognised step. Returns 0; 1 when the step
 * has nothing to work on (err says what it needs; the caller drops the
 * step); -1 on error (err set). */
static int emit_step(planner *p, const step *st, const baton__taskspec **made) {
  const baton__taskspec *spec = p->cues[st->task].spec;
  bool has_ref = st->fed || off_has_word(p, st->a, st->b, W_REFERENCE);
  for (size_t i = st->a; i < st->b; i++)
    has_ref = has_ref || p->tok[i].skip;
  const char *tgt = NULL, *src_lang = NULL;
  off_find_languages(p, st->a, st->b, &tgt, &src_lang);
  bool is_translation = off_is_role(p, st->task, R_TRANSLATE);
  /* "summarise X in Spanish": a translation rides along (not for English,
   * which is too often just the language of the answer). */
  bool extra_translation = !is_translation && tgt && strcmp(tgt, p->lx->default_lang) != 0 &&
                           role_spec(p, R_TRANSLATE) != NULL;
  unsigned ptype = off_primary_type(spec);

  /* One task per own resource of the primary type ("detect objects in a.jpg
   * and b.jpg"), else one. */
  int own_res[OFF_MAX_RES];
  size_t n_own = 0;
  if (ptype != BATON__T_TEXT)
    for (size_t i = st->a; i < st->b && n_own < OFF_MAX_RES; i++)
      if (p->tok[i].kind == TK_RES && (p->res[p->tok[i].res].type & ptype))
        own_res[n_own++] = p->tok[i].res;
  size_t copies = n_own > 1 ? n_own : 1;

  for (size_t c = 0; c < copies; c++) {
    source in = {-1, -1, NULL};
    int prev_text = nearest_producer(p, BATON__T_TEXT, made);
    if (n_own > 1) {
      in.res = own_res[c];
      p->res[in.res].used = true;
    } else if (off_takes_two_texts(p, spec) && own_text_count(p, st) == 1 && prev_text >= 0) {
      /* "answer 'Q?' from the summary", "compare it with 'S'": the earlier
       * text is the passage, the quote the question or second sentence */
      in.ref = prev_text;
    } else if (resolve_input(p, st, ptype, spec->outputs, has_ref, made, &in) != 0) {
      return -1;
    }
    if (in.res < 0 && in.ref < 0 && !in.literal) {
      /* Nothing to work on (e.g. "detect objects" with no image). */
      if (p->err[0] == '\0')
        baton__fmt(p->err, p->errlen,
                   "%s needs %s %s: name a file in the request or pass one as input",
                   spec->name, (ptype & (BATON__T_IMAGE | BATON__T_AUDIO)) ? "an" : "a",
                   baton__type_name(ptype));
      return 1;
    }
    int borrowed = in.res >= 0 && p->res[in.res].borrowed_by == -2 ? in.res : -1;
    if (borrowed >= 0)
      p->res[borrowed].borrowed_by = -1;

    /* Text going into a speaking/drawing task is translated first. */
    if (extra_translation && ptype == BATON__T_TEXT && !(spec->outputs & BATON__T_TEXT)) {
      int id = add_translation(p, &in, tgt, src_lang, made);
      if (id == -2) {
        source_release(&in);
        return -1;
      }
      if (id >= 0) {
        source_release(&in);
        in.res = -1;
        in.ref = id;
        extra_translation = false;
      }
    }

    baton__task t;
    int id = new_task(p, spec, &t);
    if (id < 0) {
      source_release(&in);
      return -1;
    }
    int in_ref = in.ref;
    int rc = attach(p, &t, baton__type_name(ptype), &in);
    source_release(&in);
    if (rc == 0 && ptype == BATON__T_IMAGE && spec->inputs == BATON__T_IMAGE &&
        spec->outputs == BATON__T_IMAGE && off_is_role(p, st->task, R_TRANSFORM)) {
      /* "make it black and white": the executor reads the wish from
       * the parameter "instruction" */
      char *words = off_span_text(p, st->a, st->b);
      if (words)
        rc = task_add_arg(&t, "instruction", words, -1);
      free(words);
    }
    if (rc == 0 && ptype == BATON__T_IMAGE && spec->inputs == BATON__T_IMAGE &&
        off_is_role(p, st->task, R_CAPTION))
      rc = add_written_language(p, st, &t);
    if (rc == 0 && ptype != BATON__T_TEXT && (spec->inputs & BATON__T_TEXT)) {
      /* The question or instruction: a quote, else what an earlier step
       * wrote (a transcribed question), else the step's words. */
      int q = own_text(p, st);
      bool edits = (spec->outputs & BATON__T_IMAGE) != 0;
      /* an edit "based on" an earlier result takes that text as its
       * instruction ("alter the image to reflect the detected emotion") */
          bool guided = edits && off_has_word(p, st->a, st->b, W_GUIDED);
      int from = q < 0 && (!edits || guided) && prev_text >= 0 && prev_text != in_ref
                     ? prev_text
                     : -1;
      source qs = {q, from, q < 0 && from < 0 ? off_span_text(p, st->a, st->b) : NULL};
      if (q >= 0)
        p->res[q].used = true;
      rc = attach(p, &t, "text", &qs);
      source_release(&qs);
    } else if (rc == 0 && off_takes_two_texts(p, spec)) {
      int q = -1;
      for (size_t i = st->a; i < st->b; i++)
        if (p->tok[i].kind == TK_RES && p->res[p->tok[i].res].type == BATON__T_TEXT &&
            !(t.args[0].value && strcmp(t.args[0].value, p->res[p->tok[i].res].value) == 0)) {
          q = p->tok[i].res;
          break;
        }
      const char *name = off_is_role(p, st->task, R_COMPARE_TEXTS) ? "text2" : "question";
      source qs = {q, -1, q < 0 && strcmp(name, "question") == 0 ? off_span_text(p, st->a, st->b)
                                                                  : NULL};
      if (q >= 0)
        p->res[q].used = true;
      rc = attach(p, &t, name, &qs);
      source_release(&qs);
    }
    if (rc == 0 && is_translation) {
      /* No target named: into English from another language, else leave
       * the choice to the model. */
      const char *to = tgt ? tgt : (src_lang && strcmp(src_lang, p->lx->default_lang) != 0 ? p->lx->default_lang : NULL);
      rc = task_add_arg(&t, "src_lang", src_lang ? src_lang : p->lx->default_lang, -1);
      if (rc == 0 && to)
        rc = task_add_arg(&t, "tgt_lang", to, -1);
    }
    if (rc != 0) {
      baton__task_release(&t);
      baton__fmt(p->err, p->errlen, "out of memory while planning");
      return -1;
    }
    if (commit_task(p, &t, made, spec) != 0)
      return -1;
    if (borrowed >= 0)
      p->res[borrowed].borrowed_by = id;

    int last = id;
    if (extra_translation && (spec->outputs & BATON__T_TEXT)) {
      source s = {-1, id, NULL};
      int tid = add_translation(p, &s, tgt, src_lang, made);
      if (tid == -2)
        return -1;
      if (tid >= 0)
        last = tid;
    }
    if (st->speak) {
      const baton__taskspec *tts = role_spec(p, R_SPEAK);
      baton__task sp;
      if (tts) {
        if (new_task(p, tts, &sp) < 0)
          return -1;
        source s = {-1, last, NULL};
        if (attach(p, &sp, "text", &s) != 0) {
          baton__task_release(&sp);
          return -1;
        }
        if (commit_task(p, &sp, made, tts) != 0)
          return -1;
      }
    }
  }
  return 0;
}


/* "make an audio clip | that describes the objects": describe first, then
 * make the clip from the description. */
static void relative_first(planner *p, size_t s) {
  step *st = &p->steps[s], *next = s + 1 < p->n_steps ? &p->steps[s + 1] : NULL;
  if (next && next->relative && next->task >= 0 &&
      (p->cues[next->task].spec->outputs & BATON__T_TEXT) &&
      off_primary_type(p->cues[st->task].spec) == BATON__T_TEXT &&
      !(p->cues[st->task].spec->outputs & BATON__T_TEXT)) {
    step head = *st;
    *st = *next;
    st->relative = false;
    *next = head;
    next->fed = true;
  }
}

int off_link(planner *p) {
  const baton__taskspec **made = calloc(OFF_MAX_TASKS + 1, sizeof *made);
  if (!made) {
    baton__fmt(p->err, p->errlen, "out of memory while planning");
    return -1;
  }
  bool emitted = false;
  char need[256] = "";
  int rc = 0;
  for (size_t s = 0; s < p->n_steps && rc == 0; s++) {
    if (p->steps[s].task < 0)
      continue;
    relative_first(p, s);
    int erc = emit_step(p, &p->steps[s], made);
    if (erc < 0)
      rc = -1;
    else if (erc == 1) {
      /* a step that cannot get its input is dropped; remember why */
      if (!need[0])
        baton__fmt(need, sizeof need, "%s", p->err);
      p->err[0] = '\0';
    } else {
      emitted = true;
    }
  }
  free(made);
  if (rc == 0 && (!emitted || p->g->n == 0)) {
    baton__fmt(p->err, p->errlen, "%s",
               need[0] ? need : "could not find any task in the request");
    rc = -1;
  }
  return rc;
}
