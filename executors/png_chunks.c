/* png_chunks.c — whether a PNG in memory is whole, walking its chunks by their lengths to IEND. */
#include "executors/png_chunks.h"

#include <stdint.h>
#include <string.h>

#include "core/banned.h"

#define PNG_MAX_CHUNKS 1000000u

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *baton__png_incomplete(const unsigned char *data, size_t len) {
  if (len < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)
    return "has no PNG signature";
  size_t at = 8;
  for (unsigned n = 0; n < PNG_MAX_CHUNKS; n++) {
    if (len - at < 12) /* length, type and CRC */
      return "is cut short: it ends before its IEND chunk";
    uint32_t size = be32(data + at);
    if (size > 0x7fffffffu)
      return "has a chunk whose length is over the PNG limit";
    if ((uint64_t)len - at - 12 < size)
      return "is cut short: it ends inside a chunk";
    if (!memcmp(data + at + 4, "IEND", 4))
      return NULL;
    at += 12 + (size_t)size;
  }
  return "has over a million chunks";
}
