/* hf_task.h — the hf-inference executor's per-task tables: what each task sends (hf_request.c) and how its reply becomes outputs (hf_reply.c). */
#ifndef BATON_EXECUTORS_HF_TASK_H
#define BATON_EXECUTORS_HF_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include "executors/executor.h"
#include "net/http.h"

/* How a task's request is made. */
typedef enum baton__hf_req {
  BATON__HF_REQ_TEXT,       /* {"inputs": text, "parameters": {...}} */
  BATON__HF_REQ_CHAT,       /* chat completions {"model","messages":[user text]} */
  BATON__HF_REQ_FILE,       /* the image/audio file raw, or base64 in JSON with parameters */
  BATON__HF_REQ_QA,         /* {"inputs": {"question", "context"}} */
  BATON__HF_REQ_SIMILARITY, /* {"inputs": {"source_sentence", "sentences"}} */
  BATON__HF_REQ_TABLE       /* {"inputs": {"query", "table"}} */
} baton__hf_req;

/* How a task's JSON reply becomes outputs. */
typedef enum baton__hf_reply {
  BATON__HF_REPLY_ANY,        /* its most likely text, and the structure */
  BATON__HF_REPLY_LABELS,     /* "label (0.98)" + [{label, score}] best first */
  BATON__HF_REPLY_TEXT,       /* one text field (text_key, else generated_text) */
  BATON__HF_REPLY_ASR,        /* "text", and the chunks when given */
  BATON__HF_REPLY_ANSWER,     /* the best "answer" + the structure */
  BATON__HF_REPLY_ENTITIES,   /* "word (group), ..." + the structure */
  BATON__HF_REPLY_FILL_MASK,  /* the best "sequence" + the structure */
  BATON__HF_REPLY_BOXES,      /* "N objects: label (score), ..." + the structure */
  BATON__HF_REPLY_DEPTH,      /* the base64 "depth" image, else ANY */
  BATON__HF_REPLY_SEGMENTS,   /* masks saved as files + labels */
  BATON__HF_REPLY_AUDIO,      /* base64 audio "blob"s saved as files */
  BATON__HF_REPLY_CHAT,       /* choices[0].message.content */
  BATON__HF_REPLY_SCORES,     /* a list of numbers */
  BATON__HF_REPLY_EMBEDDING,  /* "embedding of shape AxB" + the numbers */
  BATON__HF_REPLY_BINARY      /* a media body (image or audio); JSON is an error */
} baton__hf_reply;

/* Flags of a task. */
enum {
  BATON__HF_F_LABELS = 1u << 0,      /* needs candidate labels (labels=...) */
  BATON__HF_F_PROMPT = 1u << 1,      /* the text goes as parameters.prompt */
  BATON__HF_F_VQA = 1u << 2,         /* {"inputs": {"image": b64, "question"}} */
  BATON__HF_F_ROOT_PARAMS = 1u << 3, /* free parameters at the root, not under "parameters" */
  BATON__HF_F_PIPELINE = 1u << 4,    /* POST .../models/{id}/pipeline/{task} */
  BATON__HF_F_ACCEPT_PNG = 1u << 5,  /* Accept: image/png */
  BATON__HF_F_AUDIO_OUT = 1u << 6,   /* a binary reply should be audio */
  BATON__HF_F_LABELS_OR_TEXT = 1u << 7 /* the labels may come as the text */
};

/* One task kind: a row of the table in hf_request.c. */
typedef struct baton__hf_task {
  const char *task;
  baton__hf_req req;
  unsigned input;       /* BATON__T_IMAGE or BATON__T_AUDIO for REQ_FILE */
  unsigned flags;
  baton__hf_reply reply;
  const char *text_key; /* REPLY_TEXT: the field holding the text */
} baton__hf_task;

/* The row for task; unknown tasks get a text request and a generic reply. */
const baton__hf_task *baton__hf_task_find(const char *task);

/* A request ready to send. */
typedef struct baton__hf_request {
  char *body;              /* owned */
  size_t body_len;
  const char *content_type;
  const char *accept;      /* or NULL */
  int n_free;              /* free-form parameters sent */
} baton__hf_request;

/* Builds the body for one task from its inputs. drop_free: leave free-form
 * parameters out (after the server said they were not used). 0, or -1 with
 * env->err. */
int baton__hf_build_request(const baton__hf_task *t, const char *task, const baton__values *in,
                            baton__exec_env *env, bool drop_free, baton__hf_request *r);
/* The URL for this model and task (caller frees), or NULL when out of memory. */
char *baton__hf_url(const baton__hf_task *t, const char *base_url, const char *task,
                    const baton__exec_env *env);

/* Normalises a 2xx reply into outputs. 0, or -1 with env->err. */
int baton__hf_reply_outputs(const baton__hf_task *t, const char *task,
                            const baton__http_response *resp, baton__exec_env *env,
                            baton__values *out);
/* The error text of a failed answer: the X-Error-Message header and the
 * body's "error" (a string, a list, or {"message"}), joined, cleaned. */
void baton__hf_answer_message(const baton__http_response *resp, char *out, size_t cap);

/* Shared helpers of hf.c. */
void baton__hf_media_type(const char *ct, char *out, size_t cap);
bool baton__hf_is_media_type(const char *mt);
void baton__hf_sniff(const unsigned char *b, size_t n, const char **mime, const char **ext);
void baton__hf_clean_text(const char *s, size_t len, char *out, size_t cap, size_t max);

#endif
