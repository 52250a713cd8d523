/* import_bench.c — importing one model whose description is 1 MB of the worst markdown for the cleaner (docs/benchmarks.md, "Load and scale"). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/registry.h"
#include "core/banned.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
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

int main(void) {
  char dir[] = "/tmp/baton-import-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  char *db = baton__path_join(dir, "registry.db");
  char *file = baton__path_join(dir, "big.jsonl");
  char err[512];
  baton__registry *reg = NULL;
  if (baton__registry_open(db, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len, &reg,
                           err, sizeof err) != 0) {
    fprintf(stderr, "open: %s\n", err);
    return 1;
  }
  static const char *const names[] = {"1 MB of '['", "brackets nested 512 K deep", "1 MB of '[a]('"};
  int rc = 0;
  for (int k = 0; k < 3; k++) {
    /* The JSON line stays under the importer's 1 MiB line limit. */
    char *line = record((1u << 20) - 200, k);
    FILE *f = fopen(file, "w");
    fprintf(f, "%s\n", line);
    fclose(f);
    free(line);
    cJSON *rep = NULL;
    double t0 = now_s();
    int r = baton__registry_import(reg, file, "hugginggpt", &rep, err, sizeof err);
    double t = now_s() - t0;
    cJSON_Delete(rep);
    printf("import of one model with a 1 MB description (%s): %.3f s%s%s\n", names[k], t,
           r ? ", failed: " : "", r ? err : "");
    rc |= r != 0 || t >= 1.0;
  }
  baton__registry_close(reg);
  unlink(file);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  free(db);
  free(file);
  return rc;
}
