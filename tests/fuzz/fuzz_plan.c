/* fuzz_plan.c — libFuzzer target: the task-graph (plan) parser and its JSON view. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "planner/taskgraph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  baton__graph g;
  char err[512];
  if (baton__graph_parse((const char *)data, size, 64, &g, err, sizeof err) == 0) {
    cJSON *j = baton__graph_to_json(&g);
    cJSON_Delete(j);
  }
  baton__graph_release(&g);
  return 0;
}
