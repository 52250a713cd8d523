/* opencv.c — the "object-detection" executor: OpenCV Haar cascades (faces, eyes, smiles, cat faces, number plates) and its HOG people detector chosen from the request's words; what it finds is boxed, or blurred, pixelated or cropped to when asked. */
#include "executors/executor.h"

#if defined(BATON_HAVE_OPENCV)

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/opencv_detect.h"
#include "executors/picture_size.h"
#include "executors/run_common.h"
#include "core/banned.h"

/* Debian's opencv-data package. */
#define CV_CASCADE_DIR "/usr/share/opencv4/haarcascades"
#define CV_MAX_BOXES 100
#define CV_MAX_SIDE 1600 /* images are searched at most this large (speed bound) */
#define CV_MAX_PIXELS BATON__RUN_MAX_PIXELS
#define CV_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)
#define CV_MAX_WORDS_TEXT 4096

typedef struct cv_kind {
  const char *file, *label, *plural;
  const char *const cues[10];
} cv_kind;

/* In order of precedence when a request names several ("cat faces" is cats);
 * the face cascade is the default. */
static const cv_kind cv_kinds[] = {
    {"haarcascade_frontalcatface_extended.xml", "cat face", "cat faces",
     {"cat", "cats", "kitten", "kittens", "kitty", NULL}},
    {"haarcascade_russian_plate_number.xml", "licence plate", "licence plates",
     {"plate", "plates", "licence", "license", "registration", "numberplate", NULL}},
    {"haarcascade_profileface.xml", "face", "faces", {"profile", "profiles", "sideways", NULL}},
    {"haarcascade_smile.xml", "smile", "smiles", {"smile", "smiles", "smiling", NULL}},
    {"haarcascade_eye.xml", "eye", "eyes", {"eye", "eyes", NULL}},
    {"haarcascade_frontalface_alt.xml", "face", "faces",
     {"face", "faces", "head", "heads", NULL}},
    {"haarcascade_upperbody.xml", "upper body", "upper bodies",
     {"upper", "torso", "torsos", "shoulders", NULL}},
    {"haarcascade_lowerbody.xml", "lower body", "lower bodies", {"lower", "legs", NULL}},
    {NULL, "person", "people", /* OpenCV's HOG detector of standing people, and faces */
     {"person", "persons", "people", "pedestrian", "pedestrians", "body", "bodies", "human",
      "humans", NULL}},
};
#define CV_N_KINDS (sizeof cv_kinds / sizeof cv_kinds[0])
#define CV_DEFAULT_KIND 5 /* frontal faces */
#define CV_PROFILE_KIND 2

/* Words asking to hide what is found, not mark it: "pixelate the plates", "blur the faces". */
static const char *const cv_pixelate_words[] = {"pixelate", "pixelated", "pixelise", "pixelize",
                                                "pixelised", "pixelized", "mosaic", NULL};
static const char *const cv_blur_words[] = {
    "blur", "blurred", "blurring", "anonymize", "anonymise", "anonymized", "anonymised", "hide",
    "obscure", "conceal", "redact", "censor", NULL};
/* Words asking for the picture cut down to what is found: "crop the faces". */
static const char *const cv_crop_words[] = {"crop", "cropped", "cropping", "crops", NULL};

typedef struct cv_state {
  baton__cv_cascade *cascades[CV_N_KINDS]; /* loaded on first use */
} cv_state;

static void cv_cascade_path(size_t k, char *out, size_t cap) {
  baton__fmt(out, cap, "%s/%s", CV_CASCADE_DIR, cv_kinds[k].file);
}

static bool cv_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  char path[512];
  cv_cascade_path(CV_DEFAULT_KIND, path, sizeof path);
  if (!baton__file_exists(path)) {
    baton__fmt(why, whylen, "OpenCV's Haar cascades are missing (no %s); install opencv-data",
               path);
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int cv_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  if (!cv_available(cfg, err, errlen))
    return -1;
  cv_state *st = calloc(1, sizeof *st);
  if (!st) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  char path[512];
  cv_cascade_path(CV_DEFAULT_KIND, path, sizeof path);
  if (!(st->cascades[CV_DEFAULT_KIND] = baton__cv_cascade_load(path, err, errlen))) {
    free(st);
    return -1;
  }
  *state = st;
  return 0;
}

static void cv_release(void *state) {
  cv_state *st = state;
  if (!st)
    return;
  for (size_t k = 0; k < CV_N_KINDS; k++)
    baton__cv_cascade_free(st->cascades[k]);
  free(st);
}

/* Things an object detection model finds (COCO's classes, as people name them, and objects in
 * general: "detect objects in fruits.jpg") that no cascade here does: asked for by name, they
 * get a clear refusal, not the faces found by default. */
static const char *const cv_uncovered[] = {
    "car", "cars", "bicycle", "bicycles", "bike", "bikes", "motorcycle", "motorcycles", "bus",
    "buses", "truck", "trucks", "train", "trains", "boat", "boats", "plane", "planes", "airplane",
    "airplanes", "bird", "birds", "dog", "dogs", "puppy", "puppies", "horse", "horses", "sheep",
    "cow", "cows", "elephant", "elephants", "bear", "bears", "zebra", "zebras", "giraffe",
    "giraffes", "bottle", "bottles", "cup", "cups", "chair", "chairs", "sofa", "couch", "bed",
    "laptop", "laptops", "phone", "phones", "book", "books", "clock", "clocks", "umbrella",
    "umbrellas", "bag", "bags", "ball", "balls", "banana", "bananas", "apple", "apples", "pizza",
    "cake", "vase", "vases", "tree", "trees", "flower", "flowers", "traffic light",
    "traffic lights", "stop sign", "bench", "benches", "kite", "kites", "fruit", "food",
    "object", "objects", "thing", "things", "item", "items", NULL}; /* (objects of any kind) */

/* The cascade the request's lower-cased words ask for; -1 when they name a thing none finds. */
static int cv_pick(const char *low) {
  for (size_t k = 0; k < CV_N_KINDS; k++)
    if (baton__run_any_word(low, cv_kinds[k].cues, true))
      return (int)k;
  return baton__run_any_word(low, cv_uncovered, true) ? -1 : CV_DEFAULT_KIND;
}

/* How the lower-cased words ask to show what is found: boxes drawn, hidden, or cropped to. */
enum { CV_MARK, CV_PIXELATE, CV_BLUR, CV_CROP };
static int cv_show_mode(const char *low) {
  return baton__run_any_word(low, cv_pixelate_words, true) ? CV_PIXELATE
         : baton__run_any_word(low, cv_blur_words, true)    ? CV_BLUR
         : baton__run_any_word(low, cv_crop_words, true)    ? CV_CROP : CV_MARK;
}

static const char *cv_words(const baton__values *in) {
  static const char *const names[] = {"instruction", "text", "labels", "query", "objects", NULL};
  for (size_t i = 0; names[i]; i++) {
    const baton__value *v = baton__values_get(in, names[i]);
    if (v && v->data && *v->data)
      return v->data;
  }
  const baton__value *v = baton__values_get_type(in, BATON__T_TEXT);
  return v ? v->data : NULL;
}

/* The cascade for kind k, loaded on first use. NULL with env->err set. */
static baton__cv_cascade *cv_cascade(cv_state *st, size_t k, baton__exec_env *env) {
  if (!st->cascades[k]) {
    char path[512];
    cv_cascade_path(k, path, sizeof path);
    st->cascades[k] = baton__cv_cascade_load(path, env->err, sizeof env->err);
  }
  return st->cascades[k];
}

/* Is the centre of box b inside one of boxes[0..n)? */
static bool cv_inside_any(const baton__cv_box *b, const baton__cv_box *boxes, size_t n) {
  int x = (b->xmin + b->xmax) / 2, y = (b->ymin + b->ymax) / 2;
  for (size_t i = 0; i < n; i++)
    if (x >= boxes[i].xmin && x <= boxes[i].xmax && y >= boxes[i].ymin && y <= boxes[i].ymax)
      return true;
  return false;
}

/* People: the standing ones OpenCV's HOG detector finds, and one more for each face (frontal,
 * then in profile) outside all of them: someone seated, turned or half in the picture. 0, or -1
 * with env->err set. */
static int cv_people(cv_state *st, const baton__cv_image *img, baton__cv_box *boxes, size_t *n,
                     baton__exec_env *env) {
  static const size_t faces[] = {CV_DEFAULT_KIND, CV_PROFILE_KIND};
  if (baton__cv_detect_people(img, CV_MAX_SIDE, boxes, CV_MAX_BOXES, n, env->err,
                              sizeof env->err) != 0)
    return -1;
  for (size_t f = 0; f < sizeof faces / sizeof faces[0]; f++) {
    baton__cv_box found[CV_MAX_BOXES];
    size_t m = 0;
    baton__cv_cascade *c = cv_cascade(st, faces[f], env);
    if (!c || baton__cv_detect(c, img, CV_MAX_SIDE, found, CV_MAX_BOXES, &m, env->err,
                               sizeof env->err) != 0)
      return -1;
    for (size_t i = 0; i < m && *n < CV_MAX_BOXES; i++)
      if (!cv_inside_any(&found[i], boxes, *n))
        boxes[(*n)++] = found[i];
  }
  return 0;
}

/* Refuses the picture at path (called `name`) from its header, before OpenCV decodes it, when
 * OpenCV would make more than CV_MAX_PIXELS of it or decodes none of it (reading its header is
 * cheap, and says why): a damaged JPEG; a GIF, for which OpenCV 4.6 has no decoder (its logical
 * screen is measured where OpenCV has one: the canvas it draws on); an animated WebP, which
 * OpenCV 4.6's WebP decoder refuses from its header. A still WebP is measured by its canvas,
 * which OpenCV allocates before decoding it. 0, or -1 with env->err set. */
static int cv_refused_from_header(const char *path, const char *name, baton__exec_env *env) {
  baton__picture_header hd;
  bool sized = baton__run_picture_header(path, &hd);
  if (hd.damaged)
    return baton__run_bad_input(env, "cannot decode %s as an image: %s", name, hd.damaged);
  if (!hd.format)
    return 0; /* another format (TIFF, PNM...): OpenCV says whether it decodes it */
  if (!baton__cv_can_decode(path))
    return baton__run_bad_input(env, "cannot decode %s as an image: OpenCV reads no %s pictures",
                                name, hd.format);
  if (hd.animated)
    return baton__run_bad_input(env, "cannot decode %s as an image: OpenCV reads no animated %s "
                                "pictures", name, hd.format);
  if (sized && hd.w * hd.h > CV_MAX_PIXELS)
    return baton__run_too_many_pixels(env, name, hd.w, hd.h);
  return 0;
}

/* Finds kind k's objects in the image at path into boxes (*n of them) and marks them on it (or
 * hides them, or crops it to them: mode), bounded in pixels and time. The image, or NULL with
 * env->err set. */
static baton__cv_image *cv_detect(cv_state *st, size_t k, int mode, const char *path,
                                  baton__cv_box *boxes, size_t *n, int64_t deadline,
                                  baton__exec_env *env) {
  const char *name = baton__input_name(path); /* not the run's copy of it */
  if (cv_refused_from_header(path, name, env) != 0)
    return NULL;
  int bad_input;
  baton__cv_image *img =
      baton__cv_image_load(path, name, CV_MAX_PIXELS, &bad_input, env->err, sizeof env->err);
  if (!img) {
    env->bad_input = bad_input != 0; /* a file that is no picture is not the model's fault */
    return NULL;
  }
  baton__cv_cascade *cascade = cv_kinds[k].file ? cv_cascade(st, k, env) : NULL;
  /* Detection itself cannot be interrupted: its time is bounded by CV_MAX_SIDE. */
  int rc = !cv_kinds[k].file ? cv_people(st, img, boxes, n, env)
           : cascade ? baton__cv_detect(cascade, img, CV_MAX_SIDE, boxes, CV_MAX_BOXES, n,
                                        env->err, sizeof env->err) : -1;
  if (rc != 0 || baton__run_must_stop(env, deadline, "object detection")) {
    baton__cv_image_free(img);
    return NULL;
  }
  if (mode == CV_MARK)
    baton__cv_draw(img, boxes, *n, cv_kinds[k].label);
  else if (mode == CV_CROP)
    baton__cv_crop(img, boxes, *n);
  else
    baton__cv_conceal(img, boxes, *n, mode == CV_PIXELATE);
  return img;
}

/* Saves the annotated image as the run's PNG. Its absolute path (caller
 * frees), or NULL with env->err set. */
static char *cv_save(baton__cv_image *img, baton__exec_env *env) {
  char *path = baton__run_out_path(env, "png");
  if (path && baton__cv_image_save(img, path, env->err, sizeof env->err) != 0) {
    free(path);
    path = NULL;
  }
  return baton__path_absolute(path);
}

/* The boxes as JSON: [{"label", "score", "box": {xmin, ymin, xmax, ymax}}], in the input
 * picture's pixels (also when the output is cropped).
 * malloc'd (caller frees), or NULL when out of memory. */
static char *cv_boxes_json(const baton__cv_box *boxes, size_t n, const char *label) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON *box = cJSON_CreateObject();
    if (!o || !box) {
      cJSON_Delete(o);
      cJSON_Delete(box);
      break;
    }
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddNumberToObject(o, "score", (double)(int)(boxes[i].score * 1000 + 0.5) / 1000.0);
    cJSON_AddNumberToObject(box, "xmin", boxes[i].xmin);
    cJSON_AddNumberToObject(box, "ymin", boxes[i].ymin);
    cJSON_AddNumberToObject(box, "xmax", boxes[i].xmax);
    cJSON_AddNumberToObject(box, "ymax", boxes[i].ymax);
    cJSON_AddItemToObject(o, "box", box);
    cJSON_AddItemToArray(arr, o);
  }
  char *js = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return js;
}

/* "found 2 faces", "found no cat faces", "found 1 face and blurred it", "found 2 faces and
 * cropped the picture to them". malloc'd, or NULL. */
static char *cv_summary(size_t n, const cv_kind *kind, int mode) {
  baton__sb sum;
  baton__sb_init(&sum);
  if (n == 0)
    baton__sb_addf(&sum, "found no %s", kind->plural);
  else
    baton__sb_addf(&sum, "found %zu %s", n, n == 1 ? kind->label : kind->plural);
  if (n > 0 && mode == CV_CROP)
    baton__sb_addf(&sum, " and cropped the picture to %s", n == 1 ? "it" : "them");
  else if (n > 0 && mode != CV_MARK)
    baton__sb_addf(&sum, " and %s %s", mode == CV_BLUR ? "blurred" : "pixelated",
                   n == 1 ? "it" : "them");
  return baton__sb_detach(&sum);
}

static int cv_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)task;
  cv_state *st = state;
  int64_t deadline = baton__run_deadline(env);
  const char *image = baton__run_arg(in, "image", BATON__T_IMAGE);
  if (!image || !*image)
    return baton__run_bad_input(env, "object-detection needs an \"image\" to search");
  if (!baton__run_has_workspace(env, "annotated image") ||
      !baton__run_file_fits(env, image, baton__run_max_input(env, CV_DEFAULT_MAX_INPUT), "image"))
    return -1;
  char low[CV_MAX_WORDS_TEXT];
  baton__run_lower(cv_words(in), low, sizeof low);
  int pick = cv_pick(low);
  if (pick < 0)
    return baton__run_fail(env, "the local detector (OpenCV's Haar cascades) finds faces, eyes, "
                                "smiles, people, cat faces and licence plates, not what \"%.80s\" "
                                "names: an object detection model is needed (set HF_TOKEN, or "
                                "declare one on a model server)", cv_words(in));
  size_t k = (size_t)pick;
  int mode = cv_show_mode(low);
  if (baton__run_must_stop(env, 0, "object detection"))
    return -1;
  baton__cv_box boxes[CV_MAX_BOXES];
  size_t n = 0;
  baton__cv_image *img = cv_detect(st, k, mode, image, boxes, &n, deadline, env);
  if (!img)
    return -1;
  char *path = cv_save(img, env);
  baton__cv_image_free(img);
  if (!path)
    return -1;
  const baton__output outs[] = {{"text", BATON__T_TEXT, cv_summary(n, &cv_kinds[k], mode), false},
                                {"image", BATON__T_IMAGE, path, false},
                                {"json", BATON__T_JSON, cv_boxes_json(boxes, n, cv_kinds[k].label),
                                 false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const cv_tasks[] = {"object-detection", NULL};

const baton__executor baton__executor_opencv = {
    .name = "opencv",
    .model_id = "local/opencv",
    .tasks = cv_tasks,
    .reentrant = false,
    .available = cv_available,
    .init = cv_init,
    .run = cv_run,
    .release = cv_release,
};

#endif /* BATON_HAVE_OPENCV */
