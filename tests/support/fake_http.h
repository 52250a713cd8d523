/* fake_http.h — a scripted HTTP/1.1 server on 127.0.0.1 for tests (fake LLM, fake Hub). */
#ifndef BATON_TESTS_FAKE_HTTP_H
#define BATON_TESTS_FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A real HTTP/1.1 server bound to 127.0.0.1 on an ephemeral port, serving
 * each connection in its own thread and closing the connection after one
 * response ("Connection: close"). It answers from a FIFO queue of scripted
 * responses or, when a handler is set, by calling the handler. With neither
 * (queue empty, no handler) it answers 500 with a body saying so.
 *
 * Every request received is recorded (method, path, headers, body) and can
 * be read back with the thread-safe getters below, in arrival order.
 *
 * Limits: request head at most 64 KiB (431 past it), request body at most
 * 32 MiB (413 past it). Bodies may come with Content-Length or chunked
 * (decoded before recording). "Expect: 100-continue" is honoured.
 *
 * Thread safety: every function may be called from any thread while the
 * server runs, except fake_http_stop(), which must be called once, by one
 * thread, after which the handle is gone.
 */
typedef struct fake_http fake_http;

typedef struct fake_http_header {
  char *name;
  char *value;
} fake_http_header;

/* One recorded request. All members are owned by the struct; release a copy
 * from fake_http_request_get() with fake_http_request_free(). body is
 * NUL-terminated (body_len excludes the NUL) and never NULL. */
typedef struct fake_http_request {
  char *method;
  char *path;  /* request target as sent, e.g. "/v1/chat/completions?x=1" */
  fake_http_header *headers;
  size_t n_headers;
  char *body;
  size_t body_len;
} fake_http_request;

/*
 * A response to send. Every pointer is borrowed: fake_http_push() copies it
 * all, and a handler's response is copied right after the handler returns
 * (then `body` is freed with free() when free_body is true).
 *  - status: HTTP status (0 means 200).
 *  - content_type: NULL means "application/json" (or "text/event-stream"
 *    when chunks are given).
 *  - headers: extra header lines, each "Name: value\r\n" (or "\n"), or NULL.
 *  - body/body_len: the body; body_len 0 means strlen(body); NULL = empty.
 *  - delay_ms: wait this long before answering.
 *  - hang: never answer; the connection is held until the client goes away
 *    or the server stops.
 *  - chunks/n_chunks: when n_chunks > 0 the response is streamed: headers
 *    without Content-Length, then each chunk written separately with
 *    chunk_delay_ms (0 means 5 ms) between them, then the connection closes.
 *    body is ignored then.
 */
typedef struct fake_http_response {
  int status;
  const char *content_type;
  const char *headers;
  const char *body;
  size_t body_len;
  bool free_body;
  int delay_ms;
  bool hang;
  const char *const *chunks;
  size_t n_chunks;
  int chunk_delay_ms;
} fake_http_response;

/* A handler fills *resp (zeroed beforehand) for one request. req is borrowed
 * for the call. Called from connection threads, possibly concurrently. */
typedef void (*fake_http_handler)(const fake_http_request *req, fake_http_response *resp,
                                  void *ud);

/* Starts a server on 127.0.0.1, port chosen by the kernel. Returns NULL on
 * failure (a test should then fail). */
fake_http *fake_http_start(void);
/* Starts a server on 127.0.0.1:port (0: any free port), e.g. to bring back
 * a server that was stopped. NULL when the port cannot be bound. */
fake_http *fake_http_start_on(int port);
/* Stops promptly: wakes every connection thread (including hanging ones),
 * joins them, frees everything. NULL is a no-op. */
void fake_http_stop(fake_http *srv);

int fake_http_port(const fake_http *srv);
/* "http://127.0.0.1:PORT" (no trailing slash); borrowed until stop. */
const char *fake_http_url(const fake_http *srv);

/* Appends a scripted response to the queue (copied). */
void fake_http_push(fake_http *srv, const fake_http_response *resp);
/* Shorthand: status with a body (Content-Type application/json). */
void fake_http_push_json(fake_http *srv, int status, const char *body);
/* Shorthand: status, extra header lines ("Name: v\r\n" ...) and a body. */
void fake_http_push_full(fake_http *srv, int status, const char *headers, const char *body);
/* Shorthand: a 200 text/event-stream made of these chunks. */
void fake_http_push_sse(fake_http *srv, const char *const *chunks, size_t n, int chunk_delay_ms);
/* Shorthand: a request that is never answered. */
void fake_http_push_hang(fake_http *srv);
/* Scripted responses not consumed yet. */
size_t fake_http_pending(fake_http *srv);

/* Uses fn for every request instead of the queue (NULL restores the queue). */
void fake_http_set_handler(fake_http *srv, fake_http_handler fn, void *ud);

/* Number of requests recorded so far. */
size_t fake_http_request_count(fake_http *srv);
/* Deep copy of request i (0-based), or NULL when out of range. Caller frees
 * with fake_http_request_free(). */
fake_http_request *fake_http_request_get(fake_http *srv, size_t i);
void fake_http_request_free(fake_http_request *req);
/* Value of a header (case-insensitive name), borrowed from req, or NULL. */
const char *fake_http_request_header(const fake_http_request *req, const char *name);
/* Requests received and not answered yet, now and at most at once so far
 * (from the request's end to the last write of its response, which the
 * client may read before the server thread runs again). */
int fake_http_in_flight(fake_http *srv);
int fake_http_max_in_flight(fake_http *srv);
/* Waits up to timeout_ms for at least n requests; true when reached. */
bool fake_http_wait_requests(fake_http *srv, size_t n, int timeout_ms);

#endif
