/* picture_size.h — how big a picture is, told from its header before any library decodes it, and
 * the pixel limit every local executor on pictures keeps to. */
#ifndef BATON_EXECUTORS_PICTURE_SIZE_H
#define BATON_EXECUTORS_PICTURE_SIZE_H

#include <stdbool.h>

#include "executors/run_common.h"

/* The most pixels a local executor decodes a picture of, or makes one of: 100 megapixels. */
#define BATON__RUN_MAX_PIXELS (100.0 * 1000.0 * 1000.0)

/* Whether a picture w x h pixels is at least 1 x 1 and at most BATON__RUN_MAX_PIXELS. */
bool baton__run_pixels_ok(double w, double h);

/* Refuses as bad input the picture `name` (as the user gave it) that its header says is w x h
 * pixels, before decoding it: "huge.png is 30000x30000 pixels, over 100 megapixels". -1. */
int baton__run_too_many_pixels(baton__exec_env *env, const char *name, double w, double h);

/* What a picture's header says, read without decoding it. */
typedef struct baton__picture_header {
  const char *format;  /* "PNG", "JPEG", "GIF", "BMP" or "WebP" (static); NULL: none of these */
  double w, h;         /* the pixels a decoder makes: a GIF's logical screen, a WebP's canvas */
  bool animated;       /* a WebP whose VP8X header says it is animated */
  const char *damaged; /* why its size cannot be told ("it ends before its size"; static), or
                          NULL */
} baton__picture_header;

/* Reads the header of the picture at path into *out, for executors whose library cannot tell a
 * picture's size before decoding it (OpenCV). A JPEG's segments are walked by their lengths,
 * seeking, to its frame header wherever it is (at most 4096 segments and 64 KiB of stray bytes
 * read). true: out->w x out->h are known; false: not one of these formats (out->format NULL, or
 * the file does not open), or damaged (out->damaged says why). Thread-safe. */
bool baton__run_picture_header(const char *path, baton__picture_header *out);

#endif
