/* asked.h — the user's own words for a language task (its "instruction"), as a sentence for the system prompt of the LLM executors. */
#ifndef BATON_EXECUTORS_ASKED_H
#define BATON_EXECUTORS_ASKED_H

#include <stddef.h>

#include "executors/executor.h"

/* The most of the instruction the sentence quotes. */
#define BATON__ASKED_MAX 600

/*
 * Writes into buf (n bytes) " The user asked: \"<instruction>\". Follow what it says about length,
 * form, tone and content." when the task's inputs hold an "instruction" that is more than its
 * text (a planner passes the request's words: "summarize notes.txt in three sentences"); the
 * instruction is cut at BATON__ASKED_MAX bytes (at a UTF-8 boundary) and its quotes and line
 * breaks flattened. Else buf is "". Returns buf.
 */
const char *baton__asked_clause(const baton__values *in, char *buf, size_t n);

#endif
