/* test_help.c — `baton COMMAND --help` shows that command alone: the options its lines in
 * `baton --help` (the table the parser checks options against) give it, no other command's. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char *home;

static void setup(void) { home = bt_cli_home(); }

static void teardown(void) {
  bt_rmtree(home);
  free(home);
}

TestSuite(cli_help, .init = setup, .fini = teardown, .timeout = 120);

#define MAX_CMDS 16

/* A command of `baton --help` and the options its lines there name, as " --a --b ". */
typedef struct command {
  char name[32];
  char options[512];
} command;

/* Whether text holds word, not as part of a longer word ("--json" is not in "--json-object"). */
static bool has_word(const char *text, const char *word) {
  size_t n = strlen(word);
  for (const char *p = text; (p = strstr(p, word)) != NULL; p += n) {
    bool starts = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
    bool ends = !(isalnum((unsigned char)p[n]) || p[n] == '-');
    if (starts && ends)
      return true;
  }
  return false;
}

/* Adds to list (" --a --b ") each --option of line not yet in it. */
static void add_options(char *list, size_t cap, const char *line, size_t len) {
  for (size_t i = 0; i + 2 < len; i++) {
    if (line[i] != '-' || line[i + 1] != '-' || (i > 0 && line[i - 1] == '-'))
      continue;
    size_t n = 2;
    while (i + n < len && (isalnum((unsigned char)line[i + n]) || line[i + n] == '-'))
      n++;
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)n, line + i);
    if (n > 2 && strcmp(word, "--help") != 0 && !has_word(list, word)) {
      size_t used = strlen(list);
      snprintf(list + used, cap - used, "%s ", word);
    }
    i += n;
  }
}

/* The commands of `baton --help` ("  cmd ..." under "Commands:", with the
 * lines indented further that follow each) and the options they name. */
static size_t read_commands(const char *help, command *cmds) {
  const char *p = strstr(help, "Commands:\n");
  cr_assert_not_null(p, "%s", help);
  size_t n = 0;
  for (p = strchr(p, '\n') + 1; *p && *p != '\n';) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (p[0] == ' ' && p[1] == ' ' && islower((unsigned char)p[2])) {
      char name[32];
      sscanf(p + 2, "%31[a-z]", name);
      size_t i = 0;
      while (i < n && strcmp(cmds[i].name, name) != 0)
        i++;
      if (i == n) {
        cr_assert_lt(n, MAX_CMDS);
        snprintf(cmds[n].name, sizeof cmds[n].name, "%s", name);
        snprintf(cmds[n].options, sizeof cmds[n].options, " ");
        n++;
      }
      add_options(cmds[i].options, sizeof cmds[i].options, p, len);
    } else if (n > 0) {
      add_options(cmds[n - 1].options, sizeof cmds[n - 1].options, p, len);
    }
    p = end ? end + 1 : p + len;
  }
  return n;
}

static char *baton_out(const char *args, int *st) {
  char *out = NULL, *err = NULL;
  *st = bt_baton(NULL, args, &out, &err);
  cr_expect_eq(err[0], '\0', "baton %s said on stderr: %s", args, err);
  free(err);
  return out;
}

Test(cli_help, each_command_has_its_own_help_naming_its_options_and_no_others) {
  int st;
  char *global = baton_out("--help", &st);
  cr_assert_eq(st, 0);
  command cmds[MAX_CMDS];
  size_t n = read_commands(global, cmds);
  cr_assert_geq(n, 9, "%s", global);
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(cmds[i].name, "mcp")) /* its own help, of its protocol (test_mcp) */
      continue;
    char args[64];
    snprintf(args, sizeof args, "%.31s --help", cmds[i].name);
    char *help = baton_out(args, &st);
    cr_expect_eq(st, 0, "baton %s: exit %d", args, st);
    cr_expect_str_neq(help, global, "baton %s prints the global help", args);
    char usage[64];
    snprintf(usage, sizeof usage, "usage:\n  baton %.31s", cmds[i].name);
    cr_expect(strstr(help, usage), "baton %s:\n%s", args, help);
    snprintf(usage, sizeof usage, "baton %.31s", cmds[i].name);
    const char *example = strstr(help, "\nExample:\n");
    cr_expect(example && strstr(example, usage), "baton %s:\n%s", args, help);
    cr_expect(strstr(help, "Exit status:\n  0 success"), "baton %s:\n%s", args, help);
    cr_expect(has_word(help, "--config") && has_word(help, "--quiet"), "%s", help);
    for (size_t j = 0; j < n; j++) {
      char *save = NULL, list[512];
      snprintf(list, sizeof list, "%s", cmds[j].options);
      for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (j == i)
          cr_expect(has_word(help, w), "baton %s does not name its %s:\n%s", args, w, help);
        else if (!has_word(cmds[i].options, w))
          cr_expect(!has_word(help, w), "baton %s names %s's %s:\n%s", args, cmds[j].name, w,
                    help);
      }
    }
    free(help);
  }
  free(global);
}

Test(cli_help, help_after_a_subcommand_is_its_commands_help) {
  int st;
  char *models = baton_out("models --help", &st);
  char *list = baton_out("models list --help", &st);
  cr_expect_eq(st, 0);
  cr_expect_str_eq(list, models);
  free(models);
  free(list);
}

Test(cli_help, an_unknown_commands_help_is_the_global_help) {
  int st;
  char *global = baton_out("--help", &st);
  char *other = baton_out("frobnicate --help", &st);
  cr_expect_eq(st, 0);
  cr_expect_str_eq(other, global);
  free(global);
  free(other);
}
