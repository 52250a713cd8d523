/* png_chunks.h — whether a PNG held in memory is whole: its chunks walked by their lengths to IEND. */
#ifndef BATON_EXECUTORS_PNG_CHUNKS_H
#define BATON_EXECUTORS_PNG_CHUNKS_H

#include <stddef.h>

/* Walks the chunks of the PNG data[0..len) (at most 1,000,000 of them) by their lengths, from
 * its signature to its IEND chunk. Returns NULL when the file holds them all, else why not,
 * in words that follow a file's name ("ends before its IEND chunk"; static). A libpng whose
 * caller gives it no error function (leptonica's) prints its own error on stderr about a file
 * cut short: refusing one here keeps it from libpng. Thread-safe. */
const char *baton__png_incomplete(const unsigned char *data, size_t len);

#endif
