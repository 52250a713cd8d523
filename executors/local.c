/* local.c — the table of local executors on Debian's C libraries, linked into baton-worker only. */
#include "executors/executor.h"
#include "core/banned.h"

/* Each entry exists only when its library was found at build time. */
const baton__executor *const baton__local_executors[] = {
#if defined(BATON_HAVE_TESSERACT)
    &baton__executor_tesseract,
#endif
#if defined(BATON_HAVE_ESPEAK)
    &baton__executor_espeak,
#endif
#if defined(BATON_HAVE_OTS)
    &baton__executor_ots,
#endif
    &baton__executor_apertium,
#if defined(BATON_HAVE_POCKETSPHINX) && defined(BATON_HAVE_SNDFILE)
    &baton__executor_pocketsphinx,
#endif
#if defined(BATON_HAVE_TEXTCAT)
    &baton__executor_textcat,
#endif
#if defined(BATON_HAVE_VIPS)
    &baton__executor_vips,
#endif
#if defined(BATON_HAVE_OPENCV)
    &baton__executor_opencv,
#endif
#if defined(BATON_HAVE_SNDFILE)
    &baton__executor_sndfile,
#endif
    NULL,
};
