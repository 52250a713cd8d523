/* strset.c — a set of strings (open addressing), for the model ids of one import or match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/internal.h"
#include "core/banned.h"

static uint64_t hash_str(const char *s) {
  return baton__fnv1a64(BATON_FNV1A64_INIT, s, strlen(s));
}

void baton__strset_init(baton__strset *s) { memset(s, 0, sizeof *s); }

void baton__strset_release(baton__strset *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->slot[i]);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

bool baton__strset_has(const baton__strset *s, const char *key) {
  if (!s->cap)
    return false;
  for (size_t i = hash_str(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slot[i])
      return false;
    if (!strcmp(s->slot[i], key))
      return true;
  }
}

int baton__strset_add(baton__strset *s, const char *key) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    char **ns = calloc(ncap, sizeof *ns);
    if (!ns)
      return -1;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i])
        continue;
      size_t j = hash_str(s->slot[i]) & (ncap - 1);
      while (ns[j])
        j = (j + 1) & (ncap - 1);
      ns[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = ns;
    s->cap = ncap;
  }
  size_t i = hash_str(key) & (s->cap - 1);
  for (; s->slot[i]; i = (i + 1) & (s->cap - 1))
    if (!strcmp(s->slot[i], key))
      return 0;
  if (!(s->slot[i] = baton__strdup(key)))
    return -1;
  s->n++;
  return 1;
}
