/* epset.c — the endpoints a match may use: a task's endpoints read by a skip scan of an index, each checked once with ok(). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

/* More distinct endpoints than this in one task (a URL each, say): the
 * match checks candidates one by one instead, as it reads them. */
#define MAX_ENDPOINTS 64

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool baton__epset_has(const baton__epset *e, const char *endpoint) {
  if (!endpoint)
    return false;
  return e->n && bsearch(&endpoint, e->v, e->n, sizeof *e->v, cmp_str) != NULL;
}

void baton__epset_release(baton__epset *e) {
  for (size_t i = 0; i < e->n; i++)
    free(e->v[i]);
  free(e->v);
  memset(e, 0, sizeof *e);
}

/* The distinct endpoints of task's enabled models, in order, with the
 * registry locked: one index seek each. 1 when there are more than
 * MAX_ENDPOINTS (e is then incomplete), 0, or -1 with err. */
static int list_endpoints(baton__registry *reg, const char *task, baton__epset *e, char *err,
                          size_t errlen) {
  sqlite3_stmt *st = reg->st_endpoint_next;
  if (!(e->v = calloc(MAX_ENDPOINTS, sizeof *e->v))) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  int s, more = 0;
  do {
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, e->n ? e->v[e->n - 1] : "", -1, SQLITE_STATIC);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW && e->n == MAX_ENDPOINTS) {
      more = 1;
      s = SQLITE_DONE;
    } else if (s == SQLITE_ROW) {
      const char *ep = (const char *)sqlite3_column_text(st, 0);
      if ((e->v[e->n] = baton__strdup(ep ? ep : "")))
        e->n++;
      else
        s = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  } while (s == SQLITE_ROW);
  return baton__step_end(reg->db, s, err, errlen, "model match failed") == 0 ? more : -1;
}

/* Keeps in e the endpoints ok accepts, in order, freeing the others: how many it kept. */
static size_t keep_accepted(baton__epset *e, baton__endpoint_ok_fn ok, void *ud) {
  size_t kept = 0;
  for (size_t i = 0; i < e->n; i++) {
    char why[256] = "";
    if (ok(ud, e->v[i], why, sizeof why))
      e->v[kept++] = e->v[i];
    else
      free(e->v[i]);
  }
  e->n = kept;
  return kept;
}

/*
 * The endpoints of task's enabled models that ok() accepts, into *e
 * (sorted). ok() runs once per endpoint, with the registry unlocked.
 * Returns 1 when *e is what a match may use, 0 when no filter is needed
 * (every endpoint accepted, or too many endpoints to list: *e is empty),
 * or -1 with err.
 */
int baton__epset_accepted(baton__registry *reg, const char *task, baton__endpoint_ok_fn ok,
                          void *ud, baton__epset *e, char *err, size_t errlen) {
  memset(e, 0, sizeof *e);
  pthread_mutex_lock(&reg->lock);
  int r = list_endpoints(reg, task, e, err, errlen);
  pthread_mutex_unlock(&reg->lock);
  if (r != 0) {
    baton__epset_release(e);
    return r > 0 ? 0 : -1;
  }
  size_t all = e->n;
  if (keep_accepted(e, ok, ud) == all) {
    baton__epset_release(e);
    return 0;
  }
  return 1;
}

/* Appends task's endpoints (list_endpoints) to *all, registry locked. 1 when the task has more
 * than MAX_ENDPOINTS, 0, or -1 with err. */
static int add_task_endpoints(baton__registry *reg, const char *task, baton__epset *all,
                              size_t *cap, char *err, size_t errlen) {
  baton__epset one = {0};
  int r = list_endpoints(reg, task, &one, err, errlen);
  if (r >= 0 && all->n + one.n > *cap) {
    size_t ncap = (all->n + one.n) * 2;
    char **nv = realloc(all->v, ncap * sizeof *nv);
    if (!nv)
      r = -1, baton__fmt(err, errlen, "out of memory");
    else
      all->v = nv, *cap = ncap;
  }
  if (r >= 0) {
    memcpy(all->v + all->n, one.v, one.n * sizeof *one.v);
    all->n += one.n;
    one.n = 0;
  }
  baton__epset_release(&one);
  return r;
}

/* The distinct endpoints of every task's enabled models, sorted, registry locked. */
static int list_all_endpoints(baton__registry *reg, baton__epset *all, bool *more, char *err,
                              size_t errlen) {
  sqlite3_stmt *st = reg->st_tasks_all;
  size_t cap = 0;
  int s = SQLITE_DONE, r = 0;
  while (r >= 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
    char task[160];
    baton__fmt(task, sizeof task, "%s", (const char *)sqlite3_column_text(st, 0));
    r = add_task_endpoints(reg, task, all, &cap, err, errlen);
    *more = *more || r == 1;
  }
  sqlite3_reset(st);
  if (r < 0)
    return -1;
  if (baton__step_end(reg->db, s, err, errlen, "model search failed") != 0)
    return -1;
  if (all->n > 1)
    qsort(all->v, all->n, sizeof *all->v, cmp_str);
  size_t k = 0;
  for (size_t i = 0; i < all->n; i++) {
    if (k && !strcmp(all->v[k - 1], all->v[i]))
      free(all->v[i]);
    else
      all->v[k++] = all->v[i];
  }
  all->n = k;
  return 0;
}

int baton__epset_runnable(baton__registry *reg, baton__endpoint_ok_fn ok, void *ud,
                          baton__epset *e, char *err, size_t errlen) {
  memset(e, 0, sizeof *e);
  bool more = false;
  pthread_mutex_lock(&reg->lock);
  int r = list_all_endpoints(reg, e, &more, err, errlen);
  pthread_mutex_unlock(&reg->lock);
  if (r != 0) {
    baton__epset_release(e);
    return -1;
  }
  keep_accepted(e, ok, ud);
  return more ? 1 : 0;
}
