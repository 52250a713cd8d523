/* test_config.c — the configuration: defaults, YAML file, environment, errors with lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "support/support.h"

static void clear_env(void) {
  const char *vars[] = {"BATON_CONFIG", "BATON_HOME", "BATON_SOCKET", "BATON_LLM_BASE_URL",
                        "BATON_LLM_MODEL", "BATON_LLM_API_KEY", "OPENAI_BASE_URL",
                        "OPENAI_API_KEY", "HF_TOKEN", "BATON_HF_BASE_URL",
                        "BATON_DEBUG_EXECUTORS", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                        "XDG_RUNTIME_DIR"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
}

static char *write_config(const char *dir, const char *text) {
  size_t n = strlen(dir) + 16;
  char *p = malloc(n);
  snprintf(p, n, "%s/config.yaml", dir);
  bt_write(p, text);
  return p;
}

Test(core_config, defaults_need_no_file) {
  clear_env();
  char *dir = bt_tmpdir();
  setenv("HOME", dir, 1);
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_null(cfg.source);
  cr_assert_null(cfg.llm_base_url, "no LLM configured means offline");
  cr_assert_null(cfg.hf_token);
  cr_assert_eq(cfg.workers, 4);
  cr_assert_eq(cfg.summary_percent, 40);
  cr_assert_eq(cfg.summary_max_sentences, 10, "a long text's summary is bounded");
  char want[600];
  snprintf(want, sizeof want, "%s/.local/share/baton", dir);
  cr_assert_str_eq(cfg.home, want);
  cr_assert_str_eq(cfg.hf_base_url, "https://router.huggingface.co/hf-inference");
  cr_assert(strstr(cfg.socket_path, "baton.sock"));
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(dir);
}

Test(core_config, file_values_are_read) {
  clear_env();
  char *dir = bt_tmpdir();
  char *path = write_config(dir,
                            "# a comment\n"
                            "home: /var/lib/baton-test\n"
                            "workers: 2\n"
                            "debug_executors: yes\n"
                            "llm:\n"
                            "  base_url: http://127.0.0.1:8080/v1\n"
                            "  model: qwen2.5\n"
                            "limits:\n"
                            "  request_bytes: 2048\n"
                            "allowed_roots: [/srv/a, /srv/b]\n"
                            "executors:\n"
                            "  espeak-ng: {voice: es, rate: 200}\n"
                            "  ots: {percent: 25, max_sentences: 3}\n");
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.source, path);
  cr_assert_str_eq(cfg.home, "/var/lib/baton-test");
  cr_assert_eq(cfg.workers, 2);
  cr_assert(cfg.debug_executors);
  cr_assert_str_eq(cfg.llm_base_url, "http://127.0.0.1:8080/v1");
  cr_assert_str_eq(cfg.llm_model, "qwen2.5");
  cr_assert_eq(cfg.max_request_bytes, 2048);
  cr_assert_eq(cfg.n_allowed_roots, 2);
  cr_assert_str_eq(cfg.allowed_roots[1], "/srv/b");
  cr_assert_str_eq(cfg.tts_voice, "es");
  cr_assert_eq(cfg.tts_rate, 200);
  cr_assert_eq(cfg.summary_percent, 25);
  cr_assert_eq(cfg.summary_max_sentences, 3);
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(core_config, environment_overrides_the_file) {
  clear_env();
  char *dir = bt_tmpdir();
  char *path = write_config(dir, "home: /from/file\nllm:\n  base_url: http://file:1/v1\n");
  setenv("BATON_CONFIG", path, 1);
  setenv("BATON_HOME", "/from/env", 1);
  setenv("BATON_LLM_BASE_URL", "http://127.0.0.1:9/v1", 1);
  setenv("OPENAI_API_KEY", "sk-openai", 1);
  setenv("HF_TOKEN", "hf_x", 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.source, path, "BATON_CONFIG names the file");
  cr_assert_str_eq(cfg.home, "/from/env");
  cr_assert_str_eq(cfg.llm_base_url, "http://127.0.0.1:9/v1");
  cr_assert_str_eq(cfg.llm_api_key, "sk-openai", "OPENAI_API_KEY is the fallback key");
  cr_assert_str_eq(cfg.hf_token, "hf_x");
  cr_assert(cfg.debug_executors);
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(core_config, openai_base_url_is_the_fallback) {
  clear_env();
  setenv("HOME", "/tmp", 1);
  setenv("OPENAI_BASE_URL", "https://api.example.invalid/v1", 1);
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.llm_base_url, "https://api.example.invalid/v1");
  baton__config_release(&cfg);
}

static void expect_error(const char *text, const char *needle) {
  clear_env();
  char *dir = bt_tmpdir();
  char *path = write_config(dir, text);
  baton__config cfg;
  char err[512] = "";
  cr_assert_neq(baton__config_load(&cfg, path, err, sizeof err), 0, "accepted: %s", text);
  cr_assert(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
  cr_assert(strstr(err, path), "error '%s' does not name the file", err);
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(core_config, syntax_error_names_the_line) {
  expect_error("workers: 2\nllm:\n  model: [unclosed\n", ":4");
}

Test(core_config, unknown_key_is_named_with_its_line) {
  expect_error("workers: 2\nllm:\n  modle: x\n", ":3: unknown setting 'llm.modle'");
}

Test(core_config, out_of_range_number_is_refused) {
  expect_error("\nworkers: 0\n", ":2: 'workers' must be a whole number from 1 to 64");
  expect_error("workers: many\n", "not 'many'");
}

Test(core_config, wrong_shapes_are_refused) {
  expect_error("llm: 5\n", "'llm' must be a mapping");
  expect_error("allowed_roots: /srv\n", "must be a list");
  expect_error("debug_executors: maybe\n", "true or false");
  expect_error("- a\n- b\n", "must be a mapping");
}

Test(core_config, missing_file_is_an_error) {
  clear_env();
  baton__config cfg;
  char err[512] = "";
  cr_assert_neq(baton__config_load(&cfg, "/nonexistent/baton.yaml", err, sizeof err), 0);
  cr_assert(strstr(err, "/nonexistent/baton.yaml"), "%s", err);
  baton__config_release(&cfg);
}

Test(core_config, relative_home_is_refused) {
  clear_env();
  setenv("BATON_HOME", "relative/dir", 1);
  baton__config cfg;
  char err[512] = "";
  cr_assert_neq(baton__config_load(&cfg, NULL, err, sizeof err), 0);
  cr_assert(strstr(err, "absolute"), "%s", err);
  baton__config_release(&cfg);
}

Test(core_config, empty_file_gives_defaults) {
  clear_env();
  char *dir = bt_tmpdir();
  char *path = write_config(dir, "# nothing set\n");
  baton__config cfg;
  char err[512] = "";
  setenv("HOME", dir, 1);
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_eq(cfg.workers, 4);
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(core_config, llm_response_format_and_history_budget_are_read_and_checked) {
  clear_env();
  char *dir = bt_tmpdir();
  char *path = write_config(dir, "llm:\n  response_format: tgi\n  history_chars: 1234\n");
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.llm_response_format, "tgi");
  cr_assert_eq(cfg.llm_history_chars, 1234);
  baton__config_release(&cfg);
  cr_assert_eq(baton__config_load(&cfg, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.llm_response_format, "auto", "the default tries json_schema first");
  cr_assert_gt(cfg.llm_history_chars, 0);
  baton__config_release(&cfg);
  bt_rmtree(dir);
  free(path);
  free(dir);
  expect_error("llm:\n  response_format: xml\n",
               ":2: 'llm.response_format' must be auto, json_schema, tgi, json_object or none");
}

static const char endpoints_yaml[] =
    "endpoints:\n"
    "  - name: gpu1\n"
    "    base_url: http://10.0.0.5:8000/v1/\n"
    "    api_key_env: BT_GPU1_KEY\n"
    "    max_inflight: 8\n"
    "    timeout_ms: 120000\n"
    "    models:\n"
    "      - {id: Qwen2.5-VL-7B-Instruct, tasks: [image-to-text, visual-question-answering]}\n"
    "      - {id: whisper-large-v3, tasks: [automatic-speech-recognition]}\n"
    "  - name: gpu2\n"
    "    base_url: https://gpu2.example/v1\n"
    "    models:\n"
    "      - {id: whisper-large-v3, tasks: [automatic-speech-recognition]}\n";

Test(core_config, endpoints_are_read_with_their_models_and_key) {
  clear_env();
  setenv("BT_GPU1_KEY", "sk-gpu1-secret", 1);
  char *dir = bt_tmpdir();
  char *path = write_config(dir, endpoints_yaml);
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_eq(cfg.n_endpoints, 2);
  const baton__endpoint_cfg *g1 = baton__config_endpoint(&cfg, "gpu1");
  cr_assert_not_null(g1);
  cr_assert_str_eq(g1->base_url, "http://10.0.0.5:8000/v1", "the trailing '/' goes");
  cr_assert_str_eq(g1->api_key, "sk-gpu1-secret", "the key is read from api_key_env");
  cr_assert_eq(g1->max_inflight, 8);
  cr_assert_eq(g1->timeout_ms, 120000);
  cr_assert_eq(g1->n_models, 2);
  cr_assert_str_eq(g1->models[0].id, "Qwen2.5-VL-7B-Instruct");
  cr_assert_eq(g1->models[0].n_tasks, 2);
  cr_assert_str_eq(g1->models[0].tasks[1], "visual-question-answering");
  const baton__endpoint_cfg *g2 = baton__config_endpoint(&cfg, "gpu2");
  cr_assert_null(g2->api_key);
  cr_assert_eq(g2->max_inflight, 4, "max_inflight defaults to 4");
  cr_assert_eq(g2->timeout_ms, 0);
  cr_assert_null(baton__config_endpoint(&cfg, "gpu3"));
  baton__config_release(&cfg);
  unsetenv("BT_GPU1_KEY");
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(core_config, an_unknown_task_kind_is_refused_with_the_nearest_known_one) {
  expect_error("endpoints:\n  - name: gpu1\n    base_url: http://h/v1\n    models:\n"
               "      - {id: m, tasks: [summarisation]}\n",
               ":5: endpoint 'gpu1': 'summarisation' is not a known task kind "
               "(did you mean summarization?)");
  expect_error("endpoints:\n  - name: gpu1\n    base_url: http://h/v1\n    models:\n"
               "      - {id: m, tasks: [image-to-text, speling]}\n",
               ":5: endpoint 'gpu1': 'speling' is not a known task kind (such as summarization "
               "or image-to-text)");
}

Test(core_config, endpoint_mistakes_are_named_with_their_line) {
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n  - name: a\n"
               "    base_url: http://h2/v1\n",
               ":4: endpoint name 'a' is used twice");
  expect_error("endpoints:\n  - name: a\n    base_url: ftp://h\n",
               ":3: endpoint 'a': 'base_url' must start with http:// or https://");
  expect_error("endpoints:\n  - name: a\n", ":2: endpoint 'a': 'base_url' is missing");
  expect_error("endpoints:\n  - base_url: http://h/v1\n", ":2: an endpoint needs a 'name'");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    max_inflight: 0\n",
               ":4: endpoint 'a': 'max_inflight' must be a whole number from 1 to 1024, not '0'");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    timeout_ms: 10s\n",
               ":4: endpoint 'a': 'timeout_ms' must be a whole number from 100 to 86400000, "
               "not '10s'");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    models:\n"
               "      - {id: m}\n",
               ":5: endpoint 'a': model 'm' needs 'tasks'");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    models:\n"
               "      - {id: m, tasks: [Image To Text]}\n",
               "'Image To Text' is not a task kind");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    api_key: sk-x\n",
               ":4: endpoint 'a': put the key in an environment variable");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\n    colour: red\n",
               ":4: endpoint 'a': unknown setting 'colour'");
  expect_error("endpoints: {name: a}\n", "'endpoints' must be a list");
}

Test(core_config, llm_endpoint_uses_that_endpoints_url_and_key_only) {
  clear_env();
  setenv("BT_GPU1_KEY", "sk-gpu1-secret", 1);
  setenv("OPENAI_API_KEY", "sk-openai-other", 1);
  char *dir = bt_tmpdir();
  char text[2048];
  snprintf(text, sizeof text, "%sllm:\n  endpoint: gpu1\n  model: qwen\n", endpoints_yaml);
  char *path = write_config(dir, text);
  baton__config cfg;
  char err[512] = "";
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(cfg.llm_endpoint, "gpu1");
  cr_assert_str_eq(cfg.llm_base_url, "http://10.0.0.5:8000/v1");
  cr_assert_str_eq(cfg.llm_api_key, "sk-gpu1-secret", "not OPENAI_API_KEY: keys stay with their server");
  cr_assert_str_eq(cfg.llm_model, "qwen");
  baton__config_release(&cfg);
  snprintf(text, sizeof text, "%sllm:\n  endpoint: gpu2\n", endpoints_yaml);
  bt_write(path, text);
  cr_assert_eq(baton__config_load(&cfg, path, err, sizeof err), 0, "%s", err);
  cr_assert_null(cfg.llm_api_key, "gpu2 has no key, and no other key is sent to it");
  baton__config_release(&cfg);
  unsetenv("BT_GPU1_KEY");
  unsetenv("OPENAI_API_KEY");
  bt_rmtree(dir);
  free(path);
  free(dir);
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\nllm:\n  endpoint: b\n",
               "'llm.endpoint' names 'b', which is not in 'endpoints'");
  expect_error("endpoints:\n  - name: a\n    base_url: http://h/v1\nllm:\n  endpoint: a\n"
               "  base_url: http://x/v1\n",
               "either 'llm.endpoint' or 'llm.base_url'");
}

Test(core_config, a_key_never_appears_in_config_errors) {
  clear_env();
  setenv("BT_GPU1_KEY", "sk-gpu1-secret", 1);
  char *dir = bt_tmpdir();
  char *path = write_config(dir, "endpoints:\n  - name: a\n    base_url: http://h/v1\n"
                                 "    api_key_env: BT_GPU1_KEY\n    max_inflight: lots\n");
  baton__config cfg;
  char err[512] = "";
  cr_assert_neq(baton__config_load(&cfg, path, err, sizeof err), 0);
  cr_assert_null(strstr(err, "sk-gpu1-secret"), "%s", err);
  baton__config_release(&cfg);
  unsetenv("BT_GPU1_KEY");
  bt_rmtree(dir);
  free(path);
  free(dir);
}
