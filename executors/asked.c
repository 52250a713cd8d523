/* asked.c — the user's own words for a language task (its "instruction"), as a sentence for the system prompt of the LLM executors. */
#include "executors/asked.h"

#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "core/banned.h"

const char *baton__asked_clause(const baton__values *in, char *buf, size_t n) {
  const baton__value *iv = baton__values_get(in, "instruction");
  const baton__value *tv = baton__values_get_type(in, BATON__T_TEXT);
  const char *ins = iv && iv->data ? iv->data + strspn(iv->data, " \t\r\n") : "";
  if (n)
    buf[0] = '\0';
  if (!*ins || (tv && tv != iv && tv->data && strcmp(tv->data, ins) == 0))
    return buf;
  char words[BATON__ASKED_MAX + 1];
  size_t len = baton__utf8_cut(ins, strlen(ins), BATON__ASKED_MAX);
  for (size_t i = 0; i < len; i++)
    words[i] = ins[i] == '"' ? '\'' : (ins[i] == '\n' || ins[i] == '\r' || ins[i] == '\t') ? ' '
                                                                                     : ins[i];
  words[len] = '\0';
  baton__fmt(buf, n, " The user asked: \"%s\". Follow what it says about length, form, tone "
                     "and content.", words);
  return buf;
}
