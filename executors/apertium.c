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
#include "core/banned.h"

extern char **environ;

#define AP_PROGRAM "/usr/bin/apertium"
#define AP_DEFAULT_DATADIR "/usr/share/apertium"
#define AP_DEFAULT_TIMEOUT_MS 30000L
#define AP_DEFAULT_MAX_TEXT (1024u * 1024u)
#define AP_STDERR_MAX 2048u

/* ISO 639-1 codes as users write them, and the ISO 639-3 codes Debian's
 * apertium language pairs use in their mode names (apertium-en-es installs
 * eng-spa.mode). */
static const struct {
  const char *two, *three;
} ap_langs[] = {
    {"af", "afr"}, {"an", "arg"}, {"ar", "ara"}, {"ast", "ast"}, {"be", "bel"}, {"bg", "bul"},
    {"br", "bre"}, {"ca", "cat"}, {"cs", "ces"}, {"cy", "cym"}, {"da", "dan"}, {"de", "deu"},
    {"el", "ell"}, {"en", "eng"}, {"eo", "epo"}, {"es", "spa"}, {"eu", "eus"}, {"fi", "fin"},
    {"fr", "fra"}, {"ga", "gle"}, {"gd", "gla"}, {"gl", "glg"}, {"he", "heb"}, {"hi", "hin"},
    {"id", "ind"}, {"is", "isl"}, {"it", "ita"}, {"kk", "kaz"}, {"mk", "mkd"}, {"ms", "msa"},
    {"mt", "mlt"}, {"nb", "nob"}, {"nl", "nld"}, {"nn", "nno"}, {"oc", "oci"}, {"pl", "pol"},
    {"pt", "por"}, {"ro", "ron"}, {"ru", "rus"}, {"sc", "srd"}, {"sk", "slk"}, {"sl", "slv"},
    {"sq", "sqi"}, {"sv", "swe"}, {"tt", "tat"}, {"uk", "ukr"}, {"ur", "urd"},
};

static const char *ap_datadir(void) {
  /* The apertium script honours the same variable. */
  const char *d = getenv("APERTIUM_DATADIR");
  return d && *d ? d : AP_DEFAULT_DATADIR;
}

static bool ap_mode_exists(const char *mode) {
  char path[4096];
  baton__fmt(path, sizeof path, "%s/modes/%s.mode", ap_datadir(), mode);
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A language code as given, or its other ISO form (en <-> eng). */
static const char *ap_other_code(const char *code) {
  for (size_t i = 0; i < sizeof ap_langs / sizeof ap_langs[0]; i++) {
    if (baton__ieq(code, ap_langs[i].two))
      return ap_langs[i].three;
    if (baton__ieq(code, ap_langs[i].three))
      return ap_langs[i].two;
  }
  return NULL;
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
  const char *srcs[2] = {src, ap_other_code(src)};
  const char *tgts[2] = {tgt, ap_other_code(tgt)};
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

/* The installed modes as "eng-spa, spa-eng", or "none". */
static void ap_list_modes(char *out, size_t outlen) {
  baton__sb sb;
  baton__sb_init(&sb);
  char dir[4096];
  baton__fmt(dir, sizeof dir, "%s/modes", ap_datadir());
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      size_t n = strlen(e->d_name);
      if (n > 5 && strcmp(e->d_name + n - 5, ".mode") == 0) {
        if (sb.len)
          baton__sb_adds(&sb, ", ");
        baton__sb_add(&sb, e->d_name, n - 5);
      }
    }
    closedir(d);
  }
  baton__fmt(out, outlen, "%s", sb.len && baton__sb_ok(&sb) ? sb.buf : "none");
  baton__sb_release(&sb);
}

static bool ap_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  if (access(AP_PROGRAM, X_OK) != 0) {
    baton__fmt(why, whylen, "%s not found; install apertium and apertium-en-es", AP_PROGRAM);
    return false;
  }
  char mode[64];
  if (!ap_find_mode("en", "es", mode, sizeof mode)) {
    baton__fmt(why, whylen,
               "apertium's English-Spanish data is missing (no %s/modes/eng-spa.mode); install "
               "apertium and apertium-en-es",
               ap_datadir());
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

static void ap_release(void *state) { (void)state; }

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

/* Starts apertium with the given mode; fills the parent's pipe ends. */
static int ap_spawn(const char *mode, pid_t *pid, int *in_fd, int *out_fd, int *err_fd,
                    char *err, size_t errlen) {
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
  char *argv[] = {(char *)"apertium", (char *)"-u", (char *)mode, NULL};
  int rc = posix_spawn(pid, AP_PROGRAM, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    baton__fmt(err, errlen, "cannot start %s: %s", AP_PROGRAM, strerror(rc));
    goto fail;
  }
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  *in_fd = pin[1];
  *out_fd = pout[0];
  *err_fd = perr[0];
  fcntl(*in_fd, F_SETFL, fcntl(*in_fd, F_GETFL) | O_NONBLOCK);
  fcntl(*out_fd, F_SETFL, fcntl(*out_fd, F_GETFL) | O_NONBLOCK);
  fcntl(*err_fd, F_SETFL, fcntl(*err_fd, F_GETFL) | O_NONBLOCK);
  return 0;
fail:
  for (int i = 0; i < 2; i++) {
    if (pin[i] >= 0)
      close(pin[i]);
    if (pout[i] >= 0)
      close(pout[i]);
    if (perr[i] >= 0)
      close(perr[i]);
  }
  return -1;
}

/* Feeds text to the child and collects its output until both output pipes
 * close. Returns 0, or -1 with env->err set after killing the child. */
static int ap_exchange(pid_t pid, int in_fd, int out_fd, int err_fd, const char *text,
                       size_t tlen, size_t max_out, baton__exec_env *env, baton__sb *outb,
                       char *errtext, size_t errcap) {
  long timeout = env->timeout_ms > 0 ? env->timeout_ms : AP_DEFAULT_TIMEOUT_MS;
  int64_t deadline = baton__now_ms() + timeout;
  size_t sent = 0, errlen = 0;
  int rc = 0;
  char buf[8192];
  if (tlen == 0) {
    close(in_fd);
    in_fd = -1;
  }
  while (out_fd >= 0 || err_fd >= 0) {
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      rc = -1;
      break;
    }
    int64_t left = deadline - baton__now_ms();
    if (left <= 0) {
      baton__fmt(env->err, sizeof env->err, "apertium ran past %ld ms; stopped it", timeout);
      rc = -1;
      break;
    }
    struct pollfd p[3];
    int np = 0, iin = -1, iout = -1, ierr = -1;
    if (in_fd >= 0) {
      p[np] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
      iin = np++;
    }
    if (out_fd >= 0) {
      p[np] = (struct pollfd){.fd = out_fd, .events = POLLIN};
      iout = np++;
    }
    if (err_fd >= 0) {
      p[np] = (struct pollfd){.fd = err_fd, .events = POLLIN};
      ierr = np++;
    }
    int r = poll(p, (nfds_t)np, left < 100 ? (int)left : 100);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      baton__fmt(env->err, sizeof env->err, "poll failed: %s", strerror(errno));
      rc = -1;
      break;
    }
    if (iin >= 0 && p[iin].revents) {
      ssize_t w = (p[iin].revents & POLLOUT) ? write(in_fd, text + sent, tlen - sent) : -1;
      if (w > 0)
        sent += (size_t)w;
      if (w < 0 && (errno == EAGAIN || errno == EINTR))
        w = 0;
      if (w < 0 || sent == tlen) {
        /* Done, or the child stopped reading (EPIPE): its exit status and
         * stderr will tell. */
        close(in_fd);
        in_fd = -1;
      }
    }
    if (iout >= 0 && p[iout].revents) {
      ssize_t n = read(out_fd, buf, sizeof buf);
      if (n > 0) {
        if (outb->len + (size_t)n > max_out) {
          baton__fmt(env->err, sizeof env->err,
                     "apertium's output is over the limit of %zu bytes (max_text_bytes)",
                     max_out);
          rc = -1;
          break;
        }
        baton__sb_add(outb, buf, (size_t)n);
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(out_fd);
        out_fd = -1;
      }
    }
    if (ierr >= 0 && p[ierr].revents) {
      ssize_t n = read(err_fd, buf, sizeof buf);
      if (n > 0) {
        size_t room = errcap - 1 - errlen;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(errtext + errlen, buf, take);
        errlen += take;
        errtext[errlen] = '\0';
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(err_fd);
        err_fd = -1;
      }
    }
  }
  if (in_fd >= 0)
    close(in_fd);
  if (out_fd >= 0)
    close(out_fd);
  if (err_fd >= 0)
    close(err_fd);
  if (rc != 0) {
    ap_kill(pid);
    return -1;
  }
  /* Both pipes closed: the script is exiting. Reap it, still bounded. */
  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR) {
      baton__fmt(env->err, sizeof env->err, "waitpid failed: %s", strerror(errno));
      return -1;
    }
    if (baton__now_ms() > deadline || baton__exec_cancelled(env)) {
      ap_kill(pid);
      baton__fmt(env->err, sizeof env->err, "apertium did not exit in time; stopped it");
      return -1;
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    baton__trim(errtext);
    char *nl = strchr(errtext, '\n');
    if (nl)
      *nl = '\0';
    if (WIFEXITED(status))
      baton__fmt(env->err, sizeof env->err, "apertium failed (exit %d)%s%s",
                 WEXITSTATUS(status), errtext[0] ? ": " : "", errtext);
    else
      baton__fmt(env->err, sizeof env->err, "apertium was killed by signal %d",
                 WTERMSIG(status));
    return -1;
  }
  return 0;
}

static int ap_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  const char *text = ap_arg(in, "text");
  if (!text) {
    const baton__value *v = baton__values_get_type(in, BATON__T_TEXT);
    text = v && v->data ? v->data : NULL;
  }
  if (!text) {
    baton__fmt(env->err, sizeof env->err, "translation needs a \"text\" argument");
    return -1;
  }
  const char *src = ap_arg(in, "src_lang");
  const char *tgt = ap_arg(in, "tgt_lang");
  if (!src)
    src = "en";
  if (!tgt) {
    baton__fmt(env->err, sizeof env->err,
               "translation needs \"tgt_lang\" (the target language, e.g. \"es\")");
    return -1;
  }
  if (!ap_code_ok(src) || !ap_code_ok(tgt)) {
    baton__fmt(env->err, sizeof env->err, "bad language code in \"%.40s\" -> \"%.40s\"", src,
               tgt);
    return -1;
  }
  size_t max = env->cfg && env->cfg->max_text_bytes ? env->cfg->max_text_bytes
                                                     : AP_DEFAULT_MAX_TEXT;
  size_t tlen = strlen(text);
  if (tlen > max) {
    baton__fmt(env->err, sizeof env->err,
               "text to translate is %zu bytes, over the limit of %zu (max_text_bytes)", tlen,
               max);
    return -1;
  }
  char *norm = baton__text_normalize(text, tlen, true);
  if (!norm) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  if (!*norm) {
    free(norm);
    baton__fmt(env->err, sizeof env->err, "translation needs non-empty text");
    return -1;
  }
  char mode[64];
  if (!ap_find_mode(src, tgt, mode, sizeof mode)) {
    char pairs[1024];
    ap_list_modes(pairs, sizeof pairs);
    free(norm);
    baton__fmt(env->err, sizeof env->err,
               "apertium cannot translate %s -> %s here; installed pairs: %s", src, tgt, pairs);
    return -1;
  }
  if (baton__exec_cancelled(env)) {
    free(norm);
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }

  /* A child that exits before reading all its input must not kill us with
   * SIGPIPE: block it in this thread for the exchange, then drop any that
   * became pending here. */
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  sigset_t pending_before;
  sigpending(&pending_before);

  pid_t pid = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1;
  baton__sb outb;
  baton__sb_init(&outb);
  char errtext[AP_STDERR_MAX];
  errtext[0] = '\0';
  int rc = ap_spawn(mode, &pid, &in_fd, &out_fd, &err_fd, env->err, sizeof env->err);
  if (rc == 0) {
    /* apertium reads lines; make sure the last one ends. */
    size_t nlen = strlen(norm);
    baton__sb input;
    baton__sb_init(&input);
    baton__sb_add(&input, norm, nlen);
    baton__sb_addc(&input, '\n');
    if (!baton__sb_ok(&input)) {
      baton__fmt(env->err, sizeof env->err, "out of memory");
      close(in_fd);
      close(out_fd);
      close(err_fd);
      ap_kill(pid);
      rc = -1;
    } else {
      rc = ap_exchange(pid, in_fd, out_fd, err_fd, input.buf, input.len, max, env, &outb,
                       errtext, sizeof errtext);
    }
    baton__sb_release(&input);
  }
  if (!sigismember(&pending_before, SIGPIPE)) {
    sigset_t now;
    sigpending(&now);
    if (sigismember(&now, SIGPIPE)) {
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, NULL);
  free(norm);

  if (rc != 0) {
    baton__sb_release(&outb);
    return -1;
  }
  if (!baton__sb_ok(&outb)) {
    baton__sb_release(&outb);
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  char *result = baton__text_normalize(outb.buf, outb.len, true);
  baton__sb_release(&outb);
  if (!result) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  if (!*result) {
    free(result);
    baton__fmt(env->err, sizeof env->err, "apertium returned no text");
    return -1;
  }
  if (baton__values_add_own(out, "text", BATON__T_TEXT, result) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

static const char *const ap_tasks[] = {"translation", NULL};

const baton__executor baton__executor_apertium = {
    .name = "apertium",
    .model_id = "local/apertium",
    .tasks = ap_tasks,
    .reentrant = true,
    .available = ap_available,
    .init = ap_init,
    .run = ap_run,
    .release = ap_release,
};
