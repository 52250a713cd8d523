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

/* The settings and the measurements of one benchmark run (times in ms). */
typedef struct bench {
  size_t n_models, n_queries, n_proc, n_search, n_tasks;
  const char *bin;
  double import_ms, import_cpu;
  double med, p99, cmed, cp99; /* top-5 match: wall and thread CPU time */
  size_t got_total;            /* models returned by all the matches */
  double smed;                 /* search over all tasks */
  double import2_ms;           /* second import while a reader matches */
  reader rd;
  long long size;              /* database bytes, WAL included */
  double proc_task, proc_all, proc_base; /* processes; -1 when not measured */
} bench;

/* Reads the command line into b. 0, or 2 after printing the usage. */
static int parse_args(int argc, char **argv, bench *b) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--models") && i + 1 < argc)
      b->n_models = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
      b->n_queries = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--baton") && i + 1 < argc)
      b->bin = argv[++i];
    else {
      fprintf(stderr, "usage: registry_bench [--models N] [--queries N] [--baton PATH]\n");
      return 2;
    }
  }
  return 0;
}

/* 1. Imports file into reg, timing it. 0, or -1 after printing why. */
static int measure_import(bench *b, baton__registry *reg, const char *file) {
  char err[1024] = "";
  cJSON *rep = NULL;
  double t0 = now_ms(), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  if (baton__registry_import(reg, file, "hugginggpt", &rep, err, sizeof err)) {
    fprintf(stderr, "import: %s\n", err);
    return -1;
  }
  b->import_ms = now_ms() - t0;
  b->import_cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
  cJSON_Delete(rep);
  return 0;
}

/* 2. Top-5 matches inside the library for random queries drawn from r.
 * 0, or -1 after printing why. */
static int measure_match(bench *b, baton__registry *reg, const baton__taskspec *tasks, rng *r) {
  char err[1024] = "";
  double *lat = calloc(b->n_queries, sizeof *lat), *cpu = calloc(b->n_queries, sizeof *cpu);
  for (size_t i = 0; i < b->n_queries; i++) {
    char q[256];
    make_query(r, q, sizeof q);
    const char *task = tasks[pick(r, b->n_tasks)].name;
    baton__model m[5];
    size_t n = 0;
    double s = now_ms(), sc = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    if (baton__registry_match(reg, task, q, NULL, NULL, m, 5, &n, err, sizeof err)) {
      fprintf(stderr, "match: %s\n", err);
      return -1;
    }
    lat[i] = now_ms() - s;
    cpu[i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - sc;
    b->got_total += n;
    for (size_t k = 0; k < n; k++)
      baton__model_release(&m[k]);
  }
  b->med = quantile(lat, b->n_queries, 0.5);
  b->p99 = quantile(lat, b->n_queries, 0.99);
  b->cmed = quantile(cpu, b->n_queries, 0.5);
  b->cp99 = quantile(cpu, b->n_queries, 0.99);
  free(lat);
  free(cpu);
  return 0;
}

/* Search over every task (what `baton models search TEXT` runs). 0, or -1
 * after printing why. */
static int measure_search(bench *b, baton__registry *reg, rng *r) {
  char err[1024] = "";
  double *sl = calloc(b->n_search, sizeof *sl);
  for (size_t i = 0; i < b->n_search; i++) {
    char q[256];
    make_query(r, q, sizeof q);
    double s = now_ms();
    cJSON *res = baton__registry_search(reg, q, NULL, 5, err, sizeof err);
    sl[i] = now_ms() - s;
    if (!res) {
      fprintf(stderr, "search: %s\n", err);
      return -1;
    }
    cJSON_Delete(res);
  }
  b->smed = quantile(sl, b->n_search, 0.5);
  free(sl);
  return 0;
}

/* 3. Readers on reg while a second import of file into db runs on another
 * handle. 0, or -1 after printing why. */
static int measure_concurrent(bench *b, baton__registry *reg, const baton__taskspec *tasks,
                              const char *db, const char *file) {
  char err[1024] = "";
  b->rd = (reader){.reg = reg, .tasks = tasks, .n_tasks = b->n_tasks};
  pthread_t th;
  pthread_create(&th, NULL, reader_main, &b->rd);
  baton__registry *writer = NULL;
  if (baton__registry_open(db, NULL, 0, &writer, err, sizeof err)) {
    fprintf(stderr, "open: %s\n", err);
    return -1;
  }
  cJSON *rep = NULL;
  double t0 = now_ms();
  if (baton__registry_import(writer, file, "hugginggpt", &rep, err, sizeof err)) {
    fprintf(stderr, "second import: %s\n", err);
    return -1;
  }
  b->import2_ms = now_ms() - t0;
  cJSON_Delete(rep);
  atomic_store(&b->rd.stop, 1);
  pthread_join(th, NULL);
  baton__registry_close(writer);
  return 0;
}

/* The baton program next to argv0 (malloc'd). */
static char *baton_next_to(const char *argv0) {
  const char *slash = strrchr(argv0, '/');
  baton__sb b;
  baton__sb_init(&b);
  if (slash)
    baton__sb_add(&b, argv0, (size_t)(slash - argv0 + 1));
  else
    baton__sb_adds(&b, "./");
  baton__sb_adds(&b, "baton");
  return baton__sb_detach(&b);
}

/* 4. `baton models search` as a whole process (on the 200k-model DB). */
static void measure_processes(bench *b, char **task_names) {
  b->proc_task = b->proc_all = b->proc_base = -1;
  if (access(b->bin, X_OK) != 0) {
    fprintf(stderr, "note: no baton binary at %s (give --baton PATH); process times skipped\n",
            b->bin);
    return;
  }
  size_t n = b->n_proc;
  double *pt = calloc(n, sizeof *pt), *pa = calloc(n, sizeof *pa), *pb = calloc(n, sizeof *pb);
  rng pr = {99};
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    char q[256];
    make_query(&pr, q, sizeof q);
    pt[i] = run_search(b->bin, q, task_names[pick(&pr, b->n_tasks)]);
    pa[i] = run_search(b->bin, q, NULL);
    pb[i] = run_search(b->bin, NULL, NULL);
    ok = pt[i] >= 0 && pa[i] >= 0 && pb[i] >= 0;
  }
  if (ok) {
    b->proc_task = quantile(pt, n, 0.5);
    b->proc_all = quantile(pa, n, 0.5);
    b->proc_base = quantile(pb, n, 0.5);
  } else {
    fprintf(stderr, "note: %s models search failed; process times not measured\n", b->bin);
  }
  free(pt);
  free(pa);
  free(pb);
}

/* Prints the results as a Markdown table. */
static void print_report(const bench *b) {
  printf("Registry benchmark: %zu synthetic models over %zu tasks (seed 42), then %zu more\n\n",
         b->n_models, b->n_tasks, b->n_models);
  printf("| measure | result | target |\n|---|---|---|\n");
  printf("| import %zu models (staged, then 50 ms chunks) | %.2f s (CPU %.2f s) | <= 10 s |\n",
         b->n_models, b->import_ms / 1000.0, b->import_cpu / 1000.0);
  printf("| top-5 match in the library, median of %zu | %.3f ms | <= 1 ms |\n", b->n_queries,
         b->med);
  printf("| top-5 match in the library, p99 | %.3f ms | <= 5 ms |\n", b->p99);
  printf("| the same in CPU time of the thread: median / p99 | %.3f / %.3f ms | |\n", b->cmed,
         b->cp99);
  printf("| top-5 search over all tasks in the library, median of %zu | %.2f ms | |\n",
         b->n_search, b->smed);
  printf("| mean models returned per match | %.2f | 5 |\n",
         (double)b->got_total / (double)b->n_queries);
  if (b->proc_task >= 0) {
    printf("| `baton models search TEXT --task T` process, median of %zu | %.1f ms | <= 50 ms |\n",
           b->n_proc, b->proc_task);
    printf("| `baton models search TEXT` (all tasks) process, median of %zu | %.1f ms | <= 50 ms |\n",
           b->n_proc, b->proc_all);
    printf("| `baton --version` process (start-up alone), median of %zu | %.1f ms | |\n",
           b->n_proc, b->proc_base);
  }
  printf("| second import of %zu models while a reader matches | %.2f s | |\n", b->n_models,
         b->import2_ms / 1000.0);
  printf("| reads completed during it / failed | %ld / %ld | reads go on, none fail |\n",
         b->rd.reads, b->rd.failures);
  printf("| slowest read during the import | %.2f ms | |\n", b->rd.max_ms);
  printf("| database size with %zu models | %.1f MiB | |\n", 2 * b->n_models,
         (double)b->size / (1024.0 * 1024.0));
}

/* Runs the measurements on a fresh registry at db (files: the two model
 * lists). 0, or -1 after printing why. */
static int run_bench(bench *b, const char *home, const char *db, const char *file1,
                     const char *file2) {
  char err[1024] = "";
  baton__registry *reg = NULL;
  if (baton__registry_open(db, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len,
                           &reg, err, sizeof err)) {
    fprintf(stderr, "open: %s\n", err);
    return -1;
  }
  const baton__taskspec *tasks = baton__registry_tasks(reg, &b->n_tasks);
  /* Task names outlive the handle (the process timings run after close). */
  char **task_names = calloc(b->n_tasks, sizeof *task_names);
  for (size_t i = 0; i < b->n_tasks; i++)
    task_names[i] = baton__strdup(tasks[i].name);
  if (write_models(file1, "", b->n_models, tasks, b->n_tasks, 42) ||
      write_models(file2, "second-", b->n_models, tasks, b->n_tasks, 7)) {
    fprintf(stderr, "cannot write the model files\n");
    return -1;
  }
  rng r = {1234};
  if (measure_import(b, reg, file1) || measure_match(b, reg, tasks, &r) ||
      measure_search(b, reg, &r) || measure_concurrent(b, reg, tasks, db, file2))
    return -1;
  baton__registry_close(reg);
  char *wal = baton__path_join(home, "registry.db-wal");
  b->size = file_size(db) + file_size(wal);
  free(wal);
  measure_processes(b, task_names);
  for (size_t i = 0; i < b->n_tasks; i++)
    free(task_names[i]);
  free(task_names);
  return 0;
}

int main(int argc, char **argv) {
  bench b = {.n_models = 100000, .n_queries = 2000, .n_proc = 20, .n_search = 100};
  int status = parse_args(argc, argv, &b);
  if (status)
    return status;
  char home[] = "/tmp/baton-bench-XXXXXX";
  if (!mkdtemp(home)) {
    perror("mkdtemp");
    return 1;
  }
  setenv("BATON_HOME", home, 1);
  char *db = baton__path_join(home, "registry.db");
  char *file1 = baton__path_join(home, "models.jsonl");
  char *file2 = baton__path_join(home, "more.jsonl");
  char *bin_guess = b.bin ? NULL : baton_next_to(argv[0]);
  if (!b.bin)
    b.bin = bin_guess;
  if (run_bench(&b, home, db, file1, file2))
    return 1;
  print_report(&b);
  if (getenv("BATON_BENCH_KEEP"))
    printf("\n(kept BATON_HOME %s)\n", home);
  else
    nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(bin_guess);
  free(db);
  free(file1);
  free(file2);
  return b.rd.failures ? 1 : 0;
}
