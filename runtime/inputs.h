/* inputs.h — a run's input files: opened once with the kernel confining the path, then used by descriptor. */
#ifndef BATON_RUNTIME_INPUTS_H
#define BATON_RUNTIME_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "baton.h"

/* Who opens, and where. roots[0..n) are real (resolved) folder paths;
 * root_fds (when not NULL) the folders themselves, opened once (-1: open
 * roots[i] by its path). */
typedef struct baton__input_scope {
  const char *const *roots;
  const int *root_fds;
  size_t n_roots;
  bool as_caller;      /* open with the caller's rights, not the process's */
  uid_t uid;
  gid_t gid;
  const gid_t *groups; /* all the caller's supplementary groups besides gid (one left out could
                          move it from a file's group, which the file may refuse, to others) */
  size_t n_groups;
  unsigned long long max_bytes;
  bool own_runs;       /* the caller's own runs' outputs may be named (the last root is
                          $BATON_HOME/runs, or open_run_file opens them) */
  /* Absolute names, tried before the roots: another user's own runs' outputs, opened by this
   * with the process's rights when the run is the caller's (as baton__run_file_open: the
   * descriptor, -1 with err, -2 when the name is no file of the caller's runs: then the roots
   * decide, with the caller's rights). NULL: none. */
  int (*open_run_file)(void *ud, const char *name, char *err, size_t errlen);
  void *run_file_ud;
} baton__input_scope;
_Static_assert(sizeof(gid_t) == sizeof(unsigned), "baton_request's caller_groups are gid_t");

/* Opens the file `name` (absolute, or relative to roots[0]) for reading:
 * beneath one of the roots, with the kernel refusing any escape on the way
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS; where that is missing, a
 * walk with O_NOFOLLOW on every component), with the caller's rights when
 * scope->as_caller. Must be a regular file of at most max_bytes (opened
 * without blocking, so a FIFO or device is refused at once). The open
 * descriptor (blocking), or -1 with err; -2 with err when the name lies
 * outside every root (or leaves them through a link or ".."). */
int baton__input_open(const baton__input_scope *scope, const char *name, char *err,
                      size_t errlen);

/* Opens rel beneath the folder root_fd (when >= 0, else root, opened now) for reading, the kernel
 * keeping the path beneath it (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, else a walk that
 * follows no link and no ".."), without blocking (a FIFO opens at once). -1 with errno (EXDEV,
 * ELOOP: it would leave the folder). */
int baton__input_open_beneath(const char *root, int root_fd, const char *rel);

/* Opens the folder `path` once (O_PATH): the descriptor to open inputs
 * beneath, so that a folder swapped for a link later changes nothing; its
 * real path (malloc'd) in *real, to match absolute names against. A name
 * such as /proc/self/fd/N (a folder a daemon checked and holds open) stays
 * that very folder. -1 with errno. */
int baton__input_root_open(const char *path, char **real);

/* Whether the caller (scope's uid, gid and groups), by the permission bits and ACLs the kernel
 * or the file's server would judge it by (baton__acl_caller_may), may reach rel beneath the
 * folder root_fd: search root_fd and every folder on the way, following no link and no "..",
 * to a regular file, or to a folder it may also read and search ("" for root_fd itself). What
 * it reached in *st; why not, when a folder or file on the way is where the caller's access
 * cannot be judged (an SMB/CIFS share), in *why (when why is not NULL). Used when the process
 * cannot take on the caller's identity. */
bool baton__input_caller_may_reach(const baton__input_scope *scope, int root_fd,
                                   const char *rel, struct stat *st, const char **why);

/* Entries of a folder looked at, at most, when listing it. */
#define BATON__INPUT_LIST_SCAN 100000

/* Lists the regular files (no links) of the folder `dir` (relative to roots[0], "" for roots[0]
 * itself; opened as inputs are, beneath it and with the caller's rights) whose names match the
 * shell pattern (a leading dot only by a dot) and whose type (baton__type_of_path) is one of
 * `types` (0: any), sorted by name, into names (each malloc'd; the caller frees them). Their
 * number (0: none match), or -1 with err: more than max match, the folder holds more than
 * BATON__INPUT_LIST_SCAN entries, is named absolutely, cannot be opened or read, or is outside,
 * or the scope has no root; -2 with err when there is no such folder. */
long baton__input_list(const baton__input_scope *s, const char *dir, const char *pattern,
                       unsigned types, char **names, size_t max, char *err, size_t errlen);

/* Copies what fd holds (from its start) to a new file dst (mode 0600).
 * 0, or -1 with err. */
int baton__input_copy(int fd, const char *dst, char *err, size_t errlen);

#endif
