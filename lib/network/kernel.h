// The kernel side of a bridge network and of a container's endpoint on it,
// through our own rtnetlink (lib/netlink) and nftables table (lib/nat):
//
//   network:   bridge device <BridgeName()> with the gateway address, up,
//              route_localnet on (127.0.0.1:PORT reaches published ports),
//              IPv4 forwarding on, and the network's chains in
//              `table ip mydocker` (masquerade unless internal, isolation).
//   endpoint:  a veth pair: "veth<7 hex of the endpoint id>" on the host,
//              enslaved to the bridge and up; its peer made directly in the
//              container's netns as eth0 (eth1...), with Docker's MAC
//              (02:42 + the address), the address, up, and (on its first
//              network) the default route via the gateway.
//
//   RETURN_IF_ERROR(EnsureKernelState(net));   // idempotent, cheap if there
//   RETURN_IF_ERROR(PlugEndpoint(net, ep, netns_fd, "eth0", true));
//   ...
//   (void)UnplugEndpoint(ep.host_ifname);       // NotFound is fine
#ifndef MYDOCKER_LIB_NETWORK_KERNEL_H_
#define MYDOCKER_LIB_NETWORK_KERNEL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/ipam/address.h"
#include "lib/network/record.h"
#include "lib/network/store.h"

namespace mydocker::network {

// Makes whatever is missing of a bridge network's kernel state. A present,
// up bridge device with the gateway address needs only its NAT chains
// checked (and made again if someone flushed them) and forwarding on;
// otherwise everything is (re)made, under the network's lock held by the
// caller (the nft part is made idempotent by removing the network's chains
// first).
absl::Status EnsureKernelState(const Network& n);
// Removes the bridge device and the network's NAT chains; absent parts
// are fine. Deletes mydocker's nft table when no network is left in it.
absl::Status RemoveKernelState(const Network& n);

// The real host for NetworkStore: HostRoutes and the two functions above.
HostView RealHost();

// IPv4 prefixes the host routes (not default routes), for pool selection.
absl::StatusOr<std::vector<ipam::Ipv4Prefix>> HostRoutes();

struct Endpoint {
  std::string endpoint_id;  // 64 hex
  std::string host_ifname;  // "veth" + 7 hex of endpoint_id
  ipam::Ipv4 ip;
  int prefix_len = 0;
  ipam::Ipv4 gateway;
};

// The host side's name for an endpoint id.
std::string HostIfname(absl::string_view endpoint_id);

// Plugs `ep` into the container whose network namespace is `netns_fd`.
// With `default_route`, also the default route via the gateway (a
// container's first network), unless the network is internal. On failure, the veth is removed.
absl::Status PlugEndpoint(const Network& n, const Endpoint& ep, int netns_fd,
                          const std::string& ifname, bool default_route);
// Brings up `lo` in the network namespace `netns_fd`.
absl::Status SetLoopbackUp(int netns_fd);

// Waits until none of the network devices `names` exists any more (the
// kernel deletes a dead network namespace's veths in the background), at
// most `timeout`. True if they are all gone.
bool WaitForLinksGone(const std::vector<std::string>& names,
                      absl::Duration timeout);

// Deletes the host side (its peer goes with it). NotFound if absent.
absl::Status UnplugEndpoint(const std::string& host_ifname);

}  // namespace mydocker::network

#endif  // MYDOCKER_LIB_NETWORK_KERNEL_H_
