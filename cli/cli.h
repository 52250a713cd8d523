/* cli.h — what the `baton` command's source files share: parsed options and output helpers. */
#ifndef BATON_CLI_H
#define BATON_CLI_H

#include <cjson/cJSON.h>

#include "baton.h"

#define EXIT_TASK_FAILED 1
#define EXIT_USAGE 2
#define MAX_INPUTS 32
#define MAX_ARGS 32

/* Parsed command line. */
typedef struct opts {
  const char *cmd;
  const char *sub;          /* models list|search */
  const char *positional;   /* REQUEST, TASK, TEXT */
  const char *config;
  const char *plan_file;
  const char *model;
  const char *task_filter;   /* --task */
  const char *format;        /* --format */
  const char *output;        /* --output */
  const char *endpoint;      /* --endpoint */
  const char *description;   /* --description */
  const char *inputs[MAX_INPUTS];
  size_t n_inputs;
  const char *args[MAX_ARGS];
  size_t n_args;
  int limit;
  int json, offline, explain, quiet;
} opts;

/* Prints "baton: <message>" and a hint to stderr, exits with status 2. */
void cli_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The exit status for a library result code (INTERFACE.md). */
int cli_exit_code(baton_rc rc);
/* Opens the context or exits with the reason. */
baton *cli_open(const opts *o);
/* Reports the context's error, closes it, returns the exit status. */
int cli_fail(baton *ctx, baton_rc rc);
/* Prints JSON text indented. */
void cli_print_json(const char *json);
/* String member or "", number member or 0. */
const char *cli_jstr(const cJSON *o, const char *k);
double cli_jnum(const cJSON *o, const char *k);

/* `baton models ...` (baton_models.c). */
int cmd_models(const opts *o);

#endif
