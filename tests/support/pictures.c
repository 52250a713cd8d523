/* pictures.c — small crafted picture files for the tests of header reading (pictures.h). */
#include "support/pictures.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A valid 4 x 4 lossless WebP's VP8L chunk (its tag, length and bitstream). */
static const unsigned char vp8l_4x4[] = {
    0x56, 0x50, 0x38, 0x4c, 0x2f, 0x00, 0x00, 0x00, 0x2f, 0x03, 0xc0, 0x00, 0x00, 0x7f, 0x20,
    0x24, 0x48, 0x12, 0xd9, 0xff, 0x8b, 0xbd, 0x30, 0x0f, 0x6a, 0xda, 0x36, 0x60, 0xf1, 0x9f,
    0x74, 0xcc, 0x7f, 0xc2, 0xde, 0x81, 0x20, 0x00, 0x62, 0x41, 0x8b, 0x16, 0x2d, 0x5a, 0xb4,
    0x68, 0xd1, 0xa2, 0x23, 0xa2, 0xff, 0x01, 0xca, 0xe9, 0x0e, 0x00};

static void put16le(unsigned char *b, unsigned v) { b[0] = v & 0xFF, b[1] = v >> 8 & 0xFF; }
static void put24le(unsigned char *b, unsigned v) { put16le(b, v), b[2] = v >> 16 & 0xFF; }
static void put32le(unsigned char *b, unsigned v) { put16le(b, v), put16le(b + 2, v >> 16); }

static void write_all(FILE *fp, const void *b, size_t n) {
  cr_assert(fp && fwrite(b, 1, n, fp) == n, "cannot write a crafted picture");
}

static FILE *create(const char *path) {
  FILE *fp = fopen(path, "wb");
  cr_assert(fp, "cannot create %s", path);
  return fp;
}

void bt_write_gif(const char *path, unsigned screen_w, unsigned screen_h) {
  unsigned char g[35] = "GIF89a";
  put16le(g + 6, screen_w), put16le(g + 8, screen_h);
  g[10] = 0x80;                             /* a global colour table of 2 colours */
  memcpy(g + 13, "\0\0\0\xff\xff\xff", 6);  /* black, white */
  g[19] = ',';                              /* an image at 0,0 of 1 x 1 */
  put16le(g + 24, 1), put16le(g + 26, 1);
  memcpy(g + 29, "\x02\x02\x44\x01\x00;", 6); /* LZW: clear, colour 0, end; the trailer */
  FILE *fp = create(path);
  write_all(fp, g, sizeof g);
  cr_assert_eq(fclose(fp), 0);
}

void bt_write_webp_vp8x(const char *path, unsigned canvas_w, unsigned canvas_h, bool animated) {
  unsigned char head[30] = "RIFF....WEBPVP8X";
  unsigned char anim[14] = "ANIM", anmf[24] = "ANMF";
  size_t frame = 16 + sizeof vp8l_4x4; /* ANMF's payload: where, how big, how long, the picture */
  put32le(head + 16, 10);
  head[20] = animated ? 0x02 : 0;
  put24le(head + 24, canvas_w - 1), put24le(head + 27, canvas_h - 1);
  put32le(anim + 4, 6);
  put32le(anmf + 4, (unsigned)frame);
  put24le(anmf + 14, 3), put24le(anmf + 17, 3), put24le(anmf + 20, 100);
  size_t body = sizeof head - 8 + sizeof vp8l_4x4 + (animated ? sizeof anim + sizeof anmf : 0);
  put32le(head + 4, (unsigned)body);
  FILE *fp = create(path);
  write_all(fp, head, sizeof head);
  if (animated) {
    write_all(fp, anim, sizeof anim);
    write_all(fp, anmf, sizeof anmf);
  }
  write_all(fp, vp8l_4x4, sizeof vp8l_4x4);
  cr_assert_eq(fclose(fp), 0);
}

void bt_write_jpeg_with_metadata(const char *path, const unsigned char *jpeg, size_t len,
                                 size_t meta) {
  cr_assert(len >= 2 && jpeg[0] == 0xFF && jpeg[1] == 0xD8, "not a JPEG");
  unsigned char *seg = calloc(1, 65535 + 2);
  cr_assert(seg);
  FILE *fp = create(path);
  write_all(fp, jpeg, 2);
  while (meta >= 4) {
    size_t n = meta > 65535 + 2 ? 65535 + 2 : meta; /* a segment: its marker, length, data */
    if (meta - n > 0 && meta - n < 4)
      n -= 4; /* leaves room for a last segment */
    seg[0] = 0xFF, seg[1] = 0xE1, seg[2] = (n - 2) >> 8 & 0xFF, seg[3] = (n - 2) & 0xFF;
    write_all(fp, seg, n);
    meta -= n;
  }
  write_all(fp, jpeg + 2, len - 2);
  cr_assert_eq(fclose(fp), 0);
  free(seg);
}

size_t bt_jpeg_frame_only(unsigned char *jpeg, unsigned w, unsigned h) {
  static const unsigned char sof[] = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0, 0, 0, 0,
                                      0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11,
                                      0x00, 0xFF, 0xD9};
  memcpy(jpeg, sof, sizeof sof);
  jpeg[7] = h >> 8 & 0xFF, jpeg[8] = h & 0xFF, jpeg[9] = w >> 8 & 0xFF, jpeg[10] = w & 0xFF;
  return sizeof sof;
}
