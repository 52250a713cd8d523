/* files.c — run.output: a piece of a file a run made, sent to the user the run belongs to (run folders are the daemon user's; another user the daemon serves cannot open them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/internal.h"
#include "core/base64.h"
#include "core/banned.h"

/* The largest piece of a file one run.output sends (base64: a third more on the wire). */
#define OUTPUT_CHUNK (1 << 20)

/* Reads the optional "offset" parameter: a whole number from 0 to 2^53. */
static bool offset_param(baton_server *srv, const job *j, long long *out) {
  const cJSON *v = baton__srv_param(j->params, "offset");
  *out = 0;
  if (!v || cJSON_IsNull(v))
    return true;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
      v->valuedouble != (double)(long long)v->valuedouble) {
    baton__srv_bad_params(srv, j, "'offset' must be a whole number from 0 to 2^53");
    return false;
  }
  *out = (long long)v->valuedouble;
  return true;
}

/* Reads up to len bytes at offset of fd into buf: how many, or -1 (errno). */
static ssize_t read_at(int fd, unsigned char *buf, size_t len, long long offset) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = pread(fd, buf + got, len - got, (off_t)offset + (off_t)got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* Sends {size, offset, data (base64), eof} for len bytes of fd at offset. */
static void send_piece(baton_server *srv, const job *j, int fd, long long offset, size_t len) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_IO, strerror(errno));
    return;
  }
  if (offset > (long long)st.st_size) {
    baton__srv_bad_params(srv, j, "'offset' is past the end of the file");
    return;
  }
  if ((long long)len > (long long)st.st_size - offset)
    len = (size_t)((long long)st.st_size - offset);
  unsigned char *buf = malloc(len ? len : 1);
  ssize_t got = buf ? read_at(fd, buf, len, offset) : -1;
  char *b64 = got >= 0 ? baton__b64_encode(buf, (size_t)got) : NULL;
  free(buf);
  if (!b64) {
    baton__srv_post_rc(srv, j->client, j->id_json, got < 0 ? BATON_IO : BATON_NOMEM,
                       got < 0 ? strerror(errno) : "out of memory");
    return;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "{\"size\":%lld,\"offset\":%lld,\"eof\":%s,\"data\":\"",
                 (long long)st.st_size, offset,
                 offset + got >= (long long)st.st_size ? "true" : "false");
  baton__sb_adds(&sb, b64);
  baton__sb_adds(&sb, "\"}");
  free(b64);
  if (baton__sb_ok(&sb))
    baton__srv_post_result(srv, j->client, j->id_json, sb.buf);
  else
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_NOMEM, "out of memory");
  baton__sb_release(&sb);
}

void baton__srv_run_output(baton_server *srv, const job *j, srv_ctx *sc) {
  const char *path = NULL;
  int length = OUTPUT_CHUNK;
  long long offset = 0;
  if (!baton__srv_opt_str(srv, j, "path", &path) ||
      !baton__srv_opt_int(srv, j, "length", 1, OUTPUT_CHUNK, &length) ||
      !offset_param(srv, j, &offset))
    return;
  if (!path || path[0] != '/') {
    baton__srv_bad_params(srv, j, "'path' is required: a file a run made, as its outputs "
                                  "name it (an absolute path)");
    return;
  }
  int fd = -1;
  /* the daemon's own user and root read any run's files; others only their own runs' */
  long uid = baton__srv_sees_all(j->uid) ? -1 : (long)j->uid;
  baton_rc rc = baton_run_file_open(sc->ctx, path, uid, &fd);
  if (rc != BATON_OK) {
    char msg[1024];
    baton__fmt(msg, sizeof msg, "%s", baton_errmsg(sc->ctx));
    baton__srv_post_rc(srv, j->client, j->id_json, rc, msg);
    return;
  }
  send_piece(srv, j, fd, offset, (size_t)length);
  close(fd);
}
