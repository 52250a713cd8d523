/* test_acl.c — a caller's access to a file by its permission bits and POSIX access ACL: malformed values refused, and every decision the kernel's own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/acl.h"
#include "runtime/inputs.h"
#include "support/posix_acl.h"
#include "support/support.h"

/* A file of uid 1000, group 1000, mode 0640 (its mask r--), asked about by bob (1001). */
static const struct stat file = {.st_uid = 1000, .st_gid = 1000, .st_mode = S_IFREG | 0640};
static const baton__acl_caller bob = {.uid = 1001, .gid = 2001};

static bool value_lets(const unsigned char *v, size_t len, const baton__acl_caller *who) {
  return baton__acl_value_lets(v, len, &file, who, BATON__ACL_READ);
}

static bool entries_let(const bt_acl_entry *e, size_t n, const baton__acl_caller *who) {
  unsigned char v[4 + 8 * BT_ACL_MAX];
  return value_lets(v, bt_acl_value(e, n, v), who);
}

#define LETS(...)                                                                             \
  entries_let((const bt_acl_entry[]){__VA_ARGS__},                                           \
              sizeof((const bt_acl_entry[]){__VA_ARGS__}) / sizeof(bt_acl_entry), &bob)

/* Every malformed value is refused, each a change to one that lets bob read. */
Test(runtime_acl, a_malformed_value_is_refused) {
  const bt_acl_entry good[] = {UO(RW), U(1001, R), GO(R), M(R), O(0)};
  unsigned char v[4 + 8 * BT_ACL_MAX];
  size_t len = bt_acl_value(good, 5, v);
  cr_assert(value_lets(v, len, &bob), "the well-formed value lets bob read");
  cr_assert_not(value_lets(v, len - 4, &bob), "a partial entry");
  cr_assert_not(value_lets(v, len - 1, &bob), "a partial entry");
  cr_assert_not(value_lets(v, 4, &bob), "no entries");
  cr_assert_not(value_lets(v, 0, &bob), "not even a version");
  v[0] = 1;
  cr_assert_not(value_lets(v, len, &bob), "version 1");
  v[0] = 2, v[3] = 1;
  cr_assert_not(value_lets(v, len, &bob), "version 0x01000002");
  cr_assert_not(LETS(UO(RW), U(1001, R), GO(R), {0x40, R, 0}, O(0)), "an unknown tag");
  cr_assert_not(LETS(UO(RW), U(1001, R | 8), GO(R), M(R), O(0)), "an unknown permission");
  cr_assert_not(LETS(U(1001, R), GO(R), M(R), O(0)), "no owner's entry");
  cr_assert_not(LETS(UO(RW), U(1001, R), M(R), O(0)), "no owning group's entry");
  cr_assert_not(LETS(UO(RW), U(1001, R), GO(R), M(R)), "no others' entry");
  cr_assert_not(LETS(UO(RW), U(1001, R), GO(R), O(0)), "a named user without a mask");
  cr_assert_not(LETS(UO(RW), GO(R), G(2001, R), O(0)), "a named group without a mask");
  cr_assert_not(LETS(U(1001, R), UO(RW), GO(R), M(R), O(0)), "a named user first");
  cr_assert_not(LETS(UO(RW), GO(R), U(1001, R), M(R), O(0)), "a named user after the group");
  cr_assert_not(LETS(UO(RW), U(1001, R), GO(R), O(0), M(R)), "the mask after the others");
  cr_assert_not(LETS(UO(RW), U(1001, R), GO(R), M(R), O(0), O(0)), "two others' entries");
  cr_assert_not(LETS(UO(RW), UO(RW), U(1001, R), GO(R), M(R), O(0)), "two owners' entries");
  cr_assert_not(LETS(UO(RW), U(1001, R), U(~0u, R), GO(R), M(R), O(0)), "a user of id -1");
}

/* BATON__ACL_MAX_ENTRIES entries are read; one more and the value is refused. */
Test(runtime_acl, a_value_of_more_entries_than_the_bound_is_refused) {
  bt_acl_entry e[BT_ACL_MAX];
  size_t n = 0;
  e[n++] = (bt_acl_entry)UO(RW);
  for (unsigned id = 1001; n < BATON__ACL_MAX_ENTRIES - 3; id++)
    e[n++] = (bt_acl_entry)U(id, R);
  e[n++] = (bt_acl_entry)GO(R), e[n++] = (bt_acl_entry)M(R), e[n++] = (bt_acl_entry)O(0);
  cr_assert(entries_let(e, n, &bob));
  memmove(e + 2, e + 1, (n - 1) * sizeof *e);
  e[1] = (bt_acl_entry)U(1000 + BATON__ACL_MAX_ENTRIES, R);
  cr_assert_not(entries_let(e, n + 1, &bob), "%zu entries", n + 1);
}

/* acl(5)'s order: the owner, a named user (masked), the groups (any masked one granting), the
 * others; and the kernel's exception: a mask granting nothing leaves the bits to decide. */
Test(runtime_acl, entries_decide_in_the_order_acl5_gives) {
  cr_assert_not(LETS(UO(RW), U(1001, 0), GO(R), M(R), O(R)), "bob closed, others open");
  cr_assert_not(LETS(UO(RW), U(1001, RW), GO(R), M(0), O(0)), "bob masked");
  cr_assert(LETS(UO(RW), U(1001, RW), GO(0), M(RW), O(0)), "bob named");
  cr_assert(LETS(UO(RW), GO(0), G(7, 0), G(2001, R), M(R), O(0)), "bob's group, the second");
  cr_assert_not(LETS(UO(RW), GO(0), G(2001, 0), M(R), O(R)), "bob's group closed, others open");
  gid_t supplementary[] = {7};
  baton__acl_caller in7 = {.uid = 1001, .gid = 2001, .groups = supplementary, .n_groups = 1};
  const bt_acl_entry g7[] = {UO(RW), GO(0), G(7, R), M(R), O(0)};
  cr_assert(entries_let(g7, 5, &in7), "a supplementary group");
  cr_assert_not(entries_let(g7, 5, &bob));
  baton__acl_caller owner = {.uid = 1000, .gid = 1};
  const bt_acl_entry closed_owner[] = {UO(0), U(1000, R), GO(R), M(R), O(R)};
  cr_assert_not(entries_let(closed_owner, 5, &owner), "the owner is judged by its own entry");
  struct stat no_mask = file;
  no_mask.st_mode = S_IFREG | 0604; /* group class bits ---: the kernel takes the bits */
  unsigned char v[64];
  const bt_acl_entry masked[] = {UO(RW), U(1001, 0), GO(0), M(0), O(R)};
  size_t len = bt_acl_value(masked, 5, v);
  cr_assert(baton__acl_value_lets(v, len, &no_mask, &bob, BATON__ACL_READ), "a mask of ---");
}

/* A file f of mode `mode` in a new temporary folder (*dir; its path in p): an O_PATH descriptor
 * of it, and its fstat in *st. */
static int temp_file(char **dir, char *p, size_t cap, mode_t mode, struct stat *st) {
  *dir = bt_tmpdir();
  snprintf(p, cap, "%s/f", *dir);
  bt_write(p, "x");
  cr_assert_eq(chmod(p, mode), 0);
  int fd = open(p, O_PATH | O_CLOEXEC);
  cr_assert(fd >= 0 && fstat(fd, st) == 0);
  return fd;
}

/* Read from the file the descriptor holds: its ACL when it has one (even one bigger than the
 * bound, refused), its bits when it has none; a descriptor whose ACL cannot be read: refused. */
Test(runtime_acl, the_acl_is_read_from_the_descriptor_and_refused_when_it_cannot_be) {
  char *dir, p[700];
  struct stat st;
  int fd = temp_file(&dir, p, sizeof p, 0644, &st);
  baton__acl_caller who = {.uid = st.st_uid + 1, .gid = st.st_gid + 1};
  cr_assert(baton__acl_caller_may(fd, &st, &who, BATON__ACL_READ, NULL), "no ACL: the bits");
  const char *why = NULL;
  cr_assert_not(baton__acl_caller_may(fd, &st, &who, BATON__ACL_EXECUTE, &why));
  cr_assert_null(why, "refused by the bits, for no other reason");
  cr_assert_not(baton__acl_caller_may(-1, &st, &who, BATON__ACL_READ, NULL), "no such descriptor");
  const bt_acl_entry shut[] = {UO(RW), U(who.uid, 0), GO(R), M(R), O(R)};
  bt_acl_set(p, shut, 5);
  cr_assert_eq(fstat(fd, &st), 0);
  cr_assert_not(baton__acl_caller_may(fd, &st, &who, BATON__ACL_READ, NULL), "the ACL closes it");
  bt_acl_entry big[BT_ACL_MAX];
  size_t n = 0;
  big[n++] = (bt_acl_entry)UO(RW);
  for (unsigned id = 1; n < BATON__ACL_MAX_ENTRIES - 2; id++)
    big[n++] = (bt_acl_entry)U(who.uid + id, R);
  big[n++] = (bt_acl_entry)GO(R), big[n++] = (bt_acl_entry)M(R), big[n++] = (bt_acl_entry)O(R);
  bt_acl_set(p, big, n); /* one entry more than read: others may read, but it is refused */
  cr_assert_eq(fstat(fd, &st), 0);
  cr_assert_not(baton__acl_caller_may(fd, &st, &who, BATON__ACL_READ, NULL), "%zu entries", n);
  close(fd);
  bt_rmtree(dir);
  free(dir);
}

/* On an SMB/CIFS share the bits shown are the mount's options, not the share's rule: another
 * user's access is refused, with the reason; the daemon's own user and root are judged as on
 * any other file system. */
Test(runtime_acl, another_users_access_on_an_smb_share_is_refused_with_the_reason) {
  uid_t self = 1000;
  const unsigned long smb[] = {CIFS_SUPER_MAGIC, SMB2_SUPER_MAGIC,
                               (unsigned long)(long)(int32_t)CIFS_SUPER_MAGIC}; /* a 32-bit long */
  for (size_t i = 0; i < sizeof smb / sizeof *smb; i++) {
    cr_assert_str_eq(baton__acl_fs_refusal(smb[i], 1001, self), BATON__ACL_SMB_REFUSAL);
    cr_assert_null(baton__acl_fs_refusal(smb[i], self, self), "the daemon's own user");
    cr_assert_null(baton__acl_fs_refusal(smb[i], 0, self), "root");
  }
  const unsigned long judged[] = {NFS_SUPER_MAGIC, EXT4_SUPER_MAGIC, TMPFS_MAGIC,
                                  BTRFS_SUPER_MAGIC, XFS_SUPER_MAGIC, 0};
  for (size_t i = 0; i < sizeof judged / sizeof *judged; i++)
    cr_assert_null(baton__acl_fs_refusal(judged[i], 1001, self), "magic %#lx", judged[i]);
  cr_assert(strstr(BATON__ACL_SMB_REFUSAL, "another user's access") &&
            strstr(BATON__ACL_SMB_REFUSAL, "SMB/CIFS share"));
}

/* The NFSv4 ACL the client shows is read on NFS alone: elsewhere "system.nfs4_acl" is what a
 * FUSE server answers, or what an overlay passes on while the kernel decides by the bits. */
Test(runtime_acl, the_nfs4_acl_is_read_on_nfs_alone) {
  cr_assert(baton__acl_fs_nfs(NFS_SUPER_MAGIC));
  const unsigned long not_nfs[] = {FUSE_SUPER_MAGIC, OVERLAYFS_SUPER_MAGIC, CIFS_SUPER_MAGIC,
                                   SMB2_SUPER_MAGIC, EXT4_SUPER_MAGIC, TMPFS_MAGIC,
                                   BTRFS_SUPER_MAGIC, XFS_SUPER_MAGIC, 0};
  for (size_t i = 0; i < sizeof not_nfs / sizeof *not_nfs; i++)
    cr_assert_not(baton__acl_fs_nfs(not_nfs[i]), "magic %#lx", not_nfs[i]);
}

/* Root reads and searches what its bits and ACL close, as the kernel lets it; no one else. */
Test(runtime_acl, root_may_as_the_kernel_lets_it) {
  char *dir, p[700];
  struct stat st;
  int fd = temp_file(&dir, p, sizeof p, 0, &st);
  baton__acl_caller root = {.uid = 0, .gid = 0}, other = {.uid = 4242, .gid = 4242};
  if (st.st_uid == 0) { /* (as root: a file of another user's, so that root is no owner) */
    cr_assert_eq(chown(p, 4241, 4241), 0);
    cr_assert_eq(fstat(fd, &st), 0);
  }
  cr_assert(baton__acl_caller_may(fd, &st, &root, BATON__ACL_READ | BATON__ACL_EXECUTE, NULL));
  cr_assert_not(baton__acl_caller_may(fd, &st, &other, BATON__ACL_READ, NULL));
  close(fd);
  bt_rmtree(dir);
  free(dir);
}

/* The differential test: files and folders of uid 5000, group 5000, each with one of these
 * ACLs, and made-up callers, asked of the kernel (a child process with the caller's identity)
 * and of baton. bob is 5001; groups 7000 and 7001 are named. */
#define BOB 5001
static const struct acl_case {
  const char *what;
  bt_acl_entry e[7];
  size_t n;
} cases[] = {
    {"bob closed, others open", {UO(RWX), U(BOB, 0), GO(RX), M(RX), O(RX)}, 5},
    {"bob open, no one else", {UO(RWX), U(BOB, RX), GO(0), M(RX), O(0)}, 5},
    {"group 7000 open", {UO(RWX), GO(0), G(7000, RX), M(RX), O(0)}, 5},
    {"the mask leaves search", {UO(RWX), U(BOB, RWX), GO(RX), G(7000, RX), M(X), O(0)}, 6},
    {"the owning group closed, others open", {UO(RWX), GO(0), G(7000, RX), M(RX), O(RX)}, 5},
    {"bob may list, not search", {UO(RWX), U(BOB, R), GO(RX), M(RX), O(RX)}, 5},
    {"7000 reads, 7001 searches", {UO(RWX), GO(0), G(7000, R), G(7001, X), M(RX), O(0)}, 6},
    {"a mask of nothing", {UO(RWX), U(BOB, RX), GO(RX), M(0), O(RX)}, 5},
    {"no named entry", {UO(RWX), GO(R), O(0)}, 3},
    {"the owner closed, named", {UO(0), U(5000, RWX), GO(RX), M(RWX), O(RX)}, 5},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const struct who_case {
  const char *who;
  baton__acl_caller c;
} callers[] = {
    {"the owner", {5000, 5000, NULL, 0}},
    {"bob", {BOB, 6001, NULL, 0}},
    {"bob in 5000 and 7000", {BOB, 5000, (const gid_t[]){7000}, 1}},
    {"carol of group 5000", {5002, 5000, NULL, 0}},
    {"dave, 7000 besides", {5003, 6003, (const gid_t[]){7000}, 1}},
    {"erin of 7000, 7001 besides", {5004, 7000, (const gid_t[]){7001}, 1}},
    {"frank, 5000 and 7001 besides", {5005, 6005, (const gid_t[]){5000, 7001}, 2}},
    {"someone else", {5006, 6006, NULL, 0}},
};

/* What is asked of each case: read its file, search its folder, list its folder. */
enum { READ_FILE, SEARCH, LIST, ASKS };
static const char *const asks[] = {"read the file", "search the folder", "list the folder"};

/* Makes f<i> (a file) and d<i> (a folder holding the file x) of every case beneath dir. */
static void make_cases(const char *dir) {
  char p[700];
  for (size_t i = 0; i < N_CASES; i++) {
    snprintf(p, sizeof p, "%s/f%zu", dir, i);
    bt_write(p, "x");
    cr_assert_eq(chown(p, 5000, 5000), 0);
    bt_acl_set(p, cases[i].e, cases[i].n);
    snprintf(p, sizeof p, "%s/d%zu", dir, i);
    cr_assert_eq(mkdir(p, 0755), 0);
    cr_assert_eq(chown(p, 5000, 5000), 0);
    bt_acl_set(p, cases[i].e, cases[i].n);
    snprintf(p, sizeof p, "%s/d%zu/x", dir, i);
    bt_write(p, "x");
  }
}

/* 1 when the open worked, 0 when it was refused, 2 for any other failure. */
static unsigned char opened(int fd) {
  if (fd >= 0)
    close(fd);
  return fd >= 0 ? 1 : errno == EACCES ? 0 : 2;
}

/* The kernel's answers for caller c, case by case, from a child process with its identity. */
static void kernel_answers(int dirfd, const baton__acl_caller *c, unsigned char a[][ASKS]) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (setgroups(c->n_groups, c->groups) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0)
      _exit(10);
    char p[64];
    for (size_t i = 0; i < N_CASES; i++) {
      snprintf(p, sizeof p, "f%zu", i);
      a[i][READ_FILE] = opened(openat(dirfd, p, O_RDONLY | O_CLOEXEC));
      snprintf(p, sizeof p, "d%zu/x", i);
      a[i][SEARCH] = opened(openat(dirfd, p, O_PATH | O_CLOEXEC));
      snprintf(p, sizeof p, "d%zu", i);
      a[i][LIST] = opened(openat(dirfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    _exit(write(fds[1], a, N_CASES * ASKS) == (ssize_t)(N_CASES * ASKS) ? 0 : 11);
  }
  close(fds[1]);
  ssize_t got = read(fds[0], a, N_CASES * ASKS);
  close(fds[0]);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exited %d",
            WEXITSTATUS(status));
  cr_assert_eq(got, (ssize_t)(N_CASES * ASKS));
}

/* Baton's answers for caller c to case i: what its ACL module decides on each descriptor, and
 * what baton__input_caller_may_reach (which searches dirfd first, open to all) decides. */
static void baton_answers(int dirfd, const baton__acl_caller *c, size_t i,
                          unsigned char a[ASKS], bool reach[2]) {
  char p[64];
  struct stat st;
  snprintf(p, sizeof p, "f%zu", i);
  int fd = openat(dirfd, p, O_PATH | O_CLOEXEC);
  cr_assert(fd >= 0 && fstat(fd, &st) == 0);
  a[READ_FILE] = baton__acl_caller_may(fd, &st, c, BATON__ACL_READ, NULL);
  close(fd);
  snprintf(p, sizeof p, "d%zu", i);
  fd = openat(dirfd, p, O_PATH | O_CLOEXEC);
  cr_assert(fd >= 0 && fstat(fd, &st) == 0);
  a[SEARCH] = baton__acl_caller_may(fd, &st, c, BATON__ACL_EXECUTE, NULL);
  a[LIST] = baton__acl_caller_may(fd, &st, c, BATON__ACL_READ, NULL);
  close(fd);
  baton__input_scope s = {.as_caller = true, .uid = c->uid, .gid = c->gid,
                          .groups = c->groups, .n_groups = c->n_groups};
  reach[0] = baton__input_caller_may_reach(&s, dirfd, p, &st, NULL);
  snprintf(p, sizeof p, "d%zu/x", i);
  reach[1] = baton__input_caller_may_reach(&s, dirfd, p, &st, NULL);
}

Test(runtime_acl, every_decision_is_the_kernels) {
  if (geteuid() != 0)
    cr_skip_test("needs root, to ask the kernel as other users");
  char *dir = bt_tmpdir();
  cr_assert_eq(chmod(dir, 0755), 0);
  make_cases(dir);
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq(dirfd, 0);
  unsigned yes = 0, no = 0;
  for (size_t w = 0; w < sizeof callers / sizeof callers[0]; w++) {
    unsigned char kernel[N_CASES][ASKS], ours[ASKS];
    bool reach[2];
    kernel_answers(dirfd, &callers[w].c, kernel);
    for (size_t i = 0; i < N_CASES; i++) {
      baton_answers(dirfd, &callers[w].c, i, ours, reach);
      for (int k = 0; k < ASKS; k++) {
        cr_expect_eq(ours[k], kernel[i][k], "%s, %s: %s: the kernel %d, baton %d",
                     cases[i].what, callers[w].who, asks[k], kernel[i][k], ours[k]);
        kernel[i][k] ? yes++ : no++;
      }
      cr_expect_eq(reach[0], kernel[i][SEARCH] && kernel[i][LIST], "%s, %s: reach the folder",
                   cases[i].what, callers[w].who);
      cr_expect_eq(reach[1], kernel[i][SEARCH], "%s, %s: reach x in the folder",
                   cases[i].what, callers[w].who);
    }
  }
  cr_assert(yes > 20 && no > 20, "the kernel let %u and refused %u", yes, no);
  close(dirfd);
  bt_rmtree(dir);
  free(dir);
}
