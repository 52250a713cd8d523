/* fuzz_offline.c — libFuzzer target: the offline planner on a request and its conversation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "planner/offline.h"
#include "registry/registry.h"

/* The input is the request, then (after a NUL byte, if any) the conversation's `messages` JSON,
 * both as a caller's could be: the planner must refuse or plan, within its bounds, never crash. */

extern const unsigned char baton__catalogue_yaml[];
extern const size_t baton__catalogue_yaml_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[32];
static char *db;
static baton__registry *reg;

static void close_registry(void) {
  baton__registry_close(reg);
  if (db)
    unlink(db);
  free(db);
  rmdir(dir);
}

/* The shipped catalogue's task kinds, from a registry opened once. */
static const baton__taskspec *task_kinds(size_t *n) {
  char err[512];
  if (!reg) {
    baton__fmt(dir, sizeof dir, "/tmp/fuzz_offline.XXXXXX");
    if (!mkdtemp(dir) || !(db = baton__path_join(dir, "registry.db")) ||
        baton__registry_open(db, (const char *)baton__catalogue_yaml, baton__catalogue_yaml_len,
                             &reg, err, sizeof err) != 0) {
      fprintf(stderr, "fuzz_offline: no registry: %s\n", db ? err : "no folder");
      abort();
    }
    atexit(close_registry);
  }
  return baton__registry_tasks(reg, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t n_tasks = 0;
  const baton__taskspec *tasks = task_kinds(&n_tasks);
  const uint8_t *nul = memchr(data, 0, size);
  size_t req_len = nul ? (size_t)(nul - data) : size;
  char *request = baton__strndup((const char *)data, req_len);
  char *messages = nul ? baton__strndup((const char *)nul + 1, size - req_len - 1) : NULL;
  if (!request || (nul && !messages))
    abort();
  char err[512], note[256];
  baton__offline_req r = {.request = request, .messages_json = messages, .tasks = tasks,
                          .n_tasks = n_tasks, .note = note, .notelen = sizeof note};
  baton__graph g;
  if (baton__plan_offline_req(&r, &g, err, sizeof err) == 0)
    baton__graph_release(&g);
  else if (!err[0])
    abort(); /* a refusal always says why */
  free(request), free(messages);
  return 0;
}
