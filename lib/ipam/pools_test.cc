#include "lib/ipam/pools.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/ipam/address.h"

namespace mydocker::ipam {
namespace {

Ipv4Prefix P(const std::string& s) {
  absl::StatusOr<Ipv4Prefix> p = ParseSubnet(s);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(Ipv4Prefix{});
}

std::vector<std::string> Strings(const std::vector<Ipv4Prefix>& ps) {
  std::vector<std::string> out;
  for (const Ipv4Prefix& p : ps) out.push_back(ToString(p));
  return out;
}

TEST(DefaultPools, AreDockers) {
  std::vector<std::string> want;
  for (int i = 17; i <= 31; ++i)
    want.push_back(absl::StrCat("172.", i, ".0.0/16"));
  for (int i = 0; i < 256; i += 16)
    want.push_back(absl::StrCat("192.168.", i, ".0/20"));
  EXPECT_EQ(Strings(DefaultPools()), want);
  EXPECT_EQ(DefaultPools().size(), 31u);
}

TEST(DefaultPools, DoNotOverlapEachOther) {
  std::vector<Ipv4Prefix> pools = DefaultPools();
  for (size_t i = 0; i < pools.size(); ++i) {
    EXPECT_EQ(pools[i].addr, pools[i].Network()) << pools[i];
    for (size_t j = i + 1; j < pools.size(); ++j) {
      EXPECT_FALSE(pools[i].Overlaps(pools[j])) << pools[i] << " " << pools[j];
    }
  }
}

TEST(SelectPool, FirstWhenNothingInUse) {
  absl::StatusOr<Ipv4Prefix> p = SelectPool({});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("172.17.0.0/16"));
}

TEST(SelectPool, SkipsRoutesAndNetworks) {
  // docker0's route and a user network inside 172.18.0.0/16.
  absl::StatusOr<Ipv4Prefix> p =
      SelectPool({P("172.17.0.0/16"), P("172.18.5.0/24")});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("172.19.0.0/16"));
}

TEST(SelectPool, SkipsPoolsInsideALargerRoute) {
  // A VPN route over 172.16.0.0/12 covers every 172.x pool.
  absl::StatusOr<Ipv4Prefix> p = SelectPool({P("172.16.0.0/12")});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("192.168.0.0/20"));
}

TEST(SelectPool, AllOf172TakenGives192168) {
  std::vector<Ipv4Prefix> in_use;
  for (int i = 17; i <= 31; ++i)
    in_use.push_back(P(absl::StrCat("172.", i, ".0.0/16")));
  absl::StatusOr<Ipv4Prefix> p = SelectPool(in_use);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("192.168.0.0/20"));

  // A home LAN at 192.168.1.0/24 sits in the first /20.
  in_use.push_back(P("192.168.1.0/24"));
  p = SelectPool(in_use);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("192.168.16.0/20"));
}

TEST(SelectPool, NothingLeft) {
  std::vector<Ipv4Prefix> in_use = DefaultPools();
  in_use.pop_back();
  absl::StatusOr<Ipv4Prefix> p = SelectPool(in_use);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("192.168.240.0/20"));

  in_use.push_back(P("192.168.255.0/24"));
  p = SelectPool(in_use);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(p.status().message(),
            "could not find an available, non-overlapping IPv4 address pool "
            "among the defaults to assign to the network");

  p = SelectPool({P("0.0.0.0/0")});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(SelectPool, OverGivenPools) {
  std::vector<Ipv4Prefix> pools = {P("10.10.0.0/24"), P("10.10.1.0/24")};
  absl::StatusOr<Ipv4Prefix> p = SelectPool(pools, {P("10.10.0.128/25")});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, P("10.10.1.0/24"));
}

TEST(DefaultGateway, IsFirstHost) {
  EXPECT_EQ(ToString(DefaultGateway(P("172.18.0.0/16"))), "172.18.0.1");
  EXPECT_EQ(ToString(DefaultGateway(P("192.168.16.0/20"))), "192.168.16.1");
  EXPECT_EQ(ToString(DefaultGateway(P("10.0.0.8/32"))), "10.0.0.8");
}

}  // namespace
}  // namespace mydocker::ipam
