/* rpc_client.c — a small JSON-RPC 2.0 line client for batond's socket (see rpc_client.h). */
#include "server/rpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/banned.h"

baton__rpc_conn *baton__rpc_connect(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (!path || strlen(path) >= sizeof sa.sun_path) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return NULL;
  }
  baton__rpc_conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return NULL;
  }
  c->fd = fd;
  c->next_id = 1;
  return c;
}

void baton__rpc_close(baton__rpc_conn *c) {
  if (!c)
    return;
  close(c->fd);
  free(c->buf);
  free(c);
}

int baton__rpc_write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK)
      w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int baton__rpc_send(baton__rpc_conn *c, const char *method, const cJSON *params) {
  cJSON *req = cJSON_CreateObject();
  int id = c->next_id++;
  cJSON_AddStringToObject(req, "jsonrpc", "2.0");
  cJSON_AddNumberToObject(req, "id", id);
  cJSON_AddStringToObject(req, "method", method);
  if (params)
    cJSON_AddItemToObject(req, "params", cJSON_Duplicate(params, 1));
  char *text = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  if (!text)
    return -1;
  size_t n = strlen(text);
  int rc = baton__rpc_write_all(c->fd, text, n) == 0 && baton__rpc_write_all(c->fd, "\n", 1) == 0
               ? id
               : -1;
  cJSON_free(text);
  return rc;
}

/* Takes one complete line out of the buffer, if there is one. */
static int take_line(baton__rpc_conn *c, cJSON **msg) {
  char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
  if (!nl)
    return 0;
  size_t n = (size_t)(nl - c->buf);
  *msg = cJSON_ParseWithLength(c->buf, n);
  memmove(c->buf, nl + 1, c->len - n - 1);
  c->len -= n + 1;
  return *msg ? 1 : -1;
}

int baton__rpc_read(baton__rpc_conn *c, int timeout_ms, cJSON **msg) {
  *msg = NULL;
  for (;;) {
    int t = take_line(c, msg);
    if (t != 0)
      return t;
    if (c->len >= BATON__RPC_MAX_LINE)
      return -1;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int p = poll(&pfd, 1, timeout_ms);
    if (p < 0 && errno == EINTR)
      return 0; /* let the caller look at its signal flags */
    if (p < 0)
      return -1;
    if (p == 0)
      return 0;
    if (c->cap - c->len < 65536) {
      size_t cap = c->cap ? c->cap * 2 : 131072;
      char *nb = realloc(c->buf, cap);
      if (!nb)
        return -1;
      c->buf = nb;
      c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (r < 0 && errno == EINTR)
      return 0;
    if (r <= 0)
      return -1;
    c->len += (size_t)r;
  }
}

/* True when m is an error response with id null: the daemon could not read
 * the id of a request (not JSON, not UTF-8, too long), so it answers the one
 * request outstanding. */
static bool null_id_error(const cJSON *m) {
  return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(m, "id")) &&
         cJSON_HasObjectItem(m, "error") && !cJSON_HasObjectItem(m, "method");
}

int baton__rpc_call(baton__rpc_conn *c, const char *method, const cJSON *params,
                    void (*on_msg)(void *ud, const cJSON *msg), void *ud, cJSON **reply) {
  *reply = NULL;
  int id = baton__rpc_send(c, method, params);
  if (id < 0)
    return -1;
  for (;;) {
    cJSON *m = NULL;
    int r = baton__rpc_read(c, -1, &m);
    if (r < 0)
      return -1;
    if (r == 0)
      continue;
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
    bool ours = cJSON_IsNumber(mid) && mid->valueint == id && !cJSON_HasObjectItem(m, "method");
    if (ours || null_id_error(m)) {
      *reply = m;
      return 0;
    }
    if (on_msg)
      on_msg(ud, m);
    cJSON_Delete(m);
  }
}

const char *baton__rpc_error_message(const cJSON *reply) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
  if (!e)
    return NULL;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
  return cJSON_IsString(m) ? m->valuestring : "error";
}

int baton__rpc_error_code(const cJSON *reply) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
  return cJSON_IsNumber(code) ? code->valueint : 0;
}

baton__rpc_conn *baton__rpc_connect_daemon(const char *config_path) {
  const char *off = getenv("BATON_NO_DAEMON");
  if (off && *off && strcmp(off, "0") != 0)
    return NULL;
  char *path = NULL;
  if (baton_socket_path(config_path, &path) != BATON_OK) {
    baton_free(path);
    return NULL; /* the in-process path reports the config error */
  }
  baton__rpc_conn *c = baton__rpc_connect(path);
  baton_free(path);
  return c;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

bool baton__rpc_event_from_params(const cJSON *p, baton_event *ev, char **json_buf) {
  *json_buf = NULL;
  memset(ev, 0, sizeof *ev);
  ev->size = sizeof *ev;
  const char *type = jstr(p, "type");
  int t = -1;
  for (int i = BATON_EVENT_PLAN; t < 0 && strcmp(baton_event_name((baton_event_type)i), "unknown");
       i++)
    if (!strcmp(type, baton_event_name((baton_event_type)i)))
      t = i;
  if (t < 0)
    return false;
  ev->type = (baton_event_type)t;
  ev->run_id = jstr(p, "run_id");
  const cJSON *tid = cJSON_GetObjectItemCaseSensitive(p, "task_id");
  ev->task_id = cJSON_IsNumber(tid) ? tid->valueint : -1;
  const cJSON *v;
  if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(p, "task")))
    ev->task = v->valuestring;
  if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(p, "model")))
    ev->model = v->valuestring;
  if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(p, "text")))
    ev->text = v->valuestring;
  if ((v = cJSON_GetObjectItemCaseSensitive(p, "data")))
    ev->json = *json_buf = cJSON_PrintUnformatted(v);
  v = cJSON_GetObjectItemCaseSensitive(p, "ts");
  ev->ts = cJSON_IsNumber(v) ? v->valuedouble : 0;
  return true;
}

cJSON *baton__rpc_submit_params(const char *request, const char *plan, const char *const *inputs,
                                size_t n_inputs, int offline) {
  cJSON *p = cJSON_CreateObject();
  if (plan) {
    cJSON *pj = cJSON_Parse(plan);
    if (pj)
      cJSON_AddItemToObject(p, "plan", pj);
    else
      cJSON_AddStringToObject(p, "plan", plan); /* the daemon explains what is wrong */
  } else {
    cJSON_AddStringToObject(p, "request", request ? request : "");
  }
  if (offline)
    cJSON_AddTrueToObject(p, "offline");
  if (n_inputs) {
    cJSON *in = cJSON_AddArrayToObject(p, "inputs");
    for (size_t i = 0; i < n_inputs; i++)
      cJSON_AddItemToArray(in, cJSON_CreateString(inputs[i]));
  }
  char *cwd = getcwd(NULL, 0);
  if (cwd)
    cJSON_AddStringToObject(p, "cwd", cwd);
  free(cwd);
  const char *home = getenv("HOME"); /* what "~/" in a file name stands for */
  if (home && home[0] == '/' && strlen(home) < BATON__RPC_HOME_MAX)
    cJSON_AddStringToObject(p, "home", home);
  return p;
}

/* Asks the daemon to cancel run_id. */
static void send_cancel(baton__rpc_conn *c, const char *run_id) {
  cJSON *cp = cJSON_CreateObject();
  cJSON_AddStringToObject(cp, "run_id", run_id);
  baton__rpc_send(c, "run.cancel", cp);
  cJSON_Delete(cp);
}

/* Passes one "event" notification on; remembers the run id it carries
 * (from "queued", while the run waits for a slot, or from the plan). */
static void pass_event(const cJSON *m, char *run_id, size_t cap, baton_event_fn on_event,
                       void *ud) {
  baton_event ev;
  char *buf = NULL;
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
  if (jstr(params, "run_id")[0])
    snprintf(run_id, cap, "%s", jstr(params, "run_id"));
  if (baton__rpc_event_from_params(params, &ev, &buf)) {
    if (on_event)
      on_event(ud, &ev);
  }
  cJSON_free(buf);
}

cJSON *baton__rpc_submit(baton__rpc_conn *c, const cJSON *params, baton_event_fn on_event,
                         bool (*cancelled)(void *ud), void *ud) {
  int id = baton__rpc_send(c, "submit", params);
  char run_id[64] = "";
  bool cancel_sent = false;
  while (id >= 0) {
    if (!cancel_sent && run_id[0] && cancelled && cancelled(ud)) {
      send_cancel(c, run_id);
      cancel_sent = true;
    }
    cJSON *m = NULL;
    int r = baton__rpc_read(c, 200, &m);
    if (r < 0)
      break;
    if (r == 0)
      continue;
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
    if (cJSON_IsString(method) && !strcmp(method->valuestring, "event"))
      pass_event(m, run_id, sizeof run_id, on_event, ud);
    else if (!method && cJSON_IsNumber(mid) && mid->valueint == id)
      return m;
    else if (!cancel_sent && null_id_error(m))
      return m; /* the submit is the one request outstanding */
    cJSON_Delete(m);
  }
  return NULL;
}

void baton__rpc_lost_run(char *out, size_t cap, const char *run_id) {
  if (!run_id || !*run_id)
    snprintf(out, cap, "the daemon closed the connection before the run finished");
  else
    snprintf(out, cap,
             "the daemon closed the connection before run %s finished: `baton runs show %s` "
             "says what it stored; if it is interrupted, `baton runs resume %s` runs its "
             "unfinished tasks",
             run_id, run_id, run_id);
}
