/* test_input_reach.c — without the caller's identity, the permission bits and ACLs of every folder on the way decide whether the caller may reach an input or list a folder. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/inputs.h"
#include "support/posix_acl.h"
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
    cr_assert_eq(baton__input_caller_may_reach(&s, root, cases[i].rel, &st, NULL), cases[i].may,
                 "%s", cases[i].rel);
  gid_t groups[] = {(gid_t)(getegid() + 4243), getegid()};
  s.groups = groups, s.n_groups = 2; /* grp's group among its supplementary groups */
  cr_assert(baton__input_caller_may_reach(&s, root, "grp/c.wav", &st, NULL));
  s.groups = NULL, s.n_groups = 0;
  s.gid = getegid(); /* now in grp's group: it may search grp, not list it */
  cr_assert(baton__input_caller_may_reach(&s, root, "grp/c.wav", &st, NULL));
  cr_assert_not(baton__input_caller_may_reach(&s, root, "grp", &st, NULL));
  s.uid = geteuid(); /* the owner of hid */
  cr_assert(baton__input_caller_may_reach(&s, root, "hid/open/secret.wav", &st, NULL));
  cr_assert(S_ISREG(st.st_mode));
}

static void set_acl(const char *rel, const bt_acl_entry *e, size_t n) {
  char p[700];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  bt_acl_set(p, e, n);
}

/* ACLs on the way decide too: a folder its bits open to all that an ACL closes to the caller,
 * and folders their bits close that an ACL opens to the caller, to search or to list. */
Test(runtime_input_reach, an_acl_closes_or_opens_a_folder_on_the_way) {
  uid_t uid = geteuid() + 4242;
  gid_t gid = getegid() + 4242, team = getegid() + 4243;
  make("aclshut", 0755, true);
  make("aclshut/d.wav", 0644, false);
  make("aclsearch", 0700, true);
  make("aclsearch/e.wav", 0644, false);
  make("acllist", 0700, true);
  make("acllist/f.wav", 0644, false);
  set_acl("aclshut", (const bt_acl_entry[]){UO(RWX), U(uid, 0), GO(RX), M(RX), O(RX)}, 5);
  set_acl("aclsearch", (const bt_acl_entry[]){UO(RWX), U(uid, X), GO(0), M(RX), O(0)}, 5);
  set_acl("acllist", (const bt_acl_entry[]){UO(RWX), GO(0), G(team, RX), M(RX), O(0)}, 5);
  baton__input_scope s = {.as_caller = true, .uid = uid, .gid = gid};
  struct stat st;
  cr_assert_not(baton__input_caller_may_reach(&s, root, "aclshut/d.wav", &st, NULL));
  cr_assert_not(baton__input_caller_may_reach(&s, root, "aclshut", &st, NULL));
  cr_assert(baton__input_caller_may_reach(&s, root, "aclsearch/e.wav", &st, NULL));
  cr_assert_not(baton__input_caller_may_reach(&s, root, "aclsearch", &st, NULL),
                "searched, not read");
  cr_assert_not(baton__input_caller_may_reach(&s, root, "acllist/f.wav", &st, NULL));
  gid_t groups[] = {team};
  s.groups = groups, s.n_groups = 1; /* the named group among its supplementary groups */
  cr_assert(baton__input_caller_may_reach(&s, root, "acllist/f.wav", &st, NULL));
  cr_assert(baton__input_caller_may_reach(&s, root, "acllist", &st, NULL));
  s.uid = uid + 1; /* another user: the ACLs name it nowhere */
  cr_assert(baton__input_caller_may_reach(&s, root, "aclshut/d.wav", &st, NULL));
  cr_assert_not(baton__input_caller_may_reach(&s, root, "aclsearch/e.wav", &st, NULL));
}

/* End to end, in a process that cannot take the caller's identity (a daemon that is not root):
 * opening and listing refuse what lies under hid/ (0700, the process's own, not the caller's),
 * a link there to a file the caller may read included, and take what lies under pub/. */
Test(runtime_input_reach, a_process_without_the_callers_identity_opens_and_lists_as_the_bits_say) {
  if (geteuid() != 0)
    cr_skip_test("needs root, to drop to a user that cannot take on another's identity");
  char p[700];
  snprintf(p, sizeof p, "%s/hid/lnk", dir); /* a link in hid/ to a file the caller may read */
  cr_assert_eq(symlink("../pub/open/a.wav", p), 0);
  snprintf(p, sizeof p, "%s/pub/lnk", dir); /* ... and one in an open folder */
  cr_assert_eq(symlink("open/a.wav", p), 0);
  snprintf(p, sizeof p, "%s/hid", dir);
  cr_assert_eq(chown(p, 65534, 65534), 0); /* the "daemon"'s own folder */
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    gid_t g = 65534;
    if (setgroups(1, &g) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
      _exit(10);
    const char *roots[] = {dir};
    baton__input_scope s = {.roots = roots, .n_roots = 1, .as_caller = true, .uid = 65533,
                            .gid = 65533, .max_bytes = 1 << 20};
    char err[600], *names[4];
    int secret = baton__input_open(&s, "hid/open/secret.wav", err, sizeof err);
    int open = baton__input_open(&s, "pub/open/a.wav", err, sizeof err);
    long hid = baton__input_list(&s, "hid/open", "*.wav", 0, names, 4, err, sizeof err);
    long pub = baton__input_list(&s, "pub/open", "*.wav", 0, names, 4, err, sizeof err);
    if (pub == 1)
      free(names[0]);
    /* what is not there behind hid/ reads as refused too, and ".." does not pass through it */
    int gone = baton__input_open(&s, "hid/gone.wav", err, sizeof err);
    bool told = gone < 0 && strstr(err, "Permission denied");
    int back = baton__input_open(&s, "hid/open/../../pub/open/a.wav", err, sizeof err);
    int hid_link = baton__input_open(&s, "hid/lnk", err, sizeof err);
    int pub_link = baton__input_open(&s, "pub/lnk", err, sizeof err);
    int code = secret >= 0 ? 1 : open < 0 ? 2 : hid >= 0 ? 3 : pub != 1 ? 4 : 0;
    code = code ? code : !told ? 5 : back >= 0 ? 6 : hid_link >= 0 ? 7 : pub_link < 0 ? 8 : 0;
    _exit(code);
  }
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "exit %d (1: the secret opened; 2: pub refused; 3: hid listed; 4: pub not listed; "
            "5: a missing file behind hid told apart; 6: \"..\" passed through hid; 7: a link in "
            "hid followed; 8: a link in pub refused; 10: could not drop to 65534)",
            WEXITSTATUS(status));
}

/* A process that takes the caller's identity (root, as batond serving another user) takes its
 * supplementary groups too: a file only a group of the caller's may read opens, and does not
 * without that group. */
Test(runtime_input_reach, the_callers_supplementary_groups_open_what_they_may_read) {
  if (geteuid() != 0)
    cr_skip_test("needs root, to take on another user's identity");
  char p[700];
  snprintf(p, sizeof p, "%s/pub/open/team.wav", dir);
  bt_write(p, "x");
  cr_assert_eq(chown(p, 0, 4244), 0);
  cr_assert_eq(chmod(p, 0640), 0);
  const char *roots[] = {dir};
  gid_t team[] = {4243, 4244};
  baton__input_scope s = {.roots = roots, .n_roots = 1, .as_caller = true, .uid = 65534,
                          .gid = 65534, .max_bytes = 1 << 20};
  char err[600] = "";
  int fd = baton__input_open(&s, "pub/open/team.wav", err, sizeof err);
  cr_assert_lt(fd, 0, "opened without the group");
  cr_assert(strstr(err, "ermission denied"), "%s", err);
  s.groups = team, s.n_groups = 2;
  fd = baton__input_open(&s, "pub/open/team.wav", err, sizeof err);
  cr_assert_geq(fd, 0, "%s", err);
  close(fd);
  char *names[4];
  s.groups = NULL, s.n_groups = 0; /* listing: the folder is open to all, the file is there */
  cr_assert_eq(baton__input_list(&s, "pub/open", "team.wav", 0, names, 4, err, sizeof err), 1,
               "%s", err);
  free(names[0]);
}

/* The child of the test below: as 65534 (not root), opens and lists for the caller 65533.
 * 0, or what went wrong. */
static int open_and_list_as_the_acls_say(void) {
  gid_t g = 65534;
  if (setgroups(1, &g) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
    return 10;
  const char *roots[] = {dir};
  baton__input_scope s = {.roots = roots, .n_roots = 1, .as_caller = true, .uid = 65533,
                          .gid = 65533, .max_bytes = 1 << 20};
  char err[600], *names[4];
  int closed = baton__input_open(&s, "pub/open/closed.wav", err, sizeof err);
  if (closed >= 0 || !strstr(err, "permission denied for uid 65533"))
    return 1;
  int given = baton__input_open(&s, "pub/open/given.wav", err, sizeof err);
  if (given < 0)
    return 2;
  close(given);
  if (baton__input_open(&s, "aclhid/a.wav", err, sizeof err) >= 0)
    return 3;
  if (baton__input_list(&s, "aclhid", "*.wav", 0, names, 4, err, sizeof err) >= 0)
    return 4;
  int b = baton__input_open(&s, "aclgiven/b.wav", err, sizeof err);
  if (b < 0)
    return 5;
  close(b);
  if (baton__input_list(&s, "aclgiven", "*.wav", 0, names, 4, err, sizeof err) != 1)
    return 6;
  free(names[0]);
  return 0;
}

/* End to end, in a process that cannot take the caller's identity: a file and a folder that
 * "others" may read but an ACL closes to the caller are refused; a file and a folder closed to
 * all but the process's own user, that an ACL opens to the caller, are read and listed. */
Test(runtime_input_reach, a_process_without_the_callers_identity_opens_and_lists_as_acls_say) {
  if (geteuid() != 0)
    cr_skip_test("needs root, to drop to a user that cannot take on another's identity");
  char p[700];
  make("pub/open/closed.wav", 0644, false);
  set_acl("pub/open/closed.wav", (const bt_acl_entry[]){UO(RW), U(65533, 0), GO(R), M(R), O(R)},
          5);
  make("pub/open/given.wav", 0600, false);
  snprintf(p, sizeof p, "%s/pub/open/given.wav", dir);
  cr_assert_eq(chown(p, 65534, 65534), 0); /* the "daemon"'s own file */
  set_acl("pub/open/given.wav", (const bt_acl_entry[]){UO(RW), U(65533, R), GO(0), M(R), O(0)},
          5);
  make("aclhid", 0755, true);
  make("aclhid/a.wav", 0644, false);
  set_acl("aclhid", (const bt_acl_entry[]){UO(RWX), U(65533, 0), GO(RX), M(RX), O(RX)}, 5);
  make("aclgiven", 0700, true);
  make("aclgiven/b.wav", 0644, false);
  snprintf(p, sizeof p, "%s/aclgiven", dir);
  cr_assert_eq(chown(p, 65534, 65534), 0);
  set_acl("aclgiven", (const bt_acl_entry[]){UO(RWX), U(65533, RX), GO(0), M(RX), O(0)}, 5);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    _exit(open_and_list_as_the_acls_say());
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "exit %d (1: closed.wav opened; 2: given.wav refused; 3: aclhid/a.wav opened; "
            "4: aclhid listed; 5: aclgiven/b.wav refused; 6: aclgiven not listed; 10: could not "
            "drop to 65534)", WEXITSTATUS(status));
}
