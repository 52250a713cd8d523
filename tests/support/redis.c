/* redis.c — a real redis-server for the queue tests: started on a unix socket in a temp folder, stopped by the test. */
#include "support/redis.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h" /* BT_WAIT_MS, bt_die_with_parent */

char *bt_redis_cmd(const bt_redis *r, const char *line) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(r->sock) >= sizeof sa.sun_path) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  memcpy(sa.sun_path, r->sock, strlen(r->sock) + 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  snprintf(buf, sizeof buf, "%s\r\n", line);
  ssize_t n = write(fd, buf, strlen(buf));
  n = n > 0 ? read(fd, buf, sizeof buf - 1) : -1;
  close(fd);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  buf[strcspn(buf, "\r\n")] = '\0';
  return strdup(buf);
}

static bool answers(const bt_redis *r) {
  char *a = bt_redis_cmd(r, "PING");
  bool ok = a && strcmp(a, "+PONG") == 0;
  free(a);
  return ok;
}

bool bt_redis_start(bt_redis *r, const char *dir) {
  if (access("/usr/bin/redis-server", X_OK) != 0)
    return false;
  snprintf(r->dir, sizeof r->dir, "%s", dir);
  snprintf(r->sock, sizeof r->sock, "%s/redis.sock", dir);
  snprintf(r->url, sizeof r->url, "unix://%s", r->sock);
  char log[300];
  snprintf(log, sizeof log, "%s/redis.log", dir);
  pid_t test = getpid();
  r->pid = fork();
  if (r->pid == 0) {
    bt_die_with_parent(test); /* also when the test is killed before it stops the server */
    execl("/usr/bin/redis-server", "redis-server", "--port", "0", "--unixsocket", r->sock,
          "--unixsocketperm", "777", "--dir", dir, "--appendonly", "yes", "--save", "",
          "--logfile", log, (char *)NULL);
    _exit(127);
  }
  if (r->pid < 0)
    return false;
  struct timespec now, nap = {0, 10 * 1000000L};
  clock_gettime(CLOCK_MONOTONIC, &now);
  for (time_t end = now.tv_sec + BT_WAIT_MS / 1000; now.tv_sec < end;
       clock_gettime(CLOCK_MONOTONIC, &now)) {
    if (answers(r))
      return true;
    int st;
    if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
      r->pid = -1;
      return false;
    }
    nanosleep(&nap, NULL);
  }
  return false;
}

void bt_redis_stop(bt_redis *r) {
  if (r->pid <= 0)
    return;
  kill(r->pid, SIGTERM);
  while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  r->pid = -1;
}
