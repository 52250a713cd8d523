/* image_info.c — a picture's facts from its header (libvips', or a BMP's own): size, format, bands, depth, DPI, pages, bytes. */
#include "executors/image_info.h"

#if defined(BATON_HAVE_VIPS)

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "executors/bmp_header.h"
#include "executors/run_common.h"
#include "executors/tiff_header.h"
#include "core/banned.h"

/* What the header says; 0 or NULL: it does not say. */
typedef struct ii_facts {
  int width, height, bands, bits, palette_bits, pages;
  int band_bits[4]; /* each band's bits when they differ (a BMP's 5-6-5); else bits says them */
  bool paged; /* its format has pages or frames */
  char format[32];
  const char *article, *loader, *colour;
  double x_dpi, y_dpi;
  long long bytes;
} ii_facts;

/* The formats by the loader libvips read them with ("jpegload", "pngload_source"); paged: its
 * "n-pages" counts pages or frames (JPEG 2000's counts resolution levels). */
static const struct {
  const char *loader, *format, *article;
  bool paged;
} ii_formats[] = {
    {"jpeg", "JPEG", "a", false},     {"png", "PNG", "a", false},
    {"webp", "WebP", "a", true},      {"tiff", "TIFF", "a", true},
    {"gif", "GIF", "a", true},        {"heif", "HEIF", "a", true},
    {"jxl", "JPEG XL", "a", false},   {"jp2k", "JPEG 2000", "a", false},
    {"svg", "SVG", "an", false},      {"pdf", "PDF", "a", true},
    {"ppm", "PNM", "a", false},       {"rad", "Radiance", "a", false},
    {"fits", "FITS", "a", false},     {"openexr", "OpenEXR", "an", false},
    {"vips", "VIPS", "a", false},
};

/* The format's name and article from the loader; an AVIF is a HEIF of AV1 pictures. */
static void ii_format(VipsImage *img, ii_facts *f) {
  const char *loader = NULL, *codec = NULL;
  if (vips_image_get_typeof(img, "vips-loader") &&
      vips_image_get_string(img, "vips-loader", &loader) == 0)
    f->loader = loader;
  size_t len = loader && strstr(loader, "load") ? (size_t)(strstr(loader, "load") - loader) : 0;
  f->article = "a";
  for (size_t i = 0; i < sizeof ii_formats / sizeof ii_formats[0]; i++)
    if (len && strlen(ii_formats[i].loader) == len && !strncmp(loader, ii_formats[i].loader, len)) {
      baton__fmt(f->format, sizeof f->format, "%s", ii_formats[i].format);
      f->article = ii_formats[i].article, f->paged = ii_formats[i].paged;
    }
  const char *magick = NULL; /* read through ImageMagick (a BMP): the format it names */
  if (!f->format[0] && vips_image_get_typeof(img, "magick-format") &&
      vips_image_get_string(img, "magick-format", &magick) == 0 && magick[0])
    loader = magick, len = strlen(magick);
  if (!f->format[0]) /* a loader not in the table: its name, "foo" of "fooload", in capitals */
    for (size_t i = 0; i < len && i + 1 < sizeof f->format; i++)
      f->format[i] = (char)toupper((unsigned char)loader[i]), f->format[i + 1] = '\0';
  if (!strcmp(f->format, "HEIF") && vips_image_get_typeof(img, "heif-compression") &&
      vips_image_get_string(img, "heif-compression", &codec) == 0 && !strcmp(codec, "av1"))
    baton__fmt(f->format, sizeof f->format, "AVIF"), f->article = "an";
}

/* Does the PNG open in fp, past its IHDR, have a pHYs chunk in pixels per metre (it comes before
 * the pixels, IDAT)? libvips gives 72 DPI when it has none. */
static bool ii_png_says_dpi(FILE *fp) {
  unsigned char c[17];
  for (int k = 0; k < 64 && fread(c, 1, 8, fp) == 8; k++) { /* length and type */
    unsigned long len = (unsigned long)c[0] << 24 | (unsigned long)c[1] << 16 | c[2] << 8 | c[3];
    if (!memcmp(c + 4, "IDAT", 4) || !memcmp(c + 4, "IEND", 4) || len > (1ul << 24))
      return false;
    if (!memcmp(c + 4, "pHYs", 4))
      return len == 9 && fread(c + 8, 1, 9, fp) == 9 && c[16] == 1;
    if (fseek(fp, (long)len + 4, SEEK_CUR) != 0) /* the data and its CRC */
      return false;
  }
  return false;
}

/* A PNG's own bit depth (its IHDR: libvips reads 1, 2 and 4 bits as 8): into bits, or, for a
 * palette picture, palette_bits; whether it says its DPI. */
static void ii_png_header(const char *path, ii_facts *f, bool *says_dpi) {
  unsigned char h[33]; /* signature, IHDR and its CRC */
  FILE *fp = fopen(path, "rb");
  size_t n = fp ? fread(h, 1, sizeof h, fp) : 0;
  if (n == sizeof h && !memcmp(h, "\x89PNG\r\n\x1a\n", 8) && !memcmp(h + 12, "IHDR", 4)) {
    if (h[25] == 3)
      f->palette_bits = h[24], f->bits = 0;
    else
      f->bits = h[24];
    *says_dpi = ii_png_says_dpi(fp);
  }
  if (fp)
    fclose(fp);
}

/* Bands, what they hold and how many bits each. */
static void ii_bands(VipsImage *img, ii_facts *f) {
  VipsInterpretation in = vips_image_get_interpretation(img);
  bool grey = in == VIPS_INTERPRETATION_B_W || in == VIPS_INTERPRETATION_GREY16;
  bool alpha = vips_image_hasalpha(img);
  f->bands = vips_image_get_bands(img);
  if (in == VIPS_INTERPRETATION_CMYK)
    f->colour = alpha ? "CMYK with alpha" : "CMYK";
  else if (grey && f->bands <= 2)
    f->colour = alpha ? "grey with alpha" : "grey";
  else if (!grey && (f->bands == 3 || (f->bands == 4 && alpha)))
    f->colour = alpha ? "colour with alpha" : "colour";
  VipsBandFormat bf = vips_image_get_format(img);
  if (bf != VIPS_FORMAT_COMPLEX && bf != VIPS_FORMAT_DPCOMPLEX)
    f->bits = (int)vips_format_sizeof(bf) * 8;
  int pb = 0;
  if (vips_image_get_typeof(img, "palette-bit-depth") &&
      vips_image_get_int(img, "palette-bit-depth", &pb) == 0 && pb > 0 && pb <= 16)
    f->palette_bits = pb, f->bits = 0;
}

/* A TIFF's own bits per sample (libvips reads 1, 2 and 4 bits as 8), or a palette's: from its
 * first directory, the page libvips opened; left out when the header does not say one depth. */
static void ii_tiff_depth(const char *path, ii_facts *f) {
  int bits = 0;
  bool palette = false;
  f->bits = 0;
  if (baton__tiff_bits(path, &bits, &palette) != 0)
    return;
  if (palette)
    f->palette_bits = bits;
  else
    f->bits = bits;
}

/* The DPI of x and y pixels per mm, to a hundredth. */
static void ii_set_dpi(ii_facts *f, double x, double y) {
  f->x_dpi = round(x * 25.4 * 100) / 100;
  f->y_dpi = round(y * 25.4 * 100) / 100;
}

/* DPI when the file says one: libvips keeps pixels per mm, and 1, or 72 DPI, when the file says
 * none; a JPEG or TIFF that says one has a unit ("resolution-unit"), a PNG a pHYs chunk. */
static void ii_dpi(VipsImage *img, const char *path, ii_facts *f) {
  bool says = vips_image_get_typeof(img, "resolution-unit") != 0;
  if (!strcmp(f->format, "PNG"))
    ii_png_header(path, f, &says);
  double x = vips_image_get_xres(img), y = vips_image_get_yres(img);
  if (!says || !(x > 0 && y > 0 && isfinite(x) && isfinite(y)) || (x == 1.0 && y == 1.0))
    return;
  ii_set_dpi(f, x, y);
}

/* "95312" as "95,312". */
static void ii_grouped(long long v, char *out, size_t cap) {
  char digits[32];
  baton__fmt(digits, sizeof digits, "%lld", v < 0 ? 0 : v);
  size_t n = strlen(digits), k = 0;
  for (size_t i = 0; i < n && k + 2 < cap; i++) {
    if (i && (n - i) % 3 == 0)
      out[k++] = ',';
    out[k++] = digits[i];
  }
  out[k] = '\0';
}

/* "colour (3 bands, 8 bits each)", "grey (1 band, a 4-bit palette)", "5 bands (8 bits each)",
 * "colour (3 bands, 5-6-5 bits)". */
static void ii_say_bands(baton__sb *sb, const ii_facts *f) {
  const char *s = f->bands == 1 ? "" : "s", *open = f->colour ? ", " : " (";
  if (f->colour)
    baton__sb_addf(sb, ", %s (%d band%s", f->colour, f->bands, s);
  else
    baton__sb_addf(sb, ", %d band%s", f->bands, s);
  if (f->palette_bits)
    baton__sb_addf(sb, "%s%s %d-bit palette)", open,
                   f->palette_bits == 8 || f->palette_bits == 11 ? "an" : "a", f->palette_bits);
  else if (f->band_bits[0]) {
    baton__sb_addf(sb, "%s%d", open, f->band_bits[0]);
    for (int i = 1; i < f->bands && i < 4; i++)
      baton__sb_addf(sb, "-%d", f->band_bits[i]);
    baton__sb_adds(sb, " bits)");
  } else if (f->bits)
    baton__sb_addf(sb, "%s%d bit%s%s)", open, f->bits, f->bits == 1 ? "" : "s",
                   f->bands > 1 ? " each" : "");
  else if (f->colour)
    baton__sb_adds(sb, ")");
}

/* The sentence a person reads. */
static void ii_say(baton__sb *sb, const ii_facts *f, const char *name) {
  double pixels = (double)f->width * f->height;
  baton__sb_addf(sb, "%s is %s%s%s picture %d x %d pixels", name, f->format[0] ? f->article : "a",
                 f->format[0] ? " " : "", f->format, f->width, f->height);
  if (pixels >= 50000)
    baton__sb_addf(sb, " (%.1f megapixels)", pixels / 1e6);
  ii_say_bands(sb, f);
  if (f->x_dpi > 0 && f->x_dpi == f->y_dpi)
    baton__sb_addf(sb, ", %g DPI", f->x_dpi);
  else if (f->x_dpi > 0)
    baton__sb_addf(sb, ", %g x %g DPI", f->x_dpi, f->y_dpi);
  if (f->pages > 1)
    baton__sb_addf(sb, ", %d %s", f->pages,
                   !strcmp(f->format, "GIF") || !strcmp(f->format, "WebP") ? "frames" : "pages");
  char bytes[40];
  ii_grouped(f->bytes, bytes, sizeof bytes);
  baton__sb_addf(sb, ", %s bytes.", bytes);
}

static void ii_add_int(cJSON *j, const char *key, long long v) {
  if (v > 0)
    cJSON_AddNumberToObject(j, key, (double)v);
}

static char *ii_json(const ii_facts *f) {
  cJSON *j = cJSON_CreateObject();
  ii_add_int(j, "width", f->width);
  ii_add_int(j, "height", f->height);
  ii_add_int(j, "pixels", (long long)f->width * f->height);
  if (f->format[0])
    cJSON_AddStringToObject(j, "format", f->format);
  if (f->loader)
    cJSON_AddStringToObject(j, "loader", f->loader);
  ii_add_int(j, "bands", f->bands);
  if (f->colour)
    cJSON_AddStringToObject(j, "colour", f->colour);
  ii_add_int(j, "bits", f->bits);
  if (f->band_bits[0]) {
    cJSON *each = cJSON_AddArrayToObject(j, "band_bits");
    for (int i = 0; i < f->bands && i < 4; i++)
      cJSON_AddItemToArray(each, cJSON_CreateNumber(f->band_bits[i]));
  }
  ii_add_int(j, "palette_bits", f->palette_bits);
  if (f->x_dpi > 0)
    cJSON_AddNumberToObject(j, "x_dpi", f->x_dpi), cJSON_AddNumberToObject(j, "y_dpi", f->y_dpi);
  ii_add_int(j, "pages", f->pages);
  cJSON_AddNumberToObject(j, "bytes", (double)f->bytes);
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

/* The facts f said of the picture `name` as *text and *json. 0, or -1 with err. */
static int ii_answer(const ii_facts *f, const char *name, char **text, char **json, char *err,
                     size_t errlen) {
  baton__sb sb;
  baton__sb_init(&sb);
  ii_say(&sb, f, name);
  *json = ii_json(f);
  return baton__run_facts_answer(&sb, text, json, err, errlen);
}

int baton__image_info(VipsImage *img, const char *path, const char *name, char **text,
                      char **json, char *err, size_t errlen) {
  *text = *json = NULL;
  struct stat st;
  if (stat(path, &st) != 0)
    return baton__fmt(err, errlen, "cannot read %s", name), -1;
  ii_facts f = {.width = vips_image_get_width(img), .height = vips_image_get_height(img),
                .bytes = (long long)st.st_size};
  ii_format(img, &f);
  ii_bands(img, &f);
  if (!strcmp(f.format, "TIFF"))
    ii_tiff_depth(path, &f);
  ii_dpi(img, path, &f);
  if (!f.paged || !vips_image_get_typeof(img, "n-pages") ||
      vips_image_get_int(img, "n-pages", &f.pages) != 0)
    f.pages = 0;
  return ii_answer(&f, name, text, json, err, errlen);
}

int baton__image_info_bmp(const baton__bmp_facts *b, const char *path, const char *name,
                          char **text, char **json, char *err, size_t errlen) {
  *text = *json = NULL;
  struct stat st;
  if (stat(path, &st) != 0)
    return baton__fmt(err, errlen, "cannot read %s", name), -1;
  ii_facts f = {.width = b->width, .height = b->height, .bands = b->bands, .article = "a",
                .palette_bits = b->palette_bits, .bytes = (long long)st.st_size,
                .colour = b->alpha ? "colour with alpha" : "colour"};
  baton__fmt(f.format, sizeof f.format, "%s", b->format);
  bool even = true; /* 8-8-8, 5-5-5: "8 bits each" */
  for (int i = 1; i < b->bands && i < 4; i++)
    even = even && b->band_bits[i] == b->band_bits[0];
  if (even)
    f.bits = b->band_bits[0];
  else
    memcpy(f.band_bits, b->band_bits, sizeof f.band_bits);
  if (b->x_ppm > 0 && b->y_ppm > 0) /* pixels per metre */
    ii_set_dpi(&f, (double)b->x_ppm / 1000.0, (double)b->y_ppm / 1000.0);
  return ii_answer(&f, name, text, json, err, errlen);
}

#endif /* BATON_HAVE_VIPS */
