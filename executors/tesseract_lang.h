/* tesseract_lang.h — which OCR languages are installed and which one a request names. */
#ifndef BATON_EXECUTORS_TESSERACT_LANG_H
#define BATON_EXECUTORS_TESSERACT_LANG_H

#include <stdbool.h>
#include <stddef.h>

#define BATON__TESS_MAX_LANGS 64

/* The languages with data in dir (<lang>.traineddata; not osd, equ),
 * sorted, written to out. Returns how many. */
size_t baton__tess_installed(const char *dir, char out[][16], size_t max);

/* Whether dir holds lang's data (each part of "fra+eng"). */
bool baton__tess_has(const char *dir, const char *lang);

/*
 * The tesseract language for a language as a user or a planner names it
 * ("fr", "fra", "French", "fra+eng"), written to out. Returns true when
 * every part is known; false with out holding what was understood.
 */
bool baton__tess_code(const char *given, char *out, size_t cap);

/* The tesseract language a script (as tesseract's script detection names
 * it: "Cyrillic", "Greek"...) is read with, or NULL for Latin and scripts
 * without one. */
const char *baton__tess_script_lang(const char *script);

/* "languages: deu, eng, fra; script detection" for `baton executors`. */
void baton__tess_inventory(const char *dir, char *out, size_t cap);

#endif
