// One container's cgroup: created in every hierarchy, limited by a
// spec::Resources, joined by the container's processes, emptied and removed.
//
// The same cgroup path ("/mydocker/<id>", as the spec's linux.cgroupsPath)
// names a directory in each hierarchy the Layout lists, relative to where
// that hierarchy is mounted:
//   v2:      /sys/fs/cgroup/mydocker/<id>
//   v1:      /sys/fs/cgroup/{memory,cpu,cpuacct,cpuset,pids,devices,freezer,
//            blkio,systemd,...}/mydocker/<id>, one per mounted hierarchy,
//            plus /sys/fs/cgroup/unified/mydocker/<id> on a hybrid host
//            (as runc does; it gives us cgroup.kill there).
//
//   ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::Detect());
//   ASSIGN_OR_RETURN(cgroup::Cgroup cg,
//                    cgroup::Cgroup::Create(layout, spec.linux.cgroups_path,
//                                           *spec.linux.resources));
//   RETURN_IF_ERROR(cg.AddProcess(child_pid));   // before the child execs
//   ...
//   ASSIGN_OR_RETURN(bool oom, cg.OomKilled());  // after it exits
//   RETURN_IF_ERROR(cg.Destroy());
//
// A Cgroup is a handle, not an owner: the directories outlive it (the
// container outlives the command that started it), so dropping a handle
// removes nothing; Destroy() does. Cgroup::Open gets a handle back later for
// exec, update, stop and rm.
//
// Everything here reads and writes cgroupfs directly (the "cgroupfs" driver
// of Docker); nothing talks to systemd. Files are written with a plain
// open(O_WRONLY | O_TRUNC) and one write(2), which is what cgroupfs expects
// (never a temp file and rename).
#ifndef MYDOCKER_LIB_CGROUP_CGROUP_H_
#define MYDOCKER_LIB_CGROUP_CGROUP_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/layout.h"
#include "lib/spec/spec.h"

namespace mydocker::cgroup {

class Cgroup {
 public:
  // Creates the cgroup at `path` (see ValidateCgroupPath) in every hierarchy
  // of `layout`, with any missing parents, then applies `resources` (as
  // Update). Parents are kept forever: they are shared between containers.
  //  - v1 cpuset: a new cgroup starts with empty cpuset.cpus/.mems, and the
  //    kernel refuses to take a process into it; each level gets its
  //    parent's values when empty.
  //  - v2: each ancestor enables in cgroup.subtree_control every controller
  //    its cgroup.controllers offers (as runc does), so the leaf has them.
  //  - hybrid: the cgroup2 mount is used when it is writable and skipped
  //    when not (it controls nothing).
  // A leftover directory at `path` that holds no process (a crash between
  // create and destroy) is reused, with `resources` applied over it;
  // AlreadyExists if it (or a cgroup below it) holds a process. On failure,
  // the leaf directories this call made are removed again.
  // InvalidArgument for a bad path or resources (see ValidateResources),
  // before anything is touched.
  static absl::StatusOr<Cgroup> Create(const Layout& layout,
                                       const std::string& path,
                                       const spec::Resources& resources);

  // A handle on the existing cgroup at `path`, in the hierarchies of
  // `layout` where its directory exists. NotFound if it exists in none.
  static absl::StatusOr<Cgroup> Open(const Layout& layout,
                                     const std::string& path);

  Cgroup(Cgroup&&) = default;
  Cgroup& operator=(Cgroup&&) = default;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup() = default;

  // The cgroup path given to Create or Open: "/mydocker/<id>".
  const std::string& path() const { return path_; }
  Version version() const { return version_; }

  // The directory to join for `controller` ("memory", "name=systemd"; ""
  // for the cgroup2 one on a hybrid host): the hierarchy's directory for
  // this cgroup. On v2, the one directory for any controller. Empty if this
  // cgroup has no directory for it.
  std::string DirFor(absl::string_view controller) const;

  // Every directory of this cgroup, one per hierarchy: what a process must
  // join to be fully inside it.
  std::vector<std::string> Dirs() const;

  // Moves process `pid` (all its threads) into the cgroup in every
  // hierarchy, by writing it to each cgroup.procs. Fails on the first
  // hierarchy that refuses, naming it; the process may then be in some
  // hierarchies and not others (the caller kills it).
  absl::Status AddProcess(pid_t pid);

  // What a process needs to be born in this cgroup rather than moved into
  // it (runtime::Options): the cgroup2 directory, open for clone3()'s
  // CLONE_INTO_CGROUP (invalid if there is none), and each v1 hierarchy's
  // `tasks` file, open for writing, for the new process to write "0" to.
  struct JoinFds {
    base::UniqueFd cgroup2_dir;
    std::vector<base::UniqueFd> v1_tasks;
  };
  absl::StatusOr<JoinFds> OpenForJoin() const;

  // Applies the fields of `resources` that are set, leaving the others as
  // they are; an empty device list leaves the device rules alone. With
  // runc's semantics (resources.h). Specifics:
  //  - v1 swap: memory.memsw.limit_in_bytes exists only with swap
  //    accounting; a finite swap limit without it is FailedPrecondition
  //    (as runc; dockerd drops the setting with a warning first, which is
  //    lib/spec's business, see SwapLimitSupported); unlimited (-1) is
  //    skipped. Limit and memsw are written in the order the kernel
  //    accepts (memsw must never fall below the limit).
  //  - v1 devices: "a" rules go as "a"; the list is written rule by rule,
  //    so on a running container there is a moment with only the first
  //    rules in force (Docker never updates devices of a running one).
  //  - v2 devices: a BPF program replaces the previous one (see
  //    device_filter.h).
  //  - v2 disable_oom_killer=true: FailedPrecondition (v2 has no such knob).
  //  - A controller that is not there (no such hierarchy, or a v2 file
  //    missing because the controller is not enabled): FailedPrecondition
  //    naming the file.
  // InvalidArgument (before any write) for what ValidateResources refuses.
  absl::Status Update(const spec::Resources& resources);

  // The processes in the cgroup or any cgroup below it, in any of its
  // hierarchies, sorted. A directory that no longer exists contributes none.
  absl::StatusOr<std::vector<pid_t>> Pids() const;

  // Sends `sig` to every process in the cgroup and below. For SIGKILL it
  // then waits until the cgroup is empty (a killed process leaves its
  // cgroup when it exits, before it is reaped), up to `timeout`, then
  // DeadlineExceeded naming the survivors. For another signal it sends once
  // and returns. SIGKILL uses cgroup.kill (v2, kernel 5.14+, also on the
  // hybrid cgroup2 mount) first, when every process is in the cgroup2
  // subtree; otherwise, and for other signals, the cgroup is frozen (v1
  // freezer.state, else v2 cgroup.freeze), each process is signalled
  // through a pidfd opened while it is listed (so a recycled pid is never
  // hit), and the cgroup is thawed again.
  absl::Status KillAll(int sig, absl::Duration timeout = absl::Seconds(10));

  // Whether the kernel's OOM killer has killed a process of this cgroup:
  // the oom_kill counter of v1 memory.oom_control or v2 memory.events.
  // FailedPrecondition if there is no memory controller for it.
  absl::StatusOr<bool> OomKilled() const;

  // Kills what is left (KillAll(SIGKILL)), then removes the cgroup's
  // directory, and any cgroup a container made below it, in every
  // hierarchy; rmdir is retried while the kernel still says EBUSY, up to
  // `timeout`. Parents stay. OK if the directories are already gone, so it
  // can be called again after a failure.
  absl::Status Destroy(absl::Duration timeout = absl::Seconds(10));

 private:
  struct Dir {
    std::string path;                      // The cgroup's directory.
    std::vector<std::string> controllers;  // v1 hierarchy; empty: cgroup2.
    bool v2() const { return controllers.empty(); }
  };

  Cgroup(Version version, std::string path)
      : version_(version), path_(std::move(path)) {}

  // The directory for `controller` or FailedPrecondition naming it.
  absl::StatusOr<std::string> Require(absl::string_view controller) const;
  // The cgroup2 directory (v2, or hybrid), or empty.
  std::string UnifiedDir() const;
  absl::Status ApplyV1(const spec::Resources& r);
  absl::Status ApplyV2(const spec::Resources& r);
  // Freezes, signals each listed process, thaws.
  absl::Status FreezeAndSignal(int sig);

  Version version_;
  std::string path_;
  std::vector<Dir> dirs_;
};

// Whether a swap limit can be set: v1 has memory.memsw.* (the kernel counts
// swap); v2 offers the memory controller at the root (memory.swap.max then
// exists unless swap accounting was turned off on the command line).
bool SwapLimitSupported(const Layout& layout);

}  // namespace mydocker::cgroup

#endif  // MYDOCKER_LIB_CGROUP_CGROUP_H_
