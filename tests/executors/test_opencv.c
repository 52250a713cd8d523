/* test_opencv.c — the OpenCV Haar cascade object-detection executor: a face in messi5.jpg, boxes, cascade choice, annotated image. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_OPENCV)

#include "executors/opencv_detect.h"
#include "support/pictures.h"

#define MESSI "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

static const baton__executor *cv(void) { return &baton__executor_opencv; }

static char *g_dir;
static void *g_state;

static void setup(void) {
  char err[512] = "";
  cr_assert_eq(cv()->init(NULL, &g_state, err, sizeof err), 0, "init failed: %s", err);
  g_dir = bt_tmpdir();
}

static void teardown(void) {
  cv()->release(g_state);
  bt_rmtree(g_dir);
  free(g_dir);
}

typedef struct result {
  int rc;
  bool bad_input; /* the failure was the input's fault */
  char *text, *image;
  cJSON *json;
  char err[512];
} result;

static result detect(const char *image, const char *words) {
  result r = {0};
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  cr_assert_eq(baton__values_add(&in, "image", BATON__T_IMAGE, image), 0);
  if (words)
    cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, words), 0);
  baton__exec_env env = {.workspace = g_dir, .file_prefix = "task2"};
  r.rc = cv()->run(g_state, "object-detection", &in, &env, &out);
  if (r.rc == 0) {
    const baton__value *t = baton__values_get(&out, "text");
    const baton__value *i = baton__values_get(&out, "image");
    const baton__value *j = baton__values_get(&out, "json");
    cr_assert(t && i && j, "missing outputs");
    cr_assert_eq(i->type, BATON__T_IMAGE);
    cr_assert_eq(j->type, BATON__T_JSON);
    r.text = baton__strdup(t->data);
    r.image = baton__strdup(i->data);
    r.json = cJSON_Parse(j->data);
    cr_assert(cJSON_IsArray(r.json), "json is not an array: %s", j->data);
  } else {
    cr_assert_neq(env.err[0], '\0', "failure without a message");
  }
  r.bad_input = env.bad_input;
  baton__fmt(r.err, sizeof r.err, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return r;
}

static void result_release(result *r) {
  free(r->text);
  free(r->image);
  cJSON_Delete(r->json);
}

static int box_int(cJSON *det, const char *k) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(det, "box"), k)->valueint;
}

Test(executors_opencv, is_available_here) {
  char why[512] = "unset";
  cr_assert(cv()->available(NULL, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(cv()->tasks[0], "object-detection");
}

Test(executors_opencv, finds_the_face_in_messi5, .init = setup, .fini = teardown) {
  if (!baton__file_exists(MESSI))
    cr_skip_test("%s is absent (install opencv-doc)", MESSI);
  result r = detect(MESSI, NULL);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found 1 face");
  cr_assert_eq(cJSON_GetArraySize(r.json), 1);
  cJSON *d = cJSON_GetArrayItem(r.json, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(d, "label")->valuestring, "face");
  double score = cJSON_GetObjectItem(d, "score")->valuedouble;
  cr_assert(score > 0.5 && score <= 1.0, "score %g", score);
  int x0 = box_int(d, "xmin"), y0 = box_int(d, "ymin"), x1 = box_int(d, "xmax"),
      y1 = box_int(d, "ymax");
  /* Messi's face in the 548x342 picture: centred near (245, 112), about 40 px wide. */
  int cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  cr_assert(cx > 225 && cx < 265 && cy > 90 && cy < 135, "box %d,%d-%d,%d misses the face", x0,
            y0, x1, y1);
  cr_assert(x1 - x0 > 20 && x1 - x0 < 100, "box %d,%d-%d,%d has an odd size", x0, y0, x1, y1);
  /* The annotated copy is a full-size image in the workspace. */
  char *want = baton__path_join(g_dir, "task2.png");
  cr_assert_str_eq(r.image, want);
  char err[256];
  baton__cv_image *img = baton__cv_image_load(r.image, r.image, 1e8, NULL, err, sizeof err);
  cr_assert_not_null(img, "%s", err);
  int w, h;
  baton__cv_image_size(img, &w, &h);
  cr_assert_eq(w, 548);
  cr_assert_eq(h, 342);
  baton__cv_image_free(img);
  free(want);
  result_release(&r);
}

Test(executors_opencv, the_request_words_choose_the_cascade, .init = setup, .fini = teardown) {
  if (!baton__file_exists(MESSI))
    cr_skip_test("%s is absent (install opencv-doc)", MESSI);
  result r = detect(MESSI, "how many cats are in this photo?");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert(strstr(r.text, "cat face"), "not the cat cascade: %s", r.text);
  for (int i = 0; i < cJSON_GetArraySize(r.json); i++)
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, i), "label")->valuestring, "cat face");
  result_release(&r);
  r = detect(MESSI, "find the eyes");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert(strstr(r.text, "eye"), "not the eye cascade: %s", r.text);
  result_release(&r);
  /* a thing no cascade finds is refused by name, not answered with the faces found */
  r = detect(MESSI, "count the dogs in this photo");
  cr_assert_neq(r.rc, 0, "answered: %s", r.text);
  cr_assert(strstr(r.err, "not what \"count the dogs in this photo\" names") &&
                strstr(r.err, "object detection model"), "%s", r.err);
  result_release(&r);
  r = detect(MESSI, "find the people and their dogs"); /* people are found */
  cr_assert_eq(r.rc, 0, "%s", r.err);
  result_release(&r);
}

Test(executors_opencv, objects_in_general_are_refused_not_answered_with_faces, .init = setup,
     .fini = teardown) {
  if (!baton__file_exists(MESSI))
    cr_skip_test("%s is absent (install opencv-doc)", MESSI);
  static const char *const asked[] = {"detect objects in messi5.jpg",
                                      "what objects are in messi5.jpg?",
                                      "find all the things in this photo"};
  for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
    result r = detect(MESSI, asked[i]);
    cr_assert_neq(r.rc, 0, "%s: answered %s", asked[i], r.text);
    cr_assert(strstr(r.err, "finds faces") && strstr(r.err, "object detection model"), "%s",
              r.err);
    result_release(&r);
  }
  result r = detect(MESSI, "detect the faces and other objects"); /* faces are named */
  cr_assert_eq(r.rc, 0, "%s", r.err);
  result_release(&r);
}

/* Mean absolute difference between horizontal neighbours inside the box: how sharp it is. */
static double sharpness(const char *path, int x0, int y0, int x1, int y1) {
  char err[256];
  baton__cv_image *img = baton__cv_image_load(path, path, 1e8, NULL, err, sizeof err);
  cr_assert_not_null(img, "%s", err);
  double sum = 0;
  long n = 0;
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x < x1; x++, n++) {
      unsigned char a[3], b[3];
      cr_assert_eq(baton__cv_pixel(img, x, y, a), 0);
      cr_assert_eq(baton__cv_pixel(img, x + 1, y, b), 0);
      for (int c = 0; c < 3; c++)
        sum += abs((int)a[c] - (int)b[c]);
    }
  baton__cv_image_free(img);
  return n ? sum / (double)n : 0;
}

Test(executors_opencv, blurs_or_pixelates_what_it_finds_when_asked, .init = setup,
     .fini = teardown) {
  if (!baton__file_exists(MESSI))
    cr_skip_test("%s is absent (install opencv-doc)", MESSI);
  const char *asks[] = {"Blur the faces in messi5.jpg", "pixelate his face"};
  const char *said[] = {"found 1 face and blurred it", "found 1 face and pixelated it"};
  for (int i = 0; i < 2; i++) {
    result r = detect(MESSI, asks[i]);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_assert_str_eq(r.text, said[i]);
    cJSON *d = cJSON_GetArrayItem(r.json, 0);
    int x0 = box_int(d, "xmin"), y0 = box_int(d, "ymin"), x1 = box_int(d, "xmax"),
        y1 = box_int(d, "ymax");
    double before = sharpness(MESSI, x0, y0, x1, y1), after = sharpness(r.image, x0, y0, x1, y1);
    cr_assert(after < before / 3, "the face is still sharp: %.1f, was %.1f", after, before);
    /* away from the face the picture is as it was: the top-left corner, far from (245, 112) */
    cr_assert(fabs(sharpness(r.image, 0, 0, 60, 40) - sharpness(MESSI, 0, 0, 60, 40)) < 0.01);
    result_release(&r);
  }
  /* plain detection draws the box and leaves the face inside it as it is */
  result r = detect(MESSI, "find the faces");
  cr_assert_str_eq(r.text, "found 1 face");
  cJSON *d = cJSON_GetArrayItem(r.json, 0);
  int x0 = box_int(d, "xmin") + 5, y0 = box_int(d, "ymin") + 5, x1 = box_int(d, "xmax") - 5,
      y1 = box_int(d, "ymax") - 5;
  cr_assert(fabs(sharpness(r.image, x0, y0, x1, y1) - sharpness(MESSI, x0, y0, x1, y1)) < 0.01,
            "marking changed the face itself");
  result_release(&r);
}

/* "Crop the faces": the picture comes back cut down to the face, with a margin around it. */
Test(executors_opencv, crops_the_picture_to_what_it_finds_when_asked, .init = setup,
     .fini = teardown) {
  if (!baton__file_exists(MESSI))
    cr_skip_test("%s is absent (install opencv-doc)", MESSI);
  result r = detect(MESSI, "Crop the faces in messi5.jpg");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found 1 face and cropped the picture to it");
  cJSON *d = cJSON_GetArrayItem(r.json, 0);
  int w = box_int(d, "xmax") - box_int(d, "xmin") + 1;
  int h = box_int(d, "ymax") - box_int(d, "ymin") + 1;
  char err[256];
  baton__cv_image *img = baton__cv_image_load(r.image, r.image, 1e8, NULL, err, sizeof err);
  cr_assert_not_null(img, "%s", err);
  int cw = 0, ch = 0;
  baton__cv_image_size(img, &cw, &ch);
  baton__cv_image_free(img);
  cr_assert(cw >= w && cw <= w + 2 * (w / 10) && ch >= h && ch <= h + 2 * (h / 10),
            "cropped to %dx%d around a %dx%d face", cw, ch, w, h);
  result_release(&r);
  /* nothing found: nothing to crop to, the picture stays whole */
  char *sign = bt_source_path("examples/sign.png");
  r = detect(sign, "crop the faces");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found no faces");
  result_release(&r);
  free(sign);
}

/* People: the standing ones (two players in each basketball picture), or a face where the body
 * is hidden or in motion (the footballer in messi5.jpg); none in a picture of fruit. */
Test(executors_opencv, counts_people_standing_or_by_their_face, .init = setup,
     .fini = teardown) {
  static const struct {
    const char *file;
    int people;
  } cases[] = {{"basketball1.png", 2}, {"basketball2.png", 2}, {"messi5.jpg", 1},
               {"fruits.jpg", 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[256];
    snprintf(path, sizeof path, "/usr/share/doc/opencv-doc/examples/data/%s", cases[i].file);
    result r = detect(path, "how many people are there?");
    cr_assert_eq(r.rc, 0, "%s: %s", cases[i].file, r.err);
    cr_expect_eq(cJSON_GetArraySize(r.json), cases[i].people, "%s: %s", cases[i].file, r.text);
    for (int k = 0; k < cJSON_GetArraySize(r.json); k++)
      cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, k), "label")->valuestring,
                       "person");
    result_release(&r);
  }
}

Test(executors_opencv, a_picture_without_faces_finds_none, .init = setup, .fini = teardown) {
  char *sign = bt_source_path("examples/sign.png");
  result r = detect(sign, "detect faces");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found no faces");
  cr_assert_eq(cJSON_GetArraySize(r.json), 0);
  cr_assert(baton__file_exists(r.image));
  result_release(&r);
  free(sign);
}

/* A PNG whose header says 30000 x 30000 pixels is refused from its header, never decoded (OpenCV
 * took 18 s to decode one before refusing it), at libvips' limit of 100 megapixels. */
Test(executors_opencv, a_picture_over_the_pixel_limit_is_refused_before_decoding, .init = setup,
     .fini = teardown) {
  char *path = baton__path_join(g_dir, "huge.png");
  FILE *fp = fopen(path, "wb");
  cr_assert(fp && fwrite(bt_huge_png, 1, bt_huge_png_len, fp) == bt_huge_png_len &&
            fclose(fp) == 0);
  result r = detect(path, NULL);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "huge.png is 30000x30000 pixels, over 100 megapixels"), "%s", r.err);
  result_release(&r);
  free(path);
}

/* Detecting faces in the input `name` (the run's copy of it, inputs/t0-image-name, written by
 * write) is refused with the error err. */
static void expect_refused(const char *name, void (*write)(const char *path), const char *err) {
  char *inputs = baton__path_join(g_dir, "inputs"), copy[128];
  baton__fmt(copy, sizeof copy, "t0-image-%s", name);
  cr_assert_eq(baton__mkdirs(inputs, 0700), 0);
  char *path = baton__path_join(inputs, copy);
  write(path);
  result r = detect(path, NULL);
  cr_assert_neq(r.rc, 0, "%s was not refused", name);
  cr_assert_str_eq(r.err, err);
  result_release(&r);
  free(path);
  free(inputs);
}

static void write_wide_gif(const char *path) { bt_write_gif(path, 60000, 60000); }

/* OpenCV 4.6 has no GIF decoder: a GIF is refused as one it does not read, not by its logical
 * screen (60000 x 60000 around a 1 x 1 picture), which it never allocates. */
Test(executors_opencv, a_gif_is_refused_as_unread_not_by_its_logical_screen, .init = setup,
     .fini = teardown) {
  expect_refused("wide.gif", write_wide_gif,
                 "cannot decode wide.gif as an image: OpenCV reads no GIF pictures");
}

static void write_wide_animation(const char *path) {
  bt_write_webp_vp8x(path, 20000, 20000, true);
}
static void write_small_animation(const char *path) { bt_write_webp_vp8x(path, 4, 4, true); }

/* OpenCV 4.6's WebP decoder refuses an animated WebP from its header, whatever its canvas. */
Test(executors_opencv, an_animated_webp_is_refused_as_unread_not_by_its_canvas, .init = setup,
     .fini = teardown) {
  expect_refused("wide.webp", write_wide_animation,
                 "cannot decode wide.webp as an image: OpenCV reads no animated WebP pictures");
  expect_refused("small.webp", write_small_animation,
                 "cannot decode small.webp as an image: OpenCV reads no animated WebP pictures");
}

static void write_wide_canvas(const char *path) { bt_write_webp_vp8x(path, 20000, 20000, false); }

/* A still extended WebP is decoded into its canvas, which OpenCV allocates first: one 4 x 4 is
 * read, one over 100 megapixels refused from its header. */
Test(executors_opencv, a_still_webp_is_measured_by_its_canvas, .init = setup, .fini = teardown) {
  char *path = baton__path_join(g_dir, "small.webp");
  bt_write_webp_vp8x(path, 4, 4, false);
  result r = detect(path, NULL);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found no faces");
  result_release(&r);
  free(path);
  expect_refused("canvas.webp", write_wide_canvas,
                 "canvas.webp is 20000x20000 pixels, over 100 megapixels");
}

static void write_jpeg_after_metadata(const char *path) {
  unsigned char jpeg[32];
  size_t len = bt_jpeg_frame_only(jpeg, 30000, 30000);
  bt_write_jpeg_with_metadata(path, jpeg, len, 300 * 1024);
}

static void write_jpeg_cut_in_metadata(const char *path) {
  unsigned char jpeg[32];
  size_t len = bt_jpeg_frame_only(jpeg, 640, 480);
  bt_write_jpeg_with_metadata(path, jpeg, len, 300 * 1024);
  cr_assert_eq(truncate(path, 200 * 1024), 0);
}

/* A JPEG's frame header is found after 300 KiB of metadata, before decoding it; a JPEG cut off
 * before it is refused, saying so. */
Test(executors_opencv, a_jpeg_is_measured_wherever_its_frame_header_is, .init = setup,
     .fini = teardown) {
  expect_refused("meta.jpg", write_jpeg_after_metadata,
                 "meta.jpg is 30000x30000 pixels, over 100 megapixels");
  expect_refused("cut.jpg", write_jpeg_cut_in_metadata,
                 "cannot decode cut.jpg as an image: it ends before its JPEG frame header (cut "
                 "short?)");
}

/* messi5.jpg with 300 KiB of metadata before its frame header is measured and read as before. */
Test(executors_opencv, a_photo_with_much_metadata_is_read, .init = setup, .fini = teardown) {
  size_t len;
  char *jpeg = bt_slurp(MESSI, &len);
  char *path = baton__path_join(g_dir, "messi_exif.jpg");
  bt_write_jpeg_with_metadata(path, (const unsigned char *)jpeg, len, 300 * 1024);
  result r = detect(path, NULL);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_str_eq(r.text, "found 1 face");
  result_release(&r);
  free(path);
  free(jpeg);
}

Test(executors_opencv, a_broken_image_is_named, .init = setup, .fini = teardown) {
  char *bad = baton__path_join(g_dir, "broken.jpg");
  bt_write(bad, "not a jpeg");
  result r = detect(bad, NULL);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "broken.jpg"), "unclear error: %s", r.err);
  cr_assert(r.bad_input, "a picture OpenCV cannot decode is the input's fault, not the model's");
  r = detect("/nonexistent/face.jpg", NULL);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "/nonexistent/face.jpg"), "unclear error: %s", r.err);
  free(bad);
}

/* The run's copy of an input (runs/<id>/inputs/t0-image-bad.png) is named as the user gave it. */
Test(executors_opencv, a_broken_input_is_named_as_given, .init = setup, .fini = teardown) {
  char *inputs = baton__path_join(g_dir, "inputs");
  cr_assert_eq(baton__mkdirs(inputs, 0700), 0);
  char *bad = baton__path_join(inputs, "t0-image-bad.png");
  bt_write(bad, "not a png");
  result r = detect(bad, NULL);
  cr_assert_neq(r.rc, 0);
  cr_assert_str_eq(r.err, "cannot decode bad.png as an image");
  free(bad);
  free(inputs);
}

#else
Test(executors_opencv, not_built) { cr_skip_test("built without OpenCV"); }
#endif
