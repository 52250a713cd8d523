/* internal.h — the daemon server's shared types and the functions its files call in one another. */
#ifndef BATON_SERVER_INTERNAL_H
#define BATON_SERVER_INTERNAL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/util.h"
#include "runtime/context.h"

#define N_HELPERS 4  /* threads answering quick calls (reads, submit's checks) */
#define N_PLANNERS 4 /* threads answering `plan` (it may wait on the LLM) */
#define MAX_ALLOW_UIDS 64
#define MAX_SUBMIT_INPUTS 256
#define READ_CHUNK 65536
#define MAX_INFLIGHT 32     /* requests of one client being answered at once */
#define LINES_PER_TURN 64   /* requests of one client handled per loop turn */
#define FD_MARGIN 128       /* descriptors kept for the library beside clients */
#define ERR_BASE (-32000) /* project codes: ERR_BASE - baton_rc */

/* ---- types ---------------------------------------------------------------- */

/* A context and the number of users (the server itself, calls, runs). */
typedef struct srv_ctx {
  baton *ctx;
  int refs;
} srv_ctx;

/* One run submitted by a client. refs: the run's own life (1) plus loop-side
 * users such as run.cancel. */
typedef struct srun {
  struct baton_server *srv;
  srv_ctx *sc;
  uint64_t client;
  uid_t uid;          /* who submitted it (run.cancel is theirs) */
  char *id_json;      /* the request id as JSON text, or NULL: no reply */
  baton_run *run;     /* set once baton_submit() returned */
  char run_id[40];
  bool submitted, done, cancel_asked;
  bool recorded;      /* the history has it from its acceptance (forgotten if it never starts) */
  bool quiet;         /* submit's events: false - no notifications, only the result */
  uint64_t tag;       /* its planning's baton_request.interrupt_tag: run.cancel stops the LLM */
  const char *cancel_why; /* why it was cancelled (static text), or NULL: its client asked */
  int refs;
  struct srun *prev, *next;
  struct job *waiting; /* the submit request while the run waits for a slot */
  struct srun *wnext;  /* the queue of runs waiting for a slot */
} srun;

/* OUT_DONE carries no line: one request of the client was answered (its
 * in-flight count drops). OUT_SETTLE carries none either: a client that shut
 * its writing side has had its last request line handled; it is closed once
 * every request is answered and the answers are written. */
enum { OUT_NOTIFY, OUT_REPLY, OUT_DONE, OUT_SETTLE };

/* A line for a client, queued by any thread, written by the loop. */
typedef struct out_msg {
  struct out_msg *next;
  uint64_t client;
  int kind;
  size_t len;
  char line[];
} out_msg;

enum { JOB_CALL, JOB_FREE_RUN, JOB_START_RUN };

typedef struct job {
  struct job *next;
  int kind;
  uint64_t client;
  uid_t uid;
  gid_t gid;
  gid_t *groups; /* the client's supplementary groups (owned) */
  size_t n_groups;
  char *method;
  char *id_json;
  cJSON *params;
  srun *sr;
} job;

/* The threads that take jobs: quick calls; `plan` calls; runs being started
 * (planned, which may wait on the LLM: as many threads as daemon.max_runs, so
 * a run holding a slot never waits for one). */
enum { POOL_CALLS, POOL_PLANS, POOL_RUNS, N_POOLS };

typedef struct pool {
  struct baton_server *srv;
  job *head, *tail;
  size_t queued;       /* jobs in the queue */
  int idle;            /* threads waiting for a job */
  pthread_cond_t cond;
  pthread_t *threads;  /* started so far (owned) */
  int n_threads, cap_threads;
} pool;

typedef struct conn {
  int fd;
  uint64_t id;
  uid_t uid;
  gid_t gid;
  gid_t *groups; /* all its supplementary groups as it connected (SO_PEERGROUPS; owned) */
  size_t n_groups;
  pid_t pid;
  char *in;
  size_t in_len, in_cap;
  size_t scan;        /* in[0, scan) holds no newline */
  bool lines;         /* in holds a complete request line not handled yet */
  bool ready;         /* listed to be served on the next loop turn */
  unsigned inflight;  /* requests handed to helpers or runs, not answered yet */
  bool skipping;      /* discarding the rest of an oversized line */
  bool eof;           /* the client shut its writing side: no more requests,
                         but it still reads its answers */
  baton__sb out;
  size_t out_off;
  bool dropping;      /* notifications dropped: the client reads too slowly */
  bool want_out;      /* output waits for the socket (EPOLLOUT wanted) */
  bool paused;        /* not reading its requests until it reads its output
                         or its requests in flight are answered */
  uint32_t events;    /* what epoll watches now */
} conn;

typedef struct settings {
  uid_t allow[MAX_ALLOW_UIDS];
  size_t n_allow;
  long grace_ms;
  int max_clients;
  size_t max_msg;
  size_t max_out;
  size_t max_backlog;
  int max_runs;
} settings;

/* A log line shown at most once a second; the rest are counted. */
typedef struct ratelog {
  int64_t last_ms;
  unsigned long suppressed;
} ratelog;

struct baton_server {
  char *config_path;
  char *socket_path;
  char *lock_path;
  int lock_fd;
  int listen_fd;
  bool own_socket;
  dev_t sock_dev;
  ino_t sock_ino;
  int epfd;
  int wake[2];              /* self-pipe: 'q' queue, 'S' stop, 'R' reload */
  atomic_int wake_pending;
  atomic_int stop_grace;    /* grace asked by baton_server_stop(); INT_MIN: none */
  baton_log_fn log_fn;
  void *log_ud;
  baton_log_level log_level;
  char errmsg[512];

  pthread_mutex_t lock;     /* contexts, runs, jobs, counters */
  srv_ctx *cur;
  srun *active;
  size_t n_active;
  pool pools[N_POOLS];
  int busy_helpers;         /* threads of any pool doing a job */
  bool helpers_quit;
  bool stopping;
  uint64_t runs_total;
  size_t n_running;         /* runs holding a slot (at most set.max_runs) */
  srun *wait_head, *wait_tail; /* runs waiting for a slot */
  size_t n_waiting;
  int max_runs;             /* set.max_runs, for the helpers */

  pthread_mutex_t qlock;    /* the out queue */
  out_msg *q_head, *q_tail;

  settings set;             /* loop thread only (copied for helpers under lock) */
  conn **clients;         /* by fd */
  size_t clients_cap;
  size_t n_clients;
  uint64_t next_client;
  int64_t started_ms;
  uint64_t *ready;          /* clients with request lines left for the next turn */
  size_t n_ready, cap_ready;
  int reserve_fd;           /* spent to accept-and-refuse when descriptors run out */
  bool listen_paused;       /* no descriptor even for that: accept nothing for now */
  int64_t listen_paused_ms;
  ratelog fd_log, full_log; /* out of descriptors; too many clients */
  unsigned long refused_full;
};

/* server.c: lifecycle, contexts, settings, logging */
void baton__srv_log(baton_server *srv, baton_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
baton_rc baton__srv_fail(baton_server *srv, baton_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void baton__srv_apply_settings(baton_server *srv, const baton__config *cfg);
srv_ctx *baton__srv_ctx_get(baton_server *srv);
void baton__srv_ctx_put(baton_server *srv, srv_ctx *sc);
void baton__srv_reload(baton_server *srv);
void baton__srv_log_limited(baton_server *srv, ratelog *rl, baton_log_level level,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* reply.c: lines queued for clients by any thread */
void baton__srv_wake(baton_server *srv, char c);
void baton__srv_post(baton_server *srv, uint64_t client, int kind, const char *line, size_t len);
void baton__srv_post_sb(baton_server *srv, uint64_t client, int kind, baton__sb *sb);
void baton__srv_post_error(baton_server *srv, uint64_t client, const char *id_json, int code,
                           const char *msg, int rc);
void baton__srv_post_rc(baton_server *srv, uint64_t client, const char *id_json, baton_rc rc,
                        const char *msg);
void baton__srv_post_result(baton_server *srv, uint64_t client, const char *id_json,
                            const char *raw);
void baton__srv_post_done(baton_server *srv, uint64_t client);

/* peer.c: who may connect */
void baton__srv_parse_allow(settings *s, const char *list);
void baton__srv_refuse(int fd, baton_rc rc, const char *why);
bool baton__srv_peer_admit(baton_server *srv, int fd, struct ucred *cred);
/* Sets the socket's and its folder's modes for daemon.allow_uids (socket.c).
 * 0 or -1 (errno). */
int baton__srv_socket_modes(baton_server *srv);
/* Whether a caller sees and touches every run: the daemon's own user and
 * root. Others see only the runs they submitted. */
bool baton__srv_sees_all(uid_t uid);
/* All the peer's supplementary groups as it connected, into *out (malloc'd; NULL when none):
 * how many, or -1 when they cannot be read (then the peer is not served: a group left out could
 * move it to the "others" a file lets read). */
long baton__srv_peer_groups(int fd, gid_t **out);
/* Whether the run described by json (a run.get result, with "uid") is
 * uid's to see. */
bool baton__srv_run_visible(uid_t uid, const char *json);

/* socket.c: the listening socket and its lock */
baton_rc baton__srv_bind_socket(baton_server *srv);
void baton__srv_unlink_socket(baton_server *srv);

/* loop.c: the event loop */
void baton__srv_final_flush(baton_server *srv, int ms);

/* accept.c: accepting clients */
void baton__srv_accept(baton_server *srv);
void baton__srv_listen_resume(baton_server *srv);

/* conn.c: connections, their output and the out queue */
conn *baton__srv_client_by_id(baton_server *srv, uint64_t id);
void baton__srv_client_close(baton_server *srv, conn *c);
bool baton__srv_client_flush(baton_server *srv, conn *c);
void baton__srv_drain_queue(baton_server *srv);
void baton__srv_arm(baton_server *srv, conn *c);

/* input.c: reading request lines */
void baton__srv_client_read(baton_server *srv, conn *c, uint32_t events);
void baton__srv_ready_push(baton_server *srv, conn *c);
void baton__srv_serve_ready(baton_server *srv);

/* Whether a client is past its bounds: unsent output, or requests in flight. */
static inline bool baton__srv_over_limits(const baton_server *srv, const conn *c) {
  return c->out.len - c->out_off > srv->set.max_backlog || c->inflight >= MAX_INFLIGHT;
}

/* request.c: one JSON-RPC request line */
/* One request line, checked: the parsed message (owned), its id as JSON
 * text (or NULL), the method and params (borrowed from msg; params NULL
 * when absent or null). */
typedef struct baton__rpc_req {
  cJSON *msg;
  char *id_json;
  const char *method;
  cJSON *params;
} baton__rpc_req;
/* Parses and checks a request line (without its newline): 0, or the
 * JSON-RPC error code with msg (*out still to release). */
int baton__srv_parse_line(const char *line, size_t len, baton__rpc_req *out, char *msg,
                          size_t cap);
void baton__srv_rpc_req_release(baton__rpc_req *r);
void baton__srv_handle_line(baton_server *srv, conn *c, const char *line, size_t len);

/* jobs.c: the pools of helper threads */
/* Starts each pool's first threads; false when none could start. */
bool baton__srv_pools_start(baton_server *srv);
/* Tells every thread to quit and joins them (no job may come after). */
void baton__srv_pools_stop(baton_server *srv);
/* Queues j for the pool its kind and method go to, starting a thread for it
 * when none is free and the pool may grow. */
void baton__srv_push_job(baton_server *srv, job *j);
void baton__srv_push_job_locked(baton_server *srv, job *j); /* srv->lock held */
/* Jobs waiting for a thread in any pool (srv->lock held). */
size_t baton__srv_jobs_queued(const baton_server *srv);
void baton__srv_job_free(job *j);
bool baton__srv_idle(baton_server *srv);

/* params.c: method parameters */
const cJSON *baton__srv_param(const cJSON *params, const char *name);
bool baton__srv_opt_str(baton_server *srv, const job *j, const char *name, const char **out);
bool baton__srv_opt_int(baton_server *srv, const job *j, const char *name, int lo, int hi,
                        int *out);
void baton__srv_bad_params(baton_server *srv, const job *j, const char *msg);
/* Whether every parameter of a submit or plan is one they take; false after
 * answering -32602 naming the unknown one and those taken. */
bool baton__srv_run_params_known(baton_server *srv, const job *j);
/* What a run request's parameters hold until the call that uses them returns. */
typedef struct req_hold {
  const char *inputs[MAX_SUBMIT_INPUTS];
  char *plan_buf, *msgs_buf; /* cJSON_free() */
  int cwd_fd;                /* the caller's folder, opened once when checked, or -1 */
  char cwd_path[40];         /* /proc/self/fd/N: that very folder, for the library */
} req_hold;
/* Fills req from j's parameters (its buffers and descriptor in *h: release
 * them with baton__srv_request_release()). false when a reply was sent. */
bool baton__srv_request_params(baton_server *srv, const job *j, baton_request *req, req_hold *h);
void baton__srv_request_release(req_hold *h);

/* methods.c: the JSON-RPC methods */
bool baton__srv_call(baton_server *srv, job *j);
bool baton__srv_job_method(const char *m);
bool baton__srv_loop_method(baton_server *srv, uint64_t client, uid_t uid, const char *m,
                            const char *id_json, const cJSON *params);

/* files.c: run.output, a piece of a file one of the caller's runs made */
void baton__srv_run_output(baton_server *srv, const job *j, srv_ctx *sc);

/* stream.c: runs, their events and cancelling */
void baton__srv_run_unref(baton_server *srv, srun *sr);
bool baton__srv_submit(baton_server *srv, job *j, srv_ctx *sc);
void baton__srv_start_waiting(baton_server *srv, srun *sr);
void baton__srv_cancel(baton_server *srv, uint64_t client, uid_t uid, const char *id_json,
                       const cJSON *params);
void baton__srv_cancel_all(baton_server *srv);

/* unplanned.c: a run before it has a plan */
/* Tells sr's client the run is accepted: the `accepted` event, the first of
 * the run's, with the id run.cancel takes (none when it asked for no events). */
void baton__srv_post_accepted(baton_server *srv, const srun *sr);
/* Ends sr, cancelled before or while being planned (its request j): its
 * `done` event and a result with status "cancelled", no tasks, and
 * cancel_reason why (NULL: "cancelled while it was being planned"). */
void baton__srv_post_unplanned(baton_server *srv, const srun *sr, const job *j, const char *why,
                               bool recorded);
/* Records in the run history run sr (request j) cancelled before it had a plan, for why (NULL:
 * while it was being planned). */
void baton__srv_record_unplanned(const srun *sr, const job *j, const char *why);

/* slots.c: run slots and the queue of runs waiting for one */
/* Frees a finished run's slot, handing it to the first run waiting
 * (srv->lock held). */
void baton__srv_pass_slot(baton_server *srv);
/* Hands a run that holds a slot to the runs' pool to be planned and started,
 * taking its request over from j. true when the run took the request over
 * (else the error is sent and the slot passed on). */
bool baton__srv_start_later(baton_server *srv, srun *sr, job *j);
/* Queues a run for a slot, taking its request over from j, and sends the
 * "queued" event. true when the run took the request over. */
bool baton__srv_wait_for_slot(baton_server *srv, srun *sr, job *j);
/* Takes sr out of the queue (srv->lock held); false when it is not there
 * (started, or never queued). */
bool baton__srv_unqueue(baton_server *srv, srun *sr);
/* Ends a run taken out of the queue before it started: its submit is
 * answered with rc and msg, the run freed. */
void baton__srv_end_waiting(baton_server *srv, srun *sr, baton_rc rc, const char *msg);
/* Refuses the runs still waiting for a slot (the daemon is stopping). */
void baton__srv_drop_waiting(baton_server *srv);
/* Ends the runs a client left waiting: it is gone before they started. */
void baton__srv_drop_client_waiting(baton_server *srv, uint64_t client);

#endif
