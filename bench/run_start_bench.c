/* run_start_bench.c — run start (planning and model matching) with 1,000 and 1,000,000 models in the registry (docs/benchmarks.md, "Load and scale"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "baton.h"
#include "bench_stats.h"
#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/registry.h"
#include "synth_models.h"
#include "core/banned.h"

/* What a user typically asks: three tasks (image-to-text, summarization,
 * text-to-speech), each matched against its step text. */
static const char request[] = "read the text in sign.png, summarize it and read it aloud";

#define BATCH 100000 /* models a chunk of the generated file holds */

/* Fills home/registry.db with n synthetic models (imported BATCH at a time
 * from a generated JSONL file), unless home/complete says it holds them. */
static int build(const char *home, size_t n) {
  char *mark = baton__path_join(home, "complete");
  char *db = baton__path_join(home, "registry.db");
  char *file = baton__path_join(home, "batch.jsonl");
  int rc = -1;
  if (baton__file_exists(mark)) {
    rc = 0;
    goto out;
  }
  (void)baton__mkdirs(home, 0700);
  char err[1024] = "";
  baton__registry *reg = NULL;
  if (baton__registry_open(db, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len,
                           &reg, err, sizeof err)) {
    fprintf(stderr, "open: %s\n", err);
    goto out;
  }
  size_t n_tasks = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n_tasks);
  rng r = {42};
  double t0 = bench_now_ms() / 1e3;
  for (size_t first = 0; first < n; first += BATCH) {
    size_t k = n - first < BATCH ? n - first : BATCH;
    FILE *f = fopen(file, "w");
    if (!f)
      break;
    synth_write_models(f, "", first, k, tasks, n_tasks, &r);
    fclose(f);
    cJSON *rep = NULL;
    if (baton__registry_import(reg, file, "hugginggpt", &rep, err, sizeof err)) {
      fprintf(stderr, "import: %s\n", err);
      break;
    }
    cJSON_Delete(rep);
    if (first + k == n) {
      FILE *m = fopen(mark, "w");
      if (m)
        fclose(m);
      rc = 0;
    }
  }
  fprintf(stderr, "built %zu models in %s in %.1f s\n", n, home, bench_now_ms() / 1e3 - t0);
  baton__registry_close(reg);
  remove(file);
out:
  free(mark);
  free(db);
  free(file);
  return rc;
}

/* build() in a child process, so that what the import allocated is not in
 * the measured processes (forked from this one). */
static int build_apart(const char *home, size_t n) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(build(home, n) ? 1 : 0);
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 0
             ? 0
             : -1;
}

/* Peak resident set of this process, in MB (from /proc). */
static double peak_rss_mb(void) {
  double peak = 0;
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6))
      peak = strtod(line + 6, NULL) / 1024.0;
  if (f)
    fclose(f);
  return peak;
}

/* CPU time of this process (all its threads), in ms: what a loaded machine
 * changes least. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct result {
  double open_ms, first_ms, first_cpu_ms, median_ms, cpu_ms, rss_peak;
  int ok;
} result;

/* How a fresh process finds its home: what a user's first `baton run`
 * meets (no cached description: baton-worker --describe runs), and what
 * every later one meets (the description read from the cache). */
enum { FIRST_RUN, LATER_RUN };

/* home/config.yaml, rewritten only when it says something else: its
 * content keys the executors' description cache, as a user's does. */
static char *write_config(const char *home) {
  static const char text[] = "workers: 2\n";
  char *cfg = baton__path_join(home, "config.yaml"), *old = NULL, err[256];
  size_t len = 0;
  bool same = baton__read_file(cfg, 4096, &old, &len, err, sizeof err) == 0 &&
              len == sizeof text - 1 && !memcmp(old, text, len);
  free(old);
  if (!same && baton__write_file(cfg, text, sizeof text - 1, err, sizeof err))
    fprintf(stderr, "%s\n", err);
  return cfg;
}

/* Drops home's registry files from the kernel's page cache, as after a
 * reboot (--cold): the first plan then reads its pages from the disk. */
static void evict(const char *home) {
  static const char *const files[] = {"registry.db", "registry.db-wal"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *path = baton__path_join(home, files[i]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)fdatasync(fd);
      (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      close(fd);
    }
    free(path);
  }
}

/* In a child process: opens a context on home and plans the request
 * `reps` times (planning does all the matching a run does before its first
 * task starts). */
static void measure_child(const char *home, int reps, int fd) {
  result res = {0};
  setenv("BATON_HOME", home, 1);
  char *cache = baton__path_join(home, "cache");
  setenv("XDG_CACHE_HOME", cache, 1);
  free(cache);
  unsetenv("HF_TOKEN");
  unsetenv("BATON_DEBUG_EXECUTORS");
  char *cfg = write_config(home);
  double t0 = bench_now_ms() / 1e3;
  baton *ctx = NULL;
  if (baton_open(cfg, &ctx) != BATON_OK) {
    fprintf(stderr, "baton_open: %s\n", baton_errmsg(ctx));
    _exit(1);
  }
  res.open_ms = (bench_now_ms() / 1e3 - t0) * 1e3;
  double *v = calloc((size_t)reps, sizeof *v), *cpu = calloc((size_t)reps, sizeof *cpu);
  baton_request req = {BATON_REQUEST_INIT, .text = request, .offline = 1};
  for (int i = 0; i < reps; i++) {
    char *plan = NULL;
    double s = bench_now_ms() / 1e3, c = cpu_ms();
    if (baton_plan(ctx, &req, &plan) != BATON_OK) {
      fprintf(stderr, "baton_plan: %s\n", baton_errmsg(ctx));
      _exit(1);
    }
    v[i] = (bench_now_ms() / 1e3 - s) * 1e3;
    cpu[i] = cpu_ms() - c;
    if (i == 0 && getenv("BATON_BENCH_SHOW_PLAN"))
      fprintf(stderr, "%s\n", plan);
    baton_free(plan);
  }
  res.first_ms = v[0];
  res.first_cpu_ms = cpu[0];
  /* The median of the plans after the first (of the only one when reps is 1). */
  int later = reps > 1 ? 1 : 0;
  res.median_ms = bench_percentile(v + later, reps - later, 0.5);
  res.cpu_ms = bench_percentile(cpu + later, reps - later, 0.5);
  res.rss_peak = peak_rss_mb();
  res.ok = 1;
  baton_close(ctx);
  free(v);
  free(cpu);
  free(cfg);
  if (write(fd, &res, sizeof res) != (ssize_t)sizeof res)
    _exit(1);
  _exit(0);
}

/* Empties home/cache/baton, the executors' description cache of the
 * processes measure_child() starts. */
static void forget_descriptions(const char *home) {
  char *dir = baton__path_join(home, "cache/baton");
  DIR *d = dir ? opendir(dir) : NULL;
  for (struct dirent *e; d && (e = readdir(d));) {
    char *file = e->d_name[0] != '.' ? baton__path_join(dir, e->d_name) : NULL;
    if (file)
      remove(file);
    free(file);
  }
  if (d)
    closedir(d);
  free(dir);
}

/* One fresh process on home, as `how` says; *out is what it measured. */
static int measure(const char *home, int reps, int how, bool cold, result *out) {
  if (how == FIRST_RUN)
    forget_descriptions(home);
  if (cold)
    evict(home);
  int p[2];
  if (pipe(p))
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    measure_child(home, reps, p[1]);
  }
  close(p[1]);
  memset(out, 0, sizeof *out);
  ssize_t got = read(p[0], out, sizeof *out);
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return got == (ssize_t)sizeof *out && out->ok ? 0 : -1;
}

/* Both fresh processes on a registry of n models, and its table row. */
static int measure_size(const char *cache, size_t n, int reps, bool cold) {
  char name[64];
  baton__fmt(name, sizeof name, "%zu", n);
  char *home = baton__path_join(cache, name);
  result first, later;
  int rc = build_apart(home, n) || measure(home, 1, FIRST_RUN, cold, &first) ||
           measure(home, reps, LATER_RUN, cold, &later);
  if (rc)
    fprintf(stderr, "run_start_bench: %zu models failed\n", n);
  else
    printf("| %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f MB |\n", n,
           later.open_ms, first.first_ms, later.first_ms, later.first_cpu_ms, later.median_ms,
           later.cpu_ms, later.rss_peak);
  fflush(stdout);
  free(home);
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *cache = getenv("BATON_BENCH_CACHE");
  size_t sizes[8] = {1000, 1000000};
  int n_sizes = 0, reps = 11;
  bool cold = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cache") && i + 1 < argc)
      cache = argv[++i];
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cold"))
      cold = true;
    else if (n_sizes < 8 && strtoul(argv[i], NULL, 10) > 0)
      sizes[n_sizes++] = (size_t)strtoul(argv[i], NULL, 10);
    else {
      fprintf(stderr, "usage: run_start_bench [--cache DIR] [--reps N] [--cold] [MODELS...]\n");
      return 2;
    }
  }
  if (!n_sizes)
    n_sizes = 2;
  if (reps < 2)
    reps = 2;
  if (!cache)
    cache = "/tmp/baton-run-start-cache";
  printf("Run start: `baton_plan` of \"%s\" (offline planner, three tasks matched),\n"
         "in fresh processes per size%s; registries cached in %s\n\n",
         request, cold ? ", the registry's pages dropped from the kernel's cache first" : "",
         cache);
  printf("| models | context open | first plan, first run | first plan, later runs | its CPU time |"
         " next %d plans, median | their CPU time | peak RSS |\n"
         "|---|---|---|---|---|---|---|---|\n",
         reps - 1);
  int rc = 0;
  for (int i = 0; i < n_sizes; i++)
    rc |= measure_size(cache, sizes[i], reps, cold);
  return rc;
}
