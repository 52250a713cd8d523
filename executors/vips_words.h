/* vips_words.h — how the "vips" executor reads an image-to-image instruction, shared by its files
 * (vips.c: the executor; vips_words.c: the instruction's words, phrases, sizes, numbers and the
 * operations they ask for; vips_ops.c: the operations, each reading its own words); the executor
 * itself is declared in executor.h. Internal: nothing here is API. Nothing here calls libvips; all
 * functions are pure and thread-safe, and read only what they are given (borrowed for the call).
 * A word is a token: lower-cased, at most BATON__VP_TOKLEN - 1 bytes (longer ones are cut), at
 * most BATON__VP_MAX_TOKENS of them (the rest of the instruction is not read). */
#ifndef BATON_EXECUTORS_VIPS_WORDS_H
#define BATON_EXECUTORS_VIPS_WORDS_H

#if defined(BATON_HAVE_VIPS)

#include <stdbool.h>
#include <stddef.h>

#define BATON__VP_MAX_TOKENS 128 /* words of an instruction read */
#define BATON__VP_TOKLEN 32      /* bytes of a word kept, its NUL included */
#define BATON__VP_MAX_OPS 8      /* operations of an instruction done */

/* An instruction's words, in order. */
typedef struct baton__vp_tokens {
  char t[BATON__VP_MAX_TOKENS][BATON__VP_TOKLEN];
  size_t n;
} baton__vp_tokens;

/* The words of one operation: tokens [at, end) of tk (borrowed), up to the next operation. */
typedef struct baton__vp_words {
  const baton__vp_tokens *tk;
  size_t at, end;
} baton__vp_words;

/* The operations an instruction can ask for. Where its words could name two, the earlier kind
 * wins. */
typedef enum baton__vp_kind {
  BATON__VP_GRAY,
  BATON__VP_RESIZE,
  BATON__VP_ROTATE,
  BATON__VP_FLIP,
  BATON__VP_CROP,
  BATON__VP_BLUR,
  BATON__VP_SHARPEN,
  BATON__VP_EDGES,
  BATON__VP_INVERT,
  BATON__VP_LIGHT,
  BATON__VP_CONTRAST,
  BATON__VP_SEPIA,
  BATON__VP_SATURATE,
  BATON__VP_WARMTH,
  BATON__VP_KINDS /* how many kinds there are */
} baton__vp_kind;

/* One operation asked for: its kind and its words, tokens [at, end) up to the next operation. */
typedef struct baton__vp_op {
  baton__vp_kind kind;
  size_t at, end;
} baton__vp_op;

/* The words of s into *tk: lower-cased; digits, '.', '%', '&', '-' and 'x' between digits stay
 * in words ("200x100", "50%", "b&w", "counter-clockwise"); a trailing '.' or '-' is dropped. */
void baton__vp_tokenize(const char *s, baton__vp_tokens *tk);

/* Number of tokens the phrase (words separated by spaces) spans when it starts at token i of
 * tk, or 0. A word matches itself or its plural ("thumbnails", "squares", "boxes"). */
size_t baton__vp_phrase_at(const baton__vp_tokens *tk, size_t i, const char *phrase);

/* Whether the words hold the phrase. */
bool baton__vp_has(const baton__vp_words *w, const char *phrase);

/* Whether the words hold any of the phrases (NULL-terminated). */
bool baton__vp_has_any(const baton__vp_words *w, const char *const *phrases);

/* Whether the words name a side of a picture: "left", "right", "top", "bottom", "upper",
 * "lower". */
bool baton__vp_has_side(const baton__vp_words *w);

/* The first size in the words, "200x100", "200 x 100" or "200 by 100", into *w and *h (both
 * above 0); false when they give none (*w and *h may then be written). */
bool baton__vp_dims(const baton__vp_words *ws, int *w, int *h);

/* The first plain number in the words into *v (an optional sign, decimals, a unit "px", "deg"
 * or "degrees" allowed), *percent set when it is a percentage ("50%", "50 percent"); false when
 * they give none. */
bool baton__vp_number(const baton__vp_words *ws, double *v, bool *percent);

/* The operations tk asks for, in the order it asks for them, each once, into ops (at most
 * BATON__VP_MAX_OPS): each one's words run up to the next one's cue, the last one's to the end.
 * A percentage alone ("50%") asks for a resize, unless it sits beside a brightness, contrast or
 * colourfulness cue or follows one ("50% brighter", "lower the brightness by 20%"); a side and
 * "half" after a crop are the crop's ("crop it to the left half"). Returns how many. */
size_t baton__vp_find_ops(const baton__vp_tokens *tk, baton__vp_op *ops);

#endif /* BATON_HAVE_VIPS */

#endif
