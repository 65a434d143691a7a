// libnftables, loaded when the first NAT rule needs it.
//
// Only networked containers touch nftables, so, as with libcurl
// (lib/registry/curl_api.h), no mydocker process pays for loading
// libnftables and its dependencies (libnftnl, libmnl, libjansson, libgmp,
// libxtables...) at start: the few functions we call are bound through
// dlopen() of libnftables.so.1 on first use. Debian ships the library
// (libnftables1) without its header unless libnftables-dev is installed, so
// the prototypes below are declared here; they are the stable libnftables
// API of nftables 0.9 to 1.x (NFT_CTX_DEFAULT is 0 there too).
//
//   ASSIGN_OR_RETURN(const NftApi* nft, Nft());
//   nft_ctx* ctx = nft->ctx_new(kNftCtxDefault);
//   nft->ctx_buffer_output(ctx);
//   nft->run_cmd_from_buffer(ctx, "list tables");
//   ... nft->ctx_get_output_buffer(ctx) ...
//   nft->ctx_free(ctx);
#ifndef MYDOCKER_LIB_NAT_NFT_API_H_
#define MYDOCKER_LIB_NAT_NFT_API_H_

#include <cstdint>

#include "absl/status/statusor.h"

// libnftables' opaque context (struct nft_ctx in <nftables/libnftables.h>).
struct nft_ctx;

namespace mydocker::nat {

// NFT_CTX_DEFAULT: the flags argument of nft_ctx_new().
inline constexpr uint32_t kNftCtxDefault = 0;

struct NftApi {
  nft_ctx* (*ctx_new)(uint32_t flags);
  void (*ctx_free)(nft_ctx* ctx);
  // Collect output / error messages in buffers the context owns (freed by
  // ctx_free) instead of printing them to stdout / stderr. 0 on success.
  int (*ctx_buffer_output)(nft_ctx* ctx);
  int (*ctx_buffer_error)(nft_ctx* ctx);
  const char* (*ctx_get_output_buffer)(nft_ctx* ctx);
  const char* (*ctx_get_error_buffer)(nft_ctx* ctx);
  // Runs a whole script (NUL-terminated) as one transaction: all of its
  // changes apply, or none. 0 on success, -1 on failure.
  int (*run_cmd_from_buffer)(nft_ctx* ctx, const char* buf);
  // The same for a script read from the file at `filename`.
  int (*run_cmd_from_filename)(nft_ctx* ctx, const char* filename);
};

// The loaded API (thread-safe; loaded once, never unloaded). FailedPrecondition
// naming libnftables.so.1 and the loader's reason if it cannot be loaded (the
// package libnftables1 is missing): only NAT needs it, so unlike libcurl a
// missing library fails the operation, not the process.
absl::StatusOr<const NftApi*> Nft();

}  // namespace mydocker::nat

#endif  // MYDOCKER_LIB_NAT_NFT_API_H_
