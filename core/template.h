/* template.h — prompt templates: finding the prompts/ folder and filling {{name}} placeholders. */
#ifndef BATON_CORE_TEMPLATE_H
#define BATON_CORE_TEMPLATE_H

#include <stddef.h>

/*
 * The prompts folder holding `file`: dir (borrowed; the configured
 * prompts_dir) when it is set, else the first compile-time folder that holds
 * the file: BATON_PROMPTS_SOURCE_DIR, then BATON_PROMPTS_INSTALL_DIR.
 * Returns the folder (malloc'd; caller frees) or NULL with err set.
 */
char *baton__prompts_find(const char *dir, const char *file, char *err, size_t errlen);

/*
 * Fills a template: each {{name}} is replaced by the value paired with it
 * in vars (name, value, name, value, ..., NULL; values borrowed, NULL
 * renders as ""). Unknown placeholders are left as written.
 * Returns malloc'd text (caller frees) or NULL on allocation failure.
 */
char *baton__prompt_render(const char *tmpl, const char *const *vars);

#endif
