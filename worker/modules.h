/* modules.h — the local executors' modules beside baton-worker: finding them, loading one, or those serving given task kinds. */
#ifndef BATON_WORKER_MODULES_H
#define BATON_WORKER_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include "executors/executor.h"

/* Whether name is a local executor this build has (gen/local_executors.h). */
bool baton__module_known(const char *name);

/* The folder of this program's modules: "executors" beside the program
 * itself (/proc/self/exe), in the build tree and installed alike. 0, or -1
 * with err. */
int baton__modules_dir(char *dir, size_t cap, char *err, size_t errlen);

/* Loads the module of the executor called name from dir and returns the
 * executor, or NULL with err saying why (missing, unloadable, built from
 * another baton or for other tasks). A module is never unloaded. */
const baton__executor *baton__module_load(const char *dir, const char *name, char *err,
                                          size_t errlen);

/* Loads into table, in listing order and NULL terminated (cap counts the
 * NULL), the modules of this build that serve a task kind of the
 * comma-separated list tasks (NULL or "": every module), never loading
 * the others. One that fails is left out and its reason passed to say.
 * Returns how many loaded. */
size_t baton__modules_load(const char *dir, const char *tasks, const baton__executor **table,
                           size_t cap, void (*say)(const char *why));

#endif
