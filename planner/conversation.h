/* conversation.h — the earlier turns a request carries ("messages"): checked once, read alike by both planners. */
#ifndef BATON_PLANNER_CONVERSATION_H
#define BATON_PLANNER_CONVERSATION_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define BATON__HISTORY_MAX_BYTES (1024u * 1024u) /* the messages' JSON text */
#define BATON__HISTORY_MAX_MESSAGES 200

/* Checks a conversation given as JSON text (NULL or "": none): an array of at most
 * BATON__HISTORY_MAX_MESSAGES objects with string "role" and "content" (files?, outputs?, lang?,
 * tasks?), oldest first, at most BATON__HISTORY_MAX_BYTES. *arr (if not NULL) gets the array (NULL
 * for none; the caller deletes it). 0, or -1 with err saying what is wrong. */
int baton__conversation_parse(const char *json, cJSON **arr, char *err, size_t errlen);
/* The same check of an array already parsed (a daemon's or MCP call's "messages"). */
int baton__conversation_check(const cJSON *arr, char *err, size_t errlen);

/* The next word of a message's text that may name a file ("the faces in (photo.jpg)."): past
 * blanks, quotes and brackets, up to the next of them or ',' ';', less a trailing ".:!?". NULL at
 * the end; else the word, *n its length, *at moved past it. */
const char *baton__conversation_word(const char **at, size_t *n);

#endif
