/* fuzz_entities.c — libFuzzer target: the rule-based entity finder (executors/entities_*.c) on any bytes, its spans checked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "executors/entities.h"

#define FZ_MAX_ENTITIES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  baton__en_text t = {(const char *)data, size};
  baton__entity out[FZ_MAX_ENTITIES];
  size_t n = baton__entities_find(&t, out, FZ_MAX_ENTITIES);
  if (n > FZ_MAX_ENTITIES)
    abort();
  for (size_t i = 0; i < n; i++) /* inside the text, not empty, left to right, apart */
    if (!out[i].group || out[i].start >= out[i].end || out[i].end > size ||
        (i > 0 && out[i].start < out[i - 1].end))
      abort();
  return 0;
}
