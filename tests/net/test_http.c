/* test_http.c — the HTTP layer against real loopback servers: bodies, multipart, headers, Retry-After, cancellation, error classes. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "net/http.h"
#include "support/fake_http.h"
#include "support/support.h"

static baton__http_rc get(const char *url, size_t max_body, baton__http_response *r) {
  baton__http_request req = {.url = url, .max_body = max_body, .timeout_ms = 5000};
  return baton__http_perform(&req, r);
}

Test(net_http, a_body_past_the_limit_is_refused_and_one_at_the_limit_kept) {
  fake_http *srv = fake_http_start();
  char *big = malloc(2001);
  memset(big, 'x', 2000);
  big[2000] = '\0';
  fake_http_push_full(srv, 200, NULL, big);
  big[1000] = '\0';
  fake_http_push_full(srv, 200, NULL, big);
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(get(fake_http_url(srv), 1000, &r), BATON__HTTP_ETOOBIG, "%s", r.err);
  cr_assert(strstr(r.err, "1000"), "the message names the limit: %s", r.err);
  cr_assert_eq(get(fake_http_url(srv), 1000, &r), BATON__HTTP_OK, "%s", r.err);
  cr_assert_eq(r.body_len, 1000);
  cr_assert_eq(strlen(r.body), 1000);
  baton__http_response_release(&r);
  free(big);
  fake_http_stop(srv);
}

Test(net_http, multipart_sends_file_bytes_fields_and_files_from_disk) {
  fake_http *srv = fake_http_start();
  fake_http_push_json(srv, 200, "{\"text\":\"hi\"}");
  char *dir = bt_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/clip.flac", dir);
  bt_write(path, "fLaC-from-disk");
  static const char wav[] = {'R', 'I', 'F', 'F', 0, 1, 2, '\r', '\n', 'x'};
  baton__http_part parts[] = {
      {.name = "model", .value = "whisper-large-v3"},
      {.name = "file", .data = wav, .len = sizeof wav, .filename = "a.wav",
       .content_type = "audio/wav"},
      {.name = "file2", .path = path, .content_type = "audio/flac"},
  };
  baton__http_request req = {.url = fake_http_url(srv), .parts = parts, .n_parts = 3,
                             .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_OK, "%s", r.err);
  fake_http_request *got = fake_http_request_get(srv, 0);
  cr_assert_str_eq(got->method, "POST");
  const char *ct = fake_http_request_header(got, "Content-Type");
  cr_assert(ct && strstr(ct, "multipart/form-data; boundary="), "%s", ct ? ct : "(none)");
  cr_assert(strstr(got->body, "name=\"model\"\r\n\r\nwhisper-large-v3\r\n"));
  cr_assert(strstr(got->body, "name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav"));
  cr_assert(memmem(got->body, got->body_len, wav, sizeof wav), "the file's bytes, NULs included");
  static const char disk_head[] =
      "name=\"file2\"; filename=\"clip.flac\"\r\nContent-Type: audio/flac\r\n\r\nfLaC-from-disk";
  cr_assert(memmem(got->body, got->body_len, disk_head, sizeof disk_head - 1),
            "a file from disk is sent under its own name");
  fake_http_request_free(got);
  /* A file that cannot be read is the caller's error, not the server's. */
  parts[2].path = "/nonexistent/clip.flac";
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EINVAL);
  baton__http_response_release(&r);
  bt_rmtree(dir);
  free(dir);
  fake_http_stop(srv);
}

Test(net_http, request_and_response_headers_round_trip) {
  fake_http *srv = fake_http_start();
  fake_http_push_full(srv, 429,
                      "Retry-After: 7\r\nretry-after-ms: 1500\r\nX-Error-Message: slow down\r\n",
                      "{\"error\":\"rate limited\"}");
  const char *extra[] = {"X-Trace: abc", NULL};
  baton__http_request req = {.url = fake_http_url(srv), .headers = extra, .bearer = "sk-123",
                             .body = "{}", .body_len = 2, .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ESTATUS);
  cr_assert_eq(r.status, 429);
  cr_assert_str_eq(r.content_type, "application/json");
  cr_assert_str_eq(baton__http_header_get(&r, "x-error-message"), "slow down");
  cr_assert_str_eq(baton__http_header_get(&r, "Retry-After"), "7");
  cr_assert_eq(baton__http_retry_after_ms(&r), 1500, "retry-after-ms comes first");
  cr_assert_str_eq(r.body, "{\"error\":\"rate limited\"}");
  cr_assert(baton__http_transient(BATON__HTTP_ESTATUS, r.status));
  fake_http_request *got = fake_http_request_get(srv, 0);
  cr_assert_str_eq(fake_http_request_header(got, "Authorization"), "Bearer sk-123");
  cr_assert_str_eq(fake_http_request_header(got, "X-Trace"), "abc");
  cr_assert_str_eq(fake_http_request_header(got, "Content-Type"), "application/json");
  cr_assert_null(fake_http_request_header(got, "Expect"), "no 100-continue round trip");
  fake_http_request_free(got);
  baton__http_response_release(&r);
  fake_http_stop(srv);
}

Test(net_http, retry_after_reads_seconds_dates_and_milliseconds) {
  time_t now = 1700000000;
  cr_assert_eq(baton__http_parse_retry_after("120", now), 120000);
  cr_assert_eq(baton__http_parse_retry_after(" 1.5 ", now), 1500);
  cr_assert_eq(baton__http_parse_retry_after("0", now), 0);
  char date[64];
  time_t later = now + 30;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&later));
  cr_assert_eq(baton__http_parse_retry_after(date, now), 30000, "%s", date);
  time_t earlier = now - 30;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&earlier));
  cr_assert_eq(baton__http_parse_retry_after(date, now), 0, "a past date means now");
  cr_assert_eq(baton__http_parse_retry_after("soon", now), -1);
  cr_assert_eq(baton__http_parse_retry_after("-5", now), -1);
  cr_assert_eq(baton__http_parse_retry_after(NULL, now), -1);
  /* And from a real answer without retry-after-ms. */
  fake_http *srv = fake_http_start();
  fake_http_push_full(srv, 503, "Retry-After: 2\r\n", "busy");
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(get(fake_http_url(srv), 0, &r), BATON__HTTP_ESTATUS);
  cr_assert_eq(baton__http_retry_after_ms(&r), 2000);
  baton__http_response_release(&r);
  fake_http_stop(srv);
}

Test(net_http, backoff_grows_with_jitter_up_to_its_cap) {
  unsigned seed = 42;
  for (int n = 0; n < 8; n++) {
    long want = 100L << n;
    if (want > 2000)
      want = 2000;
    long got = baton__http_backoff_ms(n, 100, 2000, &seed);
    cr_assert(got <= want && got >= want * 3 / 4, "attempt %d: %ld not in [%ld, %ld]", n, got,
              want * 3 / 4, want);
  }
}

typedef struct canceller {
  atomic_int *flag;
  int after_ms;
  int64_t set_at;
} canceller;

static void *cancel_later(void *arg) {
  canceller *c = arg;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = c->after_ms * 1000000L};
  nanosleep(&ts, NULL);
  c->set_at = baton__now_ms();
  atomic_store(c->flag, 1);
  return NULL;
}

/* The transfer looks at the flag every 20 ms; a second leaves room for a
 * loaded machine under ASan, and a request that ignored the flag would run
 * to its 10 s timeout. */
Test(net_http, cancelling_stops_a_waiting_request_within_a_second) {
  fake_http *srv = fake_http_start();
  /* libcurl loads at the first request: have it loaded before the clock runs. */
  fake_http_push_json(srv, 200, "{}");
  baton__http_response first;
  baton__http_response_init(&first);
  cr_assert_eq(get(fake_http_url(srv), 0, &first), BATON__HTTP_OK, "%s", first.err);
  baton__http_response_release(&first);
  fake_http_push_hang(srv);
  atomic_int stop = 0;
  canceller c = {.flag = &stop, .after_ms = 150};
  pthread_t th;
  pthread_create(&th, NULL, cancel_later, &c);
  baton__http_request req = {.url = fake_http_url(srv), .cancel = &stop, .timeout_ms = 10000};
  baton__http_response r;
  baton__http_response_init(&r);
  baton__http_rc rc = baton__http_perform(&req, &r);
  int64_t took = baton__now_ms() - c.set_at;
  pthread_join(th, NULL);
  cr_assert_eq(rc, BATON__HTTP_ECANCELLED, "%s", r.err);
  cr_assert_leq(took, 1000, "stopped %lld ms after the cancel", (long long)took);
  baton__http_response_release(&r);
  fake_http_stop(srv);
}

Test(net_http, failures_are_classified) {
  fake_http *srv = fake_http_start();
  char url[64];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(srv));
  fake_http_push_hang(srv);
  baton__http_request req = {.url = url, .timeout_ms = 200};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ETIMEOUT, "%s", r.err);
  fake_http_stop(srv);
  req.timeout_ms = 5000;
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EREFUSED, "%s", r.err);
  cr_assert_eq(r.status, 0);
  cr_assert(baton__http_transient(BATON__HTTP_EREFUSED, 0));
  req.url = "ftp://127.0.0.1/";
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EINVAL);
  cr_assert_str_eq(baton__http_rc_name(BATON__HTTP_EREFUSED), "refused");
  baton__http_response_release(&r);
}

/* A request that got no complete answer is said in baton's words, naming the server, the time
 * it was given and what came, never in libcurl's ("Operation timed out after 401 milliseconds
 * with 0 bytes received"). */
Test(net_http, failures_are_said_in_our_words) {
  fake_http *srv = fake_http_start();
  char url[64], who[160], want[400];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(srv));
  baton__http_server_label("srv", url, who, sizeof who);
  baton__http_request req = {.url = url, .timeout_ms = 400, .server = who};
  baton__http_response r;
  baton__http_response_init(&r);
  fake_http_push_hang(srv);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ETIMEOUT, "%s", r.err);
  snprintf(want, sizeof want, "model server srv (%s) did not answer within 0.4 s", url);
  cr_assert_str_eq(r.err, want);
  /* Three bytes, then nothing within the time. */
  const char *chunks[] = {"abc", "def"};
  fake_http_push(srv, &(fake_http_response){.content_type = "text/plain", .chunks = chunks,
                                            .n_chunks = 2, .chunk_delay_ms = 3000});
  req.timeout_ms = 1000;
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ETIMEOUT, "%s", r.err);
  snprintf(want, sizeof want,
           "model server srv (%s) stopped sending after 3 bytes (no complete answer within 1 s)",
           url);
  cr_assert_str_eq(r.err, want);
  fake_http_stop(srv);
  /* Nothing listens: without a label, the server is named by its origin. */
  req.server = NULL;
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EREFUSED, "%s", r.err);
  char origin[64];
  snprintf(origin, sizeof origin, "%s", url);
  origin[strlen(origin) - 3] = '\0'; /* no "/v1" */
  snprintf(want, sizeof want,
           "the server at %s could not be reached: the connection was refused (is it running?)",
           origin);
  cr_assert_str_eq(r.err, want);
  baton__http_response_release(&r);
}

Test(net_http, a_key_never_appears_in_an_error) {
  fake_http *srv = fake_http_start();
  char url[64];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(srv));
  fake_http_push_hang(srv);
  baton__http_request req = {.url = url, .bearer = "sk-very-secret-key", .timeout_ms = 100};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ETIMEOUT);
  cr_assert_null(strstr(r.err, "sk-very-secret"), "%s", r.err);
  fake_http_stop(srv);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_EREFUSED);
  cr_assert_null(strstr(r.err, "sk-very-secret"), "%s", r.err);
  baton__http_response_release(&r);
}

typedef struct collected {
  baton__sb sb;
  int calls;
  long status_seen;
} collected;

static int collect(void *ud, const baton__http_response *resp, const char *data, size_t len) {
  collected *c = ud;
  c->calls++;
  c->status_seen = resp->status;
  baton__sb_add(&c->sb, data, len);
  return 0;
}

Test(net_http, a_streamed_body_reaches_the_callback_in_order) {
  fake_http *srv = fake_http_start();
  const char *chunks[] = {"data: {\"a\":1}\n\n", "data: {\"a\":2}\n\n", "data: [DONE]\n\n"};
  fake_http_push_sse(srv, chunks, 3, 5);
  fake_http_push_json(srv, 500, "{\"error\":\"boom\"}");
  collected c = {.calls = 0};
  baton__sb_init(&c.sb);
  baton__http_request req = {.url = fake_http_url(srv), .on_data = collect, .ud = &c,
                             .timeout_ms = 5000};
  baton__http_response r;
  baton__http_response_init(&r);
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_OK, "%s", r.err);
  cr_assert_str_eq(c.sb.buf, "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n");
  cr_assert_eq(c.status_seen, 200);
  cr_assert_str_eq(r.content_type, "text/event-stream");
  cr_assert_eq(r.body_len, 0, "a streamed body is not stored");
  /* An error answer is stored for its message, not streamed. */
  int before = c.calls;
  cr_assert_eq(baton__http_perform(&req, &r), BATON__HTTP_ESTATUS);
  cr_assert_eq(c.calls, before);
  char msg[128];
  cr_assert_str_eq(baton__http_error_text(r.body, r.body_len, msg, sizeof msg), "boom");
  baton__sb_release(&c.sb);
  baton__http_response_release(&r);
  fake_http_stop(srv);
}

Test(net_http, error_bodies_of_every_server_shape_read_as_one_sentence) {
  char m[256];
  const struct {
    const char *body, *want;
  } cases[] = {
      {"{\"error\":{\"message\":\"bad model\",\"type\":\"invalid_request_error\",\"code\":400}}",
       "bad model (type invalid_request_error, code 400)"},
      {"{\"error\":\"Model x is currently loading\"}", "Model x is currently loading"},
      {"{\"error\":[\"a\",\"b\"]}", "a; b"},
      {"{\"message\":\"batch too large\",\"code\":413,\"type\":\"validation\"}",
       "batch too large (type validation, code 413)"},
      {"{\"object\":\"error\",\"message\":\"max_tokens is too large\",\"type\":\"BadRequestError\","
       "\"param\":null,\"code\":400}",
       "max_tokens is too large (type BadRequestError, code 400)"},
      {"{\"detail\":\"Not Found\"}", "Not Found"},
      {"{\"detail\":{\"error\":\"x\",\"message\":\"voice unknown\",\"type\":\"v\"}}",
       "voice unknown (type v)"},
      {"Invalid request", "Invalid request"},
      {"", "(empty body)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_str_eq(baton__http_error_text(cases[i].body, strlen(cases[i].body), m, sizeof m),
                     cases[i].want);
}

/* A 2xx body that is an error object gets the status its kind has; an answer gets 0. */
Test(net_http, an_error_object_in_a_2xx_body_is_told_by_its_kind) {
  static const struct {
    const char *body;
    long status;
  } cases[] = {
      {"{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}}", 503},
      {"{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}", 500},
      {"{\"error\":{\"code\":500,\"message\":\"x\",\"type\":\"\"}}", 500},      /* LocalAI */
      {"{\"error\":{\"message\":\"Server is overloaded\"}}", 503},
      {"{\"error\":{\"message\":\"m\",\"type\":\"not_found_error\"}}", 404},
      {"{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\"}}", 400},
      {"{\"object\":\"error\",\"message\":\"m\",\"type\":\"BadRequestError\",\"code\":400}", 400},
      {"{\"error\":\"something odd\"}", 200},                                   /* the model's */
      {"{\"choices\":[{\"message\":{\"content\":\"an error in the text\"}}]}", 0},
      {"{\"error\":null,\"data\":[]}", 0},
      {"not json with error in it", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(baton__http_body_error_status(cases[i].body, strlen(cases[i].body)),
                 cases[i].status, "%s", cases[i].body);
}
