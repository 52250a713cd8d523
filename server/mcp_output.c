/* mcp_output.c — a produced file's bytes and size for tool results and the resources methods: read here, or through batond's run.output when this process may not open the run folders (a user the daemon serves; they are the daemon user's, 0700). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/mcp.h"
#include "server/rpc_client.h"
#include "core/base64.h"
#include "core/banned.h"

/* The most run.output sends at once (server/files.c). */
#define OUTPUT_PIECE (1u << 20)
/* The first piece asked: a small file in one answer, no more of a large one than this sent
 * before its size shows it is too large. */
#define FIRST_PIECE (64u << 10)

/* One run.output piece of path at offset, at most want bytes: its bytes (malloc'd, *n of them)
 * and the file's size. NULL (errno ENOENT: the daemon refused, EIO: the connection or the
 * answer failed) otherwise. */
static unsigned char *piece(baton__rpc_conn *d, const char *path, size_t offset, size_t want,
                            size_t *n, double *size, bool *eof) {
  cJSON *p = cJSON_CreateObject(), *reply = NULL;
  cJSON_AddStringToObject(p, "path", path);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  cJSON_AddNumberToObject(p, "length", (double)want);
  int rc = baton__rpc_call(d, "run.output", p, NULL, NULL, &reply);
  cJSON_Delete(p);
  if (rc != 0 || baton__rpc_error_message(reply)) {
    cJSON_Delete(reply);
    errno = rc != 0 ? EIO : ENOENT;
    return NULL;
  }
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(reply, "result");
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(r, "data");
  const cJSON *sz = cJSON_GetObjectItemCaseSensitive(r, "size");
  const cJSON *off = cJSON_GetObjectItemCaseSensitive(r, "offset");
  unsigned char *bytes = NULL;
  if (cJSON_IsString(data) && cJSON_IsNumber(sz) && sz->valuedouble >= 0 &&
      cJSON_IsNumber(off) && off->valuedouble == (double)offset)
    bytes = baton__b64_decode(data->valuestring, strlen(data->valuestring), n);
  *size = bytes ? sz->valuedouble : -1;
  *eof = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "eof"));
  if (bytes && *n > want) {
    free(bytes);
    bytes = NULL;
  }
  cJSON_Delete(reply);
  if (!bytes)
    errno = EIO;
  return bytes;
}

/* The whole of path, of at most max bytes, through the daemon (as baton__mcp_read_file). */
static char *fetch(baton__rpc_conn *d, const char *path, size_t max, size_t *len) {
  char *buf = NULL;
  size_t done = 0;
  double first = -1;
  for (;;) {
    size_t n = 0, cap = first < 0 ? FIRST_PIECE : OUTPUT_PIECE;
    size_t want = max - done < cap ? max - done : cap;
    double size;
    bool eof;
    unsigned char *b = piece(d, path, done, want ? want : 1, &n, &size, &eof);
    if (!b)
      break;
    if (first < 0) {
      first = size;
      buf = size <= (double)max ? malloc((size_t)size + 1) : NULL;
      if (!buf) {
        free(b);
        errno = size > (double)max ? EFBIG : ENOMEM;
        return NULL;
      }
    }
    bool fits = size == first && done + n <= (size_t)first && (eof || n);
    if (fits)
      memcpy(buf + done, b, n);
    free(b);
    done += n;
    if (!fits) {
      errno = EIO; /* it changed while it was read */
      break;
    }
    if (eof) {
      buf[done] = '\0';
      *len = done;
      return buf;
    }
  }
  free(buf);
  return NULL;
}

char *baton__mcp_read_output(mcp_server *s, const char *path, size_t max, size_t *len) {
  char *data = baton__mcp_read_file(path, max, len);
  if (data || errno == EFBIG || !s->opts.use_daemon)
    return data;
  int here = errno;
  baton__rpc_conn *d = baton__rpc_connect_daemon(s->opts.config_path);
  if (!d) {
    errno = here;
    return NULL;
  }
  data = fetch(d, path, max, len);
  int e = errno;
  baton__rpc_close(d);
  errno = e;
  return data;
}

long long baton__mcp_output_size(mcp_server *s, baton__rpc_conn **conn, const char *path) {
  struct stat st;
  if (stat(path, &st) == 0)
    return S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
  if (!s->opts.use_daemon)
    return -1;
  if (!*conn)
    *conn = baton__rpc_connect_daemon(s->opts.config_path);
  size_t n = 0;
  double size = -1;
  bool eof;
  unsigned char *b = *conn ? piece(*conn, path, 0, 1, &n, &size, &eof) : NULL;
  bool got = b != NULL;
  free(b);
  return got ? (long long)size : -1;
}
