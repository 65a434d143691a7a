// rtnl against the real kernel, as root. Every test starts by moving the
// test's main thread into a fresh network namespace (unshare), so nothing
// here can see or touch the host's links; the namespace dies with the next
// test's unshare. Veth peers go to a second namespace, made by a thread
// that unshares and hands back an fd of its /proc/thread-self/ns/net.
//
// What the kernel did is checked through our own parser and, where it is
// cheap, through an independent channel: ioctl(SIOCGIF*), if_nametoindex,
// /proc/thread-self/net/route, and connect(2) on a UDP socket, which only
// succeeds when the kernel has a route.
#include "lib/netlink/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"
#include "lib/netlink/message.h"
#include "lib/netlink/socket.h"

namespace mydocker::netlink {
namespace {

using base::UniqueFd;

in_addr Ip(const char* s) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, s, &a), 1) << s;
  return a;
}

std::string Str(in_addr a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// A new network namespace, held by the returned fd only.
UniqueFd NewNetns() {
  UniqueFd fd;
  std::thread([&fd] {
    if (unshare(CLONE_NEWNET) != 0) return;
    fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  }).join();
  return fd;
}

// Runs `fn` on a thread inside the namespace `netns_fd`.
void RunIn(int netns_fd, const std::function<void()>& fn) {
  std::thread([&] {
    ASSERT_EQ(setns(netns_fd, CLONE_NEWNET), 0) << strerror(errno);
    fn();
  }).join();
}

// ioctl(SIOCGIF*) on `name`, in the calling thread's namespace.
std::optional<ifreq> IfReq(const std::string& name, unsigned long request) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (!s || ioctl(s.get(), request, &ifr) != 0) return std::nullopt;
  return ifr;
}

std::string IoctlMac(const std::string& name) {
  std::optional<ifreq> r = IfReq(name, SIOCGIFHWADDR);
  if (!r) return "none";
  const auto* b = reinterpret_cast<const unsigned char*>(r->ifr_hwaddr.sa_data);
  char buf[18];
  snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
           b[3], b[4], b[5]);
  return buf;
}

int IoctlMtu(const std::string& name) {
  std::optional<ifreq> r = IfReq(name, SIOCGIFMTU);
  return r ? r->ifr_mtu : -1;
}

bool IoctlUp(const std::string& name) {
  std::optional<ifreq> r = IfReq(name, SIOCGIFFLAGS);
  return r && (r->ifr_flags & IFF_UP);
}

std::string IoctlAddr(const std::string& name, unsigned long request) {
  std::optional<ifreq> r = IfReq(name, request);
  if (!r) return "none";
  return Str(reinterpret_cast<const sockaddr_in*>(&r->ifr_addr)->sin_addr);
}

// The source address the kernel picks to reach `dst` from the calling
// thread's namespace, or the connect(2) error.
std::string RouteSourceTo(const char* dst) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr = Ip(dst);
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    return strerror(errno);
  }
  sockaddr_in from{};
  socklen_t len = sizeof(from);
  getsockname(s.get(), reinterpret_cast<sockaddr*>(&from), &len);
  return Str(from.sin_addr);
}

// The main table as /proc/net/route shows it: "iface dst/mask via gw" lines.
std::vector<std::string> ProcRoutes() {
  std::ifstream in("/proc/thread-self/net/route");
  std::string line;
  std::getline(in, line);  // Header.
  std::vector<std::string> out;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 8) continue;
    uint32_t dst = 0, gw = 0, mask = 0;
    absl::SimpleHexAtoi(f[1], &dst);
    absl::SimpleHexAtoi(f[2], &gw);
    absl::SimpleHexAtoi(f[7], &mask);
    out.push_back(absl::StrCat(f[0], " ", Str(in_addr{dst}), "/",
                               Str(in_addr{mask}), " via ", Str(in_addr{gw})));
  }
  return out;
}

class RtnlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "rtnl_test needs root (network namespaces)";
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << strerror(errno);
    absl::StatusOr<Socket> s = Socket::Open();
    ASSERT_TRUE(s.ok()) << s.status();
    sock_.emplace(*std::move(s));
  }

  Socket& sock() { return *sock_; }

  // The link `name`, which must exist.
  LinkInfo Link(Socket& s, const std::string& name) {
    absl::StatusOr<std::optional<LinkInfo>> link = GetLink(s, name);
    EXPECT_TRUE(link.ok()) << link.status();
    if (!link.ok() || !link->has_value()) {
      ADD_FAILURE() << "no link " << name;
      return {};
    }
    return **link;
  }
  LinkInfo Link(const std::string& name) { return Link(sock(), name); }

  int MakeBridge(const std::string& name) {
    absl::Status s = CreateBridge(sock(), name, 0);
    EXPECT_TRUE(s.ok()) << s;
    return Link(name).index;
  }

  std::optional<Socket> sock_;
};

TEST_F(RtnlTest, BridgeUpWithAddressListed) {
  ASSERT_TRUE(CreateBridge(sock(), "br-test", 0).ok());
  LinkInfo br = Link("br-test");
  EXPECT_GT(br.index, 0);
  EXPECT_EQ(br.name, "br-test");
  EXPECT_EQ(br.kind, "bridge");
  EXPECT_EQ(br.mtu, 1500);
  EXPECT_EQ(br.master, 0);
  EXPECT_FALSE(br.flags & IFF_UP);
  EXPECT_EQ(if_nametoindex("br-test"), static_cast<unsigned>(br.index));
  EXPECT_FALSE(IoctlUp("br-test"));

  ASSERT_TRUE(SetLinkUp(sock(), br.index, true).ok());
  EXPECT_TRUE(Link("br-test").flags & IFF_UP);
  EXPECT_TRUE(IoctlUp("br-test"));

  absl::Status added = AddAddress(sock(), br.index, Ip("172.30.0.1"), 24);
  ASSERT_TRUE(added.ok()) << added;
  EXPECT_EQ(IoctlAddr("br-test", SIOCGIFADDR), "172.30.0.1");
  EXPECT_EQ(IoctlAddr("br-test", SIOCGIFNETMASK), "255.255.255.0");
  EXPECT_EQ(IoctlAddr("br-test", SIOCGIFBRDADDR), "172.30.0.255");

  absl::StatusOr<std::vector<Ipv4Address>> addrs = ListIpv4Addresses(sock());
  ASSERT_TRUE(addrs.ok()) << addrs.status();
  std::vector<std::string> seen;
  for (const Ipv4Address& a : *addrs) {
    seen.push_back(absl::StrCat(a.index, " ", Str(a.addr), "/", a.prefix_len));
  }
  EXPECT_EQ(seen,
            std::vector<std::string>{absl::StrCat(br.index, " 172.30.0.1/24")});

  // The kernel's connected route for it.
  absl::StatusOr<std::vector<Ipv4Route>> routes = ListIpv4Routes(sock());
  ASSERT_TRUE(routes.ok()) << routes.status();
  bool connected = false;
  for (const Ipv4Route& r : *routes) {
    if (Str(r.dst) == "172.30.0.0" && r.dst_len == 24 && r.oif == br.index &&
        r.table == RT_TABLE_MAIN && r.gateway.s_addr == 0 &&
        r.protocol == RTPROT_KERNEL && r.scope == RT_SCOPE_LINK) {
      connected = true;
    }
  }
  EXPECT_TRUE(connected);

  absl::Status again = AddAddress(sock(), br.index, Ip("172.30.0.1"), 24);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_NE(again.message().find("add address 172.30.0.1/24 to link br-test"),
            absl::string_view::npos)
      << again;
  EXPECT_EQ(KernelErrno(again), EEXIST);
}

TEST_F(RtnlTest, BridgeWithMtu) {
  ASSERT_TRUE(CreateBridge(sock(), "br-mtu", 1400).ok());
  EXPECT_EQ(Link("br-mtu").mtu, 1400);
  EXPECT_EQ(IoctlMtu("br-mtu"), 1400);
}

// The container's side of `docker run`, end to end.
TEST_F(RtnlTest, VethPeerCreatedInOtherNetns) {
  int br = MakeBridge("br0");
  ASSERT_TRUE(SetLinkUp(sock(), br, true).ok());
  ASSERT_TRUE(AddAddress(sock(), br, Ip("172.30.0.1"), 24).ok());

  UniqueFd ns = NewNetns();
  ASSERT_TRUE(ns.valid());
  const MacAddress mac = {0x02, 0x42, 0xac, 0x1e, 0x00, 0x02};
  absl::Status created = CreateVeth(sock(), {.name = "veth1a2b3c4",
                                             .peer_name = "eth0",
                                             .peer_netns_fd = ns.get(),
                                             .peer_mac = mac,
                                             .mtu = 1450,
                                             .master_index = br});
  ASSERT_TRUE(created.ok()) << created;

  // Host end: here, a port of br0 from the start, with the mtu.
  LinkInfo host = Link("veth1a2b3c4");
  EXPECT_EQ(host.kind, "veth");
  EXPECT_EQ(host.master, br);
  EXPECT_EQ(host.mtu, 1450);
  EXPECT_EQ(IoctlMtu("veth1a2b3c4"), 1450);
  // The peer never appeared in this namespace.
  absl::StatusOr<std::optional<LinkInfo>> here = GetLink(sock(), "eth0");
  ASSERT_TRUE(here.ok()) << here.status();
  EXPECT_FALSE(here->has_value());
  EXPECT_EQ(if_nametoindex("eth0"), 0u);

  // Peer end: there, named and addressed as asked.
  absl::StatusOr<Socket> in = Socket::OpenIn(ns.get());
  ASSERT_TRUE(in.ok()) << in.status();
  LinkInfo peer = Link(*in, "eth0");
  EXPECT_EQ(peer.kind, "veth");
  EXPECT_EQ(peer.mac, mac);
  EXPECT_EQ(peer.mtu, 1450);
  EXPECT_EQ(peer.master, 0);
  RunIn(ns.get(), [&] {
    EXPECT_EQ(if_nametoindex("eth0"), static_cast<unsigned>(peer.index));
    EXPECT_EQ(IoctlMac("eth0"), "02:42:ac:1e:00:02");
    EXPECT_EQ(IoctlMtu("eth0"), 1450);
    EXPECT_EQ(if_nametoindex("veth1a2b3c4"), 0u);
  });

  // Inside: address, up, default route via the bridge.
  ASSERT_TRUE(SetLinkUp(sock(), host.index, true).ok());
  ASSERT_TRUE(AddAddress(*in, peer.index, Ip("172.30.0.2"), 24).ok());
  ASSERT_TRUE(SetLinkUp(*in, peer.index, true).ok());
  RunIn(ns.get(), [] {
    EXPECT_EQ(RouteSourceTo("198.51.100.7"), strerror(ENETUNREACH));
  });
  absl::Status route = AddDefaultRoute(*in, Ip("172.30.0.1"), peer.index);
  ASSERT_TRUE(route.ok()) << route;

  absl::StatusOr<std::vector<Ipv4Route>> routes = ListIpv4Routes(*in);
  ASSERT_TRUE(routes.ok()) << routes.status();
  int defaults = 0;
  bool local = false;
  for (const Ipv4Route& r : *routes) {
    if (r.dst_len == 0) {
      ++defaults;
      EXPECT_EQ(Str(r.dst), "0.0.0.0");
      EXPECT_EQ(Str(r.gateway), "172.30.0.1");
      EXPECT_EQ(r.oif, peer.index);
      EXPECT_EQ(r.table, static_cast<uint32_t>(RT_TABLE_MAIN));
      EXPECT_EQ(r.protocol, RTPROT_BOOT);
      EXPECT_EQ(r.scope, RT_SCOPE_UNIVERSE);
      EXPECT_EQ(r.type, RTN_UNICAST);
    }
    if (r.table == RT_TABLE_LOCAL && r.type == RTN_LOCAL &&
        Str(r.dst) == "172.30.0.2" && r.dst_len == 32) {
      local = true;
    }
  }
  EXPECT_EQ(defaults, 1);
  EXPECT_TRUE(local);  // All tables are listed, not just main.
  RunIn(ns.get(), [] {
    EXPECT_EQ(RouteSourceTo("198.51.100.7"), "172.30.0.2");
    std::vector<std::string> proc = ProcRoutes();
    EXPECT_NE(std::find(proc.begin(), proc.end(),
                        "eth0 0.0.0.0/0.0.0.0 via 172.30.0.1"),
              proc.end())
        << absl::StrJoin(proc, "\n");
  });
  absl::Status twice = AddDefaultRoute(*in, Ip("172.30.0.1"), peer.index);
  EXPECT_EQ(twice.code(), absl::StatusCode::kAlreadyExists) << twice;
  EXPECT_NE(twice.message().find("add default route via 172.30.0.1 dev eth0"),
            absl::string_view::npos)
      << twice;

  // Hairpin on the host end's bridge port.
  absl::StatusOr<bool> hairpin = GetBridgePortHairpin(sock(), host.index);
  ASSERT_TRUE(hairpin.ok()) << hairpin.status();
  EXPECT_FALSE(*hairpin);
  ASSERT_TRUE(SetBridgePortHairpin(sock(), host.index, true).ok());
  EXPECT_TRUE(*GetBridgePortHairpin(sock(), host.index));
  ASSERT_TRUE(SetBridgePortHairpin(sock(), host.index, false).ok());
  EXPECT_FALSE(*GetBridgePortHairpin(sock(), host.index));
  EXPECT_EQ(GetBridgePortHairpin(sock(), br).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Deleting the host end takes the peer with it.
  absl::Status deleted = DeleteLink(sock(), "veth1a2b3c4");
  ASSERT_TRUE(deleted.ok()) << deleted;
  EXPECT_FALSE(GetLink(sock(), "veth1a2b3c4")->has_value());
  EXPECT_FALSE(GetLink(*in, "eth0")->has_value());
  EXPECT_EQ(if_nametoindex("veth1a2b3c4"), 0u);
  RunIn(ns.get(), [] { EXPECT_EQ(if_nametoindex("eth0"), 0u); });
}

TEST_F(RtnlTest, VethInOneNamespaceWithKernelMac) {
  ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb"}).ok());
  LinkInfo a = Link("va");
  LinkInfo b = Link("vb");
  EXPECT_EQ(a.kind, "veth");
  EXPECT_EQ(b.kind, "veth");
  EXPECT_EQ(a.mtu, 1500);
  EXPECT_NE(b.mac, MacAddress{});  // Random, but there.
  EXPECT_EQ(b.mac[0] & 1, 0);      // Unicast.
}

TEST_F(RtnlTest, SetMtuMacNameAndMaster) {
  int br = MakeBridge("br0");
  ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb"}).ok());
  int va = Link("va").index;

  ASSERT_TRUE(SetMtu(sock(), va, 1280).ok());
  EXPECT_EQ(Link("va").mtu, 1280);
  EXPECT_EQ(IoctlMtu("va"), 1280);

  const MacAddress mac = {0x02, 0, 0, 0, 0xbe, 0xef};
  ASSERT_TRUE(SetMac(sock(), va, mac).ok());
  EXPECT_EQ(Link("va").mac, mac);
  EXPECT_EQ(IoctlMac("va"), "02:00:00:00:be:ef");

  ASSERT_TRUE(SetMaster(sock(), va, br).ok());
  EXPECT_EQ(Link("va").master, br);
  ASSERT_TRUE(SetMaster(sock(), va, 0).ok());
  EXPECT_EQ(Link("va").master, 0);

  ASSERT_TRUE(Rename(sock(), va, "renamed0").ok());
  EXPECT_EQ(if_nametoindex("va"), 0u);
  EXPECT_EQ(if_nametoindex("renamed0"), static_cast<unsigned>(va));
  EXPECT_EQ(Link("renamed0").index, va);

  // A request the kernel refuses: the error names the link by its name
  // (looked up after the failure) and keeps the kernel's errno.
  absl::Status big = SetMtu(sock(), va, 100000);
  EXPECT_EQ(big.code(), absl::StatusCode::kInvalidArgument) << big;
  EXPECT_EQ(KernelErrno(big), EINVAL) << big;
  EXPECT_NE(big.message().find(absl::StrCat(
                "netlink: set link renamed0 (index ", va, ") mtu 100000: ")),
            absl::string_view::npos)
      << big;
  EXPECT_EQ(Link("renamed0").mtu, 1280);

  ASSERT_TRUE(SetLinkUp(sock(), va, true).ok());
  EXPECT_TRUE(IoctlUp("renamed0"));
  ASSERT_TRUE(SetLinkUp(sock(), va, false).ok());
  EXPECT_FALSE(Link("renamed0").flags & IFF_UP);
  EXPECT_FALSE(IoctlUp("renamed0"));
}

TEST_F(RtnlTest, MoveToNetns) {
  ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb"}).ok());
  UniqueFd ns = NewNetns();
  ASSERT_TRUE(ns.valid());
  ASSERT_TRUE(MoveToNetns(sock(), Link("vb").index, ns.get()).ok());
  EXPECT_FALSE(GetLink(sock(), "vb")->has_value());
  absl::StatusOr<Socket> in = Socket::OpenIn(ns.get());
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(Link(*in, "vb").kind, "veth");
  RunIn(ns.get(), [] { EXPECT_NE(if_nametoindex("vb"), 0u); });
}

TEST_F(RtnlTest, DuplicatesAreAlreadyExists) {
  MakeBridge("br0");
  absl::Status dup = CreateBridge(sock(), "br0", 0);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_EQ(dup.message(), "netlink: create bridge br0: File exists");
  EXPECT_EQ(KernelErrno(dup), EEXIST);

  absl::Status veth = CreateVeth(sock(), {.name = "br0", .peer_name = "vb"});
  EXPECT_EQ(veth.code(), absl::StatusCode::kAlreadyExists) << veth;
  EXPECT_NE(veth.message().find("create veth br0 (peer vb)"),
            absl::string_view::npos)
      << veth;
  // Nothing half-made: the peer is not there either.
  EXPECT_FALSE(GetLink(sock(), "vb")->has_value());

  absl::Status peer = CreateVeth(sock(), {.name = "va", .peer_name = "br0"});
  EXPECT_EQ(peer.code(), absl::StatusCode::kAlreadyExists) << peer;
  EXPECT_FALSE(GetLink(sock(), "va")->has_value());
}

TEST_F(RtnlTest, MissingIsNotFound) {
  absl::Status del = DeleteLink(sock(), "nosuch0");
  EXPECT_EQ(del.code(), absl::StatusCode::kNotFound) << del;
  EXPECT_NE(del.message().find("delete link nosuch0"), absl::string_view::npos)
      << del;

  absl::StatusOr<std::optional<LinkInfo>> get = GetLink(sock(), "nosuch0");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_FALSE(get->has_value());
  absl::StatusOr<std::optional<LinkInfo>> by_index =
      GetLinkByIndex(sock(), 4242);
  ASSERT_TRUE(by_index.ok()) << by_index.status();
  EXPECT_FALSE(by_index->has_value());

  absl::Status up = SetLinkUp(sock(), 4242, true);
  EXPECT_EQ(up.code(), absl::StatusCode::kNotFound) << up;
  EXPECT_NE(up.message().find("set link index 4242 up"),
            absl::string_view::npos)
      << up;

  ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb"}).ok());
  // lo cannot take ports: the kernel's error, relabelled with the name.
  absl::Status master = SetMaster(sock(), Link("va").index, 1);
  EXPECT_EQ(KernelErrno(master), EOPNOTSUPP) << master;
  EXPECT_NE(master.message().find("set link va ("), absl::string_view::npos)
      << master;
}

TEST_F(RtnlTest, BadArgumentsAreRefusedBeforeSending) {
  EXPECT_EQ(CreateBridge(sock(), "a-name-too-long-for-linux", 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateVeth(sock(), {.name = "va", .peer_name = ""}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress(sock(), 1, Ip("10.0.0.1"), 33).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SetMtu(sock(), 1, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SetLinkUp(sock(), 0, true).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetLink(sock(), "a/b").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nothing was created.
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(sock());
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].name, "lo");
}

TEST_F(RtnlTest, KernelsExtendedAckIsInTheMessage) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.Append(ifinfomsg{});
  m.AttrString(IFLA_IFNAME, "x0");
  size_t info = m.BeginNested(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, "no-such-kind");
  m.EndNested(info);
  absl::Status s = sock().Request(std::move(m), "create link x0");
  EXPECT_EQ(KernelErrno(s), EOPNOTSUPP) << s;
  EXPECT_EQ(s.message(),
            "netlink: create link x0: Operation not supported "
            "(Unknown device type)");
}

TEST_F(RtnlTest, DumpsSpanManyDatagrams) {
  // ~100 links and ~400 addresses are far more than one 32 KiB dump part.
  std::vector<int> bridges;
  for (int i = 0; i < 100; ++i) {
    bridges.push_back(MakeBridge(absl::StrCat("br", i)));
  }
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(sock());
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 101u);
  for (size_t i = 1; i < links->size(); ++i) {
    EXPECT_LT((*links)[i - 1].index, (*links)[i].index);
  }

  for (int i = 0; i < 400; ++i) {
    in_addr a{htonl(0x0a000000u | (i + 1))};
    absl::Status s = AddAddress(sock(), bridges[i % 100], a, 8);
    ASSERT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<std::vector<Ipv4Address>> addrs = ListIpv4Addresses(sock());
  ASSERT_TRUE(addrs.ok()) << addrs.status();
  std::vector<uint32_t> got;
  for (const Ipv4Address& a : *addrs) got.push_back(ntohl(a.addr.s_addr));
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), 400u);
  for (uint32_t i = 0; i < 400; ++i) EXPECT_EQ(got[i], 0x0a000000u | (i + 1));
}

TEST_F(RtnlTest, OpenInRefusesWhatIsNotANetworkNamespace) {
  EXPECT_EQ(Socket::OpenIn(-1).status().code(),
            absl::StatusCode::kInvalidArgument);
  UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  absl::StatusOr<Socket> s = Socket::OpenIn(devnull.get());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument)
      << s.status();
}

}  // namespace
}  // namespace mydocker::netlink
