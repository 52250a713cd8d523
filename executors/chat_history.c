/* chat_history.c — a dialogue task's conversation ("history", given by the runtime) as chat messages. */
#include "executors/chat_history.h"

#include "core/util.h"
#include "planner/conversation.h"
#include "planner/output_names.h"
#include "core/banned.h"

/* Contract: the runtime gives a dialogue task the conversation it continues as
 * BATON__ARG_HISTORY (baton__conversation_chat): whole exchanges, oldest first. A value that
 * passed through a queue worker is checked again here before a chat endpoint is sent it. */

int baton__chat_history(const baton__values *in, cJSON **arr, baton__exec_env *env) {
  const baton__value *v = baton__values_get(in, BATON__ARG_HISTORY);
  *arr = NULL;
  if (!v || !v->data || !*v->data)
    return 0;
  char why[256];
  if (baton__conversation_chat_check(v->data, arr, why, sizeof why) != 0) {
    baton__fmt(env->err, sizeof env->err, "\"%s\": %s", BATON__ARG_HISTORY, why);
    env->bad_input = true;
    return -1;
  }
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
