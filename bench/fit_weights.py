#!/usr/bin/env python3
"""fit_weights.py — fits the offline planner's score weights (planner/offline/lexicon.yaml).

The step score is a weighted sum of features (planner/offline/score.c). This
script fits the weights by coordinate ascent on what the planner is judged
by: pooled node F1 + edge F1 (TaskBench's metric, bench/planner_f1) on the
training records 0-279, under the constraint that every wording of
tests/planner/offline_cases.tsv still plans exactly as written. The frozen
records 280-419 are never looked at while fitting; --frozen scores them at
the end, for the report only (never while choosing between fits).

Usage: bench/fit_weights.py [--build DIR] [--passes N] [--fit A-B] [--valid A-B] [--write]
                            [--frozen]
  --fit    the records to fit on (default 0-279)
  --valid  records inside 0-279 held out from --fit to judge the fit: with
           --write the weights are written only if F1 there does not drop
  --write  puts the fitted weights into planner/offline/lexicon.yaml
  --frozen also scores the frozen records 280-419, before and after
Python standard library only.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEXICON = os.path.join(ROOT, "planner", "offline", "lexicon.yaml")
CASES = os.path.join(ROOT, "tests", "planner", "offline_cases.tsv")
TRAIN, FROZEN = "0-279", "280-419"
# The score terms and the two thresholds that shape them; the others stay.
FITTED = ["keyword", "description", "no_media", "media_elsewhere", "own_input",
          "own_readable", "own_other", "avail_media", "avail_input", "no_passage",
          "said_medium", "said_other_medium", "moving_drawn", "phrase_word", "accept"]
STEPS = [0.4, 0.2, 0.1]
WEIGHT_LINE = re.compile(r"^(  )([a-z_]+)(: *)(-?[0-9.]+)(.*)$")


def weight_lines(text):
    """Each line of the lexicon with its match when it is a weight line."""
    inside = False
    for line in text.splitlines():
        if line.startswith("weights:"):
            inside = True
        elif inside and line and not line.startswith(" "):
            inside = False
        yield line, WEIGHT_LINE.match(line) if inside else None


def read_weights(text):
    """The weights section's values, by name."""
    return {m.group(2): float(m.group(4)) for _, m in weight_lines(text) if m}


def with_weights(text, weights):
    """The lexicon text with the given weights written in."""
    lines = []
    for line, m in weight_lines(text):
        if m and m.group(2) in weights:
            value = ("%.2f" % weights[m.group(2)]).rstrip("0").rstrip(".")
            if "." not in value:
                value += ".0"
            line = m.group(1) + m.group(2) + m.group(3) + value + m.group(5)
        lines.append(line)
    return "\n".join(lines) + "\n"


def evaluate(bench, text, weights, records):
    """(node F1, edge F1, cases matched, cases) of the planner with these weights."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(with_weights(text, weights))
        path = f.name
    try:
        out = subprocess.run([bench, "--lexicon", path, "--range", records, "--cases", CASES],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    row = re.search(r"^all\s+\d+\s+([0-9.]+)\s+([0-9.]+)", out, re.M)
    cases = re.search(r"^cases: (\d+) of (\d+)", out, re.M)
    if not row or not cases:
        sys.exit("fit_weights: cannot read planner_f1's output:\n" + out)
    return float(row.group(1)), float(row.group(2)), int(cases.group(1)), int(cases.group(2))


def objective(result):
    node, edge, matched, total = result
    return node + edge if matched == total else -1.0


def fit(bench, text, weights, passes, records):
    best = evaluate(bench, text, weights, records)
    print("start: node %.4f edge %.4f cases %d/%d" % best, flush=True)
    for step in STEPS:
        for _ in range(passes):
            moved = False
            for name in FITTED:
                for delta in (step, -step):
                    trial = dict(weights)
                    trial[name] = round(weights[name] + delta, 2)
                    result = evaluate(bench, text, trial, records)
                    if objective(result) > objective(best) + 1e-9:
                        weights, best, moved = trial, result, True
                        print("%-18s %+.2f -> %5.2f: node %.4f edge %.4f cases %d/%d"
                              % ((name, delta, trial[name]) + result), flush=True)
                        break
            if not moved:
                break
    return weights, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--fit", default=TRAIN)
    ap.add_argument("--valid")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--frozen", action="store_true")
    args = ap.parse_args()
    bench = os.path.join(args.build, "planner_f1")
    text = open(LEXICON).read()
    start = read_weights(text)
    missing = [n for n in FITTED if n not in start]
    if missing:
        sys.exit("fit_weights: lexicon.yaml lacks the weights " + ", ".join(missing))
    before = evaluate(bench, text, start, TRAIN)
    weights, _ = fit(bench, text, start, args.passes, args.fit)
    after = evaluate(bench, text, weights, TRAIN)
    keep = True
    if args.valid:
        v0, v1 = evaluate(bench, text, start, args.valid), evaluate(bench, text, weights, args.valid)
        keep = objective(v1) >= objective(v0)
        print("held out %s: node %.4f edge %.4f before, %.4f %.4f fitted"
              % (args.valid, v0[0], v0[1], v1[0], v1[1]))
    rows = [("train 0-279", (before, after))]
    if args.frozen:
        rows.append(("frozen 280-419", (evaluate(bench, text, start, FROZEN),
                                        evaluate(bench, text, weights, FROZEN))))
    print("\n| split | weights | node F1 | edge F1 |\n|---|---|---|---|")
    for split, res in rows:
        for label, r in zip(("before", "fitted"), res):
            print("| %s | %s | %.4f | %.4f |" % (split, label, r[0], r[1]))
    changed = {n: (start[n], weights[n]) for n in FITTED if weights[n] != start[n]}
    print("\nchanged: " + (", ".join("%s %g -> %g" % (n, a, b) for n, (a, b) in changed.items())
                           or "nothing"))
    if args.write and not keep:
        print("not written: the fit lowers F1 on the held-out records")
    elif args.write:
        with open(LEXICON, "w") as f:
            f.write(with_weights(text, weights))
        print("wrote " + LEXICON)


if __name__ == "__main__":
    main()
