/* sql.c — what every registry connection shares: baton's SQL functions and error, exec and column helpers. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

int baton__db_err(sqlite3 *db, char *err, size_t errlen, const char *what) {
  baton__fmt(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
  return -1;
}

int baton__step_end(sqlite3 *db, int s, char *err, size_t errlen, const char *what) {
  if (s == SQLITE_DONE)
    return 0;
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else
    baton__db_err(db, err, errlen, what);
  return -1;
}

int baton__exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    baton__fmt(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}


char *baton__col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return baton__strdup(s ? (const char *)s : "");
}


static void sql_base(sqlite3_context *c, int argc, sqlite3_value **v) {
  (void)argc;
  const unsigned char *ep = sqlite3_value_text(v[2]);
  sqlite3_result_double(c, baton__base_score(sqlite3_value_int64(v[0]), sqlite3_value_int64(v[1]),
                                             (const char *)ep));
}

/* Appends "<key>x<word> " for each ASCII alphanumeric run of text (words
 * cut at MAX_TERM_LEN, like the query side). */
static void sql_match_text(sqlite3_context *c, int argc, sqlite3_value **v) {
  (void)argc;
  const char *task = (const char *)sqlite3_value_text(v[0]);
  char key[160];
  baton__fmt(key, sizeof key, "%s", task ? task : "");
  size_t k = 0;
  for (const char *t = key; *t; t++)
    if (*t != '-')
      key[k++] = *t;
  key[k] = '\0';
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 1; i < 4; i++)
    baton__glue_words(&sb, key, (const char *)sqlite3_value_text(v[i]));
  if (!baton__sb_ok(&sb)) {
    baton__sb_release(&sb);
    sqlite3_result_error_nomem(c);
    return;
  }
  sqlite3_result_text(c, sb.buf, (int)sb.len, SQLITE_TRANSIENT);
  baton__sb_release(&sb);
}

int baton__sql_functions(sqlite3 *db) {
  int rc = sqlite3_create_function(db, "baton_base", 3,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   sql_base, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "baton_match_text", 4,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 sql_match_text, NULL, NULL);
  return rc;
}

/* Common words that say nothing about which model fits. Sorted. */
