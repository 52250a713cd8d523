/* acl.h — may a caller read or search a file: its bits and POSIX access ACL, as Linux decides. */
#ifndef BATON_RUNTIME_ACL_H
#define BATON_RUNTIME_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What is asked (acl(5)'s permission bits; both may be asked at once). */
#define BATON__ACL_READ 4u
#define BATON__ACL_EXECUTE 1u /* search, for a folder */

/* Entries an access ACL may have, at most: a bigger one is refused. */
#define BATON__ACL_MAX_ENTRIES 64

/* Who asks: its uid, its group and its supplementary groups. */
typedef struct baton__acl_caller {
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  size_t n_groups;
} baton__acl_caller;

/* Whether who may do all of `want` to the file st describes, whose access ACL is the value of
 * its "system.posix_acl_access" extended attribute, value[0..len) (the kernel's format: a
 * little-endian version 2, then 8-byte entries: tag, permissions, id). Refused when the value
 * is malformed (another version, a partial entry, more than BATON__ACL_MAX_ENTRIES, an unknown
 * tag or permission, entries out of the kernel's order, no owner, owning group or others
 * entry, named entries without a mask). Decided as the kernel does: by acl(5)'s access check,
 * but by the bits alone when st's group class bits (the mask) grant nothing, as the kernel
 * then does not look at the ACL. */
bool baton__acl_value_lets(const unsigned char *value, size_t len, const struct stat *st,
                           const baton__acl_caller *who, unsigned want);

/* Whether who may do all of `want` to the file st describes by its permission bits alone:
 * the owner's, else the group's when st's group is one of who's, else the others'. */
bool baton__acl_bits_let(const struct stat *st, const baton__acl_caller *who, unsigned want);

/* Whether who may do all of `want` to the file fd holds (any descriptor, O_PATH too; st its
 * fstat): its access ACL read through /proc/self/fd/N; without one (ENODATA, or a file system
 * without ACLs) by its bits. Any other failure to read it, or one too big: refused. Root (uid
 * 0) may, as the kernel lets it. */
bool baton__acl_caller_may(int fd, const struct stat *st, const baton__acl_caller *who,
                           unsigned want);

#endif
