/* test_tesseract.c — the tesseract image-to-text executor: availability, OCR of rendered text in several languages, bad inputs. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/exec.h"
#include "support/support.h"

#if defined(BATON_HAVE_TESSERACT)

typedef struct fixture {
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
  char *dir;
  void *state;
} fixture;

static void fx_setup(fixture *f) {
  memset(f, 0, sizeof *f);
  f->cfg.tesseract_lang = (char *)"eng";
  f->cfg.max_input_bytes = 8u * 1024u * 1024u;
  f->cfg.max_text_bytes = 64u * 1024u;
  f->dir = bt_tmpdir();
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = f->dir;
  f->env.file_prefix = "task0";
  f->env.cancel = &f->cancel;
  char err[512] = "";
  cr_assert_eq(baton__executor_tesseract.init(&f->cfg, &f->state, err, sizeof err), 0,
               "init failed: %s", err);
}

static void fx_teardown(fixture *f) {
  baton__executor_tesseract.release(f->state);
  bt_rmtree(f->dir);
  free(f->dir);
}

/* Runs OCR on path; returns the text (caller frees) or NULL with env.err set. */
static char *ocr(fixture *f, const char *path) {
  baton__values in;
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "image", BATON__T_IMAGE, path), 0);
  return bt_exec_output(&baton__executor_tesseract, f->state, "image-to-text", &in, &f->env,
                        "text", BATON__T_TEXT);
}

/* Runs OCR on path with a "lang" argument (NULL: none); returns the text
 * and the "language" output in *lang (both caller frees), or NULL. */
static char *ocr_lang(fixture *f, const char *path, const char *want, char **lang) {
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  cr_assert_eq(baton__values_add(&in, "image", BATON__T_IMAGE, path), 0);
  if (want)
    cr_assert_eq(baton__values_add(&in, "lang", 0, want), 0);
  f->env.err[0] = '\0';
  int rc = baton__executor_tesseract.run(f->state, "image-to-text", &in, &f->env, &out);
  char *text = NULL;
  *lang = NULL;
  if (rc == 0) {
    text = baton__strdup(baton__values_get(&out, "text")->data);
    *lang = baton__strdup(baton__values_get(&out, "language")->data);
  }
  baton__values_release(&in);
  baton__values_release(&out);
  return text;
}

/* Skips unless tesseract has lang's data (fails in CI: setup installs it). */
static void need_lang(const char *lang) {
  char path[256];
  snprintf(path, sizeof path, "/usr/share/tesseract-ocr/5/tessdata/%s.traineddata", lang);
  const char *ci = getenv("CI");
  if (!baton__file_exists(path) && ci && !strcmp(ci, "true"))
    cr_assert_fail("tesseract-ocr-%s is not installed (scripts/setup.sh installs it)", lang);
  if (!baton__file_exists(path))
    cr_skip_test("tesseract-ocr-%s is not installed", lang);
}

static char *render(fixture *f, const char *text, const char *name) {
  char *path = baton__path_join(f->dir, name);
  if (!bt_render_text_png(text, path))
    cr_skip_test("ImageMagick (/usr/bin/convert) is not installed");
  return path;
}

static void lower(char *s) {
  for (; *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

Test(executors_tesseract, is_available_with_the_english_data) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tesseract_lang = (char *)"eng";
  char why[512] = "unset";
  cr_assert(baton__executor_tesseract.available(&cfg, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(baton__executor_tesseract.model_id, "local/tesseract");
  cr_assert_str_eq(baton__executor_tesseract.tasks[0], "image-to-text");
}

Test(executors_tesseract, says_which_language_data_is_missing) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tesseract_lang = (char *)"eng+qqq";
  char why[512] = "";
  cr_assert_not(baton__executor_tesseract.available(&cfg, why, sizeof why));
  cr_assert(strstr(why, "'qqq'") && strstr(why, "tessdata") && strstr(why, "tesseract-ocr-qqq"),
            "unclear reason: %s", why);
  cfg.tesseract_lang = (char *)"eng";
  cfg.tesseract_datapath = (char *)"/nonexistent/tessdata";
  cr_assert_not(baton__executor_tesseract.available(&cfg, why, sizeof why));
  cr_assert(strstr(why, "/nonexistent/tessdata"), "unclear reason: %s", why);
}

Test(executors_tesseract, reads_back_a_rendered_sentence) {
  fixture f;
  fx_setup(&f);
  const char *sentence = "The library opens at nine every morning.";
  char *png = render(&f, sentence, "line.png");
  char *text = ocr(&f, png);
  cr_assert_not_null(text, "OCR failed: %s", f.env.err);
  char want[128];
  baton__fmt(want, sizeof want, "%s", sentence);
  lower(want);
  lower(text);
  cr_assert_str_eq(text, want);
  free(text);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, joins_wrapped_lines_into_one_paragraph) {
  fixture f;
  fx_setup(&f);
  /* Long enough that the 1400-pixel caption wraps it over several lines. */
  const char *para = "Please return all borrowed books to the front desk before closing time, "
                     "and keep your voices down in the quiet reading room upstairs.";
  char *png = render(&f, para, "para.png");
  char *text = ocr(&f, png);
  cr_assert_not_null(text, "OCR failed: %s", f.env.err);
  cr_assert_null(strchr(text, '\n'), "lines of one paragraph were not joined: %s", text);
  char want[256];
  baton__fmt(want, sizeof want, "%s", para);
  lower(want);
  lower(text);
  cr_assert_str_eq(text, want);
  free(text);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, missing_file_error_names_the_path) {
  fixture f;
  fx_setup(&f);
  char *path = baton__path_join(f.dir, "no-such-image.png");
  char *text = ocr(&f, path);
  cr_assert_null(text);
  cr_assert(strstr(f.env.err, path), "error does not name the file: %s", f.env.err);
  free(path);
  fx_teardown(&f);
}

/* The run's copy of an input, <dir>/inputs/t0-image-<name>, holding data (len bytes): what
 * the runtime hands the executor for the user's file `name`. */
static char *run_copy(fixture *f, const char *name, const void *data, size_t len) {
  char *inputs = baton__path_join(f->dir, "inputs"), file[128];
  cr_assert_eq(baton__mkdirs(inputs, 0700), 0);
  snprintf(file, sizeof file, "t0-image-%s", name);
  char *path = baton__path_join(inputs, file);
  FILE *fp = fopen(path, "wb");
  cr_assert(fp && fwrite(data, 1, len, fp) == len && fclose(fp) == 0);
  free(inputs);
  return path;
}

/* Errors name the file as the user gave it ("notes.png"), never the run's copy of it. */
Test(executors_tesseract, a_file_that_is_not_an_image_is_refused_by_name) {
  fixture f;
  fx_setup(&f);
  static const char text[] = "this is plain text pretending to be a picture\n";
  char *path = run_copy(&f, "notes.png", text, sizeof text - 1);
  char *out = ocr(&f, path);
  cr_assert_null(out);
  cr_assert(strstr(f.env.err, "notes.png is not a picture tesseract can read (PNG, JPEG") &&
                !strstr(f.env.err, "inputs"),
            "unclear error: %s", f.env.err);
  free(path);
  fx_teardown(&f);
}

/* OCR of the run's copy of `name` holding data (len bytes) fails with exactly the error want. */
static void expect_refused(const char *name, const void *data, size_t len, const char *want) {
  fixture f;
  fx_setup(&f);
  char *path = run_copy(&f, name, data, len);
  cr_assert_null(ocr(&f, path));
  cr_assert_str_eq(f.env.err, want);
  free(path);
  fx_teardown(&f);
}

Test(executors_tesseract, an_empty_file_is_said_to_be_empty) {
  expect_refused("empty.png", "", 0, "empty.png is empty");
}

/* A PNG whose header says 30000 x 30000 pixels is refused from its header, never decoded: the
 * limit libvips keeps to (100 megapixels). */
Test(executors_tesseract, a_picture_over_the_pixel_limit_is_refused_before_decoding) {
  expect_refused("huge.png", bt_huge_png, bt_huge_png_len,
                 "huge.png is 30000x30000 pixels, over 100 megapixels");
}

/* A PNG whose header says 0 pixels wide is refused naming it, and leptonica prints nothing to
 * stderr ("Error in readHeaderMemPng: invalid w or h"): the library never prints. */
Test(executors_tesseract, a_damaged_header_is_refused_without_leptonica_printing) {
  fixture f;
  fx_setup(&f);
  static const unsigned char flat[] =
      "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x00"
      "\x00\x00\x75\x30\x01\x00\x00\x00\x00\x4e\x5c\xc5\x17\x00\x00\x00\x00\x49\x45\x4e"
      "\x44\xae\x42\x60\x82";
  char *path = run_copy(&f, "flat.png", flat, sizeof flat - 1);
  char *log = baton__path_join(f.dir, "stderr.txt");
  fflush(stderr);
  int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert(saved >= 0 && fd >= 0 && dup2(fd, 2) == 2);
  close(fd);
  char *out = ocr(&f, path);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  cr_assert_null(out);
  cr_assert_str_eq(f.env.err, "cannot decode flat.png as an image: its PNG header is damaged");
  char *said = bt_slurp(log, NULL);
  cr_assert(said && !said[0], "printed to stderr: %s", said ? said : "(unreadable)");
  free(said);
  free(log);
  free(path);
  fx_teardown(&f);
}

/* A file that cannot be opened (a write-only sysfs file: even root cannot read it) is refused
 * with the reason. */
Test(executors_tesseract, an_unreadable_image_is_refused_with_the_reason) {
  const char *wo = "/sys/bus/pci/rescan";
  FILE *fp = fopen(wo, "rb");
  if (fp || access(wo, F_OK) != 0) {
    if (fp)
      fclose(fp);
    cr_skip_test("%s is not here as an unreadable file", wo);
  }
  fixture f;
  fx_setup(&f);
  cr_assert_null(ocr(&f, wo));
  cr_assert_str_eq(f.env.err, "cannot read the image /sys/bus/pci/rescan: Permission denied");
  fx_teardown(&f);
}

Test(executors_tesseract, refuses_images_over_the_input_limit) {
  fixture f;
  fx_setup(&f);
  char *png = render(&f, "Too big.", "big.png");
  f.cfg.max_input_bytes = 100;
  char *text = ocr(&f, png);
  cr_assert_null(text);
  cr_assert(strstr(f.env.err, "over the limit of 100"),
            "unclear error: %s", f.env.err);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, a_cancelled_task_does_not_run) {
  fixture f;
  fx_setup(&f);
  char *png = render(&f, "Never read.", "c.png");
  atomic_store(&f.cancel, 1);
  char *text = ocr(&f, png);
  cr_assert_null(text);
  cr_assert(strstr(f.env.err, "cancel"), "unclear error: %s", f.env.err);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, a_task_past_its_timeout_is_stopped) {
  fixture f;
  fx_setup(&f);
  char *png = render(&f, "Please return all borrowed books to the front desk before closing time.",
                     "slow.png");
  f.env.timeout_ms = 1;
  char *text = ocr(&f, png);
  cr_assert_null(text, "OCR finished within 1 ms: %s", text ? text : "");
  cr_assert(strstr(f.env.err, "ran past 1 ms"), "unclear error: %s", f.env.err);
  /* The instance is still usable afterwards. */
  f.env.timeout_ms = 0;
  text = ocr(&f, png);
  cr_assert_not_null(text, "OCR failed after a timeout: %s", f.env.err);
  free(text);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, reads_the_example_sign) {
  char *sign = bt_source_path("examples/sign.png");
  if (!baton__file_exists(sign)) {
    free(sign);
    cr_skip_test("examples/sign.png is absent (run scripts/make-example.sh)");
  }
  fixture f;
  fx_setup(&f);
  char *text = ocr(&f, sign);
  cr_assert_not_null(text, "OCR failed: %s", f.env.err);
  lower(text);
  cr_assert(strstr(text, "library") && strstr(text, "monday"), "unexpected text: %s", text);
  free(text);
  free(sign);
  fx_teardown(&f);
}

#define FRENCH "Le garçon a mangé une crème brûlée très sucrée à côté de la forêt."

Test(executors_tesseract, reads_french_accents_when_french_is_asked_for) {
  fixture f;
  fx_setup(&f);
  need_lang("fra");
  char *png = render(&f, FRENCH, "fr.png");
  char *lang = NULL;
  char *text = ocr_lang(&f, png, "French", &lang);
  cr_assert_not_null(text, "OCR failed: %s", f.env.err);
  cr_assert(strstr(text, "garçon") && strstr(text, "crème brûlée") && strstr(text, "côté") &&
                strstr(text, "forêt"),
            "accents misread: %s", text);
  cr_assert_str_eq(lang, "fra (asked for)");
  free(text);
  free(lang);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, detects_french_from_a_first_pass_and_reads_it_again) {
  fixture f;
  fx_setup(&f);
  need_lang("fra");
  char *png = render(&f, FRENCH, "fr.png");
  char *lang = NULL;
  char *text = ocr_lang(&f, png, NULL, &lang);
  cr_assert_not_null(text, "OCR failed: %s", f.env.err);
  cr_assert(strstr(text, "crème brûlée") && strstr(text, "forêt"), "accents misread: %s", text);
  cr_assert_str_eq(lang, "fra (detected: a first pass read French)");
  free(text);
  free(lang);
  free(png);
  fx_teardown(&f);
}

Test(executors_tesseract, a_language_not_installed_is_refused_naming_the_installed_ones) {
  fixture f;
  fx_setup(&f);
  char *png = render(&f, "Hello", "hello.png");
  char *lang = NULL;
  cr_assert_null(ocr_lang(&f, png, "Klingon", &lang));
  cr_assert(strstr(f.env.err, "cannot read 'Klingon'") && strstr(f.env.err, "languages: ") &&
                strstr(f.env.err, "eng"),
            "unclear error: %s", f.env.err);
  free(png);
  fx_teardown(&f);
}

#else
Test(executors_tesseract, not_built) { cr_skip_test("built without libtesseract"); }
#endif
