/* test_taskgraph.c — the task-graph parser, validator and JSON form. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/output_names.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "support/seeded.h"
#include "support/support.h"
#include "core/banned.h"


/* A few task kinds, as the registry would describe them. */
static const baton__taskspec specs[] = {
    {"image-to-text", "reads an image", BATON__T_IMAGE, BATON__T_TEXT, "", ""},
    {"summarization", "summarises text", BATON__T_TEXT, BATON__T_TEXT, "", ""},
    {"translation", "translates text", BATON__T_TEXT, BATON__T_TEXT, "", ""},
    {"text-to-speech", "speaks text", BATON__T_TEXT, BATON__T_AUDIO, "", ""},
    {"text-to-image", "draws text", BATON__T_TEXT, BATON__T_IMAGE, "", ""},
    {"object-detection", "finds objects", BATON__T_IMAGE, BATON__T_TEXT | BATON__T_IMAGE, "", ""},
    {"visual-question-answering", "answers about an image", BATON__T_IMAGE | BATON__T_TEXT,
     BATON__T_TEXT, "", ""},
};

static const baton__taskspec *lookup(void *ud, const char *name) {
  (void)ud;
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp(specs[i].name, name) == 0)
      return &specs[i];
  return NULL;
}

static const baton__taskspec *registry_lookup(void *ud, const char *name) {
  return baton__registry_task(ud, name);
}

/* Parses and validates; returns the rc and leaves the message in err. */
static int check(const char *json, char *err, size_t errlen) {
  baton__graph g;
  err[0] = '\0';
  int rc = baton__graph_parse(json, strlen(json), 16, &g, err, errlen);
  if (rc == 0)
    rc = baton__graph_validate(&g, lookup, NULL, err, errlen);
  baton__graph_release(&g);
  return rc;
}

#define EXPECT_ERROR(json, needle)                                                        \
  do {                                                                                    \
    char err_[512];                                                                       \
    cr_assert_eq(check((json), err_, sizeof err_), -1, "accepted: %s", (json));           \
    cr_assert(strstr(err_, (needle)) != NULL, "error '%s' does not mention '%s'", err_,   \
              (needle));                                                                  \
  } while (0)

Test(planner_taskgraph, accepts_a_diamond_graph) {
  const char *json =
      "[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"sign.png\"}},"
      " {\"task\": \"summarization\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}},"
      " {\"task\": \"translation\", \"id\": 2, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\","
      "   \"tgt_lang\": \"es\"}},"
      " {\"task\": \"visual-question-answering\", \"id\": 3, \"dep\": [1, 2],"
      "   \"args\": {\"image\": \"sign.png\", \"text\": \"<GENERATED>-2\"}}]";
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 16, &g, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_eq(g.n, 4);
  cr_assert_str_eq(g.tasks[0].task, "image-to-text");
  cr_assert_eq(g.tasks[0].n_deps, 0, "dep [-1] means no dependency");
  cr_assert_str_eq(g.tasks[0].args[0].value, "sign.png");
  cr_assert_eq(g.tasks[0].args[0].ref, -1);
  cr_assert_eq(g.tasks[1].args[0].ref, 0);
  cr_assert_null(g.tasks[1].args[0].value);
  cr_assert_str_eq(g.tasks[2].args[1].name, "tgt_lang");
  cr_assert_eq(g.tasks[3].n_deps, 2);
  cr_assert_eq(baton__graph_find(&g, 3), 3);
  cr_assert_eq(baton__graph_find(&g, 7), -1);
  baton__graph_release(&g);
  cr_assert_eq(g.n, 0);
}

/* Parses json (which must parse) into g and merges the tasks doing the same work. */
static void parse_and_merge(const char *json, baton__graph *g) {
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 16, g, err, sizeof err), 0, "%s", err);
  baton__graph_merge_same(g);
}

Test(planner_taskgraph, merges_tasks_doing_the_same_work_and_renumbers) {
  /* sign.png read twice, each reading summarised, then spoken; and a.png read once */
  const char *json =
      "[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1],"
      "  \"args\": {\"image\": \"sign.png\"}},"
      " {\"task\": \"summarization\", \"id\": 1, \"dep\": [0],"
      "  \"args\": {\"text\": \"<GENERATED>-0\"}},"
      " {\"task\": \"image-to-text\", \"id\": 2, \"dep\": [-1],"
      "  \"args\": {\"image\": \"sign.png\"}},"
      " {\"task\": \"summarization\", \"id\": 3, \"dep\": [2],"
      "  \"args\": {\"text\": \"<GENERATED>-2\"}},"
      " {\"task\": \"image-to-text\", \"id\": 4, \"dep\": [-1], \"args\": {\"image\": \"a.png\"}},"
      " {\"task\": \"visual-question-answering\", \"id\": 5, \"dep\": [3, 1],"
      "   \"args\": {\"image\": \"sign.png\", \"text\": \"<GENERATED>-3\"}},"
      " {\"task\": \"translation\", \"id\": 6, \"dep\": [4],"
      "  \"args\": {\"text\": \"<GENERATED>-4\","
      "   \"tgt_lang\": \"es\"}}]";
  baton__graph g;
  char err[256] = "";
  parse_and_merge(json, &g);
  cr_assert_eq(g.n, 5, "the second reading and its summary are the first ones: %zu tasks", g.n);
  const char *kinds[] = {"image-to-text", "summarization", "image-to-text",
                         "visual-question-answering", "translation"};
  for (size_t i = 0; i < g.n; i++) {
    cr_assert_eq(g.tasks[i].id, (int)i);
    cr_assert_str_eq(g.tasks[i].task, kinds[i]);
  }
  cr_assert_str_eq(g.tasks[2].args[0].value, "a.png");
  cr_assert_eq(g.tasks[3].args[1].ref, 1, "the question is the kept summary");
  cr_assert_eq(g.tasks[3].n_deps, 1, "deps 3 and 1 are one task now");
  cr_assert_eq(g.tasks[3].deps[0], 1);
  cr_assert_eq(g.tasks[4].args[0].ref, 2);
  cr_assert_eq(g.tasks[4].deps[0], 2);
  cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(baton__task_literal(&g.tasks[4], "tgt_lang"), "es");
  cr_assert_null(baton__task_literal(&g.tasks[4], "text"), "a reference is no literal");
  cr_assert_null(baton__task_literal(&g.tasks[4], "src_lang"));
  cr_assert_null(baton__task_literal(NULL, "tgt_lang"));
  baton__graph_release(&g);
}

Test(planner_taskgraph, leaves_a_graph_referring_forward_as_it_is) {
  const char *json =
      "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [1],"
      "  \"args\": {\"text\": \"<GENERATED>-1\"}},"
      " {\"task\": \"image-to-text\", \"id\": 1, \"dep\": [-1], \"args\": {\"image\": \"s.png\"}},"
      " {\"task\": \"image-to-text\", \"id\": 2, \"dep\": [-1], \"args\": {\"image\": \"s.png\"}}]";
  baton__graph g;
  parse_and_merge(json, &g);
  cr_assert_eq(g.n, 3);
  cr_assert_eq(g.tasks[0].args[0].ref, 1);
  baton__graph_release(&g);
  baton__graph_merge_same(NULL);
}

Test(planner_taskgraph, normalises_task_names) {
  const char *names[] = {"Text-to-Speech", "text_to_speech", "Text To Speech", " TEXT-TO-SPEECH "};
  for (size_t i = 0; i < 4; i++) {
    char json[256];
    baton__fmt(json, sizeof json,
               "[{\"task\": \"%s\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"hi\"}}]",
               names[i]);
    baton__graph g;
    char err[256] = "";
    cr_assert_eq(baton__graph_parse(json, strlen(json), 4, &g, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(g.tasks[0].task, "text-to-speech", "'%s' became '%s'", names[i],
                     g.tasks[0].task);
    cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), 0, "%s", err);
    baton__graph_release(&g);
  }
}

Test(planner_taskgraph, rejects_what_is_not_an_array_of_objects) {
  EXPECT_ERROR("{\"task\": \"summarization\", \"id\": 0}", "must be a JSON array");
  EXPECT_ERROR("[1, 2]", "not a task object");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0}, \"x\"]", "index 1 is a string");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0", "not valid JSON");
  EXPECT_ERROR("", "empty");
}

Test(planner_taskgraph, rejects_missing_or_mistyped_task_and_id) {
  EXPECT_ERROR("[{\"id\": 0, \"dep\": [-1], \"args\": {}}]", "task 0 has no \"task\"");
  EXPECT_ERROR("[{\"task\": 5, \"id\": 0}]", "\"task\" must be a string");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"dep\": [-1]}]", "index 0 has no \"id\"");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": \"0\"}]", "\"id\" must be an integer");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 1.5}]", "\"id\" must be an integer");
}

Test(planner_taskgraph, rejects_duplicate_ids) {
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"args\": {\"text\": \"a\"}},"
               " {\"task\": \"translation\", \"id\": 0, \"args\": {\"text\": \"b\"}}]",
               "duplicate task id 0");
}

Test(planner_taskgraph, rejects_bad_dep_lists) {
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": -1}]",
               "task 0: \"dep\" must be an array");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [\"-1\"]}]",
               "array of integer task ids");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [3]}]",
               "task 0 depends on task 3, which is not in the plan");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [0]}]",
               "task 0 depends on itself");
}

Test(planner_taskgraph, reports_the_ids_on_a_cycle) {
  char err[512];
  const char *json =
      "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}},"
      " {\"task\": \"summarization\", \"id\": 1, \"dep\": [3], \"args\": {\"text\": \"<GENERATED>-3\"}},"
      " {\"task\": \"summarization\", \"id\": 2, \"dep\": [1], \"args\": {\"text\": \"<GENERATED>-1\"}},"
      " {\"task\": \"summarization\", \"id\": 3, \"dep\": [2, 0], \"args\": {\"text\": \"<GENERATED>-2\"}}]";
  cr_assert_eq(check(json, err, sizeof err), -1);
  cr_assert(strstr(err, "cycle") != NULL, "%s", err);
  cr_assert(strstr(err, "task 1 depends on task 3") != NULL, "%s", err);
  cr_assert(strstr(err, "task 3 depends on task 2") != NULL, "%s", err);
  cr_assert(strstr(err, "task 2 depends on task 1") != NULL, "%s", err);
  cr_assert(strstr(err, "task 0") == NULL, "task 0 is not on the cycle: %s", err);
}

Test(planner_taskgraph, rejects_references_outside_the_dependencies) {
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}},"
               " {\"task\": \"translation\", \"id\": 1, \"dep\": [-1], \"args\": {\"text\": \"b\"}},"
               " {\"task\": \"translation\", \"id\": 2, \"dep\": [1], \"args\": {\"text\": \"<GENERATED>-0\"}}]",
               "task 2 uses <GENERATED>-0 but does not depend on task 0");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"<GENERATED>-0\"}}]",
               "refers to its own output");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"<GENERATED>-4\"}}]",
               "no task 4");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}},"
               " {\"task\": \"summarization\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED-0>\"}}]",
               "malformed reference '<GENERATED-0>'");
}

Test(planner_taskgraph, rejects_unknown_tasks) {
  EXPECT_ERROR("[{\"task\": \"foo\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}}]",
               "unknown task 'foo'");
}

Test(planner_taskgraph, rejects_args_that_are_not_string_objects) {
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"args\": [\"a\"]}]",
               "task 0: \"args\" must be an object");
  const char *bad[] = {"12", "true", "null", "[\"a\"]", "{\"x\": 1}"};
  for (size_t i = 0; i < 5; i++) {
    char json[256];
    baton__fmt(json, sizeof json,
               "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}},"
               " {\"task\": \"translation\", \"id\": 1, \"dep\": [-1], \"args\": {\"text\": %s}}]",
               bad[i]);
    EXPECT_ERROR(json, "wrong argument type: task 1 arg 'text' must be a string");
  }
}

Test(planner_taskgraph, rejects_resource_args_the_task_does_not_take) {
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"a.png\"}}]",
               "wrong argument type: task 0 (summarization) does not take an argument 'image'");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}},"
               " {\"task\": \"object-detection\", \"id\": 1, \"dep\": [0], \"args\": {\"image\": \"<GENERATED>-0\"}}]",
               "task 0 (summarization) produces text, not image");
  /* a numbered one is of its type too: a second recording to join, not a parameter */
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\","
               " \"audio2\": \"b.wav\"}}]",
               "task 0 (summarization) does not take an argument 'audio2'");
}

Test(planner_taskgraph, allows_literal_parameters) {
  char err[256];
  cr_assert_eq(check("[{\"task\": \"translation\", \"id\": 0, \"dep\": [-1],"
                     " \"args\": {\"text\": \"hola\", \"src_lang\": \"es\", \"tgt_lang\": \"en\","
                     " \"question\": \"why?\", \"labels\": \"a,b\"}}]",
                     err, sizeof err),
               0, "%s", err);
}

Test(planner_taskgraph, limits_the_task_count) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "[");
  for (int i = 0; i < 5; i++)
    baton__sb_addf(&sb, "%s{\"task\": \"summarization\", \"id\": %d, \"args\": {\"text\": \"a\"}}",
                   i ? "," : "", i);
  baton__sb_adds(&sb, "]");
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(sb.buf, sb.len, 4, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "more than the limit of 4") != NULL, "%s", err);
  baton__graph_release(&g);
  cr_assert_eq(baton__graph_parse(sb.buf, sb.len, 5, &g, err, sizeof err), 0, "%s", err);
  baton__graph_release(&g);
  baton__sb_release(&sb);
}

/* A chain of n summarizations, each taking the text of the one before. */
static void chain_json(baton__sb *sb, int n) {
  baton__sb_init(sb);
  baton__sb_adds(sb, "[{\"task\": \"summarization\", \"id\": 0, \"args\": {\"text\": \"a\"}}");
  for (int i = 1; i < n; i++)
    baton__sb_addf(sb,
                   ",{\"task\": \"summarization\", \"id\": %d, \"dep\": [%d], "
                   "\"args\": {\"text\": \"<GENERATED>-%d\"}}",
                   i, i - 1, i - 1);
  baton__sb_adds(sb, "]");
}

Test(planner_taskgraph, takes_10000_tasks_as_the_config_allows_and_names_the_limit_above) {
  baton__sb sb;
  chain_json(&sb, BATON__MAX_TASKS_LIMIT);
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(sb.buf, sb.len, BATON__MAX_TASKS_LIMIT, &g, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(g.n, 10000);
  cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), 0, "%s", err);
  baton__graph_release(&g);
  baton__sb_release(&sb);
  /* Asking for more than the most a graph may have still stops there. */
  chain_json(&sb, BATON__MAX_TASKS_LIMIT + 1);
  cr_assert_eq(baton__graph_parse(sb.buf, sb.len, 50000, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "more than the limit of 10000"), "%s", err);
  baton__graph_release(&g);
  baton__sb_release(&sb);
}

/* A text-to-speech task with id `id` saving as `name` (a JSON string body). */
#define SPEAK_AS(id, name)                                                                  \
  "{\"task\":\"text-to-speech\",\"id\":" #id ",\"dep\":[-1],\"args\":{\"text\":\"hi\","      \
  "\"save_as\":\"" name "\"}}"

Test(planner_taskgraph, names_output_files_after_save_as_and_refuses_names_that_leave_the_folder) {
  char err[512];
  cr_assert_eq(check("[" SPEAK_AS(0, "answer.wav") "," SPEAK_AS(1, "my reading.v2.wav") ","
                     SPEAK_AS(2, "\\u00e9t\\u00e9.wav") "," SPEAK_AS(3, "\\u7b54\\u3048.wav") "]",
                     err, sizeof err), 0, "%s", err); /* "été.wav", "答え.wav" */
  const char *bad[] = {"../up.wav", "/tmp/x.wav", "a/b.wav", ".hidden.wav", "", "x.wav ",
                       "-rf.wav", "tab\\there.wav", "x\\u202egpj.wav", "a\\u200bb.wav",
                       "\\u0085x.wav", NULL}; /* invisible, changing the direction */
  cr_assert(!baton__save_as_ok("\xff.wav") && !baton__save_as_ok("\xc3.wav"), "not UTF-8");
  char long_name[BATON__SAVE_AS_MAX + 2] = "";
  memset(long_name, 'a', BATON__SAVE_AS_MAX - 3);
  memcpy(long_name + BATON__SAVE_AS_MAX - 3, ".wav", 5); /* 81 bytes */
  cr_assert(baton__save_as_ok(long_name + 1) && !baton__save_as_ok(long_name));
  bad[sizeof bad / sizeof bad[0] - 1] = long_name;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char json[512];
    baton__fmt(json, sizeof json, "[{\"task\":\"text-to-speech\",\"id\":0,\"dep\":[-1],"
             "\"args\":{\"text\":\"hi\",\"save_as\":\"%s\"}}]", bad[i]);
    EXPECT_ERROR(json, "is not a plain file name");
  }
  /* Two tasks writing files of one name: by save_as, or a save_as taking another's task<id>. */
  EXPECT_ERROR("[" SPEAK_AS(0, "a.wav") "," SPEAK_AS(1, "a.mp3") "]",
               "tasks 0 and 1 would both write files named a.*");
  EXPECT_ERROR("[" SPEAK_AS(0, "task1.wav") ",{\"task\":\"text-to-speech\",\"id\":1,"
               "\"dep\":[-1],\"args\":{\"text\":\"hi\"}}]",
               "tasks 0 and 1 would both write files named task1.*");
  baton__graph g;
  const char *plan = "[" SPEAK_AS(4, "my reading.v2.wav") "," SPEAK_AS(7, "../x.wav") "]";
  cr_assert_eq(baton__graph_parse(plan, strlen(plan), 16, &g, err, sizeof err), 0, "%s", err);
  char prefix[BATON__SAVE_AS_MAX + 1];
  baton__task_file_prefix(&g.tasks[0], prefix, sizeof prefix);
  cr_assert_str_eq(prefix, "my reading.v2");
  char format[16];
  baton__task_file_format(&g.tasks[0], format, sizeof format);
  cr_assert_str_eq(format, "wav");
  baton__task_file_prefix(&g.tasks[1], prefix, sizeof prefix); /* never run: validation refuses */
  cr_assert_str_eq(prefix, "task7");
  baton__task_file_format(&g.tasks[1], format, sizeof format);
  cr_assert_str_eq(format, "");
  baton__graph_release(&g);
}

Test(planner_taskgraph, finds_two_of_10000_tasks_saving_as_one_name) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "[");
  for (int i = 0; i < BATON__MAX_TASKS_LIMIT; i++)
    baton__sb_addf(&sb, "%s{\"task\":\"text-to-speech\",\"id\":%d,\"dep\":[-1],\"args\":"
                   "{\"text\":\"hi\",\"save_as\":\"out%d.wav\"}}", i ? "," : "", i,
                   i == BATON__MAX_TASKS_LIMIT - 1 ? 17 : i);
  baton__sb_adds(&sb, "]");
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(sb.buf, sb.len, BATON__MAX_TASKS_LIMIT, &g, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), -1);
  cr_assert(strstr(err, "tasks 17 and 9999 would both write files named out17.*"), "%s", err);
  baton__graph_release(&g);
  baton__sb_release(&sb);
}

Test(planner_taskgraph, finds_a_cycle_at_the_end_of_a_long_chain) {
  baton__sb sb;
  chain_json(&sb, 5000);
  /* Task 0 also waits for the last one. */
  char *p = strstr(sb.buf, "\"id\": 0,");
  cr_assert(p);
  baton__sb fixed;
  baton__sb_init(&fixed);
  baton__sb_add(&fixed, sb.buf, (size_t)(p - sb.buf));
  baton__sb_adds(&fixed, "\"id\": 0, \"dep\": [4999],");
  baton__sb_adds(&fixed, p + strlen("\"id\": 0,"));
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(fixed.buf, fixed.len, 10000, &g, err, sizeof err), -1);
  cr_assert(strstr(err, "cycle in dependencies"), "%s", err);
  baton__graph_release(&g);
  baton__sb_release(&sb);
  baton__sb_release(&fixed);
}

Test(planner_taskgraph, never_crashes_on_odd_json) {
  const char *odd[] = {"null", "true", "\"x\"", "[]", "[[]]", "[{}]", "[null]", "{}",
                       "[{\"task\": null, \"id\": null, \"dep\": null, \"args\": null}]",
                       "[{\"task\": \"summarization\", \"id\": 1e300}]",
                       "[{\"task\": \"summarization\", \"id\": -5}]",
                       "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [[0]]}]",
                       "[{\"task\": \"\", \"id\": 0}]", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]",
                       "\x01\x02", "[{\"task\": \"summarization\", \"id\": 0, \"args\": {\"text\": \"<GENERATED>-\"}}]",
                       "[{\"task\": \"summarization\", \"id\": 0, \"args\": {\"text\": \"<GENERATED>-99999999999\"}}]"};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    char err[256] = "";
    int rc = check(odd[i], err, sizeof err);
    if (strcmp(odd[i], "[]") == 0 || rc != 0)
      cr_assert(rc == -1 && err[0] != '\0', "'%s' gave rc %d, no message", odd[i], rc);
  }
}

Test(planner_taskgraph, round_trips_through_json) {
  const char *json =
      "[{\"task\": \"Image To Text\", \"id\": 3, \"dep\": [-1], \"args\": {\"image\": \"a b.png\"}},"
      " {\"task\": \"translation\", \"id\": 7, \"dep\": [3], \"args\": {\"tgt_lang\": \"fr\","
      "   \"text\": \"<GENERATED>-3\", \"src_lang\": \"en\"}, \"model\": \"local/x\","
      "   \"candidates\": [\"hf/y\", \"hf/z\"]}]";
  baton__graph a, b;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 8, &a, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(a.tasks[1].model, "local/x");
  cr_assert_eq(a.tasks[1].n_candidates, 2);
  cJSON *j = baton__graph_to_json(&a);
  cr_assert_not_null(j);
  char *text = cJSON_PrintUnformatted(j);
  cr_assert(strstr(text, "\"dep\":[-1]") != NULL, "%s", text);
  cr_assert(strstr(text, "\"<GENERATED>-3\"") != NULL, "%s", text);
  cr_assert(strstr(text, "{\"tgt_lang\":\"fr\",\"text\":\"<GENERATED>-3\",\"src_lang\":\"en\"}") != NULL,
            "args keep their order: %s", text);
  cr_assert_eq(baton__graph_parse(text, strlen(text), 8, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(a.n, b.n);
  for (size_t i = 0; i < a.n; i++) {
    cr_assert_str_eq(a.tasks[i].task, b.tasks[i].task);
    cr_assert_eq(a.tasks[i].id, b.tasks[i].id);
    cr_assert_eq(a.tasks[i].n_deps, b.tasks[i].n_deps);
    for (size_t d = 0; d < a.tasks[i].n_deps; d++)
      cr_assert_eq(a.tasks[i].deps[d], b.tasks[i].deps[d]);
    cr_assert_eq(a.tasks[i].n_args, b.tasks[i].n_args);
    for (size_t k = 0; k < a.tasks[i].n_args; k++) {
      cr_assert_str_eq(a.tasks[i].args[k].name, b.tasks[i].args[k].name);
      cr_assert_eq(a.tasks[i].args[k].ref, b.tasks[i].args[k].ref);
      if (a.tasks[i].args[k].value)
        cr_assert_str_eq(a.tasks[i].args[k].value, b.tasks[i].args[k].value);
    }
    cr_assert_eq(a.tasks[i].n_candidates, b.tasks[i].n_candidates);
  }
  cr_assert_str_eq(b.tasks[1].candidates[1], "hf/z");
  free(text);
  cJSON_Delete(j);
  baton__graph_release(&a);
  baton__graph_release(&b);
}

/* A step's words (the offline planner's) go through the JSON and come back; a bad one is refused
 * with the reason, and a longer one is printed cut to what parsing takes. */
Test(planner_taskgraph, carries_a_steps_words_through_json_within_their_limit) {
  const char *json = "[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": "
                     "{\"image\": \"a.jpg\"}, \"words\": \"describe a.jpg\"},"
                     " {\"task\": \"image-to-text\", \"id\": 1, \"dep\": [-1], \"args\": "
                     "{\"image\": \"b.png\"}, \"words\": null}]";
  baton__graph a = {0}, b = {0};
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 8, &a, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(a.tasks[0].words, "describe a.jpg");
  cr_assert_null(a.tasks[1].words);
  char *text = baton__graph_print(&a);
  cr_assert_eq(baton__graph_parse(text, strlen(text), 8, &b, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(b.tasks[0].words, "describe a.jpg", "%s", text);
  cr_assert_null(b.tasks[1].words, "%s", text);
  free(text);
  baton__graph_release(&b);
  /* longer than the limit: printed cut at a character's end, and taken back */
  size_t n = BATON__TASK_MAX_WORDS + 11;
  char *long_words = malloc(n + 1);
  cr_assert_not_null(long_words);
  long_words[0] = 'x';
  for (size_t i = 1; i + 1 < n; i += 2)
    memcpy(long_words + i, "\xc3\xa9", 2); /* é: the limit falls inside one */
  long_words[n] = '\0';
  free(a.tasks[0].words);
  a.tasks[0].words = long_words;
  text = baton__graph_print(&a);
  cr_assert_eq(baton__graph_parse(text, strlen(text), 8, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(strlen(b.tasks[0].words), BATON__TASK_MAX_WORDS - 1);
  free(text);
  baton__graph_release(&b);
  baton__graph_release(&a);
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"words\": 7}]",
               "task 0: \"words\" (the words of the request the step was planned from) must be "
               "a non-empty string, got a number");
  EXPECT_ERROR("[{\"task\": \"summarization\", \"id\": 0, \"words\": \"\"}]",
               "got an empty one");
  baton__sb big;
  baton__sb_init(&big);
  baton__sb_adds(&big, "[{\"task\": \"summarization\", \"id\": 0, \"words\": \"");
  for (int i = 0; i <= BATON__TASK_MAX_WORDS; i++)
    baton__sb_addc(&big, 'w');
  baton__sb_adds(&big, "\"}]");
  EXPECT_ERROR(big.buf, "task 0: \"words\" is 4001 bytes; the limit is 4000");
  baton__sb_release(&big);
}

Test(planner_taskgraph, push_takes_ownership) {
  baton__graph g = {NULL, 0};
  baton__task t;
  memset(&t, 0, sizeof t);
  t.id = 0;
  t.task = baton__strdup("summarization");
  t.args = calloc(1, sizeof *t.args);
  t.args[0].name = baton__strdup("text");
  t.args[0].value = baton__strdup("hello");
  t.args[0].ref = -1;
  t.n_args = 1;
  cr_assert_eq(baton__graph_push(&g, &t), 0);
  cr_assert_null(t.task, "the task's members now belong to the graph");
  char err[256] = "";
  cr_assert_eq(baton__graph_validate(&g, lookup, NULL, err, sizeof err), 0, "%s", err);
  baton__graph_release(&g);
}

/* HuggingGPT's own few-shot plans: the well-formed ones parse and validate
 * against the shipped catalogue; the malformed ones fail cleanly. */
Test(planner_taskgraph, handles_the_hugginggpt_demo_plans) {
  char *path = bt_shared_data("hugginggpt/demo_parse_task.json");
  BT_SKIP_IF_NO_SHARED(path, "hugginggpt/demo_parse_task.json");
  size_t len = 0;
  char *text = bt_slurp(path, &len);
  cJSON *demos = cJSON_ParseWithLength(text, len);
  cr_assert_not_null(demos);

  char *dir = bt_tmpdir();
  char *db = baton__path_join(dir, "registry.db");
  baton__registry *reg = bt_registry_seeded(db);
  char err[512] = "";

  int valid = 0, malformed = 0, unknown = 0;
  const cJSON *turn;
  cJSON_ArrayForEach(turn, demos) {
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(turn, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(turn, "content");
    if (!cJSON_IsString(role) || strcmp(role->valuestring, "assistant") != 0)
      continue;
    const char *c = content->valuestring;
    baton__graph g;
    err[0] = '\0';
    int rc = baton__graph_parse(c, strlen(c), 32, &g, err, sizeof err);
    bool well_formed = strstr(c, "}} }}") == NULL && c[0] == '[' &&
                       strstr(c, "<GENERATED-") == NULL;
    if (!well_formed) {
      cr_assert_eq(rc, -1, "malformed plan accepted: %s", c);
      cr_assert(err[0] != '\0');
      malformed++;
    } else {
      cr_assert_eq(rc, 0, "%s in %s", err, c);
      rc = baton__graph_validate(&g, registry_lookup, reg, err, sizeof err);
      if (strstr(c, "openpose") != NULL) {
        /* ControlNet tasks are not in the catalogue. */
        cr_assert_eq(rc, -1);
        cr_assert(strstr(err, "unknown task 'openpose-control'") != NULL, "%s", err);
        unknown++;
      } else {
        cr_assert_eq(rc, 0, "%s in %s", err, c);
        valid++;
      }
    }
    baton__graph_release(&g);
  }
  cr_assert_eq(malformed, 3);
  cr_assert_geq(valid, 2);
  cr_assert_eq(unknown, 1);
  baton__registry_close(reg);
  cJSON_Delete(demos);
  bt_rmtree(dir);
  free(db);
  free(dir);
  free(text);
  free(path);
}

Test(planner_taskgraph, prints_its_json_as_cjson_would_with_every_escape_and_the_choice) {
  const char *json =
      "[{\"task\":\"summarization\",\"id\":1,\"dep\":[-1],\"args\":{\"text\":\"q\\\" b\\\\ \\b\\f\\n\\r\\t"
      "\\u0001 \\u00e9\\u4e2d \\ud83d\\ude00 / end\"}},"
      " {\"task\":\"translation\",\"id\":2,\"dep\":[1],\"args\":{\"text\":\"<GENERATED>-1\","
      "   \"tgt_lang\":\"fr\"},\"model\":\"local/x\",\"candidates\":[\"hf/y\"]}]";
  baton__graph g;
  char err[256] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 8, &g, err, sizeof err), 0, "%s", err);
  g.tasks[1].choice = baton__strdup("{\"ranked\":[{\"model\":\"local/x\",\"score\":0.5}],\"reason\":\"r\"}");
  char *text = baton__graph_print(&g);
  cr_assert_not_null(text);
  /* The same bytes cJSON prints for it, so results and the run history
   * read as before. */
  cJSON *j = cJSON_Parse(text);
  cr_assert_not_null(j, "not JSON: %s", text);
  char *again = cJSON_PrintUnformatted(j);
  cr_expect_str_eq(text, again);
  const cJSON *t0 = cJSON_GetArrayItem(j, 0);
  cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t0, "args"),
                                                    "text")->valuestring,
                   g.tasks[0].args[0].value);
  const cJSON *t1 = cJSON_GetArrayItem(j, 1);
  cr_expect(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(t1, "choice")));
  cr_expect(strstr(text, "\"dep\":[1],\"args\":{\"text\":\"<GENERATED>-1\",\"tgt_lang\":\"fr\"},"
                         "\"model\":\"local/x\",\"choice\":{") != NULL, "%s", text);
  free(again);
  free(text);
  cJSON_Delete(j);
  baton__graph_release(&g);
}
