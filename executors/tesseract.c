/* tesseract.c — the "image-to-text" executor: OCR with libtesseract (C API) and leptonica. */
#include "executors/executor.h"

#if defined(BATON_HAVE_TESSERACT)

#include <dlfcn.h>
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tesseract/capi.h>

#include "core/util.h"
#include "executors/languages.h"
#include "executors/picture_size.h"
#include "executors/png_chunks.h"
#include "executors/run_common.h"
#include "executors/tesseract_lang.h"
#include "core/banned.h"

/* Where Debian's tesseract-ocr-* packages put the language data. */
#define TESS_DEFAULT_DATAPATH "/usr/share/tesseract-ocr/5/tessdata"
#define TESS_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)

typedef struct tess_state {
  TessBaseAPI *api;
  char lang[64];          /* the language api is loaded with */
  char datapath[4096];
  TessBaseAPI *osd;       /* script detection, loaded when first needed */
  bool osd_failed;
  const char *default_lang; /* the configured language (borrowed from cfg) */
  bool configured;        /* set in the config, not the default */
} tess_state;

static const char *tess_lang(const baton__config *cfg) {
  return cfg && cfg->tesseract_lang && *cfg->tesseract_lang ? cfg->tesseract_lang : "eng";
}

/* The folder holding <lang>.traineddata, resolved the way libtesseract does:
 * the configured path, else $TESSDATA_PREFIX, else the Debian default. */
static const char *tess_datapath(const baton__config *cfg) {
  if (cfg && cfg->tesseract_datapath && *cfg->tesseract_datapath)
    return cfg->tesseract_datapath;
  const char *env = getenv("TESSDATA_PREFIX");
  if (env && *env)
    return env;
  return TESS_DEFAULT_DATAPATH;
}

static bool tess_available(const baton__config *cfg, char *why, size_t whylen) {
  const char *dir = tess_datapath(cfg);
  const char *lang = tess_lang(cfg);
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    baton__fmt(why, whylen, "tesseract data folder %s not found; install tesseract-ocr-eng", dir);
    return false;
  }
  /* lang may combine several ("eng+deu"): each needs its data file. */
  const char *p = lang;
  while (*p) {
    const char *plus = strchr(p, '+');
    size_t n = plus ? (size_t)(plus - p) : strlen(p);
    if (n == 0 || n > 64) {
      baton__fmt(why, whylen, "bad tesseract language setting '%s'", lang);
      return false;
    }
    char file[4096];
    baton__fmt(file, sizeof file, "%s/%.*s.traineddata", dir, (int)n, p);
    if (stat(file, &st) != 0) {
      baton__fmt(why, whylen,
                 "tesseract language data '%.*s' not found in %s; install tesseract-ocr-%.*s",
                 (int)n, p, dir, (int)n, p);
      return false;
    }
    p += n;
    if (*p == '+')
      p++;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int tess_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  if (!tess_available(cfg, err, errlen))
    return -1;
  tess_state *st = calloc(1, sizeof *st);
  if (!st) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  st->api = TessBaseAPICreate();
  if (!st->api) {
    free(st);
    baton__fmt(err, errlen, "cannot create a tesseract instance");
    return -1;
  }
  /* libtesseract writes its diagnostics to stderr unless told otherwise; the
   * library never prints. */
  TessBaseAPISetVariable(st->api, "debug_file", "/dev/null");
  if (TessBaseAPIInit3(st->api, tess_datapath(cfg), tess_lang(cfg)) != 0) {
    baton__fmt(err, errlen, "tesseract could not load language '%s' from %s", tess_lang(cfg),
               tess_datapath(cfg));
    TessBaseAPIDelete(st->api);
    free(st);
    return -1;
  }
  TessBaseAPISetVariable(st->api, "debug_file", "/dev/null");
  TessBaseAPISetPageSegMode(st->api, PSM_AUTO);
  baton__fmt(st->lang, sizeof st->lang, "%s", tess_lang(cfg));
  baton__fmt(st->datapath, sizeof st->datapath, "%s", tess_datapath(cfg));
  st->default_lang = tess_lang(cfg);
  st->configured = strcmp(st->default_lang, "eng") != 0;
  *state = st;
  return 0;
}

static void tess_release(void *state) {
  tess_state *st = state;
  if (!st)
    return;
  if (st->api) {
    TessBaseAPIEnd(st->api);
    TessBaseAPIDelete(st->api);
  }
  if (st->osd) {
    TessBaseAPIEnd(st->osd);
    TessBaseAPIDelete(st->osd);
  }
  free(st);
}

/*
 * libtesseract parallelises its LSTM with OpenMP. On a small machine that
 * already runs several tasks at once this is much slower than one thread
 * (measured: 1.2 s instead of 0.15 s for examples/sign.png on 2 cores), and
 * OMP_THREAD_LIMIT is only read when libgomp loads. omp_set_max_active_levels(0)
 * makes parallel regions started from the calling thread run on that thread
 * alone; it is looked up at run time so the build needs no OpenMP flags, and
 * is skipped when libtesseract was built without OpenMP.
 */
static void tess_single_thread(void) {
  void (*set_levels)(int) = NULL;
  void *sym = dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
  if (sym) {
    memcpy(&set_levels, &sym, sizeof set_levels);
    set_levels(0);
  }
}

/* Cancel hook polled by tesseract between words. */
static bool tess_cancel_cb(void *cancel_this, int words) {
  (void)words;
  const atomic_int *flag = cancel_this;
  return flag && atomic_load(flag) != 0;
}

static const char *format_name(l_int32 fmt) {
  switch (fmt) {
  case IFF_PNG: return "PNG";
  case IFF_JFIF_JPEG: return "JPEG";
  case IFF_BMP: return "BMP";
  case IFF_GIF: return "GIF";
  case IFF_WEBP: return "WebP";
  case IFF_PNM: return "PNM";
  case IFF_TIFF:
  case IFF_TIFF_PACKBITS:
  case IFF_TIFF_RLE:
  case IFF_TIFF_G3:
  case IFF_TIFF_G4:
  case IFF_TIFF_LZW:
  case IFF_TIFF_ZIP:
  case IFF_TIFF_JPEG:
    return "TIFF";
  default: return NULL;
  }
}

/* Refuses the image at path, given as `name`, that baton__read_file could not read, for its
 * reason rerr said of name, once: "cannot read the image sign.png: Permission denied". */
static void tess_unreadable(baton__exec_env *env, const char *path, const char *name,
                            const char *rerr) {
  char *why = baton__run_said_as(rerr, path, name), *r = why; /* "cannot open sign.png: ..." */
  size_t k = strlen("cannot open "), nl = strlen(name);
  if (why && !strncmp(why, "cannot open ", k) && !strncmp(why + k, name, nl) &&
      !strncmp(why + k + nl, ": ", 2))
    r = why + k + nl + 2;
  baton__run_bad_input(env, "cannot read the image %s%s%s", name, r ? ": " : "", r ? r : "");
  free(why);
}

/* Reads and decodes the image at path, given as `name` (errors name that): its header first,
 * so that a picture over BATON__RUN_MAX_PIXELS is refused before any pixel is decoded. NULL with
 * env->err set. */
static PIX *tess_load(const char *path, const char *name, baton__exec_env *env) {
  size_t max = baton__run_max_input(env, TESS_DEFAULT_MAX_INPUT);
  char *data = NULL;
  size_t len = 0;
  char rerr[400];
  if (!baton__run_file_fits(env, path, max, "image"))
    return NULL;
  if (baton__read_file(path, max, &data, &len, rerr, sizeof rerr) != 0) {
    tess_unreadable(env, path, name, rerr);
    return NULL;
  }
  l_int32 fmt = IFF_UNKNOWN, w = 0, h = 0;
  if (len < 12 || findFileFormatBuffer((const l_uint8 *)data, &fmt) != 0 || !format_name(fmt)) {
    baton__run_bad_input(
        env, "%s is not a picture tesseract can read (PNG, JPEG, TIFF, BMP, GIF, WebP or PNM)",
        name);
    free(data);
    return NULL;
  }
  PIX *pix = NULL;
  /* libpng, given no error function by leptonica, prints why a PNG cut short does not decode
   * ("libpng error: read error in memio_png_read_data") to stderr: such a file is refused here */
  const char *cut = fmt == IFF_PNG ? baton__png_incomplete((const unsigned char *)data, len) : NULL;
  if (cut) {
    baton__run_bad_input(env, "cannot decode %s as an image: the PNG file %s", name, cut);
    free(data);
    return NULL;
  }
  /* leptonica prints its errors ("Error in readHeaderMemPng: invalid w or h") to stderr: the
   * library never prints, the reason is said here */
  l_int32 severity = setMsgSeverity(L_SEVERITY_NONE);
  if (pixReadHeaderMem((const l_uint8 *)data, len, NULL, &w, &h, NULL, NULL, NULL) != 0)
    baton__run_bad_input(env, "cannot decode %s as an image: its %s header is damaged", name,
                         format_name(fmt));
  else if (!baton__run_pixels_ok(w, h))
    baton__run_too_many_pixels(env, name, w, h);
  else if (!(pix = pixReadMem((const l_uint8 *)data, len)))
    baton__run_bad_input(env, "cannot decode %s as an image: a damaged %s file?", name,
                         format_name(fmt));
  setMsgSeverity(severity);
  free(data);
  return pix;
}

/* Loads lang into the recogniser unless it is loaded already. 0, or -1. */
static int tess_use(tess_state *st, const char *lang, baton__exec_env *env) {
  if (!strcmp(st->lang, lang))
    return 0;
  if (TessBaseAPIInit3(st->api, st->datapath, lang) != 0) {
    baton__fmt(env->err, sizeof env->err, "tesseract could not load language '%s' from %s", lang,
               st->datapath);
    st->lang[0] = '\0';
    return -1;
  }
  TessBaseAPISetVariable(st->api, "debug_file", "/dev/null");
  TessBaseAPISetPageSegMode(st->api, PSM_AUTO);
  baton__fmt(st->lang, sizeof st->lang, "%s", lang);
  return 0;
}

/* Recognises pix with the loaded language: the normalised text, or NULL
 * with env->err set. */
static char *tess_read(tess_state *st, PIX *pix, const char *name, baton__exec_env *env) {
  ETEXT_DESC *monitor = TessMonitorCreate();
  if (!monitor) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return NULL;
  }
  TessMonitorSetCancelFunc(monitor, tess_cancel_cb);
  TessMonitorSetCancelThis(monitor, (void *)env->cancel);
  if (env->timeout_ms > 0)
    TessMonitorSetDeadlineMSecs(monitor, env->timeout_ms > 0x7fffffff ? 0x7fffffff
                                                                      : (int)env->timeout_ms);
  TessBaseAPISetImage2(st->api, pix);
  /* Images without a resolution (most PNGs) make tesseract guess and warn;
   * 300 dpi is the usual assumption for screen renders and scans. */
  if (pixGetXRes(pix) < 70)
    TessBaseAPISetSourceResolution(st->api, 300);
  tess_single_thread();
  int rc = TessBaseAPIRecognize(st->api, monitor);
  TessMonitorDelete(monitor);
  char *raw = NULL;
  if (rc == 0 && !baton__exec_cancelled(env))
    raw = TessBaseAPIGetUTF8Text(st->api);
  TessBaseAPIClear(st->api);
  if (baton__exec_cancelled(env)) {
    if (raw)
      TessDeleteText(raw);
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return NULL;
  }
  if (rc != 0 || !raw) {
    if (raw)
      TessDeleteText(raw);
    if (env->timeout_ms > 0)
      baton__fmt(env->err, sizeof env->err, "tesseract failed or ran past %ld ms on %s",
                 env->timeout_ms, name);
    else
      baton__fmt(env->err, sizeof env->err, "tesseract could not recognise %s", name);
    return NULL;
  }
  char *text = baton__text_normalize(raw, strlen(raw), true);
  TessDeleteText(raw);
  if (!text)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  return text;
}

/* The language of the script tesseract sees in pix when it has a model
 * for it (Cyrillic -> rus), else NULL. Needs osd.traineddata. */
static const char *tess_script_lang(tess_state *st, PIX *pix) {
  if (!st->osd && !st->osd_failed) {
    st->osd_failed = !baton__tess_has(st->datapath, "osd") || !(st->osd = TessBaseAPICreate());
    if (st->osd) {
      TessBaseAPISetVariable(st->osd, "debug_file", "/dev/null");
      if (TessBaseAPIInit3(st->osd, st->datapath, "osd") != 0) {
        TessBaseAPIDelete(st->osd);
        st->osd = NULL;
        st->osd_failed = true;
      }
    }
  }
  if (!st->osd)
    return NULL;
  TessBaseAPISetImage2(st->osd, pix);
  if (pixGetXRes(pix) < 70)
    TessBaseAPISetSourceResolution(st->osd, 300);
  int deg = 0;
  float deg_conf = 0, script_conf = 0;
  const char *script = NULL;
  const char *lang = NULL;
  if (TessBaseAPIDetectOrientationScript(st->osd, &deg, &deg_conf, &script, &script_conf))
    lang = baton__tess_script_lang(script);
  TessBaseAPIClear(st->osd);
  return lang && baton__tess_has(st->datapath, lang) ? lang : NULL;
}

/* The installed language textcat hears in a first pass's text, or NULL. */
static const char *tess_text_lang(const tess_state *st, const char *text, char *buf, size_t cap) {
#if defined(BATON_HAVE_TEXTCAT)
  char codes[4][16];
  size_t n = strlen(text) >= 20 ? baton__textcat_guess(text, codes, 4) : 0;
  /* The likeliest one installed: textcat may rank a close neighbour first
   * (Galician before Portuguese). */
  for (size_t i = 0; i < n; i++)
    if (baton__tess_code(codes[i], buf, cap) && baton__tess_has(st->datapath, buf))
      return buf;
#else
  (void)st;
  (void)text;
  (void)cap;
#endif
  (void)buf;
  return NULL;
}

/* Settles the language: asked for ("lang" argument), configured, or
 * detected: textcat on a first pass with the default language (whose text
 * is kept in *first when it stays), and tesseract's script detection when
 * that text is no language installed (Cyrillic read as English letters).
 * Writes how into why. 0, or -1. */
static int tess_choose(tess_state *st, const baton__values *in, PIX *pix, const char *name,
                       baton__exec_env *env, char **first, char *why, size_t whylen) {
  const baton__value *lv = baton__values_get(in, "lang");
  char lang[64];
  if (lv && lv->data && *lv->data) {
    char have[1024];
    if (!baton__tess_code(lv->data, lang, sizeof lang) || !baton__tess_has(st->datapath, lang)) {
      baton__tess_inventory(st->datapath, have, sizeof have);
      baton__fmt(env->err, sizeof env->err,
                 "tesseract cannot read '%.40s' here (install tesseract-ocr-%s); %s", lv->data,
                 lang, have);
      return -1;
    }
    baton__fmt(why, whylen, "%s (asked for)", lang);
    return tess_use(st, lang, env);
  }
  if (st->configured) {
    baton__fmt(why, whylen, "%s (configured)", st->default_lang);
    return tess_use(st, st->default_lang, env);
  }
  if (tess_use(st, st->default_lang, env) != 0 || !(*first = tess_read(st, pix, name, env)))
    return -1;
  char buf[64];
  const char *heard = tess_text_lang(st, *first, buf, sizeof buf);
  if (heard && !strcmp(heard, st->default_lang)) {
    baton__fmt(why, whylen, "%s (detected)", heard);
    return 0;
  }
  if (heard) {
    baton__fmt(why, whylen, "%s (detected: a first pass read %s)", heard,
               baton__lang_name(baton__lang_short(heard)));
  } else if ((heard = tess_script_lang(st, pix)) != NULL) {
    /* Not a language read in the default one's letters: the script says. */
    baton__fmt(why, whylen, "%s (detected from the script)", heard);
  } else {
    baton__fmt(why, whylen, "%s", st->default_lang);
    return 0;
  }
  free(*first);
  *first = NULL;
  return tess_use(st, heard, env);
}

static int tess_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                    baton__values *out) {
  (void)task;
  tess_state *st = state;
  const char *path = baton__run_arg(in, "image", BATON__T_IMAGE);
  if (!path || !*path)
    return baton__run_bad_input(env, "image-to-text needs an \"image\" argument (a file path)");
  if (baton__run_must_stop(env, 0, "image-to-text"))
    return -1;
  const char *name = baton__input_name(path); /* not the run's copy of it */
  PIX *pix = tess_load(path, name, env);
  if (!pix)
    return -1;
  char *text = NULL, why[160] = "";
  int rc = tess_choose(st, in, pix, name, env, &text, why, sizeof why);
  if (rc == 0 && !text && !(text = tess_read(st, pix, name, env)))
    rc = -1;
  pixDestroy(&pix);
  if (rc != 0) {
    free(text);
    return -1;
  }
  size_t maxtext = baton__run_max_text(env, 0);
  if (maxtext && strlen(text) > maxtext) {
    baton__fmt(env->err, sizeof env->err,
               "the text recognised in %s is %zu bytes, over the limit of %zu", name,
               strlen(text), maxtext);
    free(text);
    return -1;
  }
  const baton__output outs[] = {{"text", BATON__T_TEXT, text, false},
                                {"language", 0, baton__strdup(why), false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

/* The installed languages, for `baton executors`; their folder decides them. */
static void tess_inventory(const baton__config *cfg, char *details, size_t detlen, char *watch,
                           size_t watchlen) {
  baton__tess_inventory(tess_datapath(cfg), details, detlen);
  baton__fmt(watch, watchlen, "%s", tess_datapath(cfg));
}

static const char *const tess_tasks[] = {"image-to-text", NULL};

const baton__executor baton__executor_tesseract = {
    .name = "tesseract",
    .model_id = "local/tesseract",
    .tasks = tess_tasks,
    .reentrant = false,
    .available = tess_available,
    .inventory = tess_inventory,
    .init = tess_init,
    .run = tess_run,
    .release = tess_release,
};

#endif /* BATON_HAVE_TESSERACT */
