/* stopwords.c — the English words that say nothing about what a text is about, shared by the registry's matcher and the question answerer. */
#include "core/stopwords.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* Sorted, for bsearch. */
static const char *const stop_words[] = {
    "a",     "about", "after", "all",   "also",   "am",    "an",    "and",   "any",   "are",
    "as",    "at",    "be",    "been",  "but",    "by",    "can",   "could", "did",   "do",
    "does",  "each",  "for",   "from",  "get",    "give",  "had",   "has",   "have",  "he",
    "her",   "him",   "his",   "how",   "i",      "if",    "in",    "into",  "is",    "it",
    "its",   "just",  "let",   "me",    "my",     "near",  "no",    "not",   "now",   "of",
    "on",    "one",   "or",    "our",   "out",    "please", "she",  "so",    "some",  "than",
    "that",  "the",   "their", "them",  "then",   "there", "these", "they",  "this",  "those",
    "to",    "up",    "us",    "use",   "using",  "want",  "was",   "we",    "were",  "what",
    "when",  "where", "which", "while", "who",    "will",  "with",  "would", "you",   "your",
};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool baton__is_stop_word(const char *w) {
  return bsearch(&w, stop_words, sizeof stop_words / sizeof stop_words[0], sizeof stop_words[0],
                 cmp_str) != NULL;
}
