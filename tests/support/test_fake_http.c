/* test_fake_http.c — the loopback fake server the suites use for outside services: scripted answers, handlers, chunked bodies, a chosen port, requests in flight. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http.h"
#include "support/fake_http.h"
#include "core/util.h"

/* Sends raw bytes to the fake server and returns what it answered. */
static char *raw_exchange(fake_http *srv, const char *req) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fake_http_port(srv))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
  baton__sb sb;
  baton__sb_init(&sb);
  char buf[1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    baton__sb_add(&sb, buf, (size_t)n);
  close(fd);
  return baton__sb_detach(&sb);
}

static void echo_handler(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)ud;
  char *b = malloc(256);
  snprintf(b, 256, "{\"path\":\"%s\",\"len\":%zu}", req->path, req->body_len);
  resp->status = 201;
  resp->body = b;
  resp->free_body = true;
}

static const char post[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Length: 2\r\nConnection: close\r\n\r\n{}";

Test(support_fake_http, answers_500_when_nothing_is_scripted_and_a_handler_when_set) {
  fake_http *srv = fake_http_start();
  cr_assert_not_null(srv);
  char *resp = raw_exchange(srv, post);
  cr_expect(strncmp(resp, "HTTP/1.1 500 ", 13) == 0, "%s", resp);
  cr_expect(strstr(resp, "no scripted response left"), "%s", resp);
  free(resp);
  fake_http_set_handler(srv, echo_handler, NULL);
  resp = raw_exchange(srv, post);
  cr_expect(strncmp(resp, "HTTP/1.1 201 ", 13) == 0, "%s", resp);
  cr_expect(strstr(resp, "{\"path\":\"/v1/chat/completions\",\"len\":2}"), "%s", resp);
  free(resp);
  cr_expect(fake_http_wait_requests(srv, 2, 1000));
  fake_http_stop(srv);
}

Test(support_fake_http, reads_chunked_bodies_and_records_headers) {
  fake_http *srv = fake_http_start();
  cr_assert_not_null(srv);
  fake_http_push_full(srv, 202, "X-Test: yes\r\n", "{\"ok\":true}");
  char *resp = raw_exchange(srv, "POST /models/a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Transfer-Encoding: chunked\r\nX-Mine:  v1 \r\n\r\n"
                                 "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
  cr_assert(strncmp(resp, "HTTP/1.1 202 ", 13) == 0, "%s", resp);
  cr_assert(strstr(resp, "X-Test: yes\r\n"), "%s", resp);
  cr_assert(strstr(resp, "\r\n\r\n{\"ok\":true}"), "%s", resp);
  fake_http_request *r = fake_http_request_get(srv, 0);
  cr_assert_str_eq(r->path, "/models/a/b?x=1");
  cr_assert_str_eq(r->body, "hello, world");
  cr_assert_eq(r->body_len, 12);
  cr_assert_str_eq(fake_http_request_header(r, "x-mine"), "v1");
  fake_http_request_free(r);
  free(resp);
  fake_http_stop(srv);
}

static void slow(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  (void)ud;
  resp->body = "{}";
  resp->delay_ms = 60;
}

static void *get_once(void *arg) {
  baton__http_request req = {.url = arg, .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  baton__http_perform(&req, &r);
  baton__http_response_release(&r);
  return NULL;
}

Test(support_fake_http, counts_the_requests_it_holds_at_once) {
  fake_http *srv = fake_http_start();
  fake_http_set_handler(srv, slow, NULL);
  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&th[i], NULL, get_once, (void *)fake_http_url(srv));
  for (int i = 0; i < 3; i++)
    pthread_join(th[i], NULL);
  cr_assert_eq(fake_http_request_count(srv), 3);
  cr_assert_eq(fake_http_max_in_flight(srv), 3, "three slow answers overlapped");
  cr_assert_eq(fake_http_in_flight(srv), 0);
  get_once((void *)fake_http_url(srv));
  cr_assert_eq(fake_http_max_in_flight(srv), 3, "the maximum is kept");
  fake_http_stop(srv);
}

Test(support_fake_http, comes_back_on_the_port_it_had) {
  fake_http *srv = fake_http_start();
  int port = fake_http_port(srv);
  char url[64];
  strcpy(url, fake_http_url(srv));
  fake_http_stop(srv);
  baton__http_request req = {.url = url, .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EREFUSED);
  srv = fake_http_start_on(port);
  cr_assert_not_null(srv);
  cr_assert_eq(fake_http_port(srv), port);
  cr_assert_str_eq(fake_http_url(srv), url);
  fake_http_push_json(srv, 200, "{\"back\":true}");
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_OK, "%s", r.err);
  cr_assert_str_eq(r.body, "{\"back\":true}");
  baton__http_response_release(&r);
  fake_http_stop(srv);
}
