// The facts about the host that shape a Docker-style spec: which
// capabilities the kernel has, whether containers get a cgroup namespace,
// which network sysctls exist, the host's name and CPU count, and (for
// --privileged) its device nodes. Build() takes them as a value, so its
// tests can pin them down.
//
//   ASSIGN_OR_RETURN(HostFeatures host, DetectHostFeatures());
//   ASSIGN_OR_RETURN(spec::Spec s, Build(image, run, paths, host));
#ifndef MYDOCKER_LIB_SPEC_HOST_H_
#define MYDOCKER_LIB_SPEC_HOST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/spec/docker_defaults.h"
#include "lib/spec/spec.h"

namespace mydocker::spec {

struct HostFeatures {
  // /proc/sys/kernel/cap_last_cap.
  int cap_last_cap = kLastKnownCapability;
  // A private cgroup namespace per container: the kernel has cgroup
  // namespaces and the host runs cgroup v2 (dockerd 20.10's default
  // --default-cgroupns-mode is "private" on v2 and "host" on v1).
  bool cgroup_namespace = false;
  // /proc/sys/net/ipv4/ping_group_range and ip_unprivileged_port_start
  // exist: dockerd sets both in containers with their own network.
  bool ping_group_range = false;
  bool unprivileged_port_start = false;
  // gethostname(): a --network host container's default hostname.
  std::string hostname;
  // CPUs this process may run on: the limit for --cpus.
  int num_cpus = 1;
  // The directory whose device nodes --privileged exposes.
  std::string dev_dir = "/dev";
  // The capabilities this process may still pass on (its bounding set, bit
  // N for capability N); nullopt: all up to cap_last_cap. Inside a
  // container mydocker cannot grant what its own bounding set lacks, so
  // --privileged gets what there is (as podman does) instead of failing.
  std::optional<uint64_t> bounding_set;
};

// Reads the facts above from /proc, /sys and the kernel. FailedPrecondition
// if cap_last_cap is unreadable; the rest have safe fallbacks.
absl::StatusOr<HostFeatures> DetectHostFeatures();

// The character and block devices under `dev_dir`, as runc's HostDevices
// finds them for a privileged container: recursively, in name order,
// skipping the directories pts, shm, fd, mqueue, .lxc, .lxd-mounts and
// .udev, the file "console", FIFOs, symlinks (never followed) and anything
// that vanishes meanwhile. Paths are given under "/dev" whatever `dev_dir`
// is; file_mode/uid/gid are the node's. Errno errors naming the directory.
absl::StatusOr<std::vector<Device>> HostDevices(const std::string& dev_dir);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_HOST_H_
