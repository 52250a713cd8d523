/* fuzz_config.c — libFuzzer target: the YAML configuration loader (through an in-memory file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = -1;
  if (fd < 0) {
    /* The loader reads a path; the environment must not add to the file. */
    static const char *const vars[] = {"BATON_HOME", "BATON_SOCKET", "BATON_LLM_BASE_URL",
                                       "OPENAI_BASE_URL", "BATON_DEBUG_EXECUTORS", "HF_TOKEN"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
      unsetenv(vars[i]);
    fd = memfd_create("baton-config", MFD_CLOEXEC);
    if (fd < 0)
      abort();
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
    abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  baton__config cfg;
  char err[768];
  baton__config_load(&cfg, path, err, sizeof err);
  baton__config_release(&cfg); /* even after a failure */
  return 0;
}
