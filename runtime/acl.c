/* acl.c — may a caller read or search a file: its bits and ACLs, as Linux or the server decide. */
#include "runtime/acl.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/nfs4_acl.h"
#include "core/banned.h"

/* The kernel's tags (linux/posix_acl.h); its states while checking the order of entries. */
enum { USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, GROUP = 0x08, MASK = 0x10, OTHER = 0x20 };
enum { DONE = 0 };

typedef struct entry {
  unsigned tag, perm;
  uint32_t id;
} entry;

static unsigned le16(const unsigned char *p) {
  return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether e, coming when the entries before it left *state, is in its place (the order and
 * contents the kernel's posix_acl_valid requires); *state and *named updated. */
static bool in_place(const entry *e, unsigned *state, bool *named) {
  bool ok = false;
  switch (e->tag) {
  case USER_OBJ:
    ok = *state == USER_OBJ;
    *state = USER;
    break;
  case USER:
  case GROUP:
    ok = *state == e->tag && e->id != UINT32_MAX; /* (-1: no one) */
    *named = true;
    break;
  case GROUP_OBJ:
    ok = *state == USER;
    *state = GROUP;
    break;
  case MASK:
    ok = *state == GROUP;
    *state = OTHER;
    break;
  case OTHER:
    ok = *state == OTHER || (*state == GROUP && !*named);
    *state = DONE;
    break;
  }
  return ok && !(e->perm & ~7u);
}

/* Reads the value into e[0..*n): false when it is malformed. */
static bool parse(const unsigned char *v, size_t len, entry *e, size_t *n) {
  if (len < 4 || (len - 4) % 8 != 0 || (len - 4) / 8 > BATON__ACL_MAX_ENTRIES || le32(v) != 2)
    return false;
  *n = (len - 4) / 8;
  unsigned state = USER_OBJ;
  bool named = false;
  for (size_t i = 0; i < *n; i++) {
    const unsigned char *p = v + 4 + 8 * i;
    e[i] = (entry){.tag = le16(p), .perm = le16(p + 2), .id = le32(p + 4)};
    if (!in_place(&e[i], &state, &named))
      return false;
  }
  return state == DONE;
}

bool baton__acl_caller_in(const baton__acl_caller *who, gid_t g) {
  bool in = who->gid == g;
  for (size_t i = 0; !in && i < who->n_groups; i++)
    in = who->groups[i] == g;
  return in;
}

/* acl(5)'s access check over well-formed entries. */
static bool entries_let(const entry *e, size_t n, const struct stat *st,
                        const baton__acl_caller *who, unsigned want) {
  unsigned mask = 7;
  for (size_t i = 0; i < n; i++)
    if (e[i].tag == MASK)
      mask = e[i].perm;
  for (size_t i = 0; i < n; i++)
    if (e[i].tag == USER_OBJ && st->st_uid == who->uid)
      return (e[i].perm & want) == want;
  for (size_t i = 0; i < n; i++)
    if (e[i].tag == USER && e[i].id == (uint32_t)who->uid)
      return (e[i].perm & mask & want) == want;
  bool found = false; /* a group entry of the caller's: it decides, others do not */
  for (size_t i = 0; i < n; i++) {
    bool group = e[i].tag == GROUP_OBJ || e[i].tag == GROUP;
    if (group && baton__acl_caller_in(who, e[i].tag == GROUP_OBJ ? st->st_gid : (gid_t)e[i].id)) {
      found = true;
      if ((e[i].perm & mask & want) == want)
        return true;
    }
  }
  for (size_t i = 0; !found && i < n; i++)
    if (e[i].tag == OTHER)
      return (e[i].perm & want) == want;
  return false;
}

bool baton__acl_bits_let(const struct stat *st, const baton__acl_caller *who, unsigned want) {
  unsigned m = (unsigned)st->st_mode;
  bool group = baton__acl_caller_in(who, st->st_gid);
  unsigned bits = st->st_uid == who->uid ? m >> 6 : group ? m >> 3 : m;
  return (bits & 7 & want) == want;
}

bool baton__acl_value_lets(const unsigned char *value, size_t len, const struct stat *st,
                           const baton__acl_caller *who, unsigned want) {
  entry e[BATON__ACL_MAX_ENTRIES];
  size_t n = 0;
  if (!parse(value, len, e, &n))
    return false;
  /* The kernel looks at the ACL only when the group class bits (the mask, else the owning
   * group's entry) grant something (generic_permission); when they grant nothing, a named
   * user or group is judged as any other caller by the bits. */
  if (!(st->st_mode & S_IRWXG))
    return baton__acl_bits_let(st, who, want);
  return entries_let(e, n, st, who, want);
}

const char *baton__acl_fs_refusal(unsigned long f_type, uid_t uid, uid_t self) {
  uint32_t type = (uint32_t)f_type; /* (a 32-bit long holds these magic numbers as negative) */
  bool smb = type == CIFS_SUPER_MAGIC || type == SMB2_SUPER_MAGIC;
  return smb && uid != 0 && uid != self ? BATON__ACL_SMB_REFUSAL : NULL;
}

bool baton__acl_fs_nfs(unsigned long f_type) {
  return (uint32_t)f_type == NFS_SUPER_MAGIC;
}

/* By the POSIX access ACL of the file at self (/proc/self/fd/N), else (none) by its bits. */
static bool posix_lets(const char *self, const struct stat *st, const baton__acl_caller *who,
                       unsigned want) {
  unsigned char value[4 + 8 * BATON__ACL_MAX_ENTRIES];
  ssize_t n = getxattr(self, "system.posix_acl_access", value, sizeof value);
  if (n < 0) /* (ENOTSUP is EOPNOTSUPP on Linux) */
    return (errno == ENODATA || errno == EOPNOTSUPP) && baton__acl_bits_let(st, who, want);
  return baton__acl_value_lets(value, (size_t)n, st, who, want);
}

/* Whether the NFSv4 ACL of the file at self (/proc/self/fd/N) decides, as it does where the
 * client shows one; if so, its decision in *lets (false when it cannot be read). */
static bool nfs4_decides(const char *self, const struct stat *st, const baton__acl_caller *who,
                         unsigned want, bool *lets) {
  unsigned char value[BATON__NFS4_ACL_MAX_BYTES];
  ssize_t n = getxattr(self, BATON__NFS4_ACL_XATTR, value, sizeof value);
  *lets = n >= 0 && baton__nfs4_acl_value_lets(value, (size_t)n, st, who, want);
  return n >= 0 || (errno != ENODATA && errno != EOPNOTSUPP);
}

bool baton__acl_caller_may(int fd, const struct stat *st, const baton__acl_caller *who,
                           unsigned want, const char **why) {
  if (who->uid == 0) /* root: the kernel lets it read and search anything (CAP_DAC_OVERRIDE) */
    return fd >= 0;
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0)
    return false;
  char self[40];
  baton__fmt(self, sizeof self, "/proc/self/fd/%d", fd);
  /* getxattr follows the link /proc/self/fd/N to the very file (fgetxattr refuses O_PATH). */
  bool lets = false;
  if (baton__acl_fs_nfs((unsigned long)fs.f_type) && nfs4_decides(self, st, who, want, &lets))
    return lets;
  const char *refusal = baton__acl_fs_refusal((unsigned long)fs.f_type, who->uid, geteuid());
  if (refusal && why)
    *why = refusal;
  return !refusal && posix_lets(self, st, who, want);
}
