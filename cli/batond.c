/* batond.c — the baton daemon: serves libbaton over a Unix socket (JSON-RPC 2.0), thin over baton_server_*. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "core/banned.h"

static const char usage_text[] =
    "usage: batond [--socket PATH] [--config FILE] [--foreground] [-v]\n"
    "\n"
    "Serves libbaton to `baton` and other clients over a Unix socket: JSON-RPC 2.0,\n"
    "one object per line (methods submit, plan, run.get, run.cancel, runs.list,\n"
    "models.search, models.list, executors.list, health).\n"
    "\n"
    "  --socket PATH   the socket (default $BATON_SOCKET, the config's 'socket',\n"
    "                  $XDG_RUNTIME_DIR/baton.sock, else /tmp/baton-$UID/baton.sock)\n"
    "  --config FILE   YAML config (default $BATON_CONFIG, then\n"
    "                  $XDG_CONFIG_HOME/baton/config.yaml)\n"
    "  --foreground    stay in the foreground (default: detach once serving)\n"
    "  -v, --verbose   log debug messages too\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop accepting, give runs in flight daemon.grace_ms\n"
    "(default 30000) to finish, cancel the rest (resumable with `baton runs\n"
    "resume`) and exit 0. SIGHUP re-reads the config.\n"
    "Systemd socket activation (LISTEN_FDS) and Type=notify are supported.\n";

/* The daemon's one server (program state, set before signals are enabled). */
static baton_server *volatile the_server;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_log(void *ud, baton_log_level level, const char *msg) {
  (void)ud;
  static const char *const names[] = {"error", "warning", "info", "debug"};
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  pthread_mutex_lock(&log_lock);
  fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ batond[%ld] %s: %s\n", tm.tm_year + 1900,
          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)getpid(),
          names[level <= BATON_LOG_DEBUG ? level : BATON_LOG_DEBUG], msg);
  pthread_mutex_unlock(&log_lock);
}

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGHUP)
    baton_server_reload(the_server);
  else
    baton_server_stop(the_server, -1);
  errno = saved;
}

/* Tells systemd (Type=notify) that the daemon serves. */
static void notify_ready(void) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@'))
    return;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(path);
  if (n >= sizeof sa.sun_path)
    return;
  memcpy(sa.sun_path, path, n);
  if (sa.sun_path[0] == '@')
    sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  static const char msg[] = "READY=1";
  sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&sa,
         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
  close(fd);
}

/* The socket systemd passed (socket activation), or 0. */
static int activated_fd(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
    return 0;
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return 3;
}

/* Reads the command line into so and *foreground. Returns -1 to go on, or
 * the exit status (after --help, --version or a wrong argument). */
static int parse_args(int argc, char **argv, baton_server_options *so, int *foreground) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(a, "--version")) {
      printf("batond %s\n", baton_version());
      return 0;
    } else if (!strcmp(a, "--foreground") || !strcmp(a, "-f")) {
      *foreground = 1;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      so->log_level = BATON_LOG_DEBUG;
    } else if ((!strcmp(a, "--socket") || !strcmp(a, "--config")) && i + 1 < argc) {
      if (!strcmp(a, "--socket"))
        so->socket_path = argv[++i];
      else
        so->config_path = argv[++i];
    } else {
      fprintf(stderr, "batond: %s '%s'\n(see batond --help)\n",
              a[0] == '-' && (!strcmp(a, "--socket") || !strcmp(a, "--config"))
                  ? "missing value for" : "unexpected argument",
              a);
      return 2;
    }
  }
  return -1;
}

/* Detaches before any thread exists; the parent waits until the child
 * serves (it writes a 0 to ready[1]), so `batond && baton ...` works.
 * Returns -1 in the child, or the parent's exit status. */
static int detach(int ready[2]) {
  if (pipe(ready) != 0) {
    perror("batond: pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("batond: fork");
    return 1;
  }
  if (pid > 0) {
    close(ready[1]);
    char c = 1;
    ssize_t r = read(ready[0], &c, 1);
    return r == 1 && c == 0 ? 0 : 1;
  }
  close(ready[0]);
  setsid();
  return -1;
}

/* Sends SIGTERM, SIGINT and SIGHUP to on_signal(). */
static void handle_signals(void) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* Tells whoever waits that the daemon serves: systemd, and the parent of
 * a detached daemon through ready_fd (-1 for none). */
static void tell_ready(int ready_fd) {
  notify_ready();
  if (ready_fd >= 0) {
    char ok = 0;
    ssize_t w = write(ready_fd, &ok, 1);
    (void)w;
    close(ready_fd);
  }
}

int main(int argc, char **argv) {
  baton_server_options so = {BATON_SERVER_OPTIONS_INIT, .log_fn = on_log,
                             .log_level = BATON_LOG_INFO};
  int foreground = 0;
  int status = parse_args(argc, argv, &so, &foreground);
  if (status >= 0)
    return status;
  so.listen_fd = activated_fd();
  if (so.listen_fd)
    foreground = 1;
  int ready[2] = {-1, -1};
  if (!foreground && (status = detach(ready)) >= 0)
    return status;

  signal(SIGPIPE, SIG_IGN);
  /* Signals wait until the handlers can reach the server; the server's
   * threads (and the run threads they start) inherit the mask, so only this
   * thread ever takes them. */
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, &old);
  baton_server *srv = NULL;
  baton_rc rc = baton_server_new(&so, &srv);
  if (rc != BATON_OK) {
    fprintf(stderr, "batond: %s\n",
            baton_server_errmsg(srv)[0] ? baton_server_errmsg(srv) : baton_strerror(rc));
    baton_server_free(srv);
    return 1;
  }
  the_server = srv;
  handle_signals();
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  tell_ready(ready[1]);
  rc = baton_server_run(srv);
  if (rc != BATON_OK)
    fprintf(stderr, "batond: %s\n", baton_server_errmsg(srv));
  /* A second SIGTERM while finishing changes nothing. */
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  the_server = NULL;
  baton_server_free(srv);
  return rc == BATON_OK ? 0 : 1;
}
