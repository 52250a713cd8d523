/* hf_request.c — the hf-inference executor's per-task table and the request each task sends (payload shapes, URL). */
#include "executors/hf_task.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/util.h"
#include "executors/chat_history.h"
#include "executors/hf.h"
#include "planner/output_names.h"
#include "core/banned.h"

#define IMG BATON__T_IMAGE
#define AUD BATON__T_AUDIO

/* Every task kind the executor knows: how it asks and how it reads the
 * answer (PROTOCOLS.md, "Per-task payloads and responses"). */
static const baton__hf_task tasks[] = {
    {"text-classification", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_LABELS, NULL},
    {"token-classification", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_ENTITIES, NULL},
    {"question-answering", BATON__HF_REQ_QA, 0, 0, BATON__HF_REPLY_ANSWER, NULL},
    {"summarization", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_TEXT, "summary_text"},
    {"translation", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_TEXT, "translation_text"},
    {"text-generation", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_TEXT, "generated_text"},
    {"text2text-generation", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_TEXT, "generated_text"},
    {"fill-mask", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_FILL_MASK, NULL},
    {"sentence-similarity", BATON__HF_REQ_SIMILARITY, 0, BATON__HF_F_PIPELINE,
     BATON__HF_REPLY_SCORES, NULL},
    {"feature-extraction", BATON__HF_REQ_TEXT, 0, BATON__HF_F_PIPELINE | BATON__HF_F_ROOT_PARAMS,
     BATON__HF_REPLY_EMBEDDING, NULL},
    {"zero-shot-classification", BATON__HF_REQ_TEXT, 0, BATON__HF_F_LABELS,
     BATON__HF_REPLY_LABELS, NULL},
    {"table-question-answering", BATON__HF_REQ_TABLE, 0, 0, BATON__HF_REPLY_ANSWER, NULL},
    {"conversational", BATON__HF_REQ_CHAT, 0, 0, BATON__HF_REPLY_CHAT, NULL},
    {"image-classification", BATON__HF_REQ_FILE, IMG, 0, BATON__HF_REPLY_LABELS, NULL},
    {"object-detection", BATON__HF_REQ_FILE, IMG, 0, BATON__HF_REPLY_BOXES, NULL},
    {"image-segmentation", BATON__HF_REQ_FILE, IMG, 0, BATON__HF_REPLY_SEGMENTS, NULL},
    {"image-to-text", BATON__HF_REQ_FILE, IMG, 0, BATON__HF_REPLY_TEXT, "generated_text"},
    {"zero-shot-image-classification", BATON__HF_REQ_FILE, IMG,
     BATON__HF_F_LABELS | BATON__HF_F_LABELS_OR_TEXT, BATON__HF_REPLY_LABELS, NULL},
    {"visual-question-answering", BATON__HF_REQ_FILE, IMG, BATON__HF_F_VQA,
     BATON__HF_REPLY_ANSWER, NULL},
    {"document-question-answering", BATON__HF_REQ_FILE, IMG, BATON__HF_F_VQA,
     BATON__HF_REPLY_ANSWER, NULL},
    {"depth-estimation", BATON__HF_REQ_FILE, IMG, 0, BATON__HF_REPLY_DEPTH, NULL},
    {"image-to-image", BATON__HF_REQ_FILE, IMG, BATON__HF_F_PROMPT, BATON__HF_REPLY_BINARY, NULL},
    {"image-editing", BATON__HF_REQ_FILE, IMG, BATON__HF_F_PROMPT, BATON__HF_REPLY_BINARY, NULL},
    {"text-to-image", BATON__HF_REQ_TEXT, 0, BATON__HF_F_ACCEPT_PNG, BATON__HF_REPLY_BINARY, NULL},
    {"text-to-video", BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_BINARY, NULL},
    {"text-to-speech", BATON__HF_REQ_TEXT, 0, BATON__HF_F_AUDIO_OUT, BATON__HF_REPLY_BINARY, NULL},
    {"text-to-audio", BATON__HF_REQ_TEXT, 0, BATON__HF_F_AUDIO_OUT, BATON__HF_REPLY_BINARY, NULL},
    {"automatic-speech-recognition", BATON__HF_REQ_FILE, AUD, 0, BATON__HF_REPLY_ASR, NULL},
    {"audio-classification", BATON__HF_REQ_FILE, AUD, 0, BATON__HF_REPLY_LABELS, NULL},
    {"audio-to-audio", BATON__HF_REQ_FILE, AUD, 0, BATON__HF_REPLY_AUDIO, NULL},
};

static const baton__hf_task any_task = {NULL, BATON__HF_REQ_TEXT, 0, 0, BATON__HF_REPLY_ANY, NULL};

const baton__hf_task *baton__hf_task_find(const char *task) {
  for (size_t i = 0; task && i < sizeof tasks / sizeof tasks[0]; i++)
    if (strcmp(tasks[i].task, task) == 0)
      return &tasks[i];
  return &any_task;
}

/* ---- inputs ------------------------------------------------------------------ */

static const char *arg(const baton__values *in, const char *name) {
  const baton__value *v = baton__values_get(in, name);
  return v && v->data ? v->data : NULL;
}

/* The task's text: "text", else a text input, else (an edit's prompt: "make it black and
 * white") the request's words. */
static const char *text_arg(const baton__values *in) {
  const char *t = arg(in, "text");
  if (!t) {
    const baton__value *v = baton__values_get_type(in, BATON__T_TEXT);
    t = v ? v->data : arg(in, "instruction");
  }
  return t;
}

static const char *file_arg(const baton__values *in, unsigned type) {
  const char *p = arg(in, baton__type_name(type));
  if (!p) {
    const baton__value *v = baton__values_get_type(in, type);
    p = v ? v->data : NULL;
  }
  return p;
}

/* Argument names that are inputs, never model parameters ("instruction": the request's words,
 * for executors that read them; a prompt here; "mode": whether to read a picture's words or
 * describe it, which a Hub model does as it was made to). */
static bool reserved_name(const char *n) {
  static const char *const names[] = {"text", "image", "audio", "video", "json",
                                      "question", "context", "labels", "candidate_labels",
                                      "sentences", "source_sentence", "table", "query",
                                      "instruction", "mode", BATON__ARG_HISTORY, NULL};
  for (size_t i = 0; names[i]; i++)
    if (strcmp(n, names[i]) == 0)
      return true;
  return strncmp(n, "text", 4) == 0 && isdigit((unsigned char)n[4]);
}

/* A parameter value: JSON numbers, booleans, arrays and objects as such,
 * anything else as a string. */
static cJSON *param_value(const char *s) {
  cJSON *j = cJSON_Parse(s);
  if (j && (cJSON_IsNumber(j) || cJSON_IsBool(j) || cJSON_IsArray(j) || cJSON_IsObject(j)))
    return j;
  cJSON_Delete(j);
  return cJSON_CreateString(s);
}

/* Adds every plain argument that is not an input to obj. Returns how many. */
static int add_free_params(cJSON *obj, const baton__values *in) {
  int n = 0;
  for (size_t i = 0; i < in->n; i++) {
    const baton__value *v = &in->v[i];
    if (v->type != 0 || !v->name || !v->data || reserved_name(v->name) ||
        cJSON_GetObjectItemCaseSensitive(obj, v->name))
      continue;
    cJSON_AddItemToObject(obj, v->name, param_value(v->data));
    n++;
  }
  return n;
}

/* A list from an argument: a JSON array of strings, else comma-separated. */
static cJSON *list_arg(const char *s) {
  cJSON *arr = NULL;
  if (s && s[0] == '[') {
    arr = cJSON_Parse(s);
    if (cJSON_IsArray(arr))
      return arr;
    cJSON_Delete(arr);
  }
  arr = cJSON_CreateArray();
  while (s && *s) {
    const char *e = strchr(s, ',');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *item = baton__strndup(s, n);
    if (item && *baton__trim(item))
      cJSON_AddItemToArray(arr, cJSON_CreateString(item));
    free(item);
    s += n + (e ? 1 : 0);
  }
  return arr;
}

/* Reads an input file, bounded by the config. */
static int read_input(baton__exec_env *env, const char *path, char **data, size_t *len) {
  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                      : 64u * 1024u * 1024u;
  char rerr[400];
  if (baton__read_file(path, max, data, len, rerr, sizeof rerr) != 0) {
    baton__fmt(env->err, sizeof env->err, "%s", rerr);
    env->bad_input = true; /* the task's file: too large, or unreadable */
    return -1;
  }
  return 0;
}

/* Sets the request body from a JSON document (consumed). */
static int set_json_body(baton__hf_request *r, cJSON *doc, baton__exec_env *env) {
  char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
  cJSON_Delete(doc);
  if (!s) {
    baton__fmt(env->err, sizeof env->err, "out of memory building the request");
    return -1;
  }
  r->body = s;
  r->body_len = strlen(s);
  r->content_type = "application/json";
  return 0;
}

/* The candidate labels of a zero-shot task into params; -1 with env->err
 * when there are none. */
static int add_labels(const baton__hf_task *t, const char *task, const baton__values *in,
                      const char *text, cJSON *params, baton__exec_env *env) {
  const char *labels = arg(in, "labels") ? arg(in, "labels") : arg(in, "candidate_labels");
  if (!labels && (t->flags & BATON__HF_F_LABELS_OR_TEXT))
    labels = text;
  cJSON *l = list_arg(labels);
  if (cJSON_GetArraySize(l) == 0) {
    cJSON_Delete(l);
    baton__fmt(env->err, sizeof env->err, "%s needs candidate labels: pass labels=\"a,b,c\"",
               task);
    env->bad_input = true;
    return -1;
  }
  cJSON_AddItemToObject(params, "candidate_labels", l);
  return 0;
}

/* ---- one builder per request kind ------------------------------------------------ */

/* What every builder gets: the task, its inputs, and the document parts. */
typedef struct build {
  const baton__hf_task *t;
  const char *task;
  const baton__values *in;
  baton__exec_env *env;
  bool drop_free;
  const char *text;
  cJSON *doc;     /* the body; consumed by set_json_body */
  cJSON *params;  /* "parameters"; owned until added to doc */
} build;

static int need_text(build *b) {
  baton__fmt(b->env->err, sizeof b->env->err, "%s needs a text input", b->task);
  b->env->bad_input = true;
  return -1;
}

/* Adds params under "parameters" (free ones at the root for ROOT_PARAMS)
 * and makes the body. */
static int finish_json(build *b, baton__hf_request *r) {
  if (!b->drop_free)
    r->n_free = add_free_params((b->t->flags & BATON__HF_F_ROOT_PARAMS) ? b->doc : b->params, b->in);
  cJSON_AddItemToObject(b->doc, "parameters", b->params);
  b->params = NULL;
  cJSON *doc = b->doc;
  b->doc = NULL;
  return set_json_body(r, doc, b->env);
}

static int build_text(build *b, baton__hf_request *r) {
  if (!b->text)
    return need_text(b);
  cJSON_AddStringToObject(b->doc, "inputs", b->text);
  if ((b->t->flags & BATON__HF_F_LABELS) &&
      add_labels(b->t, b->task, b->in, b->text, b->params, b->env) != 0)
    return -1;
  if (b->t->flags & BATON__HF_F_ACCEPT_PNG)
    r->accept = "image/png";
  return finish_json(b, r);
}

static int build_chat(build *b, baton__hf_request *r) {
  if (!b->text)
    return need_text(b);
  cJSON *history = NULL;
  if (baton__chat_history(b->in, &history, b->env) != 0)
    return -1;
  cJSON_AddStringToObject(b->doc, "model", b->env->model);
  cJSON *msgs = cJSON_AddArrayToObject(b->doc, "messages");
  bool kept = baton__chat_history_append(msgs, history);
  cJSON_Delete(history);
  if (!kept)
    return baton__fmt(b->env->err, sizeof b->env->err, "out of memory building the request"), -1;
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "role", "user");
  cJSON_AddStringToObject(m, "content", b->text);
  cJSON_AddItemToArray(msgs, m);
  cJSON_AddBoolToObject(b->doc, "stream", false);
  if (!b->drop_free)
    r->n_free = add_free_params(b->doc, b->in);
  cJSON *doc = b->doc;
  b->doc = NULL;
  return set_json_body(r, doc, b->env);
}

static int build_qa(build *b, baton__hf_request *r) {
  const char *q = arg(b->in, "question");
  const char *ctx = arg(b->in, "context") ? arg(b->in, "context") : b->text;
  if (!q || !ctx) {
    baton__fmt(b->env->err, sizeof b->env->err,
               "question-answering needs a question and a context (the text)");
    b->env->bad_input = true;
    return -1;
  }
  cJSON *inputs = cJSON_AddObjectToObject(b->doc, "inputs");
  cJSON_AddStringToObject(inputs, "question", q);
  cJSON_AddStringToObject(inputs, "context", ctx);
  return finish_json(b, r);
}

static int build_similarity(build *b, baton__hf_request *r) {
  const char *src = arg(b->in, "source_sentence") ? arg(b->in, "source_sentence") : b->text;
  cJSON *sent = arg(b->in, "sentences") ? list_arg(arg(b->in, "sentences")) : cJSON_CreateArray();
  for (int k = 2; k <= 9; k++) {
    char name[8];
    baton__fmt(name, sizeof name, "text%d", k);
    if (arg(b->in, name))
      cJSON_AddItemToArray(sent, cJSON_CreateString(arg(b->in, name)));
  }
  if (!src || cJSON_GetArraySize(sent) == 0) {
    cJSON_Delete(sent);
    baton__fmt(b->env->err, sizeof b->env->err,
               "sentence-similarity needs a text and sentences to compare it with (text2)");
    b->env->bad_input = true;
    return -1;
  }
  cJSON *inputs = cJSON_AddObjectToObject(b->doc, "inputs");
  cJSON_AddStringToObject(inputs, "source_sentence", src);
  cJSON_AddItemToObject(inputs, "sentences", sent);
  return finish_json(b, r);
}

static int build_table(build *b, baton__hf_request *r) {
  const char *q = arg(b->in, "query") ? arg(b->in, "query") : arg(b->in, "question");
  if (!q)
    q = b->text;
  const char *tbl = arg(b->in, "table");
  if (!tbl) {
    const baton__value *v = baton__values_get_type(b->in, BATON__T_JSON);
    tbl = v ? v->data : NULL;
  }
  cJSON *t = tbl ? cJSON_Parse(tbl) : NULL;
  if (!q || !cJSON_IsObject(t)) {
    cJSON_Delete(t);
    baton__fmt(b->env->err, sizeof b->env->err,
               "table-question-answering needs a query and a table (a JSON object of columns)");
    b->env->bad_input = true;
    return -1;
  }
  cJSON *inputs = cJSON_AddObjectToObject(b->doc, "inputs");
  cJSON_AddStringToObject(inputs, "query", q);
  cJSON_AddItemToObject(inputs, "table", t);
  return finish_json(b, r);
}

/* The file's bytes in base64 under "inputs" (with the question for VQA). */
static int file_as_json(build *b, char *data, size_t len, baton__hf_request *r) {
  char *b64 = baton__b64_encode(data, len);
  free(data);
  if (!b64) {
    baton__fmt(b->env->err, sizeof b->env->err, "out of memory encoding the input");
    return -1;
  }
  if (b->t->flags & BATON__HF_F_VQA) {
    const char *q = arg(b->in, "question") ? arg(b->in, "question") : b->text;
    if (!q) {
      free(b64);
      baton__fmt(b->env->err, sizeof b->env->err, "%s needs a question (a text input)", b->task);
      b->env->bad_input = true;
      return -1;
    }
    cJSON *inputs = cJSON_AddObjectToObject(b->doc, "inputs");
    cJSON_AddStringToObject(inputs, "image", b64);
    cJSON_AddStringToObject(inputs, "question", q);
  } else {
    cJSON_AddStringToObject(b->doc, "inputs", b64);
  }
  free(b64);
  cJSON_AddItemToObject(b->doc, "parameters", b->params);
  b->params = NULL;
  cJSON *doc = b->doc;
  b->doc = NULL;
  return set_json_body(r, doc, b->env);
}

static int build_file(build *b, baton__hf_request *r) {
  const char *path = file_arg(b->in, b->t->input);
  if (!path) {
    baton__fmt(b->env->err, sizeof b->env->err, "%s needs an %s input", b->task,
               baton__type_name(b->t->input));
    b->env->bad_input = true;
    return -1;
  }
  char *data = NULL;
  size_t len = 0;
  if (read_input(b->env, path, &data, &len) != 0)
    return -1;
  if ((b->t->flags & BATON__HF_F_LABELS) &&
      add_labels(b->t, b->task, b->in, b->text, b->params, b->env) != 0) {
    free(data);
    return -1;
  }
  if ((b->t->flags & BATON__HF_F_PROMPT) && b->text)
    cJSON_AddStringToObject(b->params, "prompt", b->text);
  if (!b->drop_free)
    r->n_free = add_free_params(b->params, b->in);
  if ((b->t->flags & BATON__HF_F_VQA) || cJSON_GetArraySize(b->params) > 0)
    return file_as_json(b, data, len, r);
  /* No parameters: the file itself, with its type. */
  r->content_type = baton__hf_input_mime((const unsigned char *)data, len, path);
  r->body = data;
  r->body_len = len;
  return 0;
}

typedef int (*builder_fn)(build *b, baton__hf_request *r);
static const builder_fn builders[] = {
    [BATON__HF_REQ_TEXT] = build_text,         [BATON__HF_REQ_CHAT] = build_chat,
    [BATON__HF_REQ_FILE] = build_file,         [BATON__HF_REQ_QA] = build_qa,
    [BATON__HF_REQ_SIMILARITY] = build_similarity, [BATON__HF_REQ_TABLE] = build_table,
};

int baton__hf_build_request(const baton__hf_task *t, const char *task, const baton__values *in,
                            baton__exec_env *env, bool drop_free, baton__hf_request *r) {
  build b = {.t = t, .task = task, .in = in, .env = env, .drop_free = drop_free,
             .text = text_arg(in), .doc = cJSON_CreateObject(), .params = cJSON_CreateObject()};
  int rc = -1;
  if (!b.doc || !b.params)
    baton__fmt(env->err, sizeof env->err, "out of memory building the request");
  else
    rc = builders[t->req](&b, r);
  cJSON_Delete(b.doc);
  cJSON_Delete(b.params);
  return rc;
}

char *baton__hf_url(const baton__hf_task *t, const char *base_url, const char *task,
                    const baton__exec_env *env) {
  const char *ep = env->endpoint ? env->endpoint : "hf-inference";
  bool chat = t->req == BATON__HF_REQ_CHAT;
  baton__sb sb;
  baton__sb_init(&sb);
  if (strncmp(ep, "http://", 7) == 0 || strncmp(ep, "https://", 8) == 0) {
    baton__sb_adds(&sb, ep);
    if (chat && !baton__has_suffix_ci(ep, "/chat/completions")) {
      if (sb.len && sb.buf[sb.len - 1] == '/')
        sb.buf[--sb.len] = '\0';
      baton__sb_adds(&sb, "/v1/chat/completions");
    }
  } else {
    baton__sb_addf(&sb, "%s/models/%s", base_url, env->model);
    if (t->flags & BATON__HF_F_PIPELINE)
      baton__sb_addf(&sb, "/pipeline/%s", task);
    else if (chat)
      baton__sb_adds(&sb, "/v1/chat/completions");
  }
  return baton__sb_detach(&sb);
}
