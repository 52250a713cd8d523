/* test_util.c — core/util.c's file helpers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "support/support.h"

/* Writes "x" to dir/name. */
static void touch(const char *dir, const char *name) {
  char *p = baton__path_join(dir, name);
  char err[256];
  cr_assert_eq(baton__write_file(p, "x", 1, err, sizeof err), 0, "%s", err);
  free(p);
}

static bool exists(const char *dir, const char *name) {
  char *p = baton__path_join(dir, name);
  struct stat st;
  bool e = lstat(p, &st) == 0;
  free(p);
  return e;
}

/* dir holds a/b/deep.txt, top.txt and out -> outside (a file elsewhere). */
static void fill(const char *dir, const char *outside) {
  char *ab = baton__path_join(dir, "a/b");
  cr_assert_eq(baton__mkdirs(ab, 0700), 0);
  touch(ab, "deep.txt");
  touch(dir, "top.txt");
  char *link = baton__path_join(dir, "out");
  cr_assert_eq(symlink(outside, link), 0);
  free(link);
  free(ab);
}

Test(core_util, rm_tree_removes_a_folder_and_not_what_its_links_point_to) {
  char *keep = bt_tmpdir(), *dir = bt_tmpdir();
  touch(keep, "precious.txt");
  char *target = baton__path_join(keep, "precious.txt");
  fill(dir, target);
  cr_assert_eq(baton__rm_tree(dir, false), 0, "%s", strerror(errno));
  struct stat st;
  cr_assert_neq(lstat(dir, &st), 0, "the folder is gone");
  cr_assert(exists(keep, "precious.txt"), "a link's target outside stays");
  free(target);
  bt_rmtree(keep);
  free(keep);
  free(dir);
}

Test(core_util, rm_tree_can_keep_the_folder_itself) {
  char *keep = bt_tmpdir(), *dir = bt_tmpdir();
  touch(keep, "precious.txt");
  char *target = baton__path_join(keep, "precious.txt");
  fill(dir, target);
  cr_assert_eq(baton__rm_tree(dir, true), 0, "%s", strerror(errno));
  cr_assert(exists(dir, "."), "the folder stays");
  cr_assert(!exists(dir, "a") && !exists(dir, "top.txt") && !exists(dir, "out"),
            "what it held is gone");
  cr_assert(exists(keep, "precious.txt"));
  free(target);
  bt_rmtree(keep);
  bt_rmtree(dir);
  free(keep);
  free(dir);
}

Test(core_util, rm_tree_says_when_there_is_nothing_to_remove) {
  cr_assert_eq(baton__rm_tree("", false), -1);
  cr_assert_eq(errno, EINVAL);
  char *dir = bt_tmpdir();
  char *gone = baton__path_join(dir, "never-made");
  cr_assert_eq(baton__rm_tree(gone, false), -1);
  cr_assert_eq(errno, ENOENT);
  free(gone);
  bt_rmtree(dir);
  free(dir);
}
