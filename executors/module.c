/* module.c — the entry point of one local executor built as a module for baton-worker (cmake/local_executors.cmake). */
#include "executors/executor.h"

#include <string.h>

#include "core/banned.h"

/* BATON_MODULE_EXECUTOR names the executor this module is built for. */
__attribute__((visibility("default"))) const baton__executor *
baton__executor_module(const char *version, size_t abi) {
  if (!version || strcmp(version, BATON_VERSION_STRING) != 0 || abi != BATON__MODULE_ABI)
    return NULL;
  return &BATON_MODULE_EXECUTOR;
}
