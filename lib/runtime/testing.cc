#include "lib/runtime/testing.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::runtime::testing {

std::string Runfile(absl::string_view relative) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "mydocker", "/", relative);
}

std::string ReadAll(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(path, 16 << 20);
  return s.ok() ? *s : "";
}

std::string Link(const std::string& path) {
  char buf[256] = {};
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

absl::Status MakeProbeRootfs(const std::string& rootfs) {
  for (const char* d : {"", "/bin", "/proc", "/sys", "/dev", "/tmp", "/etc",
                        "/home", "/home/user", "/noexec"}) {
    if (mkdir((rootfs + d).c_str(), 0755) != 0) {
      return base::ErrnoStatus(errno, "mkdir ", rootfs, d);
    }
  }
  if (chown((rootfs + "/home/user").c_str(), 1000, 1000) != 0) {
    return base::ErrnoStatus(errno, "chown");
  }
  ASSIGN_OR_RETURN(std::string probe,
                   base::ReadFile(Runfile("lib/runtime/probe_static")));
  RETURN_IF_ERROR(base::WriteFileAtomic(rootfs + "/bin/probe", probe, 0755));
  // Not executable, in two places.
  RETURN_IF_ERROR(base::WriteFileAtomic(rootfs + "/bin/notexec", probe, 0644));
  RETURN_IF_ERROR(
      base::WriteFileAtomic(rootfs + "/noexec/probe", probe, 0644));
  return base::WriteFileAtomic(rootfs + "/etc/file", "x\n", 0644);
}

spec::Spec DefaultSpec(const std::string& rootfs) {
  spec::Spec s;
  s.root.path = rootfs;
  s.hostname = "box";
  s.process.args = {"/bin/probe", "report"};
  s.process.env = {"PATH=/usr/bin:/bin", "FOO=bar"};
  s.process.cwd = "/";
  s.linux.namespaces = {
      {"pid", ""}, {"network", ""}, {"mount", ""}, {"ipc", ""}, {"uts", ""}};
  s.mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev",
       "tmpfs",
       "tmpfs",
       {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
        "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
  };
  s.linux.masked_paths = {"/proc/asound",        "/proc/acpi",
                          "/proc/kcore",         "/proc/keys",
                          "/proc/latency_stats", "/proc/timer_list",
                          "/proc/timer_stats",   "/proc/sched_debug",
                          "/proc/scsi",          "/sys/firmware"};
  s.linux.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger"};
  return s;
}

std::string Drain(int a, int b, std::string* b_text) {
  std::string a_text;
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      (i == 0 ? a_text : *b_text).append(buf, static_cast<size_t>(n));
    }
  }
  return a_text;
}

Output::Output(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    line = absl::StripSuffix(line, "\r");  // A tty's ONLCR.
    std::vector<absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    lines_.emplace_back(std::string(kv[0]),
                        kv.size() > 1 ? std::string(kv[1]) : "");
  }
}

std::string Output::Get(absl::string_view key) const {
  for (const auto& [k, v] : lines_) {
    if (k == key) return v;
  }
  return "<missing " + std::string(key) + ">";
}

std::vector<std::string> Output::All(absl::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : lines_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

std::map<std::string, MountInfo> Output::Mounts() const {
  std::map<std::string, MountInfo> out;
  for (const std::string& line : All("mount")) {
    absl::StatusOr<std::vector<MountInfo>> m = ParseMountInfo(line);
    if (m.ok() && m->size() == 1) out[(*m)[0].mount_point] = (*m)[0];
  }
  return out;
}

}  // namespace mydocker::runtime::testing
