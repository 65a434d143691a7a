// The text of mydocker's nftables rules: pure functions, no kernel access.
//
// mydocker keeps all of its NAT and forwarding rules in one table of its own,
// `table ip mydocker`, so that cleanup is exact (delete what we added, or the
// whole table) and never touches rules that belong to anyone else (firewalld,
// Docker, libvirt, the admin's own). Everything varying lives in maps and
// sets of that table, so adding a network or publishing a port is a handful
// of element insertions, never a rewrite of a chain:
//
//   table ip mydocker
//     map tcp_any / udp_any  host port -> container addr . port  (-p 91:80)
//     map tcp_ip / udp_ip    host addr . port -> container addr . port
//                                                   (-p 127.0.0.1:91:80)
//     map post_nets          subnet -> jump net-<id>     (masquerading)
//     map fwd_in / fwd_out   bridge -> jump fwdin-<id> / fwdout-<id>
//     set bridges            every mydocker bridge (for isolation)
//     chain ports            the four DNAT lookups
//     chain prerouting, output     (nat)  to ports, for local destinations
//     chain postrouting            (nat)  post_nets; 127.0.0.1 -> container
//     chain forward                (filter) fwd_in, fwd_out
//
// Per network (id = the first 12 hex digits of the network id):
//   chain net-<id>     masquerade what leaves to another interface (not for
//                      internal networks), and hairpin: a container reaching
//                      a published port of its own network through DNAT.
//   chain fwdin-<id>   traffic from the network: its own bridge is fine,
//                      other mydocker bridges are not (isolation); an
//                      internal network cannot leave at all.
//   chain fwdout-<id>  traffic into the network from elsewhere: replies and
//                      published ports only (internal: nothing).
//
// Every value that reaches the text is validated first (interface names,
// dotted quads, ports, protocols), and addresses are re-printed from their
// parsed form, so nothing a user types can inject nft syntax: a bad value is
// InvalidArgument naming the network or the port.
//
//   ASSIGN_OR_RETURN(std::string script,
//                    AddNetworkScript({.id = network_id,
//                                      .bridge = "br-0123456789ab",
//                                      .subnet = "172.18.0.0/16"}));
//   RETURN_IF_ERROR(RunNft(script, "network ..."));   // lib/nat/nft.h
//
// Scripts are in nft's command syntax, one command per line, each ending in
// "\n"; run one as a single transaction (RunNft), never line by line.
#ifndef MYDOCKER_LIB_NAT_RULES_H_
#define MYDOCKER_LIB_NAT_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::nat {

// The table all of this lives in, as nft spells it in commands.
inline constexpr char kTable[] = "ip mydocker";
// Its name alone, in family ip (NFPROTO_IPV4).
inline constexpr char kTableName[] = "mydocker";

// Creates the table with its maps, set, and base chains with their rules.
// Not idempotent: run twice, it appends the base rules twice (apply.h's
// EnsureSkeleton runs it only when the table does not exist).
std::string SkeletonScript();

// The base chain that keeps a host from routing for everyone once we turned
// IPv4 forwarding on for our bridges (apply.h's EnableIpForwarding): it
// drops what is forwarded between two interfaces that are neither of them
// our bridges. Idempotent (the chain is flushed and refilled); needs the
// skeleton's `bridges` set.
std::string ForwardGuardScript();
// The guard's chain, in the table.
inline constexpr char kForwardGuardChain[] = "isolate";

struct NetworkRules {
  // The network's id: at least 12 characters, of which the first 12 (lower
  // case hex) name its chains.
  std::string id;
  // Its bridge interface: 1 to 15 of [A-Za-z0-9_.-].
  std::string bridge;
  // Its IPv4 subnet, "192.168.0.0/24": prefix length 1 to 32, no host bits.
  std::string subnet;
  // --internal: no masquerading, no traffic in or out of the bridge.
  bool internal = false;
};

// Whether `name` can be an interface name here: 1 to 15 of [A-Za-z0-9_.-]
// (a subset of what Linux allows, and safe to quote in nft and to put in a
// /proc path).
bool IsValidIfname(absl::string_view name);

// The chain names of a network (its id's first 12 characters): "net-<id>",
// "fwdin-<id>", "fwdout-<id>". Assume a validated id.
std::string NetChain(const NetworkRules& n);
std::string FwdInChain(const NetworkRules& n);
std::string FwdOutChain(const NetworkRules& n);

// Creates (or rewrites, if they exist) the network's three chains and adds
// its elements to post_nets, fwd_in, fwd_out and bridges. Running it again
// for the same network changes nothing; for a subnet or bridge another
// network already has, the transaction fails (AlreadyExists from RunNft).
absl::StatusOr<std::string> AddNetworkScript(const NetworkRules& n);

// Removes the network's elements and chains. Idempotent: each element is
// added (a no-op if present with the same value) and then deleted, and the
// chains are added before they are flushed and deleted, so the script
// succeeds whether or not the network is present, as one transaction (nft
// 1.0.6 has no `destroy`). An element whose key another network holds with
// a different value makes the transaction fail with AlreadyExists rather
// than delete someone else's element; see RemoveNetworkSteps.
absl::StatusOr<std::string> RemoveNetworkScript(const NetworkRules& n);

// RemoveNetworkScript cut into independently runnable steps, in order (the
// script is their concatenation): add the chains; one step per element;
// then flush and delete each chain. For a fallback that runs them one by
// one and skips elements that are not ours.
absl::StatusOr<std::vector<std::string>> RemoveNetworkSteps(
    const NetworkRules& n);

struct PortRule {
  std::string proto;         // "tcp" or "udp".
  std::string host_ip = "";  // "" or "0.0.0.0": any local address.
  int host_port = 0;         // 1..65535.
  std::string container_ip;  // A dotted quad.
  int container_port = 0;    // 1..65535.
};

// "127.0.0.1:91->172.18.0.2:80/tcp" (host_ip "0.0.0.0" when empty); for
// messages.
std::string PortRuleString(const PortRule& p);

// Adds one map element per rule. Re-adding an identical mapping is a no-op;
// a host port (per address and protocol) mapped elsewhere already fails the
// transaction with AlreadyExists. Two rules for the same host port, address
// and protocol in one call are InvalidArgument. No rules: "".
absl::StatusOr<std::string> AddPortsScript(const std::vector<PortRule>& ports);

// Deletes the rules' elements, idempotently (add, then delete), so a mapping
// of the same host port to another container is never deleted: that makes
// the transaction fail with AlreadyExists instead; see RemovePortsSteps.
absl::StatusOr<std::string> RemovePortsScript(
    const std::vector<PortRule>& ports);

// RemovePortsScript cut into one step per rule.
absl::StatusOr<std::vector<std::string>> RemovePortsSteps(
    const std::vector<PortRule>& ports);

// One "delete element" per rule, by key alone, whatever the key maps to:
// for a key handed to a new owner while a stale one's element is still
// there. Each step fails (NotFound) when its key is absent.
absl::StatusOr<std::vector<std::string>> DeletePortKeysSteps(
    const std::vector<PortRule>& ports);

}  // namespace mydocker::nat

#endif  // MYDOCKER_LIB_NAT_RULES_H_
