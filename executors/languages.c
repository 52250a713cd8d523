/* languages.c — language codes (ISO 639-1 and -3) and English names, as users and the local executors' data name them. */
#include "executors/languages.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* ISO 639-1 codes as users write them, the ISO 639-3 codes Debian's apertium
 * pairs use in their mode names (apertium-en-es installs eng-spa.mode), and
 * the English name. A language without a short code repeats the long one. */
static const struct {
  const char *two, *three, *name;
} langs[] = {
    {"af", "afr", "Afrikaans"}, {"an", "arg", "Aragonese"},  {"ar", "ara", "Arabic"},
    {"ast", "ast", "Asturian"}, {"be", "bel", "Belarusian"}, {"bg", "bul", "Bulgarian"},
    {"br", "bre", "Breton"},    {"ca", "cat", "Catalan"},    {"cs", "ces", "Czech"},
    {"cy", "cym", "Welsh"},     {"da", "dan", "Danish"},     {"de", "deu", "German"},
    {"el", "ell", "Greek"},     {"en", "eng", "English"},    {"eo", "epo", "Esperanto"},
    {"es", "spa", "Spanish"},   {"eu", "eus", "Basque"},     {"fi", "fin", "Finnish"},
    {"fr", "fra", "French"},    {"ga", "gle", "Irish"},      {"gd", "gla", "Scottish Gaelic"},
    {"gl", "glg", "Galician"},  {"he", "heb", "Hebrew"},     {"hi", "hin", "Hindi"},
    {"id", "ind", "Indonesian"}, {"is", "isl", "Icelandic"}, {"it", "ita", "Italian"}, {"ja", "jpn", "Japanese"},
    {"kk", "kaz", "Kazakh"}, {"ko", "kor", "Korean"},    {"mk", "mkd", "Macedonian"}, {"ms", "msa", "Malay"},
    {"mt", "mlt", "Maltese"},   {"nb", "nob", "Norwegian Bokmal"},
    {"nl", "nld", "Dutch"},     {"nn", "nno", "Norwegian Nynorsk"},
    {"oc", "oci", "Occitan"},   {"pl", "pol", "Polish"},     {"pt", "por", "Portuguese"},
    {"ro", "ron", "Romanian"},  {"ru", "rus", "Russian"},    {"sc", "srd", "Sardinian"},
    {"sh", "hbs", "Serbo-Croatian"}, {"sk", "slk", "Slovak"}, {"sl", "slv", "Slovenian"},
    {"sq", "sqi", "Albanian"},  {"sv", "swe", "Swedish"},    {"tt", "tat", "Tatar"},
    {"uk", "ukr", "Ukrainian"}, {"ur", "urd", "Urdu"},
};

static int lang_index(const char *code) {
  for (size_t i = 0; code && i < sizeof langs / sizeof langs[0]; i++)
    if (baton__ieq(code, langs[i].two) || baton__ieq(code, langs[i].three))
      return (int)i;
  return -1;
}

const char *baton__lang_short(const char *code) {
  int i = lang_index(code);
  return i < 0 ? NULL : langs[i].two;
}

const char *baton__lang_other(const char *code) {
  int i = lang_index(code);
  if (i < 0 || !strcmp(langs[i].two, langs[i].three))
    return NULL;
  return baton__ieq(code, langs[i].two) ? langs[i].three : langs[i].two;
}

const char *baton__lang_name(const char *code) {
  int i = lang_index(code);
  return i < 0 ? code : langs[i].name;
}

const char *baton__lang_by_name(const char *name) {
  for (size_t i = 0; name && i < sizeof langs / sizeof langs[0]; i++)
    if (baton__ieq(name, langs[i].name))
      return langs[i].two;
  return baton__lang_short(name);
}

const char *baton__lang_long(const char *code) {
  int i = lang_index(code);
  return i < 0 ? NULL : langs[i].three;
}
