/* hf.c — the remote Hugging Face inference executor ("hf-inference"): per-task payloads, bounded HTTP with retries, replies normalised into outputs. */
#include "executors/hf.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util.h"
#include "executors/executor.h"
#include "core/banned.h"

#ifndef BATON_VERSION_STRING
#define BATON_VERSION_STRING "0"
#endif

/* ---- small helpers ---------------------------------------------------------- */

bool baton__hf_is_hub_id(const char *id) {
  if (!id || !*id)
    return false;
  size_t n = strlen(id);
  if (n > BATON__HF_MAX_ID || strncmp(id, "local/", 6) == 0 || strstr(id, ".."))
    return false;
  int slashes = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)id[i];
    if (c == '/') {
      if (++slashes > 1 || i == 0 || i + 1 == n)
        return false;
    } else if (!isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return id[0] != '.' && id[0] != '-';
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *baton__hf_b64_encode(const void *data, size_t len) {
  if (len > (SIZE_MAX / 4) * 3 - 3)
    return NULL;
  const unsigned char *p = data;
  size_t out_len = 4 * ((len + 2) / 3);
  char *out = malloc(out_len + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = b64_alphabet[v >> 6 & 63];
    out[o++] = b64_alphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  out[o] = '\0';
  return out;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

unsigned char *baton__hf_b64_decode(const char *s, size_t len, size_t *out_len) {
  unsigned char *out = malloc(len / 4 * 3 + 4);
  if (!out)
    return NULL;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  bool padded = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isspace(c))
      continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || padded) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits & 0xff);
    }
  }
  if (bits >= 6) { /* a lone sixth bit group cannot end valid base64 */
    free(out);
    return NULL;
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

/* The media type of a Content-Type value, lower-cased, without parameters. */
static void media_type(const char *ct, char *out, size_t cap) {
  size_t o = 0;
  if (ct)
    for (; *ct && *ct != ';' && o + 1 < cap; ct++)
      if (!isspace((unsigned char)*ct))
        out[o++] = (char)tolower((unsigned char)*ct);
  out[o] = '\0';
}

/* A file type from its first bytes: {mime, ext}; NULLs when unknown. */
static void sniff(const unsigned char *b, size_t n, const char **mime, const char **ext) {
  *mime = *ext = NULL;
  if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
    *mime = "image/png", *ext = "png";
  else if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
    *mime = "image/jpeg", *ext = "jpg";
  else if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
    *mime = "image/gif", *ext = "gif";
  else if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
    *mime = "image/webp", *ext = "webp";
  else if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0)
    *mime = "audio/wav", *ext = "wav";
  else if (n >= 2 && b[0] == 'B' && b[1] == 'M')
    *mime = "image/bmp", *ext = "bmp";
  else if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0))
    *mime = "image/tiff", *ext = "tiff";
  else if (n >= 4 && memcmp(b, "fLaC", 4) == 0)
    *mime = "audio/flac", *ext = "flac";
  else if (n >= 4 && memcmp(b, "OggS", 4) == 0)
    *mime = "audio/ogg", *ext = "ogg";
  else if (n >= 3 && memcmp(b, "ID3", 3) == 0)
    *mime = "audio/mpeg", *ext = "mp3";
  else if (n >= 2 && b[0] == 0xff && (b[1] & 0xe0) == 0xe0)
    *mime = "audio/mpeg", *ext = "mp3";
  else if (n >= 4 && memcmp(b, "\x1a\x45\xdf\xa3", 4) == 0)
    *mime = "audio/webm", *ext = "webm";
  else if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0)
    *mime = "audio/mp4", *ext = "m4a";
}

static const struct {
  const char *type;
  const char *ext;
} type_exts[] = {
    {"image/jpeg", "jpg"},  {"image/jpg", "jpg"},        {"image/png", "png"},
    {"image/webp", "webp"}, {"image/gif", "gif"},        {"image/bmp", "bmp"},
    {"image/tiff", "tiff"}, {"audio/flac", "flac"},      {"audio/x-flac", "flac"},
    {"audio/wav", "wav"},   {"audio/x-wav", "wav"},      {"audio/wave", "wav"},
    {"audio/vnd.wave", "wav"}, {"audio/mpeg", "mp3"},    {"audio/mp3", "mp3"},
    {"audio/ogg", "ogg"},   {"audio/webm", "webm"},      {"audio/mp4", "m4a"},
    {"video/mp4", "mp4"},   {"video/webm", "webm"},
};

const char *baton__hf_ext_for(const char *content_type, const void *data, size_t len) {
  char mt[96];
  media_type(content_type, mt, sizeof mt);
  for (size_t i = 0; i < sizeof type_exts / sizeof type_exts[0]; i++)
    if (strcmp(mt, type_exts[i].type) == 0)
      return type_exts[i].ext;
  const char *mime, *ext;
  sniff(data, len, &mime, &ext);
  return ext;
}

/* The Content-Type to send for an input file: its signature, else its name. */
const char *baton__hf_input_mime(const unsigned char *b, size_t n, const char *path) {
  const char *mime, *ext;
  sniff(b, n, &mime, &ext);
  if (mime)
    return mime;
  static const struct {
    const char *suffix;
    const char *mime;
  } by_name[] = {{".png", "image/png"},   {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
                 {".gif", "image/gif"},   {".webp", "image/webp"}, {".bmp", "image/bmp"},
                 {".tif", "image/tiff"},  {".tiff", "image/tiff"}, {".flac", "audio/flac"},
                 {".wav", "audio/wav"},   {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
                 {".oga", "audio/ogg"},   {".opus", "audio/ogg"}, {".m4a", "audio/mp4"},
                 {".webm", "audio/webm"}, {".mp4", "video/mp4"}};
  for (size_t i = 0; path && i < sizeof by_name / sizeof by_name[0]; i++)
    if (baton__has_suffix_ci(path, by_name[i].suffix))
      return by_name[i].mime;
  return "application/octet-stream";
}

static bool is_media_type(const char *mt) {
  return strncmp(mt, "image/", 6) == 0 || strncmp(mt, "audio/", 6) == 0 ||
         strncmp(mt, "video/", 6) == 0 || strcmp(mt, "application/octet-stream") == 0;
}

/* Copies s into out (cap bytes) with control characters turned into spaces
 * and runs of white space squeezed; at most max visible bytes. */
static void clean_text(const char *s, size_t len, char *out, size_t cap, size_t max) {
  size_t o = 0;
  bool space = false;
  for (size_t i = 0; i < len && o + 4 < cap && o < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f || c == ' ') {
      space = o > 0;
      continue;
    }
    if (space) {
      out[o++] = ' ';
      space = false;
    }
    out[o++] = (char)c;
  }
  if (o >= max && o + 4 < cap) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* ---- HTTP ------------------------------------------------------------------- */

static pthread_once_t hf_curl_once = PTHREAD_ONCE_INIT;
static void hf_curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct hf_state {
  char *base_url; /* without a trailing '/' */
} hf_state;

/* One HTTP exchange. */
typedef struct hf_http {
  const baton__exec_env *env;
  /* request */
  const char *url;
  const char *token;
  const char *content_type;
  const char *accept;
  const char *body;
  size_t body_len;
  bool wait_for_model;
  /* response */
  long status;
  baton__sb resp;
  char ctype[128];
  char xerr[400];
  double retry_after; /* seconds, or -1 */
  bool too_big;
  size_t limit;       /* the bound that was exceeded */
} hf_http;

static size_t on_write(char *data, size_t size, size_t n, void *ud) {
  hf_http *h = ud;
  size_t len = size * n;
  char mt[96];
  media_type(h->ctype, mt, sizeof mt);
  size_t limit = is_media_type(mt) ? BATON__HF_MAX_BINARY_BODY : BATON__HF_MAX_JSON_BODY;
  if (h->resp.len + len > limit) {
    h->too_big = true;
    h->limit = limit;
    return 0;
  }
  baton__sb_add(&h->resp, data, len);
  return baton__sb_ok(&h->resp) ? len : 0;
}

/* The trimmed value of header `name` in a raw header line, into out; false
 * when the line is another header. */
static bool header_is(const char *line, size_t len, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return false;
  const char *v = line + nl + 1;
  const char *e = line + len;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
    e--;
  size_t vl = (size_t)(e - v);
  if (vl >= cap)
    vl = cap - 1;
  memcpy(out, v, vl);
  out[vl] = '\0';
  return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  hf_http *h = ud;
  size_t len = size * n;
  char val[400];
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after a redirect or 100 Continue): forget the last. */
    h->ctype[0] = '\0';
    h->xerr[0] = '\0';
    h->retry_after = -1;
  } else if (header_is(data, len, "Content-Type", val, sizeof val)) {
    baton__fmt(h->ctype, sizeof h->ctype, "%s", val);
  } else if (header_is(data, len, "X-Error-Message", val, sizeof val)) {
    clean_text(val, strlen(val), h->xerr, sizeof h->xerr, 300);
  } else if (header_is(data, len, "Retry-After", val, sizeof val)) {
    char *end;
    errno = 0;
    double s = strtod(val, &end);
    if (end != val && errno == 0 && s >= 0 && isfinite(s)) {
      h->retry_after = s;
    } else {
      time_t when = curl_getdate(val, NULL);
      if (when != (time_t)-1) {
        double d = difftime(when, time(NULL));
        h->retry_after = d > 0 ? d : 0;
      }
    }
  }
  return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  return baton__exec_cancelled(((hf_http *)ud)->env) ? 1 : 0;
}

/* Performs the exchange with at most timeout_ms (0: none). Returns 0 when an
 * HTTP answer came (h->status, h->resp), -1 otherwise with err set. */
static int http_post(hf_http *h, long timeout_ms, char *err, size_t errlen) {
  baton__sb_reset(&h->resp);
  h->status = 0;
  h->ctype[0] = '\0';
  h->xerr[0] = '\0';
  h->retry_after = -1;
  h->too_big = false;
  CURL *c = curl_easy_init();
  if (!c) {
    baton__fmt(err, errlen, "cannot start an HTTP request (libcurl)");
    return -1;
  }
  struct curl_slist *hd = NULL;
  char line[600];
  baton__sb auth;
  baton__sb_init(&auth);
  baton__sb_addf(&auth, "Authorization: Bearer %s", h->token ? h->token : "");
  hd = curl_slist_append(hd, auth.buf);
  baton__fmt(line, sizeof line, "Content-Type: %s", h->content_type);
  hd = curl_slist_append(hd, line);
  if (h->accept) {
    baton__fmt(line, sizeof line, "Accept: %s", h->accept);
    hd = curl_slist_append(hd, line);
  }
  if (h->wait_for_model)
    hd = curl_slist_append(hd, "x-wait-for-model: true");
  hd = curl_slist_append(hd, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, h->url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1"); /* loopback stays local */
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "baton/" BATON_VERSION_STRING);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body_len);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  long connect_ms = 10000;
  if (timeout_ms > 0) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (timeout_ms < connect_ms)
      connect_ms = timeout_ms;
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  char cerr[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
  curl_slist_free_all(hd);
  baton__sb_release(&auth);
  curl_easy_cleanup(c);
  if (rc == CURLE_OK) {
    if (!baton__sb_ok(&h->resp)) {
      baton__fmt(err, errlen, "out of memory reading the response");
      return -1;
    }
    return 0;
  }
  if (h->too_big)
    baton__fmt(err, errlen, "the response is larger than %zu MiB; refused",
               h->limit / (1024u * 1024u));
  else if (baton__exec_cancelled(h->env))
    baton__fmt(err, errlen, "cancelled");
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    baton__fmt(err, errlen, "timed out");
  else
    baton__fmt(err, errlen, "cannot reach the inference API: %s",
               cerr[0] ? cerr : curl_easy_strerror(rc));
  return rc == CURLE_OPERATION_TIMEDOUT ? -2 : -1;
}

/* Sleeps ms, waking early when the task is cancelled. 0, or -1 if cancelled. */
static int nap(const baton__exec_env *env, int64_t ms) {
  int64_t end = baton__now_ms() + ms;
  for (;;) {
    if (baton__exec_cancelled(env))
      return -1;
    int64_t left = end - baton__now_ms();
    if (left <= 0)
      return 0;
    if (left > 50)
      left = 50;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
}

/* The error text of a failed answer: the X-Error-Message header and the
 * body's "error" (a string, a list of strings, or {"message"}), joined. */
static void answer_message(const hf_http *h, char *out, size_t cap) {
  baton__sb sb;
  baton__sb_init(&sb);
  if (h->xerr[0])
    baton__sb_adds(&sb, h->xerr);
  cJSON *j = h->resp.len ? cJSON_ParseWithLength(h->resp.buf, h->resp.len) : NULL;
  cJSON *e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
  if (!e && cJSON_IsObject(j))
    e = cJSON_GetObjectItemCaseSensitive(j, "errors");
  if (cJSON_IsObject(e))
    e = cJSON_GetObjectItemCaseSensitive(e, "message");
  bool any = false;
  if (cJSON_IsString(e)) {
    if (!h->xerr[0] || strcmp(h->xerr, e->valuestring) != 0) {
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
  if (!any && !sb.len && h->resp.len && !j) {
    baton__sb_adds(&sb, h->resp.buf); /* a plain-text body */
  }
  cJSON_Delete(j);
  if (baton__sb_ok(&sb))
    clean_text(sb.buf, sb.len, out, cap, 300);
  else
    out[0] = '\0';
  baton__sb_release(&sb);
}

/* ---- inputs and payloads ---------------------------------------------------- */

static const char *arg(const baton__values *in, const char *name) {
  const baton__value *v = baton__values_get(in, name);
  return v && v->data ? v->data : NULL;
}

static const char *text_arg(const baton__values *in) {
  const char *t = arg(in, "text");
  if (!t) {
    const baton__value *v = baton__values_get_type(in, BATON__T_TEXT);
    t = v ? v->data : NULL;
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

/* Argument names that are inputs, never model parameters. */
static bool reserved_name(const char *n) {
  static const char *const names[] = {"text", "image", "audio", "video", "json",
                                      "question", "context", "labels", "candidate_labels",
                                      "sentences", "source_sentence", "table", "query", NULL};
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

typedef struct hf_request {
  char *url;
  char *body;          /* owned */
  size_t body_len;
  const char *content_type;
  const char *accept;
  int n_free;          /* free-form parameters sent */
} hf_request;

static bool task_is(const char *task, const char *name) { return strcmp(task, name) == 0; }

static bool image_input_task(const char *task) {
  return task_is(task, "image-classification") || task_is(task, "object-detection") ||
         task_is(task, "image-segmentation") || task_is(task, "image-to-text") ||
         task_is(task, "depth-estimation") || task_is(task, "image-to-image") ||
         task_is(task, "zero-shot-image-classification") ||
         task_is(task, "visual-question-answering") ||
         task_is(task, "document-question-answering") || task_is(task, "image-editing");
}

static bool audio_input_task(const char *task) {
  return task_is(task, "automatic-speech-recognition") || task_is(task, "audio-classification") ||
         task_is(task, "audio-to-audio");
}

/* Reads an input file, bounded by the config. */
static int read_input(baton__exec_env *env, const char *path, char **data, size_t *len) {
  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                      : 64u * 1024u * 1024u;
  char rerr[400];
  if (baton__read_file(path, max, data, len, rerr, sizeof rerr) != 0) {
    baton__fmt(env->err, sizeof env->err, "%s", rerr);
    return -1;
  }
  return 0;
}

/* Sets the request body from a JSON document (consumed). */
static int set_json_body(hf_request *r, cJSON *doc, baton__exec_env *env) {
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

/* Builds the body for one task. drop_free: leave free-form parameters out
 * (after the server said they were not used). 0 or -1 with env->err. */
static int build_body(const char *task, const baton__values *in, baton__exec_env *env,
                      bool drop_free, hf_request *r) {
  const char *text = text_arg(in);
  cJSON *doc = cJSON_CreateObject();
  cJSON *params = cJSON_CreateObject();
  if (!doc || !params) {
    baton__fmt(env->err, sizeof env->err, "out of memory building the request");
    goto fail;
  }

  if (task_is(task, "conversational")) {
    cJSON_Delete(params);
    params = NULL;
    if (!text)
      goto need_text;
    cJSON_AddStringToObject(doc, "model", env->model);
    cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", text);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddBoolToObject(doc, "stream", false);
    if (!drop_free)
      r->n_free = add_free_params(doc, in);
    return set_json_body(r, doc, env);
  }

  if (image_input_task(task) || audio_input_task(task)) {
    unsigned type = image_input_task(task) ? BATON__T_IMAGE : BATON__T_AUDIO;
    const char *path = file_arg(in, type);
    if (!path) {
      baton__fmt(env->err, sizeof env->err, "%s needs an %s input", task,
                 baton__type_name(type));
      goto fail;
    }
    char *data = NULL;
    size_t len = 0;
    if (read_input(env, path, &data, &len) != 0) {
      goto fail;
    }
    bool vqa = task_is(task, "visual-question-answering") ||
               task_is(task, "document-question-answering");
    if (task_is(task, "zero-shot-image-classification")) {
      const char *labels = arg(in, "labels") ? arg(in, "labels") : arg(in, "candidate_labels");
      if (!labels)
        labels = text;
      cJSON *l = list_arg(labels);
      if (cJSON_GetArraySize(l) == 0) {
        cJSON_Delete(l);
        free(data);
        baton__fmt(env->err, sizeof env->err,
                   "%s needs candidate labels: pass labels=\"a,b,c\"", task);
        goto fail;
      }
      cJSON_AddItemToObject(params, "candidate_labels", l);
    }
    if ((task_is(task, "image-to-image") || task_is(task, "image-editing")) && text)
      cJSON_AddStringToObject(params, "prompt", text);
    if (!drop_free)
      r->n_free = add_free_params(params, in);
    if (!vqa && cJSON_GetArraySize(params) == 0) {
      /* No parameters: the file itself, with its type. */
      cJSON_Delete(doc);
      cJSON_Delete(params);
      r->content_type = baton__hf_input_mime((const unsigned char *)data, len, path);
      r->body = data;
      r->body_len = len;
      return 0;
    }
    char *b64 = baton__hf_b64_encode(data, len);
    free(data);
    if (!b64) {
      baton__fmt(env->err, sizeof env->err, "out of memory encoding the input");
      goto fail;
    }
    if (vqa) {
      const char *q = arg(in, "question") ? arg(in, "question") : text;
      if (!q) {
        free(b64);
        baton__fmt(env->err, sizeof env->err, "%s needs a question (a text input)", task);
        goto fail;
      }
      cJSON *inputs = cJSON_AddObjectToObject(doc, "inputs");
      cJSON_AddStringToObject(inputs, "image", b64);
      cJSON_AddStringToObject(inputs, "question", q);
    } else {
      cJSON_AddStringToObject(doc, "inputs", b64);
    }
    free(b64);
    cJSON_AddItemToObject(doc, "parameters", params);
    return set_json_body(r, doc, env);
  }

  if (task_is(task, "question-answering")) {
    const char *q = arg(in, "question");
    const char *ctx = arg(in, "context") ? arg(in, "context") : text;
    if (!q || !ctx) {
      baton__fmt(env->err, sizeof env->err,
                 "question-answering needs a question and a context (the text)");
      goto fail;
    }
    cJSON *inputs = cJSON_AddObjectToObject(doc, "inputs");
    cJSON_AddStringToObject(inputs, "question", q);
    cJSON_AddStringToObject(inputs, "context", ctx);
  } else if (task_is(task, "sentence-similarity")) {
    const char *src = arg(in, "source_sentence") ? arg(in, "source_sentence") : text;
    cJSON *sent = arg(in, "sentences") ? list_arg(arg(in, "sentences")) : cJSON_CreateArray();
    for (int k = 2; k <= 9; k++) {
      char name[8];
      baton__fmt(name, sizeof name, "text%d", k);
      if (arg(in, name))
        cJSON_AddItemToArray(sent, cJSON_CreateString(arg(in, name)));
    }
    if (!src || cJSON_GetArraySize(sent) == 0) {
      cJSON_Delete(sent);
      baton__fmt(env->err, sizeof env->err,
                 "sentence-similarity needs a text and sentences to compare it with (text2)");
      goto fail;
    }
    cJSON *inputs = cJSON_AddObjectToObject(doc, "inputs");
    cJSON_AddStringToObject(inputs, "source_sentence", src);
    cJSON_AddItemToObject(inputs, "sentences", sent);
  } else if (task_is(task, "table-question-answering")) {
    const char *q = arg(in, "query") ? arg(in, "query") : arg(in, "question");
    if (!q)
      q = text;
    const char *tbl = arg(in, "table");
    if (!tbl) {
      const baton__value *v = baton__values_get_type(in, BATON__T_JSON);
      tbl = v ? v->data : NULL;
    }
    cJSON *t = tbl ? cJSON_Parse(tbl) : NULL;
    if (!q || !cJSON_IsObject(t)) {
      cJSON_Delete(t);
      baton__fmt(env->err, sizeof env->err,
                 "table-question-answering needs a query and a table (a JSON object of columns)");
      goto fail;
    }
    cJSON *inputs = cJSON_AddObjectToObject(doc, "inputs");
    cJSON_AddStringToObject(inputs, "query", q);
    cJSON_AddItemToObject(inputs, "table", t);
  } else {
    if (!text)
      goto need_text;
    cJSON_AddStringToObject(doc, "inputs", text);
    if (task_is(task, "zero-shot-classification")) {
      const char *labels = arg(in, "labels") ? arg(in, "labels") : arg(in, "candidate_labels");
      cJSON *l = list_arg(labels);
      if (cJSON_GetArraySize(l) == 0) {
        cJSON_Delete(l);
        baton__fmt(env->err, sizeof env->err,
                   "zero-shot-classification needs candidate labels: pass labels=\"a,b,c\"");
        goto fail;
      }
      cJSON_AddItemToObject(params, "candidate_labels", l);
    }
    if (task_is(task, "text-to-image"))
      r->accept = "image/png";
  }
  /* Feature extraction takes its options at the root, the rest under
   * "parameters". */
  if (!drop_free)
    r->n_free = add_free_params(task_is(task, "feature-extraction") ? doc : params, in);
  cJSON_AddItemToObject(doc, "parameters", params);
  return set_json_body(r, doc, env);

need_text:
  baton__fmt(env->err, sizeof env->err, "%s needs a text input", task);
fail: /* env->err says why */
  cJSON_Delete(doc);
  cJSON_Delete(params);
  return -1;
}

/* The URL for this model and task. */
static char *build_url(const hf_state *st, const char *task, const baton__exec_env *env) {
  const char *ep = env->endpoint ? env->endpoint : "hf-inference";
  bool chat = task_is(task, "conversational");
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
    baton__sb_addf(&sb, "%s/models/%s", st->base_url, env->model);
    if (task_is(task, "feature-extraction") || task_is(task, "sentence-similarity"))
      baton__sb_addf(&sb, "/pipeline/%s", task);
    else if (chat)
      baton__sb_adds(&sb, "/v1/chat/completions");
  }
  return baton__sb_detach(&sb);
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
  clean_text(body, len, snip, sizeof snip, 120);
  baton__fmt(env->err, sizeof env->err, "unexpected %s reply from %s: %s", task, env->model,
             snip);
  return -1;
}

/* Saves base64 blobs ("mask" of segments, "blob" of audio-to-audio). */
static int save_b64(baton__exec_env *env, const char *b64, const char *ctype, const char *name_fmt,
                    int index, char **path_out) {
  size_t len = 0;
  unsigned char *bytes = baton__hf_b64_decode(b64, strlen(b64), &len);
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
                        baton__values *out, const hf_http *h) {
  if (!cJSON_IsArray(j))
    return bad_shape(env, task, h->resp.buf, h->resp.len);
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
                           baton__values *out, const hf_http *h) {
  if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) == 0)
    return bad_shape(env, task, h->resp.buf, h->resp.len);
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
    return bad_shape(env, task, h->resp.buf, h->resp.len);
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

/* Normalises a JSON reply into outputs. */
static int out_json(baton__exec_env *env, const char *task, const hf_http *h,
                    baton__values *out) {
  cJSON *j = cJSON_ParseWithLength(h->resp.buf, h->resp.len);
  if (!j) {
    char mt[96];
    media_type(h->ctype, mt, sizeof mt);
    baton__fmt(env->err, sizeof env->err, "the reply from %s is not JSON (%s)", env->model,
               mt[0] ? mt : "no Content-Type");
    return -1;
  }
  if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "error")) {
    char msg[400];
    answer_message(h, msg, sizeof msg);
    baton__fmt(env->err, sizeof env->err, "%s answered with an error: %s", env->model, msg);
    cJSON_Delete(j);
    return -1;
  }
  int rc = 0;
  const char *s = NULL;
  if (task_is(task, "text-classification") || task_is(task, "audio-classification") ||
      task_is(task, "image-classification") || task_is(task, "zero-shot-classification") ||
      task_is(task, "zero-shot-image-classification")) {
    cJSON *list = label_scores(j);
    if (!list) {
      rc = bad_shape(env, task, h->resp.buf, h->resp.len);
    } else {
      rc = add_top_label(env, out, list);
      if (rc == 0)
        rc = add_json(env, out, list);
      cJSON_Delete(list);
    }
  } else if (task_is(task, "summarization") || task_is(task, "translation") ||
             task_is(task, "text-generation") || task_is(task, "text2text-generation") ||
             task_is(task, "image-to-text")) {
    const char *key = task_is(task, "summarization") ? "summary_text"
                      : task_is(task, "translation") ? "translation_text"
                                                     : "generated_text";
    s = field_text(j, key);
    if (!s)
      s = field_text(j, "generated_text");
    rc = s ? add_text(env, out, s) : bad_shape(env, task, h->resp.buf, h->resp.len);
  } else if (task_is(task, "automatic-speech-recognition")) {
    s = field_text(j, "text");
    rc = s ? add_text(env, out, s) : bad_shape(env, task, h->resp.buf, h->resp.len);
    const cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    if (rc == 0 && cJSON_GetObjectItemCaseSensitive(o, "chunks"))
      rc = add_json(env, out, o);
  } else if (task_is(task, "question-answering") || task_is(task, "visual-question-answering") ||
             task_is(task, "document-question-answering") ||
             task_is(task, "table-question-answering")) {
    const cJSON *best = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    if (cJSON_IsArray(j)) {
      const cJSON *it;
      cJSON_ArrayForEach(it, j) if (num_of(it, "score", 0) > num_of(best, "score", 0)) best = it;
    }
    s = cJSON_IsObject(best) ? str_of(best, "answer") : NULL;
    rc = s ? add_text(env, out, s) : bad_shape(env, task, h->resp.buf, h->resp.len);
    if (rc == 0)
      rc = add_json(env, out, j);
  } else if (task_is(task, "token-classification")) {
    if (!cJSON_IsArray(j)) {
      rc = bad_shape(env, task, h->resp.buf, h->resp.len);
    } else {
      baton__sb sb;
      baton__sb_init(&sb);
      const cJSON *it;
      cJSON_ArrayForEach(it, j) {
        const char *w = str_of(it, "word");
        const char *g = str_of(it, "entity_group") ? str_of(it, "entity_group")
                                                   : str_of(it, "entity");
        if (w)
          baton__sb_addf(&sb, "%s%s (%s)", sb.len ? ", " : "", w, g ? g : "?");
      }
      if (!sb.len)
        baton__sb_adds(&sb, "no entities found");
      rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&sb));
      if (rc == 0)
        rc = add_json(env, out, j);
    }
  } else if (task_is(task, "fill-mask")) {
    s = field_text(j, "sequence");
    rc = s ? add_text(env, out, s) : bad_shape(env, task, h->resp.buf, h->resp.len);
    if (rc == 0)
      rc = add_json(env, out, j);
  } else if (task_is(task, "object-detection")) {
    if (!cJSON_IsArray(j)) {
      rc = bad_shape(env, task, h->resp.buf, h->resp.len);
    } else {
      baton__sb sb;
      baton__sb_init(&sb);
      baton__sb_addf(&sb, "%d object%s", cJSON_GetArraySize(j),
                     cJSON_GetArraySize(j) == 1 ? "" : "s");
      const cJSON *it;
      bool first = true;
      cJSON_ArrayForEach(it, j) {
        baton__sb_addf(&sb, "%s%s (%.2f)", first ? ": " : ", ",
                       str_of(it, "label") ? str_of(it, "label") : "?", num_of(it, "score", 0));
        first = false;
      }
      rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&sb));
      if (rc == 0)
        rc = add_json(env, out, j);
    }
  } else if (task_is(task, "depth-estimation") && str_of(j, "depth")) {
    /* Not confirmed on the wire: {"predicted_depth": tensor, "depth": base64 image}. */
    char *path = NULL;
    rc = save_b64(env, str_of(j, "depth"), NULL, "%s-%d.%s", 0, &path);
    if (rc == 0)
      rc = add_out(env, out, "image", BATON__T_IMAGE, path);
  } else if (task_is(task, "image-segmentation")) {
    rc = out_segments(env, task, j, out, h);
  } else if (task_is(task, "audio-to-audio")) {
    rc = out_audio_blobs(env, task, j, out, h);
  } else if (task_is(task, "conversational")) {
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
    s = str_of(msg, "content");
    if (!s)
      s = field_text(j, "generated_text");
    rc = s ? add_text(env, out, s) : bad_shape(env, task, h->resp.buf, h->resp.len);
  } else if (task_is(task, "sentence-similarity")) {
    if (!cJSON_IsArray(j)) {
      rc = bad_shape(env, task, h->resp.buf, h->resp.len);
    } else {
      baton__sb sb;
      baton__sb_init(&sb);
      const cJSON *it;
      cJSON_ArrayForEach(it, j) baton__sb_addf(&sb, "%s%.2f", sb.len ? ", " : "",
                                               cJSON_IsNumber(it) ? it->valuedouble : 0.0);
      rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&sb));
      if (rc == 0)
        rc = add_json(env, out, j);
    }
  } else if (task_is(task, "feature-extraction")) {
    char shape[64];
    shape_of(j, shape, sizeof shape);
    baton__sb sb;
    baton__sb_init(&sb);
    baton__sb_addf(&sb, "embedding of shape %s", shape[0] ? shape : "?");
    rc = add_out(env, out, "text", BATON__T_TEXT, baton__sb_detach(&sb));
    if (rc == 0)
      rc = add_json(env, out, j);
  } else {
    /* Any other task: its most likely text, and the structure. */
    static const char *const keys[] = {"generated_text", "summary_text", "translation_text",
                                       "answer", "text", "label", "sequence", NULL};
    for (size_t k = 0; keys[k] && !s; k++)
      s = field_text(unwrap(j), keys[k]);
    if (s)
      rc = add_text(env, out, s);
    if (rc == 0)
      rc = add_json(env, out, j);
  }
  cJSON_Delete(j);
  return rc;
}

static bool binary_output_task(const char *task) {
  return task_is(task, "text-to-image") || task_is(task, "text-to-speech") ||
         task_is(task, "image-to-image") || task_is(task, "text-to-video") ||
         task_is(task, "text-to-audio") || task_is(task, "image-editing");
}

/* Normalises a successful reply. */
static int handle_ok(baton__exec_env *env, const char *task, const hf_http *h,
                     baton__values *out) {
  char mt[96];
  media_type(h->ctype, mt, sizeof mt);
  if (is_media_type(mt)) {
    const char *ext = baton__hf_ext_for(h->ctype, h->resp.buf, h->resp.len);
    if (!ext || h->resp.len == 0) {
      baton__fmt(env->err, sizeof env->err, "%s sent %s data of an unknown kind (%zu bytes)",
                 env->model, mt, h->resp.len);
      return -1;
    }
    char name[300];
    baton__fmt(name, sizeof name, "%s.%s", env->file_prefix ? env->file_prefix : "out", ext);
    char *path = save_file(env, name, h->resp.buf, h->resp.len);
    if (!path)
      return -1;
    const char *mime, *sext;
    sniff((const unsigned char *)h->resp.buf, h->resp.len, &mime, &sext);
    unsigned type = strncmp(mt, "audio/", 6) == 0 ? BATON__T_AUDIO
                    : strncmp(mt, "video/", 6) == 0 ? BATON__T_VIDEO
                    : strncmp(mt, "image/", 6) == 0 ? BATON__T_IMAGE
                    : (mime && strncmp(mime, "audio/", 6) == 0) ? BATON__T_AUDIO
                                                                : BATON__T_IMAGE;
    return add_out(env, out, baton__type_name(type), type, path);
  }
  if (binary_output_task(task)) {
    char msg[400] = "";
    answer_message(h, msg, sizeof msg);
    bool audio = task_is(task, "text-to-speech") || task_is(task, "text-to-audio");
    baton__fmt(env->err, sizeof env->err, "%s sent %s instead of %s: %s", env->model,
               mt[0] ? mt : "an untyped body", audio ? "audio" : "an image",
               msg[0] ? msg : "no message");
    return -1;
  }
  return out_json(env, task, h, out);
}

/* Whether a 400 says parameters were not used (transformers' "model_kwargs"). */
static bool unused_params(const hf_http *h) {
  return h->resp.len && (strstr(h->resp.buf, "model_kwargs") || strstr(h->resp.buf, "not used") ||
                         strstr(h->resp.buf, "unexpected keyword"));
}

/* ---- the executor ----------------------------------------------------------- */

static bool hf_available(const baton__config *cfg, char *why, size_t whylen) {
  if (!cfg || !cfg->hf_token || !cfg->hf_token[0]) {
    baton__fmt(why, whylen, "set HF_TOKEN to use Hugging Face models");
    return false;
  }
  return true;
}

static int hf_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  pthread_once(&hf_curl_once, hf_curl_init);
  const char *base = cfg && cfg->hf_base_url ? cfg->hf_base_url
                                             : "https://router.huggingface.co/hf-inference";
  if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
    baton__fmt(err, errlen, "the Hugging Face base URL must start with http:// or https://: %s",
               base);
    return -1;
  }
  hf_state *st = calloc(1, sizeof *st);
  if (!st || !(st->base_url = baton__strdup(base))) {
    free(st);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  size_t n = strlen(st->base_url);
  while (n > 0 && st->base_url[n - 1] == '/')
    st->base_url[--n] = '\0';
  *state = st;
  return 0;
}

static void hf_release(void *state) {
  hf_state *st = state;
  if (!st)
    return;
  free(st->base_url);
  free(st);
}

static int hf_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  hf_state *st = state;
  const char *ep = env->endpoint ? env->endpoint : "hf-inference";
  bool explicit_url = strncmp(ep, "http://", 7) == 0 || strncmp(ep, "https://", 8) == 0;
  if (!st || !task) {
    baton__fmt(env->err, sizeof env->err, "the hf-inference executor is not initialised");
    return -1;
  }
  if (!explicit_url && !baton__hf_is_hub_id(env->model)) {
    baton__fmt(env->err, sizeof env->err, "'%s' is not a Hugging Face model id",
               env->model ? env->model : "");
    return -1;
  }
  const char *token = env->cfg ? env->cfg->hf_token : NULL;
  if (!token || !*token) {
    baton__fmt(env->err, sizeof env->err, "set HF_TOKEN to use Hugging Face models");
    return -1;
  }
  hf_request req = {0};
  if (build_body(task, in, env, false, &req) != 0)
    return -1;
  req.url = build_url(st, task, env);
  if (!req.url) {
    free(req.body);
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }

  hf_http h = {.env = env, .url = req.url, .token = token, .content_type = req.content_type,
               .accept = req.accept, .body = req.body, .body_len = req.body_len};
  baton__sb_init(&h.resp);
  const int64_t t0 = baton__now_ms();
  const long total = env->timeout_ms > 0 ? env->timeout_ms : 0;
  bool dropped = false;
  int rc = -1;
  char err[400];
  char msg[400];
  for (int attempt = 1;; attempt++) {
    long left = 0;
    if (total) {
      left = total - (long)(baton__now_ms() - t0);
      if (left <= 0) {
        baton__fmt(env->err, sizeof env->err, "timed out after %ld ms", total);
        break;
      }
    }
    int hr = http_post(&h, left, err, sizeof err);
    if (hr == -2) {
      if (total)
        baton__fmt(env->err, sizeof env->err, "timed out after %ld ms", total);
      else
        baton__fmt(env->err, sizeof env->err, "timed out connecting to %s", h.url);
      break;
    }
    if (hr != 0) {
      baton__fmt(env->err, sizeof env->err, "%s", err);
      env->transient = true;
      break;
    }
    if (h.status >= 200 && h.status < 300) {
      rc = handle_ok(env, task, &h, out);
      break;
    }
    answer_message(&h, msg, sizeof msg);
    double wait_s = -1;
    if (h.status == 503 || h.status == 502 || h.status == 504) {
      cJSON *j = cJSON_ParseWithLength(h.resp.buf, h.resp.len);
      double est = num_of(j, "estimated_time", -1);
      cJSON_Delete(j);
      wait_s = est >= 0 ? est : (double)(1 << (attempt - 1));
      if (wait_s > BATON__HF_MAX_WAIT_S)
        wait_s = BATON__HF_MAX_WAIT_S;
      if (attempt >= BATON__HF_MAX_ATTEMPTS) {
        baton__fmt(env->err, sizeof env->err, "%s is still unavailable (%ld) after %d tries: %s",
                   env->model, h.status, attempt, msg[0] ? msg : "no message");
        env->transient = true;
        break;
      }
      h.wait_for_model = true;
    } else if (h.status == 429) {
      wait_s = h.retry_after >= 0 ? h.retry_after : (double)(1 << (attempt - 1));
      if (wait_s > BATON__HF_MAX_RETRY_AFTER_S || attempt >= BATON__HF_MAX_ATTEMPTS) {
        char ra[64] = "";
        if (h.retry_after >= 0)
          baton__fmt(ra, sizeof ra, ", asked to wait %.0f s", h.retry_after);
        baton__fmt(env->err, sizeof env->err, "rate limited by the inference API (429)%s%s%s",
                   ra, msg[0] ? ": " : "", msg);
        env->transient = wait_s <= BATON__HF_MAX_RETRY_AFTER_S;
        break;
      }
    } else if (h.status == 400 && !dropped && req.n_free > 0 && unused_params(&h)) {
      /* The model refused free-form parameters: once more without them. */
      hf_request again = {0};
      if (build_body(task, in, env, true, &again) != 0)
        break;
      free(again.url);
      free(req.body);
      req.body = again.body;
      req.body_len = again.body_len;
      req.content_type = again.content_type;
      h.body = req.body;
      h.body_len = req.body_len;
      h.content_type = req.content_type;
      dropped = true;
      continue;
    } else if (h.status == 404) {
      baton__fmt(env->err, sizeof env->err,
                 "model %s is not served by the inference API (404)%s%s", env->model,
                 msg[0] ? ": " : "", msg);
      break;
    } else if (h.status == 401 || h.status == 403) {
      baton__fmt(env->err, sizeof env->err, "HF_TOKEN was refused (%ld): %s", h.status,
                 msg[0] ? msg : "no message");
      break;
    } else {
      baton__fmt(env->err, sizeof env->err, "the inference API answered %ld for %s: %s",
                 h.status, env->model, msg[0] ? msg : "no message");
      env->transient = h.status >= 500;
      break;
    }
    /* Wait, within the time left, then try again. */
    int64_t wait_ms = (int64_t)(wait_s * 1000.0);
    if (total) {
      int64_t remain = total - (baton__now_ms() - t0);
      if (wait_ms >= remain) {
        baton__fmt(env->err, sizeof env->err, "timed out after %ld ms (%s answered %ld: %s)",
                   total, env->model, h.status, msg[0] ? msg : "no message");
        break;
      }
    }
    if (nap(env, wait_ms) != 0) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      break;
    }
  }
  baton__sb_release(&h.resp);
  free(req.body);
  free(req.url);
  return rc;
}

static const char *const hf_tasks[] = {
    "text-classification", "token-classification", "question-answering", "summarization",
    "translation", "text-generation", "text2text-generation", "fill-mask", "sentence-similarity",
    "feature-extraction", "zero-shot-classification", "table-question-answering",
    "conversational", "image-classification", "object-detection", "image-segmentation",
    "image-to-text", "zero-shot-image-classification", "visual-question-answering",
    "document-question-answering", "depth-estimation", "image-to-image", "text-to-image",
    "text-to-speech", "automatic-speech-recognition", "audio-classification", "audio-to-audio",
    NULL};

const baton__executor baton__executor_hf = {
    .name = "hf-inference",
    .model_id = "<any Hub model id>",
    .tasks = hf_tasks,
    .reentrant = true,
    .in_process = true, /* a network client: nothing to isolate */
    .available = hf_available,
    .init = hf_init,
    .run = hf_run,
    .release = hf_release,
};
