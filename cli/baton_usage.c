/* baton_usage.c — the commands and options of `baton` as one table: the --help text and what each command accepts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

/* One line of the usage: a command (and subcommand), its operands and
 * options, and what it does. The options a command accepts are the ones its
 * lines name, besides the options for every command (below). */
typedef struct usage_row {
  const char *cmd;
  const char *sub;  /* NULL: the command takes no subcommand */
  const char *args; /* operands and options, as printed */
  const char *what; /* NULL, or the text beside it; '\n' starts an indented line */
} usage_row;

static const usage_row rows[] = {
    {"chat", NULL, "[--offline]",
     "the REPL: multi-turn requests with live progress;\n/help lists its commands. With stdin "
     "not a terminal:\none request per line, plain answers, for scripts;\n"
     "exits 0, 1 or 2 as run would, for the worst of them"},
    {"run", NULL, "\"REQUEST\" [--offline] [--json] [--input PATH]...",
     "plan the request, run every task, print the answer"},
    {"run", NULL, "--plan FILE [--json]", "run a task graph given as JSON (HuggingGPT format)"},
    {"plan", NULL, "\"REQUEST\" [--offline] [--json|--json-object] [--input PATH]...",
     "show the task graph and the model chosen for each task;\n--json-object: "
     "{\"plan\": [...], \"note\": ...}, with the note\nwhen the planner noted something"},
    {"task", NULL, "TASK [--model ID] [--arg NAME=VALUE]... [--json]",
     "run one task, e.g. baton task image-to-text --arg image=sign.png"},
    {"models", "list", "[--task T] [--limit N] [--explain] [--json]",
     "the registry; --explain adds each model's description"},
    {"models", "search", "TEXT [--task T] [--limit N] [--explain] [--json]",
     "rank the models whose id, description or tags hold a\nword: score = relevance + "
     "popularity + health\n+ local_bonus + kind_bonus (their task kind names the\nword too) + "
     "runnable_bonus (they can run here now):\nat equal relevance those of the word's task kind, "
     "then\nthose that run here, rank first; --json items say\n\"available\" and, when not, "
     "the \"reason\", and each part\nof \"score\" (relevance, popularity, health, local_bonus,"
     "\nkind_bonus, runnable_bonus); --explain shows the parts\nand, with --task, which model a "
     "plan would choose and why"},
    {"models", "show", "ID [--json]", NULL},
    {"models", "remove", "ID", NULL},
    {"models", "enable", "ID", NULL},
    {"models", "disable", "ID", NULL},
    {"models", "add", "ID --task T --endpoint E [--description D]", "(or models add '{json}')"},
    {"models", "import", "FILE [--format yaml|hugginggpt|hub] [--json]", NULL},
    {"models", "export", "[--format yaml|jsonl] [--task T] [--output FILE]", NULL},
    {"models", "sync", "--task T [--limit N] [--json]",
     "from the Hub ($BATON_HUB_BASE_URL, HF_TOKEN)"},
    {"models", "sync", "--endpoint NAME [--json]",
     "list a model server's models with suggested\ntasks to declare (nothing is changed)"},
    {"endpoints", NULL, "[--json]", "configured model servers: models, load, health, last error"},
    {"executors", NULL, "[--refresh] [--json]",
     "executors built in, whether each is available and why\nnot, what each has installed; "
     "--refresh asks baton-worker\nafresh instead of its answer kept in BATON_HOME"},
    {"workers", NULL, "[--json]",
     "live queue workers: what they serve, tasks in flight, last seen\n(none and exit 0 when no queue is configured)"},
    {"runs", "list", "[--limit N] [--json]", "the stored runs (interrupted ones included)"},
    {"runs", "show", "ID [--json]", "one stored run: its tasks, their models, the answer"},
    {"runs", "resume", "ID [--json]", "run the unfinished tasks of a stored run"},
    {"runs", "replay", "ID [--json]", "reproduce a stored run without calling any model"},
    {"runs", "fetch", "FILE [--output DEST]",
     "copy a file your run made (a path its outputs\nname) to DEST (default: its name, here; - for "
     "stdout),\nthrough the daemon when one answers: a user it\nserves cannot open its run "
     "folders"},
    {"mcp", NULL, "", "an MCP server on stdin/stdout for agents (see baton mcp --help)"},
};

#define N_ROWS (sizeof rows / sizeof *rows)

/* What an option does with its value. */
typedef enum opt_kind {
  OPT_FLAG,  /* sets an int member to 1 */
  OPT_TEXT,  /* sets a const char * member to its value */
  OPT_INPUT, /* adds its value to inputs[] */
  OPT_ARG,   /* adds its NAME=VALUE to args[] */
  OPT_LIMIT, /* a number from 1 to 1000000 into limit */
  OPT_HELP,
  OPT_VERSION,
} opt_kind;

/* One option. Those with `what` are for every command, and --help lists
 * them under that heading; the others belong to the commands naming them. */
typedef struct option_spec {
  const char *name, *alias;
  opt_kind kind;
  size_t at; /* OPT_FLAG, OPT_TEXT: the member of opts it sets */
  const char *synopsis, *what;
} option_spec;

static const option_spec options[] = {
    {"--config", NULL, OPT_TEXT, offsetof(opts, config), "--config FILE",
     "YAML config (default $BATON_CONFIG, then\n$XDG_CONFIG_HOME/baton/config.yaml)"},
    {"--quiet", "-q", OPT_FLAG, offsetof(opts, quiet), "-q, --quiet",
     "no progress lines or planner notes on stderr"},
    {"--local", NULL, OPT_FLAG, offsetof(opts, local), "--local",
     "run in this process even when batond is running"},
    {"--help", "-h", OPT_HELP, 0, "-h, --help", "this text"},
    {"--version", NULL, OPT_VERSION, 0, "--version", "the version"},
    {"--json", NULL, OPT_FLAG, offsetof(opts, json), NULL, NULL},
    {"--json-object", NULL, OPT_FLAG, offsetof(opts, json_object), NULL, NULL},
    {"--offline", NULL, OPT_FLAG, offsetof(opts, offline), NULL, NULL},
    {"--refresh", NULL, OPT_FLAG, offsetof(opts, refresh), NULL, NULL},
    {"--explain", NULL, OPT_FLAG, offsetof(opts, explain), NULL, NULL},
    {"--plan", NULL, OPT_TEXT, offsetof(opts, plan_file), NULL, NULL},
    {"--model", NULL, OPT_TEXT, offsetof(opts, model), NULL, NULL},
    {"--format", NULL, OPT_TEXT, offsetof(opts, format), NULL, NULL},
    {"--output", "-o", OPT_TEXT, offsetof(opts, output), NULL, NULL},
    {"--endpoint", NULL, OPT_TEXT, offsetof(opts, endpoint), NULL, NULL},
    {"--description", NULL, OPT_TEXT, offsetof(opts, description), NULL, NULL},
    {"--task", NULL, OPT_TEXT, offsetof(opts, task_filter), NULL, NULL},
    {"--input", NULL, OPT_INPUT, 0, NULL, NULL},
    {"--arg", NULL, OPT_ARG, 0, NULL, NULL},
    {"--limit", NULL, OPT_LIMIT, 0, NULL, NULL},
};

static const char usage_head[] =
    "usage: baton <command> [options]\n"
    "       baton               on a terminal: the chat REPL (same as baton chat)\n"
    "\n"
    "Commands:\n";

static const char usage_tail[] =
    "\n"
    "Environment: BATON_HOME (data folder), BATON_CONFIG, BATON_LLM_BASE_URL,\n"
    "BATON_LLM_MODEL, BATON_LLM_API_KEY, HF_TOKEN, BATON_HF_BASE_URL,\n"
    "BATON_DEBUG_EXECUTORS. With no LLM configured baton plans offline.\n"
    "Each run's files go to $BATON_HOME/runs/ID; only the newest limits.runs_kept\n"
    "runs (config file; default 200, 0: all) keep them, older runs keep their record.\n"
    "run, plan, chat and runs list/show use the daemon (batond) when one answers on\n"
    "$BATON_SOCKET (see batond --help), else run in-process; BATON_NO_DAEMON=1 is\n"
    "--local.\n"
    "With --json, a command that fails prints {\"status\": \"failed\", \"error\": REASON}.\n"
    "What the planner notes about a plan (an input no step takes, a step left out)\n"
    "run and plan say on stderr as \"baton: note: ...\"; run --json also gives it as\n"
    "\"note\" in the result; plan --json keeps printing the plan array alone, and\n"
    "plan --json-object prints {\"plan\": [...], \"note\": ...} with it.\n"
    "\n"
    "Exit status: 0 success, 1 a task failed, 2 bad usage or bad input.\n";

/* The column the text beside a synopsis starts at. */
#define WHAT_COLUMN 26

/* Prints "  synopsis", then `what` from WHAT_COLUMN on (on the next line
 * when the synopsis reaches it), each further line of it indented alike. */
static void print_entry(FILE *f, const char *synopsis, const char *what) {
  int used = fprintf(f, "  %s", synopsis);
  if (!what) {
    fputc('\n', f);
    return;
  }
  if (used >= WHAT_COLUMN - 1) {
    fputc('\n', f);
    used = 0;
  }
  for (const char *line = what; line;) {
    const char *nl = strchr(line, '\n');
    int len = nl ? (int)(nl - line) : (int)strlen(line);
    fprintf(f, "%*s%.*s\n", WHAT_COLUMN - used, "", len, line);
    used = 0;
    line = nl ? nl + 1 : NULL;
  }
}

void cli_usage(FILE *f) {
  fputs(usage_head, f);
  for (size_t i = 0; i < N_ROWS; i++) {
    char synopsis[160];
    snprintf(synopsis, sizeof synopsis, "%s%s%s%s%s", rows[i].cmd, rows[i].sub ? " " : "",
             rows[i].sub ? rows[i].sub : "", rows[i].args[0] ? " " : "", rows[i].args);
    print_entry(f, synopsis, rows[i].what);
  }
  fputs("\nOptions for every command:\n", f);
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (options[i].what)
      print_entry(f, options[i].synopsis, options[i].what);
  fputs(usage_tail, f);
}

/* ---- which command takes what ------------------------------------------------------ */

/* Whether r is a line of cmd (sub); ANY_SUB matches all its lines. */
static const char ANY_SUB[] = "*";

static bool row_of(const usage_row *r, const char *cmd, const char *sub) {
  return !strcmp(r->cmd, cmd) &&
         (!r->sub || sub == ANY_SUB || (sub && !strcmp(r->sub, sub)));
}

static bool has_subcommands(const char *cmd) {
  for (size_t i = 0; i < N_ROWS; i++)
    if (!strcmp(rows[i].cmd, cmd) && rows[i].sub)
      return true;
  return false;
}

/* Whether the table knows the command, and its subcommand when it has them. */
static bool known(const char *cmd, const char *sub) {
  for (size_t i = 0; i < N_ROWS; i++)
    if (row_of(&rows[i], cmd, sub))
      return true;
  return false;
}

/* Whether the word-list " a b c" holds word. */
static bool listed(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strchr(p, ' ')) != NULL; p++)
    if (!strncmp(p + 1, word, n) && (p[1 + n] == ' ' || !p[1 + n]))
      return true;
  return false;
}

/* The options the usage lines of cmd (sub) name, as " --a --b" in out. */
static void options_of(const char *cmd, const char *sub, char *out, size_t cap) {
  static const char delims[] = " []|.()";
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < N_ROWS; i++) {
    if (!row_of(&rows[i], cmd, sub))
      continue;
    for (const char *s = rows[i].args + strspn(rows[i].args, delims); *s;) {
      size_t len = strcspn(s, delims);
      char word[64];
      snprintf(word, sizeof word, "%.*s", (int)len, s);
      if (word[0] == '-' && !listed(out, word)) {
        int n = snprintf(out + used, cap - used, " %s", word);
        if (n > 0 && (size_t)n < cap - used)
          used += (size_t)n;
      }
      s += len;
      s += strspn(s, delims);
    }
  }
}

void cli_subcommands(const char *cmd, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < N_ROWS; i++) {
    if (strcmp(rows[i].cmd, cmd) != 0 || !rows[i].sub ||
        (i > 0 && rows[i - 1].sub && !strcmp(rows[i - 1].sub, rows[i].sub)))
      continue;
    int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", rows[i].sub);
    if (n < 0 || (size_t)n >= cap - used)
      break;
    used += (size_t)n;
  }
}

/* ---- one command's --help ------------------------------------------------------------ */

/* What an option does, in one line, for a command (NULL: any command
 * without its own line for it). */
typedef struct option_line {
  const char *cmd, *name, *synopsis, *what;
} option_line;

static const option_line option_lines[] = {
    {"plan", "--json", "--json", "print the plan as a JSON array (HuggingGPT format)"},
    {"plan", "--json-object", "--json-object",
     "print {\"plan\": [...], \"note\": ...}, the note when\nthe planner noted something"},
    {NULL, "--json", "--json", "print JSON; a failure as {\"status\": \"failed\", ...}"},
    {NULL, "--offline", "--offline", "plan without the LLM (the offline planner)"},
    {NULL, "--input", "--input PATH", "a file the request uses (repeatable)"},
    {"run", "--plan", "--plan FILE", "run this task graph (JSON) instead of planning"},
    {"task", "--model", "--model ID", "the model to run it with (default: the registry's choice)"},
    {"task", "--arg", "--arg NAME=VALUE", "an argument of the task (repeatable)"},
    {"models", "--task", "--task T",
     "list, search, export: only models of task T;\nadd: the model's task; sync: the task to "
     "fetch"},
    {"models", "--limit", "--limit N", "at most N models (1 to 1000000)"},
    {"models", "--explain", "--explain",
     "list: each model's description; search: the score\nparts (and, with --task, the choice)"},
    {"models", "--endpoint", "--endpoint E",
     "add: the endpoint serving the model; sync: the\nmodel server whose models to list"},
    {"models", "--description", "--description D", "add: what the model does"},
    {"models", "--format", "--format F", "import: yaml, hugginggpt or hub; export: yaml or jsonl"},
    {"models", "--output", "-o, --output FILE", "export: write to FILE instead of stdout"},
    {"executors", "--refresh", "--refresh",
     "ask baton-worker afresh instead of its answer kept\nin BATON_HOME"},
    {"runs", "--limit", "--limit N", "list: at most N runs (1 to 1000000)"},
    {"runs", "--output", "-o, --output DEST",
     "fetch: where to copy it (default: its name, here;\n- for stdout)"},
};

/* A command's example and, when not the usual one, its exit status. */
typedef struct command_help {
  const char *cmd, *example, *exit_status;
} command_help;

static const char exit_usual[] = "0 success, 1 a task failed, 2 bad usage or bad input";
static const char exit_listing[] =
    "0 success, 1 it failed (registry, server, I/O), 2 bad usage or bad input";

static const command_help commands[] = {
    {"chat", "printf 'summarize notes.txt\\n' | baton chat --offline",
     "0 success; stdin not a terminal: 1 or 2 as run would, for the worst request"},
    {"run", "baton run \"summarize notes.txt\"", NULL},
    {"plan", "baton plan \"summarize notes.txt and read it aloud\" --json", NULL},
    {"task", "baton task image-to-text --arg image=sign.png", NULL},
    {"models", "baton models search \"speech to text\" --task automatic-speech-recognition",
     exit_listing},
    {"endpoints", "baton endpoints --json", exit_listing},
    {"executors", "baton executors --refresh", exit_listing},
    {"workers", "baton workers --json", exit_listing},
    {"runs", "baton runs list --limit 5", exit_listing},
};

static const option_line *line_of(const char *cmd, const char *name) {
  const option_line *any = NULL;
  for (size_t i = 0; i < sizeof option_lines / sizeof *option_lines; i++)
    if (!strcmp(option_lines[i].name, name)) {
      if (option_lines[i].cmd && !strcmp(option_lines[i].cmd, cmd))
        return &option_lines[i];
      if (!option_lines[i].cmd && !any)
        any = &option_lines[i];
    }
  return any;
}

/* The usage lines of cmd, then its options, one line each. */
static void print_command_lines(FILE *f, const char *cmd) {
  fputs("usage:\n", f);
  for (size_t i = 0; i < N_ROWS; i++) {
    if (strcmp(rows[i].cmd, cmd) != 0)
      continue;
    char synopsis[160];
    snprintf(synopsis, sizeof synopsis, "baton %s%s%s%s%s", cmd, rows[i].sub ? " " : "",
             rows[i].sub ? rows[i].sub : "", rows[i].args[0] ? " " : "", rows[i].args);
    fprintf(f, "  %s\n", synopsis);
    if (rows[i].what)
      print_entry(f, "", rows[i].what);
  }
  char takes[256];
  options_of(cmd, ANY_SUB, takes, sizeof takes);
  if (takes[0])
    fputs("\nOptions:\n", f);
  for (const char *p = takes; *p == ' ';) {
    size_t len = strcspn(++p, " ");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    const option_line *l = line_of(cmd, name);
    print_entry(f, l ? l->synopsis : name, l ? l->what : NULL);
    p += len;
  }
}

bool cli_command_usage(FILE *f, const char *cmd) {
  const command_help *c = NULL;
  for (size_t i = 0; i < sizeof commands / sizeof *commands && !c; i++)
    c = !strcmp(commands[i].cmd, cmd) ? &commands[i] : NULL;
  if (!c)
    return false;
  print_command_lines(f, cmd);
  fputs("\nOptions for every command:\n", f);
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (options[i].what)
      print_entry(f, options[i].synopsis, options[i].what);
  fprintf(f, "\nExample:\n  %s\n\nExit status:\n  %s.\n", c->example,
          c->exit_status ? c->exit_status : exit_usual);
  return true;
}

/* ---- parsing ------------------------------------------------------------------------- */

/* An option as given: which, how it was spelt, its value. */
typedef struct given {
  const option_spec *spec;
  const char *as, *value;
} given;

static const option_spec *option_named(const char *a) {
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (!strcmp(a, options[i].name) || (options[i].alias && !strcmp(a, options[i].alias)))
      return &options[i];
  return NULL;
}

/* The word-list " --a --b" as "--a, --b" in out. */
static void commas(const char *list, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (const char *p = list; *p == ' ';) {
    size_t len = strcspn(++p, " ");
    int n = snprintf(out + used, cap - used, "%s%.*s", used ? ", " : "", (int)len, p);
    if (n < 0 || (size_t)n >= cap - used)
      break;
    used += (size_t)n;
    p += len;
  }
}

/* Refuses, before anything runs, an option the command's usage does not
 * name: unknown (the first of those, `unknown`) or another command's. */
static void check_options(const opts *o, const given *g, size_t n, const char *unknown) {
  const char *cmd = o->cmd ? o->cmd : "chat"; /* baton alone is the REPL */
  if (!known(cmd, o->sub))
    return; /* the command or subcommand itself is refused, with the right reason */
  char takes[256];
  options_of(cmd, o->sub, takes, sizeof takes);
  for (size_t i = 0; i < n && !unknown; i++)
    if (!g[i].spec->what && !listed(takes, g[i].spec->name))
      unknown = g[i].as;
  if (!unknown)
    return;
  char who[64], list[300];
  snprintf(who, sizeof who, "baton%s%s%s%s", o->cmd ? " " : "", o->cmd ? o->cmd : "",
           o->sub ? " " : "", o->sub ? o->sub : "");
  commas(takes, list, sizeof list);
  cli_die_usage_as(who, "unknown option '%s' (%s takes %s; see baton --help)", unknown, who,
                   list[0] ? list : "only the options for every command");
}

static const char *need_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc)
    cli_die_usage("%s needs a value", argv[*i]);
  return argv[++*i];
}

/* Sets what the option given asks for in o. */
static void apply(opts *o, const given *g) {
  const char *v = g->value;
  switch (g->spec->kind) {
  case OPT_FLAG:
    *(int *)((char *)o + g->spec->at) = 1;
    break;
  case OPT_TEXT:
    *(const char **)((char *)o + g->spec->at) = v;
    break;
  case OPT_INPUT:
    if (o->n_inputs == MAX_INPUTS)
      cli_die_usage("at most %d --input files", MAX_INPUTS);
    o->inputs[o->n_inputs++] = v;
    break;
  case OPT_ARG:
    if (o->n_args == MAX_ARGS)
      cli_die_usage("at most %d --arg values", MAX_ARGS);
    if (!strchr(v, '=') || v[0] == '=')
      cli_die_usage("--arg takes NAME=VALUE, not '%s'", v);
    o->args[o->n_args++] = v;
    break;
  case OPT_LIMIT: {
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > 1000000)
      cli_die_usage("--limit takes a number from 1 to 1000000, not '%s'", v);
    o->limit = (int)n;
    break;
  }
  default:
    break;
  }
}

/* A word that is no option: the command, its subcommand, or its operand. */
static void add_word(opts *o, const char *a, bool refusing) {
  if (!o->cmd)
    o->cmd = a;
  else if (has_subcommands(o->cmd) && !o->sub)
    o->sub = a;
  else if (!o->positional)
    o->positional = a;
  else if (!refusing) /* after an unknown option: perhaps its value */
    cli_die_usage("unexpected argument '%s' (quote the request as one argument)", a);
}

void cli_parse_args(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  given *g = calloc((size_t)argc, sizeof *g);
  if (!g)
    cli_die_usage("out of memory");
  size_t n = 0;
  const char *unknown = NULL;
  /* With --json, errors found while reading argv print as JSON too; not for mcp, whose stdout
   * is its protocol's */
  const char *first = NULL;
  for (int i = 1; i < argc && !first; i++)
    first = argv[i][0] != '-' ? argv[i] : NULL;
  for (int i = 1; i < argc; i++)
    if ((!strcmp(argv[i], "--json") || !strcmp(argv[i], "--json-object")) &&
        !(first && !strcmp(first, "mcp")))
      cli_json_errors();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const option_spec *spec = a[0] == '-' && a[1] ? option_named(a) : NULL;
    if (spec && spec->kind == OPT_HELP) {
      if (o->cmd && !strcmp(o->cmd, "mcp"))
        cmd_mcp_help();
      else if (!o->cmd || !cli_command_usage(stdout, o->cmd))
        cli_usage(stdout);
      exit(0);
    } else if (spec && spec->kind == OPT_VERSION) {
      printf("baton %s\n", baton_version());
      exit(0);
    } else if (spec) {
      bool valued = spec->kind != OPT_FLAG;
      g[n++] = (given){spec, a, valued ? need_value(argc, argv, &i) : NULL};
    } else if (a[0] == '-' && a[1]) {
      unknown = unknown ? unknown : a;
    } else {
      add_word(o, a, unknown != NULL);
    }
  }
  check_options(o, g, n, unknown);
  for (size_t i = 0; i < n; i++)
    apply(o, &g[i]);
  free(g);
}
