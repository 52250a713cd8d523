/* quote.c — where a quoted passage opens and closes: double and single marks, ASCII and typographic. */
#include "core/quote.h"

#include <stdbool.h>
#include <string.h>

#include "core/text.h"
#include "core/banned.h"

static const struct {
  const char *open, *close;
  bool single; /* also an apostrophe */
} quote_marks[] = {{"\"", "\"", false},
                   {"\xE2\x80\x9C", "\xE2\x80\x9D", false},
                   {"\xC2\xAB", "\xC2\xBB", false},
                   {"'", "'", true},
                   {"\xE2\x80\x98", "\xE2\x80\x99", true}};

size_t baton__quote_at(const char *s, size_t n, size_t i, size_t *cs, size_t *ce) {
  for (size_t m = 0; i < n && m < sizeof quote_marks / sizeof quote_marks[0]; m++) {
    const char *o = quote_marks[m].open, *c = quote_marks[m].close;
    size_t ol = strlen(o), cl = strlen(c);
    bool single = quote_marks[m].single;
    if (n - i < ol || memcmp(s + i, o, ol) != 0 || (single && i > 0 && baton__word_byte(s[i - 1])))
      continue;
    for (size_t j = i + ol; j + cl <= n; j++)
      if (memcmp(s + j, c, cl) == 0 &&
          (!single || (j > i + ol && !baton__space_byte(s[j - 1]) && (j + cl == n ||
                                                               !baton__word_byte(s[j + cl])))))
        return *cs = i + ol, *ce = j, j + cl;
  }
  return 0;
}
