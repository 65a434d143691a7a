#include "lib/cgroup/testing.h"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/cgroup/layout.h"

namespace mydocker::cgroup::testing {
namespace {

constexpr char kRoot[] = "/sys/fs/cgroup";
constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

absl::Status Mount(const char* source, const std::string& target,
                   const char* type, const std::string& data) {
  if (::mkdir(target.c_str(), 0755) < 0 && errno != EEXIST) {
    return base::ErrnoStatus(errno, "mkdir ", target);
  }
  if (::mount(source, target.c_str(), type, kFlags,
              data.empty() ? nullptr : data.c_str()) < 0) {
    return base::ErrnoStatus(errno, "mount ", type, " (", data, ") on ",
                             target);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MountHostCgroups() {
  ASSIGN_OR_RETURN(std::string mine, base::ReadFile("/proc/self/mountinfo"));
  if (ParseMountinfo(mine, kRoot).ok()) return absl::OkStatus();

  ASSIGN_OR_RETURN(std::string host, base::ReadFile("/proc/1/mountinfo"));
  absl::StatusOr<Layout> layout = ParseMountinfo(host, kRoot);
  if (!layout.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the host (pid 1) has no cgroups either: ", layout.status().message()));
  }
  if (::unshare(CLONE_NEWNS) < 0) {
    return base::ErrnoStatus(errno, "unshare the mount namespace");
  }
  // Our mounts must not propagate back to the namespace we came from.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) {
    return base::ErrnoStatus(errno, "make / a slave mount");
  }
  if (layout->version == Version::kV2 &&
      layout->unified->mount_point == kRoot) {
    return Mount("cgroup2", kRoot, "cgroup2", "");
  }
  RETURN_IF_ERROR(Mount("tmpfs", kRoot, "tmpfs", "mode=755"));
  for (const Hierarchy& h : layout->v1) {
    std::string opts = absl::StrJoin(h.controllers, ",");
    if (h.controllers.size() == 1 && h.controllers[0].starts_with("name=")) {
      opts = "none," + opts;  // Only a name: bind no controller.
    }
    RETURN_IF_ERROR(Mount("cgroup", h.mount_point, "cgroup", opts));
  }
  if (layout->unified.has_value()) {
    RETURN_IF_ERROR(
        Mount("cgroup2", layout->unified->mount_point, "cgroup2", ""));
  }
  return absl::OkStatus();
}

std::string UniqueTestPath() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return absl::StrCat("/mydocker-test-", getpid(), "-", ts.tv_sec, ts.tv_nsec);
}

}  // namespace mydocker::cgroup::testing
