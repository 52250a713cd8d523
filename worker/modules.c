/* modules.c — the local executors' modules beside baton-worker: finding them, loading one, or those serving given task kinds. */
#include "worker/modules.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "local_executors.h"
#include "core/banned.h"

/* What the build says of each module: its executor's name and task kinds. */
typedef struct module_info {
  const char *name, *tasks;
} module_info;

#define MODULE_INFO(symbol, name, tasks) {name, tasks},
static const module_info modules[] = {BATON__LOCAL_EXECUTORS(MODULE_INFO){NULL, NULL}};

static const module_info *info_of(const char *name) {
  for (const module_info *m = modules; name && m->name; m++)
    if (strcmp(m->name, name) == 0)
      return m;
  return NULL;
}

bool baton__module_known(const char *name) {
  return info_of(name) != NULL;
}

/* Whether ex serves exactly the task kinds the build listed (info->tasks):
 * each of its kinds is listed, and the list has no more. */
static bool tasks_match(const baton__executor *ex, const module_info *info) {
  size_t mine = 0, listed = 1;
  for (const char *const *t = ex->tasks; *t; t++, mine++)
    if (!baton__csv_has(info->tasks, *t))
      return false;
  for (const char *p = info->tasks; *p; p++)
    listed += *p == ',';
  return mine == listed;
}

int baton__modules_dir(char *dir, size_t cap, char *err, size_t errlen) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    baton__fmt(err, errlen, "cannot find its own program (/proc/self/exe): %s", strerror(errno));
    return -1;
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = '\0';
  const char *base = slash ? self : ".";
  if (strlen(base) + sizeof "/executors" > cap) {
    baton__fmt(err, errlen, "the program's folder name is too long: %s", base);
    return -1;
  }
  baton__fmt(dir, cap, "%s/executors", base);
  return 0;
}

const baton__executor *baton__module_load(const char *dir, const char *name, char *err,
                                          size_t errlen) {
  const module_info *info = info_of(name);
  if (!info) {
    baton__fmt(err, errlen, "this build has no local executor called '%s'", name);
    return NULL;
  }
  char path[4096];
  baton__fmt(path, sizeof path, "%s/%s.so", dir, name);
  /* RTLD_GLOBAL, as when the executors were linked in: libtesseract finds
   * libgomp's controls through the global scope. */
  void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char *why = dlerror();
    baton__fmt(err, errlen, "cannot load the %s executor: %s", name, why ? why : path);
    return NULL;
  }
  const baton__executor *(*entry)(const char *, size_t) = NULL;
  void *sym = dlsym(h, BATON__MODULE_ENTRY);
  if (sym)
    memcpy(&entry, &sym, sizeof entry);
  const baton__executor *ex = entry ? entry(BATON_VERSION_STRING, BATON__MODULE_ABI) : NULL;
  /* A module that does not fit is left loaded: unloading may run its
   * libraries' destructors. */
  if (!ex || strcmp(ex->name, name) != 0 || !tasks_match(ex, info)) {
    baton__fmt(err, errlen, "%s is not the %s executor of this baton-worker (%s); reinstall baton",
               path, name, BATON_VERSION_STRING);
    return NULL;
  }
  return ex;
}

size_t baton__modules_load(const char *dir, const char *tasks, const baton__executor **table,
                           size_t cap, void (*say)(const char *why)) {
  size_t n = 0;
  for (const module_info *m = modules; m->name && n + 1 < cap; m++) {
    bool wanted = !tasks || !*tasks;
    for (const char *p = m->tasks; !wanted && *p;) {
      size_t len = strcspn(p, ",");
      char kind[128];
      baton__fmt(kind, sizeof kind, "%.*s", (int)len, p);
      wanted = baton__csv_has(tasks, kind);
      p += len + (p[len] == ',');
    }
    char err[1024];
    const baton__executor *ex = wanted ? baton__module_load(dir, m->name, err, sizeof err) : NULL;
    if (ex)
      table[n++] = ex;
    else if (wanted && say)
      say(err);
  }
  if (cap)
    table[n] = NULL;
  return n;
}
