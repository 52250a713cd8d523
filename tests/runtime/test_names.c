/* test_names.c — words of a request naming a file baton cannot read ("summarize README", "summarize /etc/passwd") refused by name before planning, never worked on as the request's own words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *dir;
static baton *ctx;

/* A folder holding README, minutes.log and page.html, each a text, and notes.txt. */
static void setup(void) {
  dir = bt_cli_home();
  unsetenv("BATON_DEBUG_EXECUTORS");
  static const char *const files[] = {"README", "minutes.log", "page.html", "notes.txt"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    bt_write_in(dir, files[i], "The committee met on Tuesday and agreed to open on Sundays.\n");
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
}

static void teardown(void) {
  baton_close(ctx);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(runtime_names, .init = setup, .fini = teardown, .timeout = 60);

/* Plans text offline in the folder: BATON_OK, or the error (baton_errmsg then says why). */
static baton_rc plan_in(const char *text) {
  baton_request req = {BATON_REQUEST_INIT, .text = text, .input_root = dir, .offline = true};
  char *json = NULL;
  baton_rc rc = baton_plan(ctx, &req, &json);
  baton_free(json);
  return rc;
}

Test(runtime_names, a_file_of_a_type_baton_does_not_know_is_refused_by_name) {
  static const struct {
    const char *text, *says;
  } cases[] = {
      {"summarize README", "README: baton does not know this file type"},
      {"please summarize README.", "README: baton does not know this file type"},
      {"summarize ./README", "./README: baton does not know this file type"},
      {"summarize page.html", "page.html: baton does not know this file type"},
      {"summarize /etc/passwd", "'/etc/passwd' is outside the allowed folders"},
      {"summarize ../etc/passwd", "'../etc/passwd' is outside the allowed folders"},
      {"summarize ./gone", "'./gone': no such file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_neq(plan_in(cases[i].text), BATON_OK, "%s was planned", cases[i].text);
    cr_assert(strstr(baton_errmsg(ctx), cases[i].says), "%s: %s", cases[i].text,
              baton_errmsg(ctx));
  }
}

/* Submits text offline in the folder: its return code (baton_errmsg then says why). */
static baton_rc submit_in(const char *text) {
  baton_request req = {BATON_REQUEST_INIT, .text = text, .input_root = dir, .offline = true};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(ctx, &req, NULL, NULL, &run);
  if (rc == BATON_OK) {
    baton_run_wait(run);
    baton_run_free(run);
  }
  return rc;
}

/* "summarize my notes \xc3\xb1.txt", the name unquoted: no file "\xc3\xb1.txt", and the name with
 * the words before it is one, to quote; a name no longer one is found says only that it is not
 * there. */
Test(runtime_names, a_name_with_spaces_left_unquoted_is_named_whole_to_quote) {
  bt_write_in(dir, "my notes \xc3\xb1.txt", "The committee met on Tuesday.\n");
  cr_assert_neq(submit_in("summarize my notes \xc3\xb1.txt"), BATON_OK);
  cr_expect(strstr(baton_errmsg(ctx), "'\xc3\xb1.txt': no such file; 'my notes \xc3\xb1.txt' is a "
                                      "file: put a name with spaces in quotes"),
            "%s", baton_errmsg(ctx));
  cr_assert_neq(submit_in("summarize your \xc3\xb1.txt"), BATON_OK);
  cr_expect_null(strstr(baton_errmsg(ctx), "quotes"), "%s", baton_errmsg(ctx));
}

/* A run of a name leading out of the caller's folder is refused saying how it leaves: by its ".." (naming
 * the folder it climbs out of) or by a link on its way, whether or not a file is there (outside
 * the folders nothing is looked at). */
Test(runtime_names, a_name_leading_out_of_the_folder_says_how_it_leaves) {
  char work[600], rn[600], away[700];
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(rn, sizeof rn, "%s/rn", dir);
  snprintf(away, sizeof away, "%s/away", work);
  cr_assert(mkdir(work, 0700) == 0 && mkdir(rn, 0700) == 0);
  bt_write_in(rn, "notes.txt", "The committee met on Tuesday.\n");
  cr_assert_eq(symlink("../rn", away), 0);
  char *real = realpath(work, NULL), climbs[700];
  snprintf(climbs, sizeof climbs, "its '..' leads out of %s", real);
  free(real);
  static const struct {
    const char *text, *names;
    bool link;
  } cases[] = {
      {"summarize ../rn/notes.txt", "'../rn/notes.txt' is outside the allowed folders", false},
      {"summarize ../rn/gone.txt", "'../rn/gone.txt' is outside the allowed folders", false},
      {"summarize away/notes.txt", "'away/notes.txt' is outside the allowed folders", true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    baton_request req = {BATON_REQUEST_INIT, .text = cases[i].text, .input_root = work,
                         .offline = true};
    baton_run *run = NULL;
    cr_assert_neq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s ran", cases[i].text);
    const char *e = baton_errmsg(ctx);
    cr_expect(strstr(e, cases[i].names), "%s: %s", cases[i].text, e);
    if (cases[i].link)
      cr_expect(strstr(e, "a link on its way leads out of them") && !strstr(e, "'..'"), "%s: %s",
                cases[i].text, e);
    else
      cr_expect(strstr(e, climbs) && !strstr(e, "link"), "%s: %s", cases[i].text, e);
  }
}

Test(runtime_names, words_naming_no_such_file_are_planned_as_they_are) {
  static const char *const fine[] = {
      "translate 'hello' into French", "say notes", "summarize notes.txt",
      "translate minutes.log into Spanish", /* a .log file is a text */
      "say 'read README first'",           /* quoted words name no file */
      "is it black and/or white? say it",  "say 24/7 support",
  };
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
    cr_assert_eq(plan_in(fine[i]), BATON_OK, "%s: %s", fine[i], baton_errmsg(ctx));
}

/* A part the step names past the end of the .log file fails the run before it starts: the file's
 * words were read, not its name. */
Test(runtime_names, a_run_reads_a_log_file_as_its_text) {
  baton_request req = {BATON_REQUEST_INIT, .input_root = dir, .offline = true,
                       .text = "translate the third paragraph of minutes.log into Spanish"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_assert(strstr(baton_errmsg(ctx), "minutes.log has 1 paragraph"), "%s", baton_errmsg(ctx));
}
