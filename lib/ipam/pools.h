// Docker's default address pools and the choice of a subnet for a new
// network that names none.
//
// dockerd 20.10 (libnetwork ipamutils, local scope) carves its default
// pools out of 172.17.0.0/16 ... 172.31.0.0/16 as fifteen /16s and then
// 192.168.0.0/16 as sixteen /20s, and gives a new network the first of them
// that overlaps no existing network and no route of the host. mydocker does
// the same, so `network create` picks the subnets docker would.
//
//   std::vector<Ipv4Prefix> in_use = HostRoutes();   // without the default
//   route for (const Network& n : networks) in_use.push_back(n.subnet);
//   ASSIGN_OR_RETURN(Ipv4Prefix subnet, SelectPool(in_use));
//   Ipv4 gateway = DefaultGateway(subnet);          // 172.18.0.1 for
//   172.18.0.0/16
#ifndef MYDOCKER_LIB_IPAM_POOLS_H_
#define MYDOCKER_LIB_IPAM_POOLS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "lib/ipam/address.h"

namespace mydocker::ipam {

// The 31 default pools in dockerd's order: 172.17.0.0/16, 172.18.0.0/16,
// ..., 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20, ...,
// 192.168.240.0/20.
std::vector<Ipv4Prefix> DefaultPools();

// The first prefix of `pools` that overlaps none of `in_use`.
// ResourceExhausted "could not find an available, non-overlapping IPv4
// address pool among the defaults to assign to the network" (dockerd's
// words) if every one overlaps something.
//
// `in_use` is the host's routes and the subnets of existing networks. Leave
// out the default route: as 0.0.0.0/0 it overlaps every pool (dockerd skips
// routes without a destination for the same reason).
absl::StatusOr<Ipv4Prefix> SelectPool(const std::vector<Ipv4Prefix>& pools,
                                      const std::vector<Ipv4Prefix>& in_use);

// SelectPool over DefaultPools().
absl::StatusOr<Ipv4Prefix> SelectPool(const std::vector<Ipv4Prefix>& in_use);

// The gateway dockerd gives a subnet when the user names none: its first
// address after the network address (the subnet's only address for /32).
Ipv4 DefaultGateway(const Ipv4Prefix& subnet);

}  // namespace mydocker::ipam

#endif  // MYDOCKER_LIB_IPAM_POOLS_H_
