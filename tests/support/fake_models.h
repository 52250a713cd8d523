/* fake_models.h — loopback model servers for tests: OpenAI-compatible endpoints with each real server's routes, answers and quirks. */
#ifndef BATON_TESTS_FAKE_MODELS_H
#define BATON_TESTS_FAKE_MODELS_H

#include <stdbool.h>
#include <stddef.h>

#include "support/fake_http.h"

/*
 * A real HTTP server (fake_http) that behaves like one kind of model server,
 * as ../shared/docs/MODEL-SERVERS.md describes it:
 *
 *  FM_OPENAI      every route; OpenAI error shape {"error":{"message",...}}.
 *  FM_LLAMACPP    chat (with image/audio parts), transcriptions (json only:
 *                 other response_format -> 400), embeddings, models; with
 *                 fm_no_json_schema() refuses response_format json_schema as
 *                 older builds do; with fm_no_mmproj() (a text-only model, started
 *                 without --mmproj) refuses image and audio parts with 400 "image
 *                 input is not supported - hint: ... mmproj".
 *  FM_OLLAMA      chat takes only base64 data: URLs (http URLs -> 400
 *                 "image URLs are not currently supported"), transcriptions,
 *                 embeddings.
 *  FM_VLLM        chat, transcriptions, embeddings; error {"error":{...,"code":int}}.
 *  FM_LOCALAI     chat, transcriptions (response_format "text" -> 500 "invalid
 *                 response_format"; it wants "txt"), speech (always WAV),
 *                 images/generations (url unless b64_json asked), no
 *                 /images/edits (404), embeddings.
 *  FM_SPEACHES    transcriptions, speech (pcm when asked or always with
 *                 fm_pcm_only()), FastAPI errors {"detail":...}.
 *  FM_KOKORO      speech only; model must be kokoro/tts-1/tts-1-hd/
 *                 gpt-4o-mini-tts (else 400 {"detail":{"error","message","type"}});
 *                 pcm at 24 kHz when pcm is asked (or always with fm_pcm_only()).
 *  FM_WHISPERCPP  POST /inference only (anything else: 404 "File Not Found
 *                 (<path>)" text/plain); 400 bodies "Invalid request"
 *                 text/plain; response_format text -> text/html.
 *  FM_SDCPP       images/generations and images/edits, always b64_json (the
 *                 field is ignored); errors {"error":"..."}.
 *  FM_TEI         /v1/embeddings only; flat errors {"message","code","type"};
 *                 more than 32 inputs -> 413; no /v1/models.
 *
 * Chat answers: the content set with fm_set_answer() (default "a fake
 * answer"). Transcripts: fm_set_transcript() (default "hello world"); asked
 * as srt or vtt, subtitles (Ollama: JSON all the same; vLLM: 400).
 * Embeddings: 26 letter counts of each input (so similar texts score high).
 * Speech: a short WAV (or pcm). Images: a 1x1 PNG.
 *
 * Every request is recorded by the underlying fake_http (fm_http()).
 */
typedef enum fm_kind {
  FM_OPENAI,
  FM_LLAMACPP,
  FM_OLLAMA,
  FM_VLLM,
  FM_LOCALAI,
  FM_SPEACHES,
  FM_KOKORO,
  FM_WHISPERCPP,
  FM_SDCPP,
  FM_TEI
} fm_kind;

typedef struct fake_models fake_models;

fake_models *fm_start(fm_kind kind);
void fm_stop(fake_models *fm);
/* "http://127.0.0.1:PORT/v1" (borrowed until stop). */
const char *fm_base(const fake_models *fm);
fake_http *fm_http(fake_models *fm);

void fm_set_answer(fake_models *fm, const char *content);
/* Answers content instead when the system message contains marker (the
 * first marker set that matches wins; at most 16). */
void fm_set_answer_for(fake_models *fm, const char *marker, const char *content);
void fm_set_transcript(fake_models *fm, const char *text);
/* Transcriptions answer in this format whatever response_format asks:
 * "text" (whisper.cpp: text/html; others text/plain), "srt" (whisper.cpp:
 * application/x-subrip; others text/plain), "vtt" (text/vtt),
 * "verbose_json", or "page" (an HTML page, as a web UI at that address
 * would answer). */
void fm_transcript_format(fake_models *fm, const char *fmt);
/* images/generations answer {"data":[{"url": url}]} whatever is asked; ""
 * is this server's own /generated-images/b64.png (LocalAI's shape). */
void fm_image_url(fake_models *fm, const char *url);
void fm_no_json_schema(fake_models *fm);
void fm_pcm_only(fake_models *fm);
void fm_no_mmproj(fake_models *fm);
/* Every answer waits this long (ms) first. */
void fm_set_delay(fake_models *fm, int ms);
/* The next answer is this instead (status, extra header lines, body),
 * whatever the request; queued in order. */
void fm_push_failure(fake_models *fm, int status, const char *headers, const char *body);
/* The most requests that were being answered at the same time. */
int fm_max_concurrent(fake_models *fm);
/* Requests answered with 2xx. */
int fm_served(fake_models *fm);

/* A minimal multipart/form-data reader for checking uploads: the value of
 * field `name` (malloc'd, *len bytes) and, when wanted, its filename and
 * content type (malloc'd or NULL). NULL when the field is absent. */
char *fm_form_field(const fake_http_request *req, const char *name, size_t *len,
                    char **filename, char **content_type);

/* Bytes of a 1x1 PNG, for inputs. */
extern const unsigned char fm_png[];
extern const size_t fm_png_len;
/* Writes a short 16 kHz mono WAV to path. */
void fm_write_wav(const char *path);

#endif
