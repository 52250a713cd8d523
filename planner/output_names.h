/* output_names.h — what a task's output files are called: the name the user gave, or task<id>. */
#ifndef BATON_PLANNER_OUTPUT_NAMES_H
#define BATON_PLANNER_OUTPUT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "planner/taskgraph.h"

/* The plan argument naming the file a task writes: {"save_as": "answer.wav"} makes the run
 * folder's answer.wav where the task would write task<id>.wav. Its extension asks for a format
 * (baton__exec_env.file_format): the local image and sound executors write it if they can; the
 * runtime converts another executor's file (a model server's PNG asked for as a.jpg) through them;
 * a format none of them writes ("a.m4a") fails the task, the file kept under the extension of what
 * was written. */
#define BATON__ARG_SAVE_AS "save_as"

/* The input a dialogue task gets from the runtime, never from a plan: the conversation's newest
 * exchanges as chat messages (baton__conversation_chat), for a follow-up ("and in the evening?")
 * to be read as one. */
#define BATON__ARG_HISTORY "history"

/* The output naming the file a text (or JSON) result was saved to, when the task has a save_as:
 * {"text": "...", "file": "/abs/run/summary.txt"}; a name without extension gets ".txt". */
#define BATON__OUTPUT_FILE "file"

/* The longest file name save_as may give. */
#define BATON__SAVE_AS_MAX 80

/* Is name a plain file name to write: 1-80 bytes of valid UTF-8, letters (of any script), digits,
 * '-', '_', '.' and inner spaces, starting with a letter or digit (no folder, no hidden file, no
 * control character, nothing to escape)? */
bool baton__save_as_ok(const char *name);

/* Does an output of that name and type name a file (a picture, a sound, a video, a saved text)? */
bool baton__is_file_output(const char *name, unsigned type);

/* The name, without its extension, task t's output files start with: save_as's stem, else
 * "task<id>". Written into out (cap >= BATON__SAVE_AS_MAX + 1 holds every one). */
void baton__task_file_prefix(const baton__task *t, char *out, size_t cap);

/* The extension save_as asks for, lower-case ("jpg" of "Photo.JPG"), into out; "" if none. */
void baton__task_file_format(const baton__task *t, char *out, size_t cap);

/* Every save_as in g is a plain file name, and no two tasks write files of the same name (task
 * 3 saving as "task5.wav" where task 5 writes task5.*, two tasks saving as "a.wav"). 0, or -1
 * with a message naming the task. */
int baton__graph_check_save_as(const baton__graph *g, char *err, size_t errlen);

#endif
