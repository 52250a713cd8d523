/* vips.c — the "image-to-image" executor (and image-information, image_info.c, a BMP's from bmp_header.c): a picture opened, the operations its instruction's words ask for (vips_words.c) done (vips_ops.c), pictures joined (image_join.c), saved as PNG, JPG, WebP, TIFF or GIF (by default as read). */
#include "executors/executor.h"

#if defined(BATON_HAVE_VIPS)

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
#include "executors/vips_ops.h"
#include "executors/vips_words.h"
#include "core/banned.h"

#define VP_MAX_PIXELS BATON__RUN_MAX_PIXELS /* in and out */
#define VP_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)
#define VP_MAX_INSTRUCTION 2048
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
static const char *vp_format(const baton__vp_tokens *tk, const baton__exec_env *env) {
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

static bool vp_compresses(const baton__vp_tokens *tk) {
  return baton__vp_has_any(&(baton__vp_words){tk, 0, tk->n}, vp_compress_words);
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
static int vp_parse(const char *instr, bool joins, baton__vp_tokens **tk, baton__vp_op *ops,
                    size_t *nops, const char **ext, baton__exec_env *env) {
  if (!(*tk = malloc(sizeof **tk)))
    return baton__run_fail(env, "out of memory");
  baton__vp_tokenize(instr, *tk);
  *nops = baton__vp_find_ops(*tk, ops);
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
static char *vp_transform(VipsImage **img, const baton__vp_tokens *tk, const baton__vp_op *ops,
                          size_t nops, const char *ext, int64_t deadline, baton__sb *desc,
                          baton__exec_env *env) {
  for (size_t i = 0; i < nops; i++) {
    if (desc->len)
      baton__sb_adds(desc, ", then ");
    if (baton__vp_apply(&ops[i], tk, img, desc, env->err, sizeof env->err) != 0)
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
  baton__vp_tokens *tk = NULL;
  baton__vp_op ops[BATON__VP_MAX_OPS];
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
