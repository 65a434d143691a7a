// A network's IPv4 address allocator, kept in one JSON file.
//
// Each network has one file (for instance
// <root>/mydocker/networks/<id>/ipam.json) holding its pool and which
// address each owner (a container id) holds:
//
//   {
//     "Subnet": "192.168.0.0/24",
//     "IPRange": "",
//     "Gateway": "192.168.0.1",
//     "Last": "192.168.0.3",
//     "Allocations": {
//       "192.168.0.2": "4f1c...",
//       "192.168.0.3": "9ab2..."
//     }
//   }
//
// Every change happens under an exclusive flock on "<path>.lock" and is
// written with WriteFileAtomic, so concurrent mydocker processes never hand
// out one address twice, and a crash leaves the old or the new file. Reads
// (Config, Allocations) take no lock: the rename makes them see one whole
// version.
//
// Addresses are handed out as dockerd 20.10 does (libnetwork's serial
// allocation): the next free address after the last one handed out,
// wrapping around at the end of the range, so a released address is not
// reused at once. The network and broadcast addresses (for prefixes shorter
// than /31) and the gateway are never handed out.
//
//   Allocator ipam(dir + "/ipam.json", "mynet", network_id);
//   RETURN_IF_ERROR(ipam.Create(
//       {.subnet = subnet, .ip_range = std::nullopt, .gateway = gateway}));
//   ASSIGN_OR_RETURN(Ipv4 ip, ipam.Allocate(container_id));   // 192.168.0.2
//   ...
//   RETURN_IF_ERROR(ipam.Release(container_id));
//
// An Allocator holds no open file or lock between calls: several objects
// (or threads, or processes) may work on one file at once.
#ifndef MYDOCKER_LIB_IPAM_ALLOCATOR_H_
#define MYDOCKER_LIB_IPAM_ALLOCATOR_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/ipam/address.h"

namespace mydocker::ipam {

// The address pool of a network: Docker's IPAM Config entry.
struct PoolConfig {
  Ipv4Prefix subnet;
  // Where dynamic addresses come from; the whole subnet if unset. A
  // requested (static) address may lie anywhere in the subnet, as in Docker.
  std::optional<Ipv4Prefix> ip_range;
  Ipv4 gateway;

  friend bool operator==(const PoolConfig&, const PoolConfig&) = default;
};

// OK if `config` describes a usable pool; otherwise InvalidArgument:
//  - the subnet and ip_range must have their host bits clear
//    ("invalid subnet 192.168.0.1/24: it should be 192.168.0.0/24");
//  - the gateway must lie in the subnet ("no matching subnet for gateway
//    10.0.0.1", the docker CLI's words) and, for prefixes shorter than /31,
//    be neither its network nor its broadcast address;
//  - ip_range must lie inside the subnet
//    ("no matching subnet for range 10.1.0.0/24").
absl::Status ValidatePoolConfig(const PoolConfig& config);

class Allocator {
 public:
  // `path` is the network's IPAM file. `network_name` and `network_id` only
  // go into the "no available addresses" message, in Docker's form
  // "<name> (<id>)"; without an id the subnet stands in its place.
  explicit Allocator(std::string path, std::string network_name = "",
                     std::string network_id = "");

  const std::string& path() const { return path_; }

  // Writes a new file with `config` and no allocations, creating the
  // file's directory if needed. InvalidArgument if ValidatePoolConfig
  // refuses `config`; AlreadyExists if the file is already there.
  absl::Status Create(const PoolConfig& config);

  // The pool the file was created with. NotFound if there is no file,
  // DataLoss if it cannot be understood (both name the path).
  absl::StatusOr<PoolConfig> Config() const;

  // Gives `owner` an address and records it.
  //  - If `owner` already holds one, returns it and changes nothing (so a
  //    retry is harmless); if `requested` names a different address that is
  //    FailedPrecondition.
  //  - With `requested`: exactly that address. InvalidArgument "no
  //    configured subnet or ip-range contain the IP address <a>" if it is
  //    outside the subnet; AlreadyExists "Address already in use" (Docker's
  //    words) if another owner holds it or it is the gateway, the network or
  //    the broadcast address.
  //  - Otherwise the next free address of ip_range (or the subnet) after the
  //    last one handed out this way, wrapping around; ResourceExhausted
  //    "no available IPv4 addresses on this network's address pools:
  //    <name> (<id>)" if there is none.
  // `owner` must be non-empty printable ASCII (InvalidArgument). NotFound /
  // DataLoss as for Config.
  absl::StatusOr<Ipv4> Allocate(const std::string& owner,
                                std::optional<Ipv4> requested = std::nullopt);

  // Frees the address `owner` holds. OK if it holds none (idempotent).
  // NotFound / DataLoss as for Config.
  absl::Status Release(const std::string& owner);

  // Address -> owner for every allocation. NotFound / DataLoss as for
  // Config.
  absl::StatusOr<std::map<Ipv4, std::string>> Allocations() const;

  // Frees every address whose owner `stale(owner)` says is gone (for
  // recovery from containers removed without releasing their address) and
  // returns how many were freed. `stale` runs with the file locked: it must
  // not call into an Allocator on the same file, which would deadlock.
  absl::StatusOr<int> ReleaseIf(
      const std::function<bool(const std::string& owner)>& stale);

 private:
  std::string path_;
  std::string network_name_;
  std::string network_id_;
};

}  // namespace mydocker::ipam

#endif  // MYDOCKER_LIB_IPAM_ALLOCATOR_H_
