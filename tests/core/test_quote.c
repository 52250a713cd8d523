/* test_quote.c — where quoted passages open and close: every mark, apostrophes, unclosed quotes, bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/quote.h"

/* The content of the quote opening at byte i of s, or "" when none opens there. */
static const char *quote_in(const char *s, size_t i, char *buf, size_t cap) {
  size_t cs = 0, ce = 0, end = baton__quote_at(s, strlen(s), i, &cs, &ce);
  buf[0] = '\0';
  if (end) {
    cr_assert(cs <= ce && ce < end && end <= strlen(s) && ce - cs < cap, "spans %zu %zu %zu", cs,
              ce, end);
    memcpy(buf, s + cs, ce - cs);
    buf[ce - cs] = '\0';
  }
  return buf;
}

Test(core_quote, finds_every_kind_of_mark) {
  char b[64];
  cr_expect_str_eq(quote_in("say \"hi there\" now", 4, b, sizeof b), "hi there");
  cr_expect_str_eq(quote_in("say 'hi there' now", 4, b, sizeof b), "hi there");
  cr_expect_str_eq(quote_in("say \xE2\x80\x9Chi\xE2\x80\x9D", 4, b, sizeof b), "hi");
  cr_expect_str_eq(quote_in("say \xE2\x80\x98hi\xE2\x80\x99.", 4, b, sizeof b), "hi");
  cr_expect_str_eq(quote_in("dis \xC2\xAB" "bonjour\xC2\xBB", 4, b, sizeof b), "bonjour");
}

Test(core_quote, an_apostrophe_neither_opens_nor_closes) {
  char b[64];
  cr_expect_str_eq(quote_in("the users' notes", 9, b, sizeof b), "", "opens after a letter");
  cr_expect_str_eq(quote_in("'I don't know' he said", 0, b, sizeof b), "I don't know");
  cr_expect_str_eq(quote_in("' spaced ' x", 0, b, sizeof b), "",
                   "a single mark after a space closes nothing");
  cr_expect_str_eq(quote_in("\"a\"b", 0, b, sizeof b), "a", "a double mark closes anywhere");
}

Test(core_quote, an_unclosed_quote_or_the_end_is_none) {
  size_t cs, ce;
  cr_expect_eq(baton__quote_at("say 'hi", 7, 4, &cs, &ce), 0);
  cr_expect_eq(baton__quote_at("\"", 1, 0, &cs, &ce), 0);
  cr_expect_eq(baton__quote_at("abc", 3, 3, &cs, &ce), 0, "past the end");
  cr_expect_eq(baton__quote_at("'ab'", 4, 0, &cs, &ce), 4, "a quote ending the text closes");
}
