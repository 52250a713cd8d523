/* openai_wire.c — helpers shared by the "openai" executor's files: arguments, one request to a replica with its error shapes, outputs. */
#include "executors/openai.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/http.h"
#include "core/banned.h"

const char *baton__oai_arg(const baton__values *in, const char *name) {
  const baton__value *v = baton__values_get(in, name);
  if ((!v || !v->data || !*v->data) && strcmp(name, "text") == 0)
    v = baton__values_get_type(in, BATON__T_TEXT);
  return v && v->data && *v->data ? v->data : NULL;
}

const char *baton__oai_file(const baton__values *in, unsigned type) {
  const baton__value *v = baton__values_get(in, baton__type_name(type));
  if (!v || !v->data || !*v->data)
    v = baton__values_get_type(in, type);
  return v && v->data && *v->data ? v->data : NULL;
}

char *baton__oai_url(const char *base, const char *path) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, base);
  while (sb.len && sb.buf[sb.len - 1] == '/')
    sb.buf[--sb.len] = '\0';
  baton__sb_adds(&sb, path[0] == '/' ? "" : "/");
  baton__sb_adds(&sb, path);
  return baton__sb_detach(&sb);
}

int baton__oai_read(baton__exec_env *env, const char *path, size_t max, char **data,
                    size_t *len) {
  char rerr[400];
  if (baton__read_file(path, max, data, len, rerr, sizeof rerr) != 0) {
    baton__fmt(env->err, sizeof env->err, "%s", rerr);
    return -1;
  }
  return 0;
}

/* An error answer of that status (or a 2xx carrying an error object of that kind, in_body):
 * its message in env->err and what it means for the replica and the model. */
static baton__oai_outcome judge_error(baton__oai_call *c, const baton__http_response *resp,
                                      long status, bool in_body) {
  baton__exec_env *env = c->env;
  char msg[300], note[160];
  baton__http_error_text(resp->body, resp->body_len, msg, sizeof msg);
  baton__fmt(env->err, sizeof env->err, "HTTP %ld%s%s%s%s", resp->status,
             in_body ? " with an error" : "", msg[0] ? ": " : "", msg,
             baton__http_key_note(status, c->t->key_env, c->t->key != NULL, note, sizeof note));
  if (status == 429) {
    c->retry_after_ms = baton__http_retry_after_ms(resp);
    return BATON__OAI_BUSY;
  }
  /* The model cannot take this kind of input (a text-only model sent an image): held against
   * the model, so the next step tries another, and never against the endpoint. */
  bool model_cannot = baton__http_model_cannot(status, resp->body, resp->body_len);
  env->bad_input = baton__http_input_refused(status, resp->body, resp->body_len);
  return status >= 500 && status != 501 && !model_cannot ? BATON__OAI_REPLICA : BATON__OAI_FAILED;
}

baton__oai_outcome baton__oai_send(baton__oai_call *c, baton__http_request *req,
                                   baton__http_response *resp) {
  baton__exec_env *env = c->env;
  char who[400];
  req->bearer = c->t->key;
  req->cancel = env->cancel;
  req->server = baton__http_server_label(c->t->endpoint, c->t->base_url, who, sizeof who);
  if (!req->timeout_ms)
    req->timeout_ms = c->t->timeout_ms;
  if (env->timeout_ms > 0 && (!req->timeout_ms || env->timeout_ms < req->timeout_ms))
    req->timeout_ms = env->timeout_ms;
  c->retry_after_ms = -1;
  env->bad_input = false; /* what this answer says, not an earlier one's */
  baton__http_rc rc = baton__http_perform(req, resp);
  req->server = NULL; /* who[] ends here */
  if (rc == BATON__HTTP_OK) {
    /* A 200 whose body is an error object: judged by the error's kind (an overloaded or
     * failing server is the endpoint's, an unknown model or a bad input is not). */
    long in_body = req->on_data ? 0 : baton__http_body_error_status(resp->body, resp->body_len);
    return in_body ? judge_error(c, resp, in_body, true) : BATON__OAI_DONE;
  }
  if (rc == BATON__HTTP_ECANCELLED) {
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return BATON__OAI_FAILED;
  }
  if (rc != BATON__HTTP_ESTATUS) {
    baton__fmt(env->err, sizeof env->err, "%s",
               resp->err[0] ? resp->err : baton__http_rc_name(rc));
    return rc == BATON__HTTP_ETOOBIG || rc == BATON__HTTP_EINVAL || rc == BATON__HTTP_ENOMEM
               ? BATON__OAI_FAILED
               : BATON__OAI_REPLICA;
  }
  return judge_error(c, resp, resp->status, false);
}

int baton__oai_out(baton__oai_call *c, const char *name, unsigned type, char *data) {
  if (!data || baton__values_add_own(c->out, name, type, data) != 0) {
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
    return -1;
  }
  return 0;
}

int baton__oai_out_json(baton__oai_call *c, const cJSON *j) {
  return baton__oai_out(c, "json", BATON__T_JSON, j ? cJSON_PrintUnformatted(j) : NULL);
}

int baton__oai_out_file(baton__oai_call *c, const char *name, unsigned type, const void *data,
                        size_t len, const char *ext) {
  baton__exec_env *env = c->env;
  if (!env->workspace) {
    baton__fmt(env->err, sizeof env->err, "no workspace to write the %s into", name);
    return -1;
  }
  char fname[300], werr[400];
  baton__fmt(fname, sizeof fname, "%s.%s", env->file_prefix ? env->file_prefix : "out", ext);
  char *path = baton__path_join(env->workspace, fname);
  if (!path) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  if (baton__write_file(path, data, len, werr, sizeof werr) != 0) {
    free(path);
    baton__fmt(env->err, sizeof env->err, "%s", werr);
    return -1;
  }
  return baton__oai_out(c, name, type, baton__path_absolute(path));
}

baton__oai_outcome baton__oai_bad_reply(baton__oai_call *c, const char *body, size_t len) {
  char snip[160];
  baton__http_error_text(body, len, snip, sizeof snip);
  baton__fmt(c->env->err, sizeof c->env->err, "unexpected %s reply from %s: %s",
             c->task->name, c->t->model, snip[0] ? snip : "(empty)");
  return BATON__OAI_FAILED;
}
