/* live_runs.c — a context's runs still going: cancelled by baton_shutdown(), waited for by baton_close(). */
#include <string.h>

#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

baton_rc baton__live_add(baton *ctx, baton_run *run) {
  pthread_mutex_lock(&ctx->live_lock);
  if (atomic_load(&ctx->closing)) {
    pthread_mutex_unlock(&ctx->live_lock);
    return baton__fail(ctx, BATON_CANCELLED, "cancelled: the context is being closed");
  }
  run->live_prev = NULL;
  run->live_next = ctx->live;
  if (ctx->live)
    ctx->live->live_prev = run;
  ctx->live = run;
  run->live = true;
  pthread_mutex_unlock(&ctx->live_lock);
  return BATON_OK;
}

void baton__live_remove(baton *ctx, baton_run *run) {
  pthread_mutex_lock(&ctx->live_lock);
  if (run->live) {
    if (run->live_prev)
      run->live_prev->live_next = run->live_next;
    else
      ctx->live = run->live_next;
    if (run->live_next)
      run->live_next->live_prev = run->live_prev;
    run->live = false;
    pthread_cond_broadcast(&ctx->live_cond);
  }
  pthread_mutex_unlock(&ctx->live_lock);
}

void baton_shutdown(baton *ctx) {
  if (!ctx)
    return;
  pthread_mutex_lock(&ctx->live_lock);
  atomic_store(&ctx->closing, 1);
  for (baton_run *r = ctx->live; r; r = r->live_next)
    baton_run_cancel_because(r, "the context is being closed");
  pthread_mutex_unlock(&ctx->live_lock);
  baton_interrupt(ctx); /* planning under way; planning that starts later sees closing */
}

void baton__live_wait(baton *ctx) {
  pthread_mutex_lock(&ctx->live_lock);
  while (ctx->live)
    pthread_cond_wait(&ctx->live_cond, &ctx->live_lock);
  pthread_mutex_unlock(&ctx->live_lock);
}
