/* rank.c — the full-text part of a match or search: postings of the step's words, idf weights, rows read best bound first. */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stem.h"
#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

/* A row the words found: its weight, base and score bound. */
typedef struct hit {
  sqlite3_int64 rowid;
  double base; /* popularity + local bonus (stored), or the most it can be */
  double w;    /* weight of the query words the row contains */
  double kw;   /* weight of those its task kind names too (a search's kind_bonus) */
  double ub;   /* upper bound of its score: relevance + base */
  bool known;  /* base, valid and ok below are settled (else base is at most
                  the ranker's unknown_base) */
  bool valid;  /* a model of the task (enabled when asked): counts for w_best */
  bool ok;     /* and its endpoint is one of those accepted: may be read */
} hit;

/* An open-addressing table of hits keyed by rowid. */
typedef struct hits {
  hit *v;
  size_t cap;
  size_t n;
} hits;

#define NO_ROW INT64_MIN

static size_t hit_slot(const hits *h, sqlite3_int64 rowid) {
  uint64_t x = (uint64_t)rowid * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)((x >> 20) % h->cap);
  while (h->v[i].rowid != NO_ROW && h->v[i].rowid != rowid)
    i = i + 1 == h->cap ? 0 : i + 1;
  return i;
}

/* Room for expect hits at most 3/4 full: a search of a few common words over every task meets
 * tens of thousands, and a fresh process pays a page fault for each page of the table. */
static int hits_init(hits *h, size_t expect) {
  h->cap = 64 + expect + expect / 3;
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

/* What a row lookup costs in index entries read in order (a page of ~60
 * entries against a page per row): fill_bases() reads the task's index
 * rather than look up each hit when it expects to read fewer entries than
 * this many times the hits. */
#define SCAN_RATIO 32.0

/* One ranking in progress (see baton__rank_terms). */
typedef struct ranker {
  baton__registry *reg;
  const char *task;  /* NULL: every task (a search) */
  const qterms *tw;
  bool enabled_only;
  const baton__epset *eps;  /* accepted endpoints; NULL: all */
  bool search;              /* `models search`: kind_bonus and runnable_bonus (score.c) */
  const baton__epset *runs; /* a search's endpoints that run here; NULL: not asked */
  char (*keys)[160];        /* the task keys whose postings are read */
  const baton__taskspec **specs; /* the task kind of each key (NULL: not loaded) */
  size_t nkeys;
  sqlite3_int64 *ps;        /* postings, term after term */
  bool *pcue;               /* whether each posting's task kind names its term */
  size_t np, pcap, tstart[MAX_QUERY_TERMS + 1];
  long long N;              /* models ranked (idf's N) */
  double idf[MAX_QUERY_TERMS], w_all, w_best;
  hits h;
  bool unknown_left;        /* hits not known may be readable models... */
  double unknown_base;      /* ...whose base is at most this */
  hit *rows;                /* a max-heap of readable rows on ub */
  size_t nr;
} ranker;

static void ranker_release(ranker *r) {
  free(r->ps);
  free(r->h.v);
  free(r->rows);
  free(r->keys);
  free(r->specs);
  free(r->pcue);
}

static const baton__taskspec *find_spec(const baton__registry *reg, const char *name) {
  for (size_t i = 0; name && i < reg->n_tasks; i++)
    if (!strcmp(reg->tasks[i].name, name))
      return &reg->tasks[i];
  return NULL;
}

/* Room for one more task key (and its kind) at r->nkeys. */
static int grow_keys(ranker *r, size_t *kcap) {
  if (r->nkeys < *kcap)
    return SQLITE_DONE;
  size_t ncap = *kcap ? *kcap * 2 : 64;
  char(*nk)[160] = realloc(r->keys, ncap * sizeof *nk);
  if (nk)
    r->keys = nk;
  const baton__taskspec **ns = nk ? realloc(r->specs, ncap * sizeof *ns) : NULL;
  if (!ns)
    return SQLITE_NOMEM;
  r->specs = ns;
  *kcap = ncap;
  return SQLITE_DONE;
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
  size_t kcap = 0;
  if (r->task) {
    if (grow_keys(r, &kcap) != SQLITE_DONE)
      return SQLITE_NOMEM;
    task_key(r->task, r->keys[0]);
    r->specs[r->nkeys++] = find_spec(r->reg, r->task);
    return SQLITE_DONE;
  }
  sqlite3_stmt *st = r->reg->st_tasks_all;
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if ((s = grow_keys(r, &kcap)) != SQLITE_DONE)
      break;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    task_key(name, r->keys[r->nkeys]);
    r->specs[r->nkeys++] = find_spec(r->reg, name);
  }
  sqlite3_reset(st);
  return s;
}

/* Appends the rowids of one glued word to the postings, each with cue: whether the key's task
 * kind names the word. */
static int read_word(ranker *r, const char *key, const char *word, bool cue) {
  sqlite3_stmt *st = r->reg->st_term_task;
  char q[MAX_TERM_LEN + 200];
  baton__fmt(q, sizeof q, "\"%sx%s\"", key, word);
  sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (r->np == r->pcap) {
      size_t ncap = r->pcap ? r->pcap * 2 : 1024;
      sqlite3_int64 *nps = realloc(r->ps, ncap * sizeof *nps);
      if (nps)
        r->ps = nps;
      bool *npc = nps ? realloc(r->pcue, ncap * sizeof *npc) : NULL;
      if (!npc) {
        s = SQLITE_NOMEM;
        break;
      }
      r->pcue = npc;
      r->pcap = ncap;
    }
    r->pcue[r->np] = cue;
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
    char stem[MAX_TERM_LEN + 1]; /* stemmed once, as baton_match_text() stems what it glues */
    baton__fmt(stem, sizeof stem, "%s", r->tw->w[t]);
    stem[baton__stem(stem, strlen(stem))] = '\0';
    for (size_t k = 0; k < r->nkeys && s == SQLITE_DONE; k++)
      s = read_word(r, r->keys[k], stem, r->search && baton__kind_names(r->specs[k], stem));
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
      x->known = x->valid = x->ok = !r->task;
      x->w += r->idf[t];
      x->kw += r->pcue[i] ? r->idf[t] : 0.0;
    }
  }
  return SQLITE_DONE;
}

/* Marks a hit as a model of the task, with its base and endpoint check. */
static void settle(ranker *r, hit *x, double base, const char *endpoint) {
  x->known = x->valid = true;
  x->base = base;
  x->ok = !r->eps || baton__epset_has(r->eps, endpoint);
}

/* Settles one hit from its row. */
static int lookup_hit(ranker *r, hit *x) {
  sqlite3_stmt *st = r->reg->st_row_base;
  sqlite3_bind_int64(st, 1, x->rowid);
  int s = sqlite3_step(st);
  x->known = true;
  if (s == SQLITE_ROW && sqlite3_column_int(st, 3) >= (r->enabled_only ? 1 : 0) &&
      !strcmp((const char *)sqlite3_column_text(st, 2), r->task))
    settle(r, x, sqlite3_column_double(st, 0), (const char *)sqlite3_column_text(st, 1));
  sqlite3_reset(st);
  return s == SQLITE_ROW || s == SQLITE_DONE ? SQLITE_DONE : s;
}

/* Every hit settled by a lookup of its row. */
static int lookup_all(ranker *r) {
  int s = SQLITE_DONE;
  for (size_t i = 0; i < r->h.cap && s == SQLITE_DONE; i++)
    if (r->h.v[i].rowid != NO_ROW)
      s = lookup_hit(r, &r->h.v[i]);
  return s;
}

/* Every hit settled by one scan of the task's index entries: those it does
 * not meet are no model of the task. */
static int scan_all(ranker *r) {
  sqlite3_stmt *st = r->reg->st_task_bases;
  sqlite3_bind_text(st, 1, r->task, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, r->enabled_only ? 1 : 0);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    hit *x = hits_get(&r->h, sqlite3_column_int64(st, 0), false, 0);
    if (x)
      settle(r, x, sqlite3_column_double(st, 1), (const char *)sqlite3_column_text(st, 2));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  for (size_t i = 0; i < r->h.cap; i++)
    r->h.v[i].known = true;
  return s;
}

/* Reads st (rowid, base of models of endpoint, best base first) until L
 * hits are settled; *more tells whether entries were left, whose base is
 * then at most *bound. */
static int stream_hits(ranker *r, sqlite3_stmt *st, const char *endpoint, size_t L, bool *more,
                       double *bound) {
  size_t found = 0;
  int s;
  *more = false;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    hit *x = hits_get(&r->h, sqlite3_column_int64(st, 0), false, 0);
    if (!x || x->known)
      continue;
    settle(r, x, sqlite3_column_double(st, 1), endpoint);
    if (++found >= L) {
      *more = true;
      *bound = x->base;
      s = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s;
}

/* The hits among the first of the task's enabled models by base (of each
 * accepted endpoint) settled, until L hits each: every readable hit left
 * has a base of at most unknown_base. */
static int stream_bases(ranker *r, size_t L) {
  int s = SQLITE_DONE;
  r->unknown_left = false;
  for (size_t i = 0; s == SQLITE_DONE && i < (r->eps ? r->eps->n : 1); i++) {
    sqlite3_stmt *st = r->eps ? r->reg->st_base_order_ep : r->reg->st_base_order;
    sqlite3_bind_text(st, 1, r->task, -1, SQLITE_STATIC);
    if (r->eps)
      sqlite3_bind_text(st, 2, r->eps->v[i], -1, SQLITE_STATIC);
    bool more;
    double bound = 0;
    s = stream_hits(r, st, r->eps ? r->eps->v[i] : "", L, &more, &bound);
    if (more && (!r->unknown_left || bound > r->unknown_base))
      r->unknown_base = bound;
    r->unknown_left = r->unknown_left || more;
  }
  return s;
}

/* Base, validity and endpoint of the hits of a match, by what should read
 * least: a lookup per hit when they are few; else the task's index - for a
 * match best base first, only until L hits of each accepted endpoint are
 * met (about L * N / hits entries), so the work follows the hits and L,
 * not the task's size; for a listing all of it. */
static int fill_bases(ranker *r, size_t L) {
  double hn = (double)r->h.n, n = (double)r->N;
  bool dense = n <= SCAN_RATIO * hn;
  if (r->enabled_only && (dense || (double)L * n <= SCAN_RATIO * hn * hn))
    return stream_bases(r, L);
  return dense ? scan_all(r) : lookup_all(r);
}

/* Can the hit's weight be w_best: a row found, not known to be no model of the task? */
static bool may_be_best(const hit *x) {
  return x->rowid != NO_ROW && x->w > 0 && (!x->known || x->valid);
}

/* w_best: the largest weight of a model of the task, readable or not.
 * Hits not known are looked up heaviest first until the heaviest is known:
 * usually none or one. */
static int best_weight(ranker *r) {
  const hit *top = NULL; /* the heaviest: known (always, in a search), it is the answer */
  for (size_t i = 0; i < r->h.cap; i++)
    if (may_be_best(&r->h.v[i]) && (!top || r->h.v[i].w > top->w))
      top = &r->h.v[i];
  r->w_best = top && top->known ? top->w : 0;
  if (!top || top->known)
    return SQLITE_DONE;
  hit *v = malloc((r->h.n ? r->h.n : 1) * sizeof *v);
  if (!v)
    return SQLITE_NOMEM;
  size_t n = 0;
  for (size_t i = 0; i < r->h.cap; i++)
    if (may_be_best(&r->h.v[i])) {
      v[n] = r->h.v[i];
      v[n].ub = v[n].w;
      n++;
    }
  for (size_t i = n / 2; i-- > 0;)
    hit_sift(v, n, i);
  int s = SQLITE_DONE;
  r->w_best = 0;
  while (n && s == SQLITE_DONE) {
    hit *x = hits_get(&r->h, v[0].rowid, false, 0);
    if (!x->known)
      s = lookup_hit(r, x);
    if (x->valid) {
      r->w_best = x->w;
      break;
    }
    v[0] = v[--n];
    hit_sift(v, n, 0);
  }
  free(v);
  return s;
}

/* A search's kind_bonus of a row whose words weigh kw in its task kind (score.c); 0 in a match. */
static double kind_bonus(const ranker *r, double kw) {
  return r->search ? BATON__KIND_WEIGHT * kw / r->w_all : 0.0;
}

/* The most runnable_bonus a row may get: a search's, when some endpoint runs here. */
static double runnable_bound(const ranker *r) {
  return r->search && r->runs && r->runs->n ? BATON__RUNNABLE_BONUS : 0.0;
}

/* The readable rows in a max-heap on their score bound
 * relevance + base (+ a search's bonuses), relevance = 0.75 * w / w_best + 0.25 * w / w_all
 * (base: the row's, or unknown_base for a hit not known). */
static int order_rows(ranker *r) {
  r->rows = r->h.v; /* the table's last use: the heap takes its place (rows before i are done) */
  r->h.v = NULL;
  for (size_t i = 0; i < r->h.cap && r->w_best > 0; i++) {
    const hit x = r->rows[i];
    if (x.rowid == NO_ROW || x.w <= 0 || !(x.known ? x.valid && x.ok : r->unknown_left))
      continue;
    hit *y = &r->rows[r->nr++];
    *y = x;
    y->ub = (x.known ? x.base : r->unknown_base) + 0.75 * x.w / r->w_best +
            0.25 * x.w / r->w_all + kind_bonus(r, x.kw) + runnable_bound(r);
  }
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
      (!r->task || !strcmp((const char *)sqlite3_column_text(row, 1), r->task)) &&
      (!r->eps || baton__epset_has(r->eps, (const char *)sqlite3_column_text(row, 3)))) {
    bool added;
    s = baton__cands_add(c, row, &added);
    if (added) {
      baton__model *m = &c->v[c->n - 1];
      m->relevance = 0.75 * x->w / r->w_best + 0.25 * x->w / r->w_all;
      m->kind_bonus = kind_bonus(r, x->kw);
      m->available = r->runs && sqlite3_column_int(row, 9) && baton__epset_has(r->runs, m->endpoint);
      m->runnable_bonus = m->available ? BATON__RUNNABLE_BONUS : 0.0;
      m->score = m->relevance + m->popularity + m->local_bonus + m->health + m->kind_bonus +
                 m->runnable_bonus;
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
 * task the base and endpoint of the rows found come from the index (or the
 * row): for a match, from the task's models best base first, only until L
 * rows found of each accepted endpoint were met; the rows not met then have
 * a base of at most where that stopped. So every row has a score bound
 * (relevance + base; health only lowers it) without being read; for a
 * search the bound uses the largest base there can be. Rows whose endpoint
 * eps does not hold are never read. Rows are then read best bound first,
 * until no row left could beat the L-th best score read. c->fts_trunc
 * tells whether rows were left and c->fts_floor bounds their score.
 * enabled_only skips disabled models. Work and memory follow the postings
 * of the words and L, not the registry.
 */
static int rank(ranker r, size_t L, double now, cands *c, char *err, size_t errlen) {
  baton__registry *reg = r.reg;
  const char *task = r.task;
  c->fts_trunc = false;
  if (!r.tw->n || !L)
    return 0;
  int s = task_keys(&r);
  if (s == SQLITE_DONE)
    s = read_postings(&r);
  if (s == SQLITE_DONE && r.np)
    s = count_models(&r);
  if (s == SQLITE_DONE && r.np)
    s = weigh(&r);
  if (s == SQLITE_DONE && r.np && task)
    s = fill_bases(&r, L);
  if (s == SQLITE_DONE && r.np)
    s = best_weight(&r);
  if (s == SQLITE_DONE && r.np)
    s = order_rows(&r);
  if (s == SQLITE_DONE && r.nr)
    s = read_best(&r, L, now, c);
  ranker_release(&r);
  return baton__step_end(reg->db, s, err, errlen, "model match failed");
}

int baton__rank_terms(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                      double now, bool enabled_only, const baton__epset *eps, cands *c,
                      char *err, size_t errlen) {
  ranker r = {.reg = reg, .task = task, .tw = tw, .enabled_only = enabled_only, .eps = eps};
  return rank(r, L, now, c, err, errlen);
}

int baton__rank_search(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                       double now, const baton__epset *runs, cands *c, char *err,
                       size_t errlen) {
  ranker r = {.reg = reg, .task = task, .tw = tw, .search = true, .runs = runs};
  return rank(r, L, now, c, err, errlen);
}
