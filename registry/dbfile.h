/* dbfile.h — a database file that is either whole or absent: created aside, refused when empty. */
#ifndef BATON_REGISTRY_DBFILE_H
#define BATON_REGISTRY_DBFILE_H

#include <stddef.h>

/* Makes sure path holds an SQLite database before it is opened: a missing
 * file is created under a temporary name with a valid header and linked
 * into place (so no process ever sees it empty); an existing file of zero
 * bytes is refused (with no write-ahead log holding its pages, it is damage:
 * a truncation, a failed restore, not a fresh start). `what` names the file
 * in messages. 0, or -1 with err naming the file. */
int baton__dbfile_check(const char *path, const char *what, char *err, size_t errlen);

#endif
