/* cassette.c — loads recorded HTTP exchanges in VCR YAML format (libyaml) for replay tests. */
#include "support/cassette.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "core/base64.h"
#include "core/banned.h"

static char *cs_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    abort();
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static void cs_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key) {
  if (!m || m->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(d, p->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(d, p->value);
  }
  return NULL;
}

static const char *scalar(yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(yaml_node_t *n) {
  if (!n)
    return true;
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  const char *v = (const char *)n->data.scalar.value;
  return strcmp(v, "null") == 0 || strcmp(v, "~") == 0 || v[0] == '\0';
}

static bool is_binary(yaml_node_t *n) {
  return n && n->tag && strcmp((const char *)n->tag, "tag:yaml.org,2002:binary") == 0;
}

/* Reads a body node: null, a scalar, a !!binary scalar, or {string: ...}. */
static int read_body(yaml_document_t *d, yaml_node_t *n, bt_cassette_body *b, char *err,
                     size_t errlen) {
  if (n && n->type == YAML_MAPPING_NODE)
    n = map_get(d, n, "string");
  if (is_null(n)) {
    b->data = cs_strndup("", 0);
    b->len = 0;
    b->is_null = true;
    return 0;
  }
  if (n->type != YAML_SCALAR_NODE) {
    cs_err(err, errlen, "line %zu: a body is neither text nor binary", n->start_mark.line + 1);
    return -1;
  }
  const char *v = (const char *)n->data.scalar.value;
  size_t len = n->data.scalar.length;
  if (is_binary(n)) {
    b->data = (char *)baton__b64_decode(v, len, &b->len);
    if (!b->data) {
      cs_err(err, errlen, "line %zu: malformed !!binary body", n->start_mark.line + 1);
      return -1;
    }
    b->binary = true;
    return 0;
  }
  b->data = cs_strndup(v, len);
  b->len = len;
  return 0;
}

static void read_headers(yaml_document_t *d, yaml_node_t *m, bt_cassette_header **out,
                         size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!m || m->type != YAML_MAPPING_NODE)
    return;
  size_t cap = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
  *out = calloc(cap ? cap : 1, sizeof **out);
  if (!*out)
    abort();
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    const char *name = scalar(yaml_document_get_node(d, p->key));
    yaml_node_t *v = yaml_document_get_node(d, p->value);
    const char *value = scalar(v);
    if (v && v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start)
      value = scalar(yaml_document_get_node(d, *v->data.sequence.items.start));
    if (!name || !value)
      continue;
    bt_cassette_header *h = &(*out)[(*n_out)++];
    h->name = cs_strndup(name, strlen(name));
    h->value = cs_strndup(value, strlen(value));
  }
}

static void body_release(bt_cassette_body *b) { free(b->data); }

static void headers_release(bt_cassette_header *h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(h[i].name);
    free(h[i].value);
  }
  free(h);
}

void bt_cassette_free(bt_cassette *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    bt_exchange *e = &c->ex[i];
    free(e->method);
    free(e->uri);
    free(e->path);
    headers_release(e->req_headers, e->n_req_headers);
    headers_release(e->resp_headers, e->n_resp_headers);
    body_release(&e->req_body);
    body_release(&e->resp_body);
  }
  free(c->ex);
  free(c);
}

static char *path_of(const char *uri) {
  const char *p = strstr(uri, "://");
  p = p ? strchr(p + 3, '/') : uri;
  return cs_strndup(p ? p : "/", strlen(p ? p : "/"));
}

bt_cassette *bt_cassette_load(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    cs_err(err, errlen, "%s: cannot open", path);
    return NULL;
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  if (!yaml_parser_load(&parser, &doc)) {
    cs_err(err, errlen, "%s:%zu: %s", path, parser.problem_mark.line + 1,
           parser.problem ? parser.problem : "YAML error");
    yaml_parser_delete(&parser);
    fclose(f);
    return NULL;
  }
  yaml_parser_delete(&parser);
  fclose(f);

  bt_cassette *c = calloc(1, sizeof *c);
  if (!c)
    abort();
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  yaml_node_t *list = map_get(&doc, root, "interactions");
  if (!list || list->type != YAML_SEQUENCE_NODE) {
    cs_err(err, errlen, "%s: no `interactions:` list", path);
    goto fail;
  }
  size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
  c->ex = calloc(n ? n : 1, sizeof *c->ex);
  if (!c->ex)
    abort();
  for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
       it++) {
    yaml_node_t *inter = yaml_document_get_node(&doc, *it);
    yaml_node_t *rq = map_get(&doc, inter, "request");
    yaml_node_t *rs = map_get(&doc, inter, "response");
    const char *method = scalar(map_get(&doc, rq, "method"));
    const char *uri = scalar(map_get(&doc, rq, "uri"));
    const char *code = scalar(map_get(&doc, map_get(&doc, rs, "status"), "code"));
    if (!method || !uri || !code) {
      cs_err(err, errlen, "%s:%zu: an interaction lacks request.method, request.uri or "
             "response.status.code", path, inter ? inter->start_mark.line + 1 : 0);
      goto fail;
    }
    bt_exchange *e = &c->ex[c->n++];
    e->method = cs_strndup(method, strlen(method));
    e->uri = cs_strndup(uri, strlen(uri));
    e->path = path_of(uri);
    e->status = atoi(code);
    read_headers(&doc, map_get(&doc, rq, "headers"), &e->req_headers, &e->n_req_headers);
    read_headers(&doc, map_get(&doc, rs, "headers"), &e->resp_headers, &e->n_resp_headers);
    char berr[256] = "";
    if (read_body(&doc, map_get(&doc, rq, "body"), &e->req_body, berr, sizeof berr) != 0 ||
        read_body(&doc, map_get(&doc, rs, "body"), &e->resp_body, berr, sizeof berr) != 0) {
      cs_err(err, errlen, "%s: %s", path, berr);
      goto fail;
    }
  }
  yaml_document_delete(&doc);
  return c;
fail:
  yaml_document_delete(&doc);
  bt_cassette_free(c);
  return NULL;
}

static const char *header_in(const bt_cassette_header *h, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(h[i].name, name) == 0)
      return h[i].value;
  return NULL;
}

const char *bt_exchange_req_header(const bt_exchange *e, const char *name) {
  return e ? header_in(e->req_headers, e->n_req_headers, name) : NULL;
}

const char *bt_exchange_resp_header(const bt_exchange *e, const char *name) {
  return e ? header_in(e->resp_headers, e->n_resp_headers, name) : NULL;
}

const bt_exchange *bt_cassette_find(const bt_cassette *c, const char *method,
                                    const char *path_part) {
  for (size_t i = 0; c && i < c->n; i++) {
    const bt_exchange *e = &c->ex[i];
    if (method && strcmp(e->method, method) != 0)
      continue;
    if (path_part && !strstr(e->path, path_part))
      continue;
    return e;
  }
  return NULL;
}
