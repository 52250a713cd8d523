/* apertium_pairs.c — the language pairs apertium has installed (its mode files) and routes through them. */
#include "executors/apertium_pairs.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

#define AP_DEFAULT_DATADIR "/usr/share/apertium"

const char *baton__apertium_datadir(void) {
  /* The apertium script honours the same variable. */
  const char *d = getenv("APERTIUM_DATADIR");
  return d && *d ? d : AP_DEFAULT_DATADIR;
}

/* "eng-spa.mode" -> en, es; false for variants and unknown languages. */
static bool pair_of_mode(const char *file, baton__lang_pair *p) {
  size_t n = strlen(file);
  if (n < 6 || n > 40 || strcmp(file + n - 5, ".mode") != 0)
    return false;
  char name[48];
  baton__fmt(name, sizeof name, "%.*s", (int)(n - 5), file);
  char *dash = strchr(name, '-');
  if (!dash || strchr(dash + 1, '-') || strchr(name, '_'))
    return false;
  *dash = '\0';
  const char *s = baton__lang_short(name), *t = baton__lang_short(dash + 1);
  if (!s || !t)
    return false;
  baton__fmt(p->src, sizeof p->src, "%s", s);
  baton__fmt(p->tgt, sizeof p->tgt, "%s", t);
  return true;
}

static int pair_cmp(const void *a, const void *b) {
  const baton__lang_pair *x = a, *y = b;
  int c = strcmp(x->src, y->src);
  return c ? c : strcmp(x->tgt, y->tgt);
}

size_t baton__apertium_pairs(baton__lang_pair *out, size_t max) {
  char dir[4096];
  baton__fmt(dir, sizeof dir, "%s/modes", baton__apertium_datadir());
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while (n < max && (e = readdir(d)) != NULL)
    if (pair_of_mode(e->d_name, &out[n]))
      n++;
  closedir(d);
  qsort(out, n, sizeof *out, pair_cmp);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || pair_cmp(&out[k - 1], &out[i]) != 0)
      out[k++] = out[i];
  return k;
}

static bool has_pair(const baton__lang_pair *pairs, size_t n, const char *src, const char *tgt) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(pairs[i].src, src) && !strcmp(pairs[i].tgt, tgt))
      return true;
  return false;
}

int baton__lang_route(const baton__lang_pair *pairs, size_t n, const char *src, const char *tgt,
                      char *via, size_t vialen) {
  const char *s = baton__lang_short(src), *t = baton__lang_short(tgt);
  if (via && vialen)
    via[0] = '\0';
  if (!s || !t || !strcmp(s, t))
    return 0;
  if (has_pair(pairs, n, s, t))
    return 1;
  static const char *const pivots[] = BATON__PIVOT_LANGS;
  for (size_t i = 0; pivots[i]; i++)
    if (strcmp(pivots[i], s) && strcmp(pivots[i], t) && has_pair(pairs, n, s, pivots[i]) &&
        has_pair(pairs, n, pivots[i], t)) {
      baton__fmt(via, vialen, "%s", pivots[i]);
      return 2;
    }
  return 0;
}

size_t baton__lang_targets(const baton__lang_pair *pairs, size_t n, const char *src,
                           const char **out, size_t max) {
  const char *s = baton__lang_short(src);
  size_t k = 0;
  for (size_t i = 0; s && i < n && k < max; i++)
    if (!strcmp(pairs[i].src, s))
      out[k++] = pairs[i].tgt;
  return k;
}

void baton__lang_pairs_list(const baton__lang_pair *pairs, size_t n, char *out, size_t cap) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%s-%s", i ? ", " : "", pairs[i].src, pairs[i].tgt);
  baton__fmt(out, cap, "%s", n && baton__sb_ok(&sb) ? sb.buf : "none");
  baton__sb_release(&sb);
}
