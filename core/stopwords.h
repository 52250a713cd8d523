/* stopwords.h — the English words that say nothing about what a text is about. */
#ifndef BATON_CORE_STOPWORDS_H
#define BATON_CORE_STOPWORDS_H

#include <stdbool.h>

/* Whether the lower-cased word w is one ("the", "please", "which" ...). */
bool baton__is_stop_word(const char *w);

#endif
