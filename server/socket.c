/* socket.c — the daemon's listening Unix socket: its folder, its lock and stale sockets. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

/* The folder of the socket at path ("/" or "." when it has none), malloc'd,
 * or NULL when out of memory. */
static char *folder_of(const char *path) {
  char *dir = baton__strdup(path);
  if (!dir)
    return NULL;
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    return dir;
  }
  free(dir);
  return baton__strdup(slash ? "/" : ".");
}

/* Makes the socket folder dir if it is missing and checks that it is ours,
 * and nobody else may add or replace entries in it (the modes are then set
 * by baton__srv_socket_modes()). */
static baton_rc check_folder(baton_server *srv, const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0 && baton__mkdirs(dir, 0700) != 0)
    return baton__srv_fail(srv, BATON_IO, "cannot create the socket folder %s: %s", dir,
                           strerror(errno));
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return baton__srv_fail(srv, BATON_IO, "the socket folder %s is not a folder", dir);
  if (st.st_uid != geteuid() || (st.st_mode & 0022))
    return baton__srv_fail(srv, BATON_DENIED,
                           "the socket folder %s must belong to this user and be writable "
                           "by it alone (it is %04o, owner uid %u)",
                           dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
  return BATON_OK;
}

/* One daemon per socket: takes the lock PATH.lock, held for the daemon's
 * life. */
static baton_rc take_lock(baton_server *srv, const char *path) {
  baton__sb lp;
  baton__sb_init(&lp);
  baton__sb_addf(&lp, "%s.lock", path);
  srv->lock_path = baton__sb_detach(&lp);
  if (!srv->lock_path)
    return baton__srv_fail(srv, BATON_NOMEM, "out of memory");
  srv->lock_fd = open(srv->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (srv->lock_fd < 0)
    return baton__srv_fail(srv, BATON_IO, "cannot open %s: %s", srv->lock_path, strerror(errno));
  if (flock(srv->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return baton__srv_fail(srv, BATON_BUSY, "another batond is already serving %s", path);
  return BATON_OK;
}

/* Removes a socket left at sa's path by a daemon that is gone; fails when
 * something else is there or a daemon still answers on it. */
static baton_rc remove_stale(baton_server *srv, const struct sockaddr_un *sa) {
  const char *path = sa->sun_path;
  struct stat ls;
  if (lstat(path, &ls) != 0)
    return BATON_OK;
  if (!S_ISSOCK(ls.st_mode))
    return baton__srv_fail(srv, BATON_IO, "%s exists and is not a socket", path);
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0) {
    close(probe);
    return baton__srv_fail(srv, BATON_BUSY, "another daemon is answering on %s", path);
  }
  if (probe >= 0)
    close(probe);
  baton__srv_log(srv, BATON_LOG_INFO, "replacing the stale socket %s", path);
  if (unlink(path) != 0 && errno != ENOENT)
    return baton__srv_fail(srv, BATON_IO, "cannot remove the stale socket %s: %s", path,
                           strerror(errno));
  return BATON_OK;
}

baton_rc baton__srv_bind_socket(baton_server *srv) {
  const char *path = srv->socket_path;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return baton__srv_fail(srv, BATON_CONFIG, "the socket path %s is longer than %zu bytes", path,
                           sizeof sa.sun_path - 1);
  memcpy(sa.sun_path, path, strlen(path) + 1);
  char *dir = folder_of(path);
  if (!dir)
    return baton__srv_fail(srv, BATON_NOMEM, "out of memory");
  baton_rc rc = check_folder(srv, dir);
  free(dir);
  if (rc == BATON_OK)
    rc = take_lock(srv, path);
  if (rc == BATON_OK)
    rc = remove_stale(srv, &sa);
  if (rc != BATON_OK)
    return rc;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return baton__srv_fail(srv, BATON_IO, "socket: %s", strerror(errno));
  srv->listen_fd = fd;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    return baton__srv_fail(srv, BATON_IO, "cannot bind %s: %s", path, strerror(errno));
  srv->own_socket = true;
  struct stat ls;
  if (stat(path, &ls) == 0) {
    srv->sock_dev = ls.st_dev;
    srv->sock_ino = ls.st_ino;
  }
  if (baton__srv_socket_modes(srv) != 0 || listen(fd, SOMAXCONN) != 0)
    return baton__srv_fail(srv, BATON_IO, "cannot listen on %s: %s", path, strerror(errno));
  return BATON_OK;
}

/* The socket and its folder: private (0600, 0700) when only the daemon's
 * user is served; with daemon.allow_uids, others may reach the socket
 * (folder 0711: pass through, not list; socket 0666) and the peer check on
 * each connection (peer.c) admits only the users allowed. */
int baton__srv_socket_modes(baton_server *srv) {
  bool open_up = srv->set.n_allow > 0;
  char *dir = baton__strdup(srv->socket_path);
  if (!dir)
    return -1;
  char *slash = strrchr(dir, '/');
  int rc = 0;
  struct stat st;
  if (slash && slash != dir) {
    *slash = '\0';
    if (stat(dir, &st) == 0 && st.st_uid == geteuid())
      rc = chmod(dir, open_up ? 0711 : 0700);
  }
  free(dir);
  if (rc == 0 && lstat(srv->socket_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
    rc = chmod(srv->socket_path, open_up ? 0666 : 0600);
  return rc;
}

void baton__srv_unlink_socket(baton_server *srv) {
  if (!srv->own_socket)
    return;
  struct stat st;
  if (stat(srv->socket_path, &st) == 0 && st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
    unlink(srv->socket_path);
  srv->own_socket = false;
}
