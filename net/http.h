/* http.h — the library's one HTTP client (libcurl): bounded bodies, multipart, headers, Retry-After, back-off, cancellation. */
#ifndef BATON_NET_HTTP_H
#define BATON_NET_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Only net/ includes curl/curl.h: every other module speaks HTTP through
 * this header. libcurl's process-wide initialisation runs once (pthread_once)
 * the first time any request is made, so nothing needs to be set up first.
 *
 * Thread safety: baton__http_perform() may run on any number of threads at
 * once (each call uses its own transfer); a request and a response belong to
 * one call at a time. The helpers are pure functions unless noted.
 */

/* What became of a request. Everything but BATON__HTTP_OK and
 * BATON__HTTP_ESTATUS means no complete HTTP answer was received (after
 * ETOOBIG and ESTOPPED the status and headers are still there). */
typedef enum baton__http_rc {
  BATON__HTTP_OK = 0,     /* a 2xx answer; the response is filled */
  BATON__HTTP_ESTATUS,    /* any other status; the response is filled (body for the message) */
  BATON__HTTP_EREFUSED,   /* could not connect: refused, unreachable, reset before an answer */
  BATON__HTTP_EDNS,       /* the host name did not resolve */
  BATON__HTTP_ETIMEOUT,   /* the connect or total timeout passed */
  BATON__HTTP_ECANCELLED, /* *cancel became non-zero */
  BATON__HTTP_ETOOBIG,    /* the response body passed max_body */
  BATON__HTTP_ENET,       /* the connection broke mid-answer, TLS failed, bad HTTP */
  BATON__HTTP_ESTOPPED,   /* the streaming callback asked to stop */
  BATON__HTTP_EINVAL,     /* bad request (no URL, not http(s), unreadable file part) */
  BATON__HTTP_ENOMEM
} baton__http_rc;

/* A short stable name ("refused", "timeout", ...). */
const char *baton__http_rc_name(baton__http_rc rc);

/* One multipart/form-data part: a plain field (value) or a file, given as
 * bytes (data/len) or as a path read while sending. All pointers borrowed
 * for the call. */
typedef struct baton__http_part {
  const char *name;         /* the form field name ("file", "model") */
  const char *value;        /* plain field text, or NULL for a file part */
  const void *data;         /* file bytes (len of them), or NULL */
  size_t len;
  const char *path;         /* file read from disk when data is NULL */
  const char *filename;     /* file name sent; NULL: the path's base name */
  const char *content_type; /* file type sent, or NULL (curl guesses from the name) */
} baton__http_part;

struct baton__http_response;

/* Receives the body of a 2xx answer piece by piece, in order, on the calling
 * thread, instead of it being stored (non-2xx bodies are always stored, for
 * the error message). resp has its status and headers already. Return 0 to go
 * on, non-zero to stop the transfer (BATON__HTTP_ESTOPPED). */
typedef int (*baton__http_data_fn)(void *ud, const struct baton__http_response *resp,
                                   const char *data, size_t len);

/* A request. Zero-initialise, then set what you need; every pointer is
 * borrowed for the baton__http_perform() call. */
typedef struct baton__http_request {
  const char *method;          /* NULL: POST when a body or parts are given, else GET */
  const char *url;             /* http:// or https:// only */
  const char *const *headers;  /* extra "Name: value" lines, NULL-terminated, or NULL */
  const char *bearer;          /* sent as "Authorization: Bearer <key>", or NULL; never logged */
  const char *content_type;    /* the body's type (default application/json) */
  const void *body;            /* request body (body_len bytes), or NULL */
  size_t body_len;
  const baton__http_part *parts; /* multipart/form-data instead of body */
  size_t n_parts;
  long connect_timeout_ms;     /* 0: 10000 (never above timeout_ms) */
  long timeout_ms;             /* whole transfer; 0: none */
  const atomic_int *cancel;    /* or NULL; the transfer stops within ~50 ms of *cancel != 0 */
  size_t max_body;             /* largest response body kept; 0: 8 MiB */
  bool follow_redirects;       /* up to 3 (http/https only) */
  baton__http_data_fn on_data; /* or NULL: the body is stored in the response */
  void *ud;
  const char *server;          /* who is asked, for messages ("model server NAME (URL)": see
                                  baton__http_server_label); NULL: "the server at ORIGIN" */
} baton__http_request;

/* One received header (both strings owned by the response). */
typedef struct baton__http_header {
  char *name;
  char *value;  /* trimmed */
} baton__http_header;

/* An answer. Initialise with baton__http_response_init(), release with
 * baton__http_response_release(). After a redirect or 100 Continue only the
 * last response's status and headers are kept. At most 128 headers of up to
 * 8 KiB each are kept; later ones are dropped. */
typedef struct baton__http_response {
  long status;             /* 0 when no answer came */
  char content_type[128];  /* "" when none */
  char *body;              /* NUL-terminated (body_len excludes it); never NULL after init */
  size_t body_len;
  baton__http_header *headers;
  size_t n_headers;
  char err[256];           /* one sentence when the call failed; never holds a key */
} baton__http_response;

void baton__http_response_init(baton__http_response *r);
/* Frees the body and headers and re-initialises. */
void baton__http_response_release(baton__http_response *r);
/* The value of the last header of that name (case-insensitive), borrowed
 * from r; or NULL. */
const char *baton__http_header_get(const baton__http_response *r, const char *name);
/* Takes the body (caller frees with free()), leaving r's body empty. */
char *baton__http_response_take_body(baton__http_response *r, size_t *len);

/*
 * Performs one request. resp is released and refilled. Returns BATON__HTTP_OK
 * for a 2xx answer, BATON__HTTP_ESTATUS for another status (resp holds it),
 * else an error class with resp->err set (the URL's host may appear there,
 * the bearer key never does). No retries: see the helpers below.
 */
baton__http_rc baton__http_perform(const baton__http_request *req, baton__http_response *resp);

/* ---- failures in words ------------------------------------------------ */

/* What is known of a request that got no complete answer, to word it. */
typedef struct baton__http_failure {
  const char *server;   /* the subject ("model server srv (http://...)"), or NULL */
  const char *url;      /* the request's URL: its origin is the subject when server is NULL */
  long timeout_ms;      /* the whole transfer's bound (0: none) */
  long connect_ms;      /* the connect phase's bound */
  bool connected;       /* a connection was made */
  bool answered;        /* a status line came */
  size_t received;      /* bytes of the answer's body received */
  const char *detail;   /* the transport's own words for what failed (TLS, protocol), or NULL */
  bool refused;         /* the connection was refused (nothing listens there) */
} baton__http_failure;

/* One sentence, in baton's words, for a request of class rc that got no complete answer
 * (refused, DNS, timeout, broken connection): "model server srv (http://127.0.0.1:8080/v1) did not
 * answer within 4 s", "... stopped sending after 512 bytes (no complete answer within 4 s)",
 * "... could not be reached: the connection was refused". The one place these are worded.
 * Writes into out (always terminated) and returns out. */
char *baton__http_failure_text(baton__http_rc rc, const baton__http_failure *f, char *out,
                               size_t cap);
/* "model server NAME (URL)" into out[cap]; returns out. */
char *baton__http_server_label(const char *name, const char *url, char *out, size_t cap);

/* ---- retries -------------------------------------------------------- */

/* Milliseconds to wait from a Retry-After value: delay-seconds ("120",
 * "1.5") or an HTTP date (RFC 7231, relative to now). -1 when the value
 * is none of these; 0 for a date in the past. */
long baton__http_parse_retry_after(const char *value, time_t now);
/* The wait a response asks for, in ms: retry-after-ms first, then
 * Retry-After; -1 when it asks for none. */
long baton__http_retry_after_ms(const baton__http_response *r);

/* Exponential back-off with jitter for attempt n (0-based): base * 2^n,
 * capped at cap_ms, then scaled by a random factor in [0.75, 1.0] drawn from
 * *seed (a caller-owned rand_r seed; start it with baton__http_seed()). */
long baton__http_backoff_ms(int n, long base_ms, long cap_ms, unsigned *seed);
/* A seed for baton__http_backoff_ms() that differs between threads and calls. */
unsigned baton__http_seed(void);
/* Sleeps ms in short slices, returning early (false) when *cancel becomes
 * non-zero (cancel may be NULL). true when the whole time passed. */
bool baton__http_sleep(long ms, const atomic_int *cancel);

/* Whether the class or status is worth retrying (on this or another
 * server): refused, DNS, timeout, broken connection, 408, 409, 429, 5xx. */
bool baton__http_transient(baton__http_rc rc, long status);

/* Whether an error status says the request's input was refused: 400 (bad request), 413 (too
 * large), 415 (unsupported media type), 422 (unprocessable). That is the task's arguments'
 * fault, neither the server's nor the model's, so not held against their health; 401, 403,
 * 404, 429 and 5xx are not that. */
bool baton__http_bad_input(long status);
/* Whether an error answer (status >= 400 but 429; body[0..len), may be NULL) says the model
 * cannot take the kind of input it was sent (an image sent to a text-only model): the model's
 * fault, not the endpoint's nor the input's, so another model should be tried. The phrases, and
 * where each comes from, are a table in net/refusal.c. */
bool baton__http_model_cannot(long status, const char *body, size_t len);
/* baton__http_bad_input(status), unless the body says the model cannot take such input
 * (baton__http_model_cannot): then the input is not at fault. */
bool baton__http_input_refused(long status, const char *body, size_t len);

/* Whether a 2xx answer's body (body[0..len), may be NULL) is an error object instead of the
 * answer ({"error":{...}} as llama.cpp, LocalAI or vLLM may send it, or the flat
 * {"object":"error",...}), and of what kind, as the HTTP status an error answer of that kind has:
 * its numeric "code" when that is one (400-599), else from its "type" (unavailable_error 503,
 * server_error 500, rate_limit_error 429, not_found_error 404, invalid_request_error 400, ...,
 * the table in net/refusal.c), else from words saying the server is overloaded or loading (503);
 * 200 for an error of no known kind (the model's); 0 when the body is not an error object. */
long baton__http_body_error_status(const char *body, size_t len);

/* For a refused key (401, 403) a note naming where the key comes from ("; the key in KEY_ENV
 * (api_key_env) was refused"), or saying none was sent and why (key_env unset, or no key_env),
 * never the key itself; "" for any other status. Writes into out (always terminated), returns
 * out. */
char *baton__http_key_note(long status, const char *key_env, bool key_sent, char *out,
                           size_t cap);

/*
 * One readable message from an error body in any of the shapes servers use
 * (OpenAI/llama.cpp/vLLM {"error":{"message","type","code"}}, Ollama/HF
 * {"error":"..."} or {"error":["a","b"]}, TGI {"error","error_type"}, TEI and
 * old vLLM flat {"message":...}, FastAPI {"detail":...}, or plain text,
 * shortened and cleaned of control bytes). Writes into out (always
 * terminated) and returns out.
 */
char *baton__http_error_text(const char *body, size_t len, char *out, size_t cap);

#endif
