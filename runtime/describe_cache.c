/* describe_cache.c — keeps what `baton-worker --describe` said in the user's cache folder, keyed by what decides it. */
#include "runtime/describe_cache.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "core/util.h"
#include "core/ytree.h"
#include "runtime/worker.h"
#include "core/banned.h"

#define CACHE_MAX (1u << 20)
/* Entries the cache folder keeps (the newest, by mtime): one per config,
 * worker and environment met lately. Older ones go when one is written. */
#define CACHE_KEEP 16
/* Entries one prune looks at; more (never met) are left to the next. */
#define PRUNE_SCAN_MAX 1024
#define ENTRY_PREFIX "executors-"
#define ENTRY_SUFFIX ".json"
#define ENTRY_HEX 16
/* Where baton kept one description before the cache folder. */
#define LEGACY_FILE "executors.json"
/* As core/config.c reads it: a larger or deeper config fails before any describe. */
#define CONFIG_MAX (256u * 1024u)
#define CONFIG_MAX_DEPTH 8

/* Environment variables the local executors read outside the config. */
static const char *const watched_env[] = {"TESSDATA_PREFIX", "APERTIUM_DATADIR", NULL};

/* A file's identity as {"path","size","mtime"}; size -1 when it is missing. */
static cJSON *file_identity(const char *path) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  struct stat st;
  bool ok = path && stat(path, &st) == 0;
  char mtime[48] = "";
  if (ok)
    baton__fmt(mtime, sizeof mtime, "%lld.%09ld", (long long)st.st_mtim.tv_sec,
               (long)st.st_mtim.tv_nsec);
  cJSON_AddStringToObject(o, "path", path ? path : "");
  cJSON_AddNumberToObject(o, "size", ok ? (double)st.st_size : -1.0);
  cJSON_AddStringToObject(o, "mtime", mtime);
  return o;
}

/* Modules of a worker program's folder that count (more are not built). */
#define MODULES_MAX 64

static int is_module(const struct dirent *de) {
  return strlen(de->d_name) > 3 && baton__has_suffix_ci(de->d_name, ".so");
}

/* The executor modules beside the worker program (executors/<name>.so in
 * its folder, as baton-worker finds them), each as file_identity, by name:
 * a module rebuilt or reinstalled alone is described anew. */
static cJSON *modules_identity(const char *program) {
  cJSON *arr = cJSON_CreateArray();
  char *real = program ? realpath(program, NULL) : NULL;
  char *slash = real ? strrchr(real, '/') : NULL;
  if (!arr || !slash) {
    free(real);
    return arr;
  }
  *slash = '\0';
  char dir[4200], path[4400];
  baton__fmt(dir, sizeof dir, "%s/executors", real);
  free(real);
  struct dirent **list = NULL;
  int n = scandir(dir, &list, is_module, alphasort);
  for (int i = 0; i < n; i++) {
    baton__fmt(path, sizeof path, "%s/%s", dir, list[i]->d_name);
    if (i < MODULES_MAX)
      cJSON_AddItemToArray(arr, file_identity(path));
    free(list[i]);
  }
  free(list);
  return arr;
}

/* The top-level config sections a description reads: the local executors'
 * own settings (core/config.c's executor_keys). Configs that differ only
 * elsewhere (home, workers, limits, servers, queue, daemon) describe the
 * same. An executor whose available() or inventory() comes to read another
 * section must add it here. */
static const char *const described[] = {"executors", NULL};

static bool is_described(const char *key) {
  for (const char *const *k = described; *k; k++)
    if (strcmp(*k, key) == 0)
      return true;
  return false;
}

/* FNV-1a of a YAML tree's kinds and text, in order; at the top level, only
 * the described sections. */
static uint64_t tree_hash(uint64_t h, const baton__ynode *n, bool top) {
  const char kind = (char)('0' + (int)n->kind);
  h = baton__fnv1a64(h, &kind, 1);
  if (n->kind == BATON__YN_SCALAR)
    return baton__fnv1a64(h, n->value, strlen(n->value) + 1);
  for (size_t i = 0; i < n->n; i++) {
    bool pair = n->kind == BATON__YN_MAP && i + 1 < n->n;
    if (pair && top && !(n->kids[i]->kind == BATON__YN_SCALAR && is_described(n->kids[i]->value))) {
      i++;
      continue;
    }
    h = tree_hash(h, n->kids[i], false);
  }
  return baton__fnv1a64(h, "]", 1);
}

/* What of the config file can decide the description, as {"fnv1a"} (the
 * string "none" when there is no config file); NULL when it cannot be read
 * or parsed, so nothing is cached. */
static cJSON *config_identity(const char *path) {
  if (!path)
    return cJSON_CreateString("none");
  char *text = NULL, err[256], hash[17];
  size_t len = 0;
  if (baton__read_file(path, CONFIG_MAX, &text, &len, err, sizeof err) != 0)
    return NULL;
  baton__ynode *root = baton__ytree_parse(text, len, path, CONFIG_MAX_DEPTH, err, sizeof err);
  free(text);
  if (!root)
    return NULL;
  baton__fmt(hash, sizeof hash, "%016llx",
             (unsigned long long)tree_hash(BATON_FNV1A64_INIT, root, true));
  baton__ynode_free(root);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "fnv1a", hash);
  return o;
}

/* The key: the worker program and its modules, the library version, the
 * config file's described sections, and the environment the executors
 * read; NULL when the config cannot be read. */
static cJSON *cache_key(const char *program, const char *config_path) {
  cJSON *config = config_identity(config_path);
  cJSON *k = cJSON_CreateObject();
  cJSON *env = cJSON_CreateObject();
  if (!config || !k || !env) {
    cJSON_Delete(config);
    cJSON_Delete(k);
    cJSON_Delete(env);
    return NULL;
  }
  cJSON_AddItemToObject(k, "program", file_identity(program));
  cJSON_AddItemToObject(k, "modules", modules_identity(program));
  cJSON_AddStringToObject(k, "version", baton_version());
  cJSON_AddItemToObject(k, "config", config);
  for (const char *const *e = watched_env; *e; e++) {
    const char *v = getenv(*e);
    cJSON_AddStringToObject(env, *e, v ? v : "");
  }
  cJSON_AddItemToObject(k, "env", env);
  return k;
}

/* $XDG_CACHE_HOME/baton (when absolute), else $HOME/.cache/baton; NULL
 * when neither is set. Caller frees. */
static char *cache_dir(void) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/')
    return baton__path_join(xdg, "baton");
  const char *home = getenv("HOME");
  return home && *home ? baton__path_join(home, ".cache/baton") : NULL;
}

/* The cache file of key, dir/executors-<FNV-1a of the key, 16 hex>.json,
 * with dir created; NULL when there is no cache folder. Caller frees. */
static char *cache_file(const cJSON *key) {
  char *dir = cache_dir();
  char *text = key ? cJSON_PrintUnformatted(key) : NULL;
  char name[48];
  if (text)
    baton__fmt(name, sizeof name, ENTRY_PREFIX "%016llx" ENTRY_SUFFIX,
               (unsigned long long)baton__fnv1a64(BATON_FNV1A64_INIT, text, strlen(text)));
  char *file = dir && text && baton__mkdirs(dir, 0700) == 0 ? baton__path_join(dir, name) : NULL;
  free(text);
  free(dir);
  return file;
}

/* The identities of the folders the executors said decide what they offer
 * (each description's "watch"), as an array. */
static cJSON *watched_folders(const cJSON *executors) {
  cJSON *arr = cJSON_CreateArray();
  const cJSON *d;
  cJSON_ArrayForEach(d, executors) {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(d, "watch");
    if (arr && cJSON_IsString(w) && w->valuestring[0])
      cJSON_AddItemToArray(arr, file_identity(w->valuestring));
  }
  return arr;
}

/* Whether every watched folder is as it was. */
static bool folders_unchanged(const cJSON *watched) {
  const cJSON *w;
  cJSON_ArrayForEach(w, watched) {
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(w, "path");
    cJSON *now = file_identity(cJSON_IsString(path) ? path->valuestring : NULL);
    bool same = now && cJSON_Compare(w, now, true);
    cJSON_Delete(now);
    if (!same)
      return false;
  }
  return true;
}

/* The cached executors when the file exists, parses and matches key; else NULL. */
static cJSON *cache_read(const char *file, const cJSON *key) {
  char *text = NULL;
  size_t len = 0;
  char err[256];
  if (baton__read_file(file, CACHE_MAX, &text, &len, err, sizeof err) != 0)
    return NULL;
  cJSON *doc = cJSON_ParseWithLength(text, len);
  free(text);
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "key");
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "watch");
  cJSON *ex = cJSON_DetachItemFromObjectCaseSensitive(doc, "executors");
  bool fresh = k && cJSON_IsArray(w) && cJSON_IsArray(ex) && cJSON_Compare(k, key, true) &&
               folders_unchanged(w);
  cJSON_Delete(doc);
  if (!fresh) {
    cJSON_Delete(ex);
    return NULL;
  }
  return ex;
}

/* Whether name is a cache entry's: ENTRY_PREFIX, ENTRY_HEX lower-case hex
 * digits, ENTRY_SUFFIX (not a temporary file of baton__write_file's). */
static bool entry_name(const char *name) {
  size_t pre = strlen(ENTRY_PREFIX);
  if (strlen(name) != pre + ENTRY_HEX + strlen(ENTRY_SUFFIX) || strncmp(name, ENTRY_PREFIX, pre))
    return false;
  for (size_t i = pre; i < pre + ENTRY_HEX; i++)
    if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
      return false;
  return strcmp(name + pre + ENTRY_HEX, ENTRY_SUFFIX) == 0;
}

typedef struct entry {
  char name[48];
  struct timespec mtime;
} entry;

static int newest_first(const void *a, const void *b) {
  const struct timespec *x = &((const entry *)a)->mtime, *y = &((const entry *)b)->mtime;
  if (x->tv_sec != y->tv_sec)
    return x->tv_sec < y->tv_sec ? 1 : -1;
  return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* The regular files of folder d named as entries (at most PRUNE_SCAN_MAX),
 * into e; their number. */
static size_t list_entries(DIR *d, entry *e) {
  size_t n = 0;
  for (struct dirent *de; n < PRUNE_SCAN_MAX && (de = readdir(d));) {
    struct stat st;
    if (!entry_name(de->d_name) ||
        fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    baton__fmt(e[n].name, sizeof e[n].name, "%s", de->d_name);
    e[n++].mtime = st.st_mtim;
  }
  return n;
}

/* Removes the entries of file's folder but the newest CACHE_KEEP, file
 * (just written) among those kept whatever its time. Other processes may
 * prune at once: a file already gone is no error. */
static void prune(const char *file) {
  const char *slash = strrchr(file, '/');
  char *dir = slash ? baton__strndup(file, (size_t)(slash - file)) : NULL;
  DIR *d = dir ? opendir(dir) : NULL;
  entry *e = d ? malloc(PRUNE_SCAN_MAX * sizeof *e) : NULL;
  if (e) {
    size_t n = list_entries(d, e), kept = 1;
    qsort(e, n, sizeof *e, newest_first);
    for (size_t i = 0; i < n; i++)
      if (strcmp(e[i].name, slash + 1) != 0 && kept++ >= CACHE_KEEP)
        (void)unlinkat(dirfd(d), e[i].name, 0);
  }
  free(e);
  if (d)
    closedir(d);
  free(dir);
}

/* Removes home/executors.json when it is a regular file. */
static void remove_legacy(const char *home) {
  char *legacy = home ? baton__path_join(home, LEGACY_FILE) : NULL;
  struct stat st;
  if (legacy && lstat(legacy, &st) == 0 && S_ISREG(st.st_mode))
    (void)unlink(legacy);
  free(legacy);
}

/* Stores executors under key, then prunes the folder and removes the
 * legacy file of home (may be NULL); a failure only costs the next start a
 * describe. */
static void cache_write(const char *file, const char *home, const cJSON *key,
                        const cJSON *executors) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc)
    return;
  cJSON_AddItemToObject(doc, "key", cJSON_Duplicate(key, true));
  cJSON_AddItemToObject(doc, "watch", watched_folders(executors));
  cJSON_AddItemToObject(doc, "executors", cJSON_Duplicate(executors, true));
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  char err[256];
  bool written = text && baton__write_file(file, text, strlen(text), err, sizeof err) == 0;
  free(text);
  if (written) {
    prune(file);
    remove_legacy(home);
  }
}

cJSON *baton__describe_cached(const char *home, const char *program, const char *config_path,
                              bool refresh, char *err, size_t errlen) {
  cJSON *key = cache_key(program, config_path);
  char *file = cache_file(key);
  cJSON *arr = file && !refresh ? cache_read(file, key) : NULL;
  if (!arr) {
    arr = baton__worker_query(program, config_path, err, errlen);
    if (arr && file)
      cache_write(file, home, key, arr);
  }
  cJSON_Delete(key);
  free(file);
  return arr;
}
