#include "lib/spec/builder.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/spec/caps.h"
#include "lib/spec/docker_defaults.h"
#include "lib/spec/units.h"
#include "lib/spec/user.h"

namespace mydocker::spec {
namespace {

// moby daemon/daemon_unix.go.
constexpr int64_t kMinMemory = 6291456;  // linuxMinMemory: 6 MiB.
constexpr int64_t kMinCpuShares = 2;
constexpr int64_t kMaxCpuShares = 262144;
constexpr uint64_t kCpuPeriod = 100000;  // 100ms in µs, for --cpus.
// The kernel's limit for sethostname/setdomainname (HOST_NAME_MAX).
constexpr size_t kMaxHostnameLength = 64;

const std::set<std::string>& PropagationModes() {
  static const auto* const kModes = new std::set<std::string>{
      "private", "rprivate", "shared", "rshared", "slave", "rslave"};
  return *kModes;
}

absl::Status CheckPaths(const Paths& paths, const RunOptions& run) {
  if (paths.container_id.size() < 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("container id \"", paths.container_id, "\" is too short"));
  }
  if (!absl::StartsWith(paths.rootfs, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs \"", paths.rootfs, "\" is not an absolute path"));
  }
  if (run.init && paths.init_binary.empty()) {
    return absl::InvalidArgumentError("--init: no docker-init binary given");
  }
  return absl::OkStatus();
}

// Entrypoint + Cmd, as the CLI sends them (cli/command/container/opts.go),
// dockerd merges them with the image's (daemon/commit.go merge) and then
// resets an entrypoint of [""] (daemon/create.go mergeAndVerifyConfig).
absl::StatusOr<std::vector<std::string>> Args(const ImageConfig& image,
                                              const RunOptions& run) {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd = run.command;
  if (!run.entrypoint.has_value()) {
    // No --entrypoint: the image's; its Cmd unless a command was given.
    entrypoint = image.entrypoint;
    if (cmd.empty()) cmd = image.cmd;
  } else if (run.entrypoint->empty()) {
    // The API's empty list: no entrypoint, but the image's Cmd stays.
    if (cmd.empty()) cmd = image.cmd;
  } else {
    // --entrypoint X (or ""): the image's Entrypoint and Cmd are both
    // replaced; [""] means no entrypoint at all.
    entrypoint = *run.entrypoint;
    if (entrypoint.size() == 1 && entrypoint[0].empty()) entrypoint.clear();
  }
  if (entrypoint.empty() && cmd.empty()) {
    return absl::InvalidArgumentError("No command specified");
  }
  entrypoint.insert(entrypoint.end(), cmd.begin(), cmd.end());
  return entrypoint;
}

// The user's environment: --env-file entries, then -e (docker/cli
// opts.ReadKVEnvStrings).
absl::StatusOr<std::vector<std::string>> UserEnv(const RunOptions& run) {
  const EnvLookup lookup = run.lookup_env ? run.lookup_env : ProcessEnvLookup();
  std::vector<std::string> env;
  for (const std::string& file : run.env_files) {
    ASSIGN_OR_RETURN(std::vector<std::string> entries,
                     ReadEnvFile(file, lookup));
    env.insert(env.end(), entries.begin(), entries.end());
  }
  for (const std::string& value : run.env) {
    ASSIGN_OR_RETURN(std::string e, ExpandEnvFlag(value, lookup));
    env.push_back(std::move(e));
  }
  return env;
}

// HOME as runc sets it (libcontainer/init_linux.go setupUser): from the
// user's passwd entry when the environment has none or an empty one.
void SetHome(std::vector<std::string>& env, const std::string& home) {
  for (std::string& e : env) {
    if (EnvKey(e) == "HOME") {
      if (e == "HOME=") e = absl::StrCat("HOME=", home);
      return;
    }
  }
  env.push_back(absl::StrCat("HOME=", home));
}

// docker/pkg/parsers ParseUintList syntax: "0-2,4,7-8".
bool ValidCpuset(absl::string_view list) {
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(item, '-');
    if (range.size() > 2) return false;
    int64_t lo = 0, hi = 0;
    for (absl::string_view n : range) {
      if (n.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(n[0]))) {
        return false;
      }
    }
    if (!ParseGoInt(range[0], &lo)) return false;
    hi = lo;
    if (range.size() == 2 && !ParseGoInt(range[1], &hi)) return false;
    if (hi < lo) return false;
  }
  return true;
}

absl::Status SetResources(const RunOptions& run, const HostFeatures& host,
                          Resources& r) {
  // Memory (daemon_unix.go verifyPlatformContainerResources,
  // adaptContainerSettings, getMemoryResources).
  if (run.memory != 0 && run.memory < kMinMemory) {
    return absl::InvalidArgumentError("Minimum memory limit allowed is 6MB");
  }
  if (run.memory_swap < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --memory-swap ", run.memory_swap,
                     ": a size, or -1 for unlimited swap"));
  }
  if (run.memory > 0 && run.memory_swap > 0 && run.memory_swap < run.memory) {
    return absl::InvalidArgumentError(
        "Minimum memoryswap limit should be larger than memory limit, see "
        "usage");
  }
  if (run.memory == 0 && run.memory_swap > 0) {
    return absl::InvalidArgumentError(
        "You should always set the Memory limit when using Memoryswap limit, "
        "see usage");
  }
  if (run.memory_reservation != 0 && run.memory_reservation < kMinMemory) {
    return absl::InvalidArgumentError(
        "Minimum memory reservation allowed is 6MB");
  }
  if (run.memory > 0 && run.memory_reservation > 0 &&
      run.memory < run.memory_reservation) {
    return absl::InvalidArgumentError(
        "Minimum memory limit can not be less than memory reservation limit, "
        "see usage");
  }
  if (run.memory > 0 || run.memory_reservation > 0) {
    Memory m;
    if (run.memory > 0) {
      m.limit = run.memory;
      // Without --memory-swap, swap is as large as memory (the limit on
      // both together is twice the memory); -1 is unlimited, said
      // explicitly here where dockerd leaves the field out.
      m.swap = run.memory_swap == 0 ? 2 * run.memory : run.memory_swap;
    }
    if (run.memory_reservation > 0) m.reservation = run.memory_reservation;
    r.memory = m;
  }

  // CPU (verifyPlatformContainerResources, adaptContainerSettings,
  // getCPUResources).
  if (run.nano_cpus < 0 ||
      run.nano_cpus > int64_t{host.num_cpus} * 1000000000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Range of CPUs is from 0.01 to ", host.num_cpus,
        ".00, as there are only ", host.num_cpus, " CPUs available"));
  }
  if (run.cpu_shares < 0) {
    return absl::InvalidArgumentError("shares: invalid argument");
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"cpus", run.cpuset_cpus},
        std::pair<const char*, const std::string&>{"mems", run.cpuset_mems}}) {
    if (!value.empty() && !ValidCpuset(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid value ", value, " for cpuset ", flag));
    }
  }
  if (run.cpu_shares > 0 || run.nano_cpus > 0 || !run.cpuset_cpus.empty() ||
      !run.cpuset_mems.empty()) {
    Cpu c;
    if (run.cpu_shares > 0) {
      c.shares = static_cast<uint64_t>(
          std::clamp(run.cpu_shares, kMinCpuShares, kMaxCpuShares));
    }
    if (run.nano_cpus > 0) {
      c.period = kCpuPeriod;
      c.quota = run.nano_cpus * static_cast<int64_t>(kCpuPeriod) / 1000000000;
    }
    c.cpus = run.cpuset_cpus;
    c.mems = run.cpuset_mems;
    r.cpu = c;
  }

  // Pids (getPidsLimit): 0 and negative both mean unlimited, said as -1.
  if (run.pids_limit.has_value()) {
    r.pids = Pids{*run.pids_limit > 0 ? *run.pids_limit : -1};
  }
  return absl::OkStatus();
}

void RemoveOption(Mount& m, absl::string_view option) {
  m.options.erase(std::remove(m.options.begin(), m.options.end(), option),
                  m.options.end());
}

// The mounts, after daemon/oci_linux.go WithMounts (and
// daemon/volumes_unix.go setupMounts, container NetworkMounts/TmpfsMounts).
absl::Status SetMounts(const RunOptions& run, const Paths& paths, Spec& s) {
  std::vector<Mount> user_mounts;
  std::set<std::string> user_dests;
  auto add_user_mount = [&](Mount m) -> absl::Status {
    if (!user_dests.insert(m.destination).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Duplicate mount point: ", m.destination));
    }
    user_mounts.push_back(std::move(m));
    return absl::OkStatus();
  };

  // Binds and volumes, then the /etc files, then tmpfs: Docker's order
  // before its sort by depth.
  s.linux.rootfs_propagation = "rslave";
  for (BindMount b : run.binds) {
    if (!absl::StartsWith(b.source, "/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bind source '", b.source, "' must be an absolute path"));
    }
    if (!absl::StartsWith(b.destination, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mount path: '", b.destination,
                       "' mount path must be absolute"));
    }
    b.destination = CleanPath(b.destination);
    if (b.destination == "/") {
      return absl::InvalidArgumentError(
          "invalid specification: destination can't be '/'");
    }
    if (b.propagation.empty()) b.propagation = "rprivate";
    if (!PropagationModes().count(b.propagation)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid propagation mode: ", b.propagation));
    }
    // A shared or slave bind needs the root mount to pass events on.
    const std::string& root = s.linux.rootfs_propagation;
    if (b.propagation == "shared" || b.propagation == "rshared") {
      if (root != "shared" && root != "rshared") {
        s.linux.rootfs_propagation = "shared";
      }
    } else if (b.propagation == "slave" || b.propagation == "rslave") {
      if (root != "shared" && root != "rshared" && root != "slave" &&
          root != "rslave") {
        s.linux.rootfs_propagation = "rslave";
      }
    }
    RETURN_IF_ERROR(add_user_mount(b.ToSpecMount()));
  }

  // --tmpfs: the CLI keeps one per destination, the last.
  std::map<std::string, TmpfsMount> tmpfs;
  std::vector<std::string> tmpfs_order;
  for (const std::string& value : run.tmpfs) {
    ASSIGN_OR_RETURN(TmpfsMount t, ParseTmpfs(value));
    if (!tmpfs.count(t.destination)) tmpfs_order.push_back(t.destination);
    tmpfs[t.destination] = std::move(t);
  }

  // The /etc files, unless the user mounts something there.
  const std::pair<const char*, const std::string&> etc_files[] = {
      {"/etc/resolv.conf", paths.resolv_conf_file},
      {"/etc/hostname", paths.hostname_file},
      {"/etc/hosts", paths.hosts_file},
  };
  for (const auto& [dest, file] : etc_files) {
    if (file.empty() || user_dests.count(dest) || tmpfs.count(dest)) continue;
    BindMount b;
    b.source = file;
    b.destination = dest;
    b.read_only = run.read_only;
    RETURN_IF_ERROR(add_user_mount(b.ToSpecMount()));
  }
  for (const std::string& dest : tmpfs_order) {
    ASSIGN_OR_RETURN(Mount m, tmpfs[dest].ToSpecMount());
    RETURN_IF_ERROR(add_user_mount(std::move(m)));
  }
  SortMountsByDepth(user_mounts);

  // Docker's defaults, less what the user replaces; everything under /dev
  // goes if the user mounts /dev.
  std::vector<Mount> defaults =
      DefaultMounts(run.shm_size > 0 ? run.shm_size : kDefaultShmSize);
  if (run.init) {
    defaults.push_back(
        {kInContainerInitPath, "bind", paths.init_binary, {"bind", "ro"}});
  }
  const bool user_dev = user_dests.count("/dev") > 0;
  for (Mount& m : defaults) {
    if (user_dests.count(m.destination)) continue;
    if (user_dev && absl::StartsWith(m.destination, "/dev/")) continue;
    if (run.read_only) {
      static const auto* const kStayWritable = new std::set<std::string>{
          "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"};
      if (!kStayWritable->count(m.destination) &&
          std::find(m.options.begin(), m.options.end(), "ro") ==
              m.options.end()) {
        m.options.push_back("ro");
      }
    }
    s.mounts.push_back(std::move(m));
  }
  for (Mount& m : user_mounts) s.mounts.push_back(std::move(m));

  if (run.privileged) {
    for (Mount& m : s.mounts) {
      if (m.destination == "/sys" || m.type == "cgroup") RemoveOption(m, "ro");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckName(absl::string_view what, const std::string& name) {
  if (name.size() > kMaxHostnameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", name, "\": longer than ",
                     kMaxHostnameLength, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplySecurityOpt(absl::string_view opt, RunOptions& run) {
  // moby daemon/daemon_unix.go parseSecurityOpt; docker/cli
  // parseSecurityOpts and parseSystemPaths.
  if (opt == "no-new-privileges") {
    run.no_new_privileges = true;
    return absl::OkStatus();
  }
  if (opt == "disable") return absl::OkStatus();  // label=disable, old form.
  size_t sep = opt.find('=');
  if (sep == absl::string_view::npos) sep = opt.find(':');
  if (sep == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --security-opt: \"", opt, "\""));
  }
  absl::string_view key = opt.substr(0, sep);
  absl::string_view value = opt.substr(sep + 1);
  if (key == "no-new-privileges") {
    // Go's strconv.ParseBool.
    static const auto* const kTrue =
        new std::set<absl::string_view>{"1", "t", "T", "TRUE", "true", "True"};
    static const auto* const kFalse = new std::set<absl::string_view>{
        "0", "f", "F", "FALSE", "false", "False"};
    if (kTrue->count(value)) {
      run.no_new_privileges = true;
    } else if (kFalse->count(value)) {
      run.no_new_privileges = false;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --security-opt 2: \"", opt, "\""));
    }
    return absl::OkStatus();
  }
  if (key == "systempaths" && value == "unconfined") {
    run.unconfined_system_paths = true;
    return absl::OkStatus();
  }
  if ((key == "seccomp" || key == "apparmor") && value == "unconfined") {
    return absl::OkStatus();
  }
  if (key == "label" && value == "disable") return absl::OkStatus();
  if (key == "seccomp" || key == "apparmor" || key == "label") {
    return absl::UnimplementedError(absl::StrCat(
        "--security-opt ", opt, ": mydocker applies no ", key, " profiles"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --security-opt 2: \"", opt, "\""));
}

absl::Status CheckRunOptions(const RunOptions& run, const HostFeatures& host) {
  Resources resources;
  RETURN_IF_ERROR(SetResources(run, host, resources));
  RETURN_IF_ERROR(TweakCapabilities(run.cap_add, run.cap_drop, run.privileged,
                                    host.cap_last_cap)
                      .status());
  for (const std::string& value : run.tmpfs) {
    ASSIGN_OR_RETURN(TmpfsMount t, ParseTmpfs(value));
    RETURN_IF_ERROR(t.ToSpecMount().status());
  }
  return absl::OkStatus();
}

absl::StatusOr<Resources> BuildResources(const RunOptions& run,
                                         const HostFeatures& host) {
  Resources resources;
  resources.devices =
      run.privileged ? PrivilegedDeviceRules() : DefaultDeviceRules();
  RETURN_IF_ERROR(SetResources(run, host, resources));
  return resources;
}

absl::StatusOr<Spec> Build(const ImageConfig& image, const RunOptions& run,
                           const Paths& paths, const HostFeatures& host) {
  RETURN_IF_ERROR(CheckPaths(paths, run));
  Spec s;
  Process& p = s.process;

  // What runs (WithCommonOptions: the init, if any, runs the rest).
  ASSIGN_OR_RETURN(p.args, Args(image, run));
  if (run.init) {
    p.args.insert(p.args.begin(), {kInContainerInitPath, "--"});
  }

  // Network mode (daemon/oci_linux.go WithNamespaces).
  const std::string network = run.network.empty() ? "default" : run.network;
  if (absl::StartsWith(network, "container:")) {
    return absl::UnimplementedError(
        absl::StrCat("--network ", network,
                     ": joining another container's network is "
                     "not supported"));
  }
  const bool host_network = network == "host";

  // Hostname (daemon/container.go newContainer).
  std::string hostname = run.hostname;
  if (hostname.empty()) {
    hostname = host_network ? host.hostname : paths.container_id.substr(0, 12);
  }
  RETURN_IF_ERROR(CheckName("hostname", hostname));
  RETURN_IF_ERROR(CheckName("domainname", run.domainname));
  s.hostname = hostname;

  // Working directory (daemon/commit.go merge, daemon/container.go
  // translateWorkingDir; container.SetupWorkingDirectory cleans it).
  std::string cwd = run.workdir.empty() ? image.working_dir : run.workdir;
  if (cwd.empty()) cwd = "/";
  if (!absl::StartsWith(cwd, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the working directory '", cwd,
                     "' is invalid, it needs to be an absolute path"));
  }
  p.cwd = CleanPath(cwd);

  // User, resolved in the container's own files (daemon/oci_linux.go
  // getUser).
  int fd = ::open(paths.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "open rootfs ", paths.rootfs);
  base::UniqueFd rootfs(fd);
  ASSIGN_OR_RETURN(
      ExecUser user,
      ResolveUser(rootfs.get(), run.user.empty() ? image.user : run.user));
  ASSIGN_OR_RETURN(std::vector<uint32_t> added,
                   ResolveGroups(rootfs.get(), run.group_add));
  p.user.uid = user.uid;
  p.user.gid = user.gid;
  std::vector<uint32_t> all_gids = {user.gid};
  all_gids.insert(all_gids.end(), user.sgids.begin(), user.sgids.end());
  all_gids.insert(all_gids.end(), added.begin(), added.end());
  for (uint32_t g : all_gids) {
    if (std::find(p.user.additional_gids.begin(), p.user.additional_gids.end(),
                  g) == p.user.additional_gids.end()) {
      p.user.additional_gids.push_back(g);
    }
  }

  // Environment (container.CreateDaemonEnvironment over merge's Env).
  ASSIGN_OR_RETURN(std::vector<std::string> user_env, UserEnv(run));
  std::vector<std::string> base_env = {absl::StrCat("PATH=", kDefaultPathEnv),
                                       absl::StrCat("HOSTNAME=", hostname)};
  if (run.tty) base_env.push_back("TERM=xterm");
  p.env = ReplaceOrAppendEnv(std::move(base_env),
                             MergeImageEnv(user_env, image.env));
  SetHome(p.env, user.home);

  p.terminal = run.tty;
  p.no_new_privileges = run.no_new_privileges;
  if (run.oom_score_adj < -1000 || run.oom_score_adj > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid value ", run.oom_score_adj,
                     ", range for oom score adj is [-1000, 1000]"));
  }
  p.oom_score_adj = run.oom_score_adj;

  // Capabilities (WithCapabilities, oci.SetCapabilities: since 20.10.14
  // a non-root process gets only the bounding set, as execve would leave
  // it).
  ASSIGN_OR_RETURN(std::vector<std::string> caps,
                   TweakCapabilities(run.cap_add, run.cap_drop, run.privileged,
                                     host.cap_last_cap));
  if (run.privileged && host.bounding_set) {
    // Only what this process can still grant (see HostFeatures).
    const std::vector<std::string> all = AllCapabilities(host.cap_last_cap);
    std::vector<std::string> kept;
    for (size_t n = 0; n < all.size() && n < 64; ++n) {
      if (*host.bounding_set & (uint64_t{1} << n)) kept.push_back(all[n]);
    }
    caps = std::move(kept);
  }
  p.capabilities.bounding = caps;
  if (p.user.uid == 0) {
    p.capabilities.effective = caps;
    p.capabilities.permitted = caps;
  }

  // Root and cgroup.
  s.root.path = paths.rootfs;
  s.root.readonly = run.read_only;
  s.linux.cgroups_path = paths.cgroups_path;

  // Namespaces (oci.DefaultLinuxSpec order, WithNamespaces).
  s.linux.namespaces.push_back({"mount", ""});
  if (!host_network) s.linux.namespaces.push_back({"network", ""});
  s.linux.namespaces.push_back({"uts", ""});
  s.linux.namespaces.push_back({"pid", ""});
  s.linux.namespaces.push_back({"ipc", ""});
  if (host.cgroup_namespace) s.linux.namespaces.push_back({"cgroup", ""});

  RETURN_IF_ERROR(SetMounts(run, paths, s));

  if (!run.privileged && !run.unconfined_system_paths) {
    s.linux.masked_paths = DefaultMaskedPaths();
    s.linux.readonly_paths = DefaultReadonlyPaths();
  }

  // Devices (WithDevices).
  if (run.privileged) {
    ASSIGN_OR_RETURN(s.linux.devices, HostDevices(host.dev_dir));
  } else {
    s.linux.devices = DefaultDevices();
  }
  ASSIGN_OR_RETURN(s.linux.resources, BuildResources(run, host));

  // Sysctls (setLinuxDomainname, WithCommonOptions).
  if (!run.domainname.empty()) {
    s.linux.sysctl["kernel.domainname"] = run.domainname;
  }
  if (!host_network) {
    if (host.ping_group_range) {
      s.linux.sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
    }
    if (host.unprivileged_port_start) {
      s.linux.sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
    }
  }
  return s;
}

absl::StatusOr<Spec> Build(const ImageConfig& image, const RunOptions& run,
                           const Paths& paths) {
  ASSIGN_OR_RETURN(HostFeatures host, DetectHostFeatures());
  return Build(image, run, paths, host);
}

}  // namespace mydocker::spec
