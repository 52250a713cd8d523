/* entities.c — the "token-classification" executor without a model: entities found by rules.
 * Dates, times, money, percentages, e-mail and web addresses, phone numbers and proper nouns
 * (entities_rules.c, entities_names.c), plain numbers when asked for (entities_numbers.c),
 * replied as Hugging Face's entity list. */
#include "executors/entities.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define EN_DEFAULT_MAX_TEXT (1024u * 1024u)
#define EN_MAX_ENTITIES 1000
#define EN_MAX_INSTRUCTION 2048

/* The groups the rules give, in the order of the bits of a wish. CARDINAL is OntoNotes' label
 * for a plain number. */
static const char *const en_groups[] = {"DATE", "TIME", "MONEY", "PERCENT", "EMAIL",
                                        "URL",  "PHONE", "PER", "ORG",     "LOC",
                                        "NAME", "CARDINAL", "MISC", NULL};
enum { EN_DATE = 1, EN_TIME = 2, EN_MONEY = 4, EN_PERCENT = 8, EN_EMAIL = 16, EN_URL = 32,
       EN_PHONE = 64, EN_PER = 128, EN_ORG = 256, EN_LOC = 512, EN_NAME = 1024,
       EN_CARDINAL = 2048, EN_MISC = 4096, /* CoNLL's MISC: a language's name ("in French") */
       /* what an instruction naming no kind gets: not plain numbers, which Hugging Face's
        * CoNLL models (the catalogue's default) do not give either, and which would bury the
        * rest */
       EN_DEFAULT = 2047 | EN_MISC,
       EN_POS = 8192 /* parts of speech asked for too: not tagged */ };

/* Words before a word of a wish that make it ask for another kind: "phone numbers". */
static const char *const en_not_numbers[] = {"phone", "telephone", "mobile", "cell", "fax",
                                             NULL};

/* The words of an instruction ("extract the dates from notes.txt") that ask for some groups
 * only, as word starts, unless one of `unless` is the word before; a name the rules cannot type
 * (NAME) goes with people, places and organisations alike. */
static const struct {
  unsigned groups;
  const char *const words[8];
  const char *const *unless;
} en_wishes[] = {
    {EN_DATE, {"date", "day", "when", NULL}, NULL},
    {EN_TIME, {"time", "hour", "when", NULL}, NULL},
    {EN_MONEY, {"money", "price", "cost", "sum", "currenc", NULL}, NULL},
    {EN_MONEY | EN_CARDINAL, {"amount", NULL}, NULL},
    {EN_PERCENT, {"percent", "rate", NULL}, NULL},
    {EN_EMAIL, {"email", "e-mail", "mail address", NULL}, NULL},
    {EN_URL, {"url", "link", "web address", "website", NULL}, NULL},
    {EN_PHONE, {"phone", "telephone", NULL}, NULL},
    {EN_PER | EN_NAME, {"people", "person", "who", "someone", NULL}, NULL},
    {EN_LOC | EN_NAME, {"place", "location", "cit", "countr", "where", NULL}, NULL},
    {EN_ORG | EN_NAME, {"compan", "organi", "business", "institution", NULL}, NULL},
    {EN_PER | EN_ORG | EN_LOC | EN_NAME, {"names", "proper noun", NULL}, NULL}, /* not "named" */
    {EN_CARDINAL, {"number", "numeral", "figures", "quantit", "digits", "cardinal", NULL},
     en_not_numbers},
    {EN_MISC, {"language", "misc", NULL}, NULL},
    {EN_DEFAULT, {"entit", NULL}, NULL},
};

/* Does the lower-cased instruction hold one of words where a word starts, but for right after
 * one of unless (NULL-ended, or NULL for none)? */
static bool en_asks(const char *low, const char *const *words, const char *const *unless) {
  for (size_t i = 0; words[i]; i++)
    for (const char *p = low; (p = strstr(p, words[i])); p++) {
      const char *e = p, *s;
      if (p > low && isalnum((unsigned char)p[-1]))
        continue;
      while (e > low && e[-1] == ' ')
        e--;
      for (s = e; s > low && isalpha((unsigned char)s[-1]);)
        s--;
      bool other = false;
      for (size_t k = 0; unless && unless[k] && !other; k++)
        other = strlen(unless[k]) == (size_t)(e - s) && !strncmp(s, unless[k], (size_t)(e - s));
      if (!other)
        return true;
    }
  return false;
}

/* The groups the instruction asks for (EN_DEFAULT when it names none), with EN_POS when it asks
 * for parts of speech too, which the rules do not tag; 0 when it asks for those alone. */
static unsigned en_wanted(const char *instruction) {
  static const char *const pos[] = {"part of speech", "parts of speech", "part-of-speech",
                                    "pos tag", "grammatical", NULL};
  char low[EN_MAX_INSTRUCTION + 1];
  baton__run_lower(instruction ? instruction : "", low, sizeof low);
  unsigned want = 0;
  for (size_t i = 0; i < sizeof en_wishes / sizeof en_wishes[0]; i++)
    want |= en_asks(low, en_wishes[i].words, en_wishes[i].unless) ? en_wishes[i].groups : 0;
  if (baton__run_any_word(low, pos, false))
    return want ? want | EN_POS : 0;
  return want ? want : EN_DEFAULT;
}

/* Keeps the entities of the wanted groups, in order; how many are left. */
static size_t en_keep(baton__entity *e, size_t n, unsigned want) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t g = 0; en_groups[g]; g++)
      if (!strcmp(e[i].group, en_groups[g]) && (want & (1u << g)))
        e[k++] = e[i];
  return k;
}

/* Where a walk from the start of the text has got to: a byte offset and the characters before
 * it. */
typedef struct en_cursor {
  size_t byte, chars;
} en_cursor;

/* The character offset of the byte offset `at`, walking on from *c (from the start again should
 * `at` lie behind it): linear over entities left to right. */
static size_t en_char_offset(const baton__en_text *t, en_cursor *c, size_t at) {
  if (at < c->byte)
    *c = (en_cursor){0, 0};
  c->chars += baton__en_chars(t, c->byte, at);
  c->byte = at;
  return c->chars;
}

/* The entities as Hugging Face's reply: [{entity_group, score, word, start, end}], start and end
 * in characters (code points; a byte that is no UTF-8 counts as one), as Python indexes the
 * text. A rule has no probability: score is 1. NULL when out of memory. */
static char *en_json(const baton__en_text *t, const baton__entity *e, size_t n) {
  cJSON *arr = cJSON_CreateArray();
  bool ok = arr != NULL;
  en_cursor at = {0, 0};
  for (size_t i = 0; ok && i < n; i++) {
    size_t start = en_char_offset(t, &at, e[i].start), end = en_char_offset(t, &at, e[i].end);
    char *w = baton__strndup(t->s + e[i].start, e[i].end - e[i].start);
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToArray(arr, o)) { /* else arr owns o */
      cJSON_Delete(o);
      o = NULL;
    }
    ok = w && o && cJSON_AddStringToObject(o, "entity_group", e[i].group) &&
         cJSON_AddNumberToObject(o, "score", 1.0) && cJSON_AddStringToObject(o, "word", w) &&
         cJSON_AddNumberToObject(o, "start", (double)start) &&
         cJSON_AddNumberToObject(o, "end", (double)end);
    free(w);
  }
  char *js = ok ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return js;
}

/* The entities as text, as the Hugging Face executor gives them: "word (GROUP), ...". Caller
 * frees; NULL when out of memory. */
static char *en_list(const baton__en_text *t, const baton__entity *e, size_t n, bool cut,
                     unsigned want) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%.*s (%s)", i ? ", " : "", (int)(e[i].end - e[i].start),
                   t->s + e[i].start, e[i].group);
  bool all = (want & EN_DEFAULT) == EN_DEFAULT;
  if (!n && all)
    baton__sb_adds(&sb, "no entities found");
  for (size_t g = 0, k = 0; !n && !all && en_groups[g]; g++)
    if (want & (1u << g))
      baton__sb_addf(&sb, "%s%s", k++ ? ", " : "none of the kinds asked for (", en_groups[g]);
  if (!n && !all)
    baton__sb_adds(&sb, ") found");
  if (cut)
    baton__sb_addf(&sb, " (the first %d entities; the text holds more)", EN_MAX_ENTITIES);
  if (want & EN_POS)
    baton__sb_adds(&sb, " (parts of speech are not tagged here: that takes a model)");
  return baton__sb_detach(&sb);
}

static int en_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  size_t len = 0;
  const char *text = baton__run_text_input(in, env, "token-classification", "find entities in",
                                           EN_DEFAULT_MAX_TEXT, &len);
  if (!text)
    return -1;
  const baton__value *iv = baton__values_get(in, "instruction");
  unsigned want = en_wanted(iv ? iv->data : NULL);
  if (!want)
    return baton__run_fail(env, "local/entities finds names, dates, amounts and addresses by "
                                "rule, not parts of speech: a part-of-speech model is needed "
                                "(set HF_TOKEN, or declare one on a model server)");
  baton__entity *found = malloc((EN_MAX_ENTITIES + 1) * sizeof *found);
  if (!found)
    return baton__run_fail(env, "out of memory");
  baton__en_text t = {text, len};
  size_t n = baton__entities_find(&t, found, EN_MAX_ENTITIES + 1, want & EN_CARDINAL);
  bool cut = n > EN_MAX_ENTITIES;
  n = en_keep(found, cut ? EN_MAX_ENTITIES : n, want);
  const baton__output outs[] = {{"text", BATON__T_TEXT, en_list(&t, found, n, cut, want), false},
                                {"json", BATON__T_JSON, en_json(&t, found, n), false}};
  free(found);
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const en_tasks[] = {"token-classification", NULL};

const baton__executor baton__executor_entities = {
    .name = "entities",
    .model_id = "local/entities",
    .tasks = en_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = en_run,
    .release = baton__executor_no_release,
};
