/* rank.c — the full-text part of a match or search: postings of the step's words, idf weights, rows read best bound first. */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

/* A row the words found: its weight, base and score bound. */
typedef struct hit {
  sqlite3_int64 rowid;
  double base; /* popularity + local bonus (stored), or the most it can be */
  double w;    /* weight of the query words the row contains */
  double ub;   /* upper bound of its score: relevance + base */
} hit;

/* An open-addressing table of hits keyed by rowid. */
typedef struct hits {
  hit *v;
  size_t cap; /* power of two */
  size_t n;
} hits;

#define NO_ROW INT64_MIN

static size_t hit_slot(const hits *h, sqlite3_int64 rowid) {
  uint64_t x = (uint64_t)rowid * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(x >> 20) & (h->cap - 1);
  while (h->v[i].rowid != NO_ROW && h->v[i].rowid != rowid)
    i = (i + 1) & (h->cap - 1);
  return i;
}

static int hits_init(hits *h, size_t expect) {
  h->cap = 64;
  while (h->cap < expect * 2)
    h->cap *= 2;
  h->n = 0;
  if (!(h->v = malloc(h->cap * sizeof *h->v)))
    return -1;
  for (size_t i = 0; i < h->cap; i++)
    h->v[i].rowid = NO_ROW;
  return 0;
}

/* The hit of rowid, added (with base) when add is set; NULL otherwise. */
static hit *hits_get(hits *h, sqlite3_int64 rowid, bool add, double base) {
  size_t i = hit_slot(h, rowid);
  if (h->v[i].rowid == NO_ROW) {
    if (!add)
      return NULL;
    h->v[i] = (hit){.rowid = rowid, .base = base};
    h->n++;
  }
  return &h->v[i];
}

/* Max-heap on ub (ties: lower rowid first). */
static bool hit_before(const hit *a, const hit *b) {
  return a->ub > b->ub || (a->ub == b->ub && a->rowid < b->rowid);
}

static void hit_sift(hit *v, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && hit_before(&v[l], &v[m]))
      m = l;
    if (r < n && hit_before(&v[r], &v[m]))
      m = r;
    if (m == i)
      return;
    hit t = v[i];
    v[i] = v[m];
    v[m] = t;
    i = m;
  }
}

/* A min-heap of the best scores seen, at most cap of them. */
typedef struct topk {
  double *v;
  size_t n, cap;
} topk;

static void topk_push(topk *t, double x) {
  if (t->n < t->cap) {
    size_t i = t->n++;
    t->v[i] = x;
    while (i && t->v[(i - 1) / 2] > t->v[i]) {
      double tmp = t->v[i];
      t->v[i] = t->v[(i - 1) / 2];
      t->v[(i - 1) / 2] = tmp;
      i = (i - 1) / 2;
    }
  } else if (t->cap && x > t->v[0]) {
    t->v[0] = x;
    for (size_t i = 0;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < t->n && t->v[l] < t->v[m])
        m = l;
      if (r < t->n && t->v[r] < t->v[m])
        m = r;
      if (m == i)
        break;
      double tmp = t->v[i];
      t->v[i] = t->v[m];
      t->v[m] = tmp;
      i = m;
    }
  }
}

static int step_count(sqlite3_stmt *st, const char *task, long long *out) {
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  *out = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s == SQLITE_ROW ? SQLITE_DONE : s;
}

/*
 * The full-text part of a match or search, with the registry locked. Reads
 * the rowids of each word glued to the task key (so only that task's
 * postings; for a search without task, each task's in turn), weighs the
 * words by idf and sums the weights per row. For one task the rowid and
 * base of each of its models come from the index alone, so every row has
 * a score bound (relevance + base; health only lowers it) without being
 * read; for a search the bound uses the largest base there can be. Rows
 * are then read best bound first, until no row left could beat the L-th
 * best score read. c->fts_trunc tells whether rows were left and
 * c->fts_floor bounds their score. enabled_only skips disabled models.
 */
int baton__rank_terms(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                      double now, bool enabled_only, cands *c, char *err, size_t errlen) {
  c->fts_trunc = false;
  if (!tw->n || !L)
    return 0;
  int s = SQLITE_DONE;
  sqlite3_int64 *ps = NULL; /* postings, term after term */
  size_t np = 0, pcap = 0, tstart[MAX_QUERY_TERMS + 1];
  hits h = {0};
  hit *rows = NULL;
  size_t nr = 0;
  topk best = {0};
  long long N = 0;
  char (*keys)[160] = NULL;
  size_t nkeys = 0;
  double idf[MAX_QUERY_TERMS];

  /* The task keys to read: the one task, or every task for a search. */
  if (task) {
    if (!(keys = calloc(1, sizeof *keys))) {
      s = SQLITE_NOMEM;
      goto out;
    }
    size_t k = 0;
    for (const char *t = task; *t && k + 1 < sizeof keys[0]; t++)
      if (*t != '-')
        keys[0][k++] = *t;
    nkeys = 1;
  } else {
    size_t kcap = 0;
    while ((s = sqlite3_step(reg->st_tasks_all)) == SQLITE_ROW) {
      if (nkeys == kcap) {
        kcap = kcap ? kcap * 2 : 64;
        char (*nk)[160] = realloc(keys, kcap * sizeof *keys);
        if (!nk) {
          s = SQLITE_NOMEM;
          break;
        }
        keys = nk;
      }
      const char *name = (const char *)sqlite3_column_text(reg->st_tasks_all, 0);
      size_t k = 0;
      for (const char *t = name ? name : ""; *t && k + 1 < sizeof keys[0]; t++)
        if (*t != '-')
          keys[nkeys][k++] = *t;
      keys[nkeys++][k] = '\0';
    }
    sqlite3_reset(reg->st_tasks_all);
    if (s != SQLITE_DONE)
      goto out;
  }

  /* The postings of each word. */
  sqlite3_stmt *st = reg->st_term_task;
  for (int t = 0; t < tw->n; t++) {
    tstart[t] = np;
    for (size_t k = 0; k < nkeys && s == SQLITE_DONE; k++) {
      char q[MAX_TERM_LEN + 200];
      baton__fmt(q, sizeof q, "\"%sx%s\"", keys[k], tw->w[t]);
      sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
      while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (np == pcap) {
          size_t ncap = pcap ? pcap * 2 : 1024;
          sqlite3_int64 *nps = realloc(ps, ncap * sizeof *nps);
          if (!nps) {
            s = SQLITE_NOMEM;
            break;
          }
          ps = nps;
          pcap = ncap;
        }
        ps[np++] = sqlite3_column_int64(st, 0);
      }
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
    if (s != SQLITE_DONE)
      goto out;
  }
  tstart[tw->n] = np;
  if (!np)
    goto out;

  /* The rows that can be ranked, with their base. */
  if (task) {
    sqlite3_stmt *tb = reg->st_task_bases;
    sqlite3_bind_text(tb, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_int(tb, 2, enabled_only ? 1 : 0);
    if (hits_init(&h, 4096)) {
      s = SQLITE_NOMEM;
      goto out;
    }
    while ((s = sqlite3_step(tb)) == SQLITE_ROW) {
      if ((h.n + 1) * 2 > h.cap) { /* grow */
        hits bigger;
        if (hits_init(&bigger, h.cap)) {
          s = SQLITE_NOMEM;
          break;
        }
        for (size_t i = 0; i < h.cap; i++)
          if (h.v[i].rowid != NO_ROW)
            *hits_get(&bigger, h.v[i].rowid, true, 0) = h.v[i];
        free(h.v);
        h = bigger;
      }
      hits_get(&h, sqlite3_column_int64(tb, 0), true, sqlite3_column_double(tb, 1));
    }
    sqlite3_reset(tb);
    sqlite3_clear_bindings(tb);
    if (s != SQLITE_DONE)
      goto out;
    N = (long long)h.n;
  } else {
    if ((s = step_count(reg->st_count_all, NULL, &N)) != SQLITE_DONE)
      goto out;
    if (hits_init(&h, np)) {
      s = SQLITE_NOMEM;
      goto out;
    }
    for (size_t i = 0; i < np; i++)
      hits_get(&h, ps[i], true, 0.5 + BATON__LOCAL_BONUS); /* the most base can be */
  }

  /* idf = ln(1 + (N - n + 0.5) / (n + 0.5)), summed per row. */
  double w_all = 0;
  for (int t = 0; t < tw->n; t++) {
    double n_t = (double)(tstart[t + 1] - tstart[t]);
    idf[t] = log(1.0 + ((double)N - n_t + 0.5) / (n_t + 0.5));
    if (idf[t] < 1e-6)
      idf[t] = 1e-6;
    w_all += idf[t];
    for (size_t i = tstart[t]; i < tstart[t + 1]; i++) {
      hit *x = hits_get(&h, ps[i], false, 0);
      if (x)
        x->w += idf[t];
    }
  }
  if (!(rows = malloc(h.n * sizeof *rows))) {
    s = SQLITE_NOMEM;
    goto out;
  }
  double w_best = 0;
  for (size_t i = 0; i < h.cap; i++) {
    if (h.v[i].rowid == NO_ROW || h.v[i].w <= 0)
      continue;
    rows[nr++] = h.v[i];
    if (h.v[i].w > w_best)
      w_best = h.v[i].w;
  }
  if (!nr)
    goto out;
  for (size_t i = 0; i < nr; i++)
    rows[i].ub = rows[i].base + 0.75 * rows[i].w / w_best + 0.25 * rows[i].w / w_all;
  for (size_t i = nr / 2; i-- > 0;)
    hit_sift(rows, nr, i);

  best.cap = L < nr ? L : nr;
  if (!(best.v = malloc((best.cap ? best.cap : 1) * sizeof *best.v))) {
    s = SQLITE_NOMEM;
    goto out;
  }
  sqlite3_stmt *row = reg->st_row;
  for (size_t left = nr; left > 0;) {
    hit x = rows[0];
    rows[0] = rows[--left];
    hit_sift(rows, left, 0);
    if (best.n == best.cap && x.ub <= best.v[0]) {
      c->fts_trunc = true;
      c->fts_floor = x.ub;
      break;
    }
    double rel = 0.75 * x.w / w_best + 0.25 * x.w / w_all;
    sqlite3_bind_int64(row, 1, x.rowid);
    sqlite3_bind_double(row, 3, now);
    s = sqlite3_step(row);
    if (s == SQLITE_ROW && (!enabled_only || sqlite3_column_int(row, 9)) &&
        (!task || !strcmp((const char *)sqlite3_column_text(row, 1), task))) {
      bool added;
      s = baton__cands_add(c, row, &added);
      if (added) {
        baton__model *m = &c->v[c->n - 1];
        m->relevance = rel;
        m->score = m->relevance + m->popularity + m->local_bonus + m->health;
        topk_push(&best, m->score);
      }
    }
    sqlite3_reset(row);
    sqlite3_clear_bindings(row);
    if (s == SQLITE_ROW || s == SQLITE_DONE)
      s = SQLITE_DONE;
    else
      goto out;
  }
out:
  free(ps);
  free(h.v);
  free(rows);
  free(best.v);
  free(keys);
  if (s == SQLITE_DONE)
    return 0;
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else
    baton__db_err(reg->db, err, errlen, "model match failed");
  return -1;
}
