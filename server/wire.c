/* wire.c — one JSON-RPC message line parsed alike by batond and baton mcp: one value, nothing after it. */
#include "server/wire.h"

#include <stdbool.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "core/banned.h"

/* Whether s[0..len) is only blanks a line may end with. */
static bool blank(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  return true;
}

/* A copy of the "id" of the message m, when it is a number, or a string in
 * valid UTF-8 that no NUL in the line may have cut short. */
static cJSON *readable_id(const cJSON *m, bool nul) {
  const cJSON *id = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "id") : NULL;
  if (cJSON_IsNumber(id) || (cJSON_IsString(id) && !nul &&
                             baton__utf8_valid(id->valuestring, strlen(id->valuestring))))
    return cJSON_Duplicate(id, 1);
  return NULL;
}

cJSON *baton__wire_parse(const char *line, size_t len, char *msg, size_t cap, cJSON **id_out) {
  if (id_out)
    *id_out = NULL;
  const char *end = NULL;
  cJSON *m = cJSON_ParseWithLengthOpts(line, len, &end, false);
  size_t used = m && end ? (size_t)(end - line) : len;
  const char *bad = baton__json_text_problem(line, len);
  if (!bad && m && used <= len && blank(line + used, len - used))
    return m;
  if (bad) {
    baton__fmt(msg, cap, "parse error: the request is refused: %s", bad);
  } else if (m) {
    baton__fmt(msg, cap,
               "parse error: text after the JSON value at byte %zu: send one message per line",
               used);
  } else {
    char why[96];
    baton__fmt(msg, cap, "parse error: %s",
               baton__json_parse_problem(line, len, CJSON_NESTING_LIMIT, why, sizeof why));
  }
  if (id_out)
    *id_out = readable_id(m, memchr(line, '\0', len) || baton__json_has_nul(line, len));
  cJSON_Delete(m);
  return NULL;
}
