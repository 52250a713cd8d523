/* describe_cache.h — the executor description cache in BATON_HOME. */
#ifndef BATON_RUNTIME_DESCRIBE_CACHE_H
#define BATON_RUNTIME_DESCRIBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/*
 * What `program --describe` says (see baton__worker_query), kept in
 * home/executors.json so that later commands need not start the worker and
 * load every executor's library. The cache holds while the worker program
 * (path, size, mtime), the library version, the config file, the
 * environment the executors read and the folders they watch (their data:
 * tesseract's languages, apertium's pairs) are unchanged. A missing, stale
 * or unreadable cache, or refresh, asks the worker once and rewrites it.
 * Returns the JSON array (caller cJSON_Deletes), or NULL with err.
 */
struct cJSON *baton__describe_cached(const char *home, const char *program,
                                     const char *config_path, bool refresh, char *err,
                                     size_t errlen);

#endif
