#include "lib/network/record.h"

#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace mydocker::network {
namespace {

using ::absl::StatusCode;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kId[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// 2024-03-15T09:10:11.123456789Z.
absl::Time Created() {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 15, 9, 10, 11),
                         absl::UTCTimeZone()) +
         absl::Nanoseconds(123456789);
}

Network Full() {
  Network n;
  n.name = "my-network";
  n.id = kId;
  n.created = Created();
  n.driver = "bridge";
  n.ipam.push_back({"192.168.0.0/24", "192.168.0.128/25", "192.168.0.1"});
  n.ipam.push_back({"10.9.0.0/16", "", ""});
  n.internal = true;
  n.attachable = true;
  n.options = {{std::string(kBridgeNameOption), "br-mine"},
               {"com.docker.network.driver.mtu", "1400"}};
  n.labels = {{"com.example.team", "net"}, {"empty", ""}};
  return n;
}

std::set<std::string> Keys(const Json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// The keys of Docker 20.10's types.NetworkResource, "Containers" aside.
const std::set<std::string> kRecordKeys = {
    "Name",       "Id",         "Created",  "Scope",      "Driver",
    "EnableIPv6", "IPAM",       "Internal", "Attachable", "Ingress",
    "ConfigFrom", "ConfigOnly", "Options",  "Labels"};

TEST(ToJson, HasDockersShape) {
  Json j = ToJson(Full());
  EXPECT_EQ(Keys(j), kRecordKeys);
  EXPECT_EQ(j["Name"], "my-network");
  EXPECT_EQ(j["Id"], kId);
  EXPECT_EQ(j["Created"], "2024-03-15T09:10:11.123456789Z");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Driver"], "bridge");
  EXPECT_EQ(j["EnableIPv6"], false);
  EXPECT_EQ(j["Internal"], true);
  EXPECT_EQ(j["Attachable"], true);
  EXPECT_EQ(j["Ingress"], false);
  EXPECT_EQ(j["ConfigFrom"], Json({{"Network", ""}}));
  EXPECT_EQ(j["ConfigOnly"], false);
  EXPECT_EQ(j["Options"], Json({{"com.docker.network.bridge.name", "br-mine"},
                                {"com.docker.network.driver.mtu", "1400"}}));
  EXPECT_EQ(j["Labels"], Json({{"com.example.team", "net"}, {"empty", ""}}));

  const Json& ipam = j["IPAM"];
  EXPECT_EQ(Keys(ipam), (std::set<std::string>{"Driver", "Options", "Config"}));
  EXPECT_EQ(ipam["Driver"], "default");
  EXPECT_EQ(ipam["Options"], Json::object());
  ASSERT_TRUE(ipam["Config"].is_array());
  ASSERT_EQ(ipam["Config"].size(), 2u);
  EXPECT_EQ(ipam["Config"][0], Json({{"Subnet", "192.168.0.0/24"},
                                     {"IPRange", "192.168.0.128/25"},
                                     {"Gateway", "192.168.0.1"}}));
  // Docker leaves out what is not set.
  EXPECT_EQ(ipam["Config"][1], Json({{"Subnet", "10.9.0.0/16"}}));
}

TEST(ToJson, WholeSecondsHaveNoFraction) {
  Network n = Full();
  n.created = absl::FromCivil(absl::CivilSecond(2024, 3, 15, 9, 10, 11),
                              absl::UTCTimeZone());
  EXPECT_EQ(ToJson(n)["Created"], "2024-03-15T09:10:11Z");
}

TEST(ToJson, EmptyMapsAreObjectsAndEmptyIpamIsAnArray) {
  Network n;
  n.name = "none";
  n.id = kId;
  n.driver = "null";
  Json j = ToJson(n);
  EXPECT_EQ(j["Options"], Json::object());
  EXPECT_EQ(j["Labels"], Json::object());
  EXPECT_EQ(j["IPAM"]["Config"], Json::array());
}

TEST(ToJson, DefaultBridgeHasNullIpamOptions) {
  Network n = Full();
  n.name = "bridge";
  EXPECT_TRUE(ToJson(n)["IPAM"]["Options"].is_null());
}

TEST(InspectJson, AddsContainers) {
  std::map<std::string, EndpointView> eps = {
      {"c1", {"web", "e1", "02:42:c0:a8:00:02", "192.168.0.2/24"}},
      {"c2", {"db", "e2", "02:42:c0:a8:00:03", "192.168.0.3/24"}}};
  Json j = InspectJson(Full(), eps);
  std::set<std::string> want = kRecordKeys;
  want.insert("Containers");
  EXPECT_EQ(Keys(j), want);
  EXPECT_EQ(j["Containers"], Json({{"c1",
                                    {{"Name", "web"},
                                     {"EndpointID", "e1"},
                                     {"MacAddress", "02:42:c0:a8:00:02"},
                                     {"IPv4Address", "192.168.0.2/24"},
                                     {"IPv6Address", ""}}},
                                   {"c2",
                                    {{"Name", "db"},
                                     {"EndpointID", "e2"},
                                     {"MacAddress", "02:42:c0:a8:00:03"},
                                     {"IPv4Address", "192.168.0.3/24"},
                                     {"IPv6Address", ""}}}}));
  // Everything else is the record's.
  Json rest = j;
  rest.erase("Containers");
  EXPECT_EQ(rest, ToJson(Full()));
}

TEST(InspectJson, NoContainersIsAnEmptyObject) {
  EXPECT_EQ(InspectJson(Full(), {})["Containers"], Json::object());
}

void ExpectSame(const Network& a, const Network& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.scope, b.scope);
  EXPECT_EQ(a.driver, b.driver);
  EXPECT_EQ(a.enable_ipv6, b.enable_ipv6);
  EXPECT_EQ(a.ipam_driver, b.ipam_driver);
  ASSERT_EQ(a.ipam.size(), b.ipam.size());
  for (size_t i = 0; i < a.ipam.size(); ++i) {
    EXPECT_EQ(a.ipam[i].subnet, b.ipam[i].subnet) << i;
    EXPECT_EQ(a.ipam[i].ip_range, b.ipam[i].ip_range) << i;
    EXPECT_EQ(a.ipam[i].gateway, b.ipam[i].gateway) << i;
  }
  EXPECT_EQ(a.internal, b.internal);
  EXPECT_EQ(a.attachable, b.attachable);
  EXPECT_EQ(a.ingress, b.ingress);
  EXPECT_EQ(a.options, b.options);
  EXPECT_EQ(a.labels, b.labels);
}

TEST(FromJson, RoundTripsThroughText) {
  Network n = Full();
  std::string text = ToJson(n).dump(4);
  absl::StatusOr<Network> back = FromJson(Json::parse(text));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, n);
  EXPECT_EQ(back->created - Created(), absl::ZeroDuration());
  EXPECT_EQ(ToJson(*back), ToJson(n));
}

TEST(FromJson, RoundTripsNonDefaultFields) {
  Network n = Full();
  n.scope = "swarm";
  n.enable_ipv6 = true;
  n.ingress = true;
  n.internal = false;
  n.ipam_driver = "custom";
  n.ipam.clear();
  n.options.clear();
  n.labels.clear();
  absl::StatusOr<Network> back = FromJson(ToJson(n));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, n);
}

TEST(FromJson, ReadsDockersOwnOutput) {
  // What `docker network inspect` prints (one array element), offset time
  // included.
  Json j = Json::parse(R"({
    "Name": "bridge",
    "Id": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "Created": "2024-03-15T11:10:11.5+02:00",
    "Scope": "local",
    "Driver": "bridge",
    "EnableIPv6": false,
    "IPAM": {"Driver": "default", "Options": null,
             "Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
    "Internal": false, "Attachable": false, "Ingress": false,
    "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
    "Containers": {},
    "Options": {"com.docker.network.bridge.name": "docker0"},
    "Labels": {}
  })");
  absl::StatusOr<Network> n = FromJson(j);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->name, "bridge");
  EXPECT_EQ(n->created,
            absl::FromCivil(absl::CivilSecond(2024, 3, 15, 9, 10, 11),
                            absl::UTCTimeZone()) +
                absl::Milliseconds(500));
  ASSERT_EQ(n->ipam.size(), 1u);
  EXPECT_EQ(n->ipam[0].subnet, "172.17.0.0/16");
  EXPECT_EQ(n->ipam[0].ip_range, "");
  EXPECT_EQ(n->ipam[0].gateway, "172.17.0.1");
  EXPECT_EQ(n->BridgeName(), "docker0");
}

TEST(FromJson, NullOptionsAndLabelsAreEmpty) {
  Json j = ToJson(Full());
  j["Options"] = nullptr;
  j["Labels"] = nullptr;
  absl::StatusOr<Network> n = FromJson(j);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->options.empty());
  EXPECT_TRUE(n->labels.empty());
}

// FromJson(ToJson(Full())) with `edit` applied must be DataLoss naming
// `field`.
void ExpectDataLoss(const std::function<void(Json&)>& edit,
                    const std::string& field) {
  Json j = ToJson(Full());
  edit(j);
  absl::StatusOr<Network> n = FromJson(j);
  ASSERT_FALSE(n.ok()) << j.dump();
  EXPECT_EQ(n.status().code(), StatusCode::kDataLoss) << n.status();
  EXPECT_THAT(n.status().message(), HasSubstr(field)) << j.dump();
}

TEST(FromJson, RefusesMalformedRecords) {
  ExpectDataLoss([](Json& j) { j.erase("Id"); }, "Id");
  ExpectDataLoss([](Json& j) { j["Id"] = "0123abcd"; }, "Id");
  ExpectDataLoss([](Json& j) { j["Id"] = 5; }, "Id");
  ExpectDataLoss([](Json& j) { j.erase("Name"); }, "Name");
  ExpectDataLoss([](Json& j) { j["Name"] = nullptr; }, "Name");
  ExpectDataLoss([](Json& j) { j.erase("Driver"); }, "Driver");
  ExpectDataLoss([](Json& j) { j["Created"] = "yesterday"; }, "Created");
  ExpectDataLoss([](Json& j) { j["Options"] = "a=b"; }, "Options");
  ExpectDataLoss([](Json& j) { j["Options"] = Json::array({"a"}); }, "Options");
  ExpectDataLoss([](Json& j) { j["Options"]["mtu"] = 1500; }, "Options");
  ExpectDataLoss([](Json& j) { j["Labels"] = 7; }, "Labels");
  ExpectDataLoss([](Json& j) { j["Labels"]["x"] = true; }, "Labels");
  ExpectDataLoss([](Json& j) { j["IPAM"]["Config"][0] = "192.168.0.0/24"; },
                 "IPAM.Config");
  // Wrong types inside an IPAM.Config entry are refused too, not thrown.
  ExpectDataLoss([](Json& j) { j["IPAM"]["Config"][0]["Subnet"] = 42; },
                 "IPAM.Config");
  ExpectDataLoss([](Json& j) { j["IPAM"]["Config"][0]["Gateway"] = true; },
                 "IPAM.Config");
  ExpectDataLoss(
      [](Json& j) { j["IPAM"]["Config"][1]["IPRange"] = Json::object(); },
      "IPAM.Config");
}

TEST(FromJson, RefusesWhatIsNotAnObject) {
  for (const Json& j :
       {Json(nullptr), Json::array(), Json("network"), Json(1)}) {
    absl::StatusOr<Network> n = FromJson(j);
    ASSERT_FALSE(n.ok()) << j.dump();
    EXPECT_EQ(n.status().code(), StatusCode::kDataLoss) << j.dump();
  }
}

TEST(BridgeName, TheOptionWins) {
  Network n = Full();
  EXPECT_EQ(n.BridgeName(), "br-mine");
}

TEST(BridgeName, ElseBrAndTwelveHexOfTheId) {
  Network n = Full();
  n.options.clear();
  EXPECT_EQ(n.BridgeName(), "br-0123456789ab");
  // An empty option is no option.
  n.options[std::string(kBridgeNameOption)] = "";
  EXPECT_EQ(n.BridgeName(), "br-0123456789ab");
}

TEST(Network, PredefinedAndBridge) {
  Network n = Full();
  EXPECT_TRUE(n.IsBridge());
  EXPECT_FALSE(n.IsPredefined());
  for (const char* name : {"bridge", "host", "none"}) {
    n.name = name;
    EXPECT_TRUE(n.IsPredefined()) << name;
  }
  n.driver = "host";
  EXPECT_FALSE(n.IsBridge());
}

TEST(ValidNetworkName, AcceptsDockersNames) {
  for (const char* name :
       {"my-network", "a", "ab", "a1", "9net", "My_Net.v2", "x--", "a.b_c-d"}) {
    EXPECT_TRUE(ValidNetworkName(name)) << name;
  }
}

TEST(ValidNetworkName, RefusesOthers) {
  for (const char* name : {"", "-net", "_net", ".net", "my net", "my/net",
                           "net!", "né", "a\n", "my:net"}) {
    EXPECT_FALSE(ValidNetworkName(name)) << name;
  }
}

}  // namespace
}  // namespace mydocker::network
