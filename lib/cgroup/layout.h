// Where the cgroup hierarchies are mounted, and which version drives them.
//
// Three shapes exist in the wild, and all of them start at /sys/fs/cgroup:
//   v2 ("unified"):  /sys/fs/cgroup is cgroup2; every controller lives there.
//   v1 ("legacy"):   /sys/fs/cgroup is a tmpfs with one cgroup (v1) mount per
//                    hierarchy: memory/, cpu,cpuacct/ (comounted), pids/, ...
//   v1 ("hybrid"):   as legacy, plus a cgroup2 mount at /sys/fs/cgroup/unified
//                    that carries no controllers; it only tracks processes,
//                    and it has cgroup.kill and cgroup.freeze.
// Layout describes one of them; Version::kV1 covers legacy and hybrid (the
// hybrid one has `unified` set).
//
//   ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::Detect());
//   if (layout.version == cgroup::Version::kV2) ...
//   const cgroup::Hierarchy* mem = layout.FindV1("memory");
//
// The parsers take text, so tests (and tools looking at another process)
// need no real mount table.
#ifndef MYDOCKER_LIB_CGROUP_LAYOUT_H_
#define MYDOCKER_LIB_CGROUP_LAYOUT_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::cgroup {

enum class Version { kV1, kV2 };

// One mounted hierarchy.
struct Hierarchy {
  // Where it is mounted: "/sys/fs/cgroup/memory".
  std::string mount_point;
  // Which cgroup the mount shows at `mount_point` (mountinfo's 4th field):
  // "/" normally; a subtree such as "/docker/<id>" for a bind mount given to
  // a container without a cgroup namespace.
  std::string root = "/";
  // v1: the controllers bound to it, in mountinfo's order: {"memory"},
  // {"cpu", "cpuacct"}, {"name=systemd"}. Empty for a cgroup2 mount.
  std::vector<std::string> controllers;

  bool Has(absl::string_view controller) const;
  // The controllers as /proc/<pid>/cgroup spells the hierarchy: "cpu,cpuacct",
  // "name=systemd", and "" for cgroup2.
  std::string Key() const;
};

struct Layout {
  Version version = Version::kV2;
  // v2: the one hierarchy. v1: the hybrid cgroup2 mount, if there is one.
  std::optional<Hierarchy> unified;
  // v1 only: one entry per mounted hierarchy, in mount order. A controller
  // appears in at most one entry.
  std::vector<Hierarchy> v1;

  // The v1 hierarchy that `controller` ("memory", "name=systemd") is bound
  // to, or nullptr.
  const Hierarchy* FindV1(absl::string_view controller) const;

  // The directory of the cgroup at `cgroup_path` in the hierarchy that
  // /proc/<pid>/cgroup names `key` (see Hierarchy::Key; "" is the cgroup2
  // one). `cgroup_path` is as /proc/<pid>/cgroup shows it, so the mount's
  // root is stripped: with memory's root "/docker/x", "/docker/x/a" is
  // "<mount_point>/a". NotFound if no such hierarchy is mounted;
  // FailedPrecondition if the cgroup lies outside what the mount shows.
  absl::StatusOr<std::string> DirOfProcessPath(
      absl::string_view key, absl::string_view cgroup_path) const;
};

// Builds the Layout from the text of a /proc/<pid>/mountinfo, considering
// only cgroup and cgroup2 mounts at or below `root` (a later mount on the
// same point hides an earlier one, as in the kernel). v2 if a cgroup2 mount
// sits at `root` itself; v1 if there are v1 hierarchies below it (with any
// cgroup2 mount below it as `unified`); a lone cgroup2 mount below `root`
// (no v1 hierarchy) is taken as v2 too. NotFound if there is no cgroup mount
// under `root`; DataLoss if a cgroup line is malformed.
absl::StatusOr<Layout> ParseMountinfo(absl::string_view mountinfo,
                                      absl::string_view root);

// ParseMountinfo(/proc/self/mountinfo, root).
absl::StatusOr<Layout> Detect(absl::string_view root = "/sys/fs/cgroup");

// Parses the text of /proc/<pid>/cgroup ("4:memory:/docker/x", "0::/a") into
// hierarchy key (Hierarchy::Key: "memory", "cpu,cpuacct", "name=systemd",
// "" for cgroup2) -> cgroup path. DataLoss if a line is malformed.
absl::StatusOr<std::map<std::string, std::string>> ParseProcCgroup(
    absl::string_view text);

// ParseProcCgroup(/proc/<pid>/cgroup). NotFound if there is no such process.
absl::StatusOr<std::map<std::string, std::string>> ProcessCgroups(pid_t pid);

// Checks a container's cgroup path ("/mydocker/<id>"): absolute, at least
// one component, no empty, "." or ".." components. InvalidArgument naming
// the path otherwise.
absl::Status ValidateCgroupPath(absl::string_view path);

}  // namespace mydocker::cgroup

#endif  // MYDOCKER_LIB_CGROUP_LAYOUT_H_
