#include "lib/spec/docker_defaults.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/file.h"

namespace mydocker::spec {
namespace {

DeviceCgroupRule Rule(bool allow, const char* type,
                      std::optional<int64_t> major,
                      std::optional<int64_t> minor, const char* access) {
  DeviceCgroupRule r;
  r.allow = allow;
  r.type = type;
  r.major = major;
  r.minor = minor;
  r.access = access;
  return r;
}

Device CharDevice(const char* path, int64_t major, int64_t minor) {
  Device d;
  d.path = path;
  d.type = "c";
  d.major = major;
  d.minor = minor;
  d.file_mode = 0666;
  d.uid = 0;
  d.gid = 0;
  return d;
}

}  // namespace

const std::vector<std::string>& CapabilityNames() {
  // linux/capability.h, by number.
  static const std::vector<std::string>* const kNames =
      new std::vector<std::string>{
          "CAP_CHOWN",               // 0
          "CAP_DAC_OVERRIDE",        // 1
          "CAP_DAC_READ_SEARCH",     // 2
          "CAP_FOWNER",              // 3
          "CAP_FSETID",              // 4
          "CAP_KILL",                // 5
          "CAP_SETGID",              // 6
          "CAP_SETUID",              // 7
          "CAP_SETPCAP",             // 8
          "CAP_LINUX_IMMUTABLE",     // 9
          "CAP_NET_BIND_SERVICE",    // 10
          "CAP_NET_BROADCAST",       // 11
          "CAP_NET_ADMIN",           // 12
          "CAP_NET_RAW",             // 13
          "CAP_IPC_LOCK",            // 14
          "CAP_IPC_OWNER",           // 15
          "CAP_SYS_MODULE",          // 16
          "CAP_SYS_RAWIO",           // 17
          "CAP_SYS_CHROOT",          // 18
          "CAP_SYS_PTRACE",          // 19
          "CAP_SYS_PACCT",           // 20
          "CAP_SYS_ADMIN",           // 21
          "CAP_SYS_BOOT",            // 22
          "CAP_SYS_NICE",            // 23
          "CAP_SYS_RESOURCE",        // 24
          "CAP_SYS_TIME",            // 25
          "CAP_SYS_TTY_CONFIG",      // 26
          "CAP_MKNOD",               // 27
          "CAP_LEASE",               // 28
          "CAP_AUDIT_WRITE",         // 29
          "CAP_AUDIT_CONTROL",       // 30
          "CAP_SETFCAP",             // 31
          "CAP_MAC_OVERRIDE",        // 32
          "CAP_MAC_ADMIN",           // 33
          "CAP_SYSLOG",              // 34
          "CAP_WAKE_ALARM",          // 35
          "CAP_BLOCK_SUSPEND",       // 36
          "CAP_AUDIT_READ",          // 37
          "CAP_PERFMON",             // 38
          "CAP_BPF",                 // 39
          "CAP_CHECKPOINT_RESTORE",  // 40
      };
  return *kNames;
}

std::vector<std::string> DefaultCapabilities() {
  return {
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_FSETID",
      "CAP_FOWNER",
      "CAP_MKNOD",
      "CAP_NET_RAW",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETFCAP",
      "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT",
      "CAP_KILL",
      "CAP_AUDIT_WRITE",
  };
}

std::vector<std::string> AllCapabilities(int last_cap) {
  const std::vector<std::string>& names = CapabilityNames();
  int last = std::min(last_cap, kLastKnownCapability);
  if (last < 0) return {};
  return std::vector<std::string>(names.begin(), names.begin() + last + 1);
}

absl::StatusOr<int> ReadCapLastCap(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFile(path, 64);
  if (!text.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", path, ": ", text.status().message()));
  }
  int last = -1;
  // SimpleAtoi allows surrounding whitespace, which is what the kernel's
  // trailing newline needs.
  if (!absl::SimpleAtoi(*text, &last) || last < 0 || last > 63) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a capability number: \"",
                     absl::StripAsciiWhitespace(*text), "\""));
  }
  return last;
}

std::vector<std::string> DefaultMaskedPaths() {
  return {
      "/proc/asound",      "/proc/acpi",          "/proc/kcore",
      "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
      "/sys/firmware",
  };
}

std::vector<std::string> DefaultReadonlyPaths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
          "/proc/sysrq-trigger"};
}

std::vector<Mount> DefaultMounts(int64_t shm_size) {
  return {
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
      {"/sys/fs/cgroup",
       "cgroup",
       "cgroup",
       {"ro", "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777",
        absl::StrCat("size=", shm_size)}},
  };
}

std::vector<Device> DefaultDevices() {
  return {
      CharDevice("/dev/null", 1, 3),    CharDevice("/dev/zero", 1, 5),
      CharDevice("/dev/full", 1, 7),    CharDevice("/dev/random", 1, 8),
      CharDevice("/dev/urandom", 1, 9), CharDevice("/dev/tty", 5, 0),
  };
}

std::vector<DeviceCgroupRule> DefaultDeviceRules() {
  constexpr std::nullopt_t kAny = std::nullopt;
  return {
      // moby oci/defaults.go
      Rule(false, "a", kAny, kAny, "rwm"),
      Rule(true, "c", 1, 5, "rwm"),      // /dev/zero
      Rule(true, "c", 1, 3, "rwm"),      // /dev/null
      Rule(true, "c", 1, 9, "rwm"),      // /dev/urandom
      Rule(true, "c", 1, 8, "rwm"),      // /dev/random
      Rule(true, "c", 5, 0, "rwm"),      // /dev/tty
      Rule(true, "c", 5, 1, "rwm"),      // /dev/console
      Rule(false, "c", 10, 229, "rwm"),  // /dev/fuse
      // runc libcontainer/specconv AllowedDevices
      Rule(true, "c", kAny, kAny, "m"), Rule(true, "b", kAny, kAny, "m"),
      Rule(true, "c", 1, 3, "rwm"),       // /dev/null
      Rule(true, "c", 1, 8, "rwm"),       // /dev/random
      Rule(true, "c", 1, 7, "rwm"),       // /dev/full
      Rule(true, "c", 5, 0, "rwm"),       // /dev/tty
      Rule(true, "c", 1, 5, "rwm"),       // /dev/zero
      Rule(true, "c", 1, 9, "rwm"),       // /dev/urandom
      Rule(true, "c", 136, kAny, "rwm"),  // /dev/pts/*
      Rule(true, "c", 5, 2, "rwm"),       // /dev/ptmx
      Rule(true, "c", 10, 200, "rwm"),    // /dev/net/tun
  };
}

std::vector<DeviceCgroupRule> PrivilegedDeviceRules() {
  return {Rule(true, "a", std::nullopt, std::nullopt, "rwm")};
}

}  // namespace mydocker::spec
