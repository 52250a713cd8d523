/* tiff_header.c — a TIFF's BitsPerSample and Photometric, from its header and first IFD. */
#include "executors/tiff_header.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

#define TH_MAX_ENTRIES 4096u
#define TH_MAX_SAMPLES 64u
#define TH_BITS 258u
#define TH_PHOTOMETRIC 262u
#define TH_SAMPLES 277u

typedef struct th_file {
  FILE *fp;
  bool big_endian, big; /* "MM"; BigTIFF (8-byte offsets and counts) */
} th_file;

/* The n-byte unsigned integer at b in the file's byte order (n <= 8). */
static uint64_t th_uint(const th_file *t, const unsigned char *b, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)b[t->big_endian ? n - 1 - i : i] << (8 * i);
  return v;
}

/* n bytes at offset off into b: false when the file ends first. */
static bool th_read_at(const th_file *t, uint64_t off, unsigned char *b, size_t n) {
  return off <= (uint64_t)INT64_MAX / 2 && fseeko(t->fp, (off_t)off, SEEK_SET) == 0 &&
         fread(b, 1, n, t->fp) == n;
}

/* One directory entry (12 bytes, BigTIFF 20): its tag's SHORT or LONG values, count of them at
 * most TH_MAX_SAMPLES, into v. The count, or 0 when it is none of these. */
static unsigned th_values(const th_file *t, const unsigned char *e, uint32_t v[TH_MAX_SAMPLES]) {
  unsigned type = (unsigned)th_uint(t, e + 2, 2), inline_cap = t->big ? 8 : 4;
  uint64_t count = th_uint(t, e + 4, t->big ? 8 : 4);
  unsigned size = type == 3 ? 2 : type == 4 ? 4 : 0;
  if (!size || count == 0 || count > TH_MAX_SAMPLES)
    return 0;
  unsigned char data[TH_MAX_SAMPLES * 4];
  const unsigned char *at = e + (t->big ? 12 : 8);
  if (count * size > inline_cap) { /* the values elsewhere: at the offset the entry holds */
    if (!th_read_at(t, th_uint(t, at, inline_cap), data, (size_t)count * size))
      return 0;
    at = data;
  }
  for (unsigned i = 0; i < count; i++)
    v[i] = (uint32_t)th_uint(t, at + (size_t)i * size, size);
  return (unsigned)count;
}

/* The first IFD's offset after the header: 0 when it is no TIFF this reads. */
static uint64_t th_header(th_file *t) {
  unsigned char h[16];
  if (!th_read_at(t, 0, h, 8) || (memcmp(h, "II", 2) != 0 && memcmp(h, "MM", 2) != 0))
    return 0;
  t->big_endian = h[0] == 'M';
  unsigned version = (unsigned)th_uint(t, h + 2, 2);
  if (version == 42)
    return th_uint(t, h + 4, 4);
  if (version != 43 || th_uint(t, h + 4, 2) != 8 || th_uint(t, h + 6, 2) != 0 ||
      !th_read_at(t, 8, h + 8, 8))
    return 0;
  t->big = true;
  return th_uint(t, h + 8, 8);
}

/* The directory at off: BitsPerSample's values into bits (their count *nbits), SamplesPerPixel
 * (default 1) and Photometric (default none: -1). false when malformed. */
static bool th_directory(const th_file *t, uint64_t off, uint32_t bits[TH_MAX_SAMPLES],
                         unsigned *nbits, uint32_t *samples, long *photometric) {
  unsigned char b[20];
  unsigned esize = t->big ? 20 : 12, csize = t->big ? 8 : 2;
  if (off < 8 || !th_read_at(t, off, b, csize))
    return false;
  uint64_t n = th_uint(t, b, csize);
  if (n == 0 || n > TH_MAX_ENTRIES)
    return false;
  uint32_t v[TH_MAX_SAMPLES];
  *nbits = 0, *samples = 1, *photometric = -1;
  bool seen_samples = false;
  for (uint64_t i = 0; i < n; i++) {
    if (!th_read_at(t, off + csize + i * esize, b, esize))
      return false;
    unsigned tag = (unsigned)th_uint(t, b, 2), k;
    if (tag != TH_BITS && tag != TH_SAMPLES && tag != TH_PHOTOMETRIC)
      continue;
    if (!(k = th_values(t, b, v)) || (tag != TH_BITS && k != 1))
      return false;
    if ((tag == TH_BITS && *nbits) || (tag == TH_SAMPLES && seen_samples) ||
        (tag == TH_PHOTOMETRIC && *photometric >= 0))
      return false; /* a tag twice */
    if (tag == TH_BITS)
      memcpy(bits, v, k * sizeof v[0]), *nbits = k;
    else if (tag == TH_SAMPLES)
      *samples = v[0], seen_samples = true;
    else
      *photometric = (long)v[0];
  }
  return true;
}

int baton__tiff_bits(const char *path, int *bits, bool *palette) {
  *bits = 0, *palette = false;
  th_file t = {.fp = fopen(path, "rb")};
  if (!t.fp)
    return -1;
  uint32_t v[TH_MAX_SAMPLES], samples = 0;
  unsigned n = 0;
  long photometric = -1;
  uint64_t ifd = th_header(&t);
  bool ok = ifd && th_directory(&t, ifd, v, &n, &samples, &photometric);
  fclose(t.fp);
  if (!ok || n == 0 || (n != 1 && n != samples))
    return -1;
  for (unsigned i = 1; i < n; i++)
    if (v[i] != v[0])
      return -1; /* differing bits per sample: not one depth to say */
  if (v[0] < 1 || v[0] > 64)
    return -1;
  *bits = (int)v[0], *palette = photometric == 3;
  return 0;
}
