/* baton_workers.c — `baton workers`: the live workers of the task queue. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

int cmd_workers(const opts *o) {
  baton *ctx = cli_open(o);
  char *json = NULL;
  baton_rc rc = baton_workers_json(ctx, &json);
  if (rc == BATON_CONFIG) { /* no queue: nothing to list, as endpoints with none */
    fputs("no task queue is configured (add queue: url: to the config to use workers)\n", stderr);
    if (o->json)
      puts("[]");
    baton_close(ctx);
    return 0;
  }
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *arr = cJSON_Parse(json);
    struct timeval now;
    gettimeofday(&now, NULL);
    if (!cJSON_GetArraySize(arr))
      printf("no live workers\n");
    const cJSON *w;
    cJSON_ArrayForEach(w, arr) {
      char tasks[512];
      cli_join(cJSON_GetObjectItemCaseSensitive(w, "tasks"), ",", tasks, sizeof tasks);
      double ago = (double)now.tv_sec + now.tv_usec / 1e6 - cli_jnum(w, "last_seen");
      printf("%-28s in flight %d/%d  done %d  seen %.1f s ago  serves %s\n", cli_jstr(w, "name"),
             (int)cli_jnum(w, "in_flight"), (int)cli_jnum(w, "concurrency"),
             (int)cli_jnum(w, "done"), ago < 0 ? 0.0 : ago, tasks);
    }
    cJSON_Delete(arr);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}
