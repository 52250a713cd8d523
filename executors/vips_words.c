/* vips_words.c — how the vips executor reads an instruction: its words, phrases, sizes, numbers and the operations they ask for. */
#include "executors/vips_words.h"

#if defined(BATON_HAVE_VIPS)

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* Lower-cased words; digits, '.', '%', '&', '-' and 'x' between digits stay in words. */
void baton__vp_tokenize(const char *s, baton__vp_tokens *tk) {
  tk->n = 0;
  while (*s && tk->n < BATON__VP_MAX_TOKENS) {
    while (*s && !isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '&')
      s++;
    if (!*s)
      break;
    size_t len = 0;
    while (*s && (isalnum((unsigned char)*s) || *s == '%' || *s == '.' || *s == '&' ||
                  *s == '-')) {
      if (len + 1 < BATON__VP_TOKLEN)
        tk->t[tk->n][len++] = (char)tolower((unsigned char)*s);
      s++;
    }
    while (len > 0 && (tk->t[tk->n][len - 1] == '.' || tk->t[tk->n][len - 1] == '-'))
      len--;
    tk->t[tk->n][len] = '\0';
    if (len)
      tk->n++;
  }
}

/* Is token t the word w (len bytes) or its plural ("thumbnails", "squares", "boxes")? */
static bool vp_word_is(const char *t, const char *w, size_t len) {
  size_t n = strlen(t);
  return n >= len && memcmp(t, w, len) == 0 &&
         (n == len || !strcmp(t + len, "s") ||
          (!strcmp(t + len, "es") && strchr("sxz", w[len - 1])));
}

/* Number of tokens the phrase spans when it starts at token i, or 0. */
size_t baton__vp_phrase_at(const baton__vp_tokens *tk, size_t i, const char *phrase) {
  size_t k = i;
  const char *p = phrase;
  while (*p) {
    const char *sp = strchr(p, ' ');
    size_t len = sp ? (size_t)(sp - p) : strlen(p);
    if (k >= tk->n || len == 0 || !vp_word_is(tk->t[k], p, len))
      return 0;
    k++;
    p += len;
    while (*p == ' ')
      p++;
  }
  return k - i;
}

/* Whether the words hold the phrase. */
bool baton__vp_has(const baton__vp_words *w, const char *phrase) {
  for (size_t i = w->at; i < w->end; i++)
    if (baton__vp_phrase_at(w->tk, i, phrase))
      return true;
  return false;
}

/* Whether the words hold any of the phrases (NULL-terminated). */
bool baton__vp_has_any(const baton__vp_words *w, const char *const *phrases) {
  for (size_t i = 0; phrases[i]; i++)
    if (baton__vp_has(w, phrases[i]))
      return true;
  return false;
}

static const char *const vp_side_words[] = {"left",  "right", "top",
                                            "bottom", "upper", "lower", NULL};

bool baton__vp_has_side(const baton__vp_words *w) {
  return baton__vp_has_any(w, vp_side_words);
}

/* "200x100", "200 x 100", "200 by 100" in the words. */
bool baton__vp_dims(const baton__vp_words *ws, int *w, int *h) {
  const baton__vp_tokens *tk = ws->tk;
  for (size_t i = ws->at; i < ws->end; i++) {
    char tail;
    if (sscanf(tk->t[i], "%dx%d%c", w, h, &tail) == 2 && *w > 0 && *h > 0)
      return true;
    if (i + 2 < ws->end && (strcmp(tk->t[i + 1], "x") == 0 || strcmp(tk->t[i + 1], "by") == 0) &&
        sscanf(tk->t[i], "%d%c", w, &tail) == 1 && sscanf(tk->t[i + 2], "%d%c", h, &tail) == 1 &&
        *w > 0 && *h > 0)
      return true;
  }
  return false;
}

/* The first plain number in the words (an optional sign, decimals, a
 * trailing '%' or "px"/"deg" unit noted). */
bool baton__vp_number(const baton__vp_words *ws, double *v, bool *percent) {
  const baton__vp_tokens *tk = ws->tk;
  for (size_t i = ws->at; i < ws->end; i++) {
    char *end = NULL;
    double d = strtod(tk->t[i], &end);
    if (end == tk->t[i])
      continue;
    if (*end == '%' && end[1] == '\0') {
      *v = d;
      *percent = true;
      return true;
    }
    if (*end == '\0' || strcmp(end, "px") == 0 || strcmp(end, "deg") == 0 ||
        strcmp(end, "degrees") == 0) {
      *v = d;
      *percent = i + 1 < ws->end && (strcmp(tk->t[i + 1], "percent") == 0 ||
                                     strcmp(tk->t[i + 1], "%") == 0);
      return true;
    }
  }
  return false;
}

/* The phrases (space-separated words) that ask for each kind of operation. */
static const char *const vp_cues[BATON__VP_KINDS][16] = {
    [BATON__VP_GRAY] = {"grayscale", "greyscale", "gray", "grey", "black and white",
                        "black-and-white", "monochrome", "b&w", "black n white", "black & white",
                        "desaturate", NULL},
    [BATON__VP_RESIZE] = {"resize", "scale", "rescale", "shrink", "enlarge", "upscale",
                          "downscale", "thumbnail", "smaller", "bigger", "larger", "half",
                          "double", "twice as big", "twice as large", NULL},
    [BATON__VP_ROTATE] = {"rotate", "rotation", "upside down", "sideways", NULL},
    [BATON__VP_FLIP] = {"flip", "mirror", "mirrored", NULL},
    [BATON__VP_CROP] = {"crop", "cut", "make it square", NULL}, /* "make it square": centred */
    [BATON__VP_BLUR] = {"blur", "blurry", "blurred", "soften", "smooth", NULL},
    [BATON__VP_SHARPEN] = {"sharpen", "sharper", "crisper", NULL},
    [BATON__VP_EDGES] = {"edge", "edges", "sobel", "canny", "outline", "outlines", NULL},
    [BATON__VP_INVERT] = {"invert", "inverted", "negative", "inverse", NULL},
    [BATON__VP_LIGHT] = {"brighter", "brighten", "lighter", "lighten", "darker", "darken", "dim",
                         "dimmer", "brightness", NULL},
    [BATON__VP_CONTRAST] = {"contrast", "contrasty", NULL},
    [BATON__VP_SEPIA] = {"sepia", "sepia-toned", "vintage", "old-fashioned", NULL},
    [BATON__VP_SATURATE] = {"colorful", "colourful", "vivid", "vibrant", "saturated",
                            "saturation", "saturate", NULL},
    [BATON__VP_WARMTH] = {"warmer", "warm", "cooler", "cool", "colder", NULL},
};

/* The operations a percentage beside their cue belongs to (else "50%" is a resize). */
static bool vp_takes_percent(baton__vp_kind k) {
  return k == BATON__VP_LIGHT || k == BATON__VP_CONTRAST || k == BATON__VP_SATURATE;
}

/* "50% brighter", "darker by 20%", "the contrast by 20%", "30% more saturation": a percentage
 * beside a brightness, contrast or colourfulness cue is theirs. */
static bool vp_light_percent(const baton__vp_tokens *tk, size_t i) {
  bool more = i + 1 < tk->n && (!strcmp(tk->t[i + 1], "more") || !strcmp(tk->t[i + 1], "less"));
  for (size_t k = i > 2 ? i - 2 : 0; k <= i + 1 + more && k < tk->n; k++) /* "30% more contrast" */
    for (int o = 0; k != i && o < BATON__VP_KINDS; o++)
      for (size_t c = 0; vp_takes_percent((baton__vp_kind)o) && vp_cues[o][c]; c++)
        if (baton__vp_phrase_at(tk, k, vp_cues[o][c]))
          return true;
  return false;
}

/* The operation whose cue starts at token i, with the cue's length in
 * *span; *span 0 when none does. */
static baton__vp_kind vp_kind_at(const baton__vp_tokens *tk, size_t i, size_t *span) {
  for (int k = 0; k < BATON__VP_KINDS; k++)
    for (size_t c = 0; vp_cues[k][c]; c++)
      if ((*span = baton__vp_phrase_at(tk, i, vp_cues[k][c])))
        return (baton__vp_kind)k;
  /* "50%" alone asks for a resize. */
  *span = strchr(tk->t[i], '%') && !vp_light_percent(tk, i) ? 1 : 0;
  return BATON__VP_RESIZE;
}

/* Finds the operations in the order they are asked for, each once. */
size_t baton__vp_find_ops(const baton__vp_tokens *tk, baton__vp_op *ops) {
  size_t n = 0;
  bool seen[BATON__VP_KINDS] = {false};
  for (size_t i = 0; i < tk->n && n < BATON__VP_MAX_OPS;) {
    size_t span = 0;
    baton__vp_kind kind = vp_kind_at(tk, i, &span);
    if (span && kind == BATON__VP_RESIZE && strchr(tk->t[i], '%') && n > 0 &&
        vp_takes_percent(ops[n - 1].kind))
      span = 0; /* "lower the brightness of x.png by 20%": the percentage is the brightness's */
    if (span && kind == BATON__VP_RESIZE && i > 0 && n > 0 && ops[n - 1].kind == BATON__VP_CROP &&
        baton__vp_has_side(&(baton__vp_words){tk, i - 1, i}))
      span = 0; /* "crop it to the left half": the half is the crop's */
    if (span && !seen[kind]) {
      seen[kind] = true;
      ops[n].kind = kind;
      ops[n].at = i;
      if (n > 0)
        ops[n - 1].end = i;
      n++;
    }
    i += span ? span : 1;
  }
  if (n > 0)
    ops[n - 1].end = tk->n;
  return n;
}

#endif /* BATON_HAVE_VIPS */
