// Running nftables scripts in-process, through libnftables.
//
// A script is handed to libnftables exactly as `nft -f` would read it and
// runs as one netlink transaction: all of its commands apply, or none do.
// Failures come back as a Status whose message is `what`, then nft's first
// error line and the command it refers to:
//
//   RETURN_IF_ERROR(RunNft("add element ip mydocker tcp_any "
//                          "{ 91 : 172.18.0.2 . 80 }\n",
//                          "publish port 91"));
//   // -> ALREADY_EXISTS "nft: publish port 91: Error: Could not process
//   //    rule: File exists (in `add element ip mydocker tcp_any
//   //    { 91 : 172.18.0.2 . 80 }`)"
//   ASSIGN_OR_RETURN(std::string tables, NftOutput("list tables ip", "..."));
//
// Each call creates its own libnftables context and frees it before
// returning, rather than keeping one per process:
//  - a context holds a netlink socket bound to the network namespace of the
//    thread that made it; a cached one would keep acting on (and pinning) the
//    namespace it was born in after the caller moved to another;
//  - libnftables 1.0.6 opens that socket without SOCK_CLOEXEC and has no
//    accessor for it, so a long-lived one would be inherited by every process
//    spawned afterwards: a root NETLINK_NETFILTER socket in the host
//    namespace handed to a container. (Even so, a fork in another thread
//    during a call inherits it: spawners must close stray fds, as
//    lib/runtime's children do with close_range.)
// The price: creating a context costs 30 to 200 us, against 0.1 to 2 ms for
// a transaction; and a transaction that deleted anything (an element, a rule,
// a chain) makes the close of its socket wait for an RCU grace period, about
// 10 ms (the kernel flushes nf_tables' destroy work when a netfilter socket
// is released), which a cached context would defer to process exit. Calls
// are serialised within the process, because libnftables keeps process-wide
// state (GMP's allocator hooks, libxtables' registry) that it does not
// promise to be thread-safe. Processes are not serialised here: see apply.h.
#ifndef MYDOCKER_LIB_NAT_NFT_H_
#define MYDOCKER_LIB_NAT_NFT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::nat {

// Runs `script` (nft commands, one per line) as one transaction. On failure
// nothing of it applied, and the Status code follows nft's error:
// AlreadyExists ("File exists", an overlapping interval), NotFound ("No such
// file or directory": a missing table, chain, set or element),
// PermissionDenied (not CAP_NET_ADMIN), Internal (nft could not parse the
// script: a bug in the script's builder), FailedPrecondition otherwise (and
// when libnftables.so.1 cannot be loaded). `what` names the operation for the
// message.
absl::Status RunNft(absl::string_view script, absl::string_view what);

// Runs `cmd` (typically a `list ...` command) and returns what nft printed,
// in nft's own text format. Errors as for RunNft.
absl::StatusOr<std::string> NftOutput(absl::string_view cmd,
                                      absl::string_view what);

// The Status RunNft returns for a failed run whose error buffer held
// `errors` (libnftables' text: "Error: ...", the offending line, a caret
// line, possibly repeated). Exposed for tests.
absl::Status NftErrorStatus(absl::string_view errors, absl::string_view what);

}  // namespace mydocker::nat

#endif  // MYDOCKER_LIB_NAT_NFT_H_
