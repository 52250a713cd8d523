/* entities.h — the rule-based entity finder behind the "entities" executor, shared by its files
 * (entities.c: the executor; entities_rules.c: the scan and the pattern rules; entities_names.c:
 * proper nouns; entities_numbers.c: plain numbers; entities_text.c: reading words and numbers);
 * the executor itself is declared in executor.h. Internal: nothing here is API. All functions
 * are pure and thread-safe. */
#ifndef BATON_EXECUTORS_ENTITIES_H
#define BATON_EXECUTORS_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>

/* A text to scan: s[0, len), not necessarily NUL-terminated; any bytes. Borrowed. */
typedef struct baton__en_text {
  const char *s;
  size_t len;
} baton__en_text;

/* One entity: its group ("DATE", "PER" ...; a static string) and its bytes [start, end). The
 * reply gives characters instead (baton__en_chars). */
typedef struct baton__entity {
  const char *group;
  size_t start, end;
} baton__entity;

/* The entities of t, left to right and never overlapping, written to out (at most max); with
 * numbers, the plain numbers no other entity holds as well (CARDINAL), else none of those.
 * Returns how many were written; max of them may mean there are more (ask for one more than
 * you will keep). Linear in t->len. */
size_t baton__entities_find(const baton__en_text *t, baton__entity *out, size_t max,
                            bool numbers);

/* A proper noun starting at the word at `at` (entities_names.c): its group and span in *hit,
 * where scanning goes on in *next. false when the word starts none (not capitalised, a stop word
 * opening a sentence, a month, a lone word opening a sentence with no evidence of a name...).
 * Looks at most a few kilobytes either side of `at`. */
bool baton__entities_name(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next);

/* A plain number starting at `at` (entities_numbers.c), as baton__entities_name says: digits
 * ("12", "3,500", "4.5", "10-12", "3 million") or words ("two", "twenty-five", "a hundred",
 * "three thousand", "thousands"). The scan tries it after every other rule, so that money,
 * percentages, dates, times and phone numbers keep their digits. Looks at most a few hundred
 * bytes past `at`. */
bool baton__entities_number(const baton__en_text *t, size_t at, baton__entity *hit,
                            size_t *next);

/* How the rule files read the text (entities_text.c). Positions past the end read as byte 0. */

#define BATON__EN_MAX_SPACES 2  /* spaces or tabs between the parts of one entity */
#define BATON__EN_MAX_DIGITS 15 /* digits of one number at most */

/* Whether c is a byte of set (never for c == 0). */
bool baton__en_in(const char *set, char c);
/* The byte at `at`, 0 past the end. */
unsigned char baton__en_at(const baton__en_text *t, size_t at);
/* The length of the non-ASCII punctuation (curly quotes, dashes, the ellipsis, guillemets) that
 * starts at `at`, or 0. */
size_t baton__en_punct_len(const baton__en_text *t, size_t at);
/* Whether the byte at `at` is part of a word: an ASCII letter or digit, or a byte of a
 * multi-byte character that is not punctuation. */
bool baton__en_wordc(const baton__en_text *t, size_t at);
/* Where the word at `at` ends: letters, digits, multi-byte characters, and "-" or an apostrophe
 * between them ("Jean-Luc", "O'Brien"). at itself when no word starts there. */
size_t baton__en_word_end(const baton__en_text *t, size_t at);
/* The index in the NULL-ended list of the word t[at, end) (ASCII case ignored), or -1. */
int baton__en_lookup(const char *const *list, const baton__en_text *t, size_t at, size_t end);
/* The end of the longest entry of the NULL-ended list at `at` (ASCII case ignored; an entry
 * ending in a letter or digit must end a word there), or at. */
size_t baton__en_keyword(const baton__en_text *t, size_t at, const char *const *list);
/* Past at most BATON__EN_MAX_SPACES spaces or tabs. */
size_t baton__en_space(const baton__en_text *t, size_t at);
/* The run of digits at `at` (at most BATON__EN_MAX_DIGITS + 1 looked at): its end, its value
 * in *v. */
size_t baton__en_digits(const baton__en_text *t, size_t at, unsigned long long *v);
/* Does a number end at p: no letter or digit follows, nor ".5", ",5" or ":5"? */
bool baton__en_number_ends(const baton__en_text *t, size_t p);
/* Is `at` inside a number ("14" of "3.14")? */
bool baton__en_inside_number(const baton__en_text *t, size_t at);
/* An amount at `at`, not inside another number: 12, 1,200, 12.50. Its end, or at. */
size_t baton__en_amount(const baton__en_text *t, size_t at);

/* The length of the well-formed UTF-8 character at `at` (1 for ASCII), or 0: a byte that is no
 * UTF-8, an overlong form, a surrogate, past U+10FFFF or cut short. */
size_t baton__en_utf8_len(const baton__en_text *t, size_t at);
/* Whether a character starts at `at` (at < t->len): any byte but the second to fourth of a
 * well-formed character, so that each byte that is no UTF-8 counts as a character of its own. */
bool baton__en_char_starts(const baton__en_text *t, size_t at);
/* How many characters start in [from, to), to at most t->len: the offsets Hugging Face gives
 * (Python's str indices) are baton__en_chars(t, 0, byte offset). Linear in to - from. */
size_t baton__en_chars(const baton__en_text *t, size_t from, size_t to);

/* Words the rules share (NULL-ended, lower-case): full month names, the weekdays, and the days
 * named relative to today ("tomorrow"). */
extern const char *const baton__en_months[];
extern const char *const baton__en_weekdays[];
extern const char *const baton__en_relative_days[];
/* The numbers from zero to nineteen in words, each at the index of its value (entities_numbers.c,
 * NULL-ended): "six o'clock" reads its hour there. */
extern const char *const baton__en_small_numbers[];

#endif
