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

/* baton__conversation_chat(json) as text ("" for none), which must pass. */
static char *chat_of(const char *json) {
  char err[256] = "", *out = (char *)1;
  cr_assert_eq(baton__conversation_chat(json, &out, err, sizeof err), 0, "%s", err);
  return out ? out : calloc(1, 1);
}

Test(conversation, a_chat_is_given_whole_exchanges_newest_last) {
  char *c = chat_of("[{\"role\":\"user\",\"content\":\"what is the capital of France?\","
                    "\"files\":[\"a.jpg\"]},{\"role\":\"assistant\",\"content\":\"Paris.\","
                    "\"outputs\":{\"text\":\"Paris.\"}}]");
  cr_assert_str_eq(c, "[{\"role\":\"user\",\"content\":\"what is the capital of France?\"},"
                      "{\"role\":\"assistant\",\"content\":\"Paris.\"}]");
  free(c);
  /* no answer yet, a blank answer, a system message, two questions in a row: no exchange */
  const char *none[] = {NULL, "", "[]", "[{\"role\":\"user\",\"content\":\"hi\"}]",
                        "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                        "\"content\":\" \\n\"}]",
                        "[{\"role\":\"system\",\"content\":\"be nice\"},{\"role\":\"assistant\","
                        "\"content\":\"ok\"}]"};
  for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
    c = chat_of(none[i]);
    cr_assert_str_empty(c, "%s", none[i] ? none[i] : "NULL");
    free(c);
  }
}

/* Asserts that chat c holds exactly the newest BATON__CHAT_HISTORY_PAIRS of six exchanges
 * "q<i>" / "a<i>" (i from 0), roles alternating from the user's, with no "status" sent. */
static void holds_newest_of_six(const char *c) {
  cJSON *arr = cJSON_Parse(c);
  cr_assert_eq(cJSON_GetArraySize(arr), 2 * BATON__CHAT_HISTORY_PAIRS, "%s", c);
  for (int i = 0; i < 2 * BATON__CHAT_HISTORY_PAIRS; i++) {
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    char want[16];
    snprintf(want, sizeof want, "%c%d", i % 2 ? 'a' : 'q', 6 - BATON__CHAT_HISTORY_PAIRS + i / 2);
    cr_assert_str_eq(cJSON_GetObjectItem(m, "role")->valuestring, i % 2 ? "assistant" : "user");
    cr_assert_str_eq(cJSON_GetObjectItem(m, "content")->valuestring, want, "%s", c);
    cr_assert_null(cJSON_GetObjectItem(m, "status"), "the mark is not sent: %s", c);
  }
  cJSON_Delete(arr);
}

/* Stray messages (a question left unanswered, a system note) are passed over, so that roles
 * alternate from a user's message; only the newest BATON__CHAT_HISTORY_PAIRS exchanges. */
Test(conversation, a_chat_gets_alternating_roles_and_the_newest_exchanges_only) {
  char json[4096] = "[";
  for (int i = 0; i < 6; i++)
    snprintf(json + strlen(json), sizeof json - strlen(json),
             "%s{\"role\":\"user\",\"content\":\"q%d\"},{\"role\":\"assistant\","
             "\"content\":\"a%d\"},{\"role\":\"user\",\"content\":\"unanswered %d\"}",
             i ? "," : "", i, i, i);
  snprintf(json + strlen(json), sizeof json - strlen(json), "]");
  char *c = chat_of(json);
  holds_newest_of_six(c);
  free(c);
}

/* A long message is cut at BATON__CHAT_MESSAGE_BYTES, never inside a character, and says so. */
Test(conversation, a_long_message_is_cut_between_characters_and_marked) {
  size_t n = 1 + 2 * (BATON__CHAT_MESSAGE_BYTES / 2 + 25);
  char *long_text = malloc(n + 1);
  long_text[0] = 'x'; /* then "é" (2 bytes) over and over: the cut falls inside one */
  for (size_t i = 1; i < n; i += 2)
    long_text[i] = (char)0xc3, long_text[i + 1] = (char)0xa9;
  long_text[n] = '\0';
  cJSON *conv = cJSON_CreateArray(), *m = cJSON_CreateObject(), *a = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "role", "user"), cJSON_AddStringToObject(m, "content", long_text);
  cJSON_AddStringToObject(a, "role", "assistant"), cJSON_AddStringToObject(a, "content", "ok");
  cJSON_AddItemToArray(conv, m), cJSON_AddItemToArray(conv, a);
  char *json = cJSON_PrintUnformatted(conv), *c = chat_of(json);
  cJSON *arr = cJSON_Parse(c);
  const char *got = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "content")->valuestring;
  size_t len = strlen(got);
  cr_assert_eq(len, BATON__CHAT_MESSAGE_BYTES - 1 + 3, "cut at %zu bytes", len);
  cr_assert_str_eq(got + len - 3, "\xe2\x80\xa6");
  cr_assert_eq(strncmp(got, long_text, len - 3), 0);
  cJSON_Delete(arr), cJSON_Delete(conv);
  free(c), free(json), free(long_text);
}

Test(conversation, a_chat_of_a_bad_conversation_is_refused) {
  char err[256] = "", *out = (char *)1;
  cr_assert_eq(baton__conversation_chat("{\"role\":\"user\"}", &out, err, sizeof err), -1);
  cr_assert_null(out);
  cr_assert(strstr(err, "array"), "%s", err);
}

/* "status" says whether an answer's request was run: "done" or "failed", nothing else. */
Test(conversation, a_status_is_done_or_failed) {
  cr_assert_str_empty(refusal("[{\"role\":\"user\",\"content\":\"describe a.jpg\"},"
                              "{\"role\":\"assistant\",\"content\":\"Not run: no captioner\","
                              "\"status\":\"failed\"},{\"role\":\"user\",\"content\":\"hi\"},"
                              "{\"role\":\"assistant\",\"content\":\"Hello.\","
                              "\"status\":\"done\"}]"));
  const char *bad[] = {"7", "null", "\"fail\"", "\"cancelled\"", "[\"failed\"]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char json[256];
    snprintf(json, sizeof json, "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
             "\"content\":\"Hello.\",\"status\":%s}]", bad[i]);
    const char *why = refusal(json);
    cr_assert(strstr(why, "message 1: \"status\" may only be \"done\" or \"failed\""), "%s: %s",
              bad[i], why);
  }
}

/* An exchange whose answer says why its request was not run is passed over whole: the chat gets
 * the newest BATON__CHAT_HISTORY_PAIRS answered exchanges, however many failed ones lie between. */
Test(conversation, a_chat_is_not_given_the_exchanges_that_were_not_run) {
  char json[4096] = "[";
  for (int i = 0; i < 6; i++)
    snprintf(json + strlen(json), sizeof json - strlen(json),
             "%s{\"role\":\"user\",\"content\":\"q%d\"},{\"role\":\"assistant\","
             "\"content\":\"a%d\",\"status\":\"done\"},{\"role\":\"user\",\"content\":\"bad%d\"},"
             "{\"role\":\"assistant\",\"content\":\"Not run: %d\",\"status\":\"failed\"}",
             i ? "," : "", i, i, i, i);
  snprintf(json + strlen(json), sizeof json - strlen(json), "]");
  char *c = chat_of(json);
  holds_newest_of_six(c);
  free(c);
  /* Only failed exchanges: none at all. */
  c = chat_of("[{\"role\":\"user\",\"content\":\"describe a.jpg\"},{\"role\":\"assistant\","
              "\"content\":\"Not run: no captioner\",\"status\":\"failed\"}]");
  cr_assert_str_empty(c);
  free(c);
}

/* What a chat task may be given (and a resumed run may have stored): what
 * baton__conversation_chat writes, at its longest, passes; anything else is refused. */
Test(conversation, a_chat_history_is_checked_as_baton_writes_it) {
  char *most = malloc(BATON__CHAT_MESSAGE_BYTES * 2 + 1);
  memset(most, 1, BATON__CHAT_MESSAGE_BYTES * 2); /* each escaped six bytes long */
  most[BATON__CHAT_MESSAGE_BYTES * 2] = '\0';
  cJSON *conv = cJSON_CreateArray();
  for (int i = 0; i < 2 * (BATON__CHAT_HISTORY_PAIRS + 1); i++) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", i % 2 ? "assistant" : "user");
    cJSON_AddStringToObject(m, "content", most);
    cJSON_AddItemToArray(conv, m);
  }
  char *json = cJSON_PrintUnformatted(conv), *c = chat_of(json), err[512] = "";
  cJSON *arr = NULL;
  cr_assert_eq(baton__conversation_chat_check(c, &arr, err, sizeof err), 0, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(arr), 2 * BATON__CHAT_HISTORY_PAIRS);
  cJSON_Delete(arr), cJSON_Delete(conv);
  free(c), free(json), free(most);
  const char *bad[] = {
      NULL, "", "not json", "{}", "[]",
      "[{\"role\":\"user\",\"content\":\"hi\"}]", /* no answer */
      "[{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"q\"}]",
      "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":7}]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    arr = (cJSON *)1;
    cr_assert_eq(baton__conversation_chat_check(bad[i], &arr, err, sizeof err), -1, "%zu", i);
    cr_assert_null(arr);
    cr_assert(strstr(err, "at most 4 exchanges of a user's message and its answer"), "%s", err);
  }
  /* Past the bound in bytes (whitespace that would parse), or a message longer than a cut one. */
  size_t big = BATON__CHAT_HISTORY_MAX_BYTES + 1;
  char *pad = malloc(big + 64);
  snprintf(pad, big + 64, "[{\"role\":\"user\",\"content\":\"q\"},"
           "{\"role\":\"assistant\",\"content\":\"a\"}%*s]", (int)(big - 60), "");
  cr_assert_gt(strlen(pad), BATON__CHAT_HISTORY_MAX_BYTES);
  cr_assert_eq(baton__conversation_chat_check(pad, NULL, err, sizeof err), -1);
  memset(pad, 'x', BATON__CHAT_MESSAGE_BYTES + 4);
  pad[BATON__CHAT_MESSAGE_BYTES + 4] = '\0';
  char one[2 * BATON__CHAT_MESSAGE_BYTES + 128];
  snprintf(one, sizeof one, "[{\"role\":\"user\",\"content\":\"%s\"},"
           "{\"role\":\"assistant\",\"content\":\"a\"}]", pad);
  cr_assert_eq(baton__conversation_chat_check(one, NULL, err, sizeof err), -1);
  free(pad);
}
