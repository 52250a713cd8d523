/* chat_history.h — a dialogue task's conversation ("history", given by the runtime) as chat messages. */
#ifndef BATON_EXECUTORS_CHAT_HISTORY_H
#define BATON_EXECUTORS_CHAT_HISTORY_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "executors/executor.h"

/* The task's conversation, checked: *arr gets an array of {"role": "user"|"assistant",
 * "content"} in which roles alternate from "user" (NULL when the task has none; the caller
 * deletes it). 0, or -1 with env->err set and env->bad_input when it is no such array or passes
 * the bounds of planner/conversation.h (baton__conversation_chat_check). */
int baton__chat_history(const baton__values *in, cJSON **arr, baton__exec_env *env);

/* Appends a copy of each message of arr (NULL: none) to a chat request's "messages"; false when
 * out of memory. */
bool baton__chat_history_append(cJSON *msgs, const cJSON *arr);

#endif
