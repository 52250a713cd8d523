/* test_options.c — `baton` takes, for each command, the options its --help line names and refuses any other before anything runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/support.h"

static char *home, *dir;

static void setup(void) {
  home = bt_cli_home();
  dir = bt_tmpdir();
  char p[600];
  snprintf(p, sizeof p, "%s/notes.txt", dir);
  bt_write(p, "The meeting moved to Tuesday. Bring the budget figures.\n");
}

static void teardown(void) {
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

TestSuite(cli_options, .init = setup, .fini = teardown, .timeout = 120);

static bool exists_in_dir(const char *name) {
  char p[600];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return stat(p, &st) == 0;
}

Test(cli_options, an_option_its_command_does_not_take_is_refused_before_anything_runs) {
  static const struct {
    const char *args, *says;
  } cases[] = {
      {"run 'convert notes.txt to notes.flac' -o notes.flac", "baton run: unknown option '-o'"},
      {"run 'summarize notes.txt' --model local/ots", "baton run: unknown option '--model'"},
      {"run 'summarize notes.txt' --arg max_length=20", "baton run: unknown option '--arg'"},
      {"plan 'summarize notes.txt' --output plan.json", "baton plan: unknown option '--output'"},
      {"--model local/ots run 'summarize notes.txt'", "baton run: unknown option '--model'"},
      {"runs list --refresh", "baton runs list: unknown option '--refresh'"},
      {"models show local/ots --limit 3", "baton models show: unknown option '--limit'"},
      {"executors --offline", "baton executors: unknown option '--offline'"},
      {"mcp --json", "baton mcp: unknown option '--json'"},
      {"run 'summarize notes.txt' --frobnicate", "baton run: unknown option '--frobnicate'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *out = NULL, *err = NULL;
    int st = bt_baton(dir, cases[i].args, &out, &err);
    cr_expect_eq(st, 2, "baton %s: exit %d: %s", cases[i].args, st, err);
    cr_expect(strstr(err, cases[i].says), "baton %s said: %s", cases[i].args, err);
    cr_expect(strstr(err, "see baton --help"), "%s", err);
    cr_expect_eq(out[0], '\0', "baton %s printed: %s", cases[i].args, out);
    free(out);
    free(err);
  }
  cr_expect_not(exists_in_dir("notes.flac"));
  cr_expect_not(exists_in_dir("plan.json"));
  char *out = NULL;
  cr_assert_eq(bt_baton(dir, "runs list --json", &out, NULL), 0);
  cr_expect_str_eq(out, "[]\n", "nothing ran, yet the runs are: %s", out);
  free(out);
}

/* The usage lines of --help: "cmd [sub] args" without the text beside them. */
static size_t usage_lines(char lines[][160], size_t cap) {
  char *help = NULL;
  cr_assert_eq(bt_baton(NULL, "--help", &help, NULL), 0);
  char *s = strstr(help, "Commands:\n");
  char *end = strstr(help, "Options for every command:");
  cr_assert(s && end, "%s", help);
  size_t n = 0;
  for (s = strchr(s, '\n') + 1; s < end && n < cap; s = strchr(s, '\n') + 1) {
    if (s[0] == ' ' && s[1] == ' ' && s[2] >= 'a' && s[2] <= 'z') {
      size_t len = strcspn(s + 2, "\n");
      char *gap = strstr(s + 2, "  "); /* the text beside it */
      if (gap && gap < s + 2 + len)
        len = (size_t)(gap - (s + 2));
      snprintf(lines[n++], sizeof lines[0], "%.*s", (int)len, s + 2);
    }
  }
  free(help);
  return n;
}

/* The command words of a usage line ("models show", "run"). */
static void command_of(const char *line, char *out, size_t cap) {
  size_t len = strcspn(line, " ");
  if (!strncmp(line, "models ", 7) || !strncmp(line, "runs ", 5))
    len += 1 + strcspn(line + len + 1, " ");
  snprintf(out, cap, "%.*s", (int)len, line);
}

/* The options a usage line names, as "--a v --b " (a value after each that takes one). */
static void options_named(const char *line, char *out, size_t cap) {
  char words[160];
  snprintf(words, sizeof words, "%s", line);
  size_t used = 0;
  out[0] = '\0';
  char *save = NULL;
  for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
    w += strspn(w, "[");
    if (w[0] != '-')
      continue;
    bool flag = strchr(w, ']') != NULL;
    w[strcspn(w, "]")] = '\0';
    used += (size_t)snprintf(out + used, cap - used, "%s %s", w, flag ? "" : "v ");
  }
}

Test(cli_options, each_command_takes_the_options_its_help_line_names_and_no_others) {
  char lines[64][160];
  size_t n = usage_lines(lines, 64);
  cr_assert_gt(n, 20);
  static const char *const others[] = {"--model", "--output", "--refresh", "--plan", "--arg"};
  for (size_t i = 0; i < n; i++) {
    char cmd[64], named[160], all[400] = "", args[600];
    command_of(lines[i], cmd, sizeof cmd);
    options_named(lines[i], named, sizeof named);
    for (size_t j = 0; j < n; j++) { /* a command may have several lines */
      char c2[64], more[160];
      command_of(lines[j], c2, sizeof c2);
      options_named(lines[j], more, sizeof more);
      if (!strcmp(c2, cmd))
        strncat(all, more, sizeof all - strlen(all) - 1);
    }
    /* A config that cannot be read stops each command right after its options are read
     * (the global ones given too). */
    snprintf(args, sizeof args, "%s %s --config nowhere.yaml -q --local", cmd, named);
    char *err = NULL;
    int st = bt_baton(dir, args, NULL, &err);
    cr_expect(!strstr(err, "unknown option"), "baton %s: exit %d: %s", args, st, err);
    free(err);
    for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
      char opt[32];
      snprintf(opt, sizeof opt, "%s ", others[k]);
      if (strstr(all, opt))
        continue;
      snprintf(args, sizeof args, "%s %s v --config nowhere.yaml", cmd, others[k]);
      char want[128];
      snprintf(want, sizeof want, "baton %s: unknown option '%s'", cmd, others[k]);
      st = bt_baton(dir, args, NULL, &err);
      cr_expect(st == 2 && strstr(err, want), "baton %s: exit %d: %s", args, st, err);
      free(err);
    }
  }
}
