/* cassette.h — loads recorded HTTP exchanges in VCR YAML format (libyaml) for replay tests. */
#ifndef BATON_TESTS_CASSETTE_H
#define BATON_TESTS_CASSETTE_H

#include <stdbool.h>
#include <stddef.h>

/* One header of a recorded message: the first value of a VCR header list. */
typedef struct bt_cassette_header {
  char *name;
  char *value;
} bt_cassette_header;

/* A recorded body. data is NUL-terminated (len excludes the NUL) and never
 * NULL; is_null when the cassette says `body: null`; binary when it came
 * from a `!!binary` (base64) node, which is decoded here. */
typedef struct bt_cassette_body {
  char *data;
  size_t len;
  bool is_null;
  bool binary;
} bt_cassette_body;

/* One request/response pair, in recording order. All strings owned. */
typedef struct bt_exchange {
  char *method;        /* "POST" */
  char *uri;           /* as recorded: "https://router.huggingface.co/hf-inference/models/x" */
  char *path;          /* the uri from its first '/' after the host: "/hf-inference/models/x" */
  bt_cassette_header *req_headers;
  size_t n_req_headers;
  bt_cassette_body req_body;
  int status;          /* 200 */
  bt_cassette_header *resp_headers;
  size_t n_resp_headers;
  bt_cassette_body resp_body;
} bt_exchange;

typedef struct bt_cassette {
  bt_exchange *ex;
  size_t n;
} bt_cassette;

/*
 * Loads a VCR cassette: a mapping with `interactions:`, a list of
 * {request: {method, uri, headers: {Name: [v...]}, body: scalar|null|!!binary
 * |{string: ...}}, response: {status: {code}, headers, body: {string: scalar|
 * !!binary}}}. Returns the cassette (free with bt_cassette_free), or NULL
 * with a message naming the file (and line when known) in err.
 */
bt_cassette *bt_cassette_load(const char *path, char *err, size_t errlen);
void bt_cassette_free(bt_cassette *c);

/* Value of a recorded header (case-insensitive), borrowed, or NULL. */
const char *bt_exchange_req_header(const bt_exchange *e, const char *name);
const char *bt_exchange_resp_header(const bt_exchange *e, const char *name);

/* The first exchange whose method equals method and whose path contains
 * path_part (NULL: any), or NULL. Borrowed from c. */
const bt_exchange *bt_cassette_find(const bt_cassette *c, const char *method,
                                    const char *path_part);

#endif
