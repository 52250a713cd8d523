/* image_join.c — the vips executor's joining of pictures ("image2" ... "image9"): side by side, one above another or in a grid, each scaled to a common height or width. */
#include "executors/image_join.h"

#if defined(BATON_HAVE_VIPS)

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define IJ_MAX 9 /* pictures in one join: "image", then "image2" ... "image9" */
#define IJ_MAX_INSTRUCTION 2048 /* bytes of the instruction read for the layout (vips.c's bound) */

typedef enum { IJ_ROW, IJ_COLUMN, IJ_GRID } ij_layout;

/* Words asking for one picture above another, and for a grid. */
static const char *const ij_column_words[] = {"vertically", "vertical", "on top", "above",
                                              "below", "stack", "top to bottom", NULL};
static const char *const ij_grid_words[] = {"grid", "collage", "tile", NULL};

/* How to lay n pictures out: a grid only with more than two ("a collage of a.jpg and b.jpg" is a
 * row). */
static ij_layout ij_layout_of(const char *low, size_t n) {
  if (baton__run_any_word(low, ij_column_words, false))
    return IJ_COLUMN;
  return n > 2 && baton__run_any_word(low, ij_grid_words, false) ? IJ_GRID : IJ_ROW;
}

/* *img as 8-bit sRGB, with an alpha band when `alpha`. 0, or -1 (libvips' error buffer). */
static int ij_normalise(VipsImage **img, bool alpha) {
  VipsImage *t[3] = {NULL, NULL, NULL};
  int rc = vips_colourspace(*img, &t[0], VIPS_INTERPRETATION_sRGB, NULL) ||
           vips_cast_uchar(t[0], &t[1], NULL);
  if (rc == 0 && alpha && !vips_image_hasalpha(t[1]))
    rc = vips_addalpha(t[1], &t[2], NULL);
  else if (rc == 0)
    t[2] = g_object_ref(t[1]);
  if (rc == 0) {
    g_object_unref(*img);
    *img = g_object_ref(t[2]);
  }
  for (size_t i = 0; i < 3; i++)
    if (t[i])
      g_object_unref(t[i]);
  return rc ? -1 : 0;
}

/* Scales *img by s (1: left as it is). 0, or -1. */
static int ij_scale(VipsImage **img, double s) {
  VipsImage *out = NULL;
  if (fabs(s - 1.0) < 1e-9)
    return 0;
  if (vips_resize(*img, &out, s, NULL) != 0)
    return -1;
  g_object_unref(*img);
  *img = out;
  return 0;
}

/* The common height (row, grid) or width (column): the smallest, so nothing is enlarged. */
static int ij_common_size(VipsImage *const *in, size_t n, ij_layout layout) {
  int size = 0;
  for (size_t i = 0; i < n; i++) {
    int s = layout == IJ_COLUMN ? vips_image_get_width(in[i]) : vips_image_get_height(in[i]);
    size = i == 0 || s < size ? s : size;
  }
  return size;
}

/* Opens "image2" ... "image9" into in[1..]: how many pictures in all, or 0 with env->err set. */
static size_t ij_load_rest(const baton__values *in, VipsImage **imgs, baton__vips_loader load,
                           baton__exec_env *env) {
  size_t n = 1;
  char name[8];
  for (int k = 2; k <= IJ_MAX; k++) {
    baton__fmt(name, sizeof name, "image%d", k);
    const baton__value *v = baton__values_get(in, name); /* by name only: not "image" again */
    if (v && v->data && !(imgs[n] = load(v->data, env)))
      return 0;
    n += v && v->data;
  }
  return n;
}

/* The n pictures in a grid about as wide as high, each centred in cells as large as the largest
 * one, gaps `bg`, into *out. 0, or -1. */
static int ij_grid(VipsImage **imgs, size_t n, VipsArrayDouble *bg, VipsImage **out) {
  return vips_arrayjoin(imgs, out, (int)n, "across", (int)ceil(sqrt((double)n)), "background", bg,
                        "halign", VIPS_ALIGN_CENTRE, "valign", VIPS_ALIGN_CENTRE, NULL);
}

/* The n pictures in a row (a column), each right after the one before, into *out. 0, or -1. */
static int ij_line(VipsImage **imgs, size_t n, ij_layout layout, VipsArrayDouble *bg,
                   VipsImage **out) {
  VipsDirection dir = layout == IJ_COLUMN ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL;
  VipsImage *line = g_object_ref(imgs[0]);
  for (size_t i = 1; line && i < n; i++) {
    VipsImage *longer = NULL;
    if (vips_join(line, imgs[i], &longer, dir, "expand", TRUE, "background", bg, "align",
                  VIPS_ALIGN_CENTRE, NULL) != 0)
      longer = NULL;
    g_object_unref(line);
    line = longer;
  }
  *out = line;
  return line ? 0 : -1;
}

/* Brings the n pictures to one colour space, alpha and height (width), then joins them into
 * *out. 0, or -1 (libvips' error buffer). */
static int ij_arrange(VipsImage **imgs, size_t n, ij_layout layout, VipsImage **out, int *size) {
  bool alpha = false;
  for (size_t i = 0; i < n; i++)
    alpha |= vips_image_hasalpha(imgs[i]);
  *size = ij_common_size(imgs, n, layout);
  for (size_t i = 0; i < n; i++) {
    int own = layout == IJ_COLUMN ? vips_image_get_width(imgs[i])
                                  : vips_image_get_height(imgs[i]);
    if (ij_normalise(&imgs[i], alpha) != 0 || ij_scale(&imgs[i], (double)*size / own) != 0)
      return -1;
  }
  VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
  int rc = layout == IJ_GRID ? ij_grid(imgs, n, white, out) : ij_line(imgs, n, layout, white, out);
  vips_area_unref(VIPS_AREA(white));
  return rc;
}

int baton__vips_join(VipsImage **img, const baton__values *in, const char *instr,
                     double max_pixels, baton__vips_loader load, baton__sb *desc,
                     baton__exec_env *env) {
  VipsImage *imgs[IJ_MAX] = {g_object_ref(*img)}, *out = NULL;
  size_t n = ij_load_rest(in, imgs, load, env);
  int rc = n > 1 ? 0 : n ? 1 : -1, size = 0;
  char low[IJ_MAX_INSTRUCTION + 1];
  ij_layout layout = ij_layout_of(baton__run_lower(instr, low, sizeof low), n);
  if (rc == 0 && ij_arrange(imgs, n, layout, &out, &size) != 0)
    rc = baton__run_fail(env, "libvips failed joining the pictures: %s", vips_error_buffer());
  else if (rc == 0 && (double)vips_image_get_width(out) * vips_image_get_height(out) > max_pixels)
    rc = baton__run_fail(env, "the joined picture would be %dx%d, over %.0f megapixels",
                         vips_image_get_width(out), vips_image_get_height(out), max_pixels / 1e6);
  else if (rc == 0) {
    static const char *const how[] = {"side by side", "one above another", "in a grid"};
    baton__sb_addf(desc, "joined %zu pictures %s, each %d px %s", n, how[layout], size,
                   layout == IJ_COLUMN ? "wide" : "high");
    g_object_unref(*img);
    *img = out, out = NULL;
  }
  for (size_t i = 0; i < IJ_MAX; i++)
    if (imgs[i])
      g_object_unref(imgs[i]);
  if (out)
    g_object_unref(out);
  return rc;
}

#endif /* BATON_HAVE_VIPS */
