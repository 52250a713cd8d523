/* served.c — a batond run as root that also serves another user (nobody), and that user's own working folder beside it. */
#include "support/served.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"

bool bt_served_start(bt_served *s) {
  s->base = NULL;
  if (geteuid() != 0)
    return false;
  s->base = bt_tmpdir();
  cr_assert_eq(chdir(s->base), 0);
  bt_daemon_start(&s->d, "workers: 2\ndaemon:\n  allow_uids: \"65534\"\n");
  /* The test's folders must let nobody pass to the socket; the daemon itself opens its socket
   * folder and socket. */
  chmod(s->d.dir, 0711);
  chmod(s->base, 0711);
  char p[700];
  snprintf(p, sizeof p, "%s/mine", s->base);
  cr_assert_eq(mkdir(p, 0755), 0);
  cr_assert_eq(chown(p, BT_NOBODY, BT_NOBODY), 0);
  return true;
}

void bt_served_stop(bt_served *s) {
  if (!s->base)
    return;
  cr_assert_eq(chdir("/"), 0);
  cr_expect_eq(bt_daemon_stop(&s->d), 0, "batond exited cleanly");
  bt_rmtree(s->base);
  free(s->base);
  s->base = NULL;
}

int bt_served_enter(const bt_served *s) {
  char dir[700], home[720];
  snprintf(dir, sizeof dir, "%s/mine", s->base);
  snprintf(home, sizeof home, "%s/.baton", dir);
  if (chdir(dir) != 0)
    return -1;
  setenv("HOME", dir, 1);
  setenv("BATON_HOME", home, 1);
  setenv("BATON_NO_DAEMON", "0", 1);
  setenv("BATON_SOCKET", s->d.sock, 1);
  return 0;
}

void bt_baton_path(char *buf, size_t cap) {
  const char *bin = getenv("BATON_BIN_DIR");
  snprintf(buf, cap, "%s/baton", bin && *bin ? bin : BATON_TEST_BINARY_DIR);
}
