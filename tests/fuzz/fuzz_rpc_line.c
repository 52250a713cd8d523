/* fuzz_rpc_line.c — libFuzzer target: the daemon's JSON-RPC request line parser and checks. */
#include <stddef.h>
#include <stdint.h>

#include "server/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  baton__rpc_req rq;
  char msg[256];
  int code = baton__srv_parse_line((const char *)data, size, &rq, msg, sizeof msg);
  if (code == 0 && rq.method[0] == '\0' && rq.params)
    msg[0] = '\0'; /* touch what a caller would use */
  baton__srv_rpc_req_release(&rq);
  return 0;
}
