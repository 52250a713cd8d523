/* test_conversation.c — the conversation a request carries: one check for both planners, the daemon and MCP. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/conversation.h"
#include "core/banned.h"

/* The error a conversation gets, or "" when it passes; the array it parses to is checked. */
static const char *refusal(const char *json) {
  static char err[256];
  cJSON *arr = (cJSON *)1;
  err[0] = '\0';
  int rc = baton__conversation_parse(json, &arr, err, sizeof err);
  cr_assert_eq(rc, err[0] ? -1 : 0, "rc %d with '%s'", rc, err);
  cr_assert(rc == 0 ? (json && *json ? cJSON_IsArray(arr) : arr == NULL) : arr == NULL);
  cJSON_Delete(arr);
  return err;
}

Test(conversation, none_is_empty) {
  cr_assert_str_empty(refusal(NULL));
  cr_assert_str_empty(refusal(""));
  cr_assert_str_empty(refusal("[]"));
}

Test(conversation, takes_turns_with_files_and_outputs) {
  cr_assert_str_empty(refusal("[{\"role\":\"user\",\"content\":\"find the faces in a.jpg\"},"
                              "{\"role\":\"assistant\",\"content\":\"2 faces\","
                              "\"files\":[\"b.png\"],\"outputs\":{\"text\":\"2 faces\"},"
                              "\"lang\":\"en\"}]"));
}

Test(conversation, refuses_what_is_no_list_of_turns) {
  cr_assert(strstr(refusal("{\"role\":\"user\"}"), "must be a JSON array"));
  cr_assert(strstr(refusal("[{\"role\":\"user\""), "must be a JSON array")); /* cut short */
  cr_assert(strstr(refusal("[{\"role\":\"user\",\"content\":\"a\"},\"b\"]"), "message 1 is not"));
  cr_assert(strstr(refusal("[{\"role\":\"user\",\"content\":7}]"), "message 0 is not"));
  cr_assert(strstr(refusal("[{\"content\":\"x\"}]"), "message 0 is not"));
}

/* JSON text of n turns, each content a string of `chars` x's. */
static char *turns(int n, size_t chars) {
  size_t cap = (size_t)n * (chars + 40) + 3, len = 1;
  char *s = malloc(cap);
  cr_assert_not_null(s);
  s[0] = '[';
  for (int i = 0; i < n; i++) {
    len += (size_t)snprintf(s + len, cap - len, "%s{\"role\":\"user\",\"content\":\"",
                            i ? "," : "");
    memset(s + len, 'x', chars);
    len += chars;
    len += (size_t)snprintf(s + len, cap - len, "\"}");
  }
  snprintf(s + len, cap - len, "]");
  return s;
}

Test(conversation, is_bounded_in_turns_and_bytes) {
  char *most = turns(BATON__HISTORY_MAX_MESSAGES, 4);
  char *over = turns(BATON__HISTORY_MAX_MESSAGES + 1, 4);
  cr_assert_str_empty(refusal(most));
  cr_assert(strstr(refusal(over), "hold 201 turns; the limit is 200"), "%s", refusal(over));
  char *big = turns(2, BATON__HISTORY_MAX_BYTES / 2);
  cr_assert(strstr(refusal(big), "bytes of JSON; the limit is 1048576"), "%s", refusal(big));
  free(most), free(over), free(big);
}

/* The words of s that may name files, joined by '|'. */
static char *words(const char *s) {
  static char out[256];
  size_t n, len = 0;
  out[0] = '\0';
  for (const char *w; (w = baton__conversation_word(&s, &n));)
    len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s", len ? "|" : "", (int)n, w);
  return out;
}

Test(conversation, words_come_without_quotes_brackets_and_marks) {
  cr_assert_str_eq(words("see (a.png), 'b.wav'; c.jpg!"), "see|a.png|b.wav|c.jpg");
  cr_assert_str_eq(words("x.png,y.png: done."), "x.png|y.png|done");
  cr_assert_str_eq(words("  [<\"\""), "");
  cr_assert_str_eq(words("dir/a b.txt?"), "dir/a|b.txt");
}
