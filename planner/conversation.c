/* conversation.c — the earlier turns a request carries ("messages"): checked once, read alike by both planners. */
#include "planner/conversation.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
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
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "status");
    if (st && (!cJSON_IsString(st) || (strcmp(st->valuestring, "done") != 0 &&
                                       strcmp(st->valuestring, BATON__TURN_FAILED) != 0)))
      return baton__fmt(err, errlen, "message %d: \"status\" may only be \"done\" or \"%s\" "
                        "(its request was not run)", i, BATON__TURN_FAILED), -1;
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
  const char *bad = baton__json_text_problem(json, len);
  if (bad)
    return baton__fmt(err, errlen, "messages are refused: %s", bad), -1;
  cJSON *a = cJSON_ParseWithLength(json, len); /* NULL: not JSON, refused as no array */
  if (baton__conversation_check(a, err, errlen) != 0)
    return cJSON_Delete(a), -1;
  if (arr)
    *arr = a;
  else
    cJSON_Delete(a);
  return 0;
}

/* Message m's content when its role is `role` and it says something, else NULL. */
static const char *said_as(const cJSON *m, const char *role) {
  const char *r = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
  const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "content"));
  return r && c && strcmp(r, role) == 0 && c[strspn(c, " \t\r\n")] ? c : NULL;
}

/* Whether message m says why its request was not run (status BATON__TURN_FAILED). */
static bool not_run(const cJSON *m) {
  const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "status"));
  return st && strcmp(st, BATON__TURN_FAILED) == 0;
}

/* Adds {role, content} at the front of out, content cut at BATON__CHAT_MESSAGE_BYTES. */
static bool put_first(cJSON *out, const char *role, const char *content) {
  size_t len = strlen(content), keep = baton__utf8_cut(content, len, BATON__CHAT_MESSAGE_BYTES);
  char *cut = malloc(keep + 4);
  if (cut)
    memcpy(cut, content, keep), cut[keep] = '\0';
  if (cut && keep < len)
    memcpy(cut + keep, "\xe2\x80\xa6", 4); /* "…" and the NUL */
  cJSON *m = cut ? cJSON_CreateObject() : NULL;
  bool ok = m && cJSON_AddStringToObject(m, "role", role) &&
            cJSON_AddStringToObject(m, "content", cut) && cJSON_InsertItemInArray(out, 0, m);
  if (!ok)
    cJSON_Delete(m);
  free(cut);
  return ok;
}

int baton__conversation_chat(const char *json, char **out, char *err, size_t errlen) {
  cJSON *arr = NULL, *chat = NULL;
  *out = NULL;
  if (baton__conversation_parse(json, &arr, err, errlen) != 0)
    return -1;
  bool ok = !arr || (chat = cJSON_CreateArray()) != NULL;
  size_t pairs = 0;
  for (int i = cJSON_GetArraySize(arr) - 1; ok && i > 0 && pairs < BATON__CHAT_HISTORY_PAIRS;
       i--) {
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    const char *answer = said_as(m, "assistant");
    const char *asked = answer ? said_as(cJSON_GetArrayItem(arr, i - 1), "user") : NULL;
    if (!asked)
      continue; /* a stray message: passed over */
    i--;
    if (not_run(m))
      continue; /* a request that was not run: passed over with the reason given for it */
    ok = put_first(chat, "assistant", answer) && put_first(chat, "user", asked);
    pairs++;
  }
  if (ok && pairs && !(*out = cJSON_PrintUnformatted(chat)))
    ok = false;
  cJSON_Delete(arr), cJSON_Delete(chat);
  return ok ? 0 : (baton__fmt(err, errlen, "out of memory reading the conversation"), -1);
}

/* Whether m is message i of a chat task's conversation: roles alternate from "user", and the
 * content is no longer than baton__conversation_chat() writes (a message cut, and "…"). */
static bool chat_message_ok(const cJSON *m, int i) {
  const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
  const char *content = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "content"));
  return role && content && strcmp(role, i % 2 ? "assistant" : "user") == 0 &&
         strlen(content) <= BATON__CHAT_MESSAGE_BYTES + 3;
}

int baton__conversation_chat_check(const char *json, cJSON **arr, char *err, size_t errlen) {
  size_t len = json ? strlen(json) : 0;
  cJSON *a = len <= BATON__CHAT_HISTORY_MAX_BYTES ? cJSON_ParseWithLength(json, len) : NULL;
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
  bool ok = n > 0 && n % 2 == 0 && n <= 2 * BATON__CHAT_HISTORY_PAIRS;
  for (int i = 0; ok && i < n; i++)
    ok = chat_message_ok(cJSON_GetArrayItem(a, i), i);
  if (arr)
    *arr = ok ? a : NULL;
  if (!ok || !arr)
    cJSON_Delete(a);
  if (!ok)
    baton__fmt(err, errlen, "the conversation must be at most %d exchanges of a user's message "
               "and its answer, each message at most %d bytes (and \"…\" when cut), at most %d "
               "bytes of JSON", BATON__CHAT_HISTORY_PAIRS, BATON__CHAT_MESSAGE_BYTES,
               BATON__CHAT_HISTORY_MAX_BYTES);
  return ok ? 0 : -1;
}

const char *baton__conversation_word(const char **at, size_t *n) {
  const char *s = *at + strspn(*at, " \t\r\n\"'`([{<)]}>,;");
  size_t e = strcspn(s, " \t\r\n\"'`([{<)]}>,;");
  for (*n = e; *n > 0 && strchr(".:!?", s[*n - 1]);)
    (*n)--;
  *at = s + e;
  return *s ? s : NULL;
}
