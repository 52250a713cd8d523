/* languages.c — baton's one table of languages: ISO 639-1 and -3 codes, English names and libexttextcat's fingerprint names. */
#include "executors/languages.h"

#include <string.h>

#include "core/util.h"
#include "core/banned.h"

/* ISO 639-1 codes as users write them, the ISO 639-3 codes Debian's apertium pairs use in their
 * mode names (apertium-en-es installs eng-spa.mode), the English name, the name of its fingerprint
 * in libexttextcat's fpdb.conf (NULL: none), and whether baton works with it (W: the planner's
 * languages and every language of an apertium pair) or only names it (N: what textcat tells).
 * A language without a short code repeats the long one. */
#define W 1
#define N 0
static const struct {
  const char *two, *three, *name, *fingerprint;
  int works;
} langs[] = {
    {"af", "afr", "Afrikaans", "af--utf8", W},    {"an", "arg", "Aragonese", NULL, W},
    {"ar", "ara", "Arabic", "ar--utf8", W},       {"ast", "ast", "Asturian", "ast--utf8", W},
    {"be", "bel", "Belarusian", "be--utf8", W},   {"bg", "bul", "Bulgarian", "bg--utf8", W},
    {"bn", "ben", "Bengali", "bn--utf8", N},      {"br", "bre", "Breton", "br--utf8", W},
    {"bs", "bos", "Bosnian", "bs--utf8", N},      {"ca", "cat", "Catalan", "ca--utf8", W},
    {"cs", "ces", "Czech", "cs--utf8", W},        {"cy", "cym", "Welsh", "cy--utf8", W},
    {"da", "dan", "Danish", "da--utf8", W},       {"de", "deu", "German", "de--utf8", W},
    {"el", "ell", "Greek", "el--utf8", W},        {"en", "eng", "English", "en--utf8", W},
    {"eo", "epo", "Esperanto", "eo--utf8", W},    {"es", "spa", "Spanish", "es--utf8", W},
    {"et", "est", "Estonian", "et--utf8", N},     {"eu", "eus", "Basque", "eu--utf8", W},
    {"fa", "fas", "Persian", "fa--utf8", N},      {"fi", "fin", "Finnish", "fi--utf8", W},
    {"fo", "fao", "Faroese", "fo--utf8", N},      {"fr", "fra", "French", "fr--utf8", W},
    {"fy", "fry", "Frisian", "fy--utf8", N},      {"ga", "gle", "Irish", "ga--utf8", W},
    {"gd", "gla", "Scottish Gaelic", "gd--utf8", W}, {"gl", "glg", "Galician", "gl--utf8", W},
    {"he", "heb", "Hebrew", "he--utf8", W},       {"hi", "hin", "Hindi", "hi--utf8", W},
    {"hr", "hrv", "Croatian", "hr--utf8", N},     {"ht", "hat", "Haitian Creole", "ht--utf8", N},
    {"hu", "hun", "Hungarian", "hu--utf8", N},    {"hy", "hye", "Armenian", "hy--utf8", N},
    {"ia", "ina", "Interlingua", "ia--utf8", N},  {"id", "ind", "Indonesian", "id--utf8", W},
    {"is", "isl", "Icelandic", "is--utf8", W},    {"it", "ita", "Italian", "it--utf8", W},
    {"ja", "jpn", "Japanese", "ja--utf8", W},     {"ka", "kat", "Georgian", "ka--utf8", N},
    {"kk", "kaz", "Kazakh", "kk--utf8", W},       {"ko", "kor", "Korean", "ko--utf8", W},
    {"la", "lat", "Latin", "la--utf8", N},        {"lb", "ltz", "Luxembourgish", "lb--utf8", N},
    {"lt", "lit", "Lithuanian", "lt--utf8", N},   {"lv", "lav", "Latvian", "lv--utf8", N},
    {"mk", "mkd", "Macedonian", "mk--utf8", W},   {"ms", "msa", "Malay", "ms--utf8", W},
    {"mt", "mlt", "Maltese", "mt--utf8", W},      {"nb", "nob", "Norwegian Bokmal", "nb--utf8", W},
    {"nds", "nds", "Low German", "nds--utf8", N}, {"nl", "nld", "Dutch", "nl--utf8", W},
    {"nn", "nno", "Norwegian Nynorsk", "nn--utf8", W}, {"oc", "oci", "Occitan", "oc--utf8", W},
    {"pl", "pol", "Polish", "pl--utf8", W},       {"pt", "por", "Portuguese", "pt--utf8", W},
    {"rm", "roh", "Romansh", "rm--utf8", N},      {"ro", "ron", "Romanian", "ro--utf8", W},
    {"ru", "rus", "Russian", "ru--utf8", W},      {"sc", "srd", "Sardinian", "sc--utf8", W},
    {"sco", "sco", "Scots", "sco--utf8", N},      {"sh", "hbs", "Serbo-Croatian", "sh--utf8", W},
    {"sk", "slk", "Slovak", "sk--utf8", W},       {"sl", "slv", "Slovenian", "sl--utf8", W},
    {"sq", "sqi", "Albanian", "sq--utf8", W},     {"sr", "srp", "Serbian", "sr--utf8", N},
    {"sv", "swe", "Swedish", "sv--utf8", W},      {"sw", "swa", "Swahili", "sw--utf8", N},
    {"ta", "tam", "Tamil", "ta--utf8", N},        {"th", "tha", "Thai", "th--utf8", N},
    {"tl", "tgl", "Tagalog", "tl--utf8", N},      {"tr", "tur", "Turkish", "tr--utf8", N},
    {"tt", "tat", "Tatar", "tt--utf8", W},        {"uk", "ukr", "Ukrainian", "uk--utf8", W},
    {"ur", "urd", "Urdu", "ur--utf8", W},         {"vi", "vie", "Vietnamese", "vi--utf8", N},
    {"wa", "wln", "Walloon", "wa--utf8", N},
    {"zh-CN", "zh-CN", "Chinese (Simplified)", "zh-CN-utf8", N},
    {"zh-TW", "zh-TW", "Chinese (Traditional)", "zh-TW-utf8", N},
};
#undef W
#undef N

#define N_LANGS (sizeof langs / sizeof langs[0])

/* The row of a code in either ISO form, among the languages baton works with or (any) all; -1. */
static int lang_index(const char *code, bool any) {
  for (size_t i = 0; code && i < N_LANGS; i++)
    if ((any || langs[i].works) &&
        (baton__ieq(code, langs[i].two) || baton__ieq(code, langs[i].three)))
      return (int)i;
  return -1;
}

const char *baton__lang_short(const char *code) {
  int i = lang_index(code, false);
  return i < 0 ? NULL : langs[i].two;
}

const char *baton__lang_other(const char *code) {
  int i = lang_index(code, true);
  if (i < 0 || !strcmp(langs[i].two, langs[i].three))
    return NULL;
  return baton__ieq(code, langs[i].two) ? langs[i].three : langs[i].two;
}

const char *baton__lang_name(const char *code) {
  int i = lang_index(code, true);
  return i < 0 ? code : langs[i].name;
}

const char *baton__lang_named(const char *code) {
  int i = lang_index(code, true);
  return i < 0 ? NULL : langs[i].name;
}

const char *baton__lang_by_name(const char *name) {
  for (size_t i = 0; name && i < N_LANGS; i++)
    if (langs[i].works && baton__ieq(name, langs[i].name))
      return langs[i].two;
  return baton__lang_short(name);
}

const char *baton__lang_long(const char *code) {
  int i = lang_index(code, true);
  return i < 0 ? NULL : langs[i].three;
}

const char *baton__lang_of_fingerprint(const char *fingerprint) {
  for (size_t i = 0; fingerprint && i < N_LANGS; i++)
    if (langs[i].fingerprint && !strcmp(fingerprint, langs[i].fingerprint))
      return langs[i].two;
  return NULL;
}

const char *baton__lang_fingerprint(const char *code) {
  int i = lang_index(code, true);
  return i < 0 ? NULL : langs[i].fingerprint;
}
