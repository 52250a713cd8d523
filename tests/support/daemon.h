/* daemon.h — a batond on a temporary socket for tests, and a raw line client that can act as another uid. */
#ifndef BATON_TESTS_DAEMON_H
#define BATON_TESTS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct bt_daemon {
  char *dir;         /* temporary folder: home/, run/b.sock, config.yaml, batond.err */
  char sock[300];
  char err[320];     /* the daemon's stderr: dir/batond.err */
  pid_t pid;
} bt_daemon;

/* Starts batond (debug executors on) with config text (NULL: workers: 2)
 * and waits until it serves its socket. */
void bt_daemon_start(bt_daemon *d, const char *config);
/* The same with the daemon's open-file limit (RLIMIT_NOFILE) set to
 * max_files (0: left as it is). */
void bt_daemon_start_limited(bt_daemon *d, const char *config, long max_files);
/* Starts another batond in the environment the last bt_daemon_start set
 * (same folder and socket), its stderr appended to errfile, with an
 * open-file limit as above; returns its pid (it may still be starting). */
pid_t bt_daemon_spawn(const char *errfile, long max_files);
/* Waits (up to BT_WAIT_MS) until d's socket answers, failing the test when
 * pid exits first or it never does. */
void bt_daemon_wait_ready(const bt_daemon *d, pid_t pid);
/* Waits up to timeout_ms for pid to exit and returns its exit status
 * (128 + signal when a signal ended it), or -1 when it had to be killed. */
int bt_wait_exit(pid_t pid, long timeout_ms);
/* Stops it with SIGTERM; returns its exit status (-1 when it had to be
 * killed) and removes its folder when it exited cleanly (and
 * BATON_TEST_KEEP is not set). */
int bt_daemon_stop(bt_daemon *d);
/* Waits (up to BT_WAIT_MS) until the daemon's stderr holds needle at least
 * count times, e.g. a log line saying a signal was handled. */
bool bt_daemon_wait_log(const bt_daemon *d, const char *needle, int count);

/* Connects to a socket; the descriptor, or -1. */
int bt_dial(const char *sock);
/* Sends text as is (a whole request line, or bytes that are not one). */
void bt_send(int fd, const char *text, size_t len);
/* The next line the daemon sends (malloc'd, without the newline), or NULL
 * after timeout_ms or at end of stream. */
char *bt_read_line(int fd, int timeout_ms);
/* Sends a request line and returns the reply with that "id" (number),
 * skipping notifications: malloc'd text, or NULL when none came within
 * BT_WAIT_MS. */
char *bt_call(int fd, int id, const char *method, const char *params_json);
/* A request line (no newline) calling method with params that nest arrays
 * depth deep: {"a":[[[...]]]}. malloc'd. */
char *bt_nested_request(const char *method, size_t depth);

/* Runs fn(arg, out, cap) in a child whose real, effective and saved uid and
 * gid are uid/gid; returns what it wrote to out (malloc'd) or NULL when it
 * failed. */
char *bt_as_user(uid_t uid, gid_t gid, void (*fn)(void *arg, char *out, size_t cap), void *arg);
/* The same with the supplementary groups groups[0..n_groups) (bt_as_user: none). */
char *bt_as_user_in(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
                    void (*fn)(void *arg, char *out, size_t cap), void *arg);

#endif
