/* openai_subtitles.c — the words of a transcript a server sent as subtitles (SubRip, WebVTT) instead of JSON or plain text. */
#include "executors/openai.h"

#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* Content types servers give subtitles (whisper.cpp: application/x-subrip
 * and text/vtt; speaches: text/plain srt, text/vtt). */
static const char *const subtitle_types[] = {"application/x-subrip", "application/srt",
                                             "text/srt", "text/vtt", NULL};

static bool type_is(const char *ctype, const char *want) {
  size_t n = strlen(want);
  return strncmp(ctype, want, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';');
}

/* The line starting at *p (without its end), *p moved past it. */
static size_t next_line(const char **p, const char *end, const char **line) {
  *line = *p;
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  size_t n = (size_t)((nl ? nl : end) - *p);
  *p = nl ? nl + 1 : end;
  if (n && (*line)[n - 1] == '\r')
    n--;
  return n;
}

static bool all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return false;
  return n > 0;
}

static bool has_arrow(const char *s, size_t n) {
  for (size_t i = 0; i + 3 <= n; i++)
    if (memcmp(s + i, "-->", 3) == 0)
      return true;
  return false;
}

bool baton__oai_is_subtitles(const char *ctype, const char *body, size_t len) {
  for (size_t i = 0; subtitle_types[i]; i++)
    if (type_is(ctype, subtitle_types[i]))
      return true;
  if (len >= 6 && memcmp(body, "WEBVTT", 6) == 0)
    return true;
  /* SubRip: a cue number, then a timing line. */
  const char *p = body, *end = body + len, *l1, *l2;
  size_t n1 = next_line(&p, end, &l1), n2 = next_line(&p, end, &l2);
  return all_digits(l1, n1) && has_arrow(l2, n2);
}

/* Skips a WebVTT header, NOTE, STYLE or REGION block (up to a blank line). */
static bool skip_block(const char *line, size_t n, const char **p, const char *end) {
  static const char *const heads[] = {"WEBVTT", "NOTE", "STYLE", "REGION"};
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
    size_t h = strlen(heads[i]);
    if (n >= h && memcmp(line, heads[i], h) == 0 && (n == h || line[h] == ' ' || line[h] == '\t')) {
      const char *l;
      while (*p < end && next_line(p, end, &l) > 0)
        ;
      return true;
    }
  }
  return false;
}

/* Adds a cue's text without its markup (<v Speaker>, <i>, <00:01.000>). */
static void add_cue_text(baton__sb *sb, const char *s, size_t n) {
  if (sb->len)
    baton__sb_addc(sb, ' ');
  bool tag = false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '<')
      tag = true;
    else if (s[i] == '>' && tag)
      tag = false;
    else if (!tag)
      baton__sb_addc(sb, s[i]);
  }
}

char *baton__oai_subtitle_text(const char *body, size_t len) {
  baton__sb sb;
  baton__sb_init(&sb);
  const char *p = body, *end = body + len, *line;
  while (p < end) {
    size_t n = next_line(&p, end, &line);
    if (n == 0 || all_digits(line, n) || has_arrow(line, n) || skip_block(line, n, &p, end))
      continue;
    add_cue_text(&sb, line, n);
  }
  if (sb.len == 0 && baton__sb_ok(&sb)) { /* an empty transcript is text too */
    baton__sb_release(&sb);
    return baton__strdup("");
  }
  return baton__sb_detach(&sb);
}
