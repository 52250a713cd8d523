/* test_messages.c — what `baton` says of a request it cannot do: once named, from its own words, never from a library's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char *home, *dir;

static void setup(void) {
  home = bt_cli_home();
  dir = bt_tmpdir();
}

static void teardown(void) {
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

TestSuite(cli_messages, .init = setup, .fini = teardown, .timeout = 120);

Test(cli_messages, a_message_naming_baton_is_not_prefixed_with_baton_again) {
  bt_write_in(dir, "notes.txt", "The meeting moved to Tuesday.\n");
  char *err = NULL;
  int st = bt_baton(dir, "run 'translate notes.txt into Klingon'", NULL, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "baton knows no language called 'Klingon'"), "%s", err);
  cr_expect_null(strstr(err, "baton: baton"), "%s", err);
  free(err);
}

Test(cli_messages, an_empty_text_file_is_said_to_be_empty_by_its_name) {
  bt_write_in(dir, "notes.txt", "");
  bt_write_in(dir, "blank.txt", " \n\t\n");
  char *err = NULL;
  int st = bt_baton(dir, "run 'summarize notes.txt'", NULL, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "notes.txt is empty"), "%s", err);
  free(err);
  st = bt_baton(dir, "run 'summarize blank.txt'", NULL, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(err, "blank.txt holds only blank space"), "%s", err);
  free(err);
}

Test(cli_messages, a_png_cut_short_is_refused_without_libpngs_words_on_stderr) {
#ifndef BATON_HAVE_TESSERACT
  cr_skip_test("tesseract is not built");
#endif
  char whole[600], cut[600];
  snprintf(whole, sizeof whole, "%s/whole.png", dir);
  snprintf(cut, sizeof cut, "%s/broken.png", dir);
  if (!bt_render_text_png("CLOSED ON SUNDAY", whole))
    cr_skip_test("ImageMagick is missing");
  size_t len = 0;
  char *png = bt_slurp(whole, &len);
  cr_assert_gt(len, 200);
  FILE *f = fopen(cut, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(png, 1, len * 2 / 3, f), len * 2 / 3); /* its pixels cut in the middle */
  fclose(f);
  free(png);
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "run -q 'read the text in broken.png'", &out, &err);
  cr_expect_eq(st, 1, "exit %d: %s", st, err);
  cr_expect(strstr(out, "broken.png") && strstr(out, "cut short"), "%s", out);
  cr_expect_eq(err[0], '\0', "stderr: %s", err);
  free(out);
  free(err);
}

Test(cli_messages, a_data_folder_that_cannot_be_made_is_bad_input_naming_baton_home) {
  bt_write_in(dir, "notes.txt", "The meeting moved to Tuesday.\n");
  char under_a_file[700];
  snprintf(under_a_file, sizeof under_a_file, "%s/notes.txt/home", dir);
  const char *homes[] = {"/proc/nope", under_a_file};
  for (size_t i = 0; i < sizeof homes / sizeof *homes; i++) {
    setenv("BATON_HOME", homes[i], 1);
    char *out = NULL, *err = NULL;
    int st = bt_baton(dir, "run 'summarize notes.txt'", &out, &err);
    cr_expect_eq(st, 2, "BATON_HOME=%s: exit %d: %s", homes[i], st, err);
    cr_expect(strstr(err, "BATON_HOME") && strstr(err, homes[i]), "%s", err);
    char *nl = strchr(err, '\n');
    cr_expect(nl && !nl[1], "not one line: %s", err);
    cr_expect_eq(out[0], '\0', "%s", out);
    free(out);
    free(err);
  }
  setenv("BATON_HOME", home, 1);
}
