/* test_offline_shared.c — the offline planner's lexicon and cues, built once: changed task kinds are seen at once, and threads share them safely. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/offline.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "support/seeded.h"
#include "support/support.h"
#include "core/banned.h"

static char *tmp_dir;
static baton__registry *reg;
static const baton__taskspec *tasks;
static size_t n_tasks;
/* A copy of the registry's task kinds with the keywords of summarization and translation
 * swapped (its strings owned): the same names, other cues. */
static baton__taskspec *swapped;

static size_t task_index(const char *name) {
  for (size_t i = 0; i < n_tasks; i++)
    if (strcmp(tasks[i].name, name) == 0)
      return i;
  cr_assert_fail("the catalogue has no task kind %s", name);
  return 0;
}

static void open_registry(void) {
  tmp_dir = bt_tmpdir();
  reg = bt_registry_seeded_in(tmp_dir);
  tasks = baton__registry_tasks(reg, &n_tasks);
  cr_assert_gt(n_tasks, 10);
  swapped = calloc(n_tasks, sizeof *swapped);
  cr_assert_not_null(swapped);
  for (size_t i = 0; i < n_tasks; i++) {
    swapped[i] = tasks[i];
    swapped[i].keywords = baton__strdup(tasks[i].keywords ? tasks[i].keywords : "");
  }
  size_t s = task_index("summarization"), t = task_index("translation");
  char *kw = swapped[s].keywords;
  swapped[s].keywords = swapped[t].keywords, swapped[t].keywords = kw;
}

static void close_registry(void) {
  for (size_t i = 0; i < n_tasks; i++)
    free(swapped[i].keywords);
  free(swapped);
  baton__registry_close(reg);
  bt_rmtree(tmp_dir);
  free(tmp_dir);
}

TestSuite(planner_offline_shared, .init = open_registry, .fini = close_registry);

/* The task kind planned first for request with these task kinds (caller frees), or the error. */
static char *first_task(const baton__taskspec *with, const char *request) {
  baton__offline_req r = {.request = request, .tasks = with, .n_tasks = n_tasks};
  baton__graph g;
  char err[256] = "";
  if (baton__plan_offline_req(&r, &g, err, sizeof err) != 0)
    return baton__strdup(err);
  char *name = baton__strdup(g.n ? g.tasks[0].task : "(none)");
  baton__graph_release(&g);
  return name;
}

static void expect_first(const baton__taskspec *with, const char *request, const char *task) {
  char *got = first_task(with, request);
  cr_expect_str_eq(got, task, "'%s' with %s keywords", request, with == tasks ? "their own" :
                   "swapped");
  free(got);
}

Test(planner_offline_shared, other_task_kinds_are_planned_with_their_own_keywords) {
  expect_first(tasks, "summarize notes.txt", "summarization");
  expect_first(swapped, "summarize notes.txt", "translation");
  expect_first(tasks, "summarize notes.txt", "summarization");
}

/* The same array, one task kind's keywords replaced between two plans (as a registry reloaded
 * into the same memory might): what is compared is the text, not the array. */
Test(planner_offline_shared, a_keyword_replaced_in_the_same_array_is_seen) {
  size_t s = task_index("summarization");
  expect_first(swapped, "summarize notes.txt", "translation");
  char *kw = swapped[s].keywords;
  swapped[s].keywords = baton__strdup(tasks[s].keywords);
  expect_first(swapped, "summarize notes.txt", "summarization");
  free(swapped[s].keywords), swapped[s].keywords = kw;
}

/* Every text the cues come from counts: a description changed, a task kind added (an import), a
 * lexicon of other weights; and the same texts again plan as at first. */
Test(planner_offline_shared, descriptions_more_kinds_and_another_lexicon_are_seen) {
  size_t s = task_index("summarization");
  baton__taskspec *mine = calloc(n_tasks + 1, sizeof *mine);
  memcpy(mine, tasks, n_tasks * sizeof *mine);
  size_t t = task_index("translation"); /* one cue, told apart by a description word */
  mine[s].keywords = mine[t].keywords = "frobnicate";
  mine[s].description = "Zorbles texts.";
  expect_first(mine, "frobnicate zorble notes.txt", "summarization");
  mine[s].description = tasks[s].description, mine[t].description = "Zorbles texts.";
  expect_first(mine, "frobnicate zorble notes.txt", "translation");
  memcpy(mine, tasks, n_tasks * sizeof *mine);
  char *got;
  mine[n_tasks] = tasks[s]; /* one more kind: an import */
  mine[n_tasks].name = "quokka-summary", mine[n_tasks].keywords = "quokkafy";
  baton__offline_req r = {.request = "quokkafy notes.txt", .tasks = mine,
                          .n_tasks = n_tasks + 1};
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__plan_offline_req(&r, &g, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(g.tasks[0].task, "quokka-summary", "the kind added is seen");
  baton__graph_release(&g);
  got = first_task(mine, "quokkafy notes.txt"); /* n_tasks again: gone */
  cr_expect_str_neq(got, "quokka-summary");
  free(got);
  extern const unsigned char baton__lexicon_yaml[];
  extern const size_t baton__lexicon_yaml_len;
  char *lex = malloc(baton__lexicon_yaml_len + 1), *w;
  memcpy(lex, baton__lexicon_yaml, baton__lexicon_yaml_len);
  lex[baton__lexicon_yaml_len] = '\0';
  baton__offline_req own = {.request = "summarize notes.txt", .tasks = tasks, .n_tasks = n_tasks,
                            .lexicon_yaml = lex, .lexicon_len = baton__lexicon_yaml_len};
  cr_assert_eq(baton__plan_offline_req(&own, &g, err, sizeof err), 0, "%s", err);
  baton__graph_release(&g); /* then the same text changed where it lies, its length kept: */
  const char *raise[] = {"  accept: ", "  accept_fallback: "}; /* no step reaches them now */
  for (size_t k = 0; k < 2; k++) {
    cr_assert_not_null(w = strstr(lex, raise[k]));
    memcpy(w + strlen(raise[k]), "90  ", 4);
  }
  r = (baton__offline_req){.request = "summarize notes.txt", .tasks = tasks, .n_tasks = n_tasks,
                           .lexicon_yaml = lex, .lexicon_len = baton__lexicon_yaml_len};
  cr_expect_neq(baton__plan_offline_req(&r, &g, err, sizeof err), 0, "the lexicon is seen");
  baton__graph_release(&g);
  free(lex), free(mine);
  expect_first(tasks, "summarize notes.txt", "summarization");
}

/* A lexicon that does not load fails that plan only; the next one plans as before. */
Test(planner_offline_shared, a_bad_lexicon_spoils_no_later_plan) {
  expect_first(tasks, "summarize notes.txt", "summarization");
  const char bad[] = "classes: [not, a, mapping]\n";
  baton__offline_req r = {.request = "summarize notes.txt", .tasks = tasks, .n_tasks = n_tasks,
                          .lexicon_yaml = bad, .lexicon_len = sizeof bad - 1};
  baton__graph g;
  char err[256] = "";
  cr_expect_eq(baton__plan_offline_req(&r, &g, err, sizeof err), -1);
  cr_expect(strstr(err, "lexicon.yaml:") != NULL, "%s", err);
  expect_first(tasks, "summarize notes.txt", "summarization");
}

enum { THREADS = 4, PLANS = 60 };

/* Plans by turns with the registry's task kinds and the swapped ones, as callers of a daemon
 * with a registry being changed would; counts the plans that came out otherwise. */
typedef struct {
  int id;
  size_t wrong;
} planner_thread;

static void *plan_by_turns(void *arg) {
  planner_thread *t = arg;
  for (int i = 0; i < PLANS; i++) {
    bool own = (i + t->id) % 3 != 0;
    char *got = first_task(own ? tasks : swapped, "summarize notes.txt");
    t->wrong += strcmp(got, own ? "summarization" : "translation") != 0;
    free(got);
  }
  return NULL;
}

Test(planner_offline_shared, threads_planning_with_changing_task_kinds_each_get_theirs) {
  pthread_t th[THREADS];
  planner_thread t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    t[i] = (planner_thread){.id = i};
    cr_assert_eq(pthread_create(&th[i], NULL, plan_by_turns, &t[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    cr_expect_eq(t[i].wrong, 0, "thread %d: %zu of %d plans were made with the other keywords",
                 i, t[i].wrong, PLANS);
  }
}
