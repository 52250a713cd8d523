/* mcp.h — what the MCP server's files share: the session, its calls, resources and limits. */
#ifndef BATON_SERVER_MCP_H
#define BATON_SERVER_MCP_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "baton.h"
#include "server/rpc_client.h"

#define MCP_MAX_MESSAGE (4u << 20)      /* largest message read from the client */
#define MCP_MAX_INLINE_FILE (1u << 20)  /* larger files become resource links */
#define MCP_MAX_INLINE_TOTAL (4u << 20) /* inline file bytes per result */
#define MCP_MAX_TEXT (1u << 20)         /* answer text per result */
#define MCP_MAX_CALLS 8                 /* tools/call running at once */
#define MCP_MAX_RESOURCES 512           /* files remembered for the resources methods */
#define MCP_MAX_BATCH 64                /* messages in one JSON-RPC batch */

/* Protocol revisions as numbers (YYYYMMDD): the first that has a content type. */
#define MCP_REV_AUDIO 20250326 /* "audio" content blocks */
#define MCP_REV_LINKS 20250618 /* "resource_link" content blocks */
#define MCP_REV_ANNOTATIONS 20250326 /* Tool.annotations (annotations.title) */
#define MCP_REV_BATCH 20250326       /* the one revision with JSON-RPC batches */
/* structuredContent in tool results, Tool.title and outputSchema, Implementation.title */
#define MCP_REV_STRUCTURED 20250618

/* JSON-RPC error codes (JSON-RPC 2.0 and MCP). */
enum {
  MCP_PARSE_ERROR = -32700,
  MCP_INVALID_REQUEST = -32600,
  MCP_METHOD_NOT_FOUND = -32601,
  MCP_INVALID_PARAMS = -32602,
  MCP_INTERNAL_ERROR = -32603,
  MCP_RESOURCE_NOT_FOUND = -32002,
  MCP_BUSY = -32000 - BATON_BUSY /* the daemon's code for BATON_BUSY, with data {rc, reason} */
};

typedef struct mcp_server mcp_server;
typedef struct mcp_batch mcp_batch; /* mcp_batch.c */

/* One tools/call in flight, on a thread of its own. */
typedef struct mcp_call {
  mcp_server *srv;
  bool used;     /* slot taken (guarded by srv->lock) */
  bool finished; /* the thread is done; join it (srv->lock) */
  bool answered; /* its response is sent or being sent: its id is free again (srv->lock) */
  pthread_t thread;
  cJSON *id;             /* the request id (owned) */
  cJSON *params;         /* the request params (owned) */
  cJSON *token;          /* _meta.progressToken (owned), or NULL */
  mcp_batch *batch;      /* the batch its response goes into (one hold on it), or NULL */
  atomic_bool cancelled; /* the client cancelled it or went away */
  pthread_mutex_t lock;  /* run */
  baton_run *run;        /* the in-process run being waited on */
  int progress;          /* notifications sent so far */
  int total;             /* expected notifications, 0 until planned */
  char run_id[64];       /* the run's id, once an event gave it (the call's thread) */
} mcp_call;

/* One file a run of this session produced. */
typedef struct mcp_resource {
  char *uri;  /* baton://runs/<run_id>/<n>/<file name> */
  char *path; /* absolute path */
  char *name; /* file name */
} mcp_resource;

struct mcp_server {
  baton_mcp_options opts;
  baton *ctx;
  pthread_mutex_t out_lock; /* out_fd */
  atomic_bool out_dead;     /* a write failed: the client is gone */
  pthread_mutex_t lock;     /* calls[], res[] */
  mcp_call calls[MCP_MAX_CALLS];
  mcp_resource res[MCP_MAX_RESOURCES];
  size_t n_res, next_res; /* ring of the newest files */
  unsigned long res_serial;
  bool initialized;
  atomic_int revision;    /* the revision agreed at initialize, as YYYYMMDD */
  mcp_batch *batch;       /* the batch being read, whose responses collect there (reader thread
                             only), or NULL */
};

/* ---- mcp.c: messages ---- */
/* Writes one message as a line. Thread-safe. */
void baton__mcp_send(mcp_server *s, const cJSON *msg);
/* A response with result (taken over) to id (borrowed): sent, or added to the batch being read
 * (s->batch). Reader thread only; a call's thread answers with baton__mcp_call_reply(). */
void baton__mcp_reply(mcp_server *s, const cJSON *id, cJSON *result);
/* An error response; id may be NULL (sent as null). Reader thread only, as baton__mcp_reply. */
void baton__mcp_reply_error(mcp_server *s, const cJSON *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error response with the project's code for rc (-32000 - rc) and data {rc, reason}, as
 * batond sends. Reader thread only. */
void baton__mcp_reply_rc(mcp_server *s, const cJSON *id, baton_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for a call, from its thread: the response goes out, or into the call's batch. */
void baton__mcp_call_reply(mcp_call *c, cJSON *result);
void baton__mcp_call_error(mcp_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A notification with params (taken over). */
void baton__mcp_notify(mcp_server *s, const char *method, cJSON *params);
/* Logs through the embedder's callback, if any. */
void baton__mcp_log(mcp_server *s, baton_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- mcp_batch.c: JSON-RPC batches ---- */
/* A batch whose responses collect until its last hold goes (the reader's, taken here; NULL when
 * out of memory). Then the responses go out as one array, or nothing when there are none. */
mcp_batch *baton__mcp_batch_new(void);
/* One more hold: a call that will answer into the batch. Thread-safe. */
void baton__mcp_batch_hold(mcp_batch *b);
/* Adds a response (taken over). Thread-safe. */
void baton__mcp_batch_add(mcp_batch *b, cJSON *response);
/* Drops a hold; the last sends the array and frees the batch. Thread-safe. */
void baton__mcp_batch_release(mcp_server *s, mcp_batch *b);

/* ---- mcp_tools.c: the tools ---- */
/* The tools/list result. NULL when out of memory. */
/* Marks a call as answered just before its response goes out, so that the
 * client may use its id again (mcp.c). */
void baton__mcp_call_answering(mcp_call *c);
cJSON *baton__mcp_tools_list(mcp_server *s);
/* For a fixed tool (run, plan, models_search): the name of the first argument in args its
 * schema does not have (borrowed from args), or NULL; known receives those it has, comma
 * separated. A task's tool takes any argument: NULL. */
const char *baton__mcp_unknown_arg(const char *tool, const cJSON *args, char *known, size_t cap);
/* Replaces every `from` in s by `to`: "image-to-text" <-> "image_to_text". */
void baton__mcp_swap_chars(char *s, char from, char to);
/* Runs a tools/call and sends its result (unless the call was cancelled).
 * Runs on the call's thread. */
void baton__mcp_tools_call(mcp_call *c);

/* ---- mcp_results.c: tool results ---- */
/* An empty tool result {"content": []}. */
cJSON *baton__mcp_tool_result(void);
/* Appends a text block (cut at MCP_MAX_TEXT bytes). */
void baton__mcp_add_text(cJSON *result, const char *text);
/* Adds obj (taken over) as the result's structuredContent when the revision agreed has it
 * (MCP_REV_STRUCTURED) and its JSON text is at most MCP_MAX_TEXT bytes (the text blocks carry
 * the same within their own bound); else frees it. */
void baton__mcp_add_structured(mcp_server *s, cJSON *result, cJSON *obj);
/* A tool result with isError and the reason in words. */
cJSON *baton__mcp_error_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The run tool's result from a run's result object (borrowed): failures,
 * the answer, every produced file; isError unless the run is done. */
cJSON *baton__mcp_run_result(mcp_server *s, cJSON *res);
/* A task tool's result from a one-task run's result object (borrowed). */
cJSON *baton__mcp_task_result(mcp_server *s, cJSON *res);

/* ---- mcp_exec.c: running a task graph or request ---- */
typedef struct mcp_job {
  const char *request;   /* plain-language request, or NULL */
  const char *plan_json; /* a task graph, or NULL */
  const char *const *inputs;
  size_t n_inputs;
  int offline;
  const char *messages;  /* the conversation so far (a JSON array), or NULL */
} mcp_job;
/* Runs the job through batond when one answers (and use_daemon), else in
 * process, sending progress notifications when the call has a token. Returns
 * the result object of `baton run --json`, or NULL with the reason in err.
 * *cancelled tells whether the run ended because the call was cancelled. */
cJSON *baton__mcp_exec(mcp_call *c, const mcp_job *job, bool *cancelled, char *err, size_t errlen);
/* Stops the call's run (thread-safe; from the reader thread). */
void baton__mcp_exec_cancel(mcp_call *c);

/* ---- mcp_resources.c: the files runs produced ---- */
/* Remembers a produced file (the newest MCP_MAX_RESOURCES are kept);
 * uri_out receives its URI. false when out of memory. Thread-safe. */
bool baton__mcp_res_add(mcp_server *s, const char *run_id, const char *path, char *uri_out,
                        size_t cap);
/* The resources/list result. */
cJSON *baton__mcp_res_list(mcp_server *s);
/* Answers a resources/read request. */
void baton__mcp_res_read(mcp_server *s, const cJSON *id, const cJSON *params);
/* MIME type from a file name's extension ("application/octet-stream"). */
const char *baton__mcp_mime(const char *path);
/* Reads a file of at most max bytes into a malloc'd buffer; NULL when it is
 * missing, unreadable or larger (errno EFBIG). */
char *baton__mcp_read_file(const char *path, size_t max, size_t *len);
/* Frees every remembered file. */
void baton__mcp_res_free(mcp_server *s);

/* ---- mcp_output.c: a produced file's bytes, here or through batond ---- */
/* A file a run made, of at most max bytes, as baton__mcp_read_file(); when this process cannot
 * open it and the session goes through batond (opts.use_daemon), copied from the daemon by
 * run.output, as a user the daemon serves must (the run folders are the daemon user's). NULL
 * with errno EFBIG when larger, else missing, refused or unreadable. */
char *baton__mcp_read_output(mcp_server *s, const char *path, size_t max, size_t *len);
/* Its size in bytes: stat() here, else asked of the daemon (as above) on *conn, connected on
 * first need (NULL before; the caller closes it). -1 when it is no file either can read. */
long long baton__mcp_output_size(mcp_server *s, baton__rpc_conn **conn, const char *path);

#endif
