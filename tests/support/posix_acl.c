/* posix_acl.c — POSIX access ACLs for tests, in the kernel's own format: built as bytes, set with setxattr. */
#include "support/posix_acl.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/xattr.h>

static void put_le(unsigned char *p, uint32_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

size_t bt_acl_value(const bt_acl_entry *entries, size_t n, unsigned char *buf) {
  put_le(buf, 2, 4);
  for (size_t i = 0; i < n; i++) {
    unsigned char *p = buf + 4 + 8 * i;
    unsigned tag = entries[i].tag;
    bool named = tag == ACL_USER || tag == ACL_GROUP;
    put_le(p, tag, 2);
    put_le(p + 2, entries[i].perm, 2);
    put_le(p + 4, named ? entries[i].id : (uint32_t)ACL_UNDEFINED_ID, 4);
  }
  return 4 + 8 * n;
}

void bt_acl_set(const char *path, const bt_acl_entry *entries, size_t n) {
  cr_assert_leq(n, BT_ACL_MAX);
  unsigned char value[4 + 8 * BT_ACL_MAX];
  size_t len = bt_acl_value(entries, n, value);
  int rc = setxattr(path, "system.posix_acl_access", value, len, 0);
  if (rc != 0 && errno == EOPNOTSUPP)
    cr_skip_test("the file system of %s has no ACLs", path);
  cr_assert_eq(rc, 0, "cannot set the ACL of %s: %s", path, strerror(errno));
}
