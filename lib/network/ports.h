// Host ports published by containers: who holds which, so that a second
// `-p 91:80` is refused before anything changes, and so that each binding
// gets exactly one DNAT rule (lib/nat) while its container runs.
//
//   <root>/mydocker/ports.json   {"tcp/0.0.0.0/91": "<container id>", ...}
//   <root>/mydocker/locks/ports.lock
//
// mydocker holds no socket on a published port (no userland proxy: the
// kernel's DNAT does the work), so a reservation also probes the port with
// bind(2): a host program listening there makes it "already in use".
//
//   ASSIGN_OR_RETURN(auto got, ReservePorts(root, id, {{"tcp", "", 91, 80}},
//                                           is_stale));
//   ...
//   RETURN_IF_ERROR(ReleasePorts(root, id));
#ifndef MYDOCKER_LIB_NETWORK_PORTS_H_
#define MYDOCKER_LIB_NETWORK_PORTS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mydocker::network {

struct PortRequest {
  std::string proto = "tcp";  // "tcp" or "udp"
  std::string host_ip;        // "" = every address (0.0.0.0)
  int host_port = 0;          // 0 = an ephemeral port
  int container_port = 0;
};

struct PublishedPort {
  std::string proto;
  std::string host_ip;  // "0.0.0.0" for every address
  int host_port = 0;
  int container_port = 0;
};

// The ephemeral range, as Docker's port allocator uses it.
inline constexpr int kEphemeralFirst = 49153;
inline constexpr int kEphemeralLast = 60999;

// Reserves every request for `container_id`, all or nothing. A port held
// by another container (unless `is_stale(owner)`, whose entry is dropped)
// is FailedPrecondition "Bind for 0.0.0.0:91 failed: port is already
// allocated"; one a host socket holds, "... address already in use".
// InvalidArgument for a bad protocol, address or port.
// `taken_over`, if given, receives the reservations dropped from stale
// owners (their DNAT elements may still be in place).
absl::StatusOr<std::vector<PublishedPort>> ReservePorts(
    const std::string& root, const std::string& container_id,
    const std::vector<PortRequest>& requests,
    const std::function<bool(const std::string&)>& is_stale = {},
    std::vector<PublishedPort>* taken_over = nullptr);

// Drops every reservation of `container_id` (OK if it has none).
absl::Status ReleasePorts(const std::string& root,
                          const std::string& container_id);

}  // namespace mydocker::network

#endif  // MYDOCKER_LIB_NETWORK_PORTS_H_
