/* fake_http.c — a scripted HTTP/1.1 server on 127.0.0.1 for tests (fake LLM, fake Hub). */
#include "support/fake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/banned.h"

#define FH_MAX_HEAD (64u * 1024u)
#define FH_MAX_BODY (32u * 1024u * 1024u)
#define FH_IDLE_MS 30000

typedef struct fh_item {
  int status;
  char *content_type;
  char *headers;
  char *body;
  size_t body_len;
  int delay_ms;
  bool hang;
  char **chunks;
  size_t n_chunks;
  int chunk_delay_ms;
  struct fh_item *next;
} fh_item;

typedef struct fh_conn {
  pthread_t th;
  int fd;
  fake_http *srv;
  int done; /* guarded by srv->mu */
  struct fh_conn *next;
} fh_conn;

struct fake_http {
  int lfd;
  int port;
  char url[64];
  int stop_pipe[2];
  pthread_t accept_th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  fh_item *q_head, *q_tail;
  size_t n_q;
  fake_http_handler fn;
  void *ud;
  fake_http_request *reqs;
  size_t n_reqs, cap_reqs;
  fh_conn *conns;
  int in_flight, max_in_flight; /* requests read and not yet answered (guarded by mu) */
};

static char *xstrndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    abort();
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static char *xstrdup(const char *s) { return s ? xstrndup(s, strlen(s)) : NULL; }

static void item_free(fh_item *it) {
  if (!it)
    return;
  free(it->content_type);
  free(it->headers);
  free(it->body);
  for (size_t i = 0; i < it->n_chunks; i++)
    free(it->chunks[i]);
  free(it->chunks);
  free(it);
}

static fh_item *item_from(const fake_http_response *r) {
  fh_item *it = calloc(1, sizeof *it);
  if (!it)
    abort();
  it->status = r->status ? r->status : 200;
  it->content_type = xstrdup(r->content_type);
  it->headers = xstrdup(r->headers);
  if (r->body) {
    size_t n = r->body_len ? r->body_len : strlen(r->body);
    it->body = xstrndup(r->body, n);
    it->body_len = n;
  }
  it->delay_ms = r->delay_ms;
  it->hang = r->hang;
  if (r->n_chunks && r->chunks) {
    it->chunks = calloc(r->n_chunks, sizeof *it->chunks);
    if (!it->chunks)
      abort();
    for (size_t i = 0; i < r->n_chunks; i++)
      it->chunks[i] = xstrdup(r->chunks[i] ? r->chunks[i] : "");
    it->n_chunks = r->n_chunks;
  }
  it->chunk_delay_ms = r->chunk_delay_ms > 0 ? r->chunk_delay_ms : 5;
  return it;
}

/* ---------- requests ---------- */

static void req_release(fake_http_request *r) {
  free(r->method);
  free(r->path);
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  free(r->body);
  memset(r, 0, sizeof *r);
}

static void req_copy(fake_http_request *dst, const fake_http_request *src) {
  dst->method = xstrdup(src->method);
  dst->path = xstrdup(src->path);
  dst->n_headers = src->n_headers;
  dst->headers = calloc(src->n_headers ? src->n_headers : 1, sizeof *dst->headers);
  if (!dst->headers)
    abort();
  for (size_t i = 0; i < src->n_headers; i++) {
    dst->headers[i].name = xstrdup(src->headers[i].name);
    dst->headers[i].value = xstrdup(src->headers[i].value);
  }
  dst->body = xstrndup(src->body, src->body_len);
  dst->body_len = src->body_len;
}

void fake_http_request_free(fake_http_request *req) {
  if (!req)
    return;
  req_release(req);
  free(req);
}

const char *fake_http_request_header(const fake_http_request *req, const char *name) {
  if (!req || !name)
    return NULL;
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

/* ---------- socket helpers ---------- */

/* Sleeps up to ms, waking early when the server stops. True if stopping. */
static bool wait_stop(fake_http *srv, int ms) {
  struct pollfd p = {.fd = srv->stop_pipe[0], .events = POLLIN};
  for (;;) {
    int rc = poll(&p, 1, ms);
    if (rc < 0 && errno == EINTR)
      continue;
    return rc > 0;
  }
}

/* Waits until fd is readable/writable. 1 ready, 0 stop or timeout, -1 error. */
static int wait_fd(fake_http *srv, int fd, short ev, int ms) {
  struct pollfd p[2] = {{.fd = fd, .events = ev}, {.fd = srv->stop_pipe[0], .events = POLLIN}};
  for (;;) {
    int rc = poll(p, 2, ms);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      return -1;
    if (rc == 0 || (p[1].revents & POLLIN))
      return 0;
    return 1;
  }
}

static bool send_all(fake_http *srv, int fd, const char *data, size_t len) {
  while (len > 0) {
    if (wait_fd(srv, fd, POLLOUT, FH_IDLE_MS) != 1)
      return false;
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return false;
    }
    data += n;
    len -= (size_t)n;
  }
  return true;
}

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 411: return "Length Required";
  case 413: return "Payload Too Large";
  case 422: return "Unprocessable Entity";
  case 431: return "Request Header Fields Too Large";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Status";
  }
}

/* Appends the extra header lines, normalising line ends to CRLF. */
static void add_extra_headers(char **buf, size_t *len, size_t *cap, const char *h);

static void buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t nc = (*cap ? *cap : 256);
    while (nc < *len + n + 1)
      nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb)
      abort();
    *buf = nb;
    *cap = nc;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
}

static void buf_adds(char **buf, size_t *len, size_t *cap, const char *s) {
  buf_add(buf, len, cap, s, strlen(s));
}

static void add_extra_headers(char **buf, size_t *len, size_t *cap, const char *h) {
  if (!h)
    return;
  while (*h) {
    const char *e = strchr(h, '\n');
    size_t n = e ? (size_t)(e - h) : strlen(h);
    size_t m = n;
    if (m > 0 && h[m - 1] == '\r')
      m--;
    if (m > 0) {
      buf_add(buf, len, cap, h, m);
      buf_adds(buf, len, cap, "\r\n");
    }
    h += n + (e ? 1 : 0);
  }
}

/* The request stops counting as in flight (open: NULL when it was never
 * counted) just before the write that completes its response: the client may read it, and send its next request,
 * before this thread runs again. */
static void answered(fake_http *srv, bool *open) {
  if (!open || !*open)
    return;
  pthread_mutex_lock(&srv->mu);
  srv->in_flight--;
  pthread_mutex_unlock(&srv->mu);
  *open = false;
}

static void send_item(fake_http *srv, int fd, const fh_item *it, bool *open) {
  if (it->delay_ms > 0 && wait_stop(srv, it->delay_ms))
    return;
  if (it->hang) {
    /* Hold the connection until the client leaves or the server stops. */
    char sink[512];
    for (;;) {
      int rc = wait_fd(srv, fd, POLLIN, -1);
      if (rc != 1)
        return;
      ssize_t n = recv(fd, sink, sizeof sink, 0);
      if (n <= 0)
        return;
    }
  }
  char *h = NULL;
  size_t hl = 0, hc = 0;
  char line[256];
  bool stream = it->n_chunks > 0;
  snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", it->status, reason(it->status));
  buf_adds(&h, &hl, &hc, line);
  const char *ct = it->content_type ? it->content_type
                   : stream         ? "text/event-stream"
                                    : "application/json";
  snprintf(line, sizeof line, "Content-Type: %s\r\n", ct);
  buf_adds(&h, &hl, &hc, line);
  if (!stream) {
    snprintf(line, sizeof line, "Content-Length: %zu\r\n", it->body_len);
    buf_adds(&h, &hl, &hc, line);
  } else {
    buf_adds(&h, &hl, &hc, "Cache-Control: no-cache\r\n");
  }
  buf_adds(&h, &hl, &hc, "Connection: close\r\n");
  add_extra_headers(&h, &hl, &hc, it->headers);
  buf_adds(&h, &hl, &hc, "\r\n");
  if (!stream && !it->body_len)
    answered(srv, open);
  bool ok = send_all(srv, fd, h, hl);
  free(h);
  if (!ok)
    return;
  if (!stream) {
    answered(srv, open);
    if (it->body_len)
      send_all(srv, fd, it->body, it->body_len);
    return;
  }
  for (size_t i = 0; i < it->n_chunks; i++) {
    if (i > 0 && wait_stop(srv, it->chunk_delay_ms))
      return;
    if (i + 1 == it->n_chunks)
      answered(srv, open);
    if (!send_all(srv, fd, it->chunks[i], strlen(it->chunks[i])))
      return;
  }
}

static void send_simple(fake_http *srv, int fd, int status, const char *body, bool *open) {
  fake_http_response r = {.status = status, .body = body};
  fh_item *it = item_from(&r);
  send_item(srv, fd, it, open);
  item_free(it);
}

/* ---------- connection ---------- */

static const char *find_head_end(const char *buf, size_t len) {
  for (size_t i = 0; i + 3 < len; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
      return buf + i;
  return NULL;
}

static void record(fake_http *srv, const fake_http_request *r) {
  pthread_mutex_lock(&srv->mu);
  if (srv->n_reqs == srv->cap_reqs) {
    size_t nc = srv->cap_reqs ? srv->cap_reqs * 2 : 16;
    fake_http_request *nr = realloc(srv->reqs, nc * sizeof *nr);
    if (!nr)
      abort();
    srv->reqs = nr;
    srv->cap_reqs = nc;
  }
  req_copy(&srv->reqs[srv->n_reqs++], r);
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

/* Decodes a complete chunked body from raw bytes: 1 done, 0 need more,
 * -1 malformed. */
static int parse_chunked(const char *raw, size_t n, char *out, size_t *out_len) {
  size_t i = 0, o = 0;
  for (;;) {
    const char *nl = memchr(raw + i, '\n', n - i);
    if (!nl)
      return 0;
    char *e;
    unsigned long long sz = strtoull(raw + i, &e, 16);
    if (e == raw + i)
      return -1;
    i = (size_t)(nl - raw) + 1;
    if (sz == 0) {
      /* Trailers until an empty line. */
      for (;;) {
        const char *tl = memchr(raw + i, '\n', n - i);
        if (!tl)
          return 0;
        size_t ll = (size_t)(tl - (raw + i));
        i = (size_t)(tl - raw) + 1;
        if (ll == 0 || (ll == 1 && raw[i - 2] == '\r'))
          break;
      }
      *out_len = o;
      return 1;
    }
    if (sz > FH_MAX_BODY || n - i < sz + 2)
      return sz > FH_MAX_BODY ? -1 : 0;
    if (out)
      memcpy(out + o, raw + i, sz);
    o += sz;
    i += sz;
    if (raw[i] == '\r')
      i++;
    if (i >= n)
      return 0;
    if (raw[i] != '\n')
      return -1;
    i++;
  }
}

/* Reads a chunked body (have bytes already read). 0, -1 malformed or
 * connection lost, -2 too large. */
static int read_chunked(fake_http *srv, int fd, const char *have, size_t n_have, char **body,
                        size_t *body_len) {
  size_t cap = n_have + 4096, n = n_have;
  char *raw = malloc(cap);
  if (!raw)
    abort();
  memcpy(raw, have, n_have);
  for (;;) {
    size_t dummy;
    int rc = parse_chunked(raw, n, NULL, &dummy);
    if (rc < 0) {
      free(raw);
      return -1;
    }
    if (rc == 1)
      break;
    if (n >= FH_MAX_BODY + 65536) {
      free(raw);
      return -2;
    }
    if (cap - n < 4096) {
      cap *= 2;
      char *nr = realloc(raw, cap);
      if (!nr)
        abort();
      raw = nr;
    }
    if (wait_fd(srv, fd, POLLIN, FH_IDLE_MS) != 1) {
      free(raw);
      return -1;
    }
    ssize_t r = recv(fd, raw + n, cap - n, 0);
    if (r <= 0) {
      free(raw);
      return -1;
    }
    n += (size_t)r;
  }
  *body = malloc(n + 1);
  if (!*body)
    abort();
  parse_chunked(raw, n, *body, body_len);
  (*body)[*body_len] = '\0';
  free(raw);
  return 0;
}

/* Reads until the end of the request head into a new buffer (NUL-terminated,
 * *len bytes, the head *head_len of them). NULL when the connection was lost
 * or the head was too large (answered 431). */
static char *read_head(fake_http *srv, int fd, size_t *len, size_t *head_len) {
  char *buf = malloc(FH_MAX_HEAD + 1);
  if (!buf)
    return NULL;
  size_t n_buf = 0;
  const char *end = NULL;
  while (!(end = find_head_end(buf, n_buf))) {
    if (n_buf >= FH_MAX_HEAD) {
      send_simple(srv, fd, 431, "{\"error\":\"fake_http: request head too large\"}", NULL);
      free(buf);
      return NULL;
    }
    ssize_t n = -1;
    if (wait_fd(srv, fd, POLLIN, FH_IDLE_MS) == 1)
      n = recv(fd, buf + n_buf, FH_MAX_HEAD - n_buf, 0);
    if (n <= 0) {
      free(buf);
      return NULL;
    }
    n_buf += (size_t)n;
  }
  buf[n_buf] = '\0';
  *len = n_buf;
  *head_len = (size_t)(end - buf) + 4;
  return buf;
}

/* "METHOD TARGET VERSION\r\n" at buf into req; the first header line, or
 * NULL when the line is malformed. */
static const char *parse_request_line(const char *buf, const char *end, fake_http_request *req) {
  const char *eol = strstr(buf, "\r\n");
  if (!eol || eol > end)
    return NULL;
  const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
  if (!sp1 || !sp2)
    return NULL;
  req->method = xstrndup(buf, (size_t)(sp1 - buf));
  req->path = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  return eol + 2;
}

/* How the request's body comes, from its headers. */
typedef struct fh_framing {
  long long clen;
  bool chunked, expect;
} fh_framing;

static fake_http_header *add_header(fake_http_request *req, size_t *cap) {
  if (req->n_headers == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    fake_http_header *nh = realloc(req->headers, *cap * sizeof *nh);
    if (!nh)
      abort();
    req->headers = nh;
  }
  return &req->headers[req->n_headers++];
}

/* The header lines from p to end into req, and what they say of the body. */
static void parse_headers(const char *p, const char *end, fake_http_request *req, fh_framing *fr) {
  size_t cap = 16;
  req->headers = calloc(cap, sizeof *req->headers);
  if (!req->headers)
    abort();
  while (p < end) {
    const char *le = strstr(p, "\r\n");
    if (!le || le > end)
      le = end;
    const char *colon = memchr(p, ':', (size_t)(le - p));
    if (colon) {
      const char *v = colon + 1;
      while (v < le && (*v == ' ' || *v == '\t'))
        v++;
      const char *ve = le;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
      fake_http_header *hd = add_header(req, &cap);
      hd->name = xstrndup(p, (size_t)(colon - p));
      hd->value = xstrndup(v, (size_t)(ve - v));
      if (strcasecmp(hd->name, "Content-Length") == 0)
        fr->clen = strtoll(hd->value, NULL, 10);
      else if (strcasecmp(hd->name, "Transfer-Encoding") == 0 && strcasestr(hd->value, "chunked"))
        fr->chunked = true;
      else if (strcasecmp(hd->name, "Expect") == 0 && strcasestr(hd->value, "100-continue"))
        fr->expect = true;
    }
    p = le + 2;
  }
}

static bool send_continue(fake_http *srv, int fd) {
  const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
  return send_all(srv, fd, cont, strlen(cont));
}

/* A Content-Length body, `have` of whose bytes came with the head. False
 * when it was refused (answered) or the connection was lost. */
static bool read_length_body(fake_http *srv, int fd, const char *have_bytes, size_t n_have,
                             const fh_framing *fr, fake_http_request *req) {
  if (fr->clen < 0 || (unsigned long long)fr->clen > FH_MAX_BODY) {
    send_simple(srv, fd, 413, "{\"error\":\"fake_http: request body too large\"}", NULL);
    return false;
  }
  size_t clen = (size_t)fr->clen;
  req->body = malloc(clen + 1);
  if (!req->body)
    abort();
  size_t have = n_have > clen ? clen : n_have;
  memcpy(req->body, have_bytes, have);
  if (fr->expect && have < clen && !send_continue(srv, fd))
    return false;
  while (have < clen) {
    if (wait_fd(srv, fd, POLLIN, FH_IDLE_MS) != 1)
      return false;
    ssize_t n = recv(fd, req->body + have, clen - have, 0);
    if (n <= 0)
      return false;
    have += (size_t)n;
  }
  req->body[have] = '\0';
  req->body_len = have;
  return true;
}

/* The body, chunked or with a length; false as read_length_body. */
static bool read_body(fake_http *srv, int fd, const char *have, size_t n_have,
                      const fh_framing *fr, fake_http_request *req) {
  if (!fr->chunked)
    return read_length_body(srv, fd, have, n_have, fr, req);
  if (fr->expect && !send_continue(srv, fd))
    return false;
  int rc = read_chunked(srv, fd, have, n_have, &req->body, &req->body_len);
  if (rc == -2)
    send_simple(srv, fd, 413, "{\"error\":\"fake_http: request body too large\"}", NULL);
  else if (rc != 0)
    send_simple(srv, fd, 400, "{\"error\":\"fake_http: malformed chunked body\"}", NULL);
  return rc == 0;
}

/* The response for req: the handler's, else the next scripted one, else NULL. */
static fh_item *next_item(fake_http *srv, const fake_http_request *req) {
  fh_item *it = NULL;
  pthread_mutex_lock(&srv->mu);
  fake_http_handler fn = srv->fn;
  void *ud = srv->ud;
  if (!fn && srv->q_head) {
    it = srv->q_head;
    srv->q_head = it->next;
    if (!srv->q_head)
      srv->q_tail = NULL;
    srv->n_q--;
  }
  pthread_mutex_unlock(&srv->mu);
  if (fn) {
    fake_http_response r = {0};
    fn(req, &r, ud);
    it = item_from(&r);
    if (r.free_body)
      free((void *)r.body);
  }
  return it;
}

/* Records req, counts it in flight, and answers it. */
static void respond(fake_http *srv, int fd, const fake_http_request *req) {
  record(srv, req);
  pthread_mutex_lock(&srv->mu);
  if (++srv->in_flight > srv->max_in_flight)
    srv->max_in_flight = srv->in_flight;
  pthread_mutex_unlock(&srv->mu);
  bool open = true;
  fh_item *it = next_item(srv, req);
  if (it) {
    send_item(srv, fd, it, &open);
    item_free(it);
  } else {
    char msg[512];
    snprintf(msg, sizeof msg,
             "{\"error\":{\"message\":\"fake_http: no scripted response left for %.100s "
             "%.300s\",\"type\":\"fake_http_unscripted\"}}",
             req->method, req->path);
    send_simple(srv, fd, 500, msg, &open);
  }
  answered(srv, &open);
}

static void serve(fake_http *srv, int fd) {
  size_t len = 0, head_len = 0;
  char *buf = read_head(srv, fd, &len, &head_len);
  if (!buf)
    return;
  fake_http_request req = {0};
  fh_framing fr = {0};
  const char *headers = parse_request_line(buf, buf + head_len - 4, &req);
  if (!headers) {
    send_simple(srv, fd, 400, "{\"error\":\"fake_http: bad request line\"}", NULL);
  } else {
    parse_headers(headers, buf + head_len - 4, &req, &fr);
    if (read_body(srv, fd, buf + head_len, len - head_len, &fr, &req))
      respond(srv, fd, &req);
  }
  req_release(&req);
  free(buf);
}

static void *conn_main(void *arg) {
  fh_conn *c = arg;
  serve(c->srv, c->fd);
  shutdown(c->fd, SHUT_RDWR);
  close(c->fd);
  pthread_mutex_lock(&c->srv->mu);
  c->done = 1;
  pthread_mutex_unlock(&c->srv->mu);
  return NULL;
}

/* Joins and frees finished connections (all of them when `all`). */
static void reap(fake_http *srv, bool all) {
  fh_conn **pp = &srv->conns;
  while (*pp) {
    fh_conn *c = *pp;
    pthread_mutex_lock(&srv->mu);
    int done = c->done;
    pthread_mutex_unlock(&srv->mu);
    if (done || all) {
      pthread_join(c->th, NULL);
      *pp = c->next;
      free(c);
    } else {
      pp = &c->next;
    }
  }
}

static void *accept_main(void *arg) {
  fake_http *srv = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = srv->lfd, .events = POLLIN},
                          {.fd = srv->stop_pipe[0], .events = POLLIN}};
    int rc = poll(p, 2, 1000);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0 || (p[1].revents & POLLIN))
      break;
    reap(srv, false);
    if (!(p[0].revents & POLLIN))
      continue;
    int fd = accept(srv->lfd, NULL, NULL);
    if (fd < 0)
      continue;
    fh_conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->srv = srv;
    if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
      close(fd);
      free(c);
      continue;
    }
    c->next = srv->conns;
    srv->conns = c;
  }
  reap(srv, true);
  return NULL;
}

/* ---------- lifecycle ---------- */

fake_http *fake_http_start(void) { return fake_http_start_on(0); }

fake_http *fake_http_start_on(int port) {
  fake_http *srv = calloc(1, sizeof *srv);
  if (!srv)
    return NULL;
  srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv->lfd < 0) {
    free(srv);
    return NULL;
  }
  int one = 1;
  setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(srv->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(srv->lfd, 64) != 0 ||
      getsockname(srv->lfd, (struct sockaddr *)&a, &al) != 0 ||
      pipe2(srv->stop_pipe, O_CLOEXEC) != 0) {
    close(srv->lfd);
    free(srv);
    return NULL;
  }
  srv->port = ntohs(a.sin_port);
  snprintf(srv->url, sizeof srv->url, "http://127.0.0.1:%d", srv->port);
  pthread_mutex_init(&srv->mu, NULL);
  pthread_cond_init(&srv->cv, NULL);
  if (pthread_create(&srv->accept_th, NULL, accept_main, srv) != 0) {
    close(srv->lfd);
    close(srv->stop_pipe[0]);
    close(srv->stop_pipe[1]);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cv);
    free(srv);
    return NULL;
  }
  return srv;
}

void fake_http_stop(fake_http *srv) {
  if (!srv)
    return;
  /* The pipe is never drained, so every poller sees it readable. */
  ssize_t w = write(srv->stop_pipe[1], "x", 1);
  (void)w;
  pthread_join(srv->accept_th, NULL);
  close(srv->lfd);
  close(srv->stop_pipe[0]);
  close(srv->stop_pipe[1]);
  fh_item *it = srv->q_head;
  while (it) {
    fh_item *n = it->next;
    item_free(it);
    it = n;
  }
  for (size_t i = 0; i < srv->n_reqs; i++)
    req_release(&srv->reqs[i]);
  free(srv->reqs);
  pthread_mutex_destroy(&srv->mu);
  pthread_cond_destroy(&srv->cv);
  free(srv);
}

int fake_http_port(const fake_http *srv) { return srv ? srv->port : 0; }

int fake_http_in_flight(fake_http *srv) {
  pthread_mutex_lock(&srv->mu);
  int n = srv->in_flight;
  pthread_mutex_unlock(&srv->mu);
  return n;
}

int fake_http_max_in_flight(fake_http *srv) {
  pthread_mutex_lock(&srv->mu);
  int n = srv->max_in_flight;
  pthread_mutex_unlock(&srv->mu);
  return n;
}
const char *fake_http_url(const fake_http *srv) { return srv ? srv->url : ""; }

void fake_http_push(fake_http *srv, const fake_http_response *resp) {
  fh_item *it = item_from(resp);
  pthread_mutex_lock(&srv->mu);
  if (srv->q_tail)
    srv->q_tail->next = it;
  else
    srv->q_head = it;
  srv->q_tail = it;
  srv->n_q++;
  pthread_mutex_unlock(&srv->mu);
}

void fake_http_push_json(fake_http *srv, int status, const char *body) {
  fake_http_response r = {.status = status, .body = body};
  fake_http_push(srv, &r);
}

void fake_http_push_full(fake_http *srv, int status, const char *headers, const char *body) {
  fake_http_response r = {.status = status, .headers = headers, .body = body};
  fake_http_push(srv, &r);
}

void fake_http_push_sse(fake_http *srv, const char *const *chunks, size_t n, int chunk_delay_ms) {
  fake_http_response r = {.status = 200, .chunks = chunks, .n_chunks = n,
                          .chunk_delay_ms = chunk_delay_ms};
  fake_http_push(srv, &r);
}

void fake_http_push_hang(fake_http *srv) {
  fake_http_response r = {.hang = true};
  fake_http_push(srv, &r);
}

size_t fake_http_pending(fake_http *srv) {
  pthread_mutex_lock(&srv->mu);
  size_t n = srv->n_q;
  pthread_mutex_unlock(&srv->mu);
  return n;
}

void fake_http_set_handler(fake_http *srv, fake_http_handler fn, void *ud) {
  pthread_mutex_lock(&srv->mu);
  srv->fn = fn;
  srv->ud = ud;
  pthread_mutex_unlock(&srv->mu);
}

size_t fake_http_request_count(fake_http *srv) {
  pthread_mutex_lock(&srv->mu);
  size_t n = srv->n_reqs;
  pthread_mutex_unlock(&srv->mu);
  return n;
}

fake_http_request *fake_http_request_get(fake_http *srv, size_t i) {
  fake_http_request *r = NULL;
  pthread_mutex_lock(&srv->mu);
  if (i < srv->n_reqs) {
    r = calloc(1, sizeof *r);
    if (!r)
      abort();
    req_copy(r, &srv->reqs[i]);
  }
  pthread_mutex_unlock(&srv->mu);
  return r;
}

bool fake_http_wait_requests(fake_http *srv, size_t n, int timeout_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&srv->mu);
  while (srv->n_reqs < n) {
    if (pthread_cond_timedwait(&srv->cv, &srv->mu, &ts) != 0)
      break;
  }
  bool ok = srv->n_reqs >= n;
  pthread_mutex_unlock(&srv->mu);
  return ok;
}
