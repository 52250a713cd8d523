/* test_vips.c — the libvips image-to-image executor: grayscale, resize, rotate, flip, crop, invert, brightness, contrast, colourfulness, sepia, joins, chains, errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_VIPS)

#include <vips/vips.h>

static const baton__executor *vp(void) { return &baton__executor_vips; }

static char *g_dir;
static char *g_src; /* 300x200 sRGB: red grows left to right, green top to bottom, blue 128 */
static void *g_state;
static atomic_int g_cancel;
static const char *g_format; /* the format a save_as name asks for, or NULL */

static void make_gradient(const char *path) {
  VipsImage *xy = NULL, *x = NULL, *y = NULL, *r = NULL, *g = NULL, *rg = NULL, *rgb = NULL,
            *u8 = NULL, *out = NULL;
  cr_assert_eq(vips_xyz(&xy, 300, 200, NULL), 0);
  cr_assert_eq(vips_extract_band(xy, &x, 0, NULL), 0);
  cr_assert_eq(vips_extract_band(xy, &y, 1, NULL), 0);
  cr_assert_eq(vips_linear1(x, &r, 255.0 / 299.0, 0.0, NULL), 0);
  cr_assert_eq(vips_linear1(y, &g, 255.0 / 199.0, 0.0, NULL), 0);
  cr_assert_eq(vips_bandjoin2(r, g, &rg, NULL), 0);
  cr_assert_eq(vips_bandjoin_const1(rg, &rgb, 128.0, NULL), 0);
  cr_assert_eq(vips_cast_uchar(rgb, &u8, NULL), 0);
  cr_assert_eq(vips_copy(u8, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
  cr_assert_eq(vips_pngsave(out, path, NULL), 0);
  VipsImage *all[] = {xy, x, y, r, g, rg, rgb, u8, out};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    g_object_unref(all[i]);
}

static void setup(void) {
  char err[512] = "";
  cr_assert_eq(vp()->init(NULL, &g_state, err, sizeof err), 0, "init failed: %s", err);
  g_dir = bt_tmpdir();
  g_src = baton__path_join(g_dir, "gradient.png");
  make_gradient(g_src);
  atomic_init(&g_cancel, 0);
}

static void teardown(void) {
  vp()->release(g_state);
  bt_rmtree(g_dir);
  free(g_dir);
  free(g_src);
}

/* Runs an instruction on pictures[0], with pictures[1..n) as "image2"...; returns the output path,
 * which ends in `suffix` (caller frees), with what was done in `said`; or NULL with the reason in
 * `said`. */
static char *run_on(const char *const *pictures, size_t n, const char *instruction,
                    const char *suffix, char *said, size_t saidlen) {
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  char name[16];
  for (size_t i = 0; i < n; i++) {
    baton__fmt(name, sizeof name, i ? "image%zu" : "image", i + 1);
    cr_assert_eq(baton__values_add(&in, name, BATON__T_IMAGE, pictures[i]), 0);
  }
  cr_assert_eq(baton__values_add(&in, "instruction", 0, instruction), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task1", .cancel = &g_cancel,
                         .file_format = g_format};
  int rc = vp()->run(g_state, "image-to-image", &in, &env, &out);
  char *path = NULL;
  if (rc == 0) {
    const baton__value *v = baton__values_get(&out, "image");
    cr_assert_not_null(v, "no image output");
    cr_assert_eq(v->type, BATON__T_IMAGE);
    cr_assert(baton__has_suffix_ci(v->data, suffix), "%s: wrote %s", instruction, v->data);
    path = baton__strdup(v->data);
    const baton__value *t = baton__values_get(&out, "text");
    cr_assert(t && t->data[0], "no description of what was done");
    baton__fmt(said, saidlen, "%s", t->data);
  } else {
    cr_assert_neq(env.err[0], '\0', "failure without a message");
    baton__fmt(said, saidlen, "%s", env.err);
  }
  baton__values_release(&in);
  baton__values_release(&out);
  return path;
}

static char *transform_as(const char *image, const char *instruction, const char *suffix,
                          char *err, size_t errlen) {
  return run_on(&image, 1, instruction, suffix, err, errlen);
}

static char *transform(const char *image, const char *instruction, char *err, size_t errlen) {
  return transform_as(image, instruction, ".png", err, errlen);
}

static VipsImage *open_png(const char *path) {
  VipsImage *im = vips_image_new_from_file(path, NULL);
  cr_assert_not_null(im, "cannot open %s", path);
  return im;
}

/* Pixel (x, y) band b. */
static double px(VipsImage *im, int x, int y, int b) {
  double *v = NULL;
  int n = 0;
  cr_assert_eq(vips_getpoint(im, &v, &n, x, y, NULL), 0);
  cr_assert_lt(b, n);
  double r = v[b];
  g_free(v);
  return r;
}

Test(executors_vips, is_available_here) {
  char why[512] = "unset";
  cr_assert(vp()->available(NULL, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(vp()->tasks[0], "image-to-image");
}

Test(executors_vips, black_and_white_gives_a_one_band_grey_image, .init = setup,
     .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "make it black and white", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_bands(im), 1);
  cr_assert_eq(vips_image_guess_interpretation(im), VIPS_INTERPRETATION_B_W);
  cr_assert_eq(vips_image_get_width(im), 300);
  g_object_unref(im);
  free(out);
}

Test(executors_vips, resize_to_exact_dimensions, .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "resize to 200x100", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_width(im), 200);
  cr_assert_eq(vips_image_get_height(im), 100);
  g_object_unref(im);
  free(out);
}

Test(executors_vips, scales_by_half_percent_and_twice_as_big_but_not_any_twice, .init = setup,
     .fini = teardown) {
  const char *asks[] = {"make it half size", "scale to 50%", "resize 150 x 100", "half as big",
                        "make it twice as big", "sharpen it twice"};
  for (size_t i = 0; i < 6; i++) {
    char err[512];
    char *out = transform(g_src, asks[i], err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", asks[i], err);
    VipsImage *im = open_png(out);
    int w = i < 4 ? 150 : i == 4 ? 600 : 300, h = i < 4 ? 100 : i == 4 ? 400 : 200; /* not twice */
    cr_assert_eq(vips_image_get_width(im), w, "'%s'", asks[i]);
    cr_assert_eq(vips_image_get_height(im), h, "'%s'", asks[i]);
    g_object_unref(im);
    free(out);
  }
}

Test(executors_vips, rotate_90_swaps_the_sides_clockwise, .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "rotate 90 degrees", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_width(im), 200);
  cr_assert_eq(vips_image_get_height(im), 300);
  /* Clockwise: the source's bottom-left corner (no red, full green) is now top-left. */
  cr_assert_lt(px(im, 0, 0, 0), 10);
  cr_assert_gt(px(im, 0, 0, 1), 245);
  g_object_unref(im);
  free(out);
}

Test(executors_vips, rotate_left_turns_the_other_way, .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "rotate left", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_width(im), 200);
  cr_assert_eq(vips_image_get_height(im), 300);
  /* Anticlockwise: the source's top-right corner (full red, no green) is now top-left. */
  cr_assert_gt(px(im, 0, 0, 0), 245);
  cr_assert_lt(px(im, 0, 0, 1), 10);
  g_object_unref(im);
  free(out);
}

Test(executors_vips, mirror_and_invert_move_and_change_pixels, .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "mirror the picture", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_gt(px(im, 0, 0, 0), 245, "the left edge is not the old right edge");
  g_object_unref(im);
  free(out);
  out = transform(g_src, "invert the colours", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  im = open_png(out);
  cr_assert_eq(px(im, 0, 0, 0), 255);
  cr_assert_eq(px(im, 0, 0, 2), 127);
  g_object_unref(im);
  free(out);
}

Test(executors_vips, crop_blur_sharpen_and_edges_keep_sensible_sizes, .init = setup,
     .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "crop to 100x80", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_width(im), 100);
  cr_assert_eq(vips_image_get_height(im), 80);
  g_object_unref(im);
  free(out);
  static const struct {
    const char *ask;
    int w, h, red, green; /* at the crop's top left: where it was (red x, green y) */
  } parts[] = {{"crop it to a square", 200, 200, 43, 0},
               {"crop to the right half", 150, 200, 128, 0},
               {"crop the bottom half", 300, 100, 0, 128},
               {"crop it to a 100x100 square", 100, 100, 85, 64},
               {"make it square", 200, 200, 43, 0}};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    out = transform(g_src, parts[i].ask, err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", parts[i].ask, err);
    im = open_png(out);
    cr_assert_eq(vips_image_get_width(im), parts[i].w, "'%s'", parts[i].ask);
    cr_assert_eq(vips_image_get_height(im), parts[i].h, "'%s'", parts[i].ask);
    double red = px(im, 0, 0, 0), green = px(im, 0, 0, 1);
    cr_assert(fabs(red - parts[i].red) <= 1 && fabs(green - parts[i].green) <= 1, "'%s': %g,%g",
              parts[i].ask, red, green);
    g_object_unref(im);
    free(out);
  }
  const char *asks[] = {"blur it", "sharpen", "edge detection", "canny edges"};
  for (size_t i = 0; i < 4; i++) {
    out = transform(g_src, asks[i], err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", asks[i], err);
    im = open_png(out);
    cr_assert_eq(vips_image_get_width(im), 300, "'%s'", asks[i]);
    cr_assert_eq(vips_image_get_height(im), 200, "'%s'", asks[i]);
    g_object_unref(im);
    free(out);
  }
}

Test(executors_vips, brighter_and_darker_scale_the_colours_and_clip, .init = setup,
     .fini = teardown) {
  static const struct {
    const char *ask;
    double blue, red_right; /* blue is 128 everywhere; red 255 at the right edge */
  } cases[] = {{"make it brighter", 166, 255}, {"50% brighter please", 192, 255},
               {"darken the photo", 96, 191}, {"make it 10% darker", 115, 230},
               {"increase the brightness by 20%", 154, 255},
               {"lower the brightness", 96, 191},
               {"lower the brightness of sign.png by 10%", 115, 230}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512];
    char *out = transform(g_src, cases[i].ask, err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", cases[i].ask, err);
    VipsImage *im = open_png(out);
    cr_expect_eq(vips_image_get_bands(im), 3, "'%s'", cases[i].ask);
    cr_expect_eq(vips_image_get_format(im), VIPS_FORMAT_UCHAR, "'%s'", cases[i].ask);
    cr_expect_float_eq(px(im, 0, 0, 2), cases[i].blue, 1.0, "'%s': blue", cases[i].ask);
    cr_expect_float_eq(px(im, 299, 0, 0), cases[i].red_right, 1.0, "'%s': red", cases[i].ask);
    g_object_unref(im);
    free(out);
  }
}

static double clip255(double x) { return x < 0 ? 0 : x > 255 ? 255 : x; }

/* v spread from the mean m by f, then scaled by light (light first: m scaled too), each clipped to
 * 0..255 as the 8-bit picture is. */
static double spread(double v, double m, double f, double light, bool light_first) {
  if (light_first)
    return clip255((clip255(v * light) - m * light) * f + m * light);
  return clip255(clip255((v - m) * f + m) * light);
}

Test(executors_vips, more_or_less_contrast_spreads_the_colours_from_their_mean, .init = setup,
     .fini = teardown) {
  VipsImage *src = open_png(g_src);
  double m = 0, red75 = px(src, 75, 0, 0);
  cr_assert_eq(vips_avg(src, &m, NULL), 0);
  g_object_unref(src);
  static const struct {
    const char *ask;
    double f, light; /* the factor around the mean; the brightness's */
    bool light_first;
  } cases[] = {{"increase the contrast", 1.3, 1, false},
               {"lower the contrast", 0.75, 1, false},
               {"less contrast by 50%", 0.5, 1, false},
               {"increase the contrast by 20%", 1.2, 1, false},
               {"increase the contrast and lower the brightness", 1.3, 0.75, false},
               {"lower the brightness, more contrast", 1.3, 0.75, true},
               {"more contrast, darker", 1.3, 0.75, false},
               {"reduce contrast, increase brightness", 0.75, 1.3, false},
               {"make the contrast of gradient.png lower", 0.75, 1, false},
               {"50% more contrast", 1.5, 1, false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512];
    const char *ask = cases[i].ask;
    char *out = transform(g_src, ask, err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", ask, err);
    VipsImage *im = open_png(out);
    double f = cases[i].f, l = cases[i].light;
    bool first = cases[i].light_first;
    cr_expect_eq(vips_image_get_width(im), 300, "'%s': a percentage is no resize", ask);
    cr_expect_float_eq(px(im, 0, 0, 0), spread(0, m, f, l, first), 1.5, "'%s': red left", ask);
    cr_expect_float_eq(px(im, 299, 0, 0), spread(255, m, f, l, first), 1.5, "'%s': red right",
                       ask);
    cr_expect_float_eq(px(im, 75, 0, 0), spread(red75, m, f, l, first), 1.5, "'%s': red", ask);
    cr_expect_float_eq(px(im, 0, 0, 2), spread(128, m, f, l, first), 1.5, "'%s': blue", ask);
    g_object_unref(im);
    free(out);
  }
  char err[512];
  cr_expect_null(transform(g_src, "increase the contrast by 2000%", err, sizeof err));
  cr_expect(strstr(err, "2000% is out of range"), "%s", err);
}

/* How far apart a pixel's channels are: 0 for a grey, more the more colourful it is. */
static double spread_of_channels(VipsImage *im, int x, int y) {
  double lo = 255, hi = 0;
  for (int b = 0; b < 3; b++)
    lo = fmin(lo, px(im, x, y, b)), hi = fmax(hi, px(im, x, y, b));
  return hi - lo;
}

Test(executors_vips, more_or_less_colourful_scales_the_colour_not_the_size, .init = setup,
     .fini = teardown) {
  VipsImage *src = open_png(g_src);
  double before = spread_of_channels(src, 250, 40); /* red 213, green 41, blue 128 */
  g_object_unref(src);
  static const struct {
    const char *ask;
    bool more;
  } cases[] = {{"make it more colorful", true},  {"more vivid", true},
               {"30% more saturation", true},    {"make it less colourful", false},
               {"reduce the saturation", false}, {"less vibrant by 50%", false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512];
    char *out = transform(g_src, cases[i].ask, err, sizeof err);
    cr_assert_not_null(out, "'%s': %s", cases[i].ask, err);
    VipsImage *im = open_png(out);
    double after = spread_of_channels(im, 250, 40);
    cr_expect_eq(vips_image_get_width(im), 300, "'%s': a percentage is no resize", cases[i].ask);
    cr_expect_eq(vips_image_get_bands(im), 3, "'%s'", cases[i].ask);
    cr_expect(cases[i].more ? after > before + 10 : after < before - 10, "'%s': %.0f -> %.0f",
              cases[i].ask, before, after);
    g_object_unref(im);
    free(out);
  }
}

Test(executors_vips, operations_chain_in_the_order_asked, .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "convert to grayscale, then rotate 90 and resize to 50x75", err,
                        sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_bands(im), 1);
  cr_assert_eq(vips_image_get_width(im), 50);
  cr_assert_eq(vips_image_get_height(im), 75);
  g_object_unref(im);
  free(out);
}

/* Edits src with the words (and a save_as name's format, or NULL), checks the result is read back
 * by the loader asked for, and returns it opened; *out is the file written (malloc'd). */
static VipsImage *edit_loaded_by(const char *src, const char *instruction, const char *format,
                                 const char *suffix, const char *loader, char **out) {
  char err[512];
  g_format = format;
  *out = transform_as(src, instruction, suffix, err, sizeof err);
  g_format = NULL;
  cr_assert_not_null(*out, "%s: %s", instruction, err);
  VipsImage *im = open_png(*out);
  const char *got = NULL;
  cr_assert_eq(vips_image_get_string(im, "vips-loader", &got), 0);
  cr_assert_str_eq(got, loader, "%s", instruction);
  return im;
}

Test(executors_vips, saves_in_the_format_asked_for, .init = setup, .fini = teardown) {
  static const struct {
    const char *instruction, *format, *suffix, *loader; /* format: a save_as name's */
    int bands;
  } cases[] = {
      /* "gradient.png" names the input, not the format */
      {"convert gradient.png to jpg", NULL, ".jpg", "jpegload", 3},
      {"save it as a JPEG", NULL, ".jpg", "jpegload", 3},
      {"turn it into webp", NULL, ".webp", "webpload", 3},
      {"make it black and white and save it as TIFF", NULL, ".tif", "tiffload", 1},
      {"convert to gif", NULL, ".gif", "gifload", 0},
      /* "... and save it as bw.jpeg": the name's format wins, and alone is a conversion */
      {"make it black and white and save it as TIFF", "jpeg", ".jpg", "jpegload", 1},
      {"convert gradient.png", "webp", ".webp", "webpload", 3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = NULL;
    VipsImage *im = edit_loaded_by(g_src, cases[i].instruction, cases[i].format, cases[i].suffix,
                                   cases[i].loader, &out);
    cr_assert_eq(vips_image_get_width(im), 300);
    cr_assert_eq(vips_image_get_height(im), 200);
    if (cases[i].bands)
      cr_assert_eq(vips_image_get_bands(im), cases[i].bands, "%s", cases[i].instruction);
    g_object_unref(im);
    remove(out);
    free(out);
  }
}

/* An edited picture keeps the format it came in ("make baboon.jpg smaller": a JPEG) unless the
 * words or the save_as name ask for another; a format baton does not write (BMP) gives PNG. */
Test(executors_vips, keeps_the_format_of_the_picture_edited, .init = setup, .fini = teardown) {
  VipsImage *src = open_png(g_src);
  char *jpg = baton__path_join(g_dir, "photo.jpg"), *webp = baton__path_join(g_dir, "art.webp");
  cr_assert_eq(vips_jpegsave(src, jpg, NULL), 0);
  cr_assert_eq(vips_webpsave(src, webp, NULL), 0);
  g_object_unref(src);
  static const struct {
    int in; /* 0: photo.jpg, 1: art.webp */
    const char *instruction, *format, *suffix, *loader;
  } cases[] = {
      {0, "make photo.jpg smaller", NULL, ".jpg", "jpegload"},
      {0, "make it black and white", NULL, ".jpg", "jpegload"},
      {1, "rotate it 90 degrees", NULL, ".webp", "webpload"},
      {0, "make it smaller and save it as png", NULL, ".png", "pngload"},
      {0, "make photo.jpg smaller", "png", ".png", "pngload"}, /* save as small.png */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = NULL;
    VipsImage *im = edit_loaded_by(cases[i].in ? webp : jpg, cases[i].instruction, cases[i].format,
                                   cases[i].suffix, cases[i].loader, &out);
    g_object_unref(im);
    remove(out);
    free(out);
  }
  free(jpg), free(webp);
}

Test(executors_vips, plural_cues_and_sideways_ask_for_their_operation, .init = setup,
     .fini = teardown) {
  static const struct {
    const char *instruction;
    int w, h; /* of the 300x200 picture */
  } cases[] = {
      {"make thumbnails of gradient.png and street.jpg", 128, 85},
      {"crop them to squares", 200, 200},
      {"turn gradient.png sideways", 200, 300},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[512];
    char *out = transform(g_src, cases[i].instruction, err, sizeof err);
    cr_assert_not_null(out, "%s: %s", cases[i].instruction, err);
    VipsImage *im = open_png(out);
    cr_assert(vips_image_get_width(im) == cases[i].w && vips_image_get_height(im) == cases[i].h,
              "%s: %dx%d", cases[i].instruction, vips_image_get_width(im),
              vips_image_get_height(im));
    g_object_unref(im);
    free(out);
  }
}

Test(executors_vips, vintage_is_sepia_and_warmer_or_cooler_shift_red_against_blue,
     .init = setup, .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "give it a vintage look", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert(strstr(err, "sepia"), "%s", err);
  free(out);
  static const struct {
    const char *instruction;
    double red, blue; /* scales of (150, 100): red about 128, blue 128 */
  } cases[] = {{"make it warmer", 1.12, 0.88}, {"make the photo cooler", 0.88, 1.12}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_not_null(out = transform(g_src, cases[i].instruction, err, sizeof err), "%s: %s",
                       cases[i].instruction, err);
    VipsImage *im = open_png(out);
    double r = px(im, 150, 100, 0), g = px(im, 150, 100, 1), b = px(im, 150, 100, 2);
    cr_assert(fabs(r - 128 * cases[i].red) < 3 && fabs(g - 128) < 3 &&
              fabs(b - 128 * cases[i].blue) < 3, "%s: (150, 100) is (%g, %g, %g)",
              cases[i].instruction, r, g, b);
    g_object_unref(im);
    free(out);
  }
}

Test(executors_vips, compress_saves_a_smaller_jpeg_and_says_its_quality, .init = setup,
     .fini = teardown) {
  VipsImage *noise = NULL, *u8 = NULL; /* detail a lower quality drops: a smooth one has none */
  cr_assert_eq(vips_gaussnoise(&noise, 200, 200, "mean", 128.0, "sigma", 40.0, NULL), 0);
  cr_assert_eq(vips_cast_uchar(noise, &u8, NULL), 0);
  char *src = baton__path_join(g_dir, "noise.png"), err[512];
  cr_assert_eq(vips_pngsave(u8, src, NULL), 0);
  g_object_unref(noise), g_object_unref(u8);
  size_t n_best = 0, n_small = 0;
  char *a = NULL, *b = NULL, why[256];
  char *best = transform_as(src, "convert it to jpg", ".jpg", err, sizeof err);
  cr_assert_not_null(best, "%s", err);
  cr_assert_eq(baton__read_file(best, 1u << 24, &a, &n_best, why, sizeof why), 0, "%s", why);
  char *small = transform_as(src, "compress noise.png", ".jpg", err, sizeof err); /* same name */
  cr_assert_not_null(small, "%s", err);
  cr_assert(strstr(err, "quality 60"), "the description does not say the quality: %s", err);
  cr_assert_eq(baton__read_file(small, 1u << 24, &b, &n_small, why, sizeof why), 0, "%s", why);
  cr_assert_lt(n_small, n_best, "compressed %zu bytes, not under %zu", n_small, n_best);
  free(a), free(b), free(best), free(small), free(src);
}

Test(executors_vips, refuses_a_save_as_format_it_cannot_write, .init = setup, .fini = teardown) {
  const char *asked[] = {"bmp", "xyz"};
  const char *names[] = {"BMP", "XYZ"};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    char err[512];
    g_format = asked[i];
    char *out = transform_as(g_src, "convert to gif", ".gif", err, sizeof err);
    g_format = NULL;
    cr_assert_null(out, "%s: wrote %s", asked[i], out);
    char want[64];
    snprintf(want, sizeof want, "cannot write a picture as %s", names[i]);
    cr_assert(strstr(err, want) && strstr(err, "PNG") && strstr(err, "GIF"), "%s", err);
    char *gif = baton__path_join(g_dir, "task1.gif");
    cr_assert(!baton__file_exists(gif), "%s: a GIF was written instead", asked[i]);
    free(gif);
  }
}

Test(executors_vips, sepia_mixes_the_bands_into_warm_tones_and_keeps_alpha, .init = setup,
     .fini = teardown) {
  char err[512];
  char *out = transform(g_src, "give it a sepia look", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_bands(im), 3);
  /* (150, 100) is about (128, 128, 128): 0.393+0.769+0.189 of it red, and so on */
  double r = px(im, 150, 100, 0), g = px(im, 150, 100, 1), b = px(im, 150, 100, 2);
  cr_assert(r > 170 && r < 176 && g > 151 && g < 157 && b > 117 && b < 123,
            "(150, 100) is (%g, %g, %g), not about (173, 154, 120)", r, g, b);
  cr_assert_eq(px(im, 299, 199, 0), 255, "bright red is not clipped at 255");
  g_object_unref(im);
  free(out);
  VipsImage *grey = NULL, *ga = NULL;
  cr_assert_eq(vips_black(&grey, 20, 10, "bands", 2, NULL), 0); /* grey and alpha: 0 */
  cr_assert_eq(vips_linear1(grey, &ga, 1.0, 200.0, NULL), 0);
  char *src = baton__path_join(g_dir, "grey.png");
  VipsImage *u8 = NULL, *tagged = NULL;
  cr_assert_eq(vips_cast_uchar(ga, &u8, NULL), 0);
  cr_assert_eq(vips_copy(u8, &tagged, "interpretation", VIPS_INTERPRETATION_B_W, NULL), 0);
  cr_assert_eq(vips_pngsave(tagged, src, NULL), 0);
  out = transform(src, "sepia", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  im = open_png(out);
  cr_assert_eq(vips_image_get_bands(im), 4, "grey and alpha did not become colour and alpha");
  cr_assert(px(im, 5, 5, 0) > px(im, 5, 5, 2) && px(im, 5, 5, 3) == 200, "not warm, or alpha lost");
  VipsImage *all[] = {im, grey, ga, u8, tagged};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    g_object_unref(all[i]);
  free(out);
  free(src);
}

Test(executors_vips, a_transparent_picture_goes_onto_white_in_a_jpeg, .init = setup,
     .fini = teardown) {
  VipsImage *clear = NULL, *rgba = NULL;
  cr_assert_eq(vips_black(&clear, 40, 30, "bands", 4, NULL), 0); /* alpha 0 everywhere */
  cr_assert_eq(vips_copy(clear, &rgba, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
  char *src = baton__path_join(g_dir, "clear.png");
  cr_assert_eq(vips_pngsave(rgba, src, NULL), 0);
  g_object_unref(rgba);
  g_object_unref(clear);
  char err[512];
  char *out = transform_as(src, "convert clear.png to jpg", ".jpg", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_bands(im), 3);
  cr_assert_gt(px(im, 20, 15, 0), 250, "transparent went to %g, not white", px(im, 20, 15, 0));
  g_object_unref(im);
  free(out);
  free(src);
}

Test(executors_vips, an_unknown_instruction_lists_what_it_can_do, .init = setup,
     .fini = teardown) {
  char err[512];
  cr_assert_null(transform(g_src, "add a hat to the cat", err, sizeof err));
  cr_assert(strstr(err, "grayscale") && strstr(err, "resize") && strstr(err, "rotate") &&
                strstr(err, "crop"),
            "the error does not list the operations: %s", err);
  char *png = baton__path_join(g_dir, "task1.png");
  cr_assert_not(baton__file_exists(png), "a file was written for a refused instruction");
  free(png);
  cr_assert_null(transform(g_src, "resize it", err, sizeof err));
  cr_assert(strstr(err, "200x100"), "unclear error: %s", err);
}

/* Saves a w x h picture of `bands` bands (colour, or grey and alpha with 2), every band `level`
 * (alpha `alpha`), as dir/name; the path (caller frees). */
static char *save_flat(const char *name, int w, int h, int bands, double level, double alpha) {
  VipsImage *black = NULL, *lit = NULL, *u8 = NULL, *tagged = NULL;
  double a[4] = {level, level, level, level}, b[4] = {0, 0, 0, 0};
  if (bands == 2)
    a[1] = alpha;
  cr_assert_eq(vips_black(&black, w, h, "bands", bands, NULL), 0);
  cr_assert_eq(vips_linear(black, &lit, b, a, bands, NULL), 0); /* 0 * 0 + level */
  cr_assert_eq(vips_cast_uchar(lit, &u8, NULL), 0);
  cr_assert_eq(vips_copy(u8, &tagged, "interpretation",
                         bands < 3 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL), 0);
  char *path = baton__path_join(g_dir, name);
  cr_assert_eq(vips_pngsave(tagged, path, "compression", 1, NULL), 0);
  VipsImage *all[] = {black, lit, u8, tagged};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    g_object_unref(all[i]);
  return path;
}

static char *join(const char *const *pictures, size_t n, const char *instruction, char *said,
                  size_t saidlen) {
  return run_on(pictures, n, instruction, ".png", said, saidlen);
}

Test(executors_vips, joins_pictures_side_by_side_at_the_smallest_height_with_alpha, .init = setup,
     .fini = teardown) {
  char *grey = save_flat("grey.png", 150, 100, 2, 200, 120); /* grey and alpha */
  const char *const pics[] = {g_src, grey};
  char said[512];
  char *out = join(pics, 2, "stitch them together into a panorama", said, sizeof said);
  cr_assert_not_null(out, "%s", said);
  VipsImage *im = open_png(out);
  /* the 300x200 gradient is halved to 100 high: 150 + 150 wide; colour and alpha */
  cr_assert_eq(vips_image_get_width(im), 300);
  cr_assert_eq(vips_image_get_height(im), 100);
  cr_assert_eq(vips_image_get_bands(im), 4);
  cr_assert(px(im, 149, 99, 0) > 240 && px(im, 149, 99, 3) == 255, "the gradient is not left");
  cr_assert(px(im, 225, 50, 0) == 200 && px(im, 225, 50, 2) == 200 && px(im, 225, 50, 3) == 120,
            "the grey picture is not right: (%g, %g, %g, %g)", px(im, 225, 50, 0),
            px(im, 225, 50, 1), px(im, 225, 50, 2), px(im, 225, 50, 3));
  cr_assert(strstr(said, "joined 2 pictures side by side, each 100 px high"), "%s", said);
  g_object_unref(im);
  free(out);
  free(grey);
}

Test(executors_vips, joins_pictures_one_above_another_or_in_a_grid_then_applies_the_rest,
     .init = setup, .fini = teardown) {
  char *a = save_flat("a.png", 60, 40, 3, 10, 0), *b = save_flat("b.png", 120, 30, 3, 90, 0);
  char *c = save_flat("c.png", 60, 60, 3, 250, 0);
  const char *const pics[] = {a, b, c};
  char said[512];
  char *out = join(pics, 2, "stack a.png and b.png vertically", said, sizeof said);
  cr_assert_not_null(out, "%s", said);
  VipsImage *im = open_png(out); /* b halved to the width of a: 60x15 under 60x40 */
  cr_assert_eq(vips_image_get_width(im), 60);
  cr_assert_eq(vips_image_get_height(im), 55);
  cr_assert(px(im, 30, 20, 0) == 10 && px(im, 30, 50, 0) == 90, "not a above b");
  g_object_unref(im);
  free(out);
  out = join(pics, 3, "make a collage of all three in black and white", said, sizeof said);
  cr_assert_not_null(out, "%s", said);
  im = open_png(out); /* each 30 high (b's height); two across, two rows; cells 120 wide (b's) */
  cr_assert_eq(vips_image_get_width(im), 240, "%d wide", vips_image_get_width(im));
  cr_assert_eq(vips_image_get_height(im), 60, "%d high", vips_image_get_height(im));
  cr_assert_eq(vips_image_get_bands(im), 1, "the grayscale asked after the join was not done");
  double mid = px(im, 60, 45, 0), gap = px(im, 5, 45, 0); /* c (30x30) centred in row two */
  cr_assert(mid > 245 && mid < 253 && gap == 255, "c is not centred in row two: %g, %g", mid, gap);
  cr_assert(strstr(said, "in a grid") && strstr(said, "then grayscale"), "%s", said);
  g_object_unref(im);
  free(out);
  free(a), free(b), free(c);
}

Test(executors_vips, a_join_names_a_missing_picture_and_refuses_one_too_large, .init = setup,
     .fini = teardown) {
  const char *const missing[] = {g_src, "/nonexistent/b.png"};
  char err[512];
  cr_assert_null(join(missing, 2, "combine them", err, sizeof err));
  cr_assert(strstr(err, "/nonexistent/b.png"), "unclear error: %s", err);
  cr_assert_null(join(missing, 1, "stitch it together", err, sizeof err));
  cr_assert(strstr(err, "join pictures"), "one picture: the error does not say: %s", err);
  char *wide = save_flat("wide.png", 20000, 3000, 1, 0, 0); /* 60 megapixels each: 120 joined */
  const char *const two[] = {wide, wide};
  cr_assert_null(join(two, 2, "put them side by side", err, sizeof err));
  cr_assert(strstr(err, "40000x3000") && strstr(err, "megapixels"), "unclear error: %s", err);
  char *png = baton__path_join(g_dir, "task1.png");
  cr_assert_not(baton__file_exists(png), "a file was written for a refused join");
  free(png);
  free(wide);
}

Test(executors_vips, a_missing_or_broken_image_is_named, .init = setup, .fini = teardown) {
  char err[512];
  char *bad = baton__path_join(g_dir, "broken.png");
  bt_write(bad, "this is not a picture");
  cr_assert_null(transform(bad, "grayscale", err, sizeof err));
  cr_assert(strstr(err, "broken.png"), "unclear error: %s", err);
  cr_assert_null(transform("/nonexistent/x.png", "grayscale", err, sizeof err));
  cr_assert(strstr(err, "/nonexistent/x.png"), "unclear error: %s", err);
  free(bad);
}

Test(executors_vips, a_cancelled_task_writes_nothing, .init = setup, .fini = teardown) {
  atomic_store(&g_cancel, 1);
  char err[512];
  cr_assert_null(transform(g_src, "grayscale", err, sizeof err));
  cr_assert(strstr(err, "cancel"), "unclear error: %s", err);
  char *png = baton__path_join(g_dir, "task1.png");
  cr_assert_not(baton__file_exists(png));
  free(png);
}

Test(executors_vips, a_slow_pipeline_stops_at_the_timeout, .init = setup, .fini = teardown) {
  /* A 3000x3000 picture blurred with sigma 60 takes seconds; the limit is 50 ms. */
  char *big = baton__path_join(g_dir, "big.png");
  VipsImage *src = vips_image_new_from_file(g_src, NULL), *up = NULL;
  cr_assert_eq(vips_resize(src, &up, 10.0, NULL), 0);
  cr_assert_eq(vips_pngsave(up, big, "compression", 1, NULL), 0);
  g_object_unref(src);
  g_object_unref(up);
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  baton__values_add(&in, "image", BATON__T_IMAGE, big);
  baton__values_add(&in, "instruction", 0, "blur 60");
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "slow", .timeout_ms = 50};
  int64_t t0 = baton__now_ms();
  int rc = vp()->run(g_state, "image-to-image", &in, &env, &out);
  int64_t took = baton__now_ms() - t0;
  cr_assert_neq(rc, 0, "the blur finished within 50 ms (%lld ms)", (long long)took);
  cr_assert(strstr(env.err, "ran past 50 ms"), "unclear error: %s", env.err);
  /* The whole blur takes 20-30 s here; stopping takes a fraction of a second,
   * seconds under ASan on a loaded machine. */
  cr_assert_lt(took, 10000, "stopping took %lld ms", (long long)took);
  char *png = baton__path_join(g_dir, "slow.png");
  cr_assert_not(baton__file_exists(png), "a partial file was left behind");
  free(png);
  baton__values_release(&in);
  baton__values_release(&out);
  free(big);
}

Test(executors_vips, reads_the_example_sign, .init = setup, .fini = teardown) {
  char *sign = bt_source_path("examples/sign.png");
  char err[512];
  char *out = transform(sign, "rotate 180 and make it 25%", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  VipsImage *im = open_png(out);
  cr_assert_eq(vips_image_get_width(im), 370);
  cr_assert_eq(vips_image_get_height(im), 75);
  g_object_unref(im);
  free(out);
  free(sign);
}

/* The brightest pixel of band 0 in the box x0..x1, y0..y1. */
static double box_max(VipsImage *im, int x0, int y0, int x1, int y1) {
  double m = 0;
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      if (px(im, x, y, 0) > m)
        m = px(im, x, y, 0);
  return m;
}

Test(executors_vips, canny_control_draws_the_edges_of_a_square, .init = setup, .fini = teardown) {
  /* A white square on black: the edge map is bright on its border only. */
  VipsImage *black = NULL, *square = NULL;
  cr_assert_eq(vips_black(&black, 200, 200, NULL), 0);
  cr_assert_eq(vips_copy(black, &square, NULL), 0);
  double white = 255;
  cr_assert_eq(vips_draw_rect(square, &white, 1, 50, 50, 100, 100, "fill", TRUE, NULL), 0);
  char *src = baton__path_join(g_dir, "square.png");
  cr_assert_eq(vips_pngsave(square, src, NULL), 0);
  g_object_unref(black);
  g_object_unref(square);

  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  cr_assert_eq(baton__values_add(&in, "image", BATON__T_IMAGE, src), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task3", .cancel = &g_cancel};
  cr_assert_eq(vp()->run(g_state, "canny-control", &in, &env, &out), 0, "%s", env.err);
  const baton__value *v = baton__values_get(&out, "image");
  cr_assert(v && v->type == BATON__T_IMAGE, "no edge image");
  VipsImage *edges = open_png(v->data);
  cr_assert_eq(vips_image_get_width(edges), 200);
  cr_assert_gt(box_max(edges, 45, 95, 55, 105), 128, "no edge on the square's left side");
  cr_assert_gt(box_max(edges, 145, 95, 155, 105), 128, "no edge on the square's right side");
  cr_assert_lt(box_max(edges, 90, 90, 110, 110), 16, "the inside of the square is not dark");
  cr_assert_lt(box_max(edges, 5, 5, 25, 25), 16, "the background is not dark");
  g_object_unref(edges);
  baton__values_release(&in);
  baton__values_release(&out);
  free(src);
}

#else
Test(executors_vips, not_built) { cr_skip_test("built without libvips"); }
#endif

/* A picture that does not open is named as the user gave it, not as the run's copy of it. */
Test(executors_vips, a_picture_that_does_not_open_is_named_as_given, .init = setup,
     .fini = teardown) {
  char *inputs = baton__path_join(g_dir, "inputs");
  cr_assert_eq(mkdir(inputs, 0700), 0);
  char *path = baton__path_join(inputs, "t0-image-broken.png");
  bt_write(path, "not a picture");
  char err[600];
  cr_assert_null(transform(path, "make it grey", err, sizeof err));
  cr_assert(strstr(err, "cannot decode broken.png") && !strstr(err, inputs), "%s", err);
  free(path), free(inputs);
}
