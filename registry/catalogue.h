/* catalogue.h — the shipped YAML catalogue (embedded at build time) and its importer. */
#ifndef BATON_REGISTRY_CATALOGUE_H
#define BATON_REGISTRY_CATALOGUE_H

#include <stddef.h>

/* registry/catalogue.yaml compiled into the library by cmake/embed.cmake.
 * Static storage, NUL-terminated (the terminator is not counted in _len). */
extern const unsigned char baton__catalogue_yaml[];
extern const size_t baton__catalogue_yaml_len;

/* Largest catalogue text the importer accepts. */
#define BATON__CATALOGUE_MAX_BYTES (256u * 1024u * 1024u)

struct sqlite3;
struct baton__cards;

/*
 * Parses a catalogue (YAML text yaml/len, borrowed) and inserts its tasks and
 * models into db, which must have the current registry schema; rows that
 * exist already take the catalogue's fields (equal ones are left alone), and
 * a task or model defined twice in the text is an error. The caller owns the
 * transaction: on failure some rows may have been written, so the caller
 * rolls back. A model may name a task defined earlier in the same text or
 * already in the database.
 * Returns 0, or -1 with err set to a message naming the catalogue line
 * ("catalogue line 12: ...") when the text is at fault.
 * Used only inside registry/ (the caller holds the registry lock).
 */
int baton__catalogue_import(struct sqlite3 *db, const char *yaml, size_t len, char *err,
                            size_t errlen);

/* As baton__catalogue_import(), but only the task kinds: each task row takes
 * the catalogue's description, types and keywords; models are not read, so
 * nothing a user imported, edited or disabled changes. */
int baton__catalogue_import_tasks(struct sqlite3 *db, const char *yaml, size_t len, char *err,
                                  size_t errlen);

/* Inserts the catalogue's models that are new to db: not among `seen` (the
 * "\n"-separated ids this returned when the registry was last seeded or
 * refreshed; NULL for a registry of an older baton, which kept none: then only
 * local executors' models count as new) and not in db. A model the user
 * removed is no longer in db but is among `seen`, so it stays removed; one
 * they edited keeps their edits. Every model of the catalogue, new or not, is
 * then handed to baton__cards_visit(cards) (borrowed; NULL: none), which
 * refreshes the card of one the user left alone. *ids: the catalogue's ids
 * to keep for the next call, "\n"-separated with a leading "\n" (malloc'd;
 * NULL on failure). 0, or -1 with err. */
int baton__catalogue_import_new(struct sqlite3 *db, const char *yaml, size_t len,
                                const char *seen, struct baton__cards *cards, char **ids,
                                char *err, size_t errlen);

#endif
