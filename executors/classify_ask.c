/* classify_ask.c — what a text-classification step asks for (a language, a sentiment, a topic...), read from its instruction by word lists kept as data, quoted text left out; and the refusal of a classifier asked for a kind it does not tell. */
#include "executors/classify_ask.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/quote.h"
#include "executors/languages.h"
#include "executors/run_common.h"
#include "core/banned.h"

/* The words that ask for each kind of label, as word starts in lower case ("positiv" finds
 * "positive" and "positively"), with what is asked as a message says it. A language is also
 * asked for by naming one ("is it French?"). */
static const struct {
  unsigned kind;
  const char *asked;
  const char *const words[32];
} ask_kinds[] = {
    {BATON__ASK_LANGUAGE, "which language it is in",
     {"language", "written in", "tongue", "dialect", NULL}},
    {BATON__ASK_SENTIMENT,
     "its sentiment",
     {"sentiment", "positiv", "negativ", "polarity", "opinion", "tone", "mood", "attitude",
      "feel", "emotion", "angry", "anger", "happy", "sad", "upset", "annoyed", "satisf",
      "complain", "praise", "good or bad", "like it", "pleased", "disappoint", "frustrat",
      "enthusias", "optimis", "pessimis", "favorab", "favourab", "thumbs", NULL}},
    {BATON__ASK_OTHER,
     "its topic",
     {"topic", "subject", "genre", "theme", "about what", "what it is about", "what is it about",
      NULL}},
    {BATON__ASK_OTHER, "whether it is spam", {"spam", "phishing", "scam", NULL}},
    {BATON__ASK_OTHER, "whether it is toxic",
     {"toxic", "offensive", "hate speech", "abusive", NULL}},
    {BATON__ASK_OTHER, "its intent", {"intent", NULL}},
    {BATON__ASK_OTHER, "how formal it is", {"formal", "informal", "politeness", NULL}},
    {BATON__ASK_OTHER, "whether it is sarcastic", {"sarcas", "ironic", "irony", NULL}},
};

/* Blanks out what quotes hold in s (a quote holds the text to classify, not the ask). */
static void ask_unquote(char *s) {
  size_t n = strlen(s), cs, ce, end;
  for (size_t i = 0; i < n; i++)
    if ((end = baton__quote_at(s, n, i, &cs, &ce)) != 0)
      memset(s + i, ' ', end - i), i = end - 1;
}

/* Whether s names a language ("French", "English"): a word of four letters or more that is a
 * language's English name (shorter ones would be codes: "it", "is"). */
static bool ask_names_language(const char *s) {
  for (const char *p = s; *p;) {
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
      n++;
    if (n >= 4 && n < 32) {
      char word[32];
      memcpy(word, p, n);
      word[n] = '\0';
      if (baton__lang_by_name(word))
        return true;
    }
    p += n ? n : 1;
  }
  return false;
}

unsigned baton__classify_ask(const char *instruction, const char **other) {
  char low[BATON__ASK_MAX + 1];
  baton__run_lower(instruction ? instruction : "", low, sizeof low);
  ask_unquote(low);
  unsigned kinds = ask_names_language(low) ? BATON__ASK_LANGUAGE : 0;
  if (other)
    *other = NULL;
  for (size_t i = 0; i < sizeof ask_kinds / sizeof ask_kinds[0]; i++) {
    if (!baton__run_any_word(low, ask_kinds[i].words, false))
      continue;
    if (other && !*other && ask_kinds[i].kind == BATON__ASK_OTHER)
      *other = ask_kinds[i].asked;
    kinds |= ask_kinds[i].kind;
  }
  return kinds;
}

int baton__classify_refuse(const baton__values *in, baton__exec_env *env, unsigned serves,
                           const char *who) {
  const baton__value *iv = baton__values_get(in, "instruction");
  const char *other = NULL;
  unsigned asked = baton__classify_ask(iv ? iv->data : NULL, &other);
  if (!asked || ((asked & serves) && !other)) /* "is the tone formal?" asks no sentiment */
    return 0;
  if ((asked & BATON__ASK_LANGUAGE) && !other)
    return baton__run_fail(env, "%s, not which language it is in: language identification is "
                                "needed (local/textcat, or set HF_TOKEN, or declare a model on "
                                "a model server)", who);
  if ((asked & BATON__ASK_SENTIMENT) && !other)
    return baton__run_fail(env, "%s, not its sentiment: a sentiment model is needed "
                                "(local/sentiment, or set HF_TOKEN, or declare one on a model "
                                "server)", who);
  return baton__run_fail(env, "%s, not %s: a text-classification model for that is needed (set "
                              "HF_TOKEN, or declare one on a model server)", who, other);
}
