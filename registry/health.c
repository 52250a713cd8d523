/* health.c — recording the outcome of a task on a model (the health part of the score). */
#include <pthread.h>
#include <sqlite3.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

int baton__registry_health_record(baton__registry *reg, const char *model_id, bool ok,
                                  long latency_ms, const char *error) {
  if (!reg || !model_id || !*model_id)
    return -1;
  char msg[1024];
  baton__fmt(msg, sizeof msg, "%s", error ? error : "");
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_health_put;
  sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, ok ? 1 : 0);
  sqlite3_bind_int(st, 3, ok ? 0 : 1);
  sqlite3_bind_int64(st, 4, latency_ms < 0 ? 0 : latency_ms);
  if (!ok)
    sqlite3_bind_text(st, 5, msg[0] ? msg : "failed", -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 5);
  sqlite3_bind_double(st, 6, baton__wall_s());
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  return s == SQLITE_DONE ? 0 : -1;
}
