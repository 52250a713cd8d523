/* daemon.c — starting batond for a test, a raw JSON-RPC line client, and running code as another uid. */
#include "support/daemon.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

int bt_dial(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(path);
  if (n >= sizeof sa.sun_path)
    return -1;
  memcpy(sa.sun_path, path, n + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
    return fd;
  if (fd >= 0)
    close(fd);
  return -1;
}

pid_t bt_daemon_spawn(const char *errfile, long max_files) {
  char bin[600];
  const char *b = getenv("BATON_BIN_DIR");
  snprintf(bin, sizeof bin, "%s/batond", b && *b ? b : BATON_TEST_BINARY_DIR);
  pid_t test = getpid(), pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    bt_die_with_parent(test);
    int fd = open(errfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0)
      dup2(fd, 2);
    if (max_files > 0) {
      struct rlimit rl = {(rlim_t)max_files, (rlim_t)max_files};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    execl(bin, "batond", "--foreground", (char *)NULL);
    _exit(127);
  }
  return pid;
}

void bt_daemon_wait_ready(const bt_daemon *d, pid_t pid) {
  for (long end = bt_now_ms() + BT_WAIT_MS; bt_now_ms() < end; bt_nap_ms(10)) {
    int fd = bt_dial(d->sock);
    if (fd >= 0) {
      close(fd);
      return;
    }
    int st;
    cr_assert(waitpid(pid, &st, WNOHANG) == 0, "batond exited early (see %s)", d->err);
  }
  cr_assert_fail("batond did not start serving %s (see %s)", d->sock, d->err);
}

void bt_daemon_start_limited(bt_daemon *d, const char *config, long max_files) {
  d->dir = bt_tmpdir();
  char p[600];
  snprintf(p, sizeof p, "%s/home", d->dir);
  setenv("BATON_HOME", p, 1);
  snprintf(d->sock, sizeof d->sock, "%s/run/b.sock", d->dir);
  setenv("BATON_SOCKET", d->sock, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  snprintf(p, sizeof p, "%s/config.yaml", d->dir);
  bt_write(p, config ? config : "workers: 2\n");
  setenv("BATON_CONFIG", p, 1);
  snprintf(d->err, sizeof d->err, "%s/batond.err", d->dir);
  d->pid = bt_daemon_spawn(d->err, max_files);
  bt_daemon_wait_ready(d, d->pid);
}

void bt_daemon_start(bt_daemon *d, const char *config) { bt_daemon_start_limited(d, config, 0); }

int bt_wait_exit(pid_t pid, long timeout_ms) {
  int st = 0;
  for (long end = bt_now_ms() + timeout_ms; waitpid(pid, &st, WNOHANG) == 0; bt_nap_ms(10)) {
    if (bt_now_ms() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int bt_daemon_stop(bt_daemon *d) {
  int rc = 0;
  if (d->pid > 0) {
    kill(d->pid, SIGTERM);
    rc = bt_wait_exit(d->pid, BT_WAIT_MS);
  }
  d->pid = 0;
  if (d->dir && rc == 0 && !getenv("BATON_TEST_KEEP"))
    bt_rmtree(d->dir);
  free(d->dir);
  d->dir = NULL;
  return rc;
}

bool bt_daemon_wait_log(const bt_daemon *d, const char *needle, int count) {
  return bt_wait_for_text(d->err, needle, count, BT_WAIT_MS);
}

void bt_send(int fd, const char *text, size_t len) {
  while (len) {
    ssize_t w = send(fd, text, len, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    text += w;
    len -= (size_t)w;
  }
}

char *bt_read_line(int fd, int timeout_ms) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  long end = bt_now_ms() + timeout_ms;
  while (buf) {
    long left = end - bt_now_ms();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    char c;
    if (recv(fd, &c, 1, 0) != 1)
      break;
    if (c == '\n') {
      buf[len] = '\0';
      return buf;
    }
    if (len + 2 >= cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb)
        break;
      buf = nb;
    }
    buf[len++] = c;
  }
  free(buf);
  return NULL;
}

char *bt_call(int fd, int id, const char *method, const char *params_json) {
  size_t n = strlen(method) + (params_json ? strlen(params_json) : 0) + 128;
  char *line = malloc(n);
  snprintf(line, n, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"%s%s}\n", id, method,
           params_json ? ",\"params\":" : "", params_json ? params_json : "");
  bt_send(fd, line, strlen(line));
  free(line);
  char want[32];
  snprintf(want, sizeof want, "\"id\":%d,", id);
  for (;;) {
    char *r = bt_read_line(fd, BT_WAIT_MS);
    if (!r || strstr(r, want))
      return r;
    free(r);
  }
}

char *bt_nested_request(const char *method, size_t depth) {
  size_t n = strlen(method) + 2 * depth + 128;
  char *line = malloc(n);
  cr_assert(line);
  int k = snprintf(line, n, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"a\":",
                   method);
  memset(line + k, '[', depth);
  memset(line + k + depth, ']', depth);
  snprintf(line + k + 2 * depth, n - (size_t)k - 2 * depth, "}}");
  return line;
}

char *bt_as_user(uid_t uid, gid_t gid, void (*fn)(void *arg, char *out, size_t cap), void *arg) {
  return bt_as_user_in(uid, gid, NULL, 0, fn, arg);
}

char *bt_as_user_in(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
                    void (*fn)(void *arg, char *out, size_t cap), void *arg) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    if (setgroups(n_groups, groups) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0)
      _exit(3);
    static char out[1 << 16];
    out[0] = '\0';
    fn(arg, out, sizeof out);
    size_t n = strlen(out);
    ssize_t w = write(fds[1], out, n);
    (void)w;
    _exit(0);
  }
  close(fds[1]);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap + 1);
  ssize_t r;
  while (buf && len < cap && (r = read(fds[0], buf + len, cap - len)) > 0)
    len += (size_t)r;
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  if (!buf || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(buf);
    return NULL;
  }
  buf[len] = '\0';
  return buf;
}
