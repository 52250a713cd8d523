/* stem.h — the Porter stemmer for lower-case English words ("tables" -> "tabl", "matching" -> "match"). */
#ifndef BATON_CORE_STEM_H
#define BATON_CORE_STEM_H

#include <stddef.h>

/* Stems the lower-case word w[0..n) in place as M. F. Porter's 1980 algorithm does, and returns
 * its new length. A word of one or two letters, or with anything but a-z in it, stays as it is. */
size_t baton__stem(char *w, size_t n);

#endif
