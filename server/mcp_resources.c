/* mcp_resources.c — the files an MCP session's runs produced: URIs, MIME types, resources/list and resources/read. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "server/mcp.h"
#include "core/base64.h"
#include "core/banned.h"

/* MIME types by file extension. */
static const struct {
  const char *ext, *mime;
} mime_types[] = {
    {"png", "image/png"},         {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},         {"bmp", "image/bmp"},   {"webp", "image/webp"},
    {"tif", "image/tiff"},        {"tiff", "image/tiff"}, {"wav", "audio/wav"},
    {"mp3", "audio/mpeg"},        {"flac", "audio/flac"}, {"ogg", "audio/ogg"},
    {"mp4", "video/mp4"},         {"webm", "video/webm"}, {"txt", "text/plain"},
    {"opus", "audio/ogg"},        {"aiff", "audio/aiff"}, {"aif", "audio/aiff"},
    {"json", "application/json"},
};

const char *baton__mcp_mime(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && !strchr(dot, '/'))
    for (size_t i = 0; i < sizeof mime_types / sizeof *mime_types; i++)
      if (!strcasecmp(dot + 1, mime_types[i].ext))
        return mime_types[i].mime;
  return "application/octet-stream";
}

char *baton__mcp_read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
    fclose(f);
    errno = EFBIG;
    return NULL;
  }
  size_t n = (size_t)st.st_size;
  char *buf = malloc(n + 1);
  if (buf && fread(buf, 1, n, f) != n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

static void res_clear(mcp_resource *r) {
  free(r->uri);
  free(r->path);
  free(r->name);
  memset(r, 0, sizeof *r);
}

/* name as one URI path segment: bytes other than letters, digits and "-._~" percent-encoded
 * ("my reading.wav": "my%20reading.wav", UTF-8 byte by byte). */
static void uri_segment(const char *name, char *out, size_t cap) {
  size_t o = 0;
  for (const unsigned char *c = (const unsigned char *)name; *c && o + 4 < cap; c++)
    if ((*c < 0x80 && isalnum(*c)) || strchr("-._~", *c))
      out[o++] = (char)*c;
    else
      o += (size_t)snprintf(out + o, cap - o, "%%%02X", *c);
  out[o] = '\0';
}

bool baton__mcp_res_add(mcp_server *s, const char *run_id, const char *path, char *uri_out,
                        size_t cap) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  char segment[768];
  uri_segment(name, segment, sizeof segment);
  pthread_mutex_lock(&s->lock);
  mcp_resource *r = &s->res[s->next_res];
  res_clear(r);
  char uri[1024];
  snprintf(uri, sizeof uri, "baton://runs/%s/%lu/%s", run_id ? run_id : "run", ++s->res_serial,
           segment);
  r->uri = strdup(uri);
  r->path = strdup(path);
  r->name = strdup(name);
  bool ok = r->uri && r->path && r->name;
  if (!ok)
    res_clear(r);
  s->next_res = (s->next_res + 1) % MCP_MAX_RESOURCES;
  if (s->n_res < MCP_MAX_RESOURCES)
    s->n_res++;
  pthread_mutex_unlock(&s->lock);
  snprintf(uri_out, cap, "%s", ok ? uri : "");
  return ok;
}

/* Copies the remembered files (their order kept) into out: how many. */
static size_t res_snapshot(mcp_server *s, mcp_resource *out) {
  size_t n = 0;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < MCP_MAX_RESOURCES; i++) {
    const mcp_resource *x = &s->res[i];
    if (!x->uri)
      continue;
    out[n] = (mcp_resource){strdup(x->uri), strdup(x->path), strdup(x->name)};
    if (out[n].uri && out[n].path && out[n].name)
      n++;
    else
      res_clear(&out[n]);
  }
  pthread_mutex_unlock(&s->lock);
  return n;
}

/* The files still there (asked of batond, when it made them, outside the lock). */
cJSON *baton__mcp_res_list(mcp_server *s) {
  cJSON *r = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(r, "resources");
  mcp_resource *snap = calloc(MCP_MAX_RESOURCES, sizeof *snap);
  size_t n = snap ? res_snapshot(s, snap) : 0;
  baton__rpc_conn *d = NULL;
  for (size_t i = 0; i < n; i++) {
    long long size = baton__mcp_output_size(s, &d, snap[i].path);
    if (size >= 0) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "uri", snap[i].uri);
      cJSON_AddStringToObject(o, "name", snap[i].name);
      cJSON_AddStringToObject(o, "mimeType", baton__mcp_mime(snap[i].path));
      cJSON_AddNumberToObject(o, "size", (double)size);
      cJSON_AddItemToArray(arr, o);
    }
    res_clear(&snap[i]);
  }
  baton__rpc_close(d);
  free(snap);
  return r;
}

/* The path behind a URI this session handed out (malloc'd), or NULL. */
static char *res_path(mcp_server *s, const char *uri) {
  char *path = NULL;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; !path && i < MCP_MAX_RESOURCES; i++)
    if (s->res[i].uri && !strcmp(s->res[i].uri, uri))
      path = strdup(s->res[i].path);
  pthread_mutex_unlock(&s->lock);
  return path;
}

void baton__mcp_res_read(mcp_server *s, const cJSON *id, const cJSON *params) {
  const cJSON *uri = cJSON_GetObjectItemCaseSensitive(params, "uri");
  if (!cJSON_IsString(uri)) {
    baton__mcp_reply_error(s, id, MCP_INVALID_PARAMS, "resources/read needs params.uri");
    return;
  }
  char *path = res_path(s, uri->valuestring);
  size_t len = 0;
  char *data = path ? baton__mcp_read_output(s, path, MCP_MAX_MESSAGE / 2, &len) : NULL;
  if (!data) {
    if (path && errno == EFBIG)
      baton__mcp_reply_error(s, id, MCP_INTERNAL_ERROR,
                             "%s is larger than %u bytes: read it from %s (`baton runs fetch` "
                             "copies it)", uri->valuestring, MCP_MAX_MESSAGE / 2, path);
    else
      baton__mcp_reply_error(s, id, MCP_RESOURCE_NOT_FOUND, "resource not found: %.300s",
                             uri->valuestring);
    free(path);
    return;
  }
  const char *mime = baton__mcp_mime(path);
  cJSON *r = cJSON_CreateObject();
  cJSON *item = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "contents"), item);
  cJSON_AddStringToObject(item, "uri", uri->valuestring);
  cJSON_AddStringToObject(item, "mimeType", mime);
  bool text = !strncmp(mime, "text/", 5) || !strcmp(mime, "application/json");
  if (text && strlen(data) == len) {
    cJSON_AddStringToObject(item, "text", data);
  } else {
    char *b64 = baton__b64_encode(data, len);
    cJSON_AddStringToObject(item, "blob", b64 ? b64 : "");
    free(b64);
  }
  free(data);
  free(path);
  baton__mcp_reply(s, id, r);
}

void baton__mcp_res_free(mcp_server *s) {
  for (size_t i = 0; i < MCP_MAX_RESOURCES; i++)
    res_clear(&s->res[i]);
}
