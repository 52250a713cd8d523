/* exec.h — running one executor task from a test and taking one output. */
#ifndef BATON_TESTS_EXEC_H
#define BATON_TESTS_EXEC_H

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

#endif
