/* criterion_git.c — the three libgit2 calls of a statically linked Criterion, loading libgit2 only when Criterion first diffs two values. */
/*
 * Criterion starts a test program again for every test and initialises
 * libgit2 in each start (loading the system's CA certificates, with a dozen
 * libraries behind it), though it uses libgit2 for one thing: the diff it
 * prints when an assertion of its newer API compares two values and fails.
 * When tests/CMakeLists.txt links Criterion statically, these definitions
 * take libgit2's place: initialising is counted, and the first diff loads
 * the real libgit2 (BATON_LIBGIT2, its path), initialises it as often as
 * asked and hands the call on, so the output is the same as before.
 */
#include <dlfcn.h>
#include <git2.h>
#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int inits;    /* git_libgit2_init calls not yet shut down */
static void *handle; /* the real libgit2 once a diff was asked for */

typedef int (*count_fn)(void);
typedef int (*diff_fn)(const void *, size_t, const char *, const void *, size_t, const char *,
                       const git_diff_options *, git_diff_file_cb, git_diff_binary_cb,
                       git_diff_hunk_cb, git_diff_line_cb, void *);

/* The real libgit2's function `name`, loading and initialising libgit2 the
 * first time; NULL when it cannot be loaded. Called with lock held. */
static void *real(const char *name) {
  if (!handle) {
    handle = dlopen(BATON_LIBGIT2, RTLD_NOW | RTLD_LOCAL);
    count_fn init = handle ? (count_fn)dlsym(handle, "git_libgit2_init") : NULL;
    for (int i = 0; init && i < inits; i++)
      init();
  }
  return handle ? dlsym(handle, name) : NULL;
}

int git_libgit2_init(void) {
  pthread_mutex_lock(&lock);
  int n = ++inits;
  count_fn init = handle ? (count_fn)real("git_libgit2_init") : NULL;
  if (init)
    init();
  pthread_mutex_unlock(&lock);
  return n;
}

int git_libgit2_shutdown(void) {
  pthread_mutex_lock(&lock);
  int n = inits > 0 ? --inits : 0;
  count_fn shutdown = handle ? (count_fn)real("git_libgit2_shutdown") : NULL;
  if (shutdown)
    shutdown();
  pthread_mutex_unlock(&lock);
  return n;
}

int git_diff_buffers(const void *old_buffer, size_t old_len, const char *old_as_path,
                     const void *new_buffer, size_t new_len, const char *new_as_path,
                     const git_diff_options *options, git_diff_file_cb file_cb,
                     git_diff_binary_cb binary_cb, git_diff_hunk_cb hunk_cb,
                     git_diff_line_cb line_cb, void *payload) {
  pthread_mutex_lock(&lock);
  diff_fn diff = (diff_fn)real("git_diff_buffers");
  pthread_mutex_unlock(&lock);
  if (!diff)
    return -1; /* as libgit2 says it could not diff */
  return diff(old_buffer, old_len, old_as_path, new_buffer, new_len, new_as_path, options,
              file_cb, binary_cb, hunk_cb, line_cb, payload);
}
