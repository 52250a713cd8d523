/* nfs4_acl.h — NFSv4 ACLs for tests, as the NFS client shows them: XDR values as bytes. */
#ifndef BATON_TESTS_NFS4_ACL_H
#define BATON_TESTS_NFS4_ACL_H

#include <stddef.h>
#include <stdint.h>

/* One ACE: its type (NFS4_ACE_ACCESS_ALLOWED_ACE_TYPE ...), flags (NFS4_ACE_INHERIT_ONLY_ACE
 * ...), access mask (NFS4_ACE_READ_DATA ...) and principal ("OWNER@", "1001", ...). */
typedef struct bt_nfs4_ace {
  unsigned type, flags, mask;
  const char *who;
} bt_nfs4_ace;

/* Writes aces[0..n) as the value of "system.nfs4_acl" into buf (cap bytes, which it must
 * hold: the test fails otherwise): a big-endian count, then per ACE its type, flags, mask,
 * the principal's length and its bytes, zero-padded to 4. Its length. */
size_t bt_nfs4_acl_value(const bt_nfs4_ace *aces, size_t n, unsigned char *buf, size_t cap);

/* Writes v big-endian (XDR's order) into at[0..4). */
void bt_put_be32(unsigned char *at, uint32_t v);

#endif
