/* ytree.c — parses a YAML document into a small tree whose nodes remember their line. */
#include "core/ytree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/util.h"
#include "core/banned.h"

void baton__ynode_free(baton__ynode *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->n; i++)
    baton__ynode_free(n->kids[i]);
  free(n->kids);
  free(n->value);
  free(n);
}

const baton__ynode *baton__ynode_get(const baton__ynode *map, const char *key) {
  if (!map || map->kind != BATON__YN_MAP)
    return NULL;
  for (size_t i = 0; i + 1 < map->n; i += 2)
    if (map->kids[i]->kind == BATON__YN_SCALAR && strcmp(map->kids[i]->value, key) == 0)
      return map->kids[i + 1];
  return NULL;
}

static void syntax_error(yaml_parser_t *p, const char *file, char *err, size_t errlen) {
  baton__fmt(err, errlen, "%s:%d: %s", file, (int)p->problem_mark.line + 1,
             p->problem ? p->problem : "YAML syntax error");
}

/* Builds the node that starts with `first`, consuming the events of its children. */
static baton__ynode *build(yaml_parser_t *p, const yaml_event_t *first, int depth, int max_depth,
                           const char *file, char *err, size_t errlen) {
  baton__ynode *n = calloc(1, sizeof *n);
  if (!n) {
    baton__fmt(err, errlen, "%s: out of memory", file);
    return NULL;
  }
  n->line = (int)first->start_mark.line + 1;
  if (first->type == YAML_SCALAR_EVENT) {
    n->kind = BATON__YN_SCALAR;
    n->value = baton__strndup((const char *)first->data.scalar.value, first->data.scalar.length);
    if (!n->value) {
      free(n);
      baton__fmt(err, errlen, "%s: out of memory", file);
      return NULL;
    }
    return n;
  }
  if (first->type == YAML_ALIAS_EVENT || depth > max_depth ||
      (first->type != YAML_MAPPING_START_EVENT && first->type != YAML_SEQUENCE_START_EVENT)) {
    baton__fmt(err, errlen, "%s:%d: %s", file, n->line,
               first->type == YAML_ALIAS_EVENT ? "YAML aliases are not supported here"
               : depth > max_depth             ? "nested too deeply"
                                               : "unexpected YAML structure");
    free(n);
    return NULL;
  }
  n->kind = first->type == YAML_MAPPING_START_EVENT ? BATON__YN_MAP : BATON__YN_SEQ;
  yaml_event_type_t end =
      n->kind == BATON__YN_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(p, &ev)) {
      syntax_error(p, file, err, errlen);
      baton__ynode_free(n);
      return NULL;
    }
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return n;
    }
    baton__ynode *kid = build(p, &ev, depth + 1, max_depth, file, err, errlen);
    yaml_event_delete(&ev);
    baton__ynode **k = kid ? realloc(n->kids, (n->n + 1) * sizeof *k) : NULL;
    if (!k) {
      if (kid)
        baton__fmt(err, errlen, "%s: out of memory", file);
      baton__ynode_free(kid);
      baton__ynode_free(n);
      return NULL;
    }
    n->kids = k;
    n->kids[n->n++] = kid;
  }
}

baton__ynode *baton__ytree_parse(const char *text, size_t len, const char *file, int max_depth,
                                 char *err, size_t errlen) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    baton__fmt(err, errlen, "%s: cannot start the YAML parser", file);
    return NULL;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  baton__ynode *root = NULL;
  bool failed = false;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      syntax_error(&p, file, err, errlen);
      failed = true;
      break;
    }
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) {
      if (root) {
        baton__fmt(err, errlen, "%s:%d: only one YAML document is allowed", file,
                   (int)ev.start_mark.line + 1);
        failed = true;
      } else if (!(root = build(&p, &ev, 0, max_depth, file, err, errlen))) {
        failed = true;
      }
    }
    yaml_event_delete(&ev);
    if (failed)
      break;
  }
  yaml_parser_delete(&p);
  if (failed) {
    baton__ynode_free(root);
    return NULL;
  }
  if (!root || (root->kind == BATON__YN_SCALAR && !root->value[0])) {
    baton__ynode_free(root);
    root = calloc(1, sizeof *root);
    if (!root) {
      baton__fmt(err, errlen, "%s: out of memory", file);
      return NULL;
    }
    root->kind = BATON__YN_MAP;
    root->line = 1;
  }
  return root;
}
