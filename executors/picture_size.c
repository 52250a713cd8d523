/* picture_size.c — a picture's size read from its PNG, JPEG, GIF, BMP or WebP header (a JPEG's
 * segments walked to its frame header), and the 100-megapixel limit the local executors keep to. */
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

/* Enough of a file's start for a PNG, GIF, BMP or WebP header. */
#define HEAD_READ 32u
/* Bounds on the walk of a JPEG's segments to its frame header: segments, and bytes scanned for
 * markers (stray bytes between segments, which libjpeg skips, count too). */
#define JPEG_MAX_SEGMENTS 4096u
#define JPEG_MAX_SCANNED (64u * 1024u)

static unsigned be16(const unsigned char *b) { return (unsigned)b[0] << 8 | b[1]; }
static unsigned le16(const unsigned char *b) { return (unsigned)b[1] << 8 | b[0]; }
static double le24(const unsigned char *b) { return b[0] | b[1] << 8 | (unsigned)b[2] << 16; }
static double le32s(const unsigned char *b) {
  uint32_t v = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
  return (double)(int32_t)v;
}

/* The code of the next marker in fp, read past its 0xFF, any fill bytes and stray bytes before
 * it (as libjpeg skips them), *scanned counting the bytes read: -1 at the file's end, -2 once
 * *scanned passes JPEG_MAX_SCANNED. */
static int jpeg_next_marker(FILE *fp, size_t *scanned) {
  int prev = 0;
  for (int c; (c = getc(fp)) != EOF; prev = c) {
    if (++*scanned > JPEG_MAX_SCANNED)
      return -2;
    if (prev == 0xFF && c != 0xFF && c != 0)
      return c;
  }
  return -1;
}

static bool jpeg_is_sof(int m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* A JPEG's size from its first SOFn segment, walking the segments before it by their lengths
 * from fp's position (just past SOI). NULL, or why it cannot be told (static). */
static const char *jpeg_size(FILE *fp, double *w, double *h) {
  size_t scanned = 0;
  for (unsigned seg = 0; seg < JPEG_MAX_SEGMENTS; seg++) {
    int m = jpeg_next_marker(fp, &scanned);
    unsigned char b[7];
    if (m == -2)
      return "over 64 KiB of stray bytes between its JPEG segments";
    if (m == -1)
      return "it ends before its JPEG frame header (cut short?)";
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7))
      continue; /* a marker with no length */
    if (m == 0xD9 || m == 0xDA)
      return "its JPEG image data begins before its frame header";
    if (fread(b, 1, 2, fp) != 2)
      return "it ends before its JPEG frame header (cut short?)";
    unsigned len = be16(b);
    if (len < 2 || (jpeg_is_sof(m) && len < 7))
      return "a JPEG segment's length is malformed";
    if (jpeg_is_sof(m)) {
      if (fread(b + 2, 1, 5, fp) != 5)
        return "it ends in its JPEG frame header (cut short?)";
      *h = be16(b + 3), *w = be16(b + 5);
      return NULL;
    }
    if (fseek(fp, (long)len - 2, SEEK_CUR) != 0)
      return "it ends before its JPEG frame header (cut short?)";
  }
  return "over 4096 JPEG segments before its frame header";
}

/* A WebP's size from the first chunk in b (n bytes, n >= 30): the canvas of a VP8X file. */
static bool webp_size(const unsigned char *b, baton__picture_header *out) {
  if (!memcmp(b + 12, "VP8X", 4)) {
    out->w = 1.0 + le24(b + 24), out->h = 1.0 + le24(b + 27);
    out->animated = b[20] & 0x02;
  } else if (!memcmp(b + 12, "VP8 ", 4)) {
    out->w = le16(b + 26) & 0x3FFF, out->h = le16(b + 28) & 0x3FFF;
  } else if (!memcmp(b + 12, "VP8L", 4)) {
    out->w = 1.0 + (b[21] | (b[22] & 0x3F) << 8);
    out->h = 1.0 + (b[22] >> 6 | b[23] << 2 | (b[24] & 0x0F) << 10);
  } else {
    return false;
  }
  return true;
}

/* The size the header in b (n bytes) says, but a JPEG's (read on from fp). */
static bool header_size(const unsigned char *b, size_t n, FILE *fp, baton__picture_header *out) {
  if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
    out->format = "PNG";
    out->w = (double)((uint32_t)be16(b + 16) << 16 | be16(b + 18));
    out->h = (double)((uint32_t)be16(b + 20) << 16 | be16(b + 22));
  } else if (n >= 10 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) {
    out->format = "GIF";
    out->w = le16(b + 6), out->h = le16(b + 8);
  } else if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    bool core = le16(b + 14) == 12 && !b[16] && !b[17]; /* an OS/2 12-byte header */
    out->format = "BMP";
    out->w = core ? le16(b + 18) : fabs(le32s(b + 18));
    out->h = core ? le16(b + 20) : fabs(le32s(b + 22));
  } else if (n >= 30 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) {
    out->format = "WebP";
    return webp_size(b, out);
  } else if (n >= 2 && b[0] == 0xFF && b[1] == 0xD8) {
    out->format = "JPEG";
    return fseek(fp, 2, SEEK_SET) == 0 && !(out->damaged = jpeg_size(fp, &out->w, &out->h));
  } else {
    return false;
  }
  return true;
}

bool baton__run_picture_header(const char *path, baton__picture_header *out) {
  memset(out, 0, sizeof *out);
  unsigned char b[HEAD_READ];
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return false;
  setvbuf(fp, NULL, _IOFBF, 512); /* a JPEG's segments are sought past, not read */
  size_t n = fread(b, 1, sizeof b, fp);
  bool ok = header_size(b, n, fp, out);
  fclose(fp);
  return ok;
}
