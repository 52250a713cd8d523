/* import_bench.c — importing a 1 MB model description, and a large import while another handle writes (docs/benchmarks.md, "Registry import"). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "synth_models.h"
#include "core/banned.h"

/* The other writer's pause between writes. */
#define WRITE_EVERY_MS 2

static baton__registry *open_registry(const char *path) {
  char err[512];
  baton__registry *reg = NULL;
  if (baton__registry_open(path, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len,
                           &reg, err, sizeof err) != 0)
    fprintf(stderr, "open %s: %s\n", path, err);
  return reg;
}

/* Thread CPU seconds. */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A HuggingGPT JSONL record whose description is n bytes of shape k:
 * 0 unclosed '[', 1 brackets nested n/2 deep, 2 "[a](" repeated. */
static char *record(size_t n, int k) {
  static const char *const unit[] = {"[", "", "[a]("};
  char *desc = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    desc[i] = k == 1 ? (i < n / 2 ? '[' : ']') : unit[k][i % strlen(unit[k])];
  desc[n] = '\0';
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", "bench/big-card");
  cJSON_AddStringToObject(o, "task", "summarization");
  cJSON_AddStringToObject(o, "description", desc);
  free(desc);
  char *line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return line;
}

/* Imports one model with a 1 MB description of each shape; 0 when each
 * took under a second. */
static int big_descriptions(const char *dir) {
  char *db = baton__path_join(dir, "big.db");
  char *file = baton__path_join(dir, "big.jsonl");
  baton__registry *reg = open_registry(db);
  static const char *const names[] = {"1 MB of '['", "brackets nested 512 K deep", "1 MB of '[a]('"};
  int rc = reg ? 0 : 1;
  for (int k = 0; reg && k < 3; k++) {
    /* The JSON line stays under the importer's 1 MiB line limit. */
    char *line = record((1u << 20) - 200, k);
    FILE *f = fopen(file, "w");
    fprintf(f, "%s\n", line);
    fclose(f);
    free(line);
    cJSON *rep = NULL;
    char err[512] = "";
    double t0 = bench_now_ms();
    int r = baton__registry_import(reg, file, "hugginggpt", &rep, err, sizeof err);
    double t = (bench_now_ms() - t0) / 1e3;
    cJSON_Delete(rep);
    printf("import of one model with a 1 MB description (%s): %.3f s%s%s\n", names[k], t,
           r ? ", failed: " : "", r ? err : "");
    rc |= r != 0 || t >= 1.0;
  }
  baton__registry_close(reg);
  unlink(file);
  free(db);
  free(file);
  return rc;
}

/* Another connection (as a second daemon's flushing its runs' health
 * records, or `baton models add`, would have) that writes a row every
 * WRITE_EVERY_MS, with the registry's busy timeout, timing how long each
 * write waits for the lock (its BEGIN IMMEDIATE). */
typedef struct writer {
  sqlite3 *db;
  atomic_int stop;
  double *waits; /* ms, one per write */
  int n, cap, failed;
} writer;

static void *write_loop(void *ud) {
  writer *w = ud;
  baton__busy_wait(w->db, BATON__BUSY_MS);
  while (!atomic_load(&w->stop) && w->n < w->cap) {
    double t0 = bench_now_ms();
    int s = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    w->waits[w->n++] = bench_now_ms() - t0;
    if (s == SQLITE_OK)
      s = sqlite3_exec(w->db,
                       "INSERT INTO health(model_id, successes, updated_at)"
                       " VALUES ('bench/writer', 1, 0) ON CONFLICT(model_id)"
                       " DO UPDATE SET successes = successes + 1; COMMIT",
                       NULL, NULL, NULL);
    if (s != SQLITE_OK && !w->failed++)
      fprintf(stderr, "the other writer failed: %s\n", sqlite3_errmsg(w->db));
    if (s != SQLITE_OK)
      sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    struct timespec ts = {0, WRITE_EVERY_MS * 1000000L};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* The import's transactions, as its pauses (the handle's hook) tell them. */
typedef struct holds {
  double longest; /* ms from BEGIN IMMEDIATE done to COMMIT done */
  long commits;
} holds;

static void on_pause(void *ud, const baton__pace *p) {
  holds *h = ud;
  double held = (double)(baton__now_ms() - p->t0);
  if (held > h->longest)
    h->longest = held;
  h->commits = p->commits;
}

static void print_waits(writer *w) {
  int over = 0;
  for (int i = 0; i < w->n; i++)
    over += w->waits[i] > 100.0;
  double p99 = w->n ? bench_percentile(w->waits, w->n, 0.99) : 0;
  double max = w->n ? w->waits[w->n - 1] : 0;
  printf("  the other writer (one write every %d ms): %d writes, %d failed; its wait for the"
         " lock: longest %.1f ms, p99 %.1f ms, %d over 100 ms\n",
         WRITE_EVERY_MS, w->n, w->failed, max, p99, over);
}

/* Imports file into a fresh registry at db, with the other writer at work
 * when contended; prints the import's time and the writer's waits. */
static int import_models(const char *db, const char *file, size_t n, bool contended) {
  baton__registry *reg = open_registry(db);
  writer w = {.cap = 1 << 20};
  holds h = {0};
  if (!reg || (contended && (sqlite3_open(db, &w.db) != SQLITE_OK ||
                             !(w.waits = malloc((size_t)w.cap * sizeof *w.waits)))))
    return 1;
  reg->write_paused = on_pause;
  reg->write_paused_ud = &h;
  pthread_t th;
  if (contended && pthread_create(&th, NULL, write_loop, &w) != 0)
    return 1;
  cJSON *rep = NULL;
  char err[512] = "";
  double t0 = bench_now_ms(), c0 = cpu_s();
  int r = baton__registry_import(reg, file, "hugginggpt", &rep, err, sizeof err);
  double t = (bench_now_ms() - t0) / 1e3, c = cpu_s() - c0;
  cJSON_Delete(rep);
  printf("import of %zu models%s: %.2f s (CPU %.2f s); %ld transactions, the longest but the"
         " last held the lock %.0f ms%s%s\n",
         n, contended ? " while another connection writes" : "", t, c, h.commits + 1,
         h.longest, r ? ", failed: " : "", r ? err : "");
  if (contended) {
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    print_waits(&w);
    r |= w.failed;
  }
  sqlite3_close(w.db);
  free(w.waits);
  baton__registry_close(reg);
  return r != 0;
}

/* A registry of n synthetic models imported alone, then another while a
 * second handle writes. */
static int import_under_writes(const char *dir, size_t n) {
  char *file = baton__path_join(dir, "models.jsonl");
  char *alone = baton__path_join(dir, "alone.db");
  char *contended = baton__path_join(dir, "contended.db");
  baton__registry *reg = open_registry(alone);
  size_t n_tasks = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n_tasks);
  int rc = !reg || write_models(file, "", n, tasks, n_tasks, 42) != 0;
  baton__registry_close(reg);
  if (!rc)
    rc = import_models(alone, file, n, false) | import_models(contended, file, n, true);
  unlink(file);
  free(file);
  free(alone);
  free(contended);
  return rc;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
  if (argc > 2 || n == 0) {
    fprintf(stderr, "usage: import_bench [MODELS]   (default 100000)\n");
    return 2;
  }
  char dir[] = "/tmp/baton-import-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  int rc = big_descriptions(dir) | import_under_writes(dir, n);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  return rc;
}
