/* conversation.h — the earlier turns a request carries ("messages"): checked once, read alike by both planners. */
#ifndef BATON_PLANNER_CONVERSATION_H
#define BATON_PLANNER_CONVERSATION_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define BATON__HISTORY_MAX_BYTES (1024u * 1024u) /* the messages' JSON text */
#define BATON__HISTORY_MAX_MESSAGES 200
/* A message's "status" when its request was not run: the word a failed run's result uses. */
#define BATON__TURN_FAILED "failed"

/* Checks a conversation given as JSON text (NULL or "": none): an array of at most
 * BATON__HISTORY_MAX_MESSAGES objects with string "role" and "content" (files?, outputs?, lang?,
 * tasks?, status?: "done" or BATON__TURN_FAILED, this one marking an answer that says why its
 * request was not run; any other status is refused), oldest first, at most
 * BATON__HISTORY_MAX_BYTES. *arr (if not NULL) gets the array (NULL for none; the caller deletes
 * it). 0, or -1 with err saying what is wrong. */
int baton__conversation_parse(const char *json, cJSON **arr, char *err, size_t errlen);
/* The same check of an array already parsed (a daemon's or MCP call's "messages"). */
int baton__conversation_check(const cJSON *arr, char *err, size_t errlen);

/* What a chat task is given of the conversation (runtime/run_exec.c, "history"): the newest
 * exchanges, each a user's message and the answer right after it. */
#define BATON__CHAT_HISTORY_PAIRS 4
#define BATON__CHAT_MESSAGE_BYTES 2000 /* a longer message is cut there, and "…" added */

/* The newest exchanges of a conversation (JSON text as baton__conversation_parse() takes; NULL or
 * "": none) as chat messages: *out gets a JSON array of {"role": "user"|"assistant", "content"},
 * oldest first, whole pairs only (user, then assistant; blank ones and other roles left out, so
 * that roles alternate as chat templates require; an exchange whose answer has the status
 * BATON__TURN_FAILED left out too: it says why nothing was run, it answers nothing), at most
 * BATON__CHAT_HISTORY_PAIRS; NULL when there is none. 0, or -1 (bad conversation, or out of
 * memory) with err set. */
int baton__conversation_chat(const char *json, char **out, char *err, size_t errlen);

/* The most bytes of JSON text baton__conversation_chat() writes: every message at its longest
 * (BATON__CHAT_MESSAGE_BYTES and "…"), each byte escaped at most six times over. */
#define BATON__CHAT_HISTORY_MAX_BYTES \
  (2 * BATON__CHAT_HISTORY_PAIRS * (6 * (BATON__CHAT_MESSAGE_BYTES + 3) + 40) + 2)

/* Checks a chat task's conversation as baton__conversation_chat() writes it (the value a dialogue
 * task is given, or one stored with a run to resume it): at most BATON__CHAT_HISTORY_MAX_BYTES
 * of JSON, an array of 1 to BATON__CHAT_HISTORY_PAIRS exchanges of {"role": "user"|"assistant",
 * "content"} with roles alternating from "user", each content at most BATON__CHAT_MESSAGE_BYTES
 * (and "…" when cut). *arr (if not NULL) gets the array (the caller deletes it). 0, or -1 with
 * err saying what it must be. */
int baton__conversation_chat_check(const char *json, cJSON **arr, char *err, size_t errlen);

/* The next word of a message's text that may name a file ("the faces in (photo.jpg)."): past
 * blanks, quotes and brackets, up to the next of them or ',' ';', less a trailing ".:!?". NULL at
 * the end; else the word, *n its length, *at moved past it. */
const char *baton__conversation_word(const char **at, size_t *n);

#endif
