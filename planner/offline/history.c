/* history.c — earlier turns of a conversation as resources the request can refer to ("it", "the result"). */
#include "planner/offline/internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_add_history() takes the messages JSON (an array of {role,
 * content, files?, outputs?}, oldest first; NULL or "" for none) and adds
 * the newest HISTORY_KEEP things they name as resources with their turn,
 * oldest first: file names written in a user's message, each message's
 * "files", and each value of its "outputs" ({"text": "...", "image":
 * "/path"}). Nothing else of the conversation is read. A reference in a
 * step that names nothing of its own then resolves (link.c) to the newest
 * one of the type the step needs; only the newest turn's count as at hand
 * when choosing the step's task (score.c).
 */

#define HISTORY_MAX_BYTES (1024u * 1024u)
#define HISTORY_KEEP 16

typedef struct {
  const char *value; /* borrowed from the JSON */
  size_t len;
  unsigned type;
  bool is_file;
  int turn;
} seen;

typedef struct {
  seen items[HISTORY_KEEP]; /* a ring: the newest HISTORY_KEEP */
  size_t n;
} seen_ring;

static void remember(seen_ring *r, const char *v, size_t len, unsigned type, bool is_file,
                     int turn) {
  if (!len || !type)
    return;
  r->items[r->n % HISTORY_KEEP] = (seen){v, len, type, is_file, turn};
  r->n++;
}

/* File names written in a message ("find the faces in photo.jpg"). */
static void scan_files(seen_ring *r, const char *s, int turn) {
  while (*s) {
    while (*s && strchr(" \t\r\n\"'`([{<", *s))
      s++;
    const char *e = s;
    while (*e && !strchr(" \t\r\n\"'`)]}>", *e))
      e++;
    size_t n = (size_t)(e - s);
    while (n > 0 && strchr(",.;:!?", s[n - 1]))
      n--;
    remember(r, s, n, off_file_type(s, n), true, turn);
    s = e;
  }
}

static void scan_message(seen_ring *r, const cJSON *m, int turn) {
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
  if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0 && cJSON_IsString(content))
    scan_files(r, content->valuestring, turn);
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "files")) {
    if (cJSON_IsString(f))
      remember(r, f->valuestring, strlen(f->valuestring), baton__type_of_path(f->valuestring),
               true, turn);
  }
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "outputs")) {
    if (!cJSON_IsString(f) || !f->string)
      continue;
    unsigned type = baton__type_from_name(f->string);
    bool text = type == BATON__T_TEXT;
    remember(r, f->valuestring, strlen(f->valuestring),
             text ? type : baton__type_of_path(f->valuestring), !text, turn);
  }
}

int off_add_history(planner *p, const char *messages_json) {
  if (!messages_json || !*messages_json)
    return 0;
  size_t len = strlen(messages_json);
  if (len > HISTORY_MAX_BYTES) {
    baton__fmt(p->err, p->errlen, "the conversation is %zu bytes; the limit is %u", len,
               HISTORY_MAX_BYTES);
    return -1;
  }
  cJSON *msgs = cJSON_ParseWithLength(messages_json, len);
  if (!cJSON_IsArray(msgs)) {
    cJSON_Delete(msgs);
    baton__fmt(p->err, p->errlen, "'messages' must be a JSON array of {role, content} objects");
    return -1;
  }
  seen_ring r = {.n = 0};
  const cJSON *m;
  int turn = 0;
  cJSON_ArrayForEach(m, msgs) {
    if (cJSON_IsObject(m))
      scan_message(&r, m, ++turn);
  }
  int rc = 0;
  size_t first = r.n > HISTORY_KEEP ? r.n - HISTORY_KEEP : 0;
  for (size_t i = first; i < r.n && rc == 0; i++) {
    const seen *s = &r.items[i % HISTORY_KEEP];
    int k = off_add_resource(p, s->type, s->value, s->len, s->is_file);
    if (k == -1) {
      baton__fmt(p->err, p->errlen, "out of memory while planning");
      rc = -1;
    } else if (k >= 0) {
      p->res[k].turn = s->turn;
      p->last_turn = s->turn;
    }
  }
  cJSON_Delete(msgs);
  return rc;
}
