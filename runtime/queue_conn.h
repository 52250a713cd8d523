/* queue_conn.h — one Redis connection for the task queue: URL, AUTH, commands, reconnecting with back-off. */
#ifndef BATON_RUNTIME_QUEUE_CONN_H
#define BATON_RUNTIME_QUEUE_CONN_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct redisContext;
struct redisReply;

/* A connection. Not thread-safe: one per thread, or under the owner's lock. */
typedef struct baton__qconn {
  char url[512];             /* as configured, for messages */
  char host[256];            /* TCP host, or "" for a unix socket */
  int port;
  char path[PATH_MAX];       /* unix socket path */
  int db;
  char *password;            /* owned, or NULL */
  struct redisContext *rc;   /* NULL while disconnected */
  int64_t deadline;          /* monotonic ms past which its commands give up too (0: none) */
} baton__qconn;

/* Parses url (redis://HOST[:PORT][/DB] or unix:///PATH) and copies password
 * (may be NULL). Does not connect. 0, or -1 with err. */
int baton__qconn_init(baton__qconn *c, const char *url, const char *password, char *err,
                      size_t errlen);
/* Connects (AUTH, SELECT, PING). 0, or -1 with a one-line err naming the URL. */
int baton__qconn_connect(baton__qconn *c, char *err, size_t errlen);
void baton__qconn_close(baton__qconn *c);

/*
 * Runs one command. On a lost connection it reconnects with back-off
 * (100 ms doubling to 2 s) and sends the command again, until it gets a reply
 * or *stop becomes non-zero or the monotonic deadline (ms, 0 = none) or the
 * connection's own deadline passes.
 * Returns the reply (an error reply too; free with baton__qreply_free), or
 * NULL with err when it gave up. lens may be NULL for NUL-terminated args.
 */
struct redisReply *baton__qconn_cmd(baton__qconn *c, int argc, const char **argv,
                                    const size_t *lens, const atomic_int *stop, int64_t deadline,
                                    char *err, size_t errlen);
/* The same for NUL-terminated words given as a NULL-terminated list. */
struct redisReply *baton__qconn_cmdl(baton__qconn *c, const atomic_int *stop, int64_t deadline,
                                     char *err, size_t errlen, ...);
void baton__qreply_free(struct redisReply *r);
/* Waits ms (in short slices), returning early once *stop (may be NULL) is non-zero. */
void baton__qpause(int64_t ms, const atomic_int *stop);

/* The host name of this machine (for worker names), never empty. */
void baton__qhostname(char *out, size_t cap);

#endif
