/* request.c — one JSON-RPC request line: checked, then answered on the loop or queued. */
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "server/internal.h"
#include "core/banned.h"

/* Handles one request line. */
void baton__srv_handle_line(baton_server *srv, conn *c, const char *line, size_t len) {
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  if (len == 0)
    return;
  const char *bad = baton__json_text_problem(line, len);
  if (bad) {
    char txt[200];
    baton__fmt(txt, sizeof txt, "parse error: the request is refused: %s", bad);
    baton__srv_post_error(srv, c->id, NULL, -32700, txt, 0);
    return;
  }
  cJSON *msg = cJSON_ParseWithLength(line, len);
  if (!msg) {
    baton__srv_post_error(srv, c->id, NULL, -32700, "parse error: not valid JSON", 0);
    return;
  }
  char *id_json = NULL;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  if (cJSON_IsObject(msg) && id && (cJSON_IsString(id) || cJSON_IsNumber(id) || cJSON_IsNull(id)))
    id_json = cJSON_PrintUnformatted(id);
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
  cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  if (!cJSON_IsObject(msg)) {
    baton__srv_post_error(srv, c->id, NULL, -32600,
                          cJSON_IsArray(msg) ? "invalid request: batches are not supported"
                                             : "invalid request: expected a JSON object",
                          0);
    goto out;
  }
  if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0 || !cJSON_IsString(method) ||
      (id && !id_json)) {
    baton__srv_post_error(
        srv, c->id, id_json, -32600,
        "invalid request: needs \"jsonrpc\":\"2.0\", a string \"method\" and an id that "
        "is a string, number or null",
        0);
    goto out;
  }
  if (params && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
    baton__srv_post_error(srv, c->id, id_json, -32602, "invalid params: 'params' must be an object",
                          0);
    goto out;
  }
  const char *m = method->valuestring;
  if (baton__srv_loop_method(srv, c->id, m, id_json, params))
    goto out;
  if (!baton__srv_job_method(m)) {
    char txt[160];
    baton__fmt(txt, sizeof txt, "method not found: '%.100s'", m);
    baton__srv_post_error(srv, c->id, id_json, -32601, txt, 0);
    goto out;
  }
  job *j = calloc(1, sizeof *j);
  if (!j || !(j->method = baton__strdup(m))) {
    free(j);
    baton__srv_post_rc(srv, c->id, id_json, BATON_NOMEM, NULL);
    goto out;
  }
  j->kind = JOB_CALL;
  j->client = c->id;
  j->uid = c->uid;
  j->id_json = id_json;
  id_json = NULL;
  if (params && cJSON_IsObject(params)) {
    cJSON_DetachItemViaPointer(msg, params);
    j->params = params;
  } else {
    j->params = cJSON_CreateObject();
  }
  c->inflight++; /* until its answer: see baton__srv_post_done() */
  baton__srv_push_job(srv, j);
out:
  cJSON_free(id_json);
  cJSON_Delete(msg);
}
