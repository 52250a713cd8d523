/* base64.h — standard base64 (RFC 4648) encoding and decoding, the one copy every module uses. */
#ifndef BATON_CORE_BASE64_H
#define BATON_CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Standard base64 (with padding, no line breaks) of data[0..len). Returns a
 * malloc'd NUL-terminated string (caller frees), or NULL when out of memory
 * or too large. */
char *baton__b64_encode(const void *data, size_t len);

/* Decodes standard base64 (white space ignored, padding optional; the
 * URL-safe alphabet is accepted too). Returns a malloc'd buffer (caller
 * frees; one extra NUL byte after *out_len bytes), or NULL for malformed
 * input or when out of memory. */
unsigned char *baton__b64_decode(const char *s, size_t len, size_t *out_len);

/* Whether s[0..len) is base64 exactly as baton__b64_encode writes it: a
 * multiple of four bytes of the standard alphabet, with at most two '='
 * only at the end. */
bool baton__b64_is_canonical(const char *s, size_t len);

#endif
