/* opencv_detect.h — a C face for OpenCV's Haar cascade and HOG people detectors (implemented in C++ in opencv_detect.cpp). */
#ifndef BATON_EXECUTORS_OPENCV_DETECT_H
#define BATON_EXECUTORS_OPENCV_DETECT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One detection, in the pixel coordinates of the input image. score is the
 * share of the cascade's overlapping raw hits that support the box (0..1;
 * above 0.5 once it reaches the detector's minimum neighbour count). */
typedef struct baton__cv_box {
  int xmin, ymin, xmax, ymax;
  double score;
} baton__cv_box;

/* A loaded cascade. Opaque. */
typedef struct baton__cv_cascade baton__cv_cascade;

/* Loads a cascade XML file. Returns a handle (free with
 * baton__cv_cascade_free) or NULL with a message in err. Thread-safe. */
baton__cv_cascade *baton__cv_cascade_load(const char *xml_path, char *err, size_t errlen);
/* NULL is a no-op. */
void baton__cv_cascade_free(baton__cv_cascade *c);

/* A decoded image. Opaque. */
typedef struct baton__cv_image baton__cv_image;

/* Whether this OpenCV has a decoder for the format of the picture at path (told from its first
 * bytes, not decoded: Debian 12's OpenCV 4.6 has none for GIF). false also when it does not open.
 * Thread-safe. */
int baton__cv_can_decode(const char *path);

/* Decodes an image file (anything OpenCV reads). Refuses images over
 * max_pixels. Returns a handle (free with baton__cv_image_free) or NULL with
 * err, which calls the file `name` (as the user gave it: baton__input_name),
 * and *bad_input (when not NULL) 1 when the file is at fault (not decoded, too
 * many pixels), 0 when memory ran out. Thread-safe. */
baton__cv_image *baton__cv_image_load(const char *path, const char *name, double max_pixels,
                                      int *bad_input, char *err, size_t errlen);
void baton__cv_image_free(baton__cv_image *img);
void baton__cv_image_size(const baton__cv_image *img, int *w, int *h);

/*
 * Runs the cascade on img (downscaled first when its long side is over
 * max_side, boxes mapped back). Writes at most cap boxes into boxes and
 * their number into *n (more hits are dropped, weakest first). 0, or -1 with
 * err. One cascade must not be used by two threads at once.
 */
int baton__cv_detect(baton__cv_cascade *c, const baton__cv_image *img, int max_side,
                     baton__cv_box *boxes, size_t cap, size_t *n, char *err, size_t errlen);

/*
 * Finds standing people in img with OpenCV's HOG people detector (Dalal and Triggs), downscaled
 * as baton__cv_detect does; boxes strongest first, score the detector's margin as 0..1. 0, or -1
 * with err. Thread-safe.
 */
int baton__cv_detect_people(const baton__cv_image *img, int max_side, baton__cv_box *boxes,
                            size_t cap, size_t *n, char *err, size_t errlen);

/* Draws each box with its label onto img. */
void baton__cv_draw(baton__cv_image *img, const baton__cv_box *boxes, size_t n,
                    const char *label);

/* Hides what each box holds (a margin of a tenth of its size around it too): a strong Gaussian
 * blur, or with pixelate a mosaic of about eight cells across. */
void baton__cv_conceal(baton__cv_image *img, const baton__cv_box *boxes, size_t n, int pixelate);

/* Cuts img down to the smallest rectangle around every box, with a margin of a tenth of its size
 * (clipped to the picture). No boxes: left as it is. */
void baton__cv_crop(baton__cv_image *img, const baton__cv_box *boxes, size_t n);

/* The blue, green and red of pixel (x, y) of a colour image: 0, or -1 outside it. */
int baton__cv_pixel(const baton__cv_image *img, int x, int y, unsigned char bgr[3]);

/* Writes img to path (format from the extension). 0, or -1 with err. */
int baton__cv_image_save(const baton__cv_image *img, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
