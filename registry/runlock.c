/* runlock.c — run liveness by flock on per-instance lock files, never by pid. */
#include "registry/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

static bool instance_ok(const char *s) {
  size_t n = strlen(s);
  if (n != 32)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

static int random_instance(char out[33], char *err, size_t errlen) {
  unsigned char b[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
  if (fd >= 0)
    close(fd);
  if (got != (ssize_t)sizeof b) {
    baton__fmt(err, errlen, "run history: cannot read /dev/urandom for an instance id");
    return -1;
  }
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}

int baton__runlock_take(baton__runlock *rl, const char *db_path, char *err, size_t errlen) {
  rl->fd = -1;
  baton__fmt(rl->dir, sizeof rl->dir, "%s-locks", db_path);
  if (random_instance(rl->instance, err, errlen) != 0)
    return -1;
  if (mkdir(rl->dir, 0700) != 0 && errno != EEXIST) {
    baton__fmt(err, errlen, "run history: cannot create %s: %s", rl->dir, strerror(errno));
    return -1;
  }
  char path[4200];
  baton__fmt(path, sizeof path, "%s/%s.lock", rl->dir, rl->instance);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
    baton__fmt(err, errlen, "run history: cannot lock %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  rl->fd = fd;
  return 0;
}

void baton__runlock_drop(baton__runlock *rl) {
  if (rl->fd < 0)
    return;
  char path[4200];
  baton__fmt(path, sizeof path, "%s/%s.lock", rl->dir, rl->instance);
  unlink(path);
  close(rl->fd);
  rl->fd = -1;
}

bool baton__runlock_alive(const baton__runlock *rl, const char *owner) {
  if (!owner || !instance_ok(owner))
    return false;
  if (rl->fd >= 0 && strcmp(owner, rl->instance) == 0)
    return true;
  char path[4200];
  baton__fmt(path, sizeof path, "%s/%s.lock", rl->dir, owner);
  int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (!held)
    unlink(path); /* its owner is gone; we hold the lock while removing it */
  close(fd);
  return held;
}
