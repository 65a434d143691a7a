#include "lib/ipam/address.h"

#include <arpa/inet.h>

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mydocker::ipam {
namespace {

Ipv4 Ip(const std::string& s) {
  absl::StatusOr<Ipv4> a = ParseIpv4(s);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.value_or(Ipv4{});
}

Ipv4Prefix Cidr(const std::string& s) {
  absl::StatusOr<Ipv4Prefix> p = ParseCidr(s);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(Ipv4Prefix{});
}

TEST(ParseIpv4, AcceptsDottedQuads) {
  EXPECT_EQ(Ip("192.168.0.1").value, 0xc0a80001u);
  EXPECT_EQ(Ip("0.0.0.0").value, 0u);
  EXPECT_EQ(Ip("255.255.255.255").value, 0xffffffffu);
  EXPECT_EQ(Ip("10.0.0.10").value, 0x0a00000au);
  EXPECT_EQ(Ip("172.17.100.200").value, 0xac1164c8u);
}

TEST(ParseIpv4, RefusesEverythingElse) {
  for (const char* bad :
       {"",           "1",        "1.2.3",    "1.2.3.4.5",  "256.0.0.1",
        "1.2.3.256",  "1.2.3.-1", "01.2.3.4", "1.2.3.04",   "1.2.3.00",
        "0x1.2.3.4",  " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n",  "1. 2.3.4",
        "1..2.3",     ".1.2.3",   "1.2.3.",   "1.2.3.4/24", "a.b.c.d",
        "1000.1.1.1", "::1",      "+1.2.3.4"}) {
    absl::StatusOr<Ipv4> a = ParseIpv4(bad);
    ASSERT_FALSE(a.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(a.status().message(), std::string("invalid IP address: ") + bad);
  }
}

TEST(Ipv4, ToStringRoundTrips) {
  for (const char* s :
       {"0.0.0.0", "1.2.3.4", "192.168.0.255", "255.255.255.255", "10.0.0.1"}) {
    EXPECT_EQ(ToString(Ip(s)), s);
  }
}

TEST(Ipv4, OrdersAsNumbers) {
  EXPECT_LT(Ip("9.255.255.255"), Ip("10.0.0.0"));
  EXPECT_LT(Ip("192.168.0.2"), Ip("192.168.0.10"));
  EXPECT_EQ(Ip("1.2.3.4"), Ip("1.2.3.4"));
  EXPECT_NE(Ip("1.2.3.4"), Ip("1.2.3.5"));
}

TEST(Ipv4, InAddrIsNetworkByteOrder) {
  in_addr a = Ip("192.168.0.1").ToInAddr();
  char buf[INET_ADDRSTRLEN];
  ASSERT_NE(inet_ntop(AF_INET, &a, buf, sizeof buf), nullptr);
  EXPECT_STREQ(buf, "192.168.0.1");
  in_addr b;
  ASSERT_EQ(inet_pton(AF_INET, "10.20.30.40", &b), 1);
  EXPECT_EQ(Ipv4::FromInAddr(b), Ip("10.20.30.40"));
}

TEST(ParseCidr, KeepsHostBits) {
  Ipv4Prefix p = Cidr("192.168.0.1/24");
  EXPECT_EQ(p.addr, Ip("192.168.0.1"));
  EXPECT_EQ(p.len, 24);
  EXPECT_EQ(p.Network(), Ip("192.168.0.0"));
  EXPECT_EQ(p.Broadcast(), Ip("192.168.0.255"));
  EXPECT_EQ(ToString(p), "192.168.0.1/24");
}

TEST(ParseCidr, Boundaries) {
  Ipv4Prefix all = Cidr("0.0.0.0/0");
  EXPECT_EQ(all.len, 0);
  EXPECT_EQ(all.Mask(), 0u);
  EXPECT_EQ(all.Network(), Ip("0.0.0.0"));
  EXPECT_EQ(all.Broadcast(), Ip("255.255.255.255"));
  EXPECT_EQ(all.Size(), uint64_t{1} << 32);
  EXPECT_TRUE(all.Contains(Ip("203.0.113.9")));

  Ipv4Prefix host = Cidr("10.1.2.3/32");
  EXPECT_EQ(host.Mask(), 0xffffffffu);
  EXPECT_EQ(host.Network(), Ip("10.1.2.3"));
  EXPECT_EQ(host.Broadcast(), Ip("10.1.2.3"));
  EXPECT_EQ(host.Size(), 1u);
  EXPECT_TRUE(host.Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(host.Contains(Ip("10.1.2.4")));

  EXPECT_EQ(Cidr("172.16.0.0/12").Size(), 1u << 20);
  EXPECT_EQ(Cidr("192.168.0.0/31").Size(), 2u);
}

TEST(ParseCidr, RefusesGarbage) {
  for (const char* bad :
       {"", "/", "192.168.0.0", "192.168.0.0/", "192.168.0.0/33",
        "192.168.0.0/-1", "192.168.0.0/024", "192.168.0.0/00", "192.168.0.0/1a",
        "192.168.0.0/24/", "192.168.0.0/24 ", " 192.168.0.0/24", "192.168.0/24",
        "192.168.0.0 /24", "192.168.0.0/ 24", "192.168.00.0/24", "/24",
        "192.168.0.0/100"}) {
    absl::StatusOr<Ipv4Prefix> p = ParseCidr(bad);
    ASSERT_FALSE(p.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(p.status().message(),
              std::string("invalid CIDR address: ") + bad);
  }
}

TEST(ParseSubnet, RequiresHostBitsClear) {
  absl::StatusOr<Ipv4Prefix> ok = ParseSubnet("192.168.0.0/24");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, (Ipv4Prefix{Ip("192.168.0.0"), 24}));
  EXPECT_TRUE(ParseSubnet("0.0.0.0/0").ok());
  EXPECT_TRUE(ParseSubnet("10.0.0.7/32").ok());

  absl::StatusOr<Ipv4Prefix> bad = ParseSubnet("192.168.0.1/24");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "invalid subnet 192.168.0.1/24: it should be 192.168.0.0/24");

  bad = ParseSubnet("1.0.0.0/0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "invalid subnet 1.0.0.0/0: it should be 0.0.0.0/0");

  bad = ParseSubnet("nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid CIDR address: nonsense");
}

TEST(Ipv4Prefix, ContainsAddresses) {
  Ipv4Prefix p = Cidr("172.18.0.0/16");
  EXPECT_TRUE(p.Contains(Ip("172.18.0.0")));
  EXPECT_TRUE(p.Contains(Ip("172.18.255.255")));
  EXPECT_FALSE(p.Contains(Ip("172.19.0.0")));
  EXPECT_FALSE(p.Contains(Ip("172.17.255.255")));
  // A prefix written with host bits still means its network.
  EXPECT_TRUE(Cidr("172.18.3.4/16").Contains(Ip("172.18.200.1")));
}

TEST(Ipv4Prefix, ContainsPrefixes) {
  Ipv4Prefix p = Cidr("192.168.0.0/16");
  EXPECT_TRUE(p.Contains(p));
  EXPECT_TRUE(p.Contains(Cidr("192.168.16.0/20")));
  EXPECT_TRUE(p.Contains(Cidr("192.168.255.255/32")));
  EXPECT_FALSE(p.Contains(Cidr("192.168.0.0/15")));
  EXPECT_FALSE(p.Contains(Cidr("192.169.0.0/24")));
  EXPECT_FALSE(Cidr("192.168.16.0/20").Contains(p));
  EXPECT_TRUE(Cidr("0.0.0.0/0").Contains(p));
}

TEST(Ipv4Prefix, Overlaps) {
  Ipv4Prefix a = Cidr("172.18.0.0/16");
  EXPECT_TRUE(a.Overlaps(a));
  EXPECT_TRUE(a.Overlaps(Cidr("172.18.5.0/24")));
  EXPECT_TRUE(Cidr("172.18.5.0/24").Overlaps(a));
  EXPECT_TRUE(a.Overlaps(Cidr("172.16.0.0/12")));
  EXPECT_TRUE(a.Overlaps(Cidr("0.0.0.0/0")));
  EXPECT_FALSE(a.Overlaps(Cidr("172.19.0.0/16")));
  EXPECT_FALSE(a.Overlaps(Cidr("172.17.255.255/32")));
  EXPECT_FALSE(Cidr("10.0.0.0/30").Overlaps(Cidr("10.0.0.4/30")));
}

TEST(DockerMac, IsPrefixAndAddressBytes) {
  EXPECT_EQ(DockerMac(Ip("172.17.0.2")),
            (std::array<uint8_t, 6>{0x02, 0x42, 0xac, 0x11, 0x00, 0x02}));
  EXPECT_EQ(MacToString(DockerMac(Ip("192.168.0.2"))), "02:42:c0:a8:00:02");
  EXPECT_EQ(MacToString(DockerMac(Ip("255.255.255.255"))), "02:42:ff:ff:ff:ff");
  EXPECT_EQ(MacToString({0, 1, 0xa, 0xb, 0x10, 0xfe}), "00:01:0a:0b:10:fe");
}

}  // namespace
}  // namespace mydocker::ipam
