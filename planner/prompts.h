/* prompts.h — the LLM prompt templates: loading the prompts/ YAML files and rendering them. */
#ifndef BATON_PLANNER_PROMPTS_H
#define BATON_PLANNER_PROMPTS_H

#include <stddef.h>

#include "core/template.h"
#include "registry/registry.h"

/* Largest prompt file read. */
#define BATON__PROMPT_FILE_MAX (256u * 1024u)

/* One few-shot example: what a user asked and the plan we want back. The
 * user turn sent is the planner's `user` template filled with these. */
typedef struct baton__prompt_demo {
  char *user;       /* the request */
  char *history;    /* the earlier conversation, or NULL: "(none)" */
  char *resources;  /* files and texts of earlier turns, or NULL: "(none)" */
  char *assistant;  /* the plan */
} baton__prompt_demo;

/*
 * The templates, as read from two files in one folder:
 *   planner.yaml: system, task_line, user, repair, chat_system, demos
 *                 (a list of {user, assistant, history?, resources?})
 *   summary.yaml: system, user, result_chars
 * Templates hold {{name}} placeholders filled by baton__prompt_render().
 * Every member is owned by the struct (freed by baton__prompts_release) and
 * never NULL after a successful load; dir is the folder the files came from.
 */
typedef struct baton__prompts {
  char *dir;
  char *plan_system;   /* {{tasks}} */
  char *task_line;     /* {{name}} {{description}} {{inputs}} {{outputs}} */
  char *plan_user;     /* {{request}} {{context}} (or {{history}} {{resources}}) */
  char *repair;        /* {{error}} */
  char *chat_system;   /* system prompt of the direct-answer fallback */
  baton__prompt_demo *demos;
  size_t n_demos;
  char *summary_system;
  char *summary_user;  /* {{request}} {{history}} {{plan}} {{results}} {{failed}} */
  size_t result_chars; /* text of one result quoted in the summary prompt, at most */
} baton__prompts;

/*
 * Loads the templates. dir (borrowed; may be NULL) is the configured
 * prompts_dir; when NULL the compile-time folders are tried in order:
 * BATON_PROMPTS_SOURCE_DIR, then BATON_PROMPTS_INSTALL_DIR (the first one
 * holding planner.yaml wins). Returns 0, or -1 with a message in err that
 * names the file and, for a YAML or template problem, the line
 * ("/x/planner.yaml:12: ..."). p must be released even on failure.
 * Thread safety: reentrant (no shared state).
 */
int baton__prompts_load(const char *dir, baton__prompts *p, char *err, size_t errlen);
void baton__prompts_release(baton__prompts *p);

/* The task list for the planning prompt: one task_line per registry task,
 * in registry order. Caller frees; NULL on allocation failure. */
char *baton__prompt_task_list(const baton__prompts *p, const baton__taskspec *tasks,
                              size_t n);

#endif
