/* test_describe_cache.c — commands learn the local executors from the user's cache folder, starting baton-worker only when the entry is stale. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *dir;
static char counter[512], bin[512], mods[600], wrapper[600], home[512], cache[512];

/* A worker program that counts how often it is started, then is a copy of
 * the real one whose folder holds one executor module, apertium's (so each
 * describe the tests count takes milliseconds, not the 250 ms of loading
 * all nine); a cache folder of the test's own, so no other test's entries
 * count. */
static void setup(void) {
  dir = bt_tmpdir();
  snprintf(counter, sizeof counter, "%s/starts", dir);
  snprintf(bin, sizeof bin, "%s/bin", dir);
  snprintf(mods, sizeof mods, "%s/executors", bin);
  snprintf(wrapper, sizeof wrapper, "%s/worker.sh", bin);
  snprintf(home, sizeof home, "%s/home", dir);
  snprintf(cache, sizeof cache, "%s/cache", dir);
  cr_assert_eq(mkdir(bin, 0755), 0);
  cr_assert_eq(mkdir(mods, 0755), 0);
  char program[700], module[700], script[2048];
  snprintf(program, sizeof program, "%s/baton-worker", bin);
  snprintf(module, sizeof module, "%s/apertium.so", mods);
  bt_copy(BATON_TEST_BINARY_DIR "/baton-worker", program, 0755);
  cr_assert_eq(symlink(BATON_TEST_BINARY_DIR "/executors/apertium.so", module), 0);
  snprintf(script, sizeof script, "#!/bin/sh\necho start >> '%s'\nexec '%s' \"$@\"\n", counter,
           program);
  bt_write(wrapper, script);
  cr_assert_eq(chmod(wrapper, 0755), 0);
  setenv("BATON_WORKER", wrapper, 1);
  setenv("BATON_HOME", home, 1);
  setenv("XDG_CACHE_HOME", cache, 1);
}

static void teardown(void) {
  unsetenv("BATON_WORKER");
  unsetenv("BATON_HOME");
  unsetenv("XDG_CACHE_HOME");
  bt_rmtree(dir);
  free(dir);
}

static int starts(void) {
  FILE *f = fopen(counter, "r");
  if (!f)
    return 0;
  int n = 0;
  char line[64];
  while (fgets(line, sizeof line, f))
    n++;
  fclose(f);
  return n;
}

/* Opens a context on config (NULL: the default), lists the executors as
 * `baton executors` does, closes. */
static char *list_with(const char *config, bool refresh) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(config, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  if (refresh)
    cr_assert_eq(baton_executors_refresh(ctx), BATON_OK, "%s", baton_errmsg(ctx));
  char *json = NULL;
  cr_assert_eq(baton_executors_json(ctx, &json), BATON_OK, "%s", baton_errmsg(ctx));
  baton_close(ctx);
  cr_assert_not_null(strstr(json, "\"apertium\""), "the local executors are missing: %s", json);
  return json;
}

static char *list_executors(bool refresh) { return list_with(NULL, refresh); }

/* The one entry in the test's cache folder, copied into out. */
static void the_entry(char *out, size_t cap) {
  char folder[600];
  snprintf(folder, sizeof folder, "%s/baton", cache);
  DIR *d = opendir(folder);
  cr_assert_not_null(d, "no cache folder %s", folder);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strncmp(e->d_name, "executors-", 10) == 0 && ++n)
      snprintf(out, cap, "%s/%s", folder, e->d_name);
  closedir(d);
  cr_assert_eq(n, 1, "expected one cache entry in %s, found %d", folder, n);
}

TestSuite(runtime_describe_cache, .init = setup, .fini = teardown);

Test(runtime_describe_cache, a_second_command_lists_the_executors_without_starting_the_worker) {
  char *first = list_executors(false);
  cr_assert_eq(starts(), 1);
  char *second = list_executors(false);
  cr_assert_eq(starts(), 1, "the second command started baton-worker again");
  cr_assert_str_eq(first, second);
  baton_free(first);
  baton_free(second);
}

Test(runtime_describe_cache, a_changed_worker_program_is_asked_again) {
  baton_free(list_executors(false));
  /* A rebuilt or reinstalled worker: same path, new size and time. */
  FILE *f = fopen(wrapper, "a");
  cr_assert_not_null(f);
  fputs("# rebuilt\n", f);
  fclose(f);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, a_rebuilt_executor_module_is_asked_again) {
  baton_free(list_executors(false));
  /* apertium.so rebuilt alone: the worker program stays the same. */
  char module[700];
  snprintf(module, sizeof module, "%s/apertium.so", mods);
  cr_assert_eq(unlink(module), 0);
  bt_copy(BATON_TEST_BINARY_DIR "/executors/apertium.so", module, 0755);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2, "the description of the old module was used");
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, a_corrupt_cache_is_replaced_by_asking_once) {
  baton_free(list_executors(false));
  char file[1200];
  the_entry(file, sizeof file);
  bt_write(file, "{\"key\": [1, 2, tru");
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2, "the rewritten cache was not used");
}

/* A config file with text, at dir/name; returns its path (static). */
static const char *config_at(const char *name, const char *text) {
  static char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  bt_write(path, text);
  return path;
}

Test(runtime_describe_cache, the_same_config_copied_or_touched_is_not_asked_again) {
  char a[600];
  snprintf(a, sizeof a, "%s", config_at("a.yaml", "workers: 2\n"));
  baton_free(list_with(a, false));
  cr_assert_eq(starts(), 1);
  /* A fresh copy elsewhere (a new test's, a user's second checkout). */
  baton_free(list_with(config_at("b.yaml", "workers: 2\n"), false));
  cr_assert_eq(starts(), 1, "the same config at a new path started baton-worker again");
  /* The same file with another time, as `touch` or an editor's save gives it. */
  struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
  cr_assert_eq(utimensat(AT_FDCWD, a, times, 0), 0);
  baton_free(list_with(a, false));
  cr_assert_eq(starts(), 1, "a touched config started baton-worker again");
}

Test(runtime_describe_cache, a_changed_config_is_asked_again) {
  baton_free(list_with(config_at("a.yaml", "executors:\n  ots:\n    percent: 20\n"), false));
  /* Same size, same path, other text. */
  baton_free(list_with(config_at("a.yaml", "executors:\n  ots:\n    percent: 30\n"), false));
  cr_assert_eq(starts(), 2);
  baton_free(list_with(config_at("a.yaml", "executors:\n  ots:\n    percent: 30\n"), false));
  cr_assert_eq(starts(), 2);
}

/* A config naming a home, a queue and an endpoint of its own, and an espeak-ng voice. */
static const char *config_of(const char *name, int port, const char *voice) {
  char text[1024];
  snprintf(text, sizeof text,
           "workers: %d\nhome: %s/home-%d\nqueue:\n  url: redis://127.0.0.1:%d\n"
           "endpoints:\n  - name: e%d\n    base_url: http://127.0.0.1:%d\n"
           "limits:\n  tasks: %d\nexecutors:\n  espeak-ng:\n    voice: %s\n",
           port % 8 + 1, dir, port, port, port, port, port, voice);
  return config_at(name, text);
}

Test(runtime_describe_cache, a_config_changed_only_where_no_local_executor_looks_is_not_asked_again) {
  baton_free(list_with(config_of("a.yaml", 1001, "en"), false));
  /* Another test's or user's home, workers, limits, queue and servers: the
   * same executors. */
  baton_free(list_with(config_of("b.yaml", 1002, "en"), false));
  cr_assert_eq(starts(), 1, "a config changed outside its executors section started baton-worker again");
  /* A setting of a local executor does decide what it says. */
  baton_free(list_with(config_of("b.yaml", 1002, "es"), false));
  cr_assert_eq(starts(), 2, "a changed executor setting used the old description");
}

Test(runtime_describe_cache, a_cache_folder_that_cannot_be_written_only_costs_a_describe) {
  /* XDG_CACHE_HOME is a file, so no folder can be made under it. */
  bt_write(cache, "not a folder");
  baton_free(list_executors(false));
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, refresh_asks_the_worker_even_when_the_cache_holds) {
  baton_free(list_executors(false));
  baton_free(list_executors(true));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, a_run_still_starts_a_worker_when_a_local_task_needs_it) {
  baton_free(list_executors(false));
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK);
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "translation",
                           "{\"text\":\"the house\",\"src_lang\":\"en\",\"tgt_lang\":\"es\"}",
                           "local/apertium", NULL, &json);
  baton_close(ctx);
  cr_assert_eq(rc, BATON_OK, "%s", json ? json : "");
  cr_assert_not_null(strstr(json, "casa"), "%s", json);
  cr_assert_eq(starts(), 2, "the task's worker should be the only new start");
  baton_free(json);
}

/* The entries' folder. */
static void entry_folder(char *out, size_t cap) { snprintf(out, cap, "%s/baton", cache); }

/* Writes folder/name with its mtime age seconds ago (seconds since the
 * epoch when age is negative: -t). */
static void file_aged(const char *folder, const char *name, long age) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  bt_write(path, "{}");
  struct timespec t = {.tv_sec = age < 0 ? -age : time(NULL) - age};
  struct timespec times[2] = {t, t};
  cr_assert_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

static bool exists(const char *folder, const char *name) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Names in folder of an entry's form, executors-<16 lower-case hex>.json. */
static int count_entries(const char *folder) {
  DIR *d = opendir(folder);
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    const char *s = e->d_name;
    bool ok = strlen(s) == 31 && strncmp(s, "executors-", 10) == 0 && !strcmp(s + 26, ".json");
    for (int i = 10; ok && i < 26; i++)
      ok = strchr("0123456789abcdef", s[i]) != NULL;
    n += ok;
  }
  closedir(d);
  return n;
}

Test(runtime_describe_cache, writing_an_entry_keeps_the_newest_16_and_nothing_else_is_touched) {
  char folder[600];
  entry_folder(folder, sizeof folder);
  cr_assert_eq(mkdir(cache, 0700), 0);
  cr_assert_eq(mkdir(folder, 0700), 0);
  /* 20 entries of other configs, an hour to 20 hours old. */
  for (int i = 0; i < 20; i++) {
    char name[64];
    snprintf(name, sizeof name, "executors-%016x.json", 0xa0 + i);
    file_aged(folder, name, 3600L * (i + 1));
  }
  /* Older still, but not entries: left alone. */
  static const char *const others[] = {"executors-abc.json", "executors-00000000000000a0.json.tmp7.0",
                                       "executors-00000000000000A0.json", "notes.json",
                                       "executors-00000000000000g0.json"};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
    file_aged(folder, others[i], -1000000000L);
  char link[1200], dirname[1200];
  snprintf(link, sizeof link, "%s/executors-00000000000000ff.json", folder);
  cr_assert_eq(symlink("notes.json", link), 0);
  snprintf(dirname, sizeof dirname, "%s/executors-00000000000000fe.json", folder);
  cr_assert_eq(mkdir(dirname, 0700), 0);
  baton_free(list_executors(false));
  /* The new entry and the 15 newest others are left, besides the link and
   * the folder that have an entry's name. */
  cr_assert_eq(count_entries(folder), 16 + 2, "expected 16 entries, a link and a folder");
  for (int i = 0; i < 20; i++) {
    char name[64];
    snprintf(name, sizeof name, "executors-%016x.json", 0xa0 + i);
    cr_assert_eq(exists(folder, name), i < 15, "%s (%d hours old) %s", name, i + 1,
                 i < 15 ? "was removed" : "was kept");
  }
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
    cr_assert(exists(folder, others[i]), "%s was removed", others[i]);
  cr_assert(exists(folder, "executors-00000000000000ff.json"), "the link was removed");
  cr_assert(exists(folder, "executors-00000000000000fe.json"), "the folder was removed");
  /* The new entry is used. */
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 1);
}

Test(runtime_describe_cache, writing_an_entry_removes_the_old_executors_json_of_baton_home) {
  char legacy[600];
  snprintf(legacy, sizeof legacy, "%s/executors.json", home);
  cr_assert_eq(mkdir(home, 0700), 0);
  bt_write(legacy, "{\"key\": {}, \"executors\": []}");
  baton_free(list_executors(false));
  struct stat st;
  cr_assert_neq(stat(legacy, &st), 0, "%s is still there", legacy);
}

Test(runtime_describe_cache, the_old_executors_json_stays_when_no_entry_could_be_written) {
  char legacy[600];
  snprintf(legacy, sizeof legacy, "%s/executors.json", home);
  cr_assert_eq(mkdir(home, 0700), 0);
  bt_write(legacy, "{}");
  bt_write(cache, "not a folder");
  baton_free(list_executors(false));
  struct stat st;
  cr_assert_eq(stat(legacy, &st), 0, "%s was removed though nothing replaced it", legacy);
}
