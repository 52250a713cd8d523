/* run_names.c — words of a request naming a file baton cannot read ("summarize README", "/etc/passwd"), refused by name before the request is planned, so its words are never worked on instead. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/inputs.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The longest word looked at as a file name. */
#define NAME_MAX_LEN 512

/* Does the word name a path: "/etc/passwd" (not "/imagine"), "./README", "../notes"? */
static bool is_path(const char *w) {
  return (w[0] == '/' && strchr(w + 1, '/')) || !strncmp(w, "./", 2) || !strncmp(w, "../", 3);
}

/* Is the word name, of no type baton knows, a regular file in the caller's folder (looked at
 * with the process's rights; opened with the caller's, so one it may not read is no name)? */
static bool names_file_here(const baton__input_scope *scope, const char *name) {
  struct stat st;
  int fd = scope->root_fds ? scope->root_fds[0] : -1;
  if (!scope->n_roots || fd < 0 || strchr(name, '/') ||
      fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
    return false;
  char err[700];
  int got = baton__input_open(scope, name, err, sizeof err);
  if (got >= 0)
    close(got);
  return got >= 0;
}

/* The word name, of no type baton knows, refused with why into err: a path outside the allowed
 * folders or missing (as baton__input_open says), a file there or in the caller's folder of
 * that unknown type. false when it names no file (a word, "and/or"). */
static bool refuse_name(const baton__input_scope *scope, const char *name, char *err,
                        size_t errlen) {
  char why[700];
  if (is_path(name)) {
    int fd = baton__input_open(scope, name, why, sizeof why);
    if (fd < 0)
      return baton__fmt(err, errlen, "%s", why), true;
    close(fd);
  } else if (!names_file_here(scope, name)) {
    return false;
  }
  baton__fmt(err, errlen, "%s: baton does not know this file type; give a .txt file (or a "
             "picture, recording or video of a type it knows)", name);
  return true;
}

int baton__run_check_names(const baton__input_scope *scope, const char *text, char *err,
                           size_t errlen) {
  char *masked = baton__run_mask_quotations(text), name[NAME_MAX_LEN], why[300];
  if (!masked)
    return baton__fmt(err, errlen, "out of memory"), -1;
  int rc = 0;
  for (const char *p = masked; !rc && *(p += strspn(p, " \t\r\n"));) {
    size_t n = strcspn(p, " \t\r\n"), a = 0, b = n;
    while (a < b && strchr("'\"([<", p[a]))
      a++;
    while (b > a && strchr("'\")]>,;:!?", p[b - 1]))
      b--;
    if (b > a + 1 && p[b - 1] == '.' && p[b - 2] != '.') /* "README." ends a sentence */
      b--;
    p += n;
    if (b - a < 2 || b - a >= sizeof name || memchr(p - n + a, '\x01', b - a))
      continue;
    baton__fmt(name, sizeof name, "%.*s", (int)(b - a), p - n + a);
    if (baton__type_of_path(name) || strpbrk(name, "*?[~") || strstr(name, "://") ||
        name[b - a - 1] == '/' || baton__names_unreadable_file(name, why, sizeof why))
      continue; /* read, refused or expanded elsewhere */
    rc = refuse_name(scope, name, err, errlen) ? -1 : 0;
  }
  free(masked);
  return rc;
}
