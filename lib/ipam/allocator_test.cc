#include "lib/ipam/allocator.h"

#include <stdlib.h>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/ipam/address.h"
#include "nlohmann/json.hpp"

namespace mydocker::ipam {
namespace {

using ::absl::StatusCode;

Ipv4 Ip(const std::string& s) {
  absl::StatusOr<Ipv4> a = ParseIpv4(s);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.value_or(Ipv4{});
}

Ipv4Prefix Net(const std::string& s) {
  absl::StatusOr<Ipv4Prefix> p = ParseSubnet(s);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(Ipv4Prefix{});
}

PoolConfig Pool(const std::string& subnet, const std::string& gateway,
                const std::string& range = "") {
  PoolConfig c{
      .subnet = Net(subnet), .ip_range = std::nullopt, .gateway = Ip(gateway)};
  if (!range.empty()) c.ip_range = Net(range);
  return c;
}

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/ipam.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    path_ = dir_ + "/networks/abc123/ipam.json";
  }
  void TearDown() override { ASSERT_TRUE(base::RemoveAll(dir_).ok()); }

  // A fresh Allocator over `path_` holding `config`.
  Allocator Make(const PoolConfig& config) {
    Allocator a(path_, "mynet", "abc123");
    absl::Status s = a.Create(config);
    EXPECT_TRUE(s.ok()) << s;
    return a;
  }

  // Allocates dynamically for `owner` and returns the address as a string.
  static std::string Next(Allocator& a, const std::string& owner) {
    absl::StatusOr<Ipv4> ip = a.Allocate(owner);
    EXPECT_TRUE(ip.ok()) << owner << ": " << ip.status();
    return ip.ok() ? ToString(*ip) : ip.status().ToString();
  }

  std::string dir_;
  std::string path_;
};

TEST(ValidatePoolConfig, AcceptsGoodPools) {
  EXPECT_TRUE(ValidatePoolConfig(Pool("192.168.0.0/24", "192.168.0.1")).ok());
  EXPECT_TRUE(ValidatePoolConfig(Pool("192.168.0.0/24", "192.168.0.254")).ok());
  EXPECT_TRUE(ValidatePoolConfig(
                  Pool("192.168.0.0/24", "192.168.0.1", "192.168.0.128/25"))
                  .ok());
  EXPECT_TRUE(ValidatePoolConfig(
                  Pool("192.168.0.0/24", "192.168.0.1", "192.168.0.0/24"))
                  .ok());
  EXPECT_TRUE(ValidatePoolConfig(Pool("10.0.0.0/31", "10.0.0.0")).ok());
  EXPECT_TRUE(ValidatePoolConfig(Pool("10.0.0.5/32", "10.0.0.5")).ok());
}

TEST(ValidatePoolConfig, RefusesBadPools) {
  struct Case {
    PoolConfig config;
    std::string message;
  };
  std::vector<Case> cases = {
      {Pool("192.168.0.0/24", "10.0.0.1"),
       "no matching subnet for gateway 10.0.0.1"},
      {Pool("192.168.0.0/24", "192.168.0.0"),
       "invalid gateway 192.168.0.0: it is the network address of subnet "
       "192.168.0.0/24"},
      {Pool("192.168.0.0/24", "192.168.0.255"),
       "invalid gateway 192.168.0.255: it is the broadcast address of subnet "
       "192.168.0.0/24"},
      {Pool("192.168.0.0/24", "192.168.0.1", "10.1.0.0/24"),
       "no matching subnet for range 10.1.0.0/24"},
      {Pool("192.168.0.0/24", "192.168.0.1", "192.168.0.0/23"),
       "no matching subnet for range 192.168.0.0/23"},
      {PoolConfig{.subnet = {Ip("192.168.0.1"), 24},
                  .ip_range = std::nullopt,
                  .gateway = Ip("192.168.0.1")},
       "invalid subnet 192.168.0.1/24: it should be 192.168.0.0/24"},
      {PoolConfig{.subnet = Net("192.168.0.0/24"),
                  .ip_range = Ipv4Prefix{Ip("192.168.0.130"), 25},
                  .gateway = Ip("192.168.0.1")},
       "invalid ip-range 192.168.0.130/25: it should be 192.168.0.128/25"},
      {PoolConfig{.subnet = {Ip("192.168.0.0"), 33},
                  .ip_range = std::nullopt,
                  .gateway = Ip("192.168.0.0")},
       "invalid subnet 192.168.0.0/33: prefix length must be 0 to 32"},
  };
  for (const Case& c : cases) {
    absl::Status s = ValidatePoolConfig(c.config);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST_F(AllocatorTest, CreateWritesAReadableFile) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  absl::StatusOr<std::string> text = base::ReadFile(path_);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "{\n"
            "  \"Subnet\": \"192.168.0.0/24\",\n"
            "  \"IPRange\": \"\",\n"
            "  \"Gateway\": \"192.168.0.1\",\n"
            "  \"Last\": \"\",\n"
            "  \"Allocations\": {}\n"
            "}\n");

  ASSERT_EQ(Next(a, "c1"), "192.168.0.2");
  text = base::ReadFile(path_);
  ASSERT_TRUE(text.ok()) << text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["Last"], "192.168.0.2");
  EXPECT_EQ(j["Allocations"], nlohmann::json({{"192.168.0.2", "c1"}}));
  // No lock or temp file other than the lock file is left around.
  absl::StatusOr<std::vector<std::string>> names =
      base::ListDir(base::Dirname(path_));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"ipam.json", "ipam.json.lock"}));
}

TEST_F(AllocatorTest, CreateTwiceIsAlreadyExists) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  absl::Status s = a.Create(Pool("10.0.0.0/8", "10.0.0.1"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find(path_), std::string::npos) << s;
  absl::StatusOr<PoolConfig> c = a.Config();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, Pool("192.168.0.0/24", "192.168.0.1"));
}

TEST_F(AllocatorTest, CreateRefusesBadConfigAndWritesNothing) {
  Allocator a(path_);
  absl::Status s = a.Create(Pool("192.168.0.0/24", "10.0.0.1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Config().status().code(), StatusCode::kNotFound);
}

TEST_F(AllocatorTest, ConfigRoundTripsIpRange) {
  PoolConfig want = Pool("10.1.0.0/16", "10.1.0.1", "10.1.4.0/22");
  Allocator a = Make(want);
  absl::StatusOr<PoolConfig> got = Allocator(path_).Config();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, want);
}

TEST_F(AllocatorTest, HandsOutSequentiallySkippingTheGateway) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.3"));
  EXPECT_EQ(Next(a, "c1"), "192.168.0.1");
  EXPECT_EQ(Next(a, "c2"), "192.168.0.2");
  EXPECT_EQ(Next(a, "c3"), "192.168.0.4");
  EXPECT_EQ(Next(a, "c4"), "192.168.0.5");
}

TEST_F(AllocatorTest, DockerDefaultGatewayFirstContainerGetsDot2) {
  Allocator a = Make(Pool("172.18.0.0/16", "172.18.0.1"));
  EXPECT_EQ(Next(a, "c1"), "172.18.0.2");
  EXPECT_EQ(Next(a, "c2"), "172.18.0.3");
}

TEST_F(AllocatorTest, SlashThirtyFillsUp) {
  Allocator a = Make(Pool("10.0.0.0/30", "10.0.0.1"));
  EXPECT_EQ(Next(a, "c1"), "10.0.0.2");
  absl::StatusOr<Ipv4> full = a.Allocate("c2");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.status().message(),
            "no available IPv4 addresses on this network's address pools: "
            "mynet (abc123)");
  // Without an id the subnet stands in.
  full = Allocator(path_, "mynet").Allocate("c2");
  EXPECT_EQ(full.status().message(),
            "no available IPv4 addresses on this network's address pools: "
            "mynet (10.0.0.0/30)");
  // Being full does not stop the holder from getting its address again.
  absl::StatusOr<Ipv4> again = a.Allocate("c1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, Ip("10.0.0.2"));
}

TEST_F(AllocatorTest, SlashThirtyOneAndThirtyTwo) {
  Allocator a = Make(Pool("10.0.0.0/31", "10.0.0.0"));
  EXPECT_EQ(Next(a, "c1"), "10.0.0.1");
  EXPECT_EQ(a.Allocate("c2").status().code(), StatusCode::kResourceExhausted);

  Allocator b(dir_ + "/host/ipam.json");
  ASSERT_TRUE(b.Create(Pool("10.0.0.9/32", "10.0.0.9")).ok());
  EXPECT_EQ(b.Allocate("c1").status().code(), StatusCode::kResourceExhausted);
}

TEST_F(AllocatorTest, RequestedAddress) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  absl::StatusOr<Ipv4> ip = a.Allocate("static", Ip("192.168.0.50"));
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(*ip, Ip("192.168.0.50"));
  // A static address does not move the dynamic cursor, as in dockerd.
  EXPECT_EQ(Next(a, "c1"), "192.168.0.2");
  // A dynamic allocation steps over a static one.
  ASSERT_TRUE(a.Allocate("s2", Ip("192.168.0.3")).ok());
  EXPECT_EQ(Next(a, "c2"), "192.168.0.4");

  absl::StatusOr<std::map<Ipv4, std::string>> all = a.Allocations();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all,
            (std::map<Ipv4, std::string>{{Ip("192.168.0.2"), "c1"},
                                         {Ip("192.168.0.3"), "s2"},
                                         {Ip("192.168.0.4"), "c2"},
                                         {Ip("192.168.0.50"), "static"}}));
}

TEST_F(AllocatorTest, RequestedAddressTakenOrReserved) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  ASSERT_TRUE(a.Allocate("c1", Ip("192.168.0.7")).ok());
  for (const char* taken :
       {"192.168.0.7", "192.168.0.1", "192.168.0.0", "192.168.0.255"}) {
    absl::StatusOr<Ipv4> ip = a.Allocate("c2", Ip(taken));
    ASSERT_FALSE(ip.ok()) << taken;
    EXPECT_EQ(ip.status().code(), StatusCode::kAlreadyExists) << taken;
    EXPECT_EQ(ip.status().message(), "Address already in use");
  }
  absl::StatusOr<Ipv4> outside = a.Allocate("c2", Ip("192.168.1.7"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outside.status().message(),
            "no configured subnet or ip-range contain the IP address "
            "192.168.1.7");
  // Nothing was recorded for c2.
  absl::StatusOr<std::map<Ipv4, std::string>> all = a.Allocations();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(AllocatorTest, OwnerIsIdempotent) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  EXPECT_EQ(Next(a, "c1"), "192.168.0.2");
  EXPECT_EQ(Next(a, "c1"), "192.168.0.2");
  EXPECT_EQ(Next(a, "c2"), "192.168.0.3");
  absl::StatusOr<Ipv4> same = a.Allocate("c1", Ip("192.168.0.2"));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(*same, Ip("192.168.0.2"));
  absl::StatusOr<Ipv4> other = a.Allocate("c1", Ip("192.168.0.9"));
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.Allocations()->size(), 2u);
}

TEST_F(AllocatorTest, ReleaseThenReuseOnlyAfterWrapAround) {
  // 10.0.0.0/29: .1 is the gateway, .2 to .6 are for containers.
  Allocator a = Make(Pool("10.0.0.0/29", "10.0.0.1"));
  EXPECT_EQ(Next(a, "c1"), "10.0.0.2");
  EXPECT_EQ(Next(a, "c2"), "10.0.0.3");
  ASSERT_TRUE(a.Release("c1").ok());
  ASSERT_TRUE(a.Release("c1").ok());  // idempotent
  ASSERT_TRUE(a.Release("never-there").ok());
  // The freed .2 is not handed out again at once.
  EXPECT_EQ(Next(a, "c3"), "10.0.0.4");
  EXPECT_EQ(Next(a, "c4"), "10.0.0.5");
  EXPECT_EQ(Next(a, "c5"), "10.0.0.6");
  // Past the end: wrap around, skip the gateway, find .2.
  EXPECT_EQ(Next(a, "c6"), "10.0.0.2");
  EXPECT_EQ(a.Allocate("c7").status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(a.Release("c4").ok());
  EXPECT_EQ(Next(a, "c7"), "10.0.0.5");
}

TEST_F(AllocatorTest, IpRangeBoundsDynamicAddresses) {
  Allocator a = Make(Pool("10.1.0.0/24", "10.1.0.1", "10.1.0.8/30"));
  EXPECT_EQ(Next(a, "c1"), "10.1.0.8");
  EXPECT_EQ(Next(a, "c2"), "10.1.0.9");
  EXPECT_EQ(Next(a, "c3"), "10.1.0.10");
  EXPECT_EQ(Next(a, "c4"), "10.1.0.11");
  EXPECT_EQ(a.Allocate("c5").status().code(), StatusCode::kResourceExhausted);
  // A static address may lie outside the range but inside the subnet.
  absl::StatusOr<Ipv4> ip = a.Allocate("c5", Ip("10.1.0.100"));
  ASSERT_TRUE(ip.ok()) << ip.status();
  ASSERT_TRUE(a.Release("c2").ok());
  EXPECT_EQ(Next(a, "c6"), "10.1.0.9");
}

TEST_F(AllocatorTest, IpRangeAtTheStartOfTheSubnet) {
  // The range holds the network address and the gateway: neither is given.
  Allocator a = Make(Pool("10.1.0.0/24", "10.1.0.1", "10.1.0.0/30"));
  EXPECT_EQ(Next(a, "c1"), "10.1.0.2");
  EXPECT_EQ(Next(a, "c2"), "10.1.0.3");
  EXPECT_EQ(a.Allocate("c3").status().code(), StatusCode::kResourceExhausted);

  Allocator b(dir_ + "/end/ipam.json");
  ASSERT_TRUE(b.Create(Pool("10.1.0.0/24", "10.1.0.1", "10.1.0.252/30")).ok());
  EXPECT_EQ(Next(b, "c1"), "10.1.0.252");
  EXPECT_EQ(Next(b, "c2"), "10.1.0.253");
  EXPECT_EQ(Next(b, "c3"), "10.1.0.254");
  EXPECT_EQ(b.Allocate("c4").status().code(), StatusCode::kResourceExhausted);
}

TEST_F(AllocatorTest, PersistsAcrossObjects) {
  {
    Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
    EXPECT_EQ(Next(a, "c1"), "192.168.0.2");
    EXPECT_EQ(Next(a, "c2"), "192.168.0.3");
    ASSERT_TRUE(a.Release("c1").ok());
  }
  Allocator b(path_, "mynet");
  absl::StatusOr<std::map<Ipv4, std::string>> all = b.Allocations();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::map<Ipv4, std::string>{{Ip("192.168.0.3"), "c2"}}));
  // The cursor survived too.
  EXPECT_EQ(Next(b, "c3"), "192.168.0.4");
  EXPECT_EQ(Next(b, "c2"), "192.168.0.3");
}

TEST_F(AllocatorTest, ReleaseIfDropsStaleOwners) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  for (const char* o : {"live1", "dead1", "live2", "dead2"}) Next(a, o);
  absl::StatusOr<int> n = a.ReleaseIf(
      [](const std::string& owner) { return owner.rfind("dead", 0) == 0; });
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  absl::StatusOr<std::map<Ipv4, std::string>> all = a.Allocations();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::map<Ipv4, std::string>{{Ip("192.168.0.2"), "live1"},
                                               {Ip("192.168.0.4"), "live2"}}));
  n = a.ReleaseIf([](const std::string&) { return false; });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(AllocatorTest, BadOwnerIsInvalidArgument) {
  Allocator a = Make(Pool("192.168.0.0/24", "192.168.0.1"));
  EXPECT_EQ(a.Allocate("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Allocate("a\nb").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Allocate("caf\xc3\xa9").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Release("").code(), StatusCode::kInvalidArgument);
}

TEST_F(AllocatorTest, MissingFileIsNotFoundNamingThePath) {
  Allocator a(path_);  // its directory does not exist either
  auto check = [&](const absl::Status& s) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s;
    EXPECT_NE(s.message().find(path_), std::string::npos) << s;
  };
  check(a.Config().status());
  check(a.Allocations().status());
  check(a.Allocate("c1").status());
  check(a.Release("c1"));
  check(a.ReleaseIf([](const std::string&) { return true; }).status());

  ASSERT_TRUE(base::MakeDirs(base::Dirname(path_)).ok());
  check(a.Allocate("c1").status());
  check(a.Release("c1"));
}

TEST_F(AllocatorTest, CorruptFileIsDataLossNamingThePath) {
  const std::vector<std::string> corrupt = {
      "",
      "{",
      "[]",
      "{}",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":""})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":"","Allocations":[]})",
      R"({"Subnet":"192.168.0.0/33","IPRange":"","Gateway":"192.168.0.1",
          "Last":"","Allocations":{}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"10.0.0.1",
          "Last":"","Allocations":{}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"x","Gateway":"192.168.0.1",
          "Last":"","Allocations":{}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":7,"Allocations":{}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":"","Allocations":{"192.168.1.2":"c1"}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":"","Allocations":{"192.168.0.2":1}})",
      R"({"Subnet":"192.168.0.0/24","IPRange":"","Gateway":"192.168.0.1",
          "Last":"","Allocations":{"bogus":"c1"}})",
  };
  ASSERT_TRUE(base::MakeDirs(base::Dirname(path_)).ok());
  Allocator a(path_);
  for (const std::string& data : corrupt) {
    ASSERT_TRUE(base::WriteFileAtomic(path_, data).ok());
    for (absl::Status s : {a.Config().status(), a.Allocations().status(),
                           a.Allocate("c9").status(), a.Release("c9")}) {
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << data << "\n" << s;
      EXPECT_NE(s.message().find(path_), std::string::npos) << s;
    }
    // The corrupt file is left alone for a human to look at.
    EXPECT_EQ(*base::ReadFile(path_), data);
  }
}

TEST_F(AllocatorTest, ConcurrentAllocatorsNeverShareAnAddress) {
  Make(Pool("172.20.0.0/16", "172.20.0.1"));
  constexpr int kThreads = 20;
  std::vector<absl::StatusOr<Ipv4>> got(kThreads, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // One object each: every call opens its own lock file description.
      Allocator mine(path_, "mynet");
      got[i] = mine.Allocate(absl::StrCat("owner", i));
    });
  }
  for (std::thread& t : threads) t.join();

  std::set<Ipv4> distinct;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    distinct.insert(*got[i]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads));
  // Sequential handout: exactly .2 to .21, whatever the order.
  EXPECT_EQ(*distinct.begin(), Ip("172.20.0.2"));
  EXPECT_EQ(*distinct.rbegin(), Ip("172.20.0.21"));

  absl::StatusOr<std::map<Ipv4, std::string>> all =
      Allocator(path_).Allocations();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), static_cast<size_t>(kThreads));
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(all->at(*got[i]), absl::StrCat("owner", i));
  }
}

}  // namespace
}  // namespace mydocker::ipam
