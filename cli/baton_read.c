/* baton_read.c — reading a whole file or stdin for a request, refusing one over a limit rather than cutting it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cli_read_all(FILE *f, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf)
      return errno = ENOMEM, -1;
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0 && ferror(f)) { /* a folder (EISDIR), a read error: not an empty text */
      int e = errno;
      free(buf);
      return errno = e, -1;
    }
    if (n > max) {
      free(buf);
      return 1;
    }
    if (r == 0)
      break;
    if (n + 1 == cap) {
      cap = cap * 2 > max + 2 ? max + 2 : cap * 2; /* room for one byte over max, and the NUL */
      char *nb = realloc(buf, cap);
      if (!nb)
        free(buf);
      buf = nb;
    }
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}
