/* test_apertium.c — the apertium translation executor: direct pairs, routes through a pivot, detection, limits, timeouts. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/exec.h"
#include "support/support.h"

typedef struct fixture {
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
} fixture;

static void fx_setup(fixture *f) {
  memset(f, 0, sizeof *f);
  f->cfg.max_text_bytes = 64u * 1024u;
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = "/nonexistent";
  f->env.file_prefix = "task2";
  f->env.cancel = &f->cancel;
  char why[512] = "";
  if (!baton__executor_apertium.available(&f->cfg, why, sizeof why))
    cr_skip_test("%s", why);
}

/* Translates text (src may be NULL); returns the result (caller frees) or
 * NULL with env.err set. */
static char *translate_route(fixture *f, const char *text, const char *src, const char *tgt,
                             char **route);

static char *translate(fixture *f, const char *text, const char *src, const char *tgt) {
  return translate_route(f, text, src, tgt, NULL);
}

/* As translate(), also taking the "route" output (when route is not NULL). */
static char *translate_route(fixture *f, const char *text, const char *src, const char *tgt,
                             char **route) {
  baton__values in, out;
  memset(&out, 0, sizeof out);
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  if (src)
    cr_assert_eq(baton__values_add(&in, "src_lang", 0, src), 0);
  if (tgt)
    cr_assert_eq(baton__values_add(&in, "tgt_lang", 0, tgt), 0);
  if (!route)
    return bt_exec_output(&baton__executor_apertium, NULL, "translation", &in, &f->env, "text",
                          BATON__T_TEXT);
  f->env.err[0] = '\0';
  f->env.bad_input = false;
  int rc = baton__executor_apertium.run(NULL, "translation", &in, &f->env, &out);
  baton__values_release(&in);
  char *text_out = NULL;
  *route = NULL;
  if (rc == 0) {
    const baton__value *t = baton__values_get(&out, "text"), *r = baton__values_get(&out, "route");
    cr_assert(t && r, "the text or the route is missing");
    text_out = baton__strdup(t->data);
    *route = baton__strdup(r->data);
  }
  baton__values_release(&out);
  return text_out;
}

/* Skips unless apertium has these directions installed (scripts/setup.sh
 * installs them). */
static void need_pairs(const char *const *modes) {
  for (; *modes; modes++) {
    char path[512];
    snprintf(path, sizeof path, "/usr/share/apertium/modes/%s.mode", *modes);
    const char *ci = getenv("CI");
    if (!baton__file_exists(path) && ci && !strcmp(ci, "true"))
      cr_assert_fail("apertium's %s is not installed (scripts/setup.sh installs it)", *modes);
    if (!baton__file_exists(path))
      cr_skip_test("apertium's %s is not installed (scripts/setup.sh installs it)", *modes);
  }
}

Test(executors_apertium, is_available_with_the_english_spanish_pair) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  char why[512] = "unset";
  cr_assert(baton__executor_apertium.available(&cfg, why, sizeof why),
            "unavailable: %s (install apertium and apertium-en-es)", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(baton__executor_apertium.tasks[0], "translation");
}

Test(executors_apertium, translates_english_to_spanish) {
  fixture f;
  fx_setup(&f);
  char *es = translate(&f, "The cat is black.", NULL, "es");
  cr_assert_not_null(es, "failed: %s", f.env.err);
  cr_assert(strstr(es, "gato") && strstr(es, "negro"), "unexpected translation: %s", es);
  cr_assert_null(strchr(es, '*'), "unknown-word marks were not turned off: %s", es);
  cr_assert_neq(es[strlen(es) - 1], '\n');
  free(es);
}

Test(executors_apertium, accepts_three_letter_codes_and_the_reverse_direction) {
  fixture f;
  fx_setup(&f);
  char *en = translate(&f, "El gato es negro.", "spa", "en");
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_assert(strstr(en, "cat") && strstr(en, "black"), "unexpected translation: %s", en);
  free(en);
}

Test(executors_apertium, an_unknown_pair_lists_the_installed_ones) {
  fixture f;
  fx_setup(&f);
  cr_assert_null(translate(&f, "The cat is black.", "en", "ja"));
  cr_assert(strstr(f.env.err, "en -> ja") && strstr(f.env.err, "en-es"),
            "unclear error: %s", f.env.err);
  cr_assert(f.env.bad_input, "a pair apertium lacks is the request's problem, not the model's");
}

Test(executors_apertium, needs_a_target_language_and_some_text) {
  fixture f;
  fx_setup(&f);
  cr_assert_null(translate(&f, "The cat is black.", "en", NULL));
  cr_assert(strstr(f.env.err, "tgt_lang"), "unclear error: %s", f.env.err);
  cr_assert(f.env.bad_input, "a target not given is the request's problem");
  cr_assert_null(translate(&f, "  \n", "en", "es"));
  cr_assert(strstr(f.env.err, "non-empty"), "unclear error: %s", f.env.err);
  cr_assert_null(translate(&f, "The cat.", "en", "es; rm -rf /"));
  cr_assert(strstr(f.env.err, "bad language code"), "unclear error: %s", f.env.err);
  cr_assert(f.env.bad_input, "a bad language code is the request's problem");
}

Test(executors_apertium, output_over_the_limit_is_refused) {
  fixture f;
  fx_setup(&f);
  /* 19 bytes in; "Los gatos son negros." is longer. */
  f.cfg.max_text_bytes = 20;
  cr_assert_null(translate(&f, "The cats are black.", "en", "es"));
  cr_assert(strstr(f.env.err, "over the limit of 20"), "unclear error: %s", f.env.err);
}

Test(executors_apertium, a_task_past_its_timeout_is_stopped) {
  fixture f;
  fx_setup(&f);
  f.env.timeout_ms = 1;
  int64_t t0 = baton__now_ms();
  cr_assert_null(translate(&f, "The cat is black.", "en", "es"));
  cr_assert(strstr(f.env.err, "ran past 1 ms"), "unclear error: %s", f.env.err);
  cr_assert_lt(baton__now_ms() - t0, 2000);
}

/* Entries in folder dir, "." and ".." left out. */
static int entries_in(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* apertium's script removes its temporary file as it exits; one killed past its deadline leaves
 * it, unless it was put in a folder of the run's own. */
Test(executors_apertium, leaves_no_temporary_file_behind_even_when_stopped) {
  fixture f;
  fx_setup(&f);
  char dir[] = "/tmp/bt-ap-tmp.XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  setenv("TMPDIR", dir, 1);
  char *es = translate(&f, "The cat is black.", "en", "es");
  cr_assert_not_null(es, "%s", f.env.err);
  free(es);
  for (int i = 0; i < 5; i++) {
    f.env.timeout_ms = 1 + i * 20;
    free(translate(&f, "The cat is black and the dog is white.", "en", "es"));
  }
  int left = entries_in(dir);
  baton__rm_tree(dir, false);
  cr_assert_eq(left, 0, "%d files were left in TMPDIR", left);
}

Test(executors_apertium, a_cancelled_task_does_not_run) {
  fixture f;
  fx_setup(&f);
  atomic_store(&f.cancel, 1);
  cr_assert_null(translate(&f, "The cat is black.", "en", "es"));
  cr_assert(strstr(f.env.err, "cancel"), "unclear error: %s", f.env.err);
}

Test(executors_apertium, translates_english_to_french_through_spanish_and_says_so) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", "es-fr", NULL});
  char *route = NULL;
  char *fr = translate_route(&f, "Good morning. The house is big.", "en", "fr", &route);
  cr_assert_not_null(fr, "failed: %s", f.env.err);
  cr_assert(strstr(fr, "maison") && strstr(fr, "grande"), "not French: %s", fr);
  cr_assert_str_eq(route, "English -> Spanish -> French (apertium has no direct en-fr pair here, "
                          "so through Spanish)");
  free(fr);
  free(route);
}

Test(executors_apertium, translates_french_to_english_detecting_the_source) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"fr-es", "spa-eng", NULL});
  char *route = NULL;
  char *en = translate_route(&f, "Le chat est noir et la maison est très grande.", NULL, "en",
                             &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_assert(strstr(en, "cat") && strstr(en, "black") && strstr(en, "house"), "not English: %s",
            en);
  cr_assert(strstr(route, "French -> Spanish -> English") &&
                strstr(route, "the text was detected as French"),
            "route: %s", route);
  free(en);
  free(route);
}

Test(executors_apertium, translates_english_to_portuguese_through_spanish) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", "es-pt", NULL});
  char *route = NULL;
  char *pt = translate_route(&f, "The house is big and the garden is beautiful.", "en", "pt",
                             &route);
  cr_assert_not_null(pt, "failed: %s", f.env.err);
  cr_assert(strstr(pt, "casa") && strstr(pt, "jardim"), "not Portuguese: %s", pt);
  cr_assert(strstr(route, "through Spanish"), "route: %s", route);
  free(pt);
  free(route);
}

Test(executors_apertium, without_a_target_takes_the_only_direction_and_says_so) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"fr-es", NULL});
  char *route = NULL;
  char *es = translate_route(&f, "Le chat est noir et la maison est très grande.", NULL, NULL,
                             &route);
  cr_assert_not_null(es, "failed: %s", f.env.err);
  cr_assert(strstr(es, "gato") && strstr(es, "casa"), "not Spanish: %s", es);
  cr_assert(strstr(route, "no target language was given, and Spanish is the only one French "
                          "translates into here"),
            "route: %s", route);
  free(es);
  free(route);
}

Test(executors_apertium, gives_back_a_text_already_in_the_target_language_and_says_so) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  const char *text = "The library opens at nine in the morning and closes at five.";
  char *route = NULL;
  char *en = translate_route(&f, text, NULL, "en", &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_assert_str_eq(en, text);
  cr_assert(strstr(route, "English already, so the text is given back as it is") &&
                strstr(route, "detected as English"), "route: %s", route);
  free(en);
  free(route);
}

/* "translate notes.txt" named no target language: a text already in the one the planner assumed
 * (English) is refused, saying what to ask; told the target, the text is given back as before. */
Test(executors_apertium, refuses_a_text_already_in_the_assumed_target_asking_for_one) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  const char *text = "The library opens at nine in the morning and closes at five.";
  f.env.untargeted = "translate notes.txt";
  char *route = NULL;
  cr_assert_null(translate_route(&f, text, NULL, "en", &route), "translated: %s", route);
  cr_assert(f.env.bad_input);
  cr_assert(strstr(f.env.err, "translation needs a target language") &&
                strstr(f.env.err, "say e.g. 'translate notes.txt into Spanish'"),
            "%s", f.env.err);
  f.env.untargeted = NULL;
  char *en = translate_route(&f, text, NULL, "en", &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_assert_str_eq(en, text);
  free(en);
  free(route);
}

/* A text in a language no installed pair translates from is refused naming the language, not
 * taken for English and given back. */
Test(executors_apertium, a_text_nothing_here_translates_from_is_refused_naming_its_language) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  char *route = NULL;
  char *en = translate_route(&f, "Guten Morgen, wie geht es dir?", NULL, "en", &route);
  cr_assert_null(en, "claimed done: %s (%s)", en, route);
  cr_expect(strstr(f.env.err, "this looks German (de); nothing installed here translates from "
                              "German: ") &&
                strstr(f.env.err, "en-es") && strstr(f.env.err, "apertium-deu-"),
            "unclear: %s", f.env.err);
  cr_expect(f.env.bad_input, "a language nothing here translates from is not the model's fault");
}

/* A short English text textcat is unsure of ("good morning": Danish, among others) is read as
 * English, the language apertium knows its words in, saying so, rather than refused. */
Test(executors_apertium, a_short_text_taken_for_an_untranslatable_language_is_read_as_english) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  char *route = NULL;
  char *es = translate_route(&f, "good morning", NULL, "es", &route);
  cr_assert_not_null(es, "failed: %s", f.env.err);
  cr_expect(strstr(es, "buenos"), "not translated: %s", es);
  cr_expect(strstr(route, "English -> Spanish") && strstr(route, "detected as English"),
            "route: %s", route);
  free(es);
  free(route);
}

/* A source language given (the offline planner's default "en" of a German quote) that apertium
 * knows too few words of is not trusted: the text's own language is found, and refused here. */
Test(executors_apertium, a_given_source_it_knows_too_few_words_of_gives_way_to_detection) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  char *route = NULL;
  char *es = translate_route(&f, "Hallo, ich heiße Anna und ich wohne in Berlin.", "en", "es",
                             &route);
  cr_assert_null(es, "claimed done: %s (%s)", es, route);
  cr_expect(strstr(f.env.err, "this looks German (de)"), "unclear: %s", f.env.err);
}

/* A short Spanish text textcat puts a hair behind Esperanto: apertium knows none of its words as
 * Esperanto, so the next language it looks like is tried. */
Test(executors_apertium, a_text_of_unknown_words_is_tried_in_the_next_language_it_looks_like) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eo-en", "spa-eng", NULL});
  char *route = NULL;
  char *en = translate_route(&f, "hola amigos, ¿cómo estáis?", NULL, "en", &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_expect(strstr(en, "hello"), "not translated: %s", en);
  cr_expect(strstr(route, "Spanish -> English; the text was detected as Spanish"), "route: %s",
            route);
  free(en);
  free(route);
}

/* With no target language named, a text not in English goes into English, as before. */
Test(executors_apertium, translates_a_text_not_in_english_when_no_target_was_named) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"spa-eng", NULL});
  f.env.untargeted = "translate notas.txt";
  char *route = NULL;
  char *en = translate_route(&f, "El perro come la manzana en la casa grande. Hoy hace sol y "
                             "todos están contentos.", NULL, "en", &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_assert(strstr(en, "dog"), "%s", en);
  cr_assert(strstr(route, "Spanish -> English"), "route: %s", route);
  free(en);
  free(route);
}

/* A word apertium's generator could not make ("#prpers", its name for a personal pronoun) is no
 * word of the translation. */
Test(executors_apertium, a_word_apertium_could_not_generate_leaves_no_junk) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", NULL});
  char *es = translate(&f, "What do we and we win", "en", "es");
  cr_assert_not_null(es, "failed: %s", f.env.err);
  cr_expect(!strstr(es, "prpers") && !strchr(es, '#') && !strstr(es, "  "), "junk: %s", es);
  cr_expect(strstr(es, "ganamos"), "not translated: %s", es);
  free(es);
}

/* The offline planner's default "en" of a French quote ("translate 'bonjour tout le monde' into
 * Italian"): apertium knows none of its words as English, and textcat's closest language it
 * works with is French. */
Test(executors_apertium, a_french_quote_given_as_english_is_translated_from_french) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"eng-spa", "fr-es", "spa-ita", NULL});
  char *route = NULL;
  char *it = translate_route(&f, "bonjour tout le monde", "en", "it", &route);
  cr_assert_not_null(it, "failed: %s", f.env.err);
  cr_expect(strstr(it, "tutto il mondo"), "not from French: %s", it);
  cr_expect(strstr(route, "French -> Spanish -> Italian") && strstr(route, "detected as French"),
            "route: %s", route);
  free(it);
  free(route);
}

/* A short text textcat is unsure of (it took "buenos días, mis amigos" for Lithuanian, Latin or
 * Portuguese, and apertium knew too few of its words as Portuguese: refused) is translated from
 * the language whose dictionary knows the most of its words, and the route says so. */
static void expect_short(const char *text, const char *route_start, const char *word) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"spa-eng", "cat-eng", "pt-es", "ita-spa", "fr-es", NULL});
  char *route = NULL;
  char *en = translate_route(&f, text, NULL, "en", &route);
  cr_assert_not_null(en, "failed: %s", f.env.err);
  cr_expect(strstr(route, route_start) == route, "route: %s", route);
  cr_expect(strstr(route, "textcat was unsure of it") &&
                strstr(route, "knew the most of its words"), "route: %s", route);
  cr_expect(strstr(en, word), "not translated: %s", en);
  free(en);
  free(route);
}

Test(executors_apertium, a_short_spanish_text_is_read_as_spanish) {
  expect_short("buenos días, mis amigos", "Spanish -> English", "good morning");
}

Test(executors_apertium, a_short_catalan_text_is_read_as_catalan) {
  expect_short("bon dia, amics meus", "Catalan -> English", "friends");
}

Test(executors_apertium, a_short_portuguese_text_is_read_as_portuguese) {
  expect_short("bom dia, meus amigos", "Portuguese -> Spanish -> English", "friends");
}

Test(executors_apertium, a_short_italian_text_is_read_as_italian) {
  expect_short("dov'è la stazione?", "Italian -> Spanish -> English", "Where");
}

Test(executors_apertium, a_short_french_text_is_read_as_french) {
  expect_short("merci beaucoup, mes amis", "French -> Spanish -> English", "thank you");
}

/* A short text in a language nothing here translates from is still refused naming it, though
 * textcat was unsure of it and the languages translated from here were weighed (apertium knows
 * too few of its words in each). */
Test(executors_apertium, a_short_german_text_textcat_is_unsure_of_is_refused_naming_german) {
  fixture f;
  fx_setup(&f);
  need_pairs((const char *const[]){"spa-eng", NULL});
  char *route = NULL;
  char *en = translate_route(&f, "danke schön", NULL, "en", &route);
  cr_assert_null(en, "claimed done: %s (%s)", en, route);
  cr_expect(strstr(f.env.err, "this looks German (de); nothing installed here translates from "
                              "German: "), "unclear: %s", f.env.err);
}
