/* test_registry.c — the SQLite model registry: schema, seeding, matching, listing, searching. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "support/seeded.h"
#include "support/support.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                  */

static char *g_dir;
static char *g_db;

static void setup(void) {
  g_dir = bt_tmpdir();
  g_db = baton__path_join(g_dir, "sub/registry.db");
}

static void teardown(void) {
  bt_rmtree(g_dir);
  free(g_dir);
  free(g_db);
}

static baton__registry *open_shipped(void) { return bt_registry_seeded(g_db); }

/* Runs a query returning one integer against the database file directly. */
static long long db_int(const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  long long v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static void db_exec(const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* Counts lines of the shipped catalogue that start with prefix. */
static size_t count_lines(const char *prefix) {
  size_t n = 0, plen = strlen(prefix);
  const char *p = (const char *)baton__catalogue_yaml;
  while (p && *p) {
    if (!strncmp(p, prefix, plen))
      n++;
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return n;
}

static bool accept_all(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)ud;
  (void)endpoint;
  (void)why;
  (void)whylen;
  return true;
}

static bool reject_hf(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)ud;
  /* As on a machine with no HF_TOKEN and no LLM configured. */
  if (!strcmp(endpoint, "hf-inference") || !strcmp(endpoint, "llm")) {
    baton__fmt(why, whylen, "no HF_TOKEN or LLM");
    return false;
  }
  return true;
}

static bool only_hf(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)ud;
  if (strcmp(endpoint, "hf-inference") != 0) {
    baton__fmt(why, whylen, "not a Hub model");
    return false;
  }
  return true;
}

static bool reject_all(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)endpoint;
  (*(int *)ud)++;
  baton__fmt(why, whylen, "nothing runs here");
  return false;
}

static void release_all(baton__model *m, size_t n) {
  for (size_t i = 0; i < n; i++)
    baton__model_release(&m[i]);
}

/* ---------------------------------------------------------------------- */
/* Schema and seeding                                                       */

TestSuite(registry_registry, .init = setup, .fini = teardown);

Test(registry_registry, seeding_from_shipped_catalogue_creates_all_tasks_and_local_models) {
  baton__registry *reg = open_shipped();
  size_t n = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n);
  size_t expected = count_lines("  - name: ");
  cr_assert_gt(expected, 20, "catalogue should list the Hugging Face tasks");
  cr_assert_eq(n, expected, "every task of the catalogue is loaded (%zu of %zu)", n, expected);
  cr_assert_str_eq(tasks[0].name, "image-to-text", "tasks keep catalogue order");

  const baton__taskspec *ocr = baton__registry_task(reg, "image-to-text");
  cr_assert_not_null(ocr);
  cr_assert_eq(ocr->inputs, BATON__T_IMAGE);
  cr_assert_eq(ocr->outputs, BATON__T_TEXT);
  cr_assert_not_null(strstr(ocr->keywords, "|text on|"),
                     "keywords are '|'-joined phrases: %s", ocr->keywords);
  const baton__taskspec *vqa = baton__registry_task(reg, "visual-question-answering");
  cr_assert_not_null(vqa);
  cr_assert_eq(vqa->inputs, BATON__T_IMAGE | BATON__T_TEXT);
  cr_assert_null(baton__registry_task(reg, "no-such-task"));

  const char *want[][3] = {{"local/tesseract", "image-to-text", "local:tesseract"},
                           {"local/espeak-ng", "text-to-speech", "local:espeak-ng"},
                           {"local/ots", "summarization", "local:ots"},
                           {"local/apertium", "translation", "local:apertium"}};
  char err[512] = "";
  for (size_t i = 0; i < 4; i++) {
    cJSON *arr = baton__registry_list(reg, want[i][1], 0, err, sizeof err);
    cr_assert_not_null(arr, "%s", err);
    bool found = false;
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
      const char *id = cJSON_GetObjectItem(it, "id")->valuestring;
      if (!strcmp(id, want[i][0])) {
        found = true;
        cr_assert_str_eq(cJSON_GetObjectItem(it, "endpoint")->valuestring, want[i][2]);
        cr_assert_str_eq(cJSON_GetObjectItem(it, "task")->valuestring, want[i][1]);
      }
    }
    cr_assert(found, "%s is seeded under %s", want[i][0], want[i][1]);
    cJSON_Delete(arr);
  }
  baton__registry_close(reg);
  cr_assert_eq(db_int("SELECT count(*) FROM models"), (long long)count_lines("  - id: "));
}

/* The items of a listing whose endpoint is `endpoint`. */
static int of_endpoint(const cJSON *arr, const char *endpoint) {
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const cJSON *ep = cJSON_GetObjectItem(it, "endpoint");
    n += cJSON_IsString(ep) && !strcmp(ep->valuestring, endpoint);
  }
  return n;
}

/* A hidden endpoint's models (the debug executors', while they are off) are left out of list and
 * search, and a search still gives as many others as its limit asks for. */
Test(registry_registry, a_hidden_endpoint_is_left_out_of_list_and_search) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *all = baton__registry_search(reg, "echoes its text", NULL, 0, err, sizeof err);
  cr_assert_not_null(all, "%s", err);
  int debug = of_endpoint(all, "local:debug"), others = cJSON_GetArraySize(all) - debug;
  cr_assert_gt(debug, 0, "the debug models match");
  cr_assert_gt(others, 1, "other models match too");
  cJSON_Delete(all);
  baton__registry_hide_endpoint(reg, "local:debug");
  cJSON *some = baton__registry_search(reg, "echoes its text", NULL, 2, err, sizeof err);
  cr_assert_not_null(some, "%s", err);
  cr_expect_eq(of_endpoint(some, "local:debug"), 0);
  cr_expect_eq(cJSON_GetArraySize(some), 2, "as many as the limit asks for");
  cJSON_Delete(some);
  cJSON *list = baton__registry_list(reg, NULL, 0, err, sizeof err);
  cr_expect_eq(of_endpoint(list, "local:debug"), 0);
  cr_expect_gt(of_endpoint(list, "local:tesseract"), 0);
  cJSON_Delete(list);
  baton__registry_hide_endpoint(reg, NULL);
  list = baton__registry_list(reg, NULL, 0, err, sizeof err);
  cr_expect_eq(of_endpoint(list, "local:debug"), 6);
  cJSON_Delete(list);
  baton__registry_close(reg);
}

/* A cue listed twice in one task kind weighs no more (planner/offline/cues.c): the shipped
 * catalogue lists each once, so that an edit finds it in one place. */
Test(registry_registry, each_task_kind_of_the_catalogue_lists_a_keyword_once) {
  baton__registry *reg = open_shipped();
  size_t n = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n);
  for (size_t t = 0; t < n; t++) {
    const char *kw = tasks[t].keywords ? tasks[t].keywords : "";
    size_t len = strlen(kw) + 3;
    char *all = malloc(len), *one = malloc(len);
    cr_assert(all && one);
    baton__fmt(all, len, "|%s|", kw);
    for (const char *k = all + 1; *k; k += strcspn(k, "|") + 1) {
      baton__fmt(one, len, "|%.*s|", (int)strcspn(k, "|"), k);
      const char *first = strstr(all, one);
      cr_assert(first && !strstr(first + 1, one), "%s lists %s twice", tasks[t].name, one);
    }
    free(all), free(one);
  }
  baton__registry_close(reg);
}

Test(registry_registry, reopening_refreshes_task_kinds_and_adds_only_new_models) {
  baton__registry *reg = open_shipped();
  baton__registry_close(reg);
  long long models = db_int("SELECT count(*) FROM models");
  long long tasks = db_int("SELECT count(*) FROM tasks");
  db_exec("UPDATE models SET likes = 4242 WHERE id = 'gpt2'");

  /* Reopening with the same catalogue adds, replaces or duplicates nothing. */
  reg = open_shipped();
  baton__registry_close(reg);
  cr_assert_eq(db_int("SELECT count(*) FROM models"), models);
  cr_assert_eq(db_int("SELECT count(*) FROM tasks"), tasks);
  cr_assert_eq(db_int("SELECT likes FROM models WHERE id = 'gpt2'"), 4242);

  /* Another catalogue (a newer baton's) brings its task kinds and the models
   * new in it; the user's edit stays, and a model they removed stays gone. */
  char err[512] = "";
  reg = open_shipped();
  cr_assert_eq(baton__registry_remove(reg, "local/passage", err, sizeof err), 0, "%s", err);
  baton__registry_close(reg);
  const char *other =
      "tasks:\n  - {name: smelling, description: x, inputs: [text], outputs: [text]}\n"
      "models:\n  - {id: nose/one, task: smelling, endpoint: hf-inference}\n"
      "  - {id: local/passage, task: question-answering, endpoint: local:passage}\n";
  cr_assert_eq(baton__registry_open(g_db, other, strlen(other), &reg, err, sizeof err), 0, "%s",
               err);
  cr_assert_not_null(baton__registry_task(reg, "smelling"));
  baton__registry_close(reg);

  cr_assert_eq(db_int("SELECT count(*) FROM models"), models);
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'nose/one'"), 1);
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'local/passage'"), 0);
  cr_assert_eq(db_int("SELECT count(*) FROM tasks"), tasks + 1);
  cr_assert_eq(db_int("SELECT likes FROM models WHERE id = 'gpt2'"), 4242);
  /* Reopening with it again adds nothing more. */
  cr_assert_eq(baton__registry_open(g_db, other, strlen(other), &reg, err, sizeof err), 0, "%s",
               err);
  baton__registry_close(reg);
  cr_assert_eq(db_int("SELECT count(*) FROM models"), models);
  cr_assert_eq(db_int("SELECT count(*) FROM models_mfts WHERE models_mfts MATCH '\"imagetotextxtesseract\"'"), 1);
}

/* Catalogues of one task and two models, as successive batons might ship them. */
#define CARD_TASK                                                                          \
  "tasks:\n  - {name: smelling, description: Tells smells, inputs: [text], outputs: [text]}\n" \
  "models:\n"
static const char card_cat_a[] =
    CARD_TASK "  - {id: m/one, task: smelling, endpoint: hf-inference,"
              " description: Sniffs roses, tags: [flowers]}\n"
              "  - {id: m/two, task: smelling, endpoint: hf-inference,"
              " description: Sniffs cheese}\n";
static const char card_cat_b[] =
    CARD_TASK "  - {id: m/one, task: smelling, endpoint: hf-inference,"
              " description: Sniffs tulips and petrichor, tags: [flowers, rain], license: mit}\n"
              "  - {id: m/two, task: smelling, endpoint: hf-inference,"
              " description: Sniffs cheese and wine}\n";
static const char card_cat_c[] =
    CARD_TASK "  - {id: m/one, task: smelling, endpoint: hf-inference,"
              " description: Sniffs lilacs, tags: [flowers], license: mit}\n"
              "  - {id: m/two, task: smelling, endpoint: hf-inference,"
              " description: Sniffs cheese and wine}\n";

static baton__registry *open_catalogue(const char *yaml) {
  baton__registry *reg = NULL;
  char err[512] = "";
  cr_assert_eq(baton__registry_open(g_db, yaml, strlen(yaml), &reg, err, sizeof err), 0, "%s",
               err);
  return reg;
}

/* Opens the registry with catalogue yaml and closes it again. */
static void reopen_with(const char *yaml) { baton__registry_close(open_catalogue(yaml)); }

/* Edits a model through the registry, as `baton models add` does. */
static void edit_model(const char *yaml, const char *json) {
  baton__registry *reg = open_catalogue(yaml);
  char err[512] = "";
  cJSON *o = cJSON_Parse(json);
  cr_assert_not_null(o);
  cr_assert_eq(baton__registry_add(reg, o, NULL, err, sizeof err), 0, "%s", err);
  cJSON_Delete(o);
  baton__registry_close(reg);
}

/* Whether model id's description, tags and license (NULL as "") are these. */
static bool card_is(const char *id, const char *desc, const char *tags, const char *license) {
  char q[512];
  baton__fmt(q, sizeof q,
             "SELECT count(*) FROM models WHERE id = '%s' AND description = '%s'"
             " AND tags = '%s' AND coalesce(license, '') = '%s'",
             id, desc, tags, license);
  return db_int(q) == 1;
}

/* The id of the first model a search for word finds, or "" (a static buffer). */
static const char *first_found(const char *yaml, const char *word) {
  static char id[64];
  baton__registry *reg = open_catalogue(yaml);
  char err[512] = "";
  cJSON *r = baton__registry_search(reg, word, NULL, 0, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cJSON *first = cJSON_GetArrayItem(r, 0);
  baton__fmt(id, sizeof id, "%s", first ? cJSON_GetObjectItem(first, "id")->valuestring : "");
  cJSON_Delete(r);
  baton__registry_close(reg);
  return id;
}

Test(registry_registry, newer_catalogue_refreshes_cards_the_user_left_alone) {
  reopen_with(card_cat_a);
  edit_model(card_cat_a, "{\"id\": \"m/two\", \"description\": \"Finds gouda\"}");
  reopen_with(card_cat_b);
  cr_assert(card_is("m/one", "Sniffs tulips and petrichor", "flowers,rain", "mit"),
            "the untouched model takes the new catalogue's card");
  cr_assert(card_is("m/two", "Finds gouda", "", ""), "the user's edit stays");
  cr_assert_str_eq(first_found(card_cat_b, "petrichor"), "m/one");
  cr_assert_str_eq(first_found(card_cat_b, "roses"), "", "the old text is out of the index");
  cr_assert_str_eq(first_found(card_cat_b, "gouda"), "m/two");
  /* A later catalogue refreshes m/one again and still leaves m/two alone. */
  reopen_with(card_cat_c);
  cr_assert(card_is("m/one", "Sniffs lilacs", "flowers", "mit"));
  cr_assert(card_is("m/two", "Finds gouda", "", ""));
}

Test(registry_registry, registry_without_recorded_cards_refreshes_the_rows_never_touched) {
  reopen_with(card_cat_a);
  edit_model(card_cat_a, "{\"id\": \"m/two\", \"description\": \"Finds gouda\"}");
  /* As a registry seeded before baton recorded the catalogue's cards: a row the user never
   * touched takes the new card, one they edited keeps theirs, now and later */
  db_exec("DELETE FROM meta WHERE key = 'catalogue_cards'");
  reopen_with(card_cat_b);
  cr_assert(card_is("m/one", "Sniffs tulips and petrichor", "flowers,rain", "mit"));
  cr_assert(card_is("m/two", "Finds gouda", "", ""));
  cr_assert_eq(db_int("SELECT count(*) FROM meta WHERE key = 'catalogue_cards'"), 1);
  reopen_with(card_cat_c);
  cr_assert(card_is("m/one", "Sniffs lilacs", "flowers", "mit"));
  cr_assert(card_is("m/two", "Finds gouda", "", ""));
  cr_assert_str_eq(first_found(card_cat_c, "lilacs"), "m/one");
}

Test(registry_registry, disabled_catalogue_model_takes_the_new_card_and_stays_disabled) {
  reopen_with(card_cat_a);
  edit_model(card_cat_a, "{\"id\": \"m/one\", \"enabled\": false}");
  reopen_with(card_cat_b);
  cr_assert(card_is("m/one", "Sniffs tulips and petrichor", "flowers,rain", "mit"));
  cr_assert_eq(db_int("SELECT enabled FROM models WHERE id = 'm/one'"), 0);
  cr_assert_eq(db_int("SELECT endpoint = 'hf-inference' FROM models WHERE id = 'm/one'"), 1);
}

Test(registry_registry, schema_version_and_wal_mode_are_recorded) {
  baton__registry *reg = open_shipped();
  baton__registry_close(reg);
  cr_assert_eq(db_int("PRAGMA user_version"), BATON__REGISTRY_SCHEMA);
  cr_assert_eq(db_int("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  cr_assert_eq(db_int("SELECT count(*) FROM sqlite_master WHERE name = 'health'"), 1);
}

Test(registry_registry, database_with_newer_schema_is_refused_clearly) {
  baton__registry *reg = open_shipped();
  baton__registry_close(reg);
  db_exec("PRAGMA user_version = 99");
  reg = NULL;
  char err[512] = "";
  int rc = baton__registry_open(g_db, (const char *)baton__catalogue_yaml,
                                baton__catalogue_yaml_len, &reg, err, sizeof err);
  cr_assert_eq(rc, -1);
  cr_assert_null(reg);
  cr_assert_not_null(strstr(err, "schema version 99"), "message: %s", err);
  cr_assert_not_null(strstr(err, "newer"), "message: %s", err);
  cr_assert_eq(db_int("PRAGMA user_version"), 99, "the database is left alone");
}

Test(registry_registry, file_that_is_not_a_database_is_refused) {
  baton__mkdirs(g_dir, 0700);
  char *sub = baton__path_join(g_dir, "sub");
  baton__mkdirs(sub, 0700);
  free(sub);
  bt_write(g_db, "this is not an SQLite database, just some text that is long enough....\n"
                 "................................................................\n");
  baton__registry *reg = NULL;
  char err[512] = "";
  cr_assert_eq(baton__registry_open(g_db, (const char *)baton__catalogue_yaml,
                                    baton__catalogue_yaml_len, &reg, err, sizeof err),
               -1);
  cr_assert_null(reg);
  cr_assert_not_null(strstr(err, "registry"), "message: %s", err);
}

/* Opens with a catalogue that must fail; checks the message names the line
 * and that nothing was inserted. */
static void expect_bad_catalogue(const char *yaml, const char *line, const char *also) {
  baton__registry *reg = NULL;
  char err[512] = "";
  int rc = baton__registry_open(g_db, yaml, strlen(yaml), &reg, err, sizeof err);
  cr_assert_eq(rc, -1, "a bad catalogue must fail");
  cr_assert_null(reg);
  cr_assert_not_null(strstr(err, line), "message should name %s: %s", line, err);
  if (also)
    cr_assert_not_null(strstr(err, also), "message should mention %s: %s", also, err);
  cr_assert_eq(db_int("SELECT count(*) FROM tasks"), 0, "no task half-inserted");
  cr_assert_eq(db_int("SELECT count(*) FROM models"), 0, "no model half-inserted");
}

Test(registry_registry, yaml_syntax_error_names_the_line_and_inserts_nothing) {
  expect_bad_catalogue("version: 1\n"
                       "tasks:\n"
                       "  - name: a\n"
                       "    description: bad: colon\n"
                       "    inputs: [text]\n",
                       "line 4", "YAML");
}

Test(registry_registry, model_with_unknown_task_names_the_line_and_inserts_nothing) {
  expect_bad_catalogue("version: 1\n"
                       "tasks:\n"
                       "  - {name: alpha, description: First, inputs: [text], outputs: [text]}\n"
                       "  - {name: beta, description: Second, inputs: [image], outputs: [text]}\n"
                       "models:\n"
                       "  - {id: good/one, task: alpha, endpoint: hf-inference}\n"
                       "  - id: bad/two\n"
                       "    task: no-such-task\n"
                       "    endpoint: hf-inference\n",
                       "line 8", "no-such-task");
}

Test(registry_registry, task_with_unknown_type_names_the_line_and_inserts_nothing) {
  expect_bad_catalogue("tasks:\n"
                       "  - name: alpha\n"
                       "    description: First\n"
                       "    inputs: [text]\n"
                       "    outputs: [text]\n"
                       "  - name: beta\n"
                       "    description: Second\n"
                       "    inputs: [text, smell]\n"
                       "    outputs: [text]\n",
                       "line 8", "smell");
}

Test(registry_registry, duplicate_model_id_is_an_error) {
  expect_bad_catalogue("tasks:\n"
                       "  - {name: alpha, description: First, inputs: [text], outputs: [text]}\n"
                       "models:\n"
                       "  - {id: m/one, task: alpha, endpoint: hf-inference}\n"
                       "  - {id: m/one, task: alpha, endpoint: local:x}\n",
                       "line 5", "twice");
}

/* ---------------------------------------------------------------------- */
/* Matching                                                                 */

Test(registry_registry, match_ranks_table_detector_first_for_scanned_documents) {
  baton__registry *reg = open_shipped();
  baton__model m[5];
  size_t n = 0;
  char err[512] = "";
  int rc = baton__registry_match(reg, "object-detection", "detect tables in scanned documents",
                                 accept_all, NULL, m, 5, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_geq(n, 2);
  cr_assert_str_eq(m[0].id, "microsoft/table-transformer-detection");
  cr_assert_gt(m[0].relevance, m[1].relevance);
  cr_assert_geq(m[0].score, m[1].score);
  for (size_t i = 0; i < n; i++)
    cr_assert_str_eq(m[i].task, "object-detection");
  release_all(m, n);

  /* A general photo request goes to a general detector instead. */
  rc = baton__registry_match(reg, "object-detection", "find the cars and people in the photo",
                             accept_all, NULL, m, 5, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_neq(strcmp(m[0].id, "microsoft/table-transformer-detection"), 0);
  release_all(m, n);
  baton__registry_close(reg);
}

Test(registry_registry, match_ranks_english_to_spanish_model_first) {
  baton__registry *reg = open_shipped();
  baton__model m[10];
  size_t n = 0;
  char err[512] = "";
  int rc = baton__registry_match(reg, "translation", "translate English text into Spanish",
                                 accept_all, NULL, m, 10, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_geq(n, 3);
  size_t first_hf = n;
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(m[i].endpoint, "hf-inference")) {
      first_hf = i;
      break;
    }
  }
  cr_assert_lt(first_hf, n);
  cr_assert_str_eq(m[first_hf].id, "Helsinki-NLP/opus-mt-en-es");
  cr_assert_gt(m[first_hf].relevance, 0.0);
  cr_assert_gt(m[first_hf].popularity, 0.0);
  for (size_t i = 1; i < n; i++)
    cr_assert_geq(m[i - 1].score, m[i].score, "best first");
  release_all(m, n);

  /* French instead: the English-to-French model wins among hf models. */
  rc = baton__registry_match(reg, "translation", "translate this into French", only_hf, NULL, m,
                             10, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_geq(n, 1);
  cr_assert_str_eq(m[0].id, "Helsinki-NLP/opus-mt-en-fr");
  release_all(m, n);
  baton__registry_close(reg);
}

Test(registry_registry, endpoint_callback_excludes_models_that_cannot_run) {
  baton__registry *reg = open_shipped();
  baton__model m[10];
  size_t n = 0;
  char err[512] = "";
  int rc = baton__registry_match(reg, "translation", "translate English text into Spanish",
                                 reject_hf, NULL, m, 10, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(n, 1, "only the local translator remains");
  cr_assert_str_eq(m[0].id, "local/apertium");
  cr_assert_str_eq(m[0].endpoint, "local:apertium");
  release_all(m, n);

  rc = baton__registry_match(reg, "image-to-text", "read the text on the sign", reject_hf, NULL,
                             m, 10, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(m[0].id, "local/tesseract");
  release_all(m, n);

  /* A task with only Hub models and everything rejected: no result, no error. */
  int calls = 0;
  n = 99;
  rc = baton__registry_match(reg, "object-detection", "detect cars", reject_all, &calls, m, 10, &n,
                             err, sizeof err);
  cr_assert_eq(rc, 0, "rejecting every endpoint is not an error: %s", err);
  cr_assert_eq(n, 0);
  cr_assert_geq(calls, 2, "the callback was asked about each candidate");
  baton__registry_close(reg);
}

/* Offline, text-classification has two local models: a step that asks about sentiment goes to
 * local/sentiment and one that asks about language to local/textcat, by the words of their
 * descriptions and tags; the other stays as the fallback. */
Test(registry_registry, sentiment_steps_go_to_the_sentiment_model_and_language_steps_to_textcat) {
  baton__registry *reg = open_shipped();
  static const struct {
    const char *text, *want, *fallback;
  } cases[] = {
      {"is this review positive?", "local/sentiment", "local/textcat"},
      {"what is the sentiment of notes.txt", "local/sentiment", "local/textcat"},
      {"I love it which is more positive, 'I love it' or 'it is fine'?", "local/sentiment",
       "local/textcat"},
      {"does it sound angry", "local/sentiment", "local/textcat"},
      {"How does the author of notes.txt feel?", "local/sentiment", "local/textcat"},
      {"what language is notes.txt in?", "local/textcat", "local/sentiment"},
      {"detect the language of notes.txt", "local/textcat", "local/sentiment"},
      {"Guten Morgen What language is this: 'Guten Morgen'", "local/textcat", "local/sentiment"},
      {"Is notes.txt written in French?", "local/textcat", "local/sentiment"},
      {"Is it in English?", "local/textcat", "local/sentiment"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    baton__model m[5];
    size_t n = 0;
    char err[512] = "";
    cr_assert_eq(baton__registry_match(reg, "text-classification", cases[i].text, reject_hf,
                                       NULL, m, 5, &n, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(n, 2, "'%s': %zu models", cases[i].text, n);
    cr_assert_str_eq(m[0].id, cases[i].want, "'%s' went to %s", cases[i].text, m[0].id);
    cr_assert_str_eq(m[1].id, cases[i].fallback);
    cr_assert_gt(m[0].relevance, m[1].relevance, "'%s'", cases[i].text);
    release_all(m, n);
  }
  baton__registry_close(reg);
}

/* Whether a step reads a picture's words or describes it decides the mode and which models may
 * do it: reading never goes to a captioner, describing never to OCR. */
Test(registry_registry, reading_steps_skip_captioners_and_describing_steps_skip_ocr) {
  static const struct {
    const char *text, *mode;
  } cases[] = {
      {"OCR sign.png", "read"},
      {"read the text in sign.png", "read"},
      {"What does sign.png say?", "read"},
      {"Translate street.png into French", "read"},
      {"Summarize the writing on poster.png", "read"},
      {"caption photo.jpg", "describe"},
      {"describe photo.jpg and read the description aloud", "describe"},
      {"What is in photo.jpg?", "describe"},
      {"tell me about photo.jpg", "describe"},
      {"tell me about photo.png and translate it into French", "describe"},
      {"look at text.png and ready.jpg", NULL},
      {"run image-to-text on photo.jpg", NULL},
      {"already scanned-in notes", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = baton__capability_mode("image-to-text", cases[i].text);
    cr_assert(cases[i].mode ? got && !strcmp(got, cases[i].mode) : !got, "'%s': mode %s",
              cases[i].text, got ? got : "(none)");
  }
  cr_assert_null(baton__capability_mode("summarization", "read notes.txt"));
  baton__registry *reg = open_shipped();
  static const struct {
    const char *text, *kept, *dropped;
  } steps[] = {
      {"What does sign.png say?", "local/tesseract", "nlpconnect/vit-gpt2-image-captioning"},
      {"describe photo.jpg", "nlpconnect/vit-gpt2-image-captioning", "local/tesseract"},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    baton__model m[5];
    size_t n = 0;
    char err[512] = "";
    cr_assert_eq(baton__registry_match(reg, "image-to-text", steps[i].text, NULL, NULL, m, 5, &n,
                                       err, sizeof err),
                 0, "%s", err);
    bool kept = false, dropped = false;
    for (size_t k = 0; k < n; k++) {
      kept |= !strcmp(m[k].id, steps[i].kept);
      dropped |= !strcmp(m[k].id, steps[i].dropped);
    }
    cr_assert(kept && !dropped, "'%s': %zu models, %s kept %d, %s dropped %d", steps[i].text, n,
              steps[i].kept, kept, steps[i].dropped, !dropped);
    release_all(m, n);
  }
  cr_assert_str_eq(baton__capability_needed("image-to-text", "OCR sign.png"),
                   "a model that reads text (a captioner only describes the picture)");
  baton__registry_close(reg);
}

/* A step asking for subtitles asks speech recognition for them, and only a model that times its
 * words (tagged "subtitles": PocketSphinx) may do it; a plain transcript may go to any. */
Test(registry_registry, subtitle_steps_ask_for_them_and_keep_only_models_that_time_words) {
  static const struct {
    const char *text, *mode;
  } cases[] = {
      {"make subtitles for talk.wav", "subtitles"},
      {"transcribe talk.wav with timestamps", "subtitles"},
      {"save the transcript as talk.srt", "subtitles"},
      {"write WebVTT captions for talk.wav", "webvtt"},
      {"transcribe talk.wav", NULL},
      {"what does subtitles.wav say?", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = baton__capability_mode("automatic-speech-recognition", cases[i].text);
    cr_assert(cases[i].mode ? got && !strcmp(got, cases[i].mode) : !got, "'%s': mode %s",
              cases[i].text, got ? got : "(none)");
  }
  baton__registry *reg = open_shipped();
  for (int subs = 0; subs < 2; subs++) {
    const char *text = subs ? "make subtitles for talk.wav" : "transcribe talk.wav";
    baton__model m[5];
    size_t n = 0;
    char err[512] = "";
    cr_assert_eq(baton__registry_match(reg, "automatic-speech-recognition", text, NULL, NULL, m,
                                       5, &n, err, sizeof err),
                 0, "%s", err);
    bool local = false, whisper = false;
    for (size_t k = 0; k < n; k++) {
      local |= !strcmp(m[k].id, "local/pocketsphinx");
      whisper |= !strcmp(m[k].id, "openai/whisper-large-v3");
    }
    cr_assert(local && whisper != subs, "'%s': %zu models, pocketsphinx %d, whisper %d", text, n,
              local, whisper);
    release_all(m, n);
  }
  baton__registry_close(reg);
}

/* A translation of subtitles goes cue by cue (mode "subtitles") on any translation model. */
Test(registry_registry, translating_subtitles_asks_for_them_of_any_model) {
  cr_assert_str_eq(baton__capability_mode("translation", "make Spanish subtitles for talk.wav"),
                   "subtitles");
  cr_assert_str_eq(baton__capability_mode("translation", "translate talk.vtt into French"),
                   "subtitles");
  cr_assert_null(baton__capability_mode("translation", "translate notes.txt into French"));
  cr_assert_null(baton__capability_needed("translation", "Spanish subtitles"));
  baton__registry *reg = open_shipped();
  baton__model m[8];
  size_t n = 0, all = 0;
  char err[512] = "";
  cr_assert_eq(baton__registry_match(reg, "translation", "translate it", NULL, NULL, m, 8, &all,
                                     err, sizeof err), 0, "%s", err);
  release_all(m, all);
  cr_assert_eq(baton__registry_match(reg, "translation", "Spanish subtitles", NULL, NULL, m, 8,
                                     &n, err, sizeof err), 0, "%s", err);
  release_all(m, n);
  cr_assert(n == all && n > 1, "%zu of %zu translation models", n, all);
  baton__registry_close(reg);
}

Test(registry_registry, match_returns_at_most_max_and_ranks_without_text) {
  baton__registry *reg = open_shipped();
  baton__model m[2];
  size_t n = 0;
  char err[512] = "";
  int rc = baton__registry_match(reg, "translation", "translate to German", NULL, NULL, m, 2, &n,
                                 err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(n, 2);
  release_all(m, n);

  /* No text (or only common words): popularity alone decides. */
  baton__model all[10];
  rc = baton__registry_match(reg, "summarization", NULL, only_hf, NULL, all, 10, &n, err,
                             sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_geq(n, 2);
  cr_assert_str_eq(all[0].id, "facebook/bart-large-cnn", "the most popular summariser first");
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(all[i].relevance, 0.0);
  release_all(all, n);
  rc = baton__registry_match(reg, "summarization", "the and of it", only_hf, NULL, all, 10, &n,
                             err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_str_eq(all[0].id, "facebook/bart-large-cnn");
  release_all(all, n);

  /* Unknown task: nothing, not an error. */
  rc = baton__registry_match(reg, "no-such-task", "anything", NULL, NULL, m, 2, &n, err,
                             sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(n, 0);
  baton__registry_close(reg);
}

Test(registry_registry, disabled_models_are_not_matched) {
  baton__registry *reg = open_shipped();
  baton__registry_close(reg);
  db_exec("UPDATE models SET enabled = 0 WHERE id = 'microsoft/table-transformer-detection'");
  reg = open_shipped();
  baton__model m[10];
  size_t n = 0;
  char err[512] = "";
  int rc = baton__registry_match(reg, "object-detection", "detect tables in scanned documents",
                                 NULL, NULL, m, 10, &n, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_geq(n, 1);
  for (size_t i = 0; i < n; i++)
    cr_assert_neq(strcmp(m[i].id, "microsoft/table-transformer-detection"), 0);
  release_all(m, n);
  baton__registry_close(reg);
}

Test(registry_registry, hostile_text_never_breaks_the_full_text_query) {
  baton__registry *reg = open_shipped();
  const char *hostile[] = {
      "\"unbalanced quote",
      "detect (tables AND NOT) OR NEAR(a b, 3) * - ^",
      "id:gpt2 OR description:* \"\" ''",
      "-tables +scanned {id description}: NEAR/2",
      "\xc3\xa9t\xc3\xa9 \xe2\x80\x9c" "documento\xe2\x80\x9d espa\xc3\xb1ol",
      "*",
      "",
  };
  char err[512] = "";
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    baton__model m[5];
    size_t n = 0;
    int rc = baton__registry_match(reg, "object-detection", hostile[i], NULL, NULL, m, 5, &n, err,
                                   sizeof err);
    cr_assert_eq(rc, 0, "match on <%s> failed: %s", hostile[i], err);
    cr_assert_gt(n, 0, "models are still returned for <%s>", hostile[i]);
    release_all(m, n);
  }
  cJSON *r = baton__registry_search(reg, hostile[1], NULL, 0, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_gt(cJSON_GetArraySize(r), 0, "the plain words (detect, tables) still match");
  cJSON_Delete(r);
  /* A very long text is cut to its first words rather than failing. */
  baton__sb big;
  baton__sb_init(&big);
  for (int i = 0; i < 2000; i++)
    baton__sb_addf(&big, "word%d \"(", i);
  baton__sb_adds(&big, "tables");
  baton__model m[5];
  size_t n = 0;
  cr_assert_eq(baton__registry_match(reg, "object-detection", big.buf, NULL, NULL, m, 5, &n, err,
                                     sizeof err),
               0, "%s", err);
  release_all(m, n);
  baton__sb_release(&big);
  baton__registry_close(reg);
}

Test(registry_registry, endpoint_of_a_model_is_looked_up_by_id) {
  baton__registry *reg = open_shipped();
  char ep[64];
  cr_assert_eq(baton__registry_endpoint(reg, "local/ots", ep, sizeof ep), 0);
  cr_assert_str_eq(ep, "local:ots");
  cr_assert_eq(baton__registry_endpoint(reg, "facebook/bart-large-cnn", ep, sizeof ep), 0);
  cr_assert_str_eq(ep, "hf-inference");
  cr_assert_eq(baton__registry_endpoint(reg, "nobody/nothing", ep, sizeof ep), -1);
  cr_assert_str_eq(ep, "");
  char tiny[4];
  cr_assert_eq(baton__registry_endpoint(reg, "local/ots", tiny, sizeof tiny), -1,
               "an endpoint that does not fit is refused, not cut");
  baton__registry_close(reg);
  db_exec("UPDATE models SET enabled = 0 WHERE id = 'local/ots'");
  reg = open_shipped();
  cr_assert_eq(baton__registry_endpoint(reg, "local/ots", ep, sizeof ep), -1,
               "a disabled model has no endpoint");
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Listing and searching                                                    */

Test(registry_registry, list_filters_by_task_and_honours_limit) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *all = baton__registry_list(reg, NULL, 0, err, sizeof err);
  cr_assert_not_null(all, "%s", err);
  cr_assert_eq((size_t)cJSON_GetArraySize(all), count_lines("  - id: "));
  cJSON_Delete(all);

  cJSON *tr = baton__registry_list(reg, "translation", 0, err, sizeof err);
  cr_assert_not_null(tr, "%s", err);
  int ntr = cJSON_GetArraySize(tr);
  cr_assert_geq(ntr, 3);
  cJSON *it;
  cJSON_ArrayForEach(it, tr) {
    cr_assert_str_eq(cJSON_GetObjectItem(it, "task")->valuestring, "translation");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(it, "downloads")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(it, "likes")));
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(it, "description")));
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(it, "endpoint")));
  }
  cJSON_Delete(tr);

  cJSON *two = baton__registry_list(reg, "translation", 2, err, sizeof err);
  cr_assert_not_null(two, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(two), 2);
  cJSON_Delete(two);

  cJSON *none = baton__registry_list(reg, "no-such-task", 0, err, sizeof err);
  cr_assert_not_null(none, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(none), 0);
  cJSON_Delete(none);
  baton__registry_close(reg);
}

Test(registry_registry, search_ranks_and_returns_score_parts) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *r = baton__registry_search(reg, "tables in scanned documents", NULL, 3, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_geq(cJSON_GetArraySize(r), 1);
  cr_assert_leq(cJSON_GetArraySize(r), 3);
  cJSON *first = cJSON_GetArrayItem(r, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(first, "id")->valuestring,
                   "microsoft/table-transformer-detection");
  double prev = 1e9;
  cJSON *it;
  cJSON_ArrayForEach(it, r) {
    cJSON *score = cJSON_GetObjectItem(it, "score");
    cJSON *rel = cJSON_GetObjectItem(it, "relevance");
    cJSON *pop = cJSON_GetObjectItem(it, "popularity");
    cr_assert(cJSON_IsNumber(score) && cJSON_IsNumber(rel) && cJSON_IsNumber(pop));
    cr_assert_gt(rel->valuedouble, 0.0, "search results all match the text");
    cr_assert_leq(rel->valuedouble, 1.0, "relevance is at most 1 (the best match)");
    cr_assert_geq(score->valuedouble, rel->valuedouble + pop->valuedouble - 1e-9);
    cr_assert_leq(score->valuedouble, prev, "best first");
    prev = score->valuedouble;
  }
  cJSON_Delete(r);

  /* With a task filter only that task's models come back. */
  r = baton__registry_search(reg, "spanish", "translation", 0, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_geq(cJSON_GetArraySize(r), 2, "apertium and opus-mt-en-es");
  cJSON_ArrayForEach(it, r)
      cr_assert_str_eq(cJSON_GetObjectItem(it, "task")->valuestring, "translation");
  cJSON_Delete(r);

  /* The local bonus shows in the score of a local model. */
  r = baton__registry_search(reg, "tesseract", NULL, 0, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(r), 1);
  first = cJSON_GetArrayItem(r, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(first, "id")->valuestring, "local/tesseract");
  cr_assert_gt(cJSON_GetObjectItem(first, "score")->valuedouble,
               cJSON_GetObjectItem(first, "relevance")->valuedouble +
                   cJSON_GetObjectItem(first, "popularity")->valuedouble);
  cJSON_Delete(r);
  baton__registry_close(reg);
}

Test(registry_registry, a_model_that_never_failed_has_health_0_not_minus_0) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cr_assert_eq(baton__registry_health_record(reg, "local/tesseract", true, 10, NULL), 0);
  cJSON *r = baton__registry_search(reg, "tesseract", NULL, 0, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  char *text = cJSON_PrintUnformatted(r);
  cr_expect(strstr(text, "\"health\":0,"), "%s", text);
  cr_expect(!strstr(text, "-0,") && !strstr(text, "-0}"), "negative zero in: %s", text);
  cJSON_free(text);
  cJSON_Delete(r);
  baton__registry_close(reg);
}

/* ok() of a machine without HF_TOKEN: local executors run, Hugging Face does not. */
static bool local_only(void *ud, const char *endpoint, char *why, size_t cap) {
  (void)ud;
  if (!strncmp(endpoint, "local:", 6))
    return true;
  snprintf(why, cap, "set HF_TOKEN to use Hugging Face models");
  return false;
}

static const char *item_id(const cJSON *arr, int i) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), "id"));
}

/* A search by someone who can run only the local models ranks them first at equal relevance,
 * however popular the others ("ocr": tesseract above donut; "speech": pocketsphinx and espeak
 * above whisper, though more popular models than the limit match too), and says which cannot
 * run and why. */
Test(registry_registry, a_search_ranks_the_models_that_can_run_here_first) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *plain = baton__registry_search(reg, "ocr", NULL, 5, err, sizeof err);
  cr_assert_not_null(plain, "%s", err);
  cr_assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(plain, 0), "available"));
  cJSON_Delete(plain);
  cJSON *r = baton__registry_search_here(reg, "ocr", NULL, 5, local_only, NULL, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_str_eq(item_id(r, 0), "local/tesseract");
  const cJSON *first = cJSON_GetArrayItem(r, 0), *second = cJSON_GetArrayItem(r, 1);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "available")));
  cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "runnable_bonus")),
               BATON__RUNNABLE_BONUS);
  cr_assert_str_eq(item_id(r, 1), "naver-clova-ix/donut-base-finetuned-docvqa");
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(second, "available")));
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(second, "reason")),
                   "set HF_TOKEN to use Hugging Face models");
  cJSON_Delete(r);
  r = baton__registry_search_here(reg, "speech", NULL, 2, local_only, NULL, err, sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(r), 2);
  for (int i = 0; i < 2; i++)
    cr_expect(!strncmp(item_id(r, i), "local/", 6), "%d: %s", i, item_id(r, i));
  cJSON_Delete(r);
  baton__registry_close(reg);
}

/* ok() of a machine with HF_TOKEN: every endpoint runs. */
static bool all_run(void *ud, const char *endpoint, char *why, size_t cap) {
  (void)ud, (void)endpoint, (void)why, (void)cap;
  return true;
}

static double item_num(const cJSON *arr, int i, const char *key) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), key));
}

/* Of the models whose text names the word, those whose task kind names it too rank above the
 * more popular ones that only mention it, whatever can run: "ocr" finds tesseract
 * (image-to-text, whose keywords say OCR) and donut (document QA, "no separate OCR step");
 * "translate" ranks every translation model above flan-t5 (text2text-generation). */
Test(registry_registry, a_search_ranks_the_models_of_the_words_task_kind_first) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  baton__endpoint_ok_fn oks[] = {NULL, local_only, all_run};
  for (size_t k = 0; k < sizeof oks / sizeof *oks; k++) {
    cJSON *r = baton__registry_search_here(reg, "ocr", NULL, 5, oks[k], NULL, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(cJSON_GetArraySize(r), 2);
    cr_assert_str_eq(item_id(r, 0), "local/tesseract", "ok %zu", k);
    cr_assert_eq(item_num(r, 0, "kind_bonus"), BATON__KIND_WEIGHT);
    cr_assert_str_eq(item_id(r, 1), "naver-clova-ix/donut-base-finetuned-docvqa");
    cr_assert_eq(item_num(r, 1, "kind_bonus"), 0.0);
    cr_assert_gt(item_num(r, 1, "popularity"), item_num(r, 0, "popularity"));
    cJSON_Delete(r);
    r = baton__registry_search_here(reg, "translate", NULL, 0, oks[k], NULL, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    bool other = false; /* met a model of another task kind */
    for (int i = 0; i < cJSON_GetArraySize(r); i++) {
      const cJSON *task = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r, i), "task");
      bool translation = !strcmp(cJSON_GetStringValue(task), "translation");
      cr_assert(!(other && translation), "ok %zu: %s after another kind", k, item_id(r, i));
      other = other || !translation;
    }
    cr_assert(other, "translate also finds a model of another kind");
    cJSON_Delete(r);
  }
  baton__registry_close(reg);
}

Test(registry_registry, search_without_text_is_an_error) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cr_assert_null(baton__registry_search(reg, NULL, NULL, 0, err, sizeof err));
  cr_assert_neq(err[0], '\0');
  err[0] = '\0';
  cr_assert_null(baton__registry_search(reg, "", NULL, 0, err, sizeof err));
  cr_assert_neq(err[0], '\0');
  err[0] = '\0';
  cr_assert_null(baton__registry_search(reg, "the (*)", NULL, 0, err, sizeof err));
  cr_assert_not_null(strstr(err, "nothing to search"), "message: %s", err);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                  */

static void *match_many(void *arg) {
  baton__registry *reg = arg;
  for (int i = 0; i < 50; i++) {
    baton__model m[3];
    size_t n = 0;
    char err[256] = "";
    const char *text = (i & 1) ? "detect tables in scanned documents" : "find cars";
    if (baton__registry_match(reg, "object-detection", text, NULL, NULL, m, 3, &n, err,
                              sizeof err) != 0 ||
        n == 0)
      return (void *)1;
    bool table_first = !strcmp(m[0].id, "microsoft/table-transformer-detection");
    release_all(m, n);
    if ((i & 1) && !table_first)
      return (void *)1;
    cJSON *l = baton__registry_list(reg, "translation", 2, err, sizeof err);
    if (!l || cJSON_GetArraySize(l) != 2)
      return (void *)1;
    cJSON_Delete(l);
  }
  return NULL;
}

Test(registry_registry, one_handle_serves_several_threads) {
  baton__registry *reg = open_shipped();
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    cr_assert_eq(pthread_create(&th[i], NULL, match_many, reg), 0);
  int bad = 0;
  for (int i = 0; i < 4; i++) {
    void *res = NULL;
    pthread_join(th[i], &res);
    bad += res != NULL;
  }
  cr_assert_eq(bad, 0, "every thread got correct answers");
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Health                                                                   */

static size_t rank_of(baton__model *m, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(m[i].id, id))
      return i;
  return n;
}

Test(registry_registry, recent_failures_push_a_model_down_and_successes_bring_it_back) {
  baton__registry *reg = open_shipped();
  baton__model m[10];
  size_t n = 0;
  char err[512] = "";
  const char *text = "detect tables in scanned documents";
  cr_assert_eq(baton__registry_match(reg, "object-detection", text, NULL, NULL, m, 10, &n, err,
                                     sizeof err),
               0, "%s", err);
  cr_assert_str_eq(m[0].id, "microsoft/table-transformer-detection");
  cr_assert_eq(m[0].health, 0.0, "a model never run has no health penalty");
  release_all(m, n);

  for (int i = 0; i < 3; i++)
    cr_assert_eq(baton__registry_health_record(reg, "microsoft/table-transformer-detection",
                                               false, 30000, "HTTP 503: model is loading"),
                 0);
  cr_assert_eq(baton__registry_match(reg, "object-detection", text, NULL, NULL, m, 10, &n, err,
                                     sizeof err),
               0, "%s", err);
  size_t r = rank_of(m, n, "microsoft/table-transformer-detection");
  cr_assert_gt(r, 0, "three failures in a row push it from the top");
  cr_assert_lt(r, n, "but it stays as a fallback");
  cr_assert_lt(m[r].health, -0.3, "health part: %f", m[r].health);
  cr_assert_float_eq(m[r].score, m[r].relevance + m[r].popularity + m[r].health + m[r].local_bonus,
                     1e-9, "the parts add up");
  release_all(m, n);

  /* The search output shows the same part. */
  cJSON *s = baton__registry_search(reg, text, "object-detection", 10, err, sizeof err);
  cr_assert_not_null(s, "%s", err);
  cJSON *it;
  bool seen = false;
  cJSON_ArrayForEach(it, s) {
    if (!strcmp(cJSON_GetObjectItem(it, "id")->valuestring,
                "microsoft/table-transformer-detection")) {
      seen = true;
      cr_assert_lt(cJSON_GetObjectItem(it, "health")->valuedouble, -0.3);
    }
  }
  cr_assert(seen);
  cJSON_Delete(s);

  /* Successes bring it back. */
  for (int i = 0; i < 8; i++)
    baton__registry_health_record(reg, "microsoft/table-transformer-detection", true, 800, NULL);
  cr_assert_eq(baton__registry_match(reg, "object-detection", text, NULL, NULL, m, 10, &n, err,
                                     sizeof err),
               0, "%s", err);
  cr_assert_str_eq(m[0].id, "microsoft/table-transformer-detection");
  release_all(m, n);
  baton__registry_close(reg);

  cr_assert_eq(db_int("SELECT successes * 100 + failures FROM health"
                      " WHERE model_id = 'microsoft/table-transformer-detection'"),
               803);
  cr_assert_eq(db_int("SELECT count(*) FROM health WHERE last_error LIKE 'HTTP 503%'"), 1,
               "the last error is kept after later successes");
  cr_assert_eq(db_int("SELECT last_latency_ms FROM health"), 800);
}

Test(registry_registry, old_failures_fade) {
  baton__registry *reg = open_shipped();
  for (int i = 0; i < 3; i++)
    baton__registry_health_record(reg, "microsoft/table-transformer-detection", false, 10, "x");
  baton__registry_close(reg);
  /* The same failures, a day ago. */
  db_exec("UPDATE health SET updated_at = updated_at - 86400");
  reg = open_shipped();
  baton__model m[3];
  size_t n = 0;
  char err[256] = "";
  cr_assert_eq(baton__registry_match(reg, "object-detection", "detect tables in scanned documents",
                                     NULL, NULL, m, 3, &n, err, sizeof err),
               0);
  cr_assert_str_eq(m[0].id, "microsoft/table-transformer-detection");
  cr_assert_gt(m[0].health, -0.1, "a day later the penalty has faded: %f", m[0].health);
  cr_assert_lt(m[0].health, 0.0);
  release_all(m, n);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Exactness when most candidates cannot run                                */

static bool only_even(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)ud;
  const char *pfx = "http://127.0.0.1:9/";
  int k = strncmp(endpoint, pfx, strlen(pfx)) ? 1 : atoi(endpoint + strlen(pfx));
  if (k % 10 != 0) {
    baton__fmt(why, whylen, "down");
    return false;
  }
  return true;
}

Test(registry_registry, match_widens_its_search_when_the_endpoint_check_rejects_most) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  /* 300 models: popularity grows with k, only every tenth can run. */
  for (int k = 1; k <= 300; k++) {
    char json[512];
    baton__fmt(json, sizeof json,
               "{\"id\": \"bulk/m%03d\", \"task\": \"depth-estimation\", \"endpoint\": "
               "\"http://127.0.0.1:9/%d\", \"description\": \"Estimates depth %s\", "
               "\"downloads\": %d}",
               k, k, k == 7 ? "of underwater coral reefs" : "of rooms", k * 1000);
    cJSON *o = cJSON_Parse(json);
    cr_assert_eq(baton__registry_add(reg, o, NULL, err, sizeof err), 0, "%s", err);
    cJSON_Delete(o);
  }
  baton__model m[5];
  size_t n = 0;
  cr_assert_eq(baton__registry_match(reg, "depth-estimation", NULL, only_even, NULL, m, 5, &n, err,
                                     sizeof err),
               0);
  cr_assert_eq(n, 5);
  const char *want[] = {"bulk/m300", "bulk/m290", "bulk/m280", "bulk/m270", "bulk/m260"};
  for (size_t i = 0; i < 5; i++)
    cr_assert_str_eq(m[i].id, want[i], "rank %zu", i);
  release_all(m, n);
  /* The only coral model is deep in popularity but first in relevance. */
  cr_assert_eq(baton__registry_match(reg, "depth-estimation", "coral reef depth", NULL, NULL, m, 1,
                                     &n, err, sizeof err),
               0);
  cr_assert_str_eq(m[0].id, "bulk/m007");
  release_all(m, n);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Explanations                                                             */

Test(registry_registry, explain_says_why_a_model_wins_and_why_others_cannot_run) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *e = baton__registry_explain(reg, "translation", "translate English text into Spanish",
                                     reject_hf, NULL, 5, err, sizeof err);
  cr_assert_not_null(e, "%s", err);
  cr_assert_str_eq(cJSON_GetObjectItem(e, "chosen")->valuestring, "local/apertium");
  const char *why = cJSON_GetObjectItem(e, "why")->valuestring;
  cr_assert_not_null(strstr(why, "local/apertium"), "%s", why);
  cr_assert_not_null(strstr(why, "relevance"), "%s", why);
  cr_assert_not_null(strstr(why, "spanish"), "names the words that matched: %s", why);
  cJSON *c, *cands = cJSON_GetObjectItem(e, "candidates");
  bool saw_unavailable = false, saw_chosen = false;
  cJSON_ArrayForEach(c, cands) {
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(c, "relevance")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(c, "popularity")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(c, "health")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(c, "local_bonus")));
    if (!cJSON_IsTrue(cJSON_GetObjectItem(c, "available"))) {
      saw_unavailable = true;
      cr_assert_str_eq(cJSON_GetObjectItem(c, "reason")->valuestring, "no HF_TOKEN or LLM");
    }
    saw_chosen |= cJSON_IsTrue(cJSON_GetObjectItem(c, "chosen"));
  }
  cr_assert(saw_unavailable, "higher-ranked Hub models are listed with the reason");
  cr_assert(saw_chosen);
  cJSON_Delete(e);

  int calls = 0;
  e = baton__registry_explain(reg, "object-detection", "detect cars", reject_all, &calls, 3, err,
                              sizeof err);
  cr_assert_not_null(e);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "chosen")));
  cr_assert_not_null(strstr(cJSON_GetObjectItem(e, "why")->valuestring, "no model"));
  cJSON_Delete(e);
  baton__registry_close(reg);
}

Test(registry_registry, search_with_only_the_task_name_still_finds_that_task) {
  baton__registry *reg = open_shipped();
  char err[512] = "";
  cJSON *r = baton__registry_search(reg, "object detection", "object-detection", 5, err,
                                    sizeof err);
  cr_assert_not_null(r, "%s", err);
  cr_assert_geq(cJSON_GetArraySize(r), 2);
  cJSON *it;
  cJSON_ArrayForEach(it, r)
      cr_assert_str_eq(cJSON_GetObjectItem(it, "task")->valuestring, "object-detection");
  cJSON_Delete(r);
  cr_assert_null(baton__registry_search(reg, "the and of", NULL, 5, err, sizeof err));
  cr_assert_not_null(strstr(err, "nothing to search for"), "%s", err);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* At scale: a match reads what it returns                                  */

static int g_ok_calls;

static bool count_local_only(void *ud, const char *endpoint, char *why, size_t whylen) {
  (void)ud;
  g_ok_calls++;
  if (strncmp(endpoint, "local:", 6) != 0) {
    baton__fmt(why, whylen, "no token");
    return false;
  }
  return true;
}

/* n summarization models "bulk/s<i>" (i from first) on hf-inference, through an import. */
static void import_summarizers(baton__registry *reg, int first, int n, const char *words) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = first; i < first + n; i++)
    baton__sb_addf(&sb,
                   "{\"id\": \"bulk/s%d\", \"task\": \"summarization\", \"endpoint\": \"hf-inference\", \"downloads\": %d,"
                   " \"description\": \"Summarises %s number %d\"}\n",
                   i, 100000 + i, words, i);
  cr_assert(baton__sb_ok(&sb));
  char err[512] = "";
  cJSON *rep = NULL;
  cr_assert_eq(baton__registry_import_text(reg, "bulk.jsonl", sb.buf, sb.len, "hugginggpt", &rep,
                                           err, sizeof err),
               0, "%s", err);
  cJSON_Delete(rep);
  baton__sb_release(&sb);
}

Test(registry_registry, models_that_cannot_run_are_never_checked_one_by_one) {
  baton__registry *reg = open_shipped();
  /* 3,000 popular, relevant models this machine cannot run (no token). */
  import_summarizers(reg, 0, 3000, "legal reports");
  baton__model m[3];
  size_t n = 0;
  char err[512] = "";
  g_ok_calls = 0;
  cr_assert_eq(baton__registry_match(reg, "summarization", "summarize legal reports",
                                     count_local_only, NULL, m, 3, &n, err, sizeof err),
               0, "%s", err);
  cr_assert_gt(n, 0, "the local summariser is found");
  for (size_t i = 0; i < n; i++)
    cr_assert(!strncmp(m[i].endpoint, "local:", 6), "%s cannot run here", m[i].id);
  /* Once per endpoint and per model returned; before, once per model
   * read, through every one of the 3,000. */
  cr_assert_leq(g_ok_calls, 20, "ok() was asked %d times", g_ok_calls);
  release_all(m, n);
  baton__registry_close(reg);
}

Test(registry_registry, a_rare_word_finds_its_model_among_thousands_of_the_task) {
  baton__registry *reg = open_shipped();
  import_summarizers(reg, 0, 2000, "news articles");
  char err[512] = "";
  cJSON *o = cJSON_Parse("{\"id\": \"bulk/zebra\", \"task\": \"summarization\", \"endpoint\":"
                         " \"hf-inference\", \"description\": \"Summarises zebra field notes\"}");
  cr_assert_eq(baton__registry_add(reg, o, NULL, err, sizeof err), 0, "%s", err);
  cJSON_Delete(o);
  baton__model m[3];
  size_t n = 0;
  cr_assert_eq(baton__registry_match(reg, "summarization", "summarize my zebra notes", NULL, NULL,
                                     m, 3, &n, err, sizeof err),
               0, "%s", err);
  cr_assert_eq(n, 3);
  cr_assert_str_eq(m[0].id, "bulk/zebra", "the one model that mentions zebras wins");
  cr_assert_gt(m[0].relevance, 0.9);
  release_all(m, n);
  baton__registry_close(reg);
}

/* Pages a match fetched from the registry connection's cache (or the file). */
static int pages_fetched(baton__registry *reg, bool reset) {
  int hit = 0, miss = 0, hw = 0;
  sqlite3_db_status(reg->db, SQLITE_DBSTATUS_CACHE_HIT, &hit, &hw, reset);
  sqlite3_db_status(reg->db, SQLITE_DBSTATUS_CACHE_MISS, &miss, &hw, reset);
  return hit + miss;
}

/* A match of the summarization task for step text that has two words in
 * every bulk model and one in three unpopular ones (bulk/zebra1-3): those
 * three first, then the task's most popular. Returns the pages it fetched. */
static int match_zebras(baton__registry *reg) {
  baton__model m[5];
  size_t n = 0;
  char err[512] = "";
  pages_fetched(reg, true);
  cr_assert_eq(baton__registry_match(reg, "summarization", "summarize legal reports on zebra okapi",
                                     NULL, NULL, m, 5, &n, err, sizeof err),
               0, "%s", err);
  int pages = pages_fetched(reg, true);
  cr_assert_eq(n, 5);
  for (size_t i = 0; i < 3; i++) {
    cr_assert(!strncmp(m[i].id, "bulk/zebra", 10), "rank %zu: %s", i, m[i].id);
    cr_assert_gt(m[i].relevance, 0.8, "%s: %f", m[i].id, m[i].relevance);
  }
  cr_assert_str_eq(m[0].id, "bulk/zebra3", "the most popular of equals first");
  /* The common words weigh next to nothing. */
  cr_assert_gt(m[3].popularity, m[0].popularity);
  cr_assert_geq(m[3].score, m[4].score);
  release_all(m, n);
  return pages;
}

Test(registry_registry, common_words_read_the_task_only_as_far_as_the_best_ones) {
  baton__registry *reg = open_shipped();
  import_summarizers(reg, 0, 2000, "legal reports");
  char err[512] = "";
  /* The heaviest model for the words (okapi too) is disabled: it must not
   * set the scale of relevance for the others. */
  const char *rare[] = {"herds", "crossings", "stripes", "and okapi"};
  for (int i = 0; i < 4; i++) {
    char json[512];
    baton__fmt(json, sizeof json,
               "{\"id\": \"bulk/%s%d\", \"task\": \"summarization\", \"endpoint\":"
               " \"hf-inference\", \"downloads\": %d, \"enabled\": %s, \"description\":"
               " \"Summarises legal reports about zebra %s\"}",
               i < 3 ? "zebra" : "okapi", i + 1, i + 1, i < 3 ? "true" : "false", rare[i]);
    cJSON *o = cJSON_Parse(json);
    cr_assert_eq(baton__registry_add(reg, o, NULL, err, sizeof err), 0, "%s", err);
    cJSON_Delete(o);
  }
  int small = match_zebras(reg);
  /* Three times the models with the common words: before, the match read
   * every index entry of the task (about 50 pages more). */
  import_summarizers(reg, 2000, 4000, "legal reports");
  int large = match_zebras(reg);
  cr_log_info("%d pages with 2,000 models, %d with 6,000", small, large);
  cr_assert_lt(large, small + 20, "%d pages with 2,000 models, %d with 6,000", small, large);
  baton__registry_close(reg);
}

/* The enabled models of a task, as task_counts says and as counted. */
static void expect_counts_right(const char *task) {
  char q[256];
  baton__fmt(q, sizeof q, "SELECT enabled - (SELECT count(*) FROM models WHERE task = '%s'"
                          " AND enabled = 1) FROM task_counts WHERE task = '%s'", task, task);
  cr_assert_eq(db_int(q), 0, "enabled count of %s", task);
  baton__fmt(q, sizeof q, "SELECT models - (SELECT count(*) FROM models WHERE task = '%s')"
                          " FROM task_counts WHERE task = '%s'", task, task);
  cr_assert_eq(db_int(q), 0, "model count of %s", task);
}

Test(registry_registry, task_counts_follow_imports_edits_and_removals) {
  baton__registry *reg = open_shipped();
  import_summarizers(reg, 0, 50, "reports");
  char err[512] = "";
  const char *edits[] = {"{\"id\": \"bulk/s1\", \"enabled\": false}",
                         "{\"id\": \"bulk/s2\", \"task\": \"translation\"}",
                         "{\"id\": \"bulk/s3\", \"enabled\": false}",
                         "{\"id\": \"bulk/s3\", \"enabled\": true}"};
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    cJSON *o = cJSON_Parse(edits[i]);
    cr_assert_eq(baton__registry_add(reg, o, NULL, err, sizeof err), 0, "%s", err);
    cJSON_Delete(o);
  }
  cr_assert_eq(baton__registry_remove(reg, "bulk/s4", err, sizeof err), 0, "%s", err);
  import_summarizers(reg, 0, 60, "reports"); /* s2 comes back, s1 enabled, 10 more */
  expect_counts_right("summarization");
  expect_counts_right("translation");
  baton__registry_close(reg);
}
