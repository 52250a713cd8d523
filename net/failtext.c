/* failtext.c — a request that got no complete answer, in baton's words: who did not answer, within what time, after how many bytes. */
#include "net/http.h"

#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/banned.h"

char *baton__http_server_label(const char *name, const char *url, char *out, size_t cap) {
  baton__fmt(out, cap, "model server %s (%s)", name ? name : "?", url ? url : "?");
  return out;
}

/* "the server at SCHEME://HOST[:PORT]" from url (no path, no user or password). */
static void origin_subject(const char *url, char *out, size_t cap) {
  const char *p = url ? strstr(url, "://") : NULL;
  if (!p) {
    baton__fmt(out, cap, "the server");
    return;
  }
  const char *host = p + 3, *end = host + strcspn(host, "/?#");
  const char *at = memchr(host, '@', (size_t)(end - host));
  if (at)
    host = at + 1;
  baton__fmt(out, cap, "the server at %.*s%.*s", (int)(p + 3 - url), url, (int)(end - host),
             host);
}

/* "4 s", "1.5 s", "0.3 s". */
static void seconds(long ms, char *out, size_t cap) {
  if (ms % 1000 == 0)
    baton__fmt(out, cap, "%ld s", ms / 1000);
  else
    baton__fmt(out, cap, "%.1f s", (double)ms / 1000.0);
}

static void word_timeout(const baton__http_failure *f, const char *who, char *out, size_t cap) {
  char t[32];
  if (!f->connected) {
    seconds(f->connect_ms, t, sizeof t);
    baton__fmt(out, cap, "%s could not be reached within %s (no connection was made)", who, t);
    return;
  }
  seconds(f->timeout_ms, t, sizeof t);
  if (!f->answered && !f->received)
    baton__fmt(out, cap, "%s did not answer within %s", who, t);
  else
    baton__fmt(out, cap, "%s stopped sending after %zu bytes (no complete answer within %s)", who,
               f->received, t);
}

char *baton__http_failure_text(baton__http_rc rc, const baton__http_failure *f, char *out,
                               size_t cap) {
  char who[400];
  if (f->server && *f->server)
    baton__fmt(who, sizeof who, "%s", f->server);
  else
    origin_subject(f->url, who, sizeof who);
  const char *detail = f->detail && *f->detail ? f->detail : NULL;
  switch (rc) {
  case BATON__HTTP_ETIMEOUT:
    word_timeout(f, who, out, cap);
    break;
  case BATON__HTTP_EREFUSED:
    baton__fmt(out, cap, "%s could not be reached: %s", who,
               f->refused ? "the connection was refused (is it running?)"
                          : "no connection could be made");
    break;
  case BATON__HTTP_EDNS:
    baton__fmt(out, cap, "%s could not be found: its host name does not resolve", who);
    break;
  case BATON__HTTP_ENET:
    if (f->received || f->answered)
      baton__fmt(out, cap, "%s stopped sending after %zu bytes: the connection broke%s%s%s", who,
                 f->received, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
    else
      baton__fmt(out, cap, "%s closed the connection without answering%s%s%s", who,
                 detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
    break;
  default:
    baton__fmt(out, cap, "%s: %s", who, detail ? detail : baton__http_rc_name(rc));
    break;
  }
  return out;
}
