/* exec.c — running one executor task from a test and taking one output. */
#include "support/exec.h"

#include <criterion/criterion.h>
#include <string.h>

#include "core/util.h"

char *bt_exec_output(const baton__executor *ex, void *state, const char *task,
                     baton__values *in, baton__exec_env *env, const char *out_name,
                     unsigned out_type) {
  baton__values out;
  memset(&out, 0, sizeof out);
  env->err[0] = '\0';
  int rc = ex->run(state, task, in, env, &out);
  char *res = NULL;
  if (rc == 0) {
    const baton__value *v = baton__values_get(&out, out_name);
    cr_assert_not_null(v, "%s gave no %s output", ex->name, out_name);
    cr_assert_eq(v->type, out_type, "%s output of the wrong type", out_name);
    res = baton__strdup(v->data);
  } else {
    cr_assert_neq(env->err[0], '\0', "%s failed without a message", ex->name);
  }
  baton__values_release(in);
  baton__values_release(&out);
  return res;
}
