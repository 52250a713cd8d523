/* fuzz_textcut.c — libFuzzer target: subtitles read back and refilled (core/subcues.c) and a part of a text cut out (core/textpart.c), on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/subcues.h"
#include "core/textpart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Subtitles refilled with their own words, or written in either format, are read back as the
 * same words. */
static void fz_subcues(const char *s) {
  char *lines = NULL, err[200] = "";
  size_t n = 0;
  int is = baton__subcues_lines(s, &lines, &n);
  if (is != 1) {
    if (lines || n || (is != 0 && is != -1))
      abort();
    return;
  }
  char *out = baton__subcues_refill(s, lines, err, sizeof err);
  char *again = NULL;
  size_t m = 0;
  if (!out || baton__subcues_lines(out, &again, &m) != 1 || m != n || strcmp(again, lines) != 0)
    abort();
  free(again);
  free(out);
  for (int vtt = 0; vtt < 2; vtt++) { /* either format holds the same words */
    char *as = baton__subcues_as(s, vtt);
    if (!as || baton__subcues_lines(as, &again, &m) != 1 || m != n || strcmp(again, lines) != 0)
      abort();
    free(again);
    free(as);
  }
  free(lines);
}

/* A part named of "f.txt" in the first line, cut from the rest: inside the text, as written. */
static void fz_part(const char *s) {
  const char *nl = strchr(s, '\n');
  if (!nl)
    return;
  char *words = strndup(s, (size_t)(nl - s));
  baton__text_part part = baton__text_part_named(words, "f.txt");
  free(words);
  if (part.unit == BATON__PART_NONE)
    return;
  char err[200] = "";
  char *cut = baton__text_part_cut(nl + 1, &part, "f.txt", err, sizeof err);
  if ((!cut && !err[0]) || (cut && !strstr(nl + 1, cut)))
    abort();
  free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  fz_subcues(s);
  fz_part(s);
  free(s);
  return 0;
}
