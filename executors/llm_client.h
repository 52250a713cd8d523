/* llm_client.h — the OpenAI-compatible chat-completions client (over net/http.h) used by the planner, the summarizer and the LLM executor. */
#ifndef BATON_EXECUTORS_LLM_CLIENT_H
#define BATON_EXECUTORS_LLM_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * One client per configured LLM server. Immutable after baton__llm_new():
 * baton__llm_chat() may be called from any number of threads at once on the
 * same client (each call is its own net/http.h request).
 */
typedef struct baton__llm baton__llm;

/* Settings; start from baton__llm_settings_init(). Strings are borrowed for
 * the baton__llm_new() call only (the client copies them). */
typedef struct baton__llm_settings {
  const char *base_url;      /* ends before "/chat/completions", e.g. http://h:8080/v1 */
  const char *api_key;       /* or NULL: no Authorization header */
  const char *model;         /* sent as "model"; NULL or "" sends "default" */
  long connect_timeout_ms;   /* default 5000 */
  long timeout_ms;           /* whole call incl. retries and backoff; default 600000 */
  int max_retries;           /* further attempts after the first; default 2 */
  long backoff_cap_ms;       /* cap on computed backoff; default 8000 */
  size_t max_response_bytes; /* cap on one response body; default 8 MiB */
  struct baton__pool *pool;  /* or NULL; else each attempt goes to a replica of model
                                the pool grants (its base_url and key), and its outcome
                                counts there (llm.endpoint naming a declared model) */
} baton__llm_settings;

void baton__llm_settings_init(baton__llm_settings *s);

/* Returns a client, or NULL with a message in err (no base_url, bad URL
 * scheme, out of memory). Free with baton__llm_free(). */
baton__llm *baton__llm_new(const baton__llm_settings *s, char *err, size_t errlen);
/* NULL is a no-op. No call may be running on the client. */
void baton__llm_free(baton__llm *c);

/* One chat message; both strings borrowed for the call. */
typedef struct baton__llm_msg {
  const char *role;    /* "system", "user", "assistant" */
  const char *content;
} baton__llm_msg;

/* How to ask for JSON output ("response_format"). */
typedef enum baton__llm_format {
  BATON__LLM_FMT_NONE = 0,     /* no response_format */
  BATON__LLM_FMT_JSON_SCHEMA,  /* {"type":"json_schema","json_schema":{name,schema}} */
  BATON__LLM_FMT_TGI_JSON,     /* TGI: {"type":"json_object","value":schema} */
  BATON__LLM_FMT_JSON_OBJECT   /* {"type":"json_object"} */
} baton__llm_format;

/* Receives each streamed content piece, in order (piece borrowed for the
 * call, not NUL-terminated). Called on the calling thread. */
typedef void (*baton__llm_delta_fn)(void *ud, const char *piece, size_t len);

/* Per-call options; start from baton__llm_opts_init(). */
typedef struct baton__llm_opts {
  int max_tokens;            /* 0: omit */
  double temperature;        /* negative: omit (default -1) */
  bool stream;               /* SSE streaming with stream_options.include_usage */
  baton__llm_format format;  /* default NONE */
  const char *schema_json;   /* JSON Schema text for JSON_SCHEMA/TGI_JSON; borrowed */
  const char *schema_name;   /* json_schema.name; NULL means "output" */
  /* When the server rejects the response_format with a 400/422/501 that
   * names it, retry with the next mode: json_schema -> tgi_json ->
   * json_object -> none. Off: such a rejection ends the call with
   * BATON__LLM_EFORMAT. */
  bool format_fallback;
  baton__llm_delta_fn on_delta;  /* or NULL */
  void *delta_ud;
  const atomic_int *cancel;  /* or NULL; the call stops soon after *cancel != 0 */
} baton__llm_opts;

void baton__llm_opts_init(baton__llm_opts *o);

/* Usage counters; baton__llm_chat() ADDS to them (caller zeroes first).
 * llm_calls counts every HTTP request that got an answer from the server, or was
 * cancelled after it was sent (the server may have spent tokens on it; no usage came).
 * Token counts come from the server's "usage", else are estimated as
 * ceil(bytes/4) of the messages sent and the content received. */
typedef struct baton__llm_usage {
  long llm_calls;
  long prompt_tokens;
  long completion_tokens;
} baton__llm_usage;

/* Outcome of a call. */
typedef enum baton__llm_status {
  BATON__LLM_OK = 0,
  BATON__LLM_EINVAL,     /* bad arguments (no messages, schema text not JSON) */
  BATON__LLM_ECONNECT,   /* could not connect / connection broke, retries spent */
  BATON__LLM_ETIMEOUT,   /* the call's total timeout passed */
  BATON__LLM_ECANCELLED, /* *cancel became non-zero */
  BATON__LLM_EAUTH,      /* 401/403: the API key is missing or refused */
  BATON__LLM_EQUOTA,     /* 429 insufficient_quota: the account's quota is used up */
  BATON__LLM_EFORMAT,    /* response_format rejected (format_fallback off, or chain spent) */
  BATON__LLM_EHTTP,      /* any other HTTP error status (after retries) */
  BATON__LLM_ETOOBIG,    /* response body above max_response_bytes */
  BATON__LLM_EPROTO,     /* a 200 whose body is not a usable completion, or a mid-stream error */
  BATON__LLM_ENOMEM
} baton__llm_status;

/*
 * POSTs {base_url}/chat/completions with the messages and options, with
 * retries (408, 409, 429, >=500, connection errors; x-should-retry,
 * retry-after-ms and Retry-After honoured) and the response_format fallback
 * chain when enabled.
 *
 * On BATON__LLM_OK, *content is the assistant's text (malloc'd, caller frees
 * with free(); never NULL, may be ""). On failure *content is NULL and err
 * holds one readable sentence (the server's own message included when it
 * sent one). usage (or NULL) is added to on success and failure alike.
 * format_used (or NULL) receives the response_format mode of the last
 * request sent. o may be NULL for defaults. Never prints.
 * Thread safety: safe to call concurrently on one client.
 */
baton__llm_status baton__llm_chat(baton__llm *c, const baton__llm_msg *msgs, size_t n_msgs,
                                  const baton__llm_opts *o, char **content,
                                  baton__llm_usage *usage, baton__llm_format *format_used,
                                  char *err, size_t errlen);

/* A short name for a status ("timeout", "auth", ...). */
const char *baton__llm_status_name(baton__llm_status st);

/* The response_format chain, shared with other chat clients (the "openai"
 * executor): the next mode to try after fmt was refused (json_schema ->
 * tgi_json -> json_object -> none); whether an answer (status and its error
 * text) refuses the response_format; and setting root's "response_format"
 * for a mode (replacing any; NONE removes it; schema borrowed, name NULL
 * means "output"). */
baton__llm_format baton__llm_next_format(baton__llm_format f);
bool baton__llm_format_rejected(long status, const char *msg);
typedef struct cJSON cJSON;
void baton__llm_add_format(cJSON *root, baton__llm_format fmt, const cJSON *schema,
                           const char *name);

#endif
