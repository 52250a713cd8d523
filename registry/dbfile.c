/* dbfile.c — database files are created whole (aside, then linked in), and an empty one is refused. */
#include "registry/dbfile.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

/* Creates a database with a valid header at tmp. 0 or -1 with err. */
static int create_aside(const char *tmp, const char *what, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, "CREATE TABLE baton_new(x); DROP TABLE baton_new;", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    baton__fmt(err, errlen, "cannot create %s %s: %s", what, tmp,
               db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close(db);
  return rc == SQLITE_OK ? 0 : -1;
}

static int create_whole(const char *path, const char *what, char *err, size_t errlen) {
  char tmp[4200];
  baton__fmt(tmp, sizeof tmp, "%s.new-%ld", path, (long)getpid());
  unlink(tmp);
  int rc = create_aside(tmp, what, err, errlen);
  if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST) {
    baton__fmt(err, errlen, "cannot create %s %s: %s", what, path, strerror(errno));
    rc = -1;
  }
  unlink(tmp); /* EEXIST: another process created it first; theirs is used */
  return rc;
}

int baton__dbfile_check(const char *path, const char *what, char *err, size_t errlen) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT)
      return create_whole(path, what, err, errlen);
    baton__fmt(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    baton__fmt(err, errlen, "%s %s is not a regular file", what, path);
    return -1;
  }
  if (st.st_size > 0)
    return 0;
  char wal[4200];
  baton__fmt(wal, sizeof wal, "%s-wal", path);
  struct stat ws;
  if (stat(wal, &ws) == 0 && ws.st_size > 0)
    return 0; /* every page is still in the write-ahead log */
  baton__fmt(err, errlen,
             "%s %s is empty (0 bytes) and was not just created: it looks damaged; restore it "
             "from a backup, or move it away to start afresh",
             what, path);
  return -1;
}
