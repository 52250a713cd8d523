/* prompts.c — loads the prompt templates from the prompts/ YAML files (libyaml) and renders them. */
#include "planner/prompts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/ytree.h"
#include "core/banned.h"

#define MAX_DEPTH 6
#define MAX_DEMOS 32

/* The shared YAML tree (core/ytree.h) under this file's short names. */
typedef baton__ynode pnode;
#define PN_SCALAR BATON__YN_SCALAR
#define PN_MAP BATON__YN_MAP
#define PN_SEQ BATON__YN_SEQ
#define pn_free baton__ynode_free

/* Reads and parses a prompt file; its root must be a mapping. */
static pnode *pn_load(const char *file, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  char rerr[512];
  if (baton__read_file(file, BATON__PROMPT_FILE_MAX, &text, &len, rerr, sizeof rerr) != 0) {
    baton__fmt(err, errlen, "prompt file %s", rerr);
    return NULL;
  }
  pnode *root = baton__ytree_parse(text, len, file, MAX_DEPTH, err, errlen);
  free(text);
  if (root && (root->kind != PN_MAP || root->n == 0)) {
    baton__fmt(err, errlen, "%s:%d: a prompt file must be a mapping of named templates", file,
               root->line);
    pn_free(root);
    return NULL;
  }
  return root;
}

/* One expected key of a prompt file. */
typedef struct key_want {
  const char *name;
  char **slot;               /* text keys */
  const char *must_contain;  /* a placeholder the template needs, or NULL */
} key_want;

/* Takes the text keys of a file; any other key (than those in `extra`) is an
 * error naming its line, and so is a missing one. */
static int take_keys(const pnode *root, const char *file, key_want *want, size_t n_want,
                     const char *const *extra, char *err, size_t errlen) {
  for (size_t i = 0; i + 1 < root->n; i += 2) {
    const pnode *k = root->kids[i], *v = root->kids[i + 1];
    if (k->kind != PN_SCALAR) {
      baton__fmt(err, errlen, "%s:%d: a template name must be plain text", file, k->line);
      return -1;
    }
    bool known = false;
    for (const char *const *e = extra; e && *e; e++)
      known |= strcmp(*e, k->value) == 0;
    if (known)
      continue;
    key_want *w = NULL;
    for (size_t j = 0; j < n_want; j++)
      if (strcmp(want[j].name, k->value) == 0)
        w = &want[j];
    if (!w) {
      baton__fmt(err, errlen, "%s:%d: unknown template '%s'", file, k->line, k->value);
      return -1;
    }
    if (v->kind != PN_SCALAR || !v->value[0]) {
      baton__fmt(err, errlen, "%s:%d: '%s' must be non-empty text", file, v->line, w->name);
      return -1;
    }
    if (w->must_contain && !strstr(v->value, w->must_contain)) {
      baton__fmt(err, errlen, "%s:%d: '%s' must contain the placeholder %s", file, v->line,
                 w->name, w->must_contain);
      return -1;
    }
    free(*w->slot);
    if (!(*w->slot = baton__strdup(v->value))) {
      baton__fmt(err, errlen, "%s: out of memory", file);
      return -1;
    }
  }
  for (size_t j = 0; j < n_want; j++)
    if (!*want[j].slot) {
      baton__fmt(err, errlen, "%s: the template '%s' is missing", file, want[j].name);
      return -1;
    }
  return 0;
}

#define map_get baton__ynode_get

static int load_demos(baton__prompts *p, const pnode *seq, const char *file, char *err,
                      size_t errlen) {
  if (!seq)
    return 0;
  if (seq->kind == PN_SCALAR && !seq->value[0])
    return 0;
  if (seq->kind != PN_SEQ) {
    baton__fmt(err, errlen, "%s:%d: 'demos' must be a list of {user, assistant}", file, seq->line);
    return -1;
  }
  if (seq->n > MAX_DEMOS) {
    baton__fmt(err, errlen, "%s:%d: at most %d demos are allowed", file, seq->line, MAX_DEMOS);
    return -1;
  }
  p->demos = calloc(seq->n ? seq->n : 1, sizeof *p->demos);
  if (!p->demos) {
    baton__fmt(err, errlen, "%s: out of memory", file);
    return -1;
  }
  for (size_t i = 0; i < seq->n; i++) {
    const pnode *d = seq->kids[i];
    const pnode *u = d->kind == PN_MAP ? map_get(d, "user") : NULL;
    const pnode *a = d->kind == PN_MAP ? map_get(d, "assistant") : NULL;
    const pnode *h = d->kind == PN_MAP ? map_get(d, "history") : NULL;
    const pnode *r = d->kind == PN_MAP ? map_get(d, "resources") : NULL;
    size_t want = 4 + (h ? 2 : 0) + (r ? 2 : 0);
    if (!u || !a || u->kind != PN_SCALAR || a->kind != PN_SCALAR || !u->value[0] ||
        !a->value[0] || (h && h->kind != PN_SCALAR) || (r && r->kind != PN_SCALAR) ||
        d->n != want) {
      baton__fmt(err, errlen,
                 "%s:%d: each demo must have 'user' and 'assistant' text (and optionally "
                 "'history' and 'resources' text), nothing else",
                 file, d->line);
      return -1;
    }
    baton__prompt_demo *pd = &p->demos[p->n_demos++];
    pd->user = baton__strdup(baton__trim(u->value));
    pd->assistant = baton__strdup(a->value);
    pd->history = h ? baton__strdup(h->value) : NULL;
    pd->resources = r ? baton__strdup(r->value) : NULL;
    if (!pd->user || !pd->assistant || (h && !pd->history) || (r && !pd->resources)) {
      baton__fmt(err, errlen, "%s: out of memory", file);
      return -1;
    }
  }
  return 0;
}

static int load_planner(baton__prompts *p, const char *file, char *err, size_t errlen) {
  pnode *root = pn_load(file, err, errlen);
  if (!root)
    return -1;
  key_want want[] = {
      {"system", &p->plan_system, "{{tasks}}"},
      {"task_line", &p->task_line, "{{name}}"},
      {"user", &p->plan_user, "{{request}}"},
      {"repair", &p->repair, "{{error}}"},
      {"chat_system", &p->chat_system, NULL},
  };
  static const char *const extra[] = {"demos", NULL};
  int rc = take_keys(root, file, want, sizeof want / sizeof want[0], extra, err, errlen);
  if (rc == 0)
    rc = load_demos(p, map_get(root, "demos"), file, err, errlen);
  pn_free(root);
  return rc;
}

static int load_summary(baton__prompts *p, const char *file, char *err, size_t errlen) {
  pnode *root = pn_load(file, err, errlen);
  if (!root)
    return -1;
  key_want want[] = {
      {"system", &p->summary_system, NULL},
      {"user", &p->summary_user, "{{results}}"},
  };
  static const char *const extra[] = {"result_chars", NULL};
  int rc = take_keys(root, file, want, sizeof want / sizeof want[0], extra, err, errlen);
  p->result_chars = 1500;
  const pnode *rcn = map_get(root, "result_chars");
  if (rc == 0 && rcn) {
    char *end = NULL;
    long v = rcn->kind == PN_SCALAR ? strtol(rcn->value, &end, 10) : -1;
    if (rcn->kind != PN_SCALAR || end == rcn->value || *end || v < 50 || v > 100000) {
      baton__fmt(err, errlen, "%s:%d: 'result_chars' must be a whole number from 50 to 100000",
                 file, rcn->line);
      rc = -1;
    } else {
      p->result_chars = (size_t)v;
    }
  }
  pn_free(root);
  return rc;
}

int baton__prompts_load(const char *dir, baton__prompts *p, char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  char *found = baton__prompts_find(dir, "planner.yaml", err, errlen);
  if (!found)
    return -1;
  p->dir = found;
  const char *chosen = found;
  char *pf = baton__path_join(chosen, "planner.yaml");
  char *sf = baton__path_join(chosen, "summary.yaml");
  int rc = -1;
  if (!pf || !sf)
    baton__fmt(err, errlen, "out of memory");
  else if (load_planner(p, pf, err, errlen) == 0 && load_summary(p, sf, err, errlen) == 0)
    rc = 0;
  free(pf);
  free(sf);
  return rc;
}

void baton__prompts_release(baton__prompts *p) {
  if (!p)
    return;
  free(p->dir);
  free(p->plan_system);
  free(p->task_line);
  free(p->plan_user);
  free(p->repair);
  free(p->chat_system);
  for (size_t i = 0; i < p->n_demos; i++) {
    free(p->demos[i].user);
    free(p->demos[i].assistant);
    free(p->demos[i].history);
    free(p->demos[i].resources);
  }
  free(p->demos);
  free(p->summary_system);
  free(p->summary_user);
  memset(p, 0, sizeof *p);
}

char *baton__prompt_task_list(const baton__prompts *p, const baton__taskspec *tasks, size_t n) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < n; i++) {
    char in[64], out[64];
    baton__types_format(tasks[i].inputs, in, sizeof in);
    baton__types_format(tasks[i].outputs, out, sizeof out);
    const char *vars[] = {"name",   tasks[i].name, "description", tasks[i].description,
                          "inputs", in,            "outputs",     out,
                          NULL};
    char *line = baton__prompt_render(p->task_line, vars);
    if (!line) {
      baton__sb_release(&sb);
      return NULL;
    }
    baton__sb_adds(&sb, baton__trim(line));
    baton__sb_addc(&sb, '\n');
    free(line);
  }
  return baton__sb_detach(&sb);
}
