/* refusal.c — whose fault an HTTP error answer is: the task's input, the model that cannot take that kind of input (a table of the servers' phrases), or the key configured. */
#include "net/http.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* What model servers say when the model itself cannot take the kind of input it was sent (not
 * that this input is wrong): another model may well take it. Matched case-insensitively
 * anywhere in the error body. Each from ../shared/docs/MODEL-SERVERS.md (section, source). */
static const char *const model_cannot[] = {
    /* llama.cpp llama-server started without --mmproj (a text-only model), on an image or an
     * audio part: "image input is not supported - hint: if this is unexpected, you may need to
     * provide the mmproj" (§6 "llama.cpp", [LC-media] tools/server/server-common.cpp); 400, or
     * 500 from builds that throw it as a runtime_error (§0, [LC-routes]). */
    "image input is not supported",
    "audio input is not supported",
};

/* Whether body[0..len) holds s, ignoring case. */
static bool has_phrase(const char *body, size_t len, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; n && i + n <= len; i++) {
    size_t k = 0;
    while (k < n && tolower((unsigned char)body[i + k]) == s[k])
      k++;
    if (k == n)
      return true;
  }
  return false;
}

bool baton__http_model_cannot(long status, const char *body, size_t len) {
  if (status < 400 || status == 429 || !body)
    return false;
  for (size_t i = 0; i < sizeof model_cannot / sizeof model_cannot[0]; i++)
    if (has_phrase(body, len, model_cannot[i]))
      return true;
  return false;
}

bool baton__http_input_refused(long status, const char *body, size_t len) {
  return baton__http_bad_input(status) && !baton__http_model_cannot(status, body, len);
}

char *baton__http_key_note(long status, const char *key_env, bool key_sent, char *out,
                           size_t cap) {
  if (!out || !cap)
    return out;
  out[0] = '\0';
  if (status != 401 && status != 403)
    return out;
  if (key_sent)
    baton__fmt(out, cap, "; the key in %s (api_key_env) was refused",
               key_env && *key_env ? key_env : "the config");
  else if (key_env && *key_env)
    baton__fmt(out, cap, "; no key was sent: %s (api_key_env) is not set", key_env);
  else
    baton__fmt(out, cap, "; no key was sent: give the endpoint api_key_env");
  return out;
}

/* ---- an error object in a 2xx answer ------------------------------------------------------- */

#define BODY_ERROR_MAX 65536 /* an error object is small: a longer body is an answer */

/* Each error "type" servers send and the status the same error has as an error answer
 * (../shared/docs/MODEL-SERVERS.md §0: llama.cpp [LC-err], Ollama [OL-err], OpenAI [OA-err]). */
static const struct {
  const char *type;
  long status;
} error_kinds[] = {
    {"unavailable_error", 503},   {"server_error", 500},        {"api_error", 500},
    {"overloaded_error", 503},    {"service_unavailable", 503}, {"timeout_error", 504},
    {"rate_limit_error", 429},    {"rate_limit_exceeded", 429}, {"requests", 429},
    {"tokens", 429},              {"not_found_error", 404},     {"model_not_found", 404},
    {"invalid_request_error", 400}, {"exceed_context_size_error", 400},
    {"not_supported_error", 501}, {"authentication_error", 401}, {"permission_error", 403},
};

/* Words of a message saying the server cannot serve now (llama.cpp's 503 "Loading model"). */
static const char *const busy_words[] = {"overloaded", "loading model", "unavailable",
                                         "try again later", "server busy"};

static long kind_status(const cJSON *e, const cJSON *top) {
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
  if (cJSON_IsNumber(code) && code->valuedouble >= 400 && code->valuedouble < 600)
    return (long)code->valuedouble;
  const char *kinds[] = {cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type")),
                         cJSON_GetStringValue(code),
                         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(top, "error_type"))};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    for (size_t i = 0; kinds[k] && i < sizeof error_kinds / sizeof error_kinds[0]; i++)
      if (strcmp(kinds[k], error_kinds[i].type) == 0)
        return error_kinds[i].status;
  const cJSON *m = cJSON_IsString(e) ? e : cJSON_GetObjectItemCaseSensitive(e, "message");
  const char *msg = cJSON_GetStringValue(m);
  for (size_t i = 0; msg && i < sizeof busy_words / sizeof busy_words[0]; i++)
    if (has_phrase(msg, strlen(msg), busy_words[i]))
      return 503;
  return 200;
}

long baton__http_body_error_status(const char *body, size_t len) {
  size_t i = 0;
  while (body && i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
    i++;
  if (!body || i >= len || body[i] != '{' || len > BODY_ERROR_MAX ||
      !has_phrase(body, len, "error"))
    return 0;
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  const char *object = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "object"));
  long st = 0;
  if (cJSON_IsObject(e) || (cJSON_IsString(e) && e->valuestring[0]))
    st = kind_status(e, j);
  else if (object && strcmp(object, "error") == 0) /* vLLM < 0.10.1: flat */
    st = kind_status(j, j);
  cJSON_Delete(j);
  return st;
}
