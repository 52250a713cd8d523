/* test_input_reach.c — without the caller's identity, the permission bits of every folder on the way decide whether the caller may reach an input or list a folder. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/inputs.h"
#include "support/support.h"

static char *dir;
static int root = -1;

static void make(const char *rel, mode_t mode, bool folder) {
  char p[700];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  if (folder)
    cr_assert_eq(mkdir(p, mode), 0, "%s", p);
  else
    bt_write(p, "x");
  cr_assert_eq(chmod(p, mode), 0, "%s", p);
}

/* hid/ (0700, not the caller's) holding open/ (0755) and open/secret.wav; pub/open/a.wav, all
 * open; shut/ (0711: searched, not read) holding b.wav; grp/ (0710, the caller's group); lnk, a
 * link to pub/open. */
static void setup(void) {
  dir = bt_tmpdir();
  cr_assert_eq(chmod(dir, 0755), 0);
  make("hid", 0700, true);
  make("hid/open", 0755, true);
  make("hid/open/secret.wav", 0644, false);
  make("pub", 0755, true);
  make("pub/open", 0755, true);
  make("pub/open/a.wav", 0644, false);
  make("shut", 0711, true);
  make("shut/b.wav", 0644, false);
  make("grp", 0710, true);
  make("grp/c.wav", 0644, false);
  char p[700];
  snprintf(p, sizeof p, "%s/lnk", dir);
  cr_assert_eq(symlink("pub/open", p), 0);
  root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq(root, 0);
}

static void teardown(void) {
  close(root);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(runtime_input_reach, .init = setup, .fini = teardown, .timeout = 30);

Test(runtime_input_reach, only_what_every_folder_on_the_way_lets_the_caller_reach) {
  /* a made-up user, not the owner of anything here, in no group of ours but the one asked */
  uid_t uid = geteuid() + 4242;
  baton__input_scope s = {.as_caller = true, .uid = uid, .gid = (gid_t)(getegid() + 4242)};
  static const struct {
    const char *rel;
    bool may;
  } cases[] = {
      {"", true},           {"pub/open", true},         {"pub/open/a.wav", true},
      {"hid", false},       {"hid/open", false},        {"hid/open/secret.wav", false},
      {"shut", false},      {"shut/b.wav", true},       {"grp/c.wav", false},
      {"lnk", false},       {"lnk/a.wav", false},       {"pub/../hid/open", false},
  };
  struct stat st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(baton__input_caller_may_reach(&s, root, cases[i].rel, &st), cases[i].may,
                 "%s", cases[i].rel);
  s.gid = getegid(); /* now in grp's group: it may search grp, not list it */
  cr_assert(baton__input_caller_may_reach(&s, root, "grp/c.wav", &st));
  cr_assert_not(baton__input_caller_may_reach(&s, root, "grp", &st));
  s.uid = geteuid(); /* the owner of hid */
  cr_assert(baton__input_caller_may_reach(&s, root, "hid/open/secret.wav", &st));
  cr_assert(S_ISREG(st.st_mode));
}
