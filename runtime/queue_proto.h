/* queue_proto.h — what travels through Redis: key names, blobs, and values with their files as blobs. */
#ifndef BATON_RUNTIME_QUEUE_PROTO_H
#define BATON_RUNTIME_QUEUE_PROTO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "executors/executor.h"
#include "runtime/queue_conn.h"

struct cJSON;

/*
 * Keys (all under "baton:"):
 *   tasks:EXECUTOR:TASK        stream of jobs, consumer group "workers"
 *   reply:COORDINATOR          stream of finished jobs for one coordinator
 *   result:RUN:TASK:ATTEMPT    the result JSON, first writer wins (SET NX)
 *   attempts:RUN:TASK          attempts sent so far (INCR)
 *   blob:RANDOM                one file's bytes
 *   worker:HOST:NAME           a live worker's heartbeat (JSON, with a TTL)
 *   workers                    set of worker names ever seen (pruned when stale)
 * Results, blobs, attempt counters and reply streams (after their last
 * result) expire after BATON__QUEUE_KEEP_S.
 *
 * A job entry: fields "job" {"run","task_id","executor","task","model",
 * "endpoint","prefix","timeout_ms","reply","inputs":[value...]}, "attempt"
 * and "result" (its result key).
 * A result: {"ok","error","transient","bad_input","worker","outputs":[value...]}.
 * A value: {"name","type","data"} or, for a file, {"name","type","file"} with
 * "bytes" (base64, small files) or "blob" (the key of a blob).
 */
#define BATON__QUEUE_GROUP "workers"
#define BATON__QUEUE_KEEP_S 86400
#define BATON__QUEUE_KEEP_S_STR "86400"
#define BATON__QUEUE_HEARTBEAT_MS 1000
#define BATON__QUEUE_HEARTBEAT_TTL_MS 5000
/* Files up to this many bytes in all travel inside the job or result JSON
 * (base64, "bytes") instead of as blobs. */
#define BATON__QUEUE_INLINE_MAX (256u << 10)
/* Values of one job or result whose blobs are deleted at once. */
#define BATON__QUEUE_MAX_VALUES 64
/* A job or result JSON holds its texts inline (each at most blob_max_bytes)
 * besides this much of everything else. */
#define BATON__QUEUE_JOB_SLACK (1u << 20)

void baton__qkey_stream(char *out, size_t cap, const char *executor, const char *task);
void baton__qkey_result(char *out, size_t cap, const char *run, int task_id, long attempt);
/* The result keys of every attempt of a task start with this. */
void baton__qkey_result_prefix(char *out, size_t cap, const char *run, int task_id);
/* Random lower-case hex, n characters (n+1 bytes written). */
void baton__qrandom_hex(char *out, size_t n);

/* Creates the consumer group of a stream (and the stream). 0, or -1 with err. */
int baton__qgroup_ensure(baton__qconn *c, const char *stream, const atomic_int *stop, char *err,
                         size_t errlen);

/*
 * Encodes values as a JSON array: texts inline, small files (up to
 * BATON__QUEUE_INLINE_MAX in all) inline as base64, each other file uploaded
 * as a blob. Every file's size is checked against max first, so that over the
 * limit nothing is uploaded and err says which file and why. Returns the array
 * (caller deletes), or NULL with err.
 */
struct cJSON *baton__qvalues_put(baton__qconn *c, const baton__values *vs, size_t max,
                                 const atomic_int *stop, char *err, size_t errlen);
/*
 * Decodes a value array into vs; each file (inline or a blob) is written into dir
 * (under its file's base name, made safe), and the value's data is that path.
 * Fails without writing anything more once a blob is missing or over max.
 * 0, or -1 with err.
 */
int baton__qvalues_get(baton__qconn *c, const struct cJSON *arr, const char *dir, size_t max,
                       const atomic_int *stop, baton__values *vs, char *err, size_t errlen);
/* Deletes the blobs a value array names (best effort). */
void baton__qvalues_drop(baton__qconn *c, const struct cJSON *arr, const atomic_int *stop);

/* A string member of a JSON object, or NULL. */
const char *baton__qjstr(const struct cJSON *o, const char *key);

#endif
