/* openai_tasks.c — the "openai" executor's task table (wire kind, media, reply shape) and its chat prompts from prompts/tasks.yaml. */
#include "executors/openai.h"

#include <stdlib.h>
#include <string.h>

#include "core/template.h"
#include "core/util.h"
#include "core/ytree.h"
#include "core/banned.h"

#define T_IMG BATON__T_IMAGE
#define T_AUD BATON__T_AUDIO

static const baton__oai_task tasks[] = {
    {"summarization", BATON__OAI_CHAT, 0, BATON__OAI_R_TEXT},
    {"translation", BATON__OAI_CHAT, 0, BATON__OAI_R_TEXT},
    {"text-generation", BATON__OAI_CHAT, 0, BATON__OAI_R_TEXT},
    {"text2text-generation", BATON__OAI_CHAT, 0, BATON__OAI_R_TEXT},
    {"conversational", BATON__OAI_CHAT, 0, BATON__OAI_R_TEXT},
    {"question-answering", BATON__OAI_CHAT, 0, BATON__OAI_R_SPAN},
    {"table-question-answering", BATON__OAI_CHAT, 0, BATON__OAI_R_TABLE},
    {"text-classification", BATON__OAI_CHAT, 0, BATON__OAI_R_LABELS},
    {"zero-shot-classification", BATON__OAI_CHAT, 0, BATON__OAI_R_LABELS},
    {"token-classification", BATON__OAI_CHAT, 0, BATON__OAI_R_ENTITIES},
    {"fill-mask", BATON__OAI_CHAT, 0, BATON__OAI_R_FILL},
    {"image-to-text", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_TEXT},
    {"visual-question-answering", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_ANSWER},
    {"document-question-answering", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_ANSWER},
    {"image-classification", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_LABELS},
    {"zero-shot-image-classification", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_LABELS},
    {"tabular-classification", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_LABELS},
    {"object-detection", BATON__OAI_CHAT, T_IMG, BATON__OAI_R_OBJECTS},
    {"audio-classification", BATON__OAI_CHAT, T_AUD, BATON__OAI_R_LABELS},
    {"automatic-speech-recognition", BATON__OAI_TRANSCRIBE, T_AUD, BATON__OAI_R_NONE},
    {"text-to-speech", BATON__OAI_SPEECH, 0, BATON__OAI_R_NONE},
    {"text-to-image", BATON__OAI_IMAGE_GEN, 0, BATON__OAI_R_NONE},
    {"image-to-image", BATON__OAI_IMAGE_EDIT, T_IMG, BATON__OAI_R_NONE},
    {"image-editing", BATON__OAI_IMAGE_EDIT, T_IMG, BATON__OAI_R_NONE},
    {"sentence-similarity", BATON__OAI_EMBED, 0, BATON__OAI_R_NONE},
    {"feature-extraction", BATON__OAI_EMBED, 0, BATON__OAI_R_NONE},
};

#define N_TASKS (sizeof tasks / sizeof tasks[0])

const char *const baton__oai_task_names[N_TASKS + 1] = {
    "summarization", "translation", "text-generation", "text2text-generation",
    "conversational", "question-answering", "table-question-answering",
    "text-classification", "zero-shot-classification", "token-classification", "fill-mask",
    "image-to-text", "visual-question-answering", "document-question-answering",
    "image-classification", "zero-shot-image-classification", "tabular-classification",
    "object-detection", "audio-classification", "automatic-speech-recognition",
    "text-to-speech", "text-to-image", "image-to-image", "image-editing",
    "sentence-similarity", "feature-extraction", NULL};

const baton__oai_task *baton__oai_task_find(const char *name) {
  for (size_t i = 0; name && i < N_TASKS; i++)
    if (strcmp(tasks[i].name, name) == 0)
      return &tasks[i];
  return NULL;
}

/* HuggingGPT task kinds no OpenAI-compatible endpoint serves (none of the
 * servers in MODEL-SERVERS.md has a route that returns these). */
static const struct {
  const char *task, *returns;
} unserved[] = {
    {"image-segmentation", "segment masks"},
    {"depth-estimation", "depth maps"},
    {"text-to-video", "video"},
    {"audio-to-audio", "processed audio (servers transcribe and speak; none transforms audio)"},
};

bool baton__oai_unserved(const char *task, char *why, size_t cap) {
  if (baton__oai_task_find(task))
    return false;
  const char *returns = NULL;
  for (size_t i = 0; i < sizeof unserved / sizeof unserved[0]; i++)
    if (!strcmp(unserved[i].task, task))
      returns = unserved[i].returns;
  if (returns)
    baton__fmt(why, cap,
               "no OpenAI-compatible endpoint returns %s: model servers answer chat, "
               "transcriptions, speech, image generations and edits, and embeddings; run %s "
               "with a local executor or the Hugging Face executor (HF_TOKEN)",
               returns, task);
  else
    baton__fmt(why, cap,
               "the openai executor does not do %s (model servers answer chat, transcriptions, "
               "speech, image generations and edits, and embeddings)",
               task);
  return true;
}

/* ---- prompts ------------------------------------------------------------- */

#define PROMPT_FILE "tasks.yaml"
#define PROMPT_FILE_MAX (256u * 1024u)

/* The most modes a task's entry names besides its own (image-to-text: "read"). */
#define MAX_MODES 4

typedef struct oai_prompt {
  char *task, *system, *user, *schema;
  char *mode;                         /* what `system` does ("describe"), or NULL */
  char *mode_name[MAX_MODES], *mode_system[MAX_MODES]; /* the other modes' system texts */
  size_t n_modes;
} oai_prompt;

struct baton__oai_prompts {
  oai_prompt p[N_TASKS];
  size_t n;
};

void baton__oai_prompts_free(baton__oai_prompts *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->p[i].task);
    free(p->p[i].system);
    free(p->p[i].user);
    free(p->p[i].schema);
    free(p->p[i].mode);
    for (size_t k = 0; k < p->p[i].n_modes; k++) {
      free(p->p[i].mode_name[k]);
      free(p->p[i].mode_system[k]);
    }
  }
  free(p);
}

static const char *scalar(const baton__ynode *map, const char *key) {
  const baton__ynode *v = baton__ynode_get(map, key);
  return v && v->kind == BATON__YN_SCALAR ? v->value : NULL;
}

/* Takes an entry's `mode:` (what its system text does) and `modes:` (a mapping of other modes to
 * their system texts); 0 or -1 with err naming the line. */
static int take_modes(oai_prompt *o, const baton__ynode *e, const char *file, char *err,
                      size_t errlen) {
  const baton__ynode *ms = baton__ynode_get(e, "modes");
  const char *own = scalar(e, "mode");
  if (!ms)
    return own && !(o->mode = baton__strdup(own)) ? (baton__fmt(err, errlen, "out of memory"), -1)
                                                  : 0;
  if (ms->kind != BATON__YN_MAP || !ms->n || ms->n / 2 > MAX_MODES || !own) {
    baton__fmt(err, errlen,
               "%s:%d: '%s' modes: needs a mapping of at most %d mode names to system texts, "
               "and mode: naming what system: does",
               file, ms->line, o->task, MAX_MODES);
    return -1;
  }
  if (!(o->mode = baton__strdup(own)))
    return baton__fmt(err, errlen, "out of memory"), -1;
  for (size_t i = 0; i + 1 < ms->n; i += 2) {
    const baton__ynode *k = ms->kids[i], *v = ms->kids[i + 1];
    if (v->kind != BATON__YN_SCALAR || !strcmp(k->value, own)) {
      baton__fmt(err, errlen, "%s:%d: mode '%s' of '%s' needs a system text of its own", file,
                 k->line, k->value, o->task);
      return -1;
    }
    o->mode_name[o->n_modes] = baton__strdup(k->value);
    o->mode_system[o->n_modes++] = baton__strdup(v->value);
    if (!o->mode_name[o->n_modes - 1] || !o->mode_system[o->n_modes - 1])
      return baton__fmt(err, errlen, "out of memory"), -1;
  }
  return 0;
}

/* Takes one task's entry; 0 or -1 with err naming the line. */
static int take_task(baton__oai_prompts *p, const baton__ynode *name, const baton__ynode *e,
                     const baton__ynode *schemas, const char *file, char *err, size_t errlen) {
  const baton__oai_task *t = baton__oai_task_find(name->value);
  if (!t || t->wire != BATON__OAI_CHAT || e->kind != BATON__YN_MAP) {
    baton__fmt(err, errlen, "%s:%d: '%s' is not a chat task of the openai executor", file,
               name->line, name->value);
    return -1;
  }
  const char *sys = scalar(e, "system"), *user = scalar(e, "user"), *sn = scalar(e, "schema");
  const char *schema = sn ? scalar(schemas, sn) : NULL;
  if (!sys || !user || (sn && !schema)) {
    baton__fmt(err, errlen, "%s:%d: '%s' needs system and user texts%s", file, e->line,
               name->value, sn && !schema ? " and a schema named under schemas:" : "");
    return -1;
  }
  if (p->n >= N_TASKS) {
    baton__fmt(err, errlen, "%s:%d: '%s' is given twice", file, name->line, name->value);
    return -1;
  }
  oai_prompt *o = &p->p[p->n++];
  o->task = baton__strdup(name->value);
  o->system = baton__strdup(sys);
  o->user = baton__strdup(user);
  o->schema = schema ? baton__strdup(schema) : NULL;
  if (!o->task || !o->system || !o->user || (schema && !o->schema)) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return take_modes(o, e, file, err, errlen);
}

static int take_file(baton__oai_prompts *p, const baton__ynode *root, const char *file,
                     char *err, size_t errlen) {
  const baton__ynode *ts = baton__ynode_get(root, "tasks");
  const baton__ynode *schemas = baton__ynode_get(root, "schemas");
  if (!ts || ts->kind != BATON__YN_MAP) {
    baton__fmt(err, errlen, "%s:%d: a `tasks:` mapping is needed", file, root->line);
    return -1;
  }
  for (size_t i = 0; i + 1 < ts->n; i += 2)
    if (take_task(p, ts->kids[i], ts->kids[i + 1], schemas, file, err, errlen) != 0)
      return -1;
  return 0;
}

baton__oai_prompts *baton__oai_prompts_load(const char *dir, char *err, size_t errlen) {
  char *folder = baton__prompts_find(dir, PROMPT_FILE, err, errlen);
  char *file = folder ? baton__path_join(folder, PROMPT_FILE) : NULL;
  free(folder);
  if (!file)
    return NULL;
  char *text = NULL, rerr[400];
  size_t len = 0;
  baton__oai_prompts *p = NULL;
  if (baton__read_file(file, PROMPT_FILE_MAX, &text, &len, rerr, sizeof rerr) != 0) {
    baton__fmt(err, errlen, "prompt file %s", rerr);
  } else {
    baton__ynode *root = baton__ytree_parse(text, len, file, 8, err, errlen);
    p = root ? calloc(1, sizeof *p) : NULL;
    if (root && !p)
      baton__fmt(err, errlen, "out of memory");
    if (p && take_file(p, root, file, err, errlen) != 0) {
      baton__oai_prompts_free(p);
      p = NULL;
    }
    baton__ynode_free(root);
  }
  free(text);
  free(file);
  return p;
}

int baton__oai_prompt(const baton__oai_prompts *p, const char *task, const char *mode,
                      const char **system, const char **user, const char **schema, char *modes,
                      size_t cap) {
  const oai_prompt *o = NULL;
  for (size_t i = 0; p && i < p->n && !o; i++)
    if (strcmp(p->p[i].task, task) == 0)
      o = &p->p[i];
  if (!o)
    return -1;
  bool moded = o->mode || o->n_modes; /* a prompt naming no modes (a user's own) serves any */
  *system = !mode || !moded || (o->mode && !strcmp(o->mode, mode)) ? o->system : NULL;
  for (size_t k = 0; !*system && k < o->n_modes; k++)
    if (!strcmp(o->mode_name[k], mode))
      *system = o->mode_system[k];
  *user = o->user;
  *schema = o->schema;
  if (*system)
    return 0;
  baton__fmt(modes, cap, "%s", o->mode ? o->mode : "none");
  for (size_t k = 0; k < o->n_modes; k++)
    baton__fmt(modes + strlen(modes), cap - strlen(modes), ", %s", o->mode_name[k]);
  return -2;
}
