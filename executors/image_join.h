/* image_join.h — joining the pictures an image-to-image task names ("image2" ... "image9"). */
#ifndef BATON_EXECUTORS_IMAGE_JOIN_H
#define BATON_EXECUTORS_IMAGE_JOIN_H

#include "executors/executor.h"

#if defined(BATON_HAVE_VIPS)

#include <vips/vips.h>

#include "core/util.h"

/* Opens the picture at path, bounded as the executor bounds its input; NULL with env->err set. */
typedef VipsImage *(*baton__vips_loader)(const char *path, baton__exec_env *env);

/* Joins *img (the task's "image") and the pictures "image2" ... "image9" of `in` as the
 * instruction says: side by side unless it asks for one above another ("vertically", "on top",
 * "stack") or, with three or more, a grid ("grid", "collage"); each is scaled to the smallest
 * height (width) among them, made 8-bit sRGB, with alpha if any has it; gaps are white. On 0 *img
 * is the joined picture (the old one released) and desc says what was done; 1: there is nothing to
 * join (*img untouched); -1 with env->err set (*img untouched), also when the result would be over
 * max_pixels. */
int baton__vips_join(VipsImage **img, const baton__values *in, const char *instr,
                     double max_pixels, baton__vips_loader load, baton__sb *desc,
                     baton__exec_env *env);

#endif
#endif
