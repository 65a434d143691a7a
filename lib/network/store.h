// The networks of a data root: their records, their address allocators and
// their attached endpoints, all in folders dockerd does not use (dockerd
// keeps networks in a boltdb, network/files/local-kv.db):
//
//   <root>/mydocker/networks/<id>/network.json    the record (record.h)
//   <root>/mydocker/networks/<id>/ipam.json       its addresses (lib/ipam)
//   <root>/mydocker/networks/<id>/endpoints.json  attached containers:
//       {"<container id>": {"Name", "EndpointID", "MacAddress",
//                           "IPv4Address"}}
//   <root>/mydocker/locks/networks.lock           create, remove, predefined
//   <root>/mydocker/locks/network-<id>.lock       one network's endpoints
//
// The predefined networks (bridge on device mydocker0, host, none) are
// recorded the first time anything asks for networks. A bridge network's
// kernel state (device, address, NAT rules) is made by kernel.h when a
// container needs it, so a reboot that lost it loses nothing.
//
//   NetworkStore store(root);
//   ASSIGN_OR_RETURN(Network n, store.Create({.name = "my-network",
//                                             .subnet = "192.168.0.0/24"}));
//   ASSIGN_OR_RETURN(Network same, store.Get("my-network"));
#ifndef MYDOCKER_LIB_NETWORK_STORE_H_
#define MYDOCKER_LIB_NETWORK_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/file_lock.h"
#include "lib/ipam/address.h"
#include "lib/network/record.h"

namespace mydocker::network {

inline constexpr absl::string_view kDefaultBridgeDevice = "mydocker0";

struct CreateRequest {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;    // "" = pick a free default pool
  std::string gateway;   // "" = the subnet's first address
  std::string ip_range;  // "" = the whole subnet
  bool internal = false;
  bool attachable = false;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> labels;
};

// What the store needs from the host; tests replace it.
struct HostView {
  // IPv4 prefixes routed on the host (a default pool must not overlap one).
  std::function<absl::StatusOr<std::vector<ipam::Ipv4Prefix>>()> routes;
  // Makes a new bridge network's kernel state; undoes it on removal.
  std::function<absl::Status(const Network&)> create_kernel_state;
  std::function<absl::Status(const Network&)> remove_kernel_state;
  // The first IPv4 address (with its prefix length) of network device
  // `name`, if it exists and has one: the default bridge network adopts
  // the address of an existing mydocker0, as dockerd adopts docker0's.
  std::function<std::optional<ipam::Ipv4Prefix>(const std::string& name)>
      device_address;
};

class NetworkStore {
 public:
  // `host` empty: no route check, no kernel state (kernel.h's RealHost()
  // is the real one).
  explicit NetworkStore(std::string root, HostView host = {});

  const std::string& root() const { return root_; }

  // Records bridge, host and none if missing. The bridge network's subnet
  // is that of an existing mydocker0 device (left by another data root, or
  // made by hand), else the first default pool free on the host
  // (172.17.0.0/16 usually).
  absl::Status EnsurePredefined();

  // A new network, its kernel state made. InvalidArgument for a bad name,
  // driver, CIDR or gateway; AlreadyExists for a taken name ("network with
  // name X already exists") or bridge device; FailedPrecondition for a
  // subnet overlapping another network's. Nothing is left on failure.
  absl::StatusOr<Network> Create(const CreateRequest& r);

  // By name, full id or unique id prefix (names win, as in Docker).
  // NotFound: "network X not found".
  absl::StatusOr<Network> Get(absl::string_view ref);
  // Every network, sorted by name.
  absl::StatusOr<std::vector<Network>> List();

  // Removes a user-defined network: its kernel state, then its records.
  // FailedPrecondition for a predefined one or one with endpoints.
  // `is_stale(container_id)` may say an endpoint's container is gone or
  // stopped; such endpoints are released first.
  absl::Status Remove(absl::string_view ref,
                      const std::function<bool(const std::string&)>& is_stale);

  // The attached containers of a network.
  absl::StatusOr<std::map<std::string, EndpointView>> Endpoints(
      const Network& n);

  // Adds (or replaces) and removes one container's endpoint entry, under
  // the network's lock; `then` runs still under it with the new entries
  // (used to refresh the member containers' hosts files).
  using EndpointsFn =
      std::function<void(const std::map<std::string, EndpointView>&)>;
  absl::Status PutEndpoint(const Network& n, const std::string& container_id,
                           const EndpointView& e, const EndpointsFn& then = {});
  absl::Status DeleteEndpoint(const Network& n, const std::string& container_id,
                              const EndpointsFn& then = {});

  // Paths and locks.
  std::string Dir(absl::string_view id) const;
  std::string IpamPath(absl::string_view id) const;
  absl::StatusOr<base::FileLock> LockNetwork(absl::string_view id) const;

 private:
  absl::StatusOr<std::vector<Network>> ListLocked();
  absl::StatusOr<Network> Load(const std::string& id);
  absl::Status Write(const Network& n);
  absl::StatusOr<std::map<std::string, EndpointView>> ReadEndpoints(
      absl::string_view id);
  absl::Status WriteEndpoints(absl::string_view id,
                              const std::map<std::string, EndpointView>& e);
  absl::StatusOr<base::FileLock> LockAll() const;
  absl::StatusOr<Network> CreateLocked(const CreateRequest& r,
                                       const std::vector<Network>& existing,
                                       bool predefined);

  std::string root_;
  HostView host_;
};

}  // namespace mydocker::network

#endif  // MYDOCKER_LIB_NETWORK_STORE_H_
