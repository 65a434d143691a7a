#include "lib/nat/rules.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::nat {
namespace {

using ::testing::HasSubstr;

const NetworkRules kNet{.id = "0123456789abcdef0123",
                        .bridge = "br-0123456789ab",
                        .subnet = "172.18.0.0/16"};

TEST(SkeletonScriptTest, ExactText) {
  EXPECT_EQ(SkeletonScript(), R"(table ip mydocker {
  map tcp_any { type inet_service : ipv4_addr . inet_service; }
  map udp_any { type inet_service : ipv4_addr . inet_service; }
  map tcp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map udp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map post_nets { type ipv4_addr : verdict; flags interval; }
  map fwd_in { type ifname : verdict; }
  map fwd_out { type ifname : verdict; }
  set bridges { type ifname; }
  chain ports {
    dnat ip to ip daddr . tcp dport map @tcp_ip
    dnat ip to tcp dport map @tcp_any
    dnat ip to ip daddr . udp dport map @udp_ip
    dnat ip to udp dport map @udp_any
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump ports
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local jump ports
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr vmap @post_nets
    ct status dnat ip saddr 127.0.0.0/8 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname vmap @fwd_in
    oifname vmap @fwd_out
  }
  chain guard {
    type filter hook prerouting priority raw; policy accept;
    iifname @bridges ip daddr 127.0.0.0/8 drop
  }
}
)");
}

TEST(ChainNamesTest, FirstTwelveOfTheId) {
  EXPECT_EQ(NetChain(kNet), "net-0123456789ab");
  EXPECT_EQ(FwdInChain(kNet), "fwdin-0123456789ab");
  EXPECT_EQ(FwdOutChain(kNet), "fwdout-0123456789ab");
}

TEST(AddNetworkScriptTest, ExactText) {
  absl::StatusOr<std::string> s = AddNetworkScript(kNet);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s,
            R"(add chain ip mydocker net-0123456789ab
flush chain ip mydocker net-0123456789ab
add rule ip mydocker net-0123456789ab oifname != "br-0123456789ab" masquerade
add rule ip mydocker net-0123456789ab oifname "br-0123456789ab" ct status dnat masquerade
add chain ip mydocker fwdin-0123456789ab
flush chain ip mydocker fwdin-0123456789ab
add rule ip mydocker fwdin-0123456789ab oifname "br-0123456789ab" accept
add rule ip mydocker fwdin-0123456789ab oifname @bridges drop
add chain ip mydocker fwdout-0123456789ab
flush chain ip mydocker fwdout-0123456789ab
add rule ip mydocker fwdout-0123456789ab ct state established,related accept
add rule ip mydocker fwdout-0123456789ab ct status dnat accept
add rule ip mydocker fwdout-0123456789ab drop
add element ip mydocker bridges { "br-0123456789ab" }
add element ip mydocker post_nets { 172.18.0.0/16 : jump net-0123456789ab }
add element ip mydocker fwd_in { "br-0123456789ab" : jump fwdin-0123456789ab }
add element ip mydocker fwd_out { "br-0123456789ab" : jump fwdout-0123456789ab }
)");
}

TEST(AddNetworkScriptTest, Internal) {
  NetworkRules n = kNet;
  n.internal = true;
  absl::StatusOr<std::string> s = AddNetworkScript(n);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s,
            R"(add chain ip mydocker net-0123456789ab
flush chain ip mydocker net-0123456789ab
add rule ip mydocker net-0123456789ab oifname "br-0123456789ab" ct status dnat masquerade
add chain ip mydocker fwdin-0123456789ab
flush chain ip mydocker fwdin-0123456789ab
add rule ip mydocker fwdin-0123456789ab oifname "br-0123456789ab" accept
add rule ip mydocker fwdin-0123456789ab oifname @bridges drop
add rule ip mydocker fwdin-0123456789ab drop
add chain ip mydocker fwdout-0123456789ab
flush chain ip mydocker fwdout-0123456789ab
add rule ip mydocker fwdout-0123456789ab drop
add element ip mydocker bridges { "br-0123456789ab" }
add element ip mydocker post_nets { 172.18.0.0/16 : jump net-0123456789ab }
add element ip mydocker fwd_in { "br-0123456789ab" : jump fwdin-0123456789ab }
add element ip mydocker fwd_out { "br-0123456789ab" : jump fwdout-0123456789ab }
)");
}

TEST(RemoveNetworkScriptTest, ExactText) {
  absl::StatusOr<std::string> s = RemoveNetworkScript(kNet);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s,
            R"(add chain ip mydocker net-0123456789ab
add chain ip mydocker fwdin-0123456789ab
add chain ip mydocker fwdout-0123456789ab
add element ip mydocker post_nets { 172.18.0.0/16 : jump net-0123456789ab }
delete element ip mydocker post_nets { 172.18.0.0/16 }
add element ip mydocker fwd_in { "br-0123456789ab" : jump fwdin-0123456789ab }
delete element ip mydocker fwd_in { "br-0123456789ab" }
add element ip mydocker fwd_out { "br-0123456789ab" : jump fwdout-0123456789ab }
delete element ip mydocker fwd_out { "br-0123456789ab" }
add element ip mydocker bridges { "br-0123456789ab" }
delete element ip mydocker bridges { "br-0123456789ab" }
flush chain ip mydocker net-0123456789ab
delete chain ip mydocker net-0123456789ab
flush chain ip mydocker fwdin-0123456789ab
delete chain ip mydocker fwdin-0123456789ab
flush chain ip mydocker fwdout-0123456789ab
delete chain ip mydocker fwdout-0123456789ab
)");
}

TEST(RemoveNetworkStepsTest, ConcatenateToTheScript) {
  absl::StatusOr<std::vector<std::string>> steps = RemoveNetworkSteps(kNet);
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(steps->size(), 8u);
  EXPECT_EQ(absl::StrJoin(*steps, ""), *RemoveNetworkScript(kNet));
  for (const std::string& step : *steps) {
    EXPECT_TRUE(absl::EndsWith(step, "\n")) << step;
  }
}

TEST(NetworkScriptTest, SubnetIsPrintedCanonically) {
  NetworkRules n = kNet;
  n.subnet = "10.0.0.0/8";
  EXPECT_THAT(*AddNetworkScript(n),
              HasSubstr("post_nets { 10.0.0.0/8 : jump net-0123456789ab }"));
  n.subnet = "192.168.7.9/32";
  EXPECT_THAT(*AddNetworkScript(n), HasSubstr("{ 192.168.7.9/32 : jump"));
}

TEST(NetworkScriptTest, RefusesHostileOrBadValues) {
  auto refused = [](const NetworkRules& n) {
    absl::StatusOr<std::string> add = AddNetworkScript(n);
    absl::StatusOr<std::string> remove = RemoveNetworkScript(n);
    EXPECT_EQ(add.status().code(), absl::StatusCode::kInvalidArgument)
        << add.status();
    EXPECT_EQ(remove.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(add.status().message());
  };
  NetworkRules n = kNet;
  n.bridge = "br0\"; flush ruleset;";
  EXPECT_EQ(refused(n),
            "network 0123456789ab: bridge \"br0\\\"; flush ruleset;\": must "
            "be 1 to 15 of [A-Za-z0-9_.-]");
  for (const char* bridge : {"", "br0 ", "br0\n", "br 0", "@bridges", "br0}",
                             "br0;", "br$x", "a234567890123456", "br0\\"}) {
    n.bridge = bridge;
    refused(n);
  }
  n = kNet;
  n.id = "0123456789a";  // Too short.
  EXPECT_THAT(refused(n), HasSubstr("id shorter than 12"));
  for (const char* id :
       {"0123456789AB", "0123456789a;", "net-0123456789ab", "0123456789a b"}) {
    n.id = id;
    refused(n);
  }
  n = kNet;
  for (const char* subnet :
       {"", "172.18.0.0", "172.18.0.0/", "172.18.0.0/0", "172.18.0.0/33",
        "172.18.0.0/-1", "172.18.0.0/+8", "172.18.0.0/ 8", "172.18.0.1/16",
        "172.18.0.0/16 ", "172.18.0/16", "172.018.0.0/16", "0x1.0.0.0/8",
        "fd00::/64", "172.18.0.0/16 : jump ports", "256.0.0.0/8",
        "172.18.0.0/16/16"}) {
    n.subnet = subnet;
    refused(n);
  }
  n.subnet = "172.18.0.1/16";
  EXPECT_EQ(refused(n),
            "network 0123456789ab: subnet \"172.18.0.1/16\": host bits set "
            "(want the network address)");
}

TEST(IsValidIfnameTest, Names) {
  EXPECT_TRUE(IsValidIfname("br-0123456789ab"));
  EXPECT_TRUE(IsValidIfname("a23456789012345"));
  EXPECT_TRUE(IsValidIfname("veth_a.1"));
  EXPECT_FALSE(IsValidIfname("a234567890123456"));
  EXPECT_FALSE(IsValidIfname(""));
  EXPECT_FALSE(IsValidIfname("../all"));
  EXPECT_FALSE(IsValidIfname("br0\""));
}

const PortRule kAny{.proto = "tcp",
                    .host_port = 91,
                    .container_ip = "172.18.0.2",
                    .container_port = 80};
const PortRule kLocal{.proto = "udp",
                      .host_ip = "127.0.0.1",
                      .host_port = 53,
                      .container_ip = "172.18.0.2",
                      .container_port = 5353};

TEST(AddPortsScriptTest, ExactText) {
  PortRule zero = kAny;
  zero.host_ip = "0.0.0.0";
  zero.host_port = 92;
  absl::StatusOr<std::string> s = AddPortsScript({kAny, kLocal, zero});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s,
            R"(add element ip mydocker tcp_any { 91 : 172.18.0.2 . 80 }
add element ip mydocker udp_ip { 127.0.0.1 . 53 : 172.18.0.2 . 5353 }
add element ip mydocker tcp_any { 92 : 172.18.0.2 . 80 }
)");
  EXPECT_EQ(*AddPortsScript({}), "");
}

TEST(RemovePortsScriptTest, ExactText) {
  absl::StatusOr<std::string> s = RemovePortsScript({kAny, kLocal});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s,
            R"(add element ip mydocker tcp_any { 91 : 172.18.0.2 . 80 }
delete element ip mydocker tcp_any { 91 }
add element ip mydocker udp_ip { 127.0.0.1 . 53 : 172.18.0.2 . 5353 }
delete element ip mydocker udp_ip { 127.0.0.1 . 53 }
)");
  absl::StatusOr<std::vector<std::string>> steps =
      RemovePortsSteps({kAny, kLocal});
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->size(), 2u);
  EXPECT_EQ(absl::StrJoin(*steps, ""), *s);
}

// Taking a key over from a stale owner deletes by key alone.
TEST(PortsScriptTest, DeletePortKeysByKeyAlone) {
  absl::StatusOr<std::vector<std::string>> steps = DeletePortKeysSteps({kAny, kLocal});
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(absl::StrJoin(*steps, ""),
            R"(delete element ip mydocker tcp_any { 91 }
delete element ip mydocker udp_ip { 127.0.0.1 . 53 }
)");
}

TEST(PortRuleStringTest, Format) {
  EXPECT_EQ(PortRuleString(kAny), "0.0.0.0:91->172.18.0.2:80/tcp");
  EXPECT_EQ(PortRuleString(kLocal), "127.0.0.1:53->172.18.0.2:5353/udp");
}

TEST(PortsScriptTest, RefusesHostileOrBadValues) {
  auto refused = [](const PortRule& p) {
    absl::StatusOr<std::string> add = AddPortsScript({kAny, p});
    absl::StatusOr<std::string> remove = RemovePortsScript({p});
    EXPECT_EQ(add.status().code(), absl::StatusCode::kInvalidArgument)
        << PortRuleString(p);
    EXPECT_EQ(remove.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(add.status().message());
  };
  PortRule p = kLocal;
  p.host_ip = "127.0.0.1 . 1 : 1.2.3.4 . 5 }; flush ruleset; #";
  EXPECT_THAT(refused(p), HasSubstr("host address is not an IPv4 dotted quad"));
  p.host_ip = "::1";
  EXPECT_THAT(refused(p), HasSubstr("IPv6 host addresses are not supported"));
  for (const char* ip : {"1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4 ",
                         "localhost", "1.2.3.256"}) {
    p.host_ip = ip;
    refused(p);
  }
  p = kLocal;
  for (const char* ip : {"", "0.0.0.0", "172.18.0.2; drop", "::ffff:1.2.3.4"}) {
    p.container_ip = ip;
    EXPECT_THAT(refused(p), HasSubstr("container address"));
  }
  p = kLocal;
  for (const char* proto : {"", "TCP", "sctp", "tcp dport"}) {
    p.proto = proto;
    EXPECT_THAT(refused(p), HasSubstr("protocol must be tcp or udp"));
  }
  p = kLocal;
  for (int port : {0, -1, 65536}) {
    p.host_port = port;
    EXPECT_THAT(refused(p), HasSubstr("ports must be 1 to 65535"));
    p.host_port = 53;
    p.container_port = port;
    EXPECT_THAT(refused(p), HasSubstr("ports must be 1 to 65535"));
    p.container_port = 5353;
  }
}

TEST(PortsScriptTest, RefusesTheSameHostPortTwice) {
  PortRule other = kAny;
  other.container_ip = "172.18.0.3";
  other.host_ip = "0.0.0.0";  // The same key as kAny's "".
  absl::StatusOr<std::string> s = AddPortsScript({kAny, other});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "port \"0.0.0.0:91->172.18.0.3:80/tcp\": host port published "
            "twice");
  // Another address, or protocol, is another key.
  other.host_ip = "127.0.0.1";
  EXPECT_TRUE(AddPortsScript({kAny, other}).ok());
  other = kAny;
  other.proto = "udp";
  EXPECT_TRUE(AddPortsScript({kAny, other}).ok());
}

}  // namespace
}  // namespace mydocker::nat
