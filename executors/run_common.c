/* run_common.c — what the local executors' run functions share: finding an input, bounding it, stopping on cancel or timeout, naming the output file, reporting an error. */
#include "executors/run_common.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "core/banned.h"

/* Writes the error into env->err (and whether the arguments caused it); -1. */
static int vfail(baton__exec_env *env, bool bad_input, const char *fmt, va_list ap) {
  vsnprintf(env->err, sizeof env->err, fmt, ap);
  env->bad_input |= bad_input;
  return -1;
}

int baton__run_fail(baton__exec_env *env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vfail(env, false, fmt, ap);
  va_end(ap);
  return rc;
}

int baton__run_bad_input(baton__exec_env *env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vfail(env, true, fmt, ap);
  va_end(ap);
  return rc;
}

const char *baton__run_arg(const baton__values *in, const char *name, unsigned type) {
  const baton__value *v = baton__values_get(in, name);
  if (!v)
    v = baton__values_get_type(in, type);
  return v ? v->data : NULL;
}

const char *baton__run_instruction(const baton__values *in) {
  const baton__value *v = baton__values_get(in, "instruction");
  if (!v)
    v = baton__values_get(in, "text");
  if (!v)
    v = baton__values_get_type(in, BATON__T_TEXT);
  return v ? v->data : NULL;
}

size_t baton__run_max_input(const baton__exec_env *env, size_t dflt) {
  return env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes : dflt;
}

size_t baton__run_max_text(const baton__exec_env *env, size_t dflt) {
  return env->cfg && env->cfg->max_text_bytes ? env->cfg->max_text_bytes : dflt;
}

bool baton__run_text_fits(baton__exec_env *env, const char *text, size_t max, const char *verb,
                          size_t *len) {
  *len = strlen(text);
  if (*len <= max)
    return true;
  baton__run_bad_input(env, "text to %s is %zu bytes, over the limit of %zu (max_text_bytes)",
                       verb, *len, max);
  return false;
}

const char *baton__run_text_input(const baton__values *in, baton__exec_env *env,
                                  const char *task, const char *verb, size_t dflt_max,
                                  size_t *len) {
  const char *text = baton__run_arg(in, "text", BATON__T_TEXT);
  if (!text)
    return baton__run_bad_input(env, "%s needs the \"text\" to %s", task, verb), NULL;
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, dflt_max), verb, len) ||
      baton__run_must_stop(env, 0, task))
    return NULL;
  return strspn(text, " \t\r\n") == *len
             ? (baton__run_bad_input(env, "the text to %s is empty", verb), NULL) : text;
}

bool baton__run_file_ok(const char *path, size_t max, const char *what, char *err,
                        size_t errlen) {
  struct stat st;
  const char *name = path ? baton__input_name(path) : "(none)";
  if (!path || stat(path, &st) != 0)
    baton__fmt(err, errlen, "cannot read the %s %s: %s", what, name,
               path ? strerror(errno) : "no file given");
  else if (!S_ISREG(st.st_mode))
    baton__fmt(err, errlen, "the %s %s is not a regular file", what, name);
  else if (st.st_size == 0)
    baton__fmt(err, errlen, "%s is empty", name);
  else if (max && (unsigned long long)st.st_size > (unsigned long long)max)
    baton__fmt(err, errlen, "the %s %s is %lld bytes, over the limit of %zu", what, name,
               (long long)st.st_size, max);
  else
    return true;
  return false;
}

char *baton__run_said_as(const char *text, const char *path, const char *name) {
  size_t n = text ? strcspn(text, "\n") : 0, plen = strlen(path);
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < n;)
    if (plen && n - i >= plen && !strncmp(text + i, path, plen))
      baton__sb_adds(&sb, name), i += plen;
    else
      baton__sb_addc(&sb, text[i++]);
  return baton__sb_detach(&sb);
}

bool baton__run_file_fits(baton__exec_env *env, const char *path, size_t max, const char *what) {
  char err[sizeof env->err];
  if (baton__run_file_ok(path, max, what, err, sizeof err))
    return true;
  baton__run_bad_input(env, "%s", err);
  return false;
}

bool baton__run_has_workspace(baton__exec_env *env, const char *what) {
  if (env->workspace && env->file_prefix)
    return true;
  baton__run_fail(env, "no workspace to write the %s into", what);
  return false;
}

char *baton__run_out_path(baton__exec_env *env, const char *ext) {
  char name[300];
  baton__fmt(name, sizeof name, "%s.%s", env->file_prefix, ext);
  char *path = baton__path_join(env->workspace, name);
  if (!path)
    baton__run_fail(env, "out of memory");
  return path;
}

const char *baton__run_format_name(const char *ext, char *buf, size_t len) {
  size_t k = 0;
  for (; len && ext[k] && k + 1 < len; k++)
    buf[k] = (char)toupper((unsigned char)ext[k]);
  if (len)
    buf[k] = '\0';
  return buf;
}

char *baton__run_lower(const char *text, char *buf, size_t len) {
  baton__fmt(buf, len, "%s", text ? text : "");
  for (char *p = buf; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return buf;
}

bool baton__run_has_word(const char *low, const char *w, bool whole) {
  size_t n = strlen(w);
  for (const char *p = low; n && (p = strstr(p, w)); p++)
    if ((p == low || !isalnum((unsigned char)p[-1])) && (!whole || !isalnum((unsigned char)p[n])))
      return true;
  return false;
}

bool baton__run_any_word(const char *low, const char *const *words, bool whole) {
  for (size_t i = 0; words[i]; i++)
    if (baton__run_has_word(low, words[i], whole))
      return true;
  return false;
}

bool baton__run_verb_apart(const char *low, const char *verb, const char *particle) {
  size_t vn = strlen(verb), pn = strlen(particle);
  for (const char *v = low; vn && (v = strstr(v, verb)) != NULL; v++) {
    if ((v > low && isalnum((unsigned char)v[-1])) || isalnum((unsigned char)v[vn]))
      continue;
    const char *w = v + vn;
    for (int words = 0; words < 4 && *w == ' '; words++) {
      w += strspn(w, " ");
      if (!strncmp(w, particle, pn) && !isalnum((unsigned char)w[pn]))
        return true;
      w += strcspn(w, " ,;:!?"); /* the word: "talk.wav" is one */
    }
  }
  return false;
}

bool baton__run_next_number(const char *low, const char **p, double *v, const char **after) {
  for (; **p; (*p)++) {
    const char *s = *p;
    if (!isdigit((unsigned char)*s) || (s > low && (isalnum((unsigned char)s[-1]) || s[-1] == '.')))
      continue;
    char *end = NULL;
    *v = strtod(s, &end);
    *after = end + strspn(end, " ");
    *p = end;
    return true;
  }
  return false;
}

bool baton__run_minus_before(const char *low, const char *p) {
  while (p > low && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))
    p--; /* to the number's first digit */
  return p > low && p[-1] == '-';
}

/* Numbers written as words, their value their index ("a" and "an" 1). */
static const char *const run_number_words[] = {"", "one", "two", "three", "four", "five", "six",
                                               "seven", "eight", "nine", "ten", "eleven",
                                               "twelve", "a", "an"};

bool baton__run_next_number_word(const char *low, const char **p, int *v, const char **after) {
  size_t count = sizeof run_number_words / sizeof *run_number_words;
  for (; **p; (*p)++) {
    const char *w = *p;
    if (!isalpha((unsigned char)*w) || (w > low && isalpha((unsigned char)w[-1])))
      continue;
    for (size_t i = 1; i < count; i++) {
      size_t n = strlen(run_number_words[i]);
      if (strncmp(w, run_number_words[i], n) == 0 && w[n] == ' ') {
        *v = i <= 12 ? (int)i : 1, *after = w + n + 1, *p = w + n;
        return true;
      }
    }
  }
  return false;
}

int64_t baton__run_deadline(const baton__exec_env *env) {
  return env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms : 0;
}

int baton__run_fail_stopped(baton__exec_env *env, bool cancelled, const char *what) {
  if (cancelled)
    return baton__run_fail(env, "cancelled");
  return baton__run_fail(env, "%s ran past %ld ms", what, env->timeout_ms);
}

bool baton__run_must_stop(baton__exec_env *env, int64_t deadline, const char *what) {
  bool cancelled = baton__exec_cancelled(env);
  if (!cancelled && !(deadline && baton__now_ms() > deadline))
    return false;
  baton__run_fail_stopped(env, cancelled, what);
  return true;
}

int baton__run_facts_answer(baton__sb *sb, char **text, char **json, char *err, size_t errlen) {
  if (!baton__sb_ok(sb) || !*json) {
    baton__sb_release(sb);
    free(*json);
    *text = *json = NULL;
    return baton__fmt(err, errlen, "out of memory"), -1;
  }
  *text = baton__sb_detach(sb);
  return 0;
}
