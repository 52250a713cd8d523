/* pauses.c — what a long registry write (import, sync) has done, told by its pauses between transactions; optionally held in the first. */
#include "support/pauses.h"

#include <criterion/criterion.h>

#include "support/support.h"

static void on_pause(void *ud, const baton__pace *pace) {
  bt_pauses *p = ud;
  pthread_mutex_lock(&p->mu);
  p->commits = pace->commits;
  pthread_cond_broadcast(&p->cv);
  while (p->hold)
    pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

void bt_pauses_attach(bt_pauses *p, baton__registry *reg, bool hold) {
  *p = (bt_pauses){.hold = hold};
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  reg->write_paused = on_pause;
  reg->write_paused_ud = p;
}

void bt_pauses_done(bt_pauses *p) {
  pthread_mutex_lock(&p->mu);
  p->done = true;
  pthread_mutex_unlock(&p->mu);
}

long bt_pauses_commits(bt_pauses *p, bool *done) {
  pthread_mutex_lock(&p->mu);
  long c = p->commits;
  if (done)
    *done = p->done;
  pthread_mutex_unlock(&p->mu);
  return c;
}

bool bt_pauses_wait_first(bt_pauses *p) {
  bool done = false;
  for (long end = bt_now_ms() + BT_WAIT_MS; bt_pauses_commits(p, &done) == 0 && !done;
       bt_nap_ms(2))
    cr_assert_lt(bt_now_ms(), end, "the write neither paused nor returned");
  return bt_pauses_commits(p, NULL) > 0;
}

void bt_pauses_release(bt_pauses *p) {
  pthread_mutex_lock(&p->mu);
  p->hold = false;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
}
