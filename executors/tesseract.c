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
#include "core/banned.h"

/* Where Debian's tesseract-ocr-* packages put the language data. */
#define TESS_DEFAULT_DATAPATH "/usr/share/tesseract-ocr/5/tessdata"
#define TESS_DEFAULT_MAX_INPUT (64u * 1024u * 1024u)

typedef struct tess_state {
  TessBaseAPI *api;
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

static int tess_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                    baton__values *out) {
  (void)task;
  tess_state *st = state;
  const baton__value *img = baton__values_get(in, "image");
  if (!img)
    img = baton__values_get_type(in, BATON__T_IMAGE);
  if (!img || !img->data || !*img->data) {
    baton__fmt(env->err, sizeof env->err, "image-to-text needs an \"image\" argument (a file path)");
    return -1;
  }
  const char *path = img->data;
  if (baton__exec_cancelled(env)) {
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }
  size_t max = env->cfg && env->cfg->max_input_bytes ? env->cfg->max_input_bytes
                                                     : TESS_DEFAULT_MAX_INPUT;
  char *data = NULL;
  size_t len = 0;
  char rerr[400];
  if (baton__read_file(path, max, &data, &len, rerr, sizeof rerr) != 0) {
    baton__fmt(env->err, sizeof env->err, "cannot read image: %s", rerr);
    return -1;
  }
  l_int32 fmt = IFF_UNKNOWN;
  if (len < 12 || findFileFormatBuffer((const l_uint8 *)data, &fmt) != 0 || !format_name(fmt)) {
    baton__fmt(env->err, sizeof env->err,
               "%s is not an image tesseract can read (PNG, JPEG, TIFF, BMP, GIF, WebP or PNM)",
               path);
    free(data);
    return -1;
  }
  PIX *pix = pixReadMem((const l_uint8 *)data, len);
  free(data);
  if (!pix) {
    baton__fmt(env->err, sizeof env->err, "%s: cannot decode this %s image (damaged file?)", path,
               format_name(fmt));
    return -1;
  }

  ETEXT_DESC *monitor = TessMonitorCreate();
  if (!monitor) {
    pixDestroy(&pix);
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
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
  pixDestroy(&pix);

  if (baton__exec_cancelled(env)) {
    if (raw)
      TessDeleteText(raw);
    baton__fmt(env->err, sizeof env->err, "cancelled");
    return -1;
  }
  if (rc != 0 || !raw) {
    if (raw)
      TessDeleteText(raw);
    if (env->timeout_ms > 0)
      baton__fmt(env->err, sizeof env->err, "tesseract failed or ran past %ld ms on %s",
                 env->timeout_ms, path);
    else
      baton__fmt(env->err, sizeof env->err, "tesseract could not recognise %s", path);
    return -1;
  }
  size_t rawlen = strlen(raw);
  size_t maxtext = env->cfg && env->cfg->max_text_bytes ? env->cfg->max_text_bytes : 0;
  char *text = baton__text_normalize(raw, rawlen, true);
  TessDeleteText(raw);
  if (!text) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  if (maxtext && strlen(text) > maxtext) {
    baton__fmt(env->err, sizeof env->err,
               "the text recognised in %s is %zu bytes, over the limit of %zu", path,
               strlen(text), maxtext);
    free(text);
    return -1;
  }
  if (baton__values_add_own(out, "text", BATON__T_TEXT, text) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

static const char *const tess_tasks[] = {"image-to-text", NULL};

const baton__executor baton__executor_tesseract = {
    .name = "tesseract",
    .model_id = "local/tesseract",
    .tasks = tess_tasks,
    .reentrant = false,
    .available = tess_available,
    .init = tess_init,
    .run = tess_run,
    .release = tess_release,
};

#endif /* BATON_HAVE_TESSERACT */
