/* nfs4_acl.h — may a caller read or search a file by its NFSv4 ACL, as RFC 7530 6.2.1 decides. */
#ifndef BATON_RUNTIME_NFS4_ACL_H
#define BATON_RUNTIME_NFS4_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "runtime/acl.h"

/* The extended attribute the Linux NFS client shows a file's NFSv4 ACL as. */
#define BATON__NFS4_ACL_XATTR "system.nfs4_acl"

/* Bounds: the ACEs a value may have, its size, and the size of a principal's name (the
 * protocol's NFS4_OPAQUE_LIMIT); a value beyond any is refused. */
#define BATON__NFS4_ACL_MAX_ACES 256
#define BATON__NFS4_ACL_MAX_BYTES 16384
#define BATON__NFS4_ACL_MAX_WHO 1024

/* Whether who may do all of `want` (BATON__ACL_READ: READ_DATA, BATON__ACL_EXECUTE: EXECUTE)
 * to the file st describes, whose NFSv4 ACL is value[0..len): the XDR (big-endian) fattr4_acl
 * the client shows, a count of ACEs, then per ACE its type, flags, access mask and principal
 * (4-byte length, bytes, padded to 4). Refused when malformed: shorter or longer than its
 * ACEs, more ACEs or bytes than the bounds, a principal past the end or too long, an unknown
 * type or flag. Decided as RFC 7530 6.2.1 says: ACEs in order, leaving out inherit-only and
 * audit and alarm ACEs; each bit asked is decided by the first ACE applying to who that allows
 * or denies it, and a bit no ACE allowed is denied. An ACE applies to who when its principal
 * is OWNER@ (who owns the file), GROUP@ (who is in the file's group), EVERYONE@, or a numeric
 * id (as the client shows one without id mapping) that is who's uid, or with the
 * IDENTIFIER_GROUP flag one of who's groups. Any other principal ("bob@example.com",
 * AUTHENTICATED@) cannot be told apart from who: it never grants; its deny applies. */
bool baton__nfs4_acl_value_lets(const unsigned char *value, size_t len, const struct stat *st,
                                const baton__acl_caller *who, unsigned want);

#endif
