/* fuzz_sentiment.c — libFuzzer target: the sentiment executor's polarity reader (executors/sentiment_*.c) and the reading of what a classification asks for (executors/classify_ask.c) on any bytes, their results checked. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "executors/classify_ask.h"
#include "executors/sentiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The evidence is finite and not negative, the cues no more than the bytes, and the scores a
 * distribution. */
static void fz_polarity(const uint8_t *data, size_t size) {
  baton__polarity p;
  baton__polarity_read((const char *)data, size, &p);
  if (!isfinite(p.positive) || !isfinite(p.negative) || p.positive < 0 || p.negative < 0 ||
      p.cues > size || p.words > size)
    abort();
  double pos, neg, neu;
  baton__polarity_scores(&p, &pos, &neg, &neu);
  if (!(pos >= 0 && pos <= 1 && neg >= 0 && neg <= 1 && neu >= 0 && neu <= 1) ||
      fabs(pos + neg + neu - 1.0) > 1e-9 || (p.cues == 0 && !(neu > pos && neu > neg)))
    abort();
}

/* The kinds asked for are known bits, with a phrase exactly when another kind is asked for. */
static void fz_ask(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return;
  memcpy(s, data, size);
  s[size] = '\0';
  const char *other = NULL;
  unsigned kinds = baton__classify_ask(s, &other);
  if ((kinds & ~(unsigned)(BATON__ASK_LANGUAGE | BATON__ASK_SENTIMENT | BATON__ASK_OTHER)) ||
      !(kinds & BATON__ASK_OTHER) != !other)
    abort();
  free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_polarity(data, size);
  fz_ask(data, size);
  return 0;
}
