/* endpoints.c — reads and checks the config's "endpoints:" list of OpenAI-compatible model servers. */
#include "core/endpoints.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/task_kinds.h"
#include "core/util.h"
#include "core/banned.h"

#define EP_MAX_ENDPOINTS 256
#define EP_MAX_MODELS 1024
#define EP_MAX_TASKS 64
#define EP_MAX_ID 255
#define EP_MAX_URL 2048

/* Where an error is reported: "FILE:LINE: endpoint 'NAME': ". */
typedef struct ep_ctx {
  const char *file;
  char *err;
  size_t errlen;
} ep_ctx;

static int fail(const ep_ctx *c, int line, const char *what, const char *fmt, const char *arg) {
  char msg[400];
  baton__fmt(msg, sizeof msg, fmt, arg ? arg : "");
  baton__fmt(c->err, c->errlen, "%s:%d: %s%s", c->file, line, what, msg);
  return -1;
}

static bool name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > BATON__ENDPOINT_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
      return false;
  return true;
}

static bool env_name_ok(const char *s) {
  if (!*s || isdigit((unsigned char)*s) || strlen(s) > 128)
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_')
      return false;
  return true;
}

static bool task_name_ok(const char *s) {
  if (!*s || strlen(s) > 64)
    return false;
  for (; *s; s++)
    if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
      return false;
  return true;
}

static bool id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > EP_MAX_ID)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
      return false;
  return true;
}

static const baton__ynode *scalar(const baton__ynode *v) {
  return v && v->kind == BATON__YN_SCALAR ? v : NULL;
}

/* The setting key's whole number in min..max; an error names the key and the value. */
static int read_number(const ep_ctx *c, const baton__ynode *v, const char *what,
                       const char *key, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long long x = scalar(v) ? strtoll(v->value, &end, 10) : 0;
  if (!scalar(v) || errno || end == v->value || *end || x < min || x > max) {
    char msg[200];
    baton__fmt(msg, sizeof msg, "'%s' must be a whole number from %ld to %ld, not '%.40s'", key,
               min, max, scalar(v) ? v->value : "a list or mapping");
    return fail(c, v->line, what, "%s", msg);
  }
  *out = (long)x;
  return 0;
}

/* A task kind no model server serves: the error names it and the nearest known one. */
static int unknown_task(const ep_ctx *c, const baton__ynode *t, const char *what) {
  const char *near = baton__task_kind_nearest(t->value);
  char msg[200];
  baton__fmt(msg, sizeof msg, "'%s' is not a known task kind (%s%s%s)", t->value,
             near ? "did you mean " : "such as summarization or image-to-text", near ? near : "",
             near ? "?" : "");
  return fail(c, t->line, what, "%s", msg);
}

static int read_tasks(const ep_ctx *c, const baton__ynode *v, const char *what,
                      baton__endpoint_model *m) {
  if (!v || v->kind != BATON__YN_SEQ || v->n == 0 || v->n > EP_MAX_TASKS)
    return fail(c, v ? v->line : 0, what, "'tasks' must be a list of 1 to 64 task kinds%s", "");
  if (!(m->tasks = calloc(v->n, sizeof *m->tasks)))
    return fail(c, v->line, "", "out of memory%s", "");
  for (size_t i = 0; i < v->n; i++) {
    const baton__ynode *t = scalar(v->kids[i]);
    if (!t || !task_name_ok(t->value))
      return fail(c, v->kids[i]->line, what,
                  "'%s' is not a task kind (lower-case words joined by '-', e.g. image-to-text)",
                  t ? t->value : "(not text)");
    if (!baton__task_kind_known(t->value))
      return unknown_task(c, t, what);
    for (size_t j = 0; j < m->n_tasks; j++)
      if (strcmp(m->tasks[j], t->value) == 0)
        return fail(c, t->line, what, "task '%s' is listed twice", t->value);
    if (!(m->tasks[m->n_tasks] = baton__strdup(t->value)))
      return fail(c, t->line, "", "out of memory%s", "");
    m->n_tasks++;
  }
  return 0;
}

static int read_model(const ep_ctx *c, const baton__ynode *v, const char *what,
                      baton__endpoint_cfg *ep) {
  if (v->kind != BATON__YN_MAP)
    return fail(c, v->line, what, "each model must be a mapping like {id: NAME, tasks: [...]}%s",
                "");
  baton__endpoint_model *m = &ep->models[ep->n_models];
  for (size_t i = 0; i + 1 < v->n; i += 2) {
    const char *k = v->kids[i]->value;
    if (v->kids[i]->kind != BATON__YN_SCALAR || (strcmp(k, "id") != 0 && strcmp(k, "tasks") != 0))
      return fail(c, v->kids[i]->line, what, "unknown model setting '%s' (id, tasks)",
                  v->kids[i]->kind == BATON__YN_SCALAR ? k : "?");
  }
  const baton__ynode *id = scalar(baton__ynode_get(v, "id"));
  if (!id || !id_ok(id->value))
    return fail(c, v->line, what, "a model needs an 'id' (1 to 255 visible characters)%s", "");
  for (size_t j = 0; j < ep->n_models; j++)
    if (strcmp(ep->models[j].id, id->value) == 0)
      return fail(c, id->line, what, "model '%s' is listed twice", id->value);
  ep->n_models++; /* owned from here, freed with the config even on failure */
  if (!(m->id = baton__strdup(id->value)))
    return fail(c, id->line, "", "out of memory%s", "");
  const baton__ynode *tasks = baton__ynode_get(v, "tasks");
  if (!tasks)
    return fail(c, v->line, what, "model '%s' needs 'tasks' (the task kinds it serves)", m->id);
  return read_tasks(c, tasks, what, m);
}

static int read_models(const ep_ctx *c, const baton__ynode *v, const char *what,
                       baton__endpoint_cfg *ep) {
  if (v->kind == BATON__YN_SCALAR && !v->value[0])
    return 0;
  if (v->kind != BATON__YN_SEQ || v->n > EP_MAX_MODELS)
    return fail(c, v->line, what, "'models' must be a list of at most 1024 models%s", "");
  if (v->n && !(ep->models = calloc(v->n, sizeof *ep->models)))
    return fail(c, v->line, "", "out of memory%s", "");
  for (size_t i = 0; i < v->n; i++)
    if (read_model(c, v->kids[i], what, ep) != 0)
      return -1;
  return 0;
}

static int read_url(const ep_ctx *c, const baton__ynode *v, const char *what,
                    baton__endpoint_cfg *ep) {
  const baton__ynode *s = scalar(v);
  if (!s || (strncmp(s->value, "http://", 7) != 0 && strncmp(s->value, "https://", 8) != 0) ||
      strlen(s->value) > EP_MAX_URL || strchr(s->value, ' '))
    return fail(c, v->line, what, "'base_url' must start with http:// or https://%s", "");
  size_t n = strlen(s->value);
  while (n > 0 && s->value[n - 1] == '/')
    n--;
  if (!(ep->base_url = baton__strndup(s->value, n)))
    return fail(c, v->line, "", "out of memory%s", "");
  return 0;
}

static int read_key_env(const ep_ctx *c, const baton__ynode *v, const char *what,
                        baton__endpoint_cfg *ep) {
  const baton__ynode *s = scalar(v);
  if (!s || !env_name_ok(s->value))
    return fail(c, v->line, what,
                "'api_key_env' must name an environment variable (letters, digits, '_')%s", "");
  ep->api_key_env = baton__strdup(s->value);
  const char *key = getenv(s->value);
  if (key && *key)
    ep->api_key = baton__strdup(key);
  if (!ep->api_key_env || (key && *key && !ep->api_key))
    return fail(c, v->line, "", "out of memory%s", "");
  return 0;
}

/* One setting of an endpoint. */
static int read_setting(const ep_ctx *c, const baton__ynode *k, const baton__ynode *v,
                        const char *what, baton__endpoint_cfg *ep) {
  const char *key = k->value;
  long x;
  if (strcmp(key, "name") == 0)
    return 0; /* read first, by read_endpoint */
  if (strcmp(key, "base_url") == 0)
    return read_url(c, v, what, ep);
  if (strcmp(key, "api_key_env") == 0)
    return read_key_env(c, v, what, ep);
  if (strcmp(key, "max_inflight") == 0) {
    if (read_number(c, v, what, key, 1, 1024, &x) != 0)
      return -1;
    ep->max_inflight = (int)x;
    return 0;
  }
  if (strcmp(key, "timeout_ms") == 0)
    return read_number(c, v, what, key, 100, 86400000, &ep->timeout_ms);
  if (strcmp(key, "models") == 0)
    return read_models(c, v, what, ep);
  if (strcmp(key, "api_key") == 0)
    return fail(c, k->line, what,
                "put the key in an environment variable and name it with 'api_key_env'%s", "");
  return fail(c, k->line, what,
              "unknown setting '%s' (name, base_url, api_key_env, max_inflight, timeout_ms, "
              "models)",
              key);
}

static int read_endpoint(const ep_ctx *c, const baton__ynode *v, baton__config *cfg) {
  if (v->kind != BATON__YN_MAP)
    return fail(c, v->line, "", "each endpoint must be a mapping with a name and a base_url%s",
                "");
  const baton__ynode *name = scalar(baton__ynode_get(v, "name"));
  if (!name || !name_ok(name->value))
    return fail(c, v->line, "",
                "an endpoint needs a 'name' of 1 to 63 letters, digits, '.', '_' or '-'%s", "");
  if (baton__config_endpoint(cfg, name->value))
    return fail(c, name->line, "", "endpoint name '%s' is used twice", name->value);
  baton__endpoint_cfg *ep = &cfg->endpoints[cfg->n_endpoints++];
  ep->line = v->line;
  ep->max_inflight = BATON__ENDPOINT_DEFAULT_INFLIGHT;
  if (!(ep->name = baton__strdup(name->value)))
    return fail(c, v->line, "", "out of memory%s", "");
  char what[128];
  baton__fmt(what, sizeof what, "endpoint '%s': ", ep->name);
  for (size_t i = 0; i + 1 < v->n; i += 2) {
    if (v->kids[i]->kind != BATON__YN_SCALAR)
      return fail(c, v->kids[i]->line, what, "a setting name must be plain text%s", "");
    if (read_setting(c, v->kids[i], v->kids[i + 1], what, ep) != 0)
      return -1;
  }
  if (!ep->base_url)
    return fail(c, v->line, what, "'base_url' is missing (e.g. http://host:8000/v1)%s", "");
  return 0;
}

int baton__config_read_endpoints(baton__config *cfg, const baton__ynode *v, const char *file,
                                 char *err, size_t errlen) {
  ep_ctx c = {file, err, errlen};
  if (v->kind == BATON__YN_SCALAR && !v->value[0])
    return 0;
  if (v->kind != BATON__YN_SEQ || v->n > EP_MAX_ENDPOINTS)
    return fail(&c, v->line, "", "'endpoints' must be a list of at most 256 model servers%s", "");
  if (cfg->n_endpoints)
    return fail(&c, v->line, "", "'endpoints' is given twice%s", "");
  if (v->n && !(cfg->endpoints = calloc(v->n, sizeof *cfg->endpoints)))
    return fail(&c, v->line, "", "out of memory%s", "");
  for (size_t i = 0; i < v->n; i++)
    if (read_endpoint(&c, v->kids[i], cfg) != 0)
      return -1;
  return 0;
}

const baton__endpoint_cfg *baton__config_endpoint(const baton__config *cfg, const char *name) {
  for (size_t i = 0; cfg && name && i < cfg->n_endpoints; i++)
    if (cfg->endpoints[i].name && strcmp(cfg->endpoints[i].name, name) == 0)
      return &cfg->endpoints[i];
  return NULL;
}

static void wipe_free(char *s) {
  if (!s)
    return;
  volatile char *p = s;
  while (*p)
    *p++ = 0;
  free(s);
}

void baton__config_endpoints_release(baton__config *cfg) {
  for (size_t i = 0; i < cfg->n_endpoints; i++) {
    baton__endpoint_cfg *ep = &cfg->endpoints[i];
    free(ep->name);
    free(ep->base_url);
    free(ep->api_key_env);
    wipe_free(ep->api_key);
    for (size_t j = 0; j < ep->n_models; j++) {
      for (size_t t = 0; t < ep->models[j].n_tasks; t++)
        free(ep->models[j].tasks[t]);
      free(ep->models[j].tasks);
      free(ep->models[j].id);
    }
    free(ep->models);
  }
  free(cfg->endpoints);
  cfg->endpoints = NULL;
  cfg->n_endpoints = 0;
}
