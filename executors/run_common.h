/* run_common.h — what the local executors' run functions share: finding an input, bounding it, stopping on cancel or timeout, naming the output file, reporting an error. */
#ifndef BATON_EXECUTORS_RUN_COMMON_H
#define BATON_EXECUTORS_RUN_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "executors/executor.h"

/* Writes the printf-style message into env->err (truncated to fit) and
 * returns -1, so that a failing step reads `return baton__run_fail(env, ...)`.
 * No argument may point into env->err. */
int baton__run_fail(baton__exec_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* baton__run_fail() for an error the task's arguments caused (missing,
 * empty, too large, a file that cannot be decoded): also sets env->bad_input. */
int baton__run_bad_input(baton__exec_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The data of the input named `name`, else of the first input of `type`;
 * NULL when there is neither (or its data is NULL). Borrowed from in. */
const char *baton__run_arg(const baton__values *in, const char *name, unsigned type);

/* The instruction of an instruction-driven task: the input "instruction",
 * else "text", else the first text input; NULL when none. Borrowed from in. */
const char *baton__run_instruction(const baton__values *in);

/* The configured max_input_bytes (files read), or dflt when it is 0. */
size_t baton__run_max_input(const baton__exec_env *env, size_t dflt);
/* The configured max_text_bytes (text in and out), or dflt when it is 0. */
size_t baton__run_max_text(const baton__exec_env *env, size_t dflt);

/* Whether text (its length written to *len) is at most max bytes; if not,
 * env->err says "text to <verb> is N bytes, over the limit of max". */
bool baton__run_text_fits(baton__exec_env *env, const char *text, size_t max, const char *verb,
                          size_t *len);

/* The "text" input `task` works on (`verb`: "classify"): there, at most max_text_bytes (else
 * dflt_max) long, not only spaces, and the run not stopped. Its length in *len; NULL with
 * env->err ("token-classification needs the \"text\" to ...", "the text to ... is empty"). */
const char *baton__run_text_input(const baton__values *in, baton__exec_env *env,
                                  const char *task, const char *verb, size_t dflt_max,
                                  size_t *len);

/* Whether the input file at path is a regular file, not empty, of at most max bytes (0: any);
 * if not, err says why and names the `what` ("image") as the user gave it (baton__input_name:
 * not the run's copy of it): "cannot read the image sign.png: ...", "empty.png is empty", "the
 * audio file talk.wav is 9000000 bytes, over the limit of 8388608". */
bool baton__run_file_ok(const char *path, size_t max, const char *what, char *err,
                        size_t errlen);

/* The first line of text (a library's or core/util's reason, "cannot open PATH: ...") with the
 * run's copy at path said as the user gave it, name. malloc'd (caller frees); NULL when out of
 * memory. */
char *baton__run_said_as(const char *text, const char *path, const char *name);

/* baton__run_file_ok() into env->err, as bad input. */
bool baton__run_file_fits(baton__exec_env *env, const char *path, size_t max, const char *what);

/* Whether the run has a workspace and file prefix to write its output in;
 * if not, env->err says "no workspace to write the <what> into". */
bool baton__run_has_workspace(baton__exec_env *env, const char *what);

/* workspace/<file_prefix>.<ext>, malloc'd (caller frees); NULL with
 * env->err "out of memory". Needs baton__run_has_workspace first. */
char *baton__run_out_path(baton__exec_env *env, const char *ext);

/* A file extension as a description names the format ("mp3" -> "MP3"), into buf. Returns buf. */
const char *baton__run_format_name(const char *ext, char *buf, size_t len);

/* text lower-cased into buf (cut to fit len). Returns buf. */
char *baton__run_lower(const char *text, char *buf, size_t len);

/* Does the lower-cased text hold w where a word starts ("slow" in "slowed down"), or with whole
 * as a whole word? */
bool baton__run_has_word(const char *low, const char *w, bool whole);

/* Does it hold any of the words (a NULL-ended list), as baton__run_has_word says? */
bool baton__run_any_word(const char *low, const char *const *words, bool whole);

/* "Speed the recording up", "turn talk.wav down": does the lower-cased text hold the verb as a word
 * and its particle, at most three words between them (a file name is one word)? */
bool baton__run_verb_apart(const char *low, const char *verb, const char *particle);

/* The next number at or after *p that starts a word of low ("16", "44.1" in "44.1khz"): its value
 * in *v, what follows it (past spaces) in *after, *p moved past it. false when none is left. */
bool baton__run_next_number(const char *low, const char **p, double *v, const char **after);

/* Is the number ending at p (baton__run_next_number's *p) written with a minus ("-6 dB")? */
bool baton__run_minus_before(const char *low, const char *p);

/* The next number written as a word ("one" ... "twelve"; "a", "an": 1) at or after *p that starts
 * a word of low and has a space after it ("two octaves", "three times"): its value in *v, what
 * follows the space in *after, *p moved past it. false when none is left. */
bool baton__run_next_number_word(const char *low, const char **p, int *v, const char **after);

/* When the run's timeout ends (baton__now_ms() clock), or 0 for none. */
int64_t baton__run_deadline(const baton__exec_env *env);

/* Sets env->err for a stopped run ("cancelled", or "<what> ran past N ms"
 * when not cancelled) and returns -1. */
int baton__run_fail_stopped(baton__exec_env *env, bool cancelled, const char *what);

/* Whether the run must stop now: cancelled, or past deadline (0: none);
 * then env->err is set as by baton__run_fail_stopped. */
bool baton__run_must_stop(baton__exec_env *env, int64_t deadline, const char *what);

/* A facts task's answer (audio-information, image-information): the sentence sb holds, taken
 * into *text, beside *json; 0, or -1 with err "out of memory" and neither kept when sb failed
 * or *json is NULL. */
int baton__run_facts_answer(baton__sb *sb, char **text, char **json, char *err, size_t errlen);

#endif
