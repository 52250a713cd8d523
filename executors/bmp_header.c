/* bmp_header.c — a BMP's size, depth, masks and resolution from its file and DIB headers. */
#include "executors/bmp_header.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "core/banned.h"

#define BH_FILE 14u     /* BITMAPFILEHEADER */
#define BH_MAX_DIB 124u /* BITMAPV5HEADER */
#define BH_MAX_MASKS 16u

enum { BH_RGB = 0, BH_RLE8 = 1, BH_RLE4 = 2, BH_BITFIELDS = 3, BH_ALPHABITFIELDS = 6 };

/* The fields of the headers, as the file has them. */
typedef struct bh_dib {
  uint32_t offset, size, compression, colours; /* pixel data's offset; DIB size; ClrUsed */
  int64_t width, height, x_ppm, y_ppm;
  unsigned planes, bits;
  uint32_t masks[4]; /* red, green, blue, alpha; 0 where the header gives none */
  uint64_t end;      /* where the headers and masks end */
} bh_dib;

static unsigned bh_u16(const unsigned char *b) {
  return (unsigned)b[0] | (unsigned)b[1] << 8;
}

static uint32_t bh_u32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int64_t bh_s32(const unsigned char *b) {
  uint32_t v = bh_u32(b);
  return v >> 31 ? (int64_t)v - ((int64_t)1 << 32) : (int64_t)v;
}

/* The headers of the file open in fp into d: false when it does not start "BM", is cut short,
 * or has a DIB header of another size. */
static bool bh_read(FILE *fp, bh_dib *d) {
  unsigned char h[BH_FILE + BH_MAX_DIB + BH_MAX_MASKS], *b = h + BH_FILE;
  if (fread(h, 1, BH_FILE + 4, fp) != BH_FILE + 4 || memcmp(h, "BM", 2) != 0)
    return false;
  d->offset = bh_u32(h + 10), d->size = bh_u32(b);
  if (d->size != 12 && d->size != 40 && d->size != 108 && d->size != BH_MAX_DIB)
    return false;
  if (fread(b + 4, 1, d->size - 4, fp) != d->size - 4)
    return false;
  d->end = BH_FILE + d->size;
  if (d->size == 12) { /* BITMAPCOREHEADER: 16-bit sizes, no compression, no resolution */
    d->width = bh_u16(b + 4), d->height = bh_u16(b + 6);
    d->planes = bh_u16(b + 8), d->bits = bh_u16(b + 10);
    return true;
  }
  d->width = bh_s32(b + 4), d->height = bh_s32(b + 8);
  d->planes = bh_u16(b + 12), d->bits = bh_u16(b + 14), d->compression = bh_u32(b + 16);
  d->x_ppm = bh_s32(b + 24), d->y_ppm = bh_s32(b + 28), d->colours = bh_u32(b + 32);
  unsigned extra = d->size > 40                            ? 0
                   : d->compression == BH_BITFIELDS       ? 12
                   : d->compression == BH_ALPHABITFIELDS ? 16
                                                          : 0;
  if (extra && fread(b + 40, 1, extra, fp) != extra)
    return false;
  d->end += extra;
  for (unsigned i = 0; i < 4; i++)
    d->masks[i] = d->size > 40 || i * 4 < extra ? bh_u32(b + 40 + 4 * i) : 0;
  return true;
}

/* The bits a mask holds when they are one run of them; else 0. */
static int bh_run(uint32_t m) {
  if (!m)
    return 0;
  while (!(m & 1))
    m >>= 1;
  int n = 0;
  for (; m & 1; m >>= 1)
    n++;
  return m ? 0 : n;
}

/* A 16- or 32-bit picture's bands from its masks (BI_RGB: 5-5-5 or 8-8-8, and the alpha mask of
 * a V4 or V5 header): false when one is empty or not one run, or they overlap or overflow. */
static bool bh_masks(const bh_dib *d, baton__bmp_facts *f) {
  static const uint32_t rgb16[3] = {0x7c00, 0x3e0, 0x1f}, rgb32[3] = {0xff0000, 0xff00, 0xff};
  bool given = d->compression == BH_BITFIELDS || d->compression == BH_ALPHABITFIELDS;
  uint32_t m[4], seen = 0, room = d->bits == 16 ? 0xffffu : 0xffffffffu;
  for (int i = 0; i < 3; i++)
    m[i] = given ? d->masks[i] : d->bits == 16 ? rgb16[i] : rgb32[i];
  m[3] = given ? d->masks[3] : 0; /* BI_RGB: a header's masks, alpha's too, say nothing */
  f->alpha = m[3] != 0;
  f->bands = f->alpha ? 4 : 3;
  for (int i = 0; i < f->bands; i++) {
    if (!(f->band_bits[i] = bh_run(m[i])) || (m[i] & ~room) || (m[i] & seen))
      return false;
    seen |= m[i];
  }
  return true;
}

/* The picture's depth and bands from its bits and compression: false when this does not read
 * them. */
static bool bh_depth(const bh_dib *d, baton__bmp_facts *f) {
  unsigned b = d->bits, c = d->compression;
  if (d->planes != 1)
    return false;
  if (b == 1 || b == 4 || b == 8) {
    f->palette_bits = (int)b, f->bands = 3;
    return c == BH_RGB || (c == BH_RLE8 && b == 8) || (c == BH_RLE4 && b == 4);
  }
  if (b == 24) {
    f->bands = 3, f->band_bits[0] = f->band_bits[1] = f->band_bits[2] = 8;
    return c == BH_RGB;
  }
  bool masked = c == BH_RGB || c == BH_BITFIELDS || c == BH_ALPHABITFIELDS;
  return (b == 16 || b == 32) && d->size != 12 && masked && bh_masks(d, f);
}

/* The checks of a header this reads against the file's size. */
static baton__bmp_read bh_check(const bh_dib *d, int64_t height, long long file_size, char *why,
                                size_t whylen) {
  uint64_t colours = d->bits <= 8 ? (d->colours ? d->colours : 1u << d->bits) : 0;
  if (d->bits <= 8 && colours > 1u << d->bits) {
    baton__fmt(why, whylen, "its header says a palette of %llu colours, more than %u bits index",
               (unsigned long long)colours, d->bits);
    return BATON__BMP_BROKEN;
  }
  uint64_t start = d->end + colours * (d->size == 12 ? 3 : 4), size = (uint64_t)file_size;
  if (d->offset < start) {
    baton__fmt(why, whylen, "its pixel data starts at byte %lu, inside its headers and palette "
               "(%llu bytes)", (unsigned long)d->offset, (unsigned long long)start);
    return BATON__BMP_BROKEN;
  }
  bool packed = d->compression == BH_RLE8 || d->compression == BH_RLE4;
  uint64_t need = packed ? 2 : ((uint64_t)d->width * d->bits + 31) / 32 * 4 * (uint64_t)height;
  if (d->offset + need > size) {
    baton__fmt(why, whylen, "its pixel data, %llu bytes from byte %lu, runs past its end (%llu "
               "bytes)", (unsigned long long)need, (unsigned long)d->offset,
               (unsigned long long)size);
    return BATON__BMP_BROKEN;
  }
  return BATON__BMP_TOLD;
}

baton__bmp_read baton__bmp_header(const char *path, baton__bmp_facts *f, char *why,
                                  size_t whylen) {
  memset(f, 0, sizeof *f);
  if (whylen)
    why[0] = '\0';
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return BATON__BMP_NOT_READ;
  bh_dib d = {0};
  struct stat st;
  bool read = bh_read(fp, &d) && fstat(fileno(fp), &st) == 0;
  fclose(fp);
  bool packed = d.compression == BH_RLE8 || d.compression == BH_RLE4;
  if (!read || !bh_depth(&d, f) || d.width <= 0 || d.height == 0 || (packed && d.height < 0)) {
    memset(f, 0, sizeof *f);
    return BATON__BMP_NOT_READ;
  }
  int64_t height = d.height < 0 ? -d.height : d.height;
  baton__bmp_read r = bh_check(&d, height, (long long)st.st_size, why, whylen);
  if (r != BATON__BMP_TOLD) {
    memset(f, 0, sizeof *f);
    return r;
  }
  f->width = (int)d.width, f->height = (int)height;
  f->format = d.size == 12 ? "BMP2" : d.size == 40 ? "BMP3" : "BMP";
  if (d.x_ppm > 0 && d.y_ppm > 0)
    f->x_ppm = (long)d.x_ppm, f->y_ppm = (long)d.y_ppm;
  return BATON__BMP_TOLD;
}
