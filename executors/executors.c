/* executors.c — the table of built-in executors, lookup by name, and the typed value sets they exchange. */
#include "executors/executor.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* The library's own executors: network clients and the debug ones. Order
 * matters only for listings (`baton executors`). */
const baton__executor *const baton__executors[] = {
    &baton__executor_hf,
    &baton__executor_llm,
    &baton__executor_openai,
    &baton__executor_debug,
    NULL,
};

/* Defined in executors/local.c, which only the tests that run local
 * executors in their own process link: elsewhere this weak reference is NULL. */
extern const baton__executor *const baton__local_executors[] __attribute__((weak));

const baton__executor *baton__executor_find(const char *name) {
  if (!name)
    return NULL;
  if (strncmp(name, "local:", 6) == 0)
    name += 6;
  for (size_t i = 0; baton__executors[i]; i++)
    if (strcmp(baton__executors[i]->name, name) == 0)
      return baton__executors[i];
  for (size_t i = 0; baton__local_executors && baton__local_executors[i]; i++)
    if (strcmp(baton__local_executors[i]->name, name) == 0)
      return baton__local_executors[i];
  return NULL;
}

int baton__values_add_own(baton__values *vs, const char *name, unsigned type, char *data) {
  if (!vs || !name || vs->n >= BATON__MAX_VALUES) {
    free(data);
    return -1;
  }
  char *n = baton__strdup(name);
  if (!n) {
    free(data);
    return -1;
  }
  baton__value *v = &vs->v[vs->n++];
  v->name = n;
  v->type = type;
  v->data = data;
  return 0;
}

bool baton__executor_always_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  if (why && whylen)
    why[0] = '\0';
  return true;
}

int baton__executor_no_state(const baton__config *cfg, void **state, char *err, size_t errlen) {
  (void)cfg;
  (void)err;
  (void)errlen;
  *state = NULL;
  return 0;
}

void baton__executor_no_release(void *state) { (void)state; }

int baton__values_add_outputs(baton__values *out, baton__exec_env *env, const baton__output *o,
                              size_t n) {
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    if (!o[i].data)
      ok = ok && o[i].optional;
    else if (!ok)
      free(o[i].data);
    else
      ok = baton__values_add_own(out, o[i].name, o[i].type, o[i].data) == 0;
  }
  if (!ok)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  return ok ? 0 : -1;
}

int baton__values_add(baton__values *vs, const char *name, unsigned type, const char *data) {
  char *copy = NULL;
  if (data) {
    copy = baton__strdup(data);
    if (!copy)
      return -1;
  }
  return baton__values_add_own(vs, name, type, copy);
}

const baton__value *baton__values_get(const baton__values *vs, const char *name) {
  if (!vs || !name)
    return NULL;
  for (size_t i = 0; i < vs->n; i++) {
    if (vs->v[i].name && strcmp(vs->v[i].name, name) == 0)
      return &vs->v[i];
  }
  return NULL;
}

const baton__value *baton__values_get_type(const baton__values *vs, unsigned type) {
  if (!vs || !type)
    return NULL;
  for (size_t i = 0; i < vs->n; i++) {
    if (vs->v[i].type == type)
      return &vs->v[i];
  }
  return NULL;
}

const baton__value *baton__values_joined(const baton__values *vs) {
  for (size_t i = 0; vs && i < vs->n; i++) {
    const char *n = vs->v[i].name;
    size_t len = n ? strlen(n) : 0;
    if (len > 1 && n[len - 1] >= '2' && n[len - 1] <= '9' &&
        (vs->v[i].type & (BATON__T_IMAGE | BATON__T_AUDIO)))
      return &vs->v[i];
  }
  return NULL;
}

int baton__values_refuse_join(const baton__values *vs, const char *model, char *err,
                              size_t errlen) {
  const baton__value *more = baton__values_joined(vs);
  if (!more)
    return 0;
  bool picture = more->type & BATON__T_IMAGE;
  baton__fmt(err, errlen, "%s takes one %s, not \"%s\" too: joining %s runs on the local %s "
             "executor", model ? model : "this model", picture ? "picture" : "recording",
             more->name, picture ? "pictures" : "recordings", picture ? "vips" : "sndfile");
  return -1;
}

void baton__values_release(baton__values *vs) {
  if (!vs)
    return;
  for (size_t i = 0; i < vs->n && i < BATON__MAX_VALUES; i++) {
    free(vs->v[i].name);
    free(vs->v[i].data);
  }
  memset(vs, 0, sizeof *vs);
}

bool baton__exec_cancelled(const baton__exec_env *env) {
  return env && env->cancel && atomic_load(env->cancel) != 0;
}

/* Whether s[a..b) holds only white space. */
static bool blank_span(const char *s, size_t a, size_t b) {
  for (size_t i = a; i < b; i++) {
    if (!isspace((unsigned char)s[i]))
      return false;
  }
  return true;
}

char *baton__text_normalize(const char *s, size_t len, bool keep_paragraphs) {
  baton__sb sb;
  baton__sb_init(&sb);
  bool para_break = false; /* a blank line was seen since the last word */
  size_t line = 0;
  while (line < len) {
    size_t end = line;
    while (end < len && s[end] != '\n')
      end++;
    if (blank_span(s, line, end)) {
      if (sb.len)
        para_break = true;
    } else {
      size_t i = line;
      while (i < end) {
        while (i < end && isspace((unsigned char)s[i]))
          i++;
        size_t w = i;
        while (i < end && !isspace((unsigned char)s[i]))
          i++;
        if (i == w)
          continue;
        if (sb.len)
          baton__sb_adds(&sb, para_break && keep_paragraphs ? "\n\n" : " ");
        para_break = false;
        baton__sb_add(&sb, s + w, i - w);
      }
    }
    line = end + 1;
  }
  if (!baton__sb_ok(&sb)) {
    baton__sb_release(&sb);
    return NULL;
  }
  if (sb.len == 0) {
    baton__sb_release(&sb);
    return baton__strdup("");
  }
  return baton__sb_detach(&sb);
}
