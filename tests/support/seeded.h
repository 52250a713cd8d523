/* seeded.h — one seeded registry for every test that needs the shipped catalogue's tasks and models. */
#ifndef BATON_TESTS_SEEDED_H
#define BATON_TESTS_SEEDED_H

#include "registry/registry.h"

/*
 * Opens the registry database at path as baton does, with the shipped
 * catalogue (registry/catalogue.yaml). When path does not exist yet it
 * starts as a copy of a database seeded once per build (kept in the build
 * folder, named after the schema version and the catalogue's fingerprint),
 * so a test does not spend a fifth of a second seeding its own. Aborts the
 * test on failure.
 */
baton__registry *bt_registry_seeded(const char *path);
/* bt_registry_seeded() at dir/registry.db. */
baton__registry *bt_registry_seeded_in(const char *dir);

#endif
