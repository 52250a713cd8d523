/* openai.h — internals of the "openai" executor: the task table, one replica's request, and the wire helpers shared by its files. */
#ifndef BATON_EXECUTORS_OPENAI_H
#define BATON_EXECUTORS_OPENAI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "executors/executor.h"

typedef struct cJSON cJSON;

/*
 * The executor (baton__executor_openai, named "openai") serves models
 * declared under `endpoints:` in the config. A model's registry endpoint is
 * "openai:NAME[,NAME...]" (the endpoints that serve it); the executor picks
 * a replica (net/pool.h), sends one request and fails over to the next
 * replica when one refuses, times out or answers 5xx.
 *
 * It takes the Hugging Face executor's argument names (text, image, audio,
 * question, context, candidate_labels/labels, sentences/text2..,
 * table, query, src_lang, tgt_lang) and gives outputs of the same shape
 * (executors/hf.c): "text", "json", and "image"/"audio" files written into
 * the workspace.
 */

/* How a task goes over the wire. */
typedef enum baton__oai_wire {
  BATON__OAI_CHAT,        /* /chat/completions (text, image or audio parts) */
  BATON__OAI_TRANSCRIBE,  /* /audio/transcriptions, multipart */
  BATON__OAI_SPEECH,      /* /audio/speech */
  BATON__OAI_IMAGE_GEN,   /* /images/generations */
  BATON__OAI_IMAGE_EDIT,  /* /images/edits, multipart */
  BATON__OAI_EMBED        /* /embeddings */
} baton__oai_wire;

/* How a chat answer becomes outputs. */
typedef enum baton__oai_reply {
  BATON__OAI_R_TEXT,      /* text */
  BATON__OAI_R_LABELS,    /* {"labels":[{label,score}]} -> "label (0.98)" + json list */
  BATON__OAI_R_ANSWER,    /* {"answer","score"} -> answer + json */
  BATON__OAI_R_SPAN,      /* question-answering: + start/end in the context */
  BATON__OAI_R_TABLE,     /* table-question-answering: answer, cells */
  BATON__OAI_R_ENTITIES,  /* token-classification: word (GROUP), ... + json */
  BATON__OAI_R_FILL,      /* fill-mask: the best sequence + json */
  BATON__OAI_R_OBJECTS,   /* object-detection: "N objects: ..." + json */
  BATON__OAI_R_NONE       /* not a chat task */
} baton__oai_reply;

/* One task kind the executor serves. */
typedef struct baton__oai_task {
  const char *name;
  baton__oai_wire wire;
  unsigned media;            /* BATON__T_IMAGE / BATON__T_AUDIO sent with a chat, or 0 */
  baton__oai_reply reply;
} baton__oai_task;

/* The task kind of that name, or NULL. */
const baton__oai_task *baton__oai_task_find(const char *name);
/* Whether no model server can run task through this executor; then why
 * (which answer no OpenAI-compatible endpoint gives, what to use instead)
 * in why. */
bool baton__oai_unserved(const char *task, char *why, size_t cap);
/* The names, NULL-terminated (the executor's task list). */
extern const char *const baton__oai_task_names[];

/* One replica a request goes to. Strings borrowed. */
typedef struct baton__oai_target {
  const char *endpoint;   /* its name, for messages */
  const char *base_url;   /* ".../v1" (no trailing slash needed) */
  const char *key;        /* bearer key, or NULL; never written anywhere */
  const char *key_env;    /* the variable it came from (api_key_env), or NULL: for messages */
  const char *model;      /* the model id sent */
  long timeout_ms;
} baton__oai_target;

/* What became of one request to one replica. */
typedef enum baton__oai_outcome {
  BATON__OAI_DONE = 0,   /* outputs added */
  BATON__OAI_FAILED,     /* the model refused or answered wrongly: env->err says why */
  BATON__OAI_REPLICA,    /* the replica is unreachable, timed out or answered 5xx:
                            another replica may serve it (env->err says why) */
  BATON__OAI_BUSY        /* 429: wait retry_after_ms on this endpoint */
} baton__oai_outcome;

/* The prompts of the chat tasks (prompts/tasks.yaml). */
typedef struct baton__oai_prompts baton__oai_prompts;
baton__oai_prompts *baton__oai_prompts_load(const char *dir, char *err, size_t errlen);
void baton__oai_prompts_free(baton__oai_prompts *p);
/* The task's system template for `mode` (its "mode" argument; NULL: the entry's own), user
 * template and schema text (NULL when it has none). 0; -1 when the file has no entry for the
 * task; -2 when the entry has no such mode (then `modes` lists those it has, comma-joined). */
int baton__oai_prompt(const baton__oai_prompts *p, const char *task, const char *mode,
                      const char **system, const char **user, const char **schema, char *modes,
                      size_t cap);

/* Everything one attempt needs. */
typedef struct baton__oai_call {
  const baton__oai_target *t;
  const baton__oai_task *task;
  const baton__values *in;
  const baton__oai_prompts *prompts;
  baton__exec_env *env;
  baton__values *out;
  long retry_after_ms;   /* set with BATON__OAI_BUSY; -1 when none was given */
} baton__oai_call;

/* One attempt per wire kind (openai_chat.c, openai_media.c, openai_embed.c). */
baton__oai_outcome baton__oai_chat(baton__oai_call *c);
baton__oai_outcome baton__oai_transcribe(baton__oai_call *c);
baton__oai_outcome baton__oai_speech(baton__oai_call *c);
baton__oai_outcome baton__oai_image(baton__oai_call *c);
baton__oai_outcome baton__oai_embed(baton__oai_call *c);

/* ---- shared helpers (openai_wire.c) -------------------------------------- */

/* An argument's text (first by name, then for "text" the first text
 * value), or NULL when absent or empty. */
const char *baton__oai_arg(const baton__values *in, const char *name);
/* The path of the file argument of that type ("image", "audio"), or NULL. */
const char *baton__oai_file(const baton__values *in, unsigned type);
/* "BASE/PATH" with one slash between; caller frees; NULL when out of memory. */
char *baton__oai_url(const char *base, const char *path);
/* Reads an input file bounded by max bytes; 0 or -1 with env->err set. */
int baton__oai_read(baton__exec_env *env, const char *path, size_t max, char **data,
                    size_t *len);

/* Sends one request to the target and classifies the answer. On 2xx returns
 * DONE with *resp filled. Otherwise sets env->err ("ENDPOINT: HTTP 400:
 * message" with the message read from any server's error shape; never the
 * key) and returns REPLICA (refused, timeout, broken, 5xx), BUSY (429,
 * c->retry_after_ms set) or FAILED (anything else; env->bad_input set when
 * the status says the input was refused: baton__http_bad_input). resp is
 * always to be released by the caller. */
struct baton__http_request;
struct baton__http_response;
baton__oai_outcome baton__oai_send(baton__oai_call *c, struct baton__http_request *req,
                                   struct baton__http_response *resp);

/* Adds output (name, type, data taken). 0 or -1 with env->err. */
int baton__oai_out(baton__oai_call *c, const char *name, unsigned type, char *data);
/* Adds j printed as the "json" output. */
int baton__oai_out_json(baton__oai_call *c, const cJSON *j);
/* Writes bytes into the workspace as PREFIX.EXT and adds the path as the
 * output (name, type). 0 or -1 with env->err. */
int baton__oai_out_file(baton__oai_call *c, const char *name, unsigned type, const void *data,
                        size_t len, const char *ext);
/* Whether an answer is subtitles (SubRip, WebVTT: by content type, or by
 * its first lines), and their words as one text (malloc'd; NULL when out
 * of memory) (openai_subtitles.c). */
bool baton__oai_is_subtitles(const char *ctype, const char *body, size_t len);
char *baton__oai_subtitle_text(const char *body, size_t len);

/* "unexpected TASK reply from ENDPOINT: <start of body>"; returns FAILED. */
baton__oai_outcome baton__oai_bad_reply(baton__oai_call *c, const char *body, size_t len);

#endif
