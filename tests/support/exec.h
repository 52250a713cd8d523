/* exec.h — running one executor task from a test and taking one output, or a text executor's text and JSON replies. */
#ifndef BATON_TESTS_EXEC_H
#define BATON_TESTS_EXEC_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "executors/executor.h"

/*
 * Runs `task` on executor ex (state as its init() gave it) with the inputs
 * *in, which are released here, and returns the output named out_name as
 * a malloc'd string after checking it exists with type out_type. When the
 * run fails, checks that env->err says why and returns NULL. env->err is
 * cleared first.
 */
char *bt_exec_output(const baton__executor *ex, void *state, const char *task,
                     baton__values *in, baton__exec_env *env, const char *out_name,
                     unsigned out_type);

/* What a local text executor answered: its "text" and parsed "json" outputs, or why it failed. */
typedef struct bt_reply {
  int rc;
  char *text;  /* malloc'd, with rc 0 */
  cJSON *json; /* with rc 0 */
  bool bad_input; /* with rc -1: the failure was the input's fault */
  char err[512];
} bt_reply;

/*
 * Runs `task` on executor ex (no state) with the inputs args (name, value, ..., NULL; a "text"
 * is typed text, a NULL value is left out), texts bounded to max_text bytes (0: the default).
 * On success checks the reply has a "text" and a JSON-array "json"; on failure, a message.
 */
bt_reply bt_exec_reply(const baton__executor *ex, const char *task, size_t max_text,
                       const char *const *args);
void bt_reply_release(bt_reply *r);

#endif
