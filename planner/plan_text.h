/* plan_text.h — turns what an LLM wrote into canonical HuggingGPT task-graph JSON text. */
#ifndef BATON_PLANNER_PLAN_TEXT_H
#define BATON_PLANNER_PLAN_TEXT_H

#include <stddef.h>

/* Largest input baton__plan_text_extract() accepts. */
#define BATON__PLAN_TEXT_MAX (1024u * 1024u)

/*
 * Finds the task plan in an LLM reply and returns it as canonical JSON text
 * for baton__graph_parse(): an array of
 *   {"task": "...", "id": N, "dep": [..] or [-1], "args": {"name": "string", ...}}
 * (plus "model" when the reply named one), unformatted.
 *
 * Where it looks: inside ``` fences first, then the whole text; the
 * outermost [{...}] that can be made to parse, else the first {...} (read
 * as a list of objects, so a missing opening "[" is supplied).
 *
 * What it repairs: stray or unbalanced closers ("}}" too many), missing
 * closers at the end, a missing opening "[", trailing commas, a missing
 * comma between objects, single-quoted keys/strings in structural places,
 * raw control characters in strings, Python True/False/None;
 * "<GENERATED-0>" -> "<GENERATED>-0"; TaskBench "<node-j>" -> "<GENERATED>-j";
 * TaskBench nodes {"task","arguments":[...]} (ids = positions, task names
 * normalised to "object-detection" form, dep from the references); args
 * given as a list (each named by type: a path with an image/audio/video
 * extension gets that type's name, a reference the type its task produces
 * as far as the name tells, else "text"; a repeated name gets "_2", "_3");
 * non-string argument values (numbers become their text); a single task
 * object instead of an array; {"tasks":[...]}, {"task_nodes":[...]} (also
 * as an object of steps), {"plan":[...]} wrappers; references missing from
 * "dep" are added to it. An empty plan written as [] comes back as "[]".
 *
 * text need not be NUL-terminated; len is its length. Inputs above
 * BATON__PLAN_TEXT_MAX are refused.
 * Returns malloc'd NUL-terminated JSON text (caller frees with free()), or
 * NULL with a readable message in err when nothing usable was found.
 * Thread safety: pure function, safe from any thread.
 */
char *baton__plan_text_extract(const char *text, size_t len, char *err, size_t errlen);

#endif
