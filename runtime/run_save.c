/* run_save.c — a task's text result saved in the run folder under the name the user gave. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/output_names.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* What of out to write: the JSON result for a ".json" name (the boxes beside a detector's
 * picture) or a task with no text, else the text; NULL when the task wrote its own file (a
 * picture, a sound) or has nothing to save. */
static const baton__value *what_to_save(const baton__values *out, const char *format) {
  const baton__value *text = baton__values_get_type(out, BATON__T_TEXT);
  const baton__value *json = baton__values_get_type(out, BATON__T_JSON);
  if (json && strcmp(format, "json") == 0)
    return json;
  for (size_t i = 0; i < out->n; i++)
    if (baton__is_file_output(out->v[i].name, out->v[i].type))
      return NULL;
  return text ? text : json;
}

int baton__run_save_text(baton_run *run, const baton__task *t, baton__values *out, char *err,
                         size_t errlen) {
  const char *name = baton__task_literal(t, BATON__ARG_SAVE_AS);
  char format[16];
  baton__task_file_format(t, format, sizeof format);
  const baton__value *v = baton__save_as_ok(name) ? what_to_save(out, format) : NULL;
  if (!v || !v->data)
    return 0;
  char file[BATON__SAVE_AS_MAX + 8];
  baton__fmt(file, sizeof file, "%s%s", name, format[0] ? "" :
             v->type == BATON__T_JSON ? ".json" : ".txt"); /* "save it as notes": notes.txt */
  char *path = baton__path_join(run->workspace, file);
  if (!path) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  size_t n = strlen(v->data);
  char *body = malloc(n + 2), why[256] = "out of memory"; /* a text file ends with a newline */
  if (body) {
    memcpy(body, v->data, n);
    if (n == 0 || body[n - 1] != '\n')
      body[n++] = '\n';
  }
  if (!body || baton__write_file(path, body, n, why, sizeof why) != 0) {
    baton__fmt(err, errlen, "the result is kept here but could not be saved as %s: %s", file,
               why);
    free(body);
    free(path);
    return -1;
  }
  free(body);
  if (baton__values_add_own(out, BATON__OUTPUT_FILE, 0, baton__path_absolute(path)) != 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}
