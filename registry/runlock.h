/* runlock.h — which process owns a stored run: per-instance lock files held with flock. */
#ifndef BATON_REGISTRY_RUNLOCK_H
#define BATON_REGISTRY_RUNLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* One process's claim on the runs it records: a lock file
 * <db>-locks/<instance>.lock held with flock(LOCK_EX) for as long as the
 * run history is open. A stored run is alive only while its owner's file is
 * locked, so a restarted daemon that gets the same pid (PID 1 in a
 * container) still sees its predecessor's runs as interrupted. */
typedef struct baton__runlock {
  char dir[4096];     /* <db>-locks */
  char instance[33];  /* 32 hex digits */
  int fd;             /* the held lock, or -1 */
} baton__runlock;

/* Creates the lock folder and takes this instance's lock. 0 or -1 with err. */
int baton__runlock_take(baton__runlock *rl, const char *db_path, char *err, size_t errlen);
/* Drops the lock and removes its file. */
void baton__runlock_drop(baton__runlock *rl);
/* Whether the instance `owner` (stored with a run) still holds its lock.
 * This instance counts as alive; an unknown or malformed owner does not.
 * A lock file found free is removed. */
bool baton__runlock_alive(const baton__runlock *rl, const char *owner);

#endif
