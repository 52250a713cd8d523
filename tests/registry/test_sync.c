/* test_sync.c — Hub sync against a fake Hub on 127.0.0.1: paging, limits, 429/5xx retries, local edits, cassette-shaped items. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "baton.h"
#include "core/util.h"
#include "executors/hub_http.h"
#include "registry/catalogue.h"
#include "registry/registry.h"
#include "support/fake_http.h"
#include "support/pauses.h"
#include "support/seeded.h"
#include "support/support.h"

static char *g_dir;
static char *g_db;
static fake_http *g_srv;

static void setup(void) {
  g_dir = bt_tmpdir();
  g_db = baton__path_join(g_dir, "registry.db");
  g_srv = fake_http_start();
  cr_assert_not_null(g_srv);
}

static void teardown(void) {
  fake_http_stop(g_srv);
  bt_rmtree(g_dir);
  free(g_dir);
  free(g_db);
}

TestSuite(registry_sync, .init = setup, .fini = teardown);

static baton__registry *open_db(void) { return bt_registry_seeded(g_db); }

static long long db_int(const char *sql) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
  long long v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  cr_assert(cJSON_IsNumber(v), "report has no number '%s'", k);
  return v->valuedouble;
}

/* ---------------------------------------------------------------------- */
/* A fake Hub: pages of items built by the test                             */

typedef struct hub {
  int per_page;       /* items a page */
  int total;          /* items in all */
  const char *task;   /* pipeline_tag of the items */
  int fail_first;     /* answer this many requests with fail_status */
  int fail_status;
  const char *fail_headers;
  const char *next_host; /* when set, next links point there */
  int bump;           /* added to every download count */
  int seen;
} hub;

static int page_of(const char *path) {
  const char *p = strstr(path, "page=");
  return p ? atoi(p + 5) : 0;
}

static void hub_handler(const fake_http_request *req, fake_http_response *resp, void *ud) {
  hub *h = ud;
  if (h->seen++ < h->fail_first) {
    resp->status = h->fail_status;
    resp->headers = h->fail_headers;
    resp->body = "{\"error\": \"slow down\"}";
    return;
  }
  int page = page_of(req->path);
  baton__sb b;
  baton__sb_init(&b);
  baton__sb_addc(&b, '[');
  int first = page * h->per_page;
  for (int i = first; i < first + h->per_page && i < h->total; i++)
    baton__sb_addf(&b,
                   "%s{\"_id\": \"x%d\", \"id\": \"org%d/model-%d\", \"pipeline_tag\": \"%s\","
                   " \"downloads\": %d, \"likes\": %d, \"library_name\": \"transformers\","
                   " \"tags\": [\"transformers\", \"pytorch\", \"region:us\", \"license:mit\"],"
                   " \"cardData\": {\"datasets\": [\"coco\"]}}",
                   i > first ? "," : "", i, i, i, h->task, 100000 - i + h->bump, 10 + i);
  baton__sb_addc(&b, ']');
  static __thread char link[512];
  if (first + h->per_page < h->total) {
    baton__fmt(link, sizeof link,
               "Link: <%s/api/models?pipeline_tag=%s&cursor=abc%%3D&page=%d>; rel=\"next\"\r\n",
               h->next_host, h->task, page + 1);
    resp->headers = link;
  }
  resp->status = 200;
  resp->body = baton__sb_detach(&b);
  resp->free_body = true;
}

/* The fake Hub's own URL, for next links that stay on it. */
static const char *g_url;

static void hub_handler_url(const fake_http_request *req, fake_http_response *resp, void *ud) {
  hub *h = ud;
  const char *saved = h->next_host;
  if (!saved)
    h->next_host = g_url;
  hub_handler(req, resp, ud);
  h->next_host = saved;
}

static int sync_with(baton__registry *reg, hub *h, const char *token, int limit, int retries,
                     cJSON **report, char *err, size_t errlen) {
  g_url = fake_http_url(g_srv);
  fake_http_set_handler(g_srv, hub_handler_url, h);
  baton__sync_opts o = {.base_url = g_url,
                        .token = token,
                        .task = h->task,
                        .limit = limit,
                        .max_wait_ms = 20,
                        .max_retries = retries,
                        .fetch = baton__hub_http_get};
  return baton__registry_sync(reg, &o, report, err, errlen);
}

Test(registry_sync, pages_are_followed_and_models_upserted) {
  baton__registry *reg = open_db();
  hub h = {.per_page = 2, .total = 3, .task = "object-detection"};
  cJSON *r = NULL;
  char err[512] = "";
  cr_assert_eq(sync_with(reg, &h, "hf_test_token", 10, 0, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(num(r, "fetched"), 3);
  cr_assert_eq(num(r, "pages"), 2, "the Link header was followed once");
  cr_assert_eq(num(r, "inserted"), 3);
  cJSON_Delete(r);
  cr_assert_eq(fake_http_request_count(g_srv), 2);

  fake_http_request *q = fake_http_request_get(g_srv, 0);
  const char *want[] = {"/api/models?pipeline_tag=object-detection", "sort=downloads",
                        "direction=-1", "limit=10", "expand%5B%5D=downloads",
                        "expand%5B%5D=cardData", "expand%5B%5D=tags"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    cr_assert_not_null(strstr(q->path, want[i]), "request %s lacks %s", q->path, want[i]);
  cr_assert_str_eq(fake_http_request_header(q, "Authorization"), "Bearer hf_test_token");
  fake_http_request_free(q);
  q = fake_http_request_get(g_srv, 1);
  cr_assert_not_null(strstr(q->path, "cursor=abc%3D&page=1"), "the next URL is used as given: %s",
                     q->path);
  fake_http_request_free(q);

  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE source = 'hub'"), 3);
  cr_assert_eq(db_int("SELECT downloads FROM models WHERE id = 'org1/model-1'"), 99999);
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'org0/model-0' AND license = 'mit'"
                      " AND description LIKE '%object detection model%coco%'"
                      " AND tags NOT LIKE '%region:%'"),
               1);
  /* The synced models take part in matching at once. */
  baton__model m[3];
  size_t n = 0;
  cr_assert_eq(baton__registry_match(reg, "object-detection", "model 2 by org2", NULL, NULL, m, 3,
                                     &n, err, sizeof err),
               0);
  cr_assert_str_eq(m[0].id, "org2/model-2");
  for (size_t i = 0; i < n; i++)
    baton__model_release(&m[i]);

  /* A second sync changes nothing. */
  cr_assert_eq(sync_with(reg, &h, NULL, 10, 0, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(num(r, "unchanged"), 3);
  cr_assert_eq(num(r, "inserted") + num(r, "updated"), 0);
  cJSON_Delete(r);
  q = fake_http_request_get(g_srv, 2);
  cr_assert_null(fake_http_request_header(q, "Authorization"), "no token, no header");
  fake_http_request_free(q);
  baton__registry_close(reg);
}

/* A sync through its own handle, in a thread. */
typedef struct syncer {
  baton__registry *reg;
  hub *h;
  bt_pauses p;
  int rc;
  char err[512];
} syncer;

static void *sync_main(void *ud) {
  syncer *sy = ud;
  cJSON *r = NULL;
  sy->rc = sync_with(sy->reg, sy->h, NULL, sy->h->total, 0, &r, sy->err, sizeof sy->err);
  cJSON_Delete(r);
  bt_pauses_done(&sy->p);
  return NULL;
}

Test(registry_sync, a_large_sync_leaves_the_lock_free_between_its_transactions) {
  baton__registry *run = open_db();
  hub h = {.per_page = 100, .total = 5000, .task = "summarization"};
  syncer sy = {.reg = open_db(), .h = &h};
  bt_pauses_attach(&sy.p, sy.reg, true);
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, sync_main, &sy), 0);
  /* Held in its first pause: what follows is ordered after the sync's
   * first transaction and before its last, whatever the load. */
  cr_assert(bt_pauses_wait_first(&sy.p), "the sync paused before it returned");
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'org0/model-0'"), 1,
               "the first transaction is visible");
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'org4999/model-4999'"), 0);
  /* A run's health record (it never waits for the lock) is written now. */
  cr_assert_eq(baton__registry_health_record(run, "org0/model-0", true, 10, NULL), 0);
  cr_assert_eq(db_int("SELECT count(*) FROM health WHERE model_id = 'org0/model-0'"), 1,
               "the health record was written between the sync's transactions");
  bt_pauses_release(&sy.p);
  pthread_join(th, NULL);
  cr_assert_eq(sy.rc, 0, "%s", sy.err);
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE source = 'hub'"), 5000);
  baton__registry_close(sy.reg);
  baton__registry_close(run);
}

Test(registry_sync, limit_stops_the_paging) {
  baton__registry *reg = open_db();
  hub h = {.per_page = 2, .total = 50, .task = "summarization"};
  cJSON *r = NULL;
  char err[512] = "";
  cr_assert_eq(sync_with(reg, &h, NULL, 3, 0, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(num(r, "fetched"), 3);
  cr_assert_eq(num(r, "pages"), 2);
  cJSON_Delete(r);
  cr_assert_eq(fake_http_request_count(g_srv), 2, "no page fetched past the limit");
  fake_http_request *q = fake_http_request_get(g_srv, 0);
  cr_assert_not_null(strstr(q->path, "limit=3"), "%s", q->path);
  fake_http_request_free(q);
  baton__registry_close(reg);
}

Test(registry_sync, rate_limits_and_server_errors_are_retried) {
  baton__registry *reg = open_db();
  hub h = {.per_page = 5,
           .total = 2,
           .task = "translation",
           .fail_first = 2,
           .fail_status = 429,
           .fail_headers = "Retry-After: 0\r\nRateLimit: \"api\";r=0;t=0\r\n"};
  cJSON *r = NULL;
  char err[512] = "";
  cr_assert_eq(sync_with(reg, &h, NULL, 10, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(num(r, "retries"), 2);
  cr_assert_eq(num(r, "inserted"), 2);
  cJSON_Delete(r);
  cr_assert_eq(fake_http_request_count(g_srv), 3);

  hub h2 = {.per_page = 5, .total = 2, .task = "translation", .fail_first = 1, .fail_status = 503};
  cr_assert_eq(sync_with(reg, &h2, NULL, 10, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(num(r, "retries"), 1);
  cJSON_Delete(r);
  baton__registry_close(reg);
}

Test(registry_sync, a_hub_that_keeps_failing_is_reported_and_nothing_is_written) {
  baton__registry *reg = open_db();
  long long before = db_int("SELECT count(*) FROM models");
  hub h = {.per_page = 2, .total = 4, .task = "translation", .fail_first = 100,
           .fail_status = 500};
  cJSON *r = NULL;
  char err[512] = "";
  cr_assert_eq(sync_with(reg, &h, NULL, 10, 2, &r, err, sizeof err), -1);
  cr_assert_null(r);
  cr_assert_not_null(strstr(err, "HTTP 500 after 2 retries"), "%s", err);
  cr_assert_eq(fake_http_request_count(g_srv), 3, "one try and two retries");

  /* A next link to another host is not followed, and the first page is
   * not written either. */
  fake_http *other = fake_http_start();
  hub h2 = {.per_page = 2, .total = 4, .task = "translation", .next_host = fake_http_url(other)};
  fake_http_set_handler(g_srv, hub_handler, &h2);
  baton__sync_opts o = {.base_url = fake_http_url(g_srv), .task = "translation", .limit = 10,
                        .max_wait_ms = 10, .fetch = baton__hub_http_get};
  cr_assert_eq(baton__registry_sync(reg, &o, &r, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "another host"), "%s", err);
  cr_assert_eq(fake_http_request_count(other), 0, "the other host is never asked");
  fake_http_stop(other);
  cr_assert_eq(db_int("SELECT count(*) FROM models"), before);

  /* Nobody listening. */
  baton__sync_opts dead = {.base_url = "http://127.0.0.1:1", .task = "translation", .limit = 5,
                           .max_wait_ms = 1, .max_retries = 1, .fetch = baton__hub_http_get};
  cr_assert_eq(baton__registry_sync(reg, &dead, &r, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "cannot reach the Hub"), "%s", err);
  baton__sync_opts unknown = dead;
  unknown.task = "smelling";
  cr_assert_eq(baton__registry_sync(reg, &unknown, &r, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "unknown task"), "%s", err);
  baton__registry_close(reg);
}

Test(registry_sync, local_edits_survive_a_sync) {
  baton__registry *reg = open_db();
  char err[512] = "";
  hub h = {.per_page = 10, .total = 3, .task = "object-detection"};
  cJSON *r = NULL;
  cr_assert_eq(sync_with(reg, &h, NULL, 10, 0, &r, err, sizeof err), 0, "%s", err);
  cJSON_Delete(r);
  /* The user rewrites one description and disables another model. */
  cJSON *e = cJSON_Parse("{\"id\": \"org1/model-1\", \"description\": \"My own words about "
                         "finding helmets\", \"enabled\": false}");
  cr_assert_eq(baton__registry_add(reg, e, NULL, err, sizeof err), 0, "%s", err);
  cJSON_Delete(e);
  /* The Hub's numbers move. */
  hub h2 = {.per_page = 10, .total = 3, .task = "object-detection", .bump = 500};
  cr_assert_eq(sync_with(reg, &h2, NULL, 10, 0, &r, err, sizeof err), 0, "%s", err);
  cr_assert_geq(num(r, "kept_local"), 1);
  cr_assert_eq(num(r, "updated"), 3, "every model takes the new counts");
  cJSON_Delete(r);
  cr_assert_eq(db_int("SELECT downloads FROM models WHERE id = 'org1/model-1'"), 100499);
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'org1/model-1'"
                      " AND description = 'My own words about finding helmets' AND enabled = 0"
                      " AND edited = 1"),
               1, "the edit and the disabled flag are kept");
  baton__registry_close(reg);
}

/* ---------------------------------------------------------------------- */
/* Pages shaped like the recorded Hub responses                             */

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *yget(yaml_document_t *doc, yaml_node_t *node, const char *key) {
  if (!node || node->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < node->data.mapping.pairs.top;
       q++) {
    yaml_node_t *k = yaml_document_get_node(doc, q->key);
    if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
      return yaml_document_get_node(doc, q->value);
  }
  return NULL;
}

/* The response bodies of the /api/models/<id> interactions in one cassette
 * (malloc'd JSON objects appended to items). */
static void cassette_items(const char *path, cJSON *items) {
  size_t len = 0;
  char *text = bt_slurp(path, &len);
  yaml_parser_t p;
  yaml_document_t doc;
  cr_assert(yaml_parser_initialize(&p));
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  if (!yaml_parser_load(&p, &doc)) {
    yaml_parser_delete(&p);
    free(text);
    return;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  yaml_node_t *inter = yget(&doc, root, "interactions");
  for (yaml_node_item_t *it = inter && inter->type == YAML_SEQUENCE_NODE
                                  ? inter->data.sequence.items.start
                                  : NULL;
       it && it < inter->data.sequence.items.top; it++) {
    yaml_node_t *x = yaml_document_get_node(&doc, *it);
    yaml_node_t *uri = yget(&doc, yget(&doc, x, "request"), "uri");
    yaml_node_t *body = yget(&doc, yget(&doc, yget(&doc, x, "response"), "body"), "string");
    if (!uri || !body || uri->type != YAML_SCALAR_NODE || body->type != YAML_SCALAR_NODE)
      continue;
    if (!strstr((char *)uri->data.scalar.value, "huggingface.co/api/models/"))
      continue;
    cJSON *o = cJSON_Parse((char *)body->data.scalar.value);
    if (cJSON_IsObject(o))
      cJSON_AddItemToArray(items, o);
    else
      cJSON_Delete(o);
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&p);
  free(text);
}

typedef struct cassette_hub {
  cJSON *items;
} cassette_hub;

/* Serves, for ?pipeline_tag=T, every cassette item of that tag as one page. */
static void cassette_handler(const fake_http_request *req, fake_http_response *resp, void *ud) {
  cassette_hub *ch = ud;
  const char *t = strstr(req->path, "pipeline_tag=");
  char tag[128] = "";
  if (t) {
    size_t n = strcspn(t + 13, "&");
    baton__fmt(tag, sizeof tag, "%.*s", (int)n, t + 13);
  }
  cJSON *page = cJSON_CreateArray();
  const cJSON *it;
  cJSON_ArrayForEach(it, ch->items) {
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(it, "pipeline_tag");
    if (cJSON_IsString(pt) && !strcmp(pt->valuestring, tag))
      cJSON_AddItemToArray(page, cJSON_Duplicate(it, true));
  }
  resp->status = 200;
  resp->body = cJSON_PrintUnformatted(page);
  resp->free_body = true;
  cJSON_Delete(page);
}

Test(registry_sync, items_shaped_like_the_recorded_hub_responses_sync) {
  char *dir = bt_shared_data("hf-cassettes");
  BT_SKIP_IF_NO_SHARED(dir, "hf-cassettes");
  cassette_hub ch = {.items = cJSON_CreateArray()};
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!baton__has_suffix_ci(de->d_name, ".yaml"))
      continue;
    char *p = baton__path_join(dir, de->d_name);
    cassette_items(p, ch.items);
    free(p);
  }
  closedir(d);
  cr_assert_geq(cJSON_GetArraySize(ch.items), 10, "the cassettes hold Hub model records");

  baton__registry *reg = open_db();
  fake_http_set_handler(g_srv, cassette_handler, &ch);
  int synced = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, ch.items) {
    const char *tag = cJSON_GetObjectItem(it, "pipeline_tag")->valuestring;
    const char *id = cJSON_GetObjectItem(it, "id")->valuestring;
    if (!baton__registry_task(reg, tag))
      continue;
    baton__sync_opts o = {.base_url = fake_http_url(g_srv), .task = tag, .limit = 50,
                          .max_wait_ms = 10, .fetch = baton__hub_http_get};
    cJSON *r = NULL;
    char err[512] = "";
    cr_assert_eq(baton__registry_sync(reg, &o, &r, err, sizeof err), 0, "%s: %s", tag, err);
    cr_assert_geq(num(r, "fetched"), 1);
    cJSON_Delete(r);
    char sql[512];
    baton__fmt(sql, sizeof sql, "SELECT downloads FROM models WHERE id = '%s'", id);
    cr_assert_eq(db_int(sql), (long long)cJSON_GetObjectItem(it, "downloads")->valuedouble,
                 "%s has the Hub's download count", id);
    synced++;
  }
  cr_assert_geq(synced, 10);
  /* A catalogue model keeps baton's own description, with the Hub's counts. */
  cr_assert_eq(db_int("SELECT count(*) FROM models WHERE id = 'facebook/detr-resnet-50'"
                      " AND source = 'catalogue' AND downloads = 1089904"),
               1);
  baton__registry_close(reg);
  cJSON_Delete(ch.items);
  free(dir);
}

/* ---------------------------------------------------------------------- */
/* Through the public API                                                   */

Test(registry_sync, public_api_syncs_from_the_configured_hub_and_shows_health) {
  hub h = {.per_page = 2, .total = 3, .task = "image-classification"};
  g_url = fake_http_url(g_srv);
  fake_http_set_handler(g_srv, hub_handler_url, &h);
  setenv("BATON_HOME", g_dir, 1);
  setenv("BATON_HUB_BASE_URL", g_url, 1);
  setenv("HF_TOKEN", "hf_api_token", 1);
  unsetenv("BATON_CONFIG");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
  char *json = NULL;
  cr_assert_eq(baton_models_sync(ctx, "image-classification", 5, &json), BATON_OK, "%s",
               baton_errmsg(ctx));
  cJSON *r = cJSON_Parse(json);
  cr_assert_eq(num(r, "inserted"), 3);
  cJSON_Delete(r);
  baton_free(json);
  fake_http_request *q = fake_http_request_get(g_srv, 0);
  cr_assert_str_eq(fake_http_request_header(q, "Authorization"), "Bearer hf_api_token");
  fake_http_request_free(q);

  cr_assert_eq(baton_models_sync(ctx, "no-such-task", 5, &json), BATON_NOTFOUND);
  cr_assert_eq(baton_models_show(ctx, "org0/model-0", &json), BATON_OK);
  r = cJSON_Parse(json);
  cr_assert_str_eq(cJSON_GetObjectItem(r, "source")->valuestring, "hub");
  cr_assert(cJSON_IsObject(cJSON_GetObjectItem(r, "health")));
  cJSON_Delete(r);
  baton_free(json);
  cr_assert_eq(baton_models_remove(ctx, "org0/model-0"), BATON_OK);
  cr_assert_eq(baton_models_show(ctx, "org0/model-0", &json), BATON_NOTFOUND);
  baton_close(ctx);
  unsetenv("BATON_HUB_BASE_URL");
  unsetenv("HF_TOKEN");
}
