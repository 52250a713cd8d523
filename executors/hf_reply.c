/* hf_reply.c — the hf-inference executor's per-task replies: JSON and media answers made into outputs. */
#include "executors/hf_task.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/util.h"
#include "executors/hf.h"
#include "core/banned.h"

void baton__hf_answer_message(const baton__http_response *h, char *out, size_t cap) {
  baton__sb sb;
  baton__sb_init(&sb);
  char xerr[400] = "";
  const char *xe = baton__http_header_get(h, "X-Error-Message");
  if (xe)
    baton__hf_clean_text(xe, strlen(xe), xerr, sizeof xerr, 300);
  if (xerr[0])
    baton__sb_adds(&sb, xerr);
  cJSON *j = h->body_len ? cJSON_ParseWithLength(h->body, h->body_len) : NULL;
  cJSON *e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
  if (!e && cJSON_IsObject(j))
    e = cJSON_GetObjectItemCaseSensitive(j, "errors");
  if (cJSON_IsObject(e))
    e = cJSON_GetObjectItemCaseSensitive(e, "message");
  bool any = false;
  if (cJSON_IsString(e)) {
    if (!xerr[0] || strcmp(xerr, e->valuestring) != 0) {
      if (sb.len)
        baton__sb_adds(&sb, ": ");
      baton__sb_adds(&sb, e->valuestring);
    }
    any = true;
  } else if (cJSON_IsArray(e)) {
    bool first = true;
    cJSON *it;
    cJSON_ArrayForEach(it, e) {
      if (!cJSON_IsString(it))
        continue;
      baton__sb_adds(&sb, first ? (sb.len ? ": " : "") : "; ");
      baton__sb_adds(&sb, it->valuestring);
      first = false;
    }
    any = !first;
  }
  if (!any && !sb.len && h->body_len && !j) { /* plain text, or a proxy's HTML page */
    char text[400];
    baton__sb_adds(&sb, baton__http_error_text(h->body, h->body_len, text, sizeof text));
  }
  cJSON_Delete(j);
  if (baton__sb_ok(&sb))
    baton__hf_clean_text(sb.buf, sb.len, out, cap, 300);
  else
    out[0] = '\0';
  baton__sb_release(&sb);
}

/* ---- outputs ---------------------------------------------------------------- */

/* Writes data into the workspace as name; adds the absolute path to out as
 * (key, type) unless key is NULL. Returns the path (caller frees) or NULL
 * with env->err set. */
static char *save_file(baton__exec_env *env, const char *name, const void *data, size_t len) {
  if (!env->workspace) {
    baton__fmt(env->err, sizeof env->err, "no workspace to write %s into", name);
    return NULL;
  }
  char *path = baton__path_join(env->workspace, name);
  char werr[400];
  if (!path) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return NULL;
  }
  if (baton__write_file(path, data, len, werr, sizeof werr) != 0) {
    free(path);
    baton__fmt(env->err, sizeof env->err, "%s", werr);
    return NULL;
  }
  return baton__path_absolute(path);
}

static int add_out(baton__exec_env *env, baton__values *out, const char *name, unsigned type,
                   char *data) {
  if (!data || baton__values_add_own(out, name, type, data) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

static int add_json(baton__exec_env *env, baton__values *out, const cJSON *j) {
  return add_out(env, out, "json", BATON__T_JSON, cJSON_PrintUnformatted(j));
}

static int add_text(baton__exec_env *env, baton__values *out, const char *s) {
  char *t = baton__strdup(s);
  if (t)
    baton__trim(t);
  return add_out(env, out, "text", BATON__T_TEXT, t);
}

/* The innermost first list of nested lists ([[x...]] -> [x...]); else j. */
static const cJSON *unwrap(const cJSON *j) {
  while (cJSON_IsArray(j) && cJSON_IsArray(j->child))
    j = j->child; /* [[{label,score}...]]: the answer for the first input */
  return j;
}

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Classification replies as [{label, score}] (from [[...]], [...] or the
 * legacy {labels:[], scores:[]}), best first. NULL when the shape is
 * something else. */
static cJSON *label_scores(const cJSON *j) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr)
    return NULL;
  if (cJSON_IsObject(j)) {
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(j, "labels");
    const cJSON *ss = cJSON_GetObjectItemCaseSensitive(j, "scores");
    if (!cJSON_IsArray(ls) || !cJSON_IsArray(ss)) {
      cJSON_Delete(arr);
      return NULL;
    }
    const cJSON *l = ls->child, *s = ss->child;
    for (; l && s; l = l->next, s = s->next) {
      if (!cJSON_IsString(l) || !cJSON_IsNumber(s))
        continue;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "label", l->valuestring);
      cJSON_AddNumberToObject(o, "score", s->valuedouble);
      cJSON_AddItemToArray(arr, o);
    }
  } else {
    const cJSON *it;
    j = unwrap(j);
    if (!cJSON_IsArray(j)) {
      cJSON_Delete(arr);
      return NULL;
    }
    cJSON_ArrayForEach(it, j) {
      const char *l = str_of(it, "label");
      if (!l)
        continue;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "label", l);
      cJSON_AddNumberToObject(o, "score", num_of(it, "score", 0));
      cJSON_AddItemToArray(arr, o);
    }
  }
  if (cJSON_GetArraySize(arr) == 0) {
    cJSON_Delete(arr);
    return NULL;
  }
  /* Best first (insertion sort on a short list). */
  int n = cJSON_GetArraySize(arr);
  for (int i = 1; i < n; i++) {
    for (int k = i; k > 0; k--) {
      cJSON *a = cJSON_GetArrayItem(arr, k - 1), *b = cJSON_GetArrayItem(arr, k);
      if (num_of(a, "score", 0) >= num_of(b, "score", 0))
        break;
      cJSON *moved = cJSON_DetachItemFromArray(arr, k);
      cJSON_InsertItemInArray(arr, k - 1, moved);
    }
  }
  return arr;
}

/* "label (0.98)" for the best of a label/score list. */
static int add_top_label(baton__exec_env *env, baton__values *out, const cJSON *list) {
  const cJSON *top = cJSON_GetArrayItem(list, 0);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%s (%.2f)", str_of(top, "label"), num_of(top, "score", 0));
  int rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&sb));
  return rc;
}

/* The first string field named key in j, its first element, or an object
 * inside a one-element list. */
static const char *field_text(const cJSON *j, const char *key) {
  if (cJSON_IsArray(j))
    j = cJSON_GetArrayItem(j, 0);
  if (cJSON_IsArray(j))
    j = cJSON_GetArrayItem(j, 0);
  return cJSON_IsObject(j) ? str_of(j, key) : NULL;
}

static int bad_shape(baton__exec_env *env, const char *task, const char *body, size_t len) {
  char snip[200];
  baton__hf_clean_text(body, len, snip, sizeof snip, 120);
  baton__fmt(env->err, sizeof env->err, "unexpected %s reply from %s: %s", task, env->model,
             snip);
  return -1;
}

/* Saves base64 blobs ("mask" of segments, "blob" of audio-to-audio). */
static int save_b64(baton__exec_env *env, const char *b64, const char *ctype, const char *name_fmt,
                    int index, char **path_out) {
  size_t len = 0;
  unsigned char *bytes = baton__b64_decode(b64, strlen(b64), &len);
  if (!bytes) {
    baton__fmt(env->err, sizeof env->err, "the reply holds malformed base64 data");
    return -1;
  }
  const char *ext = baton__hf_ext_for(ctype, bytes, len);
  char name[300];
  if (index > 0)
    baton__fmt(name, sizeof name, name_fmt, env->file_prefix, index, ext ? ext : "bin");
  else
    baton__fmt(name, sizeof name, "%s.%s", env->file_prefix, ext ? ext : "bin");
  *path_out = save_file(env, name, bytes, len);
  free(bytes);
  return *path_out ? 0 : -1;
}

static int out_segments(baton__exec_env *env, const char *task, const cJSON *j,
                        baton__values *out, const baton__http_response *h) {
  if (!cJSON_IsArray(j))
    return bad_shape(env, task, h->body, h->body_len);
  cJSON *list = cJSON_CreateArray();
  baton__sb text;
  baton__sb_init(&text);
  char *first = NULL;
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    const char *mask = str_of(it, "mask");
    cJSON *o = cJSON_CreateObject();
    const char *label = str_of(it, "label");
    cJSON_AddStringToObject(o, "label", label ? label : "");
    cJSON_AddNumberToObject(o, "score", num_of(it, "score", 0));
    if (mask) {
      char *path = NULL;
      if (save_b64(env, mask, "image/png", "%s-mask%d.%s", ++n, &path) != 0) {
        cJSON_Delete(o);
        cJSON_Delete(list);
        baton__sb_release(&text);
        free(first);
        return -1;
      }
      cJSON_AddStringToObject(o, "mask", path);
      if (!first)
        first = path;
      else
        free(path);
    }
    cJSON_AddItemToArray(list, o);
    baton__sb_addf(&text, "%s%s (%.2f)", text.len ? ", " : "", label ? label : "?",
                   num_of(it, "score", 0));
  }
  int rc = add_json(env, out, list);
  cJSON_Delete(list);
  if (rc == 0)
    rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&text));
  else
    baton__sb_release(&text);
  if (rc == 0 && first) {
    rc = add_out(env, out, "image", BATON__T_IMAGE, first);
    first = NULL;
  }
  free(first);
  return rc;
}

static int out_audio_blobs(baton__exec_env *env, const char *task, const cJSON *j,
                           baton__values *out, const baton__http_response *h) {
  if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) == 0)
    return bad_shape(env, task, h->body, h->body_len);
  cJSON *list = cJSON_CreateArray();
  char *first = NULL;
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    const char *blob = str_of(it, "blob");
    if (!blob)
      continue;
    char *path = NULL;
    /* The first track is <prefix>.<ext>, the others <prefix>-<N>.<ext>. */
    if (save_b64(env, blob, str_of(it, "content-type"), "%s-%d.%s", n == 0 ? 0 : n + 1,
                 &path) != 0) {
      cJSON_Delete(list);
      free(first);
      return -1;
    }
    n++;
    cJSON *o = cJSON_CreateObject();
    const char *label = str_of(it, "label");
    cJSON_AddStringToObject(o, "label", label ? label : "");
    cJSON_AddStringToObject(o, "audio", path);
    cJSON_AddItemToArray(list, o);
    if (!first)
      first = path;
    else
      free(path);
  }
  if (!first) {
    cJSON_Delete(list);
    return bad_shape(env, task, h->body, h->body_len);
  }
  int rc = add_out(env, out, "audio", BATON__T_AUDIO, first);
  if (rc == 0)
    rc = add_json(env, out, list);
  cJSON_Delete(list);
  return rc;
}

/* Describes the shape of nested number arrays ("1x7x768"). */
static void shape_of(const cJSON *j, char *buf, size_t cap) {
  size_t o = 0;
  buf[0] = '\0';
  while (cJSON_IsArray(j) && o + 12 < cap) {
    int n = cJSON_GetArraySize(j);
    int w = snprintf(buf + o, cap - o, "%s%d", o ? "x" : "", n);
    if (w < 0)
      break;
    o += (size_t)w;
    j = j->child;
  }
}

/* ---- one reader per reply kind -------------------------------------------------- */

/* What every reader gets. j is the parsed body. */
typedef struct reply {
  const baton__hf_task *t;
  const char *task;
  const baton__http_response *h;
  baton__exec_env *env;
  baton__values *out;
} reply;

static int shape(const reply *r) { return bad_shape(r->env, r->task, r->h->body, r->h->body_len); }

/* text (when found) then the structure. */
static int text_and_json(const reply *r, const char *s, const cJSON *j) {
  int rc = s ? add_text(r->env, r->out, s) : shape(r);
  return rc == 0 ? add_json(r->env, r->out, j) : rc;
}

static int read_any(const reply *r, const cJSON *j) {
  static const char *const keys[] = {"generated_text", "summary_text", "translation_text",
                                     "answer", "text", "label", "sequence", NULL};
  const char *s = NULL;
  for (size_t k = 0; keys[k] && !s; k++)
    s = field_text(unwrap(j), keys[k]);
  int rc = s ? add_text(r->env, r->out, s) : 0;
  return rc == 0 ? add_json(r->env, r->out, j) : rc;
}

static int read_labels(const reply *r, const cJSON *j) {
  cJSON *list = label_scores(j);
  if (!list)
    return shape(r);
  int rc = add_top_label(r->env, r->out, list);
  if (rc == 0)
    rc = add_json(r->env, r->out, list);
  cJSON_Delete(list);
  return rc;
}

static int read_text(const reply *r, const cJSON *j) {
  const char *s = field_text(j, r->t->text_key ? r->t->text_key : "generated_text");
  if (!s)
    s = field_text(j, "generated_text");
  return s ? add_text(r->env, r->out, s) : shape(r);
}

static int read_asr(const reply *r, const cJSON *j) {
  const char *s = field_text(j, "text");
  int rc = s ? add_text(r->env, r->out, s) : shape(r);
  const cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
  if (rc == 0 && cJSON_GetObjectItemCaseSensitive(o, "chunks"))
    rc = add_json(r->env, r->out, o);
  return rc;
}

static int read_answer(const reply *r, const cJSON *j) {
  const cJSON *best = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
  const cJSON *it;
  if (cJSON_IsArray(j))
    cJSON_ArrayForEach(it, j) if (num_of(it, "score", 0) > num_of(best, "score", 0)) best = it;
  return text_and_json(r, cJSON_IsObject(best) ? str_of(best, "answer") : NULL, j);
}

/* A summary text built by the caller, then the structure. */
static int sb_and_json(const reply *r, baton__sb *sb, const cJSON *j) {
  int rc = add_out(r->env, r->out, "text", BATON__T_TEXT, baton__sb_detach(sb));
  return rc == 0 ? add_json(r->env, r->out, j) : rc;
}

static int read_entities(const reply *r, const cJSON *j) {
  if (!cJSON_IsArray(j))
    return shape(r);
  baton__sb sb;
  baton__sb_init(&sb);
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    const char *w = str_of(it, "word");
    const char *g = str_of(it, "entity_group") ? str_of(it, "entity_group") : str_of(it, "entity");
    if (w)
      baton__sb_addf(&sb, "%s%s (%s)", sb.len ? ", " : "", w, g ? g : "?");
  }
  if (!sb.len)
    baton__sb_adds(&sb, "no entities found");
  return sb_and_json(r, &sb, j);
}

static int read_fill_mask(const reply *r, const cJSON *j) {
  return text_and_json(r, field_text(j, "sequence"), j);
}

static int read_boxes(const reply *r, const cJSON *j) {
  if (!cJSON_IsArray(j))
    return shape(r);
  baton__sb sb;
  baton__sb_init(&sb);
  int n = cJSON_GetArraySize(j);
  baton__sb_addf(&sb, "%d object%s", n, n == 1 ? "" : "s");
  const cJSON *it;
  bool first = true;
  cJSON_ArrayForEach(it, j) {
    baton__sb_addf(&sb, "%s%s (%.2f)", first ? ": " : ", ",
                   str_of(it, "label") ? str_of(it, "label") : "?", num_of(it, "score", 0));
    first = false;
  }
  return sb_and_json(r, &sb, j);
}

static int read_depth(const reply *r, const cJSON *j) {
  /* Not confirmed on the wire: {"predicted_depth": tensor, "depth": base64 image}. */
  if (!str_of(j, "depth"))
    return read_any(r, j);
  char *path = NULL;
  int rc = save_b64(r->env, str_of(j, "depth"), NULL, "%s-%d.%s", 0, &path);
  return rc == 0 ? add_out(r->env, r->out, "image", BATON__T_IMAGE, path) : rc;
}

static int read_segments(const reply *r, const cJSON *j) {
  return out_segments(r->env, r->task, j, r->out, r->h);
}

static int read_audio(const reply *r, const cJSON *j) {
  return out_audio_blobs(r->env, r->task, j, r->out, r->h);
}

static int read_chat(const reply *r, const cJSON *j) {
  const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
  const char *s = str_of(cJSON_GetObjectItemCaseSensitive(ch, "message"), "content");
  if (!s)
    s = field_text(j, "generated_text");
  return s ? add_text(r->env, r->out, s) : shape(r);
}

static int read_scores(const reply *r, const cJSON *j) {
  if (!cJSON_IsArray(j))
    return shape(r);
  baton__sb sb;
  baton__sb_init(&sb);
  const cJSON *it;
  cJSON_ArrayForEach(it, j) baton__sb_addf(&sb, "%s%.2f", sb.len ? ", " : "",
                                           cJSON_IsNumber(it) ? it->valuedouble : 0.0);
  return sb_and_json(r, &sb, j);
}

static int read_embedding(const reply *r, const cJSON *j) {
  char dims[64];
  shape_of(j, dims, sizeof dims);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "embedding of shape %s", dims[0] ? dims : "?");
  return sb_and_json(r, &sb, j);
}

typedef int (*reader_fn)(const reply *r, const cJSON *j);
static const reader_fn readers[] = {
    [BATON__HF_REPLY_ANY] = read_any,           [BATON__HF_REPLY_LABELS] = read_labels,
    [BATON__HF_REPLY_TEXT] = read_text,         [BATON__HF_REPLY_ASR] = read_asr,
    [BATON__HF_REPLY_ANSWER] = read_answer,     [BATON__HF_REPLY_ENTITIES] = read_entities,
    [BATON__HF_REPLY_FILL_MASK] = read_fill_mask, [BATON__HF_REPLY_BOXES] = read_boxes,
    [BATON__HF_REPLY_DEPTH] = read_depth,       [BATON__HF_REPLY_SEGMENTS] = read_segments,
    [BATON__HF_REPLY_AUDIO] = read_audio,       [BATON__HF_REPLY_CHAT] = read_chat,
    [BATON__HF_REPLY_SCORES] = read_scores,     [BATON__HF_REPLY_EMBEDDING] = read_embedding,
    [BATON__HF_REPLY_BINARY] = read_any,
};

/* Normalises a JSON reply into outputs. */
static int out_json(const reply *r) {
  const baton__http_response *h = r->h;
  cJSON *j = cJSON_ParseWithLength(h->body, h->body_len);
  if (!j) {
    char mt[96];
    baton__hf_media_type(h->content_type, mt, sizeof mt);
    baton__fmt(r->env->err, sizeof r->env->err, "the reply from %s is not JSON (%s)",
               r->env->model, mt[0] ? mt : "no Content-Type");
    return -1;
  }
  int rc;
  if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "error")) {
    char msg[400];
    baton__hf_answer_message(h, msg, sizeof msg);
    baton__fmt(r->env->err, sizeof r->env->err, "%s answered with an error: %s", r->env->model,
               msg);
    rc = -1;
  } else {
    rc = readers[r->t->reply](r, j);
  }
  cJSON_Delete(j);
  return rc;
}

/* A media body saved as the task's output file. */
static int out_media(const reply *r, const char *mt) {
  const baton__http_response *h = r->h;
  baton__exec_env *env = r->env;
  const char *ext = baton__hf_ext_for(h->content_type, h->body, h->body_len);
  if (!ext || h->body_len == 0) {
    baton__fmt(env->err, sizeof env->err, "%s sent %s data of an unknown kind (%zu bytes)",
               env->model, mt, h->body_len);
    return -1;
  }
  char name[300];
  baton__fmt(name, sizeof name, "%s.%s", env->file_prefix ? env->file_prefix : "out", ext);
  char *path = save_file(env, name, h->body, h->body_len);
  if (!path)
    return -1;
  const char *mime, *sext;
  baton__hf_sniff((const unsigned char *)h->body, h->body_len, &mime, &sext);
  unsigned type = strncmp(mt, "audio/", 6) == 0 ? BATON__T_AUDIO
                  : strncmp(mt, "video/", 6) == 0 ? BATON__T_VIDEO
                  : strncmp(mt, "image/", 6) == 0 ? BATON__T_IMAGE
                  : (mime && strncmp(mime, "audio/", 6) == 0) ? BATON__T_AUDIO
                                                              : BATON__T_IMAGE;
  return add_out(env, r->out, baton__type_name(type), type, path);
}

int baton__hf_reply_outputs(const baton__hf_task *t, const char *task,
                            const baton__http_response *h, baton__exec_env *env,
                            baton__values *out) {
  reply r = {.t = t, .task = task, .h = h, .env = env, .out = out};
  char mt[96];
  baton__hf_media_type(h->content_type, mt, sizeof mt);
  if (baton__hf_is_media_type(mt))
    return out_media(&r, mt);
  if (t->reply == BATON__HF_REPLY_BINARY) {
    char msg[400] = "";
    baton__hf_answer_message(h, msg, sizeof msg);
    baton__fmt(env->err, sizeof env->err, "%s sent %s instead of %s: %s", env->model,
               mt[0] ? mt : "an untyped body",
               (t->flags & BATON__HF_F_AUDIO_OUT) ? "audio" : "an image",
               msg[0] ? msg : "no message");
    return -1;
  }
  return out_json(&r);
}
