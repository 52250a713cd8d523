/* registry_bench.c — registry at Hub scale: import time, top-5 match latency, DB size, `baton models search` process time, readers during import. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/registry.h"
#include "synth_models.h"
#include "core/banned.h"

extern char **environ;

static double clock_ms(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q) {
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(q * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

typedef struct reader {
  baton__registry *reg;
  const baton__taskspec *tasks;
  size_t n_tasks;
  atomic_int stop;
  long reads, failures;
  double max_ms;
} reader;

static void *reader_main(void *ud) {
  reader *rd = ud;
  rng r = {0x5eed5eedull};
  while (!atomic_load(&rd->stop)) {
    char q[256], err[256];
    make_query(&r, q, sizeof q);
    baton__model m[5];
    size_t n = 0;
    double t0 = now_ms();
    int rc = baton__registry_match(rd->reg, rd->tasks[pick(&r, rd->n_tasks)].name, q, NULL, NULL,
                                   m, 5, &n, err, sizeof err);
    double dt = now_ms() - t0;
    for (size_t i = 0; i < n; i++)
      baton__model_release(&m[i]);
    if (rc)
      rd->failures++;
    rd->reads++;
    if (dt > rd->max_ms)
      rd->max_ms = dt;
  }
  return NULL;
}

/* Runs `baton models search TEXT [--task T] --limit 5` (or `baton --version`
 * when text is NULL) and returns its wall time (ms), or -1. */
static double run_search(const char *bin, const char *text, const char *task) {
  char *argv[10];
  int a = 0;
  argv[a++] = (char *)bin;
  if (!text) {
    argv[a++] = (char *)"--version";
    argv[a] = NULL;
    goto spawn;
  }
  argv[a++] = (char *)"models";
  argv[a++] = (char *)"search";
  argv[a++] = (char *)text;
  if (task) {
    argv[a++] = (char *)"--task";
    argv[a++] = (char *)task;
  }
  argv[a++] = (char *)"--limit";
  argv[a++] = (char *)"5";
  argv[a] = NULL;
spawn:;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01 /* O_WRONLY */, 0);
  pid_t pid;
  double t0 = now_ms();
  if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double dt = now_ms() - t0;
  posix_spawn_file_actions_destroy(&fa);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? dt : -1;
}

int main(int argc, char **argv) {
  size_t n_models = 100000, n_queries = 2000, n_proc = 20;
  const char *bin = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--models") && i + 1 < argc)
      n_models = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
      n_queries = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--baton") && i + 1 < argc)
      bin = argv[++i];
    else {
      fprintf(stderr, "usage: registry_bench [--models N] [--queries N] [--baton PATH]\n");
      return 2;
    }
  }
  char home[] = "/tmp/baton-bench-XXXXXX";
  if (!mkdtemp(home)) {
    perror("mkdtemp");
    return 1;
  }
  setenv("BATON_HOME", home, 1);
  char *db = baton__path_join(home, "registry.db");
  char *file1 = baton__path_join(home, "models.jsonl");
  char *file2 = baton__path_join(home, "more.jsonl");
  char err[1024] = "";
  baton__registry *reg = NULL;
  if (baton__registry_open(db, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len,
                           &reg, err, sizeof err)) {
    fprintf(stderr, "open: %s\n", err);
    return 1;
  }
  size_t n_tasks = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n_tasks);
  /* Task names outlive the handle (the process timings run after close). */
  char **task_names = calloc(n_tasks, sizeof *task_names);
  for (size_t i = 0; i < n_tasks; i++)
    task_names[i] = baton__strdup(tasks[i].name);
  if (write_models(file1, "", n_models, tasks, n_tasks, 42) ||
      write_models(file2, "second-", n_models, tasks, n_tasks, 7)) {
    fprintf(stderr, "cannot write the model files\n");
    return 1;
  }

  /* 1. Import. */
  cJSON *rep = NULL;
  double t0 = now_ms(), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  if (baton__registry_import(reg, file1, "hugginggpt", &rep, err, sizeof err)) {
    fprintf(stderr, "import: %s\n", err);
    return 1;
  }
  double import_ms = now_ms() - t0, import_cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
  cJSON_Delete(rep);

  /* 2. Top-5 matches inside the library. */
  double *lat = calloc(n_queries, sizeof *lat), *cpu = calloc(n_queries, sizeof *cpu);
  rng r = {1234};
  size_t got_total = 0;
  for (size_t i = 0; i < n_queries; i++) {
    char q[256];
    make_query(&r, q, sizeof q);
    const char *task = tasks[pick(&r, n_tasks)].name;
    baton__model m[5];
    size_t n = 0;
    double s = now_ms(), sc = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    if (baton__registry_match(reg, task, q, NULL, NULL, m, 5, &n, err, sizeof err)) {
      fprintf(stderr, "match: %s\n", err);
      return 1;
    }
    lat[i] = now_ms() - s;
    cpu[i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - sc;
    got_total += n;
    for (size_t k = 0; k < n; k++)
      baton__model_release(&m[k]);
  }
  double med = quantile(lat, n_queries, 0.5), p99 = quantile(lat, n_queries, 0.99);
  /* Search over every task (what `baton models search TEXT` runs). */
  size_t n_search = 100;
  double *sl = calloc(n_search, sizeof *sl);
  for (size_t i = 0; i < n_search; i++) {
    char q[256];
    make_query(&r, q, sizeof q);
    double s = now_ms();
    cJSON *res = baton__registry_search(reg, q, NULL, 5, err, sizeof err);
    sl[i] = now_ms() - s;
    if (!res) {
      fprintf(stderr, "search: %s\n", err);
      return 1;
    }
    cJSON_Delete(res);
  }
  double smed = quantile(sl, n_search, 0.5);
  free(sl);
  double cmed = quantile(cpu, n_queries, 0.5), cp99 = quantile(cpu, n_queries, 0.99);

  /* 3. Readers while a second import of the same size runs. */
  reader rd = {.reg = reg, .tasks = tasks, .n_tasks = n_tasks};
  pthread_t th;
  pthread_create(&th, NULL, reader_main, &rd);
  baton__registry *writer = NULL;
  if (baton__registry_open(db, NULL, 0, &writer, err, sizeof err)) {
    fprintf(stderr, "open: %s\n", err);
    return 1;
  }
  t0 = now_ms();
  if (baton__registry_import(writer, file2, "hugginggpt", &rep, err, sizeof err)) {
    fprintf(stderr, "second import: %s\n", err);
    return 1;
  }
  double import2_ms = now_ms() - t0;
  cJSON_Delete(rep);
  atomic_store(&rd.stop, 1);
  pthread_join(th, NULL);
  baton__registry_close(writer);
  baton__registry_close(reg);
  char *wal = baton__path_join(home, "registry.db-wal");
  long long size = file_size(db) + file_size(wal);
  free(wal);

  /* 4. `baton models search` as a whole process (on the 200k-model DB). */
  double proc_task = -1, proc_all = -1, proc_base = -1;
  char *bin_guess = NULL;
  if (!bin) {
    const char *slash = strrchr(argv[0], '/');
    bin_guess = slash ? baton__strndup(argv[0], (size_t)(slash - argv[0] + 1)) : baton__strdup("./");
    baton__sb b;
    baton__sb_init(&b);
    baton__sb_adds(&b, bin_guess);
    baton__sb_adds(&b, "baton");
    free(bin_guess);
    bin_guess = baton__sb_detach(&b);
    bin = bin_guess;
  }
  if (access(bin, X_OK) == 0) {
    double *pt = calloc(n_proc, sizeof *pt), *pa = calloc(n_proc, sizeof *pa);
    double *pb = calloc(n_proc, sizeof *pb);
    rng pr = {99};
    bool ok = true;
    for (size_t i = 0; i < n_proc && ok; i++) {
      char q[256];
      make_query(&pr, q, sizeof q);
      pt[i] = run_search(bin, q, task_names[pick(&pr, n_tasks)]);
      pa[i] = run_search(bin, q, NULL);
      pb[i] = run_search(bin, NULL, NULL);
      ok = pt[i] >= 0 && pa[i] >= 0 && pb[i] >= 0;
    }
    if (ok) {
      proc_task = quantile(pt, n_proc, 0.5);
      proc_all = quantile(pa, n_proc, 0.5);
      proc_base = quantile(pb, n_proc, 0.5);
    } else {
      fprintf(stderr, "note: %s models search failed; process times not measured\n", bin);
    }
    free(pt);
    free(pa);
    free(pb);
  } else {
    fprintf(stderr, "note: no baton binary at %s (give --baton PATH); process times skipped\n",
            bin);
  }

  printf("Registry benchmark: %zu synthetic models over %zu tasks (seed 42), then %zu more\n\n",
         n_models, n_tasks, n_models);
  printf("| measure | result | target |\n|---|---|---|\n");
  printf("| import %zu models (staged, then 50 ms chunks) | %.2f s (CPU %.2f s) | <= 10 s |\n", n_models,
         import_ms / 1000.0, import_cpu / 1000.0);
  printf("| top-5 match in the library, median of %zu | %.3f ms | <= 1 ms |\n", n_queries, med);
  printf("| top-5 match in the library, p99 | %.3f ms | <= 5 ms |\n", p99);
  printf("| the same in CPU time of the thread: median / p99 | %.3f / %.3f ms | |\n", cmed,
         cp99);
  printf("| top-5 search over all tasks in the library, median of %zu | %.2f ms | |\n", n_search,
         smed);
  printf("| mean models returned per match | %.2f | 5 |\n",
         (double)got_total / (double)n_queries);
  if (proc_task >= 0) {
    printf("| `baton models search TEXT --task T` process, median of %zu | %.1f ms | <= 50 ms |\n",
           n_proc, proc_task);
    printf("| `baton models search TEXT` (all tasks) process, median of %zu | %.1f ms | <= 50 ms |\n",
           n_proc, proc_all);
    printf("| `baton --version` process (start-up alone), median of %zu | %.1f ms | |\n", n_proc,
           proc_base);
  }
  printf("| second import of %zu models while a reader matches | %.2f s | |\n", n_models,
         import2_ms / 1000.0);
  printf("| reads completed during it / failed | %ld / %ld | reads go on, none fail |\n",
         rd.reads, rd.failures);
  printf("| slowest read during the import | %.2f ms | |\n", rd.max_ms);
  printf("| database size with %zu models | %.1f MiB | |\n", 2 * n_models,
         (double)size / (1024.0 * 1024.0));
  if (getenv("BATON_BENCH_KEEP"))
    printf("\n(kept BATON_HOME %s)\n", home);
  else
    nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(lat);
  free(cpu);
  for (size_t i = 0; i < n_tasks; i++)
    free(task_names[i]);
  free(task_names);
  free(bin_guess);
  free(db);
  free(file1);
  free(file2);
  return rd.failures ? 1 : 0;
}
