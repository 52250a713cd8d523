/* openai_media.c — the "openai" executor's audio and image endpoints: transcriptions (with whisper.cpp's /inference), speech (wav, or pcm wrapped), image generations and edits. */
#include "executors/openai.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/util.h"
#include "executors/hf.h"
#include "executors/subtitles.h"
#include "net/http.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Largest upload: OpenAI's documented 25 MB per audio file. */
#define OAI_MAX_UPLOAD (25u * 1024u * 1024u)
/* Largest transcription answer, and largest audio or image answer. */
#define OAI_MAX_TEXT_BODY (4u * 1024u * 1024u)
#define OAI_MAX_MEDIA_BODY (64u * 1024u * 1024u)
/* Headerless pcm from /audio/speech: 16-bit mono at 24 kHz (OpenAI,
 * Kokoro-FastAPI; speaches uses the model's rate unless asked, so we ask). */
#define OAI_PCM_RATE 24000

/* The content type's media type is one of these. */
static bool ctype_is(const baton__http_response *r, const char *prefix) {
  return strncmp(r->content_type, prefix, strlen(prefix)) == 0;
}

/* ---- transcriptions --------------------------------------------------------- */

/* The server's origin for whisper.cpp's own path: base_url without a
 * trailing "/v1". Caller frees. */
static char *whisper_url(const char *base) {
  char *b = baton__strdup(base);
  if (!b)
    return NULL;
  size_t n = strlen(b);
  while (n && b[n - 1] == '/')
    b[--n] = '\0';
  if (n >= 3 && strcmp(b + n - 3, "/v1") == 0)
    b[n - 3] = '\0';
  char *u = baton__oai_url(b, "/inference");
  free(b);
  return u;
}

/* A web page (whisper.cpp labels its plain-text transcripts text/html;
 * a page with markup is some other server's). */
static bool is_html_page(const baton__http_response *r) {
  size_t i = 0;
  while (i < r->body_len && (r->body[i] == ' ' || r->body[i] == '\n' || r->body[i] == '\r' ||
                             r->body[i] == '\t'))
    i++;
  const char *s = r->body + i;
  size_t n = r->body_len - i;
  return ctype_is(r, "text/html") && ((n >= 9 && strncasecmp(s, "<!doctype", 9) == 0) ||
                                      (n >= 5 && strncasecmp(s, "<html", 5) == 0));
}

/* The transcript from any answer: JSON {"text"} (OpenAI, vLLM, LocalAI,
 * llama.cpp's transcript.text.done, whisper.cpp, verbose_json too),
 * subtitles (SubRip, WebVTT: their words), or plain text (whisper.cpp
 * answers text/html for text, others text/plain). */
static baton__oai_outcome transcript_out(baton__oai_call *c, const baton__http_response *r) {
  cJSON *j = ctype_is(r, "application/json") || (r->body_len && r->body[0] == '{')
                 ? cJSON_ParseWithLength(r->body, r->body_len)
                 : NULL;
  char *text = NULL;
  if (!j && baton__oai_is_subtitles(r->content_type, r->body, r->body_len)) {
    char *words = baton__oai_subtitle_text(r->body, r->body_len);
    text = words ? baton__text_normalize(words, strlen(words), true) : NULL;
    free(words);
  } else if (j) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
    text = cJSON_IsString(t) ? baton__text_normalize(t->valuestring, strlen(t->valuestring), true)
                             : NULL;
    cJSON_Delete(j);
    if (!text)
      return baton__oai_bad_reply(c, r->body, r->body_len);
  } else if (ctype_is(r, "text/") && !is_html_page(r)) {
    text = baton__text_normalize(r->body, r->body_len, true);
  } else if (ctype_is(r, "text/")) {
    baton__fmt(c->env->err, sizeof c->env->err,
               "%s answered an HTML page, not a transcript: is its base_url the model server's?",
               c->t->endpoint);
    return BATON__OAI_FAILED;
  } else {
    return baton__oai_bad_reply(c, r->body, r->body_len);
  }
  return baton__oai_out(c, "text", BATON__T_TEXT, text) == 0 ? BATON__OAI_DONE
                                                             : BATON__OAI_FAILED;
}

/* Subtitles asked for (`format`: "srt" or "vtt"): the answer's cues saved as the run's file of
 * that format, their words the transcript. A server that answered otherwise (JSON: it ignored the
 * format) or in the other format fails the step, so that the next model makes them. */
static baton__oai_outcome subtitles_out(baton__oai_call *c, const baton__http_response *r,
                                        const char *format) {
  bool subs = baton__oai_is_subtitles(r->content_type, r->body, r->body_len);
  bool vtt = r->body_len >= 6 && memcmp(r->body, "WEBVTT", 6) == 0;
  if (!subs || vtt != (strcmp(format, "vtt") == 0)) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s on %s answered %s, not the %s subtitles asked "
               "for", c->t->model, c->t->endpoint, subs ? "other subtitles" : "a plain transcript",
               strcmp(format, "vtt") == 0 ? "WebVTT" : "SubRip");
    c->env->bad_input = true; /* its transcripts may be fine: not held against its health */
    return BATON__OAI_FAILED;
  }
  char *words = baton__oai_subtitle_text(r->body, r->body_len);
  char *text = words ? baton__text_normalize(words, strlen(words), true) : NULL;
  free(words);
  if (baton__oai_out(c, "text", BATON__T_TEXT, text) != 0 ||
      baton__oai_out_file(c, BATON__OUTPUT_FILE, 0, r->body, r->body_len,
                          baton__subs_file_ext(c->env, format)) != 0)
    return BATON__OAI_FAILED;
  return BATON__OAI_DONE;
}

baton__oai_outcome baton__oai_transcribe(baton__oai_call *c) {
  const char *path = baton__oai_file(c->in, BATON__T_AUDIO);
  if (!path) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s: an audio input is needed", c->task->name);
    return BATON__OAI_FAILED;
  }
  char *data = NULL;
  size_t len = 0;
  if (baton__oai_read(c->env, path, OAI_MAX_UPLOAD, &data, &len) != 0)
    return BATON__OAI_FAILED;
  const char *mime = baton__hf_input_mime((const unsigned char *)data, len, path);
  const char *ext = baton__hf_ext_for(mime, data, len);
  char fname[32];
  baton__fmt(fname, sizeof fname, "audio.%s", ext ? ext : "wav");
  const char *lang = baton__oai_arg(c->in, "language"), *subs = baton__subs_asked(c->in, c->env);
  /* response_format json: every server takes it (LocalAI refuses "text"
   * and wants "txt"; llama.cpp takes json only); srt or vtt for subtitles
   * (OpenAI, whisper.cpp, LocalAI, speaches). */
  baton__http_part parts[] = {
      {.name = "file", .data = data, .len = len, .filename = fname, .content_type = mime},
      {.name = "model", .value = c->t->model},
      {.name = "response_format", .value = subs ? subs : "json"},
      {.name = "language", .value = lang},
  };
  char *url = baton__oai_url(c->t->base_url, "/audio/transcriptions");
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__http_request req = {.url = url, .parts = parts, .n_parts = lang ? 4 : 3,
                             .max_body = OAI_MAX_TEXT_BODY};
  baton__oai_outcome o = url ? baton__oai_send(c, &req, &resp) : BATON__OAI_FAILED;
  if (o == BATON__OAI_FAILED && resp.status == 404) {
    /* whisper.cpp serves POST /inference unless started with
     * --inference-path /v1/audio/transcriptions. */
    free(url);
    req.url = url = whisper_url(c->t->base_url);
    o = url ? baton__oai_send(c, &req, &resp) : BATON__OAI_FAILED;
  }
  if (o == BATON__OAI_DONE)
    o = subs ? subtitles_out(c, &resp, subs) : transcript_out(c, &resp);
  baton__http_response_release(&resp);
  free(url);
  free(data);
  return o;
}

/* ---- speech ------------------------------------------------------------------ */

static void le16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v) {
  le16(p, v & 0xffff);
  le16(p + 2, v >> 16);
}

/* A WAV file around headerless 16-bit mono pcm at rate. Caller frees. */
static unsigned char *wav_wrap(const char *pcm, size_t len, unsigned rate, size_t *out_len) {
  len &= ~(size_t)1;
  unsigned char *w = malloc(44 + len);
  if (!w)
    return NULL;
  memcpy(w, "RIFF", 4);
  le32(w + 4, (uint32_t)(36 + len));
  memcpy(w + 8, "WAVEfmt ", 8);
  le32(w + 16, 16);
  le16(w + 20, 1);            /* PCM */
  le16(w + 22, 1);            /* mono */
  le32(w + 24, rate);
  le32(w + 28, rate * 2);     /* bytes per second */
  le16(w + 32, 2);            /* block align */
  le16(w + 34, 16);           /* bits */
  memcpy(w + 36, "data", 4);
  le32(w + 40, (uint32_t)len);
  memcpy(w + 44, pcm, len);
  *out_len = 44 + len;
  return w;
}

static baton__oai_outcome speech_out(baton__oai_call *c, const baton__http_response *r) {
  const char *ext = baton__hf_ext_for(r->content_type, r->body, r->body_len);
  bool pcm = ctype_is(r, "audio/pcm") || ctype_is(r, "audio/l16") ||
             ((!ext || !strcmp(ext, "bin")) && !ctype_is(r, "application/json") &&
              !ctype_is(r, "text/"));
  if (r->body_len == 0 || (!pcm && (!ext || ctype_is(r, "application/json"))))
    return baton__oai_bad_reply(c, r->body, r->body_len);
  if (!pcm)
    return baton__oai_out_file(c, "audio", BATON__T_AUDIO, r->body, r->body_len, ext) == 0
               ? BATON__OAI_DONE
               : BATON__OAI_FAILED;
  size_t wlen = 0;
  unsigned char *wav = wav_wrap(r->body, r->body_len, OAI_PCM_RATE, &wlen);
  int rc = wav ? baton__oai_out_file(c, "audio", BATON__T_AUDIO, wav, wlen, "wav") : -1;
  if (!wav)
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  free(wav);
  return rc == 0 ? BATON__OAI_DONE : BATON__OAI_FAILED;
}

baton__oai_outcome baton__oai_speech(baton__oai_call *c) {
  const char *text = baton__oai_arg(c->in, "text");
  if (!text) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s: a non-empty \"text\" argument is needed",
               c->task->name);
    return BATON__OAI_FAILED;
  }
  const char *voice = baton__oai_arg(c->in, "voice");
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "model", c->t->model);
  cJSON_AddStringToObject(doc, "input", text);
  cJSON_AddStringToObject(doc, "voice", voice ? voice : "alloy");
  cJSON_AddStringToObject(doc, "response_format", "wav");
  char *body = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  char *url = baton__oai_url(c->t->base_url, "/audio/speech");
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__oai_outcome o = BATON__OAI_FAILED;
  if (body && url) {
    baton__http_request req = {.url = url, .body = body, .body_len = strlen(body),
                               .content_type = "application/json",
                               .max_body = OAI_MAX_MEDIA_BODY};
    o = baton__oai_send(c, &req, &resp);
  } else {
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  }
  if (o == BATON__OAI_DONE)
    o = speech_out(c, &resp);
  baton__http_response_release(&resp);
  free(url);
  free(body);
  return o;
}

/* ---- images ------------------------------------------------------------------ */

/* Why a fetched picture URL gave no picture, into env->err. */
static void picture_fetch_error(baton__oai_call *c, const char *url, baton__http_rc rc,
                                const baton__http_response *pic) {
  char *e = c->env->err;
  size_t n = sizeof c->env->err;
  if (rc == BATON__HTTP_OK)
    baton__fmt(e, n, "the picture URL %.200s gave no picture (%s)", url,
               pic->content_type[0] ? pic->content_type : "no content type");
  else if (rc == BATON__HTTP_ETOOBIG)
    baton__fmt(e, n, "the picture at %.200s is larger than %u MB", url,
               OAI_MAX_MEDIA_BODY / (1024u * 1024u));
  else if (rc == BATON__HTTP_ESTATUS)
    baton__fmt(e, n, "fetching the picture URL %.200s: HTTP %ld", url, pic->status);
  else
    baton__fmt(e, n, "fetching the picture URL %.200s: %s", url,
               pic->err[0] ? pic->err : baton__http_rc_name(rc));
}

/* A picture the server answered as a URL (LocalAI when it does not honour
 * b64_json, OpenAI's dall-e default): fetched over http(s) only, without
 * the endpoint's key (the file may live on another host), bounded in size
 * and time; it must be a picture. */
static baton__oai_outcome fetch_picture(baton__oai_call *c, const char *url) {
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    baton__fmt(c->env->err, sizeof c->env->err,
               "%s answered a picture URL that is not http(s) (%.120s); baton fetches only "
               "http and https URLs",
               c->t->endpoint, url);
    return BATON__OAI_FAILED;
  }
  long timeout = c->t->timeout_ms;
  if (c->env->timeout_ms > 0 && (!timeout || c->env->timeout_ms < timeout))
    timeout = c->env->timeout_ms;
  baton__http_response pic;
  baton__http_response_init(&pic);
  baton__http_request req = {.url = url, .method = "GET", .timeout_ms = timeout,
                             .cancel = c->env->cancel, .max_body = OAI_MAX_MEDIA_BODY};
  baton__http_rc rc = baton__http_perform(&req, &pic);
  const unsigned char *b = (const unsigned char *)pic.body;
  const char *ext = rc == BATON__HTTP_OK && pic.body_len &&
                            !strncmp(baton__hf_input_mime(b, pic.body_len, NULL), "image/", 6)
                        ? baton__hf_ext_for(pic.content_type, pic.body, pic.body_len)
                        : NULL;
  baton__oai_outcome o = BATON__OAI_FAILED;
  if (ext)
    o = baton__oai_out_file(c, "image", BATON__T_IMAGE, pic.body, pic.body_len, ext) == 0
            ? BATON__OAI_DONE
            : BATON__OAI_FAILED;
  else if (rc == BATON__HTTP_ECANCELLED)
    baton__fmt(c->env->err, sizeof c->env->err, "cancelled");
  else
    picture_fetch_error(c, url, rc, &pic);
  baton__http_response_release(&pic);
  return o;
}

/* The picture of an images answer: data[0].b64_json (asked for, and all
 * stable-diffusion.cpp ever sends), else data[0].url fetched without the
 * key (the file may live on another host). */
static baton__oai_outcome image_out(baton__oai_call *c, const baton__http_response *r) {
  cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
  const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "data"), 0);
  const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(d0, "b64_json");
  const cJSON *url = cJSON_GetObjectItemCaseSensitive(d0, "url");
  baton__oai_outcome o = BATON__OAI_FAILED;
  if (cJSON_IsString(b64)) {
    size_t len = 0;
    unsigned char *img = baton__b64_decode(b64->valuestring, strlen(b64->valuestring), &len);
    const char *ext = img ? baton__hf_ext_for(NULL, img, len) : NULL;
    if (!ext || strncmp(baton__hf_input_mime(img, len, NULL), "image/", 6) != 0)
      o = baton__oai_bad_reply(c, "b64_json is not a picture", 25);
    else
      o = baton__oai_out_file(c, "image", BATON__T_IMAGE, img, len, ext) == 0 ? BATON__OAI_DONE
                                                                            : BATON__OAI_FAILED;
    free(img);
  } else if (cJSON_IsString(url)) {
    o = fetch_picture(c, url->valuestring);
  } else {
    o = baton__oai_bad_reply(c, r->body, r->body_len);
  }
  cJSON_Delete(j);
  return o;
}

static const char *size_arg(const baton__values *in) {
  const char *s = baton__oai_arg(in, "size");
  return s && strlen(s) < 16 && strchr(s, 'x') ? s : NULL;
}

/* POST /images/generations as JSON. */
static baton__oai_outcome image_generate(baton__oai_call *c, const char *prompt, char **url,
                                         baton__http_response *resp) {
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "model", c->t->model);
  cJSON_AddStringToObject(doc, "prompt", prompt);
  cJSON_AddNumberToObject(doc, "n", 1);
  if (size_arg(c->in))
    cJSON_AddStringToObject(doc, "size", size_arg(c->in));
  cJSON_AddStringToObject(doc, "response_format", "b64_json");
  char *body = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  *url = baton__oai_url(c->t->base_url, "/images/generations");
  baton__oai_outcome o = BATON__OAI_FAILED;
  if (body && *url) {
    baton__http_request req = {.url = *url, .body = body, .body_len = strlen(body),
                               .content_type = "application/json",
                               .max_body = OAI_MAX_MEDIA_BODY};
    o = baton__oai_send(c, &req, resp);
  } else {
    baton__fmt(c->env->err, sizeof c->env->err, "out of memory");
  }
  free(body);
  return o;
}

/* POST /images/edits as multipart: the picture and the instruction. */
static baton__oai_outcome image_edit(baton__oai_call *c, const char *prompt, char **url,
                                     baton__http_response *resp) {
  const char *path = baton__oai_file(c->in, BATON__T_IMAGE);
  char *data = NULL;
  size_t len = 0;
  if (!path) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s: an image input is needed", c->task->name);
    return BATON__OAI_FAILED;
  }
  if (baton__oai_read(c->env, path, OAI_MAX_UPLOAD, &data, &len) != 0)
    return BATON__OAI_FAILED;
  const char *mime = baton__hf_input_mime((const unsigned char *)data, len, path);
  const char *ext = baton__hf_ext_for(mime, data, len);
  char fname[32];
  baton__fmt(fname, sizeof fname, "image.%s", ext ? ext : "png");
  baton__http_part parts[] = {
      {.name = "image", .data = data, .len = len, .filename = fname, .content_type = mime},
      {.name = "prompt", .value = prompt},
      {.name = "model", .value = c->t->model},
      {.name = "n", .value = "1"},
      {.name = "response_format", .value = "b64_json"},
      {.name = "size", .value = size_arg(c->in)},
  };
  *url = baton__oai_url(c->t->base_url, "/images/edits");
  baton__http_request req = {.url = *url, .parts = parts, .n_parts = size_arg(c->in) ? 6 : 5,
                             .max_body = OAI_MAX_MEDIA_BODY};
  baton__oai_outcome o = *url ? baton__oai_send(c, &req, resp) : BATON__OAI_FAILED;
  if (o == BATON__OAI_FAILED && resp->status == 404)
    baton__fmt(c->env->err, sizeof c->env->err,
               "this server has no /images/edits (LocalAI edits through /images/inpainting "
               "only); declare image editing on a server that has it, such as "
               "stable-diffusion.cpp");
  free(data);
  return o;
}

baton__oai_outcome baton__oai_image(baton__oai_call *c) {
  /* The words: "text", else the "instruction" image-to-image takes (as
   * the local executor does), else "prompt"; image-to-image alone asks for
   * a variation. */
  const char *prompt = baton__oai_arg(c->in, "text");
  if (!prompt)
    prompt = baton__oai_arg(c->in, "instruction");
  if (!prompt)
    prompt = baton__oai_arg(c->in, "prompt");
  if (!prompt && !strcmp(c->task->name, "image-to-image"))
    prompt = "a variation of this picture";
  if (!prompt) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s: a text saying what to draw or change is needed",
               c->task->name);
    return BATON__OAI_FAILED;
  }
  char *url = NULL;
  baton__http_response resp;
  baton__http_response_init(&resp);
  baton__oai_outcome o = c->task->wire == BATON__OAI_IMAGE_GEN
                             ? image_generate(c, prompt, &url, &resp)
                             : image_edit(c, prompt, &url, &resp);
  if (o == BATON__OAI_DONE)
    o = image_out(c, &resp);
  baton__http_response_release(&resp);
  free(url);
  return o;
}
