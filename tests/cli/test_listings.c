/* test_listings.c — what `baton chat`, `baton runs`, `baton executors` and `baton plan` list, `baton workers` with no queue and `baton endpoints` showing a server down until when: each file once, every subcommand, whole task names, why a step has no model. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char *home;

static void setup(void) {
  home = bt_cli_home();
}

static void teardown(void) {
  bt_rmtree(home);
  free(home);
}

TestSuite(cli_listings, .init = setup, .fini = teardown, .timeout = 120);

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

Test(cli_listings, chat_lists_each_file_produced_once) {
  char args[600], *out = NULL;
  snprintf(args, sizeof args, "chat < '%s/ask.txt'", home);
  char ask[600];
  snprintf(ask, sizeof ask, "%s/ask.txt", home);
  bt_write(ask, "read \"hello there\" aloud\n");
  cr_assert_eq(bt_baton(home, args, &out, NULL), 0);
  const char *wav = strstr(out, ".wav");
  cr_assert(wav, "no recording: %s", out);
  const char *start = wav;
  while (start > out && start[-1] != ' ')
    start--;
  char line[600];
  snprintf(line, sizeof line, "  %.*s\n", (int)(wav + 4 - start), start);
  cr_expect_eq(count(out, line), 1, "the file listed %d times: %s", count(out, line), out);
  free(out);
}

Test(cli_listings, runs_without_a_subcommand_names_them_all) {
  char *err = NULL;
  cr_expect_eq(bt_baton(home, "runs", NULL, &err), 2);
  for (const char *const *s = (const char *const[]){"list", "show", "resume", "replay", NULL}; *s;
       s++)
    cr_expect(strstr(err, *s), "no '%s' in: %s", *s, err);
  free(err);
}

Test(cli_listings, models_list_of_an_unknown_task_kind_says_so) {
  char *out = NULL, *err = NULL;
  cr_expect_eq(bt_baton(home, "models list --task summarisation", &out, &err), 2);
  cr_expect(err && strstr(err, "unknown task 'summarisation'"), "%s", err ? err : "");
  cr_expect(!out || !*out, "no list: %s", out ? out : "");
  free(out);
  free(err);
}

/* A step whose only fitting model is disabled says which it is and how to turn it back on. */
Test(cli_listings, a_step_whose_model_is_disabled_names_it_and_how_to_enable_it) {
  char *out = NULL, *err = NULL;
  cr_assert_eq(bt_baton(home, "models disable local/pocketsphinx", &out, &err), 0, "%s", err);
  free(out);
  free(err);
  cr_assert_eq(bt_baton(home, "plan 'make subtitles for talk.wav' --offline", &out, &err), 0,
               "%s", err);
  cr_expect(strstr(out, "(none available)") &&
                strstr(out, "local/pocketsphinx is disabled: `baton models enable "
                            "local/pocketsphinx` turns it back on; the others registered for it "
                            "do not fit the step"),
            "%s", out);
  free(out);
  free(err);
  /* beside models of the kind that are there but cannot run here, it is named too */
  cr_assert_eq(bt_baton(home, "plan 'transcribe talk.wav' --offline", &out, &err), 0, "%s", err);
  cr_expect(getenv("HF_TOKEN") ||
                (strstr(out, "set HF_TOKEN") &&
                 strstr(out, "; local/pocketsphinx is disabled: `baton models enable "
                             "local/pocketsphinx` turns it back on)")),
            "%s", out);
  free(out);
  free(err);
  cr_assert_eq(bt_baton(home, "models enable local/pocketsphinx", &out, &err), 0, "%s", err);
  free(out);
  free(err);
  cr_assert_eq(bt_baton(home, "plan 'make subtitles for talk.wav' --offline", &out, &err), 0,
               "%s", err);
  cr_expect(strstr(out, "model: local/pocketsphinx"), "%s", out);
  free(out);
  free(err);
}

/* Whether text holds word whole: between start/spaces/commas/newlines. */
static bool whole_word(const char *text, const char *word) {
  size_t n = strlen(word);
  for (const char *p = text; (p = strstr(p, word)) != NULL; p++) {
    bool before = p == text || strchr(" ,\n", p[-1]);
    if (before && p[n] && strchr(" ,\n", p[n]))
      return true;
  }
  return false;
}

Test(cli_listings, executors_wraps_the_tasks_instead_of_cutting_them) {
  char *json = NULL, *text = NULL;
  cr_assert_eq(bt_baton(home, "executors --json", &json, NULL), 0);
  cr_assert_eq(bt_baton(home, "executors", &text, NULL), 0);
  cJSON *arr = cJSON_Parse(json);
  cr_assert(cJSON_GetArraySize(arr) > 0, "%s", json);
  const cJSON *e, *t;
  cJSON_ArrayForEach(e, arr) {
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e, "tasks"))
      cr_expect(whole_word(text, t->valuestring), "%s not listed whole: %s", t->valuestring,
                text);
  }
  cJSON_Delete(arr);
  free(json);
  free(text);
}

/* The debug executors' models are listed only while BATON_DEBUG_EXECUTORS adds them. */
Test(cli_listings, models_list_and_search_show_the_debug_models_only_when_they_are_on) {
  char *out = NULL;
  setenv("BATON_DEBUG_EXECUTORS", "0", 1);
  cr_expect_eq(bt_baton(home, "models list", &out, NULL), 0);
  cr_expect_null(strstr(out, "local/debug-"), "%s", out);
  cr_expect(strstr(out, "local/tesseract"), "%s", out);
  free(out);
  bt_baton(home, "models search 'echoes its text'", &out, NULL);
  cr_expect_null(strstr(out, "local/debug-echo"), "%s", out);
  free(out);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  cr_expect_eq(bt_baton(home, "models list", &out, NULL), 0);
  cr_expect_eq(count(out, "local/debug-"), 6, "%s", out);
  free(out);
  cr_expect_eq(bt_baton(home, "models search 'echoes its text' --limit 1", &out, NULL), 0);
  cr_expect(strstr(out, "local/debug-echo"), "%s", out);
  free(out);
}

/* Like `baton endpoints` with no model servers: a listing of nothing is no error. */
Test(cli_listings, workers_without_a_queue_says_so_and_succeeds) {
  char *out = NULL, *err = NULL;
  cr_expect_eq(bt_baton(home, "workers", &out, &err), 0);
  cr_expect(err && strstr(err, "no task queue is configured"), "%s", err ? err : "");
  free(out);
  free(err);
  out = err = NULL;
  cr_expect_eq(bt_baton(home, "workers --json", &out, &err), 0);
  cJSON *j = cJSON_Parse(out ? out : "");
  cr_expect(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 0, "not []: %s", out ? out : "");
  cJSON_Delete(j);
  free(out);
  free(err);
  out = err = NULL;
  cr_expect_eq(bt_baton(home, "endpoints", &out, &err), 0);
  free(out);
  free(err);
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
  cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* A server a task found refusing is shown down until its recorded retry. */
Test(cli_listings, endpoints_shows_until_when_a_server_is_down) {
  char config[600], y[600], args[700];
  snprintf(config, sizeof config, "%s/down.yaml", home);
  snprintf(y, sizeof y,
           "home: %s/down-home\ntask_retries: 0\nendpoints:\n  - name: srv\n"
           "    base_url: http://127.0.0.1:%d/v1\n    models:\n"
           "      - {id: m1, tasks: [summarization]}\n",
           home, closed_port());
  bt_write(config, y);
  char *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "--config '%s' task summarization --model m1 --arg text=x", config);
  cr_expect_neq(bt_baton(home, args, &out, &err), 0);
  free(out);
  free(err);
  out = NULL;
  snprintf(args, sizeof args, "--config '%s' endpoints", config);
  cr_expect_eq(bt_baton(home, args, &out, NULL), 0);
  cr_expect(out && strstr(out, "health down until ") && strstr(out, " UTC, "), "%s",
            out ? out : "");
  free(out);
}
