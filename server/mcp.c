/* mcp.c — the MCP server's session: reads JSON-RPC lines, lifecycle, dispatch, call threads, shutdown. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/text.h"
#include "runtime/context.h"
#include "server/mcp.h"
#include "server/rpc_client.h"
#include "server/wire.h"
#include "core/banned.h"

/* Protocol revisions this server speaks, newest first. */
static const char *const protocol_versions[] = {"2025-06-18", "2025-03-26", "2024-11-05"};
static const int protocol_revisions[] = {20250618, 20250326, 20241105}; /* the same */

/* ---- writing ------------------------------------------------------------- */

void baton__mcp_send(mcp_server *s, const cJSON *msg) {
  char *text = cJSON_PrintUnformatted(msg);
  if (!text)
    return;
  pthread_mutex_lock(&s->out_lock);
  if (!atomic_load(&s->out_dead) && (baton__rpc_write_all(s->opts.out_fd, text, strlen(text)) ||
                                     baton__rpc_write_all(s->opts.out_fd, "\n", 1)))
    atomic_store(&s->out_dead, true);
  pthread_mutex_unlock(&s->out_lock);
  cJSON_free(text);
}

static cJSON *envelope(const cJSON *id) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  cJSON_AddItemToObject(m, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
  return m;
}

static cJSON *result_msg(const cJSON *id, cJSON *result) {
  cJSON *m = envelope(id);
  cJSON_AddItemToObject(m, "result", result ? result : cJSON_CreateObject());
  return m;
}

static cJSON *error_msg(const cJSON *id, int code, const char *fmt, va_list ap) {
  char text[1024];
  vsnprintf(text, sizeof text, fmt, ap);
  cJSON *m = envelope(id);
  cJSON *e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", text);
  return m;
}

/* Sends a response (taken over), or adds it to batch b when there is one. */
static void deliver(mcp_server *s, mcp_batch *b, cJSON *m) {
  if (b) {
    baton__mcp_batch_add(b, m);
    return;
  }
  baton__mcp_send(s, m);
  cJSON_Delete(m);
}

void baton__mcp_reply(mcp_server *s, const cJSON *id, cJSON *result) {
  deliver(s, s->batch, result_msg(id, result));
}

void baton__mcp_reply_error(mcp_server *s, const cJSON *id, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cJSON *m = error_msg(id, code, fmt, ap);
  va_end(ap);
  deliver(s, s->batch, m);
}

void baton__mcp_reply_rc(mcp_server *s, const cJSON *id, baton_rc rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cJSON *m = error_msg(id, -32000 - (int)rc, fmt, ap);
  va_end(ap);
  cJSON *data = cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(m, "error"), "data");
  cJSON_AddNumberToObject(data, "rc", (double)rc);
  cJSON_AddStringToObject(data, "reason", baton_strerror(rc));
  deliver(s, s->batch, m);
}

void baton__mcp_call_reply(mcp_call *c, cJSON *result) {
  deliver(c->srv, c->batch, result_msg(c->id, result));
}

void baton__mcp_call_error(mcp_call *c, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cJSON *m = error_msg(c->id, code, fmt, ap);
  va_end(ap);
  deliver(c->srv, c->batch, m);
}

void baton__mcp_notify(mcp_server *s, const char *method, cJSON *params) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  cJSON_AddStringToObject(m, "method", method);
  if (params)
    cJSON_AddItemToObject(m, "params", params);
  baton__mcp_send(s, m);
  cJSON_Delete(m);
}

void baton__mcp_log(mcp_server *s, baton_log_level level, const char *fmt, ...) {
  if (!s->opts.log_fn || level > s->opts.log_level)
    return;
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  s->opts.log_fn(s->opts.log_userdata, level, text);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void on_initialize(mcp_server *s, const cJSON *id, const cJSON *params) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
  if (!cJSON_IsString(v)) {
    baton__mcp_reply_error(s, id, MCP_INVALID_PARAMS, "initialize needs params.protocolVersion");
    return;
  }
  size_t agreed = 0;
  for (size_t i = 0; i < sizeof protocol_versions / sizeof *protocol_versions; i++)
    if (!strcmp(v->valuestring, protocol_versions[i]))
      agreed = i;
  const char *version = protocol_versions[agreed];
  atomic_store(&s->revision, protocol_revisions[agreed]); /* what results may hold */
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "protocolVersion", version);
  cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
  cJSON_AddFalseToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged");
  cJSON *res = cJSON_AddObjectToObject(caps, "resources");
  cJSON_AddFalseToObject(res, "listChanged");
  cJSON_AddFalseToObject(res, "subscribe");
  cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
  cJSON_AddStringToObject(info, "name", "baton");
  if (protocol_revisions[agreed] >= MCP_REV_STRUCTURED) /* Implementation.title: 2025-06-18 */
    cJSON_AddStringToObject(info, "title", "baton task orchestrator");
  cJSON_AddStringToObject(info, "version", baton_version());
  cJSON_AddStringToObject(
      r, "instructions",
      "baton plans a request in plain language into tasks (read text in an image, speak it, "
      "translate, summarise...), runs each on a model and answers. Use `run` for a whole "
      "request, one task tool for a single step, `plan` to see the task graph first. File "
      "paths are relative to the server's working folder.");
  s->initialized = true;
  baton__mcp_reply(s, id, r);
}

/* ---- calls --------------------------------------------------------------- */

static void *call_main(void *arg) {
  mcp_call *c = arg;
  baton__mcp_tools_call(c);
  if (c->batch) /* its response is in (or dropped, when cancelled): the batch may go out */
    baton__mcp_batch_release(c->srv, c->batch);
  c->batch = NULL;
  pthread_mutex_lock(&c->srv->lock);
  c->finished = true;
  pthread_mutex_unlock(&c->srv->lock);
  return NULL;
}

static void call_release(mcp_call *c) {
  pthread_join(c->thread, NULL);
  cJSON_Delete(c->id);
  cJSON_Delete(c->params);
  cJSON_Delete(c->token);
  pthread_mutex_destroy(&c->lock);
  memset(c, 0, sizeof *c);
}

/* Joins the calls whose threads are done (takes and drops srv->lock). */
static void reap_calls(mcp_server *s) {
  for (int i = 0; i < MCP_MAX_CALLS; i++) {
    pthread_mutex_lock(&s->lock);
    bool done = s->calls[i].used && s->calls[i].finished;
    pthread_mutex_unlock(&s->lock);
    if (done)
      call_release(&s->calls[i]);
  }
}

static void start_call(mcp_server *s, const cJSON *id, const cJSON *params) {
  reap_calls(s);
  mcp_call *c = NULL;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; !c && i < MCP_MAX_CALLS; i++)
    if (!s->calls[i].used)
      c = &s->calls[i];
  if (c)
    c->used = true;
  pthread_mutex_unlock(&s->lock);
  if (!c) {
    baton__mcp_reply_rc(s, id, BATON_BUSY,
                        "%d tool calls are already running; wait for one to finish",
                        MCP_MAX_CALLS);
    return;
  }
  c->srv = s;
  c->id = cJSON_Duplicate(id, 1);
  c->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  const cJSON *tok = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(params, "_meta"), "progressToken");
  if (cJSON_IsString(tok) || cJSON_IsNumber(tok))
    c->token = cJSON_Duplicate(tok, 1);
  atomic_init(&c->cancelled, false);
  pthread_mutex_init(&c->lock, NULL);
  if ((c->batch = s->batch)) /* the reader's own hold keeps it until the batch is read */
    baton__mcp_batch_hold(c->batch);
  if (pthread_create(&c->thread, NULL, call_main, c) != 0) {
    if (c->batch)
      baton__mcp_batch_release(s, c->batch);
    baton__mcp_reply_error(s, id, MCP_INTERNAL_ERROR, "cannot start a thread for the call");
    cJSON_Delete(c->id);
    cJSON_Delete(c->params);
    cJSON_Delete(c->token);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_lock(&s->lock);
    memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&s->lock);
  }
}

static bool same_id(const cJSON *a, const cJSON *b) {
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return a->valuedouble == b->valuedouble;
  return cJSON_IsString(a) && cJSON_IsString(b) && !strcmp(a->valuestring, b->valuestring);
}

void baton__mcp_call_answering(mcp_call *c) {
  pthread_mutex_lock(&c->srv->lock);
  c->answered = true;
  pthread_mutex_unlock(&c->srv->lock);
}

/* Whether a tools/call with this id is still running, not yet answered:
 * the id may not be used again until then. */
static bool id_pending(mcp_server *s, const cJSON *id) {
  bool found = false;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < MCP_MAX_CALLS && !found; i++)
    found = s->calls[i].used && !s->calls[i].answered && same_id(s->calls[i].id, id);
  pthread_mutex_unlock(&s->lock);
  return found;
}

/* notifications/cancelled: stops the call with that request id, if running. */
static void on_cancelled(mcp_server *s, const cJSON *params) {
  const cJSON *rid = cJSON_GetObjectItemCaseSensitive(params, "requestId");
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < MCP_MAX_CALLS; i++) {
    mcp_call *c = &s->calls[i];
    if (c->used && !c->finished && same_id(c->id, rid)) {
      baton__mcp_log(s, BATON_LOG_INFO, "mcp: the client cancelled a tool call");
      baton__mcp_exec_cancel(c);
    }
  }
  pthread_mutex_unlock(&s->lock);
}

/* The client is gone: cancels every call and waits for them. */
static void stop_calls(mcp_server *s) {
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < MCP_MAX_CALLS; i++)
    if (s->calls[i].used && !s->calls[i].finished)
      baton__mcp_exec_cancel(&s->calls[i]);
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < MCP_MAX_CALLS; i++)
    if (s->calls[i].used)
      call_release(&s->calls[i]);
}

/* The input ended: the calls still running finish and send their responses,
 * unless the output goes too (the client is gone: a hang-up on it, or a
 * failed write), which leaves them to stop_calls() to cancel. */
static void finish_calls(mcp_server *s) {
  for (;;) {
    bool running = false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < MCP_MAX_CALLS; i++)
      running |= s->calls[i].used && !s->calls[i].finished;
    pthread_mutex_unlock(&s->lock);
    if (!running || atomic_load(&s->out_dead))
      return;
    struct pollfd p = {.fd = s->opts.out_fd, .events = 0};
    if (poll(&p, 1, 100) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
      atomic_store(&s->out_dead, true);
      return;
    }
  }
}

/* ---- dispatch ------------------------------------------------------------ */

/* Whether method answers a list a page at a time (a cursor may follow). */
static bool paged(const char *method) {
  return !strcmp(method, "tools/list") || !strcmp(method, "resources/list") ||
         !strcmp(method, "resources/templates/list");
}

/* A list's params.cursor: every list here comes in one page, with no
 * nextCursor, so any cursor is unknown. true when none was sent, else the
 * error is sent. */
static bool no_cursor(mcp_server *s, const cJSON *id, const cJSON *params, const char *method) {
  const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(params, "cursor");
  if (!cursor || cJSON_IsNull(cursor))
    return true;
  baton__mcp_reply_error(s, id, MCP_INVALID_PARAMS,
                         "%s: unknown cursor (this server sends every item in one page, "
                         "with no nextCursor)",
                         method);
  return false;
}

static void on_request(mcp_server *s, const char *method, const cJSON *id, const cJSON *params) {
  if (!strcmp(method, "initialize")) {
    on_initialize(s, id, params);
  } else if (!strcmp(method, "ping")) {
    baton__mcp_reply(s, id, cJSON_CreateObject());
  } else if (!s->initialized) {
    baton__mcp_reply_error(s, id, MCP_INVALID_REQUEST,
                           "the session is not initialized: send initialize before %s", method);
  } else if (paged(method) && !no_cursor(s, id, params, method)) {
    /* refused */
  } else if (!strcmp(method, "tools/list")) {
    cJSON *r = baton__mcp_tools_list(s);
    if (r)
      baton__mcp_reply(s, id, r);
    else
      baton__mcp_reply_error(s, id, MCP_INTERNAL_ERROR, "cannot list the tools: %s",
                             baton_errmsg(s->ctx));
  } else if (!strcmp(method, "tools/call")) {
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "name")))
      baton__mcp_reply_error(s, id, MCP_INVALID_PARAMS, "tools/call needs params.name");
    else
      start_call(s, id, params);
  } else if (!strcmp(method, "resources/list")) {
    baton__mcp_reply(s, id, baton__mcp_res_list(s));
  } else if (!strcmp(method, "resources/templates/list")) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddArrayToObject(r, "resourceTemplates");
    baton__mcp_reply(s, id, r);
  } else if (!strcmp(method, "resources/read")) {
    baton__mcp_res_read(s, id, params);
  } else {
    baton__mcp_reply_error(s, id, MCP_METHOD_NOT_FOUND, "unknown method '%.200s'", method);
  }
}

/* One message (m, borrowed) from the client, alone or in a batch. */
static void on_item(mcp_server *s, const cJSON *m, bool in_batch) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m, "jsonrpc");
  bool id_ok = cJSON_IsString(id) || cJSON_IsNumber(id);
  if (!cJSON_IsObject(m) || !cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") ||
      (id && !id_ok) || (params && !cJSON_IsObject(params))) {
    baton__mcp_reply_error(
        s, id_ok ? id : NULL, MCP_INVALID_REQUEST,
        "invalid request: expected a JSON-RPC 2.0 object with an object as params");
  } else if (!method && (cJSON_HasObjectItem(m, "result") || cJSON_HasObjectItem(m, "error"))) {
    /* a response to a request we never send: ignore */
  } else if (!method) {
    baton__mcp_reply_error(s, id, MCP_INVALID_REQUEST,
                           "invalid request: no \"method\" (and not a response either)");
  } else if (!cJSON_IsString(method)) {
    baton__mcp_reply_error(s, id, MCP_INVALID_REQUEST, "invalid request: method must be a string");
  } else if (id && id_pending(s, id)) {
    baton__mcp_reply_error(s, id, MCP_INVALID_REQUEST,
                           "invalid request: this id is in use by a request still running "
                           "(an id may not be reused while its request is pending)");
  } else if (id && in_batch && !strcmp(method->valuestring, "initialize")) {
    baton__mcp_reply_error(s, id, MCP_INVALID_REQUEST,
                           "invalid request: initialize may not be part of a batch");
  } else if (id) {
    on_request(s, method->valuestring, id, params);
  } else if (!strcmp(method->valuestring, "notifications/cancelled")) {
    on_cancelled(s, params);
  } /* other notifications (initialized, roots changed...) need nothing */
}

/* A JSON-RPC batch: on revision 2025-03-26 (the one that has them) each of its messages is
 * handled as if alone, and their responses go out as one array once the last is in (a
 * tools/call's when its run ends; meanwhile other messages are read and answered). Refused
 * with one error before initialize, on other revisions, when empty or past MCP_MAX_BATCH. */
static void on_batch(mcp_server *s, const cJSON *arr) {
  int rev = atomic_load(&s->revision), n = cJSON_GetArraySize(arr);
  mcp_batch *b = NULL;
  if (!s->initialized)
    baton__mcp_reply_error(s, NULL, MCP_INVALID_REQUEST,
                           "invalid request: batches (JSON arrays) are taken only after "
                           "initialize, on protocol revision 2025-03-26: send one message per "
                           "line");
  else if (rev != MCP_REV_BATCH)
    baton__mcp_reply_error(s, NULL, MCP_INVALID_REQUEST,
                           "invalid request: protocol revision %04d-%02d-%02d has no batches "
                           "(JSON arrays; only 2025-03-26 has them): send one message per line",
                           rev / 10000, rev / 100 % 100, rev % 100);
  else if (n == 0)
    baton__mcp_reply_error(s, NULL, MCP_INVALID_REQUEST, "Invalid Request: an empty batch");
  else if (n > MCP_MAX_BATCH)
    baton__mcp_reply_error(s, NULL, MCP_INVALID_REQUEST,
                           "invalid request: a batch of %d messages; at most %d are taken", n,
                           MCP_MAX_BATCH);
  else if (!(b = baton__mcp_batch_new()))
    baton__mcp_reply_error(s, NULL, MCP_INTERNAL_ERROR, "out of memory reading a batch");
  if (!b)
    return;
  s->batch = b;
  const cJSON *m;
  cJSON_ArrayForEach(m, arr) on_item(s, m, true);
  s->batch = NULL;
  baton__mcp_batch_release(s, b);
}

/* One line from the client: a message or a batch of them. */
static void on_message(mcp_server *s, const char *line, size_t len) {
  char why[256];
  cJSON *id = NULL;
  cJSON *m = baton__wire_parse(line, len, why, sizeof why, &id);
  if (!m) {
    baton__mcp_reply_error(s, id, MCP_PARSE_ERROR, "%s", why);
    cJSON_Delete(id);
    return;
  }
  if (cJSON_IsArray(m))
    on_batch(s, m);
  else
    on_item(s, m, false);
  cJSON_Delete(m);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct line_reader {
  char *buf;
  size_t len, cap;
  bool skipping; /* inside an oversized line: drop until its newline */
} line_reader;

/* Handles the complete lines in the buffer and keeps the rest. */
static void drain_lines(mcp_server *s, line_reader *r) {
  size_t start = 0;
  for (;;) {
    char *nl = memchr(r->buf + start, '\n', r->len - start);
    if (!nl)
      break;
    size_t n = (size_t)(nl - (r->buf + start));
    if (r->skipping)
      r->skipping = false;
    else if (n > 0 && !(n == 1 && r->buf[start] == '\r'))
      on_message(s, r->buf + start, n);
    start += n + 1;
  }
  memmove(r->buf, r->buf + start, r->len - start);
  r->len -= start;
  if (r->len > MCP_MAX_MESSAGE) {
    if (!r->skipping)
      baton__mcp_reply_error(s, NULL, MCP_INVALID_REQUEST, "message larger than %u bytes: dropped",
                             MCP_MAX_MESSAGE);
    r->skipping = true;
    r->len = 0;
  }
}

/* Reads until end of input (or a read error, or the output is gone). true at
 * the end of the input. */
static bool read_loop(mcp_server *s) {
  bool eof = false;
  line_reader r = {.cap = 65536};
  r.buf = malloc(r.cap);
  while (r.buf && !atomic_load(&s->out_dead)) {
    if (r.cap - r.len < 65536) {
      size_t cap = r.cap * 2;
      char *nb = realloc(r.buf, cap);
      if (!nb)
        break;
      r.buf = nb;
      r.cap = cap;
    }
    struct pollfd p = {.fd = s->opts.in_fd, .events = POLLIN};
    int pr = poll(&p, 1, 1000);
    if (pr < 0 && errno != EINTR)
      break;
    if (pr <= 0) {
      reap_calls(s);
      continue;
    }
    ssize_t n = read(s->opts.in_fd, r.buf + r.len, r.cap - r.len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0) {
      eof = n == 0;
      break;
    }
    r.len += (size_t)n;
    drain_lines(s, &r);
  }
  if (eof && r.buf && r.len && !r.skipping && !(r.len == 1 && r.buf[0] == '\r'))
    on_message(s, r.buf, r.len); /* a last line without its newline */
  free(r.buf);
  return eof;
}

baton_rc baton_mcp_serve(const baton_mcp_options *opts, char **errmsg_out) {
  if (errmsg_out)
    *errmsg_out = NULL;
  baton_mcp_options o;
  baton_rc rc = opts ? baton__sized_copy(&o, sizeof o, opts, "baton_mcp_options")
                     : baton__fail(NULL, BATON_INVALID, "baton_mcp_serve: no options");
  if (rc != BATON_OK) {
    if (errmsg_out)
      *errmsg_out = strdup(baton_errmsg(NULL));
    return rc;
  }
  mcp_server *s = calloc(1, sizeof *s);
  if (!s)
    return BATON_NOMEM;
  s->opts = o; /* config_path stays borrowed until this returns */
  rc = baton_open(o.config_path, &s->ctx);
  if (rc != BATON_OK) {
    if (errmsg_out)
      *errmsg_out = strdup(s->ctx ? baton_errmsg(s->ctx) : baton_strerror(rc));
    baton_close(s->ctx);
    free(s);
    return rc;
  }
  if (o.log_fn)
    baton_set_log(s->ctx, o.log_level, o.log_fn, o.log_userdata);
  pthread_mutex_init(&s->out_lock, NULL);
  pthread_mutex_init(&s->lock, NULL);
  atomic_init(&s->out_dead, false);
  atomic_init(&s->revision, protocol_revisions[0]);
  if (read_loop(s)) {
    baton__mcp_log(s, BATON_LOG_INFO, "mcp: the input ended: finishing the calls in flight");
    finish_calls(s);
  }
  baton__mcp_log(s, BATON_LOG_INFO, "mcp: the client closed the session");
  stop_calls(s);
  baton__mcp_res_free(s);
  baton_close(s->ctx);
  pthread_mutex_destroy(&s->out_lock);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return BATON_OK;
}
