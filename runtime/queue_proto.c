/* queue_proto.c — what travels through Redis: key names, blobs, and values with their files as blobs. */
#include "runtime/queue_proto.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/util.h"
#include "core/banned.h"

#define FILE_TYPES (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)

void baton__qkey_stream(char *out, size_t cap, const char *executor, const char *task) {
  baton__fmt(out, cap, "baton:tasks:%s:%s", executor, task);
}

void baton__qkey_result_prefix(char *out, size_t cap, const char *run, int task_id) {
  baton__fmt(out, cap, "baton:result:%s:%d:", run, task_id);
}

void baton__qkey_result(char *out, size_t cap, const char *run, int task_id, long attempt) {
  char prefix[160];
  baton__qkey_result_prefix(prefix, sizeof prefix, run, task_id);
  baton__fmt(out, cap, "%s%ld", prefix, attempt);
}

void baton__qrandom_hex(char *out, size_t n) {
  unsigned char buf[64];
  size_t need = (n + 1) / 2 > sizeof buf ? sizeof buf : (n + 1) / 2;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, buf, need) : -1;
  if (fd >= 0)
    close(fd);
  if (got != (ssize_t)need) {
    uint64_t x = (uint64_t)baton__now_ms() * 6364136223846793005ull ^ (uint64_t)getpid();
    for (size_t i = 0; i < need; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
      buf[i] = (unsigned char)(x >> 56);
  }
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  for (; i < n && i / 2 < need; i++)
    out[i] = hex[(buf[i / 2] >> ((i % 2) ? 0 : 4)) & 15];
  out[i] = '\0';
}

const char *baton__qjstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int baton__qgroup_ensure(baton__qconn *c, const char *stream, const atomic_int *stop, char *err,
                         size_t errlen) {
  redisReply *r = baton__qconn_cmdl(c, stop, 0, err, errlen, "XGROUP", "CREATE", stream,
                                    BATON__QUEUE_GROUP, "0", "MKSTREAM", (char *)NULL);
  if (!r)
    return -1;
  int rc = 0;
  if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0) {
    baton__fmt(err, errlen, "queue: creating the group of %s: %s", stream, r->str);
    rc = -1;
  }
  freeReplyObject(r);
  return rc;
}

/* Checks every file's size before anything is uploaded. */
static int check_sizes(const baton__values *vs, size_t max, char *err, size_t errlen) {
  for (size_t i = 0; i < vs->n; i++) {
    const baton__value *v = &vs->v[i];
    if (!(v->type & FILE_TYPES) || !v->data)
      continue;
    struct stat st;
    if (stat(v->data, &st) != 0 || !S_ISREG(st.st_mode)) {
      baton__fmt(err, errlen, "%s '%s': %s", baton__type_name(v->type), v->data,
                 errno ? strerror(errno) : "not a regular file");
      return -1;
    }
    if ((unsigned long long)st.st_size > max) {
      const char *base = strrchr(v->data, '/');
      baton__fmt(err, errlen,
                 "the %s '%s' is %lld bytes, over the queue's blob_max_bytes (%zu); nothing was "
                 "sent",
                 baton__type_name(v->type), base ? base + 1 : v->data, (long long)st.st_size, max);
      return -1;
    }
  }
  return 0;
}

/* Uploads one file as a blob; writes its key. 0, or -1 with err. */
static int put_blob(baton__qconn *c, const char *path, size_t max, const atomic_int *stop,
                    char key[64], char *err, size_t errlen) {
  char *data = NULL;
  size_t len = 0;
  if (baton__read_file(path, max, &data, &len, err, errlen) != 0)
    return -1;
  char rnd[33];
  baton__qrandom_hex(rnd, 32);
  baton__fmt(key, 64, "baton:blob:%s", rnd);
  const char *argv[] = {"SET", key, data, "EX", BATON__QUEUE_KEEP_S_STR};
  size_t lens[] = {3, strlen(key), len, 2, strlen(BATON__QUEUE_KEEP_S_STR)};
  redisReply *r = baton__qconn_cmd(c, 5, argv, lens, stop, 0, err, errlen);
  free(data);
  if (!r)
    return -1;
  int rc = r->type == REDIS_REPLY_ERROR ? -1 : 0;
  if (rc)
    baton__fmt(err, errlen, "queue: storing a blob: %s", r->str);
  freeReplyObject(r);
  return rc;
}

/* Adds a small file's bytes to o (as base64) when they fit the budget.
 * 1 when added, 0 when it should go as a blob, -1 with err. */
static int put_inline(cJSON *o, const char *path, size_t max, size_t *budget, char *err,
                      size_t errlen) {
  struct stat st;
  if (stat(path, &st) != 0 || (size_t)st.st_size > *budget || (size_t)st.st_size > max)
    return 0;
  char *data = NULL;
  size_t len = 0;
  if (baton__read_file(path, max, &data, &len, err, errlen) != 0)
    return -1;
  char *b = baton__b64_encode(data, len);
  free(data);
  if (!b || !cJSON_AddStringToObject(o, "bytes", b)) {
    free(b);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  free(b);
  *budget -= len;
  return 1;
}

cJSON *baton__qvalues_put(baton__qconn *c, const baton__values *vs, size_t max,
                          const atomic_int *stop, char *err, size_t errlen) {
  if (check_sizes(vs, max, err, errlen) != 0)
    return NULL;
  size_t budget = BATON__QUEUE_INLINE_MAX;
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < vs->n; i++) {
    const baton__value *v = &vs->v[i];
    cJSON *o = cJSON_CreateObject();
    if (!o)
      break;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddNumberToObject(o, "type", v->type);
    if (!v->data)
      continue;
    if (!(v->type & FILE_TYPES)) {
      if (strlen(v->data) > max) {
        baton__fmt(err, errlen, "the %s '%s' is over the queue's blob_max_bytes (%zu)",
                   baton__type_name(v->type ? v->type : BATON__T_TEXT), v->name, max);
        baton__qvalues_drop(c, arr, stop);
        cJSON_Delete(arr);
        return NULL;
      }
      cJSON_AddStringToObject(o, "data", v->data);
      continue;
    }
    char key[64];
    int in = put_inline(o, v->data, max, &budget, err, errlen);
    if (in < 0 || (in == 0 && put_blob(c, v->data, max, stop, key, err, errlen) != 0)) {
      baton__qvalues_drop(c, arr, stop);
      cJSON_Delete(arr);
      return NULL;
    }
    const char *base = strrchr(v->data, '/');
    if (in == 0)
      cJSON_AddStringToObject(o, "blob", key);
    cJSON_AddStringToObject(o, "file", base ? base + 1 : v->data);
  }
  if (!arr || cJSON_GetArraySize(arr) != (int)vs->n) {
    baton__qvalues_drop(c, arr, stop);
    cJSON_Delete(arr);
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  return arr;
}

/* A file name safe to create in a folder: the base name, without leading dots. */
static void safe_name(const char *file, const char *fallback, char *out, size_t cap) {
  const char *base = file ? strrchr(file, '/') : NULL;
  base = base ? base + 1 : file;
  while (base && *base == '.')
    base++;
  baton__fmt(out, cap, "%s", base && *base ? base : fallback);
}

/* Writes a file's bytes into dir under its (safe) name; returns the new
 * file's path (caller frees) or NULL with err. */
static char *write_into(const char *dir, const char *file, const void *data, size_t len,
                        size_t max, char *err, size_t errlen) {
  if (len > max) {
    baton__fmt(err, errlen, "the file '%s' is %zu bytes, over the queue's blob_max_bytes (%zu)",
               file ? file : "?", len, max);
    return NULL;
  }
  char name[256];
  safe_name(file, "file", name, sizeof name);
  char *path = baton__path_join(dir, name);
  if (!path)
    baton__fmt(err, errlen, "out of memory");
  else if (baton__write_file(path, data, len, err, errlen) != 0) {
    free(path);
    path = NULL;
  }
  return path;
}

/* Fetches one blob into dir; returns the new file's path (caller frees) or NULL with err. */
static char *get_blob(baton__qconn *c, const char *key, const char *file, const char *dir,
                      size_t max, const atomic_int *stop, char *err, size_t errlen) {
  redisReply *r = baton__qconn_cmdl(c, stop, 0, err, errlen, "GET", key, (char *)NULL);
  if (!r)
    return NULL;
  char *path = NULL;
  if (r->type != REDIS_REPLY_STRING)
    baton__fmt(err, errlen, "queue: the file '%s' is no longer in the queue (blob %s expired?)",
               file ? file : "?", key);
  else
    path = write_into(dir, file, r->str, r->len, max, err, errlen);
  freeReplyObject(r);
  return path;
}

/* Writes a file sent inline (base64) into dir; its path (caller frees) or NULL with err. */
static char *get_inline(const char *b64, const char *file, const char *dir, size_t max,
                        char *err, size_t errlen) {
  size_t len = 0, n = strlen(b64);
  unsigned char *data = baton__b64_is_canonical(b64, n) ? baton__b64_decode(b64, n, &len) : NULL;
  if (!data) {
    baton__fmt(err, errlen, "queue: the file '%s' came malformed", file ? file : "?");
    return NULL;
  }
  char *path = write_into(dir, file, data, len, max, err, errlen);
  free(data);
  return path;
}

int baton__qvalues_get(baton__qconn *c, const cJSON *arr, const char *dir, size_t max,
                       const atomic_int *stop, baton__values *vs, char *err, size_t errlen) {
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    const char *name = baton__qjstr(o, "name"), *blob = baton__qjstr(o, "blob");
    const char *bytes = baton__qjstr(o, "bytes");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!name || !cJSON_IsNumber(type) || type->valuedouble < 0 || type->valuedouble > 255) {
      baton__fmt(err, errlen, "queue: a malformed value");
      return -1;
    }
    if (!blob && !bytes) {
      if (baton__values_add(vs, name, (unsigned)type->valuedouble, baton__qjstr(o, "data")) != 0) {
        baton__fmt(err, errlen, "too many values");
        return -1;
      }
      continue;
    }
    const char *file = baton__qjstr(o, "file");
    char *path = bytes ? get_inline(bytes, file, dir, max, err, errlen)
                       : get_blob(c, blob, file, dir, max, stop, err, errlen);
    if (!path)
      return -1;
    if (baton__values_add_own(vs, name, (unsigned)type->valuedouble, path) != 0) {
      baton__fmt(err, errlen, "too many values");
      return -1;
    }
  }
  return 0;
}

void baton__qvalues_drop(baton__qconn *c, const cJSON *arr, const atomic_int *stop) {
  const char *argv[1 + BATON__QUEUE_MAX_VALUES] = {"DEL"};
  int argc = 1;
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    const char *blob = baton__qjstr(o, "blob");
    if (blob && argc < 1 + BATON__QUEUE_MAX_VALUES)
      argv[argc++] = blob;
  }
  char err[256];
  if (argc > 1) /* one command for them all */
    baton__qreply_free(
        baton__qconn_cmd(c, argc, argv, NULL, stop, baton__now_ms() + 2000, err, sizeof err));
}
