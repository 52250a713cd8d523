/* main.c — baton-worker: runs one local executor in its own process for libbaton, describes them, or serves a task queue. */
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/queue_worker.h"
#include "runtime/worker.h"
#include "core/banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

static const char usage[] =
    "usage: baton-worker --queue URL [--name NAME] [--concurrency N] [--tasks T1,T2,...]\n"
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
    "libbaton also starts this program itself (--fd N, --describe); that use is internal.\n";

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
  o.local = baton__local_executors;
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

int main(int argc, char **argv) {
  int fd = -1, describe = 0, queue = 0;
  long memory_mb = 0;
  const char *config = NULL;
  baton__qworker_opts qo = {.concurrency = -1}; /* -1: not given */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage, stdout);
      return 0;
    } else if (!strcmp(argv[i], "--queue") && i + 1 < argc) {
      qo.url = argv[++i];
      queue = 1;
    } else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
      qo.name = argv[++i];
    } else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc) {
      char *end = NULL;
      long c = strtol(argv[++i], &end, 10);
      qo.concurrency = (*end || c < 1 || c > 64) ? 0 : (int)c;
    } else if (!strcmp(argv[i], "--tasks") && i + 1 < argc) {
      qo.tasks = argv[++i];
    } else if (!strcmp(argv[i], "--password-env") && i + 1 < argc) {
      qo.password_env = argv[++i];
    } else if (!strcmp(argv[i], "--describe"))
      describe = 1;
    else if (!strcmp(argv[i], "--fd") && i + 1 < argc)
      fd = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--memory-mb") && i + 1 < argc)
      memory_mb = atol(argv[++i]);
    else if (!strcmp(argv[i], "--config") && i + 1 < argc)
      config = argv[++i];
    else {
      fprintf(stderr, "baton-worker: unknown argument '%s' (see baton-worker --help)\n", argv[i]);
      return 2;
    }
  }
  if (queue) {
    qo.config_path = config;
    if (qo.concurrency == -1) { /* one task per CPU keeps the machine busy */
      long cpus = sysconf(_SC_NPROCESSORS_ONLN);
      qo.concurrency = cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;
    }
    return queue_main(&qo);
  }
  if (describe)
    return baton__worker_describe(1, config, baton__local_executors);
  if (fd < 0) {
    fputs("baton-worker: give --queue URL to serve a task queue (see baton-worker --help)\n",
          stderr);
    return 2;
  }
#ifndef ASAN_BUILD
  /* Runaway memory fails this worker's task, not the caller. (Not under
   * AddressSanitizer, which reserves a huge shadow address space.) */
  if (memory_mb > 0) {
    struct rlimit rl = {.rlim_cur = (rlim_t)memory_mb << 20, .rlim_max = (rlim_t)memory_mb << 20};
    setrlimit(RLIMIT_AS, &rl);
  }
#else
  (void)memory_mb;
#endif
  return baton__worker_main(fd, config, baton__local_executors);
}
