/* test_served_mcp.c — `baton mcp` of a user batond serves (not the daemon's uid): the files its runs made, in the daemon's run folders it may not open, inline, listed and read through run.output. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base64.h"
#include "support/served.h"
#include "support/support.h"

static bt_served sv; /* nobody works in sv.base/mine */

static void start(void) { bt_served_start(&sv); }
static void stop(void) { bt_served_stop(&sv); }

/* The requests of the session, one a line, each answered before the next is sent. */
static const char *const session[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"debug_echo\","
    "\"arguments\":{\"text\":\"NOBODY-PIC\",\"save_as\":\"pic.png\"}}}",
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"debug_echo\","
    "\"arguments\":{\"text\":\"NOBODY-MCP\",\"save_as\":\"mcp.txt\"}}}",
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\"}",
};

/* Reads from fd until a response (a line with "id" and no "method") arrives: it, malloc'd. */
static char *response(int fd, char *buf, size_t cap, size_t *len) {
  for (;;) {
    char *nl = memchr(buf, '\n', *len);
    if (nl) {
      char *line = strndup(buf, (size_t)(nl - buf));
      *len -= (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, *len);
      if (line && strstr(line, "\"id\":") && !strstr(line, "\"method\":"))
        return line;
      free(line);
      continue;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t r = *len < cap && poll(&p, 1, BT_WAIT_MS) == 1 ? read(fd, buf + *len, cap - *len) : 0;
    if (r <= 0)
      return NULL;
    *len += (size_t)r;
  }
}

/* Starts `baton mcp` (through the daemon) in sv.base/mine with pipes to and from it. */
static pid_t spawn_mcp(int *to, int *from) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char prog[700];
    bt_baton_path(prog, sizeof prog);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || bt_served_enter(&sv) != 0)
      _exit(3);
    close(in[0]); /* its input ends when the test's end closes */
    close(in[1]);
    close(out[0]);
    close(out[1]);
    setenv("BATON_DEBUG_EXECUTORS", "1", 1);
    execl(prog, "baton", "mcp", (char *)NULL);
    _exit(4);
  }
  close(in[0]);
  close(out[1]);
  *to = in[1];
  *from = out[0];
  return pid;
}

/* The content block of type `type` in a tools/call response, or NULL. */
static const cJSON *block(const cJSON *resp, const char *type) {
  const cJSON *b;
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "result"), "content")) {
    const cJSON *t = cJSON_GetObjectItem(b, "type");
    if (cJSON_IsString(t) && !strcmp(t->valuestring, type))
      return b;
  }
  return NULL;
}

/* The resources/read request of the resource link in the response line r, into req. */
static void read_request(const char *r, char *req, size_t cap) {
  cJSON *j = cJSON_Parse(r);
  const cJSON *uri = cJSON_GetObjectItem(block(j, "resource_link"), "uri");
  snprintf(req, cap,
           "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":"
           "{\"uri\":\"%s\"}}",
           cJSON_IsString(uri) ? uri->valuestring : "baton://none");
  cJSON_Delete(j);
}

/* In the child (as nobody): the session's responses, one a line, into out: the requests above,
 * then resources/read of the text file's link (the second call's). */
static void mcp_session(void *arg, char *out, size_t cap) {
  (void)arg;
  signal(SIGPIPE, SIG_IGN);
  int to = -1, from = -1;
  pid_t pid = spawn_mcp(&to, &from);
  static char buf[1 << 20];
  char req[2048];
  size_t len = 0, o = 0, n = sizeof session / sizeof *session;
  for (size_t i = 0; pid > 0 && i <= n && o < cap; i++) {
    dprintf(to, "%s\n", i < n ? session[i] : req);
    char *r = response(from, buf, sizeof buf, &len);
    o += (size_t)snprintf(out + o, cap - o, "%s\n", r ? r : "NO-RESPONSE");
    if (i == 0)
      dprintf(to, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
    if (i == 2)
      read_request(r ? r : "", req, sizeof req);
    free(r);
  }
  close(to);
  close(from);
  if (pid > 0)
    waitpid(pid, NULL, 0);
}

/* The nth line of text as JSON (cJSON_Delete it). */
static cJSON *line_json(const char *text, int n) {
  while (n-- > 0 && text)
    text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL;
  cr_assert(text, "no response %s", "line");
  const char *nl = strchr(text, '\n');
  cJSON *j = cJSON_ParseWithLength(text, nl ? (size_t)(nl - text) : strlen(text));
  cr_assert(j, "a response that is not JSON: %s", text);
  return j;
}

Test(served_mcp, a_served_users_session_gets_its_files_through_the_daemon, .init = start,
     .fini = stop, .timeout = 120) {
  if (geteuid() != 0)
    cr_skip_test("needs root to serve another user (nobody) from the daemon");
  char *r = bt_as_user(BT_NOBODY, BT_NOBODY, mcp_session, NULL);
  cr_assert(r, "the child running as nobody failed");
  /* The picture inline, though nobody cannot open the run folder it is in. */
  cJSON *pic = line_json(r, 1);
  const cJSON *img = block(pic, "image");
  cr_assert(img, "no image block: %s", r);
  const cJSON *data = cJSON_GetObjectItem(img, "data");
  size_t n = 0;
  char *bytes = cJSON_IsString(data)
                    ? (char *)baton__b64_decode(data->valuestring, strlen(data->valuestring), &n)
                    : NULL;
  cr_expect(bytes && n == 11 && !memcmp(bytes, "NOBODY-PIC\n", 11), "the image block: %s", r);
  cr_expect_str_eq(cJSON_GetObjectItem(img, "mimeType")->valuestring, "image/png");
  free(bytes);
  cJSON_Delete(pic);
  /* Both files listed, with their sizes. */
  cJSON *list = line_json(r, 3);
  const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(list, "result"), "resources");
  cr_expect_eq(cJSON_GetArraySize(res), 2, "resources/list: %s", r);
  const cJSON *x;
  cJSON_ArrayForEach(x, res)
      cr_expect_eq(cJSON_GetObjectItem(x, "size")->valuedouble, 11.0, "%s", r);
  cJSON_Delete(list);
  /* The text file by its link, read whole. */
  cJSON *read = line_json(r, 4);
  const cJSON *c = cJSON_GetArrayItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(read, "result"), "contents"), 0);
  const cJSON *text = cJSON_GetObjectItem(c, "text");
  cr_expect(cJSON_IsString(text) && !strcmp(text->valuestring, "NOBODY-MCP\n"),
            "resources/read: %s", r);
  cJSON_Delete(read);
  free(r);
}
