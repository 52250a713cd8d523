/* tesseract_lang.c — the OCR languages installed (tesseract-ocr-* data files) and which one a request names. */
#include "executors/tesseract_lang.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/languages.h"
#include "core/banned.h"

/* Scripts tesseract's detection reports that a whole-language model reads;
 * Latin is told apart by reading it (textcat on a first pass). */
static const struct {
  const char *script, *lang;
} script_langs[] = {
    {"Cyrillic", "rus"}, {"Greek", "ell"},      {"Arabic", "ara"},   {"Hebrew", "heb"},
    {"Han", "chi_sim"},  {"Japanese", "jpn"},   {"Hangul", "kor"},   {"Devanagari", "hin"},
    {"Thai", "tha"},     {"Georgian", "kat"},   {"Armenian", "hye"},
};

/* Data files that are not languages to read text in. */
static bool not_a_language(const char *name) {
  return !strcmp(name, "osd") || !strcmp(name, "equ");
}

static int name_cmp(const void *a, const void *b) { return strcmp(a, b); }

size_t baton__tess_installed(const char *dir, char out[][16], size_t max) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while (n < max && (e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    const size_t ext = sizeof ".traineddata" - 1;
    if (len <= ext || len - ext >= 16 || strcmp(e->d_name + len - ext, ".traineddata") != 0)
      continue;
    baton__fmt(out[n], 16, "%.*s", (int)(len - ext), e->d_name);
    if (!not_a_language(out[n]))
      n++;
  }
  closedir(d);
  qsort(out, n, sizeof out[0], name_cmp);
  return n;
}

bool baton__tess_has(const char *dir, const char *lang) {
  const char *p = lang;
  while (p && *p) {
    size_t n = strcspn(p, "+");
    char file[4096];
    baton__fmt(file, sizeof file, "%s/%.*s.traineddata", dir, (int)n, p);
    if (n == 0 || n > 32 || !baton__file_exists(file))
      return false;
    p += n;
    if (*p == '+')
      p++;
  }
  return lang && *lang;
}

bool baton__tess_code(const char *given, char *out, size_t cap) {
  baton__sb sb;
  baton__sb_init(&sb);
  bool ok = given && *given;
  const char *p = given;
  while (p && *p) {
    size_t n = strcspn(p, "+");
    char part[48];
    baton__fmt(part, sizeof part, "%.*s", (int)(n < 47 ? n : 47), p);
    baton__trim(part);
    const char *code = baton__lang_long(baton__lang_by_name(part));
    /* A tesseract name the table does not know ("chi_sim") is kept as it is. */
    if (!code && strspn(part, "abcdefghijklmnopqrstuvwxyz_") == strlen(part) && part[0])
      code = part;
    ok = ok && code;
    baton__sb_addf(&sb, "%s%s", sb.len ? "+" : "", code ? code : part);
    p += n;
    if (*p == '+')
      p++;
  }
  baton__fmt(out, cap, "%s", baton__sb_ok(&sb) && sb.len ? sb.buf : "");
  baton__sb_release(&sb);
  return ok && out[0];
}

const char *baton__tess_script_lang(const char *script) {
  for (size_t i = 0; script && i < sizeof script_langs / sizeof script_langs[0]; i++)
    if (!strcmp(script, script_langs[i].script))
      return script_langs[i].lang;
  return NULL;
}

void baton__tess_inventory(const char *dir, char *out, size_t cap) {
  char langs[BATON__TESS_MAX_LANGS][16];
  size_t n = baton__tess_installed(dir, langs, BATON__TESS_MAX_LANGS);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "languages: ");
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%s", i ? ", " : "", langs[i]);
  if (!n)
    baton__sb_adds(&sb, "none");
  if (baton__tess_has(dir, "osd"))
    baton__sb_adds(&sb, "; script detection");
  baton__fmt(out, cap, "%s", baton__sb_ok(&sb) ? sb.buf : "");
  baton__sb_release(&sb);
}
