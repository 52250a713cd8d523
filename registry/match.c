/* match.c — choosing models for a step: candidates from the ranking and by popularity, the endpoint check, exactness. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

void baton__model_release(baton__model *m) {
  if (!m)
    return;
  free(m->id);
  free(m->task);
  free(m->description);
  free(m->endpoint);
  memset(m, 0, sizeof *m);
}

int baton__cmp_model(const void *a, const void *b) {
  const baton__model *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return strcmp(x->id, y->id);
}

/* Reads columns 0..5 (id, task, description, endpoint, downloads, likes),
 * the relevance column (6, NULL for none) and the health column (8) into m.
 * Returns false on allocation failure. */
static bool row_to_model(sqlite3_stmt *st, baton__model *m) {
  memset(m, 0, sizeof *m);
  m->id = baton__col_dup(st, 0);
  m->task = baton__col_dup(st, 1);
  m->description = baton__col_dup(st, 2);
  m->endpoint = baton__col_dup(st, 3);
  m->downloads = sqlite3_column_int64(st, 4);
  m->likes = sqlite3_column_int64(st, 5);
  m->relevance =
      sqlite3_column_type(st, 6) == SQLITE_NULL ? 0.0 : sqlite3_column_double(st, 6);
  m->popularity = baton__popularity(m->downloads, m->likes);
  m->local_bonus = baton__local_bonus(m->endpoint);
  m->health = sqlite3_column_double(st, 8);
  m->score = m->relevance + m->popularity + m->local_bonus + m->health;
  return m->id && m->task && m->description && m->endpoint;
}

void baton__cands_release(cands *c) {
  for (size_t i = 0; i < c->n; i++)
    baton__model_release(&c->v[i]);
  free(c->v);
  baton__strset_release(&c->ids);
  memset(c, 0, sizeof *c);
}

/* Appends the current row unless its id is already there. SQLITE_ROW to go
 * on, SQLITE_NOMEM on allocation failure. *added tells what happened. */
int baton__cands_add(cands *c, sqlite3_stmt *st, bool *added) {
  *added = false;
  const char *id = (const char *)sqlite3_column_text(st, 0);
  if (!id)
    return SQLITE_ROW;
  int r = baton__strset_add(&c->ids, id);
  if (r < 0)
    return SQLITE_NOMEM;
  if (r == 0)
    return SQLITE_ROW;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 32;
    baton__model *nv = realloc(c->v, ncap * sizeof *nv);
    if (!nv)
      return SQLITE_NOMEM;
    c->v = nv;
    c->cap = ncap;
  }
  if (!row_to_model(st, &c->v[c->n])) {
    baton__model_release(&c->v[c->n]);
    return SQLITE_NOMEM;
  }
  c->n++;
  *added = true;
  return SQLITE_ROW;
}


/* Reads the rows of st (a task's models by base, best first) into the
 * candidates until L of them had no health penalty; *trunc tells whether
 * rows were left, *floor bounds their base. SQLITE_DONE or an error. */
static int by_base(sqlite3_stmt *st, size_t L, cands *c, bool *trunc, double *floor) {
  size_t healthy = 0;
  int s;
  *trunc = false;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    bool added;
    if ((s = baton__cands_add(c, st, &added)) != SQLITE_ROW)
      break;
    if (sqlite3_column_double(st, 8) >= 0.0 && ++healthy >= L) {
      *trunc = true;
      *floor = sqlite3_column_double(st, 7);
      s = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s;
}

/*
 * Collects candidates for one task with the registry locked: the full-text
 * part (rank_terms), then the task's models in order of base score
 * (popularity + local bonus, through an index) until L of them had no
 * health penalty - with a filter eps, L of each accepted endpoint, so
 * models that cannot run are never read. Anything not collected scores at
 * most fts_floor (when fts_trunc) or base_floor (when base_trunc), so a
 * result whose last accepted score is at least the floors is exact.
 */
static int collect(baton__registry *reg, const char *task, const qterms *tw, size_t L, double now,
                   const baton__epset *eps, cands *c, char *err, size_t errlen) {
  if (baton__rank_terms(reg, task, tw, L, now, true, eps, c, err, errlen))
    return -1;
  int s = SQLITE_DONE;
  c->base_trunc = false;
  for (size_t i = 0; s == SQLITE_DONE && i < (eps ? eps->n : 1); i++) {
    sqlite3_stmt *st = eps ? reg->st_match_base_ep : reg->st_match_base;
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
    if (eps)
      sqlite3_bind_text(st, 2, eps->v[i], -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    bool trunc;
    double floor = 0;
    s = by_base(st, L, c, &trunc, &floor);
    if (trunc && (!c->base_trunc || floor > c->base_floor))
      c->base_floor = floor;
    c->base_trunc = c->base_trunc || trunc;
  }
  return baton__step_end(reg->db, s, err, errlen, "model match failed");
}

/* collect() in one read transaction: one snapshot for all the statements,
 * one lock. */
static int collect_locked(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                          double now, const baton__epset *eps, cands *c, char *err,
                          size_t errlen) {
  pthread_mutex_lock(&reg->lock);
  bool txn = sqlite3_get_autocommit(reg->db) && sqlite3_step(reg->st_begin) == SQLITE_DONE;
  sqlite3_reset(reg->st_begin);
  int rc = collect(reg, task, tw, L, now, eps, c, err, errlen);
  if (txn) {
    sqlite3_step(reg->st_commit);
    sqlite3_reset(reg->st_commit);
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* Ranks; then picks up to max accepted by ok (NULL accepts all) into out.
 * Sets *exact when
 * nothing outside the candidates could have ranked among those picked. */
static size_t pick(cands *c, baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                   bool *exact) {
  if (c->n > 1)
    qsort(c->v, c->n, sizeof *c->v, baton__cmp_model);
  size_t got = 0;
  double last = 0;
  for (size_t i = 0; i < c->n && got < max; i++) {
    char why[256] = "";
    if (!ok || ok(ud, c->v[i].endpoint, why, sizeof why)) {
      last = c->v[i].score;
      out[got++] = c->v[i];
      memset(&c->v[i], 0, sizeof c->v[i]);
    }
  }
  if (got < max)
    *exact = !c->fts_trunc && !c->base_trunc;
  else
    *exact = (!c->fts_trunc || last >= c->fts_floor) && (!c->base_trunc || last >= c->base_floor);
  return got;
}

/* Ranks the catalogue's models of task for text: the endpoints ok()
 * accepts are settled first (one check per distinct endpoint), so that
 * only models that can run are read. */
static int match_catalogue(baton__registry *reg, const char *task, const char *text,
                           baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                           size_t *n, char *err, size_t errlen) {
  *n = 0;
  if (!max)
    return 0;
  qterms tw;
  baton__query_terms(text, task, &tw);
  double now = baton__wall_s();
  baton__epset eps;
  int filter = ok ? baton__epset_accepted(reg, task, ok, ud, &eps, err, errlen) : 0;
  if (filter < 0)
    return -1;
  if (filter && !eps.n) {
    baton__epset_release(&eps);
    return 0; /* no endpoint of this task can run here */
  }
  /* Collect a few more than wanted; when the endpoint check rejects many
   * of them, or the floors show something better may be left out, widen. */
  size_t L = max * 4 < 16 ? 16 : max * 4;
  int rc = 0;
  for (;;) {
    cands c;
    memset(&c, 0, sizeof c);
    /* The ok() callback never runs with the registry locked. */
    if ((rc = collect_locked(reg, task, &tw, L, now, filter ? &eps : NULL, &c, err, errlen))) {
      baton__cands_release(&c);
      break;
    }
    bool exact = true;
    size_t got = pick(&c, ok, ud, out, max, &exact);
    baton__cands_release(&c);
    if (exact || L >= ((size_t)1 << 30)) {
      *n = got;
      break;
    }
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    L *= 8;
  }
  if (filter)
    baton__epset_release(&eps);
  return rc;
}

/* The models declared on configured servers first, then the catalogue's,
 * without those the step's wording rules out (capability.c). */
int baton__registry_match(baton__registry *reg, const char *task, const char *text,
                          baton__endpoint_ok_fn ok, void *ud, baton__model *out, size_t max,
                          size_t *n, char *err, size_t errlen) {
  if (n)
    *n = 0;
  if (!reg || !task || !n || (max && !out)) {
    baton__fmt(err, errlen, "bad arguments to match");
    return -1;
  }
  size_t got = max ? baton__registry_endpoint_candidates(reg, task, ok, ud, out, max) : 0;
  bool rule = baton__capability_needed(task, text) != NULL;
  size_t want = max - got + (rule ? 8 : 0), more = 0;
  baton__model *tmp = want ? calloc(want, sizeof *tmp) : NULL;
  if (want && !tmp) {
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  if (want && match_catalogue(reg, task, text, ok, ud, tmp, want, &more, err, errlen) != 0) {
    for (size_t i = 0; i < got; i++)
      baton__model_release(&out[i]);
    free(tmp);
    return -1;
  }
  more = baton__capability_filter(reg, task, text, tmp, more);
  for (size_t i = 0; i < more; i++) {
    if (got < max)
      out[got++] = tmp[i];
    else
      baton__model_release(&tmp[i]);
  }
  free(tmp);
  *n = got;
  return 0;
}
