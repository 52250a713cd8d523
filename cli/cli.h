/* cli.h — what the `baton` command's source files share: parsed options and output helpers. */
#ifndef BATON_CLI_H
#define BATON_CLI_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
  int json_object;          /* plan --json-object: the plan and its note as one object */
  int refresh;              /* executors --refresh */
  int local;                /* --local: never use the daemon */
} opts;

/* The command line into o (cleared first; o points into argv). Exits with
 * status 2, saying why, on an option the command does not take, before
 * anything runs; prints --help and --version and exits 0 (baton_usage.c). */
void cli_parse_args(int argc, char **argv, opts *o);
/* The --help text, from the table of commands and options. */
void cli_usage(FILE *f);
/* `baton CMD --help`: cmd's usage lines, its options, one line each, an
 * example and its exit status, from the same table. False for a command the
 * table does not know. */
bool cli_command_usage(FILE *f, const char *cmd);
/* The subcommands cmd takes ("list, show, ..."; "" when none) into out. */
void cli_subcommands(const char *cmd, char *out, size_t cap);

/* From now on an error reported also goes to stdout as one JSON object,
 * {"status": "failed", "error": REASON} (the command was given --json). */
void cli_json_errors(void);
/* Reports an error: "<who>: <msg>" on stderr, and the JSON object on
 * stdout after cli_json_errors(). */
void cli_report(const char *who, const char *msg);
/* Reports "baton: <message>" with a hint to stderr, exits with status 2. */
void cli_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Reads all of f into *out (malloc'd, NUL-terminated; *len bytes): 0; 1 when it holds more than
 * max bytes (nothing kept: a request is never cut); -1 with errno on a read error (a folder's
 * EISDIR) or when out of memory. */
#define CLI_READ_MAX (16u << 20) /* a task graph file or stdin: 16 MiB */
int cli_read_all(FILE *f, size_t max, char **out, size_t *len);
/* Reports "<who>: <message>", exits with status 2. */
void cli_die_usage_as(const char *who, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* The exit status for a library result code (INTERFACE.md). */
int cli_exit_code(baton_rc rc);
/* Opens the context or exits with the reason. */
baton *cli_open(const opts *o);
/* Tells stderr why new runs cannot be recorded, when they cannot. */
void cli_note_readonly(baton *ctx);
/* Reports the context's error, closes it, returns the exit status. */
int cli_fail(baton *ctx, baton_rc rc);
/* Prints JSON text indented. */
void cli_print_json(const char *json);
/* String member or "", number member or 0. */
const char *cli_jstr(const cJSON *o, const char *k);
double cli_jnum(const cJSON *o, const char *k);

/* `baton models ...` (baton_models.c). */
int cmd_models(const opts *o);
/* baton_endpoints.c: `baton endpoints`, and `models sync --endpoint NAME`
 * (which closes ctx). */
int cmd_endpoints(const opts *o);
int cmd_sync_endpoint(const opts *o, baton *ctx);
/* `baton workers [--json]`: the live queue workers (cli/baton_workers.c). */
int cmd_workers(const opts *o);
/* Joins the strings of a JSON array with sep into out (cut at cap; "" when
 * there are none). */
void cli_join(const cJSON *arr, const char *sep, char *out, size_t cap);

/* The daemon (baton_remote.c): a connection to batond when one answers on
 * the socket and neither --local nor BATON_NO_DAEMON=1 was given, else NULL.
 * The connection is closed by the remote_* call it is passed to. */
baton_client *cli_daemon(const opts *o);
/* `baton run` through the daemon: submits (request or plan text), passes
 * progress to on_event as the in-process run would, prints the answer or
 * the JSON, Ctrl-C cancels. Returns the exit status. */
int remote_run(baton_client *d, const opts *o, const char *plan, baton_event_fn on_event,
               void *ud);
/* `baton plan` through the daemon: *json_out receives the plan, *note_out what the planner noted
 * or NULL (free both with baton_free()). Returns the exit status (0: *json_out set; otherwise
 * the reason was printed). */
int remote_plan(baton_client *d, const opts *o, char **json_out, char **note_out);

/* `baton runs list` (show false) and `runs show ID` (baton_runs.c): from the daemon when one
 * answers, as `baton run` would use it, else from this process's history. The exit status. */
int cli_runs_read(const opts *o, bool show);
/* `baton runs fetch FILE [--output DEST]` (baton_fetch.c): the exit status. */
int cli_runs_fetch(const opts *o);
/* Tells stderr, once, how to copy the files a run's result res names when this process may not
 * open one of them (a user the daemon serves: the run folders are the daemon user's). */
void cli_hint_fetch(const cJSON *res);
/* After a run (its result res) ended cancelled, by Ctrl-C or by the daemon shutting down: says so
 * on stderr, with the reason the result gives (cancel_reason) and, when it had a plan, how to finish
 * the run. After one whose result carries an "error" of its own (its end could not be stored):
 * says that error. */
void cli_say_how_it_ended(const cJSON *res);
/* After `runs resume|replay ID` found no run ID here: says so on stderr when the daemon's
 * history (another BATON_HOME) holds it. */
void cli_runs_hint(const opts *o, const char *id);

/* `baton mcp`: the MCP server on stdin/stdout, and its --help (baton_mcp.c). */
int cmd_mcp(const opts *o);
void cmd_mcp_help(void);

/* `baton chat`, and `baton` alone on a terminal: the REPL (baton_chat.c). */
int cmd_chat(const opts *o);

#endif
