/* offline.h — the rule-based planner used when no LLM is configured. */
#ifndef BATON_PLANNER_OFFLINE_H
#define BATON_PLANNER_OFFLINE_H

#include <stddef.h>

#include "planner/taskgraph.h"
#include "registry/registry.h"

/* How the offline planner's error starts when a request asks for a language it does not know
 * ("translate notes.txt into Klingon"); the caller may then plan again with `translations`. */
#define BATON__UNKNOWN_LANGUAGE "baton knows no language called "

/* What to plan offline. Every pointer is borrowed for the call. */
typedef struct baton__offline_req {
  const char *request;
  const char *const *inputs;        /* extra input files */
  size_t n_inputs;
  const baton__taskspec *tasks;     /* the registry's task kinds */
  size_t n_tasks;
  const unsigned char *runnable;    /* per task: 1 when a model can run it here;
                                       NULL: all can */
  const char *messages_json;        /* earlier turns ([{role, content, files?,
                                       outputs?}]), or NULL */
  const char *lexicon_yaml;         /* another lexicon (bench/fit_weights.py), or
                                       NULL: the embedded planner/offline/lexicon.yaml */
  size_t lexicon_len;
  const char *translations;         /* what can be translated here, named when a request asks
                                       for a language baton does not know, or NULL: the
                                       languages of the lexicon */
  const char *translate_advice;     /* when no model can translate here, why and what to
                                       install or configure (named after the lexicon's
                                       languages), or NULL */
  char *note;                       /* receives a warning worth telling (a task kind
                                       planned that nothing can run), or NULL */
  size_t notelen;
} baton__offline_req;

/*
 * Turns a request into a task graph using only the task descriptions and
 * keywords, the resources the request names (file paths and quoted text),
 * the extra input files and what earlier turns produced: "it", "that",
 * "the result" in a step that names nothing of its own point at the latest
 * earlier output (or input file) of the type the step needs.
 * Steps are split from the wording ("read ..., summarize ... and read it
 * aloud"); each step becomes one task; a step that names no resource of its
 * own consumes the output of the nearest earlier step that produces a type
 * it accepts. Task kinds that cannot run here are avoided unless a step
 * names them clearly (then r->note says so).
 * Returns 0 with g filled, or -1 with a readable message in err (e.g. when
 * no step could be recognised). g must be released by the caller.
 */
int baton__plan_offline_req(const baton__offline_req *r, baton__graph *g, char *err,
                            size_t errlen);

#endif
