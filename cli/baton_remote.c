/* baton_remote.c — `baton run` and `baton plan` through batond when a daemon answers on the socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "cli/cli.h"
#include "server/rpc_client.h"
#include "core/banned.h"

struct baton__rpc_conn *cli_daemon(const opts *o) {
  return o->local ? NULL : baton__rpc_connect_daemon(o->config);
}

int cli_remote_status(const cJSON *reply) {
  /* Project codes are -32000 - baton_rc; JSON-RPC's own mean bad input. */
  int code = baton__rpc_error_code(reply);
  if (code <= -32600 && code >= -32700)
    return EXIT_USAGE;
  if (code < -32000 && code > -32100)
    return cli_exit_code((baton_rc)(-32000 - code));
  return EXIT_TASK_FAILED;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/* The common request parameters. */
static cJSON *request_params(const opts *o, const char *plan) {
  return baton__rpc_submit_params(plan ? NULL : o->positional, plan, o->inputs, o->n_inputs,
                                  o->offline);
}

static bool was_interrupted(void *ud) {
  (void)ud;
  return interrupted;
}

int remote_run(struct baton__rpc_conn *d, const opts *o, const char *plan, baton_event_fn on_event,
               void *ud) {
  cJSON *params = request_params(o, plan);
  struct sigaction sa = {.sa_handler = on_sigint}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  cJSON *reply = baton__rpc_submit(d, params, on_event, was_interrupted, ud);
  cJSON_Delete(params);
  sigaction(SIGINT, &old, NULL);
  baton__rpc_close(d);
  if (!reply) {
    fputs("baton: the daemon closed the connection before the run finished\n", stderr);
    return EXIT_TASK_FAILED;
  }
  const char *err = baton__rpc_error_message(reply);
  if (err) {
    fprintf(stderr, "baton: %s\n", err);
    int st = cli_remote_status(reply);
    cJSON_Delete(reply);
    return st;
  }
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "result");
  const char *status = cli_jstr(res, "status");
  if (o->json) {
    char *text = cJSON_Print(res);
    puts(text ? text : "{}");
    cJSON_free(text);
  } else {
    const char *summary = cli_jstr(res, "summary");
    fputs(*summary ? summary : "(no answer)\n", stdout);
  }
  int st = strcmp(status, "done") == 0 ? 0 : EXIT_TASK_FAILED;
  cJSON_Delete(reply);
  return st;
}

int remote_plan(struct baton__rpc_conn *d, const opts *o, char **json_out) {
  *json_out = NULL;
  cJSON *params = request_params(o, NULL);
  cJSON *reply = NULL;
  int r = baton__rpc_call(d, "plan", params, NULL, NULL, &reply);
  cJSON_Delete(params);
  baton__rpc_close(d);
  if (r != 0) {
    fputs("baton: the daemon closed the connection\n", stderr);
    return EXIT_TASK_FAILED;
  }
  const char *err = baton__rpc_error_message(reply);
  if (err) {
    fprintf(stderr, "baton: %s\n", err);
    int st = cli_remote_status(reply);
    cJSON_Delete(reply);
    return st;
  }
  *json_out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(reply, "result"));
  cJSON_Delete(reply);
  return *json_out ? 0 : EXIT_TASK_FAILED;
}
