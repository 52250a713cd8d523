/* rpc_client.h — a small JSON-RPC 2.0 line client for batond's socket, used by baton, baton mcp and benchmarks. */
#ifndef BATON_SERVER_RPC_CLIENT_H
#define BATON_SERVER_RPC_CLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "baton.h"

/* One connection. The fields are private to rpc_client.c. */
typedef struct baton__rpc_conn {
  int fd;
  char *buf;
  size_t len, cap;
  int next_id;
} baton__rpc_conn;

/* Largest message accepted from the daemon. */
#define BATON__RPC_MAX_LINE (64u << 20)

/* Connects to a daemon socket. NULL when nothing answers there (no socket,
 * a stale one, or no permission); errno tells which. Free with baton__rpc_close(). */
baton__rpc_conn *baton__rpc_connect(const char *path);
/* Closes and frees; NULL is a no-op. */
void baton__rpc_close(baton__rpc_conn *c);
/* Sends {"jsonrpc":"2.0","id":N,"method":..,"params":..} (params borrowed,
 * may be NULL). Returns the id N, or -1 when the write failed. */
int baton__rpc_send(baton__rpc_conn *c, const char *method, const cJSON *params);
/* Reads one message: 1 and *msg (free with cJSON_Delete), 0 after timeout_ms
 * (< 0: wait as long as it takes) without a whole message, -1 when the
 * connection closed, failed, or sent a line that is not JSON or too long. */
int baton__rpc_read(baton__rpc_conn *c, int timeout_ms, cJSON **msg);
/* Sends a request and waits for its response, passing notifications (and
 * other responses) to on_msg when not NULL. *reply receives the response
 * object (free with cJSON_Delete): check its "result" or "error". An error
 * with id null is taken as the response (the daemon could not read the
 * request's id), so call with no other request outstanding. Returns 0, or
 * -1 when the connection failed. */
int baton__rpc_call(baton__rpc_conn *c, const char *method, const cJSON *params,
             void (*on_msg)(void *ud, const cJSON *msg), void *ud, cJSON **reply);
/* The "error" member's message of a response, or NULL when it succeeded. */
const char *baton__rpc_error_message(const cJSON *reply);
/* The "error" member's code, or 0. */
int baton__rpc_error_code(const cJSON *reply);

/* A connection to batond when one answers on baton_socket_path(config_path)
 * (borrowed) and BATON_NO_DAEMON is unset or "0", else NULL. */
baton__rpc_conn *baton__rpc_connect_daemon(const char *config_path);
/* Turns the params of a daemon "event" notification into a baton_event
 * (pointers borrowed from params; *json_buf receives the "data" member as
 * text, free with cJSON_free()). false when params is not an event. */
bool baton__rpc_event_from_params(const cJSON *params, baton_event *ev, char **json_buf);
/* Writes all of p to fd (a socket: without SIGPIPE; else write()).
 * Returns 0, or -1 when the peer is gone or the write failed. */
int baton__rpc_write_all(int fd, const char *p, size_t n);
/* The longest home folder sent as "home" (and taken by the daemon). */
#define BATON__RPC_HOME_MAX 4096

/* The params of a "submit" request: the request text, or the plan (task
 * graph text, sent as JSON when it parses), inputs, offline, this
 * process's working folder as "cwd" and its $HOME as "home" (what "~/" in a
 * file name stands for). Free with cJSON_Delete(). */
cJSON *baton__rpc_submit_params(const char *request, const char *plan,
                                const char *const *inputs, size_t n_inputs, int offline);
/* Submits a run and waits for its response, passing the daemon's events to
 * on_event (may be NULL) and asking the daemon to cancel the run once
 * cancelled(ud) returns true (polled every 200 ms; may be NULL). An error
 * with id null answers the submit (as in baton__rpc_call()). Returns the
 * response (check "result" or "error"; free with cJSON_Delete()), or NULL
 * when the connection closed first. */
cJSON *baton__rpc_submit(baton__rpc_conn *c, const cJSON *params, baton_event_fn on_event,
                         bool (*cancelled)(void *ud), void *ud);
/* What to say when the daemon closed the connection before a run finished: the run (run_id,
 * once an event gave it; NULL or "": not known yet) and how to look at and resume it. */
void baton__rpc_lost_run(char *out, size_t cap, const char *run_id);

#endif
