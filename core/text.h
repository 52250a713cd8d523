/* text.h — checks that outside text is valid: UTF-8, no NUL hidden in JSON strings. */
#ifndef BATON_CORE_TEXT_H
#define BATON_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* An ASCII letter or digit, whatever the locale. */
bool baton__ascii_alnum(unsigned char c);
/* A byte of a word: an ASCII letter or digit, or any byte of a character outside ASCII. */
bool baton__word_byte(char c);
/* A blank: space, tab, newline, vertical tab, form feed or carriage return (not NUL). */
bool baton__space_byte(char c);
/* 3 when s[0..n) starts with an en or em dash (U+2013, U+2014), else 0. */
size_t baton__dash_len(const char *s, size_t n);
/* Folds the typographic apostrophe (U+2019, "what’s") in NUL-terminated s into ASCII "'", in
 * place; the new length. */
size_t baton__fold_apostrophe(char *s);

/* The length of the longest start of s[0..len) of at most max bytes that cuts no UTF-8 sequence
 * in two (len itself when len <= max). */
size_t baton__utf8_cut(const char *s, size_t len, size_t max);
/* Whether s[0..len) is valid UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF). NUL bytes count as valid here; see baton__text_ok(). */
bool baton__utf8_valid(const char *s, size_t len);
/* Copies s[0..len) with every byte that is not part of valid UTF-8 replaced
 * by U+FFFD. NULL when out of memory; *out_len receives the length. */
char *baton__utf8_repair(const char *s, size_t len, size_t *out_len);
/* Whether JSON text holds a string with a NUL character (the escape
 * \u0000), which cJSON would silently cut the string at. */
bool baton__json_has_nul(const char *json, size_t len);
/* A JSON document from outside that baton accepts: valid UTF-8, no raw NUL
 * byte, no \u0000 in a string. NULL when fine, else the reason. */
const char *baton__json_text_problem(const char *json, size_t len);
/* Why cJSON could not parse JSON text that passed the check above: it nests
 * arrays and objects deeper than limit (cJSON's CJSON_NESTING_LIMIT), the
 * text written into buf; else "not valid JSON". */
const char *baton__json_parse_problem(const char *json, size_t len, size_t limit, char *buf,
                                      size_t cap);

#endif
