/* subcues.c — subtitles (SubRip or WebVTT) read back: each cue's words as one paragraph, and the same cues, numbers and times kept, holding other words. */
#include "core/subcues.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

#define BOM "\xEF\xBB\xBF"

static const char *skip_bom(const char *s) {
  while (strncmp(s, BOM, 3) == 0) /* (a second one too: else it would open the first line) */
    s += 3;
  return s;
}

/* The end of the line starting at p (its '\n', or the text's end). */
static const char *line_end(const char *p) {
  return p + strcspn(p, "\n");
}

/* The line after the one ending at e. */
static const char *next_line(const char *e) {
  return *e ? e + 1 : e;
}

static bool blank(const char *p, const char *e) {
  while (p < e && isspace((unsigned char)*p))
    p++;
  return p == e;
}

/* The next block of lines from *p (blank lines before it skipped): [*a, *b), no newline at its
 * end; *p moves past it. false at the text's end. */
static bool next_block(const char **p, const char **a, const char **b) {
  const char *s = *p, *e;
  while (*s && blank(s, e = line_end(s)))
    s = next_line(e);
  if (!*s)
    return false;
  *a = s;
  while (*s && !blank(s, e = line_end(s))) {
    *b = e;
    s = next_line(e);
  }
  *p = s;
  return true;
}

/* Is [p,e) a cue's times: a digit first, then ':' before "-->" ("00:00:01,000 --> ...")? */
static bool time_line(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t'))
    p++;
  if (p == e || !isdigit((unsigned char)*p))
    return false;
  for (const char *q = p; q + 3 <= e; q++)
    if (memcmp(q, "-->", 3) == 0)
      return memchr(p, ':', (size_t)(q - p)) != NULL;
  return false;
}

/* Where the words of the cue [a,b) start: after its times, its first or second line (a number
 * or an id may come first); b when it has none. NULL when [a,b) is no cue. */
static const char *cue_words(const char *a, const char *b) {
  const char *p = a;
  for (int k = 0; k < 2 && p < b; k++) {
    const char *e = line_end(p) < b ? line_end(p) : b;
    if (time_line(p, e))
      return e < b ? e + 1 : b;
    p = next_line(e);
  }
  return NULL;
}

/* Is [a,b) a WebVTT block other than a cue: its header (the first block), a NOTE, a STYLE or a
 * REGION? */
static bool vtt_block(const char *a, const char *b, bool first) {
  static const char *const kinds[] = {"NOTE", "STYLE", "REGION"};
  size_t n = (size_t)(b - a);
  if (first && n >= 6 && memcmp(a, "WEBVTT", 6) == 0 && (n == 6 || isspace((unsigned char)a[6])))
    return true;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    size_t m = strlen(kinds[k]);
    if (n >= m && memcmp(a, kinds[k], m) == 0 && (n == m || isspace((unsigned char)a[m])))
      return true;
  }
  return false;
}

/* `sep`, then the lines [w,b) of a cue's words, trimmed and joined by spaces, into sb. */
static void add_words(baton__sb *sb, const char *w, const char *b, const char *sep) {
  baton__sb_adds(sb, sep);
  bool any = false;
  for (const char *p = w; p < b;) {
    const char *e = line_end(p) < b ? line_end(p) : b, *q = e;
    while (p < q && isspace((unsigned char)*p))
      p++;
    while (q > p && isspace((unsigned char)q[-1]))
      q--;
    if (q > p) {
      if (any)
        baton__sb_addc(sb, ' ');
      baton__sb_add(sb, p, (size_t)(q - p));
      any = true;
    }
    p = next_line(e);
  }
}

int baton__subcues_lines(const char *s, char **lines, size_t *n) {
  *lines = NULL;
  *n = 0;
  baton__sb sb;
  baton__sb_init(&sb);
  size_t cues = 0;
  bool ok = true, first = true;
  const char *p = skip_bom(s), *a, *b = NULL;
  while (ok && cues <= BATON__SUBCUES_MAX && next_block(&p, &a, &b)) {
    const char *w = cue_words(a, b);
    if (!w)
      ok = vtt_block(a, b, first);
    else if (w < b && !blank(w, b) && ++cues)
      add_words(&sb, w, b, cues > 1 ? "\n\n" : "");
    first = false;
  }
  int rc = !ok || cues == 0 ? 0 : cues > BATON__SUBCUES_MAX ? -1 : 1;
  if (rc == 1 && !(*lines = baton__sb_detach(&sb)))
    rc = -1;
  baton__sb_release(&sb);
  *n = rc == 1 ? cues : 0;
  return rc;
}

/* How many blocks of lines `words` has. */
static size_t count_blocks(const char *words) {
  size_t n = 0;
  for (const char *p = words, *a, *b; next_block(&p, &a, &b);)
    n++;
  return n;
}

char *baton__subcues_refill(const char *s, const char *words, char *err, size_t errlen) {
  char *lines = NULL;
  size_t want = 0;
  int is = baton__subcues_lines(s, &lines, &want);
  free(lines);
  size_t got = count_blocks(words);
  if (is != 1 || got != want) {
    if (is < 0)
      baton__fmt(err, errlen, "out of memory, or more than %d cues", BATON__SUBCUES_MAX);
    else if (is == 0)
      baton__fmt(err, errlen, "the text is not subtitles");
    else
      baton__fmt(err, errlen, "the answer has %zu paragraph%s for %zu cue%s", got,
                 got == 1 ? "" : "s", want, want == 1 ? "" : "s");
    return NULL;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  const char *nl = strstr(s, "\r\n") ? "\r\n" : "\n"; /* the line ends s uses */
  const char *p = skip_bom(s), *a, *b = NULL, *wp = words, *wa, *wb, *start = p;
  for (size_t k = 0; next_block(&p, &a, &b); k++) {
    const char *cw = cue_words(a, b);
    if (k)
      baton__sb_adds(&sb, nl);
    else /* the blank lines before the first block kept: read again, it starts no line earlier */
      baton__sb_add(&sb, start, (size_t)(a - start));
    if (!cw || cw == b || blank(cw, b)) {
      baton__sb_add(&sb, a, (size_t)(b - a));
    } else if (next_block(&wp, &wa, &wb)) {
      baton__sb_add(&sb, a, (size_t)(cw - a));
      add_words(&sb, wa, wb, "");
    }
    baton__sb_adds(&sb, nl);
  }
  char *out = baton__sb_ok(&sb) ? baton__sb_detach(&sb) : NULL;
  baton__sb_release(&sb);
  if (!out)
    baton__fmt(err, errlen, "out of memory");
  return out;
}

const char *baton__subcues_format(const char *s) {
  s = skip_bom(s);
  return strncmp(s, "WEBVTT", 6) == 0 && (!s[6] || isspace((unsigned char)s[6])) ? "vtt" : "srt";
}

void baton__subcues_add_time(baton__sb *sb, long ms, bool vtt) {
  ms = ms < 0 ? 0 : ms;
  baton__sb_addf(sb, "%02ld:%02ld:%02ld%c%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                 vtt ? '.' : ',', ms % 1000);
}

/* A time at p, before e ("00:01.250", "01:02:03,450"): its milliseconds into *ms, *end past it. */
static bool read_time(const char *p, const char *e, long *ms, const char **end) {
  long part[3] = {0}, frac = 0;
  int n = 0, d = 0;
  while (p < e && *p == ' ')
    p++;
  for (; n < 3 && p < e && isdigit((unsigned char)*p); n++) {
    for (d = 0; p < e && isdigit((unsigned char)*p) && d < 6; d++)
      part[n] = part[n] * 10 + (*p++ - '0');
    if (p < e && *p == ':')
      p++;
    else
      break;
  }
  if (n < 1 || n > 2 || p >= e || (*p != '.' && *p != ','))
    return false; /* "mm:ss" or "hh:mm:ss", then a fraction */
  for (p++, d = 0; p < e && isdigit((unsigned char)*p) && d < 3; d++)
    frac = frac * 10 + (*p++ - '0');
  for (; d < 3; d++)
    frac *= 10;
  long h = n == 2 ? part[0] : 0, m = part[n - 1], sec = part[n];
  *ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
  *end = p;
  return true;
}

/* The cue times [a, e) ("00:00:01,000 --> 00:00:02,500 align:start") into sb in `vtt`'s form or
 * SubRip's, settings dropped (they are WebVTT's, or a SubRip position WebVTT reads otherwise);
 * as they are when they cannot be read. */
static void add_times(baton__sb *sb, const char *a, const char *e, bool vtt) {
  const char *arrow = a, *q;
  while (arrow + 3 <= e && memcmp(arrow, "-->", 3) != 0)
    arrow++;
  long t0, t1;
  if (arrow + 3 > e || !read_time(a, arrow, &t0, &q) || !read_time(arrow + 3, e, &t1, &q)) {
    baton__sb_add(sb, a, (size_t)(e - a));
    return;
  }
  baton__subcues_add_time(sb, t0, vtt);
  baton__sb_adds(sb, " --> ");
  baton__subcues_add_time(sb, t1, vtt);
}

char *baton__subcues_as(const char *s, bool vtt) {
  baton__sb sb;
  baton__sb_init(&sb);
  if (vtt)
    baton__sb_adds(&sb, "WEBVTT\n");
  size_t k = 0;
  for (const char *p = skip_bom(s), *a, *b = NULL; next_block(&p, &a, &b);) {
    const char *cw = cue_words(a, b), *te = cw;
    if (!cw)
      continue; /* a header, a note, a style */
    while (te > a && (te[-1] == '\n' || te[-1] == '\r'))
      te--;
    const char *ts = te;
    while (ts > a && ts[-1] != '\n')
      ts--;
    baton__sb_addf(&sb, "\n%zu\n", ++k);
    add_times(&sb, ts, te, vtt);
    baton__sb_addc(&sb, '\n');
    for (const char *w = cw; w < b;) {
      const char *le = line_end(w) < b ? line_end(w) : b, *q = le;
      while (q > w && q[-1] == '\r')
        q--;
      baton__sb_add(&sb, w, (size_t)(q - w));
      baton__sb_addc(&sb, '\n');
      w = next_line(le);
    }
  }
  char *out = baton__sb_ok(&sb) ? baton__sb_detach(&sb) : NULL;
  baton__sb_release(&sb);
  if (out && !vtt && out[0] == '\n')
    memmove(out, out + 1, strlen(out)); /* SubRip opens with its first cue */
  return out;
}
