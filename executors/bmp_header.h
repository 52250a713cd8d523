/* bmp_header.h — a BMP's facts from its file and DIB headers, none of its pixels read. */
#ifndef BATON_EXECUTORS_BMP_HEADER_H
#define BATON_EXECUTORS_BMP_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* What a BMP's headers say of it. */
typedef struct baton__bmp_facts {
  int width, height;  /* pixels; a top-down picture's height (negative in the file) as its size */
  const char *format; /* ImageMagick's name for it: "BMP2" (12-byte header), "BMP3" (40), "BMP" */
  int palette_bits;   /* 1, 4 or 8: a palette of colours that many bits index; else 0 */
  int bands;          /* 3 (red, green, blue), or 4 with alpha */
  int band_bits[4];   /* each band's bits, red, green, blue, alpha (8-8-8, 5-6-5); none: 0 */
  bool alpha;         /* a 16- or 32-bit picture whose header gives an alpha mask */
  long x_ppm, y_ppm;  /* pixels per metre; both 0 when the header does not say both */
} baton__bmp_facts;

/* What baton__bmp_header() makes of a file. */
typedef enum baton__bmp_read {
  BATON__BMP_TOLD = 0,      /* *f holds its facts */
  BATON__BMP_NOT_READ = 1,  /* not a BMP this reads: open it as any other picture */
  BATON__BMP_BROKEN = -1,   /* a BMP whose header cannot be right: why says so */
} baton__bmp_read;

/* Reads the BMP at path: its 14-byte file header, its DIB header (BITMAPCOREHEADER of 12 bytes,
 * BITMAPINFOHEADER of 40, BITMAPV4HEADER of 108, BITMAPV5HEADER of 124) and, after a 40-byte
 * header, the 12 or 16 bytes of its colour masks: at most 154 bytes, each read of a known size.
 * No offset in the file is trusted: the pixel data's is checked against the headers' end and the
 * file's size, and nothing is read there.
 * BATON__BMP_TOLD for a picture of 1, 4 or 8 bits (a palette; RLE8 at 8, RLE4 at 4 bits), 16 or
 * 32 bits (BI_RGB's 5-5-5 or 8-8-8, or the masks of BI_BITFIELDS or BI_ALPHABITFIELDS: each
 * non-empty, contiguous and apart from the others; alpha only from a non-zero alpha mask, of a
 * V4 or V5 header or BI_ALPHABITFIELDS, and never under BI_RGB, as ImageMagick reads them) or 24.
 * BATON__BMP_NOT_READ, leaving the file to libvips (which reads a BMP through ImageMagick), where
 * ImageMagick refuses it at once from its header, so its error stays today's, or reads what this
 * does not: a file not starting "BM" (no BMP); a header cut short (the file is then at most 154
 * bytes: nothing to decode); another header size (OS/2's 64 bytes, 52, 56), planes not 1,
 * another depth or compression (JPEG or PNG inside, CMYK), masks other than those above, a
 * compressed picture stored top-down (rare files ImageMagick may read); a width or height of 0
 * or a negative width (refused by ImageMagick before any pixel).
 * BATON__BMP_BROKEN, with why (up to whylen bytes; the caller names the file), where handing the
 * file on would have ImageMagick set up the whole picture in memory before failing, or decode a
 * file that is wrong: a palette of more colours than its bits index; pixel data said to start
 * inside the headers and palette; uncompressed pixel data running past the end of the file, or
 * compressed data with no room for its 2-byte end mark. A picture past the megapixels baton
 * decodes is told all the same: nothing of it is decoded. */
baton__bmp_read baton__bmp_header(const char *path, baton__bmp_facts *f, char *why,
                                  size_t whylen);

#endif
