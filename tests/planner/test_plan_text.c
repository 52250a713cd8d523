/* test_plan_text.c — finding and repairing task plans in what LLMs write. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan_text.h"
#include "planner/taskgraph.h"
#include "support/support.h"

/* Extracts and parses; asserts success and the number of tasks. */
static cJSON *plan_of(const char *text, int n_tasks) {
  char err[512] = "";
  char *out = baton__plan_text_extract(text, strlen(text), err, sizeof err);
  cr_assert_not_null(out, "no plan found in <<%s>>: %s", text, err);
  cJSON *j = cJSON_Parse(out);
  cr_assert(cJSON_IsArray(j), "not a JSON array: %s", out);
  cr_assert_eq(cJSON_GetArraySize(j), n_tasks, "expected %d tasks, got: %s", n_tasks, out);
  free(out);
  return j;
}

static const cJSON *task_at(const cJSON *plan, int i) { return cJSON_GetArrayItem(plan, i); }

static const char *task_name(const cJSON *plan, int i) {
  return cJSON_GetObjectItem(task_at(plan, i), "task")->valuestring;
}

static int task_id(const cJSON *plan, int i) {
  return cJSON_GetObjectItem(task_at(plan, i), "id")->valueint;
}

static const char *arg(const cJSON *plan, int i, const char *name) {
  const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(task_at(plan, i), "args"), name);
  return cJSON_IsString(a) ? a->valuestring : NULL;
}

/* The dep list as text, e.g. "[0,1]". */
static char *deps(const cJSON *plan, int i) {
  return cJSON_PrintUnformatted(cJSON_GetObjectItem(task_at(plan, i), "dep"));
}

static void assert_deps(const cJSON *plan, int i, const char *want) {
  char *d = deps(plan, i);
  cr_assert_str_eq(d, want, "task %d dep %s, want %s", i, d, want);
  free(d);
}

static const char *TWO =
    "[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"sign.png\"}}, "
    "{\"task\": \"text-to-speech\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}}]";

Test(planner_plan_text, a_clean_plan_comes_back_unchanged_in_meaning) {
  cJSON *p = plan_of(TWO, 2);
  cr_assert_str_eq(task_name(p, 0), "image-to-text");
  cr_assert_str_eq(arg(p, 0, "image"), "sign.png");
  assert_deps(p, 0, "[-1]");
  cr_assert_str_eq(task_name(p, 1), "text-to-speech");
  cr_assert_str_eq(arg(p, 1, "text"), "<GENERATED>-0");
  assert_deps(p, 1, "[0]");
  cJSON_Delete(p);
}

Test(planner_plan_text, plan_inside_a_fence_with_prose_around_is_found) {
  char text[2048];
  snprintf(text, sizeof text,
           "Sure! Here is the plan [as requested]:\n```json\n%s\n```\nLet me know {if} you need more.", TWO);
  cJSON *p = plan_of(text, 2);
  cr_assert_str_eq(task_name(p, 1), "text-to-speech");
  cJSON_Delete(p);
}

Test(planner_plan_text, plan_in_plain_prose_is_found) {
  char text[2048];
  snprintf(text, sizeof text, "I will do this in two steps: %s. Hope this helps!", TWO);
  cJSON *p = plan_of(text, 2);
  cr_assert_str_eq(arg(p, 0, "image"), "sign.png");
  cJSON_Delete(p);
}

Test(planner_plan_text, a_stray_extra_closing_pair_is_dropped) {
  cJSON *p = plan_of("[{\"task\": \"object-detection\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"e1.jpg\"}}, "
                     "{\"task\": \"visual-question-answering\", \"id\": 1, \"dep\": [0], \"args\": {\"image\": "
                     "\"<GENERATED>-0\", \"text\": \"How many sheep?\"}} }}, {\"task\": \"image-to-text\", \"id\": 2, "
                     "\"dep\": [-1], \"args\": {\"image\": \"e2.png\" }}]",
                     3);
  cr_assert_str_eq(arg(p, 1, "text"), "How many sheep?");
  cr_assert_str_eq(task_name(p, 2), "image-to-text");
  cJSON_Delete(p);
}

Test(planner_plan_text, a_missing_opening_bracket_is_supplied) {
  cJSON *p = plan_of("{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"a.jpg\"}}, "
                     "{\"task\": \"text-to-speech\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}}]",
                     2);
  cr_assert_str_eq(task_name(p, 1), "text-to-speech");
  cJSON_Delete(p);
}

Test(planner_plan_text, missing_closers_at_the_end_are_added) {
  cJSON *p = plan_of("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"long text\"", 1);
  cr_assert_str_eq(arg(p, 0, "text"), "long text");
  cJSON_Delete(p);
}

Test(planner_plan_text, trailing_commas_are_removed) {
  cJSON *p = plan_of("[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1,], \"args\": {\"text\": \"hi\",},},]", 1);
  assert_deps(p, 0, "[-1]");
  cJSON_Delete(p);
}

Test(planner_plan_text, single_quoted_keys_and_strings_are_read) {
  cJSON *p = plan_of("[{'task': 'visual-question-answering', 'id': 0, 'dep': [-1], "
                     "'args': {'image': 'cat.jpg', 'text': 'what's in it, \"really\"?'}}]",
                     1);
  cr_assert_str_eq(task_name(p, 0), "visual-question-answering");
  cr_assert_str_eq(arg(p, 0, "text"), "what's in it, \"really\"?");
  cJSON_Delete(p);
}

Test(planner_plan_text, python_literals_unquoted_keys_and_missing_commas_are_repaired) {
  cJSON *p = plan_of("[{task: \"translation\", id: 0, dep: [-1], args: {\"text\": \"hola\", \"flag\": True}}\n"
                     " {\"task\": \"summarization\", \"id\": 1, \"dep\": None, \"args\": {\"text\": \"<GENERATED>-0\"}}]",
                     2);
  cr_assert_str_eq(arg(p, 0, "flag"), "true");
  assert_deps(p, 1, "[0]");
  cJSON_Delete(p);
}

Test(planner_plan_text, generated_tag_spelled_inside_the_brackets_is_fixed) {
  cJSON *p = plan_of("[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"/e.jpg\"}}, "
                     "{\"task\": \"text-to-image\", \"id\": 3, \"dep\": [0], \"args\": {\"text\": \"<GENERATED-0>\"}}]",
                     2);
  cr_assert_str_eq(arg(p, 1, "text"), "<GENERATED>-0");
  cr_assert_eq(task_id(p, 1), 3);
  cJSON_Delete(p);
}

Test(planner_plan_text, a_reference_missing_from_dep_is_added) {
  cJSON *p = plan_of("[{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"a.png\"}}, "
                     "{\"task\": \"text-to-speech\", \"id\": 1, \"dep\": [-1], \"args\": {\"text\": \"<generated>-0\"}}]",
                     2);
  cr_assert_str_eq(arg(p, 1, "text"), "<GENERATED>-0");
  assert_deps(p, 1, "[0]");
  cJSON_Delete(p);
}

Test(planner_plan_text, taskbench_nodes_become_hugginggpt_tasks) {
  /* As in TaskBench's data: nodes listed last-step first, "<node-j>" refs. */
  cJSON *p = plan_of("{\"task_nodes\": [{\"task\": \"Audio Effects\", \"arguments\": [\"<node-1>\", \"reverb\"]}, "
                     "{\"task\": \"Audio Noise Reduction\", \"arguments\": [\"<node-2>\"]}, "
                     "{\"task\": \"Video-to-Audio\", \"arguments\": [\"example.mp4\"]}], "
                     "\"task_links\": [{\"source\": \"Audio Noise Reduction\", \"target\": \"Audio Effects\"}]}",
                     3);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(task_id(p, i), i);
  cr_assert_str_eq(task_name(p, 0), "audio-effects");
  cr_assert_str_eq(task_name(p, 2), "video-to-audio");
  cr_assert_str_eq(arg(p, 2, "video"), "example.mp4");
  assert_deps(p, 2, "[-1]");
  cr_assert_str_eq(arg(p, 1, "audio"), "<GENERATED>-2", "video-to-audio produces audio");
  assert_deps(p, 1, "[2]");
  cr_assert_str_eq(arg(p, 0, "audio"), "<GENERATED>-1", "noise reduction of audio produces audio");
  cr_assert_str_eq(arg(p, 0, "text"), "reverb");
  assert_deps(p, 0, "[1]");
  cJSON_Delete(p);
}

Test(planner_plan_text, taskbench_odd_shapes_are_read) {
  /* task_nodes as an object of steps; a number argument; {"from": task}. */
  cJSON *p = plan_of("{\"task_nodes\": {\"step_1\": {\"task\": \"Text Generation\", \"arguments\": [\"AI\", 250]}, "
                     "\"step_2\": {\"task\": \"Translation\", \"arguments\": [\"<node-0>\"]}, "
                     "\"step_3\": {\"task\": \"Document Question Answering\", \"arguments\": [\"doc.jpg\", {\"from\": \"Translation\"}]}}}",
                     3);
  cr_assert_str_eq(arg(p, 0, "text"), "AI");
  cr_assert_str_eq(arg(p, 0, "text_2"), "250");
  cr_assert_str_eq(arg(p, 1, "text"), "<GENERATED>-0");
  cr_assert_str_eq(arg(p, 2, "image"), "doc.jpg");
  cr_assert_str_eq(arg(p, 2, "text"), "<GENERATED>-1");
  assert_deps(p, 2, "[1]");
  cJSON_Delete(p);
}

Test(planner_plan_text, args_given_as_a_list_are_named_by_type) {
  cJSON *p = plan_of("[{\"task\": \"visual-question-answering\", \"id\": 0, \"dep\": [-1], "
                     "\"args\": [\"photos/e1.JPG\", \"how many sheep?\"]}, "
                     "{\"task\": \"automatic-speech-recognition\", \"id\": 1, \"dep\": [-1], \"args\": [\"talk.flac\"]}, "
                     "{\"task\": \"video-classification\", \"id\": 2, \"dep\": [-1], \"args\": \"clip.mp4\"}]",
                     3);
  cr_assert_str_eq(arg(p, 0, "image"), "photos/e1.JPG");
  cr_assert_str_eq(arg(p, 0, "text"), "how many sheep?");
  cr_assert_str_eq(arg(p, 1, "audio"), "talk.flac");
  cr_assert_str_eq(arg(p, 2, "video"), "clip.mp4");
  cJSON_Delete(p);
}

Test(planner_plan_text, a_single_task_object_becomes_an_array) {
  cJSON *p = plan_of("Plan: {\"task\": \"image-classification\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": \"x.png\"}}", 1);
  cr_assert_str_eq(task_name(p, 0), "image-classification");
  cJSON_Delete(p);
}

Test(planner_plan_text, a_tasks_wrapper_is_unwrapped) {
  cJSON *p = plan_of("{\"tasks\": [{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"t\"}}, "
                     "{\"task\": \"translation\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}}]}",
                     2);
  cr_assert_str_eq(task_name(p, 1), "translation");
  cJSON_Delete(p);
}

Test(planner_plan_text, non_string_argument_values_become_text) {
  cJSON *p = plan_of("[{\"task\": \"text-generation\", \"id\": \"0\", \"dep\": -1, \"args\": {\"text\": \"go\", \"max_new_tokens\": 64, "
                     "\"temperature\": 0.5, \"stop\": null}}]",
                     1);
  cr_assert_eq(task_id(p, 0), 0);
  cr_assert_str_eq(arg(p, 0, "max_new_tokens"), "64");
  cr_assert_str_eq(arg(p, 0, "temperature"), "0.5");
  cr_assert_null(arg(p, 0, "stop"));
  assert_deps(p, 0, "[-1]");
  cJSON_Delete(p);
}

Test(planner_plan_text, an_empty_plan_stays_empty) {
  char err[256];
  char *out = baton__plan_text_extract("  []\n", 5, err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert_str_eq(out, "[]");
  free(out);
  out = baton__plan_text_extract("```json\n[]\n```", 14, err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert_str_eq(out, "[]");
  free(out);
}

Test(planner_plan_text, garbage_and_prose_give_a_readable_error) {
  static const char *bad[] = {
      "I am sorry, I cannot help with that request.",
      "",
      "{{{{[[[[",
      "]]]}}}",
      "```\nprint('hello')\n```",
      "[1, 2, 3]",
      "{\"answer\": \"no tasks needed\"}",
      "[{\"id\": 0, \"dep\": [-1]}]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char err[512] = "";
    char *out = baton__plan_text_extract(bad[i], strlen(bad[i]), err, sizeof err);
    cr_assert_null(out, "<<%s>> gave %s", bad[i], out);
    cr_assert(strstr(err, "task"), "unclear error for <<%s>>: %s", bad[i], err);
  }
  char err[512];
  cr_assert_null(baton__plan_text_extract("I am sorry, no.", 15, err, sizeof err));
  cr_assert(strstr(err, "I am sorry, no."), "the error quotes the reply: %s", err);
}

Test(planner_plan_text, input_above_one_mebibyte_is_refused) {
  size_t n = 2u * 1024u * 1024u;
  char *big = malloc(n + 1);
  cr_assert_not_null(big);
  memset(big, ' ', n);
  memcpy(big, TWO, strlen(TWO));
  big[n] = '\0';
  char err[256];
  cr_assert_null(baton__plan_text_extract(big, n, err, sizeof err));
  cr_assert(strstr(err, "too large"), "%s", err);
  free(big);
}

Test(planner_plan_text, deeply_nested_or_binary_input_gets_a_clear_refusal_quickly,
     .timeout = 10) {
  size_t n = 100000;
  char *s = malloc(n);
  cr_assert(s);
  for (size_t i = 0; i < n; i++)
    s[i] = (i % 3 == 0) ? '[' : (i % 3 == 1) ? '{' : '"';
  char err[256] = "";
  char *out = baton__plan_text_extract(s, n, err, sizeof err);
  /* Nothing there is a plan: no text back, and a reason. */
  cr_expect_null(out, "a plan from nested brackets: %.80s", out ? out : "");
  cr_expect(err[0] != '\0', "no reason given for nested brackets");
  free(out);
  for (size_t i = 0; i < n; i++)
    s[i] = (char)(i * 7919u);
  err[0] = '\0';
  out = baton__plan_text_extract(s, n, err, sizeof err);
  cr_expect_null(out, "a plan from binary noise: %.80s", out ? out : "");
  cr_expect(err[0] != '\0', "no reason given for binary noise");
  free(out);
  /* A real plan after the noise is still found. */
  static const char plan[] =
      "[{\"task\": \"summarization\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"a\"}}]";
  memset(s, '[', n / 2);
  memcpy(s + n / 2, plan, sizeof plan);
  out = baton__plan_text_extract(s, n / 2 + sizeof plan - 1, err, sizeof err);
  cr_expect(out && strstr(out, "\"summarization\""), "the plan after the brackets: %s",
            out ? out : err);
  free(out);
  free(s);
}

/* The HuggingGPT few-shot demos: real plans, some malformed. */
Test(planner_plan_text, hugginggpt_demo_plans_all_parse) {
  char *path = bt_shared_data("hugginggpt/demo_parse_task.json");
  BT_SKIP_IF_NO_SHARED(path, "hugginggpt/demo_parse_task.json");
  char *text = bt_slurp(path, NULL);
  cJSON *msgs = cJSON_Parse(text);
  cr_assert(cJSON_IsArray(msgs));
  static const int want[] = {9, 6, 4, 2, 3, 2};
  int k = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, msgs) {
    const cJSON *role = cJSON_GetObjectItem(m, "role");
    if (!cJSON_IsString(role) || strcmp(role->valuestring, "assistant") != 0)
      continue;
    cr_assert_lt(k, 6, "more assistant turns than expected");
    const char *content = cJSON_GetObjectItem(m, "content")->valuestring;
    cJSON *p = plan_of(content, want[k]);
    /* The project's own parser takes the result. */
    char *js = cJSON_PrintUnformatted(p);
    baton__graph g = {0};
    char err[512] = "";
    int rc = baton__graph_parse(js, strlen(js), 64, &g, err, sizeof err);
    cr_assert_eq(rc, 0, "assistant turn %d: graph parser refused %s: %s", k, js, err);
    cr_assert_eq(g.n, (size_t)want[k]);
    baton__graph_release(&g);
    if (k == 1) {
      cr_assert_str_eq(arg(p, 3, "text"), "<GENERATED>-0", "<GENERATED-0> repaired");
      cr_assert_str_eq(arg(p, 5, "text"), "<GENERATED>-0");
    }
    if (k == 0)
      cr_assert_str_eq(arg(p, 8, "image"), "<GENERATED>-7");
    free(js);
    cJSON_Delete(p);
    k++;
  }
  cr_assert_eq(k, 6, "expected 6 assistant turns, saw %d", k);
  cJSON_Delete(msgs);
  free(text);
  free(path);
}

/* TaskBench's ground-truth graphs: every node kept, every <node-j> a dep. */
Test(planner_plan_text, taskbench_sample_graphs_all_convert) {
  static const char *files[] = {"taskbench/huggingface/data_sample.jsonl",
                                "taskbench/multimedia/data_sample.jsonl"};
  int records = 0;
  for (size_t f = 0; f < 2; f++) {
    char *path = bt_shared_data(files[f]);
    BT_SKIP_IF_NO_SHARED(path, files[f]);
    char *text = bt_slurp(path, NULL);
    for (char *line = text; line && *line;) {
      char *nl = strchr(line, '\n');
      if (nl)
        *nl = '\0';
      cJSON *rec = cJSON_Parse(line);
      if (rec) {
        const cJSON *nodes = cJSON_GetObjectItem(rec, "task_nodes");
        char *js = cJSON_PrintUnformatted(nodes);
        int n = cJSON_GetArraySize(nodes);
        int refs = 0;
        for (const char *q = strstr(js, "<node-"); q; q = strstr(q + 1, "<node-"))
          refs++;
        cJSON *p = plan_of(js, n);
        int deps_seen = 0;
        for (int i = 0; i < n; i++) {
          const cJSON *d;
          cJSON_ArrayForEach(d, cJSON_GetObjectItem(task_at(p, i), "dep"))
            if (d->valueint >= 0)
              deps_seen++;
        }
        cr_assert_eq(deps_seen, refs, "record %s: %d refs, %d deps", line, refs, deps_seen);
        cJSON_Delete(p);
        free(js);
        cJSON_Delete(rec);
        records++;
      }
      line = nl ? nl + 1 : NULL;
    }
    free(text);
    free(path);
  }
  cr_assert_gt(records, 10);
}
