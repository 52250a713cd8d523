#!/usr/bin/env python3
"""planner_cv.py — do learned additions to the offline planner generalise? Checked inside the training split.

Reads TaskBench records 0-279 only (280-419 is the frozen split: never read
here) and the offline planner's plans of them (build/planner_f1 --plans),
fits each candidate component on part of the training split and scores the
planner's plans with the component applied on the part held out:
  add    per-kind word evidence (logistic regression on the request's stemmed
         words, quotes and file names left out) adds the kinds a plan lacks
  cues   single request words mined as cues of a kind the plan lacks
         (seen in >= 3 fitted requests, the kind present in >= 60% of them)
  drop   the same regression, on words and the planned kinds, drops planned
         kinds it doubts
  edges  a prior over how two planned kinds stand in the plan (linked,
         ancestor, order, adjacent, type fit, other parent) adds or drops links
  orphan links each parentless task after the first to the nearest earlier
         task making its input type (nothing fitted)
  slot   (an upper bound, not a component: it reads the gold links) for each
         kind the plan lacks, given the types of the planned kinds that feed it
         or take its output: how often the kind the fitted folds have most
         often in a slot of those types is the missing one
An item is added (kept) when its fitted probability exceeds half the fitted
records' F1, where adding one raises pooled F1. Each is scored fitted on
0-209 / held out 210-279, and by 4-fold cross-validation over 0-279 (fold k
holds out the records i with i % 4 == k). Python standard library only.

Usage: bench/planner_cv.py [--build DIR] [--data FILE] [CHECK...]
"""
import argparse
import collections
import json
import math
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "taskbench", "huggingface", "data_part.jsonl")
TRAIN_END = 280  # records 0-279; never read further
QUOTE = re.compile(r"(?<![A-Za-z])'[^']*?'(?![A-Za-z])|\"[^\"]*\"|\u201c[^\u201d]*\u201d")
WORD = re.compile(r"[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*")
FILE = re.compile(r"\.(jpe?g|png|gif|wav|mp3|flac|mp4|txt|csv)$")


def norm(name):
    return name.lower().replace("_", "-").replace(" ", "-")


def stem(w):
    """planner/offline/lex.c's light stemmer."""
    n = len(w)
    if n > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if n > 5 and w.endswith("ing"):
        w = w[:-3]
    elif n > 4 and w.endswith(("ed", "es")):
        w = w[:-2]
    elif n > 3 and w.endswith("s") and w[-2] not in "sui":
        w = w[:-1]
    return w[:-1] if len(w) > 4 and w.endswith("e") else w


def words(text):
    """The request's stemmed words, outside quotes, file names left out."""
    return {stem(w.lower()) for w in WORD.findall(QUOTE.sub(" ", text)) if not FILE.search(w.lower())}


def load(data, build):
    """The training records (gold nodes, edges, words) and the planner's nodes and edges of each."""
    tools_path = os.path.join(os.path.dirname(data), "tool_desc.json")
    tools = {norm(t["id"]): (set(t["input-type"]), set(t["output-type"]))
             for t in json.load(open(tools_path))["nodes"]}
    recs = []
    with open(data) as f:
        for line in f:
            if len(recs) == TRAIN_END:
                break
            r = json.loads(line)
            nodes = r["task_nodes"].values() if isinstance(r["task_nodes"], dict) else r["task_nodes"]
            recs.append({"nodes": {norm(n["task"]) for n in nodes if isinstance(n.get("task"), str)},
                         "edges": {(norm(l["source"]), norm(l["target"])) for l in r["task_links"]
                                   if isinstance(l.get("source"), str) and l["source"]
                                   and isinstance(l.get("target"), str) and l["target"]},
                         "words": words(r["instruction"])})
    out = subprocess.run([os.path.join(build, "planner_f1"), data, "--range", "0-%d" % (TRAIN_END - 1),
                          "--plans"], capture_output=True, text=True, check=True).stdout
    plans = [line[6:] for line in out.splitlines() if line.startswith("plan: ")]
    plans = [[t for t in json.loads(p) if norm(t["task"]) in tools] if p.startswith("[") else []
             for p in plans]
    if len(plans) != len(recs):
        raise SystemExit("planner_cv: %d plans for %d records" % (len(plans), len(recs)))
    for r, plan in zip(recs, plans):
        r["plan"] = plan
    return recs, tools


def plan_sets(plan):
    ids = {t["id"]: norm(t["task"]) for t in plan}
    return ({norm(t["task"]) for t in plan},
            {(ids[d], norm(t["task"])) for t in plan for d in t["dep"] if d in ids})


def f1(pairs):
    tp = fp = fn = 0
    for pred, gold in pairs:
        tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def score(recs, preds, idx):
    return (f1([(preds[i][0], recs[i]["nodes"]) for i in idx]),
            f1([(preds[i][1], recs[i]["edges"]) for i in idx]))


def logistic(xs, ys, l2=1.0, iters=300, rate=2.0):
    """L2-regularised logistic regression by batch gradient descent on sets of features."""
    w, b, n = collections.defaultdict(float), 0.0, len(xs)
    for _ in range(iters):
        grad, gb = collections.defaultdict(float), 0.0
        for x, y in zip(xs, ys):
            e = prob(w, b, x) - y
            gb += e
            for f in x:
                grad[f] += e
        for f in set(grad) | set(w):
            w[f] -= rate * (grad[f] + l2 * w[f]) / n
        b -= rate * gb / n
    return w, b


def prob(w, b, x):
    z = math.fsum([b] + [w.get(f, 0.0) for f in x])  # exact: the same whatever the set order
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def kind_models(recs, base, fit, planned, feats):
    """Per kind, a regression on feats over the fitted records where the kind is (not) planned."""
    models = {}
    for k in sorted({k for i in fit for k in recs[i]["nodes"]}):
        idx = [i for i in fit if (k in base[i][0]) == planned]
        ys = [int(k in recs[i]["nodes"]) for i in idx]
        if 2 <= sum(ys) < len(ys):
            models[k] = logistic([feats(i) for i in idx], ys)
    return models


def vocabulary(recs, fit):
    seen = collections.Counter(w for i in fit for w in recs[i]["words"])
    return {w for w, c in seen.items() if c >= 2}


def check_add(recs, base, fit, test, cut):
    voc = vocabulary(recs, fit)
    feats = lambda i: recs[i]["words"] & voc
    models = kind_models(recs, base, fit, False, feats)
    return {i: ({k for k, (w, b) in models.items() if k not in base[i][0] and prob(w, b, feats(i)) > cut}
                | base[i][0], base[i][1]) for i in test}


def check_drop(recs, base, fit, test, cut):
    voc = vocabulary(recs, fit)
    feats = lambda i: (recs[i]["words"] & voc) | {"planned:" + k for k in base[i][0]}
    models = kind_models(recs, base, fit, True, feats)
    out = {}
    for i in test:
        gone = {k for k in base[i][0] if k in models and prob(*models[k], feats(i)) < cut}
        out[i] = (base[i][0] - gone, {e for e in base[i][1] if not set(e) & gone})
    return out


def check_cues(recs, base, fit, test, cut):
    rules = []
    for k in sorted({k for i in fit for k in recs[i]["nodes"]}):
        seen, hit = collections.Counter(), collections.Counter()
        for i in fit:
            if k not in base[i][0]:
                for w in recs[i]["words"]:
                    seen[w] += 1
                    hit[w] += k in recs[i]["nodes"]
        rules += [(w, k) for w, n in seen.items() if n >= 3 and hit[w] >= 0.6 * n]
    return {i: (base[i][0] | {k for w, k in rules if w in recs[i]["words"]}, base[i][1]) for i in test}


def standing(plan, tools):
    """For each ordered pair of different planned kinds, how they stand in the plan."""
    ids = {t["id"]: t for t in plan}
    pos = {t["id"]: n for n, t in enumerate(plan)}
    out = {}
    for t in plan:
        seen, todo = set(), [d for d in t["dep"] if d in ids]
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo += [x for x in ids[d]["dep"] if x in ids]
        for a in plan:
            ka, kb = norm(a["task"]), norm(t["task"])
            if ka != kb:
                key = (a["id"] in t["dep"], a["id"] in seen, pos[a["id"]] < pos[t["id"]],
                       pos[a["id"]] + 1 == pos[t["id"]], bool(tools[ka][1] & tools[kb][0]),
                       any(d in ids for d in t["dep"]))
                out[(ka, kb)] = max(out.get((ka, kb), key), key)
    return out


def check_edges(recs, base, fit, test, cut, tools):
    rate = collections.defaultdict(lambda: [0, 0])
    for i in fit:
        for e, key in standing(recs[i]["plan"], tools).items():
            rate[key][0] += 1
            rate[key][1] += e in recs[i]["edges"]
    out = {}
    for i in test:
        edges = set(base[i][1])
        for e, key in standing(recs[i]["plan"], tools).items():
            n, hit = rate.get(key, (0, 0))
            if n >= 5:
                edges = edges | {e} if hit / n > cut else edges - {e}
        out[i] = (base[i][0], edges)
    return out


def check_orphan(recs, base, fit, test, cut, tools):
    out = {}
    for i in test:
        plan, edges = recs[i]["plan"], set(base[i][1])
        for n, t in enumerate(plan):
            if n and not [d for d in t["dep"] if d >= 0]:
                made = [a for a in plan[:n] if tools[norm(a["task"])][1] & tools[norm(t["task"])][0]]
                if made and norm(made[-1]["task"]) != norm(t["task"]):
                    edges.add((norm(made[-1]["task"]), norm(t["task"])))
        out[i] = (base[i][0], edges)
    return out


def slots(recs, base, tools, i):
    """(types fed in, types taken out) of each missing kind's planned gold neighbours, and the kind."""
    links = recs[i]["edges"]
    for x in sorted(recs[i]["nodes"] - base[i][0]):
        if x in tools:
            fed = sorted(tuple(sorted(tools[s][1])) for s, t in links if t == x and s in base[i][0])
            took = sorted(tuple(sorted(tools[t][0])) for s, t in links if s == x and t in base[i][0])
            yield (fed[0] if fed else (), took[0] if took else ()), x


def check_slot(recs, base, tools):
    right = total = 0
    for k in range(4):
        seen = collections.defaultdict(collections.Counter)
        for i in range(TRAIN_END):
            for key, x in slots(recs, base, tools, i) if i % 4 != k else ():
                seen[key][x] += 1
        for i in range(k, TRAIN_END, 4):
            for key, x in slots(recs, base, tools, i):
                total += 1
                right += bool(seen[key]) and seen[key].most_common(1)[0][0] == x
    print("slot: the most common kind for a missing step's slot is right for %d of %d (4-fold)"
          % (right, total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=DATA)
    ap.add_argument("checks", nargs="*", default=["add", "cues", "drop", "edges", "orphan", "slot"])
    args = ap.parse_args()
    if not os.path.exists(args.data):
        print("planner_cv: %s is absent; nothing to check (see ../shared/data)" % args.data)
        return
    recs, tools = load(args.data, args.build)
    base = [plan_sets(r["plan"]) for r in recs]
    checks = {"add": check_add, "cues": check_cues, "drop": check_drop,
              "edges": lambda *a: check_edges(*a, tools), "orphan": lambda *a: check_orphan(*a, tools)}
    splits = [(range(210), range(210, 280))] + \
             [([i for i in range(TRAIN_END) if i % 4 != k], range(k, TRAIN_END, 4)) for k in range(4)]
    print("| check | node / edge F1, held out 210-279 | node / edge F1, 4-fold over 0-279 "
          "| 4-fold: nodes / links changed (of them gold) |")
    print("|---|---:|---:|---:|")
    print("| the planner as it is | %.4f / %.4f | %.4f / %.4f | |"
          % (score(recs, base, range(210, 280)) + score(recs, base, range(TRAIN_END))))
    for name in [c for c in args.checks if c != "slot"]:
        preds = list(base)
        row = []
        for n, (fit, test) in enumerate(splits):
            cut = score(recs, base, fit)[name.startswith("edges")] / 2
            for i, p in checks[name](recs, base, fit, test, cut).items():
                preds[i] = p
            if n == 0:
                row.append(score(recs, preds, test))
                preds = list(base)
        row.append(score(recs, preds, range(TRAIN_END)))
        moved = [sum(len(recs[i][part] & (preds[i][k] ^ base[i][k])) for i in range(TRAIN_END))
                 for k, part in ((0, "nodes"), (1, "edges"))]
        moved = [sum(len(preds[i][k] ^ base[i][k]) for i in range(TRAIN_END)) for k in (0, 1)] + moved
        print("| %s | %.4f / %.4f | %.4f / %.4f | %d / %d (%d / %d) |"
              % ((name,) + row[0] + row[1] + tuple(moved[i] for i in (0, 1, 2, 3))), flush=True)
    if "slot" in args.checks:
        check_slot(recs, base, tools)


if __name__ == "__main__":
    main()
