/* test_import.c — registry import (YAML, HuggingGPT JSONL, Hub JSON), export round trips, editing, migration, readers during import. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "support/pauses.h"
#include "support/seeded.h"
#include "support/support.h"

static char *g_dir;
static char *g_db;

static void setup(void) {
  g_dir = bt_tmpdir();
  g_db = baton__path_join(g_dir, "registry.db");
}

static void teardown(void) {
  bt_rmtree(g_dir);
  free(g_dir);
  free(g_db);
}

TestSuite(registry_import, .init = setup, .fini = teardown);

static baton__registry *open_db(const char *path) { return bt_registry_seeded(path); }

static long long db_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  long long v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static char *db_text(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row for %s", sql);
  const unsigned char *t = sqlite3_column_text(st, 0);
  char *v = strdup(t ? (const char *)t : "");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static char *write_tmp(const char *name, const char *text) {
  char *p = baton__path_join(g_dir, name);
  bt_write(p, text);
  return p;
}

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  cr_assert(cJSON_IsNumber(v), "report has no number '%s'", k);
  return v->valuedouble;
}

static cJSON *import_ok(baton__registry *reg, const char *path, const char *fmt) {
  char err[1024] = "";
  cJSON *r = NULL;
  int rc = baton__registry_import(reg, path, fmt, &r, err, sizeof err);
  cr_assert_eq(rc, 0, "import of %s failed: %s", path, err);
  cr_assert_not_null(r);
  return r;
}

static void import_fails(baton__registry *reg, const char *path, const char *fmt,
                         const char *want) {
  char err[1024] = "";
  cJSON *r = NULL;
  int rc = baton__registry_import(reg, path, fmt, &r, err, sizeof err);
  cr_assert_eq(rc, -1, "a broken file must fail");
  cr_assert_null(r);
  cr_assert_not_null(strstr(err, want), "message should contain '%s': %s", want, err);
}

static bool top_is(baton__registry *reg, const char *task, const char *text, const char *id) {
  baton__model m[5];
  size_t n = 0;
  char err[512] = "";
  cr_assert_eq(baton__registry_match(reg, task, text, NULL, NULL, m, 5, &n, err, sizeof err), 0,
               "%s", err);
  bool ok = n > 0 && !strcmp(m[0].id, id);
  if (!ok)
    cr_log_warn("for '%s' the top model is %s, not %s", text, n ? m[0].id : "(none)", id);
  for (size_t i = 0; i < n; i++)
    baton__model_release(&m[i]);
  return ok;
}

/* The relevance the match gives model id for text (-1 when it is not among the first 5). */
static double relevance_of(baton__registry *reg, const char *task, const char *text,
                           const char *id) {
  baton__model m[5];
  size_t n = 0;
  char err[512] = "";
  cr_assert_eq(baton__registry_match(reg, task, text, NULL, NULL, m, 5, &n, err, sizeof err), 0,
               "%s", err);
  double r = -1;
  for (size_t i = 0; i < n; i++) {
    r = strcmp(m[i].id, id) ? r : m[i].relevance;
    baton__model_release(&m[i]);
  }
  return r;
}

/* ---------------------------------------------------------------------- */
/* YAML                                                                     */

static const char good_yaml[] =
    "version: 1\n"
    "tasks:\n"
    "  - name: smelling\n"
    "    description: Tells what a smell is.\n"
    "    inputs: [text]\n"
    "    outputs: [text]\n"
    "models:\n"
    "  - id: acme/nose-1\n"
    "    task: smelling\n"
    "    endpoint: hf-inference\n"
    "    description: Recognises the smell of coffee and fresh bread.\n"
    "    tags: [coffee, bread]\n"
    "    downloads: 100\n"
    "  - id: acme/translator\n"
    "    task: translation\n"
    "    endpoint: https://mt.example.org/v1\n"
    "    description: Translates Klingon into English.\n"
    "    license: mit\n";

Test(registry_import, yaml_import_adds_models_and_is_idempotent) {
  baton__registry *reg = open_db(g_db);
  long long before = db_int(g_db, "SELECT count(*) FROM models");
  char *path = write_tmp("more.yaml", good_yaml);
  cJSON *r = import_ok(reg, path, NULL);
  cr_assert_eq(num(r, "inserted"), 2);
  cr_assert_eq(num(r, "updated"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(r, "format")->valuestring, "yaml", "guessed from .yaml");
  cJSON_Delete(r);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before + 2);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM tasks WHERE name = 'smelling'"), 1);

  r = import_ok(reg, path, "yaml");
  cr_assert_eq(num(r, "inserted"), 0, "re-import inserts nothing");
  cr_assert_eq(num(r, "updated"), 0, "re-import changes nothing");
  cr_assert_eq(num(r, "unchanged"), 2);
  cJSON_Delete(r);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before + 2);
  /* The new model is searchable at once, through the same handle. */
  cr_assert(top_is(reg, "translation", "translate Klingon", "acme/translator"));
  baton__registry_close(reg);
  free(path);
}

/* Words are stemmed one by one, not as the end of a word glued to the task: "thing" finds the
 * model about things, not every description with "the" in it ("<task>xth" once); "tables"
 * still finds "table". */
Test(registry_import, a_word_matches_its_own_stem_only) {
  baton__registry *reg = open_db(g_db);
  char *path = write_tmp("stems.yaml",
                         "version: 1\n"
                         "tasks:\n"
                         "  - {name: smelling, description: Tells a smell., inputs: [text],"
                         " outputs: [text]}\n"
                         "models:\n"
                         "  - {id: acme/the, task: smelling, endpoint: hf-inference, downloads: 900,"
                         " description: Names the smell of the kitchen and the garden.}\n"
                         "  - {id: acme/things, task: smelling, endpoint: hf-inference,"
                         " downloads: 1, description: Smells things on a table.}\n"
                         "  - {id: acme/red, task: smelling, endpoint: hf-inference, downloads: 900,"
                         " description: Smells a red rose.}\n");
  cJSON_Delete(import_ok(reg, path, NULL));
  cr_assert(top_is(reg, "smelling", "what is this thing", "acme/things"));
  cr_assert(top_is(reg, "smelling", "the smell of tables", "acme/things"));
  cr_assert_eq(relevance_of(reg, "smelling", "thing", "acme/the"), 0.0, "thing matched the");
  cr_assert_eq(relevance_of(reg, "smelling", "rings", "acme/red"), 0.0, "rings matched red");
  cr_assert_gt(relevance_of(reg, "smelling", "a red one", "acme/red"), 0.0);
  baton__registry_close(reg);
  free(path);
}

Test(registry_import, broken_yaml_names_file_and_line_and_writes_nothing) {
  baton__registry *reg = open_db(g_db);
  long long before = db_int(g_db, "SELECT count(*) FROM models");
  char *path = write_tmp("bad.yaml", "version: 1\n"
                                     "models:\n"
                                     "  - {id: ok/one, task: translation, endpoint: hf-inference}\n"
                                     "  - id: bad/two\n"
                                     "    task: translation\n"
                                     "    endpoint: ftp://nowhere\n");
  import_fails(reg, path, "yaml", "bad.yaml:6:");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before, "ok/one was rolled back");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE id = 'ok/one'"), 0);
  free(path);
  path = write_tmp("syntax.yaml", "models:\n  - id: x\n    task: [unclosed\n");
  import_fails(reg, path, "yaml", "syntax.yaml:");
  free(path);
  path = write_tmp("dup.yaml", "models:\n"
                               "  - {id: d/one, task: translation, endpoint: hf-inference}\n"
                               "  - {id: d/one, task: translation, endpoint: hf-inference}\n");
  import_fails(reg, path, "yaml", "dup.yaml:3: model 'd/one' is defined twice");
  free(path);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* HuggingGPT JSONL                                                         */

static const char card[] =
    "---\\nlicense: apache-2.0\\ntags:\\n- vision\\n---\\n\\n"
    "# Nose Detector\\n\\n"
    "<p align=\\\"center\\\"><img src=\\\"https://x.org/logo.png\\\" width=200></p>\\n"
    "![badge](https://img.shields.io/badge/x-y-green)\\n"
    "<!-- a comment\\nover two lines -->\\n"
    "This model **detects noses** in [portrait photos](https://example.org/photos) "
    "&amp; paintings. See https://example.org for more.\\n\\n"
    "| metric | value |\\n|---|---|\\n| mAP | 0.9 |\\n\\n"
    "```python\\nfrom transformers import pipeline\\n```\\n"
    "## Training data\\n- trained on `FaceSet-10k`\\n";

Test(registry_import, hugginggpt_records_are_imported_with_cleaned_descriptions) {
  baton__registry *reg = open_db(g_db);
  char text[4096];
  baton__fmt(text, sizeof text,
             "{\"id\": \"acme/nose-detector\", \"task\": \"object-detection\", "
             "\"pipeline_tag\": \"object-detection\", \"downloads\": 1234, \"likes\": 5, "
             "\"meta\": {\"license\": \"apache-2.0\", \"tags\": [\"vision\", \"faces\"], "
             "\"model-index\": [{\"results\": [{\"value\": NaN}]}]}, \"description\": \"%s\"}\n"
             "\n"
             "{\"id\": \"acme/folder\", \"task\": \"protein-folding\", \"downloads\": 1}\n"
             "{\"id\": \"acme/reader\", \"task\": \"image-to-text\", \"likes\": 2, "
             "\"description\": \"Reads handwritten notes.\"}\n",
             card);
  char *path = write_tmp("p.jsonl", text);
  cJSON *r = import_ok(reg, path, "hugginggpt");
  cr_assert_eq(num(r, "inserted"), 2);
  cr_assert_eq(num(r, "skipped"), 1, "the unknown task is skipped, not an error");
  cr_assert_eq(num(cJSON_GetObjectItem(r, "skipped_tasks"), "protein-folding"), 1);
  cJSON_Delete(r);

  char *d = db_text(g_db, "SELECT description FROM models WHERE id = 'acme/nose-detector'");
  cr_assert_not_null(strstr(d, "detects noses in portrait photos & paintings"),
                     "link text and entities kept, markup gone: %s", d);
  cr_assert_not_null(strstr(d, "Nose Detector"), "heading text kept: %s", d);
  const char *gone[] = {"---", "license:", "<", "](", "http", "```", "import pipeline", "|",
                        "**",  "badge",    "comment", "#", "`"};
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
    cr_assert_null(strstr(d, gone[i]), "'%s' should be cleaned away: %s", gone[i], d);
  free(d);
  cr_assert_eq(db_int(g_db, "SELECT downloads FROM models WHERE id = 'acme/nose-detector'"), 1234);
  char *lic = db_text(g_db, "SELECT license FROM models WHERE id = 'acme/nose-detector'");
  cr_assert_str_eq(lic, "apache-2.0");
  free(lic);
  cr_assert(top_is(reg, "object-detection", "find the noses in this painting",
                   "acme/nose-detector"));
  baton__registry_close(reg);
  free(path);
}

Test(registry_import, broken_jsonl_line_is_reported_and_nothing_is_kept) {
  baton__registry *reg = open_db(g_db);
  long long before = db_int(g_db, "SELECT count(*) FROM models");
  char *path = write_tmp("broken.jsonl",
                         "{\"id\": \"a/one\", \"task\": \"summarization\"}\n"
                         "{\"id\": \"a/two\", \"task\": \"summarization\"}\n"
                         "{\"id\": \"a/three\", \"task\": \"summarization\", \n");
  import_fails(reg, path, "hugginggpt", "broken.jsonl:3: not valid JSON");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before);
  free(path);
  path = write_tmp("typed.jsonl", "{\"id\": \"a/one\", \"task\": \"summarization\"}\n"
                                  "{\"id\": \"a/two\", \"task\": \"summarization\", "
                                  "\"downloads\": \"many\"}\n");
  import_fails(reg, path, "hugginggpt", "typed.jsonl:2: 'downloads' must be a whole number");
  free(path);
  path = write_tmp("noid.jsonl", "{\"task\": \"summarization\"}\n");
  import_fails(reg, path, "jsonl", "noid.jsonl:1: the record has no \"id\"");
  free(path);
  path = write_tmp("notes.txt", "{}\n");
  import_fails(reg, path, NULL, "cannot tell the format");
  free(path);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Hub JSON                                                                 */

Test(registry_import, hub_items_are_imported_with_a_description_made_from_metadata) {
  baton__registry *reg = open_db(g_db);
  char *path = write_tmp(
      "hub.json",
      "[\n"
      " {\"id\": \"acme/detr-tables\", \"pipeline_tag\": \"object-detection\",\n"
      "  \"downloads\": 5000, \"likes\": 7, \"library_name\": \"transformers\",\n"
      "  \"tags\": [\"transformers\", \"detr\", \"region:us\", \"license:mit\", \"arxiv:1\"],\n"
      "  \"cardData\": {\"datasets\": [\"pubtables-1m\"], \"language\": \"en\"}},\n"
      " {\"id\": \"acme/no-tag\", \"downloads\": 1},\n"
      " {\"id\": \"acme/described\", \"pipeline_tag\": \"summarization\",\n"
      "  \"cardData\": {\"description\": \"Summarises *legal* contracts.\", \"license\": "
      "\"cc-by-4.0\"}}\n"
      "]\n");
  cJSON *r = import_ok(reg, path, NULL);
  cr_assert_str_eq(cJSON_GetObjectItem(r, "format")->valuestring, "hub");
  cr_assert_eq(num(r, "inserted"), 2);
  cr_assert_eq(num(r, "skipped"), 1, "an item without pipeline tag is skipped");
  cJSON_Delete(r);
  char *d = db_text(g_db, "SELECT description FROM models WHERE id = 'acme/detr-tables'");
  cr_assert_not_null(strstr(d, "detr tables by acme"), "%s", d);
  cr_assert_not_null(strstr(d, "object detection"), "%s", d);
  cr_assert_not_null(strstr(d, "pubtables-1m"), "%s", d);
  free(d);
  char *t = db_text(g_db, "SELECT tags FROM models WHERE id = 'acme/detr-tables'");
  cr_assert_null(strstr(t, "region:"), "noise tags dropped: %s", t);
  cr_assert_not_null(strstr(t, "detr"), "%s", t);
  free(t);
  char *lic = db_text(g_db, "SELECT license FROM models WHERE id = 'acme/detr-tables'");
  cr_assert_str_eq(lic, "mit", "licence from the license: tag");
  free(lic);
  d = db_text(g_db, "SELECT description || '|' || license FROM models WHERE id = 'acme/described'");
  cr_assert_str_eq(d, "Summarises legal contracts.|cc-by-4.0");
  free(d);
  free(path);

  long long before = db_int(g_db, "SELECT count(*) FROM models");
  path = write_tmp("badhub.json", "[{\"id\": \"x/y\", \"pipeline_tag\": \"summarization\"},\n"
                                  " {\"id\": \"x/z\", \"pipeline_tag\": \"summarization\", "
                                  "\"likes\": -3}]\n");
  import_fails(reg, path, "hub", "badhub.json: item 2: 'likes'");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), before);
  free(path);
  path = write_tmp("trunc.json", "[{\"id\": \"x/y\",\n \"pipeline_tag\": \n");
  import_fails(reg, path, "hub", "trunc.json:");
  free(path);

  /* One item a line works too, and a bad line is named. */
  path = write_tmp("lines.ndjson", "{\"id\": \"l/one\", \"pipeline_tag\": \"translation\"}\n"
                                   "{\"id\": \"l/two\", \"pipeline_tag\": \"translation\"}\n");
  cJSON *lr = import_ok(reg, path, "hub");
  cr_assert_eq(num(lr, "inserted"), 2);
  cJSON_Delete(lr);
  free(path);
  path = write_tmp("badlines.ndjson", "{\"id\": \"l/three\", \"pipeline_tag\": \"translation\"}\n"
                                      "{\"pipeline_tag\": \"translation\"}\n");
  import_fails(reg, path, "hub", "badlines.ndjson:2: the item has no usable \"id\"");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE id = 'l/three'"), 0);
  free(path);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* The real HuggingGPT catalogue                                            */

Test(registry_import, hugginggpt_p0_catalogue_imports_and_matches_well) {
  char *p0 = bt_shared_data("hugginggpt/p0_models.jsonl");
  BT_SKIP_IF_NO_SHARED(p0, "hugginggpt/p0_models.jsonl");
  baton__registry *reg = open_db(g_db);
  cJSON *r = import_ok(reg, p0, "hugginggpt");
  cr_assert_eq(num(r, "models"), 673);
  cr_assert_eq(num(r, "inserted") + num(r, "updated"), 673, "HuggingGPT's catalogue imports whole");
  cr_assert_eq(num(r, "skipped"), 0);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE task = 'text2text-generation'"
                            " AND source = 'import'"),
               30);
  cJSON_Delete(r);
  r = import_ok(reg, p0, "hugginggpt");
  cr_assert_eq(num(r, "unchanged"), 673, "a second import changes nothing");
  cJSON_Delete(r);

  /* Descriptions are prose: no front matter, no markup, bounded. */
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE source = 'import' AND ("
                            " description LIKE '---%' OR description LIKE '%```%'"
                            " OR description LIKE '%<img%' OR description LIKE '%](http%')"),
               0);
  cr_assert_leq(db_int(g_db, "SELECT max(length(description)) FROM models"), 1100);
  cr_assert_geq(db_int(g_db, "SELECT count(*) FROM models WHERE source = 'import'"
                             " AND length(description) > 100"),
                500, "most cards keep real prose");

  /* Queries whose right answer is clear from the descriptions. */
  cr_assert(top_is(reg, "object-detection", "detect tables in scanned documents",
                   "microsoft/table-transformer-detection"));
  cr_assert(top_is(reg, "translation", "translate English text into Spanish",
                   "Helsinki-NLP/opus-mt-en-es"));
  cr_assert(top_is(reg, "text-classification", "sentiment of financial text",
                   "ProsusAI/finbert"));
  cr_assert(top_is(reg, "image-segmentation", "segment the clothes people wear in photos",
                   "mattmdjaga/segformer_b2_clothes"));
  baton__registry_close(reg);
  free(p0);
}

/* ---------------------------------------------------------------------- */
/* Export                                                                   */

Test(registry_import, yaml_export_round_trips_into_a_fresh_registry) {
  baton__registry *reg = open_db(g_db);
  char *path = write_tmp("more.yaml", good_yaml);
  cJSON_Delete(import_ok(reg, path, "yaml"));
  cJSON *edit = cJSON_Parse("{\"id\": \"acme/nose-1\", \"enabled\": false, "
                            "\"description\": \"Says \\\"sniff\\\"\\nthen: guesses\"}");
  char err[512] = "";
  cr_assert_eq(baton__registry_add(reg, edit, NULL, err, sizeof err), 0, "%s", err);
  cJSON_Delete(edit);
  char *yaml = baton__registry_export(reg, "yaml", NULL, err, sizeof err);
  cr_assert_not_null(yaml, "%s", err);
  char *out = write_tmp("export.yaml", yaml);
  long long models = db_int(g_db, "SELECT count(*) FROM models");

  /* Into the same registry: nothing changes. */
  cJSON *r = import_ok(reg, out, "yaml");
  cr_assert_eq(num(r, "inserted"), 0);
  cJSON_Delete(r);
  baton__registry_close(reg);

  /* Into a fresh one: the same models with the same fields. */
  char *db2 = baton__path_join(g_dir, "second.db");
  baton__registry *reg2 = open_db(db2);
  cJSON_Delete(import_ok(reg2, out, "yaml"));
  cr_assert_eq(db_int(db2, "SELECT count(*) FROM models"), models);
  cr_assert_eq(db_int(db2, "SELECT count(*) FROM tasks WHERE name = 'smelling'"), 1);
  char *a = db_text(g_db, "SELECT group_concat(id || task || description || tags || downloads ||"
                          " likes || coalesce(license, '-') || endpoint || enabled, '/')"
                          " FROM (SELECT * FROM models ORDER BY id)");
  char *b = db_text(db2, "SELECT group_concat(id || task || description || tags || downloads ||"
                         " likes || coalesce(license, '-') || endpoint || enabled, '/')"
                         " FROM (SELECT * FROM models ORDER BY id)");
  cr_assert_str_eq(a, b, "every field survives the round trip");
  free(a);
  free(b);
  cr_assert_eq(db_int(db2, "SELECT enabled FROM models WHERE id = 'acme/nose-1'"), 0);
  baton__registry_close(reg2);
  free(db2);
  free(yaml);
  free(out);
  free(path);
}

Test(registry_import, jsonl_export_reimports_as_hugginggpt) {
  baton__registry *reg = open_db(g_db);
  char err[512] = "";
  char *jsonl = baton__registry_export(reg, "jsonl", "translation", err, sizeof err);
  cr_assert_not_null(jsonl, "%s", err);
  long long n = db_int(g_db, "SELECT count(*) FROM models WHERE task = 'translation'");
  size_t lines = 0;
  for (const char *p = jsonl; *p; p++)
    lines += *p == '\n';
  cr_assert_eq((long long)lines, n, "one line per translation model");
  char *out = write_tmp("t.jsonl", jsonl);
  cJSON *r = import_ok(reg, out, NULL);
  cr_assert_eq(num(r, "models"), (double)n);
  cr_assert_eq(num(r, "inserted"), 0);
  cJSON_Delete(r);
  /* local/apertium keeps its local endpoint through the round trip. */
  char *ep = db_text(g_db, "SELECT endpoint FROM models WHERE id = 'local/apertium'");
  cr_assert_str_eq(ep, "local:apertium");
  free(ep);
  cr_assert_null(baton__registry_export(reg, "csv", NULL, err, sizeof err));
  cr_assert_not_null(strstr(err, "csv"));
  free(out);
  free(jsonl);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* add / remove / show                                                      */

Test(registry_import, add_edit_show_and_remove_a_model) {
  baton__registry *reg = open_db(g_db);
  char err[512] = "";
  bool created = false;
  cJSON *m = cJSON_Parse("{\"id\": \"me/ocr\", \"task\": \"image-to-text\", \"endpoint\": "
                         "\"http://127.0.0.1:9/ocr\", \"description\": \"Reads zorbulous receipts\", "
                         "\"tags\": [\"receipts\", \"ocr\"]}");
  cr_assert_eq(baton__registry_add(reg, m, &created, err, sizeof err), 0, "%s", err);
  cr_assert(created);
  cJSON_Delete(m);
  m = cJSON_Parse("{\"id\": \"me/ocr\", \"likes\": 99}");
  cr_assert_eq(baton__registry_add(reg, m, &created, err, sizeof err), 0, "%s", err);
  cr_assert_not(created, "the second call edits");
  cJSON_Delete(m);

  bool nf = true;
  cJSON *s = baton__registry_show(reg, "me/ocr", &nf, err, sizeof err);
  cr_assert_not_null(s, "%s", err);
  cr_assert_not(nf);
  cr_assert_str_eq(cJSON_GetObjectItem(s, "description")->valuestring, "Reads zorbulous receipts",
                   "fields not given are kept");
  cr_assert_eq(cJSON_GetObjectItem(s, "likes")->valuedouble, 99);
  cr_assert_str_eq(cJSON_GetObjectItem(s, "source")->valuestring, "user");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(s, "edited")));
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "tags")), 2);
  cJSON *h = cJSON_GetObjectItem(s, "health");
  cr_assert_eq(cJSON_GetObjectItem(h, "failures")->valuedouble, 0);
  cJSON_Delete(s);

  /* Bad input is refused with a reason. */
  m = cJSON_Parse("{\"id\": \"me/x\", \"task\": \"image-to-text\", \"endpoint\": \"ftp://x\"}");
  cr_assert_eq(baton__registry_add(reg, m, NULL, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "endpoint"), "%s", err);
  cJSON_Delete(m);
  m = cJSON_Parse("{\"id\": \"me/x\", \"task\": \"smelling\", \"endpoint\": \"llm\"}");
  cr_assert_eq(baton__registry_add(reg, m, NULL, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "unknown task"), "%s", err);
  cJSON_Delete(m);

  cr_assert_eq(baton__registry_remove(reg, "me/ocr", err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__registry_remove(reg, "me/ocr", err, sizeof err), BATON__REG_NOTFOUND);
  cr_assert_null(baton__registry_show(reg, "me/ocr", &nf, err, sizeof err));
  cr_assert(nf);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models_mfts WHERE models_mfts MATCH '\"imagetotextxzorbulous\"'"),
               0, "the full-text index forgets it too");
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Migration from schema 1                                                  */

/* The version-1 schema as it shipped (schema.c, migrations[1]). */
static const char v1_schema[] =
    "CREATE TABLE tasks(name TEXT PRIMARY KEY, description TEXT NOT NULL, inputs TEXT NOT NULL,"
    "  outputs TEXT NOT NULL, keywords TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE models(id TEXT PRIMARY KEY, task TEXT NOT NULL REFERENCES tasks(name),"
    "  description TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '',"
    "  downloads INTEGER NOT NULL DEFAULT 0, likes INTEGER NOT NULL DEFAULT 0, license TEXT,"
    "  endpoint TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX models_task ON models(task);"
    "CREATE VIRTUAL TABLE models_fts USING fts5(id, description, tags, content='models',"
    "  content_rowid='rowid', tokenize='porter unicode61');"
    "CREATE TRIGGER models_fts_ai AFTER INSERT ON models BEGIN"
    "  INSERT INTO models_fts(rowid, id, description, tags)"
    "    VALUES (new.rowid, new.id, new.description, new.tags); END;"
    "CREATE TRIGGER models_fts_ad AFTER DELETE ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags); END;"
    "CREATE TRIGGER models_fts_au AFTER UPDATE OF id, description, tags ON models BEGIN"
    "  INSERT INTO models_fts(models_fts, rowid, id, description, tags)"
    "    VALUES ('delete', old.rowid, old.id, old.description, old.tags);"
    "  INSERT INTO models_fts(rowid, id, description, tags)"
    "    VALUES (new.rowid, new.id, new.description, new.tags); END;"
    "CREATE TABLE health(model_id TEXT PRIMARY KEY, successes INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0, last_latency_ms INTEGER, last_error TEXT,"
    "  updated_at REAL);"
    "INSERT INTO tasks VALUES ('object-detection', 'Finds objects', 'image', 'json', 'detect');"
    "INSERT INTO tasks VALUES ('summarization', 'Summarises', 'text', 'text', 'summary');"
    "INSERT INTO models(id, task, description, tags, downloads, likes, endpoint) VALUES"
    "  ('old/tables', 'object-detection', 'Detects tables in scanned documents', 'table', 10, 1,"
    "   'hf-inference'),"
    "  ('old/cars', 'object-detection', 'Detects cars and people', 'cars', 1000000, 500,"
    "   'hf-inference'),"
    "  ('old/sum', 'summarization', 'Summarises tables of news', '', 5, 0, 'hf-inference');"
    "INSERT INTO health VALUES ('old/cars', 3, 1, 250, 'timeout', 1700000000.0);"
    "PRAGMA user_version = 1;";

Test(registry_import, version_1_database_migrates_without_losing_rows) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(g_db, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK, "%s",
               sqlite3_errmsg(db));
  sqlite3_close(db);

  baton__registry *reg = open_db(g_db);
  cr_assert_eq(db_int(g_db, "PRAGMA user_version"), BATON__REGISTRY_SCHEMA);
  /* no row lost; of the shipped models only the local executors' come (a
   * registry this old kept no list of the models it had seen) */
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE endpoint NOT LIKE 'local:%'"), 3);
  cr_assert_gt(db_int(g_db, "SELECT count(*) FROM models WHERE endpoint LIKE 'local:%'"), 8);
  /* the shipped task kinds arrive (the old two take the shipped definitions) */
  cr_assert_gt(db_int(g_db, "SELECT count(*) FROM tasks"), 20);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM tasks WHERE name = 'object-detection'"
                            " AND outputs LIKE '%image%'"),
               1);
  cr_assert_eq(db_int(g_db, "SELECT successes * 10 + failures FROM health"), 31);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE base > 0 AND id LIKE 'old/%'"), 3,
               "the stored popularity is computed for old rows");
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE source = 'catalogue'"
                            " AND edited = 0 AND id LIKE 'old/%'"),
               3);
  /* The rebuilt full-text index serves task-limited matching. */
  cr_assert(top_is(reg, "object-detection", "detect tables in scanned documents", "old/tables"));
  cr_assert(top_is(reg, "object-detection", NULL, "old/cars"));
  baton__model m[4];
  size_t n = 0;
  char err[256] = "";
  cr_assert_eq(baton__registry_match(reg, "summarization", "tables", NULL, NULL, m, 4, &n, err,
                                     sizeof err),
               0);
  for (size_t i = 0; i < n; i++) {
    cr_assert_str_neq(m[i].id, "old/tables", "old/tables is not a summariser");
    baton__model_release(&m[i]);
  }
  cr_assert_eq(n, 2, "old/sum and the shipped local summariser");
  /* Health of the old row still counts. */
  cr_assert_eq(baton__registry_health_record(reg, "old/cars", true, 100, NULL), 0);
  cr_assert_eq(db_int(g_db, "SELECT successes FROM health WHERE model_id = 'old/cars'"), 4);
  baton__registry_close(reg);
  /* And reopening is a no-op. */
  long long models = db_int(g_db, "SELECT count(*) FROM models");
  reg = open_db(g_db);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models"), models);
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Readers during an import                                                 */

typedef struct reader {
  baton__registry *reg;
  atomic_int stop;
  atomic_long reads;
  long failures, max_seen, min_seen, shrank;
} reader;

static void *read_loop(void *ud) {
  reader *r = ud;
  r->min_seen = 1L << 30;
  while (!atomic_load(&r->stop)) {
    baton__model m[5];
    size_t n = 0;
    char err[256] = "";
    if (baton__registry_match(r->reg, "summarization", "summarize legal contracts", NULL, NULL,
                              m, 5, &n, err, sizeof err) != 0 ||
        n == 0)
      r->failures++;
    for (size_t i = 0; i < n; i++)
      baton__model_release(&m[i]);
    cJSON *all = baton__registry_list(r->reg, "summarization", 0, err, sizeof err);
    long c = all ? cJSON_GetArraySize(all) : -1;
    cJSON_Delete(all);
    if (c < 0)
      r->failures++;
    if (c < r->max_seen)
      r->shrank++;
    if (c > r->max_seen)
      r->max_seen = c;
    if (c < r->min_seen)
      r->min_seen = c;
    r->reads++;
  }
  return NULL;
}

/* n summarization models "bulk/sum-<i>" as HuggingGPT JSONL, in a file. */
static char *bulk_file(int n) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 0; i < n; i++)
    baton__sb_addf(&sb,
                   "{\"id\": \"bulk/sum-%d\", \"task\": \"summarization\", \"downloads\": %d,"
                   " \"description\": \"Summarises %s reports number %d\"}\n",
                   i, i, i % 2 ? "legal" : "medical", i);
  cr_assert(baton__sb_ok(&sb));
  char *path = write_tmp("bulk.jsonl", sb.buf);
  baton__sb_release(&sb);
  return path;
}

Test(registry_import, readers_keep_working_and_see_the_import_grow_while_it_runs) {
  baton__registry *reg = open_db(g_db);
  long long before = db_int(g_db, "SELECT count(*) FROM models WHERE task = 'summarization'");
  const int N = 6000;
  char *path = bulk_file(N);
  reader r = {.reg = reg};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, read_loop, &r), 0);
  /* The import runs on its own connection, through a second handle as
   * another process would, while the reader uses the first. */
  baton__registry *writer = open_db(g_db);
  cJSON *rep = import_ok(writer, path, "hugginggpt");
  cr_assert_eq(num(rep, "inserted"), N);
  cJSON_Delete(rep);
  /* A few more reads after the last chunk (the reader may be slow to get
   * the CPU on a loaded machine). */
  long at_commit = atomic_load(&r.reads);
  for (long end = bt_now_ms() + BT_WAIT_MS; atomic_load(&r.reads) < at_commit + 3;
       bt_nap_ms(5))
    cr_assert_lt(bt_now_ms(), end, "the reader stopped reading after the import");
  atomic_store(&r.stop, 1);
  pthread_join(th, NULL);
  baton__registry_close(writer);
  cr_assert_eq(r.failures, 0, "no read failed during the import");
  cr_assert_geq(atomic_load(&r.reads), 3, "reads went on (%ld)", atomic_load(&r.reads));
  cr_assert_geq(r.min_seen, before, "a reader never sees fewer models than before");
  cr_assert_eq(r.shrank, 0, "what a reader saw of the import never went away");
  cr_assert_eq(r.max_seen, before + N, "after the last chunk the reader sees everything");
  baton__registry_close(reg);
  free(path);
}

typedef struct importer {
  baton__registry *reg;
  const char *path;
  bt_pauses p;
  int rc;
} importer;

static void *import_main(void *ud) {
  importer *im = ud;
  char err[512] = "";
  cJSON *rep = NULL;
  im->rc = baton__registry_import(im->reg, im->path, "hugginggpt", &rep, err, sizeof err);
  cJSON_Delete(rep);
  bt_pauses_done(&im->p);
  return NULL;
}

/* Starts importing path through a second handle on g_db (as another
 * process would), its pauses told to im->p. */
static void import_start(importer *im, pthread_t *th, const char *path, bool hold) {
  *im = (importer){.reg = open_db(g_db), .path = path};
  bt_pauses_attach(&im->p, im->reg, hold);
  cr_assert_eq(pthread_create(th, NULL, import_main, im), 0);
}

/* Whether the model is in the registry (as another process sees it). */
static bool visible(baton__registry *reg, const char *id) {
  char err[256] = "";
  bool notfound = false;
  cJSON *o = baton__registry_show(reg, id, &notfound, err, sizeof err);
  cJSON_Delete(o);
  return o != NULL;
}

Test(registry_import, a_run_matches_and_records_health_between_two_transactions_of_an_import) {
  const int N = 12000;
  char *path = bulk_file(N);
  baton__registry *run = open_db(g_db);
  importer im;
  pthread_t th;
  /* The import waits in its first pause: what a run does there is ordered
   * after the first transaction and before the rest, whatever the load. */
  import_start(&im, &th, path, true);
  cr_assert(bt_pauses_wait_first(&im.p), "the import paused before it ended");
  cr_assert(visible(run, "bulk/sum-0"), "the import's first transaction is visible");
  cr_assert(!visible(run, "bulk/sum-11999"), "the last model is not (yet)");
  /* What a run does per task: choose a model, record how it went. Before,
   * each health record waited for the import's write lock (5 s). */
  for (int i = 0; i < 5; i++) {
    baton__model m[3];
    size_t n = 0;
    char err[256] = "";
    cr_assert_eq(baton__registry_match(run, "summarization", "summarize legal reports", NULL,
                                       NULL, m, 3, &n, err, sizeof err),
                 0, "%s", err);
    cr_assert_gt(n, 0);
    for (size_t k = 0; k < n; k++)
      baton__model_release(&m[k]);
    cr_assert_eq(baton__registry_health_record(run, "local/ots", true, 10, NULL), 0);
  }
  /* Written now, not kept for later: the import left the lock free. */
  cr_assert_eq(db_int(g_db, "SELECT successes FROM health WHERE model_id = 'local/ots'"), 5,
               "the health records were written between the import's transactions");
  bt_pauses_release(&im.p);
  pthread_join(th, NULL);
  cr_assert_eq(im.rc, 0, "the import succeeds");
  cr_assert_gt(im.p.commits, 1, "the import went on after the pause");
  baton__registry_close(im.reg);
  baton__registry_close(run);
  cr_assert_eq(db_int(g_db, "SELECT successes FROM health WHERE model_id = 'local/ots'"), 5);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE id LIKE 'bulk/%'"), N);
  free(path);
}

/* A connection of the writer's own, as `baton models add` or a second
 * daemon has, waiting with the registry's busy timeout. */
static sqlite3 *other_writer(void) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  return db;
}

/* Tries to take the write lock without waiting; SQLITE_OK (then released)
 * or SQLITE_BUSY. */
static int lock_now(sqlite3 *db) {
  sqlite3_busy_timeout(db, 0);
  int s = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (s == SQLITE_OK)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return s & 0xff;
}

Test(registry_import, a_writer_that_finds_an_import_writing_gets_the_lock_before_it_ends) {
  const int N = 12000;
  char *path = bulk_file(N);
  importer im;
  pthread_t th;
  import_start(&im, &th, path, false);
  sqlite3 *w = other_writer();
  /* Wait until the import holds the lock, in its second transaction or a
   * later one. */
  bool done = false;
  bt_pauses_wait_first(&im.p);
  int s = SQLITE_OK;
  for (bt_pauses_commits(&im.p, &done); !done && (s = lock_now(w)) == SQLITE_OK;
       bt_pauses_commits(&im.p, &done))
    bt_nap_ms(1);
  cr_assert_eq(s, SQLITE_BUSY, "the import ended before the writer found it writing");
  long waited_from = bt_pauses_commits(&im.p, NULL);
  /* The registry's busy handler tries every 2 ms; only a pause
   * between two transactions lets it in before the import ends. */
  baton__busy_wait(w, BATON__BUSY_MS);
  cr_assert_eq(sqlite3_exec(w, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK, "%s",
               sqlite3_errmsg(w));
  long got_at = bt_pauses_commits(&im.p, &done);
  cr_assert_eq(sqlite3_exec(w,
                            "INSERT INTO health(model_id, successes) VALUES ('other/writer', 1);"
                            " COMMIT",
                            NULL, NULL, NULL),
               SQLITE_OK, "%s", sqlite3_errmsg(w));
  sqlite3_close(w);
  pthread_join(th, NULL);
  cr_assert(!done, "the writer waited for the whole import (from its transaction %ld)",
            waited_from + 1);
  /* It found transaction waited_from + 1 writing and gets the lock in the
   * pause after it; one missed pause is allowed (a loaded machine may not
   * run it in time). Without pauses it waits ten transactions or more. */
  cr_assert_leq(got_at, waited_from + 2,
                "the writer found transaction %ld writing and waited until %ld had committed",
                waited_from + 1, got_at);
  cr_assert_eq(im.rc, 0, "the import goes on after the other writer's transaction");
  cr_assert_gt(im.p.commits, got_at, "the import wrote on after the writer");
  baton__registry_close(im.reg);
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models WHERE id LIKE 'bulk/%'"), N);
  free(path);
}

/* Seconds of CPU spent cleaning md (a busy machine does not add to them). */
static double clean_seconds(const char *md, char **out) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  *out = baton__clean_description(md, 1000);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

Test(registry_import, a_1_mb_description_of_brackets_is_cleaned_in_under_a_second) {
  size_t n = 1u << 20;
  char *md = malloc(n + 1);
  cr_assert(md);
  /* Unclosed brackets (each once scanned to the end of the line), then
   * brackets nested half a megabyte deep, then link targets. */
  const char *shapes[] = {"[", "[]", "]("};
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < n; i++)
      md[i] = k == 1 ? (i < n / 2 ? '[' : ']') : shapes[k][i % strlen(shapes[k])];
    md[n] = '\0';
    char *out = NULL;
    double s = clean_seconds(md, &out);
    cr_assert_not_null(out);
    cr_expect_lt(s, 1.0, "shape %d took %.2f s", k, s);
    free(out);
  }
  /* The text inside nested links stays. */
  char *out = NULL;
  clean_seconds("See [the [nested] docs](http://x.org) and [more](y).", &out);
  cr_expect_str_eq(out, "See the nested docs and more.");
  free(out);
  free(md);
}

/* ---------------------------------------------------------------------- */
/* The full-text index after imports                                        */

static void db_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql,
               sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* Imports batch b: 20 new summarization models "seg/b<b>-<i>". */
static void import_batch(baton__registry *reg, int b) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 0; i < 20; i++)
    baton__sb_addf(&sb,
                   "{\"id\": \"seg/b%d-%d\", \"task\": \"summarization\", \"downloads\": %d,"
                   " \"description\": \"Summarises %s records of batch %d\"}\n",
                   b, i, i, b == 9 && i == 0 ? "zeppelin" : "archive", b);
  cr_assert(baton__sb_ok(&sb));
  char *path = write_tmp("segments.jsonl", sb.buf);
  baton__sb_release(&sb);
  cJSON *rep = import_ok(reg, path, "hugginggpt");
  cr_assert_eq(num(rep, "inserted"), 20);
  cJSON_Delete(rep);
  free(path);
}

Test(registry_import, imports_leave_the_full_text_index_in_few_segments) {
  baton__registry *reg = open_db(g_db);
  /* With FTS5's automerge off every commit that adds models leaves one
   * more segment (b-tree) that each word is looked up in, as large
   * chunked imports leave them at every level. */
  db_exec(g_db, "INSERT INTO models_mfts(models_mfts, rank) VALUES('automerge', 0)");
  for (int b = 0; b < 10; b++)
    import_batch(reg, b);
  long long segments = db_int(g_db, "SELECT count(DISTINCT segid) FROM models_mfts_idx");
  cr_assert_leq(segments, 4, "the import merges the index's segments (%lld left)", segments);
  db_exec(g_db, "INSERT INTO models_mfts(models_mfts) VALUES('integrity-check')");
  cr_assert(top_is(reg, "summarization", "summarize the zeppelin records", "seg/b9-0"));
  baton__registry_close(reg);
}

Test(registry_import, a_chunked_import_indexes_every_model_it_adds_and_leaves_no_mark) {
  baton__registry *reg = open_db(g_db);
  const int N = 12000;
  char *path = bulk_file(N);
  bt_pauses p;
  bt_pauses_attach(&p, reg, false);
  cJSON *rep = import_ok(reg, path, "hugginggpt");
  cr_assert_eq(num(rep, "inserted"), N);
  cJSON_Delete(rep);
  bool done = false;
  cr_assert_geq(bt_pauses_commits(&p, &done), 1, "the import took several transactions");
  /* each model indexed once (the insert trigger stood aside, the import indexed them) */
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM models_mfts_docsize"),
               db_int(g_db, "SELECT count(*) FROM models"));
  cr_assert_eq(db_int(g_db, "SELECT count(*) FROM meta WHERE key = 'bulk_import'"), 0);
  db_exec(g_db, "INSERT INTO models_mfts(models_mfts) VALUES('integrity-check')");
  cr_assert(top_is(reg, "summarization", "legal reports number 11999", "bulk/sum-11999"));
  cr_assert(top_is(reg, "summarization", "medical reports number 0", "bulk/sum-0"));
  /* a model added afterwards is indexed by the trigger again */
  char err[512] = "";
  bool created = false;
  cJSON *m = cJSON_Parse("{\"id\": \"me/zeppelin\", \"task\": \"summarization\","
                         " \"endpoint\": \"hf-inference\","
                         " \"description\": \"Summarises zeppelin logbooks\"}");
  cr_assert_eq(baton__registry_add(reg, m, &created, err, sizeof err), 0, "%s", err);
  cJSON_Delete(m);
  cr_assert(top_is(reg, "summarization", "zeppelin logbooks", "me/zeppelin"));
  baton__registry_close(reg);
  free(path);
}
