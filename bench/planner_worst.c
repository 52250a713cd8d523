/* planner_worst.c — the offline planner's slowest requests: one phrase repeated to the size limit. */
#include "bench/planner_worst.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "planner/taskgraph.h"

/*
 * A daemon plans whatever its callers send, up to the request limit (16 KB by default, and the
 * offline planner reads no more). Natural requests plan in a few milliseconds; what costs is a
 * request that repeats one cue over and over, so that every word could start a step, a split or
 * a phrase. This plans, for every keyword phrase of every task kind and for the words that join
 * and point ("and", "the", "it"...), a request of that phrase repeated to the limit, and reports
 * the slowest ones: the planner's worst case that a caller can ask for.
 */

#define REQUEST_BYTES 16384
#define SLOWEST 5

/* Words no task holds that the passes still weigh at every position. */
static const char *const glue[] = {"and", ",", "then", "the", "a", "it", "every a", "of the",
                                   "photo.jpg and", "talk.wav and", "into French", "'hi' and"};

/* One step made long: a task's words, then what it is about repeated ("write a story about |
 * the lovely cat the lovely cat ..."), so that a pass scanning the step from each word shows. */
static const char *const one_step[][2] = {{"write a story about", "the lovely cat"},
                                          {"describe", "the red car"},
                                          {"summarize", "the meeting notes"}};

typedef struct {
  double s;
  char phrase[64];
} timing;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds to plan head, then phrase repeated to REQUEST_BYTES (planned or not: both cost). */
static double plan_repeated(baton__offline_req req, const char *head, const char *phrase,
                            size_t n) {
  static char text[REQUEST_BYTES + 1];
  size_t len = (size_t)snprintf(text, sizeof text, "%s%s", head, *head ? " " : "");
  while (len + n + 1 <= REQUEST_BYTES) {
    memcpy(text + len, phrase, n);
    text[len + n] = ' ';
    len += n + 1;
  }
  text[len] = '\0';
  baton__graph g = {NULL, 0};
  char err[256];
  req.request = text;
  double t0 = now_s();
  (void)baton__plan_offline_req(&req, &g, err, sizeof err);
  double s = now_s() - t0;
  baton__graph_release(&g);
  return s;
}

/* Keeps the SLOWEST longest timings in top (sorted, slowest first). */
static void keep(timing *top, const char *phrase, size_t n, double s) {
  int at = SLOWEST;
  while (at > 0 && s > top[at - 1].s)
    at--;
  if (at == SLOWEST)
    return;
  memmove(&top[at + 1], &top[at], (SLOWEST - 1 - (size_t)at) * sizeof *top);
  top[at].s = s;
  snprintf(top[at].phrase, sizeof top[at].phrase, "%.*s", (int)n, phrase);
}

/* Times every '|'-separated phrase of list; adds to *count and *total. */
static void time_list(baton__offline_req req, const char *list, timing *top, long *count,
                      double *total) {
  for (const char *p = list; p && *p;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n > 0 && n < REQUEST_BYTES / 2) {
      double s = plan_repeated(req, "", p, n);
      keep(top, p, n, s);
      *total += s;
      ++*count;
    }
    p = bar ? bar + 1 : NULL;
  }
}

int planner_worst(baton__offline_req req) {
  timing top[SLOWEST];
  memset(top, 0, sizeof top);
  long count = 0;
  double total = 0;
  bool tty = isatty(STDERR_FILENO);
  for (size_t i = 0; i < sizeof glue / sizeof *glue; i++)
    time_list(req, glue[i], top, &count, &total);
  for (size_t i = 0; i < sizeof one_step / sizeof *one_step; i++) {
    const char *head = one_step[i][0], *unit = one_step[i][1];
    double s = plan_repeated(req, head, unit, strlen(unit));
    char shown[64];
    snprintf(shown, sizeof shown, "%s | %s", head, unit);
    keep(top, shown, strlen(shown), s);
    total += s, ++count;
  }
  for (size_t t = 0; t < req.n_tasks; t++) {
    time_list(req, req.tasks[t].keywords, top, &count, &total);
    if (tty)
      fprintf(stderr, "\rplanner_f1 --worst: %zu of %zu task kinds", t + 1, req.n_tasks);
  }
  if (tty)
    fprintf(stderr, "\n");
  printf("requests of %d bytes, one phrase repeated (after a head: \"head | phrase\"): %ld, "
         "%.3f s in all, %.1f ms each on average\n",
         REQUEST_BYTES, count, total, count ? 1000 * total / (double)count : 0.0);
  for (int k = 0; k < SLOWEST && top[k].s > 0; k++)
    printf("  %8.1f ms  \"%s\"\n", 1000 * top[k].s, top[k].phrase);
  return 0;
}
