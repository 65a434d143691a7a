#include "lib/network/record.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mydocker::network {
namespace {

using Json = nlohmann::json;

Json StringMap(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

absl::Status Bad(absl::string_view field) {
  return absl::DataLossError(
      absl::StrCat("network record: missing or malformed \"", field, "\""));
}

}  // namespace

std::string Network::BridgeName() const {
  if (auto it = options.find(std::string(kBridgeNameOption));
      it != options.end() && !it->second.empty()) {
    return it->second;
  }
  return absl::StrCat("br-", id.substr(0, 12));
}

Json ToJson(const Network& n) {
  Json config = Json::array();
  for (const IpamConfig& c : n.ipam) {
    Json e = Json::object();
    e["Subnet"] = c.subnet;
    if (!c.ip_range.empty()) e["IPRange"] = c.ip_range;
    if (!c.gateway.empty()) e["Gateway"] = c.gateway;
    config.push_back(std::move(e));
  }
  Json j = Json::object();
  j["Name"] = n.name;
  j["Id"] = n.id;
  j["Created"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", n.created,
                                  absl::UTCTimeZone());
  j["Scope"] = n.scope;
  j["Driver"] = n.driver;
  j["EnableIPv6"] = n.enable_ipv6;
  j["IPAM"] = {{"Driver", n.ipam_driver},
               {"Options", n.name == "bridge" ? Json(nullptr) : Json::object()},
               {"Config", std::move(config)}};
  j["Internal"] = n.internal;
  j["Attachable"] = n.attachable;
  j["Ingress"] = n.ingress;
  j["ConfigFrom"] = {{"Network", ""}};
  j["ConfigOnly"] = false;
  j["Options"] = StringMap(n.options);
  j["Labels"] = StringMap(n.labels);
  return j;
}

Json InspectJson(const Network& n,
                 const std::map<std::string, EndpointView>& containers) {
  Json j = ToJson(n);
  Json c = Json::object();
  for (const auto& [id, e] : containers) {
    c[id] = {{"Name", e.name},
             {"EndpointID", e.endpoint_id},
             {"MacAddress", e.mac_address},
             {"IPv4Address", e.ipv4_address},
             {"IPv6Address", ""}};
  }
  // nlohmann orders keys; Docker's order does not matter to JSON readers.
  j["Containers"] = std::move(c);
  return j;
}

absl::StatusOr<Network> FromJson(const Json& j) {
  if (!j.is_object()) return Bad("(top level)");
  Network n;
  auto str = [&](const char* key, std::string& out) -> bool {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto boolean = [&](const char* key, bool& out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_boolean()) out = it->get<bool>();
  };
  if (!str("Name", n.name)) return Bad("Name");
  if (!str("Id", n.id) || n.id.size() != 64) return Bad("Id");
  if (!str("Driver", n.driver)) return Bad("Driver");
  std::string created;
  if (str("Created", created)) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, created, &n.created, &err)) {
      return Bad("Created");
    }
  }
  str("Scope", n.scope);
  boolean("EnableIPv6", n.enable_ipv6);
  boolean("Internal", n.internal);
  boolean("Attachable", n.attachable);
  boolean("Ingress", n.ingress);
  if (auto ipam = j.find("IPAM"); ipam != j.end() && ipam->is_object()) {
    if (auto d = ipam->find("Driver"); d != ipam->end() && d->is_string()) {
      n.ipam_driver = d->get<std::string>();
    }
    if (auto cfg = ipam->find("Config"); cfg != ipam->end() && cfg->is_array()) {
      for (const Json& e : *cfg) {
        if (!e.is_object()) return Bad("IPAM.Config");
        IpamConfig c;
        // Not json::value(): it throws on a field of the wrong type.
        for (auto [key, field] : {std::pair{"Subnet", &c.subnet},
                                  std::pair{"IPRange", &c.ip_range},
                                  std::pair{"Gateway", &c.gateway}}) {
          auto it = e.find(key);
          if (it == e.end() || it->is_null()) continue;
          if (!it->is_string()) return Bad("IPAM.Config");
          *field = it->get<std::string>();
        }
        n.ipam.push_back(std::move(c));
      }
    }
  }
  for (auto [key, field] : {std::pair{"Options", &n.options},
                            std::pair{"Labels", &n.labels}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_object()) return Bad(key);
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return Bad(key);
      (*field)[k] = v.get<std::string>();
    }
  }
  return n;
}

bool ValidNetworkName(absl::string_view name) {
  if (name.empty() || name.size() > 128 || !absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace mydocker::network
