/* test_modules.c — a baton-worker process maps only the libraries of the executor it serves, and says why when its module cannot load. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "runtime/worker.h"
#include "worker/modules.h"
#include "support/support.h"

#if defined(BATON_HAVE_TEXTCAT)

static char *dir;
static char bin[600], copy[700], config[600];
static baton__config cfg;

static void setup(void) {
  dir = bt_tmpdir();
  snprintf(bin, sizeof bin, "%s/bin", dir);
  snprintf(copy, sizeof copy, "%s/baton-worker", bin);
  snprintf(config, sizeof config, "%s/config.yaml", dir);
  cr_assert_eq(mkdir(bin, 0755), 0);
  bt_write(config, "workers: 1\n");
  char err[768];
  cr_assert_eq(baton__config_load(&cfg, config, err, sizeof err), 0, "%s", err);
}

static void teardown(void) {
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(worker_modules, .init = setup, .fini = teardown, .timeout = 60);

/* Copies the build's baton-worker into bin/, without its executors folder. */
static void copy_worker(void) {
  bt_copy(BATON_TEST_BINARY_DIR "/baton-worker", copy, 0755);
}

/* Runs text-classification on the textcat executor in a worker of p:
 * 0 with the language in *lang, or -1 with env->err. */
static int classify(baton__worker_pool *p, baton__exec_env *env, char **lang) {
  baton__values in = {0}, out = {0};
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT,
                                 "The library opens at nine in the morning and closes at eight "
                                 "in the evening from Monday to Friday."),
               0);
  int rc = baton__worker_run(p, "text-classification", &in, env, &out);
  const baton__value *v = baton__values_get_type(&out, BATON__T_TEXT);
  *lang = v && v->data ? strdup(v->data) : NULL;
  baton__values_release(&in);
  baton__values_release(&out);
  return rc;
}

static baton__exec_env env_for(atomic_int *cancel) {
  return (baton__exec_env){.cfg = &cfg, .workspace = dir, .file_prefix = "task1",
                           .cancel = cancel, .model = "local/textcat"};
}

Test(worker_modules, a_worker_maps_its_executors_libraries_and_no_others) {
  baton__worker_pool p;
  baton__worker_pool_init(&p, "textcat", &cfg, BATON_TEST_BINARY_DIR "/baton-worker", 1);
  atomic_int cancel = 0;
  baton__exec_env env = env_for(&cancel);
  char *lang = NULL;
  cr_assert_eq(classify(&p, &env, &lang), 0, "%s", env.err);
  cr_assert_not_null(lang);
  char maps_path[64];
  snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", (int)p.w[0].pid);
  char *maps = bt_slurp(maps_path, NULL);
  cr_assert_not_null(strstr(maps, "/executors/textcat.so"), "%s", maps);
  cr_assert_not_null(strstr(maps, "libexttextcat"));
  const char *others[] = {"libtesseract", "libopencv_core", "libvips", "libespeak-ng",
                          "libpocketsphinx", "/executors/tesseract.so"};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
    cr_assert_null(strstr(maps, others[i]), "a textcat worker mapped %s", others[i]);
  free(maps);
  free(lang);
  baton__worker_pool_release(&p);
}

/* Runs a textcat task in a worker of the copied baton-worker, which must
 * fail saying it cannot load the module at path. */
static void fails_to_load(const char *path) {
  baton__worker_pool p;
  baton__worker_pool_init(&p, "textcat", &cfg, copy, 1);
  atomic_int cancel = 0;
  baton__exec_env env = env_for(&cancel);
  char *lang = NULL;
  cr_assert_eq(classify(&p, &env, &lang), -1);
  cr_assert_null(lang);
  cr_assert_not_null(strstr(env.err, "cannot load the textcat executor"), "%s", env.err);
  cr_assert_not_null(strstr(env.err, path), "%s", env.err);
  baton__worker_pool_release(&p);
}

Test(worker_modules, a_worker_without_its_module_fails_the_task_saying_why) {
  copy_worker();
  fails_to_load("/bin/executors/textcat.so");
}

Test(worker_modules, a_damaged_module_fails_the_task_saying_why) {
  copy_worker();
  char mods[800], so[900];
  snprintf(mods, sizeof mods, "%s/executors", bin);
  snprintf(so, sizeof so, "%s/textcat.so", mods);
  cr_assert_eq(mkdir(mods, 0755), 0);
  bt_write(so, "not a shared object\n");
  fails_to_load(so);
}

Test(worker_modules, describe_lists_the_modules_that_load_and_no_others) {
  char err[512] = "";
  cJSON *all = baton__worker_query(BATON_TEST_BINARY_DIR "/baton-worker", config, err, sizeof err);
  cr_assert_not_null(all, "%s", err);
  cr_assert_not_null(cJSON_GetArrayItem(all, 0));
  bool textcat = false;
  for (const cJSON *e = all->child; e; e = e->next)
    textcat |= strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "textcat") == 0;
  cr_assert(textcat, "textcat is not described");
  cJSON_Delete(all);
  copy_worker();
  cJSON *none = baton__worker_query(copy, config, err, sizeof err);
  cr_assert_not_null(none, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(none), 0);
  cJSON_Delete(none);
}

/* Whether the module at path is loaded in this process. */
static bool loaded(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h)
    dlclose(h);
  return h != NULL;
}

Test(worker_modules, a_queue_worker_loads_only_the_modules_of_its_tasks) {
  const char *mods = BATON_TEST_BINARY_DIR "/executors";
  const baton__executor *table[16];
  size_t n = baton__modules_load(mods, "debug-echo,debug-sleep", table, 16, NULL);
  cr_assert_eq(n, 0);
  cr_assert_null(table[0]);
  cr_assert_not(loaded(BATON_TEST_BINARY_DIR "/executors/textcat.so"));
  /* text-classification has two local executors: language and sentiment */
  n = baton__modules_load(mods, "debug-echo,text-classification", table, 16, NULL);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(table[0]->name, "textcat");
  cr_assert_str_eq(table[1]->name, "sentiment");
  cr_assert_null(table[2]);
  cr_assert(loaded(BATON_TEST_BINARY_DIR "/executors/textcat.so"));
  cr_assert(loaded(BATON_TEST_BINARY_DIR "/executors/sentiment.so"));
  cr_assert_not(loaded(BATON_TEST_BINARY_DIR "/executors/tesseract.so"));
}

Test(worker_modules, an_executor_this_build_lacks_is_refused_by_name) {
  char err[256] = "";
  cr_assert_null(baton__module_load(BATON_TEST_BINARY_DIR "/executors", "no-such", err, sizeof err));
  cr_assert_str_eq(err, "this build has no local executor called 'no-such'");
  cr_assert(baton__module_known("textcat"));
  cr_assert_not(baton__module_known("debug"));
}

#else
Test(worker_modules, skipped) {
  cr_skip_test("libexttextcat was not found at build time");
}
#endif
