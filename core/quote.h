/* quote.h — where a quoted passage opens and closes in text written by people. */
#ifndef BATON_CORE_QUOTE_H
#define BATON_CORE_QUOTE_H

#include <stddef.h>

/*
 * The quote opening at s[i] (s holds n bytes): the byte after its closing mark, its content in
 * [*cs, *ce); 0 when no quote opens there or it does not close. Marks: "", “”, «», '' and ‘’. A
 * single mark also serves as an apostrophe, so it opens only after a byte that is no letter or
 * digit ("users'" opens nothing) and closes only after a non-space and before a byte that is no
 * letter or digit ("don't" inside closes nothing). Bytes outside ASCII count as letters.
 */
size_t baton__quote_at(const char *s, size_t n, size_t i, size_t *cs, size_t *ce);

#endif
