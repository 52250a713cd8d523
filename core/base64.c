/* base64.c — standard base64: encoding as the wire formats want it, lenient decoding, a canonical-form check. */
#include "core/base64.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *baton__b64_encode(const void *data, size_t len) {
  if (len > (SIZE_MAX / 4) * 3 - 3)
    return NULL;
  const unsigned char *p = data;
  size_t out_len = 4 * ((len + 2) / 3);
  char *out = malloc(out_len + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = b64_alphabet[v >> 6 & 63];
    out[o++] = b64_alphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  out[o] = '\0';
  return out;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

unsigned char *baton__b64_decode(const char *s, size_t len, size_t *out_len) {
  unsigned char *out = malloc(len / 4 * 3 + 4);
  if (!out)
    return NULL;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  bool padded = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isspace(c))
      continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || padded) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits & 0xff);
    }
  }
  if (bits >= 6) { /* a lone sixth bit group cannot end valid base64 */
    free(out);
    return NULL;
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

bool baton__b64_is_canonical(const char *s, size_t len) {
  if (len % 4)
    return false;
  size_t pad = 0;
  while (pad < len && pad < 2 && s[len - 1 - pad] == '=')
    pad++;
  for (size_t i = 0; i < len - pad; i++)
    if (!s[i] || !strchr(b64_alphabet, s[i]))
      return false;
  return true;
}
