/* vips_ops.h — the "vips" executor's operations on a picture (vips_ops.c): grayscale, resize,
 * rotate, flip, crop, blur, sharpen, edges (sobel or canny), invert, brighter or darker, more or
 * less contrast or colour, sepia, warmer or cooler, each one a libvips pipeline step reading its
 * own words of the instruction (vips_words.h) for how much, which way or which part. Internal:
 * nothing here is API. libvips evaluates lazily: an operation builds the pipeline and checks what
 * it can from the picture's header; the pixels are worked out when the executor (vips.c) saves.
 * Thread-safe once libvips is initialised (vips.c does that before any run). */
#ifndef BATON_EXECUTORS_VIPS_OPS_H
#define BATON_EXECUTORS_VIPS_OPS_H

#if defined(BATON_HAVE_VIPS)

#include <stddef.h>
#include <vips/vips.h>

#include "core/util.h"
#include "executors/vips_words.h"

/* Applies the operation op, whose words are tokens [op->at, op->end) of tk (both borrowed), to
 * *img: on 0 *img is the result (the old image released) and what was done is appended to sb
 * ("resize to 740x150"); -1 with err set (*img untouched, sb perhaps appended to) when libvips fails ("libvips failed:
 * ...") or the words do not say enough or ask for too much ("say how to resize: ...", a resize
 * past BATON__RUN_MAX_PIXELS, a change of 2000%). */
int baton__vp_apply(const baton__vp_op *op, const baton__vp_tokens *tk, VipsImage **img,
                    baton__sb *sb, char *err, size_t errlen);

#endif /* BATON_HAVE_VIPS */

#endif
