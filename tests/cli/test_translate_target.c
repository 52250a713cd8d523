/* test_translate_target.c — `baton run "translate notes.txt"` naming no target language: an English text is refused, asking for one; any other goes into English. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char *home, *dir;

static void setup(void) {
  home = bt_cli_home();
  dir = bt_tmpdir();
  bt_write_in(dir, "notes.txt", "The library opens at nine in the morning and closes at five.\n");
  bt_write_in(dir, "notas.txt", "El perro come la manzana en la casa grande. Hoy hace sol y "
                                "todos están contentos.\n");
}

static void teardown(void) {
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

TestSuite(cli_translate_target, .init = setup, .fini = teardown, .timeout = 120);

/* Skips the test unless apertium translates here (its pairs are Debian packages). */
static void need_apertium(void) {
  char *out = NULL;
  bt_baton(dir, "executors --json", &out, NULL);
  cJSON *all = cJSON_Parse(out), *e;
  bool available = false;
  cJSON_ArrayForEach(e, all) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (cJSON_IsString(name) && !strcmp(name->valuestring, "apertium"))
      available = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "available"));
  }
  cJSON_Delete(all);
  free(out);
  if (!available)
    cr_skip_test("apertium is not available here");
}

Test(cli_translate_target, an_english_text_with_no_target_named_is_refused_asking_for_one) {
  need_apertium();
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "run 'translate notes.txt' --input notes.txt", &out, &err);
  cr_expect_eq(st, 1, "exit %d: %s%s", st, out, err);
  cr_expect(strstr(out, "translation needs a target language") &&
                strstr(out, "say e.g. 'translate notes.txt into Spanish'"),
            "%s", out);
  cr_expect(!strstr(out, "given back as it is"), "%s", out);
  free(out), free(err);
  /* asked for English, an English text is given back as it is */
  st = bt_baton(dir, "run 'translate notes.txt into English' --input notes.txt", &out, &err);
  cr_expect_eq(st, 0, "exit %d: %s%s", st, out, err);
  cr_expect(strstr(out, "English already, so the text is given back as it is"), "%s", out);
  free(out), free(err);
}

Test(cli_translate_target, a_text_in_another_language_with_no_target_named_goes_into_english) {
  need_apertium();
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "run 'translate notas.txt' --input notas.txt", &out, &err);
  if (st != 0 && strstr(out, "cannot translate"))
    cr_skip_test("no Spanish-English pair here: %s", out);
  cr_expect_eq(st, 0, "exit %d: %s%s", st, out, err);
  cr_expect(strstr(out, "Spanish -> English"), "%s", out);
  free(out), free(err);
}
