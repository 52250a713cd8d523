/* test_trust.c — batond and its callers: text that is not valid, other users' files and runs, inputs swapped mid-run, socket modes. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "support/daemon.h"
#include "support/support.h"

static bt_daemon d;

static void start(void) { bt_daemon_start(&d, NULL); }
static void stop(void) { cr_expect_eq(bt_daemon_stop(&d), 0, "batond exited cleanly"); }

TestSuite(daemon_trust, .init = start, .fini = stop, .timeout = 120);

/* The error code of a reply line, or 0 when it is a result. */
static int code_of(const char *line) {
  cJSON *j = cJSON_Parse(line);
  cr_assert(j, "the daemon sent a line that is not JSON: %s", line);
  const cJSON *e = cJSON_GetObjectItem(j, "error");
  int code = e ? cJSON_GetObjectItem(e, "code")->valueint : 0;
  cJSON_Delete(j);
  return code;
}

static void assert_utf8(const char *line) {
  cr_assert(baton__utf8_valid(line, strlen(line)), "a reply that is not valid UTF-8: %s", line);
}

Test(daemon_trust, text_that_is_not_valid_utf8_or_hides_a_nul_is_refused) {
  int fd = bt_dial(d.sock);
  cr_assert(fd >= 0);
  static const char *const frames[] = {
      /* invalid UTF-8 in a method name, an id, a plan argument */
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"he\xfflth\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\x28\",\"method\":\"health\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"a\xed\xa0\x80z\"}}]}}\n",
      /* a NUL inside a method, a task name, an argument name, a path */
      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"health\\u0000x\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\\u0000evil\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}}]}}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"te\\u0000xt\":\"x\"}}]}}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"submit\",\"params\":{\"request\":\"read "
      "/etc/hostname\",\"cwd\":\"/tmp\\u0000/x\"}}\n",
  };
  for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
    bt_send(fd, frames[i], strlen(frames[i]));
    char *r = bt_read_line(fd, 10000);
    cr_assert(r, "no reply to frame %zu", i);
    assert_utf8(r);
    cr_expect_eq(code_of(r), -32700, "frame %zu is refused as unparsable: %s", i, r);
    free(r);
  }
  /* The connection still serves. */
  char *r = bt_call(fd, 9, "health", NULL);
  cr_assert(r);
  cr_expect_eq(code_of(r), 0);
  free(r);
  close(fd);
}

Test(daemon_trust, replies_are_valid_utf8_even_when_outputs_are_not) {
  int fd = bt_dial(d.sock);
  cr_assert(fd >= 0);
  /* A file name that is not UTF-8, named by a valid-UTF-8 request: the
   * error naming it must still be valid UTF-8. */
  char *r = bt_call(fd, 1, "submit",
                    "{\"plan\":[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],"
                    "\"args\":{\"image\":\"/nonexistent/\\u00ff.png\"}}]}");
  cr_assert(r);
  assert_utf8(r);
  free(r);
  close(fd);
}
