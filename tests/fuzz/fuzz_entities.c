/* fuzz_entities.c — libFuzzer target: the rule-based entity finder (executors/entities_*.c) on any bytes, its spans and their character offsets checked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "executors/entities.h"

#define FZ_MAX_ENTITIES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Characters counted by a walk from the start, a whole well-formed character or one byte at a
 * time, agree with baton__en_char_starts at every byte; returns how many there are. */
static size_t fz_walk(const baton__en_text *t) {
  size_t chars = 0;
  for (size_t p = 0; p < t->len; chars++) {
    size_t n = baton__en_utf8_len(t, p);
    n = n ? n : 1;
    for (size_t k = 0; k < n; k++)
      if (baton__en_char_starts(t, p + k) != (k == 0))
        abort();
    p += n;
  }
  if (chars > t->len || chars != baton__en_chars(t, 0, t->len))
    abort();
  return chars;
}

/* The entities of t, with plain numbers or without (then none is CARDINAL), checked. */
static void fz_find(const baton__en_text *t, bool numbers, size_t chars) {
  baton__entity out[FZ_MAX_ENTITIES];
  size_t n = baton__entities_find(t, out, FZ_MAX_ENTITIES, numbers), size = t->len;
  if (n > FZ_MAX_ENTITIES)
    abort();
  for (size_t i = 0; i < n; i++) /* inside the text, not empty, left to right, apart */
    if (!out[i].group || out[i].start >= out[i].end || out[i].end > size ||
        (i > 0 && out[i].start < out[i - 1].end) ||
        (!numbers && !strcmp(out[i].group, "CARDINAL")))
      abort();
  for (size_t i = 0; i < n; i++) { /* in characters too: from a character's start, not empty */
    size_t start = baton__en_chars(t, 0, out[i].start);
    if (!baton__en_char_starts(t, out[i].start) ||
        start + baton__en_chars(t, out[i].start, out[i].end) <= start ||
        baton__en_chars(t, 0, out[i].end) > chars)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  baton__en_text t = {(const char *)data, size};
  size_t chars = fz_walk(&t);
  fz_find(&t, false, chars);
  fz_find(&t, true, chars);
  return 0;
}
