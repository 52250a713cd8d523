/* pool_internal.h — what the pool's failover helpers (failover.c) use of pool.c. */
#ifndef BATON_NET_POOL_INTERNAL_H
#define BATON_NET_POOL_INTERNAL_H

#include "net/pool.h"

/* baton__pool_acquire() skipping the replicas whose skip[slot] is true
 * (skip NULL: none); returns BATON__POOL_DOWN when every replica of the
 * model is skipped. */
baton__pool_status baton__pool_acquire_skip(baton__pool *p, const char *model,
                                            const atomic_int *cancel, long timeout_ms,
                                            const bool *skip, baton__lease *lease, char *err,
                                            size_t errlen);
/* Removes every configured key (endpoint keys, the LLM key, HF_TOKEN) from
 * s, in place. */
void baton__pool_redact(const baton__pool *p, char *s);
/* Number of endpoints (slots). */
#define BATON__POOL_SLOTS(p) baton__pool_size(p)

#endif
