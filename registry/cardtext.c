/* cardtext.c — model-card text cleaned to prose for matching, in one pass over each line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"
#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

/*
 * Model cards are markdown with a YAML front matter, HTML, badges, tables
 * and code. What the matcher wants is the prose: the front matter, HTML
 * tags and comments, images, bare URLs, code fences and their content,
 * tables, link definitions, table-of-contents lists and emphasis marks go;
 * link text stays (without the URL); heading text stays as a sentence;
 * list and quote markers go; common entities are decoded; white space is
 * collapsed. At most max_out bytes are kept, cut at a word.
 */

typedef struct cleaner {
  baton__sb out;
  bool in_fence, in_comment, in_tag;
  size_t max_out;
  /* The line being cleaned, and where each of its brackets closes, found
   * once per line so that no bracket is scanned for twice. */
  const char *line;
  int32_t *close;   /* close[i]: offset just past the bracket closing line[i], or -1 */
  int32_t *stack;
  size_t cap;
  struct jump {     /* link text being read: at `at`, go on at `to` */
    const char *at, *to;
  } *jumps;
  size_t n_jumps, cap_jumps;
} cleaner;

static void emit(cleaner *c, char ch) {
  if (ch == '\n' || ch == '\t' || ch == '\r')
    ch = ' ';
  if (ch == ' ' && (c->out.len == 0 || c->out.buf[c->out.len - 1] == ' '))
    return;
  baton__sb_addc(&c->out, ch);
}

/* Finds, for every '[' and '(' of the line [s, e), the bracket that closes
 * it (the first at which the count of its kind comes back to zero), with one
 * stack per kind. -1 when out of memory (brackets are then kept as text). */
static int match_brackets(cleaner *c, const char *s, const char *e) {
  size_t len = (size_t)(e - s);
  if (len > INT32_MAX)
    return -1;
  if (len > c->cap) {
    int32_t *cl = realloc(c->close, len * sizeof *cl);
    if (cl)
      c->close = cl;
    int32_t *st = realloc(c->stack, len * sizeof *st);
    if (st)
      c->stack = st;
    if (!cl || !st)
      return -1;
    c->cap = len;
  }
  c->line = s;
  static const char kinds[2][2] = {{'[', ']'}, {'(', ')'}};
  for (int k = 0; k < 2; k++) {
    size_t depth = 0;
    for (size_t i = 0; i < len; i++) {
      if (s[i] == kinds[k][0]) {
        c->close[i] = -1;
        c->stack[depth++] = (int32_t)i;
      } else if (s[i] == kinds[k][1] && depth) {
        c->close[c->stack[--depth]] = (int32_t)(i + 1);
      }
    }
  }
  return 0;
}

/* Position after the bracket that closes the one at p, when that lies
 * within the text being read (before end); else NULL. */
static const char *close_of(const cleaner *c, const char *p, const char *end) {
  if (!c->line)
    return NULL;
  int32_t at = c->close[p - c->line];
  return at >= 0 && c->line + at <= end ? c->line + at : NULL;
}

/* Remembers to go on at `to` once the link text ending at `at` is read. */
static bool push_jump(cleaner *c, const char *at, const char *to) {
  if (c->n_jumps == c->cap_jumps) {
    size_t cap = c->cap_jumps ? 2 * c->cap_jumps : 16;
    struct jump *j = realloc(c->jumps, cap * sizeof *j);
    if (!j)
      return false;
    c->jumps = j;
    c->cap_jumps = cap;
  }
  c->jumps[c->n_jumps++] = (struct jump){at, to};
  return true;
}

/* Skips an image, "![alt](url)"; p at '!'. */
static const char *skip_image(const cleaner *c, const char *p, const char *end) {
  const char *e = close_of(c, p + 1, end);
  if (!e)
    return p + 2;
  p = e;
  if (p < end && *p == '(') {
    const char *e2 = close_of(c, p, end);
    p = e2 ? e2 : end;
  }
  return p;
}

/* A link, "[text](url)" or "[text][ref]": its text is read in place (the
 * jump skips the target after it). p at '['; returns where to go on. */
static const char *enter_link(cleaner *c, const char *p, const char *end) {
  const char *e = close_of(c, p, end);
  if (!e)
    return p + 1;
  const char *after = e;
  if (after < end && (*after == '(' || *after == '[')) {
    const char *e2 = close_of(c, after, end);
    after = e2 ? e2 : end;
  }
  if (!push_jump(c, e - 1, after))
    return after; /* out of memory: the link text is lost, nothing else */
  return p + 1;
}

/* Decodes an entity at p ('&'); returns where to go on. */
static const char *entity(cleaner *c, const char *p, const char *end) {
  static const struct {
    const char *ent;
    char ch;
  } ents[] = {{"&amp;", '&'}, {"&lt;", '<'},   {"&gt;", '>'}, {"&quot;", '"'},
              {"&#39;", '\''}, {"&apos;", '\''}, {"&nbsp;", ' '}};
  for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
    size_t l = strlen(ents[i].ent);
    if ((size_t)(end - p) >= l && !strncmp(p, ents[i].ent, l)) {
      emit(c, ents[i].ch);
      return p + l;
    }
  }
  emit(c, '&');
  return p + 1;
}

/* Inside an HTML comment or tag: returns where it ends, or end. */
static const char *skip_markup(cleaner *c, const char *p, const char *end) {
  if (c->in_comment) {
    const char *e = memmem(p, (size_t)(end - p), "-->", 3);
    if (!e)
      return end;
    c->in_comment = false;
    return e + 3;
  }
  const char *e = memchr(p, '>', (size_t)(end - p));
  if (!e)
    return end;
  c->in_tag = false;
  emit(c, ' ');
  return e + 1;
}

/* One character (or construct) of inline text at p, before end. */
static const char *inline_step(cleaner *c, const char *p, const char *end) {
  char ch = *p;
  if (c->in_comment || c->in_tag)
    return skip_markup(c, p, end);
  if (ch == '<' && p + 3 < end && !strncmp(p, "<!--", 4)) {
    c->in_comment = true;
    return p + 4;
  }
  if (ch == '<' && p + 1 < end &&
      (baton__ascii_alnum((unsigned char)p[1]) || p[1] == '/' || p[1] == '!')) {
    c->in_tag = true;
    return p + 1;
  }
  if (ch == '!' && p + 1 < end && p[1] == '[')
    return skip_image(c, p, end);
  if (ch == '[')
    return enter_link(c, p, end);
  if ((ch == 'h' && (end - p) > 8 && (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8))) ||
      (ch == 'w' && (end - p) > 4 && !strncmp(p, "www.", 4))) {
    while (p < end && *p != ' ' && *p != '\t' && *p != ')')
      p++;
    return p;
  }
  if (ch == '*' || ch == '`')
    return p + 1;
  if (ch == '_' && (p == end - 1 || !baton__ascii_alnum((unsigned char)p[1]) || c->out.len == 0 ||
                    !baton__ascii_alnum((unsigned char)c->out.buf[c->out.len - 1])))
    return p + 1;
  if (ch == '\\' && p + 1 < end) {
    emit(c, p[1]);
    return p + 2;
  }
  if (ch == '&')
    return entity(c, p, end);
  emit(c, (unsigned char)ch < 0x20 ? ' ' : ch);
  return p + 1;
}

/* The inline text of a line, [p, line_end): each byte is looked at once;
 * link texts are read in place, their targets skipped by a jump. */
static void inline_text(cleaner *c, const char *p, const char *line_end) {
  c->n_jumps = 0;
  if (match_brackets(c, p, line_end) != 0)
    c->line = NULL; /* out of memory: no bracket is taken as a link */
  for (;;) {
    const char *end = c->n_jumps ? c->jumps[c->n_jumps - 1].at : line_end;
    if (p >= end) {
      if (!c->n_jumps)
        return;
      p = c->jumps[--c->n_jumps].to;
      continue;
    }
    p = inline_step(c, p, end);
  }
}

static bool line_is_rule(const char *s, const char *e) {
  size_t marks = 0;
  for (const char *p = s; p < e; p++) {
    if (*p == '-' || *p == '=' || *p == '*' || *p == '_' || *p == ':' || *p == '|')
      marks++;
    else if (*p != ' ' && *p != '\t' && *p != '\r')
      return false;
  }
  return marks >= 3;
}

/* Past YAML front matter at p: "---" ... "---" (or "..."); p if none. */
static const char *skip_front_matter(const char *p) {
  if (strncmp(p, "---", 3) != 0 || (p[3] != '\n' && p[3] != '\r'))
    return p;
  for (const char *q = strchr(p + 3, '\n'); q; q = strchr(q, '\n')) {
    q++;
    if ((!strncmp(q, "---", 3) || !strncmp(q, "...", 3)) &&
        (q[3] == '\n' || q[3] == '\r' || q[3] == '\0'))
      return q + 3;
  }
  return p;
}

/* Whether the line s..e (indent skipped) says nothing in prose: blank,
 * a rule, a table row, a reference-link definition "[ref]: http://...". */
static bool line_is_layout(const char *s, size_t n) {
  const char *e = s + n;
  if (n == 0 || *s == '|' || line_is_rule(s, e))
    return true;
  if (*s == '[') {
    const char *rb = memchr(s, ']', n);
    if (rb && rb + 1 < e && rb[1] == ':')
      return true;
  }
  /* Lines that are table rows written without a leading pipe. */
  size_t pipes = 0;
  for (const char *q = s; q < e; q++)
    pipes += *q == '|';
  return pipes >= 2;
}

/* Past the block marker of the line s..e (heading '#'s, quote '>', list
 * bullet or number) and the spaces after it; *heading says whether it was
 * a heading. */
static const char *skip_block_marker(const char *s, const char *e, bool *heading) {
  *heading = false;
  if (*s == '#') {
    while (s < e && *s == '#')
      s++;
    *heading = true;
  } else if (*s == '>') {
    while (s < e && (*s == '>' || *s == ' '))
      s++;
  } else if ((*s == '-' || *s == '*' || *s == '+') && s + 1 < e && s[1] == ' ') {
    s += 2;
  } else {
    const char *d = s;
    while (d < e && *d >= '0' && *d <= '9')
      d++;
    if (d > s && d + 1 < e && (*d == '.' || *d == ')') && d[1] == ' ')
      s = d + 2;
  }
  while (s < e && *s == ' ')
    s++;
  return s;
}

/* Whether the text s..e (after its marker) belongs to a table of contents:
 * an entry "- [Model Details](#model-details)" or the heading itself. */
static bool is_contents(const char *s, const char *e, bool heading) {
  if (*s == '[' && memmem(s, (size_t)(e - s), "](#", 3))
    return true;
  return heading && (e - s >= 8) &&
         (!strncasecmp(s, "table of contents", 17) || !strncasecmp(s, "contents", 8));
}

/* Ends the heading just written with a full stop unless it has one. */
static void end_heading(cleaner *c) {
  while (c->out.len && c->out.buf[c->out.len - 1] == ' ')
    c->out.buf[--c->out.len] = '\0';
  char last = c->out.len ? c->out.buf[c->out.len - 1] : '.';
  if (last != '.' && last != ':' && last != '!' && last != '?')
    baton__sb_addc(&c->out, '.');
}

/* Writes the prose of the line s..e (indent skipped) to c. */
static void clean_line(cleaner *c, const char *s, const char *e) {
  if (!strncmp(s, "```", 3) || !strncmp(s, "~~~", 3)) {
    c->in_fence = !c->in_fence;
    return;
  }
  if (c->in_fence)
    return;
  bool heading = false;
  if (!c->in_comment && !c->in_tag) {
    if (line_is_layout(s, (size_t)(e - s)))
      return;
    s = skip_block_marker(s, e, &heading);
    if (is_contents(s, e, heading))
      return;
  }
  size_t before = c->out.len;
  inline_text(c, s, e);
  if (heading && c->out.len > before)
    end_heading(c);
  emit(c, ' ');
}

/* Cuts s (malloc'd) to at most max_out bytes, at a space in the second
 * half when there is one and never inside a UTF-8 sequence, and trims
 * trailing spaces; returns s. */
static char *cut_to(char *s, size_t max_out) {
  size_t len = strlen(s);
  if (len > max_out) {
    size_t cut = max_out;
    while (cut > max_out / 2 && s[cut] != ' ')
      cut--;
    if (s[cut] != ' ')
      cut = max_out;
    /* Do not split a UTF-8 sequence. */
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
      cut--;
    s[cut] = '\0';
    len = cut;
  }
  while (len && s[len - 1] == ' ')
    s[--len] = '\0';
  return s;
}

char *baton__clean_description(const char *md, size_t max_out) {
  cleaner c;
  memset(&c, 0, sizeof c);
  baton__sb_init(&c.out);
  c.max_out = max_out;
  const char *p = md ? md : "";
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
    p++;
  p = skip_front_matter(p);
  while (*p && c.out.len < max_out + 64) {
    const char *nl = strchr(p, '\n');
    const char *e = nl ? nl : p + strlen(p);
    const char *s = p;
    p = nl ? nl + 1 : e;
    while (s < e && (*s == ' ' || *s == '\t'))
      s++;
    clean_line(&c, s, e);
  }
  free(c.close);
  free(c.stack);
  free(c.jumps);
  if (!baton__sb_ok(&c.out)) {
    baton__sb_release(&c.out);
    return NULL;
  }
  char *s = baton__sb_detach(&c.out);
  return s ? cut_to(s, max_out) : baton__strdup("");
}
