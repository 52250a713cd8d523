/* opencv_detect.cpp — OpenCV's Haar cascade and HOG people detection behind the C functions of opencv_detect.h (OpenCV 4 has no C API). */
#include "executors/opencv_detect.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <new>
#include <new>
#include <vector>

#include "core/banned.h"

struct baton__cv_cascade {
  cv::CascadeClassifier cc;
};

struct baton__cv_image {
  cv::Mat m;
};

namespace {

/* OpenCV logs warnings to stderr; the library never prints. Process-wide,
 * set once. */
std::once_flag quiet_once;

void quiet() {
  std::call_once(quiet_once,
                 [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); });
}

void set_err(char *err, size_t errlen, const char *what, const char *detail) {
  if (err && errlen)
    std::snprintf(err, errlen, "%s%s%s", what, detail && *detail ? ": " : "",
                  detail ? detail : "");
}

void decode_failed(char *err, size_t errlen, const char *name, const char *why) {
  if (err && errlen)
    std::snprintf(err, errlen, "OpenCV failed decoding %s%s%s", name, why ? ": " : "",
                  why ? why : "");
}

} // namespace

extern "C" baton__cv_cascade *baton__cv_cascade_load(const char *xml_path, char *err,
                                                     size_t errlen) {
  quiet();
  try {
    baton__cv_cascade *c = new baton__cv_cascade;
    if (!c->cc.load(xml_path) || c->cc.empty()) {
      delete c;
      set_err(err, errlen, "cannot load the Haar cascade", xml_path);
      return nullptr;
    }
    return c;
  } catch (const std::exception &e) {
    set_err(err, errlen, "OpenCV failed loading a cascade", e.what());
  } catch (...) {
    set_err(err, errlen, "OpenCV failed loading a cascade", nullptr);
  }
  return nullptr;
}

extern "C" void baton__cv_cascade_free(baton__cv_cascade *c) { delete c; }

extern "C" int baton__cv_can_decode(const char *path) {
  quiet();
  try {
    return cv::haveImageReader(path);
  } catch (...) {
    return 0;
  }
}

extern "C" baton__cv_image *baton__cv_image_load(const char *path, const char *name,
                                                 double max_pixels, int *bad_input, char *err,
                                                 size_t errlen) {
  quiet();
  int ignored;
  bad_input = bad_input ? bad_input : &ignored;
  *bad_input = 1;
  try {
    baton__cv_image *img = new baton__cv_image;
    img->m = cv::imread(path, cv::IMREAD_COLOR);
    if (img->m.empty()) {
      delete img;
      if (err && errlen)
        std::snprintf(err, errlen, "cannot decode %s as an image", name);
      return nullptr;
    }
    if ((double)img->m.cols * (double)img->m.rows > max_pixels) {
      if (err && errlen)
        std::snprintf(err, errlen, "%s is %dx%d pixels, over %.0f megapixels", name, img->m.cols,
                      img->m.rows, max_pixels / 1e6);
      delete img;
      return nullptr;
    }
    return img;
  } catch (const std::bad_alloc &) {
    *bad_input = 0;
    if (err && errlen)
      std::snprintf(err, errlen, "out of memory decoding %s", name);
  } catch (const std::exception &e) {
    decode_failed(err, errlen, name, e.what());
  } catch (...) {
    decode_failed(err, errlen, name, nullptr);
  }
  return nullptr;
}

extern "C" void baton__cv_image_free(baton__cv_image *img) { delete img; }

extern "C" void baton__cv_image_size(const baton__cv_image *img, int *w, int *h) {
  *w = img ? img->m.cols : 0;
  *h = img ? img->m.rows : 0;
}

/* The picture in grey, downscaled so that its long side is at most max_side; *f the factor. */
static cv::Mat gray_within(const baton__cv_image *img, int max_side, double *f) {
  cv::Mat gray;
  cv::cvtColor(img->m, gray, cv::COLOR_BGR2GRAY);
  int side = std::max(gray.cols, gray.rows);
  *f = 1.0;
  if (max_side > 0 && side > max_side) {
    *f = (double)max_side / side;
    cv::Mat small;
    cv::resize(gray, small, cv::Size(), *f, *f, cv::INTER_AREA);
    gray = small;
  }
  return gray;
}

/* A detection in the downscaled picture as a box of the input's pixels. */
static baton__cv_box box_of(const cv::Rect &r, double f, const baton__cv_image *img,
                            double score) {
  return baton__cv_box{(int)(r.x / f), (int)(r.y / f),
                       std::min(img->m.cols - 1, (int)((r.x + r.width) / f)),
                       std::min(img->m.rows - 1, (int)((r.y + r.height) / f)), score};
}

/* Writes at most cap of rects (found in a picture downscaled by f) into boxes, strongest first;
 * a box's score is its strength s as s / (s + half). */
static void keep_strongest(const std::vector<cv::Rect> &rects, const std::vector<double> &strength,
                           double half, double f, const baton__cv_image *img, baton__cv_box *boxes,
                           size_t cap, size_t *n) {
  std::vector<size_t> order(rects.size());
  for (size_t i = 0; i < order.size(); i++)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return strength[a] > strength[b]; });
  for (size_t k = 0; k < order.size() && *n < cap; k++) {
    double s = strength[order[k]];
    boxes[(*n)++] = box_of(rects[order[k]], f, img, s / (s + half));
  }
}

extern "C" int baton__cv_detect(baton__cv_cascade *c, const baton__cv_image *img, int max_side,
                                baton__cv_box *boxes, size_t cap, size_t *n, char *err,
                                size_t errlen) {
  *n = 0;
  const int min_neighbors = 4;
  try {
    double f;
    cv::Mat gray = gray_within(img, max_side, &f);
    std::vector<cv::Rect> rects;
    std::vector<int> hits;
    c->cc.detectMultiScale(gray, rects, hits, 1.1, min_neighbors, 0, cv::Size(20, 20));
    std::vector<double> strength(rects.size(), min_neighbors);
    for (size_t i = 0; i < rects.size() && i < hits.size(); i++)
      strength[i] = hits[i];
    keep_strongest(rects, strength, min_neighbors, f, img, boxes, cap, n);
    return 0;
  } catch (const std::exception &e) {
    set_err(err, errlen, "OpenCV detection failed", e.what());
  } catch (...) {
    set_err(err, errlen, "OpenCV detection failed", nullptr);
  }
  return -1;
}

extern "C" int baton__cv_detect_people(const baton__cv_image *img, int max_side,
                                       baton__cv_box *boxes, size_t cap, size_t *n, char *err,
                                       size_t errlen) {
  *n = 0;
  try {
    double f;
    cv::Mat gray = gray_within(img, max_side, &f);
    cv::HOGDescriptor hog; /* Dalal and Triggs' detector of standing people, 64x128 */
    hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
    std::vector<cv::Rect> rects;
    std::vector<double> weights;
    if (gray.cols >= hog.winSize.width && gray.rows >= hog.winSize.height)
      hog.detectMultiScale(gray, rects, weights, 0, cv::Size(8, 8), cv::Size(16, 16), 1.05, 2);
    for (double &w : weights) /* the SVM's margin */
      w = std::max(0.0, w);
    weights.resize(rects.size(), 0.0);
    keep_strongest(rects, weights, 1.0, f, img, boxes, cap, n);
    return 0;
  } catch (const std::exception &e) {
    set_err(err, errlen, "OpenCV people detection failed", e.what());
  } catch (...) {
    set_err(err, errlen, "OpenCV people detection failed", nullptr);
  }
  return -1;
}

extern "C" void baton__cv_draw(baton__cv_image *img, const baton__cv_box *boxes, size_t n,
                               const char *label) {
  try {
    int thick = std::max(2, std::max(img->m.cols, img->m.rows) / 400);
    double scale = std::max(0.5, std::max(img->m.cols, img->m.rows) / 1000.0);
    for (size_t i = 0; i < n; i++) {
      const baton__cv_box &b = boxes[i];
      cv::rectangle(img->m, cv::Point(b.xmin, b.ymin), cv::Point(b.xmax, b.ymax),
                    cv::Scalar(0, 255, 0), thick);
      if (label && *label)
        cv::putText(img->m, label, cv::Point(b.xmin, std::max(12, b.ymin - 4)),
                    cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 255, 0), thick);
    }
  } catch (...) {
    /* Drawing is best effort: the detections stand without it. */
  }
}

extern "C" void baton__cv_conceal(baton__cv_image *img, const baton__cv_box *boxes, size_t n,
                                  int pixelate) {
  try {
    const cv::Rect whole(0, 0, img->m.cols, img->m.rows);
    for (size_t i = 0; i < n; i++) {
      const baton__cv_box &b = boxes[i];
      int w = b.xmax - b.xmin + 1, h = b.ymax - b.ymin + 1, mx = w / 10, my = h / 10;
      /* a little beyond the box: a cascade's box hugs the face, not the hairline or chin */
      cv::Rect r = cv::Rect(b.xmin - mx, b.ymin - my, w + 2 * mx, h + 2 * my) & whole;
      if (r.width < 2 || r.height < 2)
        continue;
      cv::Mat roi = img->m(r);
      if (pixelate) { /* about eight cells across the longer side */
        int cell = std::max(2, std::max(r.width, r.height) / 8);
        cv::Mat small;
        cv::resize(roi, small, cv::Size(std::max(1, r.width / cell), std::max(1, r.height / cell)),
                   0, 0, cv::INTER_AREA);
        cv::resize(small, roi, roi.size(), 0, 0, cv::INTER_NEAREST);
      } else {
        cv::GaussianBlur(roi, roi, cv::Size(0, 0), std::max(r.width, r.height) / 5.0);
      }
    }
  } catch (...) {
    /* Left as it was: the caller checks nothing, the boxes stand. */
  }
}

extern "C" void baton__cv_crop(baton__cv_image *img, const baton__cv_box *boxes, size_t n) {
  if (!n)
    return;
  int x0 = boxes[0].xmin, y0 = boxes[0].ymin, x1 = boxes[0].xmax, y1 = boxes[0].ymax;
  for (size_t i = 1; i < n; i++) {
    x0 = std::min(x0, boxes[i].xmin), y0 = std::min(y0, boxes[i].ymin);
    x1 = std::max(x1, boxes[i].xmax), y1 = std::max(y1, boxes[i].ymax);
  }
  int w = x1 - x0 + 1, h = y1 - y0 + 1, mx = w / 10, my = h / 10;
  try {
    cv::Rect r = cv::Rect(x0 - mx, y0 - my, w + 2 * mx, h + 2 * my) &
                 cv::Rect(0, 0, img->m.cols, img->m.rows);
    if (r.width >= 2 && r.height >= 2)
      img->m = img->m(r).clone();
  } catch (...) {
    /* Left whole: the boxes stand, in the picture's own coordinates. */
  }
}

extern "C" int baton__cv_pixel(const baton__cv_image *img, int x, int y, unsigned char bgr[3]) {
  if (x < 0 || y < 0 || x >= img->m.cols || y >= img->m.rows || img->m.type() != CV_8UC3)
    return -1;
  const cv::Vec3b &v = img->m.at<cv::Vec3b>(y, x);
  bgr[0] = v[0], bgr[1] = v[1], bgr[2] = v[2];
  return 0;
}

extern "C" int baton__cv_image_save(const baton__cv_image *img, const char *path, char *err,
                                    size_t errlen) {
  try {
    if (cv::imwrite(path, img->m))
      return 0;
    set_err(err, errlen, "cannot write the image", path);
  } catch (const std::exception &e) {
    set_err(err, errlen, "OpenCV failed writing the image", e.what());
  } catch (...) {
    set_err(err, errlen, "OpenCV failed writing the image", path);
  }
  return -1;
}
