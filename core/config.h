/* config.h — the configuration: defaults, the YAML file, environment overrides. */
#ifndef BATON_CORE_CONFIG_H
#define BATON_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum { BATON__ISOLATE_AUTO = 0, BATON__ISOLATE_ALWAYS = 1 };

#define BATON__ENDPOINT_NAME_MAX 63      /* characters in an endpoint name */
#define BATON__ENDPOINT_DEFAULT_INFLIGHT 4

/* One model an endpoint serves, and the task kinds the user declared for it. */
typedef struct baton__endpoint_model {
  char *id;            /* sent as "model" */
  char **tasks;        /* pipeline tags ("image-to-text"), n_tasks of them */
  size_t n_tasks;
} baton__endpoint_model;

/* One OpenAI-compatible model server ("endpoints:" in the config). The same
 * model id under several endpoints is one model with several replicas. */
typedef struct baton__endpoint_cfg {
  char *name;          /* unique: [A-Za-z0-9._-], at most 63 characters */
  char *base_url;      /* http(s)://host[:port]/v1, no trailing '/' */
  char *api_key_env;   /* or NULL: the variable that holds the bearer key */
  char *api_key;       /* or NULL: read from api_key_env at load; never logged */
  int max_inflight;    /* requests at once to this endpoint, 1..1024 (default 4) */
  long timeout_ms;     /* per request, 0 = the task timeout */
  baton__endpoint_model *models;
  size_t n_models;
  int line;            /* where it is declared in the config file */
} baton__endpoint_cfg;
/* The most tasks one graph may have: limits.tasks accepts up to this, and
 * the task-graph parser refuses more whatever it is asked. */
#define BATON__MAX_TASKS_LIMIT 10000

/* Every string member is owned by the config (freed by baton__config_release)
 * and never NULL after baton__config_load() succeeded, except where marked
 * "or NULL". */
typedef struct baton__config {
  char *source;            /* the file read, or NULL when none */
  char *home;              /* BATON_HOME */
  char *socket_path;       /* BATON_SOCKET */
  int workers;             /* task threads of a context, shared by its runs, 1..64 */
  long task_timeout_ms;    /* per task, 0 = none */
  int task_retries;        /* retries of a transient failure on one model */

  /* LLM (planner, summarizer). base_url NULL means offline. */
  char *llm_base_url;      /* or NULL */
  char *llm_model;
  char *llm_api_key;       /* or NULL */
  long llm_timeout_ms;
  char *llm_response_format; /* how the planner asks for JSON: "auto" (json_schema,
                                then tgi, json_object, none as the server refuses),
                                "json_schema", "tgi", "json_object" or "none" */
  size_t llm_history_chars;  /* chat history kept in a prompt, newest first (chars) */
  char *llm_endpoint;        /* or NULL: the endpoint whose base_url and key the LLM
                                uses (llm.endpoint); llm_base_url/llm_api_key are
                                then copies of that endpoint's */

  /* Hugging Face inference. */
  char *hf_base_url;
  char *hf_token;          /* or NULL: remote executors unavailable */
  char *hub_base_url;      /* the Hub API for `models sync` (BATON_HUB_BASE_URL) */

  /* OpenAI-compatible model servers (endpoints:), in file order. */
  baton__endpoint_cfg *endpoints;
  size_t n_endpoints;

  bool debug_executors;

  /* Limits on outside input. */
  size_t max_request_bytes;  /* user request text */
  size_t max_plan_bytes;     /* task-graph JSON */
  size_t max_input_bytes;    /* one input file */
  size_t max_text_bytes;     /* text passed between tasks */
  int max_tasks;             /* tasks in one graph, at most BATON__MAX_TASKS_LIMIT */
  int runs_kept;             /* the newest runs whose folders under home/runs are kept (older
                                ones' are removed, their records kept); 0: all */

  char **allowed_roots;    /* extra folders inputs may come from, or NULL */
  size_t n_allowed_roots;

  /* Local executor settings. */
  char *tesseract_lang;
  char *tesseract_datapath;  /* or NULL: the library default */
  char *tts_voice;
  int tts_rate;              /* words per minute */
  int summary_percent;       /* share of sentences kept, 1..100 */
  int summary_max_sentences; /* at most this many kept unless the instruction asks; 0: no cap */
  char *summary_dictionary;  /* libots dictionary language, e.g. "en" */
  char *prompts_dir;         /* or NULL: built-in search */

  /* Executor isolation: local executors always run in baton-worker
   * processes; BATON__ISOLATE_AUTO runs the library's own (network, debug)
   * in-process, ALWAYS isolates them too. */
  int isolation;
  size_t worker_memory_mb;   /* address-space limit of a worker process */

  /* The daemon (batond, server/server.c). */
  char *daemon_allow_uids;   /* or NULL: comma-separated uids allowed to connect
                                besides the daemon's own user */
  long daemon_grace_ms;      /* SIGTERM: how long running tasks may finish */
  int daemon_max_clients;    /* connections served at once */
  size_t daemon_max_message_bytes; /* one JSON-RPC request line */
  size_t daemon_max_output_bytes;  /* unsent output queued per client */
  size_t daemon_max_client_backlog_bytes; /* unsent replies past which a client is not read */
  int daemon_max_runs;       /* runs at once; more wait in a queue */

  /* The task queue (runtime/queue*.c): with a URL, local tasks go to
   * baton-workers through Redis Streams instead of local worker processes. */
  char *queue_url;           /* or NULL: redis://HOST:PORT[/DB] or unix:///PATH */
  char *queue_password_env;  /* or NULL: the variable holding the AUTH password */
  long queue_claim_after_ms; /* a task pending this long is claimed by another worker */
  size_t queue_blob_max_bytes; /* one input or output file on the queue */
} baton__config;

/* Fills cfg with defaults, then the YAML file (path, or the default lookup
 * when NULL), then the environment. Returns 0, or -1 with a message naming
 * the file and line in err. cfg must be released even on failure. */
int baton__config_load(baton__config *cfg, const char *path, char *err, size_t errlen);
void baton__config_release(baton__config *cfg);

/* The endpoint of that name, or NULL. */
const baton__endpoint_cfg *baton__config_endpoint(const baton__config *cfg, const char *name);

#endif
