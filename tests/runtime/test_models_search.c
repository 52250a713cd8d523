/* test_models_search.c — `baton models search` ranks the models that can run here first and says why the others cannot. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

/* `baton models search QUERY --limit 5` in a context of its own, as JSON (the caller deletes). */
static cJSON *searched(const char *query) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
  char *json = NULL;
  cr_assert_eq(baton_models_search(ctx, query, NULL, 5, &json), BATON_OK, "%s",
               baton_errmsg(ctx));
  cJSON *arr = cJSON_Parse(json);
  cr_assert_not_null(arr, "%s", json);
  baton_free(json);
  baton_close(ctx);
  return arr;
}

/* Offline, without HF_TOKEN, "translate" finds the popular Hugging Face translators and local
 * apertium: apertium, which runs here, comes first, and the others say what they lack. */
Test(runtime_models_search, a_model_that_runs_here_comes_before_more_popular_ones_that_cannot,
     .timeout = 60) {
  if (access("/usr/bin/apertium", X_OK) != 0)
    cr_skip_test("apertium is not installed");
  char *home = bt_cli_home();
  cJSON *arr = searched("translate");
  const cJSON *first = cJSON_GetArrayItem(arr, 0), *last = cJSON_GetArrayItem(arr, 4);
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "id")),
                   "local/apertium");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "available")));
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(last, "available")));
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "reason"));
  cr_assert(why && strstr(why, "HF_TOKEN"), "%s", why ? why : "(no reason)");
  cJSON_Delete(arr);
  bt_rmtree(home);
  free(home);
}

/* "ocr" ranks local tesseract, the model of the task kind that reads text, above the more
 * popular donut, whose description only mentions OCR, with HF_TOKEN set (both run here) and
 * not set (donut cannot). */
Test(runtime_models_search, ocr_finds_tesseract_first_with_and_without_hf_token, .timeout = 60) {
  char *home = bt_cli_home();
  for (int token = 0; token < 2; token++) {
    if (token)
      setenv("HF_TOKEN", "hf_test", 1);
    else
      unsetenv("HF_TOKEN");
    cJSON *arr = searched("ocr");
    const cJSON *first = cJSON_GetArrayItem(arr, 0), *second = cJSON_GetArrayItem(arr, 1);
    const cJSON *m;
    cJSON_ArrayForEach(m, arr) {
      const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
      if (!strcmp(id, "local/tesseract") &&
          cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "available")))
        cr_skip_test("tesseract cannot run here");
    }
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "id")),
                     "local/tesseract", "HF_TOKEN %s", token ? "set" : "not set");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "available")));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(second, "id")),
                     "naver-clova-ix/donut-base-finetuned-docvqa");
    cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(second, "available")), token == 1);
    cJSON_Delete(arr);
  }
  unsetenv("HF_TOKEN");
  bt_rmtree(home);
  free(home);
}
