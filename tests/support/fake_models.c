/* fake_models.c — loopback model servers for tests: each real server's routes, answers and quirks (see fake_models.h). */
#include "support/fake_models.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "executors/hf.h"
#include "core/base64.h"
#include "core/banned.h"

const unsigned char fm_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
    0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
    0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
const size_t fm_png_len = sizeof fm_png;

typedef struct fm_fail {
  int status;
  char *headers, *body;
  struct fm_fail *next;
} fm_fail;

struct fake_models {
  fm_kind kind;
  fake_http *http;
  char base[96];
  pthread_mutex_t mu;
  char *answer, *transcript;
  char *trx_format;  /* transcriptions answer in this format whatever is asked, or NULL */
  char *image_url;   /* images answer this url whatever is asked ("" = our own file), or NULL */
  char *markers[16], *marked[16];
  int n_marked;
  bool no_json_schema, pcm_only, no_mmproj;
  int delay_ms;
  fm_fail *fails, *fails_tail, *spent;
  int now, max_now, served;
};

/* ---- small helpers --------------------------------------------------------- */

static char *dup_s(const char *s) {
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (!p)
    abort();
  memcpy(p, s, n + 1);
  return p;
}

static void set_body(fake_http_response *r, int status, const char *ctype, char *body,
                     size_t len) {
  r->status = status;
  r->content_type = ctype;
  r->body = body;
  r->body_len = len ? len : strlen(body);
  r->free_body = true;
}

static void json_reply(fake_http_response *r, int status, cJSON *j) {
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  set_body(r, status, "application/json", s, 0);
}

/* An error in the server's own shape. */
static void error_reply(const fake_models *fm, fake_http_response *r, int status,
                        const char *msg) {
  cJSON *j = cJSON_CreateObject();
  switch (fm->kind) {
  case FM_WHISPERCPP:
    cJSON_Delete(j);
    if (status == 400) {
      set_body(r, 400, "text/plain", dup_s("Invalid request"), 0);
    } else {
      char buf[300];
      snprintf(buf, sizeof buf, "File Not Found (%.200s)", msg);
      set_body(r, 404, "text/plain", dup_s(buf), 0);
    }
    return;
  case FM_TEI:
    cJSON_AddStringToObject(j, "message", msg);
    cJSON_AddNumberToObject(j, "code", status);
    cJSON_AddStringToObject(j, "type", status == 413 ? "validation" : "empty");
    break;
  case FM_SPEACHES:
    cJSON_AddStringToObject(j, "detail", msg);
    break;
  case FM_KOKORO: {
    cJSON *d = cJSON_AddObjectToObject(j, "detail");
    cJSON_AddStringToObject(d, "error", "validation_error");
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddStringToObject(d, "type", "invalid_request_error");
    break;
  }
  case FM_SDCPP:
    cJSON_AddStringToObject(j, "error", msg);
    break;
  default: {
    cJSON *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddStringToObject(e, "type", status == 404 ? "not_found_error" : "invalid_request_error");
    if (fm->kind == FM_LLAMACPP || fm->kind == FM_VLLM || fm->kind == FM_LOCALAI)
      cJSON_AddNumberToObject(e, "code", status);
    else
      cJSON_AddNullToObject(e, "code");
  }
  }
  json_reply(r, status, j);
}

static bool path_is(const fake_http_request *req, const char *p) {
  size_t n = strlen(p);
  return strncmp(req->path, p, n) == 0 && (req->path[n] == '\0' || req->path[n] == '?');
}

/* ---- multipart ---------------------------------------------------------------- */

static const char *mem_find(const char *h, size_t hn, const char *n, size_t nn) {
  for (size_t i = 0; nn && i + nn <= hn; i++)
    if (memcmp(h + i, n, nn) == 0)
      return h + i;
  return NULL;
}

/* The value of attribute attr="..." in a header line, malloc'd, or NULL. */
static char *attr(const char *line, size_t n, const char *name) {
  char key[32];
  snprintf(key, sizeof key, " %s=\"", name);
  const char *a = mem_find(line, n, key, strlen(key));
  if (!a)
    return NULL;
  a += strlen(key);
  const char *e = memchr(a, '"', (size_t)(line + n - a));
  if (!e)
    return NULL;
  char *v = malloc((size_t)(e - a) + 1);
  memcpy(v, a, (size_t)(e - a));
  v[e - a] = '\0';
  return v;
}

char *fm_form_field(const fake_http_request *req, const char *name, size_t *len, char **filename,
                    char **content_type) {
  const char *ct = fake_http_request_header(req, "Content-Type");
  const char *b = ct ? strstr(ct, "boundary=") : NULL;
  if (filename)
    *filename = NULL;
  if (content_type)
    *content_type = NULL;
  if (!b)
    return NULL;
  char delim[200];
  snprintf(delim, sizeof delim, "--%s", b + 9);
  size_t dn = strlen(delim);
  const char *p = req->body, *end = req->body + req->body_len;
  while ((p = mem_find(p, (size_t)(end - p), delim, dn))) {
    p += dn;
    const char *head_end = mem_find(p, (size_t)(end - p), "\r\n\r\n", 4);
    if (!head_end)
      return NULL;
    char *fname = attr(p, (size_t)(head_end - p), "name");
    bool match = fname && strcmp(fname, name) == 0;
    free(fname);
    const char *data = head_end + 4;
    const char *next = mem_find(data, (size_t)(end - data), delim, dn);
    if (!match || !next)
      continue;
    size_t n = (size_t)(next - data) - 2; /* the CRLF before the delimiter */
    char *v = malloc(n + 1);
    memcpy(v, data, n);
    v[n] = '\0';
    if (len)
      *len = n;
    if (filename)
      *filename = attr(p, (size_t)(head_end - p), "filename");
    const char *ctl = mem_find(p, (size_t)(head_end - p), "Content-Type: ", 14);
    if (content_type && ctl) {
      const char *e = mem_find(ctl, (size_t)(head_end - ctl), "\r\n", 2);
      e = e ? e : head_end;
      *content_type = malloc((size_t)(e - ctl - 14) + 1);
      memcpy(*content_type, ctl + 14, (size_t)(e - ctl - 14));
      (*content_type)[e - ctl - 14] = '\0';
    }
    return v;
  }
  return NULL;
}

static char *form(const fake_http_request *req, const char *name) {
  return fm_form_field(req, name, NULL, NULL, NULL);
}

/* ---- media ------------------------------------------------------------------ */

static void le32(unsigned char *p, unsigned v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* 0.1 s of a quiet tone: WAV (with a header) or pcm at rate. */
static unsigned char *sound(bool wav, unsigned rate, size_t *len) {
  size_t samples = rate / 10, off = wav ? 44 : 0;
  unsigned char *b = calloc(1, off + samples * 2);
  for (size_t i = 0; i < samples; i++)
    b[off + 2 * i + 1] = (unsigned char)((i / 20) % 2 ? 0x10 : 0xf0);
  if (wav) {
    memcpy(b, "RIFF", 4);
    le32(b + 4, (unsigned)(36 + samples * 2));
    memcpy(b + 8, "WAVEfmt ", 8);
    le32(b + 16, 16);
    b[20] = 1, b[22] = 1;
    le32(b + 24, rate);
    le32(b + 28, rate * 2);
    b[32] = 2, b[34] = 16;
    memcpy(b + 36, "data", 4);
    le32(b + 40, (unsigned)(samples * 2));
  }
  *len = off + samples * 2;
  return b;
}

void fm_write_wav(const char *path) {
  size_t len;
  unsigned char *w = sound(true, 16000, &len);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(w, 1, len, f) != len)
    abort();
  fclose(f);
  free(w);
}

/* ---- routes ------------------------------------------------------------------ */

static void models_route(fake_models *fm, fake_http_response *r) {
  static const char *const ids[] = {"whisper-large-v3", "Qwen2.5-VL-7B-Instruct",
                                    "kokoro", "nomic-embed-text", NULL};
  cJSON *j = cJSON_CreateObject();
  if (fm->kind != FM_SDCPP)
    cJSON_AddStringToObject(j, "object", "list");
  cJSON *data = cJSON_AddArrayToObject(j, "data");
  for (size_t i = 0; ids[i]; i++) {
    if (fm->kind == FM_SDCPP && i > 0)
      break;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", fm->kind == FM_SDCPP ? "sd-cpp-local" : ids[i]);
    cJSON_AddStringToObject(m, "object", "model");
    cJSON_AddItemToArray(data, m);
  }
  json_reply(r, 200, j);
}

static bool data_url_ok(const fake_models *fm, const char *url) {
  if (strncmp(url, "data:image/", 11) != 0 || !strstr(url, ";base64,"))
    return false;
  if (fm->kind == FM_OLLAMA)
    return strncmp(url, "data:image/png;", 15) == 0 || strncmp(url, "data:image/jpeg;", 16) == 0 ||
           strncmp(url, "data:image/webp;", 16) == 0 || strncmp(url, "data:image/jpg;", 15) == 0;
  return true;
}

/* Checks image and audio parts as each server does; a message on refusal. */
static const char *check_parts(const fake_models *fm, const cJSON *msgs) {
  const cJSON *m, *p;
  cJSON_ArrayForEach(m, msgs) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (cJSON_IsString(content))
      continue;
    if (!cJSON_IsArray(content))
      return "content must be a string or an array of parts";
    cJSON_ArrayForEach(p, content) {
      const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "type"));
      if (type && fm->no_mmproj && (!strcmp(type, "image_url") || !strcmp(type, "input_audio")))
        return strcmp(type, "image_url") ? "audio input is not supported - hint: if this is "
                                           "unexpected, you may need to provide the mmproj"
                                         : "image input is not supported - hint: if this is "
                                           "unexpected, you may need to provide the mmproj";
      if (type && !strcmp(type, "image_url")) {
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(p, "image_url");
        const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(iu, "url"));
        if (!url || !data_url_ok(fm, url))
          return fm->kind == FM_OLLAMA ? "image URLs are not currently supported"
                                       : "image_url must be a data:image/...;base64 URL";
      } else if (type && !strcmp(type, "input_audio")) {
        const cJSON *ia = cJSON_GetObjectItemCaseSensitive(p, "input_audio");
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ia, "format"));
        if (!f || (strcmp(f, "wav") && strcmp(f, "mp3")))
          return "input_audio format must be wav or mp3";
      } else if (!type || strcmp(type, "text")) {
        return "unsupported content[].type";
      }
    }
  }
  return NULL;
}

static void chat_route(fake_models *fm, const fake_http_request *req, fake_http_response *r) {
  cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(j, "messages");
  const cJSON *rf = cJSON_GetObjectItemCaseSensitive(j, "response_format");
  const char *rft = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rf, "type"));
  const char *bad = !cJSON_IsArray(msgs) ? "messages is required" : check_parts(fm, msgs);
  if (!bad && rft && fm->no_json_schema && strcmp(rft, "json_object") && strcmp(rft, "text"))
    bad = "response_format type must be one of \"text\" or \"json_object\"";
  if (!bad && rft && fm->no_json_schema && cJSON_GetObjectItemCaseSensitive(rf, "value"))
    bad = "response_format: unknown field \"value\"";
  if (bad) {
    cJSON_Delete(j);
    error_reply(fm, r, 400, bad);
    return;
  }
  const char *sys = cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "content"));
  pthread_mutex_lock(&fm->mu);
  const char *pick = fm->answer;
  for (int i = fm->n_marked - 1; i >= 0; i--)
    if (sys && strstr(sys, fm->markers[i]))
      pick = fm->marked[i];
  char *content = dup_s(pick);
  pthread_mutex_unlock(&fm->mu);
  cJSON_Delete(j);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "object", "chat.completion");
  cJSON *ch = cJSON_AddArrayToObject(o, "choices");
  cJSON *c0 = cJSON_CreateObject();
  cJSON *m = cJSON_AddObjectToObject(c0, "message");
  cJSON_AddStringToObject(m, "role", "assistant");
  cJSON_AddStringToObject(m, "content", content);
  cJSON_AddStringToObject(c0, "finish_reason", "stop");
  cJSON_AddItemToArray(ch, c0);
  free(content);
  json_reply(r, 200, o);
}

/* A transcript in one of the servers' own formats (whisper.cpp's content
 * types; the others send srt as text/plain). */
static void transcript_as(const fake_models *fm, const char *fmt, const char *text,
                          fake_http_response *r) {
  bool w = fm->kind == FM_WHISPERCPP;
  char buf[1200];
  if (!strcmp(fmt, "srt")) {
    snprintf(buf, sizeof buf, "1\r\n00:00:00,000 --> 00:00:01,500\r\n%s\r\n\r\n"
             "2\r\n00:00:01,500 --> 00:00:03,000\r\nand goodbye\r\n\r\n", text);
    set_body(r, 200, w ? "application/x-subrip" : "text/plain", dup_s(buf), 0);
  } else if (!strcmp(fmt, "vtt")) {
    snprintf(buf, sizeof buf, "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v Speaker 1>%s\n\n"
             "00:00:01.500 --> 00:00:03.000\nand goodbye\n", text);
    set_body(r, 200, "text/vtt", dup_s(buf), 0);
  } else if (!strcmp(fmt, "verbose_json")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "task", "transcribe");
    cJSON_AddStringToObject(o, "language", "english");
    cJSON_AddNumberToObject(o, "duration", 3.0);
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddArrayToObject(o, "segments");
    json_reply(r, 200, o);
  } else if (!strcmp(fmt, "page")) {
    set_body(r, 200, "text/html",
             dup_s("<!DOCTYPE html>\n<html><head><title>Web UI</title></head></html>"), 0);
  } else { /* text */
    set_body(r, 200, w ? "text/html; charset=utf-8" : "text/plain", dup_s(text), 0);
  }
}

static void transcribe_route(fake_models *fm, const fake_http_request *req,
                             fake_http_response *r) {
  size_t flen = 0;
  char *file = fm_form_field(req, "file", &flen, NULL, NULL);
  char *fmt = form(req, "response_format");
  char *model = form(req, "model");
  const char *bad = !file || flen == 0 ? "No input file found for transcription" : NULL;
  if (!bad && !model && (fm->kind == FM_OLLAMA || fm->kind == FM_SPEACHES))
    bad = "model is required";
  pthread_mutex_lock(&fm->mu);
  char *text = dup_s(fm->transcript);
  if (fm->trx_format) {
    free(fmt);
    fmt = dup_s(fm->trx_format);
  }
  pthread_mutex_unlock(&fm->mu);
  if (!bad && fm->trx_format) {
    transcript_as(fm, fmt, text, r);
  } else if (bad) {
    error_reply(fm, r, 400, bad);
  } else if (fm->kind == FM_LOCALAI && fmt && !strcmp(fmt, "text")) {
    error_reply(fm, r, 500, "invalid response_format");
  } else if (fm->kind == FM_LLAMACPP && fmt && strcmp(fmt, "json")) {
    error_reply(fm, r, 400, "only json response_format is supported");
  } else if (fmt && (!strcmp(fmt, "srt") || !strcmp(fmt, "vtt")) && fm->kind != FM_OLLAMA &&
             fm->kind != FM_VLLM) { /* Ollama answers JSON whatever is asked; vLLM refuses */
    transcript_as(fm, fmt, text, r);
  } else if (fm->kind == FM_VLLM && fmt && strcmp(fmt, "json") && strcmp(fmt, "text") &&
             strcmp(fmt, "verbose_json")) {
    error_reply(fm, r, 400, "Unsupported response_format");
  } else if (fmt && (!strcmp(fmt, "text") || !strcmp(fmt, "txt"))) {
    set_body(r, 200, fm->kind == FM_WHISPERCPP ? "text/html; charset=utf-8" : "text/plain",
             dup_s(text), 0);
  } else {
    cJSON *o = cJSON_CreateObject();
    if (fm->kind == FM_LLAMACPP)
      cJSON_AddStringToObject(o, "type", "transcript.text.done");
    cJSON_AddStringToObject(o, "text", text);
    json_reply(r, 200, o);
  }
  free(text);
  free(file);
  free(fmt);
  free(model);
}

static void speech_route(fake_models *fm, const fake_http_request *req, fake_http_response *r) {
  cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
  const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "model"));
  const char *input = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "input"));
  const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "response_format"));
  bool kokoro_model = model && (!strcmp(model, "kokoro") || !strcmp(model, "tts-1") ||
                                !strcmp(model, "tts-1-hd") || !strcmp(model, "gpt-4o-mini-tts"));
  if (!input || !*input) {
    error_reply(fm, r, fm->kind == FM_SPEACHES ? 422 : 400, "input is required");
  } else if (fm->kind == FM_KOKORO && !kokoro_model) {
    error_reply(fm, r, 400, "Unsupported model");
  } else {
    bool pcm = fm->pcm_only || (fmt && !strcmp(fmt, "pcm") && fm->kind != FM_LOCALAI);
    size_t len;
    unsigned char *b = sound(!pcm, 24000, &len);
    set_body(r, 200, pcm ? "audio/pcm" : "audio/wav", (char *)b, len);
  }
  cJSON_Delete(j);
}

/* {"created","data":[{"b64_json"}]} or, when LocalAI is not asked for
 * b64_json, {"data":[{"url"}]} pointing at this server. */
static void image_answer(fake_models *fm, fake_http_response *r, bool b64) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "created", 1);
  cJSON *d = cJSON_AddArrayToObject(o, "data");
  cJSON *d0 = cJSON_CreateObject();
  if (b64) {
    char *s = baton__b64_encode(fm_png, fm_png_len);
    cJSON_AddStringToObject(d0, "b64_json", s);
    free(s);
  } else {
    char url[160];
    snprintf(url, sizeof url, "%s/generated-images/b64.png", fake_http_url(fm->http));
    cJSON_AddStringToObject(d0, "url", url);
  }
  cJSON_AddItemToArray(d, d0);
  json_reply(r, 200, o);
}

/* {"data":[{"url"}]}: url, or ("") this server's own generated file. */
static void url_answer(fake_models *fm, fake_http_response *r, const char *url) {
  if (!*url) {
    image_answer(fm, r, false);
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "created", 1);
  cJSON *d0 = cJSON_CreateObject();
  cJSON_AddStringToObject(d0, "url", url);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "data"), d0);
  json_reply(r, 200, o);
}

static void images_route(fake_models *fm, const fake_http_request *req, fake_http_response *r,
                         bool edit) {
  if (edit) {
    size_t ilen = 0;
    char *img = fm_form_field(req, "image", &ilen, NULL, NULL);
    if (!img)
      img = fm_form_field(req, "image[]", &ilen, NULL, NULL);
    char *prompt = form(req, "prompt");
    if (!img || !prompt || ilen < 8 || memcmp(img, "\x89PNG", 4) != 0)
      error_reply(fm, r, 400, "prompt and image are required");
    else
      image_answer(fm, r, true);
    free(img);
    free(prompt);
    return;
  }
  cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
  const char *prompt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "prompt"));
  const char *rf = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "response_format"));
  pthread_mutex_lock(&fm->mu);
  char *forced = fm->image_url ? dup_s(fm->image_url) : NULL;
  pthread_mutex_unlock(&fm->mu);
  if (!prompt || !*prompt)
    error_reply(fm, r, 400, "prompt required");
  else if (forced) /* a server that answers a URL whatever is asked */
    url_answer(fm, r, forced);
  else /* stable-diffusion.cpp ignores response_format: always b64_json */
    image_answer(fm, r, fm->kind != FM_LOCALAI || (rf && !strcmp(rf, "b64_json")));
  free(forced);
  cJSON_Delete(j);
}

static void embed_route(fake_models *fm, const fake_http_request *req, fake_http_response *r) {
  cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(j, "input");
  int n = cJSON_IsArray(in) ? cJSON_GetArraySize(in) : cJSON_IsString(in) ? 1 : 0;
  if (n == 0) {
    error_reply(fm, r, fm->kind == FM_TEI ? 400 : 400, "Input is empty");
  } else if (fm->kind == FM_TEI && n > 32) {
    char msg[120];
    snprintf(msg, sizeof msg, "batch size %d > maximum allowed batch size 32", n);
    error_reply(fm, r, 413, msg);
  } else {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(o, "data");
    for (int i = 0; i < n; i++) {
      const char *s = cJSON_IsArray(in) ? cJSON_GetStringValue(cJSON_GetArrayItem(in, i))
                                        : in->valuestring;
      double v[26] = {0};
      for (; s && *s; s++)
        if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
          v[(*s | 0x20) - 'a'] += 1;
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "object", "embedding");
      cJSON_AddNumberToObject(e, "index", i);
      cJSON_AddItemToObject(e, "embedding", cJSON_CreateDoubleArray(v, 26));
      cJSON_AddItemToArray(data, e);
    }
    json_reply(r, 200, o);
  }
  cJSON_Delete(j);
}

/* ---- dispatch ---------------------------------------------------------------- */

typedef enum { R_NONE, R_MODELS, R_CHAT, R_TRX, R_SPEECH, R_IMG_GEN, R_IMG_EDIT, R_EMBED, R_FILE } route;

/* Which route a request takes on this kind of server. */
static route route_of(const fake_models *fm, const fake_http_request *req) {
  fm_kind k = fm->kind;
  if (k == FM_WHISPERCPP)
    return path_is(req, "/inference") ? R_TRX : R_NONE;
  if (path_is(req, "/generated-images/b64.png") && k == FM_LOCALAI)
    return R_FILE;
  if (path_is(req, "/v1/models"))
    return k == FM_TEI ? R_NONE : R_MODELS;
  bool chat = k == FM_OPENAI || k == FM_LLAMACPP || k == FM_OLLAMA || k == FM_VLLM ||
              k == FM_LOCALAI;
  if (path_is(req, "/v1/chat/completions"))
    return chat ? R_CHAT : R_NONE;
  if (path_is(req, "/v1/audio/transcriptions"))
    return chat || k == FM_SPEACHES ? R_TRX : R_NONE;
  if (path_is(req, "/v1/audio/speech"))
    return k == FM_OPENAI || k == FM_LOCALAI || k == FM_SPEACHES || k == FM_KOKORO ? R_SPEECH
                                                                                   : R_NONE;
  if (path_is(req, "/v1/images/generations"))
    return k == FM_OPENAI || k == FM_LOCALAI || k == FM_SDCPP ? R_IMG_GEN : R_NONE;
  if (path_is(req, "/v1/images/edits"))
    return k == FM_OPENAI || k == FM_SDCPP ? R_IMG_EDIT : R_NONE;
  if (path_is(req, "/v1/embeddings"))
    return chat || k == FM_TEI ? R_EMBED : R_NONE;
  return R_NONE;
}

static void serve(fake_models *fm, const fake_http_request *req, fake_http_response *r) {
  switch (route_of(fm, req)) {
  case R_MODELS: models_route(fm, r); break;
  case R_CHAT: chat_route(fm, req, r); break;
  case R_TRX: transcribe_route(fm, req, r); break;
  case R_SPEECH: speech_route(fm, req, r); break;
  case R_IMG_GEN: images_route(fm, req, r, false); break;
  case R_IMG_EDIT: images_route(fm, req, r, true); break;
  case R_EMBED: embed_route(fm, req, r); break;
  case R_FILE: {
    char *b = malloc(fm_png_len);
    memcpy(b, fm_png, fm_png_len);
    set_body(r, 200, "image/png", b, fm_png_len);
    break;
  }
  case R_NONE: error_reply(fm, r, 404, req->path); break;
  }
}

static void handler(const fake_http_request *req, fake_http_response *r, void *ud) {
  fake_models *fm = ud;
  pthread_mutex_lock(&fm->mu);
  fm_fail *f = fm->fails;
  if (f && !(fm->fails = f->next))
    fm->fails_tail = NULL;
  if (++fm->now > fm->max_now)
    fm->max_now = fm->now;
  int delay = fm->delay_ms;
  pthread_mutex_unlock(&fm->mu);
  if (delay > 0) {
    struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (f) {
    r->headers = f->headers; /* copied by fake_http after return; freed at stop */
    set_body(r, f->status, "application/json", f->body, 0);
    f->body = NULL;
    pthread_mutex_lock(&fm->mu);
    f->next = fm->spent;
    fm->spent = f;
    pthread_mutex_unlock(&fm->mu);
  } else {
    serve(fm, req, r);
  }
  pthread_mutex_lock(&fm->mu);
  fm->now--;
  if (r->status == 0 || r->status / 100 == 2)
    fm->served++;
  pthread_mutex_unlock(&fm->mu);
}

/* ---- the handle ------------------------------------------------------------------ */

fake_models *fm_start(fm_kind kind) {
  fake_models *fm = calloc(1, sizeof *fm);
  if (!fm)
    return NULL;
  fm->kind = kind;
  pthread_mutex_init(&fm->mu, NULL);
  fm->answer = dup_s("a fake answer");
  fm->transcript = dup_s("hello world");
  fm->http = fake_http_start();
  if (!fm->http) {
    free(fm);
    return NULL;
  }
  snprintf(fm->base, sizeof fm->base, "%s/v1", fake_http_url(fm->http));
  fake_http_set_handler(fm->http, handler, fm);
  return fm;
}

void fm_stop(fake_models *fm) {
  if (!fm)
    return;
  fake_http_stop(fm->http);
  for (fm_fail *f = fm->spent, *next; f; f = next) {
    next = f->next;
    free(f->headers);
    free(f);
  }
  while (fm->fails) {
    fm_fail *f = fm->fails;
    fm->fails = f->next;
    free(f->headers);
    free(f->body);
    free(f);
  }
  free(fm->answer);
  free(fm->transcript);
  free(fm->trx_format);
  free(fm->image_url);
  for (int i = 0; i < fm->n_marked; i++) {
    free(fm->markers[i]);
    free(fm->marked[i]);
  }
  pthread_mutex_destroy(&fm->mu);
  free(fm);
}

const char *fm_base(const fake_models *fm) { return fm->base; }
fake_http *fm_http(fake_models *fm) { return fm->http; }

static void set_str(fake_models *fm, char **slot, const char *v) {
  pthread_mutex_lock(&fm->mu);
  free(*slot);
  *slot = dup_s(v);
  pthread_mutex_unlock(&fm->mu);
}

void fm_set_answer(fake_models *fm, const char *content) { set_str(fm, &fm->answer, content); }
void fm_set_answer_for(fake_models *fm, const char *marker, const char *content) {
  pthread_mutex_lock(&fm->mu);
  if (fm->n_marked < 16) {
    fm->markers[fm->n_marked] = dup_s(marker);
    fm->marked[fm->n_marked++] = dup_s(content);
  }
  pthread_mutex_unlock(&fm->mu);
}

void fm_set_transcript(fake_models *fm, const char *text) { set_str(fm, &fm->transcript, text); }
void fm_transcript_format(fake_models *fm, const char *fmt) { set_str(fm, &fm->trx_format, fmt); }
void fm_image_url(fake_models *fm, const char *url) { set_str(fm, &fm->image_url, url); }
void fm_no_json_schema(fake_models *fm) { fm->no_json_schema = true; }
void fm_pcm_only(fake_models *fm) { fm->pcm_only = true; }
void fm_no_mmproj(fake_models *fm) { fm->no_mmproj = true; }
void fm_set_delay(fake_models *fm, int ms) { fm->delay_ms = ms; }

void fm_push_failure(fake_models *fm, int status, const char *headers, const char *body) {
  fm_fail *f = calloc(1, sizeof *f);
  f->status = status;
  f->headers = headers ? dup_s(headers) : NULL;
  f->body = dup_s(body ? body : "");
  pthread_mutex_lock(&fm->mu);
  if (fm->fails_tail)
    fm->fails_tail->next = f;
  else
    fm->fails = f;
  fm->fails_tail = f;
  pthread_mutex_unlock(&fm->mu);
}

int fm_max_concurrent(fake_models *fm) {
  pthread_mutex_lock(&fm->mu);
  int n = fm->max_now;
  pthread_mutex_unlock(&fm->mu);
  return n;
}

int fm_served(fake_models *fm) {
  pthread_mutex_lock(&fm->mu);
  int n = fm->served;
  pthread_mutex_unlock(&fm->mu);
  return n;
}
