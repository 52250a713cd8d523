/* retry.c — when to try an HTTP request again: Retry-After forms, back-off with jitter, a cancellable sleep; which statuses are the request's own fault. */
#include "net/http.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/curl_lib.h"
#include "core/banned.h"

#define RETRY_MAX_MS (7L * 24 * 3600 * 1000) /* a longer wait is clamped to a week */
#define SLEEP_SLICE_MS 20

static long clamp_ms(double ms) {
  if (!(ms >= 0))
    return 0;
  return ms > (double)RETRY_MAX_MS ? RETRY_MAX_MS : (long)ceil(ms);
}

long baton__http_parse_retry_after(const char *value, time_t now) {
  if (!value)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (!*value)
    return -1;
  char *end = NULL;
  errno = 0;
  double s = strtod(value, &end);
  if (end != value && errno == 0 && isfinite(s)) {
    while (*end == ' ' || *end == '\t')
      end++;
    if (*end == '\0')
      return s < 0 ? -1 : clamp_ms(s * 1000.0);
  }
  char why[256];
  const baton__curl_lib *cu = baton__curl_lib_get(why, sizeof why);
  time_t when = cu ? cu->getdate(value, &now) : (time_t)-1; /* an HTTP date */
  if (when == (time_t)-1)
    return -1;
  return clamp_ms(difftime(when, now) * 1000.0);
}

long baton__http_retry_after_ms(const baton__http_response *r) {
  const char *ms = baton__http_header_get(r, "retry-after-ms");
  if (ms) {
    char *end = NULL;
    errno = 0;
    double v = strtod(ms, &end);
    if (end != ms && errno == 0 && isfinite(v) && v >= 0)
      return clamp_ms(v);
  }
  return baton__http_parse_retry_after(baton__http_header_get(r, "Retry-After"), time(NULL));
}

long baton__http_backoff_ms(int n, long base_ms, long cap_ms, unsigned *seed) {
  if (n < 0)
    n = 0;
  if (n > 30)
    n = 30;
  double d = (double)(base_ms > 0 ? base_ms : 1) * (double)(1L << n);
  if (cap_ms > 0 && d > (double)cap_ms)
    d = (double)cap_ms;
  double jitter = 1.0 - 0.25 * ((double)rand_r(seed) / (double)RAND_MAX);
  return (long)(d * jitter);
}

unsigned baton__http_seed(void) {
  unsigned local;
  return (unsigned)baton__now_ms() ^ (unsigned)(uintptr_t)&local ^ (unsigned)time(NULL) << 8;
}

bool baton__http_sleep(long ms, const atomic_int *cancel) {
  int64_t end = baton__now_ms() + ms;
  for (;;) {
    if (cancel && atomic_load(cancel))
      return false;
    int64_t left = end - baton__now_ms();
    if (left <= 0)
      return true;
    if (left > SLEEP_SLICE_MS)
      left = SLEEP_SLICE_MS;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
    nanosleep(&ts, NULL);
  }
}

bool baton__http_bad_input(long status) {
  return status == 400 || status == 413 || status == 415 || status == 422;
}

bool baton__http_transient(baton__http_rc rc, long status) {
  switch (rc) {
  case BATON__HTTP_EREFUSED:
  case BATON__HTTP_EDNS:
  case BATON__HTTP_ETIMEOUT:
  case BATON__HTTP_ENET:
    return true;
  case BATON__HTTP_ESTATUS:
    return status == 408 || status == 409 || status == 429 || status >= 500;
  default:
    return false;
  }
}
