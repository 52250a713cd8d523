/* languages.h — language codes and names shared by the translation and OCR executors. */
#ifndef BATON_EXECUTORS_LANGUAGES_H
#define BATON_EXECUTORS_LANGUAGES_H

/* A language code in its short (ISO 639-1) form when it has one ("eng" ->
 * "en", "en" -> "en", "ast" -> "ast"), or NULL for a code not in the table. */
const char *baton__lang_short(const char *code);
/* The ISO 639-3 form of a code ("fr" -> "fra"), or NULL when unknown. */
const char *baton__lang_long(const char *code);
/* The other ISO form of a code ("en" <-> "eng"), or NULL. */
const char *baton__lang_other(const char *code);
/* The English name of a language ("fr" -> "French"), or the code itself. */
const char *baton__lang_name(const char *code);

/* The short code of a language named in English ("French" -> "fr"), or of
 * a code in either form; NULL when unknown. */
const char *baton__lang_by_name(const char *name);

#endif
