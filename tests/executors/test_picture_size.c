/* test_picture_size.c — a picture's size read from its header without decoding it: GIF's logical
 * screen, WebP's canvas and animation, a JPEG's frame header after any amount of metadata, and a
 * damaged JPEG refused within bounded reads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/picture_size.h"
#include "support/pictures.h"
#include "support/support.h"

static char *g_dir;

static void setup(void) { g_dir = bt_tmpdir(); }

static void teardown(void) {
  bt_rmtree(g_dir);
  free(g_dir);
}

/* The header of a file `name` in the test's folder holding the len bytes b (NULL: written). */
static baton__picture_header header_of(const char *name, const void *b, size_t len, bool *sized) {
  char *path = baton__path_join(g_dir, name);
  if (b) {
    FILE *fp = fopen(path, "wb");
    cr_assert(fp && fwrite(b, 1, len, fp) == len && fclose(fp) == 0);
  }
  baton__picture_header hd;
  *sized = baton__run_picture_header(path, &hd);
  free(path);
  return hd;
}

Test(executors_picture_size, a_gif_is_its_logical_screen, .init = setup, .fini = teardown) {
  char *path = baton__path_join(g_dir, "wide.gif");
  bt_write_gif(path, 60000, 50000);
  bool sized;
  baton__picture_header hd = header_of("wide.gif", NULL, 0, &sized);
  cr_assert(sized);
  cr_assert_str_eq(hd.format, "GIF");
  cr_assert(hd.w == 60000 && hd.h == 50000, "%gx%g", hd.w, hd.h);
  free(path);
}

Test(executors_picture_size, a_webp_is_its_canvas_and_says_when_it_is_animated, .init = setup,
     .fini = teardown) {
  char *still = baton__path_join(g_dir, "still.webp"), *anim = baton__path_join(g_dir, "a.webp");
  bt_write_webp_vp8x(still, 20000, 10000, false);
  bt_write_webp_vp8x(anim, 4, 4, true);
  bool sized;
  baton__picture_header hd = header_of("still.webp", NULL, 0, &sized);
  cr_assert(sized && !hd.animated);
  cr_assert(hd.w == 20000 && hd.h == 10000, "%gx%g", hd.w, hd.h);
  hd = header_of("a.webp", NULL, 0, &sized);
  cr_assert(sized && hd.animated);
  cr_assert_str_eq(hd.format, "WebP");
  cr_assert(hd.w == 4 && hd.h == 4, "%gx%g", hd.w, hd.h);
  free(still);
  free(anim);
}

/* 300 KiB of EXIF-like APP1 segments before the frame header: read past by their lengths. */
Test(executors_picture_size, a_jpeg_frame_header_after_much_metadata_is_found, .init = setup,
     .fini = teardown) {
  unsigned char jpeg[32];
  size_t len = bt_jpeg_frame_only(jpeg, 30000, 20000);
  char *path = baton__path_join(g_dir, "meta.jpg");
  bt_write_jpeg_with_metadata(path, jpeg, len, 300 * 1024);
  bool sized;
  baton__picture_header hd = header_of("meta.jpg", NULL, 0, &sized);
  cr_assert(sized, "%s", hd.damaged ? hd.damaged : "no size");
  cr_assert_str_eq(hd.format, "JPEG");
  cr_assert(hd.w == 30000 && hd.h == 20000, "%gx%g", hd.w, hd.h);
  free(path);
}

/* Cut anywhere before its frame header, a JPEG says so; cut after it, its size is still told. */
Test(executors_picture_size, a_jpeg_cut_short_is_damaged, .init = setup, .fini = teardown) {
  unsigned char jpeg[32];
  size_t len = bt_jpeg_frame_only(jpeg, 640, 480);
  char *path = baton__path_join(g_dir, "whole.jpg");
  bt_write_jpeg_with_metadata(path, jpeg, len, 70000);
  size_t n;
  char *whole = bt_slurp(path, &n);
  for (size_t cut = 2; cut < n; cut += cut < 80 ? 1 : 997) {
    bool sized;
    baton__picture_header hd = header_of("cut.jpg", whole, cut, &sized);
    if (cut >= n - 12) { /* its SOF0 is whole: only the components and EOI are cut */
      cr_assert(sized && hd.w == 640 && hd.h == 480, "cut at %zu", cut);
      continue;
    }
    cr_assert(!sized && hd.damaged, "cut at %zu: sized %d", cut, sized);
    cr_assert(strstr(hd.damaged, "cut short"), "cut at %zu: %s", cut, hd.damaged);
  }
  free(whole);
  free(path);
}

Test(executors_picture_size, a_malformed_jpeg_is_damaged_for_a_reason, .init = setup,
     .fini = teardown) {
  static const struct {
    const char *bytes;
    size_t len;
    const char *why;
  } cases[] = {
      {"\xFF\xD8\xFF\xE1\x00\x01xx", 8, "a JPEG segment's length is malformed"},
      {"\xFF\xD8\xFF\xC0\x00\x05\x08\x01\x00\x01\x00", 11, "a JPEG segment's length is malformed"},
      {"\xFF\xD8\xFF\xDA\x00\x08", 6, "its JPEG image data begins before its frame header"},
      {"\xFF\xD8\xFF\xD9", 4, "its JPEG image data begins before its frame header"},
      {"\xFF\xD8\xFF\xE1\xFF\xFF", 6, "it ends before its JPEG frame header (cut short?)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool sized;
    baton__picture_header hd = header_of("bad.jpg", cases[i].bytes, cases[i].len, &sized);
    cr_assert(!sized);
    cr_assert_str_eq(hd.damaged, cases[i].why, "case %zu", i);
  }
}

/* A hostile JPEG cannot make the walk go on: segments and stray bytes are bounded. */
Test(executors_picture_size, a_jpeg_walk_is_bounded, .init = setup, .fini = teardown) {
  size_t len = 2 + 5000 * 4;
  unsigned char *b = malloc(len + 70000);
  cr_assert(b);
  memcpy(b, "\xFF\xD8", 2);
  for (size_t i = 0; i < 5000; i++) /* 5000 empty COM segments */
    memcpy(b + 2 + 4 * i, "\xFF\xFE\x00\x02", 4);
  bool sized;
  baton__picture_header hd = header_of("many.jpg", b, len, &sized);
  cr_assert(!sized);
  cr_assert_str_eq(hd.damaged, "over 4096 JPEG segments before its frame header");
  memset(b + 2, 0xFF, 70000); /* fill bytes, never a marker */
  hd = header_of("fill.jpg", b, 70002, &sized);
  cr_assert(!sized);
  cr_assert_str_eq(hd.damaged, "over 64 KiB of stray bytes between its JPEG segments");
  free(b);
}

Test(executors_picture_size, other_files_have_no_size, .init = setup, .fini = teardown) {
  bool sized;
  baton__picture_header hd = header_of("notes.txt", "hello", 5, &sized);
  cr_assert(!sized && !hd.format && !hd.damaged);
  hd = header_of("missing.png", NULL, 0, &sized);
  cr_assert(!sized && !hd.format && !hd.damaged);
}
