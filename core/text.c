/* text.c — classes of bytes (word, blank), UTF-8 validation and repair, and checks of JSON text from outside (NUL characters hidden in strings, nesting). */
#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

bool baton__ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool baton__word_byte(char c) {
  return baton__ascii_alnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

bool baton__space_byte(char c) { return c && strchr(" \t\n\v\f\r", c); }

/* The last byte of the General Punctuation character (U+2000..U+203F) s[0..n) starts with, or 0. */
static unsigned char general_punct(const char *s, size_t n) {
  bool lead = n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80;
  return lead ? (unsigned char)s[2] : 0;
}

size_t baton__dash_len(const char *s, size_t n) {
  unsigned char c = general_punct(s, n);
  return c == 0x93 || c == 0x94 ? 3 : 0; /* U+2013, U+2014 */
}

size_t baton__fold_apostrophe(char *s) {
  size_t w = 0, n = strlen(s);
  for (size_t r = 0; r < n; w++) {
    bool apos = general_punct(s + r, n - r) == 0x99; /* U+2019 */
    s[w] = apos ? '\'' : s[r];
    r += apos ? 3 : 1;
  }
  s[w] = '\0';
  return w;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t seq_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t k;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf) {
    k = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    k = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    k = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < k)
    return 0;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return k;
}

size_t baton__utf8_cut(const char *s, size_t len, size_t max) {
  if (len <= max)
    return len;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
    max--;
  return max;
}

bool baton__utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t k = seq_len(p + i, len - i);
    if (!k)
      return false;
    i += k;
  }
  return true;
}

char *baton__utf8_repair(const char *s, size_t len, size_t *out_len) {
  char *out = malloc(len * 3 + 1);
  if (!out)
    return NULL;
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < len) {
    size_t k = seq_len(p + i, len - i);
    if (k) {
      memcpy(out + o, p + i, k);
      o += k;
      i += k;
    } else {
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
    return (c | 0x20) - 'a' + 10;
  return -1;
}

bool baton__json_has_nul(const char *json, size_t len) {
  bool in_str = false;
  for (size_t i = 0; i < len; i++) {
    char c = json[i];
    if (!in_str) {
      in_str = c == '"';
      continue;
    }
    if (c == '"') {
      in_str = false;
    } else if (c == '\\' && i + 1 < len) {
      if (json[i + 1] == 'u' && i + 5 < len && hexval(json[i + 2]) == 0 &&
          hexval(json[i + 3]) == 0 && hexval(json[i + 4]) == 0 && hexval(json[i + 5]) == 0)
        return true;
      i++; /* the escaped character */
    }
  }
  return false;
}

const char *baton__json_text_problem(const char *json, size_t len) {
  if (memchr(json, '\0', len))
    return "it holds a NUL byte";
  if (!baton__utf8_valid(json, len))
    return "it is not valid UTF-8";
  if (baton__json_has_nul(json, len))
    return "a string in it holds a NUL character (\\u0000), which baton refuses rather than cut";
  return NULL;
}

/* Whether JSON text nests arrays and objects deeper than limit (brackets
 * inside strings do not count). */
static bool nested_deeper(const char *json, size_t len, size_t limit) {
  bool in_str = false;
  size_t depth = 0;
  for (size_t i = 0; i < len; i++) {
    char c = json[i];
    if (in_str) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if ((c == '[' || c == '{') && ++depth > limit) {
      return true;
    } else if ((c == ']' || c == '}') && depth) {
      depth--;
    }
  }
  return false;
}

const char *baton__json_parse_problem(const char *json, size_t len, size_t limit, char *buf,
                                      size_t cap) {
  if (nested_deeper(json, len, limit)) {
    snprintf(buf, cap, "the JSON nests arrays and objects deeper than %zu levels", limit);
    return buf;
  }
  return "not valid JSON";
}
