/* test_mcp.c — baton_mcp_serve()'s protocol edges: lifecycle, bad input, oversized messages, tool errors, a client that goes away. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "core/util.h"
#include "support/daemon.h"
#include "support/support.h"

/* One MCP session: the server on a thread, the test as its client. */
typedef struct session {
  int fd;     /* the client's end */
  int srv_fd; /* the server's end */
  pthread_t th;
  baton_mcp_options o;
  baton_rc rc;
  char *err;
  char buf[1 << 20];
  size_t len;
  char *dir;
} session;

static void *serve_main(void *arg) {
  session *s = arg;
  s->rc = baton_mcp_serve(&s->o, &s->err);
  return NULL;
}

static session *start_with(int use_daemon) {
  session *s = calloc(1, sizeof *s);
  cr_assert_not_null(s);
  s->dir = bt_tmpdir();
  char path[1024];
  snprintf(path, sizeof path, "%s/home", s->dir);
  setenv("BATON_HOME", path, 1);
  snprintf(path, sizeof path, "%s/config.yaml", s->dir);
  bt_write(path, "workers: 2\n");
  setenv("BATON_CONFIG", path, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  s->fd = sv[0];
  s->srv_fd = sv[1];
  s->o = (baton_mcp_options){
      BATON_MCP_OPTIONS_INIT, .in_fd = sv[1], .out_fd = sv[1], .use_daemon = use_daemon};
  cr_assert_eq(pthread_create(&s->th, NULL, serve_main, s), 0);
  return s;
}

static session *start(void) { return start_with(0); }

static void send_text(session *s, const char *text, size_t n) {
  while (n) {
    ssize_t w = send(s->fd, text, n, MSG_NOSIGNAL);
    cr_assert(w > 0, "send: %s", strerror(errno));
    text += w;
    n -= (size_t)w;
  }
}

static void send_line(session *s, const char *line) {
  send_text(s, line, strlen(line));
  send_text(s, "\n", 1);
}

/* The next message from the server, within BT_WAIT_MS. */
static cJSON *recv_msg(session *s) {
  for (;;) {
    char *nl = memchr(s->buf, '\n', s->len);
    if (nl) {
      cJSON *m = cJSON_ParseWithLength(s->buf, (size_t)(nl - s->buf));
      cr_assert_not_null(m, "the server sent a line that is not JSON: %.*s", (int)(nl - s->buf),
                         s->buf);
      s->len -= (size_t)(nl + 1 - s->buf);
      memmove(s->buf, nl + 1, s->len);
      return m;
    }
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, BT_WAIT_MS), 1, "no message from the server within %d s",
                 BT_WAIT_MS / 1000);
    ssize_t r = recv(s->fd, s->buf + s->len, sizeof s->buf - s->len, 0);
    cr_assert(r > 0, "the server closed the session");
    s->len += (size_t)r;
  }
}

/* Sends a request and returns its response (notifications are skipped). */
static cJSON *call(session *s, const char *line) {
  send_line(s, line);
  for (;;) {
    cJSON *m = recv_msg(s);
    if (!cJSON_HasObjectItem(m, "method"))
      return m;
    cJSON_Delete(m);
  }
}

static int error_code(const cJSON *m) {
  const cJSON *c =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "error"), "code");
  return cJSON_IsNumber(c) ? c->valueint : 0;
}

static const char *error_text(const cJSON *m) {
  const cJSON *t =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "error"), "message");
  return cJSON_IsString(t) ? t->valuestring : "";
}

/* Initializes the session at a revision; returns the initialize result (cJSON_Delete it). */
static cJSON *initialize_reply(session *s, const char *revision) {
  char line[512];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
           "\"protocolVersion\":\"%s\",\"capabilities\":{},"
           "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
           revision);
  cJSON *r = call(s, line);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                                    "protocolVersion");
  cr_assert(cJSON_IsString(v) && !strcmp(v->valuestring, revision));
  send_line(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
  return r;
}

static void initialize_at(session *s, const char *revision) {
  cJSON_Delete(initialize_reply(s, revision));
}

static void initialize(session *s) { initialize_at(s, "2025-06-18"); }

/* Closes the client's end and checks that the server ends the session. */
static void stop(session *s) {
  close(s->fd);
  cr_assert_eq(pthread_join(s->th, NULL), 0);
  cr_assert_eq(s->rc, BATON_OK, "baton_mcp_serve: %s", s->err ? s->err : "");
  close(s->srv_fd);
}

static void cleanup(session *s) {
  baton_free(s->err);
  bt_rmtree(s->dir);
  free(s->dir);
  free(s);
}

static void finish(session *s) {
  stop(s);
  cleanup(s);
}

Test(server_mcp, unknown_method_gets_method_not_found) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/frobnicate\"}");
  cr_assert_eq(error_code(r), -32601);
  cr_assert(strstr(error_text(r), "tools/frobnicate"));
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 7);
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, calls_before_initialize_are_refused_but_ping_answers) {
  session *s = start();
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\"}");
  cr_assert_eq(error_code(r), -32600);
  cr_assert(strstr(error_text(r), "initialize"), "%s", error_text(r));
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"ping\"}");
  cr_assert(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "result")));
  cJSON_Delete(r);
  initialize(s);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/list\"}");
  const cJSON *tools =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"), "tools");
  cr_assert_geq(cJSON_GetArraySize(tools), 4);
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, oversized_message_is_refused_and_the_session_goes_on) {
  session *s = start();
  initialize(s);
  size_t n = (5u << 20);
  char *big = malloc(n);
  cr_assert_not_null(big);
  memset(big, 'x', n);
  memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"pad\":\"", 56);
  send_text(s, big, n);
  free(big);
  cJSON *r = recv_msg(s);
  cr_assert_eq(error_code(r), -32600);
  cr_assert(strstr(error_text(r), "larger than"), "%s", error_text(r));
  cJSON_Delete(r);
  send_text(s, "\"}}\n", 4); /* the rest of the big line: dropped */
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 10);
  cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(r, "result"));
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, malformed_json_and_invalid_requests_get_their_errors) {
  session *s = start();
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
  cr_assert_eq(error_code(r), -32700);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "id")));
  cJSON_Delete(r);
  r = call(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
  cr_assert_eq(error_code(r), -32600);
  cr_assert(strstr(error_text(r), "batches (JSON arrays) are taken only after initialize"), "%s",
            error_text(r));
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"ping\"}");
  cr_assert_eq(error_code(r), -32600);
  cJSON_Delete(r);
  initialize(s);
  /* params nested 100,000 deep: the error says how deep JSON may nest */
  char *deep = bt_nested_request("ping", 100000);
  r = call(s, deep);
  free(deep);
  cr_assert_eq(error_code(r), -32700);
  cr_assert(strstr(error_text(r), "deeper than 1000 levels"), "%s", error_text(r));
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/"
              "call\",\"params\":{\"name\":\"no_such_tool\"}}");
  cr_assert_eq(error_code(r), -32602);
  cJSON_Delete(r);
  finish(s);
}

/* The response with this id in a batch's array (NULL id: the first with a null id), or NULL. */
static const cJSON *by_id(const cJSON *arr, int id) {
  const cJSON *m;
  cJSON_ArrayForEach(m, arr) {
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(m, "id");
    if (id < 0 ? cJSON_IsNull(i) : cJSON_IsNumber(i) && i->valueint == id)
      return m;
  }
  return NULL;
}

/* Revision 2025-03-26 has servers take JSON-RPC batches: an array of the responses comes back
 * (none for the notifications), each element checked on its own; an empty batch, one past the
 * cap and one before initialize are refused with one error. */
Test(server_mcp, a_batch_on_2025_03_26_gets_an_array_of_its_responses) {
  session *s = start();
  cJSON *r = call(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
  cr_assert(cJSON_IsObject(r) && error_code(r) == -32600, "before initialize");
  cJSON_Delete(r);
  initialize_at(s, "2025-03-26");
  r = call(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
              "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"},"
              "5,"
              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/frobnicate\"},"
              "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"initialize\",\"params\":"
              "{\"protocolVersion\":\"2025-03-26\"}}]");
  cr_assert(cJSON_IsArray(r), "not an array: %s", cJSON_PrintUnformatted(r));
  cr_assert_eq(cJSON_GetArraySize(r), 5, "%s", cJSON_PrintUnformatted(r));
  cr_expect(cJSON_HasObjectItem(by_id(r, 1), "result"));
  cr_expect_geq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(by_id(r, 2), "result"), "tools")),
                4);
  cr_expect_eq(error_code(by_id(r, -1)), -32600, "the element 5");
  cr_expect_eq(error_code(by_id(r, 3)), -32601);
  cr_expect_eq(error_code(by_id(r, 4)), -32600);
  cr_expect(strstr(error_text(by_id(r, 4)), "initialize may not be part of a batch"), "%s",
            error_text(by_id(r, 4)));
  cJSON_Delete(r);
  /* notifications only: no answer at all, so the next message is the ping's */
  send_line(s, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]");
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
  cr_expect(cJSON_IsObject(r) && cJSON_GetObjectItemCaseSensitive(r, "id")->valueint == 6);
  cJSON_Delete(r);
  r = call(s, "[]");
  cr_expect(cJSON_IsObject(r) && error_code(r) == -32600);
  cr_expect(strstr(error_text(r), "Invalid Request"), "%s", error_text(r));
  cJSON_Delete(r);
  baton__sb big; /* one more than the cap */
  baton__sb_init(&big);
  baton__sb_addc(&big, '[');
  for (int i = 0; i <= 64; i++)
    baton__sb_addf(&big, "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}", i ? "," : "",
                   100 + i);
  baton__sb_addc(&big, ']');
  r = call(s, big.buf);
  baton__sb_release(&big);
  cr_expect(cJSON_IsObject(r) && error_code(r) == -32600);
  cr_expect(strstr(error_text(r), "65 messages") && strstr(error_text(r), "at most 64"), "%s",
            error_text(r));
  cJSON_Delete(r);
  finish(s);
}

/* The revisions without batches refuse them, saying which revision has them. */
Test(server_mcp, a_batch_on_other_revisions_is_refused) {
  static const char *const revs[] = {"2025-06-18", "2024-11-05"};
  for (size_t i = 0; i < 2; i++) {
    session *s = start();
    initialize_at(s, revs[i]);
    cJSON *r = call(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    cr_expect(cJSON_IsObject(r) && error_code(r) == -32600, "%s", revs[i]);
    cr_expect(strstr(error_text(r), revs[i]) && strstr(error_text(r), "only 2025-03-26"), "%s",
              error_text(r));
    cJSON_Delete(r);
    finish(s);
  }
}

/* A batch's array waits for its slowest call (a run), while messages sent after it are answered
 * at once and its progress comes as it goes. */
Test(server_mcp, a_batch_waits_for_its_long_call_while_other_messages_are_answered) {
  session *s = start();
  initialize_at(s, "2025-03-26");
  send_line(s, "[{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{"
               "\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"1500\"},"
               "\"_meta\":{\"progressToken\":\"b\"}}},"
               "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"ping\"}]");
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"ping\"}");
  cr_assert(cJSON_IsObject(r), "the batch answered before the ping sent after it");
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 12);
  cJSON_Delete(r);
  int progress = 0;
  for (;;) {
    r = recv_msg(s);
    if (!cJSON_IsObject(r) || !cJSON_HasObjectItem(r, "method"))
      break;
    progress++;
    cJSON_Delete(r);
  }
  cr_assert(cJSON_IsArray(r) && cJSON_GetArraySize(r) == 2, "%s", cJSON_PrintUnformatted(r));
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(by_id(r, 10), "result");
  cr_expect(res && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")), "%s",
            cJSON_PrintUnformatted(r));
  cr_expect(cJSON_HasObjectItem(by_id(r, 11), "result"));
  cr_expect_geq(progress, 1, "progress notifications while the batch waited");
  cJSON_Delete(r);
  finish(s);
}

/* A call of a batch the client cancels leaves its response out; the others still come. */
Test(server_mcp, a_cancelled_call_leaves_its_response_out_of_the_batch) {
  session *s = start();
  initialize_at(s, "2025-03-26");
  send_line(s, "[{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"tools/call\",\"params\":{"
               "\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"600000\"},"
               "\"_meta\":{\"progressToken\":\"c\"}}},"
               "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"ping\"}]");
  for (bool started = false; !started;) { /* the sleep has begun */
    cJSON *m = recv_msg(s);
    const cJSON *msg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "params"), "message");
    cr_assert(cJSON_IsObject(m), "the batch answered before its call ended");
    started = cJSON_IsString(msg) && strstr(msg->valuestring, "started");
    cJSON_Delete(m);
  }
  send_line(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
               "{\"requestId\":20}}");
  cJSON *r = NULL;
  do { /* progress notifications, then the array */
    cJSON_Delete(r);
    r = recv_msg(s);
  } while (cJSON_IsObject(r) && cJSON_HasObjectItem(r, "method"));
  cr_assert(cJSON_IsArray(r) && cJSON_GetArraySize(r) == 1, "%s", cJSON_PrintUnformatted(r));
  cr_expect(cJSON_HasObjectItem(by_id(r, 21), "result"));
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, a_list_with_an_unknown_cursor_is_invalid_params) {
  session *s = start();
  initialize(s);
  static const char *const methods[] = {"tools/list", "resources/list",
                                        "resources/templates/list"};
  for (int i = 0; i < 3; i++) {
    char line[256];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":{\"cursor\":\"x7\"}}",
             i + 1, methods[i]);
    cJSON *r = call(s, line);
    cr_expect_eq(error_code(r), -32602, "%s", methods[i]);
    cr_expect(strstr(error_text(r), "unknown cursor"), "%s", error_text(r));
    cJSON_Delete(r);
  }
  /* without one, the whole list */
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{}}");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_expect(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "tools")) > 3);
  cr_expect_null(cJSON_GetObjectItemCaseSensitive(res, "nextCursor"));
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, a_request_id_still_pending_is_refused) {
  session *s = start();
  initialize(s);
  static const char sleep_call[] =
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
      "{\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"600000\"}}}";
  send_line(s, sleep_call);
  /* the same id again, while the first call runs: refused, the first goes on */
  cJSON *r = call(s, sleep_call);
  cr_expect_eq(error_code(r), -32600);
  cr_expect(strstr(error_text(r), "in use"), "%s", error_text(r));
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 5);
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
  cr_expect_eq(error_code(r), -32600, "a ping with the pending id");
  cJSON_Delete(r);
  /* another id is served */
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
  cr_expect_not_null(cJSON_GetObjectItemCaseSensitive(r, "result"));
  cJSON_Delete(r);
  finish(s); /* the session's end cancels the sleeping call */
}

/* The text of a tools/call response's first content block. */
static const char *first_text(const cJSON *r) {
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "content"), 0), "text");
  return cJSON_IsString(text) ? text->valuestring : "";
}

Test(server_mcp, plan_and_models_search_send_compact_json) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"models_search\",\"arguments\":{\"text\":\"echo\","
                     "\"task\":\"debug_echo\"}}}");
  const char *t = first_text(r);
  cr_expect(strstr(t, "\"id\":\"local/debug-echo\""), "%s", t);
  cr_expect(!strpbrk(t, "\n\t"), "not compact: %s", t);
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
              "{\"name\":\"plan\",\"arguments\":{\"request\":\"summarize this text: the cat "
              "sat on the mat\",\"offline\":true}}}");
  t = first_text(r);
  cr_expect(strstr(t, "summarization"), "%s", t);
  cr_expect(!strpbrk(t, "\n\t"), "not compact: %s", t);
  cJSON_Delete(r);
  finish(s);
}

/* Checks that a tools/call response is a tool error whose text holds `needle`; frees it. */
static void expect_tool_error(cJSON *r, const char *needle) {
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")));
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "content"), 0), "text");
  cr_assert(cJSON_IsString(text) && strstr(text->valuestring, needle), "want '%s' in: %s", needle,
            cJSON_IsString(text) ? text->valuestring : "(no text)");
  cJSON_Delete(r);
}

Test(server_mcp, bad_arguments_and_failed_tasks_are_tool_errors) {
  session *s = start();
  initialize(s);
  expect_tool_error(call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                            "{\"name\":\"run\",\"arguments\":{\"request\":\"\"}}}"),
                    "request");
  expect_tool_error(call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                            "{\"name\":\"debug_fail\",\"arguments\":{\"text\":\"out of ink\"}}}"),
                    "out of ink");
  finish(s);
}

/* The request limit the run and plan tools state is the one a run keeps to (limits.request_bytes,
 * 16384 by default), and a request over it is told so by its size. */
Test(server_mcp, the_request_limit_the_tools_state_is_the_one_runs_keep) {
  session *s = start();
  initialize(s);
  expect_tool_error(call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                            "{\"name\":\"run\",\"arguments\":{\"request\":\"\"}}}"),
                    "run needs a request: a non-empty string of at most 16384 bytes");
  size_t n = 30000;
  char *line = malloc(n + 200), *words = malloc(n + 1);
  cr_assert(line && words);
  memset(words, 'a', n);
  for (size_t i = 5; i < n; i += 6)
    words[i] = ' ';
  words[n] = '\0';
  snprintf(line, n + 200, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
           "{\"name\":\"plan\",\"arguments\":{\"request\":\"%s\"}}}", words);
  expect_tool_error(call(s, line), "the request is 30000 bytes; the limit is 16384");
  free(line);
  free(words);
  finish(s);
}

/* Checks that every content block of a tools/call response is of a type
 * listed in allowed (" text image ... "); returns the blocks' JSON text. */
static char *expect_content_types(const cJSON *r, const char *revision, const char *allowed) {
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_assert_not(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")), "%s",
                cJSON_PrintUnformatted(r));
  const cJSON *b;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(res, "content")) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(b, "type");
    char word[64];
    snprintf(word, sizeof word, " %s ", cJSON_IsString(type) ? type->valuestring : "?");
    cr_expect(strstr(allowed, word), "revision %s has no content type%s", revision, word);
  }
  return cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, "content"));
}

/* A client that agreed on an older revision cannot parse the content types
 * a newer one added (audio: 2025-03-26, resource_link: 2025-06-18). */
Test(server_mcp, each_revision_gets_only_the_content_types_it_defines) {
#if !defined(BATON_HAVE_ESPEAK) || !defined(BATON_HAVE_OTS)
  cr_skip_test("needs the espeak-ng and ots executors");
#else
  static const struct {
    const char *revision, *allowed, *audio, *file;
  } revs[] = {
      {"2024-11-05", " text image resource ", "\"type\":\"resource\"", "\"type\":\"text\""},
      {"2025-03-26", " text image audio resource ", "\"type\":\"audio\"", "\"type\":\"text\""},
      {"2025-06-18", " text image audio resource resource_link ", "\"type\":\"audio\"",
       "\"type\":\"resource_link\""},
  };
  for (size_t i = 0; i < sizeof revs / sizeof revs[0]; i++) {
    session *s = start();
    initialize_at(s, revs[i].revision);
    cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                       "{\"name\":\"text_to_speech\",\"arguments\":{\"text\":\"hello\"}}}");
    char *got = expect_content_types(r, revs[i].revision, revs[i].allowed);
    cr_expect(strstr(got, revs[i].audio) && strstr(got, "UklGR"), "%s: the audio: %.300s",
              revs[i].revision, got); /* "UklGR": RIFF in base64 */
    free(got);
    cJSON_Delete(r);
    r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                "{\"name\":\"run\",\"arguments\":{\"request\":\"summarize 'The ferry leaves at "
                "noon from the north pier. It comes back at six.' and save it as short.txt\"}}}");
    got = expect_content_types(r, revs[i].revision, revs[i].allowed);
    const char *at = strstr(got, revs[i].file);
    cr_expect(at && strstr(at, "baton://runs/") && strstr(at, "short.txt"),
              "%s: the saved file: %.300s", revs[i].revision, got);
    free(got);
    cJSON_Delete(r);
    finish(s);
  }
#endif
}

/* Whether the object at path (keys separated by '.') under root exists. */
static bool has_path(const cJSON *root, const char *path) {
  char key[64];
  const cJSON *at = root;
  while (at && *path) {
    size_t n = strcspn(path, ".");
    snprintf(key, sizeof key, "%.*s", (int)n, path);
    at = cJSON_GetObjectItemCaseSensitive(at, key);
    path += n + (path[n] == '.');
  }
  return at != NULL;
}

/* A client that agreed on an older revision gets none of the fields a newer one added:
 * structuredContent, Tool.title and outputSchema, serverInfo.title (2025-06-18); on 2025-03-26
 * a tool's title goes in its annotations, which 2024-11-05 has not either. */
Test(server_mcp, each_revision_gets_only_the_fields_it_defines) {
  static const struct {
    const char *revision;
    bool newest, annotations;
  } revs[] = {{"2024-11-05", false, false}, {"2025-03-26", false, true},
              {"2025-06-18", true, false}};
  static const char *const calls[] = {
      "{\"name\":\"plan\",\"arguments\":{\"request\":\"summarize 'the cat sat'\","
      "\"offline\":true}}",
      "{\"name\":\"models_search\",\"arguments\":{\"text\":\"echo\"}}",
      "{\"name\":\"debug_echo\",\"arguments\":{\"text\":\"hi\"}}",
      "{\"name\":\"run\",\"arguments\":{\"request\":\"summarize 'The ferry leaves at noon. "
      "It comes back at six.'\",\"offline\":true}}"};
  for (size_t i = 0; i < sizeof revs / sizeof revs[0]; i++) {
    const char *rev = revs[i].revision;
    session *s = start();
    cJSON *r = initialize_reply(s, rev);
    cr_expect_eq(has_path(r, "result.serverInfo.title"), revs[i].newest, "%s", rev);
    cJSON_Delete(r);
    r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    const cJSON *t;
    int tools = 0;
    const cJSON *list =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"), "tools");
    cJSON_ArrayForEach(t, list) {
      const char *name = cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring;
      cr_expect_eq(has_path(t, "title"), revs[i].newest, "%s: %s", rev, name);
      cr_expect_eq(has_path(t, "annotations.title"), revs[i].annotations, "%s: %s", rev, name);
      cr_expect(revs[i].newest || !has_path(t, "outputSchema"), "%s: %s", rev, name);
      tools++;
    }
    cr_expect_geq(tools, 4, "%s", rev);
    cJSON_Delete(r);
    for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
      char line[512];
      snprintf(line, sizeof line,
               "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":%s}",
               k + 2, calls[k]);
      r = call(s, line);
      cr_expect(has_path(r, "result.content"), "%s: %s", rev, calls[k]);
      cr_expect_eq(has_path(r, "result.structuredContent"), revs[i].newest, "%s: %s", rev,
                   calls[k]);
      cJSON_Delete(r);
    }
    finish(s);
  }
}

/* Two earlier turns: a text read, then its translation. */
#define TWO_TURNS                                                                                  \
  "[{\"role\":\"user\",\"content\":\"read the text in note.png\"},"                               \
  "{\"role\":\"assistant\",\"content\":\"It says the ferry leaves at noon.\","                  \
  "\"outputs\":{\"text\":\"The ferry leaves at noon from the north pier.\"}},"                     \
  "{\"role\":\"user\",\"content\":\"translate that into Spanish\"},"                             \
  "{\"role\":\"assistant\",\"content\":\"Done.\",\"outputs\":{\"text\":\"El ferry sale a "      \
  "mediodia.\"}}]"

/* The first task of a plan tool's result. */
static const cJSON *first_planned(const cJSON *r) {
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                                     "structuredContent");
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sc, "plan"), 0);
}

Test(server_mcp, plan_follows_the_conversation_it_is_given_and_refuses_a_bad_one) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"plan\",\"arguments\":{\"request\":\"summarize the original "
                     "text\",\"offline\":true,\"messages\":" TWO_TURNS "}}}");
  const cJSON *t = first_planned(r);
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "args"),
                                                       "text");
  cr_assert(cJSON_IsString(text), "no plan: %s", cJSON_PrintUnformatted(r));
  cr_assert_str_eq(text->valuestring, "The ferry leaves at noon from the north pier.");
  cJSON_Delete(r);
  expect_tool_error(call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                            "{\"name\":\"run\",\"arguments\":{\"request\":\"summarize it\","
                            "\"messages\":[{\"role\":\"user\"}]}}}"),
                    "messages must be");
  finish(s);
}

/* The plan tool takes inputs as the run tool does, and tools/list says so. */
Test(server_mcp, plan_takes_inputs_as_run_does) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"plan\",\"arguments\":{\"request\":\"summarize it\","
                     "\"inputs\":[\"notes.txt\"],\"offline\":true}}}");
  const cJSON *t = first_planned(r);
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "args"),
                                                       "text");
  cr_assert(cJSON_IsString(text), "no plan: %s", cJSON_PrintUnformatted(r));
  cr_assert_str_eq(text->valuestring, "notes.txt");
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
  const cJSON *tool;
  bool said = false;
  cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(r, "result"), "tools")) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(tool, "name");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(tool, "inputSchema"), "properties");
    if (cJSON_IsString(name) && !strcmp(name->valuestring, "plan"))
      said = cJSON_GetObjectItemCaseSensitive(props, "inputs") != NULL;
  }
  cr_assert(said, "the plan tool's schema has no inputs");
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, a_step_the_planner_left_out_is_told_in_the_progress) {
  session *s = start();
  initialize(s);
  send_line(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
               "\"name\":\"run\",\"arguments\":{\"request\":\"summarize 'The ferry leaves at noon "
               "from the north pier. It comes back at six.' and enhance the audio quality\"},"
               "\"_meta\":{\"progressToken\":\"t\"}}}");
  bool told = false, answered = false;
  while (!answered) { /* progress notifications, then the answer */
    cJSON *m = recv_msg(s);
    const cJSON *msg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "params"), "message");
    told |= cJSON_IsString(msg) && strstr(msg->valuestring, "(note: left out \"enhance the "
                                                            "audio quality\": audio-to-audio");
    answered = !cJSON_HasObjectItem(m, "method");
    cJSON_Delete(m);
  }
  cr_assert(told, "no progress message named the step left out");
  finish(s);
}

/* The plan tool says what the planner noted (a step it left out), as `baton plan` does. */
Test(server_mcp, the_plan_tool_carries_the_planners_note) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"plan\",\"arguments\":{\"request\":\"summarize 'The ferry "
                     "leaves at noon from the north pier. It comes back at six.' and enhance the "
                     "audio quality\",\"offline\":true}}}");
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                                     "structuredContent");
  const cJSON *note = cJSON_GetObjectItemCaseSensitive(sc, "note");
  cr_expect(cJSON_IsString(note) && strstr(note->valuestring, "left out \"enhance the audio "
                                                               "quality\""),
            "%s", cJSON_PrintUnformatted(r));
  cJSON_Delete(r);
  finish(s);
}

/* The newest stored run's status, read through a context of its own. */
static char *newest_run_status(void) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK);
  char *json = NULL;
  cr_assert_eq(baton_runs_list(ctx, 1, &json), BATON_OK);
  cJSON *runs = cJSON_Parse(json);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(runs, 0), "status");
  char *out = strdup(cJSON_IsString(st) ? st->valuestring : "");
  cJSON_Delete(runs);
  baton_free(json);
  baton_close(ctx);
  return out;
}

Test(server_mcp, a_client_that_goes_away_mid_run_cancels_the_run) {
  session *s = start();
  initialize(s);
  send_line(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
               "\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"120000\"},"
               "\"_meta\":{\"progressToken\":\"t\"}}}");
  for (bool started = false; !started;) {
    cJSON *m = recv_msg(s);
    const cJSON *msg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "params"), "message");
    started = cJSON_IsString(msg) && strstr(msg->valuestring, "started");
    cJSON_Delete(m);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  stop(s); /* closes the client's end, waits for the server to return */
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  cr_assert_lt(took, 30.0, "the server took %.1f s to stop the run", took);
  char *status = newest_run_status();
  cr_assert_str_eq(status, "cancelled");
  free(status);
  cleanup(s);
}

Test(server_mcp, runs_go_through_batond_when_one_answers) {
  bt_daemon d;
  bt_daemon_start(&d, NULL);
  setenv("BATON_SOCKET", d.sock, 1);
  unsetenv("BATON_NO_DAEMON");
  session *s = start_with(1);
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"debug_echo\",\"arguments\":{\"text\":\"via the daemon\"}}}");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_assert_not(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")));
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "content"), 0), "text");
  cr_assert_str_eq(text->valuestring, "via the daemon");
  cJSON_Delete(r);
  /* the conversation goes to batond too: "the original text" is the first turn's */
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
              "{\"name\":\"run\",\"arguments\":{\"request\":\"summarize the original text\","
              "\"offline\":true,\"messages\":" TWO_TURNS "}}}");
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "result"),
                                                     "structuredContent");
  char *got = cJSON_PrintUnformatted(sc);
  cr_assert(got && strstr(got, "north pier") && !strstr(got, "mediodia"), "%s", got);
  free(got);
  cJSON_Delete(r);
  stop(s);
  char *status = newest_run_status();
  cr_assert_str_eq(status, "", "the run was recorded in the MCP server's own home: %s", status);
  free(status);
  int fd = bt_dial(d.sock);
  cr_assert_geq(fd, 0);
  char *runs = bt_call(fd, 1, "runs.list", "{}");
  cr_assert_not_null(runs);
  cr_assert(strstr(runs, "\"done\""), "batond has no finished run: %s", runs);
  free(runs);
  close(fd);
  cleanup(s);
  bt_daemon_stop(&d);
}

Test(server_mcp, text_after_the_message_is_a_parse_error_with_its_id) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"
                     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
  cr_assert_eq(error_code(r), -32700);
  cr_assert(strstr(error_text(r), "text after the JSON value"), "%s", error_text(r));
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 1);
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"} trailing");
  cr_assert_eq(error_code(r), -32700);
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"} \t\r");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 4);
  cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(r, "result"));
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"x\":\"\xff\"}");
  cr_assert_eq(error_code(r), -32700);
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 5);
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, a_request_without_a_method_is_an_invalid_request) {
  session *s = start();
  initialize(s);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1}");
  cr_assert_eq(error_code(r), -32600);
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 1);
  cJSON_Delete(r);
  /* a response (to nothing this server asked) is still let be */
  send_line(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 3);
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, tools_and_arguments_tools_list_has_not_are_refused) {
  session *s = start();
  initialize(s);
  cJSON *list = call(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
  char *names = cJSON_PrintUnformatted(list);
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"debug-echo\",\"arguments\":{\"text\":\"x\"}}}");
  cr_assert_eq(error_code(r), -32602, "a task kind's own name is not a tool's");
  cJSON_Delete(r);
  if (!strstr(names, "\"text_generation\"")) { /* no model here runs it */
    r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
                "{\"name\":\"text_generation\",\"arguments\":{\"text\":\"x\"}}}");
    cr_assert_eq(error_code(r), -32602);
    cJSON_Delete(r);
  }
  free(names);
  cJSON_Delete(list);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":"
              "{\"name\":\"run\",\"arguments\":{\"request\":\"say hi\",\"bogus\":1}}}");
  cr_assert_eq(error_code(r), -32602);
  cr_assert(strstr(error_text(r), "'bogus'") && strstr(error_text(r), "request"), "%s",
            error_text(r));
  cJSON_Delete(r);
  r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
              "{\"name\":\"models_search\",\"arguments\":{\"text\":\"ocr\",\"limit\":2.7}}}");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")),
            "limit 2.7 is not an integer");
  cJSON_Delete(r);
  finish(s);
}

Test(server_mcp, a_call_past_the_running_ones_is_busy_with_the_error_data) {
  session *s = start();
  initialize(s);
  for (int i = 0; i < 8; i++) {
    char line[256];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"debug_sleep\",\"arguments\":{\"text\":\"60000\"}}}",
             100 + i);
    send_line(s, line);
  }
  cJSON *r = call(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"1\"}}}");
  cr_assert_eq(error_code(r), -32016, "%s", error_text(r));
  const cJSON *data =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "data");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(data, "rc")->valueint, 16);
  cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(data, "reason")->valuestring, "busy");
  cJSON_Delete(r);
  finish(s); /* going away cancels the eight */
}

Test(server_mcp, calls_running_when_the_input_ends_still_answer) {
  session *s = start();
  initialize(s);
  send_line(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
               "\"debug_sleep\",\"arguments\":{\"text\":\"300\"}}}");
  shutdown(s->fd, SHUT_WR); /* `printf ... | baton mcp` */
  cJSON *r = recv_msg(s);
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valueint, 1);
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
  cr_assert_not(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")));
  cJSON_Delete(r);
  finish(s);
}
