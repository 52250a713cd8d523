/* cards.c — refreshes the description, tags and license of catalogue models left unedited. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/* The fingerprint of a card: FNV-1a 64 of description '\x1f' tags '\x1f' license (a NULL
 * field as ""), as 16 hex digits. */
static void card_fingerprint(const char *desc, const char *tags, const char *license,
                             char out[BATON__CARD_FP_LEN + 1]) {
  const char *part[3] = {desc, tags, license};
  uint64_t h = BATON_FNV1A64_INIT;
  for (int i = 0; i < 3; i++) {
    if (i > 0)
      h = baton__fnv1a64(h, "\x1f", 1);
    if (part[i])
      h = baton__fnv1a64(h, part[i], strlen(part[i]));
  }
  baton__fmt(out, BATON__CARD_FP_LEN + 1, "%016llx", (unsigned long long)h);
}

int baton__cards_init(baton__cards *c, sqlite3 *db, const char *seen, char *err,
                      size_t errlen) {
  memset(c, 0, sizeof *c);
  c->db = db;
  c->seen = seen;
  c->now = baton__wall_s();
  baton__sb_init(&c->out);
  baton__sb_addc(&c->out, '\n'); /* every line between two '\n' */
  const char *get = "SELECT description, tags, license, source = 'catalogue' AND NOT edited"
                    " FROM models WHERE id = ?1";
  const char *upd = "UPDATE models SET description = ?2, tags = ?3, license = ?4,"
                    " updated_at = ?5 WHERE id = ?1";
  if (sqlite3_prepare_v2(db, get, -1, &c->get, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, upd, -1, &c->upd, NULL) != SQLITE_OK) {
    baton__db_err(db, err, errlen, "cannot prepare the catalogue card refresh");
    baton__cards_release(c);
    return -1;
  }
  return 0;
}

void baton__cards_release(baton__cards *c) {
  if (!c)
    return;
  sqlite3_finalize(c->get);
  sqlite3_finalize(c->upd);
  c->get = c->upd = NULL;
  baton__sb_release(&c->out);
}

char *baton__cards_detach(baton__cards *c) { return baton__sb_detach(&c->out); }

/* The fingerprint recorded for id in seen, copied into out. Whether there is one. */
static bool recorded(const char *seen, const char *id, char out[BATON__CARD_FP_LEN + 1]) {
  char needle[BATON__CARD_ID_MAX + 3];
  size_t n = strlen(id);
  if (!seen || n > BATON__CARD_ID_MAX)
    return false;
  baton__fmt(needle, sizeof needle, "\n%s\t", id);
  const char *p = strstr(seen, needle);
  if (!p)
    return false;
  p += n + 2;
  size_t fp = strcspn(p, "\n");
  if (fp != BATON__CARD_FP_LEN)
    return false;
  memcpy(out, p, fp);
  out[fp] = '\0';
  return true;
}

/* The fingerprint of model id's card as the registry has it, and whether the row is the
 * catalogue's as seeded, never touched by the user (*untouched). 1, 0 when it has no such
 * model, or -1 with err. */
static int row_fingerprint(baton__cards *c, const char *id, char out[BATON__CARD_FP_LEN + 1],
                           bool *untouched, char *err, size_t errlen) {
  sqlite3_stmt *g = c->get;
  sqlite3_bind_text(g, 1, id, -1, SQLITE_STATIC);
  int s = sqlite3_step(g);
  *untouched = s == SQLITE_ROW && sqlite3_column_int(g, 3) != 0;
  if (s == SQLITE_ROW)
    card_fingerprint((const char *)sqlite3_column_text(g, 0),
                     (const char *)sqlite3_column_text(g, 1),
                     (const char *)sqlite3_column_text(g, 2), out);
  else if (s != SQLITE_DONE)
    baton__db_err(c->db, err, errlen, "cannot read a catalogue model's card");
  sqlite3_reset(g);
  sqlite3_clear_bindings(g);
  return s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : -1;
}

/* Gives model r->id the card of r. 0, or -1 with err. */
static int update_card(baton__cards *c, const baton__model_row *r, char *err, size_t errlen) {
  sqlite3_stmt *u = c->upd;
  sqlite3_bind_text(u, 1, r->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(u, 2, r->description ? r->description : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(u, 3, r->tags ? r->tags : "", -1, SQLITE_STATIC);
  if (r->license)
    sqlite3_bind_text(u, 4, r->license, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(u, 4);
  sqlite3_bind_double(u, 5, c->now);
  int s = sqlite3_step(u);
  sqlite3_reset(u);
  sqlite3_clear_bindings(u);
  return baton__step_end(c->db, s, err, errlen, "cannot refresh a catalogue model's card");
}

int baton__cards_visit(baton__cards *c, const baton__model_row *r, char *err, size_t errlen) {
  if (strpbrk(r->id, "\t\n") || strlen(r->id) > BATON__CARD_ID_MAX)
    return 0; /* cannot be recorded: never refreshed */
  char want[BATON__CARD_FP_LEN + 1], had[BATON__CARD_FP_LEN + 1], have[BATON__CARD_FP_LEN + 1];
  card_fingerprint(r->description, r->tags, r->license, want);
  bool untouched;
  int row = row_fingerprint(c, r->id, have, &untouched, err, errlen);
  if (row < 0)
    return -1;
  /* the card as seeded: as recorded, or with no cards kept (an older baton's registry), a row
   * the user never touched (one they did keeps its card: the new one is recorded for it) */
  bool as_seeded = c->seen ? recorded(c->seen, r->id, had) && !strcmp(have, had) : untouched;
  if (row == 1 && as_seeded && strcmp(have, want) != 0) {
    if (update_card(c, r, err, errlen))
      return -1;
    c->refreshed++;
  }
  baton__sb_addf(&c->out, "%s\t%s\n", r->id, want);
  return 0;
}
