/* pauses.h — what a long registry write (import, sync) has done, told by its pauses between transactions; optionally held in the first. */
#ifndef BATON_TESTS_PAUSES_H
#define BATON_TESTS_PAUSES_H

#include <pthread.h>
#include <stdbool.h>

#include "registry/internal.h"

typedef struct bt_pauses {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  long commits; /* transactions committed when it last paused */
  bool hold;    /* the write waits in its first pause until bt_pauses_release() */
  bool done;    /* set by bt_pauses_done() */
} bt_pauses;

/* Sets p up and makes reg's imports and syncs tell it their pauses (reg's
 * write_paused hook); with hold, the first pause waits for the test. */
void bt_pauses_attach(bt_pauses *p, baton__registry *reg, bool hold);
/* Says the write has returned (call from the writing thread). */
void bt_pauses_done(bt_pauses *p);
/* Transactions committed at the last pause; *done (may be NULL) whether
 * the write has returned. */
long bt_pauses_commits(bt_pauses *p, bool *done);
/* Waits until the write has paused once or returned; whether it paused.
 * Fails the test after BT_WAIT_MS. */
bool bt_pauses_wait_first(bt_pauses *p);
/* Lets a held write go on. */
void bt_pauses_release(bt_pauses *p);

#endif
