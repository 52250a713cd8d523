/* hf.c — the remote Hugging Face inference executor ("hf-inference"): per-task payloads, bounded HTTP with retries, replies normalised into outputs. */
#include "executors/hf.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "executors/hf_task.h"
#include "net/http.h"
#include "core/banned.h"

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

/* The media type of a Content-Type value, lower-cased, without parameters. */
void baton__hf_media_type(const char *ct, char *out, size_t cap) {
  size_t o = 0;
  if (ct)
    for (; *ct && *ct != ';' && o + 1 < cap; ct++)
      if (!isspace((unsigned char)*ct))
        out[o++] = (char)tolower((unsigned char)*ct);
  out[o] = '\0';
}

/* A file type from its first bytes: {mime, ext}; NULLs when unknown. */
void baton__hf_sniff(const unsigned char *b, size_t n, const char **mime, const char **ext) {
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
  baton__hf_media_type(content_type, mt, sizeof mt);
  for (size_t i = 0; i < sizeof type_exts / sizeof type_exts[0]; i++)
    if (strcmp(mt, type_exts[i].type) == 0)
      return type_exts[i].ext;
  const char *mime, *ext;
  baton__hf_sniff(data, len, &mime, &ext);
  return ext;
}

/* The Content-Type to send for an input file: its signature, else its name. */
const char *baton__hf_input_mime(const unsigned char *b, size_t n, const char *path) {
  const char *mime, *ext;
  baton__hf_sniff(b, n, &mime, &ext);
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

bool baton__hf_is_media_type(const char *mt) {
  return strncmp(mt, "image/", 6) == 0 || strncmp(mt, "audio/", 6) == 0 ||
         strncmp(mt, "video/", 6) == 0 || strcmp(mt, "application/octet-stream") == 0;
}

/* Copies s into out (cap bytes) with control characters turned into spaces
 * and runs of white space squeezed; at most max visible bytes. */
void baton__hf_clean_text(const char *s, size_t len, char *out, size_t cap, size_t max) {
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

/* ---- the executor ----------------------------------------------------------- */

typedef struct hf_state {
  char *base_url; /* without a trailing '/' */
} hf_state;


static bool hf_available(const baton__config *cfg, char *why, size_t whylen) {
  if (!cfg || !cfg->hf_token || !cfg->hf_token[0]) {
    baton__fmt(why, whylen, "set HF_TOKEN to use Hugging Face models");
    return false;
  }
  return true;
}

static int hf_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
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

/* ---- one exchange over net/ ------------------------------------------------- */

/* A 2xx body as it arrives, bounded by its kind: media up to
 * BATON__HF_MAX_BINARY_BODY, anything else BATON__HF_MAX_JSON_BODY. */
typedef struct hf_body {
  baton__sb sb;
  size_t limit;  /* the bound that was passed, or 0 */
} hf_body;

static int on_body(void *ud, const baton__http_response *resp, const char *data, size_t len) {
  hf_body *b = ud;
  char mt[96];
  baton__hf_media_type(resp->content_type, mt, sizeof mt);
  size_t limit = baton__hf_is_media_type(mt) ? BATON__HF_MAX_BINARY_BODY : BATON__HF_MAX_JSON_BODY;
  if (b->sb.len + len > limit) {
    b->limit = limit;
    return 1;
  }
  baton__sb_add(&b->sb, data, len);
  return baton__sb_ok(&b->sb) ? 0 : 1;
}

/* POSTs the request with at most timeout_ms (0: none). Returns 0 when an
 * HTTP answer came (resp, with its body), -2 on a timeout, -1 otherwise,
 * with err set. */
static int hf_post(const baton__exec_env *env, const char *url, const baton__hf_request *r,
                   bool wait_for_model, long timeout_ms, baton__http_response *resp, char *err,
                   size_t errlen) {
  char accept[160];
  const char *headers[3] = {NULL, NULL, NULL};
  size_t nh = 0;
  if (r->accept) {
    baton__fmt(accept, sizeof accept, "Accept: %s", r->accept);
    headers[nh++] = accept;
  }
  if (wait_for_model)
    headers[nh++] = "x-wait-for-model: true";
  hf_body b = {.limit = 0};
  baton__sb_init(&b.sb);
  baton__http_request req = {
      .url = url, .headers = headers, .bearer = env->cfg ? env->cfg->hf_token : NULL,
      .content_type = r->content_type, .body = r->body, .body_len = r->body_len,
      .connect_timeout_ms = 10000, .timeout_ms = timeout_ms, .cancel = env->cancel,
      .max_body = BATON__HF_MAX_JSON_BODY, .follow_redirects = true, .on_data = on_body, .ud = &b};
  baton__http_rc rc = baton__http_perform(&req, resp);
  if (rc == BATON__HTTP_OK && b.sb.len) {
    resp->body_len = b.sb.len;
    resp->body = baton__sb_detach(&b.sb);
    if (!resp->body) {
      baton__http_response_release(resp);
      rc = BATON__HTTP_ENOMEM;
    }
  }
  baton__sb_release(&b.sb);
  if (rc == BATON__HTTP_OK || rc == BATON__HTTP_ESTATUS)
    return 0;
  if (b.limit || rc == BATON__HTTP_ETOOBIG)
    baton__fmt(err, errlen, "the response is larger than %zu MiB; refused",
               (b.limit ? b.limit : BATON__HF_MAX_JSON_BODY) / (1024u * 1024u));
  else if (rc == BATON__HTTP_ECANCELLED)
    baton__fmt(err, errlen, "cancelled");
  else if (rc == BATON__HTTP_ETIMEOUT)
    baton__fmt(err, errlen, "timed out");
  else if (rc == BATON__HTTP_ENOMEM)
    baton__fmt(err, errlen, "out of memory reading the response");
  else
    baton__fmt(err, errlen, "cannot reach the inference API: %s", resp->err);
  return rc == BATON__HTTP_ETIMEOUT ? -2 : -1;
}

/* ---- the retry loop ---------------------------------------------------------- */

/* One task's exchange with its state across attempts. */
typedef struct hf_call {
  const baton__hf_task *t;
  const char *task;
  const baton__values *in;
  baton__exec_env *env;
  baton__hf_request req;
  char *url;
  bool wait_for_model;   /* after a first 503: ask the router to wait */
  bool dropped;          /* the free parameters were left out after a 400 */
  int64_t t0;
  long total;            /* the task's timeout, 0 none */
} hf_call;

/* Whether a 400 says parameters were not used (transformers' "model_kwargs"). */
static bool unused_params(const baton__http_response *h) {
  return h->body_len && (strstr(h->body, "model_kwargs") || strstr(h->body, "not used") ||
                         strstr(h->body, "unexpected keyword"));
}

/* The body again without free parameters. 0, or -1 with env->err. */
static int drop_params(hf_call *c) {
  baton__hf_request again = {0};
  if (baton__hf_build_request(c->t, c->task, c->in, c->env, true, &again) != 0)
    return -1;
  free(c->req.body);
  c->req = again;
  c->dropped = true;
  return 0;
}

/* Seconds to wait before trying a 502/503/504 again (the loading model's
 * estimated_time, else 1, 2, 4 ... s), or -1 after the last attempt. */
static double unavailable_wait(hf_call *c, const baton__http_response *h, int attempt,
                               const char *msg) {
  cJSON *j = cJSON_ParseWithLength(h->body, h->body_len);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "estimated_time");
  double wait_s = cJSON_IsNumber(e) && e->valuedouble >= 0 ? e->valuedouble
                                                           : (double)(1 << (attempt - 1));
  cJSON_Delete(j);
  if (attempt >= BATON__HF_MAX_ATTEMPTS) {
    baton__fmt(c->env->err, sizeof c->env->err, "%s is still unavailable (%ld) after %d tries: %s",
               c->env->model, h->status, attempt, msg[0] ? msg : "no message");
    c->env->transient = true;
    return -1;
  }
  c->wait_for_model = true;
  return wait_s > BATON__HF_MAX_WAIT_S ? BATON__HF_MAX_WAIT_S : wait_s;
}

/* Seconds to wait after a 429 (its Retry-After, else 1, 2, 4 ... s), or -1
 * when that is too long or the attempts are spent. */
static double rate_limit_wait(hf_call *c, const baton__http_response *h, int attempt,
                              const char *msg) {
  long ra = baton__http_retry_after_ms(h);
  double wait_s = ra >= 0 ? (double)ra / 1000.0 : (double)(1 << (attempt - 1));
  if (wait_s <= BATON__HF_MAX_RETRY_AFTER_S && attempt < BATON__HF_MAX_ATTEMPTS)
    return wait_s;
  char said[64] = "";
  if (ra >= 0)
    baton__fmt(said, sizeof said, ", asked to wait %.0f s", (double)ra / 1000.0);
  baton__fmt(c->env->err, sizeof c->env->err, "rate limited by the inference API (429)%s%s%s",
             said, msg[0] ? ": " : "", msg);
  c->env->transient = wait_s <= BATON__HF_MAX_RETRY_AFTER_S;
  return -1;
}

/* What a non-2xx answer means: seconds to wait before the next attempt, 0
 * to try again at once, or -1 to stop (env->err set). */
static double judge_status(hf_call *c, const baton__http_response *h, int attempt) {
  baton__exec_env *env = c->env;
  char msg[400];
  baton__hf_answer_message(h, msg, sizeof msg);
  long s = h->status;
  if (s == 503 || s == 502 || s == 504)
    return unavailable_wait(c, h, attempt, msg);
  if (s == 429)
    return rate_limit_wait(c, h, attempt, msg);
  if (s == 400 && !c->dropped && c->req.n_free > 0 && unused_params(h))
    return drop_params(c) == 0 ? 0 : -1; /* once more without the parameters */
  if (s == 404)
    baton__fmt(env->err, sizeof env->err, "model %s is not served by the inference API (404)%s%s",
               env->model, msg[0] ? ": " : "", msg);
  else if (s == 401 || s == 403)
    baton__fmt(env->err, sizeof env->err, "HF_TOKEN was refused (%ld): %s", s,
               msg[0] ? msg : "no message");
  else {
    baton__fmt(env->err, sizeof env->err, "the inference API answered %ld for %s: %s", s,
               env->model, msg[0] ? msg : "no message");
    bool model_cannot = baton__http_model_cannot(s, h->body, h->body_len); /* the model's */
    env->transient = s >= 500 && !model_cannot;
    env->bad_input = baton__http_input_refused(s, h->body, h->body_len); /* the input's */
  }
  return -1;
}

/* Sleeps before the next attempt within the time left. 0, or -1 with
 * env->err (no time left, or cancelled). */
static int wait_before_retry(hf_call *c, double wait_s, const baton__http_response *h) {
  int64_t wait_ms = (int64_t)(wait_s * 1000.0);
  if (c->total && wait_ms >= c->total - (baton__now_ms() - c->t0)) {
    char msg[400];
    baton__hf_answer_message(h, msg, sizeof msg);
    baton__fmt(c->env->err, sizeof c->env->err,
               "%s answered %ld: %s; no time left to wait %.1f s more within the task's %.1f s "
               "timeout", c->env->model, h->status, msg[0] ? msg : "no message", wait_s,
               (double)c->total / 1000.0);
    return -1;
  }
  if (!baton__http_sleep((long)wait_ms, c->env->cancel)) {
    baton__fmt(c->env->err, sizeof c->env->err, "cancelled");
    return -1;
  }
  return 0;
}

/* Attempts until an answer is read or a failure is final. */
static int hf_exchange(hf_call *c, baton__values *out) {
  baton__exec_env *env = c->env;
  baton__http_response h;
  baton__http_response_init(&h);
  char err[400];
  int rc = -1;
  for (int attempt = 1;; attempt++) {
    long left = c->total ? c->total - (long)(baton__now_ms() - c->t0) : 0;
    if (c->total && left <= 0) {
      baton__fmt(env->err, sizeof env->err, "%s did not answer within %.1f s", c->url,
                 (double)c->total / 1000.0);
      break;
    }
    int hr = hf_post(env, c->url, &c->req, c->wait_for_model, left, &h, err, sizeof err);
    if (hr == -2) {
      if (c->total)
        baton__fmt(env->err, sizeof env->err, "%s did not answer within %.1f s", c->url,
                   (double)c->total / 1000.0);
      else
        baton__fmt(env->err, sizeof env->err, "timed out connecting to %s", c->url);
      break;
    }
    if (hr != 0) {
      baton__fmt(env->err, sizeof env->err, "%s", err);
      env->transient = true;
      break;
    }
    if (h.status >= 200 && h.status < 300) {
      rc = baton__hf_reply_outputs(c->t, c->task, &h, env, out);
      break;
    }
    double wait_s = judge_status(c, &h, attempt);
    if (wait_s < 0 || (wait_s > 0 && wait_before_retry(c, wait_s, &h) != 0))
      break;
  }
  baton__http_response_release(&h);
  return rc;
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
  if (baton__values_refuse_join(in, env->model, env->err, sizeof env->err) != 0)
    return -1;
  hf_call c = {.t = baton__hf_task_find(task), .task = task, .in = in, .env = env,
               .t0 = baton__now_ms(), .total = env->timeout_ms > 0 ? env->timeout_ms : 0};
  if (baton__hf_build_request(c.t, task, in, env, false, &c.req) != 0)
    return -1;
  c.url = baton__hf_url(c.t, st->base_url, task, env);
  int rc = -1;
  if (!c.url)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  else
    rc = hf_exchange(&c, out);
  free(c.req.body);
  free(c.url);
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
