/* baton_models.c — `baton models`: list, search/explain, show, add, remove, enable/disable, import, export, sync. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/banned.h"

static void print_desc(const char *d) {
  printf("    %.160s%s\n", d, strlen(d) > 160 ? "…" : "");
}

static void print_parts(const cJSON *m) {
  printf("    score %.3f = relevance %.3f + popularity %.3f + health %.3f + local bonus %.3f",
         cli_jnum(m, "score"), cli_jnum(m, "relevance"), cli_jnum(m, "popularity"),
         cli_jnum(m, "health"), cli_jnum(m, "local_bonus"));
  if (cJSON_GetObjectItemCaseSensitive(m, "kind_bonus"))
    printf(" + task kind %.3f", cli_jnum(m, "kind_bonus"));
  if (cJSON_GetObjectItemCaseSensitive(m, "runnable_bonus"))
    printf(" + runs here %.3f", cli_jnum(m, "runnable_bonus"));
  fputc('\n', stdout);
}

static int list_or_search(const opts *o, baton *ctx, bool search) {
  char *json = NULL;
  baton_rc rc;
  bool explain_task = search && o->explain && o->task_filter;
  if (explain_task)
    rc = baton_models_explain(ctx, o->positional, o->task_filter, o->limit ? o->limit : 10, &json);
  else if (search)
    rc = baton_models_search(ctx, o->positional, o->task_filter, o->limit ? o->limit : 10, &json);
  else
    rc = baton_models_list(ctx, o->task_filter, o->limit, &json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (!search)
    cli_note_readonly(ctx);
  if (o->json) {
    cli_print_json(json);
  } else if (explain_task) {
    cJSON *e = cJSON_Parse(json);
    const cJSON *terms = cJSON_GetObjectItemCaseSensitive(e, "terms"), *t, *c;
    printf("task %s, searched words:", cli_jstr(e, "task"));
    cJSON_ArrayForEach(t, terms) printf(" %s", t->valuestring);
    printf("%s\n\n", cJSON_GetArraySize(terms) ? "" : " (none: popularity and health decide)");
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "candidates")) {
      int avail = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "available"));
      int chosen = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "chosen"));
      printf("%s %2d. %-46s %s%s%s%s\n", chosen ? "=>" : "  ", (int)cli_jnum(c, "rank"),
             cli_jstr(c, "id"), cli_jstr(c, "endpoint"), avail ? "" : "  [cannot run: ",
             avail ? "" : cli_jstr(c, "reason"), avail ? "" : "]");
      print_parts(c);
      const cJSON *mw = cJSON_GetObjectItemCaseSensitive(c, "matched");
      if (cJSON_GetArraySize(mw)) {
        fputs("    matched:", stdout);
        cJSON_ArrayForEach(t, mw) printf(" %s", t->valuestring);
        fputc('\n', stdout);
      }
    }
    printf("\nwhy: %s\n", cli_jstr(e, "why"));
    cJSON_Delete(e);
  } else {
    cJSON *arr = cJSON_Parse(json);
    const cJSON *m;
    if (cJSON_GetArraySize(arr) == 0)
      fputs(search ? "no model matches\n" : "no models\n", stderr);
    cJSON_ArrayForEach(m, arr) {
      bool cannot = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "available"));
      printf("%-48s %-28s %s%s%s%s\n", cli_jstr(m, "id"), cli_jstr(m, "task"),
             cli_jstr(m, "endpoint"), cannot ? "  [cannot run: " : "",
             cannot ? cli_jstr(m, "reason") : "", cannot ? "]" : "");
      if (search && o->explain)
        print_parts(m);
      if (o->explain || search)
        print_desc(cli_jstr(m, "description"));
    }
    if (search && o->explain && cJSON_GetArraySize(arr) > 0) {
      const cJSON *first = cJSON_GetArrayItem(arr, 0);
      const cJSON *second = cJSON_GetArrayItem(arr, 1);
      printf("\nwhy: %s ranks first with score %.3f", cli_jstr(first, "id"),
             cli_jnum(first, "score"));
      if (second)
        printf(", %.3f ahead of %s", cli_jnum(first, "score") - cli_jnum(second, "score"),
               cli_jstr(second, "id"));
      printf(". Give --task T to see which model a plan would choose for that task and "
             "which cannot run here.\n");
    }
    cJSON_Delete(arr);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}

static void print_report(const char *json, const char *const *keys) {
  cJSON *r = cJSON_Parse(json);
  for (const char *const *k = keys; *k; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, *k);
    if (cJSON_IsNumber(v))
      printf("%s%s %.0f", k == keys ? "" : ", ", *k, v->valuedouble);
  }
  fputc('\n', stdout);
  const cJSON *sk = cJSON_GetObjectItemCaseSensitive(r, "skipped_tasks"), *t;
  if (cJSON_GetArraySize(sk)) {
    fputs("skipped (task not known to baton):", stdout);
    cJSON_ArrayForEach(t, sk) printf(" %s %.0f", t->string, t->valuedouble);
    fputc('\n', stdout);
  }
  const char *merge = cli_jstr(r, "index_merge");
  if (*merge)
    fprintf(stderr, "baton: the models are stored, but the search index was not compacted (%s); "
                    "searches stay correct and the next import tries again\n", merge);
  cJSON_Delete(r);
}

static void print_show(const char *json) {
  cJSON *m = cJSON_Parse(json);
  printf("%s\n  task        %s\n  endpoint    %s\n  downloads   %.0f\n  likes       %.0f\n",
         cli_jstr(m, "id"), cli_jstr(m, "task"), cli_jstr(m, "endpoint"),
         cli_jnum(m, "downloads"), cli_jnum(m, "likes"));
  printf("  license     %s\n  enabled     %s\n  source      %s%s\n", cli_jstr(m, "license"),
         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "enabled")) ? "yes" : "no",
         cli_jstr(m, "source"),
         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "edited")) ? " (edited here)" : "");
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(m, "tags"), *t;
  fputs("  tags       ", stdout);
  cJSON_ArrayForEach(t, tags) printf(" %s", t->valuestring);
  printf("\n  description %s\n", cli_jstr(m, "description"));
  const cJSON *list[2] = {cJSON_GetObjectItemCaseSensitive(m, "tasks"),
                          cJSON_GetObjectItemCaseSensitive(m, "endpoints")};
  for (int i = 0; i < 2; i++) {
    if (!list[i])
      continue;
    fputs(i ? "  endpoints  " : "  tasks      ", stdout);
    cJSON_ArrayForEach(t, list[i]) printf(" %s", t->valuestring);
    fputc('\n', stdout);
  }
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(m, "health");
  printf("  health      %.0f ok, %.0f failed, failure rate %.2f, score part %.3f\n",
         cli_jnum(h, "successes"), cli_jnum(h, "failures"), cli_jnum(h, "fail_rate"),
         cli_jnum(h, "score_part"));
  if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(h, "latency_ewma_ms")))
    printf("  latency     last %.0f ms, recent %.0f ms, mean %.0f ms\n",
           cli_jnum(h, "last_latency_ms"), cli_jnum(h, "latency_ewma_ms"),
           cli_jnum(h, "avg_latency_ms"));
  if (*cli_jstr(h, "last_error"))
    printf("  last error  %s\n", cli_jstr(h, "last_error"));
  cJSON_Delete(m);
}

static int write_output(const char *path, const char *text) {
  if (!path || !strcmp(path, "-")) {
    fputs(text, stdout);
    return 0;
  }
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) == EOF) {
    if (f)
      fclose(f);
    fprintf(stderr, "baton: cannot write %s\n", path);
    return 1;
  }
  if (fclose(f) != 0) {
    fprintf(stderr, "baton: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

static int add_model(const opts *o, baton *ctx) {
  char *json = NULL;
  if (o->positional[0] == '{') {
    json = strdup(o->positional);
  } else {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", o->positional);
    if (o->task_filter)
      cJSON_AddStringToObject(m, "task", o->task_filter);
    if (o->endpoint)
      cJSON_AddStringToObject(m, "endpoint", o->endpoint);
    if (o->description)
      cJSON_AddStringToObject(m, "description", o->description);
    json = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
  }
  baton_rc rc = json ? baton_models_add(ctx, json) : BATON_NOMEM;
  free(json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (!o->quiet)
    fprintf(stderr, "saved %s\n", o->positional[0] == '{' ? "the model" : o->positional);
  baton_close(ctx);
  return 0;
}

static int set_enabled(const opts *o, baton *ctx, bool on) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "id", o->positional);
  cJSON_AddBoolToObject(m, "enabled", on);
  char *json = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  /* Only an existing model can be switched. */
  char *shown = NULL;
  baton_rc rc = baton_models_show(ctx, o->positional, &shown);
  baton_free(shown);
  if (rc == BATON_OK)
    rc = baton_models_add(ctx, json);
  cJSON_free(json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (!o->quiet)
    fprintf(stderr, "%s %s\n", on ? "enabled" : "disabled", o->positional);
  baton_close(ctx);
  return 0;
}

int cmd_models(const opts *o) {
  char subcommands[160];
  cli_subcommands("models", subcommands, sizeof subcommands);
  if (!o->sub)
    cli_die_usage("models needs a subcommand: %s", subcommands);
  const char *s = o->sub;
  bool needs_arg = !strcmp(s, "search") || !strcmp(s, "show") || !strcmp(s, "add") ||
                   !strcmp(s, "remove") || !strcmp(s, "import") || !strcmp(s, "enable") ||
                   !strcmp(s, "disable");
  bool no_arg = !strcmp(s, "list") || !strcmp(s, "export") || !strcmp(s, "sync");
  if (!needs_arg && !no_arg)
    cli_die_usage("unknown models subcommand '%s' (%s)", s, subcommands);
  if (needs_arg && !o->positional)
    cli_die_usage("models %s needs %s", s,
                  !strcmp(s, "search")   ? "the text to search for"
                  : !strcmp(s, "import") ? "the FILE to import"
                                         : "a model ID");
  if (no_arg && o->positional)
    cli_die_usage("models %s takes no argument '%s'%s", s, o->positional,
                  !strcmp(s, "list") ? "; use models search TEXT" : "");
  if (!strcmp(s, "sync") && !o->task_filter && !o->endpoint)
    cli_die_usage("models sync needs --task T (a pipeline tag such as object-detection) or "
                  "--endpoint NAME (a configured model server)");
  baton *ctx = cli_open(o);
  if (!strcmp(s, "sync") && o->endpoint)
    return cmd_sync_endpoint(o, ctx);
  if (!strcmp(s, "list") || !strcmp(s, "search"))
    return list_or_search(o, ctx, !strcmp(s, "search"));
  if (!strcmp(s, "add"))
    return add_model(o, ctx);
  if (!strcmp(s, "enable") || !strcmp(s, "disable"))
    return set_enabled(o, ctx, !strcmp(s, "enable"));
  if (!strcmp(s, "remove")) {
    baton_rc rc = baton_models_remove(ctx, o->positional);
    if (rc != BATON_OK)
      return cli_fail(ctx, rc);
    if (!o->quiet)
      fprintf(stderr, "removed %s\n", o->positional);
    baton_close(ctx);
    return 0;
  }
  char *json = NULL;
  baton_rc rc;
  if (!strcmp(s, "export")) {
    rc = baton_models_export(ctx, o->format, o->task_filter, &json);
    if (rc != BATON_OK)
      return cli_fail(ctx, rc);
    int w = write_output(o->output, json);
    baton_free(json);
    baton_close(ctx);
    return w ? EXIT_TASK_FAILED : 0;
  }
  if (!strcmp(s, "show"))
    rc = baton_models_show(ctx, o->positional, &json);
  else if (!strcmp(s, "import"))
    rc = baton_models_import(ctx, o->positional, o->format, &json);
  else
    rc = baton_models_sync(ctx, o->task_filter, o->limit ? o->limit : 100, &json);
  if (rc != BATON_OK)
    return cli_fail(ctx, rc);
  if (o->json) {
    cli_print_json(json);
  } else if (!strcmp(s, "show")) {
    print_show(json);
  } else if (!strcmp(s, "import")) {
    static const char *const keys[] = {"models", "inserted", "updated", "unchanged", "skipped",
                                       NULL};
    print_report(json, keys);
  } else {
    static const char *const keys[] = {"fetched", "inserted", "updated", "unchanged",
                                       "kept_local", "skipped", "pages", "retries", NULL};
    print_report(json, keys);
  }
  baton_free(json);
  baton_close(ctx);
  return 0;
}
