/* baton_endpoints.c — `baton endpoints`: the configured model servers, their models, load, health and last error; and `models sync --endpoint` suggestions. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/banned.h"

int cmd_endpoints(const opts *o) {
  baton *ctx = cli_open(o);
  char *json = NULL;
  baton_rc rc = baton_endpoints(ctx, &json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *arr = cJSON_Parse(json);
    const cJSON *e, *m;
    if (cJSON_GetArraySize(arr) == 0)
      fputs("no model servers configured (add them under endpoints: in the config)\n", stderr);
    cJSON_ArrayForEach(e, arr) {
      char held[80] = "";
      if (cli_jnum(e, "held_until") > 0) {
        time_t t = (time_t)cli_jnum(e, "held_until");
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(held, sizeof held, ", held off until %02d:%02d:%02d UTC (%s)", tm.tm_hour,
                 tm.tm_min, tm.tm_sec, cli_jstr(e, "held_reason"));
      }
      /* Down as recorded by this or another process: when it is asked again. */
      const cJSON *rec = cJSON_GetObjectItemCaseSensitive(e, "recorded");
      double retry = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "retry_at"));
      if (!held[0] && strcmp(cli_jstr(e, "health"), "down") == 0 && retry > (double)time(NULL)) {
        time_t t = (time_t)retry;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(held, sizeof held, " until %02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
      }
      printf("%s  %s  health %s%s, %.0f in flight (of %.0f)%s\n", cli_jstr(e, "name"),
             cli_jstr(e, "base_url"), cli_jstr(e, "health"), held, cli_jnum(e, "in_flight"),
             cli_jnum(e, "max_inflight"),
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "key")) ? ", key set" : "");
      cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "models")) {
        char tasks[1024];
        cli_join(cJSON_GetObjectItemCaseSensitive(m, "tasks"), ", ", tasks, sizeof tasks);
        printf("  %-40s%s%s\n", cli_jstr(m, "id"), tasks[0] ? " " : "", tasks);
        const cJSON *u;
        cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(m, "unserved"))
          printf("    not served: %s: %s\n", cli_jstr(u, "task"), cli_jstr(u, "why"));
      }
      if (*cli_jstr(e, "last_error"))
        printf("  last error: %s\n", cli_jstr(e, "last_error"));
    }
    cJSON_Delete(arr);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}

int cmd_sync_endpoint(const opts *o, baton *ctx) {
  char *json = NULL;
  baton_rc rc = baton_endpoint_models(ctx, o->endpoint, &json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *r = cJSON_Parse(json);
    const cJSON *m;
    printf("endpoint %s serves:\n", cli_jstr(r, "endpoint"));
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "models"))
      printf("  %-40s %s\n", cli_jstr(m, "id"),
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "declared")) ? "(declared)"
                                                                           : "(not declared)");
    printf("\nNothing was changed. Suggested tasks, guessed from each id (check them), to put "
           "under this endpoint's models: in the config:\n%s",
           cli_jstr(r, "config"));
    cJSON_Delete(r);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}
