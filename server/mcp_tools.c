/* mcp_tools.c — the MCP tools: their schemas (run, plan, models_search, one per task kind) and tools/call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/mcp.h"
#include "core/banned.h"

/* The conversation so far, which run and plan take. */
#define MESSAGES_SCHEMA                                                                       \
  "\"messages\":{\"type\":\"array\",\"description\":\"the conversation so far, oldest first, " \
  "so that 'it', 'that' and 'the original ...' refer to what earlier turns produced: the "   \
  "request as {role: user, content}, the answer as {role: assistant, content, files?: "      \
  "[paths], outputs?: {text|image|audio: value}, lang?: the language code outputs.text is "    \
  "in, tasks?: [{task, outputs, lang?}] what each task made, so that 'the transcript' is "    \
  "speech recognition's, status?: failed when the request was not run (the answer says why; "\
  "a chat task is not sent that exchange)}\",\"items\":{\"type\":\"object\","                \
  "\"properties\":{\"role\":{\"type\":\"string\",\"enum\":[\"user\",\"assistant\"]},"        \
  "\"content\":{\"type\":\"string\"},"                                                      \
  "\"files\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                         \
  "\"outputs\":{\"type\":\"object\"},\"lang\":{\"type\":\"string\"},"                      \
  "\"tasks\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"                         \
  "\"status\":{\"type\":\"string\",\"enum\":[\"done\",\"failed\"]}},"                          \
  "\"required\":[\"role\",\"content\"]}}"

/* The tools that are always there. */
static const struct {
  const char *name, *title, *description, *schema;
} fixed_tools[] = {
    {"run", "Run a request",
     "Plans a request in plain language into tasks (e.g. \"read the text in sign.png and "
     "summarize it\"), runs each task on a model and returns the answer, with every file the "
     "tasks produced (images and audio inline, larger files as resource links). Files named in "
     "the request or in inputs are relative to the server's working folder.",
     "{\"type\":\"object\",\"properties\":{"
     "\"request\":{\"type\":\"string\",\"description\":\"what to do, in plain language\"},"
     "\"inputs\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"extra "
     "input files the request refers to\"},"
     "\"offline\":{\"type\":\"boolean\",\"description\":\"plan and summarise without the LLM "
     "even when one is configured\"}," MESSAGES_SCHEMA "},\"required\":[\"request\"]}"},
    {"plan", "Plan a request",
     "Shows the task graph a request would run as, with the model chosen for each task and "
     "why, without running anything.",
     "{\"type\":\"object\",\"properties\":{"
     "\"request\":{\"type\":\"string\",\"description\":\"what to do, in plain language\"},"
     "\"inputs\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"extra "
     "input files the request refers to\"},"
     "\"offline\":{\"type\":\"boolean\",\"description\":\"use the offline planner\"},"
     MESSAGES_SCHEMA "},\"required\":[\"request\"]}"},
    {"models_search", "Search models",
     "Searches the model registry's descriptions, best match first.",
     "{\"type\":\"object\",\"properties\":{"
     "\"text\":{\"type\":\"string\",\"description\":\"words to look for\"},"
     "\"task\":{\"type\":\"string\",\"description\":\"only models of this task kind, e.g. "
     "image-to-text\"},"
     "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,\"description\":\"how many "
     "(default 5)\"}},\"required\":[\"text\"]}"},
};

/* What a task's argument of each input type is. */
static const struct {
  const char *type, *description;
} type_args[] = {
    {"image", "path of an image file (relative to the server's working folder)"},
    {"audio", "path of an audio file (relative to the server's working folder)"},
    {"video", "path of a video file (relative to the server's working folder)"},
    {"text", "the text to work on"},
};

/* Arguments some tasks take besides their inputs (or a better description
 * of an input). */
static const struct {
  const char *task, *arg, *description;
  int required;
} extra_args[] = {
    {"question-answering", "question", "the question to answer from the text", 1},
    {"visual-question-answering", "question", "the question about the image", 1},
    {"document-question-answering", "question", "the question about the document", 1},
    {"translation", "tgt_lang", "the language to translate into, e.g. es", 0},
    {"translation", "src_lang", "the language of the text when it is not detected", 0},
    {"zero-shot-classification", "labels", "the candidate labels, separated by commas", 1},
    {"sentence-similarity", "sentences", "the sentences to compare it with, comma-separated", 1},
    {"debug-sleep", "text", "how long to sleep, in milliseconds", 1},
    {"debug-echo", "text", "the text to return", 1},
};

const char *baton__mcp_unknown_arg(const char *tool, const cJSON *args, char *known, size_t cap) {
  known[0] = '\0';
  for (size_t i = 0; i < sizeof fixed_tools / sizeof *fixed_tools; i++) {
    if (strcmp(tool, fixed_tools[i].name) != 0)
      continue;
    cJSON *schema = cJSON_Parse(fixed_tools[i].schema);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties"), *p, *a;
    size_t used = 0;
    cJSON_ArrayForEach(p, props) {
      int n = snprintf(known + used, cap - used, "%s%s", used ? ", " : "", p->string);
      if (n > 0 && (size_t)n < cap - used)
        used += (size_t)n;
    }
    const char *unknown = NULL;
    cJSON_ArrayForEach(a, args) if (!unknown && !cJSON_GetObjectItemCaseSensitive(props, a->string))
        unknown = a->string;
    cJSON_Delete(schema);
    return unknown;
  }
  return NULL;
}

void baton__mcp_swap_chars(char *s, char from, char to) {
  for (; *s; s++)
    if (*s == from)
      *s = to;
}

/* ---- tools/list ---------------------------------------------------------- */

/* A tool's human title, where the revision agreed (YYYYMMDD) has one: Tool.title from
 * 2025-06-18, annotations.title on 2025-03-26, none on 2024-11-05. */
static void add_title(cJSON *tool, const char *title, int rev) {
  if (rev >= MCP_REV_STRUCTURED)
    cJSON_AddStringToObject(tool, "title", title);
  else if (rev >= MCP_REV_ANNOTATIONS)
    cJSON_AddStringToObject(cJSON_AddObjectToObject(tool, "annotations"), "title", title);
}

static cJSON *string_prop(const char *description) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "type", "string");
  cJSON_AddStringToObject(p, "description", description);
  return p;
}

static void add_arg(cJSON *props, cJSON *req, const char *name, const char *desc, int required) {
  cJSON_DeleteItemFromObjectCaseSensitive(props, name);
  cJSON_AddItemToObject(props, name, string_prop(desc));
  if (required) {
    const cJSON *r;
    cJSON_ArrayForEach(r, req) if (!strcmp(r->valuestring, name)) return;
    cJSON_AddItemToArray(req, cJSON_CreateString(name));
  }
}

/* The input schema of one task kind's tool. */
static cJSON *task_schema(const char *task, const cJSON *inputs) {
  cJSON *schema = cJSON_CreateObject();
  cJSON_AddStringToObject(schema, "type", "object");
  cJSON *props = cJSON_AddObjectToObject(schema, "properties");
  cJSON *req = cJSON_AddArrayToObject(schema, "required");
  const cJSON *in;
  cJSON_ArrayForEach(in, inputs) {
    for (size_t i = 0; i < sizeof type_args / sizeof *type_args; i++)
      if (cJSON_IsString(in) && !strcmp(in->valuestring, type_args[i].type))
        add_arg(props, req, type_args[i].type, type_args[i].description, 1);
  }
  for (size_t i = 0; i < sizeof extra_args / sizeof *extra_args; i++)
    if (!strcmp(task, extra_args[i].task))
      add_arg(props, req, extra_args[i].arg, extra_args[i].description, extra_args[i].required);
  cJSON_AddItemToObject(props, "model",
                        string_prop("a model id to run on instead of the registry's choice"));
  cJSON *more = cJSON_AddObjectToObject(schema, "additionalProperties");
  cJSON_AddStringToObject(more, "type", "string");
  return schema;
}

/* One tool per task kind that some model can run here now. */
static void add_task_tools(cJSON *tools, const cJSON *tasks, int rev) {
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(t, "description");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
    if (!cJSON_IsString(name) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available")))
      continue;
    char tool[128], text[1024];
    snprintf(tool, sizeof tool, "%s", name->valuestring);
    baton__mcp_swap_chars(tool, '-', '_');
    snprintf(text, sizeof text, "%s Runs on %s unless model is given. Returns the task's outputs.",
             cJSON_IsString(desc) ? desc->valuestring : name->valuestring,
             cJSON_IsString(model) ? model->valuestring : "the registry's choice");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", tool);
    add_title(o, name->valuestring, rev);
    cJSON_AddStringToObject(o, "description", text);
    cJSON_AddItemToObject(
        o, "inputSchema",
        task_schema(name->valuestring, cJSON_GetObjectItemCaseSensitive(t, "inputs")));
    cJSON_AddItemToArray(tools, o);
  }
}

cJSON *baton__mcp_tools_list(mcp_server *s) {
  char *json = NULL;
  if (baton_tasks_json(s->ctx, &json) != BATON_OK)
    return NULL;
  cJSON *tasks = cJSON_Parse(json);
  baton_free(json);
  int rev = atomic_load(&s->revision);
  cJSON *r = cJSON_CreateObject();
  cJSON *tools = cJSON_AddArrayToObject(r, "tools");
  for (size_t i = 0; i < sizeof fixed_tools / sizeof *fixed_tools; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", fixed_tools[i].name);
    add_title(o, fixed_tools[i].title, rev);
    cJSON_AddStringToObject(o, "description", fixed_tools[i].description);
    cJSON_AddItemToObject(o, "inputSchema", cJSON_Parse(fixed_tools[i].schema));
    cJSON_AddItemToArray(tools, o);
  }
  add_task_tools(tools, tasks, rev);
  cJSON_Delete(tasks);
  return r;
}
