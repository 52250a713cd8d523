/* pool.c — the replica pool: choosing an endpoint for a model, in-flight limits, down/back-off and 429 state. */
#include "net/pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "net/pool_internal.h"
#include "core/banned.h"

#define POOL_BACKOFF_BASE_MS 500
#define POOL_BACKOFF_CAP_MS 30000
#define POOL_DEFAULT_LIMIT_MS 1000 /* a 429 without Retry-After: 1 s, doubling to the cap */
#define POOL_LIMIT_CAP_MS 30000
#define POOL_MAX_LIMIT_MS 300000 /* a longer Retry-After is cut to 5 min: then one request probes */
#define POOL_WAIT_SLICE_MS 20 /* how often a waiting acquire looks at its cancel flag */

typedef struct ep_state {
  const baton__endpoint_cfg *ep;
  int in_flight;
  bool down;
  int64_t down_until;    /* monotonic ms */
  int64_t limited_until; /* monotonic ms; 0 = not limited */
  int fails;             /* consecutive DOWN outcomes */
  int limits;            /* consecutive RATE_LIMITED outcomes */
  long long picked;      /* pool sequence number of the last grant */
  long long requests, ok, n_down, n_limited, n_client;
  double last_ok_s, last_error_s;
  char last_error[256];
  char held_reason[32];  /* why limited_until holds it off ("429") */
  bool last_ok;          /* the last outcome recorded was OK */
  bool down_recorded;    /* down_until was taken from another process's record */
} ep_state;

struct baton__pool {
  const baton__config *cfg;
  ep_state *eps;
  size_t n;
  pthread_mutex_t lock;
  pthread_cond_t freed; /* a slot was released or a state changed */
  unsigned seed;
  long long seq;
  baton__pool_health_fn on_health;
  void *health_ud;
  baton__pool_hold_fn on_hold;
  void *hold_ud;
};

static const char *const status_names[] = {
    [BATON__POOL_OK] = "ok",
    [BATON__POOL_DOWN] = "down",
    [BATON__POOL_RATE_LIMITED] = "rate-limited",
    [BATON__POOL_CLIENT_ERROR] = "client-error",
    [BATON__POOL_CANCELLED] = "cancelled",
    [BATON__POOL_TIMEOUT] = "timeout",
    [BATON__POOL_UNKNOWN_MODEL] = "unknown-model",
    [BATON__POOL_BAD_INPUT] = "bad-input",
};

const char *baton__pool_status_name(baton__pool_status st) {
  return (size_t)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : "?";
}

baton__pool *baton__pool_new(const baton__config *cfg, char *err, size_t errlen) {
  baton__pool *p = calloc(1, sizeof *p);
  if (!p || (cfg->n_endpoints && !(p->eps = calloc(cfg->n_endpoints, sizeof *p->eps)))) {
    free(p);
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  p->cfg = cfg;
  p->n = cfg->n_endpoints;
  for (size_t i = 0; i < p->n; i++)
    p->eps[i].ep = &cfg->endpoints[i];
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->freed, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&p->lock, NULL);
  p->seed = baton__http_seed();
  return p;
}

void baton__pool_free(baton__pool *p) {
  if (!p)
    return;
  pthread_cond_destroy(&p->freed);
  pthread_mutex_destroy(&p->lock);
  free(p->eps);
  free(p);
}

static bool serves(const baton__endpoint_cfg *ep, const char *model) {
  for (size_t j = 0; j < ep->n_models; j++)
    if (strcmp(ep->models[j].id, model) == 0)
      return true;
  return false;
}

bool baton__pool_has_model(const baton__pool *p, const char *model_id) {
  for (size_t i = 0; p && model_id && i < p->n; i++)
    if (serves(p->eps[i].ep, model_id))
      return true;
  return false;
}

/* ---- keys out of error text ------------------------------------------- */

static void redact_one(char *s, const char *key) {
  size_t kl = key ? strlen(key) : 0;
  if (kl < 4)
    return;
  static const char mark[] = "[key]";
  char *at;
  while ((at = strstr(s, key))) {
    memcpy(at, mark, sizeof mark - 1);
    memmove(at + sizeof mark - 1, at + kl, strlen(at + kl) + 1);
  }
}

void baton__pool_redact(const baton__pool *p, char *s) {
  for (size_t i = 0; i < p->n; i++)
    redact_one(s, p->eps[i].ep->api_key);
  redact_one(s, p->cfg->llm_api_key);
  redact_one(s, p->cfg->hf_token);
}

/* ---- acquire ---------------------------------------------------------- */

/* Why no replica could be granted now, gathered while looking. */
typedef struct scan {
  bool known;          /* some endpoint serves the model */
  bool busy;           /* some replica is only full */
  int64_t soonest;     /* earliest time a down or limited replica is allowed again */
  bool limited;        /* the soonest one is rate-limited (not down) */
  bool recorded;       /* the soonest one is down as another process recorded */
  long soonest_slot;   /* its slot */
  long best;           /* the chosen slot, or -1 */
} scan;

static scan look(baton__pool *p, const char *model, const bool *skip, int64_t now) {
  scan s = {.soonest = INT64_MAX, .best = -1};
  for (size_t i = 0; i < p->n; i++) {
    ep_state *e = &p->eps[i];
    if (!serves(e->ep, model))
      continue;
    s.known = true;
    if (skip && skip[i])
      continue;
    int64_t until = e->limited_until > now ? e->limited_until : 0;
    if (e->down && e->down_until > now && e->down_until > until)
      until = e->down_until;
    if (until) {
      if (until < s.soonest) {
        s.soonest = until;
        s.limited = until == e->limited_until;
        s.recorded = !s.limited && e->down_recorded;
        s.soonest_slot = (long)i;
      }
      continue;
    }
    if (e->in_flight >= e->ep->max_inflight) {
      s.busy = true;
      continue;
    }
    const ep_state *b = s.best >= 0 ? &p->eps[s.best] : NULL;
    if (!b || e->in_flight < b->in_flight || (e->in_flight == b->in_flight && e->picked < b->picked))
      s.best = (long)i;
  }
  return s;
}

static void grant(baton__pool *p, size_t i, const char *model, int64_t now, int64_t deadline,
                  baton__lease *lease) {
  ep_state *e = &p->eps[i];
  e->in_flight++;
  e->picked = ++p->seq;
  long t = e->ep->timeout_ms;
  if (deadline) {
    long left = (long)(deadline - now);
    if (left < 1)
      left = 1;
    if (!t || left < t)
      t = left;
  }
  *lease = (baton__lease){.ep = e->ep, .model = model, .timeout_ms = t, .slot = i,
                          .started_ms = now};
}

static void wait_until(baton__pool *p, int64_t until_ms) {
  int64_t now = baton__now_ms();
  if (until_ms - now > POOL_WAIT_SLICE_MS)
    until_ms = now + POOL_WAIT_SLICE_MS;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t ns = (int64_t)ts.tv_nsec + (until_ms - now) * 1000000LL;
  ts.tv_sec += (time_t)(ns / 1000000000LL);
  ts.tv_nsec = (long)(ns % 1000000000LL);
  pthread_cond_timedwait(&p->freed, &p->lock, &ts);
}

/* Fills err for a replica set that cannot serve in time. */
static baton__pool_status no_replica(baton__pool *p, const char *model, const scan *s,
                                     int64_t now, long timeout_ms, char *err, size_t errlen) {
  if (!s->known) {
    baton__fmt(err, errlen, "no configured endpoint serves model '%s'", model);
    return BATON__POOL_UNKNOWN_MODEL;
  }
  if (!s->busy && s->soonest == INT64_MAX) {
    baton__fmt(err, errlen, "every replica of '%s' failed", model);
    return BATON__POOL_DOWN;
  }
  if (!s->busy && s->limited) {
    const ep_state *e = &p->eps[s->soonest_slot];
    char at[16];
    baton__clock_text(baton__wall_s() + (double)(e->limited_until - now) / 1000.0, at,
                      sizeof at);
    baton__fmt(err, errlen,
               "every replica of '%s' is rate-limited for %.1f s more, past the time left: "
               "%s is held off until %s (%s)",
               model, (double)(s->soonest - now) / 1000.0, e->ep->name, at,
               e->held_reason[0] ? e->held_reason : "429");
    return BATON__POOL_RATE_LIMITED;
  }
  if (!s->busy && s->recorded) {
    const ep_state *e = &p->eps[s->soonest_slot];
    char at[16];
    baton__clock_text(baton__wall_s() + (double)(e->down_until - now) / 1000.0, at, sizeof at);
    char named[300];
    baton__fmt(named, sizeof named, "model server %s (%s) ", e->ep->name, e->ep->base_url);
    const char *last = e->last_error[0] ? e->last_error : "failed";
    if (strncmp(last, named, strlen(named)) == 0)
      last += strlen(named); /* the server is named once */
    baton__fmt(err, errlen, "%sis down until %s: %s", named, at, last);
    return BATON__POOL_DOWN;
  }
  baton__fmt(err, errlen, "no replica of '%s' was free within %ld ms (all busy or down)", model,
             timeout_ms);
  return BATON__POOL_TIMEOUT;
}

/* Takes in a 429's hold-off another process recorded when it ends later than e's own. */
static void take_hold(ep_state *e, const baton__pool_hold *h, int64_t now) {
  double left_ms = (h->until_s - baton__wall_s()) * 1000.0;
  if (!(left_ms > 0))
    return;
  int64_t held = now + (int64_t)(left_ms < POOL_MAX_LIMIT_MS ? left_ms : POOL_MAX_LIMIT_MS);
  if (held > e->limited_until) {
    e->limited_until = held;
    baton__fmt(e->held_reason, sizeof e->held_reason, "%s", h->reason[0] ? h->reason : "429");
  }
  if (h->limits > e->limits)
    e->limits = h->limits;
}

/* Takes in a down state another process recorded when it ends later than e's own (by more than
 * the clock conversion's slack, so this pool's own record read back is not taken for another's),
 * at most the back-off cap from now; the failure count is kept so the back-off keeps doubling. */
static void take_down(ep_state *e, const baton__pool_hold *h, int64_t now) {
  double left_ms = (h->down_until_s - baton__wall_s()) * 1000.0;
  if (!(left_ms > 0))
    return;
  int64_t until = now + (int64_t)(left_ms < POOL_BACKOFF_CAP_MS ? left_ms : POOL_BACKOFF_CAP_MS);
  if (h->fails > e->fails)
    e->fails = h->fails;
  if (e->down && until <= e->down_until + 100)
    return;
  e->down = true;
  e->down_until = until;
  e->down_recorded = true;
  if (h->last_error[0])
    baton__fmt(e->last_error, sizeof e->last_error, "%s", h->last_error);
}

/* Takes in the hold-offs and down states other processes recorded for the replicas of model
 * (see baton__pool_on_hold): one that ends later than this pool's own holds the replica off. */
static void load_holds(baton__pool *p, const char *model, const bool *skip) {
  pthread_mutex_lock(&p->lock);
  baton__pool_hold_fn fn = p->on_hold;
  void *ud = p->hold_ud;
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 0; fn && i < p->n; i++) {
    if ((skip && skip[i]) || !serves(p->eps[i].ep, model))
      continue;
    baton__pool_hold h;
    memset(&h, 0, sizeof h);
    fn(ud, p->eps[i].ep, &h);
    h.reason[sizeof h.reason - 1] = '\0';
    h.last_error[sizeof h.last_error - 1] = '\0';
    pthread_mutex_lock(&p->lock);
    int64_t now = baton__now_ms();
    take_hold(&p->eps[i], &h, now);
    take_down(&p->eps[i], &h, now);
    pthread_mutex_unlock(&p->lock);
  }
}

baton__pool_status baton__pool_acquire_skip(baton__pool *p, const char *model, const atomic_int *cancel,
                                  long timeout_ms, const bool *skip, baton__lease *lease,
                                  char *err, size_t errlen) {
  int64_t deadline = timeout_ms > 0 ? baton__now_ms() + timeout_ms : 0;
  baton__pool_status st = BATON__POOL_OK;
  load_holds(p, model, skip);
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (cancel && atomic_load(cancel)) {
      baton__fmt(err, errlen, "cancelled");
      st = BATON__POOL_CANCELLED;
      break;
    }
    int64_t now = baton__now_ms();
    scan s = look(p, model, skip, now);
    if (s.best >= 0) {
      grant(p, (size_t)s.best, model, now, deadline, lease);
      break;
    }
    bool hopeless = !s.known || (!s.busy && s.soonest == INT64_MAX) ||
                    (!s.busy && s.recorded) || (!s.busy && deadline && s.soonest > deadline);
    if (hopeless || (deadline && now >= deadline)) {
      st = no_replica(p, model, &s, now, timeout_ms, err, errlen);
      break;
    }
    int64_t until = s.soonest;
    if (deadline && deadline < until)
      until = deadline;
    wait_until(p, until);
  }
  pthread_mutex_unlock(&p->lock);
  return st;
}

baton__pool_status baton__pool_acquire(baton__pool *p, const char *model_id,
                                       const atomic_int *cancel, long timeout_ms,
                                       baton__lease *lease, char *err, size_t errlen) {
  return baton__pool_acquire_skip(p, model_id, cancel, timeout_ms, NULL, lease, err, errlen);
}

/* ---- release and health ------------------------------------------------ */

static void fill_health(const ep_state *e, int64_t now, baton__endpoint_health *h) {
  memset(h, 0, sizeof *h);
  h->ep = e->ep;
  h->in_flight = e->in_flight;
  h->up = !e->down;
  h->retry_in_ms = e->down && e->down_until > now ? (long)(e->down_until - now) : 0;
  h->limited_ms = e->limited_until > now ? (long)(e->limited_until - now) : 0;
  h->consecutive_failures = e->fails;
  h->requests = e->requests;
  h->ok = e->ok;
  h->down = e->n_down;
  h->rate_limited = e->n_limited;
  h->client_errors = e->n_client;
  h->last_ok_s = e->last_ok_s;
  h->last_error_s = e->last_error_s;
  baton__fmt(h->last_error, sizeof h->last_error, "%s", e->last_error);
  if (h->limited_ms > 0) {
    h->held_until_s = baton__wall_s() + (double)h->limited_ms / 1000.0;
    baton__fmt(h->held_reason, sizeof h->held_reason, "%s", e->held_reason);
  }
  h->limits = e->limits;
  h->last_ok = e->last_ok;
}

/* Records an error text; true when it differs from the last one. */
static bool set_error(baton__pool *p, ep_state *e, const char *error) {
  char clean[sizeof e->last_error];
  baton__fmt(clean, sizeof clean, "%s", error && *error ? error : "failed");
  baton__pool_redact(p, clean);
  e->last_error_s = baton__wall_s();
  if (strcmp(clean, e->last_error) == 0)
    return false;
  memcpy(e->last_error, clean, sizeof clean);
  return true;
}

/* How long a 429 keeps requests off e: the Retry-After asked for, at most POOL_MAX_LIMIT_MS;
 * without one, a back-off growing with the 429s in a row, so a server that never says how long
 * is not asked again every second. */
static long limit_ms(baton__pool *p, const ep_state *e, long retry_after_ms) {
  if (retry_after_ms >= 0)
    return retry_after_ms < POOL_MAX_LIMIT_MS ? retry_after_ms : POOL_MAX_LIMIT_MS;
  return baton__http_backoff_ms(e->limits - 1, POOL_DEFAULT_LIMIT_MS, POOL_LIMIT_CAP_MS,
                                &p->seed);
}

/* Applies an outcome; returns whether the endpoint's state changed. */
static bool record(baton__pool *p, ep_state *e, baton__pool_status outcome, long retry_after_ms,
                   const char *error, int64_t now) {
  bool changed = false;
  switch (outcome) {
  case BATON__POOL_OK:
    e->ok++;
    /* The first answer this pool sees is news too: a store that another process left saying
     * "down" learns the endpoint is back. */
    changed = e->down || e->fails || e->last_ok_s == 0 || e->limits || e->limited_until > now;
    e->down = false;
    e->fails = 0;
    e->limits = 0; /* the first good answer ends any hold-off, here and in the store */
    e->limited_until = 0;
    e->held_reason[0] = '\0';
    e->last_ok_s = baton__wall_s();
    break;
  case BATON__POOL_DOWN:
    e->n_down++;
    e->fails++;
    e->down = true;
    e->down_until = now + baton__http_backoff_ms(e->fails - 1, POOL_BACKOFF_BASE_MS,
                                                  POOL_BACKOFF_CAP_MS, &p->seed);
    set_error(p, e, error);
    changed = true; /* each failure: its count and retry_at, for the next process */
    break;
  case BATON__POOL_RATE_LIMITED:
    e->n_limited++;
    e->limits++;
    e->limited_until = now + limit_ms(p, e, retry_after_ms);
    baton__fmt(e->held_reason, sizeof e->held_reason, "429");
    set_error(p, e, error);
    changed = true;
    break;
  case BATON__POOL_CLIENT_ERROR:
    e->n_client++;
    changed = set_error(p, e, error);
    break;
  case BATON__POOL_BAD_INPUT: /* the caller's input: the endpoint answered as it should */
    break;
  default:
    return false; /* cancelled: says nothing about the endpoint */
  }
  e->last_ok = outcome == BATON__POOL_OK;
  e->down_recorded = false; /* this pool asked it itself */
  e->requests++;
  return changed;
}

void baton__pool_release(baton__pool *p, baton__lease *lease, baton__pool_status outcome,
                         long retry_after_ms, const char *error) {
  if (!p || !lease || !lease->ep || lease->slot >= p->n)
    return;
  baton__endpoint_health h;
  pthread_mutex_lock(&p->lock);
  ep_state *e = &p->eps[lease->slot];
  int64_t now = baton__now_ms();
  if (e->in_flight > 0)
    e->in_flight--;
  bool changed = record(p, e, outcome, retry_after_ms, error, now);
  baton__pool_health_fn fn = p->on_health;
  void *ud = p->health_ud;
  if (changed && fn)
    fill_health(e, now, &h);
  pthread_cond_broadcast(&p->freed);
  pthread_mutex_unlock(&p->lock);
  lease->ep = NULL;
  if (changed && fn)
    fn(ud, &h);
}

size_t baton__pool_size(const baton__pool *p) { return p ? p->n : 0; }

size_t baton__pool_snapshot(baton__pool *p, baton__endpoint_health *out, size_t cap) {
  if (!p)
    return 0;
  pthread_mutex_lock(&p->lock);
  int64_t now = baton__now_ms();
  for (size_t i = 0; i < p->n && i < cap; i++)
    fill_health(&p->eps[i], now, &out[i]);
  pthread_mutex_unlock(&p->lock);
  return p->n;
}

void baton__pool_on_health(baton__pool *p, baton__pool_health_fn fn, void *ud) {
  pthread_mutex_lock(&p->lock);
  p->on_health = fn;
  p->health_ud = ud;
  pthread_mutex_unlock(&p->lock);
}

void baton__pool_on_hold(baton__pool *p, baton__pool_hold_fn fn, void *ud) {
  pthread_mutex_lock(&p->lock);
  p->on_hold = fn;
  p->hold_ud = ud;
  pthread_mutex_unlock(&p->lock);
}
