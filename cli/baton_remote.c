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
  cJSON *p = cJSON_CreateObject();
  if (plan) {
    cJSON *pj = cJSON_Parse(plan);
    if (pj)
      cJSON_AddItemToObject(p, "plan", pj);
    else
      cJSON_AddStringToObject(p, "plan", plan); /* the daemon explains what is wrong */
  } else {
    cJSON_AddStringToObject(p, "request", o->positional);
  }
  if (o->offline)
    cJSON_AddTrueToObject(p, "offline");
  if (o->n_inputs) {
    cJSON *in = cJSON_AddArrayToObject(p, "inputs");
    for (size_t i = 0; i < o->n_inputs; i++)
      cJSON_AddItemToArray(in, cJSON_CreateString(o->inputs[i]));
  }
  char *cwd = getcwd(NULL, 0);
  if (cwd)
    cJSON_AddStringToObject(p, "cwd", cwd);
  free(cwd);
  return p;
}

int remote_run(struct baton__rpc_conn *d, const opts *o, const char *plan, baton_event_fn on_event,
               void *ud) {
  cJSON *params = request_params(o, plan);
  int id = baton__rpc_send(d, "submit", params);
  cJSON_Delete(params);
  struct sigaction sa = {.sa_handler = on_sigint}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  char run_id[64] = "";
  bool cancel_sent = false;
  cJSON *reply = NULL;
  while (id >= 0) {
    if (interrupted && !cancel_sent && run_id[0]) {
      cJSON *cp = cJSON_CreateObject();
      cJSON_AddStringToObject(cp, "run_id", run_id);
      baton__rpc_send(d, "run.cancel", cp);
      cJSON_Delete(cp);
      cancel_sent = true;
    }
    cJSON *m = NULL;
    int r = baton__rpc_read(d, 200, &m);
    if (r < 0)
      break;
    if (r == 0)
      continue;
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
    if (cJSON_IsString(method) && !strcmp(method->valuestring, "event")) {
      baton_event ev;
      char *buf = NULL;
      if (baton__rpc_event_from_params(cJSON_GetObjectItemCaseSensitive(m, "params"), &ev, &buf)) {
        if (ev.type == BATON_EVENT_PLAN)
          snprintf(run_id, sizeof run_id, "%s", ev.run_id);
        if (on_event)
          on_event(ud, &ev);
      }
      cJSON_free(buf);
    } else if (cJSON_IsNumber(mid) && mid->valueint == id) {
      reply = m;
      break;
    }
    cJSON_Delete(m);
  }
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
