#include "lib/cgroup/layout.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/file.h"
#include "lib/base/mountinfo.h"
#include "lib/base/status_macros.h"

namespace mydocker::cgroup {
namespace {

// The v1 controllers the kernel knows; anything else in a cgroup mount's
// super options ("rw", "xattr", "clone_children", "release_agent=...") is a
// flag. Named hierarchies ("name=systemd") are matched by prefix.
constexpr absl::string_view kV1Controllers[] = {
    "cpuset",  "cpu",     "cpuacct", "blkio",      "memory",
    "devices", "freezer", "net_cls", "perf_event", "net_prio",
    "hugetlb", "pids",    "rdma",    "misc",
};

bool IsV1Controller(absl::string_view opt) {
  if (absl::StartsWith(opt, "name=")) return opt.size() > 5;
  return std::find(std::begin(kV1Controllers), std::end(kV1Controllers), opt) !=
         std::end(kV1Controllers);
}

// True if `path` is `dir` or lies below it.
bool IsAtOrBelow(absl::string_view path, absl::string_view dir) {
  if (dir == "/") return absl::StartsWith(path, "/");
  if (!absl::StartsWith(path, dir)) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

std::string StripTrailingSlashes(absl::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

std::set<std::string> ControllerSet(absl::string_view key) {
  std::set<std::string> out;
  for (absl::string_view c : absl::StrSplit(key, ',', absl::SkipEmpty())) {
    out.emplace(c);
  }
  return out;
}

struct CgroupMount {
  bool v2 = false;
  Hierarchy hierarchy;
};

}  // namespace

bool Hierarchy::Has(absl::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) !=
         controllers.end();
}

std::string Hierarchy::Key() const { return absl::StrJoin(controllers, ","); }

const Hierarchy* Layout::FindV1(absl::string_view controller) const {
  for (const Hierarchy& h : v1) {
    if (h.Has(controller)) return &h;
  }
  return nullptr;
}

absl::StatusOr<std::string> Layout::DirOfProcessPath(
    absl::string_view key, absl::string_view cgroup_path) const {
  const Hierarchy* h = nullptr;
  if (key.empty()) {
    if (unified.has_value()) h = &*unified;
  } else {
    const std::set<std::string> want = ControllerSet(key);
    for (const Hierarchy& c : v1) {
      if (std::set<std::string>(c.controllers.begin(), c.controllers.end()) ==
          want) {
        h = &c;
        break;
      }
    }
  }
  if (h == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cgroup hierarchy \"", key, "\": not mounted"));
  }
  if (!IsAtOrBelow(cgroup_path, h->root)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cgroup ", cgroup_path, " in hierarchy \"", key,
                     "\": outside the mount at ", h->mount_point,
                     ", which shows ", h->root));
  }
  absl::string_view rest =
      cgroup_path.substr(h->root == "/" ? 0 : h->root.size());
  if (rest == "/") rest = "";
  return absl::StrCat(h->mount_point, rest);
}

absl::StatusOr<Layout> ParseMountinfo(absl::string_view mountinfo,
                                      absl::string_view root_in) {
  const std::string root = StripTrailingSlashes(root_in);
  absl::StatusOr<std::vector<base::MountInfo>> parsed = base::ParseMountInfo(mountinfo);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("mountinfo: ", parsed.status().message()));
  }
  std::vector<CgroupMount> mounts;
  for (base::MountInfo& mi : *parsed) {
    if (mi.fstype != "cgroup" && mi.fstype != "cgroup2") continue;
    CgroupMount m;
    m.v2 = mi.fstype == "cgroup2";
    m.hierarchy.root = std::move(mi.root);
    m.hierarchy.mount_point = StripTrailingSlashes(mi.mount_point);
    if (!IsAtOrBelow(m.hierarchy.mount_point, root)) continue;
    if (!m.v2) {
      for (absl::string_view opt : absl::StrSplit(mi.super_options, ',')) {
        if (IsV1Controller(opt)) m.hierarchy.controllers.emplace_back(opt);
      }
      if (m.hierarchy.controllers.empty()) continue;  // Nothing to use there.
    }
    // A later mount hides whatever was mounted at or below the same point.
    mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                                [&](const CgroupMount& old) {
                                  return IsAtOrBelow(old.hierarchy.mount_point,
                                                     m.hierarchy.mount_point);
                                }),
                 mounts.end());
    mounts.push_back(std::move(m));
  }

  Layout layout;
  for (CgroupMount& m : mounts) {
    if (m.v2 && m.hierarchy.mount_point == root) {
      layout.version = Version::kV2;
      layout.unified = std::move(m.hierarchy);
      return layout;
    }
  }
  std::set<std::string> seen;
  for (CgroupMount& m : mounts) {
    if (m.v2) {
      if (!layout.unified.has_value()) layout.unified = std::move(m.hierarchy);
      continue;
    }
    // The same hierarchy may be mounted twice below root; use it once.
    bool dup = false;
    for (const std::string& c : m.hierarchy.controllers) {
      if (!seen.insert(c).second) dup = true;
    }
    if (!dup) layout.v1.push_back(std::move(m.hierarchy));
  }
  if (!layout.v1.empty()) {
    layout.version = Version::kV1;
    return layout;
  }
  if (layout.unified.has_value()) {
    layout.version = Version::kV2;
    return layout;
  }
  return absl::NotFoundError(
      absl::StrCat("no cgroup hierarchy mounted at or below ", root));
}

absl::StatusOr<Layout> Detect(absl::string_view root) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFile("/proc/self/mountinfo"));
  return ParseMountinfo(text, root);
}

absl::StatusOr<std::map<std::string, std::string>> ParseProcCgroup(
    absl::string_view text) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    // "hierarchy-id:controller-list:path"; the path itself may hold ':'.
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    int id;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &id) ||
        !absl::StartsWith(f[2], "/")) {
      return absl::DataLossError(
          absl::StrCat("/proc/<pid>/cgroup: malformed line: ", line));
    }
    out[std::string(f[1])] = std::string(f[2]);
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ProcessCgroups(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/cgroup");
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
  absl::StatusOr<std::map<std::string, std::string>> parsed =
      ParseProcCgroup(text);
  if (!parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::Status ValidateCgroupPath(absl::string_view path) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroup path \"", path, "\": ", why));
  };
  if (!absl::StartsWith(path, "/")) return bad("not absolute");
  if (path == "/") return bad("is the root cgroup");
  for (absl::string_view c : absl::StrSplit(path.substr(1), '/')) {
    if (c.empty()) return bad("has an empty component");
    if (c == "." || c == "..") return bad("has a \".\" or \"..\" component");
  }
  return absl::OkStatus();
}

}  // namespace mydocker::cgroup
