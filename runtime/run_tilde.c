/* run_tilde.c — a leading "~/" in a file a request names: the caller's home folder, never a daemon's own. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The home folder of uid in the user database into out. 0, or -1 with errno. */
static int home_of(uid_t uid, char *out, size_t cap) {
  long n = sysconf(_SC_GETPW_R_SIZE_MAX);
  size_t len = n > 0 && n < (1 << 20) ? (size_t)n : 16384;
  char *buf = malloc(len);
  struct passwd pw, *found = NULL;
  int rc = buf ? getpwuid_r(uid, &pw, buf, len, &found) : ENOMEM;
  if (rc == 0 && (!found || !found->pw_dir || found->pw_dir[0] != '/'))
    rc = ENOENT;
  if (rc == 0)
    baton__fmt(out, cap, "%s", found->pw_dir);
  free(buf);
  errno = rc;
  return rc == 0 ? 0 : -1;
}

/* The caller's home folder into out: the one the request gives; else another user's (a daemon
 * serving it) from the user database, never this process's $HOME; this process's user's, $HOME
 * when it is an absolute path (as a shell expands "~"), else the user database's. 0, or -1 when
 * there is none. */
static int caller_home(const baton_request *req, char *out, size_t cap) {
  if (req->home && req->home[0] == '/' && strlen(req->home) < cap) {
    baton__fmt(out, cap, "%s", req->home);
    return 0;
  }
  if (req->as_caller && req->caller_uid != geteuid())
    return home_of((uid_t)req->caller_uid, out, cap);
  const char *env = getenv("HOME");
  if (env && env[0] == '/' && strlen(env) < cap) {
    baton__fmt(out, cap, "%s", env);
    return 0;
  }
  return home_of(geteuid(), out, cap);
}

int baton__run_expand_tilde(const baton_request *req, char **name, char *err, size_t errlen) {
  const char *v = *name;
  if (!v || v[0] != '~' || (v[1] != '/' && v[1] != '\0'))
    return 0; /* "~user/..." is left as it is */
  char home[4096];
  if (caller_home(req, home, sizeof home) != 0) {
    baton__fmt(err, errlen, "%s: no home folder is known for uid %u", v,
               req->as_caller ? req->caller_uid : (unsigned)geteuid());
    return -1;
  }
  size_t hl = strlen(home);
  while (hl > 1 && home[hl - 1] == '/')
    hl--; /* "/home/ann/" + "/notes.txt" */
  char *full = malloc(hl + strlen(v + 1) + 1);
  if (!full) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  memcpy(full, home, hl);
  memcpy(full + hl, v + 1, strlen(v + 1) + 1);
  free(*name);
  *name = full;
  return 1;
}
