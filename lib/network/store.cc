#include "lib/network/store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/random_id.h"
#include "lib/base/status_macros.h"
#include "lib/ipam/allocator.h"
#include "lib/ipam/pools.h"
#include "lib/store/paths.h"

namespace mydocker::network {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(absl::string_view m) {
  return absl::InvalidArgumentError(m);
}

// The subnets of the bridge networks in `nets`.
std::vector<ipam::Ipv4Prefix> Subnets(const std::vector<Network>& nets) {
  std::vector<ipam::Ipv4Prefix> out;
  for (const Network& n : nets) {
    for (const IpamConfig& c : n.ipam) {
      if (absl::StatusOr<ipam::Ipv4Prefix> p = ipam::ParseSubnet(c.subnet);
          p.ok()) {
        out.push_back(*p);
      }
    }
  }
  return out;
}

}  // namespace

NetworkStore::NetworkStore(std::string root, HostView host)
    : root_(std::move(root)), host_(std::move(host)) {}

std::string NetworkStore::Dir(absl::string_view id) const {
  return absl::StrCat(store::OwnDir(root_), "/networks/", id);
}

std::string NetworkStore::IpamPath(absl::string_view id) const {
  return absl::StrCat(Dir(id), "/ipam.json");
}

absl::StatusOr<base::FileLock> NetworkStore::LockNetwork(
    absl::string_view id) const {
  std::string dir = absl::StrCat(store::OwnDir(root_), "/locks");
  RETURN_IF_ERROR(base::MakeDirs(dir, 0700));
  return base::FileLock::Acquire(absl::StrCat(dir, "/network-", id, ".lock"),
                                 base::FileLock::kExclusive);
}

absl::StatusOr<base::FileLock> NetworkStore::LockAll() const {
  std::string dir = absl::StrCat(store::OwnDir(root_), "/locks");
  RETURN_IF_ERROR(base::MakeDirs(dir, 0700));
  return base::FileLock::Acquire(absl::StrCat(dir, "/networks.lock"),
                                 base::FileLock::kExclusive);
}

absl::StatusOr<Network> NetworkStore::Load(const std::string& id) {
  std::string path = absl::StrCat(Dir(id), "/network.json");
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path, 1 << 20));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::DataLossError(absl::StrCat(path, ": not JSON"));
  }
  absl::StatusOr<Network> n = FromJson(j);
  if (!n.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", n.status().message()));
  }
  return n;
}

absl::Status NetworkStore::Write(const Network& n) {
  RETURN_IF_ERROR(base::MakeDirs(Dir(n.id), 0700));
  return base::WriteFileAtomic(absl::StrCat(Dir(n.id), "/network.json"),
                               // Labels and options are the user's: bytes
                               // that are not UTF-8 must not throw.
                               ToJson(n).dump(4, ' ', false,
                                              Json::error_handler_t::replace) +
                                   "\n",
                               0600);
}

absl::StatusOr<std::vector<Network>> NetworkStore::ListLocked() {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   base::ListDir(absl::StrCat(store::OwnDir(root_), "/networks")));
  std::vector<Network> out;
  for (const std::string& id : ids) {
    absl::StatusOr<Network> n = Load(id);
    // A directory without a record is a create that died half-way.
    if (absl::IsNotFound(n.status())) continue;
    RETURN_IF_ERROR(n.status());
    out.push_back(std::move(*n));
  }
  std::sort(out.begin(), out.end(),
            [](const Network& a, const Network& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<std::vector<Network>> NetworkStore::List() {
  RETURN_IF_ERROR(EnsurePredefined());
  return ListLocked();
}

absl::Status NetworkStore::EnsurePredefined() {
  // Cheap when they are there: no lock, one directory listing.
  ASSIGN_OR_RETURN(std::vector<Network> nets, ListLocked());
  auto has = [&](absl::string_view name) {
    return std::any_of(nets.begin(), nets.end(),
                       [&](const Network& n) { return n.name == name; });
  };
  if (has("bridge") && has("host") && has("none")) return absl::OkStatus();
  ASSIGN_OR_RETURN(base::FileLock lock, LockAll());
  ASSIGN_OR_RETURN(nets, ListLocked());
  for (const char* name : {"bridge", "host", "none"}) {
    if (has(name)) continue;
    CreateRequest r;
    r.name = name;
    if (r.name == "bridge") {
      r.options = {{"com.docker.network.bridge.default_bridge", "true"},
                   {"com.docker.network.bridge.enable_icc", "true"},
                   {"com.docker.network.bridge.enable_ip_masquerade", "true"},
                   {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
                   {std::string(kBridgeNameOption),
                    std::string(kDefaultBridgeDevice)},
                   {"com.docker.network.driver.mtu", "1500"}};
      if (host_.device_address) {
        if (std::optional<ipam::Ipv4Prefix> a =
                host_.device_address(std::string(kDefaultBridgeDevice))) {
          ipam::Ipv4Prefix subnet{a->Network(), a->len};
          bool taken = false;
          for (const ipam::Ipv4Prefix& t : Subnets(nets)) {
            taken |= t.Overlaps(subnet);
          }
          if (!taken && a->len <= 30 && a->addr != subnet.Network() &&
              a->addr != subnet.Broadcast()) {
            r.subnet = ipam::ToString(subnet);
            r.gateway = ipam::ToString(a->addr);
          }
        }
      }
    } else {
      r.driver = r.name == "host" ? "host" : "null";
    }
    ASSIGN_OR_RETURN(Network n, CreateLocked(r, nets, /*predefined=*/true));
    nets.push_back(std::move(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<Network> NetworkStore::Create(const CreateRequest& r) {
  RETURN_IF_ERROR(EnsurePredefined());
  ASSIGN_OR_RETURN(base::FileLock lock, LockAll());
  ASSIGN_OR_RETURN(std::vector<Network> nets, ListLocked());
  return CreateLocked(r, nets, /*predefined=*/false);
}

absl::StatusOr<Network> NetworkStore::CreateLocked(
    const CreateRequest& r, const std::vector<Network>& existing,
    bool predefined) {
  if (!predefined) {
    if (!ValidNetworkName(r.name)) {
      return Invalid(absl::StrCat(
          "invalid network name \"", r.name,
          "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
    }
    if (r.driver != "bridge") {
      return Invalid(absl::StrCat("network driver \"", r.driver,
                                  "\" is not supported (only bridge)"));
    }
    if (r.name == "bridge" || r.name == "host" || r.name == "none") {
      return absl::AlreadyExistsError(absl::StrCat(
          "network with name ", r.name, " already exists"));
    }
  }
  for (const Network& n : existing) {
    if (n.name == r.name) {
      return absl::AlreadyExistsError(
          absl::StrCat("network with name ", r.name, " already exists"));
    }
  }
  Network n;
  n.name = r.name;
  n.driver = r.driver;
  n.internal = r.internal;
  n.attachable = r.attachable;
  n.options = r.options;
  n.labels = r.labels;
  n.created = absl::Now();
  ASSIGN_OR_RETURN(n.id, base::RandomHexId());
  if (n.driver != "bridge") {
    RETURN_IF_ERROR(Write(n));
    return n;
  }

  if (r.subnet.empty() && (!r.gateway.empty() || !r.ip_range.empty())) {
    return Invalid("--gateway and --ip-range need --subnet");
  }
  std::string bridge = n.BridgeName();
  if (bridge.size() > 15 || bridge.empty()) {
    return Invalid(absl::StrCat("bridge name \"", bridge,
                                "\" is longer than 15 characters"));
  }
  for (char c : bridge) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return Invalid(absl::StrCat("bridge name \"", bridge,
                                  "\": only [a-zA-Z0-9_.-] are allowed"));
    }
  }
  for (const Network& o : existing) {
    if (o.IsBridge() && o.BridgeName() == bridge) {
      return absl::AlreadyExistsError(absl::StrCat(
          "bridge name ", bridge, " is already used by network ", o.name));
    }
  }
  std::vector<ipam::Ipv4Prefix> taken = Subnets(existing);
  ipam::PoolConfig pool;
  if (r.subnet.empty()) {
    std::vector<ipam::Ipv4Prefix> in_use = taken;
    if (host_.routes) {
      ASSIGN_OR_RETURN(std::vector<ipam::Ipv4Prefix> routes, host_.routes());
      in_use.insert(in_use.end(), routes.begin(), routes.end());
    }
    ASSIGN_OR_RETURN(pool.subnet, ipam::SelectPool(in_use));
  } else {
    ASSIGN_OR_RETURN(pool.subnet, ipam::ParseSubnet(r.subnet));
    for (size_t i = 0; i < taken.size(); ++i) {
      if (taken[i].Overlaps(pool.subnet)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "subnet ", r.subnet, " overlaps with another network's subnet ",
            ipam::ToString(taken[i])));
      }
    }
  }
  if (pool.subnet.len < 8) {
    return Invalid(absl::StrCat("subnet ", ipam::ToString(pool.subnet),
                                " is too large for a bridge network (/8 at least)"));
  }
  if (pool.subnet.len > 30) {
    return Invalid(absl::StrCat("subnet ", ipam::ToString(pool.subnet),
                                " is too small for a bridge network (/30 at most)"));
  }
  if (!r.ip_range.empty()) {
    ASSIGN_OR_RETURN(ipam::Ipv4Prefix range, ipam::ParseSubnet(r.ip_range));
    pool.ip_range = range;
  }
  if (r.gateway.empty()) {
    pool.gateway = ipam::Ipv4{pool.subnet.Network().value + 1};
  } else {
    ASSIGN_OR_RETURN(pool.gateway, ipam::ParseIpv4(r.gateway));
  }
  RETURN_IF_ERROR(ipam::ValidatePoolConfig(pool));
  n.ipam.push_back({ipam::ToString(pool.subnet),
                    pool.ip_range ? ipam::ToString(*pool.ip_range) : "",
                    ipam::ToString(pool.gateway)});

  // The directory first, the record last: a crash in between leaves a
  // directory ListLocked skips.
  std::string dir = Dir(n.id);
  RETURN_IF_ERROR(base::MakeDirs(dir, 0700));
  auto undo_dir = [&] { (void)base::RemoveAll(dir); };
  ipam::Allocator allocator(IpamPath(n.id), n.name);
  if (absl::Status s = allocator.Create(pool); !s.ok()) {
    undo_dir();
    return s;
  }
  if (!predefined && host_.create_kernel_state) {
    if (absl::Status s = host_.create_kernel_state(n); !s.ok()) {
      // What it made before failing (the bridge, its address) goes too.
      if (host_.remove_kernel_state) (void)host_.remove_kernel_state(n);
      undo_dir();
      return s;
    }
  }
  if (absl::Status s = Write(n); !s.ok()) {
    if (!predefined && host_.remove_kernel_state) {
      (void)host_.remove_kernel_state(n);
    }
    undo_dir();
    return s;
  }
  return n;
}

namespace {

// `ref` among `nets`: a name or full id, else a unique id prefix.
absl::StatusOr<Network> Find(const std::vector<Network>& nets,
                             absl::string_view ref) {
  for (const Network& n : nets) {
    if (n.name == ref || n.id == ref) return n;
  }
  std::vector<const Network*> found;
  if (!ref.empty()) {
    for (const Network& n : nets) {
      if (absl::StartsWith(n.id, ref)) found.push_back(&n);
    }
  }
  if (found.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("network ", ref, " is ambiguous (", found.size(),
                     " matches found based on ID prefix)"));
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("network ", ref, " not found"));
  }
  return *found[0];
}

}  // namespace

absl::StatusOr<Network> NetworkStore::Get(absl::string_view ref) {
  // One listing when the network is there (every container start asks).
  ASSIGN_OR_RETURN(std::vector<Network> nets, ListLocked());
  absl::StatusOr<Network> n = Find(nets, ref);
  if (n.ok() || !absl::IsNotFound(n.status())) return n;
  RETURN_IF_ERROR(EnsurePredefined());
  ASSIGN_OR_RETURN(nets, ListLocked());
  return Find(nets, ref);
}

absl::StatusOr<std::map<std::string, EndpointView>> NetworkStore::ReadEndpoints(
    absl::string_view id) {
  std::map<std::string, EndpointView> out;
  std::string path = absl::StrCat(Dir(id), "/endpoints.json");
  absl::StatusOr<std::string> text = base::ReadFile(path, 16 << 20);
  if (absl::IsNotFound(text.status())) return out;
  RETURN_IF_ERROR(text.status());
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": not a JSON object"));
  }
  for (const auto& [cid, e] : j.items()) {
    if (!e.is_object()) {
      return absl::DataLossError(absl::StrCat(path, ": bad entry ", cid));
    }
    // Not json::value(): it throws on a field of the wrong type.
    EndpointView v;
    for (auto [key, field] : {std::pair{"Name", &v.name},
                              std::pair{"EndpointID", &v.endpoint_id},
                              std::pair{"MacAddress", &v.mac_address},
                              std::pair{"IPv4Address", &v.ipv4_address}}) {
      auto it = e.find(key);
      if (it == e.end() || it->is_null()) continue;
      if (!it->is_string()) {
        return absl::DataLossError(
            absl::StrCat(path, ": bad entry ", cid, ": \"", key, "\""));
      }
      *field = it->get<std::string>();
    }
    out[cid] = std::move(v);
  }
  return out;
}

absl::Status NetworkStore::WriteEndpoints(
    absl::string_view id, const std::map<std::string, EndpointView>& eps) {
  Json j = Json::object();
  for (const auto& [cid, e] : eps) {
    j[cid] = {{"Name", e.name},
              {"EndpointID", e.endpoint_id},
              {"MacAddress", e.mac_address},
              {"IPv4Address", e.ipv4_address}};
  }
  // Remade at every start and released by stale-state recovery: a crash
  // losing the last write loses nothing a reboot keeps.
  return base::WriteFileAtomic(absl::StrCat(Dir(id), "/endpoints.json"),
                               j.dump(4) + "\n", 0600,
                               base::Durability::kAtomicOnly);
}

absl::StatusOr<std::map<std::string, EndpointView>> NetworkStore::Endpoints(
    const Network& n) {
  return ReadEndpoints(n.id);
}

absl::Status NetworkStore::PutEndpoint(const Network& n,
                                       const std::string& container_id,
                                       const EndpointView& e,
                                       const EndpointsFn& then) {
  ASSIGN_OR_RETURN(base::FileLock lock, LockNetwork(n.id));
  ASSIGN_OR_RETURN(auto eps, ReadEndpoints(n.id));
  eps[container_id] = e;
  RETURN_IF_ERROR(WriteEndpoints(n.id, eps));
  if (then) then(eps);
  return absl::OkStatus();
}

absl::Status NetworkStore::DeleteEndpoint(const Network& n,
                                          const std::string& container_id,
                                          const EndpointsFn& then) {
  ASSIGN_OR_RETURN(base::FileLock lock, LockNetwork(n.id));
  ASSIGN_OR_RETURN(auto eps, ReadEndpoints(n.id));
  if (eps.erase(container_id) == 0) return absl::OkStatus();
  RETURN_IF_ERROR(WriteEndpoints(n.id, eps));
  if (then) then(eps);
  return absl::OkStatus();
}

absl::Status NetworkStore::Remove(
    absl::string_view ref,
    const std::function<bool(const std::string&)>& is_stale) {
  RETURN_IF_ERROR(EnsurePredefined());
  ASSIGN_OR_RETURN(base::FileLock all, LockAll());
  // Looked up under the lock: two removes of one network never both go on.
  ASSIGN_OR_RETURN(std::vector<Network> nets, ListLocked());
  ASSIGN_OR_RETURN(Network n, Find(nets, ref));
  if (n.IsPredefined()) {
    return absl::FailedPreconditionError(absl::StrCat(
        n.name, " is a pre-defined network and cannot be removed"));
  }
  {
    ASSIGN_OR_RETURN(base::FileLock lock, LockNetwork(n.id));
    ASSIGN_OR_RETURN(auto eps, ReadEndpoints(n.id));
    std::vector<std::string> active;
    for (const auto& [cid, e] : eps) {
      if (!is_stale || !is_stale(cid)) active.push_back(e.name.empty() ? cid : e.name);
    }
    if (!active.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "error while removing network: network ", n.name, " id ", n.id,
          " has active endpoints (", absl::StrJoin(active, ", "), ")"));
    }
    if (n.IsBridge() && host_.remove_kernel_state) {
      RETURN_IF_ERROR(host_.remove_kernel_state(n));
    }
    // The record first: once it is gone the network is gone, whatever is
    // left of the directory.
    std::string record = absl::StrCat(Dir(n.id), "/network.json");
    if (unlink(record.c_str()) != 0 && errno != ENOENT) {
      return base::ErrnoStatus(errno, "remove ", record);
    }
    RETURN_IF_ERROR(base::RemoveAll(Dir(n.id)));
  }
  unlink(absl::StrCat(store::OwnDir(root_), "/locks/network-", n.id, ".lock")
             .c_str());
  return absl::OkStatus();
}

}  // namespace mydocker::network
