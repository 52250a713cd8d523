/* tiff_header.h — a TIFF's own bits per sample, read from its first directory. */
#ifndef BATON_EXECUTORS_TIFF_HEADER_H
#define BATON_EXECUTORS_TIFF_HEADER_H

#include <stdbool.h>

/* Reads the first directory (IFD) of the TIFF at path, classic or BigTIFF, either byte order:
 * *bits its BitsPerSample (tag 258), and *palette whether its Photometric (tag 262) is a palette
 * (3: then *bits are the palette's index bits). libvips widens 1-, 2- and 4-bit samples to
 * bytes; this is the file's own depth. At most the 16-byte header, the directory's entries (up
 * to 4096) and 64 sample values are read, each bounded by what fread gives.
 * 0, or -1 (*bits unknown: leave it out): not a TIFF; short, cut or malformed (an offset past the
 * end, a tag twice, a wrong type); no BitsPerSample tag; its count neither 1 nor SamplesPerPixel;
 * its per-sample values differ; a value not 1..64. */
int baton__tiff_bits(const char *path, int *bits, bool *palette);

#endif
