/* acl.h — may a caller read or search a file: its bits and ACLs, as Linux or the server decide. */
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

/* Whether g is who's group or one of its supplementary groups. */
bool baton__acl_caller_in(const baton__acl_caller *who, gid_t g);

/* Whether who may do all of `want` to the file st describes by its permission bits alone:
 * the owner's, else the group's when st's group is one of who's, else the others'. */
bool baton__acl_bits_let(const struct stat *st, const baton__acl_caller *who, unsigned want);

/* The reason given for a file on an SMB/CIFS share, to a caller other than the daemon's user. */
#define BATON__ACL_SMB_REFUSAL "cannot check another user's access to a file on an SMB/CIFS share"

/* Why the caller uid may not be judged on a file system of statfs type f_type, the daemon
 * running as uid self: on an SMB/CIFS share (CIFS_SUPER_MAGIC, SMB2_SUPER_MAGIC) the
 * permission bits shown are the mount's options, not the share's rule, and the share's
 * security descriptor is not read: BATON__ACL_SMB_REFUSAL, for any caller but root and self.
 * NULL where the bits and ACLs can be judged. */
const char *baton__acl_fs_refusal(unsigned long f_type, uid_t uid, uid_t self);

/* Whether a file system of statfs type f_type is NFS (NFS_SUPER_MAGIC), where the client's
 * "system.nfs4_acl" is the NFSv4 ACL the server decides by. Elsewhere the name means nothing
 * to the kernel: a FUSE server may answer it with any value, an overlay passes it on from a
 * lower NFS while deciding by the bits itself. */
bool baton__acl_fs_nfs(unsigned long f_type);

/* Whether who may do all of `want` to the file fd holds (any descriptor, O_PATH too; st its
 * fstat), its extended attributes read through /proc/self/fd/N. Root (uid 0) may, as the
 * kernel lets it. Else, by the file system fstatfs tells, in this order: on NFS
 * (baton__acl_fs_nfs) its NFSv4 ACL, where the client shows one ("system.nfs4_acl",
 * baton__nfs4_acl_value_lets), decides alone; on one whose rule cannot be judged
 * (baton__acl_fs_refusal) refused, with the reason in *why
 * (when why is not NULL; left as it is otherwise); else its POSIX access ACL
 * (baton__acl_value_lets), and without one (ENODATA, or a file system without ACLs) its bits.
 * Any other failure to read an ACL, or one too big: refused. */
bool baton__acl_caller_may(int fd, const struct stat *st, const baton__acl_caller *who,
                           unsigned want, const char **why);

#endif
