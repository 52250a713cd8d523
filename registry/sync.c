/* sync.c — Hub sync: pages through /api/models for one task (Link pagination, 429/5xx retries) and upserts, keeping local edits. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "core/banned.h"

#define SYNC_MAX_MODELS 100000
#define PAGE_MAX 100

void baton__hub_page_release(baton__hub_page *p) {
  if (!p)
    return;
  free(p->body);
  free(p->link);
  p->body = p->link = NULL;
  p->len = 0;
}

static void sleep_ms(long ms) {
  if (ms <= 0)
    return;
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void url_encode(baton__sb *sb, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '_' || *p == '.' || *p == '~')
      baton__sb_addc(sb, (char)*p);
    else
      baton__sb_addf(sb, "%%%02X", *p);
  }
}

/* The URL of rel="next" in a Link header (malloc'd), or NULL. */
static char *link_next(const char *link) {
  const char *p = link;
  while (p && *p) {
    const char *lt = strchr(p, '<');
    if (!lt)
      return NULL;
    const char *gt = strchr(lt, '>');
    if (!gt)
      return NULL;
    const char *end = strchr(gt, ',');
    const char *params_end = end ? end : gt + strlen(gt);
    const char *rel = strstr(gt, "rel=");
    if (rel && rel < params_end) {
      rel += 4;
      if (*rel == '"')
        rel++;
      if (!strncmp(rel, "next", 4) && (rel[4] == '"' || rel[4] == ';' || rel[4] == ',' ||
                                       rel[4] == ' ' || rel[4] == '\0'))
        return baton__strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

/* Whether url lies on base (same scheme, host and port). */
static bool same_origin(const char *url, const char *base) {
  const char *sep = strstr(base, "://");
  if (!sep)
    return false;
  const char *host_end = strchr(sep + 3, '/');
  size_t n = host_end ? (size_t)(host_end - base) : strlen(base);
  return !strncmp(url, base, n) && (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

/* Why o cannot be synced (into err), or 0 when it can. */
static int check_sync_opts(baton__registry *reg, const baton__sync_opts *o, cJSON **report,
                           char *err, size_t errlen) {
  if (!reg || !o || !report || !o->fetch || !o->base_url || !*o->base_url) {
    baton__fmt(err, errlen, "bad arguments to sync");
    return -1;
  }
  if (!o->task || !*o->task) {
    baton__fmt(err, errlen, "sync needs a task (--task T), e.g. object-detection");
    return -1;
  }
  if (!baton__registry_task(reg, o->task)) {
    baton__fmt(err, errlen, "unknown task '%s' (see `baton models list`)", o->task);
    return -1;
  }
  if (o->limit < 1 || o->limit > SYNC_MAX_MODELS) {
    baton__fmt(err, errlen, "the sync limit must be from 1 to %d", SYNC_MAX_MODELS);
    return -1;
  }
  return 0;
}

/* The first page's URL for o->task on base (malloc'd), or NULL. */
static char *first_page_url(const char *base, const baton__sync_opts *o) {
  baton__sb url;
  baton__sb_init(&url);
  baton__sb_addf(&url, "%s/api/models?pipeline_tag=", base);
  url_encode(&url, o->task);
  baton__sb_addf(&url,
                 "&sort=downloads&direction=-1&limit=%d"
                 "&expand%%5B%%5D=downloads&expand%%5B%%5D=likes&expand%%5B%%5D=tags"
                 "&expand%%5B%%5D=pipeline_tag&expand%%5B%%5D=cardData"
                 "&expand%%5B%%5D=library_name",
                 o->limit < PAGE_MAX ? o->limit : PAGE_MAX);
  return baton__sb_detach(&url);
}

/* The state of one sync while it pages through the Hub. */
typedef struct sync_run {
  const baton__sync_opts *o;
  const char *base; /* base URL without trailing '/' */
  cJSON *items;     /* the models fetched so far */
  int pages, retries, got;
} sync_run;

/* Fetches url into *page, retrying 429/408/5xx and failed connections with
 * backoff. 0 with a page to release, or -1 with err (nothing to release). */
static int fetch_page(sync_run *s, const char *url, baton__hub_page *page, char *err,
                      size_t errlen) {
  const baton__sync_opts *o = s->o;
  long max_wait = o->max_wait_ms > 0 ? o->max_wait_ms : 60000;
  int max_retries = o->max_retries > 0 ? o->max_retries : 5;
  for (int attempt = 0;; attempt++) {
    memset(page, 0, sizeof *page);
    page->retry_after = -1;
    int f = o->fetch(o->fetch_ud, url, o->token, page);
    bool again = f != 0 || page->status == 429 || page->status == 408 || page->status >= 500;
    if (!again)
      return 0;
    /* Nothing listening is unlikely to change soon: fewer tries. */
    if (attempt >= max_retries || (f != 0 && attempt >= 2)) {
      if (f != 0)
        baton__fmt(err, errlen, "cannot reach the Hub at %s (after %d tries): %s", s->base,
                   attempt + 1, page->err[0] ? page->err : "request failed");
      else
        baton__fmt(err, errlen, "the Hub still answers HTTP %d after %d retries (%s)",
                   page->status, max_retries,
                   page->status == 429 ? "rate limited; set HF_TOKEN for a higher limit"
                                       : "server error");
      baton__hub_page_release(page);
      return -1;
    }
    long wait = page->retry_after >= 0 ? (long)(page->retry_after * 1000.0)
                                        : 1000L << (attempt < 4 ? attempt : 3);
    if (wait > max_wait)
      wait = max_wait;
    baton__hub_page_release(page);
    sleep_ms(wait);
    s->retries++;
  }
}

/* Moves the models of an answered page into s->items, up to the limit.
 * 0, or -1 with err. */
static int take_page(sync_run *s, const baton__hub_page *page, char *err, size_t errlen) {
  if (page->status == 401 || page->status == 403) {
    baton__fmt(err, errlen, "the Hub refused the request (HTTP %d)%s", page->status,
               s->o->token ? ": check HF_TOKEN" : "");
    return -1;
  }
  if (page->status != 200) {
    baton__fmt(err, errlen, "the Hub answered HTTP %d: %.200s", page->status,
               page->body ? page->body : "");
    return -1;
  }
  s->pages++;
  cJSON *arr = page->body ? cJSON_ParseWithLength(page->body, page->len) : NULL;
  if (!cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    baton__fmt(err, errlen, "page %d from the Hub is not a JSON array of models", s->pages);
    return -1;
  }
  int n = cJSON_GetArraySize(arr);
  while (n > 0 && s->got < s->o->limit) {
    cJSON_AddItemToArray(s->items, cJSON_DetachItemFromArray(arr, 0));
    n--;
    s->got++;
  }
  cJSON_Delete(arr);
  return 0;
}

/* The next page's absolute URL from a Link header (malloc'd), NULL at the
 * end; *bad when it points at another host (err says so). */
static char *next_page_url(const char *base, const char *link, bool *bad, char *err,
                           size_t errlen) {
  char *next = link ? link_next(link) : NULL;
  if (next && next[0] == '/') {
    baton__sb abs;
    baton__sb_init(&abs);
    const char *sep = strstr(base, "://");
    const char *host_end = sep ? strchr(sep + 3, '/') : NULL;
    baton__sb_add(&abs, base, host_end ? (size_t)(host_end - base) : strlen(base));
    baton__sb_adds(&abs, next);
    free(next);
    next = baton__sb_detach(&abs);
  }
  if (next && !same_origin(next, base)) {
    baton__fmt(err, errlen, "the Hub's next page is on another host (%.200s); not followed",
               next);
    *bad = true;
  }
  return next;
}

/* Pages through the Hub from url (taken) until the limit or the last page.
 * 0, or -1 with err. */
static int fetch_all(sync_run *s, char *url, char *err, size_t errlen) {
  while (url && s->got < s->o->limit) {
    baton__hub_page page;
    if (fetch_page(s, url, &page, err, errlen)) {
      free(url);
      return -1;
    }
    free(url);
    url = NULL;
    bool bad = false;
    if (take_page(s, &page, err, errlen) == 0)
      url = next_page_url(s->base, page.link, &bad, err, errlen);
    else
      bad = true;
    baton__hub_page_release(&page);
    if (bad) {
      free(url);
      return -1;
    }
  }
  free(url);
  return 0;
}

/* Upserts the fetched models of task into u in pace's transactions,
 * counting the ones left out in *skipped. 0, or -1 with err. */
static int store_items(baton__upsert *u, baton__pace *pace, const cJSON *items, const char *task,
                       long *skipped, char *err, size_t errlen) {
  const cJSON *it;
  cJSON_ArrayForEach(it, items) {
    if (baton__pace_due(pace) && baton__pace_next(pace, err, errlen))
      return -1;
    baton__model_row row;
    baton__sb desc, tags;
    baton__sb_init(&desc);
    baton__sb_init(&tags);
    char why[256] = "";
    int w = 1;
    if (baton__hub_item(it, &row, &desc, &tags, why, sizeof why) == 0 &&
        strcmp(row.task, task) == 0) {
      char uerr[256] = "";
      char lic[257];
      if (row.license) {
        baton__fmt(lic, sizeof lic, "%s", row.license);
        row.license = lic;
      }
      w = baton__upsert_model(u, &row, uerr, sizeof uerr);
      if (w < 0)
        baton__fmt(err, errlen, "cannot store model '%s': %s", row.id, uerr);
    }
    baton__sb_release(&desc);
    baton__sb_release(&tags);
    if (w < 0)
      return -1;
    if (w == 1)
      (*skipped)++;
  }
  return 0;
}

/* The sync's report (caller frees with cJSON_Delete), or NULL. */
static cJSON *sync_report(const sync_run *s, const baton__upsert *u, long skipped) {
  cJSON *r = cJSON_CreateObject();
  if (!r)
    return NULL;
  cJSON_AddStringToObject(r, "task", s->o->task);
  cJSON_AddNumberToObject(r, "fetched", s->got);
  cJSON_AddNumberToObject(r, "inserted", (double)u->inserted);
  cJSON_AddNumberToObject(r, "updated", (double)u->updated);
  cJSON_AddNumberToObject(r, "unchanged", (double)u->unchanged);
  cJSON_AddNumberToObject(r, "kept_local", (double)u->kept_local);
  cJSON_AddNumberToObject(r, "skipped", (double)skipped);
  cJSON_AddNumberToObject(r, "pages", s->pages);
  cJSON_AddNumberToObject(r, "retries", s->retries);
  return r;
}

/* Writes everything fetched in paced transactions (other writers get the
 * lock between them; a failure midway leaves the ones before) and sets
 * *report. 0, or -1 with err. */
static int write_items(baton__registry *reg, const sync_run *s, cJSON **report, char *err,
                       size_t errlen) {
  sqlite3 *db = NULL;
  baton__upsert u;
  baton__pace pace = {.chunk_ms = BATON__WRITE_CHUNK_MS, .paused = reg->write_paused,
                      .ud = reg->write_paused_ud};
  long skipped = 0;
  int rc = -1;
  if (baton__registry_writer(reg, &db, err, errlen))
    return -1;
  if (baton__upsert_init(&u, db, BATON__UPSERT_HUB, "hub", err, errlen)) {
    sqlite3_close_v2(db);
    return -1;
  }
  if (baton__pace_begin(&pace, db, "the sync", err, errlen))
    goto out;
  if (store_items(&u, &pace, s->items, s->o->task, &skipped, err, errlen) ||
      baton__pace_commit(&pace, err, errlen)) {
    baton__pace_rollback(&pace);
    goto out;
  }
  *report = sync_report(s, &u, skipped);
  if (*report) {
    baton__fts_merge_into_report(db, *report);
    rc = 0;
  } else {
    baton__fmt(err, errlen, "out of memory");
  }
out:
  baton__upsert_release(&u);
  sqlite3_close_v2(db);
  return rc;
}

int baton__registry_sync(baton__registry *reg, const baton__sync_opts *o, cJSON **report,
                         char *err, size_t errlen) {
  if (report)
    *report = NULL;
  if (check_sync_opts(reg, o, report, err, errlen))
    return -1;
  baton__sb base;
  baton__sb_init(&base);
  baton__sb_adds(&base, o->base_url);
  while (base.len && base.buf[base.len - 1] == '/')
    base.buf[--base.len] = '\0';
  sync_run s = {.o = o, .base = base.buf, .items = cJSON_CreateArray()};
  char *url = baton__sb_ok(&base) ? first_page_url(base.buf, o) : NULL;
  int rc = -1;
  if (!s.items || !url) {
    free(url);
    baton__fmt(err, errlen, "out of memory");
  } else if (fetch_all(&s, url, err, errlen) == 0) {
    rc = write_items(reg, &s, report, err, errlen);
  }
  cJSON_Delete(s.items);
  baton__sb_release(&base);
  return rc;
}
