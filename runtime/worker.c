/* worker.c — executor worker processes: spawning, supervision, the message protocol and the child loop. */
#include "runtime/worker.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

extern char **environ;

/* ---- framing ------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static int send_msg(int fd, const char *json) {
  size_t len = strlen(json);
  if (len > BATON__WORKER_MAX_MSG)
    return -1;
  unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
  if (write_all(fd, hdr, 4) != 0)
    return -1;
  return write_all(fd, json, len);
}

/* Writes all of buf to a pipe or file. */
static int write_all_plain(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Why a read stopped. */
typedef enum { RD_OK, RD_EOF, RD_ERROR, RD_TIMEOUT, RD_CANCELLED, RD_TOO_BIG } rd_status;

/* Reads exactly len bytes, waiting in short slices when there is a cancel
 * flag to notice, and never past the deadline (monotonic ms, 0 = none). */
static rd_status read_exact(int fd, void *buf, size_t len, int64_t deadline,
                            const atomic_int *cancel) {
  char *p = buf;
  while (len) {
    if (cancel && atomic_load(cancel))
      return RD_CANCELLED;
    int wait_ms = cancel ? 50 : -1; /* nothing to notice but the deadline: no slices */
    if (deadline) {
      int64_t left = deadline - baton__now_ms();
      if (left <= 0)
        return RD_TIMEOUT;
      if (wait_ms < 0 || left < wait_ms)
        wait_ms = left > 60000 ? 60000 : (int)left;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r = poll(&pfd, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return RD_ERROR;
    }
    if (r == 0)
      continue;
    ssize_t n = read(fd, p, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return RD_ERROR;
    }
    if (n == 0)
      return RD_EOF;
    p += n;
    len -= (size_t)n;
  }
  return RD_OK;
}

static rd_status recv_msg(int fd, char **out, int64_t deadline, const atomic_int *cancel) {
  *out = NULL;
  unsigned char hdr[4];
  rd_status st = read_exact(fd, hdr, 4, deadline, cancel);
  if (st != RD_OK)
    return st;
  size_t len = ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3];
  if (len > BATON__WORKER_MAX_MSG)
    return RD_TOO_BIG;
  char *buf = malloc(len + 1);
  if (!buf)
    return RD_ERROR;
  st = read_exact(fd, buf, len, deadline, cancel);
  if (st != RD_OK) {
    free(buf);
    return st;
  }
  buf[len] = '\0';
  *out = buf;
  return RD_OK;
}

/* What a worker sends first on taking a request, before it runs anything: a worker that dies
 * before this never started the task, which then goes to a replacement. */
#define WORKER_TOOK "{\"took\":true}"
/* exchange(): the worker died before it took the task. */
#define EXCHANGE_UNTAKEN (-2)

/* ---- values as JSON -------------------------------------------------------- */

static cJSON *values_to_json(const baton__values *vs) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < vs->n; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
      cJSON_Delete(arr);
      return NULL;
    }
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "name", vs->v[i].name);
    cJSON_AddNumberToObject(o, "type", vs->v[i].type);
    if (vs->v[i].data)
      cJSON_AddStringToObject(o, "data", vs->v[i].data);
  }
  return arr;
}

static int values_from_json(const cJSON *arr, baton__values *vs) {
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
    if (!cJSON_IsString(name) || !cJSON_IsNumber(type) || type->valuedouble < 0 ||
        type->valuedouble > 255)
      return -1;
    if (baton__values_add(vs, name->valuestring, (unsigned)type->valuedouble,
                          cJSON_IsString(data) ? data->valuestring : NULL) != 0)
      return -1;
  }
  return 0;
}

/* ---- finding the program ------------------------------------------------- */

char *baton__worker_program(void) {
  const char *env = getenv("BATON_WORKER");
  if (env && *env)
    return access(env, X_OK) == 0 ? baton__strdup(env) : NULL;
#ifdef BATON_WORKER_INSTALL_PATH
  if (access(BATON_WORKER_INSTALL_PATH, X_OK) == 0)
    return baton__strdup(BATON_WORKER_INSTALL_PATH);
#endif
#ifdef BATON_WORKER_BUILD_PATH
  if (access(BATON_WORKER_BUILD_PATH, X_OK) == 0)
    return baton__strdup(BATON_WORKER_BUILD_PATH);
#endif
  return NULL;
}

/* ---- the pool ---------------------------------------------------------------- */

void baton__worker_pool_init(baton__worker_pool *p, const char *executor,
                             const baton__config *cfg, const char *program, size_t max) {
  memset(p, 0, sizeof *p);
  baton__fmt(p->name, sizeof p->name, "%s", executor);
  p->cfg = cfg;
  p->program = program;
  p->max = max ? max : 1;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->freed, NULL);
}

static void reap(pid_t pid, int *status) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (status)
    *status = st;
}

/* Kills a worker at once and reaps it. */
static void kill_worker(baton__worker *w, int *status) {
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  if (w->pid > 0) {
    kill(w->pid, SIGKILL);
    reap(w->pid, status);
  }
  w->pid = -1;
}

void baton__worker_pool_release(baton__worker_pool *p) {
  if (!p->name[0])
    return;
  /* Closing the socket tells an idle worker to exit; give it a moment. */
  for (size_t i = 0; i < p->n; i++) {
    if (p->w[i].fd >= 0)
      close(p->w[i].fd);
    p->w[i].fd = -1;
    if (p->w[i].pid > 0)
      kill(p->w[i].pid, SIGTERM);
  }
  int64_t until = baton__now_ms() + 500;
  for (size_t i = 0; i < p->n; i++) {
    if (p->w[i].pid <= 0)
      continue;
    for (;;) {
      pid_t r = waitpid(p->w[i].pid, NULL, WNOHANG);
      if (r == p->w[i].pid || (r < 0 && errno != EINTR))
        break;
      if (baton__now_ms() > until) {
        kill(p->w[i].pid, SIGKILL);
        reap(p->w[i].pid, NULL);
        break;
      }
      usleep(5000);
    }
    p->w[i].pid = -1;
  }
  free(p->w);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->freed);
  memset(p, 0, sizeof *p);
}

/* Spawn attributes that put a child in a process group of its own, so that
 * the terminal's ^C (sent to baton's foreground group) reaches baton, which
 * cancels what runs, and not the workers, idle ones included. The caller
 * destroys *attr. */
static void own_group_attr(posix_spawnattr_t *attr) {
  posix_spawnattr_init(attr);
  posix_spawnattr_setpgroup(attr, 0);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP);
}

/* Starts a worker for the pool's executor. 0, or -1 with err. */
static int spawn_worker(baton__worker_pool *p, baton__worker *w, char *err, size_t errlen) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    baton__fmt(err, errlen, "cannot create a worker socket: %s", strerror(errno));
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  /* The child's end becomes fd 3 (dup2 clears close-on-exec). */
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  char mem[32];
  baton__fmt(mem, sizeof mem, "%zu", p->cfg->worker_memory_mb);
  char *argv[] = {(char *)p->program, (char *)"--fd", (char *)"3", (char *)"--executor", p->name,
                  (char *)"--memory-mb", mem, p->cfg->source ? (char *)"--config" : NULL,
                  p->cfg->source, NULL};
  pid_t pid;
  posix_spawnattr_t attr;
  own_group_attr(&attr);
  int rc = posix_spawn(&pid, p->program, &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    baton__fmt(err, errlen, "cannot start %s: %s", p->program, strerror(rc));
    return -1;
  }
  w->pid = pid;
  w->fd = sv[0];
  return 0; /* busy stays as the caller set it: a task may be about to use it */
}

/* Takes an idle worker (or a free place for a new one). Returns its index. */
static size_t acquire(baton__worker_pool *p, const atomic_int *cancel, bool *fresh) {
  pthread_mutex_lock(&p->lock);
  for (;;) {
    for (size_t i = 0; i < p->n; i++)
      if (!p->w[i].busy && p->w[i].pid > 0) {
        p->w[i].busy = true;
        *fresh = false;
        pthread_mutex_unlock(&p->lock);
        return i;
      }
    /* A dead slot, or room for one more. */
    for (size_t i = 0; i < p->n; i++)
      if (!p->w[i].busy && p->w[i].pid <= 0) {
        p->w[i].busy = true;
        *fresh = true;
        pthread_mutex_unlock(&p->lock);
        return i;
      }
    /* Room for max workers at once: the array never moves while other
     * threads use their workers through pointers into it. */
    if (p->n < p->max && !p->w)
      p->w = calloc(p->max, sizeof *p->w);
    if (p->n < p->max) {
      if (p->w) {
        p->w[p->n] = (baton__worker){.pid = -1, .fd = -1, .busy = true};
        *fresh = true;
        size_t i = p->n++;
        pthread_mutex_unlock(&p->lock);
        return i;
      }
    }
    if (cancel && atomic_load(cancel)) {
      pthread_mutex_unlock(&p->lock);
      return SIZE_MAX;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->freed, &p->lock, &ts);
  }
}

static void release(baton__worker_pool *p, size_t i) {
  pthread_mutex_lock(&p->lock);
  p->w[i].busy = false;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->lock);
}

static void describe_death(int status, const char *name, char *err, size_t errlen) {
  if (WIFSIGNALED(status))
    baton__fmt(err, errlen, "the %s worker crashed (signal %d: %s); it will be replaced", name,
               WTERMSIG(status), strsignal(WTERMSIG(status)));
  else if (WIFEXITED(status))
    baton__fmt(err, errlen, "the %s worker exited with status %d; it will be replaced", name,
               WEXITSTATUS(status));
  else
    baton__fmt(err, errlen, "the %s worker stopped; it will be replaced", name);
}

void baton__worker_pool_prewarm(baton__worker_pool *p) {
  pthread_mutex_lock(&p->lock);
  if (p->n == 0 && p->max > 0) {
    baton__worker *nw = p->w ? p->w : calloc(p->max, sizeof *nw);
    if (nw) {
      char err[256];
      *nw = (baton__worker){.pid = -1, .fd = -1, .busy = false};
      p->w = nw;
      p->n = 1;
      if (spawn_worker(p, &p->w[0], err, sizeof err) != 0)
        p->w[0].pid = -1; /* the first task will try again and report */
    }
  }
  pthread_mutex_unlock(&p->lock);
}

/* The request for one task, as the message to send; NULL when out of memory. */
static char *task_request(const baton__worker_pool *p, const char *task, const baton__values *in,
                          const baton__exec_env *env) {
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "executor", p->name);
  cJSON_AddStringToObject(req, "task", task);
  if (env->model)
    cJSON_AddStringToObject(req, "model", env->model);
  if (env->endpoint)
    cJSON_AddStringToObject(req, "endpoint", env->endpoint);
  cJSON_AddStringToObject(req, "workspace", env->workspace);
  cJSON_AddStringToObject(req, "prefix", env->file_prefix);
  if (env->file_format)
    cJSON_AddStringToObject(req, "format", env->file_format);
  if (env->untargeted)
    cJSON_AddStringToObject(req, "untargeted", env->untargeted);
  cJSON_AddNumberToObject(req, "timeout_ms", (double)env->timeout_ms);
  cJSON_AddItemToObject(req, "inputs", values_to_json(in));
  char *msg = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  return msg;
}

/* Waits for the worker's word that it took the task (WORKER_TOOK). RD_OK, or why not. */
static rd_status await_took(baton__worker *w, int64_t deadline, const atomic_int *cancel) {
  char *m = NULL;
  rd_status st = recv_msg(w->fd, &m, deadline, cancel);
  if (st == RD_OK && strcmp(m, WORKER_TOOK) != 0)
    st = RD_ERROR; /* not a worker of this protocol */
  free(m);
  return st;
}

/* Sends msg to worker w and waits for its reply (*reply, caller frees). A
 * worker that cannot be written, dies, times out or is cancelled is killed
 * and reaped: -1 with env->err saying which, or EXCHANGE_UNTAKEN when it
 * died (or could not be written) before it took the task. */
static int exchange(const baton__worker_pool *p, baton__worker *w, const char *task,
                    const char *msg, baton__exec_env *env, char **reply) {
  int status = 0;
  if (send_msg(w->fd, msg) != 0) {
    kill_worker(w, &status);
    describe_death(status, p->name, env->err, sizeof env->err);
    return EXCHANGE_UNTAKEN;
  }
  /* The executor gets the timeout too; the grace second lets it answer first. */
  int64_t deadline = env->timeout_ms > 0 ? baton__now_ms() + env->timeout_ms + 1000 : 0;
  rd_status st = await_took(w, deadline, env->cancel);
  bool taken = st == RD_OK;
  if (taken)
    st = recv_msg(w->fd, reply, deadline, env->cancel);
  if (st == RD_OK)
    return 0;
  kill_worker(w, &status);
  if (!taken && (st == RD_EOF || st == RD_ERROR)) {
    describe_death(status, p->name, env->err, sizeof env->err);
    return EXCHANGE_UNTAKEN;
  }
  if (st == RD_CANCELLED)
    baton__fmt(env->err, sizeof env->err, "cancelled");
  else if (st == RD_TIMEOUT)
    baton__fmt(env->err, sizeof env->err, "%s timed out after %ld ms; its worker was stopped",
               task, env->timeout_ms);
  else if (st == RD_TOO_BIG)
    baton__fmt(env->err, sizeof env->err, "the %s worker sent a reply over %u bytes", p->name,
               BATON__WORKER_MAX_MSG);
  else
    describe_death(status, p->name, env->err, sizeof env->err);
  return -1;
}

/* A worker's reply: 0 with out filled, or -1 with env->err (and
 * env->transient and env->bad_input as the worker said). */
static int read_reply(const baton__worker_pool *p, const char *reply, baton__exec_env *env,
                      baton__values *out) {
  int rc = -1;
  cJSON *r = cJSON_Parse(reply);
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
  if (!r) {
    baton__fmt(env->err, sizeof env->err, "the %s worker sent an unreadable reply", p->name);
  } else if (cJSON_IsTrue(ok)) {
    if (values_from_json(cJSON_GetObjectItemCaseSensitive(r, "outputs"), out) == 0)
      rc = 0;
    else
      baton__fmt(env->err, sizeof env->err, "the %s worker sent malformed outputs", p->name);
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
    baton__fmt(env->err, sizeof env->err, "%s",
               cJSON_IsString(e) ? e->valuestring : "the executor failed");
    env->transient = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "transient"));
    env->bad_input = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "bad_input"));
  }
  cJSON_Delete(r);
  return rc;
}

/* Whether an idle worker is gone: exited (then reaped here), or its end of
 * the socket hung up or readable, which an idle worker's never is. A gone
 * worker is cleaned up (pid -1, socket closed). */
static bool idle_worker_gone(baton__worker *w) {
  if (waitpid(w->pid, NULL, WNOHANG) == w->pid)
    w->pid = -1;
  struct pollfd pfd = {.fd = w->fd, .events = POLLIN | POLLRDHUP};
  bool gone = w->pid <= 0 || poll(&pfd, 1, 0) != 0;
  if (gone)
    kill_worker(w, NULL);
  return gone;
}

int baton__worker_run(baton__worker_pool *p, const char *task, const baton__values *in,
                      baton__exec_env *env, baton__values *out) {
  bool fresh = false;
  size_t i = acquire(p, env->cancel, &fresh);
  if (i == SIZE_MAX) {
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }
  baton__worker *w = &p->w[i];
  /* A worker that died while idle (killed, out of memory) is replaced
   * before the task is given to it. */
  if (!fresh && idle_worker_gone(w))
    fresh = true;
  if (fresh && spawn_worker(p, w, env->err, sizeof env->err) != 0) {
    release(p, i);
    return -1;
  }
  char *msg = task_request(p, task, in, env);
  char *reply = NULL;
  int rc = -1, ex = -1;
  if (!msg)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  else if ((ex = exchange(p, w, task, msg, env, &reply)) == EXCHANGE_UNTAKEN && !fresh &&
           spawn_worker(p, w, env->err, sizeof env->err) == 0)
    /* A warm worker killed as it was handed the task (after the check above) never started
     * it: its replacement gets it, once. A new one that dies so failed to start. */
    ex = exchange(p, w, task, msg, env, &reply);
  if (ex == 0)
    rc = read_reply(p, reply, env, out);
  free(msg);
  free(reply);
  release(p, i);
  return rc;
}

/* ---- the child ------------------------------------------------------------------ */

static void reply_error(int fd, const char *msg, bool transient, bool bad_input) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddFalseToObject(r, "ok");
  cJSON_AddStringToObject(r, "error", msg);
  cJSON_AddBoolToObject(r, "transient", transient);
  cJSON_AddBoolToObject(r, "bad_input", bad_input);
  char *s = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  if (s)
    send_msg(fd, s);
  free(s);
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An executor by name: the worker's own table first, then the library's. */
static const baton__executor *find_executor(const baton__executor *const *local,
                                            const char *name) {
  for (size_t i = 0; local && local[i]; i++)
    if (strcmp(local[i]->name, name) == 0)
      return local[i];
  return baton__executor_find(name);
}

int baton__worker_describe(int fd, const char *config_path, const baton__executor *const *local) {
  baton__config cfg;
  char err[768];
  if (baton__config_load(&cfg, config_path, err, sizeof err) != 0) {
    baton__config_release(&cfg);
    return 2;
  }
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && local && local[i]; i++) {
    const baton__executor *ex = local[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *tasks = cJSON_CreateArray();
    if (!o || !tasks) {
      cJSON_Delete(o);
      cJSON_Delete(tasks);
      break;
    }
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "name", ex->name);
    cJSON_AddStringToObject(o, "model", ex->model_id);
    for (const char *const *t = ex->tasks; *t; t++)
      cJSON_AddItemToArray(tasks, cJSON_CreateString(*t));
    cJSON_AddItemToObject(o, "tasks", tasks);
    cJSON_AddBoolToObject(o, "reentrant", ex->reentrant);
    char why[256] = "";
    bool ok = ex->available ? ex->available(&cfg, why, sizeof why) : true;
    cJSON_AddBoolToObject(o, "available", ok);
    cJSON_AddStringToObject(o, "reason", ok ? "" : why);
    if (ex->inventory) {
      char details[1024] = "", watch[1024] = "";
      ex->inventory(&cfg, details, sizeof details, watch, sizeof watch);
      cJSON_AddStringToObject(o, "details", details);
      cJSON_AddStringToObject(o, "watch", watch);
    }
  }
  char *s = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  baton__config_release(&cfg);
  int rc = s && write_all_plain(fd, s, strlen(s)) == 0 ? 0 : 1;
  free(s);
  return rc;
}

cJSON *baton__worker_query(const char *program, const char *config_path, char *err,
                           size_t errlen) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) {
    baton__fmt(err, errlen, "cannot create a pipe: %s", strerror(errno));
    return NULL;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
  char *argv[] = {(char *)program, (char *)"--describe", config_path ? (char *)"--config" : NULL,
                  (char *)config_path, NULL};
  pid_t pid;
  posix_spawnattr_t attr;
  own_group_attr(&attr);
  int rc = posix_spawn(&pid, program, &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(pfd[1]);
  if (rc != 0) {
    close(pfd[0]);
    baton__fmt(err, errlen, "cannot start %s: %s", program, strerror(rc));
    return NULL;
  }
  baton__sb sb;
  baton__sb_init(&sb);
  int64_t deadline = baton__now_ms() + 30000;
  bool failed = false;
  for (;;) {
    int left = (int)(deadline - baton__now_ms());
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    if (left <= 0 || (poll(&p, 1, left) == 0)) {
      baton__fmt(err, errlen, "%s --describe did not answer within 30 s", program);
      failed = true;
      kill(pid, SIGKILL);
      break;
    }
    char buf[4096];
    ssize_t n = read(pfd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (sb.len + (size_t)n > (1u << 20)) {
      baton__fmt(err, errlen, "%s --describe said too much", program);
      failed = true;
      kill(pid, SIGKILL);
      break;
    }
    baton__sb_add(&sb, buf, (size_t)n);
  }
  close(pfd[0]);
  int status = 0;
  reap(pid, &status);
  cJSON *arr = NULL;
  if (!failed) {
    arr = cJSON_Parse(sb.buf);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !cJSON_IsArray(arr)) {
      cJSON_Delete(arr);
      arr = NULL;
      baton__fmt(err, errlen, "%s --describe failed (status %d)", program,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
  baton__sb_release(&sb);
  return arr;
}

/* The child's state: its config, and the one executor it serves once the
 * first request named it (initialised once). */
typedef struct child {
  baton__config cfg;
  const baton__executor *const *local;
  const char *unloaded; /* why the executor asked for is not in local, or NULL */
  const baton__executor *ex;
  void *state;
  bool ready;
} child;

/* Makes sure the child serves executor `name`, initialised: 0, or -1 after
 * replying why not (no such executor, another one, a failed init). */
static int child_executor(child *c, int fd, const char *name) {
  if (!c->ex) {
    const baton__executor *ex = find_executor(c->local, name);
    if (!ex || (ex->debug_only && !c->cfg.debug_executors)) {
      reply_error(fd, !ex && c->unloaded ? c->unloaded : "this worker has no such executor",
                  false, false);
      return -1;
    }
    c->ex = ex;
  } else if (strcmp(c->ex->name, name) != 0) {
    reply_error(fd, "a worker serves one executor only", false, false);
    return -1;
  }
  if (c->ready)
    return 0;
  char err[768] = "";
  if (c->ex->init && c->ex->init(&c->cfg, &c->state, err, sizeof err) != 0) {
    char msg[900];
    baton__fmt(msg, sizeof msg, "%s: %s", c->ex->name, err[0] ? err : "init failed");
    reply_error(fd, msg, false, false);
    return -1;
  }
  c->ready = true;
  return 0;
}

/* Runs the task of one well-formed request and sends the reply. 0, or 1
 * when the reply could not be sent (the worker then exits). */
static int child_serve(child *c, int fd, const cJSON *req, const char *task) {
  baton__values in = {0}, out = {0};
  atomic_int never = 0;
  const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "timeout_ms");
  baton__exec_env env = {.cfg = &c->cfg, .workspace = jstr(req, "workspace"),
                         .file_prefix = jstr(req, "prefix"), .file_format = jstr(req, "format"),
                         .untargeted = jstr(req, "untargeted"),
                         .cancel = &never,
                         .model = jstr(req, "model"), .endpoint = jstr(req, "endpoint"),
                         .isolated = true,
                         .timeout_ms = cJSON_IsNumber(to) ? (long)to->valuedouble : 0};
  int status = 0;
  if (values_from_json(cJSON_GetObjectItemCaseSensitive(req, "inputs"), &in) != 0) {
    reply_error(fd, "malformed inputs", false, false);
  } else if (c->ex->run(c->state, task, &in, &env, &out) != 0) {
    reply_error(fd, env.err[0] ? env.err : "the executor failed", env.transient, env.bad_input);
  } else {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "ok");
    cJSON_AddItemToObject(r, "outputs", values_to_json(&out));
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    if (!s || send_msg(fd, s) != 0)
      status = 1;
    free(s);
  }
  baton__values_release(&in);
  baton__values_release(&out);
  return status;
}

/* Answers one request message: 0, or 1 when the worker must exit. */
static int child_request(child *c, int fd, const char *msg) {
  cJSON *req = cJSON_Parse(msg);
  const char *name = jstr(req, "executor"), *task = jstr(req, "task");
  int status = 0;
  if (!req || !name || !task || !jstr(req, "workspace") || !jstr(req, "prefix"))
    reply_error(fd, "malformed request to the worker", false, false);
  else if (child_executor(c, fd, name) == 0)
    status = child_serve(c, fd, req, task);
  cJSON_Delete(req);
  return status;
}

/* The watchdog's thread: ends the worker as soon as baton's end of the
 * socket is gone, even in the middle of a task. The worker has a process
 * group of its own, so nothing else tells it that baton died. */
static void *watch_parent(void *arg) {
  int fd = (int)(intptr_t)arg;
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    int r = poll(&pfd, 1, -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 || (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
      _exit(3);
  }
  return NULL;
}

/* Starts the watchdog (a small stack: the worker may run under RLIMIT_AS). */
static void start_watchdog(int fd) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&t, &attr, watch_parent, (void *)(intptr_t)fd);
  pthread_attr_destroy(&attr);
}

int baton__worker_main(int fd, const char *config_path, const baton__executor *const *local,
                       const char *unloaded) {
  start_watchdog(fd);
  child c = {.local = local, .unloaded = unloaded};
  char err[768];
  if (baton__config_load(&c.cfg, config_path, err, sizeof err) != 0) {
    baton__config_release(&c.cfg);
    return 2;
  }
  int status = 0;
  while (status == 0) {
    char *msg = NULL;
    rd_status st = recv_msg(fd, &msg, 0, NULL);
    if (st == RD_EOF)
      break;
    if (st == RD_OK && send_msg(fd, WORKER_TOOK) != 0)
      st = RD_ERROR; /* baton is gone */
    status = st == RD_OK ? child_request(&c, fd, msg) : 1;
    free(msg);
  }
  if (c.ready && c.ex->release)
    c.ex->release(c.state);
  baton__config_release(&c.cfg);
  return status;
}
