/* curl_lib.c — loads libcurl by its soname on first use and resolves the functions net/ calls. */
#include "net/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* libcurl's soname has been libcurl.so.4 since 2006 (its ABI is kept
 * backwards compatible); a build may name another one. */
#ifndef BATON_CURL_SONAME
#define BATON_CURL_SONAME "libcurl.so.4"
#endif

/* Written once inside pthread_once, read-only afterwards: the process-wide
 * counterpart of libcurl's own global state, which it loads. */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static baton__curl_lib lib;
static int lib_ok;
static char lib_why[256];

static void lib_load(void) {
  void *h = dlopen(BATON_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    baton__fmt(lib_why, sizeof lib_why, "cannot load libcurl (%s): %s", BATON_CURL_SONAME,
               e ? e : "not found");
    return;
  }
  void *sym;
#define BATON__CURL_RESOLVE(name)                                                             \
  if (!(sym = dlsym(h, "curl_" #name))) {                                                     \
    baton__fmt(lib_why, sizeof lib_why, "%s has no curl_" #name " (libcurl too old)",         \
               BATON_CURL_SONAME);                                                            \
    dlclose(h);                                                                               \
    return;                                                                                   \
  }                                                                                           \
  memcpy(&lib.name, &sym, sizeof sym);
  BATON__CURL_FUNCTIONS(BATON__CURL_RESOLVE)
#undef BATON__CURL_RESOLVE
  lib_ok = 1; /* the handle stays open until exit: its functions are in use */
}

const baton__curl_lib *baton__curl_lib_get(char *err, size_t errlen) {
  pthread_once(&lib_once, lib_load);
  if (lib_ok)
    return &lib;
  baton__fmt(err, errlen, "%s", lib_why);
  return NULL;
}
