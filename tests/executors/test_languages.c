/* test_languages.c — baton's one language table: codes, names, textcat's fingerprint names. */
#include <criterion/criterion.h>
#include <string.h>

#include "executors/languages.h"

/* textcat's fingerprints are found in the table ("zh-CN-utf8" is not "zh-CN" less a suffix
 * textcat's other names have), and a language's fingerprint leads back to it. */
Test(executors_languages, reads_textcat_fingerprint_names) {
  cr_expect_str_eq(baton__lang_of_fingerprint("fr--utf8"), "fr");
  cr_expect_str_eq(baton__lang_of_fingerprint("zh-CN-utf8"), "zh-CN");
  cr_expect_str_eq(baton__lang_of_fingerprint("nds--utf8"), "nds");
  cr_expect_null(baton__lang_of_fingerprint("ab--utf8"), "a language the table does not name");
  cr_expect_null(baton__lang_of_fingerprint("fr"));
  cr_expect_str_eq(baton__lang_fingerprint("spa"), "es--utf8");
  const char *const codes[] = {"en", "es", "ca", "pt", "it", "fr", "gl", "de", "lt", NULL};
  for (size_t i = 0; codes[i]; i++)
    cr_expect_str_eq(baton__lang_of_fingerprint(baton__lang_fingerprint(codes[i])), codes[i]);
}

/* The table names the languages textcat tells, and only the ones baton works with (the
 * planner's, apertium pairs') are codes or names it takes: "Latin America" names no language. */
Test(executors_languages, names_textcat_languages_without_taking_them_as_its_own) {
  cr_expect_str_eq(baton__lang_name("lt"), "Lithuanian");
  cr_expect_str_eq(baton__lang_named("ht"), "Haitian Creole");
  cr_expect_str_eq(baton__lang_name("be"), "Belarusian");
  cr_expect_str_eq(baton__lang_long("lt"), "lit");
  cr_expect_null(baton__lang_short("lt"));
  cr_expect_null(baton__lang_by_name("Latin"));
  cr_expect_null(baton__lang_by_name("Thai"));
  cr_expect_str_eq(baton__lang_by_name("Portuguese"), "pt");
  cr_expect_str_eq(baton__lang_short("spa"), "es");
  cr_expect_str_eq(baton__lang_name("xx"), "xx");
  cr_expect_null(baton__lang_named("xx"));
}
