// libcurl, loaded when the first registry request needs it.
//
// libcurl brings about thirty shared libraries with it (TLS, Kerberos, LDAP,
// SSH, IDN...). Linked normally, every mydocker process paid for loading
// and relocating them at start, although only `pull` (and `login`, `run`
// of a missing image) talk to registries; for `run`, whose container
// monitor is a mydocker process too, that was most of its CPU time. So the
// registry code calls libcurl through this table, filled by dlopen() of
// libcurl.so.4 on first use.
//
//   CURL* c = Curl().easy_init();
//   Curl().easy_setopt(c, CURLOPT_URL, url);
#ifndef MYDOCKER_LIB_REGISTRY_CURL_API_H_
#define MYDOCKER_LIB_REGISTRY_CURL_API_H_

#include <curl/curl.h>

namespace mydocker::registry {

struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  CURLSH* (*share_init)();
  CURLSHcode (*share_setopt)(CURLSH*, CURLSHoption, ...);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLU* (*url)();
  CURLUcode (*url_set)(CURLU*, CURLUPart, const char*, unsigned int);
  CURLUcode (*url_get)(const CURLU*, CURLUPart, char**, unsigned int);
  void (*url_cleanup)(CURLU*);
  void (*free)(void*);
};

// The loaded API (thread-safe; loaded once). A mydocker without a usable
// libcurl.so.4 cannot reach a registry at all: that prints one line naming
// the library and exits 1, as the dynamic loader would have at start.
const CurlApi& Curl();

}  // namespace mydocker::registry

#endif  // MYDOCKER_LIB_REGISTRY_CURL_API_H_
