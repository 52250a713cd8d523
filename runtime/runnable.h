/* runnable.h — which task kinds some model can run here now, for the planners. */
#ifndef BATON_RUNTIME_RUNNABLE_H
#define BATON_RUNTIME_RUNNABLE_H

#include <stddef.h>

#include "baton.h"
#include "registry/registry.h"

/*
 * One flag per task kind (tasks/n as the registry lists them): 1 when some
 * enabled model of that kind has an endpoint that can run here (a local
 * executor that is available, a token set for a hosted one; the debug
 * kinds only with the debug executors on), else 0. Returns a malloc'd
 * array (caller frees), or NULL on allocation or registry failure (callers
 * then treat every kind as runnable).
 */
unsigned char *baton__runnable_kinds(baton *ctx, const baton__taskspec *tasks, size_t n);

/*
 * What can be translated here, into out (cap bytes): apertium's installed
 * pairs when it can run ("apertium ca-en, ..., ro-es, and any two of them
 * joined through a shared language"), then the other translation models that can run, by
 * id; "" when none can.
 */
void baton__translations_here(baton *ctx, char *out, size_t cap);

#endif
