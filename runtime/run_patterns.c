/* run_patterns.c — file patterns in a request ("transcribe *.wav") and folders named in words ("describe every picture in photos") read as the files they match in the caller's folder, named one by one before the request is planned. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "runtime/context.h"
#include "runtime/inputs.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Files one pattern stands for, at most: a step or two on each still fits one plan. */
#define PATTERN_MAX_FILES 16
/* Patterns in one request, at most. */
#define PATTERN_MAX 4
#define PATTERN_MAX_LEN 512

/* The files of a folder named in words: a quantifier, the kind of file, a place word, the folder
 * ("every picture in photos", "all the wav files from the interviews folder"). */
static const char *const quantifiers[] = {"every", "each", "all", NULL};
static const char *const fillers[] = {"of", "the", "my", "our", "these", "those", NULL};
static const char *const places[] = {"in", "from", "inside", "under", NULL};
static const char *const folder_words[] = {"folder", "directory", NULL};
static const char *const file_words[] = {"file", "files", NULL};
/* Kinds of file named in words, by their type (core/util.c baton__type_of_path() knows the
 * extensions of each). */
static const struct {
  const char *word, *label;
  unsigned types;
} kinds[] = {
    {"picture", "picture", BATON__T_IMAGE},       {"pictures", "picture", BATON__T_IMAGE},
    {"image", "picture", BATON__T_IMAGE},         {"images", "picture", BATON__T_IMAGE},
    {"photo", "picture", BATON__T_IMAGE},         {"photos", "picture", BATON__T_IMAGE},
    {"scan", "picture", BATON__T_IMAGE},          {"scans", "picture", BATON__T_IMAGE},
    {"recording", "recording", BATON__T_AUDIO},   {"recordings", "recording", BATON__T_AUDIO},
    {"audio", "recording", BATON__T_AUDIO},       {"sound", "recording", BATON__T_AUDIO},
    {"sounds", "recording", BATON__T_AUDIO},      {"song", "recording", BATON__T_AUDIO},
    {"songs", "recording", BATON__T_AUDIO},       {"text", "text", BATON__T_TEXT},
    {"texts", "text", BATON__T_TEXT},             {"document", "text", BATON__T_TEXT},
    {"documents", "text", BATON__T_TEXT},
};

/* Marks before and after a word, not part of it ("'*.wav',", "(*.png)."). */
static bool before(char c) {
  return c && strchr("'\"([<", c) != NULL;
}

static bool after(char c) {
  return c && strchr("'\")]>,.;:!?", c) != NULL;
}

/* Whether the word [w, w+n) ends with mark, trailing punctuation aside ("music'", "files\".").
 */
static bool closes(const char *w, size_t n, char mark) {
  while (n > 0 && strchr(")]>,.;:!?", w[n - 1]))
    n--;
  return n > 0 && w[n - 1] == mark;
}

/* Where the quotation of several words that the word at p opens ends, past the word that
 * closes it: a word starting with ' or " (brackets aside) and not ending with it, closed by a
 * later word ending with the same mark. NULL when p opens none ("'*.wav'" is quoted alone,
 * "don't" opens nothing). dead[k]: where mark k ('\'', '"') was found to close nothing after;
 * a later opener of it opens nothing, unread (so a text is read once, whatever its marks). */
static const char *quote_end(const char *p, const char *dead[2]) {
  size_t len = strcspn(p, " \t\r\n"), x = 0;
  while (x < len && strchr("([<", p[x]))
    x++;
  if (x == len || (p[x] != '\'' && p[x] != '"') || closes(p + x + 1, len - x - 1, p[x]))
    return NULL;
  char mark = p[x];
  const char **none = &dead[mark == '"'];
  if (*none && p >= *none)
    return NULL;
  for (const char *q = p + len; *(q += strspn(q, " \t\r\n"));) {
    size_t m = strcspn(q, " \t\r\n");
    if (closes(q, m, mark))
      return q + m;
    q += m;
  }
  *none = p;
  return NULL;
}

char *baton__run_mask_quotations(const char *text) {
  char *masked = baton__strdup(text);
  const char *dead[2] = {NULL, NULL};
  for (const char *p = text; masked && *(p += strspn(p, " \t\r\n"));) {
    const char *end = quote_end(p, dead);
    if (end)
      memset(masked + (p - text), 1, (size_t)(end - p));
    p = end ? end : p + strcspn(p, " \t\r\n");
  }
  return masked;
}

/* The next word from *p: its core [*a, *a + *n), marks around it aside; *p moves past it. false
 * at the text's end. */
static bool next_word(const char **p, const char **a, size_t *n) {
  const char *s = *p + strspn(*p, " \t\r\n");
  size_t len = strcspn(s, " \t\r\n"), x = 0, y = len;
  while (x < y && before(s[x]))
    x++;
  while (y > x && after(s[y - 1]))
    y--;
  *a = s + x;
  *n = y - x;
  *p = s + len;
  return len > 0;
}

static bool word_in(const char *w, size_t n, const char *const *list) {
  for (; *list; list++)
    if (strlen(*list) == n && strncasecmp(w, *list, n) == 0)
      return true;
  return false;
}

/* Does baton know files ending in the extension [w, w+n) ("wav", case aside): ones it reads
 * (baton__type_of_path), or ones it refuses by name ("csv", "pdf")? */
static bool known_extension(const char *w, size_t n) {
  char name[24], why[160];
  if (n == 0 || n > 16)
    return false;
  baton__fmt(name, sizeof name, "x.%.*s", (int)n, w);
  return baton__type_of_path(name) || baton__names_unreadable_file(name, why, sizeof why);
}

/* The kind of file a folder named in words holds, as the word [w, w+n) says: the types of its
 * files and the shell pattern for their names into *pat ("picture": "*", any picture; an
 * extension, "wav" or ".wav": "*.wav", any type), a label for messages into *label. false when
 * it names none. */
static bool kind_of(const char *w, size_t n, char pat[24], unsigned *types,
                    const char **label) {
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    if (strlen(kinds[k].word) == n && strncasecmp(w, kinds[k].word, n) == 0) {
      baton__fmt(pat, 24, "*");
      *types = kinds[k].types;
      *label = kinds[k].label;
      return true;
    }
  if (n > 1 && *w == '.') {
    w++;
    n--;
  }
  if (!known_extension(w, n))
    return false;
  baton__fmt(pat, 24, "*.%.*s", (int)n, w);
  *types = 0;
  *label = pat + 2;
  return true;
}

/* A folder named in words at p ("every picture in photos", "all the wav files from the
 * interviews folder"): its name into dir, the kind of its files into pat, *types and *label
 * (kind_of), and where the words end into *end. false when p starts no such words. */
static bool folder_words_at(const char *p, char *dir, size_t cap, char pat[24], unsigned *types,
                            const char **label, const char **end) {
  const char *a;
  size_t n;
  if (!next_word(&p, &a, &n) || !word_in(a, n, quantifiers))
    return false;
  bool ok = next_word(&p, &a, &n);
  while (ok && word_in(a, n, fillers))
    ok = next_word(&p, &a, &n);
  if (!ok || !kind_of(a, n, pat, types, label))
    return false;
  ok = next_word(&p, &a, &n);
  if (ok && word_in(a, n, file_words))
    ok = next_word(&p, &a, &n);
  if (!ok || !word_in(a, n, places))
    return false;
  ok = next_word(&p, &a, &n);
  while (ok && (word_in(a, n, fillers) || word_in(a, n, folder_words)))
    ok = next_word(&p, &a, &n);
  *end = a + n;
  while (ok && n > 1 && a[n - 1] == '/') /* "photos/" */
    n--;
  if (!ok || !n || n >= cap || memchr(a, '*', n) || memchr(a, '?', n) || memchr(a, '[', n))
    return false;
  memcpy(dir, a, n);
  dir[n] = '\0';
  const char *q = p;
  if (next_word(&q, &a, &n) && word_in(a, n, folder_words)) /* "the interviews folder" */
    *end = a + n;
  return true;
}

/* Is the word [w, w+n) a pattern of file names: a '*' or '?' in a name that ends in the
 * extension of a file baton handles ("*.wav", "img_??.jpg", a folder's "*.png") or a folder and
 * '/' and '*' alone ("scans/" "*": all its files)? Not "2*3", "3.5*2" nor "x*.y". */
static bool is_pattern(const char *w, size_t n) {
  if ((!memchr(w, '*', n) && !memchr(w, '?', n)) || memmem(w, n, "://", 3))
    return false; /* (a web address is no pattern) */
  if (n >= 2 && w[n - 1] == '*' && w[n - 2] == '/')
    return true;
  size_t e = n;
  while (e > 0 && isalnum((unsigned char)w[e - 1]))
    e--;
  return e > 0 && e < n && w[e - 1] == '.' && known_extension(w + e, n - e);
}

/* What makes the file name unfit to print or to put in a request, or NULL: not UTF-8, or a
 * control character (a line break). */
static const char *unfit_name(const char *name) {
  if (!baton__utf8_valid(name, strlen(name)))
    return "a name that is not UTF-8";
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return "a name with a control character";
  return NULL;
}

/* The files of folder dir (relative to the caller's, "" for it) whose names match pattern and
 * whose type is one of `types` (0: any), as the request names them ("scans/a.png, scans/b.png and
 * scans/c.png"), appended to sb: how many, or -1 with err (-2 when there is no such folder),
 * `what` naming them in errors. */
static long add_files(const baton__input_scope *scope, const char *dir, const char *pattern,
                      unsigned types, const char *what, baton__sb *sb, char *err,
                      size_t errlen) {
  char *names[PATTERN_MAX_FILES], why[400] = "";
  long got = baton__input_list(scope, dir, pattern, types, names, PATTERN_MAX_FILES, why,
                               sizeof why);
  if (got < 0)
    baton__fmt(err, errlen, "%s: %s", what, why);
  for (long i = 0; i < got; i++) {
    const char *unfit = unfit_name(names[i]); /* not printed */
    bool plain = !unfit && !names[i][strcspn(names[i], " '\"")]; /* the planner reads it whole */
    if (plain)
      baton__sb_addf(sb, "%s%s%s%s", i == 0 ? "" : i + 1 < got ? ", " : " and ", dir,
                     *dir ? "/" : "", names[i]);
    else if (!err[0] && unfit)
      baton__fmt(err, errlen, "a file %s matches has %s: rename it, or name the files one by "
                 "one", what, unfit);
    else if (!err[0])
      baton__fmt(err, errlen, "'%s' (%s) has a space or a quote in its name: rename it, or "
                 "name the files one by one", names[i], what);
    free(names[i]);
  }
  return err[0] ? (got == -2 ? -2 : -1) : got;
}

/* The files the pattern [w, w+n) matches, appended to sb (add_files). 0, or -1 with err. */
static int add_matches(const baton__input_scope *scope, const char *w, size_t n, baton__sb *sb,
                       char *err, size_t errlen) {
  char pat[PATTERN_MAX_LEN], what[PATTERN_MAX_LEN + 16];
  if (n >= sizeof pat) {
    baton__fmt(err, errlen, "the file pattern '%.40s...' is longer than %zu bytes", w,
               sizeof pat - 1);
    return -1;
  }
  memcpy(pat, w, n);
  pat[n] = '\0';
  baton__fmt(what, sizeof what, "'%s'", pat);
  if (pat[0] == '/') { /* absolute, though the folder is "" when the pattern is at the top */
    baton__fmt(err, errlen, "%s: name the files relative to your folder", what);
    return -1;
  }
  char *slash = strrchr(pat, '/'), *dir = slash ? pat : (char *)"";
  const char *name = slash ? slash + 1 : pat;
  if (slash)
    *slash = '\0';
  if (strpbrk(dir, "*?[")) {
    baton__fmt(err, errlen, "%s: a pattern may stand only for file names, not folders", what);
    return -1;
  }
  long got = add_files(scope, dir, name, 0, what, sb, err, errlen);
  if (got == 0)
    baton__fmt(err, errlen, "no file in your folder matches %s", what);
  return got > 0 ? 0 : -1;
}

/* The files of a folder named in words at p ("every picture in photos") appended to sb, *p
 * moved past the words: 1; 0 when p names none (or no folder of that name is there, or the
 * request has no folder to look in); -1 with err. */
static int add_folder(const baton__input_scope *scope, const char **p, baton__sb *sb, char *err,
                      size_t errlen) {
  char dir[PATTERN_MAX_LEN], what[PATTERN_MAX_LEN + 16];
  char pat[24];
  const char *label, *end;
  unsigned types;
  if (!scope->n_roots || !folder_words_at(*p, dir, sizeof dir, pat, &types, &label, &end))
    return 0; /* no folder to look in: the words may be no folder's */
  baton__fmt(what, sizeof what, "folder '%s'", dir);
  long got = add_files(scope, dir, pat, types, what, sb, err, errlen);
  if (got == -2) { /* "every photo in the style of Monet": no folder "style", nothing added */
    err[0] = '\0';
    return 0;
  }
  if (got == 0)
    baton__fmt(err, errlen, "%s holds no %s file", what, label);
  *p = end;
  return got > 0 ? 1 : -1;
}

/* s[0..n) but its quotes (around a pattern: the files it names are no quoted text) into sb. */
static void add_unquoted(baton__sb *sb, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != '\'' && s[i] != '"')
      baton__sb_addc(sb, s[i]);
}

/* The request with each pattern and each folder named in words replaced by the files they
 * match (*out, malloc'd), or *out NULL when it names none; a quotation of several words ("say
 * 'I love *.wav files'") left as it is. 0, or -1 with err. */
static int expand(const baton__input_scope *scope, const char *text, char **out, char *err,
                  size_t errlen) {
  char *masked = baton__run_mask_quotations(text); /* read for patterns; text's bytes copied */
  baton__sb sb;
  baton__sb_init(&sb);
  size_t found = 0;
  if (!masked)
    baton__fmt(err, errlen, "out of memory");
  for (const char *p = masked; p && *p && !err[0];) {
    size_t gap = strspn(p, " \t\r\n");
    baton__sb_add(&sb, text + (p - masked), gap);
    p += gap;
    int folder = add_folder(scope, &p, &sb, err, errlen);
    const char *o = text + (p - masked); /* p's bytes as written */
    size_t n = strcspn(p, " \t\r\n"), a = 0, b = n;
    while (a < b && before(p[a]))
      a++;
    while (b > a && after(p[b - 1]))
      b--;
    bool pattern = !folder && is_pattern(p + a, b - a);
    if ((folder || pattern) && ++found > PATTERN_MAX)
      baton__fmt(err, errlen, "the request names files by more than %d patterns or folders",
                 PATTERN_MAX);
    if (folder || err[0])
      continue;
    if (!pattern) {
      baton__sb_add(&sb, o, n);
    } else {
      add_unquoted(&sb, o, a);
      if (add_matches(scope, p + a, b - a, &sb, err, errlen) == 0)
        add_unquoted(&sb, o + b, n - b);
    }
    p += n;
  }
  free(masked);
  *out = found && !err[0] ? baton__sb_detach(&sb) : NULL;
  baton__sb_release(&sb);
  if (found && !err[0] && !*out)
    baton__fmt(err, errlen, "out of memory");
  return err[0] ? -1 : 0;
}

/* The scope of req's inputs: its one root (roots[0], fds[0]; none if NULL), its caller's rights. */
static baton__input_scope request_scope(const baton *ctx, const baton_request *req,
                                        const char **roots, int *fds) {
  return (baton__input_scope){.roots = roots, .root_fds = fds, .n_roots = roots[0] ? 1 : 0,
                              .as_caller = req->as_caller && req->caller_uid != geteuid(),
                              .uid = req->caller_uid, .gid = req->caller_gid,
                              .groups = (const gid_t *)req->caller_groups,
                              .n_groups = req->caller_groups ? req->n_caller_groups : 0,
                              .max_bytes = ctx->cfg.max_input_bytes};
}

baton_rc baton__run_expand_patterns(baton *ctx, const baton_request *req, const char *root,
                                    int root_fd, char **out) {
  *out = NULL;
  if (!req->text || strlen(req->text) > ctx->cfg.max_request_bytes)
    return BATON_OK; /* refused when planned (baton__run_make_graph), unread here */
  char err[700] = "";
  const char *roots[1] = {root};
  int fds[1] = {root_fd};
  baton__input_scope scope = request_scope(ctx, req, roots, fds);
  if (expand(&scope, req->text, out, err, sizeof err) != 0 ||
      baton__run_check_names(&scope, *out ? *out : req->text, err, sizeof err) != 0)
    return free(*out), *out = NULL, baton__fail(ctx, BATON_INVALID, "%s", err);
  return BATON_OK;
}

baton_rc baton__run_expand_patterns_here(baton *ctx, const baton_request *req, char **out) {
  *out = NULL;
  if (!req->text)
    return BATON_OK;
  if (req->as_caller && !req->input_root) /* a daemon's request naming no folder */
    return baton__run_expand_patterns(ctx, req, NULL, -1, out);
  int fd = -1;
  char *root = baton__run_resolve_root(ctx, req, &fd);
  if (!root)
    return BATON_INVALID;
  baton_rc rc = baton__run_expand_patterns(ctx, req, root, fd, out);
  close(fd);
  free(root);
  return rc;
}

/* Does the literal argument a name a file (a picture, recording or video; a text file) that
 * scope does not hold? */
static bool names_missing_file(const baton__input_scope *scope, const baton__arg *a) {
  unsigned type = baton__arg_type(a->name), path = a->value ? baton__type_of_path(a->value) : 0;
  char why[700];
  if (a->ref >= 0 || !a->value || a->value[0] == '~' || !strcmp(a->name, BATON__ARG_SAVE_AS) ||
      !(type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO | BATON__T_TEXT)) ||
      (type == BATON__T_TEXT && path != BATON__T_TEXT))
    return false;
  int fd = baton__input_open(scope, a->value, why, sizeof why);
  if (fd >= 0)
    close(fd);
  return fd < 0 && strstr(why, ": no such file");
}

void baton__run_note_spaced_names(baton *ctx, const baton_request *req, const baton__graph *g,
                                  char note[BATON__PLAN_NOTE]) {
  if (!req->text || (req->as_caller && !req->input_root))
    return;
  int fd = -1;
  char *root = baton__run_resolve_root(ctx, req, &fd), hint[600];
  const char *roots[1] = {root};
  int fds[1] = {fd};
  baton__input_scope scope = request_scope(ctx, req, roots, fds);
  for (size_t t = 0; root && t < g->n; t++)
    for (size_t k = 0; k < g->tasks[t].n_args; k++) {
      const baton__arg *a = &g->tasks[t].args[k];
      size_t len = strlen(note);
      if (names_missing_file(&scope, a) &&
          baton__run_hint_spaced_name(&scope, req->text, a->value, hint, sizeof hint))
        baton__fmt(note + len, BATON__PLAN_NOTE - len, "%s%s", len ? "; " : "", hint);
    }
  if (root)
    close(fd);
  free(root);
}
