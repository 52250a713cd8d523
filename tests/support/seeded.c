/* seeded.c — a registry seeded from the shipped catalogue once per build, copied for each test that opens one. */
#include "support/seeded.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "support/support.h"

static baton__registry *open_shipped(const char *path) {
  char err[512] = "";
  baton__registry *reg = NULL;
  int rc = baton__registry_open(path, (const char *)baton__catalogue_yaml,
                                baton__catalogue_yaml_len, &reg, err, sizeof err);
  cr_assert_eq(rc, 0, "cannot open the registry %s: %s", path, err);
  cr_assert_not_null(reg);
  return reg;
}

/* The template's path: the schema version and the catalogue's FNV-1a hash
 * in its name, so a changed catalogue or schema seeds a new one. */
static char *template_path(void) {
  uint64_t h =
      baton__fnv1a64(BATON_FNV1A64_INIT, baton__catalogue_yaml, baton__catalogue_yaml_len);
  char name[128];
  snprintf(name, sizeof name, "seeded-registry-v%d-%016llx.db", BATON__REGISTRY_SCHEMA,
           (unsigned long long)h);
  return baton__path_join(BATON_TEST_BINARY_DIR, name);
}

static bool copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  if (!in)
    return false;
  FILE *out = fopen(to, "wb");
  char buf[65536];
  size_t n;
  bool ok = out != NULL;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
    ok = fwrite(buf, 1, n, out) == n;
  fclose(in);
  if (out && fclose(out) != 0)
    ok = false;
  return ok;
}

/* Seeds the template (into a file of this process's, then renamed: tests
 * running at once each make a whole one). */
static void make_template(const char *tpl) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", tpl, (long)getpid());
  baton__registry_close(open_shipped(tmp)); /* the last close folds the WAL in */
  cr_assert_eq(rename(tmp, tpl), 0, "cannot keep the seeded registry %s", tpl);
}

baton__registry *bt_registry_seeded(const char *path) {
  if (!baton__file_exists(path)) {
    char *tpl = template_path();
    if (!baton__file_exists(tpl))
      make_template(tpl);
    const char *slash = strrchr(path, '/');
    char *dir = slash && slash != path ? baton__strndup(path, (size_t)(slash - path)) : NULL;
    if (dir)
      (void)baton__mkdirs(dir, 0700); /* the copy says what went wrong */
    free(dir);
    cr_assert(copy_file(tpl, path), "cannot copy %s to %s", tpl, path);
    free(tpl);
  }
  return open_shipped(path);
}

baton__registry *bt_registry_seeded_in(const char *dir) {
  char *db = baton__path_join(dir, "registry.db");
  baton__registry *reg = bt_registry_seeded(db);
  free(db);
  return reg;
}
