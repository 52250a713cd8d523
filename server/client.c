/* client.c — the public daemon client (baton_client_*): batond's JSON-RPC as baton.h's calls and codes. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/context.h"
#include "server/rpc_client.h"
#include "core/banned.h"

struct baton_client {
  baton__rpc_conn *conn;
  atomic_int cancel; /* baton_client_cancel() was called */
};

baton_rc baton_client_connect(const char *config_path, baton_client **out) {
  *out = NULL;
  const char *off = getenv("BATON_NO_DAEMON");
  if (off && *off && strcmp(off, "0") != 0)
    return baton__fail(NULL, BATON_NOTFOUND, "BATON_NO_DAEMON is set: not using the daemon");
  char *path = NULL;
  baton_rc rc = baton_socket_path(config_path, &path);
  if (rc != BATON_OK)
    return rc;
  baton_client *c = calloc(1, sizeof *c);
  if (!c) {
    baton_free(path);
    return baton__fail(NULL, BATON_NOMEM, "out of memory");
  }
  atomic_init(&c->cancel, 0);
  c->conn = baton__rpc_connect(path);
  if (!c->conn) {
    int e = errno;
    rc = e == EACCES || e == EPERM ? BATON_DENIED : e == ENOMEM ? BATON_NOMEM : BATON_NOTFOUND;
    baton__fail(NULL, rc, "no daemon answers on %s: %s", path, strerror(e));
    baton_free(path);
    free(c);
    return rc;
  }
  baton_free(path);
  *out = c;
  return BATON_OK;
}

void baton_client_close(baton_client *c) {
  if (!c)
    return;
  baton__rpc_close(c->conn);
  free(c);
}

void baton_client_cancel(baton_client *c) {
  if (c)
    atomic_store(&c->cancel, 1);
}

/* The code of an error answer: the project's (-32000 - rc), JSON-RPC's own
 * (bad request or parameters) as BATON_INVALID, anything else BATON_ERROR. */
static baton_rc reply_rc(const cJSON *reply) {
  int code = baton__rpc_error_code(reply);
  if (code <= -32600 && code >= -32700)
    return BATON_INVALID;
  if (code < -32000 && code > -32100)
    return (baton_rc)(-32000 - code);
  return BATON_ERROR;
}

/* Turns a response into the result text or the error it carries; frees
 * reply. NULL reply: the connection closed. */
static baton_rc take_reply(cJSON *reply, char **result_json) {
  if (!reply)
    return baton__fail(NULL, BATON_IO, "the daemon closed the connection");
  const char *err = baton__rpc_error_message(reply);
  baton_rc rc = BATON_OK;
  if (err) {
    rc = baton__fail(NULL, reply_rc(reply), "%s", err);
  } else {
    *result_json = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(reply, "result"));
    if (!*result_json)
      rc = baton__fail(NULL, BATON_NOMEM, "out of memory");
  }
  cJSON_Delete(reply);
  return rc;
}

/* Sends a request and waits for its response (NULL when the connection
 * failed); notifications are dropped. */
static cJSON *call(baton_client *c, const char *method, const cJSON *params) {
  cJSON *reply = NULL;
  return baton__rpc_call(c->conn, method, params, NULL, NULL, &reply) == 0 ? reply : NULL;
}

baton_rc baton_client_call(baton_client *c, const char *method, const char *params_json,
                           char **result_json) {
  *result_json = NULL;
  if (!c || !method || !*method)
    return baton__fail(NULL, BATON_INVALID, "baton_client_call: no client or no method");
  cJSON *params = params_json ? cJSON_Parse(params_json) : NULL;
  if (params_json && !cJSON_IsObject(params)) {
    cJSON_Delete(params);
    return baton__fail(NULL, BATON_INVALID, "the params of %s are not a JSON object", method);
  }
  cJSON *reply = call(c, method, params);
  cJSON_Delete(params);
  return take_reply(reply, result_json);
}

/* The params of submit and plan for req (checked and sized); NULL after
 * recording why. */
static cJSON *request_params(const baton_request *given) {
  baton_request req;
  if (!given) {
    baton__fail(NULL, BATON_INVALID, "no request");
    return NULL;
  }
  if (baton__sized_copy(&req, sizeof req, given, "baton_request") != BATON_OK)
    return NULL;
  if (!req.text == !req.plan_json) {
    baton__fail(NULL, BATON_INVALID, "give the request text or a plan, one of the two");
    return NULL;
  }
  cJSON *p = baton__rpc_submit_params(req.text, req.plan_json, req.inputs, req.n_inputs,
                                      req.offline);
  cJSON *msgs = req.messages ? cJSON_Parse(req.messages) : NULL;
  if (req.messages && !cJSON_IsArray(msgs)) {
    cJSON_Delete(msgs);
    cJSON_Delete(p);
    baton__fail(NULL, BATON_INVALID, "the request's messages are not a JSON array");
    return NULL;
  }
  if (msgs)
    cJSON_AddItemToObject(p, "messages", msgs);
  if (req.input_root) {
    char root[PATH_MAX];
    if (!realpath(req.input_root, root)) {
      baton__fail(NULL, BATON_INVALID, "input_root %s: %s", req.input_root, strerror(errno));
      cJSON_Delete(p);
      return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(p, "cwd");
    cJSON_AddStringToObject(p, "cwd", root);
  }
  return p;
}

baton_rc baton_client_plan(baton_client *c, const baton_request *req, char **json_out) {
  return baton_client_plan_noted(c, req, json_out, NULL);
}

/* Keeps the text of the daemon's `notice` {type: "plan.note"} in *ud (a char *). */
static void take_plan_note(void *ud, const cJSON *msg) {
  char **note = ud;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "method");
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(msg, "params");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(p, "text");
  if (!*note && cJSON_IsString(m) && !strcmp(m->valuestring, "notice") && cJSON_IsString(type) &&
      !strcmp(type->valuestring, "plan.note") && cJSON_IsString(text))
    *note = baton__strndup(text->valuestring, strnlen(text->valuestring, 4096));
}

baton_rc baton_client_plan_noted(baton_client *c, const baton_request *req, char **json_out,
                                 char **note_out) {
  *json_out = NULL;
  if (note_out)
    *note_out = NULL;
  if (!c)
    return baton__fail(NULL, BATON_INVALID, "baton_client_plan: no client");
  cJSON *params = request_params(req);
  if (!params)
    return BATON_INVALID;
  char *note = NULL;
  cJSON *reply = NULL;
  if (baton__rpc_call(c->conn, "plan", params, take_plan_note, &note, &reply) != 0)
    reply = NULL;
  cJSON_Delete(params);
  baton_rc rc = take_reply(reply, json_out);
  if (rc == BATON_OK && note_out)
    *note_out = note, note = NULL;
  free(note);
  return rc;
}

/* Passes the daemon's events on with the caller's userdata. */
typedef struct relay {
  baton_client *c;
  baton_event_fn fn;
  void *ud;
  char run_id[64]; /* the run's id, once an event gave it */
} relay;

static void relay_event(void *ud, const baton_event *ev) {
  relay *r = ud;
  if (!r->run_id[0] && ev->run_id && strlen(ev->run_id) < sizeof r->run_id)
    baton__fmt(r->run_id, sizeof r->run_id, "%s", ev->run_id);
  if (r->fn)
    r->fn(r->ud, ev);
}

static bool relay_cancelled(void *ud) { return atomic_load(&((relay *)ud)->c->cancel) != 0; }

/* How a run ended, from the "status" of the response's result. */
static baton_rc status_rc(const cJSON *reply) {
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "result");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
  const char *s = cJSON_IsString(st) ? st->valuestring : "";
  if (!strcmp(s, "done"))
    return BATON_OK;
  bool cancelled = !strcmp(s, "cancelled");
  return baton__fail(NULL, cancelled ? BATON_CANCELLED : BATON_EXEC, "the run ended %s",
                     cancelled ? "cancelled" : "with failed tasks");
}

baton_rc baton_client_submit(baton_client *c, const baton_request *req, baton_event_fn on_event,
                             void *userdata, char **result_json) {
  *result_json = NULL;
  if (!c)
    return baton__fail(NULL, BATON_INVALID, "baton_client_submit: no client");
  atomic_store(&c->cancel, 0);
  cJSON *params = request_params(req);
  if (!params)
    return BATON_INVALID;
  relay r = {.c = c, .fn = on_event, .ud = userdata};
  cJSON *reply = baton__rpc_submit(c->conn, params, relay_event, relay_cancelled, &r);
  cJSON_Delete(params);
  if (!reply && r.run_id[0]) { /* the daemon stopped, or was killed, with the run in flight */
    char lost[400];
    baton__rpc_lost_run(lost, sizeof lost, r.run_id);
    return baton__fail(NULL, BATON_IO, "%s", lost);
  }
  baton_rc ended = reply && !baton__rpc_error_message(reply) ? status_rc(reply) : BATON_OK;
  baton_rc rc = take_reply(reply, result_json);
  return rc == BATON_OK ? ended : rc;
}
