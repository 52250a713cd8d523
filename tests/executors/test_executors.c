/* test_executors.c — the executor table, lookup by name or endpoint, value sets and text normalisation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

/* The local executors this build has, by the name the table gives them. */
static const struct {
  const char *name;
  const baton__executor *ex;
} local_built[] = {
#if defined(BATON_HAVE_TESSERACT)
    {"tesseract", &baton__executor_tesseract},
#endif
#if defined(BATON_HAVE_ESPEAK)
    {"espeak-ng", &baton__executor_espeak},
#endif
#if defined(BATON_HAVE_OTS)
    {"ots", &baton__executor_ots},
#endif
    {"apertium", &baton__executor_apertium},
#if defined(BATON_HAVE_POCKETSPHINX) && defined(BATON_HAVE_SNDFILE)
    {"pocketsphinx", &baton__executor_pocketsphinx},
#endif
#if defined(BATON_HAVE_TEXTCAT)
    {"textcat", &baton__executor_textcat},
#endif
#if defined(BATON_HAVE_VIPS)
    {"vips", &baton__executor_vips},
#endif
#if defined(BATON_HAVE_OPENCV)
    {"opencv", &baton__executor_opencv},
#endif
#if defined(BATON_HAVE_SNDFILE)
    {"sndfile", &baton__executor_sndfile},
#endif
};

Test(executors_executors, table_lists_the_local_executors_built_in) {
  size_t n = 0;
  for (; baton__executors[n]; n++) {
    const baton__executor *ex = baton__executors[n];
    cr_assert_not_null(ex->name);
    cr_assert_not_null(ex->model_id);
    cr_assert_not_null(ex->tasks);
    cr_assert_not_null(ex->tasks[0], "%s serves no task", ex->name);
    cr_assert(ex->available && ex->init && ex->run && ex->release);
  }
  cr_assert_geq(n, 1);
  /* Each local executor built is found by its name and as an endpoint. */
  for (size_t i = 0; i < sizeof local_built / sizeof local_built[0]; i++) {
    const char *name = local_built[i].name;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "local:%s", name);
    cr_assert_eq(baton__executor_find(name), local_built[i].ex, "%s", name);
    cr_assert_eq(baton__executor_find(endpoint), local_built[i].ex, "%s", endpoint);
  }
  const baton__executor *dbg = baton__executor_find("local:debug");
  cr_assert_not_null(dbg);
  cr_assert(dbg->debug_only, "the debug executor must be debug-only");
  for (size_t i = 0; baton__executors[i]; i++)
    if (baton__executors[i] != dbg)
      cr_assert_not(baton__executors[i]->debug_only, "%s is debug-only",
                    baton__executors[i]->name);
}

Test(executors_executors, find_accepts_a_local_endpoint_and_rejects_unknown_names) {
  const baton__executor *a = baton__executor_find("apertium");
  cr_assert_not_null(a);
  cr_assert_eq(baton__executor_find("local:apertium"), a);
  cr_assert_str_eq(a->model_id, "local/apertium");
  cr_assert_null(baton__executor_find("no-such-executor"));
  cr_assert_null(baton__executor_find("local:"));
  cr_assert_null(baton__executor_find(NULL));
}

Test(executors_executors, values_keep_copies_and_find_by_name_or_type) {
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

Test(executors_executors, values_refuse_more_than_the_maximum) {
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

Test(executors_executors, outputs_are_taken_and_a_missing_one_fails) {
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

Test(executors_executors, absolute_paths_name_existing_files) {
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

Test(executors_executors, normalize_joins_lines_and_keeps_paragraphs) {
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
