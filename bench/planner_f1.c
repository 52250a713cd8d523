/* planner_f1.c — scores the offline planner on TaskBench records: pooled node and edge F1, plans/second. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "planner/offline.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "core/banned.h"

/*
 * Usage: planner_f1 [DATA.jsonl] [-v] [--plans] [-n N] [--range A-B] [--lexicon FILE]
 *                   | -r REQUEST [-m MESSAGES]
 *   DATA defaults to ../shared/data/taskbench/huggingface/data_part.jsonl
 *   relative to the source root. tool_desc.json next to it (when present)
 *   names the tools: predicted names that are not tools are ignored.
 *   -v prints every record whose plan differs from the gold one; --plans prints every plan
 *   (records', then cases') as one JSON line, to diff two versions of the planner.
 *   -n N scores the first N records only.
 *   --range A-B scores records A to B (0-based, inclusive) only: the
 *   offline planner's weights and rules are written on the training split
 *   0-279; 280-419 is the frozen split they are reported on.
 *   -r REQUEST plans one request and prints the task graph (JSON); -m
 *   MESSAGES gives it earlier turns (a messages JSON array); -x KIND plans
 *   as if no model could run that task kind (repeatable; with DATA too).
 *   --lexicon FILE plans with another lexicon (bench/fit_weights.py).
 *   --cases FILE also plans the wordings of a case table (tests/planner/
 *   offline_cases.tsv) and prints how many come out exactly as written.
 *
 * Metric (TaskBench's): per record, node set = tool names, edge set =
 * (source tool, target tool) pairs; counts are pooled over all records and
 * F1 = 2TP / (2TP + FP + FN). Names compare case-insensitively with '_',
 * ' ' and '-' treated alike ("Image-to-Text" = "image-to-text",
 * "Object Detection" = "object-detection").
 * Gold edges: "task_links" as TaskBench's evaluator reads them (objects
 * with string source and target); the column "edge(args)" takes them from
 * the "<node-j>" arguments instead (data/README.md's wording; j read as
 * 0-based, which gives self-loops where the data counts from 1).
 */

#ifndef BATON_SOURCE_DIR
#define BATON_SOURCE_DIR "."
#endif

#define MAX_SET 64
#define NAME_CAP 96
#define MAX_LINE (1u << 20)

typedef struct {
  char items[MAX_SET][2 * NAME_CAP + 4];
  size_t n;
} strset;

static void norm_name(const char *s, char *out, size_t cap) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    out[i] = (c == '_' || c == ' ') ? '-' : c;
  }
  out[i] = '\0';
}

static bool set_has(const strset *s, const char *v) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->items[i], v) == 0)
      return true;
  return false;
}

static void set_add(strset *s, const char *v) {
  if (!set_has(s, v) && s->n < MAX_SET)
    baton__fmt(s->items[s->n++], sizeof s->items[0], "%s", v);
}

static void set_add_edge(strset *s, const char *a, const char *b) {
  char e[2 * NAME_CAP + 4];
  baton__fmt(e, sizeof e, "%s>%s", a, b);
  set_add(s, e);
}

typedef struct {
  long tp, fp, fn;
} counts;

static void score_sets(const strset *pred, const strset *gold, counts *c) {
  for (size_t i = 0; i < pred->n; i++)
    set_has(gold, pred->items[i]) ? c->tp++ : c->fp++;
  for (size_t i = 0; i < gold->n; i++)
    if (!set_has(pred, gold->items[i]))
      c->fn++;
}

static double f1(const counts *c) {
  double d = 2.0 * (double)c->tp + (double)c->fp + (double)c->fn;
  return d > 0 ? 2.0 * (double)c->tp / d : 0.0;
}

static double ratio(long a, long b) { return b > 0 ? (double)a / (double)b : 0.0; }

/* F1 as text; "-" when there is nothing to count (no gold, no prediction). */
static void fmt_f1(const counts *c, char *out, size_t cap) {
  if (2 * c->tp + c->fp + c->fn == 0)
    baton__fmt(out, cap, "-");
  else
    baton__fmt(out, cap, "%.4f", f1(c));
}

/* The fixed split: rules and weights are fitted on records before
 * SPLIT_FROZEN, never on those from it on. */
#define SPLIT_FROZEN 280

enum { G_ALL, G_SINGLE, G_CHAIN, G_DAG, G_TRAIN, G_FROZEN, G_N };
static const char *const group_names[G_N] = {"all", "single", "chain", "dag",
                                             "train", "frozen"};

typedef struct {
  counts node, edge, edge_args;
  long records;
  long failed; /* requests the planner refused */
} group;

/* ---- a temporary registry seeded with the shipped catalogue ------------ */

extern const unsigned char baton__catalogue_yaml[];
extern const size_t baton__catalogue_yaml_len;

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char *p = baton__path_join(dir, e->d_name);
      if (p)
        unlink(p);
      free(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* --plans: each plan on one line ("plan: JSON", or "plan: not planned: why"), to compare the
 * plans of two versions of the planner line by line. */
static void print_plan(const baton__graph *g, bool ok, const char *err) {
  cJSON *j = ok ? baton__graph_to_json(g) : NULL;
  char *text = j ? cJSON_PrintUnformatted(j) : NULL;
  printf("plan: %s%s\n", text ? "" : "not planned: ", text ? text : err);
  free(text);
  cJSON_Delete(j);
}

/* ---- the case table ------------------------------------------------------ */

/* Plans every case of a TSV table (request, inputs or -, messages or -,
 * expected brief) and prints how many match; -v prints the others. */
static void score_cases(const char *path, baton__offline_req req, bool verbose, bool plans) {
  char *text = NULL, err[512];
  size_t len = 0, n = 0, ok = 0;
  if (baton__read_file(path, 1u << 22, &text, &len, err, sizeof err) != 0) {
    printf("cases: %s\n", err);
    return;
  }
  for (char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
    if ((eol = strchr(line, '\n')) != NULL)
      *eol = '\0';
    if (!*line)
      continue;
    char *f[4] = {line, NULL, NULL, NULL};
    for (int k = 1; k < 4 && f[k - 1]; k++)
      if ((f[k] = strchr(f[k - 1], '\t')) != NULL)
        *f[k]++ = '\0';
    if (line[0] == '#' || !f[3])
      continue;
    const char *inputs[1] = {f[1]};
    req.request = f[0];
    req.inputs = strcmp(f[1], "-") && !strchr(f[1], ',') ? inputs : NULL;
    req.n_inputs = req.inputs ? 1 : 0;
    req.messages_json = strcmp(f[2], "-") ? f[2] : NULL;
    baton__graph g = {NULL, 0};
    char *got = baton__plan_offline_req(&req, &g, err, sizeof err) == 0 ? baton__graph_brief(&g)
                                                                          : NULL;
    bool same = got && strcmp(got, f[3]) == 0;
    if (plans)
      print_plan(&g, got != NULL, err);
    ok += same;
    n++;
    if (verbose && !same)
      printf("case: %s\n    want: %s\n    got:  %s\n", f[0], f[3], got ? got : err);
    free(got);
    baton__graph_release(&g);
  }
  printf("cases: %zu of %zu planned as written\n", ok, n);
  free(text);
}

/* ---- reading the records ----------------------------------------------- */

static void gold_nodes(const cJSON *rec, strset *nodes, char names[][NAME_CAP], size_t *n_names) {
  const cJSON *tn = cJSON_GetObjectItemCaseSensitive(rec, "task_nodes");
  const cJSON *node;
  *n_names = 0;
  /* one record keeps its nodes in an object of steps: the same loop reads it */
  cJSON_ArrayForEach(node, tn) {
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(node, "task");
    char nm[NAME_CAP] = "";
    if (cJSON_IsString(task)) {
      norm_name(task->valuestring, nm, sizeof nm);
      set_add(nodes, nm);
    }
    if (*n_names < MAX_SET)
      baton__fmt(names[(*n_names)++], NAME_CAP, "%s", nm);
  }
}

static void gold_links(const cJSON *rec, strset *edges) {
  const cJSON *link;
  cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(rec, "task_links")) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(link, "source");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(link, "target");
    if (cJSON_IsString(s) && cJSON_IsString(t) && s->valuestring[0] && t->valuestring[0]) {
      char a[NAME_CAP], b[NAME_CAP];
      norm_name(s->valuestring, a, sizeof a);
      norm_name(t->valuestring, b, sizeof b);
      set_add_edge(edges, a, b);
    }
  }
}

static void gold_arg_edges(const cJSON *rec, char names[][NAME_CAP], size_t n_names,
                           strset *edges) {
  const cJSON *tn = cJSON_GetObjectItemCaseSensitive(rec, "task_nodes");
  const cJSON *node;
  size_t k = 0;
  cJSON_ArrayForEach(node, tn) {
    const cJSON *arg;
    cJSON_ArrayForEach(arg, cJSON_GetObjectItemCaseSensitive(node, "arguments")) {
      if (!cJSON_IsString(arg))
        continue;
      const char *s = arg->valuestring;
      while ((s = strstr(s, "<node-")) != NULL) {
        char *end;
        long j = strtol(s + 6, &end, 10);
        if (end != s + 6 && *end == '>' && j >= 0 && (size_t)j < n_names && k < n_names &&
            names[j][0] && names[k][0])
          set_add_edge(edges, names[j], names[k]);
        s += 6;
      }
    }
    k++;
  }
}

static void load_tools(const char *data_path, strset *tools) {
  tools->n = 0;
  const char *slash = strrchr(data_path, '/');
  char path[4096];
  baton__fmt(path, sizeof path, "%.*stool_desc.json", slash ? (int)(slash - data_path + 1) : 0,
             data_path);
  char *text = NULL;
  size_t len = 0;
  char err[256];
  if (baton__read_file(path, 1u << 22, &text, &len, err, sizeof err) != 0)
    return;
  cJSON *desc = cJSON_ParseWithLength(text, len);
  const cJSON *node;
  cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(desc, "nodes")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "id");
    if (cJSON_IsString(id)) {
      char nm[NAME_CAP];
      norm_name(id->valuestring, nm, sizeof nm);
      set_add(tools, nm);
    }
  }
  cJSON_Delete(desc);
  free(text);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_set(const char *label, const strset *s) {
  printf("    %s:", label);
  for (size_t i = 0; i < s->n; i++)
    printf(" %s", s->items[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  const char *data_path = NULL;
  const char *one = NULL, *messages = NULL, *lexicon_path = NULL, *off[16], *cases = NULL;
  size_t n_off = 0;
  long limit = -1, from = 0, to = -1;
  bool verbose = false, print_plans = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0)
      verbose = true;
    else if (strcmp(argv[i], "--plans") == 0)
      print_plans = true;
    else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
      one = argv[++i];
    else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc && n_off < 16)
      off[n_off++] = argv[++i];
    else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
      messages = argv[++i];
    else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
      cases = argv[++i];
    else if (strcmp(argv[i], "--lexicon") == 0 && i + 1 < argc)
      lexicon_path = argv[++i];
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      limit = atol(argv[++i]);
    else if (strcmp(argv[i], "--range") == 0 && i + 1 < argc) {
      char *end = NULL;
      from = strtol(argv[++i], &end, 10);
      to = end && *end == '-' ? strtol(end + 1, &end, 10) : -1;
      if (!end || *end || from < 0 || to < from) {
        fprintf(stderr, "planner_f1: --range wants A-B with 0 <= A <= B\n");
        return 2;
      }
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("usage: %s [DATA.jsonl] [-v] [--plans] [-n N] [--range A-B] [--lexicon FILE] [--cases FILE] | -r REQUEST "
             "[-m MESSAGES] [-x KIND]...\n", argv[0]);
      return 0;
    } else
      data_path = argv[i];
  }
  char default_path[4096];
  if (!data_path) {
    baton__fmt(default_path, sizeof default_path,
               "%s/../shared/data/taskbench/huggingface/data_part.jsonl", BATON_SOURCE_DIR);
    data_path = default_path;
  }
  if (!one && access(data_path, R_OK) != 0) {
    printf("planner_f1: %s is absent; nothing to measure (the TaskBench data lives in "
           "../shared/data, see its README)\n",
           data_path);
    return 0;
  }

  char tmpl[] = "/tmp/planner_f1.XXXXXX";
  if (!mkdtemp(tmpl)) {
    perror("planner_f1: mkdtemp");
    return 1;
  }
  char *db = baton__path_join(tmpl, "registry.db");
  char err[512] = "";
  baton__registry *reg = NULL;
  if (!db || baton__registry_open(db, (const char *)baton__catalogue_yaml,
                                  baton__catalogue_yaml_len, &reg, err, sizeof err) != 0) {
    fprintf(stderr, "planner_f1: cannot open a registry: %s\n", err);
    free(db);
    remove_tree(tmpl);
    return 1;
  }
  size_t n_tasks = 0;
  const baton__taskspec *tasks = baton__registry_tasks(reg, &n_tasks);
  char *lexicon = NULL;
  size_t lexicon_len = 0;
  if (lexicon_path &&
      baton__read_file(lexicon_path, 1u << 20, &lexicon, &lexicon_len, err, sizeof err) != 0) {
    fprintf(stderr, "planner_f1: %s\n", err);
    return 1;
  }
  unsigned char runnable[256];
  for (size_t t = 0; t < n_tasks && t < sizeof runnable; t++) {
    runnable[t] = 1;
    for (size_t k = 0; k < n_off; k++)
      runnable[t] &= strcmp(tasks[t].name, off[k]) != 0;
  }
  baton__offline_req req = {.tasks = tasks, .n_tasks = n_tasks, .lexicon_yaml = lexicon,
                            .lexicon_len = lexicon_len,
                            .runnable = n_off && n_tasks <= sizeof runnable ? runnable : NULL};

  if (one) {
    baton__graph g1 = {NULL, 0};
    char note[256] = "";
    req.request = one;
    req.messages_json = messages;
    req.note = note;
    req.notelen = sizeof note;
    int rc = baton__plan_offline_req(&req, &g1, err, sizeof err);
    if (rc == 0) {
      cJSON *j = baton__graph_to_json(&g1);
      char *out = j ? cJSON_Print(j) : NULL;
      printf("%s\n%s%s", out ? out : "(out of memory)", note, note[0] ? "\n" : "");
      free(out);
      cJSON_Delete(j);
    } else {
      printf("not planned: %s\n", err);
    }
    baton__graph_release(&g1);
    baton__registry_close(reg);
    free(lexicon);
    free(db);
    remove_tree(tmpl);
    return rc == 0 ? 0 : 1;
  }

  strset tools;
  load_tools(data_path, &tools);

  FILE *f = fopen(data_path, "r");
  if (!f) {
    perror("planner_f1: open");
    baton__registry_close(reg);
    free(db);
    remove_tree(tmpl);
    return 1;
  }
  /* Count the records first (-n caps the count). */
  char *line = malloc(MAX_LINE);
  long total = 0;
  while (line && fgets(line, (int)MAX_LINE, f))
    if (line[0] == '{')
      total++;
  rewind(f);
  if (limit >= 0 && limit < total)
    total = limit;

  group groups[G_N];
  memset(groups, 0, sizeof groups);
  double plan_time = 0;
  long plans = 0, planned = 0, no_gold = 0, nontool = 0, idx = 0;
  while (line && idx < total && fgets(line, (int)MAX_LINE, f)) {
    if (line[0] != '{')
      continue;
    cJSON *rec = cJSON_Parse(line);
    if (!rec)
      continue;
    long rno = idx++;
    if (rno < from || (to >= 0 && rno > to)) {
      cJSON_Delete(rec);
      continue;
    }
    strset gnodes = {.n = 0}, gedges = {.n = 0}, gargs = {.n = 0};
    strset pnodes = {.n = 0}, pedges = {.n = 0};
    char names[MAX_SET][NAME_CAP];
    size_t n_names = 0;
    gold_nodes(rec, &gnodes, names, &n_names);
    gold_links(rec, &gedges);
    gold_arg_edges(rec, names, n_names, &gargs);

    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rec, "instruction");
    if (!cJSON_IsString(ins)) /* user_requests.json: requests without ground truth */
      ins = cJSON_GetObjectItemCaseSensitive(rec, "user_request");
    bool has_gold = cJSON_GetObjectItemCaseSensitive(rec, "task_nodes") != NULL;
    no_gold += !has_gold;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
    baton__graph g = {NULL, 0};
    bool ok = false;
    if (cJSON_IsString(ins)) {
      double t0 = now_s();
      req.request = ins->valuestring;
      ok = baton__plan_offline_req(&req, &g, err, sizeof err) == 0;
      plan_time += now_s() - t0;
      plans++;
      if (print_plans)
        print_plan(&g, ok, err);
    }
    if (ok) {
      for (size_t i = 0; i < g.n; i++) {
        char nm[NAME_CAP];
        norm_name(g.tasks[i].task, nm, sizeof nm);
        if (tools.n && !set_has(&tools, nm)) {
          nontool++;
          continue; /* not a tool: ignored */
        }
        set_add(&pnodes, nm);
        for (size_t d = 0; d < g.tasks[i].n_deps; d++) {
          int k = baton__graph_find(&g, g.tasks[i].deps[d]);
          if (k < 0)
            continue;
          char src[NAME_CAP];
          norm_name(g.tasks[k].task, src, sizeof src);
          if (tools.n && !set_has(&tools, src))
            continue;
          set_add_edge(&pedges, src, nm);
        }
      }
    }
    int which[3] = {G_ALL, G_ALL, rno < SPLIT_FROZEN ? G_TRAIN : G_FROZEN};
    if (cJSON_IsString(type)) {
      if (strcmp(type->valuestring, "single") == 0)
        which[1] = G_SINGLE;
      else if (strcmp(type->valuestring, "chain") == 0)
        which[1] = G_CHAIN;
      else if (strcmp(type->valuestring, "dag") == 0)
        which[1] = G_DAG;
    }
    if (ok)
      planned++;
    for (int w = 0; w < 3 && has_gold; w++) {
      if (w == 1 && which[1] == G_ALL)
        continue;
      group *gr = &groups[which[w]];
      score_sets(&pnodes, &gnodes, &gr->node);
      score_sets(&pedges, &gedges, &gr->edge);
      score_sets(&pedges, &gargs, &gr->edge_args);
      gr->records++;
      gr->failed += !ok;
    }
    if (verbose) {
      counts nc = {0, 0, 0}, ec = {0, 0, 0};
      score_sets(&pnodes, &gnodes, &nc);
      score_sets(&pedges, &gedges, &ec);
      if (has_gold && (nc.fp || nc.fn || ec.fp || ec.fn)) {
        printf("#%ld [%s] %s\n", rno, cJSON_IsString(type) ? type->valuestring : "?",
               cJSON_IsString(ins) ? ins->valuestring : "");
        if (!ok)
          printf("    planner: %s\n", err);
        print_set("gold nodes", &gnodes);
        print_set("pred nodes", &pnodes);
        print_set("gold edges", &gedges);
        print_set("pred edges", &pedges);
      }
    }
    baton__graph_release(&g);
    cJSON_Delete(rec);
  }
  fclose(f);
  free(line);

  printf("Offline planner on %s\n", data_path);
  printf("%-12s %8s %8s %8s %11s %8s\n", "records", "n", "node F1", "edge F1", "edge(args)",
         "refused");
  for (int i = 0; i < G_N; i++) {
    char e1[16], e2[16];
    fmt_f1(&groups[i].edge, e1, sizeof e1);
    fmt_f1(&groups[i].edge_args, e2, sizeof e2);
    printf("%-12s %8ld %8.4f %8s %11s %8ld\n", group_names[i], groups[i].records,
           f1(&groups[i].node), e1, e2, groups[i].failed);
  }
  printf("('-': no edges in the gold plans nor in the predicted ones)\n");
  printf("pooled counts (all): nodes tp %ld fp %ld fn %ld (P %.3f R %.3f); "
         "edges tp %ld fp %ld fn %ld (P %.3f R %.3f)\n",
         groups[G_ALL].node.tp, groups[G_ALL].node.fp, groups[G_ALL].node.fn,
         ratio(groups[G_ALL].node.tp, groups[G_ALL].node.tp + groups[G_ALL].node.fp),
         ratio(groups[G_ALL].node.tp, groups[G_ALL].node.tp + groups[G_ALL].node.fn),
         groups[G_ALL].edge.tp, groups[G_ALL].edge.fp, groups[G_ALL].edge.fn,
         ratio(groups[G_ALL].edge.tp, groups[G_ALL].edge.tp + groups[G_ALL].edge.fp),
         ratio(groups[G_ALL].edge.tp, groups[G_ALL].edge.tp + groups[G_ALL].edge.fn));
  printf("split: train = records 0-%d, frozen = records %d-%ld (never used for fitting)\n",
         SPLIT_FROZEN - 1, SPLIT_FROZEN, total - 1);
  if (from > 0 || to >= 0)
    printf("scored: records %ld-%ld only\n", from, to >= 0 ? to : total - 1);
  printf("predicted tasks that are not TaskBench tools (ignored): %ld\n", nontool);
  if (no_gold)
    printf("records without ground truth (planned only, not scored): %ld\n", no_gold);
  printf("requests planned: %ld of %ld\n", planned, plans);
  if (cases)
    score_cases(cases, req, verbose, print_plans);
  printf("plans/second: %.0f (%ld plans in %.3f s)\n", plan_time > 0 ? (double)plans / plan_time : 0.0,
         plans, plan_time);

  baton__registry_close(reg);
  free(lexicon);
  free(db);
  remove_tree(tmpl);
  return 0;
}
