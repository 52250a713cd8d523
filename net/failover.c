/* failover.c — one request on a model's replicas: failover past down or rate-limited endpoints, HTTP outcomes. */
#include "net/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/pool_internal.h"
#include "core/banned.h"

/* ---- failover ------------------------------------------------------------ */

/* The outcome of an error answer of that status (body for the model's own refusals). */
static baton__pool_status status_outcome(long status, const baton__http_response *resp,
                                         long *retry_after_ms) {
  if (status == 429) {
    if (retry_after_ms)
      *retry_after_ms = baton__http_retry_after_ms(resp);
    return BATON__POOL_RATE_LIMITED;
  }
  if (baton__http_model_cannot(status, resp->body, resp->body_len))
    return BATON__POOL_CLIENT_ERROR; /* the model's: the endpoint answered as it should */
  if (baton__http_bad_input(status))
    return BATON__POOL_BAD_INPUT;
  return status >= 500 && status != 501 ? BATON__POOL_DOWN : BATON__POOL_CLIENT_ERROR;
}

baton__pool_status baton__pool_outcome(baton__http_rc rc, const baton__http_response *resp,
                                       long *retry_after_ms) {
  if (retry_after_ms)
    *retry_after_ms = -1;
  long in_body;
  switch (rc) {
  case BATON__HTTP_OK:
    /* A 200 carrying an error object: judged by the error's kind, as its status would be. */
    in_body = baton__http_body_error_status(resp->body, resp->body_len);
    return in_body ? status_outcome(in_body, resp, retry_after_ms) : BATON__POOL_OK;
  case BATON__HTTP_EREFUSED:
  case BATON__HTTP_EDNS:
  case BATON__HTTP_ETIMEOUT:
  case BATON__HTTP_ENET:
    return BATON__POOL_DOWN;
  case BATON__HTTP_ECANCELLED:
    return BATON__POOL_CANCELLED;
  case BATON__HTTP_ESTATUS:
    return status_outcome(resp->status, resp, retry_after_ms);
  default:
    return BATON__POOL_CLIENT_ERROR;
  }
}

/* "NAME: MSG", or MSG alone when it names the server already (a failure worded by
 * baton__http_failure_text: "model server NAME (URL) did not answer ..."). */
static void name_message(const char *name, const char *msg, char *out, size_t cap) {
  char who[BATON__ENDPOINT_NAME_MAX + 32];
  baton__fmt(who, sizeof who, "model server %s (", name);
  if (strncmp(msg, who, strlen(who)) == 0)
    baton__fmt(out, cap, "%s", msg);
  else
    baton__fmt(out, cap, "%s: %s", name, msg);
}

/* err becomes "LAST; ERR": the last replica's answer before the pool's reason. */
static void with_last(const char *last, char *err, size_t errlen) {
  char why[300];
  baton__fmt(why, sizeof why, "%s", err);
  baton__fmt(err, errlen, "%s; %s", last, why);
}

baton__pool_status baton__pool_run(baton__pool *p, const char *model_id,
                                   const atomic_int *cancel, long timeout_ms,
                                   baton__pool_try_fn fn, void *ud, char *endpoint,
                                   size_t endpoint_cap, int *failovers, char *err,
                                   size_t errlen) {
  int64_t deadline = timeout_ms > 0 ? baton__now_ms() + timeout_ms : 0;
  size_t n = baton__pool_size(p);
  bool *tried = calloc(n ? n : 1, sizeof *tried);
  char last[512] = "", msg[400];
  int gave_up = 0;
  baton__pool_status st = BATON__POOL_TIMEOUT;
  if (endpoint && endpoint_cap)
    endpoint[0] = '\0';
  if (err && errlen)
    err[0] = '\0';
  if (!tried) {
    baton__fmt(err, errlen, "out of memory");
    return BATON__POOL_CLIENT_ERROR;
  }
  for (size_t round = 0; round < 2 * n + 4; round++) {
    long left = 0;
    if (deadline && (left = (long)(deadline - baton__now_ms())) <= 0) {
      baton__fmt(err, errlen, "%s", last[0] ? last : "timed out waiting for a replica");
      st = BATON__POOL_TIMEOUT;
      break;
    }
    baton__lease lease;
    st = baton__pool_acquire_skip(p, model_id, cancel, left, tried, &lease, err, errlen);
    if (st != BATON__POOL_OK) {
      if (st == BATON__POOL_DOWN && last[0])
        baton__fmt(err, errlen, "%s", last);
      else if (st == BATON__POOL_RATE_LIMITED && last[0])
        with_last(last, err, errlen); /* what the server said, then how long it asked */
      break;
    }
    long ra = -1;
    msg[0] = '\0';
    st = fn(ud, &lease, &ra, msg, sizeof msg);
    baton__pool_redact(p, msg);
    if (endpoint)
      baton__fmt(endpoint, endpoint_cap, "%s", lease.ep->name);
    name_message(lease.ep->name, msg[0] ? msg : baton__pool_status_name(st), last, sizeof last);
    size_t slot = lease.slot;
    baton__pool_release(p, &lease, st, ra, msg);
    if (st == BATON__POOL_DOWN || st == BATON__POOL_RATE_LIMITED) {
      tried[slot] = tried[slot] || st == BATON__POOL_DOWN;
      gave_up++;
      continue;
    }
    baton__fmt(err, errlen, "%s", st == BATON__POOL_OK ? "" : last);
    break;
  }
  free(tried);
  if ((st == BATON__POOL_DOWN || st == BATON__POOL_RATE_LIMITED) && !err[0] && last[0])
    baton__fmt(err, errlen, "%s", last);
  if (failovers)
    *failovers = gave_up;
  return st;
}

/* ---- one HTTP request --------------------------------------------------- */

typedef struct http_try {
  const char *path;
  const baton__http_request *tmpl;
  baton__http_response *resp;
} http_try;

static baton__pool_status try_http(void *ud, const baton__lease *lease, long *retry_after_ms,
                                   char *err, size_t errlen) {
  http_try *t = ud;
  baton__sb url;
  baton__sb_init(&url);
  baton__sb_adds(&url, lease->ep->base_url);
  if (t->path && t->path[0] && t->path[0] != '/')
    baton__sb_addc(&url, '/');
  baton__sb_adds(&url, t->path ? t->path : "");
  if (!baton__sb_ok(&url)) {
    baton__fmt(err, errlen, "out of memory");
    return BATON__POOL_CLIENT_ERROR;
  }
  baton__http_request req = *t->tmpl;
  char who[400];
  req.url = url.buf;
  req.server = baton__http_server_label(lease->ep->name, lease->ep->base_url, who, sizeof who);
  req.bearer = lease->ep->api_key;
  req.timeout_ms = lease->timeout_ms;
  baton__http_rc rc = baton__http_perform(&req, t->resp);
  baton__sb_release(&url);
  baton__pool_status st = baton__pool_outcome(rc, t->resp, retry_after_ms);
  if (rc == BATON__HTTP_ESTATUS) {
    char msg[300], note[160];
    baton__http_error_text(t->resp->body, t->resp->body_len, msg, sizeof msg);
    baton__fmt(err, errlen, "HTTP %ld: %s%s", t->resp->status, msg,
               baton__http_key_note(t->resp->status, lease->ep->api_key_env,
                                    lease->ep->api_key != NULL, note, sizeof note));
  } else if (rc == BATON__HTTP_OK && st != BATON__POOL_OK) {
    char msg[300];
    baton__http_error_text(t->resp->body, t->resp->body_len, msg, sizeof msg);
    baton__fmt(err, errlen, "HTTP %ld with an error: %s", t->resp->status, msg);
  } else if (rc != BATON__HTTP_OK) {
    baton__fmt(err, errlen, "%s", t->resp->err);
  }
  return st;
}

baton__pool_status baton__pool_http(baton__pool *p, const char *model_id, const char *path,
                                    const baton__http_request *req, long timeout_ms,
                                    baton__http_response *resp, char *endpoint,
                                    size_t endpoint_cap, char *err, size_t errlen) {
  http_try t = {.path = path, .tmpl = req, .resp = resp};
  return baton__pool_run(p, model_id, req->cancel, timeout_ms, try_http, &t, endpoint,
                         endpoint_cap, NULL, err, errlen);
}
