/* catalogue.c — imports the YAML catalogue format (tasks and models) into the registry database. */
#include "registry/catalogue.h"

#include <errno.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * The format (registry/catalogue.yaml is the reference):
 *
 *   version: 1
 *   tasks:
 *     - {name, description, inputs: [types], outputs: [types], keywords: [phrases],
 *        params: [names of plain parameters]}
 *   models:
 *     - {id, task, endpoint, description?, tags?: [words], downloads?, likes?,
 *        license?, enabled?}
 *
 * Keywords are stored '|'-joined (a phrase may contain spaces but not '|');
 * tags are stored ','-joined; inputs/outputs are stored ','-joined as
 * written (e.g. "text,text") after checking every name is a known type.
 */

#define MAX_NAME 128      /* task names */
#define MAX_ID 256        /* model ids */
#define MAX_FIELD 4096    /* descriptions, endpoints, licences */
#define MAX_LIST 16384    /* joined keywords/tags */

typedef struct imp {
  sqlite3 *db;
  yaml_document_t *doc;
  sqlite3_stmt *has_task;
  const char *label;     /* "FILE" for "FILE:LINE: ..." or NULL */
  baton__upsert *u;
  baton__strset task_names; /* tasks defined in this text */
  long tasks_added;
  bool tasks_only; /* skip the models */
  bool new_only;   /* only models new to the registry (baton__catalogue_import_new) */
  const char *seen; /* with new_only: "\n"-separated ids seen before, or NULL */
  sqlite3_stmt *has_model;
  baton__sb ids;   /* the models' ids, "\n"-separated */
  baton__cards *cards; /* with new_only: sees every model's card, or NULL */
  char *err;
  size_t errlen;
} imp;

static size_t line_of(const yaml_node_t *n) { return n ? n->start_mark.line + 1 : 0; }

static int fail_at(imp *im, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(imp *im, const yaml_node_t *n, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (im->label)
    baton__fmt(im->err, im->errlen, "%s:%zu: %s", im->label, line_of(n), msg);
  else
    baton__fmt(im->err, im->errlen, "catalogue line %zu: %s", line_of(n), msg);
  return -1;
}

static const char *scalar(const yaml_node_t *n) {
  return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar value of at most max bytes, or NULL after setting the error. */
static const char *get_str(imp *im, const yaml_node_t *n, const char *what, size_t max) {
  const char *s = scalar(n);
  if (!s) {
    fail_at(im, n, "%s must be a plain value", what);
    return NULL;
  }
  if (strlen(s) > max) {
    fail_at(im, n, "%s is longer than %zu bytes", what, max);
    return NULL;
  }
  return s;
}

/* Joins a sequence of scalars (or takes one scalar) with sep into sb.
 * Items may not contain sep. Returns 0 or -1 with the error set. */
static int get_list(imp *im, yaml_node_t *n, const char *what, char sep, baton__sb *sb) {
  if (n->type == YAML_SCALAR_NODE) {
    const char *s = scalar(n);
    if (strchr(s, sep))
      return fail_at(im, n, "%s item '%s' must not contain '%c'", what, s, sep);
    baton__sb_adds(sb, s);
  } else if (n->type == YAML_SEQUENCE_NODE) {
    bool first = true;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
      yaml_node_t *item = yaml_document_get_node(im->doc, *it);
      const char *s = scalar(item);
      if (!s)
        return fail_at(im, item, "every %s item must be a plain value", what);
      if (strchr(s, sep))
        return fail_at(im, item, "%s item '%s' must not contain '%c'", what, s, sep);
      if (!*s)
        continue;
      if (!first)
        baton__sb_addc(sb, sep);
      baton__sb_adds(sb, s);
      first = false;
    }
  } else {
    return fail_at(im, n, "%s must be a list", what);
  }
  if (!baton__sb_ok(sb))
    return fail_at(im, n, "out of memory");
  if (sb->len > MAX_LIST)
    return fail_at(im, n, "%s is longer than %d bytes", what, MAX_LIST);
  return 0;
}

static int get_count(imp *im, yaml_node_t *n, const char *what, long long *out) {
  const char *s = get_str(im, n, what, 32);
  if (!s)
    return -1;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0)
    return fail_at(im, n, "%s must be a whole number >= 0, not '%s'", what, s);
  *out = v;
  return 0;
}

static int get_bool(imp *im, yaml_node_t *n, const char *what, int *out) {
  const char *s = get_str(im, n, what, 16);
  if (!s)
    return -1;
  if (baton__ieq(s, "true") || baton__ieq(s, "yes") || baton__ieq(s, "on") || !strcmp(s, "1"))
    *out = 1;
  else if (baton__ieq(s, "false") || baton__ieq(s, "no") || baton__ieq(s, "off") ||
           !strcmp(s, "0"))
    *out = 0;
  else
    return fail_at(im, n, "%s must be true or false, not '%s'", what, s);
  return 0;
}

static int db_fail(imp *im, const yaml_node_t *n, const char *what) {
  return fail_at(im, n, "%s: %s", what, sqlite3_errmsg(im->db));
}

/* How a key of a task or model mapping is read into its record: F_STR a
 * string of at most max bytes, F_NODE the node itself (read later),
 * F_COUNT a whole number >= 0, F_BOOL true or false. */
typedef enum { F_STR, F_NODE, F_COUNT, F_BOOL } field_kind;

#define NO_NODE ((size_t)-1)

typedef struct field_spec {
  const char *key;
  field_kind kind;
  const char *what; /* for messages */
  size_t max;       /* F_STR */
  size_t value;     /* offset of the value in the record */
  size_t node;      /* offset where the node is kept too, or NO_NODE */
} field_spec;

/* A task as read from its mapping. */
typedef struct task_rec {
  const char *name, *desc;
  yaml_node_t *in_n, *out_n, *kw_n, *par_n;
} task_rec;

static const field_spec task_fields[] = {
    {"name", F_STR, "task name", MAX_NAME, offsetof(task_rec, name), NO_NODE},
    {"description", F_STR, "task description", MAX_FIELD, offsetof(task_rec, desc), NO_NODE},
    {"inputs", F_NODE, "inputs", 0, offsetof(task_rec, in_n), NO_NODE},
    {"outputs", F_NODE, "outputs", 0, offsetof(task_rec, out_n), NO_NODE},
    {"keywords", F_NODE, "keywords", 0, offsetof(task_rec, kw_n), NO_NODE},
    {"params", F_NODE, "params", 0, offsetof(task_rec, par_n), NO_NODE},
    {NULL, F_NODE, NULL, 0, 0, NO_NODE},
};

/* A model as read from its mapping. */
typedef struct model_rec {
  const char *id, *task, *desc, *endpoint, *license;
  yaml_node_t *task_n, *ep_n, *tags_n;
  long long downloads, likes;
  int enabled;
} model_rec;

static const field_spec model_fields[] = {
    {"id", F_STR, "model id", MAX_ID, offsetof(model_rec, id), NO_NODE},
    {"task", F_STR, "model task", MAX_NAME, offsetof(model_rec, task),
     offsetof(model_rec, task_n)},
    {"description", F_STR, "model description", MAX_FIELD, offsetof(model_rec, desc), NO_NODE},
    {"endpoint", F_STR, "endpoint", MAX_FIELD, offsetof(model_rec, endpoint),
     offsetof(model_rec, ep_n)},
    {"license", F_STR, "license", MAX_FIELD, offsetof(model_rec, license), NO_NODE},
    {"tags", F_NODE, "tags", 0, offsetof(model_rec, tags_n), NO_NODE},
    {"downloads", F_COUNT, "downloads", 0, offsetof(model_rec, downloads), NO_NODE},
    {"likes", F_COUNT, "likes", 0, offsetof(model_rec, likes), NO_NODE},
    {"enabled", F_BOOL, "enabled", 0, offsetof(model_rec, enabled), NO_NODE},
    {NULL, F_NODE, NULL, 0, 0, NO_NODE},
};

/* Reads the value v of field f into the record rec. 0, or -1 with the
 * error in im. */
static int read_field(imp *im, const field_spec *f, yaml_node_t *v, char *rec) {
  if (f->node != NO_NODE)
    *(yaml_node_t **)(rec + f->node) = v;
  switch (f->kind) {
  case F_STR: {
    const char *s = get_str(im, v, f->what, f->max);
    if (!s)
      return -1;
    *(const char **)(rec + f->value) = s;
    return 0;
  }
  case F_NODE:
    *(yaml_node_t **)(rec + f->value) = v;
    return 0;
  case F_COUNT:
    return get_count(im, v, f->what, (long long *)(rec + f->value)) ? -1 : 0;
  case F_BOOL:
    return get_bool(im, v, f->what, (int *)(rec + f->value)) ? -1 : 0;
  }
  return -1;
}

/* Reads the keys of map into rec as fields says; kind ("task", "model")
 * names the mapping in messages. 0, or -1 with the error in im. */
static int read_fields(imp *im, yaml_node_t *map, const field_spec *fields, const char *kind,
                       void *rec) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(im->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(im->doc, p->value);
    const char *key = scalar(k);
    if (!key)
      return fail_at(im, k, "%s keys must be plain words", kind);
    const field_spec *f = fields;
    while (f->key && strcmp(f->key, key) != 0)
      f++;
    if (!f->key)
      return fail_at(im, k, "unknown %s key '%s'", kind, key);
    if (read_field(im, f, v, rec))
      return -1;
  }
  return 0;
}

/* Joins and checks the type lists and keywords of task t and stores it
 * (once per text). 0, or -1 with the error in im. */
static int store_task(imp *im, yaml_node_t *map, const task_rec *t) {
  int rc = -1;
  baton__sb ins, outs, kws, pars;
  baton__sb_init(&ins);
  baton__sb_init(&outs);
  baton__sb_init(&kws);
  baton__sb_init(&pars);
  if (get_list(im, t->in_n, "inputs", ',', &ins) || get_list(im, t->out_n, "outputs", ',', &outs))
    goto done;
  if (t->kw_n && get_list(im, t->kw_n, "keywords", '|', &kws))
    goto done;
  if (t->par_n && get_list(im, t->par_n, "params", ',', &pars))
    goto done;
  if (!baton__types_parse(ins.buf)) {
    fail_at(im, t->in_n, "task '%s' has an unknown input type in '%s' (known: text, image, audio, video, json)",
            t->name, ins.buf);
    goto done;
  }
  if (!baton__types_parse(outs.buf)) {
    fail_at(im, t->out_n, "task '%s' has an unknown output type in '%s' (known: text, image, audio, video, json)",
            t->name, outs.buf);
    goto done;
  }
  int added = baton__strset_add(&im->task_names, t->name);
  if (added < 0) {
    fail_at(im, map, "out of memory");
    goto done;
  }
  if (added == 0) {
    fail_at(im, map, "task '%s' is defined twice", t->name);
    goto done;
  }
  char uerr[256] = "";
  if (baton__upsert_task(im->db, t->name, t->desc, ins.buf, outs.buf, kws.buf, pars.buf, uerr,
                         sizeof uerr)) {
    fail_at(im, map, "cannot store task '%s': %s", t->name, uerr);
    goto done;
  }
  im->tasks_added++;
  rc = 0;
done:
  baton__sb_release(&ins);
  baton__sb_release(&outs);
  baton__sb_release(&kws);
  baton__sb_release(&pars);
  return rc;
}

static int import_task(imp *im, yaml_node_t *map) {
  if (map->type != YAML_MAPPING_NODE)
    return fail_at(im, map, "each task must be a mapping (name, description, inputs, outputs)");
  task_rec t = {0};
  if (read_fields(im, map, task_fields, "task", &t))
    return -1;
  if (!t.name || !*t.name)
    return fail_at(im, map, "task has no name");
  if (!t.desc || !*t.desc)
    return fail_at(im, map, "task '%s' has no description", t.name);
  if (!t.in_n || !t.out_n)
    return fail_at(im, map, "task '%s' needs both inputs and outputs", t.name);
  return store_task(im, map, &t);
}

/* Checks that model m names a task the registry has. 0, or -1 with the
 * error in im. */
static int check_model_task(imp *im, const model_rec *m) {
  sqlite3_stmt *q = im->has_task;
  sqlite3_reset(q);
  sqlite3_bind_text(q, 1, m->task, -1, SQLITE_STATIC);
  int s = sqlite3_step(q);
  sqlite3_reset(q);
  sqlite3_clear_bindings(q);
  if (s == SQLITE_DONE)
    return fail_at(im, m->task_n, "model '%s' names unknown task '%s'", m->id, m->task);
  if (s != SQLITE_ROW)
    return db_fail(im, m->task_n, "cannot look up task");
  return 0;
}

/* Joins model m's tags and, when add, stores it (once per text); hands it to im->cards. 0, or
 * -1 with the error in im. */
static int store_model(imp *im, yaml_node_t *map, const model_rec *m, bool add) {
  baton__sb tags;
  baton__sb_init(&tags);
  if (m->tags_n && get_list(im, m->tags_n, "tags", ',', &tags)) {
    baton__sb_release(&tags);
    return -1;
  }
  baton__model_row row = {.id = m->id, .task = m->task, .description = m->desc,
                          .tags = tags.buf, .license = m->license, .endpoint = m->endpoint,
                          .downloads = m->downloads, .likes = m->likes, .enabled = m->enabled};
  char uerr[256] = "";
  int r = add ? baton__upsert_model(im->u, &row, uerr, sizeof uerr) : 0;
  int rc = 0;
  if (r == 1)
    rc = fail_at(im, map, "model '%s' is defined twice", m->id);
  else if (r < 0)
    rc = fail_at(im, map, "cannot store model '%s': %s", m->id, uerr);
  else if (im->cards && baton__cards_visit(im->cards, &row, uerr, sizeof uerr))
    rc = fail_at(im, map, "cannot refresh model '%s': %s", m->id, uerr);
  baton__sb_release(&tags);
  return rc;
}

/* With new_only: is model m new, i.e. not in the database, and not among the ids seen before (no
 * list: a registry of an older baton, where only a local executor's model counts as new)? */
static bool is_new(imp *im, const model_rec *m) {
  char line[512];
  baton__fmt(line, sizeof line, "\n%s\n", m->id);
  if (im->seen ? strstr(im->seen, line) != NULL : strncmp(m->endpoint, "local:", 6) != 0)
    return false;
  sqlite3_reset(im->has_model);
  sqlite3_bind_text(im->has_model, 1, m->id, -1, SQLITE_STATIC);
  bool absent = sqlite3_step(im->has_model) == SQLITE_DONE;
  sqlite3_reset(im->has_model);
  return absent;
}

static int import_model(imp *im, yaml_node_t *map) {
  if (map->type != YAML_MAPPING_NODE)
    return fail_at(im, map, "each model must be a mapping (id, task, endpoint, ...)");
  model_rec m = {.desc = "", .enabled = 1};
  if (read_fields(im, map, model_fields, "model", &m))
    return -1;
  if (!m.id || !*m.id)
    return fail_at(im, map, "model has no id");
  if (!m.task || !*m.task)
    return fail_at(im, map, "model '%s' has no task", m.id);
  if (!m.endpoint || !*m.endpoint)
    return fail_at(im, map, "model '%s' has no endpoint", m.id);
  if (!baton__endpoint_valid(m.endpoint))
    return fail_at(im, m.ep_n, "model '%s' has endpoint '%s'; expected local:<executor>, hf-inference, llm or an http(s) URL",
                   m.id, m.endpoint);
  if (check_model_task(im, &m))
    return -1;
  if (!im->new_only)
    return store_model(im, map, &m, true);
  baton__sb_addf(&im->ids, "%s\n", m.id);
  return store_model(im, map, &m, is_new(im, &m));
}

static int import_seq(imp *im, yaml_node_t *seq, const char *what,
                      int (*one)(imp *, yaml_node_t *)) {
  if (seq->type == YAML_SCALAR_NODE && !*scalar(seq))
    return 0; /* "tasks:" with nothing after it */
  if (seq->type != YAML_SEQUENCE_NODE)
    return fail_at(im, seq, "'%s' must be a list", what);
  for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
       it++) {
    if (one(im, yaml_document_get_node(im->doc, *it)))
      return -1;
  }
  return 0;
}

static int import_doc(imp *im) {
  yaml_node_t *root = yaml_document_get_root_node(im->doc);
  if (!root) {
    baton__fmt(im->err, im->errlen, "catalogue is empty");
    return -1;
  }
  if (root->type != YAML_MAPPING_NODE)
    return fail_at(im, root, "the catalogue must be a mapping with 'tasks' and 'models'");
  yaml_node_t *tasks = NULL, *models = NULL;
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(im->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(im->doc, p->value);
    const char *key = scalar(k);
    if (!key)
      return fail_at(im, k, "top-level keys must be plain words");
    if (!strcmp(key, "version")) {
      long long ver = 0;
      if (get_count(im, v, "version", &ver))
        return -1;
      if (ver != 1)
        return fail_at(im, v, "catalogue version %lld is not supported (this build reads version 1)",
                       ver);
    } else if (!strcmp(key, "tasks")) {
      tasks = v;
    } else if (!strcmp(key, "models")) {
      models = v;
    } else {
      return fail_at(im, k, "unknown top-level key '%s' (expected version, tasks, models)", key);
    }
  }
  /* Tasks first, so models may name tasks listed after them. */
  if (tasks && import_seq(im, tasks, "tasks", import_task))
    return -1;
  if (models && !im->tasks_only && import_seq(im, models, "models", import_model))
    return -1;
  return 0;
}

static int import_text(imp *im, const char *yaml, size_t len, long *tasks_added);

int baton__catalogue_import_ex(sqlite3 *db, const char *yaml, size_t len, const char *label,
                               baton__upsert *u, long *tasks_added, char *err, size_t errlen) {
  imp im = {.db = db, .err = err, .errlen = errlen, .label = label, .u = u};
  return import_text(&im, yaml, len, tasks_added);
}

int baton__catalogue_import_tasks(struct sqlite3 *db, const char *yaml, size_t len, char *err,
                                  size_t errlen) {
  imp im = {.db = db, .err = err, .errlen = errlen, .tasks_only = true};
  return import_text(&im, yaml, len, NULL);
}

int baton__catalogue_import_new(struct sqlite3 *db, const char *yaml, size_t len,
                                const char *seen, baton__cards *cards, char **ids, char *err,
                                size_t errlen) {
  baton__upsert u;
  if (baton__upsert_init(&u, db, BATON__UPSERT_REPLACE, "catalogue", err, errlen))
    return -1;
  imp im = {.db = db, .err = err, .errlen = errlen, .u = &u, .new_only = true, .seen = seen,
             .cards = cards};
  baton__sb_init(&im.ids);
  baton__sb_addc(&im.ids, '\n'); /* every id between two '\n' */
  int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM models WHERE id = ?1", -1, &im.has_model,
                              NULL) == SQLITE_OK ? 0 : -1;
  if (rc != 0)
    baton__fmt(err, errlen, "catalogue: cannot prepare statements: %s", sqlite3_errmsg(db));
  rc = rc ? rc : import_text(&im, yaml, len, NULL);
  *ids = rc ? NULL : baton__sb_detach(&im.ids);
  baton__sb_release(&im.ids);
  sqlite3_finalize(im.has_model);
  baton__upsert_release(&u);
  return rc;
}

static int import_text(imp *im, const char *yaml, size_t len, long *tasks_added) {
  const char *label = im->label;
  char *err = im->err;
  size_t errlen = im->errlen;
  sqlite3 *db = im->db;
  if (tasks_added)
    *tasks_added = 0;
  if (!yaml) {
    baton__fmt(err, errlen, "catalogue: no text given");
    return -1;
  }
  if (len > BATON__CATALOGUE_MAX_BYTES) {
    baton__fmt(err, errlen, "%s is %zu bytes, more than the %u allowed",
               label ? label : "catalogue", len, BATON__CATALOGUE_MAX_BYTES);
    return -1;
  }
  baton__strset_init(&im->task_names);
  int rc = -1;
  const char *sql_has = "SELECT 1 FROM tasks WHERE name = ?1";
  if (sqlite3_prepare_v2(db, sql_has, -1, &im->has_task, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "catalogue: cannot prepare statements: %s", sqlite3_errmsg(db));
    goto out;
  }

  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    baton__fmt(err, errlen, "catalogue: out of memory");
    goto out;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  if (!yaml_parser_load(&parser, &doc)) {
    const yaml_mark_t *m = parser.problem ? &parser.problem_mark : &parser.context_mark;
    char pfx[600];
    if (label)
      baton__fmt(pfx, sizeof pfx, "%s:%zu", label, m->line + 1);
    else
      baton__fmt(pfx, sizeof pfx, "catalogue line %zu", m->line + 1);
    baton__fmt(err, errlen, "%s: YAML error: %s%s%s", pfx,
               parser.problem ? parser.problem : "malformed YAML",
               parser.context ? " " : "", parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    goto out;
  }
  im->doc = &doc;
  rc = import_doc(im);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
out:
  sqlite3_finalize(im->has_task);
  baton__strset_release(&im->task_names);
  if (tasks_added)
    *tasks_added = im->tasks_added;
  return rc;
}

int baton__catalogue_import(struct sqlite3 *db, const char *yaml, size_t len, char *err,
                            size_t errlen) {
  baton__upsert u;
  if (baton__upsert_init(&u, db, BATON__UPSERT_REPLACE, "catalogue", err, errlen))
    return -1;
  int rc = baton__catalogue_import_ex(db, yaml, len, NULL, &u, NULL, err, errlen);
  baton__upsert_release(&u);
  return rc;
}
