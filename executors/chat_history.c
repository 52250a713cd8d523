/* chat_history.c — a dialogue task's conversation ("history", given by the runtime) as chat messages. */
#include "executors/chat_history.h"

#include <string.h>

#include "core/util.h"
#include "planner/conversation.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: the runtime gives a dialogue task the conversation it continues as
 * BATON__ARG_HISTORY (baton__conversation_chat): whole exchanges, oldest first. A value that
 * passed through a queue worker is checked again here before a chat endpoint is sent it. */

/* The longest content baton__conversation_chat() writes: a message cut, and "…". */
#define MESSAGE_MAX (BATON__CHAT_MESSAGE_BYTES + 3)

static bool message_ok(const cJSON *m, int i) {
  const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
  const char *content = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "content"));
  return role && content && strcmp(role, i % 2 ? "assistant" : "user") == 0 &&
         strlen(content) <= MESSAGE_MAX;
}

int baton__chat_history(const baton__values *in, cJSON **arr, baton__exec_env *env) {
  const baton__value *v = baton__values_get(in, BATON__ARG_HISTORY);
  *arr = NULL;
  if (!v || !v->data || !*v->data)
    return 0;
  cJSON *a = cJSON_Parse(v->data);
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
  bool ok = n > 0 && n % 2 == 0 && n <= 2 * BATON__CHAT_HISTORY_PAIRS;
  for (int i = 0; ok && i < n; i++)
    ok = message_ok(cJSON_GetArrayItem(a, i), i);
  if (!ok) {
    cJSON_Delete(a);
    baton__fmt(env->err, sizeof env->err, "\"%s\" must be at most %d exchanges of a user's "
               "message and its answer, each message at most %d bytes (and \"…\" when cut)",
               BATON__ARG_HISTORY, BATON__CHAT_HISTORY_PAIRS, BATON__CHAT_MESSAGE_BYTES);
    env->bad_input = true;
    return -1;
  }
  *arr = a;
  return 0;
}

bool baton__chat_history_append(cJSON *msgs, const cJSON *arr) {
  const cJSON *m;
  cJSON_ArrayForEach(m, arr) {
    cJSON *copy = cJSON_Duplicate(m, true);
    if (!copy || !cJSON_AddItemToArray(msgs, copy))
      return cJSON_Delete(copy), false;
  }
  return true;
}
