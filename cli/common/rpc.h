/* rpc.h — a small JSON-RPC 2.0 line client for batond's socket, shared by baton, tests and benchmarks. */
#ifndef BATON_CLI_RPC_H
#define BATON_CLI_RPC_H

#include <cjson/cJSON.h>

/* One connection. The fields are private to rpc.c. */
typedef struct rpc_conn {
  int fd;
  char *buf;
  size_t len, cap;
  int next_id;
} rpc_conn;

/* Largest message accepted from the daemon. */
#define RPC_MAX_LINE (64u << 20)

/* Connects to a daemon socket. NULL when nothing answers there (no socket,
 * a stale one, or no permission); errno tells which. Free with rpc_close(). */
rpc_conn *rpc_connect(const char *path);
/* Closes and frees; NULL is a no-op. */
void rpc_close(rpc_conn *c);
/* Sends {"jsonrpc":"2.0","id":N,"method":..,"params":..} (params borrowed,
 * may be NULL). Returns the id N, or -1 when the write failed. */
int rpc_send(rpc_conn *c, const char *method, const cJSON *params);
/* Reads one message: 1 and *msg (free with cJSON_Delete), 0 after timeout_ms
 * (< 0: wait as long as it takes) without a whole message, -1 when the
 * connection closed, failed, or sent a line that is not JSON or too long. */
int rpc_read(rpc_conn *c, int timeout_ms, cJSON **msg);
/* Sends a request and waits for its response, passing notifications (and
 * other responses) to on_msg when not NULL. *reply receives the response
 * object (free with cJSON_Delete): check its "result" or "error". Returns 0,
 * or -1 when the connection failed. */
int rpc_call(rpc_conn *c, const char *method, const cJSON *params,
             void (*on_msg)(void *ud, const cJSON *msg), void *ud, cJSON **reply);
/* The "error" member's message of a response, or NULL when it succeeded. */
const char *rpc_error_message(const cJSON *reply);
/* The "error" member's code, or 0. */
int rpc_error_code(const cJSON *reply);

#endif
