/* synth_models.h — deterministic synthetic models and step texts for the registry benchmarks. */
#ifndef BATON_BENCH_SYNTH_MODELS_H
#define BATON_BENCH_SYNTH_MODELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "registry/registry.h"

/* Deterministic generator (xorshift64*), so every run builds the same data. */
typedef struct rng {
  uint64_t s;
} rng;

uint64_t next_u64(rng *r);
size_t pick(rng *r, size_t n);

/* Writes models first..first+n-1 (ids "<prefix><org>/<arch>-<i>", spread
 * over the tasks in turn) as HuggingGPT JSONL lines to f. */
void synth_write_models(FILE *f, const char *prefix, size_t first, size_t n,
                        const baton__taskspec *tasks, size_t n_tasks, rng *r);
/* Writes n models to path from seed. 0 or -1. */
int write_models(const char *path, const char *prefix, size_t n, const baton__taskspec *tasks,
                 size_t n_tasks, uint64_t seed);
/* A step text: 3 to 6 words of what a planner step says. */
void make_query(rng *r, char *out, size_t cap);

#endif
