/* run_files.c — the files a stored run made, opened for the user the run belongs to: beneath its own folder, by its id checked in the history. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/util.h"
#include "registry/runstore.h"
#include "runtime/context.h"
#include "runtime/inputs.h"
#include "runtime/run_int.h"
#include "core/banned.h"

bool baton__run_id_ok(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n >= 64)
    return false;
  for (const char *c = id; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '-'))
      return false;
  return true;
}

/* The part of path below the folder dir ("ID/a.png"), or NULL when path is not beneath it. */
static const char *below(const char *path, const char *dir) {
  size_t n = dir ? strlen(dir) : 0;
  while (n > 1 && dir[n - 1] == '/')
    n--;
  if (!n || strncmp(path, dir, n) != 0 || path[n] != '/')
    return NULL;
  return path + n + strspn(path + n, "/");
}

/* Splits path into the run id (into id) and the path beneath the run's folder: NULL when path
 * lies beneath no run folder of ctx's home (as its runs name their files, or its real path). */
static const char *split(baton *ctx, const char *path, char *id, size_t cap) {
  char *runs = baton__path_join(ctx->cfg.home, "runs");
  char *real = runs ? realpath(runs, NULL) : NULL;
  const char *rest = runs ? below(path, runs) : NULL;
  if (!rest)
    rest = below(path, real);
  free(runs);
  free(real);
  size_t n = rest ? strcspn(rest, "/") : 0;
  if (!n || n >= cap || rest[n] != '/')
    return NULL;
  memcpy(id, rest, n);
  id[n] = '\0';
  rest += n + strspn(rest + n, "/");
  return baton__run_id_ok(id) && *rest ? rest : NULL;
}

/* Whether run id is in the history and, when uid >= 0, recorded as uid's; whether its files
 * were removed (limits.runs_kept) in *pruned. -1 when the history cannot be read (err). */
static int run_is(baton *ctx, const char *id, long uid, bool *pruned, char *err, size_t errlen) {
  if (baton__runs_usable(ctx) != BATON_OK) {
    baton__fmt(err, errlen, "%s", baton_errmsg(ctx));
    return -1;
  }
  char why[512] = "";
  cJSON *o = baton__runstore_get(ctx->runs, id, why, sizeof why);
  if (!o && strncmp(why, "no run", 6) != 0) {
    baton__fmt(err, errlen, "%s", why);
    return -1;
  }
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(o, "uid");
  bool is = o && (uid < 0 || (cJSON_IsNumber(owner) && owner->valuedouble == (double)uid));
  *pruned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "files_pruned"));
  cJSON_Delete(o);
  return is;
}

/* Opens rel beneath the folder of run id (no link to it followed): a regular file, blocking. */
static int open_in_run(baton *ctx, const char *id, const char *rel, bool pruned, char *err,
                       size_t errlen) {
  char sub[80];
  baton__fmt(sub, sizeof sub, "runs/%s", id);
  char *dir = baton__path_join(ctx->cfg.home, sub);
  int dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  int fd = dfd >= 0 ? baton__input_open_beneath(dir, dfd, rel) : -1, e = errno;
  struct stat st;
  if (dfd >= 0)
    close(dfd);
  free(dir);
  if (fd < 0 && e == ENOENT && pruned)
    baton__fmt(err, errlen, "run %s: its files were removed, to keep only the newest runs' "
               "files (limits.runs_kept)", id);
  else if (fd < 0)
    baton__fmt(err, errlen, "run %s: %s: %s", id, rel,
               e == ENOENT ? "no such file" : e == EXDEV || e == ELOOP
                   ? "reached through a link or \"..\" that leaves the run's folder" : strerror(e));
  else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    baton__fmt(err, errlen, "run %s: %s is not a regular file", id, rel);
  else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
    baton__fmt(err, errlen, "run %s: %s: %s", id, rel, strerror(errno));
  else
    return fd;
  if (fd >= 0)
    close(fd);
  return -1;
}

int baton__run_file_open(baton *ctx, const char *path, long uid, char *err, size_t errlen) {
  char id[64];
  const char *rel = path && path[0] == '/' ? split(ctx, path, id, sizeof id) : NULL;
  bool pruned = false;
  int is = rel ? run_is(ctx, id, uid, &pruned, err, errlen) : 0;
  if (is < 0)
    return -1;
  if (!is) {
    baton__fmt(err, errlen, "%.300s is no file of a run of yours (see `baton runs list`)",
               path ? path : "(null)");
    return -2;
  }
  return open_in_run(ctx, id, rel, pruned, err, errlen);
}

baton_rc baton_run_file_open(baton *ctx, const char *path, long uid, int *fd_out) {
  *fd_out = -1;
  char err[700];
  int fd = baton__run_file_open(ctx, path, uid, err, sizeof err);
  if (fd == -2)
    return baton__fail(ctx, BATON_NOTFOUND, "%s", err);
  if (fd < 0)
    return baton__fail(ctx, strstr(err, "no such file") || strstr(err, "were removed")
                                ? BATON_NOTFOUND : BATON_IO, "%s", err);
  *fd_out = fd;
  return BATON_OK;
}
