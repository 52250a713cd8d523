#!/usr/bin/env python3
"""human_dev.py — the offline planner against TaskBench requests labelled by hand, and how far
careful reading agrees with TaskBench's own gold plans.

bench/human_labels.jsonl holds the project's own labels, one request a line: its id, a split,
"task_nodes" (tools, with only their "<node-j>" arguments), "task_links", "type" and the labeller's
"confidence" (high, or low where a tool or link was a guess). Three splits:
  dev        180 Hugging Face requests of user_requests.json drawn at random (seed 50) from those
             that are none of records 0-419 of data_part.jsonl; labelled by people who studied
             the training records' gold plans first, without seeing the planner's plans. Rules
             have since been written while reading the planner's errors on them.
  held       180 more, drawn the same way from the rest (seed 51), labelled the same way; no
             rule is written from them: they are only scored.
  agreement  records 220-279 of data_part.jsonl (training records), labelled by a person who
             studied only records 0-219's gold plans: the labels scored against TaskBench's gold
             say how well a careful reader can match it at all.
The requests' words are read from ../shared/data at run time; nothing of them is stored here.

Prints the planner's node and edge F1 against the dev labels (all, and the high-confidence
labels alone), the agreement labels' F1 against TaskBench's gold, and the planner's against both
on the same records. Metric as bench/planner_f1: pooled over records, per record sets of tool
names and of (source, target) links, F1 = 2TP / (2TP + FP + FN); edges as TaskBench reads them
(task_links).

Usage: bench/human_dev.py [--build DIR] [--data DIR]
Python standard library only. Exits 1, saying why, when the data or the planner is missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = os.path.join(ROOT, "bench", "human_labels.jsonl")
AGREEMENT = (220, 279)  # data_part.jsonl records the agreement labels are of


def norm(name):
    return name.replace("_", " ").replace("-", " ").lower().strip()


def nodes_of(rec):
    nodes = rec.get("task_nodes") or []
    if isinstance(nodes, dict):  # one gold record keeps its nodes in an object
        nodes = list(nodes.values())
    return {norm(n["task"]) for n in nodes
            if isinstance(n, dict) and isinstance(n.get("task"), str)}


def links_of(rec):
    out = set()
    for link in rec.get("task_links") or []:
        if isinstance(link, dict) and isinstance(link.get("source"), str) and \
                isinstance(link.get("target"), str) and link["source"] and link["target"]:
            out.add((norm(link["source"]), norm(link["target"])))
    return out


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def agreement(gold, labels, tools):
    """Node and edge F1 of labels (predicted) against gold, pooled; names not tools ignored."""
    n = [0, 0, 0]
    e = [0, 0, 0]
    for g, p in zip(gold, labels):
        gn, pn = nodes_of(g), {t for t in nodes_of(p) if t in tools}
        ge, pe = links_of(g), links_of(p)
        n = [n[0] + len(gn & pn), n[1] + len(pn - gn), n[2] + len(gn - pn)]
        e = [e[0] + len(ge & pe), e[1] + len(pe - ge), e[2] + len(ge - pe)]
    return f1(*n), f1(*e)


def planner_scores(planner, path):
    """The planner's (node F1, edge F1) on a JSONL file of records, from planner_f1's 'all' row."""
    out = subprocess.run([planner, path], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        cols = line.split()
        if cols and cols[0] == "all":
            return float(cols[2]), float(cols[3])
    sys.exit(f"human_dev: {planner} printed no 'all' row for {path}")


def write_records(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def load(args):
    """(dev and held records with their words, agreement labels, the gold records they label,
    the tools)."""
    hf = os.path.join(args.data, "taskbench", "huggingface")
    needed = [os.path.join(hf, n)
              for n in ("user_requests.json", "data_part.jsonl", "tool_desc.json")]
    missing = [p for p in needed if not os.path.exists(p)]
    if missing:
        sys.exit(f"human_dev: reference data missing: {', '.join(missing)}")
    words = {}
    with open(needed[0], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            words[str(r["id"])] = r["user_request"]
    with open(needed[1], encoding="utf-8") as f:
        gold = [json.loads(line) for _, line in zip(range(AGREEMENT[1] + 1), f)][AGREEMENT[0]:]
    with open(needed[2], encoding="utf-8") as f:
        tools = {norm(n["id"]) for n in json.load(f)["nodes"]}
    dev, agree = [], []
    with open(LABELS, encoding="utf-8") as f:
        for line in f:
            lab = json.loads(line)
            if lab["split"] in ("dev", "held"):
                if lab["id"] not in words:
                    sys.exit(f"human_dev: request {lab['id']} is not in user_requests.json")
                dev.append(dict(lab, instruction=words[lab["id"]]))
            else:
                agree.append(lab)
    if [str(g["id"]) for g in gold] != [a["id"] for a in agree]:
        sys.exit("human_dev: the agreement labels are not of records 220-279 in order")
    return dev, agree, gold, tools


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    planner = os.path.join(args.build, "planner_f1")
    if not os.access(planner, os.X_OK):
        sys.exit(f"human_dev: no planner at {planner} (build the planner_f1 target)")
    dev, agree, gold, tools = load(args)
    with tempfile.TemporaryDirectory() as tmp:
        # planner_f1 reads the tools beside the records, and ignores predicted kinds that are none
        tools_file = os.path.join(args.data, "taskbench", "huggingface", "tool_desc.json")
        os.symlink(os.path.abspath(tools_file), os.path.join(tmp, "tool_desc.json"))
        rows = []
        agreed = [dict(a, instruction=g["instruction"]) for a, g in zip(agree, gold)]
        sets = []
        for split in ("dev", "held"):
            recs = [r for r in dev if r["split"] == split]
            sets += [(f"{split}, all labels", recs),
                     (f"{split}, high-confidence labels",
                      [r for r in recs if r["confidence"] == "high"])]
        for name, recs in sets + [("records 220-279, the agreement labels", agreed)]:
            path = os.path.join(tmp, "recs.jsonl")
            write_records(path, recs)
            rows.append((f"planner vs {name}", len(recs)) + planner_scores(planner, path))
        # (the gold records written out, not data_part.jsonl given with --range: planner_f1
        # would parse every record of it, those from 280 on too)
        path = os.path.join(tmp, "gold.jsonl")
        write_records(path, gold)
        rows.append(("planner vs TaskBench's gold, records 220-279", len(gold))
                    + planner_scores(planner, path))
        rows.append(("agreement labels vs TaskBench's gold, records 220-279", len(gold))
                    + agreement(gold, agree, tools))
    print(f"{'':56s} {'n':>4s} {'node F1':>8s} {'edge F1':>8s}")
    for name, n, node, edge in rows:
        print(f"{name:56s} {n:4d} {node:8.4f} {edge:8.4f}")


if __name__ == "__main__":
    main()
