// The OCI runtime spec (config.json), the part of it mydocker produces and
// executes. lib/spec turns Docker's image config and `run` flags into one;
// lib/runtime executes one and knows nothing of Docker. A runc-compatible
// applet can later read the same struct from a bundle's config.json.
//
// Field names follow runtime-spec 1.0.2 (config.md, config-linux.md);
// optional JSON fields are std::optional or empty containers here.
#ifndef MYDOCKER_LIB_SPEC_SPEC_H_
#define MYDOCKER_LIB_SPEC_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mydocker::spec {

inline constexpr char kOciVersion[] = "1.0.2";

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::optional<uint32_t> umask;
};

// Capability names as the spec spells them: "CAP_CHOWN", ...
struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  Capabilities capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
};

struct Root {
  std::string path;  // Absolute, or relative to the bundle.
  bool readonly = false;
};

struct Mount {
  std::string destination;  // Absolute path inside the container.
  std::string type;         // "proc", "tmpfs", "bind", "sysfs", ...
  std::string source;
  std::vector<std::string> options;  // "nosuid", "ro", "rbind", "mode=755"...
};

struct Namespace {
  std::string type;  // "pid", "network", "mount", "ipc", "uts", "user", "cgroup"
  std::string path;  // Join this one instead of creating a new one.
};

struct Device {  // A node to create in the container's /dev.
  std::string path;
  std::string type;  // "c", "b", "p"
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // "a", "c", "b"
  std::optional<int64_t> major;  // nullopt = any ("*")
  std::optional<int64_t> minor;
  std::string access;  // Some of "rwm".
};

struct Memory {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;  // Memory + swap, as in the spec.
  std::optional<bool> disable_oom_killer;
};

struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::string cpus;  // cpuset: "0-1"
  std::string mems;
};

struct Pids {
  int64_t limit = 0;  // <= 0: unlimited.
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  std::string cgroups_path;  // "/mydocker/<id>": relative to each hierarchy's root.
  std::optional<Resources> resources;
  std::string rootfs_propagation;  // "private", "rprivate", "slave", ...
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::map<std::string, std::string> sysctl;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
};

struct Spec {
  std::string oci_version = kOciVersion;
  Process process;
  Root root;
  std::string hostname;
  std::vector<Mount> mounts;
  Linux linux;
  std::map<std::string, std::string> annotations;
};

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_SPEC_H_
