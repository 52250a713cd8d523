/* baton_fetch.c — `baton runs fetch FILE [--output DEST]`: a file one of your runs made, copied through the daemon when one answers (a user it serves cannot open the run folders), else read here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "cli.h"
#include "core/banned.h"

/* Copies what fd holds to out: 0, or -1 (errno). */
static int copy_fd(int fd, int out, unsigned long long *n) {
  char buf[65536];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return (int)r;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(out, buf + off, (size_t)(r - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return -1;
      off += w;
    }
    *n += (unsigned long long)r;
  }
}

/* The file from this process's own history, read with its own rights. */
static baton_rc fetch_here(const opts *o, int out, unsigned long long *n) {
  baton *ctx = cli_open(o);
  int fd = -1;
  baton_rc rc = baton_run_file_open(ctx, o->positional, -1, &fd);
  if (rc != BATON_OK) {
    cli_report("baton", baton_errmsg(ctx));
  } else if (copy_fd(fd, out, n) != 0) {
    char msg[600];
    snprintf(msg, sizeof msg, "cannot copy %s: %s", o->positional, strerror(errno));
    cli_report("baton", msg);
    rc = BATON_IO;
  }
  if (fd >= 0)
    close(fd);
  baton_close(ctx);
  return rc;
}

/* Where the copy goes: --output, else the file's own name in the current folder. */
static const char *dest_of(const opts *o) {
  if (o->output)
    return o->output;
  const char *base = strrchr(o->positional, '/');
  return base && base[1] ? base + 1 : o->positional;
}

int cli_runs_fetch(const opts *o) {
  const char *dest = dest_of(o);
  bool to_stdout = !strcmp(dest, "-");
  char part[4200];
  snprintf(part, sizeof part, "%s.part", dest);
  if (!to_stdout && strlen(dest) + 6 > sizeof part)
    cli_die_usage("--output: the name is too long");
  /* written beside DEST first, renamed once whole: a copy cut short leaves no DEST */
  int out = to_stdout ? STDOUT_FILENO
                      : open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (out < 0) {
    fprintf(stderr, "baton: cannot create %s: %s\n", part, strerror(errno));
    return cli_exit_code(BATON_IO);
  }
  unsigned long long n = 0;
  baton_rc rc;
  baton_client *d = cli_daemon(o);
  if (d) {
    rc = baton_client_fetch(d, o->positional, out, &n);
    if (rc != BATON_OK)
      cli_report("baton", baton_errmsg(NULL));
    baton_client_close(d);
  } else {
    rc = fetch_here(o, out, &n);
  }
  if (to_stdout)
    return rc == BATON_OK ? 0 : cli_exit_code(rc);
  if (close(out) != 0 && rc == BATON_OK)
    rc = BATON_IO;
  if (rc != BATON_OK || rename(part, dest) != 0) {
    if (rc == BATON_OK)
      fprintf(stderr, "baton: cannot write %s: %s\n", dest, strerror(errno));
    unlink(part);
    return cli_exit_code(rc == BATON_OK ? BATON_IO : rc);
  }
  if (!o->quiet)
    fprintf(stderr, "baton: wrote %s (%llu bytes)\n", dest, n);
  return 0;
}

void cli_hint_fetch(const cJSON *res) {
  const cJSON *t, *v;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tasks")) {
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t, "outputs")) {
      if (!cJSON_IsString(v) || v->valuestring[0] != '/' || access(v->valuestring, R_OK) == 0)
        continue;
      fflush(stdout);
      fprintf(stderr, "baton: the run's files are in the daemon's run folders, which you may "
              "not open: `baton runs fetch FILE` copies one here (baton runs fetch %s)\n",
              v->valuestring);
      return;
    }
  }
}
