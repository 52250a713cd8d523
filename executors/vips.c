/* vips.c — the "image-to-image" executor (and image-information, image_info.c, a BMP's from bmp_header.c): libvips operations (grayscale, resize, rotate, flip, crop, blur, sharpen, edges, invert, brightness, contrast, sepia, warmth) chosen from an instruction's words, pictures joined (image_join.c), saved as PNG, JPG, WebP, TIFF or GIF (by default as read). */
#include "executors/executor.h"

#if defined(BATON_HAVE_VIPS)

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "core/util.h"
#include "executors/image_info.h"
#include "executors/image_join.h"
#include "executors/picture_size.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define VP_MAX_PIXELS BATON__RUN_MAX_PIXELS /* in and out */
#define VP_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)
#define VP_MAX_INSTRUCTION 2048
#define VP_MAX_TOKENS 128
#define VP_MAX_OPS 8
#define VP_TOKLEN 32
#define VP_STR_(x) #x
#define VP_STR(x) VP_STR_(x) /* a number as a string literal */

/*
 * libvips is initialised once per process (VIPS_INIT may not run twice) and
 * never shut down. Its operation cache is switched off process-wide: it keys
 * loads on the file name, so a file rewritten between two runs could come
 * back stale. Its warnings (glib log domain "VIPS") are dropped: the library
 * never prints; errors come back through vips_error_buffer().
 */
static pthread_once_t vp_once = PTHREAD_ONCE_INIT;
static int vp_init_rc = -1; /* written once under vp_once */

static void vp_quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud) {
  (void)domain;
  (void)level;
  (void)msg;
  (void)ud;
}

static void vp_init_once(void) {
  if (VIPS_INIT("baton") != 0)
    return;
  vips_cache_set_max(0);
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
                    G_LOG_LEVEL_DEBUG, vp_quiet, NULL);
  vp_init_rc = 0;
}

#define VP_CAN_DO                                                                            \
  "grayscale, resize (\"200x100\", \"half size\", \"50%%\", \"thumbnail\"), rotate (90, 180, " \
  "270, \"left\", \"sideways\"), flip / mirror (\"vertically\"), crop (centred \"100x100\", "  \
  "\"a square\", \"the left half\"), blur, sharpen, edges, invert, brighter / darker (\"20%%\"), " \
  "more or less contrast or colour, sepia, warmer / cooler, join pictures side by side, "      \
  "stacked or in a grid; saves in the picture's own format (else PNG) unless asked for PNG, "  \
  "JPG, WebP, TIFF or GIF (\"compress\": JPEG at quality 60)"

typedef struct vp_tokens {
  char t[VP_MAX_TOKENS][VP_TOKLEN];
  size_t n;
} vp_tokens;

/* Lower-cased words; digits, '.', '%', '&', '-' and 'x' between digits stay in words. */
static void vp_tokenize(const char *s, vp_tokens *tk) {
  tk->n = 0;
  while (*s && tk->n < VP_MAX_TOKENS) {
    while (*s && !isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '&')
      s++;
    if (!*s)
      break;
    size_t len = 0;
    while (*s && (isalnum((unsigned char)*s) || *s == '%' || *s == '.' || *s == '&' ||
                  *s == '-')) {
      if (len + 1 < VP_TOKLEN)
        tk->t[tk->n][len++] = (char)tolower((unsigned char)*s);
      s++;
    }
    while (len > 0 && (tk->t[tk->n][len - 1] == '.' || tk->t[tk->n][len - 1] == '-'))
      len--;
    tk->t[tk->n][len] = '\0';
    if (len)
      tk->n++;
  }
}

/* Is token t the word w (len bytes) or its plural ("thumbnails", "squares", "boxes")? */
static bool vp_word_is(const char *t, const char *w, size_t len) {
  size_t n = strlen(t);
  return n >= len && memcmp(t, w, len) == 0 &&
         (n == len || !strcmp(t + len, "s") ||
          (!strcmp(t + len, "es") && strchr("sxz", w[len - 1])));
}

/* Number of tokens the phrase spans when it starts at token i, or 0. */
static size_t vp_phrase_at(const vp_tokens *tk, size_t i, const char *phrase) {
  size_t k = i;
  const char *p = phrase;
  while (*p) {
    const char *sp = strchr(p, ' ');
    size_t len = sp ? (size_t)(sp - p) : strlen(p);
    if (k >= tk->n || len == 0 || !vp_word_is(tk->t[k], p, len))
      return 0;
    k++;
    p += len;
    while (*p == ' ')
      p++;
  }
  return k - i;
}

/* The words of one operation: tokens [at, end) up to the next operation. */
typedef struct vp_words {
  const vp_tokens *tk;
  size_t at, end;
} vp_words;

/* Whether the words hold the phrase. */
static bool vp_has(const vp_words *w, const char *phrase) {
  for (size_t i = w->at; i < w->end; i++)
    if (vp_phrase_at(w->tk, i, phrase))
      return true;
  return false;
}

/* Whether the words hold any of the phrases (NULL-terminated). */
static bool vp_has_any(const vp_words *w, const char *const *phrases) {
  for (size_t i = 0; phrases[i]; i++)
    if (vp_has(w, phrases[i]))
      return true;
  return false;
}

/* "200x100", "200 x 100", "200 by 100" in the words. */
static bool vp_dims(const vp_words *ws, int *w, int *h) {
  const vp_tokens *tk = ws->tk;
  for (size_t i = ws->at; i < ws->end; i++) {
    char tail;
    if (sscanf(tk->t[i], "%dx%d%c", w, h, &tail) == 2 && *w > 0 && *h > 0)
      return true;
    if (i + 2 < ws->end && (strcmp(tk->t[i + 1], "x") == 0 || strcmp(tk->t[i + 1], "by") == 0) &&
        sscanf(tk->t[i], "%d%c", w, &tail) == 1 && sscanf(tk->t[i + 2], "%d%c", h, &tail) == 1 &&
        *w > 0 && *h > 0)
      return true;
  }
  return false;
}

/* The first plain number in the words (an optional sign, decimals, a
 * trailing '%' or "px"/"deg" unit noted). */
static bool vp_number(const vp_words *ws, double *v, bool *percent) {
  const vp_tokens *tk = ws->tk;
  for (size_t i = ws->at; i < ws->end; i++) {
    char *end = NULL;
    double d = strtod(tk->t[i], &end);
    if (end == tk->t[i])
      continue;
    if (*end == '%' && end[1] == '\0') {
      *v = d;
      *percent = true;
      return true;
    }
    if (*end == '\0' || strcmp(end, "px") == 0 || strcmp(end, "deg") == 0 ||
        strcmp(end, "degrees") == 0) {
      *v = d;
      *percent = i + 1 < ws->end && (strcmp(tk->t[i + 1], "percent") == 0 ||
                                     strcmp(tk->t[i + 1], "%") == 0);
      return true;
    }
  }
  return false;
}

/* What an operation reads besides the image, and where it reports. */
typedef struct vp_step {
  vp_words ws;     /* its words */
  baton__sb *desc; /* it describes itself here */
  char *err;       /* why its words do not say enough (VP_EXPLAINED) */
  size_t errlen;
} vp_step;

/* What an operation returns besides 0 (done, *out set) and -1 (libvips
 * failed; its error buffer says why): the instruction did not say enough,
 * and the step's err says so. */
#define VP_EXPLAINED (-2)

/* The words that qualify an operation. */
static const char *const vp_shrink_words[] = {"half", "smaller", "shrink", "downscale", NULL};
static const char *const vp_grow_words[] = {"double",  "twice",   "bigger", "larger",
                                            "enlarge", "upscale", NULL};
static const char *const vp_pixel_words[] = {"px", "pixels", "wide", NULL};
static const char *const vp_half_turn_words[] = {"upside down", "around", NULL};
static const char *const vp_leftward_words[] = {"left", "anticlockwise", "counterclockwise",
                                                "counter-clockwise", "anti-clockwise", NULL};
static const char *const vp_vertical_words[] = {"vertically", "vertical", "upside", "top",
                                                "updown", NULL};

static int vp_gray(VipsImage *in, VipsImage **out, const vp_step *st) {
  baton__sb_adds(st->desc, "grayscale");
  return vips_colourspace(in, out, VIPS_INTERPRETATION_B_W, NULL);
}

/* The scale factors a resize asks for on a w x h image. false when the
 * words say no size. */
static bool vp_resize_scale(const vp_words *ws, int w, int h, double *sx, double *sy) {
  int tw = 0, th = 0;
  double v = 0;
  bool pct = false;
  if (vp_dims(ws, &tw, &th)) {
    *sx = (double)tw / w;
    *sy = (double)th / h;
  } else if (vp_number(ws, &v, &pct) && v > 0) {
    if (pct)
      *sx = *sy = v / 100.0;
    else if (v <= 10 && !vp_has_any(ws, vp_pixel_words))
      *sx = *sy = v; /* "scale by 2", "resize 0.5" */
    else
      *sx = *sy = v / w; /* "resize to 300 pixels wide" */
  } else if (vp_has_any(ws, vp_shrink_words)) {
    *sx = *sy = vp_has(ws, "quarter") ? 0.25 : 0.5;
  } else if (vp_has_any(ws, vp_grow_words)) {
    *sx = *sy = 2.0;
  } else if (vp_has(ws, "thumbnail")) {
    *sx = *sy = 128.0 / (w > h ? w : h);
  } else {
    return false;
  }
  return true;
}

static int vp_resize(VipsImage *in, VipsImage **out, const vp_step *st) {
  int w = vips_image_get_width(in), h = vips_image_get_height(in);
  double sx = 0, sy = 0;
  if (!vp_resize_scale(&st->ws, w, h, &sx, &sy)) {
    baton__fmt(st->err, st->errlen,
               "say how to resize: \"resize to 200x100\", \"half size\", \"50%%\" or "
               "\"scale by 2\"");
    return VP_EXPLAINED;
  }
  double nw = round(w * sx), nh = round(h * sy);
  if (!baton__run_pixels_ok(nw, nh)) {
    baton__fmt(st->err, st->errlen,
               "resizing %dx%d to %.0fx%.0f is out of range (1 pixel to %.0f megapixels)", w, h,
               nw, nh, VP_MAX_PIXELS / 1e6);
    return VP_EXPLAINED;
  }
  baton__sb_addf(st->desc, "resize to %.0fx%.0f", nw, nh);
  /* vips_resize rounds the size; aim at the pixel centre to land exactly. */
  return vips_resize(in, out, (nw + 0.1) / w, "vscale", (nh + 0.1) / h, NULL);
}

/* The clockwise angle a rotation asks for, in [0, 360). */
static double vp_rotate_angle(const vp_words *ws) {
  double v = 0;
  bool pct = false;
  double angle = 90;
  if (vp_number(ws, &v, &pct))
    angle = v;
  else if (vp_has_any(ws, vp_half_turn_words))
    angle = 180;
  if (vp_has_any(ws, vp_leftward_words))
    angle = -angle;
  angle = fmod(angle, 360.0);
  if (angle < 0)
    angle += 360.0;
  return angle;
}

static int vp_rotate(VipsImage *in, VipsImage **out, const vp_step *st) {
  double angle = vp_rotate_angle(&st->ws);
  baton__sb_addf(st->desc, "rotate %g degrees clockwise", angle);
  if (angle == 0)
    return vips_copy(in, out, NULL);
  if (angle == 90)
    return vips_rot(in, out, VIPS_ANGLE_D90, NULL);
  if (angle == 180)
    return vips_rot(in, out, VIPS_ANGLE_D180, NULL);
  if (angle == 270)
    return vips_rot(in, out, VIPS_ANGLE_D270, NULL);
  return vips_rotate(in, out, angle, NULL);
}

static int vp_flip(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool vert = vp_has_any(&st->ws, vp_vertical_words);
  baton__sb_adds(st->desc, vert ? "flip vertically" : "flip horizontally");
  return vips_flip(in, out, vert ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL, NULL);
}

static const char *const vp_side_words[] = {"left",  "right", "top",
                                            "bottom", "upper", "lower", NULL};

/* "A square" (centred), "the left half", "the bottom half": the part of a w x h picture a crop
 * keeps, into *tw x *th at (*x, *y); false if the words name none. */
static bool vp_crop_part(const vp_words *ws, int w, int h, int *tw, int *th, int *x, int *y) {
  bool square = vp_has(ws, "square"), half = vp_has(ws, "half");
  bool across = vp_has(ws, "left") || vp_has(ws, "right"); /* else top or bottom */
  bool far = vp_has(ws, "right") || vp_has(ws, "bottom") || vp_has(ws, "lower");
  if (!square && !(half && vp_has_any(ws, vp_side_words)))
    return false;
  *tw = square ? (w < h ? w : h) : across ? (w + 1) / 2 : w;
  *th = square ? *tw : across ? h : (h + 1) / 2;
  *x = square ? (w - *tw) / 2 : far ? w - *tw : 0;
  *y = square ? (h - *th) / 2 : far ? h - *th : 0;
  return true;
}

static int vp_crop(VipsImage *in, VipsImage **out, const vp_step *st) {
  int w = vips_image_get_width(in), h = vips_image_get_height(in);
  int tw = 0, th = 0, x, y;
  bool sized = vp_dims(&st->ws, &tw, &th); /* "a 200x200 square": that size */
  if (!sized && vp_crop_part(&st->ws, w, h, &tw, &th, &x, &y)) {
    baton__sb_addf(st->desc, "crop to %dx%d at %d,%d", tw, th, x, y);
    return vips_crop(in, out, x, y, tw, th, NULL);
  }
  if (!sized) {
    baton__fmt(st->err, st->errlen, "say the size or part to crop to, e.g. \"crop to 100x100\" "
               "(centred), \"crop to a square\" or \"crop to the left half\"");
    return VP_EXPLAINED;
  }
  if (tw > w)
    tw = w;
  if (th > h)
    th = h;
  baton__sb_addf(st->desc, "crop to %dx%d (centred)", tw, th);
  return vips_crop(in, out, (w - tw) / 2, (h - th) / 2, tw, th, NULL);
}

static int vp_blur(VipsImage *in, VipsImage **out, const vp_step *st) {
  double v = 0;
  bool pct = false;
  double sigma = 2.0;
  if (vp_number(&st->ws, &v, &pct) && v > 0)
    sigma = v;
  if (sigma > 100)
    sigma = 100;
  baton__sb_addf(st->desc, "gaussian blur (sigma %g)", sigma);
  return vips_gaussblur(in, out, sigma, NULL);
}

static int vp_sharpen(VipsImage *in, VipsImage **out, const vp_step *st) {
  baton__sb_adds(st->desc, "sharpen");
  return vips_sharpen(in, out, NULL);
}

/* The brightness of in as one band (alpha dropped) into *gray. 0, or -1. */
static int vp_brightness(VipsImage *in, VipsImage **gray) {
  int rc = vips_colourspace(in, gray, VIPS_INTERPRETATION_B_W, NULL);
  if (rc == 0 && vips_image_get_bands(*gray) > 1) {
    VipsImage *one = NULL;
    rc = vips_extract_band(*gray, &one, 0, NULL);
    g_object_unref(*gray);
    *gray = one;
  }
  return rc;
}

/* Canny edges of a one-band image as 8-bit magnitudes. 0, or -1. */
static int vp_canny_map(VipsImage *gray, VipsImage **out) {
  VipsImage *f = NULL, *s = NULL;
  int rc = vips_canny(gray, &f, NULL);
  /* canny gives float magnitudes: stretch to 0..255. */
  if (rc == 0)
    rc = vips_linear1(f, &s, 4.0, 0.0, NULL);
  if (rc == 0)
    rc = vips_cast_uchar(s, out, NULL);
  VIPS_UNREF(f);
  VIPS_UNREF(s);
  return rc;
}

static int vp_edges(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool canny = vp_has(&st->ws, "canny");
  VipsImage *gray = NULL;
  int rc = vp_brightness(in, &gray);
  if (rc == 0)
    rc = canny ? vp_canny_map(gray, out) : vips_sobel(gray, out, NULL);
  VIPS_UNREF(gray);
  baton__sb_adds(st->desc, canny ? "edges (canny)" : "edges (sobel)");
  return rc;
}

/* Inverts the colour bands of in, keeping its alpha band as it is. */
static int vp_invert_keep_alpha(VipsImage *in, VipsImage **out) {
  VipsImage *col = NULL, *alpha = NULL, *inv = NULL;
  int bands = vips_image_get_bands(in);
  int rc = vips_extract_band(in, &col, 0, "n", bands - 1, NULL);
  if (rc == 0)
    rc = vips_extract_band(in, &alpha, bands - 1, NULL);
  if (rc == 0)
    rc = vips_invert(col, &inv, NULL);
  if (rc == 0)
    rc = vips_bandjoin2(inv, alpha, out, NULL);
  VIPS_UNREF(col);
  VIPS_UNREF(alpha);
  VIPS_UNREF(inv);
  return rc;
}

static int vp_invert(VipsImage *in, VipsImage **out, const vp_step *st) {
  baton__sb_adds(st->desc, "invert");
  return vips_image_hasalpha(in) ? vp_invert_keep_alpha(in, out) : vips_invert(in, out, NULL);
}

/* Sepia: the colour bands (a grey picture made sRGB first) mixed by the usual sepia weights, each
 * output band a weighted sum of red, green and blue, clipped to 0-255; alpha kept. */
static int vp_sepia(VipsImage *in, VipsImage **out, const vp_step *st) {
  static const double tone[9] = {0.393, 0.769, 0.189, 0.349, 0.686, 0.168, 0.272, 0.534, 0.131};
  VipsImage *m = vips_image_new_matrix_from_array(3, 3, tone, 9), *rgb = NULL, *col = NULL,
            *alpha = NULL, *mixed = NULL, *u8 = NULL;
  int rc = m ? vips_colourspace(in, &rgb, VIPS_INTERPRETATION_sRGB, NULL) : -1;
  bool has_alpha = rc == 0 && vips_image_hasalpha(rgb);
  if (rc == 0)
    rc = vips_extract_band(rgb, &col, 0, "n", 3, NULL);
  if (rc == 0 && has_alpha)
    rc = vips_extract_band(rgb, &alpha, 3, NULL);
  if (rc == 0)
    rc = vips_recomb(col, &mixed, m, NULL);
  if (rc == 0)
    rc = vips_cast_uchar(mixed, &u8, NULL);
  if (rc == 0)
    rc = has_alpha ? vips_bandjoin2(u8, alpha, out, NULL) : vips_copy(u8, out, NULL);
  VipsImage *all[] = {m, rgb, col, alpha, mixed, u8};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    VIPS_UNREF(all[i]);
  baton__sb_adds(st->desc, "sepia");
  return rc;
}

/* Words that make brightness or contrast go up, or down ("darker", "lower the contrast"). */
static const char *const vp_raise[] = {"increase", "increased", "more", "raise", "higher",
                                       "boost", "stronger", "brighter", "brighten", "lighter",
                                       "lighten", NULL};
static const char *const vp_lower[] = {"darker", "darken",    "dim",    "dimmer", "decrease",
                                       "decreased", "reduce", "lower", "less",   NULL};

/* Does a word at token k raise (1) or lower (-1) brightness or contrast, or neither (0)? */
static int vp_direction(const vp_tokens *tk, size_t k) {
  const vp_words one = {tk, k, k + 1};
  return vp_has_any(&one, vp_raise) ? 1 : vp_has_any(&one, vp_lower) ? -1 : 0;
}

/* How much an operation scales: by N% when its words (and the two before) give one, else by `up`,
 * or by `down` (and *less) when they lower it: the cue itself ("darker"), else the nearest of the
 * two words before it ("lower the brightness, more contrast"), else the nearest after it in its
 * words ("make the contrast of x.png lower"). 0 with st->err set for a percentage out of range. */
static double vp_factor(const vp_step *st, double up, double down, bool *less) {
  const vp_tokens *tk = st->ws.tk;
  size_t at = st->ws.at, lo = at > 2 ? at - 2 : 0;
  int dir = vp_direction(tk, at);
  for (size_t k = at; !dir && k-- > lo;)
    dir = vp_direction(tk, k);
  for (size_t k = at + 1; !dir && k < st->ws.end; k++)
    dir = vp_direction(tk, k);
  vp_words near = {tk, lo, st->ws.end};
  bool pct = false;
  double v = 0;
  *less = dir < 0;
  if (!vp_number(&near, &v, &pct) || !pct)
    return *less ? down : up;
  if (v > 0 && v < (*less ? 100 : 1000))
    return *less ? 1 - v / 100 : 1 + v / 100;
  baton__fmt(st->err, st->errlen, "a change of %g%% is out of range: more than 0%% and under "
             "%s", v, *less ? "100%" : "1000%");
  return 0;
}

/* The colour bands of in scaled by f and shifted by `shift` (alpha and the pixel format kept:
 * values clip at the format's range), into *out. 0, or -1. */
static int vp_scale_colour(VipsImage *in, VipsImage **out, double f, double shift) {
  double a[16], b[16];
  int bands = vips_image_get_bands(in);
  if (bands < 1 || bands > 16)
    return -1;
  for (int i = 0; i < bands; i++) {
    bool alpha = vips_image_hasalpha(in) && i == bands - 1;
    a[i] = alpha ? 1 : f, b[i] = alpha ? 0 : shift;
  }
  VipsImage *t = NULL;
  int rc = vips_linear(in, &t, a, b, bands, NULL);
  if (rc == 0)
    rc = vips_cast(t, out, vips_image_get_format(in), NULL);
  VIPS_UNREF(t);
  return rc;
}

/* Brighter or darker: the colour bands scaled (by N% when the words give one). */
static int vp_light(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool dark;
  double f = vp_factor(st, 1.3, 0.75, &dark);
  if (f <= 0)
    return VP_EXPLAINED;
  baton__sb_addf(st->desc, "%s (x%.2f)", dark ? "darker" : "brighter", f);
  return vp_scale_colour(in, out, f, 0);
}

/* More or less contrast: the colour bands spread from (or drawn to) their mean by a factor (by N%
 * when the words give one). */
/* "More colourful", "less vivid": each pixel's chroma (in LCh) scaled, lightness and hue kept. */
static int vp_saturate(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool less;
  double f = vp_factor(st, 1.4, 0.6, &less), a[16], b[16] = {0};
  if (f <= 0)
    return VP_EXPLAINED;
  VipsImage *lch = NULL, *scaled = NULL, *rgb = NULL;
  int rc = vips_colourspace(in, &lch, VIPS_INTERPRETATION_LCH, NULL);
  int bands = rc == 0 ? vips_image_get_bands(lch) : 0; /* L, C, h (and alpha) */
  for (int i = 0; i < bands && i < 16; i++)
    a[i] = i == 1 ? f : 1;
  if (rc == 0)
    rc = bands >= 3 && bands <= 16 ? vips_linear(lch, &scaled, a, b, bands, NULL) : -1;
  if (rc == 0)
    rc = vips_colourspace(scaled, &rgb, VIPS_INTERPRETATION_sRGB, NULL);
  if (rc == 0)
    rc = vips_cast_uchar(rgb, out, NULL);
  VIPS_UNREF(lch);
  VIPS_UNREF(scaled);
  VIPS_UNREF(rgb);
  baton__sb_addf(st->desc, "%s colourful (chroma x%.2f)", less ? "less" : "more", f);
  return rc;
}
static int vp_contrast(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool less;
  double f = vp_factor(st, 1.3, 0.75, &less), mean = 0;
  if (f <= 0)
    return VP_EXPLAINED;
  int bands = vips_image_get_bands(in), colour = bands - (vips_image_hasalpha(in) ? 1 : 0);
  VipsImage *c = NULL;
  if (colour < 1 || vips_extract_band(in, &c, 0, "n", colour, NULL) != 0)
    return -1;
  int rc = vips_avg(c, &mean, NULL);
  VIPS_UNREF(c);
  baton__sb_addf(st->desc, "%s contrast (x%.2f around the mean level %.0f)",
                 less ? "less" : "more", f, mean);
  return rc != 0 ? -1 : vp_scale_colour(in, out, f, mean * (1 - f));
}

/* "Warmer" or "cooler": red scaled up and blue down by VP_WARMTH (or the reverse), green, alpha
 * and the pixel format kept (values clip at 255). */
#define VP_WARMTH 0.12
static int vp_warmth(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool cool = vp_has(&st->ws, "cool") || vp_has(&st->ws, "cooler") || vp_has(&st->ws, "colder");
  double d = cool ? -VP_WARMTH : VP_WARMTH, a[4] = {1 + d, 1, 1 - d, 1}, b[4] = {0};
  VipsImage *rgb = NULL, *t = NULL;
  int rc = vips_colourspace(in, &rgb, VIPS_INTERPRETATION_sRGB, NULL);
  int bands = rc == 0 ? vips_image_get_bands(rgb) : 0;
  if (rc == 0)
    rc = bands == 3 || bands == 4 ? vips_linear(rgb, &t, a, b, bands, NULL) : -1;
  if (rc == 0)
    rc = vips_cast_uchar(t, out, NULL);
  VIPS_UNREF(rgb);
  VIPS_UNREF(t);
  baton__sb_addf(st->desc, "%s (red x%.2f, blue x%.2f)", cool ? "cooler" : "warmer", 1 + d, 1 - d);
  return rc;
}

/* One operation: the phrases that ask for it (space-separated words), and
 * what it does. `apply` reads in (borrowed) and writes *out; 0, -1 (libvips
 * failed) or VP_EXPLAINED. */
typedef struct vp_rule {
  const char *const cues[16];
  int (*apply)(VipsImage *in, VipsImage **out, const vp_step *st);
} vp_rule;

enum vp_kind { OP_GRAY, OP_RESIZE, OP_ROTATE, OP_FLIP, OP_CROP, OP_BLUR, OP_SHARPEN, OP_EDGES,
               OP_INVERT, OP_LIGHT, OP_CONTRAST, OP_SEPIA, OP_SATURATE, OP_WARMTH, OP_N };

/* Where an instruction's words could name two, the earlier kind wins. */
static const vp_rule vp_rules[OP_N] = {
    [OP_GRAY] = {{"grayscale", "greyscale", "gray", "grey", "black and white", "black-and-white",
                  "monochrome", "b&w", "black n white", "black & white", "desaturate", NULL},
                 vp_gray},
    [OP_RESIZE] = {{"resize", "scale", "rescale", "shrink", "enlarge", "upscale", "downscale",
                    "thumbnail", "smaller", "bigger", "larger", "half", "double", "twice as big",
                    "twice as large", NULL},
                   vp_resize},
    [OP_ROTATE] = {{"rotate", "rotation", "upside down", "sideways", NULL}, vp_rotate},
    [OP_FLIP] = {{"flip", "mirror", "mirrored", NULL}, vp_flip},
    [OP_CROP] = {{"crop", "cut", "make it square", NULL}, vp_crop}, /* "make it square": centred */
    [OP_BLUR] = {{"blur", "blurry", "blurred", "soften", "smooth", NULL}, vp_blur},
    [OP_SHARPEN] = {{"sharpen", "sharper", "crisper", NULL}, vp_sharpen},
    [OP_EDGES] = {{"edge", "edges", "sobel", "canny", "outline", "outlines", NULL}, vp_edges},
    [OP_INVERT] = {{"invert", "inverted", "negative", "inverse", NULL}, vp_invert},
    [OP_LIGHT] = {{"brighter", "brighten", "lighter", "lighten", "darker", "darken", "dim",
                   "dimmer", "brightness", NULL},
                  vp_light},
    [OP_CONTRAST] = {{"contrast", "contrasty", NULL}, vp_contrast},
    [OP_SEPIA] = {{"sepia", "sepia-toned", "vintage", "old-fashioned", NULL}, vp_sepia},
    [OP_SATURATE] = {{"colorful", "colourful", "vivid", "vibrant", "saturated", "saturation",
                      "saturate", NULL},
                     vp_saturate},
    [OP_WARMTH] = {{"warmer", "warm", "cooler", "cool", "colder", NULL}, vp_warmth},
};

typedef struct vp_op {
  enum vp_kind kind;
  size_t at, end; /* its tokens: [at, end) up to the next operation */
} vp_op;

/* The operations a percentage beside their cue belongs to (else "50%" is a resize). */
static bool vp_takes_percent(enum vp_kind k) {
  return k == OP_LIGHT || k == OP_CONTRAST || k == OP_SATURATE;
}

/* "50% brighter", "darker by 20%", "the contrast by 20%", "30% more saturation": a percentage
 * beside a brightness, contrast or colourfulness cue is theirs. */
static bool vp_light_percent(const vp_tokens *tk, size_t i) {
  bool more = i + 1 < tk->n && (!strcmp(tk->t[i + 1], "more") || !strcmp(tk->t[i + 1], "less"));
  for (size_t k = i > 2 ? i - 2 : 0; k <= i + 1 + more && k < tk->n; k++) /* "30% more contrast" */
    for (int o = 0; k != i && o < OP_N; o++)
      for (size_t c = 0; vp_takes_percent((enum vp_kind)o) && vp_rules[o].cues[c]; c++)
        if (vp_phrase_at(tk, k, vp_rules[o].cues[c]))
          return true;
  return false;
}

/* The operation whose cue starts at token i, with the cue's length in
 * *span; *span 0 when none does. */
static enum vp_kind vp_kind_at(const vp_tokens *tk, size_t i, size_t *span) {
  for (int k = 0; k < OP_N; k++)
    for (size_t c = 0; vp_rules[k].cues[c]; c++)
      if ((*span = vp_phrase_at(tk, i, vp_rules[k].cues[c])))
        return (enum vp_kind)k;
  /* "50%" alone asks for a resize. */
  *span = strchr(tk->t[i], '%') && !vp_light_percent(tk, i) ? 1 : 0;
  return OP_RESIZE;
}

/* Finds the operations in the order they are asked for, each once. */
static size_t vp_find_ops(const vp_tokens *tk, vp_op *ops) {
  size_t n = 0;
  bool seen[OP_N] = {false};
  for (size_t i = 0; i < tk->n && n < VP_MAX_OPS;) {
    size_t span = 0;
    enum vp_kind kind = vp_kind_at(tk, i, &span);
    if (span && kind == OP_RESIZE && strchr(tk->t[i], '%') && n > 0 &&
        vp_takes_percent(ops[n - 1].kind))
      span = 0; /* "lower the brightness of x.png by 20%": the percentage is the brightness's */
    if (span && kind == OP_RESIZE && i > 0 && n > 0 && ops[n - 1].kind == OP_CROP &&
        vp_has_any(&(vp_words){tk, i - 1, i}, vp_side_words))
      span = 0; /* "crop it to the left half": the half is the crop's */
    if (span && !seen[kind]) {
      seen[kind] = true;
      ops[n].kind = kind;
      ops[n].at = i;
      if (n > 0)
        ops[n - 1].end = i;
      n++;
    }
    i += span ? span : 1;
  }
  if (n > 0)
    ops[n - 1].end = tk->n;
  return n;
}

/* One operation on *img (replaced on success). Describes it into sb. 0, or -1
 * with err set. */
static int vp_apply(const vp_op *op, const vp_tokens *tk, VipsImage **img, baton__sb *sb,
                    char *err, size_t errlen) {
  const vp_step st = {{tk, op->at, op->end}, sb, err, errlen};
  VipsImage *out = NULL;
  int rc = vp_rules[op->kind].apply(*img, &out, &st);
  if (rc == VP_EXPLAINED)
    return -1;
  if (rc != 0 || !out) {
    const char *ve = vips_error_buffer();
    baton__fmt(err, errlen, "libvips failed: %s", ve && *ve ? ve : "unknown error");
    VIPS_UNREF(out);
    return -1;
  }
  g_object_unref(*img);
  *img = out;
  return 0;
}

/* What the progress callback checks. */
typedef struct vp_watch {
  const baton__exec_env *env;
  int64_t deadline;
  bool timed_out, cancelled;
} vp_watch;

static void vp_eval_cb(VipsImage *image, VipsProgress *progress, void *ud) {
  (void)progress;
  vp_watch *w = ud;
  if (baton__exec_cancelled(w->env)) {
    w->cancelled = true;
    vips_image_set_kill(image, TRUE);
  } else if (w->deadline && baton__now_ms() > w->deadline) {
    w->timed_out = true;
    vips_image_set_kill(image, TRUE);
  }
}

static bool vp_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  pthread_once(&vp_once, vp_init_once);
  if (vp_init_rc != 0) {
    baton__fmt(why, whylen, "libvips failed to initialise: %s", vips_error_buffer());
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int vp_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  if (!vp_available(cfg, err, errlen))
    return -1;
  return 0;
}


/* The instruction to follow: canny-control (HuggingGPT's ControlNet
 * condition) is the canny edge map; image-to-image says it. */
static const char *vp_instruction(const char *task, const baton__values *in) {
  if (!strcmp(task, "canny-control"))
    return "canny edges";
  return baton__run_instruction(in);
}

/* Checks what the run was given. 0, or -1 with env->err set. */
static int vp_check_args(const char *task, const char *image, const char *instr,
                         baton__exec_env *env) {
  if (!image || !*image)
    return baton__run_bad_input(env, "%s needs an \"image\" to transform", task);
  if (!instr || !*instr)
    return baton__run_bad_input(env, "image-to-image needs an \"instruction\" saying what to do; "
                                     "it can do: " VP_CAN_DO);
  if (strlen(instr) > VP_MAX_INSTRUCTION)
    return baton__run_fail(env, "the instruction is over %d bytes", VP_MAX_INSTRUCTION);
  if (!baton__run_has_workspace(env, "image") || baton__run_must_stop(env, 0, task))
    return -1;
  return 0;
}

/* Output formats by the word that names one ("to jpg", "as WebP"), and the file extension libvips
 * saves them by. A file's name ("photo.jpg") is one token, so no format asked for. */
static const char *const vp_formats[][2] = {{"png", "png"},   {"jpg", "jpg"}, {"jpeg", "jpg"},
                                            {"webp", "webp"}, {"tif", "tif"}, {"tiff", "tif"},
                                            {"gif", "gif"}};

/* The extension libvips saves the format word w names by ("jpeg": jpg), or NULL. */
static const char *vp_format_of(const char *w) {
  for (size_t f = 0; w && f < sizeof vp_formats / sizeof vp_formats[0]; f++)
    if (strcmp(w, vp_formats[f][0]) == 0)
      return vp_formats[f][1];
  return NULL;
}

/* The format the file name asks for (env->file_format), else the last one the words name; NULL:
 * none. */
static const char *vp_format(const vp_tokens *tk, const baton__exec_env *env) {
  const char *ext = vp_format_of(env->file_format);
  for (size_t i = 0; !ext && i < tk->n; i++)
    ext = vp_format_of(tk->t[tk->n - 1 - i]);
  return ext;
}

/* The extension of the format libvips read img in ("jpegload": jpg), when baton writes it; else
 * "png". An edited picture keeps its format unless another is asked for. */
static const char *vp_format_read(VipsImage *img) {
  const char *loader = NULL;
  char word[16] = "";
  if (vips_image_get_typeof(img, "vips-loader") &&
      vips_image_get_string(img, "vips-loader", &loader) == 0 && loader)
    baton__fmt(word, sizeof word, "%.*s", (int)strcspn(loader, "_"), loader);
  size_t n = strlen(word);
  if (n > 4 && !strcmp(word + n - 4, "load"))
    word[n - 4] = '\0';
  const char *ext = vp_format_of(word);
  return ext ? ext : "png";
}

/* Words asking for a smaller file ("compress photo.jpg"): saved as JPEG (unless another format is
 * asked for) at a lower quality. */
#define VP_COMPRESS_QUALITY 60
static const char *const vp_compress_words[] = {"compress", "compressed", "compression",
                                                "smaller file", "file size", NULL};

static bool vp_compresses(const vp_tokens *tk) {
  return vp_has_any(&(vp_words){tk, 0, tk->n}, vp_compress_words);
}

/* The save options that make a file of format ext smaller, and what they say; "" for a format
 * with none (TIFF, GIF). */
static const char *vp_compress_options(const char *ext, const char **says) {
  bool lossy = !strcmp(ext, "jpg") || !strcmp(ext, "webp"), png = !strcmp(ext, "png");
  *says = lossy ? " at quality " VP_STR(VP_COMPRESS_QUALITY) " of 100"
                : png ? " at the highest compression (lossless)" : " (this format has no "
                        "quality setting)";
  return lossy ? "[Q=" VP_STR(VP_COMPRESS_QUALITY) "]" : png ? "[compression=9]" : "";
}

/* The instruction's words (*tk, caller frees), operations (*nops) and the format to save (*ext,
 * NULL: the picture's own, vp_format_read). 0, or -1 with env->err set when it asks for
 * nothing this executor does (joining pictures, `joins`, is something) or its save_as names a
 * format it cannot write ("a.bmp"). */
static int vp_parse(const char *instr, bool joins, vp_tokens **tk, vp_op *ops, size_t *nops,
                    const char **ext, baton__exec_env *env) {
  if (!(*tk = malloc(sizeof **tk)))
    return baton__run_fail(env, "out of memory");
  vp_tokenize(instr, *tk);
  *nops = vp_find_ops(*tk, ops);
  *ext = vp_format(*tk, env);
  if (!*ext && vp_compresses(*tk)) /* "compress photo.jpg": a JPEG at a lower quality */
    *ext = "jpg";
  char asked[16];
  if (env->file_format && *env->file_format && !vp_format_of(env->file_format))
    return baton__run_bad_input(env, "cannot write a picture as %s: the image formats baton "
                                "writes are PNG, JPG, WebP, TIFF and GIF",
                                baton__run_format_name(env->file_format, asked, sizeof asked));
  if (*nops == 0 && !*ext && !joins)
    return baton__run_fail(env, "the instruction names no image operation this executor knows; "
                                "it can do: " VP_CAN_DO);
  return 0;
}

/* Refuses the picture `name` as one that does not decode, for the reason why (NULL or "": none
 * given). -1. */
static int vp_cannot_decode(baton__exec_env *env, const char *name, const char *why) {
  return baton__run_bad_input(env, "cannot decode %s as an image%s%s", name,
                              why && *why ? ": " : "", why ? why : "");
}

/* Opens the image at path (its header: libvips decodes pixels when they are asked for), bounded
 * in bytes, and in pixels when they are to be read (`decoding`); an error names it `name`. NULL
 * with env->err. */
static VipsImage *vp_open(const char *path, const char *name, bool decoding,
                          baton__exec_env *env) {
  if (!baton__run_file_fits(env, path, baton__run_max_input(env, VP_DEFAULT_MAX_INPUT), "image"))
    return NULL;
  VipsImage *img = vips_image_new_from_file(path, NULL);
  if (!img) {
    char *why = baton__run_said_as(vips_error_buffer(), path, name); /* its first line */
    vp_cannot_decode(env, name, why);
    free(why);
    vips_error_clear();
    return NULL;
  }
  int w = vips_image_get_width(img), h = vips_image_get_height(img);
  if (decoding && !baton__run_pixels_ok(w, h)) {
    baton__run_too_many_pixels(env, name, w, h);
    g_object_unref(img);
    return NULL;
  }
  return img;
}

static VipsImage *vp_load(const char *path, baton__exec_env *env) {
  return vp_open(path, baton__given_name(path), true, env);
}

/* Runs the pipeline into the file at path (its extension says the format),
 * watching it for cancel and timeout (libvips evaluates lazily: the work
 * happens here). 0, or -1 with env->err set and nothing left at path. */
static int vp_save(VipsImage *img, const char *path, const char *opts, int64_t deadline,
                   baton__exec_env *env) {
  vp_watch watch = {.env = env, .deadline = deadline};
  int rc = 0;
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%s%s", path, opts); /* "out.jpg[Q=60]" */
  char *target = baton__sb_detach(&sb);
  vips_image_set_progress(img, TRUE);
  g_signal_connect(img, "eval", G_CALLBACK(vp_eval_cb), &watch);
  if (!target || vips_image_write_to_file(img, target, NULL) != 0 || watch.cancelled ||
      watch.timed_out) {
    if (watch.cancelled || watch.timed_out)
      baton__run_fail_stopped(env, watch.cancelled, "image-to-image");
    else
      baton__run_fail(env, "cannot write %s: %s", path, vips_error_buffer());
    remove(path);
    rc = -1;
  }
  g_signal_handlers_disconnect_by_data(img, &watch);
  free(target);
  return rc;
}

/* A JPEG has no alpha: a transparent picture goes onto white, not libvips' black. 0, or -1. */
static int vp_flatten(VipsImage **img) {
  VipsImage *out = NULL;
  VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
  int rc = vips_flatten(*img, &out, "background", white, NULL);
  vips_area_unref(VIPS_AREA(white));
  if (rc != 0)
    return -1;
  g_object_unref(*img);
  *img = out;
  return 0;
}

/* Applies the operations to *img in order and saves the result as the run's file of extension
 * ext, described into desc. The path (caller frees), or NULL with env->err set. */
static char *vp_transform(VipsImage **img, const vp_tokens *tk, const vp_op *ops, size_t nops,
                          const char *ext, int64_t deadline, baton__sb *desc,
                          baton__exec_env *env) {
  for (size_t i = 0; i < nops; i++) {
    if (desc->len)
      baton__sb_adds(desc, ", then ");
    if (vp_apply(&ops[i], tk, img, desc, env->err, sizeof env->err) != 0)
      return NULL;
  }
  if (!strcmp(ext, "jpg") && vips_image_hasalpha(*img) && vp_flatten(img) != 0) {
    baton__run_fail(env, "libvips failed: %s", vips_error_buffer());
    return NULL;
  }
  const char *says = "", *opts = vp_compresses(tk) ? vp_compress_options(ext, &says) : "";
  char *path = baton__run_out_path(env, ext);
  if (path && vp_save(*img, path, opts, deadline, env) != 0) {
    free(path);
    return NULL;
  }
  char kind[8];
  baton__sb_addf(desc, "%s%dx%d %s%s", desc->len ? " -> " : "", vips_image_get_width(*img),
                 vips_image_get_height(*img), baton__run_format_name(ext, kind, sizeof kind),
                 says);
  return path;
}

/* image-information of a BMP whose headers bmp_header.c reads: told from them, the file never
 * handed to libvips (which reads a BMP through ImageMagick, decoding it whole). 0 with *text and
 * *json; 1: not such a BMP; -1 with env->err (refused as broken, or out of memory). */
static int vp_info_bmp(const char *path, const char *name, baton__exec_env *env, char **text,
                       char **json) {
  baton__bmp_facts f;
  char why[200];
  baton__bmp_read r = baton__bmp_header(path, &f, why, sizeof why);
  if (r == BATON__BMP_NOT_READ)
    return 1;
  if (r == BATON__BMP_BROKEN)
    return vp_cannot_decode(env, name, why);
  return baton__image_info_bmp(&f, path, name, text, json, env->err, sizeof env->err);
}

/* image-information of any other picture, from the header libvips opens. 0, or -1 with
 * env->err. */
static int vp_info_vips(const char *path, const char *name, baton__exec_env *env, char **text,
                        char **json) {
  VipsImage *img = vp_open(path, name, false, env); /* (header only) */
  if (!img)
    return -1;
  int rc = baton__image_info(img, path, name, text, json, env->err, sizeof env->err);
  g_object_unref(img);
  return rc;
}

/* image-information: the picture's facts ("how big is photo.jpg?"), read from its header. */
static int vp_info(const baton__values *in, baton__exec_env *env, baton__values *out) {
  const char *image = baton__run_arg(in, "image", BATON__T_IMAGE);
  if (!image || !*image)
    return baton__run_bad_input(env, "image-information needs an \"image\" file to read");
  const char *name = baton__given_name(image);
  if (!baton__run_file_fits(env, image, baton__run_max_input(env, VP_DEFAULT_MAX_INPUT), "image"))
    return -1;
  char *text = NULL, *json = NULL;
  int rc = vp_info_bmp(image, name, env, &text, &json);
  if (rc == 1)
    rc = vp_info_vips(image, name, env, &text, &json);
  if (rc != 0)
    return -1;
  const baton__output outs[] = {{"text", BATON__T_TEXT, text, false},
                                {"json", BATON__T_JSON, json, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static int vp_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  if (strcmp(task, "image-information") == 0)
    return vp_info(in, env, out);
  int64_t deadline = baton__run_deadline(env);
  const char *image = baton__run_arg(in, "image", BATON__T_IMAGE);
  const char *instr = vp_instruction(task, in);
  if (vp_check_args(task, image, instr, env) != 0)
    return -1;
  vp_tokens *tk = NULL;
  vp_op ops[VP_MAX_OPS];
  size_t nops = 0;
  const char *ext = NULL;
  bool joins = baton__values_joined(in) != NULL; /* a second picture: join them */
  VipsImage *img = vp_parse(instr, joins, &tk, ops, &nops, &ext, env) == 0 ? vp_load(image, env)
                                                                            : NULL;
  baton__sb desc;
  baton__sb_init(&desc);
  if (img && !ext)
    ext = vp_format_read(img); /* the first picture's (before joining) */
  if (img && baton__vips_join(&img, in, instr, VP_MAX_PIXELS, vp_load, &desc, env) < 0)
    g_object_unref(img), img = NULL;
  if (!img) {
    free(tk);
    baton__sb_release(&desc);
    return -1;
  }
  char *path = vp_transform(&img, tk, ops, nops, ext, deadline, &desc, env);
  free(tk);
  g_object_unref(img);
  if (!path) {
    baton__sb_release(&desc);
    return -1;
  }
  const baton__output outs[] = {{"image", BATON__T_IMAGE, baton__path_absolute(path), false},
                                {"text", BATON__T_TEXT, baton__sb_detach(&desc), true}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const vp_tasks[] = {"image-to-image", "canny-control", "image-information",
                                       NULL};

const baton__executor baton__executor_vips = {
    .name = "vips",
    .model_id = "local/vips",
    .tasks = vp_tasks,
    .reentrant = true,
    .available = vp_available,
    .init = vp_init,
    .run = vp_run,
    .release = baton__executor_no_release,
};

#endif /* BATON_HAVE_VIPS */
