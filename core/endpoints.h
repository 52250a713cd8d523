/* endpoints.h — the config's "endpoints:" list (types in core/config.h): reading and releasing it. */
#ifndef BATON_CORE_ENDPOINTS_H
#define BATON_CORE_ENDPOINTS_H

#include "core/config.h"
#include "core/ytree.h"

/* Reads the "endpoints:" node v into cfg->endpoints, checking every field;
 * each key is read from its api_key_env variable now. Returns 0, or -1 with
 * "FILE:LINE: endpoint 'NAME': problem" in err (never a key). What was read
 * before an error stays in cfg, freed by baton__config_endpoints_release(). */
int baton__config_read_endpoints(baton__config *cfg, const baton__ynode *v, const char *file,
                                 char *err, size_t errlen);
/* Frees cfg->endpoints (keys wiped first). */
void baton__config_endpoints_release(baton__config *cfg);

#endif
