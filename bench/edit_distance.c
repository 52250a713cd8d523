/* edit_distance.c — the word or character edit distance between a reference and a hypothesis, for bench/accuracy.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Usage: edit_distance --words|--chars REF_FILE HYP_FILE
 * Prints "ERRORS LENGTH": the Levenshtein distance over words (split on
 * white space, compared without case or punctuation) or over characters
 * (Unicode code points, white space runs as one space), and the reference's
 * length in those units. WER or CER is ERRORS / LENGTH.
 */

#define MAX_UNITS 20000
#define MAX_TEXT (4u << 20)

/* One unit: a word or a code point, as a byte range. */
typedef struct unit {
  const char *p;
  size_t n;
} unit;

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Splits s in place into words: ASCII letters lower-cased, ASCII
 * punctuation dropped, other bytes (accented letters) kept. */
static size_t split_words(char *s, unit *u, size_t max) {
  size_t k = 0;
  char *c = s;
  while (*c && k < max) {
    while (blank(*c))
      c++;
    if (!*c)
      break;
    char *w = c, *o = c;
    for (; *c && !blank(*c); c++) {
      unsigned char ch = (unsigned char)*c;
      if (ch < 0x80 && !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == '\''))
        continue;
      *o++ = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    bool end = !*c;
    *o = '\0';
    if (!end)
      c++;
    if (o > w)
      u[k++] = (unit){w, (size_t)(o - w)};
    if (end)
      break;
  }
  return k;
}

static size_t split_chars(const char *s, unit *u, size_t max) {
  size_t k = 0;
  bool space = true; /* leading space dropped */
  for (const char *c = s; *c && k < max;) {
    if (blank(*c)) {
      if (!space)
        u[k++] = (unit){" ", 1};
      space = true;
      c++;
      continue;
    }
    size_t n = 1;
    while (((unsigned char)c[n] & 0xC0) == 0x80)
      n++;
    u[k++] = (unit){c, n};
    space = false;
    c += n;
  }
  if (k && u[k - 1].n == 1 && u[k - 1].p[0] == ' ')
    k--;
  return k;
}

static bool same(const unit *a, const unit *b) { return a->n == b->n && !memcmp(a->p, b->p, a->n); }

static size_t distance(const unit *r, size_t nr, const unit *h, size_t nh) {
  size_t *prev = calloc(nh + 1, sizeof *prev), *cur = calloc(nh + 1, sizeof *cur);
  if (!prev || !cur) {
    fprintf(stderr, "edit_distance: out of memory\n");
    exit(1);
  }
  for (size_t j = 0; j <= nh; j++)
    prev[j] = j;
  for (size_t i = 1; i <= nr; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= nh; j++) {
      size_t sub = prev[j - 1] + (same(&r[i - 1], &h[j - 1]) ? 0 : 1);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    size_t *t = prev;
    prev = cur;
    cur = t;
  }
  size_t d = prev[nh];
  free(prev);
  free(cur);
  return d;
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "--words") && strcmp(argv[1], "--chars"))) {
    fprintf(stderr, "usage: edit_distance --words|--chars REF_FILE HYP_FILE\n");
    return 2;
  }
  char *text[2];
  size_t len;
  char err[512];
  for (int i = 0; i < 2; i++)
    if (baton__read_file(argv[2 + i], MAX_TEXT, &text[i], &len, err, sizeof err) != 0) {
      fprintf(stderr, "edit_distance: %s\n", err);
      return 2;
    }
  static unit u[2][MAX_UNITS];
  size_t n[2];
  bool words = !strcmp(argv[1], "--words");
  for (int i = 0; i < 2; i++)
    n[i] = words ? split_words(text[i], u[i], MAX_UNITS) : split_chars(text[i], u[i], MAX_UNITS);
  printf("%zu %zu\n", distance(u[0], n[0], u[1], n[1]), n[0]);
  free(text[0]);
  free(text[1]);
  return 0;
}
