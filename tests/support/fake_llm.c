/* fake_llm.c — OpenAI-style reply bodies for the fake LLM (a fake_http server). */
#include "support/fake_llm.h"

#include <cjson/cJSON.h>

char *fake_llm_completion(const char *content, int pt, int ct) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "object", "chat.completion");
  cJSON *c = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "choices"), c);
  cJSON *m = cJSON_AddObjectToObject(c, "message");
  cJSON_AddStringToObject(m, "role", "assistant");
  cJSON_AddStringToObject(m, "content", content);
  cJSON_AddStringToObject(c, "finish_reason", "stop");
  cJSON *u = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(u, "prompt_tokens", pt);
  cJSON_AddNumberToObject(u, "completion_tokens", ct);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}
