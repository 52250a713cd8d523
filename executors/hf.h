/* hf.h — internals of the remote Hugging Face inference executor shared with the runtime and its tests. */
#ifndef BATON_EXECUTORS_HF_H
#define BATON_EXECUTORS_HF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The executor itself is baton__executor_hf (executor.h), named
 * "hf-inference": it serves endpoint "hf-inference" (POST
 * {hf_base_url}/models/{env->model}, or .../models/{id}/pipeline/{task} for
 * feature-extraction and sentence-similarity, .../models/{id}/v1/chat/completions
 * for conversational) and explicit http(s) endpoints (POSTed to as given).
 * It needs cfg->hf_token (sent as a Bearer token), is reentrant (its state
 * is the base URL, read-only after init) and runs in-process.
 *
 * Arguments it reads: "text" (or the first text value), "image", "audio"
 * (file paths); "question" and "context" (question-answering); "question"
 * or "text" (visual/document QA); "text2".."text9" or "sentences" (a JSON
 * array or comma list) for sentence-similarity; "query"/"table" (a JSON
 * object of columns) for table-question-answering; "labels" (comma list or
 * JSON array) for zero-shot tasks. Every other plain argument (type 0) is
 * sent as a model parameter, parsed as JSON when it is a number, boolean,
 * array or object ("top_k=3", "src_lang=en_XX", "multi_label=true").
 *
 * Outputs: "text" (the answer, caption, transcript, summary, translation, or
 * "label (0.98)" for the best label), "json" (labels and scores, boxes,
 * entities, embeddings, similarity scores, answers), and files written into
 * env->workspace named after env->file_prefix: "image"/"audio" for binary
 * replies (extension from the Content-Type), "<prefix>-maskN.png" for
 * segmentation masks, "<prefix>-N.<ext>" for extra audio-to-audio tracks.
 */

/* Largest reply accepted: JSON (and anything not typed as a media file),
 * and binary media bodies (image/audio/video/octet-stream). Past these the
 * task fails with "the response is larger than N MiB". */
#define BATON__HF_MAX_JSON_BODY (16u * 1024u * 1024u)
#define BATON__HF_MAX_BINARY_BODY (64u * 1024u * 1024u)

/* Requests made for one task at most (the first one plus retries after a
 * 502/503/504 or a 429). */
#define BATON__HF_MAX_ATTEMPTS 5
/* Longest single wait for a loading model (503 with "estimated_time"; 1, 2,
 * 4... s without it), in seconds. A 429 waits its Retry-After up to
 * BATON__HF_MAX_RETRY_AFTER_S and is not retried past that. Every wait is
 * also bounded by the time left before the task's timeout: when the wait
 * would outlast it, the task fails at once ("timed out after N ms"). */
#define BATON__HF_MAX_WAIT_S 30
#define BATON__HF_MAX_RETRY_AFTER_S 120

/* Longest Hub model id accepted. */
#define BATON__HF_MAX_ID 96

/*
 * Whether id looks like a Hugging Face Hub model id that may be sent to the
 * inference API: "ORG/NAME" or "NAME", at most BATON__HF_MAX_ID bytes, only
 * [A-Za-z0-9._-] and at most one '/', no empty part, no ".." and no
 * "local/" prefix. id may be NULL (false). Thread-safe.
 */
bool baton__hf_is_hub_id(const char *id);

/* The file extension (without the dot) that a response Content-Type
 * implies: image/jpeg -> "jpg", image/png -> "png", audio/flac -> "flac",
 * audio/wav|x-wav|wave -> "wav", audio/mpeg -> "mp3", ...; parameters after
 * ';' are ignored. When the type says nothing useful the bytes' signature
 * decides; NULL when neither does. Returns a static string. */
const char *baton__hf_ext_for(const char *content_type, const void *data, size_t len);

/* The media type of an input file: its bytes' signature, else its name's
 * extension, else "application/octet-stream". Returns a static string. */
const char *baton__hf_input_mime(const unsigned char *data, size_t len, const char *path);

#endif
