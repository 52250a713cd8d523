/* util.c — growable strings, bounded file I/O, paths, time and resource-type names. */
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/banned.h"

static char sb_empty[1];

void baton__sb_init(baton__sb *sb) {
  sb->buf = sb_empty;
  sb->len = 0;
  sb->cap = 0;
  sb->oom = false;
}

void baton__sb_release(baton__sb *sb) {
  if (sb->cap)
    free(sb->buf);
  baton__sb_init(sb);
}

void baton__sb_reset(baton__sb *sb) {
  sb->len = 0;
  if (sb->cap)
    sb->buf[0] = '\0';
}

bool baton__sb_ok(const baton__sb *sb) { return !sb->oom; }

static bool sb_grow(baton__sb *sb, size_t extra) {
  if (sb->oom)
    return false;
  if (extra > SIZE_MAX / 2 - sb->len) {
    sb->oom = true;
    return false;
  }
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap)
    return true;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < need)
    cap *= 2;
  char *nb = realloc(sb->cap ? sb->buf : NULL, cap);
  if (!nb) {
    sb->oom = true;
    return false;
  }
  if (!sb->cap)
    nb[0] = '\0';
  sb->buf = nb;
  sb->cap = cap;
  return true;
}

void baton__sb_add(baton__sb *sb, const void *data, size_t len) {
  if (!sb_grow(sb, len))
    return;
  memcpy(sb->buf + sb->len, data, len);
  sb->len += len;
  sb->buf[sb->len] = '\0';
}

void baton__sb_adds(baton__sb *sb, const char *s) { baton__sb_add(sb, s, strlen(s)); }

void baton__sb_addc(baton__sb *sb, char c) { baton__sb_add(sb, &c, 1); }

void baton__sb_vaddf(baton__sb *sb, const char *fmt, va_list ap) {
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0 || !sb_grow(sb, (size_t)n))
    return;
  vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void baton__sb_addf(baton__sb *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  baton__sb_vaddf(sb, fmt, ap);
  va_end(ap);
}

char *baton__sb_detach(baton__sb *sb) {
  char *s;
  if (sb->oom) {
    baton__sb_release(sb);
    return NULL;
  }
  if (!sb->cap) {
    s = calloc(1, 1);
  } else {
    s = sb->buf;
  }
  baton__sb_init(sb);
  return s;
}

void baton__sb_add_json_str(baton__sb *sb, const char *s) {
  baton__sb_addc(sb, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    const unsigned char *run = p;
    while (*p >= 0x20 && *p != '"' && *p != '\\')
      p++;
    baton__sb_add(sb, run, (size_t)(p - run));
    if (!*p)
      break;
    switch (*p) {
    case '"': baton__sb_adds(sb, "\\\""); break;
    case '\\': baton__sb_adds(sb, "\\\\"); break;
    case '\b': baton__sb_adds(sb, "\\b"); break;
    case '\f': baton__sb_adds(sb, "\\f"); break;
    case '\n': baton__sb_adds(sb, "\\n"); break;
    case '\r': baton__sb_adds(sb, "\\r"); break;
    case '\t': baton__sb_adds(sb, "\\t"); break;
    default: baton__sb_addf(sb, "\\u%04x", *p); break;
    }
  }
  baton__sb_addc(sb, '"');
}

char *baton__strdup(const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d)
    memcpy(d, s, n + 1);
  return d;
}

char *baton__token(char **cursor, const char *seps) {
  char *p = *cursor;
  if (!p)
    return NULL;
  p += strspn(p, seps);
  if (!*p) {
    *cursor = p;
    return NULL;
  }
  char *end = p + strcspn(p, seps);
  if (*end)
    *end++ = '\0';
  *cursor = end;
  return p;
}

char *baton__strndup(const char *s, size_t n) {
  if (!s)
    return NULL;
  size_t len = strnlen(s, n);
  char *d = malloc(len + 1);
  if (!d)
    return NULL;
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

void baton__fmt(char *dst, size_t cap, const char *fmt, ...) {
  if (!cap)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, cap, fmt, ap);
  va_end(ap);
}

bool baton__ieq(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return false;
  return *a == *b;
}

char baton__ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

void baton__lower_copy(char *dst, const char *src, size_t n) {
  for (size_t i = 0; i < n; i++)
    dst[i] = baton__ascii_lower(src[i]);
  dst[n] = '\0';
}

bool baton__has_suffix_ci(const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && baton__ieq(s + ls - lx, suffix);
}

bool baton__csv_has(const char *list, const char *item) {
  size_t n = strlen(item);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, item, n) == 0)
      return true;
    p = e ? e + 1 : p + len;
  }
  return false;
}

char *baton__trim(char *s) {
  char *p = s;
  while (*p && isspace((unsigned char)*p))
    p++;
  size_t n = strlen(p);
  while (n && isspace((unsigned char)p[n - 1]))
    n--;
  memmove(s, p, n);
  s[n] = '\0';
  return s;
}

int baton__read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                     size_t errlen) {
  *out = NULL;
  if (len)
    *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    baton__fmt(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  return baton__read_fd(fd, path, max, out, len, err, errlen);
}

int baton__read_fd(int fd, const char *path, size_t max, char **out, size_t *len, char *err,
                   size_t errlen) {
  *out = NULL;
  if (len)
    *len = 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    baton__fmt(err, errlen, "%s is not a regular file", path);
    close(fd);
    return -1;
  }
  if ((unsigned long long)st.st_size > max) {
    baton__fmt(err, errlen, "%s is too large (%lld bytes; the limit is %zu)", path,
               (long long)st.st_size, max);
    close(fd);
    return -2;
  }
  size_t cap = (size_t)st.st_size + 1, n = 0;
  int rc = -1;
  char *buf = malloc(cap);
  if (!buf) {
    baton__fmt(err, errlen, "out of memory reading %s", path);
    close(fd);
    return -1;
  }
  for (;;) {
    if (n + 1 >= cap) {
      /* The file grew while we read it: allow up to max. */
      if (cap > max) {
        baton__fmt(err, errlen, "%s is too large (the limit is %zu bytes)", path, max);
        rc = -2;
        goto fail;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        baton__fmt(err, errlen, "out of memory reading %s", path);
        goto fail;
      }
      buf = nb;
      cap = ncap + 1;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      baton__fmt(err, errlen, "cannot read %s: %s", path, strerror(errno));
      goto fail;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
fail:
  free(buf);
  close(fd);
  return rc;
}

uint64_t baton__fnv1a64(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

int baton__write_file(const char *path, const void *data, size_t len, char *err,
                      size_t errlen) {
  size_t pl = strlen(path);
  static _Atomic unsigned seq;
  char *tmp = malloc(pl + 40);
  if (!tmp) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  snprintf(tmp, pl + 40, "%s.tmp%ld.%u", path, (long)getpid(), seq++);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    baton__fmt(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    free(tmp);
    return -1;
  }
  const char *p = data;
  size_t left = len;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      baton__fmt(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
      close(fd);
      unlink(tmp);
      free(tmp);
      return -1;
    }
    p += w;
    left -= (size_t)w;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    baton__fmt(err, errlen, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

int baton__mkdirs(const char *path, unsigned mode) {
  char *p = baton__strdup(path);
  if (!p) {
    errno = ENOMEM;
    return -1;
  }
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == '\0') {
      char c = *s;
      *s = '\0';
      if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
        int e = errno;
        free(p);
        errno = e;
        return -1;
      }
      *s = c;
      if (!c)
        break;
    }
  }
  free(p);
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* nftw callbacks for baton__rm_tree: all, or all but the top folder. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int rm_below(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return ftw->level > 0 ? rm_entry(path, st, flag, ftw) : 0;
}

/* A new folder prefix.XXXXXX in base, its path in dir. 0, or -1 (errno). */
static int mktempdir_in(char *dir, size_t cap, const char *base, const char *prefix) {
  int n = snprintf(dir, cap, "%s/%s.XXXXXX", base, prefix);
  if (n < 0 || (size_t)n >= cap) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return mkdtemp(dir) ? 0 : -1;
}

int baton__mktempdir(char *dir, size_t cap, const char *prefix) {
  const char *base = getenv("TMPDIR");
  if (base && base[0] == '/' && mktempdir_in(dir, cap, base, prefix) == 0)
    return 0;
  return mktempdir_in(dir, cap, "/tmp", prefix);
}

int baton__rm_tree(const char *path, bool keep_top) {
  if (!path || !*path) {
    errno = EINVAL;
    return -1;
  }
  return nftw(path, keep_top ? rm_below : rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

char *baton__path_absolute(char *path) {
  if (!path || path[0] == '/')
    return path;
  char *abs = realpath(path, NULL);
  if (!abs)
    return path;
  free(path);
  return abs;
}

const char *baton__given_name(const char *path) {
  const char *base = strrchr(path, '/'), *p = base ? base + 1 : path, *q = p + 1;
  if (!base || base - path < 7 || strncmp(base - 7, "/inputs", 7) != 0 || *p != 't' ||
      !isdigit((unsigned char)*q))
    return p;
  while (isdigit((unsigned char)*q))
    q++;
  const char *dash = *q == '-' ? strchr(q + 1, '-') : NULL; /* past "-<argument name>-" */
  return dash && dash[1] ? dash + 1 : p;
}

const char *baton__input_name(const char *path) {
  const char *base = strrchr(path, '/'), *given = baton__given_name(path);
  return given == (base ? base + 1 : path) ? path : given;
}

char *baton__path_join(const char *a, const char *b) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, a);
  while (sb.len > 1 && sb.buf[sb.len - 1] == '/')
    sb.buf[--sb.len] = '\0';
  while (*b == '/')
    b++;
  if (sb.len && sb.buf[sb.len - 1] != '/')
    baton__sb_addc(&sb, '/');
  baton__sb_adds(&sb, b);
  return baton__sb_detach(&sb);
}

bool baton__file_exists(const char *path) {
  struct stat st;
  return path && stat(path, &st) == 0;
}

int64_t baton__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double baton__wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *baton__clock_text(double t, char *out, size_t cap) {
  time_t secs = (time_t)(t > 0 ? t : 0);
  struct tm tm;
  if (!gmtime_r(&secs, &tm))
    memset(&tm, 0, sizeof tm);
  baton__fmt(out, cap, "%02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

void baton__new_run_id(char out[32]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  /* 48 random bits: thousands of runs a second stay far from collisions. */
  uint64_t r = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, &r, sizeof r) != (ssize_t)sizeof r)
      r = 0;
    close(fd);
  }
  if (!r)
    r = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 30) ^ (uint64_t)(uintptr_t)&tm;
  snprintf(out, 32, "%04u%02u%02u-%02u%02u%02u-%012llx", (unsigned)(tm.tm_year + 1900) % 10000u,
           (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
           (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
           (unsigned long long)(r & 0xffffffffffffULL));
}

static const struct {
  unsigned bit;
  const char *name;
} type_names[] = {
    {BATON__T_TEXT, "text"},   {BATON__T_IMAGE, "image"}, {BATON__T_AUDIO, "audio"},
    {BATON__T_VIDEO, "video"}, {BATON__T_JSON, "json"},
};

unsigned baton__type_from_name(const char *name) {
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (baton__ieq(name, type_names[i].name))
      return type_names[i].bit;
  return 0;
}

unsigned baton__arg_type(const char *name) {
  size_t n = name ? strlen(name) : 0;
  char base[8];
  if (n > 1 && name[n - 1] >= '2' && name[n - 1] <= '9') /* "audio2": a second recording */
    n--;
  if (n == 0 || n >= sizeof base)
    return 0;
  memcpy(base, name, n);
  base[n] = '\0';
  unsigned t = baton__type_from_name(base);
  return t == BATON__T_JSON ? 0 : t;
}

const char *baton__type_name(unsigned type) {
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (type == type_names[i].bit)
      return type_names[i].name;
  return "?";
}

unsigned baton__types_parse(const char *list) {
  unsigned bits = 0;
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '[' || *p == ']')
      p++;
    if (!*p)
      break;
    char word[16];
    size_t n = 0;
    while (*p && *p != ',' && *p != ' ' && *p != ']') {
      if (n + 1 < sizeof word)
        word[n++] = *p;
      p++;
    }
    word[n] = '\0';
    unsigned b = baton__type_from_name(word);
    if (!b)
      return 0;
    bits |= b;
  }
  return bits;
}

void baton__types_format(unsigned types, char *out, size_t cap) {
  size_t used = 0;
  if (cap)
    out[0] = '\0';
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
    if (!(types & type_names[i].bit))
      continue;
    int n = snprintf(out + used, cap > used ? cap - used : 0, "%s%s", used ? "," : "",
                     type_names[i].name);
    if (n < 0)
      return;
    used += (size_t)n;
    if (used >= cap)
      return;
  }
}

unsigned baton__type_of_path(const char *path) {
  static const struct {
    const char *ext;
    unsigned type;
  } exts[] = {
      {".png", BATON__T_IMAGE}, {".jpg", BATON__T_IMAGE},  {".jpeg", BATON__T_IMAGE},
      {".gif", BATON__T_IMAGE}, {".bmp", BATON__T_IMAGE},  {".tif", BATON__T_IMAGE},
      {".tiff", BATON__T_IMAGE}, {".webp", BATON__T_IMAGE}, {".pnm", BATON__T_IMAGE},
      {".ppm", BATON__T_IMAGE}, {".pgm", BATON__T_IMAGE},  {".wav", BATON__T_AUDIO},
      {".flac", BATON__T_AUDIO}, {".mp3", BATON__T_AUDIO}, {".ogg", BATON__T_AUDIO},
      {".m4a", BATON__T_AUDIO}, {".opus", BATON__T_AUDIO}, {".mp4", BATON__T_VIDEO},
      {".mkv", BATON__T_VIDEO}, {".avi", BATON__T_VIDEO},  {".mov", BATON__T_VIDEO},
      {".webm", BATON__T_VIDEO}, {".txt", BATON__T_TEXT},  {".md", BATON__T_TEXT},
      {".aiff", BATON__T_AUDIO}, {".aif", BATON__T_AUDIO}, {".json", BATON__T_JSON},
      {".srt", BATON__T_TEXT},  {".vtt", BATON__T_TEXT},  {".log", BATON__T_TEXT},
  };
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (baton__has_suffix_ci(path, exts[i].ext))
      return exts[i].type;
  return 0;
}

bool baton__names_unreadable_file(const char *text, char *msg, size_t msglen) {
  static const char *const exts[] = {"pdf", "doc", "docx", "odt", "rtf", "epub", "csv",
                                     "xls", "xlsx", "ods", "ppt", "pptx"};
  for (const char *w = text; w && *w;) {
    w += strspn(w, " \t\r\n'\"`([{<");
    size_t n = strcspn(w, " \t\r\n'\"`)]}>");
    while (n > 0 && strchr(",.;:!?", w[n - 1]))
      n--; /* "Summarize Q3_report.pdf." */
    const char *dot = n ? w + n - 1 : w;
    while (dot > w && *dot != '.')
      dot--;
    for (size_t i = 0; dot > w && i < sizeof exts / sizeof exts[0]; i++)
      if ((size_t)(w + n - dot - 1) == strlen(exts[i]) &&
          strncasecmp(dot + 1, exts[i], strlen(exts[i])) == 0)
        return baton__fmt(msg, msglen, "%.*s: baton cannot read .%s files; save the text as a "
                          ".txt file (or a page as a picture) and name that", (int)n, w, exts[i]),
               true;
    w += n + strcspn(w + n, " \t\r\n"); /* past the word and what trails it */
  }
  return false;
}

int baton__copy_file(const char *src, const char *dst, char *err, size_t errlen) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    baton__fmt(err, errlen, "cannot open %s: %s", src, strerror(errno));
    return -1;
  }
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    baton__fmt(err, errlen, "cannot create %s: %s", dst, strerror(errno));
    close(in);
    return -1;
  }
  char buf[65536];
  int rc = 0;
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      baton__fmt(err, errlen, "cannot read %s: %s", src, strerror(errno));
      rc = -1;
      break;
    }
    if (r == 0)
      break;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(out, buf + off, (size_t)(r - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0) {
        baton__fmt(err, errlen, "cannot write %s: %s", dst, strerror(errno));
        rc = -1;
        break;
      }
      off += w;
    }
    if (rc)
      break;
  }
  close(in);
  if (close(out) != 0 && rc == 0) {
    baton__fmt(err, errlen, "cannot write %s: %s", dst, strerror(errno));
    rc = -1;
  }
  return rc;
}

int baton__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg) {
  sigset_t all, old;
  sigfillset(&all);
  /* Faults stay deliverable to the thread that causes them. */
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGILL);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(thread, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}
