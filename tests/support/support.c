/* support.c — helpers shared by the Criterion suites. */
#include "support/support.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "baton.h"
#include "core/util.h"
#include <unistd.h>

char *bt_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base)
    base = "/tmp";
  size_t n = strlen(base) + 32;
  char *p = malloc(n);
  cr_assert_not_null(p);
  snprintf(p, n, "%s/baton-test-XXXXXX", base);
  cr_assert_not_null(mkdtemp(p), "mkdtemp failed: %s", strerror(errno));
  return p;
}

char *bt_offline_home(void) {
  char *home = bt_tmpdir();
  setenv("BATON_HOME", home, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  unsetenv("HF_TOKEN");
  return home;
}

char *bt_cli_home(void) {
  char *home = bt_offline_home(), p[600];
  snprintf(p, sizeof p, "%s/nowhere/b.sock", home);
  setenv("BATON_SOCKET", p, 1);
  unsetenv("BATON_CONFIG");
  return home;
}

void bt_rmtree(const char *path) {
  if (path && *path && strcmp(path, "/") != 0)
    (void)baton__rm_tree(path, false);
}

static char *join2(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  cr_assert_not_null(p);
  snprintf(p, n, "%s/%s", a, b);
  return p;
}

char *bt_shared_data(const char *rel) {
  const char *root = getenv("BATON_SHARED_DATA");
  if (!root || !*root)
    root = BATON_TEST_SHARED_DATA;
  char *p = join2(root, rel);
  struct stat st;
  if (stat(p, &st) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

char *bt_source_path(const char *rel) { return join2(BATON_TEST_SOURCE_DIR, rel); }

char *bt_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      cap *= 2;
      buf = realloc(buf, cap);
      cr_assert_not_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

const unsigned char bt_huge_png[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x75\x30"
    "\x00\x00\x75\x30\x01\x00\x00\x00\x00\x4e\x5c\xc5\x17\x00\x00\x00\x1b\x49\x44\x41"
    "\x54\x78\x9c\xed\xc1\x31\x01\x00\x00\x00\xc2\xa0\xf5\x4f\x6d\x0d\x0f\xa0\x00\x00"
    "\x00\xe0\xc6\x00\x0e\xa7\x00\x01\xb5\x74\x7c\x64\x00\x00\x00\x00\x49\x45\x4e\x44"
    "\xae\x42\x60\x82";
const size_t bt_huge_png_len = sizeof bt_huge_png - 1;

void bt_assert_jpeg_named(const char *path, const char *name) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  cr_assert(slash && strcmp(slash + 1, name) == 0, "wrote %s, not %s", path ? path : "nothing",
            name);
  size_t len = 0;
  char *data = bt_slurp(path, &len);
  cr_assert(len > 3 && memcmp(data, "\xff\xd8\xff", 3) == 0, "%s is no JPEG", path);
  free(data);
}

/* Writes len bytes of data to a new file at path. */
static void write_bytes(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s: %s", path, strerror(errno));
  cr_assert_eq(fwrite(data, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

void bt_write(const char *path, const char *data) {
  write_bytes(path, data, strlen(data));
}

void bt_write_in(const char *dir, const char *name, const char *data) {
  char *path = join2(dir, name);
  bt_write(path, data);
  free(path);
}

void bt_copy(const char *from, const char *to, unsigned mode) {
  size_t len = 0;
  char *data = bt_slurp(from, &len);
  write_bytes(to, data, len);
  free(data);
  cr_assert_eq(chmod(to, (mode_t)mode), 0, "chmod %s: %s", to, strerror(errno));
}

int bt_run(const char *cmd, char **out) {
  FILE *p = popen(cmd, "r");
  if (!p)
    return -1;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      cap *= 2;
      buf = realloc(buf, cap);
      cr_assert_not_null(buf);
    }
  }
  buf[n] = '\0';
  int st = pclose(p);
  if (out)
    *out = buf;
  else
    free(buf);
  if (st == -1)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int bt_baton(const char *dir, const char *args, char **out, char **err) {
  const char *bin = getenv("BATON_BIN_DIR");
  char *tmp = bt_tmpdir(), *cmd = NULL;
  char *err_path = join2(tmp, "stderr");
  size_t n = strlen(args) + strlen(err_path) + (dir ? strlen(dir) : 1) + 1024;
  cmd = malloc(n);
  cr_assert_not_null(cmd);
  snprintf(cmd, n, "cd '%s' && '%s/baton' </dev/null %s 2>'%s'", dir ? dir : ".",
           bin && *bin ? bin : BATON_TEST_BINARY_DIR, args, err_path);
  int st = bt_run(cmd, out);
  if (err)
    *err = bt_slurp(err_path, NULL);
  free(cmd);
  free(err_path);
  bt_rmtree(tmp);
  free(tmp);
  return st;
}

void bt_die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
    _exit(125); /* the test is gone already, or could not be followed */
}

bool bt_render_text_png(const char *text, const char *path) {
  if (access("/usr/bin/convert", X_OK) != 0)
    return false;
  /* Arguments go straight to exec: no shell quoting is involved. */
  char *caption = malloc(strlen(text) + 16);
  cr_assert_not_null(caption);
  snprintf(caption, strlen(text) + 16, "caption:%s", text);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
      dup2(devnull, 2);
    execl("/usr/bin/convert", "convert", "-background", "white", "-fill", "black", "-font",
          "DejaVu-Sans", "-pointsize", "36", "-size", "1400x", caption, "-bordercolor",
          "white", "-border", "30", path, (char *)NULL);
    _exit(127);
  }
  free(caption);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool bt_in_ci(void) {
  const char *ci = getenv("CI");
  return ci && strcmp(ci, "true") == 0;
}

long bt_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void bt_nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int bt_count_in_file(const char *path, const char *needle) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  fclose(f);
  char *s = bt_slurp(path, NULL);
  int n = 0;
  for (char *p = s; (p = strstr(p, needle)); p++)
    n++;
  free(s);
  return n;
}

bool bt_wait_for_text(const char *path, const char *needle, int count, long timeout_ms) {
  for (long end = bt_now_ms() + timeout_ms; bt_count_in_file(path, needle) < count; bt_nap_ms(10))
    if (bt_now_ms() > end)
      return false;
  return true;
}

void bt_wait_child_ready(int fd, const char *what) {
  struct pollfd pr = {.fd = fd, .events = POLLIN};
  cr_assert_eq(poll(&pr, 1, BT_WAIT_MS), 1, "%s", what);
  char said[512] = "";
  ssize_t n = read(fd, said, sizeof said - 1);
  close(fd);
  said[n > 0 ? n : 0] = '\0';
  cr_assert_str_eq(said, "S", "%s", said);
}

void bt_the_run_interrupted(baton *ctx, char id[64]) {
  char *list = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &list), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *runs = cJSON_Parse(list);
  baton_free(list);
  cr_assert_eq(cJSON_GetArraySize(runs), 1);
  const cJSON *r0 = cJSON_GetArrayItem(runs, 0);
  const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r0, "status"));
  const char *run_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r0, "run_id"));
  cr_assert_str_eq(status ? status : "", "interrupted");
  cr_assert_not_null(run_id);
  baton__fmt(id, 64, "%s", run_id);
  cJSON_Delete(runs);
}
