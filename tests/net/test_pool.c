/* test_pool.c — the replica pool against real loopback servers: choice, max_inflight, failover, back-off, 429, keys. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "net/pool.h"
#include "support/fake_http.h"
#include "support/support.h"

#define MAX_EPS 4

/* Endpoints "e0".."eN" all serving model "m" (and e0 also "solo"). */
typedef struct rig {
  baton__config cfg;
  baton__endpoint_cfg eps[MAX_EPS];
  baton__endpoint_model models[MAX_EPS][2];
  char urls[MAX_EPS][80];
  char names[MAX_EPS][24];
  baton__pool *pool;
} rig;

static char *task_list[] = {"summarization"};

static rig *rig_new(size_t n, fake_http *const *srv, int max_inflight, const char *const *keys) {
  rig *r = calloc(1, sizeof *r);
  for (size_t i = 0; i < n; i++) {
    snprintf(r->names[i], sizeof r->names[i], "e%zu", i);
    snprintf(r->urls[i], sizeof r->urls[i], "%s/v1", fake_http_url(srv[i]));
    r->models[i][0] = (baton__endpoint_model){.id = "m", .tasks = task_list, .n_tasks = 1};
    r->models[i][1] = (baton__endpoint_model){.id = "solo", .tasks = task_list, .n_tasks = 1};
    r->eps[i] = (baton__endpoint_cfg){.name = r->names[i], .base_url = r->urls[i],
                                      .api_key = keys ? (char *)keys[i] : NULL,
                                      .max_inflight = max_inflight, .models = r->models[i],
                                      .n_models = i == 0 ? 2 : 1};
  }
  r->cfg.endpoints = r->eps;
  r->cfg.n_endpoints = n;
  char err[128];
  r->pool = baton__pool_new(&r->cfg, err, sizeof err);
  cr_assert_not_null(r->pool, "%s", err);
  return r;
}

static void rig_free(rig *r) {
  baton__pool_free(r->pool);
  free(r);
}

static baton__pool_status post(rig *r, const char *model, long timeout_ms, char *endpoint,
                               char *err, size_t errlen) {
  baton__http_request req = {.body = "{\"x\":1}", .body_len = 7};
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__pool_status st = baton__pool_http(r->pool, model, "/chat/completions", &req, timeout_ms,
                                           &resp, endpoint, endpoint ? 16 : 0, err, errlen);
  baton__http_response_release(&resp);
  return st;
}

static void answer_after(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  resp->status = 200;
  resp->body = "{\"ok\":true}";
  resp->delay_ms = *(int *)ud;
}

static baton__endpoint_health health_of(rig *r, size_t i) {
  baton__endpoint_health h[MAX_EPS];
  baton__pool_snapshot(r->pool, h, MAX_EPS);
  return h[i];
}

Test(net_pool, the_replica_with_fewest_requests_in_flight_is_chosen) {
  fake_http *srv[3] = {fake_http_start(), fake_http_start(), fake_http_start()};
  rig *r = rig_new(3, srv, 4, NULL);
  baton__lease a, b, c, d;
  char err[256];
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 1000, &a, err, sizeof err), BATON__POOL_OK);
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 1000, &b, err, sizeof err), BATON__POOL_OK);
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 1000, &c, err, sizeof err), BATON__POOL_OK);
  cr_assert(a.ep != b.ep && b.ep != c.ep && a.ep != c.ep, "three leases spread over three replicas");
  baton__pool_release(r->pool, &b, BATON__POOL_OK, -1, NULL);
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 1000, &d, err, sizeof err), BATON__POOL_OK);
  cr_assert_str_eq(d.ep->name, r->names[1], "the idle replica gets the next request");
  cr_assert_eq(health_of(r, 0).in_flight + health_of(r, 1).in_flight + health_of(r, 2).in_flight, 3);
  baton__pool_release(r->pool, &a, BATON__POOL_OK, -1, NULL);
  baton__pool_release(r->pool, &c, BATON__POOL_OK, -1, NULL);
  baton__pool_release(r->pool, &d, BATON__POOL_OK, -1, NULL);
  cr_assert_eq(baton__pool_acquire(r->pool, "nope", NULL, 1000, &a, err, sizeof err),
               BATON__POOL_UNKNOWN_MODEL);
  cr_assert(strstr(err, "'nope'"), "%s", err);
  cr_assert(baton__pool_has_model(r->pool, "solo"));
  rig_free(r);
  for (int i = 0; i < 3; i++)
    fake_http_stop(srv[i]);
}

typedef struct worker {
  rig *r;
  int requests;
  int failures;
  char err[256];
} worker;

static void *run_requests(void *arg) {
  worker *w = arg;
  for (int i = 0; i < w->requests; i++) {
    char err[256];
    if (post(w->r, "m", 10000, NULL, err, sizeof err) != BATON__POOL_OK) {
      w->failures++;
      snprintf(w->err, sizeof w->err, "%s", err);
    }
  }
  return NULL;
}

static void run_workers(rig *r, int n, int each, worker *ws) {
  pthread_t th[16];
  for (int i = 0; i < n; i++) {
    ws[i] = (worker){.r = r, .requests = each};
    pthread_create(&th[i], NULL, run_requests, &ws[i]);
  }
  for (int i = 0; i < n; i++)
    pthread_join(th[i], NULL);
}

Test(net_pool, max_inflight_holds_and_busy_tasks_wait_instead_of_failing) {
  fake_http *srv = fake_http_start();
  int delay = 40;
  fake_http_set_handler(srv, answer_after, &delay);
  rig *r = rig_new(1, &srv, 2, NULL);
  worker ws[6];
  run_workers(r, 6, 2, ws);
  for (int i = 0; i < 6; i++)
    cr_assert_eq(ws[i].failures, 0, "%s", ws[i].err);
  cr_assert_eq(fake_http_request_count(srv), 12);
  cr_assert_eq(fake_http_max_in_flight(srv), 2, "the server saw %d at once, max_inflight is 2",
               fake_http_max_in_flight(srv));
  baton__endpoint_health h = health_of(r, 0);
  cr_assert_eq(h.ok, 12);
  cr_assert_eq(h.in_flight, 0);
  /* With every slot taken and no time to wait, the wait ends in a timeout. */
  baton__lease a, b, c;
  char err[256];
  baton__pool_acquire(r->pool, "m", NULL, 1000, &a, err, sizeof err);
  baton__pool_acquire(r->pool, "m", NULL, 1000, &b, err, sizeof err);
  int64_t t0 = baton__now_ms();
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 100, &c, err, sizeof err),
               BATON__POOL_TIMEOUT);
  cr_assert_geq(baton__now_ms() - t0, 95);
  baton__pool_release(r->pool, &a, BATON__POOL_OK, -1, NULL);
  baton__pool_release(r->pool, &b, BATON__POOL_OK, -1, NULL);
  rig_free(r);
  fake_http_stop(srv);
}

typedef struct later_release {
  rig *r;
  baton__lease *lease;
  atomic_int *flag;
  atomic_llong set_at; /* when the flag was raised (ms) */
} later_release;

static void *cancel_soon(void *arg) {
  later_release *l = arg;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
  nanosleep(&ts, NULL);
  atomic_store(&l->set_at, (long long)baton__now_ms());
  atomic_store(l->flag, 1);
  return NULL;
}

Test(net_pool, a_task_waiting_for_a_busy_replica_can_be_cancelled) {
  fake_http *srv = fake_http_start();
  rig *r = rig_new(1, &srv, 1, NULL);
  baton__lease held, waiting;
  char err[256];
  cr_assert_eq(baton__pool_acquire(r->pool, "m", NULL, 0, &held, err, sizeof err), BATON__POOL_OK);
  atomic_int stop = 0;
  later_release l = {.r = r, .flag = &stop};
  pthread_t th;
  pthread_create(&th, NULL, cancel_soon, &l);
  cr_assert_eq(baton__pool_acquire(r->pool, "m", &stop, 0, &waiting, err, sizeof err),
               BATON__POOL_CANCELLED);
  int64_t took = baton__now_ms() - (int64_t)atomic_load(&l.set_at);
  pthread_join(th, NULL);
  /* The wait has no time limit: only the cancel ends it, soon (a loaded
   * machine under ASan may take a while to schedule the waiter). */
  cr_assert_lt(took, 2000, "the wait ended %lld ms after the cancel", (long long)took);
  baton__pool_release(r->pool, &held, BATON__POOL_OK, -1, NULL);
  rig_free(r);
  fake_http_stop(srv);
}

typedef struct killer {
  fake_http **srv;
  size_t after;
} killer;

/* Answers its first `served` requests after 30 ms, and holds every later
 * one until the server is stopped: however late the killer runs, work is
 * still waiting on the replica it kills. */
typedef struct doomed {
  atomic_int seen;
  int served;
} doomed;

static void answer_then_hold(const fake_http_request *req, fake_http_response *resp, void *ud) {
  doomed *dm = ud;
  (void)req;
  resp->status = 200;
  resp->body = "{\"ok\":true}";
  if (atomic_fetch_add(&dm->seen, 1) < dm->served)
    resp->delay_ms = 30;
  else
    resp->hang = true;
}

static void *kill_after(void *arg) {
  killer *k = arg;
  fake_http_wait_requests(*k->srv, k->after, BT_WAIT_MS);
  fake_http_stop(*k->srv);
  *k->srv = NULL;
  return NULL;
}

Test(net_pool, a_replica_killed_mid_run_fails_over_and_the_work_finishes) {
  fake_http *srv[2] = {fake_http_start(), fake_http_start()};
  int delay = 30;
  doomed dm = {.served = 4};
  fake_http_set_handler(srv[0], answer_after, &delay);
  fake_http_set_handler(srv[1], answer_then_hold, &dm);
  rig *r = rig_new(2, srv, 2, NULL);
  fake_http *victim = srv[1];
  killer k = {.srv = &victim, .after = 4};
  pthread_t kth;
  pthread_create(&kth, NULL, kill_after, &k);
  worker ws[4];
  run_workers(r, 4, 6, ws);
  pthread_join(kth, NULL);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(ws[i].failures, 0, "a request failed: %s", ws[i].err);
  baton__endpoint_health h0 = health_of(r, 0), h1 = health_of(r, 1);
  cr_assert_eq(h0.ok + h1.ok, 24, "every request finished once (%lld + %lld)", h0.ok, h1.ok);
  cr_assert_geq(h1.ok, 1, "the killed replica served before it died");
  cr_assert_geq(h1.down, 1, "the killed replica is marked down");
  cr_assert_not(h1.up);
  cr_assert_neq(h1.last_error[0], '\0');
  cr_assert(h0.up);
  rig_free(r);
  fake_http_stop(srv[0]);
}

Test(net_pool, an_endpoint_refusing_at_start_is_marked_down_and_tried_again_after_backoff) {
  fake_http *srv[2] = {fake_http_start(), fake_http_start()};
  int port = fake_http_port(srv[0]);
  int delay = 0;
  fake_http_set_handler(srv[1], answer_after, &delay);
  rig *r = rig_new(2, srv, 4, NULL);
  fake_http_stop(srv[0]); /* e0 refuses connections from the start */
  char ep[16], err[256];
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  cr_assert_str_eq(ep, "e1", "the request failed over to the live replica");
  baton__endpoint_health h = health_of(r, 0);
  cr_assert_not(h.up);
  cr_assert_gt(h.retry_in_ms, 0);
  cr_assert(strstr(h.last_error, "connect"), "%s", h.last_error);
  /* While e0's back-off lasts, requests go to e1 only. */
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK);
  cr_assert_str_eq(ep, "e1");
  cr_assert_eq(health_of(r, 0).requests, 1, "no request went to the down replica");
  /* Only replica of "solo" is down: the request fails, as a transient failure. */
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_DOWN);
  cr_assert(strstr(err, "model server e0 (http://127.0.0.1:"), "the error names the endpoint: %s", err);
  /* e0 comes back; once its back-off passed it is tried again and up. */
  srv[0] = fake_http_start_on(port);
  cr_assert_not_null(srv[0]);
  int64_t until = baton__now_ms() + BT_WAIT_MS;
  while (health_of(r, 0).retry_in_ms > 0 && baton__now_ms() < until) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  fake_http_push_json(srv[0], 200, "{}");
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  cr_assert_str_eq(ep, "e0");
  cr_assert(health_of(r, 0).up);
  rig_free(r);
  fake_http_stop(srv[0]);
  fake_http_stop(srv[1]);
}

Test(net_pool, a_429_with_retry_after_holds_back_that_endpoint_only) {
  fake_http *srv[2] = {fake_http_start(), fake_http_start()};
  int delay = 0;
  fake_http_push_full(srv[0], 429, "Retry-After: 1\r\n", "{\"error\":\"slow down\"}");
  fake_http_set_handler(srv[1], answer_after, &delay);
  rig *r = rig_new(2, srv, 4, NULL);
  char ep[16], err[256];
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  cr_assert_str_eq(ep, "e1", "the rate-limited request went to the other replica");
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK);
    cr_assert_str_eq(ep, "e1");
  }
  cr_assert_eq(fake_http_request_count(srv[0]), 1, "nothing more went to e0 during Retry-After");
  baton__endpoint_health h = health_of(r, 0);
  cr_assert_gt(h.limited_ms, 0);
  cr_assert(h.up, "rate-limited is not down");
  /* "solo" lives on e0 only: its request waits out the Retry-After, then runs. */
  fake_http_push_json(srv[0], 200, "{}");
  int64_t t0 = baton__now_ms();
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  cr_assert_geq(baton__now_ms() - t0 + 50, h.limited_ms, "it waited for the Retry-After");
  /* A Retry-After longer than the task may wait fails at once. */
  fake_http_push_full(srv[0], 429, "retry-after-ms: 60000\r\n", "{}");
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_RATE_LIMITED);
  t0 = baton__now_ms();
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_RATE_LIMITED);
  cr_assert_lt(baton__now_ms() - t0, 2500, "no pointless wait (the task may wait 5 s)");
  cr_assert(strstr(err, "rate-limited"), "%s", err);
  rig_free(r);
  fake_http_stop(srv[0]);
  fake_http_stop(srv[1]);
}

static void echo_key_back(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)ud;
  static __thread char body[256];
  const char *auth = fake_http_request_header(req, "Authorization");
  snprintf(body, sizeof body, "{\"error\":{\"message\":\"key %s refused\"}}", auth ? auth : "");
  resp->status = 401;
  resp->body = body;
}

Test(net_pool, keys_go_only_to_their_endpoint_and_never_into_errors) {
  fake_http *srv[2] = {fake_http_start(), fake_http_start()};
  const char *keys[2] = {"sk-zero-secret", "sk-one-secret"};
  rig *r = rig_new(2, srv, 4, keys);
  fake_http_push_json(srv[0], 200, "{}");
  fake_http_push_json(srv[1], 200, "{}");
  baton__lease a, b;
  char err[256];
  baton__pool_acquire(r->pool, "m", NULL, 0, &a, err, sizeof err);
  baton__pool_acquire(r->pool, "m", NULL, 0, &b, err, sizeof err);
  baton__pool_release(r->pool, &a, BATON__POOL_OK, -1, NULL);
  baton__pool_release(r->pool, &b, BATON__POOL_OK, -1, NULL);
  char ep[16];
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_OK, "%s", err);
  for (int i = 0; i < 2; i++) {
    fake_http_request *got = fake_http_request_get(srv[i], 0);
    cr_assert_not_null(got);
    char want[64];
    snprintf(want, sizeof want, "Bearer %s", keys[i]);
    cr_assert_str_eq(fake_http_request_header(got, "Authorization"), want);
    fake_http_request_free(got);
  }
  /* A server that echoes the key in its error: the key is removed. */
  fake_http_set_handler(srv[0], echo_key_back, NULL);
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_CLIENT_ERROR);
  cr_assert(strstr(err, "e0: HTTP 401"), "%s", err);
  cr_assert_null(strstr(err, "secret"), "%s", err);
  baton__endpoint_health h = health_of(r, 0);
  cr_assert(strstr(h.last_error, "refused"), "%s", h.last_error);
  cr_assert_null(strstr(h.last_error, "secret"), "%s", h.last_error);
  cr_assert(h.up, "a refused key is the request's failure, not the server's health");
  rig_free(r);
  fake_http_stop(srv[0]);
  fake_http_stop(srv[1]);
}

static int health_calls;
static char health_seen[256];
static void on_health(void *ud, const baton__endpoint_health *h) {
  (void)ud;
  health_calls++;
  snprintf(health_seen, sizeof health_seen, "%s %s", h->ep->name, h->up ? "up" : "down");
}

Test(net_pool, a_health_change_is_reported_once) {
  fake_http *srv = fake_http_start();
  rig *r = rig_new(1, &srv, 4, NULL);
  baton__pool_on_health(r->pool, on_health, NULL);
  fake_http_push_json(srv, 200, "{}");
  fake_http_push_json(srv, 200, "{}");
  char err[256];
  cr_assert_eq(post(r, "m", 5000, NULL, err, sizeof err), BATON__POOL_OK);
  cr_assert_eq(post(r, "m", 5000, NULL, err, sizeof err), BATON__POOL_OK);
  cr_assert_eq(health_calls, 1, "the first answer is reported, the second changed nothing");
  cr_assert_str_eq(health_seen, "e0 up");
  fake_http_push_json(srv, 503, "{\"error\":\"loading\"}");
  cr_assert_eq(post(r, "m", 5000, NULL, err, sizeof err), BATON__POOL_DOWN);
  cr_assert_eq(health_calls, 2);
  cr_assert_str_eq(health_seen, "e0 down");
  cr_assert(strstr(err, "503"), "%s", err);
  rig_free(r);
  fake_http_stop(srv);
}

Test(net_pool, a_refused_input_is_not_held_against_the_endpoint) {
  fake_http *srv[1] = {fake_http_start()};
  rig *r = rig_new(1, srv, 4, NULL);
  char ep[16], err[256];
  /* The server refuses what was sent: the request's fault, answered once, no failover. */
  static const int refused[] = {400, 413, 415, 422};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    fake_http_push_json(srv[0], refused[i], "{\"error\":{\"message\":\"that input is wrong\"}}");
    cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_BAD_INPUT, "%d: %s",
                 refused[i], err);
    cr_assert(strstr(err, "that input is wrong"), "the server's message: %s", err);
  }
  baton__endpoint_health h = health_of(r, 0);
  cr_assert(h.up, "refused input is no sign of a sick server");
  cr_assert_eq(h.client_errors + h.down + h.rate_limited, 0, "counted as failures");
  cr_assert_eq(h.last_error[0], '\0', "kept as the endpoint's error: %s", h.last_error);
  cr_assert_eq(h.requests, 4);
  /* A key refused or a model not served stays the endpoint's error. */
  static const int still[] = {401, 403, 404};
  for (size_t i = 0; i < sizeof still / sizeof still[0]; i++) {
    fake_http_push_json(srv[0], still[i], "{\"error\":\"no\"}");
    cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_CLIENT_ERROR, "%d",
                 still[i]);
  }
  h = health_of(r, 0);
  cr_assert_eq(h.client_errors, 3);
  cr_assert_neq(h.last_error[0], '\0');
  rig_free(r);
  fake_http_stop(srv[0]);
}

Test(net_pool, a_429_without_retry_after_keeps_the_endpoint_off_longer_each_time) {
  fake_http *srv[1] = {fake_http_start()};
  rig *r = rig_new(1, srv, 4, NULL);
  char ep[16], err[256];
  /* Each request may wait 0.7 s, less than any hold-off: one request each. */
  long held[3];
  for (int i = 0; i < 3; i++) {
    fake_http_push_json(srv[0], 429, "{\"error\":{\"message\":\"slow down\"}}");
    cr_assert_eq(post(r, "solo", 700, ep, err, sizeof err), BATON__POOL_RATE_LIMITED, "%s", err);
    held[i] = health_of(r, 0).limited_ms;
    /* Let the hold-off pass without asking, as time would. */
    struct timespec ts = {.tv_sec = held[i] / 1000, .tv_nsec = (held[i] % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  cr_assert_eq(fake_http_request_count(srv[0]), 3);
  cr_assert_gt(held[1], 1000, "the second 429 in a row holds it off longer than 1 s: %ld", held[1]);
  cr_assert_gt(held[2], held[0] * 2, "and it keeps growing: %ld then %ld", held[0], held[2]);
  rig_free(r);
  fake_http_stop(srv[0]);
}

Test(net_pool, a_retry_after_of_an_hour_is_cut_and_the_server_s_words_kept) {
  fake_http *srv[1] = {fake_http_start()};
  rig *r = rig_new(1, srv, 4, NULL);
  char ep[16], err[400];
  fake_http_push_full(srv[0], 429, "Retry-After: 3600\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached for requests\"}}");
  cr_assert_eq(post(r, "solo", 2000, ep, err, sizeof err), BATON__POOL_RATE_LIMITED);
  cr_assert_eq(fake_http_request_count(srv[0]), 1, "no second request within the hour asked");
  cr_assert(strstr(err, "e0: HTTP 429: Rate limit reached for requests"), "%s", err);
  cr_assert(strstr(err, "rate-limited for"), "%s", err);
  long held = health_of(r, 0).limited_ms;
  cr_assert(held > 60000 && held <= 300000, "held off %ld ms: at most 5 min", held);
  rig_free(r);
  fake_http_stop(srv[0]);
}

Test(net_pool, an_html_error_page_is_told_by_its_title) {
  fake_http *srv[1] = {fake_http_start()};
  rig *r = rig_new(1, srv, 4, NULL);
  char ep[16], err[400];
  fake_http_push(srv[0], &(fake_http_response){
      .status = 502, .content_type = "text/html",
      .body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
              "502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>"
              "\r\n</html>\r\n"});
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_DOWN);
  cr_assert_str_eq(err, "e0: HTTP 502: 502 Bad Gateway (an HTML page)");
  cr_assert_str_eq(health_of(r, 0).last_error, "HTTP 502: 502 Bad Gateway (an HTML page)");
  rig_free(r);
  fake_http_stop(srv[0]);
}

Test(net_pool, a_refused_key_is_told_by_the_variable_it_came_from) {
  fake_http *srv[2] = {fake_http_start(), fake_http_start()};
  const char *keys[2] = {"sk-pool-secret-4242", NULL};
  rig *r = rig_new(2, srv, 4, keys);
  r->eps[0].api_key_env = "BT_POOL_KEY";
  char ep[16], err[400];
  fake_http_push_json(srv[0], 401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}");
  cr_assert_eq(post(r, "solo", 5000, ep, err, sizeof err), BATON__POOL_CLIENT_ERROR);
  cr_assert_str_eq(err, "e0: HTTP 401: Incorrect API key provided; the key in BT_POOL_KEY "
                        "(api_key_env) was refused");
  /* e1 has no key at all: a 403 says none was sent. */
  fake_http_push_json(srv[1], 403, "{\"error\":\"Forbidden\"}");
  r->eps[0].max_inflight = 0; /* (only e1 may take "m" now) */
  cr_assert_eq(post(r, "m", 5000, ep, err, sizeof err), BATON__POOL_CLIENT_ERROR);
  cr_assert_str_eq(err, "e1: HTTP 403: Forbidden; no key was sent: give the endpoint api_key_env");
  rig_free(r);
  fake_http_stop(srv[0]);
  fake_http_stop(srv[1]);
}
