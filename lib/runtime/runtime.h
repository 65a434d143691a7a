// Executes an OCI runtime spec: starts the container's first process.
//
// lib/runtime knows OCI specs, not Docker: lib/spec turns `run` flags into a
// spec::Spec, the monitor calls Start() and then Wait(). Start plans
// everything in the parent (plan.h), clone3()s the child into its new
// namespaces, lets the caller place it (cgroups, network) while it waits,
// then lets it set up its root and credentials (child.cc) and exec.
//
//   runtime::Options options;
//   options.stdio.out = out_pipe;
//   options.stdio.err = err_pipe;
//   options.on_created = [&](pid_t pid) { return cgroup.Join(pid); };
//   ASSIGN_OR_RETURN(runtime::Process p, runtime::Start(spec,
//   std::move(options))); ASSIGN_OR_RETURN(int wait_status, runtime::Wait(p));
//   if (WIFEXITED(wait_status)) ... WEXITSTATUS(wait_status) ...
#ifndef MYDOCKER_LIB_RUNTIME_RUNTIME_H_
#define MYDOCKER_LIB_RUNTIME_RUNTIME_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "lib/runtime/step.h"
#include "lib/spec/spec.h"

namespace mydocker::runtime {

// The container's fds 0-2. -1 is /dev/null. Start dups what it needs; the
// caller keeps (and closes) its own.
struct Stdio {
  int in = -1;
  int out = -1;
  int err = -1;
  // A pty slave: it becomes 0-2, the controlling terminal (the container
  // gets a new session) and /dev/console. in/out/err are then ignored.
  int console = -1;
  // Or, as runc's --console-socket: a connected socket. The child opens a
  // new pty from the container's own devpts (so `tty` names /dev/pts/0 in
  // there), makes its slave 0-2, the controlling terminal and /dev/console,
  // and sends the master over this socket (SCM_RIGHTS, one byte of data)
  // before it execs: once Start returns, the master is waiting there
  // (ReceiveConsole). Needs process.terminal; in/out/err are ignored.
  int console_socket = -1;
};

struct Options {
  Stdio stdio;
  // Where a relative root.path or bind source is taken from. "" is the
  // current directory.
  std::string bundle;
  // Where the child is born, cgroup-wise (both optional, the fds the
  // caller's): a cgroup2 directory to clone3() it into (CLONE_INTO_CGROUP),
  // and cgroup v1 `tasks` files (open for writing) it moves itself into
  // before anything else. Either is much cheaper than moving it by pid
  // afterwards, which waits for an RCU grace period.
  int cgroup2_dir = -1;
  std::vector<int> cgroup_v1_tasks;
  // Called in the parent once the child exists, in all its namespaces, and
  // is blocked, before it sets anything up: put it in its cgroups (unless
  // the fields above did), attach its network. An error kills the child and
  // fails Start with that error.
  std::function<absl::Status(pid_t)> on_created;
  // Called in the parent on a successful path once the child has been told
  // to go on, while it sets up its mounts and execs: the caller's work that
  // needs the pid but not the exec (records), off the start's path. If
  // Start then fails, undoing that work is the caller's.
  std::function<void(pid_t)> while_setting_up;
};

// The container's first process: a child of the caller (SIGCHLD on exit).
struct Process {
  pid_t pid = -1;  // In the caller's pid namespace.
  base::UniqueFd pidfd;
};

// Starts spec.process in the namespaces of spec.linux.namespaces (new ones,
// or joined by path) on the root spec.root, and returns once it has exec'd.
// A failure before that is a Status naming the step, with the errno's code:
//   starting container: mount "proc" on "/proc": Operation not permitted
//   starting container: exec "nosuch": No such file or directory  (NotFound)
//   starting container: chdir "/nowhere": No such file or directory
// GetStartFailure() recovers the step and errno. On any failure the child is
// gone (killed and reaped) and nothing it mounted is visible outside it.
//
// Not supported (InvalidArgument): a user namespace (the spec struct carries
// no id maps), joining a mount namespace, no new mount namespace, "shared"
// rootfs propagation, the runc extensions "rro", "idmap", "tmpcopyup".
absl::StatusOr<Process> Start(const spec::Spec& spec, Options options);

// The pty master a child sent over a Stdio::console_socket.
absl::StatusOr<base::UniqueFd> ReceiveConsole(int socket);

// What the child was doing when it failed, and the errno. For the exec
// step, Docker's convention is exit 127 for ENOENT, 126 otherwise.
struct StartFailure {
  Step step;
  int err;
};

// The failure carried by a Status from Start, or nullopt if the status is OK
// or did not come from the child (a bad spec, on_created's own error).
std::optional<StartFailure> GetStartFailure(const absl::Status& status);

// pidfd_send_signal(2): never signals a recycled pid. NotFound (ESRCH) once
// the process has exited and been reaped.
absl::Status Signal(const Process& process, int sig);

// Blocks until the process exits and reaps it. Returns a wait(2)-style
// status (use WIFEXITED/WEXITSTATUS/WTERMSIG).
absl::StatusOr<int> Wait(const Process& process);

}  // namespace mydocker::runtime

#endif  // MYDOCKER_LIB_RUNTIME_RUNTIME_H_
