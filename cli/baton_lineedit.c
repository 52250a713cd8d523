/* baton_lineedit.c — loads libedit by its soname when an interactive chat starts, so no other command pays for mapping it. */
#include "lineedit.h"

#ifdef BATON_HAVE_LIBEDIT
#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#include "core/banned.h"

#ifndef BATON_LIBEDIT_SONAME
#define BATON_LIBEDIT_SONAME "libedit.so.2"
#endif

const cli_lineedit *cli_lineedit_get(void) {
  static cli_lineedit le;
  static bool tried, ok;
  if (tried)
    return ok ? &le : NULL;
  tried = true;
  void *h = dlopen(BATON_LIBEDIT_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return NULL;
  void *sym;
#define CLI_LINEEDIT_RESOLVE(name)                                                            \
  if (!(sym = dlsym(h, #name))) {                                                             \
    dlclose(h);                                                                               \
    return NULL;                                                                              \
  }                                                                                           \
  memcpy(&le.name, &sym, sizeof sym);
  CLI_LINEEDIT_RESOLVE(readline)
  CLI_LINEEDIT_RESOLVE(add_history)
  CLI_LINEEDIT_RESOLVE(stifle_history)
  CLI_LINEEDIT_RESOLVE(read_history)
  CLI_LINEEDIT_RESOLVE(write_history)
#undef CLI_LINEEDIT_RESOLVE
  ok = true;
  return &le;
}
#endif
