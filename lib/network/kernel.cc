#include "lib/network/kernel.h"

#include <net/if.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lib/base/status_macros.h"
#include "lib/nat/apply.h"
#include "lib/netlink/rtnl.h"
#include "lib/netlink/socket.h"

namespace mydocker::network {
namespace {

absl::StatusOr<ipam::Ipv4Prefix> Subnet(const Network& n) {
  if (n.ipam.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("network ", n.name, " has no subnet"));
  }
  return ipam::ParseSubnet(n.ipam[0].subnet);
}

// What names a network's chains in the nft table: its id, unless its
// bridge is named otherwise (the default mydocker0, or -o
// com.docker.network.bridge.name): then a hash of the bridge's name, so
// that data roots sharing that bridge (a new root adopts an existing
// mydocker0) make the same rules instead of clashing ones.
std::string RulesId(const Network& n) {
  const std::string bridge = n.BridgeName();
  if (bridge == absl::StrCat("br-", n.id.substr(0, 12))) return n.id;
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (char c : bridge) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", h);
}

nat::NetworkRules Rules(const Network& n) {
  nat::NetworkRules r;
  r.id = RulesId(n);
  r.bridge = n.BridgeName();
  r.subnet = n.ipam.empty() ? "" : n.ipam[0].subnet;
  r.internal = n.internal;
  return r;
}

absl::Status IgnoreExists(absl::Status s) {
  return absl::IsAlreadyExists(s) ? absl::OkStatus() : s;
}

absl::StatusOr<netlink::LinkInfo> MustGetLink(netlink::Socket& sock,
                                              const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<netlink::LinkInfo> link,
                   netlink::GetLink(sock, name));
  if (!link) {
    return absl::NotFoundError(absl::StrCat("network device ", name, " not found"));
  }
  return *link;
}

}  // namespace

absl::Status EnsureKernelState(const Network& n) {
  if (!n.IsBridge()) return absl::OkStatus();
  std::string bridge = n.BridgeName();
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  ASSIGN_OR_RETURN(std::optional<netlink::LinkInfo> link,
                   netlink::GetLink(sock, bridge));
  if (link && link->kind != "bridge") {
    return absl::FailedPreconditionError(absl::StrCat(
        "network ", n.name, ": device ", bridge, " exists and is not a bridge"));
  }
  ASSIGN_OR_RETURN(ipam::Ipv4Prefix subnet, Subnet(n));
  ASSIGN_OR_RETURN(ipam::Ipv4 gateway, ipam::ParseIpv4(n.ipam[0].gateway));
  if (link && (link->flags & IFF_UP)) {
    // Up with its gateway address: ours, made before. A bridge of that name
    // without it belongs to something else (another data root's default
    // network, a hand-made bridge): joining it would leave containers with
    // a gateway that exists nowhere.
    ASSIGN_OR_RETURN(std::vector<netlink::Ipv4Address> addrs,
                     netlink::ListIpv4Addresses(sock));
    for (const netlink::Ipv4Address& a : addrs) {
      if (a.index == link->index && ipam::Ipv4::FromInAddr(a.addr) == gateway &&
          a.prefix_len == subnet.len) {
        // The bridge outlives its rules when someone flushes the ruleset
        // (`nft flush ruleset`, a firewall reload): check them (read-only
        // when present) and forwarding.
        RETURN_IF_ERROR(nat::EnsureNetwork(Rules(n)));
        return nat::EnableIpForwarding();
      }
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "network ", n.name, ": bridge ", bridge, " exists but does not carry ",
        n.ipam[0].gateway, "/", subnet.len,
        " (is it another data root's? remove it, or give this network another "
        "bridge with -o com.docker.network.bridge.name=NAME)"));
  }
  if (!link) {
    RETURN_IF_ERROR(IgnoreExists(netlink::CreateBridge(sock, bridge, 0)));
    ASSIGN_OR_RETURN(link, MustGetLink(sock, bridge));
  }
  RETURN_IF_ERROR(IgnoreExists(
      netlink::AddAddress(sock, link->index, gateway.ToInAddr(), subnet.len)));
  RETURN_IF_ERROR(nat::SetRouteLocalnet(bridge));
  RETURN_IF_ERROR(nat::EnsureSkeleton());
  // Remove, then add: a half-made earlier attempt leaves no second copy.
  RETURN_IF_ERROR(nat::RemoveNetwork(Rules(n)));
  RETURN_IF_ERROR(nat::AddNetwork(Rules(n)));
  RETURN_IF_ERROR(nat::EnableIpForwarding());
  // Up last: "up" is what the fast path above trusts.
  return netlink::SetLinkUp(sock, link->index, true);
}

absl::Status RemoveKernelState(const Network& n) {
  if (!n.IsBridge()) return absl::OkStatus();
  RETURN_IF_ERROR(nat::RemoveNetwork(Rules(n)));
  RETURN_IF_ERROR(nat::DeleteTableIfEmpty());
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  absl::Status s = netlink::DeleteLink(sock, n.BridgeName());
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

absl::StatusOr<std::vector<ipam::Ipv4Prefix>> HostRoutes() {
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  ASSIGN_OR_RETURN(std::vector<netlink::Ipv4Route> routes,
                   netlink::ListIpv4Routes(sock));
  std::vector<ipam::Ipv4Prefix> out;
  for (const netlink::Ipv4Route& r : routes) {
    if (r.dst_len == 0 || r.table != 254 /* main */) continue;
    out.push_back(ipam::Ipv4Prefix{ipam::Ipv4::FromInAddr(r.dst), r.dst_len});
  }
  return out;
}

std::optional<ipam::Ipv4Prefix> DeviceAddress(const std::string& name) {
  absl::StatusOr<netlink::Socket> sock = netlink::Socket::Open();
  if (!sock.ok()) return std::nullopt;
  absl::StatusOr<std::optional<netlink::LinkInfo>> link = netlink::GetLink(*sock, name);
  if (!link.ok() || !*link) return std::nullopt;
  absl::StatusOr<std::vector<netlink::Ipv4Address>> addrs =
      netlink::ListIpv4Addresses(*sock);
  if (!addrs.ok()) return std::nullopt;
  for (const netlink::Ipv4Address& a : *addrs) {
    if (a.index == (*link)->index) {
      return ipam::Ipv4Prefix{ipam::Ipv4::FromInAddr(a.addr), a.prefix_len};
    }
  }
  return std::nullopt;
}

HostView RealHost() {
  HostView h;
  h.device_address = DeviceAddress;
  h.routes = HostRoutes;
  h.create_kernel_state = EnsureKernelState;
  h.remove_kernel_state = RemoveKernelState;
  return h;
}

std::string HostIfname(absl::string_view endpoint_id) {
  return absl::StrCat("veth", endpoint_id.substr(0, 7));
}

absl::Status PlugEndpoint(const Network& n, const Endpoint& ep, int netns_fd,
                          const std::string& ifname, bool default_route) {
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  ASSIGN_OR_RETURN(netlink::LinkInfo bridge, MustGetLink(sock, n.BridgeName()));
  netlink::VethOptions v;
  v.name = ep.host_ifname;
  v.peer_name = ifname;
  v.peer_netns_fd = netns_fd;
  v.peer_mac = ipam::DockerMac(ep.ip);
  v.master_index = bridge.index;
  RETURN_IF_ERROR(netlink::CreateVeth(sock, v));
  auto configure = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(netlink::LinkInfo host, MustGetLink(sock, ep.host_ifname));
    RETURN_IF_ERROR(netlink::SetLinkUp(sock, host.index, true));
    ASSIGN_OR_RETURN(netlink::Socket inside, netlink::Socket::OpenIn(netns_fd));
    ASSIGN_OR_RETURN(netlink::LinkInfo peer, MustGetLink(inside, ifname));
    RETURN_IF_ERROR(netlink::AddAddress(inside, peer.index, ep.ip.ToInAddr(),
                                        ep.prefix_len));
    RETURN_IF_ERROR(netlink::SetLinkUp(inside, peer.index, true));
    // An internal network has no way out, so no gateway (as in Docker: a
    // connection to elsewhere fails at once instead of hanging).
    if (default_route && !n.internal) {
      RETURN_IF_ERROR(
          netlink::AddDefaultRoute(inside, ep.gateway.ToInAddr(), peer.index));
    }
    return absl::OkStatus();
  };
  absl::Status s = configure();
  if (!s.ok()) (void)netlink::DeleteLink(sock, ep.host_ifname);
  return s;
}

absl::Status SetLoopbackUp(int netns_fd) {
  ASSIGN_OR_RETURN(netlink::Socket inside, netlink::Socket::OpenIn(netns_fd));
  ASSIGN_OR_RETURN(netlink::LinkInfo lo, MustGetLink(inside, "lo"));
  return netlink::SetLinkUp(inside, lo.index, true);
}

bool WaitForLinksGone(const std::vector<std::string>& names,
                      absl::Duration timeout) {
  if (names.empty()) return true;
  absl::StatusOr<netlink::Socket> sock = netlink::Socket::Open();
  if (!sock.ok()) return false;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    bool any = false;
    for (const std::string& name : names) {
      absl::StatusOr<std::optional<netlink::LinkInfo>> link =
          netlink::GetLink(*sock, name);
      any |= !link.ok() || link->has_value();
    }
    if (!any) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
}

absl::Status UnplugEndpoint(const std::string& host_ifname) {
  ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  return netlink::DeleteLink(sock, host_ifname);
}

}  // namespace mydocker::network
