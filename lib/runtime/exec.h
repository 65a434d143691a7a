// Runs a process inside a running container: `docker exec`'s runtime half.
//
// Exec joins every namespace of the container's init (one setns() on its
// pidfd), puts a new child into the container's cgroup, and has it take the
// same steps as a container's first process from stdio on (child.cc's
// Epilogue: no_new_privs, rlimits, only fds 0-2, cwd, groups, gid, uid,
// capabilities, exec), as runc's `exec` does.
//
// Exec changes the calling process for good (its mount, network, ... and
// pid-for-children namespaces, its dumpable flag), so it runs in a process
// made for it: the `nsenter-helper` that `mydocker exec` starts from a
// read-only mount of its binary (self_exec.h), never in the command itself.
//
//   // mydocker exec (the command), with the container's record:
//   runtime::ExecTarget target{pid, pid_start_time, spec.linux.cgroups_path};
//   ASSIGN_OR_RETURN(base::UniqueFd root, runtime::OpenRoot(target));
//   ... resolve the user in `root`'s /etc/passwd (lib/spec/user.h) ...
//   std::string request = runtime::EncodeExecRequest({target, process});
//   ... SpawnProtected({"mydocker", "nsenter-helper"}, ...) ...
//
//   // nsenter-helper:
//   ASSIGN_OR_RETURN(runtime::ExecRequest r, runtime::DecodeExecRequest(text));
//   ASSIGN_OR_RETURN(runtime::Process p,
//                    runtime::Exec(r.target, r.process, std::move(options)));
//   ASSIGN_OR_RETURN(int wait_status, runtime::Wait(p));
//
// Security: the target is checked against its recorded start time, so a
// reused pid is never entered. Everything that depends on the container's
// files (its /dev/ptmx) is opened before joining, resolved inside its root;
// the caller is made non-dumpable before it joins the pid namespace, so the
// container's processes can open neither its /proc/<pid>/exe, mem nor fd
// (nor those of its child until that execs); the child keeps only 0-2.
#ifndef MYDOCKER_LIB_RUNTIME_EXEC_H_
#define MYDOCKER_LIB_RUNTIME_EXEC_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/runtime/runtime.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime {

// The container to join, through its init.
struct ExecTarget {
  pid_t pid = -1;  // In the caller's pid namespace.
  // Field 22 of /proc/<pid>/stat when the container started; 0 checks
  // nothing.
  uint64_t start_time = 0;
  // The container's cgroup (spec.linux.cgroupsPath, "/mydocker/<id>"),
  // joined in every hierarchy (lib/cgroup); "" joins none.
  std::string cgroups_path;
};

struct ExecOptions {
  // The process's 0-2 without a terminal; -1 is /dev/null. Exec dups them.
  // stdio.console is not used.
  Stdio stdio;
  // With process.terminal: given the master of a new pty from the
  // container's own devpts (/dev/ptmx inside its root), whose slave becomes
  // the process's controlling terminal and 0-2, before the process runs.
  // Required then.
  std::function<absl::Status(base::UniqueFd master)> on_console;
};

// The root directory of the target's init (/proc/<pid>/root) as an O_PATH
// fd, for resolving paths inside the container (RESOLVE_IN_ROOT): its users
// (lib/spec/user.h). NotFound "process <pid> has exited" (or "... is not the
// container's any more" for a reused pid) when the target is gone.
absl::StatusOr<base::UniqueFd> OpenRoot(const ExecTarget& target);

// Runs `process` in the target's namespaces and cgroup and returns once it
// has exec'd (or failed to): a child of the caller, which reaps it (Wait).
// Call it in a single-threaded process made for it (see above); it leaves
// that process non-dumpable, in the container's namespaces, its root and
// cwd at the container's root. Failures of the child's steps come back as
// Start's do, with GetStartFailure's payload:
//   exec "nosuch": No such file or directory        (NotFound)
//   chdir "/nowhere": No such file or directory
// Unsupported here: process.user with a user namespace (none exists).
absl::StatusOr<Process> Exec(const ExecTarget& target,
                             const spec::Process& process,
                             ExecOptions options);

// Docker's exit status for an exec that failed before the command ran:
// 127 if the command was not found (exec ENOENT), 126 for anything else.
int ExecFailureExitCode(const absl::Status& status);

// What `mydocker exec` hands the nsenter-helper, as JSON:
//   {"target":{"pid":812,"pidStartTime":4711,"cgroupsPath":"/mydocker/ab.."},
//    "attachStdin":false,"spec":{"ociVersion":"1.0.2","process":{...}, ...}}
struct ExecRequest {
  ExecTarget target;
  spec::Process process;
  // For the helper that wires the process's stdio (not Exec's business):
  // its stdin comes from the caller (`exec -i`), else it is /dev/null.
  bool attach_stdin = false;
};
std::string EncodeExecRequest(const ExecRequest& request);
// InvalidArgument "exec request: ..." for anything malformed.
absl::StatusOr<ExecRequest> DecodeExecRequest(absl::string_view json);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_EXEC_H_
