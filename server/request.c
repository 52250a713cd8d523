/* request.c — one JSON-RPC request line: checked, then answered on the loop or queued. */
#include <stdlib.h>
#include <string.h>

#include "server/internal.h"
#include "server/wire.h"
#include "core/banned.h"

int baton__srv_parse_line(const char *line, size_t len, baton__rpc_req *out, char *msg,
                          size_t cap) {
  memset(out, 0, sizeof *out);
  cJSON *id_seen = NULL;
  cJSON *m = baton__wire_parse(line, len, msg, cap, &id_seen);
  if (!m) {
    if (id_seen) /* the error answers that id */
      out->id_json = cJSON_PrintUnformatted(id_seen);
    cJSON_Delete(id_seen);
    return -32700;
  }
  out->msg = m;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
  if (cJSON_IsObject(m) && id && (cJSON_IsString(id) || cJSON_IsNumber(id) || cJSON_IsNull(id)))
    out->id_json = cJSON_PrintUnformatted(id);
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m, "jsonrpc");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
  cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
  if (!cJSON_IsObject(m)) {
    baton__fmt(msg, cap, "%s",
               cJSON_IsArray(m) ? "invalid request: batches are not supported"
                                : "invalid request: expected a JSON object");
    return -32600;
  }
  if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0 || !cJSON_IsString(method) ||
      (id && !out->id_json)) {
    baton__fmt(msg, cap,
               "invalid request: needs \"jsonrpc\":\"2.0\", a string \"method\" and an id that "
               "is a string, number or null");
    return -32600;
  }
  if (params && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
    baton__fmt(msg, cap, "invalid params: 'params' must be an object");
    return -32602;
  }
  out->method = method->valuestring;
  out->params = cJSON_IsObject(params) ? params : NULL;
  return 0;
}

void baton__srv_rpc_req_release(baton__rpc_req *r) {
  cJSON_free(r->id_json);
  cJSON_Delete(r->msg);
  memset(r, 0, sizeof *r);
}

/* Handles one request line. */
void baton__srv_handle_line(baton_server *srv, conn *c, const char *line, size_t len) {
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  if (len == 0)
    return;
  baton__rpc_req rq;
  char txt[200];
  int code = baton__srv_parse_line(line, len, &rq, txt, sizeof txt);
  if (code) {
    baton__srv_post_error(srv, c->id, rq.id_json, code, txt, 0);
    baton__srv_rpc_req_release(&rq);
    return;
  }
  const char *m = rq.method;
  if (baton__srv_loop_method(srv, c->id, c->uid, m, rq.id_json, rq.params))
    goto out;
  if (!baton__srv_job_method(m)) {
    baton__fmt(txt, sizeof txt, "method not found: '%.100s'", m);
    baton__srv_post_error(srv, c->id, rq.id_json, -32601, txt, 0);
    goto out;
  }
  job *j = calloc(1, sizeof *j);
  if (!j || !(j->method = baton__strdup(m))) {
    free(j);
    baton__srv_post_rc(srv, c->id, rq.id_json, BATON_NOMEM, NULL);
    goto out;
  }
  j->kind = JOB_CALL;
  j->client = c->id;
  j->uid = c->uid;
  j->gid = c->gid;
  if (c->n_groups && !(j->groups = malloc(c->n_groups * sizeof *c->groups))) {
    baton__srv_job_free(j);
    baton__srv_post_rc(srv, c->id, rq.id_json, BATON_NOMEM, NULL);
    goto out;
  }
  if (c->n_groups)
    memcpy(j->groups, c->groups, c->n_groups * sizeof *c->groups);
  j->n_groups = c->n_groups;
  j->id_json = rq.id_json;
  rq.id_json = NULL;
  if (rq.params) {
    cJSON_DetachItemViaPointer(rq.msg, rq.params);
    j->params = rq.params;
  } else {
    j->params = cJSON_CreateObject();
  }
  c->inflight++; /* until its answer: see baton__srv_post_done() */
  baton__srv_push_job(srv, j);
out:
  baton__srv_rpc_req_release(&rq);
}
