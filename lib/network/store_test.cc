#include "lib/network/store.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/ipam/address.h"
#include "lib/ipam/allocator.h"
#include "nlohmann/json.hpp"

namespace mydocker::network {
namespace {

namespace fs = std::filesystem;
using ::absl::StatusCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

ipam::Ipv4Prefix Net(const std::string& s) {
  absl::StatusOr<ipam::Ipv4Prefix> p = ipam::ParseSubnet(s);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(ipam::Ipv4Prefix{});
}

// A request for a bridge network (designated initializers would trip
// -Wmissing-field-initializers).
CreateRequest Req(std::string name, std::string subnet = "",
                  std::string gateway = "", std::string ip_range = "") {
  CreateRequest r;
  r.name = std::move(name);
  r.subnet = std::move(subnet);
  r.gateway = std::move(gateway);
  r.ip_range = std::move(ip_range);
  return r;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class NetworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/netstore.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
    host_.routes = [this]() -> absl::StatusOr<std::vector<ipam::Ipv4Prefix>> {
      ++route_calls_;
      return routes_;
    };
    host_.create_kernel_state = [this](const Network& n) {
      created_.push_back(n.name);
      // The record is written after the kernel state: not there yet.
      EXPECT_FALSE(fs::exists(NetworksDir() + "/" + n.id + "/network.json"));
      return create_fails_ ? absl::UnavailableError("netlink says no")
                           : absl::OkStatus();
    };
    host_.remove_kernel_state = [this](const Network& n) {
      removed_.push_back(n.name);
      return remove_fails_ ? absl::UnavailableError("netlink says no")
                           : absl::OkStatus();
    };
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string NetworksDir() const { return root_ + "/mydocker/networks"; }

  // The directories under <root>/mydocker/networks.
  std::set<std::string> Dirs() const {
    std::set<std::string> out;
    if (!fs::exists(NetworksDir())) return out;
    for (const auto& e : fs::directory_iterator(NetworksDir())) {
      out.insert(e.path().filename().string());
    }
    return out;
  }

  NetworkStore Store() { return NetworkStore(root_, host_); }

  Network MustCreate(NetworkStore& s, const CreateRequest& r) {
    absl::StatusOr<Network> n = s.Create(r);
    EXPECT_TRUE(n.ok()) << r.name << ": " << n.status();
    return n.value_or(Network{});
  }

  // Create(r) must fail with `code` and a message containing `text`,
  // leaving no directory behind and making no kernel state.
  void ExpectRefused(NetworkStore& s, const CreateRequest& r, StatusCode code,
                     const std::string& text) {
    std::set<std::string> before = Dirs();
    size_t calls = created_.size();
    absl::StatusOr<Network> n = s.Create(r);
    ASSERT_FALSE(n.ok()) << r.name << " " << r.subnet;
    EXPECT_EQ(n.status().code(), code) << n.status();
    EXPECT_THAT(n.status().message(), HasSubstr(text));
    EXPECT_EQ(Dirs(), before) << n.status();
    EXPECT_EQ(created_.size(), calls) << n.status();
  }

  std::string root_;
  HostView host_;
  std::vector<ipam::Ipv4Prefix> routes_ = {Net("172.17.0.0/16")};
  int route_calls_ = 0;
  bool create_fails_ = false;
  bool remove_fails_ = false;
  std::vector<std::string> created_;
  std::vector<std::string> removed_;
};

TEST_F(NetworkStoreTest, EnsurePredefinedRecordsBridgeHostAndNone) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());

  absl::StatusOr<Network> bridge = s.Get("bridge");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  EXPECT_EQ(bridge->driver, "bridge");
  EXPECT_EQ(bridge->options.at(std::string(kBridgeNameOption)), "mydocker0");
  EXPECT_EQ(bridge->options.at(std::string(kDefaultBridgeOption)), "true");
  EXPECT_EQ(bridge->BridgeName(), "mydocker0");
  ASSERT_EQ(bridge->ipam.size(), 1u);
  // 172.17.0.0/16 is routed on the (fake) host: the next default pool.
  EXPECT_EQ(bridge->ipam[0].subnet, "172.18.0.0/16");
  EXPECT_EQ(bridge->ipam[0].gateway, "172.18.0.1");
  EXPECT_EQ(bridge->id.size(), 64u);

  absl::StatusOr<Network> host = s.Get("host");
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(host->driver, "host");
  EXPECT_TRUE(host->ipam.empty());

  absl::StatusOr<Network> none = s.Get("none");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->driver, "null");
  EXPECT_TRUE(none->ipam.empty());

  EXPECT_EQ(Dirs(), (std::set<std::string>{bridge->id, host->id, none->id}));
  // The bridge's addresses are recorded for containers to take.
  absl::StatusOr<ipam::PoolConfig> pool =
      ipam::Allocator(s.IpamPath(bridge->id)).Config();
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(pool->subnet, Net("172.18.0.0/16"));
  // Kernel state of the default bridge is made when a container needs it.
  EXPECT_TRUE(created_.empty());
}

TEST_F(NetworkStoreTest, EnsurePredefinedWithoutRoutesTakesTheFirstPool) {
  routes_.clear();
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  absl::StatusOr<Network> bridge = s.Get("bridge");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  ASSERT_EQ(bridge->ipam.size(), 1u);
  EXPECT_EQ(bridge->ipam[0].subnet, "172.17.0.0/16");
}

// As dockerd takes docker0's address: an existing mydocker0 (another data
// root's, or made by hand) gives the default network its subnet, unless
// that is unusable.
TEST_F(NetworkStoreTest, EnsurePredefinedAdoptsAnExistingMydocker0) {
  std::string asked;
  host_.device_address = [&](const std::string& name)
      -> std::optional<ipam::Ipv4Prefix> {
    asked = name;
    return ipam::Ipv4Prefix{*ipam::ParseIpv4("10.200.0.1"), 24};
  };
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  absl::StatusOr<Network> bridge = s.Get("bridge");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  EXPECT_EQ(asked, "mydocker0");
  ASSERT_EQ(bridge->ipam.size(), 1u);
  EXPECT_EQ(bridge->ipam[0].subnet, "10.200.0.0/24");
  EXPECT_EQ(bridge->ipam[0].gateway, "10.200.0.1");
}

TEST_F(NetworkStoreTest, EnsurePredefinedIgnoresAnUnusableMydocker0Address) {
  // A /32 has no room for containers: a default pool instead.
  host_.device_address = [](const std::string&) -> std::optional<ipam::Ipv4Prefix> {
    return ipam::Ipv4Prefix{*ipam::ParseIpv4("10.200.0.1"), 32};
  };
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  absl::StatusOr<Network> bridge = s.Get("bridge");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  EXPECT_EQ(bridge->ipam[0].subnet, "172.18.0.0/16");
}

TEST_F(NetworkStoreTest, EnsurePredefinedIsIdempotent) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  absl::StatusOr<std::vector<Network>> first = s.List();
  ASSERT_TRUE(first.ok()) << first.status();
  std::set<std::string> dirs = Dirs();
  ASSERT_EQ(dirs.size(), 3u);

  ASSERT_TRUE(s.EnsurePredefined().ok());
  // A second store over the same root (another mydocker process) too.
  NetworkStore other = Store();
  ASSERT_TRUE(other.EnsurePredefined().ok());
  EXPECT_EQ(Dirs(), dirs);
  absl::StatusOr<std::vector<Network>> second = other.List();
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->size(), first->size());
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ((*second)[i].name, (*first)[i].name);
    EXPECT_EQ((*second)[i].id, (*first)[i].id);
    EXPECT_EQ((*second)[i].created, (*first)[i].created);
  }
}

TEST_F(NetworkStoreTest, CreateWithSubnet) {
  NetworkStore s = Store();
  CreateRequest r = Req("my-network", "192.168.0.0/24");
  r.labels = {{"a", "b"}};
  absl::StatusOr<Network> n = s.Create(r);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->name, "my-network");
  EXPECT_EQ(n->driver, "bridge");
  EXPECT_EQ(n->id.size(), 64u);
  ASSERT_EQ(n->ipam.size(), 1u);
  EXPECT_EQ(n->ipam[0].subnet, "192.168.0.0/24");
  EXPECT_EQ(n->ipam[0].gateway, "192.168.0.1");
  EXPECT_EQ(n->ipam[0].ip_range, "");
  EXPECT_EQ(n->BridgeName(), "br-" + n->id.substr(0, 12));
  EXPECT_THAT(created_, ElementsAre("my-network"));

  std::string dir = NetworksDir() + "/" + n->id;
  EXPECT_EQ(s.Dir(n->id), dir);
  ASSERT_TRUE(fs::is_regular_file(dir + "/network.json"));
  ASSERT_TRUE(fs::is_regular_file(dir + "/ipam.json"));
  Json record = Json::parse(ReadText(dir + "/network.json"), nullptr, false);
  ASSERT_TRUE(record.is_object());
  EXPECT_EQ(record["Name"], "my-network");
  EXPECT_EQ(record["Id"], n->id);
  EXPECT_EQ(record["Driver"], "bridge");
  EXPECT_EQ(record["Labels"], Json({{"a", "b"}}));
  EXPECT_EQ(record["IPAM"]["Config"],
            Json::parse(R"([{"Subnet": "192.168.0.0/24",
                             "Gateway": "192.168.0.1"}])"));

  absl::StatusOr<ipam::PoolConfig> pool =
      ipam::Allocator(s.IpamPath(n->id)).Config();
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(pool->subnet, Net("192.168.0.0/24"));
  EXPECT_EQ(ipam::ToString(pool->gateway), "192.168.0.1");

  absl::StatusOr<Network> back = s.Get("my-network");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, n->id);
  EXPECT_EQ(back->created, n->created);
  EXPECT_EQ(back->labels, n->labels);
}

TEST_F(NetworkStoreTest, CreateWithGatewayAndRange) {
  NetworkStore s = Store();
  CreateRequest r =
      Req("ranged", "10.10.0.0/16", "10.10.255.254", "10.10.5.0/24");
  r.internal = true;
  absl::StatusOr<Network> n = s.Create(r);
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_EQ(n->ipam.size(), 1u);
  EXPECT_EQ(n->ipam[0].gateway, "10.10.255.254");
  EXPECT_EQ(n->ipam[0].ip_range, "10.10.5.0/24");
  EXPECT_TRUE(n->internal);
  absl::StatusOr<ipam::PoolConfig> pool =
      ipam::Allocator(s.IpamPath(n->id)).Config();
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE(pool->ip_range.has_value());
  EXPECT_EQ(*pool->ip_range, Net("10.10.5.0/24"));
}

TEST_F(NetworkStoreTest, CreateWithoutSubnetSkipsRoutesAndNetworks) {
  NetworkStore s = Store();
  // 172.19.0.0/16 is taken by a network, 172.20.0.0/16 by a route,
  // 172.17 by a route and 172.18 by the default bridge.
  MustCreate(s, Req("manual", "172.19.3.0/24"));
  routes_.push_back(Net("172.20.128.0/17"));
  absl::StatusOr<Network> a = s.Create(Req("auto-a"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->ipam.size(), 1u);
  EXPECT_EQ(a->ipam[0].subnet, "172.21.0.0/16");
  EXPECT_EQ(a->ipam[0].gateway, "172.21.0.1");
  absl::StatusOr<Network> b = s.Create(Req("auto-b"));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->ipam.size(), 1u);
  EXPECT_EQ(b->ipam[0].subnet, "172.22.0.0/16");
  EXPECT_GT(route_calls_, 0);
}

TEST_F(NetworkStoreTest, CreateRefusesDuplicateName) {
  NetworkStore s = Store();
  MustCreate(s, Req("my-network", "192.168.0.0/24"));
  ExpectRefused(s, Req("my-network", "10.1.0.0/24"), StatusCode::kAlreadyExists,
                "network with name my-network already exists");
  // Even without a subnet (the name is checked before a pool is chosen).
  ExpectRefused(s, Req("my-network"), StatusCode::kAlreadyExists,
                "network with name my-network already exists");
}

TEST_F(NetworkStoreTest, CreateRefusesPredefinedNames) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  for (const char* name : {"bridge", "host", "none"}) {
    ExpectRefused(s, Req(name), StatusCode::kAlreadyExists,
                  absl::StrCat("network with name ", name, " already exists"));
  }
}

TEST_F(NetworkStoreTest, CreateRefusesBadNamesAndDrivers) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  for (const char* name : {"", "-net", "my net", "a/b"}) {
    ExpectRefused(s, Req(name, "10.1.0.0/24"), StatusCode::kInvalidArgument,
                  "invalid network name");
  }
  for (const char* driver : {"overlay", "host", "null", "macvlan"}) {
    CreateRequest r = Req("other-driver");
    r.driver = driver;
    ExpectRefused(s, r, StatusCode::kInvalidArgument,
                  absl::StrCat("network driver \"", driver, "\""));
  }
}

TEST_F(NetworkStoreTest, CreateRefusesOverlappingSubnets) {
  NetworkStore s = Store();
  MustCreate(s, Req("first", "192.168.0.0/24"));
  ExpectRefused(s, Req("same", "192.168.0.0/24"),
                StatusCode::kFailedPrecondition, "overlaps");
  ExpectRefused(s, Req("inner", "192.168.0.128/25"),
                StatusCode::kFailedPrecondition, "192.168.0.0/24");
  ExpectRefused(s, Req("outer", "192.168.0.0/16"),
                StatusCode::kFailedPrecondition, "192.168.0.0/24");
  // The default bridge's subnet counts too.
  ExpectRefused(s, Req("onbridge", "172.18.5.0/24"),
                StatusCode::kFailedPrecondition, "172.18.0.0/16");
  // A neighbour is fine.
  MustCreate(s, Req("second", "192.168.1.0/24"));
}

TEST_F(NetworkStoreTest, CreateRefusesBadAddresses) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  ExpectRefused(s, Req("n1", "192.168.0.0/33"), StatusCode::kInvalidArgument,
                "192.168.0.0/33");
  ExpectRefused(s, Req("n2", "300.1.1.0/24"), StatusCode::kInvalidArgument,
                "300.1.1.0/24");
  ExpectRefused(s, Req("n3", "192.168.0.1/24"), StatusCode::kInvalidArgument,
                "192.168.0.0/24");
  ExpectRefused(s, Req("n4", "fd00::/64"), StatusCode::kInvalidArgument,
                "fd00::/64");
  ExpectRefused(s, Req("n5", "192.168.0.0/24", "192.168.1.1"),
                StatusCode::kInvalidArgument, "192.168.1.1");
  ExpectRefused(s, Req("n6", "192.168.0.0/24", "not-an-ip"),
                StatusCode::kInvalidArgument, "not-an-ip");
  ExpectRefused(s, Req("n7", "192.168.0.0/24", "", "192.168.1.0/25"),
                StatusCode::kInvalidArgument, "192.168.1.0/25");
  ExpectRefused(s, Req("n8", "", "192.168.0.1"), StatusCode::kInvalidArgument,
                "need --subnet");
  ExpectRefused(s, Req("n9", "", "", "192.168.0.0/25"),
                StatusCode::kInvalidArgument, "need --subnet");
  ExpectRefused(s, Req("n10", "192.168.0.0/31"), StatusCode::kInvalidArgument,
                "too small");
}

TEST_F(NetworkStoreTest, CreateRefusesTakenOrLongBridgeNames) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  CreateRequest dup = Req("dup", "10.1.0.0/24");
  dup.options = {{std::string(kBridgeNameOption), "mydocker0"}};
  ExpectRefused(s, dup, StatusCode::kAlreadyExists, "mydocker0");
  CreateRequest long_name = Req("long", "10.1.0.0/24");
  long_name.options = {{std::string(kBridgeNameOption), "a-very-long-bridge"}};
  ExpectRefused(s, long_name, StatusCode::kInvalidArgument,
                "a-very-long-bridge");
  // A chosen name that is free is used.
  CreateRequest mine = Req("mine", "10.1.0.0/24");
  mine.options = {{std::string(kBridgeNameOption), "br-mine"}};
  absl::StatusOr<Network> n = s.Create(mine);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->BridgeName(), "br-mine");
}

TEST_F(NetworkStoreTest, FailedKernelStateLeavesNothing) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  std::set<std::string> before = Dirs();
  create_fails_ = true;
  absl::StatusOr<Network> n = s.Create(Req("my-network", "192.168.0.0/24"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kUnavailable) << n.status();
  EXPECT_THAT(created_, ElementsAre("my-network"));
  EXPECT_EQ(Dirs(), before);
  EXPECT_EQ(s.Get("my-network").status().code(), StatusCode::kNotFound);

  // The name and the subnet are free again.
  create_fails_ = false;
  MustCreate(s, Req("my-network", "192.168.0.0/24"));
}

TEST_F(NetworkStoreTest, FailedRoutesRefuseAPoollessCreate) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  std::set<std::string> before = Dirs();
  host_.routes = []() -> absl::StatusOr<std::vector<ipam::Ipv4Prefix>> {
    return absl::UnavailableError("no netlink");
  };
  NetworkStore broken = Store();
  absl::StatusOr<Network> n = broken.Create(Req("auto"));
  EXPECT_EQ(n.status().code(), StatusCode::kUnavailable) << n.status();
  EXPECT_EQ(Dirs(), before);
  EXPECT_TRUE(created_.empty());
}

TEST_F(NetworkStoreTest, GetByNameIdAndPrefix) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  for (const std::string& ref : {std::string("my-network"), n.id,
                                 n.id.substr(0, 12), n.id.substr(0, 3)}) {
    absl::StatusOr<Network> got = s.Get(ref);
    // A 3-character prefix may also start a predefined network's id.
    if (ref.size() == 3 && !got.ok()) continue;
    ASSERT_TRUE(got.ok()) << ref << ": " << got.status();
    EXPECT_EQ(got->id, n.id) << ref;
    EXPECT_EQ(got->name, "my-network") << ref;
  }
  absl::StatusOr<Network> missing = s.Get("nosuch");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "network nosuch not found");
  EXPECT_EQ(s.Get("").status().code(), StatusCode::kNotFound);
}

TEST_F(NetworkStoreTest, GetPrefersANameToAnIdPrefix) {
  NetworkStore s = Store();
  Network a = MustCreate(s, Req("aa", "10.1.0.0/24"));
  std::string prefix = a.id.substr(0, 12);
  Network b = MustCreate(s, Req(prefix, "10.2.0.0/24"));
  absl::StatusOr<Network> got = s.Get(prefix);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, b.id);
}

TEST_F(NetworkStoreTest, ListIsSortedByName) {
  NetworkStore s = Store();
  MustCreate(s, Req("zeta", "10.1.0.0/24"));
  MustCreate(s, Req("alpha", "10.2.0.0/24"));
  MustCreate(s, Req("mid", "10.3.0.0/24"));
  absl::StatusOr<std::vector<Network>> all = s.List();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> names;
  for (const Network& n : *all) names.push_back(n.name);
  EXPECT_THAT(names,
              ElementsAre("alpha", "bridge", "host", "mid", "none", "zeta"));
}

TEST_F(NetworkStoreTest, ListSkipsAHalfCreatedDirectory) {
  NetworkStore s = Store();
  ASSERT_TRUE(s.EnsurePredefined().ok());
  fs::create_directories(NetworksDir() + "/" + std::string(64, 'f'));
  absl::StatusOr<std::vector<Network>> all = s.List();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(NetworkStoreTest, ListReportsACorruptRecord) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "10.1.0.0/24"));
  std::ofstream(NetworksDir() + "/" + n.id + "/network.json") << "{\"Name\":";
  absl::StatusOr<std::vector<Network>> all = s.List();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(all.status().message(), HasSubstr(n.id));
}

TEST_F(NetworkStoreTest, EndpointsRoundTrip) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  absl::StatusOr<std::map<std::string, EndpointView>> eps = s.Endpoints(n);
  ASSERT_TRUE(eps.ok()) << eps.status();
  EXPECT_TRUE(eps->empty());

  EndpointView web{"web", "e1", "02:42:c0:a8:00:02", "192.168.0.2/24"};
  EndpointView db{"db", "e2", "02:42:c0:a8:00:03", "192.168.0.3/24"};
  std::vector<std::map<std::string, EndpointView>> seen;
  auto then = [&](const std::map<std::string, EndpointView>& m) {
    seen.push_back(m);
    // Called after the write: a reader sees the same.
    absl::StatusOr<std::map<std::string, EndpointView>> now = s.Endpoints(n);
    ASSERT_TRUE(now.ok()) << now.status();
    EXPECT_EQ(now->size(), m.size());
  };
  ASSERT_TRUE(s.PutEndpoint(n, "c1", web, then).ok());
  ASSERT_TRUE(s.PutEndpoint(n, "c2", db, then).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].size(), 1u);
  ASSERT_EQ(seen[1].size(), 2u);
  EXPECT_EQ(seen[1].at("c2").ipv4_address, "192.168.0.3/24");

  // A second store (another process) reads what the first wrote.
  NetworkStore other = Store();
  eps = other.Endpoints(n);
  ASSERT_TRUE(eps.ok()) << eps.status();
  ASSERT_EQ(eps->size(), 2u);
  const EndpointView& got = eps->at("c1");
  EXPECT_EQ(got.name, "web");
  EXPECT_EQ(got.endpoint_id, "e1");
  EXPECT_EQ(got.mac_address, "02:42:c0:a8:00:02");
  EXPECT_EQ(got.ipv4_address, "192.168.0.2/24");

  // Put replaces.
  web.ipv4_address = "192.168.0.9/24";
  ASSERT_TRUE(s.PutEndpoint(n, "c1", web).ok());
  eps = s.Endpoints(n);
  ASSERT_TRUE(eps.ok()) << eps.status();
  EXPECT_EQ(eps->size(), 2u);
  EXPECT_EQ(eps->at("c1").ipv4_address, "192.168.0.9/24");

  seen.clear();
  ASSERT_TRUE(s.DeleteEndpoint(n, "c1", then).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].count("c1"), 0u);
  EXPECT_EQ(seen[0].count("c2"), 1u);
  // Deleting what is not there is OK and changes nothing.
  ASSERT_TRUE(s.DeleteEndpoint(n, "c1", then).ok());
  EXPECT_EQ(seen.size(), 1u);
  eps = s.Endpoints(n);
  ASSERT_TRUE(eps.ok()) << eps.status();
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_EQ(eps->begin()->first, "c2");
}

TEST_F(NetworkStoreTest, CorruptEndpointsAreDataLoss) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  std::string path = NetworksDir() + "/" + n.id + "/endpoints.json";
  for (const char* text : {"[]", "{\"c1\": 5}", "{\"c1\": {\"Name\": 5}}",
                           "{\"c1\": {\"IPv4Address\": [1]}}", "not json"}) {
    std::ofstream(path, std::ios::trunc) << text;
    absl::StatusOr<std::map<std::string, EndpointView>> eps = s.Endpoints(n);
    ASSERT_FALSE(eps.ok()) << text;
    EXPECT_EQ(eps.status().code(), StatusCode::kDataLoss) << text;
  }
}

TEST_F(NetworkStoreTest, RemoveRefusesPredefined) {
  NetworkStore s = Store();
  for (const char* name : {"bridge", "host", "none"}) {
    absl::Status st = s.Remove(name, [](const std::string&) { return true; });
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << name;
    EXPECT_THAT(st.message(), HasSubstr(name));
    EXPECT_TRUE(s.Get(name).ok()) << name;
  }
  EXPECT_TRUE(removed_.empty());
  EXPECT_EQ(Dirs().size(), 3u);
}

TEST_F(NetworkStoreTest, RemoveRefusesWhileAnEndpointIsLive) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  ASSERT_TRUE(
      s.PutEndpoint(n, "c1",
                    {"web", "e1", "02:42:c0:a8:00:02", "192.168.0.2/24"})
          .ok());
  std::vector<std::string> asked;
  absl::Status st = s.Remove("my-network", [&](const std::string& id) {
    asked.push_back(id);
    return false;
  });
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(st.message(), HasSubstr("my-network"));
  EXPECT_THAT(st.message(), HasSubstr("active endpoints"));
  EXPECT_THAT(st.message(), HasSubstr("web"));
  EXPECT_THAT(asked, ElementsAre("c1"));
  EXPECT_TRUE(removed_.empty());
  EXPECT_TRUE(fs::exists(NetworksDir() + "/" + n.id + "/network.json"));
  EXPECT_TRUE(s.Get("my-network").ok());

  // Without an is_stale, every endpoint is live.
  st = s.Remove("my-network", {});
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(s.Get("my-network").ok());
}

TEST_F(NetworkStoreTest, RemoveWithStaleEndpoints) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  ASSERT_TRUE(
      s.PutEndpoint(n, "c1",
                    {"web", "e1", "02:42:c0:a8:00:02", "192.168.0.2/24"})
          .ok());
  ASSERT_TRUE(s.Remove(n.id.substr(0, 12), [](const std::string&) {
                 return true;
               }).ok());
  EXPECT_THAT(removed_, ElementsAre("my-network"));
  EXPECT_FALSE(fs::exists(NetworksDir() + "/" + n.id));
  EXPECT_EQ(s.Get("my-network").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.Remove("my-network", {}).code(), StatusCode::kNotFound);
  // Name and subnet can be used again.
  MustCreate(s, Req("my-network", "192.168.0.0/24"));
}

TEST_F(NetworkStoreTest, RemoveWithoutEndpoints) {
  NetworkStore s = Store();
  Network keep = MustCreate(s, Req("keep", "10.1.0.0/24"));
  Network gone = MustCreate(s, Req("gone", "10.2.0.0/24"));
  ASSERT_TRUE(s.Remove("gone", {}).ok());
  EXPECT_THAT(removed_, ElementsAre("gone"));
  EXPECT_FALSE(fs::exists(NetworksDir() + "/" + gone.id));
  EXPECT_TRUE(fs::exists(NetworksDir() + "/" + keep.id + "/network.json"));
  absl::StatusOr<std::vector<Network>> all = s.List();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 4u);
}

TEST_F(NetworkStoreTest, FailedKernelRemovalKeepsTheNetwork) {
  NetworkStore s = Store();
  Network n = MustCreate(s, Req("my-network", "192.168.0.0/24"));
  remove_fails_ = true;
  absl::Status st = s.Remove("my-network", {});
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st;
  EXPECT_TRUE(fs::exists(NetworksDir() + "/" + n.id + "/network.json"));
  EXPECT_TRUE(s.Get("my-network").ok());
}

}  // namespace
}  // namespace mydocker::network
