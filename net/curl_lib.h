/* curl_lib.h — libcurl's functions, loaded the first time a request needs them, so commands that make none never load it. */
#ifndef BATON_NET_CURL_LIB_H
#define BATON_NET_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

/*
 * libcurl and the ~30 libraries it pulls in (TLS, Kerberos, LDAP, SSH,
 * IDN...) cost more to map and relocate than a whole offline `baton plan`
 * (docs/benchmarks.md, issue 18), so the library does not link it: the
 * first request dlopen()s it by its stable soname and takes the functions
 * below. Only net/ includes this header (it brings curl/curl.h).
 *
 * Each member has the exact type of the libcurl function it names (taken
 * from curl.h), so a call through the table is checked as a direct call
 * would be.
 */
#define BATON__CURL_FUNCTIONS(X)                                                              \
  X(global_init) X(easy_init) X(easy_setopt) X(easy_perform) X(easy_cleanup)                  \
  X(easy_strerror) X(slist_append) X(slist_free_all) X(mime_init) X(mime_addpart)             \
  X(mime_name) X(mime_data) X(mime_filedata) X(mime_filename) X(mime_type) X(mime_free)       \
  X(multi_init) X(multi_add_handle) X(multi_remove_handle) X(multi_perform) X(multi_poll)     \
  X(multi_info_read) X(multi_cleanup) X(getdate) X(easy_getinfo)

typedef struct baton__curl_lib {
#define BATON__CURL_MEMBER(name) __typeof__(curl_##name) *name;
  BATON__CURL_FUNCTIONS(BATON__CURL_MEMBER)
#undef BATON__CURL_MEMBER
} baton__curl_lib;

/* The loaded functions, or NULL with err set (libcurl is missing or lacks
 * one of them). Loads once per process (pthread_once); the table is never
 * written again and stays valid until exit, so any thread may call this
 * and use the result. Does not call curl_global_init(). */
const baton__curl_lib *baton__curl_lib_get(char *err, size_t errlen);

#endif
