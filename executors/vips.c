/* vips.c — the "image-to-image" executor: libvips operations (grayscale, resize, rotate, flip, crop, blur, sharpen, edges, invert) chosen from an instruction's words. */
#include "executors/executor.h"

#if defined(BATON_HAVE_VIPS)

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

#include "core/util.h"
#include "core/banned.h"

#define VP_MAX_PIXELS (100.0 * 1000.0 * 1000.0) /* in and out: 100 megapixels */
#define VP_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)
#define VP_MAX_INSTRUCTION 2048
#define VP_MAX_TOKENS 128
#define VP_MAX_OPS 8
#define VP_TOKLEN 32

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

enum vp_kind { OP_GRAY, OP_RESIZE, OP_ROTATE, OP_FLIP, OP_CROP, OP_BLUR, OP_SHARPEN, OP_EDGES,
               OP_INVERT, OP_N };

/* Cue phrases (space-separated words) for each operation. */
static const char *const vp_cues[OP_N][14] = {
    [OP_GRAY] = {"grayscale", "greyscale", "gray", "grey", "black and white", "black-and-white",
                 "monochrome", "b&w", "desaturate", NULL},
    [OP_RESIZE] = {"resize", "scale", "rescale", "shrink", "enlarge", "upscale", "downscale",
                   "thumbnail", "smaller", "bigger", "larger", "half", "double", NULL},
    [OP_ROTATE] = {"rotate", "rotation", "upside down", NULL},
    [OP_FLIP] = {"flip", "mirror", "mirrored", NULL},
    [OP_CROP] = {"crop", "cut", NULL},
    [OP_BLUR] = {"blur", "blurry", "blurred", "soften", "smooth", NULL},
    [OP_SHARPEN] = {"sharpen", "sharper", "crisper", NULL},
    [OP_EDGES] = {"edge", "edges", "sobel", "canny", "outline", "outlines", NULL},
    [OP_INVERT] = {"invert", "inverted", "negative", "inverse", NULL},
};

#define VP_CAN_DO                                                                          \
  "grayscale / black and white, resize (\"resize to 200x100\", \"half size\", \"50%%\"), "  \
  "rotate (90, 180, 270, \"rotate left\"), flip / mirror (\"flip vertically\"), crop "     \
  "(\"crop to 100x100\", centred), blur (\"blur 4\"), sharpen, edge detection (sobel or "  \
  "canny), invert"

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

/* Number of tokens the phrase spans when it starts at token i, or 0. */
static size_t vp_phrase_at(const vp_tokens *tk, size_t i, const char *phrase) {
  size_t k = i;
  const char *p = phrase;
  while (*p) {
    const char *sp = strchr(p, ' ');
    size_t len = sp ? (size_t)(sp - p) : strlen(p);
    if (k >= tk->n || strlen(tk->t[k]) != len || memcmp(tk->t[k], p, len) != 0)
      return 0;
    k++;
    p += len;
    while (*p == ' ')
      p++;
  }
  return k - i;
}

typedef struct vp_op {
  enum vp_kind kind;
  size_t at, end; /* its tokens: [at, end) up to the next operation */
} vp_op;

/* Finds the operations in the order they are asked for. */
static size_t vp_find_ops(const vp_tokens *tk, vp_op *ops) {
  size_t n = 0;
  bool seen[OP_N] = {false};
  for (size_t i = 0; i < tk->n && n < VP_MAX_OPS;) {
    size_t span = 0;
    int kind = -1;
    for (int k = 0; k < OP_N && !span; k++)
      for (size_t c = 0; vp_cues[k][c] && !span; c++)
        if ((span = vp_phrase_at(tk, i, vp_cues[k][c])))
          kind = k;
    /* "50%" alone asks for a resize. */
    if (!span && strchr(tk->t[i], '%')) {
      span = 1;
      kind = OP_RESIZE;
    }
    if (span && !seen[kind]) {
      seen[kind] = true;
      ops[n].kind = (enum vp_kind)kind;
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

static bool vp_has(const vp_tokens *tk, size_t a, size_t b, const char *word) {
  for (size_t i = a; i < b; i++)
    if (vp_phrase_at(tk, i, word))
      return true;
  return false;
}

/* "200x100", "200 x 100", "200 by 100" in tokens [a,b). */
static bool vp_dims(const vp_tokens *tk, size_t a, size_t b, int *w, int *h) {
  for (size_t i = a; i < b; i++) {
    char tail;
    if (sscanf(tk->t[i], "%dx%d%c", w, h, &tail) == 2 && *w > 0 && *h > 0)
      return true;
    if (i + 2 < b && (strcmp(tk->t[i + 1], "x") == 0 || strcmp(tk->t[i + 1], "by") == 0) &&
        sscanf(tk->t[i], "%d%c", w, &tail) == 1 && sscanf(tk->t[i + 2], "%d%c", h, &tail) == 1 &&
        *w > 0 && *h > 0)
      return true;
  }
  return false;
}

/* The first plain number in tokens [a,b) (an optional sign, decimals, a
 * trailing '%' or "px"/"deg" unit noted). */
static bool vp_number(const vp_tokens *tk, size_t a, size_t b, double *v, bool *percent) {
  for (size_t i = a; i < b; i++) {
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
      *percent = i + 1 < b && (strcmp(tk->t[i + 1], "percent") == 0 ||
                               strcmp(tk->t[i + 1], "%") == 0);
      return true;
    }
  }
  return false;
}

static bool vp_pixels_ok(double w, double h) {
  return w >= 1 && h >= 1 && w * h <= VP_MAX_PIXELS;
}

/* One operation on *img (replaced on success). Describes it into sb. 0, or -1
 * with err set. */
static int vp_apply(const vp_op *op, const vp_tokens *tk, VipsImage **img, baton__sb *sb,
                    char *err, size_t errlen) {
  VipsImage *in = *img, *out = NULL;
  int w = vips_image_get_width(in), h = vips_image_get_height(in);
  int rc = -1;
  switch (op->kind) {
  case OP_GRAY:
    rc = vips_colourspace(in, &out, VIPS_INTERPRETATION_B_W, NULL);
    baton__sb_adds(sb, "grayscale");
    break;
  case OP_RESIZE: {
    int tw = 0, th = 0;
    double v = 0;
    bool pct = false;
    double sx = 0, sy = 0;
    if (vp_dims(tk, op->at, op->end, &tw, &th)) {
      sx = (double)tw / w;
      sy = (double)th / h;
    } else if (vp_number(tk, op->at, op->end, &v, &pct) && v > 0) {
      if (pct)
        sx = sy = v / 100.0;
      else if (v <= 10 && !vp_has(tk, op->at, op->end, "px") &&
               !vp_has(tk, op->at, op->end, "pixels") && !vp_has(tk, op->at, op->end, "wide"))
        sx = sy = v; /* "scale by 2", "resize 0.5" */
      else
        sx = sy = v / w; /* "resize to 300 pixels wide" */
    } else if (vp_has(tk, op->at, op->end, "half") || vp_has(tk, op->at, op->end, "smaller") ||
               vp_has(tk, op->at, op->end, "shrink") ||
               vp_has(tk, op->at, op->end, "downscale")) {
      sx = sy = vp_has(tk, op->at, op->end, "quarter") ? 0.25 : 0.5;
    } else if (vp_has(tk, op->at, op->end, "double") || vp_has(tk, op->at, op->end, "twice") ||
               vp_has(tk, op->at, op->end, "bigger") || vp_has(tk, op->at, op->end, "larger") ||
               vp_has(tk, op->at, op->end, "enlarge") ||
               vp_has(tk, op->at, op->end, "upscale")) {
      sx = sy = 2.0;
    } else if (vp_has(tk, op->at, op->end, "thumbnail")) {
      sx = sy = 128.0 / (w > h ? w : h);
    } else {
      baton__fmt(err, errlen,
                 "say how to resize: \"resize to 200x100\", \"half size\", \"50%%\" or "
                 "\"scale by 2\"");
      return -1;
    }
    double nw = round(w * sx), nh = round(h * sy);
    if (!vp_pixels_ok(nw, nh)) {
      baton__fmt(err, errlen, "resizing %dx%d to %.0fx%.0f is out of range (1 pixel to %.0f "
                 "megapixels)", w, h, nw, nh, VP_MAX_PIXELS / 1e6);
      return -1;
    }
    /* vips_resize rounds the size; aim at the pixel centre to land exactly. */
    rc = vips_resize(in, &out, (nw + 0.1) / w, "vscale", (nh + 0.1) / h, NULL);
    baton__sb_addf(sb, "resize to %.0fx%.0f", nw, nh);
    break;
  }
  case OP_ROTATE: {
    double v = 0;
    bool pct = false;
    double angle = 90;
    if (vp_number(tk, op->at, op->end, &v, &pct))
      angle = v;
    else if (vp_has(tk, op->at, op->end, "upside down") ||
             vp_has(tk, op->at, op->end, "around"))
      angle = 180;
    if (vp_has(tk, op->at, op->end, "left") || vp_has(tk, op->at, op->end, "anticlockwise") ||
        vp_has(tk, op->at, op->end, "counterclockwise") ||
        vp_has(tk, op->at, op->end, "counter-clockwise") ||
        vp_has(tk, op->at, op->end, "anti-clockwise"))
      angle = -angle;
    angle = fmod(angle, 360.0);
    if (angle < 0)
      angle += 360.0;
    if (angle == 0)
      rc = vips_copy(in, &out, NULL);
    else if (angle == 90)
      rc = vips_rot(in, &out, VIPS_ANGLE_D90, NULL);
    else if (angle == 180)
      rc = vips_rot(in, &out, VIPS_ANGLE_D180, NULL);
    else if (angle == 270)
      rc = vips_rot(in, &out, VIPS_ANGLE_D270, NULL);
    else
      rc = vips_rotate(in, &out, angle, NULL);
    baton__sb_addf(sb, "rotate %g degrees clockwise", angle);
    break;
  }
  case OP_FLIP: {
    bool vert = vp_has(tk, op->at, op->end, "vertically") ||
                vp_has(tk, op->at, op->end, "vertical") ||
                vp_has(tk, op->at, op->end, "upside") ||
                vp_has(tk, op->at, op->end, "top") ||
                vp_has(tk, op->at, op->end, "updown");
    rc = vips_flip(in, &out, vert ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL, NULL);
    baton__sb_adds(sb, vert ? "flip vertically" : "flip horizontally");
    break;
  }
  case OP_CROP: {
    int tw = 0, th = 0;
    if (!vp_dims(tk, op->at, op->end, &tw, &th)) {
      baton__fmt(err, errlen, "say the size to crop to, e.g. \"crop to 100x100\" (centred)");
      return -1;
    }
    if (tw > w)
      tw = w;
    if (th > h)
      th = h;
    rc = vips_crop(in, &out, (w - tw) / 2, (h - th) / 2, tw, th, NULL);
    baton__sb_addf(sb, "crop to %dx%d (centred)", tw, th);
    break;
  }
  case OP_BLUR: {
    double v = 0;
    bool pct = false;
    double sigma = 2.0;
    if (vp_number(tk, op->at, op->end, &v, &pct) && v > 0)
      sigma = v;
    if (sigma > 100)
      sigma = 100;
    rc = vips_gaussblur(in, &out, sigma, NULL);
    baton__sb_addf(sb, "gaussian blur (sigma %g)", sigma);
    break;
  }
  case OP_SHARPEN:
    rc = vips_sharpen(in, &out, NULL);
    baton__sb_adds(sb, "sharpen");
    break;
  case OP_EDGES: {
    bool canny = vp_has(tk, op->at, op->end, "canny");
    VipsImage *gray = NULL;
    /* Edges of the brightness; alpha dropped. */
    rc = vips_colourspace(in, &gray, VIPS_INTERPRETATION_B_W, NULL);
    if (rc == 0 && vips_image_get_bands(gray) > 1) {
      VipsImage *one = NULL;
      rc = vips_extract_band(gray, &one, 0, NULL);
      g_object_unref(gray);
      gray = one;
    }
    if (rc == 0) {
      if (canny) {
        VipsImage *f = NULL, *s = NULL;
        rc = vips_canny(gray, &f, NULL);
        /* canny gives float magnitudes: stretch to 0..255. */
        if (rc == 0)
          rc = vips_linear1(f, &s, 4.0, 0.0, NULL);
        if (rc == 0)
          rc = vips_cast_uchar(s, &out, NULL);
        if (f)
          g_object_unref(f);
        if (s)
          g_object_unref(s);
      } else {
        rc = vips_sobel(gray, &out, NULL);
      }
    }
    if (gray)
      g_object_unref(gray);
    baton__sb_adds(sb, canny ? "edges (canny)" : "edges (sobel)");
    break;
  }
  case OP_INVERT:
    if (vips_image_hasalpha(in)) {
      VipsImage *col = NULL, *alpha = NULL, *inv = NULL;
      int bands = vips_image_get_bands(in);
      rc = vips_extract_band(in, &col, 0, "n", bands - 1, NULL);
      if (rc == 0)
        rc = vips_extract_band(in, &alpha, bands - 1, NULL);
      if (rc == 0)
        rc = vips_invert(col, &inv, NULL);
      if (rc == 0)
        rc = vips_bandjoin2(inv, alpha, &out, NULL);
      if (col)
        g_object_unref(col);
      if (alpha)
        g_object_unref(alpha);
      if (inv)
        g_object_unref(inv);
    } else {
      rc = vips_invert(in, &out, NULL);
    }
    baton__sb_adds(sb, "invert");
    break;
  case OP_N:
    break;
  }
  if (rc != 0 || !out) {
    const char *ve = vips_error_buffer();
    baton__fmt(err, errlen, "libvips failed: %s", ve && *ve ? ve : "unknown error");
    if (out)
      g_object_unref(out);
    return -1;
  }
  g_object_unref(in);
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

static void vp_release(void *state) { (void)state; }

static int vp_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  vp_watch watch = {.env = env,
                    .deadline = env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms : 0};
  const baton__value *iv = baton__values_get(in, "image");
  if (!iv)
    iv = baton__values_get_type(in, BATON__T_IMAGE);
  const baton__value *tv = baton__values_get(in, "instruction");
  if (!tv)
    tv = baton__values_get(in, "text");
  if (!tv)
    tv = baton__values_get_type(in, BATON__T_TEXT);
  /* canny-control (HuggingGPT's ControlNet condition) is the canny edge map. */
  const baton__value canny = {.name = (char *)"instruction", .data = (char *)"canny edges"};
  if (!strcmp(task, "canny-control"))
    tv = &canny;
  if (!iv || !iv->data || !*iv->data) {
    baton__fmt(env->err, sizeof env->err, "%s needs an \"image\" to transform", task);
    return -1;
  }
  if (!tv || !tv->data || !*tv->data) {
    baton__fmt(env->err, sizeof env->err,
               "image-to-image needs an \"instruction\" saying what to do; it can do: " VP_CAN_DO);
    return -1;
  }
  if (strlen(tv->data) > VP_MAX_INSTRUCTION) {
    baton__fmt(env->err, sizeof env->err, "the instruction is over %d bytes", VP_MAX_INSTRUCTION);
    return -1;
  }
  if (!env->workspace || !env->file_prefix) {
    baton__fmt(env->err, sizeof env->err, "no workspace to write the image into");
    return -1;
  }
  if (baton__exec_cancelled(env)) {
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }
  vp_tokens *tk = malloc(sizeof *tk);
  if (!tk) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  vp_tokenize(tv->data, tk);
  vp_op ops[VP_MAX_OPS];
  size_t nops = vp_find_ops(tk, ops);
  if (nops == 0) {
    free(tk);
    baton__fmt(env->err, sizeof env->err,
               "the instruction names no image operation this executor knows; it can do: "
               VP_CAN_DO);
    return -1;
  }

  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                     : VP_DEFAULT_MAX_INPUT;
  struct stat st;
  if (stat(iv->data, &st) != 0 || !S_ISREG(st.st_mode)) {
    free(tk);
    baton__fmt(env->err, sizeof env->err, "cannot read the image %s", iv->data);
    return -1;
  }
  if ((unsigned long long)st.st_size > (unsigned long long)max) {
    free(tk);
    baton__fmt(env->err, sizeof env->err, "the image %s is %lld bytes, over the limit of %zu",
               iv->data, (long long)st.st_size, max);
    return -1;
  }
  VipsImage *img = vips_image_new_from_file(iv->data, NULL);
  if (!img) {
    free(tk);
    baton__fmt(env->err, sizeof env->err, "cannot decode %s as an image", iv->data);
    return -1;
  }
  if (!vp_pixels_ok(vips_image_get_width(img), vips_image_get_height(img))) {
    baton__fmt(env->err, sizeof env->err, "the image is %dx%d, over %.0f megapixels",
               vips_image_get_width(img), vips_image_get_height(img), VP_MAX_PIXELS / 1e6);
    g_object_unref(img);
    free(tk);
    return -1;
  }
  baton__sb desc;
  baton__sb_init(&desc);
  int rc = 0;
  for (size_t i = 0; i < nops && rc == 0; i++) {
    if (i)
      baton__sb_adds(&desc, ", then ");
    rc = vp_apply(&ops[i], tk, &img, &desc, env->err, sizeof env->err);
  }
  free(tk);
  char *path = NULL;
  if (rc == 0) {
    char name[300];
    baton__fmt(name, sizeof name, "%s.png", env->file_prefix);
    path = baton__path_join(env->workspace, name);
    if (!path) {
      baton__fmt(env->err, sizeof env->err, "out of memory");
      rc = -1;
    }
  }
  if (rc == 0) {
    /* The pipeline runs here, lazily: watch it for cancel and timeout. */
    vips_image_set_progress(img, TRUE);
    g_signal_connect(img, "eval", G_CALLBACK(vp_eval_cb), &watch);
    if (vips_pngsave(img, path, NULL) != 0 || watch.cancelled || watch.timed_out) {
      if (watch.cancelled)
        baton__fmt(env->err, sizeof env->err, "cancelled");
      else if (watch.timed_out)
        baton__fmt(env->err, sizeof env->err, "image-to-image ran past %ld ms", env->timeout_ms);
      else
        baton__fmt(env->err, sizeof env->err, "cannot write %s: %s", path, vips_error_buffer());
      remove(path);
      rc = -1;
    }
    g_signal_handlers_disconnect_by_data(img, &watch);
  }
  char dims[64] = "";
  if (rc == 0)
    baton__fmt(dims, sizeof dims, " -> %dx%d PNG", vips_image_get_width(img),
               vips_image_get_height(img));
  g_object_unref(img);
  if (rc != 0) {
    free(path);
    baton__sb_release(&desc);
    return -1;
  }
  baton__sb_adds(&desc, dims);
  const baton__output outs[] = {{"image", BATON__T_IMAGE, baton__path_absolute(path), false},
                                {"text", BATON__T_TEXT, baton__sb_detach(&desc), true}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const vp_tasks[] = {"image-to-image", "canny-control", NULL};

const baton__executor baton__executor_vips = {
    .name = "vips",
    .model_id = "local/vips",
    .tasks = vp_tasks,
    .reentrant = true,
    .available = vp_available,
    .init = vp_init,
    .run = vp_run,
    .release = vp_release,
};

#endif /* BATON_HAVE_VIPS */
