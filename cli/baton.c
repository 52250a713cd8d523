/* baton.c — the `baton` command: one-shot subcommands over libbaton. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"


static bool json_errors;

void cli_json_errors(void) { json_errors = true; }

void cli_report(const char *who, const char *msg) {
  size_t n = strlen(who);
  if (!strncmp(msg, who, n) && msg[n] == ' ') /* "baton knows no ...": it names itself */
    fprintf(stderr, "%s\n", msg);
  else
    fprintf(stderr, "%s: %s\n", who, msg);
  if (!json_errors)
    return;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", "failed");
  cJSON_AddStringToObject(o, "error", msg);
  char *text = cJSON_Print(o);
  if (text)
    puts(text);
  fflush(stdout);
  cJSON_free(text);
  cJSON_Delete(o);
}

void cli_die_usage(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cli_report("baton", msg);
  fputs("(see baton --help)\n", stderr);
  exit(EXIT_USAGE);
}

void cli_die_usage_as(const char *who, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cli_report(who, msg);
  exit(EXIT_USAGE);
}

int cli_exit_code(baton_rc rc) {
  switch (rc) {
  case BATON_OK:
    return 0;
  case BATON_INVALID:
  case BATON_CONFIG:
  case BATON_PLAN:
  case BATON_NOTFOUND:
  case BATON_LIMIT:
  case BATON_DENIED:
    return EXIT_USAGE;
  default:
    return EXIT_TASK_FAILED;
  }
}

baton *cli_open(const opts *o) {
  baton *ctx = NULL;
  baton_rc rc = baton_open(o->config, &ctx);
  if (rc != BATON_OK) {
    cli_report("baton", ctx ? baton_errmsg(ctx) : baton_strerror(rc));
    baton_close(ctx);
    exit(rc == BATON_CONFIG ? EXIT_USAGE : EXIT_TASK_FAILED);
  }
  return ctx;
}

void cli_note_readonly(baton *ctx) {
  const char *why = baton_history_readonly(ctx);
  if (why)
    fprintf(stderr, "baton: note: new runs cannot be recorded: %s\n", why);
}

int cli_fail(baton *ctx, baton_rc rc) {
  cli_report("baton", baton_errmsg(ctx)[0] ? baton_errmsg(ctx) : baton_strerror(rc));
  baton_close(ctx);
  return cli_exit_code(rc);
}

void cli_print_json(const char *json) {
  cJSON *j = cJSON_Parse(json);
  char *pretty = j ? cJSON_Print(j) : NULL;
  puts(pretty ? pretty : json);
  cJSON_free(pretty);
  cJSON_Delete(j);
}

void cli_join(const cJSON *arr, const char *sep, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  const cJSON *t;
  cJSON_ArrayForEach(t, arr) {
    if (!cJSON_IsString(t))
      continue;
    int n = snprintf(out + used, cap - used, "%s%s", used ? sep : "", t->valuestring);
    if (n < 0 || (size_t)n >= cap - used)
      break;
    used += (size_t)n;
  }
}

/* ---- run ------------------------------------------------------------- */

typedef struct progress {
  int quiet;
  int total;
  int started;
} progress;

static void on_event(void *ud, const baton_event *ev) {
  progress *p = ud;
  if (p->quiet)
    return;
  switch (ev->type) {
  case BATON_EVENT_PLAN: {
    cJSON *plan = cJSON_Parse(ev->json ? ev->json : "[]");
    p->total = cJSON_GetArraySize(plan);
    fprintf(stderr, "baton: run %s: %d task%s\n", ev->run_id, p->total, p->total == 1 ? "" : "s");
    if (ev->text) /* the planner's warning: a step it left out */
      fprintf(stderr, "baton: note: %s\n", ev->text);
    cJSON_Delete(plan);
    break;
  }
  case BATON_EVENT_TASK_STARTED:
    fprintf(stderr, "  [%d/%d] task %d %s on %s ...\n", ++p->started, p->total, ev->task_id,
            ev->task, ev->model ? ev->model : "(no model)");
    break;
  case BATON_EVENT_TASK_FINISHED: {
    cJSON *t = cJSON_Parse(ev->json ? ev->json : "{}");
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(t, "ms");
    fprintf(stderr, "        task %d done in %.1f s\n", ev->task_id,
            cJSON_IsNumber(ms) ? ms->valuedouble / 1000.0 : 0.0);
    cJSON_Delete(t);
    break;
  }
  case BATON_EVENT_TASK_FAILED:
    fprintf(stderr, "        task %d %s: %s\n", ev->task_id, ev->task,
            ev->text ? ev->text : "failed");
    break;
  case BATON_EVENT_TASK_WAITING:
    fprintf(stderr, "        task %d: %s\n", ev->task_id, ev->text ? ev->text : "waiting");
    break;
  default:
    break;
  }
}

static char *read_plan_file(const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f)
    cli_die_usage_as("baton", "cannot open the plan %s: %s", path, strerror(errno));
  char *buf = NULL;
  size_t n;
  int r = cli_read_all(f, CLI_READ_MAX, &buf, &n);
  if (r < 0 && errno == ENOMEM) {
    cli_report("baton", "out of memory");
    exit(EXIT_TASK_FAILED);
  }
  if (r < 0)
    cli_die_usage_as("baton", "cannot read the plan %s: %s", path, strerror(errno));
  if (r > 0)
    cli_die_usage_as("baton", "the plan %s is larger than %u bytes", path, CLI_READ_MAX);
  if (f != stdin)
    fclose(f);
  return buf;
}

static baton_run *volatile current_run;
static baton *volatile planning_ctx; /* the context planning the request, or NULL */
static volatile sig_atomic_t sigint_seen;

#define PLAN_TAG 1 /* the request's interrupt_tag: the process plans only it */

/* Ctrl-C: the running run is cancelled; a request being planned (or about to be) has its LLM
 * call stopped. */
static void on_sigint(int sig) {
  (void)sig;
  sigint_seen = 1;
  baton_run *run = current_run;
  baton *ctx = planning_ctx;
  if (run)
    baton_run_cancel(run);
  else if (ctx)
    baton_interrupt_tag(ctx, PLAN_TAG);
}

/* A request cancelled while it was being planned: says so as for a run cancelled later, from
 * its record in the history (the result with --json). Closes ctx; returns the exit status. */
static int cancelled_unplanned(baton *ctx, const opts *o) {
  char why[1024], *json = NULL;
  snprintf(why, sizeof why, "%s", baton_errmsg(ctx)); /* baton_run_get() may write another */
  const char *id = baton_failed_run_id(ctx);
  cJSON *res = baton_run_get(ctx, id, &json) == BATON_OK ? cJSON_Parse(json) : NULL;
  if (!res) {
    cli_report("baton", why[0] ? why : "cancelled");
    baton_free(json);
    baton_close(ctx);
    return EXIT_TASK_FAILED;
  }
  if (o->json)
    cli_print_json(json);
  else
    fputs("(no answer)\n", stdout);
  cli_say_how_it_ended(res);
  cJSON_Delete(res);
  baton_free(json);
  baton_close(ctx);
  return EXIT_TASK_FAILED;
}

/* Waits for a run (Ctrl-C cancels it), prints the answer or the JSON, and
 * returns the exit status. Closes the context. */
static int wait_and_print(baton *ctx, baton_run *run, const opts *o) {
  current_run = run;
  planning_ctx = NULL;
  if (sigint_seen) /* Ctrl-C as its planning ended */
    baton_run_cancel(run);
  baton_rc rc = baton_run_wait(run);
  current_run = NULL;
  if (o->json)
    cli_print_json(baton_run_result_json(run));
  else
    fputs(baton_run_summary(run) ? baton_run_summary(run) : "(no answer)\n", stdout);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cli_say_how_it_ended(res);
  cJSON_Delete(res);
  baton_run_free(run);
  baton_close(ctx);
  return rc == BATON_OK ? 0 : EXIT_TASK_FAILED;
}

static int cmd_run(const opts *o) {
  if (!o->plan_file && !o->positional)
    cli_die_usage("run needs a request in quotes, or --plan FILE");
  if (o->plan_file && o->positional)
    cli_die_usage("give either a request or --plan FILE, not both");
  char *plan = o->plan_file ? read_plan_file(o->plan_file) : NULL;
  progress rp = {.quiet = o->quiet};
  baton_client *daemon = cli_daemon(o);
  if (daemon) {
    int st = remote_run(daemon, o, plan, on_event, &rp);
    free(plan);
    return st;
  }
  baton *ctx = cli_open(o);
  baton_request req = {BATON_REQUEST_INIT, .text = o->positional, .plan_json = plan,
                       .inputs = o->inputs, .n_inputs = o->n_inputs, .offline = o->offline,
                       .interrupt_tag = PLAN_TAG};
  progress p = {.quiet = o->quiet};
  baton_run *run = NULL;
  planning_ctx = ctx; /* Ctrl-C from here on stops the planning, then the run */
  struct sigaction sa = {.sa_handler = on_sigint};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  baton_rc rc = baton_submit(ctx, &req, on_event, &p, &run);
  free(plan);
  if (rc != BATON_OK) {
    planning_ctx = NULL;
    if (rc == BATON_CANCELLED && *baton_failed_run_id(ctx))
      return cancelled_unplanned(ctx, o);
    return cli_fail(ctx, rc);
  }
  return wait_and_print(ctx, run, o);
}

/* ---- plan ------------------------------------------------------------ */

/* The plan for a reader: each task, its model and why, what it depends on, its arguments. */
static void print_plan_text(const char *json) {
  cJSON *plan = cJSON_Parse(json);
  const cJSON *t;
  cJSON_ArrayForEach(t, plan) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(t, "task");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(t, "dep");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(t, "args");
    printf("task %d: %s\n", id ? id->valueint : -1,
           cJSON_IsString(task) ? task->valuestring : "?");
    printf("  model: %s\n", cJSON_IsString(model) ? model->valuestring : "(none available)");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(t, "choice"), "reason");
    if (cJSON_IsString(why))
      printf("  why: %s\n", why->valuestring);
    printf("  depends on:");
    const cJSON *d;
    int any = 0;
    cJSON_ArrayForEach(d, deps) if (cJSON_IsNumber(d) && d->valueint >= 0) {
      printf(" %d", d->valueint);
      any = 1;
    }
    puts(any ? "" : " nothing");
    const cJSON *a;
    cJSON_ArrayForEach(a, args) if (cJSON_IsString(a))
      printf("  %s: %s\n", a->string, a->valuestring);
  }
  cJSON_Delete(plan);
}

/* `plan --json-object`: {"plan": [...], "note"?: "...", "answer"?: "..."}, as the MCP plan
 * tool's structured result, so that a script gets the planner's note with the plan. */
static void print_plan_object(const char *json, const char *note, const char *answer) {
  cJSON *o = cJSON_CreateObject();
  cJSON *plan = cJSON_Parse(json);
  cJSON_AddItemToObject(o, "plan", plan ? plan : cJSON_CreateArray());
  if (note)
    cJSON_AddStringToObject(o, "note", note);
  if (answer)
    cJSON_AddStringToObject(o, "answer", answer);
  char *text = cJSON_PrintUnformatted(o);
  cli_print_json(text ? text : "{}");
  cJSON_free(text);
  cJSON_Delete(o);
}

static int cmd_plan(const opts *o) {
  if (!o->positional)
    cli_die_usage("plan needs a request in quotes");
  baton *ctx = NULL;
  char *json = NULL, *answer = NULL, *note = NULL;
  baton_client *daemon = cli_daemon(o);
  if (daemon) {
    int st = remote_plan(daemon, o, &json, &note);
    if (st != 0)
      return st;
  } else {
    ctx = cli_open(o);
    baton_request req = {BATON_REQUEST_INIT, .text = o->positional, .inputs = o->inputs,
                         .n_inputs = o->n_inputs, .offline = o->offline,
                         .interrupt_tag = PLAN_TAG};
    planning_ctx = ctx; /* Ctrl-C stops the LLM call: "cancelled while planning", exit 1 */
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    baton_rc rc = baton_plan_noted(ctx, &req, &json, &answer, &note);
    planning_ctx = NULL;
    if (rc != BATON_OK)
      return cli_fail(ctx, rc);
  }
  if (note && !o->quiet) /* as `baton run` says it: an input no step takes, a step left out */
    fprintf(stderr, "baton: note: %s\n", note);
  if (o->json_object)
    print_plan_object(json, note, answer);
  else if (o->json)
    cli_print_json(json);
  else if (answer) /* no tasks: the LLM answered the request itself */
    printf("no tasks: the LLM answers directly:\n%s\n", answer);
  else
    print_plan_text(json);
  baton_free(json);
  baton_free(answer);
  baton_free(note);
  baton_close(ctx);
  return 0;
}

/* ---- task ------------------------------------------------------------ */

/* Whether the JSON array arr holds the string s. */
static bool holds(const cJSON *arr, const char *s) {
  const cJSON *v;
  cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && !strcmp(v->valuestring, s)) return true;
  return false;
}

/* Adds s to the JSON array arr unless it holds it. */
static void add_once(cJSON *arr, const char *s) {
  if (!holds(arr, s))
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* Are a and b (short names) at most two edits apart ("txt" and "text")? */
static bool near_name(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b), row[64], prev, next;
  if (n >= 64 || m >= 64 || (n > m ? n - m : m - n) > 2)
    return false;
  for (size_t j = 0; j <= m; j++)
    row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    prev = row[0], row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      next = row[j];
      size_t sub = prev + (a[i - 1] != b[j - 1]), del = row[j] + 1, ins = row[j - 1] + 1;
      row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      prev = next;
    }
  }
  return row[m] <= 2;
}

/* Checks the --arg names against the task's inputs and parameters before it
 * runs: refuses (status 2) no argument at all, or a name it does not know
 * that is a misspelling of one it takes in place of its input ("txt" for
 * "text"); notes other names it does not know (they go to the model as
 * given: "source_sentence" for a Hub model). Closes ctx when it refuses. */
static void check_task_args(baton *ctx, const opts *o) {
  char *json = NULL;
  if (baton_tasks_json(ctx, &json) != BATON_OK)
    return; /* running it says what is wrong */
  cJSON *all = cJSON_Parse(json), *takes = cJSON_CreateArray(), *unknown = cJSON_CreateArray();
  baton_free(json);
  const cJSON *t = NULL, *v;
  cJSON_ArrayForEach(v, all) if (!strcmp(cli_jstr(v, "name"), o->positional)) t = v;
  const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(t, "inputs");
  cJSON_ArrayForEach(v, inputs) add_once(takes, v->valuestring);
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t, "params")) add_once(takes,
                                                                               v->valuestring);
  if (t) /* the file its result is kept in, which every task takes (see README) */
    add_once(takes, "save_as");
  bool input = false, misspelt = false;
  for (size_t i = 0; i < o->n_args; i++) {
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(o->args[i], "="), o->args[i]);
    input |= holds(inputs, name);
    if (holds(takes, name))
      continue;
    add_once(unknown, name);
    cJSON_ArrayForEach(v, takes) misspelt |= near_name(name, v->valuestring);
  }
  char names[512], given[512], who[160];
  cli_join(takes, ", ", names, sizeof names);
  cli_join(unknown, "', '", given, sizeof given);
  bool refuse = t && names[0] && (o->n_args == 0 || (misspelt && !input));
  bool several = cJSON_GetArraySize(unknown) > 1;
  cJSON_Delete(all);
  cJSON_Delete(takes);
  cJSON_Delete(unknown);
  snprintf(who, sizeof who, "baton task %s", o->positional);
  if (refuse) {
    baton_close(ctx);
    cli_die_usage_as(who, "%s%s%s; %s takes %s (--arg NAME=VALUE)",
                     !given[0] ? "no argument given" : several ? "unknown arguments '"
                                                                : "unknown argument '",
                     given, given[0] ? "'" : "", o->positional, names);
  }
  if (t && given[0] && !o->quiet)
    fprintf(stderr, "%s: note: %s does not know the argument '%s' (it takes %s); the model gets "
                    "it as given\n", who, o->positional, given, names);
}

static int cmd_task(const opts *o) {
  if (!o->positional)
    cli_die_usage("task needs a task name, e.g. baton task image-to-text --arg image=sign.png");
  cJSON *args = cJSON_CreateObject();
  for (size_t i = 0; i < o->n_args; i++) {
    const char *eq = strchr(o->args[i], '=');
    char name[64];
    size_t n = (size_t)(eq - o->args[i]);
    if (n >= sizeof name)
      cli_die_usage("argument name too long in '%s'", o->args[i]);
    memcpy(name, o->args[i], n);
    name[n] = '\0';
    cJSON_DeleteItemFromObjectCaseSensitive(args, name);
    cJSON_AddStringToObject(args, name, eq + 1);
  }
  char *aj = cJSON_PrintUnformatted(args);
  cJSON_Delete(args);
  baton *ctx = cli_open(o);
  check_task_args(ctx, o);
  char *json = NULL;
  baton_rc rc = baton_task(ctx, o->positional, aj, o->model, NULL, &json);
  cJSON_free(aj);
  if (!json)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *t = cJSON_Parse(json);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(t, "status");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(t, "error");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(t, "outputs");
    if (rc == BATON_OK) {
      const cJSON *v;
      cJSON_ArrayForEach(v, outs) {
        if (cJSON_IsString(v)) {
          printf("%s: %s\n", v->string, v->valuestring);
        } else {
          char *s = cJSON_PrintUnformatted(v);
          printf("%s: %s\n", v->string, s ? s : "");
          cJSON_free(s);
        }
      }
      const char *ep = cli_jstr(t, "endpoint");
      if (!o->quiet && cJSON_IsString(model))
        fprintf(stderr, "baton: ran on %s%s%s%s\n", model->valuestring, *ep ? " (endpoint " : "",
                ep, *ep ? ")" : "");
    } else {
      fprintf(stderr, "baton: %s %s: %s\n", o->positional,
              cJSON_IsString(status) ? status->valuestring : "failed",
              cJSON_IsString(err) ? err->valuestring : baton_errmsg(ctx));
    }
    cJSON_Delete(t);
  }
  baton_free(json);
  baton_close(ctx);
  return rc == BATON_OK ? 0 : cli_exit_code(rc);
}

/* ---- models, executors ------------------------------------------------ */

const char *cli_jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

double cli_jnum(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* The width of the task column of `baton executors`. */
#define TASKS_WIDTH 32

/* Puts the tasks from *next on that fit in TASKS_WIDTH columns into out
 * ("a,b,", the comma when more follow; a longer name alone), and moves
 * *next past them. */
static void tasks_line(const cJSON **next, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (const cJSON *t = *next; t; t = t->next, *next = t) {
    if (!cJSON_IsString(t))
      continue;
    size_t len = strlen(t->valuestring) + (t->next ? 1 : 0);
    if (used && used + len > TASKS_WIDTH)
      return;
    int n = snprintf(out + used, cap - used, "%s%s", t->valuestring, t->next ? "," : "");
    used = n < 0 || (size_t)n >= cap - used ? cap - 1 : used + (size_t)n;
  }
}

static int cmd_executors(const opts *o) {
  baton *ctx = cli_open(o);
  char *json = NULL;
  baton_rc rc = o->refresh ? baton_executors_refresh(ctx) : BATON_OK;
  if (rc == BATON_OK)
    rc = baton_executors_json(ctx, &json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else {
    cJSON *arr = cJSON_Parse(json);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
      char list[256];
      const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(e, "tasks");
      const cJSON *next = cJSON_IsArray(tasks) ? tasks->child : NULL;
      tasks_line(&next, list, sizeof list);
      int avail = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "available"));
      const char *details = cli_jstr(e, "details");
      printf("%-14s %-*s %-16s %s%s%s%s%s%s\n", cli_jstr(e, "name"), TASKS_WIDTH, list,
             cli_jstr(e, "isolation"), avail ? "available" : "unavailable", avail ? "" : ": ",
             avail ? "" : cli_jstr(e, "reason"), details[0] ? " (" : "", details,
             details[0] ? ")" : "");
      while (next) { /* the rest of the tasks, wrapped under the first line's */
        tasks_line(&next, list, sizeof list);
        printf("%-14s %s\n", "", list);
      }
    }
    cJSON_Delete(arr);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}

static int cmd_runs(const opts *o) {
  char subs[128];
  cli_subcommands("runs", subs, sizeof subs);
  if (!o->sub)
    cli_die_usage("runs needs a subcommand: %s", subs);
  int show = !strcmp(o->sub, "show");
  int resume = !strcmp(o->sub, "resume"), replay = !strcmp(o->sub, "replay");
  if (!strcmp(o->sub, "fetch")) {
    if (!o->positional)
      cli_die_usage("runs fetch needs a file a run made (a path its outputs name)");
    return cli_runs_fetch(o);
  }
  if (!show && !resume && !replay && strcmp(o->sub, "list") != 0)
    cli_die_usage("unknown runs subcommand '%s' (%s)", o->sub, subs);
  if ((show || resume || replay) && !o->positional)
    cli_die_usage("runs %s needs a run id (see baton runs list)", o->sub);
  if (!resume && !replay)
    return cli_runs_read(o, show);
  baton *ctx = cli_open(o);
  progress p = {.quiet = o->quiet};
  baton_run *run = NULL;
  baton_rc rc = resume ? baton_run_resume(ctx, o->positional, on_event, &p, &run)
                       : baton_run_replay(ctx, o->positional, on_event, &p, &run);
  if (rc != BATON_OK) {
    int st = cli_fail(ctx, rc);
    if (rc == BATON_NOTFOUND)
      cli_runs_hint(o, o->positional);
    return st;
  }
  return wait_and_print(ctx, run, o);
}

int main(int argc, char **argv) {
  opts o;
  cli_parse_args(argc, argv, &o);
  if (!o.cmd) {
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
      return cmd_chat(&o);
    cli_usage(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(o.cmd, "chat"))
    return cmd_chat(&o);
  if (!strcmp(o.cmd, "run"))
    return cmd_run(&o);
  if (!strcmp(o.cmd, "plan"))
    return cmd_plan(&o);
  if (!strcmp(o.cmd, "task"))
    return cmd_task(&o);
  if (!strcmp(o.cmd, "models"))
    return cmd_models(&o);
  if (!strcmp(o.cmd, "executors"))
    return cmd_executors(&o);
  if (!strcmp(o.cmd, "runs"))
    return cmd_runs(&o);
  if (!strcmp(o.cmd, "endpoints"))
    return cmd_endpoints(&o);
  if (!strcmp(o.cmd, "mcp"))
    return cmd_mcp(&o);
  if (!strcmp(o.cmd, "workers"))
    return cmd_workers(&o);
  if (!strcmp(o.cmd, "help")) {
    cli_usage(stdout);
    return 0;
  }
  cli_die_usage("unknown command '%s'", o.cmd);
}
