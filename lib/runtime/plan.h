// Parent side of Start(): a spec::Spec becomes the plain-old-data ChildPlan
// (child_plan.h) that the child executes with raw syscalls.
//
// Everything that can be decided before clone3() is decided here and fails
// here, with a Status naming the spec field: unknown capability or rlimit
// names, malformed mount options, a bind source that does not exist, a
// namespace path that cannot be opened. What depends on the image (its
// symlinks, which directories exist) is left to the child, which resolves it
// inside the rootfs.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<PlannedChild> planned,
//                    PlanChild(spec, {.out = pipe_fd}, /*bundle=*/""));
//   ... clone3(planned->clone_flags) ... RunChild(planned->plan);
#ifndef MYDOCKER_LIB_RUNTIME_PLAN_H_
#define MYDOCKER_LIB_RUNTIME_PLAN_H_

#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/runtime/child_plan.h"
#include "lib/runtime/step.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime::internal {

// The caller's fds for the container's 0-2, or a pty slave for all three.
// -1 means /dev/null. PlanChild dups them; the caller keeps its own.
struct PlanFds {
  int in = -1;
  int out = -1;
  int err = -1;
  int console = -1;
  // Instead of `console`: where the child sends the master of the pty it
  // makes in the container's devpts (Stdio::console_socket).
  int console_socket = -1;
};

// spec.mounts[i].options, split into what mount(2) takes.
struct MountOptions {
  unsigned long set = 0;    // MS_* flags to set ("ro", "nosuid", ...).
  unsigned long clear = 0;  // MS_* flags explicitly cleared ("rw", "suid").
  unsigned long propagation = 0;  // MS_PRIVATE, ... [|MS_REC]
  bool bind = false;              // "bind" or "rbind"
  bool recursive = false;         // "rbind"
  std::string data;               // The rest, comma-joined: "mode=755,size=1m".
};

// InvalidArgument for an option mydocker knows but does not implement
// ("rro", "idmap", ...): silently dropping those would weaken the mount.
absl::StatusOr<MountOptions> ParseMountOptions(
    const std::vector<std::string>& options);

// "/a/./b//c/../d" -> "a/b/d": lexically cleaned, ".." stops at the root,
// relative to "/" (a relative input counts from "/", as runc does). "" is
// the root itself. InvalidArgument for a NUL byte or an over-long path.
absl::StatusOr<std::string> CleanContainerPath(absl::string_view path);

// What execve() should try for `arg0` with the container's `env`: arg0
// itself if it has a '/', else arg0 in each PATH entry (glibc's default
// "/bin:/usr/bin" without PATH; an empty entry is the cwd).
std::vector<std::string> ExecCandidates(const std::string& arg0,
                                        const std::vector<std::string>& env);

// The plan and the storage its pointers point into. Neither copyable nor
// movable: keep it in the unique_ptr PlanChild returns until the child has
// exec'd or died.
class PlannedChild {
 public:
  PlannedChild() = default;
  PlannedChild(const PlannedChild&) = delete;
  PlannedChild& operator=(const PlannedChild&) = delete;

  ChildPlan plan;

  // For clone3(): CLONE_NEW* of the namespaces to create, except
  // CLONE_NEWCGROUP, which the child unshares after on_created.
  unsigned long clone_flags = 0;
  // A pid namespace to join. setns(CLONE_NEWPID) only affects the caller's
  // future children, so the parent's cloning thread enters it around
  // clone3() (Start does that), not the child.
  base::UniqueFd pid_ns;
  // spec.mounts has a "cgroup" mount: Start sends its CgroupView with "go".
  bool has_cgroup_mount = false;
  std::optional<int> oom_score_adj;

  // What step `step` at `index` was doing, for an error message:
  // `mount "proc" on "/proc"`, `exec "sh"`, `chdir "/nowhere"`.
  std::string Describe(Step step, int index) const;

 private:
  friend absl::StatusOr<std::unique_ptr<PlannedChild>> PlanChild(
      const spec::Spec& spec, const PlanFds& fds, absl::string_view bundle);
  friend absl::StatusOr<std::unique_ptr<PlannedChild>> PlanExecChild(
      const spec::Process& process, const PlanFds& fds);

  const char* Keep(std::string s);
  int KeepFd(base::UniqueFd fd);
  // The parts PlanChild and PlanExecChild share: 0-2 or the console (with
  // `console_mount`, also what binding it on /dev/console needs), and the
  // process itself (rlimits, cwd, credentials, capabilities, argv/envp).
  absl::Status PlanStdio(const spec::Process& proc, const PlanFds& fds,
                         bool console_mount);
  absl::Status PlanProcess(const spec::Process& proc);
  // Points `plan` into the vectors, once they are complete.
  void Finish();

  std::deque<std::string> strings_;  // Stable addresses for the C strings.
  std::vector<base::UniqueFd> fds_;  // Everything the child uses, all >= 3.
  std::vector<NsJoin> joins_;
  std::vector<MountOp> mounts_;
  std::vector<DeviceOp> devices_;
  std::vector<SymlinkOp> dev_symlinks_;
  std::vector<SysctlOp> sysctls_;
  std::vector<const char*> readonly_paths_;
  std::vector<const char*> masked_paths_;
  std::vector<RlimitOp> rlimits_;
  std::vector<gid_t> groups_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
  std::vector<const char*> exec_candidates_;

  // For Describe().
  std::vector<std::string> join_names_;
  std::vector<std::string> mount_names_;
  std::vector<std::string> mount_dests_;
  std::vector<std::string> device_names_;
  std::vector<std::string> symlink_names_;
  std::vector<std::string> sysctl_names_;
  std::vector<std::string> rlimit_names_;
};

// Plans `spec`. `bundle` is the directory a relative root.path or bind
// source is taken from ("" = the current directory). InvalidArgument for a
// spec this runtime cannot run as asked (no mount namespace, a user
// namespace, shared rootfs propagation, ...), NotFound for a missing rootfs,
// bind source or namespace path.
absl::StatusOr<std::unique_ptr<PlannedChild>> PlanChild(
    const spec::Spec& spec, const PlanFds& fds, absl::string_view bundle);

// Plans a process that joins a running container (exec.h): only the
// process part of a plan (stdio or console, rlimits, cwd, credentials,
// capabilities, argv/envp); no namespaces, mounts or devices. The child runs
// it with RunExecChild. Errors as PlanChild's for `process`.
absl::StatusOr<std::unique_ptr<PlannedChild>> PlanExecChild(
    const spec::Process& process, const PlanFds& fds);

}  // namespace mydocker::runtime::internal

#endif  // MYDOCKER_LIB_RUNTIME_PLAN_H_
