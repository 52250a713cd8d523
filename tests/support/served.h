/* served.h — a batond run as root that also serves another user (nobody), and that user's own working folder beside it. */
#ifndef BATON_TESTS_SERVED_H
#define BATON_TESTS_SERVED_H

#include <stdbool.h>

#include "support/daemon.h"

#define BT_NOBODY 65534

typedef struct bt_served {
  char *base;  /* the test's and the daemon's working folder (0711); nobody works in base/mine */
  bt_daemon d; /* allow_uids: nobody; its folder 0711 so nobody passes to the socket */
} bt_served;

/* Starts it (workers: 2) and makes base/mine, owned by nobody, when the test runs as root; returns
 * false and starts nothing otherwise (the test then skips). The test's cwd becomes base. */
bool bt_served_start(bt_served *s);
/* Stops the daemon (expecting a clean exit) and removes base; nothing when it was not started. */
void bt_served_stop(bt_served *s);
/* In a child already running as nobody: enters base/mine and points HOME and BATON_HOME there and
 * BATON_SOCKET at the daemon (BATON_NO_DAEMON=0), so a `baton` it starts goes through it. 0, or
 * -1 when the folder cannot be entered. */
int bt_served_enter(const bt_served *s);
/* The path of this build's `baton` (BATON_BIN_DIR, else the build folder) into buf. */
void bt_baton_path(char *buf, size_t cap);

#endif
