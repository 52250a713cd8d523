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

int baton__registry_sync(baton__registry *reg, const baton__sync_opts *o, cJSON **report,
                         char *err, size_t errlen) {
  if (report)
    *report = NULL;
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
  long max_wait = o->max_wait_ms > 0 ? o->max_wait_ms : 60000;
  int max_retries = o->max_retries > 0 ? o->max_retries : 5;
  baton__sb base, url;
  baton__sb_init(&base);
  baton__sb_init(&url);
  baton__sb_adds(&base, o->base_url);
  while (base.len && base.buf[base.len - 1] == '/')
    base.buf[--base.len] = '\0';
  baton__sb_addf(&url, "%s/api/models?pipeline_tag=", base.buf);
  url_encode(&url, o->task);
  baton__sb_addf(&url,
                 "&sort=downloads&direction=-1&limit=%d"
                 "&expand%%5B%%5D=downloads&expand%%5B%%5D=likes&expand%%5B%%5D=tags"
                 "&expand%%5B%%5D=pipeline_tag&expand%%5B%%5D=cardData"
                 "&expand%%5B%%5D=library_name",
                 o->limit < PAGE_MAX ? o->limit : PAGE_MAX);
  cJSON *items = cJSON_CreateArray();
  char *next = baton__sb_detach(&url);
  int rc = -1, pages = 0, retries = 0, got = 0;
  if (!items || !next || !baton__sb_ok(&base)) {
    baton__fmt(err, errlen, "out of memory");
    goto out;
  }
  while (next && got < o->limit) {
    baton__hub_page page;
    int attempt = 0;
    for (;;) {
      memset(&page, 0, sizeof page);
      page.retry_after = -1;
      int f = o->fetch(o->fetch_ud, next, o->token, &page);
      bool again = f != 0 || page.status == 429 || page.status == 408 || page.status >= 500;
      if (!again)
        break;
      /* Nothing listening is unlikely to change soon: fewer tries. */
      if (attempt >= max_retries || (f != 0 && attempt >= 2)) {
        if (f != 0)
          baton__fmt(err, errlen, "cannot reach the Hub at %s (after %d tries): %s", base.buf,
                     attempt + 1, page.err[0] ? page.err : "request failed");
        else
          baton__fmt(err, errlen, "the Hub still answers HTTP %d after %d retries (%s)",
                     page.status, max_retries,
                     page.status == 429 ? "rate limited; set HF_TOKEN for a higher limit"
                                        : "server error");
        baton__hub_page_release(&page);
        goto out;
      }
      long wait = page.retry_after >= 0 ? (long)(page.retry_after * 1000.0)
                                         : 1000L << (attempt < 4 ? attempt : 3);
      if (wait > max_wait)
        wait = max_wait;
      baton__hub_page_release(&page);
      sleep_ms(wait);
      attempt++;
      retries++;
    }
    if (page.status == 401 || page.status == 403) {
      baton__fmt(err, errlen, "the Hub refused the request (HTTP %d)%s", page.status,
                 o->token ? ": check HF_TOKEN" : "");
      baton__hub_page_release(&page);
      goto out;
    }
    if (page.status != 200) {
      baton__fmt(err, errlen, "the Hub answered HTTP %d: %.200s", page.status,
                 page.body ? page.body : "");
      baton__hub_page_release(&page);
      goto out;
    }
    pages++;
    cJSON *arr = page.body ? cJSON_ParseWithLength(page.body, page.len) : NULL;
    if (!cJSON_IsArray(arr)) {
      cJSON_Delete(arr);
      baton__fmt(err, errlen, "page %d from the Hub is not a JSON array of models", pages);
      baton__hub_page_release(&page);
      goto out;
    }
    int n = cJSON_GetArraySize(arr);
    while (n > 0 && got < o->limit) {
      cJSON *it = cJSON_DetachItemFromArray(arr, 0);
      n--;
      cJSON_AddItemToArray(items, it);
      got++;
    }
    cJSON_Delete(arr);
    free(next);
    next = page.link ? link_next(page.link) : NULL;
    baton__hub_page_release(&page);
    if (next && next[0] == '/') {
      baton__sb abs;
      baton__sb_init(&abs);
      const char *sep = strstr(base.buf, "://");
      const char *host_end = sep ? strchr(sep + 3, '/') : NULL;
      baton__sb_add(&abs, base.buf, host_end ? (size_t)(host_end - base.buf) : base.len);
      baton__sb_adds(&abs, next);
      free(next);
      next = baton__sb_detach(&abs);
    }
    if (next && !same_origin(next, base.buf)) {
      baton__fmt(err, errlen, "the Hub's next page is on another host (%.200s); not followed",
                 next);
      goto out;
    }
  }

  /* Write everything in one transaction. */
  sqlite3 *db = NULL;
  baton__upsert u;
  bool have_u = false;
  long skipped = 0;
  if (baton__registry_writer(reg, &db, err, errlen))
    goto out;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot start writing: %s", sqlite3_errmsg(db));
    goto write_out;
  }
  if (baton__upsert_init(&u, db, BATON__UPSERT_HUB, "hub", err, errlen))
    goto write_fail;
  have_u = true;
  const cJSON *it;
  cJSON_ArrayForEach(it, items) {
    baton__model_row row;
    baton__sb desc, tags;
    baton__sb_init(&desc);
    baton__sb_init(&tags);
    char why[256] = "";
    int r = baton__hub_item(it, &row, &desc, &tags, why, sizeof why);
    if (r != 0 || strcmp(row.task, o->task) != 0) {
      skipped++;
    } else {
      char uerr[256] = "";
      char lic[257];
      if (row.license) {
        baton__fmt(lic, sizeof lic, "%s", row.license);
        row.license = lic;
      }
      int w = baton__upsert_model(&u, &row, uerr, sizeof uerr);
      if (w == 1) {
        skipped++;
      } else if (w < 0) {
        baton__fmt(err, errlen, "cannot store model '%s': %s", row.id, uerr);
        baton__sb_release(&desc);
        baton__sb_release(&tags);
        goto write_fail;
      }
    }
    baton__sb_release(&desc);
    baton__sb_release(&tags);
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot commit the sync: %s", sqlite3_errmsg(db));
    goto write_fail;
  }
  cJSON *r = cJSON_CreateObject();
  if (r) {
    cJSON_AddStringToObject(r, "task", o->task);
    cJSON_AddNumberToObject(r, "fetched", got);
    cJSON_AddNumberToObject(r, "inserted", (double)u.inserted);
    cJSON_AddNumberToObject(r, "updated", (double)u.updated);
    cJSON_AddNumberToObject(r, "unchanged", (double)u.unchanged);
    cJSON_AddNumberToObject(r, "kept_local", (double)u.kept_local);
    cJSON_AddNumberToObject(r, "skipped", (double)skipped);
    cJSON_AddNumberToObject(r, "pages", pages);
    cJSON_AddNumberToObject(r, "retries", retries);
    *report = r;
    rc = 0;
  } else {
    baton__fmt(err, errlen, "out of memory");
  }
  goto write_out;
write_fail:
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
write_out:
  if (have_u)
    baton__upsert_release(&u);
  sqlite3_close_v2(db);
out:
  free(next);
  cJSON_Delete(items);
  baton__sb_release(&base);
  return rc;
}
