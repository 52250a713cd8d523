/* hub_http.c — one bounded HTTP GET (net/http.h) for the Hub models API, with the headers sync needs (Link, Retry-After, RateLimit). */
#include "executors/hub_http.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/http.h"
#include "core/banned.h"

/* Seconds until the window resets from a RateLimit header ("api";r=0;t=55),
 * plus one; or -1. */
static double ratelimit_wait_s(const char *v) {
  if (!v)
    return -1;
  const char *t = strstr(v, "t=");
  while (t && t != v && t[-1] != ';' && t[-1] != ' ' && t[-1] != ',')
    t = strstr(t + 2, "t=");
  if (!t)
    return -1;
  char *end = NULL;
  double s = strtod(t + 2, &end);
  return end != t + 2 && s >= 0 ? s + 1 : -1;
}

int baton__hub_http_get(void *ud, const char *url, const char *token, baton__hub_page *page) {
  (void)ud;
  memset(page, 0, sizeof *page);
  page->retry_after = -1;
  const char *headers[] = {"Accept: application/json", NULL};
  baton__http_request req = {.method = "GET", .url = url, .headers = headers, .bearer = token,
                             .connect_timeout_ms = 10000, .timeout_ms = 60000,
                             .max_body = BATON__HUB_MAX_BODY};
  baton__http_response r;
  baton__http_response_init(&r);
  baton__http_rc rc = baton__http_perform(&req, &r);
  if (rc != BATON__HTTP_OK && rc != BATON__HTTP_ESTATUS) {
    if (rc == BATON__HTTP_ETOOBIG)
      baton__fmt(page->err, sizeof page->err, "the Hub page is larger than %u bytes",
                 BATON__HUB_MAX_BODY);
    else
      baton__fmt(page->err, sizeof page->err, "%s", r.err);
    baton__http_response_release(&r);
    return -1;
  }
  const char *link = baton__http_header_get(&r, "Link");
  long ra = baton__http_retry_after_ms(&r);
  page->retry_after = ra >= 0 ? (double)ra / 1000.0
                              : ratelimit_wait_s(baton__http_header_get(&r, "RateLimit"));
  page->link = link ? baton__strdup(link) : NULL;
  page->status = (int)r.status;
  page->body = baton__http_response_take_body(&r, &page->len);
  baton__http_response_release(&r);
  if (!page->body || (link && !page->link)) {
    baton__hub_page_release(page);
    page->status = 0;
    baton__fmt(page->err, sizeof page->err, "out of memory");
    return -1;
  }
  return 0;
}
