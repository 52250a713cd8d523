/* http.c — one HTTP request over libcurl: the transfer, bounded body, headers, multipart and cancellation. */
#include "net/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "net/curl_lib.h"
#include "core/banned.h"

#ifndef BATON_VERSION_STRING
#define BATON_VERSION_STRING "0"
#endif

#define HTTP_DEFAULT_MAX_BODY (8u * 1024u * 1024u)
#define HTTP_DEFAULT_CONNECT_MS 10000L
#define HTTP_MAX_HEADERS 128
#define HTTP_MAX_HEADER_BYTES 8192
#define HTTP_POLL_MS 20

/* Loading libcurl and curl_global_init() are process-wide, and the latter
 * is not thread-safe: once, here only, at the first request. */
static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static const baton__curl_lib *http_lib;
static CURLcode http_init_rc = CURLE_FAILED_INIT;
static char http_init_why[256];
static void http_global_init(void) {
  http_lib = baton__curl_lib_get(http_init_why, sizeof http_init_why);
  if (http_lib)
    http_init_rc = http_lib->global_init(CURL_GLOBAL_DEFAULT);
}

static const char *const rc_names[] = {
    [BATON__HTTP_OK] = "ok",           [BATON__HTTP_ESTATUS] = "status",
    [BATON__HTTP_EREFUSED] = "refused", [BATON__HTTP_EDNS] = "dns",
    [BATON__HTTP_ETIMEOUT] = "timeout", [BATON__HTTP_ECANCELLED] = "cancelled",
    [BATON__HTTP_ETOOBIG] = "too-big",  [BATON__HTTP_ENET] = "network",
    [BATON__HTTP_ESTOPPED] = "stopped", [BATON__HTTP_EINVAL] = "invalid",
    [BATON__HTTP_ENOMEM] = "nomem",
};

const char *baton__http_rc_name(baton__http_rc rc) {
  return (size_t)rc < sizeof rc_names / sizeof rc_names[0] && rc_names[rc] ? rc_names[rc] : "?";
}

/* ---- the response ---------------------------------------------------- */

static char empty_body[1];

void baton__http_response_init(baton__http_response *r) {
  memset(r, 0, sizeof *r);
  r->body = empty_body;
}

static void clear_headers(baton__http_response *r) {
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  r->headers = NULL;
  r->n_headers = 0;
  r->content_type[0] = '\0';
}

void baton__http_response_release(baton__http_response *r) {
  if (!r)
    return;
  clear_headers(r);
  if (r->body != empty_body)
    free(r->body);
  baton__http_response_init(r);
}

const char *baton__http_header_get(const baton__http_response *r, const char *name) {
  for (size_t i = r->n_headers; i-- > 0;)
    if (strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

char *baton__http_response_take_body(baton__http_response *r, size_t *len) {
  char *b = r->body == empty_body ? baton__strdup("") : r->body;
  if (len)
    *len = b ? r->body_len : 0;
  r->body = empty_body;
  r->body_len = 0;
  return b;
}

/* ---- one transfer ---------------------------------------------------- */

typedef struct xfer {
  const baton__http_request *req;
  baton__http_response *resp;
  baton__sb body;
  size_t max_body;
  size_t received; /* body bytes that came, stored or handed over */
  bool too_big;
  bool stopped;
  bool oom;
} xfer;

static bool is_cancelled(const atomic_int *c) { return c && atomic_load(c) != 0; }

static void add_header(xfer *x, const char *line, size_t n) {
  baton__http_response *r = x->resp;
  const char *colon = memchr(line, ':', n);
  if (!colon || r->n_headers >= HTTP_MAX_HEADERS || n > HTTP_MAX_HEADER_BYTES)
    return;
  const char *v = colon + 1, *e = line + n;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
    e--;
  baton__http_header *nh = realloc(r->headers, (r->n_headers + 1) * sizeof *nh);
  if (!nh) {
    x->oom = true;
    return;
  }
  r->headers = nh;
  char *name = baton__strndup(line, (size_t)(colon - line));
  char *value = baton__strndup(v, (size_t)(e - v));
  if (!name || !value) {
    free(name);
    free(value);
    x->oom = true;
    return;
  }
  nh[r->n_headers++] = (baton__http_header){name, value};
  if (strcasecmp(name, "Content-Type") == 0)
    baton__fmt(r->content_type, sizeof r->content_type, "%s", value);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  xfer *x = ud;
  size_t n = size * nitems;
  if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    /* A new response head (after a redirect or 100 Continue): start over. */
    clear_headers(x->resp);
    const char *sp = memchr(buf, ' ', n);
    x->resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    return n;
  }
  add_header(x, buf, n);
  return n;
}

static size_t on_write(char *buf, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  long st = x->resp->status;
  x->received += n;
  if (x->req->on_data && st >= 200 && st < 300) {
    if (x->req->on_data(x->req->ud, x->resp, buf, n) != 0) {
      x->stopped = true;
      return 0;
    }
    return n;
  }
  if (x->body.len + n > x->max_body) {
    x->too_big = true;
    return 0;
  }
  baton__sb_add(&x->body, buf, n);
  if (!baton__sb_ok(&x->body)) {
    x->oom = true;
    return 0;
  }
  return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  const xfer *x = ud;
  return is_cancelled(x->req->cancel) ? 1 : 0;
}

/* Builds the multipart form. NULL with err set when a part is unusable. */
static curl_mime *build_mime(const baton__curl_lib *cu, CURL *h, const baton__http_request *req,
                             char *err, size_t errlen) {
  curl_mime *mime = cu->mime_init(h);
  if (!mime) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < req->n_parts; i++) {
    const baton__http_part *p = &req->parts[i];
    curl_mimepart *part = cu->mime_addpart(mime);
    CURLcode c = part ? cu->mime_name(part, p->name ? p->name : "") : CURLE_OUT_OF_MEMORY;
    if (c == CURLE_OK && p->value)
      c = cu->mime_data(part, p->value, CURL_ZERO_TERMINATED);
    else if (c == CURLE_OK && p->data)
      c = cu->mime_data(part, p->data, p->len);
    else if (c == CURLE_OK && p->path)
      c = cu->mime_filedata(part, p->path);
    else if (c == CURLE_OK)
      c = cu->mime_data(part, "", 0);
    if (c == CURLE_OK && !p->value && (p->filename || p->data))
      c = cu->mime_filename(part, p->filename ? p->filename : "file");
    if (c == CURLE_OK && !p->value && p->content_type)
      c = cu->mime_type(part, p->content_type);
    if (c != CURLE_OK) {
      if (p->path && !p->data && !p->value)
        baton__fmt(err, errlen, "cannot read the file to upload (%s)", p->path);
      else
        baton__fmt(err, errlen, "cannot build the form part '%s': %s", p->name ? p->name : "",
                   cu->easy_strerror(c));
      cu->mime_free(mime);
      return NULL;
    }
  }
  return mime;
}

/* The request's header lines; NULL on allocation failure. auth (caller's
 * buffer) receives the Authorization line, wiped by the caller afterwards. */
static struct curl_slist *build_headers(const baton__curl_lib *cu, const baton__http_request *req,
                                        baton__sb *auth) {
  struct curl_slist *hd = NULL, *t;
  char line[160];
  if (req->body && !req->n_parts) {
    baton__fmt(line, sizeof line, "Content-Type: %s",
               req->content_type ? req->content_type : "application/json");
    if (!(t = cu->slist_append(hd, line)))
      goto fail;
    hd = t;
  }
  if (req->bearer && *req->bearer) {
    baton__sb_addf(auth, "Authorization: Bearer %s", req->bearer);
    if (!baton__sb_ok(auth) || !(t = cu->slist_append(hd, auth->buf)))
      goto fail;
    hd = t;
  }
  for (const char *const *h = req->headers; h && *h; h++) {
    if (!(t = cu->slist_append(hd, *h)))
      goto fail;
    hd = t;
  }
  if (!(t = cu->slist_append(hd, "Expect:"))) /* no 100-continue round trip */
    goto fail;
  return t;
fail:
  cu->slist_free_all(hd);
  return NULL;
}

static void set_method(const baton__curl_lib *cu, CURL *h, const baton__http_request *req) {
  bool sends = req->body || req->n_parts;
  const char *m = req->method ? req->method : (sends ? "POST" : "GET");
  if (strcmp(m, "GET") == 0 && !sends)
    cu->easy_setopt(h, CURLOPT_HTTPGET, 1L);
  else if (strcmp(m, "HEAD") == 0)
    cu->easy_setopt(h, CURLOPT_NOBODY, 1L);
  else if (strcmp(m, "POST") != 0 || !sends)
    cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  if (req->body && !req->n_parts) {
    cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    cu->easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
  }
}

static void set_options(const baton__curl_lib *cu, CURL *h, const baton__http_request *req, xfer *x,
                        struct curl_slist *hd, char *cerr) {
  cu->easy_setopt(h, CURLOPT_URL, req->url);
  cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  cu->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  cu->easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1"); /* loopback stays local */
  cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  cu->easy_setopt(h, CURLOPT_USERAGENT, "baton/" BATON_VERSION_STRING);
  cu->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  cu->easy_setopt(h, CURLOPT_HTTPHEADER, hd);
  if (req->follow_redirects) {
    cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    cu->easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    cu->easy_setopt(h, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
  }
  long connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
  if (req->timeout_ms > 0) {
    cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    if (connect > req->timeout_ms)
      connect = req->timeout_ms;
  }
  cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect);
  cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  cu->easy_setopt(h, CURLOPT_HEADERDATA, x);
  cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  cu->easy_setopt(h, CURLOPT_WRITEDATA, x);
  if (req->cancel) {
    cu->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    cu->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    cu->easy_setopt(h, CURLOPT_XFERINFODATA, x);
  }
  cu->easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  set_method(cu, h, req);
}

/* Runs the transfer, watching *cancel between short polls so that a stop is
 * noticed even while the server sends nothing. */
static CURLcode run_transfer(const baton__curl_lib *cu, CURL *h, const atomic_int *cancel) {
  if (!cancel)
    return cu->easy_perform(h);
  CURLM *m = cu->multi_init();
  if (!m)
    return CURLE_OUT_OF_MEMORY;
  CURLcode res = CURLE_OK;
  if (cu->multi_add_handle(m, h) != CURLM_OK) {
    cu->multi_cleanup(m);
    return CURLE_FAILED_INIT;
  }
  int running = 1;
  for (;;) {
    if (cu->multi_perform(m, &running) != CURLM_OK) {
      res = CURLE_FAILED_INIT;
      break;
    }
    if (!running) {
      int q;
      CURLMsg *msg;
      while ((msg = cu->multi_info_read(m, &q)))
        if (msg->msg == CURLMSG_DONE)
          res = msg->data.result;
      break;
    }
    if (is_cancelled(cancel)) {
      res = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    cu->multi_poll(m, NULL, 0, HTTP_POLL_MS, NULL);
  }
  cu->multi_remove_handle(m, h);
  cu->multi_cleanup(m);
  return res;
}

/* A transfer that got no complete answer (class rc), worded by baton__http_failure_text(). */
static baton__http_rc word(baton__http_rc rc, const baton__curl_lib *cu, CURL *h, const xfer *x,
                           const char *why, char *err, size_t errlen) {
  const baton__http_request *req = x->req;
  curl_off_t connect_us = 0;
  long os_errno = 0;
  cu->easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
  cu->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
  long connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
  if (req->timeout_ms > 0 && connect > req->timeout_ms)
    connect = req->timeout_ms;
  baton__http_failure f = {
      .server = req->server, .url = req->url, .timeout_ms = req->timeout_ms,
      .connect_ms = connect, .answered = x->resp->status > 0, .received = x->received,
      .connected = connect_us > 0 || x->resp->status > 0 || x->received > 0,
      .refused = os_errno == ECONNREFUSED, .detail = rc == BATON__HTTP_ENET ? why : NULL};
  baton__http_failure_text(rc, &f, err, errlen);
  return rc;
}

/* Maps a failed transfer to its class and message. */
static baton__http_rc classify(const baton__curl_lib *cu, CURL *h, CURLcode c, const xfer *x,
                               const char *cerr, char *err, size_t errlen) {
  const char *why = cerr[0] ? cerr : cu->easy_strerror(c);
  if (x->too_big) {
    baton__fmt(err, errlen, "the answer is larger than the %zu-byte limit", x->max_body);
    return BATON__HTTP_ETOOBIG;
  }
  if (x->stopped) {
    baton__fmt(err, errlen, "the transfer was stopped by its reader");
    return BATON__HTTP_ESTOPPED;
  }
  if (x->oom || c == CURLE_OUT_OF_MEMORY) {
    baton__fmt(err, errlen, "out of memory");
    return BATON__HTTP_ENOMEM;
  }
  if (c == CURLE_ABORTED_BY_CALLBACK || is_cancelled(x->req->cancel)) {
    baton__fmt(err, errlen, "cancelled");
    return BATON__HTTP_ECANCELLED;
  }
  switch (c) {
  case CURLE_COULDNT_CONNECT:
    return word(BATON__HTTP_EREFUSED, cu, h, x, why, err, errlen);
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return word(BATON__HTTP_EDNS, cu, h, x, why, err, errlen);
  case CURLE_OPERATION_TIMEDOUT:
    return word(BATON__HTTP_ETIMEOUT, cu, h, x, why, err, errlen);
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_READ_ERROR:
  case CURLE_FILE_COULDNT_READ_FILE:
    baton__fmt(err, errlen, "bad request: %s", why);
    return BATON__HTTP_EINVAL;
  default:
    return word(BATON__HTTP_ENET, cu, h, x, why, err, errlen);
  }
}

static bool valid_url(const char *u) {
  return u && (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0);
}

/* Hands the stored body to the response. */
static baton__http_rc finish_body(xfer *x) {
  baton__http_response *r = x->resp;
  if (x->body.len) {
    r->body_len = x->body.len;
    r->body = baton__sb_detach(&x->body);
    if (!r->body) {
      r->body = empty_body;
      r->body_len = 0;
      baton__fmt(r->err, sizeof r->err, "out of memory");
      return BATON__HTTP_ENOMEM;
    }
  }
  if (r->status >= 200 && r->status < 300)
    return BATON__HTTP_OK;
  baton__fmt(r->err, sizeof r->err, "HTTP %ld", r->status);
  return BATON__HTTP_ESTATUS;
}

baton__http_rc baton__http_perform(const baton__http_request *req, baton__http_response *resp) {
  baton__http_response_release(resp);
  if (!req || !valid_url(req->url)) {
    baton__fmt(resp->err, sizeof resp->err, "the URL must start with http:// or https://");
    return BATON__HTTP_EINVAL;
  }
  if (is_cancelled(req->cancel)) {
    baton__fmt(resp->err, sizeof resp->err, "cancelled");
    return BATON__HTTP_ECANCELLED;
  }
  pthread_once(&http_once, http_global_init);
  const baton__curl_lib *cu = http_lib;
  CURL *h = cu && http_init_rc == CURLE_OK ? cu->easy_init() : NULL;
  if (!h) {
    baton__fmt(resp->err, sizeof resp->err, "cannot start an HTTP request: %s",
               cu ? "libcurl failed to start" : http_init_why);
    return BATON__HTTP_ENOMEM;
  }
  xfer x = {.req = req, .resp = resp,
            .max_body = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY};
  baton__sb_init(&x.body);
  baton__sb auth;
  baton__sb_init(&auth);
  char cerr[CURL_ERROR_SIZE] = "";
  baton__http_rc rc = BATON__HTTP_ENOMEM;
  curl_mime *mime = NULL;
  struct curl_slist *hd = build_headers(cu, req, &auth);
  if (!hd) {
    baton__fmt(resp->err, sizeof resp->err, "out of memory");
    goto done;
  }
  if (req->n_parts) {
    if (!(mime = build_mime(cu, h, req, resp->err, sizeof resp->err))) {
      rc = BATON__HTTP_EINVAL;
      goto done;
    }
    cu->easy_setopt(h, CURLOPT_MIMEPOST, mime);
  }
  set_options(cu, h, req, &x, hd, cerr);
  CURLcode c = run_transfer(cu, h, req->cancel);
  if (c == CURLE_OK && !x.oom)
    rc = finish_body(&x);
  else
    rc = classify(cu, h, c, &x, cerr, resp->err, sizeof resp->err);
  if (rc != BATON__HTTP_OK && rc != BATON__HTTP_ESTATUS && rc != BATON__HTTP_ESTOPPED &&
      rc != BATON__HTTP_ETOOBIG) {
    resp->status = 0;
    clear_headers(resp);
  }
done:
  cu->easy_cleanup(h);
  cu->mime_free(mime);
  cu->slist_free_all(hd);
  if (auth.cap)
    memset(auth.buf, 0, auth.cap); /* no key left in freed memory */
  baton__sb_release(&auth);
  baton__sb_release(&x.body);
  return rc;
}
