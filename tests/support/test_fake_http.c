/* test_fake_http.c — the loopback fake server itself: a chosen port, and counting requests in flight. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "net/http.h"
#include "support/fake_http.h"

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
