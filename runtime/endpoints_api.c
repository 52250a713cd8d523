/* endpoints_api.c — the configured model servers as users see them: their models put into the registry at open, health kept there, `baton endpoints`, and `models sync --endpoint` suggestions. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/context.h"
#include "core/util.h"
#include "executors/openai.h"
#include "net/http.h"
#include "core/banned.h"

/* ---- at open -------------------------------------------------------------------- */

/* One {"id","tasks","endpoints":"a,b"} per model id, over every endpoint. */
static cJSON *declared_models(const baton__config *cfg) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t e = 0; arr && e < cfg->n_endpoints; e++) {
    const baton__endpoint_cfg *ep = &cfg->endpoints[e];
    for (size_t m = 0; m < ep->n_models; m++) {
      const baton__endpoint_model *md = &ep->models[m];
      cJSON *o = NULL, *it;
      cJSON_ArrayForEach(it, arr) if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "id")),
                                              md->id)) o = it;
      if (!o) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", md->id);
        cJSON_AddArrayToObject(o, "tasks");
        cJSON_AddStringToObject(o, "endpoints", ep->name);
        cJSON_AddItemToArray(arr, o);
      } else {
        const char *had = cJSON_GetStringValue(cJSON_GetObjectItem(o, "endpoints"));
        char joined[1024];
        baton__fmt(joined, sizeof joined, "%s,%s", had, ep->name);
        cJSON_ReplaceItemInObject(o, "endpoints", cJSON_CreateString(joined));
      }
      cJSON *tasks = cJSON_GetObjectItem(o, "tasks");
      for (size_t t = 0; t < md->n_tasks; t++) {
        char why[8];
        if (baton__oai_unserved(md->tasks[t], why, sizeof why))
          continue; /* not offered to the planner: see baton__endpoints_unserved() */
        bool dup = false;
        cJSON_ArrayForEach(it, tasks) dup = dup || !strcmp(it->valuestring, md->tasks[t]);
        if (!dup)
          cJSON_AddItemToArray(tasks, cJSON_CreateString(md->tasks[t]));
      }
    }
  }
  return arr;
}

bool baton__endpoints_unserved(const baton *ctx, const char *task, char *why, size_t cap) {
  for (size_t e = 0; e < ctx->cfg.n_endpoints; e++) {
    const baton__endpoint_cfg *ep = &ctx->cfg.endpoints[e];
    for (size_t m = 0; m < ep->n_models; m++)
      for (size_t t = 0; t < ep->models[m].n_tasks; t++) {
        char reason[400];
        if (strcmp(ep->models[m].tasks[t], task) != 0 ||
            !baton__oai_unserved(task, reason, sizeof reason))
          continue;
        baton__fmt(why, cap, "%s on endpoint %s declares it, but %s", ep->models[m].id,
                   ep->name, reason);
        return true;
      }
  }
  return false;
}

/* The pool saw an endpoint change: keep it in the registry for every
 * process (`baton endpoints` in another shell). */
static void record_health(void *ud, const baton__endpoint_health *h) {
  baton *ctx = ud;
  double now = baton__wall_s();
  baton__endpoint_state st = {
      .name = h->ep->name,
      .up = h->up,
      .consecutive_failures = h->consecutive_failures,
      .requests = h->requests,
      .failures = h->down + h->rate_limited + h->client_errors,
      .last_error = h->last_error[0] ? h->last_error : NULL,
      .last_error_at = h->last_error_s,
      .last_ok_at = h->last_ok_s,
      .retry_at = h->retry_in_ms > 0 ? now + h->retry_in_ms / 1000.0 : 0,
      .held_until = h->held_until_s,
      .held_reason = h->held_reason[0] ? h->held_reason : NULL,
      .held_count = h->limits,
      .answered = h->last_ok,
  };
  baton__registry_endpoint_health_put(ctx->reg, &st);
}

/* Before a request: the hold-off (a 429 it got) and the down state (it failed) any process on
 * this machine recorded for the server, so that a new process does not ask a server that said
 * to wait or that is known down. */
static void read_hold(void *ud, const baton__endpoint_cfg *ep, baton__pool_hold *out) {
  baton *ctx = ud;
  baton__registry_endpoint_hold(ctx->reg, ep->name, &out->until_s, &out->limits, out->reason,
                                sizeof out->reason);
  baton__registry_endpoint_down(ctx->reg, ep->name, &out->down_until_s, &out->fails,
                                out->last_error, sizeof out->last_error);
}

int baton__endpoints_open(baton *ctx, char *err, size_t errlen) {
  cJSON *models = declared_models(&ctx->cfg);
  if (!models) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  int rc = baton__registry_set_endpoint_models(ctx->reg, models, err, errlen);
  cJSON_Delete(models);
  baton__pool_on_health(ctx->pool, record_health, ctx);
  baton__pool_on_hold(ctx->pool, read_hold, ctx);
  return rc;
}

/* ---- baton endpoints -------------------------------------------------------------- */

static cJSON *endpoint_json(baton *ctx, const baton__endpoint_health *h) {
  const baton__endpoint_cfg *ep = h->ep;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", ep->name);
  cJSON_AddStringToObject(o, "base_url", ep->base_url);
  cJSON_AddNumberToObject(o, "max_inflight", ep->max_inflight);
  cJSON_AddBoolToObject(o, "key", ep->api_key != NULL); /* whether one is set, never the key */
  cJSON *models = cJSON_AddArrayToObject(o, "models");
  for (size_t m = 0; m < ep->n_models; m++) {
    cJSON *mo = cJSON_CreateObject();
    cJSON_AddStringToObject(mo, "id", ep->models[m].id);
    cJSON *ts = cJSON_AddArrayToObject(mo, "tasks");
    cJSON *un = NULL;
    for (size_t t = 0; t < ep->models[m].n_tasks; t++) {
      const char *task = ep->models[m].tasks[t];
      cJSON_AddItemToArray(ts, cJSON_CreateString(task));
      char why[400];
      if (!baton__oai_unserved(task, why, sizeof why))
        continue;
      /* Declared, but no model server can do it: said, never offered. */
      cJSON *u = cJSON_CreateObject();
      cJSON_AddStringToObject(u, "task", task);
      cJSON_AddStringToObject(u, "why", why);
      cJSON_AddItemToArray(un ? un : (un = cJSON_AddArrayToObject(mo, "unserved")), u);
    }
    cJSON_AddItemToArray(models, mo);
  }
  cJSON_AddNumberToObject(o, "in_flight", h->in_flight);
  /* Health as last recorded by any process, else this one's view. */
  cJSON *stored = baton__registry_endpoint_health(ctx->reg, ep->name);
  bool up = stored ? cJSON_IsTrue(cJSON_GetObjectItem(stored, "up")) : h->up;
  cJSON_AddStringToObject(o, "health", !stored && !h->requests ? "unknown" : up ? "up" : "down");
  const char *last = stored ? cJSON_GetStringValue(cJSON_GetObjectItem(stored, "last_error"))
                            : (h->last_error[0] ? h->last_error : NULL);
  if (last)
    cJSON_AddStringToObject(o, "last_error", last);
  else
    cJSON_AddNullToObject(o, "last_error");
  /* Held off (a 429): until when no request goes to it, by this process or any other. */
  double held = stored ? cJSON_GetNumberValue(cJSON_GetObjectItem(stored, "held_until")) : 0;
  const char *why = stored ? cJSON_GetStringValue(cJSON_GetObjectItem(stored, "held_reason")) : NULL;
  if (h->held_until_s > 0 && !(held > h->held_until_s)) {
    held = h->held_until_s;
    why = h->held_reason;
  }
  if (held > baton__wall_s()) {
    cJSON_AddNumberToObject(o, "held_until", held);
    cJSON_AddStringToObject(o, "held_reason", why && *why ? why : "429");
  }
  if (stored)
    cJSON_AddItemToObject(o, "recorded", stored);
  return o;
}

baton_rc baton_endpoints(baton *ctx, char **json_out) {
  *json_out = NULL;
  size_t n = baton__pool_size(ctx->pool);
  baton__endpoint_health *hs = calloc(n ? n : 1, sizeof *hs);
  cJSON *arr = cJSON_CreateArray();
  if (!hs || !arr) {
    free(hs);
    cJSON_Delete(arr);
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  n = baton__pool_snapshot(ctx->pool, hs, n);
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray(arr, endpoint_json(ctx, &hs[i]));
  free(hs);
  *json_out = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  return *json_out ? BATON_OK : baton__fail(ctx, BATON_NOMEM, "out of memory");
}

/* ---- models sync --endpoint ----------------------------------------------------------- */

/* Task kinds an id suggests (a guess shown to the user, never applied):
 * the first rule whose word the id contains wins; no word: a chat model. */
static const struct {
  const char *const words[8];
  const char *const tasks[8];
} suggest_rules[] = {
    {{"whisper", "transcribe", "parakeet", "canary", NULL}, {"automatic-speech-recognition", NULL}},
    {{"tts", "kokoro", "piper", "bark", "speecht5", "xtts", NULL}, {"text-to-speech", NULL}},
    {{"embed", "bge-", "e5-", "minilm", "gte-", "nomic", NULL},
     {"sentence-similarity", "feature-extraction", NULL}},
    {{"stable-diffusion", "sd-", "sdxl", "flux", "dall-e", "gpt-image", NULL},
     {"text-to-image", "image-editing", NULL}},
    {{"-vl", "vision", "llava", "gpt-4o", "minicpm-v", "pixtral", "gemma-3", NULL},
     {"image-to-text", "visual-question-answering", "document-question-answering",
      "image-classification", "object-detection", "summarization", "translation", NULL}},
    {{"", NULL},
     {"conversational", "text-generation", "summarization", "translation",
      "question-answering", "text-classification", NULL}},
};

static cJSON *suggest(const char *id) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t r = 0; r < sizeof suggest_rules / sizeof suggest_rules[0]; r++) {
    bool hit = false;
    for (size_t w = 0; suggest_rules[r].words[w] && !hit; w++)
      hit = strcasestr(id, suggest_rules[r].words[w]) != NULL;
    if (!hit)
      continue;
    for (size_t t = 0; suggest_rules[r].tasks[t]; t++)
      cJSON_AddItemToArray(arr, cJSON_CreateString(suggest_rules[r].tasks[t]));
    break;
  }
  return arr;
}

/* The YAML lines to paste under the endpoint's models:. */
static char *snippet(const cJSON *models) {
  baton__sb sb;
  baton__sb_init(&sb);
  const cJSON *m, *t;
  cJSON_ArrayForEach(m, models) {
    baton__sb_addf(&sb, "      - {id: %s, tasks: [", cJSON_GetStringValue(cJSON_GetObjectItem(m, "id")));
    bool first = true;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(m, "suggested_tasks")) {
      baton__sb_addf(&sb, "%s%s", first ? "" : ", ", t->valuestring);
      first = false;
    }
    baton__sb_adds(&sb, "]}\n");
  }
  return baton__sb_detach(&sb);
}

/* {"endpoint","models":[{id, declared, declared_tasks, suggested_tasks}],"config"}. */
static cJSON *sync_report(const baton__endpoint_cfg *ep, const cJSON *data) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "endpoint", ep->name);
  cJSON *models = cJSON_AddArrayToObject(o, "models");
  const cJSON *it;
  cJSON_ArrayForEach(it, data) {
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(it, "id"));
    if (!id || !*id || strlen(id) > 256)
      continue;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", id);
    cJSON *declared = NULL;
    for (size_t k = 0; k < ep->n_models; k++)
      if (!strcmp(ep->models[k].id, id)) {
        declared = cJSON_CreateArray();
        for (size_t t = 0; t < ep->models[k].n_tasks; t++)
          cJSON_AddItemToArray(declared, cJSON_CreateString(ep->models[k].tasks[t]));
      }
    cJSON_AddBoolToObject(m, "declared", declared != NULL);
    cJSON_AddItemToObject(m, "declared_tasks", declared ? declared : cJSON_CreateArray());
    cJSON_AddItemToObject(m, "suggested_tasks", suggest(id));
    cJSON_AddItemToArray(models, m);
  }
  char *yaml = snippet(models);
  cJSON_AddStringToObject(o, "config", yaml ? yaml : "");
  free(yaml);
  return o;
}

baton_rc baton_endpoint_models(baton *ctx, const char *name, char **json_out) {
  *json_out = NULL;
  const baton__endpoint_cfg *ep = name ? baton__config_endpoint(&ctx->cfg, name) : NULL;
  if (!ep)
    return baton__fail(ctx, BATON_NOTFOUND, "no endpoint named '%s' in the config (see `baton endpoints`)",
                       name ? name : "");
  char *url = baton__path_join(ep->base_url, "models");
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__http_request req = {.url = url, .method = "GET", .bearer = ep->api_key,
                             .timeout_ms = 30000, .max_body = 4u << 20};
  baton__http_rc hrc = url ? baton__http_perform(&req, &resp) : BATON__HTTP_ENOMEM;
  free(url);
  cJSON *j = hrc == BATON__HTTP_OK ? cJSON_ParseWithLength(resp.body, resp.body_len) : NULL;
  const cJSON *data = cJSON_GetObjectItem(j, "data");
  baton_rc rc = BATON_OK;
  if (!cJSON_IsArray(data)) {
    char msg[300] = "";
    if (hrc == BATON__HTTP_ESTATUS)
      baton__http_error_text(resp.body, resp.body_len, msg, sizeof msg);
    rc = baton__fail(ctx, BATON_IO, "endpoint %s: GET /models %s%s%s", ep->name,
                     hrc == BATON__HTTP_OK      ? "did not answer a model list"
                     : hrc == BATON__HTTP_ESTATUS ? "was refused"
                                                  : "failed: ",
                     hrc == BATON__HTTP_ESTATUS ? (msg[0] ? ": " : "") : resp.err,
                     hrc == BATON__HTTP_ESTATUS ? msg : "");
  } else {
    cJSON *report = sync_report(ep, data);
    *json_out = report ? cJSON_PrintUnformatted(report) : NULL;
    cJSON_Delete(report);
    if (!*json_out)
      rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  cJSON_Delete(j);
  baton__http_response_release(&resp);
  return rc;
}
