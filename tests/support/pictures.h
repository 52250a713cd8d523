/* pictures.h — small crafted picture files for the tests of header reading: a GIF, WebPs and
 * JPEGs whose headers say what a test needs. */
#ifndef BATON_TESTS_PICTURES_H
#define BATON_TESTS_PICTURES_H

#include <stdbool.h>
#include <stddef.h>

/* Writes a GIF of one 1 x 1 image on a logical screen screen_w x screen_h; aborts on error. */
void bt_write_gif(const char *path, unsigned screen_w, unsigned screen_h);
/* Writes an extended (VP8X) WebP whose canvas is canvas_w x canvas_h around a valid 4 x 4
 * lossless picture: a still one, or one frame of an animation; aborts on error. */
void bt_write_webp_vp8x(const char *path, unsigned canvas_w, unsigned canvas_h, bool animated);
/* Writes the len bytes of the JPEG jpeg (from its SOI on) with meta bytes of APP1 segments
 * (each at most 64 KiB) inserted after its SOI; aborts on error. */
void bt_write_jpeg_with_metadata(const char *path, const unsigned char *jpeg, size_t len,
                                 size_t meta);
/* Writes into jpeg (room for 23 bytes) a JPEG whose frame header (SOF0) says w x h pixels, and
 * no image data. Its length. */
size_t bt_jpeg_frame_only(unsigned char *jpeg, unsigned w, unsigned h);

#endif
