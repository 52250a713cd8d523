/* errtext.c — one readable sentence from an HTTP error body, whatever shape the server uses. */
#include "net/http.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/banned.h"

/* Copies printable text, collapsing white space and control bytes, cut at a
 * UTF-8 boundary within max bytes. */
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

static void add_str(baton__sb *sb, const char *s, size_t max) { clean_text(sb, s, strlen(s), max); }

static void add_json_scalar(baton__sb *sb, const cJSON *v) {
  if (cJSON_IsString(v) && v->valuestring)
    add_str(sb, v->valuestring, 400);
  else if (cJSON_IsNumber(v))
    baton__sb_addf(sb, "%g", v->valuedouble);
  else {
    char *p = cJSON_PrintUnformatted(v);
    if (p) {
      add_str(sb, p, 400);
      free(p);
    }
  }
}

static const cJSON *member(const cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool nonempty_string(const cJSON *v) {
  return cJSON_IsString(v) && v->valuestring && *v->valuestring;
}

/* {"error":{"message","type","code"}}: the message, then (type ..., code ...). */
static void add_error_object(baton__sb *sb, const cJSON *e) {
  const cJSON *m = member(e, "message");
  if (!cJSON_IsString(m))
    m = member(e, "msg");
  if (cJSON_IsString(m) && m->valuestring)
    add_str(sb, m->valuestring, 400);
  else
    add_json_scalar(sb, e);
  const cJSON *t = member(e, "type"), *code = member(e, "code");
  bool has_t = nonempty_string(t);
  bool has_c = nonempty_string(code) || cJSON_IsNumber(code);
  if (!has_t && !has_c)
    return;
  baton__sb_adds(sb, " (");
  if (has_t) {
    baton__sb_adds(sb, "type ");
    add_str(sb, t->valuestring, 80);
  }
  if (has_c) {
    baton__sb_adds(sb, has_t ? ", code " : "code ");
    add_json_scalar(sb, code);
  }
  baton__sb_adds(sb, ")");
}

static void add_error_list(baton__sb *sb, const cJSON *e) {
  const cJSON *it;
  bool first = true;
  cJSON_ArrayForEach(it, e) {
    if (!first)
      baton__sb_adds(sb, "; ");
    first = false;
    add_json_scalar(sb, it);
    if (sb->len > 600)
      break;
  }
}

static void add_json_error(baton__sb *sb, const cJSON *j) {
  const cJSON *e = member(j, "error");
  if (cJSON_IsString(e) && e->valuestring) {
    add_str(sb, e->valuestring, 400);
    const cJSON *et = member(j, "error_type");
    if (nonempty_string(et)) {
      baton__sb_adds(sb, " (");
      add_str(sb, et->valuestring, 80);
      baton__sb_adds(sb, ")");
    }
    return;
  }
  if (cJSON_IsObject(e)) {
    add_error_object(sb, e);
    return;
  }
  if (cJSON_IsArray(e)) {
    add_error_list(sb, e);
    return;
  }
  const cJSON *m = member(j, "message");
  if (cJSON_IsString(m)) {
    /* Flat: TEI {"message","code","type"}, vLLM < 0.10.1
     * {"object":"error","message","type","param","code"}. */
    add_error_object(sb, j);
    return;
  }
  if (!m || cJSON_IsNull(m))
    m = member(j, "detail");
  if (cJSON_IsObject(m) && (member(m, "message") || member(m, "error")))
    add_error_object(sb, member(m, "message") ? m : member(m, "error"));
  else if (m && !cJSON_IsNull(m))
    add_json_scalar(sb, m);
}

/* Where s[0..len) holds tag (an ASCII lower-case string), ignoring case, or NULL. */
static const char *find_ci(const char *s, size_t len, const char *tag) {
  size_t n = strlen(tag);
  for (size_t i = 0; n && i + n <= len; i++)
    if (strncasecmp(s + i, tag, n) == 0)
      return s + i;
  return NULL;
}

/* An HTML page (a proxy's or a web server's error page, not the API's answer): its <title>, else
 * its words without the tags, then "(an HTML page)". false when body is not HTML. */
static bool add_html(baton__sb *sb, const char *body, size_t len) {
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
    i++;
  if (i >= len || body[i] != '<' ||
      !(find_ci(body, len, "<html") || find_ci(body, len, "<!doctype html")))
    return false;
  size_t start = sb->len;
  const char *t = find_ci(body, len, "<title>");
  const char *te = t ? find_ci(t, len - (size_t)(t - body), "</title>") : NULL;
  if (te)
    clean_text(sb, t + 7, (size_t)(te - t - 7), 200);
  if (sb->len == start) { /* no title: the page's words */
    baton__sb words;
    baton__sb_init(&words);
    bool in_tag = false;
    for (size_t k = i; k < len && words.len < 2000; k++) {
      if (body[k] == '<' || body[k] == '>') {
        in_tag = body[k] == '<';
        baton__sb_addc(&words, ' '); /* a tag parts words */
      } else if (!in_tag) {
        baton__sb_addc(&words, body[k]);
      }
    }
    if (baton__sb_ok(&words))
      clean_text(sb, words.buf, words.len, 200);
    baton__sb_release(&words);
  }
  baton__sb_adds(sb, sb->len == start ? "an HTML page" : " (an HTML page)");
  return true;
}

char *baton__http_error_text(const char *body, size_t len, char *out, size_t cap) {
  if (!out || cap == 0)
    return out;
  out[0] = '\0';
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON *j = (body && len) ? cJSON_ParseWithLength(body, len) : NULL;
  if (j && cJSON_IsObject(j))
    add_json_error(&sb, j);
  cJSON_Delete(j);
  if (sb.len == 0 && !(body && len && add_html(&sb, body, len))) {
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
