/* vips_ops.c — the vips executor's operations on a picture (grayscale, resize, rotate, flip, crop, blur, sharpen, edges, invert, brightness, contrast, sepia, colourfulness, warmth), each reading its own words of the instruction. */
#include "executors/vips_ops.h"

#if defined(BATON_HAVE_VIPS)

#include <math.h>
#include <string.h>

#include "executors/picture_size.h"
#include "core/banned.h"

/* What an operation reads besides the image, and where it reports. */
typedef struct vp_step {
  baton__vp_words ws; /* its words */
  baton__sb *desc;    /* it describes itself here */
  char *err;          /* why its words do not say enough (VP_EXPLAINED) */
  size_t errlen;
} vp_step;

/* What an operation returns besides 0 (done, *out set) and -1 (libvips
 * failed; its error buffer says why): the instruction did not say enough,
 * and the step's err says so. */
#define VP_EXPLAINED (-2)

static int vp_gray(VipsImage *in, VipsImage **out, const vp_step *st) {
  baton__sb_adds(st->desc, "grayscale");
  return vips_colourspace(in, out, VIPS_INTERPRETATION_B_W, NULL);
}

/* The words that say how much a resize scales. */
static const char *const vp_shrink_words[] = {"half", "smaller", "shrink", "downscale", NULL};
static const char *const vp_grow_words[] = {"double",  "twice",   "bigger", "larger",
                                            "enlarge", "upscale", NULL};
static const char *const vp_pixel_words[] = {"px", "pixels", "wide", NULL};

/* The scale factors a resize asks for on a w x h image. false when the
 * words say no size. */
static bool vp_resize_scale(const baton__vp_words *ws, int w, int h, double *sx, double *sy) {
  int tw = 0, th = 0;
  double v = 0;
  bool pct = false;
  if (baton__vp_dims(ws, &tw, &th)) {
    *sx = (double)tw / w;
    *sy = (double)th / h;
  } else if (baton__vp_number(ws, &v, &pct) && v > 0) {
    if (pct)
      *sx = *sy = v / 100.0;
    else if (v <= 10 && !baton__vp_has_any(ws, vp_pixel_words))
      *sx = *sy = v; /* "scale by 2", "resize 0.5" */
    else
      *sx = *sy = v / w; /* "resize to 300 pixels wide" */
  } else if (baton__vp_has_any(ws, vp_shrink_words)) {
    *sx = *sy = baton__vp_has(ws, "quarter") ? 0.25 : 0.5;
  } else if (baton__vp_has_any(ws, vp_grow_words)) {
    *sx = *sy = 2.0;
  } else if (baton__vp_has(ws, "thumbnail")) {
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
               nw, nh, BATON__RUN_MAX_PIXELS / 1e6);
    return VP_EXPLAINED;
  }
  baton__sb_addf(st->desc, "resize to %.0fx%.0f", nw, nh);
  /* vips_resize rounds the size; aim at the pixel centre to land exactly. */
  return vips_resize(in, out, (nw + 0.1) / w, "vscale", (nh + 0.1) / h, NULL);
}

/* The words that turn a rotation half way round, or the other way. */
static const char *const vp_half_turn_words[] = {"upside down", "around", NULL};
static const char *const vp_leftward_words[] = {"left", "anticlockwise", "counterclockwise",
                                                "counter-clockwise", "anti-clockwise", NULL};

/* The clockwise angle a rotation asks for, in [0, 360). */
static double vp_rotate_angle(const baton__vp_words *ws) {
  double v = 0;
  bool pct = false;
  double angle = 90;
  if (baton__vp_number(ws, &v, &pct))
    angle = v;
  else if (baton__vp_has_any(ws, vp_half_turn_words))
    angle = 180;
  if (baton__vp_has_any(ws, vp_leftward_words))
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

/* The words that make a flip top to bottom. */
static const char *const vp_vertical_words[] = {"vertically", "vertical", "upside", "top",
                                                "updown", NULL};

static int vp_flip(VipsImage *in, VipsImage **out, const vp_step *st) {
  bool vert = baton__vp_has_any(&st->ws, vp_vertical_words);
  baton__sb_adds(st->desc, vert ? "flip vertically" : "flip horizontally");
  return vips_flip(in, out, vert ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL, NULL);
}

/* "A square" (centred), "the left half", "the bottom half": the part of a w x h picture a crop
 * keeps, into *tw x *th at (*x, *y); false if the words name none. */
static bool vp_crop_part(const baton__vp_words *ws, int w, int h, int *tw, int *th, int *x,
                         int *y) {
  bool square = baton__vp_has(ws, "square"), half = baton__vp_has(ws, "half");
  bool across = baton__vp_has(ws, "left") || baton__vp_has(ws, "right"); /* else top or bottom */
  bool far =
      baton__vp_has(ws, "right") || baton__vp_has(ws, "bottom") || baton__vp_has(ws, "lower");
  if (!square && !(half && baton__vp_has_side(ws)))
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
  bool sized = baton__vp_dims(&st->ws, &tw, &th); /* "a 200x200 square": that size */
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
  if (baton__vp_number(&st->ws, &v, &pct) && v > 0)
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
  bool canny = baton__vp_has(&st->ws, "canny");
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
static int vp_direction(const baton__vp_tokens *tk, size_t k) {
  const baton__vp_words one = {tk, k, k + 1};
  return baton__vp_has_any(&one, vp_raise) ? 1 : baton__vp_has_any(&one, vp_lower) ? -1 : 0;
}

/* How much an operation scales: by N% when its words (and the two before) give one, else by `up`,
 * or by `down` (and *less) when they lower it: the cue itself ("darker"), else the nearest of the
 * two words before it ("lower the brightness, more contrast"), else the nearest after it in its
 * words ("make the contrast of x.png lower"). 0 with st->err set for a percentage out of range. */
static double vp_factor(const vp_step *st, double up, double down, bool *less) {
  const baton__vp_tokens *tk = st->ws.tk;
  size_t at = st->ws.at, lo = at > 2 ? at - 2 : 0;
  int dir = vp_direction(tk, at);
  for (size_t k = at; !dir && k-- > lo;)
    dir = vp_direction(tk, k);
  for (size_t k = at + 1; !dir && k < st->ws.end; k++)
    dir = vp_direction(tk, k);
  baton__vp_words near = {tk, lo, st->ws.end};
  bool pct = false;
  double v = 0;
  *less = dir < 0;
  if (!baton__vp_number(&near, &v, &pct) || !pct)
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

/* More or less contrast: the colour bands spread from (or drawn to) their mean by a factor (by N%
 * when the words give one). */
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
  bool cool = baton__vp_has(&st->ws, "cool") || baton__vp_has(&st->ws, "cooler") ||
              baton__vp_has(&st->ws, "colder");
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

/* What each kind of operation does: reads in (borrowed) and writes *out; 0, -1 (libvips failed)
 * or VP_EXPLAINED. */
static int (*const vp_ops[BATON__VP_KINDS])(VipsImage *in, VipsImage **out, const vp_step *st) = {
    [BATON__VP_GRAY] = vp_gray,         [BATON__VP_RESIZE] = vp_resize,
    [BATON__VP_ROTATE] = vp_rotate,     [BATON__VP_FLIP] = vp_flip,
    [BATON__VP_CROP] = vp_crop,         [BATON__VP_BLUR] = vp_blur,
    [BATON__VP_SHARPEN] = vp_sharpen,   [BATON__VP_EDGES] = vp_edges,
    [BATON__VP_INVERT] = vp_invert,     [BATON__VP_LIGHT] = vp_light,
    [BATON__VP_CONTRAST] = vp_contrast, [BATON__VP_SEPIA] = vp_sepia,
    [BATON__VP_SATURATE] = vp_saturate, [BATON__VP_WARMTH] = vp_warmth,
};

/* One operation on *img (replaced on success). Describes it into sb. 0, or -1
 * with err set. */
int baton__vp_apply(const baton__vp_op *op, const baton__vp_tokens *tk, VipsImage **img,
                    baton__sb *sb, char *err, size_t errlen) {
  const vp_step st = {{tk, op->at, op->end}, sb, err, errlen};
  VipsImage *out = NULL;
  int rc = vp_ops[op->kind](*img, &out, &st);
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

#endif /* BATON_HAVE_VIPS */
