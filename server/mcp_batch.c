/* mcp_batch.c — JSON-RPC batches (revision 2025-03-26): collects a batch's responses and sends them as one array once the last is in. */
#include <pthread.h>
#include <stdlib.h>

#include "server/mcp.h"
#include "core/banned.h"

struct mcp_batch {
  pthread_mutex_t lock; /* responses, holds */
  cJSON *responses;     /* the array sent at the end */
  int holds;            /* the reader while it reads the batch, and each call still running */
};

mcp_batch *baton__mcp_batch_new(void) {
  mcp_batch *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->responses = cJSON_CreateArray();
  if (!b->responses) {
    free(b);
    return NULL;
  }
  pthread_mutex_init(&b->lock, NULL);
  b->holds = 1;
  return b;
}

void baton__mcp_batch_hold(mcp_batch *b) {
  pthread_mutex_lock(&b->lock);
  b->holds++;
  pthread_mutex_unlock(&b->lock);
}

void baton__mcp_batch_add(mcp_batch *b, cJSON *response) {
  pthread_mutex_lock(&b->lock);
  cJSON_AddItemToArray(b->responses, response);
  pthread_mutex_unlock(&b->lock);
}

void baton__mcp_batch_release(mcp_server *s, mcp_batch *b) {
  pthread_mutex_lock(&b->lock);
  bool last = --b->holds == 0;
  pthread_mutex_unlock(&b->lock);
  if (!last)
    return;
  if (cJSON_GetArraySize(b->responses) > 0) /* none for a batch of notifications only */
    baton__mcp_send(s, b->responses);
  cJSON_Delete(b->responses);
  pthread_mutex_destroy(&b->lock);
  free(b);
}
