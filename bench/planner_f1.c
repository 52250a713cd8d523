/* planner_f1.c — scores the offline planner on TaskBench records: pooled node and edge F1, plans/second. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/planner_worst.h"
#include "core/util.h"
#include "planner/offline.h"
#include "planner/taskgraph.h"
#include "registry/registry.h"
#include "core/banned.h"

/*
 * Usage: planner_f1 [DATA.jsonl] [-v] [--plans] [-n N] [--range A-B] [--lexicon FILE]
 *                   | -r REQUEST [-m MESSAGES] | --worst
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
 *   --worst times requests at the size limit that repeat one phrase (bench/planner_worst.c).
 *   --cases FILE also plans the wordings of a case table (tests/planner/
 *   offline_cases.tsv) and prints how many come out exactly as written.
 *   --reworded FILE asks each record in other words: the "user_request" of
 *   the line of FILE (TaskBench's user_requests.json) with the record's id;
 *   the gold plan stays the record's. Use it with --range 0-279 only: the
 *   frozen split's rewordings are as frozen as its records.
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
    char c = baton__ascii_lower(s[i]);
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
    const char *inputs[16];
    size_t n_in = 0;
    for (char *cur = strcmp(f[1], "-") ? f[1] : NULL, *in; n_in < 16 && cur && *cur; cur = in)
      if ((in = strchr(inputs[n_in++] = cur, ',')) != NULL) /* comma-separated */
        *in++ = '\0';
    req.request = f[0];
    req.inputs = n_in ? inputs : NULL;
    req.n_inputs = n_in;
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

typedef struct {
  const char *data_path, *one, *messages, *lexicon_path, *cases, *reworded, *off[16];
  size_t n_off;
  long limit, from, to;
  bool verbose, print_plans, worst;
} options;

/* Reads the command line into o; -1 to go on, else the exit status (help, a bad --range). */
static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.limit = -1, .to = -1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-v") == 0)
      o->verbose = true;
    else if (strcmp(a, "--plans") == 0)
      o->print_plans = true;
    else if (strcmp(a, "--worst") == 0)
      o->worst = true;
    else if (strcmp(a, "-r") == 0 && next)
      o->one = argv[++i];
    else if (strcmp(a, "-x") == 0 && next && o->n_off < 16)
      o->off[o->n_off++] = argv[++i];
    else if (strcmp(a, "-m") == 0 && next)
      o->messages = argv[++i];
    else if (strcmp(a, "--cases") == 0 && next)
      o->cases = argv[++i];
    else if (strcmp(a, "--reworded") == 0 && next)
      o->reworded = argv[++i];
    else if (strcmp(a, "--lexicon") == 0 && next)
      o->lexicon_path = argv[++i];
    else if (strcmp(a, "-n") == 0 && next)
      o->limit = atol(argv[++i]);
    else if (strcmp(a, "--range") == 0 && next) {
      char *end = NULL;
      o->from = strtol(argv[++i], &end, 10);
      o->to = end && *end == '-' ? strtol(end + 1, &end, 10) : -1;
      if (!end || *end || o->from < 0 || o->to < o->from) {
        fprintf(stderr, "planner_f1: --range wants A-B with 0 <= A <= B\n");
        return 2;
      }
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      printf("usage: %s [DATA.jsonl] [-v] [--plans] [-n N] [--range A-B] [--lexicon FILE] "
             "[--cases FILE] [--reworded FILE] | -r REQUEST [-m MESSAGES] [-x KIND]... | --worst\n",
             argv[0]);
      return 0;
    } else
      o->data_path = a;
  }
  return -1;
}

/* What every plan needs: a temporary registry of the shipped catalogue, the lexicon, the kinds
 * that can run (all but -x's). */
typedef struct {
  char dir[32];
  char *db;
  baton__registry *reg;
  char *lexicon;
  unsigned char runnable[256];
  baton__offline_req req;
} bench_env;

static void env_close(bench_env *e) {
  baton__registry_close(e->reg);
  free(e->lexicon);
  free(e->db);
  remove_tree(e->dir);
}

/* 0, or -1 with the reason on stderr. */
static int env_open(bench_env *e, const options *o) {
  char err[512] = "";
  memset(e, 0, sizeof *e);
  baton__fmt(e->dir, sizeof e->dir, "/tmp/planner_f1.XXXXXX");
  if (!mkdtemp(e->dir)) {
    perror("planner_f1: mkdtemp");
    return -1;
  }
  e->db = baton__path_join(e->dir, "registry.db");
  if (!e->db || baton__registry_open(e->db, (const char *)baton__catalogue_yaml,
                                     baton__catalogue_yaml_len, &e->reg, err, sizeof err) != 0) {
    fprintf(stderr, "planner_f1: cannot open a registry: %s\n", err);
    return env_close(e), -1;
  }
  size_t n_tasks = 0, len = 0;
  const baton__taskspec *tasks = baton__registry_tasks(e->reg, &n_tasks);
  if (o->lexicon_path &&
      baton__read_file(o->lexicon_path, 1u << 20, &e->lexicon, &len, err, sizeof err) != 0) {
    fprintf(stderr, "planner_f1: %s\n", err);
    return env_close(e), -1;
  }
  for (size_t t = 0; t < n_tasks && t < sizeof e->runnable; t++) {
    e->runnable[t] = 1;
    for (size_t k = 0; k < o->n_off; k++)
      e->runnable[t] &= strcmp(tasks[t].name, o->off[k]) != 0;
  }
  e->req = (baton__offline_req){.tasks = tasks, .n_tasks = n_tasks, .lexicon_yaml = e->lexicon,
                                .lexicon_len = len,
                                .runnable = o->n_off && n_tasks <= sizeof e->runnable
                                                ? e->runnable : NULL};
  return 0;
}

/* -r: plans one request and prints its graph (JSON) and what cannot run; the exit status. */
static int plan_one(baton__offline_req req, const options *o) {
  baton__graph g = {NULL, 0};
  char note[256] = "", err[512] = "";
  req.request = o->one;
  req.messages_json = o->messages;
  req.note = note;
  req.notelen = sizeof note;
  int rc = baton__plan_offline_req(&req, &g, err, sizeof err);
  if (rc == 0) {
    cJSON *j = baton__graph_to_json(&g);
    char *out = j ? cJSON_Print(j) : NULL;
    printf("%s\n%s%s", out ? out : "(out of memory)", note, note[0] ? "\n" : "");
    free(out);
    cJSON_Delete(j);
  } else {
    printf("not planned: %s\n", err);
  }
  baton__graph_release(&g);
  return rc == 0 ? 0 : 1;
}

/* The totals of a run over the records. */
typedef struct {
  group groups[G_N];
  strset tools;
  double plan_time;
  long total, plans, planned, no_gold, nontool;
} tally;

/* The plan's tool names and (source, target) tool pairs; names that are not tools are counted
 * in t->nontool and left out. */
static void predicted_sets(const baton__graph *g, tally *t, strset *nodes, strset *edges) {
  const strset *tools = &t->tools;
  for (size_t i = 0; i < g->n; i++) {
    char nm[NAME_CAP];
    norm_name(g->tasks[i].task, nm, sizeof nm);
    if (tools->n && !set_has(tools, nm)) {
      t->nontool++;
      continue; /* not a tool: ignored */
    }
    set_add(nodes, nm);
    for (size_t d = 0; d < g->tasks[i].n_deps; d++) {
      int k = baton__graph_find(g, g->tasks[i].deps[d]);
      if (k < 0)
        continue;
      char src[NAME_CAP];
      norm_name(g->tasks[k].task, src, sizeof src);
      if (!tools->n || set_has(tools, src))
        set_add_edge(edges, src, nm);
    }
  }
}

/* The groups a record counts in: all, its type (or none), its half of the split. */
static void record_groups(const cJSON *type, long rno, int which[3]) {
  static const char *const types[] = {"single", "chain", "dag"};
  which[0] = which[1] = G_ALL;
  which[2] = rno < SPLIT_FROZEN ? G_TRAIN : G_FROZEN;
  for (int k = 0; k < 3 && cJSON_IsString(type); k++)
    if (strcmp(type->valuestring, types[k]) == 0)
      which[1] = G_SINGLE + k;
}

/* -v: a record whose plan differs from the gold one, with both. */
static void print_miss(long rno, const cJSON *type, const cJSON *ins, const char *err,
                       const strset *sets[4]) {
  static const char *const labels[4] = {"gold nodes", "pred nodes", "gold edges", "pred edges"};
  counts nc = {0, 0, 0}, ec = {0, 0, 0};
  score_sets(sets[1], sets[0], &nc);
  score_sets(sets[3], sets[2], &ec);
  if (!nc.fp && !nc.fn && !ec.fp && !ec.fn)
    return;
  printf("#%ld [%s] %s\n", rno, cJSON_IsString(type) ? type->valuestring : "?",
         cJSON_IsString(ins) ? ins->valuestring : "");
  if (err)
    printf("    planner: %s\n", err);
  for (int k = 0; k < 4; k++)
    print_set(labels[k], sets[k]);
}

/* --reworded: the user_requests.json lines, {id, user_request} each (an array; NULL if none). */
static cJSON *g_reworded;

static cJSON *load_reworded(const char *path) {
  FILE *f = fopen(path, "r");
  char *line = malloc(MAX_LINE);
  cJSON *all = f && line ? cJSON_CreateArray() : NULL, *one;
  while (all && fgets(line, (int)MAX_LINE, f))
    if ((one = cJSON_Parse(line)) != NULL)
      cJSON_AddItemToArray(all, one);
  if (f)
    fclose(f);
  free(line);
  return all;
}

/* The record's request in other words (--reworded), or its own "instruction". */
static const cJSON *request_of(const cJSON *rec) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id"), *r;
  cJSON_ArrayForEach(r, g_reworded) {
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(r, "id");
    if (cJSON_IsString(id) && cJSON_IsString(rid) && !strcmp(id->valuestring, rid->valuestring))
      return cJSON_GetObjectItemCaseSensitive(r, "user_request");
  }
  return cJSON_GetObjectItemCaseSensitive(rec, "instruction");
}

/* Plans record rno and counts its plan against its gold one (if it has one). */
static void score_record(const cJSON *rec, long rno, baton__offline_req *req, const options *o,
                         tally *t) {
  strset gnodes = {.n = 0}, gedges = {.n = 0}, gargs = {.n = 0};
  strset pnodes = {.n = 0}, pedges = {.n = 0};
  char names[MAX_SET][NAME_CAP], err[512] = "";
  size_t n_names = 0;
  gold_nodes(rec, &gnodes, names, &n_names);
  gold_links(rec, &gedges);
  gold_arg_edges(rec, names, n_names, &gargs);
  const cJSON *ins = request_of(rec);
  if (!cJSON_IsString(ins)) /* user_requests.json: requests without ground truth */
    ins = cJSON_GetObjectItemCaseSensitive(rec, "user_request");
  bool has_gold = cJSON_GetObjectItemCaseSensitive(rec, "task_nodes") != NULL, ok = false;
  t->no_gold += !has_gold;
  baton__graph g = {NULL, 0};
  if (cJSON_IsString(ins)) {
    double t0 = now_s();
    req->request = ins->valuestring;
    ok = baton__plan_offline_req(req, &g, err, sizeof err) == 0;
    t->plan_time += now_s() - t0;
    t->plans++;
    if (o->print_plans)
      print_plan(&g, ok, err);
  }
  if (ok)
    predicted_sets(&g, t, &pnodes, &pedges);
  baton__graph_release(&g);
  t->planned += ok;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
  int which[3];
  record_groups(type, rno, which);
  for (int w = 0; w < 3 && has_gold; w++) {
    if (w == 1 && which[1] == G_ALL)
      continue;
    group *gr = &t->groups[which[w]];
    score_sets(&pnodes, &gnodes, &gr->node);
    score_sets(&pedges, &gedges, &gr->edge);
    score_sets(&pedges, &gargs, &gr->edge_args);
    gr->records++;
    gr->failed += !ok;
  }
  const strset *sets[4] = {&gnodes, &pnodes, &gedges, &pedges};
  if (o->verbose && has_gold)
    print_miss(rno, type, ins, ok ? NULL : err, sets);
}

/* Plans and scores the records of f in o's range; the lines are counted first (-n caps them). */
static void score_records(FILE *f, baton__offline_req *req, const options *o, tally *t) {
  char *line = malloc(MAX_LINE);
  while (line && fgets(line, (int)MAX_LINE, f))
    t->total += line[0] == '{';
  rewind(f);
  if (o->limit >= 0 && o->limit < t->total)
    t->total = o->limit;
  for (long idx = 0; line && idx < t->total && fgets(line, (int)MAX_LINE, f);) {
    cJSON *rec = line[0] == '{' ? cJSON_Parse(line) : NULL;
    long rno = rec ? idx++ : -1;
    if (rec && rno >= o->from && (o->to < 0 || rno <= o->to))
      score_record(rec, rno, req, o, t);
    cJSON_Delete(rec);
  }
  free(line);
}

static void print_table(const tally *t, const options *o) {
  const group *all = &t->groups[G_ALL];
  printf("Offline planner on %s\n", o->data_path);
  printf("%-12s %8s %8s %8s %11s %8s\n", "records", "n", "node F1", "edge F1", "edge(args)",
         "refused");
  for (int i = 0; i < G_N; i++) {
    char e1[16], e2[16];
    fmt_f1(&t->groups[i].edge, e1, sizeof e1);
    fmt_f1(&t->groups[i].edge_args, e2, sizeof e2);
    printf("%-12s %8ld %8.4f %8s %11s %8ld\n", group_names[i], t->groups[i].records,
           f1(&t->groups[i].node), e1, e2, t->groups[i].failed);
  }
  printf("('-': no edges in the gold plans nor in the predicted ones)\n");
  printf("pooled counts (all): nodes tp %ld fp %ld fn %ld (P %.3f R %.3f); "
         "edges tp %ld fp %ld fn %ld (P %.3f R %.3f)\n",
         all->node.tp, all->node.fp, all->node.fn, ratio(all->node.tp, all->node.tp + all->node.fp),
         ratio(all->node.tp, all->node.tp + all->node.fn), all->edge.tp, all->edge.fp,
         all->edge.fn, ratio(all->edge.tp, all->edge.tp + all->edge.fp),
         ratio(all->edge.tp, all->edge.tp + all->edge.fn));
  printf("split: train = records 0-%d, frozen = records %d-%ld (never used for fitting)\n",
         SPLIT_FROZEN - 1, SPLIT_FROZEN, t->total - 1);
  if (o->from > 0 || o->to >= 0)
    printf("scored: records %ld-%ld only\n", o->from, o->to >= 0 ? o->to : t->total - 1);
  printf("predicted tasks that are not TaskBench tools (ignored): %ld\n", t->nontool);
  if (t->no_gold)
    printf("records without ground truth (planned only, not scored): %ld\n", t->no_gold);
  printf("requests planned: %ld of %ld\n", t->planned, t->plans);
}

int main(int argc, char **argv) {
  options o;
  int rc = parse_args(argc, argv, &o);
  if (rc >= 0)
    return rc;
  char default_path[4096];
  if (!o.data_path) {
    baton__fmt(default_path, sizeof default_path,
               "%s/../shared/data/taskbench/huggingface/data_part.jsonl", BATON_SOURCE_DIR);
    o.data_path = default_path;
  }
  if (!o.one && !o.worst && access(o.data_path, R_OK) != 0) {
    printf("planner_f1: %s is absent; nothing to measure (the TaskBench data lives in "
           "../shared/data, see its README)\n",
           o.data_path);
    return 0;
  }
  bench_env e;
  if (env_open(&e, &o) != 0)
    return 1;
  if (o.one || o.worst) {
    rc = o.one ? plan_one(e.req, &o) : planner_worst(e.req);
    env_close(&e);
    return rc;
  }
  FILE *f = fopen(o.data_path, "r");
  if (!f) {
    perror("planner_f1: open");
    env_close(&e);
    return 1;
  }
  if (o.reworded && !(g_reworded = load_reworded(o.reworded))) {
    fprintf(stderr, "planner_f1: cannot read %s\n", o.reworded);
    fclose(f);
    env_close(&e);
    return 1;
  }
  static tally t;
  load_tools(o.data_path, &t.tools);
  score_records(f, &e.req, &o, &t);
  fclose(f);
  print_table(&t, &o);
  if (o.cases)
    score_cases(o.cases, e.req, o.verbose, o.print_plans);
  printf("plans/second: %.0f (%ld plans in %.3f s)\n",
         t.plan_time > 0 ? (double)t.plans / t.plan_time : 0.0, t.plans, t.plan_time);
  cJSON_Delete(g_reworded);
  env_close(&e);
  return 0;
}
