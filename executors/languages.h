/* languages.h — baton's one table of languages (codes, names, textcat fingerprints), for every executor. */
#ifndef BATON_EXECUTORS_LANGUAGES_H
#define BATON_EXECUTORS_LANGUAGES_H

/* A language code in its short (ISO 639-1) form when it has one ("eng" ->
 * "en", "en" -> "en", "ast" -> "ast"), or NULL for a code not of a language baton works with
 * (the planner's languages and every apertium pair's; the table names others textcat tells). */
const char *baton__lang_short(const char *code);
/* The ISO 639-3 form of a code ("fr" -> "fra"), or NULL when unknown. */
const char *baton__lang_long(const char *code);
/* The other ISO form of a code ("en" <-> "eng"), or NULL. */
const char *baton__lang_other(const char *code);
/* The English name of a language ("fr" -> "French"), or the code itself. */
const char *baton__lang_name(const char *code);
/* The English name of a language, or NULL when the table has none. */
const char *baton__lang_named(const char *code);

/* The short code of a language baton works with named in English ("French" -> "fr"), or of
 * a code in either form; NULL when unknown. */
const char *baton__lang_by_name(const char *name);

/* The short code of the language of a libexttextcat fingerprint as fpdb.conf names it
 * ("fr--utf8" -> "fr", "zh-CN-utf8" -> "zh-CN"), or NULL for one the table does not name. */
const char *baton__lang_of_fingerprint(const char *fingerprint);
/* The name of a language's libexttextcat fingerprint ("es" -> "es--utf8"), or NULL. */
const char *baton__lang_fingerprint(const char *code);

#endif
