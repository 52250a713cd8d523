/* peer.c — who may connect to the daemon: peer credentials against daemon.allow_uids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/banned.h"

/* Reads daemon.allow_uids: user ids separated by commas or spaces. */
void baton__srv_parse_allow(settings *s, const char *list) {
  s->n_allow = 0;
  if (!list)
    return;
  const char *p = list;
  while (*p && s->n_allow < MAX_ALLOW_UIDS) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (!*p)
      break;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p)
      break;
    s->allow[s->n_allow++] = (uid_t)v;
    p = end;
  }
}

/* Whether a user may connect: the daemon's own, or one allowed. */
static bool peer_allowed(const baton_server *srv, uid_t uid) {
  if (uid == geteuid())
    return true;
  for (size_t i = 0; i < srv->set.n_allow; i++)
    if (srv->set.allow[i] == uid)
      return true;
  return false;
}

bool baton__srv_sees_all(uid_t uid) { return uid == 0 || uid == geteuid(); }

bool baton__srv_run_visible(uid_t uid, const char *json) {
  if (baton__srv_sees_all(uid))
    return true;
  cJSON *j = json ? cJSON_Parse(json) : NULL;
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(j, "uid");
  bool mine = cJSON_IsNumber(owner) && owner->valuedouble == (double)uid;
  cJSON_Delete(j);
  return mine;
}

/* Refuses a connection with one error line (best effort). */
void baton__srv_refuse(int fd, baton_rc rc, const char *why) {
  char line[512];
  baton__fmt(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\","
             "\"data\":{\"rc\":%d,\"reason\":\"%s\"}}}\n",
             ERR_BASE - (int)rc, why, (int)rc, baton_strerror(rc));
  ssize_t w = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)w;
  close(fd);
}

long baton__srv_peer_groups(int fd, gid_t **out) {
  *out = NULL;
  socklen_t len = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) == 0 || len == 0)
    return 0; /* none */
  if (errno != ERANGE || len > 65536 * sizeof **out) /* (the kernel's NGROUPS_MAX) */
    return -1;
  gid_t *all = malloc(len);
  if (!all || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) != 0)
    return free(all), -1;
  *out = all;
  return (long)(len / sizeof *all);
}

/* Reads a new connection's peer credentials and refuses (closes) it when
 * its user may not connect. true: admitted, *cred filled. */
bool baton__srv_peer_admit(baton_server *srv, int fd, struct ucred *cred) {
  socklen_t len = sizeof *cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0) {
    close(fd);
    return false;
  }
  if (!peer_allowed(srv, cred->uid)) {
    baton__srv_log(srv, BATON_LOG_WARN, "refused a connection from uid %u (pid %ld)",
                   (unsigned)cred->uid, (long)cred->pid);
    baton__srv_refuse(fd, BATON_DENIED,
                      "access denied: this daemon serves its own user (see daemon.allow_uids)");
    return false;
  }
  return true;
}
