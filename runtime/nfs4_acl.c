/* nfs4_acl.c — may a caller read or search a file by its NFSv4 ACL, as RFC 7530 6.2.1 decides. */
#include "runtime/nfs4_acl.h"

#include <linux/nfs4.h>
#include <stdint.h>
#include <string.h>

#include "core/banned.h"

/* The flags an ACE may carry (RFC 7530 6.2.1.4, and RFC 5661's INHERITED): any other refuses. */
#define KNOWN_FLAGS                                                                          \
  (NFS4_ACE_FILE_INHERIT_ACE | NFS4_ACE_DIRECTORY_INHERIT_ACE |                              \
   NFS4_ACE_NO_PROPAGATE_INHERIT_ACE | NFS4_ACE_INHERIT_ONLY_ACE |                           \
   NFS4_ACE_SUCCESSFUL_ACCESS_ACE_FLAG | NFS4_ACE_FAILED_ACCESS_ACE_FLAG |                   \
   NFS4_ACE_IDENTIFIER_GROUP | NFS4_ACE_INHERITED_ACE)

/* The most digits of a numeric id (2^32 - 1 has ten). */
#define ID_DIGITS 10

/* What of a value is still to read. */
typedef struct cursor {
  const unsigned char *p;
  size_t left;
} cursor;

typedef struct ace {
  uint32_t type, flags, mask;
  const unsigned char *who; /* the principal, who_len bytes (not NUL-terminated) */
  size_t who_len;
} ace;

/* Whether an ACE's principal is the caller: it is, it is not, or it names someone who
 * cannot be told apart from the caller here. */
enum { IS_NOT, IS, UNKNOWN };

static bool take32(cursor *c, uint32_t *v) {
  if (c->left < 4)
    return false;
  *v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
  c->p += 4, c->left -= 4;
  return true;
}

/* Reads one ACE into *a: false when it is malformed. */
static bool take_ace(cursor *c, ace *a) {
  uint32_t n;
  if (!take32(c, &a->type) || !take32(c, &a->flags) || !take32(c, &a->mask) || !take32(c, &n))
    return false;
  size_t padded = ((size_t)n + 3) & ~(size_t)3; /* (n is bounded first) */
  if (n > BATON__NFS4_ACL_MAX_WHO || padded > c->left)
    return false;
  a->who = c->p, a->who_len = n;
  c->p += padded, c->left -= padded;
  return a->type <= NFS4_ACE_SYSTEM_ALARM_ACE_TYPE && !(a->flags & ~(uint32_t)KNOWN_FLAGS);
}

static bool named(const ace *a, const char *name) {
  return a->who_len == strlen(name) && memcmp(a->who, name, a->who_len) == 0;
}

/* A numeric id as the client shows one without id mapping: decimal digits, no leading zero,
 * below 2^32 - 1 (that one is no one). */
static bool numeric(const ace *a, uint32_t *id) {
  if (a->who_len == 0 || a->who_len > ID_DIGITS || (a->who[0] == '0' && a->who_len > 1))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < a->who_len; i++) {
    if (a->who[i] < '0' || a->who[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(a->who[i] - '0');
  }
  *id = (uint32_t)v;
  return v < UINT32_MAX;
}

static int principal(const ace *a, const struct stat *st, const baton__acl_caller *who) {
  uint32_t id;
  if (named(a, "OWNER@"))
    return who->uid == st->st_uid ? IS : IS_NOT;
  if (named(a, "GROUP@"))
    return baton__acl_caller_in(who, st->st_gid) ? IS : IS_NOT;
  if (named(a, "EVERYONE@"))
    return IS;
  if (!numeric(a, &id))
    return UNKNOWN;
  bool group = a->flags & NFS4_ACE_IDENTIFIER_GROUP;
  return (group ? baton__acl_caller_in(who, (gid_t)id) : who->uid == (uid_t)id) ? IS : IS_NOT;
}

bool baton__nfs4_acl_value_lets(const unsigned char *value, size_t len, const struct stat *st,
                                const baton__acl_caller *who, unsigned want) {
  cursor c = {value, len};
  uint32_t count;
  if (want & ~(BATON__ACL_READ | BATON__ACL_EXECUTE) || len > BATON__NFS4_ACL_MAX_BYTES ||
      !take32(&c, &count) || count > BATON__NFS4_ACL_MAX_ACES)
    return false;
  uint32_t asked = (want & BATON__ACL_READ ? NFS4_ACE_READ_DATA : 0) |
                   (want & BATON__ACL_EXECUTE ? NFS4_ACE_EXECUTE : 0);
  uint32_t allowed = 0, denied = 0;
  for (uint32_t i = 0; i < count; i++) {
    ace a;
    if (!take_ace(&c, &a))
      return false;
    bool allow = a.type == NFS4_ACE_ACCESS_ALLOWED_ACE_TYPE;
    bool deny = a.type == NFS4_ACE_ACCESS_DENIED_ACE_TYPE;
    /* Audit and alarm ACEs, and those only for what is created inside, decide nothing. */
    if (!(allow || deny) || a.flags & NFS4_ACE_INHERIT_ONLY_ACE)
      continue;
    int is = principal(&a, st, who);
    if (allow ? is != IS : is == IS_NOT)
      continue; /* (an unknown principal: its deny applies, it never allows) */
    uint32_t open = asked & a.mask & ~(allowed | denied); /* each bit decided once */
    *(allow ? &allowed : &denied) |= open;
  }
  return c.left == 0 && (allowed & asked) == asked;
}
