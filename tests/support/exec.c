/* exec.c — running one executor task from a test and taking one output, or a text executor's text and JSON replies. */
#include "support/exec.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

char *bt_exec_output(const baton__executor *ex, void *state, const char *task,
                     baton__values *in, baton__exec_env *env, const char *out_name,
                     unsigned out_type) {
  baton__values out;
  memset(&out, 0, sizeof out);
  env->err[0] = '\0';
  env->bad_input = false; /* as the runtime does before each run */
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

bt_reply bt_exec_reply(const baton__executor *ex, const char *task, size_t max_text,
                       const char *const *args) {
  bt_reply r = {0};
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  for (size_t i = 0; args[i]; i += 2)
    if (args[i + 1])
      cr_assert_eq(baton__values_add(&in, args[i], strcmp(args[i], "text") ? 0 : BATON__T_TEXT,
                                     args[i + 1]), 0);
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_text_bytes = max_text;
  baton__exec_env env = {.cfg = &cfg};
  r.rc = ex->run(NULL, task, &in, &env, &out);
  if (r.rc == 0) {
    const baton__value *t = baton__values_get(&out, "text"), *j = baton__values_get(&out, "json");
    cr_assert(t && t->type == BATON__T_TEXT && j && j->type == BATON__T_JSON);
    r.text = baton__strdup(t->data);
    cr_assert_not_null(r.json = cJSON_Parse(j->data), "the reply does not parse: %s", j->data);
    cr_assert(cJSON_IsArray(r.json), "%s", j->data);
  } else {
    cr_assert_neq(env.err[0], '\0', "a failure without a message");
  }
  r.bad_input = env.bad_input;
  baton__fmt(r.err, sizeof r.err, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return r;
}

void bt_reply_release(bt_reply *r) {
  free(r->text);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}
