/* test_repl.c — the `baton` REPL driven through a pseudo-terminal: history, live task lines, Ctrl-C, commands, the pipe mode and the daemon. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/daemon.h"
#include "support/fake_http.h"
#include "support/fake_models.h"
#include "support/support.h"

static char *dir;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *bin_dir(void) {
  const char *b = getenv("BATON_BIN_DIR");
  return b && *b ? b : BATON_TEST_BINARY_DIR;
}

typedef struct term {
  int fd;
  pid_t pid;
  char out[1 << 18];
  size_t len;
  size_t mark; /* expect() searches from here */
} term;

static void setup(void) {
  dir = bt_tmpdir();
  char p[512];
  snprintf(p, sizeof p, "%s/home", dir);
  setenv("BATON_HOME", p, 1);
  snprintf(p, sizeof p, "%s/run/b.sock", dir);
  setenv("BATON_SOCKET", p, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  setenv("TERM", "xterm", 1);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  unsetenv("BATON_NO_DAEMON");
}

static void teardown(void) {
  bt_rmtree(dir);
  free(dir);
}

TestSuite(cli_repl, .init = setup, .fini = teardown, .timeout = 120);

static term *spawn(const char *arg) {
  term *t = calloc(1, sizeof *t);
  cr_assert(t);
  struct winsize ws = {.ws_row = 40, .ws_col = 120};
  char path[512];
  snprintf(path, sizeof path, "%s/baton", bin_dir());
  t->pid = forkpty(&t->fd, NULL, NULL, &ws);
  cr_assert(t->pid >= 0, "forkpty: %s", strerror(errno));
  if (t->pid == 0) {
    if (arg)
      execl(path, "baton", arg, (char *)NULL);
    else
      execl(path, "baton", (char *)NULL);
    _exit(127);
  }
  return t;
}

/* Waits until needle shows up in the output after the mark; moves the mark
 * past it. */
static bool expect(term *t, const char *needle, int timeout_ms) {
  long end = now_ms() + timeout_ms;
  for (;;) {
    t->out[t->len] = '\0';
    char *hit = strstr(t->out + t->mark, needle);
    if (hit) {
      t->mark = (size_t)(hit - t->out) + strlen(needle);
      return true;
    }
    long left = end - now_ms();
    if (left <= 0)
      return false;
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0)
      continue;
    if (t->len + 1 >= sizeof t->out)
      return false;
    ssize_t r = read(t->fd, t->out + t->len, sizeof t->out - t->len - 1);
    if (r <= 0)
      return false;
    t->len += (size_t)r;
  }
}

static void type(term *t, const char *keys) {
  ssize_t w = write(t->fd, keys, strlen(keys));
  cr_assert_eq(w, (ssize_t)strlen(keys));
}

/* Waits for the REPL to exit; returns its status. */
static int reap(term *t) {
  long end = now_ms() + BT_WAIT_MS;
  int st = 0;
  char sink[4096];
  while (waitpid(t->pid, &st, WNOHANG) == 0) {
    if (now_ms() > end) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, &st, 0);
      return -1;
    }
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    if (poll(&p, 1, 20) > 0 && read(t->fd, sink, sizeof sink) <= 0)
      continue;
  }
  close(t->fd);
  free(t);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *write_plan(const char *name, int sleep_ms) {
  char *path = malloc(600);
  snprintf(path, 600, "%s/%s", dir, name);
  char plan[512];
  snprintf(plan, sizeof plan,
           "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"%d\"}},"
           "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"all good\"}}]",
           sleep_ms);
  bt_write(path, plan);
  return path;
}

Test(cli_repl, history_is_kept_across_sessions) {
  term *t = spawn(NULL);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS), "no prompt: %s", t->out);
  type(t, "/help\r");
  cr_assert(expect(t, "/executors", BT_WAIT_MS), "no help text: %s", t->out);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  type(t, "/quit\r");
  cr_expect_eq(reap(t), 0);

  t = spawn(NULL);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  type(t, "\033[A\033[A"); /* up twice: /quit, then /help */
  /* libedit redraws only what changes: "/quit", then "help" over "quit". */
  cr_expect(expect(t, "/quit", BT_WAIT_MS), "the previous session's lines are recalled: %s", t->out + t->mark);
  cr_expect(expect(t, "help", BT_WAIT_MS), "newest first: %s", t->out + t->mark);
  type(t, "\r");
  cr_expect(expect(t, "/executors", BT_WAIT_MS), "the recalled line runs");
  type(t, "/quit\r");
  cr_expect_eq(reap(t), 0);
  char p[600];
  snprintf(p, sizeof p, "%s/home/history", dir);
  char *h = bt_slurp(p, NULL);
  cr_expect(strstr(h, "/help"), "history file: %s", h);
  free(h);
}

Test(cli_repl, live_lines_show_each_task_then_the_answer) {
  char *plan = write_plan("plan.json", 3000);
  term *t = spawn(NULL);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  char line[700];
  snprintf(line, sizeof line, "/run %s\r", plan);
  type(t, line);
  cr_expect(expect(t, "running  task 0 debug-sleep", BT_WAIT_MS), "a live line for the running task: %s",
            t->out + t->mark);
  cr_expect(expect(t, "local/debug-sleep", BT_WAIT_MS), "with its model");
  cr_expect(expect(t, "pending  task 1 debug-echo", BT_WAIT_MS), "and one for the waiting task");
  /* The elapsed time moves while it runs: some reading between 0.2 s and
   * 2.8 s shows up (which ones depends on how busy the machine is). */
  bool ticked = false;
  for (long end = now_ms() + BT_WAIT_MS; !ticked && now_ms() < end;) {
    expect(t, "\x01never\x01", 100); /* reads what arrived, moves nothing */
    for (int tenth = 2; tenth <= 28 && !ticked; tenth++) {
      char want[16];
      snprintf(want, sizeof want, "%d.%ds", tenth / 10, tenth % 10);
      ticked = strstr(t->out + t->mark, want) != NULL;
    }
  }
  cr_expect(ticked, "the elapsed time ticks: %s", t->out + t->mark);
  cr_expect(expect(t, "done     task 1 debug-echo", BT_WAIT_MS), "the lines end as done");
  cr_expect(expect(t, "all good", BT_WAIT_MS), "then the answer");
  cr_expect(expect(t, "baton> ", BT_WAIT_MS));
  type(t, "/quit\r");
  cr_expect_eq(reap(t), 0);
  free(plan);
}

Test(cli_repl, ctrl_c_cancels_the_run_not_the_repl) {
  char *plan = write_plan("long.json", 30000);
  term *t = spawn(NULL);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  char line[700];
  snprintf(line, sizeof line, "/run %s\r", plan);
  type(t, line);
  cr_assert(expect(t, "running  task 0", BT_WAIT_MS), "the run did not start: %s", t->out);
  long t0 = now_ms();
  type(t, "\003");
  cr_expect(expect(t, "cancelled", BT_WAIT_MS), "Ctrl-C cancels the run: %s", t->out + t->mark);
  cr_expect_lt(now_ms() - t0, 20000, "the 30 s task was not stopped");
  cr_expect(expect(t, "baton> ", BT_WAIT_MS), "and the REPL is still there");
  /* At the prompt, Ctrl-C drops the line being typed, not the REPL. */
  type(t, "half a line");
  cr_expect(expect(t, "half a line", BT_WAIT_MS));
  type(t, "\003");
  cr_expect(expect(t, "baton> ", BT_WAIT_MS), "a fresh prompt after Ctrl-C: %s", t->out + t->mark);
  type(t, "/new\r");
  cr_expect(expect(t, "new conversation", BT_WAIT_MS), "and still answers: %s", t->out);
  type(t, "/quit\r");
  cr_expect_eq(reap(t), 0);
  free(plan);
}

Test(cli_repl, without_a_terminal_it_reads_one_request_per_line) {
  char *plan = write_plan("quick.json", 10);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "printf '/run %s\\n/run %s\\n' | %s/baton chat", plan, plan, bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert(out);
  cr_expect(strstr(out, "all good"), "the answer: %s", out);
  cr_expect(strstr(strstr(out, "all good") + 1, "all good"), "one answer per line");
  cr_expect_null(strchr(out, '\033'), "plain output, no terminal codes");
  cr_expect_null(strstr(out, "baton> "), "no prompt");
  free(out);
  free(plan);
}

/* Piped, a session exits as `baton run` would on its worst result: 1 for a task that failed, 2
 * for a request refused (a missing file), whatever came after it. */
Test(cli_repl, without_a_terminal_it_exits_with_the_worst_result_of_the_session) {
  char *good = write_plan("good.json", 10), fail[600], cmd[2400];
  snprintf(fail, sizeof fail, "%s/fail.json", dir);
  bt_write(fail, "[{\"task\":\"debug-fail\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}}]");
  snprintf(cmd, sizeof cmd, "printf '/run %s\\n/run %s\\n' | %s/baton chat >/dev/null 2>&1", fail,
           good, bin_dir());
  cr_expect_eq(bt_run(cmd, NULL), 1, "a task failed");
  snprintf(cmd, sizeof cmd, "cd '%s' && printf 'summarize missing.txt\\n/run %s\\n/run %s\\n' | "
           "%s/baton chat >/dev/null 2>&1", dir, fail, good, bin_dir());
  cr_expect_eq(bt_run(cmd, NULL), 2, "a request refused");
  char *out = NULL;
  snprintf(cmd, sizeof cmd, "printf '/run %s\\n' | %s/baton chat", dir, bin_dir());
  cr_expect_eq(bt_run(cmd, &out), 2, "a folder given as a plan");
  cr_expect(out && strstr(out, "Is a directory"), "a folder is no empty plan: %s", out);
  free(out);
  free(good);
}

/* A task graph file over 16 MiB is refused saying so, never cut and run: this one, a plan and 16
 * MiB of spaces after it, ran as its first 16 MiB. */
Test(cli_repl, a_task_graph_file_over_16_mib_is_refused_not_cut) {
  char *plan = write_plan("big.json", 10), cmd[1400];
  FILE *f = fopen(plan, "a");
  cr_assert_not_null(f);
  static char spaces[1 << 16];
  memset(spaces, ' ', sizeof spaces);
  for (size_t n = 0; n < (16u << 20); n += sizeof spaces)
    cr_assert_eq(fwrite(spaces, 1, sizeof spaces, f), sizeof spaces);
  cr_assert_eq(fclose(f), 0);
  snprintf(cmd, sizeof cmd, "printf '/run %s\\n' | %s/baton chat", plan, bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 2, "refused as a usage error");
  cr_assert(out);
  cr_expect(strstr(out, "is larger than 16777216 bytes (16 MiB)") && strstr(out, "nothing was run"),
            "%s", out);
  cr_expect_null(strstr(out, "all good"), "the cut plan ran: %s", out);
  free(out);
  free(plan);
}

/* Starts batond on the test's socket (stderr in batond.err) and waits until
 * it answers. */
static pid_t start_batond(void) {
  bt_daemon d = {.dir = dir};
  snprintf(d.sock, sizeof d.sock, "%s/run/b.sock", dir);
  snprintf(d.err, sizeof d.err, "%s/batond.err", dir);
  pid_t pid = bt_daemon_spawn(d.err, 0);
  bt_daemon_wait_ready(&d, pid);
  return pid;
}

Test(cli_repl, uses_the_daemon_when_one_answers) {
  pid_t d = start_batond();
  char *plan = write_plan("d.json", 300);
  term *t = spawn(NULL);
  cr_expect(expect(t, "connected to batond", BT_WAIT_MS), "banner: %s", t->out);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  char line[700];
  snprintf(line, sizeof line, "/run %s\r", plan);
  type(t, line);
  cr_expect(expect(t, "running  task 0 debug-sleep", BT_WAIT_MS), "live lines through the daemon");
  cr_expect(expect(t, "all good", BT_WAIT_MS), "the answer through the daemon");
  type(t, "/runs\r");
  cr_expect(expect(t, "done", BT_WAIT_MS), "/runs lists the run");
  type(t, "/quit\r");
  cr_expect_eq(reap(t), 0);
  kill(d, SIGTERM);
  cr_expect_eq(bt_wait_exit(d, BT_WAIT_MS), 0);
  free(plan);
}

Test(cli_repl, a_daemon_killed_mid_run_names_the_run_to_resume) {
  pid_t d = start_batond();
  char *plan = write_plan("k.json", 60000);
  term *t = spawn(NULL);
  cr_assert(expect(t, "baton> ", BT_WAIT_MS));
  char line[700];
  snprintf(line, sizeof line, "/run %s\r", plan);
  type(t, line);
  cr_assert(expect(t, "running  task 0 debug-sleep", BT_WAIT_MS), "%s", t->out);
  kill(d, SIGKILL);
  waitpid(d, NULL, 0);
  cr_expect(expect(t, "before run ", BT_WAIT_MS), "the REPL says which run was cut: %s", t->out);
  cr_expect(expect(t, "`baton runs resume ", BT_WAIT_MS), "and how to resume it: %s", t->out);
  type(t, "/quit\r");
  reap(t);
  free(plan);
}

/* ---- multi-turn context, with a fake LLM on loopback ------------------------------ */

static const char *const ADA_SSE[] = {
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Nice to meet you, \"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Ada.\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
};

static const char no_tasks[] =
    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"tasks\\\": []}\"}}],"
    "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":4}}";

/* Two turns through `baton chat` on a pipe; the second turn's LLM calls
 * must carry the first turn. */
static void two_turns(bool through_daemon) {
  const char *vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                        "ALL_PROXY"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  fake_http *llm = fake_http_start();
  cr_assert(llm, "the fake LLM did not start");
  char url[128];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(llm));
  setenv("BATON_LLM_BASE_URL", url, 1);
  setenv("BATON_LLM_MODEL", "fake", 1);
  for (int turn = 0; turn < 2; turn++) {
    fake_http_push_json(llm, 200, no_tasks);
    fake_http_push_sse(llm, ADA_SSE, sizeof ADA_SSE / sizeof *ADA_SSE, 5);
  }
  pid_t d = 0;
  if (through_daemon) {
    d = start_batond();
  } else {
    setenv("BATON_NO_DAEMON", "1", 1);
  }
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "printf 'my name is Ada\\nwhat is my name?\\n' | %s/baton chat",
           bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_expect(out && strstr(out, "Nice to meet you, Ada."), "the answers: %s", out ? out : "");
  cr_assert_eq(fake_http_request_count(llm), 4, "two LLM calls per turn");
  for (size_t i = 2; i < 4; i++) {
    fake_http_request *r = fake_http_request_get(llm, i);
    cr_expect(strstr(r->body, "my name is Ada"), "turn 2 call %zu lacks turn 1", i);
    cr_expect(strstr(r->body, "Nice to meet you"), "turn 2 call %zu lacks the answer to turn 1", i);
    fake_http_request_free(r);
  }
  free(out);
  if (d > 0) {
    kill(d, SIGTERM);
    bt_wait_exit(d, BT_WAIT_MS);
  }
  fake_http_stop(llm);
}

Test(cli_repl, follow_ups_carry_the_conversation_in_process) { two_turns(false); }

Test(cli_repl, follow_ups_carry_the_conversation_through_the_daemon) { two_turns(true); }

/* ---- multi-turn context, offline ---------------------------------------------------- */

Test(cli_repl, offline_follow_ups_resolve_it_to_the_earlier_file_or_output) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char src[600], dst[600];
  snprintf(src, sizeof src, "%s/examples/sign.png", BATON_TEST_SOURCE_DIR);
  for (int i = 0; i < 2; i++) {
    snprintf(dst, sizeof dst, "%s/%s", dir, i ? "sign.png" : "photo.jpg");
    char cp[1400];
    snprintf(cp, sizeof cp, "cp '%s' '%s'", src, dst);
    cr_assert_eq(bt_run(cp, NULL), 0);
  }
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && printf 'find the faces in photo.jpg\\n/plan now rotate it by 90 degrees\\n"
           "read the text in sign.png\\n/plan translate that into Spanish\\n' | %s/baton chat",
           dir, bin_dir());
  char *out = NULL;
  bt_run(cmd, &out); /* the runs may fail here for want of models; the plans may not */
  cr_assert_not_null(out);
  /* "it": the newest picture of the earlier turn: the detector's drawing
   * when it made one, else the photo itself */
  const char *rotate = strstr(out, "task 0: image-to-image");
  const char *image = rotate ? strstr(rotate, "image: ") : NULL;
  const char *runs = image ? strstr(image, "/runs/") : NULL;
  cr_expect(image && (!strncmp(image, "image: photo.jpg", 16) ||
                      (runs && !memchr(image, '\n', (size_t)(runs - image)))),
            "'it' is the earlier photo or what was made of it: %s", out);
  const char *translate = strstr(out, "translation on");
  cr_expect(translate && strstr(translate, "tgt_lang: es"), "'that' is translated: %s", out);
  cr_expect(!strstr(out, "text: translate that into Spanish"),
            "'that' is the earlier text or sign.png read again, not the words: %s", out);
  free(out);
}

/* A request that was not run (no captioner offline) still counts as a turn: the next one's "it"
 * is the picture it named. */
Test(cli_repl, a_turn_that_could_not_run_still_names_what_it_points_at) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char cp[1400];
  snprintf(cp, sizeof cp, "cp '%s/examples/sign.png' '%s/sign.png'", BATON_TEST_SOURCE_DIR, dir);
  cr_assert_eq(bt_run(cp, NULL), 0);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && printf 'describe sign.png\n/plan make it black and white\n' | "
           "%s/baton chat --offline 2>&1", dir, bin_dir());
  char *out = NULL;
  bt_run(cmd, &out);
  cr_assert_not_null(out);
  cr_expect(strstr(out, "captioning model"), "the first turn says what is missing: %s", out);
  const char *gray = strstr(out, "task 0: image-to-image");
  cr_expect(gray && strstr(gray, "image: sign.png"), "'it' is the picture named before: %s", out);
  free(out);
}

/* /plan says what the planner noted about the plan (a step it left out), as a run's turn does. */
Test(cli_repl, plan_says_what_the_planner_noted) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && printf \"/plan summarize 'The ferry leaves at noon. It comes back at six.' "
           "and enhance the audio quality\\n\" | %s/baton chat --offline 2>&1", dir, bin_dir());
  char *out = NULL;
  bt_run(cmd, &out);
  cr_assert_not_null(out);
  cr_expect(strstr(out, "task 0: summarization"), "%s", out);
  cr_expect(strstr(out, "(note: left out \"enhance the audio quality\""), "%s", out);
  free(out);
}

/* The turn of a request that was not run is marked ("status": "failed"): a chat task later is
 * sent the exchanges that were answered, not that one. */
/* Runs the offline REPL in dir on `lines` (printf text) with a chat model on chat's server; its
 * output (malloc'd). */
static char *chat_repl(fake_models *chat, const char *lines) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char p[1400];
  snprintf(p, sizeof p, "%s/config.yaml", dir);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fprintf(f, "prompts_dir: %s/prompts\nendpoints:\n  - name: text\n    base_url: %s\n"
          "    models:\n      - {id: qwen2.5, tasks: [conversational]}\n",
          BATON_TEST_SOURCE_DIR, fm_base(chat));
  fclose(f);
  setenv("BATON_CONFIG", p, 1);
  snprintf(p, sizeof p, "cd '%s' && printf \"%s\" | %s/baton chat --offline 2>&1", dir, lines,
           bin_dir());
  char *out = NULL;
  bt_run(p, &out);
  unsetenv("BATON_CONFIG");
  cr_assert_not_null(out);
  return out;
}

/* The body of the last of the chat requests chat's server got, which must be `want` of them
 * (malloc'd). */
static char *last_chat(fake_models *chat, int want, const char *out) {
  fake_http *srv = fm_http(chat);
  fake_http_request *last = NULL;
  int chats = 0;
  for (size_t i = 0; i < fake_http_request_count(srv); i++) {
    fake_http_request *r = fake_http_request_get(srv, i);
    if (!strstr(r->path, "/chat/completions")) {
      fake_http_request_free(r);
      continue;
    }
    fake_http_request_free(last);
    last = r, chats++;
  }
  cr_assert_eq(chats, want, "%d chat tasks ran: %s", want, out);
  char *body = strdup(last->body);
  fake_http_request_free(last);
  return body;
}

Test(cli_repl, a_chat_is_not_sent_the_turn_of_a_request_that_was_not_run) {
  fake_models *chat = fm_start(FM_LLAMACPP);
  cr_assert_not_null(chat);
  fm_set_answer(chat, "Fine.");
  char p[1400];
  snprintf(p, sizeof p, "cp '%s/examples/sign.png' '%s/sign.png'", BATON_TEST_SOURCE_DIR, dir);
  cr_assert_eq(bt_run(p, NULL), 0);
  char *out = chat_repl(chat, "let's discuss the weather\\ndescribe sign.png\\n"
                              "let's discuss the sea\\n");
  cr_expect(strstr(out, "Not run") || strstr(out, "captioning model"),
            "the second request is not run: %s", out);
  char *body = last_chat(chat, 2, out);
  cr_expect(strstr(body, "let's discuss the weather"), "the answered turn: %s", body);
  cr_expect(!strstr(body, "describe sign.png") && !strstr(body, "Not run"),
            "the turn that was not run is not sent: %s", body);
  free(body);
  free(out);
  fm_stop(chat);
}

/* A run whose chat task failed is no answer either: its exchange is not sent to the next. */
Test(cli_repl, a_chat_is_not_sent_the_turn_of_a_run_that_failed) {
  fake_models *chat = fm_start(FM_LLAMACPP);
  cr_assert_not_null(chat);
  fm_set_answer(chat, "Fine.");
  fm_push_failure(chat, 400, NULL, "{\"error\": {\"message\": \"bad request\"}}");
  char *out = chat_repl(chat, "let's discuss the weather\\nlet's discuss the sea\\n");
  cr_expect(strstr(out, "failed"), "the first run failed: %s", out);
  char *body = last_chat(chat, 2, out);
  cr_expect(strstr(body, "let's discuss the sea"), "the new message: %s", body);
  cr_expect(!strstr(body, "weather") && !strstr(body, "bad request"),
            "the failed turn is not sent: %s", body);
  free(body);
  free(out);
  fm_stop(chat);
}

/* "Save it as grey.jpg": the last turn's picture written under that name, in JPEG. */
Test(cli_repl, offline_save_it_as_writes_the_last_picture_under_that_name) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "cp '%s/examples/sign.png' '%s/sign.png'", BATON_TEST_SOURCE_DIR, dir);
  cr_assert_eq(bt_run(cmd, NULL), 0);
  snprintf(cmd, sizeof cmd, "cd '%s' && printf 'make sign.png black and white\\nsave it as "
           "grey.jpg\\n' | %s/baton chat", dir, bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert_not_null(out);
  const char *turn = strstr(out, "save it as grey.jpg");
  const char *path = turn ? strstr(turn, "/runs/") : NULL;
  const char *end = path ? strstr(path, "/grey.jpg") : NULL;
  cr_assert(end && !memchr(path, '\n', (size_t)(end - path)), "no grey.jpg written: %s", out);
  while (path > out && path[-1] != ' ')
    path--;
  char file[600];
  snprintf(file, sizeof file, "%.*s/grey.jpg", (int)(end - path), path);
  FILE *f = fopen(file, "rb");
  unsigned char magic[2] = {0};
  cr_assert(f && fread(magic, 1, 2, f) == 2, "cannot read %s", file);
  fclose(f);
  cr_expect(magic[0] == 0xFF && magic[1] == 0xD8, "%s is no JPEG", file);
  free(out);
}

/* A translation's language rides with its turn: "translate it into French" translates from
 * Spanish, not from whatever a detector guesses the Spanish to be. */
Test(cli_repl, a_follow_up_translation_starts_from_the_language_the_last_one_wrote) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && printf \"translate 'good morning, my friends' into Spanish\\n"
           "/plan translate it into French\\n\" | %s/baton chat",
           dir, bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert_not_null(out);
  const char *first = strstr(out, "buenos d");
  cr_assert(first, "apertium translated the first turn: %s", out);
  const char *plan = strstr(first, "translation on");
  cr_expect(plan && strstr(plan, "src_lang: es") && strstr(plan, "tgt_lang: fr"),
            "the second turn translates es -> fr: %s", out);
  free(out);
}

/* Each answer keeps what each of its tasks made: "the summary", after it was translated, is the
 * summary itself, not the newest text (the Spanish). */
Test(cli_repl, a_follow_up_names_an_earlier_output_by_the_task_that_made_it) {
  setenv("BATON_NO_DAEMON", "1", 1);
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "cp '%s/examples/notes.txt' '%s/notes.txt'", BATON_TEST_SOURCE_DIR,
           dir);
  cr_assert_eq(bt_run(cmd, NULL), 0);
  snprintf(cmd, sizeof cmd, "cd '%s' && printf 'summarize notes.txt\\ntranslate it into Spanish\\n"
           "/plan read the summary aloud\\n/plan read it aloud\\n' | %s/baton chat", dir,
           bin_dir());
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert_not_null(out);
  const char *summary = strstr(out, "Minutes of the riverside");
  const char *spanish = summary ? strstr(summary, "Minutos del") : NULL;
  cr_assert(spanish, "the summary and its Spanish translation ran: %s", out);
  const char *speak = strstr(spanish, "text-to-speech on"), *text = NULL;
  for (int k = 0; k < 2; k++, speak = speak ? strstr(speak + 1, "text-to-speech on") : NULL) {
    text = speak ? strstr(speak, "text: ") : NULL;
    const char *want = k ? "text: Minutos del" : "text: Minutes of the riverside";
    const char *who = k ? "'it'" : "'the summary'";
    cr_expect(text && !strncmp(text, want, strlen(want)), "%s is %s: %s", who,
              k ? "the newest text, the Spanish" : "the summary", out);
  }
  free(out);
}

/* /models shows the first 20 models and says there are more, with the command that lists them;
 * a search matching fewer shows them all, with no such line. */
Test(cli_repl, models_says_when_it_shows_only_the_first_twenty) {
  char cmd[1200], *out = NULL;
  snprintf(cmd, sizeof cmd, "printf '/models\\n' | %s/baton chat", bin_dir());
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert(out);
  size_t lines = 0;
  for (const char *p = out; (p = strchr(p, '\n')); p++)
    lines++;
  cr_expect_eq(lines, 21, "20 models and the line saying there are more: %s", out);
  cr_expect(strstr(out, "(the first 20; `baton models list --limit N` lists more)"), "%s", out);
  free(out);
  snprintf(cmd, sizeof cmd, "printf '/models tesseract\\n' | %s/baton chat", bin_dir());
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_assert(out);
  cr_expect(strstr(out, "local/tesseract"), "%s", out);
  cr_expect_null(strstr(out, "the first 20"), "%s", out);
  free(out);
}

/* `baton run` cancelled by Ctrl-C (in-process, or through batond) says so on stderr with the
 * command that finishes the run, its finished tasks kept. */
static void ctrl_c_on_run_names_the_resume(bool local) {
  char *plan = write_plan("long.json", 30000), cmd[2400], err[600], *out = NULL;
  snprintf(err, sizeof err, "%s/run.err", dir);
  snprintf(cmd, sizeof cmd,
           "%s/baton run --plan %s %s 2>%s & pid=$!; i=0; "
           "while ! grep -q 'debug-sleep' %s && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
           "kill -INT $pid; wait $pid; echo \"exit $?\"; cat %s",
           bin_dir(), plan, local ? "--local" : "", err, err, err);
  bt_run(cmd, &out);
  cr_assert(out);
  cr_expect(strstr(out, "exit 1"), "a cancelled run exits 1: %s", out);
  const char *said = strstr(out, "baton: run ");
  char id[64] = "", want[200];
  cr_assert(said && sscanf(said, "baton: run %63[^:]", id) == 1, "no run named: %s", out);
  snprintf(want, sizeof want, "baton: run %s was cancelled; `baton runs resume %s` finishes it",
           id, id);
  cr_expect(strstr(out, want), "no way to finish the run said: %s", out);
  free(out);
  free(plan);
}

Test(cli_repl, ctrl_c_on_baton_run_names_the_command_that_finishes_it) {
  ctrl_c_on_run_names_the_resume(true);
}

Test(cli_repl, ctrl_c_on_baton_run_through_the_daemon_names_the_command_that_finishes_it) {
  pid_t d = start_batond();
  ctrl_c_on_run_names_the_resume(false);
  kill(d, SIGTERM);
  cr_expect_eq(bt_wait_exit(d, BT_WAIT_MS), 0);
}
