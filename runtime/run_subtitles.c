/* run_subtitles.c — subtitles translated cue by cue: the subtitles a step in subtitles mode takes from the one before it, each cue's words given to the executor as a paragraph, and its answer put back between the same times, in a subtitles file. */
#include <stdlib.h>
#include <string.h>

#include "core/subcues.h"
#include "core/util.h"
#include "planner/output_names.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* The tasks that keep subtitles' cues: they answer a paragraph for each paragraph they get. */
static const char *const cue_tasks[] = {"translation", NULL};

/* The mode a task in subtitles mode has ("make Spanish subtitles for talk.wav"). */
#define SUBS_MODE "subtitles"

int baton__run_subs_from(baton_run *run, const baton__task *t, const baton__values *made,
                         baton__values *in, char *err, size_t errlen) {
  const char *mode = baton__task_literal(t, "mode");
  if (!mode || strcmp(mode, SUBS_MODE) != 0)
    return 0;
  for (size_t i = 0; i < made->n; i++) {
    const baton__value *v = &made->v[i];
    if (!baton__is_file_output(v->name, v->type) || !v->data ||
        baton__type_of_path(v->data) != BATON__T_TEXT)
      continue;
    char *subs = NULL;
    size_t len = 0;
    if (baton__read_file(v->data, run->ctx->cfg.max_text_bytes, &subs, &len, err, errlen) != 0)
      return -1;
    int rc = baton__values_add_own(in, "text", BATON__T_TEXT, subs);
    if (rc != 0)
      baton__fmt(err, errlen, "too many arguments");
    return rc == 0 ? 1 : -1;
  }
  return 0; /* it made none: its plain text is taken ("... translate it for the subtitles") */
}

bool baton__run_subs_keeps(const char *task) {
  for (size_t i = 0; cue_tasks[i]; i++)
    if (strcmp(cue_tasks[i], task) == 0)
      return true;
  return false;
}

/* Tasks given subtitles as they are: a question may ask when something is said. */
static const char *const timed_tasks[] = {"question-answering", NULL};

int baton__run_subs_take(const baton__task *t, baton__values *in, char **subs, char *err,
                         size_t errlen) {
  *subs = NULL;
  bool keeps = baton__run_subs_keeps(t->task), timed = false;
  for (size_t k = 0; timed_tasks[k]; k++)
    timed |= strcmp(timed_tasks[k], t->task) == 0;
  for (size_t i = 0; !timed && i < in->n; i++) {
    baton__value *v = &in->v[i];
    char *lines = NULL;
    size_t n = 0;
    int is = v->type == BATON__T_TEXT && v->data && !strcmp(v->name, "text")
                 ? baton__subcues_lines(v->data, &lines, &n) : 0;
    if (is < 0 && keeps) {
      baton__fmt(err, errlen, "the subtitles have more than %d cues, or memory ran out",
                 BATON__SUBCUES_MAX);
      return -1;
    }
    if (is == 1 && keeps) {
      *subs = v->data;
      v->data = lines;
      return 0;
    }
    if (is == 1) { /* summarized, read out, classified: the words alone, no numbers and times */
      free(v->data);
      v->data = lines;
    } else {
      free(lines);
    }
  }
  return 0;
}

/* The path of the subtitles file of task t (its file name, subs' format) in the run's folder;
 * NULL with err. */
static char *subs_path(baton_run *run, const baton__task *t, const char *subs, char *err,
                       size_t errlen) {
  char prefix[BATON__SAVE_AS_MAX + 1], name[BATON__SAVE_AS_MAX + 8];
  baton__task_file_prefix(t, prefix, sizeof prefix);
  baton__fmt(name, sizeof name, "%s.%s", prefix, baton__subcues_format(subs));
  char *path = baton__path_join(run->workspace, name);
  if (!path)
    baton__fmt(err, errlen, "out of memory");
  else if (baton__mkdirs(run->workspace, 0700) != 0) {
    baton__fmt(err, errlen, "cannot create the run folder %s", run->workspace);
    free(path);
    path = NULL;
  }
  return path;
}

int baton__run_subs_refill(baton_run *run, const baton__task *t, const char *subs,
                           baton__values *out, char *err, size_t errlen) {
  baton__value *text = NULL;
  for (size_t i = 0; !text && i < out->n; i++)
    text = out->v[i].type == BATON__T_TEXT && out->v[i].data ? &out->v[i] : NULL;
  char why[200] = "no text came back";
  char *refilled = text ? baton__subcues_refill(subs, text->data, why, sizeof why) : NULL;
  if (!refilled) {
    baton__fmt(err, errlen, "the subtitles could not be put back together: %s", why);
    return -1;
  }
  char format[16];
  baton__task_file_format(t, format, sizeof format); /* "save it as es.vtt": WebVTT */
  bool vtt = !strcmp(format, "vtt") ||
             (strcmp(format, "srt") != 0 && !strcmp(baton__subcues_format(subs), "vtt"));
  if (strcmp(baton__subcues_format(refilled), vtt ? "vtt" : "srt") != 0) {
    char *as = baton__subcues_as(refilled, vtt);
    free(refilled);
    if (!(refilled = as)) {
      baton__fmt(err, errlen, "out of memory");
      return -1;
    }
  }
  free(text->data);
  text->data = refilled;
  if (baton__task_literal(t, BATON__ARG_SAVE_AS))
    return 0; /* kept under the name asked for (baton__run_keep_as_asked) */
  char *path = subs_path(run, t, refilled, err, errlen);
  if (!path || baton__write_file(path, refilled, strlen(refilled), why, sizeof why) != 0) {
    if (path)
      baton__fmt(err, errlen, "could not write the subtitles: %s", why);
    free(path);
    return -1;
  }
  if (baton__values_add_own(out, BATON__OUTPUT_FILE, 0, baton__path_absolute(path)) != 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}
