// /proc/<pid>/mountinfo, parsed (proc_pid_mountinfo(5)).
//
//   ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo("self"));
//   for (const MountInfo& m : mounts) if (m.fstype == "cgroup2") ...
#ifndef MYDOCKER_LIB_BASE_MOUNTINFO_H_
#define MYDOCKER_LIB_BASE_MOUNTINFO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::base {

struct MountInfo {
  int id = 0;
  int parent_id = 0;
  std::string root;         // The mount's root within its filesystem.
  std::string mount_point;  // Octal escapes (\040) decoded.
  std::string options;      // Per-mount: "rw,nosuid,relatime".
  std::string optional;     // "shared:1 master:2", "" if none.
  std::string fstype;
  std::string source;
  std::string super_options;  // Per-superblock: "rw,cpu,cpuacct".
};

// Parses mountinfo text, one mount per line. InvalidArgument naming the line
// for a malformed one.
absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(absl::string_view text);

// Reads and parses /proc/<pid>/mountinfo; `pid` may be "self".
absl::StatusOr<std::vector<MountInfo>> ReadMountInfo(absl::string_view pid);

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_MOUNTINFO_H_
