/* entities_text.c — how the entity finder reads its text: bytes, words, keywords, digits and where a number ends, bounded and safe on any bytes. */
#include "executors/entities.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/banned.h"

/* Punctuation outside ASCII that is not part of a word: quotes, dashes, the ellipsis. */
static const char *const en_punct[] = {"\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\x9c",
                                       "\xe2\x80\x9d", "\xe2\x80\x93", "\xe2\x80\x94",
                                       "\xe2\x80\xa6", "\xc2\xab",     "\xc2\xbb", NULL};

/* Well-formed UTF-8 (Unicode's table 3-7): by lead byte, the length and the range of the second
 * byte; the bytes after it are 0x80 to 0xBF. */
static const struct {
  unsigned char lead_lo, lead_hi, len, second_lo, second_hi;
} en_utf8[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

bool baton__en_in(const char *set, char c) {
  return c && strchr(set, c);
}

unsigned char baton__en_at(const baton__en_text *t, size_t at) {
  return at < t->len ? (unsigned char)t->s[at] : 0;
}

size_t baton__en_punct_len(const baton__en_text *t, size_t at) {
  for (size_t i = 0; en_punct[i]; i++) {
    size_t n = strlen(en_punct[i]);
    if (at + n <= t->len && memcmp(t->s + at, en_punct[i], n) == 0)
      return n;
  }
  return 0;
}

bool baton__en_wordc(const baton__en_text *t, size_t at) {
  unsigned char c = baton__en_at(t, at);
  if (c < 0x80)
    return isalnum(c);
  size_t lead = at; /* a continuation byte belongs to the character its lead byte starts */
  while (lead > 0 && at - lead < 3 && (baton__en_at(t, lead) & 0xC0) == 0x80)
    lead--;
  size_t n = baton__en_punct_len(t, lead);
  return !(n && at < lead + n);
}

size_t baton__en_word_end(const baton__en_text *t, size_t at) {
  size_t p = at;
  while (baton__en_wordc(t, p)) {
    p++;
    while (baton__en_wordc(t, p))
      p++;
    /* "-" or an apostrophe joins two parts of a word */
    size_t j = baton__en_in("-'", (char)baton__en_at(t, p)) ? 1
               : p + 3 <= t->len && memcmp(t->s + p, "\xe2\x80\x99", 3) == 0 ? 3 : 0;
    if (!j || p == at || !baton__en_wordc(t, p + j))
      break;
    p += j;
  }
  return p;
}

int baton__en_lookup(const char *const *list, const baton__en_text *t, size_t at, size_t end) {
  int first = tolower(baton__en_at(t, at)); /* most entries differ there: cheaper than strlen */
  for (int i = 0; list[i]; i++)
    if (tolower((unsigned char)list[i][0]) == first && strlen(list[i]) == end - at &&
        strncasecmp(list[i], t->s + at, end - at) == 0)
      return i;
  return -1;
}

size_t baton__en_keyword(const baton__en_text *t, size_t at, const char *const *list) {
  size_t best = at;
  for (size_t i = 0; list[i]; i++) {
    size_t n = strlen(list[i]);
    if (at + n > t->len || strncasecmp(list[i], t->s + at, n) != 0 || at + n <= best)
      continue;
    if (!isalnum((unsigned char)list[i][n - 1]) || !baton__en_wordc(t, at + n))
      best = at + n;
  }
  return best;
}

size_t baton__en_space(const baton__en_text *t, size_t at) {
  size_t p = at;
  while (p - at < BATON__EN_MAX_SPACES && baton__en_in(" \t", (char)baton__en_at(t, p)))
    p++;
  return p;
}

size_t baton__en_digits(const baton__en_text *t, size_t at, unsigned long long *v) {
  size_t p = at;
  for (*v = 0; p - at <= BATON__EN_MAX_DIGITS && isdigit(baton__en_at(t, p)); p++)
    *v = *v * 10 + (unsigned)(baton__en_at(t, p) - '0');
  return p;
}

bool baton__en_number_ends(const baton__en_text *t, size_t p) {
  return !baton__en_wordc(t, p) &&
         !(baton__en_in(".,:", (char)baton__en_at(t, p)) && isdigit(baton__en_at(t, p + 1)));
}

bool baton__en_inside_number(const baton__en_text *t, size_t at) {
  return at >= 2 && baton__en_in(".,:", t->s[at - 1]) && isdigit((unsigned char)t->s[at - 2]);
}

size_t baton__en_amount(const baton__en_text *t, size_t at) {
  unsigned long long v;
  size_t p = baton__en_digits(t, at, &v);
  if (p == at || p - at > BATON__EN_MAX_DIGITS || baton__en_inside_number(t, at))
    return at;
  while (baton__en_at(t, p) == ',' && baton__en_digits(t, p + 1, &v) == p + 4)
    p += 4;
  size_t q = baton__en_at(t, p) == '.' ? baton__en_digits(t, p + 1, &v) : p;
  return q > p + 1 && q - p <= 7 ? q : p;
}

size_t baton__en_utf8_len(const baton__en_text *t, size_t at) {
  unsigned char c = baton__en_at(t, at);
  if (at >= t->len)
    return 0;
  if (c < 0x80)
    return 1;
  for (size_t i = 0; i < sizeof en_utf8 / sizeof en_utf8[0]; i++) {
    if (c < en_utf8[i].lead_lo || c > en_utf8[i].lead_hi)
      continue;
    size_t n = en_utf8[i].len;
    unsigned char d = baton__en_at(t, at + 1);
    if (at + n > t->len || d < en_utf8[i].second_lo || d > en_utf8[i].second_hi)
      return 0;
    for (size_t k = 2; k < n; k++)
      if ((baton__en_at(t, at + k) & 0xC0) != 0x80)
        return 0;
    return n;
  }
  return 0;
}

bool baton__en_char_starts(const baton__en_text *t, size_t at) {
  if ((baton__en_at(t, at) & 0xC0) != 0x80)
    return true;
  /* a byte 0x80 to 0xBF is inside the character of the nearest byte before it that is not one,
   * if that starts a well-formed character reaching this far */
  for (size_t k = 1; k <= 3 && k <= at; k++)
    if ((baton__en_at(t, at - k) & 0xC0) != 0x80)
      return baton__en_utf8_len(t, at - k) <= k;
  return true;
}

size_t baton__en_chars(const baton__en_text *t, size_t from, size_t to) {
  size_t n = 0;
  for (size_t p = from; p < to && p < t->len; p++)
    n += baton__en_char_starts(t, p);
  return n;
}
