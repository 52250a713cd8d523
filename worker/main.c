/* main.c — baton-worker: runs one local executor in its own process for libbaton, describes them, or serves a task queue. */
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/queue_worker.h"
#include "runtime/worker.h"
#include "worker/modules.h"
#include "core/banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

static const char usage[] =
    "usage: baton-worker [--queue URL] [--name NAME] [--concurrency N] [--tasks T1,T2,...]\n"
    "                    [--password-env VAR] [--config FILE]\n"
    "\n"
    "Serves baton's task queue (Redis Streams): takes the local tasks (OCR, speech,\n"
    "detection, image and audio work) that coordinators (batond, `baton run`) send,\n"
    "runs each in an isolated executor process kept warm between tasks, and sends\n"
    "the results back. Runs until SIGTERM or SIGINT; the task in hand finishes first.\n"
    "\n"
    "  --queue URL          redis://HOST:PORT[/DB] or unix:///PATH (default: queue.url\n"
    "                       in the config)\n"
    "  --name NAME          this worker's name; it is known as HOST:NAME (default: pid)\n"
    "  --concurrency N      tasks at once, each in its own process (default: the number\n"
    "                       of CPUs here, max 64)\n"
    "  --tasks LIST         serve only these task kinds (e.g. image-to-text,\n"
    "                       object-detection); default: every one it has an executor for\n"
    "  --password-env VAR   the variable holding the Redis password (default:\n"
    "                       queue.password_env in the config)\n"
    "  --config FILE        baton's config (executor settings, queue section)\n"
    "\n"
    "BATON_DEBUG_EXECUTORS=1 adds the debug executors (debug-echo, debug-sleep,\n"
    "debug-spin, ...). Redis must sit on a private network: anyone who can write to\n"
    "it can make workers run tasks on files they send.\n"
    "\n"
    "libbaton also starts this program itself (--fd N --executor NAME, --describe);\n"
    "that use is internal. The executors are modules in the folder \"executors\" beside\n"
    "this program; each process loads only those it serves.\n";

/* Set by SIGTERM/SIGINT: the queue worker finishes and leaves. */
static atomic_int stop_flag;

static void on_stop(int sig) {
  (void)sig;
  atomic_store(&stop_flag, 1);
}

static void say_line(void *ud, const char *line) {
  (void)ud;
  fprintf(stderr, "baton-worker: %s\n", line);
}

static void say_unloaded(const char *why) {
  say_line(NULL, why);
}

/* The local executors this process serves, loaded from their modules. */
static const baton__executor *local_table[64];

/* Loads the module of the executor called `only` (none for the library's
 * own executors, the debug ones), keeping a failure in why for the worker
 * to answer its requests with; or, with only NULL, the modules serving a
 * task kind of the list tasks (NULL: every module), failures said on
 * stderr. */
static void load_local(const char *only, const char *tasks, char *why, size_t whylen) {
  char dir[4096], err[1024] = "";
  if (only && !baton__module_known(only) && baton__executor_find(only))
    return;
  if (baton__modules_dir(dir, sizeof dir, err, sizeof err) == 0) {
    if (!only)
      baton__modules_load(dir, tasks, local_table, sizeof local_table / sizeof local_table[0],
                          say_unloaded);
    else
      local_table[0] = baton__module_load(dir, only, err, sizeof err);
  }
  if (err[0] && only)
    baton__fmt(why, whylen, "%s", err);
  else if (err[0])
    say_unloaded(err);
}

/* The queue worker: takes tasks until told to stop. */
static int queue_main(const baton__qworker_opts *base) {
  baton__qworker_opts o = *base;
  static char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fputs("baton-worker: cannot find its own program (/proc/self/exe)\n", stderr);
    return 1;
  }
  self[n] = '\0';
  o.program = self;
  o.local = local_table;
  o.stop = &stop_flag;
  o.say = say_line;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  return baton__queue_worker_main(&o);
}

/* The command line. */
typedef struct args {
  int fd;
  bool describe, queue;
  long memory_mb;
  const char *config, *executor;
  baton__qworker_opts qo;
} args;

/* Reads the command line into a: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, args *a) {
  *a = (args){.fd = -1, .qo = {.concurrency = -1}}; /* -1: not given */
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    bool used = val != NULL;
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      fputs(usage, stdout);
      return 0;
    } else if (!strcmp(arg, "--describe")) {
      a->describe = true;
      used = false;
    } else if (val && !strcmp(arg, "--queue")) {
      a->qo.url = val;
      a->queue = true;
    } else if (val && !strcmp(arg, "--name")) {
      a->qo.name = val;
    } else if (val && !strcmp(arg, "--concurrency")) {
      char *end = NULL;
      long c = strtol(val, &end, 10);
      a->qo.concurrency = (*end || c < 1 || c > 64) ? 0 : (int)c;
    } else if (val && !strcmp(arg, "--tasks")) {
      a->qo.tasks = val;
    } else if (val && !strcmp(arg, "--password-env")) {
      a->qo.password_env = val;
    } else if (val && !strcmp(arg, "--fd")) {
      a->fd = atoi(val);
    } else if (val && !strcmp(arg, "--executor")) {
      a->executor = val;
    } else if (val && !strcmp(arg, "--memory-mb")) {
      a->memory_mb = atol(val);
    } else if (val && !strcmp(arg, "--config")) {
      a->config = val;
    } else {
      fprintf(stderr, "baton-worker: unknown argument '%s' (see baton-worker --help)\n", arg);
      return 2;
    }
    i += used;
  }
  return -1;
}

/* Serves one executor on a.fd for libbaton. */
static int executor_main(const args *a) {
  char unloaded[1024] = "";
  load_local(a->executor, NULL, unloaded, sizeof unloaded);
#ifndef ASAN_BUILD
  /* Runaway memory fails this worker's task, not the caller, once its
   * executor's libraries are loaded. (Not under AddressSanitizer, which
   * reserves a huge shadow address space.) */
  if (a->memory_mb > 0) {
    struct rlimit rl = {.rlim_cur = (rlim_t)a->memory_mb << 20,
                        .rlim_max = (rlim_t)a->memory_mb << 20};
    setrlimit(RLIMIT_AS, &rl);
  }
#endif
  return baton__worker_main(a->fd, a->config, local_table, unloaded[0] ? unloaded : NULL);
}

int main(int argc, char **argv) {
  args a;
  int status = parse_args(argc, argv, &a);
  if (status >= 0)
    return status;
  /* Without --fd or --describe it serves the queue, named by --queue or by
   * queue.url in the config. */
  if (a.queue || (a.fd < 0 && !a.describe)) {
    a.qo.config_path = a.config;
    if (a.qo.concurrency == -1) { /* one task per CPU keeps the machine busy */
      long cpus = sysconf(_SC_NPROCESSORS_ONLN);
      a.qo.concurrency = cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;
    }
    load_local(NULL, a.qo.tasks, NULL, 0);
    return queue_main(&a.qo);
  }
  if (a.describe) {
    load_local(NULL, NULL, NULL, 0);
    return baton__worker_describe(1, a.config, local_table);
  }
  return executor_main(&a);
}
