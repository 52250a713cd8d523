/* ytree.h — a small YAML document tree (libyaml) whose nodes remember their line, for readable errors. */
#ifndef BATON_CORE_YTREE_H
#define BATON_CORE_YTREE_H

#include <stddef.h>

typedef enum { BATON__YN_SCALAR, BATON__YN_MAP, BATON__YN_SEQ } baton__yn_kind;

typedef struct baton__ynode {
  baton__yn_kind kind;
  int line;                    /* 1-based */
  char *value;                 /* scalars: the text (never NULL) */
  struct baton__ynode **kids;  /* maps: key, value, key, value...; sequences: items */
  size_t n;
} baton__ynode;

/*
 * Parses one YAML document (text/len, borrowed; `file` names it in
 * messages). Aliases and nesting deeper than max_depth are refused. An empty
 * document gives an empty mapping. Returns the root (free with
 * baton__ynode_free), or NULL with "FILE:LINE: problem" in err.
 */
baton__ynode *baton__ytree_parse(const char *text, size_t len, const char *file, int max_depth,
                                 char *err, size_t errlen);
void baton__ynode_free(baton__ynode *n);
/* The value of `key` in a mapping (borrowed), or NULL. */
const baton__ynode *baton__ynode_get(const baton__ynode *map, const char *key);

#endif
