/* test_values.c — the value sets executors exchange, their outputs, absolute paths and text normalisation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

Test(executors_values, values_keep_copies_and_find_by_name_or_type) {
  baton__values vs;
  memset(&vs, 0, sizeof vs);
  char name[] = "image";
  char data[] = "/tmp/a.png";
  cr_assert_eq(baton__values_add(&vs, name, BATON__T_IMAGE, data), 0);
  name[0] = 'X';
  data[0] = 'X';
  cr_assert_eq(baton__values_add(&vs, "tgt_lang", 0, "es"), 0);
  cr_assert_eq(baton__values_add_own(&vs, "text", BATON__T_TEXT, baton__strdup("hello")), 0);
  cr_assert_eq(vs.n, 3);
  const baton__value *v = baton__values_get(&vs, "image");
  cr_assert_not_null(v);
  cr_assert_str_eq(v->data, "/tmp/a.png");
  cr_assert_str_eq(baton__values_get(&vs, "tgt_lang")->data, "es");
  cr_assert_str_eq(baton__values_get_type(&vs, BATON__T_TEXT)->data, "hello");
  cr_assert_null(baton__values_get(&vs, "audio"));
  cr_assert_null(baton__values_get_type(&vs, BATON__T_AUDIO));
  baton__values_release(&vs);
  cr_assert_eq(vs.n, 0);
}

Test(executors_values, values_refuse_more_than_the_maximum) {
  baton__values vs;
  memset(&vs, 0, sizeof vs);
  for (int i = 0; i < BATON__MAX_VALUES; i++)
    cr_assert_eq(baton__values_add(&vs, "x", 0, "y"), 0);
  cr_assert_eq(baton__values_add(&vs, "one", 0, "too many"), -1);
  /* add_own frees what it was given even when it fails (ASan would tell). */
  cr_assert_eq(baton__values_add_own(&vs, "one", 0, baton__strdup("too many")), -1);
  cr_assert_eq(vs.n, BATON__MAX_VALUES);
  baton__values_release(&vs);
}

Test(executors_values, outputs_are_taken_and_a_missing_one_fails) {
  baton__values out;
  memset(&out, 0, sizeof out);
  baton__exec_env env;
  memset(&env, 0, sizeof env);
  /* an optional output that is NULL is left out */
  const baton__output ok[] = {{"text", BATON__T_TEXT, baton__strdup("hello"), false},
                              {"json", BATON__T_JSON, NULL, true}};
  cr_assert_eq(baton__values_add_outputs(&out, &env, ok, 2), 0);
  cr_assert_eq(out.n, 1);
  cr_assert_str_eq(baton__values_get(&out, "text")->data, "hello");
  baton__values_release(&out);

  /* a required one that is NULL (a failed allocation) fails the lot; the
   * data after it is freed (ASan's leak check sees it) */
  memset(&out, 0, sizeof out);
  const baton__output bad[] = {{"text", BATON__T_TEXT, NULL, false},
                               {"image", BATON__T_IMAGE, baton__strdup("/tmp/x.png"), false}};
  cr_assert_eq(baton__values_add_outputs(&out, &env, bad, 2), -1);
  cr_assert_str_eq(env.err, "out of memory");
  cr_assert_eq(out.n, 0);
  baton__values_release(&out);
}

Test(executors_values, absolute_paths_name_existing_files) {
  char *dir = bt_tmpdir();
  char *file = baton__path_join(dir, "out.wav");
  bt_write(file, "x");
  char cwd[4096];
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(dir), 0);
  char *abs = baton__path_absolute(baton__strdup("out.wav"));
  cr_assert_eq(chdir(cwd), 0);
  cr_assert_eq(abs[0], '/', "%s", abs);
  cr_assert(strstr(abs, "/out.wav"), "%s", abs);
  free(abs);
  bt_rmtree(dir);
  free(dir);
  free(file);
  char *missing = baton__strdup("no/such/file");
  cr_assert_eq(baton__path_absolute(missing), missing, "unresolvable paths stay as given");
  free(missing);
  cr_assert_null(baton__path_absolute(NULL));
}

Test(executors_values, normalize_joins_lines_and_keeps_paragraphs) {
  const char *raw = "  The library opens\nat nine.\n\n \n\fClosed on   Sundays.\n\n";
  char *p = baton__text_normalize(raw, strlen(raw), true);
  cr_assert_str_eq(p, "The library opens at nine.\n\nClosed on Sundays.");
  free(p);
  p = baton__text_normalize(raw, strlen(raw), false);
  cr_assert_str_eq(p, "The library opens at nine. Closed on Sundays.");
  free(p);
  p = baton__text_normalize(" \n\t\n", 4, true);
  cr_assert_str_eq(p, "");
  free(p);
}
