/* executor.h — the executor interface: typed inputs in, typed outputs or an error out. */
#ifndef BATON_EXECUTORS_EXECUTOR_H
#define BATON_EXECUTORS_EXECUTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* A typed value. For BATON__T_TEXT and BATON__T_JSON, `data` is the text;
 * for files (image, audio, video) it is an absolute path. */
typedef struct baton__value {
  char *name;       /* argument name ("text", "image", "tgt_lang" ...) */
  unsigned type;    /* one BATON__T_* bit; 0 for a plain parameter */
  char *data;       /* owned */
} baton__value;

#define BATON__MAX_VALUES 16

/* A small set of named values; owns its members. */
typedef struct baton__values {
  baton__value v[BATON__MAX_VALUES];
  size_t n;
} baton__values;

/* Adds a value (copies name and data). 0, or -1 when full or out of memory. */
int baton__values_add(baton__values *vs, const char *name, unsigned type, const char *data);
/* Adds a value taking ownership of data (freed on failure too). */
int baton__values_add_own(baton__values *vs, const char *name, unsigned type, char *data);
/* First value of that name, or NULL. */
const baton__value *baton__values_get(const baton__values *vs, const char *name);
/* First value of that type, or NULL. */
const baton__value *baton__values_get_type(const baton__values *vs, unsigned type);
/* A second or further picture or recording to join ("image2", "audio3"), or NULL. */
const baton__value *baton__values_joined(const baton__values *vs);
/* For an executor taking one file of a kind: 0 when vs holds no file to join to it, else -1 with
 * err saying so and which local executor joins (the runtime then tries the next model). */
int baton__values_refuse_join(const baton__values *vs, const char *model, char *err,
                              size_t errlen);
void baton__values_release(baton__values *vs);

struct baton__pool; /* net/pool.h */

/* What a running task may use. */
typedef struct baton__exec_env {
  const baton__config *cfg;   /* borrowed */
  struct baton__pool *pool;   /* borrowed: the context's replica pool for the
                                 configured endpoints (net/pool.h); NULL inside
                                 a worker process */
  const char *workspace;      /* the run's folder; outputs go only here */
  const char *file_prefix;    /* e.g. "task0": name output files with it */
  const char *file_format;    /* the extension asked for ("jpg" of save_as "b.jpg"), or NULL:
                                 the executor's choice. The local picture and sound executors
                                 refuse one they cannot write (bad input, naming those they
                                 can); others write their own, which the runtime converts */
  const atomic_int *cancel;   /* non-zero: stop as soon as possible */
  const char *model;          /* the model id being run ("local/tesseract",
                                 "facebook/detr-resnet-50"); remote executors send it */
  const char *endpoint;       /* the model's endpoint ("local:tesseract",
                                 "hf-inference", an explicit URL, "llm") */
  bool isolated;              /* true inside a baton-worker process, where a
                                 crash only takes the worker down */
  bool transient;             /* the executor sets it with an error that may
                                 pass (connection refused, 5xx, rate limit):
                                 the runtime then retries with backoff */
  bool bad_input;             /* the executor sets it with an error the task's
                                 arguments caused (one missing, empty, too
                                 large, a file it cannot decode): not the
                                 model's fault, so not held against its health */
  long timeout_ms;            /* 0: none */
  const char *untargeted;     /* a translation the request named no target language for: the
                                 step's words ("translate notes.txt"), its tgt_lang the planner's
                                 default; a text already in that language is refused, asking for
                                 one ("say e.g. 'translate notes.txt into Spanish'"). Else NULL */
  /* Halves a picture through a local executor (libvips lives in
   * baton-worker, not in the library): writes the new file's path into out.
   * 0, or -1 with err set (no resizer here). NULL: none offered. */
  int (*shrink_image)(void *ud, const char *path, char *out, size_t cap, char *err,
                      size_t errlen);
  void *shrink_ud;
  char answered[64];          /* the executor may write the name of the
                                 configured endpoint that answered ("gpu1") */
  char err[512];              /* the executor writes its error here */
} baton__exec_env;

/* One output a run() hands over; the data is taken. */
typedef struct baton__output {
  const char *name;
  unsigned type;
  char *data;    /* NULL: skipped when optional, else a failed allocation */
  bool optional;
} baton__output;

/* For an executor with nothing to check, set up or free: `available` says
 * yes (why ""), `init` sets *state to NULL, `release` does nothing. */
bool baton__executor_always_available(const baton__config *cfg, char *why, size_t whylen);
int baton__executor_no_state(const baton__config *cfg, void **state, char *err, size_t errlen);
void baton__executor_no_release(void *state);

/* Adds outputs to out, taking every data (freed on failure too). 0, or -1
 * with env->err "out of memory". */
int baton__values_add_outputs(baton__values *out, baton__exec_env *env, const baton__output *o,
                              size_t n);

/*
 * An executor. `tasks` lists the pipeline tags it serves. Methods:
 *  available: whether it can run on this machine now and, if not, why.
 *  init:      expensive set-up, done once per context on first use.
 *  run:       one task. Reads `in`, writes outputs into `out`, returns 0; or
 *             returns -1 with env->err set. Called with the executor's lock
 *             held unless `reentrant` is true.
 *  release:   undoes init.
 */
typedef struct baton__executor {
  const char *name;             /* "tesseract" serves endpoint "local:tesseract";
                                   "hf-inference" serves "hf-inference" and
                                   explicit http(s) URLs; "llm" serves "llm" */
  const char *model_id;         /* "local/tesseract" */
  const char *const *tasks;     /* NULL-terminated */
  bool reentrant;
  bool debug_only;              /* only offered when debug executors are enabled */
  bool in_process;              /* run in the caller's process even when local
                                   executors are isolated in worker processes
                                   (network clients, debug executors) */
  bool (*available)(const baton__config *cfg, char *why, size_t whylen);
  /* Optional: what is installed, for `baton executors` ("languages: eng,
   * fra"), and the folder whose contents decide it (the describe cache is
   * renewed when that folder changes). */
  void (*inventory)(const baton__config *cfg, char *details, size_t detlen, char *watch,
                    size_t watchlen);
  int (*init)(const baton__config *cfg, void **state, char *err, size_t errlen);
  int (*run)(void *state, const char *task, const baton__values *in, baton__exec_env *env,
             baton__values *out);
  void (*release)(void *state);
} baton__executor;

/*
 * Two tables. The library itself holds only the executors that need no heavy
 * library (the Hugging Face and LLM clients, the debug executors), so that
 * every program linking libbaton starts fast and small. The local executors
 * on Debian's C libraries (OCR, speech, images...) are built as one module
 * each (executors/module.c), which baton-worker loads: a worker only the
 * module of the executor it serves (worker/modules.c). The library learns
 * what they are from `baton-worker --describe` and runs them in worker
 * processes. The tests that run local executors in their own process link
 * them all, and the table of them, executors/local.c.
 */
extern const baton__executor *const baton__executors[];       /* the library's */
extern const baton__executor *const baton__local_executors[]; /* executors/local.c */

/* What a module and the program loading it must agree on: the layout of
 * the structures they pass each other. */
#define BATON__MODULE_ABI                                                                  \
  ((sizeof(baton__executor) << 24) ^ (sizeof(baton__exec_env) << 16) ^                     \
   (sizeof(baton__config) << 8) ^ sizeof(baton__values))
/* Each module's one exported symbol: its executor, or NULL when the module
 * was built from another version of baton (version) or another layout (abi). */
#define BATON__MODULE_ENTRY "baton__executor_module"
const baton__executor *baton__executor_module(const char *version, size_t abi);

/* The executor with that name (or "local:name" endpoint): the library's, or
 * a local one where the program links executors/local.c; else NULL. */
const baton__executor *baton__executor_find(const char *name);

/* ---------------------------------------------------------------------- */
/* Extensions used by the executors (implemented in executors.c).          */

/* Whether the task was asked to stop (env->cancel set). env->cancel may be
 * NULL, meaning never. */
bool baton__exec_cancelled(const baton__exec_env *env);

/* Normalises white space in s[0..len): runs of blanks and line breaks inside
 * a paragraph become one space, leading/trailing space goes. A paragraph ends
 * at a blank line; with keep_paragraphs the paragraphs are joined by "\n\n",
 * otherwise by one space. Returns a malloc'd string (caller frees), or NULL
 * when out of memory. */
char *baton__text_normalize(const char *s, size_t len, bool keep_paragraphs);

/* The executors built into this library. Each local one is defined only when
 * its library was found at build time (the same macro guards its table
 * entry); apertium has no library and checks for its program at run time,
 * and passage, entities and sentiment need none. */
#if defined(BATON_HAVE_TESSERACT)
extern const baton__executor baton__executor_tesseract; /* tesseract.c */
#endif
#if defined(BATON_HAVE_ESPEAK)
extern const baton__executor baton__executor_espeak;    /* espeak.c */
#endif
#if defined(BATON_HAVE_OTS)
extern const baton__executor baton__executor_ots;       /* ots.c */
#endif
extern const baton__executor baton__executor_apertium;  /* apertium.c */
extern const baton__executor baton__executor_passage;   /* passage.c */
extern const baton__executor baton__executor_similarity; /* similarity*.c */
extern const baton__executor baton__executor_entities;  /* entities*.c */
extern const baton__executor baton__executor_sentiment; /* sentiment*.c */
extern const baton__executor baton__executor_hf;        /* hf.c */
#if defined(BATON_HAVE_POCKETSPHINX) && defined(BATON_HAVE_SNDFILE)
extern const baton__executor baton__executor_pocketsphinx; /* pocketsphinx.c */
#endif
#if defined(BATON_HAVE_TEXTCAT)
extern const baton__executor baton__executor_textcat;   /* textcat.c */
/* The likeliest languages of text, best first, as codes ("fr", "zh-CN")
 * written to codes (at most max); 0 when libexttextcat cannot tell (too
 * short, nothing close, its data missing). */
size_t baton__textcat_guess(const char *text, char codes[][16], size_t max);
/* Sorts the n language codes by how close text's n-grams are to each language's textcat
 * fingerprint, closest first (codes without a fingerprint last, in the order given). */
void baton__textcat_sort(const char *text, char codes[][16], size_t n);
#endif
#if defined(BATON_HAVE_VIPS)
extern const baton__executor baton__executor_vips;      /* vips.c */
#endif
#if defined(BATON_HAVE_OPENCV)
extern const baton__executor baton__executor_opencv;    /* opencv.c + opencv_detect.cpp */
#endif
#if defined(BATON_HAVE_SNDFILE)
extern const baton__executor baton__executor_sndfile;   /* sndfile.c */
#endif
extern const baton__executor baton__executor_debug;     /* debug.c: debug_only */
extern const baton__executor baton__executor_llm;       /* llm.c */
extern const baton__executor baton__executor_openai;    /* openai*.c: model servers */

#endif
