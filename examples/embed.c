/* embed.c — a small agent built on libbaton: submits a request (or a task graph) and prints events as they arrive. */
/*
 * Build against an installed libbaton:
 *   cc -o embed embed.c $(pkg-config --cflags --libs baton)
 * Run:
 *   ./embed "read the text on sign.png and say it aloud"
 *   BATON_DEBUG_EXECUTORS=1 ./embed --plan plan.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton.h>

/* Called on the library's worker threads, one event at a time per run. */
static void on_event(void *userdata, const baton_event *ev) {
  int *events = userdata;
  ++*events;
  switch (ev->type) {
  case BATON_EVENT_PLAN:
    printf("[%s] plan: %s\n", baton_event_name(ev->type), ev->json ? ev->json : "[]");
    break;
  case BATON_EVENT_TASK_STARTED:
  case BATON_EVENT_TASK_FINISHED:
    printf("[%s] task %d %s on %s\n", baton_event_name(ev->type), ev->task_id, ev->task,
           ev->model ? ev->model : "?");
    break;
  case BATON_EVENT_TASK_FAILED:
  case BATON_EVENT_TASK_WAITING:
    printf("[%s] task %d %s: %s\n", baton_event_name(ev->type), ev->task_id, ev->task,
           ev->text ? ev->text : "failed");
    break;
  case BATON_EVENT_SUMMARY_DELTA:
    break; /* the whole answer is printed at the end */
  case BATON_EVENT_DONE:
    printf("[%s] run %s\n", baton_event_name(ev->type), ev->run_id);
    break;
  default: /* newer libraries add event types: name them, skip the detail */
    printf("[%s]\n", baton_event_name(ev->type));
    break;
  }
  fflush(stdout);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (n + 1 == cap) {
      if (cap >= (16u << 20))
        break; /* plans larger than 16 MiB are refused by the library anyway */
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  return buf;
}

int main(int argc, char **argv) {
  baton_request req = {BATON_REQUEST_INIT};
  char *plan = NULL;
  if (argc == 3 && strcmp(argv[1], "--plan") == 0) {
    if (!(plan = slurp(argv[2]))) {
      fprintf(stderr, "embed: cannot read %s\n", argv[2]);
      return 2;
    }
    req.plan_json = plan;
  } else if (argc == 2 && argv[1][0] != '-') {
    req.text = argv[1];
  } else {
    fprintf(stderr, "usage: embed \"REQUEST\" | embed --plan FILE\n");
    return 2;
  }

  baton *ctx = NULL;
  baton_rc rc = baton_open(NULL, &ctx);
  if (rc != BATON_OK) {
    fprintf(stderr, "embed: %s\n", ctx ? baton_errmsg(ctx) : baton_strerror(rc));
    baton_close(ctx);
    free(plan);
    return 1;
  }
  printf("libbaton %s, data in %s\n", baton_version(), baton_home(ctx));

  int events = 0;
  baton_run *run = NULL;
  rc = baton_submit(ctx, &req, on_event, &events, &run);
  free(plan);
  if (rc != BATON_OK) {
    fprintf(stderr, "embed: %s: %s\n", baton_strerror(rc), baton_errmsg(ctx));
    baton_close(ctx);
    return 2;
  }
  rc = baton_run_wait(run);
  printf("status: %s after %d events\n", baton_strerror(rc), events);
  printf("answer:\n%s", baton_run_summary(run) ? baton_run_summary(run) : "");
  baton_run_free(run);
  baton_close(ctx);
  return rc == BATON_OK ? 0 : 1;
}
