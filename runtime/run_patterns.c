/* run_patterns.c — file patterns in a request ("transcribe *.wav", "describe every *.jpg in photos") read as the files they match in the caller's folder, named one by one before the request is planned. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/context.h"
#include "runtime/inputs.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Files one pattern stands for, at most: a step or two on each still fits one plan. */
#define PATTERN_MAX_FILES 16
/* Patterns in one request, at most. */
#define PATTERN_MAX 4
#define PATTERN_MAX_LEN 512

/* Marks before and after a word, not part of it ("'*.wav',", "(*.png)."). */
static bool before(char c) {
  return c && strchr("'\"([<", c) != NULL;
}

static bool after(char c) {
  return c && strchr("'\")]>,.;:!?", c) != NULL;
}

/* Is the word [w, w+n) a pattern of file names: a '*' or '?' in a name that ends in an
 * extension ("*.wav", "img_??.jpg", a folder's "*.png") or a folder and '/' and '*' alone
 * ("scans/" "*": all its files)? Not "2*3" nor "3.5*2". */
static bool is_pattern(const char *w, size_t n) {
  if ((!memchr(w, '*', n) && !memchr(w, '?', n)) || memmem(w, n, "://", 3))
    return false; /* (a web address is no pattern) */
  if (n >= 2 && w[n - 1] == '*' && w[n - 2] == '/')
    return true;
  size_t e = n;
  while (e > 0 && isalnum((unsigned char)w[e - 1]))
    e--;
  return e > 0 && e < n && w[e - 1] == '.' && !isdigit((unsigned char)w[e]);
}

/* The files the pattern [w, w+n) matches, as the request names them (in a folder: "scans/a.png,
 * scans/b.png and scans/c.png"), appended to sb. 0, or -1 with err. */
static int add_matches(const baton__input_scope *scope, const char *w, size_t n, baton__sb *sb,
                       char *err, size_t errlen) {
  char pat[PATTERN_MAX_LEN];
  if (n >= sizeof pat) {
    baton__fmt(err, errlen, "the file pattern '%.40s...' is longer than %zu bytes", w,
               sizeof pat - 1);
    return -1;
  }
  memcpy(pat, w, n);
  pat[n] = '\0';
  char *slash = strrchr(pat, '/'), *dir = slash ? pat : (char *)"";
  const char *name = slash ? slash + 1 : pat;
  if (slash)
    *slash = '\0';
  if (strpbrk(dir, "*?[")) {
    baton__fmt(err, errlen, "'%s/%s': a pattern may stand only for file names, not folders", dir,
               name);
    return -1;
  }
  char *names[PATTERN_MAX_FILES];
  long got = baton__input_list(scope, dir, name, names, PATTERN_MAX_FILES, err, errlen);
  if (got == 0)
    baton__fmt(err, errlen, "no file in your folder matches '%.*s'", (int)n, w);
  for (long i = 0; i < got; i++) {
    bool quiet = !names[i][strcspn(names[i], " \t\r\n'\"")]; /* the planner reads it whole */
    if (quiet)
      baton__sb_addf(sb, "%s%s%s%s", i == 0 ? "" : i + 1 < got ? ", " : " and ", dir,
                     *dir ? "/" : "", names[i]);
    else if (!err[0])
      baton__fmt(err, errlen, "'%s' (matching '%.*s') has a space or a quote in its name: "
                 "rename it, or name the files one by one", names[i], (int)n, w);
    free(names[i]);
  }
  return got > 0 && !err[0] ? 0 : -1;
}

/* s[0..n) but its quotes (around a pattern: the files it names are no quoted text) into sb. */
static void add_unquoted(baton__sb *sb, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != '\'' && s[i] != '"')
      baton__sb_addc(sb, s[i]);
}

/* The request with each pattern replaced by the files it matches (*out, malloc'd), or *out NULL
 * when it names none. 0, or -1 with err. */
static int expand(const baton__input_scope *scope, const char *text, char **out, char *err,
                  size_t errlen) {
  baton__sb sb;
  baton__sb_init(&sb);
  size_t found = 0;
  for (const char *p = text; *p;) {
    size_t n = strcspn(p, " \t\r\n"), a = 0, b = n;
    while (a < b && before(p[a]))
      a++;
    while (b > a && after(p[b - 1]))
      b--;
    bool pattern = is_pattern(p + a, b - a);
    if (pattern && ++found > PATTERN_MAX) {
      baton__fmt(err, errlen, "the request has more than %d file patterns", PATTERN_MAX);
      break;
    }
    if (!pattern) {
      baton__sb_add(&sb, p, n);
    } else {
      add_unquoted(&sb, p, a);
      if (add_matches(scope, p + a, b - a, &sb, err, errlen) != 0)
        break;
      add_unquoted(&sb, p + b, n - b);
    }
    p += n;
    size_t gap = strspn(p, " \t\r\n");
    baton__sb_add(&sb, p, gap);
    p += gap;
  }
  *out = found && !err[0] ? baton__sb_detach(&sb) : NULL;
  baton__sb_release(&sb);
  if (found && !err[0] && !*out)
    baton__fmt(err, errlen, "out of memory");
  return err[0] ? -1 : 0;
}

baton_rc baton__run_expand_patterns(baton *ctx, const baton_request *req, const char *root,
                                    int root_fd, char **out) {
  *out = NULL;
  if (!req->text || !strpbrk(req->text, "*?"))
    return BATON_OK;
  char err[700] = "";
  const char *roots[1] = {root};
  int fds[1] = {root_fd};
  baton__input_scope scope = {.roots = roots, .root_fds = fds, .n_roots = root ? 1 : 0,
                              .as_caller = req->as_caller && req->caller_uid != geteuid(),
                              .uid = req->caller_uid, .gid = req->caller_gid,
                              .max_bytes = ctx->cfg.max_input_bytes};
  if (expand(&scope, req->text, out, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_INVALID, "%s", err);
  return BATON_OK;
}

baton_rc baton__run_expand_patterns_here(baton *ctx, const baton_request *req, char **out) {
  *out = NULL;
  if (!req->text || !strpbrk(req->text, "*?") || (req->as_caller && !req->input_root))
    return BATON_OK;
  int fd = -1;
  char *root = baton__run_resolve_root(ctx, req, &fd);
  if (!root)
    return BATON_INVALID;
  baton_rc rc = baton__run_expand_patterns(ctx, req, root, fd, out);
  close(fd);
  free(root);
  return rc;
}
