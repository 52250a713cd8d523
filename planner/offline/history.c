/* history.c — earlier turns of a conversation as resources the request can refer to ("it", "the result"). */
#include "planner/offline/internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/*
 * Contract: off_add_history() takes the messages JSON (an array of {role, content, files?,
 * outputs?, lang?}, oldest first; NULL or "" for none) and adds the newest HISTORY_KEEP things they
 * name as resources with their turn, oldest first: file names in a user's message, each message's
 * "files" and each value of its "outputs" ({"text": "...", "image": "/path"}), its text in "lang"
 * if that is a lexicon language code. Nothing else is read. A reference in a step naming nothing of
 * its own then resolves (link.c) to the newest of the type the step needs; only the newest turn's
 * count as at hand when choosing the step's task (score.c). 0, or -1 with err set.
 */

#define HISTORY_MAX_BYTES (1024u * 1024u)
#define HISTORY_KEEP 16

typedef struct {
  planner *p;
  size_t first; /* p->res[first..]: the newest HISTORY_KEEP things, oldest first */
  int rc;       /* -1 once out of memory */
} seen;

static void remember(seen *r, const char *v, size_t len, unsigned type, bool is_file, int turn,
                     const char *lang) {
  planner *p = r->p;
  if (!len || !type || r->first >= OFF_MAX_RES)
    return;
  if (p->n_res - r->first == HISTORY_KEEP || p->n_res == OFF_MAX_RES) {
    free(p->res[r->first].value);
    memmove(&p->res[r->first], &p->res[r->first + 1], (--p->n_res - r->first) * sizeof p->res[0]);
  }
  int k = off_add_resource(p, type, v, len, is_file);
  if (k >= 0)
    p->last_turn = p->res[k].turn = turn, p->res[k].lang = lang;
  r->rc = k == -1 ? -1 : r->rc;
}

/* File names written in a message ("find the faces in photo.jpg"). */
static void scan_files(seen *r, const char *s, int turn) {
  while (*s) {
    s += strspn(s, " \t\r\n\"'`([{<");
    size_t e = strcspn(s, " \t\r\n\"'`)]}>"), n = e;
    while (n > 0 && strchr(",.;:!?", s[n - 1]))
      n--;
    remember(r, s, n, off_file_type(s, n), true, turn, NULL);
    s += e ? e : 1; /* a closing bracket on its own */
  }
}

static void scan_message(seen *r, const cJSON *m, int turn) {
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *f;
  if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0 && cJSON_IsString(content))
    scan_files(r, content->valuestring, turn);
  const cJSON *said = cJSON_GetObjectItemCaseSensitive(m, "lang"); /* its text's language */
  const char *lang = NULL, (*codes)[8] = r->p->lx->lang_codes;
  for (size_t k = 0; cJSON_IsString(said) && !lang && k < r->p->lx->lang_names.n; k++)
    lang = strcmp(codes[k], said->valuestring) ? NULL : codes[k];
  for (int out = 0; out < 2; out++) /* "files": paths; "outputs": type name -> text or path */
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, out ? "outputs" : "files")) {
      bool text = out && f->string && baton__type_from_name(f->string) == BATON__T_TEXT;
      if (cJSON_IsString(f) && (!out || f->string))
        remember(r, f->valuestring, strlen(f->valuestring),
                 text ? BATON__T_TEXT : baton__type_of_path(f->valuestring), !text, turn,
                 text ? lang : NULL);
    }
}

int off_add_history(planner *p, const char *messages_json) {
  size_t len = messages_json ? strlen(messages_json) : 0;
  if (!len)
    return 0;
  if (len > HISTORY_MAX_BYTES)
    return baton__fmt(p->err, p->errlen, "the conversation is %zu bytes; the limit is %u", len,
                      HISTORY_MAX_BYTES), -1;
  cJSON *msgs = cJSON_ParseWithLength(messages_json, len), *m;
  if (!cJSON_IsArray(msgs))
    return cJSON_Delete(msgs), baton__fmt(p->err, p->errlen, "'messages' must be a JSON array of "
                                          "{role, content} objects"), -1;
  seen r = {p, p->n_res, 0};
  int turn = 0;
  cJSON_ArrayForEach(m, msgs)
    if (cJSON_IsObject(m))
      scan_message(&r, m, ++turn);
  cJSON_Delete(msgs);
  return r.rc ? (baton__fmt(p->err, p->errlen, OFF_OOM), -1) : 0;
}
