// The rtnetlink operations the network code needs: links (bridges, veth
// pairs), IPv4 addresses and routes, bridge port flags. Each is one request
// over a Socket, in that socket's network namespace; nothing shells out to
// ip(8) and nothing here depends on libnl.
//
// A container's network, host side then container side:
//
//   ASSIGN_OR_RETURN(netlink::Socket host, netlink::Socket::Open());
//   ASSIGN_OR_RETURN(std::optional<netlink::LinkInfo> br,
//                    netlink::GetLink(host, "mydocker0"));
//   RETURN_IF_ERROR(netlink::CreateVeth(host, {.name = "veth1a2b3c4",
//                                               .peer_name = "eth0",
//                                               .peer_netns_fd = netns_fd,
//                                               .peer_mac = mac,
//                                               .master_index = br->index}));
//   ASSIGN_OR_RETURN(std::optional<netlink::LinkInfo> veth,
//                    netlink::GetLink(host, "veth1a2b3c4"));
//   RETURN_IF_ERROR(netlink::SetLinkUp(host, veth->index, true));
//
//   ASSIGN_OR_RETURN(netlink::Socket ctr, netlink::Socket::OpenIn(netns_fd));
//   ASSIGN_OR_RETURN(std::optional<netlink::LinkInfo> eth0,
//                    netlink::GetLink(ctr, "eth0"));
//   RETURN_IF_ERROR(netlink::AddAddress(ctr, eth0->index, ip, 16));
//   RETURN_IF_ERROR(netlink::SetLinkUp(ctr, eth0->index, true));
//   RETURN_IF_ERROR(netlink::AddDefaultRoute(ctr, gateway, eth0->index));
//
// Errors carry the kernel's errno (KernelErrno in message.h) and a code that
// follows it: AlreadyExists for EEXIST, NotFound for ENODEV/ENOENT,
// PermissionDenied for EPERM. Their message names the link, by name where
// the caller gave one, else by index plus the name looked up once the
// request has failed ("netlink: set link veth1a2b3c4 (index 7) up: ...").
// Bad arguments (a link name the kernel would refuse, a prefix length over
// 32) are InvalidArgument before anything is sent.
//
// Addresses are in_addr, in network byte order, as the kernel has them.
// Links named here live in the socket's namespace; an index is only
// meaningful in the namespace it came from.
#ifndef MYDOCKER_LIB_NETLINK_RTNL_H_
#define MYDOCKER_LIB_NETLINK_RTNL_H_

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/netlink/message.h"
#include "lib/netlink/socket.h"

namespace mydocker::netlink {

using MacAddress = std::array<uint8_t, 6>;

// What RTM_GETLINK says about a link.
struct LinkInfo {
  int index = 0;
  std::string name{};
  unsigned flags = 0;  // IFF_UP, IFF_LOWER_UP, ... (ifi_flags)
  int master = 0;      // Index of the bridge it is a port of; 0 if none.
  int mtu = 0;
  MacAddress mac{};    // All zero unless the link has a 6-byte address.
  std::string kind{};  // IFLA_INFO_KIND: "bridge", "veth"; empty for lo/eth.
};

// InvalidArgument unless the kernel would take `name` as an interface name:
// 1 to 15 bytes (IFNAMSIZ - 1), not "." or "..", no '/', ':' or whitespace.
absl::Status ValidateLinkName(absl::string_view name);

// The link called `name`; nullopt when there is none.
absl::StatusOr<std::optional<LinkInfo>> GetLink(Socket& sock,
                                                absl::string_view name);

// The link with index `index`; nullopt when there is none.
absl::StatusOr<std::optional<LinkInfo>> GetLinkByIndex(Socket& sock, int index);

// Every link in the socket's namespace, in index order.
absl::StatusOr<std::vector<LinkInfo>> ListLinks(Socket& sock);

// Creates bridge `name` (down, no address), like `ip link add NAME type
// bridge [mtu MTU]`; `mtu` 0 leaves the kernel's default. AlreadyExists if a
// link of that name exists (of any kind).
absl::Status CreateBridge(Socket& sock, absl::string_view name, int mtu);

struct VethOptions {
  std::string name{};       // The end that stays in the socket's namespace.
  std::string peer_name{};  // The other end ("eth0").
  // Creates the peer directly in this network namespace (an fd of
  // /proc/<pid>/ns/net), so it never appears in ours and its name may be
  // one ours already has; -1 keeps it in the socket's namespace.
  int peer_netns_fd = -1;
  // The peer's address; the kernel picks a random one if unset.
  std::optional<MacAddress> peer_mac{};
  int mtu = 0;           // Both ends; 0 leaves the kernel's default.
  int master_index = 0;  // Enslaves `name` to this bridge at creation.
};

// Creates a veth pair in one RTM_NEWLINK, like `ip link add NAME [mtu M]
// [master B] type veth peer name PEER [address MAC] [netns NS] [mtu M]`.
// Both ends are down. AlreadyExists if `name` exists here or `peer_name`
// exists in the peer's namespace; nothing is left behind on failure (the
// kernel creates both ends or neither).
absl::Status CreateVeth(Socket& sock, const VethOptions& options);

// Deletes link `name` (for a veth, both ends, wherever the peer is).
// NotFound when there is no such link.
absl::Status DeleteLink(Socket& sock, absl::string_view name);

// Sets or clears IFF_UP, like `ip link set ... up|down`. The functions that
// take an index return NotFound when no link has it.
absl::Status SetLinkUp(Socket& sock, int index, bool up);

// Makes link `index` a port of bridge `master_index`; 0 releases it from
// whatever it is a port of (`ip link set ... nomaster`).
absl::Status SetMaster(Socket& sock, int index, int master_index);

absl::Status SetMtu(Socket& sock, int index, int mtu);

// The link's hardware address. The kernel refuses a multicast address
// (InvalidArgument, EADDRNOTAVAIL) for Ethernet links.
absl::Status SetMac(Socket& sock, int index, const MacAddress& mac);

// Renames link `index`. AlreadyExists if the name is taken. Older kernels
// refuse to rename a link that is up (EBUSY); take it down first to be
// portable.
absl::Status Rename(Socket& sock, int index, absl::string_view new_name);

// Moves link `index` into the network namespace `netns_fd` refers to. It
// keeps its name (AlreadyExists if the target has a link of that name) and
// gets a new index there; it loses its addresses and comes out down.
absl::Status MoveToNetns(Socket& sock, int index, int netns_fd);

// Adds `addr`/`prefix_len` to link `index`, with the broadcast address of
// that prefix for prefixes up to /30, like `ip addr add A/N brd + dev X`.
// AlreadyExists when the link has it already.
absl::Status AddAddress(Socket& sock, int index, in_addr addr, int prefix_len);

struct Ipv4Address {
  int index = 0;
  in_addr addr{};  // IFA_LOCAL: the address itself, also on a p-t-p link.
  int prefix_len = 0;
};

// Every IPv4 address of every link in the socket's namespace.
absl::StatusOr<std::vector<Ipv4Address>> ListIpv4Addresses(Socket& sock);

// Adds 0.0.0.0/0 via `gateway` out of link `oif_index` to the main table,
// like `ip route add default via G dev X` (RTPROT_BOOT, scope universe).
// The gateway must be reachable on that link (an address on its subnet, the
// link up); the kernel says ENETUNREACH otherwise. AlreadyExists when the
// table has a default route.
absl::Status AddDefaultRoute(Socket& sock, in_addr gateway, int oif_index);

struct Ipv4Route {
  in_addr dst{};  // 0.0.0.0 for the default route.
  int dst_len = 0;
  in_addr gateway{};     // 0.0.0.0 for a directly connected route.
  int oif = 0;           // 0 for a multipath route or one with no device.
  uint32_t table = 0;    // RT_TABLE_MAIN (254), RT_TABLE_LOCAL (255), ...
  uint8_t type = 0;      // RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ...
  uint8_t protocol = 0;  // RTPROT_KERNEL, RTPROT_BOOT, ...
  uint8_t scope = 0;     // RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, ...
};

// The IPv4 routes of every table (main, local, others); the caller filters.
absl::StatusOr<std::vector<Ipv4Route>> ListIpv4Routes(Socket& sock);

// Turns hairpin mode (a frame may go back out of the port it came in on) on
// or off for bridge port `index`, like `bridge link set dev X hairpin on`.
// The link must be a bridge port: the kernel says EOPNOTSUPP (Unimplemented)
// when it has no master.
absl::Status SetBridgePortHairpin(Socket& sock, int index, bool on);

// Whether bridge port `index` is in hairpin mode. FailedPrecondition when it
// is not a bridge port.
absl::StatusOr<bool> GetBridgePortHairpin(Socket& sock, int index);

// The requests the functions above send, built without sending: pure, for
// the tests' byte comparisons. Arguments are not validated here.
Message NewBridgeMessage(absl::string_view name, int mtu);
Message NewVethMessage(const VethOptions& options);
Message NewAddressMessage(int index, in_addr addr, int prefix_len);
Message NewDefaultRouteMessage(in_addr gateway, int oif_index);
Message BridgePortHairpinMessage(int index, bool on);

// Parses one RTM_NEWLINK message (header included, as Socket returns it).
// InvalidArgument if it is not one.
absl::StatusOr<LinkInfo> ParseLink(absl::string_view message);

}  // namespace mydocker::netlink

#endif  // MYDOCKER_LIB_NETLINK_RTNL_H_
