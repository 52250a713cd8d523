/* test_nfs4_acl.c — access by an NFSv4 ACL: RFC 7530's decisions, and malformed values refused. */
#include <criterion/criterion.h>
#include <linux/nfs4.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/acl.h"
#include "runtime/nfs4_acl.h"
#include "support/nfs4_acl.h"

/* A file of uid 1000, group 1000 (its mode left out: the ACL decides), and callers: its
 * owner, bob (1001, group 2001), carol in the file's group, and dave with the file's group
 * and group 7 among his supplementary ones. */
static const struct stat file = {.st_uid = 1000, .st_gid = 1000, .st_mode = S_IFREG};
static const baton__acl_caller owner = {.uid = 1000, .gid = 1};
static const baton__acl_caller bob = {.uid = 1001, .gid = 2001};
static const baton__acl_caller carol = {.uid = 1002, .gid = 1000};
static const baton__acl_caller dave = {
    .uid = 1003, .gid = 2003, .groups = (const gid_t[]){1000, 7}, .n_groups = 2};

/* ACEs written short: ALLOW(flags, who, mask), DENY(...), and a type of any number. */
#define ACE(type, f, who, m) {(type), (f), (m), (who)}
#define ALLOW(f, who, m) ACE(NFS4_ACE_ACCESS_ALLOWED_ACE_TYPE, f, who, m)
#define DENY(f, who, m) ACE(NFS4_ACE_ACCESS_DENIED_ACE_TYPE, f, who, m)
#define RD NFS4_ACE_READ_DATA
#define EX NFS4_ACE_EXECUTE
#define GRP NFS4_ACE_IDENTIFIER_GROUP
#define READ BATON__ACL_READ
#define EXEC BATON__ACL_EXECUTE

/* Room for values past the bounds. */
#define ROOM (2 * BATON__NFS4_ACL_MAX_BYTES)
static unsigned char v[ROOM];

static bool value_lets(size_t len, const baton__acl_caller *who, unsigned want) {
  return baton__nfs4_acl_value_lets(v, len, &file, who, want);
}

static bool aces_let(const bt_nfs4_ace *a, size_t n, const baton__acl_caller *who,
                     unsigned want) {
  return value_lets(bt_nfs4_acl_value(a, n, v, sizeof v), who, want);
}

#define LETS(who, want, ...)                                                                  \
  aces_let((const bt_nfs4_ace[]){__VA_ARGS__},                                               \
           sizeof((const bt_nfs4_ace[]){__VA_ARGS__}) / sizeof(bt_nfs4_ace), (who), (want))

/* OWNER@, GROUP@ and EVERYONE@, each naming whom RFC 7530 says; what an ACE allows or denies is
 * decided by the first that names the caller, in order, and what none allows is denied. */
Test(runtime_nfs4_acl, owner_group_and_everyone_decide_in_order) {
  cr_assert(LETS(&owner, READ, ALLOW(0, "OWNER@", RD)), "the owner");
  cr_assert_not(LETS(&bob, READ, ALLOW(0, "OWNER@", RD)), "not the owner");
  cr_assert(LETS(&carol, READ, ALLOW(GRP, "GROUP@", RD)), "in the file's group");
  cr_assert(LETS(&dave, READ, ALLOW(GRP, "GROUP@", RD)), "in it as a supplementary group");
  cr_assert_not(LETS(&bob, READ, ALLOW(GRP, "GROUP@", RD)), "not in the file's group");
  cr_assert(LETS(&bob, READ, ALLOW(0, "EVERYONE@", RD)), "everyone");
  cr_assert_not(LETS(&bob, READ, ALLOW(0, "EVERYONE@", NFS4_ACE_WRITE_DATA | EX)), "not read");
  cr_assert_not(aces_let(NULL, 0, &owner, READ), "no ACE: nothing allowed");
  /* what a Linux server (knfsd's mask_from_posix) shows for mode 0640:
   * A::OWNER@:rwatTcCy A:g:GROUP@:rtcy A::EVERYONE@:tcy */
  const bt_nfs4_ace m640[] = {ALLOW(0, "OWNER@", 0x160187), ALLOW(GRP, "GROUP@", 0x120081),
                              ALLOW(0, "EVERYONE@", 0x120080)};
  cr_assert(aces_let(m640, 3, &owner, READ) && aces_let(m640, 3, &carol, READ));
  cr_assert_not(aces_let(m640, 3, &bob, READ), "0640: others may not read");
  cr_assert_not(aces_let(m640, 3, &owner, EXEC), "0640: not even the owner may execute");
}

/* A deny before an allow wins, an allow before a deny wins, and an ACE naming someone else
 * decides nothing for the caller. */
Test(runtime_nfs4_acl, a_deny_first_wins_and_an_allow_first_wins) {
  cr_assert_not(LETS(&owner, READ, DENY(0, "OWNER@", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert(LETS(&owner, READ, ALLOW(0, "EVERYONE@", RD), DENY(0, "OWNER@", RD)));
  cr_assert(LETS(&bob, READ, DENY(0, "OWNER@", RD), ALLOW(0, "EVERYONE@", RD)), "not bob's");
  cr_assert_not(LETS(&carol, READ, DENY(GRP, "GROUP@", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert_not(LETS(&dave, READ, DENY(GRP, "GROUP@", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert(LETS(&bob, READ, DENY(GRP, "GROUP@", RD), ALLOW(0, "EVERYONE@", RD)), "not bob's");
  cr_assert(LETS(&carol, READ, ALLOW(GRP, "GROUP@", RD), DENY(0, "EVERYONE@", RD)));
  cr_assert_not(LETS(&bob, READ, ALLOW(0, "OWNER@", RD), ALLOW(GRP, "GROUP@", RD),
                     DENY(0, "EVERYONE@", RD)));
  cr_assert(LETS(&bob, READ, DENY(0, "EVERYONE@", EX), ALLOW(0, "EVERYONE@", RD)),
            "a deny of another bit");
}

/* Inherit-only ACEs (for what is created inside) and audit and alarm ACEs decide nothing;
 * inheritable and inherited ones apply. */
Test(runtime_nfs4_acl, inherit_only_audit_and_alarm_aces_are_skipped) {
  unsigned inherit = NFS4_ACE_FILE_INHERIT_ACE | NFS4_ACE_DIRECTORY_INHERIT_ACE;
  unsigned only = inherit | NFS4_ACE_INHERIT_ONLY_ACE;
  cr_assert(LETS(&bob, READ, DENY(only, "EVERYONE@", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert_not(LETS(&bob, READ, ALLOW(only, "EVERYONE@", RD)), "an inherit-only allow");
  cr_assert_not(LETS(&bob, READ, DENY(inherit, "EVERYONE@", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert(LETS(&bob, READ, ALLOW(inherit, "EVERYONE@", RD)), "inheritable");
  cr_assert(LETS(&bob, READ, ALLOW(NFS4_ACE_INHERITED_ACE, "EVERYONE@", RD)), "inherited");
  unsigned both = NFS4_ACE_SUCCESSFUL_ACCESS_ACE_FLAG | NFS4_ACE_FAILED_ACCESS_ACE_FLAG;
  cr_assert_not(LETS(&bob, READ, ACE(NFS4_ACE_SYSTEM_AUDIT_ACE_TYPE, both, "EVERYONE@", RD)));
  cr_assert_not(LETS(&bob, READ, ACE(NFS4_ACE_SYSTEM_ALARM_ACE_TYPE, both, "EVERYONE@", RD)));
  cr_assert(LETS(&bob, READ, ACE(NFS4_ACE_SYSTEM_AUDIT_ACE_TYPE, both, "EVERYONE@", RD),
                 ACE(NFS4_ACE_SYSTEM_ALARM_ACE_TYPE, both, "EVERYONE@", RD),
                 ALLOW(0, "EVERYONE@", RD)));
}

/* A numeric id, as the client shows one without id mapping: a user's uid, or with
 * IDENTIFIER_GROUP a group, the caller's own or a supplementary one. */
Test(runtime_nfs4_acl, a_numeric_principal_names_a_uid_or_with_the_group_flag_a_gid) {
  cr_assert(LETS(&bob, READ, ALLOW(0, "1001", RD)), "bob's uid");
  cr_assert_not(LETS(&carol, READ, ALLOW(0, "1001", RD)), "not carol's");
  cr_assert_not(LETS(&bob, READ, ALLOW(0, "2001", RD)), "bob's gid, as a uid");
  cr_assert(LETS(&bob, READ, ALLOW(GRP, "2001", RD)), "bob's group");
  cr_assert_not(LETS(&bob, READ, ALLOW(GRP, "1001", RD)), "bob's uid, as a gid");
  cr_assert(LETS(&dave, READ, ALLOW(GRP, "7", RD)), "a supplementary group");
  cr_assert(LETS(&owner, READ, ALLOW(GRP, "1", RD)), "the owner's group 1");
  cr_assert_not(LETS(&bob, READ, DENY(0, "1001", RD), ALLOW(0, "EVERYONE@", RD)));
  cr_assert(LETS(&bob, READ, DENY(0, "1002", RD), ALLOW(0, "EVERYONE@", RD)), "carol denied");
  cr_assert_not(LETS(&bob, READ, DENY(GRP, "2001", RD), ALLOW(0, "1001", RD)));
  cr_assert(LETS(&bob, READ, DENY(GRP, "2002", RD), ALLOW(0, "1001", RD)));
}

/* A principal that cannot be resolved here (a name@domain the client shows with id mapping, a
 * special one other than the three, an id not written as the client writes one) never allows,
 * and its deny applies, to anyone. */
Test(runtime_nfs4_acl, an_unresolved_principal_never_allows_and_its_deny_applies) {
  static const char *const unresolved[] = {
      "bob@example.com", "1001@example.com", "bob", "AUTHENTICATED@", "INTERACTIVE@", "owner@",
      "OWNER", "01001", "+1001", "1001 ", " 1001", "4294967295", "42949672961", "-1", ""};
  for (size_t i = 0; i < sizeof unresolved / sizeof *unresolved; i++) {
    const char *who = unresolved[i];
    cr_assert_not(LETS(&bob, READ, ALLOW(0, who, RD)), "'%s' allows", who);
    cr_assert_not(LETS(&bob, READ, ALLOW(GRP, who, RD)), "'%s' as a group allows", who);
    cr_assert_not(LETS(&bob, READ, DENY(0, who, RD), ALLOW(0, "EVERYONE@", RD)),
                  "'%s' denies bob", who);
    cr_assert_not(LETS(&owner, READ, DENY(GRP, who, RD), ALLOW(0, "OWNER@", RD)),
                  "'%s' as a group denies the owner", who);
    cr_assert(LETS(&bob, READ, ALLOW(0, "EVERYONE@", RD), DENY(0, who, RD)),
              "'%s' denies after the allow", who);
  }
}

/* Both asked: each bit is decided by the first ACE allowing or denying it, and both must be
 * allowed. */
Test(runtime_nfs4_acl, read_and_execute_are_decided_bit_by_bit) {
  const bt_nfs4_ace both[] = {ALLOW(0, "EVERYONE@", RD | EX)};
  cr_assert(aces_let(both, 1, &bob, READ) && aces_let(both, 1, &bob, EXEC));
  cr_assert(aces_let(both, 1, &bob, READ | EXEC));
  const bt_nfs4_ace no_x[] = {ALLOW(0, "EVERYONE@", RD), DENY(0, "EVERYONE@", EX)};
  cr_assert(aces_let(no_x, 2, &bob, READ));
  cr_assert_not(aces_let(no_x, 2, &bob, EXEC) || aces_let(no_x, 2, &bob, READ | EXEC));
  const bt_nfs4_ace unsaid[] = {ALLOW(0, "EVERYONE@", RD)};
  cr_assert_not(aces_let(unsaid, 1, &bob, READ | EXEC), "execute allowed by none");
  const bt_nfs4_ace split[] = {ALLOW(0, "OWNER@", RD), DENY(0, "EVERYONE@", RD | EX),
                               ALLOW(0, "EVERYONE@", EX)};
  cr_assert(aces_let(split, 3, &owner, READ));
  cr_assert_not(aces_let(split, 3, &owner, EXEC), "execute denied before it is allowed");
  cr_assert_not(aces_let(split, 3, &owner, READ | EXEC));
  const bt_nfs4_ace two[] = {ALLOW(0, "OWNER@", EX), ALLOW(GRP, "GROUP@", RD)};
  baton__acl_caller in_group = {.uid = 1000, .gid = 1000};
  cr_assert(aces_let(two, 2, &in_group, READ | EXEC), "one bit from each ACE");
  cr_assert_not(aces_let(two, 2, &owner, READ | EXEC), "the owner, not in the group");
  cr_assert_not(aces_let(both, 1, &bob, READ | 2), "writing is not judged here");
}

/* Every malformed value is refused, each a change to one that lets bob read: a deny of carol
 * ("1002", 4 bytes), then an allow of everyone ("EVERYONE@", 9 bytes padded to 12). */
Test(runtime_nfs4_acl, a_malformed_value_is_refused) {
  const bt_nfs4_ace good[] = {DENY(0, "1002", RD), ALLOW(0, "EVERYONE@", RD)};
  size_t len = bt_nfs4_acl_value(good, 2, v, sizeof v), second = 4 + 20, who2 = second + 12;
  cr_assert_eq(len, second + 16 + 12);
  cr_assert(value_lets(len, &bob, READ), "the well-formed value lets bob read");
  for (size_t cut = 0; cut < len; cut++) /* truncated: the padding, the name, a field... */
    cr_assert_not(value_lets(cut, &bob, READ), "cut to %zu bytes", cut);
  cr_assert_not(value_lets(len + 4, &bob, READ), "4 bytes after the last ACE");
  struct {
    size_t at;
    uint32_t x;
    const char *what;
  } bad[] = {{0, 3, "a count of 3"},
             {0, 1, "a count of 1 (the second ACE left over)"},
             {0, UINT32_MAX, "a count of 2^32 - 1"},
             {who2, 13, "a name running past the end"},
             {who2, 8, "a name 1 byte short (its last one left over)"},
             {who2, UINT32_MAX, "a name of 2^32 - 1 bytes"},
             {second, 4, "an unknown type"},
             {second, UINT32_MAX, "type 2^32 - 1"},
             {second + 4, 0x100, "an unknown flag"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    bt_nfs4_acl_value(good, 2, v, sizeof v);
    bt_put_be32(v + bad[i].at, bad[i].x);
    cr_assert_not(value_lets(len, &bob, READ), "%s", bad[i].what);
  }
  bt_nfs4_acl_value(good, 2, v, sizeof v);
  bt_put_be32(v + second + 8, 0xffffffff);
  cr_assert(value_lets(len, &bob, READ), "access bits not judged here are no fault");
}

/* The bounds: a principal's length, the number of ACEs and the value's size; each reached is
 * read, each passed refused. */
Test(runtime_nfs4_acl, a_value_past_a_bound_is_refused) {
  static char name[BATON__NFS4_ACL_MAX_WHO + 2];
  memset(name, 'a', BATON__NFS4_ACL_MAX_WHO);
  bt_nfs4_ace a[BATON__NFS4_ACL_MAX_ACES + 1];
  a[0] = (bt_nfs4_ace)ALLOW(0, name, RD), a[1] = (bt_nfs4_ace)ALLOW(0, "EVERYONE@", RD);
  cr_assert(aces_let(a, 2, &bob, READ), "a name of %d bytes", BATON__NFS4_ACL_MAX_WHO);
  name[BATON__NFS4_ACL_MAX_WHO] = 'a';
  cr_assert_not(aces_let(a, 2, &bob, READ), "a name of %d bytes", BATON__NFS4_ACL_MAX_WHO + 1);
  for (size_t i = 0; i < BATON__NFS4_ACL_MAX_ACES; i++)
    a[i] = (bt_nfs4_ace)DENY(0, "1002", RD);
  a[BATON__NFS4_ACL_MAX_ACES - 1] = (bt_nfs4_ace)ALLOW(0, "EVERYONE@", RD);
  cr_assert(aces_let(a, BATON__NFS4_ACL_MAX_ACES, &bob, READ));
  a[BATON__NFS4_ACL_MAX_ACES] = a[BATON__NFS4_ACL_MAX_ACES - 1];
  cr_assert_not(aces_let(a, BATON__NFS4_ACL_MAX_ACES + 1, &bob, READ), "one ACE too many");
  /* allows of a long unresolved name (never applying), then of everyone: as many as fit */
  name[BATON__NFS4_ACL_MAX_WHO] = '\0';
  size_t n = 0, len = 4 + 16 + 12;
  while (len + 16 + BATON__NFS4_ACL_MAX_WHO <= BATON__NFS4_ACL_MAX_BYTES) {
    a[n++] = (bt_nfs4_ace)ALLOW(0, name, RD);
    len += 16 + BATON__NFS4_ACL_MAX_WHO;
  }
  a[n] = (bt_nfs4_ace)ALLOW(0, "EVERYONE@", RD);
  size_t fits = bt_nfs4_acl_value(a, n + 1, v, sizeof v);
  cr_assert_leq(fits, BATON__NFS4_ACL_MAX_BYTES);
  cr_assert(value_lets(fits, &bob, READ), "%zu bytes", fits);
  a[n + 1] = a[n], a[n] = a[0];
  size_t over = bt_nfs4_acl_value(a, n + 2, v, sizeof v);
  cr_assert_gt(over, BATON__NFS4_ACL_MAX_BYTES);
  cr_assert_not(value_lets(over, &bob, READ), "%zu bytes", over);
}
