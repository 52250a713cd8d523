/* output_names.c — what a task's output files are called: the name the user gave, or task<id>. */
#include "planner/output_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "core/banned.h"

/* Is there an invisible or direction-changing character at s (C1 controls, zero-width spaces and
 * joiners, bidirectional marks and overrides, the byte order mark), which could disguise a name
 * ("x<U+202E>gpj.exe")? */
static bool invisible_at(const unsigned char *s) {
  return (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F) ||
         (s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x8B && s[2] <= 0x8F) ||
                                           (s[2] >= 0xAA && s[2] <= 0xAE))) ||
         (s[0] == 0xE2 && s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9) ||
         (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF);
}

bool baton__save_as_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > BATON__SAVE_AS_MAX || name[n - 1] == ' ' || !baton__utf8_valid(name, n))
    return false;
  for (size_t i = 0; i < n; i++)
    if (invisible_at((const unsigned char *)name + i)) /* (valid UTF-8: no read past the end) */
      return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c >= 0x80; /* "résumé.txt", "答え.wav": letters of other scripts, valid UTF-8 */
    if (!alnum && (i == 0 || !strchr("-_. ", c)))
      return false;
  }
  return true;
}

bool baton__is_file_output(const char *name, unsigned type) {
  return (type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)) ||
         (name && strcmp(name, BATON__OUTPUT_FILE) == 0);
}

void baton__task_file_prefix(const baton__task *t, char *out, size_t cap) {
  const char *name = baton__task_literal(t, BATON__ARG_SAVE_AS);
  if (!baton__save_as_ok(name)) {
    baton__fmt(out, cap, "task%d", t->id);
    return;
  }
  const char *dot = strrchr(name, '.'); /* never the first byte: that is a letter or digit */
  baton__fmt(out, cap, "%.*s", (int)(dot ? (size_t)(dot - name) : strlen(name)), name);
}

void baton__task_file_format(const baton__task *t, char *out, size_t cap) {
  const char *name = baton__task_literal(t, BATON__ARG_SAVE_AS);
  const char *dot = baton__save_as_ok(name) ? strrchr(name, '.') : NULL;
  baton__fmt(out, cap, "%s", dot ? dot + 1 : "");
  for (char *c = out; *c; c++)
    *c = (char)tolower((unsigned char)*c);
}

typedef char file_prefix[BATON__SAVE_AS_MAX + 1];

static int by_prefix(const void *a, const void *b) { return strcmp(a, b); }

/* The first task at or after position `from` writing files named `prefix`; g->n if none. */
static size_t next_writer(const baton__graph *g, const char *prefix, size_t from) {
  file_prefix own;
  for (; from < g->n; from++) {
    baton__task_file_prefix(&g->tasks[from], own, sizeof own);
    if (strcmp(own, prefix) == 0)
      break;
  }
  return from;
}

/* Two tasks writing the same names, found by sorting: a plan of thousands of tasks is O(n log n).
 * 0, or -1 with err (out of memory too). */
static int check_unique(const baton__graph *g, char *err, size_t errlen) {
  file_prefix *all = malloc(g->n * sizeof *all);
  if (!all) {
    baton__fmt(err, errlen, "out of memory while checking the plan");
    return -1;
  }
  for (size_t i = 0; i < g->n; i++)
    baton__task_file_prefix(&g->tasks[i], all[i], sizeof all[i]);
  qsort(all, g->n, sizeof *all, by_prefix);
  size_t k = 1;
  while (k < g->n && strcmp(all[k - 1], all[k]) != 0)
    k++;
  int rc = 0;
  if (k < g->n) {
    size_t first = next_writer(g, all[k], 0), second = next_writer(g, all[k], first + 1);
    baton__fmt(err, errlen, "tasks %d and %d would both write files named %s.*: give each its "
               "own \"" BATON__ARG_SAVE_AS "\" name", g->tasks[first].id,
               g->tasks[second < g->n ? second : first].id, all[k]);
    rc = -1;
  }
  free(all);
  return rc;
}

int baton__graph_check_save_as(const baton__graph *g, char *err, size_t errlen) {
  bool any = false;
  for (size_t i = 0; g && i < g->n; i++) {
    const char *name = baton__task_literal(&g->tasks[i], BATON__ARG_SAVE_AS);
    any |= name != NULL;
    if (name && !baton__save_as_ok(name)) {
      baton__fmt(err, errlen, "task %d: \"" BATON__ARG_SAVE_AS "\" '%.100s' is not a plain file "
                 "name (1-%d letters, digits, '-', '_', '.' or spaces, no folder, first a letter "
                 "or digit)", g->tasks[i].id, name, BATON__SAVE_AS_MAX);
      return -1;
    }
  }
  return any ? check_unique(g, err, errlen) : 0;
}
