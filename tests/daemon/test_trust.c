/* test_trust.c — batond and its callers: text that is not valid, other users' files and runs, inputs swapped mid-run, socket modes. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/text.h"
#include "executors/hf.h"
#include "support/served.h"
#include "support/support.h"

static bt_daemon d;

static void start(void) { bt_daemon_start(&d, NULL); }
static void stop(void) { cr_expect_eq(bt_daemon_stop(&d), 0, "batond exited cleanly"); }

TestSuite(daemon_trust, .init = start, .fini = stop, .timeout = 120);

/* The error code of a reply line, or 0 when it is a result. */
static int code_of(const char *line) {
  cJSON *j = cJSON_Parse(line);
  cr_assert(j, "the daemon sent a line that is not JSON: %s", line);
  const cJSON *e = cJSON_GetObjectItem(j, "error");
  int code = e ? cJSON_GetObjectItem(e, "code")->valueint : 0;
  cJSON_Delete(j);
  return code;
}

static void assert_utf8(const char *line) {
  cr_assert(baton__utf8_valid(line, strlen(line)), "a reply that is not valid UTF-8: %s", line);
}

Test(daemon_trust, text_that_is_not_valid_utf8_or_hides_a_nul_is_refused) {
  int fd = bt_dial(d.sock);
  cr_assert(fd >= 0);
  static const char *const frames[] = {
      /* invalid UTF-8 in a method name, an id, a plan argument */
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"he\xfflth\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\x28\",\"method\":\"health\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"a\xed\xa0\x80z\"}}]}}\n",
      /* a NUL inside a method, a task name, an argument name, a path */
      "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"health\\u0000x\"}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\\u0000evil\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}}]}}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"submit\",\"params\":{\"plan\":[{\"task\":"
      "\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"te\\u0000xt\":\"x\"}}]}}\n",
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"submit\",\"params\":{\"request\":\"read "
      "/etc/hostname\",\"cwd\":\"/tmp\\u0000/x\"}}\n",
  };
  for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
    bt_send(fd, frames[i], strlen(frames[i]));
    char *r = bt_read_line(fd, BT_WAIT_MS);
    cr_assert(r, "no reply to frame %zu", i);
    assert_utf8(r);
    cr_expect_eq(code_of(r), -32700, "frame %zu is refused as unparsable: %s", i, r);
    free(r);
  }
  /* The connection still serves. */
  char *r = bt_call(fd, 9, "health", NULL);
  cr_assert(r);
  cr_expect_eq(code_of(r), 0);
  free(r);
  close(fd);
}

Test(daemon_trust, a_folder_swapped_for_a_link_mid_run_does_not_change_what_is_read) {
  char *top = bt_tmpdir(), p[700], q[700];
  snprintf(p, sizeof p, "%s/sub", top);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/sub/pic.png", top);
  bt_write(p, "checked-bytes");
  snprintf(p, sizeof p, "%s/outside", top);
  char *outside = bt_tmpdir();
  snprintf(q, sizeof q, "%s/pic.png", outside);
  bt_write(q, "OUTSIDE-SECRET");
  int fd = bt_dial(d.sock);
  cr_assert(fd >= 0);
  char line[2000];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":{\"cwd\":\"%s\","
           "\"plan\":[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"800\"}},"
           "{\"task\":\"debug-read\",\"id\":1,\"dep\":[0],\"args\":{\"image\":\"sub/pic.png\"}}]}}\n",
           top);
  bt_send(fd, line, strlen(line));
  char *r = NULL;
  while ((r = bt_read_line(fd, BT_WAIT_MS)) && !strstr(r, "\"task.started\""))
    free(r);
  cr_assert(r, "the sleeping task did not start");
  free(r);
  /* While task 0 sleeps: the checked folder becomes a link to another. */
  char old[700];
  snprintf(p, sizeof p, "%s/sub", top);
  snprintf(old, sizeof old, "%s/sub.old", top);
  cr_assert_eq(rename(p, old), 0);
  cr_assert_eq(symlink(outside, p), 0);
  while ((r = bt_read_line(fd, BT_WAIT_MS)) && !strstr(r, "\"id\":1,"))
    free(r);
  cr_assert(r, "no result");
  cr_expect(!strstr(r, "OUTSIDE-SECRET"), "the run read the file behind the link: %s", r);
  cr_expect(strstr(r, "checked-bytes") || code_of(r) != 0, "%s", r);
  free(r);
  close(fd);
  bt_rmtree(top);
  bt_rmtree(outside);
  free(top);
  free(outside);
}

/* ---- another user on the socket (root only) -------------------------------- */

static bt_served sv; /* the daemon's working folder sv.base holds root's secret */

static void start_shared(void) {
  if (!bt_served_start(&sv))
    return;
  char p[700];
  snprintf(p, sizeof p, "%s/secret.png", sv.base);
  bt_write(p, "ROOT-ONLY-SECRET");
  chmod(p, 0600);
}

static void stop_shared(void) { bt_served_stop(&sv); }

typedef struct ask {
  const char *sock;
  const char *method;
  const char *params;
} ask;

/* In the child (as nobody): one call, its reply into out. */
static void call_as(void *arg, char *out, size_t cap) {
  const ask *a = arg;
  int fd = bt_dial(a->sock);
  if (fd < 0) {
    snprintf(out, cap, "CONNECT-FAILED");
    return;
  }
  char *r = bt_call(fd, 1, a->method, a->params);
  snprintf(out, cap, "%s", r ? r : "NO-REPLY");
  free(r);
  close(fd);
}

static char *as_nobody(const char *method, const char *params) {
  ask a = {sv.d.sock, method, params};
  char *r = bt_as_user(BT_NOBODY, BT_NOBODY, call_as, &a);
  cr_assert(r, "the child running as nobody failed");
  cr_assert(strcmp(r, "CONNECT-FAILED") != 0, "nobody cannot reach the socket");
  return r;
}

static void socket_is_open_to_allowed_users(void) {
  struct stat st;
  cr_assert_eq(stat(sv.d.sock, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0666, "socket mode %o", st.st_mode & 0777);
  char rd[700];
  snprintf(rd, sizeof rd, "%s/run", sv.d.dir);
  cr_assert_eq(stat(rd, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0711, "socket folder mode %o", st.st_mode & 0777);
  char *r = as_nobody("health", NULL);
  cr_expect_eq(code_of(r), 0, "an allowed user is served: %s", r);
  free(r);
}

/* A root-only file in nobody's own folder, named by nobody's plan as task's argument arg: the run
 * is refused and none of it leaks. */
static void refused_in_own_folder(const char *name, const char *task, const char *arg) {
  char p[700], params[1600];
  snprintf(p, sizeof p, "%s/mine/%s", sv.base, name);
  bt_write(p, "ROOT-ONLY-SECRET");
  chmod(p, 0600);
  snprintf(params, sizeof params,
           "{\"plan\":[{\"task\":\"%s\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"%s\":\"%s\"}}],\"cwd\":\"%s/mine\"}",
           task, arg, name, sv.base);
  char *r = as_nobody("submit", params);
  cr_expect_neq(code_of(r), 0, "%s refused: %s", name, r);
  cr_expect(!strstr(r, "ROOT-ONLY-SECRET"), "the secret leaked: %s", r);
  free(r);
}

static void roots_files_are_not_read_for_another_user(void) {
  char params[1600];
  /* Through plan arguments: a path in the daemon's folder, no cwd. */
  snprintf(params, sizeof params,
           "{\"plan\":[{\"task\":\"debug-read\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"image\":\"%s/secret.png\"}}]}",
           sv.base);
  char *r = as_nobody("submit", params);
  cr_expect_neq(code_of(r), 0, "refused: %s", r);
  cr_expect(!strstr(r, "ROOT-ONLY-SECRET"), "the secret leaked: %s", r);
  free(r);
  /* ...a relative one, in its own folder, to a file it may not read: a picture, and a text file
   * as a text argument's words. */
  refused_in_own_folder("secret.png", "debug-read", "image");
  refused_in_own_folder("secret.txt", "debug-echo", "text");
  /* Through "~/": nobody's home from the user database, never one it names nor the daemon's. */
  snprintf(params, sizeof params,
           "{\"plan\":[{\"task\":\"debug-read\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"image\":\"~/secret.png\"}}],\"cwd\":\"%s/mine\",\"home\":\"%s\"}",
           sv.base, sv.base);
  r = as_nobody("submit", params);
  cr_expect_neq(code_of(r), 0, "refused: %s", r);
  cr_expect(!strstr(r, "ROOT-ONLY-SECRET"), "the secret leaked: %s", r);
  struct passwd *pw = getpwuid(BT_NOBODY);
  if (pw && pw->pw_dir)
    cr_expect(strstr(r, pw->pw_dir), "nobody's own home (%s): %s", pw->pw_dir, r);
  free(r);
  /* Through the request text. */
  snprintf(params, sizeof params,
           "{\"request\":\"read the text in %s/secret.png\",\"offline\":true}", sv.base);
  r = as_nobody("submit", params);
  cr_expect(!strstr(r, "ROOT-ONLY-SECRET"), "the secret leaked: %s", r);
  cr_expect(code_of(r) != 0 && (strstr(r, "outside") || strstr(r, "permission")),
            "refused for the file: %s", r);
  free(r);
}

/* A file only a group may read (root:4244, 0640) in nobody's folder: read through the daemon
 * when nobody connects with that group among its supplementary ones, refused when not. */
/* Writes `text` into nobody's folder as root:gid with `mode`, and into params the submit of a plan
 * echoing that file's words. */
static void root_file_of_group(const char *name, const char *text, gid_t gid, mode_t mode,
                               char *params, size_t cap) {
  char p[700];
  snprintf(p, sizeof p, "%s/mine/%s", sv.base, name);
  bt_write(p, text);
  cr_assert_eq(chown(p, 0, gid), 0);
  cr_assert_eq(chmod(p, mode), 0);
  snprintf(params, cap,
           "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"%s\"}}],\"cwd\":\"%s/mine\"}",
           name, sv.base);
}

static void a_callers_groups_read_what_they_may(void) {
  char params[1600];
  root_file_of_group("team.txt", "TEAM-NOTES", 4244, 0640, params, sizeof params);
  char *r = as_nobody("submit", params);
  cr_expect_neq(code_of(r), 0, "read without the group: %s", r);
  cr_expect(!strstr(r, "TEAM-NOTES"), "the notes leaked: %s", r);
  free(r);
  ask a = {sv.d.sock, "submit", params};
  gid_t team[] = {4243, 4244};
  r = bt_as_user_in(BT_NOBODY, BT_NOBODY, team, 2, call_as, &a);
  cr_assert(r, "the child running as nobody failed");
  cr_expect(code_of(r) == 0 && strstr(r, "TEAM-NOTES"), "read with the group: %s", r);
  free(r);
  /* A file its group may not read (0604, others may) stays closed to a member of 100 groups,
   * that one the 80th: every group counts, none is left out. */
  root_file_of_group("shut.txt", "SHUT-TO-GROUP", 5080, 0604, params, sizeof params);
  gid_t many[100];
  for (size_t i = 0; i < 100; i++)
    many[i] = (gid_t)(5001 + i);
  r = bt_as_user_in(BT_NOBODY, BT_NOBODY, many, 100, call_as, &a);
  cr_assert(r, "the child running as nobody failed");
  cr_expect(code_of(r) != 0 && !strstr(r, "SHUT-TO-GROUP"), "read past its group: %s", r);
  free(r);
}

static void another_user_sees_only_its_own_runs(void) {
  int fd = bt_dial(sv.d.sock);
  cr_assert(fd >= 0);
  char *r = bt_call(fd, 1, "submit",
                    "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                    "\"args\":{\"text\":\"root's run\"}}]}");
  cr_assert(r && code_of(r) == 0, "%s", r ? r : "no reply");
  cJSON *j = cJSON_Parse(r);
  char *root_run = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "run_id")->valuestring);
  cJSON_Delete(j);
  free(r);
  r = as_nobody("submit", "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                          "\"args\":{\"text\":\"nobody's run\"}}]}");
  cr_assert_eq(code_of(r), 0, "%s", r);
  j = cJSON_Parse(r);
  char *own_run = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "run_id")->valuestring);
  cJSON_Delete(j);
  free(r);
  r = as_nobody("runs.list", NULL);
  cr_expect_eq(code_of(r), 0, "%s", r);
  cr_expect(!strstr(r, root_run), "nobody sees root's run: %s", r);
  cr_expect(strstr(r, own_run), "nobody sees its own run: %s", r);
  free(r);
  char params[200];
  snprintf(params, sizeof params, "{\"run_id\":\"%s\"}", root_run);
  r = as_nobody("run.get", params);
  cr_expect_neq(code_of(r), 0, "run.get of root's run: %s", r);
  free(r);
  r = as_nobody("run.cancel", params);
  cr_expect_neq(code_of(r), 0, "run.cancel of root's run: %s", r);
  free(r);
  /* Root sees both. */
  r = bt_call(fd, 2, "runs.list", NULL);
  cr_expect(strstr(r, root_run) && strstr(r, own_run), "%s", r);
  free(r);
  free(root_run);
  free(own_run);
  close(fd);
}

/* The result's first task's output file of a submit reply (malloc'd). */
static char *output_file(const char *reply) {
  cJSON *j = cJSON_Parse(reply);
  const cJSON *tasks = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "tasks");
  const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, 0),
                                                           "outputs"), "file");
  cr_assert(cJSON_IsString(f), "no output file: %s", reply);
  char *path = strdup(f->valuestring);
  cJSON_Delete(j);
  return path;
}

/* The params of a submit echoing text saved as name. */
static void save_plan(const char *text, const char *name, char *params, size_t cap) {
  snprintf(params, cap,
           "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"%s\",\"save_as\":\"%s\"}}]}", text, name);
}

/* The bytes of a run.output reply (malloc'd text), or NULL when it is an error. */
static char *output_bytes(const char *reply) {
  cJSON *j = cJSON_Parse(reply);
  const cJSON *data = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "data");
  size_t n = 0;
  char *text = cJSON_IsString(data)
                   ? (char *)baton__b64_decode(data->valuestring, strlen(data->valuestring), &n)
                   : NULL;
  cJSON_Delete(j);
  return text;
}

/* run.output of path (offset, length: 0 for none) as nobody: the reply (malloc'd). */
static char *output_as_nobody(const char *path, int offset, int length) {
  char params[1600];
  int n = snprintf(params, sizeof params, "{\"path\":\"%s\"", path);
  if (offset)
    n += snprintf(params + n, sizeof params - (size_t)n, ",\"offset\":%d", offset);
  if (length)
    n += snprintf(params + n, sizeof params - (size_t)n, ",\"length\":%d", length);
  snprintf(params + n, sizeof params - (size_t)n, "}");
  return as_nobody("run.output", params);
}

/* In the child (as nobody, in its folder sv.base/mine): `baton ARGS` (arg) through the daemon; what
 * it printed and its exit status into out. */
static void baton_as(void *arg, char *out, size_t cap) {
  char prog[700], cmd[4000];
  bt_baton_path(prog, sizeof prog);
  snprintf(cmd, sizeof cmd, "'%s' %s </dev/null 2>&1", prog, (char *)arg);
  FILE *p = bt_served_enter(&sv) == 0 ? popen(cmd, "r") : NULL;
  size_t n = p ? fread(out, 1, cap - 32, p) : 0;
  int st = p ? pclose(p) : -1;
  snprintf(out + n, cap - n, "\nEXIT=%d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* `baton runs fetch FILE -o DEST` as nobody: what it printed, and its exit status. */
static char *fetch_as(const char *file, const char *dest) {
  char args[1600];
  snprintf(args, sizeof args, "runs fetch '%s' -o '%s'", file, dest);
  char *r = bt_as_user(BT_NOBODY, BT_NOBODY, baton_as, args);
  cr_assert(r, "the child running as nobody failed");
  return r;
}

/* `baton runs fetch` as nobody copies its own output into its folder, never root's. */
static void another_user_fetches_its_own_outputs(const char *mine, const char *roots) {
  char *r = fetch_as(mine, "got.txt");
  cr_expect(strstr(r, "EXIT=0"), "baton runs fetch of its own output: %s", r);
  char p[700];
  snprintf(p, sizeof p, "%s/mine/got.txt", sv.base);
  char *got = access(p, F_OK) == 0 ? bt_slurp(p, NULL) : NULL;
  cr_expect(got && strstr(got, "NOBODY-NOTE"), "the copy: %s", got ? got : "(none)");
  free(got);
  free(r);
  r = fetch_as(roots, "stolen.txt");
  cr_expect(strstr(r, "EXIT=") && !strstr(r, "EXIT=0") && strstr(r, "no file of a run of yours"),
            "baton runs fetch of root's output: %s", r);
  snprintf(p, sizeof p, "%s/mine/stolen.txt", sv.base);
  cr_expect(access(p, F_OK) != 0, "a copy of root's output was left");
  snprintf(p, sizeof p, "%s/mine/stolen.txt.part", sv.base);
  cr_expect(access(p, F_OK) != 0, "a partial copy was left");
  free(r);
  /* `baton run` through the daemon tells nobody how to copy the files it may not open. */
  snprintf(p, sizeof p, "%s/mine/plan.json", sv.base);
  bt_write(p, "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
              "\"args\":{\"text\":\"hi\",\"save_as\":\"hi.txt\"}}]");
  chmod(p, 0644);
  r = bt_as_user(BT_NOBODY, BT_NOBODY, baton_as, "run --plan plan.json");
  cr_assert(r, "the child running as nobody failed");
  cr_expect(strstr(r, "EXIT=0") && strstr(r, "baton runs fetch /"), "the hint: %s", r);
  free(r);
}

static void another_user_reads_only_its_own_outputs(void) {
  char params[1600];
  save_plan("NOBODY-NOTE", "note.txt", params, sizeof params);
  char *r = as_nobody("submit", params);
  cr_assert_eq(code_of(r), 0, "%s", r);
  char *mine = output_file(r);
  free(r);
  int fd = bt_dial(sv.d.sock);
  cr_assert(fd >= 0);
  save_plan("ROOT-NOTE", "root.txt", params, sizeof params);
  r = bt_call(fd, 1, "submit", params);
  cr_assert(r && code_of(r) == 0, "%s", r ? r : "no reply");
  char *roots = output_file(r);
  free(r);
  /* The run folders stay the daemon user's: nobody opens its file through the daemon. */
  char runs[700];
  snprintf(runs, sizeof runs, "%s/home/runs", sv.d.dir);
  struct stat st;
  cr_assert_eq(stat(runs, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0700, "runs/ mode %o", st.st_mode & 0777);
  r = output_as_nobody(mine, 0, 0);
  char *bytes = output_bytes(r);
  cr_expect(bytes && strstr(bytes, "NOBODY-NOTE"), "its own output: %s", r);
  cr_expect(strstr(r, "\"eof\":true"), "%s", r);
  free(bytes);
  free(r);
  r = output_as_nobody(mine, 2, 3);
  bytes = output_bytes(r);
  cr_expect(bytes && !strcmp(bytes, "BOD") && strstr(r, "\"eof\":false"), "a piece: %s", r);
  free(bytes);
  free(r);
  /* Root's output: not found for nobody, by its path or through its own run's folder. */
  r = output_as_nobody(roots, 0, 0);
  cr_expect_eq(code_of(r), -32005, "root's output for nobody: %s", r);
  free(r);
  char via[1600], *slash = strrchr(mine, '/');
  const char *root_id = strstr(roots, "/runs/") + 6;
  snprintf(via, sizeof via, "%.*s/../%s", (int)(slash - mine), mine, root_id);
  r = output_as_nobody(via, 0, 0);
  cr_expect_neq(code_of(r), 0, "through \"..\": %s", r);
  cr_expect(!strstr(r, "\"result\""), "%s", r);
  free(r);
  /* Root, the daemon's own user, reads any run's. */
  snprintf(params, sizeof params, "{\"path\":\"%s\"}", mine);
  r = bt_call(fd, 2, "run.output", params);
  bytes = output_bytes(r);
  cr_expect(bytes && strstr(bytes, "NOBODY-NOTE"), "root reads nobody's output: %s", r);
  free(bytes);
  free(r);
  close(fd);
  /* A later request of nobody names its own output, never root's. */
  snprintf(params, sizeof params,
           "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"%s\"}}]}", mine);
  r = as_nobody("submit", params);
  cr_expect(code_of(r) == 0 && strstr(r, "NOBODY-NOTE"), "its own output as input: %s", r);
  free(r);
  snprintf(params, sizeof params,
           "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"%s\"}}]}", roots);
  r = as_nobody("submit", params);
  cr_expect(code_of(r) != 0 && !strstr(r, "ROOT-NOTE"), "root's output as input: %s", r);
  free(r);
  another_user_fetches_its_own_outputs(mine, roots);
  free(mine);
  free(roots);
}

/* One daemon for these (starting one seeds a registry: seconds). */
Test(daemon_trust_users, another_user_reaches_the_socket_but_only_its_own_files_and_runs,
     .init = start_shared, .fini = stop_shared, .timeout = 120) {
  if (geteuid() != 0)
    cr_skip_test("needs root to act as another user");
  socket_is_open_to_allowed_users();
  roots_files_are_not_read_for_another_user();
  a_callers_groups_read_what_they_may();
  another_user_sees_only_its_own_runs();
  another_user_reads_only_its_own_outputs();
}
