/* daemon.h — a batond on a temporary socket for tests, and a raw line client that can act as another uid. */
#ifndef BATON_TESTS_DAEMON_H
#define BATON_TESTS_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

typedef struct bt_daemon {
  char *dir;         /* temporary folder: home/, run/b.sock, config.yaml, batond.err */
  char sock[300];
  pid_t pid;
} bt_daemon;

/* Starts batond (debug executors on) with config text (NULL: workers: 2)
 * and waits until it serves its socket. */
void bt_daemon_start(bt_daemon *d, const char *config);
/* Stops it with SIGTERM; returns its exit status (-1 when it had to be
 * killed) and removes its folder. */
int bt_daemon_stop(bt_daemon *d);

/* Connects to a socket; the descriptor, or -1. */
int bt_dial(const char *sock);
/* Sends text as is (a whole request line, or bytes that are not one). */
void bt_send(int fd, const char *text, size_t len);
/* The next line the daemon sends (malloc'd, without the newline), or NULL
 * after timeout_ms or at end of stream. */
char *bt_read_line(int fd, int timeout_ms);
/* Sends a request line and returns the reply with that "id" (number),
 * skipping notifications: malloc'd text, or NULL. */
char *bt_call(int fd, int id, const char *method, const char *params_json);

/* Runs fn(arg, out, cap) in a child whose real, effective and saved uid and
 * gid are uid/gid; returns what it wrote to out (malloc'd) or NULL when it
 * failed. */
char *bt_as_user(uid_t uid, gid_t gid, void (*fn)(void *arg, char *out, size_t cap), void *arg);

#endif
