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

typedef enum { K_STRING, K_INT, K_LONG, K_SIZE, K_BOOL, K_STRLIST, K_SECTION, K_ISOLATION, K_ENDPOINTS } key_kind;

typedef struct key_spec {
  const char *name;
  key_kind kind;
  size_t offset;               /* into baton__config */
  long long min, max;          /* numbers */
  const struct key_spec *sub;  /* sections */
} key_spec;

#define OFF(f) offsetof(baton__config, f)

static const key_spec llm_keys[] = {
    {"base_url", K_STRING, OFF(llm_base_url), 0, 0, NULL},
    {"model", K_STRING, OFF(llm_model), 0, 0, NULL},
    {"api_key", K_STRING, OFF(llm_api_key), 0, 0, NULL},
    {"timeout_ms", K_LONG, OFF(llm_timeout_ms), 100, 3600000, NULL},
    {"response_format", K_STRING, OFF(llm_response_format), 0, 0, NULL},
    {"history_chars", K_SIZE, OFF(llm_history_chars), 0, 1 << 20, NULL},
    {"endpoint", K_STRING, OFF(llm_endpoint), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec hf_keys[] = {
    {"base_url", K_STRING, OFF(hf_base_url), 0, 0, NULL},
    {"token", K_STRING, OFF(hf_token), 0, 0, NULL},
    {"hub_base_url", K_STRING, OFF(hub_base_url), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec limit_keys[] = {
    {"request_bytes", K_SIZE, OFF(max_request_bytes), 64, 16 << 20, NULL},
    {"plan_bytes", K_SIZE, OFF(max_plan_bytes), 64, 64 << 20, NULL},
    {"input_bytes", K_SIZE, OFF(max_input_bytes), 1024, 4LL << 30, NULL},
    {"text_bytes", K_SIZE, OFF(max_text_bytes), 1024, 256 << 20, NULL},
    {"tasks", K_INT, OFF(max_tasks), 1, BATON__MAX_TASKS_LIMIT, NULL},
    {"worker_memory_mb", K_SIZE, OFF(worker_memory_mb), 64, 1 << 20, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec tesseract_keys[] = {
    {"lang", K_STRING, OFF(tesseract_lang), 0, 0, NULL},
    {"datapath", K_STRING, OFF(tesseract_datapath), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec espeak_keys[] = {
    {"voice", K_STRING, OFF(tts_voice), 0, 0, NULL},
    {"rate", K_INT, OFF(tts_rate), 80, 450, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec ots_keys[] = {
    {"percent", K_INT, OFF(summary_percent), 1, 100, NULL},
    {"dictionary", K_STRING, OFF(summary_dictionary), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec executor_keys[] = {
    {"tesseract", K_SECTION, 0, 0, 0, tesseract_keys},
    {"espeak-ng", K_SECTION, 0, 0, 0, espeak_keys},
    {"ots", K_SECTION, 0, 0, 0, ots_keys},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec daemon_keys[] = {
    {"allow_uids", K_STRING, OFF(daemon_allow_uids), 0, 0, NULL},
    {"grace_ms", K_LONG, OFF(daemon_grace_ms), 0, 3600000, NULL},
    {"max_clients", K_INT, OFF(daemon_max_clients), 1, 100000, NULL},
    {"max_message_bytes", K_SIZE, OFF(daemon_max_message_bytes), 1024, 64 << 20, NULL},
    {"max_output_bytes", K_SIZE, OFF(daemon_max_output_bytes), 4096, 1LL << 30, NULL},
    {"max_client_backlog_bytes", K_SIZE, OFF(daemon_max_client_backlog_bytes), 4096, 1LL << 30, NULL},
    {"max_runs", K_INT, OFF(daemon_max_runs), 1, 100000, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec queue_keys[] = {
    {"url", K_STRING, OFF(queue_url), 0, 0, NULL},
    {"password_env", K_STRING, OFF(queue_password_env), 0, 0, NULL},
    {"claim_after_ms", K_LONG, OFF(queue_claim_after_ms), 100, 86400000, NULL},
    {"blob_max_bytes", K_SIZE, OFF(queue_blob_max_bytes), 1024, 512LL << 20, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const key_spec top_keys[] = {
    {"home", K_STRING, OFF(home), 0, 0, NULL},
    {"socket", K_STRING, OFF(socket_path), 0, 0, NULL},
    {"workers", K_INT, OFF(workers), 1, 64, NULL},
    {"task_timeout_ms", K_LONG, OFF(task_timeout_ms), 0, 86400000, NULL},
    {"task_retries", K_INT, OFF(task_retries), 0, 10, NULL},
    {"debug_executors", K_BOOL, OFF(debug_executors), 0, 0, NULL},
    {"allowed_roots", K_STRLIST, OFF(allowed_roots), 0, 0, NULL},
    {"prompts_dir", K_STRING, OFF(prompts_dir), 0, 0, NULL},
    {"isolation", K_ISOLATION, OFF(isolation), 0, 0, NULL},
    {"llm", K_SECTION, 0, 0, 0, llm_keys},
    {"hf", K_SECTION, 0, 0, 0, hf_keys},
    {"limits", K_SECTION, 0, 0, 0, limit_keys},
    {"executors", K_SECTION, 0, 0, 0, executor_keys},
    {"daemon", K_SECTION, 0, 0, 0, daemon_keys},
    {"endpoints", K_ENDPOINTS, 0, 0, 0, NULL},
    {"queue", K_SECTION, 0, 0, 0, queue_keys},
    {NULL, 0, 0, 0, 0, NULL},
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

static int apply_map(baton__config *cfg, const baton__ynode *map, const key_spec *keys,
                     const char *prefix, const char *file, char *err, size_t errlen) {
  char *base = (char *)cfg;
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
    if (ks->kind == K_SECTION) {
      if (v->kind == BATON__YN_SCALAR && v->value[0] == '\0')
        continue; /* an empty section */
      if (v->kind != BATON__YN_MAP) {
        baton__fmt(err, errlen, "%s:%d: '%s' must be a mapping", file, v->line, full);
        return -1;
      }
      char sub[128];
      baton__fmt(sub, sizeof sub, "%s.", full);
      if (apply_map(cfg, v, ks->sub, sub, file, err, errlen) != 0)
        return -1;
      continue;
    }
    if (ks->kind == K_ENDPOINTS) {
      if (baton__config_read_endpoints(cfg, v, file, err, errlen) != 0)
        return -1;
      continue;
    }
    if (ks->kind == K_STRLIST) {
      if (v->kind != BATON__YN_SEQ) {
        baton__fmt(err, errlen, "%s:%d: '%s' must be a list", file, v->line, full);
        return -1;
      }
      char ***list = (char ***)(base + ks->offset);
      for (size_t j = 0; j < v->n; j++) {
        if (v->kids[j]->kind != BATON__YN_SCALAR || !v->kids[j]->value[0]) {
          baton__fmt(err, errlen, "%s:%d: '%s' items must be folder paths", file,
                     v->kids[j]->line, full);
          return -1;
        }
        char **nl = realloc(*list, (cfg->n_allowed_roots + 1) * sizeof *nl);
        if (!nl)
          goto oom;
        *list = nl;
        nl[cfg->n_allowed_roots] = baton__strdup(v->kids[j]->value);
        if (!nl[cfg->n_allowed_roots])
          goto oom;
        cfg->n_allowed_roots++;
      }
      continue;
    }
    if (v->kind != BATON__YN_SCALAR) {
      baton__fmt(err, errlen, "%s:%d: '%s' must be a single value", file, v->line, full);
      return -1;
    }
    const char *s = v->value;
    switch (ks->kind) {
    case K_STRING:
      if (ks->offset == OFF(llm_response_format) && !baton__ieq(s, "auto") &&
          !baton__ieq(s, "json_schema") && !baton__ieq(s, "tgi") &&
          !baton__ieq(s, "json_object") && !baton__ieq(s, "none")) {
        baton__fmt(err, errlen,
                   "%s:%d: '%s' must be auto, json_schema, tgi, json_object or none, not '%s'",
                   file, v->line, full, s);
        return -1;
      }
      if (ks->offset == OFF(queue_url) && strncmp(s, "redis://", 8) != 0 &&
          strncmp(s, "unix:///", 8) != 0) {
        baton__fmt(err, errlen,
                   "%s:%d: '%s' must be redis://HOST:PORT[/DB] or unix:///PATH, not '%s'", file,
                   v->line, full, s);
        return -1;
      }
      if (set_string((char **)(base + ks->offset), s) != 0)
        goto oom;
      break;
    case K_ISOLATION: {
      static const char *const modes[] = {"auto", "always"};
      int m = -1;
      for (int mi = 0; mi < 2; mi++)
        if (strcmp(s, modes[mi]) == 0)
          m = mi;
      if (m < 0) {
        baton__fmt(err, errlen, "%s:%d: '%s' must be auto or always, not '%s'", file,
                   v->line, full, s);
        return -1;
      }
      *(int *)(base + ks->offset) = m;
      break;
    }
    case K_BOOL:
      if (!parse_bool(s, (bool *)(base + ks->offset))) {
        baton__fmt(err, errlen, "%s:%d: '%s' must be true or false, not '%s'", file, v->line,
                   full, s);
        return -1;
      }
      break;
    case K_INT:
    case K_LONG:
    case K_SIZE: {
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
      break;
    }
    default:
      break;
    }
  }
  return 0;
oom:
  baton__fmt(err, errlen, "%s: out of memory", file);
  return -1;
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
  cfg->summary_dictionary = baton__strdup("en");
  return cfg->home && cfg->socket_path && cfg->llm_model && cfg->llm_response_format &&
                 cfg->hf_base_url && cfg->hub_base_url &&
                 cfg->tesseract_lang && cfg->tts_voice && cfg->summary_dictionary
             ? 0
             : -1;
}

int baton__config_load(baton__config *cfg, const char *path, char *err, size_t errlen) {
  if (defaults(cfg) != 0) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  char *file = path ? baton__strdup(path) : default_config_path();
  if (file) {
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
  }
  /* The environment overrides the file. An LLM on a configured endpoint
   * keeps that endpoint's key: no other key is sent to it unless
   * BATON_LLM_BASE_URL moves the LLM elsewhere. */
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
