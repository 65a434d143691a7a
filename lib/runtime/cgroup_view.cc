#include "lib/runtime/cgroup_view.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::runtime {
namespace {

// The host directory of cgroup `path` under mount `m`, if `m` shows it.
std::optional<std::string> HostDir(const MountInfo& m, absl::string_view path) {
  absl::string_view root = m.root;
  if (root != "/") {
    if (path != root && !absl::StartsWith(path, absl::StrCat(root, "/"))) {
      return std::nullopt;
    }
    path.remove_prefix(root.size());
  }
  if (path.empty() || path == "/") return m.mount_point;
  return absl::StrCat(m.mount_point, path);
}

bool HasAllControllers(const MountInfo& m,
                       const std::vector<absl::string_view>& controllers) {
  std::set<absl::string_view> options = absl::StrSplit(m.super_options, ',');
  for (absl::string_view c : controllers) {
    if (options.count(c) == 0) return false;
  }
  return !controllers.empty();
}

}  // namespace

absl::StatusOr<CgroupView> PlanCgroupView(
    absl::string_view proc_cgroup, const std::vector<MountInfo>& host_mounts,
    bool new_cgroup_ns) {
  const MountInfo* cgroup2 = nullptr;
  bool has_v1 = false;
  for (const MountInfo& m : host_mounts) {
    if (m.fstype == "cgroup") has_v1 = true;
    if (m.fstype == "cgroup2" && cgroup2 == nullptr) cgroup2 = &m;
  }

  CgroupView view;
  view.tmpfs = has_v1 || cgroup2 == nullptr;
  std::set<std::string> names;
  for (absl::string_view line :
       absl::StrSplit(proc_cgroup, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3 || f[2].empty() || f[2][0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed cgroup line \"", line, "\""));
    }
    absl::string_view path = f[2];
    if (f[0] == "0" && f[1].empty()) {  // The v2 hierarchy.
      if (cgroup2 == nullptr) continue;
      std::optional<std::string> dir = HostDir(*cgroup2, path);
      if (!view.tmpfs) {  // A pure v2 host.
        if (new_cgroup_ns) {
          view.entries.push_back({CgroupViewEntry::Kind::kCgroup2, "", ""});
        } else if (dir) {
          view.entries.push_back({CgroupViewEntry::Kind::kBind, "", *dir});
        }
        continue;
      }
      std::string name = base::Basename(cgroup2->mount_point);
      if (dir && names.insert(name).second) {
        view.entries.push_back({CgroupViewEntry::Kind::kBind, name, *dir});
      }
      continue;
    }
    std::vector<absl::string_view> controllers =
        absl::StrSplit(f[1], ',', absl::SkipEmpty());
    for (const MountInfo& m : host_mounts) {
      if (m.fstype != "cgroup" || !HasAllControllers(m, controllers)) continue;
      std::optional<std::string> dir = HostDir(m, path);
      std::string name = base::Basename(m.mount_point);
      if (!dir || !names.insert(name).second) break;
      view.entries.push_back({CgroupViewEntry::Kind::kBind, name, *dir});
      // "cpu,cpuacct" is also reachable as "cpu" and "cpuacct".
      if (absl::StrContains(name, ',')) {
        for (absl::string_view alias : absl::StrSplit(name, ',')) {
          std::string a(alias);
          if (!a.empty() && names.insert(a).second) {
            view.entries.push_back({CgroupViewEntry::Kind::kSymlink, a, name});
          }
        }
      }
      break;
    }
  }
  return view;
}

absl::StatusOr<CgroupView> CgroupViewOf(pid_t pid,
                                        const std::vector<MountInfo>& host_mounts,
                                        bool new_cgroup_ns) {
  ASSIGN_OR_RETURN(
      std::string proc_cgroup,
      base::ReadFile(absl::StrCat("/proc/", pid, "/cgroup"), 1 << 20));
  return PlanCgroupView(proc_cgroup, host_mounts, new_cgroup_ns);
}

}  // namespace mydocker::runtime
