#!/usr/bin/env python3
"""spelling_check.py — is an English word one letter off a word of the offline planner's
"spelled" class, or two swapped letters off one of its "swapped" class
(planner/offline/lexicon.yaml)?

The planner reads a word it does not know that is one edit (a letter left out, added or changed,
or two next to each other swapped) from a word of that class as the word ("sumarize":
"summarize"), and one that is a word of the swapped class with two letters next to each other
swapped ("captoin": "caption"). That is safe only while no real word is that close: this checks
the classes against a
word list (Debian's /usr/share/dict/words, package wamerican) and prints each real word that is,
exiting 1. Words that do not count: those that stem as a word of the class does ("summarized"),
those it starts ("enhancer"), and those the planner knows, as words of a task's keywords
(registry/catalogue.yaml: "summaries"). Stems are cut as planner/offline/lex.c's off_make_word()
cuts them.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stem(w):
    """The light stem of lower-case word w, as off_make_word() makes it."""
    n, s = len(w), w
    if n > 4 and (s.endswith("ies") or s.endswith("ied")):
        s = s[:-3] + "y"
    elif n > 5 and s.endswith("ing"):
        s = s[:-3]
    elif n > 4 and (s.endswith("ed") or s.endswith("es")):
        s = s[:-2]
    elif n > 3 and s[-1] == "s" and s[-2] not in "sui":
        s = s[:-1]
    if len(s) + 2 <= n and s[-1] == s[-2] and s[-1] not in "aeiouylnsz":
        s = s[:-1]
    elif len(s) > 4 and s[-1] == "e":
        s = s[:-1]
    return s


def swapped(a, b):
    """Is a b with two letters next to each other swapped?"""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return (len(a) == len(b) and i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
            and a[i + 2:] == b[i + 2:])


def one_edit(a, b):
    """Is a one letter off b (left out, added, changed; or two next to each other swapped)?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or swapped(a, b)
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def lexicon_class(path, name):
    """The words of the lexicon's class `name`."""
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*" + name + r":\s*\[([^\]]*)\]", line)
        if m:
            return [w.strip() for w in m.group(1).split(",") if w.strip()]
    sys.exit(f"{path}: no {name} class")


def keyword_stems(path):
    """The stems of the words of every task's keywords in the catalogue."""
    found = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*keywords:\s*\[(.*)\]", line)
        found |= {stem(w) for w in re.findall(r"[a-z]+", m.group(1).lower())} if m else set()
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", default="/usr/share/dict/words", help="a word list, one a line")
    ap.add_argument("--lexicon", default=os.path.join(ROOT, "planner/offline/lexicon.yaml"))
    ap.add_argument("--catalogue", default=os.path.join(ROOT, "registry/catalogue.yaml"))
    args = ap.parse_args()
    if not os.path.exists(args.words):
        sys.exit(f"{args.words} is absent: install Debian's wamerican (or name a list with --words)")
    spelled = lexicon_class(args.lexicon, "spelled")
    swaps = lexicon_class(args.lexicon, "swapped")
    known = {stem(w) for w in spelled + swaps} | keyword_stems(args.catalogue)
    english = {w.strip().lower() for w in open(args.words, encoding="utf-8", errors="replace")}
    close = sorted((s, w, "one letter") for w in english
                   if re.fullmatch(r"[a-z]{5,}", w) and stem(w) not in known
                   for s in spelled if s[0] == w[0] and not w.startswith(s)
                   and (one_edit(w, s) or one_edit(stem(w), stem(s))))
    close += sorted((s, w, "two letters swapped") for w in english
                    if re.fullmatch(r"[a-z]{5,}", w) and stem(w) not in known
                    for s in swaps if s[0] == w[0] and (swapped(w, s) or swapped(stem(w), stem(s))))
    for s, w, how in close:
        print(f"{w}: {how} off '{s}'")
    print(f"{len(spelled)} words of the spelled class, {len(swaps)} of the swapped class, "
          f"{len(english)} English words: {len(close)} that close")
    return 1 if close else 0


if __name__ == "__main__":
    sys.exit(main())
