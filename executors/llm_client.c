/* llm_client.c — the OpenAI-compatible chat-completions client (planner, summarizer, LLM executor): retries, SSE streaming, response_format fallback. */
#include "executors/llm_client.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "net/http.h"
#include "net/pool.h"
#include "core/banned.h"

#define LLM_DEFAULT_CONNECT_MS 5000L
#define LLM_DEFAULT_TIMEOUT_MS 600000L
#define LLM_DEFAULT_RETRIES 2
#define LLM_DEFAULT_BACKOFF_CAP_MS 8000L
#define LLM_DEFAULT_MAX_RESPONSE (8u * 1024u * 1024u)
#define LLM_MAX_RETRY_AFTER_MS 120000L
#define LLM_BACKOFF_BASE_MS 500L

struct baton__llm {
  char *base_url;
  char *url;          /* base_url + "/chat/completions" */
  char *api_key;      /* or NULL: no Authorization header */
  char *model;
  long connect_timeout_ms;
  long timeout_ms;
  int max_retries;
  long backoff_cap_ms;
  size_t max_response;
  baton__pool *pool;  /* or NULL: each attempt on a replica of model it grants */
};

void baton__llm_settings_init(baton__llm_settings *s) {
  memset(s, 0, sizeof *s);
  s->connect_timeout_ms = LLM_DEFAULT_CONNECT_MS;
  s->timeout_ms = LLM_DEFAULT_TIMEOUT_MS;
  s->max_retries = LLM_DEFAULT_RETRIES;
  s->backoff_cap_ms = LLM_DEFAULT_BACKOFF_CAP_MS;
  s->max_response_bytes = LLM_DEFAULT_MAX_RESPONSE;
}

void baton__llm_opts_init(baton__llm_opts *o) {
  memset(o, 0, sizeof *o);
  o->temperature = -1.0;
  o->format = BATON__LLM_FMT_NONE;
}

const char *baton__llm_status_name(baton__llm_status st) {
  switch (st) {
  case BATON__LLM_OK: return "ok";
  case BATON__LLM_EINVAL: return "invalid";
  case BATON__LLM_ECONNECT: return "connect";
  case BATON__LLM_ETIMEOUT: return "timeout";
  case BATON__LLM_ECANCELLED: return "cancelled";
  case BATON__LLM_EAUTH: return "auth";
  case BATON__LLM_EQUOTA: return "quota";
  case BATON__LLM_EFORMAT: return "format";
  case BATON__LLM_EHTTP: return "http";
  case BATON__LLM_ETOOBIG: return "too-big";
  case BATON__LLM_EPROTO: return "protocol";
  case BATON__LLM_ENOMEM: return "nomem";
  }
  return "?";
}

baton__llm *baton__llm_new(const baton__llm_settings *s, char *err, size_t errlen) {
  if (!s || !s->base_url || !*s->base_url) {
    baton__fmt(err, errlen, "no LLM base URL is set (BATON_LLM_BASE_URL)");
    return NULL;
  }
  if (strncasecmp(s->base_url, "http://", 7) != 0 && strncasecmp(s->base_url, "https://", 8) != 0) {
    baton__fmt(err, errlen, "the LLM base URL must start with http:// or https:// (got \"%.200s\")",
               s->base_url);
    return NULL;
  }
  baton__llm *c = calloc(1, sizeof *c);
  if (!c) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  size_t n = strlen(s->base_url);
  while (n > 0 && s->base_url[n - 1] == '/')
    n--;
  c->base_url = baton__strndup(s->base_url, n);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_add(&sb, s->base_url, n);
  baton__sb_adds(&sb, "/chat/completions");
  c->url = baton__sb_detach(&sb);
  if (s->api_key && *s->api_key)
    c->api_key = baton__strdup(s->api_key);
  c->model = baton__strdup(s->model && *s->model ? s->model : "default");
  c->connect_timeout_ms = s->connect_timeout_ms > 0 ? s->connect_timeout_ms : LLM_DEFAULT_CONNECT_MS;
  c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
  c->max_retries = s->max_retries >= 0 ? s->max_retries : 0;
  c->backoff_cap_ms = s->backoff_cap_ms > 0 ? s->backoff_cap_ms : LLM_DEFAULT_BACKOFF_CAP_MS;
  c->max_response = s->max_response_bytes > 0 ? s->max_response_bytes : LLM_DEFAULT_MAX_RESPONSE;
  c->pool = s->pool;
  if (!c->base_url || !c->url || !c->model || (s->api_key && *s->api_key && !c->api_key)) {
    baton__llm_free(c);
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  return c;
}

void baton__llm_free(baton__llm *c) {
  if (!c)
    return;
  free(c->base_url);
  free(c->url);
  if (c->api_key) {
    /* Do not leave the key lying around in freed memory. */
    volatile char *p = c->api_key;
    while (*p)
      *p++ = 0;
    free(c->api_key);
  }
  free(c->model);
  free(c);
}

/* ---------- one HTTP attempt ---------- */

typedef struct attempt {
  const baton__llm *c;
  const baton__llm_opts *o;
  baton__http_response resp; /* status, headers; the body of a non-streamed answer */
  size_t received;
  bool too_big;
  bool sse;
  bool decided;
  baton__sb body;    /* a 2xx body read through on_stream that is not SSE, until
                        run_attempt() hands it to resp */
  /* SSE state */
  baton__sb line;
  baton__sb pending; /* a data payload that did not parse yet */
  baton__sb content;
  bool done;
  bool failed;       /* mid-stream error or unusable event */
  char fail_msg[600];
  bool have_usage;
  long usage_pt, usage_ct;
  size_t events;
  bool delivered;    /* at least one delta handed to the caller */
  bool sent;         /* handed to the transport (not cancelled before): the server may be
                        working on it, so a cancelled one still counts as a call */
} attempt;

static void attempt_init(attempt *a, const baton__llm *c, const baton__llm_opts *o) {
  memset(a, 0, sizeof *a);
  a->c = c;
  a->o = o;
  baton__http_response_init(&a->resp);
  baton__sb_init(&a->body);
  baton__sb_init(&a->line);
  baton__sb_init(&a->pending);
  baton__sb_init(&a->content);
}

static void attempt_release(attempt *a) {
  baton__http_response_release(&a->resp);
  baton__sb_release(&a->body);
  baton__sb_release(&a->line);
  baton__sb_release(&a->pending);
  baton__sb_release(&a->content);
}

static void sse_fail(attempt *a, const char *fmt, const char *detail) {
  if (a->failed)
    return;
  a->failed = true;
  baton__fmt(a->fail_msg, sizeof a->fail_msg, fmt, detail);
}

/* Keeps the token counts of a completion or stream event's "usage". */
static void take_usage(attempt *a, const cJSON *j) {
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
  if (!cJSON_IsObject(u))
    return;
  const cJSON *pt = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens");
  const cJSON *ct = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens");
  if (cJSON_IsNumber(pt) || cJSON_IsNumber(ct)) {
    a->have_usage = true;
    a->usage_pt = cJSON_IsNumber(pt) ? (long)pt->valuedouble : 0;
    a->usage_ct = cJSON_IsNumber(ct) ? (long)ct->valuedouble : 0;
  }
}

static void sse_event(attempt *a, cJSON *j) {
  a->events++;
  if (!cJSON_IsObject(j))
    return;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  if (e && !cJSON_IsNull(e)) {
    char *txt = cJSON_PrintUnformatted(j);
    char msg[500];
    baton__http_error_text(txt, txt ? strlen(txt) : 0, msg, sizeof msg);
    free(txt);
    sse_fail(a, "the LLM server reported an error in the middle of the stream: %s", msg);
    return;
  }
  const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
  const cJSON *ch0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
  if (cJSON_IsObject(ch0)) {
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch0, "delta");
    if (!cJSON_IsObject(delta))
      delta = cJSON_GetObjectItemCaseSensitive(ch0, "message");
    const cJSON *content = cJSON_IsObject(delta) ? cJSON_GetObjectItemCaseSensitive(delta, "content")
                                                 : NULL;
    if (cJSON_IsString(content) && content->valuestring && *content->valuestring) {
      size_t n = strlen(content->valuestring);
      baton__sb_add(&a->content, content->valuestring, n);
      if (a->o->on_delta)
        a->o->on_delta(a->o->delta_ud, content->valuestring, n);
      a->delivered = true;
    }
  }
  take_usage(a, j);
}

static void sse_data(attempt *a, const char *p, size_t n) {
  if (a->done || a->failed)
    return;
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    n--;
  }
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  if (n == 6 && memcmp(p, "[DONE]", 6) == 0) {
    if (a->pending.len)
      sse_fail(a, "the LLM stream held an event that is not JSON: %.200s", a->pending.buf);
    a->done = true;
    return;
  }
  if (n == 0)
    return;
  cJSON *j;
  if (a->pending.len) {
    /* A payload split over several data: lines of one event. */
    baton__sb_addc(&a->pending, '\n');
    baton__sb_add(&a->pending, p, n);
    j = cJSON_ParseWithLength(a->pending.buf, a->pending.len);
  } else {
    j = cJSON_ParseWithLength(p, n);
    if (!j)
      baton__sb_add(&a->pending, p, n);
  }
  if (!j)
    return;
  baton__sb_reset(&a->pending);
  sse_event(a, j);
  cJSON_Delete(j);
}

static void sse_line(attempt *a, const char *s, size_t n) {
  if (n > 0 && s[n - 1] == '\r')
    n--;
  if (n == 0) {
    /* End of an event: whatever is pending must have parsed by now. */
    if (a->pending.len && !a->done)
      sse_fail(a, "the LLM stream held an event that is not JSON: %.200s", a->pending.buf);
    return;
  }
  if (s[0] == ':')
    return; /* comment / keep-alive ping */
  if (n >= 5 && memcmp(s, "data:", 5) == 0)
    sse_data(a, s + 5, n - 5);
  /* event:, id:, retry: and anything else are ignored. */
}

static void sse_feed(attempt *a, const char *p, size_t n) {
  while (n > 0 && !a->failed) {
    const char *nl = memchr(p, '\n', n);
    size_t seg = nl ? (size_t)(nl - p) : n;
    if (nl && a->line.len == 0) {
      sse_line(a, p, seg);
    } else {
      baton__sb_add(&a->line, p, seg);
      if (nl) {
        sse_line(a, a->line.buf, a->line.len);
        baton__sb_reset(&a->line);
      }
    }
    if (!nl)
      break;
    p = nl + 1;
    n -= seg + 1;
  }
}

/* Reads a 2xx answer of a streaming call as it arrives (net/http.h
 * on_data): SSE is parsed event by event, anything else kept whole. */
static int on_stream(void *ud, const baton__http_response *resp, const char *buf, size_t n) {
  attempt *a = ud;
  a->received += n;
  if (a->received > a->c->max_response) {
    a->too_big = true;
    return 1;
  }
  if (!a->decided) {
    a->decided = true;
    a->sse = strncasecmp(resp->content_type, "text/event-stream", 17) == 0;
  }
  if (!a->sse) {
    baton__sb_add(&a->body, buf, n);
    return baton__sb_ok(&a->body) ? 0 : 1;
  }
  sse_feed(a, buf, n);
  if (a->failed)
    return 1;
  return baton__sb_ok(&a->content) && baton__sb_ok(&a->line) && baton__sb_ok(&a->pending) ? 0 : 1;
}

static bool is_cancelled(const baton__llm_opts *o) { return o->cancel && atomic_load(o->cancel) != 0; }

/* Sends one request to url with key; the answer lands in a. */
static baton__http_rc send_to(attempt *a, const char *url, const char *key, const char *server,
                              const char *body, size_t body_len, long timeout_ms) {
  const baton__llm *c = a->c;
  const char *headers[] = {a->o->stream ? "Accept: text/event-stream, application/json"
                                        : "Accept: application/json",
                           NULL};
  baton__http_request req = {
      .url = url, .headers = headers, .bearer = key, .body = body,
      .body_len = body_len, .connect_timeout_ms = c->connect_timeout_ms,
      .timeout_ms = timeout_ms > 0 ? timeout_ms : 1, .cancel = a->o->cancel,
      .max_body = c->max_response, .on_data = a->o->stream ? on_stream : NULL, .ud = a,
      .server = server};
  a->sent = !is_cancelled(a->o);
  baton__http_rc rc = baton__http_perform(&req, &a->resp);
  if (a->body.len && !a->resp.body_len) {
    /* A streamed call answered with a plain body: keep it as the answer's. */
    size_t n = a->body.len;
    char *b = baton__sb_detach(&a->body);
    if (b) {
      a->resp.body = b;
      a->resp.body_len = n;
    }
  }
  return rc;
}

/* One request on the replica the pool grants (its URL and key), its outcome
 * recorded there, so planning shares max_inflight, health and failover with
 * the tasks on that model's endpoints. */
static baton__http_rc send_on_replica(attempt *a, const char *body, size_t body_len,
                                      long timeout_ms) {
  const baton__llm *c = a->c;
  baton__lease lease;
  baton__pool_status ps = baton__pool_acquire(c->pool, c->model, a->o->cancel, timeout_ms,
                                              &lease, a->resp.err, sizeof a->resp.err);
  if (ps != BATON__POOL_OK)
    return ps == BATON__POOL_CANCELLED ? BATON__HTTP_ECANCELLED
           : ps == BATON__POOL_TIMEOUT ? BATON__HTTP_ETIMEOUT
                                       : BATON__HTTP_EREFUSED;
  baton__sb url;
  baton__sb_init(&url);
  baton__sb_adds(&url, lease.ep->base_url);
  while (url.len && url.buf[url.len - 1] == '/')
    url.buf[--url.len] = '\0';
  baton__sb_adds(&url, "/chat/completions");
  baton__http_rc rc = BATON__HTTP_ENOMEM;
  char who[400];
  baton__http_server_label(lease.ep->name, lease.ep->base_url, who, sizeof who);
  if (baton__sb_ok(&url))
    rc = send_to(a, url.buf, lease.ep->api_key, who, body, body_len,
                 lease.timeout_ms > 0 && lease.timeout_ms < timeout_ms ? lease.timeout_ms
                                                                       : timeout_ms);
  baton__sb_release(&url);
  long retry_after = -1;
  baton__pool_status out = baton__pool_outcome(rc, &a->resp, &retry_after);
  char why[160] = "";
  if (out != BATON__POOL_OK)
    baton__fmt(why, sizeof why, "LLM: %s",
               a->resp.err[0] ? a->resp.err
               : rc == BATON__HTTP_ESTATUS ? "an error status"
                                           : baton__http_rc_name(rc));
  baton__pool_release(c->pool, &lease, out, retry_after, why);
  return rc;
}

/* Sends one request (to the configured URL, or a replica); the answer lands in a. */
static baton__http_rc run_attempt(attempt *a, const char *body, size_t body_len, long timeout_ms) {
  if (a->c->pool)
    return send_on_replica(a, body, body_len, timeout_ms);
  return send_to(a, a->c->url, a->c->api_key, NULL, body, body_len, timeout_ms);
}

/* ---------- request body ---------- */

baton__llm_format baton__llm_next_format(baton__llm_format f) {
  switch (f) {
  case BATON__LLM_FMT_JSON_SCHEMA: return BATON__LLM_FMT_TGI_JSON;
  case BATON__LLM_FMT_TGI_JSON: return BATON__LLM_FMT_JSON_OBJECT;
  default: return BATON__LLM_FMT_NONE;
  }
}

static char *build_body(const baton__llm *c, const baton__llm_msg *msgs, size_t n,
                        const baton__llm_opts *o, baton__llm_format fmt, const cJSON *schema) {
  cJSON *root = cJSON_CreateObject();
  if (!root)
    return NULL;
  cJSON_AddStringToObject(root, "model", c->model);
  cJSON *arr = cJSON_AddArrayToObject(root, "messages");
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *m = cJSON_CreateObject();
    if (!m)
      break;
    cJSON_AddStringToObject(m, "role", msgs[i].role ? msgs[i].role : "user");
    cJSON_AddStringToObject(m, "content", msgs[i].content ? msgs[i].content : "");
    cJSON_AddItemToArray(arr, m);
  }
  if (o->max_tokens > 0)
    cJSON_AddNumberToObject(root, "max_tokens", o->max_tokens);
  if (o->temperature >= 0)
    cJSON_AddNumberToObject(root, "temperature", o->temperature);
  cJSON_AddBoolToObject(root, "stream", o->stream);
  if (o->stream) {
    cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
    if (so)
      cJSON_AddBoolToObject(so, "include_usage", 1);
  }
  baton__llm_add_format(root, fmt, schema, o->schema_name);
  char *s = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return s;
}

void baton__llm_add_format(cJSON *root, baton__llm_format fmt, const cJSON *schema,
                           const char *name) {
  cJSON_DeleteItemFromObjectCaseSensitive(root, "response_format");
  if (fmt == BATON__LLM_FMT_NONE)
    return;
  cJSON *rf = cJSON_AddObjectToObject(root, "response_format");
  if (!rf)
    return;
  if (fmt == BATON__LLM_FMT_JSON_SCHEMA) {
    cJSON_AddStringToObject(rf, "type", "json_schema");
    cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
    if (js) {
      cJSON_AddStringToObject(js, "name", name && *name ? name : "output");
      cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(schema, 1));
    }
  } else if (fmt == BATON__LLM_FMT_TGI_JSON) {
    cJSON_AddStringToObject(rf, "type", "json_object");
    cJSON_AddItemToObject(rf, "value", cJSON_Duplicate(schema, 1));
  } else {
    cJSON_AddStringToObject(rf, "type", "json_object");
  }
}

/* ---------- deciding what a response means ---------- */

static bool contains_ci(const char *hay, const char *needle) {
  return hay && strcasestr(hay, needle) != NULL;
}

static bool is_quota_error(const char *body, size_t len) {
  bool quota = false;
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
  if (cJSON_IsObject(e)) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
    if ((cJSON_IsString(code) && strcmp(code->valuestring, "insufficient_quota") == 0) ||
        (cJSON_IsString(type) && strcmp(type->valuestring, "insufficient_quota") == 0))
      quota = true;
  }
  cJSON_Delete(j);
  if (!quota) {
    char msg[600];
    baton__http_error_text(body, len, msg, sizeof msg);
    quota = contains_ci(msg, "exceeded your current quota") || contains_ci(msg, "insufficient_quota");
  }
  return quota;
}

bool baton__llm_format_rejected(long status, const char *msg) {
  if (status != 400 && status != 422 && status != 501)
    return false;
  return contains_ci(msg, "response_format") || contains_ci(msg, "json_schema") ||
         contains_ci(msg, "json_object") || contains_ci(msg, "grammar") ||
         contains_ci(msg, "response format");
}

/* The server's requested wait in ms: -1 none given, -2 too long (do not
 * retry), else the wait. */
static long server_wait_ms(const attempt *a) {
  long ms = baton__http_retry_after_ms(&a->resp);
  return ms > LLM_MAX_RETRY_AFTER_MS ? -2 : ms;
}

/* x-should-retry: 1 true, 0 false, -1 not sent. */
static int should_retry(const attempt *a) {
  const char *v = baton__http_header_get(&a->resp, "x-should-retry");
  if (v && strcasecmp(v, "true") == 0)
    return 1;
  if (v && strcasecmp(v, "false") == 0)
    return 0;
  return -1;
}

static long estimate_tokens(size_t bytes) { return (long)((bytes + 3) / 4); }

/* Parses a non-streamed completion. Returns OK with *out, or EPROTO/ENOMEM
 * with err. */
static baton__llm_status parse_completion(attempt *a, char **out, char *err, size_t errlen) {
  cJSON *j = cJSON_ParseWithLength(a->resp.body, a->resp.body_len);
  if (!cJSON_IsObject(j)) {
    char msg[400];
    baton__http_error_text(a->resp.body, a->resp.body_len, msg, sizeof msg);
    baton__fmt(err, errlen, "the LLM server's answer is not a chat completion (not JSON): %s", msg);
    cJSON_Delete(j);
    return BATON__LLM_EPROTO;
  }
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  if (e && !cJSON_IsNull(e)) {
    char msg[500];
    baton__http_error_text(a->resp.body, a->resp.body_len, msg, sizeof msg);
    baton__fmt(err, errlen, "the LLM server reported an error: %s", msg);
    cJSON_Delete(j);
    return BATON__LLM_EPROTO;
  }
  const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
  const cJSON *ch0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
  const cJSON *msg = cJSON_IsObject(ch0) ? cJSON_GetObjectItemCaseSensitive(ch0, "message") : NULL;
  const cJSON *content = cJSON_IsObject(msg) ? cJSON_GetObjectItemCaseSensitive(msg, "content")
                                             : NULL;
  if (!cJSON_IsString(content) && cJSON_IsObject(ch0))
    content = cJSON_GetObjectItemCaseSensitive(ch0, "text"); /* legacy completions shape */
  baton__llm_status st = BATON__LLM_OK;
  if (cJSON_IsString(content) && content->valuestring) {
    *out = baton__strdup(content->valuestring);
    if (!*out) {
      baton__fmt(err, errlen, "out of memory");
      st = BATON__LLM_ENOMEM;
    }
  } else {
    const cJSON *refusal = cJSON_IsObject(msg) ? cJSON_GetObjectItemCaseSensitive(msg, "refusal")
                                               : NULL;
    if (cJSON_IsString(refusal) && refusal->valuestring)
      baton__fmt(err, errlen, "the model refused: %.400s", refusal->valuestring);
    else
    {
      char ex[300];
      baton__http_error_text(a->resp.body, a->resp.body_len, ex, sizeof ex);
      baton__fmt(err, errlen, "the LLM server's answer has no message content (choices[0].message.content): %s",
                 ex);
    }
    st = BATON__LLM_EPROTO;
  }
  take_usage(a, j);
  cJSON_Delete(j);
  return st;
}

/* ---------- judging one attempt ---------- */

/* What one attempt came to, and what to do next. */
typedef struct verdict {
  baton__llm_status st;
  bool retry;        /* worth another attempt */
  long wait;         /* the server's requested wait before it (ms), -1 none */
  bool next_format;  /* the response_format was refused: try the next one */
} verdict;

/* No complete answer came: cancelled, too big, a broken stream or a
 * transport failure. */
static void judge_transport(const baton__llm *c, attempt *a, baton__http_rc rc, int64_t deadline,
                            verdict *v, char *err, size_t errlen) {
  const char *why = a->resp.err;
  if (rc == BATON__HTTP_ECANCELLED || is_cancelled(a->o)) {
    baton__fmt(err, errlen, "the LLM call was cancelled");
    v->st = BATON__LLM_ECANCELLED;
  } else if (a->too_big || rc == BATON__HTTP_ETOOBIG) {
    baton__fmt(err, errlen, "the LLM server's answer is larger than the %zu-byte limit",
               c->max_response);
    v->st = BATON__LLM_ETOOBIG;
  } else if (a->failed) {
    baton__fmt(err, errlen, "%s", a->fail_msg);
    v->st = BATON__LLM_EPROTO;
  } else if (rc == BATON__HTTP_ENOMEM) {
    baton__fmt(err, errlen, "out of memory");
    v->st = BATON__LLM_ENOMEM;
  } else if (rc == BATON__HTTP_ETIMEOUT && baton__now_ms() >= deadline - 5) {
    baton__fmt(err, errlen, "the LLM server at %s did not answer within %.1f s", c->base_url,
               (double)c->timeout_ms / 1000.0);
    v->st = BATON__LLM_ETIMEOUT;
  } else if (a->delivered) {
    baton__fmt(err, errlen, "the connection to the LLM server broke in the middle of the answer: %s",
               why);
    v->st = BATON__LLM_ECONNECT;
  } else {
    baton__fmt(err, errlen, "could not get an answer from the LLM server at %s: %s", c->base_url,
               why);
    v->st = BATON__LLM_ECONNECT;
    v->retry = baton__http_transient(rc, 0);
  }
}

/* The content of a streamed 2xx answer (also one sent without being asked
 * for, or without the text/event-stream type: sniffed). */
static baton__llm_status stream_content(attempt *a, char **out, char *err, size_t errlen) {
  if (!a->sse && a->resp.body_len) {
    size_t i = 0;
    const char *b = a->resp.body;
    while (i < a->resp.body_len && isspace((unsigned char)b[i]))
      i++;
    if (a->resp.body_len - i >= 5 && (memcmp(b + i, "data:", 5) == 0 || b[i] == ':')) {
      a->sse = true;
      sse_feed(a, b, a->resp.body_len);
    }
  }
  if (!a->sse)
    return parse_completion(a, out, err, errlen);
  if (a->line.len && !a->failed) {
    sse_line(a, a->line.buf, a->line.len); /* last line without a newline */
    baton__sb_reset(&a->line);
  }
  if (a->pending.len && !a->failed)
    sse_fail(a, "the LLM stream ended inside an event that is not JSON: %.200s", a->pending.buf);
  if (a->failed) {
    baton__fmt(err, errlen, "%s", a->fail_msg);
    return BATON__LLM_EPROTO;
  }
  if (a->events == 0 && !a->done) {
    baton__fmt(err, errlen, "the LLM stream ended without sending any data");
    return BATON__LLM_EPROTO;
  }
  *out = baton__sb_ok(&a->content) ? baton__sb_detach(&a->content) : NULL;
  if (!*out && baton__sb_ok(&a->content))
    *out = baton__strdup("");
  if (!*out) {
    baton__fmt(err, errlen, "out of memory");
    return BATON__LLM_ENOMEM;
  }
  return BATON__LLM_OK;
}

/* A 2xx: the content, and the usage it cost. */
static void judge_ok(attempt *a, size_t prompt_bytes, char **content, baton__llm_usage *usage,
                     verdict *v, char *err, size_t errlen) {
  char *out = NULL;
  v->st = stream_content(a, &out, err, errlen);
  if (v->st != BATON__LLM_OK) {
    free(out);
    return;
  }
  *content = out;
  if (!usage)
    return;
  if (a->have_usage) {
    usage->prompt_tokens += a->usage_pt;
    usage->completion_tokens += a->usage_ct;
  } else {
    usage->prompt_tokens += estimate_tokens(prompt_bytes);
    usage->completion_tokens += estimate_tokens(strlen(out));
  }
}

/* An HTTP error status. */
static void judge_status(const baton__llm *c, const baton__llm_opts *o, baton__llm_format fmt,
                         attempt *a, verdict *v, char *err, size_t errlen) {
  char msg[600];
  baton__http_error_text(a->resp.body, a->resp.body_len, msg, sizeof msg);
  long s = a->resp.status;
  if (s == 401 || s == 403) {
    if (c->api_key)
      baton__fmt(err, errlen,
                 "the LLM server refused the API key (HTTP %ld: %s); set BATON_LLM_API_KEY to a valid key",
                 s, msg);
    else
      baton__fmt(err, errlen, "the LLM server needs an API key (HTTP %ld: %s); set BATON_LLM_API_KEY",
                 s, msg);
    v->st = BATON__LLM_EAUTH;
  } else if (s == 429 && is_quota_error(a->resp.body, a->resp.body_len)) {
    baton__fmt(err, errlen,
               "the LLM account's quota is used up (HTTP 429: %s); add credit or use another key in BATON_LLM_API_KEY",
               msg);
    v->st = BATON__LLM_EQUOTA;
  } else if (fmt != BATON__LLM_FMT_NONE && baton__llm_format_rejected(s, msg)) {
    v->next_format = o->format_fallback;
    baton__fmt(err, errlen, "the LLM server does not accept this response_format (HTTP %ld: %s)", s,
               msg);
    v->st = BATON__LLM_EFORMAT;
  } else {
    baton__fmt(err, errlen, "the LLM server answered HTTP %ld: %s", s, msg);
    v->st = BATON__LLM_EHTTP;
    int sr = should_retry(a);
    v->retry = sr == 1 || (sr != 0 && baton__http_transient(BATON__HTTP_ESTATUS, s));
    v->wait = server_wait_ms(a);
    if (v->wait == -2) {
      v->retry = false;
      size_t l = strlen(err);
      baton__fmt(err + l, errlen > l ? errlen - l : 0,
                 " (the server asked to wait more than %ld s; not retrying)",
                 LLM_MAX_RETRY_AFTER_MS / 1000);
    }
  }
}

/* ---------- the call ---------- */

/* The request's unchanging parts. */
typedef struct call {
  baton__llm *c;
  const baton__llm_msg *msgs;
  size_t n_msgs;
  const baton__llm_opts *o;
  cJSON *schema;
  size_t prompt_bytes;
  int64_t deadline;
} call;

/* One attempt under fmt: sends body, judges the answer. */
static verdict attempt_once(const call *k, baton__llm_format fmt, const char *body, long left,
                            char **content, baton__llm_usage *usage, char *err, size_t errlen) {
  verdict v = {.st = BATON__LLM_EHTTP, .wait = -1};
  attempt a;
  attempt_init(&a, k->c, k->o);
  baton__http_rc rc = run_attempt(&a, body, strlen(body), left);
  if (usage && (a.resp.status > 0 || (a.sent && rc == BATON__HTTP_ECANCELLED)))
    usage->llm_calls++; /* answered, or cancelled while the server had it */
  if (rc == BATON__HTTP_OK && !a.failed)
    judge_ok(&a, k->prompt_bytes, content, usage, &v, err, errlen);
  else if (rc == BATON__HTTP_ESTATUS)
    judge_status(k->c, k->o, fmt, &a, &v, err, errlen);
  else
    judge_transport(k->c, &a, rc, k->deadline, &v, err, errlen);
  attempt_release(&a);
  return v;
}

/* Appends a note to err. */
static void add_note(char *err, size_t errlen, const char *note, double secs) {
  size_t l = strlen(err);
  baton__fmt(err + l, errlen > l ? errlen - l : 0, note, secs);
}

/* Attempts until an answer, a final failure, or the time is spent. */
static baton__llm_status call_loop(const call *k, char **content, baton__llm_usage *usage,
                                   baton__llm_format *format_used, char *err, size_t errlen) {
  const baton__llm *c = k->c;
  unsigned seed = baton__http_seed();
  baton__llm_format fmt = k->o->format;
  baton__llm_status st = BATON__LLM_ENOMEM;
  char *body = NULL;
  int tries = 0; /* attempts under the current format */
  for (;;) {
    if (!body && !(body = build_body(c, k->msgs, k->n_msgs, k->o, fmt, k->schema))) {
      baton__fmt(err, errlen, "out of memory");
      st = BATON__LLM_ENOMEM;
      break;
    }
    if (format_used)
      *format_used = fmt;
    if (is_cancelled(k->o)) {
      baton__fmt(err, errlen, "the LLM call was cancelled");
      st = BATON__LLM_ECANCELLED;
      break;
    }
    int64_t left = k->deadline - baton__now_ms();
    if (left <= 0) {
      baton__fmt(err, errlen, "the LLM server at %s did not answer within %.1f s", c->base_url,
                 (double)c->timeout_ms / 1000.0);
      st = BATON__LLM_ETIMEOUT;
      break;
    }
    verdict v = attempt_once(k, fmt, body, (long)left, content, usage, err, errlen);
    tries++;
    st = v.st;
    if (v.next_format) {
      fmt = baton__llm_next_format(fmt);
      free(body);
      body = NULL;
      tries = 0;
      continue;
    }
    if (st == BATON__LLM_OK || !v.retry || tries > c->max_retries)
      break;
    long delay = v.wait >= 0 ? v.wait
                             : baton__http_backoff_ms(tries - 1, LLM_BACKOFF_BASE_MS,
                                                      c->backoff_cap_ms, &seed);
    if (baton__now_ms() + delay >= k->deadline) {
      add_note(err, errlen, " (no time left to retry within the %.1f s timeout)",
               (double)c->timeout_ms / 1000.0);
      break;
    }
    if (!baton__http_sleep(delay, k->o->cancel)) {
      baton__fmt(err, errlen, "the LLM call was cancelled");
      st = BATON__LLM_ECANCELLED;
      break;
    }
  }
  free(body);
  return st;
}

baton__llm_status baton__llm_chat(baton__llm *c, const baton__llm_msg *msgs, size_t n_msgs,
                                  const baton__llm_opts *o_in, char **content,
                                  baton__llm_usage *usage, baton__llm_format *format_used,
                                  char *err, size_t errlen) {
  baton__llm_opts defaults;
  baton__llm_opts_init(&defaults);
  call k = {.c = c, .msgs = msgs, .n_msgs = n_msgs, .o = o_in ? o_in : &defaults};
  if (content)
    *content = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (!c || !msgs || n_msgs == 0 || !content) {
    baton__fmt(err, errlen, "an LLM call needs a client, at least one message and a result pointer");
    return BATON__LLM_EINVAL;
  }
  if (k.o->format == BATON__LLM_FMT_JSON_SCHEMA || k.o->format == BATON__LLM_FMT_TGI_JSON) {
    k.schema = k.o->schema_json ? cJSON_Parse(k.o->schema_json) : NULL;
    if (!cJSON_IsObject(k.schema)) {
      cJSON_Delete(k.schema);
      baton__fmt(err, errlen, "the JSON schema for response_format is missing or not a JSON object");
      return BATON__LLM_EINVAL;
    }
  }
  for (size_t i = 0; i < n_msgs; i++)
    k.prompt_bytes += msgs[i].content ? strlen(msgs[i].content) : 0;
  k.deadline = baton__now_ms() + c->timeout_ms;
  baton__llm_status st = call_loop(&k, content, usage, format_used, err, errlen);
  cJSON_Delete(k.schema);
  if (st != BATON__LLM_OK && err && errlen && !err[0])
    baton__fmt(err, errlen, "the LLM call failed (%s)", baton__llm_status_name(st));
  return st;
}
