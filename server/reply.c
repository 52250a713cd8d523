/* reply.c — replies, errors and notifications queued for clients by any thread. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "server/internal.h"
#include "core/banned.h"

void baton__srv_wake(baton_server *srv, char c) {
  ssize_t w = write(srv->wake[1], &c, 1);
  (void)w; /* a full pipe already wakes the loop */
}

/* Queues a line (without the newline) for a client. Any thread. */
void baton__srv_post(baton_server *srv, uint64_t client, int kind, const char *line, size_t len) {
  /* Nothing leaves the daemon that is not valid UTF-8 (a file name, a
   * model's output): bad bytes become U+FFFD. */
  char *fixed = NULL;
  if (!baton__utf8_valid(line, len) && (fixed = baton__utf8_repair(line, len, &len)))
    line = fixed;
  out_msg *m = malloc(sizeof *m + len + 2);
  if (!m) {
    free(fixed);
    return;
  }
  m->next = NULL;
  m->client = client;
  m->kind = kind;
  memcpy(m->line, line, len);
  m->line[len] = '\n';
  m->line[len + 1] = '\0';
  m->len = kind == OUT_DONE || kind == OUT_SETTLE ? 0 : len + 1;
  free(fixed);
  pthread_mutex_lock(&srv->qlock);
  if (srv->q_tail)
    srv->q_tail->next = m;
  else
    srv->q_head = m;
  srv->q_tail = m;
  pthread_mutex_unlock(&srv->qlock);
  if (atomic_exchange(&srv->wake_pending, 1) == 0)
    baton__srv_wake(srv, 'q');
}

void baton__srv_post_sb(baton_server *srv, uint64_t client, int kind, baton__sb *sb) {
  if (baton__sb_ok(sb))
    baton__srv_post(srv, client, kind, sb->buf, sb->len);
  baton__sb_release(sb);
}

/* Sends a JSON-RPC error; id_json NULL means id null. */
void baton__srv_post_error(baton_server *srv, uint64_t client, const char *id_json, int code,
                           const char *msg, int rc) {
  /* A notification (no id) gets no reply, errors included, except when it
   * could not be read as a request at all. */
  if (!id_json && code != -32700 && code != -32600)
    return;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,\"message\":",
                 id_json ? id_json : "null", code);
  baton__sb_add_json_str(&sb, msg && *msg ? msg : "error");
  if (rc > 0) {
    baton__sb_addf(&sb, ",\"data\":{\"rc\":%d,\"reason\":", rc);
    baton__sb_add_json_str(&sb, baton_strerror(rc));
    baton__sb_addc(&sb, '}');
  }
  baton__sb_adds(&sb, "}}");
  baton__srv_post_sb(srv, client, OUT_REPLY, &sb);
}

void baton__srv_post_rc(baton_server *srv, uint64_t client, const char *id_json, baton_rc rc,
                        const char *msg) {
  baton__srv_post_error(srv, client, id_json, ERR_BASE - (int)rc,
                        msg && *msg ? msg : baton_strerror(rc), (int)rc);
}

/* Sends {"result": raw JSON}. */
void baton__srv_post_result(baton_server *srv, uint64_t client, const char *id_json,
                            const char *raw) {
  if (!id_json)
    return;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", id_json, raw);
  baton__srv_post_sb(srv, client, OUT_REPLY, &sb);
}

/* Tells the loop that one of a client's requests in flight was answered. */
void baton__srv_post_done(baton_server *srv, uint64_t client) {
  baton__srv_post(srv, client, OUT_DONE, "", 0);
}
