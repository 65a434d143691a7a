#include "lib/nat/nft_api.h"

#include <dlfcn.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mydocker::nat {
namespace {

constexpr char kLibrary[] = "libnftables.so.1";

absl::Status LoadError(const char* what) {
  const char* err = dlerror();
  return absl::FailedPreconditionError(
      absl::StrCat(kLibrary, ": ", what, err ? ": " : "", err ? err : ""));
}

template <typename F>
absl::Status Bind(void* lib, const char* name, F*& out) {
  out = reinterpret_cast<F*>(dlsym(lib, name));
  if (out == nullptr) return LoadError(name);
  return absl::OkStatus();
}

absl::StatusOr<const NftApi*> Load() {
  // RTLD_LOCAL: its symbols stay its own; NODELETE: it is never unloaded
  // under threads that still use it.
  void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (lib == nullptr) return LoadError("cannot load");
  auto api = std::make_unique<NftApi>();
  for (absl::Status s : {
           Bind(lib, "nft_ctx_new", api->ctx_new),
           Bind(lib, "nft_ctx_free", api->ctx_free),
           Bind(lib, "nft_ctx_buffer_output", api->ctx_buffer_output),
           Bind(lib, "nft_ctx_buffer_error", api->ctx_buffer_error),
           Bind(lib, "nft_ctx_get_output_buffer", api->ctx_get_output_buffer),
           Bind(lib, "nft_ctx_get_error_buffer", api->ctx_get_error_buffer),
           Bind(lib, "nft_run_cmd_from_buffer", api->run_cmd_from_buffer),
           Bind(lib, "nft_run_cmd_from_filename", api->run_cmd_from_filename),
       }) {
    if (!s.ok()) return s;
  }
  return api.release();
}

}  // namespace

absl::StatusOr<const NftApi*> Nft() {
  // Thread-safe static init; a failure is remembered too (the library will
  // not appear while we run).
  static const absl::StatusOr<const NftApi*>* api =
      new absl::StatusOr<const NftApi*>(Load());
  return *api;
}

}  // namespace mydocker::nat
