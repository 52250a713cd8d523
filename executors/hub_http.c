/* hub_http.c — one bounded HTTP GET for the Hub models API, with the headers sync needs (Link, Retry-After, RateLimit). */
#include "executors/hub_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/banned.h"

static pthread_once_t hub_curl_once = PTHREAD_ONCE_INIT;
static void hub_curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct xfer {
  baton__hub_page *page;
  baton__sb body;
  bool too_big;
  double retry_after;  /* from Retry-After, or -1 */
  double ratelimit_t;  /* from RateLimit t=, or -1 */
} xfer;

static size_t on_write(char *data, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  if (x->body.len + len > BATON__HUB_MAX_BODY) {
    x->too_big = true;
    return 0;
  }
  baton__sb_add(&x->body, data, len);
  return baton__sb_ok(&x->body) ? len : 0;
}

/* The value of header "name:" in line (len bytes), trimmed, malloc'd; or NULL. */
static char *header_value(const char *line, size_t len, const char *name) {
  size_t nl = strlen(name);
  if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1;
  const char *e = line + len;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
    e--;
  return baton__strndup(v, (size_t)(e - v));
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  char *v;
  if ((v = header_value(data, len, "Link"))) {
    free(x->page->link);
    x->page->link = v;
  } else if ((v = header_value(data, len, "Retry-After"))) {
    char *end = NULL;
    double s = strtod(v, &end);
    if (end != v && s >= 0)
      x->retry_after = s;
    free(v);
  } else if ((v = header_value(data, len, "RateLimit"))) {
    /* "api";r=0;t=55 : t is the seconds until the window resets. */
    const char *t = strstr(v, "t=");
    while (t && t != v && t[-1] != ';' && t[-1] != ' ' && t[-1] != ',')
      t = strstr(t + 2, "t=");
    if (t) {
      char *end = NULL;
      double s = strtod(t + 2, &end);
      if (end != t + 2 && s >= 0)
        x->ratelimit_t = s + 1;
    }
    free(v);
  }
  return len;
}

int baton__hub_http_get(void *ud, const char *url, const char *token, baton__hub_page *page) {
  (void)ud;
  memset(page, 0, sizeof *page);
  page->retry_after = -1;
  pthread_once(&hub_curl_once, hub_curl_init);
  CURL *h = curl_easy_init();
  if (!h) {
    baton__fmt(page->err, sizeof page->err, "cannot start an HTTP request");
    return -1;
  }
  xfer x = {.page = page, .retry_after = -1, .ratelimit_t = -1};
  baton__sb_init(&x.body);
  struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
  char auth[1024];
  if (token && *token) {
    baton__fmt(auth, sizeof auth, "Authorization: Bearer %s", token);
    hdrs = curl_slist_append(hdrs, auth);
  }
  char curl_err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "baton/" BATON_VERSION_STRING);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
  CURLcode c = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  int rc = 0;
  if (x.too_big) {
    baton__fmt(page->err, sizeof page->err, "the Hub page is larger than %u bytes",
               BATON__HUB_MAX_BODY);
    rc = -1;
  } else if (c != CURLE_OK) {
    baton__fmt(page->err, sizeof page->err, "%s", curl_err[0] ? curl_err : curl_easy_strerror(c));
    rc = -1;
  } else if (!baton__sb_ok(&x.body)) {
    baton__fmt(page->err, sizeof page->err, "out of memory");
    rc = -1;
  }
  if (rc) {
    baton__sb_release(&x.body);
    free(page->link);
    page->link = NULL;
    page->status = 0;
    return -1;
  }
  page->status = (int)status;
  page->len = x.body.len;
  page->body = baton__sb_detach(&x.body);
  if (!page->body)
    page->body = baton__strdup("");
  page->retry_after = x.retry_after >= 0 ? x.retry_after : x.ratelimit_t;
  return 0;
}
