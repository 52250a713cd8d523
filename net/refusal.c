/* refusal.c — whose fault an HTTP error answer is: the task's input, the model that cannot take that kind of input (a table of the servers' phrases), or the key configured. */
#include "net/http.h"

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
