/* openai_embed.c — the "openai" executor's /embeddings tasks: sentence-similarity (cosine of the text against each sentence) and feature-extraction. */
#include "executors/openai.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/util.h"
#include "executors/hf.h"
#include "net/http.h"
#include "core/banned.h"

/* Inputs per request: TEI refuses more than 32 by default
 * (--max-client-batch-size), OpenAI 2048. */
#define OAI_EMBED_BATCH 32
/* Sentences compared at most, and the largest answer read. */
#define OAI_MAX_SENTENCES 256
#define OAI_MAX_EMBED_BODY (32u * 1024u * 1024u)

/* The texts to embed: the text, then for sentence-similarity each sentence
 * ("sentences" as a JSON array or one a line, then text2..text9). */
static cJSON *inputs_of(const baton__oai_call *c) {
  cJSON *arr = cJSON_CreateArray();
  const char *src = baton__oai_arg(c->in, "source_sentence") ? baton__oai_arg(c->in, "source_sentence")
                                                             : baton__oai_arg(c->in, "text");
  if (!arr || !src) {
    cJSON_Delete(arr);
    return NULL;
  }
  cJSON_AddItemToArray(arr, cJSON_CreateString(src));
  if (strcmp(c->task->name, "sentence-similarity") != 0)
    return arr;
  const char *s = baton__oai_arg(c->in, "sentences");
  cJSON *list = s && s[0] == '[' ? cJSON_Parse(s) : NULL;
  const cJSON *it;
  if (cJSON_IsArray(list)) {
    cJSON_ArrayForEach(it, list) if (cJSON_IsString(it) && *it->valuestring)
        cJSON_AddItemToArray(arr, cJSON_CreateString(it->valuestring));
  } else if (s) {
    char *copy = baton__strdup(s);
    for (char *cur = copy, *line; (line = baton__token(&cur, "\n"));)
      if (*baton__trim(line))
        cJSON_AddItemToArray(arr, cJSON_CreateString(line));
    free(copy);
  }
  cJSON_Delete(list);
  for (int k = 2; k <= 9; k++) {
    char name[8];
    baton__fmt(name, sizeof name, "text%d", k);
    if (baton__oai_arg(c->in, name))
      cJSON_AddItemToArray(arr, cJSON_CreateString(baton__oai_arg(c->in, name)));
  }
  return arr;
}

/* One vector from an item: a float list, or base64 little-endian float32. */
static cJSON *vector_of(const cJSON *item) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(item, "embedding");
  if (cJSON_IsArray(e))
    return cJSON_Duplicate(e, 1);
  if (!cJSON_IsString(e))
    return NULL;
  size_t len = 0;
  unsigned char *b = baton__b64_decode(e->valuestring, strlen(e->valuestring), &len);
  cJSON *v = b && len % 4 == 0 ? cJSON_CreateArray() : NULL;
  for (size_t i = 0; v && i < len; i += 4) {
    uint32_t u = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
                 (uint32_t)b[i + 3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    cJSON_AddItemToArray(v, cJSON_CreateNumber(f));
  }
  free(b);
  return v;
}

/* Embeds batch (one request); appends the vectors, in input order, to vecs. */
static baton__oai_outcome embed_batch(baton__oai_call *c, const char *url, cJSON *batch,
                                      cJSON *vecs) {
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "model", c->t->model);
  cJSON_AddItemReferenceToObject(doc, "input", batch);
  cJSON_AddStringToObject(doc, "encoding_format", "float");
  char *body = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__http_request req = {.url = url, .body = body, .body_len = body ? strlen(body) : 0,
                             .content_type = "application/json", .max_body = OAI_MAX_EMBED_BODY};
  baton__oai_outcome o = body ? baton__oai_send(c, &req, &resp) : BATON__OAI_FAILED;
  free(body);
  if (o == BATON__OAI_DONE) {
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.body_len);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    int n = cJSON_GetArraySize(batch);
    cJSON **got = calloc((size_t)n, sizeof *got);
    const cJSON *it;
    int k = 0;
    cJSON_ArrayForEach(it, data) {
      const cJSON *ix = cJSON_GetObjectItemCaseSensitive(it, "index");
      int at = cJSON_IsNumber(ix) ? (int)ix->valuedouble : k;
      k++;
      if (got && at >= 0 && at < n && !got[at])
        got[at] = vector_of(it);
    }
    for (int i = 0; i < n; i++)
      if (!got || !got[i])
        o = BATON__OAI_FAILED;
    for (int i = 0; i < n; i++) {
      if (o == BATON__OAI_DONE)
        cJSON_AddItemToArray(vecs, got[i]);
      else
        cJSON_Delete(got ? got[i] : NULL);
    }
    free(got);
    cJSON_Delete(j);
    if (o != BATON__OAI_DONE)
      o = baton__oai_bad_reply(c, resp.body, resp.body_len);
  }
  baton__http_response_release(&resp);
  return o;
}

static double cosine(const cJSON *a, const cJSON *b) {
  double dot = 0, na = 0, nb = 0;
  for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next) {
    dot += x->valuedouble * y->valuedouble;
    na += x->valuedouble * x->valuedouble;
    nb += y->valuedouble * y->valuedouble;
  }
  return na > 0 && nb > 0 ? dot / (sqrt(na) * sqrt(nb)) : 0;
}

/* The vectors as Hugging Face shapes them. */
static baton__oai_outcome embed_out(baton__oai_call *c, cJSON *vecs) {
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON *j;
  if (strcmp(c->task->name, "sentence-similarity") == 0) {
    j = cJSON_CreateArray();
    for (const cJSON *v = vecs->child->next; v; v = v->next) {
      double s = cosine(vecs->child, v);
      cJSON_AddItemToArray(j, cJSON_CreateNumber(s));
      baton__sb_addf(&sb, "%s%.2f", sb.len ? ", " : "", s);
    }
  } else {
    j = cJSON_Duplicate(vecs, 1);
    baton__sb_addf(&sb, "embedding of shape 1x%d", cJSON_GetArraySize(vecs->child));
  }
  int rc = baton__oai_out(c, "text", BATON__T_TEXT, baton__sb_detach(&sb));
  if (rc == 0)
    rc = baton__oai_out_json(c, j);
  cJSON_Delete(j);
  return rc == 0 ? BATON__OAI_DONE : BATON__OAI_FAILED;
}

baton__oai_outcome baton__oai_embed(baton__oai_call *c) {
  cJSON *in = inputs_of(c);
  bool sim = strcmp(c->task->name, "sentence-similarity") == 0;
  int n = cJSON_GetArraySize(in);
  if (!in || (sim && n < 2) || n > OAI_MAX_SENTENCES + 1) {
    cJSON_Delete(in);
    baton__fmt(c->env->err, sizeof c->env->err, "%s: %s", c->task->name,
               !in ? "a non-empty \"text\" argument is needed"
               : n < 2 ? "sentences to compare the text with are needed (\"sentences\" or text2)"
                       : "too many sentences (at most 256)");
    return BATON__OAI_FAILED;
  }
  char *url = baton__oai_url(c->t->base_url, "/embeddings");
  cJSON *vecs = cJSON_CreateArray();
  baton__oai_outcome o = url && vecs ? BATON__OAI_DONE : BATON__OAI_FAILED;
  for (int from = 0; o == BATON__OAI_DONE && from < n; from += OAI_EMBED_BATCH) {
    cJSON *batch = cJSON_CreateArray();
    for (int i = from; i < n && i < from + OAI_EMBED_BATCH; i++)
      cJSON_AddItemToArray(batch, cJSON_Duplicate(cJSON_GetArrayItem(in, i), 0));
    o = embed_batch(c, url, batch, vecs);
    cJSON_Delete(batch);
  }
  if (o == BATON__OAI_DONE)
    o = embed_out(c, vecs);
  cJSON_Delete(vecs);
  cJSON_Delete(in);
  free(url);
  return o;
}
