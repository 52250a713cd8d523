/* template.c — prompt templates: finding the prompts/ folder and filling {{name}} placeholders. */
#include "core/template.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

#ifndef BATON_PROMPTS_SOURCE_DIR
#define BATON_PROMPTS_SOURCE_DIR ""
#endif
#ifndef BATON_PROMPTS_INSTALL_DIR
#define BATON_PROMPTS_INSTALL_DIR ""
#endif

char *baton__prompts_find(const char *dir, const char *file, char *err, size_t errlen) {
  if (dir && *dir) {
    char *d = baton__strdup(dir);
    if (!d)
      baton__fmt(err, errlen, "out of memory");
    return d;
  }
  static const char *const builtin[] = {BATON_PROMPTS_SOURCE_DIR, BATON_PROMPTS_INSTALL_DIR};
  for (size_t i = 0; i < 2; i++) {
    if (!builtin[i][0])
      continue;
    char *f = baton__path_join(builtin[i], file);
    bool here = f && baton__file_exists(f);
    free(f);
    if (here) {
      char *d = baton__strdup(builtin[i]);
      if (!d)
        baton__fmt(err, errlen, "out of memory");
      return d;
    }
  }
  baton__fmt(err, errlen,
             "no prompt files found (looked in %s and %s); set prompts_dir in the config",
             BATON_PROMPTS_SOURCE_DIR, BATON_PROMPTS_INSTALL_DIR);
  return NULL;
}

char *baton__prompt_render(const char *tmpl, const char *const *vars) {
  baton__sb sb;
  baton__sb_init(&sb);
  const char *s = tmpl ? tmpl : "";
  while (*s) {
    const char *open = strstr(s, "{{");
    if (!open) {
      baton__sb_adds(&sb, s);
      break;
    }
    baton__sb_add(&sb, s, (size_t)(open - s));
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      baton__sb_adds(&sb, open);
      break;
    }
    size_t nlen = (size_t)(close - open - 2);
    const char *val = NULL;
    bool found = false;
    for (size_t i = 0; vars && vars[i]; i += 2)
      if (strlen(vars[i]) == nlen && memcmp(vars[i], open + 2, nlen) == 0) {
        val = vars[i + 1];
        found = true;
        break;
      }
    if (found)
      baton__sb_adds(&sb, val ? val : "");
    else
      baton__sb_add(&sb, open, (size_t)(close + 2 - open));
    s = close + 2;
  }
  return baton__sb_detach(&sb);
}

