/* conversation.c — the earlier turns a request carries ("messages"): checked once, read alike by both planners. */
#include "planner/conversation.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

int baton__conversation_check(const cJSON *arr, char *err, size_t errlen) {
  if (!cJSON_IsArray(arr))
    return baton__fmt(err, errlen, "messages must be a JSON array of {\"role\", \"content\"} "
                      "objects, oldest first"), -1;
  int n = cJSON_GetArraySize(arr), i = 0;
  if (n > BATON__HISTORY_MAX_MESSAGES)
    return baton__fmt(err, errlen, "messages hold %d turns; the limit is %d", n,
                      BATON__HISTORY_MAX_MESSAGES), -1;
  const cJSON *m;
  cJSON_ArrayForEach(m, arr) {
    if (!cJSON_IsObject(m) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "role")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "content")))
      return baton__fmt(err, errlen, "messages must be objects with string \"role\" and "
                        "\"content\": message %d is not", i), -1;
    i++;
  }
  return 0;
}

int baton__conversation_parse(const char *json, cJSON **arr, char *err, size_t errlen) {
  size_t len = json ? strlen(json) : 0;
  if (arr)
    *arr = NULL;
  if (len > BATON__HISTORY_MAX_BYTES)
    return baton__fmt(err, errlen, "messages are %zu bytes of JSON; the limit is %u", len,
                      BATON__HISTORY_MAX_BYTES), -1;
  if (!len)
    return 0;
  cJSON *a = cJSON_ParseWithLength(json, len); /* NULL: not JSON, refused as no array */
  if (baton__conversation_check(a, err, errlen) != 0)
    return cJSON_Delete(a), -1;
  if (arr)
    *arr = a;
  else
    cJSON_Delete(a);
  return 0;
}

const char *baton__conversation_word(const char **at, size_t *n) {
  const char *s = *at + strspn(*at, " \t\r\n\"'`([{<)]}>,;");
  size_t e = strcspn(s, " \t\r\n\"'`([{<)]}>,;");
  for (*n = e; *n > 0 && strchr(".:!?", s[*n - 1]);)
    (*n)--;
  *at = s + e;
  return *s ? s : NULL;
}
