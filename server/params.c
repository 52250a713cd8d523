/* params.c — method parameters: typed optional members and a run request's parameters. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/conversation.h"
#include "server/internal.h"
#include "server/rpc_client.h"
#include "core/banned.h"

const cJSON *baton__srv_param(const cJSON *params, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(params, name);
}

/* Reads an optional string parameter; false (and an error sent) when the
 * member exists with another type. */
bool baton__srv_opt_str(baton_server *srv, const job *j, const char *name, const char **out) {
  const cJSON *v = baton__srv_param(j->params, name);
  *out = NULL;
  if (!v || cJSON_IsNull(v))
    return true;
  if (!cJSON_IsString(v)) {
    char msg[128];
    baton__fmt(msg, sizeof msg, "'%s' must be a string", name);
    baton__srv_post_error(srv, j->client, j->id_json, -32602, msg, 0);
    return false;
  }
  *out = v->valuestring;
  return true;
}

bool baton__srv_opt_int(baton_server *srv, const job *j, const char *name, int lo, int hi,
                        int *out) {
  const cJSON *v = baton__srv_param(j->params, name);
  if (!v || cJSON_IsNull(v))
    return true;
  if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
      v->valuedouble != (double)(int)v->valuedouble) {
    char msg[128];
    baton__fmt(msg, sizeof msg, "'%s' must be a whole number from %d to %d", name, lo, hi);
    baton__srv_post_error(srv, j->client, j->id_json, -32602, msg, 0);
    return false;
  }
  *out = (int)v->valuedouble;
  return true;
}

/* What submit and plan take. */
static const char *const run_params[] = {"request", "plan",  "messages", "offline",
                                         "inputs",  "cwd",   "home",     "events"};

bool baton__srv_run_params_known(baton_server *srv, const job *j) {
  const cJSON *it;
  cJSON_ArrayForEach(it, j->params) {
    size_t i = 0, n = sizeof run_params / sizeof *run_params;
    while (i < n && strcmp(it->string, run_params[i]) != 0)
      i++;
    if (i < n)
      continue;
    baton__sb sb;
    baton__sb_init(&sb);
    baton__sb_addf(&sb, "unknown parameter '%.64s' of %s; it takes ", it->string, j->method);
    for (i = 0; i < n; i++)
      baton__sb_addf(&sb, "%s%s", i ? ", " : "", run_params[i]);
    baton__srv_bad_params(srv, j, baton__sb_ok(&sb) ? sb.buf : "unknown parameter");
    baton__sb_release(&sb);
    return false;
  }
  return true;
}

void baton__srv_bad_params(baton_server *srv, const job *j, const char *msg) {
  baton__srv_post_error(srv, j->client, j->id_json, -32602, msg, 0);
}

void baton__srv_request_release(req_hold *h) {
  cJSON_free(h->plan_buf);
  cJSON_free(h->msgs_buf);
  if (h->cwd_fd >= 0)
    close(h->cwd_fd);
  h->plan_buf = h->msgs_buf = NULL;
  h->cwd_fd = -1;
}

/* Opens the caller's folder once (no link as its last part) and checks the
 * descriptor, so a folder swapped for a link after the check changes
 * nothing: the library is given /proc/self/fd/N, that very folder. */
static bool take_cwd(baton_server *srv, const job *j, const char *cwd, baton_request *req,
                     req_hold *h) {
  struct stat st;
  int fd = cwd[0] == '/' ? open(cwd, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    baton__srv_bad_params(srv, j,
                          "'cwd' must be the absolute path of an existing folder (not a link)");
    return false;
  }
  h->cwd_fd = fd;
  /* Another user may only name a folder of its own. */
  if (j->uid != geteuid() && st.st_uid != j->uid) {
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_DENIED,
                       "'cwd' is not a folder of the caller");
    return false;
  }
  baton__fmt(h->cwd_path, sizeof h->cwd_path, "/proc/self/fd/%d", fd);
  req->input_root = h->cwd_path;
  return true;
}

/* The client's home folder ("home"), what "~/" in its file names stands for: taken from the
 * daemon's own user only; another user's comes from the user database (the library looks it up),
 * never from what it sends. false after answering a bad one. */
static bool take_home(baton_server *srv, const job *j, baton_request *req) {
  const char *home = NULL;
  if (!baton__srv_opt_str(srv, j, "home", &home))
    return false;
  if (home && (home[0] != '/' || strlen(home) >= BATON__RPC_HOME_MAX)) {
    baton__srv_bad_params(srv, j, "'home' must be an absolute folder path");
    return false;
  }
  req->home = j->uid == geteuid() ? home : NULL;
  return true;
}

/* Common request parameters of submit and plan. */
/* The request's "inputs" (at most MAX_SUBMIT_INPUTS paths) into inputs[], kept by req; false
 * after answering bad params. */
static bool take_inputs(baton_server *srv, const job *j, baton_request *req, const char **inputs) {
  const cJSON *ins = baton__srv_param(j->params, "inputs"), *it;
  if (!ins || cJSON_IsNull(ins))
    return true;
  if (!cJSON_IsArray(ins) || cJSON_GetArraySize(ins) > MAX_SUBMIT_INPUTS) {
    baton__srv_bad_params(srv, j, "'inputs' must be an array of at most 256 file paths");
    return false;
  }
  cJSON_ArrayForEach(it, ins) {
    if (!cJSON_IsString(it) || !it->valuestring[0]) {
      baton__srv_bad_params(srv, j, "'inputs' items must be file paths");
      return false;
    }
    inputs[req->n_inputs++] = it->valuestring;
  }
  req->inputs = inputs;
  return true;
}

bool baton__srv_request_params(baton_server *srv, const job *j, baton_request *req, req_hold *h) {
  const char **inputs = h->inputs;
  char **plan_buf = &h->plan_buf, **msgs_buf = &h->msgs_buf;
  h->plan_buf = h->msgs_buf = NULL;
  h->cwd_fd = -1;
  const cJSON *p = j->params;
  const char *text = NULL, *cwd = NULL;
  if (!baton__srv_opt_str(srv, j, "request", &text) || !baton__srv_opt_str(srv, j, "cwd", &cwd))
    return false;
  req->text = text;
  const cJSON *plan = baton__srv_param(p, "plan");
  if (plan && !cJSON_IsNull(plan)) {
    if (cJSON_IsString(plan)) {
      req->plan_json = plan->valuestring;
    } else if (cJSON_IsArray(plan) || cJSON_IsObject(plan)) {
      *plan_buf = cJSON_PrintUnformatted(plan);
      req->plan_json = *plan_buf;
    } else {
      baton__srv_bad_params(srv, j, "'plan' must be a task graph: a JSON array, or JSON text");
      return false;
    }
  }
  if (!req->text && !req->plan_json) {
    baton__srv_bad_params(srv, j, "give 'request' (text) or 'plan' (a task graph)");
    return false;
  }
  if (req->text && req->plan_json) {
    baton__srv_bad_params(srv, j, "give either 'request' or 'plan', not both");
    return false;
  }
  const cJSON *msgs = baton__srv_param(p, "messages");
  if (msgs && !cJSON_IsNull(msgs)) {
    char err[160];
    if (baton__conversation_check(msgs, err, sizeof err) != 0) {
      baton__srv_bad_params(srv, j, err);
      return false;
    }
    *msgs_buf = cJSON_PrintUnformatted(msgs);
    req->messages = *msgs_buf;
  }
  const cJSON *off = baton__srv_param(p, "offline");
  if (off && !cJSON_IsNull(off)) {
    if (!cJSON_IsBool(off)) {
      baton__srv_bad_params(srv, j, "'offline' must be true or false");
      return false;
    }
    req->offline = cJSON_IsTrue(off);
  }
  if (!take_inputs(srv, j, req, inputs) || !take_home(srv, j, req))
    return false;
  if (cwd) {
    if (!take_cwd(srv, j, cwd, req, h))
      return false;
  } else if (j->uid != geteuid() && req->n_inputs) {
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_DENIED,
                       "inputs from another user need 'cwd'");
    return false;
  }
  /* Another user's files are opened with that user's rights, only in its
   * 'cwd' and allowed_roots; its runs are recorded as its own. */
  if (j->uid != geteuid()) {
    req->as_caller = 1;
    req->caller_uid = j->uid;
    req->caller_gid = j->gid;
    req->caller_groups = (const unsigned *)j->groups;
    req->n_caller_groups = j->n_groups;
  }
  return true;
}
