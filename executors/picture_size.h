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

/* A picture's size in pixels as its header says, read without decoding it (PNG, JPEG, GIF, BMP,
 * WebP), for executors whose library cannot tell it first (OpenCV). false: not one of these, or
 * its header is not read in its first 256 KiB. */
bool baton__run_header_size(const char *path, double *w, double *h);

#endif
