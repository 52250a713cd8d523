/* client_fetch.c — baton_client_fetch(): a file one of the caller's runs made, copied from the daemon piece by piece (run.output). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "runtime/context.h"
#include "server/rpc_client.h"
#include "core/base64.h"
#include "core/banned.h"

/* Asks for the piece of path at offset: its bytes into *data (malloc'd), the file's size and
 * whether it is the last. */
static baton_rc piece(baton_client *c, const char *path, unsigned long long offset,
                      unsigned char **data, size_t *len, double *size, bool *eof) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "path", path);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  char *params = cJSON_PrintUnformatted(p), *json = NULL;
  cJSON_Delete(p);
  if (!params)
    return baton__fail(NULL, BATON_NOMEM, "out of memory");
  baton_rc rc = baton_client_call(c, "run.output", params, &json);
  cJSON_free(params);
  if (rc != BATON_OK)
    return rc;
  cJSON *r = cJSON_Parse(json);
  baton_free(json);
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "data");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "size");
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(r, "offset");
  *data = cJSON_IsString(d) ? baton__b64_decode(d->valuestring, strlen(d->valuestring), len)
                            : NULL;
  *size = cJSON_IsNumber(s) ? s->valuedouble : -1;
  *eof = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "eof"));
  bool ok = *data && *size >= 0 && cJSON_IsNumber(o) && o->valuedouble == (double)offset;
  cJSON_Delete(r);
  if (!ok) {
    free(*data);
    *data = NULL;
    return baton__fail(NULL, BATON_IO, "the daemon's answer to run.output is not a piece of %s",
                       path);
  }
  return BATON_OK;
}

baton_rc baton_client_fetch(baton_client *c, const char *path, int out_fd,
                            unsigned long long *size_out) {
  unsigned long long done = 0;
  double first = -1;
  if (size_out)
    *size_out = 0;
  if (!c || !path || out_fd < 0)
    return baton__fail(NULL, BATON_INVALID, "baton_client_fetch: no client, path or descriptor");
  for (;;) {
    unsigned char *data = NULL;
    size_t len = 0;
    double size = -1;
    bool eof = false;
    baton_rc rc = piece(c, path, done, &data, &len, &size, &eof);
    if (rc != BATON_OK)
      return rc;
    if (first < 0)
      first = size;
    int w = baton__rpc_write_all(out_fd, (const char *)data, len), e = errno;
    free(data);
    if (w != 0)
      return baton__fail(NULL, BATON_IO, "cannot write %s: %s", path, strerror(e));
    done += len;
    if (size_out)
      *size_out = done;
    if (size != first || (!eof && !len) || (double)done > size)
      return baton__fail(NULL, BATON_IO, "%s changed while it was copied", path);
    if (eof)
      return BATON_OK;
  }
}
