// A container's networks at start and stop: the bridge between the
// container records (NetworkSettings, PortBindings) and lib/network.
//
// A start goes:
//   PrepareNetworks   addresses from each network's IPAM, endpoints
//                     recorded, host ports reserved; c.network_settings
//                     filled (IPAddress, Gateway, MacAddress, Ports ...)
//   (start files: the hosts file gets the addresses)
//   RefreshOwnHosts   the hosts lines of the container's peers
//   ConnectNetworks   once the process exists: bridge made if missing,
//                     veth into its netns, DNAT rules for its ports
// and every way out (failed start, exit, stale recovery, rm) calls
// ReleaseNetworks, which undoes all of it and is idempotent.
//
// Name resolution on user-defined networks is a kept-current hosts file:
// each container's /etc/hosts ends with one block per such network,
//   # mydocker network my-network
//   192.168.0.3	web 1a2b3c4d5e6f
// rewritten in place (the file is bind-mounted) whenever a container
// joins or leaves. The default bridge network has none, as in Docker.
#ifndef MYDOCKER_LIB_ENGINE_NETWORKING_H_
#define MYDOCKER_LIB_ENGINE_NETWORKING_H_

#include <sys/types.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "lib/container/record.h"
#include "lib/nat/rules.h"
#include "lib/network/kernel.h"
#include "lib/network/record.h"

namespace mydocker::engine {

struct NetworkAttachment {
  network::Network net;
  network::Endpoint ep;
  std::string ifname;  // "eth0", "eth1", ...
};

struct NetworkPlan {
  std::vector<NetworkAttachment> attachments;
  std::vector<nat::PortRule> port_rules;
  // Of those, the ones taken from a stale owner, whose DNAT element may
  // still be there.
  std::vector<nat::PortRule> taken_over;
  std::vector<std::string> ips;  // the container's addresses, for hosts
};

// Whether a container with `h` gets a network namespace of its own (not
// --network host or container:...): `run` and the monitor must agree.
bool HasOwnNetns(const container::HostConfig& h);

// See above. On failure, whatever it reserved is released again.
absl::StatusOr<NetworkPlan> PrepareNetworks(const std::string& root,
                                            container::Container& c);
absl::Status ConnectNetworks(const std::string& root, const NetworkPlan& plan,
                             int netns_fd);

// A container's network namespace, made and wired (loopback up, then
// ConnectNetworks) on a thread of its own while the caller prepares the
// rest of the start; the container then joins it by path, as runc joins
// the namespace dockerd prepared. The namespace lives as long as this
// object's fd or a process in it.
//
//   NetnsPreparer netns;
//   netns.Start(root, plan);
//   ... mount the rootfs, build the spec ...
//   ASSIGN_OR_RETURN(int fd, netns.Wait());
//   spec's network namespace path = absl::StrCat("/proc/self/fd/", fd);
//
// A monitor spawned ahead of its container (start.h PendingMonitor) starts
// the bare namespace earlier still (StartBare), while `run` creates the
// container; its start then only wires it.
class NetnsPreparer {
 public:
  NetnsPreparer() = default;
  NetnsPreparer(const NetnsPreparer&) = delete;
  NetnsPreparer& operator=(const NetnsPreparer&) = delete;
  ~NetnsPreparer() {
    if (thread_.joinable()) thread_.join();
  }

  // `plan` must outlive the wait. `bare`, if given, is a preparer whose
  // StartBare runs (it must outlive the wait): its namespace is taken, once
  // made, and only wired (made anew if it could not be).
  void Start(const std::string& root, const NetworkPlan& plan,
             NetnsPreparer* bare = nullptr);
  // Only a new namespace with its loopback up.
  void StartBare();
  // The namespace's fd once it is wired, or why not. Idempotent.
  absl::StatusOr<int> Wait();
  // The fd Wait returned (or none), now the caller's to close.
  base::UniqueFd Take() {
    Join();
    return std::move(fd_);
  }
  bool started() const { return started_; }

 private:
  // Joins the thread, and takes `bare_`'s namespace if that is pending.
  void Join();
  void StartThread(const std::string& root, const NetworkPlan* plan,
                   NetnsPreparer* bare);

  bool started_ = false;
  std::thread thread_;
  NetnsPreparer* bare_ = nullptr;  // Start's `bare`, with nothing to wire.
  base::UniqueFd fd_;
  absl::Status status_;
};
// Releases everything PrepareNetworks and ConnectNetworks made for `c`,
// as recorded in c.network_settings, and clears those fields (NetworkID
// stays, as in Docker). Best effort: every step runs.
//
// With `netns_gone` (the container has exited: its network namespace
// dies with its last process), the veths are left to the kernel, which
// deletes them with the namespace, in the background: deleting one
// ourselves takes 15-20 ms under the rtnl lock, and the kernel does it
// anyway (our delete would only race it).
void ReleaseNetworks(const std::string& root, container::Container& c,
                     bool netns_gone = false);

// Rewrites the peers' blocks of container `id`'s hosts file from the
// endpoints of its user-defined networks.
absl::Status RefreshOwnHosts(const std::string& root,
                             const container::Container& c);

// `network connect` / `network disconnect` for a running container (the
// caller holds its lock and saves the record), or only the record for a
// stopped one.
absl::Status ConnectRunning(const std::string& root, container::Container& c,
                            const network::Network& n, const std::string& ip);
absl::Status DisconnectRunning(const std::string& root, container::Container& c,
                               const network::Network& n);

// What `run`/`create` checks before storing anything: the network named
// by --network exists (NotFound "network X not found"), --ip is an IPv4
// address inside a user-defined network's subnet.
absl::Status VerifyNetwork(const std::string& root,
                           const container::HostConfig& h,
                           const std::string& ip);

// Whether container `id` can hold no network resource any more: its
// record or runtime state says it is not running, and it is not in the
// middle of a start (its lock is free). Never blocks.
bool IsStaleOwner(const std::string& root, const std::string& id);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_NETWORKING_H_
