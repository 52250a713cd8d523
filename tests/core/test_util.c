/* test_util.c — core/util.c's file helpers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "core/util.h"
#include "support/support.h"

/* Writes "x" to dir/name. */
static void touch(const char *dir, const char *name) {
  char *p = baton__path_join(dir, name);
  char err[256];
  cr_assert_eq(baton__write_file(p, "x", 1, err, sizeof err), 0, "%s", err);
  free(p);
}

static bool exists(const char *dir, const char *name) {
  char *p = baton__path_join(dir, name);
  struct stat st;
  bool e = lstat(p, &st) == 0;
  free(p);
  return e;
}

/* dir holds a/b/deep.txt, top.txt and out -> outside (a file elsewhere). */
static void fill(const char *dir, const char *outside) {
  char *ab = baton__path_join(dir, "a/b");
  cr_assert_eq(baton__mkdirs(ab, 0700), 0);
  touch(ab, "deep.txt");
  touch(dir, "top.txt");
  char *link = baton__path_join(dir, "out");
  cr_assert_eq(symlink(outside, link), 0);
  free(link);
  free(ab);
}

/* A folder to remove (dir) and one beside it (keep) holding the file that
 * dir's link points to. */
typedef struct trees {
  char *keep, *dir, *target;
} trees;

static trees make_trees(void) {
  trees t = {bt_tmpdir(), bt_tmpdir(), NULL};
  touch(t.keep, "precious.txt");
  t.target = baton__path_join(t.keep, "precious.txt");
  fill(t.dir, t.target);
  return t;
}

static void drop_trees(trees *t) {
  cr_assert(exists(t->keep, "precious.txt"), "a link's target outside stays");
  bt_rmtree(t->keep);
  bt_rmtree(t->dir);
  free(t->target);
  free(t->keep);
  free(t->dir);
}

Test(core_util, rm_tree_removes_a_folder_and_not_what_its_links_point_to) {
  trees t = make_trees();
  cr_assert_eq(baton__rm_tree(t.dir, false), 0, "%s", strerror(errno));
  struct stat st;
  cr_assert_neq(lstat(t.dir, &st), 0, "the folder is gone");
  drop_trees(&t);
}

Test(core_util, rm_tree_can_keep_the_folder_itself) {
  trees t = make_trees();
  cr_assert_eq(baton__rm_tree(t.dir, true), 0, "%s", strerror(errno));
  cr_assert(exists(t.dir, "."), "the folder stays");
  cr_assert(!exists(t.dir, "a") && !exists(t.dir, "top.txt") && !exists(t.dir, "out"),
            "what it held is gone");
  drop_trees(&t);
}

/* A private folder in $TMPDIR, or in /tmp when $TMPDIR cannot take one. */
Test(core_util, mktempdir_makes_a_private_folder_in_tmpdir_or_else_in_tmp) {
  char *base = bt_tmpdir(), dir[1024];
  setenv("TMPDIR", base, 1);
  cr_assert_eq(baton__mktempdir(dir, sizeof dir, "bt-x"), 0, "%s", strerror(errno));
  cr_assert_eq(strncmp(dir, base, strlen(base)), 0, "%s is not in %s", dir, base);
  struct stat st;
  cr_assert(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
  setenv("TMPDIR", "/nonexistent/baton", 1);
  char other[1024];
  cr_assert_eq(baton__mktempdir(other, sizeof other, "bt-x"), 0, "%s", strerror(errno));
  cr_assert_eq(strncmp(other, "/tmp/bt-x.", 10), 0, "%s is not in /tmp", other);
  cr_assert_eq(baton__mktempdir(dir, 8, "bt-x"), -1, "no room for the name");
  cr_assert_eq(errno, ENAMETOOLONG);
  rmdir(other);
  unsetenv("TMPDIR");
  baton__rm_tree(base, false);
  free(base);
}

Test(core_util, rm_tree_says_when_there_is_nothing_to_remove) {
  cr_assert_eq(baton__rm_tree("", false), -1);
  cr_assert_eq(errno, EINVAL);
  char *dir = bt_tmpdir();
  char *gone = baton__path_join(dir, "never-made");
  cr_assert_eq(baton__rm_tree(gone, false), -1);
  cr_assert_eq(errno, ENOENT);
  free(gone);
  bt_rmtree(dir);
  free(dir);
}

Test(core_util, csv_has_matches_whole_entries_only) {
  cr_assert(baton__csv_has("image-to-text,translation", "translation"));
  cr_assert(baton__csv_has("image-to-text,translation", "image-to-text"));
  cr_assert_not(baton__csv_has("image-to-text,translation", "image"));
  cr_assert_not(baton__csv_has("image-to-text,translation", "text,translation"));
  cr_assert_not(baton__csv_has("", "translation"));
  cr_assert_not(baton__csv_has(NULL, "translation"));
  cr_assert(baton__csv_has("a,,b", "b"));
}

/* A text cut to a length keeps whole characters: "café" cut at 4 bytes is "caf". */
Test(core_util, utf8_cut_splits_no_character) {
  const char *s = "caf\xc3\xa9 \xe2\x82\xac"; /* "café €": é is 2 bytes, € 3 */
  size_t len = strlen(s);
  cr_assert_eq(baton__utf8_cut(s, len, 100), len);
  cr_assert_eq(baton__utf8_cut(s, len, 5), 5);  /* "café" whole */
  cr_assert_eq(baton__utf8_cut(s, len, 4), 3);  /* not half of é */
  cr_assert_eq(baton__utf8_cut(s, len, 8), 6);  /* not two thirds of € */
  cr_assert_eq(baton__utf8_cut(s, len, 0), 0);
  cr_assert_eq(baton__utf8_cut("\x80\x80", 2, 1), 0); /* stray continuation bytes */
}

Test(core_util, fold_apostrophe_makes_typographic_apostrophes_ascii) {
  char s[] = "What\u2019s in it? Let\u2019s see\u2019";
  cr_assert_eq(baton__fold_apostrophe(s), strlen("What's in it? Let's see'"));
  cr_assert_str_eq(s, "What's in it? Let's see'");
  char keep[] = "caf\u00e9 \u201cquoted\u201d \u2018single\u2018 \xe2\x80"; /* other marks, cut */
  char before[sizeof keep];
  memcpy(before, keep, sizeof keep);
  cr_assert_eq(baton__fold_apostrophe(keep), strlen(before));
  cr_assert_str_eq(keep, before);
  cr_assert_eq(baton__fold_apostrophe((char[]){""}), 0);
}

Test(core_util, dash_len_finds_en_and_em_dashes_only) {
  cr_assert_eq(baton__dash_len("\u2014then", strlen("\u2014then")), 3);
  cr_assert_eq(baton__dash_len("\u2013", 3), 3);
  cr_assert_eq(baton__dash_len("\u2019s", 4), 0); /* an apostrophe */
  cr_assert_eq(baton__dash_len("\u2014", 2), 0);  /* cut short */
  cr_assert_eq(baton__dash_len("-", 1), 0);
}

Test(core_util, arg_type_reads_numbered_arguments_and_no_parameter) {
  static const struct {
    const char *name;
    unsigned type;
  } cases[] = {
      {"text", BATON__T_TEXT},   {"text2", BATON__T_TEXT},  {"Image", BATON__T_IMAGE},
      {"audio2", BATON__T_AUDIO}, {"audio9", BATON__T_AUDIO}, {"video3", BATON__T_VIDEO},
      {"audio1", 0},              {"audio10", 0},            {"audios", 0},
      {"json", 0},                {"tgt_lang", 0},           {"2", 0},
      {"", 0},                    {NULL, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(baton__arg_type(cases[i].name), cases[i].type, "%s",
                 cases[i].name ? cases[i].name : "(null)");
}

Test(core_util, names_unreadable_file_finds_a_file_no_executor_reads) {
  char msg[256];
  cr_assert(baton__names_unreadable_file("Summarize Q3_report.pdf.", msg, sizeof msg));
  cr_assert_str_eq(msg, "Q3_report.pdf: baton cannot read .pdf files; save the text as a .txt "
                        "file (or a page as a picture) and name that");
  cr_assert(baton__names_unreadable_file("read (data.CSV) and classify it", msg, sizeof msg));
  cr_assert(strstr(msg, "data.CSV: baton cannot read .csv files"), "%s", msg);
  cr_assert(baton__names_unreadable_file("open 'deck.pptx'", msg, sizeof msg));
  static const char *const fine[] = {"summarize notes.txt", "what is in .pdf", "a pdf reader",
                                     "report.pdfs", "", "...", "photo.jpg and a.md"};
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
    cr_assert_not(baton__names_unreadable_file(fine[i], msg, sizeof msg), "%s: %s", fine[i], msg);
}
