/* hub_http.h — the HTTP GET the registry's Hub sync uses (libcurl lives here, not in registry/). */
#ifndef BATON_EXECUTORS_HUB_HTTP_H
#define BATON_EXECUTORS_HUB_HTTP_H

#include "registry/registry.h"

/* Largest Hub API page accepted. */
#define BATON__HUB_MAX_BODY (32u * 1024u * 1024u)

/*
 * A baton__hub_fetch_fn: GETs url (borrowed) with Accept: application/json,
 * "Authorization: Bearer <token>" when token is not NULL, a 10 s connect and
 * 60 s total timeout and a body of at most BATON__HUB_MAX_BODY. Fills *page:
 * status, body, the Link header and retry_after (seconds from Retry-After,
 * else from the RateLimit header's t=, else -1). ud is unused (NULL).
 * Returns 0 for any HTTP answer, -1 when none came (page->err says why).
 * Release the page with baton__hub_page_release(). Thread-safe.
 */
int baton__hub_http_get(void *ud, const char *url, const char *token, baton__hub_page *page);

#endif
