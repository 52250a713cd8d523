/* prepared.c — the lexicon and the task kinds' cues, built once and shared by the plans that follow. */
#include "planner/offline/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Contract: reading the lexicon and stemming and weighing every task kind's keywords took about
 * two thirds of a plan; they change only when the registry or the lexicon does. off_prepare()
 * keeps the latest it built and gives it again while the texts it came from are the same, byte
 * for byte; a plan holding an older one keeps it until off_prepared_drop(). Safe from any
 * thread. */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static off_prepared *latest; /* the one built last (a reference of its own), or NULL */

/* The texts of a task kind the lexicon and cues come from: 0 name, 1 keywords, 2 description. */
static const char *task_text(const baton__taskspec *t, size_t k) {
  return k == 0 ? t->name : k == 1 ? t->keywords : t->description;
}

static bool built_from(const off_prepared *o, const char *text, size_t len,
                       const baton__taskspec *tasks, size_t n) {
  if (o->n_cues != n || !o->lexicon != !text ||
      (text && (o->lexicon_len != len || memcmp(o->lexicon, text, len) != 0)))
    return false;
  for (size_t i = 0; i < 3 * n; i++) {
    const char *x = o->texts[i], *y = task_text(&tasks[i / 3], i % 3);
    if (x != y && (!x || !y || strcmp(x, y) != 0))
      return false;
  }
  return true;
}

static void destroy(off_prepared *o) {
  for (size_t t = 0; o->cues && t < o->n_cues; t++)
    free(o->cues[t].phrases), free(o->cues[t].desc);
  for (size_t i = 0; o->texts && i < 3 * o->n_cues; i++)
    free(o->texts[i]);
  free(o->cues), free(o->texts), free(o->lexicon);
  off_lexicon_release(&o->lx);
  free(o);
}

/* Copies what it is built from, so that the next request can be compared with it. */
static bool keep_texts(off_prepared *o, const char *text, size_t len,
                       const baton__taskspec *tasks) {
  if (!(o->texts = calloc(3 * o->n_cues + 1, sizeof *o->texts)))
    return false;
  if (text && !(o->lexicon = malloc(len + 1)))
    return false;
  if (text)
    memcpy(o->lexicon, text, len), o->lexicon[len] = '\0', o->lexicon_len = len;
  for (size_t i = 0; i < 3 * o->n_cues; i++)
    if (task_text(&tasks[i / 3], i % 3) &&
        !(o->texts[i] = baton__strdup(task_text(&tasks[i / 3], i % 3))))
      return false;
  return true;
}

static off_prepared *build(const char *text, size_t len, const baton__taskspec *tasks, size_t n,
                           char *err, size_t errlen) {
  off_prepared *o = calloc(1, sizeof *o);
  if (!o)
    return baton__fmt(err, errlen, OFF_OOM), NULL;
  if (off_lexicon_load(&o->lx, text, len, tasks, n, err, errlen) != 0)
    return destroy(o), NULL;
  o->n_cues = n;
  if (!(o->cues = calloc(n ? n : 1, sizeof *o->cues)) || !keep_texts(o, text, len, tasks) ||
      off_build_cues(&o->lx, tasks, o->cues, n) != 0)
    return baton__fmt(err, errlen, OFF_OOM), destroy(o), NULL;
  return o;
}

off_prepared *off_prepare(const char *text, size_t len, const baton__taskspec *tasks,
                          size_t n_tasks, char *err, size_t errlen) {
  pthread_mutex_lock(&lock);
  off_prepared *o = latest && built_from(latest, text, len, tasks, n_tasks) ? latest : NULL;
  if (!o && (o = build(text, len, tasks, n_tasks, err, errlen))) {
    if (latest && --latest->refs == 0) /* no plan holds it */
      destroy(latest);
    latest = o, o->refs = 1;
  }
  if (o)
    o->refs++;
  pthread_mutex_unlock(&lock);
  return o;
}

void off_prepared_drop(off_prepared *o) {
  if (!o)
    return;
  pthread_mutex_lock(&lock);
  bool last = --o->refs == 0;
  pthread_mutex_unlock(&lock);
  if (last)
    destroy(o);
}
