/* picture_size.c — a picture's size read from its PNG, JPEG, GIF, BMP or WebP header, and the
 * 100-megapixel limit the local executors refuse a picture over. */
#include "executors/picture_size.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool baton__run_pixels_ok(double w, double h) {
  return w >= 1 && h >= 1 && w * h <= BATON__RUN_MAX_PIXELS;
}

int baton__run_too_many_pixels(baton__exec_env *env, const char *name, double w, double h) {
  return baton__run_bad_input(env, "%s is %.0fx%.0f pixels, over %.0f megapixels", name, w, h,
                              BATON__RUN_MAX_PIXELS / 1e6);
}

#define HEADER_READ (256u * 1024u)

static unsigned be16(const unsigned char *b) { return (unsigned)b[0] << 8 | b[1]; }
static unsigned le16(const unsigned char *b) { return (unsigned)b[1] << 8 | b[0]; }
static double le32s(const unsigned char *b) {
  uint32_t v = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
  return (double)(int32_t)v;
}

/* A JPEG's size from its first SOFn segment in b (n bytes). */
static bool jpeg_size(const unsigned char *b, size_t n, double *w, double *h) {
  for (size_t i = 2; i + 9 < n;) {
    if (b[i] != 0xFF)
      return false;
    unsigned m = b[i + 1];
    if (m == 0xFF || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) {
      i += m == 0xFF ? 1 : 2; /* a fill byte, or a marker with no length */
      continue;
    }
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      *h = be16(b + i + 5), *w = be16(b + i + 7);
      return true;
    }
    i += 2 + be16(b + i + 2);
  }
  return false;
}

/* The size the header in b (n bytes) says. */
static bool header_size(const unsigned char *b, size_t n, double *w, double *h) {
  if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
    *w = (double)((uint32_t)be16(b + 16) << 16 | be16(b + 18));
    *h = (double)((uint32_t)be16(b + 20) << 16 | be16(b + 22));
  } else if (n >= 10 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) {
    *w = le16(b + 6), *h = le16(b + 8);
  } else if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    bool core = le16(b + 14) == 12 && !b[16] && !b[17]; /* an OS/2 12-byte header */
    *w = core ? le16(b + 18) : fabs(le32s(b + 18));
    *h = core ? le16(b + 20) : fabs(le32s(b + 22));
  } else if (n >= 30 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) {
    if (!memcmp(b + 12, "VP8X", 4))
      *w = 1.0 + (b[24] | b[25] << 8 | b[26] << 16), *h = 1.0 + (b[27] | b[28] << 8 | b[29] << 16);
    else if (!memcmp(b + 12, "VP8 ", 4))
      *w = le16(b + 26) & 0x3FFF, *h = le16(b + 28) & 0x3FFF;
    else if (!memcmp(b + 12, "VP8L", 4))
      *w = 1.0 + (b[21] | (b[22] & 0x3F) << 8),
      *h = 1.0 + (b[22] >> 6 | b[23] << 2 | (b[24] & 0x0F) << 10);
    else
      return false;
  } else {
    return n >= 4 && b[0] == 0xFF && b[1] == 0xD8 && jpeg_size(b, n, w, h);
  }
  return true;
}

bool baton__run_header_size(const char *path, double *w, double *h) {
  unsigned char *b = malloc(HEADER_READ);
  FILE *fp = b ? fopen(path, "rb") : NULL;
  size_t n = fp ? fread(b, 1, HEADER_READ, fp) : 0;
  if (fp)
    fclose(fp);
  bool ok = header_size(b, n, w, h);
  free(b);
  return ok;
}
