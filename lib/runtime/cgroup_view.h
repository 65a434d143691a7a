// What the container sees at a spec mount of type "cgroup".
//
// The choice, per host layout (the spec cannot say; Docker asks for
// {"/sys/fs/cgroup", "cgroup", ["ro","nosuid","noexec","nodev"]}):
//   - cgroup v1 or hybrid host: a tmpfs at the mount point, and in it one
//     directory per hierarchy, named like the host's mount point ("cpu",
//     "memory", "systemd", "unified"), each a recursive bind of the
//     container's OWN cgroup directory in that hierarchy, read-only if the
//     spec says "ro"; "cpu,cpuacct"-style combined hierarchies also get
//     "cpu" and "cpuacct" symlinks. This is runc's v1 layout without a cgroup
//     namespace; it is used with one too, since binds of the own directory
//     show exactly what a namespaced v1 mount would.
//   - cgroup v2 host: the container's own cgroup directory bound at the mount
//     point, or, with a new cgroup namespace, a fresh cgroup2 mount (which the
//     kernel roots at the namespace).
// The container's cgroups are only known after Options::on_created (which
// places it), so the parent computes the view then and sends it to the child
// with the go message.
//
//   ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo("self"));
//   ASSIGN_OR_RETURN(CgroupView view, CgroupViewOf(pid, mounts,
//                                                  /*new_cgroup_ns=*/false));
#ifndef MYDOCKER_LIB_RUNTIME_CGROUP_VIEW_H_
#define MYDOCKER_LIB_RUNTIME_CGROUP_VIEW_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/runtime/mountinfo.h"

namespace mydocker::runtime {

struct CgroupViewEntry {
  enum class Kind : uint8_t { kBind = 0, kSymlink = 1, kCgroup2 = 2 };
  Kind kind = Kind::kBind;
  std::string name;    // Under the mount point; "" is the mount point itself.
  std::string source;  // kBind: host directory. kSymlink: link target.

  friend bool operator==(const CgroupViewEntry&,
                         const CgroupViewEntry&) = default;
};

struct CgroupView {
  bool tmpfs = false;  // A tmpfs at the mount point holds the entries.
  std::vector<CgroupViewEntry> entries;

  friend bool operator==(const CgroupView&, const CgroupView&) = default;
};

// Pure: the view for a process whose /proc/<pid>/cgroup reads `proc_cgroup`,
// on a host with `host_mounts` (the parent's mountinfo). Hierarchies the host
// has not mounted, or mounted from a root above the process's cgroup, are
// left out. InvalidArgument for a malformed /proc/<pid>/cgroup line.
absl::StatusOr<CgroupView> PlanCgroupView(
    absl::string_view proc_cgroup, const std::vector<MountInfo>& host_mounts,
    bool new_cgroup_ns);

// PlanCgroupView over /proc/<pid>/cgroup and `host_mounts`, the caller's
// mountinfo (ReadMountInfo("self"), which may be read ahead).
absl::StatusOr<CgroupView> CgroupViewOf(pid_t pid,
                                        const std::vector<MountInfo>& host_mounts,
                                        bool new_cgroup_ns);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_CGROUP_VIEW_H_
