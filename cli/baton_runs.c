/* baton_runs.c — `baton runs list` and `runs show`: the history of the daemon when one answers (where `baton run` ran), else of this process's BATON_HOME; what to say of a run cancelled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

/* The daemon's answer to method, asked with params (JSON text), into *json (free with
 * baton_free()); closes d. 0, or the exit status after saying why. */
static int daemon_read(baton_client *d, const char *method, const char *params, char **json) {
  baton_rc rc = baton_client_call(d, method, params, json);
  baton_client_close(d);
  if (rc == BATON_OK)
    return 0;
  cli_report("baton", rc == BATON_IO ? "the daemon closed the connection" : baton_errmsg(NULL));
  return cli_exit_code(rc);
}

/* The params of run.get (show) or runs.list; caller frees with cJSON_free. */
static char *read_params(const opts *o, bool show) {
  cJSON *p = cJSON_CreateObject();
  if (show)
    cJSON_AddStringToObject(p, "run_id", o->positional);
  else if (o->limit > 0)
    cJSON_AddNumberToObject(p, "limit", o->limit);
  char *text = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  return text;
}

static void print_show(const cJSON *j) {
  printf("run %s: %s\n", cli_jstr(j, "run_id"), cli_jstr(j, "status"));
  if (*cli_jstr(j, "request"))
    printf("request: %s\n", cli_jstr(j, "request"));
  if (*cli_jstr(j, "cancel_reason")) /* why it was cancelled: by batond, before it had a plan */
    printf("cancelled: %s\n", cli_jstr(j, "cancel_reason"));
  if (*cli_jstr(j, "error")) /* why it failed as a whole: its planning, its record */
    printf("error: %s\n", cli_jstr(j, "error"));
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "files_pruned")))
    printf("files: removed, to keep only the newest runs' files (limits.runs_kept); the "
           "paths below are gone\n");
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(j, "tasks")) {
    /* A task ran on a model server (endpoint) or on a queue worker, never both. */
    const char *on = *cli_jstr(t, "endpoint") ? cli_jstr(t, "endpoint") : cli_jstr(t, "worker");
    printf("  task %d %-28s %-10s %-24s %6.0f ms%s%s%s%s\n", (int)cli_jnum(t, "id"),
           cli_jstr(t, "task"), cli_jstr(t, "status"), cli_jstr(t, "model"), cli_jnum(t, "ms"),
           *on ? "  on " : "", on, *cli_jstr(t, "error") ? "  " : "", cli_jstr(t, "error"));
  }
  if (*cli_jstr(j, "summary"))
    printf("\n%s", cli_jstr(j, "summary"));
}

static void print_list(const cJSON *j) {
  const cJSON *r;
  if (cJSON_GetArraySize(j) == 0)
    fputs("no runs yet\n", stderr);
  cJSON_ArrayForEach(r, j) {
    printf("%-24s %-12s %2d task%s  %.70s\n", cli_jstr(r, "run_id"), cli_jstr(r, "status"),
           (int)cli_jnum(r, "tasks"), cli_jnum(r, "tasks") == 1 ? " " : "s",
           *cli_jstr(r, "request") ? cli_jstr(r, "request") : "(plan)");
  }
}

int cli_runs_read(const opts *o, bool show) {
  char *json = NULL;
  baton *ctx = NULL;
  baton_client *d = cli_daemon(o);
  if (d) {
    char *params = read_params(o, show);
    int st = daemon_read(d, show ? "run.get" : "runs.list", params, &json);
    cJSON_free(params);
    if (st != 0)
      return st;
  } else {
    ctx = cli_open(o);
    baton_rc rc = show ? baton_run_get(ctx, o->positional, &json)
                       : baton_runs_list(ctx, o->limit, &json);
    if (rc != BATON_OK)
      return cli_fail(ctx, rc);
    cli_note_readonly(ctx);
  }
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *j = cJSON_Parse(json);
    if (show)
      print_show(j);
    else
      print_list(j);
    cJSON_Delete(j);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}

void cli_say_how_it_ended(const cJSON *res) {
  const char *why = cli_jstr(res, "cancel_reason"), *id = cli_jstr(res, "run_id");
  const char *error = cli_jstr(res, "error");
  fflush(stdout);
  if (*error)
    fprintf(stderr, "baton: run %s: %s\n", *id ? id : "?", error);
  if (!*id || strcmp(cli_jstr(res, "status"), "cancelled") != 0)
    return;
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "plan")) == 0)
    fprintf(stderr, "baton: run %s was cancelled%s%s\n", id, *why ? ": " : "", why); /* no plan */
  else
    fprintf(stderr, "baton: run %s was cancelled%s%s; `baton runs resume %s` finishes it\n", id,
            *why ? ": " : "", why, id);
}

void cli_runs_hint(const opts *o, const char *id) {
  baton_client *d = cli_daemon(o);
  char *params = read_params(&(opts){.positional = id}, true), *json = NULL;
  baton_rc rc = d ? baton_client_call(d, "run.get", params, &json) : BATON_NOTFOUND;
  if (rc == BATON_OK)
    fprintf(stderr, "baton: run %s is in the history of the daemon (batond), whose BATON_HOME "
            "is another: resume and replay run in this process, so run them with the "
            "daemon's BATON_HOME\n", id);
  baton_free(json);
  cJSON_free(params);
  baton_client_close(d);
}
