/* util.h — small shared helpers: growable strings, bounded file reads, paths, time. */
#ifndef BATON_CORE_UTIL_H
#define BATON_CORE_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Growable NUL-terminated byte buffer. Invariant: buf is never NULL after
 * init (it points at a static "" until the first append), len < cap or
 * cap == 0. On allocation failure the buffer sets `oom` and ignores further
 * appends, so callers check once at the end with baton__sb_ok().
 */
typedef struct baton__sb {
  char *buf;
  size_t len;
  size_t cap;
  bool oom;
} baton__sb;

void baton__sb_init(baton__sb *sb);
/* Frees the memory and re-initialises. */
void baton__sb_release(baton__sb *sb);
void baton__sb_add(baton__sb *sb, const void *data, size_t len);
void baton__sb_adds(baton__sb *sb, const char *s);
void baton__sb_addc(baton__sb *sb, char c);
void baton__sb_addf(baton__sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void baton__sb_vaddf(baton__sb *sb, const char *fmt, va_list ap);
void baton__sb_reset(baton__sb *sb);
bool baton__sb_ok(const baton__sb *sb);
/* Hands the string to the caller (free with free()), leaving sb empty.
 * Returns NULL if an allocation failed along the way. */
char *baton__sb_detach(baton__sb *sb);
/* Appends s (NUL-terminated) as a JSON string literal, quoted and escaped
 * as cJSON prints it: \" \\ \b \f \n \r \t, other control bytes as \u00XX,
 * everything else (UTF-8 included) as is. */
void baton__sb_add_json_str(baton__sb *sb, const char *s);

/* strdup that accepts NULL (returns NULL). */
char *baton__strdup(const char *s);
char *baton__strndup(const char *s, size_t n);
/* The next token of *cursor, split at any byte of seps (empty tokens are
 * skipped): terminated in place, *cursor moved past it; NULL at the end or
 * when *cursor is NULL. The reentrant strtok_r() without its hidden pitfalls
 * (banned.h). */
char *baton__token(char **cursor, const char *seps);
/* snprintf into a fixed buffer; never overflows, always terminates. */
void baton__fmt(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Case-insensitive ASCII comparisons. */
bool baton__ieq(const char *a, const char *b);
/* c in ASCII lower case (any other byte as it is), whatever the locale. */
char baton__ascii_lower(char c);
/* src[0..n) lower-cased (ASCII) into dst, terminated: dst holds n + 1 bytes. */
void baton__lower_copy(char *dst, const char *src, size_t n);
bool baton__has_suffix_ci(const char *s, const char *suffix);
/* Whether item is one of the entries of a comma-separated list (exactly;
 * a NULL or empty list has none). */
bool baton__csv_has(const char *list, const char *item);
/* Trims ASCII white space in place; returns s. */
char *baton__trim(char *s);

/* FNV-1a, 64 bits: h (BATON_FNV1A64_INIT to start) advanced over len bytes
 * of data. A fingerprint, not a defence against chosen collisions. */
#define BATON_FNV1A64_INIT 14695981039346656037ull
uint64_t baton__fnv1a64(uint64_t h, const void *data, size_t len);

/* Reads a whole file, refusing files larger than max bytes.
 * Returns 0 and a malloc'd NUL-terminated buffer (caller frees), or -1 with
 * a message in err (-2 when the file is larger than max). */
int baton__read_file(const char *path, size_t max, char **out, size_t *len,
                     char *err, size_t errlen);
/* The same for an open descriptor fd (closed on return), named path in errors. */
int baton__read_fd(int fd, const char *path, size_t max, char **out, size_t *len, char *err,
                   size_t errlen);
/* Writes a file atomically (temp file + rename; the temp file is this
 * process's and thread's own). 0 or -1 with err. */
int baton__write_file(const char *path, const void *data, size_t len,
                      char *err, size_t errlen);
/* Copies a file (streaming; creates or truncates dst). 0, or -1 with err. */
int baton__copy_file(const char *src, const char *dst, char *err, size_t errlen);
/* mkdir -p with the given mode for the folders it creates. 0 or -1 (errno). */
int baton__mkdirs(const char *path, unsigned mode);
/* Removes what is in the folder path, without following links, and the
 * folder itself unless keep_top. 0, or -1 when something stayed (errno). */
int baton__rm_tree(const char *path, bool keep_top);
/* A new private folder (mode 0700) named prefix.XXXXXX in $TMPDIR (an absolute path), or in /tmp
 * when there is none or it cannot be made there; its path in dir. 0, or -1 (errno). */
int baton__mktempdir(char *dir, size_t cap, const char *prefix);
/* Joins two path parts with exactly one '/'. Caller frees. */
char *baton__path_join(const char *a, const char *b);
/* An existing file's path made absolute, taking ownership of path: returns
 * the resolved path (and frees path), or path itself when it is absolute
 * already or cannot be resolved. NULL stays NULL. Outputs name files by
 * absolute path even for a relative workspace. */
char *baton__path_absolute(char *path);
/* The name a file had when given: a run's copy of an input, "runs/ID/inputs/t3-audio-talk.wav"
 * (runtime/run_inputs.c names them so), is "talk.wav"; any other path, its last part. */
const char *baton__given_name(const char *path);
/* How an error names the input file at path: a run's copy by its given name ("talk.wav", as
 * baton__given_name), any other path as it is ("/data/talk.wav": what the caller gave). */
const char *baton__input_name(const char *path);
bool baton__file_exists(const char *path);

/* Starts a library thread with the asynchronous signals blocked, so that the
 * embedding program's handlers (Ctrl-C in the REPL, SIGTERM in batond) run on
 * its own threads, never on ours. Returns pthread_create's result. */
int baton__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Monotonic milliseconds and wall-clock seconds. */
int64_t baton__now_ms(void);
double baton__wall_s(void);
/* The time of day of wall-clock seconds t, "HH:MM:SS UTC", into out[cap] (always terminated);
 * returns out. */
char *baton__clock_text(double t, char *out, size_t cap);
/* A new run id: "YYYYMMDD-HHMMSS-xxxxxxxxxxxx" (time plus 48 random bits). */
void baton__new_run_id(char out[32]);

/* Resource types carried between tasks, as a bit set. */
enum {
  BATON__T_TEXT = 1u << 0,
  BATON__T_IMAGE = 1u << 1,
  BATON__T_AUDIO = 1u << 2,
  BATON__T_VIDEO = 1u << 3,
  BATON__T_JSON = 1u << 4
};
/* "text" -> BATON__T_TEXT ...; 0 for an unknown name. */
unsigned baton__type_from_name(const char *name);
/* The resource type a task argument's name stands for: "text", "image", "audio", "video", or one
 * of them with a digit 2-9 ("text2": a second text to compare, "audio2": a recording to join);
 * 0 for a plain parameter ("tgt_lang", "instruction"). Case as baton__type_from_name. */
unsigned baton__arg_type(const char *name);
/* Name of one type bit ("text"); "?" for anything else. */
const char *baton__type_name(unsigned type);
/* Parses a list like "image, text" into a bit set; returns 0 on any
 * unknown name. */
unsigned baton__types_parse(const char *list);
/* Renders a bit set as "image,text" into out. */
void baton__types_format(unsigned types, char *out, size_t cap);
/* Guesses a file's resource type from its name's extension (0 if unknown). */
unsigned baton__type_of_path(const char *path);
/* Does text name a file of a kind no executor reads (a word such as "Q3_report.pdf" or
 * "data.CSV": PDF, office documents, spreadsheets, e-books)? Then msg says so and what to do
 * ("Q3_report.pdf: baton cannot read .pdf files; save the text as a .txt file (or a page as a
 * picture) and name that"). */
bool baton__names_unreadable_file(const char *text, char *msg, size_t msglen);

#endif
