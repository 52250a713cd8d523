/* baton_chat.c — `baton chat`: the REPL (libedit line editing and history, live task lines, multi-turn context), or one request per line from a pipe. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lineedit.h"

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

#define MAX_LINES 64
#define HISTORY_TURNS 40 /* messages kept in the context sent with a request */
#define HISTORY_OUTPUT_CHARS 4096 /* of a text output kept in the context */
#define HISTORY_TASKS 8           /* tasks of an answer whose outputs the context keeps */
#define HISTORY_BYTES (512u * 1024u) /* of the context's JSON (the planner takes 1 MiB) */

/* One live progress line. */
typedef struct tline {
  int id;
  char task[64];
  char model[96];
  const char *state; /* static text */
  double t0, t1;     /* wall seconds; 0 = not yet */
} tline;

typedef struct chat {
  const opts *o;
  baton_client *d;    /* the daemon, or NULL */
  baton *ctx;         /* in-process, or NULL (opened on first use) */
  int tty;
  cJSON *history;     /* the conversation: [{role, content, files?, outputs?}] */
  char *hist_path;    /* libedit history file */
  int status;         /* the worst exit status of the session so far, as `baton run` has them */

  pthread_mutex_t lock; /* the fields below: events come from worker threads */
  tline lines[MAX_LINES];
  int n_lines;
  int drawn;
  atomic_int done;
  char run_id[64];
  char note[512];     /* the planner's warning about this turn's plan, or "" */
} chat;

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t at_prompt; /* inside readline() */
static sigjmp_buf prompt_jmp;
static baton *volatile planning_ctx; /* the context planning a request, or NULL */
static volatile uint64_t planning_tag; /* that request's interrupt_tag */

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
  if (at_prompt) {
    at_prompt = 0;
    siglongjmp(prompt_jmp, 1);
  }
  baton *ctx = planning_ctx;
  if (ctx) /* stops an LLM planning the request, or about to */
    baton_interrupt_tag(ctx, planning_tag);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- live progress --------------------------------------------------------- */

static tline *line_for(chat *ch, int id) {
  for (int i = 0; i < ch->n_lines; i++)
    if (ch->lines[i].id == id)
      return &ch->lines[i];
  return NULL;
}

static void on_event(void *ud, const baton_event *ev) {
  chat *ch = ud;
  pthread_mutex_lock(&ch->lock);
  if (ev->type == BATON_EVENT_PLAN) {
    snprintf(ch->run_id, sizeof ch->run_id, "%s", ev->run_id ? ev->run_id : "");
    snprintf(ch->note, sizeof ch->note, "%s", ev->text ? ev->text : "");
    cJSON *plan = cJSON_Parse(ev->json ? ev->json : "[]");
    const cJSON *t;
    ch->n_lines = 0;
    cJSON_ArrayForEach(t, plan) {
      if (ch->n_lines == MAX_LINES)
        break;
      tline *l = &ch->lines[ch->n_lines++];
      memset(l, 0, sizeof *l);
      l->id = (int)cli_jnum(t, "id");
      snprintf(l->task, sizeof l->task, "%s", cli_jstr(t, "task"));
      snprintf(l->model, sizeof l->model, "%s", *cli_jstr(t, "model") ? cli_jstr(t, "model") : "-");
      l->state = "pending";
    }
    cJSON_Delete(plan);
  } else if (ev->type == BATON_EVENT_DONE) {
    atomic_store(&ch->done, 1);
  } else if (ev->task_id >= 0) {
    tline *l = line_for(ch, ev->task_id);
    if (l) {
      if (ev->model)
        snprintf(l->model, sizeof l->model, "%s", ev->model);
      if (ev->type == BATON_EVENT_TASK_STARTED) {
        l->state = "running";
        l->t0 = ev->ts > 0 ? ev->ts : now_s();
      } else if (ev->type == BATON_EVENT_TASK_FINISHED || ev->type == BATON_EVENT_TASK_FAILED) {
        l->state = ev->type == BATON_EVENT_TASK_FINISHED ? "done"
                   : interrupted                           ? "cancelled"
                                                           : "failed";
        l->t1 = ev->ts > 0 ? ev->ts : now_s();
        if (l->t0 == 0)
          l->t0 = l->t1;
      }
    }
  }
  pthread_mutex_unlock(&ch->lock);
}

/* Redraws the task lines in place (terminal only). */
static void redraw(chat *ch) {
  if (!ch->tty)
    return;
  pthread_mutex_lock(&ch->lock);
  if (ch->drawn)
    printf("\033[%dA", ch->drawn);
  double now = now_s();
  for (int i = 0; i < ch->n_lines; i++) {
    const tline *l = &ch->lines[i];
    double el = l->t0 == 0 ? 0 : (l->t1 ? l->t1 : now) - l->t0;
    printf("\r\033[2K  %-8s task %d %-28s %-28s %6.1fs\n", l->state, l->id, l->task, l->model, el);
  }
  ch->drawn = ch->n_lines;
  pthread_mutex_unlock(&ch->lock);
  fflush(stdout);
}

/* Draws the lines a last time, naming tasks that never ran, and leaves
 * them on screen. */
static void final_lines(chat *ch) {
  pthread_mutex_lock(&ch->lock);
  for (int i = 0; i < ch->n_lines; i++) {
    tline *l = &ch->lines[i];
    if (!strcmp(l->state, "pending") || !strcmp(l->state, "running")) {
      l->state = interrupted ? "cancelled" : "skipped";
      if (l->t0 && !l->t1)
        l->t1 = now_s();
    }
  }
  pthread_mutex_unlock(&ch->lock);
  redraw(ch);
  ch->drawn = 0;
}

static void reset_progress(chat *ch) {
  pthread_mutex_lock(&ch->lock);
  ch->n_lines = 0;
  ch->drawn = 0;
  ch->run_id[0] = '\0';
  atomic_store(&ch->done, 0);
  pthread_mutex_unlock(&ch->lock);
}

/* ---- backends ------------------------------------------------------------------ */

/* Notes a result of the session: its exit status is the worst (highest) of them. */
static void note_status(chat *ch, int status) {
  if (status > ch->status)
    ch->status = status;
}

static baton *ctx_of(chat *ch) {
  if (!ch->ctx)
    ch->ctx = cli_open(ch->o);
  return ch->ctx;
}

/* Calls a daemon method; returns the result (caller deletes) or NULL after
 * printing the error (and dropping the daemon when it went away). */
static cJSON *call(chat *ch, const char *method, const cJSON *params) {
  char *text = params ? cJSON_PrintUnformatted(params) : NULL;
  char *result = NULL;
  baton_rc rc = baton_client_call(ch->d, method, text, &result);
  cJSON_free(text);
  if (rc == BATON_IO) {
    fputs("baton: the daemon closed the connection; continuing in-process\n", stderr);
    baton_client_close(ch->d);
    ch->d = NULL;
    return NULL;
  }
  if (rc != BATON_OK) {
    cli_report("baton", baton_errmsg(NULL));
    note_status(ch, cli_exit_code(rc));
    return NULL;
  }
  cJSON *out = cJSON_Parse(result);
  baton_free(result);
  return out;
}

/* Runs a JSON-returning library call or daemon method and gives the result
 * as a cJSON tree (caller deletes), or NULL after printing the error. */
static cJSON *query(chat *ch, const char *method, cJSON *params) {
  cJSON *out = NULL;
  if (ch->d) {
    out = call(ch, method, params);
    if (out || ch->d)
      return out;
  }
  baton *ctx = ctx_of(ch);
  char *json = NULL;
  baton_rc rc = BATON_INVALID;
  const char *text = cli_jstr(params, "text"), *req = cli_jstr(params, "request");
  if (!strcmp(method, "plan")) {
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(params, "messages");
    char *msgs = hist ? cJSON_PrintUnformatted(hist) : NULL;
    baton_request r = {BATON_REQUEST_INIT, .text = req, .offline = ch->o->offline,
                       .messages = msgs};
    interrupted = 0;
    planning_ctx = ctx;
    char *answer = NULL, *note = NULL;
    rc = baton_plan_noted(ctx, &r, &json, &answer, &note);
    planning_ctx = NULL;
    cJSON_free(msgs);
    if (answer) /* no tasks: the LLM answered the request itself */
      printf("no tasks: the LLM answers directly:\n%s\n", answer);
    if (note) /* as a run's turn says it */
      printf("(note: %s)\n", note);
    baton_free(answer);
    baton_free(note);
  } else if (!strcmp(method, "runs.list")) {
    rc = baton_runs_list(ctx, (int)cli_jnum(params, "limit"), &json);
  } else if (!strcmp(method, "models.search")) {
    rc = baton_models_search(ctx, text, NULL, (int)cli_jnum(params, "limit"), &json);
  } else if (!strcmp(method, "models.list")) {
    rc = baton_models_list(ctx, NULL, (int)cli_jnum(params, "limit"), &json);
  } else if (!strcmp(method, "executors.list")) {
    rc = baton_executors_json(ctx, &json);
  }
  if (rc != BATON_OK) {
    cli_report("baton", baton_errmsg(ctx)[0] ? baton_errmsg(ctx) : baton_strerror(rc));
    note_status(ch, cli_exit_code(rc));
    baton_free(json);
    return NULL;
  }
  out = cJSON_Parse(json);
  baton_free(json);
  return out;
}

/* ---- one request ------------------------------------------------------------------ */

/* The language task `t` wrote its text in, as its plan entry says (a translation's tgt_lang), or
 * NULL: the next turn then knows what "translate it" translates from. */
static const char *written_lang(const cJSON *res, const cJSON *t) {
  const cJSON *p, *id = cJSON_GetObjectItemCaseSensitive(t, "id");
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(res, "plan")) {
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(p, "id");
    if (cJSON_IsNumber(id) && cJSON_IsNumber(pid) && pid->valueint == id->valueint) {
      const char *lang = cli_jstr(cJSON_GetObjectItemCaseSensitive(p, "args"), "tgt_lang");
      return *lang ? lang : NULL;
    }
  }
  return NULL;
}

/* Adds task t's outputs worth a next turn (texts, cut, and paths) to `outputs`, the newest of
 * each type ("it"), and to `tasks` as {task, outputs, lang?} ("the transcript"); its files to
 * `files`. */
static void add_task_outputs(const cJSON *res, const cJSON *t, cJSON *files, cJSON *outputs,
                             cJSON *tasks) {
  cJSON *made = cJSON_CreateObject();
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t, "outputs")) {
    if (!cJSON_IsString(v) || !v->string)
      continue;
    bool text = strcmp(v->string, "text") == 0;
    if (!text && v->valuestring[0] == '/')
      cJSON_AddItemToArray(files, cJSON_CreateString(v->valuestring));
    if (text || v->valuestring[0] == '/') {
      char cut[HISTORY_OUTPUT_CHARS + 1];
      snprintf(cut, sizeof cut, "%s", v->valuestring);
      cJSON_DeleteItemFromObjectCaseSensitive(outputs, v->string);
      cJSON_AddStringToObject(outputs, v->string, cut);
      cJSON_AddStringToObject(made, v->string, cut);
    }
  }
  if (cJSON_GetArraySize(made) == 0) {
    cJSON_Delete(made);
    return;
  }
  cJSON *entry = cJSON_CreateObject();
  const char *lang = written_lang(res, t);
  cJSON_AddStringToObject(entry, "task", cli_jstr(t, "task"));
  cJSON_AddItemToObject(entry, "outputs", made);
  if (lang && cJSON_GetObjectItemCaseSensitive(made, "text"))
    cJSON_AddStringToObject(entry, "lang", lang);
  cJSON_AddItemToArray(tasks, entry);
  if (cJSON_GetArraySize(tasks) > HISTORY_TASKS)
    cJSON_DeleteItemFromArray(tasks, 0);
}

/* The answer to a turn as the next turns see it: {role, content, files?, outputs, lang?, tasks?},
 * lang the language of outputs.text when a translation wrote it. */
static cJSON *answer_message(const char *summary, const cJSON *res) {
  cJSON *parts[] = {cJSON_CreateArray(), cJSON_CreateObject(), cJSON_CreateArray()};
  const char *names[] = {"files", "outputs", "tasks"}, *lang = NULL;
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tasks"))
    add_task_outputs(res, t, parts[0], parts[1], parts[2]);
  cJSON_ArrayForEach(t, parts[2]) /* the newest text's */
    if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "outputs"), "text"))
      lang = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "lang"));
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "role", "assistant");
  cJSON_AddStringToObject(a, "content", summary);
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) /* "outputs" even when empty: */
    if (cJSON_GetArraySize(parts[i]) > 0 || i == 1) /* the content is no result (history.c) */
      cJSON_AddItemToObject(a, names[i], parts[i]);
    else
      cJSON_Delete(parts[i]);
  if (lang)
    cJSON_AddStringToObject(a, "lang", lang);
  return a;
}

/* Records the turn (taking answer); the oldest turns go while there are over HISTORY_TURNS
 * messages or their JSON is over HISTORY_BYTES. */
static void record_turn(chat *ch, const char *request, cJSON *answer) {
  cJSON *u = cJSON_CreateObject();
  cJSON_AddStringToObject(u, "role", "user");
  cJSON_AddStringToObject(u, "content", request);
  cJSON_AddItemToArray(ch->history, u);
  cJSON_AddItemToArray(ch->history, answer);
  while (cJSON_GetArraySize(ch->history) > 2) {
    char *json = cJSON_PrintUnformatted(ch->history);
    bool over = !json || strlen(json) > HISTORY_BYTES;
    cJSON_free(json);
    if (!over && cJSON_GetArraySize(ch->history) <= HISTORY_TURNS)
      break;
    cJSON_DeleteItemFromArray(ch->history, 0); /* a request and its answer */
    cJSON_DeleteItemFromArray(ch->history, 0);
  }
}

/* Prints the answer and the files produced, and records the turn. */
static void show_result(chat *ch, const char *request, const cJSON *res) {
  const char *summary = cli_jstr(res, "summary");
  fputs(*summary ? summary : "(no answer)\n", stdout);
  if (*summary && summary[strlen(summary) - 1] != '\n')
    putchar('\n');
  cJSON *a = answer_message(summary, res), *f;
  bool listed = false; /* the files the answer does not name already, once */
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a, "files")) {
    if (strstr(summary, f->valuestring))
      continue;
    if (!listed)
      puts("files:");
    listed = true;
    printf("  %s\n", f->valuestring);
  }
  cli_hint_fetch(res);
  const char *status = cli_jstr(res, "status");
  if (strcmp(status, "done") != 0) /* its answer says what went wrong: no answer for a chat */
    printf("(run %s %s)\n", cli_jstr(res, "run_id"), status),
        cJSON_AddStringToObject(a, "status", "failed"), note_status(ch, EXIT_TASK_FAILED);
  pthread_mutex_lock(&ch->lock);
  if (ch->note[0])
    printf("(note: %s)\n", ch->note), ch->note[0] = '\0';
  pthread_mutex_unlock(&ch->lock);
  fflush(stdout);
  record_turn(ch, request, a);
}

/* Says why a request was not run, and records the turn: a follow-up's "it" still means what the
 * request named ("describe photo.jpg" with no captioner, then "make it sharper"). Its status
 * marks it as no answer: a chat task is not sent the exchange. */
static void show_failure(chat *ch, const char *request, baton_rc rc, const char *why) {
  cli_report("baton", why);
  note_status(ch, cli_exit_code(rc));
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "role", "assistant");
  char said[600];
  snprintf(said, sizeof said, "Not run: %s", why);
  cJSON_AddStringToObject(a, "content", said);
  cJSON_AddStringToObject(a, "status", "failed"); /* as a failed run's result says */
  cJSON_AddItemToObject(a, "outputs", cJSON_CreateObject()); /* nothing made */
  record_turn(ch, request, a);
}

/* Redraws until the run is done; a Ctrl-C cancels it (once). */
static void watch(chat *ch, void (*cancel)(void *), void *what) {
  bool cancelled = false;
  while (!atomic_load(&ch->done)) {
    if (interrupted && !cancelled) {
      cancel(what);
      cancelled = true;
    }
    redraw(ch);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* A run on the daemon, waited for on a thread of its own so that the
 * screen keeps redrawing. */
typedef struct daemon_run {
  chat *ch;
  baton_request req;
  char *result;
  baton_rc rc;
  char err[512]; /* baton_errmsg() is per thread: the reason, copied */
} daemon_run;

static void *daemon_run_main(void *arg) {
  daemon_run *r = arg;
  r->rc = baton_client_submit(r->ch->d, &r->req, on_event, r->ch, &r->result);
  snprintf(r->err, sizeof r->err, "%s", baton_errmsg(NULL));
  atomic_store(&r->ch->done, 1);
  return NULL;
}

static void cancel_daemon_run(void *d) { baton_client_cancel(d); }

static void run_daemon(chat *ch, const char *request, const char *plan) {
  char *msgs = cJSON_GetArraySize(ch->history) > 0 ? cJSON_PrintUnformatted(ch->history) : NULL;
  daemon_run r = {.ch = ch,
                  .req = {BATON_REQUEST_INIT, .text = plan ? NULL : request, .plan_json = plan,
                          .messages = msgs, .offline = ch->o->offline}};
  pthread_t th;
  if (pthread_create(&th, NULL, daemon_run_main, &r) != 0) {
    daemon_run_main(&r);
  } else {
    watch(ch, cancel_daemon_run, ch->d);
    pthread_join(th, NULL);
  }
  cJSON_free(msgs);
  final_lines(ch);
  if (r.rc == BATON_IO) {
    fprintf(stderr, "baton: %s\n", r.err); /* the daemon closed the connection */
    note_status(ch, EXIT_TASK_FAILED);
    baton_client_close(ch->d);
    ch->d = NULL;
  } else if (!r.result) {
    show_failure(ch, request, r.rc, r.err);
  } else {
    cJSON *res = cJSON_Parse(r.result);
    show_result(ch, request, res);
    cJSON_Delete(res);
  }
  baton_free(r.result);
}

static void cancel_local_run(void *run) { baton_run_cancel(run); }

static void run_local(chat *ch, const char *request, const char *plan) {
  baton *ctx = ctx_of(ch);
  char *msgs = cJSON_GetArraySize(ch->history) > 0 ? cJSON_PrintUnformatted(ch->history) : NULL;
  baton_request req = {BATON_REQUEST_INIT, .text = plan ? NULL : request, .plan_json = plan,
                       .messages = msgs, .offline = ch->o->offline};
  static uint64_t n_requests;
  req.interrupt_tag = ++n_requests;
  baton_run *run = NULL;
  planning_tag = req.interrupt_tag;
  planning_ctx = ctx;
  baton_rc rc = interrupted ? BATON_CANCELLED : baton_submit(ctx, &req, on_event, ch, &run);
  planning_ctx = NULL;
  cJSON_free(msgs);
  if (rc == BATON_CANCELLED) { /* recorded in the history (but for a Ctrl-C before it began) */
    const char *id = baton_failed_run_id(ctx);
    if (*id)
      fprintf(stderr, "baton: run %s was cancelled while it was being planned\n", id);
    else
      fputs("baton: cancelled while planning\n", stderr);
    note_status(ch, EXIT_TASK_FAILED);
    return;
  }
  if (rc != BATON_OK) {
    show_failure(ch, request, rc, baton_errmsg(ctx)[0] ? baton_errmsg(ctx) : baton_strerror(rc));
    return;
  }
  watch(ch, cancel_local_run, run);
  baton_run_wait(run);
  final_lines(ch);
  cJSON *res = cJSON_Parse(baton_run_result_json(run) ? baton_run_result_json(run) : "{}");
  show_result(ch, request, res);
  cJSON_Delete(res);
  baton_run_free(run);
}

/* Runs a request, or a task graph (plan != NULL; request then describes it). */
static void do_request(chat *ch, const char *request, const char *plan) {
  reset_progress(ch);
  interrupted = 0;
  if (ch->d)
    run_daemon(ch, request, plan);
  else
    run_local(ch, request, plan);
  if (interrupted && ch->tty)
    puts("(cancelled)");
  interrupted = 0;
}

/* ---- slash commands ------------------------------------------------------------------ */

static const char help_text[] =
    "Type a request in plain language; follow-ups see the earlier turns\n"
    "(\"now translate it into Spanish\", \"summarize the transcript\", \"read them aloud\",\n"
    "\"save it as notes.txt\", \"do the same for b.png\").\n"
    "  /plan TEXT      show the task graph for TEXT without running it\n"
    "  /run FILE       run a task graph from a JSON file (HuggingGPT format, at most 16 MiB)\n"
    "  /runs           the latest runs\n"
    "  /models [TEXT]  the 20 models matching TEXT best (without it: the first 20)\n"
    "  /executors      the executors and whether each is available\n"
    "  /new            start a new conversation (forget the earlier turns)\n"
    "  /help           this text\n"
    "  /quit           leave (also Ctrl-D)\n"
    "Ctrl-C cancels the running request.\n";

static void print_plan(const cJSON *plan) {
  const cJSON *t;
  cJSON_ArrayForEach(t, plan) {
    printf("task %d: %s on %s", (int)cli_jnum(t, "id"), cli_jstr(t, "task"),
           *cli_jstr(t, "model") ? cli_jstr(t, "model") : "(none available)");
    const cJSON *d;
    int any = 0;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(t, "dep")) {
      if (cJSON_IsNumber(d) && d->valueint >= 0) {
        printf(any ? ",%d" : " after %d", d->valueint);
        any = 1;
      }
    }
    putchar('\n');
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(t, "args")) {
      if (cJSON_IsString(a))
        printf("  %s: %s\n", a->string, a->valuestring);
    }
  }
}

/* Returns 1 to leave the REPL. */
/* /new: forgets the conversation. */
static void slash_new(chat *ch, const char *arg) {
  (void)arg;
  cJSON_Delete(ch->history);
  ch->history = cJSON_CreateArray();
  puts("(new conversation)");
}

/* /help. */
static void slash_help(chat *ch, const char *arg) {
  (void)ch;
  (void)arg;
  fputs(help_text, stdout);
}

/* /plan TEXT: plans without running; a follow-up sees the earlier turns. */
static void slash_plan(chat *ch, const char *arg) {
  if (!*arg) {
    puts("usage: /plan TEXT");
    note_status(ch, EXIT_USAGE);
    return;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "request", arg);
  if (ch->o->offline)
    cJSON_AddTrueToObject(p, "offline");
  if (cJSON_GetArraySize(ch->history) > 0)
    cJSON_AddItemToObject(p, "messages", cJSON_Duplicate(ch->history, 1));
  cJSON *res = query(ch, "plan", p);
  if (res)
    print_plan(res);
  cJSON_Delete(res);
  cJSON_Delete(p);
}

/* /run FILE: runs the task graph in FILE; one over CLI_READ_MAX (16 MiB) is refused, not cut. */
static void slash_run(chat *ch, const char *arg) {
  FILE *f = *arg ? fopen(arg, "rb") : NULL;
  if (!*arg) {
    puts("usage: /run FILE");
    note_status(ch, EXIT_USAGE);
    return;
  }
  if (!f) {
    printf("cannot open %s: %s\n", arg, strerror(errno));
    note_status(ch, EXIT_USAGE);
    return;
  }
  char *text = NULL;
  size_t len;
  int r = cli_read_all(f, CLI_READ_MAX, &text, &len);
  int e = errno;
  fclose(f);
  if (r != 0) {
    if (r > 0)
      printf("%s is larger than %u bytes (16 MiB), the most a task graph file may be; nothing "
             "was run\n", arg, CLI_READ_MAX);
    else
      printf("cannot read %s: %s\n", arg, strerror(e));
    note_status(ch, EXIT_USAGE);
    return;
  }
  char label[512];
  snprintf(label, sizeof label, "(task graph %s)", arg);
  do_request(ch, label, text);
  free(text);
}

/* /runs: the last ten runs. */
static void slash_runs(chat *ch, const char *arg) {
  (void)arg;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "limit", 10);
  cJSON *res = query(ch, "runs.list", p);
  if (res && cJSON_GetArraySize(res) == 0)
    puts("no runs yet");
  const cJSON *r;
  cJSON_ArrayForEach(r, res) {
    printf("%-24s %-12s %.60s\n", cli_jstr(r, "run_id"), cli_jstr(r, "status"),
           *cli_jstr(r, "request") ? cli_jstr(r, "request") : "(plan)");
  }
  cJSON_Delete(res);
  cJSON_Delete(p);
}

/* The models /models shows at most; one more is asked for, to tell whether there are more. */
#define SLASH_MODELS_SHOWN 20

/* /models [TEXT]: the first SLASH_MODELS_SHOWN models, or the ones that match TEXT best, saying
 * when there are more and the command that lists them all. */
static void slash_models(chat *ch, const char *arg) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "limit", SLASH_MODELS_SHOWN + 1);
  if (*arg)
    cJSON_AddStringToObject(p, "text", arg);
  cJSON *res = query(ch, *arg ? "models.search" : "models.list", p);
  const cJSON *m;
  int shown = 0;
  cJSON_ArrayForEach(m, res) {
    if (shown++ == SLASH_MODELS_SHOWN) {
      printf("(the first %d; `baton models %s --limit N` lists more)\n", SLASH_MODELS_SHOWN,
             *arg ? "search TEXT" : "list");
      break;
    }
    printf("%-40s %-28s %s\n", cli_jstr(m, "id"), cli_jstr(m, "task"), cli_jstr(m, "endpoint"));
  }
  cJSON_Delete(res);
  cJSON_Delete(p);
}

/* /executors: which executors are available. */
static void slash_executors(chat *ch, const char *arg) {
  (void)arg;
  cJSON *p = cJSON_CreateObject();
  cJSON *res = query(ch, "executors.list", p);
  const cJSON *e;
  cJSON_ArrayForEach(e, res) {
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "available"));
    printf("%-14s %s%s%s\n", cli_jstr(e, "name"), ok ? "available" : "unavailable",
           ok ? "" : ": ", ok ? "" : cli_jstr(e, "reason"));
  }
  cJSON_Delete(res);
  cJSON_Delete(p);
}

/* The slash commands: up to three names each; run NULL quits. */
static const struct chat_command {
  const char *names[3];
  void (*run)(chat *ch, const char *arg);
} chat_commands[] = {
    {{"/quit", "/exit", "/q"}, NULL},
    {{"/help", "/?", NULL}, slash_help},
    {{"/new", NULL, NULL}, slash_new},
    {{"/plan", NULL, NULL}, slash_plan},
    {{"/run", NULL, NULL}, slash_run},
    {{"/runs", NULL, NULL}, slash_runs},
    {{"/models", NULL, NULL}, slash_models},
    {{"/executors", NULL, NULL}, slash_executors},
};

/* Runs the slash command line. Returns 1 to quit, else 0. */
static int do_command(chat *ch, const char *line) {
  char cmd[32];
  size_t n = strcspn(line, " \t");
  snprintf(cmd, sizeof cmd, "%.*s", (int)(n < sizeof cmd ? n : sizeof cmd - 1), line);
  const char *arg = line + n;
  while (*arg == ' ' || *arg == '\t')
    arg++;
  for (size_t i = 0; i < sizeof chat_commands / sizeof chat_commands[0]; i++) {
    const struct chat_command *c = &chat_commands[i];
    for (size_t k = 0; k < 3 && c->names[k]; k++) {
      if (strcmp(cmd, c->names[k]) != 0)
        continue;
      if (!c->run)
        return 1;
      c->run(ch, arg);
      fflush(stdout);
      return 0;
    }
  }
  printf("unknown command %s (try /help)\n", cmd);
  note_status(ch, EXIT_USAGE);
  fflush(stdout);
  return 0;
}

/* ---- the loop ----------------------------------------------------------------------- */

static char *history_file(void) {
  const char *home = getenv("BATON_HOME");
  char buf[4096];
  if (home && *home) {
    snprintf(buf, sizeof buf, "%s", home);
  } else {
    const char *xdg = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
    if (xdg && xdg[0] == '/')
      snprintf(buf, sizeof buf, "%s/baton", xdg);
    else if (h && *h)
      snprintf(buf, sizeof buf, "%s/.local/share/baton", h);
    else
      return NULL;
  }
  /* mkdir -p, owner only. */
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0700);
      *p = '/';
    }
  }
  mkdir(buf, 0700);
  size_t n = strlen(buf);
  if (n + sizeof "/history" > sizeof buf)
    return NULL;
  memcpy(buf + n, "/history", sizeof "/history");
  return strdup(buf);
}

/* Reads one line; NULL at the end of input. Caller frees. */
static char *read_line(chat *ch) {
#ifdef BATON_HAVE_LIBEDIT
  const cli_lineedit *le = ch->tty ? cli_lineedit_get() : NULL;
  if (le) {
    /* Ctrl-C at the prompt jumps back here (libedit has already put the
     * terminal back in cooked mode before passing the signal on), dropping
     * the line being typed, as a shell does. */
    if (sigsetjmp(prompt_jmp, 1)) {
      at_prompt = 0;
      return NULL;
    }
    at_prompt = 1;
    char *line = le->readline("baton> ");
    at_prompt = 0;
    return line;
  }
#endif
  if (ch->tty) {
    fputs("baton> ", stdout);
    fflush(stdout);
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) < 0 && errno == EINTR && !feof(stdin))
    clearerr(stdin);
  if (n < 0) {
    free(line);
    return NULL;
  }
  if (n > 0 && line[n - 1] == '\n')
    line[n - 1] = '\0';
  return line;
}

int cmd_chat(const opts *o) {
  chat ch = {.o = o};
  pthread_mutex_init(&ch.lock, NULL);
  atomic_init(&ch.done, 0);
  ch.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  ch.history = cJSON_CreateArray();
  ch.d = cli_daemon(o);
  struct sigaction sa = {.sa_handler = on_sigint};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  if (ch.tty) {
    printf("baton %s — %s. /help for commands, /quit to leave.\n", baton_version(),
           ch.d ? "connected to batond" : "running in-process");
#ifdef BATON_HAVE_LIBEDIT
    const cli_lineedit *le = cli_lineedit_get();
    ch.hist_path = le ? history_file() : NULL;
    if (le)
      le->stifle_history(1000);
    if (ch.hist_path)
      le->read_history(ch.hist_path);
#endif
  }
  for (;;) {
    interrupted = 0;
    char *line = read_line(&ch);
    if (!line && interrupted && ch.tty) {
      putchar('\n'); /* Ctrl-C at the prompt drops the line, as in a shell */
      continue;
    }
    if (!line)
      break;
    char *s = line;
    while (*s == ' ' || *s == '\t')
      s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
      s[--n] = '\0';
    if (!*s) {
      free(line);
      continue;
    }
#ifdef BATON_HAVE_LIBEDIT
    const cli_lineedit *le = ch.tty ? cli_lineedit_get() : NULL;
    if (le) {
      le->add_history(s);
      if (ch.hist_path)
        le->write_history(ch.hist_path);
    }
#endif
    int quit = s[0] == '/' ? do_command(&ch, s) : (do_request(&ch, s, NULL), 0);
    free(line);
    if (quit)
      break;
  }
  if (ch.tty)
    putchar('\n');
  free(ch.hist_path);
  cJSON_Delete(ch.history);
  baton_client_close(ch.d);
  baton_close(ch.ctx);
  pthread_mutex_destroy(&ch.lock);
  return isatty(STDIN_FILENO) ? 0 : ch.status; /* for a script: as `baton run` would */
}
