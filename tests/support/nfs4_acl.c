/* nfs4_acl.c — NFSv4 ACLs for tests, as the NFS client shows them: XDR values as bytes. */
#include "support/nfs4_acl.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

void bt_put_be32(unsigned char *at, uint32_t v) {
  for (int i = 0; i < 4; i++)
    at[i] = (unsigned char)(v >> (24 - 8 * i));
}

/* Appends the big-endian v at buf[*len], which must fit in cap. */
static void put32(unsigned char *buf, size_t cap, size_t *len, uint32_t v) {
  cr_assert_leq(*len + 4, cap, "the value does not fit in %zu bytes", cap);
  bt_put_be32(buf + *len, v);
  *len += 4;
}

size_t bt_nfs4_acl_value(const bt_nfs4_ace *aces, size_t n, unsigned char *buf, size_t cap) {
  size_t len = 0;
  put32(buf, cap, &len, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    size_t who = strlen(aces[i].who), padded = (who + 3) & ~(size_t)3;
    put32(buf, cap, &len, aces[i].type);
    put32(buf, cap, &len, aces[i].flags);
    put32(buf, cap, &len, aces[i].mask);
    put32(buf, cap, &len, (uint32_t)who);
    cr_assert_leq(len + padded, cap, "the value does not fit in %zu bytes", cap);
    memset(buf + len, 0, padded);
    memcpy(buf + len, aces[i].who, who);
    len += padded;
  }
  return len;
}
