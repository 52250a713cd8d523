/* classify_ask.h — what a text-classification step asks for, read from its instruction (the request's words): a language, a sentiment, or another kind of label (topic, spam...), so that a local classifier that tells one kind refuses the others. */
#ifndef BATON_EXECUTORS_CLASSIFY_ASK_H
#define BATON_EXECUTORS_CLASSIFY_ASK_H

#include "executors/executor.h"

/* The kinds of label a classification may be asked for. */
enum {
  BATON__ASK_LANGUAGE = 1,  /* "what language is it in", "is it in French" */
  BATON__ASK_SENTIMENT = 2, /* "is it positive", "how does the author feel", "is it angry" */
  BATON__ASK_OTHER = 4,     /* a topic, spam, toxicity, intent, formality, sarcasm */
};

/* The most of an instruction that is read. */
#define BATON__ASK_MAX 2048

/*
 * The kinds the instruction asks for, as BATON__ASK_* bits; 0 when it names none ("classify
 * notes.txt") or is NULL: any classifier may answer. Words in quotes are the text to classify,
 * not the question, and are skipped ("what language is 'I am so happy'" asks for a language
 * only). When other kinds are asked for, *other (may be NULL) says the first as a message would
 * ("its topic", "whether it is spam"), a static string; else it is set to NULL. Reads at most
 * BATON__ASK_MAX bytes. Thread-safe.
 */
unsigned baton__classify_ask(const char *instruction, const char **other);

/*
 * For a classifier that tells the kinds `serves` (BATON__ASK_* bits): 0 when the step's
 * "instruction" (in `in`; none: anything goes) asks for one of them and no other kind ("is the
 * tone formal?" asks how formal, not the sentiment "tone" might), or names no kind; else -1 with
 * env->err saying that `who` ("local/textcat identifies the language of a text") does not tell
 * what was asked, and what would. Thread-safe.
 */
int baton__classify_refuse(const baton__values *in, baton__exec_env *env, unsigned serves,
                           const char *who);

#endif
