/* wire.h — one JSON-RPC message line as both servers (batond, baton mcp) read it. */
#ifndef BATON_SERVER_WIRE_H
#define BATON_SERVER_WIRE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parses line[0..len) (without its newline) as one JSON value: valid UTF-8
 * without NUL (baton__json_text_problem()), and nothing after the value but
 * spaces, tabs and carriage returns. Returns the value (free with
 * cJSON_Delete()), or NULL with the reason in msg ("parse error: ...", a
 * -32700 error's message) and, when id_out is not NULL and the line's "id"
 * (a string or number) can still be read, a copy of it in *id_out (free
 * with cJSON_Delete(); else NULL). Thread-safe. */
cJSON *baton__wire_parse(const char *line, size_t len, char *msg, size_t cap, cJSON **id_out);

#endif
