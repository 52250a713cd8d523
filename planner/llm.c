/* llm.c — OpenAI-compatible chat completions over libcurl: retries, SSE streaming, error shapes, response_format fallback. */
#include "planner/llm.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

#ifndef BATON_VERSION_STRING
#define BATON_VERSION_STRING "0"
#endif

#define LLM_DEFAULT_CONNECT_MS 5000L
#define LLM_DEFAULT_TIMEOUT_MS 600000L
#define LLM_DEFAULT_RETRIES 2
#define LLM_DEFAULT_BACKOFF_CAP_MS 8000L
#define LLM_DEFAULT_MAX_RESPONSE (8u * 1024u * 1024u)
#define LLM_MAX_RETRY_AFTER_MS 120000.0
#define LLM_POLL_SLICE_MS 20

struct baton__llm {
  char *base_url;
  char *url;          /* base_url + "/chat/completions" */
  char *auth_header;  /* "Authorization: Bearer ..." or NULL */
  char *model;
  long connect_timeout_ms;
  long timeout_ms;
  int max_retries;
  long backoff_cap_ms;
  size_t max_response;
};

/* curl_global_init is process-wide and not thread-safe: run it once. */
static pthread_once_t llm_curl_once = PTHREAD_ONCE_INIT;
static void llm_curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

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
  pthread_once(&llm_curl_once, llm_curl_init);
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
  if (s->api_key && *s->api_key) {
    baton__sb_addf(&sb, "Authorization: Bearer %s", s->api_key);
    c->auth_header = baton__sb_detach(&sb);
  }
  c->model = baton__strdup(s->model && *s->model ? s->model : "default");
  c->connect_timeout_ms = s->connect_timeout_ms > 0 ? s->connect_timeout_ms : LLM_DEFAULT_CONNECT_MS;
  c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
  c->max_retries = s->max_retries >= 0 ? s->max_retries : 0;
  c->backoff_cap_ms = s->backoff_cap_ms > 0 ? s->backoff_cap_ms : LLM_DEFAULT_BACKOFF_CAP_MS;
  c->max_response = s->max_response_bytes > 0 ? s->max_response_bytes : LLM_DEFAULT_MAX_RESPONSE;
  if (!c->base_url || !c->url || !c->model || (s->api_key && *s->api_key && !c->auth_header)) {
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
  if (c->auth_header) {
    /* Do not leave the key lying around in freed memory. */
    volatile char *p = c->auth_header;
    while (*p)
      *p++ = 0;
    free(c->auth_header);
  }
  free(c->model);
  free(c);
}

/* ---------- error bodies ---------- */

/* Copies printable text, collapsing white space and control bytes, cut at
 * a UTF-8 boundary within max bytes. */
static void clean_text(baton__sb *sb, const char *s, size_t len, size_t max) {
  bool space = false;
  size_t start = sb->len;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f || ch == ' ') {
      space = sb->len > start;
      continue;
    }
    if (sb->len - start >= max) {
      /* Do not end inside a multi-byte sequence. */
      while (sb->len > start && ((unsigned char)sb->buf[sb->len - 1] & 0xC0) == 0x80)
        sb->len--;
      if (sb->len > start && ((unsigned char)sb->buf[sb->len - 1] & 0xC0) == 0xC0)
        sb->len--;
      if (sb->cap)
        sb->buf[sb->len] = '\0';
      baton__sb_adds(sb, "...");
      return;
    }
    if (space) {
      baton__sb_addc(sb, ' ');
      space = false;
    }
    baton__sb_addc(sb, (char)ch);
  }
}

static void add_json_scalar(baton__sb *sb, const cJSON *v) {
  if (cJSON_IsString(v) && v->valuestring)
    clean_text(sb, v->valuestring, strlen(v->valuestring), 400);
  else if (cJSON_IsNumber(v))
    baton__sb_addf(sb, "%g", v->valuedouble);
  else {
    char *p = cJSON_PrintUnformatted(v);
    if (p) {
      clean_text(sb, p, strlen(p), 400);
      free(p);
    }
  }
}

char *baton__llm_error_text(const char *body, size_t len, char *out, size_t cap) {
  if (!out || cap == 0)
    return out;
  out[0] = '\0';
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON *j = (body && len) ? cJSON_ParseWithLength(body, len) : NULL;
  if (j && cJSON_IsObject(j)) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(e) && e->valuestring) {
      clean_text(&sb, e->valuestring, strlen(e->valuestring), 400);
      const cJSON *et = cJSON_GetObjectItemCaseSensitive(j, "error_type");
      if (cJSON_IsString(et) && et->valuestring && *et->valuestring) {
        baton__sb_adds(&sb, " (");
        clean_text(&sb, et->valuestring, strlen(et->valuestring), 80);
        baton__sb_adds(&sb, ")");
      }
    } else if (cJSON_IsObject(e)) {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
      if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(e, "msg");
      if (cJSON_IsString(m) && m->valuestring)
        clean_text(&sb, m->valuestring, strlen(m->valuestring), 400);
      else
        add_json_scalar(&sb, e);
      const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
      bool has_t = cJSON_IsString(t) && t->valuestring && *t->valuestring;
      bool has_c = (cJSON_IsString(code) && code->valuestring && *code->valuestring) ||
                   cJSON_IsNumber(code);
      if (has_t || has_c) {
        baton__sb_adds(&sb, " (");
        if (has_t) {
          baton__sb_adds(&sb, "type ");
          clean_text(&sb, t->valuestring, strlen(t->valuestring), 80);
        }
        if (has_c) {
          baton__sb_adds(&sb, has_t ? ", code " : "code ");
          add_json_scalar(&sb, code);
        }
        baton__sb_adds(&sb, ")");
      }
    } else if (cJSON_IsArray(e)) {
      const cJSON *it;
      bool first = true;
      cJSON_ArrayForEach(it, e) {
        if (!first)
          baton__sb_adds(&sb, "; ");
        first = false;
        add_json_scalar(&sb, it);
        if (sb.len > 600)
          break;
      }
    } else {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
      if (!m || cJSON_IsNull(m))
        m = cJSON_GetObjectItemCaseSensitive(j, "detail");
      if (m && !cJSON_IsNull(m))
        add_json_scalar(&sb, m);
    }
  }
  cJSON_Delete(j);
  if (sb.len == 0) {
    if (!body || len == 0)
      baton__sb_adds(&sb, "(empty body)");
    else
      clean_text(&sb, body, len, 300);
    if (sb.len == 0)
      baton__sb_adds(&sb, "(blank body)");
  }
  baton__fmt(out, cap, "%s", baton__sb_ok(&sb) ? sb.buf : "(out of memory)");
  baton__sb_release(&sb);
  return out;
}

/* ---------- one HTTP attempt ---------- */

typedef struct attempt {
  const baton__llm *c;
  const baton__llm_opts *o;
  long status;
  char content_type[128];
  char retry_after[128];
  char retry_after_ms[64];
  int should_retry; /* -1 not sent, 0 false, 1 true */
  size_t received;
  bool too_big;
  bool sse;
  bool decided;
  baton__sb body;    /* non-SSE body */
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
} attempt;

static void attempt_init(attempt *a, const baton__llm *c, const baton__llm_opts *o) {
  memset(a, 0, sizeof *a);
  a->c = c;
  a->o = o;
  a->should_retry = -1;
  baton__sb_init(&a->body);
  baton__sb_init(&a->line);
  baton__sb_init(&a->pending);
  baton__sb_init(&a->content);
}

static void attempt_release(attempt *a) {
  baton__sb_release(&a->body);
  baton__sb_release(&a->line);
  baton__sb_release(&a->pending);
  baton__sb_release(&a->content);
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n) {
  while (n > 0 && (*v == ' ' || *v == '\t')) {
    v++;
    n--;
  }
  while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  attempt *a = ud;
  size_t n = size * nitems;
  if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    /* A new response head (after a 100 Continue, say): start over. */
    const char *sp = memchr(buf, ' ', n);
    a->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    a->content_type[0] = a->retry_after[0] = a->retry_after_ms[0] = '\0';
    a->should_retry = -1;
    return n;
  }
  const char *colon = memchr(buf, ':', n);
  if (!colon)
    return n;
  size_t kl = (size_t)(colon - buf);
  const char *v = colon + 1;
  size_t vl = n - kl - 1;
#define HDR_IS(name) (kl == sizeof(name) - 1 && strncasecmp(buf, name, kl) == 0)
  if (HDR_IS("content-type"))
    copy_header_value(a->content_type, sizeof a->content_type, v, vl);
  else if (HDR_IS("retry-after"))
    copy_header_value(a->retry_after, sizeof a->retry_after, v, vl);
  else if (HDR_IS("retry-after-ms"))
    copy_header_value(a->retry_after_ms, sizeof a->retry_after_ms, v, vl);
  else if (HDR_IS("x-should-retry")) {
    char tmp[16];
    copy_header_value(tmp, sizeof tmp, v, vl);
    if (strcasecmp(tmp, "true") == 0)
      a->should_retry = 1;
    else if (strcasecmp(tmp, "false") == 0)
      a->should_retry = 0;
  }
#undef HDR_IS
  return n;
}

static void sse_fail(attempt *a, const char *fmt, const char *detail) {
  if (a->failed)
    return;
  a->failed = true;
  baton__fmt(a->fail_msg, sizeof a->fail_msg, fmt, detail);
}

static void sse_event(attempt *a, cJSON *j) {
  a->events++;
  if (!cJSON_IsObject(j))
    return;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  if (e && !cJSON_IsNull(e)) {
    char *txt = cJSON_PrintUnformatted(j);
    char msg[500];
    baton__llm_error_text(txt, txt ? strlen(txt) : 0, msg, sizeof msg);
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
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
  if (cJSON_IsObject(u)) {
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens");
    if (cJSON_IsNumber(pt) || cJSON_IsNumber(ct)) {
      a->have_usage = true;
      a->usage_pt = cJSON_IsNumber(pt) ? (long)pt->valuedouble : 0;
      a->usage_ct = cJSON_IsNumber(ct) ? (long)ct->valuedouble : 0;
    }
  }
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

static size_t on_write(char *buf, size_t size, size_t nmemb, void *ud) {
  attempt *a = ud;
  size_t n = size * nmemb;
  a->received += n;
  if (a->received > a->c->max_response) {
    a->too_big = true;
    return 0;
  }
  if (!a->decided) {
    a->decided = true;
    a->sse = a->o->stream && a->status >= 200 && a->status < 300 &&
             strncasecmp(a->content_type, "text/event-stream", 17) == 0;
  }
  if (a->sse) {
    sse_feed(a, buf, n);
    if (a->failed)
      return 0;
    if (!baton__sb_ok(&a->content) || !baton__sb_ok(&a->line) || !baton__sb_ok(&a->pending))
      return 0;
  } else {
    baton__sb_add(&a->body, buf, n);
    if (!baton__sb_ok(&a->body))
      return 0;
  }
  return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt;
  (void)dn;
  (void)ut;
  (void)un;
  const attempt *a = ud;
  return (a->o->cancel && atomic_load(a->o->cancel)) ? 1 : 0;
}

static bool is_cancelled(const baton__llm_opts *o) { return o->cancel && atomic_load(o->cancel) != 0; }

/* Runs one request; returns the curl result (CURLE_ABORTED_BY_CALLBACK when
 * cancelled). */
static CURLcode run_attempt(attempt *a, const char *body, size_t body_len, long timeout_ms,
                            char *curl_err) {
  const baton__llm *c = a->c;
  CURL *h = curl_easy_init();
  if (!h)
    return CURLE_FAILED_INIT;
  struct curl_slist *hdrs = NULL;
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  hdrs = curl_slist_append(hdrs, a->o->stream ? "Accept: text/event-stream, application/json"
                                              : "Accept: application/json");
  if (c->auth_header)
    hdrs = curl_slist_append(hdrs, c->auth_header);
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, c->url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "baton/" BATON_VERSION_STRING);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  long ct = c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms : timeout_ms;
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ct > 0 ? ct : 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_err[0] = '\0';

  /* The multi interface lets us notice a cancel within one poll slice even
   * while the server sends nothing. */
  CURLcode res = CURLE_OK;
  CURLM *m = curl_multi_init();
  if (!m || curl_multi_add_handle(m, h) != CURLM_OK) {
    res = CURLE_FAILED_INIT;
  } else {
    int running = 1;
    while (running) {
      if (curl_multi_perform(m, &running) != CURLM_OK) {
        res = CURLE_FAILED_INIT;
        break;
      }
      if (!running)
        break;
      if (is_cancelled(a->o)) {
        res = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    if (res == CURLE_OK) {
      int q;
      CURLMsg *msg;
      while ((msg = curl_multi_info_read(m, &q)))
        if (msg->msg == CURLMSG_DONE)
          res = msg->data.result;
    }
    curl_multi_remove_handle(m, h);
  }
  if (m)
    curl_multi_cleanup(m);
  if (a->status == 0) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    a->status = code;
  }
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  return res;
}

/* ---------- request body ---------- */

static baton__llm_format next_format(baton__llm_format f) {
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
  if (fmt != BATON__LLM_FMT_NONE) {
    cJSON *rf = cJSON_AddObjectToObject(root, "response_format");
    if (rf) {
      if (fmt == BATON__LLM_FMT_JSON_SCHEMA) {
        cJSON_AddStringToObject(rf, "type", "json_schema");
        cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
        if (js) {
          cJSON_AddStringToObject(js, "name",
                                  o->schema_name && *o->schema_name ? o->schema_name : "output");
          cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(schema, 1));
        }
      } else if (fmt == BATON__LLM_FMT_TGI_JSON) {
        cJSON_AddStringToObject(rf, "type", "json_object");
        cJSON_AddItemToObject(rf, "value", cJSON_Duplicate(schema, 1));
      } else {
        cJSON_AddStringToObject(rf, "type", "json_object");
      }
    }
  }
  char *s = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return s;
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
    baton__llm_error_text(body, len, msg, sizeof msg);
    quota = contains_ci(msg, "exceeded your current quota") || contains_ci(msg, "insufficient_quota");
  }
  return quota;
}

static bool is_format_rejection(long status, const char *msg) {
  if (status != 400 && status != 422 && status != 501)
    return false;
  return contains_ci(msg, "response_format") || contains_ci(msg, "json_schema") ||
         contains_ci(msg, "json_object") || contains_ci(msg, "grammar") ||
         contains_ci(msg, "response format");
}

static bool retryable_status(long st) { return st == 408 || st == 409 || st == 429 || st >= 500; }

static bool retryable_curl(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

/* The server's requested wait in ms: -1 none given, -2 too long (do not
 * retry), else the wait. */
static double server_wait_ms(const attempt *a) {
  if (a->retry_after_ms[0]) {
    char *end;
    double v = strtod(a->retry_after_ms, &end);
    if (end != a->retry_after_ms && isfinite(v) && v >= 0)
      return v > LLM_MAX_RETRY_AFTER_MS ? -2 : v;
  }
  if (a->retry_after[0]) {
    char *end;
    double v = strtod(a->retry_after, &end);
    double ms = -1;
    if (end != a->retry_after && *end == '\0' && isfinite(v)) {
      ms = v * 1000.0;
    } else {
      time_t t = curl_getdate(a->retry_after, NULL);
      if (t != (time_t)-1)
        ms = difftime(t, time(NULL)) * 1000.0;
    }
    if (ms > LLM_MAX_RETRY_AFTER_MS)
      return -2;
    if (ms >= 0)
      return ms;
  }
  return -1;
}

static long backoff_ms(const baton__llm *c, int n, unsigned *seed) {
  double d = 500.0 * pow(2.0, n);
  if (d > (double)c->backoff_cap_ms)
    d = (double)c->backoff_cap_ms;
  double jitter = 1.0 - 0.25 * ((double)rand_r(seed) / (double)RAND_MAX);
  return (long)(d * jitter);
}

/* Sleeps in slices, waking on cancel. Returns false when cancelled. */
static bool sleep_ms(long ms, const baton__llm_opts *o) {
  int64_t end = baton__now_ms() + ms;
  for (;;) {
    if (is_cancelled(o))
      return false;
    int64_t left = end - baton__now_ms();
    if (left <= 0)
      return true;
    if (left > LLM_POLL_SLICE_MS)
      left = LLM_POLL_SLICE_MS;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
    nanosleep(&ts, NULL);
  }
}

static long estimate_tokens(size_t bytes) { return (long)((bytes + 3) / 4); }

/* Parses a non-streamed completion. Returns OK with *out, or EPROTO/ENOMEM
 * with err. */
static baton__llm_status parse_completion(attempt *a, char **out, char *err, size_t errlen) {
  cJSON *j = cJSON_ParseWithLength(a->body.buf, a->body.len);
  if (!cJSON_IsObject(j)) {
    char msg[400];
    baton__llm_error_text(a->body.buf, a->body.len, msg, sizeof msg);
    baton__fmt(err, errlen, "the LLM server's answer is not a chat completion (not JSON): %s", msg);
    cJSON_Delete(j);
    return BATON__LLM_EPROTO;
  }
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  if (e && !cJSON_IsNull(e)) {
    char msg[500];
    baton__llm_error_text(a->body.buf, a->body.len, msg, sizeof msg);
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
      baton__llm_error_text(a->body.buf, a->body.len, ex, sizeof ex);
      baton__fmt(err, errlen, "the LLM server's answer has no message content (choices[0].message.content): %s",
                 ex);
    }
    st = BATON__LLM_EPROTO;
  }
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
  if (cJSON_IsObject(u)) {
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens");
    if (cJSON_IsNumber(pt) || cJSON_IsNumber(ct)) {
      a->have_usage = true;
      a->usage_pt = cJSON_IsNumber(pt) ? (long)pt->valuedouble : 0;
      a->usage_ct = cJSON_IsNumber(ct) ? (long)ct->valuedouble : 0;
    }
  }
  cJSON_Delete(j);
  return st;
}

/* ---------- the call ---------- */

baton__llm_status baton__llm_chat(baton__llm *c, const baton__llm_msg *msgs, size_t n_msgs,
                                  const baton__llm_opts *o_in, char **content,
                                  baton__llm_usage *usage, baton__llm_format *format_used,
                                  char *err, size_t errlen) {
  baton__llm_opts defaults;
  baton__llm_opts_init(&defaults);
  const baton__llm_opts *o = o_in ? o_in : &defaults;
  if (content)
    *content = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (!c || !msgs || n_msgs == 0 || !content) {
    baton__fmt(err, errlen, "an LLM call needs a client, at least one message and a result pointer");
    return BATON__LLM_EINVAL;
  }
  baton__llm_format fmt = o->format;
  cJSON *schema = NULL;
  if (fmt == BATON__LLM_FMT_JSON_SCHEMA || fmt == BATON__LLM_FMT_TGI_JSON) {
    schema = o->schema_json ? cJSON_Parse(o->schema_json) : NULL;
    if (!cJSON_IsObject(schema)) {
      cJSON_Delete(schema);
      baton__fmt(err, errlen, "the JSON schema for response_format is missing or not a JSON object");
      return BATON__LLM_EINVAL;
    }
  }
  size_t prompt_bytes = 0;
  for (size_t i = 0; i < n_msgs; i++)
    prompt_bytes += msgs[i].content ? strlen(msgs[i].content) : 0;

  unsigned seed = (unsigned)baton__now_ms() ^ (unsigned)(uintptr_t)&seed;
  int64_t deadline = baton__now_ms() + c->timeout_ms;
  baton__llm_status st = BATON__LLM_EHTTP;
  char *body = NULL;
  char curl_err[CURL_ERROR_SIZE];
  bool new_format = true;
  int tries = 0; /* attempts under the current format */

  for (;;) {
    if (new_format) {
      free(body);
      body = build_body(c, msgs, n_msgs, o, fmt, schema);
      if (!body) {
        baton__fmt(err, errlen, "out of memory");
        st = BATON__LLM_ENOMEM;
        break;
      }
      new_format = false;
      tries = 0;
    }
    if (format_used)
      *format_used = fmt;
    if (is_cancelled(o)) {
      baton__fmt(err, errlen, "the LLM call was cancelled");
      st = BATON__LLM_ECANCELLED;
      break;
    }
    int64_t left = deadline - baton__now_ms();
    if (left <= 0) {
      baton__fmt(err, errlen, "the LLM server at %s did not answer within %.1f s", c->base_url,
                 (double)c->timeout_ms / 1000.0);
      st = BATON__LLM_ETIMEOUT;
      break;
    }
    attempt a;
    attempt_init(&a, c, o);
    CURLcode rc = run_attempt(&a, body, strlen(body), (long)left, curl_err);
    tries++;
    if (a.status > 0 && usage)
      usage->llm_calls++;

    bool retry = false;
    double wait = -1; /* server-requested wait, ms */
    if (rc == CURLE_ABORTED_BY_CALLBACK || (rc != CURLE_OK && is_cancelled(o))) {
      baton__fmt(err, errlen, "the LLM call was cancelled");
      st = BATON__LLM_ECANCELLED;
    } else if (a.too_big) {
      baton__fmt(err, errlen, "the LLM server's answer is larger than the %zu-byte limit",
                 c->max_response);
      st = BATON__LLM_ETOOBIG;
    } else if (a.failed) {
      baton__fmt(err, errlen, "%s", a.fail_msg);
      st = BATON__LLM_EPROTO;
    } else if (rc != CURLE_OK && (a.status == 0 || (a.status >= 200 && a.status < 300))) {
      const char *why = curl_err[0] ? curl_err : curl_easy_strerror(rc);
      if (rc == CURLE_OPERATION_TIMEDOUT && baton__now_ms() >= deadline - 5) {
        baton__fmt(err, errlen, "the LLM server at %s did not answer within %.1f s", c->base_url,
                   (double)c->timeout_ms / 1000.0);
        st = BATON__LLM_ETIMEOUT;
      } else if (a.delivered) {
        baton__fmt(err, errlen, "the connection to the LLM server broke in the middle of the answer: %s",
                   why);
        st = BATON__LLM_ECONNECT;
      } else {
        baton__fmt(err, errlen, "could not get an answer from the LLM server at %s: %s", c->base_url,
                   why);
        st = BATON__LLM_ECONNECT;
        retry = retryable_curl(rc);
      }
    } else if (a.status >= 200 && a.status < 300) {
      char *out = NULL;
      if (!a.sse && a.body.len) {
        /* A stream sent without being asked for, or without the
         * text/event-stream type: sniff it. */
        size_t i = 0;
        while (i < a.body.len && isspace((unsigned char)a.body.buf[i]))
          i++;
        if (a.body.len - i >= 5 && (memcmp(a.body.buf + i, "data:", 5) == 0 || a.body.buf[i] == ':')) {
          a.sse = true;
          sse_feed(&a, a.body.buf, a.body.len);
        }
      }
      if (a.sse) {
        if (a.line.len && !a.failed) {
          sse_line(&a, a.line.buf, a.line.len); /* last line without a newline */
          baton__sb_reset(&a.line);
        }
        if (a.pending.len && !a.failed)
          sse_fail(&a, "the LLM stream ended inside an event that is not JSON: %.200s", a.pending.buf);
        if (a.failed) {
          baton__fmt(err, errlen, "%s", a.fail_msg);
          st = BATON__LLM_EPROTO;
        } else if (a.events == 0 && !a.done) {
          baton__fmt(err, errlen, "the LLM stream ended without sending any data");
          st = BATON__LLM_EPROTO;
        } else if (!baton__sb_ok(&a.content)) {
          baton__fmt(err, errlen, "out of memory");
          st = BATON__LLM_ENOMEM;
        } else {
          out = baton__sb_detach(&a.content);
          if (!out)
            out = baton__strdup("");
          st = out ? BATON__LLM_OK : BATON__LLM_ENOMEM;
          if (!out)
            baton__fmt(err, errlen, "out of memory");
        }
      } else {
        st = parse_completion(&a, &out, err, errlen);
      }
      if (st == BATON__LLM_OK) {
        *content = out;
        if (usage) {
          if (a.have_usage) {
            usage->prompt_tokens += a.usage_pt;
            usage->completion_tokens += a.usage_ct;
          } else {
            usage->prompt_tokens += estimate_tokens(prompt_bytes);
            usage->completion_tokens += estimate_tokens(strlen(out));
          }
        }
      } else {
        free(out);
      }
    } else {
      /* An HTTP error status. */
      char msg[600];
      baton__llm_error_text(a.body.buf, a.body.len, msg, sizeof msg);
      long s = a.status;
      if (s == 401 || s == 403) {
        if (c->auth_header)
          baton__fmt(err, errlen,
                     "the LLM server refused the API key (HTTP %ld: %s); set BATON_LLM_API_KEY to a valid key",
                     s, msg);
        else
          baton__fmt(err, errlen,
                     "the LLM server needs an API key (HTTP %ld: %s); set BATON_LLM_API_KEY", s, msg);
        st = BATON__LLM_EAUTH;
      } else if (s == 429 && is_quota_error(a.body.buf, a.body.len)) {
        baton__fmt(err, errlen,
                   "the LLM account's quota is used up (HTTP 429: %s); add credit or use another key in BATON_LLM_API_KEY",
                   msg);
        st = BATON__LLM_EQUOTA;
      } else if (fmt != BATON__LLM_FMT_NONE && is_format_rejection(s, msg)) {
        if (o->format_fallback && fmt != BATON__LLM_FMT_NONE) {
          fmt = next_format(fmt);
          new_format = true;
          attempt_release(&a);
          continue;
        }
        baton__fmt(err, errlen, "the LLM server does not accept this response_format (HTTP %ld: %s)", s,
                   msg);
        st = BATON__LLM_EFORMAT;
      } else {
        baton__fmt(err, errlen, "the LLM server answered HTTP %ld: %s", s, msg);
        st = BATON__LLM_EHTTP;
        retry = a.should_retry == 1 || (a.should_retry != 0 && retryable_status(s));
        wait = server_wait_ms(&a);
        if (wait == -2) {
          retry = false;
          size_t l = strlen(err);
          baton__fmt(err + l, errlen > l ? errlen - l : 0,
                     " (the server asked to wait more than %.0f s; not retrying)",
                     LLM_MAX_RETRY_AFTER_MS / 1000.0);
        }
      }
    }
    attempt_release(&a);
    if (st == BATON__LLM_OK || !retry || tries > c->max_retries)
      break;
    long delay = wait >= 0 ? (long)ceil(wait) : backoff_ms(c, tries - 1, &seed);
    if (baton__now_ms() + delay >= deadline) {
      size_t l = strlen(err);
      baton__fmt(err + l, errlen > l ? errlen - l : 0,
                 " (no time left to retry within the %.1f s timeout)", (double)c->timeout_ms / 1000.0);
      break;
    }
    if (!sleep_ms(delay, o)) {
      baton__fmt(err, errlen, "the LLM call was cancelled");
      st = BATON__LLM_ECANCELLED;
      break;
    }
  }
  free(body);
  cJSON_Delete(schema);
  if (st != BATON__LLM_OK && err && errlen && !err[0])
    baton__fmt(err, errlen, "the LLM call failed (%s)", baton__llm_status_name(st));
  return st;
}
