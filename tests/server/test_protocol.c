/* test_protocol.c — batond's answers to lines that are not one good request: text after the value, NUL, bad UTF-8, one client too many. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/daemon.h"
#include "support/support.h"

static bt_daemon d;

static void start(void) { bt_daemon_start(&d, "workers: 2\ndaemon:\n  max_clients: 2\n"); }

static void stop(void) {
  if (d.pid > 0)
    cr_assert_eq(bt_daemon_stop(&d), 0);
}

/* Sends text (a whole line) and returns the next line the daemon sends. */
static char *send_and_read(int fd, const char *text, size_t len) {
  bt_send(fd, text, len);
  char *r = bt_read_line(fd, BT_WAIT_MS);
  cr_assert_not_null(r, "no answer to %.*s", (int)len, text);
  return r;
}

#define PING(n) "{\"jsonrpc\":\"2.0\",\"id\":" #n ",\"method\":\"health\"}"

Test(server_protocol, text_after_the_request_is_a_parse_error_not_dropped, .init = start,
     .fini = stop) {
  int fd = bt_dial(d.sock);
  cr_assert_geq(fd, 0);
  const char *two = PING(1) PING(2) "\n";
  char *r = send_and_read(fd, two, strlen(two));
  cr_assert(strstr(r, "-32700") && strstr(r, "text after the JSON value"), "%s", r);
  cr_assert(strstr(r, "\"id\":1"), "the error answers the id it could read: %s", r);
  free(r);
  const char *trailing = PING(3) " trailing\n";
  r = send_and_read(fd, trailing, strlen(trailing));
  cr_assert(strstr(r, "-32700") && strstr(r, "\"id\":3"), "%s", r);
  free(r);
  const char *blanks = PING(4) " \t \r\n"; /* blanks after the value are fine */
  r = send_and_read(fd, blanks, strlen(blanks));
  cr_assert(strstr(r, "\"id\":4,\"result\""), "%s", r);
  free(r);
  /* nothing else comes: the second request of the first line was not run */
  cr_assert_null(bt_read_line(fd, 300));
  close(fd);
}

Test(server_protocol, nul_and_bad_utf8_are_refused_with_the_id_when_it_can_be_read,
     .init = start, .fini = stop) {
  int fd = bt_dial(d.sock);
  cr_assert_geq(fd, 0);
  const char bad_utf8[] = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"health\",\"x\":\"\xff\"}\n";
  char *r = send_and_read(fd, bad_utf8, sizeof bad_utf8 - 1);
  cr_assert(strstr(r, "-32700") && strstr(r, "UTF-8") && strstr(r, "\"id\":5"), "%s", r);
  free(r);
  const char nul[] = "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"health\",\"x\":\"a\\u0000b\"}\n";
  r = send_and_read(fd, nul, sizeof nul - 1);
  cr_assert(strstr(r, "-32700") && strstr(r, "NUL") && strstr(r, "\"id\":6"), "%s", r);
  free(r);
  /* a string id that a NUL could have cut short is not guessed at */
  const char cut[] = "{\"jsonrpc\":\"2.0\",\"id\":\"a\\u0000b\",\"method\":\"health\"}\n";
  r = send_and_read(fd, cut, sizeof cut - 1);
  cr_assert(strstr(r, "-32700") && strstr(r, "\"id\":null"), "%s", r);
  free(r);
  close(fd);
}

Test(server_protocol, one_client_too_many_gets_the_error_data, .init = start, .fini = stop) {
  int fds[4];
  char *r = NULL;
  int n = 0;
  /* the third client at the latest (max_clients 2) is refused */
  while (n < 4) {
    fds[n] = bt_dial(d.sock);
    cr_assert_geq(fds[n], 0);
    r = send_and_read(fds[n++], PING(1) "\n", strlen(PING(1) "\n"));
    if (!r || !strstr(r, "\"result\""))
      break;
    free(r);
    r = NULL;
  }
  cr_assert_not_null(r, "no client was refused");
  cr_assert_leq(n, 3, "%d clients were served", n - 1);
  cr_assert(strstr(r, "-32016") && strstr(r, "too many clients"), "%s", r);
  cr_assert(strstr(r, "\"data\":{\"rc\":16,\"reason\":\"busy\"}"), "%s", r);
  free(r);
  while (n)
    close(fds[--n]);
}
