/* config.c — loads the configuration: defaults, then the YAML file, then the environment. */
#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/endpoints.h"
#include "core/util.h"
#include "core/ytree.h"
#include "core/banned.h"

#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_DEPTH 8

/* ---- applying the tree to the config ---------------------------------- */

/* K_STRING takes any text, or with `allowed` one of those words (any case);
 * K_URL text starting with one of the `allowed` prefixes; K_CHOICE one of the
 * `allowed` words (exact case), stored as its index in an int. */
typedef enum {
  K_STRING, K_URL, K_CHOICE, K_INT, K_LONG, K_SIZE, K_BOOL, K_STRLIST, K_SECTION, K_ENDPOINTS
} key_kind;

typedef struct key_spec {
  const char *name;
  key_kind kind;
  size_t offset;                /* into baton__config */
  long long min, max;           /* numbers */
  const struct key_spec *sub;   /* sections */
  const char *const *allowed;   /* K_STRING, K_URL, K_CHOICE: NULL-terminated */
  const char *shape;            /* what a value must be, for the message */
} key_spec;

static const char *const response_formats[] = {"auto", "json_schema", "tgi", "json_object",
                                               "none", NULL};
static const char *const isolation_modes[] = {"auto", "always", NULL}; /* BATON__ISOLATE_* */
static const char *const queue_schemes[] = {"redis://", "unix:///", NULL};

#define OFF(f) offsetof(baton__config, f)

static const key_spec llm_keys[] = {
    {"base_url", K_STRING, OFF(llm_base_url), 0, 0, NULL, NULL, NULL},
    {"model", K_STRING, OFF(llm_model), 0, 0, NULL, NULL, NULL},
    {"api_key", K_STRING, OFF(llm_api_key), 0, 0, NULL, NULL, NULL},
    {"timeout_ms", K_LONG, OFF(llm_timeout_ms), 100, 3600000, NULL, NULL, NULL},
    {"response_format", K_STRING, OFF(llm_response_format), 0, 0, NULL, response_formats,
     "auto, json_schema, tgi, json_object or none"},
    {"history_chars", K_SIZE, OFF(llm_history_chars), 0, 1 << 20, NULL, NULL, NULL},
    {"endpoint", K_STRING, OFF(llm_endpoint), 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec hf_keys[] = {
    {"base_url", K_STRING, OFF(hf_base_url), 0, 0, NULL, NULL, NULL},
    {"token", K_STRING, OFF(hf_token), 0, 0, NULL, NULL, NULL},
    {"hub_base_url", K_STRING, OFF(hub_base_url), 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec limit_keys[] = {
    {"request_bytes", K_SIZE, OFF(max_request_bytes), 64, 16 << 20, NULL, NULL, NULL},
    {"plan_bytes", K_SIZE, OFF(max_plan_bytes), 64, 64 << 20, NULL, NULL, NULL},
    {"input_bytes", K_SIZE, OFF(max_input_bytes), 1024, 4LL << 30, NULL, NULL, NULL},
    {"text_bytes", K_SIZE, OFF(max_text_bytes), 1024, 256 << 20, NULL, NULL, NULL},
    {"tasks", K_INT, OFF(max_tasks), 1, BATON__MAX_TASKS_LIMIT, NULL, NULL, NULL},
    {"worker_memory_mb", K_SIZE, OFF(worker_memory_mb), 64, 1 << 20, NULL, NULL, NULL},
    {"runs_kept", K_INT, OFF(runs_kept), 0, 1000000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec tesseract_keys[] = {
    {"lang", K_STRING, OFF(tesseract_lang), 0, 0, NULL, NULL, NULL},
    {"datapath", K_STRING, OFF(tesseract_datapath), 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec espeak_keys[] = {
    {"voice", K_STRING, OFF(tts_voice), 0, 0, NULL, NULL, NULL},
    {"rate", K_INT, OFF(tts_rate), 80, 450, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec ots_keys[] = {
    {"percent", K_INT, OFF(summary_percent), 1, 100, NULL, NULL, NULL},
    {"max_sentences", K_INT, OFF(summary_max_sentences), 0, 10000, NULL, NULL, NULL},
    {"dictionary", K_STRING, OFF(summary_dictionary), 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec executor_keys[] = {
    {"tesseract", K_SECTION, 0, 0, 0, tesseract_keys, NULL, NULL},
    {"espeak-ng", K_SECTION, 0, 0, 0, espeak_keys, NULL, NULL},
    {"ots", K_SECTION, 0, 0, 0, ots_keys, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec daemon_keys[] = {
    {"allow_uids", K_STRING, OFF(daemon_allow_uids), 0, 0, NULL, NULL, NULL},
    {"grace_ms", K_LONG, OFF(daemon_grace_ms), 0, 3600000, NULL, NULL, NULL},
    {"max_clients", K_INT, OFF(daemon_max_clients), 1, 100000, NULL, NULL, NULL},
    {"max_message_bytes", K_SIZE, OFF(daemon_max_message_bytes), 1024, 64 << 20, NULL, NULL, NULL},
    {"max_output_bytes", K_SIZE, OFF(daemon_max_output_bytes), 4096, 1LL << 30, NULL, NULL, NULL},
    {"max_client_backlog_bytes", K_SIZE, OFF(daemon_max_client_backlog_bytes), 4096, 1LL << 30, NULL, NULL, NULL},
    {"max_runs", K_INT, OFF(daemon_max_runs), 1, 100000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec queue_keys[] = {
    {"url", K_URL, OFF(queue_url), 0, 0, NULL, queue_schemes,
     "redis://HOST:PORT[/DB] or unix:///PATH"},
    {"password_env", K_STRING, OFF(queue_password_env), 0, 0, NULL, NULL, NULL},
    {"claim_after_ms", K_LONG, OFF(queue_claim_after_ms), 100, 86400000, NULL, NULL, NULL},
    {"blob_max_bytes", K_SIZE, OFF(queue_blob_max_bytes), 1024, 512LL << 20, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
static const key_spec top_keys[] = {
    {"home", K_STRING, OFF(home), 0, 0, NULL, NULL, NULL},
    {"socket", K_STRING, OFF(socket_path), 0, 0, NULL, NULL, NULL},
    {"workers", K_INT, OFF(workers), 1, 64, NULL, NULL, NULL},
    {"task_timeout_ms", K_LONG, OFF(task_timeout_ms), 0, 86400000, NULL, NULL, NULL},
    {"task_retries", K_INT, OFF(task_retries), 0, 10, NULL, NULL, NULL},
    {"debug_executors", K_BOOL, OFF(debug_executors), 0, 0, NULL, NULL, NULL},
    {"allowed_roots", K_STRLIST, OFF(allowed_roots), 0, 0, NULL, NULL, NULL},
    {"prompts_dir", K_STRING, OFF(prompts_dir), 0, 0, NULL, NULL, NULL},
    {"isolation", K_CHOICE, OFF(isolation), 0, 0, NULL, isolation_modes, "auto or always"},
    {"llm", K_SECTION, 0, 0, 0, llm_keys, NULL, NULL},
    {"hf", K_SECTION, 0, 0, 0, hf_keys, NULL, NULL},
    {"limits", K_SECTION, 0, 0, 0, limit_keys, NULL, NULL},
    {"executors", K_SECTION, 0, 0, 0, executor_keys, NULL, NULL},
    {"daemon", K_SECTION, 0, 0, 0, daemon_keys, NULL, NULL},
    {"endpoints", K_ENDPOINTS, 0, 0, 0, NULL, NULL, NULL},
    {"queue", K_SECTION, 0, 0, 0, queue_keys, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

static int set_string(char **slot, const char *v) {
  char *d = baton__strdup(v);
  if (!d)
    return -1;
  free(*slot);
  *slot = d;
  return 0;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *yes[] = {"true", "yes", "on", "1"};
  static const char *no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (baton__ieq(s, yes[i])) {
      *out = true;
      return true;
    }
    if (baton__ieq(s, no[i])) {
      *out = false;
      return true;
    }
  }
  return false;
}

/* The index of s in the NULL-terminated words (any case when fold), or -1. */
static int word_index(const char *const *words, const char *s, bool fold) {
  for (int i = 0; words[i]; i++)
    if (fold ? baton__ieq(s, words[i]) : strcmp(s, words[i]) == 0)
      return i;
  return -1;
}

/* Whether s starts with one of the NULL-terminated prefixes. */
static bool has_prefix(const char *const *prefixes, const char *s) {
  for (size_t i = 0; prefixes[i]; i++)
    if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
      return true;
  return false;
}

/* Says in err that setting full at v must be shape; returns -1. */
static int bad_value(const char *file, const baton__ynode *v, const char *full,
                     const char *shape, char *err, size_t errlen) {
  baton__fmt(err, errlen, "%s:%d: '%s' must be %s, not '%s'", file, v->line, full, shape,
             v->value);
  return -1;
}

/* Stores a whole number setting within ks's bounds. 0, or -1 with err. */
static int set_number(char *base, const key_spec *ks, const baton__ynode *v, const char *full,
                      const char *file, char *err, size_t errlen) {
  const char *s = v->value;
  char *end = NULL;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s || *end || x < ks->min || x > ks->max) {
    baton__fmt(err, errlen, "%s:%d: '%s' must be a whole number from %lld to %lld, not '%s'",
               file, v->line, full, ks->min, ks->max, s);
    return -1;
  }
  if (ks->kind == K_INT)
    *(int *)(base + ks->offset) = (int)x;
  else if (ks->kind == K_LONG)
    *(long *)(base + ks->offset) = (long)x;
  else
    *(size_t *)(base + ks->offset) = (size_t)x;
  return 0;
}

/* Stores the single value v of setting ks (named full). 0, or -1 with err. */
static int set_scalar(baton__config *cfg, const key_spec *ks, const baton__ynode *v,
                      const char *full, const char *file, char *err, size_t errlen) {
  char *base = (char *)cfg;
  const char *s = v->value;
  switch (ks->kind) {
  case K_STRING:
  case K_URL:
    if (ks->allowed && (ks->kind == K_URL ? !has_prefix(ks->allowed, s)
                                          : word_index(ks->allowed, s, true) < 0))
      return bad_value(file, v, full, ks->shape, err, errlen);
    if (set_string((char **)(base + ks->offset), s) != 0) {
      baton__fmt(err, errlen, "%s: out of memory", file);
      return -1;
    }
    return 0;
  case K_CHOICE: {
    int m = word_index(ks->allowed, s, false);
    if (m < 0)
      return bad_value(file, v, full, ks->shape, err, errlen);
    *(int *)(base + ks->offset) = m;
    return 0;
  }
  case K_BOOL:
    if (!parse_bool(s, (bool *)(base + ks->offset)))
      return bad_value(file, v, full, "true or false", err, errlen);
    return 0;
  case K_INT:
  case K_LONG:
  case K_SIZE:
    return set_number(base, ks, v, full, file, err, errlen);
  default:
    return 0;
  }
}

/* Appends the folder paths of list v to the setting ks. 0, or -1 with err. */
static int add_paths(baton__config *cfg, const key_spec *ks, const baton__ynode *v,
                     const char *full, const char *file, char *err, size_t errlen) {
  if (v->kind != BATON__YN_SEQ) {
    baton__fmt(err, errlen, "%s:%d: '%s' must be a list", file, v->line, full);
    return -1;
  }
  char ***list = (char ***)((char *)cfg + ks->offset);
  for (size_t j = 0; j < v->n; j++) {
    if (v->kids[j]->kind != BATON__YN_SCALAR || !v->kids[j]->value[0]) {
      baton__fmt(err, errlen, "%s:%d: '%s' items must be folder paths", file, v->kids[j]->line,
                 full);
      return -1;
    }
    char **nl = realloc(*list, (cfg->n_allowed_roots + 1) * sizeof *nl);
    if (nl)
      *list = nl;
    if (!nl || !(nl[cfg->n_allowed_roots] = baton__strdup(v->kids[j]->value))) {
      baton__fmt(err, errlen, "%s: out of memory", file);
      return -1;
    }
    cfg->n_allowed_roots++;
  }
  return 0;
}

static int apply_map(baton__config *cfg, const baton__ynode *map, const key_spec *keys,
                     const char *prefix, const char *file, char *err, size_t errlen);

/* Applies the value v of setting ks (named full), whatever its kind. 0, or
 * -1 with err. */
static int apply_value(baton__config *cfg, const key_spec *ks, const baton__ynode *v,
                       const char *full, const char *file, char *err, size_t errlen) {
  switch (ks->kind) {
  case K_SECTION: {
    if (v->kind == BATON__YN_SCALAR && v->value[0] == '\0')
      return 0; /* an empty section */
    if (v->kind != BATON__YN_MAP) {
      baton__fmt(err, errlen, "%s:%d: '%s' must be a mapping", file, v->line, full);
      return -1;
    }
    char sub[128];
    baton__fmt(sub, sizeof sub, "%s.", full);
    return apply_map(cfg, v, ks->sub, sub, file, err, errlen);
  }
  case K_ENDPOINTS:
    return baton__config_read_endpoints(cfg, v, file, err, errlen);
  case K_STRLIST:
    return add_paths(cfg, ks, v, full, file, err, errlen);
  default:
    if (v->kind != BATON__YN_SCALAR) {
      baton__fmt(err, errlen, "%s:%d: '%s' must be a single value", file, v->line, full);
      return -1;
    }
    return set_scalar(cfg, ks, v, full, file, err, errlen);
  }
}

/* Applies the settings of map, looked up in keys; prefix names the section
 * for messages ("llm."). 0, or -1 with err. */
static int apply_map(baton__config *cfg, const baton__ynode *map, const key_spec *keys,
                     const char *prefix, const char *file, char *err, size_t errlen) {
  for (size_t i = 0; i + 1 < map->n; i += 2) {
    const baton__ynode *k = map->kids[i], *v = map->kids[i + 1];
    if (k->kind != BATON__YN_SCALAR) {
      baton__fmt(err, errlen, "%s:%d: a setting name must be plain text", file, k->line);
      return -1;
    }
    const key_spec *ks = NULL;
    for (const key_spec *s = keys; s->name; s++)
      if (strcmp(s->name, k->value) == 0)
        ks = s;
    if (!ks) {
      baton__fmt(err, errlen, "%s:%d: unknown setting '%s%s'", file, k->line, prefix, k->value);
      return -1;
    }
    char full[128];
    baton__fmt(full, sizeof full, "%s%s", prefix, ks->name);
    if (apply_value(cfg, ks, v, full, file, err, errlen) != 0)
      return -1;
  }
  return 0;
}

/* llm.endpoint: the LLM talks to that endpoint with its URL and key. Set
 * before the environment is read, so BATON_LLM_BASE_URL still wins. */
static int use_llm_endpoint(baton__config *cfg, char *err, size_t errlen) {
  if (!cfg->llm_endpoint)
    return 0;
  const baton__endpoint_cfg *ep = baton__config_endpoint(cfg, cfg->llm_endpoint);
  if (!ep) {
    baton__fmt(err, errlen, "%s: 'llm.endpoint' names '%s', which is not in 'endpoints'",
               cfg->source ? cfg->source : "config", cfg->llm_endpoint);
    return -1;
  }
  if (cfg->llm_base_url || cfg->llm_api_key) {
    baton__fmt(err, errlen,
               "%s: set either 'llm.endpoint' or 'llm.base_url'/'llm.api_key', not both",
               cfg->source ? cfg->source : "config");
    return -1;
  }
  cfg->llm_base_url = baton__strdup(ep->base_url);
  if (!cfg->llm_base_url || (ep->api_key && !(cfg->llm_api_key = baton__strdup(ep->api_key)))) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* ---- defaults and environment ----------------------------------------- */

static char *default_home(void) {
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg && xdg[0] == '/')
    return baton__path_join(xdg, "baton");
  const char *home = getenv("HOME");
  if (!home || !*home)
    home = "/tmp";
  return baton__path_join(home, ".local/share/baton");
}

static char *default_socket(void) {
  const char *rt = getenv("XDG_RUNTIME_DIR");
  if (rt && rt[0] == '/')
    return baton__path_join(rt, "baton.sock");
  char buf[64];
  baton__fmt(buf, sizeof buf, "/tmp/baton-%u/baton.sock", (unsigned)getuid());
  return baton__strdup(buf);
}

static char *default_config_path(void) {
  const char *env = getenv("BATON_CONFIG");
  if (env && *env)
    return baton__strdup(env);
  char *p = NULL;
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/')
    p = baton__path_join(xdg, "baton/config.yaml");
  else if (home && *home)
    p = baton__path_join(home, ".config/baton/config.yaml");
  if (p && !baton__file_exists(p)) {
    free(p);
    p = NULL;
  }
  return p;
}

static int env_string(char **slot, const char *name) {
  const char *v = getenv(name);
  if (!v || !*v)
    return 0;
  return set_string(slot, v);
}

static int defaults(baton__config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->home = default_home();
  cfg->socket_path = default_socket();
  cfg->workers = 4;
  cfg->task_timeout_ms = 300000;
  cfg->task_retries = 2;
  cfg->llm_model = baton__strdup("gpt-4o-mini");
  cfg->llm_timeout_ms = 120000;
  cfg->llm_response_format = baton__strdup("auto");
  cfg->llm_history_chars = 6000;
  cfg->hf_base_url = baton__strdup("https://router.huggingface.co/hf-inference");
  cfg->hub_base_url = baton__strdup("https://huggingface.co");
  cfg->max_request_bytes = 16 * 1024;
  cfg->max_plan_bytes = 1024 * 1024;
  cfg->max_input_bytes = 64 * 1024 * 1024;
  cfg->max_text_bytes = 1024 * 1024;
  cfg->max_tasks = 64;
  cfg->runs_kept = 200;
  cfg->isolation = BATON__ISOLATE_AUTO;
  cfg->worker_memory_mb = 4096;
  cfg->daemon_grace_ms = 30000;
  cfg->daemon_max_clients = 1024;
  cfg->daemon_max_message_bytes = 1024 * 1024;
  cfg->daemon_max_output_bytes = 8 * 1024 * 1024;
  cfg->daemon_max_client_backlog_bytes = 1024 * 1024;
  cfg->daemon_max_runs = 64;
  cfg->queue_claim_after_ms = 30000;
  cfg->queue_blob_max_bytes = 64 * 1024 * 1024;
  cfg->tesseract_lang = baton__strdup("eng");
  cfg->tts_voice = baton__strdup("en");
  cfg->tts_rate = 160;
  cfg->summary_percent = 40;
  cfg->summary_max_sentences = 10;
  cfg->summary_dictionary = baton__strdup("en");
  return cfg->home && cfg->socket_path && cfg->llm_model && cfg->llm_response_format &&
                 cfg->hf_base_url && cfg->hub_base_url &&
                 cfg->tesseract_lang && cfg->tts_voice && cfg->summary_dictionary
             ? 0
             : -1;
}

/* Reads the YAML file at file (taken: it becomes cfg->source) over the
 * defaults. 0, or -1 with err. */
static int load_file(baton__config *cfg, char *file, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  char rerr[512];
  if (baton__read_file(file, CONFIG_MAX_BYTES, &text, &len, rerr, sizeof rerr) != 0) {
    baton__fmt(err, errlen, "config: %s", rerr);
    free(file);
    return -1;
  }
  baton__ynode *root = baton__ytree_parse(text, len, file, CONFIG_MAX_DEPTH, err, errlen);
  if (root && root->kind != BATON__YN_MAP) {
    baton__fmt(err, errlen, "%s:%d: the config must be a mapping of settings", file, root->line);
    baton__ynode_free(root);
    root = NULL;
  }
  free(text);
  if (!root) {
    free(file);
    return -1;
  }
  int rc = apply_map(cfg, root, top_keys, "", file, err, errlen);
  baton__ynode_free(root);
  cfg->source = file;
  if (rc != 0 || use_llm_endpoint(cfg, err, errlen) != 0)
    return -1;
  return 0;
}

/* The environment overrides the file. An LLM on a configured endpoint
 * keeps that endpoint's key: no other key is sent to it unless
 * BATON_LLM_BASE_URL moves the LLM elsewhere. 0, or -1 with err. */
static int read_env(baton__config *cfg, char *err, size_t errlen) {
  int rc = 0;
  rc |= env_string(&cfg->home, "BATON_HOME");
  rc |= env_string(&cfg->socket_path, "BATON_SOCKET");
  const char *moved = getenv("BATON_LLM_BASE_URL");
  bool own_llm = !cfg->llm_endpoint || (moved && *moved);
  if (!cfg->llm_base_url)
    rc |= env_string(&cfg->llm_base_url, "OPENAI_BASE_URL");
  rc |= env_string(&cfg->llm_base_url, "BATON_LLM_BASE_URL");
  rc |= env_string(&cfg->llm_model, "BATON_LLM_MODEL");
  if (own_llm && cfg->llm_endpoint) {
    free(cfg->llm_api_key); /* the endpoint's key stays with the endpoint */
    cfg->llm_api_key = NULL;
    free(cfg->llm_endpoint);
    cfg->llm_endpoint = NULL;
  }
  if (own_llm && !cfg->llm_api_key)
    rc |= env_string(&cfg->llm_api_key, "OPENAI_API_KEY");
  if (own_llm)
    rc |= env_string(&cfg->llm_api_key, "BATON_LLM_API_KEY");
  rc |= env_string(&cfg->hf_token, "HF_TOKEN");
  rc |= env_string(&cfg->hf_base_url, "BATON_HF_BASE_URL");
  rc |= env_string(&cfg->hub_base_url, "BATON_HUB_BASE_URL");
  if (rc) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  const char *dbg = getenv("BATON_DEBUG_EXECUTORS");
  if (dbg && *dbg) {
    bool on;
    if (!parse_bool(dbg, &on)) {
      baton__fmt(err, errlen, "BATON_DEBUG_EXECUTORS must be 1 or 0, not '%s'", dbg);
      return -1;
    }
    cfg->debug_executors = on;
  }
  return 0;
}

int baton__config_load(baton__config *cfg, const char *path, char *err, size_t errlen) {
  if (defaults(cfg) != 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  char *file = path ? baton__strdup(path) : default_config_path();
  if (file && load_file(cfg, file, err, errlen) != 0)
    return -1;
  if (read_env(cfg, err, errlen) != 0)
    return -1;
  if (cfg->home[0] != '/') {
    baton__fmt(err, errlen, "the data folder (BATON_HOME or 'home') must be an absolute path, not '%s'",
               cfg->home);
    return -1;
  }
  if (cfg->llm_base_url && strncmp(cfg->llm_base_url, "http://", 7) != 0 &&
      strncmp(cfg->llm_base_url, "https://", 8) != 0) {
    baton__fmt(err, errlen, "the LLM base URL must start with http:// or https://, not '%s'",
               cfg->llm_base_url);
    return -1;
  }
  return 0;
}

void baton__config_release(baton__config *cfg) {
  if (!cfg)
    return;
  free(cfg->source);
  free(cfg->home);
  free(cfg->socket_path);
  free(cfg->llm_base_url);
  free(cfg->llm_model);
  free(cfg->llm_api_key);
  free(cfg->llm_response_format);
  free(cfg->llm_endpoint);
  baton__config_endpoints_release(cfg);
  free(cfg->hf_base_url);
  free(cfg->hf_token);
  free(cfg->hub_base_url);
  for (size_t i = 0; i < cfg->n_allowed_roots; i++)
    free(cfg->allowed_roots[i]);
  free(cfg->allowed_roots);
  free(cfg->tesseract_lang);
  free(cfg->tesseract_datapath);
  free(cfg->tts_voice);
  free(cfg->summary_dictionary);
  free(cfg->prompts_dir);
  free(cfg->daemon_allow_uids);
  free(cfg->queue_url);
  free(cfg->queue_password_env);
  memset(cfg, 0, sizeof *cfg);
}
