/* run_save.c — a task's results kept as its save_as asks: a text written to the file named, a picture or sound another executor wrote in another format converted by a local one, the task failed when neither can be. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/util.h"
#include "planner/output_names.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* What of out to write: the JSON result for a ".json" name (the boxes beside a detector's
 * picture) or a task with no text, else the text; NULL when the task wrote its own file (a
 * picture, a sound) or has nothing to save. */
static const baton__value *what_to_save(const baton__values *out, const char *format) {
  const baton__value *text = baton__values_get_type(out, BATON__T_TEXT);
  const baton__value *json = baton__values_get_type(out, BATON__T_JSON);
  if (json && strcmp(format, "json") == 0)
    return json;
  for (size_t i = 0; i < out->n; i++)
    if (baton__is_file_output(out->v[i].name, out->v[i].type))
      return NULL;
  return text ? text : json;
}

/* A text task with a save_as writes its text (its JSON for "x.json" or when it has no text) into
 * the run folder under that name and adds the path to out as BATON__OUTPUT_FILE. 0 (nothing to
 * write too: the task wrote its own file), or -1 with err (the result stays in out). */
static int save_text(baton_run *run, const baton__task *t, baton__values *out, char *err,
                     size_t errlen) {
  const char *name = baton__task_literal(t, BATON__ARG_SAVE_AS);
  char format[BATON__SAVE_AS_MAX + 1];
  baton__task_file_format(t, format, sizeof format);
  const baton__value *v = baton__save_as_ok(name) ? what_to_save(out, format) : NULL;
  if (!v || !v->data)
    return 0;
  char file[BATON__SAVE_AS_MAX + 8];
  baton__fmt(file, sizeof file, "%s%s", name, format[0] ? "" :
             v->type == BATON__T_JSON ? ".json" : ".txt"); /* "save it as notes": notes.txt */
  char *path = baton__path_join(run->workspace, file);
  if (!path) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  size_t n = strlen(v->data);
  char *body = malloc(n + 2), why[256] = "out of memory"; /* a text file ends with a newline */
  if (body) {
    memcpy(body, v->data, n);
    if (n == 0 || body[n - 1] != '\n')
      body[n++] = '\n';
  }
  if (!body || baton__write_file(path, body, n, why, sizeof why) != 0) {
    baton__fmt(err, errlen, "the result is kept here but could not be saved as %s: %s", file,
               why);
    free(body);
    free(path);
    return -1;
  }
  free(body);
  if (baton__values_add_own(out, BATON__OUTPUT_FILE, 0, baton__path_absolute(path)) != 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* The local executors that rewrite a picture or a sound in another format. */
static const struct {
  unsigned type;
  const char *endpoint, *model, *task;
} converters[] = {
    {BATON__T_IMAGE, "local:vips", "local/vips", "image-to-image"},
    {BATON__T_AUDIO, "local:sndfile", "local/sndfile", "audio-to-audio"},
};

/* Does path end in the extension `format` names ("x.jpeg" is a "jpg", "x.tif" a "tiff")? */
static bool has_format(const char *path, const char *format) {
  static const char *const same[][2] = {{"jpg", "jpeg"}, {"tif", "tiff"}};
  const char *dot = strrchr(path, '.');
  if (!dot || strchr(dot, '/'))
    return false;
  bool ok = strcasecmp(dot + 1, format) == 0;
  for (size_t i = 0; !ok && i < sizeof same / sizeof same[0]; i++)
    ok = (!strcasecmp(dot + 1, same[i][0]) && !strcmp(format, same[i][1])) ||
         (!strcasecmp(dot + 1, same[i][1]) && !strcmp(format, same[i][0]));
  return ok;
}

/* v, a file of converter c's type, rewritten as `format` by it under the same name ("a-1.png":
 * "a-1.jpg"): v names the new file and the old one goes. false (v as it was) with why set when it
 * cannot. */
static bool convert_file(baton_run *run, size_t c, baton__value *v, const char *format, char *why,
                         size_t whylen) {
  baton *ctx = run->ctx;
  char prefix[256];
  const char *base = strrchr(v->data, '/') ? strrchr(v->data, '/') + 1 : v->data;
  const char *dot = strrchr(base, '.');
  if (!dot || !baton__endpoint_ok(ctx, converters[c].endpoint, why, whylen)) {
    if (!dot) /* (a file with no extension is left as it is) */
      baton__fmt(why, whylen, "%s has no extension to convert from", base);
    return false;
  }
  baton__fmt(prefix, sizeof prefix, "%.*s", (int)(dot - base), base);
  baton__values in = {0}, res = {0};
  baton__exec_env env = {.cfg = &ctx->cfg, .workspace = run->workspace, .file_prefix = prefix,
                         .file_format = format, .cancel = &run->cancel,
                         .timeout_ms = ctx->cfg.task_timeout_ms, .model = converters[c].model,
                         .endpoint = converters[c].endpoint};
  bool ok = baton__values_add(&in, baton__type_name(v->type), v->type, v->data) == 0 &&
            baton__values_add(&in, "instruction", 0, "convert") == 0 &&
            baton__slot_run(baton__slot(ctx, converters[c].endpoint), converters[c].task, &in,
                            &env, &res) == 0;
  const baton__value *got = ok ? baton__values_get_type(&res, v->type) : NULL;
  char *path = got && got->data ? baton__strdup(got->data) : NULL;
  if (path && has_format(path, format) && strcmp(path, v->data) != 0) {
    unlink(v->data);
    free(v->data);
    v->data = path;
  } else {
    if (path && strcmp(path, v->data) != 0)
      unlink(path); /* written in a format other than the one asked for */
    free(path);
    path = NULL;
    baton__fmt(why, whylen, "%s", env.err[0] ? env.err : "no file came back");
    baton__log(ctx, BATON_LOG_WARN, "run %s: %s kept as it was, not converted to %s: %s", run->id,
               v->data, format, why);
  }
  baton__values_release(&in);
  baton__values_release(&res);
  return path != NULL;
}

/* Each picture or sound in out not in `format` rewritten by its converter; why says why the last
 * that could not be was not. */
static void convert_files(baton_run *run, const char *format, baton__values *out, char *why,
                          size_t whylen) {
  for (size_t i = 0; format[0] && i < out->n; i++)
    for (size_t c = 0; c < sizeof converters / sizeof converters[0]; c++)
      if (out->v[i].type == converters[c].type && out->v[i].data &&
          !has_format(out->v[i].data, format))
        convert_file(run, c, &out->v[i], format, why, whylen);
}

/* The first file in out, else NULL; with `format`, the first file in that format. */
static const char *file_in(const baton__values *out, const char *format) {
  for (size_t i = 0; i < out->n; i++)
    if (baton__is_file_output(out->v[i].name, out->v[i].type) && out->v[i].data &&
        (!format || has_format(out->v[i].data, format)))
      return out->v[i].data;
  return NULL;
}

int baton__run_keep_as_asked(baton_run *run, const baton__task *t, baton__values *out, char *err,
                             size_t errlen) {
  char format[BATON__SAVE_AS_MAX + 1], why[512] = "";
  baton__task_file_format(t, format, sizeof format);
  convert_files(run, format, out, why, sizeof why);
  if (save_text(run, t, out, err, errlen) != 0)
    return -1;
  if (!format[0] || file_in(out, format))
    return 0;
  const char *kept = file_in(out, NULL);
  baton__fmt(err, errlen, "the result is kept %s%s but could not be saved as %s: %s",
             kept ? "as " : "here", kept ? kept : "",
             baton__task_literal(t, BATON__ARG_SAVE_AS),
             why[0] ? why : "nothing here writes that format");
  return -1;
}
