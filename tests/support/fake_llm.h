/* fake_llm.h — OpenAI-style reply bodies for the fake LLM (a fake_http server). */
#ifndef BATON_TESTS_FAKE_LLM_H
#define BATON_TESTS_FAKE_LLM_H

/* A chat completion whose message is `content`, with the usage given
 * (prompt_tokens pt, completion_tokens ct). Malloc'd JSON text. */
char *fake_llm_completion(const char *content, int pt, int ct);

#endif
