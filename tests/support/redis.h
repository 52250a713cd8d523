/* redis.h — a real redis-server for the queue tests: started on a unix socket in a temp folder, stopped by the test. */
#ifndef BATON_TESTS_REDIS_H
#define BATON_TESTS_REDIS_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct bt_redis {
  char dir[256];      /* its folder: socket, append-only file, log */
  char sock[300];     /* the unix socket */
  char url[320];      /* unix:///.../redis.sock */
  pid_t pid;
} bt_redis;

/* Starts redis-server (append-only, so a restart keeps the streams) in dir
 * and waits until it answers PING. Returns false when redis-server is not
 * installed or does not come up. */
bool bt_redis_start(bt_redis *r, const char *dir);
/* Stops it (SIGTERM: it writes its data first) and waits for it to exit. */
void bt_redis_stop(bt_redis *r);
/* Sends one inline command and returns the first line of the answer
 * (malloc'd), or NULL when the server does not answer. */
char *bt_redis_cmd(const bt_redis *r, const char *line);

#endif
