/* baton_remote.c — `baton run` and `baton plan` through batond when a daemon answers on the socket. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

baton_client *cli_daemon(const opts *o) {
  baton_client *c = NULL;
  if (!o->local)
    baton_client_connect(o->config, &c); /* none: the in-process path runs (and reports) */
  return c;
}

/* The client a Ctrl-C cancels the run of. */
static baton_client *volatile running;

static void on_sigint(int sig) {
  (void)sig;
  baton_client_cancel(running);
}

/* The request of `baton run` and `baton plan`. */
static baton_request request_of(const opts *o, const char *plan) {
  return (baton_request){BATON_REQUEST_INIT, .text = plan ? NULL : o->positional,
                         .plan_json = plan, .inputs = o->inputs, .n_inputs = o->n_inputs,
                         .offline = o->offline};
}

/* Says why a daemon call failed; returns the exit status. */
static int remote_failed(baton_rc rc) {
  cli_report("baton", baton_errmsg(NULL)); /* BATON_IO: the daemon closed the connection */
  return cli_exit_code(rc);
}

int remote_run(baton_client *d, const opts *o, const char *plan, baton_event_fn on_event,
               void *ud) {
  baton_request req = request_of(o, plan);
  struct sigaction sa = {.sa_handler = on_sigint}, old;
  sigemptyset(&sa.sa_mask);
  running = d;
  sigaction(SIGINT, &sa, &old);
  char *result = NULL;
  baton_rc rc = baton_client_submit(d, &req, on_event, ud, &result);
  sigaction(SIGINT, &old, NULL);
  running = NULL;
  baton_client_close(d);
  if (!result)
    return remote_failed(rc);
  cJSON *res = cJSON_Parse(result);
  if (o->json) {
    cli_print_json(result);
  } else {
    const char *summary = cli_jstr(res, "summary");
    fputs(*summary ? summary : "(no answer)\n", stdout);
    cli_hint_fetch(res);
  }
  cli_say_how_it_ended(res);
  cJSON_Delete(res);
  baton_free(result);
  return rc == BATON_OK ? 0 : EXIT_TASK_FAILED;
}

int remote_plan(baton_client *d, const opts *o, char **json_out, char **note_out) {
  baton_request req = request_of(o, NULL);
  baton_rc rc = baton_client_plan_noted(d, &req, json_out, note_out);
  baton_client_close(d);
  return rc == BATON_OK ? 0 : remote_failed(rc);
}
