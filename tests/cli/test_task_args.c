/* test_task_args.c — `baton task` refuses a missing or misspelt argument as bad usage, naming the arguments the task takes. */
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

TestSuite(cli_task_args, .init = setup, .fini = teardown, .timeout = 120);

Test(cli_task_args, a_misspelt_argument_is_bad_usage_naming_it_and_the_right_ones) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(home, "task debug-echo --arg txt=hello", &out, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "baton task debug-echo: unknown argument 'txt'"), "%s", err);
  cr_expect(strstr(err, "debug-echo takes text"), "%s", err);
  cr_expect_eq(out[0], '\0', "it ran: %s", out);
  free(out);
  free(err);
}

Test(cli_task_args, no_argument_at_all_is_bad_usage_naming_the_ones_it_takes) {
  char *err = NULL;
  int st = bt_baton(home, "task debug-echo", NULL, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "no argument given; debug-echo takes text"), "%s", err);
  free(err);
}

Test(cli_task_args, a_name_the_task_does_not_know_beside_its_input_is_noted_and_runs) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(home, "task debug-echo --arg text=hello --arg max_length=20", &out, &err);
  cr_expect_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(out, "hello"), "%s", out);
  cr_expect(strstr(err, "does not know the argument 'max_length' (it takes text"), "%s", err);
  free(out);
  free(err);
}

Test(cli_task_args, an_input_named_another_way_for_a_hub_model_is_noted_and_passed_on) {
  /* sentence-similarity models on the Hub read "source_sentence" and "sentences" */
  char *out = NULL, *err = NULL;
  int st = bt_baton(home, "task debug-echo --arg source_sentence=hello", &out, &err);
  cr_expect_neq(st, 2, "refused as bad usage: %s", err); /* (debug-echo itself wants a text) */
  cr_expect(strstr(err, "does not know the argument 'source_sentence'"), "%s", err);
  free(out);
  free(err);
}

Test(cli_task_args, the_mode_a_speech_step_takes_is_no_unknown_argument) {
  /* "subtitles" asks the recogniser for subtitles beside the transcript */
  char *err = NULL;
  bt_baton(home, "task automatic-speech-recognition --arg audio=/nonexistent/talk.wav "
                 "--arg mode=subtitles", NULL, &err);
  cr_expect(err && !strstr(err, "does not know the argument 'mode'"), "%s", err);
  free(err);
}

Test(cli_task_args, save_as_is_an_argument_every_task_takes) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(home, "task debug-echo --arg text=hello --arg save_as=echo.txt", &out, &err);
  cr_expect_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(out, "echo.txt"), "%s", out);
  cr_expect(!strstr(err, "does not know"), "%s", err);
  free(out);
  free(err);
}

Test(cli_task_args, a_text_file_given_for_an_image_is_refused_by_its_name_not_read) {
  char notes[4096], *out = NULL, *err = NULL;
  snprintf(notes, sizeof notes, "%s/notes.txt", home);
  bt_write(notes, "Minutes of the riverside library committee\n");
  int st = bt_baton(home, "task image-to-text --arg image=notes.txt", &out, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "image-to-text needs an image, and notes.txt is a text file"), "%s", err);
  cr_expect(!strstr(err, "Minutes"), "%s", err);
  cr_expect_eq(out[0], '\0', "it ran: %s", out);
  free(out);
  free(err);
}
