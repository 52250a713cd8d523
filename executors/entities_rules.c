/* entities_rules.c — the entity finder's scan and its pattern rules (e-mail and web addresses, dates, times, percentages, money, phone numbers), each a function of bounded reach tried in table order at every word. */
#include "executors/entities.h"

#include <ctype.h>
#include <string.h>

#include "core/banned.h"

#define EN_MAX_LOCAL 64   /* an e-mail address before "@" */
#define EN_MAX_DOMAIN 253 /* and after it */
#define EN_MAX_URL 2048
#define EN_MIN_PHONE 7    /* digits of a phone number */
#define EN_MAX_PHONE 15
#define EN_MAX_GROUPS 6   /* digit groups of a phone number */
#define EN_MAX_CUE 8      /* letters of the word that makes a year a date ("since") */
#define EN_YEAR_MIN 1000
#define EN_YEAR_MAX 2099

const char *const baton__en_months[] = {"january", "february", "march",     "april",
                                        "may",     "june",     "july",      "august",
                                        "september", "october", "november", "december", NULL};
const char *const baton__en_weekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                          "friday", "saturday", "sunday",    NULL};
static const char *const en_month_abbr[] = {"jan", "feb", "mar", "apr", "jun", "jul", "aug",
                                            "sep", "sept", "oct", "nov", "dec", NULL};
const char *const baton__en_relative_days[] = {"yesterday", "today", "tomorrow", "tonight",
                                               NULL};
static const char *const en_ordinals[] = {"st", "nd", "rd", "th", NULL};
static const char *const en_of[] = {"of", NULL};
/* The words before a bare year that make it a date: "in 1998", "since 2020". */
static const char *const en_year_cues[] = {"in", "since", "from", "by", "until", "till",
                                           "before", "after", "during", "year", "circa", NULL};
/* After an hour: "9 am", "9 o'clock". */
static const char *const en_meridiem[] = {"a.m.", "p.m.", "am", "pm", "o'clock",
                                          "o\xe2\x80\x99" "clock", NULL};
/* After an hour in words: "six o'clock" ("one am" would take "Which one am I?"). */
static const char *const en_oclock[] = {"o'clock", "o\xe2\x80\x99" "clock", NULL};
static const char *const en_time_words[] = {"noon", "midnight", "midday", NULL};
static const char *const en_percent_words[] = {"%", "percent", "per cent", "pct", NULL};
/* Before an amount: "$12.50", "€3", "USD 40"; the UTF-8 of €, £ and ¥. */
static const char *const en_currency_before[] = {"US$", "$", "\xe2\x82\xac", "\xc2\xa3",
                                                 "\xc2\xa5", "usd", "eur", "gbp", "chf", "jpy",
                                                 NULL};
/* After an amount: "12 dollars", "5 euros", "3 €". */
static const char *const en_currency_after[] = {
    "dollars", "dollar", "euros", "euro",  "pounds", "pound", "pence", "cents", "cent", "yen",
    "francs",  "bucks",  "usd",   "eur",   "gbp",    "chf",   "$",     "\xe2\x82\xac",
    "\xc2\xa3", NULL};
static const char *const en_scales[] = {"thousand", "million", "billion", "trillion", "bn", "m",
                                        "k", NULL};
static const char *const en_url_starts[] = {"https://", "http://", "www.", NULL};
static bool en_year(unsigned long long y) {
  return y >= EN_YEAR_MIN && y <= EN_YEAR_MAX;
}

static bool en_hit(baton__entity *hit, size_t *next, const char *group, size_t start,
                   size_t end) {
  *hit = (baton__entity){group, start, end};
  *next = end;
  return true;
}

/* user.name+tag@mail.example.org */
static bool en_email(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t p = at, dot = 0;
  while (p - at < EN_MAX_LOCAL &&
         (isalnum(baton__en_at(t, p)) || baton__en_in("._%+-", (char)baton__en_at(t, p))))
    p++;
  if (!isalnum(baton__en_at(t, at)) || baton__en_at(t, p) != '@')
    return false;
  size_t d = ++p;
  for (; p - d < EN_MAX_DOMAIN; p++) {
    unsigned char c = baton__en_at(t, p);
    if (c == '.' && p > d && isalnum(baton__en_at(t, p - 1)) && isalnum(baton__en_at(t, p + 1)))
      dot = p;
    else if (!isalnum(c) && c != '-')
      break;
  }
  for (size_t k = dot + 1; dot && k < p; k++)
    dot = isalpha(baton__en_at(t, k)) ? dot : 0; /* the last label is letters */
  if (!dot || p - dot < 3 || baton__en_wordc(t, p))
    return false;
  return en_hit(hit, next, "EMAIL", at, p);
}

/* https://example.org/path, www.example.org: up to a space, without the punctuation after it. */
static bool en_url(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t host = baton__en_keyword(t, at, en_url_starts), p = host;
  if (host == at || !isalnum(baton__en_at(t, host)))
    return false;
  while (p - at < EN_MAX_URL && baton__en_at(t, p) > ' ' &&
         !baton__en_in("<>\"", (char)baton__en_at(t, p)) &&
         !baton__en_punct_len(t, p))
    p++;
  while (p > host + 1 && baton__en_in(".,;:!?')]}", t->s[p - 1]))
    p--;
  return en_hit(hit, next, "URL", at, p);
}

/* 2026-12-03, 03/12/2026, 12.03.26: year first, or day and month either way round. */
static bool en_numeric_date(const baton__en_text *t, size_t at, baton__entity *hit,
                            size_t *next) {
  unsigned long long a, b, c;
  size_t p1 = baton__en_digits(t, at, &a), la = p1 - at;
  char sep = (char)baton__en_at(t, p1);
  if (baton__en_inside_number(t, at) || !la || la == 3 || la > 4 || !baton__en_in("-/.", sep))
    return false;
  size_t p2 = baton__en_digits(t, p1 + 1, &b), lb = p2 - p1 - 1;
  if (lb < 1 || lb > 2 || baton__en_at(t, p2) != (unsigned char)sep)
    return false;
  size_t p3 = baton__en_digits(t, p2 + 1, &c), lc = p3 - p2 - 1;
  bool ok = la == 4 ? en_year(a) && b >= 1 && b <= 12 && lc >= 1 && lc <= 2 && c >= 1 && c <= 31
                    : (lc == 2 || (lc == 4 && en_year(c))) && a >= 1 && a <= 31 && b >= 1 &&
                          b <= 31 && (a <= 12 || b <= 12);
  if (!ok || !baton__en_number_ends(t, p3) || baton__en_at(t, p3) == (unsigned char)sep)
    return false;
  return en_hit(hit, next, "DATE", at, p3);
}

/* An hour in words and "o'clock": "six o'clock". Its end, or at. */
static size_t en_word_hour(const baton__en_text *t, size_t at) {
  size_t e = baton__en_word_end(t, at), q = baton__en_space(t, e);
  int h = baton__en_lookup(baton__en_small_numbers, t, at, e);
  size_t r = h >= 1 && h <= 12 && q > e ? baton__en_keyword(t, q, en_oclock) : q;
  return r > q ? r : at;
}

/* 9:30, 10:15:00 pm, 9 am, 9am, 9 o'clock, six o'clock, noon. A bare hour ("at six", "at 6")
 * is no time: nothing tells it from a number. */
static bool en_time(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t e = baton__en_keyword(t, at, en_time_words);
  unsigned long long h, m, s;
  e = e > at ? e : en_word_hour(t, at);
  if (e == at) {
    size_t p = baton__en_digits(t, at, &h);
    if (p == at || p - at > 2 || baton__en_inside_number(t, at))
      return false;
    bool clock = baton__en_at(t, p) == ':' && baton__en_digits(t, p + 1, &m) == p + 3 &&
                 m <= 59 && h <= 23;
    if (clock) {
      p += 3;
      p += baton__en_at(t, p) == ':' && baton__en_digits(t, p + 1, &s) == p + 3 && s <= 59 ? 3 : 0;
    }
    size_t q = baton__en_space(t, p), r = baton__en_keyword(t, q, en_meridiem);
    if (r > q && h >= 1 && h <= 12)
      e = r;
    else if (clock && baton__en_number_ends(t, p))
      e = p;
    else
      return false;
  }
  return en_hit(hit, next, "TIME", at, e);
}

/* 12%, 12.5 percent. */
static bool en_percent(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t a = baton__en_amount(t, at), q = baton__en_space(t, a);
  size_t e = baton__en_keyword(t, q, en_percent_words);
  if (a == at || e == q)
    return false;
  return en_hit(hit, next, "PERCENT", at, e);
}

/* An amount and its scale ("3 million", "5k"): the end, or at. */
static size_t en_scaled_amount(const baton__en_text *t, size_t at) {
  size_t a = baton__en_amount(t, at), q = baton__en_space(t, a);
  size_t s = baton__en_keyword(t, q, en_scales);
  return a == at ? at : s > q ? s : a;
}

/* $12.50, €3, £1,200, USD 40, $3 million; 12 dollars, 5 euros, 3 €. */
static bool en_money(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t p = baton__en_keyword(t, at, en_currency_before), e;
  if (p > at) {
    size_t q = baton__en_space(t, p);
    e = en_scaled_amount(t, q);
    if (e == q || !baton__en_number_ends(t, e))
      return false;
  } else {
    size_t a = en_scaled_amount(t, at), q = baton__en_space(t, a);
    e = baton__en_keyword(t, q, en_currency_after);
    if (a == at || e == q)
      return false;
  }
  return en_hit(hit, next, "MONEY", at, e);
}

/* The digit groups of a phone number at p (after any "+"): where they end (at p: none), the
 * number of digits in *digits; *plain when they could be a number with thousands separators
 * ("1 200 000"). */
static size_t en_phone_groups(const baton__en_text *t, size_t p, size_t *digits, bool *plain) {
  size_t end = p, groups = 0;
  *digits = 0;
  *plain = true;
  while (groups < EN_MAX_GROUPS) {
    bool open = baton__en_at(t, p) == '(';
    unsigned long long v;
    size_t q = baton__en_digits(t, p + open, &v), n = q - p - open;
    if (!n || n > EN_MAX_PHONE || (groups && n < 2) || (open && baton__en_at(t, q++) != ')'))
      break;
    *plain = *plain && !open && (groups ? n == 3 : n <= 3);
    *digits += n;
    groups++;
    end = q;
    char sep = (char)baton__en_at(t, q);
    unsigned char after = baton__en_at(t, q + 1);
    if (baton__en_in(" -.", sep) && (isdigit(after) || after == '('))
      p = q + 1;
    else if (open && isdigit(baton__en_at(t, q)))
      p = q;
    else
      break;
    *plain = *plain && sep != '-';
  }
  *plain = *plain || groups < 2;
  return end;
}

/* +44 20 7946 0958, (555) 123-4567, 555-0134: 7 to 15 digits in groups. */
static bool en_phone(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  bool plus = baton__en_at(t, at) == '+', plain;
  size_t digits, e = en_phone_groups(t, at + plus, &digits, &plain);
  if (baton__en_inside_number(t, at) || e == at + plus || digits < EN_MIN_PHONE ||
      digits > EN_MAX_PHONE || !baton__en_number_ends(t, e) || (plain && !plus))
    return false;
  return en_hit(hit, next, "PHONE", at, e);
}

/* A capitalised month name at `at`, "Sept." or "Dec." with its dot: its end, or at. */
static size_t en_month(const baton__en_text *t, size_t at) {
  size_t e = baton__en_word_end(t, at);
  if (!isupper(baton__en_at(t, at)))
    return at;
  if (baton__en_lookup(baton__en_months, t, at, e) >= 0)
    return e;
  return baton__en_lookup(en_month_abbr, t, at, e) >= 0 ? e + (baton__en_at(t, e) == '.') : at;
}

/* A day of the month, 1 to 31, "3rd" as well: its end, or at. */
static size_t en_day(const baton__en_text *t, size_t at) {
  unsigned long long d;
  size_t p = baton__en_digits(t, at, &d), e = baton__en_word_end(t, at);
  if (p == at || p - at > 2 || d < 1 || d > 31 || baton__en_inside_number(t, at))
    return at;
  if (e > p && baton__en_lookup(en_ordinals, t, p, e) < 0)
    return at;
  return baton__en_number_ends(t, e > p ? e : p) ? (e > p ? e : p) : at;
}

/* After a month or a day: ", 2026" or " 2026": its end, else p. */
static size_t en_then_year(const baton__en_text *t, size_t p) {
  size_t c = p + (baton__en_at(t, p) == ','), q = baton__en_space(t, c);
  unsigned long long y;
  size_t e = baton__en_digits(t, q, &y);
  return q > c && e == q + 4 && en_year(y) && baton__en_number_ends(t, e) ? e : p;
}

/* 3 December 2026, 3rd of Dec, December 3, 2026, Dec 3, December 2026: its end, or at. */
static size_t en_calendar_date(const baton__en_text *t, size_t at) {
  size_t d = en_day(t, at), p, m;
  if (d > at) { /* day first */
    p = baton__en_space(t, d);
    size_t of = baton__en_keyword(t, p, en_of);
    p = of > p ? baton__en_space(t, of) : p;
    m = en_month(t, p);
    return p > d && m > p ? en_then_year(t, m) : at;
  }
  if ((m = en_month(t, at)) == at)
    return at;
  p = baton__en_space(t, m);
  d = p > m ? en_day(t, p) : p;
  if (d > p)
    return en_then_year(t, d);
  d = en_then_year(t, m);
  return d > m ? d : at;
}

/* A calendar date, with the weekday before it ("Monday, 3 December"), a weekday alone
 * ("Monday", "Sundays") or "today". */
static bool en_word_date(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  size_t e = baton__en_word_end(t, at);
  bool weekday = isupper(baton__en_at(t, at)) &&
                 (baton__en_lookup(baton__en_weekdays, t, at, e) >= 0 ||
                  (baton__en_at(t, e - 1) == 's' &&
                   baton__en_lookup(baton__en_weekdays, t, at, e - 1) >= 0));
  if (weekday) {
    size_t c = e + (baton__en_at(t, e) == ','), q = baton__en_space(t, c);
    size_t d = en_calendar_date(t, q);
    e = q > c && d > q ? d : e;
  } else if ((e = en_calendar_date(t, at)) == at) {
    e = baton__en_keyword(t, at, baton__en_relative_days);
  }
  return e > at && en_hit(hit, next, "DATE", at, e);
}

/* A bare year after a word that makes it a date: "in 1998", "since 2020". */
static bool en_cued_year(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next) {
  unsigned long long y;
  size_t e = baton__en_digits(t, at, &y), b = at, a;
  if (e != at + 4 || !en_year(y) || !baton__en_number_ends(t, e) || baton__en_inside_number(t, at))
    return false;
  while (b > 0 && at - b < BATON__EN_MAX_SPACES && baton__en_in(" \t", t->s[b - 1]))
    b--;
  for (a = b; a > 0 && b - a <= EN_MAX_CUE && isalpha((unsigned char)t->s[a - 1]);)
    a--;
  if (b == at || a == b || (a > 0 && baton__en_wordc(t, a - 1)) ||
      baton__en_lookup(en_year_cues, t, a, b) < 0)
    return false;
  return en_hit(hit, next, "DATE", at, e);
}

typedef bool (*en_rule)(const baton__en_text *t, size_t at, baton__entity *hit, size_t *next);

/* The rules in the order they are tried at each word: the first that matches takes its span.
 * A plain number ("2000 people", "1 200 000") comes after them all, and only when asked for: it
 * would bury the other kinds. */
static const en_rule en_rules[] = {en_email, en_url,   en_numeric_date, en_time,
                                   en_percent, en_money, en_phone,     en_word_date,
                                   en_cued_year, baton__entities_name};

size_t baton__entities_find(const baton__en_text *t, baton__entity *out, size_t max,
                            bool numbers) {
  size_t n = 0, at = 0;
  while (at < t->len && n < max) {
    size_t next = at;
    bool found = false;
    if (at == 0 || !baton__en_wordc(t, at - 1))
      for (size_t r = 0; !found && r < sizeof en_rules / sizeof en_rules[0]; r++)
        found = en_rules[r](t, at, &out[n], &next) && next > at;
    if (!found && numbers && (at == 0 || !baton__en_wordc(t, at - 1)))
      found = baton__entities_number(t, at, &out[n], &next) && next > at;
    if (found) {
      n++;
      at = next;
    } else {
      size_t e = baton__en_word_end(t, at);
      at = e > at ? e : at + 1;
    }
  }
  return n;
}
