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
  bool valid;  /* a model of the task (enabled when asked): counts for w_best */
  bool ok;     /* and its endpoint is one of those accepted: may be read */
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
    h->v[i] = (hit){.rowid = rowid, .base = base, .valid = true, .ok = true};
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

/* fill_bases() scans the task's index entries rather than look up each
 * hit when the task has at most this many models per hit: an index entry
 * costs about a thirtieth of a row lookup (a page of ~60 entries against a
 * page per row). */
#define SCAN_RATIO 32ull

/* One ranking in progress (see baton__rank_terms). */
typedef struct ranker {
  baton__registry *reg;
  const char *task;  /* NULL: every task (a search) */
  const qterms *tw;
  bool enabled_only;
  const baton__epset *eps;  /* accepted endpoints; NULL: all */
  char (*keys)[160];        /* the task keys whose postings are read */
  size_t nkeys;
  sqlite3_int64 *ps;        /* postings, term after term */
  size_t np, pcap, tstart[MAX_QUERY_TERMS + 1];
  long long N;              /* models ranked (idf's N) */
  double idf[MAX_QUERY_TERMS], w_all, w_best;
  hits h;
  hit *rows;                /* a max-heap of readable rows on ub */
  size_t nr;
} ranker;

static void ranker_release(ranker *r) {
  free(r->ps);
  free(r->h.v);
  free(r->rows);
  free(r->keys);
}

/* "image-to-text" -> "imagetotext", as baton_match_text() glues words. */
static void task_key(const char *task, char out[160]) {
  size_t k = 0;
  for (const char *t = task ? task : ""; *t && k + 1 < 160; t++)
    if (*t != '-')
      out[k++] = *t;
  out[k] = '\0';
}

/* The task keys to read: the one task, or every task for a search. */
static int task_keys(ranker *r) {
  if (r->task) {
    if (!(r->keys = calloc(1, sizeof *r->keys)))
      return SQLITE_NOMEM;
    task_key(r->task, r->keys[0]);
    r->nkeys = 1;
    return SQLITE_DONE;
  }
  sqlite3_stmt *st = r->reg->st_tasks_all;
  size_t kcap = 0;
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (r->nkeys == kcap) {
      kcap = kcap ? kcap * 2 : 64;
      char(*nk)[160] = realloc(r->keys, kcap * sizeof *r->keys);
      if (!nk) {
        s = SQLITE_NOMEM;
        break;
      }
      r->keys = nk;
    }
    task_key((const char *)sqlite3_column_text(st, 0), r->keys[r->nkeys++]);
  }
  sqlite3_reset(st);
  return s;
}

/* Appends the rowids of one glued word to the postings. */
static int read_word(ranker *r, const char *key, const char *word) {
  sqlite3_stmt *st = r->reg->st_term_task;
  char q[MAX_TERM_LEN + 200];
  baton__fmt(q, sizeof q, "\"%sx%s\"", key, word);
  sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (r->np == r->pcap) {
      size_t ncap = r->pcap ? r->pcap * 2 : 1024;
      sqlite3_int64 *nps = realloc(r->ps, ncap * sizeof *nps);
      if (!nps) {
        s = SQLITE_NOMEM;
        break;
      }
      r->ps = nps;
      r->pcap = ncap;
    }
    r->ps[r->np++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s;
}

/* The postings of each word (of each task key). */
static int read_postings(ranker *r) {
  int s = SQLITE_DONE;
  for (int t = 0; t < r->tw->n && s == SQLITE_DONE; t++) {
    r->tstart[t] = r->np;
    for (size_t k = 0; k < r->nkeys && s == SQLITE_DONE; k++)
      s = read_word(r, r->keys[k], r->tw->w[t]);
  }
  r->tstart[r->tw->n] = r->np;
  return s;
}

/* N: the task's models (enabled ones for a match) from task_counts, kept
 * by triggers; for a search the largest rowid. One row either way. */
static int count_models(ranker *r) {
  sqlite3_stmt *st = r->task ? r->reg->st_task_count : r->reg->st_count_all;
  if (r->task) {
    sqlite3_bind_text(st, 1, r->task, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, r->enabled_only ? 1 : 0);
  }
  int s = sqlite3_step(st);
  r->N = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s == SQLITE_ROW || s == SQLITE_DONE ? SQLITE_DONE : s;
}

/* idf = ln(1 + (N - n + 0.5) / (n + 0.5)) per word, summed per row into a
 * hit. A search's rows all count, with the largest base there can be; a
 * match's are checked against the task by fill_bases(). */
static int weigh(ranker *r) {
  if (hits_init(&r->h, r->np))
    return SQLITE_NOMEM;
  r->w_all = 0;
  for (int t = 0; t < r->tw->n; t++) {
    double n_t = (double)(r->tstart[t + 1] - r->tstart[t]);
    double idf = log(1.0 + ((double)r->N - n_t + 0.5) / (n_t + 0.5));
    r->idf[t] = idf < 1e-6 ? 1e-6 : idf;
    r->w_all += r->idf[t];
    for (size_t i = r->tstart[t]; i < r->tstart[t + 1]; i++) {
      hit *x = hits_get(&r->h, r->ps[i], true, 0.5 + BATON__LOCAL_BONUS);
      x->valid = x->ok = !r->task;
      x->w += r->idf[t];
    }
  }
  return SQLITE_DONE;
}

/* Marks a hit as a model of the task, with its base and endpoint check. */
static void settle(ranker *r, hit *x, double base, const char *endpoint) {
  x->valid = true;
  x->base = base;
  x->ok = !r->eps || baton__epset_has(r->eps, endpoint);
}

/* Base, validity and endpoint of each hit of a match: from one scan of the
 * task's index entries when the hits are a good part of the task, else one
 * row lookup per hit, so the work follows the smaller of the two. */
static int fill_bases(ranker *r) {
  int s;
  if ((unsigned long long)r->N <= SCAN_RATIO * r->h.n) {
    sqlite3_stmt *st = r->reg->st_task_bases;
    sqlite3_bind_text(st, 1, r->task, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, r->enabled_only ? 1 : 0);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
      hit *x = hits_get(&r->h, sqlite3_column_int64(st, 0), false, 0);
      if (x)
        settle(r, x, sqlite3_column_double(st, 1), (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s;
  }
  sqlite3_stmt *st = r->reg->st_row_base;
  s = SQLITE_DONE;
  for (size_t i = 0; i < r->h.cap && s == SQLITE_DONE; i++) {
    hit *x = &r->h.v[i];
    if (x->rowid == NO_ROW)
      continue;
    sqlite3_bind_int64(st, 1, x->rowid);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW && sqlite3_column_int(st, 3) >= (r->enabled_only ? 1 : 0) &&
        !strcmp((const char *)sqlite3_column_text(st, 2), r->task))
      settle(r, x, sqlite3_column_double(st, 0), (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (s == SQLITE_ROW)
      s = SQLITE_DONE;
  }
  return s;
}

/* The readable rows in a max-heap on their score bound
 * relevance + base, relevance = 0.75 * w / w_best + 0.25 * w / w_all
 * (w_best over every row of the task, readable or not). */
static int order_rows(ranker *r) {
  if (!(r->rows = malloc((r->h.n ? r->h.n : 1) * sizeof *r->rows)))
    return SQLITE_NOMEM;
  r->w_best = 0;
  for (size_t i = 0; i < r->h.cap; i++) {
    const hit *x = &r->h.v[i];
    if (x->rowid == NO_ROW || !x->valid || x->w <= 0)
      continue;
    if (x->w > r->w_best)
      r->w_best = x->w;
    if (x->ok)
      r->rows[r->nr++] = *x;
  }
  for (size_t i = 0; i < r->nr; i++)
    r->rows[i].ub = r->rows[i].base + 0.75 * r->rows[i].w / r->w_best +
                    0.25 * r->rows[i].w / r->w_all;
  for (size_t i = r->nr / 2; i-- > 0;)
    hit_sift(r->rows, r->nr, i);
  return SQLITE_DONE;
}

/* Reads one row into the candidates with its relevance; pushes its score. */
static int read_row(ranker *r, const hit *x, double now, cands *c, topk *best) {
  sqlite3_stmt *row = r->reg->st_row;
  sqlite3_bind_int64(row, 1, x->rowid);
  sqlite3_bind_double(row, 3, now);
  int s = sqlite3_step(row);
  if (s == SQLITE_ROW && (!r->enabled_only || sqlite3_column_int(row, 9)) &&
      (!r->task || !strcmp((const char *)sqlite3_column_text(row, 1), r->task))) {
    bool added;
    s = baton__cands_add(c, row, &added);
    if (added) {
      baton__model *m = &c->v[c->n - 1];
      m->relevance = 0.75 * x->w / r->w_best + 0.25 * x->w / r->w_all;
      m->score = m->relevance + m->popularity + m->local_bonus + m->health;
      topk_push(best, m->score);
    }
  }
  sqlite3_reset(row);
  sqlite3_clear_bindings(row);
  return s == SQLITE_ROW || s == SQLITE_DONE ? SQLITE_DONE : s;
}

/* Reads rows best bound first until no row left can beat the L-th best
 * score read; c->fts_trunc and c->fts_floor tell what was left. */
static int read_best(ranker *r, size_t L, double now, cands *c) {
  topk best = {.cap = L < r->nr ? L : r->nr};
  if (!(best.v = malloc((best.cap ? best.cap : 1) * sizeof *best.v)))
    return SQLITE_NOMEM;
  int s = SQLITE_DONE;
  for (size_t left = r->nr; left > 0 && s == SQLITE_DONE;) {
    hit x = r->rows[0];
    r->rows[0] = r->rows[--left];
    hit_sift(r->rows, left, 0);
    if (best.n == best.cap && x.ub <= best.v[0]) {
      c->fts_trunc = true;
      c->fts_floor = x.ub;
      break;
    }
    s = read_row(r, &x, now, c, &best);
  }
  free(best.v);
  return s;
}

/*
 * The full-text part of a match or search, with the registry locked. Reads
 * the rowids of each word glued to the task key (so only that task's
 * postings; for a search without task, each task's in turn), weighs the
 * words by idf (N from task_counts) and sums the weights per row. For one
 * task the base and endpoint of each row found come from the index (or the
 * row), so every row has a score bound (relevance + base; health only
 * lowers it) without being read; for a search the bound uses the largest
 * base there can be. Rows whose endpoint eps does not hold are never read.
 * Rows are then read best bound first, until no row left could beat the
 * L-th best score read. c->fts_trunc tells whether rows were left and
 * c->fts_floor bounds their score. enabled_only skips disabled models.
 * Work and memory follow the postings of the words, not the registry.
 */
int baton__rank_terms(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                      double now, bool enabled_only, const baton__epset *eps, cands *c,
                      char *err, size_t errlen) {
  c->fts_trunc = false;
  if (!tw->n || !L)
    return 0;
  ranker r = {.reg = reg, .task = task, .tw = tw, .enabled_only = enabled_only, .eps = eps};
  int s = task_keys(&r);
  if (s == SQLITE_DONE)
    s = read_postings(&r);
  if (s == SQLITE_DONE && r.np)
    s = count_models(&r);
  if (s == SQLITE_DONE && r.np)
    s = weigh(&r);
  if (s == SQLITE_DONE && r.np && task)
    s = fill_bases(&r);
  if (s == SQLITE_DONE && r.np)
    s = order_rows(&r);
  if (s == SQLITE_DONE && r.nr)
    s = read_best(&r, L, now, c);
  ranker_release(&r);
  return baton__step_end(reg->db, s, err, errlen, "model match failed");
}
