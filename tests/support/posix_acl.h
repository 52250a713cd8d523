/* posix_acl.h — POSIX access ACLs for tests, in the kernel's own format: built as bytes, set with setxattr. */
#ifndef BATON_TESTS_POSIX_ACL_H
#define BATON_TESTS_POSIX_ACL_H

#include <linux/posix_acl.h>
#include <stddef.h>

/* One entry: a tag (ACL_USER_OBJ ... ACL_OTHER), its permissions (ACL_READ | ACL_WRITE |
 * ACL_EXECUTE) and, for ACL_USER and ACL_GROUP, the uid or gid. */
typedef struct bt_acl_entry {
  unsigned tag, perm, id;
} bt_acl_entry;

/* Entries written short, as in a table of ACLs: {UO(RW), U(1001, 0), GO(R), M(R), O(R)}. */
#define UO(p) {ACL_USER_OBJ, (p), 0}
#define U(id, p) {ACL_USER, (p), (id)}
#define GO(p) {ACL_GROUP_OBJ, (p), 0}
#define G(id, p) {ACL_GROUP, (p), (id)}
#define M(p) {ACL_MASK, (p), 0}
#define O(p) {ACL_OTHER, (p), 0}
#define R ACL_READ
#define X ACL_EXECUTE
#define RW (ACL_READ | ACL_WRITE)
#define RX (ACL_READ | ACL_EXECUTE)
#define RWX (ACL_READ | ACL_WRITE | ACL_EXECUTE)

/* The most entries a value built here holds. */
#define BT_ACL_MAX 80

/* Writes entries[0..n) (n <= BT_ACL_MAX) as the value of "system.posix_acl_access" into buf
 * (at least 4 + 8 * n bytes): a little-endian version 2 header, then 8 bytes an entry (tag,
 * permissions, id; ACL_UNDEFINED_ID for the entries that name no one). Its length. */
size_t bt_acl_value(const bt_acl_entry *entries, size_t n, unsigned char *buf);

/* Sets the access ACL of path to entries[0..n) with setxattr (the kernel refuses a malformed
 * one, and sets the permission bits to match). Skips the test on a file system without ACLs;
 * fails it when the kernel refuses. */
void bt_acl_set(const char *path, const bt_acl_entry *entries, size_t n);

#endif
