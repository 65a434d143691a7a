#include "lib/spec/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"

namespace mydocker::spec {
namespace {

// linux/magic.h
constexpr long kCgroup2SuperMagic = 0x63677270;

// Deeper than any real /dev; stops a pathological tree.
constexpr int kMaxDevDepth = 32;

bool Exists(const char* path) { return ::access(path, F_OK) == 0; }

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

absl::Status Walk(int dir_fd, const std::string& host_dir,
                  const std::string& container_dir, int depth,
                  std::vector<Device>& out) {
  if (depth > kMaxDevDepth) {
    return absl::FailedPreconditionError(
        absl::StrCat(host_dir, ": nested too deep"));
  }
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "open ", host_dir);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
  if (!dir) {
    int err = errno;
    ::close(fd);
    return base::ErrnoStatus(err, "opendir ", host_dir);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    errno = 0;
  }
  if (errno != 0) return base::ErrnoStatus(errno, "readdir ", host_dir);
  std::sort(names.begin(), names.end());

  for (const std::string& name : names) {
    const std::string host_path = absl::StrCat(host_dir, "/", name);
    const std::string container_path = absl::StrCat(container_dir, "/", name);
    struct stat st;
    if (::fstatat(dirfd(dir.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) <
        0) {
      if (errno == ENOENT) continue;
      return base::ErrnoStatus(errno, "stat ", host_path);
    }
    if (S_ISDIR(st.st_mode)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" ||
          name == ".lxc" || name == ".lxd-mounts" || name == ".udev") {
        continue;
      }
      int sub = ::openat(dirfd(dir.get()), name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        if (errno == ENOENT) continue;
        return base::ErrnoStatus(errno, "open ", host_path);
      }
      base::UniqueFd sub_fd(sub);
      RETURN_IF_ERROR(
          Walk(sub_fd.get(), host_path, container_path, depth + 1, out));
      continue;
    }
    if (name == "console") continue;
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    Device d;
    d.path = container_path;
    d.type = S_ISCHR(st.st_mode) ? "c" : "b";
    d.major = static_cast<int64_t>(major(st.st_rdev));
    d.minor = static_cast<int64_t>(minor(st.st_rdev));
    d.file_mode = static_cast<uint32_t>(st.st_mode & ~S_IFMT);
    d.uid = st.st_uid;
    d.gid = st.st_gid;
    out.push_back(std::move(d));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostFeatures> DetectHostFeatures() {
  HostFeatures h;
  ASSIGN_OR_RETURN(h.cap_last_cap, ReadCapLastCap());
  uint64_t bounding = 0;
  for (int cap = 0; cap <= h.cap_last_cap && cap < 64; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) bounding |= uint64_t{1} << cap;
  }
  h.bounding_set = bounding;
  struct statfs fs;
  h.cgroup_namespace = Exists("/proc/self/ns/cgroup") &&
                       ::statfs("/sys/fs/cgroup", &fs) == 0 &&
                       fs.f_type == kCgroup2SuperMagic;
  h.ping_group_range = Exists("/proc/sys/net/ipv4/ping_group_range");
  h.unprivileged_port_start =
      Exists("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0) h.hostname = name;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    h.num_cpus = std::max(1, CPU_COUNT(&set));
  } else {
    h.num_cpus =
        static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  }
  return h;
}

absl::StatusOr<std::vector<Device>> HostDevices(const std::string& dev_dir) {
  int fd = ::open(dev_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "open ", dev_dir);
  base::UniqueFd root(fd);
  std::vector<Device> out;
  RETURN_IF_ERROR(Walk(root.get(), dev_dir, "/dev", 0, out));
  return out;
}

}  // namespace mydocker::spec
