#include "lib/cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/device_filter.h"
#include "lib/cgroup/resources.h"

namespace mydocker::cgroup {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);
// How long KillAll waits for a freeze to complete before signalling anyway
// (a task in uninterruptible sleep can hold a v1 freeze in FREEZING).
constexpr absl::Duration kFreezeWait = absl::Seconds(1);
// How long one KillAll round waits for SIGKILLed processes to leave before
// it signals again (catching any that a fork race let in).
constexpr absl::Duration kKillRound = absl::Milliseconds(500);

std::string Join(absl::string_view dir, absl::string_view file) {
  return absl::StrCat(dir, "/", file);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// One write(2) of the whole value: cgroupfs parses each write on its own.
absl::Status WriteCgroupFile(absl::string_view dir, absl::string_view file,
                             absl::string_view value) {
  const std::string path = Join(dir, file);
  const std::string what = absl::StrCat("write \"", value, "\" to ", path);
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return base::ErrnoStatus(errno, what);
  base::UniqueFd owned(fd);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return base::ErrnoStatus(errno, what);
  if (static_cast<size_t>(n) != value.size()) {
    return absl::DataLossError(absl::StrCat(what, ": short write"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadCgroupFile(absl::string_view dir,
                                           absl::string_view file) {
  return base::ReadFile(Join(dir, file));
}

// A v2 interface file exists only while its controller is enabled for the
// cgroup; say so rather than "No such file or directory".
absl::Status WriteV2(absl::string_view dir, absl::string_view file,
                     absl::string_view value) {
  absl::Status s = WriteCgroupFile(dir, file, value);
  if (absl::IsNotFound(s)) {
    absl::string_view controller = file.substr(0, file.find('.'));
    return absl::FailedPreconditionError(absl::StrCat(
        s.message(), " (the ", controller,
        " controller is not enabled for this cgroup: see the parent's "
        "cgroup.subtree_control)"));
  }
  return s;
}

// Reads a "key value" line from a flat-keyed file such as memory.events or
// memory.oom_control.
std::optional<uint64_t> FlatKey(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t v;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &v)) return v;
  }
  return std::nullopt;
}

// The child cgroups of `dir` (directories; the interface files are not).
absl::StatusOr<std::vector<std::string>> ChildCgroups(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return base::ErrnoStatus(errno, "opendir ", dir);
  absl::Cleanup close_dir = [d] { ::closedir(d); };
  std::vector<std::string> out;
  for (;;) {
    errno = 0;  // readdir reports its errors only through errno.
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::stat(Join(dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) out.push_back(Join(dir, name));
  }
  if (errno != 0) return base::ErrnoStatus(errno, "readdir ", dir);
  return out;
}

// Adds the pids in `dir`'s cgroup.procs and those of every cgroup below.
// A directory that vanished (its cgroup was removed meanwhile) adds none.
absl::Status CollectPids(const std::string& dir, std::set<pid_t>& out) {
  absl::StatusOr<std::string> procs = ReadCgroupFile(dir, "cgroup.procs");
  if (absl::IsNotFound(procs.status())) return absl::OkStatus();
  if (!procs.ok()) return procs.status();
  for (absl::string_view line :
       absl::StrSplit(*procs, '\n', absl::SkipWhitespace())) {
    pid_t pid;
    if (!absl::SimpleAtoi(line, &pid) || pid <= 0) {
      return absl::DataLossError(
          absl::StrCat(dir, "/cgroup.procs: \"", line, "\" is not a pid"));
    }
    out.insert(pid);
  }
  absl::StatusOr<std::vector<std::string>> children = ChildCgroups(dir);
  if (absl::IsNotFound(children.status())) return absl::OkStatus();
  if (!children.ok()) return children.status();
  for (const std::string& child : *children) {
    RETURN_IF_ERROR(CollectPids(child, out));
  }
  return absl::OkStatus();
}

// rmdir of `dir` and the cgroups below it, deepest first. An emptied cgroup
// can stay busy for a moment (the kernel offlines it asynchronously), so
// EBUSY is retried until `deadline`.
absl::Status RemoveCgroupTree(const std::string& dir, absl::Time deadline) {
  absl::StatusOr<std::vector<std::string>> children = ChildCgroups(dir);
  if (absl::IsNotFound(children.status())) return absl::OkStatus();
  if (!children.ok()) return children.status();
  for (const std::string& child : *children) {
    RETURN_IF_ERROR(RemoveCgroupTree(child, deadline));
  }
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY || absl::Now() >= deadline) {
      return base::ErrnoStatus(errno, "rmdir ", dir);
    }
    absl::SleepFor(kPollInterval);
  }
}

// v1 cpuset: a new cgroup has empty cpuset.cpus and cpuset.mems, and the
// kernel refuses to move a task into it (ENOSPC) until both are set.
absl::Status InheritCpuset(const std::string& parent, const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    ASSIGN_OR_RETURN(std::string mine, ReadCgroupFile(dir, file));
    if (!absl::StripAsciiWhitespace(mine).empty()) continue;
    ASSIGN_OR_RETURN(std::string theirs, ReadCgroupFile(parent, file));
    absl::string_view value = absl::StripAsciiWhitespace(theirs);
    if (value.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(parent, "/", file, ": empty, nothing to inherit"));
    }
    RETURN_IF_ERROR(WriteCgroupFile(dir, file, value));
  }
  return absl::OkStatus();
}

// v2: a controller's files appear in a cgroup only when its parent enables
// the controller in cgroup.subtree_control. Enables all that `dir` offers.
// One controller may refuse (a parent with processes of its own cannot
// enable a domain controller); the others still get enabled, and a resource
// that needs the refused one fails later naming its file.
absl::Status EnableControllers(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string available,
                   ReadCgroupFile(dir, "cgroup.controllers"));
  ASSIGN_OR_RETURN(std::string enabled,
                   ReadCgroupFile(dir, "cgroup.subtree_control"));
  std::set<absl::string_view> have =
      absl::StrSplit(enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  std::vector<std::string> want;
  for (absl::string_view c :
       absl::StrSplit(available, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (!have.contains(c)) want.push_back(absl::StrCat("+", c));
  }
  if (want.empty()) return absl::OkStatus();
  if (WriteCgroupFile(dir, "cgroup.subtree_control", absl::StrJoin(want, " "))
          .ok()) {
    return absl::OkStatus();
  }
  for (const std::string& c : want) {
    (void)WriteCgroupFile(dir, "cgroup.subtree_control", c);
  }
  return absl::OkStatus();
}

// The directories from the mount point down to the cgroup: for
// "/a/b" under M, {M, M/a, M/a/b}.
std::vector<std::string> Levels(const std::string& mount_point,
                                const std::string& path) {
  std::vector<std::string> out = {mount_point};
  std::string cur = mount_point;
  for (absl::string_view c : absl::StrSplit(path.substr(1), '/')) {
    cur = absl::StrCat(cur, "/", c);
    out.push_back(cur);
  }
  return out;
}

struct Target {
  const Hierarchy* hierarchy;
  bool v2;
  bool optional;  // The hybrid cgroup2 mount: skipped if not writable.
};

std::vector<Target> Targets(const Layout& layout) {
  std::vector<Target> out;
  if (layout.version == Version::kV2) {
    if (layout.unified.has_value()) {
      out.push_back({&*layout.unified, true, false});
    }
    return out;
  }
  for (const Hierarchy& h : layout.v1) out.push_back({&h, false, false});
  if (layout.unified.has_value()) out.push_back({&*layout.unified, true, true});
  return out;
}

// Sends `sig` to each of `pids` that is still in the cgroup once a pidfd
// pins it: pidfds are opened first, then the cgroup is listed again, so a
// pid that was freed and reused by an outsider in between is not signalled.
absl::Status SignalPids(const std::vector<pid_t>& pids,
                        const std::set<pid_t>& still_listed, int sig,
                        const std::vector<base::UniqueFd>& pidfds) {
  absl::Status first;
  for (size_t i = 0; i < pids.size(); ++i) {
    if (!still_listed.contains(pids[i])) continue;
    long rc;
    if (pidfds[i].valid()) {
      rc = syscall(SYS_pidfd_send_signal, pidfds[i].get(), sig, nullptr, 0);
    } else {
      rc = ::kill(pids[i], sig);
    }
    if (rc < 0 && errno != ESRCH && first.ok()) {
      first = base::ErrnoStatus(errno, "kill ", pids[i], " with signal ", sig);
    }
  }
  return first;
}

}  // namespace

absl::StatusOr<Cgroup> Cgroup::Create(const Layout& layout,
                                      const std::string& path,
                                      const spec::Resources& resources) {
  RETURN_IF_ERROR(ValidateCgroupPath(path));
  RETURN_IF_ERROR(ValidateResources(resources));
  Cgroup cg(layout.version, path);
  std::vector<std::string> made;  // Leaves this call created.
  absl::Cleanup undo = [&made] {
    for (const std::string& dir : made) ::rmdir(dir.c_str());
  };

  for (const Target& t : Targets(layout)) {
    const std::vector<std::string> levels =
        Levels(t.hierarchy->mount_point, path);
    const std::string& leaf = levels.back();
    bool skip = false;
    bool made_leaf = false;
    for (size_t i = 1; i < levels.size(); ++i) {
      const std::string& dir = levels[i];
      if (t.v2) RETURN_IF_ERROR(EnableControllers(levels[i - 1]));
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (i + 1 == levels.size()) {
          made.push_back(dir);
          made_leaf = true;
        }
      } else if (errno != EEXIST) {
        const int err = errno;
        if (t.optional && (err == EROFS || err == EACCES || err == EPERM)) {
          skip = true;
          break;
        }
        return base::ErrnoStatus(err, "create cgroup ", dir);
      }
      if (t.hierarchy->Has("cpuset")) {
        RETURN_IF_ERROR(InheritCpuset(levels[i - 1], dir));
      }
    }
    if (skip) continue;
    if (!made_leaf) {
      std::set<pid_t> pids;
      RETURN_IF_ERROR(CollectPids(leaf, pids));
      if (!pids.empty()) {
        return absl::AlreadyExistsError(absl::StrCat(
            "cgroup ", leaf, " already exists and holds processes (",
            absl::StrJoin(pids, " "), ")"));
      }
    }
    cg.dirs_.push_back(Dir{leaf, t.hierarchy->controllers});
  }
  if (cg.dirs_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("create cgroup ", path, ": no cgroup hierarchy to use"));
  }
  RETURN_IF_ERROR(cg.Update(resources));
  made.clear();
  return cg;
}

absl::StatusOr<Cgroup> Cgroup::Open(const Layout& layout,
                                    const std::string& path) {
  RETURN_IF_ERROR(ValidateCgroupPath(path));
  Cgroup cg(layout.version, path);
  for (const Target& t : Targets(layout)) {
    std::string dir = absl::StrCat(t.hierarchy->mount_point, path);
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(
            absl::StrCat("cgroup ", dir, ": not a directory"));
      }
      cg.dirs_.push_back(Dir{std::move(dir), t.hierarchy->controllers});
    } else if (errno != ENOENT) {
      return base::ErrnoStatus(errno, "stat cgroup ", dir);
    }
  }
  if (cg.dirs_.empty()) {
    return absl::NotFoundError(
        absl::StrCat("cgroup ", path, ": not found in any hierarchy"));
  }
  return cg;
}

std::string Cgroup::DirFor(absl::string_view controller) const {
  for (const Dir& d : dirs_) {
    if (version_ == Version::kV2) return d.path;
    if (d.v2() ? (controller.empty() || controller == "unified")
               : std::find(d.controllers.begin(), d.controllers.end(),
                           controller) != d.controllers.end()) {
      return d.path;
    }
  }
  return "";
}

std::vector<std::string> Cgroup::Dirs() const {
  std::vector<std::string> out;
  for (const Dir& d : dirs_) out.push_back(d.path);
  return out;
}

std::string Cgroup::UnifiedDir() const {
  for (const Dir& d : dirs_) {
    if (d.v2()) return d.path;
  }
  return "";
}

absl::StatusOr<std::string> Cgroup::Require(
    absl::string_view controller) const {
  std::string dir = DirFor(controller);
  if (dir.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cgroup ", path_, ": no ", controller, " hierarchy is mounted"));
  }
  return dir;
}

absl::Status Cgroup::AddProcess(pid_t pid) {
  for (const Dir& d : dirs_) {
    RETURN_IF_ERROR(WriteCgroupFile(d.path, "cgroup.procs", absl::StrCat(pid)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Cgroup::JoinFds> Cgroup::OpenForJoin() const {
  JoinFds out;
  for (const Dir& d : dirs_) {
    if (d.v2()) {
      out.cgroup2_dir.reset(
          open(d.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!out.cgroup2_dir) return base::ErrnoStatus(errno, "open cgroup ", d.path);
    } else {
      std::string tasks = Join(d.path, "tasks");
      base::UniqueFd fd(open(tasks.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) return base::ErrnoStatus(errno, "open ", tasks);
      out.v1_tasks.push_back(std::move(fd));
    }
  }
  return out;
}

absl::Status Cgroup::Update(const spec::Resources& r) {
  RETURN_IF_ERROR(ValidateResources(r));
  return version_ == Version::kV2 ? ApplyV2(r) : ApplyV1(r);
}

absl::Status Cgroup::ApplyV1(const spec::Resources& r) {
  if (r.memory.has_value()) {
    const spec::Memory& m = *r.memory;
    std::optional<int64_t> limit = SetValue(m.limit);
    std::optional<int64_t> swap = SetValue(m.swap);
    const std::optional<int64_t> reservation = SetValue(m.reservation);
    if (limit || swap || reservation || m.disable_oom_killer.has_value()) {
      ASSIGN_OR_RETURN(const std::string dir, Require("memory"));
      constexpr char kLimit[] = "memory.limit_in_bytes";
      constexpr char kMemsw[] = "memory.memsw.limit_in_bytes";
      const bool have_memsw = Exists(Join(dir, kMemsw));
      // The kernel keeps memsw >= limit: an unlimited memory limit must lift
      // a finite memsw limit too, or the write is refused (runc does this).
      if (limit == -1 && !swap.has_value() && have_memsw) swap = -1;
      if (swap.has_value() && !have_memsw) {
        if (*swap != -1) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cgroup ", dir, ": a swap limit was requested but ", kMemsw,
              " does not exist (the kernel does not account swap; boot "
              "with swapaccount=1)"));
        }
        swap.reset();
      }
      bool swap_first = false;
      if (limit.has_value() && swap.has_value()) {
        // Raising both: memsw first; lowering both: limit first.
        ASSIGN_OR_RETURN(std::string cur, ReadCgroupFile(dir, kLimit));
        uint64_t current;
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(cur), &current)) {
          return absl::DataLossError(
              absl::StrCat(dir, "/", kLimit, ": \"", cur, "\""));
        }
        swap_first = *swap == -1 || current < static_cast<uint64_t>(*swap);
      }
      if (swap_first)
        RETURN_IF_ERROR(WriteCgroupFile(dir, kMemsw, absl::StrCat(*swap)));
      if (limit.has_value()) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, kLimit, absl::StrCat(*limit)));
      }
      if (swap.has_value() && !swap_first) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, kMemsw, absl::StrCat(*swap)));
      }
      if (reservation.has_value()) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, "memory.soft_limit_in_bytes",
                                        absl::StrCat(*reservation)));
      }
      if (m.disable_oom_killer.has_value()) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, "memory.oom_control",
                                        *m.disable_oom_killer ? "1" : "0"));
      }
    }
  }
  if (r.cpu.has_value()) {
    const spec::Cpu& c = *r.cpu;
    const std::optional<uint64_t> shares = SetValue(c.shares);
    const std::optional<int64_t> quota = SetValue(c.quota);
    const std::optional<uint64_t> period = SetValue(c.period);
    if (shares || quota || period) {
      ASSIGN_OR_RETURN(const std::string dir, Require("cpu"));
      if (shares.has_value()) {
        RETURN_IF_ERROR(
            WriteCgroupFile(dir, "cpu.shares", absl::StrCat(*shares)));
      }
      // The kernel checks quota/period as a pair against the parent's
      // bandwidth, so a new period can be refused under the old quota; then
      // it goes after the new quota (runc's order).
      absl::Status period_status;
      if (period.has_value()) {
        period_status =
            WriteCgroupFile(dir, "cpu.cfs_period_us", absl::StrCat(*period));
        if (!period_status.ok() &&
            !(absl::IsInvalidArgument(period_status) && quota.has_value())) {
          return period_status;
        }
      }
      if (quota.has_value()) {
        RETURN_IF_ERROR(
            WriteCgroupFile(dir, "cpu.cfs_quota_us", absl::StrCat(*quota)));
      }
      if (!period_status.ok()) {
        RETURN_IF_ERROR(
            WriteCgroupFile(dir, "cpu.cfs_period_us", absl::StrCat(*period)));
      }
    }
    if (!c.cpus.empty() || !c.mems.empty()) {
      ASSIGN_OR_RETURN(const std::string dir, Require("cpuset"));
      if (!c.cpus.empty()) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, "cpuset.cpus", c.cpus));
      }
      if (!c.mems.empty()) {
        RETURN_IF_ERROR(WriteCgroupFile(dir, "cpuset.mems", c.mems));
      }
    }
  }
  if (r.pids.has_value()) {
    ASSIGN_OR_RETURN(const std::string dir, Require("pids"));
    RETURN_IF_ERROR(WriteCgroupFile(
        dir, "pids.max", V2Limit(r.pids->limit <= 0 ? -1 : r.pids->limit)));
  }
  if (!r.devices.empty()) {
    ASSIGN_OR_RETURN(const std::string dir, Require("devices"));
    // One rule per write(2), in order, each file opened once (Docker's
    // default list is 17 rules).
    base::UniqueFd allow, deny;
    for (const spec::DeviceCgroupRule& rule : r.devices) {
      const char* file = rule.allow ? "devices.allow" : "devices.deny";
      base::UniqueFd& fd = rule.allow ? allow : deny;
      const std::string value = V1DeviceRule(rule);
      const std::string path = Join(dir, file);
      const std::string what = absl::StrCat("write \"", value, "\" to ", path);
      if (!fd) {
        fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) return base::ErrnoStatus(errno, what);
      }
      ssize_t n;
      do {
        n = ::write(fd.get(), value.data(), value.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) return base::ErrnoStatus(errno, what);
      if (static_cast<size_t>(n) != value.size()) {
        return absl::DataLossError(absl::StrCat(what, ": short write"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Cgroup::ApplyV2(const spec::Resources& r) {
  const std::string dir = UnifiedDir();
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cgroup ", path_, ": no cgroup2 directory"));
  }
  if (r.memory.has_value()) {
    const spec::Memory& m = *r.memory;
    const std::optional<int64_t> limit = SetValue(m.limit);
    const std::optional<int64_t> swap = SetValue(m.swap);
    const std::optional<int64_t> reservation = SetValue(m.reservation);
    if (m.disable_oom_killer.value_or(false)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cgroup ", dir,
                       ": disable_oom_killer is not available with cgroup v2"));
    }
    if (limit.has_value()) {
      RETURN_IF_ERROR(WriteV2(dir, "memory.max", V2Limit(*limit)));
    }
    if (swap.has_value()) {
      ASSIGN_OR_RETURN(std::string swap_max, V2SwapMax(limit, *swap));
      RETURN_IF_ERROR(WriteV2(dir, "memory.swap.max", swap_max));
    } else if (limit == -1 && Exists(Join(dir, "memory.swap.max"))) {
      // As on v1: unlimited memory with swap unset means unlimited swap too.
      RETURN_IF_ERROR(WriteV2(dir, "memory.swap.max", "max"));
    }
    if (reservation.has_value()) {
      RETURN_IF_ERROR(WriteV2(dir, "memory.low", V2Limit(*reservation)));
    }
  }
  if (r.cpu.has_value()) {
    const spec::Cpu& c = *r.cpu;
    const std::optional<uint64_t> shares = SetValue(c.shares);
    const std::optional<int64_t> quota = SetValue(c.quota);
    const std::optional<uint64_t> period = SetValue(c.period);
    if (shares.has_value()) {
      RETURN_IF_ERROR(WriteV2(dir, "cpu.weight",
                              absl::StrCat(CpuWeightFromShares(*shares))));
    }
    if (quota.has_value() || period.has_value()) {
      std::string current;
      if (!(quota.has_value() && period.has_value())) {
        absl::StatusOr<std::string> cur = ReadCgroupFile(dir, "cpu.max");
        if (cur.ok()) current = *std::move(cur);
      }
      RETURN_IF_ERROR(
          WriteV2(dir, "cpu.max", V2CpuMax(quota, period, current)));
    }
    if (!c.cpus.empty()) RETURN_IF_ERROR(WriteV2(dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) RETURN_IF_ERROR(WriteV2(dir, "cpuset.mems", c.mems));
  }
  if (r.pids.has_value()) {
    RETURN_IF_ERROR(WriteV2(dir, "pids.max",
                            V2Limit(r.pids->limit <= 0 ? -1 : r.pids->limit)));
  }
  if (!r.devices.empty()) RETURN_IF_ERROR(SetDeviceFilter(dir, r.devices));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<pid_t>> Cgroup::Pids() const {
  std::set<pid_t> pids;
  for (const Dir& d : dirs_) RETURN_IF_ERROR(CollectPids(d.path, pids));
  return std::vector<pid_t>(pids.begin(), pids.end());
}

absl::Status Cgroup::FreezeAndSignal(int sig) {
  // Frozen, the processes cannot fork a new one past the listing below.
  std::string dir;
  const char* file = nullptr;
  const char* frozen = nullptr;
  const char* thawed = nullptr;
  if (version_ == Version::kV1 && !DirFor("freezer").empty()) {
    dir = DirFor("freezer");
    file = "freezer.state";
    frozen = "FROZEN";
    thawed = "THAWED";
  } else if (std::string u = UnifiedDir();
             !u.empty() && Exists(Join(u, "cgroup.freeze"))) {
    dir = u;
    file = "cgroup.freeze";
    frozen = "1";
    thawed = "0";
  }
  bool is_frozen = false;
  absl::Cleanup thaw = [&] {
    if (is_frozen) (void)WriteCgroupFile(dir, file, thawed);
  };
  if (file != nullptr) {
    RETURN_IF_ERROR(WriteCgroupFile(dir, file, frozen));
    is_frozen = true;
    // Freezing completes asynchronously: v1 reads FREEZING until then, v2
    // says "frozen 1" in cgroup.events. Signal anyway when it takes long.
    const bool v1 = absl::string_view(file) == "freezer.state";
    const absl::Time until = absl::Now() + kFreezeWait;
    while (absl::Now() < until) {
      absl::StatusOr<std::string> s =
          ReadCgroupFile(dir, v1 ? "freezer.state" : "cgroup.events");
      if (!s.ok()) break;
      if (v1 ? absl::StripAsciiWhitespace(*s) == "FROZEN"
             : FlatKey(*s, "frozen") == 1u) {
        break;
      }
      absl::SleepFor(kPollInterval);
    }
  }
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, Pids());
  std::vector<base::UniqueFd> pidfds;
  pidfds.reserve(pids.size());
  for (pid_t pid : pids) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    pidfds.emplace_back(fd < 0 ? -1 : static_cast<int>(fd));
  }
  ASSIGN_OR_RETURN(std::vector<pid_t> again, Pids());
  return SignalPids(pids, std::set<pid_t>(again.begin(), again.end()), sig,
                    pidfds);
}

absl::Status Cgroup::KillAll(int sig, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, Pids());
  if (pids.empty()) return absl::OkStatus();
  // cgroup.kill reaches only the cgroup2 subtree; on a hybrid host a
  // process may sit in v1 hierarchies alone, and then the freezer does it.
  bool use_kill_file = false;
  if (const std::string unified = UnifiedDir();
      sig == SIGKILL && !unified.empty() &&
      Exists(Join(unified, "cgroup.kill"))) {
    std::set<pid_t> there;
    RETURN_IF_ERROR(CollectPids(unified, there));
    use_kill_file = there.size() == pids.size();  // A subset of the same size.
  }
  for (;;) {
    if (use_kill_file) {
      use_kill_file = false;  // Once; if some survive, the freezer next.
      RETURN_IF_ERROR(WriteCgroupFile(UnifiedDir(), "cgroup.kill", "1"));
    } else {
      RETURN_IF_ERROR(FreezeAndSignal(sig));
    }
    if (sig != SIGKILL) return absl::OkStatus();
    const absl::Time round_end = std::min(deadline, absl::Now() + kKillRound);
    for (;;) {
      ASSIGN_OR_RETURN(pids, Pids());
      if (pids.empty()) return absl::OkStatus();
      if (absl::Now() >= round_end) break;
      absl::SleepFor(kPollInterval);
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "cgroup ", path_, ": processes ", absl::StrJoin(pids, " "),
          " still there ", absl::FormatDuration(timeout), " after SIGKILL"));
    }
  }
}

absl::StatusOr<bool> Cgroup::OomKilled() const {
  std::string dir;
  const char* file;
  if (version_ == Version::kV2) {
    dir = UnifiedDir();
    file = "memory.events";
  } else {
    ASSIGN_OR_RETURN(dir, Require("memory"));
    file = "memory.oom_control";
  }
  absl::StatusOr<std::string> text = ReadCgroupFile(dir, file);
  if (absl::IsNotFound(text.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        text.status().message(), " (no memory controller for this cgroup)"));
  }
  if (!text.ok()) return text.status();
  std::optional<uint64_t> kills = FlatKey(*text, "oom_kill");
  if (!kills.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, "/", file, ": no oom_kill counter (kernel older than 4.13?)"));
  }
  return *kills > 0;
}

absl::Status Cgroup::Destroy(absl::Duration timeout) {
  // Usually the cgroup is empty by now (the monitor destroys it once its
  // container is reaped): one rmdir per hierarchy, without first listing
  // every hierarchy's directory and reading its cgroup.procs. The first
  // refusal (a process left, a child cgroup) stops this and takes the full
  // path below, which tolerates the directories already gone; the freezer
  // and the cgroup2 directory, which it signals through, go last.
  std::vector<const Dir*> order;
  for (const Dir& d : dirs_) {
    if (!d.v2() && d.path != DirFor("freezer")) order.push_back(&d);
  }
  for (const Dir& d : dirs_) {
    if (d.v2() || d.path == DirFor("freezer")) order.push_back(&d);
  }
  bool all_gone = true;
  for (const Dir* d : order) {
    if (::rmdir(d->path.c_str()) != 0 && errno != ENOENT) {
      all_gone = false;
      break;
    }
  }
  if (all_gone) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + timeout;
  RETURN_IF_ERROR(KillAll(SIGKILL, timeout));
  absl::Status first;
  for (const Dir& d : dirs_) {
    absl::Status s = RemoveCgroupTree(d.path, deadline);
    if (first.ok()) first = s;
  }
  return first;
}

bool SwapLimitSupported(const Layout& layout) {
  if (layout.version == Version::kV1) {
    const Hierarchy* mem = layout.FindV1("memory");
    return mem != nullptr &&
           Exists(Join(mem->mount_point, "memory.memsw.limit_in_bytes"));
  }
  if (!layout.unified.has_value()) return false;
  absl::StatusOr<std::string> controllers =
      ReadCgroupFile(layout.unified->mount_point, "cgroup.controllers");
  if (!controllers.ok()) return false;
  for (absl::string_view c : absl::StrSplit(
           *controllers, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (c == "memory") return true;
  }
  return false;
}

}  // namespace mydocker::cgroup
