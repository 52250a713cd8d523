/* inputs.c — input files opened once: confined by the kernel (openat2 or an O_NOFOLLOW walk), with the caller's rights. */
#include "runtime/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/acl.h"
#include "core/banned.h"

/* Whether path lies lexically under root ("/" holds everything); the part
 * below it in *rel. */
static bool lexically_under(const char *path, const char *root, const char **rel) {
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/') {
    *rel = path + 1;
    return true;
  }
  if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
    return false;
  *rel = path[n] == '/' ? path + n + 1 : path + n;
  return true;
}

/* Opens rel beneath dirfd, one component at a time, following no symbolic
 * link and no "..": the fallback where openat2 is missing. */
static int walk_nofollow(int dirfd, const char *rel) {
  int cur = dup(dirfd);
  const char *p = rel;
  while (cur >= 0 && *p) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    const char *next = slash ? slash + 1 : p + n;
    while (*next == '/')
      next++;
    char part[256];
    if (n >= sizeof part || (n == 2 && p[0] == '.' && p[1] == '.')) {
      close(cur);
      errno = n >= sizeof part ? ENAMETOOLONG : EXDEV;
      return -1;
    }
    memcpy(part, p, n);
    part[n] = '\0';
    if (n && strcmp(part, ".") != 0) {
      bool last = *next == '\0';
      int flags = O_NOFOLLOW | O_CLOEXEC |
                  (last ? O_RDONLY | O_NOCTTY | O_NONBLOCK : O_PATH | O_DIRECTORY);
      int fd = openat(cur, part, flags);
      int e = errno;
      close(cur);
      errno = e;
      cur = fd;
    }
    p = next;
  }
  return cur;
}

int baton__input_open_beneath(const char *root, int root_fd, const char *rel) {
  int dirfd = root_fd >= 0 ? root_fd : open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return -1;
  int fd = -1;
  if (!*rel) {
    errno = EISDIR;
  } else {
    /* O_NONBLOCK: a FIFO or device opens at once, to be refused by checked(). */
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM))
      fd = walk_nofollow(dirfd, rel); /* no openat2 (old kernel, seccomp) */
  }
  int e = errno;
  if (dirfd != root_fd)
    close(dirfd);
  errno = e;
  return fd;
}

int baton__input_root_open(const char *path, char **real) {
  *real = NULL;
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char self[40];
  baton__fmt(self, sizeof self, "/proc/self/fd/%d", fd);
  *real = realpath(self, NULL);
  if (!*real)
    *real = realpath(path, NULL); /* no /proc: the path as it resolves now */
  if (!*real) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

typedef struct opener {
  const baton__input_scope *scope;
  const char *name;
  int fd;
  int err;            /* errno of the failure */
  bool outside;       /* under none of the roots */
  bool as_user;       /* the thread took on the caller's rights */
  const char *why;    /* why the caller's access could not be judged (or NULL) */
} opener;

static bool reachable(opener *o, size_t i, const char *rel);

static void open_in_roots(opener *o) {
  const baton__input_scope *s = o->scope;
  o->fd = -1;
  o->outside = true;
  for (size_t i = 0; i < s->n_roots && o->fd < 0; i++) {
    const char *rel = o->name;
    if (o->name[0] == '/' && !lexically_under(o->name, s->roots[i], &rel))
      continue;
    if (o->name[0] != '/' && i > 0)
      break; /* relative names are relative to the first root only */
    o->outside = false;
    o->why = NULL;
    o->fd = baton__input_open_beneath(s->roots[i], s->root_fds ? s->root_fds[i] : -1, rel);
    o->err = errno;
    if (s->as_caller && !o->as_user && !reachable(o, i, rel)) {
      if (o->fd >= 0)
        close(o->fd);
      o->fd = -1;
      o->err = EACCES; /* (what is not there behind a closed folder is not told apart) */
    }
  }
}

/* Takes on the caller's file-system identity (fsuid, fsgid, its own group and supplementary
 * groups) with raw system calls, which change only the calling thread: whether it could. */
static bool take_identity(const baton__input_scope *s) {
  gid_t *g = malloc((1 + s->n_groups) * sizeof *g);
  if (!g)
    return false;
  g[0] = s->gid;
  if (s->n_groups) /* (no groups may be NULL) */
    memcpy(g + 1, s->groups, s->n_groups * sizeof *g);
  long set = syscall(SYS_setgroups, 1 + s->n_groups, g);
  free(g);
  if (set != 0)
    return false;
  syscall(SYS_setfsgid, s->gid);
  syscall(SYS_setfsuid, s->uid);
  return syscall(SYS_setfsuid, (uid_t)-1) == (long)s->uid &&
         syscall(SYS_setfsgid, (gid_t)-1) == (long)s->gid;
}

/* A thread that takes on the caller's identity, opens, and ends. */
static void *open_as_caller(void *arg) {
  opener *o = arg;
  o->as_user = take_identity(o->scope);
  open_in_roots(o);
  return NULL;
}

/* Without the privilege to take on the caller's identity: whether the permission bits and
 * ACLs of what fd holds (st) let the caller do all of `want` (BATON__ACL_READ,
 * BATON__ACL_EXECUTE), as the kernel or the file's server would decide for it; why not, when
 * that cannot be judged, in *why (baton__acl_caller_may). */
static bool caller_may(const baton__input_scope *s, int fd, const struct stat *st,
                       unsigned want, const char **why) {
  baton__acl_caller who = {.uid = s->uid, .gid = s->gid, .groups = s->groups,
                           .n_groups = s->n_groups};
  return baton__acl_caller_may(fd, st, &who, want, why);
}

bool baton__input_caller_may_reach(const baton__input_scope *s, int root_fd, const char *rel,
                                   struct stat *st, const char **why) {
  int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  bool ok = cur >= 0 && fstat(cur, st) == 0;
  for (const char *p = rel; ok && *p; p += strspn(p, "/")) {
    size_t n = strcspn(p, "/");
    char part[256];
    ok = S_ISDIR(st->st_mode) && caller_may(s, cur, st, BATON__ACL_EXECUTE, why) &&
         n < sizeof part && !(n == 2 && p[0] == '.' && p[1] == '.');
    if (ok && n && !(n == 1 && p[0] == '.')) {
      memcpy(part, p, n);
      part[n] = '\0';
      int next = openat(cur, part, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      close(cur);
      cur = next;
      ok = cur >= 0 && fstat(cur, st) == 0;
    }
    p += n;
  }
  /* (read and search asked apart, as the kernel does: two group entries may grant one each) */
  ok = ok && (S_ISREG(st->st_mode) ||
              (S_ISDIR(st->st_mode) && caller_may(s, cur, st, BATON__ACL_READ, why) &&
               caller_may(s, cur, st, BATON__ACL_EXECUTE, why)));
  if (cur >= 0)
    close(cur);
  return ok;
}

/* Is rel, as far as it goes beneath root i, behind a folder the caller may not search? Why,
 * when that cannot be judged, in *why. */
static bool behind_closed(const baton__input_scope *s, size_t i, const char *rel,
                          const char **why) {
  bool given = s->root_fds && s->root_fds[i] >= 0;
  int cur = given ? fcntl(s->root_fds[i], F_DUPFD_CLOEXEC, 0)
                  : open(s->roots[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  bool closed = false;
  for (const char *p = rel; cur >= 0 && !closed && *p; p += strspn(p, "/")) {
    size_t n = strcspn(p, "/");
    char part[256];
    if (fstat(cur, &st) != 0 || !S_ISDIR(st.st_mode) || n >= sizeof part)
      break;
    closed = !caller_may(s, cur, &st, BATON__ACL_EXECUTE, why);
    memcpy(part, p, n);
    part[n] = '\0';
    int next = closed || !n ? -1 : openat(cur, part, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    cur = next;
    p += n;
  }
  if (cur >= 0)
    close(cur);
  return closed;
}

/* Without the caller's identity: whether the caller may reach what o->fd holds, opened as rel
 * beneath root i, by the permission bits and ACLs of every folder on the way there: those rel
 * names (links included) and those of its real path beneath the root's, which must lead to that
 * very file or folder. */
static bool reachable(opener *o, size_t i, const char *rel) {
  const baton__input_scope *s = o->scope;
  for (const char *p = rel; *p; p += strspn(p, "/")) { /* "a/../b" passes through a */
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    p += n;
  }
  /* a folder rel names, a link's too, closed to it */
  bool closed = behind_closed(s, i, rel, &o->why);
  if (o->fd < 0 || closed) /* nothing there: fine unless behind a closed folder (not told apart) */
    return o->fd < 0 && !closed;
  char self[40];
  baton__fmt(self, sizeof self, "/proc/self/fd/%d", o->fd);
  char *real = realpath(self, NULL);
  const char *under = rel;
  if (real && !lexically_under(real, s->roots[i], &under))
    under = rel;
  bool given = s->root_fds && s->root_fds[i] >= 0;
  int root = given ? s->root_fds[i] : open(s->roots[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat reached, opened;
  bool ok = root >= 0 && baton__input_caller_may_reach(s, root, under, &reached, &o->why) &&
            fstat(o->fd, &opened) == 0 && reached.st_dev == opened.st_dev &&
            reached.st_ino == opened.st_ino;
  if (root >= 0 && !given)
    close(root);
  free(real);
  return ok;
}

static int checked(const baton__input_scope *s, opener *o, char *err, size_t errlen) {
  struct stat st;
  if (fstat(o->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    baton__fmt(err, errlen, "input '%s' is not a regular file", o->name);
    goto fail;
  }
  if (s->as_caller && !o->as_user && !caller_may(s, o->fd, &st, BATON__ACL_READ, &o->why)) {
    if (o->why)
      baton__fmt(err, errlen, "input '%s': %s", o->name, o->why);
    else
      baton__fmt(err, errlen, "input '%s': permission denied for uid %u", o->name,
                 (unsigned)s->uid);
    goto fail;
  }
  if ((unsigned long long)st.st_size > s->max_bytes) {
    baton__fmt(err, errlen, "input '%s' is %lld bytes; the limit is %llu", o->name,
               (long long)st.st_size, s->max_bytes);
    goto fail;
  }
  int fl = fcntl(o->fd, F_GETFL);
  if (fl < 0 || fcntl(o->fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    baton__fmt(err, errlen, "input '%s': %s", o->name, strerror(errno));
    goto fail;
  }
  return o->fd;
fail:
  close(o->fd);
  return -1;
}

/* Whether the relative name climbs above the folder it starts in ("../x", "a/../../x"). */
static bool climbs_out(const char *name) {
  long depth = 0;
  for (const char *p = name; *p; p += strspn(p, "/")) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0)
        return true;
    } else if (!(n == 1 && p[0] == '.')) {
      depth++;
    }
    p += n;
  }
  return false;
}

/* The refusal of a name the roots do not hold, saying how it leaves them: an absolute path
 * under none of them, a ".." that climbs out of the folder it names, or a link on the way that
 * leads out. Whether anything is there is neither looked at nor told. -2. */
static int refuse_outside(const baton__input_scope *s, const opener *o, char *err,
                          size_t errlen) {
  const char *rel = o->name, *root = s->n_roots ? s->roots[0] : "";
  for (size_t i = 0; o->name[0] == '/' && i < s->n_roots; i++)
    if (lexically_under(o->name, s->roots[i], &rel)) {
      root = s->roots[i];
      break;
    }
  char how[600] = "";
  if (o->outside)
    baton__fmt(how, sizeof how, "; it is under none of them");
  else if (climbs_out(rel))
    baton__fmt(how, sizeof how, "; its '..' leads out of %s", root);
  else
    baton__fmt(how, sizeof how, "; a link on its way leads out of them");
  baton__fmt(err, errlen, "input '%s' is outside the allowed folders (%s)%s", o->name,
             s->own_runs ? "the caller's folder, allowed_roots in the config and your own runs' "
                           "outputs"
                         : "the caller's folder and allowed_roots in the config",
             how);
  return -2;
}

int baton__input_open(const baton__input_scope *s, const char *name, char *err, size_t errlen) {
  opener o = {.scope = s, .name = name, .fd = -1};
  if (name[0] == '/' && s->open_run_file) { /* first: runs/ may lie under an allowed root */
    o.fd = s->open_run_file(s->run_file_ud, name, err, errlen);
    if (o.fd == -1)
      return -1;
    if (o.fd >= 0) {
      o.as_user = true; /* the run is the caller's: the file is its to read */
      return checked(s, &o, err, errlen);
    }
  }
  if (s->as_caller) {
    pthread_t t;
    if (baton__thread_start(&t, open_as_caller, &o) != 0) {
      baton__fmt(err, errlen, "input '%s': cannot start a thread to open it", name);
      return -1;
    }
    pthread_join(t, NULL);
  } else {
    open_in_roots(&o);
  }
  if (o.fd >= 0)
    return checked(s, &o, err, errlen);
  if (o.why)
    baton__fmt(err, errlen, "input '%s': %s", name, o.why);
  else if (o.outside || o.err == EXDEV || o.err == ELOOP)
    return refuse_outside(s, &o, err, errlen);
  else
    baton__fmt(err, errlen, "input '%s': %s", name,
               o.err == ENOENT ? "no such file" : strerror(o.err));
  return -1;
}

/* A folder listed: its name (relative to roots[0]), the pattern its files' names match and
 * their types (0: any), and what came of it. */
typedef struct lister {
  opener o;
  const char *pattern;
  unsigned types;
  char **names;
  size_t max, n;
  bool more; /* more files matched than max */
  bool huge; /* more entries than BATON__INPUT_LIST_SCAN */
} lister;

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the folder o->fd (then closed) into l: its regular files whose names match, no link.
 * A folder of more than BATON__INPUT_LIST_SCAN entries is not read through (l->huge). */
static void list_open_folder(lister *l) {
  opener *o = &l->o;
  struct stat st;
  int d = openat(o->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  o->err = d < 0 ? errno : 0;
  close(o->fd);
  o->fd = -1;
  DIR *dp = d >= 0 ? fdopendir(d) : NULL;
  if (!dp) {
    o->err = o->err ? o->err : errno;
    if (d >= 0)
      close(d);
    return;
  }
  struct dirent *e;
  for (size_t seen = 0;;) {
    errno = 0;
    if (!(e = readdir(dp))) {
      o->err = errno; /* 0 at the end */
      break;
    }
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    if (seen++ == BATON__INPUT_LIST_SCAN) {
      l->huge = true;
      break;
    }
    bool match = fnmatch(l->pattern, e->d_name, FNM_PERIOD) == 0 &&
                 (!l->types || (baton__type_of_path(e->d_name) & l->types));
    if (!match || fstatat(d, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (l->n == l->max || !(l->names[l->n] = baton__strdup(e->d_name)))
      l->more = true;
    else
      l->n++;
  }
  closedir(dp);
}

static void list_in_roots(lister *l) {
  open_in_roots(&l->o);
  if (l->o.fd >= 0)
    list_open_folder(l);
}

static void *list_as_caller(void *arg) {
  lister *l = arg;
  l->o.as_user = take_identity(l->o.scope);
  list_in_roots(l);
  return NULL;
}

long baton__input_list(const baton__input_scope *s, const char *dir, const char *pattern,
                       unsigned types, char **names, size_t max, char *err, size_t errlen) {
  lister l = {.o = {.scope = s, .name = *dir ? dir : ".", .fd = -1}, .pattern = pattern,
              .types = types,
              .names = names, .max = max};
  if (dir[0] == '/') {
    baton__fmt(err, errlen, "name the files relative to your folder");
    return -1;
  }
  if (!s->n_roots) {
    baton__fmt(err, errlen, "the request named no folder to list files in");
    return -1;
  }
  pthread_t t;
  if (s->as_caller && baton__thread_start(&t, list_as_caller, &l) != 0) {
    baton__fmt(err, errlen, "cannot start a thread to list the folder");
    return -1;
  }
  if (s->as_caller)
    pthread_join(t, NULL);
  else
    list_in_roots(&l);
  qsort(names, l.n, sizeof *names, by_name);
  if (!l.o.err && !l.more && !l.huge)
    return (long)l.n;
  for (size_t i = 0; i < l.n; i++)
    free(names[i]);
  if (l.more || l.huge) {
    if (l.huge)
      baton__fmt(err, errlen, "the folder holds more than %d entries", BATON__INPUT_LIST_SCAN);
    else
      baton__fmt(err, errlen, "more than %zu files match", max);
    return -1;
  }
  bool outside = l.o.outside || l.o.err == EXDEV || l.o.err == ELOOP;
  baton__fmt(err, errlen, "%s",
             l.o.why   ? l.o.why
             : outside ? "outside your folder, or reached through a link that leaves it"
             : l.o.err == ENOENT ? "no such folder"
                                 : strerror(l.o.err));
  return l.o.err == ENOENT || l.o.err == ENOTDIR ? -2 : -1;
}

int baton__input_copy(int fd, const char *dst, char *err, size_t errlen) {
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) {
    baton__fmt(err, errlen, "cannot create %s: %s", dst, strerror(errno));
    return -1;
  }
  char buf[65536];
  off_t off = 0;
  ssize_t r;
  int rc = 0;
  while ((r = pread(fd, buf, sizeof buf, off)) > 0) {
    for (ssize_t w = 0; w < r;) {
      ssize_t n = write(out, buf + w, (size_t)(r - w));
      if (n < 0) {
        if (errno == EINTR)
          continue;
        rc = -1;
        break;
      }
      w += n;
    }
    if (rc)
      break;
    off += r;
  }
  bool ok = r == 0 && rc == 0;
  int e = errno;
  if (close(out) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) {
    baton__fmt(err, errlen, "cannot copy the input to %s: %s", dst, strerror(e));
    unlink(dst);
    return -1;
  }
  return 0;
}
