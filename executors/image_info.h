/* image_info.h — a picture's facts: its size in pixels, format, bands, bit depth, DPI, pages, bytes. */
#ifndef BATON_EXECUTORS_IMAGE_INFO_H
#define BATON_EXECUTORS_IMAGE_INFO_H

#if defined(BATON_HAVE_VIPS)

#include <stddef.h>
#include <vips/vips.h>

#include "executors/bmp_header.h"

/* Writes the facts of the picture img that libvips opened from path (its header only: no pixel
 * is decoded) as *text, a sentence named after `name` ("photo.jpg is a JPEG picture 1024 x 768
 * pixels (0.8 megapixels), colour (3 bands, 8 bits each), 72 DPI, 95,312 bytes."), and *json, the
 * same as an object {width, height, pixels, format, loader, bands, colour, bits, band_bits,
 * palette_bits, x_dpi, y_dpi, pages, bytes}; what the header does not say is left out. Both
 * malloc'd. 0, or -1 with err (path cannot be read, out of memory). */
int baton__image_info(VipsImage *img, const char *path, const char *name, char **text,
                      char **json, char *err, size_t errlen);

/* baton__image_info() of the BMP at path from the facts b its headers say (bmp_header.h), no
 * libvips image opened: format ImageMagick's name for it, colour or colour with alpha, bits each
 * (8, 5) or, when they differ, band_bits ([5, 6, 5]: "colour (3 bands, 5-6-5 bits)"), a
 * palette's bits ("a 4-bit palette"), DPI from its pixels per metre; no loader. */
int baton__image_info_bmp(const baton__bmp_facts *b, const char *path, const char *name,
                          char **text, char **json, char *err, size_t errlen);

#endif /* BATON_HAVE_VIPS */

#endif
