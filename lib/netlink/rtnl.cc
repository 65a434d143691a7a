#include "lib/netlink/rtnl.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"

namespace mydocker::netlink {
namespace {

std::string FormatIp(in_addr addr) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr, buf, sizeof(buf));
  return buf;
}

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                         mac[2], mac[3], mac[4], mac[5]);
}

absl::Status ValidateIndex(int index, absl::string_view what) {
  if (index <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: ", what, ": bad link index ", index));
  }
  return absl::OkStatus();
}

ifinfomsg LinkHeader(int index, unsigned char family = AF_UNSPEC) {
  ifinfomsg ifi{};
  ifi.ifi_family = family;
  ifi.ifi_index = index;
  return ifi;
}

// RTM_GETLINK for one link, by index or (index 0) by name. Without the
// statistics, which are most of a link's message.
Message GetLinkMessage(int index, absl::string_view name) {
  Message m(RTM_GETLINK, 0);
  m.Append(LinkHeader(index));
  m.AttrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (!name.empty()) m.AttrString(IFLA_IFNAME, name);
  return m;
}

// Runs a request on link `index` whose description `describe` builds
// around a label for the link. The request goes out labelled by index (we
// do not look the name up on success: one request per operation); a failure
// the kernel reports is relabelled with the link's name, if it still has one.
absl::Status RequestOnLink(
    Socket& sock, Message m, int index,
    absl::FunctionRef<std::string(absl::string_view link)> describe) {
  const std::string what = describe(absl::StrCat("index ", index));
  RETURN_IF_ERROR(ValidateIndex(index, what));
  absl::Status s = sock.Request(std::move(m), what);
  if (s.ok() || KernelErrno(s) == 0) return s;
  absl::StatusOr<std::optional<LinkInfo>> link = GetLinkByIndex(sock, index);
  if (!link.ok() || !link->has_value()) return s;
  absl::string_view rest = s.message();
  if (!absl::ConsumePrefix(&rest, absl::StrCat("netlink: ", what))) return s;
  absl::Status named(
      s.code(),
      absl::StrCat(
          "netlink: ",
          describe(absl::StrCat((*link)->name, " (index ", index, ")")), rest));
  s.ForEachPayload([&named](absl::string_view url, const absl::Cord& payload) {
    named.SetPayload(url, payload);
  });
  return named;
}

Message SetLinkMessage(int index) {
  Message m(RTM_SETLINK, 0);
  m.Append(LinkHeader(index));
  return m;
}

std::optional<in_addr> AttributeIp(absl::string_view payload) {
  if (payload.size() != sizeof(in_addr)) return std::nullopt;
  in_addr a;
  std::memcpy(&a, payload.data(), sizeof(a));
  return a;
}

}  // namespace

absl::Status ValidateLinkName(absl::string_view name) {
  auto bad = [&name](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "netlink: bad link name \"", absl::CEscape(name), "\": ", why));
  };
  if (name.empty()) return bad("empty");
  if (name.size() >= IFNAMSIZ) {
    return bad(absl::StrCat("longer than ", IFNAMSIZ - 1, " bytes"));
  }
  if (name == "." || name == "..") return bad("reserved");
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' ||
        std::isspace(static_cast<unsigned char>(c))) {
      return bad("has '/', ':', NUL or whitespace");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LinkInfo> ParseLink(absl::string_view message) {
  std::optional<MessageView> v = ParseMessage(message);
  std::optional<ifinfomsg> ifi;
  if (v && v->type == RTM_NEWLINK) ifi = ReadFixed<ifinfomsg>(v->payload);
  if (!ifi) {
    return absl::InvalidArgumentError("netlink: not an RTM_NEWLINK message");
  }
  LinkInfo link;
  link.index = ifi->ifi_index;
  link.flags = ifi->ifi_flags;
  for (const Attribute& a : AttributesAfter<ifinfomsg>(v->payload)) {
    switch (a.type) {
      case IFLA_IFNAME:
        link.name = AttributeString(a.payload);
        break;
      case IFLA_MASTER:
        link.master = static_cast<int>(AttributeU32(a.payload).value_or(0));
        break;
      case IFLA_MTU:
        link.mtu = static_cast<int>(AttributeU32(a.payload).value_or(0));
        break;
      case IFLA_ADDRESS:
        if (a.payload.size() == link.mac.size()) {
          std::memcpy(link.mac.data(), a.payload.data(), link.mac.size());
        }
        break;
      case IFLA_LINKINFO:
        if (auto kind = Attributes(a.payload).Find(IFLA_INFO_KIND)) {
          link.kind = AttributeString(*kind);
        }
        break;
      default:
        break;
    }
  }
  return link;
}

absl::StatusOr<std::optional<LinkInfo>> GetLink(Socket& sock,
                                                absl::string_view name) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  absl::StatusOr<std::string> reply = sock.RequestReply(
      GetLinkMessage(0, name), absl::StrCat("get link ", name));
  if (absl::IsNotFound(reply.status())) return std::nullopt;
  if (!reply.ok()) return reply.status();
  ASSIGN_OR_RETURN(LinkInfo link, ParseLink(*reply));
  return link;
}

absl::StatusOr<std::optional<LinkInfo>> GetLinkByIndex(Socket& sock,
                                                       int index) {
  std::string what = absl::StrCat("get link index ", index);
  RETURN_IF_ERROR(ValidateIndex(index, what));
  absl::StatusOr<std::string> reply =
      sock.RequestReply(GetLinkMessage(index, {}), what);
  if (absl::IsNotFound(reply.status())) return std::nullopt;
  if (!reply.ok()) return reply.status();
  ASSIGN_OR_RETURN(LinkInfo link, ParseLink(*reply));
  return link;
}

absl::StatusOr<std::vector<LinkInfo>> ListLinks(Socket& sock) {
  Message m(RTM_GETLINK, 0);
  m.Append(LinkHeader(0));
  m.AttrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  ASSIGN_OR_RETURN(std::vector<std::string> replies,
                   sock.Dump(std::move(m), "list links"));
  std::vector<LinkInfo> links;
  for (const std::string& reply : replies) {
    absl::StatusOr<LinkInfo> link = ParseLink(reply);
    if (link.ok()) links.push_back(*std::move(link));
  }
  std::sort(
      links.begin(), links.end(),
      [](const LinkInfo& a, const LinkInfo& b) { return a.index < b.index; });
  return links;
}

Message NewBridgeMessage(absl::string_view name, int mtu) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.Append(LinkHeader(0));
  m.AttrString(IFLA_IFNAME, name);
  if (mtu > 0) m.AttrU32(IFLA_MTU, static_cast<uint32_t>(mtu));
  size_t info = m.BeginNested(IFLA_LINKINFO);
  // The kind without its NUL, as iproute2 sends it.
  m.Attr(IFLA_INFO_KIND, "bridge", 6);
  m.EndNested(info);
  return m;
}

absl::Status CreateBridge(Socket& sock, absl::string_view name, int mtu) {
  std::string what = absl::StrCat("create bridge ", name);
  RETURN_IF_ERROR(ValidateLinkName(name));
  if (mtu < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: ", what, ": bad mtu ", mtu));
  }
  return sock.Request(NewBridgeMessage(name, mtu), what);
}

Message NewVethMessage(const VethOptions& o) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.Append(LinkHeader(0));
  m.AttrString(IFLA_IFNAME, o.name);
  if (o.mtu > 0) m.AttrU32(IFLA_MTU, static_cast<uint32_t>(o.mtu));
  if (o.master_index > 0) {
    m.AttrU32(IFLA_MASTER, static_cast<uint32_t>(o.master_index));
  }
  size_t info = m.BeginNested(IFLA_LINKINFO);
  m.Attr(IFLA_INFO_KIND, "veth", 4);
  size_t data = m.BeginNested(IFLA_INFO_DATA);
  // The peer is a whole link description of its own: an ifinfomsg, then the
  // same IFLA_* attributes as a top-level RTM_NEWLINK.
  size_t peer = m.BeginNested(VETH_INFO_PEER);
  m.Append(LinkHeader(0));
  if (o.peer_mac) m.Attr(IFLA_ADDRESS, o.peer_mac->data(), o.peer_mac->size());
  m.AttrString(IFLA_IFNAME, o.peer_name);
  if (o.mtu > 0) m.AttrU32(IFLA_MTU, static_cast<uint32_t>(o.mtu));
  if (o.peer_netns_fd >= 0) {
    m.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(o.peer_netns_fd));
  }
  m.EndNested(peer);
  m.EndNested(data);
  m.EndNested(info);
  return m;
}

absl::Status CreateVeth(Socket& sock, const VethOptions& o) {
  std::string what =
      absl::StrCat("create veth ", o.name, " (peer ", o.peer_name, ")");
  RETURN_IF_ERROR(ValidateLinkName(o.name));
  RETURN_IF_ERROR(ValidateLinkName(o.peer_name));
  if (o.mtu < 0 || o.master_index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "netlink: ", what, ": bad mtu ", o.mtu, " or master ", o.master_index));
  }
  return sock.Request(NewVethMessage(o), what);
}

absl::Status DeleteLink(Socket& sock, absl::string_view name) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  Message m(RTM_DELLINK, 0);
  m.Append(LinkHeader(0));
  m.AttrString(IFLA_IFNAME, name);
  return sock.Request(std::move(m), absl::StrCat("delete link ", name));
}

absl::Status SetLinkUp(Socket& sock, int index, bool up) {
  ifinfomsg ifi = LinkHeader(index);
  ifi.ifi_change = IFF_UP;
  ifi.ifi_flags = up ? IFF_UP : 0;
  Message m(RTM_SETLINK, 0);
  m.Append(ifi);
  return RequestOnLink(sock, std::move(m), index, [up](absl::string_view l) {
    return absl::StrCat("set link ", l, up ? " up" : " down");
  });
}

absl::Status SetMaster(Socket& sock, int index, int master_index) {
  if (master_index < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: set master of link index ", index,
                     ": bad master index ", master_index));
  }
  Message m = SetLinkMessage(index);
  m.AttrU32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  return RequestOnLink(
      sock, std::move(m), index, [master_index](absl::string_view l) {
        return master_index == 0 ? absl::StrCat("set link ", l, " nomaster")
                                 : absl::StrCat("set link ", l,
                                                " master index ", master_index);
      });
}

absl::Status SetMtu(Socket& sock, int index, int mtu) {
  if (mtu <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "netlink: set link index ", index, " mtu ", mtu, ": bad mtu"));
  }
  Message m = SetLinkMessage(index);
  m.AttrU32(IFLA_MTU, static_cast<uint32_t>(mtu));
  return RequestOnLink(sock, std::move(m), index, [mtu](absl::string_view l) {
    return absl::StrCat("set link ", l, " mtu ", mtu);
  });
}

absl::Status SetMac(Socket& sock, int index, const MacAddress& mac) {
  Message m = SetLinkMessage(index);
  m.Attr(IFLA_ADDRESS, mac.data(), mac.size());
  return RequestOnLink(sock, std::move(m), index, [&mac](absl::string_view l) {
    return absl::StrCat("set link ", l, " address ", FormatMac(mac));
  });
}

absl::Status Rename(Socket& sock, int index, absl::string_view new_name) {
  RETURN_IF_ERROR(ValidateLinkName(new_name));
  Message m = SetLinkMessage(index);
  m.AttrString(IFLA_IFNAME, new_name);
  return RequestOnLink(
      sock, std::move(m), index, [new_name](absl::string_view l) {
        return absl::StrCat("rename link ", l, " to ", new_name);
      });
}

absl::Status MoveToNetns(Socket& sock, int index, int netns_fd) {
  if (netns_fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: move link index ", index,
                     " to network namespace: bad fd ", netns_fd));
  }
  Message m = SetLinkMessage(index);
  m.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  return RequestOnLink(
      sock, std::move(m), index, [netns_fd](absl::string_view l) {
        return absl::StrCat("move link ", l, " to network namespace fd ",
                            netns_fd);
      });
}

Message NewAddressMessage(int index, in_addr addr, int prefix_len) {
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix_len);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(index);
  Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  m.Append(ifa);
  m.Attr(IFA_LOCAL, &addr, sizeof(addr));
  m.Attr(IFA_ADDRESS, &addr, sizeof(addr));
  // `brd +`: the prefix with all host bits set. /31 and /32 have no
  // broadcast address (RFC 3021), and iproute2 sends none for them.
  if (prefix_len <= 30) {
    uint32_t host_mask =
        prefix_len == 0 ? 0xffffffffu : (1u << (32 - prefix_len)) - 1;
    in_addr brd{htonl(ntohl(addr.s_addr) | host_mask)};
    m.Attr(IFA_BROADCAST, &brd, sizeof(brd));
  }
  return m;
}

absl::Status AddAddress(Socket& sock, int index, in_addr addr, int prefix_len) {
  auto describe = [&](absl::string_view l) {
    return absl::StrCat("add address ", FormatIp(addr), "/", prefix_len,
                        " to link ", l);
  };
  if (prefix_len < 0 || prefix_len > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("netlink: ", describe(absl::StrCat("index ", index)),
                     ": bad prefix length"));
  }
  return RequestOnLink(sock, NewAddressMessage(index, addr, prefix_len), index,
                       describe);
}

absl::StatusOr<std::vector<Ipv4Address>> ListIpv4Addresses(Socket& sock) {
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  Message m(RTM_GETADDR, 0);
  m.Append(ifa);
  ASSIGN_OR_RETURN(std::vector<std::string> replies,
                   sock.Dump(std::move(m), "list IPv4 addresses"));
  std::vector<Ipv4Address> out;
  for (const std::string& reply : replies) {
    std::optional<MessageView> v = ParseMessage(reply);
    if (!v || v->type != RTM_NEWADDR) continue;
    std::optional<ifaddrmsg> h = ReadFixed<ifaddrmsg>(v->payload);
    if (!h || h->ifa_family != AF_INET) continue;
    std::optional<in_addr> local, address;
    for (const Attribute& a : AttributesAfter<ifaddrmsg>(v->payload)) {
      if (a.type == IFA_LOCAL) local = AttributeIp(a.payload);
      if (a.type == IFA_ADDRESS) address = AttributeIp(a.payload);
    }
    // IFA_ADDRESS is the peer on a point-to-point link; IFA_LOCAL is ours.
    std::optional<in_addr> ours = local ? local : address;
    if (!ours) continue;
    out.push_back({.index = static_cast<int>(h->ifa_index),
                   .addr = *ours,
                   .prefix_len = h->ifa_prefixlen});
  }
  return out;
}

Message NewDefaultRouteMessage(in_addr gateway, int oif_index) {
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  m.Append(rt);
  m.Attr(RTA_GATEWAY, &gateway, sizeof(gateway));
  m.AttrU32(RTA_OIF, static_cast<uint32_t>(oif_index));
  return m;
}

absl::Status AddDefaultRoute(Socket& sock, in_addr gateway, int oif_index) {
  return RequestOnLink(sock, NewDefaultRouteMessage(gateway, oif_index),
                       oif_index, [gateway](absl::string_view l) {
                         return absl::StrCat("add default route via ",
                                             FormatIp(gateway), " dev ", l);
                       });
}

absl::StatusOr<std::vector<Ipv4Route>> ListIpv4Routes(Socket& sock) {
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  Message m(RTM_GETROUTE, 0);
  m.Append(rt);
  ASSIGN_OR_RETURN(std::vector<std::string> replies,
                   sock.Dump(std::move(m), "list IPv4 routes"));
  std::vector<Ipv4Route> out;
  for (const std::string& reply : replies) {
    std::optional<MessageView> v = ParseMessage(reply);
    if (!v || v->type != RTM_NEWROUTE) continue;
    std::optional<rtmsg> h = ReadFixed<rtmsg>(v->payload);
    if (!h || h->rtm_family != AF_INET) continue;
    Ipv4Route r;
    r.dst_len = h->rtm_dst_len;
    r.table = h->rtm_table;  // RTA_TABLE, below, holds tables over 255.
    r.type = h->rtm_type;
    r.protocol = h->rtm_protocol;
    r.scope = h->rtm_scope;
    for (const Attribute& a : AttributesAfter<rtmsg>(v->payload)) {
      switch (a.type) {
        case RTA_DST:
          r.dst = AttributeIp(a.payload).value_or(in_addr{});
          break;
        case RTA_GATEWAY:
          r.gateway = AttributeIp(a.payload).value_or(in_addr{});
          break;
        case RTA_OIF:
          r.oif = static_cast<int>(AttributeU32(a.payload).value_or(0));
          break;
        case RTA_TABLE:
          r.table = AttributeU32(a.payload).value_or(r.table);
          break;
        default:
          break;
      }
    }
    out.push_back(r);
  }
  return out;
}

Message BridgePortHairpinMessage(int index, bool on) {
  Message m(RTM_SETLINK, 0);
  m.Append(LinkHeader(index, AF_BRIDGE));
  // Without NLA_F_NESTED the bridge takes IFLA_PROTINFO for the old binary
  // form (a bare port state byte) and ignores what is inside.
  size_t protinfo = m.BeginNested(IFLA_PROTINFO | NLA_F_NESTED);
  m.AttrU8(IFLA_BRPORT_MODE, on ? 1 : 0);
  m.EndNested(protinfo);
  return m;
}

absl::Status SetBridgePortHairpin(Socket& sock, int index, bool on) {
  return RequestOnLink(sock, BridgePortHairpinMessage(index, on), index,
                       [on](absl::string_view l) {
                         return absl::StrCat("set hairpin ", on ? "on" : "off",
                                             " on bridge port ", l);
                       });
}

absl::StatusOr<bool> GetBridgePortHairpin(Socket& sock, int index) {
  std::string what = absl::StrCat("get bridge port index ", index);
  RETURN_IF_ERROR(ValidateIndex(index, what));
  ASSIGN_OR_RETURN(std::string reply,
                   sock.RequestReply(GetLinkMessage(index, {}), what));
  std::optional<MessageView> v = ParseMessage(reply);
  if (!v) {
    return absl::DataLossError(absl::StrCat("netlink: ", what, ": bad reply"));
  }
  // A port's RTM_NEWLINK carries its bridge's view of it in
  // IFLA_LINKINFO / IFLA_INFO_SLAVE_DATA, with IFLA_INFO_SLAVE_KIND "bridge".
  std::optional<absl::string_view> info =
      AttributesAfter<ifinfomsg>(v->payload).Find(IFLA_LINKINFO);
  std::optional<absl::string_view> slave_kind, slave_data;
  if (info) {
    slave_kind = Attributes(*info).Find(IFLA_INFO_SLAVE_KIND);
    slave_data = Attributes(*info).Find(IFLA_INFO_SLAVE_DATA);
  }
  if (!slave_kind || AttributeString(*slave_kind) != "bridge" || !slave_data) {
    return absl::FailedPreconditionError(
        absl::StrCat("netlink: ", what, ": not a bridge port"));
  }
  std::optional<absl::string_view> mode =
      Attributes(*slave_data).Find(IFLA_BRPORT_MODE);
  std::optional<uint8_t> value;
  if (mode) value = AttributeU8(*mode);
  if (!value) {
    return absl::DataLossError(
        absl::StrCat("netlink: ", what, ": no IFLA_BRPORT_MODE"));
  }
  return *value != 0;
}

}  // namespace mydocker::netlink
