/* openai_chat.c — the "openai" executor's chat tasks: the request (prompt, image or audio part, response_format with its fallback chain) and the answer as Hugging Face-shaped outputs. */
#include "executors/openai.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base64.h"
#include "core/template.h"
#include "core/util.h"
#include "executors/asked.h"
#include "executors/chat_history.h"
#include "executors/hf.h"
#include "executors/llm_client.h"
#include "net/http.h"
#include "core/banned.h"

/* The largest picture or recording sent inline in a chat request. OpenAI
 * takes 20 MB a picture, LocalAI 15 MB a whole request, llama.cpp fetches
 * 10 MB: 8 MiB of file (about 11 MB in base64) fits them all. */
#define OAI_MAX_MEDIA_BYTES (8u * 1024u * 1024u)
/* Largest chat answer read. */
#define OAI_MAX_CHAT_BODY (4u * 1024u * 1024u)


/* ---- the prompt ------------------------------------------------------------ */

/* A list argument (JSON array of strings, or "a, b, c") as "a, b, c"; NULL
 * when absent or empty. Caller frees. */
static char *list_text(const char *s) {
  if (!s)
    return NULL;
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON *arr = s[0] == '[' ? cJSON_Parse(s) : NULL;
  if (cJSON_IsArray(arr)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && *it->valuestring)
        baton__sb_addf(&sb, "%s%s", sb.len ? ", " : "", it->valuestring);
  } else {
    baton__sb_adds(&sb, s);
  }
  cJSON_Delete(arr);
  if (!sb.len) {
    baton__sb_release(&sb);
    return NULL;
  }
  return baton__sb_detach(&sb);
}

/* The table argument: "table", else the first JSON value. */
static const char *table_arg(const baton__values *in) {
  const char *t = baton__oai_arg(in, "table");
  if (!t) {
    const baton__value *v = baton__values_get_type(in, BATON__T_JSON);
    t = v && v->data && *v->data ? v->data : NULL;
  }
  return t;
}

/* Checks the task's inputs; 0 or -1 with env->err saying what is missing. */
static int check_inputs(const baton__oai_call *c, const char *labels) {
  const char *task = c->task->name, *why = NULL;
  const baton__values *in = c->in;
  bool question = baton__oai_arg(in, "question") != NULL;
  if (!strcmp(task, "translation") && !baton__oai_arg(in, "tgt_lang"))
    why = "translation needs \"tgt_lang\" (the target language, e.g. \"fr\")";
  else if (!strcmp(task, "question-answering") &&
           (!question || !(baton__oai_arg(in, "context") || baton__oai_arg(in, "text"))))
    why = "question-answering needs a question and a context (the text)";
  else if (strstr(task, "zero-shot") && !labels)
    why = "zero-shot classification needs candidate labels: pass labels=\"a,b,c\"";
  else if (!strcmp(task, "table-question-answering") &&
           (!table_arg(in) || !(baton__oai_arg(in, "query") || baton__oai_arg(in, "question") ||
                                baton__oai_arg(in, "text"))))
    why = "table-question-answering needs a query and a table (a JSON object of columns)";
  else if (strstr(task, "visual-question") || strstr(task, "document-question")) {
    if (!question && !baton__oai_arg(in, "text"))
      why = "a question about the picture is needed (\"question\" or a text)";
  } else if (!c->task->media && !baton__oai_arg(in, "text") &&
             strcmp(task, "question-answering") && strcmp(task, "table-question-answering"))
    why = "a non-empty \"text\" argument is needed";
  if (!why && c->task->media && !baton__oai_file(in, c->task->media))
    why = c->task->media == BATON__T_IMAGE ? "an image input is needed" : "an audio input is needed";
  if (why) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s: %s", task, why);
    c->env->bad_input = true; /* the task's arguments: not the model's fault */
    return -1;
  }
  return 0;
}

/* The user message for the task. Caller frees; NULL with env->err. */
static char *user_text(const baton__oai_call *c, const char *tmpl) {
  const baton__values *in = c->in;
  const char *text = baton__oai_arg(in, "text");
  const char *question = baton__oai_arg(in, "question") ? baton__oai_arg(in, "question") : text;
  const char *context = baton__oai_arg(in, "context") ? baton__oai_arg(in, "context") : text;
  const char *query = baton__oai_arg(in, "query") ? baton__oai_arg(in, "query") : question;
  char *labels = list_text(baton__oai_arg(in, "candidate_labels")
                               ? baton__oai_arg(in, "candidate_labels")
                               : baton__oai_arg(in, "labels"));
  if (!labels && !strcmp(c->task->name, "zero-shot-image-classification"))
    labels = list_text(text);
  if (check_inputs(c, labels) != 0) {
    free(labels);
    return NULL;
  }
  const char *vars[] = {"text", text, "question", question, "context", context, "query", query,
                        "table", table_arg(in), "candidate_labels", labels, "tgt_lang",
                        baton__oai_arg(in, "tgt_lang"), "src_lang", baton__oai_arg(in, "src_lang"),
                        NULL};
  char *s = baton__prompt_render(tmpl, vars);
  free(labels);
  if (!s)
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  return s;
}

/* The system message: the template with the source language clause (or the language of the
 * words on a picture), then what the user asked in their own words (the task's instruction), if
 * anything. */
static char *system_text(const baton__oai_call *c, const char *tmpl) {
  const char *src = baton__oai_arg(c->in, "src_lang"), *lang = baton__oai_arg(c->in, "lang");
  char clause[96] = "", lclause[96] = "", asked[BATON__ASKED_MAX + 128];
  if (src)
    baton__fmt(clause, sizeof clause, " from the language \"%.40s\"", src);
  if (lang)
    baton__fmt(lclause, sizeof lclause, " (it is in the language \"%.40s\")", lang);
  const char *vars[] = {"src_clause", clause, "lang_clause", lclause,
                        "tgt_lang", baton__oai_arg(c->in, "tgt_lang"), NULL};
  char *sys = baton__prompt_render(tmpl, vars);
  if (!sys || !*baton__asked_clause(c->in, asked, sizeof asked))
    return sys;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, baton__trim(sys));
  baton__sb_adds(&sb, asked);
  free(sys);
  return baton__sb_detach(&sb);
}

/* ---- media parts ------------------------------------------------------------ */

/* A picture over the inline bound, halved (at most four times) by the
 * runtime's local resizer into *path (in buf). 0, or -1 with env->err. */
static int fit_picture(const baton__oai_call *c, const char **path, char *buf, size_t cap) {
  baton__exec_env *env = c->env;
  struct stat sb;
  for (int i = 0; stat(*path, &sb) == 0 && (size_t)sb.st_size > OAI_MAX_MEDIA_BYTES; i++) {
    char why[300] = "no resizer is offered here";
    if (c->task->media != BATON__T_IMAGE || i == 4 || !env->shrink_image ||
        env->shrink_image(env->shrink_ud, *path, buf, cap, why, sizeof why) != 0) {
      baton__fmt(env->err, sizeof env->err,
                 "%s is larger than %u MiB, the most a model server takes inline, and could "
                 "not be made smaller: %s",
                 *path, OAI_MAX_MEDIA_BYTES >> 20,
                 c->task->media == BATON__T_IMAGE ? why : "recordings are not shrunk");
      return -1;
    }
    *path = buf;
  }
  return 0;
}

/* The picture or recording as a content part. NULL with env->err. */
static cJSON *media_part(const baton__oai_call *c) {
  baton__exec_env *env = c->env;
  const char *path = baton__oai_file(c->in, c->task->media);
  char small[4096];
  char *data = NULL;
  size_t len = 0;
  if (fit_picture(c, &path, small, sizeof small) != 0 ||
      baton__oai_read(env, path, OAI_MAX_MEDIA_BYTES, &data, &len) != 0)
    return NULL;
  const char *mime = baton__hf_input_mime((const unsigned char *)data, len, path);
  bool image = c->task->media == BATON__T_IMAGE;
  /* Ollama takes jpeg, png and webp only; input_audio takes wav or mp3. */
  const char *fmt = !strcmp(mime, "audio/wav") ? "wav" : !strcmp(mime, "audio/mpeg") ? "mp3" : NULL;
  bool ok = image ? (!strcmp(mime, "image/png") || !strcmp(mime, "image/jpeg") ||
                     !strcmp(mime, "image/webp"))
                  : fmt != NULL;
  if (!ok) {
    free(data);
    baton__fmt(env->err, sizeof env->err, "%s is %s; model servers take %s", path, mime,
               image ? "PNG, JPEG or WebP pictures" : "WAV or MP3 recordings");
    return NULL;
  }
  char *b64 = baton__b64_encode(data, len);
  free(data);
  cJSON *part = cJSON_CreateObject();
  if (!b64 || !part) {
    free(b64);
    cJSON_Delete(part);
    baton__fmt(env->err, sizeof env->err, "out of memory encoding %s", path);
    return NULL;
  }
  if (image) {
    baton__sb url;
    baton__sb_init(&url);
    baton__sb_addf(&url, "data:%s;base64,", mime);
    baton__sb_adds(&url, b64);
    cJSON_AddStringToObject(part, "type", "image_url");
    cJSON *iu = cJSON_AddObjectToObject(part, "image_url");
    cJSON_AddStringToObject(iu, "url", url.buf ? url.buf : "");
    baton__sb_release(&url);
  } else {
    cJSON_AddStringToObject(part, "type", "input_audio");
    cJSON *ia = cJSON_AddObjectToObject(part, "input_audio");
    cJSON_AddStringToObject(ia, "data", b64);
    cJSON_AddStringToObject(ia, "format", fmt);
  }
  free(b64);
  return part;
}

/* ---- the request ------------------------------------------------------------ */

/* The request body (without response_format); NULL with env->err. */
static cJSON *chat_body(const baton__oai_call *c, const char *sys_t, const char *user_t) {
  cJSON *history = NULL;
  if (baton__chat_history(c->in, &history, c->env) != 0)
    return NULL;
  char *sys = system_text(c, sys_t);
  char *user = user_text(c, user_t);
  cJSON *part = user && c->task->media ? media_part(c) : NULL;
  cJSON *doc = NULL;
  if (sys && user && (part || !c->task->media)) {
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model", c->t->model);
    cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "system");
    cJSON_AddStringToObject(m, "content", sys);
    cJSON_AddItemToArray(msgs, m);
    bool kept = baton__chat_history_append(msgs, history);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    if (part) {
      cJSON *parts = cJSON_AddArrayToObject(m, "content");
      cJSON *tp = cJSON_CreateObject();
      cJSON_AddStringToObject(tp, "type", "text");
      cJSON_AddStringToObject(tp, "text", *user ? user : "(see the attachment)");
      cJSON_AddItemToArray(parts, tp);
      cJSON_AddItemToArray(parts, part);
      part = NULL;
    } else {
      cJSON_AddStringToObject(m, "content", user);
    }
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddBoolToObject(doc, "stream", false);
    cJSON_AddNumberToObject(doc, "temperature", 0);
    if (!kept) {
      cJSON_Delete(doc), doc = NULL;
      baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
    }
  } else if (!sys) {
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  }
  cJSON_Delete(part), cJSON_Delete(history);
  free(sys);
  free(user);
  return doc;
}

/* POSTs the chat, walking the response_format chain; on DONE *content is
 * the assistant's text (caller frees). */
static baton__oai_outcome post_chat(baton__oai_call *c, cJSON *doc, const char *schema,
                                    char **content) {
  char *url = baton__oai_url(c->t->base_url, "/chat/completions");
  baton__oai_outcome o = BATON__OAI_FAILED;
  baton__http_response resp;
  baton__http_response_init(&resp);
  cJSON *sj = schema ? cJSON_Parse(schema) : NULL;
  /* The LLM client's chain: json_schema, the TGI form, json_object, none. */
  baton__llm_format m = sj ? BATON__LLM_FMT_JSON_SCHEMA : BATON__LLM_FMT_NONE;
  for (bool last = false; url && !last; m = baton__llm_next_format(m)) {
    last = m == BATON__LLM_FMT_NONE;
    baton__llm_add_format(doc, m, sj, "output");
    char *body = cJSON_PrintUnformatted(doc);
    if (!body)
      break;
    baton__http_request req = {.url = url, .body = body, .body_len = strlen(body),
                               .content_type = "application/json",
                               .max_body = OAI_MAX_CHAT_BODY};
    o = baton__oai_send(c, &req, &resp);
    free(body);
    char msg[300];
    baton__http_error_text(resp.body, resp.body_len, msg, sizeof msg);
    if (o != BATON__OAI_FAILED || !baton__llm_format_rejected(resp.status, msg))
      break;
  }
  cJSON_Delete(sj);
  if (!url)
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  free(url);
  if (o == BATON__OAI_DONE) {
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.body_len);
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(ct) && (*content = baton__strdup(ct->valuestring)))
      baton__trim(*content);
    else
      o = baton__oai_bad_reply(c, resp.body, resp.body_len);
    cJSON_Delete(j);
  }
  baton__http_response_release(&resp);
  return o;
}

/* ---- the answer ------------------------------------------------------------- */

/* JSON from an answer that may wrap it in prose or ``` fences. */
static cJSON *answer_json(const char *s) {
  cJSON *j = cJSON_Parse(s);
  if (j)
    return j;
  const char *a = strchr(s, '{'), *b = strrchr(s, '}');
  return a && b && b > a ? cJSON_ParseWithLength(a, (size_t)(b - a + 1)) : NULL;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
  return d < 0 ? 0 : d > 1 && strcmp(key, "score") == 0 ? 1 : d;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* [{label, score}] best first, from {"labels":[...]} (or a bare list). */
static cJSON *labels_of(const cJSON *j) {
  const cJSON *src = cJSON_IsArray(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "labels");
  cJSON *arr = cJSON_CreateArray();
  const cJSON *it;
  cJSON_ArrayForEach(it, src) {
    const char *l = str(it, "label");
    if (!l || !*l)
      continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", l);
    cJSON_AddNumberToObject(o, "score", num(it, "score"));
    int at = 0;
    for (const cJSON *k = arr->child; k && num(k, "score") >= num(o, "score"); k = k->next)
      at++;
    cJSON_InsertItemInArray(arr, at, o);
  }
  if (cJSON_GetArraySize(arr) == 0) {
    cJSON_Delete(arr);
    return NULL;
  }
  return arr;
}

/* Outputs "text" then "json", both built here (text and j taken). */
static baton__oai_outcome text_and_json(baton__oai_call *c, char *text, cJSON *j) {
  int rc = baton__oai_out(c, "text", BATON__T_TEXT, text);
  if (rc == 0)
    rc = baton__oai_out_json(c, j);
  cJSON_Delete(j);
  return rc == 0 ? BATON__OAI_DONE : BATON__OAI_FAILED;
}

static baton__oai_outcome out_labels(baton__oai_call *c, const cJSON *j) {
  cJSON *list = labels_of(j);
  if (!list)
    return BATON__OAI_FAILED;
  const cJSON *top = list->child;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%s (%.2f)", str(top, "label"), num(top, "score"));
  return text_and_json(c, baton__sb_detach(&sb), list);
}

/* {answer, score[, start, end]}: the span's place in the context when it is
 * found there (question-answering). */
static baton__oai_outcome out_answer(baton__oai_call *c, const cJSON *j, bool span) {
  const char *a = str(j, "answer");
  if (!a)
    return BATON__OAI_FAILED;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "answer", a);
  cJSON_AddNumberToObject(o, "score", num(j, "score"));
  const char *ctx = span ? (baton__oai_arg(c->in, "context") ? baton__oai_arg(c->in, "context")
                                                             : baton__oai_arg(c->in, "text"))
                         : NULL;
  const char *at = ctx && *a ? strstr(ctx, a) : NULL;
  if (at) {
    cJSON_AddNumberToObject(o, "start", (double)(at - ctx));
    cJSON_AddNumberToObject(o, "end", (double)(at - ctx + (long)strlen(a)));
  }
  const cJSON *cells = cJSON_GetObjectItemCaseSensitive(j, "cells");
  if (cJSON_IsArray(cells)) {
    cJSON_AddItemToObject(o, "cells", cJSON_Duplicate(cells, 1));
    cJSON_AddStringToObject(o, "aggregator", "NONE");
  }
  return text_and_json(c, baton__strdup(a), o);
}

/* [{entity_group, score, word, start, end}], each word found in the text. */
static baton__oai_outcome out_entities(baton__oai_call *c, const cJSON *j) {
  const char *text = baton__oai_arg(c->in, "text");
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "entities"), *it;
  if (!cJSON_IsArray(src))
    return BATON__OAI_FAILED;
  cJSON *arr = cJSON_CreateArray();
  baton__sb sb;
  baton__sb_init(&sb);
  size_t from = 0;
  cJSON_ArrayForEach(it, src) {
    const char *w = str(it, "word"), *g = str(it, "entity_group");
    if (!w || !*w)
      continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "entity_group", g ? g : "MISC");
    cJSON_AddNumberToObject(o, "score", num(it, "score"));
    cJSON_AddStringToObject(o, "word", w);
    const char *at = text && from <= strlen(text) ? strstr(text + from, w) : NULL;
    if (!at && text)
      at = strstr(text, w);
    if (at) {
      cJSON_AddNumberToObject(o, "start", (double)(at - text));
      cJSON_AddNumberToObject(o, "end", (double)(at - text + (long)strlen(w)));
      from = (size_t)(at - text) + strlen(w);
    }
    cJSON_AddItemToArray(arr, o);
    baton__sb_addf(&sb, "%s%s (%s)", sb.len ? ", " : "", w, g ? g : "MISC");
  }
  if (!sb.len)
    baton__sb_adds(&sb, "no entities found");
  return text_and_json(c, baton__sb_detach(&sb), arr);
}

/* [{sequence, score, token_str}]: the text with each candidate in the mask. */
static baton__oai_outcome out_fill(baton__oai_call *c, const cJSON *j) {
  const char *text = baton__oai_arg(c->in, "text");
  const char *mask = strstr(text, "[MASK]") ? "[MASK]" : strstr(text, "<mask>") ? "<mask>" : NULL;
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "candidates"), *it;
  if (!cJSON_IsArray(src) || !mask)
    return BATON__OAI_FAILED;
  cJSON *arr = cJSON_CreateArray();
  cJSON_ArrayForEach(it, src) {
    const char *tok = str(it, "token_str");
    if (!tok)
      continue;
    const char *at = strstr(text, mask);
    baton__sb seq;
    baton__sb_init(&seq);
    baton__sb_add(&seq, text, (size_t)(at - text));
    baton__sb_adds(&seq, tok);
    baton__sb_adds(&seq, at + strlen(mask));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sequence", seq.buf ? seq.buf : "");
    cJSON_AddNumberToObject(o, "score", num(it, "score"));
    cJSON_AddStringToObject(o, "token_str", tok);
    cJSON_AddItemToArray(arr, o);
    baton__sb_release(&seq);
  }
  const char *best = str(cJSON_GetArrayItem(arr, 0), "sequence");
  if (!best) {
    cJSON_Delete(arr);
    return BATON__OAI_FAILED;
  }
  return text_and_json(c, baton__strdup(best), arr);
}

/* [{score, label, box:{xmin,ymin,xmax,ymax}}] and "N objects: a (0.9), ...". */
static baton__oai_outcome out_objects(baton__oai_call *c, const cJSON *j) {
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "objects"), *it;
  if (!cJSON_IsArray(src))
    return BATON__OAI_FAILED;
  cJSON *arr = cJSON_CreateArray();
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON_ArrayForEach(it, src) {
    const char *l = str(it, "label");
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(it, "box");
    if (!l || !cJSON_IsObject(box))
      continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "score", num(it, "score"));
    cJSON_AddStringToObject(o, "label", l);
    cJSON *b = cJSON_AddObjectToObject(o, "box");
    static const char *const k[] = {"xmin", "ymin", "xmax", "ymax"};
    for (size_t i = 0; i < 4; i++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(box, k[i]);
      cJSON_AddNumberToObject(b, k[i], cJSON_IsNumber(v) && v->valuedouble > 0 ? (long)v->valuedouble : 0);
    }
    cJSON_AddItemToArray(arr, o);
    baton__sb_addf(&sb, "%s%s (%.2f)", sb.len ? ", " : ": ", l, num(it, "score"));
  }
  int n = cJSON_GetArraySize(arr);
  baton__sb t;
  baton__sb_init(&t);
  baton__sb_addf(&t, "%d object%s%s", n, n == 1 ? "" : "s", sb.buf ? sb.buf : "");
  baton__sb_release(&sb);
  return text_and_json(c, baton__sb_detach(&t), arr);
}

/* Turns the assistant's answer into outputs (content taken). */
static baton__oai_outcome shape_answer(baton__oai_call *c, char *content) {
  if (!*content) {
    free(content);
    baton__fmt(c->env->err, sizeof c->env->err, "%s returned an empty answer", c->t->model);
    return BATON__OAI_FAILED;
  }
  if (c->task->reply == BATON__OAI_R_TEXT)
    return baton__oai_out(c, "text", BATON__T_TEXT, content) == 0 ? BATON__OAI_DONE
                                                                    : BATON__OAI_FAILED;
  cJSON *j = answer_json(content);
  baton__oai_outcome o = BATON__OAI_FAILED;
  size_t before = c->out->n;
  switch (c->task->reply) {
  case BATON__OAI_R_LABELS: o = out_labels(c, j); break;
  case BATON__OAI_R_ANSWER: o = out_answer(c, j, false); break;
  case BATON__OAI_R_SPAN: o = out_answer(c, j, true); break;
  case BATON__OAI_R_TABLE: o = out_answer(c, j, false); break;
  case BATON__OAI_R_ENTITIES: o = out_entities(c, j); break;
  case BATON__OAI_R_FILL: o = out_fill(c, j); break;
  case BATON__OAI_R_OBJECTS: o = out_objects(c, j); break;
  default: break;
  }
  cJSON_Delete(j);
  if (o != BATON__OAI_DONE && c->out->n == before)
    o = baton__oai_bad_reply(c, content, strlen(content));
  free(content);
  return o;
}

baton__oai_outcome baton__oai_chat(baton__oai_call *c) {
  const char *sys_t, *user_t, *schema, *mode = baton__oai_arg(c->in, "mode");
  char modes[200] = "";
  int rc = baton__oai_prompt(c->prompts, c->task->name, mode, &sys_t, &user_t, &schema, modes,
                             sizeof modes);
  if (rc == -1)
    baton__fmt(c->env->err, sizeof c->env->err, "prompts/tasks.yaml has no prompt for %s",
               c->task->name);
  else if (rc != 0)
    baton__fmt(c->env->err, sizeof c->env->err,
               "%s: mode \"%.60s\" is not one of its modes in prompts/tasks.yaml (%s)",
               c->task->name, mode, modes);
  if (rc != 0)
    return BATON__OAI_FAILED;
  cJSON *doc = chat_body(c, sys_t, user_t);
  if (!doc)
    return BATON__OAI_FAILED;
  char *content = NULL;
  baton__oai_outcome o = post_chat(c, doc, schema, &content);
  cJSON_Delete(doc);
  return o == BATON__OAI_DONE ? shape_answer(c, content) : o;
}
