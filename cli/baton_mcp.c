/* baton_mcp.c — `baton mcp`: serves the Model Context Protocol on stdin/stdout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

static const char mcp_help[] =
    "usage: baton mcp [--config FILE] [--local] [-q]\n"
    "\n"
    "Serves the Model Context Protocol (revision 2025-06-18; 2025-03-26 and\n"
    "2024-11-05 too) on stdin/stdout: newline-delimited JSON-RPC, as MCP clients\n"
    "(Claude Desktop, IDE agents, smolagents, LangGraph) start it: command\n"
    "\"baton\", args [\"mcp\"].\n"
    "\n"
    "Tools:\n"
    "  run {request, inputs?, offline?, messages?}  plan and run a request; the\n"
    "                          answer as text, produced images and audio inline\n"
    "                          (base64, up to 1 MiB each), larger files as resource\n"
    "                          links\n"
    "  plan {request, offline?, messages?}  the task graph and the model chosen for\n"
    "                          each task\n"
    "  (messages: the conversation so far, [{role, content, files?, outputs?,\n"
    "  lang?, tasks?}], oldest first, so that \"it\" and \"the original ...\" mean\n"
    "  earlier results; lang: the language code of outputs.text; tasks: each\n"
    "  task's outputs with its kind, [{task, outputs, lang?}], so that \"the\n"
    "  transcript\" is speech recognition's)\n"
    "  models_search {text, task?, limit?}  search the model registry\n"
    "  image_to_text, text_to_speech, ...  one tool per task kind a model can run\n"
    "                          here now, with the task's arguments\n"
    "Progress: notifications/progress for each task when the call has a\n"
    "progressToken; notifications/cancelled stops the run. Resources: the files\n"
    "this session's runs produced (resources/list, resources/read). A client\n"
    "on 2025-03-26 gets a resource's URI as text in place of a resource link\n"
    "and no structuredContent, tool title (it goes in the tool's annotations)\n"
    "or server title; one on 2024-11-05 also audio as an embedded resource and\n"
    "no tool annotations.\n"
    "One JSON-RPC message per line. On 2025-03-26 (the one revision with\n"
    "batches) a batch, a JSON array of up to 64 messages, gets one array of its\n"
    "responses once the last is ready (a run in it: when the run ends; other\n"
    "messages are answered meanwhile); on other revisions, before initialize,\n"
    "empty or longer it is refused (-32600), as\n"
    "is a request whose id a running call still uses; every list comes in one\n"
    "page (a cursor is refused with -32602); plan and models_search text is\n"
    "compact JSON.\n"
    "\n"
    "File paths are relative to the working folder of this process and must lie\n"
    "under it or under allowed_roots in the config. Runs go to batond when one\n"
    "answers on $BATON_SOCKET (not with --local or BATON_NO_DAEMON=1), else run\n"
    "in this process; the files of a run the daemon made that this user may not\n"
    "open (another uid than the daemon's) are copied through it (run.output).\n"
    "The session ends when stdin closes; calls still running are\n"
    "cancelled. Logs go to stderr (-q: errors only).\n";

void cmd_mcp_help(void) { fputs(mcp_help, stdout); }

static void log_stderr(void *ud, baton_log_level level, const char *msg) {
  (void)ud;
  static const char *const names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "baton mcp: %s: %s\n", names[level], msg);
}

int cmd_mcp(const opts *o) {
  if (o->positional)
    cli_die_usage("mcp takes no arguments (see baton mcp --help)");
  signal(SIGPIPE, SIG_IGN);
  baton_mcp_options mo = {BATON_MCP_OPTIONS_INIT,
                          .config_path = o->config,
                          .in_fd = STDIN_FILENO,
                          .out_fd = STDOUT_FILENO,
                          .use_daemon = !o->local,
                          .log_fn = log_stderr,
                          .log_level = o->quiet ? BATON_LOG_ERROR : BATON_LOG_WARN};
  char *err = NULL;
  baton_rc rc = baton_mcp_serve(&mo, &err);
  if (rc != BATON_OK)
    fprintf(stderr, "baton mcp: %s\n", err ? err : baton_strerror(rc));
  baton_free(err);
  return cli_exit_code(rc);
}
