// A network as mydocker stores it and as `network inspect` prints it: the
// fields of Docker 20.10's types.NetworkResource, written in the same JSON
// shape, so a user reading <root>/mydocker/networks/<id>/network.json sees
// what `docker network inspect` would show (without "Containers", which is
// computed from the network's endpoints when asked for).
//
//   Network n;
//   n.name = "my-network";
//   n.driver = "bridge";
//   n.ipam.push_back({"192.168.0.0/24", "", "192.168.0.1"});
//   std::string text = ToJson(n).dump(4);
//   ASSIGN_OR_RETURN(Network back, FromJson(nlohmann::json::parse(text)));
#ifndef MYDOCKER_LIB_NETWORK_RECORD_H_
#define MYDOCKER_LIB_NETWORK_RECORD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace mydocker::network {

// One IPAM.Config entry.
struct IpamConfig {
  std::string subnet;    // "192.168.0.0/24"
  std::string ip_range;  // "" = the whole subnet
  std::string gateway;   // "192.168.0.1"
};

// Docker's option keys for a bridge network.
inline constexpr absl::string_view kBridgeNameOption =
    "com.docker.network.bridge.name";
inline constexpr absl::string_view kDefaultBridgeOption =
    "com.docker.network.bridge.default_bridge";

struct Network {
  std::string name;
  std::string id;  // 64 hex
  absl::Time created = absl::UnixEpoch();
  std::string scope = "local";
  std::string driver;  // "bridge", "host", "null"
  bool enable_ipv6 = false;
  std::string ipam_driver = "default";
  std::vector<IpamConfig> ipam;
  bool internal = false;
  bool attachable = false;
  bool ingress = false;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> labels;

  // The bridge device of a bridge network: the name option, else
  // "br-" + the first 12 hex of the id (Docker's rule).
  std::string BridgeName() const;
  bool IsBridge() const { return driver == "bridge"; }
  // bridge, host and none: created by mydocker, never removed.
  bool IsPredefined() const {
    return name == "bridge" || name == "host" || name == "none";
  }
};

// One attached container, as "Containers" in `network inspect` shows it.
struct EndpointView {
  std::string name;
  std::string endpoint_id;
  std::string mac_address;
  std::string ipv4_address;  // "192.168.0.2/24"
};

nlohmann::json ToJson(const Network& n);
// The inspect JSON: ToJson plus "Containers" (container id -> endpoint),
// placed where Docker places it.
nlohmann::json InspectJson(const Network& n,
                           const std::map<std::string, EndpointView>& containers);
// DataLoss naming the field when `j` is not a network record.
absl::StatusOr<Network> FromJson(const nlohmann::json& j);

// Network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters (the
// characters Docker allows in container names; they end up in hosts files).
bool ValidNetworkName(absl::string_view name);

}  // namespace mydocker::network

#endif  // MYDOCKER_LIB_NETWORK_RECORD_H_
