#include "lib/registry/curl_api.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

namespace mydocker::registry {
namespace {

[[noreturn]] void Die(const char* what) {
  const char* err = dlerror();
  fprintf(stderr, "mydocker: libcurl.so.4: %s%s%s\n", what, err ? ": " : "",
          err ? err : "");
  exit(1);
}

template <typename F>
void Bind(void* lib, const char* name, F*& out) {
  out = reinterpret_cast<F*>(dlsym(lib, name));
  if (out == nullptr) Die(name);
}

const CurlApi* Load() {
  // RTLD_LOCAL: its symbols stay its own; NODELETE: it is never unloaded
  // under threads that still use it.
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (lib == nullptr) Die("cannot load");
  auto* api = new CurlApi();
  Bind(lib, "curl_global_init", api->global_init);
  Bind(lib, "curl_easy_init", api->easy_init);
  Bind(lib, "curl_easy_setopt", api->easy_setopt);
  Bind(lib, "curl_easy_perform", api->easy_perform);
  Bind(lib, "curl_easy_getinfo", api->easy_getinfo);
  Bind(lib, "curl_easy_cleanup", api->easy_cleanup);
  Bind(lib, "curl_easy_reset", api->easy_reset);
  Bind(lib, "curl_easy_strerror", api->easy_strerror);
  Bind(lib, "curl_share_init", api->share_init);
  Bind(lib, "curl_share_setopt", api->share_setopt);
  Bind(lib, "curl_slist_append", api->slist_append);
  Bind(lib, "curl_slist_free_all", api->slist_free_all);
  Bind(lib, "curl_url", api->url);
  Bind(lib, "curl_url_set", api->url_set);
  Bind(lib, "curl_url_get", api->url_get);
  Bind(lib, "curl_url_cleanup", api->url_cleanup);
  Bind(lib, "curl_free", api->free);
  return api;
}

}  // namespace

const CurlApi& Curl() {
  static const CurlApi* api = Load();  // Thread-safe static init.
  return *api;
}

}  // namespace mydocker::registry
