// nf_tables over our own NETLINK_NETFILTER socket, read-only: what a
// container's start checks on every run, without loading libnftables.
//
// Loading it (dlopen of libnftables and its libraries, a context, a cache
// built from a dump, the listing printed as text and parsed back) took
// 2.4 ms of each bridge `run` to learn that three chains exist. One dump of
// the family's chains, read here, takes a few microseconds. Changes to the
// ruleset stay with lib/nat, through libnftables.
//
//   ASSIGN_OR_RETURN(netlink::Socket nf, netlink::Socket::Open(NETLINK_NETFILTER));
//   ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> chains,
//                    netlink::ListChains(nf, NFPROTO_IPV4, "mydocker"));
#ifndef MYDOCKER_LIB_NETLINK_NFTABLES_H_
#define MYDOCKER_LIB_NETLINK_NFTABLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/netlink/message.h"
#include "lib/netlink/socket.h"

namespace mydocker::netlink {

// The request: a dump of the chains of `family` (NFPROTO_IPV4, ...). Apart
// for the tests that pin its bytes.
Message ListChainsRequest(uint8_t family);

// The names of the chains of table `table` in `family`, in the kernel's
// order; nullopt if there is no such table (nor chain in it: a table of
// ours always has its base chains). `sock` is a NETLINK_NETFILTER socket.
// Needs CAP_NET_ADMIN (PermissionDenied otherwise).
absl::StatusOr<std::optional<std::vector<std::string>>> ListChains(
    Socket& sock, uint8_t family, absl::string_view table);

}  // namespace mydocker::netlink

#endif  // MYDOCKER_LIB_NETLINK_NFTABLES_H_
