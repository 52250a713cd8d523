/* mcp_results.c — MCP tool results: the answer as text, failures with isError, produced files inline or as resource links. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/output_names.h"
#include "server/mcp.h"
#include "core/base64.h"
#include "core/banned.h"

cJSON *baton__mcp_tool_result(void) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddArrayToObject(r, "content");
  return r;
}

void baton__mcp_add_text(cJSON *result, const char *text) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "type", "text");
  size_t n = strnlen(text, MCP_MAX_TEXT);
  char *t = strndup(text, n);
  cJSON_AddStringToObject(b, "text", t ? t : "");
  free(t);
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(result, "content"), b);
}

/* A tool result that reports a failure in words. */
cJSON *baton__mcp_error_result(const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  cJSON *r = baton__mcp_tool_result();
  baton__mcp_add_text(r, text);
  cJSON_AddTrueToObject(r, "isError");
  return r;
}

/* A file's content inline: an image or audio block, or, for a revision
 * without audio blocks, an embedded resource holding it. */
static cJSON *inline_block(const char *kind, const char *mime, const char *b64, const char *uri,
                           bool audio_ok) {
  cJSON *b = cJSON_CreateObject();
  if (!strcmp(kind, "audio") && !audio_ok) {
    cJSON_AddStringToObject(b, "type", "resource");
    cJSON *r = cJSON_AddObjectToObject(b, "resource");
    cJSON_AddStringToObject(r, "uri", uri);
    cJSON_AddStringToObject(r, "mimeType", mime);
    cJSON_AddStringToObject(r, "blob", b64);
    return b;
  }
  cJSON_AddStringToObject(b, "type", kind);
  cJSON_AddStringToObject(b, "data", b64);
  cJSON_AddStringToObject(b, "mimeType", mime);
  return b;
}

/* A file by reference: a resource link, or, for a revision without them, a
 * text block naming its URI. */
static cJSON *link_block(const char *uri, const char *name, const char *mime, bool links_ok) {
  cJSON *b = cJSON_CreateObject();
  if (!links_ok) {
    char text[1536];
    snprintf(text, sizeof text, "file %s (%s): %s (read it with resources/read)", name, mime, uri);
    cJSON_AddStringToObject(b, "type", "text");
    cJSON_AddStringToObject(b, "text", text);
    return b;
  }
  cJSON_AddStringToObject(b, "type", "resource_link");
  cJSON_AddStringToObject(b, "uri", uri);
  cJSON_AddStringToObject(b, "name", name);
  cJSON_AddStringToObject(b, "mimeType", mime);
  return b;
}

/* One produced file: inline as image/audio when small enough, else a
 * resource link, in the content types of the revision agreed. Either way
 * it is readable through resources/read. */
static void add_file(mcp_server *s, cJSON *result, const char *run_id, const char *path,
                     size_t *budget) {
  char uri[1024];
  if (!baton__mcp_res_add(s, run_id, path, uri, sizeof uri))
    return;
  int rev = atomic_load(&s->revision);
  const char *mime = baton__mcp_mime(path);
  const char *kind = !strncmp(mime, "image/", 6)   ? "image"
                     : !strncmp(mime, "audio/", 6) ? "audio"
                                                   : NULL;
  size_t len = 0;
  char *data = kind ? baton__mcp_read_output(s, path, MCP_MAX_INLINE_FILE, &len) : NULL;
  char *b64 = data && len <= *budget ? baton__b64_encode(data, len) : NULL;
  free(data);
  const char *slash = strrchr(path, '/');
  cJSON *b;
  if (b64) {
    *budget -= len;
    b = inline_block(kind, mime, b64, uri, rev >= MCP_REV_AUDIO);
    free(b64);
  } else {
    b = link_block(uri, slash ? slash + 1 : path, mime, rev >= MCP_REV_LINKS);
  }
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(result, "content"), b);
}

/* The file outputs (image, audio, video: a path or a list of paths; a saved text) of a task. */
static void add_task_files(mcp_server *s, cJSON *result, const char *run_id, const cJSON *task,
                           size_t *budget) {
  static const char *const file_types[] = {"image", "audio", "video", BATON__OUTPUT_FILE};
  const cJSON *outs = cJSON_GetObjectItemCaseSensitive(task, "outputs");
  for (size_t i = 0; i < sizeof file_types / sizeof *file_types; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(outs, file_types[i]);
    if (cJSON_IsString(v)) {
      add_file(s, result, run_id, v->valuestring, budget);
    } else if (cJSON_IsArray(v)) {
      const cJSON *p;
      cJSON_ArrayForEach(p, v) if (cJSON_IsString(p))
          add_file(s, result, run_id, p->valuestring, budget);
    }
  }
}

void baton__mcp_add_structured(mcp_server *s, cJSON *result, cJSON *obj) {
  char *text = obj && atomic_load(&s->revision) >= MCP_REV_STRUCTURED
                   ? cJSON_PrintUnformatted(obj)
                   : NULL;
  if (text && strlen(text) <= MCP_MAX_TEXT)
    cJSON_AddItemToObject(result, "structuredContent", obj);
  else
    cJSON_Delete(obj);
  cJSON_free(text);
}

static const char *jstr(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* The result of the run tool: the answer, the failures, the files. */
cJSON *baton__mcp_run_result(mcp_server *s, cJSON *res) {
  cJSON *r = baton__mcp_tool_result();
  const char *status = jstr(res, "status", "failed");
  const char *run_id = jstr(res, "run_id", "run");
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tasks")) {
    if (strcmp(jstr(t, "status", ""), "failed"))
      continue;
    char line[1536];
    snprintf(line, sizeof line, "task %d %s failed: %s",
             cJSON_GetObjectItemCaseSensitive(t, "id")
                 ? cJSON_GetObjectItemCaseSensitive(t, "id")->valueint
                 : -1,
             jstr(t, "task", "?"), jstr(t, "error", "no reason given"));
    baton__mcp_add_text(r, line);
  }
  baton__mcp_add_text(r, jstr(res, "summary", "(no answer)"));
  size_t budget = MCP_MAX_INLINE_TOTAL;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tasks"))
      add_task_files(s, r, run_id, t, &budget);
  if (strcmp(status, "done"))
    cJSON_AddTrueToObject(r, "isError");
  baton__mcp_add_structured(s, r, cJSON_Duplicate(res, 1));
  return r;
}

/* The result of a task tool: its text and JSON outputs, then its files. */
cJSON *baton__mcp_task_result(mcp_server *s, cJSON *res) {
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"), 0);
  if (!task)
    return baton__mcp_error_result("the task did not run (status %s)",
                                   jstr(res, "status", "unknown"));
  if (strcmp(jstr(task, "status", ""), "done"))
    return baton__mcp_error_result(
        "%s failed%s%s: %s", jstr(task, "task", "the task"),
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(task, "model")) ? " on " : "",
        jstr(task, "model", ""), jstr(task, "error", "no reason given"));
  cJSON *r = baton__mcp_tool_result();
  const cJSON *outs = cJSON_GetObjectItemCaseSensitive(task, "outputs");
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(outs, "text");
  if (cJSON_IsString(text))
    baton__mcp_add_text(r, text->valuestring);
  const cJSON *json = cJSON_GetObjectItemCaseSensitive(outs, "json");
  if (json) {
    char *j = cJSON_PrintUnformatted(json);
    baton__mcp_add_text(r, j ? j : "null");
    cJSON_free(j);
  }
  size_t budget = MCP_MAX_INLINE_TOTAL;
  add_task_files(s, r, jstr(res, "run_id", "run"), task, &budget);
  baton__mcp_add_structured(s, r, cJSON_Duplicate(task, 1));
  return r;
}
