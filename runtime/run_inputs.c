/* run_inputs.c — a run's inputs: the folder they come from, literal arguments checked ("~/" the caller's home) and input files copied before anything runs. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "core/textpart.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "runtime/context.h"
#include "runtime/inputs.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The folders inputs may come from, as real paths: the caller's folder
 * (run->root, when there is one) first, then allowed_roots, then (own_runs)
 * $BATON_HOME/runs: what earlier runs made ("now blur it" in a chat); *own_runs
 * says whether that last one is there. */
static size_t input_roots(const baton_run *run, bool *own_runs, char **roots, size_t cap) {
  size_t n = 0;
  if (run->root && (roots[n] = baton__strdup(run->root)))
    n++;
  for (size_t i = 0; i < run->ctx->cfg.n_allowed_roots && n < cap; i++)
    if ((roots[n] = realpath(run->ctx->cfg.allowed_roots[i], NULL)))
      n++;
  char *runs = *own_runs ? baton__path_join(run->ctx->cfg.home, "runs") : NULL;
  *own_runs = runs && n < cap && (roots[n] = realpath(runs, NULL));
  n += *own_runs;
  free(runs);
  return n;
}

/* Opens one file argument now (see inputs.h) and copies it into the run's
 * workspace, so what runs reads the bytes checked here, never the path
 * again (a folder swapped for a link later changes nothing). */
static int take_input(baton_run *run, const baton__input_scope *scope, const baton__task *t,
                      baton__arg *a, char *err, size_t errlen) {
  int fd = baton__input_open(scope, a->value, err, errlen);
  if (fd < 0)
    return -1;
  char *dir = baton__path_join(run->workspace, "inputs");
  const char *base = strrchr(a->value, '/');
  base = base ? base + 1 : a->value;
  char name[300];
  baton__fmt(name, sizeof name, "t%d-%s-%s", t->id, a->name, base); /* (baton__given_name) */
  char *dst = dir ? baton__path_join(dir, name) : NULL;
  int rc = -1;
  if (!dst)
    baton__fmt(err, errlen, "out of memory");
  else if (baton__mkdirs(dir, 0700) != 0)
    baton__fmt(err, errlen, "cannot create %s: %s", dir, strerror(errno));
  else
    rc = baton__input_copy(fd, dst, err, errlen);
  close(fd);
  free(dir);
  if (rc == 0) {
    free(a->value);
    a->value = dst;
  } else {
    free(dst);
  }
  return rc;
}

/* Does a literal argument name a text file ("notes.txt": one word ending in .txt or .md)? */
static bool names_text_file(const baton__arg *a) {
  return a->ref < 0 && a->value && strcmp(a->name, BATON__ARG_SAVE_AS) != 0 &&
         baton__type_of_path(a->value) == BATON__T_TEXT &&
         !a->value[strcspn(a->value, " \t\r\n")];
}

/* Is a literal argument with spaces ("my notes.txt", as quoted) exactly the name of a regular
 * file the scope lets one read? Words such as "see notes.txt" name none, and stay words. */
static bool names_spaced_text_file(const baton__input_scope *scope, const baton__arg *a) {
  if (a->ref >= 0 || !a->value || strcmp(a->name, BATON__ARG_SAVE_AS) == 0 ||
      baton__type_of_path(a->value) != BATON__T_TEXT || !strchr(a->value, ' ') ||
      a->value[strcspn(a->value, "\t\r\n")])
    return false;
  char err[700];
  int fd = baton__input_open(scope, a->value, err, sizeof err);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

/* Is a literal argument only a web address ("https://example.com/a", "https://x/a.png")? baton
 * fetches nothing: what runs would work on the address itself, or find no such file. */
static bool names_web_page(const baton__arg *a) {
  return a->ref < 0 && a->value && strcmp(a->name, BATON__ARG_SAVE_AS) != 0 &&
         (!strncmp(a->value, "http://", 7) || !strncmp(a->value, "https://", 8)) &&
         !a->value[strcspn(a->value, " \t\r\n")];
}

/* Reads the text file a literal argument names, opened as input files are (see inputs.h), into
 * the argument: what runs gets its words, never its name; only the part the step's words name
 * of it, as_named ("the first paragraph of notes.txt"). At most max bytes of UTF-8 text. 0,
 * -1 with err, or -2 with err when the file is longer than max. */
static int take_text_file(const baton__input_scope *scope, baton__arg *a, const char *words,
                          const char *as_named, size_t max, char *err, size_t errlen) {
  int fd = baton__input_open(scope, a->value, err, errlen), rc;
  char *text = NULL;
  size_t len = 0;
  if (fd < 0)
    return -1;
  if ((rc = baton__read_fd(fd, a->value, max, &text, &len, err, errlen)) != 0) {
    if (rc == -2)
      baton__fmt(err, errlen, "%s is longer than limits.text_bytes (%zu bytes)", a->value, max);
    return rc;
  }
  const char *bad = memchr(text, '\0', len) || !baton__utf8_valid(text, len) ? "is not UTF-8 text"
                    : !len                                   ? "is empty" /* as a recording */
                    : strspn(text, " \t\r\n") == len         ? "holds only blank space, no text"
                                                             : NULL;
  if (bad) {
    baton__fmt(err, errlen, "%s %s", a->value, bad);
    free(text);
    return -1;
  }
  baton__text_part part = baton__text_part_named(words, as_named);
  if (part.unit != BATON__PART_NONE) { /* "the first paragraph of notes.txt" */
    char *cut = baton__text_part_cut(text, &part, as_named, err, errlen);
    free(text);
    if (!(text = cut))
      return -1;
  }
  free(a->value);
  a->value = text;
  return 0;
}

/* Does the literal argument a of that type name a file ("~/sign.png", "~/notes.txt") whose
 * leading "~" is the caller's home folder? */
static bool names_home_file(const baton__arg *a, unsigned type) {
  return a->value && a->value[0] == '~' && strcmp(a->name, BATON__ARG_SAVE_AS) != 0 &&
         ((type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO)) ||
          (type == BATON__T_TEXT && baton__type_of_path(a->value) == BATON__T_TEXT));
}

#define SPACED_WORDS 4 /* the words before a name not found tried as the start of it */

bool baton__run_hint_spaced_name(const baton__input_scope *scope, const char *request,
                                 const char *name, char *hint, size_t hintlen) {
  const char *at = request && name[0] ? strstr(request, name) : NULL, *s = at;
  char tried[512], why[700];
  size_t n = strlen(name);
  for (int k = 0; at && k < SPACED_WORDS && s > request && s[-1] == ' '; k++) {
    for (s--; s > request && s[-1] != ' ' && s[-1] != '\'' && s[-1] != '"';)
      s--; /* the word before */
    if ((size_t)(at - s) + n >= sizeof tried)
      return false;
    baton__fmt(tried, sizeof tried, "%.*s", (int)((size_t)(at - s) + n), s);
    int fd = baton__input_open(scope, tried, why, sizeof why);
    if (fd >= 0) {
      close(fd);
      baton__fmt(hint, hintlen, "'%s' is a file: put a name with spaces in quotes", tried);
      return true;
    }
  }
  return false;
}

/* The message of a failure to read the input file of an argument, a "~/notes.txt" one saying what
 * the "~" stood for (the file then lies outside the allowed folders, often). */
static baton_rc input_failed(baton_run *run, const baton__task *t, int got, const char *tilde,
                             const char *err) {
  baton_rc code = got == -2 || strstr(err, "bytes; the limit") ? BATON_LIMIT : BATON_INVALID;
  if (tilde[0])
    return baton__fail(run->ctx, code, "task %d: %s: %s", t->id, tilde, err);
  return baton__fail(run->ctx, code, "task %d: %s", t->id, err);
}

/* Checks one literal argument of task t now, and takes a copy of the file it names (take_input),
 * or the words of a text file (take_text_file); a leading "~/" is the caller's home folder. */
static baton_rc check_arg(baton_run *run, const baton_request *req,
                          const baton__input_scope *scope, const baton__task *t, baton__arg *a) {
  unsigned type = baton__arg_type(a->name);
  char err[700], tilde[200] = "";
  if (names_home_file(a, type)) {
    baton__fmt(tilde, sizeof tilde, "%s", a->value);
    if (baton__run_expand_tilde(req, &a->value, err, sizeof err) < 0)
      return baton__fail(run->ctx, BATON_INVALID, "task %d: %s", t->id, err);
  }
  bool text_file = names_text_file(a) || names_spaced_text_file(scope, a);
  bool media = type & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO);
  if (text_file && media) /* its words are for a text argument: "image=notes.txt" is a mistake */
    return baton__fail(run->ctx, BATON_INVALID, "task %d: %s needs %s %s, and %s is a text file",
                       t->id, t->task, strchr("aeiou", a->name[0]) ? "an" : "a",
                       baton__type_name(type), tilde[0] ? tilde : a->value);
  if (names_web_page(a))
    return baton__fail(run->ctx, BATON_INVALID, "task %d: baton does not fetch web pages "
                       "or files (%.200s): save the file, or the page's text as a .txt file, "
                       "and name that; or put the text itself in quotes", t->id, a->value);
  if (type == BATON__T_TEXT && a->value && !a->value[strcspn(a->value, " \t\r\n")] &&
      baton__names_unreadable_file(a->value, err, sizeof err)) /* "Q3_report.pdf" */
    return baton__fail(run->ctx, BATON_INVALID, "task %d: %s", t->id, err);
  if (!text_file && type == BATON__T_TEXT && strlen(a->value) > run->ctx->cfg.max_text_bytes)
    return baton__fail(run->ctx, BATON_LIMIT, "task %d: the text argument is longer than %zu bytes",
                       t->id, run->ctx->cfg.max_text_bytes);
  int got = text_file ? take_text_file(scope, a, t->words ? t->words : req->text,
                                       tilde[0] ? tilde : a->value,
                                       run->ctx->cfg.max_text_bytes, err, sizeof err)
            : media   ? take_input(run, scope, t, a, err, sizeof err) : 0;
  char hint[600];
  size_t len = strlen(err);
  if (got == -1 && !tilde[0] && strstr(err, ": no such file") && /* "mi foto ñ.png" unquoted */
      baton__run_hint_spaced_name(scope, req->text, a->value, hint, sizeof hint))
    baton__fmt(err + len, sizeof err - len, "; %s", hint);
  return got != 0 ? input_failed(run, t, got, tilde, err) : BATON_OK;
}

/* The folders a run's inputs may come from and whose rights open them (see input_roots). */
typedef struct run_scope {
  baton__input_scope scope;
  char **roots;
  int *root_fds;
} run_scope;

static void run_scope_release(run_scope *rs) {
  for (size_t i = 0; rs->roots && i < rs->scope.n_roots; i++)
    free(rs->roots[i]);
  free(rs->roots);
  free(rs->root_fds);
}

/* Opens a file of one of the run's user's own runs (scope's open_run_file): another user's run,
 * whose inputs are opened with its rights, reads its earlier runs' outputs, which are the
 * daemon user's files, once the history says the run is its own. */
static int own_run_file(void *ud, const char *name, char *err, size_t errlen) {
  const baton_run *run = ud;
  return baton__run_file_open(run->ctx, name, (long)run->uid, err, errlen);
}

/* Fills rs for run and req: 0, or -1 out of memory (rs released). */
static int run_scope_init(run_scope *rs, const baton_run *run, const baton_request *req) {
  size_t cap = run->ctx->cfg.n_allowed_roots + 2;
  /* another user's run reads only its own runs' outputs, through own_run_file */
  bool other_user = req->as_caller && req->caller_uid != geteuid();
  *rs = (run_scope){.roots = calloc(cap, sizeof(char *)),
                    .root_fds = malloc(cap * sizeof(int))};
  if (!rs->roots || !rs->root_fds) {
    run_scope_release(rs);
    return -1;
  }
  bool own_runs = !other_user;
  size_t n_roots = input_roots(run, &own_runs, rs->roots, cap);
  bool own = n_roots && run->root && !strcmp(rs->roots[0], run->root);
  for (size_t i = 0; i < cap; i++) /* the caller's folder as opened; allowed_roots by path */
    rs->root_fds[i] = i == 0 && own ? run->root_fd : -1;
  rs->scope = (baton__input_scope){.roots = (const char *const *)rs->roots,
                                   .root_fds = rs->root_fds, .n_roots = n_roots,
                                   .as_caller = other_user,
                                   .uid = req->caller_uid, .gid = req->caller_gid,
                                   .groups = (const gid_t *)req->caller_groups,
                                   .n_groups = req->caller_groups ? req->n_caller_groups : 0,
                                   .max_bytes = run->ctx->cfg.max_input_bytes,
                                   .own_runs = own_runs || other_user,
                                   .open_run_file = other_user ? own_run_file : NULL,
                                   .run_file_ud = (void *)run};
  return 0;
}

baton_rc baton__run_check_given_inputs(baton_run *run, const baton_request *req) {
  run_scope rs;
  if (!req->n_inputs)
    return BATON_OK;
  if (run_scope_init(&rs, run, req) != 0)
    return baton__fail(run->ctx, BATON_NOMEM, "out of memory");
  baton_rc rc = BATON_OK;
  for (size_t i = 0; rc == BATON_OK && req->inputs && i < req->n_inputs; i++) {
    char err[700];
    int fd = req->inputs[i] ? baton__input_open(&rs.scope, req->inputs[i], err, sizeof err) : -1;
    if (fd >= 0)
      close(fd);
    else if (fd == -2)
      rc = baton__fail(run->ctx, BATON_INVALID, "%s", err);
  }
  run_scope_release(&rs);
  return rc;
}

/* Checks every literal file argument now, so a missing file is a usage error
 * before anything runs (check_arg). */
baton_rc baton__run_check_inputs(baton_run *run, const baton_request *req) {
  run_scope rs;
  if (run_scope_init(&rs, run, req) != 0)
    return baton__fail(run->ctx, BATON_NOMEM, "out of memory");
  baton_rc rc = BATON_OK;
  for (size_t i = 0; rc == BATON_OK && i < run->g.n; i++) {
    baton__task *t = &run->g.tasks[i];
    for (size_t j = 0; rc == BATON_OK && j < t->n_args; j++)
      if (t->args[j].ref < 0)
        rc = check_arg(run, req, &rs.scope, t, &t->args[j]);
  }
  run_scope_release(&rs);
  if (run->root && run->root_fd >= 0) { /* every input is copied: the folder is done with */
    close(run->root_fd);
    run->root_fd = -1;
  }
  return rc;
}

char *baton__run_resolve_root(baton *ctx, const baton_request *req, int *fd) {
  char cwd[PATH_MAX];
  const char *r = req->input_root;
  if (!r) {
    if (!getcwd(cwd, sizeof cwd)) {
      baton__fail(ctx, BATON_IO, "cannot read the current folder: %s", strerror(errno));
      return NULL;
    }
    r = cwd;
  }
  char *real = NULL;
  *fd = baton__input_root_open(r, &real);
  if (*fd < 0)
    baton__fail(ctx, BATON_INVALID, "input folder %s: %s", r, strerror(errno));
  return real;
}
