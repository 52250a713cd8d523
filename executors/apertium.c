/* apertium.c — the "translation" executor: runs the apertium program (no shell), bounded in time and output. */
#include "executors/executor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "executors/apertium_marks.h"
#include "executors/apertium_pairs.h"
#include "executors/run_common.h"
#include "core/banned.h"

extern char **environ;

#define AP_PROGRAM "/usr/bin/apertium"
#define AP_DEFAULT_TIMEOUT_MS 30000L
#define AP_DEFAULT_MAX_TEXT (1024u * 1024u)
#define AP_STDERR_MAX 2048u

static bool ap_mode_exists(const char *mode) {
  char path[4096];
  baton__fmt(path, sizeof path, "%s/modes/%s.mode", baton__apertium_datadir(), mode);
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ap_code_ok(const char *code) {
  size_t n = strlen(code);
  if (n < 2 || n > 16)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)code[i];
    if (!isalpha(c) && c != '_')
      return false;
  }
  return true;
}

/* Finds the installed mode for src->tgt, trying both ISO forms of each
 * code. Writes it into mode and returns true, or false when none exists. */
static bool ap_find_mode(const char *src, const char *tgt, char *mode, size_t modelen) {
  const char *srcs[2] = {src, baton__lang_other(src)};
  const char *tgts[2] = {tgt, baton__lang_other(tgt)};
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < 2; j++) {
      if (!srcs[i] || !tgts[j])
        continue;
      baton__fmt(mode, modelen, "%s-%s", srcs[i], tgts[j]);
      if (ap_mode_exists(mode))
        return true;
    }
  }
  return false;
}

static bool ap_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  if (access(AP_PROGRAM, X_OK) != 0) {
    baton__fmt(why, whylen, "%s not found; install apertium and apertium-en-es", AP_PROGRAM);
    return false;
  }
  baton__lang_pair pairs[BATON__MAX_LANG_PAIRS];
  if (baton__apertium_pairs(pairs, BATON__MAX_LANG_PAIRS) == 0) {
    baton__fmt(why, whylen,
               "apertium has no language pair installed (no mode in %s/modes); install "
               "apertium-en-es or another apertium pair",
               baton__apertium_datadir());
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int ap_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  return ap_available(cfg, err, errlen) ? 0 : -1;
}

static const char *ap_arg(const baton__values *in, const char *name) {
  const baton__value *v = baton__values_get(in, name);
  return v && v->data && *v->data ? v->data : NULL;
}

/* Kills the whole pipeline apertium started (it leads its own process
 * group) and reaps the script. */
static void ap_kill(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* One exchange with a running apertium: the parent's pipe ends (-1 once
 * closed), the text going in and what comes back. */
typedef struct ap_io {
  int in_fd, out_fd, err_fd;
  const char *text;
  size_t tlen, sent;
  size_t max_out;  /* bound on outb */
  baton__sb *outb; /* its standard output */
  char *errtext;   /* the start of its standard error, NUL-terminated */
  size_t errcap, errlen;
} ap_io;

static void ap_close(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void ap_close_all(ap_io *io) {
  ap_close(&io->in_fd);
  ap_close(&io->out_fd);
  ap_close(&io->err_fd);
}

/* A folder of one run's own, passed to apertium as TMPDIR and removed after the run: the script
 * removes its temporary file as it exits, which a child killed past its deadline never does. */
typedef struct ap_tmp {
  char dir[1024], var[1040];
  char **envp; /* environ with TMPDIR set to dir */
} ap_tmp;

/* Makes t's folder and environment. 0, or -1 with err set. */
static int ap_tmp_make(ap_tmp *t, char *err, size_t errlen) {
  t->envp = NULL;
  if (baton__mktempdir(t->dir, sizeof t->dir, "baton-apertium") != 0) {
    baton__fmt(err, errlen, "cannot make a temporary folder for apertium: %s", strerror(errno));
    return -1;
  }
  baton__fmt(t->var, sizeof t->var, "TMPDIR=%s", t->dir);
  size_t n = 0, k = 0;
  while (environ && environ[n])
    n++;
  t->envp = calloc(n + 2, sizeof *t->envp);
  for (size_t i = 0; t->envp && i < n; i++)
    if (strncmp(environ[i], "TMPDIR=", 7) != 0)
      t->envp[k++] = environ[i];
  if (!t->envp) {
    rmdir(t->dir);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  t->envp[k] = t->var;
  return 0;
}

/* Removes t's folder with whatever the run left in it. */
static void ap_tmp_drop(ap_tmp *t) {
  baton__rm_tree(t->dir, false);
  free(t->envp);
}

/* Starts apertium with the given mode and environment; fills the parent's pipe ends in io. */
static int ap_spawn(const char *mode, char **envp, pid_t *pid, ap_io *io, char *err,
                    size_t errlen) {
  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
  if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0) {
    baton__fmt(err, errlen, "cannot create pipes: %s", strerror(errno));
    goto fail;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
  sigset_t none, def;
  sigemptyset(&none);
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  /* (not -u: its marks say which words it did not know; apertium_marks.c takes them out) */
  char *argv[] = {(char *)"apertium", (char *)mode, NULL};
  int rc = posix_spawn(pid, AP_PROGRAM, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    baton__fmt(err, errlen, "cannot start %s: %s", AP_PROGRAM, strerror(rc));
    goto fail;
  }
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  io->in_fd = pin[1];
  io->out_fd = pout[0];
  io->err_fd = perr[0];
  fcntl(io->in_fd, F_SETFL, fcntl(io->in_fd, F_GETFL) | O_NONBLOCK);
  fcntl(io->out_fd, F_SETFL, fcntl(io->out_fd, F_GETFL) | O_NONBLOCK);
  fcntl(io->err_fd, F_SETFL, fcntl(io->err_fd, F_GETFL) | O_NONBLOCK);
  return 0;
fail:
  for (int i = 0; i < 2; i++) {
    ap_close(&pin[i]);
    ap_close(&pout[i]);
    ap_close(&perr[i]);
  }
  return -1;
}

/* Writes what the child's stdin takes; closes it when all is sent or the
 * child stopped reading (EPIPE: its exit status and stderr will tell). */
static void ap_feed(ap_io *io, short revents) {
  ssize_t w = (revents & POLLOUT) ? write(io->in_fd, io->text + io->sent, io->tlen - io->sent)
                                  : -1;
  if (w > 0)
    io->sent += (size_t)w;
  if (w < 0 && (errno == EAGAIN || errno == EINTR))
    w = 0;
  if (w < 0 || io->sent == io->tlen)
    ap_close(&io->in_fd);
}

/* Reads the child's stdout into outb; closes it at the end. 0, or -1 with
 * env->err set when the output grows past max_out. */
static int ap_read_out(ap_io *io, baton__exec_env *env) {
  char buf[8192];
  ssize_t n = read(io->out_fd, buf, sizeof buf);
  if (n > 0) {
    if (io->outb->len + (size_t)n > io->max_out)
      return baton__run_fail(env,
                             "apertium's output is over the limit of %zu bytes (max_text_bytes)",
                             io->max_out);
    baton__sb_add(io->outb, buf, (size_t)n);
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    ap_close(&io->out_fd);
  }
  return 0;
}

/* Keeps the start of the child's stderr (what fits errtext); closes it at
 * the end. */
static void ap_read_err(ap_io *io) {
  char buf[8192];
  ssize_t n = read(io->err_fd, buf, sizeof buf);
  if (n > 0) {
    size_t room = io->errcap - 1 - io->errlen;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(io->errtext + io->errlen, buf, take);
    io->errlen += take;
    io->errtext[io->errlen] = '\0';
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    ap_close(&io->err_fd);
  }
}

/* Feeds and reads the child until both its output pipes close. 0, or -1
 * with env->err set (cancelled, past the deadline, output too long). */
static int ap_pump(ap_io *io, int64_t deadline, long timeout, baton__exec_env *env) {
  while (io->out_fd >= 0 || io->err_fd >= 0) {
    if (baton__run_must_stop(env, 0, "apertium"))
      return -1;
    int64_t left = deadline - baton__now_ms();
    if (left <= 0)
      return baton__run_fail(env, "apertium ran past %ld ms; stopped it", timeout);
    struct pollfd p[3];
    int np = 0, iin = -1, iout = -1, ierr = -1;
    if (io->in_fd >= 0) {
      p[np] = (struct pollfd){.fd = io->in_fd, .events = POLLOUT};
      iin = np++;
    }
    if (io->out_fd >= 0) {
      p[np] = (struct pollfd){.fd = io->out_fd, .events = POLLIN};
      iout = np++;
    }
    if (io->err_fd >= 0) {
      p[np] = (struct pollfd){.fd = io->err_fd, .events = POLLIN};
      ierr = np++;
    }
    if (poll(p, (nfds_t)np, left < 100 ? (int)left : 100) < 0) {
      if (errno == EINTR)
        continue;
      return baton__run_fail(env, "poll failed: %s", strerror(errno));
    }
    if (iin >= 0 && p[iin].revents)
      ap_feed(io, p[iin].revents);
    if (iout >= 0 && p[iout].revents && ap_read_out(io, env) != 0)
      return -1;
    if (ierr >= 0 && p[ierr].revents)
      ap_read_err(io);
  }
  return 0;
}

/* Both pipes closed: the script is exiting. Reaps it into *status, still
 * bounded by the deadline. 0, or -1 with env->err set (the child killed). */
static int ap_reap(pid_t pid, int64_t deadline, baton__exec_env *env, int *status) {
  for (;;) {
    pid_t w = waitpid(pid, status, WNOHANG);
    if (w == pid)
      return 0;
    if (w < 0 && errno != EINTR)
      return baton__run_fail(env, "waitpid failed: %s", strerror(errno));
    if (baton__now_ms() > deadline || baton__exec_cancelled(env)) {
      ap_kill(pid);
      return baton__run_fail(env, "apertium did not exit in time; stopped it");
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* 0 when apertium exited with 0; else -1 with env->err saying how it ended
 * and the first line of its stderr (errtext, trimmed in place). */
static int ap_exit_ok(int status, char *errtext, baton__exec_env *env) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  baton__trim(errtext);
  char *nl = strchr(errtext, '\n');
  if (nl)
    *nl = '\0';
  if (WIFEXITED(status))
    return baton__run_fail(env, "apertium failed (exit %d)%s%s", WEXITSTATUS(status),
                           errtext[0] ? ": " : "", errtext);
  return baton__run_fail(env, "apertium was killed by signal %d", WTERMSIG(status));
}

/* Feeds io's text to the child and collects its output until both output
 * pipes close, then reaps it; every pipe is closed on return. Returns 0, or
 * -1 with env->err set after killing the child. */
static int ap_exchange(pid_t pid, ap_io *io, baton__exec_env *env) {
  long timeout = env->timeout_ms > 0 ? env->timeout_ms : AP_DEFAULT_TIMEOUT_MS;
  int64_t deadline = baton__now_ms() + timeout;
  if (io->tlen == 0)
    ap_close(&io->in_fd);
  int rc = ap_pump(io, deadline, timeout, env);
  ap_close_all(io);
  if (rc != 0) {
    ap_kill(pid);
    return -1;
  }
  int status = 0;
  if (ap_reap(pid, deadline, env, &status) != 0)
    return -1;
  return ap_exit_ok(status, io->errtext, env);
}

/* SIGPIPE blocked in this thread for an exchange, and whether one was
 * pending before. */
typedef struct ap_sigpipe {
  sigset_t set, old;
  bool was_pending;
} ap_sigpipe;

/* A child that exits before reading all its input must not kill us with
 * SIGPIPE: block it in this thread for the exchange. */
static void ap_sigpipe_block(ap_sigpipe *sp) {
  sigemptyset(&sp->set);
  sigaddset(&sp->set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sp->set, &sp->old);
  sigset_t pending;
  sigpending(&pending);
  sp->was_pending = sigismember(&pending, SIGPIPE);
}

/* Drops a SIGPIPE that became pending during the exchange, then restores
 * the thread's mask. */
static void ap_sigpipe_restore(const ap_sigpipe *sp) {
  if (!sp->was_pending) {
    sigset_t now;
    sigpending(&now);
    if (sigismember(&now, SIGPIPE)) {
      struct timespec zero = {0, 0};
      while (sigtimedwait(&sp->set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &sp->old, NULL);
}

/* Runs one line of text through a spawned apertium into outb (bounded by
 * max). 0, or -1 with env->err set. */
static int ap_run_child(const char *mode, const char *norm, size_t max, baton__sb *outb,
                        baton__exec_env *env) {
  char errtext[AP_STDERR_MAX];
  errtext[0] = '\0';
  ap_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1, .max_out = max, .outb = outb,
              .errtext = errtext, .errcap = sizeof errtext};
  pid_t pid = -1;
  ap_tmp tmp;
  if (ap_tmp_make(&tmp, env->err, sizeof env->err) != 0)
    return -1;
  if (ap_spawn(mode, tmp.envp, &pid, &io, env->err, sizeof env->err) != 0) {
    ap_tmp_drop(&tmp);
    return -1;
  }
  /* apertium reads lines; make sure the last one ends. */
  baton__sb input;
  baton__sb_init(&input);
  baton__sb_adds(&input, norm);
  baton__sb_addc(&input, '\n');
  int rc;
  if (!baton__sb_ok(&input)) {
    ap_close_all(&io);
    ap_kill(pid);
    rc = baton__run_fail(env, "out of memory");
  } else {
    io.text = input.buf;
    io.tlen = input.len;
    rc = ap_exchange(pid, &io, env);
  }
  baton__sb_release(&input);
  ap_tmp_drop(&tmp);
  return rc;
}

/* Runs text (normalised) through one apertium mode into *result, its marks taken out and counted
 * in *m. 0, or -1 with env->err set. */
static int ap_translate(const char *mode, const char *norm, size_t max, baton__exec_env *env,
                        char **result, baton__ap_marks *m) {
  *result = NULL;
  ap_sigpipe sp;
  ap_sigpipe_block(&sp);
  baton__sb outb;
  baton__sb_init(&outb);
  int rc = ap_run_child(mode, norm, max, &outb, env);
  ap_sigpipe_restore(&sp);
  if (rc == 0 && baton__sb_ok(&outb) && outb.buf) {
    baton__apertium_unmark(outb.buf, m);
    *result = baton__text_normalize(outb.buf, strlen(outb.buf), true);
  }
  baton__sb_release(&outb);
  if (rc != 0)
    return -1;
  if (!*result)
    return baton__run_fail(env, "out of memory");
  if (!**result) {
    free(*result);
    *result = NULL;
    return baton__run_fail(env, "apertium returned no text");
  }
  return 0;
}

/* What a translation asks for, and how it went. */
typedef struct ap_plan {
  char src[16], tgt[16], via[16];
  int hops;
  bool detected; /* src was found from the text, not given */
  baton__sb note; /* how the languages were chosen, for the "route" output */
  baton__lang_pair pairs[BATON__MAX_LANG_PAIRS];
  size_t n; /* installed pairs */
  baton__ap_marks marks; /* of the first hop: the words apertium did not know in the source */
} ap_plan;

/* With no target given: the only language the source translates into
 * directly. 0, or -1 with env->err naming the choices. */
static int ap_default_target(ap_plan *p, baton__exec_env *env) {
  const char *tg[BATON__MAX_LANG_PAIRS];
  size_t k = baton__lang_targets(p->pairs, p->n, p->src, tg, BATON__MAX_LANG_PAIRS);
  if (k == 1) {
    baton__fmt(p->tgt, sizeof p->tgt, "%s", tg[0]);
    baton__sb_addf(&p->note, "; no target language was given, and %s is the only one %s "
                             "translates into here",
                   baton__lang_name(p->tgt), baton__lang_name(p->src));
    return 0;
  }
  baton__sb list;
  baton__sb_init(&list);
  env->bad_input = true; /* the request's to say, not the model's fault */
  for (size_t i = 0; i < k; i++)
    baton__sb_addf(&list, "%s%s", i ? ", " : "", tg[i]);
  baton__fmt(env->err, sizeof env->err,
             "translation needs \"tgt_lang\" (the target language): %s translates into %s here",
             baton__lang_name(p->src), k && baton__sb_ok(&list) ? list.buf : "nothing");
  baton__sb_release(&list);
  return -1;
}

/* Does something installed translate from src into tgt (the given target, or NULL: any)? */
static bool ap_reaches(const ap_plan *p, const char *src, const char *tgt) {
  const char *tg[1];
  char via[16];
  if (!tgt)
    return baton__lang_targets(p->pairs, p->n, src, tg, 1) == 1;
  return !strcmp(src, tgt) || baton__lang_route(p->pairs, p->n, src, tgt, via, sizeof via) > 0;
}

/* Settles target and route from p->src (tgt: the given target, or NULL). 0, or -1 with env->err
 * set (an impossible pair is refused naming the pairs installed). */
static int ap_plan_route(const char *tgt, ap_plan *p, baton__exec_env *env) {
  if (tgt)
    baton__fmt(p->tgt, sizeof p->tgt, "%s", baton__lang_short(tgt) ? baton__lang_short(tgt) : tgt);
  else if (ap_default_target(p, env) != 0)
    return -1;
  if (strcmp(p->src, p->tgt) == 0 && p->detected && env->untargeted) { /* "translate notes.txt": */
    env->bad_input = true;
    baton__fmt(env->err, sizeof env->err, "translation needs a target language: the text is "
               "%s already; say e.g. '%.200s into Spanish'", baton__lang_name(p->src),
               env->untargeted);
    return -1;
  }
  if (strcmp(p->src, p->tgt) == 0) /* "translate it into English" of English: nothing to do */
    return p->hops = 0, 0;
  p->hops = baton__lang_route(p->pairs, p->n, p->src, p->tgt, p->via, sizeof p->via);
  if (p->hops == 0) { /* a pair apertium lacks here: the request's problem, not the model's */
    env->bad_input = true;
    char list[1024];
    baton__lang_pairs_list(p->pairs, p->n, list, sizeof list);
    baton__fmt(env->err, sizeof env->err,
               "apertium cannot translate %s -> %s here, directly or through another language; "
               "installed pairs: %s",
               p->src, p->tgt, list);
    return -1;
  }
  return 0;
}

/* The "route" output: the languages the text went through and why. */
static char *ap_route_text(const ap_plan *p) {
  baton__sb sb;
  baton__sb_init(&sb);
  if (p->hops == 0)
    baton__sb_addf(&sb, "%s already, so the text is given back as it is", baton__lang_name(p->tgt));
  else
    baton__sb_addf(&sb, "%s -> ", baton__lang_name(p->src));
  if (p->hops == 2)
    baton__sb_addf(&sb, "%s -> ", baton__lang_name(p->via));
  if (p->hops > 0)
    baton__sb_adds(&sb, baton__lang_name(p->tgt));
  if (p->hops == 2)
    baton__sb_addf(&sb, " (apertium has no direct %s-%s pair here, so through %s)", p->src,
                   p->tgt, baton__lang_name(p->via));
  if (p->note.len)
    baton__sb_add(&sb, p->note.buf, p->note.len);
  return baton__sb_detach(&sb);
}

/* One hop of the route, from one language to the next; the marks apertium left in *m. */
static int ap_hop(const char *from, const char *to, const char *text, size_t max,
                  baton__exec_env *env, char **result, baton__ap_marks *m) {
  char mode[64];
  if (!ap_find_mode(from, to, mode, sizeof mode)) {
    baton__fmt(env->err, sizeof env->err, "apertium's %s-%s mode went missing", from, to);
    return -1;
  }
  if (baton__run_must_stop(env, 0, "apertium"))
    return -1;
  return ap_translate(mode, text, max, env, result, m);
}

/* Translates norm along p's route into *result (norm itself, copied, when no hop is needed),
 * the first hop's marks in p->marks. 0, or -1 with env->err set. */
static int ap_go(ap_plan *p, const char *norm, size_t max, baton__exec_env *env, char **result) {
  char *mid = NULL;
  baton__ap_marks later;
  memset(&p->marks, 0, sizeof p->marks);
  *result = NULL;
  if (p->hops == 0)
    return (*result = baton__strdup(norm)) ? 0 : baton__run_fail(env, "out of memory");
  int rc = ap_hop(p->src, p->hops == 2 ? p->via : p->tgt, norm, max, env,
                  p->hops == 2 ? &mid : result, &p->marks);
  if (rc == 0 && p->hops == 2)
    rc = ap_hop(p->via, p->tgt, mid, max, env, result, &later);
  free(mid);
  return rc;
}

/* Did apertium know too few of the words to call the text translated: over half of them
 * unknown ("*hola *amigos" read as Esperanto)? */
static bool ap_unread(const baton__ap_marks *m) {
  return m->words > 0 && m->unknown * 2 > m->words;
}

/* Checks and normalises the text to translate into *norm. 0, or -1. */
static int ap_input_text(const baton__values *in, baton__exec_env *env, size_t max, char **norm) {
  const char *text = ap_arg(in, "text");
  if (!text) {
    const baton__value *v = baton__values_get_type(in, BATON__T_TEXT);
    text = v && v->data ? v->data : NULL;
  }
  if (!text)
    return baton__run_bad_input(env, "translation needs a \"text\" argument");
  size_t tlen = 0;
  if (!baton__run_text_fits(env, text, max, "translate", &tlen))
    return -1;
  if (!(*norm = baton__text_normalize(text, tlen, true)))
    return baton__run_fail(env, "out of memory");
  if (!**norm) {
    free(*norm);
    *norm = NULL;
    return baton__run_bad_input(env, "translation needs non-empty text");
  }
  return 0;
}

#define AP_GUESSES 8

/* The languages textcat sees in the text, likeliest first, as short codes where it has one. */
typedef struct ap_guess {
  char codes[AP_GUESSES][16];
  size_t n; /* textcat is sure of a text's language when it names one alone */
} ap_guess;

static void ap_guess_text(const char *text, ap_guess *g) {
  g->n = 0;
#if defined(BATON_HAVE_TEXTCAT)
  g->n = baton__textcat_guess(text, g->codes, AP_GUESSES);
  for (size_t i = 0; i < g->n; i++)
    if (baton__lang_short(g->codes[i]))
      baton__fmt(g->codes[i], sizeof g->codes[i], "%s", baton__lang_short(g->codes[i]));
#else
  (void)text;
#endif
}

/* "German (de)", or the bare code of a language named nowhere here, into out. */
static void ap_lang_label(const char *code, char *out, size_t cap) {
  const char *name = baton__lang_name(code);
  if (strcmp(name, code) != 0)
    baton__fmt(out, cap, "%s (%s)", name, code);
  else
    baton__fmt(out, cap, "%s", code);
}

/* The refusal when no language the text looks like can be translated here: what it looks like,
 * that nothing installed translates from it, the installed pairs and what would add one. -1. */
static int ap_refuse_unreadable(const ap_plan *p, const ap_guess *g, const char *want,
                                const baton__sb *tried, baton__exec_env *env) {
  char label[96], list[1024];
  ap_lang_label(g->codes[0], label, sizeof label);
  baton__lang_pairs_list(p->pairs, p->n, list, sizeof list);
  const char *name = baton__lang_name(g->codes[0]), *lng = baton__lang_long(g->codes[0]);
  env->bad_input = true; /* the text's language, not the model's health */
  if (want && baton__lang_short(g->codes[0]) && ap_reaches(p, g->codes[0], NULL) &&
      !ap_reaches(p, g->codes[0], want)) /* it translates from it, but not into want */
    return baton__fmt(env->err, sizeof env->err,
                      "this looks %s; apertium cannot translate %s -> %s here, directly or "
                      "through another language; installed pairs: %s",
                      label, g->codes[0], want, list), -1;
  if (!tried->len || !baton__lang_short(g->codes[0]) || !ap_reaches(p, g->codes[0], want))
    return baton__fmt(env->err, sizeof env->err,
                      "this looks %s; nothing installed here translates from %s: here apertium "
                      "translates with %s, and any two of them joined through a shared language; "
                      "install an apertium pair from %s (a package apertium-%s-... if Debian has "
                      "one) or add a translation model",
                      label, name, list, name, lng ? lng : g->codes[0]), -1;
  return baton__fmt(env->err, sizeof env->err,
                    "this looks %s, but apertium knew too few of its words to translate it as %s "
                    "(it did not know over half of them); installed pairs: %s",
                    label, tried->buf, list), -1;
}

/* Cuts the route's note back to its first keep bytes. */
static void ap_note_cut(ap_plan *p, size_t keep) {
  p->note.len = keep;
  if (p->note.cap)
    p->note.buf[keep] = '\0';
}

#define AP_WEIGH 4 /* the languages weighed by their words when textcat is unsure */

/* Translates norm from code along a route into tgt (NULL: the only target), into *result and
 * p's note. 0, 1 when apertium knew too few of the words (code added to tried), or -1 with
 * env->err set. */
static int ap_try(ap_plan *p, const char *code, const char *norm, const char *tgt, size_t max,
                  size_t keep, baton__sb *tried, baton__exec_env *env, char **result) {
  baton__fmt(p->src, sizeof p->src, "%s", code);
  ap_note_cut(p, keep); /* the note of a language tried before goes */
  baton__sb_addf(&p->note, "; the text was detected as %s", baton__lang_name(p->src));
  if (tried->len)
    baton__sb_addf(&p->note, " (apertium knew too few of its words as %s)", tried->buf);
  if (ap_plan_route(tgt, p, env) != 0 || ap_go(p, norm, max, env, result) != 0)
    return -1;
  if (p->hops == 0 || !ap_unread(&p->marks))
    return 0;
  baton__sb_addf(tried, "%s%s", tried->len ? " or " : "", baton__lang_name(p->src));
  free(*result);
  *result = NULL;
  return 1;
}

/* Whether code is in the first n of list. */
static bool ap_listed(char list[][16], size_t n, const char *code) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(list[i], code))
      return true;
  return false;
}

/* The languages to weigh when textcat is unsure: those it names that something here translates
 * into want (NULL: anything) from, then the others that can be, closest to the text's n-grams
 * first; at most AP_WEIGH into w. Returns how many. */
static size_t ap_weigh_list(const ap_plan *p, const ap_guess *g, const char *norm, const char *want,
                            char w[][16]) {
  size_t k = 0, m = 0;
  char rest[BATON__MAX_LANG_PAIRS][16];
  for (size_t i = 0; i < g->n && k < AP_WEIGH; i++)
    if (baton__lang_short(g->codes[i]) && ap_reaches(p, g->codes[i], want) &&
        !ap_listed(w, k, g->codes[i]))
      baton__fmt(w[k++], sizeof w[0], "%s", g->codes[i]);
  for (size_t i = 0; i < p->n; i++)
    if (!ap_listed(w, k, p->pairs[i].src) && !ap_listed(rest, m, p->pairs[i].src) &&
        ap_reaches(p, p->pairs[i].src, want))
      baton__fmt(rest[m++], sizeof rest[0], "%s", p->pairs[i].src);
#if defined(BATON_HAVE_TEXTCAT)
  baton__textcat_sort(norm, rest, m);
#else
  (void)norm;
#endif
  for (size_t i = 0; i < m && k < AP_WEIGH; i++)
    memcpy(w[k++], rest[i], sizeof rest[i]);
  return k;
}

/* How many of norm's words apertium's dictionary of code knows, over a pair from it (into want
 * when there is one): *known of *words. 0, or -1 with env->err set. */
static int ap_known(const ap_plan *p, const char *code, const char *norm, const char *want,
                    size_t max, baton__exec_env *env, size_t *known, size_t *words) {
  const char *tg[1];
  char via[16];
  const char *to = want && strcmp(code, want) && baton__lang_route(p->pairs, p->n, code, want,
                                                                   via, sizeof via) == 1
                       ? want
                       : baton__lang_targets(p->pairs, p->n, code, tg, 1) ? tg[0] : NULL;
  char *out = NULL;
  baton__ap_marks m = {0, 0};
  *known = *words = 0;
  if (!to) /* translates from code only through another language: weighed as knowing none */
    return 0;
  if (ap_hop(code, to, norm, max, env, &out, &m) != 0)
    return -1;
  free(out);
  *words = m.words, *known = m.words - m.unknown;
  return 0;
}

/* Of the k languages in w, the one whose dictionary knows the most of norm's words, at least half
 * (ties: the first), into best ("" when none). 0, or -1 with env->err set. */
static int ap_weigh(ap_plan *p, char w[][16], size_t k, const char *norm, const char *want,
                    size_t max, baton__exec_env *env, char *best, size_t cap) {
  size_t bk = 0, bw = 1;
  *best = '\0';
  for (size_t i = 0; i < k; i++) {
    size_t known = 0, words = 0;
    if (ap_known(p, w[i], norm, want, max, env, &known, &words) != 0)
      return -1;
    if (words && known * 2 >= words && known * bw > bk * words) /* known/words > bk/bw */
      bk = known, bw = words, baton__fmt(best, cap, "%s", w[i]);
  }
  return 0;
}

/* Translates norm from the languages textcat sees in it, likeliest first, skipping those nothing
 * here translates from and those apertium knows too few words of; into tgt (NULL: the only
 * target). When textcat is unsure (it names several languages, or none: most short texts), the
 * languages translated from here that it names or whose n-grams are closest to the text's are
 * weighed by how many of the words their dictionaries know, and the one knowing the most goes
 * first. A text in tgt is given back as is. 0 with *result, or -1 with env->err set. */
static int ap_detected(ap_plan *p, const char *norm, const char *tgt, size_t max,
                       baton__exec_env *env, char **result) {
  ap_guess g;
  ap_guess_text(norm, &g);
  p->detected = true;
  const char *want = tgt && baton__lang_short(tgt) ? baton__lang_short(tgt) : tgt;
  char w[AP_WEIGH][16], best[16] = "";
  if (g.n != 1 && ap_weigh(p, w, ap_weigh_list(p, &g, norm, want, w), norm, want, max, env, best,
                           sizeof best) != 0)
    return -1;
  if (g.n == 0 && !*best) {
    baton__fmt(p->src, sizeof p->src, "en");
    baton__sb_adds(&p->note, "; the source language could not be detected, so English was "
                             "assumed");
    return ap_plan_route(tgt, p, env) == 0 ? ap_go(p, norm, max, env, result) : -1;
  }
  baton__sb tried;
  baton__sb_init(&tried);
  size_t keep = p->note.len;
  int rc = *best ? ap_try(p, best, norm, tgt, max, keep, &tried, env, result) : 1;
  if (rc == 0)
    baton__sb_addf(&p->note, " (textcat was unsure of it; of the languages translated from here, "
                             "apertium knew the most of its words as %s)", baton__lang_name(best));
  for (size_t i = 0; rc > 0 && i < g.n; i++)
    if (baton__lang_short(g.codes[i]) && ap_reaches(p, g.codes[i], want) &&
        strcmp(g.codes[i], best) != 0)
      rc = ap_try(p, g.codes[i], norm, tgt, max, keep, &tried, env, result);
  if (rc > 0)
    rc = ap_refuse_unreadable(p, &g, want, &tried, env);
  baton__sb_release(&tried);
  return rc;
}

/* The source language given: trusted unless apertium knew too few of the words in it, when the
 * languages the text looks like are tried instead (a planner's default "en" of a French
 * quote). 0 with *result, or -1 with env->err set. */
static int ap_given(ap_plan *p, const char *src, const char *norm, const char *tgt, size_t max,
                    baton__exec_env *env, char **result) {
  baton__fmt(p->src, sizeof p->src, "%s", baton__lang_short(src) ? baton__lang_short(src) : src);
  p->detected = false;
  if (ap_plan_route(tgt, p, env) != 0 || ap_go(p, norm, max, env, result) != 0)
    return -1;
  if (p->hops == 0 || !ap_unread(&p->marks))
    return 0;
  ap_guess g;
  ap_guess_text(norm, &g);
  if (g.n == 0 || !strcmp(g.codes[0], p->src)) /* it does look like src: a text of rare words */
    return 0;
  char given[16];
  baton__fmt(given, sizeof given, "%s", p->src);
  free(*result);
  *result = NULL;
  baton__sb_reset(&p->note);
  baton__sb_addf(&p->note, "; apertium knew too few of the words as %s, the language given",
                 baton__lang_name(given));
  return ap_detected(p, norm, tgt, max, env, result);
}

static int ap_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  size_t max = baton__run_max_text(env, AP_DEFAULT_MAX_TEXT);
  char *norm = NULL;
  if (ap_input_text(in, env, max, &norm) != 0)
    return -1;
  const char *src = ap_arg(in, "src_lang"), *tgt = ap_arg(in, "tgt_lang");
  if ((src && !ap_code_ok(src)) || (tgt && !ap_code_ok(tgt))) {
    free(norm);
    return baton__run_bad_input(env, "bad language code in \"%.40s\" -> \"%.40s\"",
                                src ? src : "", tgt ? tgt : "");
  }
  ap_plan *p = calloc(1, sizeof *p);
  if (!p) {
    free(norm);
    return baton__run_fail(env, "out of memory");
  }
  baton__sb_init(&p->note);
  p->n = baton__apertium_pairs(p->pairs, BATON__MAX_LANG_PAIRS);
  char *result = NULL;
  int rc = src ? ap_given(p, src, norm, tgt, max, env, &result)
               : ap_detected(p, norm, tgt, max, env, &result);
  free(norm);
  if (rc == 0) {
    const baton__output outs[] = {{"text", BATON__T_TEXT, result, false},
                                  {"route", 0, ap_route_text(p), false}};
    rc = baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
  }
  baton__sb_release(&p->note);
  free(p);
  return rc;
}

/* The installed pairs, for `baton executors`; their folder decides them. */
static void ap_inventory(const baton__config *cfg, char *details, size_t detlen, char *watch,
                         size_t watchlen) {
  (void)cfg;
  baton__lang_pair pairs[BATON__MAX_LANG_PAIRS];
  size_t n = baton__apertium_pairs(pairs, BATON__MAX_LANG_PAIRS);
  char list[1024];
  baton__lang_pairs_list(pairs, n, list, sizeof list);
  baton__fmt(details, detlen, "pairs: %s", list);
  baton__fmt(watch, watchlen, "%s/modes", baton__apertium_datadir());
}

static const char *const ap_tasks[] = {"translation", NULL};

const baton__executor baton__executor_apertium = {
    .name = "apertium",
    .model_id = "local/apertium",
    .tasks = ap_tasks,
    .reentrant = true,
    .available = ap_available,
    .inventory = ap_inventory,
    .init = ap_init,
    .run = ap_run,
    .release = baton__executor_no_release,
};
