/* test_input_list_error.c — a folder the file system cannot read while it is listed: the listing fails, saying why. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/inputs.h"
#include "support/support.h"

static char *dir, mnt[600];
static bool mounted;

/* An ext4 file system (with checksums) holding bad/ and bad/a.wav, mounted read-only at mnt with
 * a byte of bad/'s entries changed on the disk: the folder opens, and reading it fails its
 * checksum. False (why in why) where this cannot be made: not root, no loop device, no tools. */
static bool mount_broken_folder(char *why, size_t cap) {
  dir = bt_tmpdir();
  snprintf(mnt, sizeof mnt, "%s/mnt", dir);
  cr_assert_eq(mkdir(mnt, 0700), 0);
  if (geteuid() != 0) {
    snprintf(why, cap, "needs root, to mount a file system image");
    return false;
  }
  char cmd[2400], *blocks = NULL;
  snprintf(cmd, sizeof cmd,
           "cd '%s' && dd if=/dev/zero of=fs.img bs=1k count=1024 2>/dev/null && "
           "mkfs.ext4 -q -F -b 1024 -O metadata_csum,^has_journal fs.img >/dev/null 2>&1 && "
           "debugfs -w -R 'mkdir bad' fs.img >/dev/null 2>&1 && "
           "debugfs -w -R 'write /dev/null bad/a.wav' fs.img >/dev/null 2>&1 && "
           "debugfs -R 'blocks bad' fs.img 2>/dev/null",
           dir);
  long block = bt_run(cmd, &blocks) == 0 && blocks ? strtol(blocks, NULL, 10) : 0;
  free(blocks);
  if (block <= 0) {
    snprintf(why, cap, "mkfs.ext4 and debugfs could not make the image");
    return false;
  }
  /* the name "." of the folder's first entry, 8 bytes into its block, turned into "X" */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && printf X | dd of=fs.img bs=1 seek=%ld conv=notrunc 2>/dev/null && "
           "mount -o loop,ro fs.img mnt 2>/dev/null",
           dir, block * 1024 + 8);
  mounted = bt_run(cmd, NULL) == 0;
  if (!mounted)
    snprintf(why, cap, "the image could not be mounted (no loop device here?)");
  return mounted;
}

static void teardown(void) {
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "umount '%s' 2>/dev/null || umount -l '%s'", mnt, mnt);
  if (mounted)
    bt_run(cmd, NULL);
  bt_rmtree(dir);
  free(dir);
}

/* errno of reading the folder at path by readdir, as the kernel gives it (0: read through; -1:
 * it does not open). */
static int readdir_errno(const char *path) {
  DIR *d = opendir(path);
  if (!d)
    return -1;
  int e = 0;
  for (errno = 0; readdir(d); errno = 0)
    ;
  e = errno;
  closedir(d);
  return e;
}

/* In a child, so that a crash in the listing still leaves the parent to unmount the image: 0 when
 * baton__input_list fails saying the kernel's error; else what went wrong (see the test). */
static int list_broken_folder(void) {
  char bad[700];
  snprintf(bad, sizeof bad, "%s/bad", mnt);
  int e = readdir_errno(bad);
  if (e <= 0)
    return e < 0 ? 1 : 2;
  const char *roots[] = {mnt};
  baton__input_scope s = {.roots = roots, .n_roots = 1, .max_bytes = 1 << 20};
  char err[600] = "", *names[4];
  long n = baton__input_list(&s, "bad", "*.wav", 0, names, 4, err, sizeof err);
  return n != -1 ? 3 : strcmp(err, strerror(e)) != 0 ? 4 : 0;
}

Test(runtime_input_list_error, a_folder_that_cannot_be_read_fails_its_listing_saying_why,
     .fini = teardown, .timeout = 60) {
  char why[200];
  if (!mount_broken_folder(why, sizeof why))
    cr_skip_test("%s", why);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    _exit(list_broken_folder());
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "the listing crashed (signal %d)", WTERMSIG(status));
  cr_assert_eq(WEXITSTATUS(status), 0,
               "exit %d (1: the broken folder did not open; 2: the kernel read it through: no "
               "error to list; 3: the listing did not fail; 4: its error was not the kernel's)",
               WEXITSTATUS(status));
}
