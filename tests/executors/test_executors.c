/* test_executors.c — the executor table and lookup by name or endpoint. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stddef.h>

#include "executors/executor.h"

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
    {"passage", &baton__executor_passage},
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
