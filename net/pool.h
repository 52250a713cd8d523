/* pool.h — the replica pool: which configured endpoint serves a model's next request, and each endpoint's health. */
#ifndef BATON_NET_POOL_H
#define BATON_NET_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "net/http.h"

/*
 * One pool per baton context, built from cfg->endpoints. A model id declared
 * under several endpoints has several replicas. A request goes to the
 * healthy replica with the fewest requests in flight (ties: the one used
 * least recently); max_inflight per endpoint is honoured by waiting, never by
 * failing; an endpoint that refused a connection, timed out or answered 5xx
 * is "down" and skipped until its back-off passes (500 ms doubling to 30 s,
 * with jitter); after a 429 no request goes to that endpoint until its
 * Retry-After passed (at most 5 min: then one request asks again), or,
 * without one, for 1 s doubling with each 429 in a row up to 30 s. With a hold source
 * (baton__pool_on_hold) a hold-off another process was told, and a down state another process
 * found, are honoured too.
 *
 * Keys: the pool hands an endpoint's key only to requests for that endpoint,
 * and removes any configured key from error text it keeps or returns.
 *
 * Thread safety: every call may be made from any thread at once, except
 * baton__pool_free().
 */
typedef struct baton__pool baton__pool;

/* Builds the pool. cfg is borrowed and must outlive the pool (leases point
 * into it). Returns NULL only when out of memory (err says so). A config
 * without endpoints gives an empty pool. */
baton__pool *baton__pool_new(const baton__config *cfg, char *err, size_t errlen);
/* NULL is a no-op. No lease may be outstanding. */
void baton__pool_free(baton__pool *p);

/* Whether any endpoint declares the model id. */
bool baton__pool_has_model(const baton__pool *p, const char *model_id);

/* Outcomes of one request (for baton__pool_release), and results of the
 * acquire/run helpers. */
typedef enum baton__pool_status {
  BATON__POOL_OK = 0,        /* answered; the replica is healthy */
  BATON__POOL_DOWN,          /* refused, unreachable, timed out or 5xx: mark down */
  BATON__POOL_RATE_LIMITED,  /* 429: no request to that endpoint until retry_after_ms */
  BATON__POOL_CLIENT_ERROR,  /* the request itself failed (4xx, unusable answer): the
                                endpoint is fine; the task failed on the model */
  BATON__POOL_CANCELLED,     /* the task was cancelled; says nothing about health */
  BATON__POOL_TIMEOUT,       /* no replica became free within the time given */
  BATON__POOL_UNKNOWN_MODEL, /* no endpoint declares the model */
  BATON__POOL_BAD_INPUT      /* the server refused the request's input (400, 413, 415, 422:
                                baton__http_bad_input): neither the endpoint's nor the model's
                                fault, so it only counts as a request */
} baton__pool_status;

/* A short stable name ("ok", "down", "rate-limited", ...). */
const char *baton__pool_status_name(baton__pool_status st);

/* A replica granted for one request. Everything borrowed from the pool's
 * config until baton__pool_free(). */
typedef struct baton__lease {
  const baton__endpoint_cfg *ep; /* name, base_url, api_key (or NULL) of the endpoint */
  const char *model;             /* the model id */
  long timeout_ms;               /* for this request: the endpoint's timeout_ms within
                                    the time left; 0 = none */
  size_t slot;                   /* internal */
  long long started_ms;          /* internal */
} baton__lease;

/*
 * Waits for a replica of model_id and takes one in-flight slot on it.
 * Waits (does not fail) while every replica is busy or rate-limited, at most
 * timeout_ms (0: no bound) and until *cancel (may be NULL) becomes non-zero.
 * Replicas marked down are skipped until their back-off passes; when every
 * replica is down it waits for the first back-off to pass.
 * Returns BATON__POOL_OK with *lease filled, or TIMEOUT, CANCELLED,
 * UNKNOWN_MODEL, or RATE_LIMITED (every replica asked to wait past the
 * timeout) with err set. Every OK must be matched by one release.
 */
baton__pool_status baton__pool_acquire(baton__pool *p, const char *model_id,
                                       const atomic_int *cancel, long timeout_ms,
                                       baton__lease *lease, char *err, size_t errlen);

/* Gives the slot back and records the outcome: OK marks the endpoint up;
 * DOWN marks it down with a growing back-off; RATE_LIMITED blocks it for
 * retry_after_ms (at most 5 min; negative: 1 s doubling with each 429 in a row,
 * up to 30 s); CLIENT_ERROR and CANCELLED only count;
 * BAD_INPUT counts as a request and nothing else (no failure, no last error).
 * error (or NULL) is kept as the endpoint's last error (keys removed). */
void baton__pool_release(baton__pool *p, baton__lease *lease, baton__pool_status outcome,
                         long retry_after_ms, const char *error);

/* The outcome an HTTP result means for the endpoint's health; for a 429
 * *retry_after_ms (may be NULL) receives the wait asked for (-1 none).
 * 2xx -> OK; an error whose body says the model cannot take that kind of input
 * (baton__http_model_cannot) -> CLIENT_ERROR; refused, DNS, timeout, broken
 * connection, 5xx but 501 -> DOWN; 429 -> RATE_LIMITED; 400, 413, 415, 422 ->
 * BAD_INPUT; cancelled -> CANCELLED; the rest -> CLIENT_ERROR. */
baton__pool_status baton__pool_outcome(baton__http_rc rc, const baton__http_response *resp,
                                       long *retry_after_ms);

/* One attempt of a request on a granted replica: performs it and returns its
 * outcome (as baton__pool_outcome() would), with *retry_after_ms for a 429
 * and err describing a failure. Called on the caller's thread. */
typedef baton__pool_status (*baton__pool_try_fn)(void *ud, const baton__lease *lease,
                                                 long *retry_after_ms, char *err,
                                                 size_t errlen);

/*
 * Runs one request with failover: acquires a replica, calls fn, releases
 * with fn's outcome; on DOWN or RATE_LIMITED tries another replica (each
 * replica at most once for DOWN). Failover is not a model failure: only the
 * final result counts. Returns OK, CLIENT_ERROR or BAD_INPUT as fn returned them (err
 * from fn), DOWN when every replica failed (err names the last endpoint and
 * why: the caller may retry later), or the acquire results (RATE_LIMITED: err
 * holds the last endpoint's answer, then how long it is held off). endpoint (or
 * NULL) receives the name of the endpoint that gave the final answer.
 * failovers (or NULL) receives the number of replicas given up on.
 */
baton__pool_status baton__pool_run(baton__pool *p, const char *model_id,
                                   const atomic_int *cancel, long timeout_ms,
                                   baton__pool_try_fn fn, void *ud, char *endpoint,
                                   size_t endpoint_cap, int *failovers, char *err,
                                   size_t errlen);

/*
 * baton__pool_run() for one HTTP request: req is the template (every field
 * borrowed; url, bearer and timeout_ms are replaced per replica by
 * base_url + path, the endpoint's key and the lease's timeout; cancel is
 * req->cancel). resp receives the final answer: on OK the 2xx, on
 * CLIENT_ERROR the failing answer (resp->status 0 when none came, e.g. too
 * big), on DOWN the last replica's answer or error. err gets
 * "ENDPOINT: problem" for anything but OK (an HTTP error body is summarised
 * with baton__http_error_text()). With req->on_data, data already handed over
 * is not taken back when a replica fails mid-answer.
 */
baton__pool_status baton__pool_http(baton__pool *p, const char *model_id, const char *path,
                                    const baton__http_request *req, long timeout_ms,
                                    baton__http_response *resp, char *endpoint,
                                    size_t endpoint_cap, char *err, size_t errlen);

/* ---- health ------------------------------------------------------------- */

/* One endpoint's state, copied out of the pool. */
typedef struct baton__endpoint_health {
  const baton__endpoint_cfg *ep; /* borrowed from the pool's config: name, base_url, models */
  int in_flight;                 /* requests running now (in this process) */
  bool up;                       /* false while marked down */
  long retry_in_ms;              /* down: time until it is tried again; else 0 */
  long limited_ms;               /* rate-limited: time until requests may go again; else 0 */
  int consecutive_failures;
  long long requests;            /* finished requests, by outcome below */
  long long ok, down, rate_limited, client_errors;
  double last_ok_s;              /* wall-clock seconds; 0 = never */
  double last_error_s;           /* 0 = never */
  char last_error[256];          /* "" = none; never holds a key */
  double held_until_s;           /* rate-limited: wall-clock seconds until then; else 0 */
  char held_reason[32];          /* why it is held off ("429"); "" when not */
  int limits;                    /* 429s in a row */
  bool last_ok;                  /* the last request recorded was answered */
} baton__endpoint_health;

/* Number of endpoints. */
size_t baton__pool_size(const baton__pool *p);
/* Copies the state of endpoints [0, min(cap, size)) into out, in config
 * order; returns the number of endpoints. */
size_t baton__pool_snapshot(baton__pool *p, baton__endpoint_health *out, size_t cap);

/* Called after a request changed an endpoint's state (up <-> down, rate
 * limited, a new error, the first answer this pool got from it) on the
 * releasing thread, outside the pool's lock, with a snapshot borrowed for
 * the call. For keeping health somewhere (the registry). fn NULL removes
 * it. Set it before requests run. */
typedef void (*baton__pool_health_fn)(void *ud, const baton__endpoint_health *h);
void baton__pool_on_health(baton__pool *p, baton__pool_health_fn fn, void *ud);

/* What other processes recorded for an endpoint: a hold-off it was told (a 429) and a down
 * state (it failed: refused, no answer in time, 5xx). */
typedef struct baton__pool_hold {
  double until_s;          /* held off until (wall-clock seconds); 0 = none */
  int limits;              /* 429s in a row */
  char reason[32];         /* why held off ("429") */
  double down_until_s;     /* down: not asked before (wall-clock seconds); 0 = not down */
  int fails;               /* failures in a row */
  char last_error[256];    /* the last failure's text, "" none */
} baton__pool_hold;

/* Where the state other processes recorded is read: fills *out (zeroed first) for the endpoint.
 * Asked outside the pool's lock for each replica of a model before it is acquired, so a
 * hold-off kept there is honoured as if this pool had got the 429 (at most 5 min from now), and
 * a down state ending later than this pool's own marks the replica down until then (at most
 * the 30 s back-off cap from now), its failure count kept so the back-off keeps doubling. While
 * every replica is down that way, acquiring fails at once, saying until when. fn NULL removes
 * it. Set it before requests run. */
typedef void (*baton__pool_hold_fn)(void *ud, const baton__endpoint_cfg *ep, baton__pool_hold *out);
void baton__pool_on_hold(baton__pool *p, baton__pool_hold_fn fn, void *ud);

#endif
