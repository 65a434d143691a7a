#include "lib/runtime/plan.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/capabilities.h"

namespace mydocker::runtime::internal {
namespace {

struct FlagOption {
  const char* name;
  bool clears;
  unsigned long flag;
};

// mount(8)'s flag options; everything else is filesystem data.
constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
};

struct NamedFlag {
  const char* name;
  unsigned long flag;
};

constexpr NamedFlag kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Options of runc's and crun's that change what a mount protects; passing
// them on as data (or dropping them) would quietly weaken the mount.
constexpr const char* kUnsupportedOptions[] = {
    "rro",     "rrw",   "rnosuid", "rsuid",  "rnodev",    "rdev",
    "rnoexec", "rexec", "idmap",   "ridmap", "tmpcopyup", "copy-symlink",
};

// runc's allow-list of destinations inside /proc (lxcfs and friends).
constexpr const char* kProcDestinations[] = {
    "proc/cpuinfo", "proc/diskstats",
    "proc/meminfo", "proc/stat",
    "proc/swaps",   "proc/uptime",
    "proc/loadavg", "proc/slabinfo",
    "proc/net/dev", "proc/sys/kernel/ns_last_pid",
};

constexpr NamedFlag kNamespaces[] = {
    {"pid", CLONE_NEWPID},  {"network", CLONE_NEWNET},
    {"mount", CLONE_NEWNS}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},  {"cgroup", CLONE_NEWCGROUP},
};

constexpr NamedFlag kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

struct DefaultDevice {
  const char* path;
  unsigned major;
  unsigned minor;
};

// runtime-spec config-linux.md "Default Devices" (console and ptmx are
// handled separately).
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

absl::Status NoNul(absl::string_view s, absl::string_view what) {
  if (s.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " contains a NUL byte"));
  }
  return absl::OkStatus();
}

// An fd the child can keep while it dup3()s onto 0-2: >= 3, close-on-exec.
absl::StatusOr<base::UniqueFd> DupAbove2(int fd, absl::string_view what) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return base::ErrnoStatus(errno, "dup ", what);
  return base::UniqueFd(copy);
}

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

absl::StatusOr<MountOptions> ParseMountOptions(
    const std::vector<std::string>& options) {
  MountOptions out;
  std::vector<absl::string_view> data;
  for (const std::string& option : options) {
    RETURN_IF_ERROR(NoNul(option, "mount option"));
    bool known = false;
    for (const FlagOption& f : kFlagOptions) {
      if (option != f.name) continue;
      known = true;
      if (f.clears) {
        out.set &= ~f.flag;
        out.clear |= f.flag;
      } else {
        out.set |= f.flag;
        out.clear &= ~f.flag;
      }
    }
    for (const NamedFlag& p : kPropagation) {
      if (option != p.name) continue;
      known = true;
      out.propagation = p.flag;
    }
    for (const char* unsupported : kUnsupportedOptions) {
      if (option == unsupported) {
        return absl::InvalidArgumentError(
            absl::StrCat("mount option \"", option, "\" is not supported"));
      }
    }
    if (!known && !option.empty()) data.push_back(option);
  }
  out.bind = (out.set & MS_BIND) != 0;
  out.recursive = out.bind && (out.set & MS_REC) != 0;
  out.set &= ~(MS_BIND | MS_REC);
  out.data = absl::StrJoin(data, ",");
  return out;
}

absl::StatusOr<std::string> CleanContainerPath(absl::string_view path) {
  RETURN_IF_ERROR(NoNul(path, "path"));
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string clean = absl::StrJoin(parts, "/");
  if (clean.size() >= PATH_MAX - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("path ", Quoted(path.substr(0, 64)), "... is too long"));
  }
  return clean;
}

std::vector<std::string> ExecCandidates(const std::string& arg0,
                                        const std::vector<std::string>& env) {
  if (absl::StrContains(arg0, '/')) return {arg0};
  absl::string_view path = "/bin:/usr/bin";
  for (const std::string& e : env) {
    if (absl::StartsWith(e, "PATH=")) {
      path = absl::string_view(e).substr(5);
      break;
    }
  }
  std::vector<std::string> candidates;
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) {
      candidates.push_back(arg0);
    } else {
      candidates.push_back(
          absl::StrCat(absl::StripSuffix(dir, "/"), "/", arg0));
    }
  }
  return candidates;
}

const char* PlannedChild::Keep(std::string s) {
  strings_.push_back(std::move(s));
  return strings_.back().c_str();
}

int PlannedChild::KeepFd(base::UniqueFd fd) {
  fds_.push_back(std::move(fd));
  return fds_.back().get();
}

std::string PlannedChild::Describe(Step step, int index) const {
  auto at = [index](const std::vector<std::string>& v) -> std::string {
    return index >= 0 && static_cast<size_t>(index) < v.size()
               ? v[static_cast<size_t>(index)]
               : absl::StrCat("#", index);
  };
  auto path_at = [index](const char* const* v, size_t n) -> std::string {
    return index >= 0 && static_cast<size_t>(index) < n
               ? Quoted(v[index])
               : absl::StrCat("#", index);
  };
  switch (step) {
    case Step::kSetns:
      return absl::StrCat("setns ", at(join_names_));
    case Step::kStdio:
      return absl::StrCat("dup3 onto fd ", index);
    case Step::kRootPropagation:
      return "set the propagation of \"/\"";
    case Step::kRootBind:
      return absl::StrCat("bind ", Quoted(plan.rootfs), " onto itself");
    case Step::kMount:
    case Step::kMountOnProc:
      return absl::StrCat("mount ", at(mount_names_));
    case Step::kMountRemount:
      return absl::StrCat("remount ", Quoted(at(mount_dests_)));
    case Step::kMountPropagation:
      return absl::StrCat("set the propagation of ", Quoted(at(mount_dests_)));
    case Step::kDevice:
      return absl::StrCat("mknod ", Quoted(at(device_names_)));
    case Step::kDevSymlink:
      return absl::StrCat("symlink ", at(symlink_names_));
    case Step::kConsoleMount:
      return "mount the console on \"/dev/console\"";
    case Step::kConsoleAlloc:
      return "allocate a pty from the container's /dev/pts/ptmx";
    case Step::kCgroupJoin:
      return absl::StrCat("join the cgroup (v1 tasks file #", index, ")");
    case Step::kPivotRoot:
      return absl::StrCat("pivot_root to ", Quoted(plan.rootfs));
    case Step::kReadonlyRoot:
      return "remount \"/\" read-only";
    case Step::kHostname:
      return absl::StrCat("sethostname ",
                          Quoted(plan.hostname ? plan.hostname : ""));
    case Step::kSysctl:
      return absl::StrCat("sysctl ", Quoted(at(sysctl_names_)));
    case Step::kReadonlyPath:
      return absl::StrCat("make ",
                          path_at(plan.readonly_paths, plan.num_readonly_paths),
                          " read-only");
    case Step::kMaskPath:
      return absl::StrCat("mask ",
                          path_at(plan.masked_paths, plan.num_masked_paths));
    case Step::kRlimit:
      return absl::StrCat("setrlimit ", at(rlimit_names_));
    case Step::kChdir:
    case Step::kCwdOutsideRoot:
      return absl::StrCat("chdir ", Quoted(plan.cwd));
    case Step::kCapBounding:
      return absl::StrCat("drop ", CapabilityName(index),
                          " from the bounding set");
    case Step::kCapAmbient:
      return index < 0 ? "clear the ambient capabilities"
                       : absl::StrCat("raise ambient ", CapabilityName(index));
    case Step::kSetgroups:
      return absl::StrCat("setgroups [", absl::StrJoin(groups_, " "), "]");
    case Step::kSetgid:
      return absl::StrCat("setresgid ", plan.gid);
    case Step::kSetuid:
      return absl::StrCat("setresuid ", plan.uid);
    case Step::kExec:
      return absl::StrCat("exec ", Quoted(plan.argv ? plan.argv[0] : ""));
    default:
      return StepName(step);
  }
}

absl::StatusOr<std::unique_ptr<PlannedChild>> PlanChild(
    const spec::Spec& spec, const PlanFds& fds, absl::string_view bundle) {
  auto planned = std::make_unique<PlannedChild>();
  PlannedChild& pc = *planned;
  ChildPlan& plan = pc.plan;

  // Namespaces.
  std::set<std::string> seen;
  bool new_mount_ns = false;
  bool new_uts_ns = false;
  for (const spec::Namespace& ns : spec.linux.namespaces) {
    const NamedFlag* kind = nullptr;
    for (const NamedFlag& k : kNamespaces) {
      if (ns.type == k.name) kind = &k;
    }
    if (kind == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "namespace ", Quoted(ns.type),
          ns.type == "user" ? " is not supported (the spec carries no id "
                              "mappings)"
                            : " is unknown"));
    }
    if (!seen.insert(ns.type).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("namespace ", Quoted(ns.type), " is listed twice"));
    }
    if (ns.path.empty()) {
      if (kind->flag == CLONE_NEWUTS) new_uts_ns = true;
      if (kind->flag == CLONE_NEWCGROUP) {
        plan.new_cgroup_ns = true;
      } else {
        pc.clone_flags |= kind->flag;
      }
      if (kind->flag == CLONE_NEWNS) new_mount_ns = true;
      continue;
    }
    if (kind->flag == CLONE_NEWNS) {
      return absl::InvalidArgumentError(
          "joining a mount namespace by path is not supported");
    }
    RETURN_IF_ERROR(NoNul(ns.path, "namespace path"));
    ASSIGN_OR_RETURN(base::UniqueFd fd,
                     base::OpenFile(ns.path, O_RDONLY | O_CLOEXEC));
    ASSIGN_OR_RETURN(fd, DupAbove2(fd.get(), ns.path));
    if (kind->flag == CLONE_NEWPID) {
      pc.pid_ns = std::move(fd);
      continue;
    }
    pc.joins_.push_back(
        {pc.KeepFd(std::move(fd)), static_cast<int>(kind->flag)});
    pc.join_names_.push_back(absl::StrCat(ns.type, " ", Quoted(ns.path)));
  }
  if (!new_mount_ns) {
    return absl::InvalidArgumentError(
        "a new mount namespace is required (spec.linux.namespaces has no "
        "\"mount\")");
  }

  // Root.
  if (spec.root.path.empty()) {
    return absl::InvalidArgumentError("root.path is empty");
  }
  RETURN_IF_ERROR(NoNul(spec.root.path, "root.path"));
  std::string root = spec.root.path;
  if (root[0] != '/' && !bundle.empty()) root = absl::StrCat(bundle, "/", root);
  char resolved[PATH_MAX];
  if (realpath(root.c_str(), resolved) == nullptr) {
    return base::ErrnoStatus(errno, "rootfs ", Quoted(root));
  }
  struct stat st;
  if (stat(resolved, &st) != 0) {
    return base::ErrnoStatus(errno, "rootfs ", Quoted(resolved));
  }
  if (!S_ISDIR(st.st_mode) || std::string(resolved) == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs ", Quoted(resolved), " is not usable as a root"));
  }
  plan.rootfs = pc.Keep(resolved);
  plan.readonly_root = spec.root.readonly;
  const std::string& propagation = spec.linux.rootfs_propagation;
  // Always recursive: a non-recursive change would leave the host's mounts
  // below "/" shared, and the rootfs bind (a peer of its source) would carry
  // the container's mounts back to the host.
  if (propagation.empty() || propagation == "private" ||
      propagation == "rprivate") {
    plan.root_propagation = MS_PRIVATE | MS_REC;
  } else if (propagation == "slave" || propagation == "rslave") {
    plan.root_propagation = MS_SLAVE | MS_REC;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "rootfs propagation ", Quoted(propagation), " is not supported"));
  }

  // Mounts.
  bool dev_is_bind = false;
  for (const spec::Mount& m : spec.mounts) {
    auto fail = [&](const absl::Status& s) {
      return absl::Status(
          s.code(), absl::StrCat("mount ", Quoted(m.source), " on ",
                                 Quoted(m.destination), ": ", s.message()));
    };
    absl::StatusOr<MountOptions> opts = ParseMountOptions(m.options);
    if (!opts.ok()) return fail(opts.status());
    absl::StatusOr<std::string> dest = CleanContainerPath(m.destination);
    if (!dest.ok()) return fail(dest.status());
    if (dest->empty()) {
      return fail(absl::InvalidArgumentError("cannot mount over \"/\""));
    }
    if (absl::Status s = NoNul(m.source, "source"); !s.ok()) return fail(s);
    if (absl::Status s = NoNul(m.type, "type"); !s.ok()) return fail(s);

    MountOp op = {};
    op.dest = pc.Keep(*dest);
    op.propagation = opts->propagation;
    for (const char* allowed : kProcDestinations) {
      if (*dest == allowed) op.dest_may_be_on_proc = true;
    }
    std::string name = absl::StrCat(Quoted(m.source), " on ",
                                    Quoted(absl::StrCat("/", *dest)));
    if (m.type == "bind" || opts->bind) {
      std::string source = m.source;
      if (source.empty()) {
        return fail(absl::InvalidArgumentError("a bind mount needs a source"));
      }
      if (source[0] != '/' && !bundle.empty()) {
        source = absl::StrCat(bundle, "/", source);
      }
      struct stat src;
      if (stat(source.c_str(), &src) != 0) {
        return base::ErrnoStatus(errno, "mount ", name);
      }
      op.kind = MountKind::kBind;
      op.source = pc.Keep(source);
      op.dest_is_file = !S_ISDIR(src.st_mode);
      op.flags = MS_BIND | (opts->recursive ? MS_REC : 0);
      // A bind mount ignores every flag but MS_BIND|MS_REC; the rest needs a
      // remount, which must carry over what the source mount has of
      // ro/nosuid/nodev/noexec unless the spec cleared it explicitly.
      op.remount_flags = opts->set & ~MS_REMOUNT;
      op.remount = op.remount_flags != 0 || opts->clear != 0;
      op.keep_flags =
          (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~opts->clear;
      if (*dest == "dev") dev_is_bind = true;
    } else if (m.type == "cgroup") {
      op.kind = MountKind::kCgroup;
      op.source = pc.Keep("cgroup");
      op.flags = opts->set;
      pc.has_cgroup_mount = true;
    } else {
      if (m.type.empty()) {
        return fail(absl::InvalidArgumentError("no filesystem type"));
      }
      op.kind = MountKind::kFilesystem;
      op.fstype = pc.Keep(m.type);
      op.source = pc.Keep(m.source.empty() ? m.type : m.source);
      op.flags = opts->set & ~MS_REMOUNT;
      op.data = opts->data.empty() ? nullptr : pc.Keep(opts->data);
    }
    pc.mounts_.push_back(op);
    pc.mount_names_.push_back(std::move(name));
    pc.mount_dests_.push_back(absl::StrCat("/", *dest));
  }

  // /dev: unless the spec binds a /dev of its own, as runc does.
  if (!dev_is_bind) {
    std::vector<spec::Device> devices;
    for (const DefaultDevice& d : kDefaultDevices) {
      spec::Device device;
      device.path = d.path;
      device.type = "c";
      device.major = d.major;
      device.minor = d.minor;
      device.file_mode = 0666;
      devices.push_back(device);
    }
    for (const spec::Device& d : spec.linux.devices) {
      auto same = [&](const spec::Device& x) { return x.path == d.path; };
      devices.erase(std::remove_if(devices.begin(), devices.end(), same),
                    devices.end());
      devices.push_back(d);
    }
    for (const spec::Device& d : devices) {
      auto fail = [&](absl::string_view why) {
        return absl::InvalidArgumentError(
            absl::StrCat("device ", Quoted(d.path), ": ", why));
      };
      absl::StatusOr<std::string> path = CleanContainerPath(d.path);
      if (!path.ok()) return fail(path.status().message());
      if (path->empty()) return fail("no path");
      mode_t type;
      if (d.type == "c" || d.type == "u") {
        type = S_IFCHR;
      } else if (d.type == "b") {
        type = S_IFBLK;
      } else if (d.type == "p") {
        type = S_IFIFO;
      } else {
        return fail(absl::StrCat("unknown type ", Quoted(d.type)));
      }
      if (d.major < 0 || d.minor < 0 || d.major > 0xfffff ||
          d.minor > 0xfffff) {
        return fail("device number out of range");
      }
      DeviceOp op = {};
      op.dir = pc.Keep(base::Dirname(*path) == "." ? "" : base::Dirname(*path));
      op.name = pc.Keep(base::Basename(*path));
      op.mode = type | (d.file_mode.value_or(0666) & 07777);
      op.rdev = type == S_IFIFO ? 0
                                : makedev(static_cast<unsigned>(d.major),
                                          static_cast<unsigned>(d.minor));
      op.uid = d.uid.value_or(0);
      op.gid = d.gid.value_or(0);
      pc.devices_.push_back(op);
      pc.device_names_.push_back(absl::StrCat("/", *path));
    }
    constexpr struct {
      const char* name;
      const char* target;
      bool replace;
    } kLinks[] = {
        {"fd", "/proc/self/fd", false},
        {"stdin", "/proc/self/fd/0", false},
        {"stdout", "/proc/self/fd/1", false},
        {"stderr", "/proc/self/fd/2", false},
        // devpts' own ptmx, whatever the image or a device entry put there.
        {"ptmx", "pts/ptmx", true},
    };
    for (const auto& link : kLinks) {
      pc.dev_symlinks_.push_back({"dev", link.name, link.target, link.replace});
      pc.symlink_names_.push_back(
          absl::StrCat("\"/dev/", link.name, "\" -> \"", link.target, "\""));
    }
  }

  // Stdio or the console, and the process itself.
  RETURN_IF_ERROR(pc.PlanStdio(spec.process, fds, /*console_mount=*/true));

  // Hostname, sysctls, masked and readonly paths.
  if (!spec.hostname.empty()) {
    // A joined UTS namespace belongs to someone else: setting its
    // hostname would rename them too.
    if (!new_uts_ns) {
      return absl::InvalidArgumentError(
          "a hostname needs a new UTS namespace (spec.linux.namespaces has no "
          "\"uts\" without a path)");
    }
    if (spec.hostname.size() > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("hostname ", Quoted(spec.hostname), " is too long"));
    }
    RETURN_IF_ERROR(NoNul(spec.hostname, "hostname"));
    plan.hostname = pc.Keep(spec.hostname);
    plan.hostname_len = spec.hostname.size();
  }
  for (const auto& [key, value] : spec.linux.sysctl) {
    // "net.ipv4.ip_forward", or sysctl(8)'s slash form for names that
    // contain dots ("net/ipv4/conf/eth0.100/forwarding").
    std::string relative = key;
    if (!absl::StrContains(key, '/')) {
      std::replace(relative.begin(), relative.end(), '.', '/');
    }
    std::vector<absl::string_view> parts = absl::StrSplit(relative, '/');
    bool ok = !key.empty();
    for (absl::string_view part : parts) {
      if (part.empty() || part == "." || part == "..") ok = false;
    }
    if (!ok || !NoNul(key, "").ok() || !NoNul(value, "").ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sysctl ", Quoted(key), ": not a valid name or value"));
    }
    const char* v = pc.Keep(value);
    pc.sysctls_.push_back(
        {pc.Keep(absl::StrCat("/proc/sys/", relative)), v, value.size()});
    pc.sysctl_names_.push_back(key);
  }
  for (const auto& [in, out] :
       {std::pair(&spec.linux.readonly_paths, &pc.readonly_paths_),
        std::pair(&spec.linux.masked_paths, &pc.masked_paths_)}) {
    for (const std::string& p : *in) {
      ASSIGN_OR_RETURN(std::string clean, CleanContainerPath(p));
      if (clean.empty()) {
        return absl::InvalidArgumentError("cannot mask or protect \"/\"");
      }
      out->push_back(pc.Keep(absl::StrCat("/", clean)));
    }
  }

  RETURN_IF_ERROR(pc.PlanProcess(spec.process));
  pc.Finish();
  return planned;
}

absl::StatusOr<std::unique_ptr<PlannedChild>> PlanExecChild(
    const spec::Process& process, const PlanFds& fds) {
  auto planned = std::make_unique<PlannedChild>();
  RETURN_IF_ERROR(planned->PlanStdio(process, fds, /*console_mount=*/false));
  RETURN_IF_ERROR(planned->PlanProcess(process));
  planned->Finish();
  return planned;
}

absl::Status PlannedChild::PlanStdio(const spec::Process& proc,
                                     const PlanFds& fds, bool console_mount) {
  // The child dup3()s these onto 0-2.
  base::UniqueFd dev_null;
  auto stdio_fd = [&](int fd, absl::string_view what) -> absl::StatusOr<int> {
    if (fd < 0) {
      if (!dev_null.valid()) {
        ASSIGN_OR_RETURN(dev_null, base::OpenFile("/dev/null", O_RDWR));
      }
      fd = dev_null.get();
    }
    ASSIGN_OR_RETURN(base::UniqueFd copy, DupAbove2(fd, what));
    return KeepFd(std::move(copy));
  };
  if (fds.console_socket >= 0) {
    if (!console_mount) {
      return absl::InvalidArgumentError(
          "a console socket needs the container's own /dev/pts");
    }
    if (!proc.terminal) {
      return absl::InvalidArgumentError(
          "a console socket without process.terminal");
    }
    ASSIGN_OR_RETURN(base::UniqueFd sock,
                     DupAbove2(fds.console_socket, "console socket"));
    if (proc.console_size) {
      plan.console_rows = static_cast<unsigned short>(proc.console_size->height);
      plan.console_cols = static_cast<unsigned short>(proc.console_size->width);
    }
    plan.console_dest = Keep("dev/console");
    plan.console_socket = KeepFd(std::move(sock));
  } else if (fds.console >= 0) {
    if (!isatty(fds.console)) {
      return absl::InvalidArgumentError("the console is not a terminal");
    }
    ASSIGN_OR_RETURN(base::UniqueFd console, DupAbove2(fds.console, "console"));
    if (proc.console_size) {
      struct winsize ws = {};
      ws.ws_row =
          static_cast<unsigned short>(proc.console_size->height);
      ws.ws_col = static_cast<unsigned short>(proc.console_size->width);
      if (ioctl(console.get(), TIOCSWINSZ, &ws) != 0) {
        return base::ErrnoStatus(errno, "set the console size");
      }
    }
    if (console_mount) {
      // The slave's path, checked to still name the same pty.
      char path[PATH_MAX] = {};
      ssize_t n =
          readlink(absl::StrCat("/proc/self/fd/", console.get()).c_str(), path,
                   sizeof path - 1);
      struct stat by_fd;
      struct stat by_path;
      if (n <= 0 || path[0] != '/' || fstat(console.get(), &by_fd) != 0 ||
          stat(path, &by_path) != 0 || by_fd.st_rdev != by_path.st_rdev) {
        return absl::InvalidArgumentError(
            "the console has no path in this mount namespace");
      }
      plan.console_dest = Keep("dev/console");
      plan.console_path = Keep(path);
    }
    plan.console = KeepFd(std::move(console));
  } else {
    if (proc.terminal) {
      return absl::InvalidArgumentError(
          "process.terminal is set but no console was given");
    }
    ASSIGN_OR_RETURN(plan.stdio[0], stdio_fd(fds.in, "stdin"));
    ASSIGN_OR_RETURN(plan.stdio[1], stdio_fd(fds.out, "stdout"));
    ASSIGN_OR_RETURN(plan.stdio[2], stdio_fd(fds.err, "stderr"));
  }

  return absl::OkStatus();
}

absl::Status PlannedChild::PlanProcess(const spec::Process& proc) {
  for (const spec::Rlimit& r : proc.rlimits) {
    const NamedFlag* kind = nullptr;
    for (const NamedFlag& k : kRlimits) {
      if (r.type == k.name) kind = &k;
    }
    if (kind == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown rlimit ", Quoted(r.type)));
    }
    if (r.soft > r.hard) {
      return absl::InvalidArgumentError(
          absl::StrCat("rlimit ", r.type, ": soft limit ", r.soft,
                       " is above the hard limit ", r.hard));
    }
    rlimits_.push_back({static_cast<int>(kind->flag), r.soft, r.hard});
    rlimit_names_.push_back(r.type);
  }
  oom_score_adj = proc.oom_score_adj;
  plan.no_new_privs = proc.no_new_privileges;

  ASSIGN_OR_RETURN(std::string cwd, CleanContainerPath(proc.cwd));
  if (proc.cwd.empty() || proc.cwd[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("process.cwd ", Quoted(proc.cwd), " is not absolute"));
  }
  plan.cwd = Keep(absl::StrCat("/", cwd));

  plan.uid = proc.user.uid;
  plan.gid = proc.user.gid;
  groups_.assign(proc.user.additional_gids.begin(),
                    proc.user.additional_gids.end());
  plan.umask = static_cast<mode_t>(proc.user.umask.value_or(022) & 0777);

  ASSIGN_OR_RETURN(plan.cap_last, LastCapability());
  const spec::Capabilities& caps = proc.capabilities;
  for (const auto& [names, mask] :
       {std::pair(&caps.bounding, &plan.cap_bounding),
        std::pair(&caps.effective, &plan.cap_effective),
        std::pair(&caps.permitted, &plan.cap_permitted),
        std::pair(&caps.inheritable, &plan.cap_inheritable),
        std::pair(&caps.ambient, &plan.cap_ambient)}) {
    ASSIGN_OR_RETURN(*mask, CapabilityMask(*names, plan.cap_last));
  }

  if (proc.args.empty() || proc.args[0].empty()) {
    return absl::InvalidArgumentError("process.args is empty");
  }
  for (const std::string& a : proc.args) {
    RETURN_IF_ERROR(NoNul(a, "process.args"));
    argv_.push_back(const_cast<char*>(Keep(a)));
  }
  argv_.push_back(nullptr);
  for (const std::string& e : proc.env) {
    RETURN_IF_ERROR(NoNul(e, "process.env"));
    envp_.push_back(const_cast<char*>(Keep(e)));
  }
  envp_.push_back(nullptr);
  for (std::string& c : ExecCandidates(proc.args[0], proc.env)) {
    exec_candidates_.push_back(Keep(std::move(c)));
  }

  return absl::OkStatus();
}

// Only once every vector is complete: their storage no longer moves.
void PlannedChild::Finish() {
  plan.joins = joins_.data();
  plan.num_joins = joins_.size();
  plan.mounts = mounts_.data();
  plan.num_mounts = mounts_.size();
  plan.devices = devices_.data();
  plan.num_devices = devices_.size();
  plan.dev_symlinks = dev_symlinks_.data();
  plan.num_dev_symlinks = dev_symlinks_.size();
  plan.sysctls = sysctls_.data();
  plan.num_sysctls = sysctls_.size();
  plan.readonly_paths = readonly_paths_.data();
  plan.num_readonly_paths = readonly_paths_.size();
  plan.masked_paths = masked_paths_.data();
  plan.num_masked_paths = masked_paths_.size();
  plan.rlimits = rlimits_.data();
  plan.num_rlimits = rlimits_.size();
  plan.groups = groups_.data();
  plan.num_groups = groups_.size();
  plan.argv = argv_.data();
  plan.envp = envp_.data();
  plan.exec_candidates = exec_candidates_.data();
  plan.num_exec_candidates = exec_candidates_.size();
}


}  // namespace mydocker::runtime::internal
