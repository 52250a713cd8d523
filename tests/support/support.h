/* support.h — helpers shared by the Criterion suites: temp folders, reference data, processes. */
#ifndef BATON_TESTS_SUPPORT_H
#define BATON_TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Creates a fresh temporary folder (under $TMPDIR or /tmp) and returns its
 * path (malloc'd). Aborts the test on failure. */
char *bt_tmpdir(void);
/* A fresh temporary BATON_HOME (returned, malloc'd) for an offline test:
 * the debug executors on, no LLM (BATON_LLM_BASE_URL, OPENAI_BASE_URL) and
 * no Hugging Face token in the environment. */
char *bt_offline_home(void);
/* bt_offline_home() for the command-line tool: no config file, and
 * BATON_SOCKET a path no daemon answers on, so `baton` runs in-process. */
char *bt_cli_home(void);
/* Removes a folder tree (best effort). */
void bt_rmtree(const char *path);
/* Path of a file under ../shared/data (malloc'd), or NULL when the shared
 * data folder is absent; callers then cr_skip_test() with a clear message. */
char *bt_shared_data(const char *rel);
/* Path of a file in the source tree (malloc'd). */
char *bt_source_path(const char *rel);
/* Reads a whole file into a malloc'd NUL-terminated buffer; aborts on error. */
char *bt_slurp(const char *path, size_t *len);
/* Asserts that path is a JPEG file (by its magic bytes) whose last component is `name`. */
void bt_assert_jpeg_named(const char *path, const char *name);
/* A valid 107-byte PNG whose header says 30000 x 30000 pixels (over the 100-megapixel limit). */
extern const unsigned char bt_huge_png[];
extern const size_t bt_huge_png_len;
/* Writes a file; aborts on error. */
void bt_write(const char *path, const char *data);
/* Writes the file name in folder dir; aborts on error. */
void bt_write_in(const char *dir, const char *name, const char *data);
/* Copies the file at from to a new file at to with permissions mode; aborts on error. */
void bt_copy(const char *from, const char *to, unsigned mode);
/* Called in a child the test just forked, before it execs (and after any change of user, which
 * clears it): the child gets SIGTERM when the test's process ends, however it ends. Criterion
 * kills a test's process group when it times out or crashes, without running .fini; a child of
 * a group of its own (baton-worker) or one the fini never stops would be left running. parent
 * is the test's pid, read before the fork: a child whose parent is gone already exits. */
void bt_die_with_parent(pid_t parent);
/* Runs a shell command, capturing stdout (malloc'd) when out is non-NULL.
 * Returns the exit status (or -1). */
int bt_run(const char *cmd, char **out);
/* Runs the `baton` command of this build (BATON_BIN_DIR, else the build
 * folder) with the shell words args in folder dir (NULL: this one), stdin
 * from /dev/null unless args redirect it; *out receives its stdout and *err
 * its stderr (malloc'd; either may be NULL). Returns the exit status (or -1). */
int bt_baton(const char *dir, const char *args, char **out, char **err);
/* Renders `text` into a PNG at path with ImageMagick (black on white,
 * DejaVu Sans). Returns false when ImageMagick is missing. */
bool bt_render_text_png(const char *text, const char *path);

/* How long a test waits for something that should happen soon before it
 * fails: long, because a loaded 2-core machine under ASan is many times
 * slower than a quiet one. Every wait returns as soon as the thing happens,
 * so this bound costs nothing when the code works. */
#define BT_WAIT_MS 60000

/* CLOCK_MONOTONIC in milliseconds. */
long bt_now_ms(void);
/* Sleeps ms milliseconds (a poll interval, never a wait for an event). */
void bt_nap_ms(long ms);
/* How often needle occurs in the file at path (0 when it cannot be read). */
int bt_count_in_file(const char *path, const char *needle);
/* Waits up to timeout_ms until the file at path holds needle at least
 * count times; true when it does. */
bool bt_wait_for_text(const char *path, const char *needle, int count, long timeout_ms);
/* Waits up to BT_WAIT_MS for a forked child to write "S" on the pipe end fd (anything else it
 * writes is its complaint, shown); closes fd, and fails the test as `what` when it does not. */
void bt_wait_child_ready(int fd, const char *what);
/* Asserts that the run history of ctx holds one run, interrupted (its process killed), and puts
 * its id in id. */
typedef struct baton baton;
void bt_the_run_interrupted(baton *ctx, char id[64]);

/* In CI (CI=true) the reference data must be there: its absence fails the
 * test instead of skipping it. */
bool bt_in_ci(void);

#define BT_SKIP_IF_NO_SHARED(ptr, what)                                                    \
  do {                                                                                    \
    if (!(ptr) && bt_in_ci())                                                             \
      cr_assert_fail("reference data %s is absent (../shared/data not found) and CI=true", \
                     what);                                                               \
    if (!(ptr))                                                                           \
      cr_skip_test("reference data %s is absent (../shared/data not found)", what);       \
  } while (0)

#endif
