/* listing.c — reading models back: one endpoint, the list of models, full-text search. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

int baton__registry_endpoint(baton__registry *reg, const char *id, char *out, size_t cap) {
  if (cap)
    out[0] = '\0';
  if (!reg || !id || !out || !cap)
    return -1;
  if (baton__registry_endpoint_model(reg, id, out, cap) == 0)
    return 0;
  int rc = -1;
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_endpoint;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *ep = (const char *)sqlite3_column_text(st, 0);
    /* An endpoint that does not fit is refused rather than cut. */
    if (ep && strlen(ep) < cap) {
      baton__fmt(out, cap, "%s", ep);
      rc = 0;
    }
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Listing and searching                                                    */

/* Adds {id, task, description, endpoint, downloads, likes, tags, license,
 * enabled} from a list/search row. NULL on allocation failure. */
static cJSON *row_to_json(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  const char *names[] = {"id", "task", "description", "endpoint"};
  for (int i = 0; i < 4; i++) {
    const unsigned char *s = sqlite3_column_text(st, i);
    if (!cJSON_AddStringToObject(o, names[i], s ? (const char *)s : ""))
      goto oom;
  }
  if (!cJSON_AddNumberToObject(o, "downloads", (double)sqlite3_column_int64(st, 4)) ||
      !cJSON_AddNumberToObject(o, "likes", (double)sqlite3_column_int64(st, 5)))
    goto oom;
  cJSON *tags = cJSON_AddArrayToObject(o, "tags");
  if (!tags)
    goto oom;
  const char *t = (const char *)sqlite3_column_text(st, 6);
  while (t && *t) {
    const char *comma = strchr(t, ',');
    size_t len = comma ? (size_t)(comma - t) : strlen(t);
    char *one = baton__strndup(t, len);
    cJSON *item = one ? cJSON_CreateString(one) : NULL;
    free(one);
    if (!item)
      goto oom;
    cJSON_AddItemToArray(tags, item);
    t = comma ? comma + 1 : NULL;
  }
  const unsigned char *lic = sqlite3_column_text(st, 7);
  if (!(lic ? cJSON_AddStringToObject(o, "license", (const char *)lic)
            : cJSON_AddNullToObject(o, "license")))
    goto oom;
  if (!cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 8) != 0))
    goto oom;
  return o;
oom:
  cJSON_Delete(o);
  return NULL;
}

void baton__registry_hide_endpoint(baton__registry *reg, const char *endpoint) {
  baton__fmt(reg->hidden, sizeof reg->hidden, "%s", endpoint ? endpoint : "");
}

/* How many models the hidden endpoint has (reg->lock held): a search asks for that many more. */
static size_t hidden_models(baton__registry *reg) {
  sqlite3_stmt *st = NULL;
  size_t n = 0;
  if (!reg->hidden[0] ||
      sqlite3_prepare_v2(reg->db, "SELECT count(*) FROM models WHERE endpoint = ?1", -1, &st,
                         NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return 0;
  }
  sqlite3_bind_text(st, 1, reg->hidden, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    n = (size_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

cJSON *baton__registry_list(baton__registry *reg, const char *task, int limit, char *err,
                            size_t errlen) {
  if (!reg) {
    baton__fmt(err, errlen, "not open");
    return NULL;
  }
  cJSON *arr = cJSON_CreateArray();
  if (!arr) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_lock(&reg->lock);
  sqlite3_stmt *st = reg->st_list;
  if (task)
    sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 1);
  sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
  if (reg->hidden[0])
    sqlite3_bind_text(st, 3, reg->hidden, -1, SQLITE_STATIC);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = row_to_json(st);
    if (!o) {
      s = SQLITE_NOMEM;
      break;
    }
    cJSON_AddItemToArray(arr, o);
  }
  if (s == SQLITE_NOMEM)
    baton__fmt(err, errlen, "out of memory");
  else if (s != SQLITE_DONE)
    baton__db_err(reg->db, err, errlen, "listing models failed");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  pthread_mutex_unlock(&reg->lock);
  if (s != SQLITE_DONE) {
    cJSON_Delete(arr);
    return NULL;
  }
  baton__registry_endpoint_list(reg, task, NULL, arr);
  return arr;
}


/* The words of text that a search looks for. Words of the task's name are
 * left out as in a match, unless they are all there is ("object detection"
 * within object-detection). false, with why, when there are none. */
static bool search_terms(const char *text, const char *task, qterms *tw, char *why, size_t cap) {
  if (baton__query_terms(text, task, tw) || (task && baton__query_terms(text, NULL, tw)))
    return true;
  baton__fmt(why, cap,
             "nothing to search for in \"%.64s\" (only letters and digits count, "
             "and common words are ignored)",
             text);
  return false;
}

bool baton__registry_searchable(const char *text, const char *task, char *why, size_t cap) {
  qterms tw;
  return text && search_terms(text, task, &tw, why, cap);
}

/* Adds a search's parts of m's score to o: kind_bonus and, when runs were asked, whether it is
 * "available" and its runnable_bonus. false when out of memory. */
static bool search_parts(cJSON *o, const baton__model *m, bool runs) {
  if (!cJSON_AddNumberToObject(o, "kind_bonus", m->kind_bonus))
    return false;
  return !runs || (cJSON_AddBoolToObject(o, "available", m->available) &&
                   cJSON_AddNumberToObject(o, "runnable_bonus", m->runnable_bonus));
}

/* Appends the listing item of each candidate, best score first, the hidden endpoint's left out,
 * with the parts of its score (reg->lock held); runs: whether availability was asked. 0, or -1
 * with err. */
static int cands_json(baton__registry *reg, cands *c, bool runs, cJSON *arr, char *err,
                      size_t errlen) {
  if (c->n > 1)
    qsort(c->v, c->n, sizeof *c->v, baton__cmp_model);
  sqlite3_stmt *st = reg->st_json;
  for (size_t i = 0; i < c->n; i++) {
    const baton__model *m = &c->v[i];
    if (reg->hidden[0] && m->endpoint && !strcmp(m->endpoint, reg->hidden))
      continue;
    sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    cJSON *o = s == SQLITE_ROW ? row_to_json(st) : NULL;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (s != SQLITE_ROW)
      return baton__db_err(reg->db, err, errlen, "model search failed"), -1;
    if (!o || !cJSON_AddNumberToObject(o, "score", m->score) ||
        !cJSON_AddNumberToObject(o, "relevance", m->relevance) ||
        !cJSON_AddNumberToObject(o, "popularity", m->popularity) ||
        !cJSON_AddNumberToObject(o, "health", m->health) ||
        !cJSON_AddNumberToObject(o, "local_bonus", m->local_bonus) ||
        !search_parts(o, m, runs)) {
      cJSON_Delete(o);
      return baton__fmt(err, errlen, "out of memory"), -1;
    }
    cJSON_AddItemToArray(arr, o);
  }
  return 0;
}

/* The items of a search into arr, registry locked: the best L (and the hidden endpoint's) by
 * score, in one pass; with runnable, the enabled models whose endpoint it holds are
 * "available" and have the runnable_bonus in their score. 0, or -1 with err. */
static int search_items(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                        const baton__epset *runnable, cJSON *arr, char *err, size_t errlen) {
  cands c;
  memset(&c, 0, sizeof c);
  pthread_mutex_lock(&reg->lock);
  bool txn = sqlite3_get_autocommit(reg->db) && sqlite3_step(reg->st_begin) == SQLITE_DONE;
  sqlite3_reset(reg->st_begin);
  size_t want = L + hidden_models(reg); /* asked for beyond L, as they are left out */
  double now = baton__wall_s();
  int rc = baton__rank_search(reg, task, tw, want, now, runnable, &c, err, errlen);
  if (!rc)
    rc = cands_json(reg, &c, runnable != NULL, arr, err, errlen);
  if (txn) {
    sqlite3_step(reg->st_commit);
    sqlite3_reset(reg->st_commit);
  }
  pthread_mutex_unlock(&reg->lock);
  baton__cands_release(&c);
  return rc;
}

/* Best score first, ties by id. */
static int cmp_item(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  double sx = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "score"));
  double sy = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(y, "score"));
  if (sx != sy)
    return sx > sy ? -1 : 1;
  return strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id")),
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "id")));
}

/* Gives each item the "reason" it is not "available" (null when it is), from ok() for an enabled
 * model; one whose endpoint ok() accepts after all (its task had too many endpoints for the
 * runnable set) becomes available, with BATON__RUNNABLE_BONUS added to its score. 0, or -1 when
 * out of memory. */
static int give_reasons(cJSON *arr, baton__endpoint_ok_fn ok, void *ud) {
  cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    char why[256] = "";
    cJSON *avail = cJSON_GetObjectItemCaseSensitive(o, "available");
    const char *ep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "endpoint"));
    bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "enabled"));
    if (!on)
      baton__fmt(why, sizeof why, "the model is disabled");
    else if (!cJSON_IsTrue(avail) && ep && ok(ud, ep, why, sizeof why)) {
      cJSON *score = cJSON_GetObjectItemCaseSensitive(o, "score");
      cJSON_SetNumberValue(score, cJSON_GetNumberValue(score) + BATON__RUNNABLE_BONUS);
      cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "runnable_bonus"),
                           BATON__RUNNABLE_BONUS);
      cJSON *yes = cJSON_CreateTrue();
      if (!yes || !cJSON_ReplaceItemInObjectCaseSensitive(o, "available", yes))
        return cJSON_Delete(yes), -1;
      avail = yes;
    }
    if (!(cJSON_IsTrue(avail) ? cJSON_AddNullToObject(o, "reason")
                              : cJSON_AddStringToObject(o, "reason", why)))
      return -1;
  }
  return 0;
}

/* Sorts arr best score first and keeps its first L items. 0, or -1 when out of memory. */
static int sort_items(cJSON *arr, size_t L) {
  size_t n = (size_t)cJSON_GetArraySize(arr);
  cJSON **v = malloc((n ? n : 1) * sizeof *v);
  if (!v)
    return -1;
  for (size_t i = n; i-- > 0;)
    v[i] = cJSON_DetachItemFromArray(arr, (int)i);
  qsort(v, n, sizeof *v, cmp_item);
  for (size_t i = 0; i < n; i++) {
    if (i < L)
      cJSON_AddItemToArray(arr, v[i]);
    else
      cJSON_Delete(v[i]);
  }
  free(v);
  return 0;
}

cJSON *baton__registry_search(baton__registry *reg, const char *text, const char *task,
                              int limit, char *err, size_t errlen) {
  return baton__registry_search_here(reg, text, task, limit, NULL, NULL, err, errlen);
}

cJSON *baton__registry_search_here(baton__registry *reg, const char *text, const char *task,
                                   int limit, baton__endpoint_ok_fn ok, void *ud, char *err,
                                   size_t errlen) {
  if (!reg) {
    baton__fmt(err, errlen, "not open");
    return NULL;
  }
  if (!text || !*text) {
    baton__fmt(err, errlen, "search needs some text to look for");
    return NULL;
  }
  qterms tw;
  if (!search_terms(text, task, &tw, err, errlen))
    return NULL;
  baton__epset runnable = {0};
  if (ok && baton__epset_runnable(reg, ok, ud, &runnable, err, errlen) < 0)
    return NULL;
  size_t L = limit > 0 ? (size_t)limit : ((size_t)1 << 30);
  cJSON *arr = cJSON_CreateArray();
  int rc = arr ? search_items(reg, task, &tw, L, ok ? &runnable : NULL, arr, err, errlen) : -1;
  baton__epset_release(&runnable);
  if (!arr || (!rc && ((ok && give_reasons(arr, ok, ud) != 0) || sort_items(arr, L) != 0))) {
    baton__fmt(err, errlen, "out of memory");
    rc = -1;
  }
  if (rc) {
    cJSON_Delete(arr);
    return NULL;
  }
  baton__registry_endpoint_list(reg, task, text, arr);
  return arr;
}
