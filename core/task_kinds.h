/* task_kinds.h — the task kinds a model server endpoint may declare, and the nearest to a misspelt one. */
#ifndef BATON_CORE_TASK_KINDS_H
#define BATON_CORE_TASK_KINDS_H

#include <stdbool.h>

/* Whether name is a HuggingGPT task kind the openai executor knows (served
 * or known unservable): "summarization", "image-to-text", ... */
bool baton__task_kind_known(const char *name);

/* The known task kind nearest to name (edit distance at most a third of its
 * length, at least 2), or NULL when none is that close. Static string. */
const char *baton__task_kind_nearest(const char *name);

/* The known task kinds, NULL-terminated. */
extern const char *const baton__task_kinds[];

#endif
