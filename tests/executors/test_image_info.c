/* test_image_info.c — image-information: a picture's size, format, bands, depth, DPI, pages and bytes from its header, on pictures libvips writes for it and BMPs and TIFFs written byte by byte; refusals; a request planned and run offline. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_VIPS)

#include <cjson/cJSON.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "baton.h"
#include "executors/bmp_header.h"
#include "executors/tiff_header.h"

static char *dir;
static void *state;

static void setup(void) {
  char err[512] = "";
  cr_assert_eq(baton__executor_vips.init(NULL, &state, err, sizeof err), 0, "%s", err);
  dir = bt_tmpdir();
}

static void teardown(void) {
  baton__executor_vips.release(state);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(executors_image_info, .init = setup, .fini = teardown, .timeout = 60);

/* What a picture is written as: its size, bands, band format, what they hold, pixels per mm
 * (0: none said), pages stacked one above another (0: one), and the saver's options. */
typedef struct pic {
  int w, h, bands;
  VipsBandFormat fmt;
  VipsInterpretation interp;
  double res;
  int pages;
  const char *opts;
} pic;

/* Writes a picture of p at dir/rel, its pixels a ramp; its path (caller frees). */
static char *write_picture(const char *rel, pic p) {
  char *path = baton__path_join(dir, rel);
  int pages = p.pages ? p.pages : 1;
  VipsImage *x = NULL, *b = NULL, *c = NULL, *d = NULL, *out = NULL;
  cr_assert_eq(vips_xyz(&x, p.w, p.h * pages, NULL), 0);
  cr_assert_eq(vips_extract_band(x, &b, 0, "n", 1, NULL), 0);
  VipsImage *all[8] = {b, b, b, b, b, b, b, b};
  cr_assert_eq(vips_bandjoin(all, &c, p.bands, NULL), 0);
  cr_assert_eq(vips_cast(c, &d, p.fmt, NULL), 0);
  cr_assert_eq(vips_copy(d, &out, "interpretation", p.interp, "xres",
                         p.res > 0 ? p.res : 1.0, "yres", p.res > 0 ? p.res : 1.0, NULL), 0);
  if (p.pages)
    vips_image_set_int(out, "page-height", p.h);
  char target[1200];
  baton__fmt(target, sizeof target, "%s%s", path, p.opts ? p.opts : "");
  cr_assert_eq(vips_image_write_to_file(out, target, NULL), 0, "%s: %s", target,
               vips_error_buffer());
  VipsImage *made[] = {x, b, c, d, out};
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
    g_object_unref(made[i]);
  return path;
}

/* Runs image-information on path: 0 with its text and json, or -1 with err. */
static int info(const char *path, char **text, cJSON **json, char *err, size_t errlen) {
  baton__values in = {0}, out = {0};
  cr_assert_eq(baton__values_add(&in, "image", BATON__T_IMAGE, path), 0);
  baton__exec_env env = {.workspace = dir, .file_prefix = "task0"};
  int rc = baton__executor_vips.run(state, "image-information", &in, &env, &out);
  const baton__value *t = baton__values_get(&out, "text"), *j = baton__values_get(&out, "json");
  *text = rc == 0 && t ? baton__strdup(t->data) : NULL;
  *json = rc == 0 && j ? cJSON_Parse(j->data) : NULL;
  baton__fmt(err, errlen, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return rc;
}

/* The sentence image-information says of path, which must be `said` and then its size in bytes
 * grouped by thousands; its JSON into *json (caller deletes). */
static void says(const char *path, const char *said, const char *bytes, cJSON **json) {
  char *text, err[400], want[600];
  cr_assert_eq(info(path, &text, json, err, sizeof err), 0, "%s", err);
  baton__fmt(want, sizeof want, "%s, %s bytes.", said, bytes);
  cr_assert_str_eq(text, want);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq((long long)cJSON_GetObjectItem(*json, "bytes")->valuedouble, (long long)st.st_size);
  free(text);
}

/* A file's size grouped by thousands, as the sentence says it. */
static const char *grouped_size(const char *path, char *out, size_t cap) {
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  char d[32];
  baton__fmt(d, sizeof d, "%lld", (long long)st.st_size);
  size_t n = strlen(d), k = 0;
  for (size_t i = 0; i < n && k + 2 < cap; i++) {
    if (i && (n - i) % 3 == 0)
      out[k++] = ',';
    out[k++] = d[i];
  }
  out[k] = '\0';
  return out;
}

/* says() of a picture whose JSON is looked at no further. */
static void says_only(const char *path, const char *said) {
  char b[40];
  cJSON *j;
  says(path, said, grouped_size(path, b, sizeof b), &j);
  cJSON_Delete(j);
}

static int jint(const cJSON *j, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(j, key);
  cr_assert(cJSON_IsNumber(v), "no %s", key);
  return v->valueint;
}

Test(executors_image_info, says_a_jpegs_size_bands_depth_and_dpi) {
  cr_assert_str_eq(baton__executor_vips.tasks[2], "image-information");
  char *path = write_picture("photo.jpg", (pic){1024, 768, 3, VIPS_FORMAT_UCHAR,
                                                VIPS_INTERPRETATION_sRGB, 72 / 25.4, 0, NULL});
  char b[40];
  cJSON *j;
  says(path, "photo.jpg is a JPEG picture 1024 x 768 pixels (0.8 megapixels), colour (3 bands, "
             "8 bits each), 72 DPI", grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(jint(j, "width"), 1024);
  cr_assert_eq(jint(j, "height"), 768);
  cr_assert_eq(jint(j, "pixels"), 1024 * 768);
  cr_assert_eq(jint(j, "bands"), 3);
  cr_assert_eq(jint(j, "bits"), 8);
  cr_assert_float_eq(cJSON_GetObjectItem(j, "x_dpi")->valuedouble, 72, 1e-9);
  cr_assert_float_eq(cJSON_GetObjectItem(j, "y_dpi")->valuedouble, 72, 1e-9);
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "format")), "JPEG");
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "colour")), "colour");
  cr_assert_null(cJSON_GetObjectItem(j, "pages"), "a JPEG says no pages");
  cJSON_Delete(j);
  free(path);
}

/* No DPI in the file: none said (libvips' 1 pixel per mm is no DPI); 16 bits and alpha. */
Test(executors_image_info, a_png_without_dpi_says_none_and_its_own_depth) {
  char *path = write_picture("mask.png", (pic){300, 200, 2, VIPS_FORMAT_USHORT,
                                               VIPS_INTERPRETATION_GREY16, 0, 0, NULL});
  char b[40];
  cJSON *j;
  says(path, "mask.png is a PNG picture 300 x 200 pixels (0.1 megapixels), grey with alpha "
             "(2 bands, 16 bits each)", grouped_size(path, b, sizeof b), &j);
  cr_assert_null(cJSON_GetObjectItem(j, "x_dpi"));
  cr_assert_eq(jint(j, "bits"), 16);
  cJSON_Delete(j);
  free(path);
  /* 1 bit a pixel, which libvips reads as 8: the file's own depth; and a palette */
  path = write_picture("bw.png", (pic){40, 30, 1, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_B_W,
                                       300 / 25.4, 0, "[bitdepth=1]"});
  says(path, "bw.png is a PNG picture 40 x 30 pixels, grey (1 band, 1 bit), 300 DPI",
       grouped_size(path, b, sizeof b), &j);
  cJSON_Delete(j);
  free(path);
  path = write_picture("icon.png", (pic){16, 16, 3, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB,
                                         0, 0, "[palette,bitdepth=4]"});
  says(path, "icon.png is a PNG picture 16 x 16 pixels, colour (3 bands, a 4-bit palette)",
       grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(jint(j, "palette_bits"), 4);
  cr_assert_null(cJSON_GetObjectItem(j, "bits"));
  cJSON_Delete(j);
  free(path);
}

Test(executors_image_info, says_webp_alpha_and_the_pages_of_a_tiff_and_frames_of_a_gif) {
  char *path = write_picture("logo.webp", (pic){120, 80, 4, VIPS_FORMAT_UCHAR,
                                                VIPS_INTERPRETATION_sRGB, 0, 0, "[lossless]"});
  says_only(path, "logo.webp is a WebP picture 120 x 80 pixels, colour with alpha (4 bands, 8 "
                  "bits each)");
  free(path);
  char b[40];
  cJSON *j;
  path = write_picture("scan.tif", (pic){100, 50, 1, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_B_W,
                                         200 / 25.4, 3, NULL});
  says(path, "scan.tif is a TIFF picture 100 x 50 pixels, grey (1 band, 8 bits), 200 DPI, "
             "3 pages", grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(jint(j, "pages"), 3);
  cJSON_Delete(j);
  free(path);
  path = write_picture("anim.gif", (pic){64, 48, 3, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB,
                                         0, 4, NULL});
  char *text;
  cr_assert_eq(info(path, &text, &j, b, sizeof b), 0, "%s", b);
  cr_assert(strstr(text, "anim.gif is a GIF picture 64 x 48 pixels") && strstr(text, ", 4 frames"),
            "%s", text);
  free(text);
  cr_assert_eq(jint(j, "pages"), 4);
  cr_assert_eq(jint(j, "height"), 48, "a frame's height");
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "format")), "GIF");
  cJSON_Delete(j);
  free(path);
}

/* Runs image-information on path, which must be refused with an error holding `want`. */
static void refused(const char *path, const char *want) {
  char *text, err[400];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), -1, "%s: %s", path, text);
  cr_assert(strstr(err, want), "%s", err);
  cr_assert_null(text);
}

Test(executors_image_info, a_cut_file_or_one_that_is_no_picture_is_refused_naming_it) {
  char *path = write_picture("cut.png", (pic){300, 200, 3, VIPS_FORMAT_UCHAR,
                                              VIPS_INTERPRETATION_sRGB, 0, 0, NULL});
  cr_assert_eq(truncate(path, 20), 0); /* inside its header */
  refused(path, "cannot decode cut.png as an image");
  free(path);
  path = write_picture("cut.jpg", (pic){300, 200, 3, VIPS_FORMAT_UCHAR,
                                        VIPS_INTERPRETATION_sRGB, 0, 0, NULL});
  cr_assert_eq(truncate(path, 100), 0);
  refused(path, "cannot decode cut.jpg as an image");
  free(path);
  path = baton__path_join(dir, "notes.jpg");
  bt_write(path, "these are words, not a picture");
  refused(path, "cannot decode notes.jpg as an image");
  free(path);
  path = baton__path_join(dir, "empty.png");
  bt_write(path, "");
  refused(path, "empty.png");
  free(path);
}

/* Past the 100 megapixels image-to-image decodes: only its header is read, so it is told. */
Test(executors_image_info, a_picture_past_the_pixel_limit_is_told_from_its_header) {
  char *path = write_picture("huge.png", (pic){20000, 5001, 1, VIPS_FORMAT_UCHAR,
                                               VIPS_INTERPRETATION_B_W, 0, 0, "[bitdepth=1]"});
  says_only(path, "huge.png is a PNG picture 20000 x 5001 pixels (100.0 megapixels), grey "
                  "(1 band, 1 bit)");
  free(path);
}

/* The bytes of the file at path, *n of them (caller frees). */
static unsigned char *slurp(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  cr_assert_not_null(fp, "%s", path);
  unsigned char *b = malloc(1 << 20);
  *n = fread(b, 1, 1 << 20, fp);
  fclose(fp);
  return b;
}

static void spill(const char *path, const unsigned char *b, size_t n) {
  FILE *fp = fopen(path, "wb");
  cr_assert(fp && fwrite(b, 1, n, fp) == n);
  fclose(fp);
}

/* A file that says no resolution: libvips reads it as 72 DPI, which is not the file's. A PNG
 * without its pHYs chunk; a JPEG without JFIF and Exif headers. */
Test(executors_image_info, a_default_of_libvips_is_no_dpi_of_the_file) {
  char *path = write_picture("plain.png", (pic){40, 30, 3, VIPS_FORMAT_UCHAR,
                                                VIPS_INTERPRETATION_sRGB, 300 / 25.4, 0, NULL});
  size_t n, k = 8, m = 8;
  unsigned char *b = slurp(path, &n), *out = malloc(n);
  memcpy(out, b, 8);
  while (k + 12 <= n) { /* every chunk but pHYs */
    size_t len = (size_t)b[k] << 24 | (size_t)b[k + 1] << 16 | (size_t)b[k + 2] << 8 | b[k + 3];
    cr_assert_leq(k + 12 + len, n);
    if (memcmp(b + k + 4, "pHYs", 4) != 0)
      memcpy(out + m, b + k, len + 12), m += len + 12;
    k += len + 12;
  }
  cr_assert_lt(m, n, "the picture had a pHYs chunk to take out");
  spill(path, out, m);
  says_only(path, "plain.png is a PNG picture 40 x 30 pixels, colour (3 bands, 8 bits each)");
  free(b), free(out), free(path);
  path = write_picture("plain.jpg", (pic){40, 30, 3, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB,
                                          300 / 25.4, 0, "[strip]"}); /* no JFIF nor Exif */
  says_only(path, "plain.jpg is a JPEG picture 40 x 30 pixels, colour (3 bands, 8 bits each)");
  free(path);
}

/* A TIFF's own bits, not the byte libvips widens 1, 2 and 4 bits to; BigTIFF too. */
Test(executors_image_info, a_tiff_says_its_own_bits_per_sample) {
  static const struct {
    const char *rel, *opts, *bits;
  } cases[] = {
      {"fax.tif", "[bitdepth=1]", "1 bit"},  {"two.tif", "[bitdepth=2]", "2 bits"},
      {"four.tif", "[bitdepth=4]", "4 bits"}, {"eight.tif", NULL, "8 bits"},
      {"big.tif", "[bigtiff,bitdepth=1]", "1 bit"},
  };
  char said[200];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *path = write_picture(cases[i].rel, (pic){40, 30, 1, VIPS_FORMAT_UCHAR,
                                                   VIPS_INTERPRETATION_B_W, 200 / 25.4, 0,
                                                   cases[i].opts});
    baton__fmt(said, sizeof said, "%s is a TIFF picture 40 x 30 pixels, grey (1 band, %s), "
               "200 DPI", cases[i].rel, cases[i].bits);
    says_only(path, said);
    free(path);
  }
  char *path = write_picture("deep.tif", (pic){40, 30, 3, VIPS_FORMAT_USHORT,
                                               VIPS_INTERPRETATION_RGB16, 0, 0, NULL});
  says_only(path, "deep.tif is a TIFF picture 40 x 30 pixels, colour (3 bands, 16 bits each)");
  free(path);
}

/* A TIFF of 4 x 2 pixels in b, byte order `be` ("MM"), its samples per pixel, Photometric and
 * BitsPerSample (nbps values; a palette of 3 << bps[0] entries when photometric is 3); its
 * size. One strip, uncompressed. */
static size_t tiff_bytes(unsigned char *b, bool be, int spp, int photometric, const int *bps,
                         int nbps) {
  size_t k = 10, ntag = photometric == 3 ? 10 : 9, extra = 10 + ntag * 12 + 4;
  size_t pix = extra + 64, row = (size_t)(4 * spp * bps[nbps - 1] + 7) / 8, cm = pix + row * 2;
  memset(b, 0, 4096);
#define PUT(at, v, n)                                                                   \
  for (int i_ = 0; i_ < (n); i_++)                                                      \
    b[(at) + (be ? (n)-1 - i_ : i_)] = (unsigned char)((unsigned long)(v) >> (8 * i_));
  memcpy(b, be ? "MM\0*" : "II*\0", 4);
  PUT(4, 8, 4);
  PUT(8, ntag, 2);
  const unsigned long tags[][4] = { /* tag, type, count, value or offset */
      {256, 3, 1, 4}, {257, 3, 1, 2}, {258, 3, (unsigned long)nbps, nbps > 2 ? extra : 0},
      {259, 3, 1, 1}, {262, 3, 1, (unsigned long)photometric}, {273, 4, 1, pix},
      {277, 3, 1, (unsigned long)spp}, {278, 3, 1, 2}, {279, 4, 1, row * 2},
      {320, 3, 3ul << bps[0], cm}};
  for (size_t t = 0; t < ntag; t++, k += 12) {
    PUT(k, tags[t][0], 2);
    PUT(k + 2, tags[t][1], 2);
    PUT(k + 4, tags[t][2], 4);
    if (t == 2 && nbps <= 2)
      for (int i = 0; i < nbps; i++) {
        PUT(k + 8 + 2 * (size_t)i, bps[i], 2);
      }
    else if (tags[t][1] == 3 && tags[t][2] == 1) {
      PUT(k + 8, tags[t][3], 2);
    } else {
      PUT(k + 8, tags[t][3], 4);
    }
  }
  for (int i = 0; i < nbps; i++) {
    PUT(extra + 2 * (size_t)i, bps[i], 2);
  }
  for (size_t i = 0; photometric == 3 && i < (3u << bps[0]); i++) {
    PUT(cm + 2 * i, i * 997, 2);
  }
#undef PUT
  return photometric == 3 ? cm + (6u << bps[0]) : cm;
}

/* A TIFF written here byte by byte: path (caller frees). */
static char *write_tiff(const char *rel, bool be, int spp, int photometric, const int *bps,
                        int nbps) {
  unsigned char b[4096];
  char *path = baton__path_join(dir, rel);
  spill(path, b, tiff_bytes(b, be, spp, photometric, bps, nbps));
  return path;
}

/* Either byte order; a palette TIFF's bits are its palette's; a header whose BitsPerSample
 * holds two different values for one sample (libvips opens it, as 8 bits) says no bits. */
Test(executors_image_info, a_tiffs_bits_in_either_byte_order_of_a_palette_or_none_if_unclear) {
  const int four[] = {4}, one[] = {1}, eight3[] = {8, 8, 8}, two[] = {8, 16};
  char *path = write_tiff("motorola.tif", true, 1, 1, four, 1);
  says_only(path, "motorola.tif is a TIFF picture 4 x 2 pixels, grey (1 band, 4 bits)");
  free(path);
  path = write_tiff("intel.tif", false, 1, 0, one, 1);
  says_only(path, "intel.tif is a TIFF picture 4 x 2 pixels, grey (1 band, 1 bit)");
  free(path);
  path = write_tiff("rgb.tif", true, 3, 2, eight3, 3);
  says_only(path, "rgb.tif is a TIFF picture 4 x 2 pixels, colour (3 bands, 8 bits each)");
  free(path);
  path = write_tiff("palette.tif", false, 1, 3, four, 1);
  char b[40];
  cJSON *j;
  says(path, "palette.tif is a TIFF picture 4 x 2 pixels, colour (3 bands, a 4-bit palette)",
       grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(jint(j, "palette_bits"), 4);
  cr_assert_null(cJSON_GetObjectItem(j, "bits"));
  cJSON_Delete(j), free(path);
  path = write_tiff("unclear.tif", false, 1, 1, two, 2);
  says(path, "unclear.tif is a TIFF picture 4 x 2 pixels, grey (1 band)",
       grouped_size(path, b, sizeof b), &j);
  cr_assert_null(cJSON_GetObjectItem(j, "bits"), "libvips reads 8, the header says 8 and 16");
  cJSON_Delete(j), free(path);
}

/* The header reader alone, on bytes libvips would not open: each says it cannot tell. */
Test(executors_image_info, a_broken_tiff_header_gives_no_bits) {
  const int eight[] = {8}, mixed[] = {8, 8, 16}, zero[] = {0};
  unsigned char b[4096];
  size_t n = tiff_bytes(b, false, 1, 1, eight, 1);
  char *path = baton__path_join(dir, "broken.tif");
  int bits = -5;
  bool palette = true;
  spill(path, b, n);
  cr_assert_eq(baton__tiff_bits(path, &bits, &palette), 0);
  cr_assert(bits == 8 && !palette);
  const struct {
    size_t at;
    unsigned char byte;
    size_t len;
    const char *what;
  } breaks[] = {
      {0, 'X', n, "no byte order"},        {2, 41, n, "not 42"},
      {4, 200, n, "the IFD past the end"}, {4, 0, n, "the IFD at 0"},
      {8, 0, n, "no entries"},             {9, 0x20, n, "8192 entries"},
      {0, 'I', 7, "cut in its header"},    {0, 'I', 40, "cut in its IFD"},
      {36, 1, n, "BitsPerSample as bytes"}, {38, 0, n, "BitsPerSample's count 0"},
      {46, 0x15, n, "SamplesPerPixel twice"}, {2, 43, n, "BigTIFF of a classic's bytes"},
  };
  for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
    unsigned char c[4096];
    memcpy(c, b, n);
    c[breaks[i].at] = breaks[i].byte;
    spill(path, c, breaks[i].len);
    bits = -5;
    cr_assert_eq(baton__tiff_bits(path, &bits, &palette), -1, "%s", breaks[i].what);
    cr_assert_eq(bits, 0, "%s", breaks[i].what);
  }
  spill(path, b, tiff_bytes(b, true, 3, 2, mixed, 3));
  cr_assert_eq(baton__tiff_bits(path, &bits, &palette), -1, "per-sample bits that differ");
  spill(path, b, tiff_bytes(b, true, 1, 1, zero, 1));
  cr_assert_eq(baton__tiff_bits(path, &bits, &palette), -1, "0 bits");
  n = tiff_bytes(b, true, 3, 2, mixed, 3);
  spill(path, b, 122); /* the values of BitsPerSample are past its end */
  cr_assert_eq(baton__tiff_bits(path, &bits, &palette), -1, "cut before its values");
  free(path);
}

/* A BMP as written byte by byte: its DIB header's size (12, 40, 108, 124), width, height
 * (negative: top-down), bits, compression (3: BI_BITFIELDS, 6: BI_ALPHABITFIELDS), pixels per
 * metre, masks (red, green, blue, alpha: after a 40-byte header or in a V4 or V5 one) and
 * ClrUsed; where its pixel data starts (0: after its headers, masks and palette) and its size
 * (0: the headers and all the pixel data it needs). */
typedef struct bmp {
  int header, w, h, bits;
  unsigned long compression, x_ppm, y_ppm, masks[4], colours, offset;
  long long size;
} bmp;

/* The n-byte little-endian v at b. */
static void put_le(unsigned char *b, unsigned long long v, int n) {
  for (int i = 0; i < n; i++)
    b[i] = (unsigned char)(v >> (8 * i));
}

/* Writes the BMP s at dir/rel: its headers and palette (a grey ramp), then its pixel data as
 * zeros (a sparse file); its path (caller frees). */
static char *write_bmp(const char *rel, bmp s) {
  static unsigned char b[14 + 124 + 16 + 4 * 1024];
  memset(b, 0, sizeof b);
  bool core = s.header == 12;
  size_t masks = s.header == 40 ? (s.compression == 3 ? 12 : s.compression == 6 ? 16 : 0) : 0;
  size_t colours = s.bits <= 8 ? (s.colours ? s.colours : 1u << s.bits) : 0, entry = core ? 3 : 4;
  cr_assert_leq(colours, 1024);
  size_t head = 14 + (size_t)s.header + masks + colours * entry;
  unsigned long long h = s.h < 0 ? (unsigned long long)-(long long)s.h : (unsigned long long)s.h;
  unsigned long long row = ((unsigned long long)s.w * (unsigned)s.bits + 31) / 32 * 4;
  unsigned long long full = head + row * h;
  b[0] = 'B', b[1] = 'M';
  put_le(b + 2, full, 4), put_le(b + 10, s.offset ? s.offset : head, 4);
  put_le(b + 14, (unsigned)s.header, 4);
  if (core) {
    put_le(b + 18, (unsigned)s.w, 2), put_le(b + 20, (unsigned)s.h, 2);
    put_le(b + 22, 1, 2), put_le(b + 24, (unsigned)s.bits, 2);
  } else {
    put_le(b + 18, (uint32_t)s.w, 4), put_le(b + 22, (uint32_t)(int32_t)s.h, 4);
    put_le(b + 26, 1, 2), put_le(b + 28, (unsigned)s.bits, 2), put_le(b + 30, s.compression, 4);
    put_le(b + 34, row * h, 4), put_le(b + 38, s.x_ppm, 4), put_le(b + 42, s.y_ppm, 4);
    put_le(b + 46, s.colours, 4);
    for (size_t i = 0; i < 4; i++)
      if (s.header > 40 || i * 4 < masks)
        put_le(b + 54 + 4 * i, s.masks[i], 4);
  }
  for (size_t i = 0; i < colours; i++) /* blue, green, red (, reserved) */
    memset(b + 14 + s.header + masks + i * entry, (int)(i * 255 / (colours > 1 ? colours - 1 : 1)),
           3);
  char *path = baton__path_join(dir, rel);
  spill(path, b, head < full ? head : full);
  cr_assert_eq(truncate(path, s.size ? s.size : (off_t)full), 0, "%s", path);
  return path;
}

/* Each BMP's own depth from its header, not the 3 or 4 bands of 8 bits ImageMagick gives every
 * one: a palette of 1, 4 or 8 bits, 16 bits as 5-5-5 or its masks' 5-6-5, 32 bits with alpha only
 * when a mask says one; top-down; its DPI when it says both; ImageMagick's name for it. */
Test(executors_image_info, a_bmp_says_its_own_depth_and_dpi_from_its_header) {
  static const struct {
    const char *rel;
    bmp s;
    const char *said;
  } cases[] = {
      {"rgb.bmp", {40, 300, 200, 24, 0, 2835, 2835, {0}, 0, 0, 0},
       "a BMP3 picture 300 x 200 pixels (0.1 megapixels), colour (3 bands, 8 bits each), "
       "72.01 DPI"},
      {"grey.bmp", {40, 40, 30, 8, 0, 3780, 3780, {0}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour (3 bands, an 8-bit palette), 96.01 DPI"},
      {"packed.bmp", {40, 40, 30, 8, 1, 0, 0, {0}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour (3 bands, an 8-bit palette)"},
      {"sixteen.bmp", {40, 41, 30, 4, 0, 0, 0, {0}, 12, 0, 0},
       "a BMP3 picture 41 x 30 pixels, colour (3 bands, a 4-bit palette)"},
      {"fax.bmp", {40, 33, 30, 1, 0, 2835, 5670, {0}, 0, 0, 0},
       "a BMP3 picture 33 x 30 pixels, colour (3 bands, a 1-bit palette), 72.01 x 144.02 DPI"},
      {"565.bmp", {40, 40, 30, 16, 3, 0, 0, {0xf800, 0x7e0, 0x1f}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour (3 bands, 5-6-5 bits)"},
      {"555.bmp", {40, 40, 30, 16, 0, 2835, 0, {0}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour (3 bands, 5 bits each)"},
      {"x32.bmp", {40, 40, 30, 32, 0, 0, 0, {0}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour (3 bands, 8 bits each)"},
      {"a32.bmp", {124, 40, 30, 32, 3, 0, 0, {0xff0000, 0xff00, 0xff, 0xff000000u}, 0, 0, 0},
       "a BMP picture 40 x 30 pixels, colour with alpha (4 bands, 8 bits each)"},
      {"v4.bmp", {108, 40, 30, 32, 0, 0, 0, {0}, 0, 0, 0},
       "a BMP picture 40 x 30 pixels, colour (3 bands, 8 bits each)"},
      /* BI_RGB: masks of a V4 or V5 header, alpha's too, are not read (nor by ImageMagick) */
      {"v5rgb.bmp", {124, 40, 30, 32, 0, 0, 0, {0xff0000, 0xff00, 0xff, 0xff000000u}, 0, 0, 0},
       "a BMP picture 40 x 30 pixels, colour (3 bands, 8 bits each)"},
      {"v4rgb16.bmp", {108, 40, 30, 16, 0, 0, 0, {0x7c00, 0x3e0, 0x1f, 0x8000}, 0, 0, 0},
       "a BMP picture 40 x 30 pixels, colour (3 bands, 5 bits each)"},
      {"ce.bmp", {40, 40, 30, 32, 6, 0, 0, {0xff0000, 0xff00, 0xff, 0xff000000u}, 0, 0, 0},
       "a BMP3 picture 40 x 30 pixels, colour with alpha (4 bands, 8 bits each)"},
      {"4444.bmp", {124, 40, 30, 16, 3, 0, 0, {0xf00, 0xf0, 0xf, 0xf000}, 0, 0, 0},
       "a BMP picture 40 x 30 pixels, colour with alpha (4 bands, 4 bits each)"},
      {"topdown.bmp", {40, 40, -20, 24, 0, 0, 0, {0}, 0, 0, 0},
       "a BMP3 picture 40 x 20 pixels, colour (3 bands, 8 bits each)"},
      {"core.bmp", {12, 40, 30, 24, 0, 0, 0, {0}, 0, 0, 0},
       "a BMP2 picture 40 x 30 pixels, colour (3 bands, 8 bits each)"},
      {"core8.bmp", {12, 40, 30, 8, 0, 0, 0, {0}, 0, 0, 0},
       "a BMP2 picture 40 x 30 pixels, colour (3 bands, an 8-bit palette)"},
  };
  char said[300];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *path = write_bmp(cases[i].rel, cases[i].s);
    baton__fmt(said, sizeof said, "%s is %s", cases[i].rel, cases[i].said);
    says_only(path, said);
    free(path);
  }
}

/* The JSON of a BMP's facts: bits each, or each band's when they differ, or a palette's; DPI;
 * no loader, as libvips opened none. */
Test(executors_image_info, a_bmps_json_gives_its_bands_bits_and_dpi) {
  char *path = write_bmp("565.bmp", (bmp){40, 40, 30, 16, 3, 2835, 5670,
                                          .masks = {0xf800, 0x7e0, 0x1f}});
  char b[40];
  cJSON *j;
  says(path, "565.bmp is a BMP3 picture 40 x 30 pixels, colour (3 bands, 5-6-5 bits), 72.01 x "
             "144.02 DPI", grouped_size(path, b, sizeof b), &j);
  const cJSON *each = cJSON_GetObjectItem(j, "band_bits");
  cr_assert_eq(cJSON_GetArraySize(each), 3);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(cJSON_GetArrayItem(each, i)->valueint, i == 1 ? 6 : 5);
  cr_assert_null(cJSON_GetObjectItem(j, "bits"), "no one depth to say");
  cr_assert_null(cJSON_GetObjectItem(j, "loader"));
  cr_assert_float_eq(cJSON_GetObjectItem(j, "x_dpi")->valuedouble, 72.01, 1e-9);
  cr_assert_float_eq(cJSON_GetObjectItem(j, "y_dpi")->valuedouble, 144.02, 1e-9);
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "format")), "BMP3");
  cJSON_Delete(j), free(path);
  path = write_bmp("four.bmp", (bmp){40, 40, 30, 4, .compression = 0});
  says(path, "four.bmp is a BMP3 picture 40 x 30 pixels, colour (3 bands, a 4-bit palette)",
       grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(jint(j, "palette_bits"), 4);
  cr_assert_eq(jint(j, "bands"), 3);
  cr_assert_null(cJSON_GetObjectItem(j, "bits"));
  cr_assert_null(cJSON_GetObjectItem(j, "band_bits"));
  cr_assert_null(cJSON_GetObjectItem(j, "x_dpi"));
  cJSON_Delete(j), free(path);
}

/* A BMP is called what ImageMagick calls it, as it was when libvips read every BMP through it:
 * BMP2 for a 12-byte header, BMP3 for 40 bytes, BMP for a V4's 108 and a V5's 124. */
Test(executors_image_info, a_bmp_is_called_by_imagemagicks_name_for_it) {
  const int headers[] = {12, 40, 108, 124};
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
    char *path = write_bmp("named.bmp", (bmp){headers[i], 6, 2, 24, .compression = 0});
    const char *loader = vips_foreign_find_load(path);
    if (!loader || strcmp(loader, "VipsForeignLoadMagickFile") != 0)
      cr_skip_test("libvips reads no BMP through ImageMagick here (%s)", loader ? loader : "none");
    VipsImage *img = vips_image_new_from_file(path, NULL);
    const char *magick = NULL;
    cr_assert(img && vips_image_get_string(img, "magick-format", &magick) == 0, "%s",
              vips_error_buffer());
    char *text, err[400];
    cJSON *j;
    cr_assert_eq(info(path, &text, &j, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "format")), magick,
                     "a %d-byte header", headers[i]);
    cr_assert_str_eq(magick, headers[i] == 12 ? "BMP2" : headers[i] == 40 ? "BMP3" : "BMP");
    g_object_unref(img), cJSON_Delete(j), free(text), free(path);
  }
}

/* A BMP whose header cannot be right is refused, naming it, without handing it to ImageMagick;
 * one whose header the reader does not read goes to libvips as before, and is refused there. */
Test(executors_image_info, a_broken_bmp_is_refused_naming_it) {
  static const struct {
    const char *rel;
    bmp s;
    const char *want;
  } cases[] = {
      {"wide.bmp", {40, 200000, 1000, 24, .size = 4000},
       "cannot decode wide.bmp as an image: its pixel data, 600000000 bytes from byte 54, runs "
       "past its end (4000 bytes)"},
      {"short.bmp", {40, 300, 200, 24, .size = 54 + 300 * 3 * 200 - 1},
       "cannot decode short.bmp as an image: its pixel data, 180000 bytes from byte 54, runs "
       "past its end (180053 bytes)"},
      {"colours.bmp", {40, 8, 8, 4, .colours = 17},
       "cannot decode colours.bmp as an image: its header says a palette of 17 colours, more "
       "than 4 bits index"},
      {"inside.bmp", {40, 8, 8, 24, .offset = 40},
       "cannot decode inside.bmp as an image: its pixel data starts at byte 40, inside its "
       "headers and palette (54 bytes)"},
      {"cut.bmp", {40, 8, 8, 24, .size = 30}, "cannot decode cut.bmp as an image"},
      {"zero.bmp", {40, 0, 8, 24, .compression = 0}, "cannot decode zero.bmp as an image"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *path = write_bmp(cases[i].rel, cases[i].s);
    refused(path, cases[i].want);
    free(path);
  }
}

/* The reader alone: what it leaves to libvips, what it refuses and what it tells. */
Test(executors_image_info, the_bmp_reader_leaves_what_it_does_not_read_to_libvips) {
  static const struct {
    bmp s;
    baton__bmp_read want;
    const char *what;
  } cases[] = {
      {{40, 8, 8, 24, .size = 30}, BATON__BMP_NOT_READ, "cut in its DIB header"},
      {{40, 8, 8, 16, 3, .size = 60}, BATON__BMP_NOT_READ, "cut in its masks"},
      {{64, 8, 8, 24, .compression = 0}, BATON__BMP_NOT_READ, "an OS/2 header of 64 bytes"},
      {{40, 8, 8, 24, .compression = 4}, BATON__BMP_NOT_READ, "a JPEG inside"},
      {{40, 8, 8, 24, 3, .masks = {0xff0000, 0xff00, 0xff}}, BATON__BMP_NOT_READ, "24 masked"},
      {{40, 8, 8, 2, .compression = 0}, BATON__BMP_NOT_READ, "2 bits"},
      {{40, 8, 8, 4, .compression = 1}, BATON__BMP_NOT_READ, "RLE8 of 4 bits"},
      {{40, 8, -8, 8, .compression = 1}, BATON__BMP_NOT_READ, "compressed top-down"},
      {{40, -8, 8, 24, .size = 300}, BATON__BMP_NOT_READ, "a negative width"},
      {{40, 8, 0, 24, .compression = 0}, BATON__BMP_NOT_READ, "no height"},
      {{40, 8, 8, 16, 3, .masks = {0xf800, 0x7e0, 0x5}}, BATON__BMP_NOT_READ, "a split mask"},
      {{40, 8, 8, 16, 3, .masks = {0xf800, 0xfe0, 0x1f}}, BATON__BMP_NOT_READ, "overlapping"},
      {{40, 8, 8, 16, 3, .masks = {0xf8000, 0x7e0, 0x1f}}, BATON__BMP_NOT_READ, "past 16 bits"},
      {{40, 8, 8, 16, 3, .masks = {0, 0x7e0, 0x1f}}, BATON__BMP_NOT_READ, "no red"},
      {{40, 8, 8, 24, .offset = 4000}, BATON__BMP_BROKEN, "its data past the end"},
      {{40, 8, 8, 8, 1, .offset = 1078, .size = 1079}, BATON__BMP_BROKEN, "RLE cut at once"},
      {{40, 30000, 30000, 1, .size = 2000}, BATON__BMP_BROKEN, "900 megapixels, data cut"},
      {{40, 20000, 6000, 8, 1, .offset = 1078, .size = 1080}, BATON__BMP_TOLD,
       "120 megapixels of RLE: told, as nothing is decoded"},
      {{40, 8, INT32_MIN, 24, .size = 200}, BATON__BMP_BROKEN, "the most negative height"},
      {{40, 8, 8, 8, 1, .offset = 1078, .size = 1080}, BATON__BMP_TOLD, "RLE of its end mark"},
  };
  char *path = baton__path_join(dir, "reader.bmp");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    free(write_bmp("reader.bmp", cases[i].s));
    baton__bmp_facts f;
    char why[200] = "x";
    cr_assert_eq(baton__bmp_header(path, &f, why, sizeof why), cases[i].want, "%s: %s",
                 cases[i].what, why);
    cr_assert_eq(f.width, cases[i].want == BATON__BMP_TOLD ? cases[i].s.w : 0, "%s",
                 cases[i].what);
    cr_assert_eq(!why[0], cases[i].want != BATON__BMP_BROKEN, "%s: %s", cases[i].what, why);
  }
  spill(path, (const unsigned char *)"PK\3\4", 4);
  baton__bmp_facts f;
  char why[200];
  cr_assert_eq(baton__bmp_header(path, &f, why, sizeof why), BATON__BMP_NOT_READ);
  free(path);
}

/* A 4000 x 4000 BMP of 48 MB is told from its header: the process's peak memory grows by far
 * less than its pixels (ImageMagick decoding it took over 300 MB), and no libvips loader said. */
Test(executors_image_info, a_big_bmp_is_told_without_decoding_its_pixels) {
  char *path = write_bmp("warm.bmp", (bmp){40, 8, 8, 24, .compression = 0});
  says_only(path, "warm.bmp is a BMP3 picture 8 x 8 pixels, colour (3 bands, 8 bits each)");
  free(path);
  path = write_bmp("big.bmp", (bmp){40, 4000, 4000, 24, .compression = 0});
  struct rusage before, after;
  cr_assert_eq(getrusage(RUSAGE_SELF, &before), 0);
  char b[40];
  cJSON *j;
  says(path, "big.bmp is a BMP3 picture 4000 x 4000 pixels (16.0 megapixels), colour (3 bands, "
             "8 bits each)", grouped_size(path, b, sizeof b), &j);
  cr_assert_eq(getrusage(RUSAGE_SELF, &after), 0);
  cr_assert_str_eq(b, "48,000,054");
  long grew_kb = after.ru_maxrss - before.ru_maxrss;
  cr_assert_lt(grew_kb, 16 * 1024, "the peak grew %ld KB: its 48 MB of pixels were read", grew_kb);
  cr_assert_null(cJSON_GetObjectItem(j, "loader"), "libvips opened it");
  cJSON_Delete(j), free(path);
}

/* The error of a picture that does not open names it as given, not the run's copy of it. */
Test(executors_image_info, a_refusal_names_the_file_as_given_not_the_runs_copy) {
  char *inputs = baton__path_join(dir, "inputs");
  cr_assert_eq(mkdir(inputs, 0700), 0);
  char *path = baton__path_join(inputs, "t0-image-zero.png");
  bt_write(path, "");
  char *text, err[400];
  cJSON *j;
  cr_assert_eq(info(path, &text, &j, err, sizeof err), -1);
  cr_assert(strstr(err, "zero.png") && !strstr(err, dir) && !strstr(err, "t0-image"), "%s", err);
  free(path), free(inputs);
}

/* "How big is photo.jpg?" planned offline and run: image-information on local/vips-info, the
 * picture named as it was given, not as the run's copy of it. */
Test(executors_image_info, how_big_is_a_picture_plans_and_runs_offline, .timeout = 120) {
  char *home = bt_offline_home();
  char *path = write_picture("photo.jpg", (pic){640, 480, 3, VIPS_FORMAT_UCHAR,
                                                VIPS_INTERPRETATION_sRGB, 96 / 25.4, 0, NULL});
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  baton_request req = {BATON_REQUEST_INIT, .text = "how big is photo.jpg?", .offline = 1,
                       .input_root = dir};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  baton_rc rc = baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(rc, BATON_OK, "%s", baton_run_result_json(run));
  const cJSON *tasks = cJSON_GetObjectItem(res, "tasks"), *t = cJSON_GetArrayItem(tasks, 0);
  cr_assert_eq(cJSON_GetArraySize(tasks), 1, "%s", baton_run_result_json(run));
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "task")), "image-information");
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "model")), "local/vips-info");
  const cJSON *outs = cJSON_GetObjectItem(t, "outputs");
  const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(outs, "text"));
  cr_assert(text && !strncmp(text, "photo.jpg is a JPEG picture 640 x 480 pixels (0.3 megapixels), "
                             "colour (3 bands, 8 bits each), 96 DPI, ", 102), "%s",
            text ? text : baton_run_result_json(run));
  cr_assert_eq(jint(cJSON_GetObjectItem(outs, "json"), "width"), 640);
  cJSON_Delete(res);
  baton_run_free(run);
  baton_close(ctx);
  unsetenv("BATON_HOME");
  bt_rmtree(home);
  free(home);
  free(path);
}

#endif /* BATON_HAVE_VIPS */
