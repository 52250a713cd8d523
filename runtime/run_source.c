/* run_source.c — a translation's assumed (or, planned by an LLM, missing) source language checked against its text with local/textcat before the translator is called. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "executors/languages.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Fewer words than this are too few to tell a language by (textcat names one for "good day"). */
#define SRC_MIN_WORDS 3
/* The start of the text textcat is given: as much as it reads (its sample). */
#define SRC_SAMPLE_BYTES 4096

/* How many words s has, counting up to SRC_MIN_WORDS. */
static int few_words(const char *s) {
  int n = 0;
  for (bool in = false; *s && n < SRC_MIN_WORDS; s++) {
    bool word = !isspace((unsigned char)*s);
    n += word && !in;
    in = word;
  }
  return n;
}

/* The languages textcat names for text, best first, as its "json" output lists them (labels), into
 * codes (at most max): how many, or -1 with why set (no identifier here, it failed). */
static int identify(baton_run *run, const char *text, char codes[][16], int max, char *why,
                    size_t whylen) {
  baton *ctx = run->ctx;
  if (!baton__endpoint_ok(ctx, "local:textcat", why, whylen))
    return -1;
  char *sample = baton__strndup(text, baton__utf8_cut(text, strlen(text), SRC_SAMPLE_BYTES));
  baton__values in = {0}, res = {0};
  baton__exec_env env = {.cfg = &ctx->cfg, .workspace = run->workspace, .file_prefix = "langid",
                         .cancel = &run->cancel, .timeout_ms = ctx->cfg.task_timeout_ms,
                         .model = "local/textcat", .endpoint = "local:textcat"};
  int rc = sample && baton__values_add_own(&in, "text", BATON__T_TEXT, sample) == 0
               ? baton__slot_run(baton__slot(ctx, "local:textcat"), "text-classification", &in,
                                 &env, &res)
               : (baton__fmt(env.err, sizeof env.err, "out of memory"), -1);
  const baton__value *js = rc == 0 ? baton__values_get_type(&res, BATON__T_JSON) : NULL;
  cJSON *arr = js && js->data ? cJSON_Parse(js->data) : NULL;
  int n = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, arr) {
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "label"));
    if (label && n < max)
      baton__fmt(codes[n++], sizeof codes[0], "%s", label);
  }
  if (rc == 0 && !n)
    baton__fmt(env.err, sizeof env.err, "it named no language");
  baton__fmt(why, whylen, "%s", env.err);
  cJSON_Delete(arr);
  baton__values_release(&in);
  baton__values_release(&res);
  return rc == 0 && n ? n : -1;
}

/* Replaces the value of in's "src_lang" with code. 0, or -1 when out of memory. */
static int set_source(baton__values *in, const char *code) {
  for (size_t i = 0; i < in->n; i++)
    if (!strcmp(in->v[i].name, "src_lang")) {
      char *c = baton__strdup(code);
      if (!c)
        return -1;
      free(in->v[i].data);
      in->v[i].data = c;
      return 0;
    }
  return baton__values_add(in, "src_lang", 0, code);
}

/* "English (en)" into out. */
static void label(const char *code, char *out, size_t cap) {
  baton__fmt(out, cap, "%s (%s)", baton__lang_name(code), code);
}

/* Why the assumed language stays, into why: textcat unsure between the n codes. */
static void unsure(char codes[][16], int n, char *why, size_t whylen) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "local/textcat was unsure of the text (");
  for (int i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%s", i ? i + 1 == n ? " or " : ", " : "", baton__lang_name(codes[i]));
  baton__sb_adds(&sb, ")");
  baton__fmt(why, whylen, "%s", baton__sb_ok(&sb) ? sb.buf : "local/textcat was unsure");
  baton__sb_release(&sb);
}

int baton__run_source_settle(baton_run *run, size_t idx, baton__values *in, char **note) {
  *note = NULL;
  const baton__value *src = baton__values_get(in, "src_lang");
  const baton__value *text = baton__values_get_type(in, BATON__T_TEXT);
  if (!run->g.tasks[idx].source_assumed || (src && !src->data) || !text || !text->data)
    return 0;
  char codes[8][16], why[512] = "", was[96] = "", now[96];
  if (src)
    label(src->data, was, sizeof was);
  int n = few_words(text->data) < SRC_MIN_WORDS ? 0 : identify(run, text->data, codes, 8, why,
                                                                sizeof why);
  const char *code = n == 1 ? baton__lang_short(codes[0]) : NULL; /* textcat sure: one alone */
  if (n == 0)
    baton__fmt(why, sizeof why, "the text is too short to tell its language by");
  else if (n == 1 && !code)
    baton__fmt(why, sizeof why, "local/textcat identified it as %s, a language baton does "
                                "not translate", baton__lang_name(codes[0]));
  else if (n > 1)
    unsure(codes, n, why, sizeof why);
  else if (n < 0) {
    char what[512];
    baton__fmt(what, sizeof what, "%s", why);
    baton__fmt(why, sizeof why, "local/textcat could not identify the text: %s", what);
  }
  baton__sb sb;
  baton__sb_init(&sb);
  if (code) {
    label(code, now, sizeof now);
    baton__sb_addf(&sb, "source language %s: the request named none, and local/textcat "
                        "identified the text as it", now);
  } else if (src) {
    baton__sb_addf(&sb, "source language %s, assumed: the request named none, and %s", was, why);
  } else { /* an LLM's plan named none: the translator is sent none, as planned */
    baton__sb_addf(&sb, "source language not sent: the request named none, and %s", why);
  }
  if (!baton__sb_ok(&sb) || (code && set_source(in, code) != 0)) {
    baton__sb_release(&sb);
    return -1;
  }
  baton__log(run->ctx, BATON_LOG_INFO, "run %s task %d: %s", run->id, run->g.tasks[idx].id,
             sb.buf);
  *note = baton__sb_detach(&sb);
  return 0;
}
