/* opencv.c — the "object-detection" executor: OpenCV Haar cascades (faces, eyes, smiles, cat faces, number plates, people) chosen from the request's words. */
#include "executors/executor.h"

#if defined(BATON_HAVE_OPENCV)

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "executors/opencv_detect.h"
#include "core/banned.h"

/* Debian's opencv-data package. */
#define CV_CASCADE_DIR "/usr/share/opencv4/haarcascades"
#define CV_MAX_BOXES 100
#define CV_MAX_SIDE 1600 /* images are searched at most this large (speed bound) */
#define CV_MAX_PIXELS (100.0 * 1000.0 * 1000.0)
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
    {"haarcascade_fullbody.xml", "person", "people",
     {"person", "persons", "people", "pedestrian", "pedestrians", "body", "bodies", "human",
      "humans", NULL}},
};
#define CV_N_KINDS (sizeof cv_kinds / sizeof cv_kinds[0])
#define CV_DEFAULT_KIND 5

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

/* Whether the lower-cased text holds word w as a whole word. */
static bool has_word(const char *text, const char *w) {
  size_t n = strlen(w);
  for (const char *p = text; (p = strstr(p, w)); p++) {
    bool start = p == text || !isalnum((unsigned char)p[-1]);
    bool end = !isalnum((unsigned char)p[n]);
    if (start && end)
      return true;
  }
  return false;
}

/* The cascade the request's words ask for. */
static size_t cv_pick(const char *text) {
  if (!text || !*text)
    return CV_DEFAULT_KIND;
  char low[CV_MAX_WORDS_TEXT];
  baton__fmt(low, sizeof low, "%s", text);
  for (char *p = low; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  for (size_t k = 0; k < CV_N_KINDS; k++)
    for (size_t c = 0; cv_kinds[k].cues[c]; c++)
      if (has_word(low, cv_kinds[k].cues[c]))
        return k;
  return CV_DEFAULT_KIND;
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

static int cv_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)task;
  cv_state *st = state;
  int64_t deadline = env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms : 0;
  const baton__value *iv = baton__values_get(in, "image");
  if (!iv)
    iv = baton__values_get_type(in, BATON__T_IMAGE);
  if (!iv || !iv->data || !*iv->data) {
    baton__fmt(env->err, sizeof env->err, "object-detection needs an \"image\" to search");
    return -1;
  }
  if (!env->workspace || !env->file_prefix) {
    baton__fmt(env->err, sizeof env->err, "no workspace to write the annotated image into");
    return -1;
  }
  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                     : CV_DEFAULT_MAX_INPUT;
  struct stat sb;
  if (stat(iv->data, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    baton__fmt(env->err, sizeof env->err, "cannot read the image %s", iv->data);
    return -1;
  }
  if ((unsigned long long)sb.st_size > (unsigned long long)max) {
    baton__fmt(env->err, sizeof env->err, "the image %s is %lld bytes, over the limit of %zu",
               iv->data, (long long)sb.st_size, max);
    return -1;
  }
  size_t k = cv_pick(cv_words(in));
  if (!st->cascades[k]) {
    char path[512];
    cv_cascade_path(k, path, sizeof path);
    if (!(st->cascades[k] = baton__cv_cascade_load(path, env->err, sizeof env->err)))
      return -1;
  }
  if (baton__exec_cancelled(env)) {
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }
  baton__cv_image *img = baton__cv_image_load(iv->data, CV_MAX_PIXELS, env->err, sizeof env->err);
  if (!img)
    return -1;
  baton__cv_box boxes[CV_MAX_BOXES];
  size_t n = 0;
  if (baton__cv_detect(st->cascades[k], img, CV_MAX_SIDE, boxes, CV_MAX_BOXES, &n, env->err,
                       sizeof env->err) != 0) {
    baton__cv_image_free(img);
    return -1;
  }
  /* Detection itself cannot be interrupted: its time is bounded by CV_MAX_SIDE. */
  if (baton__exec_cancelled(env) || (deadline && baton__now_ms() > deadline)) {
    baton__cv_image_free(img);
    if (baton__exec_cancelled(env))
      baton__fmt(env->err, sizeof env->err, "cancelled");
    else
      baton__fmt(env->err, sizeof env->err, "object detection ran past %ld ms", env->timeout_ms);
    return -1;
  }
  const cv_kind *kind = &cv_kinds[k];
  baton__cv_draw(img, boxes, n, kind->label);
  char name[300];
  baton__fmt(name, sizeof name, "%s.png", env->file_prefix);
  char *path = baton__path_join(env->workspace, name);
  if (!path) {
    baton__cv_image_free(img);
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  int rc = baton__cv_image_save(img, path, env->err, sizeof env->err);
  baton__cv_image_free(img);
  if (rc != 0) {
    free(path);
    return -1;
  }
  path = baton__path_absolute(path);

  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON *box = cJSON_CreateObject();
    if (!o || !box) {
      cJSON_Delete(o);
      cJSON_Delete(box);
      break;
    }
    cJSON_AddStringToObject(o, "label", kind->label);
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
  baton__sb sum;
  baton__sb_init(&sum);
  if (n == 0)
    baton__sb_addf(&sum, "found no %s", kind->plural);
  else
    baton__sb_addf(&sum, "found %zu %s", n, n == 1 ? kind->label : kind->plural);
  const baton__output outs[] = {{"text", BATON__T_TEXT, baton__sb_detach(&sum), false},
                                {"image", BATON__T_IMAGE, path, false},
                                {"json", BATON__T_JSON, js, false}};
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
