// mydocker's NAT and forwarding rules, applied to the kernel.
//
// The rules live in `table ip mydocker` (see rules.h for its layout): the
// table is created on first use, networks and published ports come and go
// as map elements and per-network chains, and when the last network is gone
// the whole table is deleted, leaving `nft list ruleset` exactly as it was
// before mydocker touched it.
//
// Each change is one nftables transaction. Changes that must look before
// they act (does the table exist? is it empty?) run under an flock on
// /run/mydocker/nat.lock, and so do all the others, so that two mydocker
// processes never create the table twice (which would duplicate its base
// rules) and one never deletes the table between another's check and use.
//
//   RETURN_IF_ERROR(EnableIpForwarding());
//   NetworkRules net{.id = id, .bridge = "br-0123456789ab",
//                    .subnet = "172.18.0.0/16"};
//   RETURN_IF_ERROR(AddNetwork(net));       // creates the table if needed
//   RETURN_IF_ERROR(SetRouteLocalnet(net.bridge));
//   RETURN_IF_ERROR(AddPorts({{.proto = "tcp", .host_port = 8080,
//                              .container_ip = "172.18.0.2",
//                              .container_port = 80}}));
//   ...
//   RETURN_IF_ERROR(RemovePorts(ports));
//   RETURN_IF_ERROR(RemoveNetwork(net));
//   RETURN_IF_ERROR(DeleteTableIfEmpty());
//
// All of these act on the calling thread's network namespace and need
// CAP_NET_ADMIN there (PermissionDenied otherwise).
#ifndef MYDOCKER_LIB_NAT_APPLY_H_
#define MYDOCKER_LIB_NAT_APPLY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/nat/rules.h"

namespace mydocker::nat {

inline constexpr char kDefaultLockPath[] = "/run/mydocker/nat.lock";

// Makes the functions below lock `path` instead of kDefaultLockPath (its
// directory is created 0700 if missing). For tests, whose table lives in a
// network namespace of their own and must not wait for the host's lock.
void SetLockPathForTest(std::string path);

// Creates the table, its maps, set and base chains if the table does not
// exist. A table that exists is left alone, whatever it holds.
absl::Status EnsureSkeleton();

// Ensures the skeleton, then adds the network's chains and elements (see
// AddNetworkScript). OK if the network is already there; AlreadyExists if
// another network has its subnet (or an overlapping one) or its bridge;
// InvalidArgument for a bad id, bridge name or subnet.
absl::Status AddNetwork(const NetworkRules& n);

// Removes the network's chains and elements. OK if they (or the whole table)
// are absent; elements under the network's keys that now point elsewhere
// (another network's) are left alone.
absl::Status RemoveNetwork(const NetworkRules& n);

// AddNetwork unless the network's chains are there (read-only when they
// are: no transaction, nothing deleted). For a network whose bridge exists
// but whose rules someone flushed (`nft flush ruleset`, a firewall reload).
absl::Status EnsureNetwork(const NetworkRules& n);

// Ensures the skeleton, then publishes the ports, all or none. Re-publishing
// an identical mapping is OK; AlreadyExists if a host port (for that address
// and protocol) is mapped elsewhere; InvalidArgument for a bad rule. No
// ports: OK, nothing done.
absl::Status AddPorts(const std::vector<PortRule>& ports);
// Deletes the elements of the rules' keys, whatever they map to (absent
// ones are fine): for ports lib/network/ports took from a stale owner (a
// container whose monitor was killed, not yet repaired), before AddPorts.
absl::Status DeletePortKeys(const std::vector<PortRule>& ports);

// Unpublishes the ports. OK for mappings (or a table) already absent; a host
// port now mapped to another container is left alone.
absl::Status RemovePorts(const std::vector<PortRule>& ports);

// Sets /proc/sys/net/ipv4/ip_forward to 1 if it is 0. That turns
// forwarding on for every interface of the namespace, so when it was off,
// the host must not start routing between its other interfaces (dockerd
// sets iptables' FORWARD policy to DROP for this): first a marker file
// records that it was off (next to the lock, one per network namespace;
// /run does not outlive a reboot, nor does the setting), then the guard
// chain (rules.h's ForwardGuardScript) goes in, then forwarding on. While
// the marker exists, every call puts the guard back if it went missing
// (`nft flush ruleset`). DeleteTableIfEmpty turns forwarding off again.
// A namespace where forwarding was already on gets neither.
absl::Status EnableIpForwarding();

// Sets net.ipv4.conf.<ifname>.route_localnet to 1: without it the kernel
// drops packets from 127.0.0.1 routed out of the bridge, which a host
// connection to a port published on 127.0.0.1 (DNAT to the container) is
// until postrouting masquerades it. NotFound if there is no such interface;
// InvalidArgument for a name that is not one.
absl::Status SetRouteLocalnet(absl::string_view ifname);

// Deletes the whole table if no network's chain remains in it (published
// ports left without a network go with it), and then sets ip_forward back
// to 0 if EnableIpForwarding turned it on. OK if the table is absent.
absl::Status DeleteTableIfEmpty();

}  // namespace mydocker::nat

#endif  // MYDOCKER_LIB_NAT_APPLY_H_
