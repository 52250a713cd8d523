#!/usr/bin/env python3
"""agent.py — the main job through the Python package: read the text in an
image and summarize it, printing progress as the tasks run.

Usage: python3 examples/agent.py [IMAGE]     (default: examples/sign.png)
Needs libbaton: installed, or BATON_LIBRARY=build/libbaton.so.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import baton  # noqa: E402  (the in-tree package when it is not installed)


def show(ev: baton.Event) -> None:
    if ev.type == "task.started":
        print(f"  task {ev.task_id} {ev.task} on {ev.model} ...", file=sys.stderr)
    elif ev.type == "task.failed":
        print(f"  task {ev.task_id} failed: {ev.text}", file=sys.stderr)


def main() -> int:
    image = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "sign.png")
    # File paths in requests are relative to the working folder and must lie under it.
    os.chdir(os.path.dirname(os.path.abspath(image)))
    name = os.path.basename(image)
    with baton.Baton() as b:
        result = b.run(f"read the text in {name} and summarize it", on_event=show)
    print(result.summary)
    for f in result.files:
        print("file:", f)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
