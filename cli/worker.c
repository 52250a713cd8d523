/* worker.c — baton-worker: runs one local executor in its own process for libbaton, and describes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/worker.h"
#include "core/banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

int main(int argc, char **argv) {
  int fd = -1, describe = 0;
  long memory_mb = 0;
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--describe"))
      describe = 1;
    else if (!strcmp(argv[i], "--fd") && i + 1 < argc)
      fd = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--memory-mb") && i + 1 < argc)
      memory_mb = atol(argv[++i]);
    else if (!strcmp(argv[i], "--config") && i + 1 < argc)
      config = argv[++i];
    else {
      fprintf(stderr,
              "baton-worker: started by libbaton to run one executor in isolation; "
              "not meant to be run by hand (unknown argument '%s')\n",
              argv[i]);
      return 2;
    }
  }
  if (describe)
    return baton__worker_describe(1, config, baton__local_executors);
  if (fd < 0) {
    fputs("baton-worker: started by libbaton with --fd N; not meant to be run by hand\n", stderr);
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
