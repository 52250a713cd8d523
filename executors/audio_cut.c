/* audio_cut.c — a part of a recording named in words ("the first 10 seconds", "from 1:30 to 2:00"), kept or cut out. */
#include "executors/audio_cut.h"

#if defined(BATON_HAVE_SNDFILE)

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define CUT_MAX_NUMBERS 8
#define CUT_LOOK_BACK 24 /* bytes before a time searched for "first", "from"... */

/* Time units after a number, longest spelling first, and their length in seconds. */
static const struct {
  const char *unit;
  double seconds;
} cut_units[] = {{"milliseconds", 0.001}, {"ms", 0.001},    {"seconds", 1},    {"second", 1},
                 {"secs", 1},             {"sec", 1},       {"s", 1},          {"minutes", 60},
                 {"minute", 60},          {"mins", 60},     {"min", 60},       {"hours", 3600},
                 {"hour", 3600},          {"h", 3600}};

static const char *const cut_remove[] = {
    "remove", "delete", "drop", "skip", "without", "get rid", "cut off", "cut out", "cut away",
    "cut the first", "cut the last", "trim off", "trim the first", "trim the last", NULL};
/* "cut (or take) the part between 0:01 and 0:03 out of it": taken out, unless the request keeps,
 * gets or makes a clip of it ("keep 0:01 to 0:03 out of it", "make a clip ... out of it"). */
static const char *const cut_out_of[] = {"out of", NULL};
static const char *const cut_out_verbs[] = {"cut", "take", NULL};
static const char *const cut_keep_verbs[] = {"keep", "get", "make", "clip", "extract", "give",
                                             "save", NULL};
static const char *const cut_from[] = {"from", "after", "starting at", "start at", NULL};
static const char *const cut_until[] = {"until", "up to", "before", "till", NULL};

/* A number of the text: where it starts, its value in seconds, whether a unit (or m:ss) said so. */
typedef struct {
  const char *at;
  double v;
  bool timed;
  double before; /* the unit said before it ("minute 1"), or 0 */
} number;

double baton__cut_unit_at(const char *s) {
  for (size_t i = 0; i < sizeof cut_units / sizeof cut_units[0]; i++) {
    size_t n = strlen(cut_units[i].unit);
    if (strncmp(s, cut_units[i].unit, n) == 0 && !isalpha((unsigned char)s[n]))
      return cut_units[i].seconds;
  }
  return 0;
}

/* "From minute 1", "between second 5 and 8": the unit of a word of 3 letters or more right before
 * the number at `at`, after "from", "at" or "between" or, with `more` (the number before was timed
 * so), "to", "until" or "till"; 0 if none. */
static double unit_before(const char *low, const char *at, bool more) {
  static const char *const leads[] = {"from", "at", "between", NULL};
  static const char *const mores[] = {"to", "until", "till", NULL};
  const char *e = at, *w;
  while (e > low && e[-1] == ' ')
    e--;
  for (w = e; w > low && isalpha((unsigned char)w[-1]);)
    w--;
  char word[16], lead[16];
  if (e == at || e - w < 3 || e - w >= (ptrdiff_t)sizeof word || w - low < 2 || w[-1] != ' ')
    return 0;
  const char *l = w - 1;
  while (l > low && isalpha((unsigned char)l[-1]))
    l--;
  baton__fmt(word, sizeof word, "%.*s", (int)(e - w), w);
  baton__fmt(lead, sizeof lead, "%.*s", (int)(w - 1 - l), l);
  bool led = baton__run_any_word(lead, leads, false);
  led |= more && baton__run_any_word(lead, mores, false);
  return led ? baton__cut_unit_at(word) : 0;
}

/* With no number timed by a unit after it: "from minute 1 to minute 2", "from minute 1 to 2" (the
 * unit carried on), each number's unit before it. */
static void units_before(const char *low, number *out, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (out[i].timed)
      return;
  for (size_t i = 0; i < n; i++) {
    double unit = unit_before(low, out[i].at, i > 0 && out[i - 1].before > 0);
    const char *gap = i ? out[i - 1].at + strspn(out[i - 1].at, "0123456789. ") : NULL;
    if (!unit && gap && out[i - 1].before > 0 && (!strncmp(gap, "to ", 3) || *gap == '-'))
      unit = out[i - 1].before;
    if (unit > 0)
      out[i].v *= unit, out[i].timed = true, out[i].before = unit;
  }
}

/* The numbers of low, in order; a bare one before "and", "to" or "-" and a timed one takes its
 * unit ("between 10 and 20 seconds"). How many. */
static size_t read_numbers(const char *low, number *out) {
  size_t n = 0;
  double v;
  for (const char *p = low, *after;
       n < CUT_MAX_NUMBERS && baton__run_next_number(low, &p, &v, &after);) {
    const char *at = p;
    while (at > low && (isdigit((unsigned char)at[-1]) || at[-1] == '.'))
      at--;
    double unit = 1;
    bool timed = *p == ':' && isdigit((unsigned char)p[1]);
    char *end = NULL;
    if (timed) /* m:ss */
      v = v * 60 + strtod(p + 1, &end), p = end;
    else if ((unit = baton__cut_unit_at(after + (*after == '-'))) > 0) /* "a 2-second clip" */
      v *= unit, timed = true;
    out[n++] = (number){at, v, timed, 0};
  }
  units_before(low, out, n);
  for (size_t i = n; i-- > 1;) {
    const char *gap = out[i - 1].at + strspn(out[i - 1].at, "0123456789. ");
    bool joined = !strncmp(gap, "and ", 4) || !strncmp(gap, "to ", 3) || *gap == '-';
    double unit = baton__cut_unit_at(out[i].at + strspn(out[i].at, "0123456789. "));
    if (!out[i - 1].timed && out[i].timed && joined && gap < out[i].at)
      out[i - 1].v *= unit > 0 ? unit : 1, out[i - 1].timed = true;
  }
  return n;
}

/* Does one of the words stand in the CUT_LOOK_BACK bytes of low before at? */
static bool said_before(const char *low, const char *at, const char *const *words) {
  const char *from = at - low > CUT_LOOK_BACK ? at - CUT_LOOK_BACK : low;
  char window[CUT_LOOK_BACK + 1];
  baton__fmt(window, sizeof window, "%.*s", (int)(at - from), from);
  return baton__run_any_word(window, words, false);
}

/* "The first second", "the last minute": a unit right after "first" or "last" with no number
 * before it is one of that unit, into c. */
static baton__cut one_unit(const char *low, baton__cut c) {
  static const char *const ends[] = {"first ", "last "};
  for (size_t k = 0; k < 2; k++)
    for (const char *w = strstr(low, ends[k]); w; w = strstr(w + 1, ends[k])) {
      double unit = baton__cut_unit_at(w + strlen(ends[k]));
      if (unit >= 1 && (w == low || !isalpha((unsigned char)w[-1])))
        return c.kind = k ? CUT_LAST : CUT_FIRST, c.to = unit, c;
    }
  return c;
}

/* Words after a time's unit that make it the length to keep ("10 seconds long", "a 2-second
 * clip"). */
static const char *const cut_lengths[] = {"long",   "clip",    "excerpt",   "snippet", "sample",
                                          "preview", "audio", "recording", "version", NULL};

/* "Trim it to 10 seconds", "make it 10 seconds long", "a 2-second clip": does the time at `at`
 * give the length to keep ("to" right before it, a cut_lengths word right after its unit)? */
static bool length_asked(const char *low, const char *at) {
  const char *e = at + strspn(at, "0123456789.: -");
  e += strspn(e, "abcdefghijklmnopqrstuvwxyz"); /* its unit */
  e += strspn(e, " ");
  bool to = at - low >= 3 && !strncmp(at - 3, "to ", 3) &&
            (at - low == 3 || !isalpha((unsigned char)at[-4]));
  for (size_t i = 0; !to && cut_lengths[i]; i++) {
    size_t n = strlen(cut_lengths[i]);
    to = !strncmp(e, cut_lengths[i], n) && !isalpha((unsigned char)e[n]);
  }
  return to;
}

/* Shares of a recording: an ordinal ("middle": of an odd number of parts; -1: the last part) and
 * then a fraction, its number of parts ("the second half", "the first third"). */
static const struct {
  const char *word;
  int nth;
} cut_ordinals[] = {{"first", 1}, {"second", 2}, {"third", 3}, {"middle", 0}, {"last", -1},
                    {"final", -1}};
static const struct {
  const char *word;
  int parts;
} cut_fractions[] = {{"half", 2}, {"third", 3}, {"quarter", 4}};

#define CUT_LETTERS "abcdefghijklmnopqrstuvwxyz"

/* The part (1 to parts) the ordinal w names of `parts`, or 0. */
static int nth_of(const char *w, int parts) {
  for (size_t o = 0; o < sizeof cut_ordinals / sizeof *cut_ordinals; o++) {
    int nth = cut_ordinals[o].nth;
    nth = nth < 0 ? parts : nth == 0 && parts % 2 ? (parts + 1) / 2 : nth;
    if (!strcmp(w, cut_ordinals[o].word) && nth <= parts)
      return nth;
  }
  return 0;
}

/* The share low names as an ordinal right before a fraction, into c as a CUT_RANGE of shares. */
static baton__cut share_of(const char *low, baton__cut c) {
  char prev[16] = "", w[16];
  for (const char *p = low, *e; *p; p = e) {
    const char *s = p + strcspn(p, CUT_LETTERS);
    e = s + strspn(s, CUT_LETTERS);
    if (s != p && !(s == p + 1 && *p == ' '))
      prev[0] = '\0'; /* words in a row only, a space apart */
    baton__fmt(w, sizeof w, "%.*s", (int)(e - s), s);
    for (size_t f = 0; f < sizeof cut_fractions / sizeof *cut_fractions; f++) {
      int parts = cut_fractions[f].parts, nth = nth_of(prev, parts);
      if (nth && !strcmp(w, cut_fractions[f].word))
        return c.kind = CUT_RANGE, c.share = true, c.from = (double)(nth - 1) / parts,
               c.to = (double)nth / parts, c;
    }
    memcpy(prev, w, sizeof prev);
  }
  return c;
}

/* Before the time at `at`, does low say to cut or take a part out ("cut 0:01 to 0:03 out of it
 * and make it louder"), not to keep, get or make one ("make a clip from 0:01 to 0:03 out of
 * it")? Only the words before that time count. */
static bool took_out(const char *low, const char *at) {
  char head[CUT_LOOK_BACK * 8];
  size_t n = (size_t)(at - low) < sizeof head - 1 ? (size_t)(at - low) : sizeof head - 1;
  memcpy(head, at - n, n);
  head[n] = '\0';
  return baton__run_any_word(head, cut_out_verbs, true) &&
         !baton__run_any_word(head, cut_keep_verbs, true);
}

baton__cut baton__cut_parse(const char *low) {
  number num[CUT_MAX_NUMBERS];
  size_t n = read_numbers(low, num), i = 0, j;
  while (i < n && !num[i].timed)
    i++;
  baton__cut c = {.kind = CUT_NONE, .remove = baton__run_any_word(low, cut_remove, false)};
  static const char *const first[] = {"first", NULL}, *const last[] = {"last", NULL};
  if (i == n) {
    c = n ? c : one_unit(low, c);
    return c.kind == CUT_NONE ? share_of(low, c) : c;
  }
  for (j = i + 1; j < n && !num[j].timed; j++)
    ;
  bool from_start = said_before(low, num[i].at, first);
  if (from_start || said_before(low, num[i].at, last))
    c.kind = from_start ? CUT_FIRST : CUT_LAST, c.to = num[i].v;
  else if (j < n)
    c.kind = CUT_RANGE, c.from = num[i].v, c.to = num[j].v,
    c.remove |= baton__run_any_word(low, cut_out_of, false) && took_out(low, num[i].at);
  else if (said_before(low, num[i].at, cut_from))
    c.kind = CUT_RANGE, c.from = num[i].v, c.to = INFINITY;
  else if (said_before(low, num[i].at, cut_until))
    c.kind = CUT_RANGE, c.from = 0, c.to = num[i].v;
  else if (length_asked(low, num[i].at))
    c.kind = CUT_FIRST, c.to = num[i].v;
  return c;
}

int baton__pcm_cut(baton__pcm *p, const baton__cut *c, char *desc, size_t desclen) {
  double len = (double)p->frames / p->rate, scale = c->share ? len : 1;
  double a = c->kind == CUT_LAST ? len - c->to : c->kind == CUT_FIRST ? 0 : c->from * scale;
  double b = c->kind == CUT_FIRST ? c->to : c->kind == CUT_LAST ? len : c->to * scale;
  a = a < 0 ? 0 : a, b = b > len ? len : b;
  if (a >= len || b <= a)
    return baton__fmt(desc, desclen, "the recording is %.2f s long: nothing of it lies between "
                      "%.2f s and %.2f s", len, a, c->kind == CUT_RANGE ? c->to : b), -1;
  size_t fa = (size_t)(a * p->rate + 0.5), fb = (size_t)(b * p->rate + 0.5);
  fb = fb > p->frames ? p->frames : fb;
  size_t ch = (size_t)p->channels, keep = c->remove ? p->frames - (fb - fa) : fb - fa;
  if (keep == 0)
    return baton__fmt(desc, desclen, "that would cut the whole recording (%.2f s)", len), -1;
  if (c->remove)
    memmove(p->s + fa * ch, p->s + fb * ch, (p->frames - fb) * ch * sizeof *p->s);
  else
    memmove(p->s, p->s + fa * ch, keep * ch * sizeof *p->s);
  p->frames = keep;
  baton__fmt(desc, desclen, "%s %.2f s to %.2f s (%.2f s); ", c->remove ? "cut out" : "kept", a, b,
             b - a);
  return 0;
}

#endif /* BATON_HAVE_SNDFILE */
