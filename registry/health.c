/* health.c — recording the outcome of a task on a model (the health part of the score), without ever waiting for the write lock. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/* Outcomes kept while another connection (an import) holds the write lock;
 * beyond this many the oldest is dropped (health is advisory). */
#define MAX_PENDING 1024

/* Writes one outcome; SQLITE_DONE, SQLITE_BUSY (locked: try later) or an
 * error. Never waits: the handle's busy timeout is off meanwhile. */
static int put(baton__registry *reg, const baton__health_rec *h) {
  sqlite3_stmt *st = reg->st_health_put;
  sqlite3_bind_text(st, 1, h->model_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, h->ok ? 1 : 0);
  sqlite3_bind_int(st, 3, h->ok ? 0 : 1);
  sqlite3_bind_int64(st, 4, h->latency_ms < 0 ? 0 : h->latency_ms);
  if (!h->ok)
    sqlite3_bind_text(st, 5, h->error && *h->error ? h->error : "failed", -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 5);
  sqlite3_bind_double(st, 6, h->at);
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s == SQLITE_DONE ? s : (s & 0xff);
}

static void rec_release(baton__health_rec *h) {
  free(h->model_id);
  free(h->error);
}

/* Writes the kept outcomes in order while the lock is free. SQLITE_DONE
 * when none is left. */
static int flush(baton__registry *reg) {
  if (!reg->n_pending)
    return SQLITE_DONE;
  size_t done = 0;
  int s = SQLITE_DONE;
  while (done < reg->n_pending && (s = put(reg, &reg->pending[done])) != SQLITE_BUSY)
    rec_release(&reg->pending[done++]); /* written, or failed for good */
  memmove(reg->pending, reg->pending + done, (reg->n_pending - done) * sizeof *reg->pending);
  reg->n_pending -= done;
  return reg->n_pending ? SQLITE_BUSY : SQLITE_DONE;
}

/* Keeps an outcome for later (copies it). -1 when out of memory. */
static int keep(baton__registry *reg, const baton__health_rec *h) {
  if (!reg->pending && !(reg->pending = calloc(MAX_PENDING, sizeof *reg->pending)))
    return -1;
  if (reg->n_pending == MAX_PENDING) {
    rec_release(&reg->pending[0]);
    memmove(reg->pending, reg->pending + 1, --reg->n_pending * sizeof *reg->pending);
  }
  baton__health_rec c = {.ok = h->ok, .latency_ms = h->latency_ms, .at = h->at,
                         .model_id = baton__strdup(h->model_id),
                         .error = h->error ? baton__strdup(h->error) : NULL};
  if (!c.model_id || (h->error && !c.error)) {
    rec_release(&c);
    return -1;
  }
  reg->pending[reg->n_pending++] = c;
  return 0;
}

/*
 * Writes the outcome, after any kept earlier, if the write lock is free
 * now; else keeps it for the next call (or close). A run's task never
 * waits on an import: only one chunk of it would be in the way, but the
 * next chunk may take the lock first, for seconds.
 */
int baton__registry_health_record(baton__registry *reg, const char *model_id, bool ok,
                                  long latency_ms, const char *error) {
  if (!reg || !model_id || !*model_id)
    return -1;
  char msg[1024];
  baton__fmt(msg, sizeof msg, "%s", error ? error : "");
  baton__health_rec h = {.model_id = (char *)model_id, .ok = ok, .latency_ms = latency_ms,
                         .error = msg, .at = baton__wall_s()};
  pthread_mutex_lock(&reg->lock);
  baton__busy_wait(reg->db, 0);
  int s = flush(reg);
  if (s == SQLITE_DONE)
    s = put(reg, &h);
  int rc = 0;
  if (s == SQLITE_BUSY)
    rc = keep(reg, &h);
  else if (s != SQLITE_DONE)
    rc = -1;
  baton__busy_wait(reg->db, BATON__BUSY_MS);
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

void baton__health_flush(baton__registry *reg) {
  if (reg->n_pending && reg->st_health_put)
    flush(reg); /* with the handle's busy timeout: waits for the lock */
  for (size_t i = 0; i < reg->n_pending; i++)
    rec_release(&reg->pending[i]);
  free(reg->pending);
  reg->pending = NULL;
  reg->n_pending = 0;
}
