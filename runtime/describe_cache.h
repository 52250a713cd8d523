/* describe_cache.h — the executor description cache in $XDG_CACHE_HOME/baton. */
#ifndef BATON_RUNTIME_DESCRIBE_CACHE_H
#define BATON_RUNTIME_DESCRIBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/*
 * What `program --describe` says (see baton__worker_query), kept in
 * $XDG_CACHE_HOME/baton (else $HOME/.cache/baton), one file per key,
 * executors-<16 hex>.json, so that later commands need not start the worker
 * and load every executor's library. The key is what decides the answer:
 * the worker program (path, size, mtime), the library version, the config
 * file's content (not its path or time, nor the sections no local
 * executor reads: home, socket, endpoints, queue, daemon, llm, hf), the
 * environment the executors read; the file also records the folders they watch (their data:
 * tesseract's languages, apertium's pairs), which must be unchanged too. A
 * missing, stale or unreadable entry, or refresh, asks the worker once and
 * rewrites it (atomically: processes sharing the folder never read half a
 * file); a folder that cannot be written only costs the next start a
 * describe. Writing an entry prunes the folder to the newest 16 entries
 * (files named executors-<16 hex>.json; nothing else is touched) and
 * removes home/executors.json (home: BATON_HOME, borrowed, may be NULL),
 * where baton kept one description before. Returns the JSON array (caller
 * cJSON_Deletes), or NULL with err.
 */
struct cJSON *baton__describe_cached(const char *home, const char *program,
                                     const char *config_path, bool refresh, char *err,
                                     size_t errlen);

#endif
