/* daemon_load_bench.c — batond under load: RSS with a client that never reads; CPU and log lines with more clients than descriptors (docs/benchmarks.md, "Load and scale"). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
#include "core/banned.h"

static char sock[512], errlog[512];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A field of /proc/PID/status in kB, or the CPU ticks of /proc/PID/stat. */
static long rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6))
      kb = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

static long count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  long n = 0;
  int ch;
  while (f && (ch = fgetc(f)) != EOF)
    n += ch == '\n';
  if (f)
    fclose(f);
  return n;
}

static int dial(void) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  memcpy(sa.sun_path, sock, strlen(sock) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
    return fd;
  if (fd >= 0)
    close(fd);
  return -1;
}

/* Starts batond with the open-file limit nofile (0: unchanged). */
static pid_t start(const char *batond, const char *home, rlim_t nofile) {
  setenv("BATON_HOME", home, 1);
  setenv("BATON_SOCKET", sock, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_LLM_BASE_URL");
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
      dup2(fd, 2);
    if (nofile) {
      struct rlimit rl = {nofile, nofile};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    execl(batond, "batond", "--foreground", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 1500; i++) {
    int fd = dial();
    if (fd >= 0) {
      close(fd);
      return pid;
    }
    nap_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static void stop(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* One client sends `requests` models.list requests and never reads. */
static void never_reads(const char *batond, const char *home, int requests) {
  pid_t pid = start(batond, home, 0);
  if (pid < 0) {
    fprintf(stderr, "batond did not start\n");
    return;
  }
  long idle = rss_kb(pid);
  int fd = dial();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"models.list\"}\n";
  int sent = 0;
  size_t off = 0;
  double end = now_s() + 20;
  long peak = 0;
  while (sent < requests && now_s() < end) {
    ssize_t w = send(fd, req + off, sizeof req - 1 - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += (size_t)w;
      if (off == sizeof req - 1) {
        off = 0;
        sent++;
      }
      continue;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 1000) == 0)
      break;
  }
  for (int i = 0; i < 20; i++) {
    long kb = rss_kb(pid);
    peak = kb > peak ? kb : peak;
    nap_ms(100);
  }
  printf("never-reading client: %d of %d requests taken, daemon RSS idle %.1f MB, peak %.1f MB\n",
         sent, requests, idle / 1024.0, peak / 1024.0);
  close(fd);
  stop(pid);
}

/* n connections held open against a daemon limited to nofile descriptors. */
static void over_the_limit(const char *batond, const char *home, int n, rlim_t nofile, int secs) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)n + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  pid_t pid = start(batond, home, nofile);
  if (pid < 0) {
    fprintf(stderr, "batond did not start\n");
    return;
  }
  int *fds = calloc((size_t)n, sizeof *fds);
  int open_ok = 0;
  for (int i = 0; i < n; i++)
    open_ok += (fds[i] = dial()) >= 0;
  nap_ms(500);
  long lines0 = count_lines(errlog), t0 = bench_cpu_ticks(pid);
  double s0 = now_s();
  nap_ms(secs * 1000);
  double wall = now_s() - s0;
  long ticks = bench_cpu_ticks(pid) - t0, lines = count_lines(errlog) - lines0;
  double cpu = (double)ticks / (double)sysconf(_SC_CLK_TCK) / wall * 100.0;
  printf("%d connections, %ld descriptors: %d connected, daemon CPU %.1f%% over %.1f s, "
         "%ld log lines (%.2f/s), RSS %.1f MB\n",
         n, (long)nofile, open_ok, cpu, wall, lines, (double)lines / wall, rss_kb(pid) / 1024.0);
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
  stop(pid);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: daemon_load_bench PATH/TO/batond [connections] [seconds]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 1030;
  int secs = argc > 3 ? atoi(argv[3]) : 5;
  char dir[] = "/tmp/baton-load-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  char home[600];
  snprintf(home, sizeof home, "%s/home", dir);
  snprintf(sock, sizeof sock, "%s/run/b.sock", dir);
  snprintf(errlog, sizeof errlog, "%s/batond.err", dir);
  never_reads(argv[1], home, 100000);
  over_the_limit(argv[1], home, n, 1024, secs);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
